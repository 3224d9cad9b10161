/*
 * gmstracegen: write a small, fixed GMS trace for gmstrace's golden test
 * and the Wireshark dissector's test.  Everything is deterministic: the
 * same bytes on every run, so the committed files can be checked against
 * a fresh run.
 *
 *   gmstracegen DIR
 *
 * A made-up three-node cluster (10.0.0.1-3:7070, node 1 the master,
 * cluster 1, page size 1024, secret "gms-trace-golden-key") joins, runs one
 * epoch, puts, gets (forwarded, direct, missing), discards, hands a GCD
 * partition over and sees node 3 leave; puts three pages in one batch,
 * one of them refused; every message type of the protocol
 * appears.  Added on purpose: a request lost and sent again, a reply lost
 * and replayed, a heartbeat left unanswered, a stranger's datagram with a
 * bad MAC, a datagram of another protocol version, one with a valid MAC and
 * a wrong length, a reply to no request, and a DNS query.
 *
 * Written as gmsd --trace writes them, one file per node with what that
 * node sent and received (n1.pcap n2.pcap n3.pcap, link type RAW), and as
 * captures of all traffic at the senders, one per link type gmstrace reads:
 * wire-en10mb.pcap (datagrams over 576 bytes fragmented, some fragments out
 * of order), wire-sll.pcap, wire-sll2.pcap, wire-null.pcap, wire-loop.pcap,
 * wire-raw.pcap; each of those also holds one packet that is not IPv4.
 * And foreign.pcap: one DNS query and nothing of GMS.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gms/log.h"
#include "gms/proto.h"
#include "gms/xmalloc.h"

#define GEN_SECRET	"gms-trace-golden-key"
#define GEN_CLUSTER	1
#define GEN_PAGE	1024
#define GEN_T0_US	1700000000000000LL	/* 2023-11-14 22:13:20 UTC */
#define GEN_NODES	3
#define GEN_MTU		576			/* of the EN10MB capture */
#define GEN_SNAP	65535

/* Endpoints: nodes 1-3, a stranger, a DNS server. */
enum { EP_N1 = 1, EP_N2, EP_N3, EP_STRANGER, EP_DNS, EP_NEP };
static const uint32_t	gen_addr[EP_NEP] = {
	0, 0x0a000001, 0x0a000002, 0x0a000003, 0x0a000009, 0x0a000035
};
static const uint16_t	gen_port[EP_NEP] = { 0, 7070, 7070, 7070, 5555, 53 };

/* One datagram as a file will hold it. */
struct gen_rec {
	int64_t		 t_us;
	int		 seq;
	int		 from, to;
	uint8_t		*d;
	size_t		 len;
};

struct gen_file {
	struct gen_rec	*r;
	size_t		 n;
};

static struct proto_key	 gen_key;
static struct gen_file	 gen_node[GEN_NODES + 1];	/* by node id */
static struct gen_file	 gen_wire;
static struct gen_file	 gen_foreign;
static uint64_t		 gen_reqid[GEN_NODES + 1];
static uint32_t		 gen_rand = 12345;
static int		 gen_seq;
static uint64_t		 gen_stamp = 1700000000000000ULL; /* us, rising */
static uint8_t		 gen_page[GEN_PAGE];

/* Delivery delays from a fixed LCG: 20 to 83 us. */
static int
gen_delay(void)
{
	gen_rand = gen_rand * 1103515245 + 12345;
	return 20 + (int)((gen_rand >> 16) % 64);
}

static void
gen_add(struct gen_file *f, int64_t t, int from, int to, const uint8_t *d,
    size_t len)
{
	struct gen_rec	*r;

	f->r = xreallocarray(f->r, f->n + 1, sizeof *f->r);
	r = &f->r[f->n++];
	r->t_us = t;
	r->seq = gen_seq++;
	r->from = from;
	r->to = to;
	r->d = xmalloc(len);
	memcpy(r->d, d, len);
	r->len = len;
}

