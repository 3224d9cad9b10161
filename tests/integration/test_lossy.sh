#!/bin/bash
# A lossy network (gmsd --inject): every node drops, duplicates and
# reorders 5% each of the datagrams it sends.  Programs still read back
# exactly what they wrote (the transport retransmits, duplicates are
# dropped by the replay windows), and a page rewritten by its owner is
# never served in its old version.
#   LOSSY_SECONDS (default 12): how long the hammer runs.
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}
SECS=${LOSSY_SECONDS:-12}
INJ="--inject loss=0.05,dup=0.05,reorder=0.05"

cluster_master m --mem 32M --heartbeat 100 $INJ,seed=1
cluster_node p --mem 2M $INJ,seed=2
cluster_node q --mem 32M $INJ,seed=3
cluster_wait_members 3 20 || { fail join "no convergence"; t_finish; }

# The hammer: 4 threads over 1500 pages (6 MB), p's budget 512 frames, so
# pages move between p, the others' memory and p's backing store.
t0=$SECONDS
$GMSMEM --dir "$CL_TMP/p" --seed 11 map:1500 hammer:4:$SECS:2000000 check \
    >"$CL_TMP/hammer.out" 2>&1
rc=$?
acc=$(sed -n 's/^hammer: accesses \([0-9]*\),.*/\1/p' "$CL_TMP/hammer.out")
bad=$(sed -n 's/.*mismatches \([0-9]*\)$/\1/p' "$CL_TMP/hammer.out" | head -1)
remote=$(st p .counters.faults_cluster)
if [ $rc = 0 ] && [ "${bad:-1}" = 0 ] && [ "${acc:-0}" -ge 10000 ] &&
    [ "$remote" -ge 1000 ]; then
	pass lossy_hammer_no_mismatch
else
	fail lossy_hammer_no_mismatch "rc $rc, ${bad:-?} mismatches," \
	    "${acc:-0} accesses, $remote cluster faults" \
	    "$(tail -5 "$CL_TMP/hammer.out")"
fi
echo "  (${acc:-0} accesses, $remote faults served by other nodes," \
    "$((SECONDS - t0)) s)"
t0=$SECONDS

# Rewritten pages: version 1 everywhere, forced out by the later pages;
# version 2 everywhere, forced out again; every page must read as 2.
if $GMSMEM --dir "$CL_TMP/p" --seed 12 map:1500 write:0-1499:1 \
    write:0-1499:2 read:0-1499:2 >"$CL_TMP/rewrite.out" 2>&1; then
	pass lossy_rewritten_never_stale
else
	fail lossy_rewritten_never_stale "$(tail -5 "$CL_TMP/rewrite.out")"
fi
echo "  (1500 pages written twice and read back in $((SECONDS - t0)) s;" \
    "old copies refused: $(st p .counters.stale_served) fetched," \
    "$(st p .counters.stale_puts) put)"

# The injector and the transport did their parts on every node.
for n in m p q; do
	c=$(cluster_ctl $n status --json | jq -c '.counters |
	    [.inject_lost, .inject_dup, .inject_reordered, .retransmits,
	     .drop_replay]')
	echo "  $n: lost, duplicated, reordered, retransmitted, replays dropped: $c"
	echo "$c" | jq -e '.[0] > 0 and .[1] > 0 and .[2] > 0' >/dev/null ||
	    fail "injected_on_$n" "$c"
done
# (replays dropped are read before the duplicates sent that caused them)
lost=0; rtx=0; dup=0; rep=0
for n in m p q; do
	rep=$((rep + $(st $n .counters.drop_replay)))
done
for n in m p q; do
	lost=$((lost + $(st $n .counters.inject_lost)))
	rtx=$((rtx + $(st $n .counters.retransmits)))
	dup=$((dup + $(st $n .counters.inject_dup)))
done
# p sends most and loses 5% of it: the requests lost are sent again
[ $rtx -gt 0 ] && [ $lost -gt 0 ] && pass lost_datagrams_retransmitted ||
    fail lost_datagrams_retransmitted "$lost lost, $rtx retransmitted"
# a duplicate that arrives is a replay: dropped (some duplicates are lost)
[ $rep -gt 0 ] && [ $rep -le $dup ] && pass duplicates_dropped_as_replays ||
    fail duplicates_dropped_as_replays "$dup duplicated, $rep dropped"
t_finish
