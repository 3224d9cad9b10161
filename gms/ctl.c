/*
 * ctl.c: the local control socket of gmsd (see ctlmsg.h for the framing).
 *
 * A Unix SOCK_SEQPACKET socket in gmsd's --dir.  Each connection may have
 * several requests in flight (a GET waits for the network); a connection
 * closed by its client lives on until its last request finishes, and the
 * late replies go nowhere.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utlist.h>

#include "gms/ctlmsg.h"
#include "gms/log.h"
#include "gms/node.h"
#include "gms/store.h"
#include "gms/xmalloc.h"

struct ctl_conn {
	struct node	*n;
	int		 fd;
	struct event	*ev;
	int		 refs;
	int		 closed;
	int		 lost;		/* CTL_LOST sent, being closed */
	struct ctl_conn	*prev, *next;	/* ctl_conns: the open ones */
};

/* One request in flight: who asked and what. */
struct ctl_req {
	struct ctl_conn	*c;
	uint8_t		 op;
	uint32_t	 reqid;
};

static int		 ctl_fd = -1;
static struct event	*ctl_ev;
static char		 ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct ctl_conn	*ctl_conns;	/* open connections, closed at exit */

void
ctl_conn_hold(struct ctl_conn *c)
{
	c->refs++;
}

void
ctl_conn_release(struct ctl_conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

static void
ctl_conn_close(struct ctl_conn *c)
{
	if (c->closed)
		return;
	c->closed = 1;
	DL_DELETE(ctl_conns, c);
	pager_conn_closed(c->n, c);
	event_free(c->ev);
	c->ev = NULL;
	close(c->fd);
	c->fd = -1;
	ctl_conn_release(c);
}

void
ctl_reply(struct ctl_conn *c, uint8_t op, uint32_t reqid, int status,
    const void *payload, size_t len)
{
	static uint8_t	buf[CTL_MAXMSG];
	struct ctl_hdr	h;
	size_t		n;

	if (c->closed)
		return;
	memset(&h, 0, sizeof h);
	h.op = op;
	h.status = (uint8_t)status;
	h.reqid = reqid;
	n = ctl_pack(buf, sizeof buf, &h, payload, len);
	if (n == 0 || send(c->fd, buf, n, MSG_NOSIGNAL) < 0)
		log_debug("control reply lost: %s", strerror(errno));
}

void
ctl_conn_lost(struct ctl_conn *c, const char *why)
{
	if (c->closed || c->lost)
		return;
	c->lost = 1;
	ctl_reply(c, CTL_LOST, 0, CTL_ERR, why, strlen(why));
	/* the read event sees the end and detaches the regions */
	if (shutdown(c->fd, SHUT_RDWR) == -1)
		log_warn("closing a control connection");
}

void
ctl_replyf(struct ctl_conn *c, uint8_t op, uint32_t reqid, int status,
    const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;
	int	len;

	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len >= sizeof msg)
		len = sizeof msg - 1;
	ctl_reply(c, op, reqid, status, msg, (size_t)len);
}

/* ---- status ----------------------------------------------------------- */

struct sbuf {
	char	*s;
	size_t	 len, cap;
};

static void sb_printf(struct sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
}

static const char *
ctl_state_name(enum node_state s)
{
	switch (s) {
	case NS_JOINING:
		return "joining";
	case NS_MEMBER:
		return "member";
	case NS_LEAVING:
		return "leaving";
	case NS_GONE:
		return "gone";
	}
	return "?";
}

static const char *
ctl_policy_name(int policy)
{
	switch (policy) {
	case POLICY_LOCAL:
		return "local";
	case POLICY_NCHANCE:
		return "nchance";
	}
	return "gms";
}

static uint32_t
ctl_load_of(struct node *n, uint32_t id)
{
	int	i;

	for (i = 0; i < n->nloads; i++)
		if (n->loads[i].node == id)
			return n->loads[i].nfree;
	return 0;
}

/* Counters as name/value pairs, shared by the text and JSON forms. */
struct ctl_counter {
	const char	*name;
	uint64_t	 value;
};

