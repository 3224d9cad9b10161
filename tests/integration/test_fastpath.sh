#!/bin/bash
# The fault path (README "The fault path"): prefetch on sequential faults
# and eviction ahead of faults with coalesced GCD updates.
#   q: master, 32M, the memory server.
#   p: 1M (256 frames), the defaults (--putpage-batch 16, --prefetch 8).
#   r: 1M, --putpage-batch 0 --prefetch 0: the same program, the control.
# A program writes 1024 pages (4x its node's memory; most go to q), then
# reads them back in order, verifying every byte: on p the scan must be
# served mostly by pages read ahead, on r by none.  Then a short hammer
# on p (stores racing evictions done ahead of need) must lose no write.
# The age sampler is off, so the order of pages is the program's alone.
# Batched putpages: p's evictions must travel mostly in PUTBATCHes, r's
# (--putpage-batch 0) in none; and a PUTBATCH sent to q by hand, twice at
# once and once more later, must be stored once and answered alike.
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}
INJ=$CL_ROOT/build/tests/tools/gmsinject
NPAGES=1024

cluster_master q --mem 32M --sample-ms 0 --heartbeat 1500
cluster_node p --mem 1M --sample-ms 0
cluster_node r --mem 1M --sample-ms 0 --putpage-batch 0 --prefetch 0
cluster_wait_members 3 10 || { fail join "no convergence"; t_finish; }
c() { st "$1" ".counters.$2"; }

# --- a sequential scan: write all, then read all in order ----------------
scan() {
	timeout 60 "$GMSMEM" --dir "$CL_TMP/$1" --seed 7 map:$NPAGES \
	    write:0-$((NPAGES - 1)):1 read:0-$((NPAGES - 1)):1 \
	    >"$CL_TMP/scan_$1.out" 2>&1
}
scan p; rc_p=$?
scan r; rc_r=$?
pi=$(c p prefetch_installed); ps=$(c p prefetch_sent)
pw=$(c p prefetch_waited); pf=$(c p faults_cluster)
ri=$(c r prefetch_installed); rs=$(c r prefetch_sent)
info="p: prefetch sent $ps installed $pi waited $pw, faults from q $pf;"
info="$info r: sent $rs installed $ri; rc p $rc_p r $rc_r"
echo "  $info"
[ "$rc_p" = 0 ] && [ "$rc_r" = 0 ] && pass scan_data_verifies ||
    fail scan_data_verifies "$info: $(tail -n 3 "$CL_TMP"/scan_*.out)"
# Of the ~768 pages the scan finds on q, read ahead must bring most:
# each stream fault reads 8 ahead, so about 8 of every 9.
[ "$pi" -ge 400 ] && [ "$pi" -gt $((pf * 3)) ] &&
    pass prefetch_serves_sequential_scan ||
    fail prefetch_serves_sequential_scan "$info"
[ "$rs" = 0 ] && [ "$ri" = 0 ] && [ "$(c r faults_cluster)" -ge 400 ] &&
    pass prefetch_off_reads_nothing_ahead ||
    fail prefetch_off_reads_nothing_ahead "$info"
# p put ~1800 pages, to q and r: most in batches of several pages, each
# batch received; r sent one PUTPAGE per page.
pb=$(c p put_batches); pp=$(c p puts_batched); pu=$(c p puts)
qb=$(( $(st q '.messages.PUTBATCH.recv // 0') +
    $(st r '.messages.PUTBATCH.recv // 0') ))
rb=$(c r put_batches); rp=$(st r '.messages.PUTPAGE.sent // 0')
info="p: $pu puts, $pp of them in $pb batches; q and r received $qb;"
info="$info r: $rb batches, $rp PUTPAGEs"
echo "  $info"
[ "$pb" -gt 0 ] && [ "$pp" -ge $((pb * 3)) ] && [ $((pp * 2)) -ge "$pu" ] &&
    [ "$qb" -ge "$pb" ] && pass puts_travel_in_batches ||
    fail puts_travel_in_batches "$info"
[ "$rb" = 0 ] && [ "$rp" -ge 400 ] && pass batch_off_puts_one_by_one ||
    fail batch_off_puts_one_by_one "$info"

# --- eviction ahead and coalesced updates lose no write --------------------
ea0=$(c p evict_ahead)
timeout 60 "$GMSMEM" --dir "$CL_TMP/p" --seed 9 map:$NPAGES \
    write:0-$((NPAGES - 1)):1 hammer:4:12:400000 check \
    >"$CL_TMP/hammer.out" 2>&1
rc=$?
ea=$(( $(c p evict_ahead) - ea0 ))
co=$(c q gcd_coalesced)
acc=$(sed -n 's/^hammer: accesses \([0-9]*\),.*/\1/p' "$CL_TMP/hammer.out")
bad=$(sed -n 's/.*mismatches \([0-9]*\)$/\1/p' "$CL_TMP/hammer.out" | head -1)
info="rc $rc, accesses ${acc:-?}, mismatches ${bad:-?}, evicted ahead $ea,"
info="$info GCD updates coalesced on q $co"
echo "  $info"
[ "$rc" = 0 ] && [ "${bad:-1}" = 0 ] && [ "${acc:-0}" -ge 20000 ] &&
    pass batch_hammer_no_lost_writes ||
    fail batch_hammer_no_lost_writes "$info: $(tail -n 3 "$CL_TMP/hammer.out")"
