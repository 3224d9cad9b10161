/*
 * gmstrace: analyse GMS traffic recorded by gmsd --trace (or captured by
 * tcpdump or tshark).
 *
 *   gmstrace [--key-file FILE] [--cluster ID] [--page-size BYTES]
 *            [--dedup-ms MS] [--csv DIR] [--plot DIR] [--list]
 *            [--any-version] FILE...
 *
 * It reads every file (one per node, or one capture of all traffic, or
 * both), merges the datagrams by time, and counts a datagram seen in two
 * files (its sender's send and its receiver's receipt, or a capture on the
 * wire) once: sightings with the same addresses and bytes from different
 * files within --dedup-ms are one datagram.  Requests are matched to their
 * replies by request id across nodes, the forwarded getpage included
 * (requester -> GCD node GETPAGE, GCD node -> holder GETPAGE_FWD, holder ->
 * requester PAGE or MISS, all with the requester's id).  A file that is
 * one node's own trace (one endpoint in all its datagrams) tells when that
 * node received a datagram, or that it never did: an operation ends when
 * its reply reached the requester, and a lost datagram is not counted as
 * received.
 *
 * With the cluster key (--key-file or $GMS_KEY) every datagram is checked
 * and decoded with gms/proto.c; without it, or with a wrong one, datagrams
 * are still classified by their header, which travels in clear, and MAC
 * failures are counted as anomalies.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uthash.h>

#include "gms/cli.h"
#include "gms/log.h"
#include "gms/proto.h"
#include "gms/tracefile.h"
#include "gms/xmalloc.h"

#include "gms/gmstrace.h"

const char *gt_opname[OP_N] = {
	"getpage hit direct", "getpage forwarded", "getpage miss", "putpage",
	"discard", "gcd update", "gcd handover", "epoch start+summary",
	"epoch plan", "join", "pod push", "heartbeat", "leave", "leave done",
	"putpage batch"
};
const char *gt_opslug[OP_N] = {
	"getpage_direct", "getpage_forwarded", "getpage_miss", "putpage",
	"discard", "gcd_update", "gcd_handover", "epoch_start", "epoch_plan",
	"join", "pod", "heartbeat", "leave", "leave_done", "putbatch"
};
const char *gt_famname[FAM_N] = {
	"getpage", "putpage", "discard", "gcd", "epoch", "membership"
};
const char *gt_bdname[BD_N] = {
	"network out", "gcd node", "gcd to holder network",
	"target (holder)", "network back", "total"
};
const char *gt_bdslug[BD_N] = {
	"network_out", "gcd_node", "gcd_to_holder_network", "target",
	"network_back", "total"
};
const char *gt_classname[GC_N] = {
	"ok", "unchecked", "bad-mac", "malformed", "cut", "version"
};

/* The datagrams with one hash still open to another file's sighting. */
struct gt_key {
	uint64_t	 hash;
	int		*idx;
	int		 n, cap;
	UT_hash_handle	 hh;
};

static void
usage(void)
{
	fprintf(stderr,
"usage: gmstrace [--key-file FILE] [--cluster ID] [--page-size BYTES]\n"
"                [--dedup-ms MS] [--csv DIR] [--plot DIR] [--list]\n"
"                [--any-version] FILE...\n"
"\n"
"  FILE...             pcap or pcapng files: gmsd --trace files (one per\n"
"                      node) and/or tcpdump/tshark captures of the traffic\n"
"  --key-file FILE     the cluster's secret (or set GMS_KEY): MACs are\n"
"                      checked and bodies decoded; without it, headers only\n"
"  --cluster ID        only this cluster's datagrams (default: any)\n"
"  --page-size BYTES   the cluster's page size (default: from PAGE lengths)\n"
"  --dedup-ms MS       sightings in different files of the same bytes\n"
"                      within MS are one datagram (default %d)\n"
"  --csv DIR           write the tables as CSV files into DIR\n"
"  --plot DIR          write figures (PNG, gnuplot) into DIR\n"
"  --list              also list every datagram, one line each\n"
"  --any-version       count datagrams of other protocol versions too, by\n"
"                      their header (a trace recorded by an older gmsd)\n",
	    GT_DEDUP_MS);
	exit(2);
}

