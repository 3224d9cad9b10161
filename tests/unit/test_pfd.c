/*
 * test_pfd.c: the page frame directory.  Entries and frames, the errors,
 * counts per kind, the LRU order with the global bias (pfd_oldest and
 * pfd_foreach), removal during a walk, and thousands of random operations
 * checked against a brute-force model.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "directories/pfd.h"
#include "check.h"

static struct uid
mkuid(uint32_t node, uint64_t pgno)
{
	struct uid	u;

	u.node = node;
	u.space = 1;
	u.pgno = pgno;
	return u;
}

static struct pfd_page *
ins(struct pfd *pfd, uint64_t pgno, int kind, uint64_t last_ref)
{
	struct uid	u = mkuid(1, pgno);

	return pfd_insert(pfd, &u, kind, 0, last_ref);
}

/* Record the pgnos pfd_foreach visits; remove odd ones if rm_odd. */
struct walk {
	struct pfd	*pfd;
	uint64_t	 seen[64];
	int		 n;
	int		 stop_after;	/* 0: never */
	int		 rm_odd;	/* remove odd pgnos */
};

static int
walk_cb(struct pfd_page *pg, void *arg)
{
	struct walk	*w = arg;

	if (w->n < 64)
		w->seen[w->n] = pg->uid.pgno;
	w->n++;
	if (w->rm_odd && (pg->uid.pgno & 1))
		pfd_remove(w->pfd, pg);
	return w->stop_after != 0 && w->n == w->stop_after;
}

static int
walk_is(struct pfd *pfd, const uint64_t *want, int n)
{
	struct walk	w;
	int		i;

	memset(&w, 0, sizeof w);
	w.pfd = pfd;
	pfd_foreach(pfd, walk_cb, &w);
	if (w.n != n) {
		printf("  walk visited %d, want %d\n", w.n, n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (w.seen[i] != want[i]) {
			printf("  walk[%d] = %llu, want %llu\n", i,
			    (unsigned long long)w.seen[i],
			    (unsigned long long)want[i]);
			return 0;
		}
	}
	return 1;
}

static void
test_insert_lookup_remove(void)
{
	struct pfd	*pfd = pfd_create(4);
	struct pfd_page	*pg;
	struct uid	 u = { 3, 9 | UID_SHARED, 77 }, v = { 3, 9, 77 };

	CHECK_EQ(pfd_nframes(pfd), 4);
	CHECK_EQ(pfd_nfree(pfd), 4);
	CHECK(pfd_lookup(pfd, &u) == NULL);
	pg = pfd_insert(pfd, &u, PFD_LOCAL, PFD_SHARED | PFD_DIRTY, 10);
	CHECK(pg != NULL);
	if (pg == NULL)
		goto out;
	CHECK(uid_eq(&pg->uid, &u));
	CHECK(pg->frame < 4);
	CHECK_EQ(pg->kind, PFD_LOCAL);
	CHECK_EQ(pg->flags, PFD_SHARED | PFD_DIRTY);
	CHECK_EQ(pg->last_ref, 10);
	CHECK_EQ(pfd_age(pg, 25), 15);
	CHECK_EQ(pfd_age(pg, 5), 0);
	CHECK(pfd_lookup(pfd, &u) == pg);
	CHECK(pfd_lookup(pfd, &v) == NULL);	/* the shared bit is the key */
	CHECK_EQ(pfd_nfree(pfd), 3);
	pfd_remove(pfd, pg);
	CHECK(pfd_lookup(pfd, &u) == NULL);
	CHECK_EQ(pfd_nfree(pfd), 4);
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 0);
	CHECK(pfd_oldest(pfd, PFD_KANY, 100) == NULL);
out:
	pfd_free(pfd);
}

