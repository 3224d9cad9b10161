/*
 * gtreport.c: gmstrace's output: the text report on stdout, the CSV files
 * (--csv DIR) and the figures (--plot DIR: gnuplot, PNG via pngcairo).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gms/gmstrace.h"
#include "gms/log.h"
#include "gms/xmalloc.h"

#define GT_TIMELINE_MAX	40	/* membership events printed as text */
#define GT_TRAFFIC_BINS	100	/* traffic-over-time bins, at most */

static void
rp_time(int64_t ns, char *buf, size_t len)
{
	time_t		sec = (time_t)(ns / 1000000000);
	struct tm	tm;
	char		d[32];

	gmtime_r(&sec, &tm);
	strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06d UTC", d, (int)(ns % 1000000000 / 1000));
}

static void
rp_head(const struct gt *g)
{
	const struct gt_file	*f;
	char			 a[64], v[64];
	uint64_t		 sightings = 0;
	int			 i;

	for (i = 0; i < g->nfiles; i++)
		sightings += g->files[i].gms;
	rp_time(g->t0, a, sizeof a);
	printf("GMS trace: %d file%s, %.6f s from %s\n", g->nfiles,
	    g->nfiles > 1 ? "s" : "", gt_rel(g, g->t1), a);
	printf("  %-24s %-10s %8s %8s %8s  %s\n", "file", "link", "records",
	    "GMS", "other", "vantage");
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (!f->usable) {
			printf("  %-24s %-10s (not readable)\n", f->path, "-");
			continue;
		}
		if (f->self != -1)
			snprintf(v, sizeof v, "node %s's own trace",
			    g->epv[f->self]->name);
		else
			snprintf(v, sizeof v, "a capture of traffic");
		printf("  %-24s %-10s %8" PRIu64 " %8" PRIu64 " %8" PRIu64
		    "  %s%s\n", f->path, f->linktype, f->st.records, f->gms,
		    f->st.foreign + f->notgms + f->st.broken, v,
		    f->truncated ? " (truncated)" : "");
	}
	printf("  %zu datagrams (%" PRIu64 " sightings merged): %zu counted "
	    "below, %zu failed their checks (anomalies)\n",
	    g->ndgs, sightings, g->ntrusted, g->ndgs - g->ntrusted);
	if (g->any_version && g->other_version > 0)
		printf("  %" PRIu64 " sighting%s of another protocol version "
		    "than %d, read by their header (--any-version)\n",
		    g->other_version, g->other_version > 1 ? "s" : "",
		    PROTO_VERSION);
	if (g->page_size != 0)
		printf("  page size %u (--page-size)", g->page_size);
	else if (g->nps_seen == 1)
		printf("  page size %u (from PAGE/PUTPAGE lengths)",
		    g->ps_seen[0]);
	else if (g->nps_seen == 0)
		printf("  page size unknown (no PAGE or PUTPAGE)");
	else
		printf("  page sizes differ between PAGE/PUTPAGE datagrams");
	if (g->cluster_set)
		printf("; cluster %u (--cluster)", g->cluster);
	else if (g->nclusters_seen == 1)
		printf("; cluster %u", g->clusters_seen[0]);
	else
		printf("; %d clusters", g->nclusters_seen);
	if (g->wrong_key)
		printf("; MACs fail under the key from %s\n", g->key_from);
	else if (g->have_key)
		printf("; MACs checked with the key from %s\n", g->key_from);
	else
		printf("; no key: MACs not checked, headers only\n");
}

static const char *
rp_addr(const struct gt_ep *e, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u:%u", e->addr >> 24,
	    (e->addr >> 16) & 255, (e->addr >> 8) & 255, e->addr & 255,
	    e->port);
	return buf;
}

static void
rp_nodes(const struct gt *g)
{
	const struct gt_ep	*e;
	char			 a[32];
	int			 i;

	printf("\nnodes\n");
	printf("  %-21s %-21s %8s %8s %12s %12s\n", "node", "address",
	    "sent", "recv", "bytes sent", "bytes recv");
	for (i = 0; i < g->nact; i++) {
		e = g->epv[i];
		printf("  %-21s %-21s %8" PRIu64 " %8" PRIu64 " %12" PRIu64
		    " %12" PRIu64 "\n", e->name, rp_addr(e, a, sizeof a),
		    e->nsent, e->nrecv, e->bsent, e->brecv);
	}
}

