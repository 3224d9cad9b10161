/*
 * store.h: the backing store of a node's regions (the "disk" of GMS).
 *
 * One file per anonymous region under gmsd's --dir, read and written with
 * O_DIRECT so the kernel's page cache does not hide the disk; a file-backed
 * region reads its own file.  A page never written reads as zeros (the
 * file is sparse).  Buffers must be aligned to STORE_ALIGN.
 */
#ifndef GMS_STORE_H
#define GMS_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_ALIGN	4096	/* buffer and offset alignment, bytes */

/*
 * A disk model: every read and write is done for real (O_DIRECT) and then
 * held until the modelled service time has passed, sequential when the
 * page follows the previous one of the same file, random otherwise.  The
 * model holds the calling thread (a disk with one queue).  "none" adds
 * nothing: the machine's own disk, as it is.
 */
struct store_model {
	const char	*name;
	uint32_t	 seq_us;	/* one page, sequential */
	uint32_t	 rand_us;	/* one page, random */
	const char	*what;
};

/* The model called name, or NULL; store_models() lists them all. */
const struct store_model *store_model(const char *name);
const struct store_model *store_models(int *n);

struct store;

/*
 * A new backing file for a region of npages pages, or NULL with a sentence
 * in err (no room on the file system, cannot create the file...).
 */
struct store	*store_create(const char *dir, uint32_t space, uint64_t npages,
		    uint32_t page_size, const struct store_model *,
		    char *err, size_t errlen);
/* The file at path, read-only; NULL with a sentence in err. */
struct store	*store_open_file(const char *path, uint32_t page_size,
		    const struct store_model *, uint64_t *npages, char *err,
		    size_t errlen);
/* Close; a region's own backing file is deleted. */
void		 store_close(struct store *);

int		 store_read(struct store *, uint64_t pgno, void *buf);
int		 store_write(struct store *, uint64_t pgno, const void *buf);

/* Counters: pages read and written, the time spent (model included). */
struct store_stats {
	uint64_t	reads, writes, read_ns, write_ns, errors;
	uint64_t	model_ns;	/* of which held by the model */
};
const struct store_stats *store_stats(const struct store *);

#endif
