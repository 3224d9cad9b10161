/*
 * gmsctl: talk to the local gmsd over its control socket.
 *
 *   gmsctl [--dir DIR] status [--json]
 *   gmsctl [--dir DIR] put UID [FILE]      (FILE or stdin, up to a page)
 *   gmsctl [--dir DIR] get UID [FILE]      (to FILE or stdout)
 *   gmsctl [--dir DIR] discard UID
 *   gmsctl [--dir DIR] leave
 *   gmsctl [--dir DIR] pages
 *   gmsctl [--dir DIR] wait [--members N] [--timeout S]
 *   gmsctl [--dir DIR] exercise [--pages N] [--space S] [--seed X]
 *                      [--shared] [--keep] [--no-put] [--json] [--lat F]
 *
 * A UID is NODE:SPACE:PGNO (SPACE with a trailing "s" for a shared page);
 * put stores a private page under this node's id whatever NODE says.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "directories/uid.h"
#include "gms/ctlmsg.h"
#include "gms/log.h"
#include "gms/xmalloc.h"

#define GMSCTL_DEFAULT_DIR	"/tmp/gmsd-7070"
#define GMSCTL_TIMEOUT_MS	10000	/* longest wait for one reply */

static int		 ctl_fd = -1;
static uint32_t		 ctl_next_reqid;
static uint8_t		 ctl_buf[CTL_MAXMSG];

static void
usage(void)
{
	fprintf(stderr,
"usage: gmsctl [--dir DIR | --sock PATH] COMMAND ...\n"
"  status [--json]            members, POD version, pages, counters\n"
"  put UID [FILE] [--to NODE] [--age MS]\n"
"                             store a page (from FILE or stdin)\n"
"  get UID [FILE]             fetch a page (to FILE or stdout)\n"
"  discard UID                drop a page from the cluster\n"
"  leave                      hand off this node's pages and leave\n"
"  pages                      this node's PFD, one JSON line per page\n"
"  wait [--members N] [--timeout S]\n"
"                             wait until joined and N members agree\n"
"  exercise [--pages N] [--space S] [--seed X] [--shared] [--keep]\n"
"           [--no-put] [--json] [--lat FILE]\n"
"                             put N pages, get and verify them, discard\n"
"UID is NODE:SPACE:PGNO; DIR defaults to $GMSD_DIR or %s\n",
	    GMSCTL_DEFAULT_DIR);
	exit(2);
}

static void
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		fatalx("socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	ctl_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ctl_fd < 0)
		fatal("socket");
	if (connect(ctl_fd, (struct sockaddr *)&sun, sizeof sun) < 0)
		fatal("cannot reach gmsd at %s (is it running? see --dir)",
		    path);
}

/*
 * One request, one reply.  Returns the reply status; *payload points into
 * a static buffer valid until the next call.
 */
static int
ctl_call(uint8_t op, uint8_t flags, const void *p, size_t len,
    const uint8_t **payload, size_t *plen)
{
	static uint8_t	 out[CTL_MAXMSG];
	struct ctl_hdr	 h;
	struct pollfd	 pfd;
	ssize_t		 n;
	size_t		 olen;

	memset(&h, 0, sizeof h);
	h.op = op;
	h.status = flags;
	h.reqid = ++ctl_next_reqid;
	if ((olen = ctl_pack(out, sizeof out, &h, p, len)) == 0)
		fatalx("request too large");
	if (send(ctl_fd, out, olen, MSG_NOSIGNAL) < 0)
		fatal("send to gmsd");
	for (;;) {
		pfd.fd = ctl_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, GMSCTL_TIMEOUT_MS) == 0)
			fatalx("gmsd did not answer within %d ms",
			    GMSCTL_TIMEOUT_MS);
		n = recv(ctl_fd, ctl_buf, sizeof ctl_buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fatalx("gmsd closed the connection");
		if (ctl_unpack(ctl_buf, (size_t)n, &h, payload) == -1)
			fatalx("malformed reply from gmsd");
		if (h.reqid == ctl_next_reqid)
			break;
	}
	*plen = h.len;
	return h.status;
}

static void
die_reply(const char *what, int st, const uint8_t *p, size_t len)
{
	if (st == CTL_MISS)
		fatalx("%s: miss (the page is in no node's memory)", what);
	fatalx("%s: %.*s", what, (int)len, (const char *)p);
}

/* A number out of the status JSON; -1 if absent. */
static long long
json_num(const char *json, const char *key)
{
	char		 pat[64];
	const char	*s;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	if ((s = strstr(json, pat)) == NULL)
		return -1;
	return strtoll(s + strlen(pat), NULL, 10);
}

