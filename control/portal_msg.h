/*
 * portal_msg.h - portal application messages <-> C structs (json-c).
 *
 * Sans-IO: no sockets, no clock, no exit.  The Phoenix layer
 * (control/phoenix.c) hands over the event name and the payload of a frame
 * on topic "gateway"; Phoenix control events (phx_reply, phx_error,
 * phx_close) are its business and are reported here as unknown events.
 * Reference: the portal protocol, sections 2 (inbound), 3
 * (outbound), 2.13 (parse failures).
 *
 * Error discipline: every function returning int returns PORTAL_MSG_OK (0)
 * or a negative enum portal_msg_err.  Parsers also write a one-line reason
 * ("<event>: <field path>: <problem>") into the caller's buffer; it never
 * contains key material, passwords or refs.
 */
#ifndef FZ_PORTAL_MSG_H
#define FZ_PORTAL_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "portal_types.h"

enum portal_msg_err {
	PORTAL_MSG_OK = 0,
	PORTAL_MSG_E_INVAL = -1,	/* bad argument from our own code */
	PORTAL_MSG_E_NOMEM = -2,
	PORTAL_MSG_E_JSON = -3,		/* text is not one JSON value */
	PORTAL_MSG_E_JSON_INCOMPLETE = -4, /* text ends inside a JSON value */
	PORTAL_MSG_E_UNKNOWN_EVENT = -5,
	PORTAL_MSG_E_MISSING = -6,	/* required field absent */
	PORTAL_MSG_E_TYPE = -7,		/* wrong JSON type (incl. null where not allowed) */
	PORTAL_MSG_E_UNKNOWN_TAG = -8,	/* unknown type / protocol / disconnect reason */
	PORTAL_MSG_E_UUID = -9,
	PORTAL_MSG_E_KEY = -10,		/* not strict base64 of exactly 32 bytes */
	PORTAL_MSG_E_ADDR = -11,	/* IP address or socket address */
	PORTAL_MSG_E_CIDR = -12,	/* CIDR syntax, prefix out of range, host bits set */
	PORTAL_MSG_E_PORT_RANGE = -13,	/* port_range_start > port_range_end */
	PORTAL_MSG_E_RANGE = -14,	/* integer out of range (port, timestamp, keepalive) */
	PORTAL_MSG_E_TOO_MANY = -15,	/* array longer than its PORTAL_MSG_*_MAX */
	PORTAL_MSG_E_TOO_LONG = -16,	/* string longer than its PORTAL_MSG_*_MAX */
	PORTAL_MSG_E_STRING = -17,	/* empty, bad characters, NUL or invalid UTF-8 */
};

/* Recommended size of the reason buffer given to the parsers. */
#define PORTAL_MSG_WHY_MAX 192

enum portal_msg_type {
	PORTAL_MSG_NONE = 0,
	PORTAL_MSG_INIT,
	PORTAL_MSG_RELAYS_PRESENCE,
	PORTAL_MSG_AUTHORIZE_FLOW,
	PORTAL_MSG_REQUEST_CONNECTION,
	PORTAL_MSG_ALLOW_ACCESS,
	PORTAL_MSG_REJECT_ACCESS,
	PORTAL_MSG_RESOURCE_UPDATED,
	PORTAL_MSG_ICE_CANDIDATES,
	PORTAL_MSG_INVALIDATE_ICE_CANDIDATES,
	PORTAL_MSG_DISCONNECT,
	PORTAL_MSG_CREATE_AUTHORIZATION,	/* today's name of authorize_flow (v2 path) */
	PORTAL_MSG_ACCESS_AUTHORIZATION_EXPIRY_UPDATED,
};

/*
 * 2.1: interface addresses, masquerade flags (parsed, unused), TURN relays,
 * and (today's portal) the authorizations it still holds for this gateway.
 * has_authorizations tells "absent" (an older portal: nothing to
 * reconcile) from an empty list (revoke everything).  account_slug and
 * flow_logs are optional and not read.  About 400 KiB with the list.
 */
struct portal_msg_init {
	struct in_addr ipv4;
	struct in6_addr ipv6;
	bool ipv4_masquerade_enabled;
	bool ipv6_masquerade_enabled;
	struct portal_msg_relay_list relays;
	bool has_authorizations;
	uint32_t n_authorizations;
	struct portal_msg_authorization authorizations[PORTAL_MSG_AUTHORIZATIONS_MAX];
};

/* 2.2 */
struct portal_msg_relays_presence {
	uint32_t n_disconnected;
	struct portal_msg_uuid disconnected_ids[PORTAL_MSG_RELAYS_MAX];
	struct portal_msg_relay_list connected;
};

/* 2.3, and today's create_authorization (same payload); has_expires_at ==
 * false means the authorization never expires.  subject, use_iceless,
 * flow_logs_ingest_token and the informational client fields are not
 * read: we never use ICE-less connections nor upload flow logs. */
