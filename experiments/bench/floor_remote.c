/*
 * floor_remote.c: the floor of fault throughput on one node: a bare remote
 * pager, the least work any pager must do per fault when the page comes
 * from another process over UDP and one handler thread serves the faults.
 *
 *   floor_remote [-1] [-c CPU] [-s SERVER_CPU] [-p PAGES] [-w WINDOW]
 *                THREADS SECONDS
 *
 * A memfd of PAGES pages (4096), mapped shared and registered with
 * userfaultfd for MISSING faults, as libgms hands GMS memory to gmsd.
 * THREADS program threads read random pages of their own share of it (as
 * bench/fault_mix.c tput does on GMS memory) for SECONDS; a read on a page
 * mincore() calls absent is a fault, timed and counted.  One handler
 * thread serves the faults: per fault it sends an 8-byte request (the page
 * number) to a bare page server, a second process (recvfrom, reply the
 * page number and a 4 KiB page; loopback; no MAC, no directories, no
 * retransmission unless a request is 200 ms old), and installs the reply
 * with UFFDIO_COPY.  It keeps the WINDOW (256: gmsd --mem 1M) pages it
 * installed last and punches the oldest out of the memfd as each new one
 * comes in, so faults keep coming.  Nothing else: no eviction to another
 * node, no write-protection, no directory, no MAC.
 *
 * Pipelined, as gmsd is: the handler is event driven (poll on the uffd
 * and the socket); it sends the request of every fault it reads at once
 * and installs replies as they arrive, so with several faulting threads
 * several requests are in flight while the handler reads the next fault.
 * gmsd's pager does the same (a fault becomes a pending fetch and its
 * event loop goes on), so a floor that served one fault at a time would
 * be a floor gmsd could beat, not one it must stay above.  -1 makes the
 * handler serve one fault at a time (it waits for each reply before
 * reading the next fault).  Measured side by side (1 s runs, 5 of each,
 * medians; 2 vCPUs, load about 2), faults/s pipelined / one at a time:
 *   4 threads, all on CPU 0          124900 / 110500
 *   4 threads, server on CPU 1       157500 /  93900
 *   2 threads, all on CPU 0           99200 / 110400
 *   2 threads, server on CPU 1       112200 /  89000
 * so one at a time is sometimes the faster on one CPU (it needs fewer
 * wake-ups per fault), and experiments/bench/tput runs both and takes the
 * better of the two as the floor.
 *
 * Placement: this process (program threads and handler) on CPU (0), the
 * server on SERVER_CPU (0: same-cpu; 1: split).
 *
 * Prints one line:
 *   floor_remote threads T faults F seconds S faults_per_s R median_us M
 *   p99_us P installs I inflight_max K retransmits X pipelined 0|1
 *   cpu_ms C server_cpu_ms D
 * (C: this process's CPU time, user and system, over the timed phase;
 * D: the server's, over its life, which is about the same span)
 * Bounded: SECONDS at most 120, an alarm kills the process 60 s after its
 * end; the server exits when this process does (PR_SET_PDEATHSIG) or
 * after 30 s without a request.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/uffd.h"

#define FR_MAX_THREADS	64
#define FR_MAX_SECONDS	120
#define FR_ALARM_EXTRA	60	/* s past SECONDS: the process is killed */
#define FR_SAMPLES	200000	/* fault latencies kept per thread */
#define FR_RESEND_MS	200	/* a request this old is sent again */
#define FR_POLL_MS	20	/* handler's poll timeout */
#define FR_MSG_BATCH	32	/* uffd messages read at once */
#define FR_SERVER_IDLE_MS 30000	/* server: exit after this long idle */
#define FR_REQ_LEN	8	/* request: page number, network order */

struct fr_inflight {
	uint64_t	pg;
	double		sent;	/* s */
};

static size_t		 fr_ps;
static uint64_t		 fr_pages;
static uint64_t		 fr_window = 256;
static unsigned		 fr_threads;
static int		 fr_serial;
static int		 fr_memfd, fr_uffd, fr_sock;
static volatile uint8_t	*fr_base;
static double		 fr_end;
static atomic_int	 fr_stop;
static atomic_ulong	 fr_faults, fr_reads, fr_bad;
static double		*fr_lat;	/* all threads' samples, us */
static atomic_ulong	 fr_nlat;
/* handler state */
static struct fr_inflight fr_fl[FR_MAX_THREADS * 4];
static unsigned		 fr_nfl, fr_flmax;
static uint64_t		*fr_ring;	/* installed pages, oldest first */
static uint64_t		 fr_rhead, fr_rcount;
static unsigned long	 fr_installs, fr_resends;
static uint8_t		*fr_pagebuf;

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "floor_remote: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
pin(int cpu)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) == -1)
		die("sched_setaffinity");
}

