/*
 * net.c: UDP transport with request ids, retransmission, duplicate
 * suppression, replay windows, and the link model and fault injection
 * applied to datagrams as they leave (see net.h).
 *
 * A datagram sent goes: stamp and MAC (net_encode, or net_restamp for one
 * sent again) -> fault injection (net_xmit) -> trace and link model
 * (net_link_send) -> the wire (net_wire: sendto).
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "gms/link.h"
#include "gms/log.h"
#include "gms/net.h"
#include "gms/replay.h"
#include "gms/xmalloc.h"

#define NET_SOCKBUF		(8 << 20)	/* socket buffers, bytes */
#define NET_REPLY_KEEP_MS	5000		/* how long replies are kept */
#define NET_REPLY_KEEP_BYTES	(32 << 20)	/* and how many bytes */
#define NET_RECV_BATCH		64		/* datagrams per wake-up */
#define NET_REORDER_HOLD_MS	20	/* longest a reordered datagram waits */

/*
 * Bytes of requests awaiting a reply, at most: past it a request fails at
 * once, as if unanswered, so a peer that never answers (or floods us into
 * evicting faster than anyone acknowledges) cannot grow our memory.
 */
#define NET_PEND_MAX_BYTES	(16 << 20)
/* what one pending request costs: its datagram, state and timer */
#define NET_PEND_COST(len)	((len) + sizeof(struct net_pend) + 128)

/* A request waiting for its reply. */
struct net_pend {
	uint64_t		 reqid;
	struct sockaddr_in	 to;
	uint8_t			*dgram;
	size_t			 len;
	int			 tries_left;
	int			 rto_ms;
	net_done_fn		*done;
	void			*arg;
	struct event		*timer;
	struct net		*net;
	UT_hash_handle		 hh;
};

/* A reply we sent, kept to answer a duplicate of its request. */
struct net_rkey {
	uint32_t	origin;
	uint32_t	zero;
	uint64_t	reqid;
};
struct net_reply {
	struct net_rkey		 key;
	struct sockaddr_in	 to;
	uint64_t		 at_ms;
	uint8_t			*dgram;
	size_t			 len;
	struct net_reply	*next;	/* FIFO of kept replies */
	UT_hash_handle		 hh;
};

/* A datagram not sent yet: held by the link model or by a reorder. */
struct net_held {
	struct net_held		*next;
	struct sockaddr_in	 to;
	uint64_t		 due_ns;	/* CLOCK_MONOTONIC */
	size_t			 len;
	uint8_t			 d[];
};

/* The replay window of one sender (node id, or address before its join). */
struct net_peer {
	uint64_t		 key;
	struct replay_win	 win;
	UT_hash_handle		 hh;
};

struct net {
	struct event_base	*base;
	int			 fd;
	struct event		*ev;
	struct proto_key	 key;
	uint32_t		 cluster;
	uint32_t		 page_size;
	uint32_t		 self;
	uint64_t		 next_reqid;
	net_recv_fn		*recv;
	void			*arg;
	struct net_pend		*pend;
	size_t			 pend_bytes;	/* NET_PEND_COST of them all */
	struct net_reply	*replies;
	struct net_reply	*rhead, *rtail;
	size_t			 rbytes;
	uint8_t			*buf;		/* the datagram being received */
	uint8_t			*obuf;		/* a reply or forward going out */
	struct net_stats	 st;
	struct sockaddr_in	 local;		/* our address, for traces */
	net_trace_fn		*trace;
	void			*trace_arg;

	uint64_t		 last_stamp;	/* us, the last one given */
	struct net_peer		*peers;		/* replay windows */

	const struct link_model	*link;		/* NULL: none */
	char			 link_name[48];
	uint64_t		 link_free_ns;	/* our link is busy until */
	struct net_held		*lhead, *ltail;	/* held by the link model */
	int			 link_fd;	/* timerfd: the head is due */
	struct event		*link_ev;

