/*
 * replace.c: epoch-based global replacement in gmsd (GMS-REFERENCE.md
 * section 4), driving the pure core of directories/epoch.c.
 *
 * The initiator of an epoch asks every member for a summary of its page
 * ages (EPOCH_START -> EPOCH_SUMMARY), computes MinAge and the weights,
 * and broadcasts the plan (EPOCH_PLAN).  During the epoch a node's victim
 * older than MinAge is discarded (written back first if dirty), a younger
 * one goes to node j with probability w_j / M.  The plan names the next
 * initiator (the node with the largest weight): it starts the next epoch
 * when epoch_end_check says this one is over.  If it does not (it died,
 * or the plan did not reach it), the members take over in id order: the
 * member of rank r (0 for the lowest id) starts an epoch once
 * T + (r + 1) * REPLACE_GRACE_MS have passed since the last plan.  Nodes
 * do not watch each other's liveness (only the master hears heartbeats),
 * so a dead lower-ranked member just passes the turn on: a new plan is in
 * force at most T + (r + 1) * REPLACE_GRACE_MS + REPLACE_TICK_MS +
 * REPLACE_COLLECT_MS after the last one, where r is the rank of the
 * lowest-ranked live member (2.9 s past T when it is the second lowest,
 * the master of a cluster being the lowest).
 */
#include <sys/random.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directories/epoch.h"
#include "gms/log.h"
#include "gms/node.h"
#include "gms/xmalloc.h"

#define REPLACE_TICK_MS		100	/* how often the end is checked */
#define REPLACE_COLLECT_MS	300	/* longest wait for summaries */
#define REPLACE_GRACE_MS	1250	/* per rank, before a member takes over */
#define REPLACE_MIN_IDLE_AGE	1000	/* ms: younger pages are in use, not idle */

struct replace {
	struct epoch_plan	*plan;
	int			 have_plan;
	uint32_t		 epoch;		/* of the installed plan */
	uint64_t		 plan_at;	/* when it was installed */
	struct epoch_params	 params;	/* its T and M */
	uint64_t		 received;	/* putpages taken this epoch */
	uint64_t		 sent;		/* putpages and discards made */
	struct epoch_rng	 rng;
	struct event		*tick;
	/* as initiator: the summaries of the epoch being started */
	int			 collecting;
	uint32_t		 coll_epoch;
	struct epoch_summary	 sums[POD_MAX_MEMBERS];
	int			 nsums, waiting;
	struct event		*coll_timer;
	uint64_t		 coll_replaced;	/* the last epoch's outcome */
	enum epoch_end		 coll_why;
	uint64_t		 started, installed;
};

struct summary_walk {
	struct node		*n;
	struct epoch_summary	*s;
	uint64_t		 now;
};

static int
replace_add_page(struct pfd_page *pg, void *arg)
{
	struct summary_walk	*w = arg;

	epoch_summary_add(w->s, pager_age(w->n, pg, w->now),
	    pg->kind == PFD_GLOBAL, PFD_GLOBAL_AGE_BIAS);
	return 0;
}

/* This node's age summary, now. */
static void
replace_summary(struct node *n, struct epoch_summary *s)
{
	struct summary_walk	w;

	epoch_summary_init(s, n->id, pager_nfree_idle(n));
	w.n = n;
	w.s = s;
	w.now = node_now_ms();
	pfd_foreach(n->pfd, replace_add_page, &w);
}

static void
replace_install(struct node *n, uint32_t epoch, uint64_t t_ms)
{
	struct replace	*rp = n->replace;

	rp->have_plan = 1;
	n->plans++;		/* full members may take pages again */
	rp->epoch = epoch;
	rp->plan_at = node_now_ms();
	rp->params.t_ms = t_ms;
	rp->received = 0;
	rp->sent = 0;
	rp->installed++;
	log_debug("epoch %u: MinAge %llu, M %llu, my weight %llu, next "
	    "initiator %u, T %llu ms", epoch,
	    (unsigned long long)epoch_plan_minage(rp->plan),
	    (unsigned long long)epoch_plan_m(rp->plan),
	    (unsigned long long)epoch_plan_weight(rp->plan, n->id),
	    epoch_plan_next(rp->plan), (unsigned long long)t_ms);
}

