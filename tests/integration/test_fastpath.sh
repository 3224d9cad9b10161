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
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}
NPAGES=1024

cluster_master q --mem 32M --sample-ms 0
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
t_finish
