/*
 * wl-web: a query server's lookups in a large index shared through GMS.
 *
 * Stands in for the paper's Web query server (a server answering queries
 * from a large in-memory index, several servers sharing it).  Here the
 * index is a file (made from the seed on first use, kept for later runs and
 * shared by every node that maps it: shared pages, case 4): a sorted array
 * of postings in 4 KB blocks behind a directory of each block's first key.
 * A query binary-searches the directory, then the block; its key is drawn
 * from a Zipf distribution over the postings (a few hot keys, a long tail),
 * one in ten a key that is not there.  Unlike the paper's server: no
 * network front end, one thread, a fixed number of queries, and no
 * documents behind the postings.
 *
 *   --ops N      queries (one per posting)
 *   --zipf-s S   skew of the query keys (0.99)
 *   --file PATH  the index ($TMPDIR/wl-web-<MB>M-seed<S>.dat)
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl.h"

#define WB_MAGIC	0x574c574542494458ULL	/* "WLWEBIDX" */
#define WB_BLK_MAGIC	0x5745424c4f434b31ULL	/* "WEBLOCK1" */
#define WB_PER_BLK	((WL_BLOCK - 32) / sizeof(struct wb_entry))
#define WB_PER_DIR	(WL_BLOCK / 8 - 1)	/* first keys per block */
#define WB_MISS		0.1	/* share of queries for absent keys */

struct wb_hdr {			/* block 0 of the index */
	uint64_t	magic;
	uint64_t	seed;
	uint64_t	size_mb;
	uint64_t	nentries;
	uint64_t	nblocks;	/* of postings */
	uint64_t	dirblocks;	/* after block 0 */
	uint64_t	pad;
	uint64_t	sum;
};

struct wb_entry {		/* a posting */
	uint64_t	key;		/* even: odd keys are never there */
	uint64_t	docid;
	uint32_t	score;
	uint32_t	len;
	uint64_t	sum;		/* of this entry */
};

struct wb_blk {
	uint64_t	magic;
	uint64_t	blkno;
	uint64_t	n;
	uint64_t	sum;		/* of the entries */
	struct wb_entry	e[WB_PER_BLK];
};

struct wb_dir {
	uint64_t	key[WB_PER_DIR];
	uint64_t	sum;
};

_Static_assert(sizeof(struct wb_blk) == WL_BLOCK, "block size");
_Static_assert(sizeof(struct wb_dir) == WL_BLOCK, "directory size");

static const struct wl_prog wb_prog = {
	"web", "zipf", WL_OPT_OPS | WL_OPT_ZIPF | WL_OPT_FILE, 0, 0,
	"  --ops: queries (one per posting); --zipf-s: skew of the query keys "
	"(0.99);\n  --file: the index, made from the seed if it is not there "
	"(in $TMPDIR,\n  named after the size and seed).\n"
};

static struct wl		 w;
static struct wb_hdr		 wb_h;	/* as it must be */
static struct wl_region		*wb_r;
static const uint8_t		*wb_base;
static const struct wb_dir	*wb_dirs;
static const struct wb_blk	*wb_blks;

static void
wb_gen_entry(struct wb_entry *e, uint64_t i)
{
	struct wl_rng	r;

	wl_rng_seed(&r, w.seed, 'W', i);
	memset(e, 0, sizeof *e);
	e->key = i * 16 + 2 * wl_rand_below(&r, 8);
	e->docid = wl_rand(&r);
	e->score = (uint32_t)wl_rand(&r);
	e->len = (uint32_t)(100 + wl_rand_below(&r, 10000));
	e->sum = wl_hash(e, sizeof *e - 8, i);
}

static void
wb_gen_blk(struct wb_blk *b, uint64_t k)
{
	uint64_t	j;

	memset(b, 0, sizeof *b);
	b->magic = WB_BLK_MAGIC;
	b->blkno = k;
	b->n = WB_PER_BLK;
	for (j = 0; j < WB_PER_BLK; j++)
		wb_gen_entry(&b->e[j], k * WB_PER_BLK + j);
	b->sum = wl_hash(b->e, sizeof b->e, k);
}

static void
wb_gen_dir(struct wb_dir *d, uint64_t k)
{
	struct wb_entry	e;
	uint64_t	j, b;

	memset(d, 0, sizeof *d);
	for (j = 0; j < WB_PER_DIR; j++) {
		b = k * WB_PER_DIR + j;
		if (b >= wb_h.nblocks)
			break;
		wb_gen_entry(&e, b * WB_PER_BLK);
		d->key[j] = e.key;
	}
	d->sum = wl_hash(d->key, sizeof d->key, k);
}

static void
wb_gen_file(struct wl *ww, int fd, void *arg)
{
	uint8_t		blk[WL_BLOCK] = { 0 };
	uint64_t	k;

	(void)arg;
	memcpy(blk, &wb_h, sizeof wb_h);
	wl_write(ww, fd, blk, sizeof blk);
	for (k = 0; k < wb_h.dirblocks; k++) {
		wb_gen_dir((struct wb_dir *)blk, k);
		wl_write(ww, fd, blk, sizeof blk);
	}
	for (k = 0; k < wb_h.nblocks; k++) {
		wb_gen_blk((struct wb_blk *)blk, k);
		wl_write(ww, fd, blk, sizeof blk);
		if ((k & 1023) == 0)
			wl_progress(ww, k, wb_h.nblocks);
	}
}

/* Directory entry b, checked against the key its block must start with. */
static int
wb_dirkey(uint64_t b, uint64_t *key)
{
	const struct wb_dir	*d = &wb_dirs[b / WB_PER_DIR];
	struct wb_entry		 e;

	*key = d->key[b % WB_PER_DIR];
	wb_gen_entry(&e, b * WB_PER_BLK);
	if (*key != e.key)
		return wl_corrupt(&w, wb_r, &d->key[b % WB_PER_DIR],
		    "directory entry of block %" PRIu64 " is wrong", b);
	return 0;
}

