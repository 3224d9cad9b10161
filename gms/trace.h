/*
 * trace.h: record every datagram a gmsd sends and receives as a pcap file
 * (gmsd --trace FILE).
 *
 * The file is a standard pcap (libpcap's pcap_dump) of link type RAW: each
 * record is a synthesized IPv4 + UDP header carrying the real addresses and
 * ports, then the GMS datagram, stamped with gettimeofday() when it was sent
 * or received.  tcpdump, tshark and gmstrace read it as it is.  Records are
 * buffered and flushed every TRACE_FLUSH_MS, so a node killed with SIGKILL
 * leaves a usable file (at worst its last record cut short, which gmstrace
 * reports and skips).
 */
#ifndef GMS_TRACE_H
#define GMS_TRACE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct trace;

#define TRACE_FLUSH_MS	100		/* longest a record stays buffered */
#define TRACE_BUFSIZE	(256 << 10)	/* stdio buffer of the file, bytes */

/*
 * Create (or truncate) the file at path and start flushing it on base's
 * clock.  On failure returns NULL with a sentence in err.
 */
struct trace	*trace_open(struct event_base *, const char *path, char *err,
		    size_t errlen);
/* The net_trace_fn of gms/net.h: arg is the struct trace. */
void		 trace_datagram(void *arg, int dir,
		    const struct sockaddr_in *self,
		    const struct sockaddr_in *peer, const uint8_t *dgram,
		    size_t len);
uint64_t	 trace_records(const struct trace *);
/* Flush and close; NULL is allowed. */
void		 trace_close(struct trace *);

#endif