/*
 * Datagram d goes from endpoint `from` to `to` at t: in the sender's file
 * (if a node), on the wire, and in the receiver's file after a delay
 * unless it is lost.  Returns when it arrived.
 */
static int64_t
gen_raw(int64_t t, int from, int to, const uint8_t *d, size_t len, int lost)
{
	int64_t	at = t + gen_delay();

	if (from <= GEN_NODES)
		gen_add(&gen_node[from], t, from, to, d, len);
	gen_add(&gen_wire, t, from, to, d, len);
	if (!lost && to <= GEN_NODES)
		gen_add(&gen_node[to], at, from, to, d, len);
	return at;
}

static size_t
gen_encode(uint8_t *buf, struct msg *m, int from)
{
	size_t	len;

	m->cluster = GEN_CLUSTER;
	if (from <= GEN_NODES && m->sender == 0 && m->type != MSG_JOIN)
		m->sender = (uint32_t)from;
	m->stamp = ++gen_stamp;
	len = proto_encode(buf, PROTO_MAXDGRAM, &gen_key, GEN_PAGE, m);
	if (len == 0)
		fatalx("cannot encode a %s", proto_type_name(m->type));
	return len;
}

/* A request from `from` to `to` at t with a fresh id; when it arrived. */
static int64_t
gen_req(int64_t t, int from, int to, struct msg *m, int lost)
{
	uint8_t	buf[PROTO_MAXDGRAM];

	m->reqid = ++gen_reqid[from];
	m->flags = 0;
	return gen_raw(t, from, to, buf, gen_encode(buf, m, from), lost);
}

/* The same request again (a retransmission), byte for byte. */
static int64_t
gen_again(int64_t t, int from, int to, struct msg *m)
{
	uint8_t	buf[PROTO_MAXDGRAM];

	return gen_raw(t, from, to, buf, gen_encode(buf, m, from), 0);
}

/* A reply to request id reqid; when it arrived. */
static int64_t
gen_reply(int64_t t, int from, int to, uint64_t reqid, struct msg *m,
    int lost)
{
	uint8_t	buf[PROTO_MAXDGRAM];

	m->reqid = reqid;
	m->flags = PROTO_FREPLY;
	return gen_raw(t, from, to, buf, gen_encode(buf, m, from), lost);
}

static void
gen_ack(int64_t t, int from, int to, uint64_t reqid, uint32_t value)
{
	struct msg	a;

	memset(&a, 0, sizeof a);
	a.type = MSG_ACK;
	a.u.ack.value = value;
	gen_reply(t, from, to, reqid, &a, 0);
}

static void
gen_uid(struct uid *u, uint32_t node, uint32_t space, uint64_t pgno)
{
	u->node = node;
	u->space = space;
	u->pgno = pgno;
}

static void
gen_pod(int64_t t, uint32_t version, int nmembers)
{
	struct msg	m;
	int64_t		at;
	int		i, to;

	for (to = EP_N2; to <= nmembers; to++) {
		memset(&m, 0, sizeof m);
		m.type = MSG_POD;
		m.u.pod.version = version;
		m.u.pod.nmembers = (uint16_t)nmembers;
		m.u.pod.term = 1;
		m.u.pod.next_id = (uint32_t)nmembers + 1;
		for (i = 0; i < nmembers; i++) {
			m.u.pod.members[i].id = (uint32_t)i + 1;
			m.u.pod.members[i].addr = gen_addr[i + 1];
			m.u.pod.members[i].port = gen_port[i + 1];
		}
		for (i = 0; i < POD_NBUCKETS; i++)
			m.u.pod.buckets[i] = (uint8_t)(i % nmembers);
		at = gen_req(t, EP_N1, to, &m, 0);
		gen_ack(at + 5, to, EP_N1, m.reqid, version);
		t += 3;
	}
}

