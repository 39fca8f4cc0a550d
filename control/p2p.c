/*
 * p2p.c - per-client ICE connections and what they tell the dataplane and
 * the portal.
 */
#include "p2p.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "addr.h"
#include "control.h"
#include "ice.h"
#include "log.h"
#include "util.h"
#include "portal_msg.h"
#include "turnmgr.h"
#include "udpsend.h"

#define P2P_KEEPALIVE_S 25

static uint32_t
hash_bytes(const void *v, size_t n)
{
	return util_fnv1a(UTIL_FNV_INIT, v, n) & (P2P_BUCKETS - 1);
}

static void
fmt_id(const struct portal_msg_uuid *u, char out[PORTAL_MSG_UUID_STRLEN])
{
	portal_msg_uuid_fmt(u, out);
}

int
p2p_host_ok(const struct ipc_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == 4)
		return !(a->addr[0] == 127 || a->addr[0] == 0 || (a->addr[0] == 169 && a->addr[1] == 254) ||
		    a->addr[0] >= 224 || (a->addr[0] == 100 && (a->addr[1] & 0xe0) == 64));
	if (a->family == 6)
		return !(memcmp(a->addr, zero, 15) == 0 || a->addr[0] == 0xff ||
		    (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80) ||
		    (memcmp(a->addr, "\xfd\x00\x20\x21\x11\x11", 6) == 0));
	return 0;
}

/* A new shared host candidate; existing connections learn it too. */
static int
add_host(struct p2p *p, const struct ipc_addr *a)
{
	struct p2p_conn *c;
	size_t i;

	if (!p2p_host_ok(a))
		return 0;
	for (i = 0; i < p->n_hosts; i++)
		if (addr_equal(&p->hosts[i], a))
			return 0;
	if (p->n_hosts >= P2P_HOSTS_MAX)
		return 0;
	p->hosts[p->n_hosts++] = *a;
	for (i = 0; i < P2P_BUCKETS; i++)
		for (c = p->by_client[i]; c != NULL; c = c->next_client)
			(void)ice_agent_add_local(c->agent, ICE_CAND_HOST, a, util_now_ms());
	return 1;
}

void
p2p_learn_host(struct p2p *p, const struct ipc_addr *local)
{
	char b[ADDR_STRLEN];

	if (add_host(p, local))
		log_debug("p2p: host candidate %s learned", addr_fmt(local, b, sizeof(b)));
}

void
p2p_init(struct p2p *p, struct ctl *c)
{
	memset(p, 0, sizeof(*p));
	p->ctl = c;
}

static void
send_tx(struct p2p *p, const struct ice_tx *tx)
{
	struct ctl_udp *u;

	if (tx->via_relay) {
		/* ChannelData through the relay that owns our relayed address;
		 * the first check to a peer only asks for the channel. */
		if (turnmgr_send(p->ctl, &tx->from, &tx->to, tx->data, tx->len) < 0)
			log_debug("p2p: relayed check waits for a TURN channel");
		return;
	}
	u = &p->ctl->udp[tx->to.family == 4 ? 0 : 1];
	if (u->fd < 0 || udp_send_from(u->fd, &tx->to, &tx->from, tx->data, tx->len) < 0)
		log_debug("p2p: cannot send a STUN check");
}

static void
flush_candidates(struct p2p *p, struct p2p_conn *c)
{
	const char *list[CANDQ_MAX];
	/* Today's portal gets them by priority; v1 keeps the 2024 byte order. */
	enum portal_msg_order ord = p->ctl->portal_proto == 2 ? PORTAL_MSG_ORDER_PRIORITY :
	    PORTAL_MSG_ORDER_BYTES;
	json_object *o = NULL;
	size_t i;

	/* Held while the portal is down; p2p_portal_joined sends them. */
	if (!p->ctl->portal_live || !portal_is_joined(&p->ctl->portal))
		return;
	if (c->cands.n_add > 0) {
		for (i = 0; i < c->cands.n_add; i++)
			list[i] = c->cands.add[i];
		if (portal_msg_build_broadcast_ice_candidates(&c->client_id, 1, list, c->cands.n_add,
		    ord, &o) == 0) {
			(void)portal_push(&p->ctl->portal, "broadcast_ice_candidates", o);
			json_object_put(o);
		}
	}
	if (c->cands.n_del > 0) {
		for (i = 0; i < c->cands.n_del; i++)
			list[i] = c->cands.del[i];
		o = NULL;
		if (portal_msg_build_broadcast_invalidated_ice_candidates(&c->client_id, 1, list,
		    c->cands.n_del, ord, &o) == 0) {
			(void)portal_push(&p->ctl->portal, "broadcast_invalidated_ice_candidates", o);
			json_object_put(o);
		}
	}
	candq_sent(&c->cands);
}