static void
test_frames_enospc(void)
{
	struct pfd	*pfd = pfd_create(5);
	struct pfd_page	*pg[5], *x;
	int		 seen[5] = { 0 }, i;
	uint32_t	 freed;

	for (i = 0; i < 5; i++) {
		pg[i] = ins(pfd, (uint64_t)i, i & 1, (uint64_t)i);
		CHECK(pg[i] != NULL);
		if (pg[i] == NULL)
			goto out;
		CHECK(pg[i]->frame < 5);
		if (pg[i]->frame < 5)
			seen[pg[i]->frame]++;
	}
	for (i = 0; i < 5; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_EQ(pfd_nfree(pfd), 0);

	errno = 0;
	CHECK(ins(pfd, 100, PFD_LOCAL, 0) == NULL);
	CHECK_EQ(errno, ENOSPC);
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL) + pfd_count(pfd, PFD_GLOBAL), 5);

	/* The frame given back is the one handed out next. */
	freed = pg[2]->frame;
	pfd_remove(pfd, pg[2]);
	CHECK_EQ(pfd_nfree(pfd), 1);
	x = ins(pfd, 100, PFD_GLOBAL, 0);
	CHECK(x != NULL);
	if (x != NULL)
		CHECK_EQ(x->frame, freed);
	CHECK_EQ(pfd_nfree(pfd), 0);
out:
	pfd_free(pfd);
}

static void
test_errors(void)
{
	struct pfd	*pfd = pfd_create(2);
	struct pfd_page	*a;
	struct uid	 u = mkuid(1, 1);

	a = pfd_insert(pfd, &u, PFD_GLOBAL, 0, 5);
	CHECK(a != NULL);
	errno = 0;
	CHECK(pfd_insert(pfd, &u, PFD_LOCAL, PFD_DIRTY, 9) == NULL);
	CHECK_EQ(errno, EEXIST);
	CHECK(pfd_lookup(pfd, &u) == a);
	CHECK_EQ(a->kind, PFD_GLOBAL);
	CHECK_EQ(a->flags, 0);
	CHECK_EQ(a->last_ref, 5);
	CHECK_EQ(pfd_nfree(pfd), 1);
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 0);

	/* A duplicate in a full PFD is still a duplicate. */
	CHECK(ins(pfd, 2, PFD_LOCAL, 0) != NULL);
	errno = 0;
	CHECK(pfd_insert(pfd, &u, PFD_LOCAL, 0, 0) == NULL);
	CHECK_EQ(errno, EEXIST);

	/* Bad kind or flags. */
	u = mkuid(1, 3);
	errno = 0;
	CHECK(pfd_insert(pfd, &u, 2, 0, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(pfd_insert(pfd, &u, PFD_LOCAL, 0x80, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(pfd_count(pfd, 7), 0);
	pfd_free(pfd);

	/* No frames at all. */
	pfd = pfd_create(0);
	errno = 0;
	CHECK(pfd_insert(pfd, &u, PFD_LOCAL, 0, 0) == NULL);
	CHECK_EQ(errno, ENOSPC);
	pfd_free(pfd);
}

static void
test_counts_kinds_flags(void)
{
	struct pfd	*pfd = pfd_create(8);
	struct pfd_page	*a, *b, *c;

	a = ins(pfd, 1, PFD_LOCAL, 1);
	b = ins(pfd, 2, PFD_LOCAL, 2);
	c = ins(pfd, 3, PFD_GLOBAL, 3);
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 2);
	CHECK_EQ(pfd_count(pfd, PFD_GLOBAL), 1);
	CHECK_EQ(pfd_nfree(pfd), 5);

	/* Case 1: a global page becomes local. */
	pfd_set_kind(pfd, c, PFD_LOCAL);
	CHECK_EQ(c->kind, PFD_LOCAL);
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 3);
	CHECK_EQ(pfd_count(pfd, PFD_GLOBAL), 0);
	CHECK(pfd_oldest(pfd, PFD_KGLOBAL, 10) == NULL);
	pfd_set_kind(pfd, c, PFD_LOCAL);	/* no change */
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 3);
	pfd_set_kind(pfd, a, PFD_GLOBAL);
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 2);
	CHECK_EQ(pfd_count(pfd, PFD_GLOBAL), 1);
	CHECK(pfd_oldest(pfd, PFD_KGLOBAL, 10) == a);
	CHECK(pfd_oldest(pfd, PFD_KLOCAL, 10) == b);

	pfd_set_flags(pfd, b, PFD_DIRTY, 0);
	CHECK_EQ(b->flags, PFD_DIRTY);
	pfd_set_flags(pfd, b, PFD_SHARED, PFD_DIRTY);
	CHECK_EQ(b->flags, PFD_SHARED);
	pfd_set_flags(pfd, b, 0, PFD_SHARED);
	CHECK_EQ(b->flags, 0);

	pfd_remove(pfd, a);
	CHECK_EQ(pfd_count(pfd, PFD_GLOBAL), 0);
	pfd_remove(pfd, b);
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 1);
	CHECK_EQ(pfd_nfree(pfd), 7);
	pfd_free(pfd);
}