static char *
status_json(void)
{
	const uint8_t	*p;
	size_t		 len;
	char		*s;
	int		 st;

	st = ctl_call(CTL_STATUS, CTL_FJSON, NULL, 0, &p, &len);
	if (st != CTL_OK)
		die_reply("status", st, p, len);
	s = xmalloc(len + 1);
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static uint32_t
page_size(void)
{
	char		*s = status_json();
	long long	 ps = json_num(s, "page_size");

	free(s);
	if (ps <= 0)
		fatalx("gmsd did not tell its page size");
	return (uint32_t)ps;
}

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmd_status(int argc, char **argv)
{
	const uint8_t	*p;
	size_t		 len;
	int		 st, json = argc > 1 && strcmp(argv[1], "--json") == 0;

	if (argc > 2 || (argc == 2 && !json))
		usage();
	st = ctl_call(CTL_STATUS, json ? CTL_FJSON : 0, NULL, 0, &p, &len);
	if (st != CTL_OK)
		die_reply("status", st, p, len);
	fwrite(p, 1, len, stdout);
	return 0;
}

static void
get_uid(const char *s, struct uid *uid)
{
	if (uid_parse(s, uid) == -1)
		fatalx("'%s' is not a UID (NODE:SPACE:PGNO, e.g. 0:7:42)", s);
}

static int
cmd_put(int argc, char **argv)
{
	uint32_t	 ps;
	uint8_t		*req;
	const uint8_t	*p;
	size_t		 len, got, hdr;
	FILE		*f = stdin;
	struct uid	 uid;
	struct ctl_put	 popt;
	const char	*file = NULL, *uidarg = NULL;
	int		 st, a;

	memset(&popt, 0, sizeof popt);
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--to") == 0 && a + 1 < argc)
			popt.target = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--age") == 0 && a + 1 < argc)
			popt.age_ms = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (uidarg == NULL)
			uidarg = argv[a];
		else if (file == NULL)
			file = argv[a];
		else
			usage();
	}
	if (uidarg == NULL)
		usage();
	get_uid(uidarg, &uid);
	ps = page_size();
	hdr = sizeof uid + sizeof popt;
	req = xcalloc(1, hdr + ps + 1);
	memcpy(req, &uid, sizeof uid);
	memcpy(req + sizeof uid, &popt, sizeof popt);
	if (file != NULL && (f = fopen(file, "r")) == NULL)
		fatal("cannot open %s", file);
	got = fread(req + hdr, 1, ps + 1, f);
	if (f != stdin)
		fclose(f);
	if (got > ps)
		fatalx("the input is longer than one page (%u bytes)", ps);
	st = ctl_call(CTL_PUT, 0, req, hdr + ps, &p, &len);
	free(req);
	if (st != CTL_OK)
		die_reply("put", st, p, len);
	return 0;
}

static int
cmd_get(int argc, char **argv)
{
	const uint8_t	*p;
	size_t		 len;
	FILE		*f = stdout;
	struct uid	 uid;
	int		 st;

	if (argc < 2 || argc > 3)
		usage();
	get_uid(argv[1], &uid);
	st = ctl_call(CTL_GET, 0, &uid, sizeof uid, &p, &len);
	if (st != CTL_OK)
		die_reply("get", st, p, len);
	if (argc == 3 && (f = fopen(argv[2], "w")) == NULL)
		fatal("cannot create %s", argv[2]);
	if (fwrite(p, 1, len, f) != len)
		fatal("write");
	if (f != stdout)
		fclose(f);
	return 0;
}

/* The PFD, one JSON object per line: uid, kind, dirty, shared, last_ref. */
static int
cmd_pages(int argc, char **argv)
{
	const uint8_t	*p;
	size_t		 len;
	int		 st;

	(void)argv;
	if (argc != 1)
		usage();
	st = ctl_call(CTL_PAGES, 0, NULL, 0, &p, &len);
	if (st != CTL_OK)
		die_reply("pages", st, p, len);
	fwrite(p, 1, len, stdout);
	return 0;
}

static int
cmd_simple(uint8_t op, const char *what, int argc, char **argv)
{
	const uint8_t	*p;
	size_t		 len;
	struct uid	 uid;
	int		 st;

	if (op == CTL_DISCARD) {
		if (argc != 2)
			usage();
		get_uid(argv[1], &uid);
		st = ctl_call(op, 0, &uid, sizeof uid, &p, &len);
	} else {
		if (argc != 1)
			usage();
		st = ctl_call(op, 0, NULL, 0, &p, &len);
	}
	if (st != CTL_OK)
		die_reply(what, st, p, len);
	if (len > 0)
		printf("%.*s\n", (int)len, (const char *)p);
	return 0;
}