void
p2p_portal_joined(struct p2p *p)
{
	struct p2p_conn *c;
	size_t i;

	for (i = 0; i < P2P_BUCKETS; i++)
		for (c = p->by_client[i]; c != NULL; c = c->next_client)
			flush_candidates(p, c);
}

void
p2p_reannounce(struct p2p *p, struct p2p_conn *c)
{
	candq_reannounce(&c->cands);
	flush_candidates(p, c);
}

static void conn_remove(struct p2p *p, struct p2p_conn *c, const char *why);
static int drain(struct p2p *p, struct p2p_conn *c);

/* A path through a relay needs its channel; until then the old path stays. */
static void
set_relay_path(struct p2p *p, struct p2p_conn *c)
{
	struct ipc_c2d_peer_path pp;
	char id[PORTAL_MSG_UUID_STRLEN], a1[ADDR_STRLEN], a2[ADDR_STRLEN];

	memset(&pp, 0, sizeof(pp));
	if (turnmgr_channel(p->ctl, &c->pending_local, &c->pending_remote, &pp.relay, &pp.channel) < 0)
		return;
	pp.remote = c->pending_remote;
	pp.via_relay = 1;
	c->pending_relay = 0;
	c->relayed = 1;
	ctl_ipc_send_peer(p->ctl, IPC_C2D_PEER_PATH, c->peer_id, &pp, sizeof(pp));
	fmt_id(&c->client_id, id);
	log_info("client %s: path chosen: relayed via %s channel 0x%04x to %s", id,
	    addr_fmt(&pp.relay, a1, sizeof(a1)), pp.channel, addr_fmt(&pp.remote, a2, sizeof(a2)));
}

void
p2p_channel_bound(struct p2p *p)
{
	struct p2p_conn *c;
	size_t i;

	for (i = 0; i < P2P_BUCKETS; i++)
		for (c = p->by_client[i]; c != NULL; c = c->next_client)
			if (c->pending_relay)
				set_relay_path(p, c);
}

/* Count the relayed candidates an agent holds: rc is what adding (dir 1)
 * or removing (dir -1) one of type returned. */
static void
relay_count(struct p2p_conn *c, int type, int rc, int dir)
{
	if (type != ICE_CAND_RELAY || rc != ICE_OK)
		return;
	if (dir > 0)
		c->n_relay_cands++;
	else if (c->n_relay_cands > 0)
		c->n_relay_cands--;
}

void
p2p_local_candidate(struct p2p *p, int type, const struct ipc_addr *a, int add)
{
	struct p2p_conn *c, *next;
	size_t i;
	uint64_t now = util_now_ms();

	for (i = 0; i < P2P_BUCKETS; i++)
		for (c = p->by_client[i]; c != NULL; c = next) {
			next = c->next_client; /* drain may close c */
			if (add)
				relay_count(c, type, ice_agent_add_local(c->agent,
				    (enum ice_cand_type)type, a, now), 1);
			else
				relay_count(c, type, ice_agent_remove_local(c->agent,
				    (enum ice_cand_type)type, a, now), -1);
			(void)drain(p, c);
		}
}

void
p2p_relay_withdrawn(struct p2p *p)
{
	struct p2p_conn *c, *next;
	struct ipc_addr rel[2];
	char id[PORTAL_MSG_UUID_STRLEN], b[ADDR_STRLEN];
	size_t i, k, n;
	uint64_t now = util_now_ms();

	for (i = 0; i < P2P_BUCKETS; i++)
		for (c = p->by_client[i]; c != NULL; c = next) {
			next = c->next_client; /* drain may close c */
			if (c->n_relay_cands > 0)
				continue;
			fmt_id(&c->client_id, id);
			if ((n = turnmgr_candidates(&p->ctl->turn, c->tag, rel)) == 0) {
				log_info("client %s: its relay is gone and no other is allocated; "
				    "moved when one is", id);
				continue;
			}
			for (k = 0; k < n; k++)
				relay_count(c, ICE_CAND_RELAY, ice_agent_add_local(c->agent,
				    ICE_CAND_RELAY, &rel[k], now), 1);
			log_info("client %s: its relay is gone; moved to the relay of %s", id,
			    addr_fmt(&rel[0], b, sizeof(b)));
			(void)drain(p, c);
		}
}

