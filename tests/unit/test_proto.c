/*
 * test_proto.c: the wire codec.  Round trips of every type, golden bytes,
 * one malformed-datagram test per type (each mutation re-signed, so the
 * check under test is what rejects it, not the MAC), and hostile input:
 * wrong key, cluster and version, every flipped bit of a datagram, and
 * random garbage.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "gms/proto.h"
#include "tests/unit/check.h"

#define CLUSTER		0xc0ffee01u
#define SENDER		0x0a0b0c0du
#define REQID		0x0123456789abcdefULL
#define STAMP		0x00061f0000000000ULL	/* us since 1970, 2024 */
#define BODY(off)	(PROTO_HDRLEN + (off))	/* offset of a body field */
#define NTYPES		(sizeof types / sizeof types[0])

static const int types[] = {
	MSG_JOIN, MSG_JOIN_ACK, MSG_POD, MSG_HEARTBEAT, MSG_HEARTBEAT_ACK,
	MSG_LEAVE, MSG_LEAVE_DONE, MSG_ACK, MSG_GETPAGE, MSG_GETPAGE_FWD,
	MSG_PAGE, MSG_MISS, MSG_PUTPAGE, MSG_DISCARD, MSG_GCD_UPDATE,
	MSG_GCD_HANDOVER, MSG_EPOCH_START, MSG_EPOCH_SUMMARY, MSG_EPOCH_PLAN,
	MSG_PUTBATCH, MSG_PUTBATCH_ACK,
};

#define SAMPLE_BATCH	3	/* pages in the PUTBATCH sample, at most */

static struct proto_key	key;
static uint8_t		pagedata[PROTO_PAGE_MAX];

/* One datagram being mutated; one spare byte to extend it. */
struct dg {
	uint8_t	b[PROTO_MAXDGRAM + 1];
	size_t	len;
};

static int
is_reply(int type)
{
	return type == MSG_JOIN_ACK || type == MSG_HEARTBEAT_ACK ||
	    type == MSG_ACK || type == MSG_PAGE || type == MSG_MISS ||
	    type == MSG_EPOCH_SUMMARY || type == MSG_PUTBATCH_ACK;
}

/* A message of the type with every field non-trivial. */
static void
sample(int type, uint32_t ps, struct msg *m)
{
	int	i;

	memset(m, 0, sizeof *m);
	m->type = type;
	m->flags = is_reply(type) ? PROTO_FREPLY : 0;
	m->cluster = CLUSTER;
	m->sender = type == MSG_JOIN ? 0 : SENDER;
	m->reqid = REQID + type;
	m->stamp = STAMP + type;
	switch (type) {
	case MSG_JOIN:
		m->u.join.page_size = ps;
		m->u.join.nframes = 123456;
		m->u.join.nonce = 0xfedcba9876543210ULL;
		break;
	case MSG_JOIN_ACK:
		m->u.join_ack.status = ST_OK;
		m->u.join_ack.policy = POL_NCHANCE;
		m->u.join_ack.node = 7;
		m->u.join_ack.page_size = ps;
		m->u.join_ack.heartbeat_ms = 250;
		m->u.join_ack.master = 0x80000003u;
		m->u.join_ack.master_addr = 0x0a000102u;
		m->u.join_ack.master_port = 40123;
		break;
	case MSG_POD:
		m->u.pod.version = 0x11223344;
		m->u.pod.nmembers = 5;
		m->u.pod.master_idx = 2;
		m->u.pod.term = 0x0badcafe;
		m->u.pod.next_id = 0x00c0ffee;
		for (i = 0; i < 5; i++) {
			m->u.pod.nonces[i] = 0x0102030405060708ULL * (i + 1);
			m->u.pod.members[i].id = 10 + 7 * i;
			m->u.pod.members[i].addr = 0x7f000001u + (i << 16);
			m->u.pod.members[i].port = 40000 + i;
			m->u.pod.members[i].flags = i == 3 ? POD_MLEAVING : 0;
		}
		for (i = 0; i < POD_NBUCKETS; i++)
			m->u.pod.buckets[i] = (i * 7 % 5) == 3 ? 4 : i * 7 % 5;
		break;
	case MSG_HEARTBEAT:
		m->u.heartbeat.pod_version = 0x01020304;
		m->u.heartbeat.nfree = 1000;
		m->u.heartbeat.nlocal = 2000;
		m->u.heartbeat.nglobal = 3000;
		break;
	case MSG_HEARTBEAT_ACK:
		m->u.heartbeat_ack.pod_version = 9;
		m->u.heartbeat_ack.nloads = 3;
		m->u.heartbeat_ack.loads[0].node = 10;
		m->u.heartbeat_ack.loads[0].nfree = 500;
		m->u.heartbeat_ack.loads[1].node = 17;
		m->u.heartbeat_ack.loads[1].nfree = 0;
		m->u.heartbeat_ack.loads[2].node = 0xffffffffu;
		m->u.heartbeat_ack.loads[2].nfree = 0xfffffffeu;
		break;
	case MSG_ACK:
		m->u.ack.status = ST_STALE;
		m->u.ack.value = 0xdeadbeef;
		break;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		m->u.getpage.uid.node = 0x1234;
		m->u.getpage.uid.space = UID_SHARED | 5;
		m->u.getpage.uid.pgno = 0x8000000000000001ULL + type;
		m->u.getpage.requester = 42;
		m->u.getpage.pod_version = 77;
		break;
	case MSG_PAGE:
	case MSG_PUTPAGE:
		m->u.page.uid.node = 3;
		m->u.page.uid.space = 0x00abcdef;
		m->u.page.uid.pgno = 0x0102030405060708ULL;
		m->u.page.flags = type == MSG_PAGE ?
		    PAGE_FMOVED | PAGE_FSHARED : PAGE_FSHARED;
		m->u.page.age_ms = 123456;
		m->u.page.gen = 0x10203040;
		m->u.page.data = pagedata;
		break;
	case MSG_MISS:
		m->u.miss.uid.node = 9;
		m->u.miss.uid.space = 1;
		m->u.miss.uid.pgno = 0xffffffffffffffffULL;
		m->u.miss.reason = MISS_STALEPOD;
		break;
	case MSG_DISCARD:
		m->u.discard.uid.node = 0xfffffffe;
		m->u.discard.uid.space = 2;
		m->u.discard.uid.pgno = 3;
		m->u.discard.flags = DISCARD_FHOLDER;
		m->u.discard.gen = 0x77665544;
		break;
	case MSG_EPOCH_START:
		m->u.epoch_start.epoch = 17;
		m->u.epoch_start.m = 1024;
		m->u.epoch_start.t_ms = 5000;
		break;
	case MSG_EPOCH_SUMMARY:
		m->u.epoch_summary.epoch = 17;
		m->u.epoch_summary.nfree = 99;
		m->u.epoch_summary.nbuckets = 3;
		m->u.epoch_summary.buckets[0].bucket = 0;
		m->u.epoch_summary.buckets[0].count = 5;
		m->u.epoch_summary.buckets[1].bucket = 130;
		m->u.epoch_summary.buckets[1].count = 70000;
		m->u.epoch_summary.buckets[2].bucket = EPOCH_NBUCKETS - 1;
		m->u.epoch_summary.buckets[2].count = 1;
		break;
	case MSG_EPOCH_PLAN:
		m->u.epoch_plan.epoch = 17;
		m->u.epoch_plan.minage = 0x123456789aULL;
		m->u.epoch_plan.m = 4;
		m->u.epoch_plan.next = 3;
		m->u.epoch_plan.t_ms = 2500;
		m->u.epoch_plan.idle = 1;
		m->u.epoch_plan.nweights = 3;
		for (i = 0; i < 3; i++) {
			m->u.epoch_plan.weights[i].node = (uint32_t)i + 1;
			m->u.epoch_plan.weights[i].weight = (uint32_t)i;
		}
		break;
	case MSG_PUTBATCH:
		m->u.putbatch.npages = proto_batch_max(ps) < SAMPLE_BATCH ?
		    proto_batch_max(ps) : SAMPLE_BATCH;
		for (i = 0; i < m->u.putbatch.npages; i++) {
			m->u.putbatch.pages[i].uid.node = 3;
			m->u.putbatch.pages[i].uid.space = i == 1 ?
			    UID_SHARED | 4 : 0x00abcdef;
			m->u.putbatch.pages[i].uid.pgno = 0x0102030405060708ULL +
			    i;
			m->u.putbatch.pages[i].flags = i == 1 ? PAGE_FSHARED :
			    (uint32_t)i << PAGE_RECIRC_SHIFT;
			m->u.putbatch.pages[i].age_ms = 1000 * i + 7;
			m->u.putbatch.pages[i].gen = 0x10203040 + i;
			m->u.putbatch.pages[i].data = pagedata + i * ps;
		}
		break;
	case MSG_PUTBATCH_ACK:
		m->u.putbatch_ack.npages = SAMPLE_BATCH;
		m->u.putbatch_ack.value = 0x00c0ffee;
		m->u.putbatch_ack.status[0] = ST_OK;
		m->u.putbatch_ack.status[1] = ST_FULL;
		m->u.putbatch_ack.status[2] = ST_OK;
		break;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		m->u.gcd.nentries = type == MSG_GCD_UPDATE ? 4 :
		    PROTO_MAX_ENTRIES;
		m->u.gcd.pod_version = 0x0a0b0c0d;
		for (i = 0; i < m->u.gcd.nentries; i++) {
			m->u.gcd.entries[i].uid.node = i + 1;
			m->u.gcd.entries[i].uid.space = 0x100 + i;
			m->u.gcd.entries[i].uid.pgno = 0x1000000000ULL * i + 5;
			m->u.gcd.entries[i].holder = 0x20 + i;
			m->u.gcd.entries[i].gen = 0x1000 + i;
			m->u.gcd.entries[i].op = i % 3 ? GCD_OPADD :
			    GCD_OPREMOVE;
		}
		break;
	}
}