static int64_t
gen_join(int64_t t, int node)
{
	struct msg	m, r;
	int64_t		at;

	memset(&m, 0, sizeof m);
	m.type = MSG_JOIN;
	m.u.join.page_size = GEN_PAGE;
	m.u.join.nframes = 512;
	m.u.join.nonce = 0x1111111111111111ULL * (uint64_t)node;
	at = gen_req(t, node, EP_N1, &m, 0);
	memset(&r, 0, sizeof r);
	r.type = MSG_JOIN_ACK;
	r.u.join_ack.node = (uint32_t)node;
	r.u.join_ack.page_size = GEN_PAGE;
	r.u.join_ack.heartbeat_ms = 500;
	r.u.join_ack.master = 1;
	return gen_reply(at + 10, EP_N1, node, m.reqid, &r, 0);
}

static void
gen_heartbeat(int64_t t, int node, int answered)
{
	struct msg	m, r;
	int64_t		at;

	memset(&m, 0, sizeof m);
	m.type = MSG_HEARTBEAT;
	m.u.heartbeat.pod_version = 3;
	m.u.heartbeat.nfree = 400;
	m.u.heartbeat.nlocal = 100;
	m.u.heartbeat.nglobal = 12;
	at = gen_req(t, node, EP_N1, &m, 0);
	if (!answered)
		return;
	memset(&r, 0, sizeof r);
	r.type = MSG_HEARTBEAT_ACK;
	r.u.heartbeat_ack.pod_version = 3;
	r.u.heartbeat_ack.nloads = 3;
	r.u.heartbeat_ack.loads[0].node = 1;
	r.u.heartbeat_ack.loads[0].nfree = 500;
	r.u.heartbeat_ack.loads[1].node = 2;
	r.u.heartbeat_ack.loads[1].nfree = 400;
	r.u.heartbeat_ack.loads[2].node = 3;
	r.u.heartbeat_ack.loads[2].nfree = 510;
	gen_reply(at + 8, EP_N1, node, m.reqid, &r, 0);
}

/* Epoch 1: node 1 asks 2 and 3 for summaries and sends them the plan. */
static void
gen_epoch(int64_t t)
{
	struct msg	m, r;
	int64_t		at;
	int		to;

	for (to = EP_N2; to <= EP_N3; to++) {
		memset(&m, 0, sizeof m);
		m.type = MSG_EPOCH_START;
		m.u.epoch_start.epoch = 1;
		m.u.epoch_start.m = 100;
		m.u.epoch_start.t_ms = 1000;
		at = gen_req(t + to, EP_N1, to, &m, 0);
		memset(&r, 0, sizeof r);
		r.type = MSG_EPOCH_SUMMARY;
		r.u.epoch_summary.epoch = 1;
		r.u.epoch_summary.nfree = to == EP_N2 ? 10 : 300;
		r.u.epoch_summary.nbuckets = 2;
		r.u.epoch_summary.buckets[0].bucket = 3;
		r.u.epoch_summary.buckets[0].count = 40;
		r.u.epoch_summary.buckets[1].bucket = (uint16_t)(100 + to);
		r.u.epoch_summary.buckets[1].count = 60;
		gen_reply(at + 30, to, EP_N1, m.reqid, &r, 0);
	}
	for (to = EP_N2; to <= EP_N3; to++) {
		memset(&m, 0, sizeof m);
		m.type = MSG_EPOCH_PLAN;
		m.u.epoch_plan.epoch = 1;
		m.u.epoch_plan.minage = 2500;
		m.u.epoch_plan.m = 100;
		m.u.epoch_plan.next = 3;
		m.u.epoch_plan.t_ms = 1000;
		m.u.epoch_plan.nweights = 2;
		m.u.epoch_plan.weights[0].node = 1;
		m.u.epoch_plan.weights[0].weight = 30;
		m.u.epoch_plan.weights[1].node = 3;
		m.u.epoch_plan.weights[1].weight = 70;
		at = gen_req(t + 200 + to, EP_N1, to, &m, 0);
		gen_ack(at + 4, to, EP_N1, m.reqid, 0);
	}
}

