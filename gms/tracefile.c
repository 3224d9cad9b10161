/*
 * tracefile.c: UDP datagrams out of capture files (see tracefile.h).
 *
 * libpcap reads the file; this module peels the link header, checks the
 * IPv4 header against what was captured (Ethernet pads short frames, so the
 * IPv4 total length, not the record length, says where the packet ends),
 * reassembles fragments and hands out the UDP payload.  Checksums are not
 * checked: captures on the sending host carry unfinished ones.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gms/tracefile.h"
#include "gms/xmalloc.h"

#define TF_IPMAX	65535	/* largest IPv4 packet */
#define TF_AF_INET	2	/* AF_INET in NULL/LOOP headers, every OS */
#define TF_SEC_MAX	(INT64_MAX / 1000000000 - 1)	/* latest stamp, s */

/* A datagram being put back together from its fragments. */
struct tf_frag {
	int		 used;
	uint32_t	 src, dst;
	uint16_t	 id;
	uint64_t	 age;			/* when last touched */
	size_t		 total;			/* payload length; 0: unknown */
	uint8_t		 have[TF_IPMAX / 8 / 8 + 1];	/* 8-byte blocks */
	uint8_t		 buf[TF_IPMAX];		/* UDP header and payload */
};

struct tracefile {
	pcap_t		*pc;
	int		 dlt;
	uint64_t	 clock;			/* fragments seen */
	struct tf_frag	*frags[TRACEFILE_MAXFRAG];
	struct tf_stats	 st;
};

static uint16_t
tf_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
tf_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

struct tracefile *
tracefile_open(const char *path, char *err, size_t errlen)
{
	char			 ebuf[PCAP_ERRBUF_SIZE];
	struct tracefile	*tf;
	pcap_t			*pc;
	int			 dlt;

	pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: not a capture file libpcap can "
		    "read (%s)", path, ebuf);
		return NULL;
	}
	dlt = pcap_datalink(pc);
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_NULL:
	case DLT_LOOP:
		break;
	default:
		snprintf(err, errlen, "%s: link type %s is not one gmstrace "
		    "reads (EN10MB, LINUX_SLL, LINUX_SLL2, RAW, NULL, LOOP)",
		    path, pcap_datalink_val_to_name(dlt) != NULL ?
		    pcap_datalink_val_to_name(dlt) : "unknown");
		pcap_close(pc);
		return NULL;
	}
	tf = xcalloc(1, sizeof *tf);
	tf->pc = pc;
	tf->dlt = dlt;
	return tf;
}

const char *
tracefile_linktype(const struct tracefile *tf)
{
	const char	*s = pcap_datalink_val_to_name(tf->dlt);

	return s != NULL ? s : "?";
}

const struct tf_stats *
tracefile_stats(const struct tracefile *tf)
{
	return &tf->st;
}

void
tracefile_close(struct tracefile *tf)
{
	int	i;

	if (tf == NULL)
		return;
	for (i = 0; i < TRACEFILE_MAXFRAG; i++)
		free(tf->frags[i]);
	pcap_close(tf->pc);
	free(tf);
}

/*
 * Where the IPv4 packet starts in a record: the offset, or -1 if the
 * record carries something else (foreign) or is cut inside its link header.
 */
static int
tf_ipoff(const struct tracefile *tf, const uint8_t *p, size_t len)
{
	size_t		off;
	uint32_t	af;
	uint16_t	et;

	switch (tf->dlt) {
	case DLT_EN10MB:
		for (off = 12; off + 2 <= len; off += 4) {
			et = tf_get16(p + off);
			if (et != 0x8100 && et != 0x88a8)	/* VLAN tags */
				return et == 0x0800 ? (int)off + 2 : -1;
		}
		return -1;
	case DLT_LINUX_SLL:
		return len >= 16 && tf_get16(p + 14) == 0x0800 ? 16 : -1;
	case DLT_LINUX_SLL2:
		return len >= 20 && tf_get16(p) == 0x0800 ? 20 : -1;
	case DLT_NULL:
	case DLT_LOOP:
		if (len < 4)
			return -1;
		af = tf_get32(p);
		/* NULL is in the capturing host's order, LOOP in network's */
		return af == TF_AF_INET || af == (uint32_t)TF_AF_INET << 24 ?
		    4 : -1;
	default:	/* RAW, IPV4 */
		return len >= 1 && (p[0] >> 4) == 4 ? 0 : -1;
	}
}

/* The slot of fragment (src, dst, id): found, free, or the oldest. */
static struct tf_frag *
tf_frag_slot(struct tracefile *tf, uint32_t src, uint32_t dst, uint16_t id)
{
	struct tf_frag	*f, *oldest = NULL;
	int		 i, freei = -1;

	for (i = 0; i < TRACEFILE_MAXFRAG; i++) {
		f = tf->frags[i];
		if (f == NULL || !f->used) {
			if (freei == -1)
				freei = i;
			continue;
		}
		if (f->src == src && f->dst == dst && f->id == id)
			return f;
		if (oldest == NULL || f->age < oldest->age)
			oldest = f;
	}
	if (freei != -1) {
		if (tf->frags[freei] == NULL)
			tf->frags[freei] = xmalloc(sizeof *tf->frags[freei]);
		f = tf->frags[freei];
	} else {
		f = oldest;
		tf->st.frag_lost++;
	}
	memset(f->have, 0, sizeof f->have);
	f->used = 1;
	f->src = src;
	f->dst = dst;
	f->id = id;
	f->total = 0;
	return f;
}

