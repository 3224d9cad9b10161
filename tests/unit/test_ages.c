/* test_ages.c: the sampler's window rotation and reference times. */
#include "agesampler/ages.h"
#include "check.h"

static void
test_window_covers_region(void)
{
	uint64_t	cursor = 0, first, n, seen[1000] = { 0 }, i, p;
	int		period;

	/* 1000 pages, 25 %: four periods cover every page exactly once */
	for (period = 0; period < 4; period++) {
		ages_window(1000, 25, &cursor, &first, &n);
		CHECK_EQ(n, 250);
		for (p = first; p < first + n; p++)
			seen[p]++;
	}
	for (i = 0; i < 1000; i++)
		CHECK_EQ(seen[i], 1);
	ages_window(1000, 25, &cursor, &first, &n);
	CHECK_EQ(first, 0);	/* wraps around */
}

static void
test_window_small_and_tail(void)
{
	uint64_t	cursor = 0, first, n;

	ages_window(10, 25, &cursor, &first, &n);
	CHECK_EQ(first, 0);
	CHECK_EQ(n, 10);	/* at least AGES_WINDOW_MIN, at most all */
	cursor = 0;
	ages_window(300, 50, &cursor, &first, &n);
	ages_window(300, 50, &cursor, &first, &n);
	CHECK_EQ(first, 150);
	CHECK_EQ(n, 150);
	cursor = 290;
	ages_window(300, 50, &cursor, &first, &n);
	CHECK_EQ(first, 290);
	CHECK_EQ(n, 10);	/* the tail, then back to the start */
	ages_window(300, 200, &cursor, &first, &n);
	CHECK_EQ(first, 0);
	CHECK_EQ(n, 300);	/* share capped at 100 % */
	ages_window(0, 50, &cursor, &first, &n);
	CHECK_EQ(n, 0);
}

static void
test_ref_time(void)
{
	CHECK_EQ(ages_ref_time(1000, 2000), 1500);
	CHECK_EQ(ages_ref_time(1000, 1001), 1000);
	CHECK_EQ(ages_ref_time(2000, 1000), 1000);	/* clock oddity */
}

int
main(void)
{
	RUN(test_window_covers_region);
	RUN(test_window_small_and_tail);
	RUN(test_ref_time);
	return CHECK_DONE();
}
