/*
 * dnsnat.c - resolve DNS resources' names for clients and hand the
 * translations to the dataplane.
 */
#include "dnsnat.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <json-c/json.h>

#include "control.h"
#include "dnspattern.h"
#include "log.h"
#include "portal_msg.h"

#define P2P_EV_ASSIGNED_IPS 0
#define P2P_EV_DOMAIN_STATUS 1

/* Pending resolutions of one client: the global DNSNAT_PENDING_MAX must not
 * be one client's to fill. */
#define DNSNAT_PENDING_CLIENT_MAX 32

struct dnsnat_req {
	struct ctl *c;
	struct portal_msg_uuid client, resource;
	char name[PORTAL_MSG_DOMAIN_MAX + 1];
	struct portal_msg_ip proxies[IPC_DNS_PROXIES_MAX];
	size_t n_proxies;
	int answer;
	int refresh;                /* re-resolution of a name already set up */
	struct evdns_getaddrinfo_request *dns;
	struct event *timeout;
	struct dnsnat_req *next, *prev;
};

static struct dnsnat_req *pending;
static size_t n_pending;

static void
send_status(struct ctl *c, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, const char *name, int active)
{
	uint8_t buf[sizeof(struct ipc_p2p_control) + IPC_P2P_BODY_MAX];
	struct ipc_p2p_control m;
	struct p2p_conn *conn = p2p_find(&c->p2p, client);
	char rid[PORTAL_MSG_UUID_STRLEN];
	json_object *o;
	const char *txt;
	size_t len;

	if (conn == NULL)
		return; /* the client is gone: no answer (§5.3) */
	portal_msg_uuid_fmt(resource, rid);
	if ((o = json_object_new_object()) == NULL)
		return;
	json_object_object_add(o, "resource", json_object_new_string(rid));
	json_object_object_add(o, "domain", json_object_new_string(name));
	json_object_object_add(o, "status", json_object_new_string(active ? "Active" : "Inactive"));
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = txt != NULL ? strlen(txt) : 0;
	if (len > 0 && len <= IPC_P2P_BODY_MAX) {
		memset(&m, 0, sizeof(m));
		m.event = P2P_EV_DOMAIN_STATUS;
		m.len = (uint16_t)len;
		memcpy(buf, &m, sizeof(m));
		memcpy(buf + sizeof(m), txt, len);
		ctl_ipc_send_peer(c, IPC_C2D_P2P_CONTROL, conn->peer_id, buf, sizeof(m) + len);
	}
	json_object_put(o);
}

static void
req_free(struct dnsnat_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		pending = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	n_pending--;
	if (r->timeout != NULL)
		event_free(r->timeout);
	free(r);
}

static void
to_ipc_ip(struct ipc_ip *d, const struct portal_msg_ip *s)
{
	memset(d, 0, sizeof(*d));
	d->family = s->family == AF_INET ? 4 : 6;
	memcpy(d->addr, s->u.bytes, d->family == 4 ? 4 : 16);
}

static struct p2p_dnsname *
name_find(struct p2p_conn *conn, const struct portal_msg_uuid *resource, const char *name)
{
	size_t i;

	for (i = 0; i < conn->n_names; i++)
		if (memcmp(conn->names[i].resource.b, resource->b, 16) == 0 &&
		    strcmp(conn->names[i].name, name) == 0)
			return &conn->names[i];
	return NULL;
}

/* Names recorded for one resource of a client. */
static size_t
names_of(const struct p2p_conn *conn, const struct portal_msg_uuid *resource)
{
	size_t i, n = 0;

	for (i = 0; i < conn->n_names; i++)
		if (memcmp(conn->names[i].resource.b, resource->b, 16) == 0)
			n++;
	return n;
}

/* May this client's resource get one more name (already known names
 * always may)?  The new name is refused when full, never an old one
 * evicted: a client cannot push out translations it set up earlier. */
