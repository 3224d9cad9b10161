/*
 * test_epoch.c: the replacement policy core.  Histogram buckets and their
 * resolution, the toy example of GMS-REFERENCE.md section 4 through the
 * functions gmsd uses, the weighted-random target checked statistically,
 * no idle memory, free frames, tie-breaking, the split of the boundary
 * bucket, end conditions, T/M adaptation bounds, N-chance forwarding, and
 * histogram plans against an exact computation on random ages.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "directories/epoch.h"
#include "check.h"

#define NODE_A	1
#define NODE_B	2
#define NODE_C	3

#define STAT_DRAWS	1000000	/* draws in the statistical tests */
#define STAT_SIGMAS	5.0	/* allowed deviation, binomial std devs */

static double	stat_worst;	/* largest deviation seen, in std devs */

/* Summaries of the toy cluster: A {10,20}, B {30,90}, C {40,70,80,100}. */
static void
toy_summaries(struct epoch_summary s[3])
{
	static const uint64_t	a[] = { 10, 20 }, b[] = { 30, 90 };
	static const uint64_t	c[] = { 40, 70, 80, 100 };

	epoch_summary_init(&s[0], NODE_A, 0);
	epoch_summary_add_ages(&s[0], a, 2, 0, 0);
	epoch_summary_init(&s[1], NODE_B, 0);
	epoch_summary_add_ages(&s[1], b, 2, 0, 0);
	epoch_summary_init(&s[2], NODE_C, 0);
	epoch_summary_add_ages(&s[2], c, 4, 0, 0);
}

static void
test_buckets(void)
{
	unsigned int	b;
	uint64_t	a, lo, hi;

	CHECK_EQ(EPOCH_NBUCKETS, 328);
	CHECK_EQ(sizeof(struct epoch_summary), EPOCH_SUMMARY_BYTES);
	CHECK_EQ(EPOCH_SUMMARY_BYTES, 1320);
	for (a = 0; a < EPOCH_HIST_LINEAR; a++) {
		CHECK_EQ(epoch_bucket(a), a);
		CHECK_EQ(epoch_bucket_lo((unsigned int)a), a);
		CHECK_EQ(epoch_bucket_hi((unsigned int)a), a);
	}
	CHECK_EQ(epoch_bucket_lo(0), 0);
	for (b = 0; b < EPOCH_NBUCKETS; b++) {
		lo = epoch_bucket_lo(b);
		hi = epoch_bucket_hi(b);
		CHECK(lo <= hi);
		CHECK_EQ(epoch_bucket(lo), b);
		CHECK_EQ(epoch_bucket(hi), b);
		if (b + 1 < EPOCH_NBUCKETS)
			CHECK_EQ(epoch_bucket_lo(b + 1), hi + 1);
		/* The stated resolution: width at most lo / 8. */
		if (b >= EPOCH_HIST_LINEAR && b + 1 < EPOCH_NBUCKETS)
			CHECK((hi - lo + 1) * 8 <= lo);
	}
	CHECK_EQ(epoch_bucket(128), 128);
	CHECK_EQ(epoch_bucket_hi(128), 143);
	CHECK_EQ(epoch_bucket(144), 129);
	CHECK_EQ(epoch_bucket(UINT32_MAX), EPOCH_NBUCKETS - 1);
	CHECK_EQ(epoch_bucket(1ULL << 40), EPOCH_NBUCKETS - 1);
	CHECK_EQ(epoch_bucket(UINT64_MAX), EPOCH_NBUCKETS - 1);
	CHECK(epoch_bucket_lo(EPOCH_NBUCKETS - 1) == 15ULL << 28);
	CHECK(epoch_bucket_hi(EPOCH_NBUCKETS - 1) == EPOCH_AGE_FREE - 1);
	/* Every age from 0 to 2^20 lands in a bucket that holds it. */
	for (a = 0; a < (1u << 20); a++) {
		b = epoch_bucket(a);
		if (a < epoch_bucket_lo(b) || a > epoch_bucket_hi(b)) {
			printf("  age %llu not in its bucket %u\n",
			    (unsigned long long)a, b);
			check_failed++;
			break;
		}
	}
	printf("  summary: %d buckets, %d bytes; exact below %d ticks, "
	    "then %d buckets per octave (width <= 1/8 of the lower bound)\n",
	    EPOCH_NBUCKETS, EPOCH_SUMMARY_BYTES, EPOCH_HIST_LINEAR,
	    EPOCH_HIST_SUB);
}

static void
test_bias(void)
{
	struct epoch_summary	s;

	CHECK_EQ(epoch_age_biased(99, 0, 1), 99);
	CHECK_EQ(epoch_age_biased(99, 1, 1), 100);
	CHECK_EQ(epoch_age_biased(99, 1, 0), 99);
	CHECK(epoch_age_biased(UINT64_MAX - 5, 1, 100) == EPOCH_AGE_FREE - 1);
	CHECK(epoch_age_biased(UINT64_MAX, 0, 0) == EPOCH_AGE_FREE - 1);

	/* At equal age the global page is the older one. */
	epoch_summary_init(&s, 7, 3);
	epoch_summary_add(&s, 99, 0, 1);
	epoch_summary_add(&s, 99, 1, 1);
	CHECK_EQ(s.node, 7);
	CHECK_EQ(s.nfree, 3);
	CHECK_EQ(s.count[99], 1);
	CHECK_EQ(s.count[100], 1);
	CHECK_EQ(epoch_summary_pages(&s), 2);
}