static void
arm(struct p2p_conn *c)
{
	uint64_t dl = ice_agent_next_deadline(c->agent), now = util_now_ms();
	struct timeval tv;

	if (dl == UINT64_MAX) {
		event_del(c->ev);
		return;
	}
	dl = dl > now ? dl - now : 0;
	tv.tv_sec = (time_t)(dl / 1000);
	tv.tv_usec = (suseconds_t)((dl % 1000) * 1000);
	evtimer_add(c->ev, &tv);
}

/* Act on everything the agent produced; c may be freed (returns 0 then). */
static int
drain(struct p2p *p, struct p2p_conn *c)
{
	struct ice_event ev;
	struct ice_tx tx;
	char id[PORTAL_MSG_UUID_STRLEN], a1[ADDR_STRLEN], a2[ADDR_STRLEN];
	int failed = 0;

	fmt_id(&c->client_id, id);
	while (ice_agent_poll_event(c->agent, &ev) > 0) {
		switch (ev.type) {
		case ICE_EV_LOCAL_CANDIDATE:
			candq_change(&c->cands, ev.cand, 1);
			break;
		case ICE_EV_LOCAL_INVALIDATED:
			candq_change(&c->cands, ev.cand, 0);
			break;
		case ICE_EV_NOMINATED:
			c->nominated = 1;
			if (ev.via_relay) {
				c->pending_relay = 1;
				c->pending_local = ev.local;
				c->pending_remote = ev.remote;
				set_relay_path(p, c);
				break;
			} else {
				struct ipc_c2d_peer_path pp;
				memset(&pp, 0, sizeof(pp));
				pp.remote = ev.remote;
				pp.local = ev.local;
				pp.local.port = 0;
				c->pending_relay = 0;
				c->relayed = 0;
				ctl_ipc_send_peer(p->ctl, IPC_C2D_PEER_PATH, c->peer_id, &pp, sizeof(pp));
			}
			log_info("client %s: path chosen: direct, %s -> %s", id,
			    addr_fmt(&ev.local, a1, sizeof(a1)), addr_fmt(&ev.remote, a2, sizeof(a2)));
			break;
		case ICE_EV_PATH_LOST:
			log_info("client %s: path lost", id);
			break;
		case ICE_EV_IDLE:
			log_debug("client %s: connection idle", id);
			break;
		case ICE_EV_ACTIVE:
			log_debug("client %s: connection active", id);
			break;
		case ICE_EV_REMOTE_SOURCE:
			break;
		case ICE_EV_FAILED:
			failed = ev.reason == ICE_FAIL_NO_CANDIDATES ? 1 : 2;
			break;
		}
	}
	while (ice_agent_poll_transmit(c->agent, util_now_ms(), &tx) > 0)
		send_tx(p, &tx);
	flush_candidates(p, c);
	if (failed) {
		conn_remove(p, c, failed == 1 ? "ICE failed: no candidates from the client" :
		    "ICE failed: every candidate pair failed");
		return 0;
	}
	arm(c);
	return 1;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct p2p_conn *c = arg;

	(void)fd;
	(void)what;
	ice_agent_tick(c->agent, util_now_ms());
	(void)drain(c->owner, c);
}

#define UNLINK(head, field)                                              \
	do {                                                             \
		struct p2p_conn **pp_;                                   \
		for (pp_ = (head); *pp_ != NULL; pp_ = &(*pp_)->field)   \
			if (*pp_ == c) {                                 \
				*pp_ = c->field;                         \
				break;                                   \
			}                                                \
	} while (0)

static void
conn_remove_reason(struct p2p *p, struct p2p_conn *c, const char *why, uint8_t reason);

static void
conn_remove(struct p2p *p, struct p2p_conn *c, const char *why)
{
	conn_remove_reason(p, c, why, IPC_PEER_REMOVE_FAILED);
}

