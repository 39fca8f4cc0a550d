/*
 * session.c - what control does with the portal: start the connection once
 * the dataplane has handed over its configuration, decode every event with
 * portal_msg, and keep the state the events describe (interface addresses
 * go to the dataplane at once; relays and authorizations are kept here for
 * the TURN, ICE and policy work that consumes them).
 *
 * A flow is answered (flow_authorized / connection_ready) once its ICE
 * agent and WireGuard peer exist; the path follows when ICE nominates one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "addr.h"
#include "control.h"
#include "gateway_id.h"
#include "dnsnat.h"
#include "dnsserver.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "portal_msg.h"
#include "sandbox.h"


/* One decoded message at a time; large (tens of KiB), so not on the stack. */
static struct portal_msg msg;

static void
fmt_uuid(const struct portal_msg_uuid *u, char out[PORTAL_MSG_UUID_STRLEN])
{
	portal_msg_uuid_fmt(u, out);
}

static const char *
expiry_text(int has, int64_t at, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)at;

	if (!has)
		return "never";
	if (gmtime_r(&t, &tm) == NULL)
		return "?";
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void
on_init(struct ctl *c, const struct portal_msg_init *in)
{
	struct ipc_c2d_iface_config ic;
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	uint32_t i;
	int added = 0;

	memset(&ic, 0, sizeof(ic));
	memcpy(ic.v4, &in->ipv4, 4);
	memcpy(ic.v6, &in->ipv6, 16);
	/* The dataplane takes only host addresses of the tunnel ranges (and
	 * stops on anything else): a portal that sends others gets a clear
	 * error, and that family stays unconfigured. */
	ic.has_v4 = addr_is_tunnel_host(4, ic.v4) != 0;
	ic.has_v6 = addr_is_tunnel_host(6, ic.v6) != 0;
	if (!ic.has_v4)
		log_errorx("portal: init: tunnel address %s is not a host of 100.64.0.0/11; "
		    "IPv4 is not configured", inet_ntop(AF_INET, &in->ipv4, v4, sizeof(v4)));
	if (!ic.has_v6)
		log_errorx("portal: init: tunnel address %s is not a host of fd00:2021:1111::/107; "
		    "IPv6 is not configured", inet_ntop(AF_INET6, &in->ipv6, v6, sizeof(v6)));
	if (ic.has_v4 || ic.has_v6)
		ctl_ipc_send_reliable(c, IPC_C2D_IFACE_CONFIG, &ic, sizeof(ic), -1);
	(void)dnsserver_listen(c->dnsserver, ic.has_v4 ? &in->ipv4 : NULL, ic.has_v6 ? &in->ipv6 : NULL);
	/* init adds relays; nothing is removed here (docs/protocol/dataplane.md §1.4). */
	for (i = 0; i < in->relays.n; i++)
		if (relays_upsert(&c->relays, &in->relays.relays[i]) == 1)
			added++;
	log_info("portal: init: tunnel addresses %s and %s, %u relay(s) offered (%d new, %zu known)",
	    inet_ntop(AF_INET, &in->ipv4, v4, sizeof(v4)), inet_ntop(AF_INET6, &in->ipv6, v6, sizeof(v6)),
	    (unsigned)in->relays.n, added, relays_count(&c->relays));
}

static void
on_relays_presence(struct ctl *c, const struct portal_msg_relays_presence *rp)
{
	uint32_t i;
	int gone = 0, added = 0;

	for (i = 0; i < rp->n_disconnected; i++)
		gone += relays_remove(&c->relays, &rp->disconnected_ids[i]);
	for (i = 0; i < rp->connected.n; i++)
		if (relays_upsert(&c->relays, &rp->connected.relays[i]) == 1)
			added++;
	log_info("portal: relays_presence: %d relay(s) gone, %d new; %zu known",
	    gone, added, relays_count(&c->relays));
}

void
ctl_session_set_protocol(struct ctl *c, int version)
{
	c->portal_proto = version == 2 ? 2 : 1;
}