static int
gt_parse_opts(struct gt *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "page-size", required_argument, NULL, 'p' },
		{ "dedup-ms", required_argument, NULL, 'w' },
		{ "csv", required_argument, NULL, 'C' },
		{ "plot", required_argument, NULL, 'P' },
		{ "list", no_argument, NULL, 'l' },
		{ "any-version", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*key_file = NULL;
	uint32_t	 ms = GT_DEDUP_MS, ps;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			key_file = optarg;
			break;
		case 'c':
			if (cli_parse_u32(optarg, &g->cluster) == -1)
				fatalx("--cluster %s: not a number", optarg);
			g->cluster_set = 1;
			break;
		case 'p':
			if (cli_parse_u32(optarg, &ps) == -1 ||
			    ps < PROTO_PAGE_MIN || ps > PROTO_PAGE_MAX ||
			    (ps & (ps - 1)) != 0)
				fatalx("--page-size %s: must be a power of two "
				    "from %d to %d (4096 or 8192)", optarg,
				    PROTO_PAGE_MIN, PROTO_PAGE_MAX);
			g->page_size = ps;
			break;
		case 'w':
			if (cli_parse_u32(optarg, &ms) == -1 || ms > 600000)
				fatalx("--dedup-ms %s: milliseconds from 0 to "
				    "600000", optarg);
			break;
		case 'C':
			g->csv_dir = optarg;
			break;
		case 'P':
			g->plot_dir = optarg;
			break;
		case 'l':
			g->list = 1;
			break;
		case 'a':
			g->any_version = 1;
			break;
		default:
			usage();
		}
	}
	if (optind == argc) {
		log_warnx("no capture file given");
		usage();
	}
	if (argc - optind > GT_MAXFILES)
		fatalx("%d files: gmstrace reads at most %d at once",
		    argc - optind, GT_MAXFILES);
	g->window_ns = (int64_t)ms * 1000000;
	if ((g->key_from = cli_load_key(key_file, &g->key)) != NULL)
		g->have_key = 1;
	return optind;
}

/* ---- reading ---------------------------------------------------------- */

static uint16_t
gt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
gt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
gt_note_u32(uint32_t *set, int *n, int max, uint32_t v)
{
	int	i;

	for (i = 0; i < *n; i++)
		if (set[i] == v)
			return;
	if (*n < max)
		set[(*n)++] = v;
}

/* A datagram's hash: its addresses, ports, length and captured bytes. */
static uint64_t
gt_hash(const struct tf_dgram *d)
{
	static const unsigned char	 k[crypto_shorthash_KEYBYTES];
	unsigned char			 h[crypto_shorthash_BYTES];
	uint8_t				 b[crypto_shorthash_BYTES + 20];
	uint64_t			 v;

	crypto_shorthash(h, d->data, d->len, k);
	memcpy(b, h, sizeof h);
	memcpy(b + 8, &d->src, 4);
	memcpy(b + 12, &d->dst, 4);
	memcpy(b + 16, &d->sport, 2);
	memcpy(b + 18, &d->dport, 2);
	v = d->wirelen;
	memcpy(b + 20, &v, 8);
	crypto_shorthash(h, b, sizeof b, k);
	memcpy(&v, h, sizeof v);
	return v;
}

/* Details worth showing from a decoded message. */
static void
gt_details(struct gt_rec *r, const struct msg *m)
{
	switch (m->type) {
	case MSG_JOIN_ACK:
		r->d1 = m->u.join_ack.status;
		r->d2 = m->u.join_ack.node;
		break;
	case MSG_POD:
		r->d1 = m->u.pod.version;
		r->d2 = m->u.pod.nmembers;
		break;
	case MSG_ACK:
		r->d1 = m->u.ack.status;
		r->d2 = m->u.ack.value;
		break;
	case MSG_JOIN:
		r->d1 = m->u.join.page_size;
		r->d2 = m->u.join.nframes;
		break;
	case MSG_MISS:
		r->d1 = m->u.miss.reason;
		break;
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		r->d1 = m->u.getpage.requester;
		break;
	case MSG_EPOCH_START:
		r->d1 = m->u.epoch_start.epoch;
		r->d2 = m->u.epoch_start.m;
		r->d3 = m->u.epoch_start.t_ms;
		break;
	case MSG_EPOCH_SUMMARY:
		r->d1 = m->u.epoch_summary.epoch;
		r->d2 = m->u.epoch_summary.nfree;
		r->d3 = m->u.epoch_summary.nbuckets;
		break;
	case MSG_EPOCH_PLAN:
		r->d1 = m->u.epoch_plan.epoch;
		r->d2 = m->u.epoch_plan.m;
		r->d3 = m->u.epoch_plan.t_ms;
		r->d4 = m->u.epoch_plan.next;
		r->d64 = m->u.epoch_plan.minage;
		break;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		r->d1 = m->u.gcd.nentries;
		break;
	case MSG_PUTBATCH:
		r->d1 = m->u.putbatch.npages;
		break;
	case MSG_PUTBATCH_ACK:
		r->d1 = m->u.putbatch_ack.npages;
		r->d2 = m->u.putbatch_ack.value;
		break;
	}
}

/*
 * The page size a PAGE, PUTPAGE or PUTBATCH of wirelen bytes implies (a
 * batch's page count is the first field of its body), or 0.
 */
static uint32_t
gt_ps_of(const uint8_t *p, size_t caplen, size_t wirelen, int type)
{
	size_t	body = wirelen - PROTO_HDRLEN - PROTO_MACLEN, n;

	if (wirelen <= PROTO_HDRLEN + PROTO_MACLEN)
		return 0;
	if (type == MSG_PAGE || type == MSG_PUTPAGE)
		return body > GT_PAGEHDR ? (uint32_t)(body - GT_PAGEHDR) : 0;
	if (type != MSG_PUTBATCH || caplen < PROTO_HDRLEN + 2 || body <= 4)
		return 0;
	n = gt_get16(p + PROTO_HDRLEN);
	if (n == 0 || (body - 4) % n != 0 || (body - 4) / n <= GT_PAGEHDR)
		return 0;
	return (uint32_t)((body - 4) / n - GT_PAGEHDR);
}

