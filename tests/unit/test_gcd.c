/*
 * test_gcd.c: one GCD partition.  Holders kept sorted and limited, removal
 * of the last holder forgetting the entry, a dead node, a departed owner
 * (private entries only), and walks that hand entries over or stop.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "directories/gcd.h"
#include "check.h"

static struct uid
priv(uint32_t owner, uint64_t pgno)
{
	struct uid	u;

	u.node = owner;
	u.space = 4;
	u.pgno = pgno;
	return u;
}

static struct uid
shared(uint32_t node, uint64_t pgno)
{
	struct uid	u;

	u.node = node;
	u.space = 9 | UID_SHARED;
	u.pgno = pgno;
	return u;
}

static void
test_add_remove(void)
{
	struct gcd	*gcd = gcd_create();
	struct uid	 u = shared(0, 1), v = shared(0, 2);
	uint32_t	 h[GCD_MAX_HOLDERS];

	CHECK_EQ(gcd_count(gcd), 0);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS), 0);
	CHECK_EQ(gcd_add(gcd, &u, 5), 1);
	CHECK_EQ(gcd_add(gcd, &u, 5), 0);
	CHECK_EQ(gcd_add(gcd, &u, 2), 1);
	CHECK_EQ(gcd_add(gcd, &u, 9), 1);
	CHECK_EQ(gcd_add(gcd, &u, 3), 1);
	CHECK_EQ(gcd_count(gcd), 1);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS), 4);
	CHECK(h[0] == 2 && h[1] == 3 && h[2] == 5 && h[3] == 9);
	CHECK_EQ(gcd_holders(gcd, &v, h, GCD_MAX_HOLDERS), 0);

	/* Fewer slots than holders: the lowest ids, and no more. */
	memset(h, 0xff, sizeof h);
	CHECK_EQ(gcd_holders(gcd, &u, h, 2), 2);
	CHECK(h[0] == 2 && h[1] == 3 && h[2] == UINT32_MAX);
	CHECK_EQ(gcd_holders(gcd, &u, h, 0), 0);

	CHECK_EQ(gcd_remove(gcd, &u, 3), 1);
	CHECK_EQ(gcd_remove(gcd, &u, 3), 0);
	CHECK_EQ(gcd_remove(gcd, &u, 4), 0);
	CHECK_EQ(gcd_remove(gcd, &v, 2), 0);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS), 3);
	CHECK(h[0] == 2 && h[1] == 5 && h[2] == 9);
	CHECK_EQ(gcd_remove(gcd, &u, 2), 1);
	CHECK_EQ(gcd_remove(gcd, &u, 9), 1);
	CHECK_EQ(gcd_count(gcd), 1);
	CHECK_EQ(gcd_remove(gcd, &u, 5), 1);
	/* No holder left: the entry is gone. */
	CHECK_EQ(gcd_count(gcd), 0);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS), 0);
	gcd_free(gcd);
}

static void
test_drop(void)
{
	struct gcd	*gcd = gcd_create();
	struct uid	 u = priv(1, 1), v = priv(1, 2);
	uint32_t	 h[GCD_MAX_HOLDERS];

	gcd_add(gcd, &u, 2);
	gcd_add(gcd, &u, 3);
	gcd_add(gcd, &v, 2);
	CHECK_EQ(gcd_drop(gcd, &u), 2);
	CHECK_EQ(gcd_drop(gcd, &u), 0);
	CHECK_EQ(gcd_count(gcd), 1);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS), 0);
	CHECK_EQ(gcd_holders(gcd, &v, h, GCD_MAX_HOLDERS), 1);
	/* A dropped uid starts afresh. */
	CHECK_EQ(gcd_add(gcd, &u, 4), 1);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(h[0], 4);
	gcd_free(gcd);
}

static void
test_holder_limit(void)
{
	struct gcd	*gcd = gcd_create();
	struct uid	 u = shared(0, 7);
	uint32_t	 h[GCD_MAX_HOLDERS + 1], i;

	for (i = 0; i < GCD_MAX_HOLDERS; i++)
		CHECK_EQ(gcd_add(gcd, &u, 100 - i), 1);
	errno = 0;
	CHECK_EQ(gcd_add(gcd, &u, 1), -1);
	CHECK_EQ(errno, ENOSPC);
	/* Already there: no error even when full. */
	CHECK_EQ(gcd_add(gcd, &u, 100), 0);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS + 1),
	    GCD_MAX_HOLDERS);
	for (i = 0; i < GCD_MAX_HOLDERS; i++)
		CHECK_EQ(h[i], 100 - GCD_MAX_HOLDERS + 1 + i);
	/* Room again after a removal. */
	CHECK_EQ(gcd_remove(gcd, &u, 95), 1);
	CHECK_EQ(gcd_add(gcd, &u, 1), 1);
	CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS), GCD_MAX_HOLDERS);
	CHECK_EQ(h[0], 1);
	gcd_free(gcd);
}

