#!/bin/bash
# make bench, in small: the whole suite (experiments/bench/run) with a tiny
# region, one round, into a temporary results directory.  Checks that the
# markdown and the JSON lines are written with every configuration present
# and sane (verified, times and ratios > 0, remote memory really used by
# gms_remote and never by local-only; the throughput part's floor measured
# and GMS's faults served from the other node), and that every system setting the
# suite changes (swap, zswap, vm.page-cluster, zram devices, cgroups) is
# back as it was afterwards, also when the suite is stopped half-way.
# The kernel's configurations (swap, zswap, zram) SKIP, with the suite's
# reason, where swapon or cgroups are not available.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TD=$(mktemp -d /tmp/gms-test-bench.XXXXXX)
BPID=""
t_cleanup() {
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	rm -rf "$TD"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM HUP

for t in jq taskset timeout; do
	command -v $t >/dev/null || { skip bench "$t is not installed"; exit 0; }
done

# what the suite may change, as it is now
sys_state() {
	grep -v '^Filename' /proc/swaps | awk '{ print "swap", $1 }'
	grep -H . /sys/module/zswap/parameters/* 2>/dev/null
	echo "page-cluster $(cat /proc/sys/vm/page-cluster)"
	ls -d /sys/block/zram* 2>/dev/null
	ls -d /sys/fs/cgroup/memory/gmsbench-* /sys/fs/cgroup/blkio/gmsbench-* 2>/dev/null
}
sys_state >"$TD/before"

# BENCH_BUDGET: 120 s as before the throughput part, plus that part's 40 s
export BENCH_OUT=$TD/out BENCH_BUDGET=160
export BENCH_ROUNDS=1 BENCH_FAULTS=200 BENCH_PAGES=768 BENCH_RTTS=200 \
    BENCH_UFFD_N=200
export BENCH_SIZE_MB=10 BENCH_LIMIT_MB=4 BENCH_RAND=1000 BENCH_VS_ROUNDS=1 \
    BENCH_RES_SECS=1
export BENCH_TPUT_ROUNDS=1 BENCH_TPUT_SECONDS=1 BENCH_TPUT_THREADS="1 2" \
    BENCH_TPUT_PAGES=768 BENCH_TPUT_BUDGET=40
timeout -k 60 190 "$ROOT/experiments/bench/run" >"$TD/log" 2>&1 &
BPID=$!
wait $BPID
rc=$?
BPID=""
if [ $rc = 0 ]; then
	pass bench_runs
else
	fail bench_runs "exit $rc: $(tail -n 5 "$TD/log")"
fi
MD=$BENCH_OUT/bench.md
J=$BENCH_OUT/bench.jsonl

# the markdown: both parts' tables
if [ -s "$MD" ] && grep -q '^## GMS against swap, zswap and zram' "$MD" &&
    grep -q '^## Remote page fault' "$MD" &&
    grep -q '^| raw | gms_remote | ' "$MD" &&
    grep -q '^| miss path with no idle memory | busy_gms' "$MD"; then
	pass bench_markdown
else
	fail bench_markdown "$(head -c 600 "$MD" 2>/dev/null)"
fi

# every JSON line parses and says what produced it, where and when
if [ -s "$J" ] && jq -se 'length > 0 and all(.[];
    (.command | type) == "string" and (.commit | type) == "string" and
    (.date | type) == "string" and .machine.nproc > 0 and
    (.machine.cpu | type) == "string" and (.machine.kernel | type) == "string")' \
    "$J" >/dev/null 2>&1; then
	pass bench_jsonl_fields
else
	fail bench_jsonl_fields "$(head -c 400 "$J" 2>/dev/null)"
fi

# run PROFILE CONFIG: that run's line
run_of() {
	jq -c --arg p "$1" --arg c "$2" \
	    'select(.bench == "versus" and .round != "summary" and
	     .profile == $p and .config == $c)' "$J" 2>/dev/null | head -n 1
}
sane() {	# a run line: verified, times > 0, latency percentiles in order
	jq -e '.verified == true and .errors == 0 and .elapsed_s > 0 and
	    .rand.accesses > 0 and .rand.p50_us > 0 and
	    .rand.p50_us <= .rand.p99_us and .seq.p50_us > 0' >/dev/null <<<"$1"
}
bad=""
for pc in raw/gms_remote raw/gms_local ssd/gms_remote ssd/gms_local \
    raw/gms_nosampler raw/gms_local_nosampler busy/busy_gms busy/busy_local; do
	l=$(run_of "${pc%/*}" "${pc#*/}")
	[ -n "$l" ] && sane "$l" || bad="$bad $pc"
done
[ -z "$bad" ] && pass bench_gms_configs ||
    fail bench_gms_configs "missing or not sane:$bad"

# gms_remote's faults were served from the idle node's memory; local-only's never
l=$(run_of raw gms_remote)
m=$(run_of raw gms_local)
if jq -e '.counters_delta.faults_cluster > 0' >/dev/null <<<"$l" &&
    jq -e '.counters_delta.faults_cluster == 0 and
    .counters_delta.faults_disk > 0' >/dev/null <<<"$m"; then
	pass bench_remote_memory_used
else
	fail bench_remote_memory_used "remote: $(jq -c .counters_delta <<<"$l") local: $(jq -c .counters_delta <<<"$m")"
fi

# the summary: ratios > 0, CPU times, metadata sizes
S=$(jq -c 'select(.bench == "versus" and .round == "summary")' "$J" 2>/dev/null | tail -n 1)
if jq -e '(.configs | length) >= 8 and
    all(.configs[]; .ratio_to_gms_remote == null or .ratio_to_gms_remote > 0) and
    ([.configs[] | select(.config == "gms_local")][0].ratio_to_gms_remote > 0) and
    .busy_slowdown_ratio > 0 and .cpu_ms.gms_sampler_on >= 0 and
    .metasize.pfd_entry_bytes > 0 and .metasize.gcd_entry_bytes > 0 and
    .memory.vmrss_kb > 0' >/dev/null <<<"$S"; then
	pass bench_summary
else
	fail bench_summary "$(head -c 600 <<<"$S")"
fi

# the fault part: remote and local-only faults with their floor
if jq -se '[.[] | select(.bench == "gms_fault" and .round == "summary")] |
    any(.what == "remote_fault" and .median_us > 0 and .ratio_to_floor > 0) and
    any(.what == "local_fault" and .median_us > 0 and .ratio_to_remote > 0) and
    any(.what == "uffd_missing" and .median_us > 0) and
    any(.what == "udp_rtt" and .median_us > 0)' "$J" >/dev/null 2>&1; then
	pass bench_fault_part
else
	fail bench_fault_part "$(grep -c gms_fault "$J" 2>/dev/null) fault lines"
fi

# the throughput part: its table, and per placement and thread count a
# floor measured (> 0) and GMS's faults served (mostly) from q, numbers in
# a sane range, and the ratio with the target beside it
TPL="same-cpu"
[ "$(nproc)" -ge 2 ] && TPL="same-cpu split"
if [ -s "$MD" ] && grep -q '^## Fault throughput' "$MD" &&
    grep -q '^| placement | threads | GMS faults/s | served from q | from disk, retransmits per run | floor faults/s | GMS / floor | target | met |' "$MD" &&
    grep -qE '^\| same-cpu \| 1 \| [0-9]+ \| [0-9.]+% \| [0-9]+, [0-9]+ \| [0-9]+ \| [0-9.]+ \| 0\.8 \| (yes|no) \|' "$MD"; then
	pass bench_tput_markdown
else
	fail bench_tput_markdown "$(sed -n '/^## Fault throughput/,$p' "$MD" 2>/dev/null | head -c 800)"
fi
bad=""
for pl in $TPL; do
	for t in 1 2; do
		sel='select(.bench == "gms_tput" and .placement == $pl and .threads == $t'
		jq -se --arg pl "$pl" --argjson t "$t" "[.[] | $sel and
		    .what == \"floor\" and .round == 1)] | length == 1 and
		    all(.[]; .faults_per_s > 100 and .faults_per_s < 1e7 and
		    .fault_median_us > 0.1 and .fault_median_us < 1e5 and
		    .fault_median_us <= .fault_p99_us and .faults > 0 and
		    .installs >= .faults and .inflight_max >= 1 and
		    .inflight_max <= $t and .cpu_us_per_fault > 0 and
		    .pipelined == true)" "$J" >/dev/null 2>&1 ||
		    bad="$bad floor/$pl/T$t"
		# the floor with one fault at a time: never two in flight
		jq -se --arg pl "$pl" --argjson t "$t" "[.[] | $sel and
		    .what == \"floor_serial\" and .round == 1)] | length == 1 and
		    all(.[]; .faults_per_s > 100 and .faults > 0 and
		    .pipelined == false and .inflight_max == 1)" "$J" \
		    >/dev/null 2>&1 || bad="$bad floor_serial/$pl/T$t"
		jq -se --arg pl "$pl" --argjson t "$t" "[.[] | $sel and
		    .what == \"gms\" and .round == 1)] | length == 1 and
		    all(.[]; .faults_per_s > 100 and .faults_per_s < 1e7 and
		    .fault_median_us > 0.1 and .fault_median_us < 1e5 and
		    .gmsd_p_counters_delta.faults > 0 and
		    .cpu_ms.gmsd_p > 0 and .cpu_us_per_fault > 0 and
		    .share_from_cluster > 0.5 and .share_from_cluster <= 1)" \
		    "$J" >/dev/null 2>&1 || bad="$bad gms/$pl/T$t"
		jq -se --arg pl "$pl" --argjson t "$t" "[.[] | $sel and
		    .round == \"summary\")] | length == 1 and
		    all(.[]; .ratio_to_floor > 0.001 and .ratio_to_floor < 100 and
		    .target == 0.8 and (.target_met | type) == \"boolean\" and
		    .floor_faults_per_s > 0 and
		    .floor_faults_per_s >= .floor_pipelined_faults_per_s and
		    .floor_faults_per_s >= .floor_serial_faults_per_s and
		    (.retransmits | type) == \"number\" and
		    (.faults_disk | type) == \"number\")" "$J" >/dev/null 2>&1 ||
		    bad="$bad summary/$pl/T$t"
	done
done
[ -z "$bad" ] && pass bench_tput_part ||
    fail bench_tput_part "missing or not sane:$bad; $(grep -c gms_tput "$J" 2>/dev/null) lines"

# the kernel's side, where it can run here
kskip=$(sed -n 's/^\[ *[0-9]*s\] SKIP //p' "$TD/log")
if echo "$kskip" | grep -q '^swap, zswap, zram:'; then
	skip bench_kernel_swap "$(echo "$kskip" | grep '^swap, zswap, zram:' | head -n 1)"
else
	for pc in raw/swap raw/zswap raw/zram ssd/swap ssd/zswap; do
		what=${pc#*/}
		reason=$(echo "$kskip" | grep -E "^($what|swap, zswap)( in the ssd profile)?:" | head -n 1)
		if [ -n "$reason" ] && { [ "${pc%/*}" = ssd ] ||
		    ! echo "$reason" | grep -q 'ssd profile'; }; then
			skip "bench_${pc%/*}_$what" "$reason"
			continue
		fi
		l=$(run_of "${pc%/*}" "$what")
		if [ -n "$l" ] && sane "$l" &&
		    jq -e '.cgroup_max_usage_bytes <= .limit_mb * 1048576' \
		    >/dev/null <<<"$l"; then
			pass "bench_${pc%/*}_$what"
		else
			fail "bench_${pc%/*}_$what" "$(grep -i "$what" "$TD/log" | tail -n 3)"
		fi
	done
	# the throttle was in effect: the ssd swap run's reads were counted
	l=$(run_of ssd swap)
	if [ -z "$l" ]; then
		skip bench_ssd_throttle "no ssd swap run"
	elif jq -e '.blkio_serviced_in_cgroup.Read > 0' >/dev/null <<<"$l"; then
		pass bench_ssd_throttle
	else
		fail bench_ssd_throttle "$(jq -c .blkio_serviced_in_cgroup <<<"$l")"
	fi
fi

# everything it changed is back
sys_state >"$TD/after"
if diff -u "$TD/before" "$TD/after" >"$TD/diff"; then
	pass bench_restores_system
else
	fail bench_restores_system "$(cat "$TD/diff")"
fi

# stopped half-way (TERM while swap and zswap are on): still restored
ksk=$(echo "$kskip" | grep -E '^(swap, zswap, zram|zswap):' | head -n 1)
if [ -n "$ksk" ]; then
	skip bench_restores_system_when_stopped "$ksk"
else
	BENCH_VS_ONLY=zswap BENCH_SIZE_MB=40 BENCH_LIMIT_MB=4 BENCH_RAND=200000 \
	    timeout -k 60 60 "$ROOT/experiments/bench/versus" >"$TD/log2" 2>&1 &
	BPID=$!
	state="before zswap was on"
	for i in $(seq 1 300); do
		if [ "$(cat /sys/module/zswap/parameters/enabled 2>/dev/null)" = Y ] &&
		    grep -q 'raw round 1' "$TD/log2"; then
			state="with swap and zswap on"
			break
		fi
		kill -0 $BPID 2>/dev/null || break
		sleep 0.05
	done
	echo "  stopping the suite $state"
	kill -TERM $BPID 2>/dev/null
	wait $BPID
	BPID=""
	sys_state >"$TD/after2"
	if diff -u "$TD/before" "$TD/after2" >"$TD/diff2"; then
		pass bench_restores_system_when_stopped
	else
		fail bench_restores_system_when_stopped "$(cat "$TD/diff2")"
	fi
fi
[ $T_FAILED = 1 ] && { echo "  --- bench log ---"; tail -n 30 "$TD/log" | sed 's/^/  /'; }
exit $T_FAILED
