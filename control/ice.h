/*
 * ice.h - sans-IO ICE agent, controlled role, one per client connection
 * (docs/protocol/p2p.md section 2; RFC 8445 with the spec's timers).
 *
 * Built on libnice's STUN library: a StunAgent with short-term credentials
 * and FINGERPRINT validates every message and signs ours; the ICE usage
 * (stun_usage_ice_conncheck_process) reads responses.  Requests are answered
 * with the agent's lower-level calls (a success response carries
 * XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT, never USERNAME,
 * RFC 8489 9.1.3), including role conflicts (487) per RFC 8445 7.3.1.1.
 *
 * Credentials per direction (section 2.5):
 *   our requests:      USERNAME "<remote ufrag>:<local ufrag>", MI key = remote pwd
 *   requests to us:    USERNAME "<local ufrag>:<remote ufrag>", MI key = local pwd
 *   our responses:     MI key = local pwd;  responses to us: MI key = remote pwd
 *
 * Our Binding requests carry USERNAME, ICE-CONTROLLED (ICE-CONTROLLING after
 * a role switch), PRIORITY, USE-CANDIDATE (only when controlling),
 * MESSAGE-INTEGRITY, FINGERPRINT.  Their transaction ids are 96 bits from
 * RAND_bytes (RFC 8489 section 5); a process-wide table of outstanding ids
 * (ice_match_txid) brings each response to its agent.  An id leaves the
 * table when answered, after ICE_TXN_LIFETIME_MS, when its pair goes, or
 * when the agent is freed; responses with any other id are dropped.
 *
 * Driving it (the glue, for each agent):
 *   - after any call: drain ice_agent_poll_event() until it returns 0;
 *   - on a timer at ice_agent_next_deadline(): ice_agent_tick(), then
 *     ice_agent_poll_transmit() until it returns 0, sending each ice_tx;
 *   - after ice_agent_receive() / add / remove calls also poll transmits
 *     (triggered checks are due at once) and re-arm the timer.
 * Nothing here opens sockets, reads the clock or exits.  Passwords are
 * wiped on free and never logged.
 */
#ifndef FZ_ICE_H
#define FZ_ICE_H

#include <stddef.h>
#include <stdint.h>

#include "ice_cand.h"
#include "ipc_msg.h"

#define ICE_PWD_MIN		22
#define ICE_PWD_MAX		256
#define ICE_MAX_LOCAL		16	/* local candidates (host, srflx, relay) */
#define ICE_MAX_REMOTE		32	/* remote candidates, peer-reflexive included */
#define ICE_MAX_PAIRS		64
#define ICE_TX_MAX		640	/* largest check or response we build */
#define ICE_EVENTS_MAX		16
#define ICE_OUR_CAND_MAX	127	/* longest string we signal for our candidates */

/* Spec section 2.7 / 7 timers (milliseconds). */
#define ICE_ACTIVE_RTO_INITIAL_MS	250u
#define ICE_ACTIVE_RTO_MAX_MS		1500u
#define ICE_ACTIVE_MAX_RETRANSMITS	8u
#define ICE_IDLE_RTO_INITIAL_MS		60000u
#define ICE_IDLE_RTO_MAX_MS		60000u
#define ICE_IDLE_MAX_RETRANSMITS	4u
#define ICE_CANDIDATE_TIMEOUT_MS	10000u	/* section 2.9 item 1 */
#define ICE_IDLE_AFTER_MS		10000u	/* section 2.8 */
#define ICE_TXN_LIFETIME_MS		39500u	/* a check unanswered this long is forgotten
						 * (RFC 8489 section 6.2.1, Rc = 7) */

struct ice_agent;

struct ice_config {
	uint32_t	tag;		/* the glue's id for this agent (ice_match_txid
					 * returns it; also named in logs) */
	uint64_t	tie_breaker;	/* 0: drawn at random */
	uint32_t	ta_ms;		/* pacing between our checks; the spec uses 0 */
};

/* A datagram handed to the agent. */
struct ice_rx {
	const uint8_t	*data;
	size_t		len;
	struct ipc_addr	local;		/* where it arrived: our host address, or
					 * our relayed address when via_relay */
	struct ipc_addr	from;		/* source; the peer's address seen by the
					 * relay when via_relay */
	int		via_relay;	/* unwrapped from ChannelData */
};

