/*
 * test_uid.c: the UID hash is stable (golden values: a change to the hash
 * moves every GCD entry in a mixed-version cluster), and uid_fmt/uid_parse
 * round trip and reject what uid_fmt never writes.
 */
#include <stdint.h>
#include <string.h>

#include "directories/uid.h"
#include "check.h"

static void
test_hash_golden(void)
{
	/* Checked against splitmix64's finalizer written out in Python. */
	static const struct {
		struct uid	u;
		uint64_t	h;
	} g[] = {
		{ { 0, 0, 0 },			0xa706dd2f4d197e6fULL },
		{ { 1, 2, 3 },			0x16bcd815f36c35e2ULL },
		{ { 7, 7 | UID_SHARED, 42 },	0x0f95f998d8538ebaULL },
		{ { UINT32_MAX, UID_SHARED - 1, UINT64_MAX },
						0x9ff9dd80eb1e16a9ULL },
		{ { 3, 1, 1000 },		0x96a95c42579ecdf5ULL },
	};
	size_t	i;

	for (i = 0; i < sizeof g / sizeof g[0]; i++)
		CHECK(uid_hash(&g[i].u) == g[i].h);
}

static void
test_hash_fields(void)
{
	struct uid	a = { 1, 2, 3 }, b;

	/* Every field counts, and swapping fields changes the hash. */
	b = a; b.node = 2;
	CHECK(uid_hash(&a) != uid_hash(&b));
	b = a; b.space = 2 | UID_SHARED;
	CHECK(uid_hash(&a) != uid_hash(&b));
	b = a; b.pgno = 4;
	CHECK(uid_hash(&a) != uid_hash(&b));
	b.node = 2; b.space = 1; b.pgno = 3;
	CHECK(uid_hash(&a) != uid_hash(&b));
	b = a;
	CHECK(uid_hash(&a) == uid_hash(&b));
}

static void
test_eq_shared(void)
{
	struct uid	a = { 1, 2, 3 }, b = { 1, 2, 3 }, s = { 0, 9 | UID_SHARED, 3 };

	CHECK(uid_eq(&a, &b));
	b.pgno = 4;
	CHECK(!uid_eq(&a, &b));
	b = a; b.node = 9;
	CHECK(!uid_eq(&a, &b));
	b = a; b.space = 3;
	CHECK(!uid_eq(&a, &b));
	CHECK(!uid_is_shared(&a));
	CHECK(uid_is_shared(&s));
}

static void
test_fmt(void)
{
	struct uid	a = { 0, 7 | UID_SHARED, 42 }, b = { 12, 3, 99 };
	struct uid	c = { UINT32_MAX, UID_SHARED - 1, UINT64_MAX };
	char		buf[UID_STRLEN], small[6];

	CHECK(strcmp(uid_fmt(&a, buf, sizeof buf), "0:7s:42") == 0);
	CHECK(strcmp(uid_fmt(&b, buf, sizeof buf), "12:3:99") == 0);
	CHECK(strcmp(uid_fmt(&c, buf, sizeof buf),
	    "4294967295:2147483647:18446744073709551615") == 0);
	c.space |= UID_SHARED;
	CHECK(strcmp(uid_fmt(&c, buf, sizeof buf),
	    "4294967295:2147483647s:18446744073709551615") == 0);
	/* Truncated, still terminated. */
	CHECK(strcmp(uid_fmt(&b, small, sizeof small), "12:3:") == 0);
}

static void
test_round_trip(void)
{
	static const struct uid	u[] = {
		{ 0, 0, 0 }, { 0, UID_SHARED, 0 }, { 1, 2, 3 },
		{ 0, 7 | UID_SHARED, 42 },
		{ UINT32_MAX, UID_SHARED - 1, UINT64_MAX },
		{ UINT32_MAX, UINT32_MAX, UINT64_MAX },
	};
	struct uid	back;
	char		buf[UID_STRLEN];
	size_t		i;

	for (i = 0; i < sizeof u / sizeof u[0]; i++) {
		memset(&back, 0xa5, sizeof back);
		CHECK_EQ(uid_parse(uid_fmt(&u[i], buf, sizeof buf), &back), 0);
		CHECK(uid_eq(&u[i], &back));
	}
	CHECK_EQ(uid_parse("0:7s:42", &back), 0);
	CHECK_EQ(back.node, 0);
	CHECK_EQ(back.space, 7 | UID_SHARED);
	CHECK_EQ(back.pgno, 42);
}

static void
test_parse_rejects(void)
{
	static const char	*bad[] = {
		"", "1", "1:2", "1:2:", ":2:3", "1::3", "1:2:3:", "1:2:3x",
		"1:2:3 ", " 1:2:3", "+1:2:3", "-1:2:3", "1:-2:3", "1:2:-3",
		"0x1:2:3", "1:2ss:3", "1:s:3", "1:2:3s", "s1:2:3", "1;2;3",
		"4294967296:2:3",			/* node overflows */
		"1:2147483648:3",			/* space takes the bit */
		"1:2147483648s:3",
		"1:4294967296:3",
		"1:2:18446744073709551616",		/* pgno overflows */
		"1:2:99999999999999999999",
		"1:2:3\n", "a:b:c",
	};
	struct uid	u = { 5, 6, 7 }, keep = { 5, 6, 7 };
	size_t		i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (uid_parse(bad[i], &u) != -1)
			printf("  accepted \"%s\"\n", bad[i]);
		CHECK_EQ(uid_parse(bad[i], &u), -1);
		CHECK(uid_eq(&u, &keep));
	}
	CHECK_EQ(uid_parse(NULL, &u), -1);
	/* The largest values still parse. */
	CHECK_EQ(uid_parse("4294967295:2147483647s:18446744073709551615", &u),
	    0);
	CHECK(u.pgno == UINT64_MAX && u.space == UINT32_MAX);
}

int
main(void)
{
	RUN(test_hash_golden);
	RUN(test_hash_fields);
	RUN(test_eq_shared);
	RUN(test_fmt);
	RUN(test_round_trip);
	RUN(test_parse_rejects);
	return CHECK_DONE();
}
