/*
 * dnsnat.h - DNS resources (docs/protocol/dataplane.md §4 and §5): a client
 * tells the gateway which proxy IPs it gave a name (the legacy portal
 * payloads, or the p2p control event AssignedIps inside its tunnel); the
 * gateway checks the grant and the name against the resource's pattern,
 * resolves the name with evdns (10 s at most) and hands the translation to
 * the dataplane.  AssignedIps is answered with DomainStatus.
 */
#ifndef FZ_DNSNAT_H
#define FZ_DNSNAT_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"
#include "portal_types.h"

struct ctl;
struct p2p_conn;

#define DNSNAT_TIMEOUT_S 10
#define DNSNAT_PENDING_MAX 1000   /* resolutions at once (§4.2) */
/* Proxy IPs per name in one request (AssignedIps or the legacy payload):
 * clients assign 8; more is refused. */
#define DNSNAT_PROXIES_MAX PORTAL_MSG_PROXY_IPS_MAX
/* Names one client may have set up per DNS resource.  Each name costs the
 * dataplane translations and filter entries; a wildcard resource would
 * otherwise let one client grow them without bound.  A new name beyond it
 * is refused (Inactive); names already set up are never evicted. */
#define DNSNAT_NAMES_PER_RESOURCE_MAX 64

/*
 * Set up the translation of `name` for (client, resource) with the given
 * proxy IPs.  answer: also send DomainStatus to the client when done.
 * Returns 0 when queued, -1 when refused at once (not granted, not a DNS
 * resource, name does not match, a proxy IP out of range or too many of
 * them, too many names for the resource, too many pending), with a log
 * line; an AssignedIps gets its Inactive answer in that case too.
 */
int dnsnat_request(struct ctl *c, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, const char *name,
    const struct portal_msg_ip *proxies, size_t n_proxies, int answer);

/*
 * Are these proxy IPs acceptable for one name: at most DNSNAT_PROXIES_MAX,
 * each inside 100.96.0.0/11 or fd00:2021:1111:8000::/107
 * (portal_msg_proxy_ip_ok)?  1 if so; 0 with the reason in why otherwise.
 * Any bad one refuses the whole request.
 */
int dnsnat_proxies_ok(const struct portal_msg_ip *proxies, size_t n, char *why, size_t whylen);

/* A p2p control event from a client's tunnel (IPC_D2C_P2P_CONTROL). */
void dnsnat_p2p_control(struct ctl *c, uint32_t peer_id, const struct ipc_p2p_control *m,
    const uint8_t *body);

/* A translation of this client went silent (IPC_D2C_DNS_REFRESH): resolve
 * its name again and, if the addresses changed, set it up anew. */
void dnsnat_refresh(struct ctl *c, uint32_t peer_id, const struct ipc_ip *proxy);

/* The client's connection was replaced (new WireGuard peer, grants sent
 * again): set up the translations recorded for it again, dropping those of
 * resources it no longer holds as DNS resources. */
void dnsnat_replay(struct ctl *c, struct p2p_conn *conn);

/* Cancel every pending resolution (shutdown). */
void dnsnat_stop(struct ctl *c);

#endif
