# lib.sh: helpers for integration tests.  Each test prints one line per
# check: "PASS name", "FAIL name" (with what went wrong before it) or
# "SKIP name: why"; tests/run counts them.
. "$(dirname "${BASH_SOURCE[0]}")/../../experiments/cluster.sh"

T_FAILED=0

pass() { echo "PASS $1"; }
fail() {
	echo "FAIL $1"
	shift
	[ $# -gt 0 ] && echo "  $*"
	T_FAILED=1
}
skip() { echo "SKIP $1: $2"; }

# check NAME CMD...: PASS if CMD succeeds, else FAIL with its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tail -5)"
	fi
}

# expect_fail NAME STATUS PATTERN CMD...: CMD exits with STATUS and says
# something matching PATTERN (an extended regex) on stderr; with
# EXPECT_ONE_LINE=1, in exactly one line.  Its stdout is not looked at.
expect_fail() {
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$(timeout 20 "$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	if [ $rc = "$want" ] && echo "$out" | grep -qE -- "$pat" &&
	    { [ "${EXPECT_ONE_LINE:-0}" = 0 ] ||
	    [ "$(echo "$out" | wc -l)" = 1 ]; }; then
		pass "$name"
	else
		fail "$name" "exit $rc (wanted $want): $out"
	fi
}

# Dump the logs of every node when a test failed (for CI output).
t_finish() {
	local name
	if [ $T_FAILED = 1 ]; then
		for name in $CL_NAMES; do
			echo "  --- log of $name (last 15 lines) ---"
			tail -15 "$CL_TMP/$name.log" 2>/dev/null |
			    sed 's/^/  /'
		done
	fi
	exit $T_FAILED
}

# jq on node NAME's status.
st() {
	local name=$1
	shift
	cluster_ctl "$name" status --json | jq -r "$@"
}
