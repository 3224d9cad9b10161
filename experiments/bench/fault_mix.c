/*
 * fault_mix.c: the fault path as a program sees it, beyond one fault's
 * latency (fault_lat.c): a sequential scan and the throughput of several
 * faulting threads.  Maps a region several times the node's --mem and
 * writes every page (so most go out to the cluster), then:
 *
 *   fault_mix DIR PAGES seq
 *       reads every page once in order, checking each; prints
 *       "fault_mix seq pages N us T"
 *   fault_mix DIR PAGES tput THREADS SECONDS
 *       THREADS threads read random pages of their own share of the region
 *       for SECONDS, checking each; prints "fault_mix tput threads T
 *       reads N faults F seconds S faults_per_s R median_us M p99_us P
 *       cpu_ms C" (a read is counted as a fault when mincore said the page
 *       was not resident just before; M and P are those reads' latencies;
 *       C is this process's CPU time, user and system, over the run)
 *
 * FAULT_MIX_HOOK (tput only; experiments/bench/tput sets it): a shell
 * command run with the argument "before" just before the timed phase and
 * "after" just after it, so the caller can read gmsd's counters over the
 * timed phase alone.  With it, the pages are first read once in order (as
 * fault_lat.c does), so that the timed faults fetch clean pages instead
 * of starting with write-backs of the pages the writes left dirty.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gms/gms.h"

#define MIX_MAX_THREADS	64
#define MIX_MAX_SECONDS	120
#define MIX_SAMPLES	200000	/* fault latencies kept, all threads */

static volatile uint8_t	*mix_p;
static size_t		 mix_ps;
static uint64_t		 mix_pages;
static unsigned		 mix_threads;
static double		 mix_end;
static atomic_ulong	 mix_reads, mix_faults, mix_bad;
static double		*mix_lat;	/* us */
static atomic_ulong	 mix_nlat;

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
mix_check(uint64_t pg)
{
	return mix_p[pg * mix_ps] == (uint8_t)(pg | 1);
}

static void *
mix_thread(void *arg)
{
	uint64_t	x = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1, pg;
	unsigned	t = (unsigned)(uintptr_t)arg;
	unsigned char	vec;
	unsigned long	reads = 0, faults = 0, bad = 0, k;
	double		t0;

	while (now_s() < mix_end) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* thread t reads the pages p with p % threads == t */
		pg = (x % (mix_pages / mix_threads)) * mix_threads + t;
		reads++;
		if (mincore((void *)(mix_p + pg * mix_ps), mix_ps, &vec) ==
		    0 && (vec & 1)) {
			if (!mix_check(pg))
				bad++;
			continue;
		}
		faults++;
		t0 = now_s();
		if (!mix_check(pg))
			bad++;
		k = atomic_fetch_add(&mix_nlat, 1);
		if (k < MIX_SAMPLES)
			mix_lat[k] = (now_s() - t0) * 1e6;
	}
	atomic_fetch_add(&mix_reads, reads);
	atomic_fetch_add(&mix_faults, faults);
	atomic_fetch_add(&mix_bad, bad);
	return NULL;
}

