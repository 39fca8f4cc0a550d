/*
 * wg_noise.h - WireGuard's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake
 * and transport-data messages, sans-IO.
 *
 * Bytes, the monotonic time `now_ms` and (for initiations) the wall clock
 * go in; bytes and state changes come out.  Nothing here sends, sleeps,
 * reads a clock or logs a secret.  Randomness (ephemeral keys, sender
 * indices) comes from the local identity's struct wg_rng.
 *
 * mac1/mac2 are not handled here: messages are produced with both MAC
 * fields zero and the caller fills them with wg_cookie_add_macs(); on
 * receipt the caller checks them with wg_cookie_validate() first.
 *
 * Index ownership: every local index in use (a pending handshake, each
 * live keypair) is registered in the local identity's wg_index, mapping
 * it to its struct wg_noise_peer *.  This module allocates and removes
 * those entries itself.
 *
 * Receive dispatch for the glue, by wg_message_type() (wg_types.h):
 *   1 initiation: under = wg_cookie_under_load(); wg_cookie_validate()
 *     (WG_ERR_COOKIE_REQUIRED: send wg_cookie_create_reply() and stop);
 *     wg_noise_consume_initiation(); wg_noise_create_response();
 *     wg_cookie_add_macs(); send; wg_timers_session_derived().
 *   2 response: validate as above; wg_noise_consume_response();
 *     wg_timers_handshake_complete() + _session_derived(); send a
 *     keepalive (wg_noise_encrypt of 0 bytes) so the responder confirms.
 *   3 cookie reply: wg_noise_lookup_index(l, wg_noise_get_le32(msg + 4))
 *     gives the peer; wg_cookie_consume_reply() with its maker.
 *   4 data: wg_noise_decrypt(); if *confirmed, wg_timers_handshake_complete();
 *     if wg_noise_should_rekey_after_receive() and wg_timers_may_initiate(),
 *     initiate.
 * Send: wg_noise_encrypt(); WG_ERR_NO_SESSION / WG_ERR_EXPIRED mean
 * "initiate (if wg_timers_may_initiate) and queue"; after a successful
 * send, wg_noise_should_rekey_after_send() may ask for a new initiation.
 */
#ifndef FZ_WG_NOISE_H
#define FZ_WG_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wg_counter.h"
#include "wg_index.h"
#include "wg_types.h"

/* Our static identity, shared by all peers. */
struct wg_noise_local {
	uint8_t priv[WG_KEY_LEN];
	uint8_t pub[WG_KEY_LEN];
	struct wg_index *index;		/* borrowed; values are wg_noise_peer * */
	struct wg_rng rng;		/* fn NULL: RAND_bytes */
};

enum wg_noise_hs_state {
	WG_NOISE_HS_NONE = 0,
	WG_NOISE_HS_INITIATION_SENT,	/* we initiated, waiting for a response */
	WG_NOISE_HS_INITIATION_CONSUMED,/* we must answer with a response */
};

struct wg_noise_handshake {
	enum wg_noise_hs_state state;
	uint32_t local_index;		/* registered while INITIATION_SENT */
	uint32_t remote_index;
	uint8_t ck[WG_HASH_LEN];	/* chaining key */
	uint8_t h[WG_HASH_LEN];		/* transcript hash */
	uint8_t e_priv[WG_KEY_LEN];	/* our ephemeral (initiator) */
	uint8_t remote_e[WG_KEY_LEN];	/* their ephemeral (responder) */
	uint64_t created_ms;
};

struct wg_noise_keypair {
	bool valid;
	bool initiator;			/* we sent the initiation */
	uint32_t local_index;		/* receiver index of incoming data */
	uint32_t remote_index;		/* receiver index we put in outgoing data */
	uint64_t birth_ms;
	uint64_t send_counter;		/* next counter to use */
	uint8_t send_key[WG_KEY_LEN];
	uint8_t recv_key[WG_KEY_LEN];
	struct wg_counter replay;
};

struct wg_noise_peer {
	struct wg_noise_local *local;	/* borrowed */
	void *user;			/* the caller's handle, untouched */
	uint8_t remote_static[WG_KEY_LEN];
	uint8_t psk[WG_KEY_LEN];
	uint8_t ss[WG_KEY_LEN];		/* DH(our static, their static) */
	struct wg_noise_handshake hs;
	/* current: in use; previous: still accepted; next: unconfirmed (responder) */
	struct wg_noise_keypair cur, prev, next;
	uint8_t latest_timestamp[WG_TAI64N_LEN];
	uint64_t last_initiation_ms;
	bool have_initiation;
};

/* Initiations from one peer closer together than this are refused. */
#define WG_NOISE_MIN_INITIATION_INTERVAL_MS	20

/*
 * Set up the local identity.  priv NULL: generate a fresh key pair from
 * rng.  index (borrowed, initialised by the caller) receives every local
 * index.  rng NULL: RAND_bytes.  0, WG_ERR_CRYPTO.
 */
int wg_noise_local_init(struct wg_noise_local *l, const uint8_t *priv,
    struct wg_index *index, const struct wg_rng *rng);

/* Wipe the local identity's secrets. */
void wg_noise_local_wipe(struct wg_noise_local *l);

/*
 * Set up a peer with its static public key and preshared key (psk NULL:
 * all zero, i.e. no PSK).  Precomputes the static-static DH.  0,
 * WG_ERR_DH (their key is a low-order point) or WG_ERR_CRYPTO.
 */
int wg_noise_peer_init(struct wg_noise_peer *p, struct wg_noise_local *l,
    const uint8_t remote_static[WG_KEY_LEN], const uint8_t *psk, void *user);

