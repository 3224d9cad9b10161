/*
 * region.h: gmsd's handle on one client region, the userfaultfd mechanics.
 *
 * A client (libgms) backs a region with a memfd, maps it MAP_SHARED at
 * client_base, registers the range with a userfaultfd and passes both fds
 * to gmsd.  From then on a page of the region is resident exactly when it
 * is in the memfd's page cache, and gmsd decides that:
 *
 *   fault MISSING   page not resident -> region_install() (UFFDIO_COPY)
 *   fault WP        first store to a clean page -> region_make_writable()
 *   fault MINOR     (only if registered) page resident but unmapped in the
 *                   client, after region_sample_arm() -> region_continue()
 *
 * Dirty tracking: a page installed or continued with wp set is clean and
 * write-protected; its first store traps (WP) and the page becomes dirty
 * once gmsd makes it writable.  A page installed with wp clear is dirty.
 *
 * Eviction never loses a store; it is split so gmsd can do network or
 * disk I/O in between:
 *   region_evict_begin  write-protect: from its return no store can change
 *                       the page; stores block in a WP fault, loads go on;
 *   region_copy_out     read the frozen bytes (skip it for a clean page);
 *   region_evict_end    punch the page out of the memfd (which unmaps it
 *                       from the client) and wake the blocked threads: they
 *                       fault again, MISSING, and get the page back through
 *                       region_install.
 * Faults reported for a page between evict_begin and evict_end must be left
 * unanswered; evict_end wakes them.  evict_begin followed by copy_out alone
 * is also how a dirty page is cleaned (written back) and kept.
 *
 * Reference bits (the age sampler, the paper's TLB flush):
 * region_sample_arm() drops the client's page-table entries of resident
 * pages (process_madvise MADV_PAGEOUT; the page stays in the page cache
 * and its write protection survives as a PTE marker).  The next access
 * maps the page again: silently in the kernel (about 0.5 us) when MINOR is
 * not registered, and region_sample_scan() then reports it present; or
 * through a MINOR fault to gmsd when REGION_REG_MINOR was registered.
 * Needs CAP_SYS_NICE (or root) over the client and no swap device.
 *
 * Functions return 0 or -1 with errno set and do not log.  ESRCH (from
 * install, continue, make_writable, evict_begin) means the client process
 * is gone; the uffd gives no POLLHUP then and reads say EAGAIN, so gmsd
 * watches the client's socket (or pidfd) for that.
 */
#ifndef GMS_REGION_H
#define GMS_REGION_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* region_uffd_register flags. */
#define REGION_REG_MINOR	0x1	/* also trap accesses after sample_arm */

enum region_fault_kind {
	REGION_FAULT_MISSING,		/* page not resident */
	REGION_FAULT_WP,		/* store to a write-protected page */
	REGION_FAULT_MINOR		/* resident but unmapped (sampled) */
};

struct region_fault {
	enum region_fault_kind	 kind;
	int			 write;	/* the access was a store */
	uint64_t		 pgno;	/* page within the region */
};

struct region;

/*
 * Client side (libgms).  region_uffd_open returns a non-blocking,
 * close-on-exec userfaultfd with the shmem features GMS needs.  Without
 * privilege (vm.unprivileged_userfaultfd = 0, no CAP_SYS_PTRACE) it falls
 * back to /dev/userfaultfd, then to UFFD_USER_MODE_ONLY, and sets
 * *user_only: the kernel then does not wait for gmsd on faults taken
 * inside system calls, which fail with EFAULT instead (read(2) into a
 * non-resident page, for example).  region_uffd_register registers
 * MISSING and WP (and MINOR with REGION_REG_MINOR) on a MAP_SHARED memfd
 * mapping.
 */
int		 region_uffd_open(int *user_only);
int		 region_uffd_register(int uffd, void *base, size_t len,
		     int flags);

/*
 * gmsd side.  region_attach takes ownership of memfd and uffd, even when
 * it fails.  pid is the client's process (for the sampler; -1 for none).
 * page_size is the GMS page: the kernel page size or a power-of-two
 * multiple of it (8192 like the paper); client_base and len must be
 * multiples of it.  region_detach closes everything.  Once no process
 * holds the uffd any more, the kernel wakes the blocked threads and from
 * then on fills every page that is not resident with zeros: so libgms
 * keeps its own uffd open (gmsd's death then blocks it instead of
 * corrupting it) and exits when its socket to gmsd closes, and gmsd
 * detaches only clients that are gone.
 */
struct region	*region_attach(int memfd, int uffd, pid_t pid,
		     uintptr_t client_base, size_t len, size_t page_size);
void		 region_detach(struct region *);
int		 region_fd(struct region *);	/* poll this for faults */
uint64_t	 region_npages(struct region *);

/*
 * One pending fault, or -1 with EAGAIN when none is pending.  Messages are
 * read in batches: call it until EAGAIN before polling region_fd again,
 * or, stopping earlier, run again while region_faults_buffered says so.
 */
int		 region_next_fault(struct region *, struct region_fault *);
/* 1 if faults read from the userfaultfd still wait in the region. */
int		 region_faults_buffered(const struct region *);

/*
 * Resolve a MISSING fault with data (page_size bytes, any alignment).
 * wp: map it clean and write-protected.  A page already resident
 * (duplicate or stale fault) is left as it is and its waiters woken.
 */
int		 region_install(struct region *, uint64_t pgno,
		     const void *data, int wp);
/*
 * Resolve a MINOR fault by mapping the resident page again, protected if
 * wp.  -1 with ENOENT: the page is no longer resident; install it.  -1
 * with EINVAL for wp before Linux 6.5 (no UFFDIO_CONTINUE_MODE_WP):
 * continue without wp and count the page dirty.
 */
int		 region_continue(struct region *, uint64_t pgno, int wp);
/* Resolve a WP fault: the page becomes dirty.  Wakes the writers. */
int		 region_make_writable(struct region *, uint64_t pgno);
/* Wake threads waiting on pgno, to fault again. */
int		 region_wake(struct region *, uint64_t pgno);

/* Eviction in three steps (see above); copy_out of a hole gives zeros. */
int		 region_evict_begin(struct region *, uint64_t pgno);
int		 region_copy_out(struct region *, uint64_t pgno, void *buf);
int		 region_evict_end(struct region *, uint64_t pgno);

/*
 * Age sampler.  arm: make pages [first, first + n) trap on their next
 * access; ENOTSUP when swap is enabled (the kernel would write them to
 * swap), EPERM without CAP_SYS_NICE.  scan: present[i] = 1 when page
 * first + i is mapped in the client, that is, accessed since it was armed
 * (or could not be armed: scan right after arm to know which were).
 */
int		 region_sample_arm(struct region *, uint64_t first,
		     uint64_t n);
int		 region_sample_scan(struct region *, uint64_t first,
		     uint64_t n, uint8_t *present);

#endif
