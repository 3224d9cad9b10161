/*
 * sim.c: gmssim's machinery (see sim.h).  The event queue, the nodes and
 * their memory (one directories/pfd.h PFD each), the network and disk
 * models, the page directory, the fault path of GMS-REFERENCE.md section 2,
 * crashes and message loss, and the global age order that ranks every
 * eviction against exact global LRU.
 *
 * Every page is private to its node (uid.node = owner), so its GCD entry
 * lives on its owner (the POD arrangement for private pages, section 3):
 * the owner knows where the one valid copy is, a getpage is one round trip
 * to the holder, and a miss costs SIM_GCD_MISS_NS before the disk read.
 * Case 4 (shared pages) is not modelled: no workload shares pages.
 *
 * The network: a message leaves when the sender's link is free, occupies
 * it for size / bandwidth, and arrives a latency later (per-sender FIFO,
 * no receiver-side queueing).  The disk: one per node, FIFO, a sequential
 * or random service time by whether the page follows the last one.
 */
#include <stdlib.h>
#include <string.h>

#include "gms/log.h"
#include "gms/xmalloc.h"

#define uthash_malloc(sz)	xmalloc(sz)
#define uthash_free(p, sz)	free(p)
#include <uthash.h>

#include "experiments/sim/sim.h"

#define SIM_STAMPS_MIN		1024	/* smallest age order */
#define SIM_STAMPS_PER_FRAME	4	/* stamps per frame before renumbering */
#define SIM_PPM			1000000ULL

/* A page directory entry; the hash handle stays in this file. */
struct sim_pent {
	struct sim_page	page;
	UT_hash_handle	hh;
};

static void	 sim_setup(struct sim *);
static int	 sim_ev_before(const struct sim_event *,
		    const struct sim_event *);
static void	 sim_heap_push(struct sim *, const struct sim_event *);
static void	 sim_heap_pop(struct sim *, struct sim_event *);
static struct sim_page *sim_page_get(struct sim *, uint32_t, uint64_t);
static void	 sim_freeset_update(struct sim *, struct sim_node *);
static void	 sim_fen_add(struct sim *, uint64_t, int);
static uint64_t	 sim_fen_prefix(const struct sim *, uint64_t);
static void	 sim_fen_build(struct sim *);
static void	 sim_age_renumber(struct sim *);
static void	 sim_age_set(struct sim *, struct sim_page *);
static void	 sim_quality(struct sim *, struct sim_page *);
static void	 sim_send_put(struct sim *, struct sim_node *,
		    struct sim_page *, uint64_t);
static int	 sim_fetch(struct sim *, struct sim_node *, uint64_t *);
static void	 sim_continue(struct sim *, struct sim_node *);
static void	 sim_hit(struct sim *, struct sim_node *, struct sim_page *);
static void	 sim_ref(struct sim *, struct sim_node *);
static void	 sim_getpage(struct sim *, struct sim_node *,
		    struct sim_page *);
static void	 sim_fault(struct sim *, struct sim_node *, struct sim_page *);
static void	 sim_disk_read(struct sim *, struct sim_node *,
		    struct sim_page *);
static void	 sim_install(struct sim *, struct sim_node *, uint32_t);
static void	 sim_get_arrive(struct sim *, struct sim_node *,
		    struct sim_msg *);
static void	 sim_reply_arrive(struct sim *, struct sim_node *,
		    struct sim_msg *);
static void	 sim_msg_lost(struct sim *, struct sim_msg *);
static void	 sim_deliver(struct sim *, struct sim_msg *);
static void	 sim_written(struct sim *, struct sim_node *,
		    struct sim_page *, uint64_t);
static int	 sim_crash_page(struct pfd_page *, void *);
static void	 sim_crash(struct sim *, struct sim_node *);
static void	 sim_detect(struct sim *, struct sim_node *);
static void	 sim_dispatch(struct sim *, struct sim_event *);
static void	 sim_check(struct sim *);

/* The crash walk's state. */
struct sim_crash_walk {
	struct sim	*sim;
	struct sim_node	*n;
};

struct sim *
sim_create(const struct sim_config *cfg)
{
	struct sim	*sim;
	uint32_t	 i;

	sim = xcalloc(1, sizeof *sim);
	sim->cfg = *cfg;
	sim->nodes = xcalloc(cfg->nnodes, sizeof *sim->nodes);
	sim->live = xcalloc(cfg->nnodes, sizeof *sim->live);
	sim->freeset = xcalloc(cfg->nnodes, sizeof *sim->freeset);
	sim->sums = xcalloc(cfg->nnodes, sizeof *sim->sums);
	for (i = 0; i < cfg->nnodes; i++) {
		sim->nodes[i].id = i + 1;
		sim->nodes[i].alive = 1;
		sim->nodes[i].freepos = -1;
		sim->nodes[i].disk_next = UINT64_MAX;
		sim->live[i] = i + 1;
	}
	sim->nlive = cfg->nnodes;
	epoch_rng_seed(&sim->drop_rng, cfg->seed ^ 0xd509d509d509d509ULL);
	return sim;
}