/* Node 2 puts page pgno into node 3's memory and tells the GCD node 1. */
static void
gen_put(int64_t t, uint64_t pgno)
{
	struct msg	m;
	int64_t		at;

	memset(&m, 0, sizeof m);
	m.type = MSG_PUTPAGE;
	gen_uid(&m.u.page.uid, 2, 1, pgno);
	m.u.page.age_ms = 1500;
	m.u.page.gen = 1;
	m.u.page.data = gen_page;
	at = gen_req(t, EP_N2, EP_N3, &m, 0);
	gen_ack(at + 15, EP_N3, EP_N2, m.reqid, 0);
	memset(&m, 0, sizeof m);
	m.type = MSG_GCD_UPDATE;
	m.u.gcd.pod_version = 3;
	m.u.gcd.nentries = 1;
	gen_uid(&m.u.gcd.entries[0].uid, 2, 1, pgno);
	m.u.gcd.entries[0].holder = 3;
	m.u.gcd.entries[0].op = GCD_OPADD;
	m.u.gcd.entries[0].gen = 1;
	at = gen_req(t + 200, EP_N2, EP_N1, &m, 0);
	gen_ack(at + 6, EP_N1, EP_N2, m.reqid, 0);
}

/*
 * Node 2 puts three pages into node 3's memory in one PUTBATCH; node 3
 * keeps the first and the third (registered with the GCD node 1 in one
 * update) and refuses the second.
 */
static void
gen_putbatch(int64_t t)
{
	struct msg	m, u, r;
	int64_t		at;
	int		i;

	memset(&m, 0, sizeof m);
	m.type = MSG_PUTBATCH;
	m.u.putbatch.npages = 3;
	for (i = 0; i < 3; i++) {
		gen_uid(&m.u.putbatch.pages[i].uid, 2, 1, (uint64_t)(40 + i));
		m.u.putbatch.pages[i].age_ms = 1600 + i;
		m.u.putbatch.pages[i].gen = 1;
		m.u.putbatch.pages[i].data = gen_page;
	}
	at = gen_req(t, EP_N2, EP_N3, &m, 0);
	memset(&u, 0, sizeof u);
	u.type = MSG_GCD_UPDATE;
	u.u.gcd.pod_version = 3;
	u.u.gcd.nentries = 2;
	for (i = 0; i < 2; i++) {
		gen_uid(&u.u.gcd.entries[i].uid, 2, 1, (uint64_t)(40 + 2 * i));
		u.u.gcd.entries[i].holder = 3;
		u.u.gcd.entries[i].op = GCD_OPADD;
		u.u.gcd.entries[i].gen = 1;
	}
	at = gen_req(at + 20, EP_N3, EP_N1, &u, 0);
	gen_ack(at + 6, EP_N1, EP_N3, u.reqid, 0);
	memset(&r, 0, sizeof r);
	r.type = MSG_PUTBATCH_ACK;
	r.u.putbatch_ack.npages = 3;
	r.u.putbatch_ack.value = 7;
	r.u.putbatch_ack.status[1] = ST_FULL;
	gen_reply(at + 60, EP_N3, EP_N2, m.reqid, &r, 0);
}

static void
gen_page_reply(int64_t t, int from, int to, uint64_t reqid, uint64_t pgno,
    uint32_t flags)
{
	struct msg	r;

	memset(&r, 0, sizeof r);
	r.type = MSG_PAGE;
	gen_uid(&r.u.page.uid, 2, 1, pgno);
	r.u.page.flags = flags;
	r.u.page.age_ms = 20;
	r.u.page.gen = 1;
	r.u.page.data = gen_page;
	gen_reply(t, from, to, reqid, &r, 0);
}

static void
gen_getpage(struct msg *m, int type, uint32_t requester, uint64_t pgno)
{
	memset(m, 0, sizeof *m);
	m->type = (uint8_t)type;
	gen_uid(&m->u.getpage.uid, 2, 1, pgno);
	m->u.getpage.requester = requester;
	m->u.getpage.pod_version = 3;
}

