/*
 * proto.h: the GMS wire protocol between gmsd nodes.
 *
 * Every message is one UDP datagram: a fixed header, a body whose layout
 * depends on the type, and a MAC over both under the cluster key.  All
 * integers are in network byte order.  Decoding goes through a bounds-checked
 * cursor; a datagram that fails any check is counted by reason and dropped.
 *
 * Bump PROTO_VERSION when anything below changes.
 */
#ifndef GMS_PROTO_H
#define GMS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "directories/epoch.h"
#include "directories/pod.h"
#include "directories/uid.h"

#define PROTO_VERSION	9
#define PROTO_MAGIC	0x474d		/* "GM" */

#define PROTO_HDRLEN	32		/* bytes before the body */
#define PROTO_MACLEN	16		/* bytes after the body */
#define PROTO_KEYLEN	32		/* cluster key */
#define PROTO_NONCELEN	24		/* the MAC's nonce, from the header */
#define PROTO_PAGE_MIN	1024		/* smallest page size, bytes */
#define PROTO_PAGE_MAX	32768		/* largest page size; a PAGE fits UDP */
#define PROTO_BATCH_MAX	8		/* pages in one PUTBATCH, at most */
#define PROTO_BATCH_BYTES 32768		/* page bytes in one PUTBATCH, at most */
/* the largest datagram: a PAGE, or a PUTBATCH (body prefix below 256) */
#define PROTO_MAXDGRAM	(PROTO_HDRLEN + 256 + PROTO_PAGE_MAX + PROTO_MACLEN)

#define PROTO_MAX_ENTRIES 64		/* GCD entries in one update/handover */
#define PROTO_MAX_LOADS	POD_MAX_MEMBERS	/* loads in one heartbeat ack */

/*
 * Header (32 bytes), then the body, then the MAC:
 *
 *  0               1               2               3
 *  0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 * +-------------------------------+---------------+---------------+
 * |         magic "GM"            |    version    |     type      |
 * +-------------------------------+---------------+---------------+
 * |                          cluster id                           |
 * +---------------------------------------------------------------+
 * |                  sender node id (0 before join)               |
 * +-------------------------------+-------------------------------+
 * |            flags              |           reserved (0)        |
 * +-------------------------------+-------------------------------+
 * |                      request id (64 bits)                     |
 * +                                                               +
 * |                                                               |
 * +---------------------------------------------------------------+
 * |        stamp: sender's clock at sending, us since 1970        |
 * +                      (64 bits)                                +
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                    body (per type, below)                     |
 * +---------------------------------------------------------------+
 * |   MAC: XChaCha20-Poly1305 tag (16 bytes) of all of the above  |
 * +---------------------------------------------------------------+
 *
 * The MAC's nonce is cluster id, sender id, request id and stamp (24
 * bytes, in that order, as on the wire); gms/proto.c says why it never
 * repeats.
 *
 * A request carries a fresh request id; its reply carries the same id and
 * PROTO_FREPLY.  A forwarded getpage keeps the requester's id.
 *
 * The stamp rises strictly with every datagram a node sends, retransmissions
 * included, so a receiver drops a datagram it has seen before, or one older
 * than its window for that sender or than NET_STAMP_MAX_AGE_MS (replay
 * protection, gms/replay.h).
 *
 * A UID on the wire is 16 bytes: node (32), space (32), pgno (64).
 */
#define PROTO_FREPLY	0x0001		/* this is a reply */

enum proto_type {
	/* 0x01-0x1f: membership */
	MSG_JOIN = 0x01,	/* node -> master */
	MSG_JOIN_ACK = 0x02,	/* master -> node, reply */
	MSG_POD = 0x03,		/* master -> every member */
	MSG_HEARTBEAT = 0x04,	/* member -> master */
	MSG_HEARTBEAT_ACK = 0x05, /* master -> member, reply */
	MSG_LEAVE = 0x06,	/* member -> master: start my leave */
	MSG_LEAVE_DONE = 0x07,	/* member -> master: my pages are handed off */
	MSG_ACK = 0x08,		/* reply to POD, LEAVE, LEAVE_DONE, ... */

