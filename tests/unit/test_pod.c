/*
 * test_pod.c: the page ownership directory.  Rendezvous placement is
 * deterministic, independent of input order, balanced and moves only the
 * buckets of members that come or go; private pages stay with their owner;
 * pod_compute and pod_set reject bad input and leave the POD as it was.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "directories/pod.h"
#include "check.h"

static struct pod_member
mem(uint32_t id, uint16_t flags)
{
	struct pod_member	m;

	m.id = id;
	m.addr = 0x7f000001;
	m.port = (uint16_t)(7000 + id);
	m.flags = flags;
	return m;
}

/* The id owning each bucket, so PODs with different members compare. */
static void
owners(const struct pod *pod, uint32_t *out)
{
	const uint8_t	*b = pod_buckets(pod);
	int		 i;

	for (i = 0; i < POD_NBUCKETS; i++)
		out[i] = pod_member_at(pod, b[i])->id;
}

/* Everything a caller can see of a POD, to check it did not change. */
struct snap {
	uint32_t		version;
	int			n;
	struct pod_member	m[POD_MAX_MEMBERS];
	uint8_t			b[POD_NBUCKETS];
};

static void
snap(const struct pod *pod, struct snap *s)
{
	int	i;

	memset(s, 0, sizeof *s);
	s->version = pod_version(pod);
	s->n = pod_nmembers(pod);
	for (i = 0; i < s->n; i++)
		s->m[i] = *pod_member_at(pod, i);
	memcpy(s->b, pod_buckets(pod), POD_NBUCKETS);
}

static int
same(const struct pod *pod, const struct snap *s)
{
	struct snap	now;

	snap(pod, &now);
	return memcmp(&now, s, sizeof now) == 0;
}

static void
test_empty(void)
{
	struct pod	*pod = pod_create();
	struct uid	 u = { 1, 2, 3 }, s = { 0, 2 | UID_SHARED, 3 };
	int		 i, zero = 1;

	CHECK_EQ(pod_version(pod), 0);
	CHECK_EQ(pod_nmembers(pod), 0);
	CHECK(pod_member_at(pod, 0) == NULL);
	CHECK(pod_member_at(pod, -1) == NULL);
	CHECK(pod_find(pod, 1) == NULL);
	CHECK_EQ(pod_gcd_node(pod, &u), 0);
	CHECK_EQ(pod_gcd_node(pod, &s), 0);
	for (i = 0; i < POD_NBUCKETS; i++)
		if (pod_buckets(pod)[i] != 0)
			zero = 0;
	CHECK(zero);
	/* An empty list is a valid POD too. */
	CHECK_EQ(pod_compute(pod, 4, NULL, 0), 0);
	CHECK_EQ(pod_version(pod), 4);
	CHECK_EQ(pod_gcd_node(pod, &u), 0);
	pod_free(pod);
}

static void
test_compute_deterministic(void)
{
	struct pod		*a = pod_create(), *b = pod_create();
	struct pod_member	 m1[5], m2[5];
	uint32_t		 ids[5] = { 17, 3, 42, 8, 1000 };
	uint32_t		 oa[POD_NBUCKETS], ob[POD_NBUCKETS];
	int			 i;

	for (i = 0; i < 5; i++) {
		m1[i] = mem(ids[i], 0);
		m2[4 - i] = mem(ids[i], 0);
	}
	CHECK_EQ(pod_compute(a, 7, m1, 5), 0);
	CHECK_EQ(pod_compute(b, 7, m2, 5), 0);
	CHECK_EQ(pod_version(a), 7);
	CHECK_EQ(pod_nmembers(a), 5);
	CHECK(memcmp(pod_buckets(a), pod_buckets(b), POD_NBUCKETS) == 0);
	for (i = 0; i < 5; i++)
		CHECK(memcmp(pod_member_at(a, i), pod_member_at(b, i),
		    sizeof(struct pod_member)) == 0);

	/* Stored sorted by id, with their addresses. */
	for (i = 1; i < 5; i++)
		CHECK(pod_member_at(a, i - 1)->id < pod_member_at(a, i)->id);
	CHECK_EQ(pod_find(a, 42)->port, 7042);
	CHECK(pod_find(a, 4) == NULL);
	CHECK(pod_find(a, 1000) == pod_member_at(a, 4));
	CHECK(pod_find(a, 3) == pod_member_at(a, 0));

	/* Recomputing gives the same again. */
	owners(a, oa);
	CHECK_EQ(pod_compute(a, 8, m2, 5), 0);
	owners(a, ob);
	CHECK(memcmp(oa, ob, sizeof oa) == 0);
	pod_free(a);
	pod_free(b);
}

