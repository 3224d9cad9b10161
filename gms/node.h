/*
 * node.h: the state of one gmsd, shared by its modules.
 *
 *   gmsd.c    options, start-up, signals, the event loop
 *   node.c    datagram dispatch: checks the sender, hands to a module
 *   member.c  joining, the master's member table, POD push, heartbeats,
 *             dead-node detection, graceful leave
 *   pages.c   getpage / putpage / discard and the GCD partition
 *   ctl.c     the local control socket (gmsctl, later libgms)
 */
#ifndef GMS_NODE_H
#define GMS_NODE_H

#include <sys/types.h>

#include <netinet/in.h>
#include <stdint.h>

#include "directories/gcd.h"
#include "directories/pfd.h"
#include "directories/pod.h"
#include "gms/net.h"
#include "gms/proto.h"

struct event;
struct event_base;
struct ctl_conn;
struct ctl_map;
struct page_gen;
struct replace;
struct gcd_coalesce;
struct store_model;

#define NODE_HEARTBEAT_MS	500	/* default heartbeat interval */
#define NODE_DEAD_BEATS		4	/* missed heartbeats: dead */
#define NODE_JOIN_WAIT_MS	3000	/* give up joining after this */
#define NODE_REQ_TRIES		6	/* sends of a page request */
#define NODE_REQ_RTO_MS		20	/* its first timeout (doubles) */
#define NODE_CTL_TRIES		8	/* sends of a membership request */
#define NODE_CTL_RTO_MS		50
#define NODE_SUSPECT_MS		10000	/* a silent node is skipped this long */

/* Master failover (member.c) */
#define NODE_SEEDS_MAX		16	/* addresses in --master A,B,C */
#define NODE_JOIN_TRIES		3	/* JOINs to one address, then next */
#define NODE_TAKEOVER_VERSIONS	16	/* POD versions a new master skips */

enum node_state {
	NS_JOINING,		/* waiting for JOIN_ACK */
	NS_MEMBER,		/* joined, serving */
	NS_LEAVING,		/* handing off before exit */
	NS_GONE,		/* left: the loop is ending */
};

/* What the master knows of a member (master only). */
struct node_member {
	struct pod_member	pm;
	uint64_t		last_beat_ms;
	uint64_t		nonce;
	uint32_t		nfree;
	int			heard;	/* beat to this master (its term) */
};

/* A member the master dropped: its process gets the same id back. */
#define NODE_RETIRED	256	/* dropped members remembered */
struct node_retired {
	uint64_t	nonce;
	uint32_t	id;
};

/* The master's last word on idle memory, for choosing putpage targets. */
struct node_load {
	uint32_t	node;
	uint32_t	nfree;
};

/* Operation counters and latency samples shown by gmsctl status. */
struct node_stats {
	uint64_t	puts, puts_failed, put_evictions;
	uint64_t	gets, get_local, get_remote, get_miss, get_failed;
	uint64_t	discards;
	uint64_t	served_pages, served_misses, forwards;
	uint64_t	gcd_updates, handed_over, taken_over;
	uint64_t	dead_nodes, joins, leaves;
	uint64_t	stale_puts, stale_served;
	uint64_t	faults, faults_cluster, faults_disk, wp_faults;
	uint64_t	evict_local, writebacks, sampled, referenced;
	uint64_t	epoch_puts, epoch_discards;
	uint64_t	put_refused;	/* putpages refused: under pressure */
	uint64_t	put_redirected;	/* puts sent past a node that was full */
	/* the fault path (pager.c, pages.c) */
	uint64_t	evict_ahead, gcd_coalesced;
	uint64_t	prefetch_sent, prefetch_installed, prefetch_waited;
	/* batched putpages (pages.c): PUTBATCHes sent, pages in them, */
	/* copies received while storing, pages refused or unanswered */
	uint64_t	put_batches, puts_batched, put_batch_dups;
	uint64_t	put_batch_retries;
};

#define POLICY_GMS	0	/* cluster memory, as in the paper */
#define POLICY_LOCAL	1	/* no cluster memory: the disk baseline */
#define POLICY_NCHANCE	2	/* N-chance forwarding (GMS-REFERENCE 7) */
#define NODE_NC_SCAN	64	/* N-chance receiver: oldest pages looked at */

