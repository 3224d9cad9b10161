/*
 * gmstrace.h: the state gmstrace builds, shared by its two modules:
 *
 *   gmstrace.c  options, reading the files, merging sightings into
 *               datagrams, matching requests to replies (the analysis)
 *   gtreport.c  the text report, the CSV files and the figures
 */
#ifndef GMS_GMSTRACE_H
#define GMS_GMSTRACE_H

#include <stdint.h>

#include <uthash.h>

#include "gms/proto.h"
#include "gms/tracefile.h"

#define GT_MAXFILES	64	/* input files (a bit each per datagram) */
#define GT_DEDUP_MS	1000	/* --dedup-ms: sightings of one datagram */
#define GT_PAGEHDR	28	/* PAGE/PUTPAGE body before the contents */

/* What a sighting of a GMS datagram turned out to be. */
enum gt_class {
	GC_OK,		/* verified and decoded under the key */
	GC_UNCHECKED,	/* no key: header only */
	GC_BADMAC,	/* the MAC does not verify under the key */
	GC_MALFORMED,	/* MAC good, body wrong (perr says how) */
	GC_CUT,		/* captured short of its length: not checked */
	GC_VERSION,	/* another protocol version (--any-version): header */
	GC_N
};

/* Operations, each a request and its reply. */
enum gt_op {
	OP_GET_DIRECT, OP_GET_FWD, OP_GET_MISS, OP_PUT, OP_DISCARD,
	OP_GCD_UPDATE, OP_GCD_HANDOVER, OP_EPOCH_START, OP_EPOCH_PLAN,
	OP_JOIN, OP_POD, OP_HEARTBEAT, OP_LEAVE, OP_LEAVE_DONE,
	OP_PUTBATCH,	/* PUTBATCH: listed only when there is one */
	OP_N,
	OP_MAIN = OP_GCD_UPDATE + 1	/* always listed, even if none */
};

/*
 * Where a getpage hit's time goes, from the send and receipt stamps of its
 * datagrams in the nodes' own traces (one host, one clock).
 */
enum gt_bd {
	BD_NET_OUT,	/* requester's send to the GCD node's or holder's receipt */
	BD_GCD,		/* GCD node: GETPAGE received to GETPAGE_FWD sent */
	BD_GCD_NET,	/* GETPAGE_FWD: GCD node's send to the holder's receipt */
	BD_TARGET,	/* holder: request received to PAGE sent */
	BD_NET_BACK,	/* PAGE: holder's send to the requester's receipt */
	BD_TOTAL,	/* their sum: the requester's send to its receipt */
	BD_N
};

/* One getpage hit's breakdown (us; -1: no such component). */
struct gt_bdrow {
	uint64_t	reqid;
	int		requester, gcd, holder;	/* endpoints; gcd -1 if none */
	int		fwd;			/* through a GCD node */
	double		c[BD_N];
	double		latency;		/* as in the latency table */
};

/* Traffic families, for the traffic-over-time figure. */
enum gt_fam {
	FAM_GET, FAM_PUT, FAM_DISCARD, FAM_GCD, FAM_EPOCH, FAM_MEMBER, FAM_N
};

extern const char *gt_opname[OP_N];	/* "getpage forwarded" */
extern const char *gt_opslug[OP_N];	/* "getpage_forwarded" */
extern const char *gt_famname[FAM_N];
extern const char *gt_classname[GC_N];
extern const char *gt_bdname[BD_N];	/* "network out" */
extern const char *gt_bdslug[BD_N];	/* "net_out_us" */

/* One sighting of a GMS datagram in one file. */
struct gt_rec {
	int64_t		ts;		/* ns since 1970 */
	uint64_t	hash;		/* addresses, ports and bytes */
	uint32_t	seq;		/* order read, to keep sorting stable */
	uint16_t	file;
	uint8_t		type;
	uint8_t		cls;		/* enum gt_class */
	uint8_t		perr;		/* proto_decode's verdict */
	uint16_t	flags;
	uint32_t	src, dst;
	uint16_t	sport, dport;
	uint32_t	len;		/* UDP payload on the wire */
	uint32_t	cluster, sender;
	uint64_t	reqid;
	uint32_t	d1, d2, d3, d4;	/* decoded details, per type */
	uint64_t	d64;
	int		dg;		/* the datagram it is a sighting of */
	int		from, to;	/* endpoint indexes */
};

