/*
 * turn.h - sans-IO TURN client for one relay (docs/protocol/p2p.md section 3, 5, 9.2,
 * 9.3), built on libnice's STUN library (no NiceAgent).
 *
 * One struct turn_client per relay.  A relay has one or two server
 * addresses (IPv4 and/or IPv6, section 3.1); the client probes each with an
 * unauthenticated Binding (section 3.2), the first address that answers
 * becomes the active server, and one allocation is made there asking for
 * an IPv4 and an IPv6 relayed address (ADDITIONAL-ADDRESS-FAMILY, section
 * 3.5).  Every Binding answer yields a server-reflexive address event.
 *
 * Driving it (all times are monotonic milliseconds supplied by the caller):
 *   turn_client_new, turn_client_start
 *   then, in any order: turn_client_input (each datagram from a server
 *   address), turn_client_timeout (when turn_client_next_deadline is due),
 *   turn_client_bind_channel / turn_client_release_channel,
 *   turn_client_refresh, turn_client_stop;
 *   after each call: drain turn_client_poll_transmit (send each datagram
 *   to its destination) and turn_client_poll_event, then re-arm the timer
 *   with turn_client_next_deadline.
 * The core never opens sockets, reads the clock or exits.  Transmit data
 * points into the client and stays valid until the next call that is not
 * a poll or a query.
 *
 * Glue (control process):
 *   - input: IPC_D2C_UDP_RX with kind IPC_UDP_KIND_RELAY, to the client
 *     for which turn_client_is_server(from) holds (STUN from a relay
 *     address; ChannelData stays in the dataplane);
 *   - transmit: sendto() on control's duplicate of the UDP socket of
 *     tx.dst's family, no source address (section 1.1);
 *   - events: SRFLX -> srflx candidate (base = local); ALLOCATED -> relay
 *     candidates; ALLOCATION_LOST -> withdraw them, tell the dataplane the
 *     channels are gone; CHANNEL_BOUND -> the dataplane may use (server,
 *     channel) for that peer; FAILED -> remove the relay (section 3.9).
 *
 * Interop choices (section 9.3: work with the Firezone relay and coturn):
 *   - the first Allocate carries no MESSAGE-INTEGRITY (no USERNAME, REALM,
 *     NONCE): both servers answer it with 401 + REALM + NONCE;
 *   - Refresh carries only LIFETIME (when deleting) and the credentials,
 *     never REQUESTED-TRANSPORT or ADDITIONAL-ADDRESS-FAMILY;
 *   - no CreatePermission, ever: ChannelBind installs the permission on a
 *     standard server, the Firezone relay has none; bound channels are
 *     re-bound every TURN_CHANNEL_REBIND_MS (4 min), before the 5 min
 *     permission lifetime of RFC 8656, which also refreshes the 10 min
 *     channel lifetime;
 *   - requests carry FINGERPRINT (both servers accept it); responses are
 *     accepted with or without FINGERPRINT (one that is present must
 *     verify);
 *   - an answer to a signed request (every request after the first 401)
 *     must carry MESSAGE-INTEGRITY that verifies with the long-term key
 *     (RFC 8489 9.2.5, RFC 8656), or it is ignored as if never received
 *     and counted (turn_client_integrity_drops); only 401 and 438 may come
 *     unsigned.  Today's Firezone relay and coturn both sign these answers;
 *     answers to unsigned requests (Binding, the first Allocate) are not
 *     checked;
 *   - a retransmission repeats the request byte for byte (same transaction
 *     id, RFC 8489 section 6.2.1); a request re-sent after a 401/438
 *     challenge is a new transaction.
 *
 * Scale: lookups by transaction id, channel number and peer address are
 * O(1); the channel refresh schedule is a FIFO; the next deadline scans at
 * most TURN_TXN_MAX transactions.
 */
#ifndef FZ_TURN_H
#define FZ_TURN_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

#define TURN_REALM_DEFAULT	"firezone"
#define TURN_USERNAME_MAX	256
#define TURN_PASSWORD_MAX	256
#define TURN_REALM_MAX		127
#define TURN_NONCE_MAX		255
#define TURN_SOFTWARE_MAX	127
#define TURN_MSG_MAX		1024	/* largest request we build */
#define TURN_RX_MAX		2048	/* largest response we look at (IPC_MAX_DATAGRAM) */