/*
 * Check one datagram's header and, with the key, the whole of it.  Returns
 * 0 if r describes a GMS datagram to keep, -1 if it was counted and dropped
 * (not GMS, another version or cluster, too short for a header).
 */
static int
gt_classify(struct gt *g, struct gt_file *f, const struct tf_dgram *d,
    struct gt_rec *r)
{
	const uint8_t	*p = d->data;
	struct msg	 m;
	uint32_t	 ps = g->page_size, psd;
	int		 err;

	if (d->len < 4 || gt_get16(p) != PROTO_MAGIC) {
		f->notgms++;
		return -1;
	}
	if (p[2] != PROTO_VERSION) {
		g->other_version++;
		if (!g->any_version)
			return -1;
	}
	if (d->wirelen < PROTO_HDRLEN + PROTO_MACLEN || d->len < PROTO_HDRLEN) {
		g->too_short++;
		return -1;
	}
	memset(r, 0, sizeof *r);
	r->type = p[3];
	r->cluster = gt_get32(p + 4);
	r->sender = gt_get32(p + 8);
	r->flags = gt_get16(p + 12);
	r->reqid = (uint64_t)gt_get32(p + 16) << 32 | gt_get32(p + 20);
	if (g->cluster_set && r->cluster != g->cluster) {
		g->other_cluster++;
		return -1;
	}
	gt_note_u32(g->clusters_seen, &g->nclusters_seen, 8, r->cluster);
	if ((psd = gt_ps_of(p, d->len, d->wirelen, r->type)) != 0) {
		if (ps == 0)
			ps = psd;
		gt_note_u32(g->ps_seen, &g->nps_seen, 8, psd);
	}
	/* a batch's pages, even when its body cannot be checked */
	if (r->type == MSG_PUTBATCH && d->len >= PROTO_HDRLEN + 2)
		r->d1 = gt_get16(p + PROTO_HDRLEN);
	if (p[2] != PROTO_VERSION)
		r->cls = GC_VERSION;
	else if (d->len < d->wirelen)
		r->cls = GC_CUT;
	else if (!g->have_key)
		r->cls = GC_UNCHECKED;
	else {
		err = proto_decode(p, d->len, &g->key, r->cluster,
		    ps != 0 ? ps : PROTO_PAGE_MIN, &m);
		r->perr = (uint8_t)err;
		if (err == PE_OK) {
			r->cls = GC_OK;
			gt_details(r, &m);
		} else
			r->cls = err == PE_MAC ? GC_BADMAC : GC_MALFORMED;
	}
	r->ts = d->ts_ns;
	r->hash = gt_hash(d);
	r->src = d->src;
	r->dst = d->dst;
	r->sport = d->sport;
	r->dport = d->dport;
	r->len = (uint32_t)d->wirelen;
	return 0;
}

static void
gt_read_file(struct gt *g, int fi)
{
	struct gt_file		*f = &g->files[fi];
	struct tracefile	*tf;
	struct tf_dgram		 d;
	struct gt_rec		 r;
	char			 err[512];
	int			 rc;

	if ((tf = tracefile_open(f->path, err, sizeof err)) == NULL) {
		log_warnx("%s; skipped", err);
		return;
	}
	f->usable = 1;
	f->linktype = tracefile_linktype(tf);
	while ((rc = tracefile_next(tf, &d, err, sizeof err)) == 1) {
		if (gt_classify(g, f, &d, &r) == -1)
			continue;
		r.file = (uint16_t)fi;
		r.seq = (uint32_t)g->nrecs;
		if (g->nrecs == g->caprecs) {
			g->caprecs = g->caprecs ? g->caprecs * 2 : 1024;
			g->recs = xreallocarray(g->recs, g->caprecs,
			    sizeof *g->recs);
		}
		g->recs[g->nrecs++] = r;
		f->gms++;
	}
	if (rc == -1) {
		f->truncated = 1;
		log_warnx("%s: the file ends in a broken record (%s); used the "
		    "%" PRIu64 " records before it", f->path, err,
		    tracefile_stats(tf)->records);
	}
	f->st = *tracefile_stats(tf);
	if (f->st.foreign + f->notgms > 0)
		log_warnx("%s: skipped %" PRIu64 " packet%s not GMS", f->path,
		    f->st.foreign + f->notgms,
		    f->st.foreign + f->notgms > 1 ? "s" : "");
	if (f->st.broken > 0)
		log_warnx("%s: skipped %" PRIu64 " record%s with broken "
		    "IPv4/UDP headers", f->path, f->st.broken,
		    f->st.broken > 1 ? "s" : "");
	tracefile_close(tf);
}

/* ---- merging ---------------------------------------------------------- */