	struct net_inject	 inj;
	int			 inj_on;
	uint64_t		 inj_rng;
	struct net_held		*reordered;	/* held behind the next one */
	struct event		*reorder_ev;	/* sends it if none comes */
};

static uint64_t
net_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
net_mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static uint64_t
net_real_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The next stamp: our clock, but strictly above the last one. */
static uint64_t
net_stamp(struct net *n)
{
	uint64_t	now = net_real_us();

	if (now <= n->last_stamp)
		now = n->last_stamp + 1;
	n->last_stamp = now;
	return now;
}

/* A datagram sent again (retransmission, kept reply) is a new datagram. */
static void
net_restamp(struct net *n, uint8_t *d, size_t len)
{
	proto_restamp(d, len, &n->key, net_stamp(n));
}

/* Onto the wire, now (traced when it entered the link: net_link_send). */
static void
net_wire(struct net *n, const struct sockaddr_in *to, const uint8_t *d,
    size_t len)
{
	if (sendto(n->fd, d, len, 0, (const struct sockaddr *)to,
	    sizeof *to) < 0) {
		n->st.send_errors++;
		log_debug("sendto: %s", strerror(errno));
		return;
	}
	n->st.sent[d[3]]++;
	n->st.bytes_sent += len;
}

static struct net_held *
net_held_new(const struct sockaddr_in *to, const uint8_t *d, size_t len)
{
	struct net_held	*h;

	h = xmalloc(sizeof *h + len);
	h->next = NULL;
	h->to = *to;
	h->due_ns = 0;
	h->len = len;
	memcpy(h->d, d, len);
	return h;
}

