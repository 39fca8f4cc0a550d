/*
 * dnsserver.c - the DNS server on the tunnel addresses, port 53535 (see
 * dnsserver.h and docs/dns-server.md): sockets, timers and connections
 * around the sans-IO core dnsfwd.c.
 *
 * Why not evdns: its client API asks for A, AAAA and PTR only (clients
 * send SRV and TXT here), and its server API hands over parsed requests
 * and re-encodes answers, where this server must pass each message on
 * unchanged, id included.  So this is a thin forwarder on libevent's
 * plain events, evconnlistener and bufferevents.
 *
 * Each query in flight owns its upstream socket: a connected UDP socket
 * (the kernel then only delivers datagrams from the nameserver's address
 * and port, and a fresh source port per query keeps answers to different
 * clients apart even when two clients chose the same id), or a TCP
 * connection to the nameserver that carries this one query.  An answer is
 * accepted only if its id and question match the query.  The number of
 * queries in flight, and so of upstream sockets, is capped.
 *
 * With several nameservers in resolv.conf, a probe round (an A query for
 * DNSSERVER_PROBE_NAME over UDP and TCP to each) every 60 s picks the one
 * queries go to: the lowest RTT of the last round.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "ipc_msg.h"
#include "addr.h"
#include "dnsfwd.h"
#include "dnsserver.h"
#include "log.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78 /* linux/in6.h; older libc headers lack it */
#endif

#define UDP_BATCH        64    /* datagrams read per wakeup of a listener */
#define TCP_BACKLOG      16
#define RESOLV_MAX       65536 /* bytes of resolv.conf read */

enum transport { T_UDP, T_TCP };

struct dns_listener {
	struct dnsserver *srv;
	int family;
	int udp_fd;
	struct event *udp_ev;
	struct evconnlistener *tcp;
};

struct dns_conn;

struct dns_query {
	struct dnsserver *srv;
	struct dns_query *prev, *next;
	enum transport transport;
	struct ipc_addr client;
	struct dns_listener *l;       /* UDP: the socket that answers */
	struct sockaddr_storage peer; /* UDP: the client */
	socklen_t peerlen;
	struct dns_conn *conn;        /* TCP: the client's connection */
	int up_fd;                    /* UDP: connected to the nameserver; -1 if none */
	struct event *up_ev;
	struct bufferevent *up_bev;   /* TCP: connection to the nameserver */
	struct event *timer;
	struct dnsfwd_question q;
	size_t len;
	uint8_t msg[DNSFWD_QUERY_MAX];
};

struct dns_conn {
	struct dnsserver *srv;
	struct dns_conn *prev, *next;
	struct bufferevent *bev;
	struct ipc_addr client;
	struct dns_query *q;          /* the one query in flight, or NULL */
};

/* A nameserver of resolv.conf and its probes of the current round. */
struct dns_ns {
	struct dnsserver *srv;
	struct sockaddr_storage ss;
	socklen_t sl;
	int64_t rtt_us;               /* the last round's best RTT; -1: no answer */
	int64_t round_rtt_us;         /* this round's best so far; -1: none yet */
	int64_t sent_us;              /* when this round's probes left */
	struct dnsfwd_question pq;    /* this round's probe question, to match answers */
	size_t plen;
	uint8_t probe[DNSFWD_HDR_LEN + DNSFWD_NAME_MAX + 4];
	int udp_fd;                   /* this round's UDP probe; -1 if none */
	struct event *udp_ev;
	struct bufferevent *tcp;      /* this round's TCP probe */
};

struct dnsserver {
	struct event_base *base;
	struct dns_ns ns[DNSSERVER_MAX_NS];
	size_t n_ns;                  /* 0: no nameserver, every query gets SERVFAIL */
	size_t cur;                   /* the nameserver queries go to */
	struct event *ev_probe;       /* every DNSSERVER_PROBE_INTERVAL_S: a new round */
	struct event *ev_round_end;   /* DNSSERVER_PROBE_TIMEOUT_MS after it: rank */
	int have_addrs, has_v4, has_v6;
	struct in_addr v4;
	struct in6_addr v6;
	struct dns_listener l[2];     /* [0] IPv4, [1] IPv6 */
	struct dns_query *queries;
	size_t n_queries;
	struct dns_conn *conns;
	size_t n_conns;
	struct dnsserver_counters ctr;
};

