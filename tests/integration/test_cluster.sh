#!/bin/bash
# Four real gmsd processes: join, POD agreement, pages put, found by the
# two-step lookup, fetched back with their contents verified, discarded.
. "$(dirname "$0")/lib.sh"
cluster_init

cluster_master n1 --mem 8M
cluster_node n2 --mem 2M
cluster_node n3 --mem 8M
cluster_node n4 --mem 8M

if cluster_wait_members 4 10; then
	pass join_four_nodes
else
	fail join_four_nodes "members did not converge to 4"
	t_finish
fi

# Every node has the same POD: version, members and the same owners.
pods=""
for n in n1 n2 n3 n4; do
	pods="$pods$(st $n '[.pod_version, [.members[].id]] | tostring')\n"
done
if [ "$(printf "$pods" | sort -u | wc -l)" = 1 ]; then
	pass pod_agreement
else
	fail pod_agreement "$(printf "$pods")"
fi
ids=$(for n in n1 n2 n3 n4; do st $n .node; done | sort -u | tr '\n' ' ')
[ "$ids" = "1 2 3 4 " ] && pass node_ids_unique || fail node_ids_unique "$ids"

# Node 2 puts 1500 pages (6 MB) into the others' memory, gets every one
# back verified, and discards them.
out=$(cluster_ctl n2 exercise --pages 1500 --keep --json)
ok=$(echo "$out" | jq '.put.ok == 1500 and .get.ok == 1500 and .mismatches == 0')
[ "$ok" = true ] && pass put_get_verified || fail put_get_verified "$out"

held=$(( $(st n1 .global) + $(st n3 .global) + $(st n4 .global) ))
# The gets moved the pages back to node 2 (a private page comes home):
# its 512 frames hold the newest, the rest went out again (case 2).
n2local=$(st n2 .local)
if [ $((held + n2local)) -eq 1500 ] && [ "$n2local" -le 512 ]; then
	pass pages_accounted_once
else
	fail pages_accounted_once "held elsewhere $held, local on n2 $n2local"
fi
fw=$(st n2 '.counters.get_remote')
[ "$fw" -ge 1 ] && pass two_step_lookup_remote || fail two_step_lookup_remote "get_remote $fw"

out=$(cluster_ctl n2 exercise --pages 1500 --no-put --json)
ok=$(echo "$out" | jq '.get.ok == 1500 and .mismatches == 0 and .discard.ok == 1500')
[ "$ok" = true ] && pass get_again_then_discard || fail get_again_then_discard "$out"
sleep 0.3
left=$(( $(st n1 .global) + $(st n3 .global) + $(st n4 .global) + $(st n2 .local) ))
[ "$left" -eq 0 ] && pass discard_frees_everywhere || fail discard_frees_everywhere "$left pages left"
out=$(cluster_ctl n2 exercise --pages 50 --no-put --keep --json)
[ "$(echo "$out" | jq .get.miss)" = 50 ] && pass get_after_discard_misses ||
    fail get_after_discard_misses "$out"

# A shared page put by node 3 is found by node 4 through the GCD node of
# its bucket (forwarded getpage), and both keep a copy (case 4).
head -c 4096 /dev/urandom >"$CL_TMP/page"
cluster_ctl n3 put 0:9s:7 "$CL_TMP/page"
if cluster_ctl n4 get 0:9s:7 "$CL_TMP/got" && cmp -s "$CL_TMP/page" "$CL_TMP/got"; then
	pass shared_page_other_node
else
	fail shared_page_other_node "contents differ or get failed"
fi
cluster_ctl n1 get 0:9s:7 "$CL_TMP/got1"
cmp -s "$CL_TMP/page" "$CL_TMP/got1" && pass shared_page_third_node ||
    fail shared_page_third_node
fwd=$(( $(st n1 .counters.forwards) + $(st n2 .counters.forwards) + \
    $(st n3 .counters.forwards) + $(st n4 .counters.forwards) ))
[ "$fwd" -ge 1 ] && pass getpage_forwarded || fail getpage_forwarded "no forwards"
cluster_ctl n4 discard 0:9s:7
sleep 0.2
if ! cluster_ctl n1 get 0:9s:7 /dev/null 2>/dev/null &&
    [ "$(st n4 .local)" = 0 ]; then
	pass shared_discard
else
	fail shared_discard
fi

# No retransmission or drop on a quiet loopback: the counters say so.
drops=0
for n in n1 n2 n3 n4; do drops=$((drops + $(st $n .counters.drops))); done
[ "$drops" = 0 ] && pass no_drops || fail no_drops "$drops drops"
t_finish