/* Arm the link timer for the head of the queue. */
static void
net_link_arm(struct net *n)
{
	struct itimerspec	its;

	memset(&its, 0, sizeof its);
	if (n->lhead != NULL) {
		its.it_value.tv_sec = (time_t)(n->lhead->due_ns / 1000000000);
		its.it_value.tv_nsec = (long)(n->lhead->due_ns % 1000000000);
	}
	if (timerfd_settime(n->link_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		fatal("timerfd_settime");
}

/* The link timer: send every held datagram that is due, in order. */
static void
net_link_due(evutil_socket_t fd, short what, void *arg)
{
	struct net	*n = arg;
	struct net_held	*h;
	uint64_t	 now, ticks;

	(void)what;
	if (read(fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		log_warn("link timer");
	now = net_mono_ns();
	while ((h = n->lhead) != NULL && h->due_ns <= now) {
		n->lhead = h->next;
		if (n->lhead == NULL)
			n->ltail = NULL;
		net_wire(n, &h->to, h->d, h->len);
		free(h);
	}
	if (n->lhead != NULL)
		net_link_arm(n);
}

/* Our link serialises len bytes, after what it is busy with. */
static void
net_link_occupy(struct net *n, size_t len)
{
	uint64_t	now = net_mono_ns(), dep;

	dep = now > n->link_free_ns ? now : n->link_free_ns;
	n->link_free_ns = dep + link_tx_ns(len, n->link->mbit);
}

/*
 * The link model: the datagram waits for our link, holds it for its
 * serialisation time and leaves one latency later.  With a constant
 * latency the due times rise, so the queue is a FIFO.
 */
static void
net_link_send(struct net *n, const struct sockaddr_in *to, const uint8_t *d,
    size_t len)
{
	struct net_held	*h;

	/*
	 * Traced as it enters the link: a trace (and gmstrace's breakdown of
	 * a getpage) counts the model's hold as time on the network, not as
	 * time in the sender.
	 */
	if (n->trace != NULL)
		n->trace(n->trace_arg, NET_TRACE_SEND, &n->local, to, d, len);
	if (n->link == NULL) {
		net_wire(n, to, d, len);
		return;
	}
	net_link_occupy(n, len);
	h = net_held_new(to, d, len);
	h->due_ns = n->link_free_ns + n->link->lat_us * 1000;
	n->st.link_held++;
	if (n->ltail != NULL)
		n->ltail->next = h;
	else {
		n->lhead = h;
		net_link_arm(n);
	}
	n->ltail = h;
}

/* xorshift64*: the injector's draws, reproducible from its seed. */
static double
net_inj_draw(struct net *n)
{
	n->inj_rng ^= n->inj_rng >> 12;
	n->inj_rng ^= n->inj_rng << 25;
	n->inj_rng ^= n->inj_rng >> 27;
	return (double)((n->inj_rng * 0x2545f4914f6cdd1dULL) >> 11) *
	    0x1.0p-53;
}

static void
net_reorder_flush(evutil_socket_t fd, short what, void *arg)
{
	struct net	*n = arg;
	struct net_held	*h = n->reordered;

	(void)fd;
	(void)what;
	if (h == NULL)
		return;
	n->reordered = NULL;
	net_link_send(n, &h->to, h->d, h->len);
	free(h);
}

/*
 * A datagram leaves our hands: fault injection (a testing aid), then the
 * link model.  A reordered datagram goes out right after the next one, or
 * NET_REORDER_HOLD_MS later if none comes.
 */
static void
net_xmit(struct net *n, const struct sockaddr_in *to, const uint8_t *d,
    size_t len)
{
	struct timeval	 tv = { 0, NET_REORDER_HOLD_MS * 1000 };
	struct net_held	*held;
	int		 dup;

	if (!n->inj_on) {
		net_link_send(n, to, d, len);
		return;
	}
	if (net_inj_draw(n) < n->inj.loss) {
		n->st.inject_lost++;
		if (n->link != NULL)
			net_link_occupy(n, len);	/* lost on the way */
		return;
	}
	dup = net_inj_draw(n) < n->inj.dup;
	if (n->reordered == NULL && net_inj_draw(n) < n->inj.reorder) {
		n->st.inject_reordered++;
		n->reordered = net_held_new(to, d, len);
		evtimer_add(n->reorder_ev, &tv);
		return;
	}
	net_link_send(n, to, d, len);
	if (dup) {
		n->st.inject_dup++;
		net_link_send(n, to, d, len);
	}
	if ((held = n->reordered) != NULL) {
		n->reordered = NULL;
		evtimer_del(n->reorder_ev);
		net_link_send(n, &held->to, held->d, held->len);
		free(held);
	}
}

/* Drop kept replies that are too old, or too many bytes. */
static void
net_trim_replies(struct net *n, uint64_t now)
{
	struct net_reply	*r;

	while ((r = n->rhead) != NULL &&
	    (now - r->at_ms > NET_REPLY_KEEP_MS ||
	    n->rbytes > NET_REPLY_KEEP_BYTES)) {
		n->rhead = r->next;
		if (n->rhead == NULL)
			n->rtail = NULL;
		HASH_DEL(n->replies, r);
		n->rbytes -= r->len;
		free(r->dgram);
		free(r);
	}
}

static void
net_keep_reply(struct net *n, uint32_t origin, uint64_t reqid,
    const struct sockaddr_in *to, const uint8_t *d, size_t len)
{
	struct net_reply	*r, *old;
	uint64_t		 now = net_now_ms();

	r = xcalloc(1, sizeof *r);
	r->key.origin = origin;
	r->key.reqid = reqid;
	HASH_FIND(hh, n->replies, &r->key, sizeof r->key, old);
	if (old != NULL) {	/* already kept: the first answer stands */
		free(r);
		return;
	}
	r->to = *to;
	r->at_ms = now;
	r->dgram = xmalloc(len);
	memcpy(r->dgram, d, len);
	r->len = len;
	HASH_ADD(hh, n->replies, key, sizeof r->key, r);
	if (n->rtail != NULL)
		n->rtail->next = r;
	else
		n->rhead = r;
	n->rtail = r;
	n->rbytes += len;
	net_trim_replies(n, now);
}

static void
net_pend_free(struct net *n, struct net_pend *p)
{
	HASH_DEL(n->pend, p);
	n->pend_bytes -= NET_PEND_COST(p->len);
	event_free(p->timer);
	free(p->dgram);
	free(p);
}

/*
 * Arm a request's timeout: rto_ms from when it reaches its receiver, so a
 * datagram waiting in the link model's queue (a burst on a slow modelled
 * link) is not sent again for the model's own delay.
 */
static void
net_pend_arm(struct net *n, struct net_pend *p)
{
	struct timeval	tv;
	uint64_t	now, wait_ns = 0, ms;

	if (n->link != NULL) {
		now = net_mono_ns();
		if (n->link_free_ns > now)
			wait_ns = n->link_free_ns - now;
		wait_ns += n->link->lat_us * 1000;
	}
	ms = (uint64_t)p->rto_ms + (wait_ns + 999999) / 1000000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
}

static void
net_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct net_pend	*p = arg;
	struct net	*n = p->net;
	net_done_fn	*done;
	void		*darg;

	(void)fd;
	(void)what;
	if (--p->tries_left <= 0) {
		n->st.timeouts++;
		done = p->done;
		darg = p->arg;
		net_pend_free(n, p);
		if (done != NULL)
			done(n, NULL, NULL, darg);
		return;
	}
	n->st.retransmits++;
	net_restamp(n, p->dgram, p->len);
	net_xmit(n, &p->to, p->dgram, p->len);
	p->rto_ms *= 2;
	net_pend_arm(n, p);
}

static void
net_on_reply(struct net *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct net_pend	*p;
	net_done_fn	*done;
	void		*darg;

	HASH_FIND(hh, n->pend, &m->reqid, sizeof m->reqid, p);
	if (p == NULL) {
		n->st.drop_unmatched++;
		return;
	}
	done = p->done;
	darg = p->arg;
	net_pend_free(n, p);
	if (done != NULL)
		done(n, m, from, darg);
}

/* The node on whose behalf a request was made: the key of its reply. */
static uint32_t
net_origin(const struct msg *m)
{
	if (m->type == MSG_GETPAGE_FWD)
		return m->u.getpage.requester;
	return m->sender;
}

static void
net_on_request(struct net *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct net_rkey		 k;
	struct net_reply	*r;

	memset(&k, 0, sizeof k);
	k.origin = net_origin(m);
	k.reqid = m->reqid;
	HASH_FIND(hh, n->replies, &k, sizeof k, r);
	if (r != NULL) {
		n->st.dup_replayed++;
		net_restamp(n, r->dgram, r->len);
		net_xmit(n, &r->to, r->dgram, r->len);
		return;
	}
	n->recv(n, m, from, n->arg);
}

/*
 * The replay check of a datagram whose MAC verified: 1 if it is a replay
 * (counted), 0 if it is new.  The window is the sender's node id, which
 * the MAC covers; before its join (id 0) a node is known by its address.
 */
static int
net_replayed(struct net *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct net_peer		*p;
	uint64_t		 key;
	enum replay_verdict	 v;
	char			 a[64];

	if (m->sender != 0)
		key = m->sender;
	else
		key = 1ULL << 63 | (uint64_t)ntohl(from->sin_addr.s_addr) << 16 |
		    ntohs(from->sin_port);
	HASH_FIND(hh, n->peers, &key, sizeof key, p);
	if (p == NULL) {
		p = xcalloc(1, sizeof *p);
		p->key = key;
		replay_init(&p->win);
		HASH_ADD(hh, n->peers, key, sizeof p->key, p);
	}
	v = replay_check(&p->win, m->stamp, net_real_us(),
	    (uint64_t)NET_STAMP_MAX_AGE_MS * 1000);
	if (v == REPLAY_OK)
		return 0;
	if (v == REPLAY_STALE)
		n->st.drop_stale++;
	else
		n->st.drop_replay++;
	log_debug("dropped %s from %s (node %u): replay, stamp %s",
	    proto_type_name(m->type), net_fmt(from, a, sizeof a), m->sender,
	    replay_verdict_name(v));
	return 1;
}

static void
net_readable(evutil_socket_t fd, short what, void *arg)
{
	struct net		*n = arg;
	struct sockaddr_in	 from;
	socklen_t		 fromlen;
	struct msg		 m;
	ssize_t			 len;
	int			 i, err;

	(void)what;
	for (i = 0; i < NET_RECV_BATCH; i++) {
		fromlen = sizeof from;
		len = recvfrom(fd, n->buf, PROTO_MAXDGRAM, 0,
		    (struct sockaddr *)&from, &fromlen);
		if (len < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("recvfrom");
			return;
		}
		if (n->trace != NULL)
			n->trace(n->trace_arg, NET_TRACE_RECV, &n->local, &from,
			    n->buf, (size_t)len);
		err = proto_decode(n->buf, (size_t)len, &n->key, n->cluster,
		    n->page_size, &m);
		if (err != PE_OK) {
			n->st.drops[err]++;
			log_debug("dropped datagram from %s: %s",
			    inet_ntoa(from.sin_addr), proto_err_name(err));
			continue;
		}
		if (net_replayed(n, &m, &from))
			continue;
		n->st.recv[m.type]++;
		n->st.bytes_recv += (uint64_t)len;
		if (m.flags & PROTO_FREPLY)
			net_on_reply(n, &m, &from);
		else
			net_on_request(n, &m, &from);
	}
}

struct net *
net_open(struct event_base *base, const struct net_cfg *cfg,
    net_recv_fn *recv_fn, void *arg, char *err, size_t errlen)
{
	struct net		*n;
	int			 fd, sz = NET_SOCKBUF;
	char			 a[64];

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a UDP socket: %s",
		    strerror(errno));
		return NULL;
	}
	if (bind(fd, (const struct sockaddr *)&cfg->bind,
	    sizeof cfg->bind) < 0) {
		snprintf(err, errlen, "cannot bind UDP %s: %s",
		    net_fmt(&cfg->bind, a, sizeof a), strerror(errno));
		close(fd);
		return NULL;
	}
	/* past net.core.rmem_max where we may (root): bursts of pages */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);

	n = xcalloc(1, sizeof *n);
	n->base = base;
	n->fd = fd;
	n->key = *cfg->key;
	n->cluster = cfg->cluster;
	n->page_size = cfg->page_size;
	n->recv = recv_fn;
	n->arg = arg;
	n->buf = xmalloc(PROTO_MAXDGRAM);
	n->obuf = xmalloc(PROTO_MAXDGRAM);
	if (getrandom(&n->next_reqid, sizeof n->next_reqid, 0) !=
	    sizeof n->next_reqid)
		fatal("getrandom");
	n->next_reqid &= ~(uint64_t)0xffffffff; /* room to count up */
	n->ev = event_new(base, fd, EV_READ | EV_PERSIST, net_readable, n);
	event_add(n->ev, NULL);
	/*
	 * The link model's clock is a timerfd in the event loop, not an
	 * evtimer: libevent's epoll backend rounds timeouts up to whole
	 * milliseconds (short of EVENT_BASE_FLAG_PRECISE_TIMER), too coarse
	 * for a 505 us latency, let alone 10 us.
	 */
	n->link_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC);
	if (n->link_fd < 0)
		fatal("timerfd_create");
	n->link_ev = event_new(base, n->link_fd, EV_READ | EV_PERSIST,
	    net_link_due, n);
	event_add(n->link_ev, NULL);
	n->reorder_ev = evtimer_new(base, net_reorder_flush, n);
	snprintf(n->link_name, sizeof n->link_name, "none");
	n->local = cfg->bind;
	n->local.sin_port = htons(net_port(n));
	return n;
}

