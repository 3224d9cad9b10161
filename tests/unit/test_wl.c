/*
 * test_wl: the workloads' shared code (workloads/wl.c): the checksum hash
 * sees every byte and every move, the generator repeats from its seed,
 * the scatter is a bijection, and the Zipf sampler has the law it names.
 */
#include <math.h>
#include <string.h>

#include "tests/unit/check.h"
#include "workloads/wl.h"

static void
hash_sees_every_byte(void)
{
	static uint8_t	buf[WL_BLOCK + 13];
	struct wl_rng	r;
	uint8_t		tmp[16];
	uint64_t	h, h2;
	size_t		i, missed = 0;

	wl_rng_seed(&r, 1, 2, 3);
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)wl_rand(&r);
	h = wl_hash(buf, sizeof buf, 5);
	CHECK(h == wl_hash(buf, sizeof buf, 5));
	CHECK(h != wl_hash(buf, sizeof buf, 6));
	CHECK(h != wl_hash(buf, sizeof buf - 1, 5));
	for (i = 0; i < sizeof buf; i++) {	/* a flipped bit anywhere */
		buf[i] ^= 0x10;
		missed += wl_hash(buf, sizeof buf, 5) == h;
		buf[i] ^= 0x10;
	}
	CHECK_EQ(missed, 0);
	/* two 16-byte pieces swapped (same lane, next round) */
	memcpy(tmp, buf, 16);
	memcpy(buf, buf + 64, 16);
	memcpy(buf + 64, tmp, 16);
	h2 = wl_hash(buf, WL_BLOCK, 5);
	memcpy(tmp, buf, 16);
	memcpy(buf, buf + 64, 16);
	memcpy(buf + 64, tmp, 16);
	CHECK(h2 != wl_hash(buf, WL_BLOCK, 5));
}

static void
rng_repeats_from_seed(void)
{
	struct wl_rng	a, b, c;
	uint64_t	i, same = 0, v;

	wl_rng_seed(&a, 42, 'x', 7);
	wl_rng_seed(&b, 42, 'x', 7);
	wl_rng_seed(&c, 42, 'x', 8);
	for (i = 0; i < 1000; i++) {
		v = wl_rand(&a);
		CHECK_EQ(v, wl_rand(&b));
		same += v == wl_rand(&c);
		CHECK(wl_rand_below(&a, 10) < 10);
		wl_rand_below(&b, 10);
		CHECK(wl_rand01(&a) < 1.0);
		wl_rand01(&b);
	}
	CHECK_EQ(same, 0);
}

static void
scatter_is_bijection(void)
{
	static uint8_t	seen[5000];
	uint64_t	ns[] = { 1, 2, 7, 1000, 4096, 4999 }, n, i, dup;
	size_t		k;

	for (k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		n = ns[k];
		memset(seen, 0, sizeof seen);
		for (i = 0, dup = 0; i < n; i++) {
			CHECK(wl_scatter(i, n) < n);
			dup += seen[wl_scatter(i, n)]++ != 0;
		}
		CHECK_EQ(dup, 0);
	}
}

/* Rank frequencies against k^-s / H(n, s), within 10 %. */
static void
zipf_law(double s)
{
	static uint64_t	cnt[1000];
	struct wl_zipf	z;
	struct wl_rng	r;
	uint64_t	n = 1000, draws = 400000, i, k, out = 0;
	double		hn = 0, want;
	uint64_t	ranks[] = { 0, 1, 4, 9 };

	memset(cnt, 0, sizeof cnt);
	wl_zipf_init(&z, n, s);
	wl_rng_seed(&r, 9, 9, 9);
	for (i = 0; i < draws; i++) {
		k = wl_zipf_next(&z, &r);
		if (k >= n)
			out++;
		else
			cnt[k]++;
	}
	CHECK_EQ(out, 0);
	for (i = 1; i <= n; i++)
		hn += pow((double)i, -s);
	for (i = 0; i < sizeof ranks / sizeof ranks[0]; i++) {
		want = (double)draws * pow((double)ranks[i] + 1, -s) / hn;
		CHECK(fabs((double)cnt[ranks[i]] - want) < 0.1 * want);
	}
	CHECK(cnt[0] > cnt[1] && cnt[1] > cnt[9] && cnt[9] > cnt[99]);
}

static void
zipf_099(void)
{
	zipf_law(0.99);
}

static void
zipf_1(void)
{
	zipf_law(1.0);
}

static void
zipf_2(void)
{
	zipf_law(2.0);
}

static void
diff_finds_first(void)
{
	uint8_t	a[100], b[100];

	memset(a, 1, sizeof a);
	memset(b, 1, sizeof b);
	CHECK(wl_diff(a, b, sizeof a) == NULL);
	b[37] = 2;
	b[80] = 2;
	CHECK(wl_diff(a, b, sizeof a) == a + 37);
}

int
main(void)
{
	RUN(hash_sees_every_byte);
	RUN(rng_repeats_from_seed);
	RUN(scatter_is_bijection);
	RUN(zipf_099);
	RUN(zipf_1);
	RUN(zipf_2);
	RUN(diff_finds_first);
	return CHECK_DONE();
}
