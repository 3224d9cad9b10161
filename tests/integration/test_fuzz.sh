#!/bin/bash
# Bounded runs of every decoder's fuzzer (libFuzzer, clang), each from its
# kept corpus in tests/fuzz/corpus/NAME: the protocol (every message type,
# epoch summaries and plans included), control requests, capture files,
# gmssim traces, command-line numbers and UIDs.  60 s in all by default
# (FUZZ_SECONDS scales it: the share of each harness below is of 60);
# longer by hand: tests/fuzz/run NAME SECONDS.
cd "$(dirname "$0")/../.." || exit 1
TOTAL=${FUZZ_SECONDS:-60}
SHARES="proto:20 trace:15 ctl:10 simtrace:8 cli:7"
if ! command -v clang >/dev/null; then
	for s in $SHARES; do
		echo "SKIP fuzz_${s%%:*}: clang is not installed (apt-get install clang)"
	done
	exit 0
fi
if ! out=$(make -s -C tests/fuzz all 2>&1); then
	if echo "$out" | grep -qi "fuzzer"; then
		echo "SKIP fuzz: clang cannot link libFuzzer here" \
		    "(Debian: libclang-rt-dev)"
		exit 0
	fi
	echo "FAIL fuzz_builds"
	echo "$out" | tail -5 | sed 's/^/  /'
	exit 1
fi
echo "PASS fuzz_builds"
work=$(mktemp -d /tmp/gms-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0
for s in $SHARES; do
	name=${s%%:*}
	secs=$(( ${s##*:} * TOTAL / 60 ))
	[ "$secs" -ge 1 ] || secs=1
	mkdir -p "$work/$name"
	if out=$(FUZZ_WORK="$work/$name" tests/fuzz/run "$name" "$secs"); then
		echo "PASS fuzz_${name}_no_crash"
		echo "  ($out)"
	else
		echo "FAIL fuzz_${name}_no_crash"
		echo "$out" | sed 's/^/  /'
		failed=1
	fi
done
exit $failed
