/*
 * pager.c: the memory of this node's programs (DESIGN.md, "The shape").
 *
 * A program hands gmsd a region: a memfd it has mapped and a userfaultfd
 * registered on it (libgms).  From then on gmsd alone decides which pages
 * are resident, within the node's one frame budget, shared with the global
 * pages it holds for others (the PFD counts both).  A fault goes:
 *
 *   resident?  -> nothing to do (a stale fault: wake the thread)
 *   cluster    -> getpage through POD -> GCD -> holder (cases 1, 2, 4)
 *   disk       -> the region's backing store, or the mapped file (case 3)
 *
 * Pages are installed write-protected, so the first store traps and marks
 * the page dirty.  Evicting a page write-protects it, copies it out,
 * writes it back if dirty (global pages are always clean), puts it to
 * another node's memory and punches it out of the memfd: a store racing
 * the eviction waits in a write-protect fault and faults the page back.
 *
 * The fault path (README "The fault path"): with --putpage-batch N the
 * node keeps up to N frames free, evicting ahead of need in bursts when
 * the event loop has nothing more urgent, so that a fault normally only
 * fetches and installs; with --prefetch K a sequential stream of faults
 * on a region asks for the next K pages the cluster holds and installs
 * them as they arrive.
 */
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "gms/ctlmsg.h"
#include "gms/log.h"
#include "gms/node.h"
#include "gms/region.h"
#include "gms/store.h"
#include "gms/xmalloc.h"
#include "agesampler/ages.h"

struct pager_region {
	uint32_t	 space;		/* UID space, UID_SHARED for a file */
	struct node	*n;
	struct region	*r;
	struct store	*store;
	struct event	*ev;
	struct ctl_conn	*conn;
	pid_t		 pid;
	uint64_t	 npages;
	int		 file;
	uint64_t	 sample_next;	/* next page the sampler arms */
	uint64_t	 armed_first, armed_n, armed_at;
	uint64_t	 blind_ms;	/* ages_blind_ms while it is sampled */
	uint32_t	*gens;		/* put generation of each page */
	uint8_t		*armed;		/* 1: armed (could be unmapped) */
	uint64_t	 faults, from_cluster, from_disk, wp, evictions;
	uint64_t	 seq_last;	/* last fault's page + 1; 0: none */
	uint64_t	 pf_end;	/* past the last page read ahead */
	UT_hash_handle	 hh;
};

/* A fault waiting for its page from the cluster or the disk. */
struct pager_fetch {
	struct uid	 uid;
	uint32_t	 space;
	uint64_t	 pgno;
	int		 prefetch;	/* read ahead, no fault yet */
	int		 waited;	/* a fault waits for it */
	UT_hash_handle	 hh;
};
static struct pager_fetch	*pager_fetches;

#define PAGER_BATCH_SHARE	16	/* frames kept free or read ahead:
					   at most 1/16 of the frames */
#define PAGER_MIN_FRAMES	256	/* and none below 256 frames */

static void	pager_refill_later(struct node *, uint32_t hint);

static struct pager_region *
pager_find(struct node *n, uint32_t space)
{
	struct pager_region	*pr;

	HASH_FIND(hh, n->regions, &space, sizeof space, pr);
	return pr;
}

static void
pager_uid(struct node *n, const struct pager_region *pr, uint64_t pgno,
    struct uid *uid)
{
	uid->node = pr->file ? 0 : n->id;
	uid->space = pr->space;
	uid->pgno = pgno;
}

/* The region of a PFD page, if it is one of ours. */
static struct pager_region *
pager_of(struct node *n, const struct uid *uid)
{
	if (uid_is_shared(uid) ? uid->node != 0 : uid->node != n->id)
		return NULL;
	return pager_find(n, uid->space);
}

/*
 * Something the program cannot survive: say so, and end it.  libgms prints
 * why and exits (GMS_EXIT_STORE); a client without it is sent SIGBUS.
 */