void
net_close(struct net *n)
{
	struct net_pend		*p, *ptmp;
	struct net_reply	*r;
	struct net_peer		*pe, *petmp;
	struct net_held		*h;

	if (n == NULL)
		return;
	HASH_ITER(hh, n->pend, p, ptmp)
		net_pend_free(n, p);
	HASH_ITER(hh, n->peers, pe, petmp) {
		HASH_DEL(n->peers, pe);
		free(pe);
	}
	while ((h = n->lhead) != NULL) {
		n->lhead = h->next;
		free(h);
	}
	free(n->reordered);
	event_free(n->reorder_ev);
	event_free(n->link_ev);
	close(n->link_fd);
	while ((r = n->rhead) != NULL) {
		n->rhead = r->next;
		HASH_DEL(n->replies, r);
		free(r->dgram);
		free(r);
	}
	event_free(n->ev);
	close(n->fd);
	free(n->buf);
	free(n->obuf);
	free(n);
}

void
net_set_self(struct net *n, uint32_t id)
{
	n->self = id;
}

void
net_set_trace(struct net *n, net_trace_fn *fn, void *arg)
{
	n->trace = fn;
	n->trace_arg = arg;
}

void
net_set_page_size(struct net *n, uint32_t ps)
{
	n->page_size = ps;
}