#define TURN_CHANNEL_MIN	0x4000u
#define TURN_CHANNEL_MAX	0x4FFFu
#define TURN_CHANNELS		(TURN_CHANNEL_MAX - TURN_CHANNEL_MIN + 1)
#define TURN_CHANNEL_HDR	4
#define TURN_PENDING_MAX	100	/* channel requests buffered before an allocation (3.6) */
#define TURN_TXN_MAX		64	/* transactions in flight per client */

/* Retransmission (section 3.8, today's value): 1 s, x1.5, abandoned 8 s
 * after the first transmission (sent at 0, 1, 2.5, 4.75 s; given up at 8 s). */
#define TURN_RTO_INITIAL_MS	1000u
#define TURN_RTO_MAX_ELAPSED_MS	8000u

#define TURN_CHANNEL_LIFETIME_MS	600000u	/* RFC 8656 and the Firezone relay */
#define TURN_CHANNEL_REBIND_MS		240000u	/* before the 300 s permission lifetime */
#define TURN_CHANNEL_REUSE_MS		900000u	/* 600 s lifetime + 300 s reservation */
#define TURN_REFRESH_RETRY_MS		10000u	/* after a Refresh error response */
/* While allocated, a STUN Binding to the active server every 25 s keeps
 * the NAT binding towards the relay open (upstream #7819; turn_config's
 * keepalive_ms). */
#define TURN_KEEPALIVE_MS		25000u

/* Return codes: 0 or one of these. */
enum turn_err {
	TURN_OK = 0,
	TURN_ERR_INVAL = -1,		/* bad argument */
	TURN_ERR_STATE = -2,		/* not possible in the current state */
	TURN_ERR_NOT_OURS = -3,		/* datagram not from one of our servers */
	TURN_ERR_MALFORMED = -4,	/* not a well-formed STUN message */
	TURN_ERR_UNMATCHED = -5,	/* no such transaction (or wrong source/method) */
	TURN_ERR_INTEGRITY = -6,	/* MESSAGE-INTEGRITY or FINGERPRINT did not verify */
	TURN_ERR_IGNORED = -7,		/* well-formed but not for us (request, indication) */
	TURN_ERR_FAMILY = -8,		/* no relayed address of the peer's family */
	TURN_ERR_FULL = -9,		/* no channel number, buffer or transaction slot */
	TURN_ERR_NOSPACE = -10,		/* output buffer too small */
	TURN_ERR_NOMEM = -11,		/* allocation failed (turn_client_new only) */
};

/* Why something failed or went away. */
enum turn_reason {
	TURN_REASON_NONE = 0,
	TURN_REASON_TIMEOUT,		/* retransmissions exhausted: relay unreachable */
	TURN_REASON_CREDENTIALS,	/* 401 to a request that had a NONCE: expired or wrong */
	TURN_REASON_REALM,		/* challenge for another realm */
	TURN_REASON_CHALLENGE_LOOP,	/* too many 401/438 in a row for one request */
	TURN_REASON_MISMATCH,		/* 437 allocation mismatch */
	TURN_REASON_BAD_REQUEST,	/* 400 */
	TURN_REASON_FORBIDDEN,		/* 403 */
	TURN_REASON_UNKNOWN_ATTRIBUTE,	/* 420 */
	TURN_REASON_WRONG_CREDENTIALS,	/* 441 */
	TURN_REASON_UNSUPPORTED_TRANSPORT, /* 442 */
	TURN_REASON_FAMILY,		/* 440 / 443 address family not supported */
	TURN_REASON_QUOTA,		/* 486 allocation quota reached */
	TURN_REASON_SERVER_ERROR,	/* 500 */
	TURN_REASON_CAPACITY,		/* 508 insufficient capacity */
	TURN_REASON_ERROR,		/* any other error response */
	TURN_REASON_BAD_RESPONSE,	/* success without the required attributes, or
					 * with unknown comprehension-required ones */
	TURN_REASON_EXPIRED,		/* allocation lifetime ran out locally */
	TURN_REASON_DELETED,		/* server answered a Refresh with LIFETIME 0 */
	TURN_REASON_STOPPED,		/* turn_client_stop */
};