/* One message at a time passes through here (one thread). */
static uint8_t scratch[DNSFWD_MSG_MAX + 1];

#define TCP_MSG_WAIT (-1)	/* the message is not all there yet */
#define TCP_MSG_BAD (-2)	/* longer than allowed, or the buffer failed */

/*
 * Take one length-prefixed DNS message (RFC 1035 §4.2.2) of at most max
 * bytes from in into scratch.  Returns its length, TCP_MSG_WAIT or
 * TCP_MSG_BAD.
 */
static ssize_t
tcp_take_msg(struct evbuffer *in, size_t max)
{
	uint8_t pfx[2];
	size_t len;

	if (evbuffer_copyout(in, pfx, 2) != 2)
		return TCP_MSG_WAIT;
	len = (size_t)pfx[0] << 8 | pfx[1];
	if (len > max)
		return TCP_MSG_BAD;
	if (evbuffer_get_length(in) < 2 + len)
		return TCP_MSG_WAIT;
	evbuffer_drain(in, 2);
	return evbuffer_remove(in, scratch, len) == (int)len ? (ssize_t)len : TCP_MSG_BAD;
}

static const char *
fmt_client(const struct ipc_addr *a, char *buf, size_t len)
{
	return addr_fmt(a, buf, len);
}

static void
limited(struct dnsserver *s, const char *what, const struct ipc_addr *client)
{
	char cb[ADDR_STRLEN];

	s->ctr.limited++;
	log_debug("dns server: %s from %s refused: limit reached", what,
	    fmt_client(client, cb, sizeof(cb)));
}

static int
same_host(const struct ipc_addr *a, const struct ipc_addr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static size_t
client_queries(const struct dnsserver *s, const struct ipc_addr *client)
{
	const struct dns_query *q;
	size_t n = 0;

	for (q = s->queries; q != NULL; q = q->next)
		if (same_host(&q->client, client))
			n++;
	return n;
}

static size_t
client_conns(const struct dnsserver *s, const struct ipc_addr *client)
{
	const struct dns_conn *c;
	size_t n = 0;

	for (c = s->conns; c != NULL; c = c->next)
		if (same_host(&c->client, client))
			n++;
	return n;
}

/* ---- queries ------------------------------------------------------------ */

static void
query_free(struct dns_query *q)
{
	struct dnsserver *s = q->srv;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		s->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	s->n_queries--;
	if (q->timer != NULL)
		event_free(q->timer);
	if (q->up_ev != NULL)
		event_free(q->up_ev);
	if (q->up_fd >= 0)
		close(q->up_fd);
	if (q->up_bev != NULL)
		bufferevent_free(q->up_bev);
	if (q->conn != NULL && q->conn->q == q)
		q->conn->q = NULL;
	free(q);
}

/* Queue an answer on a client connection; reading resumes once it is sent. */
static void
conn_answer(struct dns_conn *c, const uint8_t *m, size_t n)
{
	uint8_t pfx[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (evbuffer_add(out, pfx, 2) < 0 || evbuffer_add(out, m, n) < 0)
		log_debug("dns server: cannot queue an answer on a TCP connection");
}

/* Send m to the query's client and forget the query. */
static void
query_answer(struct dns_query *q, const uint8_t *m, size_t n)
{
	char cb[ADDR_STRLEN];

	if (q->transport == T_UDP) {
		if (sendto(q->l->udp_fd, m, n, 0, (struct sockaddr *)&q->peer, q->peerlen) < 0)
			log_debug("dns server: cannot answer %s: %s", fmt_client(&q->client, cb, sizeof(cb)),
			    strerror(errno));
	} else if (q->conn != NULL)
		conn_answer(q->conn, m, n);
	query_free(q);
}

static void
query_fail(struct dns_query *q, const char *why)
{
	char cb[ADDR_STRLEN];
	size_t n;

	log_debug("dns server: query %u from %s: %s; answering SERVFAIL", (unsigned)q->q.id,
	    fmt_client(&q->client, cb, sizeof(cb)), why);
	q->srv->ctr.servfail++;
	if (dnsfwd_servfail(q->msg, &q->q, scratch, sizeof(scratch), &n) != DNSFWD_OK) {
		query_free(q);
		return;
	}
	query_answer(q, scratch, n);
}

/* The nameserver's message m (n bytes, in scratch).  Returns 0 if it was
 * not for this query (UDP: keep waiting), 1 if the query is done. */
static int
query_upstream(struct dns_query *q, uint8_t *m, size_t n)
{
	struct dnsfwd_question a;
	enum dnsfwd_err e;
	size_t cut;

	if ((e = dnsfwd_parse_answer(m, n, &a)) != DNSFWD_OK) {
		query_fail(q, dnsfwd_strerror(e));
		return 1;
	}
	if (!dnsfwd_matches(&q->q, &a)) {
		if (q->transport == T_UDP) {
			log_debug("dns server: query %u: ignoring an answer for another question",
			    (unsigned)q->q.id);
			return 0;
		}
		query_fail(q, "answer for another question");
		return 1;
	}
	if (q->transport == T_UDP && n > DNSFWD_UDP_ANSWER_MAX) {
		if (dnsfwd_truncate(m, n, DNSFWD_UDP_ANSWER_MAX, &cut) != DNSFWD_OK) {
			query_fail(q, "answer cannot be truncated");
			return 1;
		}
		n = cut;
		q->srv->ctr.truncated++;
	}
	q->srv->ctr.answered++;
	query_answer(q, m, n);
	return 1;
}

static void
query_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	query_fail(arg, "no answer from the nameserver within 5 s");
}

static void
up_udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < UDP_BATCH; i++) {
		n = recv(fd, scratch, sizeof(scratch), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			query_fail(q, strerror(errno));
			return;
		}
		if (query_upstream(q, scratch, (size_t)n))
			return;
	}
}

