/*
 * portal.h - the portal connection: DNS (evdns), TCP, TLS (OpenSSL through
 * bufferevent_openssl), the WebSocket handshake and frames (ws_codec) and
 * the Phoenix session (phoenix), with reconnects (backoff).
 *
 * Today's portal first (issue 15): /gateway/v2/websocket with the token in
 * an X-Authorization header and "gateway/1.6.0" in the User-Agent.  When
 * the portal answers that upgrade with 404 (or a redirect) it predates the
 * v2 socket: the next attempt, at once, goes to /gateway/websocket with the
 * token also in the query and "connlib/1.6.0", and the process stays on v1
 * (portal_protocol_version() says which; the event names differ).
 *
 * Only HTTP 401 is fatal; every other answer, error or timeout is retried
 * with the backoff, or after Retry-After when the answer has one.  The
 * summed retry delays since the last join are bounded by the maximum
 * partition time (24 h unless portal_set_max_partition() says otherwise):
 * past it, on_fatal.
 *
 * The application sees decoded Phoenix events of topic "gateway" and the
 * joined/left transitions, and pushes outbound events.  Fatal conditions
 * (401 on the upgrade, a refused join, an expired token, the partition
 * limit) are reported through on_fatal with a one-line reason; the caller
 * decides to exit.
 */
#ifndef FZ_PORTAL_H
#define FZ_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>
#include <json-c/json.h>

#include "backoff.h"
#include "phoenix.h"
#include "portal_url.h"
#include "ws_codec.h"

struct event_base;
struct evdns_base;
struct event;
struct bufferevent;

struct evdns_getaddrinfo_request;
typedef struct ssl_ctx_st SSL_CTX;

/*
 * The version advertised in the User-Agent: "gateway/1.6.0" on v2,
 * "connlib/1.6.0" on v1.  Today's portal pairs it with 1.5.x, 1.6.x and
 * 1.7.x clients; older portals with every client >= 1.4.
 */
#define PORTAL_GATEWAY_VERSION "1.6.0"
#define PORTAL_CONNECT_TIMEOUT_MS 5000u   /* DNS + TCP */
#define PORTAL_ATTEMPT_TIMEOUT_MS 15000u  /* the whole attempt up to 101 */
#define PORTAL_MAX_MESSAGE (1u << 20)
#define PORTAL_QUEUE_MAX 256

enum portal_conn {
	PORTAL_IDLE = 0,      /* not started */
	PORTAL_BACKOFF,       /* waiting before the next attempt */
	PORTAL_RESOLVING,     /* evdns lookup of the portal host */
	PORTAL_CONNECTING,    /* TCP (+ TLS) connect */
	PORTAL_HANDSHAKE,     /* upgrade request sent, waiting for 101 */
	PORTAL_OPEN,          /* WebSocket open (Phoenix joining or joined) */
};

struct portal_callbacks {
	/* An application event (phoenix ACT_EVENT) on topic "gateway". */
	void (*on_event)(void *arg, const struct phoenix_msg *m);
	/* Joined (1) or the connection was lost after a join (0). */
	void (*on_joined)(void *arg, int joined);
	/* A fatal condition: log the reason and stop (exit 1). */
	void (*on_fatal)(void *arg, const char *reason);
	void *arg;
};

struct portal {
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *ssl_ctx;
	struct portal_url url;   /* url.proto: v2, or v1 after the fallback */
	char *target[2];         /* path?query per proto; v1 holds the token */
	char *url_redacted[2];   /* for logs */
	char *auth_header;       /* "X-Authorization: Bearer ...": wiped on free */
	char user_agent[2][256]; /* gateway/ (v2), connlib/ (v1) */
	struct portal_callbacks cb;

	enum portal_conn conn;
	struct bufferevent *bev;
	struct evdns_getaddrinfo_request *dns_req;
	struct evutil_addrinfo *addrs, *addr_next;
	struct event *ev_retry;    /* backoff wait */
	struct event *ev_timeout;  /* connect (5 s), then whole attempt (15 s) */
	struct event *ev_phx;      /* Phoenix deadline */
	struct ws_handshake hs;
	int hs_live;
	struct ws_decoder dec;
	int dec_live;
	struct phoenix_session sess;
	struct backoff backoff;
	int joined;
	int closing, closed;       /* graceful close: close frame sent / answered */
	int stopping;
	uint64_t attempt_start_ms;
	uint64_t attempts, connects, reconnects;
	char last_error[160];
};

struct portal_login {
	const char *api_url;
	const char *token;
	const char *firezone_id;
	const char *name;
	const uint8_t *public_key; /* 32 bytes */
};

/*
 * Prepare a portal connection.  Fails (-1, reason in why) on an API URL
 * that is not ws/wss/http/https with a host, or when TLS cannot be set up.
 * Does not connect.
 */
int portal_init(struct portal *p, struct event_base *base, struct evdns_base *dns,
    const struct portal_login *login, const struct portal_callbacks *cb,
    char *why, size_t whylen);

/* Start connecting (first attempt without delay). */
void portal_start(struct portal *p);

/*
 * The maximum partition time: once the retry delays summed since the last
 * join would exceed ms, the portal gives up (on_fatal).  0 selects the
 * default, 24 h.
 */
void portal_set_max_partition(struct portal *p, uint64_t ms);

/*
 * 2 while the connection uses today's /gateway/v2/websocket (events
 * create_authorization / authorization_created), 1 after the fallback to
 * the 2024 /gateway/websocket (authorize_flow / flow_authorized; no
 * set_snownet_capabilities or no_relays there).
 */
int portal_protocol_version(const struct portal *p);

/*
 * Graceful shutdown, first half: send a WebSocket close frame with code
 * 1000 when the connection is open, and stop sending anything else.
 * Returns 1 when it did (run the event loop, up to a second, until
 * portal_flushed() says the portal answered), 0 otherwise.
 */
int portal_close_gracefully(struct portal *p);

/* 1 once the portal answered the close frame, or the connection is gone. */
int portal_flushed(const struct portal *p);

/*
 * connect() of docs/protocol/portal.md §4.1 / §4.5: drop the current connection
 * without a close frame and start again at once with a fresh backoff,
 * unless an attempt (or its backoff wait) is already under way.
 */
void portal_reconnect(struct portal *p);

/* Queue an event on topic "gateway" (payload borrowed).  0 or -1. */
int portal_push(struct portal *p, const char *event, struct json_object *payload);

/* Non-zero while the channel is joined. */
int portal_is_joined(const struct portal *p);
const char *portal_conn_name(enum portal_conn c);

/* Close everything and wipe the token; p may not be used afterwards. */
void portal_free(struct portal *p);

/*
 * Build the User-Agent "<os>/<version> <component>/<v> (<arch>; <kernel>)"
 * with component "gateway" or "connlib"; characters outside printable
 * ASCII are removed.
 */
void portal_user_agent(char *buf, size_t len, const char *component);

#endif
