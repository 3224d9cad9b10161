/*
 * floor_uffd.c: the bare cost of GMS's user-space paging, before any
 * network: one userfaultfd fault on a memfd page served by a handler in
 * another process (gms/region.c, as gmsd will use it).
 *
 *   missing   MISSING fault resolved with UFFDIO_COPY (page installed
 *             write-protected), measured in the client around its load
 *   wp        first store to such a clean page: WP fault, unprotect
 *   minor     access to a page the sampler armed, MINOR registered:
 *             MINOR fault, UFFDIO_CONTINUE
 *   refault   access to an armed page, MINOR not registered: the kernel
 *             maps the page again by itself (no handler)
 * each with client and handler on the same CPU, on different CPUs, and on
 * different CPUs with the handler busy-polling the uffd (for at most
 * BUSY_US after the last fault, then it sleeps in poll).  The _idle runs
 * space the faults IDLE_GAP_US apart, so the handler's CPU goes idle
 * between them as it does under a light load.  Handler-side
 * costs per page: eviction (evict_begin = UFFDIO_WRITEPROTECT, copy_out =
 * pread, evict_end = punch hole + wake) of dirty pages mapped in the
 * client; sample_arm (process_madvise MADV_PAGEOUT) and sample_scan
 * (PAGEMAP_SCAN).  Prints a table and one JSON line per measurement.
 *
 * usage: floor_uffd [-n faults]	(default 20000; bounded to ~2 min)
 * build: cc -I. -D_GNU_SOURCE -O2 -pthread experiments/bench/floor_uffd.c \
 *	      gms/region.c gms/log.c gms/xmalloc.c -o bin/floor_uffd
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/log.h"
#include "gms/region.h"
#include "gms/xmalloc.h"

#define BUSY_US		200	/* handler spins this long after a fault */
#define IDLE_GAP_US	1000	/* client pause before each fault, _idle */
#define IDLE_FAULTS	2000	/* faults per _idle run */
#define RUN_SECONDS	30	/* longest single run */
#define CHILD_ALARM	300	/* s: the client never outlives this */
#define MAX_FAULTS	200000

enum {
	C_READ = 1,	/* load one word of every page, time each */
	C_WRITE,	/* store one word into every page, time each */
	C_EXIT
};

struct cmd {
	int	op;
	int	reg;	/* 0: MISSING|WP, 1: MISSING|WP|MINOR */
	long	n;	/* pages to touch, from the first */
	int	gap_us;	/* pause before each access */
};

struct result {
	const char	*what;
	double		 median, p99, mean;	/* us */
	long		 n;
};

static size_t	 pgsz;
static long	 npages = 20000;
static char	*cbase[2];
static double	*lat;		/* client's timings, shared, ns */
static int	 hcpu;		/* handler CPU for this run */
static int	 busy;		/* handler busy-polls */
static double	 busy_us = BUSY_US;
static struct result	results[32];
static int		nresults;

static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
pin(int cpu)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) == -1)
		fatal("sched_setaffinity %d", cpu);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Record n samples (ns) under what; prints its JSON line. */
static void
record(const char *what, double *v, long n)
{
	struct result	*r = &results[nresults++];
	double		 sum = 0;
	long		 i;

	qsort(v, n, sizeof *v, cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	r->what = what;
	r->n = n;
	r->median = v[n / 2] / 1e3;
	r->p99 = v[n * 99 / 100] / 1e3;
	r->mean = sum / n / 1e3;
	printf("{\"bench\":\"floor_uffd\",\"what\":\"%s\",\"n\":%ld,"
	    "\"median_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f}\n",
	    what, n, r->median, r->p99, r->mean);
	fflush(stdout);
}

/* A handler-side batch: only its cost per page is known. */
static void
record_batch(const char *what, double total_ns, long n)
{
	struct result	*r = &results[nresults++];

	r->what = what;
	r->n = n;
	r->median = r->p99 = r->mean = total_ns / n / 1e3;
	printf("{\"bench\":\"floor_uffd\",\"what\":\"%s\",\"n\":%ld,"
	    "\"per_page_us\":%.4f}\n", what, n, r->mean);
	fflush(stdout);
}

static void
send_fds(int sock, int memfd, int uffd, uintptr_t base)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov = { &base, sizeof base };
	union {
		char		buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr	align;
	} u;
	int		 fds[2] = { memfd, uffd };

