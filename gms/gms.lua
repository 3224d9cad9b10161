-- gms.lua: a Wireshark/tshark dissector for the GMS wire protocol
-- (gms/proto.h, protocol version 9: the layouts below follow its
-- diagrams; version 6 added the header's stamp, which makes the header 32
-- bytes, version 7 the master's address to JOIN_ACK and the term, the next
-- node id and the members' nonces to POD, version 8 changed only the MAC,
-- so 7 and 8 decode alike, version 9 added PUTBATCH and PUTBATCH_ACK and
-- changed nothing else).  Keep it in step with proto.h.
--
--   tshark -X lua_script:gms/gms.lua -r n1.pcap
--   tshark -X lua_script:gms/gms.lua -r n1.pcap -V -Y gms.type==0x20
--   wireshark -X lua_script:gms/gms.lua n1.pcap
--
-- GMS runs on UDP ports the nodes choose, so the dissector finds its
-- datagrams by their header (heuristic: magic "GM", a version near ours
-- and a known type); the preference "gms.ports" adds UDP ports to decode as GMS
-- whatever they carry.  Where another dissector owns a node's port, add
-- -o udp.try_heuristic_first:TRUE.  The MAC (an XChaCha20-Poly1305 tag
-- under the cluster key since version 8, keyed BLAKE2b before) is shown,
-- not checked: gmstrace --key-file does that.

local PROTO_MAGIC = 0x474d
local PROTO_VERSION = 9		-- the newest version decoded
local VERSION_MIN = 7		-- the oldest with the layouts below
local HDRLEN, MACLEN = 32, 16
local HDRLEN_V5 = 24		-- versions before 6: no stamp

-- The header length of a datagram of version v.
local function hdrlen(v)
	if v < 6 then return HDRLEN_V5 end
	return HDRLEN
end
local PAGEHDR = 28

local gms = Proto("gms", "GMS (Global Memory Service)")

local types = {
	[0x01] = "JOIN", [0x02] = "JOIN_ACK", [0x03] = "POD",
	[0x04] = "HEARTBEAT", [0x05] = "HEARTBEAT_ACK", [0x06] = "LEAVE",
	[0x07] = "LEAVE_DONE", [0x08] = "ACK",
	[0x20] = "GETPAGE", [0x21] = "GETPAGE_FWD", [0x22] = "PAGE",
	[0x23] = "MISS", [0x24] = "PUTPAGE", [0x25] = "DISCARD",
	[0x26] = "GCD_UPDATE", [0x27] = "GCD_HANDOVER", [0x28] = "PUTBATCH",
	[0x29] = "PUTBATCH_ACK",
	[0x40] = "EPOCH_START", [0x41] = "EPOCH_SUMMARY", [0x42] = "EPOCH_PLAN",
}
local statuses = {
	[0] = "OK", [1] = "REFUSED", [2] = "FULL", [3] = "NOTMEMBER",
	[4] = "STALE", [5] = "NOTMASTER", [6] = "NOQUORUM",
}
local miss_reasons = { [0] = "NOENTRY", [1] = "NOTHELD", [2] = "STALEPOD" }
local gcd_ops = { [1] = "ADD", [2] = "REMOVE" }
local policies = { [0] = "gms", [1] = "local", [2] = "nchance" }

