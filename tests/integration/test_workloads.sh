#!/bin/bash
# The workload programs (bin/wl-*): each runs on a 3-node cluster with its
# data larger than its node's memory and verifies it; the same run on plain
# memory gives the same checksum; render and web run on two nodes at once
# over one shared file; data corrupted underneath a paused run (in the
# backing store, or in the file a file-backed workload maps) is found and
# the page named, exit status 1; gmsd killed under a run gives status 75;
# bad command lines give status 2 and one sentence.
#   WL_MB (default 8): data size of the cluster runs, in MB.
. "$(dirname "$0")/lib.sh"
cluster_init
WL="oo7 render web compile synth"
MB=${WL_MB:-8}
BIN=$CL_BIN
export TMPDIR=$CL_TMP/tmp	# the file-backed workloads' files
mkdir -p "$TMPDIR"

for w in $WL; do
	[ -x "$BIN/wl-$w" ] || { fail build "no $BIN/wl-$w: run make"; t_finish; }
done

# checksum / verified / ops of a JSON line
jf() { echo "$1" | jq -r ".$2" 2>/dev/null; }

cluster_master m --mem 32M
cluster_node p --mem 2M
cluster_node q --mem 32M
cluster_wait_members 3 10 || { fail join "no convergence"; t_finish; }

# --- every workload on p (2 MB of memory) with 8 MB of data, then plain
declare -A ARGS=([oo7]="--passes 2 --ops 20000" [render]="--passes 2"
    [web]="--ops 20000" [compile]="--passes 2"
    [synth]="--pattern zipf --ops 8000 --write 0.5")
declare -A SUM REMOTE
# the fields the experiment scripts read
KEYS='[has("workload","size_mb","seed","pattern","elapsed_s","build_s",
    "run_s","ops","checksum","verified","corrupt_pages","minflt","majflt")]
    | all'
for w in $WL; do
	a=${ARGS[$w]}
	c0=$(st p .counters.faults_cluster)
	b0=$(st p .counters.bytes_recv)
	# shellcheck disable=SC2086
	out=$("$BIN/wl-$w" --dir "$CL_TMP/p" --size "$MB" --seed 7 $a --json \
	    --quiet 2>"$CL_TMP/$w.err")
	rc=$?
	c1=$(st p .counters.faults_cluster)
	b1=$(st p .counters.bytes_recv)
	if [ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 1 ] &&
	    echo "$out" | jq -e "$KEYS" >/dev/null 2>&1 &&
	    [ "$(jf "$out" verified)" = true ] &&
	    [ "$(jf "$out" corrupt_pages)" = 0 ] &&
	    [ "$(jf "$out" ops)" -gt 0 ] && [ "$(jf "$out" mode)" = gms ]; then
		pass "${w}_cluster_verified"
	else
		fail "${w}_cluster_verified" "rc $rc: $out $(cat "$CL_TMP/$w.err")"
	fi
	SUM[$w]=$(jf "$out" checksum)
	echo "  ($w: ${MB} MB on a node with 2 MB, $(jf "$out" ops) ops in" \
	    "$(jf "$out" run_s) s, $(jf "$out" majflt) major faults;" \
	    "$((c1 - c0)) faults served by other nodes, $((b1 - b0)) bytes" \
	    "received)"
	REMOTE[$w]=$((c1 - c0))
	# shellcheck disable=SC2086
	pout=$("$BIN/wl-$w" --plain --size "$MB" --seed 7 $a --json --quiet \
	    2>"$CL_TMP/$w.perr")
	rc=$?
	if [ $rc = 0 ] && [ -n "${SUM[$w]}" ] &&
	    [ "$(jf "$pout" checksum)" = "${SUM[$w]}" ] &&
	    [ "$(jf "$pout" mode)" = plain ]; then
		pass "${w}_plain_same_checksum"
	else
		fail "${w}_plain_same_checksum" "rc $rc: gms ${SUM[$w]}," \
		    "plain $pout $(cat "$CL_TMP/$w.perr")"
	fi
done
# The anonymous regions are 4x p's memory: their pages must have come back
# from the other nodes' memory, not only from p's disk.
if [ "${REMOTE[oo7]}" -gt 0 ] && [ "${REMOTE[compile]}" -gt 0 ] &&
    [ "${REMOTE[synth]}" -gt 0 ]; then
	pass workloads_used_remote_memory
