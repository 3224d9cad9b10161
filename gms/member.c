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
 * Master failover (the paper left it as future work).  The POD push
 * carries everything a new master needs: the members with their start
 * nonces (so a process declared dead gets its old id back), the next id to
 * give, and the membership term.  Every member mirrors the master's table
 * from it.  With D = heartbeat * NODE_DEAD_BEATS, a member whose master
 * has not answered for D is "master lost"; the member of rank k among the
 * POD's members (by id, without the master and leaving members) takes
 * over once the master has been silent for D * (k + 1): it raises the term,
 * skips NODE_TAKEOVER_VERSIONS POD versions and pushes the same membership
 * under itself.  A member takes a POD from a node that is not its master
 * only if the term is higher and its own master is lost.  So when the
 * lowest-id member survives, a new master acts at most D + one heartbeat
 * after the old one's last answer (the beat timer's granularity), and its
 * POD without the old master follows a heartbeat later (2.5 s and 3 s at
 * the default 500 ms heartbeat); every dead candidate before it adds D.
 *
 * Partitions.  A master may change the POD (admit, remove, mark leaving)
 * only while it has a quorum: it heard within D/2 from a strict majority
 * of its POD's members, itself included, or from exactly half of them
 * with the lowest id among them.  Two disjoint sides cannot both hold one, so
 * at most one side changes the membership; a master without one answers
 * JOIN and LEAVE with ST_NOQUORUM, removes nobody, keeps serving pages
 * with the POD it has, and probes its silent members with its POD.  Stale
 * masters are ignored through the term: a member refuses (ST_STALE, with
 * its own term) a POD from a node that is not its master unless the term
 * is higher and its master is lost, and a master refuses every POD.  A
 * master without a quorum steps down and joins again (through its POD's
 * members and the --master list) when a member of a term at least its own
 * refuses its POD, or any member does 2D after it took over; so after a
 * partition heals one master and one membership remain.
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
static void	member_rejoin(struct node *, const char *);
static int	member_rank(struct node *);
static void	member_take_over(struct node *, uint64_t);
static void	member_check_beats(struct node *, uint64_t);
static int	member_hand_over(struct node *, struct ctl_conn *, uint32_t);
static void	member_hand_over_failed(struct node *);

static struct node_member *
member_find(struct node *n, uint32_t id)
{
	int	i;

	for (i = 0; i < n->nmembers; i++)
		if (n->members[i].pm.id == id)
			return &n->members[i];
	return NULL;
}

static void
member_retire(struct node *n, uint64_t nonce, uint32_t id)
{
	struct node_retired	*r;

	r = &n->retired[n->nretired++ % NODE_RETIRED];
	r->nonce = nonce;
	r->id = id;
}

