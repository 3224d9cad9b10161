/*
 * test_libgms.c: libgms against a fake gmsd.  The fake listens on
 * DIR/ctl.sock in a temporary directory, answers HELLO, MAP and UNMAP the
 * way gmsd does, records what it was sent, and serves the region's faults
 * through gms/region.c (zero pages, or the file's bytes for a file
 * region).  It runs as a thread of the test for calls made here, and as
 * the parent of a forked client for the watcher tests, where the client
 * must end with GMS_EXIT_LOST when the fake hangs up.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/ctlmsg.h"
#include "gms/gms.h"
#include "gms/region.h"
#include "tests/unit/check.h"


#define STEP_MS		10000	/* longest wait for one expected event */
#define CHILD_ALARM	30	/* s: a forked client never outlives this */
#define FAKE_NODE	3
#define FAKE_SPACE0	7	/* first space id the fake hands out */
#define FAKE_MAXREG	4
#define FAKE_HANGUP_MS	300	/* from dropping the regions to hanging up */
#define REFUSAL		"no room for the region: gmsd --mem is 100 frames"

enum fake_mode {
	FAKE_SERVE,		/* answer and serve faults */
	FAKE_REFUSE,		/* MAP gets CTL_ERR REFUSAL */
	FAKE_BUSY_ONCE,		/* the first MAP gets CTL_BUSY */
	FAKE_HANGUP_HELLO,	/* close the connection after HELLO */
	FAKE_HANGUP_FAULT	/* close everything on the first fault */
};

struct fake_region {
	struct region	*r;
	uint32_t	 space;
	int		 file_fd;	/* -1: zero pages */
};

struct fake {
	enum fake_mode		 mode;
	char			 dir[64];
	char			 sockpath[128];
	int			 lsock;
	int			 stop[2];
	pthread_t		 thread;
	uint32_t		 page_size;
	uint8_t			*page;
	struct fake_region	 reg[FAKE_MAXREG];
	int			 hangup;

	/* What the client sent. */
	int			 nreq, nhello, nmap, nunmap;
	int			 memfd_ok, uffd_ok;
	struct ctl_map		 map;
	char			 path[PATH_MAX];
	uint32_t		 unmapped;
	int			 errors;	/* the fake's own failures */
};

static size_t	kpage;
static int	have_uffd;

static int
count_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*e;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
fd_link_is(int fd, const char *prefix)
{
	char	path[64], link[256];
	ssize_t	n;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof link - 1)) == -1)
		return 0;
	link[n] = '\0';
	return strncmp(link, prefix, strlen(prefix)) == 0;
}

static void
fake_reply(struct fake *f, int conn, const struct ctl_hdr *req, int status,
    const void *p, size_t len)
{
	uint8_t		buf[CTL_MAXMSG];
	struct ctl_hdr	h;
	size_t		n;

	memset(&h, 0, sizeof h);
	h.op = req->op;
	h.status = (uint8_t)status;
	h.reqid = req->reqid;
	n = ctl_pack(buf, sizeof buf, &h, p, len);
	if (n == 0 || send(conn, buf, n, MSG_NOSIGNAL) != (ssize_t)n)
		f->errors++;
}

/* A free slot for a region the client sent, or why it is refused. */
static const char *
fake_check_map(struct fake *f, const struct ctl_hdr *h, const uint8_t *p,
    struct fake_region **frp)
{
	size_t	plen;
	int	i;

	if (h->len < sizeof f->map)
		return "short map request";
	memcpy(&f->map, p, sizeof f->map);
	plen = h->len - sizeof f->map;
	if (plen >= PATH_MAX)
		return "path too long";
	memcpy(f->path, p + sizeof f->map, plen);
	f->path[plen] = '\0';
	if (f->mode == FAKE_REFUSE)
		return REFUSAL;
	if (!f->memfd_ok || !f->uffd_ok)
		return "not a memfd and a userfaultfd";
	for (i = 0; i < FAKE_MAXREG; i++) {
		if (f->reg[i].r == NULL) {
			*frp = &f->reg[i];
			return NULL;
		}
	}
	return "too many regions";
}

