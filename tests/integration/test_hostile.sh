#!/bin/bash
# Hostile datagrams with real gmsd processes (what test_badinput.sh does
# not already cover): unknown types and another protocol version are
# counted and dropped; a sender without the cluster key can neither read a
# page a node holds nor replace it; and a member with the key that floods a
# node with putpages far beyond its --mem does not grow the node's memory
# past --mem plus its stated overhead.  Each check looks at the counters
# that must move and at the state that must not.
. "$(dirname "$0")/lib.sh"
cluster_init
INJ=$CL_ROOT/build/tests/tools/gmsinject
WRONG=not-the-cluster-key-$$

cluster_master m --mem 4M --heartbeat 100 || { fail start; t_finish; }
cluster_node a --mem 4M || { fail start; t_finish; }
cluster_wait_members 2 10 || { fail join "no convergence"; t_finish; }
MP=$(cluster_port m)
AP=$(cluster_port a)
MID=$(st m .node)
AID=$(st a .node)

# A page of a's, held in m's memory.
U=$AID:7:5
head -c 4096 /dev/urandom >"$CL_TMP/page"
cluster_ctl a put "$U" "$CL_TMP/page" --to "$MID" ||
    fail put_to_m "gmsctl put failed"
if cluster_ctl m pages | grep -q "\"uid\":\"$U\".*\"global\""; then
	pass page_held_by_m
else
	fail page_held_by_m "$(cluster_ctl m pages | head -3)"
fi

# state NODE: what a dropped datagram must leave alone
state() {
	st "$1" '[.global, .local, .gcd_entries, .counters.served_pages,
	    .counters.served_misses, .counters.forwards,
	    .counters.gcd_updates] | map(tostring) | join(" ")'
}
# dropped NAME NODE COUNTER BEFORE-STATE: COUNTER moved, the state did not
dropped() {
	local name=$1 node=$2 ctr=$3 s0=$4 c0=$5 c1 s1
	c1=$(st "$node" ".counters[\"$ctr\"]")
	s1=$(state "$node")
	if [ "$c1" -gt "$c0" ] && [ "$s1" = "$s0" ]; then
		pass "$name"
	else
		fail "$name" "$ctr $c0 -> $c1; state [$s0] -> [$s1]"
	fi
}

# Another type and another version, each with a valid MAC.
for k in badtype:bad-type badversion:bad-version; do
	s0=$(state a)
	c0=$(st a ".counters[\"${k#*:}\"]")
	$INJ "127.0.0.1:$AP" "${k%%:*}"
	sleep 0.3
	dropped "${k%%:*}_dropped_and_counted" a "${k#*:}" "$s0" "$c0"
done

# The control socket: a map request without its descriptors is answered
# with a sentence; a packet shorter than a header ends the connection;
# gmsd goes on.
out=$(python3 - "$CL_TMP/a/ctl.sock" <<'PY' 2>&1
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
s.send(struct.pack("=BBHII", 7, 0, 0, 1, 24) + bytes(24))  # MAP, no fds
r = s.recv(1024)
print("status", r[1], r[12:].decode())
s.send(b"\x01\x02")                                         # too short
print("closed" if s.recv(1024) == b"" else "open")
PY
)
if echo "$out" | grep -q "status 2 a map request needs a struct ctl_map, a memfd" &&
    echo "$out" | grep -q "^closed" && cluster_alive a &&
    [ "$(st a .state)" = member ]; then
	pass ctl_malformed_requests_refused
else
	fail ctl_malformed_requests_refused "$out"
fi

# Without the key: a getpage for the page m holds gets no answer.
s0=$(state m)
c0=$(st m '.counters["bad-mac"]')
out=$($INJ "127.0.0.1:$MP" getpage "$WRONG" 1 "$U")
sleep 0.2
[ "$out" = "no reply" ] && pass wrong_key_getpage_no_reply ||
    fail wrong_key_getpage_no_reply "$out"
dropped wrong_key_getpage_not_served m bad-mac "$s0" "$c0"
# the control: the owner's own get is served by m, and served_pages moves
sp0=$(st m .counters.served_pages)
cluster_ctl a get "$U" "$CL_TMP/back0" >/dev/null 2>&1
sp1=$(st m .counters.served_pages)
[ "$sp1" -gt "$sp0" ] && cmp -s "$CL_TMP/page" "$CL_TMP/back0" &&
    pass owner_get_served_control ||
    fail owner_get_served_control "served $sp0 -> $sp1"

