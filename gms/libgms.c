/*
 * libgms.c: the client library of GMS (see gms.h).
 *
 * A connection is a SOCK_SEQPACKET socket to the local gmsd; requests go
 * one at a time from the calling thread, each waiting for its reply.  A
 * region is a memfd mapped MAP_SHARED here and registered with a
 * userfaultfd; both descriptors go to gmsd with CTL_MAP, and gmsd pages
 * the region from then on.  We keep our own copies of both open until
 * gms_unmap: once no process holds the uffd the kernel fills missing pages
 * with zeros (region.h), so while we hold it gmsd's death blocks a
 * faulting thread instead, and the watcher thread ends the process.
 *
 * The watcher polls the socket for hang-up only (it never reads: replies
 * belong to the caller of a request) and an eventfd that gms_disconnect
 * uses to stop it.
 */
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/ctlmsg.h"
#include "gms/gms.h"
#include "gms/region.h"

#define GMS_DEFAULT_DIR	"/tmp/gmsd-7070"
#define GMS_REPLY_MS	30000	/* longest wait for gmsd's answer */
#define GMS_BUSY_MS	100	/* pause before asking a busy gmsd again */
#define GMS_ERRLEN	256	/* longest error sentence */
#define GMS_PAGE_MAX	(1U << 24)	/* largest page size we believe */

struct gms_region {
	struct gms_region	*next;
	void			*base;
	size_t			 len;
	uint32_t		 space;
	int			 memfd;
	int			 uffd;
};

struct gms {
	int			 sock;
	int			 stopfd;	/* eventfd: watcher, stop */
	pthread_t		 watcher;
	int			 watching;
	char			*dir;
	char			 lost[PATH_MAX + 96];	/* watcher's line */
	size_t			 page_size;
	uint32_t		 node;
	uint32_t		 nframes;
	uint32_t		 reqid;
	int			 gone;		/* socket closed by gmsd */
	struct gms_region	*regions;
	char			 err[GMS_ERRLEN];
	uint8_t			 req[CTL_MAXMSG];
	uint8_t			 rep[CTL_MAXMSG];
};

/* gms_connect's error, for gms_error(NULL). */
static __thread char	 gms_connect_err[GMS_ERRLEN];

static void	 gms_seterr(struct gms *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 gms_seterr_reply(struct gms *, const char *,
		    const uint8_t *, size_t);
static long	 gms_ms_left(const struct timespec *);
static void	 gms_lost_exit(const uint8_t *, size_t)
		    __attribute__((noreturn));
static int	 gms_reply(struct gms *, uint32_t, const struct timespec *,
		    const uint8_t **, size_t *);
static int	 gms_call(struct gms *, uint8_t, const void *, size_t,
		    const int *, int, const uint8_t **, size_t *);
static int	 gms_hello(struct gms *);
static void	*gms_watch(void *);
static int	 gms_watch_start(struct gms *);
static void	*gms_mmap_aligned(int, size_t, size_t, int);
static int	 gms_region_build(struct gms *, struct gms_region *, int);
static int	 gms_region_send(struct gms *, struct gms_region *, uint32_t,
		    const char *);
static void	*gms_region_new(struct gms *, size_t, int, uint32_t,
		    const char *);
static void	 gms_region_free(struct gms_region *);

/* Set errno and the error sentence. */
static void
gms_seterr(struct gms *g, int e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof g->err, fmt, ap);
	va_end(ap);
	errno = e;
}

