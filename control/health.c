/*
 * health.c - /healthz and /readyz over evhttp.
 */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "log.h"

int
health_parse_addr(const char *addr, char *host, size_t hostlen, unsigned short *port)
{
	const char *colon, *hs, *he;
	char *end;
	unsigned long p;

	if (addr == NULL || *addr == '\0')
		return -1;
	if (addr[0] == '[') {
		hs = addr + 1;
		if ((he = strchr(hs, ']')) == NULL || he[1] != ':')
			return -1;
		colon = he + 1;
	} else {
		hs = addr;
		if ((colon = strrchr(addr, ':')) == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return -1;
		he = colon;
	}
	if (he == hs || (size_t)(he - hs) >= hostlen)
		return -1;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p == 0 || p > 65535)
		return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (unsigned short)p;
	return 0;
}

int
health_ready_text(const struct health_state *st, char *buf, size_t len)
{
	int ready = st->portal_joined && st->dataplane_ready && st->relays > 0;

	snprintf(buf, len, "%s\nportal: %s\ndataplane: %s\nrelays: %zu\n",
	    ready ? "ready" : "not ready", st->portal_joined ? "joined" : "not joined",
	    st->dataplane_ready ? "up" : "starting", st->relays);
	return ready;
}

static void
reply(struct evhttp_request *req, int code, const char *reason, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	if (body != NULL && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct health *h = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct health_state st;
	char body[256];

	if (path == NULL || (strcmp(path, "/healthz") != 0 && strcmp(path, "/readyz") != 0 &&
	    strcmp(path, "/metrics") != 0)) {
		reply(req, 404, "Not Found", "not found\n");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply(req, 405, "Method Not Allowed", "method not allowed\n");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		struct evbuffer *b = evbuffer_new();
		if (b == NULL) {
			evhttp_send_error(req, 500, NULL);
			return;
		}
		if (cmd == EVHTTP_REQ_GET)
			h->metrics(h->arg, b);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		    "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	if (strcmp(path, "/healthz") == 0) {
		/* Alive means answering; upstream sends an empty body. */
		reply(req, 200, "OK", NULL);
		return;
	}
	memset(&st, 0, sizeof(st));
	h->state(h->arg, &st);
	if (health_ready_text(&st, body, sizeof(body)))
		reply(req, 200, "OK", body);
	else
		reply(req, 503, "Service Unavailable", body);
}

int
health_start(struct health *h, struct event_base *base, const char *addr,
    health_state_fn fn, health_metrics_fn metrics, void *arg)
{
	char host[128];
	unsigned short port;

	memset(h, 0, sizeof(*h));
	h->state = fn;
	h->metrics = metrics;
	h->arg = arg;
	if (health_parse_addr(addr, host, sizeof(host), &port) < 0) {
		log_warnx("health: \"%s\" is not an address:port; no health endpoint", addr);
		return -1;
	}
	if ((h->http = evhttp_new(base)) == NULL)
		return -1;
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->http, 8192);
	evhttp_set_max_body_size(h->http, 4096);
	evhttp_set_timeout(h->http, 10);
	evhttp_set_gencb(h->http, request_cb, h);
	if (evhttp_bind_socket(h->http, host, port) != 0) {
		log_warnx("health: cannot listen on %s; running without a health endpoint", addr);
		evhttp_free(h->http);
		h->http = NULL;
		return -1;
	}
	log_info("health: listening on %s (/healthz, /readyz, /metrics)", addr);
	return 0;
}

void
health_stop(struct health *h)
{
	if (h->http != NULL)
		evhttp_free(h->http);
	h->http = NULL;
}
