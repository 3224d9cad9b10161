/*
 * net.c: UDP transport with request ids, retransmission and duplicate
 * suppression (see net.h).
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

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

#include "gms/log.h"
#include "gms/net.h"
#include "gms/xmalloc.h"

#define NET_SOCKBUF		(8 << 20)	/* socket buffers, bytes */
#define NET_REPLY_KEEP_MS	5000		/* how long replies are kept */
#define NET_REPLY_KEEP_BYTES	(32 << 20)	/* and how many bytes */
#define NET_RECV_BATCH		64		/* datagrams per wake-up */
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
};

static uint64_t
net_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
net_xmit(struct net *n, const struct sockaddr_in *to, const uint8_t *d,
    size_t len)
{
	if (n->trace != NULL)
		n->trace(n->trace_arg, NET_TRACE_SEND, &n->local, to, d, len);
	if (sendto(n->fd, d, len, 0, (const struct sockaddr *)to,
	    sizeof *to) < 0) {
		n->st.send_errors++;
		log_debug("sendto: %s", strerror(errno));
		return;
	}
	n->st.sent[d[3]]++;
	n->st.bytes_sent += len;
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

static void
net_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct net_pend	*p = arg;
	struct net	*n = p->net;
	struct timeval	 tv;
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
	net_xmit(n, &p->to, p->dgram, p->len);
	p->rto_ms *= 2;
	tv.tv_sec = p->rto_ms / 1000;
	tv.tv_usec = (p->rto_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
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
		net_xmit(n, &r->to, r->dgram, r->len);
		return;
	}
	n->recv(n, m, from, n->arg);
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
	n->local = cfg->bind;
	n->local.sin_port = htons(net_port(n));
	return n;
}

void
net_close(struct net *n)
{
	struct net_pend		*p, *ptmp;
	struct net_reply	*r;

	if (n == NULL)
		return;
	HASH_ITER(hh, n->pend, p, ptmp)
		net_pend_free(n, p);
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
	struct timeval	 tv;
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
	} else
		net_xmit(n, to, p->dgram, p->len);
	tv.tv_sec = p->rto_ms / 1000;
	tv.tv_usec = (p->rto_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
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
