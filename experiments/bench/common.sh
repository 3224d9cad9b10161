# experiments/bench/common.sh: helpers shared by make bench's parts
# (experiments/bench/fault, experiments/bench/tput), sourced after each
# sets ROOT, BUDGET and DEADLINE (seconds, on the $SECONDS clock) and CUR
# (the pid of the measurement running now, for its cleanup).

say() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }
NOTES=()
note() { say "NOTE: $*"; NOTES+=("$*"); }

# run SECS OUT CMD...: run CMD in the background (so a signal reaches our
# trap at once) under timeout, cut to the time budget left; stdout to OUT,
# stderr to OUT.err.
run() {
	local t=$1 out=$2 left rc
	shift 2
	left=$((DEADLINE - SECONDS))
	[ "$left" -lt "$t" ] && t=$left
	if [ "$t" -lt 5 ]; then
		echo "time budget of ${BUDGET}s used up" >"$out.err"
		return 124
	fi
	timeout -k 5 "$t" "$@" >"$out" 2>"$out.err" &
	CUR=$!
	wait "$CUR"
	rc=$?
	CUR=""
	[ $rc = 124 ] && echo "timed out after ${t}s" >>"$out.err"
	return $rc
}
# why OUT: one line saying why a command failed
why() { tail -n 3 "$1.err" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'; }

# bench_machine: RUN_DATE, NPROC, MACHINE (JSON), LOADAVG, COMMIT
bench_machine() {
	RUN_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	NPROC=$(nproc)
	MACHINE=$(jq -cn --arg k "$(uname -r)" --argjson n "$NPROC" \
	    --arg cpu "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
	    '{kernel: $k, nproc: $n, cpu: $cpu}')
	LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
	COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	# results written by an earlier part of the same run do not count
	[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- . \
	    ":!experiments/results" 2>/dev/null)" ] &&
	    COMMIT="$COMMIT+dirty"
	return 0
}

# The two thread placements: the program and its node's gmsd on CPU 0, the
# gmsd holding the pages on CPU 0 (same-cpu) or CPU 1 (split).
qcpu() { [ "$1" = split ] && echo 1 || echo 0; }

# median of numbers on stdin; nothing (and status 1) if none
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1;
    if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2];
    else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt() { [ -n "$1" ] && printf '%.1f' "$1" || printf 'n/a'; }
fmtr() { [ -n "$1" ] && printf '%.2f' "$1" || printf 'n/a'; }
