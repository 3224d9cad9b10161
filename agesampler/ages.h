/*
 * ages.h: turning sampled reference bits into LRU ages (GMS-REFERENCE.md
 * section 5, the user-space counterpart of the paper's TLB flush).
 *
 * Each sampling period the sampler arms a window of a region's resident
 * pages so that their next access maps them again, and scans the window it
 * armed one period earlier: a page mapped again was referenced in that
 * period.  Its last reference is then placed in the middle of the period
 * (the expected time of one access uniformly spread over it), so its age
 * is off by at most half a period.  A page not referenced keeps the last
 * reference it had; its age grows.
 *
 * Pure: no I/O, no clock; time comes in as arguments.
 */
#ifndef GMS_AGES_H
#define GMS_AGES_H

#include <stdint.h>

#define AGES_PERIOD_MS_DEFAULT	1000	/* sampling period */
#define AGES_SHARE_DEFAULT	25	/* percent of a region per period */
#define AGES_WINDOW_MIN		64	/* pages armed at least, per region */

/* The window of pages [*first, *first + *n) to arm next; advances cursor. */
void		ages_window(uint64_t npages, unsigned share_pct,
		    uint64_t *cursor, uint64_t *first, uint64_t *n);
/* The last-reference time of a page seen referenced in (armed, scanned]. */
uint64_t	ages_ref_time(uint64_t armed, uint64_t scanned);

/*
 * The blind interval of a region of npages sampled share_pct per period of
 * period_ms: a page referenced all the time is seen referenced once per
 * cycle (the periods the windows take to come round to it again), in the
 * middle of its window, so its age can reach a cycle and half a period.
 * Ages compared across nodes (epoch summaries, MinAge) are lowered by it:
 * with a cycle of seconds, a busy node's working set would otherwise look
 * as old as another node's idle pages.
 */
uint64_t	ages_blind_ms(uint64_t npages, unsigned share_pct,
		    unsigned period_ms);
/* age less blind, 0 below. */
uint64_t	ages_known(uint64_t age, uint64_t blind);

#endif
