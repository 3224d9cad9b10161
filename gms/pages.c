/*
 * pages.c: getpage, putpage and discard, and this node's partition of the
 * global cache directory (GMS-REFERENCE.md sections 2 and 3).
 *
 * Two-step lookup: the POD names the GCD node of a UID; the GCD node names
 * the holder and forwards the request to it; the holder replies straight to
 * the requester (a three-party, delegated RPC).  A private page's GCD entry
 * lives on its owner, so an owner's own getpage is one round trip.
 *
 * A getpage by the owner of a private global page moves it (the holder
 * frees its frame; the page becomes local on the owner).  Other getpages
 * copy: a shared page becomes local on the requester too (case 4) and the
 * GCD records both copies.
 *
 * Global pages are clean, so every stale answer is safe: a missing or stale
 * GCD entry turns into a miss, and the requester reads its backing store.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "directories/epoch.h"
#include "gms/log.h"
#include "gms/node.h"
#include "gms/xmalloc.h"

/* A getpage waiting for its PAGE or MISS. */
struct get_op {
	struct node	*n;
	struct uid	 uid;
	uint32_t	 gcd_node;
	uint32_t	 dest;		/* the node asked */
	int		 cache;		/* keep the page here (gmsctl) */
	pages_done_fn	*done;
	void		*arg;
};

/* A putpage waiting for its ACK. */
struct put_op {
	struct node	*n;
	struct uid	 uid;
	uint32_t	 target;
	uint32_t	 age_ms;
	uint32_t	 gen;		/* of the copy this put makes */
	uint8_t		 recirc;	/* N-chance forwards left */
	int		 evacuation;	/* part of a leave */
	int		 retried;
	uint8_t		*page;
	pages_done_fn	*done;
	void		*arg;
};

/* A received putpage whose ACK waits for the GCD node's ACK. */
struct store_op {
	struct node		*n;
	struct sockaddr_in	 from;
	uint32_t		 origin;
	uint64_t		 reqid;
	struct store_batch	*sb;	/* its PUTBATCH; NULL: a PUTPAGE */
};

/*
 * A received PUTBATCH: answered once, when the last of its pages stored
 * here is registered with its GCD node (pending counts them, plus one
 * while the batch is being stored).  Kept in a list so that a resent
 * batch arriving before the answer is recognised and ignored.
 */
struct store_batch {
	struct node		*n;
	struct sockaddr_in	 from;
	uint32_t		 origin;
	uint64_t		 reqid;
	int			 pending;
	struct msg_putbatch_ack	 ack;
	struct store_batch	*next;
};

/* GCD updates bound for one node, sent PROTO_MAX_ENTRIES at a time. */
struct gcd_batch {
	int		 ndest;
	uint32_t	 dest[POD_MAX_MEMBERS];
	struct msg	 m[POD_MAX_MEMBERS];
};

/*
 * Batched putpages (--putpage-batch above 1, proto.h PUTBATCH): the puts
 * to one target made while the event loop is busy (an eviction burst,
 * a leave's hand-off) wait in a queue per target and leave together in
 * one PUTBATCH when proto_batch_max() of them wait, when the event loop
 * has nothing more urgent, or after PAGES_PUTBATCH_MS on a loop that is
 * never idle.  One datagram and one answer instead of one per page.
 */
struct put_queue {
	uint32_t	 target;
	int		 n;
	struct put_op	*op[PROTO_BATCH_MAX];
};

struct put_batching {
	struct event		*ev;		/* idle priority: soon */
	struct event		*timer;		/* at the latest */
	int			 nq;
	struct put_queue	 q[POD_MAX_MEMBERS];
	struct store_batch	*stores;	/* received, being stored */
};

/* One PUTBATCH in flight: its puts, in the batch's order. */
struct put_batch {
	struct node	*n;
	uint32_t	 target;
	int		 nops;
	struct put_op	*op[PROTO_BATCH_MAX];
};

#define PAGES_PUTBATCH_MS	2	/* longest wait of a queued put */

static struct put_batching *putbatching(struct node *);
static void	pages_send_put(struct put_op *);
static void	put_queue(struct put_op *);
static void	store_batch_release(struct store_batch *);

/*
 * Generations (proto.h, PAGE): the owner of a private page numbers its
 * putpages of it, and accepts a copy in global memory only with the
 * number of its latest put.  A region keeps its pages' numbers in an
 * array (pager_gen_slot); pages put through gmsctl in this table.
 */
struct page_gen {
	struct uid	 uid;
	uint32_t	 gen;
	UT_hash_handle	 hh;
};

static int
pages_own(struct node *n, const struct uid *uid)
{
	return !uid_is_shared(uid) && uid->node == n->id && n->id != 0;
}

/* Where the latest generation of our page uid lives (created if asked). */
static uint32_t *
gen_slot(struct node *n, const struct uid *uid, int create)
{
	struct page_gen	*e;
	uint32_t	*slot;

	if ((slot = pager_gen_slot(n, uid)) != NULL)
		return slot;
	HASH_FIND(hh, n->gens, uid, sizeof *uid, e);
	if (e == NULL && create) {
		e = xcalloc(1, sizeof *e);
		e->uid = *uid;
		HASH_ADD(hh, n->gens, uid, sizeof e->uid, e);
	}
	return e != NULL ? &e->gen : NULL;
}

/* The latest generation we put of our page uid; 0 if never put. */
static uint32_t
gen_latest(struct node *n, const struct uid *uid)
{
	uint32_t	*slot = gen_slot(n, uid, 0);

	return slot != NULL ? *slot : 0;
}

/* A new put of our page uid: its generation. */
static uint32_t
gen_next(struct node *n, const struct uid *uid)
{
	uint32_t	*slot = gen_slot(n, uid, 1);

	if (++*slot == DISCARD_ALL)	/* wrapped: never seen in practice */
		*slot = 1;
	return *slot;
}

/*
 * Our page uid is being changed: any copy of it in other nodes' memory is
 * out of date from now on, whatever becomes of this one (it may be written
 * back and dropped without a new put, when it is older than MinAge).
 */
void
pages_invalidate(struct node *n, const struct uid *uid)
{
	if (pages_own(n, uid))
		(void)gen_next(n, uid);
}

void
pages_free_gens(struct node *n, int space)
{
	struct page_gen	*e, *tmp;

	HASH_ITER(hh, n->gens, e, tmp) {
		if (space >= 0 && e->uid.space != (uint32_t)space)
			continue;
		HASH_DEL(n->gens, e);
		free(e);
	}
}

static void
batch_flush_one(struct node *n, struct gcd_batch *b, int i)
{
	struct sockaddr_in	to;

	if (b->m[i].u.gcd.nentries == 0)
		return;
	if (node_member_addr(n, b->dest[i], &to) == 0)
		net_request(n->net, &to, &b->m[i], NODE_REQ_TRIES,
		    NODE_REQ_RTO_MS, NULL, NULL);
	b->m[i].u.gcd.nentries = 0;
}

static void
batch_add(struct node *n, struct gcd_batch *b, int type, uint32_t dest,
    const struct uid *uid, uint32_t holder, uint8_t op)
{
	struct msg_gcd_entry	*e;
	int			 i;

	for (i = 0; i < b->ndest; i++)
		if (b->dest[i] == dest)
			break;
	if (i == b->ndest) {
		if (b->ndest == POD_MAX_MEMBERS)
			fatalx("GCD batch for more than %d nodes",
			    POD_MAX_MEMBERS);
		b->ndest++;
		b->dest[i] = dest;
		memset(&b->m[i], 0, sizeof b->m[i]);
		b->m[i].type = (uint8_t)type;
		b->m[i].u.gcd.pod_version = pod_version(n->pod);
	}
	e = &b->m[i].u.gcd.entries[b->m[i].u.gcd.nentries++];
	e->uid = *uid;
	e->holder = holder;
	e->op = op;
	if (b->m[i].u.gcd.nentries == PROTO_MAX_ENTRIES)
		batch_flush_one(n, b, i);
}