/* One datagram: its sightings merged. */
struct gt_dgram {
	struct gt_rec	r;		/* the first sighting */
	int64_t		first, last;
	int64_t		t_send;		/* in the sender's own trace; or 0 */
	int64_t		t_recv;		/* in the receiver's own trace; or 0 */
	uint64_t	files;		/* bit per file that saw it */
	int		nsight;
	int		from, to;	/* endpoint indexes */
	int		fam;
	int		trusted;	/* its header counts (gt_trusted) */
	int		lost;		/* missing from the receiver's trace */
};

/* An address and port that sent or received GMS datagrams. */
struct gt_ep {
	uint64_t	key;		/* addr << 16 | port */
	int		idx;
	uint32_t	addr;
	uint16_t	port;
	uint32_t	id;		/* node id from its trusted datagrams */
	int		clash;		/* another endpoint has the same id */
	int		active;		/* in a trusted datagram */
	int		traced;		/* an input file is its own trace */
	uint64_t	sent[256], recv[256];
	uint64_t	nsent, nrecv, bsent, brecv;
	char		name[32];
	UT_hash_handle	hh;
};

struct gt_file {
	const char	*path;
	const char	*linktype;
	struct tf_stats	 st;
	uint64_t	 gms;		/* GMS sightings */
	uint64_t	 notgms;	/* UDP but not GMS */
	int		 truncated;	/* ended in a broken record */
	int		 usable;
	int		 self;		/* endpoint whose trace it is, or -1 */
};

struct gt_samples {
	double		*v;
	size_t		 n, cap;
};

struct gt_key;
struct gt_req;

struct gt {
	/* options */
	struct proto_key key;
	int		 have_key;
	const char	*key_from;
	uint32_t	 cluster;
	int		 cluster_set;
	uint32_t	 page_size;
	int64_t		 window_ns;
	const char	*csv_dir, *plot_dir;
	int		 list;
	int		 any_version;

	struct gt_file	 files[GT_MAXFILES];
	int		 nfiles;
	struct gt_rec	*recs;
	size_t		 nrecs, caprecs;
	struct gt_dgram	*dgs;
	size_t		 ndgs, capdgs;
	struct gt_key	*keys;
	struct gt_ep	*eps;		/* hash by key */
	struct gt_ep   **epv;		/* by index: active ones first */
	int		 neps, nact;
	struct gt_req	*reqs;
	uint32_t	 ps_seen[8];	/* page sizes implied by lengths */
	int		 nps_seen;
	uint32_t	 clusters_seen[8];
	int		 nclusters_seen;
	int		 wrong_key;	/* a key, and nothing verifies */
	size_t		 ntrusted;

	/* results */
	struct gt_samples lat[OP_N];
	uint64_t	 unanswered[OP_N];
	struct gt_samples bd[BD_N];	/* getpage breakdown, sorted */
	struct gt_bdrow	*bdrows;	/* in request order */
	size_t		 nbdrows, capbdrows;
	uint64_t	 bd_hits;	/* getpage hits answered */
	uint64_t	 bd_fwd;	/* rows through a GCD node */
	uint64_t	 type_n[256], type_b[256];
	uint64_t	*pair_n, *pair_b;	/* neps * neps */
	uint64_t	*pages;			/* neps * neps */
	uint64_t	 retrans[256];
	uint64_t	 dup_replies, orphan_replies, lost;
	uint64_t	 badmac, cut, malformed[PE_NERR];
	uint64_t	 other_version, other_cluster, too_short;
	uint64_t	 id_clash;
	int64_t		 t0, t1;
};

/* gmstrace.c */
int		 gt_fam_of_type(int type);
double		 gt_pct(const struct gt_samples *, double p);
double		 gt_rel(const struct gt *, int64_t t);
const char	*gt_typename(int type, char *buf, size_t len);

/* gtreport.c */
void		 gtreport_text(const struct gt *);
void		 gtreport_list(const struct gt *);
void		 gtreport_csv(const struct gt *, const char *dir);
void		 gtreport_plot(const struct gt *, const char *dir);

#endif