/* Getpages forwarded, direct and missing, and one lost and sent again. */
static void
gen_gets(int64_t t)
{
	struct msg	m, r;
	uint8_t		buf[PROTO_MAXDGRAM];
	int64_t		at;
	size_t		len;
	int		i;

	/* forwarded getpages: node 2 -> node 1 (GCD) -> node 3 -> node 2 */
	for (i = 0; i < 3; i++) {
		gen_getpage(&m, MSG_GETPAGE, 2, (uint64_t)i);
		at = gen_req(t + 60000 + i * 1000, EP_N2, EP_N1, &m, 0);
		m.type = MSG_GETPAGE_FWD;
		m.sender = 1;
		len = gen_encode(buf, &m, EP_N1);
		at = gen_raw(at + 7 + i, EP_N1, EP_N3, buf, len, 0);
		gen_page_reply(at + 12, EP_N3, EP_N2, m.reqid, (uint64_t)i, 0);
	}
	/* direct: node 2 is the GCD node and asks the holder, node 3 */
	for (i = 0; i < 4; i++) {
		gen_getpage(&m, MSG_GETPAGE_FWD, 2, (uint64_t)i);
		at = gen_req(t + 70000 + i * 1000, EP_N2, EP_N3, &m, 0);
		gen_page_reply(at + 10 + 5 * i, EP_N3, EP_N2, m.reqid,
		    (uint64_t)i, PAGE_FMOVED);
	}
	/* direct: node 1 is GCD node and holder of what node 3 wants */
	gen_getpage(&m, MSG_GETPAGE, 3, 9);
	at = gen_req(t + 75000, EP_N3, EP_N1, &m, 0);
	gen_page_reply(at + 9, EP_N1, EP_N3, m.reqid, 9, 0);
	/* misses: no GCD entry */
	for (i = 0; i < 2; i++) {
		gen_getpage(&m, MSG_GETPAGE, 3, (uint64_t)(100 + i));
		at = gen_req(t + 80000 + i * 1000, EP_N3, EP_N1, &m, 0);
		memset(&r, 0, sizeof r);
		r.type = MSG_MISS;
		gen_uid(&r.u.miss.uid, 2, 1, (uint64_t)(100 + i));
		r.u.miss.reason = MISS_NOENTRY;
		gen_reply(at + 6, EP_N1, EP_N3, m.reqid, &r, 0);
	}
	/* a getpage lost on the way and sent again 20 ms later */
	gen_getpage(&m, MSG_GETPAGE, 2, 9);
	gen_req(t + 90000, EP_N2, EP_N1, &m, 1);
	at = gen_again(t + 110000, EP_N2, EP_N1, &m);
	gen_page_reply(at + 9, EP_N1, EP_N2, m.reqid, 9, 0);
}

/* Discards, and a putpage whose ACK is lost and replayed. */
static void
gen_discards(int64_t t)
{
	struct msg	m, r;
	int64_t		at;

	/* discard: node 2 -> GCD node 1 -> holder node 3 */
	memset(&m, 0, sizeof m);
	m.type = MSG_DISCARD;
	gen_uid(&m.u.discard.uid, 2, 1, 3);
	at = gen_req(t + 120000, EP_N2, EP_N1, &m, 0);
	r = m;
	r.u.discard.flags = DISCARD_FHOLDER;
	r.u.discard.gen = DISCARD_ALL;
	r.sender = 0;
	at = gen_req(at + 5, EP_N1, EP_N3, &r, 0);
	gen_ack(at + 5, EP_N3, EP_N1, r.reqid, 0);
	gen_ack(at + 30, EP_N1, EP_N2, m.reqid, 0);
	/* a putpage whose ACK is lost: sent again, the ACK replayed */
	memset(&m, 0, sizeof m);
	m.type = MSG_PUTPAGE;
	gen_uid(&m.u.page.uid, 3, 1, 0);
	m.u.page.gen = 1;
	m.u.page.data = gen_page;
	at = gen_req(t + 130000, EP_N3, EP_N2, &m, 0);
	memset(&r, 0, sizeof r);
	r.type = MSG_ACK;
	gen_reply(at + 14, EP_N2, EP_N3, m.reqid, &r, 1);
	at = gen_again(t + 150000, EP_N3, EP_N2, &m);
	gen_reply(at + 3, EP_N2, EP_N3, m.reqid, &r, 0);
}