static void
test_drop_node(void)
{
	struct gcd	*gcd = gcd_create();
	struct uid	 a = priv(1, 1), b = priv(1, 2), c = shared(0, 3);
	struct uid	 d = shared(0, 4);
	uint32_t	 h[GCD_MAX_HOLDERS];

	gcd_add(gcd, &a, 3);		/* only holder: entry goes */
	gcd_add(gcd, &b, 2);		/* untouched */
	gcd_add(gcd, &c, 2);
	gcd_add(gcd, &c, 3);		/* one of two: entry stays */
	gcd_add(gcd, &c, 4);
	gcd_add(gcd, &d, 4);
	CHECK_EQ(gcd_drop_node(gcd, 3), 2);
	CHECK_EQ(gcd_count(gcd), 3);
	CHECK_EQ(gcd_holders(gcd, &a, h, GCD_MAX_HOLDERS), 0);
	CHECK_EQ(gcd_holders(gcd, &b, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(gcd_holders(gcd, &c, h, GCD_MAX_HOLDERS), 2);
	CHECK(h[0] == 2 && h[1] == 4);
	CHECK_EQ(gcd_drop_node(gcd, 3), 0);
	CHECK_EQ(gcd_drop_node(gcd, 4), 2);
	CHECK_EQ(gcd_count(gcd), 2);
	CHECK_EQ(gcd_holders(gcd, &d, h, GCD_MAX_HOLDERS), 0);
	gcd_free(gcd);
}

static void
test_drop_owner(void)
{
	struct gcd	*gcd = gcd_create();
	struct uid	 p1 = priv(2, 1), p2 = priv(2, 2), q = priv(3, 1);
	struct uid	 s = shared(2, 1), s0 = shared(0, 1);
	uint32_t	 h[GCD_MAX_HOLDERS];

	gcd_add(gcd, &p1, 5);
	gcd_add(gcd, &p2, 5);
	gcd_add(gcd, &p2, 6);
	gcd_add(gcd, &q, 2);		/* held by 2, owned by 3: stays */
	gcd_add(gcd, &s, 5);		/* shared, even with node 2: stays */
	gcd_add(gcd, &s0, 2);
	CHECK_EQ(gcd_drop_owner(gcd, 2), 2);
	CHECK_EQ(gcd_count(gcd), 3);
	CHECK_EQ(gcd_holders(gcd, &p1, h, GCD_MAX_HOLDERS), 0);
	CHECK_EQ(gcd_holders(gcd, &p2, h, GCD_MAX_HOLDERS), 0);
	CHECK_EQ(gcd_holders(gcd, &q, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(gcd_holders(gcd, &s, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(gcd_holders(gcd, &s0, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(gcd_drop_owner(gcd, 2), 0);
	/* Shared pages have no owner, not even node 0. */
	CHECK_EQ(gcd_drop_owner(gcd, 0), 0);
	gcd_free(gcd);
}

#define FE_N	1000

struct fe {
	int		visits[FE_N];
	int		n;
	int		stop_at;	/* stop after this many visits; 0: never */
	int		bad;
	int		handed;		/* entries handed over (returned 1) */
};

/* Hand over even pgnos, keep odd ones; each entry holds pgno % 7 + 1. */
static int
fe_cb(const struct uid *u, const uint32_t *h, int nh, void *arg)
{
	struct fe	*fe = arg;

	if (u->pgno >= FE_N || nh != 1 || h[0] != u->pgno % 7 + 1)
		fe->bad++;
	else
		fe->visits[u->pgno]++;
	fe->n++;
	if (fe->stop_at != 0 && fe->n == fe->stop_at)
		return -1;
	if (u->pgno % 2 == 0) {
		fe->handed++;
		return 1;
	}
	return 0;
}

static void
test_foreach(void)
{
	struct gcd	*gcd = gcd_create();
	struct fe	 fe;
	struct uid	 u;
	uint64_t	 i;
	uint32_t	 h[GCD_MAX_HOLDERS];
	int		 j, first, once = 1;

	for (i = 0; i < FE_N; i++) {
		u = priv(1, i);
		gcd_add(gcd, &u, (uint32_t)(i % 7 + 1));
	}
	CHECK_EQ(gcd_count(gcd), FE_N);

	/* -1 stops at once, and does not remove the entry it was given. */
	memset(&fe, 0, sizeof fe);
	fe.stop_at = 10;
	gcd_foreach(gcd, fe_cb, &fe);
	CHECK_EQ(fe.n, 10);
	CHECK_EQ(fe.bad, 0);
	CHECK(fe.handed >= 1);
	CHECK_EQ(gcd_count(gcd), FE_N - fe.handed);
	first = fe.handed;

	/* A full walk sees every remaining entry once and hands over evens. */
	memset(&fe, 0, sizeof fe);
	gcd_foreach(gcd, fe_cb, &fe);
	CHECK_EQ(fe.bad, 0);
	CHECK_EQ(fe.n, FE_N - first);
	CHECK_EQ(fe.handed, FE_N / 2 - first);
	CHECK_EQ(gcd_count(gcd), FE_N / 2);
	for (j = 0; j < FE_N; j++)
		if (fe.visits[j] > 1)
			once = 0;
	CHECK(once);
	for (i = 0; i < FE_N; i++) {
		u = priv(1, i);
		CHECK_EQ(gcd_holders(gcd, &u, h, GCD_MAX_HOLDERS),
		    (i % 2) ? 1 : 0);
	}

	/* Only the odd ones are left: nothing more is handed over. */
	memset(&fe, 0, sizeof fe);
	gcd_foreach(gcd, fe_cb, &fe);
	CHECK_EQ(fe.n, FE_N / 2);
	CHECK_EQ(fe.handed, 0);
	gcd_free(gcd);
}

int
main(void)
{
	RUN(test_add_remove);
	RUN(test_drop);
	RUN(test_holder_limit);
	RUN(test_drop_node);
	RUN(test_drop_owner);
	RUN(test_foreach);
	return CHECK_DONE();
}
