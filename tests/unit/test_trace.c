/*
 * test_trace.c: gmsd's pcap writer (gms/trace.c) read back by gmstrace's
 * reader (gms/tracefile.c): addresses and ports the right way round for
 * each direction, the datagram's bytes intact, stamps in order, records on
 * disk within a flush period while the trace is still open (what a node
 * killed with SIGKILL leaves), and one sentence for a path that cannot be
 * created.
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gms/log.h"
#include "gms/net.h"
#include "gms/trace.h"
#include "gms/tracefile.h"
#include "tests/unit/check.h"

static char	tmpdir[] = "/tmp/test_trace.XXXXXX";

static void
addr(struct sockaddr_in *sin, const char *ip, uint16_t port)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	sin->sin_port = htons(port);
}

/* Every datagram in path, into d (n at most); how many were read. */
static int
read_back(const char *path, struct tf_dgram *d, uint8_t (*data)[PROTO_MAXDGRAM],
    int n)
{
	struct tracefile	*tf;
	struct tf_dgram		 x;
	char			 err[256];
	int			 k = 0;

	if ((tf = tracefile_open(path, err, sizeof err)) == NULL) {
		printf("  %s\n", err);
		return -1;
	}
	while (k < n && tracefile_next(tf, &x, err, sizeof err) == 1) {
		d[k] = x;
		memcpy(data[k], x.data, x.len);
		d[k].data = data[k];
		k++;
	}
	CHECK(strcmp(tracefile_linktype(tf), "RAW") == 0);
	tracefile_close(tf);
	return k;
}

static void
test_round_trip(void)
{
	static uint8_t		 data[3][PROTO_MAXDGRAM], big[PROTO_MAXDGRAM];
	struct event_base	*base = event_base_new();
	struct sockaddr_in	 self, peer;
	struct tf_dgram		 d[3];
	struct trace		*t;
	char			 path[256], err[256];
	size_t			 i;

	snprintf(path, sizeof path, "%s/rt.pcap", tmpdir);
	t = trace_open(base, path, err, sizeof err);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	addr(&self, "127.0.0.1", 7070);
	addr(&peer, "10.1.2.3", 40000);
	for (i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 13);
	trace_datagram(t, NET_TRACE_SEND, &self, &peer,
	    (const uint8_t *)"hello", 5);
	trace_datagram(t, NET_TRACE_RECV, &self, &peer,
	    (const uint8_t *)"world!", 6);
	trace_datagram(t, NET_TRACE_SEND, &self, &peer, big, sizeof big);
	CHECK_EQ(trace_records(t), 3);
	trace_close(t);
	event_base_free(base);

	CHECK_EQ(read_back(path, d, data, 3), 3);
	CHECK_EQ(d[0].src, 0x7f000001);
	CHECK_EQ(d[0].dst, 0x0a010203);
	CHECK_EQ(d[0].sport, 7070);
	CHECK_EQ(d[0].dport, 40000);
	CHECK_EQ(d[0].len, 5);
	CHECK(memcmp(d[0].data, "hello", 5) == 0);
	CHECK_EQ(d[1].src, 0x0a010203);	/* received: from the peer */
	CHECK_EQ(d[1].dst, 0x7f000001);
	CHECK_EQ(d[1].sport, 40000);
	CHECK_EQ(d[1].dport, 7070);
	CHECK(memcmp(d[1].data, "world!", 6) == 0);
	CHECK_EQ(d[2].len, sizeof big);
	CHECK_EQ(d[2].wirelen, sizeof big);
	CHECK(memcmp(d[2].data, big, sizeof big) == 0);
	CHECK(d[0].ts_ns > 0 && d[0].ts_ns <= d[1].ts_ns &&
	    d[1].ts_ns <= d[2].ts_ns);
}

static void
stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Records reach the disk within a flush period, the trace still open. */
static void
test_flushed_while_open(void)
{
	static uint8_t		 data[2][PROTO_MAXDGRAM];
	struct event_base	*base = event_base_new();
	struct sockaddr_in	 self, peer;
	struct tf_dgram		 d[2];
	struct timeval		 tv = { 0, 3 * TRACE_FLUSH_MS * 1000 };
	struct event		*ev;
	struct trace		*t;
	char			 path[256], err[256];

	snprintf(path, sizeof path, "%s/open.pcap", tmpdir);
	t = trace_open(base, path, err, sizeof err);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	addr(&self, "127.0.0.1", 7070);
	addr(&peer, "127.0.0.1", 7071);
	trace_datagram(t, NET_TRACE_SEND, &self, &peer,
	    (const uint8_t *)"early", 5);
	ev = evtimer_new(base, stop, base);
	evtimer_add(ev, &tv);
	event_base_dispatch(base);
	CHECK_EQ(read_back(path, d, data, 2), 1);
	event_free(ev);
	trace_close(t);
	event_base_free(base);
}

static void
test_bad_path(void)
{
	struct event_base	*base = event_base_new();
	struct trace		*t;
	char			 err[256] = "";

	t = trace_open(base, "/nonexistent/dir/x.pcap", err, sizeof err);
	CHECK(t == NULL);
	CHECK(strstr(err, "--trace /nonexistent/dir/x.pcap: cannot create "
	    "the file") != NULL);
	event_base_free(base);
}

int
main(void)
{
	char	cmd[64];

	log_init("test_trace", LOG_INFO);
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");
	RUN(test_round_trip);
	RUN(test_flushed_while_open);
	RUN(test_bad_path);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		log_warnx("cannot remove %s", tmpdir);
	return CHECK_DONE();
}
