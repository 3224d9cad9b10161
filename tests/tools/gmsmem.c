/*
 * gmsmem: a workload for integration tests that keeps pages in GMS memory
 * through libgms and checks every byte it reads back.
 *
 *   gmsmem [--dir DIR] [--seed S] CMD...
 *
 * Commands run in order:
 *   map:N              gms_map N pages (the region the commands below use)
 *   write:A-B[:V]      write pages A..B of it with version V (default 1)
 *   read:A-B[:V]       verify pages A..B hold version V (0: zeros)
 *   check              verify every page of it against the version last
 *                      written by write or hammer (zeros if never)
 *   file:PATH          gms_map_file PATH
 *   fread:A-B          compare pages A..B of the file mapping with the file
 *   hammer:T:S:N       T threads for S seconds or N accesses in all, which
 *                      ever comes first (0: no limit of that kind); thread
 *                      t owns the pages p with p % T == t and writes them
 *                      or verifies them against what it wrote last
 *   pause              print "paused", wait for a line on stdin; a
 *                      command on that line (read:, write:, touch:...)
 *                      runs there and then (or EOF)
 *   sleep:MS           sleep MS milliseconds
 *   replay:FILE:NODE   the references of NODE in a gmssim trace file
 *                      ("time_us node pgno [r|w]" lines), as loads and
 *                      stores to the last map, in order
 *   touch:A-B:MS       read pages A..B over and over for MS milliseconds
 * --record FILE writes every page access (write, read, check, hammer) as a
 * gmssim trace ("time_us node pgno r|w", node from --record-node, 1 by
 * default): a real run's references, for bin/gmssim --trace.
 *                      (keeps them referenced, for the age sampler)
 *   unmap              gms_unmap the last mapping still mapped
 *
 * A page of version V > 0 is a header (magic, page number, version, seed,
 * checksum of the body) and a body of words from a generator keyed by
 * (seed, page, version); version 0 is a page of zeros.
 *
 * Exit status: 0 all checks passed, 1 some page had wrong content, 2 bad
 * command line, 3 a libgms call failed, 75 (GMS_EXIT_LOST) gmsd died.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/gms.h"


#define MEM_MAGIC	0x474d534d454d3031ULL	/* "GMSMEM01" */
#define MEM_MAXCMDS	256		/* commands on one command line */
#define MEM_MAXMAPS	64		/* mappings at once */
#define MEM_MAXPAGES	(1ULL << 28)	/* pages in one map */
#define MEM_MAXTHREADS	256
#define MEM_MAXSECONDS	86400
#define MEM_MAXMS	86400000ULL	/* longest sleep */
#define MEM_SHOWBAD	5		/* bad pages described per command */
#define MEM_CLOCK_EVERY	64		/* hammer accesses between clock reads */

#define EXIT_MISMATCH	1
#define EXIT_USAGE	2
#define EXIT_GMS	3

enum mem_op {
	OP_MAP, OP_WRITE, OP_READ, OP_CHECK, OP_FILE, OP_FREAD, OP_HAMMER,
	OP_PAUSE, OP_SLEEP, OP_UNMAP, OP_TOUCH, OP_REPLAY
};

struct mem_cmd {
	enum mem_op	 op;
	const char	*text;		/* as given, for messages */
	uint64_t	 a, b;		/* page range; map: count; sleep: ms */
	uint64_t	 ver;
	uint64_t	 threads, seconds, accesses;
	const char	*path;
};

struct mem_map {
	uint8_t		*base;
	size_t		 len;
	uint64_t	 npages;
	int		 file;
	const char	*path;
	uint64_t	*ver;		/* per page, last written (not file) */
};

struct mem_hdr {
	uint64_t	magic;
	uint64_t	pgno;
	uint64_t	version;
	uint64_t	seed;
	uint64_t	sum;		/* of the body */
};

struct hammer_arg {
	pthread_t	 thread;
	struct mem_map	*m;
	uint64_t	 t, nthreads;
	uint64_t	 accesses, writes, verifies, mismatches;
};

static struct gms	*mem_gms;
static size_t		 mem_ps;
static uint64_t		 mem_seed = 1;
/* --record FILE: every page access as a gmssim trace line */
static FILE			*mem_rec;
static pthread_mutex_t		 mem_rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timespec		 mem_rec_t0;
static unsigned long		 mem_rec_node = 1;

