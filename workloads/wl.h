/*
 * wl.h: what the workload programs (bin/wl-*) share: the command line,
 * the regions they keep their data in (GMS memory through libgms, or
 * plain memory with --plain, for the kernel-swap baseline), a
 * deterministic generator, a 64-bit hash for checksums, a Zipf sampler,
 * timing, progress, corruption reports and the final report (a readable
 * summary or one JSON line).
 *
 * A program runs three phases: build (write its data, with checksums),
 * run (the workload proper; it verifies what it reads) and verify (re-read
 * everything, check it against its checksums and against values
 * recomputed from the seed).  A corruption found in any phase is reported
 * with its page and object, and the program ends with WL_EXIT_CORRUPT.
 */
#ifndef WL_WL_H
#define WL_WL_H

#include <stddef.h>
#include <stdint.h>

#define WL_EXIT_OK	0
#define WL_EXIT_CORRUPT	1	/* some data read back wrong */
#define WL_EXIT_USAGE	2	/* bad command line */
#define WL_EXIT_GMS	3	/* a libgms call failed */

#define WL_MAX_MB	(1ULL << 20)	/* largest --size: 1 TiB */
#define WL_BLOCK	4096		/* unit of the block-structured data */
#define WL_SHOW_CORRUPT	5		/* corruptions described on stderr */

/* Which optional options a program takes (struct wl_prog.opts). */
#define WL_OPT_OPS	0x01	/* --ops N */
#define WL_OPT_PASSES	0x02	/* --passes N */
#define WL_OPT_PATTERN	0x04	/* --pattern, --zipf-s, --write */
#define WL_OPT_FILE	0x08	/* --file PATH (file-backed data) */
#define WL_OPT_ZIPF	0x10	/* --zipf-s alone */

struct wl_prog {
	const char	*name;		/* "oo7": program wl-oo7 */
	const char	*pattern;	/* its access pattern, for the report */
	int		 opts;		/* WL_OPT_* it accepts */
	uint64_t	 def_ops;	/* 0: computed by the program */
	uint64_t	 def_passes;
	const char	*usage;		/* its own options, for --help */
};

struct wl_region;

struct wl {
	const struct wl_prog *prog;
	/* the command line */
	uint64_t	 size_mb;
	uint64_t	 seed;
	uint64_t	 ops;		/* 0 if not given */
	uint64_t	 passes;	/* 0 if not given */
	const char	*dir;
	const char	*file;
	const char	*pattern;	/* synth: seq, uniform, zipf */
	double		 zipf_s;
	double		 write_frac;	/* synth: share of writes */
	int		 plain, json, quiet, pause;
	/* the run */
	size_t		 page_size;
	uint64_t	 done_ops;
	uint64_t	 checksum;
	uint64_t	 corrupt;	/* corrupt pages found */
	uint64_t	 t0, t_build, t_run, t_verify;	/* ns */
	uint64_t	 t_progress;
	const char	*phase;
};

/* Parse the command line; on a bad one, one sentence and exit 2. */
void	 wl_init(struct wl *, const struct wl_prog *, int, char **);
uint64_t wl_bytes(const struct wl *);		/* --size in bytes */

/*
 * Regions: GMS memory (gms_map) or, with --plain, anonymous memory.  A
 * failed libgms call ends the program with WL_EXIT_GMS.
 */
struct wl_region *wl_map(struct wl *, const char *name, size_t len);
/* A file, read-only: gms_map_file, or mmap with --plain. */
struct wl_region *wl_map_file(struct wl *, const char *name,
		     const char *path, size_t *len);
void	*wl_base(const struct wl_region *);
void	 wl_unmap(struct wl *, struct wl_region *);

/*
 * Report that the object at addr in region r (what: "atomic part 17")
 * read back wrong; counts the page once.  Returns 1, so that callers can
 * write "return wl_corrupt(...)".
 */
int	 wl_corrupt(struct wl *, struct wl_region *, const void *addr,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* First byte where got and want differ (len bytes); NULL if equal. */
const void *wl_diff(const void *got, const void *want, size_t len);

/* Phases: build, then (pause), run, verify; wl_finish reports and exits. */
void	 wl_build_done(struct wl *);
void	 wl_run_done(struct wl *);
void	 __attribute__((noreturn)) wl_finish(struct wl *);
/* A progress line on stderr every few seconds (not with --quiet). */
void	 wl_progress(struct wl *, uint64_t done, uint64_t total);
/* A sentence on stderr and exit status (for a file that cannot be made). */
void	 __attribute__((noreturn, format(printf, 3, 4)))
	 wl_die(struct wl *, int status, const char *fmt, ...);

/*
 * The data file of a file-backed program: path (--file, or a name under
 * $TMPDIR made from the program, size and seed) holds len bytes starting
 * with the hdrlen bytes hdr, or gen writes it to a temporary name that is
 * then renamed into place (several programs may start at once).  Returns
 * 1 if it was made, 0 if an existing one was kept.
 */
const char *wl_file_path(struct wl *);
int	 wl_file_make(struct wl *, uint64_t len, const void *hdr,
	    size_t hdrlen, void (*gen)(struct wl *, int fd, void *), void *);
void	 wl_write(struct wl *, int fd, const void *, size_t);

/* Deterministic generator: splitmix64. */
struct wl_rng {
	uint64_t	s;
};
void	 wl_rng_seed(struct wl_rng *, uint64_t seed, uint64_t stream,
	    uint64_t idx);
uint64_t wl_rand(struct wl_rng *);
uint64_t wl_rand_below(struct wl_rng *, uint64_t n);	/* [0, n) */
double	 wl_rand01(struct wl_rng *);			/* [0, 1) */

uint64_t wl_mix(uint64_t);
/* A fast 64-bit hash of len bytes (8-byte words, then the tail). */
uint64_t wl_hash(const void *, size_t len, uint64_t seed);

/* Zipf ranks 0..n-1 with exponent s > 0 (rejection-inversion). */
struct wl_zipf {
	uint64_t	n;
	double		s, hx1, hn, sc;
};
void	 wl_zipf_init(struct wl_zipf *, uint64_t n, double s);
uint64_t wl_zipf_next(const struct wl_zipf *, struct wl_rng *);
/* A bijection of [0, n) that scatters Zipf ranks over the keys. */
uint64_t wl_scatter(uint64_t rank, uint64_t n);

#endif