enum turn_event_type {
	/* Binding answer: addr = our server-reflexive address as seen by
	 * server; local = the local address given to turn_client_input. */
	TURN_EV_SRFLX = 1,
	/* Allocation made (or re-made): relayed4/relayed6 (has_relayed4/6),
	 * mapped (has_mapped, informational), lifetime_s. */
	TURN_EV_ALLOCATED,
	/* The relayed addresses and every channel (bound, in flight or
	 * buffered) are gone; reason says why.  Not terminal by itself. */
	TURN_EV_ALLOCATION_LOST,
	/* An Allocate failed for good (reason, error_code); the client is
	 * suspended: turn_client_refresh starts over.  Buffered channel
	 * requests were dropped (each reported as TURN_EV_CHANNEL_FAILED). */
	TURN_EV_ALLOCATE_FAILED,
	/* channel is now usable towards addr (the peer). */
	TURN_EV_CHANNEL_BOUND,
	/* The channel towards addr failed or was dropped; it is not usable
	 * (reason, error_code).  Asking for the same peer again within
	 * TURN_CHANNEL_REUSE_MS gets the same number back. */
	TURN_EV_CHANNEL_FAILED,
	/* Terminal: remove this relay (reason; TURN_REASON_CREDENTIALS when the
	 * credentials expired or were refused: fresh ones come from the
	 * portal).  Preceded by TURN_EV_ALLOCATION_LOST if there was one. */
	TURN_EV_FAILED,
	/* Terminal: turn_client_stop finished (the delete was answered or
	 * timed out); credentials are wiped. */
	TURN_EV_STOPPED,
};

struct turn_event {
	enum turn_event_type type;
	enum turn_reason reason;
	uint16_t error_code;	/* STUN error code behind reason, 0 if none */
	uint16_t channel;	/* CHANNEL_* */
	struct ipc_addr addr;	/* SRFLX: mapped; CHANNEL_*: peer */
	struct ipc_addr server;	/* server address the event is about */
	struct ipc_addr local;	/* SRFLX: local address of the answer */
	struct ipc_addr relayed4;
	struct ipc_addr relayed6;
	struct ipc_addr mapped;
	uint8_t has_relayed4;
	uint8_t has_relayed6;
	uint8_t has_mapped;
	uint32_t lifetime_s;
};

struct turn_transmit {
	struct ipc_addr dst;
	const uint8_t *data;	/* owned by the client, see above */
	size_t len;
};

/* Coarse state, for logs, health and tests. */
enum turn_state {
	TURN_S_IDLE = 0,	/* created, not started */
	TURN_S_BINDING,		/* probing the server addresses */
	TURN_S_ALLOCATING,	/* Allocate (or a stale-allocation delete) in flight */
	TURN_S_ALLOCATED,
	TURN_S_SUSPENDED,	/* server reachable, no allocation, nothing in flight */
	TURN_S_STOPPING,	/* delete (Refresh LIFETIME 0) in flight */
	TURN_S_STOPPED,
	TURN_S_FAILED,
};

struct turn_client;

struct turn_config {
	struct ipc_addr server[2];	/* family 4 and/or 6, port != 0 */
	size_t n_server;		/* 1 or 2 */
	const char *username;		/* portal "username" (opaque) */
	const char *password;		/* portal "password" (secret, copied) */
	const char *realm;		/* NULL: TURN_REALM_DEFAULT */
	const char *software;		/* SOFTWARE attribute, NULL: none */
	uint32_t keepalive_ms;		/* while allocated, a Binding to the active
					 * server this often; 0: none (control
					 * uses TURN_KEEPALIVE_MS) */
};

/* A zeroed client in the IDLE state, or NULL when out of memory.  The
 * client is large (channel table); allocate one per relay. */
struct turn_client *turn_client_new(void);
/* Wipe the credentials and free.  NULL is fine. */
void turn_client_free(struct turn_client *c);

/*
 * Copy the configuration (the password into a fixed array) and send the
 * Bindings.  Returns TURN_OK, TURN_ERR_INVAL (no server, bad family or
 * port, empty/oversized strings) or TURN_ERR_STATE (not IDLE).
 */
int turn_client_start(struct turn_client *c, uint64_t now_ms, const struct turn_config *cfg);

/*
 * A datagram from `from` (one of our servers); local may be NULL.  Returns
 * TURN_OK if it answered one of our transactions, otherwise a negative
 * code and the datagram changed nothing (TURN_ERR_INTEGRITY: an answer to a
 * signed request without a valid MESSAGE-INTEGRITY, or a bad FINGERPRINT).  Never trusts a length from the
 * network; len is bounded by TURN_RX_MAX.
 */
