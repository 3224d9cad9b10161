/*
 * wl-compile: a compile-and-link job over many small files in GMS memory.
 *
 * Stands in for the paper's compile-and-link workload (a build of a large
 * program whose last step, the link (Ld), reads every object file and
 * writes one executable).  Here the "source files" are 2 to 49 KB of words
 * from the seed, each behind a header with its checksum; compiling one
 * reads it, verifies it and writes an "object file" of the same length
 * (each word transformed); the link step then reads every object, verifies
 * it and appends its first half (its text), relocated by where it lands,
 * to one output, checksummed per 4 KB block.  Unlike a real build: no
 * parsing, no symbol resolution, no file system (the files live in one
 * region), and one process instead of a make of many.
 *
 *   --passes N   compile-and-link runs over the same sources (1)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl.h"

#define CC_SRC_MAGIC	0x5743534f55524345ULL	/* "WCSOURCE" */
#define CC_OBJ_MAGIC	0x5743434f424a4543ULL	/* "WCCOBJEC" */
#define CC_MIN		2048		/* smallest source file, bytes */
#define CC_SPREAD	(47 * 1024)	/* sizes from CC_MIN to this more */

struct cc_file {		/* a source or object file */
	uint64_t	magic;
	uint64_t	idx;
	uint64_t	len;		/* bytes of body */
	uint64_t	sum;		/* of the body */
	uint64_t	body[];
};

static const struct wl_prog cc_prog = {
	"compile", "compile+link", WL_OPT_PASSES, 0, 1,
	"  --passes: compile-and-link runs over the same sources (1).\n"
};

static struct wl	 w;
static struct wl_region	*cc_r;
static uint8_t		*cc_src, *cc_obj, *cc_out;	/* the three areas */
static uint64_t		 cc_nfiles, *cc_off;		/* file offsets */
static uint64_t		 cc_outlen, *cc_outsum;	/* per 4 KB output block */
static uint64_t		*cc_want;	/* a file as it must be */

static uint64_t
cc_len(uint64_t i)
{
	struct wl_rng	r;

	wl_rng_seed(&r, w.seed, 'L', i);
	return (CC_MIN + wl_rand_below(&r, CC_SPREAD)) & ~7ULL;
}

static void
cc_gen_src(struct cc_file *f, uint64_t i)
{
	struct wl_rng	r;
	uint64_t	j;

	wl_rng_seed(&r, w.seed, 'S', i);
	f->magic = CC_SRC_MAGIC;
	f->idx = i;
	f->len = cc_len(i);
	for (j = 0; j < f->len / 8; j++)
		f->body[j] = wl_rand(&r);
	f->sum = wl_hash(f->body, f->len, i);
}

/* "Compile" source s into object o. */
static void
cc_compile(struct cc_file *o, const struct cc_file *s)
{
	uint64_t	j;

	o->magic = CC_OBJ_MAGIC;
	o->idx = s->idx;
	o->len = s->len;
	for (j = 0; j < s->len / 8; j++)
		o->body[j] = (s->body[j] ^ (s->idx << 32 | j)) *
		    0x9e3779b97f4a7c15ULL;
	o->sum = wl_hash(o->body, o->len, s->idx ^ CC_OBJ_MAGIC);
}

/*
 * File f (source or object i) as read: header and checksum; on a mismatch
 * the first byte that differs from what the seed gives is reported.
 */
static int
cc_check(const struct cc_file *f, uint64_t i, int obj)
{
	struct cc_file	*want = (struct cc_file *)cc_want, *src;
	const void	*at;

	if (f->magic == (obj ? CC_OBJ_MAGIC : CC_SRC_MAGIC) && f->idx == i &&
	    f->len == cc_len(i) && wl_hash(f->body, f->len, obj ? i ^
	    CC_OBJ_MAGIC : i) == f->sum)
		return 0;
	cc_gen_src(want, i);
	if (obj) {
		src = malloc(sizeof *src + want->len);
		if (src == NULL)
			wl_die(&w, WL_EXIT_GMS, "out of memory");
		memcpy(src, want, sizeof *src + want->len);
		cc_compile(want, src);
		free(src);
	}
	if ((at = wl_diff(f, want, sizeof *want + want->len)) == NULL)
		at = f;
	return wl_corrupt(&w, cc_r, at, "%s file %" PRIu64 ": checksum "
	    "mismatch", obj ? "object" : "source", i);
}

/* The relocated text of object o, placed at output offset at. */
static void
cc_reloc(uint64_t *dst, const struct cc_file *o, uint64_t at)
{
	uint64_t	j;

	for (j = 0; j < o->len / 16; j++)
		dst[j] = o->body[j] + at;
}

