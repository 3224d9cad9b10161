/*
 * pod.c: the page ownership directory (GMS-REFERENCE.md section 3).
 *
 * Buckets are placed by rendezvous (highest random weight) hashing: bucket b
 * goes to the member, not leaving, with the highest pod_weight(b, id).  A
 * bucket's owner changes only when that member goes or a newcomer outweighs
 * it, so a membership change moves only the buckets of the members that came
 * or went, and every node computes the same table from the same list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gms/xmalloc.h"

#include "directories/pod.h"

#define POD_MFLAGS	POD_MLEAVING	/* member flags we know */

struct pod {
	uint32_t		version;
	int			nmembers;
	struct pod_member	members[POD_MAX_MEMBERS];	/* by id */
	uint8_t			buckets[POD_NBUCKETS];		/* index */
};

static uint64_t	pod_weight(uint32_t, uint32_t);
static int	pod_check_members(const struct pod_member *, int);
static void	pod_sort(struct pod_member *, int);
static void	pod_install(struct pod *, uint32_t, const struct pod_member *,
		    int, const uint8_t *);

/*
 * splitmix64's finalizer over (id, bucket): a bijection, so two members can
 * never tie on one bucket.
 */
static uint64_t
pod_weight(uint32_t bucket, uint32_t id)
{
	uint64_t	x = ((uint64_t)id << 32) | bucket;

	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Members sorted by strictly increasing non-zero id with known flags. */
static int
pod_check_members(const struct pod_member *m, int n)
{
	int	i;

	if (n < 0 || n > POD_MAX_MEMBERS || (n > 0 && m == NULL))
		return -1;
	for (i = 0; i < n; i++) {
		if (m[i].id == 0 || (m[i].flags & ~POD_MFLAGS) != 0)
			return -1;
		if (i > 0 && m[i].id <= m[i - 1].id)
			return -1;
	}
	return 0;
}

/* Insertion sort by id: at most POD_MAX_MEMBERS entries. */
static void
pod_sort(struct pod_member *m, int n)
{
	struct pod_member	t;
	int			i, j;

	for (i = 1; i < n; i++) {
		t = m[i];
		for (j = i; j > 0 && m[j - 1].id > t.id; j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
}

/* The arguments may point into pod itself (a POD set again from its own). */
static void
pod_install(struct pod *pod, uint32_t version, const struct pod_member *m,
    int n, const uint8_t *buckets)
{
	struct pod	new;

	memset(&new, 0, sizeof new);
	new.version = version;
	new.nmembers = n;
	if (n > 0)
		memcpy(new.members, m, (size_t)n * sizeof m[0]);
	memcpy(new.buckets, buckets, sizeof new.buckets);
	*pod = new;
}

struct pod *
pod_create(void)
{
	return xcalloc(1, sizeof(struct pod));
}

void
pod_free(struct pod *pod)
{
	free(pod);
}

int
pod_compute(struct pod *pod, uint32_t version, const struct pod_member *in,
    int n)
{
	struct pod_member	m[POD_MAX_MEMBERS];
	uint8_t			buckets[POD_NBUCKETS];
	uint64_t		w, best;
	int			b, i, owner;

	if (n < 0 || n > POD_MAX_MEMBERS || (n > 0 && in == NULL))
		goto bad;
	if (n > 0)
		memcpy(m, in, (size_t)n * sizeof m[0]);
	pod_sort(m, n);
	if (pod_check_members(m, n) != 0)
		goto bad;

	memset(buckets, 0, sizeof buckets);
	for (b = 0; b < POD_NBUCKETS && n > 0; b++) {
		owner = -1;
		best = 0;
		/* Strictly greater: on a tie the lower id keeps the bucket. */
		for (i = 0; i < n; i++) {
			if (m[i].flags & POD_MLEAVING)
				continue;
			w = pod_weight((uint32_t)b, m[i].id);
			if (owner == -1 || w > best) {
				owner = i;
				best = w;
			}
		}
		if (owner == -1)
			goto bad;	/* everyone is leaving */
		buckets[b] = (uint8_t)owner;
	}

	pod_install(pod, version, m, n, buckets);
	return 0;

bad:
	errno = EINVAL;
	return -1;
}

/*
 * With no members there is no owner to point at: the table must then be all
 * zeros, as pod_buckets() shows an empty POD.
 */
int
pod_set(struct pod *pod, uint32_t version, const struct pod_member *m, int n,
    const uint8_t buckets[POD_NBUCKETS])
{
	int	b;

	if (buckets == NULL || pod_check_members(m, n) != 0)
		goto bad;
	for (b = 0; b < POD_NBUCKETS; b++) {
		if (n == 0) {
			if (buckets[b] != 0)
				goto bad;
			continue;
		}
		if (buckets[b] >= n || (m[buckets[b]].flags & POD_MLEAVING))
			goto bad;
	}

	pod_install(pod, version, m, n, buckets);
	return 0;

bad:
	errno = EINVAL;
	return -1;
}

uint32_t
pod_version(const struct pod *pod)
{
	return pod->version;
}

int
pod_nmembers(const struct pod *pod)
{
	return pod->nmembers;
}

const struct pod_member *
pod_member_at(const struct pod *pod, int i)
{
	if (i < 0 || i >= pod->nmembers)
		return NULL;
	return &pod->members[i];
}

const struct pod_member *
pod_find(const struct pod *pod, uint32_t id)
{
	int	lo = 0, hi = pod->nmembers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pod->members[mid].id == id)
			return &pod->members[mid];
		if (pod->members[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const uint8_t *
pod_buckets(const struct pod *pod)
{
	return pod->buckets;
}

uint32_t
pod_bucket(const struct uid *uid)
{
	return (uint32_t)(uid_hash(uid) % POD_NBUCKETS);
}

/*
 * A private page's entry stays on its owner while the owner is a member that
 * is not leaving, so the owner's own faults need no extra hop (section 3).
 */
uint32_t
pod_gcd_node(const struct pod *pod, const struct uid *uid)
{
	const struct pod_member	*m;

	if (pod->nmembers == 0)
		return 0;
	if (!uid_is_shared(uid) && (m = pod_find(pod, uid->node)) != NULL &&
	    (m->flags & POD_MLEAVING) == 0)
		return uid->node;
	return pod->members[pod->buckets[pod_bucket(uid)]].id;
}

int
pod_quorum(const uint32_t *ids, const uint8_t *heard, int n)
{
	uint32_t	lowest = UINT32_MAX;
	int		i, alive = 0, low_heard = 0;

	for (i = 0; i < n; i++) {
		alive += heard[i] != 0;
		if (ids[i] < lowest) {
			lowest = ids[i];
			low_heard = heard[i] != 0;
		}
	}
	return alive * 2 > n || (alive * 2 == n && low_heard);
}
