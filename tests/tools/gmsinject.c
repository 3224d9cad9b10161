/*
 * gmsinject: send one hand-made GMS datagram to a node, for tests of what
 * a node does with input it must not trust.
 *
 *   gmsinject HOST:PORT KIND [SECRET [CLUSTER [UID]]]
 *
 * KIND is one of:
 *   garbage     64 random bytes
 *   badmac      a GETPAGE signed with a key derived from "wrong-key"
 *   badcluster  a GETPAGE for cluster CLUSTER+1 under the right key
 *   stranger    a GETPAGE with a valid MAC from sender 999, not a member
 *   truncated   a valid PUTPAGE cut short by 100 bytes
 *   oversized   a valid GETPAGE with 8 bytes appended (MAC recomputed)
 *   badtype     a valid GETPAGE whose type is 0x7f, re-signed
 *   badversion  a valid GETPAGE of protocol version PROTO_VERSION + 1,
 *               re-signed
 *   getpage     a GETPAGE for UID from its owner (UID's node): then waits
 *               500 ms and prints "reply TYPE" or "no reply"
 *   putpage     a PUTPAGE of UID from its owner, every byte 0xee
 *   putbatch:R  join the cluster at HOST:PORT (its master, node R) as a
 *               member, then send it a PUTBATCH of pages N:S:P and
 *               N:S:P+1 (N: our id; S, P: UID's space and page; every
 *               byte 0xb0, 0xb1) and of R:1:0, a private page of the
 *               receiver (which it must refuse): twice at once, then
 *               once more after the answers.  Prints "joined as node N",
 *               then one line per answer within 500 ms of each sending:
 *               "reply PUTBATCH_ACK S1,S2,S3 value V", or "no reply".
 *               Requests that come meanwhile (POD, GCD updates) get an
 *               ACK, as a member's would.
 *   flood:N     N PUTPAGEs from UID's owner, of UID and the N - 1 pages
 *               after it, paced (16 at a time, 200 us apart)
 *   joinflood:N join the cluster at HOST:PORT (its master) as a member,
 *               then flood it with N PUTPAGEs of our own pages from
 *               NODE:1:0 on (NODE: the id the master gave us): a peer
 *               with the key that misbehaves
 * SECRET defaults to $GMS_KEY ("-" too), CLUSTER to 1, UID to 2:1:0.
 * Page size 4096.  Each datagram is stamped with the current time, so the
 * replay check lets it through.
 *
 *   gmsinject HOST:PORT replay PCAP TYPE
 *
 * sends again, unchanged, every datagram of GMS type TYPE (e.g. PUTPAGE)
 * in capture PCAP that went to HOST:PORT, and says how many.  A capture
 * still being written (or cut by a kill) may end inside a record: what
 * came before it is sent, with a warning.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "gms/log.h"
#include "gms/net.h"
#include "gms/proto.h"
#include "gms/tracefile.h"

/* Send the recorded datagrams of one type to `to` again. */
static int
replay(const struct sockaddr_in *to, const char *path, const char *type)
{
	struct tracefile	*tf;
	struct tf_dgram		 d;
	char			 err[256];
	int			 fd, rc, sent = 0;

	if ((tf = tracefile_open(path, err, sizeof err)) == NULL)
		fatalx("%s", err);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		fatal("socket");
	while ((rc = tracefile_next(tf, &d, err, sizeof err)) == 1) {
		if (d.len < PROTO_HDRLEN || d.len != d.wirelen ||
		    d.dst != ntohl(to->sin_addr.s_addr) ||
		    d.dport != ntohs(to->sin_port) ||
		    strcmp(proto_type_name(d.data[3]), type) != 0)
			continue;
		if (sendto(fd, d.data, d.len, 0, (const struct sockaddr *)to,
		    sizeof *to) < 0)
			fatal("sendto");
		sent++;
	}
	if (rc < 0)
		log_warnx("%s: %s: replayed what came before", path, err);
	tracefile_close(tf);
	close(fd);
	printf("replayed %d %s datagrams\n", sent, type);
	return sent > 0 ? 0 : 1;
}

#define INJ_TYPE_BYTE		3	/* header: magic (2), version, type */
#define INJ_VERSION_BYTE	2
#define INJ_WAIT_MS		500	/* getpage: how long to wait for a reply */
#define INJ_FLOOD_MAX		1000000	/* flood: datagrams at most */
#define INJ_FLOOD_BURST		16	/* flood: datagrams between pauses */
#define INJ_FLOOD_PAUSE_US	200

/*
 * Encode m, stamped as a node would stamp it: the current time in us,
 * strictly rising (the receiver drops a stamp it has seen as a replay).
 */