	/* 0x20-0x3f: pages and the global cache directory */
	MSG_GETPAGE = 0x20,	/* requester -> GCD node */
	MSG_GETPAGE_FWD = 0x21,	/* GCD node -> holder */
	MSG_PAGE = 0x22,	/* holder -> requester, reply */
	MSG_MISS = 0x23,	/* GCD node or holder -> requester, reply */
	MSG_PUTPAGE = 0x24,	/* node -> target */
	MSG_DISCARD = 0x25,	/* node -> GCD node, GCD node -> holder */
	MSG_GCD_UPDATE = 0x26,	/* node -> GCD node */
	MSG_GCD_HANDOVER = 0x27, /* old GCD node -> new GCD node */
	MSG_PUTBATCH = 0x28,	/* node -> target: several putpages */
	MSG_PUTBATCH_ACK = 0x29, /* target -> node, reply */

	/* 0x40-0x5f: global replacement (GMS-REFERENCE.md section 4) */
	MSG_EPOCH_START = 0x40,	/* initiator -> every member */
	MSG_EPOCH_SUMMARY = 0x41, /* member -> initiator, reply */
	MSG_EPOCH_PLAN = 0x42,	/* initiator -> every member */
};

/* Status codes in JOIN_ACK and ACK. */
enum proto_status {
	ST_OK = 0,
	ST_REFUSED = 1,		/* e.g. page size differs from the cluster's */
	ST_FULL = 2,		/* cluster full, or no frame for a putpage */
	ST_NOTMEMBER = 3,	/* sender is not in the POD */
	ST_STALE = 4,		/* sender's POD differs from ours */
	ST_NOTMASTER = 5,	/* JOIN to a member: the master is elsewhere */
	ST_NOQUORUM = 6,	/* master cut off from a majority: no changes */
};

/*
 * JOIN body (16 bytes):
 * +---------------------------------------------------------------+
 * |                 page size (bytes) the node expects            |
 * +---------------------------------------------------------------+
 * |                 frames the node offers (--mem)                |
 * +---------------------------------------------------------------+
 * |                 nonce (64 bits, random per start)             |
 * +                                                               +
 * +---------------------------------------------------------------+
 */
struct msg_join {
	uint32_t	page_size;
	uint32_t	nframes;
	uint64_t	nonce;
};

/*
 * JOIN_ACK body (28 bytes):
 * +---------------+---------------+-------------------------------+
 * |    status     | policy (POL_*)|         reserved (0)          |
 * +---------------+---------------+-------------------------------+
 * |                      assigned node id                         |
 * +---------------------------------------------------------------+
 * |                   cluster page size (bytes)                   |
 * +---------------------------------------------------------------+
 * |                  heartbeat interval (ms)                      |
 * +---------------------------------------------------------------+
 * |                  master's node id                             |
 * +---------------------------------------------------------------+
 * |                  master's IPv4 address                        |
 * +-------------------------------+-------------------------------+
 * |       master's UDP port       |         reserved (0)          |
 * +-------------------------------+-------------------------------+
 * A member that is not the master answers ST_NOTMASTER with the master's
 * id and address (0 if it knows none): the joiner asks there.
 */
#define POL_GMS		0	/* the cluster's replacement policy */
#define POL_LOCAL	1
#define POL_NCHANCE	2
struct msg_join_ack {
	uint8_t		status;
	uint8_t		policy;
	uint32_t	node;
	uint32_t	page_size;
	uint32_t	heartbeat_ms;
	uint32_t	master;
	uint32_t	master_addr;
	uint16_t	master_port;
};

