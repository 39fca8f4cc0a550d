/*
 * backoff.h - reconnect delays for the portal connection.
 *
 * Exponential backoff with additive jitter, as today's upstream gateway
 * (backon): the base interval starts at 500 ms and grows by 1.5x per retry
 * up to 60 s; each delay is the base plus a random 0..100 % of it (so at
 * most 120 s).  The delays handed out are summed; once the next one would
 * push the sum past the budget (FIREZONE_MAX_PARTITION_TIME, default 24 h)
 * the sequence is exhausted and the gateway gives up.  The random source is
 * injected so that tests can replay a fixed sequence.  Sans-IO: no clock,
 * no sleeping.
 */
#ifndef FZ_BACKOFF_H
#define FZ_BACKOFF_H

#include <stdint.h>

#define BACKOFF_INITIAL_MS	500u
#define BACKOFF_MAX_MS		60000u
#define BACKOFF_MULTIPLIER	1.5
#define BACKOFF_JITTER		1.0		/* delay in [base, 2 * base) */
#define BACKOFF_DEFAULT_BUDGET_MS (24ull * 3600 * 1000)	/* 24 h */

enum backoff_err {
	BACKOFF_OK = 0,
	BACKOFF_EINVAL = -1,	/* bad parameter (NULL, zero interval, ...) */
	BACKOFF_EXHAUSTED = -2,	/* the delay budget is spent: give up */
};

/*
 * Random source: returns 32 uniformly distributed random bits.  The value
 * r is used as the fraction r / 2^32 in [0, 1).
 */
typedef uint32_t (*backoff_rand_fn)(void *ctx);

struct backoff {
	uint64_t	initial_ms;	/* first base interval */
	uint64_t	max_ms;		/* cap on the base interval */
	double		multiplier;	/* growth of the base interval */
	double		jitter;		/* delay = base * (1 + U[0,1) * jitter) */
	double		current_ms;	/* base interval of the next delay */
	uint64_t	budget_ms;	/* sum of delays allowed; 0: no limit */
	uint64_t	spent_ms;	/* sum of the delays handed out */
	backoff_rand_fn	rand;
	void		*rand_ctx;
};

/*
 * Initialise with the parameters above (budget 24 h) and the given random
 * source.  Returns BACKOFF_OK, or BACKOFF_EINVAL if b or rand is NULL.
 */
int backoff_init(struct backoff *b, backoff_rand_fn rand, void *rand_ctx);

/*
 * Initialise with explicit parameters (all intervals in milliseconds;
 * budget_ms 0 means no limit).  Returns BACKOFF_EINVAL unless
 * 0 < initial <= max, multiplier >= 1 and 0 <= jitter <= 1.
 */
int backoff_init_params(struct backoff *b, uint64_t initial_ms, uint64_t max_ms,
    double multiplier, double jitter, uint64_t budget_ms, backoff_rand_fn rand,
    void *rand_ctx);

/* Change the delay budget (0: no limit); what was spent stays spent. */
void backoff_set_budget(struct backoff *b, uint64_t budget_ms);

/*
 * Back to the initial interval with the whole budget (after a successful
 * join, or when a reconnect without delay is asked for).
 */
void backoff_reset(struct backoff *b);

/*
 * The next delay in milliseconds in *delay_ms; advances the base interval
 * and adds the delay to what was spent.  Returns BACKOFF_OK, or
 * BACKOFF_EXHAUSTED (nothing changed, *delay_ms untouched) when the delay
 * would take the sum past the budget.
 */
int backoff_next(struct backoff *b, uint64_t *delay_ms);

#endif