static void
test_oldest_bias(void)
{
	struct pfd	*pfd = pfd_create(8);
	struct pfd_page	*l, *g;

	CHECK(pfd_oldest(pfd, PFD_KANY, 0) == NULL);
	l = ins(pfd, 1, PFD_LOCAL, 10);
	CHECK(pfd_oldest(pfd, PFD_KANY, 50) == l);
	CHECK(pfd_oldest(pfd, PFD_KGLOBAL, 50) == NULL);
	CHECK(pfd_oldest(pfd, 0, 50) == NULL);

	/* Equal ages: the global page goes first. */
	g = ins(pfd, 2, PFD_GLOBAL, 10);
	CHECK(pfd_oldest(pfd, PFD_KANY, 50) == g);
	CHECK(pfd_oldest(pfd, PFD_KLOCAL, 50) == l);
	CHECK(pfd_oldest(pfd, PFD_KGLOBAL, 50) == g);

	/* One tick younger: without the bias the local one would go. */
	pfd_remove(pfd, g);
	g = ins(pfd, 2, PFD_GLOBAL, 10 + PFD_GLOBAL_AGE_BIAS);
	CHECK(pfd_oldest(pfd, PFD_KANY, 50) == g);

	/* Younger than the bias covers: the local one goes. */
	pfd_remove(pfd, g);
	g = ins(pfd, 2, PFD_GLOBAL, 11 + PFD_GLOBAL_AGE_BIAS);
	CHECK(pfd_oldest(pfd, PFD_KANY, 50) == l);
	CHECK(pfd_oldest(pfd, PFD_KGLOBAL, 50) == g);

	/* Clearly older global. */
	pfd_remove(pfd, g);
	g = ins(pfd, 2, PFD_GLOBAL, 3);
	CHECK(pfd_oldest(pfd, PFD_KANY, 50) == g);
	CHECK(pfd_oldest(pfd, PFD_KLOCAL, 50) == l);
	pfd_free(pfd);
}

static void
test_touch_reorders(void)
{
	struct pfd	*pfd = pfd_create(8);
	struct pfd_page	*a, *b, *c;
	static const uint64_t	w1[] = { 2, 3, 1 }, w2[] = { 3, 1, 2 };

	a = ins(pfd, 1, PFD_LOCAL, 1);
	b = ins(pfd, 2, PFD_LOCAL, 2);
	c = ins(pfd, 3, PFD_LOCAL, 3);
	CHECK(pfd_oldest(pfd, PFD_KANY, 10) == a);
	pfd_touch(pfd, a, 10);
	CHECK_EQ(a->last_ref, 10);
	CHECK(pfd_oldest(pfd, PFD_KANY, 10) == b);
	CHECK(walk_is(pfd, w1, 3));
	pfd_touch(pfd, b, 10);	/* same tick: after a */
	CHECK(pfd_oldest(pfd, PFD_KANY, 10) == c);
	CHECK(walk_is(pfd, w2, 3));

	/* A stale now does not make a page look older. */
	pfd_touch(pfd, a, 4);
	CHECK_EQ(a->last_ref, 10);
	CHECK(pfd_oldest(pfd, PFD_KANY, 10) == c);
	pfd_free(pfd);
}