/*
 * POD body (16 + 20 n + 256 bytes):
 * +---------------------------------------------------------------+
 * |                         POD version                           |
 * +-------------------------------+-------------------------------+
 * |       member count n          |      master's index           |
 * +-------------------------------+-------------------------------+
 * |              membership term (a new master: one more)         |
 * +---------------------------------------------------------------+
 * |              next node id the master will give                |
 * +---------------------------------------------------------------+
 * n times:
 * +---------------------------------------------------------------+
 * |                          node id                              |
 * +---------------------------------------------------------------+
 * |                     IPv4 address                              |
 * +-------------------------------+-------------------------------+
 * |           UDP port            |        member flags           |
 * +-------------------------------+-------------------------------+
 * |               member's start nonce (64 bits)                  |
 * +                                                               +
 * +---------------------------------------------------------------+
 * then 256 bytes: bucket i -> index of the member owning it.
 * Every member thus holds what a new master needs (member.c, failover).
 */
struct msg_pod {
	uint32_t		version;
	uint16_t		nmembers;
	uint16_t		master_idx;
	uint32_t		term;
	uint32_t		next_id;
	struct pod_member	members[POD_MAX_MEMBERS];
	uint64_t		nonces[POD_MAX_MEMBERS];
	uint8_t			buckets[POD_NBUCKETS];
};

/*
 * HEARTBEAT body (16 bytes):
 * +---------------------------------------------------------------+
 * |                  POD version the sender has                   |
 * +---------------------------------------------------------------+
 * |                  free frames                                  |
 * +---------------------------------------------------------------+
 * |                  local pages                                  |
 * +---------------------------------------------------------------+
 * |                  global pages                                 |
 * +---------------------------------------------------------------+
 */
struct msg_heartbeat {
	uint32_t	pod_version;
	uint32_t	nfree;
	uint32_t	nlocal;
	uint32_t	nglobal;
};

/*
 * HEARTBEAT_ACK body (8 + 8 n bytes): the master's view of idle memory.
 * +---------------------------------------------------------------+
 * |                  master's POD version                         |
 * +-------------------------------+-------------------------------+
 * |            count n            |         reserved (0)          |
 * +-------------------------------+-------------------------------+
 * n times:
 * +---------------------------------------------------------------+
 * |                          node id                              |
 * +---------------------------------------------------------------+
 * |                       free frames                             |
 * +---------------------------------------------------------------+
 */
struct msg_load {
	uint32_t	node;
	uint32_t	nfree;
};
struct msg_heartbeat_ack {
	uint32_t	pod_version;
	uint16_t	nloads;
	struct msg_load	loads[PROTO_MAX_LOADS];
};

/*
 * ACK body (8 bytes):
 * +---------------+-----------------------------------------------+
 * |    status     |                 reserved (0)                  |
 * +---------------+-----------------------------------------------+
 * |                  value (meaning per request)                  |
 * +---------------------------------------------------------------+
 * LEAVE/LEAVE_DONE are acked with ST_OK (ST_NOQUORUM: master cut off);
 * POD acks carry the version, a refusal (ST_STALE) the refuser's term.
 */
struct msg_ack {
	uint8_t		status;
	uint32_t	value;
};

/*
 * LEAVE, LEAVE_DONE: empty bodies.
 *
 * GETPAGE body (24 bytes), GETPAGE_FWD body (24 bytes):
 * +---------------------------------------------------------------+
 * |                          UID (128 bits)                       |
 * +                                                               +
 * |                                                               |
 * +                                                               +
 * |                                                               |
 * +---------------------------------------------------------------+
 * |        requester node id (the original one, for a forward)    |
 * +---------------------------------------------------------------+
 * |        POD version the sender used                            |
 * +---------------------------------------------------------------+
 */
struct msg_getpage {
	struct uid	uid;
	uint32_t	requester;
	uint32_t	pod_version;
};

/*
 * PAGE body (28 + page size bytes):
 * +---------------------------------------------------------------+
 * |                          UID (128 bits)                       |
 * +                                                               +
 * +---------------------------------------------------------------+
 * |              page flags (PAGE_F*)                             |
 * +---------------------------------------------------------------+
 * |              age in ms when sent                              |
 * +---------------------------------------------------------------+
 * |              generation (see below)                           |
 * +---------------------------------------------------------------+
 * |                page contents (exactly the page size)          |
 * +---------------------------------------------------------------+
 *
 * Generation: the owner of a private page numbers its putpages of it
 * 1, 2, 3...; every copy in global memory keeps the number of the put
 * that made it, and GCD updates and getpage replies carry it.  The owner
 * accepts a copy only with the number of its latest put: a copy left
 * over from an older put (possible when datagrams are lost and resent out
 * of order) is never served.  Shared pages have generation 0.
 */
