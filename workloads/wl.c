/*
 * wl.c: the code the workload programs share (see wl.h).
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/gms.h"
#include "workloads/wl.h"

#define WL_PROGRESS_NS	3000000000ULL	/* between progress lines */
#define WL_DEFAULT_DIR	"/tmp/gmsd-7070"	/* libgms's default */

struct wl_region {
	const char	*name;
	uint8_t		*base;
	size_t		 len;
	int		 gms;		/* mapped through libgms */
	uint8_t		*bad;		/* a bit per page reported corrupt */
};

static struct gms	*wl_gms;

static uint64_t
wl_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void
wl_die(struct wl *w, int status, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "wl-%s: ", w->prog->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void
wl_usage(const struct wl_prog *p)
{
	printf("usage: wl-%s --size MB [--seed S]%s%s [--dir DIR] [--plain] "
	    "[--json] [--quiet] [--pause-after-build]%s%s\n", p->name,
	    p->opts & WL_OPT_OPS ? " [--ops N]" : "",
	    p->opts & WL_OPT_PASSES ? " [--passes N]" : "",
	    p->opts & WL_OPT_FILE ? " [--file PATH]" : "",
	    p->opts & WL_OPT_PATTERN ? " [--pattern seq|uniform|zipf] "
	    "[--zipf-s S] [--write F]" : p->opts & WL_OPT_ZIPF ?
	    " [--zipf-s S]" : "");
	if (p->usage != NULL)
		printf("%s", p->usage);
	printf("Exit status: 0 verified, 1 corrupted data, 2 bad command "
	    "line, 3 a libgms call failed, 75 gmsd died.\n");
}

static uint64_t
wl_num(struct wl *w, const char *opt, const char *s, uint64_t max)
{
	unsigned long long	v;
	char			*end;

	errno = 0;
	if (s == NULL || *s == '\0' || *s == '-' ||
	    (v = strtoull(s, &end, 10), errno != 0) || *end != '\0')
		wl_die(w, WL_EXIT_USAGE, "%s needs a whole number, not "
		    "\"%s\".", opt, s ? s : "");
	if (v == 0 || v > max)
		wl_die(w, WL_EXIT_USAGE, "%s must be between 1 and %" PRIu64
		    ", not %llu.", opt, max, v);
	return v;
}

static double
wl_real(struct wl *w, const char *opt, const char *s, double lo, double hi)
{
	double	 v;
	char	*end;

	errno = 0;
	if (s == NULL || *s == '\0' || (v = strtod(s, &end), errno != 0) ||
	    *end != '\0' || !(v >= lo && v <= hi))
		wl_die(w, WL_EXIT_USAGE, "%s needs a number from %g to %g, "
		    "not \"%s\".", opt, lo, hi, s ? s : "");
	return v;
}

static const char *
wl_dir(const struct wl *w)
{
	const char	*d;

	if (w->dir != NULL)
		return w->dir;
	d = getenv("GMSD_DIR");
	return d != NULL && *d != '\0' ? d : WL_DEFAULT_DIR;
}

/* Room for the data: the backing store's file system, or RAM + swap. */
static void
wl_check_room(struct wl *w)
{
	struct statvfs	vfs;
	struct sysinfo	si;
	uint64_t	room;

	if (w->plain) {
		if (sysinfo(&si) == -1)
			return;
		room = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
		if (wl_bytes(w) > room)
			wl_die(w, WL_EXIT_USAGE, "--size %" PRIu64 " MB is more "
			    "than this machine's memory and swap (%" PRIu64
			    " MB).", w->size_mb, room >> 20);
		return;
	}
	if (statvfs(wl_dir(w), &vfs) == -1)
		return;		/* no gmsd there: gms_connect says so */
	room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (wl_bytes(w) > room)
		wl_die(w, WL_EXIT_USAGE, "--size %" PRIu64 " MB does not fit "
		    "the backing store in %s (%" PRIu64 " MB free).",
		    w->size_mb, wl_dir(w), room >> 20);
}

/* The value of option argv[*i] (--opt V or --opt=V). */
static const char *
wl_optval(struct wl *w, int argc, char **argv, int *i, const char *eq)
{
	if (eq != NULL)
		return eq + 1;
	if (*i + 1 >= argc)
		wl_die(w, WL_EXIT_USAGE, "%s needs a value; see wl-%s --help.",
		    argv[*i], w->prog->name);
	return argv[++*i];
}

static void
wl_parse(struct wl *w, int argc, char **argv)
{
	const struct wl_prog	*p = w->prog;
	const char		*a, *eq, *v;
	size_t			 n;
	int			 i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		eq = strchr(a, '=');
		n = eq != NULL ? (size_t)(eq - a) : strlen(a);
#define IS(name)	(strlen(name) == n && strncmp(a, name, n) == 0)
#define VAL()		(v = wl_optval(w, argc, argv, &i, eq))
		if (IS("--help") || IS("-h")) {
			wl_usage(p);
			exit(0);
		} else if (IS("--size"))
			w->size_mb = wl_num(w, "--size", VAL(), WL_MAX_MB);
		else if (IS("--seed")) {
			VAL();
			w->seed = strcmp(v, "0") == 0 ? 0 :
			    wl_num(w, "--seed", v, UINT64_MAX);
		} else if (IS("--ops") && (p->opts & WL_OPT_OPS))
			w->ops = wl_num(w, "--ops", VAL(), 1ULL << 40);
		else if (IS("--passes") && (p->opts & WL_OPT_PASSES))
			w->passes = wl_num(w, "--passes", VAL(), 1000000);
		else if (IS("--dir"))
			w->dir = VAL();
		else if (IS("--file") && (p->opts & WL_OPT_FILE))
			w->file = VAL();
		else if (IS("--pattern") && (p->opts & WL_OPT_PATTERN)) {
			w->pattern = VAL();
			if (strcmp(v, "seq") != 0 && strcmp(v, "uniform") != 0 &&
			    strcmp(v, "zipf") != 0)
				wl_die(w, WL_EXIT_USAGE, "--pattern is seq, "
				    "uniform or zipf, not \"%s\".", v);
		} else if (IS("--zipf-s") &&
		    (p->opts & (WL_OPT_PATTERN | WL_OPT_ZIPF)))
			w->zipf_s = wl_real(w, "--zipf-s", VAL(), 0.01, 10);
		else if (IS("--write") && (p->opts & WL_OPT_PATTERN))
			w->write_frac = wl_real(w, "--write", VAL(), 0, 1);
		else if (IS("--plain") && eq == NULL)
			w->plain = 1;
		else if (IS("--json") && eq == NULL)
			w->json = 1;
		else if (IS("--quiet") && eq == NULL)
			w->quiet = 1;
		else if (IS("--pause-after-build") && eq == NULL)
			w->pause = 1;
		else if (a[0] != '-')
			wl_die(w, WL_EXIT_USAGE, "unexpected argument \"%s\" "
			    "(the size is given as --size MB).", a);
		else
			wl_die(w, WL_EXIT_USAGE, "unknown option \"%s\"; see "
			    "wl-%s --help.", a, p->name);
#undef IS
#undef VAL
	}
	if (w->size_mb == 0)
		wl_die(w, WL_EXIT_USAGE, "--size MB is required (the data "
		    "size in megabytes, at least 1).");
}