static void
up_tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct dns_query *q = arg;
	ssize_t n = tcp_take_msg(bufferevent_get_input(bev), DNSFWD_MSG_MAX);

	if (n == TCP_MSG_WAIT)
		return;
	if (n < 0) {
		query_fail(q, "cannot read the answer");
		return;
	}
	/* On TCP a message for another question fails the query too. */
	(void)query_upstream(q, scratch, (size_t)n);
}

static void
up_tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	query_fail(arg, (what & BEV_EVENT_EOF) ? "nameserver closed the connection" :
	    "cannot reach the nameserver over TCP");
}

static int
start_udp(struct dns_query *q)
{
	struct dnsserver *s = q->srv;

	const struct dns_ns *ns = &s->ns[s->cur];

	q->up_fd = socket(ns->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q->up_fd < 0 || connect(q->up_fd, (const struct sockaddr *)&ns->ss, ns->sl) < 0 ||
	    send(q->up_fd, q->msg, q->len, 0) != (ssize_t)q->len)
		return -1;
	q->up_ev = event_new(s->base, q->up_fd, EV_READ | EV_PERSIST, up_udp_cb, q);
	if (q->up_ev == NULL || event_add(q->up_ev, NULL) < 0)
		return -1;
	return 0;
}

static int
start_tcp(struct dns_query *q)
{
	struct dnsserver *s = q->srv;
	uint8_t pfx[2] = { (uint8_t)(q->len >> 8), (uint8_t)q->len };

	q->up_bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (q->up_bev == NULL)
		return -1;
	bufferevent_setcb(q->up_bev, up_tcp_read_cb, NULL, up_tcp_event_cb, q);
	bufferevent_setwatermark(q->up_bev, EV_READ, 2, 2 + DNSFWD_MSG_MAX);
	if (bufferevent_write(q->up_bev, pfx, 2) < 0 || bufferevent_write(q->up_bev, q->msg, q->len) < 0 ||
	    bufferevent_enable(q->up_bev, EV_READ | EV_WRITE) < 0)
		return -1;
	/* Errors after this point (refused, unreachable) arrive in the event callback. */
	if (bufferevent_socket_connect(q->up_bev, (struct sockaddr *)&s->ns[s->cur].ss,
	    (int)s->ns[s->cur].sl) < 0)
		return -1;
	return 0;
}

