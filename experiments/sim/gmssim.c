/*
 * gmssim.c: the simulator's command line and report (see sim.h and
 * experiments/sim/README.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gms/link.h"
#include "gms/log.h"
#include "gms/xmalloc.h"

#include "experiments/sim/sim.h"

#define GMSSIM_NODES_DEFAULT	8
#define GMSSIM_MEM_DEFAULT	1024	/* frames a node */
#define GMSSIM_SEED_DEFAULT	1
#define GMSSIM_ZIPF_S		1.0	/* Zipf exponent unless s= says */
#define GMSSIM_ERRLEN		256

/* Disk profiles, the same as gmsd's --disk (gms/store.c). */
struct gmssim_disk {
	const char	*name;
	uint64_t	 seq_us;
	uint64_t	 rand_us;
};

static const struct gmssim_disk gmssim_disks[] = {
	{ "none", 0, 0 },
	{ "1995", 3600, 14300 },
	{ "hdd", 200, 8000 },
	{ "ssd", 40, 100 },
	{ "nvme", 15, 25 },
};

/* What the options asked for, before the simulation exists. */
struct gmssim_opts {
	struct sim_config	 cfg;
	uint32_t		 mem;
	char			**specs;
	size_t			 nspecs;
	const char		*trace;
	int			 json;
	int			 totals;
};

static void	 gmssim_usage(FILE *);
static void	 gmssim_die(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static uint64_t	 gmssim_num(const char *, const char *, uint64_t, uint64_t);
static void	 gmssim_net(struct sim_config *, const char *);
static void	 gmssim_disk(struct sim_config *, const char *);
static void	 gmssim_crash(struct sim_config *, const char *);
static void	 gmssim_drop(struct sim_config *, const char *);
static void	 gmssim_defaults(struct gmssim_opts *);
static void	 gmssim_options(int, char **, struct gmssim_opts *);
static void	 gmssim_spec(struct sim *, const char *);
static void	 gmssim_nodes(struct sim *, const struct gmssim_opts *);
static void	 gmssim_sum(struct sim *, struct sim_stats *);
static const char *gmssim_done(const struct sim_node *, char *, size_t);
static double	 gmssim_pct(uint64_t, uint64_t);
static void	 gmssim_text(struct sim *, const struct gmssim_opts *);
static void	 gmssim_text_summary(struct sim *, const struct sim_stats *);
static void	 gmssim_json_stats(const struct sim_stats *);
static void	 gmssim_json(struct sim *, const struct gmssim_opts *);
static void	 gmssim_json_summary(struct sim *);

static void
gmssim_usage(FILE *f)
{
	fprintf(f,
"usage: gmssim [options]\n"
"  --nodes N            nodes in the cluster, 1..%d (default %d)\n"
"  --mem FRAMES         frames of every node (default %d)\n"
"  --node RANGE:KEY=VAL[,KEY=VAL...]\n"
"                       set nodes I, I-J or all: mem=FRAMES,\n"
"                       work=idle|seq|uniform|zipf, ws=PAGES (working set),\n"
"                       refs=N, s=EXP (Zipf, default 1), write=PCT,\n"
"                       think=US (between references, default 10)\n"
"  --trace FILE         replay a trace: one reference a line,\n"
"                       \"time_us node pgno [r|w]\" ('#' comments); time_us is\n"
"                       the reference's time with no faults, non-decreasing\n"
"                       per node; the gaps are kept and faults add to them\n"
"  --policy P           gms (default), nchance, local or ideal\n"
"  --seed N             seed of every random draw (default %d)\n"
"  --net NAME|LAT_US,MBPS   none, atm (default: 505 us + 155 Mb/s), 1gbe,\n"
"                       10gbe; a message costs latency + size / bandwidth\n"
"  --disk NAME|SEQ_US,RAND_US   none, 1995 (default: 3600/14300), hdd, ssd,\n"
"                       nvme\n"
"  --page-size BYTES    (default %d)\n"
"  --crash NODE@MS      the node's memory vanishes at MS (repeatable)\n"
"  --drop PROB[@FROM-TO]  lose each message with probability PROB (in the\n"
"                       window FROM-TO ms); a getpage times out after\n"
"                       --timeout-ms (default %d) and reads the disk\n"
"  --min-idle-ms MS     pages younger are not idle memory (gms; default\n"
"                       1000, as gmsd)\n"
"  --m-cap-pct PCT      a plan's M is at most PCT %% of the cluster's frames\n"
"                       (gms; default %d: the core as gmsd drives it)\n"
"  --window-ms MS       overlap windows of non-gms policies (default %d)\n"
"  --until-ms MS        stop then (default: when every workload is done)\n"
"  --json               the report as JSON\n"
"  --totals             no per-node rows\n",
	    SIM_NODES_MAX, GMSSIM_NODES_DEFAULT, GMSSIM_MEM_DEFAULT,
	    GMSSIM_SEED_DEFAULT, SIM_PAGE_SIZE, SIM_TIMEOUT_MS, SIM_M_CAP_PCT,
	    EPOCH_T_DEFAULT_MS);
}

static void
gmssim_die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "gmssim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static uint64_t
gmssim_num(const char *what, const char *s, uint64_t lo, uint64_t hi)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	if (*s < '0' || *s > '9')
		gmssim_die("%s %s: not a number", what, s);
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		gmssim_die("%s %s: a number from %llu to %llu", what, s,
		    (unsigned long long)lo, (unsigned long long)hi);
	return v;
}

