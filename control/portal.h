/*
 * portal.h - the portal connection: DNS (evdns), TCP, TLS (OpenSSL through
 * bufferevent_openssl), the WebSocket handshake and frames (ws_codec) and
 * the Phoenix session (phoenix), with reconnects (backoff) as
 * portal-protocol.md §1 and §4 describe.
 *
 * The application sees decoded Phoenix events of topic "gateway" and the
 * joined/left transitions, and pushes outbound events.  Fatal conditions
 * (4xx on the upgrade, a refused join, an expired token) are reported
 * through on_fatal with a one-line reason; the caller decides to exit.
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

/* The version advertised in the User-Agent: 1.4.0 or later receives
 * authorize_flow (portal-protocol.md §1.3, §4.9). */
#define PORTAL_CONNLIB_VERSION "1.4.0"
#define PORTAL_CONNECT_TIMEOUT_MS 5000u
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
	struct portal_url url;
	char *target;            /* path?query, holds the token: wiped on free */
	char *url_redacted;      /* for logs */
	char user_agent[256];
	struct portal_callbacks cb;

	enum portal_conn conn;
	struct bufferevent *bev;
	struct evdns_getaddrinfo_request *dns_req;
	struct evutil_addrinfo *addrs, *addr_next;
	struct event *ev_retry;    /* backoff wait */
	struct event *ev_timeout;  /* connect + handshake bound */
	struct event *ev_phx;      /* Phoenix deadline */
	struct ws_handshake hs;
	int hs_live;
	struct ws_decoder dec;
	int dec_live;
	struct phoenix_session sess;
	struct backoff backoff;
	int joined;
	int stopping;
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
 * connect() of portal-protocol.md §4.1 / §4.5: drop the current connection
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

/* Build the User-Agent "<os>/<version> connlib/<v> (<arch>; <kernel>)". */
void portal_user_agent(char *buf, size_t len);

#endif
