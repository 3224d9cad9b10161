/*
 * test_region.c: the userfaultfd mechanics of gms/region.c in real
 * processes.  Each test forks clients that build a region the way libgms
 * does (memfd, MAP_SHARED, userfaultfd) and pass the fds over a socketpair
 * with SCM_RIGHTS.  The parent plays gmsd: a small poll loop serves the
 * faults from its own page store (a malloc'd array standing in for the
 * cluster) within a frame budget much smaller than the regions, evicting
 * the oldest resident page when it runs out.
 *
 * Environment: GMS_HAMMER_ACCESSES (default 2000000) and
 * GMS_HAMMER_SECONDS (default 60) bound the hammer test.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/region.h"
#include "gms/xmalloc.h"
#include "tests/unit/check.h"

#define MAXCLIENTS	2
#define CHILD_ALARM	150	/* s: a client never outlives this */
#define STEP_MS		5000	/* longest wait for one expected event */
#define HAMMER_THREADS	4	/* per client */
#define HAMMER_BUDGET	64	/* frames, for both regions together */
#define HAMMER_PAGES	(8 * HAMMER_BUDGET)	/* per region */
#define HAMMER_HOT	4	/* pages a thread may revisit */
#define PAT_MAGIC	0x474d535041474531ULL	/* "GMSPAGE1" */

enum op {
	OP_READ = 1,	/* verify page pg holds version ver */
	OP_WRITE,	/* write version ver into page pg */
	OP_TOUCH,	/* load one word of page pg */
	OP_SPIN,	/* a thread loads random pages until the exit */
	OP_HAMMER,	/* run the hammer; reply with its figures */
	OP_EXIT		/* _exit(0) now, whatever threads are blocked */
};

struct cmd {
	uint32_t	op;
	uint32_t	pad;
	uint64_t	pg;
	uint64_t	ver;
};

struct reply {
	uint32_t	op;
	int32_t		result;
	uint64_t	pg;
	uint64_t	accesses;
	uint64_t	mismatches;
	uint64_t	verifies;
	uint64_t	writes;
};

/* The parent's handle on a client process. */
struct client {
	pid_t		 pid;
	int		 sock;
	struct region	*r;
	int		 gone;		/* socket closed: process exited */
};

/* The pager: gmsd's part, in miniature. */
#define PG_RESIDENT	0x1
#define PG_DIRTY	0x2

struct pmem {
	struct region	*r;
	uint8_t		*store;		/* every page's bytes when not resident */
	uint8_t		*st;		/* PG_* per page */
	uint64_t	 npages;
	int		 dead;		/* client gone: ESRCH */
};

struct frame {
	int		 m;
	uint64_t	 pg;
};

struct pager {
	struct pmem	 m[MAXCLIENTS];
	int		 n;
	struct frame	*fifo;		/* resident pages, oldest first */
	size_t		 head, count, budget;
	int		 hold_m;	/* leave faults on this page pending */
	uint64_t	 hold_pg;
	uint8_t		*minor_seen;	/* per page of region 0, if set */
	uint64_t	 missing, wp, minor, stale, evictions, dirty_out;
	uint64_t	 clean_drop, errors;
};

static size_t	 pgsz;
static uint64_t	 hammer_quota = 2000000;
static double	 hammer_seconds = 60;
static double	 child_deadline;

/* Shared by a client's threads. */
static char		*cbase;
static size_t		 cnpages;
static int		 csock;
static pthread_mutex_t	 csock_mu = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Page pg at version ver: a header, then words only that pair yields. */
static void
pat_fill(void *page, uint64_t pg, uint64_t ver)
{
	volatile uint64_t	*w = page;
	size_t			 i, nw = pgsz / 8;

	for (i = 2; i < nw; i++)
		w[i] = mix64((pg << 32) ^ (ver << 12) ^ i);
	w[1] = ver;
	w[0] = PAT_MAGIC ^ pg;
}

static int
pat_check(const void *page, uint64_t pg, uint64_t ver)
{
	const volatile uint64_t	*w = page;
	size_t			 i, nw = pgsz / 8;

	if (w[0] != (PAT_MAGIC ^ pg) || w[1] != ver)
		return 0;
	for (i = 2; i < nw; i++) {
		if (w[i] != mix64((pg << 32) ^ (ver << 12) ^ i))
			return 0;
	}
	return 1;
}

/* fd passing */

static int
send_region(int sock, int memfd, int uffd, uintptr_t base)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		char		buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr	align;
	} u;
	int		 fds[2] = { memfd, uffd };

	memset(&msg, 0, sizeof msg);
	memset(&u, 0, sizeof u);
	iov.iov_base = &base;
	iov.iov_len = sizeof base;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof u.buf;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(cm), fds, sizeof fds);
	return sendmsg(sock, &msg, 0) == sizeof base ? 0 : -1;
}

static int
recv_region(int sock, int *memfd, int *uffd, uintptr_t *base)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	struct pollfd	 pfd = { sock, POLLIN, 0 };
	union {
		char		buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr	align;
	} u;
	int		 fds[2];

	if (poll(&pfd, 1, STEP_MS) != 1)
		return -1;
	memset(&msg, 0, sizeof msg);
	iov.iov_base = base;
	iov.iov_len = sizeof *base;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof u.buf;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof *base)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof fds))
		return -1;
	memcpy(fds, CMSG_DATA(cm), sizeof fds);
	*memfd = fds[0];
	*uffd = fds[1];
	return 0;
}