static int
cmd_wait(int argc, char **argv)
{
	long long	 members = 1, timeout_s = 10, have, ver;
	double		 t0 = now_us();
	char		*s;
	int		 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--members") == 0 && i + 1 < argc)
			members = atoll(argv[++i]);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout_s = atoll(argv[++i]);
		else
			usage();
	}
	for (;;) {
		s = status_json();
		have = 0;
		for (const char *q = strstr(s, "\"members\":["); q != NULL &&
		    (q = strstr(q + 1, "{\"id\":")) != NULL;)
			have++;
		ver = json_num(s, "pod_version");
		if (strstr(s, "\"state\":\"member\"") != NULL &&
		    have == members) {
			printf("joined: %lld members, POD version %lld\n",
			    have, ver);
			free(s);
			return 0;
		}
		free(s);
		if (now_us() - t0 > (double)timeout_s * 1e6)
			fatalx("after %lld s: %lld members, not %lld",
			    timeout_s, have, members);
		usleep(20000);
	}
}

/* The bytes of page (space, pgno) under seed: verifiable anywhere. */
static void
fill_page(uint8_t *p, uint32_t ps, uint32_t space, uint64_t pgno,
    uint64_t seed)
{
	uint64_t	x = seed ^ ((uint64_t)space << 40) ^ pgno, z;
	uint32_t	i;

	for (i = 0; i < ps; i += 8) {
		x += 0x9e3779b97f4a7c15ULL;
		z = x;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(p + i, &z, 8);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct op_stats {
	const char	*name;
	double		*lat;
	size_t		 n, ok, miss, err;
};

static double
pct(struct op_stats *s, double q)
{
	size_t	i;

	if (s->n == 0)
		return 0;
	i = (size_t)(q * (double)(s->n - 1) + 0.5);
	return s->lat[i];
}

static void
report(struct op_stats *ops, int nops, int json, size_t bad)
{
	int	i;

	for (i = 0; i < nops; i++)
		qsort(ops[i].lat, ops[i].n, sizeof(double), cmp_double);
	if (json) {
		printf("{\"mismatches\":%zu", bad);
		for (i = 0; i < nops; i++)
			printf(",\"%s\":{\"count\":%zu,\"ok\":%zu,\"miss\":%zu,"
			    "\"error\":%zu,\"median_us\":%.1f,\"p90_us\":%.1f,"
			    "\"p99_us\":%.1f}", ops[i].name, ops[i].n,
			    ops[i].ok, ops[i].miss, ops[i].err,
			    pct(&ops[i], .5), pct(&ops[i], .9),
			    pct(&ops[i], .99));
		printf("}\n");
		return;
	}
	printf("%-8s %7s %7s %6s %6s %10s %8s %8s\n", "op", "count", "ok",
	    "miss", "error", "median_us", "p90_us", "p99_us");
	for (i = 0; i < nops; i++)
		printf("%-8s %7zu %7zu %6zu %6zu %10.1f %8.1f %8.1f\n",
		    ops[i].name, ops[i].n, ops[i].ok, ops[i].miss, ops[i].err,
		    pct(&ops[i], .5), pct(&ops[i], .9), pct(&ops[i], .99));
	printf("pages verified with mismatched contents: %zu\n", bad);
}

static void
op_record(struct op_stats *s, double us, int st)
{
	s->lat[s->n++] = us;
	if (st == CTL_OK)
		s->ok++;
	else if (st == CTL_MISS)
		s->miss++;
	else
		s->err++;
}

static int
cmd_exercise(int argc, char **argv)
{
	struct op_stats	 ops[3] = { { "put" }, { "get" }, { "discard" } };
	uint64_t	 pages = 1000, seed = 1, i;
	uint32_t	 space = 1, ps;
	int		 shared = 0, keep = 0, noput = 0, json = 0, st, a;
	uint8_t		*req, *want;
	const uint8_t	*p;
	size_t		 len, bad = 0;
	struct uid	 uid;
	double		 t;
	char		*s;
	const char	*latfile = NULL;
	FILE		*lf;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--pages") == 0 && a + 1 < argc)
			pages = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--space") == 0 && a + 1 < argc)
			space = (uint32_t)strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "--shared") == 0)
			shared = 1;
		else if (strcmp(argv[a], "--keep") == 0)
			keep = 1;
		else if (strcmp(argv[a], "--no-put") == 0)
			noput = 1;
		else if (strcmp(argv[a], "--json") == 0)
			json = 1;
		else if (strcmp(argv[a], "--lat") == 0 && a + 1 < argc)
			latfile = argv[++a];
		else
			usage();
	}
	if (pages == 0 || pages > 10000000)
		fatalx("--pages must be from 1 to 10000000");
	s = status_json();
	ps = (uint32_t)json_num(s, "page_size");
	memset(&uid, 0, sizeof uid);
	uid.node = (uint32_t)json_num(s, "node");
	free(s);
	uid.space = shared ? (space | UID_SHARED) : space;
	if (shared)
		uid.node = 0;
	req = xcalloc(1, sizeof uid + sizeof(struct ctl_put) + ps);
	want = xmalloc(ps);
	for (a = 0; a < 3; a++)
		ops[a].lat = xcalloc(pages, sizeof(double));
	for (i = 0; i < pages && !noput; i++) {
		uid.pgno = i;
		memcpy(req, &uid, sizeof uid);
		fill_page(req + sizeof uid + sizeof(struct ctl_put), ps, space,
		    i, seed);
		t = now_us();
		st = ctl_call(CTL_PUT, 0, req, sizeof uid +
		    sizeof(struct ctl_put) + ps, &p, &len);
		op_record(&ops[0], now_us() - t, st);
	}
	for (i = 0; i < pages; i++) {
		uid.pgno = i;
		t = now_us();
		st = ctl_call(CTL_GET, 0, &uid, sizeof uid, &p, &len);
		op_record(&ops[1], now_us() - t, st);
		if (st != CTL_OK)
			continue;
		fill_page(want, ps, space, i, seed);
		if (len != ps || memcmp(p, want, ps) != 0)
			bad++;
	}
	for (i = 0; i < pages && !keep; i++) {
		uid.pgno = i;
		t = now_us();
		st = ctl_call(CTL_DISCARD, 0, &uid, sizeof uid, &p, &len);
		op_record(&ops[2], now_us() - t, st);
	}
	if (latfile != NULL) {
		if ((lf = fopen(latfile, "w")) == NULL)
			fatal("cannot create %s", latfile);
		fprintf(lf, "# op latency_us\n");
		for (a = 0; a < 3; a++)
			for (i = 0; i < ops[a].n; i++)
				fprintf(lf, "%s %.1f\n", ops[a].name,
				    ops[a].lat[i]);
		fclose(lf);
	}
	report(ops, keep ? 2 : 3, json, bad);
	for (a = 0; a < 3; a++)
		free(ops[a].lat);
	free(req);
	free(want);
	return bad != 0 || ops[1].ok != pages;
}