int turn_client_input(struct turn_client *c, uint64_t now_ms, const struct ipc_addr *from,
    const struct ipc_addr *local, const uint8_t *data, size_t len);

/* Run the timers that are due at now_ms (retransmit, give up, refresh,
 * channel re-bind, local expiry). */
void turn_client_timeout(struct turn_client *c, uint64_t now_ms);

/* Earliest time turn_client_timeout has work, or UINT64_MAX. */
uint64_t turn_client_next_deadline(struct turn_client *c);

/*
 * Ask for a channel towards peer.  Returns the channel number (0x4000-
 * 0x4FFF, usable once TURN_EV_CHANNEL_BOUND is reported; immediately if
 * the peer is already bound) or TURN_ERR_FAMILY (the allocation has no
 * relayed address of that family), TURN_ERR_FULL (no free number, or
 * TURN_PENDING_MAX requests already buffered), TURN_ERR_STATE (failed,
 * stopping or stopped).  Requests made before the allocation exists are
 * buffered; duplicates return the same number.
 */
int turn_client_bind_channel(struct turn_client *c, uint64_t now_ms, const struct ipc_addr *peer);

/* Stop re-binding the channel towards peer; its number is reserved for
 * TURN_CHANNEL_REUSE_MS (the server may still hold it) and is reused if the
 * same peer asks again.  Returns TURN_OK or TURN_ERR_INVAL (unknown peer). */
int turn_client_release_channel(struct turn_client *c, uint64_t now_ms, const struct ipc_addr *peer);

/*
 * Section 3.9 "refresh": when suspended, start over from the Bindings;
 * when allocated, send a Refresh now (unless one is in flight); otherwise
 * nothing.  Returns TURN_OK or TURN_ERR_STATE (failed or stopped).
 */
int turn_client_refresh(struct turn_client *c, uint64_t now_ms);

/* Delete the allocation (Refresh LIFETIME 0) if there may be one, then
 * report TURN_EV_STOPPED; immediately when there is nothing to delete. */
void turn_client_stop(struct turn_client *c, uint64_t now_ms);

/* Next datagram to send: 1 and *tx filled, or 0. */
int turn_client_poll_transmit(struct turn_client *c, struct turn_transmit *tx);
/* Next event: 1 and *ev filled, or 0. */
int turn_client_poll_event(struct turn_client *c, struct turn_event *ev);

/* Queries. */
enum turn_state turn_client_state(const struct turn_client *c);
/* The server address all TURN traffic goes to; 0 if none yet. */
int turn_client_active_server(const struct turn_client *c, struct ipc_addr *out);
/* Our relayed address of a family (4 or 6); 0 if none. */
int turn_client_relayed(const struct turn_client *c, uint8_t family, struct ipc_addr *out);
/* Answers to signed requests ignored for a missing or wrong
 * MESSAGE-INTEGRITY since turn_client_start. */
uint64_t turn_client_integrity_drops(const struct turn_client *c);
/* Does `a` equal one of the configured server addresses? */
int turn_client_is_server(const struct turn_client *c, const struct ipc_addr *a);
/* Bound (usable) channel towards peer, or 0. */
uint16_t turn_client_channel_of(const struct turn_client *c, const struct ipc_addr *peer);
/* Peer of a bound channel: 1 and *peer, or 0. */
int turn_client_peer_of(const struct turn_client *c, uint16_t channel, struct ipc_addr *peer);

/*
 * ChannelData (section 3.7).  encode writes the 4-byte header and the
 * payload, without padding, into out; payload may point at out + 4 (the
 * header is then prepended in place).  Returns the datagram length or
 * TURN_ERR_INVAL (channel outside 0x4000-0x4FFF, payload > 65535) /
 * TURN_ERR_NOSPACE.
 */
int turn_channel_data_encode(uint8_t *out, size_t cap, uint16_t channel,
    const uint8_t *payload, size_t len);
/*
 * decode checks the header of buf[0..len): channel in 0x4000-0x4FFF and
 * a declared length that fits; bytes after it (padding) are ignored.
 * Returns the payload length and sets *channel and *payload, or
 * TURN_ERR_MALFORMED.
 */
int turn_channel_data_decode(const uint8_t *buf, size_t len, uint16_t *channel,
    const uint8_t **payload);

const char *turn_reason_str(enum turn_reason r);
const char *turn_state_str(enum turn_state s);
const char *turn_strerror(int err);

#endif
