/*
 * fault_lat.c: the latency of a page fault on GMS memory, as a program
 * sees it: map a region several times the node's --mem, write every page
 * (so most go out to the cluster or the backing store), then touch pages
 * that are not resident in a random order and time each touch.
 * Residency is checked with mincore() before each touch, so only real
 * faults are timed.
 *
 *   fault_lat DIR PAGES FAULTS [SEED]
 * prints: fault_lat n N median_us M p99_us P
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/gms.h"

#define FAULT_MAX	200000
#define FAULT_SECONDS	120

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct gms		*g;
	volatile uint8_t	*p;
	unsigned char		 vec;
	uint64_t		 x, pg, pages, i, sum = 0;
	long			 want, done = 0, tries = 0;
	double			*lat, t0, start;
	size_t			 ps;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: fault_lat DIR PAGES FAULTS [SEED]\n");
		return 2;
	}
	pages = strtoull(argv[2], NULL, 10);
	want = atol(argv[3]);
	x = argc == 5 ? strtoull(argv[4], NULL, 10) : 1;
	if (pages < 2 || want < 1 || want > FAULT_MAX) {
		fprintf(stderr, "fault_lat: bad PAGES or FAULTS\n");
		return 2;
	}
	if ((g = gms_connect(argv[1])) == NULL) {
		fprintf(stderr, "fault_lat: cannot reach gmsd at %s\n",
		    argv[1]);
		return 1;
	}
	ps = gms_page_size(g);
	if ((p = gms_map(g, pages * ps)) == NULL) {
		fprintf(stderr, "fault_lat: %s\n", gms_error(g));
		return 1;
	}
	for (i = 0; i < pages; i++)
		p[i * ps] = (uint8_t)(i | 1);
	/*
	 * One read pass in order: it pushes out the pages the writes left
	 * resident (dirty: each costs a write-back when evicted) and leaves
	 * clean ones, so every timed fault below is one fetch, not a
	 * write-back and a fetch.
	 */
	for (i = 0; i < pages; i++)
		if (p[i * ps] != (uint8_t)(i | 1)) {
			fprintf(stderr, "fault_lat: page %llu has wrong "
			    "contents\n", (unsigned long long)i);
			return 1;
		}
	/*
	 * FAULT_LAT_SETTLE_MS: wait that long before timing, so the pages
	 * the writes pushed out have been written back and put (under a slow
	 * disk model they are still on their way at first, and a fault on
	 * one then goes to the disk).
	 */
	if (getenv("FAULT_LAT_SETTLE_MS") != NULL)
		usleep((useconds_t)atoi(getenv("FAULT_LAT_SETTLE_MS")) * 1000);
	lat = calloc((size_t)want, sizeof *lat);
	start = now_us();
	while (done < want && tries < want * 100 &&
	    now_us() - start < FAULT_SECONDS * 1e6) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pg = x % pages;
		tries++;
		if (mincore((void *)(p + pg * ps), ps, &vec) == 0 &&
		    (vec & 1))
			continue;	/* resident: not a fault */
		t0 = now_us();
		sum += p[pg * ps];
		lat[done++] = now_us() - t0;
		if (p[pg * ps] != (uint8_t)(pg | 1)) {
			fprintf(stderr, "fault_lat: page %llu has wrong "
			    "contents\n", (unsigned long long)pg);
			return 1;
		}
	}
	qsort(lat, (size_t)done, sizeof *lat, cmp);
	if (done == 0) {
		fprintf(stderr, "fault_lat: no faults (region fits memory?)\n");
		return 1;
	}
	printf("fault_lat n %ld median_us %.2f p99_us %.2f check %llu\n",
	    done, lat[done / 2], lat[(size_t)((double)done * 0.99)],
	    (unsigned long long)(sum & 0xff));
	gms_unmap(g, (void *)p);
	gms_disconnect(g);
	free(lat);
	return 0;
}
