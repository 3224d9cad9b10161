/* ages.c: the pure part of the age sampler (see ages.h). */
#include "agesampler/ages.h"

void
ages_window(uint64_t npages, unsigned share_pct, uint64_t *cursor,
    uint64_t *first, uint64_t *n)
{
	uint64_t	want;

	if (npages == 0) {
		*first = *n = 0;
		return;
	}
	if (share_pct > 100)
		share_pct = 100;
	want = npages * share_pct / 100;
	if (want < AGES_WINDOW_MIN)
		want = AGES_WINDOW_MIN;
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