/*
 * A new connection needs a relay.  With none known, today's gateway tells
 * the portal (no_relays, payload {}), grants nothing and does not answer
 * the authorization; the portal sends a fresh relays_presence and the
 * client retries (upstream #12503); reconnecting instead may meet 409
 * while the portal still holds our socket.  The 2024 portal (v1) knows no
 * no_relays: there we reconnect for a fresh init, as the gateway of 2024
 * did (docs/protocol/portal.md §4.5).
 */
static int
need_relay(struct ctl *c, const char *what)
{
	if (relays_count(&c->relays) > 0)
		return 0;
	if (c->portal_proto == 2) {
		log_info("portal: %s needs a TURN relay and none is known: no_relays sent, no answer",
		    what);
		ctl_session_no_relays(c);
		return 1;
	}
	log_debug("portal: %s needs a relay and none is known: reconnecting", what);
	log_info("portal: no TURN relay is left; reconnecting to the portal for a fresh init");
	portal_reconnect(&c->portal);
	return 1;
}

void
ctl_session_no_relays(struct ctl *c)
{
	json_object *o = NULL;

	if (!c->portal_live || c->portal_proto != 2 || portal_msg_build_no_relays(&o) != 0)
		return;
	if (portal_push(&c->portal, "no_relays", o) < 0)
		log_warnx("portal: cannot queue no_relays");
	json_object_put(o);
}

static void
grant(struct ctl *c, const struct portal_msg_uuid *client, const struct in_addr *v4,
    const struct in6_addr *v6, const struct portal_msg_resource *res, int has_exp, int64_t exp,
    const char *via)
{
	char cid[PORTAL_MSG_UUID_STRLEN], rid[PORTAL_MSG_UUID_STRLEN], eb[32];
	int added = 0, rc;

	fmt_uuid(client, cid);
	fmt_uuid(&res->id, rid);
	rc = authz_grant(&c->authz, client, v4, v6, res, has_exp, exp, &added);
	if (rc != AUTHZ_OK) {
		log_warnx("portal: %s: cannot record the grant of resource %s to client %s (%s)", via,
		    rid, cid, rc == AUTHZ_EFULL ? "too many resources" : "out of memory");
		return;
	}
	p2p_grant(&c->p2p, client, res, has_exp, exp);
	log_info("client %s authorized for resource %s (%s, expires %s) via %s; %u filter(s)", cid, rid,
	    res->type == PORTAL_MSG_RES_DNS ? res->address :
	    res->type == PORTAL_MSG_RES_CIDR ? res->address : "internet",
	    expiry_text(has_exp, exp, eb, sizeof(eb)), via, (unsigned)res->n_filters);
}

static void
reply(struct ctl *c, const char *event, json_object *payload)
{
	if (payload == NULL || portal_push(&c->portal, event, payload) < 0)
		log_warnx("portal: cannot queue %s", event);
	if (payload != NULL) {
		/* connection_ready carries our ICE password: wipe the strings
		 * json-c holds before it frees them. */
		portal_msg_json_wipe(payload);
		json_object_put(payload);
	}
}

/* A connection replaced another one of the same client: its new WireGuard
 * peer gets every resource the client still holds, then the DNS
 * translations set up before. */
static void
restore_peer(struct ctl *c, struct p2p_conn *conn)
{
	const struct authz_client *cl = authz_find(&c->authz, &conn->client_id);
	size_t k;

	if (cl != NULL)
		for (k = 0; k < cl->n_res; k++)
			p2p_grant(&c->p2p, &cl->id, &cl->res[k].desc, cl->res[k].has_expiry,
			    cl->res[k].expires_at);
	dnsnat_replay(c, conn);
}

/*
 * create_authorization (today's v2 path) or authorize_flow (v1, and the
 * 2024 portal): the same payload, answered in the name that matches the
 * request (authorization_created / flow_authorized), since each portal
 * path refuses the other name.
 */