/* Link profiles: the table gmsd's --link uses (gms/link.h). */
static void
gmssim_net(struct sim_config *cfg, const char *s)
{
	static struct link_model	 custom;
	const struct link_model		*l;

	if ((l = link_model_parse(s, &custom)) == NULL)
		gmssim_die("--net %s: one of none, atm (atm155), 1gbe, 10gbe, "
		    "or LAT_US,MBPS with a latency to %u us and a bandwidth "
		    "from 1 to %u Mb/s", s, LINK_LAT_US_MAX, LINK_MBIT_MAX);
	cfg->net_name = l->name;
	cfg->net_lat_ns = l->lat_us * SIM_NS_PER_US;
	cfg->net_mbps = l->mbit;
}

static void
gmssim_disk(struct sim_config *cfg, const char *s)
{
	char	buf[64], *c;
	size_t	i;

	for (i = 0; i < sizeof gmssim_disks / sizeof gmssim_disks[0]; i++) {
		if (strcmp(s, gmssim_disks[i].name) == 0) {
			cfg->disk_name = gmssim_disks[i].name;
			cfg->disk_seq_ns = gmssim_disks[i].seq_us *
			    SIM_NS_PER_US;
			cfg->disk_rand_ns = gmssim_disks[i].rand_us *
			    SIM_NS_PER_US;
			return;
		}
	}
	snprintf(buf, sizeof buf, "%s", s);
	if ((c = strchr(buf, ',')) == NULL)
		gmssim_die("--disk %s: one of none, 1995, hdd, ssd, nvme, or "
		    "SEQ_US,RAND_US", s);
	*c++ = '\0';
	cfg->disk_name = "custom";
	cfg->disk_seq_ns = gmssim_num("--disk sequential", buf, 0, 10000000) *
	    SIM_NS_PER_US;
	cfg->disk_rand_ns = gmssim_num("--disk random", c, 0, 10000000) *
	    SIM_NS_PER_US;
}

static void
gmssim_crash(struct sim_config *cfg, const char *s)
{
	char	buf[64], *c;

	snprintf(buf, sizeof buf, "%s", s);
	if ((c = strchr(buf, '@')) == NULL)
		gmssim_die("--crash %s: NODE@MS, e.g. 3@2000", s);
	*c++ = '\0';
	cfg->crash = xreallocarray(cfg->crash, cfg->ncrash + 1,
	    sizeof *cfg->crash);
	cfg->crash[cfg->ncrash].node = (uint32_t)gmssim_num("--crash node",
	    buf, 1, SIM_NODES_MAX);
	cfg->crash[cfg->ncrash].at_ms = gmssim_num("--crash time", c, 0,
	    UINT64_MAX / SIM_NS_PER_MS);
	cfg->ncrash++;
}

