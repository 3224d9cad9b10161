#!/bin/bash
# The four fault cases of GMS-REFERENCE.md section 2, each checked by
# where the pages end up (gmsctl pages lists a node's PFD).
#   M: master, 1 frame; P: the faulting node, 8 frames; Q: 64 frames.
# P's evictions go to Q, almost always (the epochs' weights follow idle
# memory: 64 frames against 1); the pages each case faults on are chosen
# at the program's pauses among those Q holds.  The age sampler is off,
# so ages come from faults and putpages alone.
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=$CL_ROOT/build/tests/tools/gmsmem

cluster_master m --mem 4K --sample-ms 0
cluster_node p --mem 32K --sample-ms 0
cluster_node q --mem 256K --sample-ms 0
cluster_wait_members 3 10 || { fail join "no convergence"; t_finish; }
P=$(st p .node)

# where UID is on NODE: "local", "global" or "" (absent)
kind() { cluster_ctl "$1" pages | jq -r "select(.uid == \"$2\") | .kind"; }
count() { st "$1" ".$2"; }

mkfifo "$CL_TMP/go"
run_prog() {	# NAME ARGS...: a gmsmem that pauses when told, fed by fd
	local name=$1
	shift
	$GMSMEM "$@" <"$CL_TMP/go" >"$CL_TMP/$name.out" 2>&1 &
	prog=$!
	exec 3>"$CL_TMP/go"
}
wait_paused() {	# NAME N: until the program has paused N times
	local i
	for i in $(seq 1 200); do
		[ "$(grep -c '^paused' "$CL_TMP/$1.out")" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "  program did not pause: $(cat "$CL_TMP/$1.out")"
	return 1
}

run_prog a --dir "$CL_TMP/p" map:16 write:0-15:1 pause pause pause pause check
wait_paused a 1
S=$(sed -n 's/.*space \([0-9]*\)$/\1/p' "$CL_TMP/a.out")
u() { echo "$P:$S:$1"; }
sleep 0.3	# the last GCD updates

# the pages 0..7 that Q holds, lowest first
on_q() {
	cluster_ctl q pages | jq -r --arg p "$P:$S:" 'select(.kind == "global")
	    | .uid | select(startswith($p)) | split(":") | .[2] | tonumber' |
	    sort -n | awk '$1 < 8'
}
# P's least recently used local page
lru_p() {
	cluster_ctl p pages | jq -s -r 'map(select(.kind == "local")) |
	    sort_by(.last_ref) | .[0].uid | split(":") | .[2]'
}

# After writing 16 pages with 8 frames: 8..15 local on P, 0..7 in the
# others' memory (on Q but for a rare one the epoch sent to M).
spilled=$(( $(count q global) + $(count m global) ))
if [ "$(kind p "$(u 15)")" = local ] && [ "$(count p local)" = 8 ] &&
    [ "$spilled" = 8 ] && [ "$(on_q | wc -l)" -ge 6 ]; then
	pass setup_pages_spill_to_q
else
	fail setup_pages_spill_to_q "p local $(count p local), q global" \
	    "$(count q global), m global $(count m global)"
fi
read -r X2 X1 X3 <<<"$(on_q | head -3 | tr '\n' ' ')"

# Case 2: X2 global on Q, P has no global page: P exchanges its LRU local
# page L with X2; neither boundary moves.
L=$(lru_p)
qg=$(count q global)
echo "read:$X2-$X2:1" >&3; wait_paused a 2; sleep 0.3
if [ "$(kind p "$(u $X2)")" = local ] && [ -z "$(kind q "$(u $X2)")" ] &&
    [ "$(kind q "$(u $L)")" = global ] && [ -z "$(kind p "$(u $L)")" ] &&
    [ "$(count p local)" = 8 ] && [ "$(count p global)" = 0 ] &&
    [ "$(count q global)" = "$qg" ]; then
	pass case2_exchange_with_lru_local_page
else
	fail case2_exchange_with_lru_local_page "X $X2 on p: $(kind p "$(u $X2)")," \
	    "on q: $(kind q "$(u $X2)"); L $L on q: $(kind q "$(u $L)");" \
	    "p $(count p local)/$(count p global), q $qg -> $(count q global)"
fi

# Case 1: P holds a global page Y (M's, old); X1 global on Q.
# X becomes local on P and P sends Y to Q: P's local part grows by one,
# Q's count does not change.
head -c 4096 /dev/urandom >"$CL_TMP/y"
Y="$(st m .node):5:0"
cluster_ctl m put "$Y" "$CL_TMP/y" --to "$P" --age 1000000
sleep 0.3
pl=$(count p local); pg=$(count p global); qg=$(count q global)
if [ "$(kind p "$Y")" = global ] && [ "$pg" = 1 ]; then
	pass case1_setup_p_holds_global_page
else
	fail case1_setup_p_holds_global_page "p holds Y as '$(kind p "$Y")', $pg global"
fi
echo "read:$X1-$X1:1" >&3; wait_paused a 3; sleep 0.3
if [ "$(kind p "$(u $X1)")" = local ] && [ -z "$(kind q "$(u $X1)")" ] &&
    [ "$(kind q "$Y")" = global ] && [ -z "$(kind p "$Y")" ] &&
    [ "$(count p local)" = $((pl + 1)) ] && [ "$(count p global)" = 0 ] &&
    [ "$(count q global)" = "$qg" ]; then
	pass case1_x_local_y_to_q
else
	fail case1_x_local_y_to_q "X $X1 on p $(kind p "$(u $X1)"), Y on q $(kind q "$Y")" \
	    "p: $pl/$pg -> $(count p local)/$(count p global); q: $qg -> $(count q global)"
fi
cluster_ctl m get "$Y" "$CL_TMP/y2" && cmp -s "$CL_TMP/y" "$CL_TMP/y2" &&
    pass case1_y_intact || fail case1_y_intact

# Case 3: X3 in no memory (its copy on Q discarded): P reads it from
# disk, with the bytes it wrote, and sends its LRU local page away.
cluster_ctl p discard "$(u $X3)"
sleep 0.3
d0=$(st p .counters.faults_disk)
echo "read:$X3-$X3:1" >&3; wait_paused a 4; sleep 0.3
d1=$(st p .counters.faults_disk)
if [ -z "$(kind q "$(u $X3)")" ] && [ "$(kind p "$(u $X3)")" = local ] &&
    [ $((d1 - d0)) = 1 ] && grep -q "verified 1 pages, 0 mismatches" "$CL_TMP/a.out" &&
    ! grep -q "mismatches [1-9]" "$CL_TMP/a.out"; then
	pass case3_read_from_disk
else
	fail case3_read_from_disk "disk faults $d0 -> $d1; $(tail -3 "$CL_TMP/a.out")"
fi
echo >&3
wait $prog
grep -q "verified 16 pages, 0 mismatches" "$CL_TMP/a.out" &&
    pass all_pages_correct_after_cases || fail all_pages_correct_after_cases \
    "$(cat "$CL_TMP/a.out")"
exec 3>&-

# Case 4: a shared page of a file, local on Q: P copies it from Q's
# memory instead of reading the file, and Q keeps its copy.
head -c $((4 * 4096)) /dev/urandom >"$CL_TMP/shared.dat"
rm -f "$CL_TMP/go"; mkfifo "$CL_TMP/go"
run_prog b --dir "$CL_TMP/q" file:"$CL_TMP/shared.dat" fread:0-3 pause
wait_paused b 1
F=$(sed -n 's/.*space \([0-9]*\)$/\1/p' "$CL_TMP/b.out")
sleep 0.3
c0=$(st p .counters.faults_cluster); d0=$(st p .counters.faults_disk)
$GMSMEM --dir "$CL_TMP/p" file:"$CL_TMP/shared.dat" fread:0-0 \
    >"$CL_TMP/c.out" 2>&1 </dev/null &
cp=$!
wait $cp; rc=$?
c1=$(st p .counters.faults_cluster); d1=$(st p .counters.faults_disk)
SU="0:${F#*:}"
if [ $rc = 0 ] && grep -q "verified 1 pages, 0 mismatches" "$CL_TMP/c.out" &&
    [ $((c1 - c0)) = 1 ] && [ $((d1 - d0)) = 0 ] &&
    [ "$(cluster_ctl q pages | jq -r 'select(.shared) | .uid' | wc -l)" = 4 ]; then
	pass case4_shared_page_copied_from_q
else
	fail case4_shared_page_copied_from_q "rc $rc cluster $c0->$c1 disk $d0->$d1" \
	    "$(cat "$CL_TMP/c.out") q: $(cluster_ctl q pages | jq -c 'select(.shared)')"
fi
echo >&3
wait $prog
exec 3>&-

# A shared page that P evicts is clean, like a private one: it goes to
# idle memory (Q), and P reads it back from there, not from the file.
# P's 8 frames read a 32-page file twice.
head -c $((32 * 4096)) /dev/urandom >"$CL_TMP/big.dat"
c0=$(st p .counters.faults_cluster)
out=$($GMSMEM --dir "$CL_TMP/p" file:"$CL_TMP/big.dat" fread:0-31 \
    fread:0-31 2>&1 </dev/null)
rc=$?
c1=$(st p .counters.faults_cluster)
g=$(cluster_ctl q pages | jq -r 'select(.shared and .kind == "global") |
    .uid' | wc -l)
if [ $rc = 0 ] && [ "$g" -gt 0 ] && [ $((c1 - c0)) -gt 0 ]; then
	pass evicted_shared_pages_go_to_idle_memory
else
	fail evicted_shared_pages_go_to_idle_memory "rc $rc, q holds $g" \
	    "global shared pages, p's cluster faults $c0 -> $c1: $out"
fi
echo "  (q held $g of the file's pages; p read $((c1 - c0)) back from them)"
t_finish