static void
on_authorize_flow(struct ctl *c, const struct portal_msg_authorize_flow *f, int v2)
{
	const char *req = v2 ? "create_authorization" : "authorize_flow";
	const char *ans = v2 ? "authorization_created" : "flow_authorized";
	struct p2p_conn *conn = p2p_find(&c->p2p, &f->client.id);
	char cid[PORTAL_MSG_UUID_STRLEN];
	json_object *o = NULL;
	int created = 0, replaced = 0;

	fmt_uuid(&f->client.id, cid);
	/* Only a connection made with the same credentials, key and PSK is
	 * kept (upstream #9999); anything else is new and needs a relay. */
	if (!p2p_peer_addresses_ok(&f->client)) {
		log_warnx("client %s: refused; no %s", cid, ans);
		return;
	}
	if (!p2p_reusable(conn, &f->client, &f->client_ice, &f->gateway_ice) &&
	    need_relay(c, req))
		return;
	if (authz_set_peer(&c->authz, &f->client, &f->client_ice, &f->gateway_ice) != AUTHZ_OK ||
	    (conn = p2p_connect(&c->p2p, &f->client, &f->client_ice, &f->gateway_ice, &created,
	    &replaced)) == NULL) {
		log_warnx("client %s: cannot set up the connection; no %s", cid, ans);
		return;
	}
	if (replaced)
		restore_peer(c, conn);
	grant(c, &f->client.id, &f->client.ipv4, &f->client.ipv6, &f->resource, f->has_expires_at,
	    f->expires_at, req);
	if (portal_msg_build_flow_authorized(f->ref, &o) == 0)
		reply(c, ans, o);
	/* A kept connection announces all its candidates again (upstream's
	 * upsert_connection): the client may have started over. */
	if (!created)
		p2p_reannounce(&c->p2p, conn);
	log_info("client %s: flow authorized (%s connection)", cid, created ? "new" : "existing");
}

static void
on_request_connection(struct ctl *c, const struct portal_msg_request_connection *r)
{
	struct p2p_conn *conn;
	char cid[PORTAL_MSG_UUID_STRLEN];
	json_object *o = NULL;
	int created = 0, replaced = 0;

	fmt_uuid(&r->client.id, cid);
	if (!p2p_peer_addresses_ok(&r->client)) {
		log_warnx("client %s: refused; no connection_ready", cid);
		return;
	}
	if (need_relay(c, "request_connection"))
		return;
	if (authz_set_peer(&c->authz, &r->client, &r->client_ice, NULL) != AUTHZ_OK ||
	    (conn = p2p_connect(&c->p2p, &r->client, &r->client_ice, NULL, &created,
	    &replaced)) == NULL) {
		log_warnx("client %s: cannot set up the connection; no connection_ready", cid);
		return;
	}
	if (replaced)
		restore_peer(c, conn);
	grant(c, &r->client.id, &r->client.ipv4, &r->client.ipv6, &r->resource, r->has_expires_at,
	    r->expires_at, "request_connection");
	/* The legacy offer may carry a DNS name and its proxy IPs: the
	 * translation follows once the name is resolved (the reference resolved
	 * first and answered after; the answer does not depend on it here). */
	if (r->has_domain)
		(void)dnsnat_request(c, &r->client.id, &r->resource.id, r->domain.name,
		    r->domain.proxy_ips, r->domain.n_proxy_ips, 0);
	if (portal_msg_build_connection_ready(r->ref, &conn->local, &o) == 0)
		reply(c, "connection_ready", o);
	log_info("client %s: connection accepted (legacy flow)", cid);
}

static void
on_reject_access(struct ctl *c, const struct portal_msg_reject_access *r)
{
	char cid[PORTAL_MSG_UUID_STRLEN], rid[PORTAL_MSG_UUID_STRLEN];
	int gone = 0;

	fmt_uuid(&r->client_id, cid);
	fmt_uuid(&r->resource_id, rid);
	p2p_revoke(&c->p2p, &r->client_id, &r->resource_id);
	if (authz_reject(&c->authz, &r->client_id, &r->resource_id, &gone) != AUTHZ_OK) {
		log_debug("portal: reject_access for unknown client %s / resource %s ignored", cid, rid);
		return;
	}
	log_info("client %s: access to resource %s revoked%s", cid, rid,
	    gone ? "; no resource left, client removed" : "");
	if (gone)
		p2p_goodbye(&c->p2p, &r->client_id, "no resource left after reject_access; goodbye sent");
}