static int
ctl_counters(struct node *n, struct ctl_counter *c, int max)
{
	const struct net_stats	*ns = net_stats(n->net);
	const struct node_stats	*s = &n->st;
	uint64_t		 drops = 0;
	int			 i, k = 0;

#define C(nm, v) do { if (k < max) { c[k].name = nm; c[k].value = v; k++; } \
} while (0)
	for (i = 1; i < PE_NERR; i++)
		drops += ns->drops[i];
	C("puts", s->puts);
	C("puts_failed", s->puts_failed);
	C("evictions", s->put_evictions);
	C("gets", s->gets);
	C("get_local", s->get_local);
	C("get_remote", s->get_remote);
	C("get_miss", s->get_miss);
	C("get_failed", s->get_failed);
	C("discards", s->discards);
	C("served_pages", s->served_pages);
	C("served_misses", s->served_misses);
	C("forwards", s->forwards);
	C("gcd_updates", s->gcd_updates);
	C("gcd_handed_over", s->handed_over);
	C("gcd_taken_over", s->taken_over);
	C("joins", s->joins);
	C("leaves", s->leaves);
	C("dead_nodes", s->dead_nodes);
	C("epoch_puts", s->epoch_puts);
	C("epoch_discards", s->epoch_discards);
	C("put_refused", s->put_refused);
	C("put_redirected", s->put_redirected);
	C("stale_puts", s->stale_puts);
	C("stale_served", s->stale_served);
	C("faults", s->faults);
	C("faults_cluster", s->faults_cluster);
	C("faults_disk", s->faults_disk);
	C("wp_faults", s->wp_faults);
	C("evict_local", s->evict_local);
	C("writebacks", s->writebacks);
	C("sampled", s->sampled);
	C("referenced", s->referenced);
	C("evict_ahead", s->evict_ahead);	/* the fault path */
	C("gcd_coalesced", s->gcd_coalesced);
	C("prefetch_sent", s->prefetch_sent);
	C("prefetch_installed", s->prefetch_installed);
	C("prefetch_waited", s->prefetch_waited);
	C("put_batches", s->put_batches);	/* batched putpages */
	C("puts_batched", s->puts_batched);
	C("put_batch_dups", s->put_batch_dups);
	C("put_batch_retries", s->put_batch_retries);
	C("bytes_sent", ns->bytes_sent);
	C("bytes_recv", ns->bytes_recv);
	C("retransmits", ns->retransmits);
	C("timeouts", ns->timeouts);
	C("dup_replayed", ns->dup_replayed);
	C("send_errors", ns->send_errors);
	C("drops", drops);
	C("drop_stranger", ns->drop_stranger);
	C("drop_unmatched", ns->drop_unmatched);
	C("drop_replay", ns->drop_replay);
	C("drop_stale", ns->drop_stale);
	C("inject_lost", ns->inject_lost);
	C("inject_dup", ns->inject_dup);
	C("inject_reordered", ns->inject_reordered);
	C("link_held", ns->link_held);
	C("pend_full", ns->pend_full);
	for (i = 1; i < PE_NERR; i++)
		C(proto_err_name(i), ns->drops[i]);
#undef C
	return k;
}

