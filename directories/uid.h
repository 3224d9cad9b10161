/*
 * uid.h: the cluster-wide name of a page (GMS-REFERENCE.md section 3).
 *
 * 128 bits, as in the paper: the backing node, the space (a region of a
 * program, or a file for shared pages), and the page number in that space.
 * The struct has no padding, so its bytes can be a hash key as they are.
 */
#ifndef GMS_UID_H
#define GMS_UID_H

#include <stddef.h>
#include <stdint.h>

#define UID_SHARED	0x80000000u	/* space bit: a shared (file) page */
#define UID_STRLEN	48		/* room for uid_fmt() output */

struct uid {
	uint32_t	node;	/* backing node id; 0 for shared file pages */
	uint32_t	space;	/* region or file id, UID_SHARED for files */
	uint64_t	pgno;	/* page number within the space */
};

/* A stable hash, the same on every node and every run (used by the POD). */
uint64_t	uid_hash(const struct uid *);
int		uid_eq(const struct uid *, const struct uid *);
int		uid_is_shared(const struct uid *);
/* "node:space:pgno" in decimal, space with an "s" suffix when shared. */
const char	*uid_fmt(const struct uid *, char *, size_t);
/* Parse what uid_fmt() writes; 0 on success, -1 on bad input. */
int		uid_parse(const char *, struct uid *);

#endif