local f = gms.fields
-- header
f.magic = ProtoField.uint16("gms.magic", "Magic", base.HEX)
f.version = ProtoField.uint8("gms.version", "Version")
f.type = ProtoField.uint8("gms.type", "Type", base.HEX, types)
f.cluster = ProtoField.uint32("gms.cluster", "Cluster")
f.sender = ProtoField.uint32("gms.sender", "Sender node")
f.flags = ProtoField.uint16("gms.flags", "Flags", base.HEX)
f.reply = ProtoField.bool("gms.flags.reply", "Reply", 16, nil, 0x0001)
f.reserved = ProtoField.uint16("gms.reserved", "Reserved", base.HEX)
f.reqid = ProtoField.uint64("gms.reqid", "Request id", base.HEX)
f.stamp = ProtoField.uint64("gms.stamp", "Stamp (us since 1970)")
f.body = ProtoField.bytes("gms.body", "Body")
f.mac = ProtoField.bytes("gms.mac", "MAC (not checked)")
-- shared body fields
f.uid = ProtoField.string("gms.uid", "UID")
f.uid_node = ProtoField.uint32("gms.uid.node", "UID node")
f.uid_space = ProtoField.uint32("gms.uid.space", "UID space", base.HEX)
f.uid_shared = ProtoField.bool("gms.uid.shared", "Shared page", 32, nil,
    0x80000000)
f.uid_pgno = ProtoField.uint64("gms.uid.pgno", "UID page number")
f.status = ProtoField.uint8("gms.status", "Status", base.DEC, statuses)
f.pod_version = ProtoField.uint32("gms.pod_version", "POD version")
f.node = ProtoField.uint32("gms.node", "Node id")
f.nfree = ProtoField.uint32("gms.nfree", "Free frames")
f.page_size = ProtoField.uint32("gms.page_size", "Page size")
f.count = ProtoField.uint16("gms.count", "Count")
f.gen = ProtoField.uint32("gms.gen", "Generation")
-- per type
f.join_nframes = ProtoField.uint32("gms.join.nframes", "Frames offered")
f.join_nonce = ProtoField.uint64("gms.join.nonce", "Nonce", base.HEX)
f.ja_policy = ProtoField.uint8("gms.join_ack.policy", "Policy", base.DEC,
    policies)
f.ja_node = ProtoField.uint32("gms.join_ack.node", "Assigned node id")
f.ja_hb = ProtoField.uint32("gms.join_ack.heartbeat_ms", "Heartbeat (ms)")
f.ja_master = ProtoField.uint32("gms.join_ack.master", "Master node id")
f.ja_maddr = ProtoField.ipv4("gms.join_ack.master_addr", "Master's address")
f.ja_mport = ProtoField.uint16("gms.join_ack.master_port", "Master's port")
f.pod_term = ProtoField.uint32("gms.pod.term", "Membership term")
f.pod_next = ProtoField.uint32("gms.pod.next_id", "Next node id")
f.pod_nonce = ProtoField.uint64("gms.pod.nonce", "Start nonce", base.HEX)
f.pod_master = ProtoField.uint16("gms.pod.master_idx", "Master's index")
f.pod_member = ProtoField.bytes("gms.pod.member", "Member")
f.pod_addr = ProtoField.ipv4("gms.pod.addr", "Address")
f.pod_port = ProtoField.uint16("gms.pod.port", "UDP port")
f.pod_mflags = ProtoField.uint16("gms.pod.flags", "Member flags", base.HEX)
f.pod_leaving = ProtoField.bool("gms.pod.leaving", "Leaving", 16, nil, 0x0001)
f.pod_buckets = ProtoField.bytes("gms.pod.buckets", "Bucket owners (indexes)")
f.hb_nlocal = ProtoField.uint32("gms.heartbeat.nlocal", "Local pages")
f.hb_nglobal = ProtoField.uint32("gms.heartbeat.nglobal", "Global pages")
f.ack_value = ProtoField.uint32("gms.ack.value", "Value")
f.requester = ProtoField.uint32("gms.getpage.requester", "Requester")
f.page_flags = ProtoField.uint32("gms.page.flags", "Page flags", base.HEX)
f.page_moved = ProtoField.bool("gms.page.moved", "Moved", 32, nil, 0x0001)
f.page_shared = ProtoField.bool("gms.page.shared", "Shared", 32, nil, 0x0002)
f.page_recirc = ProtoField.uint32("gms.page.recirc", "Recirculations left",
    base.DEC, nil, 0x0300)
