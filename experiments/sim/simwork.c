/*
 * simwork.c: the simulator's workloads (see sim.h).  Each node that is not
 * idle makes a stream of page references: sequential, uniformly random or
 * Zipf over a working set of ws pages, or the node's lines of a recorded
 * trace.  Every synthetic stream draws from its own generator, seeded from
 * the run's seed and the node id, so the same node makes the same
 * references under every policy.
 *
 * Trace format (one reference a line; '#' starts a comment):
 *
 *	time_us node pgno [r|w]
 *
 * time_us is when the node makes the reference on a machine where every
 * reference hits (microseconds from the start, non-decreasing per node);
 * gmssim keeps the gaps between a node's references and adds the time its
 * faults take.  node is 1 .. --nodes; pgno a page of that node; r (the
 * default) reads, w writes (the page becomes dirty).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gms/log.h"
#include "gms/xmalloc.h"

#include "experiments/sim/sim.h"

#define SIM_WS_MAX		(1ULL << 28)	/* pages in a working set */
#define SIM_THINK_US_DEFAULT	10	/* us between two references */
#define SIM_LINE_MAX		256	/* bytes in a trace line */

/* Zipf CDFs, shared by the workloads with the same ws and s. */
struct simwork_cdf {
	uint64_t		 ws;
	double			 s;
	double			*cdf;
	struct simwork_cdf	*next;
};

static struct simwork_cdf	*simwork_cdfs;

static uint64_t	 simwork_mix(uint64_t);
static int	 simwork_num(const char *, uint64_t, uint64_t *);
static const double *simwork_zipf_cdf(uint64_t, double);
static uint64_t	 simwork_zipf(const struct sim_work *, uint64_t);
static int	 simwork_trace_line(struct sim *, char *, size_t, char *,
		    size_t);

/* splitmix64's finalizer, to derive one stream's seed from the run's. */
static uint64_t
simwork_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A decimal number no larger than max; only digits. */
static int
simwork_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0, d;

	if (*s == '\0')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (uint64_t)(*s - '0');
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*s != '\0')
		return -1;
	*out = v;
	return 0;
}

/* One key=val of a --node spec that belongs to the workload. */
int
simwork_parse(struct sim_work *w, const char *key, const char *val, char *err,
    size_t errlen)
{
	uint64_t	 v;
	char		*end;
	double		 d;

	if (strcmp(key, "work") == 0) {
		if (strcmp(val, "idle") == 0)
			w->kind = SIM_W_IDLE;
		else if (strcmp(val, "seq") == 0)
			w->kind = SIM_W_SEQ;
		else if (strcmp(val, "uniform") == 0)
			w->kind = SIM_W_UNIFORM;
		else if (strcmp(val, "zipf") == 0)
			w->kind = SIM_W_ZIPF;
		else {
			snprintf(err, errlen, "work=%s: one of idle, seq, "
			    "uniform, zipf (a trace comes with --trace)", val);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "s") == 0 || strcmp(key, "think") == 0) {
		errno = 0;
		d = strtod(val, &end);
		if (errno != 0 || end == val || *end != '\0' || !(d >= 0) ||
		    d > 1e6) {
			snprintf(err, errlen, "%s=%s: not a number from 0 to "
			    "1000000", key, val);
			return -1;
		}
		if (key[0] == 's')
			w->s = d;
		else
			w->think_ns = (uint64_t)llround(d * SIM_NS_PER_US);
		return 0;
	}
	if (strcmp(key, "ws") == 0 || strcmp(key, "refs") == 0 ||
	    strcmp(key, "write") == 0) {
		if (simwork_num(val, key[0] == 'w' && key[1] == 'r' ? 100 :
		    key[0] == 'w' ? SIM_WS_MAX : UINT64_MAX / 2, &v) == -1) {
			snprintf(err, errlen, "%s=%s: not a number in range",
			    key, val);
			return -1;
		}
		if (strcmp(key, "ws") == 0)
			w->ws = v;
		else if (strcmp(key, "refs") == 0)
			w->refs = v;
		else
			w->write_pct = (unsigned int)v;
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s' (mem, work, ws, refs, s, "
	    "write, think)", key);
	return -1;
}

/* Defaults, then whether the workload can run. */
int
simwork_check(const struct sim_work *w, char *err, size_t errlen)
{
	if (w->kind == SIM_W_IDLE || w->kind == SIM_W_TRACE)
		return 0;
	if (w->ws == 0) {
		snprintf(err, errlen, "a %s workload needs ws=PAGES",
		    w->kind == SIM_W_SEQ ? "seq" : w->kind == SIM_W_ZIPF ?
		    "zipf" : "uniform");
		return -1;
	}
	return 0;
}

static const double *
simwork_zipf_cdf(uint64_t ws, double s)
{
	struct simwork_cdf	*c;
	double			 sum = 0;
	uint64_t		 k;

	for (c = simwork_cdfs; c != NULL; c = c->next) {
		if (c->ws == ws && c->s == s)
			return c->cdf;
	}
	c = xcalloc(1, sizeof *c);
	c->ws = ws;
	c->s = s;
	c->cdf = xcalloc(ws, sizeof *c->cdf);
	for (k = 0; k < ws; k++) {
		sum += 1.0 / pow((double)(k + 1), s);
		c->cdf[k] = sum;
	}
	for (k = 0; k < ws; k++)
		c->cdf[k] /= sum;
	c->next = simwork_cdfs;
	simwork_cdfs = c;
	return c->cdf;
}

void
simwork_free(void)
{
	struct simwork_cdf	*c;

	while ((c = simwork_cdfs) != NULL) {
		simwork_cdfs = c->next;
		free(c->cdf);
		free(c);
	}
}