void
wl_init(struct wl *w, const struct wl_prog *p, int argc, char **argv)
{
	memset(w, 0, sizeof *w);
	w->prog = p;
	w->seed = 1;
	w->zipf_s = 0.99;
	w->write_frac = 0.3;
	w->pattern = p->pattern;
	w->phase = "build";
	wl_parse(w, argc, argv);
	if (w->ops == 0)
		w->ops = p->def_ops;
	if (w->passes == 0)
		w->passes = p->def_passes;
	wl_check_room(w);
	setvbuf(stdout, NULL, _IOLBF, 0);
	w->t0 = wl_now();
	w->t_progress = w->t0;
	if (w->plain) {
		w->page_size = (size_t)sysconf(_SC_PAGESIZE);
		return;
	}
	if ((wl_gms = gms_connect(w->dir)) == NULL)
		wl_die(w, WL_EXIT_GMS, "%s", gms_error(NULL));
	w->page_size = gms_page_size(wl_gms);
}

uint64_t
wl_bytes(const struct wl *w)
{
	return w->size_mb << 20;
}

static struct wl_region *
wl_region_new(struct wl *w, const char *name, void *base, size_t len)
{
	struct wl_region	*r;
	size_t			 pages = (len + w->page_size - 1) / w->page_size;

	if ((r = calloc(1, sizeof *r)) == NULL ||
	    (r->bad = calloc(pages / 8 + 1, 1)) == NULL)
		wl_die(w, WL_EXIT_GMS, "out of memory");
	r->name = name;
	r->base = base;
	r->len = len;
	r->gms = !w->plain;
	return r;
}

