/*
 * backoff.c - exponential reconnect backoff with jitter and a delay budget
 * (see backoff.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"

int
backoff_init_params(struct backoff *b, uint64_t initial_ms, uint64_t max_ms,
    double multiplier, double jitter, uint64_t budget_ms, backoff_rand_fn rand,
    void *rand_ctx)
{
	if (b == NULL || rand == NULL || initial_ms == 0 || initial_ms > max_ms ||
	    !(multiplier >= 1.0) || !(jitter >= 0.0) || !(jitter <= 1.0))
		return BACKOFF_EINVAL;
	b->initial_ms = initial_ms;
	b->max_ms = max_ms;
	b->multiplier = multiplier;
	b->jitter = jitter;
	b->current_ms = (double)initial_ms;
	b->budget_ms = budget_ms;
	b->spent_ms = 0;
	b->rand = rand;
	b->rand_ctx = rand_ctx;
	return BACKOFF_OK;
}

int
backoff_init(struct backoff *b, backoff_rand_fn rand, void *rand_ctx)
{
	return backoff_init_params(b, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS,
	    BACKOFF_MULTIPLIER, BACKOFF_JITTER, BACKOFF_DEFAULT_BUDGET_MS, rand, rand_ctx);
}

void
backoff_set_budget(struct backoff *b, uint64_t budget_ms)
{
	b->budget_ms = budget_ms;
}

void
backoff_reset(struct backoff *b)
{
	b->current_ms = (double)b->initial_ms;
	b->spent_ms = 0;
}

int
backoff_next(struct backoff *b, uint64_t *delay_ms)
{
	double base = b->current_ms;
	double frac = (double)b->rand(b->rand_ctx) / 4294967296.0;
	uint64_t d = (uint64_t)(base + frac * b->jitter * base + 0.5);
	double grown;

	if (b->budget_ms != 0 && (d > b->budget_ms || b->spent_ms > b->budget_ms - d))
		return BACKOFF_EXHAUSTED;
	/* Grow the base for next time; the cap applies to the base only. */
	grown = base * b->multiplier;
	b->current_ms = grown >= (double)b->max_ms ? (double)b->max_ms : grown;
	b->spent_ms += d;
	*delay_ms = d;
	return BACKOFF_OK;
}
