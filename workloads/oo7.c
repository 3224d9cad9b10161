/*
 * wl-oo7: an object-graph database in GMS memory, traversed and updated.
 *
 * Stands in for the paper's OO7 runs (the OO7 object-oriented database
 * benchmark, Carey, DeWitt and Naughton 1993: a design library of
 * assemblies, composite parts and graphs of atomic parts, traversed with
 * T1 and updated with T2).  Like OO7, base assemblies point at shared
 * composite parts, each composite part has a graph of atomic parts (a ring
 * plus random connections) and a root, and a T1-like traversal walks every
 * assembly's composite parts depth-first over the connections; random
 * lookups then read or update atomic parts (swap x and y, bump the build
 * date).  Unlike OO7: no complex assemblies, documents or manuals, no
 * indexes, a fixed 20 atomic parts per composite part, and references are
 * array indices in one region instead of object identifiers on disk.  Every
 * object carries a checksum; its original content is recomputed from the
 * seed at the end (an updated atomic part's build date says how often it
 * was updated).
 *
 *   --passes N   T1 traversals (2)
 *   --ops N      random lookups after them, 30 % updates (one per atomic
 *                part by default)
 */
#include <inttypes.h>
#include <string.h>

#include "workloads/wl.h"

#define OO_ATOMS	20	/* atomic parts per composite part */
#define OO_CONN		3	/* connections per atomic part */
#define OO_PER_ASM	3	/* composite parts per base assembly */
#define OO_UPDATE	0.3	/* share of random lookups that update */

struct oo_atom {		/* 64 bytes: never across a page */
	uint64_t	id;
	int64_t		x, y;
	uint64_t	date;
	uint32_t	conn[OO_CONN];	/* atomic parts, same composite */
	uint32_t	comp;
	uint64_t	docid;
	uint64_t	sum;
};

struct oo_comp {
	uint64_t	id;
	uint32_t	root;		/* atomic part */
	uint32_t	first;		/* its OO_ATOMS atomic parts */
	uint64_t	date;
	uint64_t	doc;
	uint64_t	type;
	uint64_t	pad[2];
	uint64_t	sum;
};

struct oo_asm {
	uint64_t	id;
	uint32_t	comp[OO_PER_ASM];
	uint32_t	pad;
	uint64_t	date;
	uint64_t	pad2[3];
	uint64_t	sum;
};

_Static_assert(sizeof(struct oo_atom) == 64, "atomic part size");
_Static_assert(sizeof(struct oo_comp) == 64, "composite part size");
_Static_assert(sizeof(struct oo_asm) == 64, "assembly size");

static const struct wl_prog oo_prog = {
	"oo7", "t1+random", WL_OPT_OPS | WL_OPT_PASSES, 0, 2,
	"  --passes: T1 traversals (2); --ops: random lookups after them, "
	"30 % updates\n  (one per atomic part).\n"
};

static struct wl	 w;
static struct wl_region	*oo_r;
static struct oo_asm	*oo_asms;
static struct oo_comp	*oo_comps;
static struct oo_atom	*oo_atoms;
static uint64_t		 oo_nasm, oo_ncomp, oo_natom;

#define OO_SUM(o)	wl_hash((o), sizeof *(o) - 8, (o)->id)

static void
oo_gen_atom(struct oo_atom *a, uint64_t i)
{
	struct wl_rng	r;
	uint64_t	first = i - i % OO_ATOMS;
	int		k;

	wl_rng_seed(&r, w.seed, 'A', i);
	memset(a, 0, sizeof *a);
	a->id = i + 1;
	a->x = (int64_t)wl_rand_below(&r, 100000);
	a->y = (int64_t)wl_rand_below(&r, 100000);
	a->date = 1000 + wl_rand_below(&r, 9000);
	a->conn[0] = (uint32_t)(first + (i + 1) % OO_ATOMS);	/* the ring */
	for (k = 1; k < OO_CONN; k++)
		a->conn[k] = (uint32_t)(first + wl_rand_below(&r, OO_ATOMS));
	a->comp = (uint32_t)(i / OO_ATOMS);
	a->docid = wl_rand(&r);
	a->sum = OO_SUM(a);
}