/* init.authorizations: a pair the portal no longer lists is revoked. */
static void
on_reconcile_revoked(void *arg, const struct authz_client *cl, const struct authz_resource *r)
{
	struct ctl *c = arg;
	char cid[PORTAL_MSG_UUID_STRLEN], rid[PORTAL_MSG_UUID_STRLEN];

	fmt_uuid(&cl->id, cid);
	fmt_uuid(&r->desc.id, rid);
	p2p_revoke(&c->p2p, &cl->id, &r->desc.id);
	log_info("client %s: access to resource %s revoked: not in init.authorizations", cid, rid);
}

/* A changed expiry reaches the dataplane with the grant sent again. */
static void
regrant(struct ctl *c, const struct portal_msg_uuid *client, const struct portal_msg_uuid *resource)
{
	const struct authz_client *cl = authz_find(&c->authz, client);
	size_t k;

	if (cl == NULL)
		return;
	for (k = 0; k < cl->n_res; k++)
		if (memcmp(cl->res[k].desc.id.b, resource->b, 16) == 0)
			p2p_grant(&c->p2p, client, &cl->res[k].desc, cl->res[k].has_expiry,
			    cl->res[k].expires_at);
}

/*
 * Today's init lists every authorization the portal still holds for us:
 * what it does not list was revoked while we were away; listed expiries
 * replace ours (shorter or longer).  Clients left without a resource get
 * goodbye at the next tick.  Without the field (an older portal) nothing
 * is reconciled: absent is not empty.
 */
static void
reconcile(struct ctl *c, const struct portal_msg_init *in)
{
	uint32_t i;
	int n;

	if (!in->has_authorizations) {
		log_debug("portal: init without authorizations: grants kept as they are");
		return;
	}
	n = authz_reconcile(&c->authz, in->authorizations, in->n_authorizations,
	    on_reconcile_revoked, c);
	if (n < 0) {
		log_warnx("portal: init: out of memory; authorizations not reconciled");
		return;
	}
	for (i = 0; i < in->n_authorizations; i++)
		regrant(c, &in->authorizations[i].client_id, &in->authorizations[i].resource_id);
	log_info("portal: init: %u authorization(s) listed, %d grant(s) revoked",
	    (unsigned)in->n_authorizations, n);
}

/* access_authorization_expiry_updated (portals of 2025-07 to 2026-06). */
static void
on_expiry_updated(struct ctl *c, const struct portal_msg_authorization *a)
{
	char cid[PORTAL_MSG_UUID_STRLEN], rid[PORTAL_MSG_UUID_STRLEN], eb[32];

	fmt_uuid(&a->client_id, cid);
	fmt_uuid(&a->resource_id, rid);
	if (authz_set_expiry(&c->authz, &a->client_id, &a->resource_id, a->has_expires_at,
	    a->expires_at) != AUTHZ_OK) {
		log_debug("portal: expiry update for unknown client %s / resource %s ignored", cid, rid);
		return;
	}
	regrant(c, &a->client_id, &a->resource_id);
	log_info("client %s: authorization for resource %s now expires %s", cid, rid,
	    expiry_text(a->has_expires_at, a->expires_at, eb, sizeof(eb)));
}

static void
on_resource_updated(struct ctl *c, const struct portal_msg_resource *r)
{
	char rid[PORTAL_MSG_UUID_STRLEN];
	int n = authz_resource_updated(&c->authz, r);

	fmt_uuid(&r->id, rid);
	if (n > 0) {
		struct authz_client *cl;
		size_t b, k;
		for (b = 0; b < AUTHZ_BUCKETS; b++)
			for (cl = c->authz.b[b]; cl != NULL; cl = cl->next)
				for (k = 0; k < cl->n_res; k++)
					if (memcmp(cl->res[k].desc.id.b, r->id.b, 16) == 0)
						p2p_grant(&c->p2p, &cl->id, &cl->res[k].desc,
						    cl->res[k].has_expiry, cl->res[k].expires_at);
	}
	if (n == AUTHZ_ETYPE)
		log_errorx("portal: resource_updated changes the type of resource %s; refused", rid);
	else
		log_info("resource %s updated for %d client(s); %u filter(s)", rid, n, (unsigned)r->n_filters);
}

