/*
 * net.h: the UDP transport of gmsd (DESIGN.md "Transport").
 *
 * One UDP socket per node, one GMS message per datagram.  Requests get a
 * fresh request id and are retransmitted on a timeout until a reply with the
 * same id arrives or the tries run out.  Replies are remembered for a short
 * while, so a retransmitted request is answered again from that memory
 * instead of being handled twice (duplicate suppression); handlers are
 * written to be idempotent for the requests that are handled again because
 * their reply went to a third node (a forwarded getpage).
 *
 * Every datagram is stamped with the sender's clock (strictly rising) and
 * checked against a window per sender: a datagram seen before, or too old,
 * is counted and dropped however late it is replayed (gms/replay.h).
 *
 * Two aids for experiments and tests act on datagrams as they leave: a
 * link model (gms/link.h) holds each one for its modelled latency and
 * serialisation time, in a FIFO per sender, on top of what the real
 * network costs; fault injection drops, duplicates or reorders them.
 *
 * Everything that fails a check is counted by reason and dropped.
 */
#ifndef GMS_NET_H
#define GMS_NET_H

#include <netinet/in.h>
#include <stdint.h>

#include "gms/proto.h"

struct event_base;
struct net;

/* Counters, read by gmsctl status. */
struct net_stats {
	uint64_t	sent[256];	/* datagrams sent, by type */
	uint64_t	recv[256];	/* datagrams accepted, by type */
	uint64_t	bytes_sent;
	uint64_t	bytes_recv;
	uint64_t	drops[PE_NERR];	/* datagrams dropped, by reason */
	uint64_t	drop_stranger;	/* valid MAC, sender not a member */
	uint64_t	drop_unmatched;	/* reply to no pending request */
	uint64_t	retransmits;
	uint64_t	timeouts;	/* requests that ran out of tries */
	uint64_t	dup_replayed;	/* duplicates answered from memory */
	uint64_t	send_errors;
	uint64_t	drop_replay;	/* stamp seen before or below the window */
	uint64_t	drop_stale;	/* stamp older than NET_STAMP_MAX_AGE_MS */
	uint64_t	inject_lost;	/* --inject: datagrams not sent */
	uint64_t	inject_dup;	/* sent twice */
	uint64_t	inject_reordered; /* held back behind the next one */
	uint64_t	link_held;	/* held by the link model */
	uint64_t	pend_full;	/* requests failed: too many pending */
};

/* Replays: a stamp older than this (by the receiver's clock) is dropped. */
#define NET_STAMP_MAX_AGE_MS	30000

/* Fault injection (a testing aid): probabilities per datagram sent. */
struct net_inject {
	double		loss;
	double		dup;
	double		reorder;
	uint64_t	seed;		/* 0: a random one */
};

/* A datagram that passed every check of proto_decode. */
typedef void	net_recv_fn(struct net *, const struct msg *,
		    const struct sockaddr_in *from, void *arg);
/* A request finished: reply is NULL when it timed out. */
typedef void	net_done_fn(struct net *, const struct msg *reply,
		    const struct sockaddr_in *from, void *arg);

/*
 * Called with every datagram sent (dir 1) or received (dir 0), before any
 * check: a trace sees what crossed the wire, bad datagrams included.
 */
#define NET_TRACE_RECV	0
#define NET_TRACE_SEND	1
typedef void	net_trace_fn(void *arg, int dir, const struct sockaddr_in *self,
		    const struct sockaddr_in *peer, const uint8_t *dgram,
		    size_t len);

struct net_cfg {
	const struct proto_key	*key;
	uint32_t		 cluster;
	uint32_t		 page_size;
	struct sockaddr_in	 bind;	/* port 0: the kernel picks */
};

/* Open and bind; on failure returns NULL with a sentence in err. */
struct net	*net_open(struct event_base *, const struct net_cfg *,
		    net_recv_fn *, void *arg, char *err, size_t errlen);
void		 net_close(struct net *);

void		 net_set_self(struct net *, uint32_t id);
void		 net_set_trace(struct net *, net_trace_fn *, void *arg);
void		 net_set_page_size(struct net *, uint32_t);
uint16_t	 net_port(const struct net *);
const struct net_stats *net_stats(const struct net *);
size_t		 net_pending(const struct net *);
/*
 * Hold every datagram sent for the link model's latency and serialisation
 * time (gms/link.h); the model must outlive n.  name is what status shows.
 */
struct link_model;
void		 net_set_link(struct net *, const struct link_model *,
		    const char *name);
const char	*net_link_name(const struct net *);
/* "loss=P,dup=P,reorder=P[,seed=S]" -> 0, or -1 and a sentence in err. */
int		 net_inject_parse(const char *, struct net_inject *, char *err,
		    size_t errlen);
void		 net_set_inject(struct net *, const struct net_inject *);
/* Count a drop decided above the transport (e.g. a stranger). */
void		 net_count_stranger(struct net *);

/*
 * Send request m (its reqid is assigned here and returned) and call done
 * once with the reply, or with NULL after `tries` sends spaced by a timeout
 * that starts at rto_ms and doubles (done may be NULL: nobody waits).  The reply may come from another node
 * than `to` (a forwarded getpage).
 */
uint64_t	 net_request(struct net *, const struct sockaddr_in *to,
		    struct msg *m, int tries, int rto_ms,
		    net_done_fn *done, void *arg);
/* Forget a pending request without calling its done function. */
void		 net_cancel(struct net *, uint64_t reqid);

/*
 * Reply to a request that came from `origin` with id reqid: sets the reqid
 * and PROTO_FREPLY, sends, and remembers the datagram so a duplicate of the
 * request is answered again.
 */
int		 net_reply(struct net *, const struct sockaddr_in *to,
		    uint32_t origin, uint64_t reqid, struct msg *reply);
/* Send once, no reply expected or remembered (a forward). */
int		 net_send(struct net *, const struct sockaddr_in *to,
		    struct msg *m);

void		 net_addr(struct sockaddr_in *, uint32_t addr, uint16_t port);
const char	*net_fmt(const struct sockaddr_in *, char *, size_t);
/* "host:port" -> address; -1 and a sentence in err on bad input. */
int		 net_parse(const char *, struct sockaddr_in *, char *err,
		    size_t errlen);

#endif
