#!/bin/bash
# The simulator and the real daemons on the same small scenario: one busy
# node (64 frames) replaying a trace of 4000 uniformly random reads over
# 256 pages, two idle nodes of 512 frames, policy gms.  Where they
# disagree beyond noise (the daemons' ages come from the age sampler, the
# simulator's are exact) that is a bug: local hits, getpages served by the
# cluster and disk reads must agree within 10 % (or 30 pages).
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=$CL_ROOT/build/tests/tools/gmsmem
SIM=$CL_ROOT/bin/gmssim

awk 'BEGIN { srand(7); for (i = 0; i < 4000; i++)
    printf "%d 1 %d r\n", i * 10, int(rand() * 256) }' >"$CL_TMP/trace"

sim=$($SIM --nodes 3 --mem 512 --node 1:mem=64 --trace "$CL_TMP/trace" \
    --policy gms --net none --disk none --page-size 4096 --json) ||
    { fail sim_runs "$sim"; t_finish; }
read -r s_hits s_cluster s_disk <<<"$(echo "$sim" | jq -r '.per_node[] |
    select(.node == 1) | "\(.hits) \(.cluster_hits) \(.disk_reads)"')"

cluster_master q --mem 2M
cluster_node p --mem 256K
cluster_node r --mem 2M
cluster_wait_members 3 10 || { fail join "no convergence"; t_finish; }
$GMSMEM --dir "$CL_TMP/p" map:256 replay:"$CL_TMP/trace":1 \
    >"$CL_TMP/replay.out" 2>&1 || fail daemon_runs "$(cat "$CL_TMP/replay.out")"
d_cluster=$(st p .counters.faults_cluster)
d_disk=$(st p .counters.faults_disk)
d_hits=$((4000 - $(st p .counters.faults)))

close() {	# A B: within 10 % of B or 30
	local a=$1 b=$2 d tol
	d=$((a > b ? a - b : b - a))
	tol=$((b / 10 > 30 ? b / 10 : 30))
	[ $d -le $tol ]
}
echo "  (simulator: $s_hits local hits, $s_cluster from the cluster," \
    "$s_disk from disk; daemons: $d_hits, $d_cluster, $d_disk)"
close "$d_hits" "$s_hits" && pass local_hits_agree ||
    fail local_hits_agree "daemon $d_hits, simulator $s_hits"
close "$d_cluster" "$s_cluster" && pass cluster_hits_agree ||
    fail cluster_hits_agree "daemon $d_cluster, simulator $s_cluster"
close "$d_disk" "$s_disk" && pass disk_reads_agree ||
    fail disk_reads_agree "daemon $d_disk, simulator $s_disk"

# A trace recorded from a real run (a hammer on p) replays in the
# simulator: every reference, in order.
$GMSMEM --dir "$CL_TMP/p" --seed 4 --record "$CL_TMP/real.trace" map:256 \
    hammer:2:2:20000 >"$CL_TMP/rec.out" 2>&1 ||
    fail record_real_trace "$(cat "$CL_TMP/rec.out")"
refs=$(grep -c . "$CL_TMP/real.trace")
out=$($SIM --nodes 3 --mem 512 --node 1:mem=64 --trace "$CL_TMP/real.trace" \
    --net none --disk none --page-size 4096 --json 2>&1)
srefs=$(echo "$out" | jq -r '.per_node[] | select(.node == 1) | .refs' 2>/dev/null)
if [ "$refs" -ge 20000 ] && [ "$srefs" = "$refs" ]; then
	pass real_trace_replays_in_simulator
	echo "  ($refs references recorded from the real run, all replayed:" \
	    "$(echo "$out" | jq -r '.per_node[] | select(.node == 1) |
	    "\(.hits) hits, \(.cluster_hits) from the cluster, \(.disk_reads) from disk"'))"
else
	fail real_trace_replays_in_simulator "recorded $refs, replayed $srefs: $out"
fi
t_finish