static void
rec(uint64_t pg, char rw)
{
	struct timespec	t;

	if (mem_rec == NULL)
		return;
	pthread_mutex_lock(&mem_rec_lock);
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(mem_rec, "%lld %lu %" PRIu64 " %c\n",
	    (long long)(t.tv_sec - mem_rec_t0.tv_sec) * 1000000 +
	    (t.tv_nsec - mem_rec_t0.tv_nsec) / 1000, mem_rec_node, pg, rw);
	pthread_mutex_unlock(&mem_rec_lock);
}
static struct mem_map	 mem_maps[MEM_MAXMAPS];
static int		 mem_nmaps;
static int		 mem_status;

/* Hammer state shared by its threads. */
static atomic_uint_fast64_t	 hammer_total;
static atomic_int		 hammer_stop;
static atomic_int		 hammer_shown;
static uint64_t			 hammer_limit;
static struct timespec		 hammer_end;
static int			 hammer_timed;

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "gmsmem: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: gmsmem [--dir DIR] [--seed S] "
	    "[--record FILE [--record-node N]] CMD...\n"
	    "  map:N write:A-B[:V] read:A-B[:V] check file:PATH fread:A-B\n"
	    "  hammer:THREADS:SECONDS:ACCESSES pause sleep:MS unmap "
	    "touch:A-B:MS\n");
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn))
gms_failed(const char *what)
{
	fprintf(stderr, "gmsmem: %s: %s\n", what, gms_error(mem_gms));
	exit(EXIT_GMS);
}

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Page pg at version ver > 0, written in place. */
static void
pat_fill(uint8_t *page, uint64_t pg, uint64_t ver)
{
	rec(pg, 'w');
	struct mem_hdr	 h;
	uint64_t	*w = (uint64_t *)(page + sizeof h);
	uint64_t	 key, sum = 0, x;
	size_t		 i, n = (mem_ps - sizeof h) / sizeof *w;

	key = mix64(mix64(mix64(mem_seed) ^ pg) ^ ver);
	for (i = 0; i < n; i++) {
		x = mix64(key + i);
		w[i] = x;
		sum = sum * 31 + x;
	}
	h.magic = MEM_MAGIC;
	h.pgno = pg;
	h.version = ver;
	h.seed = mem_seed;
	h.sum = sum;
	memcpy(page, &h, sizeof h);
}

/* 1 if page holds exactly page pg at version ver (0: zeros). */
static int
pat_check(const uint8_t *page, uint64_t pg, uint64_t ver)
{
	rec(pg, 'r');
	struct mem_hdr	 h;
	const uint64_t	*w = (const uint64_t *)(page + sizeof h);
	uint64_t	 key, sum = 0, x;
	size_t		 i, n = (mem_ps - sizeof h) / sizeof *w;

	if (ver == 0) {
		for (i = 0; i < mem_ps / sizeof *w; i++)
			if (((const uint64_t *)page)[i] != 0)
				return 0;
		return 1;
	}
	memcpy(&h, page, sizeof h);
	if (h.magic != MEM_MAGIC || h.pgno != pg || h.version != ver ||
	    h.seed != mem_seed)
		return 0;
	key = mix64(mix64(mix64(mem_seed) ^ pg) ^ ver);
	for (i = 0; i < n; i++) {
		x = mix64(key + i);
		if (w[i] != x)
			return 0;
		sum = sum * 31 + x;
	}
	return h.sum == sum;
}

/* What a page that failed its check against (pg, ver) holds, in words. */
static void
pat_describe(const uint8_t *page, uint64_t pg, uint64_t ver, char *buf,
    size_t len)
{
	struct mem_hdr	h;
	size_t		i;

	for (i = 0; i < mem_ps; i++)
		if (page[i] != 0)
			break;
	if (i == mem_ps) {
		snprintf(buf, len, "zeros");
		return;
	}
	memcpy(&h, page, sizeof h);
	if (h.magic != MEM_MAGIC)
		snprintf(buf, len, "garbage (first nonzero byte at %zu)", i);
	else if (h.pgno == pg && h.version == ver && h.seed == mem_seed)
		snprintf(buf, len, "its header but a damaged body");
	else
		snprintf(buf, len, "page %" PRIu64 " version %" PRIu64
		    " seed %" PRIu64, h.pgno, h.version, h.seed);
}