static void
test_insert_old(void)
{
	struct pfd	*pfd = pfd_create(16);
	static const uint64_t	w1[] = { 1, 4, 2, 3 };
	static const uint64_t	w2[] = { 5, 1, 4, 2, 6, 3, 7 };

	ins(pfd, 1, PFD_LOCAL, 10);
	ins(pfd, 2, PFD_LOCAL, 20);
	ins(pfd, 3, PFD_LOCAL, 30);
	ins(pfd, 4, PFD_LOCAL, 15);	/* a putpage with an old last_ref */
	CHECK(walk_is(pfd, w1, 4));
	ins(pfd, 5, PFD_LOCAL, 5);	/* older than all */
	ins(pfd, 6, PFD_LOCAL, 20);	/* equal: after the one already there */
	ins(pfd, 7, PFD_LOCAL, 40);
	CHECK(walk_is(pfd, w2, 7));
	CHECK_EQ(pfd_oldest(pfd, PFD_KLOCAL, 50)->uid.pgno, 5);
	pfd_free(pfd);
}

static void
test_foreach_order(void)
{
	struct pfd	*pfd = pfd_create(16);
	struct walk	 w;
	/*
	 * local 1@10 3@20 5@30, global 2@10 4@20+bias 6@25 8@40: 2 ties with
	 * 1 and goes first; 4 is a bias younger than 3 and still goes first.
	 */
	static const uint64_t	want[] = { 2, 1, 4, 3, 6, 5, 8 };

	ins(pfd, 1, PFD_LOCAL, 10);
	ins(pfd, 3, PFD_LOCAL, 20);
	ins(pfd, 5, PFD_LOCAL, 30);
	ins(pfd, 8, PFD_GLOBAL, 40);
	ins(pfd, 6, PFD_GLOBAL, 25);
	ins(pfd, 4, PFD_GLOBAL, 20 + PFD_GLOBAL_AGE_BIAS);
	ins(pfd, 2, PFD_GLOBAL, 10);
	CHECK(walk_is(pfd, want, 7));

	/* A non-zero return stops the walk. */
	memset(&w, 0, sizeof w);
	w.pfd = pfd;
	w.stop_after = 3;
	pfd_foreach(pfd, walk_cb, &w);
	CHECK_EQ(w.n, 3);
	CHECK_EQ(w.seen[2], 4);
	pfd_free(pfd);

	/* Nothing to visit. */
	pfd = pfd_create(4);
	CHECK(walk_is(pfd, want, 0));
	pfd_free(pfd);
}

static void
test_foreach_remove(void)
{
	struct pfd	*pfd = pfd_create(32);
	struct walk	 w;
	uint64_t	 i;
	static const uint64_t	want[] = { 0, 2, 4, 6, 8, 10, 12, 14, 16,
		18 };

	for (i = 0; i < 20; i++)
		ins(pfd, i, (i % 3) == 0 ? PFD_GLOBAL : PFD_LOCAL,
		    100 + 10 * i);

	memset(&w, 0, sizeof w);
	w.pfd = pfd;
	w.rm_odd = 1;
	pfd_foreach(pfd, walk_cb, &w);
	CHECK_EQ(w.n, 20);
	for (i = 0; i < 20 && i < (uint64_t)w.n; i++)
		CHECK_EQ(w.seen[i], i);
	CHECK_EQ(pfd_nfree(pfd), 22);
	CHECK(walk_is(pfd, want, 10));
	for (i = 0; i < 20; i++) {
		struct uid	u = mkuid(1, i);

		CHECK((pfd_lookup(pfd, &u) != NULL) == ((i & 1) == 0));
	}
	CHECK_EQ(pfd_count(pfd, PFD_GLOBAL), 4);	/* 0 6 12 18 */
	CHECK_EQ(pfd_count(pfd, PFD_LOCAL), 6);
	pfd_free(pfd);
}

/*
 * The model: for each UID of a small universe, whether it is present and
 * its fields, plus the order it was placed in its list (seq), which breaks
 * ties between equal last_refs.
 */
#define RT_NUIDS	48
#define RT_NFRAMES	20
#define RT_OPS		20000

struct rt_model {
	int		present;
	int		kind;
	int		flags;
	uint32_t	frame;
	uint64_t	last_ref;
	uint64_t	seq;
};

