/*
 * wg_counter.c - replay window: one bit per counter in a ring of words.
 *
 * Bit (n mod 64) of word (n / 64) mod RING_WORDS records counter n.  When
 * the greatest counter moves forward into later words, the words in
 * between are cleared; the ring is large enough that every counter inside
 * the window keeps its own bit.
 */
#include <string.h>

#include "wg_counter.h"

/* The ring is not a power of two (memory per client counts more than a
 * division by a constant, which compiles to a multiplication). */
#define RING_IDX(w)	((size_t)((w) % WG_COUNTER_RING_WORDS))

void
wg_counter_init(struct wg_counter *c)
{
	memset(c, 0, sizeof(*c));
}

int
wg_counter_check(const struct wg_counter *c, uint64_t n)
{
	uint64_t word;

	if (n >= WG_REJECT_AFTER_MESSAGES)
		return WG_ERR_EXPIRED;
	if (n > c->greatest)
		return WG_OK;
	if (c->greatest - n >= WG_COUNTER_WINDOW)
		return WG_ERR_REPLAY;
	word = c->ring[RING_IDX(n >> 6)];
	return (word & (UINT64_C(1) << (n & 63))) ? WG_ERR_REPLAY : WG_OK;
}

int
wg_counter_accept(struct wg_counter *c, uint64_t n)
{
	int rc;

	if ((rc = wg_counter_check(c, n)) != WG_OK)
		return rc;
	if (n > c->greatest) {
		uint64_t cur = c->greatest >> 6, next = n >> 6, i, diff;

		diff = next - cur;
		if (diff > WG_COUNTER_RING_WORDS)
			diff = WG_COUNTER_RING_WORDS;
		for (i = 1; i <= diff; i++)
			c->ring[RING_IDX(cur + i)] = 0;
		c->greatest = n;
	}
	c->ring[RING_IDX(n >> 6)] |= UINT64_C(1) << (n & 63);
	return WG_OK;
}