static void
report_bad(const uint8_t *page, uint64_t pg, uint64_t ver)
{
	char	found[128];

	pat_describe(page, pg, ver, found, sizeof found);
	printf("  page %" PRIu64 ": expected version %" PRIu64 ", found %s\n",
	    pg, ver, found);
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *v, const char **end)
{
	char			*e;
	unsigned long long	 x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &e, 10);
	if (errno != 0 || x > max)
		return -1;
	*v = x;
	*end = e;
	return 0;
}

/* "A-B" or "A-B:V" after the command name. */
static void
parse_range(struct mem_cmd *c, const char *s, int with_ver)
{
	const char	*e;

	if (parse_u64(s, MEM_MAXPAGES, &c->a, &e) == -1 || *e != '-' ||
	    parse_u64(e + 1, MEM_MAXPAGES, &c->b, &e) == -1)
		usage_error("%s: expected a page range A-B", c->text);
	c->ver = 1;
	if (with_ver && *e == ':' &&
	    parse_u64(e + 1, UINT64_MAX - 1, &c->ver, &e) == -1)
		usage_error("%s: expected a version number after the range",
		    c->text);
	if (*e != '\0')
		usage_error("%s: unexpected '%s'", c->text, e);
	if (c->a > c->b)
		usage_error("%s: the range is empty (A > B)", c->text);
}

static void
parse_hammer(struct mem_cmd *c, const char *s)
{
	const char	*e;

	if (parse_u64(s, MEM_MAXTHREADS, &c->threads, &e) == -1 ||
	    *e != ':' ||
	    parse_u64(e + 1, MEM_MAXSECONDS, &c->seconds, &e) == -1 ||
	    *e != ':' ||
	    parse_u64(e + 1, UINT64_MAX / 2, &c->accesses, &e) == -1)
		usage_error("%s: expected hammer:THREADS:SECONDS:ACCESSES[:W] "
		    "(THREADS 1..%d, SECONDS up to %d, W %% writes)", c->text,
		    MEM_MAXTHREADS, MEM_MAXSECONDS);
	c->ver = 50;
	if (*e == ':' && (parse_u64(e + 1, 100, &c->ver, &e) == -1))
		usage_error("%s: the write share W is a percentage", c->text);
	if (*e != '\0')
		usage_error("%s: unexpected '%s'", c->text, e);
	if (c->threads == 0)
		usage_error("%s: needs at least one thread", c->text);
	if (c->seconds == 0 && c->accesses == 0)
		usage_error("%s: give SECONDS or ACCESSES, or both", c->text);
}

static void
parse_cmd(struct mem_cmd *c, const char *s)
{
	const char	*e;

	memset(c, 0, sizeof *c);
	c->text = s;
	if (strncmp(s, "map:", 4) == 0) {
		c->op = OP_MAP;
		if (parse_u64(s + 4, MEM_MAXPAGES, &c->a, &e) == -1 ||
		    *e != '\0' || c->a == 0)
			usage_error("%s: expected map:NPAGES with NPAGES 1.."
			    "%llu", s, MEM_MAXPAGES);
	} else if (strncmp(s, "write:", 6) == 0) {
		c->op = OP_WRITE;
		parse_range(c, s + 6, 1);
		if (c->ver == 0)
			usage_error("%s: versions start at 1", s);
	} else if (strncmp(s, "read:", 5) == 0) {
		c->op = OP_READ;
		parse_range(c, s + 5, 1);
	} else if (strcmp(s, "check") == 0) {
		c->op = OP_CHECK;
	} else if (strncmp(s, "file:", 5) == 0) {
		c->op = OP_FILE;
		c->path = s + 5;
		if (*c->path == '\0')
			usage_error("%s: expected file:PATH", s);
	} else if (strncmp(s, "fread:", 6) == 0) {
		c->op = OP_FREAD;
		parse_range(c, s + 6, 0);
	} else if (strncmp(s, "hammer:", 7) == 0) {
		c->op = OP_HAMMER;
		parse_hammer(c, s + 7);
	} else if (strcmp(s, "pause") == 0) {
		c->op = OP_PAUSE;
	} else if (strncmp(s, "sleep:", 6) == 0) {
		c->op = OP_SLEEP;
		if (parse_u64(s + 6, MEM_MAXMS, &c->a, &e) == -1 || *e != '\0')
			usage_error("%s: expected sleep:MS (up to %llu)", s,
			    MEM_MAXMS);
	} else if (strcmp(s, "unmap") == 0) {
		c->op = OP_UNMAP;
	} else if (strncmp(s, "replay:", 7) == 0) {
		c->op = OP_REPLAY;
		c->path = s + 7;
		if ((e = strrchr(c->path, ':')) == NULL ||
		    parse_u64(e + 1, UINT32_MAX, &c->a, &e) == -1 ||
		    *e != '\0')
			usage_error("%s: expected replay:FILE:NODE", s);
	} else if (strncmp(s, "touch:", 6) == 0) {
		c->op = OP_TOUCH;
		parse_range(c, s + 6, 1);	/* the "version" is MS */
		if (c->ver > MEM_MAXMS)
			usage_error("%s: at most %llu ms", s, MEM_MAXMS);
	} else
		usage_error("unknown command '%s'", s);
}

