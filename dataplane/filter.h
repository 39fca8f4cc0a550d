/*
 * filter.h - per-client authorization table: which resources a client may
 * reach, with protocol/port filters and expiry (spec gateway-dataplane
 * sections 2.3, 2.4, 3).  Sans-IO: the caller passes `now` (UTC seconds).
 *
 * One struct filter_client per connected client, owned by the caller's peer
 * table, so the packet path never looks at other clients.  Every change
 * rebuilds a compiled form: per family a sorted array of disjoint address
 * intervals, each pointing at a merged rule (permit-all, ICMP flag, sorted
 * TCP and UDP port ranges).  A packet costs two binary searches.
 */
#ifndef FZ_FILTER_H
#define FZ_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define FILTER_NO_EXPIRY	INT64_MAX
#define FILTER_ID_LEN		16	/* resource id: the portal UUID's 16 bytes */

enum filter_res_type {
	FILTER_RES_CIDR = 1,
	FILTER_RES_DNS = 2,
	FILTER_RES_INTERNET = 3,
};

enum filter_proto {
	FILTER_TCP = 1,
	FILTER_UDP = 2,
	FILTER_ICMP = 3,
};

/* One entry of a resource's "filters" list; ports inclusive, ignored for ICMP. */
struct filter_spec {
	uint8_t proto;		/* enum filter_proto */
	uint16_t port_start;
	uint16_t port_end;
};

struct filter_client;

/*
 * New empty table for a client with the given tunnel addresses (either may
 * be NULL: packets of that family then fail the source check).  Returns
 * NULL on allocation failure.  Free with filter_client_free (NULL is ok).
 */
struct filter_client *filter_client_new(const struct pkt_addr *tun4, const struct pkt_addr *tun6);
void filter_client_free(struct filter_client *fc);

/*
 * Grant resource `id`.  CIDR needs net/plen with no host bits set; DNS and
 * Internet ignore net.  filters may be empty (permit all); the array is
 * copied.  expires_at is UTC seconds or FILTER_NO_EXPIRY.  Granting an id
 * that exists replaces its filters and its expiry (a type or network change
 * is refused).  Returns 0, PKT_E_INVAL (bad spec, port_start > port_end,
 * host bits, type change) or PKT_E_NOMEM; on error nothing changes.
 */
int filter_grant(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    enum filter_res_type type, const struct pkt_addr *net, unsigned plen,
    const struct filter_spec *filters, size_t nfilters, int64_t expires_at);

/* Replace only the filters of `id` (portal resource_updated).  0, PKT_E_NOTFOUND, PKT_E_INVAL, PKT_E_NOMEM. */
int filter_set_filters(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    const struct filter_spec *filters, size_t nfilters);

/* Remove resource `id`.  Returns 0 or PKT_E_NOTFOUND. */
int filter_revoke(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN]);

/*
 * Record a DNS translation setup (spec 4.3 step 5): the domain `name` of DNS
 * resource `id` resolved to resolved[0..nres) (replacing what that name had),
 * and each of proxies[0..nprox) now belongs to this resource (a proxy owned
 * by another resource or name moves).  Proxy IPs are filtered with this
 * resource's filters alone.  Returns 0, PKT_E_NOTFOUND, PKT_E_INVAL (not a
 * DNS resource) or PKT_E_NOMEM.
 */
int filter_dns_update(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN], const char *name,
    const struct pkt_addr *resolved, size_t nres, const struct pkt_addr *proxies, size_t nprox);

/*
 * Decide a client->resource packet (spec 3.3), after first removing any
 * resource whose expiry is <= now.  Returns 0 (allow), PKT_E_SPOOF (source
 * is not the client's tunnel address of its family) or PKT_E_DENIED.
 * No allocation unless a resource expires at this very call.
 */
int filter_check(struct filter_client *fc, const struct pkt_info *pi, int64_t now);

/*
 * Which granted resource admits pi, a packet filter_check allowed (for a
 * flow's first packet, not every packet: linear in the resources).  A proxy
 * IP belongs to its DNS resource; otherwise the most specific CIDR resource
 * containing the destination whose own filters allow the packet wins, then
 * the Internet resource, then the most specific CIDR resource containing
 * the destination whatever its filters.  Returns 1 and copies the id, or 0
 * if no resource matches.
 */
int filter_resource_of(const struct filter_client *fc, const struct pkt_info *pi,
    uint8_t id[FILTER_ID_LEN]);

/* Remove resources with expires_at <= now.  Returns how many were removed. */
int filter_expire(struct filter_client *fc, int64_t now);

/* Earliest expires_at among the resources, or FILTER_NO_EXPIRY. */
int64_t filter_next_expiry(const struct filter_client *fc);

/* Number of granted resources (the client record goes when this is 0). */
size_t filter_count(const struct filter_client *fc);

/* 1 if `id` is granted, 0 if not; *type set when non-NULL and granted. */
int filter_has(const struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    enum filter_res_type *type);

/* 1 if a is inside 100.96.0.0/11 or fd00:2021:1111:8000::/107 (DNS proxy IPs). */
int filter_is_proxy_range(const struct pkt_addr *a);

/* 1 if a is inside 100.64.0.0/11 or fd00:2021:1111::/107 (client tunnel IPs). */
int filter_is_client_range(const struct pkt_addr *a);

#endif
