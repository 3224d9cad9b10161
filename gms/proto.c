/*
 * proto.c: encode and decode GMS datagrams; gms/proto.h has the layouts.
 *
 * Every field goes through a bounds-checked cursor in network byte order: a
 * read or write past the end sets a sticky error and does nothing.  Decoding
 * checks, in order: header length, magic, version, cluster, MAC, type, the
 * exact body length for the type, then the values.  The value rules live in
 * one function, msg_check(), used by both directions, so nothing can be
 * encoded that the decoder would refuse, and the encoding is canonical: a
 * datagram that decodes re-encodes to the same bytes.
 *
 * The MAC is the 16-byte tag of XChaCha20-Poly1305-IETF (libsodium
 * crypto_aead_xchacha20poly1305_ietf) under the cluster key, with an empty
 * message and the header and body as associated data: ChaCha20 turns the
 * key and a 24-byte nonce into a one-time Poly1305 key, and Poly1305 tags
 * the datagram.  It is compared in constant time.  Poly1305 over a 4 KiB
 * page costs about a sixth of the keyed BLAKE2b-128 of protocol 7
 * (experiments/results/mac.md).
 *
 * The nonce is header bytes 4-11 and 16-31: cluster id, sender id, request
 * id, stamp.  The receiver reads them before checking the MAC, and the MAC
 * covers them as associated data too.  Poly1305 is safe only if no nonce
 * ever tags two different datagrams under one key (two tags under one
 * one-time key give that key away, and with it forgeries under that nonce).
 * Why (cluster, sender, request id, stamp) never repeats:
 *  - A node's stamps rise strictly over every datagram it sends (net.c
 *    net_stamp), retransmissions and replies resent from the reply cache
 *    included: both are restamped (proto_restamp), so they get a new nonce
 *    and a new MAC.  The same (sender, stamp) is never used twice by one
 *    running node.
 *  - Sender ids are unique among members.  Nodes that have no id yet all
 *    send JOIN as sender 0; two of them could pick the same microsecond,
 *    but each start draws the top 32 bits of its request ids at random
 *    (net.c), so their nonces differ unless those draws also collide
 *    (2^-32 for two nodes joining in the same microsecond).
 *  - A restarted node stamps from the clock again, above its old life's
 *    stamps unless the clock stepped back; even then its request ids were
 *    drawn afresh, so only a reply (which carries the asker's request id)
 *    in the same microsecond to the same request could repeat.
 *  - A node given the id of one that left is in the same position as a
 *    restarted node: its clock, and request ids of its own.
 *  - The cluster id keeps two clusters that share a secret apart.
 * Tools that build datagrams by hand with fixed stamps (tests/tools, the
 * fuzz corpus, the golden trace) use test keys only.
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "gms/log.h"
#include "gms/proto.h"

#ifndef nitems
#define nitems(a)	(sizeof (a) / sizeof (a)[0])
#endif

/* Keys BLAKE2b when deriving the cluster key, so the key is ours alone. */
#define PROTO_KEYDOMAIN	"gms-cluster-key-v1"

#define UIDLEN		16	/* a UID on the wire */
#define PODMEMBERLEN	20	/* one POD member on the wire */
#define LOADLEN		8	/* one heartbeat-ack load */
#define GCDENTRYLEN	28	/* one GCD update entry */
#define PAGEHDRLEN	28	/* PAGE and PUTPAGE body before the contents */
#define BATCHHDRLEN	4	/* PUTBATCH body before its pages */
#define BATCHACKHDRLEN	8	/* PUTBATCH_ACK body before its statuses */

_Static_assert(BATCHHDRLEN + PROTO_BATCH_MAX * PAGEHDRLEN <= 256,
    "a PUTBATCH must fit PROTO_MAXDGRAM");

/* A cursor for writing: past cap, sets err and writes nothing more. */
struct wcur {
	uint8_t		*p;
	size_t		 cap;
	size_t		 off;
	int		 err;
};