/* The body length the layout in proto.h gives, computed independently. */
static size_t
want_body(const struct msg *m, uint32_t ps)
{
	switch (m->type) {
	case MSG_JOIN:
	case MSG_HEARTBEAT:
		return 16;
	case MSG_JOIN_ACK:
		return 28;
	case MSG_MISS:
		return 20;
	case MSG_DISCARD:
		return 24;
	case MSG_POD:
		return 16 + 20 * m->u.pod.nmembers + 256;
	case MSG_HEARTBEAT_ACK:
		return 8 + 8 * m->u.heartbeat_ack.nloads;
	case MSG_ACK:
		return 8;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		return 24;
	case MSG_PAGE:
	case MSG_PUTPAGE:
		return 28 + ps;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		return 8 + 28 * m->u.gcd.nentries;
	case MSG_EPOCH_START:
		return 12;
	case MSG_EPOCH_SUMMARY:
		return 12 + 8 * m->u.epoch_summary.nbuckets;
	case MSG_EPOCH_PLAN:
		return 32 + 8 * m->u.epoch_plan.nweights;
	case MSG_PUTBATCH:
		return 4 + (28 + ps) * m->u.putbatch.npages;
	case MSG_PUTBATCH_ACK:
		return 8 + m->u.putbatch_ack.npages;
	}
	return 0;
}

static int
uid_same(const struct uid *a, const struct uid *b)
{
	return a->node == b->node && a->space == b->space &&
	    a->pgno == b->pgno;
}

static int
page_same(const struct msg_page *a, const struct msg_page *b, uint32_t ps)
{
	return uid_same(&a->uid, &b->uid) && a->flags == b->flags &&
	    a->age_ms == b->age_ms && a->gen == b->gen && a->data != NULL &&
	    b->data != NULL && memcmp(a->data, b->data, ps) == 0;
}

static int
batch_same(const struct msg *a, const struct msg *b, uint32_t ps)
{
	const struct msg_putbatch_ack	*ka = &a->u.putbatch_ack;
	const struct msg_putbatch_ack	*kb = &b->u.putbatch_ack;
	int				 i;

	if (a->type == MSG_PUTBATCH_ACK)
		return ka->npages == kb->npages && ka->value == kb->value &&
		    memcmp(ka->status, kb->status, ka->npages) == 0;
	if (a->u.putbatch.npages != b->u.putbatch.npages)
		return 0;
	for (i = 0; i < a->u.putbatch.npages; i++) {
		if (!page_same(&a->u.putbatch.pages[i],
		    &b->u.putbatch.pages[i], ps))
			return 0;
	}
	return 1;
}

static int
body_same(const struct msg *a, const struct msg *b, uint32_t ps)
{
	const struct msg_pod		*pa = &a->u.pod, *pb = &b->u.pod;
	const struct msg_heartbeat_ack	*ha = &a->u.heartbeat_ack;
	const struct msg_heartbeat_ack	*hb = &b->u.heartbeat_ack;
	const struct msg_gcd		*ga = &a->u.gcd, *gb = &b->u.gcd;
	int				 i;

	switch (a->type) {
	case MSG_JOIN:
		return a->u.join.page_size == b->u.join.page_size &&
		    a->u.join.nframes == b->u.join.nframes &&
		    a->u.join.nonce == b->u.join.nonce;
	case MSG_JOIN_ACK:
		return a->u.join_ack.status == b->u.join_ack.status &&
		    a->u.join_ack.policy == b->u.join_ack.policy &&
		    a->u.join_ack.node == b->u.join_ack.node &&
		    a->u.join_ack.page_size == b->u.join_ack.page_size &&
		    a->u.join_ack.heartbeat_ms == b->u.join_ack.heartbeat_ms &&
		    a->u.join_ack.master == b->u.join_ack.master &&
		    a->u.join_ack.master_addr == b->u.join_ack.master_addr &&
		    a->u.join_ack.master_port == b->u.join_ack.master_port;
	case MSG_POD:
		if (pa->version != pb->version ||
		    pa->nmembers != pb->nmembers ||
		    pa->master_idx != pb->master_idx ||
		    pa->term != pb->term || pa->next_id != pb->next_id ||
		    memcmp(pa->buckets, pb->buckets, POD_NBUCKETS) != 0)
			return 0;
		for (i = 0; i < pa->nmembers; i++) {
			if (pa->members[i].id != pb->members[i].id ||
			    pa->members[i].addr != pb->members[i].addr ||
			    pa->members[i].port != pb->members[i].port ||
			    pa->members[i].flags != pb->members[i].flags ||
			    pa->nonces[i] != pb->nonces[i])
				return 0;
		}
		return 1;
	case MSG_HEARTBEAT:
		return a->u.heartbeat.pod_version ==
		    b->u.heartbeat.pod_version &&
		    a->u.heartbeat.nfree == b->u.heartbeat.nfree &&
		    a->u.heartbeat.nlocal == b->u.heartbeat.nlocal &&
		    a->u.heartbeat.nglobal == b->u.heartbeat.nglobal;
	case MSG_HEARTBEAT_ACK:
		if (ha->pod_version != hb->pod_version ||
		    ha->nloads != hb->nloads)
			return 0;
		for (i = 0; i < ha->nloads; i++) {
			if (ha->loads[i].node != hb->loads[i].node ||
			    ha->loads[i].nfree != hb->loads[i].nfree)
				return 0;
		}
		return 1;
	case MSG_ACK:
		return a->u.ack.status == b->u.ack.status &&
		    a->u.ack.value == b->u.ack.value;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		return uid_same(&a->u.getpage.uid, &b->u.getpage.uid) &&
		    a->u.getpage.requester == b->u.getpage.requester &&
		    a->u.getpage.pod_version == b->u.getpage.pod_version;
	case MSG_PAGE:
	case MSG_PUTPAGE:
		return page_same(&a->u.page, &b->u.page, ps);
	case MSG_PUTBATCH:
	case MSG_PUTBATCH_ACK:
		return batch_same(a, b, ps);
	case MSG_MISS:
		return uid_same(&a->u.miss.uid, &b->u.miss.uid) &&
		    a->u.miss.reason == b->u.miss.reason;
	case MSG_DISCARD:
		return uid_same(&a->u.discard.uid, &b->u.discard.uid) &&
		    a->u.discard.flags == b->u.discard.flags &&
		    a->u.discard.gen == b->u.discard.gen;
	case MSG_EPOCH_START:
		return memcmp(&a->u.epoch_start, &b->u.epoch_start,
		    sizeof a->u.epoch_start) == 0;
	case MSG_EPOCH_SUMMARY:
		if (a->u.epoch_summary.epoch != b->u.epoch_summary.epoch ||
		    a->u.epoch_summary.nfree != b->u.epoch_summary.nfree ||
		    a->u.epoch_summary.nbuckets != b->u.epoch_summary.nbuckets)
			return 0;
		for (i = 0; i < a->u.epoch_summary.nbuckets; i++)
			if (a->u.epoch_summary.buckets[i].bucket !=
			    b->u.epoch_summary.buckets[i].bucket ||
			    a->u.epoch_summary.buckets[i].count !=
			    b->u.epoch_summary.buckets[i].count)
				return 0;
		return 1;
	case MSG_EPOCH_PLAN:
		if (a->u.epoch_plan.epoch != b->u.epoch_plan.epoch ||
		    a->u.epoch_plan.minage != b->u.epoch_plan.minage ||
		    a->u.epoch_plan.m != b->u.epoch_plan.m ||
		    a->u.epoch_plan.next != b->u.epoch_plan.next ||
		    a->u.epoch_plan.t_ms != b->u.epoch_plan.t_ms ||
		    a->u.epoch_plan.idle != b->u.epoch_plan.idle ||
		    a->u.epoch_plan.nweights != b->u.epoch_plan.nweights)
			return 0;
		for (i = 0; i < a->u.epoch_plan.nweights; i++)
			if (a->u.epoch_plan.weights[i].node !=
			    b->u.epoch_plan.weights[i].node ||
			    a->u.epoch_plan.weights[i].weight !=
			    b->u.epoch_plan.weights[i].weight)
				return 0;
		return 1;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		if (ga->nentries != gb->nentries ||
		    ga->pod_version != gb->pod_version)
			return 0;
		for (i = 0; i < ga->nentries; i++) {
			if (!uid_same(&ga->entries[i].uid, &gb->entries[i].uid) ||
			    ga->entries[i].holder != gb->entries[i].holder ||
			    ga->entries[i].op != gb->entries[i].op ||
			    ga->entries[i].gen != gb->entries[i].gen)
				return 0;
		}
		return 1;
	}
	return 1;	/* LEAVE, LEAVE_DONE */
}