/* Allocate the nodes' memories and the age order (frames are set now). */
static void
sim_setup(struct sim *sim)
{
	struct sim_node	*n;
	uint64_t	 frames = 0;
	uint32_t	 i;

	for (i = 0; i < sim->cfg.nnodes; i++) {
		n = &sim->nodes[i];
		n->pfd = pfd_create(n->nframes);
		frames += n->nframes;
		sim_freeset_update(sim, n);
		simwork_init(sim, n);
	}
	sim->stcap = frames * SIM_STAMPS_PER_FRAME;
	if (sim->stcap < SIM_STAMPS_MIN)
		sim->stcap = SIM_STAMPS_MIN;
	sim->fen = xcalloc(sim->stcap, sizeof *sim->fen);
	sim->byst = xcalloc(sim->stcap, sizeof *sim->byst);
	sim->stnext = 1;
	for (sim->fenlog = 1; sim->fenlog * 2 < sim->stcap;
	    sim->fenlog *= 2)
		;
}

void
sim_free(struct sim *sim)
{
	struct sim_pent	*e, *tmp, *head;
	uint32_t	 i;

	if (sim == NULL)
		return;
	while (sim->nheap > 0) {
		struct sim_event	ev;

		sim_heap_pop(sim, &ev);
		if (ev.type == SIM_E_MSG) {
			free(((struct sim_msg *)ev.p)->sum);
			free(ev.p);
		}
	}
	for (i = 0; i < sim->cfg.nnodes; i++) {
		head = sim->nodes[i].dir;
		HASH_ITER(hh, head, e, tmp) {
			HASH_DEL(head, e);
			free(e);
		}
		pfd_free(sim->nodes[i].pfd);
		free(sim->nodes[i].work.tr);
	}
	simpol_free(sim);
	free(sim->heap);
	free(sim->nodes);
	free(sim->live);
	free(sim->freeset);
	free(sim->sums);
	free(sim->fen);
	free(sim->byst);
	free(sim->win_ranks);
	free(sim);
}

struct sim_node *
sim_node(struct sim *sim, uint32_t id)
{
	if (id == 0 || id > sim->cfg.nnodes)
		fatalx("sim_node: no node %u", id);
	return &sim->nodes[id - 1];
}

uint64_t
sim_now_tick(const struct sim *sim)
{
	return sim->now / SIM_NS_PER_TICK;
}

uint32_t
sim_lowest_live(const struct sim *sim)
{
	return sim->nlive > 0 ? sim->live[0] : 0;
}

/* Event queue: earlier time first, then the order of scheduling. */
static int
sim_ev_before(const struct sim_event *a, const struct sim_event *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	return a->seq < b->seq;
}

static void
sim_heap_push(struct sim *sim, const struct sim_event *ev)
{
	struct sim_event	tmp;
	size_t			i, up;

	if (sim->nheap == sim->capheap) {
		sim->capheap = sim->capheap ? sim->capheap * 2 : 1024;
		sim->heap = xreallocarray(sim->heap, sim->capheap,
		    sizeof *sim->heap);
	}
	i = sim->nheap++;
	sim->heap[i] = *ev;
	while (i > 0) {
		up = (i - 1) / 2;
		if (!sim_ev_before(&sim->heap[i], &sim->heap[up]))
			break;
		tmp = sim->heap[up];
		sim->heap[up] = sim->heap[i];
		sim->heap[i] = tmp;
		i = up;
	}
}

static void
sim_heap_pop(struct sim *sim, struct sim_event *out)
{
	struct sim_event	tmp;
	size_t			i = 0, l, r, m;

	*out = sim->heap[0];
	sim->heap[0] = sim->heap[--sim->nheap];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < sim->nheap && sim_ev_before(&sim->heap[l], &sim->heap[m]))
			m = l;
		if (r < sim->nheap && sim_ev_before(&sim->heap[r], &sim->heap[m]))
			m = r;
		if (m == i)
			break;
		tmp = sim->heap[m];
		sim->heap[m] = sim->heap[i];
		sim->heap[i] = tmp;
		i = m;
	}
}

void
sim_schedule(struct sim *sim, uint64_t t, enum sim_etype type, uint32_t node,
    uint64_t a, void *p)
{
	struct sim_event	ev;

	if (t < sim->now)
		fatalx("sim_schedule: event in the past");
	memset(&ev, 0, sizeof ev);
	ev.t = t;
	ev.seq = sim->seq++;
	ev.type = type;
	ev.node = node;
	ev.a = a;
	ev.p = p;
	sim_heap_push(sim, &ev);
}

struct sim_msg *
sim_msg_new(enum sim_mtype type, uint32_t src, uint32_t dst)
{
	struct sim_msg	*m = xcalloc(1, sizeof *m);

	m->type = type;
	m->src = src;
	m->dst = dst;
	return m;
}

/*
 * The link model: the message waits for the sender's link, holds it for
 * bytes / bandwidth, and arrives one latency after it has left.  A loss
 * (--drop) is drawn here; a lost message still costs its sender and is
 * still delivered as an event, marked lost, so its loss is handled where
 * it would have arrived.
 */
