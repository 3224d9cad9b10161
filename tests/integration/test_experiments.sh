#!/bin/bash
# The experiment scripts of results a, b, e and f (experiments/figs/
# latency, speedup, idleload, churnidle) and experiments/run: each --quick
# run, into a temporary RESULTS, writes its CSV with the expected columns
# and sane values, a markdown table after a metadata line, and valid PNG
# and PDF figures; `run` updates only the report's result blocks and says
# "not run yet" for a result with no output; a cluster in network
# namespaces and one on hosts from a hosts file (ssh, or a stand-in for
# ssh that runs the command here) work and leave nothing behind.
# Sizes are cut below --quick where an environment variable allows it, to
# stay within the test's time budget.
. "$(dirname "$0")/lib.sh"
cluster_init		# for its temporary directory and cleanup
T=$CL_TMP
ROOT=$CL_ROOT
R=$T/results
mkdir -p "$R"
export RESULTS=$R
cp "$ROOT/paper/README.md" "$T/report.md"
export PAPER=$T/report.md

# is_num V [MIN [MAX]]: V is a number within [MIN, MAX]
is_num() {
	awk -v v="$1" -v lo="${2:--1e308}" -v hi="${3:-1e308}" 'BEGIN {
	    if (v !~ /^-?[0-9]+(\.[0-9]+)?$/) exit 1
	    exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'
}
# col NAME COLUMN: the values of a CSV column (by header name)
col() {
	awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++)
	    if ($i == c) k = i; next } k { print $k }' "$R/$1.csv"
}
# all_in NAME COLUMN MIN MAX: every value is a number in range
all_in() {
	local v n=0
	for v in $(col "$1" "$2"); do
		is_num "$v" "$3" "$4" || { echo "$1.$2: $v not in [$3, $4]"
			return 1; }
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { echo "$1.$2: no values"; return 1; }
}
# outputs NAME HEADER ROWS: the files exist, the header, ROWS rows, valid
# images, the metadata line
outputs() {
	local name=$1 header=$2 rows=$3 f
	for f in csv md png pdf; do
		[ -s "$R/$name.$f" ] || { echo "no $name.$f"; return 1; }
	done
	[ "$(head -1 "$R/$name.csv")" = "$header" ] ||
	    { echo "header: $(head -1 "$R/$name.csv")"; return 1; }
	[ "$(($(wc -l <"$R/$name.csv") - 1))" = "$rows" ] ||
	    { echo "$name.csv has $(($(wc -l <"$R/$name.csv") - 1)) rows," \
	    "not $rows"; return 1; }
	[ "$(head -c 8 "$R/$name.png" | od -An -tx1 | tr -d ' \n')" = \
	    89504e470d0a1a0a ] || { echo "$name.png is not a PNG"; return 1; }
	[ "$(head -c 5 "$R/$name.pdf")" = "%PDF-" ] &&
	    tail -c 64 "$R/$name.pdf" | grep -q '%%EOF' ||
	    { echo "$name.pdf is not a whole PDF"; return 1; }
	if command -v file >/dev/null; then
		file "$R/$name.png" | grep -q 'PNG image data, [0-9]* x [0-9]*' &&
		    file "$R/$name.pdf" | grep -q 'PDF document' ||
		    { file "$R/$name".p*; return 1; }
	fi
	head -1 "$R/$name.md" | grep -q "experiments/figs/$name --quick.*commit [0-9a-f]\{7\}.*vCPU.*Linux.*profiles: " ||
	    { echo "metadata line: $(head -1 "$R/$name.md")"; return 1; }
	[ "$(grep -c '^| ' "$R/$name.md")" = $((rows + 1)) ] ||
	    { echo "$name.md: not a table of $rows rows"; return 1; }
	[ "$(jq -r .name "$R/$name.jsonl" | tail -1)" = "$name" ] ||
	    { echo "no JSON line"; return 1; }
}
# run_fig NAME ARGS...: experiments/run NAME --quick ARGS; progress lines
run_fig() {
	local name=$1 label=${XP_LABEL:-$1}
	shift
	if ! "$ROOT/experiments/run" "$name" --quick "$@" >"$T/$name.out" \
	    2>"$T/$name.err"; then
		fail "${label}_runs" "$(tail -5 "$T/$name.err")"
		return 1
	fi
	grep -q "^\[$name\] 1/[0-9]* " "$T/$name.err" ||
	    { fail "${label}_progress" "no progress line"; return 1; }
	pass "${label}_runs"
}

