/*
 * fuzz_ctl.c: libFuzzer harness for ctl_request_decode(), what gmsd makes
 * of a packet a local client sends on its control socket.
 *
 * An input is one selector byte, then the packet: the low two bits give
 * the descriptors that came with it (0, 1, 2, 3 read as 2), bit 2 the
 * node's page size (4096, else 8192).  A request that decodes must re-pack
 * to exactly its own bytes, its pointers must lie inside the packet, a
 * PUT's page must end the packet and a file MAP's path must be a string
 * ending there; a rejected request must say why.  Anything else abort()s.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gms/ctlmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_ok(const uint8_t *buf, size_t len, uint32_t ps,
    const struct ctl_request *r)
{
	static uint8_t	out[CTL_MAXMSG];
	size_t		n;

	n = ctl_pack(out, sizeof out, &r->h, buf + CTL_HDRLEN,
	    len - CTL_HDRLEN);
	if (n != len || memcmp(out, buf, len) != 0)
		abort();
	switch (r->h.op) {
	case CTL_PUT:
		if (r->page != buf + len - ps)
			abort();
		break;
	case CTL_MAP:
		if (r->path == NULL)
			break;
		if ((const uint8_t *)r->path < buf + CTL_HDRLEN ||
		    (const uint8_t *)r->path + strlen(r->path) != buf + len - 1)
			abort();
		break;
	case CTL_STATUS:
	case CTL_GET:
	case CTL_DISCARD:
	case CTL_LEAVE:
	case CTL_HELLO:
	case CTL_UNMAP:
	case CTL_PAGES:
		break;
	default:
		abort();	/* an unknown op passed */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request	 r;
	char			 err[256];
	uint8_t			*copy;
	uint32_t		 ps;
	int			 nfds, rc;

	if (size < 1)
		return 0;
	nfds = data[0] & 3;
	if (nfds == 3)
		nfds = 2;
	ps = (data[0] & 4) ? 4096 : 8192;
	data++;
	size--;
	/* exactly size bytes, so ASan sees any read past the end */
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	err[0] = '\0';
	rc = ctl_request_decode(copy, size, nfds, ps, &r, err, sizeof err);
	if (rc == 0)
		check_ok(copy, size, ps, &r);
	else if (rc == CTL_DEC_BAD) {
		if (err[0] == '\0' || strlen(err) >= sizeof err)
			abort();
	} else if (rc != CTL_DEC_FRAME)
		abort();
	free(copy);
	return 0;
}
