/*
 * sim.h: gmssim, the deterministic simulator of GMS (DESIGN.md, "Pure core,
 * two drivers").  It drives the same pure core as gmsd (directories/pfd.h
 * for each node's memory, directories/epoch.h for the policies) with
 * virtual time, for hundreds of nodes, and compares GMS with N-chance,
 * local-only paging and an ideal global LRU.
 *
 * Modules: sim.c (the event queue, nodes, the network and disk models, the
 * page directory, the fault path of GMS-REFERENCE.md section 2, crashes,
 * the global age order that measures replacement quality), simwork.c (the
 * workloads and the trace reader), simpolicy.c (where an evicted page goes
 * under each policy, and the epochs of section 4), gmssim.c (options and
 * the report).
 *
 * Time is virtual, in nanoseconds from the start of the run.  Page ages in
 * the PFDs and in the epoch summaries are in microseconds (SIM_NS_PER_TICK):
 * a histogram bucket is then exact below 128 us and within 12.5 % above.
 * Nothing here reads a clock or an unseeded random source: one seed and
 * the arguments decide every event, so a run replays bit for bit.
 */
#ifndef GMS_SIM_H
#define GMS_SIM_H

#include <stdint.h>
#include <stdio.h>

#include "directories/epoch.h"
#include "directories/pfd.h"
#include "directories/uid.h"

#define SIM_NODES_MAX		4096	/* nodes in one run */
#define SIM_NS_PER_US		1000ULL
#define SIM_NS_PER_MS		1000000ULL
#define SIM_NS_PER_TICK		SIM_NS_PER_US	/* PFD and summary ages */
#define SIM_SPACE		1	/* uid.space of every node's pages */

/* Wire sizes: a message without a page (24 B header + 16 B MAC as in
   gms/proto.h, 28 B UDP/IP, the body's fields), and with one. */
#define SIM_MSG_BYTES		96	/* bytes */
#define SIM_PAGE_SIZE		8192	/* bytes: the paper's page */

#define SIM_GCD_MISS_NS		(15 * SIM_NS_PER_US) /* lookup that misses */
#define SIM_TIMEOUT_MS		20	/* a getpage without a reply */
#define SIM_DETECT_MS		2000	/* a crash is noticed (4 heartbeats
					   of 500 ms, as gmsd) */
/* The epoch protocol's timers, the same as gmsd's (gms/replace.c). */
#define SIM_EPOCH_TICK_MS	100	/* how often the end is checked */
#define SIM_COLLECT_MS		300	/* longest wait for summaries */
#define SIM_GRACE_MS		3000	/* then the lowest live node starts */
#define SIM_M_CAP_PCT		100	/* % of the cluster's frames: most M */
#define SIM_MIN_IDLE_MS	1000	/* ms: younger pages are not idle (as gmsd's
				   REPLACE_MIN_IDLE_AGE) */

enum sim_policy {
	SIM_GMS,	/* epochs and weighted-random putpage (section 4) */
	SIM_NCHANCE,	/* N-chance forwarding, N = EPOCH_NC_N (section 7) */
	SIM_LOCAL,	/* no cluster memory: evict to disk */
	SIM_IDEAL,	/* exact global LRU with perfect knowledge */
};

enum sim_wkind {
	SIM_W_IDLE,	/* no workload: memory only */
	SIM_W_SEQ,	/* pages 0 .. ws-1 in order, again and again */
	SIM_W_UNIFORM,	/* uniformly random page of ws */
	SIM_W_ZIPF,	/* page k with probability ~ 1 / (k+1)^s */
	SIM_W_TRACE,	/* references read from a trace file */
};

#define SIM_THINK_UNSET		UINT64_MAX	/* think= not given */

/* One reference of a trace. */
struct sim_tref {
	uint64_t	t_us;
	uint64_t	pgno;
	int		write;
};

/* A node's workload: what it is, and where it has got to. */
struct sim_work {
	enum sim_wkind	 kind;
	uint64_t	 ws;		/* working set, pages */
	uint64_t	 refs;		/* references to make */
	double		 s;		/* Zipf exponent */
	unsigned int	 write_pct;	/* % of references that write */
	uint64_t	 think_ns;	/* between two references */
	uint64_t	 issued;	/* references taken so far */
	const double	*cdf;		/* Zipf, shared by equal (ws, s) */
	struct sim_tref	*tr;		/* trace references of this node */
	size_t		 ntr, cap;
	struct epoch_rng rng;		/* this workload's draws */
};