struct node {
	struct event_base	*base;
	struct net		*net;
	struct proto_key	 key;
	uint32_t		 cluster;
	uint32_t		 page_size;
	uint32_t		 heartbeat_ms;
	enum node_state		 state;

	uint32_t		 id;
	uint64_t		 nonce;
	int			 is_master;
	uint32_t		 master_id;
	struct sockaddr_in	 master;
	struct sockaddr_in	 self_addr;	/* as the master sees us */

	struct pod		*pod;
	struct gcd		*gcd;
	struct pfd		*pfd;
	uint32_t		 nframes;
	uint8_t			*frames;	/* nframes * page_size */

	/* the master's table; every member mirrors it from the POD push */
	struct node_member	 members[POD_MAX_MEMBERS];
	int			 nmembers;
	uint32_t		 next_id;
	struct node_retired	 retired[NODE_RETIRED];
	int			 nretired;

	struct node_load	 loads[POD_MAX_MEMBERS];
	int			 nloads;
	uint64_t		 last_ack_ms;	/* last heartbeat ack */
	int			 master_lost;

	/* master failover and partitions (member.c) */
	uint32_t		 term;		/* membership term */
	int			 quorum;	/* master: hears a majority */
	uint64_t		 noquorum_ms;	/* since when it does not */
	uint64_t		 takeovers;	/* times this node took over */
	uint64_t		 master_since_ms;
	uint64_t		 handoff_ms;	/* master leaving: since when */
	int			 leave_again;	/* LEAVE_DONE met no quorum */
	int			 leave_tries;
	struct sockaddr_in	 seeds[NODE_SEEDS_MAX];	/* --master list */
	int			 nseeds;
	struct sockaddr_in	 join_to[NODE_SEEDS_MAX + POD_MAX_MEMBERS];
	int			 njoin_to;	/* addresses a JOIN may go to */
	int			 join_next;	/* the next one tried */
	int			 join_round;	/* addresses tried this round */
	int			 join_busy;	/* a JOIN is in flight */
	int			 joined_once;	/* 0: not joining is fatal */
	uint64_t		 join_start_ms;

	int			 leave_pending;	/* putpages in flight */
	struct ctl_conn		*leave_conn;	/* who asked to leave */
	uint32_t		 leave_reqid;

	struct event		*beat_timer;
	int			 policy;	/* POLICY_* */
	int			 policy_asked;	/* --policy given (-1: none) */
	uint8_t			 put_recirc;	/* N-chance count of the next put */
	const struct store_model *disk;		/* the backing store's model */
	uint32_t		 get_from;	/* holder of the last page got */
	struct page_gen		*gens;		/* pages.c */
	struct pager_region	*regions;	/* pager.c */
	uint32_t		 next_space;
	uint8_t			*pagebuf;	/* STORE_ALIGN-ed: evictions */
	uint8_t			*fetchbuf;	/* STORE_ALIGN-ed: disk reads */
	uint32_t		 sample_ms;	/* age sampler period */
	uint32_t		 sample_pct;	/* share of pages per period */
	struct event		*sample_timer;
	struct replace		*replace;	/* replace.c */
	/* members that left a request unanswered: until when to skip them */
	uint32_t		 suspect_id[POD_MAX_MEMBERS];
	uint64_t		 suspect_until[POD_MAX_MEMBERS];
	/* members that refused a putpage (ST_FULL), and in which plan */
	uint32_t		 full_id[POD_MAX_MEMBERS];
	uint64_t		 full_plan[POD_MAX_MEMBERS];
	uint64_t		 plans;		/* epoch plans installed */
	int			 backpressure;	/* --backpressure */
	char			 dir[256];
	struct node_stats	 st;
	uint64_t		 started_ms;
	uint64_t		 rand_state;
	/* the fault path (pager.c, pages.c; README "The fault path") */
	uint32_t		 putpage_batch;	/* frames freed ahead; 0: inline */
	uint32_t		 prefetch;	/* pages read ahead of a stream */
	uint32_t		 poll_us;	/* busy polling after a wake-up */
	uint32_t		 refill_hint;	/* who gave us the last page */
	uint32_t		 refill_owed;	/* pages still owed to it */
	struct event		*refill_ev;	/* pager.c: evicts ahead */
	struct gcd_coalesce	*coalesce;	/* pages.c: GCD updates pending */
	struct put_batching	*putbatching;	/* pages.c: PUTBATCHes */
};

