/*
 * pfd.c: the page frame directory (GMS-REFERENCE.md section 3).
 *
 * A uthash table from UID to entry, a stack of free frame numbers, and one
 * LRU list per kind kept sorted by last_ref (oldest at the head, ties in the
 * order the entries were placed), so the oldest page of each kind is at hand
 * and pfd_oldest() is O(1).  A touch at the current time appends to the tail;
 * a page arriving with an old last_ref (a putpage carries the page's age) is
 * placed by walking in from both ends of its list at once, so the walk is as
 * short as the distance to the nearer end.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "gms/log.h"
#include "gms/xmalloc.h"

#define uthash_malloc(sz)	xmalloc(sz)
#define uthash_free(p, sz)	free(p)
#include <uthash.h>

#include "directories/pfd.h"

#define PFD_NKINDS	2
#define PFD_FLAGS	(PFD_SHARED | PFD_DIRTY)

struct pfd_entry {
	struct pfd_page		 page;
	struct pfd_entry	*prev;	/* LRU list of page.kind */
	struct pfd_entry	*next;
	UT_hash_handle		 hh;
};

struct pfd_lru {
	struct pfd_entry	*head;	/* oldest */
	struct pfd_entry	*tail;	/* youngest */
	uint32_t		 count;
};

struct pfd {
	struct pfd_entry	*table;
	struct pfd_lru		 lru[PFD_NKINDS];
	uint32_t		 nframes;
	uint32_t		 nfree;
	uint32_t		*free;	/* free frames, top at free[nfree - 1] */
};

static struct pfd_entry	*pfd_entry(struct pfd_page *);
static void		 pfd_unlink(struct pfd_lru *, struct pfd_entry *);
static void		 pfd_link_after(struct pfd_lru *, struct pfd_entry *,
			    struct pfd_entry *);
static void		 pfd_link_sorted(struct pfd_lru *, struct pfd_entry *);
static struct pfd_entry	*pfd_older(struct pfd_entry *, struct pfd_entry *);

static struct pfd_entry *
pfd_entry(struct pfd_page *pg)
{
	return (struct pfd_entry *)((char *)pg -
	    offsetof(struct pfd_entry, page));
}

static void
pfd_unlink(struct pfd_lru *l, struct pfd_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
	l->count--;
}

/* Link e after p, or at the head if p is NULL. */
static void
pfd_link_after(struct pfd_lru *l, struct pfd_entry *p, struct pfd_entry *e)
{
	e->prev = p;
	e->next = (p != NULL) ? p->next : l->head;
	if (e->next != NULL)
		e->next->prev = e;
	else
		l->tail = e;
	if (p != NULL)
		p->next = e;
	else
		l->head = e;
	l->count++;
}

/*
 * Link e after the last entry whose last_ref is not later than its own.  One
 * walker goes back from the tail looking for that entry, the other forward
 * from the head looking for the first later one; the first to stop places e.
 */
static void
pfd_link_sorted(struct pfd_lru *l, struct pfd_entry *e)
{
	struct pfd_entry	*back = l->tail, *fwd = l->head;
	uint64_t		 t = e->page.last_ref;

	for (;;) {
		if (back == NULL || back->page.last_ref <= t) {
			pfd_link_after(l, back, e);
			return;
		}
		if (fwd == NULL || fwd->page.last_ref > t) {
			pfd_link_after(l, fwd != NULL ? fwd->prev : l->tail, e);
			return;
		}
		back = back->prev;
		fwd = fwd->next;
	}
}

/*
 * The one to evict first of a local and a global page, either may be NULL.
 * The global one counts as PFD_GLOBAL_AGE_BIAS ticks older and wins ties
 * (GMS-REFERENCE.md section 4).
 */
static struct pfd_entry *
pfd_older(struct pfd_entry *l, struct pfd_entry *g)
{
	if (l == NULL)
		return g;
	if (g == NULL)
		return l;
	if (g->page.last_ref <= l->page.last_ref ||
	    g->page.last_ref - l->page.last_ref <= PFD_GLOBAL_AGE_BIAS)
		return g;
	return l;
}

struct pfd *
pfd_create(uint32_t nframes)
{
	struct pfd	*pfd;
	uint32_t	 i;

	pfd = xcalloc(1, sizeof *pfd);
	pfd->nframes = nframes;
	pfd->nfree = nframes;
	pfd->free = xcalloc(nframes, sizeof *pfd->free);
	/* Frame 0 on top: frames are handed out in order at first. */
	for (i = 0; i < nframes; i++)
		pfd->free[i] = nframes - 1 - i;
	return pfd;
}

void
pfd_free(struct pfd *pfd)
{
	struct pfd_entry	*e, *tmp;

	if (pfd == NULL)
		return;
	HASH_ITER(hh, pfd->table, e, tmp) {
		HASH_DEL(pfd->table, e);
		free(e);
	}
	free(pfd->free);
	free(pfd);
}