struct portal_msg_authorize_flow {
	char ref[PORTAL_MSG_REF_MAX + 1];
	struct portal_msg_resource resource;
	struct portal_msg_peer client;
	struct portal_msg_ice_creds client_ice;		/* remote */
	struct portal_msg_ice_creds gateway_ice;	/* local */
	bool has_expires_at;
	int64_t expires_at;
};

/* 2.4 (legacy); client.payload.ice_parameters is client_ice. */
struct portal_msg_request_connection {
	char ref[PORTAL_MSG_REF_MAX + 1];
	struct portal_msg_resource resource;
	struct portal_msg_peer client;
	bool has_persistent_keepalive;
	uint16_t persistent_keepalive;
	struct portal_msg_ice_creds client_ice;
	bool has_domain;
	struct portal_msg_resolve domain;
	bool has_expires_at;
	int64_t expires_at;
};

/* 2.5 (legacy) */
struct portal_msg_allow_access {
	char ref[PORTAL_MSG_REF_MAX + 1];
	struct portal_msg_uuid client_id;
	struct portal_msg_resource resource;
	bool has_expires_at;
	int64_t expires_at;
	bool has_payload;
	struct portal_msg_resolve payload;
	struct in_addr client_ipv4;
	struct in6_addr client_ipv6;
};

/* 2.6 */
struct portal_msg_reject_access {
	struct portal_msg_uuid client_id;
	struct portal_msg_uuid resource_id;
};

/* 2.8 / 2.9: candidates are printable ASCII, otherwise opaque. */
struct portal_msg_ice_candidates {
	struct portal_msg_uuid client_id;
	uint32_t n_candidates;
	char candidates[PORTAL_MSG_CANDIDATES_MAX][PORTAL_MSG_CANDIDATE_MAX + 1];
};

enum portal_msg_disconnect_reason {
	PORTAL_MSG_DISCONNECT_TOKEN_EXPIRED = 1,
};

/* 2.10: only "token_expired" parses; anything else is E_UNKNOWN_TAG. */
struct portal_msg_disconnect {
	uint8_t reason;		/* enum portal_msg_disconnect_reason */
};

/*
 * One decoded inbound message.  About 430 KiB: allocate it on the heap or
 * statically, not in a small stack frame.
 */
struct portal_msg {
	enum portal_msg_type type;
	union {
		struct portal_msg_init init;
		struct portal_msg_relays_presence relays_presence;
		struct portal_msg_authorize_flow authorize_flow;
		struct portal_msg_request_connection request_connection;
		struct portal_msg_allow_access allow_access;
		struct portal_msg_reject_access reject_access;
		struct portal_msg_resource resource_updated;
		struct portal_msg_ice_candidates ice_candidates;	/* both ICE events */
		struct portal_msg_disconnect disconnect;
		struct portal_msg_authorization expiry_updated;
	} u;
};

/* ---- inbound ------------------------------------------------------------ */

/*
 * Decode the payload of event `event`.  `payload` is borrowed (not
 * consumed).  On success returns 0 and out->type says which union member
 * is valid.  On failure returns a negative code, writes the reason into
 * why[whylen] (why may be NULL), and leaves *out wiped to all zero bytes
 * (type PORTAL_MSG_NONE), so nothing half-filled survives.  Unknown event
 * names give PORTAL_MSG_E_UNKNOWN_EVENT; unknown payload fields are ignored.
 * The only thing ever logged here is a warning (log_warnx) when a relay id
 * repeats an address family; the caller logs the failure reason itself.
 */
int portal_msg_parse(const char *event, json_object *payload, struct portal_msg *out,
    char *why, size_t whylen);

/*
 * Same as portal_msg_parse, from JSON text (len bytes, need not be
 * NUL-terminated).  Text that stops inside a value gives
 * PORTAL_MSG_E_JSON_INCOMPLETE (spec 2.13 treats that as a broken
 * connection); other syntax errors or trailing garbage give PORTAL_MSG_E_JSON.
 */
int portal_msg_parse_text(const char *event, const char *text, size_t len,
    struct portal_msg *out, char *why, size_t whylen);

/* Event name -> type; PORTAL_MSG_NONE if unknown or NULL. */
enum portal_msg_type portal_msg_event_type(const char *event);
/* Type -> wire event name; "?" for PORTAL_MSG_NONE or out of range. */
const char *portal_msg_event_name(enum portal_msg_type type);
/* Short static description of an error code. */
const char *portal_msg_strerror(int err);

/*
 * Wipe a decoded message (secrets included) to all zero bytes; type
 * becomes PORTAL_MSG_NONE.  Call it when done with every message, on every
 * path.  NULL is allowed.
 */
void portal_msg_clear(struct portal_msg *msg);

/* Building blocks, also used by the tests.  Same contract as portal_msg_parse
 * (reason in why, *out zeroed on failure). */
int portal_msg_parse_resource(json_object *obj, struct portal_msg_resource *out,
    char *why, size_t whylen);
int portal_msg_parse_filter(json_object *obj, struct portal_msg_filter *out,
    char *why, size_t whylen);