/* The sentence of a reply that is not CTL_OK, made printable. */
static void
gms_seterr_reply(struct gms *g, const char *what, const uint8_t *p,
    size_t len)
{
	size_t	i;

	if (len == 0) {
		gms_seterr(g, EIO, "gmsd refused %s without saying why", what);
		return;
	}
	if (len > sizeof g->err - 1)
		len = sizeof g->err - 1;
	for (i = 0; i < len && p[i] != '\0'; i++)
		g->err[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : ' ';
	while (i > 0 && g->err[i - 1] == ' ')
		i--;
	g->err[i] = '\0';
	errno = EIO;
}

static long
gms_ms_left(const struct timespec *deadline)
{
	struct timespec	now;
	long		ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

/*
 * Wait for the reply to reqid.  Returns its status, the payload in
 * g->rep; -1 with errno and the sentence set when none comes.
 */
static int
gms_reply(struct gms *g, uint32_t reqid, const struct timespec *deadline,
    const uint8_t **p, size_t *len)
{
	struct pollfd	pfd;
	struct ctl_hdr	h;
	ssize_t		n;
	long		ms;
	int		fds[2], r;

	for (;;) {
		if ((ms = gms_ms_left(deadline)) == 0) {
			gms_seterr(g, ETIMEDOUT, "gmsd at %s did not answer "
			    "within %d s", g->dir, GMS_REPLY_MS / 1000);
			return -1;
		}
		pfd.fd = g->sock;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, (int)ms)) == -1 && errno != EINTR) {
			gms_seterr(g, errno, "poll: %s", strerror(errno));
			return -1;
		}
		if (r <= 0)
			continue;
		n = ctl_recvfds(g->sock, g->rep, sizeof g->rep, fds);
		if (fds[0] != -1)
			close(fds[0]);		/* replies carry none */
		if (fds[1] != -1)
			close(fds[1]);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			g->gone = 1;
			gms_seterr(g, EPIPE, "gmsd at %s is gone", g->dir);
			return -1;
		}
		if (ctl_unpack(g->rep, (size_t)n, &h, p) == -1) {
			gms_seterr(g, EPROTO, "malformed reply from gmsd at "
			    "%s", g->dir);
			return -1;
		}
		if (h.op == CTL_LOST)
			gms_lost_exit(*p, h.len);
		if (h.reqid == reqid)
			break;
		/* The late reply to a request that timed out. */
	}
	*len = h.len;
	return h.status;
}

/*
 * One request and its reply, asked again while gmsd says it is busy (not
 * joined yet).  Returns the reply's status or -1 (errno, sentence set).
 */
static int
gms_call(struct gms *g, uint8_t op, const void *payload, size_t plen,
    const int *fds, int nfds, const uint8_t **p, size_t *len)
{
	struct timespec	deadline;
	struct ctl_hdr	h;
	size_t		olen;
	int		st;

	if (g->gone) {
		gms_seterr(g, EPIPE, "gmsd at %s is gone", g->dir);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += GMS_REPLY_MS / 1000;
	for (;;) {
		memset(&h, 0, sizeof h);
		h.op = op;
		h.reqid = ++g->reqid;
		olen = ctl_pack(g->req, sizeof g->req, &h, payload, plen);
		if (olen == 0) {
			gms_seterr(g, EMSGSIZE, "request too large");
			return -1;
		}
		if (ctl_sendfds(g->sock, g->req, olen, fds, nfds) == -1) {
			if (errno == EPIPE || errno == ECONNRESET) {
				g->gone = 1;
				gms_seterr(g, EPIPE, "gmsd at %s is gone",
				    g->dir);
			} else
				gms_seterr(g, errno, "cannot send to gmsd "
				    "at %s: %s", g->dir, strerror(errno));
			return -1;
		}
		st = gms_reply(g, h.reqid, &deadline, p, len);
		if (st != CTL_BUSY)
			return st;
		if (gms_ms_left(&deadline) <= GMS_BUSY_MS) {
			gms_seterr_reply(g, "the request", *p, *len);
			errno = EAGAIN;
			return -1;
		}
		usleep(GMS_BUSY_MS * 1000);
	}
}

static int
gms_hello(struct gms *g)
{
	struct ctl_hello	 hello;
	const uint8_t		*p;
	size_t			 len;
	long			 kpage = sysconf(_SC_PAGESIZE);
	int			 st;

	if ((st = gms_call(g, CTL_HELLO, NULL, 0, NULL, 0, &p, &len)) == -1)
		return -1;
	if (st != CTL_OK) {
		gms_seterr_reply(g, "the connection", p, len);
		return -1;
	}
	if (len != sizeof hello) {
		gms_seterr(g, EPROTO, "gmsd at %s sent a HELLO reply of %zu "
		    "bytes, expected %zu: is it from another version?",
		    g->dir, len, sizeof hello);
		return -1;
	}
	memcpy(&hello, p, sizeof hello);
	if (kpage <= 0 || hello.page_size < (uint32_t)kpage ||
	    hello.page_size > GMS_PAGE_MAX ||
	    (hello.page_size & (hello.page_size - 1)) != 0) {
		gms_seterr(g, EPROTO, "gmsd at %s uses a page size of %u "
		    "bytes, which this machine cannot map", g->dir,
		    hello.page_size);
		return -1;
	}
	g->page_size = hello.page_size;
	g->node = hello.node;
	g->nframes = hello.nframes;
	return 0;
}

/* gmsd gave up our regions (CTL_LOST): say why, and end the process. */
static void
gms_lost_exit(const uint8_t *why, size_t len)
{
	char	line[600];
	ssize_t	unused;
	int	n;

	n = snprintf(line, sizeof line, "gms: %.*s\n",
	    (int)(len < 512 ? len : 512), (const char *)why);
	unused = write(STDERR_FILENO, line, (size_t)n);
	(void)unused;
	_exit(GMS_EXIT_STORE);
}

/* At the end of the connection: a CTL_LOST waiting to be read? */
static void
gms_watch_lost(struct gms *g)
{
	uint8_t		 buf[CTL_HDRLEN + 1024];	/* a longer packet is no LOST */
	struct ctl_hdr	 h;
	const uint8_t	*p;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < 64; i++) {
		n = recv(g->sock, buf, sizeof buf, MSG_DONTWAIT);
		if (n <= 0)
			return;
		if (ctl_unpack(buf, (size_t)n, &h, &p) == 0 &&
		    h.op == CTL_LOST)
			gms_lost_exit(p, h.len);
	}
}