struct rt {
	struct pfd	*pfd;
	struct rt_model	 m[RT_NUIDS];
	int		 used[RT_NFRAMES];
	uint64_t	 seq;
	uint64_t	 rng;
	int		 order[RT_NUIDS];	/* expected walk */
	int		 norder;
	int		 visited;
	int		 bad;
	uint64_t	 removed;	/* bitmask of uids removed by the walk */
};

static uint64_t
rt_rand(struct rt *rt)
{
	/* xorshift64*, fixed seed: the same run every time. */
	rt->rng ^= rt->rng >> 12;
	rt->rng ^= rt->rng << 25;
	rt->rng ^= rt->rng >> 27;
	return rt->rng * 0x2545f4914f6cdd1dULL;
}

static struct uid
rt_uid(int i)
{
	struct uid	u;

	u.node = 1 + (uint32_t)i % 3;
	u.space = (i & 1) ? (5 | UID_SHARED) : 5;
	u.pgno = (uint64_t)i;
	return u;
}

/* Brute force: is model entry a older (to evict before) than b? */
static int
rt_before(const struct rt_model *a, const struct rt_model *b)
{
	if (a->kind == b->kind) {
		if (a->last_ref != b->last_ref)
			return a->last_ref < b->last_ref;
		return a->seq < b->seq;
	}
	if (a->kind == PFD_GLOBAL)
		return a->last_ref <= b->last_ref + PFD_GLOBAL_AGE_BIAS;
	return !(b->last_ref <= a->last_ref + PFD_GLOBAL_AGE_BIAS);
}

static int
rt_oldest(const struct rt *rt, unsigned int mask, const int *skip)
{
	int	i, best = -1;

	for (i = 0; i < RT_NUIDS; i++) {
		if (!rt->m[i].present || (skip != NULL && skip[i]))
			continue;
		if ((mask & (1u << rt->m[i].kind)) == 0)
			continue;
		if (best == -1 || rt_before(&rt->m[i], &rt->m[best]))
			best = i;
	}
	return best;
}

static void
rt_check_counts(struct rt *rt)
{
	uint32_t	n[2] = { 0, 0 };
	int		i;

	for (i = 0; i < RT_NUIDS; i++)
		if (rt->m[i].present)
			n[rt->m[i].kind]++;
	if (pfd_count(rt->pfd, PFD_LOCAL) != n[0] ||
	    pfd_count(rt->pfd, PFD_GLOBAL) != n[1] ||
	    pfd_nfree(rt->pfd) != RT_NFRAMES - n[0] - n[1])
		rt->bad++;
}

static void
rt_insert(struct rt *rt, int i, uint64_t now)
{
	struct rt_model	*m = &rt->m[i];
	struct uid	 u = rt_uid(i);
	struct pfd_page	*pg;
	int		 kind = (int)(rt_rand(rt) % 2);
	int		 flags = (int)(rt_rand(rt) % 4);
	uint64_t	 back = rt_rand(rt) % 30, t;
	int		 j, n = 0;

	for (j = 0; j < RT_NUIDS; j++)
		n += rt->m[j].present;
	t = back > now ? 0 : now - back;
	errno = 0;
	pg = pfd_insert(rt->pfd, &u, kind, flags, t);
	if (m->present) {
		if (pg != NULL || errno != EEXIST)
			rt->bad++;
		return;
	}
	if (n == RT_NFRAMES) {
		if (pg != NULL || errno != ENOSPC)
			rt->bad++;
		return;
	}
	if (pg == NULL || pg->frame >= RT_NFRAMES || rt->used[pg->frame]) {
		rt->bad++;
		return;
	}
	rt->used[pg->frame] = 1;
	m->present = 1;
	m->kind = kind;
	m->flags = flags;
	m->frame = pg->frame;
	m->last_ref = t;
	m->seq = ++rt->seq;
}

static int
rt_walk_cb(struct pfd_page *pg, void *arg)
{
	struct rt	*rt = arg;
	int		 i = (int)pg->uid.pgno;

	if (rt->visited >= rt->norder || rt->order[rt->visited] != i)
		rt->bad++;
	rt->visited++;
	if (rt_rand(rt) % 4 == 0) {
		rt->removed |= 1ULL << i;
		pfd_remove(rt->pfd, pg);
	}
	return 0;
}

