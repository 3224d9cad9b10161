/*
 * test_moves.c: the moves a page makes between the directories.  Three
 * nodes, each with its PFD and its GCD partition, and one POD; no network:
 * a message is a function call.  Follows a private page put away and
 * fetched back (cases 1 and 2), a shared page local on two nodes (case 4),
 * a node that dies, and POD changes that hand GCD entries over so that each
 * ends up where pod_gcd_node() says.
 */
#include <stdint.h>
#include <string.h>

#include "directories/gcd.h"
#include "directories/pfd.h"
#include "directories/pod.h"
#include "check.h"

#define NNODES		3
#define NFRAMES		16

struct node {
	uint32_t	 id;	/* 1 .. NNODES */
	struct pfd	*pfd;
	struct gcd	*gcd;
};

struct cluster {
	struct node	 n[NNODES];
	struct pod	*pod;
	uint64_t	 now;
};

static struct node *
node(struct cluster *cl, uint32_t id)
{
	if (id < 1 || id > NNODES)
		return NULL;
	return &cl->n[id - 1];
}

static void
pod_of(struct pod *pod, uint32_t version, const uint32_t *ids,
    const uint16_t *flags, int n)
{
	struct pod_member	m[NNODES];
	int			i;

	for (i = 0; i < n; i++) {
		memset(&m[i], 0, sizeof m[i]);
		m[i].id = ids[i];
		m[i].flags = flags != NULL ? flags[i] : 0;
	}
	if (pod_compute(pod, version, m, n) != 0)
		printf("  pod_compute failed\n");
}

static void
cluster_init(struct cluster *cl)
{
	static const uint32_t	ids[NNODES] = { 1, 2, 3 };
	int			i;

	memset(cl, 0, sizeof *cl);
	for (i = 0; i < NNODES; i++) {
		cl->n[i].id = (uint32_t)i + 1;
		cl->n[i].pfd = pfd_create(NFRAMES);
		cl->n[i].gcd = gcd_create();
	}
	cl->pod = pod_create();
	pod_of(cl->pod, 1, ids, NULL, NNODES);
	cl->now = 1000;
}

static void
cluster_free(struct cluster *cl)
{
	int	i;

	for (i = 0; i < NNODES; i++) {
		pfd_free(cl->n[i].pfd);
		gcd_free(cl->n[i].gcd);
	}
	pod_free(cl->pod);
}

/* The GCD partition that holds uid's entry under the current POD. */
static struct gcd *
gcd_for(struct cluster *cl, const struct uid *uid)
{
	return node(cl, pod_gcd_node(cl->pod, uid))->gcd;
}

/*
 * Whether the GCD tracks a copy on node: every global copy, and local ones
 * of shared pages; a private page local on its owner is the owner's PFD's
 * business only.
 */
static int
tracked(const struct uid *uid, uint32_t id, int kind)
{
	return kind == PFD_GLOBAL || uid_is_shared(uid) || uid->node != id;
}

/* A fault missed the cluster: read from disk, local on the faulting node. */
static struct pfd_page *
readdisk(struct cluster *cl, uint32_t id, const struct uid *uid)
{
	struct pfd_page	*pg;

	pg = pfd_insert(node(cl, id)->pfd, uid, PFD_LOCAL,
	    uid_is_shared(uid) ? PFD_SHARED : 0, cl->now);
	if (pg != NULL && tracked(uid, id, PFD_LOCAL))
		gcd_add(gcd_for(cl, uid), uid, id);
	return pg;
}

/*
 * putpage: from sends its (clean) copy of uid to `to`, which keeps it as a
 * global page with the age it had; the GCD then names `to`.
 */
static int
putpage(struct cluster *cl, uint32_t from, uint32_t to, const struct uid *uid)
{
	struct node	*src = node(cl, from), *dst = node(cl, to);
	struct pfd_page	*pg;
	uint64_t	 last_ref;
	int		 kind;

	if ((pg = pfd_lookup(src->pfd, uid)) == NULL)
		return -1;
	last_ref = pg->last_ref;
	kind = pg->kind;
	if (pfd_insert(dst->pfd, uid, PFD_GLOBAL, 0, last_ref) == NULL)
		return -1;
	pfd_remove(src->pfd, pg);
	if (tracked(uid, from, kind))
		gcd_remove(gcd_for(cl, uid), uid, from);
	gcd_add(gcd_for(cl, uid), uid, to);
	return 0;
}

