/*
 * gmsd: the Global Memory Service daemon, one per node.
 *
 * With no --master it starts a cluster and is its master; with
 * --master HOST:PORT[,HOST:PORT...] it registers with the master, found
 * through any of those addresses (member.c).  It holds up to --mem
 * of pages for the cluster and serves getpage, putpage and discard.
 */
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "gms/cli.h"
#include "gms/ctlmsg.h"
#include "gms/link.h"
#include "gms/log.h"
#include "gms/node.h"
#include "gms/store.h"
#include "gms/trace.h"
#include "agesampler/ages.h"

#define GMSD_DEFAULT_MEM	(64ULL << 20)	/* --mem, bytes */
#define GMSD_DEFAULT_PAGE	4096		/* --page-size, bytes */
#define GMSD_DEFAULT_LISTEN	"127.0.0.1:7070"
#define GMSD_OPT_BACKPRESSURE	1001	/* long option without a letter */

struct gmsd_opts {
	const char	*listen;
	const char	*master;
	const char	*dir;
	const char	*key_file;
	const char	*trace;
	uint64_t	 mem;
	uint32_t	 page_size;
	uint32_t	 cluster;
	uint32_t	 heartbeat_ms;
	int		 policy;
	int		 policy_asked;
	const struct store_model *disk;
	uint32_t	 sample_ms;
	uint32_t	 sample_pct;
	int		 verbosity;
	/* the transport's link model and fault injection */
	const struct link_model *link;
	struct link_model	 link_custom;
	const char	*link_name;
	const char	*inject;
	struct net_inject inj;
	int		 backpressure;
	uint32_t	 putpage_batch;		/* the fault path */
	uint32_t	 prefetch;
	uint32_t	 poll_us;
};

static void
usage(void)
{
	fprintf(stderr,
"usage: gmsd [--listen HOST:PORT] [--master HOST:PORT] [--mem SIZE]\n"
"            [--dir DIR] [--key-file FILE] [--cluster ID]\n"
"            [--page-size BYTES] [--heartbeat MS] [--policy P]\n"
"            [--disk MODEL] [--sample-ms MS] [--sample-share PCT]\n"
"            [--trace FILE] [--link MODEL] [--inject SPEC]\n"
"            [--backpressure] [--putpage-batch N] [--prefetch K]\n"
"            [--poll-us US] [-v] [-q]\n"
"\n"
"  --listen HOST:PORT  UDP address of this node (default %s;\n"
"                      port 0 lets the kernel choose)\n"
"  --master HOST:PORT  join the cluster whose master is there; without\n"
"                      it this node starts a cluster and is its master;\n"
"                      HOST:PORT,HOST:PORT,... tries each (any member\n"
"                      points to the master)\n"
"  --mem SIZE          memory this node holds for the cluster, e.g. 64M\n"
"  --dir DIR           control socket and the backing store's files\n"
"                      (default /tmp/gmsd-PORT)\n"
"  --key-file FILE     the cluster's secret (or set GMS_KEY)\n"
"  --cluster ID        cluster id, a number (default 1)\n"
"  --page-size BYTES   page size: 4096 (default) or 8192 as in the paper;\n"
"                      set on the master, joining nodes must agree\n"
"  --heartbeat MS      heartbeat interval, set on the master (default %d)\n"
"  --policy P          the cluster's replacement policy, set on the master:\n"
"                      gms (epochs, default) or nchance (N-chance);\n"
"                      local on any node: page only to its own\n"
"                      backing store (the disk baseline)\n"
"  --disk MODEL        backing-store model: none (default), 1995, hdd,\n"
"                      ssd, nvme (real I/O held to the model's time)\n"
"  --sample-ms MS      age sampler period (default 1000; 0: off)\n"
"  --sample-share PCT  share of each region sampled per period (25)\n"
"  --trace FILE        record every datagram sent and received in FILE\n"
"                      (pcap; read it with gmstrace, tcpdump or tshark)\n"
"  --link MODEL        hold each datagram sent for a modelled link's\n"
"                      latency and serialisation time, on top of the real\n"
"                      network's: none (default), atm155 (505 us, 155 Mb/s,\n"
"                      the paper's), 1gbe, 10gbe, or LAT_US:MBIT\n"
"  --inject SPEC       testing aid: loss=P,dup=P,reorder=P[,seed=N] drops,\n"
"                      duplicates or reorders datagrams sent, with\n"
"                      probability P each (0.05 or 5%%)\n"
"  --backpressure      refuse putpages that would push out this node's own\n"
"                      busy pages; senders go elsewhere until the next plan\n"
"  --putpage-batch N   keep N frames free (at most 1/16 of them, none\n"
"                      below 256 frames), evicting ahead of faults in\n"
"                      bursts sent in PUTBATCHes of up to 8 pages, and\n"
"                      register received putpages with their GCD node\n"
"                      together (default %d; 0: evict at each fault; 0\n"
"                      and 1: one PUTPAGE and one update per page; at\n"
"                      most %d)\n"
"  --prefetch K        on sequential faults, read the next K pages ahead\n"
"                      from the cluster (bounded as --putpage-batch;\n"
"                      default %d; 0: off; at most %d)\n"
"  --poll-us US        after each wake-up keep polling for US microseconds\n"
"                      before sleeping (default 0: off; burns CPU)\n",
	    GMSD_DEFAULT_LISTEN, NODE_HEARTBEAT_MS, NODE_PUTPAGE_BATCH,
	    NODE_BATCH_MAX, NODE_PREFETCH, NODE_PREFETCH_MAX);
	exit(2);
}

