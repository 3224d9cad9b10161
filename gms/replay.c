/*
 * replay.c: the per-sender window of accepted stamps (see replay.h).
 */
#include <string.h>

#include "gms/replay.h"

void
replay_init(struct replay_win *w)
{
	memset(w, 0, sizeof *w);
}

static void
replay_find_min(struct replay_win *w)
{
	int	i;

	w->min = 0;
	for (i = 1; i < w->n; i++)
		if (w->seen[i] < w->seen[w->min])
			w->min = i;
}

enum replay_verdict
replay_check(struct replay_win *w, uint64_t stamp, uint64_t now_us,
    uint64_t max_age_us)
{
	int	i;

	if (now_us > max_age_us && stamp < now_us - max_age_us)
		return REPLAY_STALE;
	/*
	 * Full: every stamp accepted at or above the lowest one held is held,
	 * so one below it may have been accepted already.
	 */
	if (w->n == REPLAY_WINDOW && stamp <= w->seen[w->min])
		return stamp == w->seen[w->min] ? REPLAY_SEEN : REPLAY_OLD;
	if (w->n == 0 || stamp > w->hi)
		w->hi = stamp;		/* in order: above all, nothing to look up */
	else
		for (i = 0; i < w->n; i++)
			if (w->seen[i] == stamp)
				return REPLAY_SEEN;
	if (w->n < REPLAY_WINDOW) {
		w->seen[w->n++] = stamp;
		replay_find_min(w);
		return REPLAY_OK;
	}
	w->seen[w->min] = stamp;
	replay_find_min(w);
	return REPLAY_OK;
}

const char *
replay_verdict_name(enum replay_verdict v)
{
	switch (v) {
	case REPLAY_OK:
		return "ok";
	case REPLAY_SEEN:
		return "seen";
	case REPLAY_OLD:
		return "old";
	case REPLAY_STALE:
		return "stale";
	}
	return "?";
}