/* Every field of a and b the same. */
static int
msg_same(const struct msg *a, const struct msg *b, uint32_t ps)
{
	if (a->type != b->type || a->flags != b->flags ||
	    a->cluster != b->cluster || a->sender != b->sender ||
	    a->reqid != b->reqid || a->stamp != b->stamp)
		return 0;
	return body_same(a, b, ps);
}

/*
 * Recompute the MAC of a mutated datagram; one too short to hold a header
 * and a MAC has none (the decoder refuses it as too short first).
 */
static void
resign(uint8_t *buf, size_t len, const struct proto_key *k)
{
	if (len < PROTO_HDRLEN + PROTO_MACLEN)
		return;
	proto_seal(buf, len, k);
}

static int
decode(const uint8_t *buf, size_t len, uint32_t ps, struct msg *m)
{
	return proto_decode(buf, len, &key, CLUSTER, ps, m);
}

/* The sample of a type, encoded. */
static void
dg_make(struct dg *d, int type, uint32_t ps)
{
	struct msg	m;

	sample(type, ps, &m);
	d->len = proto_encode(d->b, sizeof d->b - 1, &key, ps, &m);
	if (d->len == 0) {
		printf("  cannot encode the %s sample\n",
		    proto_type_name(type));
		exit(1);
	}
}

static void
dg_put8(struct dg *d, size_t off, uint8_t v)
{
	d->b[off] = v;
}

static void
dg_put16(struct dg *d, size_t off, uint16_t v)
{
	d->b[off] = v >> 8;
	d->b[off + 1] = v;
}

static void
dg_put32(struct dg *d, size_t off, uint32_t v)
{
	dg_put16(d, off, v >> 16);
	dg_put16(d, off + 2, v);
}

/* Re-sign and decode at page size ps. */
static int
dg_decode(struct dg *d, uint32_t ps)
{
	struct msg	m;

	resign(d->b, d->len, &key);
	return decode(d->b, d->len, ps, &m);
}

/* The sample with one field set, re-signed and decoded. */
static int
mut8(int type, size_t off, uint8_t v)
{
	struct dg	d;

	dg_make(&d, type, 4096);
	dg_put8(&d, off, v);
	return dg_decode(&d, 4096);
}

static int
mut16(int type, size_t off, uint16_t v)
{
	struct dg	d;

	dg_make(&d, type, 4096);
	dg_put16(&d, off, v);
	return dg_decode(&d, 4096);
}

static int
mut32(int type, size_t off, uint32_t v)
{
	struct dg	d;

	dg_make(&d, type, 4096);
	dg_put32(&d, off, v);
	return dg_decode(&d, 4096);
}

/* A datagram with a hand-made body, signed. */
static void
dg_raw(struct dg *d, int type, uint16_t flags, const uint8_t *body,
    size_t blen)
{
	memset(d->b, 0, PROTO_HDRLEN);
	dg_put16(d, 0, PROTO_MAGIC);
	dg_put8(d, 2, PROTO_VERSION);
	dg_put8(d, 3, type);
	dg_put32(d, 4, CLUSTER);
	dg_put32(d, 8, SENDER);
	dg_put16(d, 12, flags);
	dg_put32(d, 16, 0x01234567);
	dg_put32(d, 20, 0x89abcdef);
	memcpy(d->b + PROTO_HDRLEN, body, blen);
	d->len = PROTO_HDRLEN + blen + PROTO_MACLEN;
	resign(d->b, d->len, &key);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/*
 * What every type must refuse: a body one byte short or long, a reserved
 * header field set, the reply flag wrong, an unknown flag, an unsigned
 * change, and every truncation.
 */
static void
malformed_common(int type)
{
	struct dg	d, t;
	struct msg	m;
	size_t		len, body;

	dg_make(&d, type, 4096);
	body = d.len - PROTO_HDRLEN - PROTO_MACLEN;
	CHECK_EQ(dg_decode(&d, 4096), PE_OK);

	t = d;
	t.len--;
	CHECK_EQ(dg_decode(&t, 4096), body == 0 ? PE_SHORT : PE_LENGTH);
	t = d;
	t.len++;
	CHECK_EQ(dg_decode(&t, 4096), PE_LENGTH);

	CHECK_EQ(mut8(type, 14, 0x01), PE_VALUE);	/* header reserved */
	CHECK_EQ(mut8(type, 15, 0x80), PE_VALUE);
	CHECK_EQ(mut16(type, 12, is_reply(type) ? 0 : PROTO_FREPLY),
	    PE_VALUE);
	CHECK_EQ(mut16(type, 12, (is_reply(type) ? PROTO_FREPLY : 0) |
	    0x8000), PE_VALUE);
	CHECK_EQ(mut32(type, 8, 0), PE_OK);	/* sender 0: joining */

	t = d;				/* a change the MAC catches */
	t.b[d.len / 2 - 8] ^= 0x10;
	CHECK_EQ(decode(t.b, t.len, 4096, &m), PE_MAC);

	for (len = 0; len < d.len; len++) {
		t = d;
		t.len = len;
		if (len >= PROTO_HDRLEN + PROTO_MACLEN)
			resign(t.b, t.len, &key);
		if (decode(t.b, t.len, 4096, &m) == PE_OK) {
			CHECK(!"a truncated datagram decoded");
			break;
		}
	}
}

static void
test_roundtrip(void)
{
	static const uint32_t	sizes[] = { 4096, 8192, PROTO_PAGE_MIN,
				    PROTO_PAGE_MAX };
	static uint8_t		buf[PROTO_MAXDGRAM], buf2[PROTO_MAXDGRAM];
	struct msg		m, out, out2;
	size_t			i, j, len, len2;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (j = 0; j < NTYPES; j++) {
			sample(types[j], sizes[i], &m);
			len = proto_encode(buf, sizeof buf, &key, sizes[i], &m);
			CHECK_EQ(len, PROTO_HDRLEN + want_body(&m, sizes[i]) +
			    PROTO_MACLEN);
			CHECK_EQ(decode(buf, len, sizes[i], &out), PE_OK);
			CHECK(msg_same(&m, &out, sizes[i]));
			if (types[j] == MSG_PAGE || types[j] == MSG_PUTPAGE)
				CHECK(out.u.page.data == buf + BODY(28));
			if (types[j] == MSG_PUTBATCH)
				CHECK(out.u.putbatch.pages[0].data ==
				    buf + BODY(4 + 28));
			/* and again: the encoding is canonical */
			len2 = proto_encode(buf2, sizeof buf2, &key, sizes[i],
			    &out);
			CHECK_EQ(len2, len);
			CHECK(memcmp(buf, buf2, len) == 0);
			CHECK_EQ(decode(buf2, len2, sizes[i], &out2), PE_OK);
			CHECK(msg_same(&out, &out2, sizes[i]));
		}
	}
}

/* The largest POD and heartbeat ack, and empty lists where allowed. */
static void
test_roundtrip_limits(void)
{
	static uint8_t	buf[PROTO_MAXDGRAM];
	struct msg	m, out;
	size_t		len;
	int		i;

	sample(MSG_POD, 4096, &m);
	m.u.pod.nmembers = POD_MAX_MEMBERS;
	m.u.pod.master_idx = POD_MAX_MEMBERS - 1;
	for (i = 0; i < POD_MAX_MEMBERS; i++) {
		m.u.pod.members[i].id = 0xffffff00u + i;
		m.u.pod.members[i].addr = 0xc0a80000u + i;
		m.u.pod.members[i].port = 65535 - i;
		m.u.pod.members[i].flags = i & 1 ? POD_MLEAVING : 0;
		m.u.pod.nonces[i] = ~0ULL - i;
	}
	for (i = 0; i < POD_NBUCKETS; i++)
		m.u.pod.buckets[i] = (i * 2) % POD_MAX_MEMBERS;
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK_EQ(len, PROTO_HDRLEN + 16 + 20 * 64 + 256 + PROTO_MACLEN);
	CHECK_EQ(decode(buf, len, 4096, &out), PE_OK);
	CHECK(msg_same(&m, &out, 4096));

	sample(MSG_HEARTBEAT_ACK, 4096, &m);
	m.u.heartbeat_ack.nloads = PROTO_MAX_LOADS;
	for (i = 0; i < PROTO_MAX_LOADS; i++) {
		m.u.heartbeat_ack.loads[i].node = 1000 + i;
		m.u.heartbeat_ack.loads[i].nfree = 77 * i;
	}
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK_EQ(decode(buf, len, 4096, &out), PE_OK);
	CHECK(msg_same(&m, &out, 4096));
	m.u.heartbeat_ack.nloads = 0;
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK_EQ(len, PROTO_HDRLEN + 8 + PROTO_MACLEN);
	CHECK_EQ(decode(buf, len, 4096, &out), PE_OK);
	CHECK(msg_same(&m, &out, 4096));

	sample(MSG_GCD_UPDATE, 4096, &m);
	m.u.gcd.nentries = 0;
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK_EQ(len, PROTO_HDRLEN + 8 + PROTO_MACLEN);
	CHECK_EQ(decode(buf, len, 4096, &out), PE_OK);
	CHECK(msg_same(&m, &out, 4096));

	/* a refused JOIN_ACK need not name a node */
	sample(MSG_JOIN_ACK, 4096, &m);
	m.u.join_ack.status = ST_REFUSED;
	m.u.join_ack.node = 0;
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK(len > 0);
	CHECK_EQ(decode(buf, len, 4096, &out), PE_OK);
	CHECK(msg_same(&m, &out, 4096));

	/* the largest datagram fits a UDP datagram over IPv4 */
	CHECK(PROTO_MAXDGRAM <= 65507);
	CHECK(PROTO_HDRLEN + 28 + PROTO_PAGE_MAX + PROTO_MACLEN <=
	    PROTO_MAXDGRAM);
}

