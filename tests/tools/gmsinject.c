/*
 * gmsinject: send one hand-made GMS datagram to a node, for tests of what
 * a node does with input it must not trust.
 *
 *   gmsinject HOST:PORT KIND [SECRET [CLUSTER]]
 *
 * KIND is one of:
 *   garbage     64 random bytes
 *   badmac      a GETPAGE signed with a key derived from "wrong-key"
 *   badcluster  a GETPAGE for cluster CLUSTER+1 under the right key
 *   stranger    a GETPAGE with a valid MAC from sender 999, not a member
 *   truncated   a valid PUTPAGE cut short by 100 bytes
 *   oversized   a valid GETPAGE with 8 bytes appended (MAC recomputed)
 *
 *   gmsinject HOST:PORT replay PCAP TYPE
 *
 * sends again, unchanged, every datagram of GMS type TYPE (e.g. PUTPAGE)
 * in capture PCAP that went to HOST:PORT, and says how many.  A capture
 * still being written (or cut by a kill) may end inside a record: what
 * came before it is sent, with a warning.
 * SECRET defaults to $GMS_KEY, CLUSTER to 1.  Page size 4096.  Each is
 * stamped with the current time, so the replay check lets it through.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

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

int
main(int argc, char **argv)
{
	static uint8_t		buf[PROTO_MAXDGRAM], page[4096];
	struct sockaddr_in	to;
	struct proto_key	key;
	struct msg		m;
	const char		*secret, *kind;
	uint32_t		cluster = 1;
	size_t			len;
	char			err[256];
	int			fd;
	struct timeval		tv;

	log_init("gmsinject", LOG_INFO);
	if (argc < 3 || argc > 5)
		fatalx("usage: gmsinject HOST:PORT KIND [SECRET [CLUSTER]]");
	if (net_parse(argv[1], &to, err, sizeof err) == -1)
		fatalx("%s", err);
	kind = argv[2];
	if (strcmp(kind, "replay") == 0) {
		if (argc != 5)
			fatalx("usage: gmsinject HOST:PORT replay PCAP TYPE");
		return replay(&to, argv[3], argv[4]);
	}
	secret = argc > 3 ? argv[3] : getenv("GMS_KEY");
	if (secret == NULL)
		fatalx("no secret: give one or set GMS_KEY");
	if (argc > 4)
		cluster = (uint32_t)strtoul(argv[4], NULL, 10);
	if (sodium_init() < 0)
		fatalx("sodium_init");
	proto_key_derive(&key, secret);

	memset(&m, 0, sizeof m);
	m.type = MSG_GETPAGE;
	m.cluster = cluster;
	m.sender = 2;
	m.reqid = 12345;
	gettimeofday(&tv, NULL);
	m.stamp = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	m.u.getpage.uid.node = 2;
	m.u.getpage.uid.space = 1;
	m.u.getpage.requester = 2;
	if (strcmp(kind, "garbage") == 0) {
		len = 64;
		if (getrandom(buf, len, 0) != (ssize_t)len)
			fatal("getrandom");
	} else if (strcmp(kind, "badmac") == 0) {
		proto_key_derive(&key, "wrong-key");
		len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	} else if (strcmp(kind, "badcluster") == 0) {
		m.cluster = cluster + 1;
		len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	} else if (strcmp(kind, "stranger") == 0) {
		m.sender = 999;
		m.u.getpage.requester = 999;
		len = proto_encode(buf, sizeof buf, &key, 4096, &m);
	} else if (strcmp(kind, "truncated") == 0) {
		m.type = MSG_PUTPAGE;
		m.u.page.uid = m.u.getpage.uid;
		m.u.page.data = page;
		len = proto_encode(buf, sizeof buf, &key, 4096, &m) - 100;
	} else if (strcmp(kind, "oversized") == 0) {
		len = proto_encode(buf, sizeof buf, &key, 4096, &m);
		/* body grows by 8 bytes; MAC recomputed over the new body */
		memmove(buf + len - PROTO_MACLEN + 8,
		    buf + len - PROTO_MACLEN, PROTO_MACLEN);
		memset(buf + len - PROTO_MACLEN, 0, 8);
		len += 8;
		crypto_generichash(buf + len - PROTO_MACLEN, PROTO_MACLEN,
		    buf, len - PROTO_MACLEN, key.k, sizeof key.k);
	} else
		fatalx("unknown kind %s", kind);
	if (len == 0)
		fatalx("cannot encode");
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		fatal("socket");
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to) < 0)
		fatal("sendto");
	close(fd);
	return 0;
}
