/*
 * epoch.c: the replacement policy core (GMS-REFERENCE.md sections 4 and 7).
 *
 * The plan keeps its nodes sorted by id with running sums of the weights,
 * so a weighted-random target is one binary search.  All arithmetic is on
 * integers (128-bit where a product may overflow), so every node and every
 * simulator run computes the same plan from the same summaries.
 */
#include <errno.h>
#include <stdlib.h>

#include "gms/log.h"
#include "gms/xmalloc.h"

#include "directories/epoch.h"

#define EPOCH_HIST_FIRST_OCT	7	/* log2(EPOCH_HIST_LINEAR) */

_Static_assert(sizeof(struct epoch_summary) == EPOCH_SUMMARY_BYTES,
    "struct epoch_summary has padding");
_Static_assert(EPOCH_HIST_LINEAR == 1 << EPOCH_HIST_FIRST_OCT,
    "the exact buckets end where the first octave begins");
_Static_assert(EPOCH_HIST_FIRST_OCT + EPOCH_HIST_OCTAVES == 32,
    "the histogram spans 32-bit ages");

typedef unsigned __int128 u128;

struct epoch_node {
	uint32_t	id;
	uint64_t	w;
	uint64_t	cum;	/* weights of this node and those before it */
};

struct epoch_plan {
	struct epoch_node	*nodes;		/* ascending id */
	size_t			 n;
	size_t			 cap;
	uint64_t		 minage;
	uint64_t		 m;		/* sum of w */
	uint64_t		 idle_pages;
	uint32_t		 next;
	int			 idle;
};

/* A node's share of a split, for largest-remainder rounding. */
struct epoch_rem {
	uint64_t	rem;
	size_t		i;	/* index in the plan: lower is lower id */
};

/* A summary's place in id order. */
struct epoch_ord {
	uint32_t	id;
	size_t		i;	/* index in the summary array */
};

static int	 epoch_cmp_ord(const void *, const void *);
static int	 epoch_cmp_rem(const void *, const void *);
static int	 epoch_order(const struct epoch_summary *, size_t,
		    struct epoch_ord *);
static void	 epoch_plan_reserve(struct epoch_plan *, size_t);
static void	 epoch_plan_finish(struct epoch_plan *);
static void	 epoch_split(uint64_t, const uint64_t *, size_t, uint64_t *);
static uint64_t	 epoch_take(const struct epoch_summary *,
		    const struct epoch_ord *, size_t, int, uint64_t,
		    uint64_t *, uint64_t *);
static ssize_t	 epoch_plan_find(const struct epoch_plan *, uint32_t);
static uint64_t	 epoch_muldiv(uint64_t, uint64_t, uint64_t);
static int	 epoch_nc_class(const struct epoch_nc_cand *);

unsigned int
epoch_bucket(uint64_t age)
{
	unsigned int	msb;

	if (age < EPOCH_HIST_LINEAR)
		return (unsigned int)age;
	msb = 63 - (unsigned int)__builtin_clzll(age);
	if (msb >= EPOCH_HIST_FIRST_OCT + EPOCH_HIST_OCTAVES)
		return EPOCH_NBUCKETS - 1;
	return EPOCH_HIST_LINEAR +
	    (msb - EPOCH_HIST_FIRST_OCT) * EPOCH_HIST_SUB +
	    (unsigned int)((age >> (msb - EPOCH_HIST_SUBBITS)) &
	    (EPOCH_HIST_SUB - 1));
}

uint64_t
epoch_bucket_lo(unsigned int b)
{
	unsigned int	oct, sub;

	if (b >= EPOCH_NBUCKETS)
		fatalx("epoch_bucket_lo: bucket %u", b);
	if (b < EPOCH_HIST_LINEAR)
		return b;
	oct = (b - EPOCH_HIST_LINEAR) / EPOCH_HIST_SUB + EPOCH_HIST_FIRST_OCT;
	sub = (b - EPOCH_HIST_LINEAR) % EPOCH_HIST_SUB;
	return (uint64_t)(EPOCH_HIST_SUB + sub) << (oct - EPOCH_HIST_SUBBITS);
}

/* The last bucket takes every age above its lower bound. */
uint64_t
epoch_bucket_hi(unsigned int b)
{
	if (b >= EPOCH_NBUCKETS)
		fatalx("epoch_bucket_hi: bucket %u", b);
	if (b == EPOCH_NBUCKETS - 1)
		return EPOCH_AGE_FREE - 1;
	return epoch_bucket_lo(b + 1) - 1;
}

