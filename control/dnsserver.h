/*
 * dnsserver.h - the DNS server on the gateway's tunnel addresses, port
 * 53535, UDP and TCP (docs/dns-server.md): a forwarder without a cache
 * that passes each client query unchanged to a nameserver of
 * /etc/resolv.conf over the same transport and passes its answer back,
 * or answers SERVFAIL.  With several nameservers, the one that answered a
 * probe fastest in the last round (every 60 s) gets the queries.  libevent glue around the sans-IO core dnsfwd.c.
 */
#ifndef FZ_DNSSERVER_H
#define FZ_DNSSERVER_H

#include <netinet/in.h>
#include <stdint.h>

struct event_base;
struct dnsserver;

/* Limits (docs/dns-server.md); a limit reached is counted and logged at debug. */
#define DNSSERVER_MAX_QUERIES         256 /* in flight, both transports */
#define DNSSERVER_MAX_QUERIES_CLIENT  32  /* in flight per client address */
#define DNSSERVER_MAX_CONNS           64  /* client TCP connections */
#define DNSSERVER_MAX_CONNS_CLIENT    8   /* client TCP connections per client address */
#define DNSSERVER_UPSTREAM_TIMEOUT_MS 5000
#define DNSSERVER_TCP_IDLE_S          30  /* a client connection without a query */
#define DNSSERVER_TCP_WRITE_S         10  /* a client that does not read its answer */
/* Ranking the nameservers when resolv.conf lists several. */
#define DNSSERVER_MAX_NS              8   /* nameservers read from resolv.conf */
#define DNSSERVER_PROBE_INTERVAL_S    60
#define DNSSERVER_PROBE_TIMEOUT_MS    2000
#define DNSSERVER_PROBE_NAME          "firezone.dev" /* asked for A, over UDP and TCP */

/* What /metrics shows. */
struct dnsserver_counters {
	uint64_t queries_udp, queries_tcp; /* accepted and forwarded (or failed) */
	uint64_t answered;                 /* the nameserver's answer passed on */
	uint64_t servfail;                 /* SERVFAIL sent instead */
	uint64_t truncated;                /* UDP answers cut to 1200 bytes */
	uint64_t malformed;                /* unparsable queries dropped */
	uint64_t limited;                  /* queries or connections refused by a limit */
};

/* Read the nameservers from path (normally /etc/resolv.conf) once and make
 * a server that listens nowhere yet; with more than one, start ranking
 * them (the first listed is used until a round has ended).  A missing or unusable file is logged
 * and every query is then answered SERVFAIL.  NULL only without memory. */
struct dnsserver *dnsserver_new(struct event_base *base, const char *path);

/* Listen on v4 and v6, port 53535, UDP and TCP (the init's tunnel
 * addresses; NULL for a family that is not configured).  The same
 * addresses again change nothing; others close the old sockets,
 * connections and queries first.  Sockets are bound with
 * IP_FREEBIND, so the addresses need not be on the interface yet.
 * Returns the number of sockets that failed (each one logged); s NULL does
 * nothing. */
int dnsserver_listen(struct dnsserver *s, const struct in_addr *v4, const struct in6_addr *v6);

/* Copy of the counters. */
void dnsserver_counters(const struct dnsserver *s, struct dnsserver_counters *out);

/* Close everything and free s (NULL is fine). */
void dnsserver_free(struct dnsserver *s);

#endif