static void
gmssim_drop(struct sim_config *cfg, const char *s)
{
	char	 buf[64], *at, *dash, *end;
	double	 p;

	snprintf(buf, sizeof buf, "%s", s);
	if ((at = strchr(buf, '@')) != NULL)
		*at++ = '\0';
	errno = 0;
	p = strtod(buf, &end);
	if (errno != 0 || end == buf || *end != '\0' || !(p >= 0 && p <= 1))
		gmssim_die("--drop %s: a probability from 0 to 1, e.g. 0.01 "
		    "or 0.01@1000-2000", s);
	cfg->drop_ppm = (uint32_t)(p * 1000000 + 0.5);
	cfg->drop_from_ms = 0;
	cfg->drop_to_ms = UINT64_MAX;
	if (at == NULL)
		return;
	if ((dash = strchr(at, '-')) == NULL)
		gmssim_die("--drop %s: the window is FROM-TO in ms", s);
	*dash++ = '\0';
	cfg->drop_from_ms = gmssim_num("--drop from", at, 0, UINT64_MAX / 2);
	cfg->drop_to_ms = gmssim_num("--drop to", dash, 0, UINT64_MAX / 2);
	if (cfg->drop_to_ms <= cfg->drop_from_ms)
		gmssim_die("--drop %s: the window ends before it starts", s);
}

static void
gmssim_defaults(struct gmssim_opts *o)
{
	struct sim_config	*cfg = &o->cfg;

	memset(o, 0, sizeof *o);
	cfg->policy = SIM_GMS;
	cfg->seed = GMSSIM_SEED_DEFAULT;
	cfg->nnodes = GMSSIM_NODES_DEFAULT;
	cfg->page_size = SIM_PAGE_SIZE;
	cfg->timeout_ms = SIM_TIMEOUT_MS;
	cfg->window_ms = EPOCH_T_DEFAULT_MS;
	cfg->m_cap_pct = SIM_M_CAP_PCT;
	cfg->min_idle_ms = SIM_MIN_IDLE_MS;
	o->mem = GMSSIM_MEM_DEFAULT;
	gmssim_net(cfg, "atm");
	gmssim_disk(cfg, "1995");
}

static void
gmssim_options(int argc, char **argv, struct gmssim_opts *o)
{
	static const struct option	 longopts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "mem", required_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'N' },
		{ "trace", required_argument, NULL, 'T' },
		{ "policy", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "net", required_argument, NULL, 'L' },
		{ "disk", required_argument, NULL, 'D' },
		{ "page-size", required_argument, NULL, 'P' },
		{ "crash", required_argument, NULL, 'C' },
		{ "drop", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 'o' },
		{ "min-idle-ms", required_argument, NULL, 'i' },
		{ "m-cap-pct", required_argument, NULL, 'M' },
		{ "window-ms", required_argument, NULL, 'w' },
		{ "until-ms", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "totals", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sim_config	*cfg = &o->cfg;
	int			 ch;

	gmssim_defaults(o);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			cfg->nnodes = (uint32_t)gmssim_num("--nodes", optarg,
			    1, SIM_NODES_MAX);
			break;
		case 'm':
			o->mem = (uint32_t)gmssim_num("--mem", optarg, 1,
			    1u << 30);
			break;
		case 'N':
			o->specs = xreallocarray(o->specs, o->nspecs + 1,
			    sizeof *o->specs);
			o->specs[o->nspecs++] = optarg;
			break;
		case 'T':
			o->trace = optarg;
			break;
		case 'p':
			if (simpol_parse(optarg, &cfg->policy) == -1)
				gmssim_die("--policy %s: one of gms, nchance, "
				    "local, ideal", optarg);
			break;
		case 's':
			cfg->seed = gmssim_num("--seed", optarg, 0,
			    UINT64_MAX);
			break;
		case 'L':
			gmssim_net(cfg, optarg);
			break;
		case 'D':
			gmssim_disk(cfg, optarg);
			break;
		case 'P':
			cfg->page_size = (uint32_t)gmssim_num("--page-size",
			    optarg, 512, 1u << 24);
			break;
		case 'C':
			gmssim_crash(cfg, optarg);
			break;
		case 'd':
			gmssim_drop(cfg, optarg);
			break;
		case 'o':
			cfg->timeout_ms = gmssim_num("--timeout-ms", optarg, 1,
			    3600000);
			break;
		case 'i':
			cfg->min_idle_ms = gmssim_num("--min-idle-ms", optarg,
			    0, 1ULL << 32);
			break;
		case 'M':
			cfg->m_cap_pct = gmssim_num("--m-cap-pct", optarg, 1,
			    100);
			break;
		case 'w':
			cfg->window_ms = gmssim_num("--window-ms", optarg, 1,
			    1ULL << 32);
			break;
		case 'u':
			cfg->until_ms = gmssim_num("--until-ms", optarg, 1,
			    UINT64_MAX / SIM_NS_PER_MS);
			break;
		case 'j':
			o->json = 1;
			break;
		case 't':
			o->totals = 1;
			break;
		case 'h':
			gmssim_usage(stdout);
			exit(0);
		default:
			gmssim_usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gmssim: unexpected argument '%s'\n",
		    argv[optind]);
		gmssim_usage(stderr);
		exit(2);
	}
}