static void
batch_flush(struct node *n, struct gcd_batch *b)
{
	int	i;

	for (i = 0; i < b->ndest; i++)
		batch_flush_one(n, b, i);
}

/* Ask holder to drop its copy of uid if that copy's generation < gen. */
static void
pages_discard_at(struct node *n, const struct uid *uid, uint32_t holder,
    uint32_t gen)
{
	struct sockaddr_in	to;
	struct msg		m;

	if (node_member_addr(n, holder, &to) == -1)
		return;
	memset(&m, 0, sizeof m);
	m.type = MSG_DISCARD;
	m.u.discard.uid = *uid;
	m.u.discard.flags = DISCARD_FHOLDER;
	m.u.discard.gen = gen;
	net_request(n->net, &to, &m, NODE_REQ_TRIES, NODE_REQ_RTO_MS,
	    NULL, NULL);
}

/*
 * An update adding a copy of one of our own private pages names a stale
 * copy unless it has the generation of our latest put and the page is not
 * resident here (then the local copy is the only valid one) and its
 * region still exists.  Returns the generation below which the holder's
 * copy is to go, or 0 if the copy is good.  Every put is preceded by a
 * write-back, so the backing store has the newest bytes of a page that is
 * not resident: a stale copy discarded costs a disk read, never a wrong
 * page.
 */
static uint32_t
pages_stale_add(struct node *n, const struct uid *uid, uint32_t gen)
{
	struct pfd_page	*pg;
	uint32_t	 latest;

	if (!pages_own(n, uid))
		return 0;
	if (uid->space >= PAGER_SPACE_BASE && !pager_space_live(n, uid->space))
		return DISCARD_ALL;
	latest = gen_latest(n, uid);
	if ((pg = pfd_lookup(n->pfd, uid)) != NULL && pg->kind == PFD_LOCAL)
		return latest + 1;
	return gen == latest ? 0 : latest;
}

/*
 * Apply one GCD operation in our partition.  A private page has one
 * global copy: a newer one replaces any other, whose holders are told to
 * drop theirs; an older one is refused and its holder told to drop it.
 */
static void
gcd_apply(struct node *n, const struct uid *uid, uint32_t holder, uint8_t op,
    uint32_t gen)
{
	uint32_t		holders[GCD_MAX_HOLDERS], below;
	int			nh, i;

	if (op == GCD_OPREMOVE) {
		(void)gcd_remove(n->gcd, uid, holder);
		return;
	}
	if ((below = pages_stale_add(n, uid, gen)) != 0) {
		n->st.stale_puts++;
		pages_discard_at(n, uid, holder, below);
		return;
	}
	if (!uid_is_shared(uid)) {
		nh = gcd_holders(n->gcd, uid, holders, GCD_MAX_HOLDERS);
		for (i = 0; i < nh; i++) {
			if (holders[i] == holder)
				continue;
			(void)gcd_remove(n->gcd, uid, holders[i]);
			pages_discard_at(n, uid, holders[i], gen);
		}
	}
	if (gcd_add(n->gcd, uid, holder) == -1)
		log_debug("GCD entry full for a page; holder %u not recorded",
		    holder);
}