/*
 * getpage: the faulting node asks the GCD node, which forwards to the first
 * holder that is not the requester.  A global copy moves to the requester;
 * a local (shared) copy is copied and stays.  Returns the node that served
 * the page, or 0 on a miss (no entry, or a stale one).
 */
static uint32_t
getpage(struct cluster *cl, uint32_t id, const struct uid *uid)
{
	struct gcd	*gcd = gcd_for(cl, uid);
	struct pfd_page	*pg;
	uint32_t	 h[GCD_MAX_HOLDERS], from = 0;
	int		 nh, i;

	nh = gcd_holders(gcd, uid, h, GCD_MAX_HOLDERS);
	for (i = 0; i < nh && from == 0; i++)
		if (h[i] != id)
			from = h[i];
	if (from == 0)
		return 0;
	if ((pg = pfd_lookup(node(cl, from)->pfd, uid)) == NULL) {
		gcd_remove(gcd, uid, from);	/* stale: a miss */
		return 0;
	}
	if (pg->kind == PFD_GLOBAL) {
		pfd_remove(node(cl, from)->pfd, pg);
		gcd_remove(gcd, uid, from);
	}
	pg = pfd_insert(node(cl, id)->pfd, uid, PFD_LOCAL,
	    uid_is_shared(uid) ? PFD_SHARED : 0, cl->now);
	if (pg == NULL)
		return 0;
	if (tracked(uid, id, PFD_LOCAL))
		gcd_add(gcd, uid, id);
	return from;
}

static size_t
gcd_total(struct cluster *cl)
{
	size_t	n = 0;
	int	i;

	for (i = 0; i < NNODES; i++)
		n += gcd_count(cl->n[i].gcd);
	return n;
}