	memset(&msg, 0, sizeof msg);
	memset(&u, 0, sizeof u);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof u.buf;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(cm), fds, sizeof fds);
	if (sendmsg(sock, &msg, 0) != sizeof base)
		_exit(2);
}

static struct region *
recv_region(int sock, pid_t pid)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	uintptr_t	 base;
	struct iovec	 iov = { &base, sizeof base };
	union {
		char		buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr	align;
	} u;
	int		 fds[2];
	struct region	*r;

	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof u.buf;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof base ||
	    (cm = CMSG_FIRSTHDR(&msg)) == NULL ||
	    cm->cmsg_len != CMSG_LEN(sizeof fds))
		fatalx("client sent no region");
	memcpy(fds, CMSG_DATA(cm), sizeof fds);
	r = region_attach(fds[0], fds[1], pid, base, npages * pgsz, pgsz);
	if (r == NULL)
		fatal("region_attach");
	return r;
}

static void
client_setup(int sock, int reg)
{
	int	memfd, uffd, user_only;

	if ((memfd = memfd_create("floor", MFD_CLOEXEC)) == -1 ||
	    ftruncate(memfd, npages * pgsz) == -1)
		_exit(3);
	cbase[reg] = mmap(NULL, npages * pgsz, PROT_READ | PROT_WRITE,
	    MAP_SHARED, memfd, 0);
	if (cbase[reg] == MAP_FAILED)
		_exit(4);
	if ((uffd = region_uffd_open(&user_only)) == -1 ||
	    region_uffd_register(uffd, cbase[reg], npages * pgsz,
	    reg ? REGION_REG_MINOR : 0) == -1)
		_exit(5);
	send_fds(sock, memfd, uffd, (uintptr_t)cbase[reg]);
	close(memfd);
	close(uffd);
}

/* The client: always on CPU 0, touches pages when told and times it. */
static void __attribute__((noreturn))
client_main(int sock)
{
	struct cmd		 c;
	volatile uint64_t	*w;
	double			 t0;
	long			 i;
	int			 done = 1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(CHILD_ALARM);
	pin(0);
	client_setup(sock, 0);
	client_setup(sock, 1);
	while (read(sock, &c, sizeof c) == sizeof c && c.op != C_EXIT) {
		for (i = 0; i < c.n; i++) {
			w = (volatile uint64_t *)(cbase[c.reg] + i * pgsz);
			if (c.gap_us > 0)
				usleep(c.gap_us);
			t0 = now_ns();
			if (c.op == C_READ)
				(void)*w;
			else
				*w = i;
			lat[i] = now_ns() - t0;
		}
		if (write(sock, &done, sizeof done) != sizeof done)
			break;
	}
	_exit(0);
}

static const char	page_data[1 << 16] = { 1 };

static void
serve_one(struct region *r, struct region_fault *f)
{
	int	rc = 0;

	switch (f->kind) {
	case REGION_FAULT_MISSING:
		rc = region_install(r, f->pgno, page_data, 1);
		break;
	case REGION_FAULT_WP:
		rc = region_make_writable(r, f->pgno);
		break;
	case REGION_FAULT_MINOR:
		rc = region_continue(r, f->pgno, 1);
		break;
	}
	if (rc == -1)
		fatal("serving page %llu", (unsigned long long)f->pgno);
}