/* The client process */

static void
child_reply(struct reply *rep)
{
	pthread_mutex_lock(&csock_mu);
	if (write(csock, rep, sizeof *rep) != sizeof *rep)
		_exit(3);
	pthread_mutex_unlock(&csock_mu);
}

static void
child_spin(void)
{
	uint64_t	x = 1;

	for (;;) {
		x = mix64(x);
		/* Never the last page: the exit test holds it. */
		x ^= *(volatile uint64_t *)(cbase + (x % (cnpages - 1)) * pgsz);
	}
}

struct hammer_stats {
	uint64_t	accesses, mismatches, verifies, writes;
};

/* One hammer thread: owns the pages pg with pg % HAMMER_THREADS == t. */
static void
hammer_thread(int t, struct hammer_stats *hs, uint64_t quota)
{
	uint64_t	*ver, x = mix64(getpid() * 131 + t), pg, i;
	uint64_t	 hot[HAMMER_HOT] = { 0 }, own;
	char		*page;

	own = cnpages / HAMMER_THREADS;
	ver = xcalloc(own, sizeof *ver);
	while (hs->accesses < quota) {
		if ((hs->accesses & 63) == 0 && now() > child_deadline)
			break;
		x = mix64(x);
		if (x % 4 == 0)		/* revisit a recent page */
			i = hot[(x >> 8) % HAMMER_HOT];
		else
			i = (x >> 8) % own;
		hot[(x >> 16) % HAMMER_HOT] = i;
		pg = i * HAMMER_THREADS + t;
		page = cbase + pg * pgsz;
		hs->verifies++;
		hs->accesses++;
		if (!pat_check(page, pg, ver[i]))
			hs->mismatches++;
		if ((x >> 24) % 2 == 0) {
			pat_fill(page, pg, ++ver[i]);
			hs->writes++;
			hs->accesses++;
		}
	}
	/* Last, every owned page must hold its final version. */
	for (i = 0; i < own; i++) {
		pg = i * HAMMER_THREADS + t;
		hs->verifies++;
		hs->accesses++;
		if (!pat_check(cbase + pg * pgsz, pg, ver[i]))
			hs->mismatches++;
	}
	free(ver);
}

struct hammer_arg {
	int			t;
	uint64_t		quota;
	struct hammer_stats	hs;
};

static void *
hammer_main(void *arg)
{
	struct hammer_arg	*ha = arg;

	hammer_thread(ha->t, &ha->hs, ha->quota);
	return NULL;
}

static void
child_hammer(uint64_t quota)
{
	struct hammer_arg	ha[HAMMER_THREADS];
	pthread_t		tid[HAMMER_THREADS];
	struct reply		rep;
	int			t;

	memset(&rep, 0, sizeof rep);
	memset(ha, 0, sizeof ha);
	for (t = 0; t < HAMMER_THREADS; t++) {
		ha[t].t = t;
		ha[t].quota = quota / HAMMER_THREADS;
		if (pthread_create(&tid[t], NULL, hammer_main, &ha[t]) != 0)
			_exit(4);
	}
	for (t = 0; t < HAMMER_THREADS; t++) {
		pthread_join(tid[t], NULL);
		rep.accesses += ha[t].hs.accesses;
		rep.mismatches += ha[t].hs.mismatches;
		rep.verifies += ha[t].hs.verifies;
		rep.writes += ha[t].hs.writes;
	}
	rep.op = OP_HAMMER;
	child_reply(&rep);
}

static void *
child_worker(void *arg)
{
	struct cmd	*c = arg;
	struct reply	 rep;
	char		*page = cbase + c->pg * pgsz;

	memset(&rep, 0, sizeof rep);
	rep.op = c->op;
	rep.pg = c->pg;
	switch (c->op) {
	case OP_READ:
		rep.result = pat_check(page, c->pg, c->ver);
		break;
	case OP_WRITE:
		pat_fill(page, c->pg, c->ver);
		rep.result = 1;
		break;
	case OP_TOUCH:
		rep.result = *(volatile uint64_t *)page != 0;
		break;
	case OP_SPIN:
		child_spin();
		break;
	case OP_HAMMER:
		child_hammer(c->ver);
		free(c);
		return NULL;
	}
	free(c);
	child_reply(&rep);
	return NULL;
}