/* One --node RANGE:KEY=VAL,... applied to its nodes. */
static void
gmssim_spec(struct sim *sim, const char *spec)
{
	char		 buf[512], err[GMSSIM_ERRLEN], *kv, *val, *save = NULL;
	char		*colon, *dash;
	uint64_t	 lo, hi, i;
	uint32_t	 n = sim->cfg.nnodes;

	snprintf(buf, sizeof buf, "%s", spec);
	if ((colon = strchr(buf, ':')) == NULL)
		gmssim_die("--node %s: RANGE:KEY=VAL,... e.g. "
		    "1-5:work=zipf,ws=8000,refs=100000", spec);
	*colon++ = '\0';
	if (strcmp(buf, "all") == 0) {
		lo = 1;
		hi = n;
	} else if ((dash = strchr(buf, '-')) != NULL) {
		*dash++ = '\0';
		lo = gmssim_num("--node range", buf, 1, n);
		hi = gmssim_num("--node range", dash, lo, n);
	} else
		lo = hi = gmssim_num("--node (node ids are 1..--nodes)", buf,
		    1, n);
	for (kv = strtok_r(colon, ",", &save); kv != NULL;
	    kv = strtok_r(NULL, ",", &save)) {
		if ((val = strchr(kv, '=')) == NULL)
			gmssim_die("--node %s: '%s' is not KEY=VAL", spec, kv);
		*val++ = '\0';
		for (i = lo; i <= hi; i++) {
			if (strcmp(kv, "mem") == 0)
				sim_node(sim, (uint32_t)i)->nframes =
				    (uint32_t)gmssim_num("--node mem", val, 1,
				    1u << 30);
			else if (simwork_parse(&sim_node(sim,
			    (uint32_t)i)->work, kv, val, err,
			    sizeof err) == -1)
				gmssim_die("--node %s: %s", spec, err);
		}
	}
}

static void
gmssim_nodes(struct sim *sim, const struct gmssim_opts *o)
{
	char		 err[GMSSIM_ERRLEN];
	struct sim_node	*n;
	uint32_t	 i;
	size_t		 k;

	for (i = 1; i <= sim->cfg.nnodes; i++) {
		sim_node(sim, i)->nframes = o->mem;
		sim_node(sim, i)->work.s = GMSSIM_ZIPF_S;
		sim_node(sim, i)->work.think_ns = SIM_THINK_UNSET;
	}
	for (k = 0; k < o->nspecs; k++)
		gmssim_spec(sim, o->specs[k]);
	if (o->trace != NULL &&
	    simwork_trace_load(sim, o->trace, err, sizeof err) == -1)
		gmssim_die("--trace %s", err);
	for (i = 1; i <= sim->cfg.nnodes; i++) {
		n = sim_node(sim, i);
		if (simwork_check(&n->work, err, sizeof err) == -1)
			gmssim_die("node %u: %s", i, err);
	}
	for (k = 0; k < sim->cfg.ncrash; k++) {
		if (sim->cfg.crash[k].node > sim->cfg.nnodes)
			gmssim_die("--crash %u@%llu: there are %u nodes",
			    sim->cfg.crash[k].node,
			    (unsigned long long)sim->cfg.crash[k].at_ms,
			    sim->cfg.nnodes);
	}
}

static void
gmssim_sum(struct sim *sim, struct sim_stats *t)
{
	const struct sim_stats	*s;
	uint32_t		 i;
	int			 c;

	memset(t, 0, sizeof *t);
	for (i = 1; i <= sim->cfg.nnodes; i++) {
		s = &sim_node(sim, i)->st;
		t->refs += s->refs;
		t->hits += s->hits;
		t->cluster_hits += s->cluster_hits;
		t->disk_reads += s->disk_reads;
		t->disk_writes += s->disk_writes;
		t->msgs += s->msgs;
		t->bytes += s->bytes;
		t->timeouts += s->timeouts;
		t->puts_sent += s->puts_sent;
		t->puts_recv += s->puts_recv;
		t->discards += s->discards;
		for (c = 0; c < 4; c++)
			t->cases[c] += s->cases[c];
	}
}

