#!/bin/bash
# Tracing: gmsd --trace records pcap files; gmstrace analyses them (golden
# output on a fixed trace, every link type it reads, broken files, counts
# that match the nodes' own counters on a live three-node run, a capture of
# lo merged with the nodes' traces); the Wireshark dissector decodes every
# message type.
. "$(dirname "$0")/lib.sh"
cluster_init
GT=$CL_BIN/gmstrace
GEN=$CL_ROOT/build/tests/tools/gmstracegen
DATA=$CL_ROOT/tests/data/trace
LUA=$CL_ROOT/gms/gms.lua
W=$CL_TMP/work
mkdir -p "$W"

# section NAME FILE: the lines of one section of a gmstrace report
section() { sed -n "/^$1/,/^\$/p" "$2"; }
# datagrams FILE: the number of datagrams a report counted
datagrams() { sed -n 's/^  \([0-9]*\) datagrams (.*/\1/p' "$1"; }

# ---- the golden trace ------------------------------------------------------
# gmstrace on the fixed trace prints expected.txt; the trace is written
# afresh by gmstracegen and must be the one committed (which a change of
# the protocol makes stale: then regenerate it, tests/data/trace/README.md)
"$GEN" "$W" || fail generator_runs
cp "$DATA/key" "$W/key"
(cd "$W" && "$GT" --key-file key n1.pcap n2.pcap n3.pcap) \
    >"$W/golden.out" 2>"$W/golden.err"
if diff -u "$DATA/expected.txt" "$W/golden.out" >"$W/golden.diff"; then
	pass gmstrace_golden
else
	fail gmstrace_golden "$(head -40 "$W/golden.diff")"
fi
[ "$(cat "$W/golden.err")" = "gmstrace: n1.pcap: skipped 1 packet not GMS" ] &&
    pass gmstrace_golden_warns_foreign ||
    fail gmstrace_golden_warns_foreign "$(cat "$W/golden.err")"
same=1
for f in n1 n2 n3; do
	cmp -s "$W/$f.pcap" "$DATA/$f.pcap" || same=0
done
# the protocol version: byte 2 of the first datagram (pcap header 24,
# record header 16, IPv4 20, UDP 8)
ver() { od -An -tu1 -j70 -N1 "$1" | tr -d ' '; }
if [ $same = 1 ]; then
	pass golden_pcaps_committed_are_current
else
	fail golden_pcaps_committed_are_current "tests/data/trace/n?.pcap" \
	    "(protocol version $(ver "$DATA/n1.pcap")) are not what gmstracegen" \
	    "writes now (version $(ver "$W/n1.pcap")): regenerate them as" \
	    "tests/data/trace/README.md says"
fi

# The same traffic captured once on the wire, in every link type: the
# same datagrams, by type and by node pair, and the same anomalies but for
# the extra non-IPv4 packet each capture holds and the datagrams lost on
# the way (a capture at the senders cannot tell).
for lt in en10mb sll sll2 null loop raw; do
	"$GT" --key-file "$W/key" "$W/wire-$lt.pcap" >"$W/wire-$lt.out" \
	    2>/dev/null || { fail "link_type_$lt" "gmstrace failed"; continue; }
	d=""
	for s in "messages by type" "messages by node pair" "page movement"; do
		d="$d$(diff <(section "$s" "$W/golden.out") \
		    <(section "$s" "$W/wire-$lt.out"))"
	done
	d="$d$(diff <(section anomalies "$W/golden.out" | grep -v "foreign\|lost") \
	    <(section anomalies "$W/wire-$lt.out" | grep -v "foreign\|lost"))"
	grep -q "foreign packets  *2$" "$W/wire-$lt.out" || d="$d foreign"
	[ -z "$d" ] && pass "link_type_$lt" || fail "link_type_$lt" "$d"
done
grep -q "fragments never completed  *0" "$W/wire-en10mb.out" &&
    pass ipv4_fragments_reassembled || fail ipv4_fragments_reassembled

# Without the key: headers only, every datagram counted (the stranger's
# forged sender id then clashes with node 2's); with a wrong key: one
# warning, every MAC failed, still classified by headers.
(cd "$W" && env -u GMS_KEY "$GT" n1.pcap n2.pcap n3.pcap) \
    >"$W/nokey.out" 2>/dev/null
if grep -q "no key: MACs not checked" "$W/nokey.out" &&
    grep -q "88 counted below" "$W/nokey.out" &&
    [ "$(grep "getpage forwarded\|getpage miss" "$W/golden.out")" = \
    "$(grep "getpage forwarded\|getpage miss" "$W/nokey.out")" ]; then
	pass gmstrace_without_key