/* The toy from GMS-REFERENCE.md section 4, through the daemon's calls. */
static void
test_golden_toy(void)
{
	struct epoch_summary	 s[3];
	struct epoch_plan	*plan = epoch_plan_create();
	uint32_t		 target, id;
	uint64_t		 w;
	size_t			 i;
	int			 k, nb = 0, nc = 0;

	toy_summaries(s);
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 4, 0), 0);
	printf("  toy: minage %llu m %llu next %u weights",
	    (unsigned long long)epoch_plan_minage(plan),
	    (unsigned long long)epoch_plan_m(plan), epoch_plan_next(plan));
	for (i = 0; i < epoch_plan_nnodes(plan); i++) {
		id = epoch_plan_node(plan, i, &w);
		printf(" %c:%llu", 'A' + id - 1, (unsigned long long)w);
	}
	printf("\n");
	CHECK(epoch_plan_idle(plan));
	CHECK_EQ(epoch_plan_minage(plan), 70);
	CHECK_EQ(epoch_plan_m(plan), 4);
	CHECK_EQ(epoch_plan_weight(plan, NODE_A), 0);
	CHECK_EQ(epoch_plan_weight(plan, NODE_B), 1);
	CHECK_EQ(epoch_plan_weight(plan, NODE_C), 3);
	CHECK_EQ(epoch_plan_next(plan), NODE_C);
	CHECK_EQ(epoch_plan_nnodes(plan), 3);
	CHECK_EQ(epoch_plan_idle_pages(plan), 8);

	/* A victim aged 90 is older than MinAge: discarded. */
	CHECK_EQ(epoch_evict(plan, NODE_A, 90, 0, &target),
	    EPOCH_DISCARD_OLD);
	CHECK_EQ(target, 0);
	/* Aged 70 is not older than MinAge: it is put. */
	CHECK_EQ(epoch_evict(plan, NODE_A, 70, 0, &target), EPOCH_PUTPAGE);
	/* Aged 40: the four quarters of the draw space go B, C, C, C. */
	for (k = 0; k < 4; k++) {
		CHECK_EQ(epoch_evict(plan, NODE_A, 40, (uint64_t)k << 62,
		    &target), EPOCH_PUTPAGE);
		CHECK_EQ(target, k == 0 ? NODE_B : NODE_C);
		CHECK_EQ(epoch_evict(plan, NODE_A, 40,
		    ((uint64_t)k << 62) | ((1ULL << 62) - 1), &target),
		    EPOCH_PUTPAGE);
		nb += target == NODE_B;
		nc += target == NODE_C;
	}
	CHECK_EQ(nb, 1);
	CHECK_EQ(nc, 3);
	/* C evicting sends to B, its only other weighted node, and back. */
	CHECK_EQ(epoch_evict(plan, NODE_C, 40, UINT64_MAX, &target),
	    EPOCH_PUTPAGE);
	CHECK_EQ(target, NODE_B);
	CHECK_EQ(epoch_evict(plan, NODE_B, 40, 0, &target), EPOCH_PUTPAGE);
	CHECK_EQ(target, NODE_C);
	epoch_plan_free(plan);
}

/*
 * STAT_DRAWS evictions by self: each node's count is within STAT_SIGMAS
 * binomial standard deviations of draws * p_j, p_j = w_j / (M - w_self);
 * self and weightless nodes are never chosen.
 */
static void
stat_targets(const char *name, const struct epoch_plan *plan, uint32_t self,
    uint64_t seed)
{
	struct epoch_rng	rng;
	uint64_t		hits[16], w, wself, others;
	uint32_t		target, id;
	double			p, mean, sd, dev;
	size_t			i, n = epoch_plan_nnodes(plan);
	int			d;

	memset(hits, 0, sizeof hits);
	epoch_rng_seed(&rng, seed);
	for (d = 0; d < STAT_DRAWS; d++) {
		if (epoch_evict(plan, self, 0, epoch_rng_next(&rng),
		    &target) != EPOCH_PUTPAGE || target == 0 ||
		    target >= 16) {
			check_failed++;
			printf("  %s: draw %d: no target\n", name, d);
			return;
		}
		hits[target]++;
	}
	wself = epoch_plan_weight(plan, self);
	others = epoch_plan_m(plan) - wself;
	printf("  %s: %d draws, self %u (w %llu), bound %.0f sd:\n", name,
	    STAT_DRAWS, self, (unsigned long long)wself, STAT_SIGMAS);
	for (i = 0; i < n; i++) {
		id = epoch_plan_node(plan, i, &w);
		p = id == self ? 0.0 : (double)w / (double)others;
		mean = STAT_DRAWS * p;
		sd = sqrt(STAT_DRAWS * p * (1.0 - p));
		dev = sd > 0 ? fabs((double)hits[id] - mean) / sd : 0.0;
		printf("    node %u: w %llu p %.4f expect %.0f +- %.0f "
		    "(5 sd = %.0f), got %llu, deviation %.2f sd\n", id,
		    (unsigned long long)w, p, mean, sd, STAT_SIGMAS * sd,
		    (unsigned long long)hits[id], dev);
		if (p == 0.0)
			CHECK_EQ(hits[id], 0);
		else
			CHECK(dev <= STAT_SIGMAS);
		if (dev > stat_worst)
			stat_worst = dev;
	}
}