/* Forward the checked query m (question qq) from client; may answer (and
 * free the query) before it returns. */
static void
start_query(struct dnsserver *s, enum transport t, const uint8_t *m, size_t len,
    const struct dnsfwd_question *qq, const struct ipc_addr *client, struct dns_listener *l,
    const struct sockaddr_storage *peer, socklen_t peerlen, struct dns_conn *conn)
{
	struct timeval tv = { DNSSERVER_UPSTREAM_TIMEOUT_MS / 1000,
	    (DNSSERVER_UPSTREAM_TIMEOUT_MS % 1000) * 1000 };
	struct dns_query *q;
	int rc;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		log_warnx("dns server: out of memory for a query");
		return;
	}
	q->srv = s;
	q->transport = t;
	q->client = *client;
	q->l = l;
	if (peer != NULL) {
		q->peer = *peer;
		q->peerlen = peerlen;
	}
	q->conn = conn;
	q->up_fd = -1;
	q->q = *qq;
	q->len = len;
	memcpy(q->msg, m, len);
	q->next = s->queries;
	if (s->queries != NULL)
		s->queries->prev = q;
	s->queries = q;
	s->n_queries++;
	if (conn != NULL)
		conn->q = q;
	if (t == T_UDP)
		s->ctr.queries_udp++;
	else
		s->ctr.queries_tcp++;
	q->timer = evtimer_new(s->base, query_timeout_cb, q);
	if (q->timer == NULL || evtimer_add(q->timer, &tv) < 0) {
		query_fail(q, "cannot arm the timer");
		return;
	}
	if (s->n_ns == 0) {
		query_fail(q, "no nameserver in resolv.conf");
		return;
	}
	rc = t == T_UDP ? start_udp(q) : start_tcp(q);
	if (rc < 0)
		query_fail(q, "cannot send to the nameserver");
}

/* ---- UDP ---------------------------------------------------------------- */

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_listener *l = arg;
	struct dnsserver *s = l->srv;
	struct sockaddr_storage peer;
	struct dnsfwd_question q;
	struct ipc_addr client;
	enum dnsfwd_err e;
	char cb[ADDR_STRLEN];
	socklen_t pl;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < UDP_BATCH; i++) {
		pl = sizeof(peer);
		/* One byte more than a query may have, to see longer ones. */
		n = recvfrom(fd, scratch, DNSFWD_QUERY_MAX + 1, 0, (struct sockaddr *)&peer, &pl);
		if (n < 0)
			return;
		if (addr_from_sockaddr(&client, (struct sockaddr *)&peer, pl) < 0)
			continue;
		if ((e = dnsfwd_parse_query(scratch, (size_t)n, &q)) != DNSFWD_OK) {
			s->ctr.malformed++;
			log_debug("dns server: UDP query from %s dropped: %s",
			    fmt_client(&client, cb, sizeof(cb)), dnsfwd_strerror(e));
			continue;
		}
		if (s->n_queries >= DNSSERVER_MAX_QUERIES) {
			limited(s, "UDP query (too many in flight)", &client);
			continue;
		}
		if (client_queries(s, &client) >= DNSSERVER_MAX_QUERIES_CLIENT) {
			limited(s, "UDP query (too many in flight for this client)", &client);
			continue;
		}
		start_query(s, T_UDP, scratch, (size_t)n, &q, &client, l, &peer, pl, NULL);
	}
}

/* ---- TCP ---------------------------------------------------------------- */

static void
conn_free(struct dns_conn *c)
{
	struct dnsserver *s = c->srv;

	if (c->q != NULL)
		query_free(c->q);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_conns--;
	bufferevent_free(c->bev);
	free(c);
}

/* Take the next whole query from the connection's input, if any, and
 * forward it; reading stops until its answer has been sent. */