/* The watcher: end the process when gmsd's end of the socket closes. */
static void *
gms_watch(void *arg)
{
	struct gms	*g = arg;
	struct pollfd	 pfd[2];
	ssize_t		 unused;

	pfd[0].fd = g->stopfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = g->sock;
	pfd[1].events = POLLRDHUP;	/* never POLLIN: we do not read */
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno != EINTR)
				usleep(10000);	/* ENOMEM: try again */
			continue;
		}
		if (pfd[0].revents != 0 || (pfd[1].revents & POLLNVAL))
			return NULL;
		if (pfd[1].revents & (POLLHUP | POLLERR | POLLRDHUP)) {
			gms_watch_lost(g);
			unused = write(STDERR_FILENO, g->lost,
			    strlen(g->lost));
			(void)unused;
			_exit(GMS_EXIT_LOST);
		}
	}
}

static int
gms_watch_start(struct gms *g)
{
	sigset_t	all, old;
	int		e;

	g->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->stopfd == -1) {
		gms_seterr(g, errno, "eventfd: %s", strerror(errno));
		return -1;
	}
	snprintf(g->lost, sizeof g->lost, "gms: gmsd at %s is gone; this "
	    "process's GMS memory is lost\n", g->dir);
	/* Signals go to the program's threads, never to the watcher. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&g->watcher, NULL, gms_watch, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		gms_seterr(g, e, "cannot start the watcher thread: %s",
		    strerror(e));
		return -1;
	}
	g->watching = 1;
	return 0;
}

struct gms *
gms_connect(const char *dir)
{
	struct sockaddr_un	 sun;
	struct gms		*g;
	int			 saved;

	if (dir == NULL && (dir = getenv("GMSD_DIR")) == NULL)
		dir = GMS_DEFAULT_DIR;
	if ((g = calloc(1, sizeof *g)) == NULL ||
	    (g->dir = strdup(dir)) == NULL) {
		free(g);
		snprintf(gms_connect_err, sizeof gms_connect_err,
		    "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	g->sock = g->stopfd = -1;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s",
	    dir, CTL_SOCKNAME) >= sizeof sun.sun_path) {
		gms_seterr(g, ENAMETOOLONG, "gmsd directory %s is too long "
		    "for a socket path (at most %zu bytes)", dir,
		    sizeof sun.sun_path - sizeof CTL_SOCKNAME - 1);
		goto fail;
	}
	g->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (g->sock == -1) {
		gms_seterr(g, errno, "socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(g->sock, (struct sockaddr *)&sun, sizeof sun) == -1) {
		gms_seterr(g, errno, "cannot reach gmsd at %s: %s (is it "
		    "running? see its --dir, or set GMSD_DIR)", sun.sun_path,
		    strerror(errno));
		goto fail;
	}
	if (gms_hello(g) == -1 || gms_watch_start(g) == -1)
		goto fail;
	return g;

fail:
	saved = errno;
	snprintf(gms_connect_err, sizeof gms_connect_err, "%s", g->err);
	if (g->stopfd != -1)
		close(g->stopfd);
	if (g->sock != -1)
		close(g->sock);
	free(g->dir);
	free(g);
	errno = saved;
	return NULL;
}

void
gms_disconnect(struct gms *g)
{
	uint64_t	one = 1;
	int		quiet = 0;

	if (g == NULL)
		return;
	if (g->watching) {
		while (write(g->stopfd, &one, sizeof one) == -1 &&
		    errno == EINTR)
			;
		pthread_join(g->watcher, NULL);
		g->watching = 0;
	}
	/*
	 * Tell gmsd about each region still mapped; once it does not answer,
	 * the closed socket tells it the rest.
	 */
	while (g->regions != NULL) {
		if (quiet)
			g->gone = 1;	/* only undo our side */
		if (gms_unmap(g, g->regions->base) == -1 &&
		    (errno == ETIMEDOUT || errno == EPIPE))
			quiet = 1;
	}
	close(g->stopfd);
	close(g->sock);
	free(g->dir);
	free(g);
}