else
	fail gmstrace_without_key "$(head -8 "$W/nokey.out")"
fi
(cd "$W" && GMS_KEY=not-the-cluster-key "$GT" n1.pcap n2.pcap n3.pcap) \
    >"$W/badkey.out" 2>"$W/badkey.err"
if grep -q "no datagram verifies under the key" "$W/badkey.err" &&
    grep -q "bad MACs  *88$" "$W/badkey.out" &&
    grep -q "88 counted below" "$W/badkey.out"; then
	pass gmstrace_wrong_key
else
	fail gmstrace_wrong_key "$(cat "$W/badkey.err")"
fi

# --any-version: the datagram of another protocol version counted by header
(cd "$W" && "$GT" --any-version --key-file key n1.pcap n2.pcap n3.pcap) \
    >"$W/anyver.out" 2>/dev/null
grep -q "^  1 sighting of another protocol version" "$W/anyver.out" &&
    grep -q "87 counted below" "$W/anyver.out" && pass gmstrace_any_version ||
    fail gmstrace_any_version "$(sed -n 6,7p "$W/anyver.out")"

# ---- broken files ----------------------------------------------------------
head -c -10 "$W/n1.pcap" >"$W/cut.pcap"
out=$("$GT" "$W/cut.pcap" 2>&1 >"$W/cut.out")
if [ $? = 0 ] && echo "$out" | grep -q "cut.pcap: the file ends in a broken \
record (truncated dump file; .*); used the 63 records before it" &&
    grep -q "(truncated)" "$W/cut.out" && grep -q "truncated files  *1" \
    "$W/cut.out"; then
	pass truncated_pcap_used_with_warning
else
	fail truncated_pcap_used_with_warning "$out"
fi
head -c 1000 /dev/urandom >"$W/garbage.pcap"
expect_fail garbage_pcap_alone 1 "nothing to analyse: .*garbage.pcap could \
not be read" "$GT" "$W/garbage.pcap"
out=$("$GT" "$W/garbage.pcap" "$W/n2.pcap" 2>&1 >"$W/mixed.out")
if [ $? = 0 ] && echo "$out" | grep -q "not a capture file" &&
    grep -q "58 datagrams" "$W/mixed.out"; then
	pass garbage_pcap_skipped_others_used
else
	fail garbage_pcap_skipped_others_used "$out"
fi
expect_fail no_gms_in_pcap 1 "no GMS datagrams in .*foreign.pcap" \
    "$GT" "$W/foreign.pcap"
: >"$W/empty.pcap"
expect_fail empty_pcap 1 "empty.pcap: not a capture file" "$GT" "$W/empty.pcap"
expect_fail gmstrace_no_files 2 "no capture file given" "$GT"
expect_fail gmstrace_bad_page_size 1 "--page-size 3000: must be a power of \
two" "$GT" --page-size 3000 "$W/n1.pcap"
expect_fail gmsd_trace_bad_path 1 "--trace $CL_TMP/nodir/t.pcap: cannot \
create the file: No such file or directory" "$CL_BIN/gmsd" --listen \
    127.0.0.1:0 --dir "$CL_TMP/bad" --trace "$CL_TMP/nodir/t.pcap"

