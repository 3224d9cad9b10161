/* ctlmsg.c: framing of the local control protocol (see ctlmsg.h). */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* MAP: a struct ctl_map, two descriptors, a path for a file. */
static int
ctl_decode_map(struct ctl_request *r, const uint8_t *p, int nfds, char *err,
    size_t errlen)
{
	if (r->h.len < sizeof r->map || nfds != 2) {
		snprintf(err, errlen, "a map request needs a struct ctl_map, "
		    "a memfd and a userfaultfd");
		return CTL_DEC_BAD;
	}
	memcpy(&r->map, p, sizeof r->map);
	if (r->map.flags & ~(uint32_t)CTL_MAP_FILE) {
		snprintf(err, errlen, "a map request with unknown flags %#x",
		    r->map.flags);
		return CTL_DEC_BAD;
	}
	if (!(r->map.flags & CTL_MAP_FILE)) {
		if (r->h.len != sizeof r->map) {
			snprintf(err, errlen, "a map request of %u bytes, "
			    "expected %zu", r->h.len, sizeof r->map);
			return CTL_DEC_BAD;
		}
		return 0;
	}
	if (r->h.len == sizeof r->map || p[r->h.len - 1] != '\0' ||
	    memchr(p + sizeof r->map, '\0', r->h.len - sizeof r->map) !=
	    p + r->h.len - 1) {
		snprintf(err, errlen, "a file map request needs a "
		    "NUL-terminated path");
		return CTL_DEC_BAD;
	}
	r->path = (const char *)p + sizeof r->map;
	return 0;
}

int
ctl_request_decode(const uint8_t *buf, size_t len, int nfds,
    uint32_t page_size, struct ctl_request *r, char *err, size_t errlen)
{
	const uint8_t	*p;
	size_t		 want = 0;

	memset(r, 0, sizeof *r);
	if (ctl_unpack(buf, len, &r->h, &p) == -1 || r->h.reserved != 0)
		return CTL_DEC_FRAME;
	if (r->h.op == CTL_MAP)
		return ctl_decode_map(r, p, nfds, err, errlen);
	if (nfds != 0) {
		snprintf(err, errlen, "request %u carries descriptors; only a "
		    "map request does", r->h.op);
		return CTL_DEC_BAD;
	}
	switch (r->h.op) {
	case CTL_STATUS:
	case CTL_LEAVE:
	case CTL_HELLO:
	case CTL_PAGES:
		break;
	case CTL_UNMAP:
		want = sizeof r->space;
		break;
	case CTL_PUT:
		want = sizeof r->uid + sizeof r->put + page_size;
		break;
	case CTL_GET:
	case CTL_DISCARD:
		want = sizeof r->uid;
		break;
	default:
		snprintf(err, errlen, "unknown request %u", r->h.op);
		return CTL_DEC_BAD;
	}
	if (r->h.len != want) {
		snprintf(err, errlen, "request of %u bytes, expected %zu (page "
		    "size %u)", r->h.len, want, page_size);
		return CTL_DEC_BAD;
	}
	if (r->h.op == CTL_UNMAP)
		memcpy(&r->space, p, sizeof r->space);
	if (r->h.op == CTL_PUT || r->h.op == CTL_GET ||
	    r->h.op == CTL_DISCARD)
		memcpy(&r->uid, p, sizeof r->uid);
	if (r->h.op == CTL_PUT) {
		memcpy(&r->put, p + sizeof r->uid, sizeof r->put);
		r->page = p + sizeof r->uid + sizeof r->put;
	}
	return 0;
}

ssize_t
ctl_sendfds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct msghdr	msg;
	struct iovec	iov;

	memset(&msg, 0, sizeof msg);
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		if (nfds > 2)
			nfds = 2;
		memset(&cm, 0, sizeof cm);
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm.hdr.cmsg_level = SOL_SOCKET;
		cm.hdr.cmsg_type = SCM_RIGHTS;
		cm.hdr.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(&cm.hdr), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

ssize_t
ctl_recvfds(int sock, void *buf, size_t len, int fds[2])
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct iovec	 iov;
	ssize_t		 n;
	int		 got[4];
	size_t		 i, k;

	fds[0] = fds[1] = -1;
	memset(&msg, 0, sizeof msg);
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof cm.buf;
	n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > 4)
			k = 4;
		memcpy(got, CMSG_DATA(c), k * sizeof(int));
		for (i = 0; i < k; i++) {
			if (i < 2 && fds[i] == -1)
				fds[i] = got[i];
			else
				close(got[i]);	/* more than we take */
		}
	}
	return n;
}
