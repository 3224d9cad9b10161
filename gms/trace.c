/*
 * trace.c: gmsd's pcap recorder (see trace.h).
 *
 * libpcap writes the file (pcap_open_dead + pcap_dump_fopen), so the format
 * is whatever libpcap calls a pcap file.  Each datagram becomes one record
 * of link type RAW: an IPv4 header (checksum computed) and a UDP header
 * (checksum 0, "none", as IPv4 allows) built from the node's address and
 * the peer's, then the datagram as it crossed the socket.
 */
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gms/log.h"
#include "gms/net.h"
#include "gms/proto.h"
#include "gms/trace.h"
#include "gms/xmalloc.h"

#define TRACE_IPLEN	20	/* IPv4 header, no options */
#define TRACE_UDPLEN	8
#define TRACE_SNAPLEN	65535
#define TRACE_TTL	64

struct trace {
	pcap_t		*pd;
	pcap_dumper_t	*dumper;
	FILE		*f;
	char		*path;
	struct event	*timer;
	uint8_t		*buf;		/* headers + one datagram */
	uint16_t	 ipid;
	int		 dirty;		/* records since the last flush */
	int		 failed;	/* a write failed: warned once */
	uint64_t	 records;
};

static uint16_t
trace_ipsum(const uint8_t *p, size_t len)
{
	uint32_t	sum = 0;
	size_t		i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
trace_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* IPv4 + UDP headers for a datagram of len bytes from src to dst. */
static void
trace_headers(struct trace *t, const struct sockaddr_in *src,
    const struct sockaddr_in *dst, size_t len)
{
	uint8_t	*ip = t->buf, *udp = t->buf + TRACE_IPLEN;

	memset(ip, 0, TRACE_IPLEN + TRACE_UDPLEN);
	ip[0] = 0x45;				/* IPv4, 5 words */
	trace_put16(ip + 2, (uint16_t)(TRACE_IPLEN + TRACE_UDPLEN + len));
	trace_put16(ip + 4, t->ipid++);
	ip[6] = 0x40;				/* don't fragment */
	ip[8] = TRACE_TTL;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src->sin_addr.s_addr, 4);
	memcpy(ip + 16, &dst->sin_addr.s_addr, 4);
	trace_put16(ip + 10, trace_ipsum(ip, TRACE_IPLEN));
	memcpy(udp, &src->sin_port, 2);
	memcpy(udp + 2, &dst->sin_port, 2);
	trace_put16(udp + 4, (uint16_t)(TRACE_UDPLEN + len));
}

static void
trace_flush(struct trace *t)
{
	if (!t->dirty)
		return;
	t->dirty = 0;
	if (pcap_dump_flush(t->dumper) == -1 && !t->failed) {
		t->failed = 1;
		log_warn("cannot write the trace %s (records are lost)",
		    t->path);
	}
}

static void
trace_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	trace_flush(arg);
}

struct trace *
trace_open(struct event_base *base, const char *path, char *err,
    size_t errlen)
{
	struct trace	*t;
	struct timeval	 tv;
	FILE		*f;

	if ((f = fopen(path, "wb")) == NULL) {
		snprintf(err, errlen, "--trace %s: cannot create the file: %s",
		    path, strerror(errno));
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	(void)setvbuf(f, NULL, _IOFBF, TRACE_BUFSIZE);
	if ((t->pd = pcap_open_dead(DLT_RAW, TRACE_SNAPLEN)) == NULL ||
	    (t->dumper = pcap_dump_fopen(t->pd, f)) == NULL) {
		snprintf(err, errlen, "--trace %s: libpcap cannot write it: %s",
		    path, t->pd != NULL ? pcap_geterr(t->pd) : "no memory");
		if (t->pd != NULL)
			pcap_close(t->pd);
		fclose(f);
		free(t);
		return NULL;
	}
	t->f = f;
	t->path = xstrdup(path);
	t->buf = xmalloc(TRACE_IPLEN + TRACE_UDPLEN + PROTO_MAXDGRAM);
	t->dirty = 1;				/* the file header */
	trace_flush(t);
	t->timer = event_new(base, -1, EV_PERSIST, trace_tick, t);
	tv.tv_sec = 0;
	tv.tv_usec = TRACE_FLUSH_MS * 1000;
	evtimer_add(t->timer, &tv);
	return t;
}

void
trace_datagram(void *arg, int dir, const struct sockaddr_in *self,
    const struct sockaddr_in *peer, const uint8_t *dgram, size_t len)
{
	struct trace		*t = arg;
	struct pcap_pkthdr	 h;

	if (len > PROTO_MAXDGRAM)
		len = PROTO_MAXDGRAM;	/* cannot happen: recvfrom's cap */
	gettimeofday(&h.ts, NULL);
	if (dir == NET_TRACE_SEND)
		trace_headers(t, self, peer, len);
	else
		trace_headers(t, peer, self, len);
	memcpy(t->buf + TRACE_IPLEN + TRACE_UDPLEN, dgram, len);
	h.caplen = h.len = (bpf_u_int32)(TRACE_IPLEN + TRACE_UDPLEN + len);
	pcap_dump((u_char *)t->dumper, &h, t->buf);
	t->records++;
	t->dirty = 1;
}

uint64_t
trace_records(const struct trace *t)
{
	return t->records;
}

void
trace_close(struct trace *t)
{
	if (t == NULL)
		return;
	event_free(t->timer);
	trace_flush(t);
	pcap_dump_close(t->dumper);	/* closes t->f */
	pcap_close(t->pd);
	free(t->buf);
	free(t->path);
	free(t);
}