static void
conn_remove_reason(struct p2p *p, struct p2p_conn *c, const char *why, uint8_t reason)
{
	struct ipc_c2d_peer_remove r;
	char id[PORTAL_MSG_UUID_STRLEN];

	fmt_id(&c->client_id, id);
	log_info("client %s: connection closed (%s)", id, why);
	UNLINK(&p->by_client[hash_bytes(c->client_id.b, 16)], next_client);
	UNLINK(&p->by_tag[hash_bytes(&c->tag, 4)], next_tag);
	UNLINK(&p->by_ufrag[hash_bytes(c->local.username, strlen(c->local.username))], next_ufrag);
	UNLINK(&p->by_peer[hash_bytes(&c->peer_id, 4)], next_peer);
	p->n--;
	memset(&r, 0, sizeof(r));
	r.reason = reason;
	ctl_ipc_send_peer(p->ctl, IPC_C2D_PEER_REMOVE, c->peer_id, &r, sizeof(r));
	if (c->ev != NULL)
		event_free(c->ev);
	ice_agent_free(c->agent);
	free(c->names);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

struct p2p_conn *
p2p_find(const struct p2p *p, const struct portal_msg_uuid *client)
{
	struct p2p_conn *c;

	for (c = p->by_client[hash_bytes(client->b, 16)]; c != NULL; c = c->next_client)
		if (memcmp(c->client_id.b, client->b, 16) == 0)
			return c;
	return NULL;
}

/* Equal NUL-terminated credential strings, in time independent of where
 * they differ (the buffers are compared whole). */
static int
creds_equal(const struct portal_msg_ice_creds *a, const struct portal_msg_ice_creds *b)
{
	struct portal_msg_ice_creds x, y;
	int eq;

	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	snprintf(x.username, sizeof(x.username), "%s", a->username);
	snprintf(x.password, sizeof(x.password), "%s", a->password);
	snprintf(y.username, sizeof(y.username), "%s", b->username);
	snprintf(y.password, sizeof(y.password), "%s", b->password);
	eq = CRYPTO_memcmp(&x, &y, sizeof(x)) == 0;
	OPENSSL_cleanse(&x, sizeof(x));
	OPENSSL_cleanse(&y, sizeof(y));
	return eq;
}

int
p2p_reusable(const struct p2p_conn *c, const struct portal_msg_peer *peer,
    const struct portal_msg_ice_creds *remote, const struct portal_msg_ice_creds *local)
{
	return c != NULL && local != NULL && creds_equal(&c->local, local) &&
	    creds_equal(&c->remote, remote) &&
	    CRYPTO_memcmp(c->public_key, peer->public_key, sizeof(c->public_key)) == 0 &&
	    CRYPTO_memcmp(c->preshared_key, peer->preshared_key, sizeof(c->preshared_key)) == 0;
}

/* Why an existing connection is not reused (for the log; no secrets). */
static const char *
replace_reason(const struct p2p_conn *c, const struct portal_msg_peer *peer,
    const struct portal_msg_ice_creds *local)
{
	if (local == NULL)
		return "replaced by a legacy connection request";
	if (!creds_equal(&c->local, local))
		return "replaced: new ICE credentials";
	if (CRYPTO_memcmp(c->public_key, peer->public_key, sizeof(c->public_key)) != 0)
		return "replaced: new client public key";
	if (CRYPTO_memcmp(c->preshared_key, peer->preshared_key, sizeof(c->preshared_key)) != 0)
		return "replaced: new preshared key";
	return "replaced: new remote ICE credentials";
}

int
p2p_peer_addresses_ok(const struct portal_msg_peer *peer)
{
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];

	if (addr_in_client_range(4, (const uint8_t *)&peer->ipv4) &&
	    addr_in_client_range(6, peer->ipv6.s6_addr))
		return 1;
	log_warnx("client: tunnel addresses %s and %s are not both inside 100.64.0.0/11 and "
	    "fd00:2021:1111::/107; the client is refused",
	    inet_ntop(AF_INET, &peer->ipv4, v4, sizeof(v4)),
	    inet_ntop(AF_INET6, &peer->ipv6, v6, sizeof(v6)));
	return 0;
}

