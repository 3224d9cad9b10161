#!/bin/bash
# A node whose programs fault from a slow disk stays a member.  Under the
# 1995 disk model every fault served from the backing store holds gmsd for
# milliseconds, and a program that faults again at once keeps its
# userfaultfd readable; gmsd must still send its heartbeats and answer its
# peers between those faults (it once served such a stream without a
# break, and its master declared it dead within a second).
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}

# heartbeats every 100 ms: silence of 400 ms is death
cluster_master q --mem 16M --heartbeat 100
cluster_node p --mem 512K --disk 1995 --policy local
cluster_wait_members 2 10 || { fail join "no convergence"; t_finish; }

# 256 pages on a node of 128 frames: the write pass evicts (and writes
# back) 128 pages, the read pass faults 256 pages in from the disk and
# writes a dirty page back for half of them: seconds of disk service
t0=$(date +%s%N)
if $GMSMEM --dir "$CL_TMP/p" map:256 write:0-255 read:0-255 \
    >"$CL_TMP/mem.out" 2>&1; then
	pass slow_disk_program_correct
else
	fail slow_disk_program_correct "$(tail -3 "$CL_TMP/mem.out")"
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
disk=$(st p .counters.faults_disk)
echo "  ($disk faults from the disk model in $ms ms;" \
    "the master declares a node dead after 400 ms of silence)"
dead=$(grep -c "declared dead" "$CL_TMP/q.log")
taken=$(grep -c "taking over" "$CL_TMP/p.log")
if [ "$disk" -ge 200 ] && [ "$ms" -ge 1500 ] && [ "$dead" = 0 ] &&
    [ "$taken" = 0 ] && [ "$(st q .counters.drop_stranger)" = 0 ] &&
    cluster_wait_members 2 2; then
	pass slow_disk_node_stays_member
else
	fail slow_disk_node_stays_member "declared dead $dead times," \
	    "took over $taken times, q dropped" \
	    "$(st q .counters.drop_stranger) datagrams of strangers"
fi
t_finish