/* Map memfd at an address aligned to a GMS page (bigger than a kernel's). */
static char *
map_aligned(int memfd, size_t len)
{
	char		*p, *want;

	p = mmap(NULL, len + pgsz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	want = (char *)(((uintptr_t)p + pgsz - 1) & ~(uintptr_t)(pgsz - 1));
	if (mmap(want, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
	    memfd, 0) == MAP_FAILED)
		return NULL;
	return want;
}

/* Build the region as libgms would, hand it over, then obey commands. */
static void __attribute__((noreturn))
child_main(int sock, size_t npages, int regflags)
{
	struct cmd	*c;
	pthread_t	 t;
	int		 memfd, uffd, user_only;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(CHILD_ALARM);
	csock = sock;
	cnpages = npages;
	if ((memfd = memfd_create("gms-test", MFD_CLOEXEC)) == -1 ||
	    ftruncate(memfd, npages * pgsz) == -1)
		_exit(5);
	if ((cbase = map_aligned(memfd, npages * pgsz)) == NULL)
		_exit(6);
	if ((uffd = region_uffd_open(&user_only)) == -1 ||
	    region_uffd_register(uffd, cbase, npages * pgsz, regflags) == -1)
		_exit(7);
	if (send_region(sock, memfd, uffd, (uintptr_t)cbase) == -1)
		_exit(8);
	close(memfd);
	close(uffd);
	for (;;) {
		c = xmalloc(sizeof *c);
		if (read(sock, c, sizeof *c) != sizeof *c)
			_exit(0);
		if (c->op == OP_EXIT)
			_exit(0);
		if (pthread_create(&t, NULL, child_worker, c) != 0)
			_exit(9);
		pthread_detach(t);
	}
}

/* The parent's side of a client */

static int
client_start(struct client *c, size_t npages, int regflags)
{
	int		sv[2], memfd, uffd;
	uintptr_t	base;

	memset(c, 0, sizeof *c);
	c->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	fflush(stdout);
	if ((c->pid = fork()) == -1)
		return -1;
	if (c->pid == 0) {
		close(sv[0]);
		child_main(sv[1], npages, regflags);
	}
	close(sv[1]);
	c->sock = sv[0];
	if (recv_region(c->sock, &memfd, &uffd, &base) == -1)
		return -1;
	c->r = region_attach(memfd, uffd, c->pid, base, npages * pgsz, pgsz);
	return c->r == NULL ? -1 : 0;
}

static void
client_stop(struct client *c)
{
	int	status;

	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
		c->pid = 0;
	}
	if (c->sock != -1)
		close(c->sock);
	c->sock = -1;
	region_detach(c->r);
	c->r = NULL;
}

static int
client_cmd(struct client *c, enum op op, uint64_t pg, uint64_t ver)
{
	struct cmd	cmd;

	memset(&cmd, 0, sizeof cmd);
	cmd.op = op;
	cmd.pg = pg;
	cmd.ver = ver;
	return write(c->sock, &cmd, sizeof cmd) == sizeof cmd ? 0 : -1;
}

/* The pager */

static void
pager_init(struct pager *p, size_t budget)
{
	memset(p, 0, sizeof *p);
	p->budget = budget;
	p->fifo = xcalloc(budget, sizeof *p->fifo);
	p->hold_m = -1;
}

static void
pager_free(struct pager *p)
{
	int	i;

	for (i = 0; i < p->n; i++) {
		free(p->m[i].store);
		free(p->m[i].st);
	}
	free(p->fifo);
	free(p->minor_seen);
}

/* Give region r to the pager; every page starts at version 0. */
static int
pager_add(struct pager *p, struct region *r)
{
	struct pmem	*pm = &p->m[p->n];
	uint64_t	 pg;

	pm->r = r;
	pm->npages = region_npages(r);
	pm->store = xcalloc(pm->npages, pgsz);
	pm->st = xcalloc(pm->npages, 1);
	for (pg = 0; pg < pm->npages; pg++)
		pat_fill(pm->store + pg * pgsz, pg, 0);
	return p->n++;
}

static void
pager_error(struct pager *p, struct pmem *pm, const char *what, uint64_t pg)
{
	if (errno == ESRCH) {
		pm->dead = 1;
		return;
	}
	printf("  pager: %s page %llu: %s\n", what, (unsigned long long)pg,
	    strerror(errno));
	p->errors++;
}

/* Evict the oldest resident page: dirty ones go to the store first. */
static void
pager_evict_oldest(struct pager *p)
{
	struct frame	 f = p->fifo[p->head];
	struct pmem	*pm = &p->m[f.m];

	p->head = (p->head + 1) % p->budget;
	p->count--;
	if (pm->st[f.pg] & PG_DIRTY) {
		if (region_evict_begin(pm->r, f.pg) == -1 ||
		    region_copy_out(pm->r, f.pg, pm->store + f.pg * pgsz) == -1)
			pager_error(p, pm, "copy out", f.pg);
		p->dirty_out++;
	} else
		p->clean_drop++;	/* clean pages are protected already */
	if (region_evict_end(pm->r, f.pg) == -1)
		pager_error(p, pm, "evict", f.pg);
	pm->st[f.pg] = 0;
	p->evictions++;
}

static void
pager_missing(struct pager *p, int m, struct region_fault *f)
{
	struct pmem	*pm = &p->m[m];

	p->missing++;
	if (pm->st[f->pgno] & PG_RESIDENT) {	/* raced with another */
		p->stale++;
		if (region_wake(pm->r, f->pgno) == -1)
			pager_error(p, pm, "wake", f->pgno);
		return;
	}
	while (p->count >= p->budget)
		pager_evict_oldest(p);
	if (region_install(pm->r, f->pgno, pm->store + f->pgno * pgsz,
	    !f->write) == -1) {
		pager_error(p, pm, "install", f->pgno);
		return;
	}
	pm->st[f->pgno] = PG_RESIDENT | (f->write ? PG_DIRTY : 0);
	p->fifo[(p->head + p->count) % p->budget].m = m;
	p->fifo[(p->head + p->count) % p->budget].pg = f->pgno;
	p->count++;
}