static void
conn_process(struct dns_conn *c)
{
	struct dnsserver *s = c->srv;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct dnsfwd_question q;
	enum dnsfwd_err e;
	char cb[ADDR_STRLEN];
	ssize_t n;
	size_t len;

	while (c->q == NULL && (n = tcp_take_msg(in, DNSFWD_QUERY_MAX)) != TCP_MSG_WAIT) {
		if (n < 0) {
			s->ctr.malformed++;
			log_debug("dns server: TCP query from %s longer than %d bytes: closing the "
			    "connection", fmt_client(&c->client, cb, sizeof(cb)), DNSFWD_QUERY_MAX);
			conn_free(c);
			return;
		}
		len = (size_t)n;
		if ((e = dnsfwd_parse_query(scratch, len, &q)) != DNSFWD_OK) {
			s->ctr.malformed++;
			log_debug("dns server: TCP query from %s dropped: %s",
			    fmt_client(&c->client, cb, sizeof(cb)), dnsfwd_strerror(e));
			continue;
		}
		if (s->n_queries >= DNSSERVER_MAX_QUERIES ||
		    client_queries(s, &c->client) >= DNSSERVER_MAX_QUERIES_CLIENT) {
			/* The client would wait for an answer that never comes: close. */
			limited(s, "TCP query (too many in flight)", &c->client);
			conn_free(c);
			return;
		}
		bufferevent_disable(c->bev, EV_READ);
		start_query(s, T_TCP, scratch, len, &q, &c->client, NULL, NULL, 0, c);
		return;
	}
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

/* The answer has been sent: read the next query. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct dns_conn *c = arg;

	if (c->q != NULL || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	bufferevent_enable(bev, EV_READ);
	conn_process(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dns_conn *c = arg;
	char cb[ADDR_STRLEN];

	(void)bev;
	log_debug("dns server: TCP connection from %s %s", fmt_client(&c->client, cb, sizeof(cb)),
	    (what & BEV_EVENT_TIMEOUT) ? "timed out" : (what & BEV_EVENT_EOF) ? "closed" : "failed");
	conn_free(c);
}

static void
accept_cb(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct dns_listener *l = arg;
	struct dnsserver *s = l->srv;
	struct timeval rd = { DNSSERVER_TCP_IDLE_S, 0 }, wr = { DNSSERVER_TCP_WRITE_S, 0 };
	struct ipc_addr client;
	struct dns_conn *c;

	(void)el;
	if (addr_from_sockaddr(&client, sa, (socklen_t)salen) < 0) {
		close(fd);
		return;
	}
	if (s->n_conns >= DNSSERVER_MAX_CONNS) {
		limited(s, "TCP connection (too many open)", &client);
		close(fd);
		return;
	}
	if (client_conns(s, &client) >= DNSSERVER_MAX_CONNS_CLIENT) {
		limited(s, "TCP connection (too many open for this client)", &client);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("dns server: out of memory for a TCP connection");
		free(c);
		close(fd);
		return;
	}
	c->srv = s;
	c->client = client;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/* At most one whole query is buffered (DNSFWD_QUERY_MAX, checked on arrival). */
	bufferevent_setwatermark(c->bev, EV_READ, 0, 2 + DNSFWD_QUERY_MAX);
	bufferevent_set_timeouts(c->bev, &rd, &wr);
	bufferevent_enable(c->bev, EV_READ);
}

static void
accept_error_cb(struct evconnlistener *el, void *arg)
{
	(void)el;
	(void)arg;
	log_warnx("dns server: accept failed: %s", strerror(errno));
}

/* ---- sockets ------------------------------------------------------------ */

