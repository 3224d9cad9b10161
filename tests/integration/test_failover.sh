#!/bin/bash
# Master failover and partitions (gms/member.c, README "Membership").
#
# 1. kill -9 the master of a 4-node cluster: the lowest-id survivor is the
#    master within the bound D + one heartbeat (D = 4 heartbeats), a new
#    node joins through a --master list whose first address is the dead
#    master's, ids stay unique, and every node's status agrees; then the
#    new master leaves gracefully and hands its role over at once.
# 2. a real partition of real processes: five gmsd, each in its own
#    network namespace, joined by a bridge; moving two of them to another
#    bridge makes the old master and one member a minority.  The majority elects a master and changes
#    the membership; the minority master freezes and refuses joins; after
#    the cable is back there is one master and one membership, and no page
#    read back has wrong bytes.
. "$(dirname "$0")/lib.sh"
cluster_init

HB=100				# heartbeat (ms); D = 4 * HB
D=$((4 * HB))

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Status of every live node, one line each: id master term members.
views() {
	local name
	for name in $CL_NAMES; do
		cluster_alive "$name" || continue
		cluster_ctl "$name" status --json 2>/dev/null |
		    jq -r '"\(.node) \(.state) \(.master) \(.term) \(.pod_version) \([.members[].id]|join(","))"'
	done
}

# Wait (at most S seconds) until every live node is a member and all agree
# on the master, the term, the POD version and a member set of N.
converged() {
	local want=$1 secs=$2 deadline v
	deadline=$((SECONDS + secs))
	while [ $SECONDS -le $deadline ]; do
		v=$(views)
		if [ -n "$v" ] && ! echo "$v" | grep -qv " member " &&
		    [ "$(echo "$v" | cut -d' ' -f3- | sort -u | wc -l)" = 1 ] &&
		    [ "$(echo "$v" | head -1 | awk '{print $6}' |
		    tr ',' '\n' | wc -l)" = "$want" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "$v" | sed 's/^/  view: /'
	return 1
}

# a bad address in a --master list: one sentence naming it
out=$("$CL_BIN/gmsd" --listen 127.0.0.1:0 --dir "$CL_TMP/bad" \
    --master 127.0.0.1:9,nocolon 2>&1)
rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "^gmsd: --master: 'nocolon' is not HOST:PORT" &&
    pass failover_bad_master_list || fail failover_bad_master_list "rc $rc: $out"

# ---------------------------------------------------------------- part 1
cluster_master a --mem 4M --heartbeat $HB
for n in b c d; do cluster_node $n --mem 4M; done
converged 4 15 && pass failover_cluster_up || { fail failover_cluster_up; t_finish; }
addr_a=$CL_MASTER
addr_c="127.0.0.1:$(cluster_port c)"
# a page set put from d, to read back after the failover
out=$(cluster_ctl d exercise --pages 400 --space 7 --keep --json)
[ "$(echo "$out" | jq .put.ok)" = 400 ] || fail failover_put "$out"

cluster_kill a KILL
t0=$(now_ms)
took=""
while [ $(( $(now_ms) - t0 )) -lt 20000 ]; do
	if [ "$(st b .is_master 2>/dev/null)" = true ]; then
		took=$(( $(now_ms) - t0 ))
		break
	fi
	sleep 0.02
done
# the bound, as member.c derives it: D + one heartbeat after the last
# answer, on the new master's own clock (its log says how long the master
# had been silent when it took over; 300 ms more for a late timer on a
# loaded machine); from outside, 2000 ms more for this script's polling
bound=$((D + HB))
silent=$(sed -n 's/.*master node 1 silent for \([0-9]*\) ms: taking over.*/\1/p' \
    "$CL_TMP/b.log" | head -1)
if [ -n "$took" ] && [ -n "$silent" ] && [ "$silent" -le $((bound + 300)) ] &&
    [ "$took" -le $((bound + 2000)) ]; then
	pass failover_new_master_in_bound