static void
on_candidates(struct ctl *c, const struct portal_msg_ice_candidates *ic, int add)
{
	p2p_remote_candidates(&c->p2p, &ic->client_id, ic->candidates, ic->n_candidates, add);
}

/*
 * Done with an event: wipe the decoded copy (PSK, TURN and ICE passwords)
 * and the string values of the json-c payload they were copied from, which
 * the Phoenix layer frees right after (json-c frees without wiping).  What
 * json-c's tokener and allocator kept on the way (its parse buffer, freed
 * blocks) cannot be reached from here; the frame text itself is wiped by
 * the portal connection.
 */
static void
wipe_event(const struct phoenix_msg *m)
{
	portal_msg_clear(&msg);
	portal_msg_json_wipe(m->payload);
}

static void
on_event(void *arg, const struct phoenix_msg *m)
{
	struct ctl *c = arg;
	char why[PORTAL_MSG_WHY_MAX];
	int rc;

	if (m->topic == NULL || strcmp(m->topic, PHOENIX_TOPIC) != 0) {
		log_warnx("portal: ignoring event \"%.40s\" on topic \"%.40s\"", m->event, m->topic);
		c->msgs_ignored++;
		return;
	}
	rc = portal_msg_parse(m->event, m->payload, &msg, why, sizeof(why));
	if (rc != PORTAL_MSG_OK) {
		/* One line, and nothing else changes. */
		log_warnx("portal: ignoring %s event: %s", rc == PORTAL_MSG_E_UNKNOWN_EVENT ? "an unknown" :
		    "a malformed", why);
		c->msgs_ignored++;
		wipe_event(m);
		return;
	}
	switch (msg.type) {
	case PORTAL_MSG_INIT:
		on_init(c, &msg.u.init);
		reconcile(c, &msg.u.init);
		turnmgr_sync(c, 1);
		ctl_session_status(c);
		break;
	case PORTAL_MSG_RELAYS_PRESENCE:
		on_relays_presence(c, &msg.u.relays_presence);
		turnmgr_sync(c, 1);
		ctl_session_status(c);
		break;
	case PORTAL_MSG_AUTHORIZE_FLOW:
		on_authorize_flow(c, &msg.u.authorize_flow, 0);
		break;
	case PORTAL_MSG_CREATE_AUTHORIZATION:
		on_authorize_flow(c, &msg.u.authorize_flow, 1);
		break;
	case PORTAL_MSG_ACCESS_AUTHORIZATION_EXPIRY_UPDATED:
		on_expiry_updated(c, &msg.u.expiry_updated);
		break;
	case PORTAL_MSG_REQUEST_CONNECTION:
		on_request_connection(c, &msg.u.request_connection);
		break;
	case PORTAL_MSG_ALLOW_ACCESS:
		grant(c, &msg.u.allow_access.client_id, &msg.u.allow_access.client_ipv4,
		    &msg.u.allow_access.client_ipv6, &msg.u.allow_access.resource,
		    msg.u.allow_access.has_expires_at, msg.u.allow_access.expires_at, "allow_access");
		if (msg.u.allow_access.has_payload)
			(void)dnsnat_request(c, &msg.u.allow_access.client_id,
			    &msg.u.allow_access.resource.id, msg.u.allow_access.payload.name,
			    msg.u.allow_access.payload.proxy_ips, msg.u.allow_access.payload.n_proxy_ips, 0);
		break;
	case PORTAL_MSG_REJECT_ACCESS:
		on_reject_access(c, &msg.u.reject_access);
		break;
	case PORTAL_MSG_RESOURCE_UPDATED:
		on_resource_updated(c, &msg.u.resource_updated);
		break;
	case PORTAL_MSG_ICE_CANDIDATES:
		on_candidates(c, &msg.u.ice_candidates, 1);
		break;
	case PORTAL_MSG_INVALIDATE_ICE_CANDIDATES:
		on_candidates(c, &msg.u.ice_candidates, 0);
		break;
	case PORTAL_MSG_DISCONNECT:
	case PORTAL_MSG_NONE:
		break;
	}
	wipe_event(m);
}