static int
name_room(struct p2p_conn *conn, const struct portal_msg_uuid *resource, const char *name)
{
	if (name_find(conn, resource, name) != NULL)
		return 1;
	return conn->n_names < P2P_NAMES_MAX && names_of(conn, resource) < DNSNAT_NAMES_PER_RESOURCE_MAX;
}

static size_t
pending_of(const struct portal_msg_uuid *client)
{
	const struct dnsnat_req *r;
	size_t n = 0;

	for (r = pending; r != NULL; r = r->next)
		if (memcmp(r->client.b, client->b, 16) == 0)
			n++;
	return n;
}

int
dnsnat_proxies_ok(const struct portal_msg_ip *proxies, size_t n, char *why, size_t whylen)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	if (n > DNSNAT_PROXIES_MAX) {
		snprintf(why, whylen, "%zu proxy IPs, at most %d per name", n, DNSNAT_PROXIES_MAX);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!portal_msg_proxy_ip_ok(&proxies[i])) {
			if (inet_ntop(proxies[i].family, proxies[i].u.bytes, a, sizeof(a)) == NULL)
				snprintf(a, sizeof(a), "?");
			snprintf(why, whylen, "proxy IP %s outside %s", a, PORTAL_MSG_PROXY_RANGES);
			return 0;
		}
	return 1;
}

static int
ip_in(const struct ipc_ip *a, const struct ipc_ip *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a->family == set[i].family && memcmp(a->addr, set[i].addr, a->family == 4 ? 4 : 16) == 0)
			return 1;
	return 0;
}

/* Same set of addresses (order and duplicates aside)? */
static int
same_set(const struct ipc_ip *a, size_t na, const struct ipc_ip *b, size_t nb)
{
	size_t i;

	for (i = 0; i < na; i++)
		if (!ip_in(&a[i], b, nb))
			return 0;
	for (i = 0; i < nb; i++)
		if (!ip_in(&b[i], a, na))
			return 0;
	return 1;
}

/* Remember what was set up, for re-resolution. */
static void
name_record(struct p2p_conn *conn, const struct dnsnat_req *r, const struct ipc_c2d_dns_setup *d)
{
	struct p2p_dnsname *e = name_find(conn, &r->resource, r->name);

	if (e == NULL) {
		struct p2p_dnsname *n;
		if (!name_room(conn, &r->resource, r->name) ||
		    (n = realloc(conn->names, (conn->n_names + 1) * sizeof(*n))) == NULL)
			return;
		conn->names = n;
		e = &conn->names[conn->n_names++];
		memset(e, 0, sizeof(*e));
		e->resource = r->resource;
		snprintf(e->name, sizeof(e->name), "%s", r->name);
	}
	e->n_proxies = r->n_proxies;
	memcpy(e->proxies, r->proxies, r->n_proxies * sizeof(r->proxies[0]));
	e->n_resolved = d->n_resolved;
	memcpy(e->resolved, d->resolved, d->n_resolved * sizeof(d->resolved[0]));
	e->refreshing = 0;
}

