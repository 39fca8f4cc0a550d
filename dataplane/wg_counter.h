/*
 * wg_counter.h - transport-message replay window (RFC 6479 style).
 *
 * A ring of 64-bit words holds one bit per counter value.  Counters up to
 * WG_COUNTER_WINDOW - 1 behind the greatest accepted one are still
 * accepted once each, so packets reordered by less than 2048 positions
 * are never dropped.  2048 is twice the reference implementation's 1024
 * and far beyond the reordering of one path (a path switch reorders at
 * most a few hundred packets); it keeps the window at 280 bytes so an
 * idle client costs the dataplane under 4 KiB (three key pairs each).  Duplicates, counters WG_COUNTER_WINDOW or more
 * behind, and counters at or beyond WG_REJECT_AFTER_MESSAGES are refused.
 */
#ifndef FZ_WG_COUNTER_H
#define FZ_WG_COUNTER_H

#include <stdint.h>

#include "wg_types.h"

#define WG_COUNTER_WINDOW	2048
/* More than WG_COUNTER_WINDOW / 64 + 1 words: the word a new greatest
 * counter clears never holds a bit still inside the window. */
#define WG_COUNTER_RING_WORDS	(WG_COUNTER_WINDOW / 64 + 2)

struct wg_counter {
	uint64_t greatest;	/* highest counter accepted so far */
	uint64_t ring[WG_COUNTER_RING_WORDS];
};

/* Start empty: every counter from 0 on is acceptable. */
void wg_counter_init(struct wg_counter *c);

/*
 * Would n be accepted?  WG_OK, WG_ERR_REPLAY (duplicate or too old) or
 * WG_ERR_EXPIRED (n >= WG_REJECT_AFTER_MESSAGES).  Does not modify c; use
 * it before spending work on decryption.
 */
int wg_counter_check(const struct wg_counter *c, uint64_t n);

/*
 * Check n and, if acceptable, record it.  Same results as
 * wg_counter_check.  Call only after the message authenticated.
 */
int wg_counter_accept(struct wg_counter *c, uint64_t n);

#endif