void
sim_send(struct sim *sim, struct sim_msg *m, uint32_t bytes)
{
	struct sim_node	*s = sim_node(sim, m->src);
	uint64_t	 dep, tx = 0, ms = sim->now / SIM_NS_PER_MS;

	if (sim->cfg.net_mbps > 0)
		tx = ((uint64_t)bytes * 8000 + sim->cfg.net_mbps - 1) /
		    sim->cfg.net_mbps;
	dep = sim->now > s->nic_free ? sim->now : s->nic_free;
	s->nic_free = dep + tx;
	s->st.msgs++;
	s->st.bytes += bytes;
	if (m->type >= SIM_M_EP_START) {
		sim->eps.msgs++;
		sim->eps.bytes += bytes;
	}
	if (sim->cfg.drop_ppm > 0 && ms >= sim->cfg.drop_from_ms &&
	    ms < sim->cfg.drop_to_ms &&
	    epoch_draw_below(epoch_rng_next(&sim->drop_rng), SIM_PPM) <
	    sim->cfg.drop_ppm)
		m->lost = 1;
	sim_schedule(sim, dep + tx + sim->cfg.net_lat_ns, SIM_E_MSG, m->dst, 0,
	    m);
}

/* The disk model: FIFO per node; returns when this I/O completes. */
uint64_t
sim_disk_io(struct sim *sim, struct sim_node *n, uint64_t pgno, int write)
{
	uint64_t	start, svc;

	start = sim->now > n->disk_free ? sim->now : n->disk_free;
	svc = pgno == n->disk_next ? sim->cfg.disk_seq_ns :
	    sim->cfg.disk_rand_ns;
	n->disk_next = pgno + 1;
	n->disk_free = start + svc;
	if (write)
		n->st.disk_writes++;
	else
		n->st.disk_reads++;
	return n->disk_free;
}

struct sim_page *
sim_page_find(struct sim *sim, uint32_t owner, uint64_t pgno)
{
	struct sim_pent	*head = sim_node(sim, owner)->dir, *e;

	HASH_FIND(hh, head, &pgno, sizeof pgno, e);
	return e != NULL ? &e->page : NULL;
}

/* The owner's entry for a page, made on its first reference (on disk). */
static struct sim_page *
sim_page_get(struct sim *sim, uint32_t owner, uint64_t pgno)
{
	struct sim_node	*n = sim_node(sim, owner);
	struct sim_pent	*head = n->dir, *e;

	HASH_FIND(hh, head, &pgno, sizeof pgno, e);
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->page.pgno = pgno;
		e->page.owner = owner;
		e->page.where = SP_DISK;
		HASH_ADD(hh, head, page.pgno, sizeof e->page.pgno, e);
		n->dir = head;
	}
	return &e->page;
}

/* The page whose valid copy pg is, or NULL if pg is a stale copy. */
struct sim_page *
sim_copy_page(struct sim *sim, struct sim_node *n, struct pfd_page *pg)
{
	struct sim_page	*sp;

	sp = sim_page_find(sim, pg->uid.node, pg->uid.pgno);
	if (sp == NULL || sp->where != SP_MEM || sp->holder != n->id ||
	    sp->pg != pg || sp->gen != pg->gen)
		return NULL;
	return sp;
}

/* Keep sim.freeset = the alive nodes with a free frame. */
static void
sim_freeset_update(struct sim *sim, struct sim_node *n)
{
	int	want = n->alive && pfd_nfree(n->pfd) > 0;
	size_t	last;

	if (want && n->freepos < 0) {
		n->freepos = (int)sim->nfreeset;
		sim->freeset[sim->nfreeset++] = n->id;
	} else if (!want && n->freepos >= 0) {
		last = --sim->nfreeset;
		sim->freeset[n->freepos] = sim->freeset[last];
		sim_node(sim, sim->freeset[n->freepos])->freepos = n->freepos;
		n->freepos = -1;
	}
}

/* Place the valid copy of sp in n's memory. */
void
sim_mem_insert(struct sim *sim, struct sim_node *n, struct sim_page *sp,
    int kind, int dirty, uint64_t last_ref)
{
	struct pfd_page	*pg;
	struct uid	 u;

	memset(&u, 0, sizeof u);
	u.node = sp->owner;
	u.space = SIM_SPACE;
	u.pgno = sp->pgno;
	if ((pg = pfd_lookup(n->pfd, &u)) != NULL)
		sim_drop_stale(sim, n, pg);	/* never the valid one */
	pg = pfd_insert(n->pfd, &u, kind, dirty ? PFD_DIRTY : 0, last_ref);
	if (pg == NULL)
		fatal("sim_mem_insert: node %u page %u:%llu", n->id, sp->owner,
		    (unsigned long long)sp->pgno);
	pfd_set_gen(n->pfd, pg, sp->gen);
	sp->pg = pg;
	sp->where = SP_MEM;
	sp->holder = n->id;
	sim_freeset_update(sim, n);
}

/* Take a copy out of n's memory; the caller says where the page is now. */
void
sim_mem_remove(struct sim *sim, struct sim_node *n, struct pfd_page *pg)
{
	struct sim_page	*sp = sim_copy_page(sim, n, pg);

	if (sp != NULL)
		sp->pg = NULL;
	pfd_remove(n->pfd, pg);
	sim_freeset_update(sim, n);
}

/* A stale copy (its getpage was lost, the owner read the disk): drop it. */
void
sim_drop_stale(struct sim *sim, struct sim_node *n, struct pfd_page *pg)
{
	sim->stale++;
	sim_mem_remove(sim, n, pg);
}