/* A cursor for reading: past len, sets err and returns zeros. */
struct rcur {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

/* What the protocol knows of each type. */
struct proto_typeinfo {
	const char	*name;
	int		 reply;		/* carries PROTO_FREPLY */
	size_t		 len;		/* body length, if fixed */
	int		 variable;	/* length depends on a count or page */
};

static const struct proto_typeinfo proto_types[] = {
	[MSG_JOIN] =		{ "JOIN", 0, 16, 0 },
	[MSG_JOIN_ACK] =	{ "JOIN_ACK", 1, 28, 0 },
	[MSG_POD] =		{ "POD", 0, 0, 1 },
	[MSG_HEARTBEAT] =	{ "HEARTBEAT", 0, 16, 0 },
	[MSG_HEARTBEAT_ACK] =	{ "HEARTBEAT_ACK", 1, 0, 1 },
	[MSG_LEAVE] =		{ "LEAVE", 0, 0, 0 },
	[MSG_LEAVE_DONE] =	{ "LEAVE_DONE", 0, 0, 0 },
	[MSG_ACK] =		{ "ACK", 1, 8, 0 },
	[MSG_GETPAGE] =		{ "GETPAGE", 0, 24, 0 },
	[MSG_GETPAGE_FWD] =	{ "GETPAGE_FWD", 0, 24, 0 },
	[MSG_PAGE] =		{ "PAGE", 1, 0, 1 },
	[MSG_MISS] =		{ "MISS", 1, 20, 0 },
	[MSG_PUTPAGE] =		{ "PUTPAGE", 0, 0, 1 },
	[MSG_DISCARD] =		{ "DISCARD", 0, 24, 0 },
	[MSG_GCD_UPDATE] =	{ "GCD_UPDATE", 0, 0, 1 },
	[MSG_GCD_HANDOVER] =	{ "GCD_HANDOVER", 0, 0, 1 },
	[MSG_PUTBATCH] =	{ "PUTBATCH", 0, 0, 1 },
	[MSG_PUTBATCH_ACK] =	{ "PUTBATCH_ACK", 1, 0, 1 },
	[MSG_EPOCH_START] =	{ "EPOCH_START", 0, 12, 0 },
	[MSG_EPOCH_SUMMARY] =	{ "EPOCH_SUMMARY", 1, 0, 1 },
	[MSG_EPOCH_PLAN] =	{ "EPOCH_PLAN", 0, 0, 1 },
};

static const char *proto_errs[] = {
	[PE_OK] = "ok",
	[PE_SHORT] = "too-short",
	[PE_MAGIC] = "bad-magic",
	[PE_VERSION] = "bad-version",
	[PE_CLUSTER] = "bad-cluster",
	[PE_MAC] = "bad-mac",
	[PE_TYPE] = "bad-type",
	[PE_LENGTH] = "bad-length",
	[PE_VALUE] = "bad-value",
};

static pthread_once_t	proto_once = PTHREAD_ONCE_INIT;

static void
proto_sodium_init(void)
{
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
}

/* sodium_init() once, from whichever thread gets here first. */
static void
proto_init(void)
{
	pthread_once(&proto_once, proto_sodium_init);
}

static const struct proto_typeinfo *
proto_type(int type)
{
	if (type < 0 || (size_t)type >= nitems(proto_types) ||
	    proto_types[type].name == NULL)
		return NULL;
	return &proto_types[type];
}

const char *
proto_type_name(int type)
{
	const struct proto_typeinfo	*ti = proto_type(type);

	return ti == NULL ? "?" : ti->name;
}

const char *
proto_err_name(int err)
{
	if (err < 0 || (size_t)err >= nitems(proto_errs))
		return "?";
	return proto_errs[err];
}

void
proto_key_derive(struct proto_key *key, const char *secret)
{
	proto_init();
	if (crypto_generichash(key->k, sizeof key->k,
	    (const unsigned char *)secret, strlen(secret),
	    (const unsigned char *)PROTO_KEYDOMAIN,
	    sizeof PROTO_KEYDOMAIN - 1) != 0)
		fatalx("%s: crypto_generichash failed", __func__);
}

_Static_assert(PROTO_MACLEN == crypto_aead_xchacha20poly1305_ietf_ABYTES,
    "the MAC is a Poly1305 tag");
_Static_assert(PROTO_KEYLEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    "the cluster key is an XChaCha20 key");
_Static_assert(PROTO_NONCELEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    "the nonce is an XChaCha20 nonce");

void
proto_nonce(uint8_t nonce[PROTO_NONCELEN], const uint8_t *hdr)
{
	memcpy(nonce, hdr + 4, 8);		/* cluster, sender */
	memcpy(nonce + 8, hdr + 16, 16);	/* request id, stamp */
}

/* The MAC of p (len >= PROTO_HDRLEN bytes: header and body). */
static void
proto_mac(uint8_t out[PROTO_MACLEN], const uint8_t *p, size_t len,
    const struct proto_key *key)
{
	uint8_t			nonce[PROTO_NONCELEN];
	unsigned char		c[1];	/* the empty message: never written */
	unsigned long long	maclen;

	if (len < PROTO_HDRLEN)
		fatalx("%s: a datagram of %zu bytes", __func__, len);
	proto_nonce(nonce, p);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c, out,
	    &maclen, NULL, 0, p, len, NULL, nonce, key->k) != 0 ||
	    maclen != PROTO_MACLEN)
		fatalx("%s: crypto_aead_xchacha20poly1305 failed", __func__);
}

void
proto_seal(uint8_t *buf, size_t len, const struct proto_key *key)
{
	if (len < PROTO_HDRLEN + PROTO_MACLEN)
		fatalx("%s: a datagram of %zu bytes", __func__, len);
	proto_init();
	proto_mac(buf + len - PROTO_MACLEN, buf, len - PROTO_MACLEN, key);
}