static int
gt_rec_cmp(const void *a, const void *b)
{
	const struct gt_rec	*x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct gt_ep *
gt_ep(struct gt *g, uint32_t addr, uint16_t port)
{
	struct gt_ep	*e;
	uint64_t	 k = (uint64_t)addr << 16 | port;

	HASH_FIND(hh, g->eps, &k, sizeof k, e);
	if (e != NULL)
		return e;
	e = xcalloc(1, sizeof *e);
	e->key = k;
	e->addr = addr;
	e->port = port;
	e->idx = g->neps++;
	g->epv = xreallocarray(g->epv, (size_t)g->neps, sizeof *g->epv);
	g->epv[e->idx] = e;
	HASH_ADD(hh, g->eps, key, sizeof e->key, e);
	return e;
}

/*
 * The datagram r is a sighting of: the latest with its hash that no
 * sighting from r's file has joined yet, or a new one.  A file sees each
 * transmission once, so a retransmission (the same bytes again) is a new
 * datagram in the sender's file and joins the new one elsewhere.
 */
static void
gt_merge_one(struct gt *g, struct gt_rec *r)
{
	struct gt_key	*k;
	struct gt_dgram	*dg;
	uint64_t	 bit = 1ULL << r->file;
	int		 i, j;

	HASH_FIND(hh, g->keys, &r->hash, sizeof r->hash, k);
	if (k == NULL) {
		k = xcalloc(1, sizeof *k);
		k->hash = r->hash;
		HASH_ADD(hh, g->keys, hash, sizeof k->hash, k);
	}
	/* forget datagrams too old to be sighted again */
	for (i = 0; i < k->n && r->ts - g->dgs[k->idx[i]].first >
	    g->window_ns; i++)
		;
	if (i > 0) {
		memmove(k->idx, k->idx + i, (size_t)(k->n - i) * sizeof *k->idx);
		k->n -= i;
	}
	for (j = k->n - 1; j >= 0; j--) {
		dg = &g->dgs[k->idx[j]];
		if (!(dg->files & bit)) {
			dg->files |= bit;
			dg->nsight++;
			if (r->ts > dg->last)
				dg->last = r->ts;
			r->dg = k->idx[j];
			return;
		}
	}
	if (g->ndgs == g->capdgs) {
		g->capdgs = g->capdgs ? g->capdgs * 2 : 1024;
		g->dgs = xreallocarray(g->dgs, g->capdgs, sizeof *g->dgs);
	}
	dg = &g->dgs[g->ndgs];
	memset(dg, 0, sizeof *dg);
	dg->r = *r;
	dg->first = dg->last = r->ts;
	dg->files = bit;
	dg->nsight = 1;
	dg->from = r->from;
	dg->to = r->to;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 2;
		k->idx = xreallocarray(k->idx, (size_t)k->cap, sizeof *k->idx);
	}
	r->dg = (int)g->ndgs;
	k->idx[k->n++] = (int)g->ndgs++;
}

static void
gt_merge(struct gt *g)
{
	struct gt_key	*k, *tmp;
	struct gt_rec	*r;
	size_t		 i;

	qsort(g->recs, g->nrecs, sizeof *g->recs, gt_rec_cmp);
	for (i = 0; i < g->nrecs; i++) {
		r = &g->recs[i];
		r->from = gt_ep(g, r->src, r->sport)->idx;
		r->to = gt_ep(g, r->dst, r->dport)->idx;
		gt_merge_one(g, r);
	}
	HASH_ITER(hh, g->keys, k, tmp) {
		HASH_DEL(g->keys, k);
		free(k->idx);
		free(k);
	}
}

/* ---- whose trace each file is --------------------------------------- */

/* Candidates for a file's own endpoint, and votes from timing. */
struct gt_vantage {
	int		cand[2];
	int		ncand;
	uint64_t	votes[2];
	int64_t		t_first, t_last;
};

static void
gt_vote(struct gt_vantage *v, int ep)
{
	int	i;

	for (i = 0; i < v->ncand; i++)
		if (v->cand[i] == ep)
			v->votes[i]++;
}

/*
 * A gmsd trace (link type RAW; captures on lo, a veth or "any" are
 * EN10MB or LINUX_SLL/SLL2) holds only what its node sent and received:
 * one endpoint is in every sighting, and that is the node.  When two are (a node that
 * only talked to one other), timing decides: a file that sees a datagram
 * before another file does is its sender's.  A capture of all traffic has
 * no such endpoint and stays -1.
 */
static void
gt_find_selves(struct gt *g, struct gt_vantage *v)
{
	struct gt_vantage	*f;
	struct gt_rec		*r;
	const struct gt_dgram	*dg;
	size_t			 i;
	int			 j, k;

	for (i = 0; i < g->nrecs; i++) {
		r = &g->recs[i];
		f = &v[r->file];
		if (f->t_first == 0) {
			f->cand[0] = r->from;
			f->cand[1] = r->to;
			f->ncand = r->from == r->to ? 1 : 2;
			f->t_first = r->ts;
		}
		f->t_last = r->ts;
		for (j = k = 0; j < f->ncand; j++)
			if (f->cand[j] == r->from || f->cand[j] == r->to)
				f->cand[k++] = f->cand[j];
		f->ncand = k;
		dg = &g->dgs[r->dg];
		if (r->file != dg->r.file) {	/* seen later than there */
			gt_vote(&v[dg->r.file], r->from);
			gt_vote(f, r->to);
		}
	}
	for (j = 0; j < g->nfiles; j++) {
		f = &v[j];
		g->files[j].self = -1;
		if (!g->files[j].usable ||
		    strcmp(g->files[j].linktype, "RAW") != 0)
			continue;	/* a capture on an interface */
		if (f->ncand == 1)
			g->files[j].self = f->cand[0];
		else if (f->ncand == 2 && f->votes[0] > 10 * f->votes[1])
			g->files[j].self = f->cand[0];
		else if (f->ncand == 2 && f->votes[1] > 10 * f->votes[0])
			g->files[j].self = f->cand[1];
		if (g->files[j].self != -1)
			g->epv[g->files[j].self]->traced = 1;
	}
}