/*
 * A valid page leaves cluster memory: written back first if dirty (only a
 * local page, on its owner, can be), ranked for the quality report.
 */
void
sim_evict(struct sim *sim, struct sim_node *n, struct pfd_page *pg)
{
	struct sim_page	*sp = sim_copy_page(sim, n, pg);

	if (sp == NULL) {
		sim_drop_stale(sim, n, pg);
		return;
	}
	if (pg->flags & PFD_DIRTY)
		(void)sim_disk_io(sim, n, sp->pgno, 1);
	sim_quality(sim, sp);
	sim_age_del(sim, sp);
	n->st.discards++;
	sim_mem_remove(sim, n, pg);
	sp->where = SP_DISK;
}

/* Putpage sp (already out of memory, clean) to its holder. */
static void
sim_send_put(struct sim *sim, struct sim_node *n, struct sim_page *sp,
    uint64_t last_ref)
{
	struct sim_msg	*m = sim_msg_new(SIM_M_PUT, n->id, sp->holder);

	sp->where = SP_PUT;
	m->owner = sp->owner;
	m->pgno = sp->pgno;
	m->gen = sp->gen;
	m->last_ref = last_ref;
	m->nc = sp->nc;
	sim_send(sim, m, SIM_MSG_BYTES + sim->cfg.page_size);
}

/*
 * Send a valid page to node to, with N-chance count nc.  A dirty page is
 * written back first: the putpage leaves when the write is done (global
 * memory holds only clean pages, section 1); the frame is free at once.
 */
void
sim_put(struct sim *sim, struct sim_node *n, struct pfd_page *pg, uint32_t to,
    unsigned int nc)
{
	struct sim_page	*sp = sim_copy_page(sim, n, pg);
	uint64_t	 done, last_ref = pg->last_ref;
	int		 dirty = (pg->flags & PFD_DIRTY) != 0;

	if (sp == NULL) {
		sim_drop_stale(sim, n, pg);
		return;
	}
	sim_mem_remove(sim, n, pg);
	sp->gen++;
	sp->holder = to;
	sp->nc = (uint8_t)nc;
	n->st.puts_sent++;
	if (dirty) {
		done = sim_disk_io(sim, n, sp->pgno, 1);
		sp->where = SP_WRITE;
		sp->pg = NULL;
		sp->move_ref = last_ref;
		sim_schedule(sim, done, SIM_E_WRITTEN, n->id, sp->gen, sp);
		return;
	}
	sim_send_put(sim, n, sp, last_ref);
}

static void
sim_written(struct sim *sim, struct sim_node *n, struct sim_page *sp,
    uint64_t gen)
{
	if (sp->where != SP_WRITE || sp->gen != gen)
		return;		/* the owner faulted it back meanwhile */
	if (!n->alive) {
		sim_age_del(sim, sp);
		sp->where = SP_DISK;
		return;
	}
	sim_send_put(sim, n, sp, sp->move_ref);
}

/*
 * The global age order: every page in cluster memory (or on its way
 * between memories) has a stamp, given at each reference from one
 * increasing counter, so stamps order pages exactly as global LRU does.
 * A Fenwick tree over stamps gives a page's rank and the oldest page in
 * O(log n); when the counter reaches the end, the live stamps are
 * renumbered 1, 2, ... in order.
 */
static void
sim_fen_add(struct sim *sim, uint64_t i, int d)
{
	for (; i < sim->stcap; i += i & (~i + 1))
		sim->fen[i] = (uint32_t)((int64_t)sim->fen[i] + d);
}

/* Pages with a stamp in 1 .. i. */
static uint64_t
sim_fen_prefix(const struct sim *sim, uint64_t i)
{
	uint64_t	s = 0;

	for (; i > 0; i -= i & (~i + 1))
		s += sim->fen[i];
	return s;
}

static void
sim_fen_build(struct sim *sim)
{
	uint64_t	i, j;

	for (i = 1; i < sim->stcap; i++)
		sim->fen[i] = sim->byst[i] != NULL;
	sim->fen[0] = 0;
	for (i = 1; i < sim->stcap; i++) {
		j = i + (i & (~i + 1));
		if (j < sim->stcap)
			sim->fen[j] += sim->fen[i];
	}
}

static void
sim_age_renumber(struct sim *sim)
{
	uint64_t	i, k = 1;

	for (i = 1; i < sim->stnext; i++) {
		if (sim->byst[i] == NULL)
			continue;
		sim->byst[k] = sim->byst[i];
		sim->byst[k]->stamp = k;
		if (k != i)
			sim->byst[i] = NULL;
		k++;
	}
	sim->stnext = k;
	if (sim->stnext * 2 > sim->stcap) {	/* more in flight than room */
		sim->stcap *= 2;
		sim->fen = xreallocarray(sim->fen, sim->stcap, sizeof *sim->fen);
		sim->byst = xreallocarray(sim->byst, sim->stcap,
		    sizeof *sim->byst);
		memset(sim->byst + sim->stnext, 0,
		    (sim->stcap - sim->stnext) * sizeof *sim->byst);
		while (sim->fenlog * 2 < sim->stcap)
			sim->fenlog *= 2;
	}
	sim_fen_build(sim);
}

