/*
 * member.c: cluster membership (GMS-REFERENCE.md section 3, "Membership").
 *
 * A node registers with the master (JOIN); the master numbers it, recomputes
 * the POD and pushes it to every member; GCD partitions then move to their
 * new owners (pages.c).  Members send the master a heartbeat; the master
 * answers with its view of idle memory and declares a member dead after
 * NODE_DEAD_BEATS silent intervals.  A graceful leave is two steps: LEAVE
 * marks the member leaving (it owns no GCD buckets any more), it hands its
 * pages off, then LEAVE_DONE removes it.
 *
 * The master is a single point of failure for membership only, as in the
 * paper: when it dies the others keep serving with the POD they have.
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "gms/ctlmsg.h"
#include "gms/log.h"
#include "gms/node.h"

static void	member_send_join(struct node *);
static void	member_send_beat(struct node *);
static void	member_arm_beat(struct node *);

static struct node_member *
member_find(struct node *n, uint32_t id)
{
	int	i;

	for (i = 0; i < n->nmembers; i++)
		if (n->members[i].pm.id == id)
			return &n->members[i];
	return NULL;
}

/* Master: forget a member, remembering its id for its process. */
static void
member_remove(struct node *n, uint32_t id)
{
	struct node_retired	*r;
	int			 i;

	for (i = 0; i < n->nmembers; i++) {
		if (n->members[i].pm.id != id)
			continue;
		r = &n->retired[n->nretired++ % NODE_RETIRED];
		r->nonce = n->members[i].nonce;
		r->id = id;
		n->members[i] = n->members[--n->nmembers];
		return;
	}
}

/* Master: the id a process had before it was declared dead, or 0. */
static uint32_t
member_retired_id(struct node *n, uint64_t nonce)
{
	int	i, max = n->nretired < NODE_RETIRED ? n->nretired :
		    NODE_RETIRED;

	for (i = 0; i < max; i++)
		if (n->retired[i].nonce == nonce &&
		    member_find(n, n->retired[i].id) == NULL)
			return n->retired[i].id;
	return 0;
}

/* Install a new POD, keeping the old one to see what changed. */
static void
member_install_pod(struct node *n, uint32_t version,
    const struct pod_member *pm, int npm, const uint8_t *buckets)
{
	struct pod	*old = pod_create();
	int		 i, nold = pod_nmembers(n->pod);
	struct pod_member omem[POD_MAX_MEMBERS];

	for (i = 0; i < nold; i++)
		omem[i] = *pod_member_at(n->pod, i);
	if (nold > 0 && pod_set(old, pod_version(n->pod), omem, nold,
	    pod_buckets(n->pod)) == -1)
		fatalx("cannot copy the POD");
	if (buckets == NULL) {
		if (pod_compute(n->pod, version, pm, npm) == -1)
			fatalx("cannot compute POD version %u", version);
	} else if (pod_set(n->pod, version, pm, npm, buckets) == -1) {
		log_warnx("rejected POD version %u: inconsistent", version);
		pod_free(old);
		return;
	}
	log_info("POD version %u: %d members", version, npm);
	pages_pod_changed(n, old);
	pod_free(old);
}

static void
member_pod_acked(struct net *net, const struct msg *reply,
    const struct sockaddr_in *from, void *arg)
{
	(void)net;
	(void)from;
	if (reply == NULL)
		log_debug("POD push to member %u unanswered",
		    (uint32_t)(uintptr_t)arg);
}

/* Master: send the current POD to one member. */
static void
member_push_one(struct node *n, const struct pod_member *pm)
{
	struct msg		m;
	struct sockaddr_in	to;
	int			i, np = pod_nmembers(n->pod);

	memset(&m, 0, sizeof m);
	m.type = MSG_POD;
	m.u.pod.version = pod_version(n->pod);
	m.u.pod.nmembers = (uint16_t)np;
	for (i = 0; i < np; i++) {
		m.u.pod.members[i] = *pod_member_at(n->pod, i);
		if (m.u.pod.members[i].id == n->id)
			m.u.pod.master_idx = (uint16_t)i;
	}
	memcpy(m.u.pod.buckets, pod_buckets(n->pod), POD_NBUCKETS);
	net_addr(&to, pm->addr, pm->port);
	net_request(n->net, &to, &m, NODE_CTL_TRIES, NODE_CTL_RTO_MS,
	    member_pod_acked, (void *)(uintptr_t)pm->id);
}