/* A GCD handover, then node 3 leaves. */
static void
gen_handover_leave(int64_t t)
{
	struct msg	m;
	int64_t		at;
	int		i;

	/* node 1 hands two GCD entries to node 3 */
	memset(&m, 0, sizeof m);
	m.type = MSG_GCD_HANDOVER;
	m.u.gcd.pod_version = 3;
	m.u.gcd.nentries = 2;
	for (i = 0; i < 2; i++) {
		gen_uid(&m.u.gcd.entries[i].uid, 2, 1, (uint64_t)(20 + i));
		m.u.gcd.entries[i].holder = 2;
		m.u.gcd.entries[i].op = GCD_OPADD;
	}
	at = gen_req(t + 160000, EP_N1, EP_N3, &m, 0);
	gen_ack(at + 8, EP_N3, EP_N1, m.reqid, 0);
	/* node 3 leaves */
	memset(&m, 0, sizeof m);
	m.type = MSG_LEAVE;
	at = gen_req(t + 170000, EP_N3, EP_N1, &m, 0);
	gen_ack(at + 5, EP_N1, EP_N3, m.reqid, 0);
	memset(&m, 0, sizeof m);
	m.type = MSG_LEAVE_DONE;
	at = gen_req(t + 171000, EP_N3, EP_N1, &m, 0);
	gen_ack(at + 5, EP_N1, EP_N3, m.reqid, 0);
	gen_pod(t + 172000, 4, 2);
}

/* Datagrams not to be trusted, and one not GMS at all. */
static void
gen_untrusted(int64_t t)
{
	struct proto_key	wrong;
	struct msg		m, r;
	uint8_t			buf[PROTO_MAXDGRAM];
	size_t			len;

	/* what must not be trusted, all to node 1 */
	gen_getpage(&m, MSG_GETPAGE, 2, 5);		/* bad MAC */
	m.sender = 2;
	m.reqid = 0x5555;
	m.cluster = GEN_CLUSTER;
	proto_key_derive(&wrong, "wrong-key");
	len = proto_encode(buf, sizeof buf, &wrong, GEN_PAGE, &m);
	gen_raw(t + 180000, EP_STRANGER, EP_N1, buf, len, 0);
	buf[2] = PROTO_VERSION + 1;			/* another version */
	gen_raw(t + 180100, EP_STRANGER, EP_N1, buf, len, 0);
	len = proto_encode(buf, sizeof buf, &gen_key, GEN_PAGE, &m);
	memmove(buf + len - PROTO_MACLEN + 8, buf + len - PROTO_MACLEN,
	    PROTO_MACLEN);				/* 8 bytes too long */
	memset(buf + len - PROTO_MACLEN, 0, 8);
	len += 8;
	proto_seal(buf, len, &gen_key);
	gen_raw(t + 180200, EP_N2, EP_N1, buf, len, 0);
	memset(&r, 0, sizeof r);			/* reply to nothing */
	r.type = MSG_ACK;
	gen_reply(t + 180300, EP_N2, EP_N1, 0x7777, &r, 0);
	memcpy(buf, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	    "\x03gms\x00\x00\x01\x00\x01", 21);		/* a DNS query */
	gen_raw(t + 180400, EP_N1, EP_DNS, buf, 21, 0);
	gen_add(&gen_foreign, t + 180400, EP_N1, EP_DNS, buf, 21);
}