int
main(int argc, char **argv)
{
	const char	*dir = getenv("GMSD_DIR"), *sock = NULL;
	char		 path[512];
	int		 i = 1;

	log_init("gmsctl", LOG_INFO);
	if (dir == NULL)
		dir = GMSCTL_DEFAULT_DIR;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--sock") == 0 && i + 1 < argc)
			sock = argv[i + 1];
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			usage();
		else {
			log_warnx("unknown option %s", argv[i]);
			usage();
		}
		i += 2;
	}
	if (i >= argc)
		usage();
	if (sock == NULL) {
		snprintf(path, sizeof path, "%s/%s", dir, CTL_SOCKNAME);
		sock = path;
	}
	argc -= i;
	argv += i;
	if (strcmp(argv[0], "status") != 0 && strcmp(argv[0], "put") != 0 &&
	    strcmp(argv[0], "get") != 0 && strcmp(argv[0], "discard") != 0 &&
	    strcmp(argv[0], "leave") != 0 && strcmp(argv[0], "wait") != 0 &&
	    strcmp(argv[0], "exercise") != 0 &&
	    strcmp(argv[0], "pages") != 0) {
		log_warnx("unknown command '%s'", argv[0]);
		usage();
	}
	ctl_connect(sock);
	if (strcmp(argv[0], "status") == 0)
		return cmd_status(argc, argv);
	if (strcmp(argv[0], "put") == 0)
		return cmd_put(argc, argv);
	if (strcmp(argv[0], "get") == 0)
		return cmd_get(argc, argv);
	if (strcmp(argv[0], "discard") == 0)
		return cmd_simple(CTL_DISCARD, "discard", argc, argv);
	if (strcmp(argv[0], "leave") == 0)
		return cmd_simple(CTL_LEAVE, "leave", argc, argv);
	if (strcmp(argv[0], "wait") == 0)
		return cmd_wait(argc, argv);
	if (strcmp(argv[0], "pages") == 0)
		return cmd_pages(argc, argv);
	return cmd_exercise(argc, argv);
}