f.page_age = ProtoField.uint32("gms.page.age_ms", "Age (ms)")
f.page_data = ProtoField.bytes("gms.page.data", "Page contents")
f.miss_reason = ProtoField.uint32("gms.miss.reason", "Reason", base.DEC,
    miss_reasons)
f.discard_flags = ProtoField.uint32("gms.discard.flags", "Discard flags",
    base.HEX)
f.discard_holder = ProtoField.bool("gms.discard.holder", "To a holder", 32,
    nil, 0x0001)
f.batch_page = ProtoField.bytes("gms.putbatch.page", "Page")
f.gcd_entry = ProtoField.bytes("gms.gcd.entry", "Entry")
f.gcd_holder = ProtoField.uint32("gms.gcd.holder", "Holder")
f.gcd_op = ProtoField.uint8("gms.gcd.op", "Op", base.DEC, gcd_ops)
f.epoch = ProtoField.uint32("gms.epoch", "Epoch")
f.epoch_m = ProtoField.uint32("gms.epoch.m", "M (replacements)")
f.epoch_t = ProtoField.uint32("gms.epoch.t_ms", "T (ms)")
f.epoch_bucket = ProtoField.uint16("gms.epoch.bucket", "Age bucket")
f.epoch_pages = ProtoField.uint32("gms.epoch.pages", "Pages")
f.epoch_minage = ProtoField.uint64("gms.epoch.minage", "MinAge (ms)")
f.epoch_next = ProtoField.uint32("gms.epoch.next", "Next initiator")
f.epoch_idle = ProtoField.uint8("gms.epoch.idle", "Idle")
f.epoch_weight = ProtoField.uint32("gms.epoch.weight", "Weight")

local e_length = ProtoExpert.new("gms.bad_length", "Body length wrong for "
    .. "its type", expert.group.MALFORMED, expert.severity.ERROR)
local e_version = ProtoExpert.new("gms.other_version", "Another protocol "
    .. "version: body not decoded", expert.group.PROTOCOL,
    expert.severity.WARN)
gms.experts = { e_length, e_version }

gms.prefs.ports = Pref.range("UDP ports", "", "UDP ports always decoded "
    .. "as GMS (besides the heuristic)", 65535)
gms.prefs.heuristic = Pref.bool("Find GMS on any UDP port", true,
    "Decode UDP datagrams that look like GMS (magic, version, type, length)")

-- Fixed body lengths; nil: variable (checked by its own count).
local fixed = {
	[0x01] = 16, [0x02] = 28, [0x04] = 16, [0x06] = 0, [0x07] = 0,
	[0x08] = 8, [0x20] = 24, [0x21] = 24, [0x23] = 20, [0x25] = 24,
	[0x40] = 12,
}

-- The body length a datagram of this type must have, or nil if unknown.
local function body_len(t, b)
	local n = b:len()
	if fixed[t] ~= nil then return fixed[t] end
	if t == 0x03 then
		if n < 8 then return 8 end
		return 16 + 20 * b(4, 2):uint() + 256
	elseif t == 0x05 then
		if n < 8 then return 8 end
		return 8 + 8 * b(4, 2):uint()
	elseif t == 0x26 or t == 0x27 then
		if n < 8 then return 8 end
		return 8 + 28 * b(0, 2):uint()
	elseif t == 0x22 or t == 0x24 then
		return n	-- 28 + page size: any page size
	elseif t == 0x28 then	-- 4 + count (28 + page size): any page size
		if n < 4 then return 4 end
		local k = b(0, 2):uint()
		if k == 0 or (n - 4) % k ~= 0 or (n - 4) / k <= PAGEHDR then
			return -1
		end
		return n
	elseif t == 0x29 then
		if n < 8 then return 8 end
		return 8 + b(0, 2):uint()
	elseif t == 0x41 then
		if n < 12 then return 12 end
		return 12 + 8 * b(8, 2):uint()
	elseif t == 0x42 then
		if n < 32 then return 32 end
		return 32 + 8 * b(28, 2):uint()
	end
	return nil
