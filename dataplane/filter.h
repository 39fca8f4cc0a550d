/*
 * filter.h - per-client authorization table: which resources a client may
 * reach, with protocol/port filters and expiry (docs/protocol/dataplane.md
 * sections 2.3, 2.4, 3).  Sans-IO: the caller passes `now` (UTC seconds).
 *
 * One struct filter_client per connected client, owned by the caller's peer
 * table, so the packet path never looks at other clients.  Every change
 * rebuilds a compiled form: per family a sorted array of disjoint address
 * intervals, each pointing at a merged rule (permit-all, ICMP flag, sorted
 * TCP and UDP port ranges).  A packet costs two binary searches.  The
 * Internet resource is not compiled: it admits what a short list of refused
 * prefixes leaves, on top of the compiled grants (docs/security.md).
 */
#ifndef FZ_FILTER_H
#define FZ_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define FILTER_NO_EXPIRY	INT64_MAX
#define FILTER_ID_LEN		16	/* resource id: the portal UUID's 16 bytes */

/* Proxy IPs one domain name may hold: clients assign 4 IPv4 and 4 IPv6. */
#define FILTER_PROXIES_PER_NAME	8
/*
 * Domain names one DNS resource may hold for one client.  A client creates
 * a name with each AssignedIps event it sends, so without a bound one client
 * could grow its table (and the cost of every rebuild) without end; a
 * wildcard resource rarely needs more than a few dozen names at a time.
 */
#define FILTER_NAMES_PER_RESOURCE 64
/* The port of the DNS server clients reach on the gateway's tunnel address. */
#define FILTER_GATEWAY_DNS_PORT	53535

/*
 * The gateway's own tunnel addresses (set from the interface configuration):
 * clients reach them without a grant, for DNS and echo only.
 */
struct filter_gateway {
	struct pkt_addr v4, v6;
	uint8_t has_v4, has_v6;
};

/* Why filter_check refused a packet: which ICMP error answers it. */
enum filter_deny {
	FILTER_DENY_PROHIBITED = 0,	/* ICMP 3/13, ICMPv6 1/1 */
	FILTER_DENY_UNREACHABLE = 1,	/* ICMP 3/0, ICMPv6 1/3 */
};

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
 * resource `id` resolved to resolved[0..nres), and its proxy IPs are now
 * exactly proxies[0..nprox): what the name had before is replaced, so a
 * proxy no longer listed stops being admitted, and a listed proxy owned by
 * another resource or name moves here.  Proxy IPs are filtered with this
 * resource's filters alone.  Returns 0, PKT_E_NOTFOUND, PKT_E_INVAL (not a
 * DNS resource, a proxy outside filter_is_proxy_range, more than
 * FILTER_PROXIES_PER_NAME proxies), PKT_E_FULL (a new name beyond
 * FILTER_NAMES_PER_RESOURCE) or PKT_E_NOMEM; on error nothing changes.
 */
int filter_dns_update(struct filter_client *fc, const uint8_t id[FILTER_ID_LEN], const char *name,
    const struct pkt_addr *resolved, size_t nres, const struct pkt_addr *proxies, size_t nprox);

/*
 * Copy to out[0..max) the proxy IPs that `name` of DNS resource `id` holds
 * now (before a filter_dns_update replaces them).  Returns how many were
 * copied; 0 for an unknown resource or name.
 */
size_t filter_dns_proxies(const struct filter_client *fc, const uint8_t id[FILTER_ID_LEN],
    const char *name, struct pkt_addr *out, size_t max);

/*
 * Set the gateway's tunnel addresses (v4: 4 bytes, v6: 16 bytes; NULL: that
 * family has none).  An address outside the client tunnel ranges is not
 * taken (that family then has none).  Returns 0, or PKT_E_INVAL if an
 * address was refused.
 */
int filter_gateway_set(struct filter_gateway *gw, const uint8_t *v4, const uint8_t *v6);

/*
 * Decide a client->network packet, in this order: the source must be the
 * client's tunnel address of its family (PKT_E_SPOOF); a fragment (IPv4 MF
 * or offset, an IPv6 fragment header) is refused (PKT_E_FRAG), and so is an
 * ICMP or ICMPv6 error (PKT_E_DENIED): clients do not send them to
 * resources; to the gateway's own
 * tunnel address (gw may be NULL) only UDP or TCP to FILTER_GATEWAY_DNS_PORT
 * and echo requests pass, with no grant; anything else in the client tunnel
 * ranges is denied (no hairpin, whatever the grants); a DNS proxy IP is
 * admitted only as a proxy of a granted DNS resource, with that resource's
 * filters (an unknown one is unreachable); anything else needs a grant
 * (spec 3.3), after first removing any resource whose expiry is <= now.
 * The Internet resource admits everything except the ranges of
 * filter_is_internet_refused, which only a CIDR grant admits (unreachable
 * when none covers the address).  Returns 0 (allow), PKT_E_SPOOF,
 * PKT_E_FRAG or PKT_E_DENIED, and then sets *why when why is not NULL.  No allocation
 * unless a resource expires at this very call.
 */
int filter_check(struct filter_client *fc, const struct filter_gateway *gw,
    const struct pkt_info *pi, int64_t now, enum filter_deny *why);

/*
 * Decide a resource->client packet read from the TUN, after NAT-in (so a
 * DNS resource's reply comes from its proxy IP).  Allowed: an ICMP error
 * (IPv4 destination unreachable or time exceeded, ICMPv6 destination
 * unreachable, packet too big or time exceeded) whatever the grants; a
 * packet from the gateway's own tunnel address (gw may be NULL); else the
 * destination must be the client's tunnel address of its family, the
 * source outside the client tunnel ranges, and the *source* address and
 * *source* port (TCP/UDP) or ICMP admitted by a granted resource, as
 * filter_check admits a packet to that address and port: a proxy IP by its
 * DNS resource's filters only, other addresses by the union of the CIDR
 * grants covering them or, outside its refused ranges, by the Internet
 * resource.  An IPv4 fragment after the first (no ports) passes when the
 * address's grants admit some port of its protocol.  Resources with
 * expires_at <= now are removed first, as in filter_check.  Returns 0
 * (allow) or PKT_E_DENIED.  One lookup, no allocation unless a resource
 * expires at this very call.
 */
int filter_check_inbound(struct filter_client *fc, const struct filter_gateway *gw,
    const struct pkt_info *pi, int64_t now);

/*
 * May a packet read from the TUN with this source go to a client?  0 when
 * the source is in the client tunnel ranges and is not one of the gateway's
 * tunnel addresses (another client's address: hairpin), else 1.
 */
int filter_tun_source_ok(const struct filter_gateway *gw, const struct pkt_addr *src);

/*
 * Which granted resource admits pi, a packet filter_check allowed (for a
 * flow's first packet, not every packet: linear in the resources).  A proxy
 * IP belongs to its DNS resource; otherwise the most specific CIDR resource
 * containing the destination whose own filters allow the packet wins, then
 * the Internet resource (outside its refused ranges), then the most
 * specific CIDR resource containing the destination whatever its filters.
 * Returns 1 and copies the id, or 0 if no resource matches.
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

/*
 * 1 if the Internet resource alone never admits a: IPv4 10/8, 100.64/10,
 * 127/8, 169.254/16, 172.16/12, 192.168/16, 224/4, 240/4; IPv6 ::1,
 * ::ffff:0:0/96, fc00::/7, fe80::/10, ff00::/8.
 */
int filter_is_internet_refused(const struct pkt_addr *a);

#endif