static double
gmssim_pct(uint64_t a, uint64_t b)
{
	return b == 0 ? 0.0 : (double)a * 100.0 / (double)b;
}

/* The time a node's workload took, for the report. */
static const char *
gmssim_done(const struct sim_node *n, char *buf, size_t len)
{
	if (n->work.kind == SIM_W_IDLE && !n->crashed)
		snprintf(buf, len, "-");
	else if (n->crashed)
		snprintf(buf, len, "crash@%.3f",
		    (double)n->crash_at / SIM_NS_PER_MS);
	else if (!n->done)
		snprintf(buf, len, "unfinished");
	else
		snprintf(buf, len, "%.3f", (double)n->done_at / SIM_NS_PER_MS);
	return buf;
}

static void
gmssim_text(struct sim *sim, const struct gmssim_opts *o)
{
	const struct sim_config	*c = &sim->cfg;
	struct sim_stats	 t;
	struct sim_node		*n;
	char			 w[64], d[32];
	uint32_t		 i;

	printf("gmssim: policy %s, %u nodes, seed %llu, net %s (%llu us + "
	    "%llu Mb/s), disk %s (%llu/%llu us), page %u B\n",
	    simpol_name(c->policy), c->nnodes, (unsigned long long)c->seed,
	    c->net_name, (unsigned long long)(c->net_lat_ns / SIM_NS_PER_US),
	    (unsigned long long)c->net_mbps, c->disk_name,
	    (unsigned long long)(c->disk_seq_ns / SIM_NS_PER_US),
	    (unsigned long long)(c->disk_rand_ns / SIM_NS_PER_US),
	    c->page_size);
	printf("%5s %7s %-18s %9s %9s %8s %8s %8s %8s %11s %8s %12s\n",
	    "node", "mem", "work", "refs", "hits", "cluster", "disk_rd",
	    "disk_wr", "msgs", "bytes", "timeouts", "done_ms");
	for (i = 1; i <= c->nnodes && !o->totals; i++) {
		n = sim_node(sim, i);
		printf("%5u %7u %-18s %9llu %9llu %8llu %8llu %8llu %8llu "
		    "%11llu %8llu %12s\n", i, n->nframes,
		    simwork_name(&n->work, w, sizeof w),
		    (unsigned long long)n->st.refs,
		    (unsigned long long)n->st.hits,
		    (unsigned long long)n->st.cluster_hits,
		    (unsigned long long)n->st.disk_reads,
		    (unsigned long long)n->st.disk_writes,
		    (unsigned long long)n->st.msgs,
		    (unsigned long long)n->st.bytes,
		    (unsigned long long)n->st.timeouts,
		    gmssim_done(n, d, sizeof d));
	}
	gmssim_sum(sim, &t);
	printf("%5s %7s %-18s %9llu %9llu %8llu %8llu %8llu %8llu %11llu "
	    "%8llu %12.3f\n", "total", "", "", (unsigned long long)t.refs,
	    (unsigned long long)t.hits, (unsigned long long)t.cluster_hits,
	    (unsigned long long)t.disk_reads,
	    (unsigned long long)t.disk_writes, (unsigned long long)t.msgs,
	    (unsigned long long)t.bytes, (unsigned long long)t.timeouts,
	    (double)sim->now / SIM_NS_PER_MS);
	gmssim_text_summary(sim, &t);
}

