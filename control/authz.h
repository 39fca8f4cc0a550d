/*
 * authz.h - what the portal has authorized, per client, as control keeps it
 * (docs/protocol/dataplane.md §2): the client's WireGuard peer and ICE
 * credentials, its tunnel addresses and its resources with expiry.  Sans-IO: the caller passes the
 * time; nothing here logs secrets or exits.
 *
 * Where this store differs from the reference on purpose:
 *  - re-granting a resource updates its expiry (the reference kept the old
 *    one, which let a renewed grant expire early);
 *  - a resource_updated that changes the resource type is refused.
 */
#ifndef FZ_AUTHZ_H
#define FZ_AUTHZ_H

#include <stddef.h>
#include <stdint.h>

#include "portal_types.h"

#define AUTHZ_BUCKETS 4096          /* power of two; sized for ~10k clients */
#define AUTHZ_RESOURCES_MAX 1024    /* per client */

enum authz_err {
	AUTHZ_OK = 0,
	AUTHZ_ENOMEM = -1,
	AUTHZ_EFULL = -2,      /* too many resources for one client */
	AUTHZ_ENOENT = -3,     /* unknown client or resource */
	AUTHZ_ETYPE = -4,      /* resource_updated changes the type */
};

struct authz_resource {
	struct portal_msg_resource desc;
	int has_expiry;
	int64_t expires_at;    /* Unix seconds */
};

struct authz_client {
	struct portal_msg_uuid id;
	struct in_addr ipv4;   /* from the first grant (kept afterwards) */
	struct in6_addr ipv6;
	int has_peer;          /* keys and ICE credentials known */
	uint8_t public_key[PORTAL_MSG_KEY_LEN];
	uint8_t preshared_key[PORTAL_MSG_KEY_LEN];   /* secret */
	struct portal_msg_ice_creds remote_ice;       /* password secret */
	int has_local_ice;
	struct portal_msg_ice_creds local_ice;        /* password secret */
	size_t n_res, cap_res;
	struct authz_resource *res;
	struct authz_client *next;   /* hash chain */
};

struct authz {
	struct authz_client *b[AUTHZ_BUCKETS];
	size_t n_clients;
};

void authz_init(struct authz *a);
/* Remove everything, wiping secrets. */
void authz_clear(struct authz *a);

struct authz_client *authz_find(const struct authz *a, const struct portal_msg_uuid *id);

/*
 * Set or replace the client's WireGuard peer and ICE credentials (new flow
 * or legacy connection request), creating the record with the peer's
 * tunnel addresses if needed.  local may be NULL (legacy flow: the gateway
 * picks its own).  Returns AUTHZ_OK or AUTHZ_ENOMEM.
 */
int authz_set_peer(struct authz *a, const struct portal_msg_peer *peer,
    const struct portal_msg_ice_creds *remote, const struct portal_msg_ice_creds *local);

/*
 * Grant a resource (§2.3): the record is created with ipv4/ipv6 if it does
 * not exist (an existing record keeps its addresses); a known resource id
 * gets the new filters and the new expiry.  *added is 1 for a new resource.
 */
int authz_grant(struct authz *a, const struct portal_msg_uuid *client,
    const struct in_addr *ipv4, const struct in6_addr *ipv6,
    const struct portal_msg_resource *res, int has_expiry, int64_t expires_at, int *added);

/* reject_access: remove one resource; the client goes with its last one.
 * Returns AUTHZ_OK, or AUTHZ_ENOENT for unknown ids (ignored by callers). */
int authz_reject(struct authz *a, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, int *client_removed);

/* resource_updated: new filters for every client holding the resource.
 * Returns the number of clients changed, or AUTHZ_ETYPE if any held it
 * with another type (those are left as they were). */
int authz_resource_updated(struct authz *a, const struct portal_msg_resource *res);

/* Callback for each expired or revoked resource (the record may go right after). */
typedef void (*authz_expired_fn)(void *arg, const struct authz_client *c,
    const struct authz_resource *r);
/* Callback for a client record about to be removed for having no resource
 * left (the caller closes its connection with goodbye). */
typedef void (*authz_gone_fn)(void *arg, const struct authz_client *c);

/*
 * The 1 Hz tick: remove every resource with expires_at <= now (fn for
 * each), then every client left without resources (gone for each: expiry,
 * or an init reconciliation that emptied it).  fn and gone may be NULL.
 * Returns the number of resources removed; *next gets the earliest
 * remaining expiry or INT64_MAX.
 */
size_t authz_expire(struct authz *a, int64_t now, authz_expired_fn fn, authz_gone_fn gone,
    void *arg, int64_t *next);

/*
 * Set the expiry of one granted (client, resource) pair; it may shorten or
 * extend it (init.authorizations, access_authorization_expiry_updated).
 * Returns AUTHZ_OK or AUTHZ_ENOENT (unknown pair: ignored by callers).
 */
int authz_set_expiry(struct authz *a, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, int has_expiry, int64_t expires_at);

/*
 * init.authorizations (today's portal): the portal's whole current view.
 * Every resource of every client that is not listed as (client, resource)
 * is removed (revoked called for each before it goes); a client not listed
 * at all loses every resource.  Clients left empty stay until the next
 * authz_expire, which reports them through `gone`.  Listed pairs then take
 * the listed expiry (shorter or longer); pairs we do not hold are ignored.
 * Returns the number of resources removed, or AUTHZ_ENOMEM (nothing
 * changed).
 */
int authz_reconcile(struct authz *a, const struct portal_msg_authorization *list, size_t n,
    authz_expired_fn revoked, void *arg);

/* Remove a client record entirely.  Returns 1 if it existed. */
int authz_remove_client(struct authz *a, const struct portal_msg_uuid *client);

#endif