/* Serve r's faults until the client says it is done. */
static void
serve(struct region *r, int sock)
{
	struct pollfd		pfd[2] = {
		{ region_fd(r), POLLIN, 0 }, { sock, POLLIN, 0 } };
	struct region_fault	f;
	double			end = now_ns() + RUN_SECONDS * 1e9;
	double			last = now_ns();
	int			done;

	for (;;) {
		if (region_next_fault(r, &f) == 0) {
			serve_one(r, &f);
			last = now_ns();
			continue;
		}
		if (errno != EAGAIN)
			fatal("reading faults");
		if (busy && now_ns() - last < busy_us * 1e3)
			continue;
		if (poll(pfd, 2, 1000) == -1)
			fatal("poll");
		if (pfd[1].revents) {
			if (read(sock, &done, sizeof done) != sizeof done)
				fatalx("client died");
			return;
		}
		if (now_ns() > end)
			fatalx("run took longer than %d s", RUN_SECONDS);
		last = now_ns();
	}
}

/* Have the client touch n pages of region reg; record as what. */
static void
run_n(struct region *r, int sock, int op, int reg, const char *what,
    long n, int gap_us)
{
	struct cmd	c;

	memset(&c, 0, sizeof c);
	c.op = op;
	c.reg = reg;
	c.n = n;
	c.gap_us = gap_us;
	pin(hcpu);
	if (write(sock, &c, sizeof c) != sizeof c)
		fatal("write");
	serve(r, sock);
	if (what != NULL)
		record(what, lat, n);
}

static void
run(struct region *r, int sock, int op, int reg, const char *what)
{
	run_n(r, sock, op, reg, what, npages, 0);
}

/* Sporadic faults: the handler's CPU idles in between. */
static void
run_idle(struct region *r, int sock, const char *what)
{
	run_n(r, sock, C_READ, 0, what,
	    npages < IDLE_FAULTS ? npages : IDLE_FAULTS, IDLE_GAP_US);
}

/* Evict every page of r, timing the three steps per page. */
static void
evict_all(struct region *r, const char *tag)
{
	static char	 buf[1 << 16];
	double		*v[4], t0, t1, t2, t3;
	char		 name[4][64];
	long		 i;
	int		 k;

	for (k = 0; k < 4; k++)
		v[k] = xcalloc(npages, sizeof *v[k]);
	for (i = 0; i < npages; i++) {
		t0 = now_ns();
		if (region_evict_begin(r, i) == -1)
			fatal("evict_begin");
		t1 = now_ns();
		if (region_copy_out(r, i, buf) == -1)
			fatal("copy_out");
		t2 = now_ns();
		if (region_evict_end(r, i) == -1)
			fatal("evict_end");
		t3 = now_ns();
		v[0][i] = t1 - t0;
		v[1][i] = t2 - t1;
		v[2][i] = t3 - t2;
		v[3][i] = t3 - t0;
	}
	if (tag != NULL) {
		snprintf(name[0], sizeof name[0], "evict_begin_wp_%s", tag);
		snprintf(name[1], sizeof name[1], "copy_out_pread_%s", tag);
		snprintf(name[2], sizeof name[2], "evict_end_punch_%s", tag);
		snprintf(name[3], sizeof name[3], "evict_total_%s", tag);
		for (k = 0; k < 4; k++)
			record(xstrdup(name[k]), v[k], npages);
	}
	for (k = 0; k < 4; k++)
		free(v[k]);
}

/* Arm all pages, time it and the scans; returns how many were armed. */
static long
sample(struct region *r, int sock, int reg, const char *what)
{
	uint8_t		*present = xcalloc(npages, 1);
	double		 t0, t_arm, t_scan;
	long		 i, armed = 0;

	t0 = now_ns();
	if (region_sample_arm(r, 0, npages) == -1)
		fatal("region_sample_arm");
	t_arm = now_ns() - t0;
	t0 = now_ns();
	if (region_sample_scan(r, 0, npages, present) == -1)
		fatal("region_sample_scan");
	t_scan = now_ns() - t0;
	for (i = 0; i < npages; i++)
		armed += !present[i];
	if (what != NULL) {
		record_batch(reg ? "sample_arm_page_minor" : "sample_arm_page",
		    t_arm, npages);
		record_batch(reg ? "sample_scan_page_minor" :
		    "sample_scan_page", t_scan, npages);
		run(r, sock, C_READ, reg, what);
	}
	free(present);
	return armed;
}