uint64_t
epoch_age_biased(uint64_t age, int global, uint64_t bias)
{
	if (age >= EPOCH_AGE_FREE - 1)
		return EPOCH_AGE_FREE - 1;
	if (!global)
		return age;
	if (bias >= EPOCH_AGE_FREE - 1 - age)
		return EPOCH_AGE_FREE - 1;
	return age + bias;
}

void
epoch_summary_init(struct epoch_summary *s, uint32_t node, uint32_t nfree)
{
	unsigned int	b;

	s->node = node;
	s->nfree = nfree;
	for (b = 0; b < EPOCH_NBUCKETS; b++)
		s->count[b] = 0;
}

/* A bucket saturates rather than wraps; 2^32 pages do not fit a node. */
void
epoch_summary_add(struct epoch_summary *s, uint64_t age, int global,
    uint64_t bias)
{
	unsigned int	b = epoch_bucket(epoch_age_biased(age, global, bias));

	if (s->count[b] != UINT32_MAX)
		s->count[b]++;
}

void
epoch_summary_add_ages(struct epoch_summary *s, const uint64_t *ages,
    size_t n, int global, uint64_t bias)
{
	size_t	i;

	for (i = 0; i < n; i++)
		epoch_summary_add(s, ages[i], global, bias);
}

uint64_t
epoch_summary_pages(const struct epoch_summary *s)
{
	uint64_t	total = 0;
	unsigned int	b;

	for (b = 0; b < EPOCH_NBUCKETS; b++)
		total += s->count[b];
	return total;
}

uint64_t
epoch_idle_pages(const struct epoch_summary *sums, size_t n,
    uint64_t min_idle_age)
{
	unsigned int	b, b0 = epoch_bucket(min_idle_age);
	uint64_t	total = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		total += sums[i].nfree;
		for (b = b0; b < EPOCH_NBUCKETS; b++)
			total += sums[i].count[b];
	}
	return total;
}

struct epoch_plan *
epoch_plan_create(void)
{
	return xcalloc(1, sizeof(struct epoch_plan));
}

void
epoch_plan_free(struct epoch_plan *plan)
{
	if (plan == NULL)
		return;
	free(plan->nodes);
	free(plan);
}

static void
epoch_plan_reserve(struct epoch_plan *plan, size_t n)
{
	if (n <= plan->cap)
		return;
	plan->nodes = xreallocarray(plan->nodes, n, sizeof *plan->nodes);
	plan->cap = n;
}

/*
 * With the weights in place: the sum, the running sums, idle, and the next
 * initiator (largest weight, the first in id order among equals).
 */
static void
epoch_plan_finish(struct epoch_plan *plan)
{
	uint64_t	sum = 0, best = 0;
	size_t		i;

	plan->next = 0;
	for (i = 0; i < plan->n; i++) {
		sum += plan->nodes[i].w;
		plan->nodes[i].cum = sum;
		if (i == 0 || plan->nodes[i].w > best) {
			best = plan->nodes[i].w;
			plan->next = plan->nodes[i].id;
		}
	}
	plan->m = sum;
	plan->idle = sum > 0;
	if (!plan->idle)
		plan->minage = 0;
}

static int
epoch_cmp_ord(const void *a, const void *b)
{
	const struct epoch_ord	*x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/* Larger remainder first, then lower index (lower node id). */
static int
epoch_cmp_rem(const void *a, const void *b)
{
	const struct epoch_rem	*x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return 0;
}

/* Sort the summaries by node id into ord; -1 on an id of 0 or a repeat. */
static int
epoch_order(const struct epoch_summary *sums, size_t n, struct epoch_ord *ord)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		ord[i].id = sums[i].node;
		ord[i].i = i;
	}
	qsort(ord, n, sizeof *ord, epoch_cmp_ord);
	for (i = 0; i < n; i++) {
		if (ord[i].id == 0 || (i > 0 && ord[i].id == ord[i - 1].id))
			return -1;
	}
	return 0;
}

/*
 * Split need (<= the sum of c) among n nodes in proportion to c: each gets
 * the floor of its quota, and the pages left over go one each to the
 * largest remainders, ties to the lower index.  A node never gets more than
 * c[i]: only a non-zero remainder earns the extra page.
 */