static void
rp_latency(const struct gt *g)
{
	const struct gt_samples	*s;
	int			 i;

	printf("\nlatency by operation (us, from the request's first sighting "
	    "to its reply's\narrival at the requester, or last sighting)\n");
	printf("  %-20s %8s %10s %10s %10s %11s\n", "operation", "count",
	    "median", "p90", "p99", "unanswered");
	for (i = 0; i < OP_N; i++) {
		s = &g->lat[i];
		if (i >= OP_MAIN && s->n == 0 && g->unanswered[i] == 0)
			continue;
		if (s->n == 0)
			printf("  %-20s %8zu %10s %10s %10s %11" PRIu64 "\n",
			    gt_opname[i], s->n, "-", "-", "-",
			    g->unanswered[i]);
		else
			printf("  %-20s %8zu %10.1f %10.1f %10.1f %11" PRIu64
			    "\n", gt_opname[i], s->n, gt_pct(s, 0.5),
			    gt_pct(s, 0.9), gt_pct(s, 0.99), g->unanswered[i]);
	}
}

/*
 * Where a getpage hit's time goes.  The medians of the parts need not add
 * up to the total's: each is over its own samples.
 */
static void
rp_breakdown(const struct gt *g)
{
	const struct gt_samples	*s;
	int			 k;

	if (g->bd_hits == 0)
		return;
	printf("\ngetpage breakdown (us, getpage hits with every datagram in "
	    "its sender's and\nits receiver's own trace: %zu of %" PRIu64
	    ", %" PRIu64 " forwarded by a GCD node)\n", g->nbdrows,
	    g->bd_hits, g->bd_fwd);
	printf("  %-24s %8s %10s %10s\n", "component", "count", "median",
	    "p90");
	for (k = 0; k < BD_N; k++) {
		s = &g->bd[k];
		if (s->n == 0)
			printf("  %-24s %8zu %10s %10s\n", gt_bdname[k], s->n,
			    "-", "-");
		else
			printf("  %-24s %8zu %10.1f %10.1f\n", gt_bdname[k],
			    s->n, gt_pct(s, 0.5), gt_pct(s, 0.9));
	}
	printf(
	    "  network: a datagram's send in its sender's trace to its receipt in\n"
	    "  its receiver's (both kernels' UDP stacks and the wire). gcd node:\n"
	    "  GETPAGE received to GETPAGE_FWD sent, when a third node holds the\n"
	    "  page (when the GCD node holds it, its lookup is in target; when\n"
	    "  the requester is the GCD node, in the requester's time). total:\n"
	    "  request sent to PAGE received. Not in a trace, so not here: the\n"
	    "  requester's fault handling (gmsd and the program) before the\n"
	    "  request is sent and after the page arrives. Getpages sent again,\n"
	    "  lost, or missing from a trace are left out.\n");
}

static void
rp_types(const struct gt *g)
{
	uint64_t	n = 0, b = 0;
	char		buf[16];
	int		t;

	printf("\nmessages by type\n");
	printf("  %-14s %8s %12s\n", "type", "count", "bytes");
	for (t = 0; t < 256; t++) {
		if (g->type_n[t] == 0)
			continue;
		printf("  %-14s %8" PRIu64 " %12" PRIu64 "\n",
		    gt_typename(t, buf, sizeof buf), g->type_n[t],
		    g->type_b[t]);
		n += g->type_n[t];
		b += g->type_b[t];
	}
	printf("  %-14s %8" PRIu64 " %12" PRIu64 "\n", "total", n, b);
}

static void
rp_pairs(const struct gt *g)
{
	size_t	n = (size_t)g->neps;
	int	i, j;

	printf("\nmessages by node pair\n");
	printf("  %-21s %-21s %8s %12s\n", "from", "to", "count", "bytes");
	for (i = 0; i < g->nact; i++)
		for (j = 0; j < g->nact; j++)
			if (g->pair_n[i * n + j] != 0)
				printf("  %-21s %-21s %8" PRIu64 " %12" PRIu64
				    "\n", g->epv[i]->name, g->epv[j]->name,
				    g->pair_n[i * n + j], g->pair_b[i * n + j]);
}

static void
rp_node_types(const struct gt *g)
{
	const struct gt_ep	*e;
	char			 buf[16];
	int			 i, t;

	printf("\nmessages by node and type (as gmsctl status --json "
	    "counts them)\n");
	printf("  %-21s %-14s %8s %8s\n", "node", "type", "sent", "recv");
	for (i = 0; i < g->nact; i++) {
		e = g->epv[i];
		for (t = 0; t < 256; t++)
			if (e->sent[t] != 0 || e->recv[t] != 0)
				printf("  %-21s %-14s %8" PRIu64 " %8" PRIu64
				    "\n", e->name, gt_typename(t, buf,
				    sizeof buf), e->sent[t], e->recv[t]);
	}
}