static void
test_weighted_random(void)
{
	struct epoch_summary	 s[3];
	struct epoch_plan	*plan = epoch_plan_create();
	static const uint32_t	 ids[] = { 1, 2, 3, 4, 5, 6 };
	static const uint64_t	 w[] = { 0, 50, 150, 300, 0, 500 };

	toy_summaries(s);
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 4, 0), 0);
	stat_targets("toy, A evicting", plan, NODE_A, 1);

	CHECK_EQ(epoch_plan_set(plan, 1000, ids, w, 6), 0);
	CHECK_EQ(epoch_plan_m(plan), 1000);
	stat_targets("self weightless", plan, 5, 2);
	/* Self holds half the weight: renormalised over the other 500. */
	stat_targets("self w 500 of 1000", plan, 6, 3);
	stat_targets("self w 150 of 1000", plan, 3, 4);
	printf("  worst deviation %.2f sd (bound %.0f)\n", stat_worst,
	    STAT_SIGMAS);
	epoch_plan_free(plan);
}

static void
check_noidle(struct epoch_plan *plan)
{
	static const uint64_t	ages[] = { 0, 1, 70, 1000000, UINT64_MAX };
	uint32_t		target = 99;
	size_t			i;
	uint64_t		w;

	CHECK(!epoch_plan_idle(plan));
	CHECK_EQ(epoch_plan_minage(plan), 0);
	CHECK_EQ(epoch_plan_m(plan), 0);
	for (i = 0; i < epoch_plan_nnodes(plan); i++) {
		epoch_plan_node(plan, i, &w);
		CHECK_EQ(w, 0);
	}
	for (i = 0; i < sizeof ages / sizeof ages[0]; i++) {
		CHECK_EQ(epoch_evict(plan, NODE_A, ages[i], 12345, &target),
		    EPOCH_DISCARD_NOIDLE);
		CHECK_EQ(target, 0);
	}
}

static void
test_noidle(void)
{
	struct epoch_summary	 s[3];
	struct epoch_plan	*plan = epoch_plan_create();
	static const uint32_t	 ids[] = { 4, 2 };
	static const uint64_t	 zero[] = { 0, 0 }, some[] = { 0, 3 };
	uint32_t		 target;

	/* A fresh plan: nothing forwarded until the first epoch. */
	check_noidle(plan);
	CHECK_EQ(epoch_plan_next(plan), 0);

	/* The caller says so: m = 0. */
	toy_summaries(s);
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 0, 0), 0);
	check_noidle(plan);
	CHECK_EQ(epoch_plan_next(plan), NODE_A);	/* lowest id */

	/* No page is old enough to be idle memory, no frame is free. */
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 4, 1000), 0);
	check_noidle(plan);
	CHECK_EQ(epoch_plan_idle_pages(plan), 0);
	CHECK_EQ(epoch_idle_pages(s, 3, 1000), 0);

	/* Only 2 pages (90, 100) are at least 85 old: m shrinks to 2. */
	CHECK_EQ(epoch_idle_pages(s, 3, 85), 2);
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 4, 85), 0);
	CHECK(epoch_plan_idle(plan));
	CHECK_EQ(epoch_plan_m(plan), 2);
	CHECK_EQ(epoch_plan_minage(plan), 90);
	CHECK_EQ(epoch_plan_weight(plan, NODE_B), 1);
	CHECK_EQ(epoch_plan_weight(plan, NODE_C), 1);
	CHECK_EQ(epoch_plan_next(plan), NODE_B);

	/* No summaries at all. */
	CHECK_EQ(epoch_plan_compute(plan, s, 0, 4, 0), 0);
	check_noidle(plan);
	CHECK_EQ(epoch_plan_nnodes(plan), 0);

	/* A broadcast with all weights 0 and MinAge 0. */
	CHECK_EQ(epoch_plan_set(plan, 0, ids, zero, 2), 0);
	check_noidle(plan);
	CHECK_EQ(epoch_plan_next(plan), 2);
	/* ... MinAge must then be 0. */
	errno = 0;
	CHECK_EQ(epoch_plan_set(plan, 5, ids, zero, 2), -1);
	CHECK_EQ(errno, EINVAL);

	/* All the weight on self: discard, even when young. */
	CHECK_EQ(epoch_plan_set(plan, 50, ids, some, 2), 0);
	CHECK(epoch_plan_idle(plan));
	CHECK_EQ(epoch_evict(plan, 2, 10, 0, &target), EPOCH_DISCARD_NOIDLE);
	CHECK_EQ(epoch_evict(plan, 4, 10, 0, &target), EPOCH_PUTPAGE);
	CHECK_EQ(target, 2);
	CHECK_EQ(epoch_evict(plan, 4, 51, 0, &target), EPOCH_DISCARD_OLD);
	epoch_plan_free(plan);
}