static void
test_golden(void)
{
	struct pod		*pod = pod_create();
	struct pod_member	 m[3] = { mem(1, 0), mem(2, 0), mem(3, 0) };
	/* Owners of buckets 0..7 for members 1, 2, 3: a changed hash fails. */
	static const uint32_t	 want[8] = { 2, 2, 1, 2, 3, 2, 3, 3 };
	uint32_t		 o[POD_NBUCKETS];
	int			 i;

	CHECK_EQ(pod_compute(pod, 1, m, 3), 0);
	owners(pod, o);
	for (i = 0; i < 8; i++)
		CHECK_EQ(o[i], want[i]);
	pod_free(pod);
}

static void
test_owners_not_leaving(void)
{
	struct pod		*pod = pod_create();
	struct pod_member	 m[4] = { mem(1, 0), mem(2, POD_MLEAVING),
				     mem(3, 0), mem(4, POD_MLEAVING) };
	uint32_t		 o[POD_NBUCKETS];
	int			 i, n1 = 0, n3 = 0;

	CHECK_EQ(pod_compute(pod, 1, m, 4), 0);
	CHECK_EQ(pod_nmembers(pod), 4);		/* leaving ones are listed */
	owners(pod, o);
	for (i = 0; i < POD_NBUCKETS; i++) {
		CHECK(o[i] == 1 || o[i] == 3);
		n1 += o[i] == 1;
		n3 += o[i] == 3;
	}
	CHECK(n1 > 0 && n3 > 0);
	pod_free(pod);
}

static void
test_gcd_node(void)
{
	struct pod		*pod = pod_create();
	struct pod_member	 m[3] = { mem(1, 0), mem(2, 0),
				     mem(3, POD_MLEAVING) };
	struct uid		 u;
	uint32_t		 o[POD_NBUCKETS];
	uint64_t		 p;
	int			 own3 = 0;

	CHECK_EQ(pod_compute(pod, 1, m, 3), 0);
	owners(pod, o);
	for (p = 0; p < 2000; p++) {
		/* Private, owner a member not leaving: the owner itself. */
		u.node = 1 + (uint32_t)(p % 2);
		u.space = 5;
		u.pgno = p;
		CHECK_EQ(pod_gcd_node(pod, &u), u.node);
		CHECK_EQ(pod_bucket(&u), uid_hash(&u) % POD_NBUCKETS);

		/* Private, owner leaving or not a member: by bucket. */
		u.node = 3 + (uint32_t)(p % 2) * 6;
		CHECK_EQ(pod_gcd_node(pod, &u), o[pod_bucket(&u)]);
		own3 += pod_gcd_node(pod, &u) == 3;

		/* Shared: by bucket, whatever uid.node says. */
		u.node = 1;
		u.space = 5 | UID_SHARED;
		CHECK_EQ(pod_gcd_node(pod, &u), o[pod_bucket(&u)]);
		u.node = 0;
		CHECK_EQ(pod_gcd_node(pod, &u), o[pod_bucket(&u)]);
	}
	CHECK_EQ(own3, 0);
	pod_free(pod);
}

static void
test_minimal_movement(void)
{
	struct pod		*pod = pod_create();
	struct pod_member	 m[5] = { mem(10, 0), mem(20, 0), mem(30, 0),
				     mem(40, 0), mem(50, 0) };
	struct pod_member	 rest[3] = { mem(10, 0), mem(30, 0),
				     mem(40, 0) };
	uint32_t		 o4[POD_NBUCKETS], o5[POD_NBUCKETS];
	uint32_t		 o3[POD_NBUCKETS], ol[POD_NBUCKETS];
	int			 i, moved = 0, lost = 0;

	CHECK_EQ(pod_compute(pod, 1, m, 4), 0);
	owners(pod, o4);

	/* 50 joins: a bucket stays or goes to 50. */
	CHECK_EQ(pod_compute(pod, 2, m, 5), 0);
	owners(pod, o5);
	for (i = 0; i < POD_NBUCKETS; i++) {
		if (o5[i] != o4[i]) {
			CHECK_EQ(o5[i], 50);
			moved++;
		}
	}
	CHECK(moved > 0);

	/* 20 goes: only 20's buckets move. */
	CHECK_EQ(pod_compute(pod, 3, rest, 3), 0);
	owners(pod, o3);
	for (i = 0; i < POD_NBUCKETS; i++) {
		if (o4[i] == 20) {
			CHECK(o3[i] != 20);
			lost++;
		} else
			CHECK_EQ(o3[i], o4[i]);
	}
	CHECK(lost > 0);

	/* 20 leaving gives the same table as 20 gone. */
	m[1].flags = POD_MLEAVING;
	CHECK_EQ(pod_compute(pod, 4, m, 4), 0);
	owners(pod, ol);
	CHECK(memcmp(o3, ol, sizeof o3) == 0);
	pod_free(pod);
}

