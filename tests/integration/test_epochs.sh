#!/bin/bash
# Epochs in real daemons (GMS-REFERENCE.md section 4): every member gets
# the same plan, the weights follow idle memory and so do the putpages,
# and when the next initiator dies another member starts the next epoch
# within the stated bound (replace.c: T + (rank + 1) * 1.25 s + 0.1 s
# + 0.3 s to gather the summaries).
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=$CL_ROOT/build/tests/tools/gmsmem

cluster_master m --mem 16M
cluster_node p --mem 2M
cluster_node q --mem 32M
cluster_node r --mem 4M
cluster_wait_members 4 10 || { fail join "no convergence"; t_finish; }

$GMSMEM --dir "$CL_TMP/p" --seed 3 map:3000 hammer:2:25:100000000 check \
    >"$CL_TMP/prog.out" 2>&1 &
prog=$!
sleep 4

# the same plan everywhere (retry: a plan may be on its way)
same=0
for i in $(seq 1 40); do
	plans=$(for n in m p q r; do st $n '[.epoch, .minage_ms, .epoch_m,
	    .epoch_next] | map(tostring) | join(" ")'; done | sort -u)
	if [ "$(echo "$plans" | wc -l)" = 1 ] && [ "${plans%% *}" -gt 1 ]; then
		same=1
		break
	fi
	sleep 0.1
done
[ $same = 1 ] && pass all_members_same_plan ||
    fail all_members_same_plan "$plans"
# the weights of one epoch, read from every node (retry if a new plan
# arrives while reading)
for i in $(seq 1 20); do
	sum=0; eps=""
	for n in m p q r; do
		read -r e w <<<"$(st $n '"\(.epoch) \(.epoch_weight)"')"
		sum=$((sum + w)); eps="$eps $e"
	done
	M=$(st m .epoch_m)
	[ "$(echo $eps | tr ' ' '\n' | sort -u | wc -l)" = 1 ] &&
	    [ "$(st m .epoch)" = "${eps##* }" ] && break
done
[ "$sum" = "$M" ] && [ "$M" -gt 0 ] && pass weights_sum_to_m ||
    fail weights_sum_to_m "sum $sum, M $M (epochs$eps)"
wq=$(st q .epoch_weight); wr=$(st r .epoch_weight); wp=$(st p .epoch_weight)
[ "$wq" -gt "$wr" ] && [ "$wp" = 0 ] && pass weights_follow_idle_memory ||
    fail weights_follow_idle_memory "q $wq r $wr p $wp"
echo "  (epoch $(st m .epoch): M $M; weights m $(st m .epoch_weight), q $wq," \
    "r $wr, p $wp; next initiator $(st m .epoch_next))"
gq=$(st q .global); gr=$(st r .global)
puts=$(st p .counters.epoch_puts)
[ "$puts" -gt 0 ] && [ "$gq" -gt "$gr" ] && pass putpages_follow_weights ||
    fail putpages_follow_weights "epoch puts $puts; q holds $gq, r $gr"

# kill the next initiator: another member starts the next epoch in time
nx=$(st m .epoch_next)
victim=""
for n in m q r; do [ "$(st $n .node)" = "$nx" ] && victim=$n; done
if [ -z "$victim" ] || [ "$victim" = m ]; then
	skip initiator_killed "the next initiator is node $nx (the master or p)"
else
	t_ms=$(st m .epoch_t_ms)
	ep=$(st m .epoch)
	cluster_kill $victim KILL
	t0=$(date +%s%N)
	while [ "$(st m .epoch)" = "$ep" ] &&
	    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 30000 ]; do
		sleep 0.05
	done
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	# the bound: T, the grace of rank 0 (m), one tick, the summaries'
	# gathering, and 0.5 s for this script's polling
	bound=$((t_ms + 1250 + 100 + 300 + 500))
	if [ "$(st m .epoch)" != "$ep" ] && [ $took -le $bound ]; then
		pass initiator_killed_epochs_go_on
	else
		fail initiator_killed_epochs_go_on "took $took ms, bound $bound"
	fi
	echo "  (killed $victim, the next initiator; epoch $((ep + 1)) began" \
	    "$took ms later; T was $t_ms ms, the bound $bound ms)"
fi
# then kill the master (rank 0) too, once it is the next initiator or
# not: the remaining members still start epochs (p has rank 1).
if cluster_alive m && [ -n "$victim" ] && [ "$victim" != m ]; then
	t_ms=$(st p .epoch_t_ms)
	ep=$(st p .epoch)
	cluster_kill m KILL
	t0=$(date +%s%N)
	while [ "$(st p .epoch)" = "$ep" ] &&
	    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 30000 ]; do
		sleep 0.05
	done
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	t2=$(st p .epoch_t_ms)
	bound=$((t_ms + 2 * 1250 + 100 + 300 + 500))
	if [ "$(st p .epoch)" != "$ep" ] && [ $took -le $bound ]; then
		pass master_killed_epochs_go_on
	else
		fail master_killed_epochs_go_on "took $took ms, bound $bound"
	fi
	echo "  (killed the master too; epoch $(st p .epoch) began $took ms" \
	    "later; bound $bound ms)"
fi
wait $prog; rc=$?
[ $rc = 0 ] && grep -q "verified 3000 pages, 0 mismatches" "$CL_TMP/prog.out" &&
    pass program_correct_through_epochs ||
    fail program_correct_through_epochs "$(cat "$CL_TMP/prog.out")"
t_finish