/* The initiator: every summary is in (or the wait is over): decide. */
static void
replace_decide(struct node *n)
{
	struct replace		*rp = n->replace;
	struct epoch_outcome	 out;
	struct epoch_params	 next;
	struct sockaddr_in	 to;
	struct msg		 m;
	uint64_t		 w;
	size_t			 i;
	int			 k;

	rp->collecting = 0;
	if (rp->coll_timer != NULL)
		evtimer_del(rp->coll_timer);
	memset(&out, 0, sizeof out);
	out.why = rp->coll_why;
	out.elapsed_ms = rp->have_plan ? node_now_ms() - rp->plan_at : 0;
	out.replaced = rp->coll_replaced;
	out.idle_pages = epoch_idle_pages(rp->sums, (size_t)rp->nsums,
	    REPLACE_MIN_IDLE_AGE);
	next = rp->params;
	if (rp->have_plan)
		epoch_adapt(&rp->params, &out, &next);
	rp->params = next;
	if (epoch_plan_compute(rp->plan, rp->sums, (size_t)rp->nsums,
	    pod_nmembers(n->pod) > 1 ? next.m : 0, REPLACE_MIN_IDLE_AGE) == -1)
		return;
	memset(&m, 0, sizeof m);
	m.type = MSG_EPOCH_PLAN;
	m.u.epoch_plan.epoch = rp->coll_epoch;
	m.u.epoch_plan.minage = epoch_plan_minage(rp->plan);
	m.u.epoch_plan.m = (uint32_t)epoch_plan_m(rp->plan);
	m.u.epoch_plan.next = epoch_plan_next(rp->plan);
	m.u.epoch_plan.t_ms = (uint32_t)next.t_ms;
	m.u.epoch_plan.idle = (uint8_t)epoch_plan_idle(rp->plan);
	for (i = 0; i < epoch_plan_nnodes(rp->plan) && i < POD_MAX_MEMBERS;
	    i++) {
		m.u.epoch_plan.weights[i].node = epoch_plan_node(rp->plan, i,
		    &w);
		m.u.epoch_plan.weights[i].weight = (uint32_t)w;
	}
	m.u.epoch_plan.nweights = (uint16_t)i;
	replace_install(n, rp->coll_epoch, next.t_ms);
	for (k = 0; k < pod_nmembers(n->pod); k++) {
		const struct pod_member *pm = pod_member_at(n->pod, k);

		if (pm->id == n->id)
			continue;
		net_addr(&to, pm->addr, pm->port);
		net_request(n->net, &to, &m, 2, 100, NULL, NULL);
	}
}

static void
replace_collect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct node	*n = arg;

	(void)fd;
	(void)what;
	if (n->replace->collecting)
		replace_decide(n);
}

static void
replace_summary_in(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct node			*n = arg;
	struct replace			*rp = n->replace;
	const struct msg_epoch_summary	*es;
	struct epoch_summary		*s;
	int				 i;

	(void)net;
	(void)from;
	if (!rp->collecting)
		return;
	if (r != NULL && r->type == MSG_EPOCH_SUMMARY &&
	    r->u.epoch_summary.epoch == rp->coll_epoch &&
	    rp->nsums < POD_MAX_MEMBERS &&
	    pod_find(n->pod, r->sender) != NULL) {
		es = &r->u.epoch_summary;
		s = &rp->sums[rp->nsums++];
		epoch_summary_init(s, r->sender, es->nfree);
		for (i = 0; i < es->nbuckets; i++)
			s->count[es->buckets[i].bucket] = es->buckets[i].count;
	}
	if (--rp->waiting <= 0)
		replace_decide(n);
}