static void
epoch_split(uint64_t need, const uint64_t *c, size_t n, uint64_t *w)
{
	struct epoch_rem	*r;
	uint64_t		 total = 0, given = 0;
	u128			 q;
	size_t			 i;

	for (i = 0; i < n; i++)
		total += c[i];
	if (need == 0 || total == 0)
		return;
	if (need > total)
		fatalx("epoch_split: %llu of %llu", (unsigned long long)need,
		    (unsigned long long)total);
	r = xcalloc(n, sizeof *r);
	for (i = 0; i < n; i++) {
		q = (u128)need * c[i];
		w[i] += (uint64_t)(q / total);
		given += (uint64_t)(q / total);
		r[i].rem = (uint64_t)(q % total);
		r[i].i = i;
	}
	if (given < need) {
		qsort(r, n, sizeof *r, epoch_cmp_rem);
		for (i = 0; given < need; i++, given++)
			w[r[i].i]++;
	}
	free(r);
}

/*
 * Take up to need pages from one bucket (b, or the free frames if b is
 * -1) of every node into w (id order), with c as scratch.  Returns how many
 * it took: all the bucket holds, or need, split by epoch_split, if the
 * bucket holds as many.
 */
static uint64_t
epoch_take(const struct epoch_summary *sums, const struct epoch_ord *ord,
    size_t n, int b, uint64_t need, uint64_t *c, uint64_t *w)
{
	uint64_t	total = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (b < 0)
			c[i] = sums[ord[i].i].nfree;
		else
			c[i] = sums[ord[i].i].count[b];
		total += c[i];
	}
	if (total >= need) {
		epoch_split(need, c, n, w);
		return need;
	}
	for (i = 0; i < n; i++)
		w[i] += c[i];
	return total;
}

int
epoch_plan_compute(struct epoch_plan *plan, const struct epoch_summary *sums,
    size_t n, uint64_t m, uint64_t min_idle_age)
{
	struct epoch_ord	*ord;
	uint64_t		*w, *c, avail, need;
	int			 b, b0 = (int)epoch_bucket(min_idle_age);
	size_t			 i;

	ord = xcalloc(n + 1, sizeof *ord);
	if (epoch_order(sums, n, ord) == -1) {
		free(ord);
		errno = EINVAL;
		return -1;
	}
	avail = epoch_idle_pages(sums, n, min_idle_age);
	need = m < avail ? m : avail;

	/* From the oldest: free frames, then buckets down to b0. */
	w = xcalloc(n + 1, sizeof *w);
	c = xcalloc(n + 1, sizeof *c);
	plan->minage = 0;
	if (need > 0) {
		need -= epoch_take(sums, ord, n, -1, need, c, w);
		plan->minage = EPOCH_AGE_FREE;
		for (b = EPOCH_NBUCKETS - 1; need > 0 && b >= b0; b--) {
			need -= epoch_take(sums, ord, n, b, need, c, w);
			plan->minage = epoch_bucket_lo((unsigned int)b);
		}
		if (need != 0)
			fatalx("epoch_plan_compute: %llu pages short",
			    (unsigned long long)need);
	}

	epoch_plan_reserve(plan, n);
	plan->n = n;
	for (i = 0; i < n; i++) {
		plan->nodes[i].id = ord[i].id;
		plan->nodes[i].w = w[i];
	}
	plan->idle_pages = avail;
	epoch_plan_finish(plan);
	free(c);
	free(w);
	free(ord);
	return 0;
}

int
epoch_plan_set(struct epoch_plan *plan, uint64_t minage,
    const uint32_t *nodes, const uint64_t *w, size_t n)
{
	struct epoch_ord	*ord;
	uint64_t		 sum = 0;
	size_t			 i;

	ord = xcalloc(n + 1, sizeof *ord);
	for (i = 0; i < n; i++) {
		ord[i].id = nodes[i];
		ord[i].i = i;
		if (w[i] > UINT64_MAX - sum)
			goto bad;
		sum += w[i];
	}
	qsort(ord, n, sizeof *ord, epoch_cmp_ord);
	for (i = 0; i < n; i++) {
		if (ord[i].id == 0 || (i > 0 && ord[i].id == ord[i - 1].id))
			goto bad;
	}
	if (sum == 0 && minage != 0)
		goto bad;

	epoch_plan_reserve(plan, n);
	plan->n = n;
	for (i = 0; i < n; i++) {
		plan->nodes[i].id = ord[i].id;
		plan->nodes[i].w = w[ord[i].i];
	}
	plan->minage = minage;
	plan->idle_pages = sum;
	epoch_plan_finish(plan);
	free(ord);
	return 0;

bad:
	free(ord);
	errno = EINVAL;
	return -1;
}