/* The header layout, byte by byte, and a UID body. */
static void
test_golden(void)
{
	static const uint8_t	hb[] = {
		0x47, 0x4d, 0x09, 0x04, 0xc0, 0xff, 0xee, 0x01,
		0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xf3,
		0x00, 0x06, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x04,
		0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x03, 0xe8,
		0x00, 0x00, 0x07, 0xd0, 0x00, 0x00, 0x0b, 0xb8,
	};
	static const uint8_t	gp[] = {
		0x47, 0x4d, 0x09, 0x20, 0xc0, 0xff, 0xee, 0x01,
		0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xce, 0x0f,
		0x00, 0x06, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x20,
		0x00, 0x00, 0x12, 0x34, 0x80, 0x00, 0x00, 0x05,
		0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21,
		0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x4d,
	};
	static const uint8_t	ack[] = {
		0x47, 0x4d, 0x09, 0x08, 0xc0, 0xff, 0xee, 0x01,
		0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x01, 0x00, 0x00,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xf7,
		0x00, 0x06, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x08,
		0x04, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
	};
	/* hb's nonce: cluster, sender, request id, stamp */
	static const uint8_t	hbnonce[PROTO_NONCELEN] = {
		0xc0, 0xff, 0xee, 0x01, 0x0a, 0x0b, 0x0c, 0x0d,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xf3,
		0x00, 0x06, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x04,
	};
	uint8_t			buf[256], mac[PROTO_MACLEN], c[1];
	uint8_t			nonce[PROTO_NONCELEN];
	unsigned long long	maclen;
	struct msg		m;
	size_t			len;

	sample(MSG_HEARTBEAT, 4096, &m);
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK_EQ(len, sizeof hb + PROTO_MACLEN);
	CHECK(memcmp(buf, hb, sizeof hb) == 0);
	proto_nonce(nonce, hb);
	CHECK(memcmp(nonce, hbnonce, sizeof nonce) == 0);
	/* the MAC: XChaCha20-Poly1305 tag, empty message, datagram as AD */
	CHECK(crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c, mac,
	    &maclen, NULL, 0, hb, sizeof hb, NULL, hbnonce, key.k) == 0);
	CHECK_EQ(maclen, PROTO_MACLEN);
	CHECK(memcmp(buf + sizeof hb, mac, sizeof mac) == 0);

	sample(MSG_GETPAGE, 4096, &m);
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK_EQ(len, sizeof gp + PROTO_MACLEN);
	CHECK(memcmp(buf, gp, sizeof gp) == 0);

	sample(MSG_ACK, 4096, &m);
	len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	CHECK_EQ(len, sizeof ack + PROTO_MACLEN);
	CHECK(memcmp(buf, ack, sizeof ack) == 0);
}

/* A datagram given a new stamp decodes with it, and only with it. */
static void
test_restamp(void)
{
	struct msg	m, out;
	struct dg	d;

	dg_make(&d, MSG_PUTPAGE, 4096);
	proto_restamp(d.b, d.len, &key, STAMP + 99);
	CHECK_EQ(decode(d.b, d.len, 4096, &out), PE_OK);
	sample(MSG_PUTPAGE, 4096, &m);
	m.stamp = STAMP + 99;
	CHECK(msg_same(&m, &out, 4096));
	/* the stamp is under the MAC */
	d.b[PROTO_HDRLEN - 1] ^= 1;
	CHECK_EQ(decode(d.b, d.len, 4096, &out), PE_MAC);
}

/*
 * The MAC's nonce: each header field in it changes the one-time Poly1305
 * key.  The same header and body tagged under the nonce of another stamp,
 * sender, request id or cluster give another tag, so a tag is bound to its
 * nonce and not only to the bytes it covers; the same datagram twice gives
 * the same tag.
 */
static void
test_mac_nonce(void)
{
	static const size_t	fields[][2] = {
		{ 4, 4 },	/* cluster */
		{ 8, 4 },	/* sender */
		{ 16, 8 },	/* request id */
		{ 24, 8 },	/* stamp */
	};
	static struct dg	d, e;
	uint8_t			nonce[PROTO_NONCELEN], nonce2[PROTO_NONCELEN];
	uint8_t			tag[PROTO_MACLEN], c[1];
	unsigned long long	maclen;
	struct msg		m, out;
	size_t			i, len;

	sample(MSG_GETPAGE, 4096, &m);
	d.len = proto_encode(d.b, sizeof d.b, &key, 4096, &m);
	e.len = proto_encode(e.b, sizeof e.b, &key, 4096, &m);
	CHECK(d.len > 0 && d.len == e.len);
	CHECK(memcmp(d.b, e.b, d.len) == 0);
	len = d.len - PROTO_MACLEN;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		/* the nonce of the datagram with this field changed */
		e = d;
		e.b[fields[i][0] + fields[i][1] - 1] ^= 1;
		proto_nonce(nonce, e.b);
		/* the original bytes tagged under that nonce */
		CHECK(crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c,
		    tag, &maclen, NULL, 0, d.b, len, NULL, nonce, key.k) == 0);
		CHECK(memcmp(tag, d.b + len, PROTO_MACLEN) != 0);
		/* the changed datagram, sealed, has another tag, and decodes */
		proto_seal(e.b, e.len, &key);
		CHECK(memcmp(e.b + len, d.b + len, PROTO_MACLEN) != 0);
		if (i > 0)	/* a changed cluster is refused before the MAC */
			CHECK_EQ(decode(e.b, e.len, 4096, &out), PE_OK);
		/* the old tag on the changed datagram is refused */
		memcpy(e.b + len, d.b + len, PROTO_MACLEN);
		CHECK_EQ(proto_decode(e.b, e.len, &key, CLUSTER ^
		    (i == 0 ? 1 : 0), 4096, &out), PE_MAC);
	}
	/* the nonce skips flags and reserved, the MAC still covers them */
	e = d;
	e.b[13] ^= 1;
	proto_nonce(nonce, e.b);
	proto_nonce(nonce2, d.b);
	CHECK(memcmp(nonce, nonce2, sizeof nonce) == 0);
	CHECK_EQ(decode(e.b, e.len, 4096, &out), PE_MAC);
	/* the same datagram restamped twice: two stamps, two tags */
	e = d;
	proto_restamp(d.b, d.len, &key, STAMP + 1000);
	proto_restamp(e.b, e.len, &key, STAMP + 1001);
	CHECK(memcmp(d.b + len, e.b + len, PROTO_MACLEN) != 0);
	CHECK_EQ(decode(d.b, d.len, 4096, &out), PE_OK);
	CHECK_EQ(decode(e.b, e.len, 4096, &out), PE_OK);
}

/* A wrong key is refused for every type, small datagrams and pages alike. */
static void
test_mac_wrong_key(void)
{
	static struct dg	d;
	struct proto_key	other;
	struct msg		m;
	size_t			i;
	int			nmac = 0;

	other = key;
	other.k[PROTO_KEYLEN - 1] ^= 0x80;	/* one bit of the key */
	for (i = 0; i < NTYPES; i++) {
		dg_make(&d, types[i], 4096);
		CHECK_EQ(decode(d.b, d.len, 4096, &m), PE_OK);
		if (proto_decode(d.b, d.len, &other, CLUSTER, 4096, &m) ==
		    PE_MAC)
			nmac++;
	}
	CHECK_EQ(nmac, (int)NTYPES);
}