check run_list bash -c "'$ROOT/experiments/run' list | grep -q '^latency .*(a)' &&
    ! '$ROOT/experiments/run' nosuch 2>/dev/null"

# (a) latency: 7 operations under 2 profiles; medians > 0; from disk,
# random, slower than sequential under the 1995 disk model (3.6 vs 14.3 ms)
if XP_LAT_FAULTS=100 run_fig latency; then
	check latency_outputs outputs latency \
	    profile,operation,median_us,p99_us,count,paper_us 14
	check latency_values bash -c "$(declare -f col all_in is_num); R=$R
	    all_in latency median_us 0.1 1000000 && all_in latency count 1 100000"
	seqd=$(awk -F, '$1 == 1995 && $2 == "fault_seq_disk" { print $3 }' "$R/latency.csv")
	rnd=$(awk -F, '$1 == 1995 && $2 == "fault_rand_disk" { print $3 }' "$R/latency.csv")
	hit=$(awk -F, '$1 == 1995 && $2 == "fault_rand_gms" { print $3 }' "$R/latency.csv")
	if is_num "$seqd" 3000 && is_num "$rnd" 12000 &&
	    awk -v a="$hit" -v b="$rnd" 'BEGIN { exit !(a < b) }'; then
		pass latency_disk_model
	else
		fail latency_disk_model "1995: seq $seqd, random $rnd, gms $hit us"
	fi
fi

# (b) speedup, cut to one workload, two idle points, fewer operations
if XP_WORKLOADS=$(cd "$ROOT" && [ -x bin/wl-oo7 ] && echo oo7 || echo uniform) \
    XP_SPEEDUP_IDLE="0 1" XP_SPEEDUP_OPS=100 run_fig speedup; then
	check speedup_outputs outputs speedup \
	    profile,workload,idle_mb,data_mb,mem_mb,ops,local_s,gms_s,speedup 4
	check speedup_values bash -c "$(declare -f col all_in is_num); R=$R
	    all_in speedup local_s 0.001 600 && all_in speedup gms_s 0.001 600 &&
	    all_in speedup speedup 0.01 1000"
	# with the 1995 disk and data that fits the idle memory, GMS wins
	w=$(awk -F, '$1 == 1995 && $3 == 1 { print $9 }' "$R/speedup.csv")
	if [ -n "$w" ] && is_num "$w" 1.2; then
		pass speedup_1995_gms_wins
	else
		fail speedup_1995_gms_wins "speedup at 1 MB idle: $w"
	fi
fi

# (e) idleload: transfers happen, CPU per transfer is plausible
if XP_IDLE_K=2 run_fig idleload; then
	check idleload_outputs outputs idleload \
	    clients,seconds,transfers,transfers_per_s,cpu_s,cpu_pct,cpu_us_per_transfer 2
	check idleload_values bash -c "$(declare -f col all_in is_num); R=$R
	    all_in idleload transfers_per_s 10 10000000 &&
	    all_in idleload cpu_us_per_transfer 0.1 100000 &&
	    all_in idleload cpu_pct 0 200"
fi