/*
 * Walk the commands as a stack of mappings, so a command without the
 * mapping it needs, or a range past its end, is refused before we start.
 */
static void
check_cmds(const struct mem_cmd *cmds, int n)
{
	uint64_t	npages[MEM_MAXMAPS];	/* 0: a file mapping */
	int		i, k, top = 0;

	for (i = 0; i < n; i++) {
		const struct mem_cmd	*c = &cmds[i];

		switch (c->op) {
		case OP_MAP:
		case OP_FILE:
			if (top == MEM_MAXMAPS)
				usage_error("%s: more than %d mappings at once",
				    c->text, MEM_MAXMAPS);
			npages[top++] = c->op == OP_MAP ? c->a : 0;
			break;
		case OP_UNMAP:
			if (top == 0)
				usage_error("unmap: nothing is mapped");
			top--;
			break;
		case OP_WRITE:
		case OP_READ:
		case OP_CHECK:
		case OP_HAMMER:
		case OP_TOUCH:
		case OP_REPLAY:
			for (k = top - 1; k >= 0 && npages[k] == 0; k--)
				;
			if (k < 0)
				usage_error("%s: needs a map:N before it",
				    c->text);
			if ((c->op == OP_WRITE || c->op == OP_READ ||
			    c->op == OP_TOUCH) &&
			    c->b >= npages[k])
				usage_error("%s: the region has pages 0-%" PRIu64,
				    c->text, npages[k] - 1);
			break;
		case OP_FREAD:
			for (k = top - 1; k >= 0 && npages[k] != 0; k--)
				;
			if (k < 0)
				usage_error("%s: needs a file:PATH before it",
				    c->text);
			break;
		default:
			break;
		}
	}
}

static struct mem_map *
last_map(int file)
{
	int	k;

	for (k = mem_nmaps - 1; k >= 0; k--)
		if (mem_maps[k].file == file)
			return &mem_maps[k];
	abort();	/* check_cmds made sure */
}

static uint32_t
space_of(const void *base)
{
	uint32_t	space = 0;

	(void)gms_space(mem_gms, base, &space);
	return space;
}

static void
do_map(const struct mem_cmd *c)
{
	struct mem_map	*m = &mem_maps[mem_nmaps];

	if (c->a > SIZE_MAX / mem_ps)
		usage_error("%s: too large for this machine", c->text);
	m->npages = c->a;
	m->len = c->a * mem_ps;
	m->file = 0;
	if ((m->base = gms_map(mem_gms, m->len)) == NULL)
		gms_failed(c->text);
	if ((m->ver = calloc(m->npages, sizeof *m->ver)) == NULL) {
		fprintf(stderr, "gmsmem: out of memory\n");
		exit(EXIT_GMS);
	}
	mem_nmaps++;
	printf("mapped %" PRIu64 " pages of %zu bytes, space %" PRIu32 "\n",
	    m->npages, mem_ps, space_of(m->base));
}

static void
do_file(const struct mem_cmd *c)
{
	struct mem_map	*m = &mem_maps[mem_nmaps];

	m->file = 1;
	m->path = c->path;
	if ((m->base = gms_map_file(mem_gms, c->path, &m->len)) == NULL)
		gms_failed(c->text);
	m->npages = m->len / mem_ps;
	m->ver = NULL;
	mem_nmaps++;
	printf("mapped file %s: %" PRIu64 " pages of %zu bytes, space %"
	    PRIu32 "\n", c->path, m->npages, mem_ps, space_of(m->base));
}