uint64_t	 node_now_ms(void);
uint64_t	 node_rand(struct node *);
uint8_t		*node_frame(struct node *, uint32_t frame);
void		 node_recv(struct net *, const struct msg *,
		    const struct sockaddr_in *, void *);
/*
 * A member that let a request time out is suspect for NODE_SUSPECT_MS, or
 * until a datagram from it arrives: lookups that point at it are misses at
 * once and no page is put to it, instead of each waiting for a timeout
 * (the master, the only one who hears heartbeats, may itself be dead).
 */
void		 node_suspect(struct node *, uint32_t id);
int		 node_is_suspect(struct node *, uint32_t id);
/*
 * Backpressure: a member that refused a putpage as full gets no putpage
 * from us until the next epoch plan (n->plans moves on).
 */
void		 node_mark_full(struct node *, uint32_t id);
int		 node_is_full(struct node *, uint32_t id);
/* Address of member id from the POD; -1 if it is not a member. */
int		 node_member_addr(struct node *, uint32_t id,
		    struct sockaddr_in *);

/* member.c */
void		 member_start(struct node *);
void		 member_handle(struct node *, const struct msg *,
		    const struct sockaddr_in *);
int		 member_leave(struct node *, struct ctl_conn *, uint32_t);
void		 member_leave_progress(struct node *);
/* A member to put a page to (not self, not exclude); 0 if none. */
uint32_t	 member_pick_target(struct node *, uint32_t exclude);
void		 member_note_load(struct node *, uint32_t id, uint32_t nfree);
/* Parse --master HOST:PORT[,HOST:PORT...] into n->seeds; -1 and err. */
int		 member_parse_seeds(struct node *, const char *, char *err,
		    size_t errlen);
/* The membership fields of gmsctl status --json (term, quorum...). */
int		 member_status(struct node *, char *, size_t);

/*
 * pages.c.  A done function gets status 0 (done; page is the page for a
 * get), 1 (miss: the page is in no memory), -1 (no answer), -2 (refused:
 * the target was full or leaving), -3 (no other node to put to).
 */
typedef void	 pages_done_fn(struct node *, int status, const uint8_t *page,
		    void *arg);
void		 pages_handle(struct node *, const struct msg *,
		    const struct sockaddr_in *);
void		 pages_put(struct node *, const struct uid *,
		    const uint8_t *page, pages_done_fn *, void *);
/* Put to target (0: the node with most free frames), carrying an age. */
void		 pages_put_to(struct node *, const struct uid *,
		    const uint8_t *page, uint32_t target, uint32_t age_ms,
		    uint32_t gen, pages_done_fn *, void *);
uint32_t	 pages_age32(struct node *, const struct pfd_page *);
/* cache: keep the fetched page here as a local page (gmsctl get). */
void		 pages_get(struct node *, const struct uid *, int cache,
		    pages_done_fn *, void *);
struct pfd_page	*pages_take_frame(struct node *, const struct uid *,
		    int kind, int flags, uint64_t last_ref,
		    unsigned int victims, uint32_t hint);
/* A page of ours is being written: older copies elsewhere are stale. */
void		 pages_invalidate(struct node *, const struct uid *);
/* Forget the put generations of one space (-1: all). */
void		 pages_free_gens(struct node *, int space);
/* Discard every page of one of our regions from other nodes' memory. */
size_t		 pages_discard_space(struct node *, uint32_t space);
/* Tell uid's GCD node that this node caches it (or no longer does). */
void		 pages_note_holder(struct node *, const struct uid *, int add);

/*
 * The fault path (README "The fault path").  pages_make_room evicts up to
 * max oldest pages until want frames are free (hint as for
 * pages_take_frame) and returns how many left; pages_close frees the GCD
 * updates still waiting to be coalesced (at exit).
 */
int		 pages_make_room(struct node *, uint32_t want, int max,
		    uint32_t hint);