/* The first rank whose cumulative probability exceeds the draw. */
static uint64_t
simwork_zipf(const struct sim_work *w, uint64_t draw)
{
	double		u = (double)(draw >> 11) * 0x1p-53;
	uint64_t	lo = 0, hi = w->ws - 1, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void
simwork_init(struct sim *sim, struct sim_node *n)
{
	struct sim_work	*w = &n->work;

	epoch_rng_seed(&w->rng, simwork_mix(simwork_mix(sim->cfg.seed) ^
	    ((uint64_t)n->id << 8 | 1)));
	if (w->kind == SIM_W_ZIPF)
		w->cdf = simwork_zipf_cdf(w->ws, w->s);
	if (w->kind == SIM_W_TRACE)
		w->refs = w->ntr;
	if (w->think_ns == SIM_THINK_UNSET)
		w->think_ns = SIM_THINK_US_DEFAULT * SIM_NS_PER_US;
}

/* The next reference and the time before it; -1 when the work is done. */
int
simwork_next(struct sim_node *n, uint64_t *pgno, int *write, uint64_t *gap)
{
	struct sim_work	*w = &n->work;
	uint64_t	 i = w->issued;

	if (w->kind == SIM_W_IDLE || i >= w->refs)
		return -1;
	w->issued++;
	*write = 0;
	if (w->kind == SIM_W_TRACE) {
		*pgno = w->tr[i].pgno;
		*write = w->tr[i].write;
		*gap = (i == 0 ? w->tr[0].t_us : w->tr[i].t_us -
		    w->tr[i - 1].t_us) * SIM_NS_PER_US;
		return 0;
	}
	*gap = i == 0 ? 0 : w->think_ns;
	switch (w->kind) {
	case SIM_W_SEQ:
		*pgno = i % w->ws;
		break;
	case SIM_W_UNIFORM:
		*pgno = epoch_draw_below(epoch_rng_next(&w->rng), w->ws);
		break;
	default:
		*pgno = simwork_zipf(w, epoch_rng_next(&w->rng));
		break;
	}
	if (w->write_pct >= 100)
		*write = 1;
	else if (w->write_pct > 0)
		*write = epoch_draw_below(epoch_rng_next(&w->rng), 100) <
		    w->write_pct;
	return 0;
}

const char *
simwork_name(const struct sim_work *w, char *buf, size_t len)
{
	switch (w->kind) {
	case SIM_W_IDLE:
		snprintf(buf, len, "idle");
		break;
	case SIM_W_SEQ:
		snprintf(buf, len, "seq(%llu)", (unsigned long long)w->ws);
		break;
	case SIM_W_UNIFORM:
		snprintf(buf, len, "uniform(%llu)",
		    (unsigned long long)w->ws);
		break;
	case SIM_W_ZIPF:
		snprintf(buf, len, "zipf(%llu,%.2f)",
		    (unsigned long long)w->ws, w->s);
		break;
	case SIM_W_TRACE:
		snprintf(buf, len, "trace");
		break;
	}
	return buf;
}

/* One line of a trace: "time_us node pgno [r|w]". */
static int
simwork_trace_line(struct sim *sim, char *line, size_t lineno, char *err,
    size_t errlen)
{
	char		*f[5], *save = NULL, *c;
	uint64_t	 t, node, pgno;
	struct sim_work	*w;
	int		 nf = 0;

	if ((c = strchr(line, '#')) != NULL)
		*c = '\0';
	for (c = strtok_r(line, " \t\r\n", &save); c != NULL && nf < 5;
	    c = strtok_r(NULL, " \t\r\n", &save))
		f[nf++] = c;
	if (nf == 0)
		return 0;
	if (nf < 3 || nf > 4 || simwork_num(f[0], UINT64_MAX / 2000, &t) ||
	    simwork_num(f[1], sim->cfg.nnodes, &node) || node == 0 ||
	    simwork_num(f[2], UINT64_MAX, &pgno) || (nf == 4 &&
	    strcmp(f[3], "r") != 0 && strcmp(f[3], "w") != 0)) {
		snprintf(err, errlen, "line %zu: not \"time_us node pgno "
		    "[r|w]\" with node 1..%u", lineno, sim->cfg.nnodes);
		return -1;
	}
	w = &sim_node(sim, (uint32_t)node)->work;
	if (w->kind != SIM_W_IDLE && w->kind != SIM_W_TRACE) {
		snprintf(err, errlen, "line %zu: node %llu has a --node "
		    "workload too", lineno, (unsigned long long)node);
		return -1;
	}
	if (w->ntr > 0 && t < w->tr[w->ntr - 1].t_us) {
		snprintf(err, errlen, "line %zu: time goes back for node "
		    "%llu", lineno, (unsigned long long)node);
		return -1;
	}
	if (w->ntr == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->tr = xreallocarray(w->tr, w->cap, sizeof *w->tr);
	}
	w->kind = SIM_W_TRACE;
	w->tr[w->ntr].t_us = t;
	w->tr[w->ntr].pgno = pgno;
	w->tr[w->ntr].write = nf == 4 && f[3][0] == 'w';
	w->ntr++;
	return 0;
}

int
simwork_trace_load(struct sim *sim, const char *path, char *err,
    size_t errlen)
{
	char	 line[SIM_LINE_MAX], sub[SIM_LINE_MAX];
	FILE	*f;
	size_t	 lineno = 0;
	int	 rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "line %zu: longer than %d bytes",
			    lineno, SIM_LINE_MAX - 2);
			rc = -1;
			break;
		}
		if (simwork_trace_line(sim, line, lineno, sub,
		    sizeof sub) == -1) {
			snprintf(err, errlen, "%s: %s", path, sub);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "cannot read %s", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}