static void
do_unmap(void)
{
	struct mem_map	*m = &mem_maps[mem_nmaps - 1];
	uint32_t	 space = space_of(m->base);

	if (gms_unmap(mem_gms, m->base) == -1)
		gms_failed("unmap");
	free(m->ver);
	mem_nmaps--;
	printf("unmapped space %" PRIu32 "\n", space);
}

static void
do_write(const struct mem_cmd *c)
{
	struct mem_map	*m = last_map(0);
	uint64_t	 pg;

	for (pg = c->a; pg <= c->b; pg++) {
		pat_fill(m->base + pg * mem_ps, pg, c->ver);
		m->ver[pg] = c->ver;
	}
	printf("wrote %" PRIu64 " pages, version %" PRIu64 "\n",
	    c->b - c->a + 1, c->ver);
}

/* read (every page at c->ver) and check (every page at its own). */
static void
do_read(const struct mem_cmd *c)
{
	struct mem_map	*m = last_map(0);
	uint64_t	 pg, a = c->a, b = c->b, ver, bad = 0;

	if (c->op == OP_CHECK) {
		a = 0;
		b = m->npages - 1;
	}
	for (pg = a; pg <= b; pg++) {
		ver = c->op == OP_CHECK ? m->ver[pg] : c->ver;
		if (pat_check(m->base + pg * mem_ps, pg, ver))
			continue;
		if (bad++ < MEM_SHOWBAD)
			report_bad(m->base + pg * mem_ps, pg, ver);
	}
	printf("verified %" PRIu64 " pages, %" PRIu64 " mismatches\n",
	    b - a + 1, bad);
	if (bad > 0)
		mem_status = EXIT_MISMATCH;
}

