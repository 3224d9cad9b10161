/*
 * epoch.h: the replacement policy core (GMS-REFERENCE.md sections 4 and 7).
 *
 * GMS approximates cluster-wide LRU in epochs.  At an epoch's start every
 * node sends the initiator an age summary (struct epoch_summary); from N
 * summaries and M the initiator computes a plan: MinAge, the weights w_i
 * (how many of the M oldest pages cluster-wide sit on node i) and the next
 * initiator.  During the epoch a node's victim older than MinAge is
 * discarded, a younger one is put to node j with probability w_j / M
 * (epoch_evict).  epoch_end_check says when an epoch is over and why, and
 * epoch_adapt picks T and M for the next one.  The N-chance forwarding
 * baseline (Dahlin et al.) lives here too, under epoch_nc_*.
 *
 * Pure: no I/O, no clock, no randomness of its own, no global state.  Ages
 * are in the caller's ticks (gmsd: milliseconds, as in pfd.h); durations T
 * are milliseconds.  Randomness comes in as a uint64_t draw, uniform over
 * all 64-bit values; struct epoch_rng is a small seeded generator the
 * caller owns (the simulator replays from its seed, gmsd seeds it from
 * getrandom).  gmsd and the simulator call the same functions.
 */
#ifndef GMS_EPOCH_H
#define GMS_EPOCH_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Age histogram.  Ages 0 .. EPOCH_HIST_LINEAR - 1 have one bucket each
 * (exact).  From there up to 2^32 - 1 each octave [2^k, 2^(k+1)) is cut
 * into EPOCH_HIST_SUB equal buckets, so a bucket is at most 1/8 of its
 * lower bound wide: an age is known to within 12.5 % (below its true value,
 * never above).  Older ages (more than 49.7 days in ms) share the last
 * bucket.  128 exact buckets + 25 octaves of 8 buckets = 328 buckets.
 */
#define EPOCH_HIST_LINEAR	128	/* ticks: ages below are exact */
#define EPOCH_HIST_SUBBITS	3
#define EPOCH_HIST_SUB		(1 << EPOCH_HIST_SUBBITS) /* buckets/octave */
#define EPOCH_HIST_OCTAVES	25	/* octaves 2^7 .. 2^31 */
#define EPOCH_NBUCKETS		(EPOCH_HIST_LINEAR + \
				    EPOCH_HIST_OCTAVES * EPOCH_HIST_SUB)

/*
 * A free frame is idle memory at its best: it counts as a page of age
 * EPOCH_AGE_FREE, older than any page, so putpages go to free frames first
 * and MinAge is EPOCH_AGE_FREE when the M "oldest" are all free frames
 * (then nothing is discarded).  Page ages saturate just below it.
 */
#define EPOCH_AGE_FREE		UINT64_MAX

/*
 * A node's summary of its page ages: 1320 bytes (EPOCH_SUMMARY_BYTES),
 * whatever the node's memory size.  A plain value, not opaque: it is built
 * by each node, carried in a message (proto.c encodes the fields) and kept
 * in arrays by the initiator.  Build it with epoch_summary_init and
 * epoch_summary_add; global pages are entered with a bias so that at equal
 * age a global page counts as older (section 4).
 */
struct epoch_summary {
	uint32_t	node;			/* node id, never 0 */
	uint32_t	nfree;			/* free frames */
	uint32_t	count[EPOCH_NBUCKETS];	/* pages per age bucket */
};
#define EPOCH_SUMMARY_BYTES	(8 + 4 * EPOCH_NBUCKETS)	/* 1320 */

/* The bucket of an age, and the smallest and largest age it holds. */
unsigned int	 epoch_bucket(uint64_t age);
uint64_t	 epoch_bucket_lo(unsigned int);
uint64_t	 epoch_bucket_hi(unsigned int);
/* age, plus bias if global, saturating below EPOCH_AGE_FREE. */
uint64_t	 epoch_age_biased(uint64_t age, int global, uint64_t bias);

void		 epoch_summary_init(struct epoch_summary *, uint32_t node,
		    uint32_t nfree);
/* One page of this age; a global one is counted bias ticks older. */
void		 epoch_summary_add(struct epoch_summary *, uint64_t age,
		    int global, uint64_t bias);
void		 epoch_summary_add_ages(struct epoch_summary *,
		    const uint64_t *ages, size_t n, int global, uint64_t bias);
uint64_t	 epoch_summary_pages(const struct epoch_summary *);

/*
 * Idle memory: the free frames and the pages whose bucket is at or above
 * the bucket of min_idle_age (pages younger than that are working sets, not
 * idle memory; 0 counts every page).  The size of this pool over all
 * summaries is what epoch_adapt calls idle_pages.
 */
