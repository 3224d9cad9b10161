/*
 * wl-render: render passes over a large read-only scene shared through GMS.
 *
 * Stands in for the paper's Render workload (a renderer reading a large
 * scene organised as a spatial hierarchy, mostly sequentially, with little
 * written).  Here the scene is a file (made from the seed on first use,
 * kept for later runs and shared by every node that maps it: the pages of
 * one file are shared pages, case 4) holding a grid of cells, each a 4 KB
 * block of spheres, behind an index of cells.  A pass reads the index and
 * the cells in file order and draws every sphere into a z-buffered
 * framebuffer in GMS memory (anonymous, read-write, small); each pass
 * looks along another axis.  Unlike Render: a uniform grid instead of a
 * deeper hierarchy, spheres splatted as discs instead of shaded and
 * ray-traced, and a checksum of each pass's image instead of a picture.
 *
 *   --passes N   render passes (3: along z, x and y)
 *   --file PATH  the scene ($TMPDIR/wl-render-<MB>M-seed<S>.dat)
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl.h"

#define RN_MAGIC	0x574c52454e444552ULL	/* "WLRENDER" */
#define RN_CELL_MAGIC	0x52454e4443454c4cULL	/* "RENDCELL" */
#define RN_PRIMS	((WL_BLOCK - 32) / sizeof(struct rn_prim))
#define RN_IX_PER_BLK	(WL_BLOCK / sizeof(struct rn_ix))
#define RN_W		256	/* framebuffer side, pixels */

struct rn_hdr {			/* block 0 of the scene */
	uint64_t	magic;
	uint64_t	seed;
	uint64_t	size_mb;
	uint64_t	ncells;
	uint64_t	side;		/* grid: side^3 >= ncells */
	uint64_t	ixblocks;	/* index blocks after block 0 */
	uint64_t	pad;
	uint64_t	sum;
};

struct rn_ix {			/* the index: one record per cell */
	uint32_t	cell;
	uint32_t	nprims;
	uint64_t	blk;		/* the cell's block in the file */
	uint64_t	csum;		/* of the cell's block */
	uint64_t	sum;		/* of this record */
};

struct rn_prim {
	float		x, y, z, r;
	uint32_t	color;
	uint32_t	pad[3];
};

struct rn_cell {
	uint64_t	magic;
	uint64_t	cell;
	uint64_t	nprims;
	uint64_t	pad;
	struct rn_prim	prim[RN_PRIMS];
};

struct rn_pixel {
	float		depth;
	uint32_t	color;
};

struct rn_fb {			/* the framebuffer region */
	struct rn_pixel	px[RN_W][RN_W];
	uint64_t	rowsum[RN_W];
};

_Static_assert(sizeof(struct rn_cell) == WL_BLOCK, "cell size");
_Static_assert(sizeof(struct rn_hdr) == 64, "header size");

static const struct wl_prog rn_prog = {
	"render", "sequential", WL_OPT_PASSES | WL_OPT_FILE, 0, 3,
	"  --passes: render passes (3); --file: the scene, made from the seed "
	"if it\n  is not there (in $TMPDIR, named after the size and seed).\n"
};

static struct wl	 w;
static struct rn_hdr	 rn_h;		/* as it must be */
static struct wl_region	*rn_sr, *rn_fr;
static const uint8_t	*rn_scene;
static struct rn_fb	*rn_fb;

static void
rn_gen_cell(struct rn_cell *c, uint64_t i)
{
	struct wl_rng	r;
	uint64_t	s = rn_h.side, k;
	struct rn_prim	*p;

	wl_rng_seed(&r, w.seed, 'c', i);
	memset(c, 0, sizeof *c);
	c->magic = RN_CELL_MAGIC;
	c->cell = i;
	c->nprims = RN_PRIMS / 4 + wl_rand_below(&r, RN_PRIMS - RN_PRIMS / 4 + 1);
	for (k = 0; k < c->nprims; k++) {
		p = &c->prim[k];
		p->x = (float)(i % s) + (float)wl_rand01(&r);
		p->y = (float)(i / s % s) + (float)wl_rand01(&r);
		p->z = (float)(i / s / s) + (float)wl_rand01(&r);
		p->r = 0.05f + 0.2f * (float)wl_rand01(&r);
		p->color = (uint32_t)wl_rand(&r);
	}
}

static void
rn_gen_ix(struct rn_ix *x, const struct rn_cell *c, uint64_t i)
{
	memset(x, 0, sizeof *x);
	x->cell = (uint32_t)i;
	x->nprims = (uint32_t)c->nprims;
	x->blk = 1 + rn_h.ixblocks + i;
	x->csum = wl_hash(c, sizeof *c, i);
	x->sum = wl_hash(x, sizeof *x - 8, i);
}

