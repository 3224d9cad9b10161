/*
 * simpolicy.c: where an evicted page goes under each of gmssim's policies,
 * driving the pure core of directories/epoch.h (see sim.h).
 *
 * The victim of a fault follows GMS-REFERENCE.md section 2: a node that
 * holds global pages gives up its oldest global page (cases 1 and 3),
 * otherwise its least recently used local page (cases 2 and 3).  Then:
 *
 *   gms      epoch_evict under the node's installed plan: a victim older
 *            than MinAge is discarded, a younger one put to node j with
 *            probability w_j / M (the draw from the node's seeded
 *            epoch_rng); the receiver discards its own oldest page.  The
 *            epochs run as in gmsd (gms/replace.c): the initiator sends
 *            EPOCH_START to every live node, each answers with its summary,
 *            the initiator computes the plan (epoch_plan_compute, T and M
 *            from epoch_adapt) and broadcasts it; the plan's next
 *            initiator checks epoch_end_check every SIM_EPOCH_TICK_MS and
 *            on each putpage it receives, and starts the next epoch.
 *   nchance  N-chance forwarding (section 7): the faulting node evicts its
 *            least recently used page; a singlet is forwarded to a
 *            uniformly random live node with count N (epoch_nc_evict,
 *            epoch_nc_target), inserted there as if just used; the
 *            receiver's victim (epoch_nc_victim) is treated the same way,
 *            so a recirculating page is forwarded until its count is out.
 *   local    the victim goes to disk.
 *   ideal    exact global LRU with perfect, instant knowledge: if any node
 *            has a free frame the victim moves there (the faulted page's
 *            former holder first, as in cases 1 and 2); otherwise the
 *            globally least recently used page leaves the cluster and the
 *            victim takes its frame (case 3).  Moves are made at once;
 *            their messages are sent for their cost only.
 */
#include <stdlib.h>
#include <string.h>

#include "gms/log.h"
#include "gms/xmalloc.h"

#include "experiments/sim/sim.h"

#define SIM_PLAN_BYTES(n)	(SIM_MSG_BYTES + 24 + 12 * (n)) /* bytes */

/* One computed plan and the parameters it was made with. */
struct sim_epoch {
	struct epoch_plan	*plan;
	struct epoch_params	 params;
	uint64_t		 at;	/* ns: computed */
	uint32_t		 init;	/* its initiator */
};

struct sim_sumwalk {
	struct epoch_summary	*s;
	uint64_t		 now;	/* ticks */
};

static struct pfd_page *simpol_victim(struct sim_node *);
static void	 simpol_gms_room(struct sim *, struct sim_node *);
static void	 simpol_nc_evict(struct sim *, struct sim_node *,
		    struct pfd_page *);
static struct pfd_page *simpol_nc_victim(struct sim *, struct sim_node *);
static void	 simpol_ideal_move(struct sim *, struct sim_node *,
		    struct pfd_page *, uint32_t);
static void	 simpol_ideal_room(struct sim *, struct sim_node *, uint32_t);
static const struct epoch_plan *simpol_plan(struct sim *, struct sim_node *);
static int	 simpol_sum_page(struct pfd_page *, void *);
static void	 simpol_summary(struct sim *, struct sim_node *,
		    struct epoch_summary *);
static void	 simpol_begin(struct sim *, uint32_t, enum epoch_end);
static uint64_t	 simpol_m_cap(struct sim *, uint64_t);
static void	 simpol_decide(struct sim *);
static void	 simpol_install(struct sim *, struct sim_node *, uint32_t);
static uint32_t	 simpol_ender(struct sim *);
static void	 simpol_check_end(struct sim *, struct sim_node *);

const char *
simpol_name(enum sim_policy p)
{
	switch (p) {
	case SIM_GMS:
		return "gms";
	case SIM_NCHANCE:
		return "nchance";
	case SIM_LOCAL:
		return "local";
	case SIM_IDEAL:
		return "ideal";
	}
	return "?";
}

int
simpol_parse(const char *s, enum sim_policy *p)
{
	enum sim_policy	i;

	for (i = SIM_GMS; i <= SIM_IDEAL; i++) {
		if (strcmp(s, simpol_name(i)) == 0) {
			*p = i;
			return 0;
		}
	}
	return -1;
}

/* Section 2: a global page if the node holds any, else its LRU local. */
static struct pfd_page *
simpol_victim(struct sim_node *n)
{
	struct pfd_page	*pg = pfd_oldest(n->pfd, PFD_KGLOBAL, 0);

	return pg != NULL ? pg : pfd_oldest(n->pfd, PFD_KLOCAL, 0);
}

