/*
 * gen_seeds.c: write the seed inputs of the harnesses other than
 * fuzz_proto (which gen_corpus.c seeds):
 *   DIR/ctl       one valid control request of each kind (fuzz_ctl's
 *                 selector byte first), and a few bad ones
 *   DIR/trace     small captures: pcap with micro- and nanosecond stamps in
 *                 every link type gmstrace reads, VLAN tags, fragments out of
 *                 order, pcapng, a record cut short
 *   DIR/simtrace  gmssim traces, good and bad
 *   DIR/cli       numbers, sizes and UIDs (fuzz_cli's selector byte first)
 * The same bytes on every run.
 *
 * usage: gen_seeds DIR
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gms/ctlmsg.h"

static const char	*outdir;

static void
put(const char *sub, const char *name, const void *a, size_t alen,
    const void *b, size_t blen)
{
	char	path[512];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", outdir, sub);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s", outdir, sub, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(a, 1, alen, f) != alen ||
	    (blen > 0 && fwrite(b, 1, blen, f) != blen) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* ---- control requests --------------------------------------------------- */

static void
ctl_seed(const char *name, int sel, uint8_t op, uint8_t flags,
    const void *payload, size_t len)
{
	static uint8_t	buf[CTL_MAXMSG];
	struct ctl_hdr	h;
	uint8_t		s = (uint8_t)sel;
	size_t		n;

	memset(&h, 0, sizeof h);
	h.op = op;
	h.status = flags;
	h.reqid = 77;
	n = ctl_pack(buf, sizeof buf, &h, payload, len);
	put("ctl", name, &s, 1, buf, n);
}

static void
gen_ctl(void)
{
	static uint8_t	req[sizeof(struct uid) + sizeof(struct ctl_put) + 4096];
	struct uid	u = { 2, 65537, 42 };
	struct ctl_put	p = { 3, 1500 };
	struct ctl_map	m = { 0x7f0000000000ULL, 1 << 20, 0, 1234 };
	uint32_t	space = 65537;
	size_t		i;

	for (i = 0; i < sizeof req; i++)
		req[i] = (uint8_t)(i * 7);
	memcpy(req, &u, sizeof u);
	memcpy(req + sizeof u, &p, sizeof p);
	ctl_seed("status", 0, CTL_STATUS, 0, NULL, 0);
	ctl_seed("status-json", 0, CTL_STATUS, CTL_FJSON, NULL, 0);
	ctl_seed("put-4k", 4, CTL_PUT, 0, req, sizeof req);
	ctl_seed("get", 0, CTL_GET, 0, &u, sizeof u);
	ctl_seed("discard", 0, CTL_DISCARD, 0, &u, sizeof u);
	ctl_seed("leave", 0, CTL_LEAVE, 0, NULL, 0);
	ctl_seed("hello", 0, CTL_HELLO, 0, NULL, 0);
	ctl_seed("pages", 0, CTL_PAGES, 0, NULL, 0);
	ctl_seed("unmap", 0, CTL_UNMAP, 0, &space, sizeof space);
	ctl_seed("map", 2, CTL_MAP, 0, &m, sizeof m);
	m.flags = CTL_MAP_FILE;
	memcpy(req, &m, sizeof m);
	memcpy(req + sizeof m, "/tmp/data.bin", 14);
	ctl_seed("map-file", 2, CTL_MAP, 0, req, sizeof m + 14);
	ctl_seed("map-one-fd", 1, CTL_MAP, 0, req, sizeof m + 14);
	ctl_seed("get-with-fds", 2, CTL_GET, 0, &u, sizeof u);
	ctl_seed("unknown-op", 0, 99, 0, &u, sizeof u);
	put("ctl", "short", "\0\1\2", 3, NULL, 0);
}

/* ---- captures ----------------------------------------------------------- */

#define LT_NULL		0
#define LT_EN10MB	1
#define LT_RAW		101
#define LT_LOOP		108
#define LT_SLL		113
#define LT_IPV4		228
#define LT_SLL2		276

struct cap {
	uint8_t	b[8192];
	size_t	len;
};