/* Start an epoch: ask every member for its summary. */
static void
replace_start(struct node *n, enum epoch_end why)
{
	struct replace		*rp = n->replace;
	struct sockaddr_in	 to;
	struct msg		 m;
	struct timeval		 tv;
	int			 k;

	rp->collecting = 1;
	rp->coll_epoch = rp->epoch + 1;
	rp->coll_why = why;
	rp->coll_replaced = rp->sent + rp->received;
	rp->nsums = 0;
	rp->waiting = 0;
	rp->started++;
	replace_summary(n, &rp->sums[rp->nsums++]);
	memset(&m, 0, sizeof m);
	m.type = MSG_EPOCH_START;
	m.u.epoch_start.epoch = rp->coll_epoch;
	m.u.epoch_start.m = (uint32_t)rp->params.m;
	m.u.epoch_start.t_ms = (uint32_t)rp->params.t_ms;
	for (k = 0; k < pod_nmembers(n->pod); k++) {
		const struct pod_member *pm = pod_member_at(n->pod, k);

		if (pm->id == n->id || (pm->flags & POD_MLEAVING))
			continue;
		net_addr(&to, pm->addr, pm->port);
		rp->waiting++;
		net_request(n->net, &to, &m, 2, 100, replace_summary_in, n);
	}
	if (rp->waiting == 0) {
		replace_decide(n);
		return;
	}
	tv.tv_sec = 0;
	tv.tv_usec = REPLACE_COLLECT_MS * 1000;
	evtimer_add(rp->coll_timer, &tv);
}

/* Is it this node's turn to start the next epoch, and is it time? */
static void
replace_tick(evutil_socket_t fd, short what, void *arg)
{
	struct node		*n = arg;
	struct replace		*rp = n->replace;
	struct epoch_progress	 pr;
	struct pfd_page		*old;
	uint64_t		 now = node_now_ms(), since;
	enum epoch_end		 why;
	uint32_t		 next;
	int			 rank;

	(void)fd;
	(void)what;
	if (n->policy != POLICY_GMS || n->state != NS_MEMBER ||
	    rp->collecting || pod_nmembers(n->pod) == 0)
		return;
	for (rank = 0; rank < pod_nmembers(n->pod); rank++)
		if (pod_member_at(n->pod, rank)->id == n->id)
			break;
	if (!rp->have_plan) {
		if (n->is_master)
			replace_start(n, EPOCH_END_TIME);
		return;
	}
	since = now - rp->plan_at;
	next = epoch_plan_next(rp->plan);
	if (next != n->id) {
		if (since > rp->params.t_ms +
		    (uint64_t)(rank + 1) * REPLACE_GRACE_MS) {
			log_info("epoch %u: no new epoch for %llu ms; starting "
			    "one", rp->epoch, (unsigned long long)since);
			replace_start(n, EPOCH_END_TIME);
		}
		return;
	}
	memset(&pr, 0, sizeof pr);
	pr.elapsed_ms = since;
	pr.replaced = rp->sent + rp->received;
	pr.received = rp->received;
	pr.weight = epoch_plan_weight(rp->plan, n->id);
	old = pfd_oldest(n->pfd, PFD_KANY, now);
	pr.oldest = pager_nfree_idle(n) > 0 ? EPOCH_AGE_FREE : old == NULL ? 0 :
	    epoch_age_biased(pager_age(n, old, now), old->kind == PFD_GLOBAL,
	    PFD_GLOBAL_AGE_BIAS);
	pr.minage = epoch_plan_minage(rp->plan);
	if ((why = epoch_end_check(&rp->params, &pr)) != EPOCH_RUNNING)
		replace_start(n, why);
}

void
replace_init(struct node *n)
{
	struct replace	*rp;
	struct timeval	 tv;
	uint64_t	 seed;

	rp = xcalloc(1, sizeof *rp);
	n->replace = rp;
	rp->plan = epoch_plan_create();
	epoch_params_default(&rp->params);
	if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
		fatal("getrandom");
	epoch_rng_seed(&rp->rng, seed);
	rp->coll_timer = evtimer_new(n->base, replace_collect_timeout, n);
	rp->tick = event_new(n->base, -1, EV_PERSIST, replace_tick, n);
	tv.tv_sec = 0;
	tv.tv_usec = REPLACE_TICK_MS * 1000;
	event_add(rp->tick, &tv);
}

void
replace_free(struct node *n)
{
	struct replace	*rp = n->replace;

	if (rp == NULL)
		return;
	event_free(rp->tick);
	event_free(rp->coll_timer);
	epoch_plan_free(rp->plan);
	free(rp);
	n->replace = NULL;
}

