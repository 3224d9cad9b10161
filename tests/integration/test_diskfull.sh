#!/bin/bash
# The backing store runs out of disk: a program whose dirty pages must be
# written back to a full file system ends with gmsd's one-sentence reason
# and exit status 74 (GMS_EXIT_STORE), promptly; gmsd says why in its log
# and goes on serving.  The same run with room on the disk passes its
# check (the control).  The node's --dir is a 4 MiB tmpfs the test mounts
# (and unmounts on exit).
. "$(dirname "$0")/lib.sh"
cluster_init
MEM=$CL_ROOT/build/tests/tools/gmsmem
NPAGES=512			# 2 MiB region, 1 MiB --mem: 256 write-backs
MNT=$CL_TMP/m

df_cleanup() {
	local name pid
	[ -n "${GMSMEM_PID:-}" ] && kill -9 "$GMSMEM_PID" 2>/dev/null
	for name in $CL_NAMES; do
		pid=$(cat "$CL_TMP/$name.pid" 2>/dev/null) || continue
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	mountpoint -q "$MNT" && umount "$MNT"
	cluster_cleanup
}
trap df_cleanup EXIT

mkdir -p "$MNT"
if ! mount -t tmpfs -o size=4m "gms-diskfull-$$" "$MNT" 2>/dev/null; then
	skip diskfull "cannot mount a tmpfs here (needs root and mount rights)"
	exit 0
fi
cluster_master m --mem 1M --policy local || { fail start; t_finish; }

# run_paused NAME FILL: gmsmem maps the region, pauses (FILL fills the
# disk there), writes every page, checks them; sets RC and OUT.
run_paused() {
	local fifo=$CL_TMP/$1.fifo out=$CL_TMP/$1.out i
	mkfifo "$fifo"
	timeout 60 "$MEM" --dir "$MNT" map:$NPAGES pause \
	    write:0-$((NPAGES - 1)):1 check <"$fifo" >"$out" 2>&1 &
	GMSMEM_PID=$!
	exec 3>"$fifo"
	for i in $(seq 1 200); do	# 20 s
		grep -q paused "$out" && break
		kill -0 $GMSMEM_PID 2>/dev/null || break
		sleep 0.1
	done
	[ "$2" = fill ] && dd if=/dev/zero of="$MNT/filler" bs=64k \
	    2>/dev/null
	echo >&3
	exec 3>&-
	wait $GMSMEM_PID
	RC=$?
	GMSMEM_PID=
	OUT=$(cat "$out")
	rm -f "$fifo"
}

run_paused room nofill
[ $RC = 0 ] && pass diskfull_control_with_room ||
    fail diskfull_control_with_room "exit $RC: $OUT"
wb=$(st m .counters.writebacks 2>/dev/null)
[ "${wb:-0}" -ge 200 ] 2>/dev/null && pass diskfull_control_wrote_back ||
    fail diskfull_control_wrote_back "writebacks $wb"

t0=$(date +%s)
run_paused full fill
t1=$(date +%s)
want="cannot write to its backing store: No space left on device"
if [ $RC = 74 ] && echo "$OUT" | grep -q "^gms: gmsd at $MNT $want"; then
	pass diskfull_program_exits_74_with_reason
else
	fail diskfull_program_exits_74_with_reason "exit $RC: $OUT"
fi
# no hang: the program ends well within its 60 s timeout
[ $((t1 - t0)) -lt 30 ] && pass diskfull_no_hang ||
    fail diskfull_no_hang "$((t1 - t0)) s"
echo "$OUT" | grep -q "wrong content\|mismatch" &&
    fail diskfull_no_wrong_page "$OUT" || pass diskfull_no_wrong_page
if cluster_alive m && grep -q "$want" "$CL_TMP/m.log"; then
	pass diskfull_gmsd_logs_it
else
	fail diskfull_gmsd_logs_it "$(tail -3 "$CL_TMP/m.log")"
fi
# gmsd dropped the program's region and still serves
for i in $(seq 1 50); do
	n=$(st m .regions 2>/dev/null)
	[ "$n" = 0 ] && break
	sleep 0.1
done
[ "$n" = 0 ] && pass diskfull_region_dropped ||
    fail diskfull_region_dropped "regions $n"
rm -f "$MNT/filler"
run_paused after nofill
[ $RC = 0 ] && pass diskfull_serves_after_room_is_back ||
    fail diskfull_serves_after_room_is_back "exit $RC: $OUT"
t_finish