/* Master: membership changed; make the next POD and push it to all. */
static void
member_republish(struct node *n)
{
	struct pod_member	pm[POD_MAX_MEMBERS];
	int			i, np;

	for (i = 0; i < n->nmembers; i++)
		pm[i] = n->members[i].pm;
	member_install_pod(n, pod_version(n->pod) + 1, pm, n->nmembers,
	    NULL);
	np = pod_nmembers(n->pod);
	for (i = 0; i < np; i++)
		if (pod_member_at(n->pod, i)->id != n->id)
			member_push_one(n, pod_member_at(n->pod, i));
}

static void
member_on_join(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct msg		 r;
	struct node_member	*nm;
	uint32_t		 id;
	int			 i;

	memset(&r, 0, sizeof r);
	r.type = MSG_JOIN_ACK;
	r.u.join_ack.policy = (uint8_t)(n->policy == POLICY_LOCAL ? POL_GMS :
	    n->policy);	/* local is a node's own choice, not the cluster's */
	r.u.join_ack.page_size = n->page_size;
	r.u.join_ack.heartbeat_ms = n->heartbeat_ms;
	r.u.join_ack.master = n->id;
	if (m->u.join.page_size != n->page_size) {
		log_warnx("refused a node at %s: page size %u, cluster's %u",
		    inet_ntoa(from->sin_addr), m->u.join.page_size,
		    n->page_size);
		r.u.join_ack.status = ST_REFUSED;
		net_reply(n->net, from, 0, m->reqid, &r);
		return;
	}
	/* The same address again: a restarted node replaces the old one. */
	for (i = 0; i < n->nmembers; i++) {
		nm = &n->members[i];
		if (nm->pm.addr != ntohl(from->sin_addr.s_addr) ||
		    nm->pm.port != ntohs(from->sin_port))
			continue;
		if (nm->nonce == m->u.join.nonce) {
			r.u.join_ack.node = nm->pm.id;
			net_reply(n->net, from, 0, m->reqid, &r);
			return;
		}
		log_info("node %u rejoined with a new start: replacing it",
		    nm->pm.id);
		member_remove(n, nm->pm.id);
		break;
	}
	id = member_retired_id(n, m->u.join.nonce);
	if (n->nmembers == POD_MAX_MEMBERS) {
		r.u.join_ack.status = ST_FULL;
		net_reply(n->net, from, 0, m->reqid, &r);
		return;
	}
	nm = &n->members[n->nmembers++];
	memset(nm, 0, sizeof *nm);
	nm->pm.id = id != 0 ? id : n->next_id++;
	nm->pm.addr = ntohl(from->sin_addr.s_addr);
	nm->pm.port = ntohs(from->sin_port);
	nm->nonce = m->u.join.nonce;
	nm->nfree = m->u.join.nframes;
	nm->last_beat_ms = node_now_ms();
	n->st.joins++;
	r.u.join_ack.node = nm->pm.id;
	net_reply(n->net, from, 0, m->reqid, &r);
	log_info("node %u joined from %s:%u", nm->pm.id,
	    inet_ntoa(from->sin_addr), ntohs(from->sin_port));
	member_republish(n);
}

static int
member_drop_global(struct pfd_page *pg, void *arg)
{
	struct node	*n = arg;

	if (pg->kind == PFD_GLOBAL)
		pfd_remove(n->pfd, pg);
	return 0;
}

/*
 * The master lost us (it declared us dead).  The cluster has forgotten
 * our global pages and our GCD partition: forget them too, and join
 * again; the master gives this process its old node id back, so the
 * UIDs of its own pages stay valid.
 */