end

local function uid_str(b)
	local space = b(4, 4):uint()
	local shared = ""
	if space >= 0x80000000 then
		space = space - 0x80000000
		shared = "s"
	end
	return string.format("%d:%d%s:%s", b(0, 4):uint(), space, shared,
	    tostring(b(8, 8):uint64()))
end

local function add_uid(tree, b)
	local u = tree:add(f.uid, b(0, 16), uid_str(b))
	u:add(f.uid_node, b(0, 4))
	u:add(f.uid_space, b(4, 4))
	u:add(f.uid_shared, b(4, 4))
	u:add(f.uid_pgno, b(8, 8))
	return uid_str(b)
end

local function pod_body(t, b)
	local n = b(4, 2):uint()
	t:add(f.pod_version, b(0, 4))
	t:add(f.count, b(4, 2))
	t:add(f.pod_master, b(6, 2))
	t:add(f.pod_term, b(8, 4))
	t:add(f.pod_next, b(12, 4))
	for i = 0, n - 1 do
		local m = b(16 + 20 * i, 20)
		local st = t:add(f.pod_member, m)
		st:set_text(string.format("Member %d: node %d at %s:%d", i,
		    m(0, 4):uint(), tostring(m(4, 4):ipv4()), m(8, 2):uint()))
		st:add(f.node, m(0, 4))
		st:add(f.pod_addr, m(4, 4))
		st:add(f.pod_port, m(8, 2))
		st:add(f.pod_mflags, m(10, 2))
		st:add(f.pod_leaving, m(10, 2))
		st:add(f.pod_nonce, m(12, 8))
	end
	t:add(f.pod_buckets, b(16 + 20 * n, 256))
	return string.format("version %d, term %d, %d members", b(0, 4):uint(),
	    b(8, 4):uint(), n)
end

local function gcd_body(t, b)
	local n = b(0, 2):uint()
	t:add(f.count, b(0, 2))
	t:add(f.reserved, b(2, 2))
	t:add(f.pod_version, b(4, 4))
	for i = 0, n - 1 do
		local e = b(8 + 28 * i, 28)
		local st = t:add(f.gcd_entry, e)
		st:set_text(string.format("Entry %d: %s %s holder %d", i,
		    gcd_ops[e(20, 1):uint()] or "?", uid_str(e), e(16, 4):uint()))
		add_uid(st, e)
		st:add(f.gcd_holder, e(16, 4))
		st:add(f.gcd_op, e(20, 1))
		st:add(f.gen, e(24, 4))
	end
	return string.format("%d entries", n)
end

local function page_body(t, b)
	t:add(f.page_flags, b(16, 4))
	t:add(f.page_moved, b(16, 4))
	t:add(f.page_shared, b(16, 4))
	t:add(f.page_recirc, b(16, 4))
	t:add(f.page_age, b(20, 4))
	t:add(f.gen, b(24, 4))
	t:add(f.page_size, b(PAGEHDR), b:len() - PAGEHDR):set_generated()
	if b:len() > PAGEHDR then
		t:add(f.page_data, b(PAGEHDR))
	end
end

