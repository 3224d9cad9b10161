#!/bin/bash
# The link model (gmsd --link): each datagram sent is held for the model's
# one-way latency plus its serialisation time, in a FIFO per sender, on top
# of what loopback really costs.  Latency: a getpage round trip with atm155
# on both nodes takes at least the modelled two messages, and not absurdly
# more; bandwidth: a burst of pages leaves no faster than the link allows;
# the profile is in the status; bad values are refused.
. "$(dirname "$0")/lib.sh"
cluster_init

G=$CL_BIN/gmsd
EXPECT_ONE_LINE=1
expect_fail bad_link_name 1 "^gmsd: --link floppy: one of none, atm155" \
    $G --link floppy
expect_fail bad_link_zero_bandwidth 1 "--link 5:0: one of none" $G --link 5:0
expect_fail bad_link_no_bandwidth 1 "--link 505: one of none" $G --link 505
expect_fail bad_link_negative 1 "--link -1:155: one of none" $G --link -1:155
expect_fail bad_inject 1 "--inject: 'loss=2' is not loss=P" \
    $G --inject loss=2

# Modelled costs, us: 4096-byte pages; a GETPAGE is header 32 + body 32 +
# MAC 16 bytes, a PAGE header 32 + 28 + 4096 + 16.
PAGE_DG=$((32 + 28 + 4096 + 16))
tx_us() { echo "$1 $2" | awk '{ printf "%.1f", $1 * 8 / $2 }'; }
GET_MODEL=$(awk -v a="$(tx_us 80 155)" -v b="$(tx_us $PAGE_DG 155)" \
    'BEGIN { printf "%.0f", 2 * 505 + a + b }')

# Two clusters side by side: a+b with atm155, c+d with no model.
cluster_master a --mem 8M --link atm155 --trace "$CL_TMP/a.pcap"
cluster_node b --mem 8M --link atm155 --trace "$CL_TMP/b.pcap"
A_MASTER=$CL_MASTER
cluster_master c --mem 8M
cluster_node d --mem 8M
CL_MASTER=$A_MASTER
cluster_wait_members 2 20 || fail clusters_formed

[ "$(st a .link)" = atm155 ] && [ "$(st c .link)" = none ] &&
    cluster_ctl a status | grep -q "link model atm155" &&
    pass status_shows_link ||
    fail status_shows_link "a: $(st a .link), c: $(st c .link)"

# Interleaved, so both see the same load: none, atm155, none, atm155.
med_none=""; med_atm=""
for round in 1 2; do
	out=$(cluster_ctl c exercise --pages 100 --space $round --json)
	med_none="$med_none $(echo "$out" | jq '.get.median_us')"
	[ "$(echo "$out" | jq '.get.ok == 100 and .mismatches == 0')" = true ] ||
	    fail exercise_none "$out"
	out=$(cluster_ctl a exercise --pages 100 --space $round --json)
	med_atm="$med_atm $(echo "$out" | jq '.get.median_us')"
	[ "$(echo "$out" | jq '.get.ok == 100 and .mismatches == 0')" = true ] ||
	    fail exercise_atm155 "$out"
done
# the smaller median of the two rounds of each
mn=$(echo $med_none | tr ' ' '\n' | sort -g | head -1)
ma=$(echo $med_atm | tr ' ' '\n' | sort -g | head -1)
echo "  getpage median: none $med_none us, atm155 $med_atm us;" \
    "modelled two messages $GET_MODEL us"
# at least the model (each get includes both holds); at most three
# messages' worth plus 3 ms for a loaded machine
if awk -v n="$mn" -v a="$ma" -v m="$GET_MODEL" \
    'BEGIN { exit !(a >= m && a - n >= 0.9 * m && a - n <= 1.5 * m + 3000) }'
then
	pass getpage_slower_by_model
else
	fail getpage_slower_by_model "none $mn us, atm155 $ma us, model $GET_MODEL us"
fi

# The traces put the hold on the network, not in the sender: gmstrace's
# getpage legs (request out, page back) hold the model's one-way costs,
# the holder's own time does not.
sleep 0.3	# the traces are flushed (TRACE_FLUSH_MS)
"$CL_BIN/gmstrace" "$CL_TMP/a.pcap" "$CL_TMP/b.pcap" >"$CL_TMP/gt.out" 2>&1
leg() { sed -n "s/^  $1  *[0-9]*  *\([0-9.]*\) .*/\1/p" "$CL_TMP/gt.out"; }
out_us=$(leg "network out"); back_us=$(leg "network back")
tgt_us=$(leg "target (holder)")
echo "  traced legs: network out $out_us us, target $tgt_us us," \
    "network back $back_us us (model 505, 0, $(awk -v t="$(tx_us $PAGE_DG 155)" \
    'BEGIN { printf "%.0f", 505 + t }'))"
if awk -v o="${out_us:-0}" -v b="${back_us:-0}" -v t="${tgt_us:-9999}" \
    -v p="$(tx_us $PAGE_DG 155)" \
    'BEGIN { exit !(o >= 505 && b >= 505 + p && t < 505) }'; then
	pass trace_counts_hold_as_network
else
	fail trace_counts_hold_as_network "$(grep -A8 'getpage breakdown' \
	    "$CL_TMP/gt.out")"
fi

# Bandwidth: f (10 Mb/s, no latency) holds N global pages of e's, then
# leaves: it hands them all off to g at once, one PUTPAGE each through its
# link.
N=60
cluster_kill a; cluster_kill b; cluster_kill c; cluster_kill d
cluster_master e --mem 8M
cluster_node f --mem 8M --link 0:10
cluster_node g --mem 8M
cluster_wait_members 3 20 || fail burst_cluster_formed
[ "$(st f .link)" = "0:10" ] && pass status_shows_custom_link ||
    fail status_shows_custom_link "$(st f .link)"
head -c 4096 /dev/urandom >"$CL_TMP/page"
eid=$(st e .node)
fid=$(st f .node)
for i in $(seq 1 $N); do
	cluster_ctl e put "$eid:9:$i" "$CL_TMP/page" --to "$fid" ||
	    fail burst_put "page $i"
done
g=$(st f .global)
if [ "$g" -ge $N ]; then
	t0=$(date +%s%N)
	out=$(cluster_ctl f leave 2>&1)
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	echo "  $(st g .global) pages on g"
	min_ms=$(awk -v n="$g" -v b="$PAGE_DG" \
	    'BEGIN { printf "%d", n * b * 8 / 10 / 1000 }')
	echo "  $g pages handed off in $ms ms; at 10 Mb/s at least $min_ms ms"
	if echo "$out" | grep -q "left the cluster" && [ $ms -ge $min_ms ] &&
	    [ $ms -le $((min_ms * 3 + 2000)) ]; then
		pass burst_held_to_bandwidth
	else
		fail burst_held_to_bandwidth "$ms ms (min $min_ms): $out"
	fi
	bad=0
	for i in $(seq 1 $N); do
		cluster_ctl e get "$eid:9:$i" "$CL_TMP/got" &&
		    cmp -s "$CL_TMP/page" "$CL_TMP/got" || bad=$((bad + 1))
	done
	[ $bad = 0 ] && pass burst_pages_arrived ||
	    fail burst_pages_arrived "$bad of $N pages not found intact"
else
	fail burst_held_to_bandwidth "f holds $g global pages, not $N"
fi
t_finish