/*
 * When each datagram reached its receiver, if the receiver's own trace is
 * an input: then a datagram missing from it (while it was recording) was
 * lost.
 */
static void
gt_receipts(struct gt *g)
{
	struct gt_vantage	*v;
	struct gt_dgram		*dg;
	struct gt_rec		*r;
	size_t			 i;
	int			 j;

	v = xcalloc(GT_MAXFILES, sizeof *v);
	gt_find_selves(g, v);
	for (i = 0; i < g->nrecs; i++) {
		r = &g->recs[i];
		dg = &g->dgs[r->dg];
		if (g->files[r->file].self == r->to && dg->t_recv == 0)
			dg->t_recv = r->ts;
		if (g->files[r->file].self == r->from && dg->t_send == 0)
			dg->t_send = r->ts;
	}
	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		if (dg->t_recv != 0 || !g->epv[dg->to]->traced)
			continue;
		for (j = 0; j < g->nfiles; j++)
			if (g->files[j].self == dg->to &&
			    dg->first >= v[j].t_first && dg->first <= v[j].t_last)
				dg->lost = 1;
	}
	free(v);
}

/* ---- analysis --------------------------------------------------------- */

/*
 * Whether dg's header counts in the tables: it verified, or nothing could
 * be checked (no key; a key under which nothing verifies, the wrong one;
 * cut short by the snap length).  Datagrams that failed a check count only
 * as anomalies, as gmsd counts them only as drops.
 */
static int
gt_trusted(const struct gt *g, const struct gt_dgram *dg)
{
	switch (dg->r.cls) {
	case GC_OK:
	case GC_UNCHECKED:
	case GC_CUT:
	case GC_VERSION:
		return 1;
	case GC_BADMAC:
		return g->wrong_key;
	}
	return 0;
}

static void
gt_trust(struct gt *g)
{
	size_t	i, ok = 0, bad = 0;

	for (i = 0; i < g->ndgs; i++) {
		ok += g->dgs[i].r.cls == GC_OK;
		bad += g->dgs[i].r.cls == GC_BADMAC;
	}
	if (g->have_key && ok == 0 && bad > 0) {
		g->wrong_key = 1;
		log_warnx("no datagram verifies under the key from %s: is it "
		    "the cluster's? Classified by their headers", g->key_from);
	}
	for (i = 0; i < g->ndgs; i++) {
		g->dgs[i].trusted = gt_trusted(g, &g->dgs[i]);
		g->ntrusted += g->dgs[i].trusted;
	}
}

static int
gt_ep_cmp(const void *a, const void *b)
{
	const struct gt_ep	*x = *(struct gt_ep * const *)a;
	const struct gt_ep	*y = *(struct gt_ep * const *)b;

	if (x->active != y->active)
		return x->active ? -1 : 1;
	if ((x->id == 0) != (y->id == 0))
		return x->id == 0 ? 1 : -1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static void
gt_learn_ids(struct gt *g)
{
	struct gt_dgram	*dg;
	struct gt_ep	*e;
	size_t		 i;
	int		 j, k;

	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		if (!dg->trusted)
			continue;
		e = g->epv[dg->from];
		e->active = g->epv[dg->to]->active = 1;
		if (dg->r.sender == 0)
			continue;
		if (e->id == 0)
			e->id = dg->r.sender;
		else if (e->id != dg->r.sender)
			e->clash = 1;	/* joined again under another id */
	}
	for (j = 0; j < g->neps; j++) {
		for (k = 0; k < g->neps; k++)
			if (k != j && g->epv[j]->id != 0 &&
			    g->epv[k]->id == g->epv[j]->id)
				g->epv[j]->clash = 1;
		g->id_clash += g->epv[j]->clash;
	}
}

/*
 * Name every endpoint by the node id its own datagrams carry ("2"), or by
 * its address when it has none or shares it ("10.0.0.9:7070").  Then
 * order them, active ones first, by id, and renumber.
 */