static void
pager_kill(struct pager_region *pr, const char *why)
{
	char	msg[512];

	snprintf(msg, sizeof msg, "gmsd at %s %s: %s; this process's GMS "
	    "memory is lost", pr->n->dir, why, strerror(errno));
	log_warnx("region %u of process %d: %s", pr->space, (int)pr->pid, msg);
	if (pr->conn != NULL)
		ctl_conn_lost(pr->conn, msg);
	else if (pr->pid > 0)
		(void)kill(pr->pid, SIGBUS);
}

/*
 * The page of a fault arrived (status 0: from the cluster) or did not (read
 * the backing store).  Install it first, so the faulting thread goes on at
 * once, and make room in the budget after: the node is over its budget by
 * at most the pages being installed, for the time of one eviction.
 */
static void
pager_fetched(struct node *n, int status, const uint8_t *page, void *arg)
{
	struct pager_fetch	*f = arg;
	struct pager_region	*pr;
	struct pfd_page		*pg;
	const uint8_t		*data = page;
	uint32_t		 from = status == 0 ? n->get_from : 0;
	int			 flags;

	HASH_DEL(pager_fetches, f);
	pr = pager_find(n, f->space);
	if (pr == NULL)		/* unmapped meanwhile */
		goto done;
	if (f->prefetch && status != 0 && !f->waited)
		goto done;	/* read ahead, not in memory: no disk read */
	if (f->prefetch && pfd_lookup(n->pfd, &f->uid) != NULL) {
		(void)region_wake(pr->r, f->pgno);	/* here already */
		goto done;
	}
	if (status == 0 && f->prefetch) {
		n->st.prefetch_installed++;
	} else if (status == 0) {
		pr->from_cluster++;
		n->st.faults_cluster++;
	} else {
		if (store_read(pr->store, f->pgno, n->fetchbuf) == -1) {
			pager_kill(pr, "cannot read its backing store");
			goto done;
		}
		data = n->fetchbuf;
		pr->from_disk++;
		n->st.faults_disk++;
	}
	if (region_install(pr->r, f->pgno, data, !pr->file) == -1 &&
	    errno != ESRCH)
		log_warn("installing page %llu of region %u",
		    (unsigned long long)f->pgno, pr->space);
	/* data may point into a buffer the eviction below reuses */
	flags = pr->file ? PFD_SHARED : 0;
	/* a free frame: the page owed to the giver leaves with the refill */
	if (pfd_nfree(n->pfd) == 0)
		from = 0;
	pg = pages_take_frame(n, &f->uid, PFD_LOCAL, flags, node_now_ms(),
	    PFD_KANY, from);
	if (pg == NULL)
		log_warnx("no frame for a faulting page: over budget");
	if (pr->file && pg != NULL)
		pages_note_holder(n, &f->uid, 1);	/* case 4 */
	pager_refill_later(n, from);
done:
	free(f);
}

/*
 * Frames kept free or read ahead: at most a sixteenth of the node's
 * frames, and none on a node of fewer than PAGER_MIN_FRAMES (which pages
 * exactly as without the fault path's settings).
 */
static uint32_t
pager_share(const struct node *n, uint32_t want)
{
	uint32_t	max = n->nframes / PAGER_BATCH_SHARE;

	if (n->nframes < PAGER_MIN_FRAMES)
		return 0;
	return want < max ? want : max;
}

static uint32_t
pager_batch(const struct node *n)
{
	return pager_share(n, n->putpage_batch);
}

uint32_t
pager_nfree_idle(struct node *n)
{
	uint32_t	nfree = pfd_nfree(n->pfd);
	uint32_t	kept = HASH_COUNT(n->regions) > 0 ? pager_batch(n) : 0;

	return nfree > kept ? nfree - kept : 0;
}

