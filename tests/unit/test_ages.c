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

static void
test_blind(void)
{
	CHECK_EQ(ages_blind_ms(1000, 25, 1000), 4500);	/* 4 periods */
	CHECK_EQ(ages_blind_ms(1001, 25, 1000), 5500);	/* and a tail */
	CHECK_EQ(ages_blind_ms(1000, 100, 200), 300);
	CHECK_EQ(ages_blind_ms(10, 25, 1000), 1500);	/* one window */
	CHECK_EQ(ages_blind_ms(1000, 25, 0), 0);	/* no sampler */
	CHECK_EQ(ages_blind_ms(0, 25, 1000), 0);
	CHECK_EQ(ages_known(5000, 4500), 500);
	CHECK_EQ(ages_known(4000, 4500), 0);
}

/*
 * A page referenced all the time, seen only through the windows: its age
 * never exceeds the blind interval, and comes within a period of it.
 */
static void
test_blind_bounds_a_hot_page(void)
{
	enum { NP = 1000, SHARE = 25, PERIOD = 100, PERIODS = 40 };
	uint64_t	last[NP], cursor = 0, first, n, prev_first = 0;
	uint64_t	prev_n = 0, t, p, age, worst = 0;
	uint64_t	blind = ages_blind_ms(NP, SHARE, PERIOD);
	int		k;

	for (p = 0; p < NP; p++)
		last[p] = 0;			/* faulted in at 0 */
	for (k = 1; k <= PERIODS; k++) {
		t = (uint64_t)k * PERIOD;	/* the tick: scan, then arm */
		for (p = 0; p < NP; p++) {	/* ages just before it */
			age = t - 1 - last[p];
			if (t > blind + PERIOD && age > worst)
				worst = age;
		}
		for (p = prev_first; p < prev_first + prev_n; p++)
			last[p] = ages_ref_time(t - PERIOD, t);
		ages_window(NP, SHARE, &cursor, &first, &n);
		prev_first = first;
		prev_n = n;
	}
	CHECK(worst <= blind);
	CHECK(worst + PERIOD >= blind);
}

int
main(void)
{
	RUN(test_window_covers_region);
	RUN(test_window_small_and_tail);
	RUN(test_ref_time);
	RUN(test_blind);
	RUN(test_blind_bounds_a_hot_page);
	return CHECK_DONE();
}