/* The cluster key: keyed BLAKE2b, pinned so every build derives the same. */
static void
test_key_derive(void)
{
	static const uint8_t	golden[PROTO_KEYLEN] = {
		/* Python: blake2b(b"test secret", digest_size=32,
		   key=b"gms-cluster-key-v1") */
		0xf0, 0x22, 0xb2, 0xf8, 0x3c, 0x5f, 0xe2, 0xb1,
		0x3c, 0xfb, 0x5f, 0x47, 0x05, 0x9b, 0x12, 0x06,
		0xd9, 0x85, 0x83, 0xf0, 0xa5, 0x83, 0xae, 0x35,
		0xa1, 0x8a, 0xbf, 0x5c, 0x0c, 0x40, 0xd0, 0xba,
	};
	struct proto_key	a, b;
	uint8_t			want[PROTO_KEYLEN];

	proto_key_derive(&a, "test secret");
	crypto_generichash(want, sizeof want,
	    (const unsigned char *)"test secret", 11,
	    (const unsigned char *)"gms-cluster-key-v1", 18);
	CHECK(memcmp(a.k, want, sizeof want) == 0);
	CHECK(memcmp(a.k, golden, sizeof golden) == 0);
	proto_key_derive(&b, "test secret");
	CHECK(memcmp(a.k, b.k, sizeof a.k) == 0);
	proto_key_derive(&b, "test secreT");
	CHECK(memcmp(a.k, b.k, sizeof a.k) != 0);
	proto_key_derive(&b, "");
	CHECK(memcmp(a.k, b.k, sizeof a.k) != 0);
}

static void
test_names(void)
{
	size_t	i;
	int	e;

	CHECK(strcmp(proto_type_name(MSG_GETPAGE), "GETPAGE") == 0);
	CHECK(strcmp(proto_type_name(MSG_GCD_HANDOVER), "GCD_HANDOVER") == 0);
	CHECK(strcmp(proto_type_name(0), "?") == 0);
	CHECK(strcmp(proto_type_name(0x09), "?") == 0);
	CHECK(strcmp(proto_type_name(0x2a), "?") == 0);
	CHECK(strcmp(proto_type_name(MSG_PUTBATCH), "PUTBATCH") == 0);
	CHECK(strcmp(proto_type_name(-1), "?") == 0);
	CHECK(strcmp(proto_type_name(1000), "?") == 0);
	for (i = 0; i < NTYPES; i++)
		CHECK(strcmp(proto_type_name(types[i]), "?") != 0);
	CHECK(strcmp(proto_err_name(PE_MAC), "bad-mac") == 0);
	CHECK(strcmp(proto_err_name(PE_OK), "ok") == 0);
	CHECK(strcmp(proto_err_name(PE_NERR), "?") == 0);
	CHECK(strcmp(proto_err_name(-1), "?") == 0);
	for (e = 0; e < PE_NERR; e++)
		CHECK(strcmp(proto_err_name(e), "?") != 0);
}

/* The encoder refuses what the decoder would. */
static void
test_encode_rejects(void)
{
	static uint8_t	buf[PROTO_MAXDGRAM];
	struct msg	m;
	size_t		len;

#define REJECT(type, ps, change) do {					\
	sample(type, 4096, &m);						\
	change;								\
	CHECK_EQ(proto_encode(buf, sizeof buf, &key, ps, &m), 0);	\
} while (0)
	REJECT(MSG_HEARTBEAT, 4096, m.type = 0x09);
	REJECT(MSG_HEARTBEAT, 4096, m.type = 0);
	REJECT(MSG_HEARTBEAT, 4096, m.flags = PROTO_FREPLY);
	REJECT(MSG_ACK, 4096, m.flags = 0);
	REJECT(MSG_ACK, 4096, m.flags = PROTO_FREPLY | 2);
	REJECT(MSG_ACK, 4096, m.u.ack.status = ST_NOQUORUM + 1);
	REJECT(MSG_JOIN, 4096, m.u.join.page_size = 3000);
	REJECT(MSG_JOIN, 4096, m.u.join.page_size = PROTO_PAGE_MIN / 2);
	REJECT(MSG_JOIN, 4096, m.u.join.page_size = PROTO_PAGE_MAX * 2);
	REJECT(MSG_JOIN_ACK, 4096, m.u.join_ack.page_size = 0);
	REJECT(MSG_JOIN_ACK, 4096, m.u.join_ack.node = 0);
	REJECT(MSG_JOIN_ACK, 4096, m.u.join_ack.status = 9);
	REJECT(MSG_POD, 4096, m.u.pod.nmembers = 0);
	REJECT(MSG_POD, 4096, m.u.pod.term = 0);
	REJECT(MSG_POD, 4096, m.u.pod.nmembers = POD_MAX_MEMBERS + 1);
	REJECT(MSG_POD, 4096, m.u.pod.master_idx = 5);
	REJECT(MSG_POD, 4096, m.u.pod.buckets[17] = 5);
	REJECT(MSG_POD, 4096, m.u.pod.members[4].id = 0);
	REJECT(MSG_POD, 4096, m.u.pod.members[0].flags = 0x0002);
	REJECT(MSG_HEARTBEAT_ACK, 4096,
	    m.u.heartbeat_ack.nloads = PROTO_MAX_LOADS + 1);
	REJECT(MSG_HEARTBEAT_ACK, 4096, m.u.heartbeat_ack.loads[1].node = 0);
	REJECT(MSG_GETPAGE, 4096, m.u.getpage.requester = 0);
	REJECT(MSG_GETPAGE_FWD, 4096, m.u.getpage.requester = 0);
	REJECT(MSG_PAGE, 3000, (void)0);
	REJECT(MSG_PAGE, 0, (void)0);
	REJECT(MSG_PAGE, PROTO_PAGE_MAX * 2, (void)0);
	REJECT(MSG_PAGE, 4096, m.u.page.data = NULL);
	REJECT(MSG_PAGE, 4096, m.u.page.flags = 0x0004);
	REJECT(MSG_PUTPAGE, 4096, m.u.page.flags = PAGE_FMOVED);
	REJECT(MSG_MISS, 4096, m.u.miss.reason = MISS_STALEPOD + 1);
	REJECT(MSG_DISCARD, 4096, m.u.discard.flags = 0x0002);
	REJECT(MSG_GCD_UPDATE, 4096, m.u.gcd.nentries = PROTO_MAX_ENTRIES + 1);
	REJECT(MSG_GCD_UPDATE, 4096, m.u.gcd.entries[3].op = 0);
	REJECT(MSG_GCD_HANDOVER, 4096, m.u.gcd.entries[63].op = 3);
	REJECT(MSG_GCD_HANDOVER, 4096, m.u.gcd.entries[0].holder = 0);
	REJECT(MSG_PUTBATCH, 4096, m.u.putbatch.npages = 0);
	REJECT(MSG_PUTBATCH, 4096, m.u.putbatch.npages = PROTO_BATCH_MAX + 1);
	REJECT(MSG_PUTBATCH, 8192, m.u.putbatch.npages = 5);	/* 40 KiB */
	REJECT(MSG_PUTBATCH, 3000, (void)0);
	REJECT(MSG_PUTBATCH, 4096, m.u.putbatch.pages[2].data = NULL);
	REJECT(MSG_PUTBATCH, 4096, m.u.putbatch.pages[1].flags = PAGE_FMOVED);
	REJECT(MSG_PUTBATCH_ACK, 4096, m.u.putbatch_ack.npages = 0);
	REJECT(MSG_PUTBATCH_ACK, 4096,
	    m.u.putbatch_ack.npages = PROTO_BATCH_MAX + 1);
	REJECT(MSG_PUTBATCH_ACK, 4096,
	    m.u.putbatch_ack.status[2] = ST_NOQUORUM + 1);
#undef REJECT

	/* a buffer one byte too small, and exactly big enough */
	sample(MSG_PUTPAGE, 4096, &m);
	len = PROTO_HDRLEN + 28 + 4096 + PROTO_MACLEN;
	CHECK_EQ(proto_encode(buf, len - 1, &key, 4096, &m), 0);
	CHECK_EQ(proto_encode(buf, len, &key, 4096, &m), len);
	sample(MSG_LEAVE, 4096, &m);
	CHECK_EQ(proto_encode(buf, PROTO_HDRLEN + PROTO_MACLEN - 1, &key,
	    4096, &m), 0);
	CHECK_EQ(proto_encode(buf, PROTO_HDRLEN + PROTO_MACLEN, &key, 4096,
	    &m), PROTO_HDRLEN + PROTO_MACLEN);
	CHECK_EQ(proto_encode(buf, 0, &key, 4096, &m), 0);
}

static void
test_malformed_join(void)
{
	malformed_common(MSG_JOIN);
	CHECK_EQ(mut32(MSG_JOIN, BODY(0), 3000), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN, BODY(0), 0), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN, BODY(0), PROTO_PAGE_MIN / 2), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN, BODY(0), PROTO_PAGE_MAX * 2), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN, BODY(0), 0xffffffffu), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN, BODY(0), PROTO_PAGE_MAX), PE_OK);
	CHECK_EQ(mut32(MSG_JOIN, 8, 99), PE_OK);	/* a rejoining sender */
}

static void
test_malformed_join_ack(void)
{
	malformed_common(MSG_JOIN_ACK);
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(0), ST_NOQUORUM + 1), PE_VALUE);
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(0), ST_NOTMASTER), PE_OK);
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(0), 0xff), PE_VALUE);
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(1), POL_NCHANCE + 1), PE_VALUE);
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(1), POL_LOCAL), PE_OK);	/* policy */
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(2), 1), PE_VALUE);	/* reserved */
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(3), 0x80), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN_ACK, BODY(4), 0), PE_VALUE);	/* node */
	CHECK_EQ(mut32(MSG_JOIN_ACK, BODY(8), 4095), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN_ACK, BODY(8), 0), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN_ACK, BODY(12), 0), PE_VALUE);
	CHECK_EQ(mut32(MSG_JOIN_ACK, BODY(16), 0), PE_VALUE);	/* master */
	CHECK_EQ(mut32(MSG_JOIN_ACK, BODY(20), 0), PE_OK);	/* its addr */
	CHECK_EQ(mut8(MSG_JOIN_ACK, BODY(26), 1), PE_VALUE);	/* reserved */
}

