#!/bin/bash
# gmssim, the deterministic simulator (experiments/sim/): a run replays bit
# for bit from its seed; on a cluster whose idle memory is skewed GMS keeps
# more pages in cluster memory than N-chance; GMS evicts mostly what exact
# global LRU would; a crash replays and costs disk reads; local paging has
# no cluster hits and ideal global LRU reads the disk no more than GMS.
# No gmsd is started: everything runs in virtual time.
. "$(dirname "$0")/lib.sh"
cluster_init		# only for its temporary directory and cleanup
SIM=${GMSSIM:-$CL_BIN/gmssim}
ASAN_SIM=${GMSSIM_ASAN:-$CL_ROOT/build-asan/bin/gmssim}
T=$CL_TMP

if [ ! -x "$SIM" ]; then
	fail gmssim_built "no $SIM: run make"
	t_finish
fi

# The skewed cluster (GMS-REFERENCE.md section 6): 20 nodes; 5 busy ones
# with 1000 frames make 100000 references each, Zipf(0.8) over 12000
# pages; 5 idle nodes with 6000 frames and 10 with 1000: 25 % of the nodes
# hold 75 % of the idle memory (30000 of 40000 frames), and the working
# sets (60000 pages) do not fit in the cluster (45000 frames).
SKEW="--nodes 20 --mem 1000 --node 1-5:work=zipf,ws=12000,s=0.8,refs=100000
    --node 6-10:mem=6000"

# sim NAME ARGS...: run gmssim on the skewed cluster into $T/NAME.
sim() {
	local name=$1
	shift
	# shellcheck disable=SC2086
	"$SIM" $SKEW "$@" >"$T/$name" 2>"$T/$name.err"
}
# j NAME FILTER: a number from a JSON report.
j() { jq -r "$2" "$T/$1"; }

# (a) Same seed: the same bytes; another seed: other bytes.
sim gms1 --json && sim gms1b --json && sim gms2 --json --seed 2 &&
    sim text1 && sim text1b
if cmp -s "$T/gms1" "$T/gms1b" && cmp -s "$T/text1" "$T/text1b"; then
	pass same_seed_same_output
else
	fail same_seed_same_output "$(diff "$T/gms1" "$T/gms1b" | head -5)"
fi
if ! cmp -s "$T/gms1" "$T/gms2"; then
	pass other_seed_other_output
else
	fail other_seed_other_output "seed 1 and seed 2 gave the same report"
fi

# (b) Skewed idle memory: GMS reads the disk less than N-chance.  Measured
# (seeds 1-8): GMS 72074-72677 disk reads, N-chance 117264-117921; the
# check asks for at least 20 % fewer.
sim nc1 --json --policy nchance
g=$(j gms1 .total.disk_reads)
n=$(j nc1 .total.disk_reads)
echo "  skewed: disk reads gms $g, nchance $n; cluster hits gms" \
    "$(j gms1 .total.cluster_hits), nchance $(j nc1 .total.cluster_hits)"
if [ -n "$g" ] && [ -n "$n" ] && [ "$g" -gt 0 ] &&
    [ $((g * 100)) -le $((n * 80)) ]; then
	pass gms_beats_nchance_skewed
else
	fail gms_beats_nchance_skewed "gms $g disk reads, nchance $n"
fi

# (c) GMS evicts what global LRU would.  Per epoch, the k pages evicted are
# compared with the k oldest pages in cluster memory at the epoch's start
# (a match: among them and not referenced since).  Measured (seeds 1-8):
# 80.0-81.5 % (ideal LRU itself: 96.2-96.6 %, N-chance: 0.6 %); the check
# asks for 60 %, and for N-chance below 20 %, so the measure can tell.
ov=$(j gms1 .quality.overlap_pct)
rank=$(j gms1 .quality.mean_rank_pct)
ncov=$(j nc1 .quality.overlap_pct)
echo "  gms: overlap with ideal LRU $ov % over $(j gms1 .quality.windows)" \
    "epochs, mean rank of an evicted page $rank % (nchance overlap $ncov %)"
if awk -v o="$ov" -v r="$rank" -v n="$ncov" \
    'BEGIN { exit !(o >= 60 && r <= 5 && n < 20) }'; then
	pass gms_evicts_like_global_lru
else
	fail gms_evicts_like_global_lru "overlap $ov %, mean rank $rank %," \
	    "nchance overlap $ncov %"
fi

