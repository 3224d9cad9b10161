/* ctlmsg.c: framing of the local control protocol (see ctlmsg.h). */
#include <string.h>

#include "gms/ctlmsg.h"

size_t
ctl_pack(uint8_t *buf, size_t cap, const struct ctl_hdr *h,
    const void *payload, size_t len)
{
	struct ctl_hdr	hh = *h;

	if (CTL_HDRLEN + len > cap)
		return 0;
	hh.reserved = 0;
	hh.len = (uint32_t)len;
	memcpy(buf, &hh.op, 1);
	memcpy(buf + 1, &hh.status, 1);
	memcpy(buf + 2, &hh.reserved, 2);
	memcpy(buf + 4, &hh.reqid, 4);
	memcpy(buf + 8, &hh.len, 4);
	if (len > 0)
		memcpy(buf + CTL_HDRLEN, payload, len);
	return CTL_HDRLEN + len;
}

int
ctl_unpack(const uint8_t *buf, size_t len, struct ctl_hdr *h,
    const uint8_t **payload)
{
	if (len < CTL_HDRLEN)
		return -1;
	memcpy(&h->op, buf, 1);
	memcpy(&h->status, buf + 1, 1);
	memcpy(&h->reserved, buf + 2, 2);
	memcpy(&h->reqid, buf + 4, 4);
	memcpy(&h->len, buf + 8, 4);
	if (h->len != len - CTL_HDRLEN)
		return -1;
	*payload = buf + CTL_HDRLEN;
	return 0;
}