static void
cc_pass(uint64_t pass)
{
	struct cc_file	*s, *o;
	uint64_t	 i, at = 0, b;

	for (i = 0; i < cc_nfiles; i++) {	/* compile */
		s = (struct cc_file *)(cc_src + cc_off[i]);
		if (cc_check(s, i, 0))
			return;
		cc_compile((struct cc_file *)(cc_obj + cc_off[i]), s);
		w.done_ops++;
		wl_progress(&w, pass * 2 * cc_nfiles + i,
		    w.passes * 2 * cc_nfiles);
	}
	for (i = 0; i < cc_nfiles; i++) {	/* link */
		o = (struct cc_file *)(cc_obj + cc_off[i]);
		if (cc_check(o, i, 1))
			return;
		cc_reloc((uint64_t *)(cc_out + at), o, at);
		at += o->len / 16 * 8;
		w.done_ops++;
		wl_progress(&w, pass * 2 * cc_nfiles + cc_nfiles + i,
		    w.passes * 2 * cc_nfiles);
	}
	for (b = 0; b * WL_BLOCK < cc_outlen; b++) {
		cc_outsum[b] = wl_hash(cc_out + b * WL_BLOCK, b * WL_BLOCK +
		    WL_BLOCK <= cc_outlen ? WL_BLOCK : cc_outlen % WL_BLOCK, b);
		w.checksum = wl_mix(w.checksum ^ cc_outsum[b]);
	}
}

/* Sources, objects and output against their checksums and the seed. */
static void
cc_verify(void)
{
	struct cc_file	*o = malloc(sizeof *o + CC_MIN + CC_SPREAD);
	uint64_t	*want = malloc(CC_MIN + CC_SPREAD), i, b, at = 0, len;
	const void	*p;

	if (o == NULL || want == NULL)
		wl_die(&w, WL_EXIT_GMS, "out of memory");
	for (i = 0; i < cc_nfiles; i++) {
		if ((i & 255) == 0)
			wl_progress(&w, i, cc_nfiles);
		cc_check((struct cc_file *)(cc_src + cc_off[i]), i, 0);
		if (w.corrupt > 0)	/* the run stopped before linking */
			continue;
		cc_check((struct cc_file *)(cc_obj + cc_off[i]), i, 1);
		cc_gen_src((struct cc_file *)cc_want, i);
		cc_compile(o, (struct cc_file *)cc_want);
		cc_reloc(want, o, at);
		len = o->len / 16 * 8;
		if ((p = wl_diff(cc_out + at, want, len)) != NULL)
			wl_corrupt(&w, cc_r, p, "output text of object %" PRIu64
			    " differs from the seed's", i);
		at += len;
	}
	for (b = 0; w.corrupt == 0 && b * WL_BLOCK < cc_outlen; b++)
		if (cc_outsum[b] != wl_hash(cc_out + b * WL_BLOCK, b *
		    WL_BLOCK + WL_BLOCK <= cc_outlen ? WL_BLOCK : cc_outlen %
		    WL_BLOCK, b))
			wl_corrupt(&w, cc_r, cc_out + b * WL_BLOCK, "output "
			    "block %" PRIu64 ": checksum mismatch", b);
	free(want);
	free(o);
}

int
main(int argc, char **argv)
{
	uint64_t	area, off, len, i, p;

	wl_init(&w, &cc_prog, argc, argv);
	/* sources and objects 40 % each, the output (half of each) 20 % */
	area = wl_bytes(&w) / 5 * 2 & ~7ULL;
	cc_off = malloc(area / (CC_MIN + sizeof(struct cc_file)) * 8 + 8);
	cc_want = malloc(sizeof(struct cc_file) + CC_MIN + CC_SPREAD);
	if (cc_off == NULL || cc_want == NULL)
		wl_die(&w, WL_EXIT_GMS, "out of memory");
	for (off = 0; ; cc_nfiles++) {
		len = sizeof(struct cc_file) + cc_len(cc_nfiles);
		if (off + len > area)
			break;
		cc_off[cc_nfiles] = off;
		off += len;
		cc_outlen += cc_len(cc_nfiles) / 16 * 8;
	}
	if (cc_nfiles == 0)
		wl_die(&w, WL_EXIT_USAGE, "--size is too small for a file.");
	cc_outsum = calloc(cc_outlen / WL_BLOCK + 1, 8);
	if (cc_outsum == NULL)
		wl_die(&w, WL_EXIT_GMS, "out of memory");
	cc_r = wl_map(&w, "files", wl_bytes(&w));
	cc_src = wl_base(cc_r);
	cc_obj = cc_src + area;
	cc_out = cc_obj + area;
	for (i = 0; i < cc_nfiles; i++) {
		cc_gen_src((struct cc_file *)(cc_src + cc_off[i]), i);
		if ((i & 255) == 0)
			wl_progress(&w, i, cc_nfiles);
	}
	wl_build_done(&w);
	for (p = 0; p < w.passes && w.corrupt == 0; p++)
		cc_pass(p);
	wl_run_done(&w);
	cc_verify();
	wl_unmap(&w, cc_r);
	wl_finish(&w);
}