/* CPU time, user and system, of who (RUSAGE_SELF, _CHILDREN), in ms. */
static double
cpu_ms(int who)
{
	struct rusage	ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The page server: answer each request with the page number and a page. */
static void
fr_server(int fd, int cpu)
{
	uint8_t			*buf = calloc(1, FR_REQ_LEN + fr_ps);
	struct sockaddr_in	 from;
	socklen_t		 len;
	struct pollfd		 pfd;
	uint64_t		 pg;
	ssize_t			 n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin(cpu);
	if (buf == NULL)
		_exit(1);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, FR_SERVER_IDLE_MS) <= 0)
			_exit(0);
		len = sizeof from;
		n = recvfrom(fd, buf, FR_REQ_LEN, 0,
		    (struct sockaddr *)&from, &len);
		if (n != FR_REQ_LEN)
			continue;
		memcpy(&pg, buf, sizeof pg);
		pg = be64toh(pg);
		if (pg == UINT64_MAX)
			_exit(0);
		/* the page: its first byte is what the program checks */
		memset(buf + FR_REQ_LEN, (int)(pg & 0xff), fr_ps);
		buf[FR_REQ_LEN] = (uint8_t)(pg | 1);
		(void)sendto(fd, buf, FR_REQ_LEN + fr_ps, 0,
		    (struct sockaddr *)&from, len);
	}
}

/* Start the server on CPU cpu; connect fr_sock to it.  Returns its pid. */
static pid_t
fr_server_start(int cpu)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	pid_t			pid;
	int			fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("server socket");
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0)
		fr_server(fd, cpu);
	close(fd);
	if ((fr_sock = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(fr_sock, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    fcntl(fr_sock, F_SETFL, O_NONBLOCK) == -1)
		die("client socket");
	return pid;
}

/* The region: a memfd mapped shared, MISSING faults to fr_uffd. */
static void
fr_region(void)
{
	struct uffdio_api	 api;
	struct uffdio_register	 reg;
	void			*p;

	if ((fr_memfd = memfd_create("floor_remote", MFD_CLOEXEC)) == -1 ||
	    ftruncate(fr_memfd, (off_t)(fr_pages * fr_ps)) == -1)
		die("memfd");
	p = mmap(NULL, fr_pages * fr_ps, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fr_memfd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	fr_base = p;
	fr_uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fr_uffd == -1)
		die("userfaultfd");
	memset(&api, 0, sizeof api);
	api.api = UFFD_API;
	api.features = UFFD_FEATURE_MISSING_SHMEM;
	if (ioctl(fr_uffd, UFFDIO_API, &api) == -1)
		die("UFFDIO_API");
	memset(&reg, 0, sizeof reg);
	reg.range.start = (uintptr_t)p;
	reg.range.len = fr_pages * fr_ps;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(fr_uffd, UFFDIO_REGISTER, &reg) == -1)
		die("UFFDIO_REGISTER");
}

static void
fr_send(uint64_t pg)
{
	uint64_t	be = htobe64(pg);

	if (send(fr_sock, &be, sizeof be, 0) != sizeof be &&
	    errno != EAGAIN && errno != ENOBUFS)
		die("send");
}

/* A fault on page pg: ask for it unless it is asked for already. */
static void
fr_request(uint64_t pg)
{
	unsigned	i;

	for (i = 0; i < fr_nfl; i++)
		if (fr_fl[i].pg == pg)
			return;
	if (fr_nfl == sizeof fr_fl / sizeof fr_fl[0]) {
		/* cannot be: a thread waits on one fault at a time */
		fprintf(stderr, "floor_remote: more faults in flight than "
		    "threads\n");
		exit(1);
	}
	fr_fl[fr_nfl].pg = pg;
	fr_fl[fr_nfl].sent = now_s();
	fr_nfl++;
	if (fr_nfl > fr_flmax)
		fr_flmax = fr_nfl;
	fr_send(pg);
}

