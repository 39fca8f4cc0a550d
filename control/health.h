/*
 * health.h - the health HTTP server (docs/protocol/dataplane.md §8) with
 * libevent's evhttp: GET/HEAD /healthz answers 200 while the process is
 * alive; /readyz answers 200 when the gateway can serve clients (joined to
 * the portal, dataplane up, a relay available) and 503 with the missing
 * parts listed otherwise; /metrics gives the Prometheus text format.
 * Other paths: 404; other methods: 405.
 */
#ifndef FZ_HEALTH_H
#define FZ_HEALTH_H

#include <stddef.h>

struct event_base;
struct evhttp;

struct health_state {
	int portal_joined;
	int dataplane_ready;
	size_t relays;
};

typedef void (*health_state_fn)(void *arg, struct health_state *st);
struct evbuffer;
/* Write the Prometheus text exposition (version 0.0.4) into b. */
typedef void (*health_metrics_fn)(void *arg, struct evbuffer *b);

struct health {
	struct evhttp *http;
	health_state_fn state;
	health_metrics_fn metrics;
	void *arg;
};

/*
 * Listen on "host:port" ("[v6]:port" for IPv6).  A failure to bind is
 * logged and the gateway runs on without the endpoint, as upstream does.
 * Returns 0 if listening, -1 otherwise (bad address or bind failure).
 */
int health_start(struct health *h, struct event_base *base, const char *addr,
    health_state_fn fn, health_metrics_fn metrics, void *arg);
void health_stop(struct health *h);

/* Split "host:port" / "[v6]:port".  0, or -1 for a malformed address. */
int health_parse_addr(const char *addr, char *host, size_t hostlen, unsigned short *port);

/* Readiness text and verdict (1 ready) for a state; exposed for tests. */
int health_ready_text(const struct health_state *st, char *buf, size_t len);

#endif