uint16_t
net_port(const struct net *n)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof sin;

	if (getsockname(n->fd, (struct sockaddr *)&sin, &slen) < 0)
		return 0;
	return ntohs(sin.sin_port);
}

const struct net_stats *
net_stats(const struct net *n)
{
	return &n->st;
}

size_t
net_pending(const struct net *n)
{
	return HASH_COUNT(n->pend);
}

void
net_set_link(struct net *n, const struct link_model *l, const char *name)
{
	n->link = l != NULL && (l->lat_us > 0 || l->mbit > 0) ? l : NULL;
	snprintf(n->link_name, sizeof n->link_name, "%s",
	    name != NULL ? name : l != NULL ? l->name : "none");
}

const char *
net_link_name(const struct net *n)
{
	return n->link_name;
}

/* "0.05" or "5%" -> a probability; -1 if neither, or out of [0, 1]. */
static int
net_parse_prob(const char *s, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0)
		return -1;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end != '\0' || !(v >= 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

int
net_inject_parse(const char *spec, struct net_inject *inj, char *err,
    size_t errlen)
{
	char	 buf[256], *tok, *save, *eq, *end;
	double	*prob;

	memset(inj, 0, sizeof *inj);
	if (*spec == '\0')
		goto bad;
	if (strlen(spec) >= sizeof buf) {
		snprintf(err, errlen, "'%s' is too long", spec);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		prob = NULL;
		if ((eq = strchr(tok, '=')) == NULL)
			goto bad;
		*eq++ = '\0';
		if (strcmp(tok, "loss") == 0)
			prob = &inj->loss;
		else if (strcmp(tok, "dup") == 0)
			prob = &inj->dup;
		else if (strcmp(tok, "reorder") == 0)
			prob = &inj->reorder;
		else if (strcmp(tok, "seed") == 0) {
			errno = 0;
			inj->seed = strtoull(eq, &end, 10);
			if (*eq < '0' || *eq > '9' || *end != '\0' ||
			    errno != 0)
				goto bad;
			continue;
		} else
			goto bad;
		if (net_parse_prob(eq, prob) == -1)
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not loss=P,dup=P,reorder=P[,seed=N] "
	    "with probabilities from 0 to 1 (e.g. loss=0.05 or loss=5%%)",
	    spec);
	return -1;
}

void
net_set_inject(struct net *n, const struct net_inject *inj)
{
	n->inj = *inj;
	n->inj_on = inj->loss > 0 || inj->dup > 0 || inj->reorder > 0;
	n->inj_rng = inj->seed;
	if (n->inj_rng == 0 && getrandom(&n->inj_rng, sizeof n->inj_rng, 0) !=
	    sizeof n->inj_rng)
		fatal("getrandom");
	n->inj_rng |= 1;	/* xorshift never leaves 0 */
}

void
net_count_stranger(struct net *n)
{
	n->st.drop_stranger++;
}

/* Encode m as ours; 0 if it cannot be encoded (a bug: fatal). */
static size_t
net_encode(struct net *n, struct msg *m, uint8_t *buf)
{
	size_t	len;

	m->cluster = n->cluster;
	m->sender = n->self;
	m->stamp = net_stamp(n);
	len = proto_encode(buf, PROTO_MAXDGRAM, &n->key, n->page_size, m);
	if (len == 0)
		fatalx("cannot encode a %s message", proto_type_name(m->type));
	return len;
}

uint64_t
net_request(struct net *n, const struct sockaddr_in *to, struct msg *m,
    int tries, int rto_ms, net_done_fn *done, void *arg)
{
	struct net_pend	*p;
	static const struct timeval now = { 0, 0 };
	int		 full;

	p = xcalloc(1, sizeof *p);
	m->reqid = ++n->next_reqid;
	m->flags &= ~PROTO_FREPLY;
	p->len = net_encode(n, m, n->obuf);	/* kept at its own length */
	p->dgram = xmalloc(p->len);
	memcpy(p->dgram, n->obuf, p->len);
	full = n->pend_bytes + NET_PEND_COST(p->len) > NET_PEND_MAX_BYTES;
	n->pend_bytes += NET_PEND_COST(p->len);
	p->reqid = m->reqid;
	p->to = *to;
	p->tries_left = tries < 1 ? 1 : tries;
	p->rto_ms = rto_ms < 1 ? 1 : rto_ms;
	p->done = done;
	p->arg = arg;
	p->net = n;
	p->timer = evtimer_new(n->base, net_timeout, p);
	HASH_ADD(hh, n->pend, reqid, sizeof p->reqid, p);
	if (full) {		/* fails on the next turn of the loop */
		n->st.pend_full++;
		p->tries_left = 1;
		p->rto_ms = 0;
		evtimer_add(p->timer, &now);
	} else {
		net_xmit(n, to, p->dgram, p->len);
		net_pend_arm(n, p);
	}
	return p->reqid;
}

void
net_cancel(struct net *n, uint64_t reqid)
{
	struct net_pend	*p;

	HASH_FIND(hh, n->pend, &reqid, sizeof reqid, p);
	if (p != NULL)
		net_pend_free(n, p);
}

int
net_reply(struct net *n, const struct sockaddr_in *to, uint32_t origin,
    uint64_t reqid, struct msg *reply)
{
	size_t	len;

	/*
	 * Not into n->buf: a handler replies while the message it decoded
	 * (a page's bytes among them) still points into the received datagram.
	 */
	reply->reqid = reqid;
	reply->flags |= PROTO_FREPLY;
	len = net_encode(n, reply, n->obuf);
	net_keep_reply(n, origin, reqid, to, n->obuf, len);
	net_xmit(n, to, n->obuf, len);
	return 0;
}

int
net_send(struct net *n, const struct sockaddr_in *to, struct msg *m)
{
	size_t	len;

	len = net_encode(n, m, n->obuf);
	net_xmit(n, to, n->obuf, len);
	return 0;
}

void
net_addr(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	sin->sin_port = htons(port);
}

const char *
net_fmt(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char	a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
	snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	return buf;
}

int
net_parse(const char *s, struct sockaddr_in *sin, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res;
	char		 host[256], *colon, *end;
	unsigned long	 port;
	int		 rc;

	if (strlen(s) >= sizeof host) {
		snprintf(err, errlen, "address too long: %s", s);
		return -1;
	}
	strcpy(host, s);
	colon = strrchr(host, ':');
	if (colon == NULL || colon == host) {
		snprintf(err, errlen, "'%s' is not HOST:PORT "
		    "(for example 127.0.0.1:7070)", s);
		return -1;
	}
	*colon = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port > 65535) {
		snprintf(err, errlen, "'%s' has no valid port (0-65535)", s);
		return -1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(sin, res->ai_addr, sizeof *sin);
	sin->sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}