/* Value parsers on a string of len bytes; 0 or a negative code, *out
 * untouched on failure. */
int portal_msg_parse_uuid(const char *s, size_t len, struct portal_msg_uuid *out);
int portal_msg_parse_key(const char *s, size_t len, uint8_t out[PORTAL_MSG_KEY_LEN]);
int portal_msg_parse_ip(const char *s, size_t len, struct portal_msg_ip *out);
int portal_msg_parse_cidr(const char *s, size_t len, struct portal_msg_cidr *out);
int portal_msg_parse_sockaddr(const char *s, size_t len, struct portal_msg_sockaddr *out);

/*
 * Is ip a DNS proxy IP a client may assign: inside 100.96.0.0/11 or
 * fd00:2021:1111:8000::/107 (PORTAL_MSG_PROXY_RANGES)?  1 or 0 (also for
 * NULL).  The legacy payload parsers refuse any other proxy IP, and
 * control/dnsnat.c checks AssignedIps with it.  One predicate for control;
 * the dataplane keeps its own (filter_is_proxy_range).
 */
int portal_msg_proxy_ip_ok(const struct portal_msg_ip *ip);

/*
 * The priority of an ICE candidate line: s[len] must start "candidate:" and
 * its 4th field (foundation, component, transport, priority) be a decimal
 * u32.  0 with *prio set (prio may be NULL), or a negative code.
 */
int portal_msg_candidate_priority(const char *s, size_t len, uint32_t *prio);

/* Lowercase hyphenated form into out[PORTAL_MSG_UUID_STRLEN]; returns out. */
char *portal_msg_uuid_fmt(const struct portal_msg_uuid *id, char *out);

/*
 * Overwrite, in place, every string value of a json-c tree with zero bytes
 * (keys are left alone).  json-c frees without wiping, so call this on a
 * decoded frame before json_object_put() once its secrets were copied out.
 * Depth beyond 64 is left as is.  NULL is allowed.
 */
void portal_msg_json_wipe(json_object *root);

/* ---- outbound ----------------------------------------------------------- */

/*
 * Each builder stores a new json-c object in *out (the caller owns one
 * reference: json_object_put it, after portal_msg_json_wipe for
 * connection_ready since it carries the local ICE password) and returns 0,
 * or returns a negative code with *out = NULL.  Key order is the spec's.
 */

/* 3.3: {"ref": ref}.  ref is echoed unchanged (non-empty UTF-8, <= REF_MAX). */
int portal_msg_build_flow_authorized(const char *ref, json_object **out);

/* Today's v2 answer to create_authorization: the same {"ref": ref}. */
int portal_msg_build_authorization_created(const char *ref, json_object **out);

/* no_relays: {} (no relay left for a new connection, or the last one failed). */
int portal_msg_build_no_relays(json_object **out);

/* set_snownet_capabilities: {"iceless": false}; we never take ICE-less
 * connections, so the portal never asks for one. */
int portal_msg_build_set_snownet_capabilities(json_object **out);

/* 3.4: {"ref":..,"gateway_payload":{"ConnectionAccepted":{"ice_parameters":
 * {"username":..,"password":..}}}} with our local ICE credentials. */
int portal_msg_build_connection_ready(const char *ref,
    const struct portal_msg_ice_creds *local, json_object **out);

/* Order of outbound candidate arrays. */
enum portal_msg_order {
	PORTAL_MSG_ORDER_BYTES = 0,	/* byte order (the 2024 gateway, v1 path) */
	PORTAL_MSG_ORDER_PRIORITY,	/* descending priority, ties in byte order
					 * (today's gateway, upstream #10063) */
};

/*
 * 3.5 / 3.6: {"client_ids":[..],"candidates":[..]}.  client_ids are written
 * lowercase hyphenated in the order given (n_ids >= 1); candidates are
 * sorted as `order` says (the priority is the 4th field of a "candidate:"
 * line, 0 for anything else), with duplicates removed (n_candidates >= 1,
 * each printable ASCII of 1..PORTAL_MSG_CANDIDATE_MAX bytes; n_candidates
 * <= PORTAL_MSG_CANDIDATES_MAX * 4, callers split larger batches).
 */
int portal_msg_build_broadcast_ice_candidates(const struct portal_msg_uuid *client_ids,
    size_t n_ids, const char *const *candidates, size_t n_candidates,
    enum portal_msg_order order, json_object **out);
int portal_msg_build_broadcast_invalidated_ice_candidates(
    const struct portal_msg_uuid *client_ids, size_t n_ids,
    const char *const *candidates, size_t n_candidates, enum portal_msg_order order,
    json_object **out);

/*
 * Compact JSON text of obj (no spaces, '/' not escaped) in a malloc'd
 * string; NULL on failure.  Free it with portal_msg_text_free.
 */
char *portal_msg_json_text(json_object *obj);
/* Wipe and free a string from portal_msg_json_text.  NULL is allowed. */
void portal_msg_text_free(char *text);

#endif