/* Where the one valid copy of a page is (the owner's GCD entry). */
enum sim_where {
	SP_DISK,	/* in no memory: on the backing store */
	SP_MEM,		/* in holder's memory (a valid PFD copy) */
	SP_PUT,		/* a putpage to holder is on the wire */
	SP_WRITE,	/* being written back before a putpage to holder */
	SP_GET,		/* a getpage reply to the owner is on the wire */
	SP_LOST,	/* holder crashed or the putpage was lost; the GCD
			   still names holder: a getpage there will miss */
};

/* A page of a node (private: section 2's case 4 is not modelled). */
struct sim_page {
	uint64_t		 pgno;
	uint32_t		 owner;
	uint32_t		 holder;	/* for SP_MEM .. SP_LOST */
	uint32_t		 gen;		/* of the valid copy */
	uint8_t			 where;		/* enum sim_where */
	uint8_t			 nc;		/* N-chance count, 0: none */
	struct pfd_page		*pg;		/* the copy, if SP_MEM */
	uint64_t		 stamp;		/* age order, 0: none */
	uint32_t		 win_start;	/* window that ranked it */
	uint32_t		 win_ref;	/* window of its last reference */
	uint64_t		 start_rank;	/* its rank at that start */
	uint64_t		 move_ref;	/* ticks: last_ref, SP_WRITE */
};

struct sim_stats {
	uint64_t	refs;
	uint64_t	hits;		/* in its own memory */
	uint64_t	cluster_hits;	/* getpage from another node */
	uint64_t	disk_reads;
	uint64_t	disk_writes;
	uint64_t	msgs;		/* sent */
	uint64_t	bytes;		/* sent */
	uint64_t	timeouts;	/* getpages that never got a reply */
	uint64_t	puts_sent;
	uint64_t	puts_recv;
	uint64_t	discards;	/* pages it dropped from memory */
	uint64_t	cases[4];	/* faults by section 2 case 1-3 */
};

enum sim_fphase {
	SIM_F_NONE,
	SIM_F_NET,	/* waiting for a getpage reply */
	SIM_F_DISK,	/* waiting for a disk read */
};

struct sim_node {
	uint32_t		 id;		/* 1 .. nnodes */
	uint32_t		 nframes;
	int			 alive;		/* memory and workload */
	int			 known_dead;	/* the others noticed */
	struct pfd		*pfd;
	void			*dir;		/* its pages (sim.c's hash) */
	struct sim_work		 work;
	struct sim_stats	 st;
	/* the reference in progress */
	int			 have_ref;
	uint64_t		 ref_pgno;
	int			 ref_write;
	uint64_t		 fault_id;
	enum sim_fphase		 fphase;
	uint32_t		 fault_src;	/* getpage sent here */
	int			 done;
	uint64_t		 done_at;	/* ns: workload over or crash */
	int			 crashed;
	uint64_t		 crash_at;	/* ns */
	/* models */
	uint64_t		 nic_free;	/* ns: its link is idle */
	uint64_t		 disk_free;	/* ns: its disk is idle */
	uint64_t		 disk_next;	/* pgno that would be sequential */
	int			 freepos;	/* in sim.freeset, -1: none */
	/* policy */
	struct epoch_rng	 rng;
	uint32_t		 ep;		/* installed epoch, 0: none */
	uint64_t		 ep_at;		/* ns it was installed */
	uint64_t		 received;	/* putpages since */
};

/* A --crash NODE@MS. */
struct sim_crash {
	uint32_t	node;
	uint64_t	at_ms;
};

