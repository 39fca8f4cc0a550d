/*
 * authz.c - per-client authorization records in a chained hash table.
 */
#include "authz.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util.h"

static size_t
bucket(const struct portal_msg_uuid *id)
{
	/* UUIDs from the portal are random anyway. */
	return util_fnv1a(UTIL_FNV_INIT, id->b, sizeof(id->b)) & (AUTHZ_BUCKETS - 1);
}

static int
uuid_eq(const struct portal_msg_uuid *a, const struct portal_msg_uuid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

void
authz_init(struct authz *a)
{
	memset(a, 0, sizeof(*a));
}

static void
client_free(struct authz_client *c)
{
	free(c->res);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

void
authz_clear(struct authz *a)
{
	struct authz_client *c, *n;
	size_t i;

	for (i = 0; i < AUTHZ_BUCKETS; i++)
		for (c = a->b[i]; c != NULL; c = n) {
			n = c->next;
			client_free(c);
		}
	memset(a, 0, sizeof(*a));
}

struct authz_client *
authz_find(const struct authz *a, const struct portal_msg_uuid *id)
{
	struct authz_client *c;

	for (c = a->b[bucket(id)]; c != NULL; c = c->next)
		if (uuid_eq(&c->id, id))
			return c;
	return NULL;
}

static struct authz_client *
get_or_create(struct authz *a, const struct portal_msg_uuid *id, const struct in_addr *v4,
    const struct in6_addr *v6)
{
	struct authz_client *c = authz_find(a, id);
	size_t b;

	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->id = *id;
	if (v4 != NULL)
		c->ipv4 = *v4;
	if (v6 != NULL)
		c->ipv6 = *v6;
	b = bucket(id);
	c->next = a->b[b];
	a->b[b] = c;
	a->n_clients++;
	return c;
}

int
authz_remove_client(struct authz *a, const struct portal_msg_uuid *id)
{
	struct authz_client **pp, *c;

	for (pp = &a->b[bucket(id)]; (c = *pp) != NULL; pp = &c->next) {
		if (uuid_eq(&c->id, id)) {
			*pp = c->next;
			client_free(c);
			a->n_clients--;
			return 1;
		}
	}
	return 0;
}

int
authz_set_peer(struct authz *a, const struct portal_msg_peer *peer,
    const struct portal_msg_ice_creds *remote, const struct portal_msg_ice_creds *local)
{
	struct authz_client *c = get_or_create(a, &peer->id, &peer->ipv4, &peer->ipv6);

	if (c == NULL)
		return AUTHZ_ENOMEM;
	c->has_peer = 1;
	memcpy(c->public_key, peer->public_key, sizeof(c->public_key));
	memcpy(c->preshared_key, peer->preshared_key, sizeof(c->preshared_key));
	OPENSSL_cleanse(&c->remote_ice, sizeof(c->remote_ice));
	if (remote != NULL)
		c->remote_ice = *remote;
	OPENSSL_cleanse(&c->local_ice, sizeof(c->local_ice));
	c->has_local_ice = local != NULL;
	if (local != NULL)
		c->local_ice = *local;
	return AUTHZ_OK;
}

static struct authz_resource *
find_res(struct authz_client *c, const struct portal_msg_uuid *id)
{
	size_t i;

	for (i = 0; i < c->n_res; i++)
		if (uuid_eq(&c->res[i].desc.id, id))
			return &c->res[i];
	return NULL;
}

int
authz_grant(struct authz *a, const struct portal_msg_uuid *client,
    const struct in_addr *ipv4, const struct in6_addr *ipv6,
    const struct portal_msg_resource *res, int has_expiry, int64_t expires_at, int *added)
{
	struct authz_client *c = get_or_create(a, client, ipv4, ipv6);
	struct authz_resource *r;

	*added = 0;
	if (c == NULL)
		return AUTHZ_ENOMEM;
	if ((r = find_res(c, &res->id)) != NULL) {
		/* Same id: new filters; a renewed grant renews the expiry. */
		r->desc.n_filters = res->n_filters;
		memcpy(r->desc.filters, res->filters, sizeof(res->filters));
		r->has_expiry = has_expiry;
		r->expires_at = expires_at;
		return AUTHZ_OK;
	}
	if (c->n_res >= AUTHZ_RESOURCES_MAX)
		return AUTHZ_EFULL;
	if (c->n_res == c->cap_res) {
		size_t cap = c->cap_res ? c->cap_res * 2 : 2;
		struct authz_resource *n = realloc(c->res, cap * sizeof(*n));
		if (n == NULL)
			return AUTHZ_ENOMEM;
		c->res = n;
		c->cap_res = cap;
	}
	r = &c->res[c->n_res++];
	r->desc = *res;
	r->has_expiry = has_expiry;
	r->expires_at = expires_at;
	*added = 1;
	return AUTHZ_OK;
}

static void
res_remove_at(struct authz_client *c, size_t i)
{
	if (i != c->n_res - 1)
		c->res[i] = c->res[c->n_res - 1];
	c->n_res--;
}

int
authz_reject(struct authz *a, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, int *client_removed)
{
	struct authz_client *c = authz_find(a, client);
	size_t i;

	*client_removed = 0;
	if (c == NULL)
		return AUTHZ_ENOENT;
	for (i = 0; i < c->n_res; i++) {
		if (uuid_eq(&c->res[i].desc.id, resource)) {
			res_remove_at(c, i);
			if (c->n_res == 0) {
				authz_remove_client(a, client);
				*client_removed = 1;
			}
			return AUTHZ_OK;
		}
	}
	return AUTHZ_ENOENT;
}

int
authz_resource_updated(struct authz *a, const struct portal_msg_resource *res)
{
	struct authz_client *c;
	struct authz_resource *r;
	int changed = 0, type_mismatch = 0;
	size_t i;

	for (i = 0; i < AUTHZ_BUCKETS; i++) {
		for (c = a->b[i]; c != NULL; c = c->next) {
			if ((r = find_res(c, &res->id)) == NULL)
				continue;
			if (r->desc.type != res->type) {
				type_mismatch = 1;
				continue;
			}
			/* Only the filters change; the address stays (§2.2). */
			r->desc.n_filters = res->n_filters;
			memcpy(r->desc.filters, res->filters, sizeof(res->filters));
			changed++;
		}
	}
	return type_mismatch ? AUTHZ_ETYPE : changed;
}

size_t
authz_expire(struct authz *a, int64_t now, authz_expired_fn fn, authz_gone_fn gone, void *arg,
    int64_t *next)
{
	struct authz_client *c, *n;
	size_t i, k, removed = 0;
	int64_t nx = INT64_MAX;

	for (i = 0; i < AUTHZ_BUCKETS; i++) {
		for (c = a->b[i]; c != NULL; c = n) {
			n = c->next;
			for (k = 0; k < c->n_res;) {
				struct authz_resource *r = &c->res[k];
				if (r->has_expiry && r->expires_at <= now) {
					if (fn != NULL)
						fn(arg, c, r);
					res_remove_at(c, k);
					removed++;
					continue;
				}
				if (r->has_expiry && r->expires_at < nx)
					nx = r->expires_at;
				k++;
			}
			if (c->n_res == 0) {
				struct portal_msg_uuid id = c->id;
				if (gone != NULL)
					gone(arg, c);
				authz_remove_client(a, &id);
			}
		}
	}
	if (next != NULL)
		*next = nx;
	return removed;
}

int
authz_set_expiry(struct authz *a, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, int has_expiry, int64_t expires_at)
{
	struct authz_client *c = authz_find(a, client);
	struct authz_resource *r;

	if (c == NULL || (r = find_res(c, resource)) == NULL)
		return AUTHZ_ENOENT;
	r->has_expiry = has_expiry;
	r->expires_at = expires_at;
	return AUTHZ_OK;
}

/* Order of (client, resource) pairs, for the sorted copy of the list. */
static int
pair_cmp(const void *x, const void *y)
{
	const struct portal_msg_authorization *a = x, *b = y;
	int d = memcmp(a->client_id.b, b->client_id.b, sizeof(a->client_id.b));

	return d != 0 ? d : memcmp(a->resource_id.b, b->resource_id.b, sizeof(a->resource_id.b));
}

static int
listed(const struct portal_msg_authorization *sorted, size_t n, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource)
{
	struct portal_msg_authorization key;

	memset(&key, 0, sizeof(key));
	key.client_id = *client;
	key.resource_id = *resource;
	return n > 0 && bsearch(&key, sorted, n, sizeof(*sorted), pair_cmp) != NULL;
}

int
authz_reconcile(struct authz *a, const struct portal_msg_authorization *list, size_t n,
    authz_expired_fn revoked, void *arg)
{
	struct portal_msg_authorization *sorted = NULL;
	struct authz_client *c;
	size_t i, k;
	int removed = 0;

	if (n > 0) {
		if ((sorted = calloc(n, sizeof(*sorted))) == NULL)
			return AUTHZ_ENOMEM;
		memcpy(sorted, list, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), pair_cmp);
	}
	for (i = 0; i < AUTHZ_BUCKETS; i++)
		for (c = a->b[i]; c != NULL; c = c->next)
			for (k = 0; k < c->n_res;) {
				if (listed(sorted, n, &c->id, &c->res[k].desc.id)) {
					k++;
					continue;
				}
				if (revoked != NULL)
					revoked(arg, c, &c->res[k]);
				res_remove_at(c, k);
				removed++;
			}
	for (i = 0; i < n; i++)
		(void)authz_set_expiry(a, &list[i].client_id, &list[i].resource_id,
		    list[i].has_expires_at, list[i].expires_at);
	free(sorted);
	return removed;
}