static void
rp_pages(const struct gt *g)
{
	size_t	n = (size_t)g->neps;
	int	i, j;

	printf("\npage movement (pages in PAGE, PUTPAGE and PUTBATCH "
	    "datagrams, row sends to column)\n");
	printf("  %-21s", "from \\ to");
	for (j = 0; j < g->nact; j++)
		printf(" %8.8s", g->epv[j]->name);
	printf("\n");
	for (i = 0; i < g->nact; i++) {
		printf("  %-21s", g->epv[i]->name);
		for (j = 0; j < g->nact; j++) {
			if (i == j)
				printf(" %8s", "-");
			else
				printf(" %8" PRIu64, g->pages[i * n + j]);
		}
		printf("\n");
	}
}

/* A membership event's description, or NULL if dg is not one. */
static const char *
rp_member_event(const struct gt *g, const struct gt_dgram *dg, char *buf,
    size_t len)
{
	const struct gt_rec	*r = &dg->r;
	const char		*from = g->epv[dg->from]->name;
	const char		*to = g->epv[dg->to]->name;
	int			 ok = r->cls == GC_OK;

	switch (r->type) {
	case MSG_JOIN:
		snprintf(buf, len, "JOIN %s -> %s", from, to);
		break;
	case MSG_JOIN_ACK:
		if (ok && r->d1 == ST_OK)
			snprintf(buf, len, "JOIN_ACK %s -> %s: node id %u",
			    from, to, r->d2);
		else if (ok)
			snprintf(buf, len, "JOIN_ACK %s -> %s: refused "
			    "(status %u)", from, to, r->d1);
		else
			snprintf(buf, len, "JOIN_ACK %s -> %s", from, to);
		break;
	case MSG_POD:
		if (ok)
			snprintf(buf, len, "POD %s -> %s: version %u, %u "
			    "members", from, to, r->d1, r->d2);
		else
			snprintf(buf, len, "POD %s -> %s", from, to);
		break;
	case MSG_LEAVE:
	case MSG_LEAVE_DONE:
	case MSG_GCD_HANDOVER:
		snprintf(buf, len, "%s %s -> %s", proto_type_name(r->type),
		    from, to);
		break;
	default:
		return NULL;
	}
	return buf;
}

/* One epoch as its messages tell it. */
struct rp_epoch {
	uint32_t	epoch;
	int		initiator;	/* endpoint of its EPOCH_STARTs */
	int64_t		t_start, t_sum, t_plan;
	uint32_t	m, t_ms, starts, sums;
	int		planned;
	uint32_t	plan_m, next, plan_t;
	uint64_t	minage;
};

static struct rp_epoch *
rp_epoch_find(struct rp_epoch **ev, size_t *n, uint32_t epoch, int init)
{
	struct rp_epoch	*e;
	size_t		 i;

	for (i = 0; i < *n; i++)
		if ((*ev)[i].epoch == epoch && (*ev)[i].initiator == init)
			return &(*ev)[i];
	*ev = xreallocarray(*ev, *n + 1, sizeof **ev);
	e = &(*ev)[(*n)++];
	memset(e, 0, sizeof *e);
	e->epoch = epoch;
	e->initiator = init;
	return e;
}

/* Epochs from decoded EPOCH_START, EPOCH_SUMMARY and EPOCH_PLAN. */
static size_t
rp_epochs(const struct gt *g, struct rp_epoch **ev, uint64_t *undecoded)
{
	const struct gt_dgram	*dg;
	struct rp_epoch		*e;
	size_t			 i, n = 0;

	*ev = NULL;
	*undecoded = 0;
	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		if (gt_fam_of_type(dg->r.type) != FAM_EPOCH)
			continue;
		if (dg->r.cls != GC_OK) {
			*undecoded += dg->trusted;
			continue;
		}
		/* a summary goes to the initiator, the others come from it */
		e = rp_epoch_find(ev, &n, dg->r.d1,
		    dg->r.type == MSG_EPOCH_SUMMARY ? dg->to : dg->from);
		switch (dg->r.type) {
		case MSG_EPOCH_START:
			if (e->starts++ == 0)
				e->t_start = dg->first;
			e->m = dg->r.d2;
			e->t_ms = dg->r.d3;
			break;
		case MSG_EPOCH_SUMMARY:
			e->sums++;
			e->t_sum = dg->last;
			break;
		case MSG_EPOCH_PLAN:
			if (e->planned++ == 0)
				e->t_plan = dg->first;
			e->plan_m = dg->r.d2;
			e->plan_t = dg->r.d3;
			e->next = dg->r.d4;
			e->minage = dg->r.d64;
			break;
		}
	}
	return n;
}

