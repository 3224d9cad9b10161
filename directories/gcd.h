/*
 * gcd.h: one node's partition of the global cache directory
 * (GMS-REFERENCE.md section 3).
 *
 * Maps a UID to the nodes that cache it: the one node holding it as a global
 * page, and for shared pages every node holding a local copy (case 4).
 * Private pages that are local on their owner are not tracked here: only the
 * owner faults on them, and its PFD knows.
 *
 * Pure: no I/O.
 */
#ifndef GMS_GCD_H
#define GMS_GCD_H

#include <stddef.h>
#include <stdint.h>

#include "directories/uid.h"

#define GCD_MAX_HOLDERS	8	/* copies of one page tracked at most */

struct gcd;

struct gcd	*gcd_create(void);
void		 gcd_free(struct gcd *);

/*
 * Record that node caches uid.  Returns 1 if added, 0 if already recorded,
 * -1 (errno ENOSPC) if the entry has GCD_MAX_HOLDERS holders already.
 */
int		 gcd_add(struct gcd *, const struct uid *, uint32_t node);
/* Forget that node caches uid; returns 1 if it was recorded, else 0. */
int		 gcd_remove(struct gcd *, const struct uid *, uint32_t node);
/* Forget uid entirely; returns the number of holders it had. */
int		 gcd_drop(struct gcd *, const struct uid *);
/* Copy up to max holders into out, lowest node id first; returns the count. */
int		 gcd_holders(const struct gcd *, const struct uid *,
		    uint32_t *out, int max);

/* A dead node: remove it as a holder everywhere; returns entries changed. */
size_t		 gcd_drop_node(struct gcd *, uint32_t node);
/* A departed owner: drop every private entry whose uid.node is owner. */
size_t		 gcd_drop_owner(struct gcd *, uint32_t owner);

size_t		 gcd_count(const struct gcd *);

/*
 * Visit every entry (in no particular order).  Returning 1 removes the
 * visited entry (used to hand a part of the partition over), 0 keeps it,
 * -1 stops the walk.
 */
typedef int	 gcd_visit_fn(const struct uid *, const uint32_t *holders,
		    int nholders, void *);
void		 gcd_foreach(struct gcd *, gcd_visit_fn *, void *);

#endif
