/*
 * phoenix.h - Phoenix channel protocol (V1 JSON objects) for the portal
 * connection, sans-IO (docs/protocol/portal.md 1.6-1.10, 2.11, 4.3).
 *
 * Two layers:
 *  - framing: phoenix_encode() writes {"topic","event","payload","ref"};
 *    phoenix_decode() parses and validates one inbound text message;
 *  - session: struct phoenix_session keeps the connection state, the ref
 *    counter, the join refs, the heartbeat timers and the outbound queue.
 *    The glue feeds it (now, event) and gets an action back plus the next
 *    deadline; it never reads a clock or touches a socket.
 *
 * Times are milliseconds on any monotonic clock the caller chooses.
 *
 * How the glue drives a session:
 *   attempt starts     phoenix_session_connecting()
 *   101 received       phoenix_session_connected(now); backoff_reset()
 *   text message       phoenix_session_input(now, ...); act on the action
 *   timer fires        phoenix_session_tick(now); re-arm at next_deadline()
 *   after each call    while peek() gives a frame: write it, then pop()
 *   ACT_RECONNECT      drop the socket, phoenix_session_disconnected(),
 *                      wait backoff_next_ms(), start the next attempt
 *   ACT_FATAL          log the cause and r.detail, exit 1
 *
 * Today's upstream behaviour (issue 15): refs restart at 0 and the queue
 * starts empty on every connection; nothing but the join and heartbeats is
 * written before the join reply, which must come within 5 s; heartbeats
 * every 10 s, reconnect when the 4th goes out unanswered; an "unmatched
 * topic" error reply to a request queues a new join; phx_error is only
 * reported (no rejoin); an error reply to a join of this connection is
 * fatal.
 */
#ifndef FZ_PHOENIX_H
#define FZ_PHOENIX_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define PHOENIX_TOPIC			"gateway"	/* the gateway's only channel */
#define PHOENIX_HEARTBEAT_TOPIC		"phoenix"
#define PHOENIX_HEARTBEAT_INTERVAL_MS	10000u	/* first one 10 s after the upgrade */
#define PHOENIX_HEARTBEAT_MAX_MISSED	3	/* the 4th unanswered one: reconnect */
#define PHOENIX_JOIN_TIMEOUT_MS		5000u	/* no join reply: reconnect */
#define PHOENIX_NO_DEADLINE		UINT64_MAX
#define PHOENIX_JOIN_REFS_MAX		64	/* join refs remembered */
#define PHOENIX_DETAIL_MAX		128

enum phoenix_err {
	PHOENIX_OK = 0,
	PHOENIX_EINVAL = -1,		/* bad argument */
	PHOENIX_ENOMEM = -2,
	PHOENIX_EINCOMPLETE = -3,	/* JSON ends early (counts as a broken connection) */
	PHOENIX_EJSON = -4,		/* JSON syntax error or trailing data */
	PHOENIX_ENOTOBJECT = -5,	/* top level is not an object */
	PHOENIX_ETOPIC = -6,		/* topic missing or not a string */
	PHOENIX_EEVENT = -7,		/* event missing or not a string */
	PHOENIX_EPAYLOAD = -8,		/* payload missing, or wrong shape for its event */
	PHOENIX_EREF = -9,		/* ref neither null, a non-negative integer nor a string */
	PHOENIX_EFULL = -10,		/* outbound queue full */
};

/* ---- framing ----------------------------------------------------------- */

enum phoenix_ref_kind {
	PHOENIX_REF_NONE = 0,	/* absent or null (server pushes) */
	PHOENIX_REF_INT,	/* non-negative integer (what we send, and echoes of it) */
	PHOENIX_REF_STRING,	/* a string; the session drops such frames (spec 1.6) */
};

enum phoenix_kind {
	PHOENIX_KIND_EVENT = 0,	/* any other event: an application message */
	PHOENIX_KIND_REPLY,	/* phx_reply */
	PHOENIX_KIND_ERROR,	/* phx_error, payload {} */
	PHOENIX_KIND_CLOSE,	/* phx_close, payload {} */
	PHOENIX_KIND_DISCONNECT, /* disconnect, payload {"reason": string} */
};

enum phoenix_reply_status {
	PHOENIX_REPLY_OK = 0,
	PHOENIX_REPLY_ERROR,
};

struct phoenix_msg {
	struct json_object	*root;		/* owns every pointer below */
	const char		*topic;
	const char		*event;
	struct json_object	*payload;	/* NULL when the payload is JSON null */
	enum phoenix_ref_kind	 ref_kind;
	uint64_t		 ref;		/* PHOENIX_REF_INT */
	const char		*ref_str;	/* PHOENIX_REF_STRING */
	enum phoenix_kind	 kind;
	/* PHOENIX_KIND_REPLY */
	enum phoenix_reply_status status;
	struct json_object	*response;	/* may be NULL (JSON null) */
	int			 response_empty; /* response is exactly {} */
	/* error reply reason, or disconnect reason; NULL otherwise */
	const char		*reason;
};