/* A page size the protocol can carry: a power of two in range. */
static int
page_size_ok(uint32_t ps)
{
	return ps >= PROTO_PAGE_MIN && ps <= PROTO_PAGE_MAX &&
	    (ps & (ps - 1)) == 0;
}

/* Writing. */

static uint8_t *
w_take(struct wcur *w, size_t n)
{
	uint8_t	*p;

	if (w->err || n > w->cap - w->off) {
		w->err = 1;
		return NULL;
	}
	p = w->p + w->off;
	w->off += n;
	return p;
}

static void
w_u8(struct wcur *w, uint8_t v)
{
	uint8_t	*p;

	if ((p = w_take(w, 1)) != NULL)
		p[0] = v;
}

static void
w_u16(struct wcur *w, uint16_t v)
{
	uint8_t	*p;

	if ((p = w_take(w, 2)) != NULL) {
		p[0] = v >> 8;
		p[1] = v;
	}
}

static void
w_u32(struct wcur *w, uint32_t v)
{
	uint8_t	*p;

	if ((p = w_take(w, 4)) != NULL) {
		p[0] = v >> 24;
		p[1] = v >> 16;
		p[2] = v >> 8;
		p[3] = v;
	}
}

static void
w_u64(struct wcur *w, uint64_t v)
{
	w_u32(w, v >> 32);
	w_u32(w, v);
}

static void
w_bytes(struct wcur *w, const void *src, size_t n)
{
	uint8_t	*p;

	if ((p = w_take(w, n)) != NULL && n > 0)
		memcpy(p, src, n);
}

static void
w_zero(struct wcur *w, size_t n)
{
	uint8_t	*p;

	if ((p = w_take(w, n)) != NULL && n > 0)
		memset(p, 0, n);
}

static void
w_uid(struct wcur *w, const struct uid *u)
{
	w_u32(w, u->node);
	w_u32(w, u->space);
	w_u64(w, u->pgno);
}

/* Reading. */