static void
member_rejoin(struct node *n, const char *why)
{
	log_warnx("%s: joining again", why);
	n->state = NS_JOINING;
	net_set_self(n->net, 0);
	pfd_foreach(n->pfd, member_drop_global, n);
	gcd_free(n->gcd);
	n->gcd = gcd_create();
	pod_free(n->pod);
	n->pod = pod_create();
	n->nloads = 0;
	member_send_join(n);
}

static void
member_on_pod(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	const struct msg_pod	*p = &m->u.pod;
	struct msg		 r;
	int			 i, self = -1;

	memset(&r, 0, sizeof r);
	r.type = MSG_ACK;
	r.u.ack.value = p->version;
	if (p->version > pod_version(n->pod)) {
		for (i = 0; i < p->nmembers; i++)
			if (p->members[i].id == n->id)
				self = i;
		if (self == -1) {
			net_reply(n->net, from, m->sender, m->reqid, &r);
			member_rejoin(n, "the master no longer lists this node");
			return;
		}
		member_install_pod(n, p->version, p->members, p->nmembers,
		    p->buckets);
		member_send_beat(n);	/* fresh loads for the new members */
		if ((p->members[self].flags & POD_MLEAVING) &&
		    n->state == NS_MEMBER) {
			n->state = NS_LEAVING;
			(void)pages_evacuate(n);
			member_leave_progress(n);
		}
	}
	net_reply(n->net, from, m->sender, m->reqid, &r);
}

static void
member_on_heartbeat(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct node_member	*nm = member_find(n, m->sender);
	struct msg		 r;
	int			 i;

	memset(&r, 0, sizeof r);
	if (nm == NULL || nm->pm.addr != ntohl(from->sin_addr.s_addr) ||
	    nm->pm.port != ntohs(from->sin_port)) {
		r.type = MSG_ACK;
		r.u.ack.status = ST_NOTMEMBER;
		net_reply(n->net, from, m->sender, m->reqid, &r);
		return;
	}
	nm->last_beat_ms = node_now_ms();
	nm->nfree = m->u.heartbeat.nfree;
	member_note_load(n, nm->pm.id, nm->nfree);
	r.type = MSG_HEARTBEAT_ACK;
	r.u.heartbeat_ack.pod_version = pod_version(n->pod);
	for (i = 0; i < n->nmembers && i < PROTO_MAX_LOADS; i++) {
		r.u.heartbeat_ack.loads[i].node = n->members[i].pm.id;
		r.u.heartbeat_ack.loads[i].nfree = n->members[i].nfree;
	}
	r.u.heartbeat_ack.nloads = (uint16_t)i;
	net_reply(n->net, from, m->sender, m->reqid, &r);
	if (m->u.heartbeat.pod_version < pod_version(n->pod))
		member_push_one(n, &nm->pm);
}

/* Master: a member asks to leave, or says it has handed everything off. */
static void
member_on_leave(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct node_member	*nm = member_find(n, m->sender);
	struct msg		 r;

	memset(&r, 0, sizeof r);
	r.type = MSG_ACK;
	if (nm == NULL || nm->pm.id == n->id) {
		r.u.ack.status = ST_NOTMEMBER;
		net_reply(n->net, from, m->sender, m->reqid, &r);
		return;
	}
	net_reply(n->net, from, m->sender, m->reqid, &r);
	if (m->type == MSG_LEAVE) {
		if (nm->pm.flags & POD_MLEAVING)
			return;
		log_info("node %u is leaving", nm->pm.id);
		nm->pm.flags |= POD_MLEAVING;
	} else {
		log_info("node %u left", nm->pm.id);
		member_remove(n, m->sender);
		n->st.leaves++;
	}
	member_republish(n);
}

void
member_handle(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	switch (m->type) {
	case MSG_JOIN:
		member_on_join(n, m, from);
		break;
	case MSG_POD:
		member_on_pod(n, m, from);
		break;
	case MSG_HEARTBEAT:
		if (n->is_master)
			member_on_heartbeat(n, m, from);
		break;
	case MSG_LEAVE:
	case MSG_LEAVE_DONE:
		if (n->is_master)
			member_on_leave(n, m, from);
		break;
	}
}

