/*
 * gcd.c: one node's partition of the global cache directory
 * (GMS-REFERENCE.md section 3).
 *
 * A uthash table from UID to an entry holding up to GCD_MAX_HOLDERS node
 * ids in an inline array, sorted ascending.  An entry lives exactly as long
 * as it has a holder: removing the last one removes the entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gms/xmalloc.h"

#define uthash_malloc(sz)	xmalloc(sz)
#define uthash_free(p, sz)	free(p)
#include <uthash.h>

#include "directories/gcd.h"

struct gcd_entry {
	struct uid	 uid;
	uint32_t	 holders[GCD_MAX_HOLDERS];	/* ascending */
	int		 nholders;
	UT_hash_handle	 hh;
};

struct gcd {
	struct gcd_entry	*table;
	size_t			 count;
};

static struct gcd_entry	*gcd_find(const struct gcd *, const struct uid *);
static void		 gcd_delete(struct gcd *, struct gcd_entry *);
static int		 gcd_unhold(struct gcd_entry *, uint32_t);

static struct gcd_entry *
gcd_find(const struct gcd *gcd, const struct uid *uid)
{
	struct gcd_entry	*e;

	HASH_FIND(hh, gcd->table, uid, sizeof *uid, e);
	return e;
}

static void
gcd_delete(struct gcd *gcd, struct gcd_entry *e)
{
	HASH_DEL(gcd->table, e);
	gcd->count--;
	free(e);
}

/* Take node out of e's holders; 1 if it was there. */
static int
gcd_unhold(struct gcd_entry *e, uint32_t node)
{
	int	i;

	for (i = 0; i < e->nholders; i++) {
		if (e->holders[i] == node) {
			memmove(&e->holders[i], &e->holders[i + 1],
			    (size_t)(e->nholders - i - 1) *
			    sizeof e->holders[0]);
			e->nholders--;
			return 1;
		}
	}
	return 0;
}

struct gcd *
gcd_create(void)
{
	return xcalloc(1, sizeof(struct gcd));
}

void
gcd_free(struct gcd *gcd)
{
	struct gcd_entry	*e, *tmp;

	if (gcd == NULL)
		return;
	HASH_ITER(hh, gcd->table, e, tmp) {
		HASH_DEL(gcd->table, e);
		free(e);
	}
	free(gcd);
}

int
gcd_add(struct gcd *gcd, const struct uid *uid, uint32_t node)
{
	struct gcd_entry	*e;
	int			 i;

	if ((e = gcd_find(gcd, uid)) == NULL) {
		e = xcalloc(1, sizeof *e);
		e->uid = *uid;
		HASH_ADD(hh, gcd->table, uid, sizeof e->uid, e);
		gcd->count++;
	}
	for (i = 0; i < e->nholders && e->holders[i] < node; i++)
		continue;
	if (i < e->nholders && e->holders[i] == node)
		return 0;
	if (e->nholders == GCD_MAX_HOLDERS) {
		errno = ENOSPC;
		return -1;
	}
	memmove(&e->holders[i + 1], &e->holders[i],
	    (size_t)(e->nholders - i) * sizeof e->holders[0]);
	e->holders[i] = node;
	e->nholders++;
	return 1;
}

int
gcd_remove(struct gcd *gcd, const struct uid *uid, uint32_t node)
{
	struct gcd_entry	*e;

	if ((e = gcd_find(gcd, uid)) == NULL || !gcd_unhold(e, node))
		return 0;
	if (e->nholders == 0)
		gcd_delete(gcd, e);
	return 1;
}

int
gcd_drop(struct gcd *gcd, const struct uid *uid)
{
	struct gcd_entry	*e;
	int			 n;

	if ((e = gcd_find(gcd, uid)) == NULL)
		return 0;
	n = e->nholders;
	gcd_delete(gcd, e);
	return n;
}

int
gcd_holders(const struct gcd *gcd, const struct uid *uid, uint32_t *out,
    int max)
{
	struct gcd_entry	*e;
	int			 n;

	if ((e = gcd_find(gcd, uid)) == NULL || max <= 0)
		return 0;
	n = e->nholders < max ? e->nholders : max;
	memcpy(out, e->holders, (size_t)n * sizeof *out);
	return n;
}

size_t
gcd_drop_node(struct gcd *gcd, uint32_t node)
{
	struct gcd_entry	*e, *tmp;
	size_t			 n = 0;

	HASH_ITER(hh, gcd->table, e, tmp) {
		if (!gcd_unhold(e, node))
			continue;
		n++;
		if (e->nholders == 0)
			gcd_delete(gcd, e);
	}
	return n;
}

size_t
gcd_drop_owner(struct gcd *gcd, uint32_t owner)
{
	struct gcd_entry	*e, *tmp;
	size_t			 n = 0;

	HASH_ITER(hh, gcd->table, e, tmp) {
		if (!uid_is_shared(&e->uid) && e->uid.node == owner) {
			gcd_delete(gcd, e);
			n++;
		}
	}
	return n;
}

size_t
gcd_count(const struct gcd *gcd)
{
	return gcd->count;
}

void
gcd_foreach(struct gcd *gcd, gcd_visit_fn *fn, void *arg)
{
	struct gcd_entry	*e, *tmp;
	int			 r;

	HASH_ITER(hh, gcd->table, e, tmp) {
		r = fn(&e->uid, e->holders, e->nholders, arg);
		if (r < 0)
			break;
		if (r == 1)
			gcd_delete(gcd, e);
	}
}