static void
test_malformed_pod(void)
{
	uint8_t		body[16 + 20 * (POD_MAX_MEMBERS + 1) + 256];
	struct dg	d;
	int		i, n;

	malformed_common(MSG_POD);
	/* count changed, body not: the length is wrong */
	CHECK_EQ(mut16(MSG_POD, BODY(4), 4), PE_LENGTH);
	CHECK_EQ(mut16(MSG_POD, BODY(4), 6), PE_LENGTH);
	CHECK_EQ(mut16(MSG_POD, BODY(4), 0xffff), PE_LENGTH);
	CHECK_EQ(mut16(MSG_POD, BODY(6), 5), PE_VALUE);	/* master index */
	CHECK_EQ(mut16(MSG_POD, BODY(6), 0xffff), PE_VALUE);
	CHECK_EQ(mut32(MSG_POD, BODY(8), 0), PE_VALUE);	/* term */
	CHECK_EQ(mut32(MSG_POD, BODY(12), 0), PE_OK);	/* next id */
	CHECK_EQ(mut32(MSG_POD, BODY(16 + 20 * 4), 0), PE_VALUE); /* id */
	CHECK_EQ(mut16(MSG_POD, BODY(16 + 20 * 1 + 10), 0x0100), PE_VALUE);
	CHECK_EQ(mut32(MSG_POD, BODY(16 + 20 * 1 + 12), 0), PE_OK); /* nonce */
	CHECK_EQ(mut8(MSG_POD, BODY(16 + 20 * 5 + 255), 5), PE_VALUE);
	CHECK_EQ(mut8(MSG_POD, BODY(16 + 20 * 5), 0xff), PE_VALUE);
	CHECK_EQ(mut8(MSG_POD, BODY(16 + 20 * 5 + 100), 4), PE_OK);

	/* counts 0 and 65 with bodies of the matching length */
	for (n = 0; n <= POD_MAX_MEMBERS + 1; n += POD_MAX_MEMBERS + 1) {
		memset(body, 0, sizeof body);
		put32(body, 1);
		put16(body + 4, n);
		put32(body + 8, 1);
		for (i = 0; i < n; i++) {
			put32(body + 16 + 20 * i, i + 1);
			put32(body + 16 + 20 * i + 4, 0x7f000001);
			put16(body + 16 + 20 * i + 8, 5000 + i);
		}
		dg_raw(&d, MSG_POD, 0, body, 16 + 20 * n + 256);
		CHECK_EQ(dg_decode(&d, 4096), PE_VALUE);
	}
	/* and the same hand-made body with 64 members is fine */
	n = POD_MAX_MEMBERS;
	put16(body + 4, n);
	memset(body + 16 + 20 * n, 7, 256);
	dg_raw(&d, MSG_POD, 0, body, 16 + 20 * n + 256);
	CHECK_EQ(dg_decode(&d, 4096), PE_OK);
	/* a body too short to hold its count */
	dg_raw(&d, MSG_POD, 0, body, 5);
	CHECK_EQ(dg_decode(&d, 4096), PE_LENGTH);
}

static void
test_malformed_heartbeat(void)
{
	malformed_common(MSG_HEARTBEAT);
	/* every body value is legal; the flags are what can be wrong */
	CHECK_EQ(mut16(MSG_HEARTBEAT, 12, PROTO_FREPLY), PE_VALUE);
	CHECK_EQ(mut32(MSG_HEARTBEAT, BODY(0), 0xffffffffu), PE_OK);
	CHECK_EQ(mut32(MSG_HEARTBEAT, BODY(12), 0), PE_OK);
}

static void
test_malformed_heartbeat_ack(void)
{
	uint8_t		body[8 + 8 * (PROTO_MAX_LOADS + 1)];
	struct dg	d;
	int		i;

	malformed_common(MSG_HEARTBEAT_ACK);
	CHECK_EQ(mut16(MSG_HEARTBEAT_ACK, BODY(4), 2), PE_LENGTH);
	CHECK_EQ(mut16(MSG_HEARTBEAT_ACK, BODY(4), 0xffff), PE_LENGTH);
	CHECK_EQ(mut8(MSG_HEARTBEAT_ACK, BODY(6), 1), PE_VALUE);
	CHECK_EQ(mut8(MSG_HEARTBEAT_ACK, BODY(7), 1), PE_VALUE);
	CHECK_EQ(mut32(MSG_HEARTBEAT_ACK, BODY(8 + 8), 0), PE_VALUE);
	CHECK_EQ(mut16(MSG_HEARTBEAT_ACK, 12, 0), PE_VALUE);

	memset(body, 0, sizeof body);
	put16(body + 4, PROTO_MAX_LOADS + 1);
	for (i = 0; i < PROTO_MAX_LOADS + 1; i++)
		put32(body + 8 + 8 * i, i + 1);
	dg_raw(&d, MSG_HEARTBEAT_ACK, PROTO_FREPLY, body, sizeof body);
	CHECK_EQ(dg_decode(&d, 4096), PE_VALUE);
	put16(body + 4, PROTO_MAX_LOADS);
	dg_raw(&d, MSG_HEARTBEAT_ACK, PROTO_FREPLY, body, sizeof body - 8);
	CHECK_EQ(dg_decode(&d, 4096), PE_OK);
}

static void
test_malformed_leave(void)
{
	malformed_common(MSG_LEAVE);
	CHECK_EQ(mut16(MSG_LEAVE, 12, PROTO_FREPLY), PE_VALUE);
}

static void
test_malformed_leave_done(void)
{
	malformed_common(MSG_LEAVE_DONE);
	CHECK_EQ(mut16(MSG_LEAVE_DONE, 12, PROTO_FREPLY), PE_VALUE);
}

static void
test_malformed_ack(void)
{
	malformed_common(MSG_ACK);
	CHECK_EQ(mut8(MSG_ACK, BODY(0), ST_NOQUORUM + 1), PE_VALUE);
	CHECK_EQ(mut8(MSG_ACK, BODY(1), 1), PE_VALUE);
	CHECK_EQ(mut8(MSG_ACK, BODY(2), 1), PE_VALUE);
	CHECK_EQ(mut8(MSG_ACK, BODY(3), 1), PE_VALUE);
	CHECK_EQ(mut16(MSG_ACK, 12, 0), PE_VALUE);
	CHECK_EQ(mut8(MSG_ACK, BODY(0), ST_OK), PE_OK);
}

static void
malformed_getpage(int type)
{
	malformed_common(type);
	CHECK_EQ(mut32(type, BODY(16), 0), PE_VALUE);	/* requester */
	CHECK_EQ(mut16(type, 12, PROTO_FREPLY), PE_VALUE);
	CHECK_EQ(mut32(type, BODY(0), 0), PE_OK);	/* shared: node 0 */
}

static void
test_malformed_getpage(void)
{
	malformed_getpage(MSG_GETPAGE);
}

static void
test_malformed_getpage_fwd(void)
{
	malformed_getpage(MSG_GETPAGE_FWD);
}

static void
test_malformed_page(void)
{
	struct dg	d;

	malformed_common(MSG_PAGE);
	CHECK_EQ(mut32(MSG_PAGE, BODY(16), 0x0004), PE_VALUE);
	CHECK_EQ(mut32(MSG_PAGE, BODY(16), 0x80000000u), PE_VALUE);
	CHECK_EQ(mut16(MSG_PAGE, 12, 0), PE_VALUE);
	/* a page of another size than ours */
	dg_make(&d, MSG_PAGE, 4096);
	CHECK_EQ(dg_decode(&d, 8192), PE_LENGTH);
	CHECK_EQ(dg_decode(&d, 2048), PE_LENGTH);
	CHECK_EQ(dg_decode(&d, 0), PE_LENGTH);
	CHECK_EQ(dg_decode(&d, 4097), PE_LENGTH);
	CHECK_EQ(dg_decode(&d, 4096), PE_OK);
}

static void
test_malformed_miss(void)
{
	malformed_common(MSG_MISS);
	CHECK_EQ(mut32(MSG_MISS, BODY(16), MISS_STALEPOD + 1), PE_VALUE);
	CHECK_EQ(mut32(MSG_MISS, BODY(16), 0xffffffffu), PE_VALUE);
	CHECK_EQ(mut16(MSG_MISS, 12, 0), PE_VALUE);
	CHECK_EQ(mut32(MSG_MISS, BODY(16), MISS_NOENTRY), PE_OK);
}