struct sim_config {
	enum sim_policy	 policy;
	uint64_t	 seed;
	uint32_t	 nnodes;
	uint32_t	 page_size;	/* bytes */
	const char	*net_name;
	uint64_t	 net_lat_ns;	/* per message */
	uint64_t	 net_mbps;	/* 0: infinite bandwidth */
	const char	*disk_name;
	uint64_t	 disk_seq_ns;
	uint64_t	 disk_rand_ns;
	uint64_t	 timeout_ms;	/* getpage */
	uint64_t	 min_idle_ms;	/* epoch_plan_compute's min_idle_age */
	uint64_t	 m_cap_pct;	/* plan M at most this % of frames */
	uint64_t	 window_ms;	/* overlap windows, non-gms policies */
	uint64_t	 until_ms;	/* 0: until every workload is done */
	uint32_t	 drop_ppm;	/* message loss, parts per million */
	uint64_t	 drop_from_ms;
	uint64_t	 drop_to_ms;
	struct sim_crash *crash;
	size_t		 ncrash;
};

/* Replacement quality: evictions ranked in the global age order. */
struct sim_quality {
	uint64_t	evictions;	/* valid pages that left memory */
	uint64_t	rank_ppm_sum;	/* rank / pages, parts per million */
	uint64_t	top1;		/* among the oldest 1 % */
	uint64_t	top10;		/* among the oldest 10 % */
	uint64_t	windows;	/* windows with evictions */
	uint64_t	win_evicted;	/* evictions in those windows */
	uint64_t	win_matched;	/* of which ideal LRU's set */
	uint64_t	win_ratio_ppm;	/* sum of per-window overlaps */
};

struct sim_epochs {
	uint64_t	run;		/* plans computed */
	uint64_t	why[EPOCH_END_TIME + 1];
	uint64_t	msgs;		/* start, summary, plan */
	uint64_t	bytes;
	uint64_t	verdicts[EPOCH_DISCARD_NOIDLE + 1];
	uint64_t	t_ms_sum;	/* T and M over the plans */
	uint64_t	m_sum;
};

struct sim_event;
struct sim_msg;
struct sim_epoch;

struct sim {
	struct sim_config	 cfg;
	struct sim_node		*nodes;		/* nodes[id - 1] */
	uint64_t		 now;		/* ns */
	int			 stop;
	uint32_t		 active;	/* workloads still running */
	/* event queue: a binary heap on (time, sequence) */
	struct sim_event	*heap;
	size_t			 nheap, capheap;
	uint64_t		 seq;
	struct epoch_rng	 drop_rng;
	/* nodes the others believe alive, ascending id */
	uint32_t		*live;
	size_t			 nlive;
	/* alive nodes with a free frame (the ideal policy's targets) */
	uint32_t		*freeset;
	size_t			 nfreeset;
	/* global age order of the pages in cluster memory */
	uint32_t		*fen;		/* Fenwick tree over stamps */
	struct sim_page		**byst;		/* stamp -> page */
	uint64_t		 stcap;		/* stamps 1 .. stcap - 1 */
	uint64_t		 stnext;
	uint64_t		 inmem;		/* pages in the order */
	uint64_t		 fenlog;	/* highest power of 2 < stcap */
	/* measurement windows (epochs under gms) */
	uint32_t		 win;
	uint64_t		*win_ranks;
	size_t			 nwin_ranks, capwin_ranks;
	uint64_t		 win_k;
	struct sim_quality	 q;
	/* epochs (gms) */
	struct sim_epoch	*ep;		/* ep[1 .. nep] */
	uint32_t		 nep, capep;
	uint64_t		 ep_replaced;	/* in the current epoch */
	struct epoch_plan	*noplan;	/* before the first plan */
	int			 coll;		/* collecting summaries */
	uint32_t		 coll_init;
	uint32_t		 coll_ep;
	enum epoch_end		 coll_why;
	struct epoch_summary	*sums;
	size_t			 nsums;
	size_t			 waiting;
	struct sim_epochs	 eps;
	uint64_t		 lost_pages;	/* putpages or holders lost */
	uint64_t		 stale;		/* orphan copies dropped */
	uint64_t		 events;
};

/* Message types (sim.c and simpolicy.c). */
enum sim_mtype {
	SIM_M_GET,		/* getpage request */
	SIM_M_GET_HIT,		/* reply with the page */
	SIM_M_GET_MISS,		/* reply: not here */
	SIM_M_PUT,		/* putpage */
	SIM_M_MOVE,		/* ideal: a move already made, for its cost */
	SIM_M_EP_START,		/* initiator: send me your summary */
	SIM_M_EP_SUMMARY,
	SIM_M_EP_PLAN,
};