static void
pager_refill(evutil_socket_t fd, short what, void *arg)
{
	struct node	*n = arg;
	uint32_t	 batch = pager_batch(n), owed;
	int		 k = 0;

	(void)fd;
	(void)what;
	/*
	 * Cases 1 and 2: a page back to the node that gave us one, for each
	 * page it gave (the last giver only: what was owed to an earlier
	 * one goes where the epoch's plan says); the rest by the plan.
	 */
	if (n->refill_owed > 0) {
		owed = n->refill_owed < batch ? n->refill_owed : batch;
		k = pages_make_room(n, batch, (int)owed, n->refill_hint);
		n->refill_owed -= (uint32_t)k < owed ? (uint32_t)k : owed;
	}
	k += pages_make_room(n, batch, (int)batch - k, 0);	/* the plan's */
	n->st.evict_ahead += (uint64_t)k;
}

/*
 * Keep frames free ahead of the next faults: when fewer than half of
 * --putpage-batch are free, evict the oldest pages in one burst, at the
 * event loop's lowest priority (after the faults and datagrams already
 * waiting).  A fault that finds no free frame meanwhile evicts inline.
 */
static void
pager_refill_later(struct node *n, uint32_t hint)
{
	uint32_t	low = pager_batch(n) / 2;

	if (pager_batch(n) == 0)
		return;
	if (hint != 0 && hint == n->refill_hint) {
		if (n->refill_owed < pager_batch(n))
			n->refill_owed++;
	} else if (hint != 0) {	/* cases 1 and 2: back to the giver */
		n->refill_hint = hint;
		n->refill_owed = 1;
	}
	if (pfd_nfree(n->pfd) >= (low > 0 ? low : 1))
		return;
	if (n->refill_ev == NULL) {
		n->refill_ev = event_new(n->base, -1, 0, pager_refill, n);
		if (n->refill_ev == NULL)
			fatalx("cannot create an event");
		(void)event_priority_set(n->refill_ev, NODE_PRI_IDLE);
	}
	event_active(n->refill_ev, EV_TIMEOUT, 1);
}

/* Read ahead one page the cluster holds (it is not here, not coming). */
static void
pager_prefetch_one(struct pager_region *pr, uint64_t pgno)
{
	struct node		*n = pr->n;
	struct pager_fetch	*f;
	struct uid		 uid;
	uint32_t		 holder;

	pager_uid(n, pr, pgno, &uid);
	HASH_FIND(hh, pager_fetches, &uid, sizeof uid, f);
	if (f != NULL || pfd_lookup(n->pfd, &uid) != NULL)
		return;
	/* our own page's GCD entry is here: ask only if memory has it */
	if (pod_gcd_node(n->pod, &uid) == n->id &&
	    gcd_holders(n->gcd, &uid, &holder, 1) == 0)
		return;
	f = xcalloc(1, sizeof *f);
	f->uid = uid;
	f->space = pr->space;
	f->pgno = pgno;
	f->prefetch = 1;
	HASH_ADD(hh, pager_fetches, uid, sizeof f->uid, f);
	n->st.prefetch_sent++;
	pages_get(n, &uid, 0, pager_fetched, f);
}

/*
 * A fault on the page after the last fault, or inside or just past the
 * window read ahead, continues a sequential stream: read ahead up to
 * --prefetch pages past it (see pager_share).  Any other fault ends the
 * stream.
 */
static void
pager_stream(struct pager_region *pr, uint64_t pgno)
{
	uint64_t	p, end, last = pr->seq_last;
	uint32_t	k = pager_share(pr->n, pr->n->prefetch);

	pr->seq_last = pgno + 1;
	if (k == 0 || pr->n->policy == POLICY_LOCAL)
		return;
	if (last == 0 || pgno < last || pgno > (pr->pf_end > last ?
	    pr->pf_end : last)) {
		pr->pf_end = 0;
		return;
	}
	end = pgno + 1 + k;
	if (end > pr->npages)
		end = pr->npages;
	for (p = pr->pf_end > pgno + 1 ? pr->pf_end : pgno + 1; p < end; p++)
		pager_prefetch_one(pr, p);
	pr->pf_end = end;
}