static void
rp_print_epochs(const struct gt *g)
{
	struct rp_epoch	*ev, *e;
	uint64_t	 undecoded;
	size_t		 i, n;
	char		 sum[32], plan[80], age[24];

	printf("\nepoch timeline (s since the first datagram)\n");
	n = rp_epochs(g, &ev, &undecoded);
	if (n == 0 && undecoded == 0)
		printf("  no epoch messages: no epoch of global replacement "
		    "ran in this trace\n");
	if (n > 0)
		printf("  %6s %-10s %10s %6s %16s %10s %11s %6s %6s %s\n",
		    "epoch", "initiator", "start", "starts", "summaries (ms)",
		    "plan", "MinAge (ms)", "M", "T (ms)", "next");
	for (i = 0; i < n; i++) {
		e = &ev[i];
		printf("  %6u %-10.10s ", e->epoch, g->epv[e->initiator]->name);
		if (e->starts > 0)
			printf("%10.6f %6u ", gt_rel(g, e->t_start), e->starts);
		else
			printf("%10s %6s ", "-", "-");
		if (e->sums > 0 && e->starts > 0)
			snprintf(sum, sizeof sum, "%u, +%.3f", e->sums,
			    (double)(e->t_sum - e->t_start) / 1e6);
		else
			snprintf(sum, sizeof sum, "%u", e->sums);
		if (e->minage == UINT64_MAX)	/* EPOCH_AGE_FREE: all free */
			snprintf(age, sizeof age, "free");
		else
			snprintf(age, sizeof age, "%" PRIu64, e->minage);
		if (e->planned)
			snprintf(plan, sizeof plan, "%10.6f %11s %6u %6u %u",
			    gt_rel(g, e->t_plan), age, e->plan_m, e->plan_t,
			    e->next);
		else
			snprintf(plan, sizeof plan, "%10s %11s %6u %6u %s",
			    "-", "-", e->m, e->t_ms, "-");
		printf("%16s %s\n", sum, plan);
	}
	if (undecoded > 0)
		printf("  %" PRIu64 " epoch messages not decoded (%s)\n",
		    undecoded, g->have_key ? "they failed their checks" :
		    "no key: give --key-file or set GMS_KEY");
	free(ev);
}

static void
rp_timeline(const struct gt *g)
{
	const struct gt_dgram	*dg;
	char			 buf[160];
	size_t			 i, shown = 0, total = 0;

	rp_print_epochs(g);
	printf("\nmembership timeline (s since the first datagram)\n");
	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		if (!dg->trusted ||
		    rp_member_event(g, dg, buf, sizeof buf) == NULL)
			continue;
		total++;
		if (shown++ < GT_TIMELINE_MAX)
			printf("  %12.6f  %s\n", gt_rel(g, dg->first), buf);
	}
	if (total == 0)
		printf("  no membership messages\n");
	else if (total > GT_TIMELINE_MAX)
		printf("  ... %zu more (all of them in membership.csv with "
		    "--csv)\n", total - GT_TIMELINE_MAX);
}

/* Anomalies as name/count pairs, shared by the text and CSV forms. */
struct rp_count {
	const char	*name;
	uint64_t	 n;
};

static int
rp_anomalies(const struct gt *g, struct rp_count *c, int max)
{
	uint64_t	retrans = 0, unanswered = 0, foreign = 0, broken = 0;
	uint64_t	frag = 0, truncated = 0;
	int		i, k = 0;

#define A(nm, v) do { if (k < max) { c[k].name = nm; c[k].n = v; k++; } \
} while (0)
	for (i = 0; i < 256; i++)
		retrans += g->retrans[i];
	for (i = 0; i < OP_N; i++)
		unanswered += g->unanswered[i];
	for (i = 0; i < g->nfiles; i++) {
		foreign += g->files[i].st.foreign + g->files[i].notgms;
		broken += g->files[i].st.broken;
		frag += g->files[i].st.frag_lost;
		truncated += g->files[i].truncated;
	}
	A("retransmitted requests", retrans);
	A("replies sent again", g->dup_replies);
	A("replies without a request", g->orphan_replies);
	A("requests without a reply", unanswered);
	A("lost: not in the receiver's trace", g->lost);
	A("bad MACs", g->badmac);
	A("malformed: unknown type", g->malformed[PE_TYPE]);
	A("malformed: wrong length", g->malformed[PE_LENGTH]);
	A("malformed: bad field value", g->malformed[PE_VALUE]);
	A("too short for a header", g->too_short);
	A("cut short by the snap length", g->cut);
	A("other protocol version", g->other_version);
	A("other cluster", g->other_cluster);
	A("node id claimed twice", g->id_clash);
	A("foreign packets", foreign);
	A("broken records", broken);
	A("fragments never completed", frag);
	A("truncated files", truncated);