void		 pages_close(struct node *);
/* Free frames less those the pager keeps free for its faults: idle. */
uint32_t	 pager_nfree_idle(struct node *);
#define NODE_PUTPAGE_BATCH	16	/* default --putpage-batch (pages) */
#define NODE_PREFETCH		8	/* default --prefetch (pages) */
#define NODE_BATCH_MAX		PROTO_MAX_ENTRIES
#define NODE_PREFETCH_MAX	256
#define NODE_POLL_US_MAX	10000	/* --poll-us: at most 10 ms */
/*
 * Event priorities (gmsd.c sets NODE_NPRI; others get the middle one).
 * A program's userfaultfd shares the middle one with datagrams and timers:
 * libevent runs only the highest active priority, so faults above them
 * (8 threads faulting pages in from the disk keep the userfaultfd always
 * readable) starved heartbeats until the node was declared dead.
 */
#define NODE_PRI_FAULT	1	/* a program's userfaultfd */
#define NODE_PRI_IDLE	2	/* work done when nothing else waits */
#define NODE_NPRI	3

/* An eviction's target meaning: drop the page (after a write-back). */
#define PAGES_NOWHERE	UINT32_MAX

/* pager.c: the node's programs' regions (userfaultfd) */
#define PAGER_SPACE_BASE 0x10000	/* region spaces; lower: gmsctl's */
/* 1 if space is a region of ours that is mapped now. */
int		 pager_space_live(struct node *, uint32_t space);
/* A page's age for comparisons across nodes (agesampler/ages.h). */
uint64_t	 pager_age(struct node *, const struct pfd_page *, uint64_t now);
/* The put generation of our region page uid; NULL if not a region's. */
uint32_t	*pager_gen_slot(struct node *, const struct uid *);
struct pager_region;
int		 pager_map(struct node *, struct ctl_conn *,
		    const struct ctl_map *, const char *path, int memfd,
		    int uffd, pid_t pid, uint32_t *space, char *err,
		    size_t errlen);
int		 pager_unmap(struct node *, struct ctl_conn *, uint32_t space);
void		 pager_conn_closed(struct node *, struct ctl_conn *);
/* Copy a resident region page into buf; -1 if pg is not one. */
int		 pager_copy_out(struct node *, const struct pfd_page *,
		    uint8_t *buf);
/* Evict a region page (write-back, putpage); -1 if pg is not one. */
int		 pager_evict(struct node *, struct pfd_page *, uint32_t hint);
void		 pager_close(struct node *);
/* Run the event loop until it ends (busy polling with --poll-us). */
void		 pager_loop(struct node *);
int		 pager_nregions(struct node *);
/* One period of the age sampler over every region. */
void		 pager_sample(struct node *, uint64_t now, unsigned share_pct);

/* replace.c: epochs and weighted-random targets (section 4) */
void		 replace_init(struct node *);
void		 replace_free(struct node *);
void		 replace_handle(struct node *, const struct msg *,
		    const struct sockaddr_in *);
/* 0: discard the victim; > 0: put it there; -1: no plan yet. */
int64_t		 replace_target(struct node *, const struct pfd_page *);
void		 replace_note_received(struct node *);
int		 replace_status(struct node *, char *, size_t);

/* agesampler/sampler.c */
void		 sampler_start(struct node *);
void		 sampler_stop(struct node *);
void		 pages_discard(struct node *, const struct uid *,
		    pages_done_fn *, void *);
/* A new POD is installed: drop the dead, hand over what moved. */
void		 pages_pod_changed(struct node *, const struct pod *old);
/* Leave: push every global page to other nodes; returns how many. */
int		 pages_evacuate(struct node *);

/* ctl.c */
int		 ctl_listen(struct node *, char *err, size_t errlen);
void		 ctl_close(struct node *);
void		 ctl_reply(struct ctl_conn *, uint8_t op, uint32_t reqid,
		    int status, const void *payload, size_t len);
void		 ctl_replyf(struct ctl_conn *, uint8_t op, uint32_t reqid,
		    int status, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
void		 ctl_conn_release(struct ctl_conn *);
void		 ctl_conn_hold(struct ctl_conn *);
/* The client's regions are lost: tell it why (CTL_LOST), then close. */
void		 ctl_conn_lost(struct ctl_conn *, const char *why);

#endif