#define PAGE_FMOVED	0x0001	/* holder dropped its copy (private page) */
#define PAGE_FSHARED	0x0002	/* a shared page */
#define PAGE_FRECIRC	0x0300	/* PUTPAGE, N-chance: recirculation count */
#define PAGE_RECIRC_SHIFT 8
struct msg_page {
	struct uid	uid;
	uint32_t	flags;
	uint32_t	age_ms;
	uint32_t	gen;
	const uint8_t	*data;	/* into the datagram; page size bytes */
};

/*
 * MISS body (20 bytes):
 * +---------------------------------------------------------------+
 * |                          UID (128 bits)                       |
 * +---------------------------------------------------------------+
 * |              reason (MISS_*)                                  |
 * +---------------------------------------------------------------+
 */
enum miss_reason {
	MISS_NOENTRY = 0,	/* no GCD entry: the page is in no memory */
	MISS_NOTHELD = 1,	/* the holder named by the GCD lacks it */
	MISS_STALEPOD = 2,	/* the receiver does not own that partition */
};
struct msg_miss {
	struct uid	uid;
	uint32_t	reason;
};

/*
 * PUTPAGE body: same layout as PAGE (flags PAGE_FSHARED, and under the
 * nchance policy PAGE_FRECIRC: how many more times the page may be
 * forwarded, 0 for a page not recirculating).  The target
 * stores it as a global page and acks with ACK (ST_OK or ST_FULL).
 *
 * PUTBATCH body (4 + n (28 + page size) bytes): n putpages to one target
 * in one datagram, 1 <= n <= proto_batch_max(page size): at most
 * PROTO_BATCH_MAX pages and PROTO_BATCH_BYTES of page contents (8 pages
 * of 4 KiB, 4 of 8 KiB, 1 of 32 KiB), so a batch is never larger than
 * PROTO_MAXDGRAM, about 33 KiB.
 * +-------------------------------+-------------------------------+
 * |           count n             |         reserved (0)          |
 * +-------------------------------+-------------------------------+
 * n times, each exactly a PUTPAGE body:
 * +---------------------------------------------------------------+
 * |          UID, flags, age, generation, contents (as PAGE)      |
 * +---------------------------------------------------------------+
 * The target stores each page as it would one PUTPAGE and answers once,
 * when all of them are registered with their GCD nodes, with
 * PUTBATCH_ACK (8 + n bytes):
 * +-------------------------------+-------------------------------+
 * |           count n             |         reserved (0)          |
 * +-------------------------------+-------------------------------+
 * |       the target's idle free frames (as ACK's value)          |
 * +---------------+---------------+---------------+---------------+
 * |   status 1    |   status 2    |      ...      |   status n    |
 * +---------------+---------------+---------------+---------------+
 * Status i (ST_OK or ST_FULL) answers page i of the batch, in order; the
 * body ends after status n (no padding).
 */
struct msg_putbatch {
	uint16_t	npages;
	struct msg_page	pages[PROTO_BATCH_MAX];
};
struct msg_putbatch_ack {
	uint16_t	npages;
	uint32_t	value;
	uint8_t		status[PROTO_BATCH_MAX];
};

/*
 * DISCARD body (24 bytes):
 * +---------------------------------------------------------------+
 * |                          UID (128 bits)                       |
 * +---------------------------------------------------------------+
 * |              DISCARD_F* flags                                 |
 * +---------------------------------------------------------------+
 * |   generation: a holder drops its copy if the copy's is lower   |
 * +---------------------------------------------------------------+
 */