-- Each type's body into tree t; returns a few words for the Info column.
local bodies = {
	[0x01] = function(t, b)
		t:add(f.page_size, b(0, 4))
		t:add(f.join_nframes, b(4, 4))
		t:add(f.join_nonce, b(8, 8))
		return string.format("page size %d", b(0, 4):uint())
	end,
	[0x02] = function(t, b)
		t:add(f.status, b(0, 1))
		t:add(f.ja_policy, b(1, 1))
		t:add(f.ja_node, b(4, 4))
		t:add(f.page_size, b(8, 4))
		t:add(f.ja_hb, b(12, 4))
		t:add(f.ja_master, b(16, 4))
		t:add(f.ja_maddr, b(20, 4))
		t:add(f.ja_mport, b(24, 2))
		return string.format("%s, node %d",
		    statuses[b(0, 1):uint()] or "?", b(4, 4):uint())
	end,
	[0x03] = pod_body,
	[0x04] = function(t, b)
		t:add(f.pod_version, b(0, 4))
		t:add(f.nfree, b(4, 4))
		t:add(f.hb_nlocal, b(8, 4))
		t:add(f.hb_nglobal, b(12, 4))
		return string.format("free %d", b(4, 4):uint())
	end,
	[0x05] = function(t, b)
		local n = b(4, 2):uint()
		t:add(f.pod_version, b(0, 4))
		t:add(f.count, b(4, 2))
		for i = 0, n - 1 do
			t:add(f.node, b(8 + 8 * i, 4))
			t:add(f.nfree, b(12 + 8 * i, 4))
		end
		return string.format("%d loads", n)
	end,
	[0x08] = function(t, b)
		t:add(f.status, b(0, 1))
		t:add(f.ack_value, b(4, 4))
		return string.format("%s, value %d",
		    statuses[b(0, 1):uint()] or "?", b(4, 4):uint())
	end,
	[0x20] = function(t, b)
		local u = add_uid(t, b)
		t:add(f.requester, b(16, 4))
		t:add(f.pod_version, b(20, 4))
		return string.format("uid %s for %d", u, b(16, 4):uint())
	end,
	[0x22] = function(t, b)
		local u = add_uid(t, b)
		page_body(t, b)
		return "uid " .. u
	end,
	[0x23] = function(t, b)
		local u = add_uid(t, b)
		t:add(f.miss_reason, b(16, 4))
		return string.format("uid %s %s", u,
		    miss_reasons[b(16, 4):uint()] or "?")
	end,
	[0x25] = function(t, b)
		local u = add_uid(t, b)
		t:add(f.discard_flags, b(16, 4))
		t:add(f.discard_holder, b(16, 4))
		t:add(f.gen, b(20, 4))
		return "uid " .. u
	end,
	[0x26] = gcd_body,
	[0x40] = function(t, b)
		t:add(f.epoch, b(0, 4))
		t:add(f.epoch_m, b(4, 4))
		t:add(f.epoch_t, b(8, 4))
		return string.format("epoch %d", b(0, 4):uint())
	end,
	[0x41] = function(t, b)
		local n = b(8, 2):uint()
		t:add(f.epoch, b(0, 4))
		t:add(f.nfree, b(4, 4))
		t:add(f.count, b(8, 2))
		for i = 0, n - 1 do
			t:add(f.epoch_bucket, b(12 + 8 * i, 2))
			t:add(f.epoch_pages, b(16 + 8 * i, 4))
		end
		return string.format("epoch %d, %d buckets", b(0, 4):uint(), n)
	end,
	[0x42] = function(t, b)
		local n = b(28, 2):uint()
		t:add(f.epoch, b(0, 4))
		t:add(f.epoch_minage, b(8, 8))
		t:add(f.epoch_m, b(16, 4))
		t:add(f.epoch_next, b(20, 4))
		t:add(f.epoch_t, b(24, 4))
		t:add(f.count, b(28, 2))
		t:add(f.epoch_idle, b(30, 1))
		for i = 0, n - 1 do
			t:add(f.node, b(32 + 8 * i, 4))
			t:add(f.epoch_weight, b(36 + 8 * i, 4))
		end
		return string.format("epoch %d, MinAge %s ms", b(0, 4):uint(),
		    tostring(b(8, 8):uint64()))
	end,
}
bodies[0x28] = function(t, b)
	local n = b(0, 2):uint()
	local per = (b:len() - 4) / n
	t:add(f.count, b(0, 2))
	t:add(f.reserved, b(2, 2))
	for i = 0, n - 1 do
		local p = b(4 + per * i, per)
		local st = t:add(f.batch_page, p)
		st:set_text(string.format("Page %d: uid %s", i, uid_str(p)))
		add_uid(st, p)
		page_body(st, p)
	end
	return string.format("%d pages", n)