static void
pager_fault(struct pager *p, int m, struct region_fault *f)
{
	struct pmem	*pm = &p->m[m];
	uint8_t		*st = &pm->st[f->pgno];

	if (pm->dead || (m == p->hold_m && f->pgno == p->hold_pg))
		return;
	switch (f->kind) {
	case REGION_FAULT_MISSING:
		pager_missing(p, m, f);
		break;
	case REGION_FAULT_WP:
		p->wp++;
		if ((*st & PG_RESIDENT) == 0) {	/* evicted since: refault */
			p->stale++;
			if (region_wake(pm->r, f->pgno) == -1)
				pager_error(p, pm, "wake", f->pgno);
		} else if (region_make_writable(pm->r, f->pgno) == -1)
			pager_error(p, pm, "unprotect", f->pgno);
		else
			*st |= PG_DIRTY;
		break;
	case REGION_FAULT_MINOR:
		p->minor++;
		if (m == 0 && p->minor_seen != NULL)
			p->minor_seen[f->pgno] = 1;
		if ((*st & PG_RESIDENT) == 0) {	/* evicted since: refault */
			p->stale++;
			if (region_wake(pm->r, f->pgno) == -1)
				pager_error(p, pm, "wake", f->pgno);
		} else if (region_continue(pm->r, f->pgno,
		    !(*st & PG_DIRTY)) == -1)
			pager_error(p, pm, "continue", f->pgno);
		break;
	}
}

static void
pager_drain(struct pager *p, int m)
{
	struct region_fault	f;

	while (!p->m[m].dead && region_next_fault(p->m[m].r, &f) == 0)
		pager_fault(p, m, &f);
}

/*
 * Serve faults of all regions for at most ms.  Returns 1 with *rep and
 * *who when a client replied, 0 on timeout, -1 when a client went away
 * (*who says which).
 */
static int
pager_serve(struct pager *p, struct client *cs, int nc, int ms,
    struct reply *rep, int *who)
{
	struct pollfd	pfd[2 * MAXCLIENTS];
	double		end = now() + ms / 1000.0;
	ssize_t		n;
	int		i, left;

	while ((left = (int)((end - now()) * 1000)) >= 0) {
		for (i = 0; i < nc; i++) {
			pfd[i].fd = region_fd(cs[i].r);
			pfd[i].events = POLLIN;
			pfd[nc + i].fd = cs[i].gone ? -1 : cs[i].sock;
			pfd[nc + i].events = POLLIN;
		}
		if (poll(pfd, 2 * nc, left) == -1)
			return -1;
		for (i = 0; i < nc; i++) {
			if (pfd[i].revents & POLLIN)
				pager_drain(p, i);
		}
		for (i = 0; i < nc; i++) {
			if (pfd[nc + i].revents == 0)
				continue;
			*who = i;
			n = read(cs[i].sock, rep, sizeof *rep);
			if (n == sizeof *rep)
				return 1;
			cs[i].gone = 1;
			return -1;
		}
	}
	return 0;
}

/* Send a command to client 0 and serve faults until it replies. */
static int
pager_call(struct pager *p, struct client *c, enum op op, uint64_t pg,
    uint64_t ver)
{
	struct reply	rep;
	int		who;

	if (client_cmd(c, op, pg, ver) == -1)
		return -1;
	if (pager_serve(p, c, 1, STEP_MS, &rep, &who) != 1 ||
	    rep.op != op || rep.pg != pg)
		return -1;
	return rep.result;
}

/* Wait for one fault on r without serving it. */
static int
wait_fault(struct region *r, struct region_fault *f, int ms)
{
	struct pollfd	pfd = { region_fd(r), POLLIN, 0 };
	double		end = now() + ms / 1000.0;

	for (;;) {
		if (region_next_fault(r, f) == 0)
			return 0;
		if (errno != EAGAIN || now() > end)
			return -1;
		if (poll(&pfd, 1, ms) == -1)
			return -1;
	}
}

/* Wait for a reply from c, serving nothing. */
static int
wait_reply(struct client *c, struct reply *rep, int ms)
{
	struct pollfd	pfd = { c->sock, POLLIN, 0 };

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return read(c->sock, rep, sizeof *rep) == sizeof *rep ? 0 : -1;
}

/* The tests */

/* Pages read back the bytes installed; evicted clean pages come back. */
static void
test_install_read(void)
{
	struct client	c;
	struct pager	p;
	uint64_t	pg, npages = 64;
	int		ok = 0, round;

	pager_init(&p, 16);
	if (client_start(&c, npages, 0) == -1) {
		CHECK(!"client start");
		goto out;
	}
	pager_add(&p, c.r);
	for (round = 0; round < 2; round++) {
		for (pg = 0; pg < npages; pg++)
			ok += pager_call(&p, &c, OP_READ, pg, 0) == 1;
	}
	CHECK_EQ(ok, 2 * npages);
	CHECK_EQ(p.missing, 2 * npages);	/* 16 frames: all were evicted */
	CHECK_EQ(p.wp, 0);
	CHECK_EQ(p.dirty_out, 0);
	CHECK_EQ(p.clean_drop, 2 * npages - 16);
	CHECK_EQ(p.errors, 0);
	/* A read of a resident page costs no fault. */
	CHECK_EQ(pager_call(&p, &c, OP_READ, npages - 1, 0), 1);
	CHECK_EQ(p.missing, 2 * npages);
out:
	client_stop(&c);
	pager_free(&p);
}