# (f) churnidle: three runs; the idle role moved; pages moved
if XP_CHURN_OPS=300 run_fig churnidle; then
	check churnidle_outputs outputs churnidle \
	    run,seconds,speedup,mb_moved,idle_changes,rounds 3
	check churnidle_values bash -c "$(declare -f col all_in is_num); R=$R
	    all_in churnidle seconds 0.001 600 && all_in churnidle speedup 0.01 1000 &&
	    [ \"\$(col churnidle run | tr '\n' ' ')\" = 'local static churn ' ] &&
	    awk -F, '\$1 == \"churn\" && \$5 >= 1 && \$4 > 0 { ok = 1 }
	        END { exit !ok }' $R/churnidle.csv"
fi

# The report: blocks of the results run hold their tables and figures;
# one never run says so; prose outside the blocks is unchanged.
if grep -q '<!-- result:latency -->' "$T/report.md"; then
	blk() { sed -n "/^<!-- result:$1 -->\$/,/^<!-- \/result:$1 -->\$/p" "$T/report.md"; }
	strip() { sed '/^<!-- result:/,/^<!-- \/result:/d' "$1"; }
	if blk latency | grep -q '^| 1995 | getpage_hit |' &&
	    blk latency | grep -q '!\[latency\](.*/latency.png)' &&
	    blk churnidle | grep -q '^| churn |' &&
	    [ "$(blk nosuch)" = "" ] &&
	    diff <(strip "$ROOT/paper/README.md") <(strip "$T/report.md") >/dev/null; then
		pass report_blocks_updated
	else
		fail report_blocks_updated "$(blk latency | head -5)"
	fi
	rm -f "$R"/quality.*
	"$ROOT/experiments/run" paper 2>/dev/null
	if blk quality | grep -q 'Not run yet'; then
		pass report_not_run_yet
	else
		fail report_not_run_yet "$(blk quality | head -3)"
	fi
else
	fail report_blocks_updated "paper/README.md has no result blocks"
fi

# --netns: every gmsd in its own namespace, on a bridge; nothing left
ns_before=$(ip netns list 2>/dev/null | grep -c '^gx')
if ! ip netns add "gxt$$" 2>/dev/null; then
	skip netns_cluster "cannot create network namespaces here (not root?)"
else
	ip netns del "gxt$$"
	if XP_LABEL=idleload_netns XP_IDLE_K=1 run_fig idleload --netns; then
		if head -1 "$R/idleload.md" | grep -q 'cluster: netns' &&
		    [ "$(col idleload transfers | head -1)" -gt 0 ] &&
		    [ "$(ip netns list | grep -c '^gx')" = "$ns_before" ]; then
			pass netns_cluster
		else
			fail netns_cluster "$(head -3 "$R/idleload.md")"
		fi
	fi
fi

# --hosts: a hosts file naming 127.0.0.1; through ssh where sshd answers,
# and through a stand-in for ssh that runs the command here
printf '# test hosts\n127.0.0.1 --listen 127.0.0.1:0\n127.0.0.1 --listen 127.0.0.1:0\n' \
    >"$T/hosts"
printf '#!/bin/bash\nshift\nexec bash -c "$*"\n' >"$T/fakessh"
chmod +x "$T/fakessh"
hosts_run() {	# NAME SSH
	if XP_LABEL=idleload_$1 XC_SSH=$2 XP_IDLE_K=1 run_fig idleload \
	    --hosts "$T/hosts"; then
		if head -1 "$R/idleload.md" | grep -q 'cluster: hosts' &&
		    [ "$(col idleload transfers | head -1)" -gt 0 ] &&
		    ! ls /tmp/gmsx-* >/dev/null 2>&1; then
			pass "$1"
		else
			fail "$1" "$(head -3 "$R/idleload.md"; ls /tmp/gmsx-*)"
		fi
	fi
}
hosts_run hosts_file_cluster "$T/fakessh"
if ssh -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=no \
    127.0.0.1 true 2>/dev/null; then
	hosts_run hosts_over_ssh "ssh -o BatchMode=yes -o StrictHostKeyChecking=no"
else
	skip hosts_over_ssh "no ssh to 127.0.0.1 here (no sshd or no key);\
 the hosts layer ran through a local stand-in for ssh instead"
fi
t_finish