static void
gen_scenario(void)
{
	int64_t		t = GEN_T0_US;
	int		i;

	for (i = 0; i < GEN_PAGE; i++)
		gen_page[i] = (uint8_t)(i * 7);
	gen_join(t + 10000, EP_N2);
	gen_pod(t + 11000, 2, 2);
	gen_join(t + 20000, EP_N3);
	gen_pod(t + 21000, 3, 3);
	gen_heartbeat(t + 30000, EP_N2, 1);
	gen_heartbeat(t + 30500, EP_N3, 1);
	gen_epoch(t + 40000);
	for (i = 0; i < 4; i++)
		gen_put(t + 50000 + i * 1000, (uint64_t)i);
	gen_putbatch(t + 55000);
	gen_gets(t);
	gen_discards(t);
	gen_handover_leave(t);
	gen_untrusted(t);
	/* the last heartbeat is never answered */
	gen_heartbeat(t + 190000, EP_N2, 0);
}

/* ---- writing ---------------------------------------------------------- */

static int
gen_rec_cmp(const void *a, const void *b)
{
	const struct gen_rec	*x = a, *y = b;

	if (x->t_us != y->t_us)
		return x->t_us < y->t_us ? -1 : 1;
	return x->seq - y->seq;
}

static void
gen_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
gen_put32(uint8_t *p, uint32_t v)
{
	gen_put16(p, v >> 16);
	gen_put16(p + 2, v & 0xffff);
}

/* An IPv4 header for a packet of n payload bytes at fragment offset off. */
static void
gen_ip(uint8_t *ip, const struct gen_rec *r, size_t n, size_t off, int more)
{
	uint32_t	sum = 0;
	int		i;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	gen_put16(ip + 2, (uint16_t)(20 + n));
	gen_put16(ip + 4, (uint16_t)r->seq);
	gen_put16(ip + 6, (uint16_t)((more ? 0x2000 : 0) | off / 8));
	ip[8] = 64;
	ip[9] = 17;
	gen_put32(ip + 12, gen_addr[r->from]);
	gen_put32(ip + 16, gen_addr[r->to]);
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	gen_put16(ip + 10, (uint16_t)~sum);
}

/* The link header of dlt for an IPv4 packet (or an IPv6 one: foreign). */
static size_t
gen_link(int dlt, uint8_t *p, int v6)
{
	switch (dlt) {
	case DLT_EN10MB:
		memset(p, 0, 12);
		gen_put16(p + 12, v6 ? 0x0806 : 0x0800);	/* ARP */
		return 14;
	case DLT_LINUX_SLL:
		memset(p, 0, 16);
		gen_put16(p, 4);			/* outgoing */
		gen_put16(p + 2, 772);			/* loopback */
		gen_put16(p + 4, 6);
		gen_put16(p + 14, v6 ? 0x86dd : 0x0800);
		return 16;
	case DLT_LINUX_SLL2:
		memset(p, 0, 20);
		gen_put16(p, v6 ? 0x86dd : 0x0800);
		gen_put32(p + 4, 1);			/* ifindex of lo */
		gen_put16(p + 8, 772);
		p[10] = 4;
		p[11] = 6;
		return 20;
	case DLT_NULL:					/* host order */
		p[0] = v6 ? 10 : 2;
		p[1] = p[2] = p[3] = 0;
		return 4;
	case DLT_LOOP:					/* network order */
		gen_put32(p, v6 ? 10 : 2);
		return 4;
	}
	return 0;					/* RAW */
}

static void
gen_dump(pcap_dumper_t *pd, int64_t t, const uint8_t *p, size_t len)
{
	struct pcap_pkthdr	h;

	h.ts.tv_sec = t / 1000000;
	h.ts.tv_usec = t % 1000000;
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)pd, &h, p);
}