static void
test_free_frames(void)
{
	struct epoch_summary	 s[3];
	struct epoch_plan	*plan = epoch_plan_create();
	uint32_t		 target;

	/* B has 10 free frames: M = 4 goes there; nothing is discarded. */
	toy_summaries(s);
	s[1].nfree = 10;
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 4, 0), 0);
	CHECK(epoch_plan_minage(plan) == EPOCH_AGE_FREE);
	CHECK_EQ(epoch_plan_weight(plan, NODE_B), 4);
	CHECK_EQ(epoch_plan_next(plan), NODE_B);
	CHECK_EQ(epoch_evict(plan, NODE_A, EPOCH_AGE_FREE - 1, 0, &target),
	    EPOCH_PUTPAGE);
	CHECK_EQ(target, NODE_B);

	/* B and C 10 each, M = 15: 7.5 each, the tie to B; 8 / 7. */
	s[2].nfree = 10;
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 15, 0), 0);
	CHECK_EQ(epoch_plan_weight(plan, NODE_B), 8);
	CHECK_EQ(epoch_plan_weight(plan, NODE_C), 7);
	CHECK_EQ(epoch_plan_next(plan), NODE_B);

	/* M = 22: 20 free frames, then the 2 oldest pages (100 C, 90 B). */
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 22, 0), 0);
	CHECK_EQ(epoch_plan_minage(plan), 90);
	CHECK_EQ(epoch_plan_weight(plan, NODE_B), 11);
	CHECK_EQ(epoch_plan_weight(plan, NODE_C), 11);
	CHECK_EQ(epoch_plan_weight(plan, NODE_A), 0);
	CHECK_EQ(epoch_plan_next(plan), NODE_B);
	epoch_plan_free(plan);
}

static void
test_ties_and_split(void)
{
	struct epoch_summary	 s[3];
	struct epoch_plan	*plan = epoch_plan_create();
	static const uint32_t	 ids[] = { 7, 3, 1 };
	static const uint64_t	 w[] = { 5, 5, 2 };
	static const uint32_t	 dup[] = { 7, 3, 7 };
	static const uint32_t	 zid[] = { 7, 0, 1 };
	uint64_t		 got;
	int			 i;

	/* Two nodes with equal pages: the lower id gets the odd page. */
	epoch_summary_init(&s[0], 9, 0);
	epoch_summary_add(&s[0], 60, 0, 0);
	epoch_summary_init(&s[1], 4, 0);
	epoch_summary_add(&s[1], 60, 0, 0);
	CHECK_EQ(epoch_plan_compute(plan, s, 2, 1, 0), 0);
	CHECK_EQ(epoch_plan_weight(plan, 4), 1);
	CHECK_EQ(epoch_plan_weight(plan, 9), 0);
	CHECK_EQ(epoch_plan_next(plan), 4);
	CHECK_EQ(epoch_plan_compute(plan, s, 2, 2, 0), 0);
	CHECK_EQ(epoch_plan_next(plan), 4);	/* 1 : 1, lowest id */
	CHECK_EQ(epoch_plan_node(plan, 0, NULL), 4);
	CHECK_EQ(epoch_plan_node(plan, 1, NULL), 9);
	CHECK_EQ(epoch_plan_node(plan, 2, NULL), 0);

	/* Broadcast weights 5, 5, 2: the tie goes to the lower id 3. */
	CHECK_EQ(epoch_plan_set(plan, 100, ids, w, 3), 0);
	CHECK_EQ(epoch_plan_next(plan), 3);
	CHECK_EQ(epoch_plan_weight(plan, 7), 5);
	CHECK_EQ(epoch_plan_weight(plan, 1), 2);
	CHECK_EQ(epoch_plan_weight(plan, 8), 0);

	/* Bad lists are refused and leave the plan as it was. */
	CHECK_EQ(epoch_plan_set(plan, 100, dup, w, 3), -1);
	CHECK_EQ(epoch_plan_set(plan, 100, zid, w, 3), -1);
	s[1].node = 9;
	CHECK_EQ(epoch_plan_compute(plan, s, 2, 2, 0), -1);
	CHECK_EQ(errno, EINVAL);
	s[1].node = 0;
	CHECK_EQ(epoch_plan_compute(plan, s, 2, 2, 0), -1);
	CHECK_EQ(epoch_plan_next(plan), 3);
	CHECK_EQ(epoch_plan_m(plan), 12);

	/*
	 * One bucket, counts 1, 2, 3 on nodes 1, 2, 3, need 4: quotas
	 * 0.67, 1.33, 2 -> floors 0, 1, 2; the extra page goes to the
	 * largest remainder (node 1): 1, 1, 2.
	 */
	for (i = 0; i < 3; i++) {
		epoch_summary_init(&s[i], (uint32_t)i + 1, 0);
		for (got = 0; got <= (uint64_t)i; got++)
			epoch_summary_add(&s[i], 50, 0, 0);
	}
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 4, 0), 0);
	CHECK_EQ(epoch_plan_minage(plan), 50);
	CHECK_EQ(epoch_plan_weight(plan, 1), 1);
	CHECK_EQ(epoch_plan_weight(plan, 2), 1);
	CHECK_EQ(epoch_plan_weight(plan, 3), 2);
	CHECK_EQ(epoch_plan_next(plan), 3);
	/* Need 5: 0.83, 1.67, 2.5 -> 0, 1, 2 + 2 extra to nodes 1, 2. */
	CHECK_EQ(epoch_plan_compute(plan, s, 3, 5, 0), 0);
	CHECK_EQ(epoch_plan_weight(plan, 1), 1);
	CHECK_EQ(epoch_plan_weight(plan, 2), 2);
	CHECK_EQ(epoch_plan_weight(plan, 3), 2);
	CHECK_EQ(epoch_plan_next(plan), 2);
	epoch_plan_free(plan);
}