static size_t
encode(uint8_t *buf, size_t size, const struct proto_key *key,
    struct msg *m)
{
	static uint64_t	last;
	struct timeval	tv;
	uint64_t	now;

	gettimeofday(&tv, NULL);
	now = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	last = now > last ? now : last + 1;
	m->stamp = last;
	return proto_encode(buf, size, key, 4096, m);
}

/* Join as a member through the master at to; returns our node id. */
static uint32_t
join(int fd, const struct sockaddr_in *to, const struct proto_key *key,
    uint32_t cluster)
{
	static uint8_t	buf[PROTO_MAXDGRAM];
	struct pollfd	pfd = { fd, POLLIN, 0 };
	struct msg	m, r;
	ssize_t		n;
	size_t		len;
	int		i;

	memset(&m, 0, sizeof m);
	m.type = MSG_JOIN;
	m.cluster = cluster;
	m.reqid = 777;
	m.u.join.page_size = 4096;
	m.u.join.nframes = 1024;
	m.u.join.nonce = 0x1badc0deULL;
	len = encode(buf, sizeof buf, key, &m);
	for (i = 0; i < 10; i++) {	/* 10 tries, 300 ms each */
		if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		    sizeof *to) < 0)
			fatal("sendto");
		while (poll(&pfd, 1, 300) == 1) {
			if ((n = recv(fd, buf, sizeof buf, 0)) <= 0)
				break;
			if (proto_decode(buf, (size_t)n, key, cluster, 4096,
			    &r) == PE_OK && r.type == MSG_JOIN_ACK)
				return r.u.join_ack.node;
		}
		len = encode(buf, sizeof buf, key, &m);
	}
	fatalx("no JOIN_ACK from the master");
}

/* N putpages of consecutive UIDs from uid on, every byte of page k = k. */
static void
flood(int fd, const struct sockaddr_in *to, const struct proto_key *key,
    struct msg *m, const struct uid *uid, unsigned long count)
{
	static uint8_t	buf[PROTO_MAXDGRAM], page[4096];
	unsigned long	k;
	size_t		len;

	m->type = MSG_PUTPAGE;
	m->sender = uid->node;
	memset(&m->u.page, 0, sizeof m->u.page);
	m->u.page.data = page;
	for (k = 0; k < count; k++) {
		m->reqid = 100000 + k;
		m->u.page.uid = *uid;
		m->u.page.uid.pgno += k;
		memset(page, (int)(k & 0xff), sizeof page);
		len = encode(buf, sizeof buf, key, m);
		if (len == 0)
			fatalx("cannot encode");
		if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		    sizeof *to) < 0)
			fatal("sendto");
		if (k % INJ_FLOOD_BURST == INJ_FLOOD_BURST - 1)
			usleep(INJ_FLOOD_PAUSE_US);
	}
}

/* Change header byte at off, then sign again under key. */
static void
patch(uint8_t *buf, size_t len, size_t off, uint8_t v,
    const struct proto_key *key)
{
	buf[off] = v;
	proto_seal(buf, len, key);
}

/* After a getpage: did anything come back to us? */
static void
await_reply(int fd)
{
	static uint8_t	in[PROTO_MAXDGRAM];
	struct pollfd	pfd = { fd, POLLIN, 0 };
	ssize_t		n;

	if (poll(&pfd, 1, INJ_WAIT_MS) == 1 &&
	    (n = recv(fd, in, sizeof in, 0)) > INJ_TYPE_BYTE)
		printf("reply %s\n", proto_type_name(in[INJ_TYPE_BYTE]));
	else
		printf("no reply\n");
}

static size_t	encode(uint8_t *, size_t, const struct proto_key *,
		    struct msg *);

/* Answer request r, as a member would: ACK ST_OK. */
static void
ack(int fd, const struct sockaddr_in *to, const struct proto_key *key,
    const struct msg *r, uint32_t self)
{
	static uint8_t	buf[PROTO_MAXDGRAM];
	struct msg	a;
	size_t		len;

	memset(&a, 0, sizeof a);
	a.type = MSG_ACK;
	a.flags = PROTO_FREPLY;
	a.cluster = r->cluster;
	a.sender = self;
	a.reqid = r->reqid;
	if (r->type == MSG_POD)
		a.u.ack.value = r->u.pod.version;
	if ((len = encode(buf, sizeof buf, key, &a)) > 0)
		(void)sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		    sizeof *to);
}

/*
 * Print every PUTBATCH_ACK that comes within INJ_WAIT_MS, answering
 * requests meanwhile (we are node self); returns how many.
 */
