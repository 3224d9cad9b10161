/*
 * test_ctlmsg.c: ctl_request_decode, what gmsd makes of a control packet:
 * each request kind decodes with its fields, and one malformed variant of
 * each is refused (a sentence, or the client dropped for bad framing).
 * gms/cli.c's parsers too: sizes and numbers, good and bad.
 */
#include <stdint.h>
#include <string.h>

#include "gms/cli.h"
#include "gms/ctlmsg.h"
#include "check.h"

#define PS	4096

static uint8_t	pkt[CTL_MAXMSG];
static char	err[256];

/* Pack op/flags/payload; decode it as gmsd would with nfds descriptors. */
static int
dec(uint8_t op, uint8_t flags, const void *p, size_t len, int nfds,
    struct ctl_request *r)
{
	struct ctl_hdr	h;
	size_t		n;

	memset(&h, 0, sizeof h);
	h.op = op;
	h.status = flags;
	h.reqid = 42;
	n = ctl_pack(pkt, sizeof pkt, &h, p, len);
	err[0] = '\0';
	return ctl_request_decode(pkt, n, nfds, PS, r, err, sizeof err);
}

static void
test_each_request_decodes(void)
{
	static uint8_t		put[sizeof(struct uid) +
	    sizeof(struct ctl_put) + PS];
	struct uid		u = { 3, 65540, 77 };
	struct ctl_put		po = { 2, 900 };
	struct ctl_map		m = { 0x10000, 8 * PS, 0, 99 };
	uint8_t			fm[sizeof m + 8];
	struct ctl_request	r;
	uint32_t		space = 65540;

	CHECK_EQ(dec(CTL_STATUS, CTL_FJSON, NULL, 0, 0, &r), 0);
	CHECK_EQ(r.h.status, CTL_FJSON);
	CHECK_EQ(r.h.reqid, 42);
	CHECK_EQ(dec(CTL_HELLO, 0, NULL, 0, 0, &r), 0);
	CHECK_EQ(dec(CTL_LEAVE, 0, NULL, 0, 0, &r), 0);
	CHECK_EQ(dec(CTL_PAGES, 0, NULL, 0, 0, &r), 0);
	CHECK_EQ(dec(CTL_GET, 0, &u, sizeof u, 0, &r), 0);
	CHECK(memcmp(&r.uid, &u, sizeof u) == 0);
	CHECK_EQ(dec(CTL_DISCARD, 0, &u, sizeof u, 0, &r), 0);
	CHECK_EQ(r.uid.pgno, 77);
	CHECK_EQ(dec(CTL_UNMAP, 0, &space, sizeof space, 0, &r), 0);
	CHECK_EQ(r.space, 65540);
	memcpy(put, &u, sizeof u);
	memcpy(put + sizeof u, &po, sizeof po);
	memset(put + sizeof u + sizeof po, 0xab, PS);
	CHECK_EQ(dec(CTL_PUT, 0, put, sizeof put, 0, &r), 0);
	CHECK_EQ(r.put.target, 2);
	CHECK_EQ(r.put.age_ms, 900);
	CHECK(r.page == pkt + CTL_HDRLEN + sizeof u + sizeof po);
	CHECK_EQ(r.page[PS - 1], 0xab);
	CHECK_EQ(dec(CTL_MAP, 0, &m, sizeof m, 2, &r), 0);
	CHECK_EQ(r.map.len, 8 * PS);
	CHECK(r.path == NULL);
	m.flags = CTL_MAP_FILE;
	memcpy(fm, &m, sizeof m);
	memcpy(fm + sizeof m, "/a/file", 8);
	CHECK_EQ(dec(CTL_MAP, 0, fm, sizeof fm, 2, &r), 0);
	CHECK(r.path != NULL && strcmp(r.path, "/a/file") == 0);
}