else
	fail failover_new_master_in_bound "took ${took:-over 20000} ms," \
	    "silent ${silent:-?} ms"
fi
echo "  (node 2 took over when the master had been silent ${silent:-?} ms," \
    "${took:-?} ms after kill -9 as polled; bound D + heartbeat = $bound ms)"
if converged 3 15 && [ "$(st c .master)" = 2 ] &&
    [ "$(st c .term)" = 2 ] && [ "$(st b .quorum)" = true ]; then
	pass failover_members_follow
else
	fail failover_members_follow "$(views)"
fi
echo "  (POD without the old master everywhere $(( $(now_ms) - t0 )) ms" \
    "after the kill)"

# a new node whose list starts with the dead master, then a non-master:
# it is redirected to the new master
cluster_start e --master "$addr_a,$addr_c" --mem 4M
if converged 4 15; then
	pass failover_join_through_list
else
	fail failover_join_through_list "$(cluster_log e | tail -5)"
fi
ids=$(views | awk '{print $1}' | sort -n | tr '\n' ' ')
ide=$(st e .node)
if [ "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" = 4 ] &&
    [ "$ide" -gt 4 ]; then
	pass failover_ids_unique
else
	fail failover_ids_unique "ids $ids, new node $ide"
fi
echo "  (ids after failover and join: $ids; the new node got $ide)"
if [ "$(views | cut -d' ' -f3- | sort -u | wc -l)" = 1 ]; then
	pass failover_status_agrees
else
	fail failover_status_agrees "$(views)"
fi
if grep -q "joined the cluster through 127.0.0.1:$(cluster_port b)" \
    "$CL_TMP/e.log"; then
	pass failover_join_redirected
else
	fail failover_join_redirected "$(cluster_log e | tail -3)"