static void
ctl_status_json(struct node *n, struct sbuf *b)
{
	char			 ebuf[512];
	const struct net_stats	*ns = net_stats(n->net);
	const struct pod_member	*pm;
	struct ctl_counter	 c[80];
	int			 i, k, first;

	sb_printf(b, "{\"node\":%u,\"state\":\"%s\",\"master\":%u,"
	    "\"is_master\":%s,\"cluster\":%u,\"page_size\":%u,"
	    "\"udp_port\":%u,\"pod_version\":%u,"
	    "\"frames\":%u,\"free\":%u,\"free_idle\":%u,\"local\":%u,"
	    "\"global\":%u,\"gcd_entries\":%zu,\"pending\":%zu,\"regions\":%d,"
	    "\"policy\":\"%s\",\"disk\":\"%s\",\"link\":\"%s\","
	    "\"now_ms\":%llu,"
	    "\"members\":[",
	    n->id, ctl_state_name(n->state), n->master_id,
	    n->is_master ? "true" : "false", n->cluster, n->page_size,
	    net_port(n->net), pod_version(n->pod), n->nframes,
	    pfd_nfree(n->pfd), pager_nfree_idle(n),
	    pfd_count(n->pfd, PFD_LOCAL), pfd_count(n->pfd, PFD_GLOBAL),
	    gcd_count(n->gcd), net_pending(n->net), pager_nregions(n),
	    ctl_policy_name(n->policy), n->disk->name, net_link_name(n->net),
	    (unsigned long long)node_now_ms());
	for (i = 0; i < pod_nmembers(n->pod); i++) {
		pm = pod_member_at(n->pod, i);
		sb_printf(b, "%s{\"id\":%u,\"addr\":\"%u.%u.%u.%u:%u\","
		    "\"leaving\":%s,\"free\":%u}", i ? "," : "", pm->id,
		    pm->addr >> 24, (pm->addr >> 16) & 255,
		    (pm->addr >> 8) & 255, pm->addr & 255, pm->port,
		    (pm->flags & POD_MLEAVING) ? "true" : "false",
		    ctl_load_of(n, pm->id));
	}
	replace_status(n, ebuf, sizeof ebuf);
	sb_printf(b, "],%s,", ebuf);
	member_status(n, ebuf, sizeof ebuf);	/* term, quorum */
	sb_printf(b, "%s,\"counters\":{", ebuf);
	k = ctl_counters(n, c, 80);
	for (i = 0; i < k; i++)
		sb_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "", c[i].name,
		    c[i].value);
	sb_printf(b, "},\"messages\":{");
	for (first = 1, i = 0; i < 256; i++) {
		if (ns->sent[i] == 0 && ns->recv[i] == 0)
			continue;
		sb_printf(b, "%s\"%s\":{\"sent\":%" PRIu64 ",\"recv\":%"
		    PRIu64 "}", first ? "" : ",", proto_type_name(i),
		    ns->sent[i], ns->recv[i]);
		first = 0;
	}
	sb_printf(b, "}}\n");
}

static void
ctl_status_text(struct node *n, struct sbuf *b)
{
	const struct net_stats	*ns = net_stats(n->net);
	const struct pod_member	*pm;
	struct ctl_counter	 c[80];
	int			 i, k;

	sb_printf(b, "node %u (%s%s), cluster %u, page size %u, "
	    "UDP port %u\n", n->id, ctl_state_name(n->state),
	    n->is_master ? ", master" : "", n->cluster, n->page_size,
	    net_port(n->net));
	sb_printf(b, "membership term %u, master node %u%s\n", n->term,
	    n->master_id, !n->is_master ? "" : n->quorum ? " (this node, "
	    "quorum)" : " (this node, no quorum: membership frozen)");
	sb_printf(b, "POD version %u, %d members:\n", pod_version(n->pod),
	    pod_nmembers(n->pod));
	for (i = 0; i < pod_nmembers(n->pod); i++) {
		pm = pod_member_at(n->pod, i);
		sb_printf(b, "  %-4u %u.%u.%u.%u:%-5u %s%s%s free %u\n",
		    pm->id, pm->addr >> 24, (pm->addr >> 16) & 255,
		    (pm->addr >> 8) & 255, pm->addr & 255, pm->port,
		    pm->id == n->master_id ? "master " : "",
		    pm->id == n->id ? "self " : "",
		    (pm->flags & POD_MLEAVING) ? "leaving " : "",
		    ctl_load_of(n, pm->id));
	}
	sb_printf(b, "frames %u: %u local, %u global, %u free; "
	    "GCD entries %zu; %d regions; policy %s; disk model %s; "
	    "link model %s\n",
	    n->nframes, pfd_count(n->pfd, PFD_LOCAL),
	    pfd_count(n->pfd, PFD_GLOBAL), pfd_nfree(n->pfd),
	    gcd_count(n->gcd), pager_nregions(n),
	    ctl_policy_name(n->policy), n->disk->name, net_link_name(n->net));
	sb_printf(b, "counters:");
	k = ctl_counters(n, c, 80);
	for (i = 0; i < k; i++)
		sb_printf(b, "%s%s %" PRIu64, i % 6 ? ", " : "\n  ",
		    c[i].name, c[i].value);
	sb_printf(b, "\nmessages (sent/received):");
	for (k = 0, i = 0; i < 256; i++) {
		if (ns->sent[i] == 0 && ns->recv[i] == 0)
			continue;
		sb_printf(b, "%s%s %" PRIu64 "/%" PRIu64,
		    k++ % 5 ? ", " : "\n  ", proto_type_name(i),
		    ns->sent[i], ns->recv[i]);
	}
	sb_printf(b, "\n");
}

/* ---- requests --------------------------------------------------------- */