/* The first store to a clean page traps once; untouched pages stay clean. */
static void
test_dirty_tracking(void)
{
	static const uint64_t	 written[] = { 1, 4, 9, 10 };
	struct client		 c;
	struct pager		 p;
	uint64_t		 pg, npages = 16, wpages = 0;
	size_t			 i;
	int			 ok = 0, isw;

	pager_init(&p, npages);
	if (client_start(&c, npages, 0) == -1) {
		CHECK(!"client start");
		goto out;
	}
	pager_add(&p, c.r);
	for (pg = 0; pg < npages; pg++)
		ok += pager_call(&p, &c, OP_READ, pg, 0) == 1;
	for (i = 0; i < sizeof written / sizeof written[0]; i++) {
		ok += pager_call(&p, &c, OP_WRITE, written[i], 1) == 1;
		ok += pager_call(&p, &c, OP_WRITE, written[i], 2) == 1;
	}
	CHECK_EQ(ok, npages + 8);
	CHECK_EQ(p.missing, npages);
	CHECK_EQ(p.wp, 4);			/* one per page, not per store */
	for (pg = 0; pg < npages; pg++) {
		isw = 0;
		for (i = 0; i < sizeof written / sizeof written[0]; i++)
			isw |= written[i] == pg;
		wpages += isw;
		CHECK_EQ(!!(p.m[0].st[pg] & PG_DIRTY), isw);
	}
	/* Evict everything: dirty pages are copied out, clean ones dropped. */
	while (p.count > 0)
		pager_evict_oldest(&p);
	CHECK_EQ(p.dirty_out, wpages);
	CHECK_EQ(p.clean_drop, npages - wpages);
	for (i = 0; i < sizeof written / sizeof written[0]; i++)
		CHECK(pat_check(p.m[0].store + written[i] * pgsz, written[i], 2));
	ok = 0;
	for (pg = 0; pg < npages; pg++) {
		isw = pg == 1 || pg == 4 || pg == 9 || pg == 10;
		ok += pager_call(&p, &c, OP_READ, pg, isw ? 2 : 0) == 1;
	}
	CHECK_EQ(ok, npages);
	CHECK_EQ(p.errors, 0);
out:
	client_stop(&c);
	pager_free(&p);
}

/*
 * A store blocked by an eviction resumes on the new copy of the page:
 * begin the eviction, let the client write, copy out, end, serve the
 * refault, and the write lands; the bytes before it were not lost.
 */
static void
test_evict_blocked_writer(void)
{
	struct client		 c;
	struct pager		 p;
	struct region_fault	 f;
	struct reply		 rep;
	char			*buf = xmalloc(pgsz);
	uint64_t		 pg = 3;

	pager_init(&p, 8);
	if (client_start(&c, 8, 0) == -1) {
		CHECK(!"client start");
		goto out;
	}
	pager_add(&p, c.r);
	CHECK_EQ(pager_call(&p, &c, OP_WRITE, pg, 1), 1);	/* dirty */
	CHECK(p.m[0].st[pg] & PG_DIRTY);

	CHECK_EQ(region_evict_begin(c.r, pg), 0);
	CHECK_EQ(client_cmd(&c, OP_WRITE, pg, 2), 0);
	CHECK_EQ(wait_fault(c.r, &f, STEP_MS), 0);
	CHECK_EQ(f.kind, REGION_FAULT_WP);
	CHECK_EQ(f.pgno, pg);
	CHECK(f.write);
	CHECK_EQ(wait_reply(&c, &rep, 200), -1);	/* still blocked */
	CHECK_EQ(region_copy_out(c.r, pg, buf), 0);
	CHECK(pat_check(buf, pg, 1));			/* frozen at v1 */
	memcpy(p.m[0].store + pg * pgsz, buf, pgsz);
	CHECK_EQ(region_evict_end(c.r, pg), 0);
	CHECK_EQ(wait_fault(c.r, &f, STEP_MS), 0);	/* comes back */
	CHECK_EQ(f.kind, REGION_FAULT_MISSING);
	CHECK_EQ(f.pgno, pg);
	CHECK(f.write);
	CHECK_EQ(region_install(c.r, pg, p.m[0].store + pg * pgsz, 0), 0);
	CHECK_EQ(wait_reply(&c, &rep, STEP_MS), 0);
	CHECK_EQ(rep.op, OP_WRITE);
	CHECK_EQ(pager_call(&p, &c, OP_READ, pg, 2), 1);

	/* Out again: the store now gets version 2, and the client reads it. */
	CHECK_EQ(region_evict_begin(c.r, pg), 0);
	CHECK_EQ(region_copy_out(c.r, pg, buf), 0);
	CHECK(pat_check(buf, pg, 2));
	CHECK_EQ(region_evict_end(c.r, pg), 0);
	CHECK_EQ(client_cmd(&c, OP_READ, pg, 2), 0);
	CHECK_EQ(wait_fault(c.r, &f, STEP_MS), 0);
	CHECK_EQ(f.kind, REGION_FAULT_MISSING);
	CHECK(!f.write);
	CHECK_EQ(region_install(c.r, pg, buf, 1), 0);
	CHECK_EQ(wait_reply(&c, &rep, STEP_MS), 0);
	CHECK_EQ(rep.result, 1);
	/* Installing twice is harmless: the page is there, waiters woken. */
	CHECK_EQ(region_install(c.r, pg, buf, 1), 0);
out:
	client_stop(&c);
	pager_free(&p);
	free(buf);
}

