#!/bin/bash
# Backpressure (gmsd --backpressure): a node whose frames all hold its own program's busy pages
# refuses a putpage of an older page (ACK ST_FULL, counted as put_refused),
# and the sender puts it to a node with room instead; no page is lost.
# The control: the same putpage before the program fills the node lands on
# it.  Three nodes: m (room), f (1 MiB, its program's 300 pages do not
# fit), p (the sender).
. "$(dirname "$0")/lib.sh"
cluster_init
MEM=$CL_ROOT/build/tests/tools/gmsmem
BP_PID=

bp_cleanup() {
	[ -n "$BP_PID" ] && kill -9 "$BP_PID" 2>/dev/null
	cluster_cleanup
}
trap bp_cleanup EXIT

cluster_master m --mem 32M --heartbeat 100 || { fail start; t_finish; }
cluster_node f --mem 1M --backpressure || { fail start; t_finish; }
cluster_node p --mem 4M || { fail start; t_finish; }
cluster_wait_members 3 10 || { fail join "no convergence"; t_finish; }
MID=$(st m .node)
FID=$(st f .node)
head -c 4096 /dev/urandom >"$CL_TMP/page"

# holder UID: the node whose PFD holds UID as a global page (or none)
holder() {
	local name
	for name in m f p; do
		cluster_ctl "$name" pages | grep -q "\"uid\":\"$1\".*global" &&
		    echo "$name" && return
	done
	echo none
}

# The control: f has room, and a page put to it stays there.
cluster_ctl p put 0:9:1 "$CL_TMP/page" --to "$FID" --age 600000
h=$(holder "$(st p .node):9:1")
[ "$h" = f ] && pass control_put_lands_on_f_with_room ||
    fail control_put_lands_on_f_with_room "held by $h"

# f's program: 300 pages on 256 frames, referenced all along.
"$MEM" --dir "$CL_TMP/f" --seed 7 map:300 write:0-299 touch:0-299:6000 \
    check >"$CL_TMP/fmem.out" 2>&1 &
BP_PID=$!
for i in $(seq 1 100); do		# 10 s
	[ "$(st f .global)" = 0 ] && [ "$(st f .free)" = 0 ] && break
	sleep 0.1
done
r0=$(st f .counters.put_refused)
cluster_ctl p put 0:9:2 "$CL_TMP/page" --to "$FID" --age 600000 ||
    fail put_while_f_full "gmsctl put failed"
r1=$(st f .counters.put_refused)
h=$(holder "$(st p .node):9:2")
[ "$r1" -gt "$r0" ] && pass full_node_refuses_putpage ||
    fail full_node_refuses_putpage "put_refused $r0 -> $r1"
[ "$h" = m ] && pass refused_page_goes_to_node_with_room ||
    fail refused_page_goes_to_node_with_room "held by $h"
cluster_ctl p get "$(st p .node):9:2" "$CL_TMP/back" >/dev/null 2>&1
cmp -s "$CL_TMP/page" "$CL_TMP/back" && pass refused_page_reads_back ||
    fail refused_page_reads_back "content differs"

# A program on p pages through the cluster meanwhile: nothing is lost.
out=$(timeout 60 "$MEM" --dir "$CL_TMP/p" --seed 8 map:2000 \
    write:0-1999 check 2>&1)
[ $? = 0 ] && pass sender_program_check || fail sender_program_check "$out"
wait "$BP_PID"
rc=$?
BP_PID=
[ $rc = 0 ] && pass full_node_program_check ||
    fail full_node_program_check "exit $rc: $(tail -3 "$CL_TMP/fmem.out")"
echo "  (f refused $(st f .counters.put_refused) putpages; p sent" \
    "$(st p .counters.put_redirected) past a full node)"
t_finish