static void
pager_fault(struct pager_region *pr, uint64_t pgno)
{
	struct node		*n = pr->n;
	struct pager_fetch	*f;
	struct pfd_page		*pg;
	struct uid		 uid;

	if (pgno >= pr->npages)
		return;
	pager_uid(n, pr, pgno, &uid);
	HASH_FIND(hh, pager_fetches, &uid, sizeof uid, f);
	if (f != NULL) {	/* being fetched: the install wakes it */
		if (f->prefetch && !f->waited) {
			f->waited = 1;
			n->st.prefetch_waited++;
			pager_stream(pr, pgno);
		}
		return;
	}
	if ((pg = pfd_lookup(n->pfd, &uid)) != NULL && pg->kind == PFD_LOCAL) {
		(void)region_wake(pr->r, pgno);	/* resident: stale */
		return;
	}
	if (pg != NULL)		/* a global copy of our own page: drop it */
		pfd_remove(n->pfd, pg);
	pr->faults++;
	n->st.faults++;
	f = xcalloc(1, sizeof *f);
	f->uid = uid;
	f->space = pr->space;
	f->pgno = pgno;
	HASH_ADD(hh, pager_fetches, uid, sizeof f->uid, f);
	pages_get(n, &uid, 0, pager_fetched, f);
	pager_stream(pr, pgno);
}

/* First store to a clean page: it is dirty from now on. */
static void
pager_wp(struct pager_region *pr, uint64_t pgno)
{
	struct node	*n = pr->n;
	struct pfd_page	*pg;
	struct uid	 uid;

	pager_uid(n, pr, pgno, &uid);
	if ((pg = pfd_lookup(n->pfd, &uid)) == NULL) {
		(void)region_wake(pr->r, pgno);	/* evicted: refault */
		return;
	}
	pr->wp++;
	n->st.wp_faults++;
	pages_invalidate(n, &uid);
	pfd_set_flags(n->pfd, pg, PFD_DIRTY, 0);
	pfd_touch(n->pfd, pg, node_now_ms());
	(void)region_make_writable(pr->r, pgno);
}

/*
 * A program that faults again as soon as a fault is served keeps its
 * userfaultfd readable: served from the disk (milliseconds each under a
 * disk model) such a stream held the loop here for seconds, heartbeats
 * went unsent, and the node was declared dead.  One turn of the event
 * loop serves at most PAGER_TURN_FAULTS faults or PAGER_TURN_US of them;
 * the rest wait for the next turn, after the datagrams and timers.
 */
#define PAGER_TURN_FAULTS	64
#define PAGER_TURN_US		1000

static uint64_t	pager_now_us(void);

static void
pager_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pager_region	*pr = arg;
	struct region_fault	 f;
	uint64_t		 t0 = pager_now_us();
	int			 served = 0;

	(void)fd;
	(void)what;
	for (;;) {
		if (served == PAGER_TURN_FAULTS ||
		    pager_now_us() - t0 >= PAGER_TURN_US) {
			/* faults read but not served: no poll would tell */
			if (region_faults_buffered(pr->r))
				event_active(pr->ev, EV_READ, 0);
			return;
		}
		if (region_next_fault(pr->r, &f) == -1)
			break;
		served++;
		switch (f.kind) {
		case REGION_FAULT_MISSING:
			pager_fault(pr, f.pgno);
			break;
		case REGION_FAULT_WP:
			pager_wp(pr, f.pgno);
			break;
		case REGION_FAULT_MINOR:
			(void)region_continue(pr->r, f.pgno, 1);
			break;
		}
	}
	if (errno != EAGAIN)
		log_warn("reading faults of region %u", pr->space);
}