fi
out=$(cluster_ctl d exercise --pages 400 --space 7 --no-put --keep --json)
if [ "$(echo "$out" | jq '.mismatches == 0 and .get.error == 0 and
    .get.ok + .get.miss == 400')" = true ]; then
	pass failover_pages_intact
else
	fail failover_pages_intact "$out"
fi
echo "  (pages read back after failover: $(echo "$out" | jq -c .get))"
# epochs go on without the master that started them (within T and the
# grace replace.c gives: 1250 ms per rank, two ranks, and 1 s of polling)
ep=$(st b .epoch)
lim=$(( $(now_ms) + $(st b .epoch_t_ms) + 2 * 1250 + 1000 ))
while [ "$(st b .epoch)" = "$ep" ] && [ $(now_ms) -lt $lim ]; do
	sleep 0.05
done
[ "$(st b .epoch)" -gt "$ep" ] && pass failover_epochs_go_on ||
    fail failover_epochs_go_on "epoch stays $ep"
# the master leaves gracefully: the next in line (node 3) takes over at
# once, without waiting D, and the old master hands its pages off
t0=$(now_ms)
out=$(cluster_ctl b leave 2>&1)
for k in $(seq 1 100); do cluster_alive b || break; sleep 0.05; done
if echo "$out" | grep -q "left the cluster" && ! cluster_alive b &&
    converged 3 15 && [ "$(st c .master)" = 3 ] && [ "$(st c .term)" = 3 ]; then
	pass handover_master_leaves
else
	fail handover_master_leaves "$out; $(views)"
fi
took=$(sed -n 's/.*hands its role over: taking over.*/x/p' "$CL_TMP/c.log" |
    head -1)
[ "$took" = x ] && ! grep -q "silent for .* taking over" "$CL_TMP/c.log" &&
    pass handover_without_waiting || fail handover_without_waiting \
    "$(grep "taking over" "$CL_TMP/c.log")"
echo "  (leave of master node 2 to one membership under node 3:" \
    "$(( $(now_ms) - t0 )) ms; $out)"
out=$(cluster_ctl d exercise --pages 400 --space 7 --no-put --keep --json)
if [ "$(echo "$out" | jq '.mismatches == 0 and .get.error == 0 and
    .get.ok + .get.miss == 400')" = true ]; then
	pass handover_pages_intact
else
	fail handover_pages_intact "$out"
fi
for n in c d e; do cluster_kill $n KILL; done

# ---------------------------------------------------------------- part 2
NS=gmsf$$			# namespaces gmsf<pid>h (bridge) and ..1-5
NSL=""
ns_cleanup() {
	local ns
	cluster_cleanup
	for ns in $NSL; do ip netns del "$ns" 2>/dev/null; done
}
trap ns_cleanup EXIT

ns_setup() {
	local i
	ip netns add ${NS}h || return 1
	NSL="${NS}h"
	ip -n ${NS}h link add br0 type bridge || return 1
	ip -n ${NS}h link add br1 type bridge || return 1
	ip -n ${NS}h link set br0 up
	ip -n ${NS}h link set br1 up
	for i in 1 2 3 4 5 6; do
		ip netns add ${NS}$i || return 1
		NSL="$NSL ${NS}$i"
		ip -n ${NS}h link add p$i type veth peer name eth0 \
		    netns ${NS}$i || return 1
		ip -n ${NS}h link set p$i master br0 up
		ip -n ${NS}$i addr add 10.231.0.$i/24 dev eth0
		ip -n ${NS}$i link set eth0 up
		ip -n ${NS}$i link set lo up
	done
}

# ns_node NAME I ARGS: gmsd NAME in namespace I at 10.231.0.I:7070
ns_node() {
	local name=$1 i=$2 k
	shift 2
	mkdir -p "$CL_TMP/$name"
	ip netns exec ${NS}$i "$CL_BIN/gmsd" --listen 10.231.0.$i:7070 \
	    --dir "$CL_TMP/$name" "$@" >"$CL_TMP/$name.log" 2>&1 &
	echo $! >"$CL_TMP/$name.pid"
	CL_NAMES="$CL_NAMES $name"
	for k in $(seq 1 250); do
		[ -s "$CL_TMP/$name/port" ] && return 0
		sleep 0.02
	done
	return 1
}

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
	skip partition "network namespaces need root and iproute2"
	t_finish
fi
if ! ns_setup 2>"$CL_TMP/ns.err"; then
	skip partition "cannot make network namespaces here:" \
	    "$(head -1 "$CL_TMP/ns.err")"
	t_finish
fi
CL_NAMES=""
ns_node p1 1 --mem 4M --heartbeat $HB
for i in 2 3 4 5; do
	ns_node p$i $i --mem 4M --master 10.231.0.1:7070
done
converged 5 20 && pass partition_cluster_up || { fail partition_cluster_up; t_finish; }
out=$(cluster_ctl p4 exercise --pages 600 --space 9 --keep --json)
[ "$(echo "$out" | jq .put.ok)" = 600 ] || fail partition_put "$out"

# move nodes 1 (the master) and 2 to a bridge of their own: a minority
ip -n ${NS}h link set p1 master br1
ip -n ${NS}h link set p2 master br1
t0=$(now_ms)
major=""
while [ $(( $(now_ms) - t0 )) -lt 20000 ]; do
	v3=$(cluster_ctl p3 status --json 2>/dev/null)
	if [ "$(echo "$v3" | jq '.is_master and .quorum and
	    ([.members[].id] == [3,4,5])')" = true ]; then
		major=$(( $(now_ms) - t0 ))
		break
	fi
	sleep 0.05
done
if [ -n "$major" ]; then
	pass partition_majority_elects
else
	fail partition_majority_elects "$(views)"
fi
echo "  (majority {3,4,5}: node 3 master with members 3,4,5 after" \
    "${major:-?} ms; its rank-1 bound is 2D + heartbeat = $((2 * D + HB))" \
    "ms, then D to declare 1 and 2 dead)"
v1=$(cluster_ctl p1 status --json)
if [ "$(echo "$v1" | jq '.is_master and (.quorum | not) and
    (.members | length) == 5 and .term == 1')" = true ]; then
	pass partition_minority_frozen
else
	fail partition_minority_frozen "$(echo "$v1" | jq -c '[.is_master,.quorum,.term,[.members[].id]]')"
fi
# a node joining on the minority side is refused, cleanly
mkdir -p "$CL_TMP/j"
ip netns exec ${NS}1 "$CL_BIN/gmsd" --listen 10.231.0.1:7071 \
    --dir "$CL_TMP/j" --mem 4M --master 10.231.0.1:7070 \
    >"$CL_TMP/j.log" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q "without a quorum" "$CL_TMP/j.log"; then
	pass partition_minority_refuses_join
else
	fail partition_minority_refuses_join "rc $rc: $(tail -2 "$CL_TMP/j.log")"
fi
# and a join on the majority side works (namespace 6, through node 4)
ns_node p6 6 --mem 4M --master 10.231.0.4:7070
for k in $(seq 1 100); do
	[ "$(st p6 .state 2>/dev/null)" = member ] && break
	sleep 0.05
done
[ "$(st p6 .node)" = 6 ] && [ "$(st p3 '.members | length')" = 4 ] &&
    pass partition_majority_admits || fail partition_majority_admits \
    "$(st p6 .node) $(st p3 '[.members[].id]|tostring')"
[ "$(st p1 .pod_version)" = "$(echo "$v1" | jq .pod_version)" ] &&
    pass partition_minority_pod_unchanged ||
    fail partition_minority_pod_unchanged

# heal
ip -n ${NS}h link set p1 master br0
ip -n ${NS}h link set p2 master br0
t0=$(now_ms)
if converged 6 30; then
	pass partition_heals_one_master
else
	fail partition_heals_one_master
fi
echo "  (healed: $(( $(now_ms) - t0 )) ms to one master and one" \
    "membership: $(views | head -1 | cut -d' ' -f3-))"
m=$(views | cut -d' ' -f3 | sort -u)
ids=$(views | awk '{print $1}' | sort -n | tr '\n' ' ')
[ "$m" = 3 ] && [ "$ids" = "1 2 3 4 5 6 " ] && pass partition_ids_kept ||
    fail partition_ids_kept "master $m ids $ids"
out=$(cluster_ctl p4 exercise --pages 600 --space 9 --no-put --keep --json)
if [ "$(echo "$out" | jq '.mismatches == 0 and .get.error == 0 and
    .get.ok + .get.miss == 600')" = true ]; then
	pass partition_pages_intact
else
	fail partition_pages_intact "$out"
fi
echo "  (pages read back after the heal: $(echo "$out" | jq -c .get))"

# a lone member cut off long enough to claim the master's role under a
# higher term (rank 3 of 5 successors: after 4D) never gets a quorum; the
# others drop it; after the heal it steps down and joins again, same id
ip -n ${NS}h link set p5 master br1
t0=$(now_ms)
while [ $(( $(now_ms) - t0 )) -lt 15000 ]; do
	[ "$(st p5 .is_master)" = true ] &&
	    [ "$(st p3 '.members | length')" = 5 ] && break
	sleep 0.05
done
v5=$(cluster_ctl p5 status --json)
if [ "$(echo "$v5" | jq '.is_master and (.quorum | not) and .term == 3')" = true ]; then
	pass partition_lone_claimant_no_quorum
else
	fail partition_lone_claimant_no_quorum "$(echo "$v5" | jq -c '[.is_master,.quorum,.term]')"
fi
ip -n ${NS}h link set p5 master br0
t0=$(now_ms)
if converged 6 30 && [ "$(st p5 .node)" = 5 ] && [ "$(st p5 .master)" = 3 ]; then
	pass partition_lone_claimant_steps_down
else
	fail partition_lone_claimant_steps_down "$(views)"
fi
echo "  (the lone claimant (term 3) stepped down and was back as node 5" \
    "$(( $(now_ms) - t0 )) ms after the heal)"
t_finish