static void
ctl_page_done(struct node *n, int status, const uint8_t *page, void *arg)
{
	struct ctl_req	*r = arg;

	if (status == 0 && r->op == CTL_GET)
		ctl_reply(r->c, r->op, r->reqid, CTL_OK, page, n->page_size);
	else if (status == 0)
		ctl_reply(r->c, r->op, r->reqid, CTL_OK, NULL, 0);
	else if (status == 1)
		ctl_reply(r->c, r->op, r->reqid, CTL_MISS, NULL, 0);
	else if (status == -1)
		ctl_replyf(r->c, r->op, r->reqid, CTL_ERR,
		    "no answer from the cluster (timed out)");
	else if (status == -3)
		ctl_replyf(r->c, r->op, r->reqid, CTL_ERR,
		    "no other node to put the page to");
	else
		ctl_replyf(r->c, r->op, r->reqid, CTL_ERR,
		    "refused by the target node (full or leaving)");
	ctl_conn_release(r->c);
	free(r);
}

/* The process at the other end of a control connection. */
static pid_t
ctl_peer_pid(struct ctl_conn *c)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	return cred.pid;
}

static void
ctl_closefds(int fds[2])
{
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	fds[0] = fds[1] = -1;
}

static void
ctl_map(struct ctl_conn *c, const struct ctl_request *rq, int fds[2])
{
	struct node		*n = c->n;
	struct ctl_mapped	 r;
	char			 err[512];

	if (n->state != NS_MEMBER) {
		ctl_replyf(c, rq->h.op, rq->h.reqid, CTL_BUSY, "node is not a "
		    "member yet");
		ctl_closefds(fds);
		return;
	}
	memset(&r, 0, sizeof r);
	r.node = n->id;
	if (pager_map(n, c, &rq->map, rq->path, fds[0], fds[1],
	    ctl_peer_pid(c), &r.space, err, sizeof err) == -1) {
		ctl_replyf(c, rq->h.op, rq->h.reqid, CTL_ERR, "%s", err);
		return;		/* pager_map closed the descriptors */
	}
	ctl_reply(c, rq->h.op, rq->h.reqid, CTL_OK, &r, sizeof r);
}

static int
ctl_pages_one(struct pfd_page *pg, void *arg)
{
	struct sbuf	*b = arg;
	char		 u[UID_STRLEN];

	sb_printf(b, "{\"uid\":\"%s\",\"kind\":\"%s\",\"dirty\":%s,"
	    "\"shared\":%s,\"last_ref\":%llu}\n",
	    uid_fmt(&pg->uid, u, sizeof u),
	    pg->kind == PFD_LOCAL ? "local" : "global",
	    (pg->flags & PFD_DIRTY) ? "true" : "false",
	    (pg->flags & PFD_SHARED) ? "true" : "false",
	    (unsigned long long)pg->last_ref);
	return 0;
}

/* Requests that need no network: answered at once. */
static int
ctl_local_op(struct ctl_conn *c, const struct ctl_request *rq)
{
	const struct ctl_hdr	*h = &rq->h;
	struct node		*n = c->n;
	struct ctl_hello	 hello;
	struct sbuf		 b;

	switch (h->op) {
	case CTL_HELLO:
		memset(&hello, 0, sizeof hello);
		hello.page_size = n->page_size;
		hello.node = n->id;
		hello.nframes = n->nframes;
		hello.version = PROTO_VERSION;
		ctl_reply(c, h->op, h->reqid, CTL_OK, &hello, sizeof hello);
		return 1;
	case CTL_UNMAP:
		if (pager_unmap(n, c, rq->space) == -1)
			ctl_replyf(c, h->op, h->reqid, CTL_ERR, "no region %u "
			    "of this connection", rq->space);
		else
			ctl_reply(c, h->op, h->reqid, CTL_OK, NULL, 0);
		return 1;
	case CTL_PAGES:
	case CTL_STATUS:
		memset(&b, 0, sizeof b);
		b.cap = 65536;
		b.s = xmalloc(b.cap);
		if (h->op == CTL_PAGES)
			pfd_foreach(n->pfd, ctl_pages_one, &b);
		else if (h->status & CTL_FJSON)
			ctl_status_json(n, &b);
		else
			ctl_status_text(n, &b);
		if (b.len > CTL_MAXMSG - CTL_HDRLEN)
			ctl_replyf(c, h->op, h->reqid, CTL_ERR, "the answer is "
			    "too large for one reply (%zu bytes)", b.len);
		else
			ctl_reply(c, h->op, h->reqid, CTL_OK, b.s, b.len);
		free(b.s);
		return 1;
	}
	return 0;
}