void
ctl_session_status(struct ctl *c)
{
	char st[192];

	snprintf(st, sizeof(st), "STATUS=%s; dataplane %s; %zu relay(s), %zu allocated; %zu client(s)",
	    c->portal_live && portal_is_joined(&c->portal) ? "joined to the portal" :
	    "connecting to the portal", c->dataplane_ready ? "up" : "starting",
	    relays_count(&c->relays), turnmgr_allocated(&c->turn), c->authz.n_clients);
	(void)notify_send(st);
}

static void
on_joined(void *arg, int joined)
{
	struct ctl *c = arg;

	if (!joined) {
		log_info("portal: left the gateway channel (connection lost)");
	} else {
		json_object *o = NULL;
		/* The path the connection took decides what the portal knows. */
		ctl_session_set_protocol(c, portal_protocol_version(&c->portal));
		/* We never take ICE-less connections (upstream sends true).
		 * The 2024 portal (v1) crashes the channel on unknown events. */
		if (c->portal_proto == 2 && portal_msg_build_set_snownet_capabilities(&o) == 0) {
			if (portal_push(&c->portal, "set_snownet_capabilities", o) < 0)
				log_warnx("portal: cannot queue set_snownet_capabilities");
			json_object_put(o);
		}
		/* Candidate changes held while the portal was down. */
		p2p_portal_joined(&c->p2p);
	}
	ctl_session_status(c);
}

static void
health_state(void *arg, struct health_state *st)
{
	struct ctl *c = arg;

	st->portal_joined = c->portal_live && portal_is_joined(&c->portal);
	st->dataplane_ready = c->dataplane_ready;
	st->relays = turnmgr_allocated(&c->turn);
}

void
ctl_session_dataplane_ready(struct ctl *c)
{
	c->dataplane_ready = 1;
	/* systemd: started (serving readiness is /readyz). */
	(void)notify_send("READY=1");
	ctl_session_status(c);
}

static void
on_fatal(void *arg, const char *reason)
{
	ctl_stop(arg, 1, reason);
}

static void
on_expired(void *arg, const struct authz_client *cl, const struct authz_resource *r)
{
	char cid[PORTAL_MSG_UUID_STRLEN], rid[PORTAL_MSG_UUID_STRLEN];

	(void)arg;
	fmt_uuid(&cl->id, cid);
	fmt_uuid(&r->desc.id, rid);
	log_info("client %s: authorization for resource %s expired", cid, rid);
}

/* A client without a resource left (expiry, init reconciliation): its
 * connection ends with goodbye (upstream §4.6, at the 1 Hz tick). */
static void
on_client_gone(void *arg, const struct authz_client *cl)
{
	struct ctl *c = arg;
	char cid[PORTAL_MSG_UUID_STRLEN];

	fmt_uuid(&cl->id, cid);
	log_info("client %s: no resource left; removed", cid);
	p2p_goodbye(&c->p2p, &cl->id, "no resource left; goodbye sent");
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;

	(void)fd;
	(void)what;
	authz_expire(&c->authz, (int64_t)time(NULL), on_expired, on_client_gone, c, NULL);
}

void
ctl_session_client_goodbye(struct ctl *c, uint32_t peer_id)
{
	struct p2p_conn *conn = p2p_by_peer(&c->p2p, peer_id);
	struct portal_msg_uuid id;
	char cid[PORTAL_MSG_UUID_STRLEN];

	if (conn == NULL)
		return;
	id = conn->client_id;
	fmt_uuid(&id, cid);
	log_info("client %s: said goodbye; its state is removed", cid);
	p2p_remove(&c->p2p, &id, "the client said goodbye");
	(void)authz_remove_client(&c->authz, &id);
	ctl_session_status(c);
}