static int
open_socket(int family, int type, const void *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(DNSFWD_PORT);
		memcpy(&s4->sin_addr, addr, 4);
		sl = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(DNSFWD_PORT);
		memcpy(&s6->sin6_addr, addr, 16);
		sl = sizeof(*s6);
	}
	if ((fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* The dataplane adds the tunnel addresses on its own schedule: bind
	 * before they exist (upstream retries instead). */
	if ((family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0) ||
	    (family == AF_INET6 && (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0)) ||
	    (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    /* Only what arrives through the tunnel: without this, a host on
	     * the LAN that routes the tunnel address to us could query too. */
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, IPC_TUN_NAME, sizeof(IPC_TUN_NAME)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static void
listener_close(struct dns_listener *l)
{
	if (l->udp_ev != NULL)
		event_free(l->udp_ev);
	if (l->udp_fd >= 0)
		close(l->udp_fd);
	if (l->tcp != NULL)
		evconnlistener_free(l->tcp);
	l->udp_ev = NULL;
	l->udp_fd = -1;
	l->tcp = NULL;
}

/* Returns the number of sockets (of 2) that failed. */
static int
listener_open(struct dnsserver *s, struct dns_listener *l, int family, const void *addr)
{
	char ab[INET6_ADDRSTRLEN];
	int fd, failed = 0;

	l->srv = s;
	l->family = family;
	inet_ntop(family, addr, ab, sizeof(ab));
	if ((l->udp_fd = open_socket(family, SOCK_DGRAM, addr)) < 0 ||
	    (l->udp_ev = event_new(s->base, l->udp_fd, EV_READ | EV_PERSIST, udp_read_cb, l)) == NULL ||
	    event_add(l->udp_ev, NULL) < 0) {
		log_warnx("dns server: cannot listen on UDP %s port %d: %s", ab, DNSFWD_PORT, strerror(errno));
		failed++;
	}
	if ((fd = open_socket(family, SOCK_STREAM, addr)) < 0 ||
	    (l->tcp = evconnlistener_new(s->base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, TCP_BACKLOG, fd)) == NULL) {
		log_warnx("dns server: cannot listen on TCP %s port %d: %s", ab, DNSFWD_PORT, strerror(errno));
		if (fd >= 0)
			close(fd);
		failed++;
	} else
		evconnlistener_set_error_cb(l->tcp, accept_error_cb);
	return failed;
}

static void
close_all(struct dnsserver *s)
{
	int i;

	while (s->conns != NULL)
		conn_free(s->conns);
	while (s->queries != NULL)
		query_free(s->queries);
	for (i = 0; i < 2; i++)
		listener_close(&s->l[i]);
}

/* ---- API ---------------------------------------------------------------- */

/* ---- nameserver ranking (docs/dns-server.md) ----------------------------- */

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
probe_stop(struct dns_ns *ns)
{
	if (ns->udp_ev != NULL)
		event_free(ns->udp_ev);
	if (ns->udp_fd >= 0)
		close(ns->udp_fd);
	if (ns->tcp != NULL)
		bufferevent_free(ns->tcp);
	ns->udp_ev = NULL;
	ns->udp_fd = -1;
	ns->tcp = NULL;
}

/* A message from the nameserver: note the RTT if it answers this round's
 * probe.  Returns 1 if it did. */
static int
probe_answer(struct dns_ns *ns, const uint8_t *m, size_t n)
{
	struct dnsfwd_question a;
	int64_t rtt;

	if (dnsfwd_parse_answer(m, n, &a) != DNSFWD_OK || !a.present || !dnsfwd_matches(&ns->pq, &a))
		return 0;
	rtt = now_us() - ns->sent_us;
	if (ns->round_rtt_us < 0 || rtt < ns->round_rtt_us)
		ns->round_rtt_us = rtt;
	return 1;
}

static void
probe_udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_ns *ns = arg;
	ssize_t n;

	(void)what;
	while ((n = recv(fd, scratch, sizeof(scratch), 0)) >= 0)
		if (probe_answer(ns, scratch, (size_t)n)) {
			event_free(ns->udp_ev);
			close(ns->udp_fd);
			ns->udp_ev = NULL;
			ns->udp_fd = -1;
			return;
		}
}

static void
probe_tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct dns_ns *ns = arg;
	ssize_t n = tcp_take_msg(bufferevent_get_input(bev), DNSFWD_MSG_MAX);

	if (n == TCP_MSG_WAIT)
		return;
	if (n >= 0)
		(void)probe_answer(ns, scratch, (size_t)n);
	bufferevent_free(ns->tcp);
	ns->tcp = NULL;
}

static void
probe_tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dns_ns *ns = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	bufferevent_free(ns->tcp);
	ns->tcp = NULL;
}

/* Send this round's probes (UDP and TCP) to one nameserver. */
static void
probe_send(struct dns_ns *ns)
{
	struct dnsserver *s = ns->srv;
	uint8_t pfx[2];
	uint16_t id;

	probe_stop(ns);
	ns->round_rtt_us = -1;
	evutil_secure_rng_get_bytes(&id, sizeof(id));
	if (dnsfwd_build_query(id, DNSSERVER_PROBE_NAME, 1, ns->probe, sizeof(ns->probe), &ns->plen) !=
	    DNSFWD_OK || dnsfwd_parse_query(ns->probe, ns->plen, &ns->pq) != DNSFWD_OK)
		return;
	ns->sent_us = now_us();
	ns->udp_fd = socket(ns->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ns->udp_fd < 0 || connect(ns->udp_fd, (struct sockaddr *)&ns->ss, ns->sl) < 0 ||
	    send(ns->udp_fd, ns->probe, ns->plen, 0) != (ssize_t)ns->plen ||
	    (ns->udp_ev = event_new(s->base, ns->udp_fd, EV_READ | EV_PERSIST, probe_udp_cb, ns)) == NULL ||
	    event_add(ns->udp_ev, NULL) < 0)
		probe_stop(ns);
	pfx[0] = (uint8_t)(ns->plen >> 8);
	pfx[1] = (uint8_t)ns->plen;
	if ((ns->tcp = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return;
	bufferevent_setcb(ns->tcp, probe_tcp_read_cb, NULL, probe_tcp_event_cb, ns);
	bufferevent_setwatermark(ns->tcp, EV_READ, 2, 2 + DNSFWD_MSG_MAX);
	if (bufferevent_write(ns->tcp, pfx, 2) < 0 || bufferevent_write(ns->tcp, ns->probe, ns->plen) < 0 ||
	    bufferevent_enable(ns->tcp, EV_READ | EV_WRITE) < 0 ||
	    bufferevent_socket_connect(ns->tcp, (struct sockaddr *)&ns->ss, (int)ns->sl) < 0) {
		if (ns->tcp != NULL)
			bufferevent_free(ns->tcp);
		ns->tcp = NULL;
	}
}

static void
probe_round_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsserver *s = arg;
	struct timeval tv = { DNSSERVER_PROBE_TIMEOUT_MS / 1000, (DNSSERVER_PROBE_TIMEOUT_MS % 1000) * 1000 };
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < s->n_ns; i++)
		probe_send(&s->ns[i]);
	if (evtimer_add(s->ev_round_end, &tv) < 0)
		log_warnx("dns server: cannot time the nameserver probes");
	log_debug("dns server: probing %zu nameservers", s->n_ns);
}

/* The round is over: forward to the nameserver with the lowest RTT of
 * this round; if none answered, keep the current one. */
static void
probe_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsserver *s = arg;
	struct ipc_addr a;
	char ab[ADDR_STRLEN];
	size_t i, best = s->n_ns;

	(void)fd;
	(void)what;
	for (i = 0; i < s->n_ns; i++) {
		probe_stop(&s->ns[i]);
		s->ns[i].rtt_us = s->ns[i].round_rtt_us;
		if (addr_from_sockaddr(&a, (struct sockaddr *)&s->ns[i].ss, s->ns[i].sl) == 0)
			log_debug("dns server: probe of %s: %s %lld us", addr_fmt(&a, ab, sizeof(ab)),
			    s->ns[i].rtt_us >= 0 ? "answered in" : "no answer,", (long long)s->ns[i].rtt_us);
		if (s->ns[i].rtt_us >= 0 && (best == s->n_ns || s->ns[i].rtt_us < s->ns[best].rtt_us))
			best = i;
	}
	if (best == s->n_ns) {
		log_debug("dns server: no nameserver answered its probe; still forwarding to the same one");
		return;
	}
	if (best == s->cur)
		return;
	s->cur = best;
	if (addr_from_sockaddr(&a, (struct sockaddr *)&s->ns[best].ss, s->ns[best].sl) == 0)
		log_info("dns server: forwarding to %s, the nameserver that answered fastest (%lld ms)",
		    addr_fmt(&a, ab, sizeof(ab)), (long long)(s->ns[best].rtt_us / 1000));
}