struct pfd_page *
pfd_insert(struct pfd *pfd, const struct uid *uid, int kind, int flags,
    uint64_t last_ref)
{
	struct pfd_entry	*e;

	if ((kind != PFD_LOCAL && kind != PFD_GLOBAL) ||
	    (flags & ~PFD_FLAGS) != 0) {
		errno = EINVAL;
		return NULL;
	}
	HASH_FIND(hh, pfd->table, uid, sizeof *uid, e);
	if (e != NULL) {
		errno = EEXIST;
		return NULL;
	}
	if (pfd->nfree == 0) {
		errno = ENOSPC;
		return NULL;
	}

	e = xcalloc(1, sizeof *e);
	e->page.uid = *uid;
	e->page.frame = pfd->free[--pfd->nfree];
	e->page.kind = (uint8_t)kind;
	e->page.flags = (uint8_t)flags;
	e->page.last_ref = last_ref;
	e->page.gen = 0;
	e->page.recirc = 0;
	HASH_ADD(hh, pfd->table, page.uid, sizeof e->page.uid, e);
	pfd_link_sorted(&pfd->lru[kind], e);
	return &e->page;
}

struct pfd_page *
pfd_lookup(struct pfd *pfd, const struct uid *uid)
{
	struct pfd_entry	*e;

	HASH_FIND(hh, pfd->table, uid, sizeof *uid, e);
	return e != NULL ? &e->page : NULL;
}

void
pfd_remove(struct pfd *pfd, struct pfd_page *pg)
{
	struct pfd_entry	*e = pfd_entry(pg);

	pfd_unlink(&pfd->lru[pg->kind], e);
	HASH_DEL(pfd->table, e);
	pfd->free[pfd->nfree++] = pg->frame;
	free(e);
}

/*
 * A reference at now.  last_ref never goes back: a now older than the last
 * reference (a caller with a stale clock) leaves it as it is.
 */
void
pfd_touch(struct pfd *pfd, struct pfd_page *pg, uint64_t now)
{
	struct pfd_lru		*l = &pfd->lru[pg->kind];
	struct pfd_entry	*e = pfd_entry(pg);

	if (now > pg->last_ref)
		pg->last_ref = now;
	pfd_unlink(l, e);
	pfd_link_sorted(l, e);
}

void
pfd_set_kind(struct pfd *pfd, struct pfd_page *pg, int kind)
{
	struct pfd_entry	*e = pfd_entry(pg);

	if (kind != PFD_LOCAL && kind != PFD_GLOBAL)
		fatalx("pfd_set_kind: bad kind %d", kind);
	if (kind == pg->kind)
		return;
	pfd_unlink(&pfd->lru[pg->kind], e);
	pg->kind = (uint8_t)kind;
	pfd_link_sorted(&pfd->lru[kind], e);
}

void
pfd_set_flags(struct pfd *pfd, struct pfd_page *pg, int set, int clear)
{
	(void)pfd;
	pg->flags = (uint8_t)((pg->flags & ~clear) | (set & PFD_FLAGS));
}

void
pfd_set_gen(struct pfd *pfd, struct pfd_page *pg, uint32_t gen)
{
	(void)pfd;
	pg->gen = gen;
}

void
pfd_set_recirc(struct pfd *pfd, struct pfd_page *pg, uint8_t count)
{
	(void)pfd;
	pg->recirc = count;
}

uint64_t
pfd_age(const struct pfd_page *pg, uint64_t now)
{
	return now > pg->last_ref ? now - pg->last_ref : 0;
}

/*
 * Ages are compared as last references, which orders pages as their ages
 * at any now would without clamping the ages of pages touched after now.
 */
struct pfd_page *
pfd_oldest(struct pfd *pfd, unsigned int mask, uint64_t now)
{
	struct pfd_entry	*l = NULL, *g = NULL, *e;

	(void)now;
	if (mask & PFD_KLOCAL)
		l = pfd->lru[PFD_LOCAL].head;
	if (mask & PFD_KGLOBAL)
		g = pfd->lru[PFD_GLOBAL].head;
	e = pfd_older(l, g);
	return e != NULL ? &e->page : NULL;
}

uint32_t
pfd_nframes(const struct pfd *pfd)
{
	return pfd->nframes;
}

uint32_t
pfd_nfree(const struct pfd *pfd)
{
	return pfd->nfree;
}

uint32_t
pfd_count(const struct pfd *pfd, int kind)
{
	if (kind != PFD_LOCAL && kind != PFD_GLOBAL)
		return 0;
	return pfd->lru[kind].count;
}

/*
 * Merge the two lists, oldest first with the global bias.  The cursor past
 * an entry moves on before the callback runs, so the callback may free it.
 */
void
pfd_foreach(struct pfd *pfd, pfd_visit_fn *fn, void *arg)
{
	struct pfd_entry	*l = pfd->lru[PFD_LOCAL].head;
	struct pfd_entry	*g = pfd->lru[PFD_GLOBAL].head;
	struct pfd_entry	*e;

	while ((e = pfd_older(l, g)) != NULL) {
		if (e == l)
			l = l->next;
		else
			g = g->next;
		if (fn(&e->page, arg) != 0)
			break;
	}
}
