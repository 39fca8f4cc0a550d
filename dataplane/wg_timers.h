/*
 * wg_timers.h - per-peer WireGuard timer state machine, sans-IO.
 *
 * The glue reports events as they happen (functions named after them)
 * and calls wg_timers_tick() at or after the returned deadline; tick
 * returns what to do.  No clock is read and no timer is armed here: the
 * glue owns one event-loop timer per peer and re-arms it to
 * wg_timers_next_deadline() after every call.
 *
 * Constants are the whitepaper's (wg_types.h) and docs/protocol/p2p.md section 4.7:
 * passive keepalive after KEEPALIVE_TIMEOUT (10 s), new handshake when data
 * was sent but nothing received for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT
 * (15 s) + jitter, initiation retransmitted every REKEY_TIMEOUT (5 s) +
 * jitter and abandoned after REKEY_ATTEMPT_TIME (20 s for our ICE
 * connections; the whitepaper's 90 s elsewhere), all keys dropped
 * 3 x REJECT_AFTER_TIME (540 s) after the last new session, persistent
 * keepalive every 25 s of silence.
 *
 * Which event to report when (glue contract):
 *   sent a transport message with data      data_sent, any_authenticated_packet_sent, _traversal
 *   sent a keepalive (empty transport)      any_authenticated_packet_sent, _traversal
 *   sent an initiation                      handshake_initiated, any_authenticated_packet_sent, _traversal
 *   sent a response                         any_authenticated_packet_sent, _traversal
 *   received transport data (non-empty)     data_received, any_authenticated_packet_received, _traversal
 *   received a keepalive                    any_authenticated_packet_received, _traversal
 *   received a valid initiation/response    any_authenticated_packet_received, _traversal
 *   consumed a response (we initiated)      handshake_complete, session_derived
 *   created a response (we responded)      session_derived
 *   first data on the responder's new keys  handshake_complete
 */
#ifndef FZ_WG_TIMERS_H
#define FZ_WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "wg_types.h"

/* Deadline value meaning "not armed". */
#define WG_TIMERS_NEVER	UINT64_MAX

/* Actions returned by wg_timers_tick (a bit mask). */
enum wg_timers_action {
	WG_TIMERS_NONE = 0,
	/* Send an empty transport message (or, with no session, an initiation). */
	WG_TIMERS_SEND_KEEPALIVE = 1 << 0,
	/* Create and send a handshake initiation, then report handshake_initiated. */
	WG_TIMERS_INITIATE_HANDSHAKE = 1 << 1,
	/* Drop all key material (wg_noise_expire_keys); 540 s without a new session. */
	WG_TIMERS_EXPIRE_SESSION = 1 << 2,
	/* Handshake attempts exhausted (20 s): the connection has failed. */
	WG_TIMERS_GIVE_UP = 1 << 3,
};

struct wg_timers {
	uint32_t persistent_keepalive_ms;	/* 0: off */
	uint64_t retransmit_at;		/* next initiation retransmission */
	uint64_t keepalive_at;		/* passive keepalive */
	uint64_t new_handshake_at;	/* sent data, nothing heard back */
	uint64_t zero_keys_at;		/* key material expiry */
	uint64_t persistent_at;		/* persistent keepalive */
	uint64_t attempt_start_ms;	/* first initiation of this attempt */
	uint64_t last_initiation_ms;	/* most recent initiation sent */
	bool attempting;		/* an initiation is outstanding */
	bool sent_initiation;		/* last_initiation_ms is meaningful */
	bool keepalive_again;		/* data arrived while keepalive pending */
};

/*
 * Initialise with every timer disarmed.  persistent_keepalive_ms: 0 for
 * none, WG_PERSISTENT_KEEPALIVE_MS (25 s) for Firezone connections.
 */
void wg_timers_init(struct wg_timers *t, uint32_t persistent_keepalive_ms);

/*
 * Event handlers.  jitter_ms is a fresh random value in
 * [0, WG_REKEY_TIMEOUT_JITTER_MAX_MS] (larger values are clamped).
 */

/* Sent non-empty data: arms "new handshake" at +15 s + jitter unless armed. */
void wg_timers_data_sent(struct wg_timers *t, uint64_t now_ms, uint32_t jitter_ms);

/* Received non-empty data: arms the passive keepalive at +10 s (or flags another). */
void wg_timers_data_received(struct wg_timers *t, uint64_t now_ms);

/* Sent any authenticated message: cancels a pending passive keepalive. */
void wg_timers_any_authenticated_packet_sent(struct wg_timers *t, uint64_t now_ms);

/* Received any authenticated message: cancels "new handshake". */
void wg_timers_any_authenticated_packet_received(struct wg_timers *t, uint64_t now_ms);

/* Sent or received any authenticated message: restarts the persistent keepalive. */
void wg_timers_any_authenticated_packet_traversal(struct wg_timers *t, uint64_t now_ms);

/*
 * Sent an initiation (first or retransmitted): arms the retransmission at
 * +5 s + jitter; the first one of an attempt starts the 20 s give-up clock.
 */
void wg_timers_handshake_initiated(struct wg_timers *t, uint64_t now_ms, uint32_t jitter_ms);

/* Handshake finished (response consumed, or responder keys confirmed): stops retransmission. */
void wg_timers_handshake_complete(struct wg_timers *t, uint64_t now_ms);

/* New transport keys derived: key-material expiry moves to +540 s. */
void wg_timers_session_derived(struct wg_timers *t, uint64_t now_ms);

/*
 * May the glue start a new (non-retransmitted) initiation now?  False if
 * one was sent less than REKEY_TIMEOUT ago.  Use before initiating on
 * outgoing data without a session or on a rekey trigger.
 */
bool wg_timers_may_initiate(const struct wg_timers *t, uint64_t now_ms);

/*
 * Run every timer whose deadline is <= now_ms.  Returns a mask of enum
 * wg_timers_action and stores the next deadline (WG_TIMERS_NEVER if
 * none) in *next_ms (may be NULL).
 */
unsigned int wg_timers_tick(struct wg_timers *t, uint64_t now_ms,
    uint64_t *next_ms);

/* Earliest armed deadline, or WG_TIMERS_NEVER. */
uint64_t wg_timers_next_deadline(const struct wg_timers *t);

/* Disarm everything (peer removed or connection failed). */
void wg_timers_stop(struct wg_timers *t);

#endif
