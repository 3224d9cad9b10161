/*
 * memwork.c: one workload for every memory system the bench compares.
 * The same access pattern and the same verification run over GMS memory
 * (libgms gms_map, paged by the local gmsd) or over plain anonymous memory
 * (mmap, paged by the kernel: swap, zswap, zram under a memory cgroup).
 *
 *   memwork (--gms DIR | --anon) --size MB [--seq N] [--rand N]
 *           [--write-pct P] [--fill random|half] [--seed S]
 *           [--loop-seconds S] [--max-seconds S] [--label TEXT]
 *           [--pause-file FILE] [--ready-file FILE]
 *
 * The region holds SIZE MB of pages.  Every page is filled first (init),
 * then come N sequential passes over all pages and N uniform-random
 * accesses (one access is one page: a read that checks two words, or,
 * with probability P %, a write that stamps the page with a new version),
 * then a verify pass that reads every word of every page and a checksum
 * of the stamps against the versions kept aside.  --fill half leaves the
 * second half of each page zero (about 2:1 for a compressor); random
 * fills it all (incompressible).  --loop-seconds keeps making random
 * accesses for that long after the passes (a busy node).  --pause-file
 * FILE: once done, create FILE and keep the region mapped until FILE is
 * deleted (so gmsd can be measured while it holds the pages).
 * --ready-file FILE: create FILE when the passes are done, before the
 * --loop-seconds (so gmsd's CPU can be measured over the loop alone).
 *
 * Each access is timed; one JSON line on stdout gives elapsed times
 * (elapsed_s: init + passes + verify, not the --loop-seconds) and
 * the per-access latency percentiles of the sequential and random passes.
 * Exit 0 only if every check held; 1 on a wrong word, 2 on bad usage.
 */
#include <sys/mman.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/gms.h"

#define MW_MAX_MB	65536	/* largest region */
#define MW_MAX_SEQ	100	/* most sequential passes */
#define MW_MAX_RAND	100000000L /* most random accesses */
#define MW_MAX_SECONDS	3600	/* longest run, --max-seconds */
#define MW_PAGE		4096	/* page size of --anon */

struct mw_pass {
	float		*lat;		/* us per access */
	long		 n;
	double		 secs;
};

struct mw {
	uint64_t	*mem;		/* the region, as words */
	uint32_t	*ver;		/* each page's version (private memory) */
	uint64_t	 pages;
	size_t		 words;		/* words per page */
	int		 write_pct;
	int		 half;		/* --fill half */
	uint64_t	 rng;
	uint64_t	 errors;
	double		 deadline;	/* monotonic seconds */
};

struct mw_opts {
	const char	*dir;		/* --gms */
	const char	*label;
	const char	*pause;		/* --pause-file */
	const char	*ready;		/* --ready-file */
	int		 anon;
	long		 mb;		/* --size */
	long		 nseq;		/* sequential passes */
	long		 nrand;		/* random accesses */
	long		 loop;		/* --loop-seconds */
	long		 maxs;		/* --max-seconds */
};

struct mw_times {
	double		 init;		/* seconds */
	struct mw_pass	 seq;
	struct mw_pass	 rand;
	struct mw_pass	 loop;
	double		 verify;	/* seconds */
};

static double
mw_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
mw_rand(struct mw *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng * 0x2545f4914f6cdd1dULL;
}

/* splitmix64: the content of word k of page pg, or the stamp of a version */
static uint64_t
mw_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
mw_fill(const struct mw *w, uint64_t pg, size_t k)
{
	if (w->half && k >= w->words / 2)
		return 0;
	return mw_mix(pg * w->words + k);
}

static uint64_t
mw_stamp(uint64_t pg, uint32_t ver)
{
	return mw_mix(~pg ^ ((uint64_t)ver << 40));
}

static void
mw_init(struct mw *w)
{
	uint64_t	pg, *p;
	size_t		k;

	for (pg = 0; pg < w->pages; pg++) {
		p = w->mem + pg * w->words;
		p[0] = mw_stamp(pg, 0);
		for (k = 1; k < w->words; k++)
			p[k] = mw_fill(w, pg, k);
	}
}

/* One access to page pg: a checked read, or a write of a new stamp. */
static void
mw_access(struct mw *w, uint64_t pg)
{
	volatile uint64_t	*p = w->mem + pg * w->words;
	uint64_t		 r = mw_rand(w);
	size_t			 k = 1 + (size_t)(r >> 32) % (w->words - 1);

	if ((int)(r % 100) < w->write_pct) {
		w->ver[pg]++;
		p[0] = mw_stamp(pg, w->ver[pg]);
		return;
	}
	if (p[0] != mw_stamp(pg, w->ver[pg]) || p[k] != mw_fill(w, pg, k))
		w->errors++;
}