static void
usage(void)
{
	fprintf(stderr, "usage: floor_uffd [-n faults]\n");
	exit(1);
}

static void
print_table(long armed)
{
	int	i;

	printf("\n%-28s %10s %10s %10s %8s\n", "measurement", "median_us",
	    "p99_us", "mean_us", "n");
	for (i = 0; i < nresults; i++)
		printf("%-28s %10.3f %10.3f %10.3f %8ld\n", results[i].what,
		    results[i].median, results[i].p99, results[i].mean,
		    results[i].n);
	printf("(*_idle: one fault every %d us; sample_*_page: handler cost "
	    "per page in one batch of %ld pages, %ld armed; median = p99 = "
	    "mean)\n", IDLE_GAP_US, npages, armed);
}

int
main(int argc, char **argv)
{
	struct region	*r[2];
	struct utsname	 u;
	int		 sv[2], ch, ncpu, status, quit = C_EXIT;
	long		 armed;
	pid_t		 pid;

	log_init("floor_uffd", LOG_INFO);
	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n')
			usage();
		npages = strtol(optarg, NULL, 10);
		if (npages < 100 || npages > MAX_FAULTS)
			fatalx("-n: between 100 and %d faults", MAX_FAULTS);
	}
	pgsz = sysconf(_SC_PAGESIZE);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uname(&u);
	printf("# floor_uffd: kernel %s, %d CPUs, %ld faults per run, page "
	    "%zu\n", u.release, ncpu, npages, pgsz);
	lat = mmap(NULL, npages * sizeof *lat, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED)
		fatal("mmap");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sv[0]);
		client_main(sv[1]);
	}
	close(sv[1]);
	r[0] = recv_region(sv[0], pid);
	r[1] = recv_region(sv[0], pid);

	hcpu = 0;
	run(r[0], sv[0], C_READ, 0, "missing_same_cpu");
	run(r[0], sv[0], C_WRITE, 0, "wp_same_cpu");
	evict_all(r[0], "same_cpu");
	if (ncpu > 1) {
		hcpu = 1;
		run(r[0], sv[0], C_READ, 0, "missing_cross_cpu");
		run(r[0], sv[0], C_WRITE, 0, "wp_cross_cpu");
		evict_all(r[0], "cross_cpu");
		busy = 1;
		run(r[0], sv[0], C_READ, 0, "missing_cross_cpu_busy");
		run(r[0], sv[0], C_WRITE, 0, "wp_cross_cpu_busy");
		busy = 0;
	}
	evict_all(r[0], NULL);
	hcpu = 0;
	run_idle(r[0], sv[0], "missing_same_cpu_idle");
	evict_all(r[0], NULL);
	if (ncpu > 1) {
		hcpu = 1;
		run_idle(r[0], sv[0], "missing_cross_cpu_idle");
		evict_all(r[0], NULL);
		busy = 1;
		busy_us = 2 * IDLE_GAP_US;
		run_idle(r[0], sv[0], "missing_cross_cpu_busy_idle");
		evict_all(r[0], NULL);
		busy = 0;
		busy_us = BUSY_US;
	}
	run(r[0], sv[0], C_READ, 0, NULL);
	/* The sampler: arm, the client touches every page, scan again. */
	armed = sample(r[0], sv[0], 0, "refault_silent");
	hcpu = 0;
	run(r[1], sv[0], C_READ, 1, NULL);
	sample(r[1], sv[0], 1, "minor_same_cpu");
	if (ncpu > 1) {
		hcpu = 1;
		sample(r[1], sv[0], 1, "minor_cross_cpu");
		busy = 1;
		sample(r[1], sv[0], 1, "minor_cross_cpu_busy");
		busy = 0;
	}
	print_table(armed);

	if (write(sv[0], &quit, sizeof quit) != sizeof quit)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	region_detach(r[0]);
	region_detach(r[1]);
	return 0;
}
