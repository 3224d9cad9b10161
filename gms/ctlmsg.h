/*
 * ctlmsg.h: the local control protocol between gmsd and its clients (gmsctl,
 * and programs linking libgms), over a Unix SOCK_SEQPACKET socket: one
 * message per packet, in host byte order (both ends are on the same host).
 *
 * Request and reply start with the same 12-byte header:
 * +---------------+---------------+-------------------------------+
 * |      op       | status/flags  |          reserved (0)         |
 * +---------------+---------------+-------------------------------+
 * |                   request id (chosen by the client)           |
 * +---------------------------------------------------------------+
 * |                   payload length                              |
 * +---------------------------------------------------------------+
 * then the payload:
 *   STATUS   request: none (flags CTL_FJSON for JSON); reply: text
 *   PUT      request: UID (16 bytes, host order) + one page
 *   GET      request: UID;  reply: one page (status CTL_OK) or none
 *   DISCARD  request: UID
 *   LEAVE    request: none
 * A reply with status other than CTL_OK carries a sentence as payload.
 */
#ifndef GMS_CTLMSG_H
#define GMS_CTLMSG_H

#include <stddef.h>
#include <stdint.h>

#include "directories/uid.h"

#define CTL_HDRLEN	12
#define CTL_MAXMSG	(CTL_HDRLEN + 16 + 65536)
#define CTL_SOCKNAME	"ctl.sock"	/* inside gmsd's --dir */

enum ctl_op {
	CTL_STATUS = 1,
	CTL_PUT = 2,
	CTL_GET = 3,
	CTL_DISCARD = 4,
	CTL_LEAVE = 5,
};

enum ctl_status {
	CTL_OK = 0,
	CTL_MISS = 1,		/* GET: the page is in no memory */
	CTL_ERR = 2,		/* payload says why */
	CTL_BUSY = 3,		/* try again (e.g. not joined yet) */
};

#define CTL_FJSON	0x01	/* STATUS: JSON instead of text */

struct ctl_hdr {
	uint8_t		op;
	uint8_t		status;	/* flags in a request */
	uint16_t	reserved;
	uint32_t	reqid;
	uint32_t	len;
};

/* Fill buf with header + payload; returns the total length. */
size_t	ctl_pack(uint8_t *buf, size_t cap, const struct ctl_hdr *,
	    const void *payload, size_t len);
/* Parse a packet; -1 if it is shorter than its header says. */
int	ctl_unpack(const uint8_t *buf, size_t len, struct ctl_hdr *,
	    const uint8_t **payload);

#endif