/*
 * Serialise one outbound frame with keys in the order topic, event,
 * payload, ref; ref is a JSON integer.  payload is borrowed (not kept);
 * NULL writes JSON null.  On success *out is a NUL-terminated string the
 * caller frees with free(), *out_len (if not NULL) its length.  Returns
 * PHOENIX_OK, PHOENIX_EINVAL or PHOENIX_ENOMEM.
 */
int phoenix_encode(const char *topic, const char *event,
    struct json_object *payload, uint64_t ref, char **out, size_t *out_len);

/*
 * Parse and validate one inbound text message of len bytes (need not be
 * NUL-terminated).  Rules: the top level is an object; topic and event are
 * strings; payload is present; ref is absent, null, a non-negative integer
 * or a string; join_ref and other keys are ignored.  phx_reply needs
 * {"status":"ok"|"error","response":...} and an error response
 * {"reason":string}; phx_error and phx_close need exactly {}; disconnect
 * needs {"reason":string}.  On success *m owns a json-c reference; release
 * it with phoenix_msg_free().  On failure *m is empty.  Returns PHOENIX_OK
 * or a negative phoenix_err.
 */
int phoenix_decode(const char *text, size_t len, struct phoenix_msg *m);

/* Release a decoded message (safe on an empty or already freed one). */
void phoenix_msg_free(struct phoenix_msg *m);

/* ---- session ----------------------------------------------------------- */

enum phoenix_state {
	PHOENIX_DISCONNECTED = 0,	/* no socket, no attempt running */
	PHOENIX_CONNECTING,		/* backoff wait or connection attempt */
	PHOENIX_JOINING,		/* WebSocket up, join sent, no reply yet */
	PHOENIX_JOINED,			/* join acknowledged */
};

enum phoenix_action {
	PHOENIX_ACT_NONE = 0,	/* nothing to do besides logging the cause */
	PHOENIX_ACT_EVENT,	/* hand result.msg to the message layer */
	PHOENIX_ACT_RECONNECT,	/* transient: drop the socket, back off, reconnect */
	PHOENIX_ACT_FATAL,	/* give up: log the cause and exit 1 */
};

enum phoenix_cause {
	PHOENIX_CAUSE_NONE = 0,
	PHOENIX_CAUSE_EVENT,		/* application event (ACT_EVENT) */
	PHOENIX_CAUSE_JOINED,		/* ok reply to a join */
	PHOENIX_CAUSE_HEARTBEAT_ACK,	/* ok reply to the outstanding heartbeat */
	PHOENIX_CAUSE_REPLY_IGNORED,	/* ok reply to anything else */
	PHOENIX_CAUSE_REQUEST_FAILED,	/* error reply to a non-join request (warn) */
	PHOENIX_CAUSE_REPLY_NO_REF,	/* reply without a ref (warn) */
	PHOENIX_CAUSE_CHANNEL_ERROR,	/* phx_error: logged only (debug) */
	PHOENIX_CAUSE_BAD_FRAME,	/* frame failed to parse and was dropped (warn) */
	PHOENIX_CAUSE_NOT_CONNECTED,	/* input while no connection is up; ignored */
	PHOENIX_CAUSE_CHANNEL_CLOSED,	/* phx_close (ACT_RECONNECT) */
	PHOENIX_CAUSE_HEARTBEAT_TIMEOUT, /* 4 heartbeats unanswered (ACT_RECONNECT) */
	PHOENIX_CAUSE_JOIN_TIMEOUT,	/* no join reply within 5 s (ACT_RECONNECT) */
	PHOENIX_CAUSE_REJOINING,	/* "unmatched topic" to a request: join queued */
	PHOENIX_CAUSE_BROKEN_FRAME,	/* incomplete JSON (ACT_RECONNECT) */
	PHOENIX_CAUSE_JOIN_FAILED,	/* error reply to a join (ACT_FATAL) */
	PHOENIX_CAUSE_TOKEN_EXPIRED,	/* disconnect token_expired (ACT_FATAL) */
};

/* Reasons the portal gives in error replies (spec 1.7). */
enum phoenix_reason {
	PHOENIX_REASON_NONE = 0,	/* no reason in this result */
	PHOENIX_REASON_UNMATCHED_TOPIC,	/* "unmatched topic" */
	PHOENIX_REASON_NOT_FOUND,	/* "not_found" */
	PHOENIX_REASON_INVALID_VERSION,	/* "invalid_version" */
	PHOENIX_REASON_OFFLINE,		/* "offline" */
	PHOENIX_REASON_DISABLED,	/* "disabled" */
	PHOENIX_REASON_TOKEN_EXPIRED,	/* "token_expired" (disconnect) */
	PHOENIX_REASON_OTHER,		/* anything else, e.g. "join crashed" */
};