#define DISCARD_FHOLDER	0x0001	/* sent by the GCD node to a holder */
#define DISCARD_ALL	0xffffffffu	/* generation: any copy */
struct msg_discard {
	struct uid	uid;
	uint32_t	flags;
	uint32_t	gen;
};

/*
 * GCD_UPDATE and GCD_HANDOVER bodies (8 + 28 n bytes):
 * +-------------------------------+-------------------------------+
 * |           count n             |         reserved (0)          |
 * +-------------------------------+-------------------------------+
 * |          POD version the sender routed these entries by       |
 * +---------------------------------------------------------------+
 * n times:
 * +---------------------------------------------------------------+
 * |                          UID (128 bits)                       |
 * +---------------------------------------------------------------+
 * |                          holder node id                       |
 * +---------------+-----------------------------------------------+
 * |  op (GCD_OP*) |                 reserved (0)                  |
 * +---------------+-----------------------------------------------+
 * |                 generation of the holder's copy               |
 * +---------------------------------------------------------------+
 */
#define GCD_OPADD	1	/* holder now caches uid */
#define GCD_OPREMOVE	2	/* holder no longer caches uid */
struct msg_gcd_entry {
	struct uid	uid;
	uint32_t	holder;
	uint8_t		op;
	uint32_t	gen;
};
struct msg_gcd {
	uint16_t		nentries;
	uint32_t		pod_version;
	struct msg_gcd_entry	entries[PROTO_MAX_ENTRIES];
};

/*
 * EPOCH_START body (12 bytes): send me your age summary.
 * +---------------------------------------------------------------+
 * |                        epoch number                           |
 * +---------------------------------------------------------------+
 * |                  M: replacements the epoch plans for          |
 * +---------------------------------------------------------------+
 * |                  T: the epoch's longest duration, ms          |
 * +---------------------------------------------------------------+
 *
 * EPOCH_SUMMARY body (12 + 8 n bytes): the non-empty buckets of the
 * sender's age histogram (directories/epoch.h), in increasing order.
 * +---------------------------------------------------------------+
 * |                        epoch number                           |
 * +---------------------------------------------------------------+
 * |                        free frames                            |
 * +-------------------------------+-------------------------------+
 * |           count n             |         reserved (0)          |
 * +-------------------------------+-------------------------------+
 * n times:
 * +-------------------------------+-------------------------------+
 * |        bucket index           |         reserved (0)          |
 * +-------------------------------+-------------------------------+
 * |                     pages in that bucket (> 0)                |
 * +---------------------------------------------------------------+
 */
struct msg_epoch_start {
	uint32_t	epoch;
	uint32_t	m;
	uint32_t	t_ms;
};
struct msg_epoch_bucket {
	uint16_t	bucket;
	uint32_t	count;
};
struct msg_epoch_summary {
	uint32_t		epoch;
	uint32_t		nfree;
	uint16_t		nbuckets;
	struct msg_epoch_bucket	buckets[EPOCH_NBUCKETS];
};

/*
 * EPOCH_PLAN body (32 + 8 n bytes): the initiator's decision.
 * +---------------------------------------------------------------+
 * |                        epoch number                           |
 * +---------------------------------------------------------------+
 * |                        reserved (0)                           |
 * +---------------------------------------------------------------+
 * |                    MinAge (64 bits, ms)                       |
 * +                                                               +
 * +---------------------------------------------------------------+
 * |                  M: the sum of the weights                    |
 * +---------------------------------------------------------------+
 * |                  the next epoch's initiator                   |
 * +---------------------------------------------------------------+
 * |                  T: the epoch's longest duration, ms          |
 * +-------------------------------+---------------+---------------+
 * |           count n             | idle (0 or 1) | reserved (0)  |
 * +-------------------------------+---------------+---------------+
 * n times:
 * +---------------------------------------------------------------+
 * |                          node id                              |
 * +---------------------------------------------------------------+
 * |                     weight w_i of that node                   |
 * +---------------------------------------------------------------+
 */
