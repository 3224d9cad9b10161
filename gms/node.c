/*
 * node.c: what every datagram goes through after the transport's checks:
 * the sender must be who the POD says it is, then the message goes to the
 * module that handles its type.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "gms/log.h"
#include "gms/node.h"

uint64_t
node_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* xorshift64*: the daemon's only source of randomness, seeded at start. */
uint64_t
node_rand(struct node *n)
{
	uint64_t	x = n->rand_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	n->rand_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint8_t *
node_frame(struct node *n, uint32_t frame)
{
	if (frame >= n->nframes)
		fatalx("frame %u out of range (%u frames)", frame, n->nframes);
	return n->frames + (size_t)frame * n->page_size;
}

void
node_suspect(struct node *n, uint32_t id)
{
	int	i, slot = -1;

	for (i = 0; i < POD_MAX_MEMBERS; i++) {
		if (n->suspect_id[i] == id) {
			slot = i;
			break;
		}
		if (slot == -1 && (n->suspect_id[i] == 0 ||
		    n->suspect_until[i] < node_now_ms()))
			slot = i;
	}
	if (slot == -1 || id == 0 || id == n->id)
		return;
	if (n->suspect_id[slot] != id)
		log_info("node %u does not answer: skipping it for %d s", id,
		    NODE_SUSPECT_MS / 1000);
	n->suspect_id[slot] = id;
	n->suspect_until[slot] = node_now_ms() + NODE_SUSPECT_MS;
}

void
node_mark_full(struct node *n, uint32_t id)
{
	int	i, slot = -1;

	for (i = 0; i < POD_MAX_MEMBERS; i++) {
		if (n->full_id[i] == id) {
			slot = i;
			break;
		}
		if (slot == -1 && (n->full_id[i] == 0 ||
		    n->full_plan[i] != n->plans))
			slot = i;
	}
	/* without epochs no plan would ever clear the mark */
	if (slot == -1 || id == 0 || id == n->id || n->policy != POLICY_GMS)
		return;
	n->full_id[slot] = id;
	n->full_plan[slot] = n->plans;
}

int
node_is_full(struct node *n, uint32_t id)
{
	int	i;

	for (i = 0; i < POD_MAX_MEMBERS; i++)
		if (n->full_id[i] == id)
			return n->full_plan[i] == n->plans;
	return 0;
}

int
node_is_suspect(struct node *n, uint32_t id)
{
	int	i;

	for (i = 0; i < POD_MAX_MEMBERS; i++)
		if (n->suspect_id[i] == id)
			return n->suspect_until[i] > node_now_ms();
	return 0;
}

/* A datagram from id: it is alive after all. */
static void
node_unsuspect(struct node *n, uint32_t id)
{
	int	i;

	for (i = 0; i < POD_MAX_MEMBERS; i++)
		if (n->suspect_id[i] == id)
			n->suspect_id[i] = 0;
}

int
node_member_addr(struct node *n, uint32_t id, struct sockaddr_in *sin)
{
	const struct pod_member	*pm = pod_find(n->pod, id);

	if (pm == NULL)
		return -1;
	net_addr(sin, pm->addr, pm->port);
	return 0;
}

/* Is the datagram from the member it claims to be? */
static int
node_sender_ok(struct node *n, const struct msg *m,
    const struct sockaddr_in *from)
{
	struct sockaddr_in	sin;

	if (m->type == MSG_JOIN)
		return m->sender == 0;	/* a member redirects to the master */
	if (m->type == MSG_POD && n->state == NS_JOINING)
		return 0;
	if (m->type == MSG_POD)
		return m->sender != 0;	/* member.c: it names its sender */
	if (m->type == MSG_HEARTBEAT && n->is_master)
		return m->sender != 0;	/* the master answers strangers */
	if (node_member_addr(n, m->sender, &sin) == -1)
		return 0;
	return sin.sin_addr.s_addr == from->sin_addr.s_addr &&
	    sin.sin_port == from->sin_port;
}

void
node_recv(struct net *net, const struct msg *m,
    const struct sockaddr_in *from, void *arg)
{
	struct node	*n = arg;
	char		 a[64];

	if (n->state == NS_GONE)
		return;
	if (m->sender != 0)
		node_unsuspect(n, m->sender);
	if (!node_sender_ok(n, m, from)) {
		net_count_stranger(net);
		log_debug("dropped %s from %s: sender %u is not a member",
		    proto_type_name(m->type), net_fmt(from, a, sizeof a),
		    m->sender);
		return;
	}
	switch (m->type) {
	case MSG_JOIN:
	case MSG_POD:
	case MSG_HEARTBEAT:
	case MSG_LEAVE:
	case MSG_LEAVE_DONE:
		member_handle(n, m, from);
		break;
	case MSG_EPOCH_START:
	case MSG_EPOCH_PLAN:
		if (n->state == NS_MEMBER)
			replace_handle(n, m, from);
		break;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
	case MSG_PUTPAGE:
	case MSG_PUTBATCH:
	case MSG_DISCARD:
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		if (n->state == NS_JOINING)
			return;
		pages_handle(n, m, from);
		break;
	default:
		/* replies never get here; anything else is a bug upstream */
		log_debug("unexpected %s request", proto_type_name(m->type));
		break;
	}
}