static int
await_batch_replies(int fd, const struct proto_key *key, uint32_t cluster,
    uint32_t self)
{
	static uint8_t	in[PROTO_MAXDGRAM];
	struct pollfd	pfd = { fd, POLLIN, 0 };
	struct msg	r;
	ssize_t		n;
	int		i, k = 0;

	struct sockaddr_in	from;
	socklen_t		flen = sizeof from;

	while (poll(&pfd, 1, INJ_WAIT_MS) == 1 &&
	    (n = recvfrom(fd, in, sizeof in, 0, (struct sockaddr *)&from,
	    &flen)) > 0) {
		flen = sizeof from;
		if (proto_decode(in, (size_t)n, key, cluster, 4096, &r) ==
		    PE_OK && !(r.flags & PROTO_FREPLY)) {
			ack(fd, &from, key, &r, self);
			continue;
		}
		if (proto_decode(in, (size_t)n, key, cluster, 4096, &r) !=
		    PE_OK || r.type != MSG_PUTBATCH_ACK) {
			printf("reply %s\n", n > INJ_TYPE_BYTE ?
			    proto_type_name(in[INJ_TYPE_BYTE]) : "?");
			continue;
		}
		printf("reply PUTBATCH_ACK ");
		for (i = 0; i < r.u.putbatch_ack.npages; i++)
			printf("%s%u", i ? "," : "", r.u.putbatch_ack.status[i]);
		printf(" value %u\n", r.u.putbatch_ack.value);
		k++;
	}
	if (k == 0)
		printf("no reply\n");
	fflush(stdout);
	return k;
}

/* putbatch:R (see the top): a batch, its duplicate, and a late copy. */
static int
putbatch(int fd, const struct sockaddr_in *to, const struct proto_key *key,
    struct msg *m, const struct uid *uid, uint32_t receiver)
{
	static uint8_t	buf[PROTO_MAXDGRAM], pages[3][4096];
	uint32_t	self;
	size_t		len;
	int		i, copy;

	self = join(fd, to, key, m->cluster);
	printf("joined as node %u\n", self);
	m->type = MSG_PUTBATCH;
	m->sender = self;
	m->reqid = 54321;
	memset(&m->u.putbatch, 0, sizeof m->u.putbatch);
	m->u.putbatch.npages = 3;
	for (i = 0; i < 3; i++) {
		m->u.putbatch.pages[i].uid = *uid;
		m->u.putbatch.pages[i].uid.node = self;
		m->u.putbatch.pages[i].uid.pgno += (uint64_t)i;
		m->u.putbatch.pages[i].gen = uid_is_shared(uid) ? 0 : 1;
		m->u.putbatch.pages[i].flags = uid_is_shared(uid) ?
		    PAGE_FSHARED : 0;
		m->u.putbatch.pages[i].age_ms = 1000;
		memset(pages[i], 0xb0 + i, sizeof pages[i]);
		m->u.putbatch.pages[i].data = pages[i];
	}
	m->u.putbatch.pages[2].uid.node = receiver;
	m->u.putbatch.pages[2].uid.space = 1;
	m->u.putbatch.pages[2].uid.pgno = 0;
	m->u.putbatch.pages[2].gen = 1;
	m->u.putbatch.pages[2].flags = 0;
	for (copy = 0; copy < 3; copy++) {
		if (copy == 2 &&
		    await_batch_replies(fd, key, m->cluster, self) == 0)
			return 1;
		if ((len = encode(buf, sizeof buf, key, m)) == 0)
			fatalx("cannot encode");
		if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		    sizeof *to) < 0)
			fatal("sendto");
	}
	return await_batch_replies(fd, key, m->cluster, self) == 0;
}