static void
cap_bytes(struct cap *c, const void *p, size_t n)
{
	if (c->len + n > sizeof c->b) {
		fprintf(stderr, "gen_seeds: capture too large\n");
		exit(1);
	}
	memcpy(c->b + c->len, p, n);
	c->len += n;
}

static void
cap_u32(struct cap *c, uint32_t v)
{
	cap_bytes(c, &v, 4);	/* the writer's order, as pcap has it */
}

static void
cap_u16(struct cap *c, uint16_t v)
{
	cap_bytes(c, &v, 2);
}

static void
cap_header(struct cap *c, int nano, uint32_t linktype)
{
	c->len = 0;
	cap_u32(c, nano ? 0xa1b23c4d : 0xa1b2c3d4);
	cap_u16(c, 2);
	cap_u16(c, 4);
	cap_u32(c, 0);
	cap_u32(c, 0);
	cap_u32(c, 65535);
	cap_u32(c, linktype);
}

static void
cap_record(struct cap *c, uint32_t sec, const uint8_t *p, size_t n)
{
	cap_u32(c, sec);
	cap_u32(c, 500);
	cap_u32(c, (uint32_t)n);
	cap_u32(c, (uint32_t)n);
	cap_bytes(c, p, n);
}

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * An IPv4 packet at p (after a link header of hl bytes already there)
 * carrying bytes [off, off + n) of a UDP datagram with a payload of plen;
 * returns its length.
 */
