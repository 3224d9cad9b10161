#!/bin/bash
# With no idle memory in the cluster GMS gets out of the way
# (GMS-REFERENCE.md section 4: MinAge = 0, nothing is forwarded): a
# program paging on one node does not push its pages onto a node whose
# memory its own busy program holds, even after that node once gave it
# pages (cases 1 and 2 send one page back per page given, not every page
# from then on).
. "$(dirname "$0")/lib.sh"
cluster_init
GMSMEM=${GMSMEM:-$CL_ROOT/build/tests/tools/gmsmem}

# 1024 frames each; the samplers see every page every 200 ms
cluster_master b1 --mem 4M --sample-ms 200 --sample-share 100
cluster_node b2 --mem 4M --sample-ms 200 --sample-share 100
cluster_wait_members 2 10 || { fail join "no convergence"; t_finish; }

# 1. while b1 is idle, b2's pages go to b1, and b2 reads some back from
# b1's memory (cases 1 and 2: b1 becomes the giver); how many depends on
# the plan of the moment (b2's own free frames count as idle memory too)
for i in 1 2 3; do
	$GMSMEM --dir "$CL_TMP/b2" map:2048 write:0-2047 read:0-2047 \
	    >"$CL_TMP/warm.out" 2>&1 || break
	[ "$(st b2 .counters.faults_cluster)" -gt 0 ] && break
done
if [ "$(st b2 .counters.faults_cluster)" -gt 0 ]; then
	pass noidle_warm_from_b1
else
	fail noidle_warm_from_b1 "no fault served from b1:" \
	    "$(tail -2 "$CL_TMP/warm.out")"
fi
echo "  (b2 read $(st b2 .counters.faults_cluster) pages from b1)"

# 2. b1's own program takes all of b1's memory and keeps touching it
$GMSMEM --dir "$CL_TMP/b1" map:1024 write:0-1023 touch:0-1023:30000 \
    >"$CL_TMP/busy.out" 2>&1 &
busy=$!
# until b1 holds no idle memory (no free frame, no global page)
for i in $(seq 1 150); do
	[ "$(st b1 .free_idle)" = 0 ] && [ "$(st b1 .global)" = 0 ] && break
	sleep 0.1
done
sleep 3	# an epoch or two on b1's full memory
echo "  (b2 before: $(st b2 -c "{free_idle, epoch_idle, minage_ms, epoch_weight, epoch_m}"))"
puts0=$(st b2 .counters.puts)
c0=$(st b2 -c .counters)
ev0=$(st b2 .counters.evictions)

# 3. b2 pages through 8 MB on its 4 MB: every eviction finds no idle memory
if $GMSMEM --dir "$CL_TMP/b2" map:2048 write:0-2047 read:0-2047 \
    read:0-2047 >"$CL_TMP/scan.out" 2>&1; then
	pass noidle_program_correct
else
	fail noidle_program_correct "$(tail -2 "$CL_TMP/scan.out")"
fi
puts=$(( $(st b2 .counters.puts) - puts0 ))
ev=$(( $(st b2 .counters.evictions) - ev0 ))
c1=$(st b2 -c .counters)
echo "  (b2's counters over the scan: $(jq -n -c --argjson a "$c0" \
    --argjson b "$c1" '[$b | keys[] as $k | {($k): ($b[$k] - $a[$k])}] |
    add | with_entries(select(.value != 0))'))"
echo "  (b2: $ev evictions, $puts of them put to b1; b1:" \
    "$(st b1 -c '{free_idle, global, epoch_idle, minage_ms}'))"
if kill -0 $busy 2>/dev/null && [ "$ev" -gt 3000 ] &&
    [ $((puts * 20)) -le "$ev" ]; then
	pass noidle_nothing_forwarded
else
	fail noidle_nothing_forwarded "$puts puts in $ev evictions" \
	    "(at most 5 % wanted); busy program alive: $(kill -0 $busy 2>/dev/null && echo yes || echo no)"
fi
kill $busy 2>/dev/null
wait $busy 2>/dev/null
t_finish