/* Apply one GCD operation here, or send it to uid's GCD node. */
static void
gcd_note(struct node *n, const struct uid *uid, uint32_t holder, uint8_t op,
    uint32_t gen, net_done_fn *done, void *arg)
{
	uint32_t		g = pod_gcd_node(n->pod, uid);
	struct sockaddr_in	to;
	struct msg		m;

	if (holder == 0) {	/* not a member (joining again) */
		if (done != NULL)
			done(n->net, NULL, NULL, arg);
		return;
	}
	if (g == n->id || g == 0 || node_member_addr(n, g, &to) == -1) {
		if (g == n->id)
			gcd_apply(n, uid, holder, op, gen);
		if (done != NULL)
			done(n->net, NULL, NULL, arg);
		return;
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_GCD_UPDATE;
	m.u.gcd.pod_version = pod_version(n->pod);
	m.u.gcd.nentries = 1;
	m.u.gcd.entries[0].uid = *uid;
	m.u.gcd.entries[0].holder = holder;
	m.u.gcd.entries[0].op = op;
	m.u.gcd.entries[0].gen = gen;
	net_request(n->net, &to, &m, NODE_REQ_TRIES, NODE_REQ_RTO_MS,
	    done, arg);
}

/* Drop a page from this node's memory, telling its GCD node. */
static void
pages_drop(struct node *n, struct pfd_page *pg)
{
	struct uid	uid = pg->uid;
	int		tracked = pg->kind == PFD_GLOBAL ||
			    (pg->flags & PFD_SHARED);

	pfd_remove(n->pfd, pg);
	if (tracked)
		gcd_note(n, &uid, n->id, GCD_OPREMOVE, 0, NULL, NULL);
}

/*
 * Make room: evict pg.  A global page is clean: it goes to `hint` when
 * given (case 1: the node that just gave us a page gets one back), else it
 * is dropped.  A page of a program's region goes through the pager, which
 * writes it back if dirty and puts it to another node (case 2).  A local
 * page fetched through gmsctl is put to another node.
 */
uint32_t
pages_age32(struct node *n, const struct pfd_page *pg)
{
	uint64_t	age = pager_age(n, pg, node_now_ms());

	return age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
}

/*
 * N-chance (GMS-REFERENCE.md section 7): an evicted singlet goes to a
 * uniformly random other node with a recirculation count of N, and each
 * further eviction of it as a global page spends one; at 0 it is dropped.
 * Non-singlets (shared pages, held elsewhere too) are dropped.  Returns
 * the target, or PAGES_NOWHERE.
 */
static uint32_t
pages_nc_target(struct node *n, const struct pfd_page *pg)
{
	uint32_t		 ids[POD_MAX_MEMBERS];
	unsigned int		 fwd;
	int			 i, k = 0;

	if (epoch_nc_evict(!(pg->flags & PFD_SHARED), pg->kind == PFD_GLOBAL ?
	    pg->recirc : 0, EPOCH_NC_N, &fwd) == EPOCH_NC_DROP)
		return PAGES_NOWHERE;
	for (i = 0; i < pod_nmembers(n->pod); i++) {
		const struct pod_member *pm = pod_member_at(n->pod, i);

		if (!(pm->flags & POD_MLEAVING) && !node_is_suspect(n, pm->id))
			ids[k++] = pm->id;
	}
	i = (int)epoch_nc_target(ids, (size_t)k, n->id, node_rand(n));
	if (i == 0)
		return PAGES_NOWHERE;
	n->put_recirc = (uint8_t)fwd;
	return (uint32_t)i;
}

/* The N-chance receiver's victim: a duplicate, a recirculating page, then
 * the oldest singlet, among its NODE_NC_SCAN oldest pages. */
struct nc_scan {
	struct epoch_nc_cand	 cand[NODE_NC_SCAN];
	struct pfd_page		*pg[NODE_NC_SCAN];
	size_t			 n;
	uint64_t		 now;
};

static int
pages_nc_scan_one(struct pfd_page *pg, void *arg)
{
	struct nc_scan	*sc = arg;

	sc->cand[sc->n].age = pfd_age(pg, sc->now);
	sc->cand[sc->n].singlet = !(pg->flags & PFD_SHARED);
	sc->cand[sc->n].count = pg->kind == PFD_GLOBAL ? pg->recirc : 0;
	sc->pg[sc->n++] = pg;
	return sc->n == NODE_NC_SCAN;
}

static struct pfd_page *
pages_nc_victim(struct node *n)
{
	struct nc_scan	sc;
	ssize_t		i;

	sc.n = 0;
	sc.now = node_now_ms();
	pfd_foreach(n->pfd, pages_nc_scan_one, &sc);
	if ((i = epoch_nc_victim(sc.cand, sc.n)) < 0)
		return NULL;
	return sc.pg[i];
}

static void
pages_evict(struct node *n, struct pfd_page *pg, uint32_t hint)
{
	struct uid	uid = pg->uid;
	int64_t		t;

	n->st.put_evictions++;
	n->put_recirc = 0;
	if (n->policy == POLICY_NCHANCE)
		hint = pages_nc_target(n, pg);
	/*
	 * Cases 1 and 2 send the victim to the node that just gave us a
	 * page; otherwise the epoch's plan decides (section 4).
	 */
	if (hint == 0 && (t = replace_target(n, pg)) >= 0)
		hint = t == 0 ? PAGES_NOWHERE : (uint32_t)t;
	if (hint == PAGES_NOWHERE) {
		if (pager_evict(n, pg, hint) == 0)
			return;
		pages_drop(n, pg);
		return;
	}
	if (pg->kind == PFD_GLOBAL) {
		if (hint != 0 && n->policy != POLICY_LOCAL) {
			pages_put_to(n, &uid, node_frame(n, pg->frame), hint,
			    pages_age32(n, pg), pg->gen, NULL, NULL);
			return;
		}
		pages_drop(n, pg);
		return;
	}
	if (pager_evict(n, pg, hint) == 0)
		return;
	if (pg->flags & PFD_SHARED) {
		pages_drop(n, pg);
		return;
	}
	pages_put_to(n, &uid, node_frame(n, pg->frame), hint,
	    pages_age32(n, pg), pg->gen, NULL, NULL);
}

/*
 * A frame for a new page; when none is free the oldest page among
 * `victims` goes (see pages_evict).  NULL if no frame can be had.
 */
struct pfd_page *
pages_take_frame(struct node *n, const struct uid *uid, int kind, int flags,
    uint64_t last_ref, unsigned int victims, uint32_t hint)
{
	struct pfd_page	*pg, *old;
	struct uid	 ouid;
	uint64_t	 now = node_now_ms();

	while ((pg = pfd_insert(n->pfd, uid, kind, flags, last_ref)) ==
	    NULL) {
		if (errno != ENOSPC)
			return NULL;
		old = n->policy == POLICY_NCHANCE ? pages_nc_victim(n) :
		    pfd_oldest(n->pfd, victims, now);
		if (old == NULL)
			return NULL;
		ouid = old->uid;
		pages_evict(n, old, hint);
		if (pfd_lookup(n->pfd, &ouid) != NULL)
			return NULL;	/* it could not leave */
	}
	return pg;
}

/*
 * Evict ahead of need (README "The fault path"): the pager calls this when
 * the event loop has nothing more urgent, so that the next faults find a
 * free frame and only fetch and install.
 */
int
pages_make_room(struct node *n, uint32_t want, int max, uint32_t hint)
{
	struct pfd_page	*old;
	struct uid	 ouid;
	int		 k = 0;

	while (pfd_nfree(n->pfd) < want && k < max) {
		old = n->policy == POLICY_NCHANCE ? pages_nc_victim(n) :
		    pfd_oldest(n->pfd, PFD_KANY, node_now_ms());
		if (old == NULL)
			break;
		ouid = old->uid;
		pages_evict(n, old, hint);
		k++;
		if (pfd_lookup(n->pfd, &ouid) != NULL)
			break;		/* it could not leave */
	}
	return k;
}

/* ---- putpage ---------------------------------------------------------- */

static void
put_finish(struct put_op *op, int status)
{
	struct node	*n = op->n;

	if (status != 0)
		n->st.puts_failed++;
	if (op->done != NULL)
		op->done(n, status, NULL, op->arg);
	if (op->evacuation) {
		n->leave_pending--;
		member_leave_progress(n);
	}
	free(op->page);
	free(op);
}

/* A put refused, unanswered or never sent: err unless one other target. */
static void
put_fallback(struct put_op *op, int err)
{
	if (!op->retried) {	/* full, gone or silent: one other target */
		op->retried = 1;
		op->target = member_pick_target(op->n, op->target);
		if (op->target != 0) {
			pages_send_put(op);
			return;
		}
	}
	put_finish(op, err);
}

static void
put_acked(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct put_op	*op = arg;

	(void)net;
	(void)from;
	if (r != NULL && r->type == MSG_ACK)
		member_note_load(op->n, op->target, r->u.ack.value);
	if (r == NULL)
		node_suspect(op->n, op->target);
	if (r != NULL && r->type == MSG_ACK && r->u.ack.status == ST_FULL)
		node_mark_full(op->n, op->target);	/* backpressure */
	if (r != NULL && r->type == MSG_ACK && r->u.ack.status == ST_OK) {
		put_finish(op, 0);
		return;
	}
	put_fallback(op, r == NULL ? -1 : -2);
}

/* The PUTPAGE body of a put, alone or in a PUTBATCH. */
static void
put_page_msg(const struct put_op *op, struct msg_page *p)
{
	p->uid = op->uid;
	p->flags = uid_is_shared(&op->uid) ? PAGE_FSHARED : 0;
	p->age_ms = op->age_ms;
	p->gen = op->gen;
	p->flags |= ((uint32_t)op->recirc << PAGE_RECIRC_SHIFT) &
	    PAGE_FRECIRC;
	p->data = op->page;
}

static void
pages_send_put(struct put_op *op)
{
	struct node		*n = op->n;
	struct sockaddr_in	 to;
	struct msg		 m;

	if (node_member_addr(n, op->target, &to) == -1) {
		put_acked(n->net, NULL, NULL, op);
		return;
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_PUTPAGE;
	put_page_msg(op, &m.u.page);
	net_request(n->net, &to, &m, NODE_REQ_TRIES, NODE_REQ_RTO_MS,
	    put_acked, op);
}

void
pages_put(struct node *n, const struct uid *uid, const uint8_t *page,
    pages_done_fn *done, void *arg)
{
	pages_put_to(n, uid, page, 0, 0, 0, done, arg);
}

/*
 * gen: the generation of a copy we move for another owner (case 1, a
 * leave); our own pages get a new generation here.
 */
void
pages_put_to(struct node *n, const struct uid *uid, const uint8_t *page,
    uint32_t target, uint32_t age_ms, uint32_t gen, pages_done_fn *done,
    void *arg)
{
	struct put_op	*op;
	struct pfd_page	*pg;

	n->st.puts++;
	op = xcalloc(1, sizeof *op);
	op->n = n;
	op->uid = *uid;
	op->done = done;
	op->arg = arg;
	op->page = xmalloc(n->page_size);
	op->age_ms = age_ms;
	op->recirc = n->put_recirc;	/* set by pages_evict, N-chance */
	n->put_recirc = 0;
	op->gen = pages_own(n, uid) ? gen_next(n, uid) : gen;
	memcpy(op->page, page, n->page_size);
	/* The page leaves this node's memory for another's. */
	if ((pg = pfd_lookup(n->pfd, uid)) != NULL)
		pages_drop(n, pg);
	if (target == 0 || pod_find(n->pod, target) == NULL ||
	    target == n->id)
		target = member_pick_target(n, 0);
	op->target = target;
	if (op->target == 0 || n->policy == POLICY_LOCAL) {
		put_finish(op, -3);
		return;
	}
	put_queue(op);
}

/* ---- batched putpages: the sender ------------------------------------ */

static void	putbatch_due(evutil_socket_t, short, void *);

static struct put_batching *
putbatching(struct node *n)
{
	struct put_batching	*pb = n->putbatching;

	if (pb != NULL)
		return pb;
	pb = n->putbatching = xcalloc(1, sizeof *pb);
	pb->ev = event_new(n->base, -1, 0, putbatch_due, n);
	pb->timer = evtimer_new(n->base, putbatch_due, n);
	if (pb->ev == NULL || pb->timer == NULL)
		fatalx("cannot create an event");
	(void)event_priority_set(pb->ev, NODE_PRI_IDLE);
	return pb;
}

/* The answer to a PUTBATCH: each page as put_acked would take it alone. */
static void
putbatch_acked(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct put_batch		*b = arg;
	const struct msg_putbatch_ack	*a = NULL;
	struct node			*n = b->n;
	int				 i, ok, full = 0;

	(void)net;
	(void)from;
	if (r != NULL && r->type == MSG_PUTBATCH_ACK)
		a = &r->u.putbatch_ack;
	ok = a != NULL && a->npages == b->nops;
	if (r != NULL && !ok)
		log_warnx("node %u answered a batch of %d puts with a %s of "
		    "%d", b->target, b->nops, proto_type_name(r->type),
		    a != NULL ? a->npages : 0);
	if (ok)
		member_note_load(n, b->target, a->value);
	if (r == NULL)
		node_suspect(n, b->target);
	for (i = 0; ok && i < b->nops; i++)
		full |= a->status[i] == ST_FULL;
	if (full)
		node_mark_full(n, b->target);	/* backpressure */
	for (i = 0; i < b->nops; i++) {
		if (ok && a->status[i] == ST_OK) {
			put_finish(b->op[i], 0);
			continue;
		}
		n->st.put_batch_retries++;
		put_fallback(b->op[i], r == NULL ? -1 : -2);
	}
	free(b);
}

/* Send queue i of the put queues; the last queue takes its place. */
static void
putbatch_send(struct node *n, int i)
{
	struct put_batching	*pb = n->putbatching;
	struct put_queue	 q = pb->q[i];
	struct put_batch	*b;
	struct sockaddr_in	 to;
	struct msg		 m;
	int			 j, tries = NODE_REQ_TRIES, rto = NODE_REQ_RTO_MS;

	pb->q[i] = pb->q[--pb->nq];
	if (q.n == 1) {		/* alone: a plain PUTPAGE */
		pages_send_put(q.op[0]);
		return;
	}
	b = xcalloc(1, sizeof *b);
	b->n = n;
	b->target = q.target;
	b->nops = q.n;
	memcpy(b->op, q.op, sizeof q.op);
	if (node_member_addr(n, q.target, &to) == -1) {
		putbatch_acked(n->net, NULL, NULL, b);
		return;
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_PUTBATCH;
	m.u.putbatch.npages = (uint16_t)q.n;
	for (j = 0; j < q.n; j++)
		put_page_msg(q.op[j], &m.u.putbatch.pages[j]);
	n->st.put_batches++;
	n->st.puts_batched += (uint64_t)q.n;
	/*
	 * The first timeout grows with the batch (doubling per doubling of
	 * its pages) and the tries shrink so that a silent target is given up
	 * about as soon as for one page (8 pages: 160 ms, 3 tries, 1.12 s):
	 * on a slow or shaped link a batch is queued as long as its pages,
	 * and one page's timeout resent it before it was through
	 * (test_tbf.sh: the resends filled tbf's queue until the target
	 * looked dead).
	 */
	for (j = q.n; j > 1 && tries > 1; j /= 2) {
		rto *= 2;
		tries--;
	}
	net_request(n->net, &to, &m, tries, rto, putbatch_acked, b);
}

/* Send every queued put. */
static void
putbatch_flush(struct node *n)
{
	struct put_batching	*pb = n->putbatching;

	while (pb->nq > 0)
		putbatch_send(n, pb->nq - 1);
	evtimer_del(pb->timer);
}

static void
putbatch_due(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	putbatch_flush(arg);
}

/* Send a put now, or queue it for a PUTBATCH to its target. */
static void
put_queue(struct put_op *op)
{
	struct node		*n = op->n;
	struct put_batching	*pb;
	struct put_queue	*q = NULL;
	struct timeval		 tv = { 0, PAGES_PUTBATCH_MS * 1000 };
	int			 i, k = proto_batch_max(n->page_size);

	if (n->putpage_batch <= 1 || k <= 1) {
		pages_send_put(op);
		return;
	}
	pb = putbatching(n);
	for (i = 0; i < pb->nq && q == NULL; i++) {
		if (pb->q[i].target == op->target)
			q = &pb->q[i];
	}
	if (q == NULL) {
		if (pb->nq == POD_MAX_MEMBERS)
			putbatch_flush(n);
		q = &pb->q[pb->nq++];
		q->target = op->target;
		q->n = 0;
	}
	q->op[q->n++] = op;
	if (q->n >= k)
		putbatch_send(n, (int)(q - pb->q));
	else if (pb->nq == 1 && q->n == 1) {
		event_active(pb->ev, EV_TIMEOUT, 1);
		if (!evtimer_pending(pb->timer, NULL))
			evtimer_add(pb->timer, &tv);
	}
}

static void
store_gcd_acked(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct store_op	*so = arg;
	struct msg	 a;

	(void)net;
	(void)r;
	(void)from;
	if (so->sb != NULL) {
		store_batch_release(so->sb);
		free(so);
		return;
	}
	memset(&a, 0, sizeof a);
	a.type = MSG_ACK;
	a.u.ack.value = pager_nfree_idle(so->n);
	net_reply(so->n->net, &so->from, so->origin, so->reqid, &a);
	free(so);
}

/*
 * Backpressure (--backpressure): no free frame beyond those kept for our
 * own faults, and the page a putpage would push out is one of our
 * programs' that is younger than the page offered (our own working set is
 * busy).  The sender then puts elsewhere
 * until the next epoch plan.
 */
static int
pages_under_pressure(struct node *n, uint32_t age_ms, uint64_t now)
{
	struct pfd_page	*old;

	if (!n->backpressure || pager_nfree_idle(n) > 0 ||
	    n->policy != POLICY_GMS)
		return 0;
	old = pfd_oldest(n->pfd, PFD_KANY, now);
	return old != NULL && old->kind == PFD_LOCAL &&
	    pfd_age(old, now) < age_ms;
}

/*
 * Coalesced GCD updates (--putpage-batch above 1): the putpages of a burst
 * are registered with their GCD node in one GCD_UPDATE per node, sent when
 * the event loop has nothing more urgent (or when PROTO_MAX_ENTRIES wait,
 * or after PAGES_COALESCE_MS on a loop that is never idle),
 * instead of one update and one ACK per page.  Each putpage is still
 * acknowledged only once its update is.  The GCD node is looked up when
 * the update leaves, so a POD change in between is followed.
 */
struct gcd_coalesce {
	struct event		*ev;		/* idle priority: soon */
	struct event		*timer;		/* at the latest */
	int			 n;
	struct msg_gcd_entry	 e[PROTO_MAX_ENTRIES];
	struct store_op		*so[PROTO_MAX_ENTRIES];
};

#define PAGES_COALESCE_MS	2	/* longest wait of a GCD update */

/* One coalesced GCD_UPDATE in flight, and the putpages it registers. */
struct gcd_group {
	int		 n;
	struct store_op	*so[PROTO_MAX_ENTRIES];
};

static void
coalesce_acked(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct gcd_group	*g = arg;
	int			 i;

	for (i = 0; i < g->n; i++)
		store_gcd_acked(net, r, from, g->so[i]);
	free(g);
}

static void
coalesce_flush(struct node *n)
{
	struct gcd_coalesce	*c = n->coalesce;
	struct gcd_group	*g;
	struct sockaddr_in	 to;
	struct msg		 m;
	uint32_t		 dest[PROTO_MAX_ENTRIES];
	int			 i, j;

	for (i = 0; i < c->n; i++)
		dest[i] = pod_gcd_node(n->pod, &c->e[i].uid);
	for (i = 0; i < c->n; i++) {
		if (c->so[i] == NULL)
			continue;
		if (dest[i] == n->id || node_member_addr(n, dest[i], &to) ==
		    -1) {	/* ours now, or nobody's: the one-page path */
			gcd_note(n, &c->e[i].uid, c->e[i].holder, c->e[i].op,
			    c->e[i].gen, store_gcd_acked, c->so[i]);
			continue;
		}
		g = xcalloc(1, sizeof *g);
		memset(&m, 0, sizeof m);
		m.type = MSG_GCD_UPDATE;
		m.u.gcd.pod_version = pod_version(n->pod);
		for (j = i; j < c->n; j++) {
			if (c->so[j] == NULL || dest[j] != dest[i])
				continue;
			m.u.gcd.entries[m.u.gcd.nentries++] = c->e[j];
			g->so[g->n++] = c->so[j];
			c->so[j] = NULL;
		}
		n->st.gcd_coalesced += (uint64_t)(g->n - 1);
		net_request(n->net, &to, &m, NODE_REQ_TRIES, NODE_REQ_RTO_MS,
		    coalesce_acked, g);
	}
	c->n = 0;
	evtimer_del(c->timer);
}

static void
coalesce_due(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	coalesce_flush(arg);
}

static void
coalesce_add(struct node *n, const struct uid *uid, uint32_t gen,
    struct store_op *so)
{
	struct gcd_coalesce	*c = n->coalesce;
	struct msg_gcd_entry	*e;
	struct timeval		 tv = { 0, PAGES_COALESCE_MS * 1000 };

	if (c == NULL) {
		c = n->coalesce = xcalloc(1, sizeof *c);
		c->ev = event_new(n->base, -1, 0, coalesce_due, n);
		c->timer = evtimer_new(n->base, coalesce_due, n);
		if (c->ev == NULL || c->timer == NULL)
			fatalx("cannot create an event");
		(void)event_priority_set(c->ev, NODE_PRI_IDLE);
	}
	e = &c->e[c->n];
	memset(e, 0, sizeof *e);
	e->uid = *uid;
	e->holder = n->id;
	e->op = GCD_OPADD;
	e->gen = gen;
	c->so[c->n++] = so;
	if (c->n == PROTO_MAX_ENTRIES)
		coalesce_flush(n);
	else if (c->n == 1) {
		event_active(c->ev, EV_TIMEOUT, 1);
		evtimer_add(c->timer, &tv);
	}
}

/* Puts still queued are dropped (their pages are clean), not sent. */
static void
putbatch_close(struct node *n)
{
	struct put_batching	*pb = n->putbatching;
	struct store_batch	*sb;
	int			 i, j;

	if (pb == NULL)
		return;
	for (i = 0; i < pb->nq; i++) {
		for (j = 0; j < pb->q[i].n; j++) {
			free(pb->q[i].op[j]->page);
			free(pb->q[i].op[j]);
		}
	}
	while ((sb = pb->stores) != NULL) {
		pb->stores = sb->next;
		free(sb);
	}
	event_free(pb->timer);
	event_free(pb->ev);
	free(pb);
	n->putbatching = NULL;
}

void
pages_close(struct node *n)
{
	struct gcd_coalesce	*c = n->coalesce;
	int			 i;

	putbatch_close(n);
	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->so[i]);
	event_free(c->timer);
	event_free(c->ev);
	free(c);
	n->coalesce = NULL;
}

#define STORE_PENDING	(-1)	/* pages_store: answered once registered */

/*
 * One putpage, alone or in a PUTBATCH: keep the page as a global page,
 * then register it.  STORE_PENDING when it is stored and so is answered
 * once its GCD node acknowledges; otherwise the status to answer at once
 * (ST_OK or ST_FULL), and so is the caller's to free.
 */
static int
pages_store(struct node *n, const struct msg_page *p, struct store_op *so)
{
	struct pfd_page	*pg;
	uint64_t	 now = node_now_ms();
	int		 flags = uid_is_shared(&p->uid) ? PFD_SHARED : 0;

	/*
	 * Not while leaving; and never our own private page (a third node
	 * evicting it picked us): our programs' pages live in their regions,
	 * so it goes elsewhere or back to the disk, where it is clean.
	 */
	if (n->state != NS_MEMBER || pages_own(n, &p->uid))
		return ST_FULL;
	if ((pg = pfd_lookup(n->pfd, &p->uid)) != NULL &&
	    pg->kind == PFD_GLOBAL && pg->gen > p->gen)
		return ST_OK;	/* an older put, resent late: newer stays */
	if (pg == NULL && pages_under_pressure(n, p->age_ms, now)) {
		n->st.put_refused++;
		return ST_FULL;
	}
	if (pg != NULL && pg->kind == PFD_LOCAL)
		return ST_OK;	/* a shared page our programs map: held */
	if (pg != NULL) {
		/* a retransmission, or the owner put it again */
		pfd_set_kind(n->pfd, pg, PFD_GLOBAL);
	} else if ((pg = pages_take_frame(n, &p->uid, PFD_GLOBAL, flags,
	    now > p->age_ms ? now - p->age_ms : 0, PFD_KANY, 0)) == NULL)
		return ST_FULL;
	memcpy(node_frame(n, pg->frame), p->data, n->page_size);
	pfd_set_gen(n->pfd, pg, p->gen);
	pfd_set_recirc(n->pfd, pg, (uint8_t)((p->flags & PAGE_FRECIRC) >>
	    PAGE_RECIRC_SHIFT));
	if (n->policy == POLICY_NCHANCE)	/* inserted as if just used */
		pfd_touch(n->pfd, pg, now);
	replace_note_received(n);
	if (n->putpage_batch > 1 && n->id != 0 &&
	    pod_gcd_node(n->pod, &p->uid) != n->id)
		coalesce_add(n, &p->uid, p->gen, so);
	else
		gcd_note(n, &p->uid, n->id, GCD_OPADD, p->gen,
		    store_gcd_acked, so);
	return STORE_PENDING;
}

static struct store_op *
store_new(struct node *n, const struct msg *m, const struct sockaddr_in *from,
    struct store_batch *sb)
{
	struct store_op	*so;

	so = xcalloc(1, sizeof *so);
	so->n = n;
	so->from = *from;
	so->origin = m->sender;
	so->reqid = m->reqid;
	so->sb = sb;
	return so;
}

/* PUTPAGE: store the page; ACK now if refused, else once registered. */
static void
pages_on_putpage(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct store_op	*so;
	struct msg	 a;
	int		 st;

	so = store_new(n, m, from, NULL);
	if ((st = pages_store(n, &m->u.page, so)) == STORE_PENDING)
		return;
	free(so);
	memset(&a, 0, sizeof a);
	a.type = MSG_ACK;
	a.u.ack.status = (uint8_t)st;
	a.u.ack.value = st == ST_OK ? pager_nfree_idle(n) : 0;
	net_reply(n->net, from, m->sender, m->reqid, &a);
}

/* One page of a PUTBATCH is settled: the last one sends the answer. */
static void
store_batch_release(struct store_batch *sb)
{
	struct put_batching	*pb = sb->n->putbatching;
	struct store_batch	**pp;
	struct msg		 a;

	if (--sb->pending > 0)
		return;
	memset(&a, 0, sizeof a);
	a.type = MSG_PUTBATCH_ACK;
	a.u.putbatch_ack = sb->ack;
	a.u.putbatch_ack.value = pager_nfree_idle(sb->n);
	net_reply(sb->n->net, &sb->from, sb->origin, sb->reqid, &a);
	for (pp = &pb->stores; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sb) {
			*pp = sb->next;
			break;
		}
	}
	free(sb);
}

/*
 * PUTBATCH: each page stored as one PUTPAGE would be, one PUTBATCH_ACK
 * once all are registered.  A copy of a batch still being registered
 * (the sender resent it) is ignored: the answer to the first serves both,
 * and net.c's reply cache answers any copy after it.
 */
static void
pages_on_putbatch(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	const struct msg_putbatch	*b = &m->u.putbatch;
	struct put_batching		*pb = putbatching(n);
	struct store_batch		*sb;
	struct store_op			*so;
	int				 i, st;

	for (sb = pb->stores; sb != NULL; sb = sb->next) {
		if (sb->origin == m->sender && sb->reqid == m->reqid) {
			n->st.put_batch_dups++;
			return;
		}
	}
	sb = xcalloc(1, sizeof *sb);
	sb->n = n;
	sb->from = *from;
	sb->origin = m->sender;
	sb->reqid = m->reqid;
	sb->pending = 1;	/* until every page is stored */
	sb->ack.npages = b->npages;
	sb->next = pb->stores;
	pb->stores = sb;
	for (i = 0; i < b->npages; i++) {
		so = store_new(n, m, from, sb);
		sb->pending++;
		if ((st = pages_store(n, &b->pages[i], so)) == STORE_PENDING) {
			sb->ack.status[i] = ST_OK;
			continue;
		}
		sb->pending--;
		free(so);
		sb->ack.status[i] = (uint8_t)st;
	}
	store_batch_release(sb);
}

/* ---- getpage ---------------------------------------------------------- */

static void
get_finish(struct get_op *op, int status, const uint8_t *page)
{
	if (op->done != NULL)
		op->done(op->n, status, page, op->arg);
	free(op);
}

static void
get_replied(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct get_op		*op = arg;
	struct node		*n = op->n;
	const struct msg_page	*p;
	struct pfd_page		*pg;

	(void)net;
	(void)from;
	if (r == NULL) {
		n->st.get_failed++;
		node_suspect(n, op->dest);
		get_finish(op, -1, NULL);
		return;
	}
	if (r->type == MSG_MISS || r->type != MSG_PAGE ||
	    !uid_eq(&r->u.page.uid, &op->uid)) {
		n->st.get_miss++;
		get_finish(op, 1, NULL);
		return;
	}
	p = &r->u.page;
	if (p->flags & PAGE_FMOVED)	/* the holder freed it */
		gcd_note(n, &op->uid, r->sender, GCD_OPREMOVE, 0, NULL, NULL);
	if (pages_own(n, &op->uid) && p->gen != gen_latest(n, &op->uid)) {
		/* a copy from an older put: never served; the disk has it */
		n->st.stale_served++;
		n->st.get_miss++;
		if (!(p->flags & PAGE_FMOVED))
			pages_discard_at(n, &op->uid, r->sender,
			    gen_latest(n, &op->uid));
		get_finish(op, 1, NULL);
		return;
	}
	n->st.get_remote++;
	n->get_from = r->sender;
	pg = NULL;
	if (op->cache && (p->flags & PAGE_FMOVED))
		pg = pages_take_frame(n, &op->uid, PFD_LOCAL, 0,
		    node_now_ms(), PFD_KANY, r->sender);
	else if (op->cache && (p->flags & PAGE_FSHARED)) {
		pg = pages_take_frame(n, &op->uid, PFD_LOCAL, PFD_SHARED,
		    node_now_ms(), PFD_KANY, 0);
		if (pg != NULL)
			gcd_note(n, &op->uid, n->id, GCD_OPADD, 0, NULL, NULL);
	}
	if (pg != NULL)
		memcpy(node_frame(n, pg->frame), p->data, n->page_size);
	get_finish(op, 0, p->data);
}

void
pages_get(struct node *n, const struct uid *uid, int cache,
    pages_done_fn *done, void *arg)
{
	struct pfd_page		*pg;
	struct get_op		*op;
	struct sockaddr_in	 to;
	struct msg		 m;
	uint32_t		 holders[GCD_MAX_HOLDERS], dest;
	int			 nh, i;

	n->st.gets++;
	n->get_from = 0;
	if (n->policy == POLICY_LOCAL && !cache) {
		done(n, 1, NULL, arg);	/* the disk baseline: no cluster */
		return;
	}
	if ((pg = pfd_lookup(n->pfd, uid)) != NULL) {
		n->st.get_local++;
		pfd_touch(n->pfd, pg, node_now_ms());
		done(n, 0, node_frame(n, pg->frame), arg);
		return;
	}
	op = xcalloc(1, sizeof *op);
	op->n = n;
	op->uid = *uid;
	op->done = done;
	op->arg = arg;
	op->gcd_node = pod_gcd_node(n->pod, uid);
	op->cache = cache;
	memset(&m, 0, sizeof m);
	m.u.getpage.uid = *uid;
	m.u.getpage.requester = n->id;
	m.u.getpage.pod_version = pod_version(n->pod);
	if (op->gcd_node == n->id) {
		/* We are the GCD node: straight to the holder. */
		nh = gcd_holders(n->gcd, uid, holders, GCD_MAX_HOLDERS);
		for (dest = 0, i = 0; i < nh && dest == 0; i++)
			if (holders[i] != n->id)
				dest = holders[i];
		m.type = MSG_GETPAGE_FWD;
	} else {
		dest = op->gcd_node;
		m.type = MSG_GETPAGE;
	}
	if (dest == 0 || node_is_suspect(n, dest) ||
	    node_member_addr(n, dest, &to) == -1) {
		n->st.get_miss++;
		get_finish(op, 1, NULL);
		return;
	}
	op->dest = dest;
	net_request(n->net, &to, &m, NODE_REQ_TRIES, NODE_REQ_RTO_MS,
	    get_replied, op);
}

static void
pages_reply_miss(struct node *n, const struct uid *uid, uint32_t requester,
    uint64_t reqid, uint32_t reason)
{
	struct sockaddr_in	to;
	struct msg		r;

	if (node_member_addr(n, requester, &to) == -1)
		return;
	memset(&r, 0, sizeof r);
	r.type = MSG_MISS;
	r.u.miss.uid = *uid;
	r.u.miss.reason = reason;
	n->st.served_misses++;
	net_reply(n->net, &to, requester, reqid, &r);
}

/* We hold (or should hold) uid: answer the requester directly. */
static void
pages_serve(struct node *n, const struct uid *uid, uint32_t requester,
    uint64_t reqid)
{
	struct pfd_page		*pg = pfd_lookup(n->pfd, uid);
	struct sockaddr_in	 to;
	struct msg		 r;
	int			 moved;

	if (pg == NULL) {
		pages_reply_miss(n, uid, requester, reqid, MISS_NOTHELD);
		gcd_note(n, uid, n->id, GCD_OPREMOVE, 0, NULL, NULL);
		return;
	}
	if (node_member_addr(n, requester, &to) == -1)
		return;
	moved = pg->kind == PFD_GLOBAL && !(pg->flags & PFD_SHARED) &&
	    uid->node == requester;
	memset(&r, 0, sizeof r);
	r.type = MSG_PAGE;
	r.u.page.uid = *uid;
	r.u.page.flags = (moved ? PAGE_FMOVED : 0) |
	    ((pg->flags & PFD_SHARED) ? PAGE_FSHARED : 0);
	r.u.page.age_ms = pages_age32(n, pg);
	r.u.page.gen = pg->gen;
	/* a page of a program's region lives in the region, not a frame */
	if (pg->kind == PFD_LOCAL && pager_copy_out(n, pg, n->pagebuf) == 0)
		r.u.page.data = n->pagebuf;
	else
		r.u.page.data = node_frame(n, pg->frame);
	n->st.served_pages++;
	net_reply(n->net, &to, requester, reqid, &r);
	if (moved)
		pfd_remove(n->pfd, pg);	/* the requester updates the GCD */
}

/* GETPAGE at the GCD node: find the holder and forward. */
static void
pages_on_getpage(struct node *n, const struct msg *m)
{
	const struct msg_getpage	*g = &m->u.getpage;
	struct sockaddr_in		 to;
	struct msg			 f;
	uint32_t			 holders[GCD_MAX_HOLDERS], h = 0;
	int				 nh, i;

	if (g->requester != m->sender)
		return;		/* only forwards speak for another node */
	if (pod_gcd_node(n->pod, &g->uid) != n->id) {
		pages_reply_miss(n, &g->uid, g->requester, m->reqid,
		    MISS_STALEPOD);
		return;
	}
	nh = gcd_holders(n->gcd, &g->uid, holders, GCD_MAX_HOLDERS);
	for (i = 0; i < nh && h == 0; i++)
		if (holders[i] != g->requester &&
		    !node_is_suspect(n, holders[i]))
			h = holders[i];
	if (h == 0) {
		pages_reply_miss(n, &g->uid, g->requester, m->reqid,
		    MISS_NOENTRY);
		return;
	}
	if (h == n->id) {
		pages_serve(n, &g->uid, g->requester, m->reqid);
		return;
	}
	if (node_member_addr(n, h, &to) == -1) {
		(void)gcd_remove(n->gcd, &g->uid, h);
		pages_reply_miss(n, &g->uid, g->requester, m->reqid,
		    MISS_NOTHELD);
		return;
	}
	f = *m;
	f.type = MSG_GETPAGE_FWD;
	f.flags = 0;
	n->st.forwards++;
	net_send(n->net, &to, &f);
}

/* ---- discard ---------------------------------------------------------- */

/* At the GCD node: forget uid and tell every holder to drop it. */
static void
pages_discard_here(struct node *n, const struct uid *uid)
{
	uint32_t		holders[GCD_MAX_HOLDERS];
	struct pfd_page		*pg;
	int			nh, i;

	nh = gcd_holders(n->gcd, uid, holders, GCD_MAX_HOLDERS);
	(void)gcd_drop(n->gcd, uid);
	for (i = 0; i < nh; i++) {
		if (holders[i] == n->id) {
			if ((pg = pfd_lookup(n->pfd, uid)) != NULL)
				pfd_remove(n->pfd, pg);
			continue;
		}
		pages_discard_at(n, uid, holders[i], DISCARD_ALL);
	}
}

struct discard_op {
	struct node	*n;
	pages_done_fn	*done;
	void		*arg;
};

static void
discard_acked(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct discard_op	*op = arg;

	(void)net;
	(void)from;
	op->done(op->n, r == NULL ? -1 : (r->u.ack.status == ST_OK ? 0 : -2),
	    NULL, op->arg);
	free(op);
}

void
pages_discard(struct node *n, const struct uid *uid, pages_done_fn *done,
    void *arg)
{
	struct pfd_page		*pg;
	struct discard_op	*op;
	struct sockaddr_in	 to;
	struct msg		 m;
	uint32_t		 g = pod_gcd_node(n->pod, uid);

	n->st.discards++;
	if ((pg = pfd_lookup(n->pfd, uid)) != NULL)
		pfd_remove(n->pfd, pg);
	if (g == n->id || g == 0 || node_member_addr(n, g, &to) == -1) {
		if (g == n->id)
			pages_discard_here(n, uid);
		done(n, 0, NULL, arg);
		return;
	}
	op = xcalloc(1, sizeof *op);
	op->n = n;
	op->done = done;
	op->arg = arg;
	memset(&m, 0, sizeof m);
	m.type = MSG_DISCARD;
	m.u.discard.uid = *uid;
	net_request(n->net, &to, &m, NODE_REQ_TRIES, NODE_REQ_RTO_MS,
	    discard_acked, op);
}

static void
pages_on_discard(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	const struct msg_discard	*d = &m->u.discard;
	struct pfd_page			*pg;
	struct msg			 a;

	memset(&a, 0, sizeof a);
	a.type = MSG_ACK;
	if (d->flags & DISCARD_FHOLDER) {
		if ((pg = pfd_lookup(n->pfd, &d->uid)) != NULL &&
		    (d->gen == DISCARD_ALL || pg->gen < d->gen))
			pfd_remove(n->pfd, pg);
	} else if (pod_gcd_node(n->pod, &d->uid) == n->id)
		pages_discard_here(n, &d->uid);
	else
		a.u.ack.status = ST_STALE;
	net_reply(n->net, from, m->sender, m->reqid, &a);
}

/* ---- the GCD partition ------------------------------------------------ */

/*
 * GCD_UPDATE and GCD_HANDOVER.  Entries are routed by the sender's POD,
 * whose version they carry.  A sender ahead of us knows better: keep the
 * entry (installing that POD later hands it on if it is not ours).  A
 * sender behind us may have picked the wrong node: pass the entry on to
 * the owner under our POD.  Versions only grow along that path, so an
 * entry comes to rest.
 */
static void
pages_on_gcd(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	const struct msg_gcd_entry	*e;
	uint32_t			 ours = pod_version(n->pod);
	struct msg			 a;
	int				 i, mine;

	for (i = 0; i < m->u.gcd.nentries; i++) {
		e = &m->u.gcd.entries[i];
		mine = pod_gcd_node(n->pod, &e->uid) == n->id;
		if (m->u.gcd.pod_version <= ours &&
		    pod_find(n->pod, e->holder) == NULL)
			continue;	/* a holder that is gone */
		if (!mine && m->u.gcd.pod_version < ours) {
			gcd_note(n, &e->uid, e->holder, e->op, e->gen, NULL, NULL);
			continue;
		}
		if (!mine && m->u.gcd.pod_version == ours)
			continue;	/* cannot happen with equal PODs */
		if (m->type == MSG_GCD_HANDOVER)
			(void)gcd_add(n->gcd, &e->uid, e->holder);
		else
			gcd_apply(n, &e->uid, e->holder, e->op, e->gen);
	}
	if (m->type == MSG_GCD_HANDOVER)
		n->st.taken_over += m->u.gcd.nentries;
	else
		n->st.gcd_updates += m->u.gcd.nentries;
	memset(&a, 0, sizeof a);
	a.type = MSG_ACK;
	net_reply(n->net, from, m->sender, m->reqid, &a);
}

void
pages_handle(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	switch (m->type) {
	case MSG_GETPAGE:
		pages_on_getpage(n, m);
		break;
	case MSG_GETPAGE_FWD:
		pages_serve(n, &m->u.getpage.uid, m->u.getpage.requester,
		    m->reqid);
		break;
	case MSG_PUTPAGE:
		pages_on_putpage(n, m, from);
		break;
	case MSG_PUTBATCH:
		pages_on_putbatch(n, m, from);
		break;
	case MSG_DISCARD:
		pages_on_discard(n, m, from);
		break;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		pages_on_gcd(n, m, from);
		break;
	}
}

/* ---- membership changes ----------------------------------------------- */

struct pod_change {
	struct node		*n;
	const struct pod	*old;
	struct gcd_batch	*batch;
	size_t			 moved;
};

/* Hand an entry whose bucket moved to its new GCD node. */
static int
pages_handover_one(const struct uid *uid, const uint32_t *holders, int nh,
    void *arg)
{
	struct pod_change	*pc = arg;
	struct node		*n = pc->n;
	uint32_t		 g = pod_gcd_node(n->pod, uid);
	int			 i;

	if (g == n->id)
		return 0;
	if (g != 0)
		for (i = 0; i < nh; i++)
			if (holders[i] != n->id || n->state == NS_MEMBER)
				batch_add(n, pc->batch, MSG_GCD_HANDOVER, g,
				    uid, holders[i], GCD_OPADD);
	pc->moved++;
	return 1;
}

/*
 * Pages we hold whose GCD partition was on a node that is gone: tell the
 * new GCD node, since nobody could hand the entry over.
 */
static int
pages_reannounce_one(struct pfd_page *pg, void *arg)
{
	struct pod_change	*pc = arg;
	struct node		*n = pc->n;
	uint32_t		 was = pod_gcd_node(pc->old, &pg->uid);
	uint32_t		 now = pod_gcd_node(n->pod, &pg->uid);

	if (pg->kind == PFD_LOCAL && !(pg->flags & PFD_SHARED))
		return 0;
	if (was == now || was == 0 || pod_find(n->pod, was) != NULL)
		return 0;
	if (now == n->id)
		(void)gcd_add(n->gcd, &pg->uid, n->id);
	else if (now != 0)
		batch_add(n, pc->batch, MSG_GCD_UPDATE, now, &pg->uid, n->id,
		    GCD_OPADD);
	return 0;
}

/* Global pages of an owner that is gone: nobody will ask for them. */
static int
pages_orphan_one(struct pfd_page *pg, void *arg)
{
	struct pod_change	*pc = arg;

	if (pg->kind != PFD_GLOBAL || uid_is_shared(&pg->uid))
		return 0;
	if (pod_find(pc->n->pod, pg->uid.node) != NULL)
		return 0;
	pfd_remove(pc->n->pfd, pg);
	return 0;
}

void
pages_pod_changed(struct node *n, const struct pod *old)
{
	struct pod_change	 pc;
	int			 i;
	uint32_t		 id;

	memset(&pc, 0, sizeof pc);
	pc.n = n;
	pc.old = old;
	pc.batch = xcalloc(1, sizeof *pc.batch);
	for (i = 0; i < pod_nmembers(old); i++) {
		id = pod_member_at(old, i)->id;
		if (pod_find(n->pod, id) != NULL || id == n->id)
			continue;
		(void)gcd_drop_node(n->gcd, id);
		(void)gcd_drop_owner(n->gcd, id);
	}
	pfd_foreach(n->pfd, pages_orphan_one, &pc);
	gcd_foreach(n->gcd, pages_handover_one, &pc);
	pfd_foreach(n->pfd, pages_reannounce_one, &pc);
	batch_flush(n, pc.batch);
	n->st.handed_over += pc.moved;
	free(pc.batch);
}

struct evac {
	struct node	*n;
	int		 count;
	struct gcd_batch *batch;
};

static int
pages_evacuate_one(struct pfd_page *pg, void *arg)
{
	struct evac	*ev = arg;
	struct node	*n = ev->n;
	struct put_op	*op;
	uint32_t	 g;

	if (pg->kind == PFD_LOCAL) {
		if (pg->flags & PFD_SHARED) {
			g = pod_gcd_node(n->pod, &pg->uid);
			if (g != 0 && g != n->id)
				batch_add(n, ev->batch, MSG_GCD_UPDATE, g,
				    &pg->uid, n->id, GCD_OPREMOVE);
		}
		pfd_remove(n->pfd, pg);
		return 0;
	}
	op = xcalloc(1, sizeof *op);
	op->n = n;
	op->uid = pg->uid;
	op->evacuation = 1;
	op->gen = pg->gen;
	op->age_ms = pages_age32(n, pg);
	op->page = xmalloc(n->page_size);
	memcpy(op->page, node_frame(n, pg->frame), n->page_size);
	pages_drop(n, pg);
	op->target = member_pick_target(n, 0);
	ev->count++;
	n->leave_pending++;
	if (op->target == 0)
		put_finish(op, -3);	/* nowhere to go: the page is clean */
	else
		put_queue(op);
	return 0;
}

int
pages_evacuate(struct node *n)
{
	struct evac	ev;

	memset(&ev, 0, sizeof ev);
	ev.n = n;
	ev.batch = xcalloc(1, sizeof *ev.batch);
	n->leave_pending = 1;	/* no early finish while we walk */
	pfd_foreach(n->pfd, pages_evacuate_one, &ev);
	batch_flush(n, ev.batch);
	free(ev.batch);
	log_info("leaving: handing off %d global pages", ev.count);
	n->st.handed_over += (uint64_t)ev.count;
	n->leave_pending--;
	return ev.count;
}

void
pages_note_holder(struct node *n, const struct uid *uid, int add)
{
	gcd_note(n, uid, n->id, add ? GCD_OPADD : GCD_OPREMOVE, 0, NULL,
	    NULL);
}

struct space_discard {
	struct node	*n;
	uint32_t	 space;
	size_t		 count;
};

static int
pages_discard_space_one(const struct uid *uid, const uint32_t *holders,
    int nh, void *arg)
{
	struct space_discard	*sd = arg;
	struct node		*n = sd->n;
	int			 i;

	if (uid->node != n->id || uid->space != sd->space)
		return 0;
	for (i = 0; i < nh; i++)
		if (holders[i] != n->id)
			pages_discard_at(n, uid, holders[i], DISCARD_ALL);
	sd->count++;
	return 1;
}

/*
 * A region of ours is gone: its pages in other nodes' memory are of no use
 * to anybody.  Their GCD entries are ours (private pages), so we know them.
 */
size_t
pages_discard_space(struct node *n, uint32_t space)
{
	struct space_discard	sd;

	sd.n = n;
	sd.space = space;
	sd.count = 0;
	gcd_foreach(n->gcd, pages_discard_space_one, &sd);
	pages_free_gens(n, (int)space);
	n->st.discards += sd.count;
	return sd.count;
}