int
pager_evict(struct node *n, struct pfd_page *pg, uint32_t hint)
{
	struct pager_region	*pr = pager_of(n, &pg->uid);
	struct uid		 uid = pg->uid;
	uint64_t		 pgno = pg->uid.pgno;
	uint32_t		 age;
	int			 dirty = pg->flags & PFD_DIRTY;

	if (pr == NULL || pg->kind != PFD_LOCAL)
		return -1;
	age = pages_age32(n, pg);
	pr->evictions++;
	n->st.evict_local++;
	if (pr->file) {		/* clean, and the file has it */
		if (n->policy == POLICY_LOCAL || hint == PAGES_NOWHERE ||
		    region_copy_out(pr->r, pgno, n->pagebuf) == -1) {
			pfd_remove(n->pfd, pg);
			pages_note_holder(n, &uid, 0);
		} else		/* into idle memory, like a private page */
			pages_put_to(n, &uid, n->pagebuf, hint, age, 0, NULL,
			    NULL);
		(void)region_evict_end(pr->r, pgno);
		return 0;
	}
	/* from here no store can change the page until evict_end */
	if (dirty && region_evict_begin(pr->r, pgno) == -1 && errno != ESRCH)
		log_warn("write-protecting page %llu", (unsigned long long)pgno);
	if (region_copy_out(pr->r, pgno, n->pagebuf) == -1)
		memset(n->pagebuf, 0, n->page_size);	/* client gone */
	if (dirty) {
		if (store_write(pr->store, pgno, n->pagebuf) == -1) {
			/* the page stays resident, never read back stale,
			 * until the region goes; its frame stays taken */
			pager_kill(pr, "cannot write to its backing store");
			return 0;
		}
		n->st.writebacks++;
	}
	/* clean now: it may become a global page elsewhere */
	if (n->policy == POLICY_LOCAL || hint == PAGES_NOWHERE)
		pfd_remove(n->pfd, pg);
	else
		pages_put_to(n, &uid, n->pagebuf, hint, age, 0, NULL, NULL);
	if (region_evict_end(pr->r, pgno) == -1 && errno != ESRCH)
		log_warn("punching page %llu", (unsigned long long)pgno);
	return 0;
}

/* Drop every PFD entry of a region (it is going away). */
static int
pager_drop_one(struct pfd_page *pg, void *arg)
{
	struct pager_region	*pr = arg;
	struct node		*n = pr->n;

	if (pg->kind != PFD_LOCAL || pg->uid.space != pr->space ||
	    pager_of(n, &pg->uid) != pr)
		return 0;
	if (pr->file)
		pages_note_holder(n, &pg->uid, 0);
	pfd_remove(n->pfd, pg);
	return 0;
}

static void
pager_detach(struct node *n, struct pager_region *pr)
{
	struct pager_fetch	*f, *tmp;

	pfd_foreach(n->pfd, pager_drop_one, pr);
	if (!pr->file)
		(void)pages_discard_space(n, pr->space);
	HASH_ITER(hh, pager_fetches, f, tmp)
		if (f->space == pr->space)
			f->space = 0;	/* its completion finds no region */
	HASH_DEL(n->regions, pr);
	free(pr->armed);
	free(pr->gens);
	event_free(pr->ev);
	region_detach(pr->r);
	store_close(pr->store);
	log_info("region %u of process %d unmapped (%llu faults: %llu "
	    "from the cluster, %llu from disk; %llu evictions)", pr->space,
	    (int)pr->pid, (unsigned long long)pr->faults,
	    (unsigned long long)pr->from_cluster,
	    (unsigned long long)pr->from_disk,
	    (unsigned long long)pr->evictions);
	free(pr);
}