/* A pass of n accesses, sequential over the pages or uniform-random. */
static int
mw_pass(struct mw *w, struct mw_pass *ps, long n, int seq)
{
	double		t0, t1, start = mw_now();
	long		i;
	uint64_t	pg;

	ps->lat = calloc((size_t)(n > 0 ? n : 1), sizeof *ps->lat);
	if (ps->lat == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		pg = seq ? (uint64_t)i % w->pages : mw_rand(w) % w->pages;
		t0 = mw_now();
		mw_access(w, pg);
		t1 = mw_now();
		ps->lat[i] = (float)((t1 - t0) * 1e6);
		if ((i & 4095) == 0 && t1 > w->deadline)
			return -1;
	}
	ps->n = n;
	ps->secs = mw_now() - start;
	return 0;
}

/* Every word of every page, and the checksum of the stamps. */
static int
mw_verify(struct mw *w)
{
	uint64_t	pg, sum = 0, want = 0, *p;
	size_t		k;

	for (pg = 0; pg < w->pages; pg++) {
		p = w->mem + pg * w->words;
		sum += p[0];
		want += mw_stamp(pg, w->ver[pg]);
		for (k = 1; k < w->words; k++)
			if (p[k] != mw_fill(w, pg, k))
				w->errors++;
		if ((pg & 4095) == 0 && mw_now() > w->deadline)
			return -1;
	}
	if (sum != want)
		w->errors++;
	return 0;
}

static int
mw_create(const char *path)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "memwork: cannot create %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

/*
 * Create path and wait, with the region still mapped, until someone
 * deletes it (the bench measures gmsd meanwhile) or the deadline.
 */
static void
mw_pause(const struct mw *w, const char *path)
{
	if (mw_create(path) == -1)
		return;
	while (access(path, F_OK) == 0 && mw_now() < w->deadline)
		usleep(10000);
}

static int
mw_cmpf(const void *a, const void *b)
{
	float	x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static void
mw_print_pass(const char *name, struct mw_pass *ps)
{
	float	*l = ps->lat;
	long	 n = ps->n;

	if (n == 0) {
		printf("\"%s\":{\"accesses\":0}", name);
		return;
	}
	qsort(l, (size_t)n, sizeof *l, mw_cmpf);
	printf("\"%s\":{\"accesses\":%ld,\"secs\":%.4f,\"p50_us\":%.3f,"
	    "\"p90_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.1f}", name, n,
	    ps->secs, l[n / 2], l[(size_t)((double)n * 0.90)],
	    l[(size_t)((double)n * 0.99)], l[n - 1]);
}

static void
mw_usage(void)
{
	fprintf(stderr, "usage: memwork (--gms DIR | --anon) --size MB "
	    "[--seq N] [--rand N] [--write-pct P]\n"
	    "               [--fill random|half] [--seed S] "
	    "[--loop-seconds S] [--max-seconds S] [--label TEXT]\n"
	    "               [--pause-file FILE] [--ready-file FILE]\n");
	exit(2);
}

static long
mw_num(const char *s, const char *what, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || end == s || v < lo || v > hi) {
		fprintf(stderr, "memwork: %s must be a number from %ld to %ld, "
		    "not \"%s\"\n", what, lo, hi, s);
		exit(2);
	}
	return v;
}

/* The command line, checked; exits 2 with a sentence on a bad one. */
static void
mw_options(int argc, char **argv, struct mw_opts *o, struct mw *w)
{
	static const struct option opts[] = {
		{ "gms", required_argument, NULL, 'g' },
		{ "anon", no_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "seq", required_argument, NULL, 'q' },
		{ "rand", required_argument, NULL, 'r' },
		{ "write-pct", required_argument, NULL, 'w' },
		{ "fill", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "loop-seconds", required_argument, NULL, 'l' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "label", required_argument, NULL, 'L' },
		{ "pause-file", required_argument, NULL, 'P' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	int	c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o->dir = optarg; break;
		case 'a': o->anon = 1; break;
		case 's': o->mb = mw_num(optarg, "--size", 1, MW_MAX_MB); break;
		case 'q': o->nseq = mw_num(optarg, "--seq", 0, MW_MAX_SEQ); break;
		case 'r':
			o->nrand = mw_num(optarg, "--rand", 0, MW_MAX_RAND);
			break;
		case 'w':
			w->write_pct = (int)mw_num(optarg, "--write-pct", 0, 100);
			break;
		case 'f':
			if (strcmp(optarg, "random") != 0 &&
			    strcmp(optarg, "half") != 0) {
				fprintf(stderr, "memwork: --fill is random or "
				    "half, not \"%s\"\n", optarg);
				exit(2);
			}
			w->half = strcmp(optarg, "half") == 0;
			break;
		case 'S':
			w->rng = (uint64_t)mw_num(optarg, "--seed", 1,
			    0x7fffffffL);
			break;
		case 'l':
			o->loop = mw_num(optarg, "--loop-seconds", 0,
			    MW_MAX_SECONDS);
			break;
		case 'm':
			o->maxs = mw_num(optarg, "--max-seconds", 1,
			    MW_MAX_SECONDS);
			break;
		case 'L': o->label = optarg; break;
		case 'P': o->pause = optarg; break;
		case 'R': o->ready = optarg; break;
		default: mw_usage();
		}
	}
	if (optind != argc || o->mb == 0 || (o->dir == NULL) == !o->anon)
		mw_usage();
	if (o->loop >= o->maxs) {
		fprintf(stderr, "memwork: --loop-seconds must be less than "
		    "--max-seconds (%ld)\n", o->maxs);
		exit(2);
	}
}