static void
do_fread(const struct mem_cmd *c)
{
	struct mem_map	*m = last_map(1);
	uint8_t		*buf, *page;
	uint64_t	 pg, bad = 0;
	ssize_t		 n;
	size_t		 i;
	int		 fd;

	if (c->b >= m->npages)
		usage_error("%s: %s has pages 0-%" PRIu64, c->text, m->path,
		    m->npages - 1);
	if ((fd = open(m->path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "gmsmem: %s: %s\n", m->path, strerror(errno));
		exit(EXIT_GMS);
	}
	if ((buf = malloc(mem_ps)) == NULL) {
		fprintf(stderr, "gmsmem: out of memory\n");
		exit(EXIT_GMS);
	}
	for (pg = c->a; pg <= c->b; pg++) {
		memset(buf, 0, mem_ps);
		n = pread(fd, buf, mem_ps, (off_t)(pg * mem_ps));
		if (n == -1) {
			fprintf(stderr, "gmsmem: read %s: %s\n", m->path,
			    strerror(errno));
			exit(EXIT_GMS);
		}
		page = m->base + pg * mem_ps;
		if (memcmp(page, buf, mem_ps) == 0)
			continue;
		if (bad++ < MEM_SHOWBAD) {
			for (i = 0; i < mem_ps && page[i] == buf[i]; i++)
				;
			for (n = 0; (size_t)n < mem_ps && page[n] == 0; n++)
				;
			printf("  page %" PRIu64 ": differs from the file at "
			    "byte %zu%s\n", pg, i,
			    (size_t)n == mem_ps ? ", found zeros" : "");
		}
	}
	close(fd);
	free(buf);
	printf("verified %" PRIu64 " pages, %" PRIu64 " mismatches\n",
	    c->b - c->a + 1, bad);
	if (bad > 0)
		mem_status = EXIT_MISMATCH;
}

static int
hammer_past_end(void)
{
	struct timespec	now;

	if (!hammer_timed)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > hammer_end.tv_sec ||
	    (now.tv_sec == hammer_end.tv_sec &&
	    now.tv_nsec >= hammer_end.tv_nsec);
}

static uint64_t	hammer_wpct = 50;	/* percent of accesses that write */

static void *
hammer_thread(void *arg)
{
	struct hammer_arg	*h = arg;
	struct mem_map		*m = h->m;
	uint64_t		 nown, rng, pg, k, i;
	uint8_t			*page;

	if (h->t >= m->npages)
		return NULL;
	nown = (m->npages - h->t + h->nthreads - 1) / h->nthreads;
	rng = mix64(mem_seed ^ mix64(h->t + 1));
	for (i = 0;; i++) {
		if (atomic_load(&hammer_stop))
			break;
		if (hammer_limit != 0 &&
		    atomic_fetch_add(&hammer_total, 1) >= hammer_limit)
			break;
		if (i % MEM_CLOCK_EVERY == 0 && hammer_past_end())
			break;
		rng = mix64(rng);
		k = (rng >> 1) % nown;
		pg = h->t + k * h->nthreads;
		page = m->base + pg * mem_ps;
		h->accesses++;
		if ((rng >> 40) % 100 < hammer_wpct) {
			pat_fill(page, pg, ++m->ver[pg]);
			h->writes++;
			continue;
		}
		h->verifies++;
		if (pat_check(page, pg, m->ver[pg]))
			continue;
		h->mismatches++;
		if (atomic_fetch_add(&hammer_shown, 1) < MEM_SHOWBAD)
			report_bad(page, pg, m->ver[pg]);
	}
	atomic_store(&hammer_stop, 1);
	return NULL;
}

static void
do_hammer(const struct mem_cmd *c)
{
	struct hammer_arg	*h;
	struct mem_map		*m = last_map(0);
	uint64_t		 t, acc = 0, wr = 0, ver = 0, bad = 0;
	int			 e;

	if ((h = calloc(c->threads, sizeof *h)) == NULL) {
		fprintf(stderr, "gmsmem: out of memory\n");
		exit(EXIT_GMS);
	}
	hammer_wpct = c->ver;
	atomic_store(&hammer_total, 0);
	atomic_store(&hammer_stop, 0);
	atomic_store(&hammer_shown, 0);
	hammer_limit = c->accesses;
	hammer_timed = c->seconds != 0;
	clock_gettime(CLOCK_MONOTONIC, &hammer_end);
	hammer_end.tv_sec += (time_t)c->seconds;
	for (t = 0; t < c->threads; t++) {
		h[t].m = m;
		h[t].t = t;
		h[t].nthreads = c->threads;
		if ((e = pthread_create(&h[t].thread, NULL, hammer_thread,
		    &h[t])) != 0) {
			fprintf(stderr, "gmsmem: pthread_create: %s\n",
			    strerror(e));
			exit(EXIT_GMS);
		}
	}
	for (t = 0; t < c->threads; t++) {
		pthread_join(h[t].thread, NULL);
		acc += h[t].accesses;
		wr += h[t].writes;
		ver += h[t].verifies;
		bad += h[t].mismatches;
	}
	free(h);
	printf("hammer: accesses %" PRIu64 ", writes %" PRIu64 ", verifies %"
	    PRIu64 ", mismatches %" PRIu64 "\n", acc, wr, ver, bad);
	if (bad > 0)
		mem_status = EXIT_MISMATCH;
}

static void	run_cmd(const struct mem_cmd *);

static void
do_pause(void)
{
	static char	line[256];
	struct mem_cmd	c;
	char		*nl;

	printf("paused\n");
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		return;
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	if (line[0] == '\0')
		return;
	/* a command given at the pause runs now (tests choose pages late) */
	parse_cmd(&c, line);
	if (c.op == OP_MAP || c.op == OP_FILE || c.op == OP_UNMAP ||
	    c.op == OP_PAUSE)
		usage_error("%s: not allowed at a pause", line);
	run_cmd(&c);
}

static void
do_sleep(uint64_t ms)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The references of one node of a trace file, in order. */
static void
do_replay(const struct mem_cmd *c)
{
	struct mem_map		*m = last_map(0);
	volatile uint8_t	*p = m->base;
	char			 path[4096], line[256], rw;
	unsigned long long	 t, node, pg;
	uint64_t		 refs = 0, sum = 0;
	size_t			 ps = gms_page_size(mem_gms), plen;
	FILE			*f;
	int			 k;

	plen = (size_t)(strrchr(c->path, ':') - c->path);
	if (plen >= sizeof path)
		usage_error("%s: path too long", c->text);
	memcpy(path, c->path, plen);
	path[plen] = '\0';
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "gmsmem: cannot open %s: %s\n", path,
		    strerror(errno));
		exit(EXIT_USAGE);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		rw = 'r';
		if (line[0] == '#' || line[0] == '\n')
			continue;
		k = sscanf(line, "%llu %llu %llu %c", &t, &node, &pg, &rw);
		if (k < 3 || node != c->a)
			continue;
		if (pg >= m->npages) {
			fprintf(stderr, "gmsmem: %s: page %llu past the "
			    "region\n", path, pg);
			exit(EXIT_USAGE);
		}
		if (rw == 'w')
			p[pg * ps + 8] = (uint8_t)refs;
		else
			sum += p[pg * ps];
		refs++;
	}
	fclose(f);
	printf("replayed %" PRIu64 " references of node %" PRIu64
	    " (sum %" PRIu64 ")\n", refs, c->a, sum & 0xff);
}