static const uint8_t *
r_take(struct rcur *r, size_t n)
{
	const uint8_t	*p;

	if (r->err || n > r->len - r->off) {
		r->err = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint8_t
r_u8(struct rcur *r)
{
	const uint8_t	*p;

	if ((p = r_take(r, 1)) == NULL)
		return 0;
	return p[0];
}

static uint16_t
r_u16(struct rcur *r)
{
	const uint8_t	*p;

	if ((p = r_take(r, 2)) == NULL)
		return 0;
	return (uint16_t)p[0] << 8 | p[1];
}

static uint32_t
r_u32(struct rcur *r)
{
	const uint8_t	*p;

	if ((p = r_take(r, 4)) == NULL)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
r_u64(struct rcur *r)
{
	uint64_t	hi;

	hi = r_u32(r);
	return hi << 32 | r_u32(r);
}

/* The reserved bytes that follow: 0 if all are zero, -1 otherwise. */
static int
r_zero(struct rcur *r, size_t n)
{
	const uint8_t	*p;
	size_t		 i;

	if ((p = r_take(r, n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] != 0)
			return -1;
	}
	return 0;
}

static void
r_uid(struct rcur *r, struct uid *u)
{
	u->node = r_u32(r);
	u->space = r_u32(r);
	u->pgno = r_u64(r);
}

int
proto_batch_max(uint32_t page_size)
{
	uint32_t	k;

	if (!page_size_ok(page_size))
		return 0;
	k = PROTO_BATCH_BYTES / page_size;
	return k < PROTO_BATCH_MAX ? (int)k : PROTO_BATCH_MAX;
}

/*
 * The value rules, shared by encode and decode.  Beyond the flags, counts,
 * ops and codes in proto.h: node ids in bodies (POD members, loads, GCD
 * holders, a getpage's requester) are never 0; a JOIN_ACK always names the
 * cluster's page size, and when it is ST_OK also a node id, a master and a
 * heartbeat interval; a POD's term is never 0.  The header's sender may
 * be 0 (a node joining, or joining again): the receiver checks senders
 * against its POD.  Sorted and unique POD ids are pod_set()'s to check.
 */
static int
msg_check_pod(const struct msg_pod *p)
{
	int	i;

	if (p->nmembers < 1 || p->nmembers > POD_MAX_MEMBERS ||
	    p->master_idx >= p->nmembers || p->term == 0)
		return -1;
	for (i = 0; i < p->nmembers; i++) {
		if (p->members[i].id == 0 ||
		    (p->members[i].flags & ~POD_MLEAVING) != 0)
			return -1;
	}
	for (i = 0; i < POD_NBUCKETS; i++) {
		if (p->buckets[i] >= p->nmembers)
			return -1;
	}
	return 0;
}

static int
msg_check_gcd(const struct msg_gcd *g)
{
	int	i;

	if (g->nentries > PROTO_MAX_ENTRIES)
		return -1;
	for (i = 0; i < g->nentries; i++) {
		if (g->entries[i].holder == 0 ||
		    (g->entries[i].op != GCD_OPADD &&
		    g->entries[i].op != GCD_OPREMOVE))
			return -1;
	}
	return 0;
}

static int
msg_check_epoch(const struct msg *m)
{
	const struct msg_epoch_summary	*es = &m->u.epoch_summary;
	const struct msg_epoch_plan	*ep = &m->u.epoch_plan;
	int				 i;

	if (m->type == MSG_EPOCH_SUMMARY) {
		if (es->nbuckets > EPOCH_NBUCKETS)
			return -1;
		for (i = 0; i < es->nbuckets; i++) {
			if (es->buckets[i].bucket >= EPOCH_NBUCKETS ||
			    es->buckets[i].count == 0 || (i > 0 &&
			    es->buckets[i].bucket <= es->buckets[i - 1].bucket))
				return -1;
		}
		return 0;
	}
	if (ep->nweights > POD_MAX_MEMBERS || ep->idle > 1)
		return -1;
	for (i = 0; i < ep->nweights; i++) {
		if (ep->weights[i].node == 0)
			return -1;
	}
	return 0;
}

/* PUTPAGE's flags and contents rules, for one page of it or of a batch. */
static int
msg_check_putpage(const struct msg_page *p, uint32_t page_size)
{
	if (!page_size_ok(page_size) || p->data == NULL)
		return -1;
	return (p->flags & ~(PAGE_FSHARED | PAGE_FRECIRC)) ? -1 : 0;
}

static int
msg_check_putbatch(const struct msg *m, uint32_t page_size)
{
	const struct msg_putbatch	*b = &m->u.putbatch;
	const struct msg_putbatch_ack	*a = &m->u.putbatch_ack;
	int				 i;

	if (m->type == MSG_PUTBATCH_ACK) {
		if (a->npages < 1 || a->npages > PROTO_BATCH_MAX)
			return -1;
		for (i = 0; i < a->npages; i++) {
			if (a->status[i] > ST_NOQUORUM)
				return -1;
		}
		return 0;
	}
	if (b->npages < 1 || b->npages > proto_batch_max(page_size))
		return -1;
	for (i = 0; i < b->npages; i++) {
		if (msg_check_putpage(&b->pages[i], page_size) != 0)
			return -1;
	}
	return 0;
}

static int
msg_check_body(const struct msg *m, uint32_t page_size)
{
	const struct msg_join_ack	*ja = &m->u.join_ack;
	int				 i;

	switch (m->type) {
	case MSG_JOIN:
		return page_size_ok(m->u.join.page_size) ? 0 : -1;
	case MSG_JOIN_ACK:
		if (ja->status > ST_NOQUORUM || !page_size_ok(ja->page_size) ||
		    ja->policy > POL_NCHANCE)
			return -1;
		if (ja->status == ST_OK && (ja->node == 0 ||
		    ja->master == 0 || ja->heartbeat_ms == 0))
			return -1;
		return 0;
	case MSG_POD:
		return msg_check_pod(&m->u.pod);
	case MSG_HEARTBEAT_ACK:
		if (m->u.heartbeat_ack.nloads > PROTO_MAX_LOADS)
			return -1;
		for (i = 0; i < m->u.heartbeat_ack.nloads; i++) {
			if (m->u.heartbeat_ack.loads[i].node == 0)
				return -1;
		}
		return 0;
	case MSG_ACK:
		return m->u.ack.status > ST_NOQUORUM ? -1 : 0;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		return m->u.getpage.requester == 0 ? -1 : 0;
	case MSG_PUTPAGE:
		return msg_check_putpage(&m->u.page, page_size);
	case MSG_PUTBATCH:
	case MSG_PUTBATCH_ACK:
		return msg_check_putbatch(m, page_size);
	case MSG_PAGE:
		if (!page_size_ok(page_size) || m->u.page.data == NULL)
			return -1;
		return (m->u.page.flags & ~(PAGE_FMOVED|PAGE_FSHARED)) ? -1 : 0;
	case MSG_MISS:
		return m->u.miss.reason > MISS_STALEPOD ? -1 : 0;
	case MSG_DISCARD:
		return (m->u.discard.flags & ~DISCARD_FHOLDER) ? -1 : 0;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		return msg_check_gcd(&m->u.gcd);
	case MSG_EPOCH_SUMMARY:
	case MSG_EPOCH_PLAN:
		return msg_check_epoch(m);
	}
	return 0;	/* HEARTBEAT, LEAVE, LEAVE_DONE, EPOCH_START: any */
}

/* 0 if m may go on the wire, -1 if not. */
static int
msg_check(const struct msg *m, uint32_t page_size)
{
	const struct proto_typeinfo	*ti;

	if ((ti = proto_type(m->type)) == NULL)
		return -1;
	if (m->flags != (ti->reply ? PROTO_FREPLY : 0))
		return -1;
	return msg_check_body(m, page_size);
}

/* Encoding, one function per body layout. */

static void
enc_pod(struct wcur *w, const struct msg_pod *p)
{
	int	i;

	w_u32(w, p->version);
	w_u16(w, p->nmembers);
	w_u16(w, p->master_idx);
	w_u32(w, p->term);
	w_u32(w, p->next_id);
	for (i = 0; i < p->nmembers; i++) {
		w_u32(w, p->members[i].id);
		w_u32(w, p->members[i].addr);
		w_u16(w, p->members[i].port);
		w_u16(w, p->members[i].flags);
		w_u64(w, p->nonces[i]);
	}
	w_bytes(w, p->buckets, POD_NBUCKETS);
}

static void
enc_heartbeat_ack(struct wcur *w, const struct msg_heartbeat_ack *h)
{
	int	i;

	w_u32(w, h->pod_version);
	w_u16(w, h->nloads);
	w_zero(w, 2);
	for (i = 0; i < h->nloads; i++) {
		w_u32(w, h->loads[i].node);
		w_u32(w, h->loads[i].nfree);
	}
}

static void
enc_gcd(struct wcur *w, const struct msg_gcd *g)
{
	int	i;

	w_u16(w, g->nentries);
	w_zero(w, 2);
	w_u32(w, g->pod_version);
	for (i = 0; i < g->nentries; i++) {
		w_uid(w, &g->entries[i].uid);
		w_u32(w, g->entries[i].holder);
		w_u8(w, g->entries[i].op);
		w_zero(w, 3);
		w_u32(w, g->entries[i].gen);
	}
}

static void
enc_epoch(struct wcur *w, const struct msg *m)
{
	const struct msg_epoch_summary	*es = &m->u.epoch_summary;
	const struct msg_epoch_plan	*ep = &m->u.epoch_plan;
	int				 i;

	switch (m->type) {
	case MSG_EPOCH_START:
		w_u32(w, m->u.epoch_start.epoch);
		w_u32(w, m->u.epoch_start.m);
		w_u32(w, m->u.epoch_start.t_ms);
		break;
	case MSG_EPOCH_SUMMARY:
		w_u32(w, es->epoch);
		w_u32(w, es->nfree);
		w_u16(w, es->nbuckets);
		w_zero(w, 2);
		for (i = 0; i < es->nbuckets; i++) {
			w_u16(w, es->buckets[i].bucket);
			w_zero(w, 2);
			w_u32(w, es->buckets[i].count);
		}
		break;
	case MSG_EPOCH_PLAN:
		w_u32(w, ep->epoch);
		w_zero(w, 4);
		w_u64(w, ep->minage);
		w_u32(w, ep->m);
		w_u32(w, ep->next);
		w_u32(w, ep->t_ms);
		w_u16(w, ep->nweights);
		w_u8(w, ep->idle);
		w_zero(w, 1);
		for (i = 0; i < ep->nweights; i++) {
			w_u32(w, ep->weights[i].node);
			w_u32(w, ep->weights[i].weight);
		}
		break;
	}
}

static void
enc_page(struct wcur *w, const struct msg_page *p, uint32_t page_size)
{
	w_uid(w, &p->uid);
	w_u32(w, p->flags);
	w_u32(w, p->age_ms);
	w_u32(w, p->gen);
	w_bytes(w, p->data, page_size);
}

static void
enc_putbatch(struct wcur *w, const struct msg *m, uint32_t page_size)
{
	const struct msg_putbatch	*b = &m->u.putbatch;
	const struct msg_putbatch_ack	*a = &m->u.putbatch_ack;
	int				 i;

	if (m->type == MSG_PUTBATCH_ACK) {
		w_u16(w, a->npages);
		w_zero(w, 2);
		w_u32(w, a->value);
		w_bytes(w, a->status, a->npages);
		return;
	}
	w_u16(w, b->npages);
	w_zero(w, 2);
	for (i = 0; i < b->npages; i++)
		enc_page(w, &b->pages[i], page_size);
}

static void
enc_body(struct wcur *w, const struct msg *m, uint32_t page_size)
{
	switch (m->type) {
	case MSG_JOIN:
		w_u32(w, m->u.join.page_size);
		w_u32(w, m->u.join.nframes);
		w_u64(w, m->u.join.nonce);
		break;
	case MSG_JOIN_ACK:
		w_u8(w, m->u.join_ack.status);
		w_u8(w, m->u.join_ack.policy);
		w_zero(w, 2);
		w_u32(w, m->u.join_ack.node);
		w_u32(w, m->u.join_ack.page_size);
		w_u32(w, m->u.join_ack.heartbeat_ms);
		w_u32(w, m->u.join_ack.master);
		w_u32(w, m->u.join_ack.master_addr);
		w_u16(w, m->u.join_ack.master_port);
		w_zero(w, 2);
		break;
	case MSG_POD:
		enc_pod(w, &m->u.pod);
		break;
	case MSG_HEARTBEAT:
		w_u32(w, m->u.heartbeat.pod_version);
		w_u32(w, m->u.heartbeat.nfree);
		w_u32(w, m->u.heartbeat.nlocal);
		w_u32(w, m->u.heartbeat.nglobal);
		break;
	case MSG_HEARTBEAT_ACK:
		enc_heartbeat_ack(w, &m->u.heartbeat_ack);
		break;
	case MSG_ACK:
		w_u8(w, m->u.ack.status);
		w_zero(w, 3);
		w_u32(w, m->u.ack.value);
		break;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		w_uid(w, &m->u.getpage.uid);
		w_u32(w, m->u.getpage.requester);
		w_u32(w, m->u.getpage.pod_version);
		break;
	case MSG_PAGE:
	case MSG_PUTPAGE:
		enc_page(w, &m->u.page, page_size);
		break;
	case MSG_PUTBATCH:
	case MSG_PUTBATCH_ACK:
		enc_putbatch(w, m, page_size);
		break;
	case MSG_MISS:
		w_uid(w, &m->u.miss.uid);
		w_u32(w, m->u.miss.reason);
		break;
	case MSG_DISCARD:
		w_uid(w, &m->u.discard.uid);
		w_u32(w, m->u.discard.flags);
		w_u32(w, m->u.discard.gen);
		break;
	case MSG_EPOCH_START:
	case MSG_EPOCH_SUMMARY:
	case MSG_EPOCH_PLAN:
		enc_epoch(w, m);
		break;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		enc_gcd(w, &m->u.gcd);
		break;
	}
	/* LEAVE, LEAVE_DONE: empty. */
}

size_t
proto_encode(uint8_t *buf, size_t cap, const struct proto_key *key,
    uint32_t page_size, const struct msg *m)
{
	struct wcur	w;

	if (cap < PROTO_HDRLEN + PROTO_MACLEN || msg_check(m, page_size) != 0)
		return 0;
	w.p = buf;
	w.cap = cap - PROTO_MACLEN;
	w.off = 0;
	w.err = 0;

	w_u16(&w, PROTO_MAGIC);
	w_u8(&w, PROTO_VERSION);
	w_u8(&w, m->type);
	w_u32(&w, m->cluster);
	w_u32(&w, m->sender);
	w_u16(&w, m->flags);
	w_zero(&w, 2);
	w_u64(&w, m->reqid);
	w_u64(&w, m->stamp);
	enc_body(&w, m, page_size);
	if (w.err)
		return 0;

	proto_init();
	proto_mac(buf + w.off, buf, w.off, key);
	return w.off + PROTO_MACLEN;
}

/* Decoding. */

/*
 * The body length a datagram of this type must have.  A variable body is
 * sized by a count in its prefix (a body too short for the prefix gets the
 * prefix's length, which it cannot match) or by our page size (none that
 * is valid if ours is not: a page of no size fits no datagram).
 */
static size_t
body_len(const struct proto_typeinfo *ti, int type, const uint8_t *body,
    size_t blen, uint32_t page_size)
{
	struct rcur	r = { body, blen, 0, 0 };
	size_t		n;

	if (!ti->variable)
		return ti->len;
	switch (type) {
	case MSG_POD:
		r_u32(&r);
		n = r_u16(&r);
		return r.err ? 8 : 16 + PODMEMBERLEN * n + POD_NBUCKETS;
	case MSG_HEARTBEAT_ACK:
		r_u32(&r);
		n = r_u16(&r);
		return r.err ? 8 : 8 + LOADLEN * n;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		n = r_u16(&r);
		return r.err ? 8 : 8 + GCDENTRYLEN * n;
	case MSG_EPOCH_SUMMARY:
		r_u32(&r);
		r_u32(&r);
		n = r_u16(&r);
		return r.err ? 12 : 12 + 8 * n;
	case MSG_EPOCH_PLAN:
		r_take(&r, 28);
		n = r_u16(&r);
		return r.err ? 32 : 32 + 8 * n;
	case MSG_PAGE:
	case MSG_PUTPAGE:
		if (!page_size_ok(page_size))
			return SIZE_MAX;
		return PAGEHDRLEN + (size_t)page_size;
	case MSG_PUTBATCH:
		n = r_u16(&r);
		if (!page_size_ok(page_size))
			return SIZE_MAX;
		return r.err ? BATCHHDRLEN : BATCHHDRLEN +
		    (PAGEHDRLEN + (size_t)page_size) * n;
	case MSG_PUTBATCH_ACK:
		n = r_u16(&r);
		return r.err ? BATCHACKHDRLEN : BATCHACKHDRLEN + n;
	}
	fatalx("%s: type %d has no length", __func__, type);
}

static int
dec_pod(struct rcur *r, struct msg_pod *p)
{
	const uint8_t	*b;
	int		 i;

	p->version = r_u32(r);
	p->nmembers = r_u16(r);
	p->master_idx = r_u16(r);
	p->term = r_u32(r);
	p->next_id = r_u32(r);
	if (p->nmembers > POD_MAX_MEMBERS)
		return -1;
	for (i = 0; i < p->nmembers; i++) {
		p->members[i].id = r_u32(r);
		p->members[i].addr = r_u32(r);
		p->members[i].port = r_u16(r);
		p->members[i].flags = r_u16(r);
		p->nonces[i] = r_u64(r);
	}
	if ((b = r_take(r, POD_NBUCKETS)) == NULL)
		return -1;
	memcpy(p->buckets, b, POD_NBUCKETS);
	return 0;
}

static int
dec_heartbeat_ack(struct rcur *r, struct msg_heartbeat_ack *h)
{
	int	i;

	h->pod_version = r_u32(r);
	h->nloads = r_u16(r);
	if (r_zero(r, 2) != 0 || h->nloads > PROTO_MAX_LOADS)
		return -1;
	for (i = 0; i < h->nloads; i++) {
		h->loads[i].node = r_u32(r);
		h->loads[i].nfree = r_u32(r);
	}
	return 0;
}

static int
dec_gcd(struct rcur *r, struct msg_gcd *g)
{
	int	i;

	g->nentries = r_u16(r);
	if (r_zero(r, 2) != 0 || g->nentries > PROTO_MAX_ENTRIES)
		return -1;
	g->pod_version = r_u32(r);
	for (i = 0; i < g->nentries; i++) {
		r_uid(r, &g->entries[i].uid);
		g->entries[i].holder = r_u32(r);
		g->entries[i].op = r_u8(r);
		if (r_zero(r, 3) != 0)
			return -1;
		g->entries[i].gen = r_u32(r);
	}
	return 0;
}

static int
dec_epoch(struct rcur *r, struct msg *m)
{
	struct msg_epoch_summary	*es = &m->u.epoch_summary;
	struct msg_epoch_plan		*ep = &m->u.epoch_plan;
	int				 i;

	switch (m->type) {
	case MSG_EPOCH_START:
		m->u.epoch_start.epoch = r_u32(r);
		m->u.epoch_start.m = r_u32(r);
		m->u.epoch_start.t_ms = r_u32(r);
		return 0;
	case MSG_EPOCH_SUMMARY:
		es->epoch = r_u32(r);
		es->nfree = r_u32(r);
		es->nbuckets = r_u16(r);
		if (r_zero(r, 2) != 0 || es->nbuckets > EPOCH_NBUCKETS)
			return -1;
		for (i = 0; i < es->nbuckets; i++) {
			es->buckets[i].bucket = r_u16(r);
			if (r_zero(r, 2) != 0)
				return -1;
			es->buckets[i].count = r_u32(r);
		}
		return 0;
	case MSG_EPOCH_PLAN:
		ep->epoch = r_u32(r);
		if (r_zero(r, 4) != 0)
			return -1;
		ep->minage = r_u64(r);
		ep->m = r_u32(r);
		ep->next = r_u32(r);
		ep->t_ms = r_u32(r);
		ep->nweights = r_u16(r);
		ep->idle = r_u8(r);
		if (r_zero(r, 1) != 0 || ep->nweights > POD_MAX_MEMBERS)
			return -1;
		for (i = 0; i < ep->nweights; i++) {
			ep->weights[i].node = r_u32(r);
			ep->weights[i].weight = r_u32(r);
		}
		return 0;
	}
	return -1;
}

static void
dec_page(struct rcur *r, struct msg_page *p, uint32_t page_size)
{
	r_uid(r, &p->uid);
	p->flags = r_u32(r);
	p->age_ms = r_u32(r);
	p->gen = r_u32(r);
	p->data = r_take(r, page_size);
}

static int
dec_putbatch(struct rcur *r, struct msg *m, uint32_t page_size)
{
	struct msg_putbatch	*b = &m->u.putbatch;
	struct msg_putbatch_ack	*a = &m->u.putbatch_ack;
	const uint8_t		*st;
	int			 i;

	if (m->type == MSG_PUTBATCH_ACK) {
		a->npages = r_u16(r);
		if (r_zero(r, 2) != 0 || a->npages > PROTO_BATCH_MAX)
			return -1;
		a->value = r_u32(r);
		if ((st = r_take(r, a->npages)) != NULL)
			memcpy(a->status, st, a->npages);
		return 0;
	}
	b->npages = r_u16(r);
	if (r_zero(r, 2) != 0 || b->npages > PROTO_BATCH_MAX)
		return -1;
	for (i = 0; i < b->npages; i++)
		dec_page(r, &b->pages[i], page_size);
	return 0;
}

/* The body into m: 0, or -1 if a reserved field is set or a count too big. */
static int
dec_body(struct rcur *r, struct msg *m, uint32_t page_size)
{
	switch (m->type) {
	case MSG_JOIN:
		m->u.join.page_size = r_u32(r);
		m->u.join.nframes = r_u32(r);
		m->u.join.nonce = r_u64(r);
		return 0;
	case MSG_JOIN_ACK:
		m->u.join_ack.status = r_u8(r);
		m->u.join_ack.policy = r_u8(r);
		if (r_zero(r, 2) != 0)
			return -1;
		m->u.join_ack.node = r_u32(r);
		m->u.join_ack.page_size = r_u32(r);
		m->u.join_ack.heartbeat_ms = r_u32(r);
		m->u.join_ack.master = r_u32(r);
		m->u.join_ack.master_addr = r_u32(r);
		m->u.join_ack.master_port = r_u16(r);
		return r_zero(r, 2) != 0 ? -1 : 0;
	case MSG_POD:
		return dec_pod(r, &m->u.pod);
	case MSG_HEARTBEAT:
		m->u.heartbeat.pod_version = r_u32(r);
		m->u.heartbeat.nfree = r_u32(r);
		m->u.heartbeat.nlocal = r_u32(r);
		m->u.heartbeat.nglobal = r_u32(r);
		return 0;
	case MSG_HEARTBEAT_ACK:
		return dec_heartbeat_ack(r, &m->u.heartbeat_ack);
	case MSG_ACK:
		m->u.ack.status = r_u8(r);
		if (r_zero(r, 3) != 0)
			return -1;
		m->u.ack.value = r_u32(r);
		return 0;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		r_uid(r, &m->u.getpage.uid);
		m->u.getpage.requester = r_u32(r);
		m->u.getpage.pod_version = r_u32(r);
		return 0;
	case MSG_PAGE:
	case MSG_PUTPAGE:
		dec_page(r, &m->u.page, page_size);
		return 0;
	case MSG_PUTBATCH:
	case MSG_PUTBATCH_ACK:
		return dec_putbatch(r, m, page_size);
	case MSG_MISS:
		r_uid(r, &m->u.miss.uid);
		m->u.miss.reason = r_u32(r);
		return 0;
	case MSG_DISCARD:
		r_uid(r, &m->u.discard.uid);
		m->u.discard.flags = r_u32(r);
		m->u.discard.gen = r_u32(r);
		return 0;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		return dec_gcd(r, &m->u.gcd);
	case MSG_EPOCH_START:
	case MSG_EPOCH_SUMMARY:
	case MSG_EPOCH_PLAN:
		return dec_epoch(r, m);
	}
	return 0;	/* LEAVE, LEAVE_DONE: empty */
}

int
proto_decode(const uint8_t *buf, size_t len, const struct proto_key *key,
    uint32_t cluster, uint32_t page_size, struct msg *m)
{
	const struct proto_typeinfo	*ti;
	struct rcur			 r;
	uint8_t				 mac[PROTO_MACLEN];
	size_t				 blen;
	int				 reserved;

	if (len < PROTO_HDRLEN + PROTO_MACLEN)
		return PE_SHORT;
	memset(m, 0, sizeof *m);
	r.p = buf;
	r.len = len - PROTO_MACLEN;
	r.off = 0;
	r.err = 0;

	if (r_u16(&r) != PROTO_MAGIC)
		return PE_MAGIC;
	if (r_u8(&r) != PROTO_VERSION)
		return PE_VERSION;
	m->type = r_u8(&r);
	if ((m->cluster = r_u32(&r)) != cluster)
		return PE_CLUSTER;
	proto_init();
	proto_mac(mac, buf, len - PROTO_MACLEN, key);
	if (sodium_memcmp(mac, buf + len - PROTO_MACLEN, PROTO_MACLEN) != 0)
		return PE_MAC;
	if ((ti = proto_type(m->type)) == NULL)
		return PE_TYPE;

	m->sender = r_u32(&r);
	m->flags = r_u16(&r);
	reserved = r_zero(&r, 2);
	m->reqid = r_u64(&r);
	m->stamp = r_u64(&r);
	blen = r.len - r.off;
	if (blen != body_len(ti, m->type, buf + r.off, blen, page_size))
		return PE_LENGTH;

	if (reserved != 0 || dec_body(&r, m, page_size) != 0)
		return PE_VALUE;
	if (r.err || r.off != r.len)
		fatalx("%s: %s body read %zu of %zu bytes", __func__,
		    ti->name, r.off, r.len);
	if (msg_check(m, page_size) != 0)
		return PE_VALUE;
	return PE_OK;
}

void
proto_restamp(uint8_t *buf, size_t len, const struct proto_key *key,
    uint64_t stamp)
{
	struct wcur	w;

	if (len < PROTO_HDRLEN + PROTO_MACLEN)
		fatalx("%s: a datagram of %zu bytes", __func__, len);
	w.p = buf;
	w.cap = len - PROTO_MACLEN;
	w.off = PROTO_HDRLEN - 8;
	w.err = 0;
	w_u64(&w, stamp);
	proto_seal(buf, len, key);
}
