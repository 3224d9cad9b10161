#!/bin/bash
# Programs keep their data in GMS memory (libgms + userfaultfd): the hammer
# (no lost writes under eviction, putpage and getpage running flat out),
# a holder killed under a running program, and what goes wrong on purpose.
#   HAMMER_SECONDS (default 70): how long each hammer process runs;
#   MIN_ACCESSES (default 500000): fewer accesses in all fails the test;
#   HEARTBEAT (default 100 ms): the cluster's heartbeat interval.
#   CL_BIN, GMSMEM: other builds (tests/integration/test_asan.sh uses them).
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}
SECS=${HAMMER_SECONDS:-70}
MINACC=${MIN_ACCESSES:-500000}

cluster_master m --mem 32M --heartbeat ${HEARTBEAT:-100}
cluster_node p --mem ${PMEM:-2M}
cluster_node q --mem 32M
cluster_wait_members 3 10 || { fail join "no convergence"; t_finish; }

# --- the hammer: 2 processes x 4 threads, each region 1500 pages (6 MB);
# p's budget is 512 frames, so the regions are 6x its memory.
for s in 1 2; do
	$GMSMEM --dir "$CL_TMP/p" --seed $s map:1500 \
	    hammer:4:$SECS:5000000 check >"$CL_TMP/hammer$s.out" 2>&1 &
	eval "hp$s=\$!"
done
wait $hp1; rc1=$?
wait $hp2; rc2=$?
acc=0; bad=0
for s in 1 2; do
	a=$(sed -n 's/^hammer: accesses \([0-9]*\),.*/\1/p' "$CL_TMP/hammer$s.out")
	m=$(sed -n 's/.*mismatches \([0-9]*\)$/\1/p' "$CL_TMP/hammer$s.out" | head -1)
	acc=$((acc + ${a:-0}))
	bad=$((bad + ${m:-1}))
done
remote=$(st p .counters.faults_cluster)
held=$(( $(st q .counters.served_pages) + $(st m .counters.served_pages) ))
if [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ $bad = 0 ] && [ $acc -ge "$MINACC" ] &&
    [ "$remote" -gt 10000 ] && [ "$held" -gt 10000 ]; then
	pass hammer_no_lost_writes
else
	fail hammer_no_lost_writes "rc $rc1/$rc2, $bad mismatches, $acc accesses" \
	    "$(cat "$CL_TMP"/hammer*.out)"
fi
echo "  ($acc accesses by 8 threads in 2 processes over ${SECS} s, $bad" \
    "mismatches; $remote faults served from other nodes' memory," \
    "$(st p .counters.faults_disk) from disk, $(st p .counters.writebacks)" \
    "write-backs, $(st p .counters.stale_puts) stale copies refused," \
    "$(st p .counters.retransmits) retransmissions)"
sleep 0.5
left=$(( $(st q .global) + $(st m .global) ))
[ "$left" = 0 ] && [ "$(st p .regions)" = 0 ] && pass unmap_frees_cluster ||
    fail unmap_frees_cluster "$left global pages left, $(st p .regions) regions"

# --- one process, two regions at once, each with its own contents
if $GMSMEM --dir "$CL_TMP/p" --seed 5 map:900 write:0-899:1 map:900 \
    write:0-899:2 read:0-899:2 unmap read:0-899:1 >"$CL_TMP/two.out" 2>&1; then
	pass two_regions_one_process
else
	fail two_regions_one_process "$(cat "$CL_TMP/two.out")"
fi

# --- a holder killed under a running program: every page still correct
$GMSMEM --dir "$CL_TMP/p" --seed 7 map:2000 write:0-1999:1 \
    hammer:4:8:400000 check >"$CL_TMP/crash.out" 2>&1 &
cp=$!
sleep 3
qg=$(st q .global)
cluster_kill q KILL
wait $cp; rc=$?
if [ $rc = 0 ] && grep -q "verified 2000 pages, 0 mismatches" "$CL_TMP/crash.out"; then
	pass holder_killed_program_correct
	echo "  (q held $qg of the program's pages when killed;" \
	    "$(grep '^hammer' "$CL_TMP/crash.out")"
else
	fail holder_killed_program_correct "rc $rc q held $qg" "$(cat "$CL_TMP/crash.out")"
fi
cluster_wait_members 2 10 && pass cluster_after_holder_crash ||
    fail cluster_after_holder_crash

# --- bad input
out=$($GMSMEM --dir "$CL_TMP/p" map:268435456 2>&1); rc=$?	# 1 TiB
if [ $rc = 3 ] && echo "$out" | grep -q "does not fit the backing store"; then
	pass region_too_large_for_store
else
	fail region_too_large_for_store "rc $rc: $out"
fi
out=$($GMSMEM --dir "$CL_TMP/p" file:/nonexistent/file fread:0-0 2>&1); rc=$?
if [ $rc != 0 ] && echo "$out" | grep -qi "no such file"; then
	pass map_missing_file
else
	fail map_missing_file "rc $rc: $out"
fi

# A client killed in the middle of faulting: gmsd frees its region and
# goes on serving.
$GMSMEM --dir "$CL_TMP/p" --seed 3 map:1500 hammer:4:20:10000000 \
    >"$CL_TMP/killed.out" 2>&1 &
kp=$!
sleep 2
kill -9 $kp; wait $kp 2>/dev/null
sleep 0.5
if cluster_alive p && [ "$(st p .regions)" = 0 ] &&
    $GMSMEM --dir "$CL_TMP/p" map:700 write:0-699 read:0-699 >/dev/null; then
	pass client_killed_mid_fault
else
	fail client_killed_mid_fault "regions $(st p .regions)"
fi

# gmsd killed under a running program: the program ends with a sentence
# and status 75, it does not hang or read zeros.
$GMSMEM --dir "$CL_TMP/p" --seed 4 map:1500 hammer:2:30:10000000 \
    >"$CL_TMP/orphan.out" 2>&1 &
op=$!
sleep 2
t0=$SECONDS
cluster_kill p KILL
for i in $(seq 1 100); do kill -0 $op 2>/dev/null || break; sleep 0.1; done
if kill -0 $op 2>/dev/null; then
	kill -9 $op
	fail gmsd_killed_program_ends "the program still ran 10 s later"
else
	wait $op; rc=$?
	if [ $rc = 75 ] && grep -q "GMS memory is lost" "$CL_TMP/orphan.out" &&
	    ! grep -q "mismatches [1-9]" "$CL_TMP/orphan.out"; then
		pass gmsd_killed_program_ends
		echo "  (ended $((SECONDS - t0)) s after gmsd died: $(grep 'gms:' "$CL_TMP/orphan.out")"
	else
		fail gmsd_killed_program_ends "rc $rc: $(cat "$CL_TMP/orphan.out")"
	fi
fi
t_finish