void
sim_age_del(struct sim *sim, struct sim_page *sp)
{
	if (sp->stamp == 0)
		return;
	sim_fen_add(sim, sp->stamp, -1);
	sim->byst[sp->stamp] = NULL;
	sp->stamp = 0;
	sim->inmem--;
}

/* A reference: the page becomes the youngest in the cluster. */
static void
sim_age_set(struct sim *sim, struct sim_page *sp)
{
	sim_age_del(sim, sp);
	if (sim->stnext == sim->stcap)
		sim_age_renumber(sim);
	sp->stamp = sim->stnext++;
	sim->byst[sp->stamp] = sp;
	sim_fen_add(sim, sp->stamp, 1);
	sim->inmem++;
	sp->win_ref = sim->win;
}

/* The globally least recently referenced page, or NULL. */
struct sim_page *
sim_age_oldest(struct sim *sim)
{
	uint64_t	pos = 0, step;
	uint64_t	k = 1;

	if (sim->inmem == 0)
		return NULL;
	for (step = sim->fenlog; step > 0; step /= 2) {
		if (pos + step < sim->stcap && sim->fen[pos + step] < k) {
			pos += step;
			k -= sim->fen[pos];
		}
	}
	if (pos + 1 >= sim->stcap || sim->byst[pos + 1] == NULL)
		fatalx("sim_age_oldest: age order broken");
	return sim->byst[pos + 1];
}

/*
 * Rank an evicted page among all pages in cluster memory (0: the globally
 * oldest), and note it for the window's overlap with ideal LRU.
 */
static void
sim_quality(struct sim *sim, struct sim_page *sp)
{
	uint64_t	rank, total = sim->inmem;

	if (sp->stamp == 0 || total == 0)
		return;
	rank = sim_fen_prefix(sim, sp->stamp - 1);
	sim->q.evictions++;
	sim->q.rank_ppm_sum += rank * SIM_PPM / total;
	if (rank * 100 < total)
		sim->q.top1++;
	if (rank * 10 < total)
		sim->q.top10++;
	sim->win_k++;
	if (sp->win_start == sim->win && sp->win_ref != sim->win) {
		if (sim->nwin_ranks == sim->capwin_ranks) {
			sim->capwin_ranks = sim->capwin_ranks ?
			    sim->capwin_ranks * 2 : 1024;
			sim->win_ranks = xreallocarray(sim->win_ranks,
			    sim->capwin_ranks, sizeof *sim->win_ranks);
		}
		sim->win_ranks[sim->nwin_ranks++] = sp->start_rank;
	}
}

/*
 * A measurement window starts (an epoch under gms).  Its k evictions are
 * compared with the k pages ideal LRU would have evicted: the k oldest
 * pages in cluster memory at its start.  An evicted page matches if it was
 * among them and has not been referenced since.
 */
void
sim_window_start(struct sim *sim)
{
	uint64_t	i, r = 0;

	sim_window_end(sim);
	sim->win++;
	for (i = 1; i < sim->stnext; i++) {
		if (sim->byst[i] == NULL)
			continue;
		sim->byst[i]->win_start = sim->win;
		sim->byst[i]->start_rank = r++;
	}
	sim->win_k = 0;
	sim->nwin_ranks = 0;
}

void
sim_window_end(struct sim *sim)
{
	uint64_t	matched = 0;
	size_t		i;

	if (sim->win == 0 || sim->win_k == 0)
		return;
	for (i = 0; i < sim->nwin_ranks; i++) {
		if (sim->win_ranks[i] < sim->win_k)
			matched++;
	}
	sim->q.windows++;
	sim->q.win_evicted += sim->win_k;
	sim->q.win_matched += matched;
	sim->q.win_ratio_ppm += matched * SIM_PPM / sim->win_k;
	sim->win_k = 0;
	sim->nwin_ranks = 0;
}

/*
 * Take the node's next reference into ref_pgno and ref_write; its time is
 * *t.  0 if the workload is over (the node is done now).
 */
static int
sim_fetch(struct sim *sim, struct sim_node *n, uint64_t *t)
{
	uint64_t	gap;
	int		write;

	if (simwork_next(n, &n->ref_pgno, &write, &gap) == -1) {
		n->have_ref = 0;
		n->done = 1;
		n->done_at = sim->now;
		if (--sim->active == 0)
			sim->stop = 1;
		return 0;
	}
	n->have_ref = 1;
	n->ref_write = write;
	*t = sim->now + gap;
	return 1;
}

/* After a reference: schedule the next one. */
static void
sim_continue(struct sim *sim, struct sim_node *n)
{
	uint64_t	t;

	if (sim_fetch(sim, n, &t))
		sim_schedule(sim, t, SIM_E_REF, n->id, 0, NULL);
}

/* A reference to a page in the node's own memory (local or global). */
static void
sim_hit(struct sim *sim, struct sim_node *n, struct sim_page *sp)
{
	struct pfd_page	*pg = sp->pg;

	if (pg->kind == PFD_GLOBAL)
		pfd_set_kind(n->pfd, pg, PFD_LOCAL);
	if (n->ref_write)
		pfd_set_flags(n->pfd, pg, PFD_DIRTY, 0);
	pfd_touch(n->pfd, pg, sim_now_tick(sim));
	sp->nc = 0;
	sim_age_set(sim, sp);
	n->st.hits++;
}