/* Resolution done (res may be NULL): §4.2 order, then §4.3 in the dataplane. */
static void
finish(struct dnsnat_req *r, struct evutil_addrinfo *res)
{
	static struct ipc_c2d_dns_setup d;
	struct ctl *c = r->c;
	struct p2p_conn *conn = p2p_find(&c->p2p, &r->client);
	struct evutil_addrinfo *ai;
	size_t i;
	int pass;

	memset(&d, 0, sizeof(d));
	memcpy(d.resource_id, r->resource.b, 16);
	snprintf(d.name, sizeof(d.name), "%s", r->name);
	for (i = 0; i < r->n_proxies; i++)
		to_ipc_ip(&d.proxies[d.n_proxies++], &r->proxies[i]);
	/* IPv6 addresses first, then IPv4, each in resolver order. */
	for (pass = 0; pass < 2; pass++)
		for (ai = res; ai != NULL && d.n_resolved < IPC_DNS_RESOLVED_MAX; ai = ai->ai_next) {
			struct ipc_ip *ip = &d.resolved[d.n_resolved];
			if (pass == 0 && ai->ai_family == AF_INET6) {
				ip->family = 6;
				memcpy(ip->addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
				d.n_resolved++;
			} else if (pass == 1 && ai->ai_family == AF_INET) {
				ip->family = 4;
				memcpy(ip->addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
				d.n_resolved++;
			}
		}
	if (conn == NULL) {
		log_debug("dns: %s resolved for a client that is gone", r->name);
	} else if (r->refresh) {
		struct p2p_dnsname *e = name_find(conn, &r->resource, r->name);
		if (e != NULL && d.n_resolved > 0 && !same_set(d.resolved, d.n_resolved, e->resolved,
		    e->n_resolved)) {
			log_info("dns: %s changed addresses; translations set up again", r->name);
			ctl_ipc_send_peer(c, IPC_C2D_DNS_SETUP, conn->peer_id, &d, sizeof(d));
			name_record(conn, r, &d);
		} else if (e != NULL) {
			/* Unchanged (or failed): the mappings stay; the dataplane asks
			 * again while the name stays silent (§4.6). */
			e->refreshing = 0;
		}
	} else if (!name_room(conn, &r->resource, r->name)) {
		/* Other names of the resource filled it while this one resolved. */
		log_warnx("dns: translation of %s refused (more than %d names for the resource)",
		    r->name, DNSNAT_NAMES_PER_RESOURCE_MAX);
		if (r->answer)
			send_status(c, &r->client, &r->resource, r->name, 0);
	} else if (d.n_resolved == 0) {
		/* Today's gateway answers Active with nothing resolved
		 * (upstream #10623): the client stops asking, and its packets to
		 * these proxies, which have no translation, get ICMP unreachable
		 * from the dataplane at once. */
		log_warnx("dns: cannot resolve %s for a client; its proxies answer unreachable", r->name);
		if (r->answer)
			send_status(c, &r->client, &r->resource, r->name, 1);
	} else {
		ctl_ipc_send_peer(c, IPC_C2D_DNS_SETUP, conn->peer_id, &d, sizeof(d));
		name_record(conn, r, &d);
		if (r->answer)
			send_status(c, &r->client, &r->resource, r->name, 1);
	}
	req_free(r);
}

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct dnsnat_req *r = arg;

	r->dns = NULL;
	if (result == EVUTIL_EAI_CANCEL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	finish(r, result == 0 ? res : NULL);
	if (res != NULL)
		evutil_freeaddrinfo(res);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dnsnat_req *r = arg;
	struct evdns_getaddrinfo_request *q = r->dns;

	(void)fd;
	(void)what;
	log_warnx("dns: resolving %s took more than %d s", r->name, DNSNAT_TIMEOUT_S);
	r->dns = NULL;
	if (q != NULL)
		evdns_getaddrinfo_cancel(q);
	finish(r, NULL);
}

static int start(struct ctl *c, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, const char *name, const struct portal_msg_ip *proxies,
    size_t n_proxies, int answer, int refresh);

/* Log a refusal (with the client) and answer an AssignedIps Inactive. */
static int
refuse(struct ctl *c, const struct portal_msg_uuid *client, const struct portal_msg_uuid *resource,
    const char *name, int answer, const char *why)
{
	char cid[PORTAL_MSG_UUID_STRLEN];

	portal_msg_uuid_fmt(client, cid);
	log_warnx("dns: client %s: translation of %.64s refused (%s)", cid, name, why);
	if (answer)
		send_status(c, client, resource, name, 0);
	return -1;
}

int
dnsnat_request(struct ctl *c, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource, const char *name,
    const struct portal_msg_ip *proxies, size_t n_proxies, int answer)
{
	struct authz_client *cl = authz_find(&c->authz, client);
	struct p2p_conn *conn = p2p_find(&c->p2p, client);
	const struct authz_resource *res = NULL;
	char why[128];
	size_t i;

	if (cl != NULL)
		for (i = 0; i < cl->n_res; i++)
			if (memcmp(cl->res[i].desc.id.b, resource->b, 16) == 0)
				res = &cl->res[i];
	if (res == NULL)
		return refuse(c, client, resource, name, answer, "resource not granted");
	if (res->desc.type != PORTAL_MSG_RES_DNS)
		return refuse(c, client, resource, name, answer, "not a DNS resource");
	if (strlen(name) > PORTAL_MSG_DOMAIN_MAX || dnspattern_match(res->desc.address, name) != 1)
		return refuse(c, client, resource, name, answer, "name does not match the resource");
	if (!dnsnat_proxies_ok(proxies, n_proxies, why, sizeof(why)))
		return refuse(c, client, resource, name, answer, why);
	if (conn != NULL && !name_room(conn, resource, name)) {
		snprintf(why, sizeof(why), "more than %d names for the resource",
		    DNSNAT_NAMES_PER_RESOURCE_MAX);
		return refuse(c, client, resource, name, answer, why);
	}
	if (n_pending >= DNSNAT_PENDING_MAX || pending_of(client) >= DNSNAT_PENDING_CLIENT_MAX ||
	    c->dns == NULL)
		return refuse(c, client, resource, name, answer, "too many pending");
	return start(c, client, resource, name, proxies, n_proxies, answer, 0);
}

static int
start(struct ctl *c, const struct portal_msg_uuid *client, const struct portal_msg_uuid *resource,
    const char *name, const struct portal_msg_ip *proxies, size_t n_proxies, int answer, int refresh)
{
	struct evutil_addrinfo hints;
	struct timeval tv = { DNSNAT_TIMEOUT_S, 0 };
	struct evdns_getaddrinfo_request *q;
	struct dnsnat_req *r;

	if (n_pending >= DNSNAT_PENDING_MAX || (r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->c = c;
	r->client = *client;
	r->resource = *resource;
	snprintf(r->name, sizeof(r->name), "%s", name);
	memcpy(r->proxies, proxies, n_proxies * sizeof(*proxies));
	r->n_proxies = n_proxies;
	r->answer = answer;
	r->refresh = refresh;
	r->next = pending;
	if (pending != NULL)
		pending->prev = r;
	pending = r;
	n_pending++;
	if ((r->timeout = evtimer_new(c->base, timeout_cb, r)) == NULL || evtimer_add(r->timeout, &tv) < 0) {
		req_free(r);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* The callback may run (and free r) before this returns. */
	q = evdns_getaddrinfo(c->dns, name, NULL, &hints, dns_cb, r);
	if (q != NULL)
		r->dns = q;
	return 0;
}

void
dnsnat_p2p_control(struct ctl *c, uint32_t peer_id, const struct ipc_p2p_control *m,
    const uint8_t *body)
{
	struct portal_msg_ip proxies[DNSNAT_PROXIES_MAX];
	struct portal_msg_uuid resource;
	char why[64];
	struct json_tokener *tok;
	struct p2p_conn *conn = p2p_by_peer(&c->p2p, peer_id);
	json_object *o = NULL, *v, *ips;
	const char *domain;
	size_t n = 0, i;

	if (conn == NULL || m->event != P2P_EV_ASSIGNED_IPS)
		return; /* unknown events are ignored (§5.3) */
	if ((tok = json_tokener_new()) == NULL)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)body, (int)m->len);
	if (o == NULL || json_tokener_get_parse_end(tok) != m->len ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "resource", &v) || !json_object_is_type(v, json_type_string) ||
	    portal_msg_parse_uuid(json_object_get_string(v), (size_t)json_object_get_string_len(v),
	    &resource) != 0 ||
	    !json_object_object_get_ex(o, "domain", &v) || !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(o, "proxy_ips", &ips) || !json_object_is_type(ips, json_type_array))
		goto out; /* undecodable: ignored silently (§5.3) */
	domain = json_object_get_string(v);
	if (json_object_array_length(ips) > DNSNAT_PROXIES_MAX) {
		snprintf(why, sizeof(why), "%zu proxy IPs, at most %d per name",
		    json_object_array_length(ips), DNSNAT_PROXIES_MAX);
		(void)refuse(c, &conn->client_id, &resource, domain, 1, why);
		goto out;
	}
	for (i = 0; i < json_object_array_length(ips); i++) {
		json_object *e = json_object_array_get_idx(ips, i);
		if (!json_object_is_type(e, json_type_string) ||
		    portal_msg_parse_ip(json_object_get_string(e), (size_t)json_object_get_string_len(e),
		    &proxies[n]) != 0)
			goto out;
		n++;
	}
	(void)dnsnat_request(c, &conn->client_id, &resource, domain, proxies, n, 1);
out:
	if (o != NULL)
		json_object_put(o);
	json_tokener_free(tok);
}

void
dnsnat_refresh(struct ctl *c, uint32_t peer_id, const struct ipc_ip *proxy)
{
	struct p2p_conn *conn = p2p_by_peer(&c->p2p, peer_id);
	struct ipc_ip p;
	size_t i, k;

	if (conn == NULL)
		return;
	for (i = 0; i < conn->n_names; i++) {
		struct p2p_dnsname *e = &conn->names[i];
		for (k = 0; k < e->n_proxies; k++) {
			to_ipc_ip(&p, &e->proxies[k]);
			if (p.family != proxy->family ||
			    memcmp(p.addr, proxy->addr, p.family == 4 ? 4 : 16) != 0)
				continue;
			if (e->refreshing)
				return;
			/* Still granted?  A revoked resource is not resolved again. */
			if (authz_find(&c->authz, &conn->client_id) == NULL)
				return;
			log_debug("dns: %s went silent; resolving it again", e->name);
			/* Set first: the answer may come before start() returns. */
			e->refreshing = 1;
			if (start(c, &conn->client_id, &e->resource, e->name, e->proxies, e->n_proxies,
			    0, 1) < 0)
				e->refreshing = 0;
			return;
		}
	}
}

/* Is resource granted to the client as a DNS resource? */
static int
dns_granted(struct ctl *c, const struct portal_msg_uuid *client, const struct portal_msg_uuid *resource)
{
	const struct authz_client *cl = authz_find(&c->authz, client);
	size_t i;

	if (cl != NULL)
		for (i = 0; i < cl->n_res; i++)
			if (memcmp(cl->res[i].desc.id.b, resource->b, 16) == 0)
				return cl->res[i].desc.type == PORTAL_MSG_RES_DNS;
	return 0;
}

void
dnsnat_replay(struct ctl *c, struct p2p_conn *conn)
{
	static struct ipc_c2d_dns_setup d;
	size_t i = 0, k;

	while (i < conn->n_names) {
		struct p2p_dnsname *e = &conn->names[i];
		if (!dns_granted(c, &conn->client_id, &e->resource)) {
			conn->names[i] = conn->names[--conn->n_names];
			continue;
		}
		memset(&d, 0, sizeof(d));
		memcpy(d.resource_id, e->resource.b, 16);
		snprintf(d.name, sizeof(d.name), "%s", e->name);
		for (k = 0; k < e->n_proxies && k < IPC_DNS_PROXIES_MAX; k++)
			to_ipc_ip(&d.proxies[d.n_proxies++], &e->proxies[k]);
		d.n_resolved = e->n_resolved;
		memcpy(d.resolved, e->resolved, e->n_resolved * sizeof(e->resolved[0]));
		e->refreshing = 0;
		ctl_ipc_send_peer(c, IPC_C2D_DNS_SETUP, conn->peer_id, &d, sizeof(d));
		i++;
	}
	if (conn->n_names > 0)
		log_debug("dns: %zu translation(s) set up again for the new peer", conn->n_names);
}

void
dnsnat_stop(struct ctl *c)
{
	(void)c;
	while (pending != NULL) {
		struct evdns_getaddrinfo_request *q = pending->dns;
		pending->dns = NULL;
		if (q != NULL)
			evdns_getaddrinfo_cancel(q);
		req_free(pending);
	}
}
