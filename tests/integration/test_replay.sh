#!/bin/bash
# Replay protection: datagrams recorded on the wire (gmsd --trace) and sent
# again later, after the receiver's reply cache has forgotten them, are
# dropped and counted, not acted on: an old PUTPAGE, and an old DISCARD
# that would drop the page's newer copy.  A node that restarts (a new life
# on the same port) is still heard.
. "$(dirname "$0")/lib.sh"
cluster_init
INJ=$CL_ROOT/build/tests/tools/gmsinject
KEEP_S=6	# past the reply cache (NET_REPLY_KEEP_MS, 5 s)

cluster_master m --mem 8M --trace "$CL_TMP/m.pcap"
cluster_node q --mem 8M
cluster_wait_members 2 10 || { fail join "no convergence"; t_finish; }
mid=$(st m .node)
qid=$(st q .node)
qport=$(cluster_port q)

head -c 4096 /dev/urandom >"$CL_TMP/page"
cluster_ctl m put "$mid:7:1" "$CL_TMP/page" --to "$qid" &&
    cluster_ctl m get "$mid:7:1" "$CL_TMP/got" && cmp -s "$CL_TMP/page" "$CL_TMP/got" ||
    fail put_to_q "the page did not go to q and back"
# get moved it home; put it on q again, drop it from the cluster, and put
# it on q a last time
cluster_ctl m put "$mid:7:1" "$CL_TMP/page" --to "$qid" &&
    cluster_ctl m discard "$mid:7:1" &&
    cluster_ctl m put "$mid:7:1" "$CL_TMP/page" --to "$qid" ||
    fail discard "put or discard failed"
sleep 0.3
g0=$(st q .global)
r0=$(st q .counters.drop_replay)
p0=$(st q '.messages.PUTPAGE.recv')
sleep $KEEP_S		# the trace is flushed, the reply cache forgets

out=$($INJ "127.0.0.1:$qport" replay "$CL_TMP/m.pcap" PUTPAGE)
echo "  $out"
sleep 0.5
g1=$(st q .global)
r1=$(st q .counters.drop_replay)
p1=$(st q '.messages.PUTPAGE.recv')
n=$(echo "$out" | sed -n 's/^replayed \([0-9]*\) .*/\1/p')
if [ "${n:-0}" -ge 2 ] && [ $((r1 - r0)) = "$n" ] && [ "$g1" = "$g0" ] &&
    [ "$p1" = "$p0" ]; then
	pass replayed_putpage_dropped
else
	fail replayed_putpage_dropped "$n replayed: drop_replay $r0 -> $r1," \
	    "q global $g0 -> $g1, PUTPAGE received $p0 -> $p1"
fi
r0=$r1
out=$($INJ "127.0.0.1:$qport" replay "$CL_TMP/m.pcap" DISCARD)
echo "  $out"
sleep 0.5
r1=$(st q .counters.drop_replay)
n=$(echo "$out" | sed -n 's/^replayed \([0-9]*\) .*/\1/p')
if [ "${n:-0}" -ge 1 ] && [ $((r1 - r0)) = "$n" ] &&
    cluster_ctl m get "$mid:7:1" "$CL_TMP/got2" &&
    cmp -s "$CL_TMP/page" "$CL_TMP/got2"; then
	pass replayed_discard_dropped
else
	fail replayed_discard_dropped "$n replayed: drop_replay $r0 -> $r1;" \
	    "the page is $(cmp -s "$CL_TMP/page" "$CL_TMP/got2" && echo intact ||
	    echo gone)"
fi

# A fresh, stamped datagram still goes through the check (it is a stranger,
# not a replay): the window does not block new datagrams.
s0=$(st q .counters.drop_stranger)
$INJ "127.0.0.1:$qport" stranger
sleep 0.3
[ "$(st q .counters.drop_stranger)" = $((s0 + 1)) ] &&
    pass fresh_datagram_not_a_replay ||
    fail fresh_datagram_not_a_replay "drop_stranger $s0 -> $(st q .counters.drop_stranger)"

# q restarts on the same port: a new life, stamps above the old ones; the
# master hears it and it serves pages again.
qdir_port=$qport
cluster_kill q KILL
cluster_start q2 --listen "127.0.0.1:$qdir_port" --master "$CL_MASTER" --mem 8M ||
    fail restart "q did not start again"
if cluster_wait_members 2 15; then
	out=$(cluster_ctl m exercise --pages 50 --space 8 --json)
	[ "$(echo "$out" | jq '.get.ok == 50 and .mismatches == 0')" = true ] &&
	    [ "$(st q2 .counters.drop_replay)" = 0 ] &&
	    [ "$(st m .counters.drop_replay)" = 0 ] &&
	    pass restarted_node_heard || fail restarted_node_heard "$out" \
	    "replays dropped: m $(st m .counters.drop_replay)," \
	    "q $(st q2 .counters.drop_replay)"
else
	fail restarted_node_heard "q did not rejoin"
fi
t_finish