static void
rn_gen_file(struct wl *ww, int fd, void *arg)
{
	struct rn_cell	*c = malloc(sizeof *c);
	struct rn_ix	*ix = calloc(rn_h.ixblocks, WL_BLOCK);
	uint8_t		 blk0[WL_BLOCK] = { 0 };
	uint64_t	 i;

	(void)arg;
	if (c == NULL || ix == NULL)
		wl_die(ww, WL_EXIT_GMS, "out of memory");
	for (i = 0; i < rn_h.ncells; i++) {
		rn_gen_cell(c, i);
		rn_gen_ix(&ix[i], c, i);
	}
	memcpy(blk0, &rn_h, sizeof rn_h);
	wl_write(ww, fd, blk0, sizeof blk0);
	wl_write(ww, fd, ix, rn_h.ixblocks * WL_BLOCK);
	for (i = 0; i < rn_h.ncells; i++) {
		rn_gen_cell(c, i);
		wl_write(ww, fd, c, sizeof *c);
		if ((i & 1023) == 0)
			wl_progress(ww, i, rn_h.ncells);
	}
	free(ix);
	free(c);
}

/* Index record i and its cell as read; NULL if either is corrupt. */
static const struct rn_cell *
rn_cell(uint64_t i)
{
	const struct rn_ix	*x = (const struct rn_ix *)(rn_scene +
				    WL_BLOCK) + i;
	const struct rn_cell	*c;

	if (x->sum != wl_hash(x, sizeof *x - 8, i) || x->cell != i ||
	    x->blk != 1 + rn_h.ixblocks + i || x->nprims > RN_PRIMS) {
		wl_corrupt(&w, rn_sr, x, "index record of cell %" PRIu64
		    ": checksum mismatch", i);
		return NULL;
	}
	c = (const struct rn_cell *)(rn_scene + x->blk * WL_BLOCK);
	if (wl_hash(c, sizeof *c, i) != x->csum || c->nprims != x->nprims) {
		wl_corrupt(&w, rn_sr, c, "cell %" PRIu64 ": checksum mismatch",
		    i);
		return NULL;
	}
	return c;
}

/* Sphere p as a disc in image px seen along axis a (0: z, 1: x, 2: y). */
static void
rn_splat(struct rn_pixel (*px)[RN_W], const struct rn_prim *p, int a)
{
	float	u = a == 1 ? p->y : p->x, v = a == 2 ? p->z : a == 1 ? p->z :
		    p->y, d = a == 0 ? p->z : a == 1 ? p->x : p->y;
	float	scale = (float)RN_W / (float)rn_h.side;
	float	cu = u * scale, cv = v * scale, rr = p->r * scale;
	int	x, y, x0 = (int)(cu - rr), x1 = (int)(cu + rr),
		y0 = (int)(cv - rr), y1 = (int)(cv + rr);

	for (y = y0 < 0 ? 0 : y0; y <= y1 && y < RN_W; y++)
		for (x = x0 < 0 ? 0 : x0; x <= x1 && x < RN_W; x++) {
			if ((x - cu) * (x - cu) + (y - cv) * (y - cv) >
			    rr * rr || d >= px[y][x].depth)
				continue;
			px[y][x].depth = d;
			px[y][x].color = p->color;
		}
}

/* The framebuffer's rows against the checksums of the last pass. */
static int
rn_check_fb(void)
{
	int	y;

	for (y = 0; y < RN_W; y++)
		if (wl_hash(rn_fb->px[y], sizeof rn_fb->px[y], (uint64_t)y) !=
		    rn_fb->rowsum[y])
			return wl_corrupt(&w, rn_fr, rn_fb->px[y], "framebuffer "
			    "row %d: checksum mismatch", y);
	return 0;
}

static void
rn_clear(struct rn_pixel (*px)[RN_W])
{
	int	x, y;

	for (y = 0; y < RN_W; y++)
		for (x = 0; x < RN_W; x++) {
			px[y][x].depth = INFINITY;
			px[y][x].color = 0;
		}
}