int
main(int argc, char **argv)
{
	static uint8_t		buf[PROTO_MAXDGRAM], page[4096];
	struct sockaddr_in	to;
	struct proto_key	key;
	struct msg		m;
	struct uid		uid = { 2, 1, 0 };
	unsigned long		count;
	const char		*secret, *kind;
	uint32_t		cluster = 1;
	size_t			len;
	char			err[256];
	int			fd;

	log_init("gmsinject", LOG_INFO);
	if (argc < 3 || argc > 6)
		fatalx("usage: gmsinject HOST:PORT KIND [SECRET [CLUSTER "
		    "[UID]]]");
	if (net_parse(argv[1], &to, err, sizeof err) == -1)
		fatalx("%s", err);
	kind = argv[2];
	if (strcmp(kind, "replay") == 0) {
		if (argc != 5)
			fatalx("usage: gmsinject HOST:PORT replay PCAP TYPE");
		return replay(&to, argv[3], argv[4]);
	}
	secret = argc > 3 && strcmp(argv[3], "-") != 0 ? argv[3] :
	    getenv("GMS_KEY");
	if (secret == NULL)
		fatalx("no secret: give one or set GMS_KEY");
	if (argc > 4)
		cluster = (uint32_t)strtoul(argv[4], NULL, 10);
	if (argc > 5 && uid_parse(argv[5], &uid) == -1)
		fatalx("%s is not a UID (NODE:SPACE:PGNO)", argv[5]);
	if (sodium_init() < 0)
		fatalx("sodium_init");
	proto_key_derive(&key, secret);

	memset(&m, 0, sizeof m);
	m.type = MSG_GETPAGE;
	m.cluster = cluster;
	m.sender = 2;
	m.reqid = 12345;
	m.u.getpage.uid.node = 2;
	m.u.getpage.uid.space = 1;
	m.u.getpage.requester = 2;
	if (strncmp(kind, "flood:", 6) == 0 ||
	    strncmp(kind, "joinflood:", 10) == 0) {
		count = strtoul(strchr(kind, ':') + 1, NULL, 10);
		if (count == 0 || count > INJ_FLOOD_MAX)
			fatalx("flood:N with N from 1 to %d", INJ_FLOOD_MAX);
		if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
			fatal("socket");
		if (kind[0] == 'j') {
			uid.node = m.sender = join(fd, &to, &key, cluster);
			uid.space = 1;
			uid.pgno = 0;
			printf("joined as node %u\n", uid.node);
			fflush(stdout);
		}
		flood(fd, &to, &key, &m, &uid, count);
		close(fd);
		return 0;
	}
	if (strncmp(kind, "putbatch:", 9) == 0) {
		if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
			fatal("socket");
		count = strtoul(kind + 9, NULL, 10);
		if (count == 0 || count > UINT32_MAX)
			fatalx("putbatch:R with R a node id");
		return putbatch(fd, &to, &key, &m, &uid, (uint32_t)count);
	}
	if (strcmp(kind, "garbage") == 0) {
		len = 64;
		if (getrandom(buf, len, 0) != (ssize_t)len)
			fatal("getrandom");
	} else if (strcmp(kind, "badmac") == 0) {
		proto_key_derive(&key, "wrong-key");
		len = encode(buf, sizeof buf, &key, &m);
	} else if (strcmp(kind, "badcluster") == 0) {
		m.cluster = cluster + 1;
		len = encode(buf, sizeof buf, &key, &m);
	} else if (strcmp(kind, "stranger") == 0) {
		m.sender = 999;
		m.u.getpage.requester = 999;
		len = encode(buf, sizeof buf, &key, &m);
	} else if (strcmp(kind, "truncated") == 0) {
		m.type = MSG_PUTPAGE;
		m.u.page.uid = m.u.getpage.uid;
		m.u.page.data = page;
		len = encode(buf, sizeof buf, &key, &m) - 100;
	} else if (strcmp(kind, "oversized") == 0) {
		len = encode(buf, sizeof buf, &key, &m);
		/* body grows by 8 bytes; MAC recomputed over the new body */
		memmove(buf + len - PROTO_MACLEN + 8,
		    buf + len - PROTO_MACLEN, PROTO_MACLEN);
		memset(buf + len - PROTO_MACLEN, 0, 8);
		len += 8;
		proto_seal(buf, len, &key);
	} else if (strcmp(kind, "badtype") == 0) {
		len = encode(buf, sizeof buf, &key, &m);
		patch(buf, len, INJ_TYPE_BYTE, 0x7f, &key);
	} else if (strcmp(kind, "badversion") == 0) {
		len = encode(buf, sizeof buf, &key, &m);
		patch(buf, len, INJ_VERSION_BYTE, PROTO_VERSION + 1, &key);
	} else if (strcmp(kind, "getpage") == 0) {
		m.sender = uid.node;
		m.u.getpage.uid = uid;
		m.u.getpage.requester = uid.node;
		len = encode(buf, sizeof buf, &key, &m);
	} else if (strcmp(kind, "putpage") == 0) {
		m.type = MSG_PUTPAGE;
		m.sender = uid.node;
		memset(&m.u.page, 0, sizeof m.u.page);
		m.u.page.uid = uid;
		m.u.page.gen = UINT32_MAX;	/* newer than any copy */
		memset(page, 0xee, sizeof page);
		m.u.page.data = page;
		len = encode(buf, sizeof buf, &key, &m);
	} else
		fatalx("unknown kind %s", kind);
	if (len == 0)
		fatalx("cannot encode");
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		fatal("socket");
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to) < 0)
		fatal("sendto");
	if (strcmp(kind, "getpage") == 0)
		await_reply(fd);
	close(fd);
	return 0;
}