static void
test_malformed_refused(void)
{
	uint8_t			big[sizeof(struct uid) + 8 + PS + 1];
	struct uid		u = { 3, 65540, 77 };
	struct ctl_map		m = { 0x10000, 8 * PS, 0, 99 };
	uint8_t			fm[sizeof m + 8];
	struct ctl_request	r;
	uint32_t		space = 1;

	memset(big, 0, sizeof big);
	/* a length other than the kind's */
	CHECK_EQ(dec(CTL_STATUS, 0, &space, 4, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_HELLO, 0, &space, 1, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_LEAVE, 0, &space, 4, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_PAGES, 0, &space, 4, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_GET, 0, &u, sizeof u - 1, 0, &r), CTL_DEC_BAD);
	CHECK(strstr(err, "expected 16") != NULL);
	CHECK_EQ(dec(CTL_DISCARD, 0, big, sizeof u + 1, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_UNMAP, 0, &u, 2, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_PUT, 0, big, sizeof big, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_PUT, 0, big, sizeof big - 2, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_MAP, 0, &m, sizeof m - 1, 2, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_MAP, 0, &m, sizeof m + 4, 2, &r), CTL_DEC_BAD);
	/* descriptors: a map needs two, nothing else takes any */
	CHECK_EQ(dec(CTL_MAP, 0, &m, sizeof m, 1, &r), CTL_DEC_BAD);
	CHECK(strstr(err, "memfd and a userfaultfd") != NULL);
	CHECK_EQ(dec(CTL_MAP, 0, &m, sizeof m, 0, &r), CTL_DEC_BAD);
	CHECK_EQ(dec(CTL_GET, 0, &u, sizeof u, 2, &r), CTL_DEC_BAD);
	/* a file map's path: there, NUL-terminated, no NUL inside */
	m.flags = CTL_MAP_FILE;
	CHECK_EQ(dec(CTL_MAP, 0, &m, sizeof m, 2, &r), CTL_DEC_BAD);
	memcpy(fm, &m, sizeof m);
	memcpy(fm + sizeof m, "/a/filex", 8);
	CHECK_EQ(dec(CTL_MAP, 0, fm, sizeof fm, 2, &r), CTL_DEC_BAD);
	memcpy(fm + sizeof m, "/a\0file", 8);
	CHECK_EQ(dec(CTL_MAP, 0, fm, sizeof fm, 2, &r), CTL_DEC_BAD);
	m.flags = 0x80;
	CHECK_EQ(dec(CTL_MAP, 0, &m, sizeof m, 2, &r), CTL_DEC_BAD);
	/* an op gmsd does not know, and one it only sends */
	CHECK_EQ(dec(99, 0, NULL, 0, 0, &r), CTL_DEC_BAD);
	CHECK(strstr(err, "unknown request 99") != NULL);
	CHECK_EQ(dec(CTL_LOST, 0, NULL, 0, 0, &r), CTL_DEC_BAD);
}

static void
test_bad_framing_drops(void)
{
	struct ctl_request	r;
	size_t			n;

	/* shorter than a header, a length that lies, reserved bits set */
	memset(pkt, 0, sizeof pkt);
	CHECK_EQ(ctl_request_decode(pkt, CTL_HDRLEN - 1, 0, PS, &r, err,
	    sizeof err), CTL_DEC_FRAME);
	CHECK_EQ(dec(CTL_STATUS, 0, NULL, 0, 0, &r), 0);
	pkt[8] = 4;		/* says 4 bytes of payload, has none */
	CHECK_EQ(ctl_request_decode(pkt, CTL_HDRLEN, 0, PS, &r, err,
	    sizeof err), CTL_DEC_FRAME);
	n = CTL_HDRLEN;
	memset(pkt, 0, n);
	pkt[0] = CTL_STATUS;
	pkt[2] = 1;		/* reserved */
	CHECK_EQ(ctl_request_decode(pkt, n, 0, PS, &r, err, sizeof err),
	    CTL_DEC_FRAME);
}

static void
test_cli_numbers(void)
{
	uint64_t	z = 0;
	uint32_t	v = 0;

	CHECK_EQ(cli_parse_size("64M", &z), 0);
	CHECK_EQ(z, 64ULL << 20);
	CHECK_EQ(cli_parse_size("1gb", &z), 0);
	CHECK_EQ(z, 1ULL << 30);
	CHECK_EQ(cli_parse_size("4096", &z), 0);
	CHECK_EQ(z, 4096);
	CHECK_EQ(cli_parse_size("12Q", &z), -1);
	CHECK_EQ(cli_parse_size("1MX", &z), -1);
	CHECK_EQ(cli_parse_size("-1M", &z), -1);
	CHECK_EQ(cli_parse_size("", &z), -1);
	CHECK_EQ(cli_parse_size("18446744073709551615K", &z), -1);
	CHECK_EQ(cli_parse_size("99999999999999999999", &z), -1);
	CHECK_EQ(cli_parse_u32("4294967295", &v), 0);
	CHECK(v == UINT32_MAX);
	CHECK_EQ(cli_parse_u32("4294967296", &v), -1);
	CHECK_EQ(cli_parse_u32(" 1", &v), -1);
	CHECK_EQ(cli_parse_u32("1 ", &v), -1);
}

int
main(void)
{
	RUN(test_each_request_decodes);
	RUN(test_malformed_refused);
	RUN(test_bad_framing_drops);
	RUN(test_cli_numbers);
	return CHECK_DONE();
}