static void
test_balance(void)
{
	static const uint32_t	 sets[4][4] = {
		{ 1, 2, 3, 4 }, { 10, 20, 30, 40 },
		{ 7, 1000, 65536, 4000000000u }, { 5, 6, 7, 8 },
	};
	struct pod		*pod = pod_create();
	struct pod_member	 m[4];
	int			 s, i, cnt[4];

	for (s = 0; s < 4; s++) {
		for (i = 0; i < 4; i++)
			m[i] = mem(sets[s][i], 0);
		CHECK_EQ(pod_compute(pod, 1, m, 4), 0);
		memset(cnt, 0, sizeof cnt);
		for (i = 0; i < POD_NBUCKETS; i++)
			cnt[pod_buckets(pod)[i]]++;
		for (i = 0; i < 4; i++) {
			if (cnt[i] < 30 || cnt[i] > 100)
				printf("  set %d member %d owns %d\n", s, i,
				    cnt[i]);
			CHECK(cnt[i] >= 30 && cnt[i] <= 100);
		}
	}
	pod_free(pod);
}

static void
test_compute_rejects(void)
{
	struct pod		*pod = pod_create();
	struct pod_member	 ok[3] = { mem(1, 0), mem(2, 0), mem(3, 0) };
	struct pod_member	 m[POD_MAX_MEMBERS + 1];
	struct snap		 s;
	int			 i;

	CHECK_EQ(pod_compute(pod, 5, ok, 3), 0);
	snap(pod, &s);

#define REJECT(call) do {						\
	errno = 0;							\
	CHECK_EQ(call, -1);						\
	CHECK_EQ(errno, EINVAL);					\
	CHECK(same(pod, &s));						\
} while (0)

	m[0] = mem(2, 0); m[1] = mem(1, 0); m[2] = mem(2, 0);
	REJECT(pod_compute(pod, 6, m, 3));		/* duplicate */
	m[2] = mem(0, 0);
	REJECT(pod_compute(pod, 6, m, 3));		/* id 0 */
	m[0] = mem(1, POD_MLEAVING); m[1] = mem(2, POD_MLEAVING);
	REJECT(pod_compute(pod, 6, m, 2));		/* nobody can own */
	m[0] = mem(1, 0x8000);
	REJECT(pod_compute(pod, 6, m, 1));		/* unknown flag */
	REJECT(pod_compute(pod, 6, NULL, 1));
	REJECT(pod_compute(pod, 6, ok, -1));
	for (i = 0; i < POD_MAX_MEMBERS + 1; i++)
		m[i] = mem((uint32_t)i + 1, 0);
	REJECT(pod_compute(pod, 6, m, POD_MAX_MEMBERS + 1));
	/* The largest list is fine. */
	CHECK_EQ(pod_compute(pod, 6, m, POD_MAX_MEMBERS), 0);
	CHECK_EQ(pod_nmembers(pod), POD_MAX_MEMBERS);
	pod_free(pod);
}