/* --link and --inject: a bad value ends gmsd like any other (exit 1). */
static void
parse_net_opt(struct gmsd_opts *o, int ch, const char *arg)
{
	char	err[256];

	if (ch == 'L') {
		o->link = link_model_parse(arg, &o->link_custom);
		if (o->link == NULL) {
			fatalx("--link %s: one of none, atm155, 1gbe, 10gbe, "
			    "or LAT_US:MBIT (e.g. 505:155, at most %u us and "
			    "%u Mb/s)", arg, LINK_LAT_US_MAX, LINK_MBIT_MAX);
		}
		o->link_name = o->link == &o->link_custom ? arg : o->link->name;
		return;
	}
	if (net_inject_parse(arg, &o->inj, err, sizeof err) == -1)
		fatalx("--inject: %s", err);
	o->inject = arg;
}

static void
parse_opts(int argc, char **argv, struct gmsd_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "master", required_argument, NULL, 'm' },
		{ "mem", required_argument, NULL, 'M' },
		{ "dir", required_argument, NULL, 'd' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "page-size", required_argument, NULL, 'p' },
		{ "heartbeat", required_argument, NULL, 'b' },
		{ "policy", required_argument, NULL, 'P' },
		{ "disk", required_argument, NULL, 'D' },
		{ "sample-ms", required_argument, NULL, 'S' },
		{ "sample-share", required_argument, NULL, 'H' },
		{ "trace", required_argument, NULL, 'T' },
		{ "link", required_argument, NULL, 'L' },
		{ "inject", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "backpressure", no_argument, NULL, GMSD_OPT_BACKPRESSURE },
		{ "help", no_argument, NULL, 'h' },
		{ "putpage-batch", required_argument, NULL, 'B' },
		{ "prefetch", required_argument, NULL, 'F' },
		{ "poll-us", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof *o);
	o->listen = GMSD_DEFAULT_LISTEN;
	o->mem = GMSD_DEFAULT_MEM;
	o->page_size = GMSD_DEFAULT_PAGE;
	o->cluster = 1;
	o->heartbeat_ms = NODE_HEARTBEAT_MS;
	o->sample_ms = AGES_PERIOD_MS_DEFAULT;
	o->sample_pct = AGES_SHARE_DEFAULT;
	o->disk = store_model("none");
	o->verbosity = LOG_INFO;
	o->putpage_batch = NODE_PUTPAGE_BATCH;
	o->prefetch = NODE_PREFETCH;
	while ((ch = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o->listen = optarg;
			break;
		case 'm':
			o->master = optarg;
			break;
		case 'M':
			if (cli_parse_size(optarg, &o->mem) == -1)
				fatalx("--mem %s: not a size (try 64M or 1G)",
				    optarg);
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'c':
			if (cli_parse_u32(optarg, &o->cluster) == -1)
				fatalx("--cluster %s: not a number", optarg);
			break;
		case 'p':
			if (cli_parse_u32(optarg, &o->page_size) == -1 ||
			    o->page_size < PROTO_PAGE_MIN ||
			    o->page_size > PROTO_PAGE_MAX ||
			    (o->page_size & (o->page_size - 1)) != 0)
				fatalx("--page-size %s: must be a power of two "
				    "from %d to %d (4096 or 8192)", optarg,
				    PROTO_PAGE_MIN, PROTO_PAGE_MAX);
			break;
		case 'b':
			if (cli_parse_u32(optarg, &o->heartbeat_ms) == -1 ||
			    o->heartbeat_ms < 10 || o->heartbeat_ms > 60000)
				fatalx("--heartbeat %s: milliseconds from 10 "
				    "to 60000", optarg);
			break;
		case 'D':
			if ((o->disk = store_model(optarg)) == NULL)
				fatalx("--disk %s: one of none, 1995, hdd, ssd, "
				    "nvme", optarg);
			break;
		case 'S':
			if (cli_parse_u32(optarg, &o->sample_ms) == -1 ||
			    (o->sample_ms != 0 && o->sample_ms < 10))
				fatalx("--sample-ms %s: 0 (off) or at least 10 "
				    "milliseconds", optarg);
			break;
		case 'H':
			if (cli_parse_u32(optarg, &o->sample_pct) == -1 ||
			    o->sample_pct < 1 || o->sample_pct > 100)
				fatalx("--sample-share %s: a percentage from 1 "
				    "to 100", optarg);
			break;
		case 'T':
			o->trace = optarg;
			break;
		case 'L':
		case 'I':
			parse_net_opt(o, ch, optarg);
			break;
		case 'B':
			if (cli_parse_u32(optarg, &o->putpage_batch) == -1 ||
			    o->putpage_batch > NODE_BATCH_MAX)
				fatalx("--putpage-batch %s: pages from 0 (off) "
				    "to %d", optarg, NODE_BATCH_MAX);
			break;
		case 'F':
			if (cli_parse_u32(optarg, &o->prefetch) == -1 ||
			    o->prefetch > NODE_PREFETCH_MAX)
				fatalx("--prefetch %s: pages from 0 (off) to %d",
				    optarg, NODE_PREFETCH_MAX);
			break;
		case 'U':
			if (cli_parse_u32(optarg, &o->poll_us) == -1 ||
			    o->poll_us > NODE_POLL_US_MAX)
				fatalx("--poll-us %s: microseconds from 0 (off) "
				    "to %d", optarg, NODE_POLL_US_MAX);
			break;
		case 'P':
			if (strcmp(optarg, "gms") == 0)
				o->policy = POLICY_GMS;
			else if (strcmp(optarg, "local") == 0)
				o->policy = POLICY_LOCAL;
			else if (strcmp(optarg, "nchance") == 0)
				o->policy = POLICY_NCHANCE;
			else
				fatalx("--policy %s: gms (epochs, the default), "
				    "nchance (N-chance forwarding) or local (own "
				    "backing store only)", optarg);
			o->policy_asked = 1;
			break;
		case GMSD_OPT_BACKPRESSURE:
			o->backpressure = 1;
			break;
		case 'v':
			o->verbosity = LOG_DEBUG;
			break;
		case 'q':
			o->verbosity = LOG_QUIET;
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		log_warnx("unexpected argument '%s'", argv[optind]);
		usage();
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct node	*n = arg;

	(void)what;
	log_info("signal %d: exiting", (int)sig);
	event_base_loopexit(n->base, NULL);
}

static void
write_file(const char *dir, const char *name, const char *fmt, unsigned v)
{
	char	 path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		log_warn("cannot write %s", path);
		return;
	}
	fprintf(f, fmt, v);
	fclose(f);
}