static void
gt_name_nodes(struct gt *g)
{
	struct gt_ep	*e;
	size_t		 i;
	int		 j, *map;

	gt_learn_ids(g);
	qsort(g->epv, (size_t)g->neps, sizeof *g->epv, gt_ep_cmp);
	map = xcalloc((size_t)g->neps, sizeof *map);
	for (j = 0; j < g->neps; j++) {
		e = g->epv[j];
		map[e->idx] = j;
		e->idx = j;
		g->nact += e->active;
		if (e->id != 0 && !e->clash)
			snprintf(e->name, sizeof e->name, "%u", e->id);
		else
			snprintf(e->name, sizeof e->name, "%u.%u.%u.%u:%u",
			    e->addr >> 24, (e->addr >> 16) & 255,
			    (e->addr >> 8) & 255, e->addr & 255, e->port);
	}
	for (i = 0; i < g->ndgs; i++) {
		g->dgs[i].from = map[g->dgs[i].from];
		g->dgs[i].to = map[g->dgs[i].to];
	}
	for (j = 0; j < g->nfiles; j++)
		if (g->files[j].self != -1)
			g->files[j].self = map[g->files[j].self];
	free(map);
}

double
gt_rel(const struct gt *g, int64_t t)
{
	return (double)(t - g->t0) / 1e9;
}

const char *
gt_typename(int type, char *buf, size_t len)
{
	const char	*s = proto_type_name(type);

	if (strcmp(s, "?") != 0)
		return s;
	snprintf(buf, len, "type-0x%02x", type);
	return buf;
}

int
gt_fam_of_type(int type)
{
	switch (type) {
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
	case MSG_PAGE:
	case MSG_MISS:
		return FAM_GET;
	case MSG_PUTPAGE:
	case MSG_PUTBATCH:
	case MSG_PUTBATCH_ACK:
		return FAM_PUT;
	case MSG_DISCARD:
		return FAM_DISCARD;
	case MSG_GCD_UPDATE:
	case MSG_GCD_HANDOVER:
		return FAM_GCD;
	case MSG_EPOCH_START:
	case MSG_EPOCH_SUMMARY:
	case MSG_EPOCH_PLAN:
		return FAM_EPOCH;
	}
	return FAM_MEMBER;
}

/* A request id: the operation it belongs to. */
struct gt_req {
	uint64_t	reqid;
	uint8_t		type;		/* the first request's */
	int		requester;	/* endpoint that sent it first */
	int		fwd;		/* a GETPAGE_FWD from another node */
	int		fwd_from;
	int64_t		t_req;
	int		nreply;		/* reply datagrams */
	uint8_t		reply_type;	/* of the first one received */
	int64_t		t_reply;	/* when; 0: none received */
	/* for the getpage breakdown: its datagrams, once each */
	const struct gt_dgram *bd_req, *bd_fwd, *bd_page;
	int		bd_bad;		/* sent again, lost, or unseen */
	UT_hash_handle	hh;
};

/* A request: the first of its id, a retransmission, or a forward. */
static void
gt_on_request(struct gt *g, struct gt_dgram *dg)
{
	struct gt_req	*q;

	HASH_FIND(hh, g->reqs, &dg->r.reqid, sizeof dg->r.reqid, q);
	if (q == NULL) {
		q = xcalloc(1, sizeof *q);
		q->reqid = dg->r.reqid;
		q->type = dg->r.type;
		q->requester = dg->from;
		q->t_req = dg->first;
		q->fwd_from = -1;
		/* seen first at the holder: the requester is in the body */
		if (dg->r.type == MSG_GETPAGE_FWD && dg->r.cls == GC_OK &&
		    dg->r.d1 != dg->r.sender) {
			q->fwd = 1;
			q->fwd_from = dg->from;
			q->bd_bad = 1;	/* the requester's GETPAGE unseen */
		}
		q->bd_req = dg;
		HASH_ADD(hh, g->reqs, reqid, sizeof q->reqid, q);
	} else if (dg->r.type == MSG_GETPAGE_FWD && dg->from != q->requester &&
	    q->fwd_from != dg->from) {
		q->fwd = 1;		/* GCD node -> holder */
		q->fwd_from = dg->from;
		if (q->bd_fwd != NULL)
			q->bd_bad = 1;
		q->bd_fwd = dg;
	} else {
		g->retrans[dg->r.type]++;
		q->bd_bad = 1;
	}
	if (dg->lost)
		q->bd_bad = 1;
	dg->fam = gt_fam_of_type(q->type);
}

/* A reply: the operation's end if it reached the requester. */
static void
gt_on_reply(struct gt *g, struct gt_dgram *dg)
{
	struct gt_req	*q;

	HASH_FIND(hh, g->reqs, &dg->r.reqid, sizeof dg->r.reqid, q);
	if (q == NULL) {
		g->orphan_replies++;
		dg->fam = gt_fam_of_type(dg->r.type);
		return;
	}
	dg->fam = gt_fam_of_type(q->type);
	if (q->nreply++ > 0)
		g->dup_replies++;
	if (dg->lost)
		q->bd_bad = 1;
	if (q->t_reply != 0 || dg->lost)
		return;
	q->bd_page = dg;
	q->reply_type = dg->r.type;
	q->t_reply = dg->t_recv != 0 ? dg->t_recv : dg->last;
}