# (d) A crash of the largest idle node at 100 s replays exactly and costs
# disk reads (measured: 72359 without, 89045 with).
sim crash1 --json --crash 6@100000 && sim crash1b --json --crash 6@100000
c=$(j crash1 .total.disk_reads)
echo "  crash of node 6 at 100 s: disk reads $g -> $c," \
    "timeouts $(j crash1 .total.timeouts)"
if cmp -s "$T/crash1" "$T/crash1b"; then
	pass crash_replays
else
	fail crash_replays "$(diff "$T/crash1" "$T/crash1b" | head -5)"
fi
if [ "$c" -gt "$g" ] && [ "$(j crash1 '.per_node[5].crashed')" = true ] &&
    [ "$(j crash1 .total.timeouts)" -gt 0 ]; then
	pass crash_costs_disk_reads
else
	fail crash_costs_disk_reads "disk reads $g -> $c"
fi

# (e) Local paging never hits in cluster memory; ideal LRU is the bound.
sim local1 --json --policy local && sim ideal1 --json --policy ideal
l=$(j local1 .total.cluster_hits)
i=$(j ideal1 .total.disk_reads)
echo "  disk reads: ideal $i, gms $g, local $(j local1 .total.disk_reads)"
if [ "$l" = 0 ] && [ "$(j local1 .total.disk_reads)" -gt "$g" ]; then
	pass local_no_cluster_hits
else
	fail local_no_cluster_hits "local: $l cluster hits"
fi
if [ "$i" -le "$g" ] && [ "$(j ideal1 '.quality.mean_rank_pct == 0')" = true ]
then
	pass ideal_bounds_gms
else
	fail ideal_bounds_gms "ideal $i disk reads, gms $g"
fi

# Message loss: lost getpages time out and fall back to disk; the run
# still replays exactly.
sim drop1 --json --drop 0.05@50000-150000 &&
    sim drop1b --json --drop 0.05@50000-150000
if cmp -s "$T/drop1" "$T/drop1b" && [ "$(j drop1 .total.timeouts)" -gt 0 ] &&
    [ "$(j drop1 .total.refs)" = "$(j gms1 .total.refs)" ]; then
	pass drop_times_out_and_replays
else
	fail drop_times_out_and_replays "timeouts $(j drop1 .total.timeouts)"
fi

# A trace: every line is one reference of its node; a bad line is named.
{
	echo "# time_us node pgno [r|w]"
	for k in $(seq 0 299); do
		echo "$((k * 20)) $((k % 2 + 1)) $((k % 50)) $([ $((k % 7)) = 0 ] &&
		    echo w || echo r)"
	done
} >"$T/small.trace"
"$SIM" --nodes 3 --mem 20 --trace "$T/small.trace" --json >"$T/trace1"
if [ "$(j trace1 .total.refs)" = 300 ] &&
    [ "$(j trace1 '.per_node[2].refs')" = 0 ] &&
    [ "$(j trace1 .total.cluster_hits)" -gt 0 ]; then
	pass trace_replays
else
	fail trace_replays "$(head -c 300 "$T/trace1")"
fi
echo "10 1 5 x" >"$T/bad.trace"
if ! "$SIM" --trace "$T/bad.trace" >/dev/null 2>"$T/bad.err" &&
    grep -q "line 1: not \"time_us node pgno \[r|w\]\"" "$T/bad.err"; then
	pass trace_bad_line
else
	fail trace_bad_line "$(cat "$T/bad.err")"
fi

# The sanitizer build, if there is one, on a short run with everything.
if [ -x "$ASAN_SIM" ]; then
	for p in gms nchance ideal local; do
		"$ASAN_SIM" --nodes 12 --mem 300 \
		    --node 1-4:work=zipf,ws=2000,refs=8000,write=20 \
		    --node 5-6:mem=2000 --policy $p --drop 0.05 \
		    --crash 5@3000 --totals >"$T/asan.$p" 2>&1 || break
	done
	if ! grep -q "AddressSanitizer\|runtime error" "$T"/asan.* &&
	    [ "$(cat "$T"/asan.* | grep -c '^total')" = 4 ]; then
		pass sim_sanitizers
	else
		fail sim_sanitizers "$(grep -h -m3 "ERROR\|runtime error" \
		    "$T"/asan.*)"
	fi
else
	skip sim_sanitizers "no $ASAN_SIM (make asan)"
fi
t_finish