static void
oo_gen_comp(struct oo_comp *c, uint64_t i)
{
	struct wl_rng	r;

	wl_rng_seed(&r, w.seed, 'C', i);
	memset(c, 0, sizeof *c);
	c->id = i + 1;
	c->first = (uint32_t)(i * OO_ATOMS);
	c->root = (uint32_t)(c->first + wl_rand_below(&r, OO_ATOMS));
	c->date = 1000 + wl_rand_below(&r, 9000);
	c->doc = wl_rand(&r);
	c->type = wl_rand_below(&r, 10);
	c->sum = OO_SUM(c);
}

static void
oo_gen_asm(struct oo_asm *s, uint64_t i)
{
	struct wl_rng	r;
	int		k;

	wl_rng_seed(&r, w.seed, 'S', i);
	memset(s, 0, sizeof *s);
	s->id = i + 1;
	for (k = 0; k < OO_PER_ASM; k++)
		s->comp[k] = (uint32_t)wl_rand_below(&r, oo_ncomp);
	s->date = 1000 + wl_rand_below(&r, 9000);
	s->sum = OO_SUM(s);
}

/* An object as read: its checksum, and references in range.  0 if so. */
static int
oo_check_atom(uint64_t i)
{
	struct oo_atom	*a = &oo_atoms[i];
	int		 k;

	if (a->sum != OO_SUM(a) || a->id != i + 1)
		return wl_corrupt(&w, oo_r, a, "atomic part %" PRIu64
		    ": checksum mismatch", i);
	for (k = 0; k < OO_CONN; k++)
		if (a->conn[k] / OO_ATOMS != i / OO_ATOMS)
			return wl_corrupt(&w, oo_r, a, "atomic part %" PRIu64
			    ": connection %d out of its composite part", i, k);
	return 0;
}

static int
oo_check_comp(uint64_t i)
{
	struct oo_comp	*c = &oo_comps[i];

	if (c->sum != OO_SUM(c) || c->id != i + 1 ||
	    c->root / OO_ATOMS != i || c->first != i * OO_ATOMS)
		return wl_corrupt(&w, oo_r, c, "composite part %" PRIu64
		    ": checksum mismatch", i);
	return 0;
}

static int
oo_check_asm(uint64_t i)
{
	struct oo_asm	*s = &oo_asms[i];
	int		 k;

	if (s->sum != OO_SUM(s) || s->id != i + 1)
		return wl_corrupt(&w, oo_r, s, "base assembly %" PRIu64
		    ": checksum mismatch", i);
	for (k = 0; k < OO_PER_ASM; k++)
		if (s->comp[k] >= oo_ncomp)
			return wl_corrupt(&w, oo_r, s, "base assembly %" PRIu64
			    ": composite part out of range", i);
	return 0;
}

/* Depth-first over composite part c's atomic parts, from its root. */
static int
oo_dfs(uint64_t c)
{
	uint32_t	stack[OO_ATOMS * OO_CONN + 1], seen = 0, a;
	int		sp = 0, k;

	if (oo_check_comp(c))
		return -1;
	stack[sp++] = oo_comps[c].root;
	while (sp > 0) {
		a = stack[--sp];
		if (seen & (1u << (a % OO_ATOMS)))
			continue;
		seen |= 1u << (a % OO_ATOMS);
		if (oo_check_atom(a))
			return -1;
		w.checksum = wl_mix(w.checksum ^ (uint64_t)(oo_atoms[a].x +
		    oo_atoms[a].y));
		w.done_ops++;
		for (k = OO_CONN - 1; k >= 0; k--)
			if (!(seen & (1u << (oo_atoms[a].conn[k] % OO_ATOMS))))
				stack[sp++] = oo_atoms[a].conn[k];
	}
	return 0;
}

static void
oo_run(void)
{
	struct wl_rng	 r;
	struct oo_atom	*a;
	uint64_t	 p, i, k, n;
	int64_t		 t;

	for (p = 0; p < w.passes; p++)
		for (i = 0; i < oo_nasm; i++) {
			if (oo_check_asm(i))
				return;
			for (k = 0; k < OO_PER_ASM; k++)
				if (oo_dfs(oo_asms[i].comp[k]) == -1)
					return;
			wl_progress(&w, p * oo_nasm + i, w.passes * oo_nasm);
		}
	wl_rng_seed(&r, w.seed, 'R', 0);
	for (i = 0; i < w.ops; i++) {
		n = wl_rand_below(&r, oo_natom);
		if (oo_check_atom(n))
			return;
		a = &oo_atoms[n];
		if (wl_rand01(&r) < OO_UPDATE) {	/* T2-like update */
			t = a->x;
			a->x = a->y;
			a->y = t;
			a->date++;
			a->sum = OO_SUM(a);
		}
		w.checksum = wl_mix(w.checksum ^ a->sum);
		w.done_ops++;
		if ((i & 1023) == 0)
			wl_progress(&w, i, w.ops);
	}
}