struct wl_region *
wl_map(struct wl *w, const char *name, size_t len)
{
	void	*p;

	if (w->plain) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			wl_die(w, WL_EXIT_GMS, "cannot map %zu bytes for the "
			    "%s: %s", len, name, strerror(errno));
	} else if ((p = gms_map(wl_gms, len)) == NULL)
		wl_die(w, WL_EXIT_GMS, "%s", gms_error(wl_gms));
	return wl_region_new(w, name, p, len);
}

struct wl_region *
wl_map_file(struct wl *w, const char *name, const char *path, size_t *len)
{
	struct stat	 sb;
	void		*p;
	int		 fd;

	if (!w->plain) {
		if ((p = gms_map_file(wl_gms, path, len)) == NULL)
			wl_die(w, WL_EXIT_GMS, "%s", gms_error(wl_gms));
		return wl_region_new(w, name, p, *len);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || sb.st_size == 0)
		wl_die(w, WL_EXIT_GMS, "cannot map %s: %s", path,
		    fd == -1 ? strerror(errno) : "empty file");
	*len = (size_t)sb.st_size;
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		wl_die(w, WL_EXIT_GMS, "cannot map %s: %s", path,
		    strerror(errno));
	return wl_region_new(w, name, p, *len);
}

void *
wl_base(const struct wl_region *r)
{
	return r->base;
}

void
wl_unmap(struct wl *w, struct wl_region *r)
{
	if (r->gms) {
		if (gms_unmap(wl_gms, r->base) == -1)
			wl_die(w, WL_EXIT_GMS, "%s", gms_error(wl_gms));
	} else
		munmap(r->base, r->len);
	free(r->bad);
	free(r);
}

int
wl_corrupt(struct wl *w, struct wl_region *r, const void *addr,
    const char *fmt, ...)
{
	va_list		ap;
	size_t		off = (size_t)((const uint8_t *)addr - r->base);
	size_t		pg = off / w->page_size;

	if (r->bad[pg / 8] & (1u << (pg % 8)))
		return 1;
	r->bad[pg / 8] |= (uint8_t)(1u << (pg % 8));
	if (w->corrupt++ < WL_SHOW_CORRUPT) {
		fprintf(stderr, "wl-%s: corrupted data in the %s phase: page "
		    "%zu of the %s (offset %zu): ", w->prog->name, w->phase,
		    pg, r->name, off);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	return 1;
}

const void *
wl_diff(const void *got, const void *want, size_t len)
{
	const uint8_t	*g = got, *x = want;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (g[i] != x[i])
			return g + i;
	return NULL;
}

void
wl_progress(struct wl *w, uint64_t done, uint64_t total)
{
	uint64_t	now;

	if (w->quiet)
		return;
	now = wl_now();
	if (now - w->t_progress < WL_PROGRESS_NS)
		return;
	w->t_progress = now;
	fprintf(stderr, "wl-%s: %s %" PRIu64 "/%" PRIu64 " (%.0f %%), %.1f s\n",
	    w->prog->name, w->phase, done, total,
	    total ? 100.0 * (double)done / (double)total : 0.0,
	    (double)(now - w->t0) / 1e9);
}

void
wl_build_done(struct wl *w)
{
	char	line[256];

	w->t_build = wl_now() - w->t0;
	if (w->pause) {
		printf("paused\n");
		fflush(stdout);
		if (fgets(line, sizeof line, stdin) == NULL)
			clearerr(stdin);
	}
	w->t_run = wl_now();	/* the run's start, until wl_run_done */
	w->phase = "run";
}

void
wl_run_done(struct wl *w)
{
	w->t_verify = wl_now();
	w->t_run = w->t_verify - w->t_run;
	w->phase = "verify";
}

void
wl_finish(struct wl *w)
{
	struct rusage	ru;
	uint64_t	end = wl_now();
	double		el, bs, rs, vs;
	int		ok = w->corrupt == 0;

	if (wl_gms != NULL)
		gms_disconnect(wl_gms);
	getrusage(RUSAGE_SELF, &ru);
	vs = (double)(end - w->t_verify) / 1e9;
	bs = (double)w->t_build / 1e9;
	rs = (double)w->t_run / 1e9;
	el = bs + rs + vs;
	if (w->json)
		printf("{\"workload\":\"%s\",\"size_mb\":%" PRIu64 ",\"seed\":%"
		    PRIu64 ",\"pattern\":\"%s\",\"mode\":\"%s\",\"page_size\":%zu,"
		    "\"elapsed_s\":%.6f,\"build_s\":%.6f,\"run_s\":%.6f,"
		    "\"verify_s\":%.6f,\"ops\":%" PRIu64 ",\"checksum\":\"%016"
		    PRIx64 "\",\"verified\":%s,\"corrupt_pages\":%" PRIu64
		    ",\"minflt\":%ld,\"majflt\":%ld}\n", w->prog->name,
		    w->size_mb, w->seed, w->pattern, w->plain ? "plain" : "gms",
		    w->page_size, el, bs, rs, vs, w->done_ops, w->checksum,
		    ok ? "true" : "false", w->corrupt, ru.ru_minflt,
		    ru.ru_majflt);
	else
		printf("wl-%s: %s, %" PRIu64 " MB, seed %" PRIu64 ", %s memory: "
		    "%" PRIu64 " ops; build %.3f s, run %.3f s, verify %.3f s "
		    "(%.3f s in all); checksum %016" PRIx64 ", %s; %ld minor "
		    "and %ld major faults\n", w->prog->name, w->pattern,
		    w->size_mb, w->seed, w->plain ? "plain" : "GMS",
		    w->done_ops, bs, rs, vs, el, w->checksum,
		    ok ? "verified" : "CORRUPTED", ru.ru_minflt, ru.ru_majflt);
	if (!ok)
		fprintf(stderr, "wl-%s: %" PRIu64 " corrupt pages\n",
		    w->prog->name, w->corrupt);
	if (!ok && (w->prog->opts & WL_OPT_FILE))
		fprintf(stderr, "wl-%s: %s is kept as it is; delete it to "
		    "have it made from the seed again\n", w->prog->name,
		    wl_file_path(w));
	fflush(stdout);
	exit(ok ? WL_EXIT_OK : WL_EXIT_CORRUPT);
}

const char *
wl_file_path(struct wl *w)
{
	static char	 path[4096];
	const char	*t = getenv("TMPDIR");

	if (w->file != NULL)
		return w->file;
	snprintf(path, sizeof path, "%s/wl-%s-%" PRIu64 "M-seed%" PRIu64
	    ".dat", t != NULL && *t != '\0' ? t : "/tmp", w->prog->name,
	    w->size_mb, w->seed);
	return path;
}

void
wl_write(struct wl *w, int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			wl_die(w, WL_EXIT_GMS, "cannot write %s: %s",
			    wl_file_path(w), n < 0 ? strerror(errno) :
			    "short write");
		p += n;
		len -= (size_t)n;
	}
}

