/*
 * backoff.c - exponential reconnect backoff with jitter (see backoff.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"

int
backoff_init_params(struct backoff *b, uint64_t initial_ms, uint64_t max_ms,
    double multiplier, double randomization, backoff_rand_fn rand, void *rand_ctx)
{
	if (b == NULL || rand == NULL || initial_ms == 0 || initial_ms > max_ms ||
	    !(multiplier >= 1.0) || !(randomization >= 0.0) ||
	    !(randomization < 1.0))
		return BACKOFF_EINVAL;
	b->initial_ms = initial_ms;
	b->max_ms = max_ms;
	b->multiplier = multiplier;
	b->randomization = randomization;
	b->current_ms = (double)initial_ms;
	b->rand = rand;
	b->rand_ctx = rand_ctx;
	return BACKOFF_OK;
}

int
backoff_init(struct backoff *b, backoff_rand_fn rand, void *rand_ctx)
{
	return backoff_init_params(b, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS,
	    BACKOFF_MULTIPLIER, BACKOFF_RANDOMIZATION, rand, rand_ctx);
}

void
backoff_reset(struct backoff *b)
{
	b->current_ms = (double)b->initial_ms;
}

uint64_t
backoff_next_ms(struct backoff *b)
{
	double base = b->current_ms;
	double delta = b->randomization * base;
	double lo = base - delta;
	double frac = (double)b->rand(b->rand_ctx) / 4294967296.0;
	double delay = lo + frac * (2.0 * delta);
	double grown;

	/* Grow the base for next time; the cap applies to the base only. */
	grown = base * b->multiplier;
	if (grown >= (double)b->max_ms)
		b->current_ms = (double)b->max_ms;
	else
		b->current_ms = grown;

	if (delay < 0.0)
		delay = 0.0;
	return (uint64_t)(delay + 0.5);
}