/* Read one byte of every page of the range, again and again, for a while. */
static void
do_touch(const struct mem_cmd *c)
{
	struct mem_map		*m = last_map(0);
	volatile uint8_t	*p = m->base;
	struct timespec		 t0, t;
	uint64_t		 pg, rounds = 0, sum = 0;
	size_t			 ps = gms_page_size(mem_gms);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (pg = c->a; pg <= c->b; pg++)
			sum += p[pg * ps];
		rounds++;
		do_sleep(5);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((int64_t)(t.tv_sec - t0.tv_sec) * 1000 +
	    (int64_t)(t.tv_nsec - t0.tv_nsec) / 1000000 < (int64_t)c->ver);
	printf("touched pages %" PRIu64 "-%" PRIu64 " %" PRIu64 " times "
	    "(sum %" PRIu64 ")\n", c->a, c->b, rounds, sum & 0xff);
}

static void
run_cmd(const struct mem_cmd *c)
{
	switch (c->op) {
	case OP_TOUCH:
		do_touch(c);
		break;
	case OP_REPLAY:
		do_replay(c);
		break;
	case OP_MAP:
		do_map(c);
		break;
	case OP_WRITE:
		do_write(c);
		break;
	case OP_READ:
	case OP_CHECK:
		do_read(c);
		break;
	case OP_FILE:
		do_file(c);
		break;
	case OP_FREAD:
		do_fread(c);
		break;
	case OP_HAMMER:
		do_hammer(c);
		break;
	case OP_PAUSE:
		do_pause();
		break;
	case OP_SLEEP:
		do_sleep(c->a);
		break;
	case OP_UNMAP:
		do_unmap();
		break;
	}
}

int
main(int argc, char **argv)
{
	static struct mem_cmd	 cmds[MEM_MAXCMDS];
	const char		*dir = NULL, *e;
	int			 i, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--record") == 0 && i + 1 < argc) {
			if ((mem_rec = fopen(argv[++i], "w")) == NULL) {
				fprintf(stderr, "gmsmem: cannot create %s: %s\n",
				    argv[i], strerror(errno));
				exit(EXIT_USAGE);
			}
			clock_gettime(CLOCK_MONOTONIC, &mem_rec_t0);
		} else if (strcmp(argv[i], "--record-node") == 0 &&
		    i + 1 < argc)
			mem_rec_node = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			if (parse_u64(argv[++i], UINT64_MAX, &mem_seed,
			    &e) == -1 || *e != '\0')
				usage_error("--seed: expected a number, not "
				    "'%s'", argv[i]);
		} else if (argv[i][0] == '-')
			usage_error("unknown option '%s'", argv[i]);
		else {
			if (n == MEM_MAXCMDS)
				usage_error("more than %d commands",
				    MEM_MAXCMDS);
			parse_cmd(&cmds[n++], argv[i]);
		}
	}
	if (n == 0)
		usage_error("no command");
	check_cmds(cmds, n);

	if ((mem_gms = gms_connect(dir)) == NULL) {
		fprintf(stderr, "gmsmem: %s\n", gms_error(NULL));
		return EXIT_GMS;
	}
	mem_ps = gms_page_size(mem_gms);
	printf("connected to node %" PRIu32 ", page size %zu\n",
	    gms_node(mem_gms), mem_ps);
	for (i = 0; i < n; i++)
		run_cmd(&cmds[i]);
	gms_disconnect(mem_gms);
	if (mem_rec != NULL && fclose(mem_rec) != 0)
		perror("gmsmem: --record");
	return mem_status;
}
