/*
 * portal.c - libevent glue around the sans-IO portal cores: evdns lookup,
 * TCP connect over every address in turn, TLS with certificate and host
 * name verification, the WebSocket upgrade and frames, the Phoenix session
 * and its timers, and reconnects with backoff.
 */
#include "portal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "util.h"

static void attempt_start(struct portal *p);
static void transient(struct portal *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static uint32_t
rand_u32(void *ctx)
{
	uint32_t v = 0;

	(void)ctx;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint32_t)util_now_ms() * 2654435761u;
	return v;
}

const char *
portal_conn_name(enum portal_conn c)
{
	switch (c) {
	case PORTAL_IDLE: return "idle";
	case PORTAL_BACKOFF: return "waiting to reconnect";
	case PORTAL_RESOLVING: return "resolving";
	case PORTAL_CONNECTING: return "connecting";
	case PORTAL_HANDSHAKE: return "upgrading";
	case PORTAL_OPEN: return "open";
	}
	return "?";
}

/*
 * Up to cap - 1 bytes of a frame for a log line: printable ASCII only, so a
 * binary message, a UTF-8 sequence cut by the limit or a terminal escape
 * from the peer never reaches the log (JSON lines must stay valid UTF-8).
 */
static const char *
log_text(const void *data, size_t len, char *buf, size_t cap)
{
	const unsigned char *s = data;
	size_t i, n = len < cap - 1 ? len : cap - 1;

	for (i = 0; i < n; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	buf[n] = '\0';
	return buf;
}

/* ---- User-Agent ----------------------------------------------------------- */

static void
os_release(char *name, size_t nlen, char *ver, size_t vlen)
{
	char line[256], *v, *e;
	FILE *f = fopen("/etc/os-release", "re");

	snprintf(name, nlen, "Linux");
	snprintf(ver, vlen, "0.0.0");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *dst = NULL;
		size_t dl = 0;

		if (strncmp(line, "ID=", 3) == 0) {
			dst = name;
			dl = nlen;
			v = line + 3;
		} else if (strncmp(line, "VERSION_ID=", 11) == 0) {
			dst = ver;
			dl = vlen;
			v = line + 11;
		} else {
			continue;
		}
		v += strspn(v, "\"'");
		e = v + strcspn(v, "\"'\n");
		*e = '\0';
		/* Keep the token a single word: the portal splits on spaces. */
		for (e = v; *e != '\0'; e++)
			if (*e == ' ' || (unsigned char)*e < 0x21 || (unsigned char)*e > 0x7e)
				*e = '_';
		if (*v != '\0')
			snprintf(dst, dl, "%s", v);
		/* "debian" -> "Debian", the way the reference names systems. */
		if (dst == name && name[0] >= 'a' && name[0] <= 'z')
			name[0] = (char)(name[0] - 'a' + 'A');
	}
	fclose(f);
}

void
portal_user_agent(char *buf, size_t len, const char *component)
{
	char name[64], ver[32];
	struct utsname u;
	size_t i, j;

	os_release(name, sizeof(name), ver, sizeof(ver));
	if (uname(&u) == 0)
		snprintf(buf, len, "%s/%s %s/%s (%s; %s)", name, ver, component,
		    PORTAL_GATEWAY_VERSION, u.machine, u.release);
	else
		snprintf(buf, len, "%s/%s %s/%s", name, ver, component, PORTAL_GATEWAY_VERSION);
	/* As upstream: nothing outside printable ASCII in the header. */
	for (i = j = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] >= 0x20 && (unsigned char)buf[i] < 0x7f)
			buf[j++] = buf[i];
	buf[j] = '\0';
}

/*
 * The token for the X-Authorization header: every whitespace character
 * removed, as upstream does.  NULL when no memory.
 */
static char *
auth_header(const char *token)
{
	static const char pfx[] = "X-Authorization: Bearer ";
	size_t n = strlen(token), i, j = sizeof(pfx) - 1;
	char *h = malloc(sizeof(pfx) + n);

	if (h == NULL)
		return NULL;
	memcpy(h, pfx, j);
	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)token[i]))
			h[j++] = token[i];
	h[j] = '\0';
	return h;
}

/* ---- setup ----------------------------------------------------------------- */

