/*
 * udp_rtt.c: the floor of a remote page fault's network part: one UDP
 * round trip carrying a page, between two processes, with the same
 * socket calls gmsd makes (a small request out, a page-sized reply back).
 *
 *   udp_rtt server PORT_FILE          echo: answer each request with a page
 *   udp_rtt client PORT N PAGE_SIZE   time N round trips; print median, p99
 * Bounded: the client stops after N round trips or 60 s, the server after
 * 120 s without a request.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RTT_MAX		200000
#define RTT_SECONDS	60
#define SERVER_IDLE_MS	120000

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
server(const char *portfile)
{
	struct sockaddr_in	sin, from;
	socklen_t		len = sizeof sin;
	static char		buf[65536];
	struct pollfd		pfd;
	FILE			*f;
	ssize_t			n;
	int			fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		perror("udp_rtt server");
		return 1;
	}
	if ((f = fopen(portfile, "w")) == NULL) {
		perror(portfile);
		return 1;
	}
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	fclose(f);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, SERVER_IDLE_MS) <= 0)
			return 0;
		len = sizeof from;
		n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from,
		    &len);
		if (n < 8)
			continue;
		/* the request says how large the reply is */
		n = (ssize_t)ntohl(*(uint32_t *)buf);
		if (n == 0)
			return 0;
		if (n > (ssize_t)sizeof buf)
			n = sizeof buf;
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}

static int
client(int port, long count, long page)
{
	struct sockaddr_in	to;
	static char		buf[65536];
	double			*lat, t0, start = now_us();
	long			i, done = 0;
	int			fd;

	if (count < 1 || count > RTT_MAX || page < 1 || page > 32768) {
		fprintf(stderr, "udp_rtt: bad count or page size\n");
		return 2;
	}
	lat = calloc((size_t)count, sizeof *lat);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&to, 0, sizeof to);
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((uint16_t)port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
		perror("udp_rtt client");
		return 1;
	}
	for (i = 0; i < count && now_us() - start < RTT_SECONDS * 1e6; i++) {
		*(uint32_t *)buf = htonl((uint32_t)page + 64);
		t0 = now_us();
		if (send(fd, buf, 48, 0) < 0 || recv(fd, buf, sizeof buf, 0) < 0)
			break;
		lat[done++] = now_us() - t0;
	}
	*(uint32_t *)buf = 0;
	send(fd, buf, 48, 0);	/* ends the server */
	qsort(lat, (size_t)done, sizeof *lat, cmp);
	if (done == 0)
		return 1;
	printf("udp_rtt n %ld median_us %.2f p99_us %.2f\n", done,
	    lat[done / 2], lat[(size_t)((double)done * 0.99)]);
	free(lat);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		return server(argv[2]);
	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return client(atoi(argv[2]), atol(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: udp_rtt server PORT_FILE | "
	    "udp_rtt client PORT N PAGE_SIZE\n");
	return 2;
}