static void
rn_pass(uint64_t pass)
{
	const struct rn_cell	*c;
	uint64_t		 i, k;
	int			 y;

	if (pass > 0 && rn_check_fb())
		return;
	rn_clear(rn_fb->px);
	for (i = 0; i < rn_h.ncells; i++) {
		if ((c = rn_cell(i)) == NULL)
			return;
		for (k = 0; k < c->nprims; k++)
			rn_splat(rn_fb->px, &c->prim[k], (int)(pass % 3));
		w.done_ops++;
		if ((i & 255) == 0)
			wl_progress(&w, pass * rn_h.ncells + i,
			    w.passes * rn_h.ncells);
	}
	for (y = 0; y < RN_W; y++)
		rn_fb->rowsum[y] = wl_hash(rn_fb->px[y], sizeof rn_fb->px[y],
		    (uint64_t)y);
	w.checksum = wl_mix(w.checksum ^ wl_hash(rn_fb->rowsum,
	    sizeof rn_fb->rowsum, pass));
}

/*
 * The whole scene against its checksums and against the seed; the last
 * pass's image against the same pass drawn again from the seed's cells.
 */
static void
rn_verify(void)
{
	struct rn_cell		*want = malloc(sizeof *want);
	struct rn_fb		*img = malloc(sizeof *img);
	struct rn_ix		 wx;
	const struct rn_ix	*ix = (const struct rn_ix *)(rn_scene +
				    WL_BLOCK);
	const void		*at;
	uint64_t		 i, k;
	int			 redraw = w.corrupt == 0 && w.passes > 0;

	if (want == NULL || img == NULL)
		wl_die(&w, WL_EXIT_GMS, "out of memory");
	if (redraw)		/* else the last pass did not finish */
		rn_check_fb();
	rn_clear(img->px);
	if ((at = wl_diff(rn_scene, &rn_h, sizeof rn_h)) != NULL)
		wl_corrupt(&w, rn_sr, at, "the scene's header differs");
	for (i = 0; i < rn_h.ncells; i++) {
		if ((i & 1023) == 0)
			wl_progress(&w, i, rn_h.ncells);
		rn_gen_cell(want, i);
		for (k = 0; redraw && k < want->nprims; k++)
			rn_splat(img->px, &want->prim[k],
			    (int)((w.passes - 1) % 3));
		if (rn_cell(i) == NULL)
			continue;
		rn_gen_ix(&wx, want, i);
		if ((at = wl_diff(&ix[i], &wx, sizeof wx)) != NULL)
			wl_corrupt(&w, rn_sr, at, "index record of cell %"
			    PRIu64 " differs from the seed's", i);
		else if ((at = wl_diff(rn_scene + ix[i].blk * WL_BLOCK, want,
		    sizeof *want)) != NULL)
			wl_corrupt(&w, rn_sr, at, "cell %" PRIu64 " differs "
			    "from the seed's", i);
	}
	if (redraw && w.corrupt == 0 &&
	    (at = wl_diff(rn_fb->px, img->px, sizeof img->px)) != NULL)
		wl_corrupt(&w, rn_fr, at, "the last image differs from the "
		    "seed's scene drawn again");
	free(img);
	free(want);
}

int
main(int argc, char **argv)
{
	size_t		len;
	uint64_t	n, p;

	wl_init(&w, &rn_prog, argc, argv);
	n = wl_bytes(&w) / WL_BLOCK;
	if (n < 3)
		wl_die(&w, WL_EXIT_USAGE, "--size is too small for a scene.");
	rn_h.magic = RN_MAGIC;
	rn_h.seed = w.seed;
	rn_h.size_mb = w.size_mb;
	rn_h.ncells = (n - 1) * RN_IX_PER_BLK / (RN_IX_PER_BLK + 1);
	rn_h.ixblocks = (rn_h.ncells + RN_IX_PER_BLK - 1) / RN_IX_PER_BLK;
	rn_h.side = (uint64_t)ceil(cbrt((double)rn_h.ncells));
	while (rn_h.side * rn_h.side * rn_h.side < rn_h.ncells)
		rn_h.side++;
	rn_h.sum = wl_hash(&rn_h, sizeof rn_h - 8, 0);
	wl_file_make(&w, (1 + rn_h.ixblocks + rn_h.ncells) * WL_BLOCK, &rn_h,
	    sizeof rn_h, rn_gen_file, NULL);
	rn_sr = wl_map_file(&w, "scene", wl_file_path(&w), &len);
	rn_scene = wl_base(rn_sr);
	rn_fr = wl_map(&w, "framebuffer", sizeof *rn_fb);
	rn_fb = wl_base(rn_fr);
	wl_build_done(&w);
	for (p = 0; p < w.passes && w.corrupt == 0; p++)
		rn_pass(p);
	wl_run_done(&w);
	rn_verify();
	wl_unmap(&w, rn_fr);
	wl_unmap(&w, rn_sr);
	wl_finish(&w);
}