uint64_t	 epoch_idle_pages(const struct epoch_summary *, size_t n,
		    uint64_t min_idle_age);

/*
 * The plan of one epoch (opaque): the nodes in ascending id order with
 * their weights, MinAge, and whether there is idle memory at all.
 *
 * No idle memory (section 4, "MinAge = 0"): epoch_plan_idle() is 0,
 * MinAge is 0, every weight is 0, epoch_plan_m() is 0, and epoch_evict
 * discards every victim.  A plan is in that state when created, when
 * computed with m = 0 (the caller says so: a one-node cluster, a local-only
 * policy), and when no summary shows idle memory (no free frame and no page
 * at least min_idle_age old).
 */
struct epoch_plan;

struct epoch_plan *epoch_plan_create(void);
void		 epoch_plan_free(struct epoch_plan *);

/*
 * The initiator's computation.  Walks the summaries from the oldest bucket
 * (free frames first) down until m pages are found: MinAge is the lower
 * bound of the bucket holding the m-th oldest page (the exact MinAge lies
 * in [MinAge, MinAge + width of that bucket)), nodes get all their pages in
 * older buckets, and the m-th oldest's bucket is split among its nodes in
 * proportion to their counts there, by largest remainder, ties to the lower
 * node id.  If the idle memory holds fewer than m pages, the plan's m is
 * that many.  The next initiator has the largest weight, ties to the lowest
 * node id.  Returns -1 (errno EINVAL) and leaves the plan as it was if a
 * node id is 0 or repeated; n = 0 gives an empty plan without idle memory.
 */
int		 epoch_plan_compute(struct epoch_plan *,
		    const struct epoch_summary *, size_t n, uint64_t m,
		    uint64_t min_idle_age);
/*
 * Install the plan an initiator broadcast: MinAge and n (node id, weight)
 * pairs in any order.  -1 (errno EINVAL), plan unchanged, if an id is 0 or
 * repeated, the weights overflow, or they sum to 0 with a non-zero MinAge.
 */
int		 epoch_plan_set(struct epoch_plan *, uint64_t minage,
		    const uint32_t *nodes, const uint64_t *w, size_t n);

int		 epoch_plan_idle(const struct epoch_plan *);
uint64_t	 epoch_plan_minage(const struct epoch_plan *);
uint64_t	 epoch_plan_m(const struct epoch_plan *);	/* sum of w_i */
uint32_t	 epoch_plan_next(const struct epoch_plan *);	/* 0: none */
/* Idle pages the summaries showed (computed plans; m for set plans). */
uint64_t	 epoch_plan_idle_pages(const struct epoch_plan *);
size_t		 epoch_plan_nnodes(const struct epoch_plan *);
/* The i-th node in id order and its weight; 0 if i is out of range. */
uint32_t	 epoch_plan_node(const struct epoch_plan *, size_t i,
		    uint64_t *w);
uint64_t	 epoch_plan_weight(const struct epoch_plan *, uint32_t node);

enum epoch_verdict {
	EPOCH_PUTPAGE,		/* send the victim to *target */
	EPOCH_DISCARD_OLD,	/* older than MinAge: among the M oldest */
	EPOCH_DISCARD_NOIDLE,	/* no idle memory on any other node */
};

/*
 * The fate of a victim of (biased) age during the epoch: discarded if its
 * age bucket is older than MinAge's (exact for ages below
 * EPOCH_HIST_LINEAR; a victim in MinAge's own bucket is not known to be
 * among the M oldest), else put to node j with probability w_j / sum of the
 * other nodes' weights (self never chosen).  If self holds all the weight,
 * or there is no idle memory, it is discarded.  O(log n).
 */
enum epoch_verdict epoch_evict(const struct epoch_plan *, uint32_t self,
		    uint64_t age, uint64_t draw, uint32_t *target);
const char	*epoch_verdict_name(enum epoch_verdict);

/*
 * Epoch length: at most t_ms milliseconds or m cluster replacements, and T
 * and M adapt within these bounds (the paper's epochs: 5-10 s).  M_MIN
 * keeps the summaries (N * 1320 bytes an epoch) small next to the pages
 * they place; M_MAX is 8 GiB of 8 KiB pages, more than a 10 s epoch moves.
 */
#define EPOCH_T_MIN_MS		1000	/* shortest epoch */
#define EPOCH_T_MAX_MS		10000	/* longest epoch */
#define EPOCH_T_DEFAULT_MS	5000	/* the first epoch */
#define EPOCH_M_MIN		64	/* pages: fewest replacements */
#define EPOCH_M_MAX		(1u << 20) /* pages: most replacements */
#define EPOCH_M_DEFAULT		1024	/* pages: the first epoch */
#define EPOCH_END_RECV_PCT	90	/* % of w_i received ends the epoch */