#undef A
	return k;
}

static void
rp_print_anomalies(const struct gt *g)
{
	struct rp_count	c[32];
	char		buf[16];
	int		i, k, t, first;

	k = rp_anomalies(g, c, 32);
	printf("\nanomalies\n");
	for (i = 0; i < k; i++) {
		printf("  %-34s %8" PRIu64, c[i].name, c[i].n);
		if (i == 0 && c[i].n > 0) {
			printf("  (");
			for (first = 1, t = 0; t < 256; t++) {
				if (g->retrans[t] == 0)
					continue;
				printf("%s%s %" PRIu64, first ? "" : ", ",
				    gt_typename(t, buf, sizeof buf),
				    g->retrans[t]);
				first = 0;
			}
			printf(")");
		}
		printf("\n");
	}
	if (g->wrong_key)
		printf("  no datagram verifies under the key: is it the "
		    "cluster's?\n");
}

void
gtreport_text(const struct gt *g)
{
	rp_head(g);
	rp_nodes(g);
	rp_latency(g);
	rp_breakdown(g);
	rp_types(g);
	rp_pairs(g);
	rp_node_types(g);
	rp_pages(g);
	rp_timeline(g);
	rp_print_anomalies(g);
}

void
gtreport_list(const struct gt *g)
{
	const struct gt_dgram	*dg;
	char			 buf[16];
	size_t			 i;

	printf("\ndatagrams (s since the first; sightings)\n");
	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		printf("  %12.6f %-15s %-15s -> %-15s %016" PRIx64 " %6u "
		    "%-9s %d\n", gt_rel(g, dg->first),
		    gt_typename(dg->r.type, buf, sizeof buf),
		    g->epv[dg->from]->name, g->epv[dg->to]->name,
		    dg->r.reqid, dg->r.len, gt_classname[dg->r.cls], dg->nsight);
	}
}

/* ---- CSV and figures -------------------------------------------------- */

static void
rp_mkdir(const char *dir)
{
	if (mkdir(dir, 0777) == -1 && errno != EEXIST)
		fatal("cannot create the directory %s", dir);
}

static FILE *
rp_fopen(const char *dir, const char *name)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		fatal("cannot write %s", path);
	return f;
}

static void
rp_fclose(FILE *f, const char *dir, const char *name)
{
	if (ferror(f) || fclose(f) != 0)
		fatal("cannot write %s/%s", dir, name);
}

/* Width of a traffic bin: 1, 2 or 5 times a power of ten, 1 us or more. */
static int64_t
rp_bin_ns(const struct gt *g)
{
	static const int	 mul[] = { 1, 2, 5 };
	int64_t			 span = g->t1 - g->t0, p;
	int			 i;

	for (p = 1000;; p *= 10)
		for (i = 0; i < 3; i++)
			if (span / (p * mul[i]) < GT_TRAFFIC_BINS)
				return p * mul[i];
}

static void
rp_traffic(const struct gt *g, const char *dir)
{
	int64_t		 w = rp_bin_ns(g);
	size_t		 nb = (size_t)((g->t1 - g->t0) / w) + 1, b, i;
	uint64_t	(*fam)[FAM_N], *bytes;
	double		 ws = (double)w / 1e9;
	FILE		*f;
	int		 k;

	fam = xcalloc(nb, sizeof *fam);
	bytes = xcalloc(nb, sizeof *bytes);
	for (i = 0; i < g->ndgs; i++) {
		if (!g->dgs[i].trusted)
			continue;
		b = (size_t)((g->dgs[i].first - g->t0) / w);
		fam[b][g->dgs[i].fam]++;
		bytes[b] += g->dgs[i].r.len;
	}
	f = rp_fopen(dir, "traffic.csv");
	fprintf(f, "t_s,bin_s,messages_per_s,mbytes_per_s");
	for (k = 0; k < FAM_N; k++)
		fprintf(f, ",%s_per_s", gt_famname[k]);
	fprintf(f, "\n");
	for (b = 0; b < nb; b++) {
		uint64_t	n = 0;

		for (k = 0; k < FAM_N; k++)
			n += fam[b][k];
		fprintf(f, "%.6f,%.6f,%.1f,%.6f", (double)b * ws, ws,
		    (double)n / ws, (double)bytes[b] / ws / 1e6);
		for (k = 0; k < FAM_N; k++)
			fprintf(f, ",%.1f", (double)fam[b][k] / ws);
		fprintf(f, "\n");
	}
	rp_fclose(f, dir, "traffic.csv");
	free(fam);
	free(bytes);
}