void
simpol_make_room(struct sim *sim, struct sim_node *n, uint32_t src)
{
	switch (sim->cfg.policy) {
	case SIM_GMS:
		simpol_gms_room(sim, n);
		break;
	case SIM_NCHANCE:
		simpol_nc_evict(sim, n, pfd_oldest(n->pfd, PFD_KANY, 0));
		break;
	case SIM_LOCAL:
		sim_evict(sim, n, pfd_oldest(n->pfd, PFD_KLOCAL, 0));
		break;
	case SIM_IDEAL:
		simpol_ideal_room(sim, n, src);
		break;
	}
}

static const struct epoch_plan *
simpol_plan(struct sim *sim, struct sim_node *n)
{
	return n->ep != 0 ? sim->ep[n->ep].plan : sim->noplan;
}

/* Section 4: discard if older than MinAge, else a weighted-random node. */
static void
simpol_gms_room(struct sim *sim, struct sim_node *n)
{
	struct pfd_page		*pg = simpol_victim(n);
	enum epoch_verdict	 v;
	uint64_t		 age;
	uint32_t		 to;

	if (sim_copy_page(sim, n, pg) == NULL) {
		sim_drop_stale(sim, n, pg);
		return;
	}
	age = epoch_age_biased(pfd_age(pg, sim_now_tick(sim)),
	    pg->kind == PFD_GLOBAL, PFD_GLOBAL_AGE_BIAS);
	v = epoch_evict(simpol_plan(sim, n), n->id, age,
	    epoch_rng_next(&n->rng), &to);
	sim->eps.verdicts[v]++;
	sim->ep_replaced++;
	if (v == EPOCH_PUTPAGE && !sim_node(sim, to)->known_dead)
		sim_put(sim, n, pg, to, 0);
	else
		sim_evict(sim, n, pg);
}

/* N-chance: forward a singlet (every valid page here is one) or drop. */
static void
simpol_nc_evict(struct sim *sim, struct sim_node *n, struct pfd_page *pg)
{
	struct sim_page	*sp = sim_copy_page(sim, n, pg);
	unsigned int	 fwd;
	uint32_t	 to;

	if (sp == NULL) {
		sim_drop_stale(sim, n, pg);
		return;
	}
	if (epoch_nc_evict(1, sp->nc, EPOCH_NC_N, &fwd) == EPOCH_NC_FORWARD &&
	    (to = epoch_nc_target(sim->live, sim->nlive, n->id,
	    epoch_rng_next(&n->rng))) != 0) {
		sim_put(sim, n, pg, to, fwd);
		return;
	}
	sim_evict(sim, n, pg);
}

/*
 * The N-chance receiver's victim among its oldest global page (a
 * recirculating singlet, or a stale copy: a duplicate) and its oldest
 * local page (a singlet that is not recirculating): the oldest of each
 * class is all epoch_nc_victim needs to see.
 */
static struct pfd_page *
simpol_nc_victim(struct sim *sim, struct sim_node *n)
{
	struct epoch_nc_cand	 c[2];
	struct pfd_page		*pg[2];
	struct sim_page		*sp;
	uint64_t		 now = sim_now_tick(sim);
	size_t			 i, k = 0;
	ssize_t			 v;

	pg[0] = pfd_oldest(n->pfd, PFD_KGLOBAL, now);
	pg[1] = pfd_oldest(n->pfd, PFD_KLOCAL, now);
	for (i = 0; i < 2; i++) {
		if (pg[i] == NULL)
			continue;
		sp = sim_copy_page(sim, n, pg[i]);
		c[k].age = pfd_age(pg[i], now);
		c[k].singlet = sp != NULL;
		c[k].count = sp != NULL ? sp->nc : 0;
		pg[k++] = pg[i];
	}
	v = epoch_nc_victim(c, k);
	if (v < 0)
		fatalx("simpol_nc_victim: node %u is full of nothing", n->id);
	return pg[v];
}

/* Ideal: move a valid page to node to at once (a putpage for its cost). */
static void
simpol_ideal_move(struct sim *sim, struct sim_node *n, struct pfd_page *pg,
    uint32_t to)
{
	struct sim_page	*sp = sim_copy_page(sim, n, pg);
	struct sim_msg	*m;
	uint64_t	 last_ref = pg->last_ref;

	if (pg->flags & PFD_DIRTY)
		(void)sim_disk_io(sim, n, sp->pgno, 1);
	sim_mem_remove(sim, n, pg);
	sp->gen++;
	n->st.puts_sent++;
	m = sim_msg_new(SIM_M_MOVE, n->id, to);
	m->owner = sp->owner;
	m->pgno = sp->pgno;
	sim_send(sim, m, SIM_MSG_BYTES + sim->cfg.page_size);
	if (m->lost || !sim_node(sim, to)->alive) {
		sp->where = SP_DISK;
		sim_age_del(sim, sp);
		sim->lost_pages++;
		return;
	}
	sim_node(sim, to)->st.puts_recv++;
	sim_mem_insert(sim, sim_node(sim, to), sp, PFD_GLOBAL, 0, last_ref);
}