/* Does path hold len bytes starting with hdr? */
static int
wl_file_ok(const char *path, uint64_t len, const void *hdr, size_t hdrlen)
{
	struct stat	 sb;
	uint8_t		 buf[512];
	int		 fd, ok;

	if (hdrlen > sizeof buf || (fd = open(path, O_RDONLY | O_CLOEXEC)) ==
	    -1)
		return 0;
	ok = fstat(fd, &sb) == 0 && (uint64_t)sb.st_size == len &&
	    pread(fd, buf, hdrlen, 0) == (ssize_t)hdrlen &&
	    memcmp(buf, hdr, hdrlen) == 0;
	close(fd);
	return ok;
}

int
wl_file_make(struct wl *w, uint64_t len, const void *hdr, size_t hdrlen,
    void (*gen)(struct wl *, int, void *), void *arg)
{
	const char	*path = wl_file_path(w);
	char		 tmp[4200], dir[4096], *slash;
	struct statvfs	 vfs;
	int		 fd;

	if (wl_file_ok(path, len, hdr, hdrlen))
		return 0;
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	if (statvfs(dir, &vfs) == 0 &&
	    len > (uint64_t)vfs.f_bavail * vfs.f_frsize)
		wl_die(w, WL_EXIT_USAGE, "--size %" PRIu64 " MB does not fit "
		    "in %s (%" PRIu64 " MB free).", w->size_mb, dir,
		    ((uint64_t)vfs.f_bavail * vfs.f_frsize) >> 20);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		wl_die(w, WL_EXIT_USAGE, "cannot create %s: %s.", tmp,
		    strerror(errno));
	gen(w, fd, arg);
	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		wl_die(w, WL_EXIT_GMS, "cannot write %s: %s", path,
		    strerror(errno));
	}
	return 1;
}

void
wl_rng_seed(struct wl_rng *r, uint64_t seed, uint64_t stream, uint64_t idx)
{
	r->s = wl_mix(wl_mix(seed ^ 0x5741594c4f414453ULL) + stream) ^
	    wl_mix(idx + 0x9e3779b97f4a7c15ULL);
}

uint64_t
wl_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t
wl_rand(struct wl_rng *r)
{
	return wl_mix(r->s += 0x9e3779b97f4a7c15ULL);
}

