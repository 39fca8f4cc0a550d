/*
 * wg_types.h - constants and the one error enum shared by the WireGuard
 * cores (wg_crypto, wg_noise, wg_cookie, wg_counter, wg_timers, wg_index).
 *
 * Every core function that can fail returns 0 (WG_OK) or one of the
 * negative codes below; authenticated decryption returns bool instead.
 * Time is passed in by the caller: `now_ms` is a monotonic clock in
 * milliseconds, the wall clock (for TAI64N) is a struct timespec.
 */
#ifndef FZ_WG_TYPES_H
#define FZ_WG_TYPES_H

#include <stddef.h>
#include <stdint.h>

enum wg_err {
	WG_OK = 0,
	WG_ERR_INVAL = -1,		/* bad argument, size or message type */
	WG_ERR_CRYPTO = -2,		/* an OpenSSL primitive failed */
	WG_ERR_DH = -3,			/* X25519 produced the all-zero value */
	WG_ERR_MAC1 = -4,		/* mac1 does not verify */
	WG_ERR_COOKIE_REQUIRED = -5,	/* under load and mac2 missing/wrong */
	WG_ERR_DECRYPT = -6,		/* AEAD authentication failed */
	WG_ERR_REPLAY = -7,		/* duplicate or too old counter/timestamp */
	WG_ERR_STATE = -8,		/* message not expected in this state */
	WG_ERR_UNKNOWN_PEER = -9,	/* static key or index matches no peer */
	WG_ERR_FULL = -10,		/* table or buffer too small */
	WG_ERR_NOT_FOUND = -11,		/* no such entry */
	WG_ERR_EXPIRED = -12,		/* session too old or message limit hit */
	WG_ERR_NO_SESSION = -13,	/* no usable transport keys */
	WG_ERR_FLOOD = -14,		/* initiations arrive faster than allowed */
	WG_ERR_NOMEM = -15,		/* allocation failed */
};

/* Returns a short constant name for an error code ("replay", ...). */
const char *wg_strerror(int err);

/* Key and field sizes (bytes). */
#define WG_KEY_LEN	32
#define WG_HASH_LEN	32
#define WG_TAG_LEN	16
#define WG_MAC_LEN	16
#define WG_COOKIE_LEN	16	/* the cookie value (mac2 key), not a message */
#define WG_TAI64N_LEN	12
#define WG_XNONCE_LEN	24

/* Message types (first byte; the next three bytes are zero). */
#define WG_MSG_INITIATION	1
#define WG_MSG_RESPONSE		2
#define WG_MSG_COOKIE_REPLY	3
#define WG_MSG_DATA		4

/* Message sizes. */
#define WG_INITIATION_LEN	148
#define WG_RESPONSE_LEN		92
#define WG_COOKIE_REPLY_LEN	64
#define WG_DATA_HEADER_LEN	16
#define WG_DATA_MIN_LEN		(WG_DATA_HEADER_LEN + WG_TAG_LEN)

/*
 * The one WireGuard classifier (demux.c and wg_noise.c both use it):
 * returns the message type WG_MSG_* if the type field, the three zero
 * bytes and the length agree (docs/protocol/p2p.md section 4.2), else WG_ERR_INVAL.
 * A data message may have any length from the minimum up: padding the
 * plaintext to 16 bytes is optional, and boringtun (the clients'
 * WireGuard) does not pad.
 */
static inline int
wg_message_type(const uint8_t *msg, size_t len)
{
	if (len < 4 || msg[1] != 0 || msg[2] != 0 || msg[3] != 0)
		return WG_ERR_INVAL;
	switch (msg[0]) {
	case WG_MSG_INITIATION:
		return len == WG_INITIATION_LEN ? WG_MSG_INITIATION : WG_ERR_INVAL;
	case WG_MSG_RESPONSE:
		return len == WG_RESPONSE_LEN ? WG_MSG_RESPONSE : WG_ERR_INVAL;
	case WG_MSG_COOKIE_REPLY:
		return len == WG_COOKIE_REPLY_LEN ? WG_MSG_COOKIE_REPLY : WG_ERR_INVAL;
	case WG_MSG_DATA:
		return len >= WG_DATA_MIN_LEN ? WG_MSG_DATA : WG_ERR_INVAL;
	default:
		return WG_ERR_INVAL;
	}
}

/* Message-count limits from the whitepaper (section 6.1). */
#define WG_REKEY_AFTER_MESSAGES		(UINT64_C(1) << 60)
#define WG_REJECT_AFTER_MESSAGES	(UINT64_MAX - (UINT64_C(1) << 13))

/*
 * Time limits in milliseconds.  The shipped values are the whitepaper's
 * (and docs/protocol/p2p.md section 4.7).  A build with -DWG_TEST_SHORT_TIMERS
 * (test builds only, never the default) divides every one of them by 10
 * so a rekey can be observed in an integration test.
 */
#ifdef WG_TEST_SHORT_TIMERS
#define WG_TIME_SCALE	10
#else
#define WG_TIME_SCALE	1
#endif
#define WG_REKEY_AFTER_TIME_MS		(120000 / WG_TIME_SCALE)
#define WG_REJECT_AFTER_TIME_MS		(180000 / WG_TIME_SCALE)
/* 20 s, not the whitepaper's 90 s: every connection of ours is an ICE
 * connection, and today's Firezone gives those up after 20 s (ICE finds
 * a dead path on its own; docs/portal-messages-today.md, "Timings"). */
#define WG_REKEY_ATTEMPT_TIME_MS	(20000 / WG_TIME_SCALE)
#define WG_REKEY_TIMEOUT_MS		(5000 / WG_TIME_SCALE)
#define WG_KEEPALIVE_TIMEOUT_MS		(10000 / WG_TIME_SCALE)
#define WG_PERSISTENT_KEEPALIVE_MS	(25000 / WG_TIME_SCALE)
#define WG_COOKIE_SECRET_MAX_AGE_MS	(120000 / WG_TIME_SCALE)
#define WG_COOKIE_MAX_AGE_MS		(120000 / WG_TIME_SCALE)
/* Maximum random jitter a caller should add to REKEY_TIMEOUT. */
#define WG_REKEY_TIMEOUT_JITTER_MAX_MS	(333 / WG_TIME_SCALE)

/*
 * Randomness source.  fn fills buf with len random bytes and returns 0,
 * or returns nonzero on failure.  A struct wg_rng with fn == NULL means
 * OpenSSL's RAND_bytes.  Tests inject a deterministic generator.
 */
typedef int (*wg_rng_fn)(void *ctx, uint8_t *buf, size_t len);
struct wg_rng {
	wg_rng_fn fn;
	void *ctx;
};

#endif