struct epoch_params {
	uint64_t	t_ms;	/* EPOCH_T_MIN_MS .. EPOCH_T_MAX_MS */
	uint64_t	m;	/* EPOCH_M_MIN .. EPOCH_M_MAX */
};

/* What a node knows of the running epoch when it checks for its end. */
struct epoch_progress {
	uint64_t	elapsed_ms;	/* since the epoch began */
	uint64_t	replaced;	/* cluster replacements counted so far */
	uint64_t	received;	/* putpages this node took this epoch */
	uint64_t	weight;		/* this node's w_i in the plan */
	uint64_t	oldest;		/* biased age of its oldest page now,
					   EPOCH_AGE_FREE if a frame is free */
	uint64_t	minage;		/* the plan's MinAge */
};

enum epoch_end {
	EPOCH_RUNNING,		/* not over */
	EPOCH_END_RECEIVED,	/* this node got about its w_i pages */
	EPOCH_END_STALE,	/* data proved wrong: its old pages ran out */
	EPOCH_END_REPLACED,	/* M replacements */
	EPOCH_END_TIME,		/* T elapsed */
};

/*
 * Whether the epoch is over, checked in the order of enum epoch_end:
 * RECEIVED when weight > 0 and received >= EPOCH_END_RECV_PCT % of it (the
 * largest-weight node's rule, section 4); STALE when weight > 0 and the
 * node's oldest page is younger than MinAge before that (its old pages
 * were referenced or evicted: the weights overstate it); then REPLACED
 * (replaced >= M) and TIME (elapsed >= T).
 */
enum epoch_end	 epoch_end_check(const struct epoch_params *,
		    const struct epoch_progress *);
const char	*epoch_end_name(enum epoch_end);

/* How the last epoch went, for epoch_adapt. */
struct epoch_outcome {
	enum epoch_end	why;
	uint64_t	elapsed_ms;
	uint64_t	replaced;
	uint64_t	idle_pages;	/* epoch_idle_pages() now */
};

void		 epoch_params_default(struct epoch_params *);
/*
 * T and M for the next epoch.  At the last epoch's replacement rate the
 * idle pages last idle_pages * elapsed / replaced ms; T is half of that
 * (longer when there are many old pages), T_MAX if nothing was replaced or
 * there is no idle memory.  M is the replacements expected in T at that
 * rate (unchanged if nothing was replaced), at most idle_pages.  After a
 * STALE end both are at most half the last ones.  Then T is clamped to
 * [EPOCH_T_MIN_MS, EPOCH_T_MAX_MS] and M to [EPOCH_M_MIN, EPOCH_M_MAX].
 */
void		 epoch_adapt(const struct epoch_params *,
		    const struct epoch_outcome *, struct epoch_params *);

/*
 * N-chance forwarding (section 7).  A page's recirculation count is 0 when
 * it is not recirculating: never forwarded, or referenced since it arrived
 * (a real reference resets it to 0).  The receiver inserts a forwarded page
 * as if just used.
 */
#define EPOCH_NC_N		2	/* forwards before a singlet is dropped */

enum epoch_nc_verdict {
	EPOCH_NC_DROP,
	EPOCH_NC_FORWARD,	/* with recirculation count *fwd */
};

/*
 * An evicted page: a non-singlet is dropped; a fresh singlet is forwarded
 * with count nchance; a recirculating one with count - 1, or dropped when
 * that is 0.  So a singlet is forwarded nchance times at most.
 */
enum epoch_nc_verdict epoch_nc_evict(int singlet, unsigned int count,
		    unsigned int nchance, unsigned int *fwd);
/* A uniformly random node of nodes[] other than self; 0 if none. */
uint32_t	 epoch_nc_target(const uint32_t *nodes, size_t n,
		    uint32_t self, uint64_t draw);

struct epoch_nc_cand {
	uint64_t	age;		/* ticks since the last reference */
	int		singlet;	/* the only cached copy in the cluster */
	unsigned int	count;		/* recirculation count, 0: none */
};

/*
 * The receiver's victim among n candidates: a duplicate (non-singlet)
 * first, then a recirculating page, then a singlet; the oldest within the
 * first class present, ties to the lower index.  -1 if n is 0.
 */
ssize_t		 epoch_nc_victim(const struct epoch_nc_cand *, size_t n);

/* splitmix64: a small seeded generator whose state the caller owns. */
struct epoch_rng {
	uint64_t	state;
};

void		 epoch_rng_seed(struct epoch_rng *, uint64_t seed);
uint64_t	 epoch_rng_next(struct epoch_rng *);
/* Map a uniform 64-bit draw to [0, n) (n > 0); bias at most n / 2^64. */
uint64_t	 epoch_draw_below(uint64_t draw, uint64_t n);

#endif