uint64_t
wl_rand_below(struct wl_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)wl_rand(r) * n) >> 64);
}

double
wl_rand01(struct wl_rng *r)
{
	return (double)(wl_rand(r) >> 11) * 0x1.0p-53;
}

static inline uint64_t
wl_mum(uint64_t a, uint64_t b)
{
	unsigned __int128	r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

#define WL_ROTL(x, r)	(((x) << (r)) | ((x) >> (64 - (r))))

/*
 * Four independent lanes of 16 bytes (a 64x64->128 multiply each, folded),
 * rotated between rounds so that moved data changes the hash; then the
 * tail byte by byte.  About 0.1 ns a byte.
 */
uint64_t
wl_hash(const void *p, size_t len, uint64_t seed)
{
	static const uint64_t	k[8] = {
		0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL,
		0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL,
		0x1d8e4e27c47d124fULL, 0x9e3779b97f4a7c15ULL,
		0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL };
	const uint8_t		*b = p;
	uint64_t		 h0, h1, h2, h3, x[8], r;
	size_t			 i;

	h0 = seed ^ k[0] ^ len;
	h1 = seed ^ k[1] ^ len;
	h2 = seed ^ k[2] ^ len;
	h3 = seed ^ k[3] ^ len;
	for (i = 0; i + 64 <= len; i += 64) {
		memcpy(x, b + i, 64);
		h0 = WL_ROTL(h0, 23) + wl_mum(x[0] ^ k[0], x[1] ^ k[1]);
		h1 = WL_ROTL(h1, 23) + wl_mum(x[2] ^ k[2], x[3] ^ k[3]);
		h2 = WL_ROTL(h2, 23) + wl_mum(x[4] ^ k[4], x[5] ^ k[5]);
		h3 = WL_ROTL(h3, 23) + wl_mum(x[6] ^ k[6], x[7] ^ k[7]);
	}
	r = wl_mix(h0) ^ wl_mix(h1 + k[4]) ^ wl_mix(h2 + k[5]) ^
	    wl_mix(h3 + k[6]);
	for (; i < len; i++)
		r = (r ^ b[i]) * 0x100000001b3ULL;
	return wl_mix(r);
}

/* Rejection-inversion sampling (Hoermann and Derflinger, 1996). */
static double
wl_zh1(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 -
	    0.25 * x));
}

static double
wl_zh2(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 *
	    (1 + 0.25 * x));
}

static double
wl_zh(const struct wl_zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double
wl_zhint(const struct wl_zipf *z, double x)
{
	double	lx = log(x);

	return wl_zh2((1 - z->s) * lx) * lx;
}

static double
wl_zhinv(const struct wl_zipf *z, double x)
{
	double	t = x * (1 - z->s);

	if (t < -1)
		t = -1;
	return exp(wl_zh1(t) * x);
}

void
wl_zipf_init(struct wl_zipf *z, uint64_t n, double s)
{
	z->n = n;
	z->s = s;
	z->hx1 = wl_zhint(z, 1.5) - 1;
	z->hn = wl_zhint(z, (double)n + 0.5);
	z->sc = 2 - wl_zhinv(z, wl_zhint(z, 2.5) - wl_zh(z, 2));
}

uint64_t
wl_zipf_next(const struct wl_zipf *z, struct wl_rng *r)
{
	double		u, x;
	uint64_t	k;
	int		tries;

	for (tries = 0; tries < 1000; tries++) {
		u = z->hn + wl_rand01(r) * (z->hx1 - z->hn);
		x = wl_zhinv(z, u);
		k = x < 1.5 ? 1 : (uint64_t)(x + 0.5);
		if (k > z->n)
			k = z->n;
		if ((double)k - x <= z->sc ||
		    u >= wl_zhint(z, (double)k + 0.5) - wl_zh(z, (double)k))
			return k - 1;
	}
	return 0;	/* not reached in practice: acceptance is > 90 % */
}

uint64_t
wl_scatter(uint64_t rank, uint64_t n)
{
	static uint64_t	last_n, last_m;	/* the multiplier of the last n */
	uint64_t	m, a, b, t;

	if (n != last_n) {	/* a multiplier coprime with n: a bijection */
		for (m = 0x9e3779b97f4a7c15ULL % n; ; m++) {
			if (m == 0)
				continue;
			for (a = m, b = n; b != 0; t = a % b, a = b, b = t)
				;
			if (a == 1)
				break;
		}
		last_n = n;
		last_m = m;
	}
	return (uint64_t)(((unsigned __int128)rank * last_m) % n);
}