# Without the key: a putpage replacing the page is dropped, and the owner
# reads back its own bytes.  (The owner's get above moved the page to a.)
cluster_ctl a put "$U" "$CL_TMP/page" --to "$MID" ||
    fail put_to_m_again "gmsctl put failed"
s0=$(state m)
c0=$(st m '.counters["bad-mac"]')
$INJ "127.0.0.1:$MP" putpage "$WRONG" 1 "$U"
sleep 0.3
dropped wrong_key_putpage_dropped m bad-mac "$s0" "$c0"
if cluster_ctl a get "$U" "$CL_TMP/back1" >/dev/null 2>&1 &&
    cmp -s "$CL_TMP/page" "$CL_TMP/back1"; then
	pass owner_reads_its_own_data
else
	fail owner_reads_its_own_data "$(cmp "$CL_TMP/page" "$CL_TMP/back1" 2>&1)"
fi

# A member with the key floods m with 8 x its frames of putpages of
# distinct pages, and never answers (so m's own putpages to it wait too).
# m's resident memory may grow by at most: its frames (--mem), 16 MiB of
# requests awaiting replies (NET_PEND_MAX_BYTES) and as much again for the
# copies of the pages those putpages keep for a retry elsewhere, 160 bytes
# per frame (PFD) and per GCD entry, and 8 MiB for the replies it keeps
# (5 s) and the allocator's slack.
PID=$(cluster_pid m)
FRAMES=$(st m .frames)
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
r0=$(rss "$PID")
out=$($INJ "127.0.0.1:$MP" joinflood:$((8 * FRAMES)) 2>&1)
echo "$out" | grep -q "joined as node" && pass flooder_joined_with_key ||
    fail flooder_joined_with_key "$out"
peak=$r0
maxg=0
for i in $(seq 1 30); do		# 3 s: the flooder's requests time out
	r=$(rss "$PID") || break
	[ "$r" -gt "$peak" ] && peak=$r
	g=$(st m .global)
	[ "$g" -gt "$maxg" ] && maxg=$g
	sleep 0.1
done
gcd=$(($(st m .gcd_entries) + $(st a .gcd_entries)))
bound=$((4 * 1048576 + 32 * 1048576 + 160 * (FRAMES + gcd) + 8 * 1048576))
echo "  (m: RSS $((r0 / 1024)) KiB before, peak $((peak / 1024)) KiB;" \
    "growth bound $((bound / 1024)) KiB; $(st m .counters.pend_full)" \
    "requests refused as too many pending)"
if cluster_alive m && [ $((peak - r0)) -le "$bound" ]; then
	pass flood_memory_within_bound
else
	fail flood_memory_within_bound "grew $(((peak - r0) / 1024)) KiB"
fi
# The bounds below mean something only if the flood arrived: m's frames
# filled with the flooder's pages.
[ "$maxg" -ge $((FRAMES / 2)) ] && pass flood_arrived ||
    fail flood_arrived "m held at most $maxg global pages of $FRAMES frames"
[ "$maxg" -le "$FRAMES" ] && pass flood_global_pages_within_frames ||
    fail flood_global_pages_within_frames "global $maxg > $FRAMES"
[ "$gcd" -le $((3 * FRAMES)) ] && pass flood_gcd_entries_bounded ||
    fail flood_gcd_entries_bounded "GCD entries $gcd for 3 x $FRAMES frames"
# A member that left requests unanswered in the flood is skipped for 10 s
# (NODE_SUSPECT_MS): the cluster serves again within that.
for i in $(seq 1 15); do
	out=$(cluster_ctl a exercise --pages 100 --json)
	[ "$(echo "$out" | jq '.get.ok == 100')" = true ] && break
	sleep 1
done
echo "  (the cluster served again $i s after the flood)"
if cluster_alive m && [ "$(echo "$out" | jq '.get.ok == 100')" = true ]; then
	pass cluster_serves_after_flood
else
	fail cluster_serves_after_flood "$out"
fi
t_finish