/* Walk everything, removing about a quarter, and check the order. */
static void
rt_walk(struct rt *rt)
{
	int	done[RT_NUIDS] = { 0 }, i;

	rt->norder = 0;
	while ((i = rt_oldest(rt, PFD_KANY, done)) != -1) {
		done[i] = 1;
		rt->order[rt->norder++] = i;
	}
	rt->visited = 0;
	rt->removed = 0;
	pfd_foreach(rt->pfd, rt_walk_cb, rt);
	if (rt->visited != rt->norder)
		rt->bad++;
	for (i = 0; i < RT_NUIDS; i++) {
		if (rt->removed & (1ULL << i)) {
			rt->used[rt->m[i].frame] = 0;
			rt->m[i].present = 0;
		}
	}
}

static void
rt_step(struct rt *rt, uint64_t now)
{
	int		 i = (int)(rt_rand(rt) % RT_NUIDS), k, want;
	struct rt_model	*m = &rt->m[i];
	struct uid	 u = rt_uid(i);
	struct pfd_page	*pg = pfd_lookup(rt->pfd, &u);
	unsigned int	 mask;

	if ((pg != NULL) != m->present || (pg != NULL &&
	    (pg->kind != m->kind || pg->flags != m->flags ||
	    pg->frame != m->frame || pg->last_ref != m->last_ref))) {
		rt->bad++;
		return;
	}
	switch (rt_rand(rt) % 10) {
	case 0: case 1: case 2:
		rt_insert(rt, i, now);
		break;
	case 3: case 4:
		if (pg == NULL)
			break;
		pfd_remove(rt->pfd, pg);
		rt->used[m->frame] = 0;
		m->present = 0;
		break;
	case 5:
		if (pg == NULL)
			break;
		pfd_touch(rt->pfd, pg, now);
		if (now > m->last_ref)
			m->last_ref = now;
		m->seq = ++rt->seq;
		break;
	case 6:
		if (pg == NULL)
			break;
		k = (int)(rt_rand(rt) % 2);
		pfd_set_kind(rt->pfd, pg, k);
		if (k != m->kind) {
			m->kind = k;
			m->seq = ++rt->seq;
		}
		break;
	case 7:
		if (pg == NULL)
			break;
		k = (int)(rt_rand(rt) % 4);
		want = (int)(rt_rand(rt) % 4);
		pfd_set_flags(rt->pfd, pg, k, want);
		m->flags = (m->flags & ~want) | k;
		break;
	case 8:
		mask = (unsigned int)(rt_rand(rt) % 4);
		want = rt_oldest(rt, mask, NULL);
		pg = pfd_oldest(rt->pfd, mask, now);
		if ((want == -1) != (pg == NULL) ||
		    (pg != NULL && pg->uid.pgno != (uint64_t)want))
			rt->bad++;
		break;
	case 9:
		if (rt_rand(rt) % 20 == 0)
			rt_walk(rt);
		break;
	}
	rt_check_counts(rt);
}

static void
test_random_model(void)
{
	struct rt	rt;
	uint64_t	now = 0;
	int		op;

	memset(&rt, 0, sizeof rt);
	rt.rng = 0x9e3779b97f4a7c15ULL;
	rt.pfd = pfd_create(RT_NFRAMES);
	for (op = 0; op < RT_OPS && rt.bad == 0; op++) {
		now += rt_rand(&rt) % 3;
		rt_step(&rt, now);
	}
	if (rt.bad != 0)
		printf("  model disagrees at op %d\n", op);
	CHECK_EQ(rt.bad, 0);
	rt_walk(&rt);
	CHECK_EQ(rt.bad, 0);
	pfd_free(rt.pfd);
}

int
main(void)
{
	RUN(test_insert_lookup_remove);
	RUN(test_frames_enospc);
	RUN(test_errors);
	RUN(test_counts_kinds_flags);
	RUN(test_oldest_bias);
	RUN(test_touch_reorders);
	RUN(test_insert_old);
	RUN(test_foreach_order);
	RUN(test_foreach_remove);
	RUN(test_random_model);
	return CHECK_DONE();
}