/* A stable id of a file for shared pages: the same on every node. */
static uint32_t
pager_file_space(const char *path, uint64_t size)
{
	uint64_t	h = 1469598103934665603ULL;
	const char	*p;

	for (p = path; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	h ^= size * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return (uint32_t)(h & 0x7fffffff) | UID_SHARED | 1;
}

int
pager_map(struct node *n, struct ctl_conn *c, const struct ctl_map *m,
    const char *path, int memfd, int uffd, pid_t pid, uint32_t *space,
    char *err, size_t errlen)
{
	struct pager_region	*pr;
	uint64_t		 npages;

	if (m->len == 0 || m->len % n->page_size != 0 ||
	    m->base % n->page_size != 0) {
		snprintf(err, errlen, "region of %llu bytes at %#llx: length "
		    "and address must be multiples of the page size %u",
		    (unsigned long long)m->len, (unsigned long long)m->base,
		    n->page_size);
		goto fail;
	}
	npages = m->len / n->page_size;
	pr = xcalloc(1, sizeof *pr);
	pr->n = n;
	pr->conn = c;
	pr->pid = pid;
	pr->npages = npages;
	if (m->flags & CTL_MAP_FILE) {
		uint64_t fpages;

		pr->file = 1;
		pr->store = store_open_file(path, n->page_size, n->disk,
		    &fpages, err, errlen);
		if (pr->store == NULL) {
			free(pr);
			goto fail;
		}
		if (fpages > npages) {
			snprintf(err, errlen, "%s has %llu pages, the region "
			    "%llu", path, (unsigned long long)fpages,
			    (unsigned long long)npages);
			store_close(pr->store);
			free(pr);
			goto fail;
		}
		pr->space = pager_file_space(path, m->len);
		if (pager_find(n, pr->space) != NULL) {
			snprintf(err, errlen, "%s is already mapped on this "
			    "node (one mapping of a file per node for now)",
			    path);
			store_close(pr->store);
			free(pr);
			goto fail;
		}
	} else {
		pr->space = PAGER_SPACE_BASE + ++n->next_space;
		pr->store = store_create(n->dir, pr->space, npages,
		    n->page_size, n->disk, err, errlen);
		if (pr->store == NULL) {
			free(pr);
			goto fail;
		}
	}
	pr->r = region_attach(memfd, uffd, pid, (uintptr_t)m->base, m->len,
	    n->page_size);
	memfd = uffd = -1;	/* region_attach owns them now */
	if (pr->r == NULL) {
		snprintf(err, errlen, "cannot take the region over: %s",
		    strerror(errno));
		store_close(pr->store);
		free(pr);
		goto fail;
	}
	if (!pr->file)
		pr->gens = xcalloc(npages, sizeof *pr->gens);
	pr->ev = event_new(n->base, region_fd(pr->r), EV_READ | EV_PERSIST,
	    pager_readable, pr);
	/* a fault first: a thread is stopped until it is served */
	(void)event_priority_set(pr->ev, NODE_PRI_FAULT);
	event_add(pr->ev, NULL);
	HASH_ADD(hh, n->regions, space, sizeof pr->space, pr);
	*space = pr->space;
	log_info("region %u: %llu pages for process %d%s%s", pr->space,
	    (unsigned long long)npages, (int)pid, pr->file ? ", file " : "",
	    pr->file ? path : "");
	return 0;
fail:
	if (memfd != -1)
		close(memfd);
	if (uffd != -1)
		close(uffd);
	return -1;
}

int
pager_unmap(struct node *n, struct ctl_conn *c, uint32_t space)
{
	struct pager_region	*pr = pager_find(n, space);

	if (pr == NULL || pr->conn != c)
		return -1;
	pager_detach(n, pr);
	return 0;
}

void
pager_conn_closed(struct node *n, struct ctl_conn *c)
{
	struct pager_region	*pr, *tmp;

	HASH_ITER(hh, n->regions, pr, tmp)
		if (pr->conn == c)
			pager_detach(n, pr);
}

void
pager_close(struct node *n)
{
	struct pager_region	*pr, *tmp;

	HASH_ITER(hh, n->regions, pr, tmp)
		pager_detach(n, pr);
	if (n->refill_ev != NULL)
		event_free(n->refill_ev);
	n->refill_ev = NULL;
	pages_close(n);
}

int
pager_nregions(struct node *n)
{
	return (int)HASH_COUNT(n->regions);
}

/*
 * One period of the age sampler for one region: pages armed a period ago
 * and mapped again since were referenced; then arm the next window.
 */
static void
pager_sample_region(struct node *n, struct pager_region *pr, uint64_t now,
    unsigned share)
{
	struct pfd_page	*pg;
	struct uid	 uid;
	uint64_t	 i, first, cnt;
	uint8_t		*present;

	if (pr->armed_n > 0) {
		present = xcalloc(pr->armed_n, 1);
		if (region_sample_scan(pr->r, pr->armed_first, pr->armed_n,
		    present) == 0) {
			for (i = 0; i < pr->armed_n; i++) {
				if (!pr->armed[i] || !present[i])
					continue;
				pager_uid(n, pr, pr->armed_first + i, &uid);
				if ((pg = pfd_lookup(n->pfd, &uid)) == NULL)
					continue;
				pfd_touch(n->pfd, pg,
				    ages_ref_time(pr->armed_at, now));
				n->st.referenced++;
				log_debug("sampler: page %llu of region %u "
				    "referenced", (unsigned long long)
				    (pr->armed_first + i), pr->space);
			}
		}
		free(present);
		pr->armed_n = 0;
	}
	ages_window(pr->npages, share, &pr->sample_next, &first, &cnt);
	pr->blind_ms = 0;	/* until a window is armed again */
	if (cnt == 0 || region_sample_arm(pr->r, first, cnt) == -1)
		return;
	pr->blind_ms = ages_blind_ms(pr->npages, share, n->sample_ms);
	free(pr->armed);
	pr->armed = xcalloc(cnt, 1);
	/* a page still mapped right after arming was not armed */
	if (region_sample_scan(pr->r, first, cnt, pr->armed) == -1)
		return;
	for (i = 0; i < cnt; i++)
		pr->armed[i] = !pr->armed[i];
	pr->armed_first = first;
	pr->armed_n = cnt;
	pr->armed_at = now;
	n->st.sampled += cnt;
}

void
pager_sample(struct node *n, uint64_t now, unsigned share)
{
	struct pager_region	*pr, *tmp;

	HASH_ITER(hh, n->regions, pr, tmp)
		pager_sample_region(n, pr, now, share);
}

/*
 * The age of a page as other nodes should see it (epoch summaries, MinAge,
 * the age a put carries): a program's page in a sampled region is counted
 * younger by the sampler's blind interval (agesampler/ages.h).
 */
uint64_t
pager_age(struct node *n, const struct pfd_page *pg, uint64_t now)
{
	struct pager_region	*pr;
	uint64_t		 age = pfd_age(pg, now);

	if (pg->kind != PFD_LOCAL || (pr = pager_of(n, &pg->uid)) == NULL)
		return age;
	return ages_known(age, pr->blind_ms);
}

int
pager_space_live(struct node *n, uint32_t space)
{
	return pager_find(n, space) != NULL;
}

uint32_t *
pager_gen_slot(struct node *n, const struct uid *uid)
{
	struct pager_region	*pr;

	if (uid_is_shared(uid) || uid->node != n->id ||
	    (pr = pager_find(n, uid->space)) == NULL || pr->gens == NULL ||
	    uid->pgno >= pr->npages)
		return NULL;
	return &pr->gens[uid->pgno];
}

/* A resident page of a region, for another node (a shared page, case 4). */
int
pager_copy_out(struct node *n, const struct pfd_page *pg, uint8_t *buf)
{
	struct pager_region	*pr = pager_of(n, &pg->uid);

	if (pr == NULL)
		return -1;
	return region_copy_out(pr->r, pg->uid.pgno, buf);
}

/*
 * The event loop (--poll-us, README "The fault path").  With a poll time,
 * after each wake-up gmsd keeps polling without sleeping for that long,
 * so a reply or a fault arriving soon after is handled without the
 * wake-up of a sleeping thread; it burns the CPU it shares with the
 * program.  Measured on and off in experiments/results/fastpath.md.
 */
static uint64_t
pager_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
pager_loop_done(struct node *n)
{
	return event_base_got_exit(n->base) || event_base_got_break(n->base);
}

void
pager_loop(struct node *n)
{
	uint64_t	t0;

	if (n->poll_us == 0) {
		event_base_dispatch(n->base);
		return;
	}
	for (;;) {
		if (event_base_loop(n->base, EVLOOP_ONCE) == -1 ||
		    pager_loop_done(n))
			return;
		t0 = pager_now_us();
		while (pager_now_us() - t0 < n->poll_us) {
			(void)event_base_loop(n->base, EVLOOP_NONBLOCK);
			if (pager_loop_done(n))
				return;
		}
	}
}