/* Map fd at an address aligned to align (a multiple of the kernel page). */
static void *
gms_mmap_aligned(int fd, size_t len, size_t align, int prot)
{
	size_t		 kpage = (size_t)sysconf(_SC_PAGESIZE);
	size_t		 span, head, tail;
	uint8_t		*r, *a;
	void		*p;

	if (align <= kpage)
		return mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	span = len + align - kpage;
	r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (uint8_t *)(((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1));
	p = mmap(a, len, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		munmap(r, span);
		return MAP_FAILED;
	}
	head = (size_t)(a - r);
	tail = span - head - len;
	if (head > 0)
		munmap(r, head);
	if (tail > 0)
		munmap(a + len, tail);
	return p;
}

static void
gms_region_free(struct gms_region *rg)
{
	if (rg->base != NULL)
		munmap(rg->base, rg->len);
	if (rg->uffd != -1)
		close(rg->uffd);
	if (rg->memfd != -1)
		close(rg->memfd);
	free(rg);
}

/* The memfd, its mapping and the registered uffd of a new region. */
static int
gms_region_build(struct gms *g, struct gms_region *rg, int prot)
{
	int	user_only;

	if ((rg->memfd = memfd_create("gms", MFD_CLOEXEC)) == -1) {
		gms_seterr(g, errno, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(rg->memfd, (off_t)rg->len) == -1) {
		gms_seterr(g, errno, "cannot size a memory file of %zu bytes: "
		    "%s", rg->len, strerror(errno));
		return -1;
	}
	rg->base = gms_mmap_aligned(rg->memfd, rg->len, g->page_size, prot);
	if (rg->base == MAP_FAILED) {
		rg->base = NULL;
		gms_seterr(g, errno, "cannot map %zu bytes: %s", rg->len,
		    strerror(errno));
		return -1;
	}
	/* A child would see the memfd without gmsd: holes read as zeros. */
	(void)madvise(rg->base, rg->len, MADV_DONTFORK);
	/*
	 * No fault-around: a fault must map only its own page, or touching
	 * one page would map (and so "reference", for the age sampler)
	 * its resident neighbours too.
	 */
	(void)madvise(rg->base, rg->len, MADV_RANDOM);
	if ((rg->uffd = region_uffd_open(&user_only)) == -1) {
		gms_seterr(g, errno, "cannot open a userfaultfd: %s (GMS needs "
		    "Linux 5.19 or later with userfaultfd on shmem, and "
		    "vm.unprivileged_userfaultfd=1 or access to "
		    "/dev/userfaultfd)", strerror(errno));
		return -1;
	}
	if (region_uffd_register(rg->uffd, rg->base, rg->len, 0) == -1) {
		gms_seterr(g, errno, "cannot register %zu bytes with "
		    "userfaultfd: %s", rg->len, strerror(errno));
		return -1;
	}
	return 0;
}

/* CTL_MAP: hand the region to gmsd and learn its space. */
static int
gms_region_send(struct gms *g, struct gms_region *rg, uint32_t flags,
    const char *path)
{
	struct ctl_map		 m;
	struct ctl_mapped	 mapped;
	const uint8_t		*p;
	uint8_t			 req[sizeof m + PATH_MAX];
	size_t			 plen, rlen;
	int			 fds[2], st;

	plen = sizeof m + (path != NULL ? strlen(path) + 1 : 0);
	if (plen > sizeof req || plen > CTL_MAXMSG - CTL_HDRLEN) {
		gms_seterr(g, ENAMETOOLONG, "path too long: %s", path);
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.base = (uintptr_t)rg->base;
	m.len = rg->len;
	m.flags = flags;
	m.pid = (int32_t)getpid();
	memcpy(req, &m, sizeof m);
	if (path != NULL)
		memcpy(req + sizeof m, path, plen - sizeof m);
	fds[0] = rg->memfd;
	fds[1] = rg->uffd;
	if ((st = gms_call(g, CTL_MAP, req, plen, fds, 2, &p, &rlen)) == -1)
		return -1;
	if (st != CTL_OK) {
		gms_seterr_reply(g, "the mapping", p, rlen);
		return -1;
	}
	if (rlen != sizeof mapped) {
		gms_seterr(g, EPROTO, "gmsd at %s sent a MAP reply of %zu "
		    "bytes, expected %zu", g->dir, rlen, sizeof mapped);
		return -1;
	}
	memcpy(&mapped, p, sizeof mapped);
	rg->space = mapped.space;
	if (mapped.node != 0)
		g->node = mapped.node;
	return 0;
}

/*
 * A region of len bytes (a multiple of the page size), handed to gmsd and
 * remembered.  path: the file of a CTL_MAP_FILE region.
 */
static void *
gms_region_new(struct gms *g, size_t len, int prot, uint32_t flags,
    const char *path)
{
	struct gms_region	*rg;
	int			 saved;

	if ((rg = calloc(1, sizeof *rg)) == NULL) {
		gms_seterr(g, ENOMEM, "out of memory");
		return NULL;
	}
	rg->memfd = rg->uffd = -1;
	rg->len = len;
	if (gms_region_build(g, rg, prot) == -1 ||
	    gms_region_send(g, rg, flags, path) == -1) {
		saved = errno;
		gms_region_free(rg);
		errno = saved;
		return NULL;
	}
	rg->next = g->regions;
	g->regions = rg;
	return rg->base;
}

void *
gms_map(struct gms *g, size_t len)
{
	if (len == 0) {
		gms_seterr(g, EINVAL, "cannot map 0 bytes");
		return NULL;
	}
	if (len > SIZE_MAX / 2) {
		gms_seterr(g, ENOMEM, "cannot map %zu bytes: too large", len);
		return NULL;
	}
	len = (len + g->page_size - 1) & ~(g->page_size - 1);
	return gms_region_new(g, len, PROT_READ | PROT_WRITE, 0, NULL);
}

void *
gms_map_file(struct gms *g, const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*rp;
	void		*base = NULL;
	size_t		 len;
	int		 fd;

	if ((rp = realpath(path, NULL)) == NULL) {
		gms_seterr(g, errno, "cannot map %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((fd = open(rp, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		gms_seterr(g, errno, "cannot map %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		gms_seterr(g, EINVAL, "cannot map %s: not a regular file",
		    path);
		goto out;
	}
	if (st.st_size == 0) {
		gms_seterr(g, EINVAL, "cannot map %s: the file is empty",
		    path);
		goto out;
	}
	if ((uintmax_t)st.st_size > SIZE_MAX / 2) {
		gms_seterr(g, EFBIG, "cannot map %s: too large", path);
		goto out;
	}
	len = ((size_t)st.st_size + g->page_size - 1) & ~(g->page_size - 1);
	base = gms_region_new(g, len, PROT_READ, CTL_MAP_FILE, rp);
	if (base != NULL && lenp != NULL)
		*lenp = len;
out:
	if (fd != -1)
		close(fd);
	free(rp);
	return base;
}

int
gms_unmap(struct gms *g, void *addr)
{
	struct gms_region	**pp, *rg;
	const uint8_t		 *p;
	size_t			  len;
	int			  st, rc = 0, saved = 0;

	for (pp = &g->regions; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->base == addr)
			break;
	if ((rg = *pp) == NULL) {
		gms_seterr(g, EINVAL, "no GMS region starts at %p", addr);
		return -1;
	}
	/* gmsd lets go first, so it never serves a range we unmapped. */
	st = gms_call(g, CTL_UNMAP, &rg->space, sizeof rg->space, NULL, 0,
	    &p, &len);
	if (st != CTL_OK) {
		if (st != -1)
			gms_seterr_reply(g, "the unmapping", p, len);
		rc = -1;
		saved = errno;
	}
	*pp = rg->next;
	gms_region_free(rg);
	if (rc == -1)
		errno = saved;
	return rc;
}

int
gms_space(const struct gms *g, const void *addr, uint32_t *space)
{
	const struct gms_region	*rg;

	for (rg = g->regions; rg != NULL; rg = rg->next) {
		if (rg->base == addr) {
			*space = rg->space;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

size_t
gms_page_size(const struct gms *g)
{
	return g->page_size;
}

uint32_t
gms_node(const struct gms *g)
{
	return g->node;
}

/* NULL: why the last gms_connect of this thread failed. */
const char *
gms_error(const struct gms *g)
{
	if (g == NULL)
		return gms_connect_err;
	return g->err;
}