# ---- the dissector on the golden trace: a field of every message type ----
TSHARK="tshark -n -o udp.try_heuristic_first:TRUE -X lua_script:$LUA"
# type, its name, then FIELD=VALUE pairs its first datagram must show
CHECKS="0x01 JOIN gms.sender=0 gms.page_size=1024 gms.join.nframes=512
0x02 JOIN_ACK gms.status=0 gms.join_ack.policy=0 gms.join_ack.node=2
0x03 POD gms.pod_version=2 gms.count=2 gms.pod.addr=10.0.0.1 gms.pod.port=7070
0x04 HEARTBEAT gms.nfree=400 gms.heartbeat.nlocal=100 gms.heartbeat.nglobal=12
0x05 HEARTBEAT_ACK gms.count=3 gms.node=1 gms.nfree=500
0x06 LEAVE gms.sender=3 gms.reqid=0x0000100300000008 gms.stamp=1700000000000079
0x07 LEAVE_DONE gms.sender=3 gms.reqid=0x0000100300000009
0x08 ACK gms.flags.reply=1 gms.status=0 gms.ack.value=2
0x20 GETPAGE gms.uid=2:1:0 gms.uid.pgno=0 gms.getpage.requester=2
0x21 GETPAGE_FWD gms.sender=1 gms.getpage.requester=2 gms.uid=2:1:0
0x22 PAGE gms.uid=2:1:0 gms.page_size=1024 gms.gen=1 gms.page.age_ms=20
0x23 MISS gms.uid=2:1:100 gms.miss.reason=0
0x24 PUTPAGE gms.uid=2:1:0 gms.page.age_ms=1500 gms.page_size=1024
0x25 DISCARD gms.uid=2:1:3 gms.discard.holder=0
0x26 GCD_UPDATE gms.count=1 gms.gcd.holder=3 gms.gcd.op=1 gms.uid=2:1:0
0x27 GCD_HANDOVER gms.count=2 gms.gcd.holder=2 gms.uid=2:1:20
0x28 PUTBATCH gms.count=3 gms.uid=2:1:40 gms.page.age_ms=1600 gms.page_size=1024
0x29 PUTBATCH_ACK gms.flags.reply=1 gms.count=3 gms.nfree=7 gms.status=0
0x40 EPOCH_START gms.epoch=1 gms.epoch.m=100 gms.epoch.t_ms=1000
0x41 EPOCH_SUMMARY gms.epoch=1 gms.epoch.bucket=3 gms.epoch.pages=40
0x42 EPOCH_PLAN gms.epoch.minage=2500 gms.epoch.next=3 gms.epoch.weight=30"
if ! command -v tshark >/dev/null; then
	skip dissector_every_type "tshark is not installed" \
	    "(experiments/install-deps.sh installs it)"