/*
 * Add a fragment of n bytes at off; the reassembled IPv4 payload once every
 * byte is there, else NULL.
 */
static struct tf_frag *
tf_frag_add(struct tracefile *tf, uint32_t src, uint32_t dst, uint16_t id,
    size_t off, int more, const uint8_t *p, size_t n)
{
	struct tf_frag	*f;
	size_t		 b;

	tf->st.fragments++;
	if (off + n > sizeof f->buf || (more && n % 8 != 0)) {
		tf->st.broken++;
		return NULL;
	}
	f = tf_frag_slot(tf, src, dst, id);
	f->age = ++tf->clock;
	memcpy(f->buf + off, p, n);
	for (b = off / 8; b < (off + n + 7) / 8; b++)
		f->have[b / 8] |= 1 << (b % 8);
	if (!more)
		f->total = off + n;
	if (f->total == 0)
		return NULL;
	for (b = 0; b < (f->total + 7) / 8; b++)
		if (!(f->have[b / 8] & (1 << (b % 8))))
			return NULL;
	f->used = 0;
	return f;
}

/*
 * The UDP datagram in an IPv4 packet of caplen captured bytes: 1 with d
 * filled, 0 if there is none yet (a fragment) or it is foreign or broken.
 */
static int
tf_ipv4(struct tracefile *tf, const uint8_t *ip, size_t caplen,
    struct tf_dgram *d)
{
	struct tf_frag	*f;
	const uint8_t	*udp;
	size_t		 hl, tl, have, ulen;
	uint16_t	 fo;

	if (caplen < 20 || (ip[0] >> 4) != 4 || (hl = (ip[0] & 15) * 4) < 20 ||
	    hl > caplen || (tl = tf_get16(ip + 2)) < hl) {
		tf->st.broken++;
		return 0;
	}
	if (ip[9] != 17) {
		tf->st.foreign++;
		return 0;
	}
	have = caplen < tl ? caplen : tl;	/* drop link padding */
	d->src = tf_get32(ip + 12);
	d->dst = tf_get32(ip + 16);
	fo = tf_get16(ip + 6);
	udp = ip + hl;
	have -= hl;
	tl -= hl;
	if ((fo & 0x3fff) != 0) {		/* MF set or offset > 0 */
		if (have < tl) {
			tf->st.broken++;	/* cut by the snap length */
			return 0;
		}
		f = tf_frag_add(tf, d->src, d->dst, tf_get16(ip + 4),
		    (size_t)(fo & 0x1fff) * 8, (fo & 0x2000) != 0, udp, have);
		if (f == NULL)
			return 0;
		udp = f->buf;
		have = tl = f->total;
	}
	if (have < 8 || (ulen = tf_get16(udp + 4)) < 8 || ulen > tl) {
		tf->st.broken++;
		return 0;
	}
	d->sport = tf_get16(udp);
	d->dport = tf_get16(udp + 2);
	d->data = udp + 8;
	d->wirelen = ulen - 8;
	d->len = have - 8 < d->wirelen ? have - 8 : d->wirelen;
	return 1;
}

/*
 * A record's stamp in ns (libpcap gives ns here).  pcapng stamps are 64
 * bits of any resolution: a corrupt or far-off one is clamped, not
 * overflowed.
 */
static int64_t
tf_ts_ns(const struct pcap_pkthdr *h)
{
	int64_t	sec = h->ts.tv_sec, ns = h->ts.tv_usec;

	if (sec < 0)
		sec = 0;
	if (sec > TF_SEC_MAX)
		sec = TF_SEC_MAX;
	if (ns < 0)
		ns = 0;
	if (ns > 999999999)
		ns = 999999999;
	return sec * 1000000000 + ns;
}

/* At the end of the file: datagrams still missing fragments are lost. */
static void
tf_frag_end(struct tracefile *tf)
{
	int	i;

	for (i = 0; i < TRACEFILE_MAXFRAG; i++) {
		if (tf->frags[i] != NULL && tf->frags[i]->used) {
			tf->frags[i]->used = 0;
			tf->st.frag_lost++;
		}
	}
}

int
tracefile_next(struct tracefile *tf, struct tf_dgram *d, char *err,
    size_t errlen)
{
	struct pcap_pkthdr	*h;
	const u_char		*p;
	int			 rc, off;

	for (;;) {
		rc = pcap_next_ex(tf->pc, &h, &p);
		if (rc == PCAP_ERROR_BREAK) {
			tf_frag_end(tf);
			return 0;
		}
		if (rc != 1) {
			snprintf(err, errlen, "%s", pcap_geterr(tf->pc));
			return -1;
		}
		tf->st.records++;
		if ((off = tf_ipoff(tf, p, h->caplen)) == -1) {
			tf->st.foreign++;
			continue;
		}
		memset(d, 0, sizeof *d);
		d->ts_ns = tf_ts_ns(h);
		if (tf_ipv4(tf, p + off, h->caplen - (size_t)off, d)) {
			tf->st.datagrams++;
			return 1;
		}
	}
}