static void retry_cb(evutil_socket_t fd, short what, void *arg);
static void timeout_cb(evutil_socket_t fd, short what, void *arg);
static void phx_cb(evutil_socket_t fd, short what, void *arg);

int
portal_init(struct portal *p, struct event_base *base, struct evdns_base *dns,
    const struct portal_login *login, const struct portal_callbacks *cb,
    char *why, size_t whylen)
{
	char ext[PORTAL_URL_EXTERNAL_ID_LEN + 1];
	struct portal_url_login l;
	int rc, i;

	memset(p, 0, sizeof(*p));
	p->base = base;
	p->dns = dns;
	p->cb = *cb;
	if ((rc = portal_url_parse(login->api_url, &p->url)) != PORTAL_URL_OK) {
		snprintf(why, whylen, "invalid portal URL: %s (only http(s):// and ws(s):// URLs "
		    "with a host are allowed)", portal_url_strerror(rc));
		return -1;
	}
	if (portal_url_external_id(login->firezone_id, strlen(login->firezone_id), ext) != PORTAL_URL_OK) {
		snprintf(why, whylen, "cannot hash the gateway ID");
		return -1;
	}
	l.token = login->token;
	l.external_id = ext;
	l.name = login->name;
	l.public_key = login->public_key;
	for (i = 0; i < 2; i++) {
		p->url.proto = i == 0 ? PORTAL_URL_V2 : PORTAL_URL_V1;
		if (portal_url_request_target(&p->url, &l, &p->target[i]) != PORTAL_URL_OK ||
		    portal_url_string(&p->url, &l, 1, &p->url_redacted[i]) != PORTAL_URL_OK) {
			snprintf(why, whylen, "cannot build the portal URL");
			return -1;
		}
	}
	p->url.proto = PORTAL_URL_V2;
	if ((p->auth_header = auth_header(login->token)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	portal_user_agent(p->user_agent[0], sizeof(p->user_agent[0]), "gateway");
	portal_user_agent(p->user_agent[1], sizeof(p->user_agent[1]), "connlib");

	if (!p->url.tls)
		/* Once, at start: every connection would repeat it. */
		log_warnx("portal: %s is not encrypted (%s://): the gateway token travels in clear "
		    "and anyone on the path can take it; use a wss:// (or https://) URL",
		    p->url_redacted[0], portal_url_scheme(&p->url));
	if (p->url.tls) {
		/* System trust store; SSL_CERT_FILE / SSL_CERT_DIR are honoured by
		 * OpenSSL's default paths. */
		if ((p->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		    SSL_CTX_set_min_proto_version(p->ssl_ctx, TLS1_2_VERSION) != 1 ||
		    SSL_CTX_set_default_verify_paths(p->ssl_ctx) != 1) {
			snprintf(why, whylen, "cannot set up TLS");
			return -1;
		}
		SSL_CTX_set_verify(p->ssl_ctx, SSL_VERIFY_PEER, NULL);
	}
	p->ev_retry = evtimer_new(base, retry_cb, p);
	p->ev_timeout = evtimer_new(base, timeout_cb, p);
	p->ev_phx = evtimer_new(base, phx_cb, p);
	if (p->ev_retry == NULL || p->ev_timeout == NULL || p->ev_phx == NULL) {
		snprintf(why, whylen, "cannot create timers");
		return -1;
	}
	phoenix_session_init(&p->sess, PORTAL_QUEUE_MAX);
	backoff_init(&p->backoff, rand_u32, NULL);
	log_info("portal: %s, user agent \"%s\"", p->url_redacted[0], p->user_agent[0]);
	return 0;
}

/* ---- teardown of one connection ----------------------------------------- */

/*
 * A connection dropped while it still has output queued (typically the
 * close frame just written in answer to the portal's close or to a
 * protocol error): stop reading and free it once the output is written, or
 * after a second, so that the close frame really goes out instead of
 * dying in the buffer.
 */
static void
linger_write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void
linger_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
bev_release(struct portal *p)
{
	struct bufferevent *bev = p->bev;
	struct timeval tv = { 1, 0 };

	p->bev = NULL;
	if (!p->stopping && evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, NULL, linger_write_cb, linger_event_cb, NULL);
		bufferevent_set_timeouts(bev, NULL, &tv);
		bufferevent_enable(bev, EV_WRITE);
	} else {
		bufferevent_free(bev);
	}
}

static void
conn_close(struct portal *p)
{
	if (p->dns_req != NULL) {
		struct evdns_getaddrinfo_request *r = p->dns_req;
		p->dns_req = NULL;
		evdns_getaddrinfo_cancel(r);
	}
	if (p->addrs != NULL) {
		evutil_freeaddrinfo(p->addrs);
		p->addrs = p->addr_next = NULL;
	}
	if (p->bev != NULL)
		bev_release(p);
	if (p->hs_live) {
		ws_handshake_free(&p->hs);
		p->hs_live = 0;
	}
	if (p->dec_live) {
		ws_decoder_free(&p->dec);
		p->dec_live = 0;
	}
	event_del(p->ev_timeout);
	event_del(p->ev_phx);
	if (p->joined) {
		p->joined = 0;
		if (p->cb.on_joined != NULL)
			p->cb.on_joined(p->cb.arg, 0);
	}
}

static void
schedule(struct portal *p, uint64_t delay_ms)
{
	struct timeval tv;

	p->conn = PORTAL_BACKOFF;
	phoenix_session_connecting(&p->sess);
	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)((delay_ms % 1000) * 1000);
	evtimer_add(p->ev_retry, &tv);
}

static void fatal_stop(struct portal *p, const char *reason);

/*
 * Drop the connection and retry: after delay_ms when it is not
 * PORTAL_DELAY_BACKOFF (Retry-After, or 0 for the v1 fallback; neither
 * takes from the backoff budget), else after the next backoff delay.  An
 * exhausted budget is fatal.
 */
#define PORTAL_DELAY_BACKOFF UINT64_MAX

static void
retry_after(struct portal *p, uint64_t delay_ms, const char *fmt, va_list ap)
{
	char reason[384];
	uint64_t d = delay_ms;

	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	conn_close(p);
	phoenix_session_disconnected(&p->sess);
	if (p->stopping)
		return;
	if (d == PORTAL_DELAY_BACKOFF && backoff_next(&p->backoff, &d) != BACKOFF_OK) {
		snprintf(reason, sizeof(reason), "no connection to the portal for longer than the "
		    "maximum partition time (%llu s; FIREZONE_MAX_PARTITION_TIME); last error: %s",
		    (unsigned long long)(p->backoff.budget_ms / 1000), p->last_error);
		fatal_stop(p, reason);
		return;
	}
	p->reconnects++;
	log_warnx("portal: %s; retrying in %llu.%03llu s", p->last_error,
	    (unsigned long long)(d / 1000), (unsigned long long)(d % 1000));
	schedule(p, d);
}

static void
transient(struct portal *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	retry_after(p, PORTAL_DELAY_BACKOFF, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
transient_in(struct portal *p, uint64_t delay_ms, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	retry_after(p, delay_ms, fmt, ap);
	va_end(ap);
}

static void
fatal_stop(struct portal *p, const char *reason)
{
	p->stopping = 1;	/* first: nothing lingers on the way out */
	conn_close(p);
	p->conn = PORTAL_IDLE;
	if (p->cb.on_fatal != NULL)
		p->cb.on_fatal(p->cb.arg, reason);
}

/* ---- writing -------------------------------------------------------------- */

static int
send_frame(struct portal *p, enum ws_opcode op, const uint8_t *data, size_t len)
{
	uint8_t mask[4], small[256], *buf = small;
	size_t cap = ws_frame_size(len), n = 0;
	int rc;

	if (RAND_bytes(mask, sizeof(mask)) != 1)
		return -1;
	if (cap > sizeof(small) && (buf = malloc(cap)) == NULL)
		return -1;
	rc = ws_encode_frame(buf, cap, &n, op, 1, data, len, mask);
	if (rc == WS_OK)
		rc = bufferevent_write(p->bev, buf, n) == 0 ? WS_OK : -1;
	OPENSSL_cleanse(buf, n);
	if (buf != small)
		free(buf);
	return rc == WS_OK ? 0 : -1;
}

static size_t
proto_index(const struct portal *p)
{
	return p->url.proto == PORTAL_URL_V2 ? 0 : 1;
}

/* (Re)arm the attempt timer: total_ms after the attempt started. */
static void
attempt_timer(struct portal *p, uint64_t total_ms)
{
	uint64_t now = util_now_ms(), end = p->attempt_start_ms + total_ms;
	uint64_t left = end > now ? end - now : 0;
	struct timeval tv = { (time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000) };

	event_del(p->ev_timeout);
	evtimer_add(p->ev_timeout, &tv);
}

static void
send_close(struct portal *p, uint16_t code)
{
	uint8_t mask[4], buf[16];
	size_t n;

	if (p->bev == NULL || RAND_bytes(mask, sizeof(mask)) != 1)
		return;
	if (ws_encode_close(buf, sizeof(buf), &n, code, NULL, 0, mask) == WS_OK)
		(void)bufferevent_write(p->bev, buf, n);
}

/* Write every queued Phoenix frame; re-arm the Phoenix timer. */
static void
pump(struct portal *p)
{
	const char *f;
	char lbuf[201];
	size_t len;
	uint64_t dl, now;
	struct timeval tv;

	if (p->conn != PORTAL_OPEN)
		return;
	while ((f = phoenix_session_peek(&p->sess, &len)) != NULL) {
		if (send_frame(p, WS_OP_TEXT, (const uint8_t *)f, len) < 0) {
			transient(p, "cannot write to the portal connection");
			return;
		}
		log_debug("portal: sent %s", log_text(f, len, lbuf, sizeof(lbuf)));
		phoenix_session_pop(&p->sess);
	}
	event_del(p->ev_phx);
	dl = phoenix_session_next_deadline(&p->sess);
	if (dl == PHOENIX_NO_DEADLINE)
		return;
	now = util_now_ms();
	dl = dl > now ? dl - now : 0;
	tv.tv_sec = (time_t)(dl / 1000);
	tv.tv_usec = (suseconds_t)((dl % 1000) * 1000);
	evtimer_add(p->ev_phx, &tv);
}

/*
 * Write what the session still holds although it just left the connected
 * state (the heartbeat queued by the tick that gave up).
 */
static void
flush_last(struct portal *p)
{
	enum phoenix_state st = p->sess.state;
	const char *f;
	size_t len;

	p->sess.state = PHOENIX_JOINED;
	while ((f = phoenix_session_peek(&p->sess, &len)) != NULL) {
		if (send_frame(p, WS_OP_TEXT, (const uint8_t *)f, len) < 0)
			break;
		phoenix_session_pop(&p->sess);
	}
	p->sess.state = st;
}

/* ---- Phoenix results ------------------------------------------------------ */

static void
act(struct portal *p, struct phoenix_result *r)
{
	char reason[256];

	switch (r->action) {
	case PHOENIX_ACT_EVENT:
		if (p->cb.on_event != NULL)
			p->cb.on_event(p->cb.arg, &r->msg);
		break;
	case PHOENIX_ACT_NONE:
		switch (r->cause) {
		case PHOENIX_CAUSE_JOINED:
			/* The backoff starts afresh from a join reply. */
			backoff_reset(&p->backoff);
			if (p->joined)
				break;	/* a rejoin after "unmatched topic" */
			p->joined = 1;
			p->connects++;
			log_info("portal: joined topic \"gateway\" (%s)",
			    p->url.proto == PORTAL_URL_V2 ? "v2" : "v1, 2024 portal");
			if (p->cb.on_joined != NULL)
				p->cb.on_joined(p->cb.arg, 1);
			break;
		case PHOENIX_CAUSE_REJOINING:
			log_info("portal: the portal does not know our channel (unmatched topic): "
			    "joining again");
			break;
		case PHOENIX_CAUSE_REQUEST_FAILED:
			log_warnx("portal: request %llu failed: %s", (unsigned long long)r->ref, r->detail);
			break;
		case PHOENIX_CAUSE_BAD_FRAME:
			log_warnx("portal: ignoring a frame that does not parse: %s", phoenix_strerror(r->err));
			break;
		case PHOENIX_CAUSE_REPLY_NO_REF:
			log_warnx("portal: ignoring a reply without a ref");
			break;
		case PHOENIX_CAUSE_CHANNEL_ERROR:
			log_debug("portal: phx_error from the portal");
			break;
		default:
			break;
		}
		break;
	case PHOENIX_ACT_RECONNECT:
		transient(p, "%s%s%s", phoenix_cause_name(r->cause), r->detail[0] ? ": " : "", r->detail);
		break;
	case PHOENIX_ACT_FATAL:
		if (r->cause == PHOENIX_CAUSE_TOKEN_EXPIRED)
			snprintf(reason, sizeof(reason), "the portal says the token expired");
		else
			snprintf(reason, sizeof(reason), "the portal refused to join the gateway channel: %s",
			    r->detail[0] ? r->detail : phoenix_cause_name(r->cause));
		fatal_stop(p, reason);
		break;
	}
}

/* ---- reading --------------------------------------------------------------- */

static void
on_ws_event(struct portal *p, const struct ws_event *ev)
{
	struct phoenix_result r;
	char lbuf[201];

	if (p->closing) {
		/* Our close frame is out: only the portal's answer matters. */
		if (ev->type == WS_EV_CLOSE)
			p->closed = 1;
		return;
	}
	switch (ev->type) {
	case WS_EV_MESSAGE:
		log_debug("portal: received %s%s", ev->opcode == WS_OP_BINARY ? "(binary) " : "",
		    log_text(ev->data, ev->len, lbuf, sizeof(lbuf)));
		memset(&r, 0, sizeof(r));
		phoenix_session_input(&p->sess, util_now_ms(), (const char *)ev->data, ev->len, &r);
		act(p, &r);
		phoenix_result_free(&r);
		break;
	case WS_EV_PING:
		/* Answer and otherwise ignore (a quirk of the reference avoided). */
		if (send_frame(p, WS_OP_PONG, ev->data, ev->len) < 0)
			transient(p, "cannot answer a ping");
		break;
	case WS_EV_PONG:
		break;
	case WS_EV_CLOSE:
		send_close(p, ev->close_code == WS_CLOSE_NO_STATUS ? 0 : ev->close_code);
		transient(p, "the portal closed the connection (code %u%s%s)", (unsigned)ev->close_code,
		    ev->reason_len ? ": " : "", log_text(ev->reason, ev->reason_len, lbuf, 81));
		break;
	}
}

static void
on_open(struct portal *p)
{
	p->conn = PORTAL_OPEN;
	event_del(p->ev_timeout);
	ws_decoder_init(&p->dec, PORTAL_MAX_MESSAGE);
	p->dec_live = 1;
	if (phoenix_session_connected(&p->sess, util_now_ms()) != PHOENIX_OK) {
		transient(p, "out of memory");
		return;
	}
	log_info("portal: connected to %s:%u, joining", p->url.host, (unsigned)p->url.port);
}

/*
 * The portal answered the upgrade with another status than 101: only 401
 * is fatal; 404 or a redirect on the v2 path means a portal older than
 * the v2 socket (fall back to v1 at once, for good); Retry-After is
 * honoured; the rest is retried with the backoff.
 */
static void
upgrade_refused(struct portal *p)
{
	int st = ws_handshake_status(&p->hs);
	long ra = ws_handshake_retry_after(&p->hs, time(NULL));
	char reason[200];

	if (st == 401) {
		snprintf(reason, sizeof(reason), "portal rejected the token (HTTP 401 %s)",
		    ws_handshake_reason(&p->hs));
		fatal_stop(p, reason);
		return;
	}
	if (p->url.proto == PORTAL_URL_V2 && (st == 404 || (st >= 300 && st < 400))) {
		p->url.proto = PORTAL_URL_V1;
		log_info("portal: HTTP %d on %s: an older portal; using %s with user agent \"%s\" "
		    "from now on", st, p->url.path_v2, p->url_redacted[1], p->user_agent[1]);
		transient_in(p, 0, "falling back to the 2024 socket path");
		return;
	}
	if (ra >= 0) {
		transient_in(p, (uint64_t)ra * 1000, "portal answered the upgrade with HTTP %d %s "
		    "(Retry-After %ld s)", st, ws_handshake_reason(&p->hs), ra);
		return;
	}
	transient(p, "portal answered the upgrade with HTTP %d %s", st, ws_handshake_reason(&p->hs));
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct portal *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ws_event ev;
	unsigned char *data;
	size_t len, used;
	int rc;

	while (p->bev == bev && (len = evbuffer_get_length(in)) > 0) {
		data = evbuffer_pullup(in, -1);
		if (data == NULL) {
			transient(p, "out of memory");
			return;
		}
		if (p->conn == PORTAL_HANDSHAKE) {
			rc = ws_handshake_feed(&p->hs, data, len, &used);
			evbuffer_drain(in, used);
			if (rc == WS_EAGAIN)
				return;
			if (rc == WS_EHTTP_STATUS) {
				upgrade_refused(p);
				return;
			}
			if (rc != WS_OK) {
				transient(p, "bad WebSocket handshake: %s", ws_strerror(rc));
				return;
			}
			ws_handshake_free(&p->hs);
			p->hs_live = 0;
			on_open(p);
			pump(p);
			continue;
		}
		if (p->conn != PORTAL_OPEN) {
			evbuffer_drain(in, len);
			return;
		}
		rc = ws_decoder_feed(&p->dec, data, len, &used, &ev);
		if (rc < 0 && p->closing) {
			evbuffer_drain(in, len);
			p->closed = 1;
			return;
		}
		if (rc < 0) {
			evbuffer_drain(in, len);
			send_close(p, ws_err_close_code(rc));
			transient(p, "WebSocket protocol error: %s", ws_strerror(rc));
			return;
		}
		if (rc == 1)
			on_ws_event(p, &ev);
		/* ev points into the decoder, not the buffer: safe to drain now. */
		if (p->bev == bev)
			evbuffer_drain(in, used);
		if (p->bev == bev)
			pump(p);
		if (rc == 0 && used == len)
			return;
	}
}

static void try_next_address(struct portal *p);

/*
 * What went wrong on a connection, for the log: the OpenSSL error when TLS
 * failed (with the certificate verification result), else the socket
 * error.  Returns 1 when TLS itself failed, that is the TCP connection was
 * up.  libevent queues SSL_get_error() codes (SSL_ERROR_SYSCALL is 5) next
 * to the real OpenSSL errors; only the latter name a library.
 */
static int
conn_error(struct portal *p, struct bufferevent *bev, short what, int err, int tcp_failed,
    char *buf, size_t len)
{
	unsigned long e, last = 0;
	long vr;
	size_t n;
	SSL *ssl;

	buf[0] = '\0';
	if (p->url.tls) {
		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			if (ERR_GET_LIB(e) != 0)
				last = e;
		if (last != 0) {
			ERR_error_string_n(last, buf, len);
			if (ERR_GET_LIB(last) == ERR_LIB_SYS)
				return 0;
			ssl = bufferevent_openssl_get_ssl(bev);
			if (ssl != NULL && (vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
				n = strlen(buf);
				snprintf(buf + n, len - n, " (%s)", X509_verify_cert_error_string(vr));
			}
			return 1;
		}
	}
	if (((what & BEV_EVENT_ERROR) || tcp_failed) && err != 0)
		snprintf(buf, len, "%s", evutil_socket_error_to_string(err));
	return 0;
}

/* 1 if the TCP connection under bev is established. */
static int
tcp_up(struct bufferevent *bev)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(bev);

	return fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0;
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct portal *p = arg;
	char *req = NULL;
	size_t rlen = 0;
	uint8_t key[WS_KEY_LEN];
	int err = EVUTIL_SOCKET_ERROR(), tls_failed, tcp_failed;
	char ebuf[256];
	const char *extra[2];

	if (p->bev != bev)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		attempt_timer(p, PORTAL_ATTEMPT_TIMEOUT_MS);
		if (RAND_bytes(key, sizeof(key)) != 1 ||
		    ws_handshake_init(&p->hs, key, 0) != WS_OK) {
			transient(p, "cannot start the WebSocket handshake");
			return;
		}
		p->hs_live = 1;
		extra[0] = p->auth_header;
		extra[1] = NULL;
		if (ws_handshake_request(&p->hs, p->url.host, p->url.port, p->url.tls,
		    p->target[proto_index(p)], p->user_agent[proto_index(p)], extra, &req,
		    &rlen) != WS_OK) {
			transient(p, "cannot build the upgrade request");
			return;
		}
		bufferevent_write(bev, req, rlen);
		OPENSSL_cleanse(req, rlen);
		free(req);
		p->conn = PORTAL_HANDSHAKE;
		bufferevent_enable(bev, EV_READ);
		return;
	}
	if ((what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) && p->closing) {
		p->closed = 1;	/* the portal went away first: nothing to wait for */
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		/*
		 * The next address only when TCP failed (spec 1.4); a TLS
		 * failure ends the attempt with its own reason.  Over TLS a
		 * refused connect shows up as EOF (dirty shutdown allowed),
		 * so ask the socket whether it ever connected.
		 */
		tcp_failed = p->conn == PORTAL_CONNECTING && !tcp_up(bev);
		tls_failed = conn_error(p, bev, what, err, tcp_failed, ebuf, sizeof(ebuf));
		if (tcp_failed && !tls_failed && p->addr_next != NULL) {
			log_debug("portal: connect failed (%s), trying the next address", ebuf);
			bufferevent_free(p->bev);
			p->bev = NULL;
			try_next_address(p);
			return;
		}
		if (p->conn == PORTAL_OPEN || p->conn == PORTAL_HANDSHAKE)
			transient(p, "connection lost%s%s", ebuf[0] ? ": " : "", ebuf);
		else if (tls_failed)
			transient(p, "TLS with %s:%u failed: %s", p->url.host, (unsigned)p->url.port, ebuf);
		else
			transient(p, "cannot connect to %s:%u%s%s", p->url.host, (unsigned)p->url.port,
			    ebuf[0] ? ": " : "", ebuf);
	}
}

/*
 * Make the handshake check the certificate against host: an IP address
 * (IPv6 when is_ipv6, or only digits and dots) must be one of its IP SANs,
 * a name its DNS names (also sent as SNI).  -1 when OpenSSL refuses any
 * of it (bad address text, no memory).
 */
static int
tls_expect_identity(SSL *ssl, const char *host, int is_ipv6)
{
	if (is_ipv6 || strspn(host, "0123456789.") == strlen(host))
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -1;
	if (SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1)
		return -1;
	return 0;
}

static void
try_next_address(struct portal *p)
{
	struct evutil_addrinfo *ai;
	SSL *ssl = NULL;

	while ((ai = p->addr_next) != NULL) {
		p->addr_next = ai->ai_next;
		if (p->url.tls) {
			if ((ssl = SSL_new(p->ssl_ctx)) == NULL)
				break;
			if (tls_expect_identity(ssl, p->url.host, p->url.host_is_ipv6) < 0) {
				/* Without the name (or address) set, any trusted
				 * certificate would do: never connect like that. */
				SSL_free(ssl);
				transient(p, "TLS: cannot set the expected identity %s of the portal; "
				    "not connecting", p->url.host);
				return;
			}
			p->bev = bufferevent_openssl_socket_new(p->base, -1, ssl,
			    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
			if (p->bev == NULL) {
				SSL_free(ssl);
				break;
			}
			bufferevent_openssl_set_allow_dirty_shutdown(p->bev, 1);
		} else {
			p->bev = bufferevent_socket_new(p->base, -1, BEV_OPT_CLOSE_ON_FREE);
			if (p->bev == NULL)
				break;
		}
		bufferevent_setcb(p->bev, read_cb, NULL, event_cb, p);
		p->conn = PORTAL_CONNECTING;
		if (bufferevent_socket_connect(p->bev, ai->ai_addr, (int)ai->ai_addrlen) == 0)
			return;
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
	transient(p, "cannot connect to %s:%u (no address worked)", p->url.host, (unsigned)p->url.port);
}

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct portal *p = arg;

	p->dns_req = NULL;
	if (result == EVUTIL_EAI_CANCEL)
		return;
	if (p->conn != PORTAL_RESOLVING) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	if (result != 0 || res == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		transient(p, "cannot resolve %s: %s", p->url.host, evutil_gai_strerror(result));
		return;
	}
	p->addrs = p->addr_next = res;
	try_next_address(p);
}

static void
attempt_start(struct portal *p)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	char port[8];

	conn_close(p);
	p->attempts++;
	p->conn = PORTAL_RESOLVING;
	phoenix_session_connecting(&p->sess);
	p->attempt_start_ms = util_now_ms();
	attempt_timer(p, PORTAL_CONNECT_TIMEOUT_MS);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", (unsigned)p->url.port);
	log_debug("portal: attempt %llu: resolving %s", (unsigned long long)p->attempts, p->url.host);
	/* The callback may run before evdns_getaddrinfo returns (numeric hosts). */
	req = evdns_getaddrinfo(p->dns, p->url.host, port, &hints, dns_cb, p);
	if (req != NULL && p->conn == PORTAL_RESOLVING && p->addrs == NULL && p->bev == NULL)
		p->dns_req = req;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	attempt_start(arg);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct portal *p = arg;

	(void)fd;
	(void)what;
	if (p->conn == PORTAL_RESOLVING || p->conn == PORTAL_CONNECTING)
		transient(p, "no connection to the portal within %u s (%s)",
		    PORTAL_CONNECT_TIMEOUT_MS / 1000, portal_conn_name(p->conn));
	else if (p->conn == PORTAL_HANDSHAKE || p->hs_live)
		transient(p, "no WebSocket to the portal within %u s (%s)",
		    PORTAL_ATTEMPT_TIMEOUT_MS / 1000, portal_conn_name(p->conn));
}

static void
phx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct portal *p = arg;
	struct phoenix_result r;

	(void)fd;
	(void)what;
	if (p->conn != PORTAL_OPEN)
		return;
	memset(&r, 0, sizeof(r));
	phoenix_session_tick(&p->sess, util_now_ms(), &r);
	if (r.action == PHOENIX_ACT_RECONNECT && r.cause == PHOENIX_CAUSE_HEARTBEAT_TIMEOUT)
		flush_last(p);	/* the 4th heartbeat goes out, then we give up */
	act(p, &r);
	phoenix_result_free(&r);
	pump(p);
}

/* ---- public ---------------------------------------------------------------- */

void
portal_start(struct portal *p)
{
	attempt_start(p);
}

void
portal_set_max_partition(struct portal *p, uint64_t ms)
{
	backoff_set_budget(&p->backoff, ms != 0 ? ms : BACKOFF_DEFAULT_BUDGET_MS);
}

int
portal_protocol_version(const struct portal *p)
{
	return p->url.proto == PORTAL_URL_V2 ? 2 : 1;
}

int
portal_close_gracefully(struct portal *p)
{
	if (p->conn != PORTAL_OPEN || p->bev == NULL || p->closing)
		return 0;
	/* Nothing goes out after the close frame; reading goes on until the
	 * portal answers it, so that no unread data turns our close into a
	 * reset that could take the close frame with it. */
	phoenix_session_disconnected(&p->sess);
	event_del(p->ev_phx);
	send_close(p, WS_CLOSE_NORMAL);
	p->closing = 1;
	return 1;
}

int
portal_flushed(const struct portal *p)
{
	return p->bev == NULL || p->closed;
}

void
portal_reconnect(struct portal *p)
{
	if (p->stopping)
		return;
	/* An attempt with the same URL is already under way: nothing to do. */
	if (p->conn == PORTAL_BACKOFF || p->conn == PORTAL_RESOLVING ||
	    p->conn == PORTAL_CONNECTING || p->conn == PORTAL_HANDSHAKE)
		return;
	log_info("portal: reconnecting to get a fresh init");
	conn_close(p);
	phoenix_session_disconnected(&p->sess);
	event_del(p->ev_retry);
	backoff_reset(&p->backoff);
	p->reconnects++;
	attempt_start(p);
}

int
portal_push(struct portal *p, const char *event, struct json_object *payload)
{
	if (phoenix_session_push(&p->sess, PHOENIX_TOPIC, event, payload, NULL) != PHOENIX_OK)
		return -1;
	pump(p);
	return 0;
}

int
portal_is_joined(const struct portal *p)
{
	return p->joined;
}

void
portal_free(struct portal *p)
{
	p->stopping = 1;
	conn_close(p);
	if (p->ev_retry != NULL)
		event_free(p->ev_retry);
	if (p->ev_timeout != NULL)
		event_free(p->ev_timeout);
	if (p->ev_phx != NULL)
		event_free(p->ev_phx);
	phoenix_session_free(&p->sess);
	for (int i = 0; i < 2; i++) {
		if (p->target[i] != NULL) {
			OPENSSL_cleanse(p->target[i], strlen(p->target[i]));
			free(p->target[i]);
		}
		free(p->url_redacted[i]);
	}
	if (p->auth_header != NULL) {
		OPENSSL_cleanse(p->auth_header, strlen(p->auth_header));
		free(p->auth_header);
	}
	if (p->ssl_ctx != NULL)
		SSL_CTX_free(p->ssl_ctx);
	memset(p, 0, sizeof(*p));
}