static void
rp_latency_csv(const struct gt *g, const char *dir)
{
	const struct gt_samples	*s;
	FILE			*f;
	size_t			 j;
	int			 i;

	f = rp_fopen(dir, "latency.csv");
	fprintf(f, "operation,count,median_us,p90_us,p99_us,unanswered\n");
	for (i = 0; i < OP_N; i++) {
		s = &g->lat[i];
		if (s->n == 0)
			fprintf(f, "%s,0,,,,%" PRIu64 "\n", gt_opslug[i],
			    g->unanswered[i]);
		else
			fprintf(f, "%s,%zu,%.3f,%.3f,%.3f,%" PRIu64 "\n",
			    gt_opslug[i], s->n, gt_pct(s, 0.5),
			    gt_pct(s, 0.9), gt_pct(s, 0.99), g->unanswered[i]);
	}
	rp_fclose(f, dir, "latency.csv");
	f = rp_fopen(dir, "latency_samples.csv");
	fprintf(f, "operation,latency_us,cdf\n");
	for (i = 0; i < OP_N; i++)
		for (s = &g->lat[i], j = 0; j < s->n; j++)
			fprintf(f, "%s,%.3f,%.6f\n", gt_opslug[i], s->v[j],
			    (double)(j + 1) / (double)s->n);
	rp_fclose(f, dir, "latency_samples.csv");
}

static void
rp_breakdown_csv(const struct gt *g, const char *dir)
{
	const struct gt_samples	*s;
	const struct gt_bdrow	*b;
	FILE			*f;
	size_t			 i;
	int			 k;

	f = rp_fopen(dir, "getpage_breakdown.csv");
	fprintf(f, "component,count,median_us,p90_us\n");
	for (k = 0; k < BD_N; k++) {
		s = &g->bd[k];
		if (s->n == 0)
			fprintf(f, "%s,0,,\n", gt_bdslug[k]);
		else
			fprintf(f, "%s,%zu,%.3f,%.3f\n", gt_bdslug[k], s->n,
			    gt_pct(s, 0.5), gt_pct(s, 0.9));
	}
	rp_fclose(f, dir, "getpage_breakdown.csv");
	f = rp_fopen(dir, "getpage_breakdown_samples.csv");
	fprintf(f, "reqid,requester,gcd_node,holder");
	for (k = 0; k < BD_N; k++)
		fprintf(f, ",%s_us", gt_bdslug[k]);
	fprintf(f, ",latency_us\n");
	for (i = 0; i < g->nbdrows; i++) {
		b = &g->bdrows[i];
		fprintf(f, "0x%016" PRIx64 ",%s,%s,%s", b->reqid,
		    g->epv[b->requester]->name,
		    b->gcd >= 0 ? g->epv[b->gcd]->name : "",
		    g->epv[b->holder]->name);
		for (k = 0; k < BD_N; k++)
			if (b->c[k] < 0)
				fprintf(f, ",");
			else
				fprintf(f, ",%.3f", b->c[k]);
		fprintf(f, ",%.3f\n", b->latency);
	}
	rp_fclose(f, dir, "getpage_breakdown_samples.csv");
}

static void
rp_tables(const struct gt *g, const char *dir)
{
	const struct gt_ep	*e;
	size_t			 n = (size_t)g->neps;
	char			 buf[16], a[32];
	FILE			*f;
	int			 i, j, t;

	f = rp_fopen(dir, "messages.csv");
	fprintf(f, "type,count,bytes\n");
	for (t = 0; t < 256; t++)
		if (g->type_n[t] != 0)
			fprintf(f, "%s,%" PRIu64 ",%" PRIu64 "\n",
			    gt_typename(t, buf, sizeof buf), g->type_n[t],
			    g->type_b[t]);
	rp_fclose(f, dir, "messages.csv");

	f = rp_fopen(dir, "nodes.csv");
	fprintf(f, "node,address,sent,recv,bytes_sent,bytes_recv\n");
	for (i = 0; i < g->nact; i++) {
		e = g->epv[i];
		fprintf(f, "%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		    "\n", e->name, rp_addr(e, a, sizeof a), e->nsent,
		    e->nrecv, e->bsent, e->brecv);
	}
	rp_fclose(f, dir, "nodes.csv");

	f = rp_fopen(dir, "node_types.csv");
	fprintf(f, "node,address,type,sent,recv\n");
	for (i = 0; i < g->nact; i++) {
		e = g->epv[i];
		for (t = 0; t < 256; t++)
			if (e->sent[t] != 0 || e->recv[t] != 0)
				fprintf(f, "%s,%s,%s,%" PRIu64 ",%" PRIu64 "\n",
				    e->name, rp_addr(e, a, sizeof a),
				    gt_typename(t, buf, sizeof buf), e->sent[t],
				    e->recv[t]);
	}
	rp_fclose(f, dir, "node_types.csv");

	f = rp_fopen(dir, "pairs.csv");
	fprintf(f, "from,to,count,bytes,pages\n");
	for (i = 0; i < g->nact; i++)
		for (j = 0; j < g->nact; j++)
			if (g->pair_n[i * n + j] != 0)
				fprintf(f, "%s,%s,%" PRIu64 ",%" PRIu64 ",%"
				    PRIu64 "\n", g->epv[i]->name,
				    g->epv[j]->name, g->pair_n[i * n + j],
				    g->pair_b[i * n + j], g->pages[i * n + j]);
	rp_fclose(f, dir, "pairs.csv");
}

