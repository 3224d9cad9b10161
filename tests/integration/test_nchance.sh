#!/bin/bash
# The N-chance baseline in the daemons (--policy nchance on the master):
# every member takes the cluster's policy, no epochs run, evicted pages go
# to random nodes and recirculate, and no write is lost.
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=$CL_ROOT/build/tests/tools/gmsmem

cluster_master m --mem 2M --policy nchance
cluster_node p --mem 1M
cluster_node q --mem 2M --policy gms
cluster_node r --mem 2M
cluster_wait_members 4 10 || { fail join "no convergence"; t_finish; }
pols=$(for n in m p q r; do st $n .policy; done | sort -u | tr '\n' ' ')
[ "$pols" = "nchance " ] && pass members_take_cluster_policy ||
    fail members_take_cluster_policy "$pols"
grep -q "the cluster's policy is nchance" "$CL_TMP/q.log" &&
    pass other_policy_asked_is_told || fail other_policy_asked_is_told

$GMSMEM --dir "$CL_TMP/p" --seed 9 map:2500 hammer:2:15:400000 check \
    >"$CL_TMP/prog.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "verified 2500 pages, 0 mismatches" "$CL_TMP/prog.out" &&
    pass nchance_no_lost_writes || fail nchance_no_lost_writes \
    "$(cat "$CL_TMP/prog.out")"
ep=$(for n in m p q r; do st $n .epoch; done | sort -u | tr '\n' ' ')
[ "$ep" = "0 " ] && pass nchance_runs_no_epochs || fail nchance_runs_no_epochs "$ep"
cl=$(st p .counters.faults_cluster)
fw=$(( $(st m .counters.puts) + $(st q .counters.puts) + $(st r .counters.puts) ))
if [ "$cl" -gt 1000 ] && [ "$fw" -gt 0 ]; then
	pass pages_forwarded_and_recirculated
else
	fail pages_forwarded_and_recirculated "cluster faults $cl, forwards by holders $fw"
fi
echo "  ($cl faults served by other nodes, $(st p .counters.faults_disk)" \
    "from disk; holders forwarded $fw recirculating pages)"
t_finish