static void
fake_map(struct fake *f, int conn, const struct ctl_hdr *h,
    const uint8_t *p, int fds[2])
{
	struct fake_region	*fr = NULL;
	struct ctl_mapped	 mapped;
	const char		*why;
	int			 busy;

	f->nmap++;
	f->memfd_ok = fds[0] != -1 && fd_link_is(fds[0], "/memfd:gms");
	f->uffd_ok = fds[1] != -1 &&
	    fd_link_is(fds[1], "anon_inode:[userfaultfd]");
	f->path[0] = '\0';
	why = fake_check_map(f, h, p, &fr);
	busy = f->mode == FAKE_BUSY_ONCE && f->nmap == 1;
	if (why != NULL || busy) {
		/* Close before replying, as the client may count fds. */
		if (fds[0] != -1)
			close(fds[0]);
		if (fds[1] != -1)
			close(fds[1]);
		if (busy)
			why = "node is joining";
		fake_reply(f, conn, h, busy ? CTL_BUSY : CTL_ERR, why,
		    strlen(why));
		return;
	}
	fr->file_fd = -1;
	if ((f->map.flags & CTL_MAP_FILE) &&
	    (fr->file_fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		f->errors++;
	fr->r = region_attach(fds[0], fds[1], f->map.pid,
	    (uintptr_t)f->map.base, f->map.len, f->page_size);
	if (fr->r == NULL) {
		printf("  fake: region_attach: %s\n", strerror(errno));
		f->errors++;
		if (fr->file_fd != -1)
			close(fr->file_fd);
		fr->file_fd = -1;
		fake_reply(f, conn, h, CTL_ERR, "attach failed", 13);
		return;
	}
	fr->space = FAKE_SPACE0 + (uint32_t)f->nmap - 1;
	mapped.space = fr->space;
	mapped.node = FAKE_NODE;
	fake_reply(f, conn, h, CTL_OK, &mapped, sizeof mapped);
}

static void
fake_region_drop(struct fake_region *fr)
{
	region_detach(fr->r);
	fr->r = NULL;
	if (fr->file_fd != -1)
		close(fr->file_fd);
	fr->file_fd = -1;
}

static void
fake_unmap(struct fake *f, int conn, const struct ctl_hdr *h,
    const uint8_t *p)
{
	int	i;

	f->nunmap++;
	if (h->len != sizeof f->unmapped) {
		fake_reply(f, conn, h, CTL_ERR, "bad unmap", 9);
		return;
	}
	memcpy(&f->unmapped, p, sizeof f->unmapped);
	for (i = 0; i < FAKE_MAXREG; i++)
		if (f->reg[i].r != NULL && f->reg[i].space == f->unmapped)
			fake_region_drop(&f->reg[i]);
	fake_reply(f, conn, h, CTL_OK, NULL, 0);
}

/* One request; -1 when the client closed the connection. */
static int
fake_request(struct fake *f, int conn)
{
	uint8_t			 buf[CTL_MAXMSG];
	struct ctl_hello	 hello;
	struct ctl_hdr		 h;
	const uint8_t		*p;
	ssize_t			 n;
	int			 fds[2];

	n = ctl_recvfds(conn, buf, sizeof buf, fds);
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (n <= 0)
		return -1;
	f->nreq++;
	if (ctl_unpack(buf, (size_t)n, &h, &p) == -1) {
		f->errors++;
		return 0;
	}
	if (h.op == CTL_MAP) {
		fake_map(f, conn, &h, p, fds);
		return 0;
	}
	if (fds[0] != -1 || fds[1] != -1)
		f->errors++;
	if (h.op == CTL_HELLO) {
		f->nhello++;
		hello.page_size = f->page_size;
		hello.node = FAKE_NODE;
		hello.nframes = 100;
		hello.version = 2;
		fake_reply(f, conn, &h, CTL_OK, &hello, sizeof hello);
		if (f->mode == FAKE_HANGUP_HELLO)
			f->hangup = 1;
	} else if (h.op == CTL_UNMAP)
		fake_unmap(f, conn, &h, p);
	else
		fake_reply(f, conn, &h, CTL_ERR, "unknown", 7);
	return 0;
}

/* Serve what faults are pending: zeros, or the file's bytes. */
static void
fake_faults(struct fake *f, struct fake_region *fr)
{
	struct region_fault	flt;
	ssize_t			n;
	int			rc = 0;

	while (region_next_fault(fr->r, &flt) == 0) {
		if (f->mode == FAKE_HANGUP_FAULT) {
			f->hangup = 1;
			return;
		}
		switch (flt.kind) {
		case REGION_FAULT_MISSING:
			memset(f->page, 0, f->page_size);
			if (fr->file_fd != -1) {
				n = pread(fr->file_fd, f->page, f->page_size,
				    (off_t)(flt.pgno * f->page_size));
				if (n == -1)
					f->errors++;
			}
			rc = region_install(fr->r, flt.pgno, f->page, 1);
			break;
		case REGION_FAULT_WP:
			rc = region_make_writable(fr->r, flt.pgno);
			break;
		case REGION_FAULT_MINOR:
			rc = region_continue(fr->r, flt.pgno, 0);
			break;
		}
		if (rc == -1)
			f->errors++;
	}
}

static void *
fake_main(void *arg)
{
	struct fake	*f = arg;
	struct pollfd	 pfd[2 + FAKE_MAXREG];
	int		 conn, i, n, ri[FAKE_MAXREG];

	pfd[0].fd = f->stop[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = f->lsock;
	pfd[1].events = POLLIN;
	if (poll(pfd, 2, STEP_MS) <= 0 || pfd[0].revents != 0)
		return NULL;
	if ((conn = accept4(f->lsock, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		f->errors++;
		return NULL;
	}
	while (!f->hangup) {
		pfd[1].fd = conn;
		for (i = 0, n = 2; i < FAKE_MAXREG; i++) {
			if (f->reg[i].r == NULL)
				continue;
			ri[n - 2] = i;
			pfd[n].fd = region_fd(f->reg[i].r);
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, STEP_MS) <= 0 ||
		    pfd[0].revents != 0)
			break;
		for (i = 2; i < n; i++)
			if (pfd[i].revents != 0)
				fake_faults(f, &f->reg[ri[i - 2]]);
		if (pfd[1].revents != 0 && fake_request(f, conn) == -1)
			break;
	}
	/*
	 * Like gmsd: a closed connection drops its regions.  A hang-up
	 * (gmsd's death) closes the regions' fds first and the socket a
	 * moment later, so a client that kept no uffd of its own would read
	 * zeros before its watcher could end it.
	 */
	if (!f->hangup)
		close(conn);
	for (i = 0; i < FAKE_MAXREG; i++)
		if (f->reg[i].r != NULL)
			fake_region_drop(&f->reg[i]);
	if (f->hangup) {
		usleep(FAKE_HANGUP_MS * 1000);
		close(conn);
	}
	return NULL;
}

/* Listen on a fresh DIR/ctl.sock; the thread starts in fake_run. */
static int
fake_listen(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un	sun;
	int			i;

	memset(f, 0, sizeof *f);
	f->mode = mode;
	f->page_size = (uint32_t)(2 * kpage);	/* like the paper's 8 KiB */
	f->page = malloc(f->page_size);
	for (i = 0; i < FAKE_MAXREG; i++)
		f->reg[i].file_fd = -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_libgms.XXXXXX");
	if (mkdtemp(f->dir) == NULL || pipe2(f->stop, O_CLOEXEC) == -1)
		return -1;
	snprintf(f->sockpath, sizeof f->sockpath, "%s/%s", f->dir,
	    CTL_SOCKNAME);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, f->sockpath);
	f->lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (f->lsock == -1 ||
	    bind(f->lsock, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(f->lsock, 4) == -1)
		return -1;
	return 0;
}

static int
fake_run(struct fake *f)
{
	return pthread_create(&f->thread, NULL, fake_main, f) == 0 ? 0 : -1;
}

static int
fake_start(struct fake *f, enum fake_mode mode)
{
	if (fake_listen(f, mode) == -1 || fake_run(f) == -1) {
		printf("  cannot start the fake gmsd: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void
fake_stop(struct fake *f)
{
	ssize_t	unused;

	unused = write(f->stop[1], "x", 1);
	(void)unused;
	pthread_join(f->thread, NULL);
	close(f->stop[0]);
	close(f->stop[1]);
	close(f->lsock);
	unlink(f->sockpath);
	rmdir(f->dir);
	free(f->page);
}

static void
test_hello(void)
{
	struct fake	 f;
	struct gms	*g;

	if (fake_start(&f, FAKE_SERVE) == -1) {
		CHECK(0);
		return;
	}
	g = gms_connect(f.dir);
	CHECK(g != NULL);
	if (g != NULL) {
		CHECK_EQ(gms_page_size(g), 2 * kpage);
		CHECK_EQ(gms_node(g), FAKE_NODE);
		gms_disconnect(g);
	}
	fake_stop(&f);
	CHECK_EQ(f.nhello, 1);
	CHECK_EQ(f.nreq, 1);
	CHECK_EQ(f.errors, 0);

	/* Nobody there: NULL, and a sentence saying where we looked. */
	errno = 0;
	CHECK(gms_connect(f.dir) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(strstr(gms_error(NULL), "cannot reach gmsd") != NULL);
	CHECK(strstr(gms_error(NULL), f.dir) != NULL);
}

static void
test_map(void)
{
	struct fake	 f;
	struct gms	*g;
	uint8_t		*p, *q;
	uint32_t	 space = 0;
	size_t		 ps = 2 * kpage, i;
	int		 nfd, nonzero = 0;

	nfd = count_fds();
	if (fake_start(&f, FAKE_SERVE) == -1) {
		CHECK(0);
		return;
	}
	if ((g = gms_connect(f.dir)) == NULL) {
		CHECK(0);
		fake_stop(&f);
		return;
	}
	p = gms_map(g, 3 * ps - 100);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK(f.memfd_ok);
		CHECK(f.uffd_ok);
		CHECK_EQ(f.map.base, (uintptr_t)p);
		CHECK_EQ(f.map.len, 3 * ps);
		CHECK_EQ(f.map.flags, 0);
		CHECK_EQ(f.map.pid, getpid());
		CHECK_EQ((uintptr_t)p % ps, 0);	/* GMS page, not kernel */
		CHECK_EQ(gms_space(g, p, &space), 0);
		CHECK_EQ(space, FAKE_SPACE0);

		/* Through the fake's faults: zeros, then our stores. */
		for (i = 0; i < 3 * ps; i++)
			nonzero += p[i] != 0;
		CHECK_EQ(nonzero, 0);
		p[ps + 5] = 42;
		p[3 * ps - 1] = 7;
		CHECK_EQ(p[ps + 5], 42);
		CHECK_EQ(p[3 * ps - 1], 7);
	}
	q = gms_map(g, 1);
	CHECK(q != NULL);
	CHECK_EQ(f.map.len, ps);
	if (p != NULL) {
		CHECK_EQ(gms_unmap(g, p), 0);
		CHECK_EQ(f.unmapped, FAKE_SPACE0);
		errno = 0;
		CHECK_EQ(gms_unmap(g, p), -1);
		CHECK_EQ(errno, EINVAL);
		CHECK(strstr(gms_error(g), "no GMS region") != NULL);
	}
	CHECK_EQ(f.nunmap, 1);
	/* q is left for gms_disconnect, which unmaps it too. */
	gms_disconnect(g);
	fake_stop(&f);
	CHECK_EQ(f.nmap, 2);
	CHECK_EQ(f.nunmap, 2);
	CHECK_EQ(f.unmapped, FAKE_SPACE0 + 1);
	CHECK_EQ(f.errors, 0);
	/* Every descriptor of either side closed. */
	CHECK_EQ(count_fds(), nfd);
}

static void
test_map_refused(void)
{
	struct fake	 f;
	struct gms	*g;
	int		 nfd;

	if (fake_start(&f, FAKE_REFUSE) == -1) {
		CHECK(0);
		return;
	}
	if ((g = gms_connect(f.dir)) == NULL) {
		CHECK(0);
		fake_stop(&f);
		return;
	}
	nfd = count_fds();
	errno = 0;
	CHECK(gms_map(g, 10 * kpage) == NULL);
	CHECK(errno != 0);
	CHECK(strcmp(gms_error(g), REFUSAL) == 0);
	CHECK_EQ(f.nmap, 1);
	CHECK(f.memfd_ok && f.uffd_ok);	/* refused, but sent right */
	CHECK_EQ(count_fds(), nfd);	/* nothing left open */

	errno = 0;
	CHECK(gms_map(g, 0) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(f.nmap, 1);
	gms_disconnect(g);
	fake_stop(&f);
	CHECK_EQ(f.errors, 0);
}

static void
test_map_busy(void)
{
	struct fake	 f;
	struct gms	*g;
	void		*p;

	if (fake_start(&f, FAKE_BUSY_ONCE) == -1) {
		CHECK(0);
		return;
	}
	if ((g = gms_connect(f.dir)) == NULL) {
		CHECK(0);
		fake_stop(&f);
		return;
	}
	p = gms_map(g, kpage);
	CHECK(p != NULL);
	CHECK_EQ(f.nmap, 2);		/* asked again after BUSY */
	gms_disconnect(g);
	fake_stop(&f);
	CHECK_EQ(f.errors, 0);
}

static void
test_map_file(void)
{
	char		 path[] = "/tmp/test_libgms_file.XXXXXX";
	const char	*want;
	char		*rp;
	struct fake	 f;
	struct gms	*g;
	uint8_t		*p, *data;
	size_t		 ps = 2 * kpage, flen = ps + ps / 2, len = 0, i;
	int		 fd, nreq, zeros = 1;

	data = malloc(flen);
	for (i = 0; i < flen; i++)
		data[i] = (uint8_t)(i * 7 + i / 4096 + 1);
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, data, flen) != (ssize_t)flen) {
		CHECK(0);
		free(data);
		return;
	}
	close(fd);
	if (fake_start(&f, FAKE_SERVE) == -1 ||
	    (g = gms_connect(f.dir)) == NULL) {
		CHECK(0);
		unlink(path);
		free(data);
		return;
	}
	p = gms_map_file(g, path, &len);
	CHECK(p != NULL);
	if (p != NULL) {
		rp = realpath(path, NULL);
		CHECK_EQ(len, 2 * ps);
		CHECK_EQ(f.map.len, 2 * ps);
		CHECK_EQ(f.map.flags, CTL_MAP_FILE);
		CHECK(rp != NULL && strcmp(f.path, rp) == 0);
		CHECK(memcmp(p, data, flen) == 0);
		for (i = flen; i < len; i++)
			zeros &= p[i] == 0;
		CHECK(zeros);
		CHECK_EQ(gms_unmap(g, p), 0);
		free(rp);
	}

	/* Refused here, without a word to gmsd. */
	nreq = f.nreq;
	want = "/nonexistent/gms-test-file";
	errno = 0;
	CHECK(gms_map_file(g, want, &len) == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(strstr(gms_error(g), want) != NULL);
	CHECK(strstr(gms_error(g), "No such file") != NULL);
	CHECK(gms_map_file(g, f.dir, &len) == NULL);
	CHECK(strstr(gms_error(g), "not a regular file") != NULL);
	if (truncate(path, 0) == 0) {
		CHECK(gms_map_file(g, path, &len) == NULL);
		CHECK(strstr(gms_error(g), "empty") != NULL);
	}
	CHECK_EQ(f.nreq, nreq);
	gms_disconnect(g);
	fake_stop(&f);
	CHECK_EQ(f.errors, 0);
	unlink(path);
	free(data);
}

enum child_plan {
	CHILD_IDLE,		/* connect, then wait */
	CHILD_FAULT,		/* connect, map, touch a page */
	CHILD_DISCONNECT	/* connect, disconnect, then wait */
};

static void __attribute__((noreturn))
child_main(const char *dir, enum child_plan plan, int errfd)
{
	struct gms		*g;
	volatile uint8_t	*p;

	alarm(CHILD_ALARM);
	dup2(errfd, STDERR_FILENO);
	if ((g = gms_connect(dir)) == NULL)
		_exit(10);
	if (plan == CHILD_FAULT) {
		if ((p = gms_map(g, 4 * kpage)) == NULL)
			_exit(11);
		if (p[kpage] == 0)	/* blocks: the fake hangs up */
			_exit(12);	/* a zero page: lost memory */
		_exit(13);
	}
	if (plan == CHILD_DISCONNECT) {
		usleep(FAKE_HANGUP_MS * 1000 / 3);	/* watcher in poll */
		gms_disconnect(g);
		/* The fake hangs up meanwhile: no watcher must see it. */
		usleep(3 * FAKE_HANGUP_MS * 1000);
		_exit(0);
	}
	sleep(CHILD_ALARM / 2);
	_exit(14);
}

/*
 * Fork a client that follows plan against a fake in mode; its exit status
 * (-1 if it did not end in time) and what it wrote on stderr.
 */
static int
run_child(enum fake_mode mode, enum child_plan plan, char *err,
    size_t errlen)
{
	struct fake	f;
	pid_t		pid;
	size_t		got = 0;
	ssize_t		n;
	int		pfd[2], st, i, status = -1;

	err[0] = '\0';
	if (fake_listen(&f, mode) == -1 || pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		child_main(f.dir, plan, pfd[1]);
	close(pfd[1]);
	if (fake_run(&f) == -1)
		kill(pid, SIGKILL);
	for (i = 0; i < STEP_MS / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			status = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
			break;
		}
		usleep(10000);
	}
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	while (got < errlen - 1 &&
	    (n = read(pfd[0], err + got, errlen - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(pfd[0]);
	fake_stop(&f);
	CHECK_EQ(f.errors, 0);
	return status;
}

static void
test_watcher_idle(void)
{
	char	err[512], want[256];
	int	status;

	status = run_child(FAKE_HANGUP_HELLO, CHILD_IDLE, err, sizeof err);
	CHECK_EQ(status, GMS_EXIT_LOST);
	/* The directory is the fake's, gone now; compare the shape. */
	snprintf(want, sizeof want, "gms: gmsd at /tmp/test_libgms.");
	CHECK(strncmp(err, want, strlen(want)) == 0);
	CHECK(strstr(err, " is gone; this process's GMS memory is lost\n")
	    != NULL);
	CHECK(strchr(err, '\n') == err + strlen(err) - 1);	/* one line */
}

static void
test_watcher_fault(void)
{
	char	err[512];
	int	status;

	status = run_child(FAKE_HANGUP_FAULT, CHILD_FAULT, err, sizeof err);
	/* Not 12: the page never read as zeros. */
	CHECK_EQ(status, GMS_EXIT_LOST);
	CHECK(strstr(err, "this process's GMS memory is lost\n") != NULL);
}

static void
test_disconnect_quiet(void)
{
	char	err[512];
	int	status;

	status = run_child(FAKE_HANGUP_HELLO, CHILD_DISCONNECT, err,
	    sizeof err);
	CHECK_EQ(status, 0);
	CHECK_EQ(strlen(err), 0);
}

int
main(void)
{
	int	user_only, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	kpage = (size_t)sysconf(_SC_PAGESIZE);
	if ((fd = region_uffd_open(&user_only)) != -1) {
		have_uffd = 1;
		close(fd);
	}
	RUN(test_hello);
	if (!have_uffd) {
		SKIP(test_map, "no userfaultfd");
		SKIP(test_map_refused, "no userfaultfd");
		SKIP(test_map_busy, "no userfaultfd");
		SKIP(test_map_file, "no userfaultfd");
		SKIP(test_watcher_fault, "no userfaultfd");
	} else {
		RUN(test_map);
		RUN(test_map_refused);
		RUN(test_map_busy);
		RUN(test_map_file);
		RUN(test_watcher_fault);
	}
	RUN(test_watcher_idle);
	RUN(test_disconnect_quiet);
	return CHECK_DONE();
}