static void
read_resolv(struct dnsserver *s, const char *path)
{
	static char text[RESOLV_MAX];
	struct sockaddr_storage ss[DNSSERVER_MAX_NS];
	socklen_t sl[DNSSERVER_MAX_NS];
	struct ipc_addr a;
	char ab[ADDR_STRLEN];
	size_t len = 0, i, n;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_warnx("dns server: cannot read %s (%s): clients' DNS queries on port %d will be "
		    "answered SERVFAIL", path, strerror(errno), DNSFWD_PORT);
		return;
	}
	while (len < sizeof(text) && (r = read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)r;
	close(fd);
	n = dnsfwd_resolv_parse(text, len, ss, sl, DNSSERVER_MAX_NS);
	for (i = 0; i < n; i++) {
		if (addr_from_sockaddr(&a, (struct sockaddr *)&ss[i], sl[i]) < 0)
			continue;
		s->ns[s->n_ns].ss = ss[i];
		s->ns[s->n_ns].sl = sl[i];
		s->n_ns++;
		log_info("dns server: nameserver %s (from %s)", addr_fmt(&a, ab, sizeof(ab)), path);
	}
	if (s->n_ns == 0)
		log_warnx("dns server: no usable nameserver line in %s: clients' DNS queries on port %d "
		    "will be answered SERVFAIL", path, DNSFWD_PORT);
}