void
ctl_session_goodbye_all(struct ctl *c)
{
	if (c->portal_live)
		p2p_goodbye_all(&c->p2p, "stopping");
}

void
ctl_session_start(struct ctl *c)
{
	struct portal_login login;
	struct portal_callbacks cb = { on_event, on_joined, on_fatal, c };
	struct timeval one = { 1, 0 };
	char why[512];

	relays_init(&c->relays);
	authz_init(&c->authz);
	(void)notify_init(c->base);
	(void)health_start(&c->health, c->base, c->cfg.health_addr, health_state, metrics_render, c);
	if (gateway_id_load(c->cfg.firezone_id, c->cfg.state_dir, c->gateway_id, why, sizeof(why)) < 0) {
		ctl_stop(c, 1, why);
		return;
	}
	if ((c->dns = evdns_base_new(c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (c->dns = evdns_base_new(c->base, 0)) == NULL) {
		ctl_stop(c, 1, "cannot set up the DNS resolver");
		return;
	}
	if ((c->dnsserver = dnsserver_new(c->base, "/etc/resolv.conf")) == NULL) {
		ctl_stop(c, 1, "cannot set up the DNS server");
		return;
	}
	login.api_url = c->cfg.api_url;
	login.token = c->cfg.token;
	login.firezone_id = c->gateway_id;
	login.name = c->cfg.name;
	login.public_key = c->public_key;
	if (portal_init(&c->portal, c->base, c->dns, &login, &cb, why, sizeof(why)) < 0) {
		ctl_stop(c, 1, why);
		return;
	}
	c->portal_live = 1;
	portal_set_max_partition(&c->portal, (uint64_t)c->cfg.max_partition_s * 1000);
	if (c->portal_proto == 0)
		c->portal_proto = 1;
	turnmgr_init(&c->turn);
	p2p_init(&c->p2p, c);
	/* The token now lives only in the portal's request target. */
	OPENSSL_cleanse(c->cfg.token, sizeof(c->cfg.token));
	c->ev_tick = event_new(c->base, -1, EV_PERSIST, tick_cb, c);
	if (c->ev_tick == NULL || event_add(c->ev_tick, &one) < 0) {
		ctl_stop(c, 1, "cannot create the expiry timer");
		return;
	}
	portal_start(&c->portal);
	/* Everything is acquired: from here on only the allowlisted calls. */
	if (sandbox_apply(SANDBOX_CONTROL, why, sizeof(why)) < 0) {
		ctl_stop(c, 1, why);
		return;
	}
	sandbox_probe(SANDBOX_CONTROL);
}

void
ctl_session_iface_result(struct ctl *c, const struct ipc_d2c_iface_result *r)
{
	(void)c;
	if (r->v4_ok || r->v6_ok)
		log_info("dataplane: tun-firezone configured (IPv4 %s, IPv6 %s, link %s, routes %s)",
		    r->v4_ok ? "ok" : "failed", r->v6_ok ? "ok" : "failed", r->link_up ? "up" : "down",
		    r->routes_ok ? "ok" : "failed");
	else
		log_warnx("dataplane: could not add any tunnel address to tun-firezone");
}

void
ctl_session_stop(struct ctl *c)
{
	(void)notify_send("STOPPING=1");
	notify_stop();
	health_stop(&c->health);
	if (c->ev_tick != NULL) {
		event_free(c->ev_tick);
		c->ev_tick = NULL;
	}
	dnsnat_stop(c);
	dnsserver_free(c->dnsserver);
	c->dnsserver = NULL;
	if (c->portal_live) {
		turnmgr_free(c);
		p2p_free(&c->p2p);
		portal_free(&c->portal);
		c->portal_live = 0;
	}
	if (c->dns != NULL) {
		evdns_base_free(c->dns, 0);
		c->dns = NULL;
	}
	authz_clear(&c->authz);
	relays_clear(&c->relays);
	portal_msg_clear(&msg);
}