[ "$ea" -ge 1000 ] && [ "$co" -gt 0 ] && pass batch_evicts_ahead ||
    fail batch_evicts_ahead "$info"
[ "$(c r evict_ahead)" = 0 ] && [ "$(c r gcd_coalesced)" = 0 ] &&
    pass batch_off_evicts_inline ||
    fail batch_off_evicts_inline "r evicted ahead $(c r evict_ahead)"
# --- batches to a silent target fall back to another node ---------------
# After the hammer, p's evictions go to q, the node its pages came from
# (cases 1 and 2).  q stops answering (SIGSTOP) for 2 s, well under the
# 6 s after which members would count their master lost (--heartbeat
# 1500), while a program on p writes fresh pages (no fetch from q) and
# reads them back: the batches of its evictions to q time out (after
# 1.1 to 1.3 s of retransmissions, gms/pages.c putbatch_send) and their pages go to d (joined with room)
# or r instead, one by one.  No write may be lost, and no put fail.
cluster_node d --mem 32M --sample-ms 0 || fail start_d "d did not start"
if cluster_wait_members 4 10; then
	to0=$(c p timeouts); pf0=$(c p puts_failed)
	pr0=$(c p put_batch_retries)
	kill -STOP "$(cluster_pid q)"
	timeout 60 "$GMSMEM" --dir "$CL_TMP/p" --seed 11 map:$NPAGES \
	    write:0-$((NPAGES - 1)):1 read:0-$((NPAGES - 1)):1 \
	    >"$CL_TMP/silent.out" 2>&1 &
	mem_pid=$!
	sleep 2
	kill -CONT "$(cluster_pid q)"
	wait "$mem_pid"
	rc=$?
	to1=$(c p timeouts); pf1=$(c p puts_failed)
	pr1=$(c p put_batch_retries)
	info="rc $rc, p: batch pages put again $pr0 -> $pr1,"
	info="$info requests timed out $to0 -> $to1, puts failed $pf0 -> $pf1"
	echo "  $info"
	[ "$rc" = 0 ] && [ "$to1" -gt "$to0" ] && [ "$pr1" -gt "$pr0" ] &&
	    [ "$pf1" = "$pf0" ] && pass batch_to_silent_target_falls_back ||
	    fail batch_to_silent_target_falls_back "$info: $(tail -n 3 \
	    "$CL_TMP/silent.out")"
else
	fail batch_to_silent_target_falls_back "d did not join"
fi

# --- one PUTBATCH, a duplicate at once and a late copy -------------------
# gmsinject joins through q as node N, then puts N:77s:0 and N:77s:1
# (shared, so any node may read them) and q's own private page QID:1:0,
# which q must refuse: statuses 0,0,2 (ST_FULL).
QID=$(st q .node)
# first let the retransmissions the stop left behind die out
for _ in $(seq 1 10); do
	x=$(c q dup_replayed); sleep 0.5; [ "$(c q dup_replayed)" = "$x" ] && break
done
g0=$(st q .global); d0=$(( $(c q put_batch_dups) + $(c q dup_replayed) ))
out=$(timeout 30 "$INJ" "127.0.0.1:$(cluster_port q)" "putbatch:$QID" - 1 \
    0:77s:0 2>&1)
N=$(sed -n 's/^joined as node \([0-9]*\)$/\1/p' <<<"$out")
g1=$(st q .global); d1=$(( $(c q put_batch_dups) + $(c q dup_replayed) ))
nrep=$(grep -c "^reply PUTBATCH_ACK" <<<"$out")
nsame=$(grep -c "^reply PUTBATCH_ACK 0,0,2 value" <<<"$out")
head -c 4096 /dev/zero | tr '\0' '\260' >"$CL_TMP/b0"
head -c 4096 /dev/zero | tr '\0' '\261' >"$CL_TMP/b1"
cluster_ctl r get "$N:77s:0" "$CL_TMP/g0" >/dev/null 2>&1
cluster_ctl r get "$N:77s:1" "$CL_TMP/g1" >/dev/null 2>&1
info="replies $nrep (alike $nsame), q global $g0 -> $g1, duplicates $d0 -> $d1"
echo "  $info"
[ "$nrep" -ge 2 ] && [ "$nsame" = "$nrep" ] && [ $((g1 - g0)) = 2 ] &&
    [ $((d1 - d0)) -ge 2 ] && pass putbatch_duplicate_stored_once ||
    fail putbatch_duplicate_stored_once "$info: $out"
cmp -s "$CL_TMP/b0" "$CL_TMP/g0" && cmp -s "$CL_TMP/b1" "$CL_TMP/g1" &&
    pass putbatch_pages_read_back ||
    fail putbatch_pages_read_back "pages read from q differ"

t_finish