/* Forget a member, remembering its id for its process. */
static void
member_remove(struct node *n, uint32_t id)
{
	int	i;

	for (i = 0; i < n->nmembers; i++) {
		if (n->members[i].pm.id != id)
			continue;
		member_retire(n, n->members[i].nonce, id);
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

/* D: how long a silent master or member is given. */
static uint64_t
member_dead_ms(const struct node *n)
{
	return (uint64_t)n->heartbeat_ms * NODE_DEAD_BEATS;
}

/*
 * Master: does it hear a quorum of its POD's members (see the top of the
 * file)?  Only beats of the last D/2 count: when a cut makes a member
 * silent for D (and it is declared dead), every member beyond the cut has
 * been silent for more than D - one heartbeat, so none of them counts.
 */
static int
member_has_quorum(const struct node *n, uint64_t now)
{
	uint32_t	ids[POD_MAX_MEMBERS];
	uint8_t		heard[POD_MAX_MEMBERS];
	int		i;

	for (i = 0; i < n->nmembers; i++) {
		const struct node_member *nm = &n->members[i];

		ids[i] = nm->pm.id;
		heard[i] = nm->pm.id == n->id || (nm->heard &&
		    now - nm->last_beat_ms <= member_dead_ms(n) / 2);
	}
	return pod_quorum(ids, heard, n->nmembers);
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
	log_info("POD version %u (term %u): %d members", version, n->term,
	    npm);
	pages_pod_changed(n, old);
	pod_free(old);
}

static void
member_pod_acked(struct net *net, const struct msg *reply,
    const struct sockaddr_in *from, void *arg)
{
	struct node	*n = arg;
	char		 a[64];

	(void)net;
	if (reply == NULL) {
		log_debug("a POD push went unanswered");
		return;
	}
	if (reply->type != MSG_ACK || reply->u.ack.status != ST_STALE ||
	    !n->is_master || n->quorum)
		return;
	if (reply->u.ack.value < n->term &&
	    node_now_ms() - n->master_since_ms <= 2 * member_dead_ms(n))
		return;	/* it follows the old master until it finds it dead */
	/* the other side of a healed partition follows another master */
	log_warnx("%s follows another master (its term %u, ours %u) and "
	    "we have no quorum: stepping down", net_fmt(from, a, sizeof a),
	    reply->u.ack.value, n->term);
	member_rejoin(n, "no longer the master");
}

/* Master: send the current POD to one member, tries times at most. */
static void
member_push_one(struct node *n, const struct pod_member *pm, int tries)
{
	struct msg		 m;
	struct sockaddr_in	 to;
	struct node_member	*nm;
	int			 i, np = pod_nmembers(n->pod);

	memset(&m, 0, sizeof m);
	m.type = MSG_POD;
	m.u.pod.version = pod_version(n->pod);
	m.u.pod.nmembers = (uint16_t)np;
	m.u.pod.term = n->term;
	m.u.pod.next_id = n->next_id;
	for (i = 0; i < np; i++) {
		m.u.pod.members[i] = *pod_member_at(n->pod, i);
		if (m.u.pod.members[i].id == n->id)
			m.u.pod.master_idx = (uint16_t)i;
		if ((nm = member_find(n, m.u.pod.members[i].id)) != NULL)
			m.u.pod.nonces[i] = nm->nonce;
	}
	memcpy(m.u.pod.buckets, pod_buckets(n->pod), POD_NBUCKETS);
	net_addr(&to, pm->addr, pm->port);
	net_request(n->net, &to, &m, tries, NODE_CTL_RTO_MS,
	    member_pod_acked, n);
}

static void
member_push_all(struct node *n)
{
	int	i, np = pod_nmembers(n->pod);

	for (i = 0; i < np; i++)
		if (pod_member_at(n->pod, i)->id != n->id)
			member_push_one(n, pod_member_at(n->pod, i),
			    NODE_CTL_TRIES);
}

/* Master: membership changed; make the next POD and push it to all. */
static void
member_republish(struct node *n)
{
	struct pod_member	pm[POD_MAX_MEMBERS];
	int			i;

	for (i = 0; i < n->nmembers; i++)
		pm[i] = n->members[i].pm;
	member_install_pod(n, pod_version(n->pod) + 1, pm, n->nmembers,
	    NULL);
	member_push_all(n);
}

/* Tell a joiner where the master is, or that this one has no quorum. */
static void
member_join_refuse(struct node *n, const struct msg *m,
    const struct sockaddr_in *from, struct msg *r)
{
	if (n->is_master) {
		r->u.join_ack.status = ST_NOQUORUM;
	} else {
		r->u.join_ack.status = ST_NOTMASTER;
		if (n->state == NS_MEMBER && !n->master_lost) {
			r->u.join_ack.master = n->master_id;
			r->u.join_ack.master_addr =
			    ntohl(n->master.sin_addr.s_addr);
			r->u.join_ack.master_port = ntohs(n->master.sin_port);
		} else
			r->u.join_ack.master = 0;
	}
	net_reply(n->net, from, 0, m->reqid, r);
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
	r.u.join_ack.master_addr = ntohl(n->master.sin_addr.s_addr);
	r.u.join_ack.master_port = ntohs(n->master.sin_port);
	if (!n->is_master || !n->quorum) {
		member_join_refuse(n, m, from, &r);
		return;
	}
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
			if (nm->pm.id != n->id)
				member_push_one(n, &nm->pm, NODE_CTL_TRIES);
			return;
		}
		if (nm->pm.id == n->id)
			break;	/* someone else at our own address */
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
	nm->heard = 1;
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

/* Add an address a JOIN may go to, once. */
static void
member_join_add(struct node *n, const struct sockaddr_in *sin)
{
	int	i;

	if (sin->sin_addr.s_addr == n->self_addr.sin_addr.s_addr &&
	    sin->sin_port == n->self_addr.sin_port)
		return;
	for (i = 0; i < n->njoin_to; i++)
		if (n->join_to[i].sin_addr.s_addr == sin->sin_addr.s_addr &&
		    n->join_to[i].sin_port == sin->sin_port)
			return;
	if (n->njoin_to < NODE_SEEDS_MAX + POD_MAX_MEMBERS)
		n->join_to[n->njoin_to++] = *sin;
}

/*
 * We are out of the cluster (the master declared us dead, or we were a
 * master cut off from a majority).  The cluster has forgotten our global
 * pages and our GCD partition: forget them too, and join again through
 * the master we had, the members we knew and the --master list; the
 * master gives this process its old node id back, so the UIDs of its own
 * pages stay valid.
 */
static void
member_rejoin(struct node *n, const char *why)
{
	struct sockaddr_in	sin;
	int			i;

	log_warnx("%s: joining again", why);
	n->njoin_to = 0;
	if (!n->is_master)
		member_join_add(n, &n->master);
	for (i = 0; i < pod_nmembers(n->pod); i++) {
		net_addr(&sin, pod_member_at(n->pod, i)->addr,
		    pod_member_at(n->pod, i)->port);
		member_join_add(n, &sin);
	}
	for (i = 0; i < n->nseeds; i++)
		member_join_add(n, &n->seeds[i]);
	n->join_next = 0;
	n->join_round = 0;
	n->state = NS_JOINING;
	n->is_master = 0;
	n->master_lost = 0;
	n->quorum = 0;
	n->term = 0;
	n->nmembers = 0;
	net_set_self(n->net, 0);
	pfd_foreach(n->pfd, member_drop_global, n);
	gcd_free(n->gcd);
	n->gcd = gcd_create();
	pod_free(n->pod);
	n->pod = pod_create();
	n->nloads = 0;
	if (n->njoin_to > 0 && !n->join_busy)
		member_send_join(n);
}

/*
 * Every member keeps the master's table as the POD push gives it; members
 * that left it are remembered with their nonces, as the master does.
 */
static void
member_mirror(struct node *n, const struct msg_pod *p)
{
	struct node_member	 old[POD_MAX_MEMBERS], *nm;
	int			 i, j, nold = n->nmembers;

	memcpy(old, n->members, sizeof old[0] * (size_t)nold);
	n->nmembers = 0;
	for (i = 0; i < p->nmembers; i++) {
		nm = &n->members[n->nmembers++];
		memset(nm, 0, sizeof *nm);
		nm->pm = p->members[i];
		nm->nonce = p->nonces[i];
	}
	for (j = 0; j < nold; j++)
		if (member_find(n, old[j].pm.id) == NULL)
			member_retire(n, old[j].nonce, old[j].pm.id);
	if (p->next_id > n->next_id)
		n->next_id = p->next_id;
}

/* Our master is handing its role over (it is marked leaving). */
static int
member_master_leaving(struct node *n)
{
	const struct pod_member	*pm = pod_find(n->pod, n->master_id);

	return pm != NULL && (pm->flags & POD_MLEAVING);
}

/*
 * 1: the POD came from our master, or from a new one we follow; 0: not,
 * and r is the refusal to send if its status is ST_STALE.
 */
static int
member_pod_acceptable(struct node *n, const struct msg *m,
    const struct sockaddr_in *from, struct msg *r)
{
	const struct msg_pod		*p = &m->u.pod;
	const struct pod_member		*mp = &p->members[p->master_idx];

	if (mp->id != m->sender || mp->addr != ntohl(from->sin_addr.s_addr) ||
	    mp->port != ntohs(from->sin_port))
		return 0;	/* a POD must name its sender as master */
	if ((n->is_master && (n->handoff_ms == 0 || p->term <= n->term)) ||
	    p->term < n->term) {
		r->u.ack.status = ST_STALE;
		r->u.ack.value = n->term;
		return 0;
	}
	if (m->sender == n->master_id &&
	    from->sin_addr.s_addr == n->master.sin_addr.s_addr &&
	    from->sin_port == n->master.sin_port)
		return 1;
	if (p->term == n->term) {
		r->u.ack.status = ST_STALE;
		r->u.ack.value = n->term;
		return 0;
	}
	/* a higher term: follow it once our master is silent for D, or
	 * hands its role over (then it is our master that follows it) */
	if (n->master_lost || n->is_master || member_master_leaving(n))
		return 1;
	r->u.ack.status = ST_STALE;
	r->u.ack.value = n->term;
	return 0;
}

static void
member_on_pod(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	const struct msg_pod	*p = &m->u.pod;
	struct msg		 r;
	int			 i, ok, self = -1;

	memset(&r, 0, sizeof r);
	r.type = MSG_ACK;
	r.u.ack.value = p->version;
	if ((ok = member_pod_acceptable(n, m, from, &r)) <= 0) {
		if (ok == 0 && r.u.ack.status == ST_STALE)
			net_reply(n->net, from, m->sender, m->reqid, &r);
		return;
	}
	if (p->term > n->term || p->version > pod_version(n->pod)) {
		if (p->term > n->term && n->master_id != m->sender)
			log_warnx("node %u is the master now (term %u)",
			    m->sender, p->term);
		if (n->is_master) {	/* our handover is taken */
			n->is_master = 0;
			n->quorum = 0;
			n->handoff_ms = 0;
		}
		n->term = p->term;
		n->master_id = m->sender;
		n->master = *from;
		n->master_lost = 0;
		n->last_ack_ms = node_now_ms();
		for (i = 0; i < p->nmembers; i++)
			if (p->members[i].id == n->id)
				self = i;
		if (self == -1) {
			net_reply(n->net, from, m->sender, m->reqid, &r);
			member_rejoin(n, "the master no longer lists this node");
			return;
		}
		member_mirror(n, p);
		member_install_pod(n, p->version, p->members, p->nmembers,
		    p->buckets);
		if (member_master_leaving(n) && member_rank(n) == 0 &&
		    n->state == NS_MEMBER) {
			net_reply(n->net, from, m->sender, m->reqid, &r);
			member_take_over(n, node_now_ms());
			member_check_beats(n, node_now_ms());
			return;
		}
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
	nm->heard = 1;
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
		member_push_one(n, &nm->pm, NODE_CTL_TRIES);
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
	if (!n->quorum) {
		/* a moment without (late beats on a busy machine): the
		 * retransmission is answered; a lasting one: refused */
		if (node_now_ms() - n->noquorum_ms <= member_dead_ms(n))
			return;
		r.u.ack.status = ST_NOQUORUM;
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

/* Nobody we asked took us in (yet): try the next address, or give up. */
static void
member_join_failed(struct node *n, const char *what)
{
	char	 a[64], list[512];
	size_t	 len = 0;
	int	 i;

	if (n->join_round < n->njoin_to) {
		member_send_join(n);
		return;
	}
	n->join_round = 0;
	if (n->joined_once ||
	    node_now_ms() - n->join_start_ms < NODE_JOIN_WAIT_MS) {
		log_debug("no master took us in this round (%s)", what);
		return;	/* the heartbeat timer starts the next round */
	}
	list[0] = '\0';
	for (i = 0; i < n->njoin_to && len < sizeof list - 64; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
		    i ? "," : "", net_fmt(&n->join_to[i], a, sizeof a));
	fatalx("%s from the master at %s after %d ms: is it running there, "
	    "with the same --key and --cluster?", what, list,
	    NODE_JOIN_WAIT_MS);
}

/* JOIN_ACK with ST_OK: we are a member, numbered by the master. */
static void
member_joined(struct node *n, const struct msg *r,
    const struct sockaddr_in *from)
{
	char	a[64], pfx[32];

	n->id = r->u.join_ack.node;
	n->master_id = r->u.join_ack.master;
	n->master = *from;
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
	n->joined_once = 1;
	n->last_ack_ms = node_now_ms();
	net_set_self(n->net, n->id);
	snprintf(pfx, sizeof pfx, "node %u", n->id);
	log_set_prefix(pfx);
	log_info("joined the cluster through %s as node %u",
	    net_fmt(&n->master, a, sizeof a), n->id);
}

static void
member_on_join_ack(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct node		*n = arg;
	struct sockaddr_in	 sin;

	(void)net;
	n->join_busy = 0;
	if (n->state != NS_JOINING)
		return;
	if (r == NULL) {
		member_join_failed(n, "no answer");
		return;
	}
	if (r->type != MSG_JOIN_ACK)
		fatalx("the master answered JOIN with %s",
		    proto_type_name(r->type));
	switch (r->u.join_ack.status) {
	case ST_OK:
		member_joined(n, r, from);
		return;
	case ST_NOTMASTER:
		if (r->u.join_ack.master != 0) {
			/* ask the master it names next */
			net_addr(&sin, r->u.join_ack.master_addr,
			    r->u.join_ack.master_port);
			member_join_add(n, &sin);
			for (n->join_next = 0; n->join_next < n->njoin_to;
			    n->join_next++)
				if (n->join_to[n->join_next].sin_addr.s_addr ==
				    sin.sin_addr.s_addr &&
				    n->join_to[n->join_next].sin_port ==
				    sin.sin_port)
					break;
			/* still one round: members redirecting to each
			 * other (views changing) cannot keep us looping */
		}
		member_join_failed(n, "a member, not the master, answered");
		return;
	case ST_NOQUORUM:
		member_join_failed(n, "a master without a quorum answered");
		return;
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
}

/* One JOIN to the next address of the list (a few tries). */
static void
member_send_join(struct node *n)
{
	struct msg	m;

	if (n->njoin_to == 0)
		return;
	if (n->join_next >= n->njoin_to)
		n->join_next = 0;
	memset(&m, 0, sizeof m);
	m.type = MSG_JOIN;
	m.u.join.page_size = n->page_size;
	m.u.join.nframes = n->nframes;
	m.u.join.nonce = n->nonce;
	n->join_busy = 1;
	n->join_round++;
	net_request(n->net, &n->join_to[n->join_next++], &m, NODE_JOIN_TRIES,
	    NODE_CTL_RTO_MS, member_on_join_ack, n);
}

static void
member_on_beat_ack(struct net *net, const struct msg *r,
    const struct sockaddr_in *from, void *arg)
{
	struct node	*n = arg;
	int		 i;

	(void)net;
	if (r == NULL || n->state == NS_JOINING || n->is_master)
		return;
	if (from->sin_addr.s_addr != n->master.sin_addr.s_addr ||
	    from->sin_port != n->master.sin_port)
		return;	/* an answer from the master we had before */
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

/*
 * Master: declare silent members dead if we have a quorum; refresh our
 * own load entry; send the POD again to members that have not beaten to
 * this master yet (a new master's followers; a minority master's probes).
 */
static void
member_check_beats(struct node *n, uint64_t now)
{
	uint64_t	limit = member_dead_ms(n);
	int		i, changed = 0, q;

	for (i = 0; i < n->nmembers; i++) {
		struct node_member *nm = &n->members[i];

		if (nm->pm.id == n->id) {
			nm->nfree = pfd_nfree(n->pfd);
			nm->last_beat_ms = now;
			nm->heard = 1;
		} else if (!nm->heard || now - nm->last_beat_ms >
		    2 * (uint64_t)n->heartbeat_ms)
			member_push_one(n, &nm->pm, 1);
	}
	q = member_has_quorum(n, now);
	if (q && !n->quorum)
		log_info("quorum: hearing a majority of the %d members",
		    n->nmembers);
	else if (!q && n->quorum) {
		log_warnx("no quorum: hearing a minority of the %d members; "
		    "the membership is frozen", n->nmembers);
		n->noquorum_ms = now;
	}
	n->quorum = q;
	for (i = 0; q && i < n->nmembers; i++) {
		struct node_member *nm = &n->members[i];

		if (nm->pm.id == n->id || now - nm->last_beat_ms <= limit)
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

/* Our place in the line of successors; -1 if we are not in it. */
static int
member_rank(struct node *n)
{
	const struct pod_member	*pm;
	int			 i, rank = 0;

	for (i = 0; i < pod_nmembers(n->pod); i++) {
		pm = pod_member_at(n->pod, i);
		if (pm->id == n->id)
			return (pm->flags & POD_MLEAVING) ? -1 : rank;
		if (pm->id != n->master_id && !(pm->flags & POD_MLEAVING))
			rank++;
	}
	return -1;
}

/*
 * The master is silent: take its place with the membership every member
 * holds, under a new term.  The old master stays listed until we hear a
 * quorum; it is then declared dead like any silent member.
 */
static void
member_take_over(struct node *n, uint64_t now)
{
	struct pod_member	 pm[POD_MAX_MEMBERS];
	uint8_t			 buckets[POD_NBUCKETS];
	struct node_member	*nm;
	uint32_t		 old = n->master_id;
	int			 i, handover = member_master_leaving(n);

	if (handover)
		log_info("master node %u hands its role over: taking over "
		    "as master, term %u", old, n->term + 1);
	else
		log_warnx("master node %u silent for %llu ms: taking over as "
		    "master, term %u", old, (unsigned long long)(now -
		    n->last_ack_ms), n->term + 1);
	n->term++;
	n->takeovers++;
	n->master_since_ms = now;
	n->is_master = 1;
	n->master_id = n->id;
	n->master = n->self_addr;
	n->master_lost = 0;
	n->quorum = 0;
	n->noquorum_ms = now;
	for (i = 0; i < n->nmembers; i++) {
		nm = &n->members[i];
		nm->heard = nm->pm.id == n->id;
		nm->last_beat_ms = now;
		if (nm->pm.id == n->id)
			net_addr(&n->master, nm->pm.addr, nm->pm.port);
		if (nm->pm.id == old && !handover)
			nm->last_beat_ms = now - member_dead_ms(n) - 1;
		if (nm->pm.id >= n->next_id)	/* ids are never given twice */
			n->next_id = nm->pm.id + 1;
		pm[i] = nm->pm;
	}
	memcpy(buckets, pod_buckets(n->pod), POD_NBUCKETS);
	member_install_pod(n, pod_version(n->pod) + NODE_TAKEOVER_VERSIONS,
	    pm, n->nmembers, buckets);
	/* member_check_beats() sends it to each member until it follows */
}

static void
member_beat(evutil_socket_t fd, short what, void *arg)
{
	struct node	*n = arg;
	uint64_t	 now = node_now_ms(), silent;
	int		 rank;

	(void)fd;
	(void)what;
	if (n->is_master) {
		if (n->handoff_ms != 0 &&
		    now - n->handoff_ms > 2 * member_dead_ms(n))
			member_hand_over_failed(n);
		member_check_beats(n, now);
		return;
	}
	if (n->state == NS_JOINING) {
		if (!n->join_busy)
			member_send_join(n);	/* the next round */
		return;
	}
	if (n->state == NS_GONE)
		return;
	if (n->leave_again) {
		n->leave_again = 0;
		member_leave_progress(n);
	}
	silent = now - n->last_ack_ms;
	if (!n->master_lost && silent > member_dead_ms(n)) {
		log_warnx("the master has not answered for %llu ms; serving "
		    "with POD version %u", (unsigned long long)silent,
		    pod_version(n->pod));
		n->master_lost = 1;
	}
	if (n->master_lost && n->state == NS_MEMBER &&
	    (rank = member_rank(n)) >= 0 &&
	    silent > member_dead_ms(n) * (uint64_t)(rank + 1)) {
		member_take_over(n, now);
		member_check_beats(n, now);
		return;
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
	int			 i;

	if (n->is_master) {
		n->id = 1;
		n->master_id = 1;
		n->next_id = 2;
		n->term = 1;
		n->quorum = 1;
		n->master_since_ms = node_now_ms();
		n->state = NS_MEMBER;
		n->joined_once = 1;
		nm = &n->members[n->nmembers++];
		nm->pm.id = n->id;
		nm->pm.addr = ntohl(n->self_addr.sin_addr.s_addr);
		nm->pm.port = ntohs(n->self_addr.sin_port);
		nm->nonce = n->nonce;
		nm->nfree = n->nframes;
		nm->last_beat_ms = node_now_ms();
		nm->heard = 1;
		net_set_self(n->net, n->id);
		log_set_prefix("node 1");
		member_republish(n);
		member_check_beats(n, node_now_ms());
	} else {
		n->state = NS_JOINING;
		n->join_start_ms = node_now_ms();
		for (i = 0; i < n->nseeds; i++)
			member_join_add(n, &n->seeds[i]);
		member_send_join(n);
	}
	n->beat_timer = event_new(n->base, -1, EV_PERSIST, member_beat, n);
	member_arm_beat(n);
}

int
member_parse_seeds(struct node *n, const char *list, char *err,
    size_t errlen)
{
	char	buf[1024], *tok, *save = NULL;

	if (strlen(list) >= sizeof buf) {
		snprintf(err, errlen, "list too long: %s", list);
		return -1;
	}
	strcpy(buf, list);
	n->nseeds = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n->nseeds == NODE_SEEDS_MAX) {
			snprintf(err, errlen, "more than %d addresses",
			    NODE_SEEDS_MAX);
			return -1;
		}
		if (net_parse(tok, &n->seeds[n->nseeds], err, errlen) == -1)
			return -1;
		n->nseeds++;
	}
	if (n->nseeds == 0) {
		snprintf(err, errlen, "'%s' lists no HOST:PORT", list);
		return -1;
	}
	n->master = n->seeds[0];
	return 0;
}

int
member_status(struct node *n, char *buf, size_t len)
{
	return snprintf(buf, len, "\"term\":%u,\"quorum\":%s,"
	    "\"master_lost\":%s,\"takeovers\":%llu,\"next_id\":%u", n->term,
	    n->is_master && n->quorum ? "true" : "false",
	    n->master_lost ? "true" : "false",
	    (unsigned long long)n->takeovers, n->next_id);
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
	if (r != NULL && r->type == MSG_ACK &&
	    r->u.ack.status == ST_NOQUORUM &&
	    n->leave_tries++ < NODE_DEAD_BEATS) {
		/* a master just taken over: ask again next heartbeat */
		n->leave_again = 1;
		return;
	}
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

/*
 * The master leaves: it marks itself leaving (it then owns no GCD bucket)
 * and pushes that POD; the first member in line takes over at once under a
 * new term, and this node, now a member marked leaving, hands its pages
 * off as any leaving member does.  If nobody has taken over after 2D the
 * handover is called off.
 */
static int
member_hand_over(struct node *n, struct ctl_conn *c, uint32_t reqid)
{
	struct node_member	*self = member_find(n, n->id);
	int			 i, others = 0;

	for (i = 0; i < n->nmembers; i++)
		if (n->members[i].pm.id != n->id &&
		    !(n->members[i].pm.flags & POD_MLEAVING))
			others++;
	if (others == 0 || self == NULL || n->handoff_ms != 0 ||
	    !n->quorum) {
		ctl_replyf(c, CTL_LEAVE, reqid, CTL_ERR, "the master cannot "
		    "leave now: %s", others == 0 ? "no other member can take "
		    "over (stop it instead)" : n->handoff_ms != 0 ? "it is "
		    "already handing its role over" : "it has no quorum");
		return -1;
	}
	log_info("leaving: handing the master's role over");
	n->leave_conn = c;
	n->leave_reqid = reqid;
	ctl_conn_hold(c);
	n->handoff_ms = node_now_ms();
	self->pm.flags |= POD_MLEAVING;
	member_republish(n);
	return 0;
}

/* Master: nobody took our role over in time; stay the master. */
static void
member_hand_over_failed(struct node *n)
{
	struct node_member	*self = member_find(n, n->id);

	log_warnx("no member took the master's role over: staying");
	n->handoff_ms = 0;
	if (self != NULL)
		self->pm.flags &= (uint16_t)~POD_MLEAVING;
	if (n->leave_conn != NULL) {
		ctl_replyf(n->leave_conn, CTL_LEAVE, n->leave_reqid, CTL_ERR,
		    "no member took the master's role over; still the master");
		ctl_conn_release(n->leave_conn);
		n->leave_conn = NULL;
	}
	member_republish(n);
}

int
member_leave(struct node *n, struct ctl_conn *c, uint32_t reqid)
{
	struct msg	m;

	if (n->is_master)
		return member_hand_over(n, c, reqid);
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
