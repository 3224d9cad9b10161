/*
 * store.c: backing files read and written with O_DIRECT (see store.h).
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/store.h"
#include "gms/xmalloc.h"

/*
 * The 1995 figures are the paper's page-fault times from disk (8 KB
 * pages, DEC Alpha, GMS-REFERENCE.md section 6); the others are typical
 * 4 KB service times of today's devices at queue depth one.
 */
static const struct store_model store_model_table[] = {
	{ "none", 0, 0, "this machine's disk as it is" },
	{ "1995", 3600, 14300, "the paper's disk: 3.6 ms sequential, "
	    "14.3 ms random" },
	{ "hdd", 200, 8000, "a 7200 rpm disk" },
	{ "ssd", 40, 100, "a SATA flash disk" },
	{ "nvme", 15, 25, "an NVMe flash disk" },
};

const struct store_model *
store_model(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof store_model_table / sizeof store_model_table[0];
	    i++)
		if (strcmp(store_model_table[i].name, name) == 0)
			return &store_model_table[i];
	return NULL;
}

const struct store_model *
store_models(int *n)
{
	*n = (int)(sizeof store_model_table / sizeof store_model_table[0]);
	return store_model_table;
}

struct store {
	int			 fd;
	const struct store_model *model;
	uint64_t		 last_pgno;
	int			 owned;		/* delete on close */
	int			 direct;	/* O_DIRECT in effect */
	uint32_t		 page_size;
	uint64_t		 npages;
	uint64_t		 file_size;	/* a file's real length */
	char			 path[PATH_MAX];
	struct store_stats	 st;
};

static uint64_t
store_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Hold until the model's service time for this I/O has passed since t0. */
static void
store_hold(struct store *s, uint64_t pgno, uint64_t t0)
{
	struct timespec	ts;
	uint64_t	want, now, until;

	if (s->model == NULL || s->model->rand_us == 0) {
		s->last_pgno = pgno;
		return;
	}
	want = (uint64_t)(pgno == s->last_pgno + 1 ? s->model->seq_us :
	    s->model->rand_us) * 1000;
	s->last_pgno = pgno;
	until = t0 + want;
	now = store_ns();
	if (now >= until)
		return;
	s->st.model_ns += until - now;
	while ((now = store_ns()) < until) {
		if (until - now > 60000) {	/* sleep, minus the wake-up */
			ts.tv_sec = 0;
			ts.tv_nsec = (long)(until - now - 50000);
			nanosleep(&ts, NULL);
		}
	}
}

/* O_DIRECT where the file system has it (tmpfs does not). */
static int
store_open_path(const char *path, int flags, int *direct)
{
	int	fd;

	fd = open(path, flags | O_DIRECT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*direct = 1;
		return fd;
	}
	if (errno != EINVAL)
		return -1;
	*direct = 0;
	return open(path, flags | O_CLOEXEC, 0600);
}

struct store *
store_create(const char *dir, uint32_t space, uint64_t npages,
    uint32_t page_size, const struct store_model *model, char *err,
    size_t errlen)
{
	struct store	*s;
	struct statvfs	 vfs;
	uint64_t	 bytes = npages * page_size, room;

	if (statvfs(dir, &vfs) == -1) {
		snprintf(err, errlen, "cannot inspect the backing store "
		    "directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	room = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (bytes > room) {
		snprintf(err, errlen, "a region of %llu bytes does not fit "
		    "the backing store in %s (%llu bytes free)",
		    (unsigned long long)bytes, dir, (unsigned long long)room);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->page_size = page_size;
	s->npages = npages;
	s->owned = 1;
	s->model = model;
	s->last_pgno = UINT64_MAX - 1;
	snprintf(s->path, sizeof s->path, "%s/region-%u.pages", dir, space);
	s->fd = store_open_path(s->path, O_RDWR | O_CREAT | O_TRUNC,
	    &s->direct);
	if (s->fd < 0 || ftruncate(s->fd, (off_t)bytes) == -1) {
		snprintf(err, errlen, "cannot create the backing file %s: %s",
		    s->path, strerror(errno));
		if (s->fd >= 0) {
			close(s->fd);
			unlink(s->path);
		}
		free(s);
		return NULL;
	}
	s->file_size = bytes;
	return s;
}

struct store *
store_open_file(const char *path, uint32_t page_size,
    const struct store_model *model, uint64_t *npages, char *err,
    size_t errlen)
{
	struct store	*s;
	struct stat	 sb;

	s = xcalloc(1, sizeof *s);
	s->page_size = page_size;
	s->model = model;
	s->last_pgno = UINT64_MAX - 1;
	snprintf(s->path, sizeof s->path, "%s", path);
	s->fd = store_open_path(path, O_RDONLY, &s->direct);
	if (s->fd < 0 || fstat(s->fd, &sb) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0) {
		snprintf(err, errlen, "%s is not a non-empty regular file",
		    path);
		close(s->fd);
		free(s);
		return NULL;
	}
	s->file_size = (uint64_t)sb.st_size;
	s->npages = (s->file_size + page_size - 1) / page_size;
	*npages = s->npages;
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	close(s->fd);
	if (s->owned)
		unlink(s->path);
	free(s);
}

int
store_read(struct store *s, uint64_t pgno, void *buf)
{
	uint64_t	t0 = store_ns(), off = pgno * s->page_size;
	size_t		done = 0;
	ssize_t		n;

	if (pgno >= s->npages) {
		errno = EINVAL;
		return -1;
	}
	while (done < s->page_size) {
		n = pread(s->fd, (char *)buf + done, s->page_size - done,
		    (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->st.errors++;
			return -1;
		}
		if (n == 0)	/* past the end of a file: zeros */
			break;
		done += (size_t)n;
	}
	if (done < s->page_size)
		memset((char *)buf + done, 0, s->page_size - done);
	store_hold(s, pgno, t0);
	s->st.reads++;
	s->st.read_ns += store_ns() - t0;
	return 0;
}

int
store_write(struct store *s, uint64_t pgno, const void *buf)
{
	uint64_t	t0 = store_ns(), off = pgno * s->page_size;
	size_t		done = 0;
	ssize_t		n;

	if (!s->owned || pgno >= s->npages) {
		errno = EINVAL;
		return -1;
	}
	while (done < s->page_size) {
		n = pwrite(s->fd, (const char *)buf + done,
		    s->page_size - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->st.errors++;
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		done += (size_t)n;
	}
	store_hold(s, pgno, t0);
	s->st.writes++;
	s->st.write_ns += store_ns() - t0;
	return 0;
}

const struct store_stats *
store_stats(const struct store *s)
{
	return &s->st;
}
