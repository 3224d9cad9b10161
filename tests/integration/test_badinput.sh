#!/bin/bash
# Bad input gets one clear sentence and a clean exit (for a daemon) or a
# counted drop (for a datagram).  Nothing crashes.
. "$(dirname "$0")/lib.sh"
cluster_init
INJ=$CL_ROOT/build/tests/tools/gmsinject

G=$CL_BIN/gmsd
expect_fail unknown_flag 2 "unrecognized option|usage" $G --bogus
expect_fail bad_mem 1 "--mem 12Q: not a size" $G --mem 12Q
expect_fail bad_page_size 1 "--page-size 3000: must be a power of two" \
    $G --page-size 3000
expect_fail bad_listen 1 "--listen: 'nonsense' is not HOST:PORT" \
    $G --listen nonsense
expect_fail no_key 1 "no cluster key" env -u GMS_KEY $G --dir "$CL_TMP/x"
expect_fail missing_key_file 1 "cannot read the key file" \
    $G --key-file /nonexistent/key --dir "$CL_TMP/x"
expect_fail bad_disk_model 1 "--disk floppy: one of none" $G --disk floppy
expect_fail bad_policy 1 "--policy lru: gms" $G --policy lru
expect_fail ctl_unknown_command 2 "unknown command" \
    $CL_BIN/gmsctl --dir "$CL_TMP/x" frobnicate

cluster_master m --mem 4M --heartbeat 100
cluster_node a --mem 4M
cluster_wait_members 2 10 || fail join "no convergence"
MP=$(cluster_port m)

expect_fail address_in_use 1 "cannot bind UDP 127.0.0.1:$MP" \
    $G --listen "127.0.0.1:$MP" --dir "$CL_TMP/y"
# A port nobody answers on: the joining node gives up after 3 s.
dead=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)
expect_fail master_silent 1 "no answer from the master at 127.0.0.1:$dead" \
    $G --listen 127.0.0.1:0 --master "127.0.0.1:$dead" --dir "$CL_TMP/z"

# A node with the wrong key cannot join; the master counts bad MACs.
before=$(st m '.counters["bad-mac"]')
expect_fail wrong_key_refused 1 "same --key" env GMS_KEY=not-the-cluster-key \
    $G --listen 127.0.0.1:0 --master "127.0.0.1:$MP" --dir "$CL_TMP/w"
after=$(st m '.counters["bad-mac"]')
[ "$after" -gt "$before" ] && pass wrong_key_counted_bad_mac ||
    fail wrong_key_counted_bad_mac "bad-mac $before -> $after"
[ "$(st m '.members | length')" = 2 ] && pass wrong_key_not_member ||
    fail wrong_key_not_member

# Hostile datagrams are counted by reason and dropped.
AP=$(cluster_port a)
for kind in garbage badmac badcluster stranger truncated oversized; do
	$INJ "127.0.0.1:$AP" $kind
done
sleep 0.3
c=$(st a '.counters | [.["bad-magic"], .["bad-mac"], .["bad-cluster"], .drop_stranger, .["bad-length"]] | map(tostring) | join(" ")')
read -r magic mac clus strg blen <<<"$c"
[ "$magic" -ge 1 ] && pass garbage_dropped || fail garbage_dropped "$c"
[ "$mac" -ge 1 ] && pass bad_mac_dropped || fail bad_mac_dropped "$c"
[ "$clus" -ge 1 ] && pass other_cluster_dropped || fail other_cluster_dropped "$c"
[ "$strg" -ge 1 ] && pass stranger_dropped || fail stranger_dropped "$c"
# a truncated datagram fails its MAC; an oversized one re-signed fails
# the length check: together with badmac, three drops for these reasons
[ "$((mac + blen))" -ge 3 ] && [ "$blen" -ge 1 ] &&
    pass truncated_and_oversized_dropped ||
    fail truncated_and_oversized_dropped "$c"
sp=$(st a .counters.served_misses)
[ "$sp" = 0 ] && pass hostile_not_acted_on || fail hostile_not_acted_on "served $sp"
out=$(cluster_ctl a exercise --pages 200 --json)
if cluster_alive a && [ "$(echo "$out" | jq '.get.ok == 200')" = true ]; then
	pass node_serves_after_hostile_input
else
	fail node_serves_after_hostile_input "$out"
fi
t_finish