static void
rp_epochs_csv(const struct gt *g, const char *dir)
{
	struct rp_epoch	*ev, *e;
	uint64_t	 undecoded;
	FILE		*f;
	size_t		 i, n;

	f = rp_fopen(dir, "epochs.csv");
	fprintf(f, "epoch,initiator,start_s,starts,summaries,last_summary_s,"
	    "plan_s,minage_ms,m,t_ms,next\n");
	n = rp_epochs(g, &ev, &undecoded);
	for (i = 0; i < n; i++) {
		e = &ev[i];
		fprintf(f, "%u,%s,", e->epoch, g->epv[e->initiator]->name);
		if (e->starts > 0)
			fprintf(f, "%.6f,", gt_rel(g, e->t_start));
		else
			fprintf(f, ",");
		fprintf(f, "%u,%u,", e->starts, e->sums);
		if (e->sums > 0)
			fprintf(f, "%.6f,", gt_rel(g, e->t_sum));
		else
			fprintf(f, ",");
		if (e->planned)
			fprintf(f, "%.6f,%" PRIu64 ",%u,%u,%u\n",
			    gt_rel(g, e->t_plan), e->minage, e->plan_m,
			    e->plan_t, e->next);
		else
			fprintf(f, ",,%u,%u,\n", e->m, e->t_ms);
	}
	free(ev);
	rp_fclose(f, dir, "epochs.csv");
}

static void
rp_events(const struct gt *g, const char *dir)
{
	const struct gt_dgram	*dg;
	struct rp_count		 c[32];
	char			 buf[160], tb[16];
	FILE			*f;
	size_t			 i;
	int			 k, j;

	f = rp_fopen(dir, "membership.csv");
	fprintf(f, "t_s,event\n");
	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		if (dg->trusted &&
		    rp_member_event(g, dg, buf, sizeof buf) != NULL)
			fprintf(f, "%.6f,\"%s\"\n", gt_rel(g, dg->first), buf);
	}
	rp_fclose(f, dir, "membership.csv");

	f = rp_fopen(dir, "anomalies.csv");
	fprintf(f, "anomaly,count\n");
	k = rp_anomalies(g, c, 32);
	for (j = 0; j < k; j++)
		fprintf(f, "%s,%" PRIu64 "\n", c[j].name, c[j].n);
	rp_fclose(f, dir, "anomalies.csv");

	f = rp_fopen(dir, "datagrams.csv");
	fprintf(f, "t_first_s,t_last_s,type,from,to,reqid,bytes,check,"
	    "sightings\n");
	for (i = 0; i < g->ndgs; i++) {
		dg = &g->dgs[i];
		fprintf(f, "%.9f,%.9f,%s,%s,%s,%016" PRIx64 ",%u,%s,%d\n",
		    gt_rel(g, dg->first), gt_rel(g, dg->last),
		    gt_typename(dg->r.type, tb, sizeof tb),
		    g->epv[dg->from]->name, g->epv[dg->to]->name, dg->r.reqid,
		    dg->r.len, gt_classname[dg->r.cls], dg->nsight);
	}
	rp_fclose(f, dir, "datagrams.csv");
}

void
gtreport_csv(const struct gt *g, const char *dir)
{
	rp_mkdir(dir);
	rp_latency_csv(g, dir);
	rp_breakdown_csv(g, dir);
	rp_epochs_csv(g, dir);
	rp_tables(g, dir);
	rp_traffic(g, dir);
	rp_events(g, dir);
}