/* The node's state, its socket (traced if --trace) and control socket. */
static void
setup_node(struct node *n, const struct gmsd_opts *o, struct trace **tr)
{
	struct net_cfg	cfg;
	char		err[256], a[64];

	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	if (cli_load_key(o->key_file, &n->key) == NULL)
		fatalx("no cluster key: give --key-file FILE or set GMS_KEY "
		    "(the same secret on every node)");
	n->cluster = o->cluster;
	n->page_size = o->page_size;
	n->heartbeat_ms = o->heartbeat_ms;
	n->policy = o->policy;
	n->backpressure = o->backpressure;
	n->policy_asked = o->policy_asked ? o->policy : -1;
	n->disk = o->disk;
	n->sample_ms = o->sample_ms;
	n->sample_pct = o->sample_pct;
	n->putpage_batch = o->putpage_batch;
	n->prefetch = o->prefetch;
	n->poll_us = o->poll_us;
	if (posix_memalign((void **)&n->pagebuf, STORE_ALIGN,
	    o->page_size) != 0 || posix_memalign((void **)&n->fetchbuf,
	    STORE_ALIGN, o->page_size) != 0)
		fatalx("cannot allocate a page buffer");
	if (o->mem / o->page_size == 0 || o->mem / o->page_size > UINT32_MAX)
		fatalx("--mem %llu bytes: must hold from 1 to 2^32 pages of "
		    "%u bytes", (unsigned long long)o->mem, o->page_size);
	n->nframes = (uint32_t)(o->mem / o->page_size);
	if (getrandom(&n->nonce, sizeof n->nonce, 0) != sizeof n->nonce ||
	    getrandom(&n->rand_state, sizeof n->rand_state, 0) !=
	    sizeof n->rand_state)
		fatal("getrandom");
	n->rand_state |= 1;
	n->started_ms = node_now_ms();

	memset(&cfg, 0, sizeof cfg);
	cfg.key = &n->key;
	cfg.cluster = n->cluster;
	cfg.page_size = n->page_size;
	if (net_parse(o->listen, &cfg.bind, err, sizeof err) == -1)
		fatalx("--listen: %s", err);
	if (cfg.bind.sin_addr.s_addr == htonl(INADDR_ANY))
		fatalx("--listen %s: give the address other nodes reach this "
		    "node at, not 0.0.0.0", o->listen);
	if (o->master != NULL &&
	    member_parse_seeds(n, o->master, err, sizeof err) == -1)
		fatalx("--master: %s", err);
	n->is_master = o->master == NULL;

	n->base = event_base_new();
	if (n->base == NULL)
		fatalx("cannot create the event loop");
	/* the fault path: eviction ahead runs when nothing else waits */
	if (event_base_priority_init(n->base, NODE_NPRI) == -1)
		fatalx("cannot set the event loop's priorities");
	n->net = net_open(n->base, &cfg, node_recv, n, err, sizeof err);
	if (n->net == NULL)
		fatalx("%s", err);
	if (o->trace != NULL) {
		if ((*tr = trace_open(n->base, o->trace, err,
		    sizeof err)) == NULL)
			fatalx("%s", err);
		net_set_trace(n->net, trace_datagram, *tr);
	}
	if (o->link != NULL)
		net_set_link(n->net, o->link, o->link_name);
	if (o->inject != NULL) {
		net_set_inject(n->net, &o->inj);
		log_info("fault injection on datagrams sent: %s", o->inject);
	}
	n->self_addr = cfg.bind;
	n->self_addr.sin_port = htons(net_port(n->net));
	if (n->is_master)
		n->master = n->self_addr;

	if (o->dir != NULL)
		snprintf(n->dir, sizeof n->dir, "%s", o->dir);
	else
		snprintf(n->dir, sizeof n->dir, "/tmp/gmsd-%u",
		    net_port(n->net));
	if (mkdir(n->dir, 0700) == -1 && errno != EEXIST)
		fatal("cannot create --dir %s", n->dir);
	if (ctl_listen(n, err, sizeof err) == -1)
		fatalx("%s", err);

	n->frames = mmap(NULL, (size_t)n->nframes * n->page_size,
	    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n->frames == MAP_FAILED)
		fatal("cannot map %u frames of %u bytes", n->nframes,
		    n->page_size);
	n->pod = pod_create();
	n->gcd = gcd_create();
	n->pfd = pfd_create(n->nframes);
	write_file(n->dir, "port", "%u\n", net_port(n->net));
	write_file(n->dir, "pid", "%u\n", (unsigned)getpid());
	log_info("listening on %s, %u frames of %u bytes, control socket "
	    "%s/%s", net_fmt(&n->self_addr, a, sizeof a), n->nframes,
	    n->page_size, n->dir, CTL_SOCKNAME);
}