static void
test_set(void)
{
	struct pod		*a = pod_create(), *b = pod_create();
	struct pod_member	 m[4] = { mem(2, 0), mem(4, 0), mem(6, 0),
				     mem(8, POD_MLEAVING) };
	struct pod_member	 bad[4];
	uint8_t			 bk[POD_NBUCKETS];
	struct snap		 s;
	struct uid		 u;
	uint64_t		 p;
	int			 i;

	/* What the master computed installs as it is. */
	CHECK_EQ(pod_compute(a, 9, m, 4), 0);
	CHECK_EQ(pod_set(b, 9, m, 4, pod_buckets(a)), 0);
	CHECK_EQ(pod_version(b), 9);
	for (p = 0; p < 500; p++) {
		u.node = (uint32_t)p % 10;
		u.space = (p & 1) ? 3 | UID_SHARED : 3;
		u.pgno = p;
		CHECK_EQ(pod_gcd_node(b, &u), pod_gcd_node(a, &u));
	}

	/* Any valid table is accepted, not only the rendezvous one. */
	memset(bk, 2, sizeof bk);
	CHECK_EQ(pod_set(b, 10, m, 4, bk), 0);
	u.node = 0; u.space = 1 | UID_SHARED; u.pgno = 1;
	CHECK_EQ(pod_gcd_node(b, &u), 6);
	u.node = 8; u.space = 1;		/* leaving owner: by bucket */
	CHECK_EQ(pod_gcd_node(b, &u), 6);

	/* Set from its own contents (arguments inside the POD). */
	CHECK_EQ(pod_set(b, 11, pod_member_at(b, 0), pod_nmembers(b),
	    pod_buckets(b)), 0);
	CHECK_EQ(pod_version(b), 11);
	CHECK_EQ(pod_nmembers(b), 4);
	CHECK_EQ(pod_member_at(b, 3)->id, 8);
	CHECK_EQ(pod_buckets(b)[0], 2);

	snap(b, &s);
#define REJECT_SET(call) do {						\
	errno = 0;							\
	CHECK_EQ(call, -1);						\
	CHECK_EQ(errno, EINVAL);					\
	CHECK(same(b, &s));						\
} while (0)

	memcpy(bad, m, sizeof bad);
	bad[0] = m[1]; bad[1] = m[0];
	REJECT_SET(pod_set(b, 12, bad, 4, pod_buckets(a)));	/* unsorted */
	memcpy(bad, m, sizeof bad);
	bad[1].id = 2;
	REJECT_SET(pod_set(b, 12, bad, 4, pod_buckets(a)));	/* duplicate */
	memcpy(bad, m, sizeof bad);
	bad[0].id = 0;
	REJECT_SET(pod_set(b, 12, bad, 4, pod_buckets(a)));	/* id 0 */
	memcpy(bad, m, sizeof bad);
	bad[2].flags = 0x10;
	REJECT_SET(pod_set(b, 12, bad, 4, pod_buckets(a)));	/* flag */

	memcpy(bk, pod_buckets(a), sizeof bk);
	bk[200] = 4;						/* range */
	REJECT_SET(pod_set(b, 12, m, 4, bk));
	bk[200] = 255;
	REJECT_SET(pod_set(b, 12, m, 4, bk));
	bk[200] = 3;						/* leaving */
	REJECT_SET(pod_set(b, 12, m, 4, bk));
	memcpy(bk, pod_buckets(a), sizeof bk);
	REJECT_SET(pod_set(b, 12, m, -1, bk));
	REJECT_SET(pod_set(b, 12, m, POD_MAX_MEMBERS + 1, bk));
	REJECT_SET(pod_set(b, 12, NULL, 4, bk));
	REJECT_SET(pod_set(b, 12, m, 4, NULL));
	bk[0] = 1;
	REJECT_SET(pod_set(b, 12, m, 0, bk));	/* no members, an owner */

	/* An empty POD, as pod_buckets() shows it. */
	memset(bk, 0, sizeof bk);
	CHECK_EQ(pod_set(b, 13, NULL, 0, bk), 0);
	CHECK_EQ(pod_nmembers(b), 0);
	CHECK_EQ(pod_gcd_node(b, &u), 0);
	for (i = 0; i < 4; i++)
		CHECK(pod_find(b, m[i].id) == NULL);
	pod_free(a);
	pod_free(b);
}

/* Two disjoint sides of one membership never both have a quorum. */
static void
test_quorum(void)
{
	uint32_t	ids[6] = { 9, 3, 4, 5, 7, 8 };
	uint8_t		side[6], other[6];
	int		n, mask, i, both = 0;

	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 1 }, 1), 1);
	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 0 }, 1), 0);
	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 1, 0, 1, 0, 1 }, 5), 1);
	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 1, 0, 0, 0, 1 }, 5), 0);
	/* half: only the half with the lowest id (3, at index 1) */
	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 0, 1, 1, 0 }, 4), 1);
	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 1, 0, 0, 1 }, 4), 0);
	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 1, 0 }, 2), 0);
	CHECK_EQ(pod_quorum(ids, (uint8_t[]){ 0, 1 }, 2), 1);
	for (n = 1; n <= 6; n++) {
		for (mask = 0; mask < 1 << n; mask++) {
			for (i = 0; i < n; i++) {
				side[i] = (mask >> i) & 1;
				other[i] = !side[i];
			}
			both += pod_quorum(ids, side, n) &&
			    pod_quorum(ids, other, n);
		}
	}
	CHECK_EQ(both, 0);
}

int
main(void)
{
	RUN(test_empty);
	RUN(test_compute_deterministic);
	RUN(test_golden);
	RUN(test_owners_not_leaving);
	RUN(test_gcd_node);
	RUN(test_minimal_movement);
	RUN(test_balance);
	RUN(test_compute_rejects);
	RUN(test_set);
	RUN(test_quorum);
	return CHECK_DONE();
}
