/*
 * fuzz_trace.c: libFuzzer harness for the capture reader gmstrace uses
 * (gms/tracefile.c: libpcap, then link headers, IPv4, fragments, UDP).
 *
 * An input is a capture file (pcap or pcapng), handed to tracefile_open
 * through a memfd.  Every datagram handed out must lie in memory the reader
 * owns (every byte is read, so ASan sees a bad pointer), be no longer than
 * its length on the wire, and the counters must add up: no more datagrams
 * than records plus reassembled fragments.  The reading is bounded.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gms/tracefile.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAXDGRAMS	100000	/* datagrams read from one input */

static int	fuzz_fd = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tf_stats	*st;
	struct tracefile	*tf;
	struct tf_dgram		 d;
	char			 path[64], err[512];
	volatile uint8_t	 sink = 0;
	size_t			 i, n = 0;
	int			 rc;

	if (fuzz_fd == -1 &&
	    (fuzz_fd = memfd_create("fuzz-trace", MFD_CLOEXEC)) == -1)
		abort();
	if (ftruncate(fuzz_fd, 0) == -1 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fuzz_fd);
	if ((tf = tracefile_open(path, err, sizeof err)) == NULL) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	while (n < FUZZ_MAXDGRAMS &&
	    (rc = tracefile_next(tf, &d, err, sizeof err)) == 1) {
		if (d.len > d.wirelen || d.wirelen > 65535 - 8 ||
		    (d.len > 0 && d.data == NULL))
			abort();
		for (i = 0; i < d.len; i++)
			sink ^= d.data[i];
		n++;
	}
	st = tracefile_stats(tf);
	if (st->datagrams != n || st->datagrams > st->records ||
	    st->foreign + st->broken > st->records + st->fragments)
		abort();
	(void)sink;
	(void)tracefile_linktype(tf);
	tracefile_close(tf);
	return 0;
}