else
	fields=$(echo "$CHECKS" | tr ' ' '\n' | grep '=' | cut -d= -f1 | sort -u |
	    sed 's/^/-e /' | tr '\n' ' ')
	# shellcheck disable=SC2086
	$TSHARK -r "$W/wire-raw.pcap" -T fields -E header=y -E separator='|' \
	    -E occurrence=f -e gms.type -e gms.bad_length $fields \
	    >"$W/fields.txt" 2>"$W/tshark.err"
	while read -r type name pairs; do
		out=$(awk -F'|' -v t="$type" -v want="$pairs" '
		    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		    $1 == t && !done { done = 1; n = split(want, w, " ")
			for (i = 1; i <= n; i++) { split(w[i], kv, "=")
			    if ($(col[kv[1]]) != kv[2])
				printf "%s is \"%s\", not %s; ", kv[1],
				    $(col[kv[1]]), kv[2] } }
		    END { if (!done) print "no datagram of this type" }' \
		    "$W/fields.txt")
		[ -z "$out" ] && pass "dissector_$name" ||
		    fail "dissector_$name" "$out $(head -3 "$W/tshark.err")"
	done <<<"$CHECKS"
	n=$(awk -F'|' '$2 == 1' "$W/fields.txt" | wc -l)
	[ "$n" = 1 ] && pass dissector_flags_wrong_length ||
	    fail dissector_flags_wrong_length "$n datagrams flagged"
fi

# ---- a live cluster, every node traced --------------------------------------
cluster_master n1 --mem 8M --heartbeat 2000 --trace "$CL_TMP/n1.pcap"
cluster_node n2 --mem 2M --trace "$CL_TMP/n2.pcap"
cluster_node n3 --mem 8M --trace "$CL_TMP/n3.pcap"
if cluster_wait_members 3 10; then
	pass traced_cluster_joins
else
	fail traced_cluster_joins "members did not converge to 3"
	t_finish
fi
PORTS="$(cluster_port n1) $(cluster_port n2) $(cluster_port n3)"

# tcpdump on lo at the same time, when we may capture
TCPDUMP=""
if command -v tcpdump >/dev/null && [ "$(id -u)" = 0 ]; then
	tcpdump -i lo --immediate-mode -U -w "$CL_TMP/lo.pcap" \
	    "udp and (port ${PORTS// / or port })" \
	    2>"$W/tcpdump.err" &
	TCPDUMP=$!
	for i in $(seq 1 100); do
		grep -q listening "$W/tcpdump.err" && break
		kill -0 $TCPDUMP 2>/dev/null || { TCPDUMP=""; break; }
		sleep 0.03
	done
fi

# private pages out and back, then shared pages fetched by other nodes
# (some through a GCD node that holds none: forwarded getpages)
cluster_ctl n2 exercise --pages 300 --json >"$W/exercise.json"
head -c 4096 /dev/urandom >"$W/page"
for i in $(seq 1 12); do
	cluster_ctl n3 put "0:9s:$i" "$W/page" &&
	    cluster_ctl n2 get "0:9s:$i" "$W/got" &&
	    cluster_ctl n1 get "0:9s:$i" "$W/got" || echo "shared page $i failed"
done >"$W/shared.log" 2>&1
[ -s "$W/shared.log" ] && fail shared_pages "$(cat "$W/shared.log")"
if [ -n "$TCPDUMP" ]; then
	sleep 0.2	# what is still on its way to the capture
	kill -INT $TCPDUMP
	wait $TCPDUMP 2>/dev/null
fi

# The nodes' counters and gmstrace's per-node counts of the three traces,
# by type, sent and received, must be equal.  Heartbeats and epochs go on,
# so compare at a quiet moment: no counter moved from before the traces
# were read (after a flush period) to after.
counters() {
	local n
	for n in n1 n2 n3; do
		st $n '.messages | to_entries[] | "\(.key) \(.value.sent) \(.value.recv)"' |
		    sed "s/^/$(cluster_port $n) /"
	done | sort
}
matched=""
for try in $(seq 1 20); do
	before=$(counters)
	sleep 0.3
	"$GT" --csv "$W/csv" "$CL_TMP/n1.pcap" "$CL_TMP/n2.pcap" \
	    "$CL_TMP/n3.pcap" >"$W/live.out" 2>"$W/live.err"
	after=$(counters)
	[ "$before" = "$after" ] || continue
	traced=$(awk -F, 'NR > 1 { split($2, a, ":"); print a[2], $3, $4, $5 }' \
	    "$W/csv/node_types.csv" | sort)
	if [ "$traced" = "$before" ]; then
		matched=yes
	else
		matched="$(diff <(echo "$before") <(echo "$traced") | head -20)"
	fi
	break
done
if [ "$matched" = yes ]; then
	pass counts_match_gmsctl_per_type
elif [ -z "$matched" ]; then
	fail counts_match_gmsctl_per_type "no quiet moment in 20 tries"
else
	fail counts_match_gmsctl_per_type "gmsctl (<) and gmstrace (>): $matched"
fi

# operations: the exercise's 300 gets, 300 puts; forwards as counted
lat() { awk -v op="$1" 'index($0, "  " op " ") == 1 {
    sub("^  " op " *", ""); print $1 }' "$W/live.out"; }
direct=$(lat "getpage hit direct")
puts=$(lat putpage)
[ "${direct:-0}" -ge 300 ] && [ "${puts:-0}" -ge 300 ] &&
    pass live_latency_operations ||
    fail live_latency_operations "direct ${direct:-?}, putpage ${puts:-?}"
fwd=0
for n in n1 n2 n3; do fwd=$((fwd + $(st $n .counters.forwards))); done
got=$(lat "getpage forwarded")
if [ "$fwd" -ge 1 ] && [ "$got" = "$fwd" ]; then
	pass forwarded_getpages_match_counters
else
	fail forwarded_getpages_match_counters "gmstrace $got, nodes' forwards $fwd"
fi

# A capture of lo adds no datagram to the nodes' traces: every one is
# recognised as seen already (the nodes' files copied after the capture
# ended and a flush period).
if [ -z "$TCPDUMP" ]; then
	skip lo_capture_merges "tcpdump missing or not root: cannot capture lo"
else
	sleep 0.3
	for n in n1 n2 n3; do cp "$CL_TMP/$n.pcap" "$W/$n.copy.pcap"; done
	"$GT" "$W"/n?.copy.pcap >"$W/three.out" 2>/dev/null
	"$GT" "$W"/n?.copy.pcap "$CL_TMP/lo.pcap" >"$W/four.out" 2>/dev/null
	"$GT" "$CL_TMP/lo.pcap" >"$W/lo.out" 2>/dev/null
	a=$(datagrams "$W/three.out")
	b=$(datagrams "$W/four.out")
	c=$(datagrams "$W/lo.out")
	if [ -n "$a" ] && [ "$a" = "$b" ] && [ "${c:-0}" -gt 1000 ] &&
	    grep -q "lo.pcap  *EN10MB .*a capture of traffic" "$W/four.out"; then
		pass lo_capture_merges
	else
		fail lo_capture_merges "3 traces: $a, with lo: $b, lo alone: $c;" \
		    "$(grep lo.pcap "$W/four.out")"
	fi
fi

# the recorded trace is a plain pcap for tcpdump and tshark
if command -v tcpdump >/dev/null; then
	tcpdump -nn -r "$CL_TMP/n1.pcap" 2>/dev/null | head -1 |
	    grep -q "IP 127.0.0.1.[0-9]* > 127.0.0.1.[0-9]*: UDP, length" &&
	    pass tcpdump_reads_trace || fail tcpdump_reads_trace
else
	skip tcpdump_reads_trace "tcpdump is not installed"
fi
if command -v tshark >/dev/null; then
	# one snapshot for both readers: the live node's trace still grows
	sleep 0.2	# past a flush (TRACE_FLUSH_MS), so no record is cut
	cp "$CL_TMP/n1.pcap" "$W/n1snap.pcap"
	"$GT" --csv "$W/n1csv" "$W/n1snap.pcap" >/dev/null 2>&1
	want=$(awk -F, 'NR > 1 { print $1, $2 }' "$W/n1csv/messages.csv" | sort)
	# the Info column starts with the type's name
	have=$($TSHARK -r "$W/n1snap.pcap" -Y gms -T fields -e _ws.col.Info \
	    2>/dev/null | awk '{ n[$1]++ } END { for (t in n) print t, n[t] }' |
	    sort)
	bad=$($TSHARK -r "$W/n1snap.pcap" -Y "_ws.malformed || gms.bad_length" \
	    2>/dev/null | wc -l)
	if [ -n "$want" ] && [ "$want" = "$have" ] && [ "$bad" = 0 ]; then
		pass tshark_decodes_live_trace
	else
		fail tshark_decodes_live_trace "gmstrace: $want / tshark: $have /" \
		    "malformed $bad"
	fi
else
	skip tshark_decodes_live_trace "tshark is not installed"
fi

# --csv and --plot write their files
if command -v gnuplot >/dev/null; then
	"$GT" --plot "$W/plot" "$CL_TMP/n1.pcap" "$CL_TMP/n2.pcap" \
	    "$CL_TMP/n3.pcap" >/dev/null 2>&1
	ok=1
	for f in latency_cdf.png traffic.png pages.png; do
		[ "$(head -c 4 "$W/plot/$f" 2>/dev/null | tail -c 3)" = PNG ] || ok=0
	done
	[ $ok = 1 ] && pass plot_figures || fail plot_figures "$(ls "$W/plot")"
else
	skip plot_figures "gnuplot is not installed"
fi
n=$(awk -F, '$1 == "getpage_direct" { print $2 }' "$W/csv/latency.csv")
[ "${n:-0}" -ge 300 ] && [ -s "$W/csv/latency_samples.csv" ] &&
    [ -s "$W/csv/pairs.csv" ] && [ -s "$W/csv/traffic.csv" ] &&
    pass csv_files || fail csv_files "$(ls "$W/csv")"

# The getpage breakdown: every getpage hit of the live run split into its
# parts (network out, GCD node, GCD to holder, target, network back), and
# the parts of each add up to its latency within 1 us.
out=$(awk -F, 'NR == 1 { next }
    { s = 0; for (i = 5; i <= 9; i++) s += $i; n++
      d = s - $11; if (d < 0) d = -d
      if (d > 1) { bad++; if (bad < 4) printf "%s: parts %.3f, latency %.3f; ", $1, s, $11 } }
    END { printf "%d %d", n, bad }' "$W/csv/getpage_breakdown_samples.csv")
rows=${out##*; }
rows=${rows%% *}
bad=${out##* }
hits=$(awk -F, '$1 == "total" { print $2 }' "$W/csv/getpage_breakdown.csv")
if [ "${rows:-0}" -ge 300 ] && [ "$bad" = 0 ] && [ "$hits" = "$rows" ] &&
    grep -q "^  gcd node  *[1-9]" "$W/live.out"; then
	pass getpage_breakdown_adds_up
else
	fail getpage_breakdown_adds_up "$rows breakdowns ($hits in the table)," \
	    "$bad off by more than 1 us: $out"
fi

# A node killed with SIGKILL leaves a trace gmstrace reads (at most its
# last record cut short), holding what its counters showed before.
seen=$(st n3 '[.messages[] | .sent + .recv] | add')
sleep 0.25	# what was counted is flushed (TRACE_FLUSH_MS), then kill
cluster_kill n3 KILL
if "$GT" "$CL_TMP/n3.pcap" >"$W/killed.out" 2>"$W/killed.err"; then
	n=$(sed -n 's/^  .*n3.pcap  *RAW  *[0-9]*  *\([0-9]*\) .*/\1/p' \
	    "$W/killed.out")
	[ "${n:-0}" -ge "$seen" ] && pass trace_survives_sigkill ||
	    fail trace_survives_sigkill "$n datagrams in the file, $seen counted"
else
	fail trace_survives_sigkill "$(cat "$W/killed.err")"
fi
t_finish
