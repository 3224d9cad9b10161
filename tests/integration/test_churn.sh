#!/bin/bash
# Churn under load: programs keep checksummed data in cluster memory while
# nodes join, leave gracefully and are killed with SIGKILL at random
# moments, and the master is killed once (failover).  Every program must
# finish with zero mismatches and the membership must converge.
#
#   CHURN_SECONDS (default 30): how long the programs run and the churn
#                 goes on (a soak run: CHURN_SECONDS=600)
#   CHURN_SEED (default: from the clock): the seed of the event times and
#                 choices; printed, so a run can be replayed
#
# The program hosts (w1, w2) have 1 MB of memory for regions of 6 MB, so
# most of their pages live on the other nodes; they are never killed (a
# program whose gmsd dies ends with status 75, counted apart if it ever
# happens).  Everything else may join, leave or die.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/churn.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}
SECS=${CHURN_SECONDS:-30}
SEED=${CHURN_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$SEED
HB=100
CHURN_KEEP="w1 w2"
echo "  (churn for $SECS s, seed $SEED: CHURN_SEED=$SEED replays the choices)"

cluster_master n1 --mem 16M --heartbeat $HB
for n in w1 w2; do cluster_node $n --mem 1M; done
for n in n2 n3 n4; do cluster_node $n --mem 16M; done
cluster_wait_members 6 20 || { fail churn_cluster_up "no convergence"; t_finish; }
pass churn_cluster_up

for s in 1 2; do
	$GMSMEM --dir "$CL_TMP/w$s" --seed $((SEED + s)) map:1500 \
	    write:0-1499:1 hammer:2:$SECS:0 check >"$CL_TMP/prog$s.out" 2>&1 &
	eval "prog$s=\$!"
done

joins=0; leaves=0; kills=0; master_killed=0; next_name=5; events=""
# until one of each has happened, the events are joins, leaves and kills
need="0 1 2"
t_end=$(( $(churn_now_ms) + SECS * 1000 ))
t_master=$(( $(churn_now_ms) + SECS * 1000 / 3 ))
while [ $(churn_now_ms) -lt $((t_end - 2000)) ]; do
	sleep "$((1 + RANDOM % 2)).$((RANDOM % 10))"
	[ $(churn_now_ms) -lt $((t_end - 2000)) ] || break
	if [ $master_killed = 0 ] && [ $(churn_now_ms) -ge $t_master ]; then
		churn_kill_master && master_killed=1 && continue
	fi
	churn_event 5 7
done
echo "  (events:$events)"

lost=0; bad=0; acc=0; rcs=""
for s in 1 2; do
	eval "wait \$prog$s"; rc=$?
	rcs="$rcs $rc"
	a=$(sed -n 's/^hammer: accesses \([0-9]*\),.*/\1/p' "$CL_TMP/prog$s.out")
	m=$(sed -n 's/.*verified [0-9]* pages, \([0-9]*\) mismatches.*/\1/p' \
	    "$CL_TMP/prog$s.out" | tail -1)
	acc=$((acc + ${a:-0}))
	if [ $rc = 75 ]; then
		lost=$((lost + 1))	# its gmsd died: not lost data
	elif [ $rc != 0 ] || [ "${m:-1}" != 0 ]; then
		bad=$((bad + 1))
	fi
done
if [ $bad = 0 ] && [ $lost = 0 ] && [ $acc -gt 0 ]; then
	pass churn_programs_correct
else
	fail churn_programs_correct "exit statuses$rcs" \
	    "$(cat "$CL_TMP"/prog*.out | tail -20)"
fi
[ $master_killed = 1 ] && [ $kills -ge 2 ] && [ $joins -ge 1 ] &&
    [ $leaves -ge 1 ] &&
    pass churn_events_happened ||
    fail churn_events_happened "kills $kills joins $joins leaves $leaves"

# every live node: a member, the same members, master and term
if churn_converged 20; then
	pass churn_membership_converges
else
	fail churn_membership_converges "$churn_view"
fi
disk=$(( $(st w1 .counters.faults_disk) + $(st w2 .counters.faults_disk) ))
cl=$(( $(st w1 .counters.faults_cluster) + $(st w2 .counters.faults_cluster) ))
echo "  (survived $kills crashes (the master once), $joins joins, $leaves" \
    "leaves; $acc page accesses verified by 4 threads in 2 programs," \
    "3000 pages checked at the end; $cl faults served from cluster memory," \
    "$disk re-read from disk; programs ended by their gmsd's death: $lost;" \
    "final view: $(echo "$churn_view" | head -1))"
t_finish
