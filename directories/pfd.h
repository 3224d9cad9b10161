/*
 * pfd.h: the page frame directory, one per node (GMS-REFERENCE.md section 3).
 *
 * Maps a UID to the frame that holds it, whether the page is local (used by
 * this node's programs) or global (kept for another node), shared or private,
 * dirty, and when it was last referenced.  The PFD also owns the node's frame
 * budget: it hands out frame numbers 0 .. nframes-1 and takes them back.
 *
 * Pure: no I/O, no clock.  Time comes in as "now", in the caller's ticks
 * (gmsd uses milliseconds); a page's age is now minus its last reference.
 */
#ifndef GMS_PFD_H
#define GMS_PFD_H

#include <stdint.h>

#include "directories/uid.h"

#define PFD_LOCAL	0	/* kind: a page of this node's programs */
#define PFD_GLOBAL	1	/* kind: a clean page kept for another node */

#define PFD_KLOCAL	(1u << PFD_LOCAL)	/* kind masks for pfd_oldest */
#define PFD_KGLOBAL	(1u << PFD_GLOBAL)
#define PFD_KANY	(PFD_KLOCAL | PFD_KGLOBAL)

#define PFD_SHARED	0x01	/* flag: shared page (case 4) */
#define PFD_DIRTY	0x02	/* flag: differs from the backing store */

/*
 * Global pages look this much older than they are, so that at equal age a
 * global page is evicted before a local one (GMS-REFERENCE.md section 4).
 */
#define PFD_GLOBAL_AGE_BIAS	1	/* ticks */

/* The read-only view of one entry; change it only through pfd_* calls. */
struct pfd_page {
	struct uid	uid;
	uint32_t	frame;		/* 0 .. nframes-1 */
	uint8_t		kind;		/* PFD_LOCAL or PFD_GLOBAL */
	uint8_t		flags;		/* PFD_SHARED | PFD_DIRTY */
	uint64_t	last_ref;	/* tick of the last reference */
	uint32_t	gen;		/* a global copy's put generation */
	uint8_t		recirc;		/* N-chance: forwards left, 0: none */
};

struct pfd;

struct pfd	*pfd_create(uint32_t nframes);
void		 pfd_free(struct pfd *);

/*
 * Take a free frame for uid.  last_ref may lie in the past (a putpage carries
 * the page's age).  Returns NULL with errno EEXIST if uid is present, ENOSPC
 * if no frame is free.
 */
struct pfd_page	*pfd_insert(struct pfd *, const struct uid *, int kind,
		    int flags, uint64_t last_ref);
struct pfd_page	*pfd_lookup(struct pfd *, const struct uid *);
/* Drop the entry and free its frame; the pointer is invalid afterwards. */
void		 pfd_remove(struct pfd *, struct pfd_page *);

void		 pfd_touch(struct pfd *, struct pfd_page *, uint64_t now);
/* Move a page across the local/global boundary (cases 1 and 2). */
void		 pfd_set_kind(struct pfd *, struct pfd_page *, int kind);
void		 pfd_set_flags(struct pfd *, struct pfd_page *, int set,
		    int clear);
void		 pfd_set_gen(struct pfd *, struct pfd_page *, uint32_t gen);
void		 pfd_set_recirc(struct pfd *, struct pfd_page *, uint8_t);

uint64_t	 pfd_age(const struct pfd_page *, uint64_t now);
/*
 * The oldest page among the kinds in mask, global ones biased older by
 * PFD_GLOBAL_AGE_BIAS; NULL if there is none.
 */
struct pfd_page	*pfd_oldest(struct pfd *, unsigned int mask, uint64_t now);

uint32_t	 pfd_nframes(const struct pfd *);
uint32_t	 pfd_nfree(const struct pfd *);
uint32_t	 pfd_count(const struct pfd *, int kind);

/*
 * Visit every entry, oldest first.  The callback may remove the entry it is
 * given (and only that one); a non-zero return stops the walk.
 */
typedef int	 pfd_visit_fn(struct pfd_page *, void *);
void		 pfd_foreach(struct pfd *, pfd_visit_fn *, void *);

#endif