/* One datagram as packets of link type dlt, fragmented past mtu. */
static void
gen_packets(pcap_dumper_t *pd, int dlt, const struct gen_rec *r, size_t mtu)
{
	static uint8_t	pkt[2][65536 + 64];
	uint8_t		udp[65536];
	size_t		ulen = r->len + 8, chunk, off, n, h;
	int		k = 0, npkt = 0;

	gen_put16(udp, gen_port[r->from]);
	gen_put16(udp + 2, gen_port[r->to]);
	gen_put16(udp + 4, (uint16_t)ulen);
	gen_put16(udp + 6, 0);
	memcpy(udp + 8, r->d, r->len);
	chunk = (mtu - 20) & ~(size_t)7;
	for (off = 0; off < ulen; off += n, k++) {
		n = ulen - off > chunk ? chunk : ulen - off;
		h = gen_link(dlt, pkt[k % 2], 0);
		gen_ip(pkt[k % 2] + h, r, n, off, off + n < ulen);
		memcpy(pkt[k % 2] + h + 20, udp + off, n);
		/* odd datagrams send their first two fragments swapped */
		if (k == 0 && ulen > chunk && r->seq % 2) {
			npkt = (int)(h + 20 + n);
			continue;
		}
		gen_dump(pd, r->t_us, pkt[k % 2], h + 20 + n);
		if (npkt > 0) {
			gen_dump(pd, r->t_us, pkt[0], (size_t)npkt);
			npkt = 0;
		}
	}
}

static void
gen_write(const char *dir, const char *name, int dlt, struct gen_file *f,
    size_t mtu, int foreign)
{
	char		 path[1024];
	uint8_t		 pkt[64];
	pcap_t		*p;
	pcap_dumper_t	*pd;
	size_t		 i, h;

	qsort(f->r, f->n, sizeof *f->r, gen_rec_cmp);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((p = pcap_open_dead(dlt, GEN_SNAP)) == NULL ||
	    (pd = pcap_dump_open(p, path)) == NULL)
		fatalx("cannot write %s: %s", path, p ? pcap_geterr(p) : "");
	for (i = 0; i < f->n; i++) {
		gen_packets(pd, dlt, &f->r[i], mtu);
		if (foreign && i == 0) {	/* something not IPv4 */
			h = gen_link(dlt, pkt, 1);
			memset(pkt + h, 0, 40);
			pkt[h] = 0x60;
			gen_dump(pd, f->r[i].t_us, pkt, h + 40);
		}
	}
	pcap_dump_close(pd);
	pcap_close(p);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		int		 dlt;
		size_t		 mtu;
	} wire[] = {
		{ "wire-en10mb.pcap", DLT_EN10MB, GEN_MTU },
		{ "wire-sll.pcap", DLT_LINUX_SLL, 65535 },
		{ "wire-sll2.pcap", DLT_LINUX_SLL2, 65535 },
		{ "wire-null.pcap", DLT_NULL, 65535 },
		{ "wire-loop.pcap", DLT_LOOP, 65535 },
		{ "wire-raw.pcap", DLT_RAW, 65535 },
	};
	char	name[32];
	size_t	i;

	log_init("gmstracegen", LOG_INFO);
	if (argc != 2)
		fatalx("usage: gmstracegen DIR");
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	proto_key_derive(&gen_key, GEN_SECRET);
	for (i = 1; i <= GEN_NODES; i++)
		gen_reqid[i] = (uint64_t)(0x1000 + i) << 32;
	gen_scenario();
	for (i = 1; i <= GEN_NODES; i++) {
		snprintf(name, sizeof name, "n%zu.pcap", i);
		gen_write(argv[1], name, DLT_RAW, &gen_node[i], 65535, 0);
	}
	for (i = 0; i < sizeof wire / sizeof wire[0]; i++)
		gen_write(argv[1], wire[i].name, wire[i].dlt, &gen_wire,
		    wire[i].mtu, 1);
	gen_write(argv[1], "foreign.pcap", DLT_RAW, &gen_foreign, 65535, 0);
	return 0;
}
