/*
 * backoff.h - reconnect delays for the portal connection (spec
 * portal-protocol.md section 4.2).
 *
 * Exponential backoff with jitter: the base interval starts at 500 ms and
 * grows by 1.5x per retry up to 60 s; each delay is drawn uniformly from
 * [0.5 * base, 1.5 * base].  There is no maximum elapsed time: the
 * sequence never runs out.  The random source is injected so that tests
 * can replay a fixed sequence.  Sans-IO: no clock, no sleeping.
 */
#ifndef FZ_BACKOFF_H
#define FZ_BACKOFF_H

#include <stdint.h>

#define BACKOFF_INITIAL_MS	500u
#define BACKOFF_MAX_MS		60000u
#define BACKOFF_MULTIPLIER	1.5
#define BACKOFF_RANDOMIZATION	0.5

enum backoff_err {
	BACKOFF_OK = 0,
	BACKOFF_EINVAL = -1,	/* bad parameter (NULL, zero interval, ...) */
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
	double		randomization;	/* jitter: delay in base*(1 +- r) */
	double		current_ms;	/* base interval of the next delay */
	backoff_rand_fn	rand;
	void		*rand_ctx;
};

/*
 * Initialise with the spec's parameters and the given random source.
 * Returns BACKOFF_OK, or BACKOFF_EINVAL if b or rand is NULL.
 */
int backoff_init(struct backoff *b, backoff_rand_fn rand, void *rand_ctx);

/*
 * Initialise with explicit parameters (all intervals in milliseconds).
 * Returns BACKOFF_EINVAL unless 0 < initial <= max, multiplier >= 1 and
 * 0 <= randomization < 1.
 */
int backoff_init_params(struct backoff *b, uint64_t initial_ms, uint64_t max_ms,
    double multiplier, double randomization, backoff_rand_fn rand, void *rand_ctx);

/* Back to the initial interval (after a successful handshake or connect()). */
void backoff_reset(struct backoff *b);

/*
 * The next delay in milliseconds; advances the base interval.  Never fails
 * and never runs out.
 */
uint64_t backoff_next_ms(struct backoff *b);

#endif
