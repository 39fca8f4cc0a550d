/*
 * wg_cookie.h - mac1/mac2 and cookie replies (WireGuard whitepaper 5.4.4
 * and 5.4.7), with cookie-secret rotation and an under-load decision.
 *
 * Sans-IO: the caller passes `now_ms` (monotonic) and the datagram's
 * source address as bytes (see wg_cookie_addr_bytes).
 *
 * Receiving side (one checker for our static key):
 *   under = wg_cookie_under_load(chk, now);         per handshake message
 *   rc = wg_cookie_validate(chk, msg, len, src, srclen, now, under);
 *   WG_ERR_MAC1: drop.  WG_ERR_COOKIE_REQUIRED: send
 *   wg_cookie_create_reply(...) instead of processing.  WG_OK: go on.
 * Sending side (one maker per peer):
 *   wg_cookie_add_macs() on every initiation/response before sending;
 *   wg_cookie_consume_reply() on a received cookie reply.
 */
#ifndef FZ_WG_COOKIE_H
#define FZ_WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "wg_types.h"

/* Default rate of handshake messages per second above which mac2 is required. */
#define WG_COOKIE_DEFAULT_THRESHOLD	100
/* Once the rate was exceeded, mac2 stays required this long. */
#define WG_COOKIE_UNDER_LOAD_HOLD_MS	1000
/* Largest encoding of a source address (IPv6 + port). */
#define WG_COOKIE_ADDR_MAX		18

struct wg_cookie_checker {
	uint8_t mac1_key[WG_HASH_LEN];	/* HASH("mac1----" || our public) */
	uint8_t cookie_key[WG_KEY_LEN];	/* HASH("cookie--" || our public) */
	uint8_t secret[WG_HASH_LEN];	/* random, rotated every 120 s */
	uint64_t secret_birth_ms;
	bool secret_valid;
	struct wg_rng rng;
	uint32_t threshold;		/* handshake messages per second */
	uint64_t window_start_ms;
	uint32_t window_count;
	uint64_t under_load_until_ms;
	bool window_valid;
};

struct wg_cookie_maker {
	uint8_t mac1_key[WG_HASH_LEN];	/* HASH("mac1----" || peer public) */
	uint8_t cookie_key[WG_KEY_LEN];	/* HASH("cookie--" || peer public) */
	uint8_t cookie[WG_COOKIE_LEN];	/* last cookie received */
	uint64_t cookie_birth_ms;
	bool have_cookie;
	uint8_t last_mac1[WG_MAC_LEN];	/* mac1 of our last handshake message */
	bool have_last_mac1;
};

/*
 * Set up the checker for our static public key.  threshold 0: the
 * default.  rng NULL: RAND_bytes.  0 or WG_ERR_CRYPTO.
 */
int wg_cookie_checker_init(struct wg_cookie_checker *chk,
    const uint8_t local_pub[WG_KEY_LEN], uint32_t threshold,
    const struct wg_rng *rng);

/* Wipe the checker's secrets. */
void wg_cookie_checker_wipe(struct wg_cookie_checker *chk);

/*
 * Count one received handshake message at now_ms and return true if
 * the rate in the current one-second window exceeded the threshold
 * within the last WG_COOKIE_UNDER_LOAD_HOLD_MS.
 */
bool wg_cookie_under_load(struct wg_cookie_checker *chk, uint64_t now_ms);

/*
 * Check mac1 (always) and, if under_load, mac2 of a received initiation
 * or response.  0, WG_ERR_INVAL (not a handshake message), WG_ERR_MAC1,
 * WG_ERR_COOKIE_REQUIRED, WG_ERR_CRYPTO.
 */
int wg_cookie_validate(struct wg_cookie_checker *chk, const uint8_t *msg,
    size_t len, const uint8_t *src, size_t srclen, uint64_t now_ms,
    bool under_load);

/*
 * Build the 64-byte cookie reply to a received initiation or response
 * (whose mac1 verified) from source address src.  The cookie secret is
 * regenerated first if it is 120 s old.  0, WG_ERR_INVAL, WG_ERR_CRYPTO.
 */
int wg_cookie_create_reply(struct wg_cookie_checker *chk, const uint8_t *msg,
    size_t len, const uint8_t *src, size_t srclen, uint64_t now_ms,
    uint8_t out[WG_COOKIE_REPLY_LEN]);

/* Set up a maker for a peer's static public key.  0 or WG_ERR_CRYPTO. */
int wg_cookie_maker_init(struct wg_cookie_maker *mk,
    const uint8_t remote_pub[WG_KEY_LEN]);

/* Wipe the maker. */
void wg_cookie_maker_wipe(struct wg_cookie_maker *mk);

/*
 * Fill mac1 and mac2 of an initiation or response about to be sent:
 * mac2 is zero unless a cookie younger than 120 s is held.  0,
 * WG_ERR_INVAL, WG_ERR_CRYPTO.
 */
int wg_cookie_add_macs(struct wg_cookie_maker *mk, uint8_t *msg, size_t len,
    uint64_t now_ms);

/*
 * Process a received cookie reply addressed to this peer (the caller
 * found the peer by the receiver index).  Accepted only once per sent
 * handshake message.  0, WG_ERR_INVAL, WG_ERR_STATE (no message of ours
 * outstanding), WG_ERR_DECRYPT.
 */
int wg_cookie_consume_reply(struct wg_cookie_maker *mk, const uint8_t *msg,
    size_t len, uint64_t now_ms);

/*
 * Encode an AF_INET/AF_INET6 address as the cookie input: the address
 * bytes then the port, both in network order.  Returns the length (6 or
 * 18), or 0 for another family.
 */
size_t wg_cookie_addr_bytes(uint8_t out[WG_COOKIE_ADDR_MAX],
    const struct sockaddr *sa);

#endif
