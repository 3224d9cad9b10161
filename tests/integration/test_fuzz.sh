#!/bin/bash
# A bounded run of the protocol decoder's fuzzer (libFuzzer, clang), from
# the kept corpus in tests/fuzz/corpus/proto.  FUZZ_SECONDS (default 20);
# longer by hand: make -C tests/fuzz run SECONDS=600.
cd "$(dirname "$0")/../.." || exit 1
SECS=${FUZZ_SECONDS:-20}
if ! command -v clang >/dev/null; then
	echo "SKIP fuzz_proto: clang is not installed (apt-get install clang)"
	exit 0
fi
if ! out=$(make -s -C tests/fuzz 2>&1); then
	if echo "$out" | grep -qi "fuzzer"; then
		echo "SKIP fuzz_proto: clang cannot link libFuzzer here" \
		    "(Debian: libclang-rt-dev)"
		exit 0
	fi
	echo "FAIL fuzz_proto_builds"
	echo "$out" | tail -5 | sed 's/^/  /'
	exit 1
fi
echo "PASS fuzz_proto_builds"
work=$(mktemp -d /tmp/gms-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=$(timeout $((SECS + 60)) build/fuzz/fuzz_proto -max_total_time="$SECS" \
    -max_len=70000 -artifact_prefix="$work/" "$work" tests/fuzz/corpus/proto 2>&1)
rc=$?
runs=$(echo "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p')
if [ $rc = 0 ] && [ -n "$runs" ] && ! ls "$work"/crash-* >/dev/null 2>&1; then
	echo "PASS fuzz_proto_no_crash"
	echo "  ($runs executions in $SECS s from $(ls tests/fuzz/corpus/proto | wc -l) seeds)"
else
	echo "FAIL fuzz_proto_no_crash"
	echo "$out" | grep -E "ERROR|SUMMARY|crash|Done" | head -10 | sed 's/^/  /'
	exit 1
fi
