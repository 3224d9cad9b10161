/*
 * region.c: the userfaultfd mechanics of one client region (see region.h).
 *
 * What the kernel does, measured on 6.18 (tests/unit/test_region.c and
 * experiments/bench/floor_uffd.c check it):
 * - MISSING, WP and MINOR can be registered together on a shmem mapping.
 * - Write protection of a file page survives the loss of its page-table
 *   entry as a PTE marker: after MADV_PAGEOUT or a punched hole the next
 *   mapping of the page is protected again.  UFFDIO_CONTINUE and
 *   UFFDIO_COPY decide protection themselves through their MODE_WP.
 * - A thread blocked in a WP fault stays blocked across a hole punch; a
 *   UFFDIO_WAKE (or UFFDIO_COPY on the page) lets it retry, and it then
 *   faults MISSING.
 * - When the client exits the uffd reports nothing (no POLLHUP, read says
 *   EAGAIN) and every ioctl fails with ESRCH.
 * The uffd must not use UFFD_FEATURE_WP_ASYNC: with it the kernel resolves
 * WP faults itself, and eviction would lose the stores made while a page
 * is copied out.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gms/region.h"
#include "gms/uffd.h"
#include "gms/xmalloc.h"

#define REGION_MSG_BATCH	32	/* uffd messages read at once */
#define REGION_SCAN_VEC		256	/* PAGEMAP_SCAN ranges per call */
#define REGION_EAGAIN_TRIES	100	/* UFFDIO_COPY retries, mm changing */
#define REGION_TMPFS_MAGIC	0x01021994	/* memfd lives on tmpfs */

/* Features the client asks for; the kernel refuses the uffd without them. */
#define REGION_FEATURES		(UFFD_FEATURE_MISSING_SHMEM |		\
				 UFFD_FEATURE_WP_HUGETLBFS_SHMEM |	\
				 UFFD_FEATURE_MINOR_SHMEM)

struct region {
	int		 memfd;
	int		 uffd;
	int		 pidfd;		/* client, for process_madvise */
	int		 pagemap;	/* /proc/<pid>/pagemap */
	int		 scan_ok;	/* PAGEMAP_SCAN works */
	uintptr_t	 base;		/* region in the client */
	size_t		 len;
	size_t		 page_size;	/* GMS page */
	size_t		 kpage;		/* kernel page */
	uint64_t	 npages;

	struct uffd_msg	 msgs[REGION_MSG_BATCH];
	size_t		 msg_count;
	size_t		 msg_next;
};

static int	region_check_fds(int, int, size_t);
static int	region_open_client(struct region *, pid_t);
static int	region_decode(struct region *, const struct uffd_msg *,
		    struct region_fault *);
static int	region_scan_pagemap(struct region *, uint64_t, uint64_t,
		    uint8_t *);

/* Client side. */

int
region_uffd_open(int *user_only)
{
	struct uffdio_api	api;
	int			fd, dev, flags = O_CLOEXEC | O_NONBLOCK;

	*user_only = 0;
	fd = syscall(SYS_userfaultfd, flags);
	if (fd == -1 && errno == EPERM) {
		dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (dev != -1) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
			close(dev);
		}
		if (fd == -1) {
			fd = syscall(SYS_userfaultfd,
			    flags | UFFD_USER_MODE_ONLY);
			*user_only = 1;
		}
	}
	if (fd == -1)
		return -1;

	memset(&api, 0, sizeof api);
	api.api = UFFD_API;
	api.features = REGION_FEATURES;
	if (ioctl(fd, UFFDIO_API, &api) == -1) {
		close(fd);
		errno = ENOTSUP;
		return -1;
	}
	return fd;
}

int
region_uffd_register(int uffd, void *base, size_t len, int flags)
{
	struct uffdio_register	reg;

	memset(&reg, 0, sizeof reg);
	reg.range.start = (uintptr_t)base;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP;
	if (flags & REGION_REG_MINOR)
		reg.mode |= UFFDIO_REGISTER_MODE_MINOR;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) == -1)
		return -1;
	if ((reg.ioctls & ((__u64)1 << _UFFDIO_WRITEPROTECT)) == 0) {
		errno = ENOTSUP;
		return -1;
	}
	return 0;
}