static size_t
ip_packet(uint8_t *p, uint16_t id, size_t off, size_t n, size_t plen,
    int more)
{
	uint8_t	udp[1500];
	size_t	i;

	be16(udp, 7070);
	be16(udp + 2, 7071);
	be16(udp + 4, (uint16_t)(8 + plen));
	be16(udp + 6, 0);
	memcpy(udp + 8, "GMS", 3);
	for (i = 3; i < plen; i++)
		udp[8 + i] = (uint8_t)(i * 31);
	memset(p, 0, 20);
	p[0] = 0x45;
	be16(p + 2, (uint16_t)(20 + n));
	be16(p + 4, id);
	be16(p + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
	p[8] = 64;
	p[9] = 17;
	p[12] = 127; p[15] = 1;
	p[16] = 127; p[19] = 2;
	memcpy(p + 20, udp + off, n);
	return 20 + n;
}

/* One record of link type lt around a whole datagram of plen bytes. */
static size_t
link_packet(uint8_t *p, uint32_t lt, size_t plen)
{
	size_t	hl = 0;

	switch (lt) {
	case LT_EN10MB:
		memset(p, 0xaa, 12);
		be16(p + 12, 0x8100);	/* one VLAN tag */
		be16(p + 14, 5);
		be16(p + 16, 0x0800);
		hl = 18;
		break;
	case LT_SLL:
		memset(p, 0, 16);
		be16(p + 14, 0x0800);
		hl = 16;
		break;
	case LT_SLL2:
		memset(p, 0, 20);
		be16(p, 0x0800);
		hl = 20;
		break;
	case LT_NULL:
		p[0] = 2; p[1] = p[2] = p[3] = 0;
		hl = 4;
		break;
	case LT_LOOP:
		p[0] = p[1] = p[2] = 0; p[3] = 2;
		hl = 4;
		break;
	}
	return hl + ip_packet(p + hl, 1, 0, 8 + plen, plen, 0);
}

static void
gen_trace(void)
{
	static const uint32_t	lts[] = { LT_EN10MB, LT_SLL, LT_SLL2,
	    LT_NULL, LT_LOOP, LT_RAW, LT_IPV4 };
	static const char	*names[] = { "en10mb", "sll", "sll2", "null",
	    "loop", "raw", "ipv4" };
	static struct cap	c;
	uint8_t			pkt[1600];
	char			name[64];
	size_t			i, n;

	for (i = 0; i < sizeof lts / sizeof lts[0]; i++) {
		cap_header(&c, (int)(i % 2), lts[i]);
		n = link_packet(pkt, lts[i], 60);
		cap_record(&c, 1, pkt, n);
		n = link_packet(pkt, lts[i], 0);
		cap_record(&c, 2, pkt, n);
		snprintf(name, sizeof name, "%s.pcap", names[i]);
		put("trace", name, c.b, c.len, NULL, 0);
	}
	/* a 200-byte datagram in three fragments, the last one first */
	cap_header(&c, 0, LT_RAW);
	n = ip_packet(pkt, 9, 160, 48, 200, 0);
	cap_record(&c, 1, pkt, n);
	n = ip_packet(pkt, 9, 0, 80, 200, 1);
	cap_record(&c, 1, pkt, n);
	n = ip_packet(pkt, 9, 80, 80, 200, 1);
	cap_record(&c, 1, pkt, n);
	n = ip_packet(pkt, 10, 0, 80, 200, 1);	/* never completed */
	cap_record(&c, 2, pkt, n);
	put("trace", "fragments.pcap", c.b, c.len, NULL, 0);
	/* the last record cut short */
	cap_header(&c, 0, LT_RAW);
	n = ip_packet(pkt, 1, 0, 8 + 40, 40, 0);
	cap_record(&c, 1, pkt, n);
	cap_record(&c, 2, pkt, n);
	put("trace", "truncated.pcap", c.b, c.len - 10, NULL, 0);
	/* pcapng: section, interface (EN10MB), one enhanced packet */
	n = link_packet(pkt, LT_EN10MB, 30);
	c.len = 0;
	cap_u32(&c, 0x0a0d0d0a);
	cap_u32(&c, 28);
	cap_u32(&c, 0x1a2b3c4d);
	cap_u16(&c, 1);
	cap_u16(&c, 0);
	cap_u32(&c, 0xffffffff);
	cap_u32(&c, 0xffffffff);
	cap_u32(&c, 28);
	cap_u32(&c, 1);
	cap_u32(&c, 20);
	cap_u16(&c, LT_EN10MB);
	cap_u16(&c, 0);
	cap_u32(&c, 65535);
	cap_u32(&c, 20);
	cap_u32(&c, 6);
	cap_u32(&c, (uint32_t)(32 + (n + 3) / 4 * 4));
	cap_u32(&c, 0);
	cap_u32(&c, 0);
	cap_u32(&c, 1000000);
	cap_u32(&c, (uint32_t)n);
	cap_u32(&c, (uint32_t)n);
	memset(pkt + n, 0, 4);
	cap_bytes(&c, pkt, (n + 3) / 4 * 4);
	cap_u32(&c, (uint32_t)(32 + (n + 3) / 4 * 4));
	put("trace", "en10mb.pcapng", c.b, c.len, NULL, 0);
}

/* ---- gmssim traces and command-line arguments ---------------------------- */

static void
gen_text(void)
{
	static const char	*sims[][2] = {
		{ "good", "# time_us node pgno [r|w]\n0 1 0 w\n10 1 1\n"
		    "10 2 5 r\n\n20 3 7 w # a comment\n30 4 0\n" },
		{ "crlf", "0 1 0 w\r\n5 2 1 r\r\n" },
		{ "back-in-time", "10 1 0\n5 1 1\n" },
		{ "bad-node", "0 5 0\n" },
		{ "bad-op", "0 1 0 x\n" },
		{ "huge", "18446744073709551615 1 18446744073709551615 w\n" },
	};
	static const char	*clis[][2] = {
		{ "u32", "\0" "4096" }, { "u32-max", "\0" "4294967295" },
		{ "u32-over", "\0" "4294967296" }, { "size", "\1" "64M" },
		{ "size-gb", "\1" "1gb" }, { "size-k", "\1" "512K" },
		{ "size-over", "\1" "18446744073709551615G" },
		{ "uid", "\2" "1:2:3" }, { "uid-shared", "\2" "0:5s:7" },
	};
	size_t	i;

	for (i = 0; i < sizeof sims / sizeof sims[0]; i++)
		put("simtrace", sims[i][0], sims[i][1], strlen(sims[i][1]),
		    NULL, 0);
	for (i = 0; i < sizeof clis / sizeof clis[0]; i++)
		put("cli", clis[i][0], clis[i][1], 1 + strlen(clis[i][1] + 1),
		    NULL, 0);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 1;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	gen_ctl();
	gen_trace();
	gen_text();
	return 0;
}