/* A request decoded and checked (ctl_request_decode): do it. */
static void
ctl_dispatch(struct ctl_conn *c, const struct ctl_request *rq, int fds[2])
{
	const struct ctl_hdr	*h = &rq->h;
	struct node		*n = c->n;
	struct ctl_req		*r;
	struct uid		 uid = rq->uid;

	if (h->op == CTL_MAP) {
		ctl_map(c, rq, fds);
		return;
	}
	if (ctl_local_op(c, rq))
		return;
	if (h->op == CTL_LEAVE) {
		(void)member_leave(n, c, h->reqid);
		return;
	}
	if (n->state != NS_MEMBER) {
		ctl_replyf(c, h->op, h->reqid, CTL_BUSY, "node is %s",
		    ctl_state_name(n->state));
		return;
	}
	if (h->op == CTL_PUT && !uid_is_shared(&uid))
		uid.node = n->id;	/* a private page is ours */
	r = xcalloc(1, sizeof *r);
	r->c = c;
	r->op = h->op;
	r->reqid = h->reqid;
	ctl_conn_hold(c);
	if (h->op == CTL_PUT)
		pages_put_to(n, &uid, rq->page, rq->put.target,
		    rq->put.age_ms, 0, ctl_page_done, r);
	else if (h->op == CTL_GET)
		pages_get(n, &uid, 1, ctl_page_done, r);
	else
		pages_discard(n, &uid, ctl_page_done, r);
}

static void
ctl_readable(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t		 buf[CTL_MAXMSG];
	struct ctl_conn		*c = arg;
	struct ctl_request	 rq;
	char			 err[256];
	ssize_t			 len;
	int			 fds[2], nfds, rc;

	(void)what;
	len = ctl_recvfds(fd, buf, sizeof buf, fds);
	if (len < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	nfds = (fds[0] != -1) + (fds[1] != -1);
	rc = len <= 0 ? CTL_DEC_FRAME : ctl_request_decode(buf, (size_t)len,
	    nfds, c->n->page_size, &rq, err, sizeof err);
	if (rc == 0 && rq.h.op == CTL_MAP) {
		ctl_dispatch(c, &rq, fds);	/* it owns the descriptors */
		return;
	}
	ctl_closefds(fds);
	if (rc == CTL_DEC_FRAME) {
		if (len > 0)
			log_warnx("control client sent a malformed request");
		ctl_conn_close(c);
	} else if (rc == CTL_DEC_BAD)
		ctl_replyf(c, rq.h.op, rq.h.reqid, CTL_ERR, "%s", err);
	else
		ctl_dispatch(c, &rq, fds);
}

static void
ctl_accept(evutil_socket_t fd, short what, void *arg)
{
	struct node	*n = arg;
	struct ctl_conn	*c;
	int		 cfd;

	(void)what;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept on the control socket");
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->n = n;
	c->fd = cfd;
	c->refs = 1;
	c->ev = event_new(n->base, cfd, EV_READ | EV_PERSIST, ctl_readable,
	    c);
	event_add(c->ev, NULL);
	DL_APPEND(ctl_conns, c);
}

int
ctl_listen(struct node *n, char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s",
	    n->dir, CTL_SOCKNAME) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "--dir %s is too long for a Unix "
		    "socket path", n->dir);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)unlink(sun.sun_path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    listen(fd, 64) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	(void)chmod(sun.sun_path, 0600);
	snprintf(ctl_path, sizeof ctl_path, "%s", sun.sun_path);
	ctl_fd = fd;
	ctl_ev = event_new(n->base, fd, EV_READ | EV_PERSIST, ctl_accept, n);
	event_add(ctl_ev, NULL);
	return 0;
}

void
ctl_close(struct node *n)
{
	struct ctl_conn	*c, *tmp;

	(void)n;
	DL_FOREACH_SAFE(ctl_conns, c, tmp)
		ctl_conn_close(c);
	if (ctl_fd == -1)
		return;
	event_free(ctl_ev);
	close(ctl_fd);
	(void)unlink(ctl_path);
	ctl_fd = -1;
}