/* Every object against its checksum and against the seed. */
static void
oo_verify(void)
{
	struct oo_atom	 wa;
	struct oo_comp	 wc;
	struct oo_asm	 ws;
	const void	*at;
	uint64_t	 i, d;
	int64_t		 t;

	for (i = 0; i < oo_nasm; i++) {
		oo_gen_asm(&ws, i);
		if (!oo_check_asm(i) && (at = wl_diff(&oo_asms[i], &ws,
		    sizeof ws)) != NULL)
			wl_corrupt(&w, oo_r, at, "base assembly %" PRIu64
			    " differs from the seed's", i);
		w.checksum = wl_mix(w.checksum ^ oo_asms[i].sum);
	}
	for (i = 0; i < oo_ncomp; i++) {
		oo_gen_comp(&wc, i);
		if (!oo_check_comp(i) && (at = wl_diff(&oo_comps[i], &wc,
		    sizeof wc)) != NULL)
			wl_corrupt(&w, oo_r, at, "composite part %" PRIu64
			    " differs from the seed's", i);
		w.checksum = wl_mix(w.checksum ^ oo_comps[i].sum);
	}
	for (i = 0; i < oo_natom; i++) {
		if ((i & 4095) == 0)
			wl_progress(&w, i, oo_natom);
		if (oo_check_atom(i))
			continue;
		oo_gen_atom(&wa, i);
		d = oo_atoms[i].date - wa.date;		/* its updates */
		if (d > w.ops) {
			wl_corrupt(&w, oo_r, &oo_atoms[i], "atomic part %"
			    PRIu64 ": build date %" PRIu64 " out of range", i,
			    oo_atoms[i].date);
			continue;
		}
		if (d % 2) {
			t = wa.x;
			wa.x = wa.y;
			wa.y = t;
		}
		wa.date += d;
		wa.sum = OO_SUM(&wa);
		if ((at = wl_diff(&oo_atoms[i], &wa, sizeof wa)) != NULL)
			wl_corrupt(&w, oo_r, at, "atomic part %" PRIu64
			    " differs from the seed's", i);
		w.checksum = wl_mix(w.checksum ^ oo_atoms[i].sum);
	}
}

int
main(int argc, char **argv)
{
	uint64_t	i, per;

	wl_init(&w, &oo_prog, argc, argv);
	/* a composite part, its atomic parts and a third of an assembly */
	per = sizeof(struct oo_comp) + OO_ATOMS * sizeof(struct oo_atom) +
	    sizeof(struct oo_asm) / OO_PER_ASM + 1;
	oo_ncomp = wl_bytes(&w) / per;
	oo_nasm = oo_ncomp / OO_PER_ASM;
	oo_natom = oo_ncomp * OO_ATOMS;
	if (w.ops == 0)
		w.ops = oo_natom;
	oo_r = wl_map(&w, "database", wl_bytes(&w));
	oo_asms = wl_base(oo_r);
	oo_comps = (struct oo_comp *)(oo_asms + oo_nasm);
	oo_atoms = (struct oo_atom *)(oo_comps + oo_ncomp);
	for (i = 0; i < oo_ncomp; i++) {
		oo_gen_comp(&oo_comps[i], i);
		if ((i & 1023) == 0)
			wl_progress(&w, i, oo_ncomp);
	}
	for (i = 0; i < oo_natom; i++)
		oo_gen_atom(&oo_atoms[i], i);
	for (i = 0; i < oo_nasm; i++)
		oo_gen_asm(&oo_asms[i], i);
	wl_build_done(&w);
	oo_run();
	wl_run_done(&w);
	oo_verify();
	wl_unmap(&w, oo_r);
	wl_finish(&w);
}
