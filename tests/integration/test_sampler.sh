#!/bin/bash
# The age sampler: pages a program keeps touching stay young, untouched
# pages age, and eviction picks the old ones.  The same run with the
# sampler off shows the difference (the hot pages, written first, are
# then the oldest and go first).
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=$CL_ROOT/build/tests/tools/gmsmem

cluster_master m --mem 32M
cluster_node p --mem 192K --sample-ms 100 --sample-share 100
cluster_node q --mem 192K --sample-ms 0
cluster_wait_members 3 10 || { fail join "no convergence"; t_finish; }

# run NODE: 48 frames; write pages 0-47, keep 0-15 hot for 2 s, pause,
# then write 48-63: sixteen pages must leave.
run() {
	local node=$1
	rm -f "$CL_TMP/go"; mkfifo "$CL_TMP/go"
	$GMSMEM --dir "$CL_TMP/$node" map:80 write:0-47 touch:0-15:2000 pause \
	    write:48-63 pause check <"$CL_TMP/go" >"$CL_TMP/$node.out" 2>&1 &
	prog=$!
	exec 3>"$CL_TMP/go"
}
wait_paused() {
	local i
	for i in $(seq 1 300); do
		[ "$(grep -c '^paused' "$CL_TMP/$1.out")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# ages (ms) of the local pages of NODE's region in range A-B, as a list
ages() {
	local now
	now=$(st "$1" .now_ms)
	cluster_ctl "$1" pages | jq -r --argjson now "$now" --argjson a "$2" \
	    --argjson b "$3" 'select(.kind == "local") |
	    (.uid | split(":") | .[2] | tonumber) as $pg |
	    select($pg >= $a and $pg <= $b) | $now - .last_ref'
}
hot_local() {	# how many of pages 0-15 are still local on NODE
	cluster_ctl "$1" pages | jq -r 'select(.kind == "local") |
	    .uid | split(":") | .[2] | tonumber | select(. < 16)' | wc -l
}

run p
wait_paused p 1 || fail sampler_run "$(cat "$CL_TMP/p.out")"
hot_max=$(ages p 0 15 | sort -n | tail -1)
cold_min=$(ages p 16 47 | sort -n | head -1)
if [ -n "$hot_max" ] && [ -n "$cold_min" ] && [ "$hot_max" -lt 600 ] &&
    [ "$cold_min" -gt 1500 ]; then
	pass touched_pages_stay_young
else
	fail touched_pages_stay_young "hot ages up to $hot_max ms, cold from $cold_min ms"
fi
echo "  (hot pages at most $hot_max ms old, untouched at least $cold_min ms;" \
    "$(st p .counters.referenced) references seen in $(st p .counters.sampled) pages sampled)"
echo >&3; wait_paused p 2
h=$(hot_local p)
[ "$h" = 16 ] && pass eviction_picks_old_pages ||
    fail eviction_picks_old_pages "$h of the 16 hot pages still local"
echo >&3; wait $prog; rc=$?; exec 3>&-
[ $rc = 0 ] && pass sampler_pages_correct || fail sampler_pages_correct \
    "$(cat "$CL_TMP/p.out")"

# the control: no sampler, the hot pages (written first) are the oldest
run q
wait_paused q 1; echo >&3; wait_paused q 2
h=$(hot_local q)
[ "$h" -lt 16 ] && pass without_sampler_hot_pages_evicted ||
    fail without_sampler_hot_pages_evicted "$h of 16 hot pages still local"
echo "  (without the sampler $h of the 16 hot pages stayed)"
echo >&3; wait $prog; exec 3>&-
t_finish