/* gmsd side. */

/* Reject fds that are not what a client must send. */
static int
region_check_fds(int memfd, int uffd, size_t len)
{
	struct statfs	sfs;
	struct stat	st;
	char		path[64], link[64];
	ssize_t		n;

	if (fstatfs(memfd, &sfs) == -1 || fstat(memfd, &st) == -1)
		return -1;
	if (sfs.f_type != REGION_TMPFS_MAGIC || !S_ISREG(st.st_mode) ||
	    (uintmax_t)st.st_size < len) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", uffd);
	n = readlink(path, link, sizeof link - 1);
	if (n == -1)
		return -1;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:[userfaultfd]") != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Handles on the client process for the sampler. */
static int
region_open_client(struct region *r, pid_t pid)
{
	char	path[64];

	r->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (r->pidfd == -1)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/pagemap", (long)pid);
	r->pagemap = open(path, O_RDONLY | O_CLOEXEC);
	if (r->pagemap == -1)
		return -1;
	/* Still alive, so pid was not reused between the two opens. */
	if (syscall(SYS_pidfd_send_signal, r->pidfd, 0, NULL, 0) == -1)
		return -1;
	r->scan_ok = 1;
	return 0;
}

struct region *
region_attach(int memfd, int uffd, pid_t pid, uintptr_t client_base,
    size_t len, size_t page_size)
{
	struct region	*r;
	long		 kpage = sysconf(_SC_PAGESIZE);
	int		 fl, saved;

	r = xcalloc(1, sizeof *r);
	r->memfd = memfd;
	r->uffd = uffd;
	r->pidfd = r->pagemap = -1;

	if (kpage <= 0 || page_size < (size_t)kpage ||
	    (page_size & (page_size - 1)) != 0 || len == 0 ||
	    len % page_size != 0 || client_base % page_size != 0) {
		errno = EINVAL;
		goto fail;
	}
	if (region_check_fds(memfd, uffd, len) == -1)
		goto fail;
	if ((fl = fcntl(uffd, F_GETFL)) == -1 ||
	    fcntl(uffd, F_SETFL, fl | O_NONBLOCK) == -1)
		goto fail;
	r->base = client_base;
	r->len = len;
	r->page_size = page_size;
	r->kpage = kpage;
	r->npages = len / page_size;
	if (pid > 0 && region_open_client(r, pid) == -1)
		goto fail;
	return r;

fail:
	saved = errno;
	region_detach(r);
	errno = saved;
	return NULL;
}

void
region_detach(struct region *r)
{
	if (r == NULL)
		return;
	if (r->pagemap != -1)
		close(r->pagemap);
	if (r->pidfd != -1)
		close(r->pidfd);
	if (r->uffd != -1)
		close(r->uffd);
	if (r->memfd != -1)
		close(r->memfd);
	free(r);
}

int
region_fd(struct region *r)
{
	return r->uffd;
}

uint64_t
region_npages(struct region *r)
{
	return r->npages;
}

/* Turn one uffd message into a fault; -1 for messages that are not. */
static int
region_decode(struct region *r, const struct uffd_msg *m,
    struct region_fault *f)
{
	uint64_t	addr, flags;

	if (m->event == UFFD_EVENT_FORK) {
		/* Not requested, but never leak the fd it carries. */
		close((int)m->arg.fork.ufd);
		return -1;
	}
	if (m->event != UFFD_EVENT_PAGEFAULT)
		return -1;
	addr = m->arg.pagefault.address;
	flags = m->arg.pagefault.flags;
	if (addr < r->base || addr - r->base >= r->len)
		return -1;
	f->pgno = (addr - r->base) / r->page_size;
	f->write = (flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0;
	if (flags & UFFD_PAGEFAULT_FLAG_WP)
		f->kind = REGION_FAULT_WP;
	else if (flags & UFFD_PAGEFAULT_FLAG_MINOR)
		f->kind = REGION_FAULT_MINOR;
	else
		f->kind = REGION_FAULT_MISSING;
	return 0;
}

int
region_next_fault(struct region *r, struct region_fault *f)
{
	ssize_t	n;

	for (;;) {
		if (r->msg_next == r->msg_count) {
			n = read(r->uffd, r->msgs, sizeof r->msgs);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				return -1;
			if (n == 0 || n % sizeof r->msgs[0] != 0) {
				errno = EIO;
				return -1;
			}
			r->msg_count = n / sizeof r->msgs[0];
			r->msg_next = 0;
		}
		if (region_decode(r, &r->msgs[r->msg_next++], f) == 0)
			return 0;
	}
}

int
region_faults_buffered(const struct region *r)
{
	return r->msg_next < r->msg_count;
}

static int
region_check(struct region *r, uint64_t pgno)
{
	if (pgno >= r->npages) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
region_install(struct region *r, uint64_t pgno, const void *data, int wp)
{
	struct uffdio_copy	 c;
	const char		*src = data;
	size_t			 done = 0;
	int			 existed = 0, tries = 0;

	if (region_check(r, pgno) == -1)
		return -1;
	while (done < r->page_size) {
		memset(&c, 0, sizeof c);
		c.dst = r->base + pgno * r->page_size + done;
		c.src = (uintptr_t)(src + done);
		c.len = r->page_size - done;
		c.mode = wp ? UFFDIO_COPY_MODE_WP : 0;
		if (ioctl(r->uffd, UFFDIO_COPY, &c) == 0)
			break;
		if (c.copy > 0)			/* partial: go on */
			done += c.copy;
		else if (errno == EEXIST) {	/* this kernel page is there */
			done += r->kpage;
			existed = 1;
		} else if (errno != EAGAIN || ++tries > REGION_EAGAIN_TRIES)
			return -1;
	}
	/* COPY wakes only the pages it filled. */
	if (existed)
		return region_wake(r, pgno);
	return 0;
}

int
region_continue(struct region *r, uint64_t pgno, int wp)
{
	struct uffdio_continue	c;
	size_t			done = 0;
	int			existed = 0;

	if (region_check(r, pgno) == -1)
		return -1;
	while (done < r->page_size) {
		memset(&c, 0, sizeof c);
		c.range.start = r->base + pgno * r->page_size + done;
		c.range.len = r->page_size - done;
		c.mode = wp ? UFFDIO_CONTINUE_MODE_WP : 0;
		if (ioctl(r->uffd, UFFDIO_CONTINUE, &c) == 0)
			break;
		if (c.mapped > 0)
			done += c.mapped;
		else if (errno == EEXIST) {	/* already mapped again */
			done += r->kpage;
			existed = 1;
		} else {
			if (errno == EFAULT)	/* hole: not in page cache */
				errno = ENOENT;
			return -1;
		}
	}
	if (existed)
		return region_wake(r, pgno);
	return 0;
}

static int
region_protect(struct region *r, uint64_t pgno, int on)
{
	struct uffdio_writeprotect	w;

	if (region_check(r, pgno) == -1)
		return -1;
	memset(&w, 0, sizeof w);
	w.range.start = r->base + pgno * r->page_size;
	w.range.len = r->page_size;
	w.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
	return ioctl(r->uffd, UFFDIO_WRITEPROTECT, &w);
}

int
region_make_writable(struct region *r, uint64_t pgno)
{
	return region_protect(r, pgno, 0);
}

int
region_wake(struct region *r, uint64_t pgno)
{
	struct uffdio_range	w;

	if (region_check(r, pgno) == -1)
		return -1;
	w.start = r->base + pgno * r->page_size;
	w.len = r->page_size;
	return ioctl(r->uffd, UFFDIO_WAKE, &w);
}

int
region_evict_begin(struct region *r, uint64_t pgno)
{
	return region_protect(r, pgno, 1);
}

/*
 * pread rather than a mapping of our own: a client that shrinks its memfd
 * cannot SIGBUS gmsd, and gmsd's page-table entries do not make the page
 * look shared to MADV_PAGEOUT (which skips shared pages).
 */
int
region_copy_out(struct region *r, uint64_t pgno, void *buf)
{
	char	*p = buf;
	size_t	 done = 0;
	ssize_t	 n;

	if (region_check(r, pgno) == -1)
		return -1;
	while (done < r->page_size) {
		n = pread(r->memfd, p + done, r->page_size - done,
		    (off_t)(pgno * r->page_size + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {			/* memfd truncated */
			errno = EIO;
			return -1;
		}
		done += n;
	}
	return 0;
}

int
region_evict_end(struct region *r, uint64_t pgno)
{
	if (region_check(r, pgno) == -1)
		return -1;
	if (fallocate(r->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)(pgno * r->page_size), (off_t)r->page_size) == -1)
		return -1;
	return region_wake(r, pgno);
}

int
region_sample_arm(struct region *r, uint64_t first, uint64_t n)
{
	struct sysinfo	si;
	struct iovec	iov;
	size_t		len, done = 0;
	ssize_t		got;

	if (first > r->npages || n > r->npages - first) {
		errno = EINVAL;
		return -1;
	}
	if (r->pidfd == -1) {
		errno = EBADF;
		return -1;
	}
	if (sysinfo(&si) == -1)
		return -1;
	if (si.totalswap != 0) {
		errno = ENOTSUP;
		return -1;
	}
	len = n * r->page_size;
	while (done < len) {
		iov.iov_base = (void *)(r->base + first * r->page_size + done);
		iov.iov_len = len - done;
		got = syscall(SYS_process_madvise, r->pidfd, &iov, 1,
		    MADV_PAGEOUT, 0);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			return -1;
		if (got == 0) {
			errno = EIO;
			return -1;
		}
		done += got;
	}
	return 0;
}

/* Fallback for kernels before 6.7: one pagemap entry per kernel page. */
static int
region_scan_pagemap(struct region *r, uint64_t first, uint64_t n,
    uint8_t *present)
{
	uint64_t	ent[512], i, k, nk, per = r->page_size / r->kpage;
	off_t		off;
	ssize_t		got;
	size_t		want;

	nk = n * per;
	off = (off_t)((r->base + first * r->page_size) / r->kpage * 8);
	for (k = 0; k < nk; k += want / 8) {
		want = (nk - k < 512 ? nk - k : 512) * 8;
		got = pread(r->pagemap, ent, want, off + (off_t)(k * 8));
		if (got == -1)
			return -1;
		if ((size_t)got != want) {
			errno = EIO;
			return -1;
		}
		for (i = 0; i < want / 8; i++) {
			if (ent[i] >> 63)	/* PM_PRESENT */
				present[(k + i) / per] = 1;
		}
	}
	return 0;
}

int
region_sample_scan(struct region *r, uint64_t first, uint64_t n,
    uint8_t *present)
{
	struct page_region	vec[REGION_SCAN_VEC];
	struct pm_scan_arg	a;
	uint64_t		start, end, p, pend;
	long			got, i;

	if (first > r->npages || n > r->npages - first) {
		errno = EINVAL;
		return -1;
	}
	if (r->pagemap == -1) {
		errno = EBADF;
		return -1;
	}
	memset(present, 0, n);
	if (!r->scan_ok)
		return region_scan_pagemap(r, first, n, present);

	start = r->base + first * r->page_size;
	end = start + n * r->page_size;
	while (start < end) {
		memset(&a, 0, sizeof a);
		a.size = sizeof a;
		a.start = start;
		a.end = end;
		a.vec = (uintptr_t)vec;
		a.vec_len = REGION_SCAN_VEC;
		a.category_mask = PAGE_IS_PRESENT;
		a.return_mask = PAGE_IS_PRESENT;
		got = ioctl(r->pagemap, PAGEMAP_SCAN, &a);
		if (got == -1 && (errno == ENOTTY || errno == EINVAL) &&
		    start == r->base + first * r->page_size) {
			r->scan_ok = 0;
			return region_scan_pagemap(r, first, n, present);
		}
		if (got == -1)
			return -1;
		for (i = 0; i < got; i++) {
			pend = vec[i].end;
			for (p = vec[i].start; p < pend; p += r->kpage)
				present[(p - r->base) / r->page_size - first] = 1;
		}
		if (a.walk_end <= start) {
			errno = EIO;
			return -1;
		}
		start = a.walk_end;
	}
	return 0;
}