/* One query; -1 on corruption. */
static int
wb_query(uint64_t key)
{
	const struct wb_blk	*b;
	const struct wb_entry	*e;
	struct wb_entry		 want;
	uint64_t		 lo = 0, hi = wb_h.nblocks, mid, k, i;

	while (hi - lo > 1) {		/* last block whose first key <= key */
		mid = lo + (hi - lo) / 2;
		if (wb_dirkey(mid, &k))
			return -1;
		if (k <= key)
			lo = mid;
		else
			hi = mid;
	}
	b = &wb_blks[lo];
	if (b->magic != WB_BLK_MAGIC || b->blkno != lo ||
	    b->n != WB_PER_BLK || wl_hash(b->e, sizeof b->e, lo) != b->sum)
		return -wl_corrupt(&w, wb_r, b, "postings block %" PRIu64
		    ": checksum mismatch", lo);
	for (lo = 0, hi = WB_PER_BLK; hi > lo; ) {
		mid = lo + (hi - lo) / 2;
		if (b->e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == WB_PER_BLK || b->e[lo].key != key) {
		w.checksum = wl_mix(w.checksum ^ key);
		return 0;
	}
	e = &b->e[lo];
	i = b->blkno * WB_PER_BLK + lo;
	wb_gen_entry(&want, i);
	if (e->sum != wl_hash(e, sizeof *e - 8, i) ||
	    memcmp(e, &want, sizeof want) != 0)
		return -wl_corrupt(&w, wb_r, e, "posting %" PRIu64 " is wrong",
		    i);
	w.checksum = wl_mix(w.checksum ^ e->docid ^ e->score);
	return 0;
}

static void
wb_run(void)
{
	struct wl_zipf	z;
	struct wl_rng	r;
	struct wb_entry	e;
	uint64_t	q, key;

	wl_zipf_init(&z, wb_h.nentries, w.zipf_s);
	wl_rng_seed(&r, w.seed, 'Q', 0);
	for (q = 0; q < w.ops; q++) {
		wb_gen_entry(&e, wl_scatter(wl_zipf_next(&z, &r),
		    wb_h.nentries));
		key = e.key + (wl_rand01(&r) < WB_MISS);
		if (wb_query(key) == -1)
			return;
		w.done_ops++;
		if ((q & 1023) == 0)
			wl_progress(&w, q, w.ops);
	}
}

/* The whole index against its checksums and against the seed. */
static void
wb_verify(void)
{
	uint8_t		 want[WL_BLOCK];
	const void	*at;
	uint64_t	 k;

	if ((at = wl_diff(wb_base, &wb_h, sizeof wb_h)) != NULL)
		wl_corrupt(&w, wb_r, at, "the index's header differs");
	for (k = 0; k < wb_h.dirblocks; k++) {
		wb_gen_dir((struct wb_dir *)want, k);
		if (wl_hash(wb_dirs[k].key, sizeof wb_dirs[k].key, k) !=
		    wb_dirs[k].sum)
			wl_corrupt(&w, wb_r, &wb_dirs[k], "directory block %"
			    PRIu64 ": checksum mismatch", k);
		else if ((at = wl_diff(&wb_dirs[k], want, WL_BLOCK)) != NULL)
			wl_corrupt(&w, wb_r, at, "directory block %" PRIu64
			    " differs from the seed's", k);
	}
	for (k = 0; k < wb_h.nblocks; k++) {
		if ((k & 1023) == 0)
			wl_progress(&w, k, wb_h.nblocks);
		wb_gen_blk((struct wb_blk *)want, k);
		if (wl_hash(wb_blks[k].e, sizeof wb_blks[k].e, k) !=
		    wb_blks[k].sum)
			wl_corrupt(&w, wb_r, &wb_blks[k], "postings block %"
			    PRIu64 ": checksum mismatch", k);
		else if ((at = wl_diff(&wb_blks[k], want, WL_BLOCK)) != NULL)
			wl_corrupt(&w, wb_r, at, "postings block %" PRIu64
			    " differs from the seed's", k);
	}
}

int
main(int argc, char **argv)
{
	size_t		len;
	uint64_t	n;

	wl_init(&w, &wb_prog, argc, argv);
	n = wl_bytes(&w) / WL_BLOCK;
	wb_h.magic = WB_MAGIC;
	wb_h.seed = w.seed;
	wb_h.size_mb = w.size_mb;
	wb_h.nblocks = (n - 1) * WB_PER_DIR / (WB_PER_DIR + 1);
	wb_h.dirblocks = (wb_h.nblocks + WB_PER_DIR - 1) / WB_PER_DIR;
	wb_h.nentries = wb_h.nblocks * WB_PER_BLK;
	wb_h.sum = wl_hash(&wb_h, sizeof wb_h - 8, 0);
	if (w.ops == 0)
		w.ops = wb_h.nentries;
	wl_file_make(&w, (1 + wb_h.dirblocks + wb_h.nblocks) * WL_BLOCK,
	    &wb_h, sizeof wb_h, wb_gen_file, NULL);
	wb_r = wl_map_file(&w, "index", wl_file_path(&w), &len);
	wb_base = wl_base(wb_r);
	wb_dirs = (const struct wb_dir *)(wb_base + WL_BLOCK);
	wb_blks = (const struct wb_blk *)(wb_base + (1 + wb_h.dirblocks) *
	    WL_BLOCK);
	wl_build_done(&w);
	wb_run();
	wl_run_done(&w);
	wb_verify();
	wl_unmap(&w, wb_r);
	wl_finish(&w);
}