/* A datagram the glue sends. */
struct ice_tx {
	struct ipc_addr	from;		/* local candidate: host address (force this
					 * source IP) or our relayed address */
	struct ipc_addr	to;
	uint8_t		via_relay;	/* send as ChannelData on the relay whose
					 * allocation owns `from` */
	uint16_t	len;
	uint8_t		data[ICE_TX_MAX];
};

enum ice_event_type {
	ICE_EV_LOCAL_CANDIDATE = 1,	/* trickle cand to the portal */
	ICE_EV_LOCAL_INVALIDATED,	/* broadcast_invalidated_ice_candidates cand */
	ICE_EV_REMOTE_SOURCE,		/* first valid STUN from remote (via local):
					 * a "possible socket" for WireGuard (1.3) */
	ICE_EV_NOMINATED,		/* send path is now local -> remote */
	ICE_EV_PATH_LOST,		/* the send path failed or was removed and no
					 * nominated pair is left */
	ICE_EV_IDLE,			/* switched to idle timings (2.8) */
	ICE_EV_ACTIVE,			/* back to active timings */
	ICE_EV_FAILED,			/* connection failed; free the agent */
};

enum ice_fail_reason {
	ICE_FAIL_NONE = 0,
	ICE_FAIL_NO_CANDIDATES,		/* no remote candidate within 10 s */
	ICE_FAIL_DISCONNECTED,		/* every pair failed, none nominated */
};

struct ice_event {
	enum ice_event_type	type;
	enum ice_fail_reason	reason;		/* ICE_EV_FAILED */
	struct ipc_addr		local;		/* NOMINATED, REMOTE_SOURCE: local
						 * candidate (host base or relayed) */
	struct ipc_addr		remote;		/* NOMINATED, REMOTE_SOURCE */
	uint8_t			via_relay;	/* local is a relayed candidate */
	char			cand[ICE_OUR_CAND_MAX + 1];	/* LOCAL_* */
};

/*
 * New agent, controlled, with the portal's (or our generated) credentials.
 * ufrags must be 4-255 ice-chars, passwords 22-256 ice-chars (RFC 8839).
 * cfg may be NULL (tag 0, random tie-breaker, no pacing).  Credentials are
 * copied (and wiped by ice_agent_free); the caller wipes its copies.  Returns the agent (free with
 * ice_agent_free) or NULL for bad credentials or no memory.
 */
struct ice_agent *ice_agent_new(const char *local_ufrag, const char *local_pwd,
    const char *remote_ufrag, const char *remote_pwd,
    const struct ice_config *cfg, uint64_t now_ms);

/* Drop the agent's outstanding ids from the table, wipe the ufrags and
 * passwords (OPENSSL_cleanse of the whole agent) and free.  NULL is ignored. */
void ice_agent_free(struct ice_agent *a);

/*
 * Add a local candidate: ICE_CAND_HOST (address of the socket a datagram
 * arrived on), ICE_CAND_SRFLX (from a relay's Binding response; signalled
 * only, never paired: checks go out from the base) or ICE_CAND_RELAY (an
 * allocation's relayed address).  Queues ICE_EV_LOCAL_CANDIDATE and pairs
 * host/relay with remote candidates of the same family.  Returns ICE_OK,
 * ICE_EIGNORED if already known, ICE_EINVAL, ICE_EFULL.
 */
int ice_agent_add_local(struct ice_agent *a, enum ice_cand_type type,
    const struct ipc_addr *addr, uint64_t now_ms);

/*
 * Remove a local candidate and its pairs; queues ICE_EV_LOCAL_INVALIDATED
 * with the string first signalled, and re-selects the send path.
 * Returns ICE_OK or ICE_ENOENT.
 */
int ice_agent_remove_local(struct ice_agent *a, enum ice_cand_type type,
    const struct ipc_addr *addr, uint64_t now_ms);

/*
 * Add a trickled remote candidate string (ice_candidates).  A candidate
 * that was invalidated earlier is re-enabled; a known peer-reflexive
 * address takes the signalled type and priority.  Returns ICE_OK, a parse
 * error of ice_cand_parse, ICE_EIGNORED (component != 1, not UDP, ufrag of
 * another agent, unusable address, already known), ICE_EFULL.
 */