static void
test_malformed_putpage(void)
{
	struct dg	d;

	malformed_common(MSG_PUTPAGE);
	CHECK_EQ(mut32(MSG_PUTPAGE, BODY(16), PAGE_FMOVED), PE_VALUE);
	CHECK_EQ(mut32(MSG_PUTPAGE, BODY(16), 0x0400), PE_VALUE);
	CHECK_EQ(mut32(MSG_PUTPAGE, BODY(16), 0x0200), PE_OK);	/* count 2 */
	CHECK_EQ(mut32(MSG_PUTPAGE, BODY(16), 0), PE_OK);
	dg_make(&d, MSG_PUTPAGE, 8192);
	CHECK_EQ(dg_decode(&d, 4096), PE_LENGTH);
	CHECK_EQ(dg_decode(&d, 8192), PE_OK);
}

/* A PUTBATCH body of n pages of size ps, each valid; its length. */
static size_t
batch_body(uint8_t *body, int n, uint32_t ps)
{
	size_t	off = 4;
	int	i;

	memset(body, 0, 4 + (28 + (size_t)ps) * n);
	put16(body, (uint16_t)n);
	for (i = 0; i < n; i++) {
		put32(body + off, 3);			/* UID node */
		put32(body + off + 12, (uint32_t)i);	/* pgno */
		put32(body + off + 24, 1);		/* generation */
		body[off + 28] = (uint8_t)i;
		off += 28 + ps;
	}
	return off;
}

static void
test_malformed_putbatch(void)
{
	static uint8_t	body[4 + (28 + 1024) * (PROTO_BATCH_MAX + 1)];
	struct dg	d;
	size_t		len;

	malformed_common(MSG_PUTBATCH);
	/* the count must match the length: 3 pages of 4096 */
	CHECK_EQ(mut16(MSG_PUTBATCH, BODY(0), 2), PE_LENGTH);
	CHECK_EQ(mut16(MSG_PUTBATCH, BODY(0), 4), PE_LENGTH);
	CHECK_EQ(mut16(MSG_PUTBATCH, BODY(0), 0xffff), PE_LENGTH);
	CHECK_EQ(mut8(MSG_PUTBATCH, BODY(2), 1), PE_VALUE);	/* reserved */
	CHECK_EQ(mut8(MSG_PUTBATCH, BODY(3), 0x80), PE_VALUE);
	/* every page's flags are checked as a PUTPAGE's */
	CHECK_EQ(mut32(MSG_PUTBATCH, BODY(4 + 2 * (28 + 4096) + 16),
	    PAGE_FMOVED), PE_VALUE);
	CHECK_EQ(mut32(MSG_PUTBATCH, BODY(4 + 16), 0x0400), PE_VALUE);
	CHECK_EQ(mut32(MSG_PUTBATCH, BODY(4 + 2 * (28 + 4096) + 16),
	    PAGE_FSHARED), PE_OK);
	/* a batch of another page size */
	dg_make(&d, MSG_PUTBATCH, 4096);
	CHECK_EQ(dg_decode(&d, 8192), PE_LENGTH);
	CHECK_EQ(dg_decode(&d, 1024), PE_LENGTH);
	CHECK_EQ(dg_decode(&d, 0), PE_LENGTH);
	/* no pages; one page more than proto_batch_max allows */
	len = batch_body(body, 0, 1024);
	dg_raw(&d, MSG_PUTBATCH, 0, body, len);
	CHECK_EQ(dg_decode(&d, 1024), PE_VALUE);
	CHECK_EQ(proto_batch_max(1024), PROTO_BATCH_MAX);
	len = batch_body(body, PROTO_BATCH_MAX + 1, 1024);
	dg_raw(&d, MSG_PUTBATCH, 0, body, len);
	CHECK_EQ(dg_decode(&d, 1024), PE_VALUE);
	len = batch_body(body, PROTO_BATCH_MAX, 1024);
	dg_raw(&d, MSG_PUTBATCH, 0, body, len);
	CHECK_EQ(dg_decode(&d, 1024), PE_OK);
	/* 8 KiB pages: 4 fit PROTO_BATCH_BYTES, 2 are fine, a body cut */
	CHECK_EQ(proto_batch_max(8192), 4);
	CHECK_EQ(proto_batch_max(PROTO_PAGE_MAX), 1);
	CHECK_EQ(proto_batch_max(3000), 0);
	dg_raw(&d, MSG_PUTBATCH, 0, body, 1);
	CHECK_EQ(dg_decode(&d, 1024), PE_LENGTH);
	dg_raw(&d, MSG_PUTBATCH, 0, body, 0);
	CHECK_EQ(dg_decode(&d, 1024), PE_LENGTH);
}

static void
test_malformed_putbatch_ack(void)
{
	uint8_t		body[8 + PROTO_BATCH_MAX + 1];
	struct dg	d;

	malformed_common(MSG_PUTBATCH_ACK);
	CHECK_EQ(mut16(MSG_PUTBATCH_ACK, BODY(0), 2), PE_LENGTH);
	CHECK_EQ(mut16(MSG_PUTBATCH_ACK, BODY(0), 0xffff), PE_LENGTH);
	CHECK_EQ(mut8(MSG_PUTBATCH_ACK, BODY(2), 1), PE_VALUE); /* reserved */
	CHECK_EQ(mut8(MSG_PUTBATCH_ACK, BODY(8 + 1), ST_NOQUORUM + 1),
	    PE_VALUE);
	CHECK_EQ(mut8(MSG_PUTBATCH_ACK, BODY(8 + 2), 0xff), PE_VALUE);
	CHECK_EQ(mut8(MSG_PUTBATCH_ACK, BODY(8 + 1), ST_OK), PE_OK);
	CHECK_EQ(mut16(MSG_PUTBATCH_ACK, 12, 0), PE_VALUE);	/* not a reply */
	memset(body, 0, sizeof body);
	dg_raw(&d, MSG_PUTBATCH_ACK, PROTO_FREPLY, body, 8);	/* no pages */
	CHECK_EQ(dg_decode(&d, 4096), PE_VALUE);
	put16(body, PROTO_BATCH_MAX + 1);
	dg_raw(&d, MSG_PUTBATCH_ACK, PROTO_FREPLY, body, sizeof body);
	CHECK_EQ(dg_decode(&d, 4096), PE_VALUE);
	put16(body, PROTO_BATCH_MAX);
	dg_raw(&d, MSG_PUTBATCH_ACK, PROTO_FREPLY, body, sizeof body - 1);
	CHECK_EQ(dg_decode(&d, 4096), PE_OK);
	dg_raw(&d, MSG_PUTBATCH_ACK, PROTO_FREPLY, body, 5);
	CHECK_EQ(dg_decode(&d, 4096), PE_LENGTH);
}

static void
test_malformed_discard(void)
{
	malformed_common(MSG_DISCARD);
	CHECK_EQ(mut32(MSG_DISCARD, BODY(16), 0x0002), PE_VALUE);
	CHECK_EQ(mut32(MSG_DISCARD, BODY(16), 0x00010000), PE_VALUE);
	CHECK_EQ(mut32(MSG_DISCARD, BODY(16), 0), PE_OK);
}

static void
malformed_gcd(int type)
{
	uint8_t		body[8 + 28 * (PROTO_MAX_ENTRIES + 1)];
	struct dg	d;
	int		i;

	malformed_common(type);
	CHECK_EQ(mut16(type, BODY(0), 3), PE_LENGTH);
	CHECK_EQ(mut16(type, BODY(0), 0xffff), PE_LENGTH);
	CHECK_EQ(mut8(type, BODY(2), 1), PE_VALUE);	/* reserved */
	CHECK_EQ(mut8(type, BODY(3), 1), PE_VALUE);
	CHECK_EQ(mut8(type, BODY(8 + 28 * 3 + 21), 1), PE_VALUE);
	CHECK_EQ(mut8(type, BODY(8 + 28 * 3 + 23), 0x80), PE_VALUE);
	CHECK_EQ(mut8(type, BODY(8 + 28 * 2 + 20), 0), PE_VALUE);	/* op */
	CHECK_EQ(mut8(type, BODY(8 + 28 * 2 + 20), 3), PE_VALUE);
	CHECK_EQ(mut8(type, BODY(8 + 28 * 2 + 20), 0xff), PE_VALUE);
	CHECK_EQ(mut32(type, BODY(8 + 28 * 1 + 16), 0), PE_VALUE); /* holder */
	CHECK_EQ(mut8(type, BODY(8 + 28 * 2 + 20), GCD_OPADD), PE_OK);

	memset(body, 0, sizeof body);
	put16(body, PROTO_MAX_ENTRIES + 1);
	for (i = 0; i < PROTO_MAX_ENTRIES + 1; i++) {
		put32(body + 8 + 28 * i, i);
		put32(body + 8 + 28 * i + 16, 1);
		body[8 + 28 * i + 20] = GCD_OPREMOVE;
	}
	dg_raw(&d, type, 0, body, sizeof body);
	CHECK_EQ(dg_decode(&d, 4096), PE_VALUE);
	put16(body, PROTO_MAX_ENTRIES);
	dg_raw(&d, type, 0, body, sizeof body - 28);
	CHECK_EQ(dg_decode(&d, 4096), PE_OK);
	dg_raw(&d, type, 0, body, 1);
	CHECK_EQ(dg_decode(&d, 4096), PE_LENGTH);
}

static void
test_malformed_gcd_update(void)
{
	malformed_gcd(MSG_GCD_UPDATE);
}