/*
 * The node's reference now.  Hits run on in a loop while the next one
 * comes strictly before every queued event (the same order as through the
 * queue, without it).
 */
static void
sim_ref(struct sim *sim, struct sim_node *n)
{
	struct sim_page	*sp;
	uint64_t	 t;

	while (n->alive && n->have_ref) {
		sp = sim_page_get(sim, n->id, n->ref_pgno);
		n->st.refs++;
		if (sp->where != SP_MEM || sp->holder != n->id) {
			sim_fault(sim, n, sp);
			return;
		}
		sim_hit(sim, n, sp);
		if (!sim_fetch(sim, n, &t))
			return;
		if ((sim->nheap > 0 && t >= sim->heap[0].t) ||
		    (sim->cfg.until_ms > 0 &&
		    t > sim->cfg.until_ms * SIM_NS_PER_MS)) {
			sim_schedule(sim, t, SIM_E_REF, n->id, 0, NULL);
			return;
		}
		sim->now = t;
	}
}

/* Ask the page's holder for it (cases 1 and 2), with a timeout. */
static void
sim_getpage(struct sim *sim, struct sim_node *n, struct sim_page *sp)
{
	struct sim_msg	*m;

	n->fault_id++;
	n->fphase = SIM_F_NET;
	n->fault_src = sp->holder;
	m = sim_msg_new(SIM_M_GET, n->id, sp->holder);
	m->owner = n->id;
	m->pgno = sp->pgno;
	m->id = n->fault_id;
	sim_send(sim, m, SIM_MSG_BYTES);
	sim_schedule(sim, sim->now + sim->cfg.timeout_ms * SIM_NS_PER_MS,
	    SIM_E_TIMEOUT, n->id, n->fault_id, NULL);
}

/* The fault of section 2: getpage from the holder, or the disk. */
static void
sim_fault(struct sim *sim, struct sim_node *n, struct sim_page *sp)
{
	if (sim->cfg.policy != SIM_LOCAL && sp->holder != n->id &&
	    (sp->where == SP_MEM || sp->where == SP_PUT ||
	    sp->where == SP_LOST)) {
		sim_getpage(sim, n, sp);
		return;
	}
	n->fault_id++;
	sim_disk_read(sim, n, sp);
}

/* Case 3: read the page from disk (after the GCD says it is nowhere). */
static void
sim_disk_read(struct sim *sim, struct sim_node *n, struct sim_page *sp)
{
	uint64_t	done;

	if (sp->where == SP_PUT || sp->where == SP_WRITE) {
		/* a copy on its way (to this node, or not yet sent) */
		sp->gen++;
		sp->where = SP_DISK;
		sim_age_del(sim, sp);
	}
	n->fphase = SIM_F_DISK;
	n->fault_src = 0;
	done = sim_disk_io(sim, n, sp->pgno, 0);
	if (sim->cfg.policy != SIM_LOCAL)
		done += SIM_GCD_MISS_NS;
	sim_schedule(sim, done, SIM_E_DISK_READ, n->id, n->fault_id, NULL);
}

/*
 * The faulted page is here (from src, or from disk if src is 0): make
 * room if the memory is full (the policy decides where the victim goes),
 * map it as a local page, and go on with the workload.
 */
static void
sim_install(struct sim *sim, struct sim_node *n, uint32_t src)
{
	struct sim_page	*sp = sim_page_get(sim, n->id, n->ref_pgno);
	struct pfd_page	*old;
	struct uid	 u;

	if (src == 0)
		n->st.cases[3]++;
	else if (pfd_count(n->pfd, PFD_GLOBAL) > 0 || pfd_nfree(n->pfd) > 0)
		n->st.cases[1]++;
	else
		n->st.cases[2]++;
	n->fphase = SIM_F_NONE;
	memset(&u, 0, sizeof u);
	u.node = n->id;
	u.space = SIM_SPACE;
	u.pgno = sp->pgno;
	if ((old = pfd_lookup(n->pfd, &u)) != NULL) {
		/* a copy put here while the fault was under way */
		if (sim_copy_page(sim, n, old) == sp) {
			sim_age_del(sim, sp);
			sim_mem_remove(sim, n, old);
		} else
			sim_drop_stale(sim, n, old);
	}
	if (pfd_nfree(n->pfd) == 0)
		simpol_make_room(sim, n, src);
	if (pfd_nfree(n->pfd) == 0)
		fatalx("sim_install: node %u found no room", n->id);
	sp->gen++;
	sp->nc = 0;
	sim_mem_insert(sim, n, sp, PFD_LOCAL, n->ref_write, sim_now_tick(sim));
	sim_age_set(sim, sp);
	sim_continue(sim, n);
}

