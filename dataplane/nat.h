/*
 * nat.h - DNS-resource NAT (docs/protocol/dataplane.md 4.3-4.6): the per-client
 * map proxy IP -> real IP, the session table that rewrites ports/echo
 * identifiers, NAT64/46 when the families differ, and the translation
 * liveness timestamps that drive re-resolution.
 *
 * One struct nat serves every client: clients are dense slot numbers
 * [0, max_clients) chosen by the caller's peer table, and every key carries
 * the slot, so each client still has its own independent table.  All
 * memory is allocated by nat_new; the packet path allocates nothing and
 * costs a few hash lookups.  Hashes are keyed with a caller-supplied seed.
 * Sans-IO: `now` is a monotonic time in milliseconds passed by the caller,
 * never decreasing from one call to the next (expiry relies on that order).
 *
 * Session lifetimes follow today's reference gateway (docs/dataplane-today.md):
 * a session goes at the earliest of: its last packet (either direction) +
 * NAT_TCP_IDLE_MS for TCP, + NAT_UDP_IDLE_MS for UDP and ICMP echo; its
 * last outgoing packet + NAT_UNANSWERED_MS while no inbound packet was ever
 * seen; its last packet + NAT_CLOSING_MS once TCP FIN went both ways; at
 * once on a TCP RST either way.  The outside key of a session that went
 * is remembered for NAT_GONE_KEEP_MS, so a late reply is dropped
 * (PKT_E_EXPIRED) instead of reaching the client untranslated.  ICMP errors
 * from the resource side are translated back through their session; return
 * packets that carry no port or identifier are forwarded unchanged.
 */
#ifndef FZ_NAT_H
#define FZ_NAT_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define NAT_TCP_IDLE_MS		(((2 * 60) + 4) * 60 * 1000ULL)	/* 2 h 4 min */
#define NAT_UDP_IDLE_MS		120000ULL	/* UDP and ICMP echo */
#define NAT_UNANSWERED_MS	60000ULL	/* no inbound packet ever seen */
#define NAT_CLOSING_MS		5000ULL		/* TCP FIN seen both ways */
#define NAT_GONE_KEEP_MS	600000ULL	/* outside key of a removed session */
#define NAT_NO_DEADLINE		UINT64_MAX

struct nat_config {
	uint32_t max_clients;		/* client slots [0, max_clients) */
	uint32_t max_sessions;		/* sessions, all clients together */
	uint32_t max_sessions_per_client;
	uint32_t max_translations;	/* proxy->real entries, all clients */
	uint32_t max_translations_per_client;	/* 0: only max_translations */
	/* Lifetimes in ms; 0 takes the NAT_*_MS default of the same name. */
	uint64_t tcp_idle_ms, udp_idle_ms, unanswered_ms, closing_ms, gone_keep_ms;
	uint64_t seed;			/* hash key; pass random bytes */
};

struct nat;

/* Allocate all tables.  Returns NULL on a zero size or allocation failure. */
struct nat *nat_new(const struct nat_config *cfg);
void nat_free(struct nat *nt);

/*
 * Activate client slot `client` with its tunnel addresses (either may be
 * NULL; the NAT64/46 source of that family is then missing and such
 * translations fail).  Re-setting an active slot keeps its state.
 * Returns 0 or PKT_E_INVAL.
 */
int nat_client_set(struct nat *nt, uint32_t client, const struct pkt_addr *tun4,
    const struct pkt_addr *tun6);

/* Drop a client's sessions and translations and deactivate the slot. */
void nat_client_remove(struct nat *nt, uint32_t client);

/*
 * Map proxy -> real for a client (spec 4.3 step 3): inserts, or replaces
 * the mapping with fresh liveness timers (created = now).  Sessions bound to
 * an older real IP are replaced on their next outgoing packet.  Returns 0,
 * PKT_E_INVAL or PKT_E_FULL (the table, or this client's share of it, is
 * full: one client cannot take every translation).
 */
int nat_xlate_set(struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    const struct pkt_addr *real, uint64_t now);

/* Current real IP of a proxy.  Returns 0 and fills *real, or PKT_E_NOTFOUND. */
int nat_xlate_get(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    struct pkt_addr *real);

/* Remove one mapping (its sessions expire on their own).  0 or PKT_E_NOTFOUND. */
int nat_xlate_remove(struct nat *nt, uint32_t client, const struct pkt_addr *proxy);

/*
 * Liveness of a mapping (spec 4.6): silent = no reply for 120 s since the
 * last reply (or creation); expired = client sent while it was about to
 * go silent, at least 1 s ago, and it is silent now.  Return 1 or 0 (0 for
 * unknown mappings).
 */
int nat_xlate_silent(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    uint64_t now);
int nat_xlate_expired(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    uint64_t now);

/*
 * For the housekeeping tick: copy to out[0..max) the proxies of `client`
 * whose mapping is expired at `now`; returns how many there are in total
 * (may exceed max).  Walks only that client's mappings.
 */
size_t nat_xlate_list_expired(const struct nat *nt, uint32_t client, uint64_t now,
    struct pkt_addr *out, size_t max);

/*
 * client->resource, after the filter.  If the destination is a mapped
 * proxy, rewrite buf[0..*len) in place (cap bytes available; NAT46 needs
 * *len + 20) and update *len.  Returns 1 (translated), 0 (not a proxy:
 * untouched) or negative (drop): PKT_E_PROTO (no port or echo identifier),
 * PKT_E_FULL (no session or port free), a translation or parse error.
 */
int nat_out(struct nat *nt, uint32_t client, uint8_t *buf, size_t *len, size_t cap,
    uint64_t now);

/*
 * resource->client, for a packet whose destination is this client's tunnel
 * address.  A packet matching a session (directly, or an ICMP error quoting
 * one) is rewritten back toward the proxy IP in place.  Returns 1
 * (translated), 0 (no session: forward unchanged) or negative (drop):
 * PKT_E_EXPIRED when it matches the outside key of a session that expired
 * or was reset less than NAT_GONE_KEEP_MS ago, a translation or parse error.
 */
int nat_in(struct nat *nt, uint32_t client, uint8_t *buf, size_t *len, size_t cap,
    uint64_t now);

/*
 * Remove the sessions whose removal time (see above) is <= now: the 1 Hz
 * tick calls this.  Costs one step per removed session.  Returns how many.
 */
int nat_expire(struct nat *nt, uint64_t now);

/* When the next session will expire, or NAT_NO_DEADLINE. */
uint64_t nat_next_deadline(const struct nat *nt);

/* Live sessions of one client, and of all clients. */
uint32_t nat_session_count(const struct nat *nt, uint32_t client);
uint32_t nat_session_total(const struct nat *nt);

#endif