struct msg_epoch_weight {
	uint32_t	node;
	uint32_t	weight;
};
struct msg_epoch_plan {
	uint32_t		epoch;
	uint64_t		minage;
	uint32_t		m;
	uint32_t		next;
	uint32_t		t_ms;
	uint16_t		nweights;
	uint8_t			idle;
	struct msg_epoch_weight	weights[POD_MAX_MEMBERS];
};

/* A decoded message: the header fields and the body of its type. */
struct msg {
	uint8_t		type;
	uint16_t	flags;
	uint32_t	cluster;
	uint32_t	sender;
	uint64_t	reqid;
	uint64_t	stamp;		/* us since 1970, strictly rising */
	union {
		struct msg_join			join;
		struct msg_join_ack		join_ack;
		struct msg_pod			pod;
		struct msg_heartbeat		heartbeat;
		struct msg_heartbeat_ack	heartbeat_ack;
		struct msg_ack			ack;
		struct msg_getpage		getpage;   /* and GETPAGE_FWD */
		struct msg_page			page;      /* and PUTPAGE */
		struct msg_miss			miss;
		struct msg_discard		discard;
		struct msg_gcd			gcd;       /* and GCD_HANDOVER */
		struct msg_epoch_start		epoch_start;
		struct msg_epoch_summary	epoch_summary;
		struct msg_epoch_plan		epoch_plan;
		struct msg_putbatch		putbatch;
		struct msg_putbatch_ack		putbatch_ack;
	} u;
};

/* Why a datagram was dropped; proto_decode returns one of these. */
enum proto_err {
	PE_OK = 0,
	PE_SHORT,	/* shorter than header + MAC */
	PE_MAGIC,	/* not a GMS datagram */
	PE_VERSION,	/* another protocol version */
	PE_CLUSTER,	/* another cluster id */
	PE_MAC,		/* MAC does not verify under our key */
	PE_TYPE,	/* unknown message type */
	PE_LENGTH,	/* body length wrong for its type */
	PE_VALUE,	/* a field out of range (count, flag, page size...) */
	PE_NERR
};

struct proto_key {
	uint8_t		k[PROTO_KEYLEN];
};

/* Derive the cluster key from a secret string (keyed BLAKE2b). */
void		 proto_key_derive(struct proto_key *, const char *secret);
const char	*proto_type_name(int type);	/* "GETPAGE", or "?" */
const char	*proto_err_name(int err);	/* "bad-mac", ... */
/* Pages one PUTBATCH may carry at this page size (0 if none is valid). */
int		 proto_batch_max(uint32_t page_size);

/*
 * Encode m into buf (cap bytes) with its MAC.  page_size is the cluster's,
 * used for PAGE, PUTPAGE and PUTBATCH.  Returns the datagram length, or 0 if m is
 * invalid or does not fit.
 */
size_t		 proto_encode(uint8_t *buf, size_t cap, const struct proto_key *,
		    uint32_t page_size, const struct msg *m);
/*
 * Check and decode one datagram.  cluster and page_size are ours: a datagram
 * of another cluster, or a page of another size, is rejected.  On PE_OK, m
 * is filled and m->u.page.data (every m->u.putbatch.pages[i].data)
 * points into buf.
 */
int		 proto_decode(const uint8_t *buf, size_t len,
		    const struct proto_key *, uint32_t cluster,
		    uint32_t page_size, struct msg *m);
/*
 * Give an encoded datagram (len bytes, with its MAC) a new stamp and
 * recompute its MAC: a retransmission is a new datagram to the receiver's
 * replay check.
 */
void		 proto_restamp(uint8_t *buf, size_t len,
		    const struct proto_key *, uint64_t stamp);
/* The MAC's nonce of a datagram, from its header (PROTO_HDRLEN bytes). */
void		 proto_nonce(uint8_t nonce[PROTO_NONCELEN], const uint8_t *hdr);
/*
 * Compute the MAC of an encoded datagram (len bytes, the last PROTO_MACLEN
 * of them its MAC) into place: for tools that alter a datagram on purpose.
 */
void		 proto_seal(uint8_t *buf, size_t len, const struct proto_key *);

#endif