/* Install page pg from data; punch out the oldest page past the window. */
static void
fr_install(uint64_t pg, const uint8_t *data)
{
	struct uffdio_copy	c;
	uint64_t		old;

	memset(&c, 0, sizeof c);
	c.dst = (uintptr_t)(fr_base + pg * fr_ps);
	c.src = (uintptr_t)data;
	c.len = fr_ps;
	if (ioctl(fr_uffd, UFFDIO_COPY, &c) == -1) {
		if (errno != EEXIST)
			die("UFFDIO_COPY");
		return;		/* there already: the copy woke no one */
	}
	fr_installs++;
	fr_ring[(fr_rhead + fr_rcount) % (fr_window + 1)] = pg;
	if (++fr_rcount <= fr_window)
		return;
	old = fr_ring[fr_rhead];
	fr_rhead = (fr_rhead + 1) % (fr_window + 1);
	fr_rcount--;
	if (fallocate(fr_memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)(old * fr_ps), (off_t)fr_ps) == -1)
		die("fallocate punch");
}

/* Read the replies that are there (wait for one if wait); install each. */
static void
fr_replies(int wait)
{
	struct pollfd	pfd = { .fd = fr_sock, .events = POLLIN };
	uint64_t	pg;
	unsigned	i;
	ssize_t		n;

	for (;;) {
		n = recv(fr_sock, fr_pagebuf, FR_REQ_LEN + fr_ps, 0);
		if (n == -1 && errno == EAGAIN) {
			if (!wait || fr_nfl == 0)
				return;
			if (poll(&pfd, 1, FR_RESEND_MS) == 0)
				fr_send(fr_fl[0].pg), fr_resends++;
			continue;
		}
		if (n == -1)
			die("recv");
		if ((size_t)n != FR_REQ_LEN + fr_ps)
			continue;
		memcpy(&pg, fr_pagebuf, sizeof pg);
		pg = be64toh(pg);
		for (i = 0; i < fr_nfl && fr_fl[i].pg != pg; i++)
			;
		if (i == fr_nfl)
			continue;	/* a duplicate reply */
		fr_fl[i] = fr_fl[--fr_nfl];
		fr_install(pg, fr_pagebuf + FR_REQ_LEN);
		if (wait)
			return;
	}
}

static void
fr_resend_old(void)
{
	double		t = now_s();
	unsigned	i;

	for (i = 0; i < fr_nfl; i++)
		if (t - fr_fl[i].sent > FR_RESEND_MS / 1e3) {
			fr_fl[i].sent = t;
			fr_send(fr_fl[i].pg);
			fr_resends++;
		}
}

/* Read the faults that are there; request each (serially: and wait). */
static void
fr_faults_in(void)
{
	struct uffd_msg	m[FR_MSG_BATCH];
	ssize_t		n;
	size_t		i;

	for (;;) {
		n = read(fr_uffd, m, sizeof m);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			die("read uffd");
		for (i = 0; i < (size_t)n / sizeof m[0]; i++) {
			if (m[i].event != UFFD_EVENT_PAGEFAULT)
				continue;
			fr_request((m[i].arg.pagefault.address -
			    (uintptr_t)fr_base) / fr_ps);
			if (fr_serial)
				fr_replies(1);
		}
	}
}

static void *
fr_handler(void *arg)
{
	struct pollfd	pfd[2];
	double		last = now_s();

	(void)arg;
	while (!atomic_load(&fr_stop)) {
		pfd[0].fd = fr_uffd;
		pfd[0].events = POLLIN;
		pfd[1].fd = fr_sock;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, FR_POLL_MS) == -1 && errno != EINTR)
			die("poll");
		if (pfd[1].revents & POLLIN)
			fr_replies(0);
		if (pfd[0].revents & POLLIN)
			fr_faults_in();
		if (now_s() - last > FR_POLL_MS / 1e3) {
			fr_resend_old();
			last = now_s();
		}
	}
	return NULL;
}