struct p2p_conn *
p2p_connect(struct p2p *p, const struct portal_msg_peer *peer,
    const struct portal_msg_ice_creds *remote, const struct portal_msg_ice_creds *local,
    int *created, int *replaced)
{
	struct p2p_conn *c = p2p_find(p, &peer->id);
	struct p2p_dnsname *names = NULL;
	struct ice_config cfg;
	struct ipc_c2d_peer_add pa;
	struct timeval zero = { 0, 0 };
	size_t i, n_names = 0;
	uint64_t now = util_now_ms();

	*created = 0;
	*replaced = 0;
	/* The dataplane refuses anything else as a protocol violation. */
	if (!p2p_peer_addresses_ok(peer))
		return NULL;
	/* Everything the same: the existing connection stays (upstream's
	 * upsert_connection; the spec's §2.2 (b) ignored a new PSK). */
	if (p2p_reusable(c, peer, remote, local))
		return c;
	if (c != NULL) {
		/* The client's DNS translations outlive its connection. */
		names = c->names;
		n_names = c->n_names;
		c->names = NULL;
		c->n_names = 0;
		conn_remove(p, c, replace_reason(c, peer, local));
		*replaced = 1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		free(names);
		return NULL;
	}
	c->owner = p;
	c->client_id = peer->id;
	c->names = names;
	c->n_names = n_names;
	memcpy(c->public_key, peer->public_key, sizeof(c->public_key));
	memcpy(c->preshared_key, peer->preshared_key, sizeof(c->preshared_key));
	c->remote = *remote;
	if (local != NULL)
		c->local = *local;
	else if (ice_gen_credentials(c->local.username, c->local.password) < 0) {
		free(c->names);
		OPENSSL_cleanse(c, sizeof(*c));
		free(c);
		return NULL;
	}
	if (++p->next_peer_id == 0)
		p->next_peer_id = 1;
	c->peer_id = p->next_peer_id;
	memset(&cfg, 0, sizeof(cfg));
	cfg.tag = c->tag = ++p->next_tag;
	c->agent = ice_agent_new(c->local.username, c->local.password, remote->username,
	    remote->password, &cfg, now);
	c->ev = evtimer_new(p->ctl->base, timer_cb, c);
	if (c->agent == NULL || c->ev == NULL) {
		if (c->agent != NULL)
			ice_agent_free(c->agent);
		if (c->ev != NULL)
			event_free(c->ev);
		free(c->names);
		OPENSSL_cleanse(c, sizeof(*c));
		free(c);
		return NULL;
	}
	for (i = 0; i < p->n_hosts; i++)
		(void)ice_agent_add_local(c->agent, ICE_CAND_HOST, &p->hosts[i], now);
	{
		/* One relay per connection (docs/protocol/p2p.md §2.3), picked by its tag. */
		struct ipc_addr rel[2];
		size_t k, n = turnmgr_candidates(&p->ctl->turn, c->tag, rel);
		for (k = 0; k < n; k++)
			relay_count(c, ICE_CAND_RELAY, ice_agent_add_local(c->agent, ICE_CAND_RELAY,
			    &rel[k], now), 1);
	}
	c->next_client = p->by_client[hash_bytes(c->client_id.b, 16)];
	p->by_client[hash_bytes(c->client_id.b, 16)] = c;
	c->next_tag = p->by_tag[hash_bytes(&c->tag, 4)];
	p->by_tag[hash_bytes(&c->tag, 4)] = c;
	c->next_ufrag = p->by_ufrag[hash_bytes(c->local.username, strlen(c->local.username))];
	p->by_ufrag[hash_bytes(c->local.username, strlen(c->local.username))] = c;
	c->next_peer = p->by_peer[hash_bytes(&c->peer_id, 4)];
	p->by_peer[hash_bytes(&c->peer_id, 4)] = c;
	p->n++;

	memset(&pa, 0, sizeof(pa));
	memcpy(pa.public_key, peer->public_key, sizeof(pa.public_key));
	memcpy(pa.preshared_key, peer->preshared_key, sizeof(pa.preshared_key));
	pa.has_psk = 1;
	pa.has_v4 = 1;
	pa.has_v6 = 1;
	memcpy(pa.tun_v4, &peer->ipv4, 4);
	memcpy(pa.tun_v6, &peer->ipv6, 16);
	pa.keepalive_s = P2P_KEEPALIVE_S;
	memcpy(pa.client_id, c->client_id.b, sizeof(pa.client_id));
	ctl_ipc_send_peer(p->ctl, IPC_C2D_PEER_ADD, c->peer_id, &pa, sizeof(pa));
	OPENSSL_cleanse(&pa, sizeof(pa));
	/* Candidates go out on the next loop turn, after the caller's reply. */
	evtimer_add(c->ev, &zero);
	*created = 1;
	return c;
}

