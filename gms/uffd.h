/*
 * uffd.h: kernel interfaces newer than the system headers.
 *
 * Debian 12 ships the 6.1 uapi headers; GMS runs on newer kernels (6.18 on
 * the development machine).  Every definition here is copied from the
 * kernel's include/uapi (linux/userfaultfd.h, linux/fs.h,
 * asm-generic/mman-common.h, asm/unistd_64.h) and guarded, so a newer
 * system header wins.  Whether the running kernel has a feature is found
 * at run time (UFFDIO_API answers, ioctls fail with EINVAL or ENOTTY).
 */
#ifndef GMS_UFFD_H
#define GMS_UFFD_H

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <linux/fs.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>

/* userfaultfd(2) flag (5.11) and /dev/userfaultfd (6.1). */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY		1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC			0xAA
#define USERFAULTFD_IOC_NEW		_IO(USERFAULTFD_IOC, 0x00)
#endif

/* UFFDIO_API features after 6.1. */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED	(1 << 13)	/* 6.4 */
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON		(1 << 14)	/* 6.6 */
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC		(1 << 15)	/* 6.7 */
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE		(1 << 16)	/* 6.8 */
#endif

/* UFFDIO_CONTINUE may map the page write-protected (6.5). */
#ifndef UFFDIO_CONTINUE_MODE_WP
#define UFFDIO_CONTINUE_MODE_WP		((__u64)1 << 1)
#endif

/* PAGEMAP_SCAN ioctl on /proc/<pid>/pagemap (6.7). */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WPALLOWED		(1 << 0)
#define PAGE_IS_WRITTEN			(1 << 1)
#define PAGE_IS_FILE			(1 << 2)
#define PAGE_IS_PRESENT			(1 << 3)
#define PAGE_IS_SWAPPED			(1 << 4)
#define PAGE_IS_PFNZERO			(1 << 5)
#define PAGE_IS_HUGE			(1 << 6)
#define PAGE_IS_SOFT_DIRTY		(1 << 7)

struct page_region {
	__u64	start;
	__u64	end;
	__u64	categories;
};

#define PM_SCAN_WP_MATCHING		(1 << 0)
#define PM_SCAN_CHECK_WPASYNC		(1 << 1)

struct pm_scan_arg {
	__u64	size;
	__u64	flags;
	__u64	start;
	__u64	end;
	__u64	walk_end;
	__u64	vec;
	__u64	vec_len;
	__u64	max_pages;
	__u64	category_inverted;
	__u64	category_mask;
	__u64	category_anyof_mask;
	__u64	return_mask;
};

#define PAGEMAP_SCAN			_IOWR('f', 16, struct pm_scan_arg)
#endif

/* madvise advice usable through process_madvise(2) (5.4). */
#ifndef MADV_COLD
#define MADV_COLD			20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT			21
#endif

/* System calls without a glibc wrapper in glibc 2.36. */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal		424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open			434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise		440
#endif

#endif