int ice_agent_add_remote(struct ice_agent *a, const char *cand, size_t len,
    uint64_t now_ms);

/*
 * Invalidate a remote candidate (invalidate_ice_candidates), matched by
 * type, address and related address: its pairs are removed and requests
 * from its address are dropped until it is signalled again.  Returns
 * ICE_OK, a parse error, or ICE_ENOENT.
 */
int ice_agent_remove_remote(struct ice_agent *a, const char *cand, size_t len,
    uint64_t now_ms);

/*
 * Offer a received STUN datagram.  Returns ICE_OK when this agent consumed
 * it (reply->len > 0: send reply, the Binding success response or a 487);
 * ICE_ENOTSTUN (not a STUN Binding message we handle), ICE_ENOMATCH
 * (another agent's: USERNAME or transaction), ICE_EAUTH (credentials or
 * MESSAGE-INTEGRITY wrong), ICE_EDROPPED (a section 2.5 drop rule).
 * Nothing is answered unless ICE_OK.  reply may be NULL only for
 * responses.
 */
int ice_agent_receive(struct ice_agent *a, uint64_t now_ms,
    const struct ice_rx *rx, struct ice_tx *reply);

/*
 * Time passes: fail pairs whose checks ran out, apply the candidate
 * timeout, the idle rule and the disconnected rule.  Queues events.
 */
void ice_agent_tick(struct ice_agent *a, uint64_t now_ms);

/*
 * The next check due at now_ms, if any.  Returns 1 and fills *tx, 0 when
 * nothing is due, or a negative code.
 */
int ice_agent_poll_transmit(struct ice_agent *a, uint64_t now_ms, struct ice_tx *tx);

/* Next queued event: returns 1 and fills *ev, or 0 when the queue is empty. */
int ice_agent_poll_event(struct ice_agent *a, struct ice_event *ev);

/* When ice_agent_tick / poll_transmit next has work; UINT64_MAX for never. */
uint64_t ice_agent_next_deadline(const struct ice_agent *a);

/*
 * An application packet went either way (section 2.8): the idle timer
 * restarts; an idle agent goes back to active timings (ICE_EV_ACTIVE).
 */
void ice_agent_traffic(struct ice_agent *a, uint64_t now_ms);

/* 1 while the agent runs the idle timings. */
int ice_agent_is_idle(const struct ice_agent *a);
/* 1 while the agent is controlling (only after a role conflict). */
int ice_agent_is_controlling(const struct ice_agent *a);
/* The tag given at creation. */
uint32_t ice_agent_tag(const struct ice_agent *a);
/* Our ufrag (NUL-terminated, owned by the agent). */
const char *ice_agent_local_ufrag(const struct ice_agent *a);
/* Live pairs (for tests and status). */
int ice_agent_pair_count(const struct ice_agent *a);

/*
 * Dispatch helpers (no agent needed).
 * ice_match_username: for a STUN Binding request, copy USERNAME's part
 * before ':' (the recipient's, i.e. our, ufrag) NUL-terminated into
 * out_local (ICE_UFRAG_MAX + 1 bytes) and, if out_remote is not NULL, the
 * part after it likewise.  Returns the local ufrag length or ICE_ENOTSTUN
 * / ICE_EPARSE.  Ufrags of different agents may collide: the glue tries
 * each agent with that ufrag (MESSAGE-INTEGRITY tells them apart).
 */
int ice_match_username(const uint8_t *data, size_t len, char *out_local, char *out_remote);

/*
 * For a STUN Binding success or error response: look its transaction id
 * up among the outstanding checks of all agents and store the owner's tag.
 * Returns ICE_OK, ICE_ENOMATCH (no such outstanding check: drop it) or
 * ICE_ENOTSTUN.
 */
int ice_match_txid(const uint8_t *data, size_t len, uint32_t *tag);

/*
 * Fresh random credentials for the legacy flow (str0m's shape: ufrag 4,
 * pwd 22 chars of a-z A-Z 0-9 without w/W).  ufrag needs 5 bytes, pwd 23.
 * Returns ICE_OK or ICE_ENOMEM when the random source fails.
 */
int ice_gen_credentials(char *ufrag, char *pwd);

#endif