/* Loads go on while a page is being evicted: it is only write-protected. */
static void
test_evict_reader(void)
{
	struct client		 c;
	struct pager		 p;
	struct region_fault	 f;
	struct reply		 rep;

	pager_init(&p, 4);
	if (client_start(&c, 4, 0) == -1) {
		CHECK(!"client start");
		goto out;
	}
	pager_add(&p, c.r);
	CHECK_EQ(pager_call(&p, &c, OP_WRITE, 2, 5), 1);
	CHECK_EQ(region_evict_begin(c.r, 2), 0);
	CHECK_EQ(client_cmd(&c, OP_READ, 2, 5), 0);
	CHECK_EQ(wait_reply(&c, &rep, STEP_MS), 0);
	CHECK_EQ(rep.result, 1);
	CHECK_EQ(region_next_fault(c.r, &f), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(region_copy_out(c.r, 2, p.m[0].store + 2 * pgsz), 0);
	CHECK_EQ(region_evict_end(c.r, 2), 0);
	p.m[0].st[2] = 0;
	p.count = 0;
	CHECK_EQ(pager_call(&p, &c, OP_READ, 2, 5), 1);
	CHECK_EQ(p.missing, 2);
out:
	client_stop(&c);
	pager_free(&p);
}

static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char	*s = getenv(name);

	return s != NULL && *s != '\0' ? strtoull(s, NULL, 10) : def;
}

/*
 * The hammer: two clients, four threads each, every thread owning a
 * disjoint set of pages and checking each page against the version it
 * last wrote, while the pager evicts flat out within a budget of an
 * eighth of one region.
 */
static void
test_hammer(void)
{
	struct client	c[MAXCLIENTS];
	struct pager	p;
	struct reply	rep;
	uint64_t	acc = 0, mis = 0, ver = 0, wr = 0;
	double		t0, el;
	int		i, who, done = 0, rc;

	memset(c, 0, sizeof c);
	for (i = 0; i < MAXCLIENTS; i++)
		c[i].sock = -1;
	pager_init(&p, HAMMER_BUDGET);
	child_deadline = now() + hammer_seconds;
	for (i = 0; i < MAXCLIENTS; i++) {
		if (client_start(&c[i], HAMMER_PAGES, 0) == -1) {
			CHECK(!"client start");
			goto out;
		}
		pager_add(&p, c[i].r);
	}
	t0 = now();
	for (i = 0; i < MAXCLIENTS; i++)
		CHECK_EQ(client_cmd(&c[i], OP_HAMMER, 0,
		    hammer_quota / MAXCLIENTS), 0);
	while (done < MAXCLIENTS && now() < t0 + hammer_seconds + 30) {
		rc = pager_serve(&p, c, MAXCLIENTS, 1000, &rep, &who);
		if (rc == -1)
			break;
		if (rc == 1 && rep.op == OP_HAMMER) {
			acc += rep.accesses;
			mis += rep.mismatches;
			ver += rep.verifies;
			wr += rep.writes;
			done++;
		}
	}
	el = now() - t0;
	CHECK_EQ(done, MAXCLIENTS);
	CHECK_EQ(mis, 0);
	CHECK_EQ(p.errors, 0);
	CHECK(p.evictions > 0 && p.dirty_out > 0 && p.clean_drop > 0);
	printf("  hammer: %d clients x %d threads, %d pages of %zu bytes each, "
	    "budget %d frames, %.1f s\n", MAXCLIENTS, HAMMER_THREADS,
	    HAMMER_PAGES, pgsz, HAMMER_BUDGET, el);
	printf("  hammer: accesses %llu (%llu verifies, %llu writes), "
	    "mismatches %llu\n", (unsigned long long)acc,
	    (unsigned long long)ver, (unsigned long long)wr,
	    (unsigned long long)mis);
	printf("  hammer: faults %llu (missing %llu, wp %llu), stale %llu, "
	    "evictions %llu (dirty %llu, clean %llu), %.0f faults/s\n",
	    (unsigned long long)(p.missing + p.wp),
	    (unsigned long long)p.missing, (unsigned long long)p.wp,
	    (unsigned long long)p.stale, (unsigned long long)p.evictions,
	    (unsigned long long)p.dirty_out, (unsigned long long)p.clean_drop,
	    (p.missing + p.wp) / el);
out:
	for (i = 0; i < MAXCLIENTS; i++)
		client_stop(&c[i]);
	pager_free(&p);
}

