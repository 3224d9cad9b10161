#!/bin/bash
# Page size is a cluster setting: 8 KiB pages as in the paper work end to
# end, and a node with another page size is refused with a clear reason.
. "$(dirname "$0")/lib.sh"
cluster_init

cluster_master m --mem 4M --page-size 8192
cluster_node a --mem 4M --page-size 8192
cluster_node b --mem 4M --page-size 8192
cluster_wait_members 3 10 || fail join_8k "no convergence"
[ "$(st a .page_size)" = 8192 ] && pass page_size_8k || fail page_size_8k
out=$(cluster_ctl a exercise --pages 600 --json)
[ "$(echo "$out" | jq '.get.ok == 600 and .mismatches == 0')" = true ] &&
    pass exercise_8k || fail exercise_8k "$out"

cluster_node c --mem 4M --page-size 4096
for i in $(seq 1 100); do cluster_alive c || break; sleep 0.05; done
if ! cluster_alive c && grep -q "page size is 8192" "$CL_TMP/c.log"; then
	pass wrong_page_size_refused
else
	fail wrong_page_size_refused "$(cluster_log c)"
fi
t_finish
