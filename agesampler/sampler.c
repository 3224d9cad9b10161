/*
 * sampler.c: the age sampler's clock.  Every --sample-ms it runs one
 * period over every region (pager_sample): pages referenced in the last
 * period get a fresh last reference in the PFD, the others age.  What a
 * period does is in agesampler/ages.h and gms/region.h (arm and scan).
 */
#include <event2/event.h>

#include "agesampler/ages.h"
#include "gms/log.h"
#include "gms/node.h"

static void
sampler_tick(evutil_socket_t fd, short what, void *arg)
{
	struct node	*n = arg;

	(void)fd;
	(void)what;
	pager_sample(n, node_now_ms(), n->sample_pct);
}

void
sampler_start(struct node *n)
{
	struct timeval	tv;

	if (n->sample_ms == 0)
		return;
	n->sample_timer = event_new(n->base, -1, EV_PERSIST, sampler_tick, n);
	tv.tv_sec = n->sample_ms / 1000;
	tv.tv_usec = (n->sample_ms % 1000) * 1000;
	event_add(n->sample_timer, &tv);
	log_debug("age sampler: every %u ms, %u %% of each region",
	    n->sample_ms, n->sample_pct);
}

void
sampler_stop(struct node *n)
{
	if (n->sample_timer != NULL)
		event_free(n->sample_timer);
	n->sample_timer = NULL;
}