static void
test_end_conditions(void)
{
	struct epoch_params	p = { 5000, 1000 };
	struct epoch_progress	g;

	memset(&g, 0, sizeof g);
	g.minage = 70;
	g.oldest = 100;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_RUNNING);
	g.elapsed_ms = 4999;
	g.replaced = 999;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_RUNNING);
	g.elapsed_ms = 5000;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_END_TIME);
	g.replaced = 1000;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_END_REPLACED);

	/* The largest-weight node: 90 % of w received ends it. */
	g.elapsed_ms = 10;
	g.replaced = 10;
	g.weight = 300;
	g.received = 269;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_RUNNING);
	g.received = 270;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_END_RECEIVED);
	g.elapsed_ms = 6000;	/* RECEIVED outranks TIME */
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_END_RECEIVED);

	/* Its old pages ran out before its share came: the data was wrong. */
	g.elapsed_ms = 10;
	g.received = 100;
	g.oldest = 69;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_END_STALE);
	g.received = 280;	/* having had its share, that is expected */
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_END_RECEIVED);
	/* A node without weight never ends it for staleness. */
	g.weight = 0;
	g.received = 0;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_RUNNING);
	/* MinAge of free frames: stale once the free frames are gone. */
	g.weight = 10;
	g.minage = EPOCH_AGE_FREE;
	g.oldest = EPOCH_AGE_FREE;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_RUNNING);
	g.oldest = 1000000;
	CHECK_EQ(epoch_end_check(&p, &g), EPOCH_END_STALE);
	CHECK(strcmp(epoch_end_name(EPOCH_END_STALE), "stale") == 0);
	CHECK(strcmp(epoch_verdict_name(EPOCH_DISCARD_OLD),
	    "discard-old") == 0);
}

static int
params_in_bounds(const struct epoch_params *p)
{
	return p->t_ms >= EPOCH_T_MIN_MS && p->t_ms <= EPOCH_T_MAX_MS &&
	    p->m >= EPOCH_M_MIN && p->m <= EPOCH_M_MAX;
}