static void
test_malformed_gcd_handover(void)
{
	malformed_gcd(MSG_GCD_HANDOVER);
}

static void
test_malformed_epoch_start(void)
{
	malformed_common(MSG_EPOCH_START);
	CHECK_EQ(mut32(MSG_EPOCH_START, BODY(8), 0), PE_OK);	/* any T */
}

static void
test_malformed_epoch_summary(void)
{
	malformed_common(MSG_EPOCH_SUMMARY);
	CHECK_EQ(mut16(MSG_EPOCH_SUMMARY, BODY(8), 4), PE_LENGTH);
	CHECK_EQ(mut8(MSG_EPOCH_SUMMARY, BODY(10), 1), PE_VALUE); /* rsvd */
	CHECK_EQ(mut8(MSG_EPOCH_SUMMARY, BODY(12 + 8 + 2), 1), PE_VALUE);
	/* buckets out of range, out of order, a zero count */
	CHECK_EQ(mut16(MSG_EPOCH_SUMMARY, BODY(12 + 16), EPOCH_NBUCKETS),
	    PE_VALUE);
	CHECK_EQ(mut16(MSG_EPOCH_SUMMARY, BODY(12 + 8), 0), PE_VALUE);
	CHECK_EQ(mut32(MSG_EPOCH_SUMMARY, BODY(12 + 4), 0), PE_VALUE);
	CHECK_EQ(mut32(MSG_EPOCH_SUMMARY, BODY(12 + 4), 1), PE_OK);
}

static void
test_malformed_epoch_plan(void)
{
	malformed_common(MSG_EPOCH_PLAN);
	CHECK_EQ(mut16(MSG_EPOCH_PLAN, BODY(28), 2), PE_LENGTH);
	CHECK_EQ(mut8(MSG_EPOCH_PLAN, BODY(4), 1), PE_VALUE);	/* reserved */
	CHECK_EQ(mut8(MSG_EPOCH_PLAN, BODY(31), 1), PE_VALUE);
	CHECK_EQ(mut8(MSG_EPOCH_PLAN, BODY(30), 2), PE_VALUE);	/* idle */
	CHECK_EQ(mut32(MSG_EPOCH_PLAN, BODY(32 + 8), 0), PE_VALUE); /* id */
	CHECK_EQ(mut32(MSG_EPOCH_PLAN, BODY(32 + 12), 77), PE_OK);
}

static void
test_unknown_type(void)
{
	static const int	bad[] = { 0x00, 0x09, 0x1f, 0x2a, 0x80, 0xff };
	uint8_t			empty[1] = { 0 };
	struct dg		d;
	size_t			i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		dg_make(&d, MSG_HEARTBEAT, 4096);
		dg_put8(&d, 3, bad[i]);
		CHECK_EQ(dg_decode(&d, 4096), PE_TYPE);
	}
	/* an empty body of an unknown type */
	dg_raw(&d, 0x30, 0, empty, 0);
	CHECK_EQ(dg_decode(&d, 4096), PE_TYPE);
}

/* The header checks, in their order, each before the MAC where it can be. */
static void
test_header(void)
{
	struct proto_key	other;
	struct msg		m;
	struct dg		d;
	size_t			len;

	for (len = 0; len < PROTO_HDRLEN + PROTO_MACLEN; len++) {
		dg_make(&d, MSG_LEAVE, 4096);
		CHECK_EQ(decode(d.b, len, 4096, &m), PE_SHORT);
	}
	dg_make(&d, MSG_GETPAGE, 4096);
	proto_key_derive(&other, "another secret");
	CHECK_EQ(proto_decode(d.b, d.len, &other, CLUSTER, 4096, &m), PE_MAC);
	CHECK_EQ(proto_decode(d.b, d.len, &key, CLUSTER + 1, 4096, &m),
	    PE_CLUSTER);
	CHECK_EQ(mut32(MSG_GETPAGE, 4, CLUSTER ^ 0x100), PE_CLUSTER);
	CHECK_EQ(mut8(MSG_GETPAGE, 2, PROTO_VERSION + 1), PE_VERSION);
	CHECK_EQ(mut8(MSG_GETPAGE, 2, 0), PE_VERSION);
	CHECK_EQ(mut8(MSG_GETPAGE, 0, 'g'), PE_MAGIC);
	CHECK_EQ(mut8(MSG_GETPAGE, 1, 'm'), PE_MAGIC);
	/* the MAC covers the header too */
	dg_make(&d, MSG_GETPAGE, 4096);
	d.b[16] ^= 1;
	CHECK_EQ(decode(d.b, d.len, 4096, &m), PE_MAC);
	/* and a re-signed changed request id decodes to that id */
	dg_make(&d, MSG_GETPAGE, 4096);
	d.b[23] ^= 1;
	resign(d.b, d.len, &key);
	CHECK_EQ(decode(d.b, d.len, 4096, &m), PE_OK);
	CHECK(m.reqid == ((REQID + MSG_GETPAGE) ^ 1));
}

/* Flip every bit of a PUTPAGE datagram in turn: each one is rejected. */
static void
test_bitflip(void)
{
	static struct dg	d;
	struct msg		m;
	size_t			i;
	int			bit, e, nok = 0, nmac = 0;

	dg_make(&d, MSG_PUTPAGE, 4096);
	for (i = 0; i < d.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			d.b[i] ^= 1 << bit;
			e = decode(d.b, d.len, 4096, &m);
			d.b[i] ^= 1 << bit;
			if (e == PE_OK)
				nok++;
			if (e == PE_MAC)
				nmac++;
		}
	}
	CHECK_EQ(nok, 0);
	/* all but the 56 bits of magic, version and cluster reach the MAC */
	CHECK_EQ(nmac, d.len * 8 - 56);
	CHECK_EQ(decode(d.b, d.len, 4096, &m), PE_OK);
}

static uint64_t	rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Random datagrams: raw, with a valid header prefix, and re-signed so the
 * body checks see them.  Raw and unsigned ones never decode; a re-signed
 * one that does must re-encode to the same bytes.
 */
static void
test_garbage(void)
{
	static uint8_t	buf[PROTO_MAXDGRAM], out[PROTO_MAXDGRAM];
	struct msg	m;
	size_t		i, j, len;
	int		mode, e, bad = 0, badrt = 0, nok = 0;

	for (i = 0; i < 100000; i++) {
		if (rng() % 100 == 0)
			len = rng() % (PROTO_MAXDGRAM + 1);
		else
			len = rng() % 400;
		for (j = 0; j < len; j++)
			buf[j] = rng();
		mode = rng() % 3;
		if (mode > 0 && len >= 8) {
			buf[0] = PROTO_MAGIC >> 8;
			buf[1] = PROTO_MAGIC & 0xff;
			buf[2] = PROTO_VERSION;
			put32(buf + 4, CLUSTER);
			if (rng() % 2 && len >= 16)
				memset(buf + 12, 0, 4);
		}
		if (mode == 2 && len >= PROTO_HDRLEN + PROTO_MACLEN)
			resign(buf, len, &key);
		e = decode(buf, len, 4096, &m);
		if (e < PE_OK || e >= PE_NERR)
			bad++;
		if (e != PE_OK)
			continue;
		if (mode != 2) {
			bad++;
			continue;
		}
		nok++;
		if (proto_encode(out, sizeof out, &key, 4096, &m) != len ||
		    memcmp(out, buf, len) != 0)
			badrt++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(badrt, 0);
	printf("  %d of 100000 re-signed random datagrams decoded\n", nok);
}

static void
test_setup(void)
{
	size_t	i;

	proto_key_derive(&key, "test secret");
	for (i = 0; i < sizeof pagedata; i++)
		pagedata[i] = (i * 31 + 7) ^ (i >> 8);
}

int
main(void)
{
	test_setup();
	RUN(test_key_derive);
	RUN(test_names);
	RUN(test_golden);
	RUN(test_restamp);
	RUN(test_mac_nonce);
	RUN(test_mac_wrong_key);
	RUN(test_roundtrip);
	RUN(test_roundtrip_limits);
	RUN(test_encode_rejects);
	RUN(test_header);
	RUN(test_unknown_type);
	RUN(test_malformed_join);
	RUN(test_malformed_join_ack);
	RUN(test_malformed_pod);
	RUN(test_malformed_heartbeat);
	RUN(test_malformed_heartbeat_ack);
	RUN(test_malformed_leave);
	RUN(test_malformed_leave_done);
	RUN(test_malformed_ack);
	RUN(test_malformed_getpage);
	RUN(test_malformed_getpage_fwd);
	RUN(test_malformed_page);
	RUN(test_malformed_miss);
	RUN(test_malformed_putpage);
	RUN(test_malformed_discard);
	RUN(test_malformed_gcd_update);
	RUN(test_malformed_gcd_handover);
	RUN(test_malformed_epoch_start);
	RUN(test_malformed_epoch_summary);
	RUN(test_malformed_epoch_plan);
	RUN(test_malformed_putbatch);
	RUN(test_malformed_putbatch_ack);
	RUN(test_bitflip);
	RUN(test_garbage);
	return CHECK_DONE();
}
