/*
 * test_replay.c: the per-sender replay window (gms/replay.c).
 */
#include "gms/replay.h"
#include "tests/unit/check.h"

#define NOW	1700000000000000ULL	/* us since 1970 */
#define AGE	30000000ULL		/* max age, us */

static void
test_replay_once(void)
{
	struct replay_win	w;

	replay_init(&w);
	CHECK_EQ(replay_check(&w, NOW, NOW, AGE), REPLAY_OK);
	CHECK_EQ(replay_check(&w, NOW, NOW + 5000000, AGE), REPLAY_SEEN);
	CHECK_EQ(replay_check(&w, NOW + 1, NOW, AGE), REPLAY_OK);
	CHECK_EQ(replay_check(&w, NOW + 1, NOW, AGE), REPLAY_SEEN);
}

/* Reordered within the window: accepted once each. */
static void
test_replay_reorder(void)
{
	struct replay_win	w;
	uint64_t		i;

	replay_init(&w);
	for (i = 0; i < 200; i += 2)
		CHECK_EQ(replay_check(&w, NOW + i + 1, NOW, AGE), REPLAY_OK);
	/* the even stamps, late: the window holds the 64 highest */
	CHECK_EQ(replay_check(&w, NOW + 198, NOW, AGE), REPLAY_OK);
	CHECK_EQ(replay_check(&w, NOW + 150, NOW, AGE), REPLAY_OK);
	CHECK_EQ(replay_check(&w, NOW + 150, NOW, AGE), REPLAY_SEEN);
	/* far below the window: cannot tell, dropped */
	CHECK_EQ(replay_check(&w, NOW + 2, NOW, AGE), REPLAY_OLD);
	CHECK_EQ(replay_check(&w, NOW + 1, NOW, AGE), REPLAY_OLD);
}

/* Every stamp of a long run is accepted exactly once, replayed never. */
static void
test_replay_run(void)
{
	struct replay_win	w;
	uint64_t		i;
	int			ok = 0, again = 0;

	replay_init(&w);
	for (i = 0; i < 10000; i++)
		ok += replay_check(&w, NOW + i * 7, NOW, AGE) == REPLAY_OK;
	for (i = 0; i < 10000; i++)
		again += replay_check(&w, NOW + i * 7, NOW, AGE) == REPLAY_OK;
	CHECK_EQ(ok, 10000);
	CHECK_EQ(again, 0);
}

/* Older than max age: dropped even by a window that knows nothing. */
static void
test_replay_stale(void)
{
	struct replay_win	w;

	replay_init(&w);
	CHECK_EQ(replay_check(&w, NOW - AGE - 1, NOW, AGE), REPLAY_STALE);
	CHECK_EQ(replay_check(&w, NOW - AGE + 1, NOW, AGE), REPLAY_OK);
	CHECK_EQ(w.n, 1);
}

/* A sender that restarts stamps from the same clock: accepted. */
static void
test_replay_restart(void)
{
	struct replay_win	w;
	uint64_t		i;

	replay_init(&w);
	for (i = 0; i < 100; i++)
		replay_check(&w, NOW + i, NOW, AGE);
	CHECK_EQ(replay_check(&w, NOW + 1000000, NOW + 1000000, AGE),
	    REPLAY_OK);
	CHECK_EQ(replay_check(&w, NOW + 99, NOW + 1000000, AGE), REPLAY_SEEN);
	CHECK_EQ(replay_check(&w, NOW + 10, NOW + 1000000, AGE), REPLAY_OLD);
}

int
main(void)
{
	RUN(test_replay_once);
	RUN(test_replay_reorder);
	RUN(test_replay_run);
	RUN(test_replay_stale);
	RUN(test_replay_restart);
	return CHECK_DONE();
}