int
epoch_plan_idle(const struct epoch_plan *plan)
{
	return plan->idle;
}

uint64_t
epoch_plan_minage(const struct epoch_plan *plan)
{
	return plan->minage;
}

uint64_t
epoch_plan_m(const struct epoch_plan *plan)
{
	return plan->m;
}

uint32_t
epoch_plan_next(const struct epoch_plan *plan)
{
	return plan->next;
}

uint64_t
epoch_plan_idle_pages(const struct epoch_plan *plan)
{
	return plan->idle_pages;
}

size_t
epoch_plan_nnodes(const struct epoch_plan *plan)
{
	return plan->n;
}

uint32_t
epoch_plan_node(const struct epoch_plan *plan, size_t i, uint64_t *w)
{
	if (i >= plan->n)
		return 0;
	if (w != NULL)
		*w = plan->nodes[i].w;
	return plan->nodes[i].id;
}

/* The index of node in the plan, or -1. */
static ssize_t
epoch_plan_find(const struct epoch_plan *plan, uint32_t node)
{
	size_t	lo = 0, hi = plan->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (plan->nodes[mid].id == node)
			return (ssize_t)mid;
		if (plan->nodes[mid].id < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

uint64_t
epoch_plan_weight(const struct epoch_plan *plan, uint32_t node)
{
	ssize_t	i = epoch_plan_find(plan, node);

	return i < 0 ? 0 : plan->nodes[i].w;
}

/*
 * Section 4.  The draw picks a point r in the other nodes' total weight;
 * self's interval is skipped by moving r past it, and the node whose
 * interval holds r is the first whose running sum exceeds r.
 */
enum epoch_verdict
epoch_evict(const struct epoch_plan *plan, uint32_t self, uint64_t age,
    uint64_t draw, uint32_t *target)
{
	uint64_t	wself = 0, before = 0, r;
	ssize_t		s;
	size_t		lo, hi, mid;

	*target = 0;
	if (!plan->idle)
		return EPOCH_DISCARD_NOIDLE;
	/*
	 * MinAge is the lower bound of its histogram bucket: a victim in that
	 * same bucket may be younger than the true M-th oldest page, so only
	 * an older bucket means "among the M oldest" (exact below 128 ticks).
	 */
	if (epoch_bucket(age) > epoch_bucket(plan->minage))
		return EPOCH_DISCARD_OLD;
	if ((s = epoch_plan_find(plan, self)) >= 0) {
		wself = plan->nodes[s].w;
		before = plan->nodes[s].cum - wself;
	}
	if (plan->m == wself)
		return EPOCH_DISCARD_NOIDLE;

	r = epoch_draw_below(draw, plan->m - wself);
	if (s >= 0 && r >= before)
		r += wself;
	lo = 0;
	hi = plan->n - 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (plan->nodes[mid].cum > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	*target = plan->nodes[lo].id;
	return EPOCH_PUTPAGE;
}

const char *
epoch_verdict_name(enum epoch_verdict v)
{
	switch (v) {
	case EPOCH_PUTPAGE:
		return "putpage";
	case EPOCH_DISCARD_OLD:
		return "discard-old";
	case EPOCH_DISCARD_NOIDLE:
		return "discard-noidle";
	}
	return "?";
}

enum epoch_end
epoch_end_check(const struct epoch_params *p, const struct epoch_progress *g)
{
	if (g->weight > 0) {
		if ((u128)g->received * 100 >=
		    (u128)g->weight * EPOCH_END_RECV_PCT)
			return EPOCH_END_RECEIVED;
		if (g->oldest < g->minage)
			return EPOCH_END_STALE;
	}
	if (g->replaced >= p->m)
		return EPOCH_END_REPLACED;
	if (g->elapsed_ms >= p->t_ms)
		return EPOCH_END_TIME;
	return EPOCH_RUNNING;
}

const char *
epoch_end_name(enum epoch_end e)
{
	switch (e) {
	case EPOCH_RUNNING:
		return "running";
	case EPOCH_END_RECEIVED:
		return "received";
	case EPOCH_END_STALE:
		return "stale";
	case EPOCH_END_REPLACED:
		return "replaced";
	case EPOCH_END_TIME:
		return "time";
	}
	return "?";
}

void
epoch_params_default(struct epoch_params *p)
{
	p->t_ms = EPOCH_T_DEFAULT_MS;
	p->m = EPOCH_M_DEFAULT;
}

/* a * b / c for c > 0, saturating at UINT64_MAX. */
static uint64_t
epoch_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	u128	q = (u128)a * b / c;

	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

void
epoch_adapt(const struct epoch_params *cur, const struct epoch_outcome *o,
    struct epoch_params *next)
{
	uint64_t	elapsed = o->elapsed_ms > 0 ? o->elapsed_ms : 1;
	uint64_t	t, m;

	if (o->replaced == 0 || o->idle_pages == 0)
		t = EPOCH_T_MAX_MS;
	else	/* half the time the idle pages last at this rate */
		t = epoch_muldiv(o->idle_pages, elapsed, o->replaced) / 2;
	if (o->why == EPOCH_END_STALE && t > cur->t_ms / 2)
		t = cur->t_ms / 2;
	if (t < EPOCH_T_MIN_MS)
		t = EPOCH_T_MIN_MS;
	if (t > EPOCH_T_MAX_MS)
		t = EPOCH_T_MAX_MS;

	if (o->replaced == 0)
		m = cur->m;
	else	/* the replacements expected in t at this rate */
		m = epoch_muldiv(o->replaced, t, elapsed);
	if (o->idle_pages > 0 && m > o->idle_pages)
		m = o->idle_pages;
	if (o->why == EPOCH_END_STALE && m > cur->m / 2)
		m = cur->m / 2;
	if (m < EPOCH_M_MIN)
		m = EPOCH_M_MIN;
	if (m > EPOCH_M_MAX)
		m = EPOCH_M_MAX;

	next->t_ms = t;
	next->m = m;
}

/* Section 7: forward a singlet nchance times, then drop it. */
enum epoch_nc_verdict
epoch_nc_evict(int singlet, unsigned int count, unsigned int nchance,
    unsigned int *fwd)
{
	*fwd = 0;
	if (!singlet)
		return EPOCH_NC_DROP;
	if (count == 0)
		*fwd = nchance;
	else
		*fwd = count - 1;
	return *fwd > 0 ? EPOCH_NC_FORWARD : EPOCH_NC_DROP;
}

uint32_t
epoch_nc_target(const uint32_t *nodes, size_t n, uint32_t self,
    uint64_t draw)
{
	uint64_t	others = 0, r;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (nodes[i] != self)
			others++;
	}
	if (others == 0)
		return 0;
	r = epoch_draw_below(draw, others);
	for (i = 0; i < n; i++) {
		if (nodes[i] != self && r-- == 0)
			return nodes[i];
	}
	fatalx("epoch_nc_target: ran off the list");
}

/* 0: duplicate, 1: recirculating singlet, 2: other singlet. */
static int
epoch_nc_class(const struct epoch_nc_cand *c)
{
	if (!c->singlet)
		return 0;
	return c->count > 0 ? 1 : 2;
}

ssize_t
epoch_nc_victim(const struct epoch_nc_cand *cands, size_t n)
{
	size_t	i, best = 0;
	int	cb, ci;

	if (n == 0)
		return -1;
	for (i = 1; i < n; i++) {
		ci = epoch_nc_class(&cands[i]);
		cb = epoch_nc_class(&cands[best]);
		if (ci < cb || (ci == cb && cands[i].age > cands[best].age))
			best = i;
	}
	return (ssize_t)best;
}

void
epoch_rng_seed(struct epoch_rng *rng, uint64_t seed)
{
	rng->state = seed;
}

/* Steele, Lea and Flood's splitmix64 (the seeding generator of xoshiro). */
uint64_t
epoch_rng_next(struct epoch_rng *rng)
{
	uint64_t	z;

	z = (rng->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Lemire's multiply-shift: the high word of draw * n. */
uint64_t
epoch_draw_below(uint64_t draw, uint64_t n)
{
	return (uint64_t)(((u128)draw * n) >> 64);
}