/* The region: anonymous memory, or GMS memory from the gmsd at o->dir. */
static int
mw_map(const struct mw_opts *o, struct mw *w, struct gms **g)
{
	size_t	len = (size_t)o->mb << 20, ps = MW_PAGE;

	*g = NULL;
	if (o->anon) {
		w->mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w->mem == MAP_FAILED) {
			fprintf(stderr, "memwork: mmap of %ld MB: %s\n", o->mb,
			    strerror(errno));
			return -1;
		}
	} else {
		if ((*g = gms_connect(o->dir)) == NULL) {
			fprintf(stderr, "memwork: %s\n", gms_error(NULL));
			return -1;
		}
		ps = gms_page_size(*g);
		if ((w->mem = gms_map(*g, len)) == NULL) {
			fprintf(stderr, "memwork: %s\n", gms_error(*g));
			return -1;
		}
	}
	w->words = ps / sizeof(uint64_t);
	w->pages = len / ps;
	if ((w->ver = calloc(w->pages, sizeof *w->ver)) == NULL) {
		fprintf(stderr, "memwork: out of memory\n");
		return -1;
	}
	return 0;
}

/* init, the passes, the busy loop, verify: -1 past --max-seconds */
static int
mw_run(const struct mw_opts *o, struct mw *w, struct mw_times *t)
{
	double	start = mw_now(), lstart;
	long	i;

	w->deadline = start + (double)o->maxs;
	mw_init(w);
	t->init = mw_now() - start;
	if (mw_pass(w, &t->seq, o->nseq * (long)w->pages, 1) == -1 ||
	    mw_pass(w, &t->rand, o->nrand, 0) == -1)
		return -1;
	if (o->ready != NULL && mw_create(o->ready) == -1)
		return -1;
	for (lstart = mw_now(), i = 0; o->loop > 0 &&
	    mw_now() - lstart < (double)o->loop && i < MW_MAX_RAND; i++) {
		free(t->loop.lat);
		t->loop.lat = NULL;
		if (mw_pass(w, &t->loop, (long)w->pages, 0) == -1)
			return -1;
	}
	start = mw_now();
	if (mw_verify(w) == -1)
		return -1;
	t->verify = mw_now() - start;
	return 0;
}

static void
mw_print(const struct mw_opts *o, const struct mw *w, struct mw_times *t)
{
	printf("{\"prog\":\"memwork\",\"label\":\"%s\",\"mem\":\"%s\","
	    "\"size_mb\":%ld,\"page_size\":%zu,\"pages\":%" PRIu64 ","
	    "\"write_pct\":%d,\"fill\":\"%s\",\"seq_passes\":%ld,"
	    "\"elapsed_s\":%.4f,\"init_s\":%.4f,\"seq_s\":%.4f,"
	    "\"rand_s\":%.4f,\"verify_s\":%.4f,", o->label,
	    o->anon ? "anon" : "gms", o->mb, w->words * sizeof(uint64_t),
	    w->pages, w->write_pct, w->half ? "half" : "random", o->nseq,
	    t->init + t->seq.secs + t->rand.secs + t->verify, t->init,
	    t->seq.secs, t->rand.secs, t->verify);
	mw_print_pass("seq", &t->seq);
	printf(",");
	mw_print_pass("rand", &t->rand);
	printf(",\"errors\":%" PRIu64 ",\"verified\":%s}\n", w->errors,
	    w->errors == 0 ? "true" : "false");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct mw_opts	 o = { .label = "", .nseq = 1, .maxs = 600 };
	struct mw	 w = { .write_pct = 30, .half = 1, .rng = 1 };
	struct mw_times	 t = { 0 };
	struct gms	*g;

	mw_options(argc, argv, &o, &w);
	if (mw_map(&o, &w, &g) == -1)
		return 1;
	if (mw_run(&o, &w, &t) == -1) {
		fprintf(stderr, "memwork: not done in --max-seconds %ld "
		    "(or out of memory)\n", o.maxs);
		return 1;
	}
	mw_print(&o, &w, &t);
	if (o.pause != NULL)
		mw_pause(&w, o.pause);
	if (g != NULL) {
		gms_unmap(g, w.mem);
		gms_disconnect(g);
	}
	free(t.seq.lat);
	free(t.rand.lat);
	free(t.loop.lat);
	free(w.ver);
	return w.errors == 0 ? 0 : 1;
}