struct dnsserver *
dnsserver_new(struct event_base *base, const char *path)
{
	struct timeval every = { DNSSERVER_PROBE_INTERVAL_S, 0 };
	struct dnsserver *s;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base = base;
	s->l[0].udp_fd = s->l[1].udp_fd = -1;
	for (i = 0; i < DNSSERVER_MAX_NS; i++) {
		s->ns[i].srv = s;
		s->ns[i].udp_fd = -1;
		s->ns[i].rtt_us = s->ns[i].round_rtt_us = -1;
	}
	read_resolv(s, path);
	/* Rank the nameservers when there is a choice: now, then periodically. */
	if (s->n_ns > 1) {
		s->ev_probe = event_new(base, -1, EV_PERSIST, probe_round_cb, s);
		s->ev_round_end = evtimer_new(base, probe_end_cb, s);
		if (s->ev_probe == NULL || s->ev_round_end == NULL || event_add(s->ev_probe, &every) < 0) {
			dnsserver_free(s);
			return NULL;
		}
		event_active(s->ev_probe, EV_TIMEOUT, 0);
	}
	return s;
}

int
dnsserver_listen(struct dnsserver *s, const struct in_addr *v4, const struct in6_addr *v6)
{
	char a4[INET_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-";
	int failed = 0;

	if (s == NULL)
		return 0;
	if (s->have_addrs && s->has_v4 == (v4 != NULL) && s->has_v6 == (v6 != NULL) &&
	    (v4 == NULL || memcmp(&s->v4, v4, sizeof(*v4)) == 0) &&
	    (v6 == NULL || memcmp(&s->v6, v6, sizeof(*v6)) == 0))
		return 0;
	close_all(s);
	memset(&s->v4, 0, sizeof(s->v4));
	memset(&s->v6, 0, sizeof(s->v6));
	s->has_v4 = v4 != NULL;
	s->has_v6 = v6 != NULL;
	s->have_addrs = 1;
	if (v4 != NULL) {
		s->v4 = *v4;
		failed += listener_open(s, &s->l[0], AF_INET, v4);
		inet_ntop(AF_INET, v4, a4, sizeof(a4));
	}
	if (v6 != NULL) {
		s->v6 = *v6;
		failed += listener_open(s, &s->l[1], AF_INET6, v6);
		inet_ntop(AF_INET6, v6, a6, sizeof(a6));
	}
	if (v4 != NULL || v6 != NULL)
		log_info("dns server: listening on port %d (UDP and TCP) of %s and %s%s", DNSFWD_PORT, a4, a6,
		    failed ? "; some sockets failed" : "");
	return failed;
}

void
dnsserver_counters(const struct dnsserver *s, struct dnsserver_counters *out)
{
	if (s == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = s->ctr;
}

void
dnsserver_free(struct dnsserver *s)
{
	size_t i;

	if (s == NULL)
		return;
	close_all(s);
	for (i = 0; i < s->n_ns; i++)
		probe_stop(&s->ns[i]);
	if (s->ev_probe != NULL)
		event_free(s->ev_probe);
	if (s->ev_round_end != NULL)
		event_free(s->ev_round_end);
	free(s);
}