static void
member_on_join_ack(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct node	*n = arg;
	char		 a[64], pfx[32];

	(void)from;
	if (r == NULL)
		fatalx("no answer from the master at %s after %d ms: is it "
		    "running there, with the same --key and --cluster?",
		    net_fmt(&n->master, a, sizeof a), NODE_JOIN_WAIT_MS);
	if (r->type != MSG_JOIN_ACK)
		fatalx("the master answered JOIN with %s",
		    proto_type_name(r->type));
	switch (r->u.join_ack.status) {
	case ST_OK:
		break;
	case ST_REFUSED:
		fatalx("the master refused this node: the cluster's page "
		    "size is %u bytes, this node's --page-size is %u",
		    r->u.join_ack.page_size, n->page_size);
	case ST_FULL:
		fatalx("the master refused this node: the cluster is full "
		    "(%d members)", POD_MAX_MEMBERS);
	default:
		fatalx("the master refused this node (status %u)",
		    r->u.join_ack.status);
	}
	n->id = r->u.join_ack.node;
	n->master_id = r->u.join_ack.master;
	/* the cluster's policy, unless this node asked for local paging */
	if (n->policy_asked != POLICY_LOCAL) {
		if (n->policy_asked != -1 &&
		    n->policy_asked != r->u.join_ack.policy)
			log_warnx("the cluster's policy is %s, not the one "
			    "asked with --policy: using the cluster's",
			    r->u.join_ack.policy == POL_NCHANCE ? "nchance" :
			    "gms");
		n->policy = r->u.join_ack.policy;
	}
	if (n->heartbeat_ms != r->u.join_ack.heartbeat_ms) {
		n->heartbeat_ms = r->u.join_ack.heartbeat_ms;
		member_arm_beat(n);
	}
	n->state = NS_MEMBER;
	n->last_ack_ms = node_now_ms();
	net_set_self(net, n->id);
	snprintf(pfx, sizeof pfx, "node %u", n->id);
	log_set_prefix(pfx);
	log_info("joined the cluster through %s as node %u",
	    net_fmt(&n->master, a, sizeof a), n->id);
}