struct sim_msg {
	enum sim_mtype		 type;
	uint32_t		 src, dst;
	int			 lost;
	uint32_t		 owner;
	uint64_t		 pgno;
	uint32_t		 gen;
	uint64_t		 id;		/* fault id, or epoch */
	uint64_t		 last_ref;	/* ticks: the age it carries */
	unsigned int		 nc;
	struct epoch_summary	*sum;
};

enum sim_etype {
	SIM_E_REF,		/* node makes its next reference */
	SIM_E_MSG,		/* a message arrives */
	SIM_E_DISK_READ,	/* a fault's disk read is done */
	SIM_E_WRITTEN,		/* a write-back before a putpage is done */
	SIM_E_TIMEOUT,		/* a getpage's time is up */
	SIM_E_CRASH,
	SIM_E_DETECT,		/* the others notice a crash */
	SIM_E_TICK,		/* epoch end check */
	SIM_E_COLLECT,		/* summary wait over */
	SIM_E_WINDOW,		/* measurement window (non-gms) */
};

struct sim_event {
	uint64_t	 t;
	uint64_t	 seq;
	enum sim_etype	 type;
	uint32_t	 node;
	uint64_t	 a;
	void		*p;
};

/* sim.c */
struct sim	*sim_create(const struct sim_config *);
void		 sim_free(struct sim *);
void		 sim_run(struct sim *);
struct sim_node	*sim_node(struct sim *, uint32_t id);
uint64_t	 sim_now_tick(const struct sim *);
void		 sim_schedule(struct sim *, uint64_t t, enum sim_etype,
		    uint32_t node, uint64_t a, void *p);
struct sim_msg	*sim_msg_new(enum sim_mtype, uint32_t src, uint32_t dst);
void		 sim_send(struct sim *, struct sim_msg *, uint32_t bytes);
uint64_t	 sim_disk_io(struct sim *, struct sim_node *, uint64_t pgno,
		    int write);
struct sim_page	*sim_page_find(struct sim *, uint32_t owner, uint64_t pgno);
struct sim_page	*sim_copy_page(struct sim *, struct sim_node *,
		    struct pfd_page *);
void		 sim_mem_insert(struct sim *, struct sim_node *,
		    struct sim_page *, int kind, int dirty, uint64_t last_ref);
void		 sim_mem_remove(struct sim *, struct sim_node *,
		    struct pfd_page *);
void		 sim_evict(struct sim *, struct sim_node *, struct pfd_page *);
void		 sim_drop_stale(struct sim *, struct sim_node *,
		    struct pfd_page *);
void		 sim_put(struct sim *, struct sim_node *, struct pfd_page *,
		    uint32_t to, unsigned int nc);
void		 sim_age_del(struct sim *, struct sim_page *);
struct sim_page	*sim_age_oldest(struct sim *);
void		 sim_window_start(struct sim *);
void		 sim_window_end(struct sim *);
uint32_t	 sim_lowest_live(const struct sim *);

/* simwork.c */
int		 simwork_parse(struct sim_work *, const char *key,
		    const char *val, char *err, size_t errlen);
int		 simwork_check(const struct sim_work *, char *, size_t);
int		 simwork_trace_load(struct sim *, const char *path, char *err,
		    size_t errlen);
void		 simwork_init(struct sim *, struct sim_node *);
int		 simwork_next(struct sim_node *, uint64_t *pgno, int *write,
		    uint64_t *gap_ns);
const char	*simwork_name(const struct sim_work *, char *, size_t);
void		 simwork_free(void);

/* simpolicy.c */
void		 simpol_start(struct sim *);
void		 simpol_make_room(struct sim *, struct sim_node *,
		    uint32_t src);
void		 simpol_put_arrive(struct sim *, struct sim_node *,
		    struct sim_msg *);
void		 simpol_msg(struct sim *, struct sim_node *, struct sim_msg *);
void		 simpol_tick(struct sim *);
void		 simpol_collect_timeout(struct sim *, uint32_t ep);
void		 simpol_free(struct sim *);
const char	*simpol_name(enum sim_policy);
int		 simpol_parse(const char *, enum sim_policy *);

#endif