static void *
fr_program(void *arg)
{
	unsigned	t = (unsigned)(uintptr_t)arg;
	uint64_t	x = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1, pg;
	unsigned long	reads = 0, faults = 0, bad = 0, k;
	unsigned char	vec;
	double		t0, d;

	while (now_s() < fr_end) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* thread t reads the pages p with p % threads == t */
		pg = (x % (fr_pages / fr_threads)) * fr_threads + t;
		reads++;
		if (mincore((void *)(fr_base + pg * fr_ps), fr_ps, &vec) == 0 &&
		    (vec & 1)) {
			if (fr_base[pg * fr_ps] != (uint8_t)(pg | 1))
				bad++;
			continue;
		}
		t0 = now_s();
		if (fr_base[pg * fr_ps] != (uint8_t)(pg | 1))
			bad++;
		d = (now_s() - t0) * 1e6;
		faults++;
		k = atomic_fetch_add(&fr_nlat, 1);
		if (k < FR_SAMPLES)
			fr_lat[k] = d;
	}
	atomic_fetch_add(&fr_reads, reads);
	atomic_fetch_add(&fr_faults, faults);
	atomic_fetch_add(&fr_bad, bad);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: floor_remote [-1] [-c CPU] [-s SERVER_CPU] "
	    "[-p PAGES] [-w WINDOW] THREADS SECONDS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	pthread_t	 tid[FR_MAX_THREADS], hid;
	unsigned	 seconds, i;
	int		 c, cpu = 0, scpu = 0, status;
	uint64_t	 end = htobe64(UINT64_MAX);
	unsigned long	 n;
	double		 t0, c0;
	pid_t		 spid;

	fr_pages = 4096;
	while ((c = getopt(argc, argv, "1c:s:p:w:")) != -1) {
		switch (c) {
		case '1': fr_serial = 1; break;
		case 'c': cpu = atoi(optarg); break;
		case 's': scpu = atoi(optarg); break;
		case 'p': fr_pages = strtoull(optarg, NULL, 10); break;
		case 'w': fr_window = strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	fr_threads = (unsigned)atoi(argv[optind]);
	seconds = (unsigned)atoi(argv[optind + 1]);
	if (fr_threads < 1 || fr_threads > FR_MAX_THREADS || seconds < 1 ||
	    seconds > FR_MAX_SECONDS || fr_window < 1 ||
	    fr_pages < fr_window + 2 * fr_threads || cpu < 0 || scpu < 0) {
		fprintf(stderr, "floor_remote: 1 to %d threads, 1 to %d "
		    "seconds, PAGES above WINDOW + 2 x THREADS\n",
		    FR_MAX_THREADS, FR_MAX_SECONDS);
		return 2;
	}
	fr_ps = (size_t)sysconf(_SC_PAGESIZE);
	fr_ring = calloc(fr_window + 1, sizeof *fr_ring);
	fr_pagebuf = calloc(1, FR_REQ_LEN + fr_ps);
	fr_lat = calloc(FR_SAMPLES, sizeof *fr_lat);
	if (fr_ring == NULL || fr_pagebuf == NULL || fr_lat == NULL)
		die("calloc");
	alarm(seconds + FR_ALARM_EXTRA);
	spid = fr_server_start(scpu);
	pin(cpu);
	fr_region();
	if (pthread_create(&hid, NULL, fr_handler, NULL) != 0)
		die("pthread_create");
	c0 = cpu_ms(RUSAGE_SELF);
	t0 = now_s();
	fr_end = t0 + seconds;
	for (i = 0; i < fr_threads; i++)
		if (pthread_create(&tid[i], NULL, fr_program,
		    (void *)(uintptr_t)i) != 0)
			die("pthread_create");
	for (i = 0; i < fr_threads; i++)
		pthread_join(tid[i], NULL);
	t0 = now_s() - t0;
	c0 = cpu_ms(RUSAGE_SELF) - c0;
	atomic_store(&fr_stop, 1);
	pthread_join(hid, NULL);
	(void)send(fr_sock, &end, sizeof end, 0);
	if (waitpid(spid, &status, 0) == -1)
		die("waitpid");

	n = atomic_load(&fr_nlat);
	if (n > FR_SAMPLES)
		n = FR_SAMPLES;
	if (n == 0) {
		fprintf(stderr, "floor_remote: no faults\n");
		return 1;
	}
	qsort(fr_lat, n, sizeof *fr_lat, cmp_double);
	printf("floor_remote threads %u faults %lu seconds %.2f faults_per_s "
	    "%.0f median_us %.2f p99_us %.2f installs %lu inflight_max %u "
	    "retransmits %lu pipelined %d cpu_ms %.1f server_cpu_ms %.1f\n",
	    fr_threads,
	    (unsigned long)atomic_load(&fr_faults), t0,
	    (double)atomic_load(&fr_faults) / t0, fr_lat[n / 2],
	    fr_lat[(size_t)((double)n * 0.99)], fr_installs, fr_flmax,
	    fr_resends, !fr_serial, c0, cpu_ms(RUSAGE_CHILDREN));
	if (atomic_load(&fr_bad) != 0) {
		fprintf(stderr, "floor_remote: %lu reads saw wrong contents\n",
		    (unsigned long)atomic_load(&fr_bad));
		return 1;
	}
	return 0;
}