static void
member_send_join(struct node *n)
{
	struct msg	m;
	int		tries = 0, t = 0, rto = NODE_CTL_RTO_MS;

	/* enough doublings of NODE_CTL_RTO_MS to cover NODE_JOIN_WAIT_MS */
	while (t < NODE_JOIN_WAIT_MS) {
		t += rto;
		rto *= 2;
		tries++;
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_JOIN;
	m.u.join.page_size = n->page_size;
	m.u.join.nframes = n->nframes;
	m.u.join.nonce = n->nonce;
	net_request(n->net, &n->master, &m, tries, NODE_CTL_RTO_MS,
	    member_on_join_ack, n);
}

static void
member_on_beat_ack(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct node	*n = arg;
	int		 i;

	(void)net;
	(void)from;
	if (r == NULL || n->state == NS_JOINING)
		return;
	if (r->type == MSG_ACK && r->u.ack.status == ST_NOTMEMBER) {
		member_rejoin(n, "the master declared this node dead");
		return;
	}
	if (r->type != MSG_HEARTBEAT_ACK)
		return;
	n->last_ack_ms = node_now_ms();
	if (n->master_lost) {
		log_info("the master answers again");
		n->master_lost = 0;
	}
	n->nloads = 0;
	for (i = 0; i < r->u.heartbeat_ack.nloads; i++)
		member_note_load(n, r->u.heartbeat_ack.loads[i].node,
		    r->u.heartbeat_ack.loads[i].nfree);
}

/* Master: declare silent members dead; refresh our own load entry. */
static void
member_check_beats(struct node *n, uint64_t now)
{
	uint64_t	limit = (uint64_t)n->heartbeat_ms * NODE_DEAD_BEATS;
	int		i, changed = 0;

	for (i = 0; i < n->nmembers; i++) {
		struct node_member *nm = &n->members[i];

		if (nm->pm.id == n->id) {
			nm->nfree = pfd_nfree(n->pfd);
			nm->last_beat_ms = now;
			continue;
		}
		if (now - nm->last_beat_ms <= limit)
			continue;
		log_warnx("node %u silent for %llu ms: declared dead",
		    nm->pm.id, (unsigned long long)(now - nm->last_beat_ms));
		n->st.dead_nodes++;
		member_remove(n, nm->pm.id);
		i--;
		changed = 1;
	}
	n->nloads = n->nmembers;
	for (i = 0; i < n->nmembers; i++) {
		n->loads[i].node = n->members[i].pm.id;
		n->loads[i].nfree = n->members[i].nfree;
	}
	if (changed)
		member_republish(n);
}

static void
member_beat(evutil_socket_t fd, short what, void *arg)
{
	struct node	*n = arg;
	uint64_t	 now = node_now_ms();

	(void)fd;
	(void)what;
	if (n->is_master) {
		member_check_beats(n, now);
		return;
	}
	if (n->state == NS_JOINING || n->state == NS_GONE)
		return;
	if (!n->master_lost && now - n->last_ack_ms >
	    (uint64_t)n->heartbeat_ms * NODE_DEAD_BEATS) {
		log_warnx("the master has not answered for %llu ms; serving "
		    "with POD version %u", (unsigned long long)(now -
		    n->last_ack_ms), pod_version(n->pod));
		n->master_lost = 1;
	}
	member_send_beat(n);
}

/* One heartbeat to the master; its answer brings the loads. */
static void
member_send_beat(struct node *n)
{
	struct msg	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_HEARTBEAT;
	m.u.heartbeat.pod_version = pod_version(n->pod);
	m.u.heartbeat.nfree = pfd_nfree(n->pfd);
	m.u.heartbeat.nlocal = pfd_count(n->pfd, PFD_LOCAL);
	m.u.heartbeat.nglobal = pfd_count(n->pfd, PFD_GLOBAL);
	net_request(n->net, &n->master, &m, 1, (int)n->heartbeat_ms,
	    member_on_beat_ack, n);
}

void
member_start(struct node *n)
{
	struct node_member	*nm;

	if (n->is_master) {
		n->id = 1;
		n->master_id = 1;
		n->next_id = 2;
		n->state = NS_MEMBER;
		nm = &n->members[n->nmembers++];
		nm->pm.id = n->id;
		nm->pm.addr = ntohl(n->self_addr.sin_addr.s_addr);
		nm->pm.port = ntohs(n->self_addr.sin_port);
		nm->nfree = n->nframes;
		nm->last_beat_ms = node_now_ms();
		net_set_self(n->net, n->id);
		log_set_prefix("node 1");
		member_republish(n);
		member_check_beats(n, node_now_ms());
	} else {
		n->state = NS_JOINING;
		member_send_join(n);
	}
	n->beat_timer = event_new(n->base, -1, EV_PERSIST, member_beat, n);
	member_arm_beat(n);
}

/* (Re)start the heartbeat timer at the cluster's interval. */
static void
member_arm_beat(struct node *n)
{
	struct timeval	tv;

	if (n->beat_timer == NULL)
		return;
	tv.tv_sec = n->heartbeat_ms / 1000;
	tv.tv_usec = (n->heartbeat_ms % 1000) * 1000;
	event_add(n->beat_timer, &tv);
}

/* Record what a member said of its free frames (heartbeats, put acks). */
void
member_note_load(struct node *n, uint32_t id, uint32_t nfree)
{
	int	i;

	for (i = 0; i < n->nloads; i++)
		if (n->loads[i].node == id)
			break;
	if (i == n->nloads) {
		if (n->nloads == POD_MAX_MEMBERS)
			return;
		n->nloads++;
	}
	n->loads[i].node = id;
	n->loads[i].nfree = nfree;
}

/*
 * The member with the most free frames as last heard (ties broken at
 * random); a member not heard of yet counts as having one free frame.
 * When every member is full, any member: it evicts its oldest page.
 */
uint32_t
member_pick_target(struct node *n, uint32_t exclude)
{
	const struct pod_member	*pm;
	uint32_t		 cand[POD_MAX_MEMBERS], nfree, best = 0;
	int			 i, j, ncand = 0, nbest = 0;

	for (i = 0; i < pod_nmembers(n->pod); i++) {
		pm = pod_member_at(n->pod, i);
		if (pm->id == n->id || pm->id == exclude ||
		    (pm->flags & POD_MLEAVING) || node_is_suspect(n, pm->id) ||
		    node_is_full(n, pm->id))
			continue;
		for (j = 0; j < n->nloads; j++)
			if (n->loads[j].node == pm->id)
				break;
		nfree = j < n->nloads ? n->loads[j].nfree : 1;
		if (ncand == 0 || nfree > best) {
			best = nfree;
			nbest = 0;
		}
		if (nfree == best)
			cand[nbest++] = pm->id;
		ncand++;
	}
	if (ncand == 0)
		return 0;
	j = (int)(node_rand(n) % (uint64_t)nbest);
	if (best > 0)
		member_note_load(n, cand[j], best - 1);	/* until told */
	return cand[j];
}

static void
member_on_leave_done_ack(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct node	*n = arg;

	(void)net;
	(void)from;
	if (n->leave_conn != NULL) {
		if (r != NULL)
			ctl_replyf(n->leave_conn, CTL_LEAVE, n->leave_reqid,
			    CTL_OK, "node %u left the cluster", n->id);
		else
			ctl_replyf(n->leave_conn, CTL_LEAVE, n->leave_reqid,
			    CTL_ERR, "node %u handed off its pages but the "
			    "master did not acknowledge; exiting anyway", n->id);
		ctl_conn_release(n->leave_conn);
		n->leave_conn = NULL;
	}
	log_info("left the cluster");
	n->state = NS_GONE;
	event_base_loopexit(n->base, NULL);
}

/* Called as evacuation putpages finish; the last one ends the leave. */
void
member_leave_progress(struct node *n)
{
	struct msg	m;

	if (n->state != NS_LEAVING || n->leave_pending > 0)
		return;
	memset(&m, 0, sizeof m);
	m.type = MSG_LEAVE_DONE;
	net_request(n->net, &n->master, &m, NODE_CTL_TRIES, NODE_CTL_RTO_MS,
	    member_on_leave_done_ack, n);
}

static void
member_on_leave_ack(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct node	*n = arg;

	(void)net;
	(void)from;
	if (r != NULL && r->u.ack.status == ST_OK)
		return;	/* the POD that marks us leaving comes next */
	if (n->leave_conn != NULL) {
		ctl_replyf(n->leave_conn, CTL_LEAVE, n->leave_reqid, CTL_ERR,
		    "%s", r == NULL ? "the master did not answer the leave "
		    "request" : "the master refused the leave request");
		ctl_conn_release(n->leave_conn);
		n->leave_conn = NULL;
	}
}

int
member_leave(struct node *n, struct ctl_conn *c, uint32_t reqid)
{
	struct msg	m;

	if (n->is_master) {
		ctl_replyf(c, CTL_LEAVE, reqid, CTL_ERR, "the master cannot "
		    "leave: master failover is not implemented yet; stop the "
		    "other nodes first, then the master");
		return -1;
	}
	if (n->state != NS_MEMBER) {
		ctl_replyf(c, CTL_LEAVE, reqid, CTL_ERR, "this node is not a "
		    "member now");
		return -1;
	}
	n->leave_conn = c;
	n->leave_reqid = reqid;
	ctl_conn_hold(c);
	memset(&m, 0, sizeof m);
	m.type = MSG_LEAVE;
	net_request(n->net, &n->master, &m, NODE_CTL_TRIES, NODE_CTL_RTO_MS,
	    member_on_leave_ack, n);
	return 0;
}
