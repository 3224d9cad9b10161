/*
 * gms.h: the client library of the Global Memory Service (libgms).
 *
 * A program keeps its data in GMS memory and uses it with plain loads and
 * stores:
 *
 *	struct gms *g = gms_connect(NULL);	// the local gmsd
 *	uint64_t *a = gms_map(g, 1 << 30);	// 1 GiB, zero-filled
 *	a[12345] = 42;
 *	...
 *	gms_unmap(g, a);
 *	gms_disconnect(g);
 *
 * The region is a memory file (memfd) that the program maps and the local
 * gmsd pages through userfaultfd: gmsd alone decides which pages are
 * resident, within its frame budget (--mem).  A page that is not resident
 * is fetched from another node's memory or from gmsd's backing store when
 * the program touches it; the thread that touched it waits meanwhile.
 *
 * If gmsd dies while the program runs, the program's GMS memory is gone:
 * libgms prints one line on stderr and ends the process with exit status
 * GMS_EXIT_LOST (it never lets a page read back as zeros).  If gmsd cannot
 * write or read the program's pages in its backing store (the disk is
 * full, an I/O error), it gives up the program's regions and libgms ends
 * the process with exit status GMS_EXIT_STORE and gmsd's sentence.
 *
 * Functions return NULL or -1 on failure and set errno; gms_error() then
 * says why in a sentence.  A struct gms may be used by one thread at a
 * time; the memory itself by any number of threads.
 */
#ifndef GMS_GMS_H
#define GMS_GMS_H

#include <stddef.h>
#include <stdint.h>

#define GMS_EXIT_LOST	75	/* exit status when gmsd died under us */
#define GMS_EXIT_STORE	74	/* gmsd's backing store failed our pages */

struct gms;

/* dir: gmsd's --dir; NULL means $GMSD_DIR, else /tmp/gmsd-7070. */
struct gms	*gms_connect(const char *dir);
void		 gms_disconnect(struct gms *);

/* A zero-filled read-write region of len bytes (rounded up to pages). */
void		*gms_map(struct gms *, size_t len);
/*
 * The file at path, read-only, as shared pages: several programs or nodes
 * mapping the same file share its pages through the cluster (case 4).
 * *len gets the mapped length.
 */
void		*gms_map_file(struct gms *, const char *path, size_t *len);
int		 gms_unmap(struct gms *, void *addr);

size_t		 gms_page_size(const struct gms *);
uint32_t	 gms_node(const struct gms *);
/* The UID space gmsd gave the region at addr (its pages' UIDs). */
int		 gms_space(const struct gms *, const void *addr,
		     uint32_t *space);
/*
 * The last error of this handle, as a sentence; gms_error(NULL): why this
 * thread's last gms_connect() failed.
 */
const char	*gms_error(const struct gms *);

#endif