/* Cases 1 and 2: a private page put away as global and fetched back. */
static void
test_put_and_fetch(void)
{
	struct cluster	 cl;
	struct uid	 x = { 1, 5, 77 };
	struct pfd_page	*pg;
	uint32_t	 h[GCD_MAX_HOLDERS];

	cluster_init(&cl);
	/* A private page's entry lives on its owner: no extra hop. */
	CHECK_EQ(pod_gcd_node(cl.pod, &x), 1);

	CHECK(readdisk(&cl, 1, &x) != NULL);
	CHECK_EQ(gcd_total(&cl), 0);	/* local on its owner: untracked */
	cl.now += 50;

	/* A puts X to B. */
	CHECK_EQ(putpage(&cl, 1, 2, &x), 0);
	CHECK(pfd_lookup(cl.n[0].pfd, &x) == NULL);
	CHECK_EQ(pfd_nfree(cl.n[0].pfd), NFRAMES);
	pg = pfd_lookup(cl.n[1].pfd, &x);
	CHECK(pg != NULL);
	if (pg != NULL) {
		CHECK_EQ(pg->kind, PFD_GLOBAL);
		CHECK_EQ(pfd_age(pg, cl.now), 50);	/* kept its age */
	}
	CHECK_EQ(pfd_count(cl.n[1].pfd, PFD_GLOBAL), 1);
	CHECK_EQ(gcd_holders(cl.n[0].gcd, &x, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(h[0], 2);
	CHECK_EQ(gcd_total(&cl), 1);

	/* A faults on X: B serves it and forgets it. */
	cl.now += 10;
	CHECK_EQ(getpage(&cl, 1, &x), 2);
	CHECK(pfd_lookup(cl.n[1].pfd, &x) == NULL);
	CHECK_EQ(pfd_nfree(cl.n[1].pfd), NFRAMES);
	pg = pfd_lookup(cl.n[0].pfd, &x);
	CHECK(pg != NULL);
	if (pg != NULL) {
		CHECK_EQ(pg->kind, PFD_LOCAL);
		CHECK_EQ(pg->last_ref, cl.now);
	}
	CHECK_EQ(gcd_holders(cl.n[0].gcd, &x, h, GCD_MAX_HOLDERS), 0);
	CHECK_EQ(gcd_total(&cl), 0);

	/* Nobody else holds it now: a second lookup misses. */
	CHECK_EQ(getpage(&cl, 1, &x), 0);
	cluster_free(&cl);
}

/* Case 4: a shared page local on two nodes at once. */
static void
test_shared_two_holders(void)
{
	struct cluster	 cl;
	struct uid	 s = { 0, 7 | UID_SHARED, 42 };
	struct gcd	*g;
	uint32_t	 h[GCD_MAX_HOLDERS];
	int		 i;

	cluster_init(&cl);
	g = gcd_for(&cl, &s);
	CHECK(g == node(&cl,
	    pod_member_at(cl.pod, pod_buckets(cl.pod)[pod_bucket(&s)])->id)->gcd);

	CHECK_EQ(getpage(&cl, 1, &s), 0);	/* in no memory */
	CHECK(readdisk(&cl, 1, &s) != NULL);
	CHECK_EQ(gcd_holders(g, &s, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(h[0], 1);

	/* C faults: A's copy is copied, A keeps it. */
	CHECK_EQ(getpage(&cl, 3, &s), 1);
	CHECK(pfd_lookup(cl.n[0].pfd, &s) != NULL);
	CHECK(pfd_lookup(cl.n[2].pfd, &s) != NULL);
	CHECK_EQ(pfd_lookup(cl.n[2].pfd, &s)->flags, PFD_SHARED);
	CHECK_EQ(gcd_holders(g, &s, h, GCD_MAX_HOLDERS), 2);
	CHECK(h[0] == 1 && h[1] == 3);
	CHECK_EQ(gcd_total(&cl), 1);
	for (i = 0; i < NNODES; i++)
		if (cl.n[i].gcd != g)
			CHECK_EQ(gcd_count(cl.n[i].gcd), 0);

	/* A puts its copy away to B: the GCD swaps A for B. */
	CHECK_EQ(putpage(&cl, 1, 2, &s), 0);
	CHECK_EQ(gcd_holders(g, &s, h, GCD_MAX_HOLDERS), 2);
	CHECK(h[0] == 2 && h[1] == 3);
	CHECK_EQ(pfd_lookup(cl.n[1].pfd, &s)->kind, PFD_GLOBAL);
	cluster_free(&cl);
}

/* The first shared uid in space whose GCD entry lives on node `on`. */
static struct uid
shared_on(struct cluster *cl, uint32_t space, uint32_t on)
{
	struct uid	u;

	u.node = 0;
	u.space = space | UID_SHARED;
	for (u.pgno = 0; pod_gcd_node(cl->pod, &u) != on; u.pgno++)
		continue;
	return u;
}

/* A node dies: lookups that pointed at it become misses. */
static void
test_dead_node(void)
{
	static const uint32_t	survivors[] = { 1, 2 };
	struct cluster		cl;
	struct uid		y = { 2, 5, 9 }, s, s3;
	uint32_t		h[GCD_MAX_HOLDERS];
	size_t			changed;
	int			i;

	cluster_init(&cl);
	s = shared_on(&cl, 8, 1);	/* entry on A */
	s3 = shared_on(&cl, 8, 3);	/* entry on C */
	CHECK(readdisk(&cl, 2, &y) != NULL);
	CHECK_EQ(putpage(&cl, 2, 3, &y), 0);
	CHECK(readdisk(&cl, 1, &s) != NULL);
	CHECK_EQ(getpage(&cl, 3, &s), 1);
	CHECK(readdisk(&cl, 1, &s3) != NULL);
	CHECK_EQ(gcd_holders(cl.n[1].gcd, &y, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(h[0], 3);
	CHECK_EQ(gcd_holders(cl.n[0].gcd, &s, h, GCD_MAX_HOLDERS), 2);
	CHECK_EQ(gcd_holders(cl.n[2].gcd, &s3, h, GCD_MAX_HOLDERS), 1);

	/* C crashes; the survivors forget it as a holder. */
	changed = 0;
	for (i = 0; i < 2; i++)
		changed += gcd_drop_node(cl.n[i].gcd, 3);
	CHECK_EQ(changed, 2);		/* y's entry (gone) and s's */
	CHECK_EQ(gcd_holders(cl.n[1].gcd, &y, h, GCD_MAX_HOLDERS), 0);
	CHECK_EQ(getpage(&cl, 2, &y), 0);	/* a miss: go to disk */
	CHECK(readdisk(&cl, 2, &y) != NULL);
	CHECK_EQ(gcd_holders(cl.n[0].gcd, &s, h, GCD_MAX_HOLDERS), 1);
	CHECK_EQ(h[0], 1);
	CHECK_EQ(getpage(&cl, 2, &s), 1);	/* A's copy still serves */

	/*
	 * C's partition died with it: under the new POD the entry for s3 is
	 * nowhere, so a fault on it misses and reads the disk, which is safe
	 * because global memory holds clean pages only.
	 */
	pod_of(cl.pod, 2, survivors, NULL, 2);
	CHECK(pod_gcd_node(cl.pod, &s3) != 3);
	gcd_free(cl.n[2].gcd);
	cl.n[2].gcd = gcd_create();
	CHECK_EQ(getpage(&cl, 2, &s3), 0);
	CHECK(pfd_lookup(cl.n[0].pfd, &s3) != NULL);
	cluster_free(&cl);
}

/*
 * POD changes.  The entries are kept in a model as well; after each change
 * every node walks its partition and hands over what is no longer its own.
 */
#define PC_N		400

struct pc_entry {
	struct uid	uid;
	uint32_t	h[2];	/* ascending */
	int		nh;	/* 0: no entry */
};

struct pc_move {
	struct cluster	*cl;
	uint32_t	 self;
	int		 moved[NNODES + 1][NNODES + 1];	/* [from][to] */
	int		 bad;
};

static int
pc_move_cb(const struct uid *uid, const uint32_t *h, int nh, void *arg)
{
	struct pc_move	*mv = arg;
	uint32_t	 to = pod_gcd_node(mv->cl->pod, uid);
	int		 i;

	if (to == mv->self)
		return 0;
	for (i = 0; i < nh; i++)
		if (gcd_add(node(mv->cl, to)->gcd, uid, h[i]) != 1)
			mv->bad++;
	mv->moved[mv->self][to]++;
	return 1;
}

static void
pc_rebalance(struct cluster *cl, struct pc_move *mv)
{
	int	i;

	memset(mv, 0, sizeof *mv);
	mv->cl = cl;
	for (i = 0; i < NNODES; i++) {
		mv->self = cl->n[i].id;
		gcd_foreach(cl->n[i].gcd, pc_move_cb, mv);
	}
}

/* Every live model entry is where the POD says, with its holders, once. */
static int
pc_check(struct cluster *cl, const struct pc_entry *e, int n)
{
	uint32_t	h[GCD_MAX_HOLDERS], at;
	int		i, j, k, live = 0, bad = 0;

	for (i = 0; i < n; i++) {
		if (e[i].nh == 0)
			continue;
		live++;
		at = pod_gcd_node(cl->pod, &e[i].uid);
		for (j = 0; j < NNODES; j++) {
			k = gcd_holders(cl->n[j].gcd, &e[i].uid, h,
			    GCD_MAX_HOLDERS);
			if (cl->n[j].id != at) {
				bad += k != 0;
				continue;
			}
			if (k != e[i].nh || memcmp(h, e[i].h,
			    (size_t)k * sizeof h[0]) != 0)
				bad++;
		}
	}
	if (gcd_total(cl) != (size_t)live)
		bad++;
	return bad;
}

static void
test_pod_change(void)
{
	static const uint32_t	two[] = { 1, 2 }, three[] = { 1, 2, 3 };
	static const uint32_t	gone[] = { 1, 3 };
	static const uint16_t	leaving[] = { 0, POD_MLEAVING, 0 };
	struct cluster		 cl;
	struct pc_entry		 e[PC_N];
	struct pc_move		 mv;
	struct uid		*u;
	uint64_t		 rng = 12345;
	int			 i, j, dropped = 0, owned2 = 0;

	cluster_init(&cl);
	/* Node 3 is not a member yet. */
	pod_of(cl.pod, 1, two, NULL, 2);
	for (i = 0; i < PC_N; i++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		u = &e[i].uid;
		u->pgno = (uint64_t)i;
		if (i % 4 == 0) {
			/* Shared: local on 1 and 2, or global on one. */
			u->node = 0;
			u->space = 3 | UID_SHARED;
			e[i].h[0] = 1 + (uint32_t)(rng >> 40) % 2;
			e[i].h[1] = 2;
			e[i].nh = e[i].h[0] == 1 ? 2 : 1;
		} else {
			/* Private to 1, 2 or 3, global on 1 or 2. */
			u->node = 1 + (uint32_t)(i % 3);
			u->space = 6;
			e[i].h[0] = u->node == 1 ? 2 : 1;
			e[i].nh = 1;
		}
		for (j = 0; j < e[i].nh; j++)
			gcd_add(gcd_for(&cl, u), u, e[i].h[j]);
	}
	CHECK_EQ(pc_check(&cl, e, PC_N), 0);
	CHECK_EQ(gcd_count(cl.n[2].gcd), 0);

	/* 3 joins: entries move only to 3 (its buckets, its own pages). */
	pod_of(cl.pod, 2, three, NULL, 3);
	pc_rebalance(&cl, &mv);
	CHECK_EQ(mv.bad, 0);
	CHECK(mv.moved[1][3] > 0 && mv.moved[2][3] > 0);
	CHECK_EQ(mv.moved[1][2] + mv.moved[2][1], 0);
	CHECK_EQ(pc_check(&cl, e, PC_N), 0);

	/* 2 leaves: only 2's entries move, and 2 ends up with none. */
	pod_of(cl.pod, 3, three, leaving, 3);
	pc_rebalance(&cl, &mv);
	CHECK_EQ(mv.bad, 0);
	CHECK(mv.moved[2][1] > 0 && mv.moved[2][3] > 0);
	CHECK_EQ(mv.moved[1][3] + mv.moved[3][1], 0);
	CHECK_EQ(gcd_count(cl.n[1].gcd), 0);
	CHECK_EQ(pc_check(&cl, e, PC_N), 0);

	/*
	 * 2 is gone: the same buckets, so nothing moves; the pages it held
	 * and its own pages' entries go.
	 */
	pod_of(cl.pod, 4, gone, NULL, 2);
	pc_rebalance(&cl, &mv);
	CHECK_EQ(mv.moved[1][3] + mv.moved[3][1], 0);
	for (i = 0; i < NNODES; i++) {
		if (cl.n[i].id == 2)
			continue;
		gcd_drop_node(cl.n[i].gcd, 2);
		dropped += (int)gcd_drop_owner(cl.n[i].gcd, 2);
	}
	for (i = 0; i < PC_N; i++) {
		if (!uid_is_shared(&e[i].uid) && e[i].uid.node == 2) {
			if (e[i].nh > 0)
				owned2++;
			e[i].nh = 0;
		}
		for (j = 0; j < e[i].nh; j++) {
			if (e[i].h[j] == 2) {
				e[i].h[j] = e[i].h[e[i].nh - 1];
				e[i].nh--;
			}
		}
	}
	CHECK_EQ(dropped, owned2);
	CHECK(owned2 > 0);
	CHECK_EQ(pc_check(&cl, e, PC_N), 0);
	cluster_free(&cl);
}

int
main(void)
{
	RUN(test_put_and_fetch);
	RUN(test_shared_two_holders);
	RUN(test_dead_node);
	RUN(test_pod_change);
	return CHECK_DONE();
}