/* A client that exits with a thread blocked in a fault does not hang us. */
static void
test_client_exit(void)
{
	struct client		 c;
	struct pager		 p;
	struct region_fault	 f;
	struct reply		 rep;
	char			*buf = xcalloc(1, pgsz);
	double			 t0;
	int			 who, rc = 0, status = -1;

	pager_init(&p, 8);
	if (client_start(&c, 64, 0) == -1) {
		CHECK(!"client start");
		goto out;
	}
	pager_add(&p, c.r);
	p.hold_m = 0;
	p.hold_pg = 63;			/* faults on page 63 stay pending */
	CHECK_EQ(client_cmd(&c, OP_TOUCH, 63, 0), 0);
	CHECK_EQ(client_cmd(&c, OP_SPIN, 0, 0), 0);
	pager_serve(&p, &c, 1, 300, &rep, &who);
	CHECK(p.missing > 8);		/* the spinner ran */
	CHECK_EQ(client_cmd(&c, OP_EXIT, 0, 0), 0);
	t0 = now();
	while (rc != -1 && now() < t0 + STEP_MS / 1000.0)
		rc = pager_serve(&p, &c, 1, 100, &rep, &who);
	CHECK_EQ(rc, -1);
	CHECK(c.gone);
	CHECK(now() - t0 < 2);
	CHECK_EQ(waitpid(c.pid, &status, 0), c.pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	c.pid = 0;
	/* The uffd stays silent; every operation says ESRCH. */
	while (region_next_fault(c.r, &f) == 0)
		;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(region_install(c.r, 63, buf, 1), -1);
	CHECK_EQ(errno, ESRCH);
	CHECK_EQ(region_make_writable(c.r, 63), -1);
	CHECK_EQ(errno, ESRCH);
	CHECK_EQ(region_evict_begin(c.r, 63), -1);
	CHECK_EQ(errno, ESRCH);
	CHECK_EQ(region_evict_end(c.r, 63), 0);	/* punch and wake need no mm */
out:
	client_stop(&c);
	pager_free(&p);
	free(buf);
}

static int
count_fds(void)
{
	int	fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

/* attach rejects what a client must not send, and closes what it took. */
static void
test_attach_checks(void)
{
	struct region	*r;
	int		 sv[2], memfd, memfd2, user_only, nfds;

	nfds = count_fds();
	memfd = memfd_create("gms-test", MFD_CLOEXEC);
	CHECK(memfd != -1 && ftruncate(memfd, 16 * pgsz) == 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	r = region_attach(memfd, sv[0], -1, 0, 16 * pgsz, pgsz);
	CHECK(r == NULL && errno == EINVAL);	/* not a userfaultfd */
	close(sv[1]);
	memfd = memfd_create("gms-test", MFD_CLOEXEC);
	memfd2 = region_uffd_open(&user_only);
	CHECK(memfd2 != -1);
	CHECK(memfd != -1 && ftruncate(memfd, 4 * pgsz) == 0);
	r = region_attach(memfd, memfd2, -1, 0, 16 * pgsz, pgsz);
	CHECK(r == NULL && errno == EINVAL);	/* memfd too small */
	memfd = memfd_create("gms-test", MFD_CLOEXEC);
	memfd2 = region_uffd_open(&user_only);
	CHECK(memfd != -1 && ftruncate(memfd, 16 * pgsz) == 0);
	r = region_attach(memfd, memfd2, -1, pgsz, 16 * pgsz, 2 * pgsz);
	CHECK(r == NULL && errno == EINVAL);	/* misaligned base */
	memfd = memfd_create("gms-test", MFD_CLOEXEC);
	memfd2 = region_uffd_open(&user_only);
	CHECK(memfd != -1 && ftruncate(memfd, 16 * pgsz) == 0);
	r = region_attach(memfd, memfd2, -1, 0, 16 * pgsz, pgsz);
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_EQ(region_npages(r), 16);
		CHECK_EQ(region_sample_arm(r, 0, 1), -1);
		CHECK_EQ(errno, EBADF);		/* no client pid given */
		CHECK_EQ(region_install(r, 16, "", 0), -1);
		CHECK_EQ(errno, EINVAL);
	}
	region_detach(r);
	CHECK_EQ(count_fds(), nfds);
}

static int
swap_on(void)
{
	struct sysinfo	si;

	return sysinfo(&si) == 0 && si.totalswap != 0;
}

/*
 * The age sampler, scan mode: arm every page, touch a third of them (half
 * by loads, half by stores), and the scan reports exactly those; stores
 * to clean pages still trap WP (the protection outlives the unmapping).
 */
static void
test_sample_scan(void)
{
	struct client	 c;
	struct pager	 p;
	uint8_t		*present, *armedset;
	uint64_t	 pg, npages = 256, armed = 0, hit = 0, wrong = 0;
	double		 t0, t_arm, t_scan;
	int		 ok = 0;

	present = xcalloc(npages, 1);
	armedset = xcalloc(npages, 1);
	pager_init(&p, npages);
	if (client_start(&c, npages, 0) == -1) {
		CHECK(!"client start");
		goto out;
	}
	pager_add(&p, c.r);
	for (pg = 0; pg < npages; pg++)
		ok += pager_call(&p, &c, OP_READ, pg, 0) == 1;
	CHECK_EQ(ok, npages);
	t0 = now();
	CHECK_EQ(region_sample_arm(c.r, 0, npages), 0);
	t_arm = now() - t0;
	CHECK_EQ(region_sample_scan(c.r, 0, npages, present), 0);
	for (pg = 0; pg < npages; pg++) {
		armedset[pg] = !present[pg];
		armed += armedset[pg];
	}
	CHECK(armed >= npages / 2);
	ok = 0;
	for (pg = 0; pg < npages; pg += 3) {
		if (pg % 2)
			ok += pager_call(&p, &c, OP_READ, pg, 0) == 1;
		else
			ok += pager_call(&p, &c, OP_WRITE, pg, 1) == 1;
	}
	CHECK_EQ(ok, (npages + 2) / 3);
	CHECK_EQ(p.missing, npages);		/* nothing was lost */
	CHECK_EQ(p.wp, (npages + 5) / 6);	/* every store trapped */
	memset(present, 0, npages);
	t0 = now();
	CHECK_EQ(region_sample_scan(c.r, 0, npages, present), 0);
	t_scan = now() - t0;
	for (pg = 0; pg < npages; pg++) {
		hit += present[pg];
		if (armedset[pg] && present[pg] != (pg % 3 == 0))
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	printf("  sample scan: %llu/%llu pages armed, %llu referenced; arm "
	    "%.2f us/page, scan %.3f us/page\n", (unsigned long long)armed,
	    (unsigned long long)npages, (unsigned long long)hit,
	    t_arm * 1e6 / npages, t_scan * 1e6 / npages);
	ok = 0;
	for (pg = 0; pg < npages; pg++)
		ok += pager_call(&p, &c, OP_READ, pg,
		    pg % 3 == 0 && pg % 2 == 0) == 1;
	CHECK_EQ(ok, npages);
	CHECK_EQ(p.errors, 0);
out:
	client_stop(&c);
	pager_free(&p);
	free(present);
	free(armedset);
}

/* The age sampler, trap mode: MINOR registered, each first access traps. */
static void
test_sample_trap(void)
{
	struct client	 c;
	struct pager	 p;
	uint8_t		*present;
	uint64_t	 pg, npages = 256, armed = 0, wrong = 0, traps = 0;
	double		 t0, el;
	int		 ok = 0;

	present = xcalloc(npages, 1);
	pager_init(&p, npages);
	if (client_start(&c, npages, REGION_REG_MINOR) == -1) {
		CHECK(!"client start");
		goto out;
	}
	pager_add(&p, c.r);
	p.minor_seen = xcalloc(npages, 1);
	for (pg = 0; pg < npages; pg++)
		ok += pager_call(&p, &c, OP_READ, pg, 0) == 1;
	CHECK_EQ(region_sample_arm(c.r, 0, npages), 0);
	CHECK_EQ(region_sample_scan(c.r, 0, npages, present), 0);
	for (pg = 0; pg < npages; pg++) {
		armed += !present[pg];
		traps += !present[pg] && pg % 3 == 0;
	}
	CHECK(armed >= npages / 2);
	t0 = now();
	for (pg = 0; pg < npages; pg += 3) {
		if (pg % 2)
			ok += pager_call(&p, &c, OP_READ, pg, 0) == 1;
		else
			ok += pager_call(&p, &c, OP_WRITE, pg, 1) == 1;
	}
	el = now() - t0;
	CHECK_EQ(ok, npages + (npages + 2) / 3);
	for (pg = 0; pg < npages; pg++) {
		if (!present[pg] && p.minor_seen[pg] != (pg % 3 == 0))
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	CHECK_EQ(p.minor, traps);
	/* Continued protected: stores to clean pages trapped WP after it. */
	CHECK_EQ(p.wp, (npages + 5) / 6);
	CHECK_EQ(p.errors, 0);
	printf("  sample trap: %llu/%llu armed, %llu minor faults, %.1f us "
	    "per touch (command round trip included)\n",
	    (unsigned long long)armed, (unsigned long long)npages,
	    (unsigned long long)p.minor, el * 1e6 / ((npages + 2) / 3));
out:
	client_stop(&c);
	pager_free(&p);
	free(present);
}

/* GMS pages of two kernel pages (the paper's 8 KB on x86). */
static void
test_gms_page_2x(void)
{
	size_t		kpage = pgsz;
	uint64_t	quota = hammer_quota;

	pgsz = 2 * kpage;
	hammer_quota = quota / 10;
	test_dirty_tracking();
	test_evict_blocked_writer();
	test_hammer();
	hammer_quota = quota;
	pgsz = kpage;
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pgsz = sysconf(_SC_PAGESIZE);
	hammer_quota = env_u64("GMS_HAMMER_ACCESSES", hammer_quota);
	hammer_seconds = env_u64("GMS_HAMMER_SECONDS", hammer_seconds);
	signal(SIGPIPE, SIG_IGN);

	RUN(test_attach_checks);
	RUN(test_install_read);
	RUN(test_dirty_tracking);
	RUN(test_evict_blocked_writer);
	RUN(test_evict_reader);
	RUN(test_client_exit);
	if (swap_on()) {
		SKIP(test_sample_scan, "swap is on: MADV_PAGEOUT would swap");
		SKIP(test_sample_trap, "swap is on: MADV_PAGEOUT would swap");
	} else if (geteuid() != 0) {
		SKIP(test_sample_scan, "process_madvise needs root");
		SKIP(test_sample_trap, "process_madvise needs root");
	} else {
		RUN(test_sample_scan);
		RUN(test_sample_trap);
	}
	RUN(test_hammer);
	RUN(test_gms_page_2x);
	return CHECK_DONE();
}