static void
test_adapt(void)
{
	struct epoch_params	cur, few, many, next;
	struct epoch_outcome	o;
	struct epoch_rng	rng;
	int			i, bad = 0;

	epoch_params_default(&cur);
	CHECK_EQ(cur.t_ms, EPOCH_T_DEFAULT_MS);
	CHECK_EQ(cur.m, EPOCH_M_DEFAULT);
	CHECK(params_in_bounds(&cur));

	/* 1024 replaced in 2 s; 4000 idle pages last 7.8 s: T 3.9 s. */
	o.why = EPOCH_END_REPLACED;
	o.elapsed_ms = 2000;
	o.replaced = 1024;
	o.idle_pages = 4000;
	epoch_adapt(&cur, &o, &few);
	CHECK_EQ(few.t_ms, 3906);
	CHECK_EQ(few.m, 1999);		/* 1024 * 3906 / 2000 */
	/* Many more old pages: a longer epoch (capped) and a larger M. */
	o.idle_pages = 400000;
	epoch_adapt(&cur, &o, &many);
	CHECK_EQ(many.t_ms, EPOCH_T_MAX_MS);
	CHECK(many.m > few.m);
	CHECK_EQ(many.m, 5120);
	/* Fewer idle pages than the rate wants: M is at most those. */
	o.idle_pages = 3000;
	o.elapsed_ms = 200;
	epoch_adapt(&cur, &o, &next);
	CHECK_EQ(next.t_ms, EPOCH_T_MIN_MS);
	CHECK_EQ(next.m, 3000);

	/* The data proved wrong: at most half of T and of M. */
	o.why = EPOCH_END_STALE;
	o.elapsed_ms = 2000;
	o.idle_pages = 400000;
	epoch_adapt(&cur, &o, &next);
	CHECK_EQ(next.t_ms, cur.t_ms / 2);
	CHECK_EQ(next.m, cur.m / 2);
	cur.t_ms = EPOCH_T_MIN_MS;
	cur.m = EPOCH_M_MIN;
	epoch_adapt(&cur, &o, &next);	/* but never below the bounds */
	CHECK_EQ(next.t_ms, EPOCH_T_MIN_MS);
	CHECK_EQ(next.m, EPOCH_M_MIN);

	/* Nothing replaced: longest T, M unchanged. */
	epoch_params_default(&cur);
	o.why = EPOCH_END_TIME;
	o.replaced = 0;
	o.elapsed_ms = cur.t_ms;
	epoch_adapt(&cur, &o, &next);
	CHECK_EQ(next.t_ms, EPOCH_T_MAX_MS);
	CHECK_EQ(next.m, cur.m);
	/* No idle memory: longest T (nothing to place; check rarely). */
	o.replaced = 5000;
	o.idle_pages = 0;
	epoch_adapt(&cur, &o, &next);
	CHECK_EQ(next.t_ms, EPOCH_T_MAX_MS);
	CHECK_EQ(next.m, 10000);		/* 5000 per 5 s, for 10 s */

	/* Random and extreme outcomes always land within the bounds. */
	epoch_rng_seed(&rng, 77);
	for (i = 0; i < 100000; i++) {
		cur.t_ms = epoch_rng_next(&rng) >> (epoch_rng_next(&rng) & 63);
		cur.m = epoch_rng_next(&rng) >> (epoch_rng_next(&rng) & 63);
		o.why = (enum epoch_end)(epoch_rng_next(&rng) % 5);
		o.elapsed_ms = epoch_rng_next(&rng) >>
		    (epoch_rng_next(&rng) & 63);
		o.replaced = epoch_rng_next(&rng) >>
		    (epoch_rng_next(&rng) & 63);
		o.idle_pages = epoch_rng_next(&rng) >>
		    (epoch_rng_next(&rng) & 63);
		epoch_adapt(&cur, &o, &next);
		if (!params_in_bounds(&next))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

/* Evict a singlet over and over from count; how often it is forwarded. */
static unsigned int
nc_forwards(unsigned int count, unsigned int nchance)
{
	unsigned int	fwd, forwards = 0;

	while (epoch_nc_evict(1, count, nchance, &fwd) == EPOCH_NC_FORWARD) {
		forwards++;
		count = fwd;
		if (forwards > 100)
			break;
	}
	return forwards;
}

static void
test_nchance_counts(void)
{
	unsigned int	fwd, n;

	/* A fresh singlet goes with count N = 2, then 1, then is dropped. */
	CHECK_EQ(EPOCH_NC_N, 2);
	CHECK_EQ(epoch_nc_evict(1, 0, EPOCH_NC_N, &fwd), EPOCH_NC_FORWARD);
	CHECK_EQ(fwd, 2);
	CHECK_EQ(epoch_nc_evict(1, 2, EPOCH_NC_N, &fwd), EPOCH_NC_FORWARD);
	CHECK_EQ(fwd, 1);
	CHECK_EQ(epoch_nc_evict(1, 1, EPOCH_NC_N, &fwd), EPOCH_NC_DROP);
	CHECK_EQ(fwd, 0);
	/* Non-singlets are dropped, recirculating or not. */
	CHECK_EQ(epoch_nc_evict(0, 0, EPOCH_NC_N, &fwd), EPOCH_NC_DROP);
	CHECK_EQ(epoch_nc_evict(0, 2, EPOCH_NC_N, &fwd), EPOCH_NC_DROP);

	/* A singlet evicted over and over is forwarded exactly N times. */
	for (n = 0; n <= 5; n++)
		CHECK_EQ(nc_forwards(0, n), n);
	/*
	 * With N = 5, two forwards leave count 4 (3 more to go); a real
	 * reference resets it to 0, and it gets all 5 again.
	 */
	CHECK_EQ(epoch_nc_evict(1, 0, 5, &fwd), EPOCH_NC_FORWARD);
	CHECK_EQ(epoch_nc_evict(1, fwd, 5, &fwd), EPOCH_NC_FORWARD);
	CHECK_EQ(fwd, 4);
	CHECK_EQ(nc_forwards(fwd, 5), 3);
	CHECK_EQ(nc_forwards(0, 5), 5);
}

static void
test_nchance_target(void)
{
	static const uint32_t	 nodes[] = { 5, 8, 2, 9, 3 };
	static const uint32_t	 only[] = { 8 };
	struct epoch_rng	 rng;
	uint64_t		 hits[10];
	double			 p = 0.25, sd, dev, worst = 0;
	int			 d, i;

	memset(hits, 0, sizeof hits);
	epoch_rng_seed(&rng, 5);
	for (d = 0; d < STAT_DRAWS; d++)
		hits[epoch_nc_target(nodes, 5, 8, epoch_rng_next(&rng))]++;
	CHECK_EQ(hits[8], 0);
	CHECK_EQ(hits[0], 0);
	sd = sqrt(STAT_DRAWS * p * (1 - p));
	for (i = 0; i < 5; i++) {
		if (nodes[i] == 8)
			continue;
		dev = fabs((double)hits[nodes[i]] - STAT_DRAWS * p) / sd;
		CHECK(dev <= STAT_SIGMAS);
		if (dev > worst)
			worst = dev;
	}
	printf("  n-chance target: %d draws over 4 others, expect %.0f +- "
	    "%.0f each, worst deviation %.2f sd (bound %.0f)\n", STAT_DRAWS,
	    STAT_DRAWS * p, sd, worst, STAT_SIGMAS);
	CHECK_EQ(epoch_nc_target(only, 1, 8, 0), 0);
	CHECK_EQ(epoch_nc_target(only, 0, 8, 0), 0);
	CHECK_EQ(epoch_nc_target(only, 1, 1, UINT64_MAX), 8);
	CHECK_EQ(epoch_nc_target(nodes, 5, 8, 0), 5);
	CHECK_EQ(epoch_nc_target(nodes, 5, 8, UINT64_MAX), 3);
}

static void
test_nchance_victim(void)
{
	struct epoch_nc_cand	c[5];

	memset(c, 0, sizeof c);
	c[0].age = 500;		/* an old singlet */
	c[0].singlet = 1;
	c[1].age = 10;		/* a recirculating page */
	c[1].singlet = 1;
	c[1].count = 1;
	c[2].age = 5;		/* a young duplicate */
	c[3].age = 7;		/* an older duplicate */
	c[4].age = 40;		/* an older recirculating page */
	c[4].singlet = 1;
	c[4].count = 2;
	CHECK_EQ(epoch_nc_victim(c, 5), 3);	/* oldest duplicate */
	CHECK_EQ(epoch_nc_victim(c, 3), 2);	/* the only duplicate */
	CHECK_EQ(epoch_nc_victim(c, 2), 1);	/* recirculating first */
	c[3].singlet = 1;	/* no duplicate left; 3 becomes a singlet */
	c[2].singlet = 1;
	CHECK_EQ(epoch_nc_victim(c, 5), 4);	/* oldest recirculating */
	c[1].count = 0;
	c[4].count = 0;
	CHECK_EQ(epoch_nc_victim(c, 5), 0);	/* oldest singlet */
	c[4].age = 500;				/* tie: the lower index */
	CHECK_EQ(epoch_nc_victim(c, 5), 0);
	CHECK_EQ(epoch_nc_victim(c, 0), -1);
}

/* A page of the exact model: biased age, node index. */
struct xpage {
	uint64_t	age;
	int		node;
};

static int
xpage_cmp(const void *a, const void *b)
{
	const struct xpage	*x = a, *y = b;

	if (x->age != y->age)
		return x->age > y->age ? -1 : 1;
	return x->node - y->node;
}

/* A small integer age: exact range or log range up to 2^17. */
static uint64_t
rand_age(struct epoch_rng *rng)
{
	uint64_t	r = epoch_rng_next(rng);

	if (r & 1)
		return (r >> 1) % 200;
	return ((r >> 8) % (1u << 17)) >> ((r >> 1) % 17);
}

#define XN	8
#define XMAXP	(XN * 512 + XN * 64)

/*
 * One random cluster: the histogram plan against the exact M oldest.
 * MinAge must be the lower bound of the exact MinAge's bucket (so within
 * the resolution: exact below 128, otherwise less than 1/8 below it), and
 * each node's weight within its pages in that bucket of the exact count.
 * Returns the weight difference summed over the nodes, or -1 on a failure.
 */
static long
random_trial(struct epoch_rng *rng, struct xpage *xp, double *relerr)
{
	struct epoch_summary	 s[XN];
	struct epoch_plan	*plan = epoch_plan_create();
	uint64_t		 exact[XN], inb[XN], m, mm, xmin, lo, w, a;
	uint64_t		 bias = epoch_rng_next(rng) % 4;
	int			 n, i, k, np = 0, g, fail = 0;
	unsigned int		 bx;
	long			 diff = 0;

	n = 1 + (int)(epoch_rng_next(rng) % XN);
	for (i = 0; i < n; i++) {
		epoch_summary_init(&s[i], (uint32_t)(100 - 7 * i),
		    (epoch_rng_next(rng) % 4 == 0) ?
		    (uint32_t)(epoch_rng_next(rng) % 64) : 0);
		for (k = 0; k < (int)s[i].nfree; k++) {
			xp[np].age = EPOCH_AGE_FREE;
			xp[np++].node = i;
		}
		k = (int)(epoch_rng_next(rng) % 512);
		while (k-- > 0) {
			a = rand_age(rng);
			g = (int)(epoch_rng_next(rng) & 1);
			epoch_summary_add(&s[i], a, g, bias);
			xp[np].age = epoch_age_biased(a, g, bias);
			xp[np++].node = i;
		}
	}
	if (np == 0) {
		epoch_plan_free(plan);
		return 0;
	}
	m = 1 + epoch_rng_next(rng) % (uint64_t)(np + 10);
	mm = m < (uint64_t)np ? m : (uint64_t)np;
	qsort(xp, (size_t)np, sizeof *xp, xpage_cmp);
	xmin = xp[mm - 1].age;
	memset(exact, 0, sizeof exact);
	memset(inb, 0, sizeof inb);
	for (k = 0; k < (int)mm; k++)
		exact[xp[k].node]++;
	/* The pages in the MinAge bucket (or the free frames) per node. */
	bx = epoch_bucket(xmin);
	for (k = 0; k < np; k++) {
		if (xmin == EPOCH_AGE_FREE ? xp[k].age == EPOCH_AGE_FREE :
		    xp[k].age != EPOCH_AGE_FREE &&
		    epoch_bucket(xp[k].age) == bx)
			inb[xp[k].node]++;
	}

	if (epoch_plan_compute(plan, s, (size_t)n, m, 0) != 0)
		fail = 1;
	lo = xmin == EPOCH_AGE_FREE ? EPOCH_AGE_FREE : epoch_bucket_lo(bx);
	if (epoch_plan_m(plan) != mm || epoch_plan_minage(plan) != lo)
		fail = 1;
	if (xmin != EPOCH_AGE_FREE && xmin < EPOCH_HIST_LINEAR && lo != xmin)
		fail = 1;
	if (xmin != EPOCH_AGE_FREE && xmin - lo > 0 && (xmin - lo) * 8 >= lo)
		fail = 1;
	if (xmin != EPOCH_AGE_FREE && xmin > 0)
		*relerr = (double)(xmin - lo) / (double)xmin;
	for (i = 0; i < n; i++) {
		w = epoch_plan_weight(plan, s[i].node);
		diff += labs((long)w - (long)exact[i]);
		if ((w > exact[i] ? w - exact[i] : exact[i] - w) > inb[i])
			fail = 1;
	}
	if (fail) {
		printf("  trial: n %d pages %d m %llu: minage %llu want "
		    "%llu (exact %llu), m %llu\n", n, np,
		    (unsigned long long)m,
		    (unsigned long long)epoch_plan_minage(plan),
		    (unsigned long long)lo, (unsigned long long)xmin,
		    (unsigned long long)epoch_plan_m(plan));
		diff = -1;
	}
	epoch_plan_free(plan);
	return diff;
}

static void
test_random_vs_exact(void)
{
	static struct xpage	xp[XMAXP];
	struct epoch_rng	rng;
	double			rel, worst_rel = 0;
	long			d, worst_diff = 0, total_diff = 0;
	int			t, bad = 0, trials = 2000;

	epoch_rng_seed(&rng, 20240601);
	for (t = 0; t < trials; t++) {
		rel = 0;
		d = random_trial(&rng, xp, &rel);
		if (d < 0) {
			bad++;
			continue;
		}
		total_diff += d;
		if (d > worst_diff)
			worst_diff = d;
		if (rel > worst_rel)
			worst_rel = rel;
	}
	CHECK_EQ(bad, 0);
	CHECK(worst_rel < 0.125);
	printf("  %d random clusters: MinAge at most %.2f %% below exact "
	    "(bound 12.5 %%, exact below %d); weights differ from exact by "
	    "%ld pages at most per cluster, %.2f on average (bound: the "
	    "node's pages in the MinAge bucket)\n", trials, 100 * worst_rel,
	    EPOCH_HIST_LINEAR, worst_diff, (double)total_diff / trials);
}

static void
test_rng(void)
{
	struct epoch_rng	a, b;
	int			i, same = 1;

	epoch_rng_seed(&a, 42);
	epoch_rng_seed(&b, 42);
	for (i = 0; i < 1000; i++)
		same &= epoch_rng_next(&a) == epoch_rng_next(&b);
	CHECK(same);
	/* splitmix64's published first output for seed 0. */
	epoch_rng_seed(&a, 0);
	CHECK(epoch_rng_next(&a) == 0xe220a8397b1dcdafULL);
	CHECK_EQ(epoch_draw_below(0, 10), 0);
	CHECK_EQ(epoch_draw_below(UINT64_MAX, 10), 9);
	CHECK_EQ(epoch_draw_below(1ULL << 63, 10), 5);
}

int
main(void)
{
	RUN(test_buckets);
	RUN(test_bias);
	RUN(test_golden_toy);
	RUN(test_weighted_random);
	RUN(test_noidle);
	RUN(test_free_frames);
	RUN(test_ties_and_split);
	RUN(test_end_conditions);
	RUN(test_adapt);
	RUN(test_nchance_counts);
	RUN(test_nchance_target);
	RUN(test_nchance_victim);
	RUN(test_random_vs_exact);
	RUN(test_rng);
	return CHECK_DONE();
}