static void
simpol_ideal_room(struct sim *sim, struct sim_node *n, uint32_t src)
{
	struct pfd_page	*pg = simpol_victim(n);
	struct sim_page	*z;
	struct sim_node	*r;
	uint32_t	 to = 0;

	if (sim_copy_page(sim, n, pg) == NULL) {
		sim_drop_stale(sim, n, pg);
		return;
	}
	if (src != 0 && sim_node(sim, src)->alive &&
	    pfd_nfree(sim_node(sim, src)->pfd) > 0)
		to = src;
	else if (sim->nfreeset > 0)
		to = sim->freeset[0];
	if (to != 0) {		/* free memory somewhere: nothing leaves */
		simpol_ideal_move(sim, n, pg, to);
		return;
	}
	if ((z = sim_age_oldest(sim)) == NULL || z->where != SP_MEM)
		fatalx("simpol_ideal_room: the oldest page is not in memory");
	r = sim_node(sim, z->holder);
	sim_evict(sim, r, z->pg);
	if (r != n)
		simpol_ideal_move(sim, n, pg, r->id);
}

/* A putpage arrives (gms or nchance): make room, keep the page. */
void
simpol_put_arrive(struct sim *sim, struct sim_node *r, struct sim_msg *m)
{
	struct sim_page	*sp = sim_page_find(sim, m->owner, m->pgno);
	struct pfd_page	*old;
	struct uid	 u;

	if (sp->where != SP_PUT || sp->holder != r->id || sp->gen != m->gen)
		return;		/* the owner took it back meanwhile */
	memset(&u, 0, sizeof u);
	u.node = m->owner;
	u.space = SIM_SPACE;
	u.pgno = m->pgno;
	if ((old = pfd_lookup(r->pfd, &u)) != NULL)
		sim_drop_stale(sim, r, old);
	if (pfd_nfree(r->pfd) == 0) {
		if (sim->cfg.policy == SIM_NCHANCE)
			simpol_nc_evict(sim, r, simpol_nc_victim(sim, r));
		else
			sim_evict(sim, r, pfd_oldest(r->pfd, PFD_KANY, 0));
	}
	if (sim->cfg.policy == SIM_NCHANCE)	/* as if just used */
		sim_mem_insert(sim, r, sp, PFD_GLOBAL, 0, sim_now_tick(sim));
	else					/* it carries its age */
		sim_mem_insert(sim, r, sp, PFD_GLOBAL, 0, m->last_ref);
	r->received++;
	if (sim->cfg.policy == SIM_GMS && simpol_ender(sim) == r->id)
		simpol_check_end(sim, r);
}

void
simpol_start(struct sim *sim)
{
	switch (sim->cfg.policy) {
	case SIM_GMS:
		sim->noplan = epoch_plan_create();
		simpol_begin(sim, sim_lowest_live(sim), EPOCH_END_TIME);
		sim_schedule(sim, sim->now + SIM_EPOCH_TICK_MS * SIM_NS_PER_MS,
		    SIM_E_TICK, 0, 0, NULL);
		break;
	default:
		sim_window_start(sim);
		sim_schedule(sim, sim->now + sim->cfg.window_ms *
		    SIM_NS_PER_MS, SIM_E_WINDOW, 0, 0, NULL);
		break;
	}
}

void
simpol_free(struct sim *sim)
{
	uint32_t	i;

	for (i = 1; i <= sim->nep; i++)
		epoch_plan_free(sim->ep[i].plan);
	free(sim->ep);
	epoch_plan_free(sim->noplan);
}

static int
simpol_sum_page(struct pfd_page *pg, void *arg)
{
	struct sim_sumwalk	*w = arg;

	epoch_summary_add(w->s, pfd_age(pg, w->now), pg->kind == PFD_GLOBAL,
	    PFD_GLOBAL_AGE_BIAS);
	return 0;
}

/* A node's age summary now (as gmsd's replace_summary). */
static void
simpol_summary(struct sim *sim, struct sim_node *n, struct epoch_summary *s)
{
	struct sim_sumwalk	w;

	epoch_summary_init(s, n->id, pfd_nfree(n->pfd));
	w.s = s;
	w.now = sim_now_tick(sim);
	pfd_foreach(n->pfd, simpol_sum_page, &w);
}