struct phoenix_result {
	enum phoenix_action	action;
	enum phoenix_cause	cause;
	enum phoenix_reason	reason;		/* classified detail, when there is one */
	int			err;		/* phoenix_err for BAD_FRAME / BROKEN_FRAME */
	uint64_t		ref;		/* ref of the reply, when there is one */
	char			detail[PHOENIX_DETAIL_MAX]; /* reply/disconnect reason, printable */
	struct phoenix_msg	msg;		/* ACT_EVENT only; owned by the result */
};

struct phoenix_frame;

struct phoenix_session {
	enum phoenix_state	 state;
	uint64_t		 next_ref;	/* 0 on every new connection */
	uint64_t		 join_refs[PHOENIX_JOIN_REFS_MAX];
	size_t			 n_join_refs;	/* valid entries, ring of the newest */
	size_t			 join_refs_pos;
	uint64_t		 join_ref;	/* ref of the latest join */
	int			 hb_pending;	/* heartbeats waiting for their reply */
	uint64_t		 hb_refs[PHOENIX_HEARTBEAT_MAX_MISSED];
	uint64_t		 join_deadline;	/* JOINING: reconnect when passed */
	uint64_t		 hb_next;	/* when the next heartbeat is due */
	struct phoenix_frame	*q_head, *q_tail;
	size_t			 q_len;
	size_t			 q_max;		/* 0: no limit (as the reference) */
};

/* Initialise; q_max bounds the outbound queue (0: unbounded). */
void phoenix_session_init(struct phoenix_session *s, size_t q_max);

/* Free every queued frame. */
void phoenix_session_free(struct phoenix_session *s);

/* A connection attempt (or its backoff wait) starts. */
void phoenix_session_connecting(struct phoenix_session *s);

/*
 * The WebSocket handshake completed at now: drop whatever was queued while
 * disconnected, restart refs at 0, queue phx_join (payload null, topic
 * "gateway", ref 0), start the join timer (5 s) and the heartbeat timer
 * (first one due at now + 10 s).  Returns PHOENIX_OK or PHOENIX_ENOMEM.
 */
int phoenix_session_connected(struct phoenix_session *s, uint64_t now);

/*
 * The socket is gone (after ACT_RECONNECT or any transport error): stop the
 * heartbeat.  Frames still queued are dropped at the next connect.
 */
void phoenix_session_disconnected(struct phoenix_session *s);

/*
 * Queue an outbound frame in any state; it is sent once connected.
 * payload is borrowed (serialised at once; NULL is JSON null).  A message
 * identical (topic, event, payload) to one still queued is not queued
 * again.  The ref used (the queued one's for a duplicate) is stored in
 * *ref_out if not NULL.  Returns PHOENIX_OK,
 * PHOENIX_EINVAL, PHOENIX_ENOMEM or PHOENIX_EFULL.
 */
int phoenix_session_push(struct phoenix_session *s, const char *topic,
    const char *event, struct json_object *payload, uint64_t *ref_out);

/*
 * One inbound text message.  Fills *r (call phoenix_result_free after use)
 * and returns r->action.  Does not read now beyond recording it; timers are
 * handled by phoenix_session_tick().
 */
enum phoenix_action phoenix_session_input(struct phoenix_session *s,
    uint64_t now, const char *text, size_t len, struct phoenix_result *r);

/*
 * Timers at now: no join reply within 5 s gives ACT_RECONNECT (cause
 * JOIN_TIMEOUT); a heartbeat due is queued (ticks missed while busy are
 * skipped), and when 3 earlier ones are still unanswered ACT_RECONNECT
 * (cause HEARTBEAT_TIMEOUT) follows: write the queued heartbeat first.
 * The state becomes DISCONNECTED on ACT_RECONNECT.  Fills *r, returns
 * r->action.
 */
enum phoenix_action phoenix_session_tick(struct phoenix_session *s,
    uint64_t now, struct phoenix_result *r);

/* When phoenix_session_tick() must run next; PHOENIX_NO_DEADLINE if never. */
uint64_t phoenix_session_next_deadline(const struct phoenix_session *s);

/*
 * The frame to write next, or NULL when the queue is empty or no
 * connection is up (while joining: the join or a heartbeat only).  The pointer stays valid until phoenix_session_pop()
 * or phoenix_session_free(); *len gets its length.
 */
const char *phoenix_session_peek(const struct phoenix_session *s, size_t *len);

/* The frame returned by peek was written: drop it from the queue. */
void phoenix_session_pop(struct phoenix_session *s);

/* Number of frames waiting. */
size_t phoenix_session_queue_len(const struct phoenix_session *s);

/* Release the message a result may hold. */
void phoenix_result_free(struct phoenix_result *r);

/* Classify a reason string (NULL gives PHOENIX_REASON_NONE). */
enum phoenix_reason phoenix_reason_parse(const char *reason);

/* Constant names for logs. */
const char *phoenix_strerror(int err);
const char *phoenix_cause_name(enum phoenix_cause cause);
const char *phoenix_state_name(enum phoenix_state state);

#endif