/* Data files for gnuplot: CDFs as blocks, the page matrix as a grid. */
static void
rp_plot_data(const struct gt *g, const char *dir)
{
	const struct gt_samples	*s;
	size_t			 n = (size_t)g->neps, j;
	FILE			*f;
	int			 i, k;

	f = rp_fopen(dir, "latency_cdf.dat");
	for (i = 0; i < OP_N; i++) {
		s = &g->lat[i];
		if (s->n == 0)
			continue;
		fprintf(f, "# %s\n", gt_opname[i]);
		for (j = 0; j < s->n; j++)
			fprintf(f, "%.3f %.6f\n", s->v[j],
			    (double)(j + 1) / (double)s->n);
		fprintf(f, "\n\n");
	}
	rp_fclose(f, dir, "latency_cdf.dat");
	f = rp_fopen(dir, "pages.dat");
	for (i = 0; i < g->nact; i++) {
		for (k = 0; k < g->nact; k++)
			fprintf(f, "%s%" PRIu64, k ? " " : "",
			    g->pages[(size_t)i * n + (size_t)k]);
		fprintf(f, "\n");
	}
	rp_fclose(f, dir, "pages.dat");
}

static void
rp_plot_script(const struct gt *g, FILE *f)
{
	const char	*sep = "";
	int		 i, k;

	fprintf(f, "set terminal pngcairo size 900,560\nset datafile "
	    "separator whitespace\nset grid\n");
	fprintf(f, "set output 'latency_cdf.png'\nset title 'GMS operation "
	    "latency: request sent to reply received'\nset xlabel "
	    "'latency (us)'\nset ylabel 'fraction of operations'\nset "
	    "logscale x\nset yrange [0:1]\nset key bottom right\nplot ");
	/* the CDF data holds every operation with samples, in order */
	for (k = 0, i = 0; i < OP_N; i++) {
		if (g->lat[i].n == 0)
			continue;
		if (i >= OP_JOIN) {	/* membership: not worth a curve */
			k++;
			continue;
		}
		fprintf(f, "%s'latency_cdf.dat' index %d using 1:2 with steps "
		    "lw 2 title '%s (%zu)'", sep, k++, gt_opname[i],
		    g->lat[i].n);
		sep = ", \\\n    ";
	}
	if (*sep == '\0')
		fprintf(f, "NaN title 'no page operation with a reply'");
	fprintf(f, "\nunset logscale x\nset yrange [*:*]\n");
	fprintf(f, "set output 'traffic.png'\nset title 'GMS traffic over "
	    "time'\nset xlabel 'time since the first datagram (s)'\nset "
	    "ylabel 'messages per second'\nset datafile separator ','\nset "
	    "key top right\nplot ");
	for (i = 0; i < FAM_N; i++)
		fprintf(f, "%s'traffic.csv' using 1:%d with steps lw 2 "
		    "title '%s'", i ? ", \\\n    " : "", 5 + i, gt_famname[i]);
	fprintf(f, "\nset datafile separator whitespace\n");
	fprintf(f, "set output 'pages.png'\nset title 'Page movement: PAGE "
	    "and PUTPAGE datagrams from row to column'\nset xlabel 'to node'"
	    "\nset ylabel 'from node'\nunset grid\nset view map\nset yrange "
	    "[] reverse\nset palette defined (0 'white', 1 '#fdd49e', 2 "
	    "'#ef6548', 3 '#7f0000')\nset xtics (");
	for (i = 0; i < g->nact; i++)
		fprintf(f, "%s'%s' %d", i ? ", " : "", g->epv[i]->name, i);
	fprintf(f, ")\nset ytics (");
	for (i = 0; i < g->nact; i++)
		fprintf(f, "%s'%s' %d", i ? ", " : "", g->epv[i]->name, i);
	fprintf(f, ")\nplot 'pages.dat' matrix with image notitle, '' matrix "
	    "using 1:2:(sprintf('%%d', $3)) with labels notitle\n");
}

void
gtreport_plot(const struct gt *g, const char *dir)
{
	FILE	*f;
	pid_t	 pid;
	int	 status;

	rp_mkdir(dir);
	gtreport_csv(g, dir);	/* traffic.csv is the figure's data */
	rp_plot_data(g, dir);
	f = rp_fopen(dir, "plot.gp");
	rp_plot_script(g, f);
	rp_fclose(f, dir, "plot.gp");
	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		if (chdir(dir) == -1)
			_exit(126);
		execlp("gnuplot", "gnuplot", "plot.gp", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		fatal("waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fatalx("--plot: gnuplot is not installed (install gnuplot-nox, "
		    "or run experiments/install-deps.sh)");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fatalx("--plot: gnuplot failed on %s/plot.gp", dir);
}