/* The initiator asks every live node for its summary. */
static void
simpol_begin(struct sim *sim, uint32_t init, enum epoch_end why)
{
	struct sim_msg	*m;
	size_t		 i;

	sim->coll = 1;
	sim->coll_init = init;
	sim->coll_ep = sim->nep + 1;
	sim->coll_why = why;
	sim->nsums = 0;
	sim->waiting = 0;
	simpol_summary(sim, sim_node(sim, init), &sim->sums[sim->nsums++]);
	for (i = 0; i < sim->nlive; i++) {
		if (sim->live[i] == init)
			continue;
		m = sim_msg_new(SIM_M_EP_START, init, sim->live[i]);
		m->id = sim->coll_ep;
		sim_send(sim, m, SIM_MSG_BYTES);
		sim->waiting++;
	}
	if (sim->waiting == 0) {
		simpol_decide(sim);
		return;
	}
	sim_schedule(sim, sim->now + SIM_COLLECT_MS * SIM_NS_PER_MS,
	    SIM_E_COLLECT, 0, sim->coll_ep, NULL);
}

void
simpol_collect_timeout(struct sim *sim, uint32_t ep)
{
	if (!sim->coll || sim->coll_ep != ep)
		return;
	if (!sim_node(sim, sim->coll_init)->alive) {
		sim->coll = 0;	/* the initiator died: the grace rule */
		return;
	}
	simpol_decide(sim);
}

/*
 * M for the plan, at most --m-cap-pct of the frames the summaries cover
 * (default 100: the core as gmsd drives it).  The core takes the M oldest
 * pages of the cluster, free frames first.  When M is a large part of a
 * small cluster's memory, MinAge falls to the age of pages in use and
 * epoch_evict discards victims while other nodes have free frames: two
 * nodes of 100 frames, one with uniform(150), discard 92 % of their
 * victims (6157 disk reads); with --m-cap-pct 25 none (150, the cold
 * misses).  In clusters of thousands of frames M stays well below the cap.
 */
static uint64_t
simpol_m_cap(struct sim *sim, uint64_t m)
{
	uint64_t	frames = 0, cap;
	size_t		i;

	for (i = 0; i < sim->nsums; i++)
		frames += sim->sums[i].nfree +
		    epoch_summary_pages(&sim->sums[i]);
	cap = frames * sim->cfg.m_cap_pct / 100;
	if (cap == 0)
		cap = 1;
	return m < cap ? m : cap;
}

/*
 * The initiator has the summaries (or waited long enough): T and M from
 * how the last epoch went, the plan, and its broadcast.  The epoch is a
 * measurement window too.
 */
static void
simpol_decide(struct sim *sim)
{
	struct epoch_outcome	 out;
	struct epoch_params	 params;
	struct sim_epoch	*e, *prev = sim->nep ? &sim->ep[sim->nep] : NULL;
	uint64_t		 min_idle = sim->cfg.min_idle_ms *
				    (SIM_NS_PER_MS / SIM_NS_PER_TICK);
	struct sim_msg		*m;
	size_t			 i;

	sim->coll = 0;
	epoch_params_default(&params);
	if (prev != NULL) {
		memset(&out, 0, sizeof out);
		out.why = sim->coll_why;
		out.elapsed_ms = (sim->now - prev->at) / SIM_NS_PER_MS;
		out.replaced = sim->ep_replaced;
		out.idle_pages = epoch_idle_pages(sim->sums, sim->nsums,
		    min_idle);
		epoch_adapt(&prev->params, &out, &params);
		sim->eps.why[sim->coll_why]++;
	}
	if (sim->nep + 2 > sim->capep) {
		sim->capep = sim->capep ? sim->capep * 2 : 64;
		sim->ep = xreallocarray(sim->ep, sim->capep, sizeof *sim->ep);
	}
	params.m = simpol_m_cap(sim, params.m);
	e = &sim->ep[++sim->nep];
	e->plan = epoch_plan_create();
	e->params = params;
	e->at = sim->now;
	e->init = sim->coll_init;
	if (epoch_plan_compute(e->plan, sim->sums, sim->nsums,
	    sim->nlive > 1 ? params.m : 0, min_idle) == -1)
		fatal("simpol_decide: epoch_plan_compute");
	sim->eps.run++;
	sim->eps.t_ms_sum += params.t_ms;
	sim->eps.m_sum += params.m;
	sim->ep_replaced = 0;
	simpol_install(sim, sim_node(sim, e->init), sim->nep);
	for (i = 0; i < sim->nlive; i++) {
		if (sim->live[i] == e->init)
			continue;
		m = sim_msg_new(SIM_M_EP_PLAN, e->init, sim->live[i]);
		m->id = sim->nep;
		sim_send(sim, m, SIM_PLAN_BYTES(epoch_plan_nnodes(e->plan)));
	}
	sim_window_start(sim);
}