end
bodies[0x29] = function(t, b)
	local n, ok = b(0, 2):uint(), 0
	t:add(f.count, b(0, 2))
	t:add(f.reserved, b(2, 2))
	t:add(f.nfree, b(4, 4))
	for i = 0, n - 1 do
		t:add(f.status, b(8 + i, 1))
		if b(8 + i, 1):uint() == 0 then ok = ok + 1 end
	end
	return string.format("%d of %d pages kept, %d free", ok, n,
	    b(4, 4):uint())
end
bodies[0x21] = bodies[0x20]	-- GETPAGE_FWD: as GETPAGE
bodies[0x24] = bodies[0x22]	-- PUTPAGE: as PAGE
bodies[0x27] = bodies[0x26]	-- GCD_HANDOVER: as GCD_UPDATE

-- Magic, a version near ours and a known type: the chance that another
-- protocol's datagram passes is small; a wrong length is then flagged.
local function looks_like_gms(tvb)
	if tvb:len() < HDRLEN_V5 + MACLEN or tvb(0, 2):uint() ~= PROTO_MAGIC then
		return false
	end
	local v, t = tvb(2, 1):uint(), tvb(3, 1):uint()
	if v < 1 or v > PROTO_VERSION + 1 then return false end
	return v < VERSION_MIN or v > PROTO_VERSION or types[t] ~= nil
end

function gms.dissector(tvb, pinfo, tree)
	local len = tvb:len()
	if len < HDRLEN_V5 + MACLEN then return 0 end
	local v, t = tvb(2, 1):uint(), tvb(3, 1):uint()
	local hlen = hdrlen(v)
	if len < hlen + MACLEN then return 0 end
	pinfo.cols.protocol = "GMS"
	local name = types[t] or string.format("type 0x%02x", t)
	local root = tree:add(gms, tvb(), "GMS, " .. name)
	root:add(f.magic, tvb(0, 2))
	root:add(f.version, tvb(2, 1))
	root:add(f.type, tvb(3, 1))
	root:add(f.cluster, tvb(4, 4))
	root:add(f.sender, tvb(8, 4))
	local fl = root:add(f.flags, tvb(12, 2))
	fl:add(f.reply, tvb(12, 2))
	root:add(f.reserved, tvb(14, 2))
	root:add(f.reqid, tvb(16, 8))
	if hlen > HDRLEN_V5 then root:add(f.stamp, tvb(24, 8)) end
	local blen = len - hlen - MACLEN
	local info = string.format("%s sender %d req 0x%s", name,
	    tvb(8, 4):uint(), tvb(16, 8):uint64():tohex())
	if blen > 0 then
		local b = tvb(hlen, blen)
		local bt = root:add(f.body, b)
		bt:set_text(string.format("Body (%d bytes)", blen))
		local want = body_len(t, b)
		if v < VERSION_MIN or v > PROTO_VERSION then
			bt:add_proto_expert_info(e_version)
		elseif want ~= nil and want ~= blen then
			bt:add_proto_expert_info(e_length)
		elseif bodies[t] ~= nil then
			local words = bodies[t](bt, b)
			if words ~= nil then info = info .. ": " .. words end
		end
	end
	root:add(f.mac, tvb(len - MACLEN, MACLEN))
	pinfo.cols.info = info
	return len
end

local function heuristic(tvb, pinfo, tree)
	if not gms.prefs.heuristic or not looks_like_gms(tvb) then
		return false
	end
	gms.dissector(tvb, pinfo, tree)
	return true
end

local registered = ""
function gms.prefs_changed()
	local udp = DissectorTable.get("udp.port")
	if registered ~= "" then udp:remove(registered, gms) end
	registered = tostring(gms.prefs.ports)
	if registered ~= "" then udp:add(registered, gms) end
end

gms:register_heuristic("udp", heuristic)
