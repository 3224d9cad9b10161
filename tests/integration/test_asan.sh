#!/bin/bash
# The userfaultfd paths again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (valgrind cannot run userfaultfd code): the
# region and libgms unit tests, and the memory integration test with a
# sanitized gmsd and gmsmem.  Any sanitizer report fails the test.
# Needs `make asan` (make test does it).
cd "$(dirname "$0")/../.." || exit 1
A=build-asan
if [ ! -x $A/bin/gmsd ] || [ ! -x $A/tests/tools/gmsmem ]; then
	echo "SKIP asan: no sanitizer build in $A (run make asan)"
	exit 0
fi
export ASAN_OPTIONS=abort_on_error=0:exitcode=66:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=66
failed=0
for t in test_region test_libgms; do
	out=$($A/tests/$t 2>&1); rc=$?
	if [ $rc = 0 ] && ! echo "$out" | grep -qE "ERROR: AddressSanitizer|runtime error"; then
		echo "PASS asan_$t"
	else
		echo "FAIL asan_$t (exit $rc)"
		echo "$out" | grep -E "FAIL|ERROR|runtime error|SUMMARY" | head -10 | sed 's/^/  /'
		failed=1
	fi
done
# the daemons' stderr goes to their logs: scan them for reports
out=$(CL_BIN=$PWD/$A/bin GMSMEM=$PWD/$A/tests/tools/gmsmem HAMMER_SECONDS=15 \
    MIN_ACCESSES=20000 HEARTBEAT=300 \
    CL_KEEP=1 bash tests/integration/test_memory.sh 2>&1)
rc=$?
dir=$(echo "$out" | sed -n 's/^kept \(.*\)$/\1/p')
echo "$out" | grep -E '^(PASS|FAIL|SKIP) |^  ' | sed 's/^\(PASS\|FAIL\|SKIP\) /\1 asan_/'
if [ -n "$dir" ] && grep -lE "ERROR: AddressSanitizer|runtime error|LeakSanitizer" \
    "$dir"/*.log "$dir"/*.out 2>/dev/null | head -1 | grep -q .; then
	echo "FAIL asan_sanitizer_reports"
	grep -hE -A5 "ERROR: AddressSanitizer|runtime error|LeakSanitizer" \
	    "$dir"/*.log "$dir"/*.out | head -30 | sed 's/^/  /'
	failed=1
else
	echo "PASS asan_no_sanitizer_reports"
fi
[ -n "$dir" ] && rm -rf "$dir"
[ $rc = 0 ] && [ $failed = 0 ]