/* At the holder: hand the page over, or say it is not here. */
static void
sim_get_arrive(struct sim *sim, struct sim_node *q, struct sim_msg *m)
{
	struct sim_page	*sp = sim_page_find(sim, m->owner, m->pgno);
	struct sim_msg	*r;

	if (sp != NULL && sp->where == SP_MEM && sp->holder == q->id) {
		sim_age_del(sim, sp);	/* re-stamped when it is used */
		sim_mem_remove(sim, q, sp->pg);
		sp->where = SP_GET;
		sp->holder = m->owner;
		sp->gen++;
		r = sim_msg_new(SIM_M_GET_HIT, q->id, m->owner);
		r->gen = sp->gen;
		r->owner = m->owner;
		r->pgno = m->pgno;
		r->id = m->id;
		sim_send(sim, r, SIM_MSG_BYTES + sim->cfg.page_size);
		return;
	}
	r = sim_msg_new(SIM_M_GET_MISS, q->id, m->owner);
	r->owner = m->owner;
	r->pgno = m->pgno;
	r->id = m->id;
	sim_send(sim, r, SIM_MSG_BYTES);
}

/*
 * At the faulting node: the page, or a miss.  After a miss the GCD is
 * looked up again: if the page has moved on meanwhile (it was put to
 * another node while the request was on its way), ask there; else the
 * disk (section 3, "stale GCD -> miss and re-lookup").
 */
static void
sim_reply_arrive(struct sim *sim, struct sim_node *n, struct sim_msg *m)
{
	struct sim_page	*sp;

	if (n->fphase != SIM_F_NET || n->fault_id != m->id)
		return;		/* late: the node timed out and went on */
	if (m->type == SIM_M_GET_HIT) {
		n->st.cluster_hits++;
		sim_install(sim, n, m->src);
		return;
	}
	sp = sim_page_find(sim, m->owner, m->pgno);
	if ((sp->where == SP_MEM || sp->where == SP_PUT) &&
	    sp->holder != m->src && sp->holder != n->id) {
		sim_getpage(sim, n, sp);
		return;
	}
	if (sp->where == SP_LOST && sp->holder == m->src)
		sp->where = SP_DISK;
	sim_disk_read(sim, n, sp);
}

/* A message that did not arrive: what it carried is gone. */
static void
sim_msg_lost(struct sim *sim, struct sim_msg *m)
{
	struct sim_page	*sp;

	if (m->type != SIM_M_PUT)
		return;		/* requests time out; replies are re-read */
	sp = sim_page_find(sim, m->owner, m->pgno);
	if (sp->where == SP_PUT && sp->holder == m->dst && sp->gen == m->gen) {
		sp->where = SP_LOST;
		sim_age_del(sim, sp);
		sim->lost_pages++;
	}
}

static void
sim_deliver(struct sim *sim, struct sim_msg *m)
{
	struct sim_node	*n = sim_node(sim, m->dst);

	if (m->lost || !n->alive) {
		sim_msg_lost(sim, m);
		goto out;
	}
	switch (m->type) {
	case SIM_M_GET:
		sim_get_arrive(sim, n, m);
		break;
	case SIM_M_GET_HIT:
	case SIM_M_GET_MISS:
		sim_reply_arrive(sim, n, m);
		break;
	case SIM_M_PUT:
		n->st.puts_recv++;
		simpol_put_arrive(sim, n, m);
		break;
	case SIM_M_MOVE:
		break;		/* the ideal policy moved it already */
	case SIM_M_EP_START:
	case SIM_M_EP_SUMMARY:
	case SIM_M_EP_PLAN:
		simpol_msg(sim, n, m);
		break;
	}
out:
	free(m->sum);
	free(m);
}

static int
sim_crash_page(struct pfd_page *pg, void *arg)
{
	struct sim_crash_walk	*w = arg;
	struct sim_page		*sp = sim_copy_page(w->sim, w->n, pg);

	if (sp != NULL) {
		w->sim->lost_pages++;
		sim_age_del(w->sim, sp);
		sp->pg = NULL;
		sp->where = SP_LOST;	/* the GCD still names this node */
	}
	pfd_remove(w->n->pfd, pg);
	return 0;
}

/* --crash: the node's memory vanishes and its workload stops. */
static void
sim_crash(struct sim *sim, struct sim_node *n)
{
	struct sim_crash_walk	w;

	if (!n->alive)
		return;
	w.sim = sim;
	w.n = n;
	pfd_foreach(n->pfd, sim_crash_page, &w);
	n->alive = 0;
	n->crashed = 1;
	n->crash_at = sim->now;
	n->fphase = SIM_F_NONE;
	sim_freeset_update(sim, n);
	if (!n->done && n->work.kind != SIM_W_IDLE) {
		n->done = 1;
		n->done_at = sim->now;
		if (--sim->active == 0)
			sim->stop = 1;
	}
	sim_schedule(sim, sim->now + SIM_DETECT_MS * SIM_NS_PER_MS,
	    SIM_E_DETECT, n->id, 0, NULL);
}

/*
 * The others notice the crash: it leaves the membership, and the GCD
 * entries that name it become misses.
 */
static void
sim_detect(struct sim *sim, struct sim_node *n)
{
	struct sim_pent	*e, *tmp, *head;
	size_t		 i, j;
	uint32_t	 k;

	n->known_dead = 1;
	for (i = j = 0; i < sim->nlive; i++) {
		if (sim->live[i] != n->id)
			sim->live[j++] = sim->live[i];
	}
	sim->nlive = j;
	for (k = 0; k < sim->cfg.nnodes; k++) {
		head = sim->nodes[k].dir;
		HASH_ITER(hh, head, e, tmp) {
			if (e->page.where == SP_LOST && e->page.holder == n->id)
				e->page.where = SP_DISK;
		}
	}
}

