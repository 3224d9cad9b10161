/*
 * tracefile.h: the UDP datagrams of a capture file, for gmstrace.
 *
 * Reads what libpcap reads (pcap with micro- or nanosecond stamps, pcapng)
 * of link type EN10MB (VLAN tags skipped), LINUX_SLL, LINUX_SLL2, RAW, IPV4,
 * NULL or LOOP: gmsd --trace files, and tcpdump or tshark captures on lo, a
 * veth or "any".  IPv4 fragments are put back together.  Everything that is
 * not UDP over IPv4 is counted as foreign and skipped; whether a datagram
 * is GMS is the caller's question.
 */
#ifndef GMS_TRACEFILE_H
#define GMS_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

struct tracefile;

#define TRACEFILE_MAXFRAG	64	/* datagrams being reassembled */

/* One UDP datagram; data stays valid until the next tracefile_next. */
struct tf_dgram {
	int64_t		 ts_ns;		/* capture time, ns since 1970 */
	uint32_t	 src, dst;	/* IPv4 addresses, host order */
	uint16_t	 sport, dport;
	const uint8_t	*data;		/* the UDP payload as captured */
	size_t		 len;		/* bytes of it captured */
	size_t		 wirelen;	/* its length on the wire */
};

struct tf_stats {
	uint64_t	records;	/* records read */
	uint64_t	datagrams;	/* UDP datagrams returned */
	uint64_t	foreign;	/* records not UDP over IPv4 */
	uint64_t	broken;		/* headers cut short or inconsistent */
	uint64_t	fragments;	/* IPv4 fragments seen */
	uint64_t	frag_lost;	/* datagrams whose fragments never all came */
};

/* Open a capture; NULL and a sentence in err if it cannot be read. */
struct tracefile *tracefile_open(const char *path, char *err, size_t errlen);
/*
 * The next datagram: 1, or 0 at the end of the file, or -1 if the file
 * ends in a broken record (err says how; what came before stands).
 */
int		 tracefile_next(struct tracefile *, struct tf_dgram *,
		    char *err, size_t errlen);
const char	*tracefile_linktype(const struct tracefile *);
const struct tf_stats *tracefile_stats(const struct tracefile *);
void		 tracefile_close(struct tracefile *);

#endif