/* The lines under the table: faults, epochs, replacement quality. */
static void
gmssim_text_summary(struct sim *sim, const struct sim_stats *tp)
{
	const struct sim_config	*c = &sim->cfg;
	const struct sim_quality *q = &sim->q;
	const struct sim_epochs	*e = &sim->eps;
	struct sim_stats	 t = *tp;

	printf("faults: case 1 %llu, case 2 %llu, case 3 %llu; putpages %llu; "
	    "pages lost in flight or with a node %llu; stale copies dropped "
	    "%llu\n", (unsigned long long)t.cases[1],
	    (unsigned long long)t.cases[2], (unsigned long long)t.cases[3],
	    (unsigned long long)t.puts_sent,
	    (unsigned long long)sim->lost_pages,
	    (unsigned long long)sim->stale);
	if (c->policy == SIM_GMS) {
		printf("epochs: %llu (ended: received %llu, stale %llu, "
		    "replaced %llu, time %llu); mean T %llu ms, mean M %llu; "
		    "putpage %llu, discard-old %llu, discard-noidle %llu; "
		    "epoch messages %llu (%llu bytes)\n",
		    (unsigned long long)e->run,
		    (unsigned long long)e->why[EPOCH_END_RECEIVED],
		    (unsigned long long)e->why[EPOCH_END_STALE],
		    (unsigned long long)e->why[EPOCH_END_REPLACED],
		    (unsigned long long)e->why[EPOCH_END_TIME],
		    (unsigned long long)(e->run ? e->t_ms_sum / e->run : 0),
		    (unsigned long long)(e->run ? e->m_sum / e->run : 0),
		    (unsigned long long)e->verdicts[EPOCH_PUTPAGE],
		    (unsigned long long)e->verdicts[EPOCH_DISCARD_OLD],
		    (unsigned long long)e->verdicts[EPOCH_DISCARD_NOIDLE],
		    (unsigned long long)e->msgs, (unsigned long long)e->bytes);
	}
	printf("replacement: %llu evictions; mean rank %.2f %% of the pages "
	    "in cluster memory (0 = globally oldest); %.2f %% among the "
	    "oldest 10 %%, %.2f %% among the oldest 1 %%\n",
	    (unsigned long long)q->evictions,
	    q->evictions ? (double)q->rank_ppm_sum / (double)q->evictions /
	    10000.0 : 0.0, gmssim_pct(q->top10, q->evictions),
	    gmssim_pct(q->top1, q->evictions));
	printf("overlap with ideal LRU: %.2f %% of %llu evictions in %llu %s "
	    "(mean per window %.2f %%)\n",
	    gmssim_pct(q->win_matched, q->win_evicted),
	    (unsigned long long)q->win_evicted,
	    (unsigned long long)q->windows,
	    c->policy == SIM_GMS ? "epochs" : "windows",
	    q->windows ? (double)q->win_ratio_ppm / (double)q->windows /
	    10000.0 : 0.0);
}

static void
gmssim_json_stats(const struct sim_stats *s)
{
	printf("\"refs\":%llu,\"hits\":%llu,\"cluster_hits\":%llu,"
	    "\"disk_reads\":%llu,\"disk_writes\":%llu,\"msgs\":%llu,"
	    "\"bytes\":%llu,\"timeouts\":%llu,\"puts_sent\":%llu,"
	    "\"puts_recv\":%llu,\"discards\":%llu",
	    (unsigned long long)s->refs, (unsigned long long)s->hits,
	    (unsigned long long)s->cluster_hits,
	    (unsigned long long)s->disk_reads,
	    (unsigned long long)s->disk_writes, (unsigned long long)s->msgs,
	    (unsigned long long)s->bytes, (unsigned long long)s->timeouts,
	    (unsigned long long)s->puts_sent,
	    (unsigned long long)s->puts_recv,
	    (unsigned long long)s->discards);
}

static void
gmssim_json(struct sim *sim, const struct gmssim_opts *o)
{
	const struct sim_config	*c = &sim->cfg;
	struct sim_node		*n;
	char			 w[64];
	uint32_t		 i;

	printf("{\"policy\":\"%s\",\"nodes\":%u,\"seed\":%llu,"
	    "\"net\":{\"name\":\"%s\",\"latency_us\":%llu,\"mbps\":%llu},"
	    "\"disk\":{\"name\":\"%s\",\"seq_us\":%llu,\"rand_us\":%llu},"
	    "\"page_size\":%u,\n\"per_node\":[", simpol_name(c->policy),
	    c->nnodes, (unsigned long long)c->seed, c->net_name,
	    (unsigned long long)(c->net_lat_ns / SIM_NS_PER_US),
	    (unsigned long long)c->net_mbps, c->disk_name,
	    (unsigned long long)(c->disk_seq_ns / SIM_NS_PER_US),
	    (unsigned long long)(c->disk_rand_ns / SIM_NS_PER_US),
	    c->page_size);
	for (i = 1; i <= c->nnodes && !o->totals; i++) {
		n = sim_node(sim, i);
		printf("%s\n{\"node\":%u,\"mem\":%u,\"work\":\"%s\",",
		    i > 1 ? "," : "", i, n->nframes,
		    simwork_name(&n->work, w, sizeof w));
		gmssim_json_stats(&n->st);
		if (n->done && !n->crashed)
			printf(",\"done_ms\":%.3f",
			    (double)n->done_at / SIM_NS_PER_MS);
		else
			printf(",\"done_ms\":null");
		if (n->crashed)
			printf(",\"crash_ms\":%.3f",
			    (double)n->crash_at / SIM_NS_PER_MS);
		printf(",\"crashed\":%s}", n->crashed ? "true" : "false");
	}
	printf("],\n");
	gmssim_json_summary(sim);
}