/* EPOCH_START (answer with our summary) and EPOCH_PLAN (install it). */
void
replace_handle(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct replace			*rp = n->replace;
	const struct msg_epoch_plan	*p = &m->u.epoch_plan;
	struct epoch_summary		 s;
	struct msg			 r;
	uint32_t			 ids[POD_MAX_MEMBERS];
	uint64_t			 w[POD_MAX_MEMBERS];
	int				 i, k = 0;

	memset(&r, 0, sizeof r);
	if (m->type == MSG_EPOCH_START) {
		replace_summary(n, &s);
		r.type = MSG_EPOCH_SUMMARY;
		r.u.epoch_summary.epoch = m->u.epoch_start.epoch;
		r.u.epoch_summary.nfree = s.nfree;
		for (i = 0; i < EPOCH_NBUCKETS; i++) {
			if (s.count[i] == 0)
				continue;
			r.u.epoch_summary.buckets[k].bucket = (uint16_t)i;
			r.u.epoch_summary.buckets[k++].count = s.count[i];
		}
		r.u.epoch_summary.nbuckets = (uint16_t)k;
		net_reply(n->net, from, m->sender, m->reqid, &r);
		return;
	}
	r.type = MSG_ACK;
	net_reply(n->net, from, m->sender, m->reqid, &r);
	if (rp->have_plan && p->epoch <= rp->epoch)
		return;		/* an old or repeated plan */
	for (i = 0; i < p->nweights; i++) {
		ids[i] = p->weights[i].node;
		w[i] = p->weights[i].weight;
	}
	if (epoch_plan_set(rp->plan, p->idle ? p->minage : 0, ids, w,
	    (size_t)p->nweights) == -1) {
		log_warnx("epoch %u: node %u sent an inconsistent plan",
		    p->epoch, m->sender);
		return;
	}
	if (epoch_plan_next(rp->plan) != p->next)
		log_debug("epoch %u: the plan names %u next, its weights %u",
		    p->epoch, p->next, epoch_plan_next(rp->plan));
	rp->params.m = p->m;
	replace_install(n, p->epoch, p->t_ms);
}

/*
 * Where an evicted page goes: 0 to discard it (older than MinAge, or no
 * idle memory elsewhere), else the node to put it to; -1 when there is no
 * plan yet (the caller's default applies).
 */
int64_t
replace_target(struct node *n, const struct pfd_page *pg)
{
	struct replace		*rp = n->replace;
	enum epoch_verdict	 v;
	uint32_t		 target = 0;
	uint64_t		 age;

	if (rp == NULL || !rp->have_plan || n->policy != POLICY_GMS)
		return -1;
	age = epoch_age_biased(pager_age(n, pg, node_now_ms()),
	    pg->kind == PFD_GLOBAL, PFD_GLOBAL_AGE_BIAS);
	v = epoch_evict(rp->plan, n->id, age, epoch_rng_next(&rp->rng),
	    &target);
	rp->sent++;
	if (v == EPOCH_PUTPAGE && node_is_full(n, target) &&
	    (target = member_pick_target(n, target)) != 0)
		n->st.put_redirected++;	/* backpressure: another one */
	if (v != EPOCH_PUTPAGE || target == 0 ||
	    pod_find(n->pod, target) == NULL || node_is_suspect(n, target)) {
		n->st.epoch_discards++;
		return 0;
	}
	n->st.epoch_puts++;
	return target;
}

void
replace_note_received(struct node *n)
{
	if (n->replace != NULL)
		n->replace->received++;
}

/* The epoch as JSON fields (no braces), for gmsctl status. */
int
replace_status(struct node *n, char *buf, size_t len)
{
	struct replace	*rp = n->replace;

	if (rp == NULL || !rp->have_plan)
		return snprintf(buf, len, "\"epoch\":0");
	return snprintf(buf, len, "\"epoch\":%u,\"epoch_age_ms\":%llu,"
	    "\"minage_ms\":%llu,\"epoch_m\":%llu,\"epoch_weight\":%llu,"
	    "\"epoch_next\":%u,\"epoch_t_ms\":%llu,\"epoch_idle\":%s,"
	    "\"epochs_started\":%llu,\"epoch_received\":%llu",
	    rp->epoch, (unsigned long long)(node_now_ms() - rp->plan_at),
	    (unsigned long long)epoch_plan_minage(rp->plan),
	    (unsigned long long)epoch_plan_m(rp->plan),
	    (unsigned long long)epoch_plan_weight(rp->plan, n->id),
	    epoch_plan_next(rp->plan), (unsigned long long)rp->params.t_ms,
	    epoch_plan_idle(rp->plan) ? "true" : "false",
	    (unsigned long long)rp->started,
	    (unsigned long long)rp->received);
}