else
	fail workloads_used_remote_memory "faults served by other nodes:" \
	    "oo7 ${REMOTE[oo7]}, compile ${REMOTE[compile]}," \
	    "synth ${REMOTE[synth]}"
fi

# Another seed gives another checksum (the checksum depends on the data).
out=$("$BIN/wl-synth" --plain --size 2 --seed 8 --pattern zipf --ops 8000 \
    --write 0.5 --json --quiet)
s8=$(jf "$out" checksum)
out=$("$BIN/wl-synth" --plain --size 2 --seed 7 --pattern zipf --ops 8000 \
    --write 0.5 --json --quiet)
[ -n "$s8" ] && [ "$s8" != "$(jf "$out" checksum)" ] &&
    pass checksum_depends_on_seed ||
    fail checksum_depends_on_seed "seed 7 and 8 both gave $s8"

# --- two nodes map the same file at once (shared pages, case 4)
for w in render web; do
	# shellcheck disable=SC2086
	"$BIN/wl-$w" --dir "$CL_TMP/p" --size "$MB" --seed 7 --json --quiet \
	    ${ARGS[$w]} >"$CL_TMP/$w.1.out" 2>&1 &
	r1=$!
	# shellcheck disable=SC2086
	"$BIN/wl-$w" --dir "$CL_TMP/q" --size "$MB" --seed 7 --json --quiet \
	    ${ARGS[$w]} >"$CL_TMP/$w.2.out" 2>&1
	rc2=$?
	wait $r1
	rc1=$?
	o1=$(tail -1 "$CL_TMP/$w.1.out")
	o2=$(tail -1 "$CL_TMP/$w.2.out")
	if [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$(jf "$o1" verified)" = true ] &&
	    [ "$(jf "$o1" checksum)" = "${SUM[$w]}" ] &&
	    [ "$(jf "$o2" checksum)" = "${SUM[$w]}" ]; then
		pass "${w}_shared_file_two_nodes"
	else
		fail "${w}_shared_file_two_nodes" "rc $rc1/$rc2: $o1 / $o2"
	fi
done

# --- corruption under a paused run, on a node with 256 KB of memory: the
# data lives in its backing store (anonymous regions: DIR/region-*.pages)
# or in the mapped file (render, web); bytes in page PG are flipped.
cluster_master c --mem 256K
cluster_wait_members 1 10 || true
CMB=4
declare -A PG=([oo7]=200 [compile]=100 [synth]=100 [render]=300 [web]=300)
declare -A WHAT=([oo7]=database [compile]=files [synth]=region
    [render]=scene [web]=index)
# corrupt_run NAME WORKLOAD "PAGES" PHASE [ARGS]: flip bytes in each of
# PAGES while WORKLOAD is paused; it must exit 1, count exactly those pages
# and name each of them, found in PHASE (run or verify).
corrupt_run() {
	local name=$1 w=$2 pages=$3 phase=$4 what=${WHAT[$2]} fifo pid f rc
	local out pg fopt="" named=1
	shift 4
	case $w in render|web) fopt="--file $CL_TMP/$w.dat" ;; esac
	fifo=$CL_TMP/$name.fifo
	rm -f "$CL_TMP/c"/region-*.pages
	mkfifo "$fifo"
	# shellcheck disable=SC2086
	"$BIN/wl-$w" --dir "$CL_TMP/c" --size $CMB --seed 3 --quiet --json \
	    --pause-after-build $fopt "$@" <"$fifo" \
	    >"$CL_TMP/$name.cout" 2>"$CL_TMP/$name.cerr" &
	pid=$!
	exec 7>"$fifo"
	for _ in $(seq 1 600); do	# up to 60 s on a loaded machine
		grep -q '^paused$' "$CL_TMP/$name.cout" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	case $w in
	render|web) f=$CL_TMP/$w.dat ;;
	*) f=$(ls "$CL_TMP"/c/region-*.pages 2>/dev/null | head -1) ;;
	esac
	if [ -n "$f" ] && grep -q '^paused$' "$CL_TMP/$name.cout"; then
		for pg in $pages; do
			printf '\xa5\x5a\xa5\x5a\xa5\x5a\xa5\x5a\xa5\x5a\xa5\x5a' |
			    dd of="$f" bs=1 seek=$((pg * 4096 + 2048)) \
			    conv=notrunc status=none
		done
	fi
	( echo >&7 ) 2>/dev/null || true	# it may have ended already
	exec 7>&-
	wait $pid
	rc=$?
	out=$(grep '^{' "$CL_TMP/$name.cout")
	for pg in $pages; do
		grep -q "in the $phase phase: page $pg of the $what " \
		    "$CL_TMP/$name.cerr" || named=0
	done
	if [ $rc = 1 ] && [ "$(jf "$out" verified)" = false ] &&
	    [ "$(jf "$out" corrupt_pages)" = "$(echo $pages | wc -w)" ] &&
	    [ $named = 1 ]; then
		pass "$name"
		echo "  ($(head -1 "$CL_TMP/$name.cerr"))"
	else
		fail "$name" "rc $rc, file '$f', want pages $pages ($phase):" \
		    "$(cat "$CL_TMP/$name.cout" "$CL_TMP/$name.cerr")"
	fi
}
for w in $WL; do
	corrupt_run "${w}_corruption_found" "$w" "${PG[$w]}" run