void
p2p_grant(struct p2p *p, const struct portal_msg_uuid *client,
    const struct portal_msg_resource *res, int has_expiry, int64_t expires_at)
{
	struct p2p_conn *c = p2p_find(p, client);
	struct ipc_c2d_grant *g;
	uint32_t i;

	if (c == NULL)
		return;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		ctl_stop(p->ctl, 1, "out of memory");
		return;
	}
	memcpy(g->resource_id, res->id.b, 16);
	g->type = res->type == PORTAL_MSG_RES_CIDR ? IPC_RES_CIDR :
	    res->type == PORTAL_MSG_RES_DNS ? IPC_RES_DNS : IPC_RES_INTERNET;
	if (res->type == PORTAL_MSG_RES_CIDR) {
		g->family = res->cidr.ip.family == AF_INET ? 4 : 6;
		g->prefix = res->cidr.prefix;
		memcpy(g->net, res->cidr.ip.u.bytes, g->family == 4 ? 4 : 16);
	}
	g->has_expiry = has_expiry ? 1 : 0;
	g->expires_at = expires_at;
	g->n_filters = res->n_filters > IPC_GRANT_FILTERS_MAX ? IPC_GRANT_FILTERS_MAX : res->n_filters;
	for (i = 0; i < g->n_filters; i++) {
		g->filters[i].proto = res->filters[i].protocol == PORTAL_MSG_PROTO_TCP ? IPC_PROTO_TCP :
		    res->filters[i].protocol == PORTAL_MSG_PROTO_UDP ? IPC_PROTO_UDP : IPC_PROTO_ICMP;
		g->filters[i].port_start = res->filters[i].port_start;
		g->filters[i].port_end = res->filters[i].port_end;
	}
	ctl_ipc_send_peer(p->ctl, IPC_C2D_GRANT, c->peer_id, g, sizeof(*g));
	free(g);
}

void
p2p_revoke(struct p2p *p, const struct portal_msg_uuid *client, const struct portal_msg_uuid *resource)
{
	struct p2p_conn *c = p2p_find(p, client);
	struct ipc_c2d_revoke r;

	if (c == NULL)
		return;
	memset(&r, 0, sizeof(r));
	memcpy(r.resource_id, resource->b, 16);
	ctl_ipc_send_peer(p->ctl, IPC_C2D_REVOKE, c->peer_id, &r, sizeof(r));
}

void
p2p_remote_candidates(struct p2p *p, const struct portal_msg_uuid *client,
    const char (*cand)[PORTAL_MSG_CANDIDATE_MAX + 1], size_t n, int add)
{
	struct p2p_conn *c = p2p_find(p, client);
	char id[PORTAL_MSG_UUID_STRLEN];
	size_t i;
	uint64_t now = util_now_ms();

	fmt_id(client, id);
	if (c == NULL) {
		log_debug("p2p: candidates for client %s without a connection ignored", id);
		return;
	}
	for (i = 0; i < n; i++) {
		int rc = add ? ice_agent_add_remote(c->agent, cand[i], strlen(cand[i]), now) :
		    ice_agent_remove_remote(c->agent, cand[i], strlen(cand[i]), now);
		if (rc < 0)
			log_debug("client %s: remote candidate not used (%d)", id, rc);
	}
	(void)drain(p, c);
}