/* Remove all of the peer's indices from the table and wipe it. */
void wg_noise_peer_wipe(struct wg_noise_peer *p);

/*
 * Build a handshake initiation (148 bytes, MACs zero) into out.  Any
 * pending handshake is abandoned.  `wall` is the current wall-clock
 * time (rounded down here so the timestamp leaks less).  0 or an error.
 */
int wg_noise_create_initiation(struct wg_noise_peer *p, uint64_t now_ms,
    const struct timespec *wall, uint8_t out[WG_INITIATION_LEN]);

/*
 * Finds the peer whose static public key is `remote_static`, or NULL.
 * Called at most once per consumed initiation, before any state changes.
 */
typedef struct wg_noise_peer *(*wg_noise_lookup_fn)(void *ctx,
    const uint8_t remote_static[WG_KEY_LEN]);

/*
 * Process a received initiation (MACs already checked).  On success
 * *peer_out is the sending peer, whose handshake is now
 * INITIATION_CONSUMED.  Errors: WG_ERR_INVAL (size/type), WG_ERR_DH,
 * WG_ERR_DECRYPT, WG_ERR_UNKNOWN_PEER, WG_ERR_REPLAY (timestamp not newer
 * than the last accepted), WG_ERR_FLOOD; on error no peer state changes.
 */
int wg_noise_consume_initiation(struct wg_noise_local *l, const uint8_t *msg,
    size_t len, uint64_t now_ms, wg_noise_lookup_fn lookup, void *ctx,
    struct wg_noise_peer **peer_out);

/*
 * Answer a consumed initiation: build the response (92 bytes, MACs zero)
 * and install the derived keys as the peer's `next` keypair, which
 * becomes current on the first data message received with it.
 * WG_ERR_STATE if no initiation is pending.
 */
int wg_noise_create_response(struct wg_noise_peer *p, uint64_t now_ms,
    uint8_t out[WG_RESPONSE_LEN]);

/*
 * Process a received response (MACs already checked) to our pending
 * initiation, found by its receiver index.  On success the derived keys
 * are the peer's current keypair and *peer_out is the peer.  Errors:
 * WG_ERR_INVAL, WG_ERR_UNKNOWN_PEER (index unknown), WG_ERR_STATE (no
 * initiation pending under that index), WG_ERR_DH, WG_ERR_DECRYPT.
 */
int wg_noise_consume_response(struct wg_noise_local *l, const uint8_t *msg,
    size_t len, uint64_t now_ms, struct wg_noise_peer **peer_out);

/*
 * Encrypt a transport-data message with the current keypair.  The
 * plaintext is zero-padded to a multiple of 16 but never beyond
 * pad_limit (pass the tunnel MTU; 0 disables padding).  Writes
 * 16 + padded + 16 bytes to out (outcap must allow it).  pt may lie at
 * out + 16; pt may be NULL when ptlen is 0 (a keepalive).  Errors: WG_ERR_NO_SESSION, WG_ERR_EXPIRED (keypair older
 * than REJECT_AFTER_TIME or message limit reached), WG_ERR_FULL, WG_ERR_CRYPTO.
 */
int wg_noise_encrypt(struct wg_noise_peer *p, uint64_t now_ms,
    const uint8_t *pt, size_t ptlen, size_t pad_limit, uint8_t *out,
    size_t outcap, size_t *outlen);

/*
 * Decrypt a transport-data message, finding the peer and keypair by the
 * receiver index.  Writes len - 32 bytes to out (out may be msg + 16);
 * *outlen 0 means a keepalive.  A first message on the `next` keypair
 * promotes it to current and sets *confirmed (if not NULL) to true: the
 * responder's handshake is complete (wg_timers_handshake_complete).
 * Errors: WG_ERR_INVAL, WG_ERR_UNKNOWN_PEER, WG_ERR_NO_SESSION (index
 * not a live keypair), WG_ERR_EXPIRED, WG_ERR_REPLAY, WG_ERR_FULL,
 * WG_ERR_DECRYPT.  *peer_out is set whenever the peer was found, even on
 * error.  The plaintext is not inspected: checking that it is an IP
 * packet and trimming padding to the IP length are the caller's job.
 */
int wg_noise_decrypt(struct wg_noise_local *l, const uint8_t *msg, size_t len,
    uint64_t now_ms, uint8_t *out, size_t outcap, size_t *outlen,
    struct wg_noise_peer **peer_out, bool *confirmed);

/* Read the little-endian 32-bit field at p (e.g. msg + 4). */
uint32_t wg_noise_get_le32(const uint8_t *p);

/* The peer owning local index idx, or NULL. */
struct wg_noise_peer *wg_noise_lookup_index(const struct wg_noise_local *l,
    uint32_t idx);

/* True if the current keypair exists and is younger than REJECT_AFTER_TIME. */
bool wg_noise_has_session(const struct wg_noise_peer *p, uint64_t now_ms);

/*
 * Rekey triggers (whitepaper section 6.2): after sending, when we were the
 * initiator of the current keypair and it is REKEY_AFTER_TIME old or has
 * sent REKEY_AFTER_MESSAGES; after receiving, when we were the initiator
 * and it is REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT old.
 */
bool wg_noise_should_rekey_after_send(const struct wg_noise_peer *p, uint64_t now_ms);
bool wg_noise_should_rekey_after_receive(const struct wg_noise_peer *p, uint64_t now_ms);

/* Forget all keypairs and any pending handshake (indices removed, wiped). */
void wg_noise_expire_keys(struct wg_noise_peer *p);

/* Abandon a pending handshake only (e.g. when retries give up). */
void wg_noise_clear_handshake(struct wg_noise_peer *p);

#endif