/* The totals, the epochs and the replacement quality. */
static void
gmssim_json_summary(struct sim *sim)
{
	const struct sim_quality *q = &sim->q;
	const struct sim_epochs	*e = &sim->eps;
	struct sim_stats	 t;

	gmssim_sum(sim, &t);
	printf("\"total\":{");
	gmssim_json_stats(&t);
	printf(",\"case1\":%llu,\"case2\":%llu,\"case3\":%llu,"
	    "\"lost_pages\":%llu,\"stale\":%llu,\"end_ms\":%.3f,"
	    "\"events\":%llu},\n", (unsigned long long)t.cases[1],
	    (unsigned long long)t.cases[2], (unsigned long long)t.cases[3],
	    (unsigned long long)sim->lost_pages,
	    (unsigned long long)sim->stale, (double)sim->now / SIM_NS_PER_MS,
	    (unsigned long long)sim->events);
	printf("\"epochs\":{\"run\":%llu,\"end_received\":%llu,"
	    "\"end_stale\":%llu,\"end_replaced\":%llu,\"end_time\":%llu,"
	    "\"mean_t_ms\":%llu,\"mean_m\":%llu,\"putpage\":%llu,"
	    "\"discard_old\":%llu,\"discard_noidle\":%llu,\"msgs\":%llu,"
	    "\"bytes\":%llu},\n", (unsigned long long)e->run,
	    (unsigned long long)e->why[EPOCH_END_RECEIVED],
	    (unsigned long long)e->why[EPOCH_END_STALE],
	    (unsigned long long)e->why[EPOCH_END_REPLACED],
	    (unsigned long long)e->why[EPOCH_END_TIME],
	    (unsigned long long)(e->run ? e->t_ms_sum / e->run : 0),
	    (unsigned long long)(e->run ? e->m_sum / e->run : 0),
	    (unsigned long long)e->verdicts[EPOCH_PUTPAGE],
	    (unsigned long long)e->verdicts[EPOCH_DISCARD_OLD],
	    (unsigned long long)e->verdicts[EPOCH_DISCARD_NOIDLE],
	    (unsigned long long)e->msgs, (unsigned long long)e->bytes);
	printf("\"quality\":{\"evictions\":%llu,\"mean_rank_pct\":%.4f,"
	    "\"oldest10_pct\":%.4f,\"oldest1_pct\":%.4f,\"windows\":%llu,"
	    "\"window_evictions\":%llu,\"window_matched\":%llu,"
	    "\"overlap_pct\":%.4f,\"overlap_mean_pct\":%.4f}}\n",
	    (unsigned long long)q->evictions,
	    q->evictions ? (double)q->rank_ppm_sum / (double)q->evictions /
	    10000.0 : 0.0, gmssim_pct(q->top10, q->evictions),
	    gmssim_pct(q->top1, q->evictions),
	    (unsigned long long)q->windows,
	    (unsigned long long)q->win_evicted,
	    (unsigned long long)q->win_matched,
	    gmssim_pct(q->win_matched, q->win_evicted),
	    q->windows ? (double)q->win_ratio_ppm / (double)q->windows /
	    10000.0 : 0.0);
}

int
main(int argc, char **argv)
{
	struct gmssim_opts	 o;
	struct sim		*sim;

	log_init("gmssim", LOG_INFO);
	gmssim_options(argc, argv, &o);
	sim = sim_create(&o.cfg);
	gmssim_nodes(sim, &o);
	sim_run(sim);
	if (o.json)
		gmssim_json(sim, &o);
	else
		gmssim_text(sim, &o);
	sim_free(sim);
	simwork_free();
	free(o.cfg.crash);
	free(o.specs);
	return 0;
}