int
main(int argc, char **argv)
{
	struct gmsd_opts	 o;
	struct node		 n;
	struct event		*sigint, *sigterm;
	struct trace		*tr = NULL;

	log_init("gmsd", LOG_INFO);
	parse_opts(argc, argv, &o);
	log_init("gmsd", o.verbosity);
	signal(SIGPIPE, SIG_IGN);
	memset(&n, 0, sizeof n);
	setup_node(&n, &o, &tr);

	sigint = evsignal_new(n.base, SIGINT, on_signal, &n);
	sigterm = evsignal_new(n.base, SIGTERM, on_signal, &n);
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);
	member_start(&n);
	replace_init(&n);
	sampler_start(&n);
	pager_loop(&n);
	sampler_stop(&n);
	replace_free(&n);

	pager_close(&n);
	ctl_close(&n);
	pages_free_gens(&n, -1);
	free(n.pagebuf);
	free(n.fetchbuf);
	event_free(sigint);
	event_free(sigterm);
	if (n.beat_timer != NULL)
		event_free(n.beat_timer);
	net_close(n.net);
	trace_close(tr);
	pfd_free(n.pfd);
	gcd_free(n.gcd);
	pod_free(n.pod);
	munmap(n.frames, (size_t)n.nframes * n.page_size);
	event_base_free(n.base);
	return 0;
}
