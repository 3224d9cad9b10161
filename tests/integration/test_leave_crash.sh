#!/bin/bash
# Graceful leave hands a node's global pages and GCD partition off first;
# kill -9 of a holder: the others keep serving, its pages read as misses.
. "$(dirname "$0")/lib.sh"
cluster_init

cluster_master n1 --mem 8M --heartbeat 100
for n in n2 n3 n4 n5; do cluster_node $n --mem 8M; done
cluster_wait_members 5 10 || { fail join_five "no convergence"; t_finish; }
pass join_five

# Node 2 puts 3000 private pages and 300 shared pages, whose GCD entries
# are spread over every node's partition.
cluster_ctl n2 exercise --pages 3000 --space 1 --no-put --keep >/dev/null 2>&1
out=$(cluster_ctl n2 exercise --pages 3000 --space 1 --keep --json)
[ "$(echo "$out" | jq .put.ok)" = 3000 ] || fail put_private "$out"
out=$(cluster_ctl n2 exercise --pages 300 --space 5 --shared --keep --json)
[ "$(echo "$out" | jq .put.ok)" = 300 ] || fail put_shared "$out"
# the gets above moved node 2's pages home; put them out again
cluster_ctl n2 exercise --pages 3000 --space 1 --keep >/dev/null

# The node holding most global pages leaves.
lv=""; lvg=-1
for n in n3 n4 n5; do
	g=$(st $n .global)
	[ "$g" -gt "$lvg" ] && { lv=$n; lvg=$g; }
done
gcdl=$(st $lv .gcd_entries)
if [ "$lvg" -gt 0 ] && [ "$gcdl" -gt 0 ]; then
	pass leaver_holds_pages
	echo "  ($lv leaves with $lvg global pages and $gcdl GCD entries)"
else
	fail leaver_holds_pages "$lv global $lvg gcd $gcdl"
fi
rest=$(echo n3 n4 n5 | tr ' ' '\n' | grep -v "^$lv$" | tr '\n' ' ')
# putpage datagrams received by the nodes that stay
received() {
	local n sum=0
	for n in n1 n2 $rest; do
		sum=$((sum + $(st $n "(.messages.$1.recv // 0)")))
	done
	echo $sum
}
b0=$(received PUTBATCH); s0=$(received PUTPAGE)

out=$(cluster_ctl $lv leave 2>&1)
for i in $(seq 1 100); do cluster_alive $lv || break; sleep 0.05; done
if ! cluster_alive $lv && echo "$out" | grep -q "left the cluster"; then
	pass graceful_leave_exits
else
	fail graceful_leave_exits "$out"
fi
cluster_wait_members 4 10 && pass members_after_leave ||
    fail members_after_leave
ho=$(grep -c "handing off" "$CL_TMP/$lv.log")
[ "$ho" -ge 1 ] && pass leave_logged_handoff || fail leave_logged_handoff
# The hand-off travels in PUTBATCHes: fewer datagrams than half its pages.
b1=$(received PUTBATCH); s1=$(received PUTPAGE)
info="$lvg pages handed off in $((b1 - b0)) PUTBATCHes and $((s1 - s0)) PUTPAGEs"
echo "  ($info)"
[ $((b1 - b0)) -gt 0 ] && [ $(((b1 - b0 + s1 - s0) * 2)) -le "$lvg" ] &&
    pass leave_hands_off_in_batches || fail leave_hands_off_in_batches "$info"

# Every page is still found, shared ones through moved GCD partitions.
out=$(cluster_ctl n2 exercise --pages 3000 --space 1 --no-put --keep --json)
if [ "$(echo "$out" | jq '.get.ok == 3000 and .mismatches == 0')" = true ]; then
	pass private_pages_survive_leave
else
	fail private_pages_survive_leave "$out"
fi
out=$(cluster_ctl n1 exercise --pages 300 --space 5 --shared --no-put --keep --json)
if [ "$(echo "$out" | jq '.get.ok == 300 and .mismatches == 0')" = true ]; then
	pass shared_pages_survive_leave
else
	fail shared_pages_survive_leave "$out"
fi

# Discard the shared pages, so every global page is one of node 2's; put
# node 2's pages out again, then kill -9 the node holding most of them.
cluster_ctl n1 exercise --pages 300 --space 5 --shared --no-put >/dev/null
sleep 0.3
cluster_ctl n2 exercise --pages 3000 --space 1 --keep >/dev/null
best=""; bestg=0
for n in $rest; do
	g=$(st $n .global)
	[ "$g" -gt "$bestg" ] && { best=$n; bestg=$g; }
done
for n in n1 n2 $rest; do echo "  before kill $n: $(st $n "[.local,.global,.gcd_entries]|tostring")"; done
cluster_kill $best KILL
t0=$SECONDS
if cluster_wait_members 3 10; then
	pass dead_node_detected
	echo "  (declared dead and POD pushed within $((SECONDS - t0 + 1)) s)"
else
	fail dead_node_detected
fi
out=$(cluster_ctl n2 exercise --pages 3000 --space 1 --no-put --keep --json)
ok=$(echo "$out" | jq .get.ok)
miss=$(echo "$out" | jq .get.miss)
err=$(echo "$out" | jq .get.error)
bad=$(echo "$out" | jq .mismatches)
# Exactly the pages that were on the dead node are misses, never errors or
# wrong bytes; everything else is still served.
if [ "$bad" = 0 ] && [ "$err" = 0 ] && [ "$miss" = "$bestg" ] &&
    [ "$bestg" -gt 0 ] && [ $((ok + miss)) = 3000 ]; then
	pass crash_pages_become_misses
	echo "  ($bestg pages on the killed node: $miss misses, $ok served)"
else
	fail crash_pages_become_misses "held $bestg; $out"
fi
out=$(cluster_ctl n1 exercise --pages 500 --space 3 --json)
[ "$(echo "$out" | jq '.get.ok == 500 and .mismatches == 0')" = true ] &&
    pass cluster_serves_after_crash || fail cluster_serves_after_crash "$out"
t_finish