/* This process's CPU time so far, user and system, in ms. */
static double
cpu_ms(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Run FAULT_MIX_HOOK with argument when, if it is set. */
static void
mix_hook(const char *when)
{
	const char	*hook = getenv("FAULT_MIX_HOOK");
	char		 cmd[4096];

	if (hook == NULL || *hook == '\0')
		return;
	snprintf(cmd, sizeof cmd, "%s %s", hook, when);
	if (system(cmd) != 0)
		fprintf(stderr, "fault_mix: hook \"%s\" failed\n", cmd);
}

static int
mix_tput(unsigned threads, unsigned seconds)
{
	pthread_t	tid[MIX_MAX_THREADS];
	double		t0, c0;
	unsigned	i;
	unsigned long	n;

	if ((mix_lat = calloc(MIX_SAMPLES, sizeof *mix_lat)) == NULL) {
		fprintf(stderr, "fault_mix: out of memory\n");
		return 1;
	}
	mix_hook("before");
	mix_threads = threads;
	c0 = cpu_ms();
	t0 = now_s();
	mix_end = t0 + seconds;
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, mix_thread,
		    (void *)(uintptr_t)i) != 0) {
			fprintf(stderr, "fault_mix: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t0 = now_s() - t0;
	c0 = cpu_ms() - c0;
	mix_hook("after");
	n = atomic_load(&mix_nlat);
	if (n > MIX_SAMPLES)
		n = MIX_SAMPLES;
	qsort(mix_lat, n, sizeof *mix_lat, cmp_double);
	printf("fault_mix tput threads %u reads %lu faults %lu seconds %.2f "
	    "faults_per_s %.0f median_us %.2f p99_us %.2f cpu_ms %.1f\n",
	    threads, (unsigned long)mix_reads, (unsigned long)mix_faults, t0,
	    (double)mix_faults / t0, n ? mix_lat[n / 2] : 0.0,
	    n ? mix_lat[(size_t)((double)n * 0.99)] : 0.0, c0);
	free(mix_lat);
	return mix_bad != 0;
}

static int
mix_seq(void)
{
	uint64_t	i, bad = 0;
	double		t0;

	t0 = now_s();
	for (i = 0; i < mix_pages; i++)
		if (!mix_check(i))
			bad++;
	t0 = now_s() - t0;
	printf("fault_mix seq pages %llu us %.0f\n",
	    (unsigned long long)mix_pages, t0 * 1e6);
	return bad != 0;
}

int
main(int argc, char **argv)
{
	struct gms	*g;
	uint64_t	 i;
	unsigned	 threads = 0, seconds = 0;
	int		 seq, rc;

	seq = argc == 4 && strcmp(argv[3], "seq") == 0;
	if (!seq && !(argc == 6 && strcmp(argv[3], "tput") == 0)) {
		fprintf(stderr, "usage: fault_mix DIR PAGES seq\n"
		    "       fault_mix DIR PAGES tput THREADS SECONDS\n");
		return 2;
	}
	mix_pages = strtoull(argv[2], NULL, 10);
	if (!seq) {
		threads = (unsigned)atoi(argv[4]);
		seconds = (unsigned)atoi(argv[5]);
		if (threads < 1 || threads > MIX_MAX_THREADS || seconds < 1 ||
		    seconds > MIX_MAX_SECONDS || mix_pages < threads) {
			fprintf(stderr, "fault_mix: 1 to %d threads, 1 to %d "
			    "seconds, at least a page each\n",
			    MIX_MAX_THREADS, MIX_MAX_SECONDS);
			return 2;
		}
	}
	if (mix_pages < 2) {
		fprintf(stderr, "fault_mix: bad PAGES\n");
		return 2;
	}
	if ((g = gms_connect(argv[1])) == NULL) {
		fprintf(stderr, "fault_mix: cannot reach gmsd at %s\n",
		    argv[1]);
		return 1;
	}
	mix_ps = gms_page_size(g);
	if ((mix_p = gms_map(g, mix_pages * mix_ps)) == NULL) {
		fprintf(stderr, "fault_mix: %s\n", gms_error(g));
		return 1;
	}
	for (i = 0; i < mix_pages; i++)
		mix_p[i * mix_ps] = (uint8_t)(i | 1);
	/* clean pages for the timed faults (see FAULT_MIX_HOOK above) */
	if (!seq && getenv("FAULT_MIX_HOOK") != NULL)
		for (i = 0; i < mix_pages; i++)
			if (!mix_check(i)) {
				fprintf(stderr, "fault_mix: page %llu has "
				    "wrong contents\n", (unsigned long long)i);
				return 1;
			}
	rc = seq ? mix_seq() : mix_tput(threads, seconds);
	if (rc != 0)
		fprintf(stderr, "fault_mix: a page had wrong contents\n");
	gms_unmap(g, (void *)mix_p);
	gms_disconnect(g);
	return rc;
}