void
p2p_stun_rx(struct p2p *p, const struct ipc_d2c_udp_rx *rx, const uint8_t *data)
{
	char lufrag[PORTAL_MSG_ICE_UFRAG_MAX + 1], rufrag[PORTAL_MSG_ICE_UFRAG_MAX + 1];
	struct p2p_conn *c;
	struct ice_rx in;
	struct ice_tx reply;
	uint32_t tag;
	uint64_t now = util_now_ms();

	if (rx->kind == IPC_UDP_KIND_STUN)
		p2p_learn_host(p, &rx->local);
	memset(&in, 0, sizeof(in));
	in.data = data;
	in.len = rx->len;
	in.local = rx->local;
	in.from = rx->from;
	in.via_relay = rx->kind == IPC_UDP_KIND_STUN_RELAYED;
	/* Responses carry our tag; requests name our ufrag. */
	if (ice_match_txid(data, rx->len, &tag) == 0) {
		for (c = p->by_tag[hash_bytes(&tag, 4)]; c != NULL; c = c->next_tag) {
			if (c->tag != tag)
				continue;
			reply.len = 0;
			if (ice_agent_receive(c->agent, now, &in, &reply) == 0) {
				if (reply.len > 0)
					send_tx(p, &reply);
				(void)drain(p, c);
				return;
			}
		}
	}
	/* Returns the length of our ufrag when the USERNAME is well formed. */
	if (ice_match_username(data, rx->len, lufrag, rufrag) > 0) {
		for (c = p->by_ufrag[hash_bytes(lufrag, strlen(lufrag))]; c != NULL; c = c->next_ufrag) {
			if (strcmp(c->local.username, lufrag) != 0)
				continue;
			reply.len = 0;
			if (ice_agent_receive(c->agent, now, &in, &reply) == 0) {
				if (reply.len > 0)
					send_tx(p, &reply);
				(void)drain(p, c);
				return;
			}
		}
	}
	p->stun_unmatched++;
}

struct p2p_conn *
p2p_by_peer(const struct p2p *p, uint32_t peer_id)
{
	struct p2p_conn *c;

	for (c = p->by_peer[hash_bytes(&peer_id, 4)]; c != NULL; c = c->next_peer)
		if (c->peer_id == peer_id)
			return c;
	return NULL;
}

void
p2p_peer_event(struct p2p *p, uint32_t peer_id, const struct ipc_d2c_peer_event *ev)
{
	struct p2p_conn *c = p2p_by_peer(p, peer_id);
	char id[PORTAL_MSG_UUID_STRLEN];

	if (c == NULL)
		return;
	fmt_id(&c->client_id, id);
	switch (ev->event) {
	case IPC_PEER_EV_HANDSHAKE:
		log_info("client %s: WireGuard handshake done", id);
		break;
	case IPC_PEER_EV_EXPIRED:
		log_info("client %s: WireGuard session expired", id);
		break;
	case IPC_PEER_EV_GAVE_UP:
		log_info("client %s: WireGuard handshakes unanswered", id);
		break;
	case IPC_PEER_EV_TRAFFIC:
		/* Application packets keep the connection out of idle (§2.8). */
		ice_agent_traffic(c->agent, util_now_ms());
		(void)drain(p, c);
		break;
	default:
		break;
	}
}

/* goodbye: the p2p control event of type 2 with an empty body.  Sent once,
 * unreliably, and only over an established connection (upstream #10076). */
static void
send_goodbye(struct p2p *p, struct p2p_conn *c)
{
	struct ipc_p2p_control m;

	if (!c->nominated)
		return;
	memset(&m, 0, sizeof(m));
	m.event = P2P_EV_GOODBYE;
	ctl_ipc_send_peer(p->ctl, IPC_C2D_P2P_CONTROL, c->peer_id, &m, sizeof(m));
}

void
p2p_goodbye(struct p2p *p, const struct portal_msg_uuid *client, const char *why)
{
	struct p2p_conn *c = p2p_find(p, client);

	if (c == NULL)
		return;
	send_goodbye(p, c);
	conn_remove_reason(p, c, why, IPC_PEER_REMOVE_REVOKED);
}

void
p2p_goodbye_all(struct p2p *p, const char *why)
{
	struct p2p_conn *c;
	size_t i;

	(void)why;
	if (p->ctl == NULL)
		return;
	for (i = 0; i < P2P_BUCKETS; i++)
		for (c = p->by_client[i]; c != NULL; c = c->next_client)
			send_goodbye(p, c);
}

void
p2p_remove(struct p2p *p, const struct portal_msg_uuid *client, const char *why)
{
	struct p2p_conn *c = p2p_find(p, client);

	if (c != NULL)
		conn_remove_reason(p, c, why, IPC_PEER_REMOVE_REVOKED);
}

void
p2p_free(struct p2p *p)
{
	struct p2p_conn *c;
	size_t i;

	for (i = 0; i < P2P_BUCKETS; i++)
		while ((c = p->by_client[i]) != NULL) {
			p->by_client[i] = c->next_client;
			if (c->ev != NULL)
				event_free(c->ev);
			ice_agent_free(c->agent);
			free(c->names);
			OPENSSL_cleanse(c, sizeof(*c));
			free(c);
		}
	memset(p, 0, sizeof(*p));
}