static void
simpol_install(struct sim *sim, struct sim_node *n, uint32_t ep)
{
	if (ep <= n->ep)
		return;
	n->ep = ep;
	n->ep_at = sim->now;
	n->received = 0;
}

void
simpol_msg(struct sim *sim, struct sim_node *n, struct sim_msg *m)
{
	struct sim_msg	*r;

	switch (m->type) {
	case SIM_M_EP_START:
		r = sim_msg_new(SIM_M_EP_SUMMARY, n->id, m->src);
		r->id = m->id;
		r->sum = xmalloc(sizeof *r->sum);
		simpol_summary(sim, n, r->sum);
		sim_send(sim, r, SIM_MSG_BYTES + EPOCH_SUMMARY_BYTES);
		break;
	case SIM_M_EP_SUMMARY:
		if (!sim->coll || sim->coll_init != n->id ||
		    sim->coll_ep != m->id)
			break;
		sim->sums[sim->nsums++] = *m->sum;
		if (--sim->waiting == 0)
			simpol_decide(sim);
		break;
	case SIM_M_EP_PLAN:
		simpol_install(sim, n, (uint32_t)m->id);
		break;
	default:
		break;
	}
}

/* The node that ends the current epoch: the plan's next initiator. */
static uint32_t
simpol_ender(struct sim *sim)
{
	uint32_t	j;

	if (sim->nep == 0 || sim->coll)
		return 0;
	j = epoch_plan_next(sim->ep[sim->nep].plan);
	if (j == 0 || sim_node(sim, j)->known_dead)
		j = sim_lowest_live(sim);
	return j;
}

/* The ender asks the core whether the epoch is over (as gmsd's tick). */
static void
simpol_check_end(struct sim *sim, struct sim_node *n)
{
	const struct epoch_plan	*plan = sim->ep[sim->nep].plan;
	struct epoch_progress	 pr;
	struct pfd_page		*old;
	uint64_t		 now = sim_now_tick(sim);
	enum epoch_end		 why;

	if (!n->alive || n->ep != sim->nep)
		return;
	memset(&pr, 0, sizeof pr);
	pr.elapsed_ms = (sim->now - n->ep_at) / SIM_NS_PER_MS;
	pr.replaced = sim->ep_replaced;
	pr.received = n->received;
	pr.weight = epoch_plan_weight(plan, n->id);
	old = pfd_oldest(n->pfd, PFD_KANY, now);
	pr.oldest = pfd_nfree(n->pfd) > 0 ? EPOCH_AGE_FREE : old == NULL ? 0 :
	    epoch_age_biased(pfd_age(old, now), old->kind == PFD_GLOBAL,
	    PFD_GLOBAL_AGE_BIAS);
	pr.minage = epoch_plan_minage(plan);
	if ((why = epoch_end_check(&sim->ep[sim->nep].params, &pr)) !=
	    EPOCH_RUNNING)
		simpol_begin(sim, n->id, why);
}

/*
 * Every SIM_EPOCH_TICK_MS: the ender checks; if no epoch has started
 * within T + SIM_GRACE_MS of the last plan (the ender died or never got
 * the plan), the lowest live node starts one.
 */
void
simpol_tick(struct sim *sim)
{
	struct sim_epoch	*e;
	struct sim_node		*low;
	uint32_t		 j;

	sim_schedule(sim, sim->now + SIM_EPOCH_TICK_MS * SIM_NS_PER_MS,
	    SIM_E_TICK, 0, 0, NULL);
	if (sim->coll || sim->nlive == 0)
		return;
	low = sim_node(sim, sim_lowest_live(sim));
	if (sim->nep == 0) {
		if (low->alive)
			simpol_begin(sim, low->id, EPOCH_END_TIME);
		return;
	}
	if ((j = simpol_ender(sim)) != 0)
		simpol_check_end(sim, sim_node(sim, j));
	e = &sim->ep[sim->nep];
	if (!sim->coll && low->alive &&
	    sim->now - e->at > (e->params.t_ms + SIM_GRACE_MS) * SIM_NS_PER_MS)
		simpol_begin(sim, low->id, EPOCH_END_TIME);
}