static int
gt_op_of(const struct gt_req *q)
{
	switch (q->type) {
	case MSG_GETPAGE:
	case MSG_GETPAGE_FWD:
		if (q->t_reply != 0 && q->reply_type == MSG_MISS)
			return OP_GET_MISS;
		return q->fwd ? OP_GET_FWD : OP_GET_DIRECT;
	case MSG_PUTPAGE:
		return OP_PUT;
	case MSG_PUTBATCH:
		return OP_PUTBATCH;
	case MSG_DISCARD:
		return OP_DISCARD;
	case MSG_GCD_UPDATE:
		return OP_GCD_UPDATE;
	case MSG_GCD_HANDOVER:
		return OP_GCD_HANDOVER;
	case MSG_EPOCH_START:
		return OP_EPOCH_START;
	case MSG_EPOCH_PLAN:
		return OP_EPOCH_PLAN;
	case MSG_JOIN:
		return OP_JOIN;
	case MSG_POD:
		return OP_POD;
	case MSG_HEARTBEAT:
		return OP_HEARTBEAT;
	case MSG_LEAVE:
		return OP_LEAVE;
	case MSG_LEAVE_DONE:
		return OP_LEAVE_DONE;
	}
	return -1;
}

static void
gt_sample(struct gt_samples *s, double v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n++] = v;
}

static int
gt_dbl_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
double
gt_pct(const struct gt_samples *s, double p)
{
	size_t	i = (size_t)ceil(p * (double)s->n);

	if (i < 1)
		i = 1;
	if (i > s->n)
		i = s->n;
	return s->v[i - 1];
}

static double
gt_us(int64_t from, int64_t to)
{
	return (double)(to - from) / 1e3;
}

/* Whether a datagram is in both its sender's and its receiver's trace. */
static int
gt_stamped(const struct gt_dgram *dg)
{
	return dg != NULL && dg->t_send != 0 && dg->t_recv != 0 && !dg->lost;
}

/*
 * A getpage hit's breakdown, if every datagram of it was sent and received
 * once, each in its sender's and its receiver's own trace, along the path
 * requester -> (GCD node ->) holder -> requester.
 */
static void
gt_breakdown(struct gt *g, const struct gt_req *q)
{
	const struct gt_dgram	*rq = q->bd_req, *fw = q->bd_fwd, *pg = q->bd_page;
	struct gt_bdrow		 b;
	int			 k;

	g->bd_hits++;
	if (q->bd_bad || !gt_stamped(rq) || !gt_stamped(pg) ||
	    (fw != NULL && !gt_stamped(fw)))
		return;
	if (rq->from != q->requester || pg->to != q->requester ||
	    pg->from != (fw != NULL ? fw->to : rq->to) ||
	    (fw != NULL && fw->from != rq->to))
		return;
	memset(&b, 0, sizeof b);
	b.reqid = q->reqid;
	b.requester = q->requester;
	b.holder = pg->from;
	b.gcd = fw != NULL ? fw->from : -1;
	b.fwd = fw != NULL;
	b.c[BD_NET_OUT] = gt_us(rq->t_send, rq->t_recv);
	if (fw != NULL) {
		b.c[BD_GCD] = gt_us(rq->t_recv, fw->t_send);
		b.c[BD_GCD_NET] = gt_us(fw->t_send, fw->t_recv);
		b.c[BD_TARGET] = gt_us(fw->t_recv, pg->t_send);
	} else {
		b.c[BD_GCD] = b.c[BD_GCD_NET] = -1;
		b.c[BD_TARGET] = gt_us(rq->t_recv, pg->t_send);
	}
	b.c[BD_NET_BACK] = gt_us(pg->t_send, pg->t_recv);
	b.c[BD_TOTAL] = gt_us(rq->t_send, pg->t_recv);
	b.latency = gt_us(q->t_req, q->t_reply);
	for (k = 0; k < BD_N; k++)
		if (b.c[k] >= 0)
			gt_sample(&g->bd[k], b.c[k]);
	g->bd_fwd += b.fwd;
	if (g->nbdrows == g->capbdrows) {
		g->capbdrows = g->capbdrows ? g->capbdrows * 2 : 64;
		g->bdrows = xreallocarray(g->bdrows, g->capbdrows,
		    sizeof *g->bdrows);
	}
	g->bdrows[g->nbdrows++] = b;
}

static int
gt_bdrow_cmp(const void *a, const void *b)
{
	const struct gt_bdrow	*x = a, *y = b;

	return x->reqid < y->reqid ? -1 : x->reqid > y->reqid;
}

static void
gt_ops(struct gt *g)
{
	struct gt_req	*q, *tmp;
	int		 op, i;

	HASH_ITER(hh, g->reqs, q, tmp) {
		if ((op = gt_op_of(q)) != -1) {
			if (q->t_reply == 0)
				g->unanswered[op]++;
			else
				gt_sample(&g->lat[op],
				    (double)(q->t_reply - q->t_req) / 1e3);
			if ((op == OP_GET_DIRECT || op == OP_GET_FWD) &&
			    q->t_reply != 0 && q->reply_type == MSG_PAGE)
				gt_breakdown(g, q);
		}
		HASH_DEL(g->reqs, q);
		free(q);
	}
	for (i = 0; i < OP_N; i++)
		if (g->lat[i].n > 0)
			qsort(g->lat[i].v, g->lat[i].n, sizeof *g->lat[i].v,
			    gt_dbl_cmp);
	for (i = 0; i < BD_N; i++)
		if (g->bd[i].n > 0)
			qsort(g->bd[i].v, g->bd[i].n, sizeof *g->bd[i].v,
			    gt_dbl_cmp);
	if (g->nbdrows > 0)
		qsort(g->bdrows, g->nbdrows, sizeof *g->bdrows, gt_bdrow_cmp);
}