done
# pages the run does not read: found by the verify phase, each counted
corrupt_run synth_verify_counts_pages synth "100 200 300" verify \
    --ops 1 --pattern seq --write 0

# --- gmsd killed under a paused run: status 75 (GMS_EXIT_LOST), never a
# page read back as zeros
cluster_master d --mem 1M
fifo=$CL_TMP/lost.fifo
mkfifo "$fifo"
"$BIN/wl-synth" --dir "$CL_TMP/d" --size 8 --quiet --json \
    --pause-after-build <"$fifo" >"$CL_TMP/lost.out" 2>"$CL_TMP/lost.err" &
pid=$!
exec 7>"$fifo"
for _ in $(seq 1 600); do
	grep -q '^paused$' "$CL_TMP/lost.out" 2>/dev/null && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
cluster_kill d KILL
( echo >&7 ) 2>/dev/null || true	# it may have ended already
exec 7>&-
wait $pid
rc=$?
if [ $rc = 75 ] && ! grep -q '^{' "$CL_TMP/lost.out"; then
	pass gmsd_killed_status_75
else
	fail gmsd_killed_status_75 "rc $rc: $(cat "$CL_TMP/lost.out" \
	    "$CL_TMP/lost.err")"
fi

# --- bad command lines: status 2 and one sentence on stderr
for w in $WL; do
	ok=1 why=""
	for bad in "--size 0" "--size 4 --bogus" "--seed 3" "--size 4 --ops" \
	    "--size x12"; do
		# shellcheck disable=SC2086
		"$BIN/wl-$w" --dir "$CL_TMP/p" $bad >"$CL_TMP/bad.out" \
		    2>"$CL_TMP/bad.err"
		rc=$?
		if [ $rc != 2 ] || [ "$(wc -l <"$CL_TMP/bad.err")" != 1 ] ||
		    [ -s "$CL_TMP/bad.out" ]; then
			ok=0
			why="$why [$bad: rc $rc, $(cat "$CL_TMP/bad.err")]"
		fi
	done
	[ $ok = 1 ] && pass "${w}_bad_command_line" ||
	    fail "${w}_bad_command_line" "$why"
done
free=$(df -Pk "$CL_TMP/p" | awk 'NR == 2 { print $4 }')
if [ "$free" -lt $((1 << 30)) ]; then
	"$BIN/wl-synth" --dir "$CL_TMP/p" --size 1048576 2>"$CL_TMP/big.err"
	rc=$?
	[ $rc = 2 ] && grep -q "does not fit" "$CL_TMP/big.err" &&
	    pass size_larger_than_backing_store ||
	    fail size_larger_than_backing_store "rc $rc $(cat "$CL_TMP/big.err")"
else
	skip size_larger_than_backing_store "the file system of $CL_TMP has" \
	    "more than 1 TiB free"
fi
"$BIN/wl-oo7" --dir "$CL_TMP/nogmsd" --size 1 2>"$CL_TMP/nogmsd.err"
rc=$?
[ $rc = 3 ] && grep -q "gmsd" "$CL_TMP/nogmsd.err" && pass no_gmsd_status_3 ||
    fail no_gmsd_status_3 "rc $rc $(cat "$CL_TMP/nogmsd.err")"
t_finish