static void
sim_dispatch(struct sim *sim, struct sim_event *ev)
{
	struct sim_node	*n = ev->node ? sim_node(sim, ev->node) : NULL;

	switch (ev->type) {
	case SIM_E_REF:
		sim_ref(sim, n);
		break;
	case SIM_E_MSG:
		sim_deliver(sim, ev->p);
		break;
	case SIM_E_DISK_READ:
		if (n->alive && n->fphase == SIM_F_DISK && n->fault_id == ev->a)
			sim_install(sim, n, 0);
		break;
	case SIM_E_WRITTEN:
		sim_written(sim, n, ev->p, ev->a);
		break;
	case SIM_E_TIMEOUT:
		if (n->alive && n->fphase == SIM_F_NET &&
		    n->fault_id == ev->a) {
			n->st.timeouts++;
			sim_disk_read(sim, n, sim_page_get(sim, n->id,
			    n->ref_pgno));
		}
		break;
	case SIM_E_CRASH:
		sim_crash(sim, n);
		break;
	case SIM_E_DETECT:
		sim_detect(sim, n);
		break;
	case SIM_E_TICK:
		simpol_tick(sim);
		break;
	case SIM_E_COLLECT:
		simpol_collect_timeout(sim, (uint32_t)ev->a);
		break;
	case SIM_E_WINDOW:
		sim_window_start(sim);
		sim_schedule(sim, sim->now + sim->cfg.window_ms *
		    SIM_NS_PER_MS, SIM_E_WINDOW, 0, 0, NULL);
		break;
	}
}

/* Run until every workload is over (or --until). */
void
sim_run(struct sim *sim)
{
	struct sim_event	 ev;
	struct sim_node		*n;
	uint64_t		 t;
	size_t			 i;

	sim_setup(sim);
	for (i = 0; i < sim->cfg.ncrash; i++)
		sim_schedule(sim, sim->cfg.crash[i].at_ms * SIM_NS_PER_MS,
		    SIM_E_CRASH, sim->cfg.crash[i].node, 0, NULL);
	for (i = 0; i < sim->cfg.nnodes; i++) {
		n = &sim->nodes[i];
		if (n->work.kind == SIM_W_IDLE)
			continue;
		sim->active++;
	}
	for (i = 0; i < sim->cfg.nnodes; i++) {
		n = &sim->nodes[i];
		if (n->work.kind != SIM_W_IDLE && sim_fetch(sim, n, &t))
			sim_schedule(sim, t, SIM_E_REF, n->id, 0, NULL);
	}
	if (sim->active == 0)
		sim->stop = 1;
	simpol_start(sim);
	while (!sim->stop && sim->nheap > 0) {
		if (sim->cfg.until_ms > 0 &&
		    sim->heap[0].t > sim->cfg.until_ms * SIM_NS_PER_MS)
			break;
		sim_heap_pop(sim, &ev);
		sim->now = ev.t;
		sim->events++;
		sim_dispatch(sim, &ev);
	}
	sim_window_end(sim);
	sim_check(sim);
}

/*
 * At the end of a run: the directory, the memories and the age order
 * agree (a broken invariant is a bug in the simulator, and fatal).
 */
static void
sim_check(struct sim *sim)
{
	struct sim_pent	*e, *tmp, *head;
	struct sim_page	*sp;
	struct uid	 u;
	uint64_t	 stamped = 0;
	uint32_t	 k;

	for (k = 0; k < sim->cfg.nnodes; k++) {
		head = sim->nodes[k].dir;
		HASH_ITER(hh, head, e, tmp) {
			sp = &e->page;
			memset(&u, 0, sizeof u);
			u.node = sp->owner;
			u.space = SIM_SPACE;
			u.pgno = sp->pgno;
			if (sp->stamp != 0) {
				stamped++;
				if (sim->byst[sp->stamp] != sp)
					fatalx("sim_check: stamp of %u:%llu",
					    sp->owner,
					    (unsigned long long)sp->pgno);
			}
			if (sp->where == SP_MEM && (sp->pg == NULL ||
			    sp->stamp == 0 || pfd_lookup(sim_node(sim,
			    sp->holder)->pfd, &u) != sp->pg ||
			    sp->pg->gen != sp->gen))
				fatalx("sim_check: page %u:%llu not where the "
				    "directory says", sp->owner,
				    (unsigned long long)sp->pgno);
			if ((sp->where == SP_PUT || sp->where == SP_WRITE) !=
			    (sp->where != SP_MEM && sp->stamp != 0))
				fatalx("sim_check: page %u:%llu in flight "
				    "without its age", sp->owner,
				    (unsigned long long)sp->pgno);
		}
	}
	if (stamped != sim->inmem || sim_fen_prefix(sim, sim->stcap - 1) !=
	    sim->inmem)
		fatalx("sim_check: age order holds %llu pages, not %llu",
		    (unsigned long long)sim_fen_prefix(sim, sim->stcap - 1),
		    (unsigned long long)stamped);
}
