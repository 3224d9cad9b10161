/*
 * wl-synth: synthetic accesses over a region of GMS memory.
 *
 * Stands in for the paper's synthetic micro-benchmarks (a program that
 * touches its pages sequentially or at random, to show fault costs and
 * replacement apart from any application).  The paper's programs only
 * touched pages; this one keeps 4 KB blocks that carry a header (block
 * number, version, checksum of the body) and verifies every block it
 * reads, and its random accesses may be uniform or Zipf-skewed.
 *
 *   --pattern seq|uniform|zipf   which block each access goes to
 *   --zipf-s S                   Zipf exponent (0.99)
 *   --write F                    share of accesses that rewrite the block
 *   --ops N                      accesses (twice the blocks by default)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl.h"

#define SYN_MAGIC	0x53594e5448424c4bULL	/* "SYNTHBLK" */
#define SYN_WORDS	((WL_BLOCK - sizeof(struct syn_hdr)) / 8)

struct syn_hdr {
	uint64_t	magic;
	uint64_t	blkno;
	uint64_t	version;
	uint64_t	sum;		/* of the body */
};

struct syn_blk {
	struct syn_hdr	h;
	uint64_t	body[SYN_WORDS];
};

static const struct wl_prog syn_prog = {
	"synth", "uniform", WL_OPT_OPS | WL_OPT_PATTERN, 0, 0,
	"  --pattern: seq, uniform or zipf (uniform); --zipf-s: the Zipf "
	"exponent (0.99);\n  --write: share of accesses that rewrite the block "
	"(0.3); --ops: accesses\n  (twice the number of 4 KB blocks).\n"
};

static struct wl		 w;
static struct wl_region		*syn_r;
static struct syn_blk		*syn_b;
static uint64_t			 syn_n;
static uint32_t			*syn_ver;	/* expected versions */

/* The body of block b at version v, from the seed alone. */
static void
syn_fill(struct syn_blk *k, uint64_t b, uint64_t v)
{
	struct wl_rng	r;
	size_t		i;

	wl_rng_seed(&r, w.seed, b, v);
	for (i = 0; i < SYN_WORDS; i++)
		k->body[i] = wl_rand(&r);
	k->h.magic = SYN_MAGIC;
	k->h.blkno = b;
	k->h.version = v;
	k->h.sum = wl_hash(k->body, sizeof k->body, b ^ (v << 40));
}

/* Block b as read: header and checksum right.  0 if so. */
static int
syn_check(uint64_t b)
{
	struct syn_blk	*k = &syn_b[b];

	if (k->h.magic != SYN_MAGIC || k->h.blkno != b)
		return wl_corrupt(&w, syn_r, k, "block %" PRIu64 ": bad header",
		    b);
	if (wl_hash(k->body, sizeof k->body, b ^ (k->h.version << 40)) !=
	    k->h.sum)
		return wl_corrupt(&w, syn_r, k, "block %" PRIu64 ": checksum "
		    "mismatch", b);
	return 0;
}

static void
syn_run(void)
{
	struct wl_zipf	z;
	struct wl_rng	r;
	uint64_t	i, b;
	int		zipf = strcmp(w.pattern, "zipf") == 0;
	int		seq = strcmp(w.pattern, "seq") == 0;

	if (zipf)
		wl_zipf_init(&z, syn_n, w.zipf_s);
	wl_rng_seed(&r, w.seed, 0x72756e, 0);
	for (i = 0; i < w.ops && w.corrupt == 0; i++) {
		if (seq)
			b = i % syn_n;
		else if (zipf)
			b = wl_scatter(wl_zipf_next(&z, &r), syn_n);
		else
			b = wl_rand_below(&r, syn_n);
		if (syn_check(b))
			break;
		if (wl_rand01(&r) < w.write_frac) {
			syn_ver[b]++;
			syn_fill(&syn_b[b], b, syn_ver[b]);
		}
		w.checksum = wl_mix(w.checksum ^ syn_b[b].h.sum);
		w.done_ops++;
		if ((i & 1023) == 0)
			wl_progress(&w, i, w.ops);
	}
}

/* Every block against its checksum and against the seed. */
static void
syn_verify(void)
{
	struct syn_blk	*want = malloc(sizeof *want);
	const void	*at;
	uint64_t	 b;

	if (want == NULL)
		wl_die(&w, WL_EXIT_GMS, "out of memory");
	for (b = 0; b < syn_n; b++) {
		if (syn_check(b))
			continue;
		syn_fill(want, b, syn_ver[b]);
		if ((at = wl_diff(&syn_b[b], want, sizeof *want)) != NULL)
			wl_corrupt(&w, syn_r, at, "block %" PRIu64 " differs "
			    "from version %u of it", b, syn_ver[b]);
		w.checksum = wl_mix(w.checksum ^ syn_b[b].h.sum);
		if ((b & 1023) == 0)
			wl_progress(&w, b, syn_n);
	}
	free(want);
}

int
main(int argc, char **argv)
{
	uint64_t	b;

	wl_init(&w, &syn_prog, argc, argv);
	syn_n = wl_bytes(&w) / WL_BLOCK;
	if (w.ops == 0)
		w.ops = 2 * syn_n;
	if ((syn_ver = calloc(syn_n, sizeof *syn_ver)) == NULL)
		wl_die(&w, WL_EXIT_GMS, "out of memory");
	syn_r = wl_map(&w, "region", wl_bytes(&w));
	syn_b = wl_base(syn_r);
	for (b = 0; b < syn_n; b++) {
		syn_fill(&syn_b[b], b, 0);
		if ((b & 1023) == 0)
			wl_progress(&w, b, syn_n);
	}
	wl_build_done(&w);
	syn_run();
	wl_run_done(&w);
	syn_verify();
	wl_unmap(&w, syn_r);
	wl_finish(&w);
}