/* One trusted datagram into the counts. */
static void
gt_count(struct gt *g, struct gt_dgram *dg)
{
	struct gt_ep	*s = g->epv[dg->from], *d = g->epv[dg->to];
	size_t		 n = (size_t)g->neps, pi;

	pi = (size_t)dg->from * n + (size_t)dg->to;
	g->type_n[dg->r.type]++;
	g->type_b[dg->r.type] += dg->r.len;
	s->sent[dg->r.type]++;
	s->nsent++;
	s->bsent += dg->r.len;
	if (dg->lost)
		g->lost++;
	else {
		d->recv[dg->r.type]++;
		d->nrecv++;
		d->brecv += dg->r.len;
	}
	g->pair_n[pi]++;
	g->pair_b[pi] += dg->r.len;
	if (dg->r.type == MSG_PAGE || dg->r.type == MSG_PUTPAGE)
		g->pages[pi]++;
	else if (dg->r.type == MSG_PUTBATCH)
		g->pages[pi] += dg->r.d1;
	if (dg->r.flags & PROTO_FREPLY)
		gt_on_reply(g, dg);
	else
		gt_on_request(g, dg);
}

static void
gt_analyse(struct gt *g)
{
	struct gt_dgram	*dg;
	size_t		 i, n;

	gt_receipts(g);
	gt_trust(g);
	gt_name_nodes(g);
	n = (size_t)g->neps;
	g->pair_n = xcalloc(n * n + 1, sizeof *g->pair_n);
	g->pair_b = xcalloc(n * n + 1, sizeof *g->pair_b);
	g->pages = xcalloc(n * n + 1, sizeof *g->pages);
	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		if (i == 0 || dg->first < g->t0)
			g->t0 = dg->first;
		if (i == 0 || dg->last > g->t1)
			g->t1 = dg->last;
		if (dg->r.cls == GC_BADMAC)
			g->badmac++;
		else if (dg->r.cls == GC_MALFORMED)
			g->malformed[dg->r.perr]++;
		else if (dg->r.cls == GC_CUT)
			g->cut++;
		if (dg->trusted)
			gt_count(g, dg);
		else
			dg->fam = gt_fam_of_type(dg->r.type);
	}
	gt_ops(g);
}

static void
gt_free(struct gt *g)
{
	struct gt_ep	*e, *tmp;
	int		 i;

	HASH_ITER(hh, g->eps, e, tmp) {
		HASH_DEL(g->eps, e);
		free(e);
	}
	for (i = 0; i < OP_N; i++)
		free(g->lat[i].v);
	for (i = 0; i < BD_N; i++)
		free(g->bd[i].v);
	free(g->bdrows);
	free(g->epv);
	free(g->recs);
	free(g->dgs);
	free(g->pair_n);
	free(g->pair_b);
	free(g->pages);
	sodium_memzero(&g->key, sizeof g->key);
	free(g);
}

int
main(int argc, char **argv)
{
	struct gt	*g;
	int		 first, i, usable = 0;

	log_init("gmstrace", LOG_INFO);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	g = xcalloc(1, sizeof *g);
	first = gt_parse_opts(g, argc, argv);
	for (i = first; i < argc; i++) {
		g->files[g->nfiles].path = argv[i];
		gt_read_file(g, g->nfiles);
		usable += g->files[g->nfiles].usable;
		g->nfiles++;
	}
	if (usable == 0 && g->nfiles == 1)
		fatalx("nothing to analyse: %s could not be read", argv[first]);
	if (usable == 0)
		fatalx("nothing to analyse: none of the %d files could be read",
		    g->nfiles);
	if (g->nrecs == 0 && g->other_version > 0)
		fatalx("no GMS datagrams of protocol version %d in %s%s, but %"
		    PRIu64 " of another version: to read them by their header, "
		    "add --any-version", PROTO_VERSION, argv[first],
		    g->nfiles > 1 ? " or the other files" : "", g->other_version);
	if (g->nrecs == 0)
		fatalx("no GMS datagrams in %s%s", argv[first],
		    g->nfiles > 1 ? " or the other files" : "");
	if (g->nps_seen > 1 && g->page_size == 0)
		log_warnx("PAGE/PUTPAGE lengths imply %d page sizes; give "
		    "--page-size", g->nps_seen);
	gt_merge(g);
	gt_analyse(g);
	gtreport_text(g);
	if (g->list)
		gtreport_list(g);
	if (g->csv_dir != NULL)
		gtreport_csv(g, g->csv_dir);
	if (g->plot_dir != NULL)
		gtreport_plot(g, g->plot_dir);
	gt_free(g);
	return 0;
}
