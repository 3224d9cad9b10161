#!/bin/bash
# A cluster over a shaped link: the nodes run in two network namespaces
# joined by a veth pair whose both ends are held to 20 Mb/s by tc tbf (the
# kernel has no netem, so no delay or loss here: see test_lossy.sh).  The
# cluster forms, the hammer verifies every page, and tbf did shape traffic.
#   TBF_SECONDS (default 8): how long the hammer runs.
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}
SECS=${TBF_SECONDS:-8}
NSA=gmsa$$ NSB=gmsb$$ VA=gva$$ VB=gvb$$
NET=10.$((200 + $$ % 50)).$(( ($$ / 50) % 250 ))
ADDR_A=$NET.1 ADDR_B=$NET.2

ns_cleanup() {
	cluster_cleanup
	ip netns del $NSA 2>/dev/null
	ip netns del $NSB 2>/dev/null
}
trap ns_cleanup EXIT

if ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
	skip cluster_over_tbf "ip or tc (iproute2) is not installed"
	exit 0
fi
if ! ip netns add $NSA 2>"$CL_TMP/ns.err" || ! ip netns add $NSB 2>>"$CL_TMP/ns.err"
then
	skip cluster_over_tbf "cannot make network namespaces (root needed):" \
	    "$(head -1 "$CL_TMP/ns.err")"
	exit 0
fi
if ! { ip link add $VA netns $NSA type veth peer name $VB netns $NSB &&
    ip -n $NSA addr add $ADDR_A/24 dev $VA &&
    ip -n $NSB addr add $ADDR_B/24 dev $VB &&
    ip -n $NSA link set $VA up && ip -n $NSB link set $VB up &&
    ip -n $NSA link set lo up && ip -n $NSB link set lo up; } \
    2>"$CL_TMP/ns.err"; then
	skip cluster_over_tbf "cannot make a veth pair: $(head -1 "$CL_TMP/ns.err")"
	exit 0
fi
if ! { ip netns exec $NSA tc qdisc add dev $VA root tbf rate 20mbit \
    burst 32kb latency 100ms &&
    ip netns exec $NSB tc qdisc add dev $VB root tbf rate 20mbit \
    burst 32kb latency 100ms; } 2>"$CL_TMP/ns.err"; then
	skip cluster_over_tbf "tc cannot add a tbf qdisc: $(head -1 "$CL_TMP/ns.err")"
	exit 0
fi

# m and q in namespace A, p (the short one, running the program) in B:
# every page p sends out or fetches crosses the shaped veth.
cluster_master_ns $NSA $ADDR_A m --mem 32M --heartbeat 200
cluster_node_ns $NSB $ADDR_B p --mem 2M
cluster_node_ns $NSA $ADDR_A q --mem 32M
if cluster_wait_members 3 20; then
	pass cluster_over_tbf
else
	fail cluster_over_tbf "no convergence"
	t_finish
fi

$GMSMEM --dir "$CL_TMP/p" --seed 21 map:1500 hammer:4:$SECS:2000000 check \
    >"$CL_TMP/hammer.out" 2>&1
rc=$?
acc=$(sed -n 's/^hammer: accesses \([0-9]*\),.*/\1/p' "$CL_TMP/hammer.out")
bad=$(sed -n 's/.*mismatches \([0-9]*\)$/\1/p' "$CL_TMP/hammer.out" | head -1)
remote=$(st p .counters.faults_cluster)
# (a 4 KB page takes 1.6 ms at 20 Mb/s: far fewer accesses than on lo)
if [ $rc = 0 ] && [ "${bad:-1}" = 0 ] && [ "${acc:-0}" -ge 1000 ] &&
    [ "$remote" -ge 500 ] &&
    grep -q "verified 1500 pages, 0 mismatches" "$CL_TMP/hammer.out"; then
	pass tbf_hammer_no_mismatch
else
	fail tbf_hammer_no_mismatch "rc $rc, ${bad:-?} mismatches," \
	    "${acc:-0} accesses, $remote cluster faults" \
	    "$(tail -5 "$CL_TMP/hammer.out")"
fi
# tbf saw the pages and held some back (overlimits: packets it delayed)
stats=$(ip netns exec $NSB tc -s qdisc show dev $VB)
sent=$(echo "$stats" | sed -n 's/^ *Sent \([0-9]*\) bytes.*/\1/p' | head -1)
over=$(echo "$stats" | sed -n 's/.*overlimits \([0-9]*\).*/\1/p' | head -1)
echo "  (${acc:-0} accesses, $remote faults from other nodes; p's veth:" \
    "$sent bytes sent, $over packets held by tbf)"
[ "${sent:-0}" -ge $((1000 * 4096)) ] && [ "${over:-0}" -gt 0 ] &&
    pass tbf_shaped_the_pages || fail tbf_shaped_the_pages "$stats"
t_finish
