/*
 * replay.h: replay protection, one window per sender (proto.h "stamp").
 *
 * Every datagram carries its sender's clock at sending (us since 1970),
 * rising strictly with each datagram the sender sends, retransmissions
 * included, and covered by the MAC.  A receiver accepts a stamp once: it
 * keeps the REPLAY_WINDOW highest stamps it accepted from that sender and
 * drops a stamp it holds (seen), one below all it holds (old: it cannot
 * tell), or one older than max_age by its own clock (stale: a recording
 * replayed to a receiver that restarted and forgot its windows).
 *
 * A sender that restarts stamps from the same clock, so its new life
 * continues above its old one; the stale rule needs the nodes' clocks to
 * agree within max_age (NTP does).  A node id taken over by a node on
 * another machine whose clock is behind is not heard until its clock has
 * passed the old holder's last stamp (at most the clocks' skew).
 * Reordering up to REPLAY_WINDOW datagrams is accepted.
 *
 * Pure: no clock of its own (now is passed in), no I/O.
 */
#ifndef GMS_REPLAY_H
#define GMS_REPLAY_H

#include <stdint.h>

#define REPLAY_WINDOW	64	/* stamps remembered per sender */

enum replay_verdict {
	REPLAY_OK = 0,		/* new: accepted and remembered */
	REPLAY_SEEN,		/* this stamp was accepted before */
	REPLAY_OLD,		/* below the window: cannot tell, dropped */
	REPLAY_STALE,		/* older than max_age */
};

struct replay_win {
	uint64_t	seen[REPLAY_WINDOW];	/* highest stamps accepted */
	uint64_t	hi;			/* the highest of them */
	int		n;
	int		min;			/* index of the lowest */
};

/* Zero a window (a sender never heard from). */
void		replay_init(struct replay_win *);
/* Check stamp against the window, remember it if new. */
enum replay_verdict replay_check(struct replay_win *, uint64_t stamp,
		    uint64_t now_us, uint64_t max_age_us);
const char	*replay_verdict_name(enum replay_verdict);

#endif
