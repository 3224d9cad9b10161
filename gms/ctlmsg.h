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
 *   PUT      request: UID (16 bytes, host order), struct ctl_put, one page
 *   GET      request: UID;  reply: one page (status CTL_OK) or none
 *   DISCARD  request: UID
 *   LEAVE    request: none
 *   HELLO    request: none; reply: struct ctl_hello
 *   MAP      request: struct ctl_map, then for a file the path (NUL
 *            included); two descriptors ride along (SCM_RIGHTS): the
 *            region's memfd and its userfaultfd.  reply: struct ctl_mapped
 *   UNMAP    request: the region's space id (uint32_t)
 *   LOST     gmsd -> client, unasked, request id 0: why the connection's
 *            regions are gone (their backing store failed); gmsd closes
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
	CTL_HELLO = 6,
	CTL_MAP = 7,
	CTL_UNMAP = 8,
	CTL_PAGES = 9,		/* reply: the PFD as JSON lines (tests) */
	CTL_LOST = 10,		/* gmsd -> client, unasked (request id 0):
				   this connection's regions are gone; the
				   payload says why; gmsd then closes */
};

/* PUT options: where to, and how old the page is (0, 0: defaults). */
struct ctl_put {
	uint32_t	target;		/* node id; 0: most free memory */
	uint32_t	age_ms;
};

/* HELLO reply. */
struct ctl_hello {
	uint32_t	page_size;
	uint32_t	node;		/* 0 while joining */
	uint32_t	nframes;
	uint32_t	version;	/* PROTO_VERSION */
};

#define CTL_MAP_FILE	0x01	/* read-only, shared pages of a file */

/* MAP request. */
struct ctl_map {
	uint64_t	base;		/* where the client mapped the memfd */
	uint64_t	len;		/* bytes, a multiple of the page size */
	uint32_t	flags;		/* CTL_MAP_* */
	int32_t		pid;		/* the client process */
};

/* MAP reply. */
struct ctl_mapped {
	uint32_t	space;		/* the region's UID space */
	uint32_t	node;
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

/* A request as gmsd takes it: framing, length and fields checked. */
struct ctl_request {
	struct ctl_hdr	 h;
	struct uid	 uid;		/* PUT, GET, DISCARD */
	struct ctl_put	 put;		/* PUT */
	const uint8_t	*page;		/* PUT: page_size bytes */
	struct ctl_map	 map;		/* MAP */
	const char	*path;		/* MAP of a file: NUL-terminated */
	uint32_t	 space;		/* UNMAP */
};

#define CTL_DEC_FRAME	(-1)	/* not a control packet: drop the client */
#define CTL_DEC_BAD	(-2)	/* a bad request: answer err, with h's op */

/* Fill buf with header + payload; returns the total length. */
size_t	ctl_pack(uint8_t *buf, size_t cap, const struct ctl_hdr *,
	    const void *payload, size_t len);
/* Parse a packet; -1 if it is shorter than its header says. */
int	ctl_unpack(const uint8_t *buf, size_t len, struct ctl_hdr *,
	    const uint8_t **payload);
/*
 * Decode a request packet that came with nfds descriptors, for a node of
 * the given page size: 0, or CTL_DEC_FRAME, or CTL_DEC_BAD with a sentence
 * in err.  Pointers in r point into buf.
 */
int	ctl_request_decode(const uint8_t *buf, size_t len, int nfds,
	    uint32_t page_size, struct ctl_request *r, char *err,
	    size_t errlen);
/*
 * Send one packet with up to two descriptors; receive one, collecting up
 * to two descriptors into fds (-1 where none came).  Both return the
 * packet length or -1 with errno set.
 */
ssize_t	ctl_sendfds(int sock, const void *, size_t, const int *fds, int nfds);
ssize_t	ctl_recvfds(int sock, void *, size_t, int fds[2]);

#endif
