/* ages.c: the pure part of the age sampler (see ages.h). */
#include "agesampler/ages.h"

/* Pages in one period's window. */
static uint64_t
ages_want(uint64_t npages, unsigned share_pct)
{
	uint64_t	want;

	if (share_pct > 100)
		share_pct = 100;
	want = npages * share_pct / 100;
	return want < AGES_WINDOW_MIN ? AGES_WINDOW_MIN : want;
}

void
ages_window(uint64_t npages, unsigned share_pct, uint64_t *cursor,
    uint64_t *first, uint64_t *n)
{
	uint64_t	want;

	if (npages == 0) {
		*first = *n = 0;
		return;
	}
	want = ages_want(npages, share_pct);
	if (*cursor >= npages)
		*cursor = 0;
	*first = *cursor;
	*n = npages - *cursor < want ? npages - *cursor : want;
	*cursor += *n;
}

uint64_t
ages_ref_time(uint64_t armed, uint64_t scanned)
{
	if (scanned <= armed)
		return scanned;
	return armed + (scanned - armed) / 2;
}

uint64_t
ages_blind_ms(uint64_t npages, unsigned share_pct, unsigned period_ms)
{
	uint64_t	want, cycle;

	if (npages == 0 || period_ms == 0)
		return 0;
	want = ages_want(npages, share_pct);
	cycle = (npages + want - 1) / want;	/* periods */
	return cycle * period_ms + period_ms / 2;
}

uint64_t
ages_known(uint64_t age, uint64_t blind)
{
	return age > blind ? age - blind : 0;
}
