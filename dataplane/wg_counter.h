/*
 * wg_counter.h - transport-message replay window (RFC 6479 style).
 *
 * A ring of 64-bit words holds one bit per counter value.  Counters up to
 * WG_COUNTER_WINDOW - 1 behind the greatest accepted one are still
 * accepted once each, so packets reordered by less than 8192 positions
 * are never dropped.  Duplicates, counters WG_COUNTER_WINDOW or more
 * behind, and counters at or beyond WG_REJECT_AFTER_MESSAGES are refused.
 */
#ifndef FZ_WG_COUNTER_H
#define FZ_WG_COUNTER_H

#include <stdint.h>

#include "wg_types.h"

#define WG_COUNTER_WINDOW	8192
/* Power of two, and more than WG_COUNTER_WINDOW / 64 + 1 words. */
#define WG_COUNTER_RING_WORDS	256

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
