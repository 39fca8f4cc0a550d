/*
 * peer_ipc.c - the dataplane's handlers of control's per-client and relay
 * messages, called by dispatch.c once ipc_recv validated them: add, remove
 * and route a peer (PEER_ADD, PEER_REMOVE, PEER_PATH), its grants and DNS
 * translations (GRANT, REVOKE, DNS_SETUP), the p2p control answers
 * (P2P_CONTROL), and the relay and channel tables (RELAY, CHANNEL).
 * Control is not trusted: every limit is enforced here too.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "addr.h"
#include "dataplane.h"
#include "log.h"
#include "packet.h"
#include "util.h"
#include "wg_timers.h"

void
dp_peer_free(struct dp *dp, struct dp_peer *p)
{
	dp_flow_end(dp, p, NULL, FLOWLOG_R_PEER_REMOVED);
	peers_unlink(&dp->peers, p);
	nat_client_remove(dp->nat, p->nat_slot);
	dp->nat_free[dp->nat_nfree++] = p->nat_slot;
	if (p->ev_timer != NULL)
		event_free(p->ev_timer);
	wg_timers_stop(&p->timers);
	wg_noise_peer_wipe(&p->noise);
	wg_cookie_maker_wipe(&p->cookie);
	filter_client_free(p->filter);
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

static void
peer_add(struct dp *dp, uint32_t id, const struct ipc_c2d_peer_add *a)
{
	struct pkt_addr t4, t6;
	struct dp_peer *p, *old;

	/* Tunnel addresses are the anti-spoofing check and the route back:
	 * two live peers never share one (issue 19). */
	if ((old = peers_tun_conflict(&dp->peers, id, a->public_key, a->has_v4, a->tun_v4,
	    a->has_v6, a->tun_v6)) != NULL) {
		dp->ctr.refused_peer_address++;
		log_warnx("wg: peer %u refused: its tunnel address belongs to peer %u", id, old->id);
		return;
	}
	if ((old = peers_by_id(&dp->peers, id)) != NULL) {
		log_debug("wg: peer %u replaced", id);
		dp_peer_free(dp, old);
	}
	if ((old = peers_by_key(&dp->peers, a->public_key)) != NULL) {
		log_warnx("wg: peer %u has the key of peer %u, which is removed", id, old->id);
		dp_peer_free(dp, old);
	}
	if (dp->nat_nfree == 0) {
		dp->ctr.cap_peers++;
		log_warnx("wg: peer %u refused: %u clients is the limit", id, DP_NAT_CLIENTS);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		dp_stop(dp, 1, "out of memory adding a peer");
		return;
	}
	p->id = id;
	memcpy(p->client_id, a->client_id, sizeof(p->client_id));
	p->has_v4 = a->has_v4;
	p->has_v6 = a->has_v6;
	memcpy(p->tun_v4, a->tun_v4, 4);
	memcpy(p->tun_v6, a->tun_v6, 16);
	pkt_addr_v4(&t4, a->tun_v4);
	pkt_addr_v6(&t6, a->tun_v6);
	p->filter = filter_client_new(a->has_v4 ? &t4 : NULL, a->has_v6 ? &t6 : NULL);
	p->ev_timer = evtimer_new(dp->base, dp_wg_timer_cb, p);
	if (p->filter == NULL || p->ev_timer == NULL ||
	    wg_noise_peer_init(&p->noise, &dp->wg_local, a->public_key,
	    a->has_psk ? a->preshared_key : NULL, dp) != WG_OK ||
	    wg_cookie_maker_init(&p->cookie, a->public_key) != WG_OK) {
		if (p->ev_timer != NULL)
			event_free(p->ev_timer);
		filter_client_free(p->filter);
		OPENSSL_cleanse(p, sizeof(*p));
		free(p);
		dp_stop(dp, 1, "cannot set up a peer");
		return;
	}
	wg_timers_init(&p->timers, a->keepalive_s ? (uint32_t)a->keepalive_s * 1000u / WG_TIME_SCALE : 0);
	peers_p2p_control_reset(p, util_now_ms());
	p->nat_slot = dp->nat_free[--dp->nat_nfree];
	(void)nat_client_set(dp->nat, p->nat_slot, a->has_v4 ? &t4 : NULL, a->has_v6 ? &t6 : NULL);
	peers_link(&dp->peers, p);
	log_info("wg: peer %u added%s", id, a->has_psk ? " (with preshared key)" : "");
}

void
dp_peer_path(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m)
{
	char r[ADDR_STRLEN], rl[ADDR_STRLEN];

	(void)dp;
	memcpy(&p->path, m->payload, sizeof(p->path));
	p->has_path = 1;
	if (p->path.via_relay)
		log_info("wg: peer %u: path via relay %s channel 0x%04x to %s", p->id,
		    addr_fmt(&p->path.relay, rl, sizeof(rl)), p->path.channel,
		    addr_fmt(&p->path.remote, r, sizeof(r)));
	else
		log_info("wg: peer %u: direct path to %s", p->id,
		    addr_fmt(&p->path.remote, r, sizeof(r)));
}

static void
to_pkt(struct pkt_addr *a, const struct ipc_ip *ip)
{
	if (ip->family == 4)
		pkt_addr_v4(a, ip->addr);
	else
		pkt_addr_v6(a, ip->addr);
}

/* Is real an address a translation may lead to (never a tunnel or proxy IP)? */
static int
dns_target_ok(const struct pkt_addr *real)
{
	return !filter_is_client_range(real) && !filter_is_proxy_range(real);
}

/* Remove the translations of the proxies in old[0..nold) not in now[0..nnow). */
static void
drop_replaced_proxies(struct dp *dp, struct dp_peer *p, const struct pkt_addr *old, size_t nold,
    const struct pkt_addr *now, size_t nnow)
{
	size_t i, k;

	for (i = 0; i < nold; i++) {
		for (k = 0; k < nnow; k++)
			if (pkt_addr_eq(&old[i], &now[k]))
				break;
		if (k == nnow)
			(void)nat_xlate_remove(dp->nat, p->nat_slot, &old[i]);
	}
}

/* docs/protocol/dataplane.md §4.3 steps 2-5 (control did step 1). */
static void
dns_setup(struct dp *dp, struct dp_peer *p, const struct ipc_c2d_dns_setup *d)
{
	struct pkt_addr prox[IPC_DNS_PROXIES_MAX], res[IPC_DNS_RESOLVED_MAX];
	struct pkt_addr v4[IPC_DNS_RESOLVED_MAX], v6[IPC_DNS_RESOLVED_MAX];
	struct pkt_addr old[FILTER_PROXIES_PER_NAME];
	size_t i, n4 = 0, n6 = 0, nres = 0, k4 = 0, k6 = 0, nold;
	uint64_t now = util_now_ms();
	int rc;

	for (i = 0; i < d->n_proxies; i++)
		to_pkt(&prox[i], &d->proxies[i]);
	for (i = 0; i < d->n_resolved; i++) {
		to_pkt(&res[nres], &d->resolved[i]);
		if (!dns_target_ok(&res[nres])) {
			log_warnx("dns: peer %u: %s: a resolved tunnel or proxy address is ignored",
			    p->id, d->name);
			continue;
		}
		if (res[nres].af == 4)
			v4[n4++] = res[nres];
		else
			v6[n6++] = res[nres];
		nres++;
	}
	nold = filter_dns_proxies(p->filter, d->resource_id, d->name, old, FILTER_PROXIES_PER_NAME);
	rc = filter_dns_update(p->filter, d->resource_id, d->name, res, nres, prox, d->n_proxies);
	if (rc != PKT_OK) {
		if (rc == PKT_E_FULL)
			dp->ctr.cap_dns_names++;
		log_warnx("dns: peer %u: %s: translation refused (%s)", p->id, d->name, pkt_strerror(rc));
		return;
	}
	/* A proxy the name no longer lists forwards nothing any more. */
	drop_replaced_proxies(dp, p, old, nold, prox, d->n_proxies);
	for (i = 0; i < d->n_proxies; i++) {
		const struct pkt_addr *t;
		/* Same family first; the other family (NAT64/46) only without.
		 * Nothing resolved: the old translation goes (unreachable). */
		if (n4 + n6 == 0) {
			(void)nat_xlate_remove(dp->nat, p->nat_slot, &prox[i]);
			continue;
		}
		if (prox[i].af == 4)
			t = n4 ? &v4[k4++ % n4] : &v6[k4++ % n6];
		else
			t = n6 ? &v6[k6++ % n6] : &v4[k6++ % n4];
		if (nat_xlate_set(dp->nat, p->nat_slot, &prox[i], t, now) != PKT_OK) {
			dp->ctr.cap_translations++;
			log_warnx("dns: peer %u: translation table full", p->id);
		}
	}
	log_info("dns: peer %u: %s -> %u address(es) for %u proxy IP(s)", p->id, d->name,
	    (unsigned)nres, (unsigned)d->n_proxies);
}

/* The grant's IPC_RES_* type is passed to the filter as is: the two enums
 * must keep the same numbers. */
_Static_assert(IPC_RES_CIDR == FILTER_RES_CIDR, "IPC_RES_CIDR != FILTER_RES_CIDR");
_Static_assert(IPC_RES_DNS == FILTER_RES_DNS, "IPC_RES_DNS != FILTER_RES_DNS");
_Static_assert(IPC_RES_INTERNET == FILTER_RES_INTERNET,
    "IPC_RES_INTERNET != FILTER_RES_INTERNET");

static void
grant(struct dp *dp, struct dp_peer *p, const struct ipc_c2d_grant *g)
{
	struct filter_spec specs[IPC_GRANT_FILTERS_MAX];
	struct pkt_addr net;
	uint32_t i, n;
	int rc;

	(void)dp;
	memcpy(&n, &g->n_filters, sizeof(n));
	for (i = 0; i < n; i++) {
		specs[i].proto = g->filters[i].proto;
		specs[i].port_start = g->filters[i].port_start;
		specs[i].port_end = g->filters[i].port_end;
	}
	memset(&net, 0, sizeof(net));
	if (g->type == IPC_RES_CIDR) {
		if (g->family == 4)
			pkt_addr_v4(&net, g->net);
		else
			pkt_addr_v6(&net, g->net);
	}
	rc = filter_grant(p->filter, g->resource_id, (enum filter_res_type)g->type, &net, g->prefix,
	    specs, n, g->has_expiry ? g->expires_at : FILTER_NO_EXPIRY);
	if (rc != PKT_OK)
		log_warnx("filter: peer %u: grant refused: %s", p->id, pkt_strerror(rc));
	else
		log_debug("filter: peer %u: resource granted (%u filter(s))", p->id, (unsigned)n);
}


void
dp_peer_add(struct dp *dp, const struct ipc_msg *m)
{
	struct ipc_c2d_peer_add a;

	memcpy(&a, m->payload, sizeof(a));
	peer_add(dp, m->hdr.peer_id, &a);
	OPENSSL_cleanse(&a, sizeof(a));
}

void
dp_peer_remove(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m)
{
	(void)m;
	log_info("wg: peer %u removed", p->id);
	dp_peer_free(dp, p);
}

void
dp_peer_grant(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m)
{
	struct ipc_c2d_grant *g = &dp->ipc_scratch.grant;

	memcpy(g, m->payload, sizeof(*g));
	/* A new resource beyond the per-client limit is refused; a
	 * re-grant of one it holds still updates it. */
	if (!filter_has(p->filter, g->resource_id, NULL) &&
	    filter_count(p->filter) >= IPC_GRANTS_PER_CLIENT_MAX) {
		dp->ctr.cap_grants++;
		log_warnx("filter: peer %u: grant refused: %u resources is the limit", p->id,
		    IPC_GRANTS_PER_CLIENT_MAX);
		return;
	}
	grant(dp, p, g);
}

void
dp_peer_revoke(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m)
{
	struct ipc_c2d_revoke r;

	memcpy(&r, m->payload, sizeof(r));
	if (filter_revoke(p->filter, r.resource_id) != PKT_OK)
		log_debug("filter: peer %u: revoke of an unknown resource", p->id);
	dp_flow_end(dp, p, r.resource_id, FLOWLOG_R_REVOKED);
}

void
dp_peer_dns_setup(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m)
{
	struct ipc_c2d_dns_setup *d = &dp->ipc_scratch.dns_setup;

	memcpy(d, m->payload, sizeof(*d));
	dns_setup(dp, p, d);
}

void
dp_relay_set(struct dp *dp, const struct ipc_msg *m)
{
	struct ipc_c2d_relay r;
	char b1[ADDR_STRLEN];

	memcpy(&r, m->payload, sizeof(r));
	if (relaytab_server(&dp->relays, &r.server, r.add) < 0) {
		dp->ctr.cap_relays++;
		log_warnx("turn: too many relays (%u); %s ignored", RELAYTAB_SERVERS_MAX,
		    addr_fmt(&r.server, b1, sizeof(b1)));
	} else
		log_debug("turn: relay %s %s", addr_fmt(&r.server, b1, sizeof(b1)),
		    r.add ? "added" : "removed");
}

void
dp_relay_channel(struct dp *dp, const struct ipc_msg *m)
{
	struct ipc_c2d_channel ch;
	char b1[ADDR_STRLEN];
	int rc;

	memcpy(&ch, m->payload, sizeof(ch));
	if ((rc = relaytab_channel(&dp->relays, &ch)) == RELAYTAB_EFULL) {
		dp->ctr.cap_channels++;
		log_warnx("turn: channel 0x%04x on %s refused: %u channels is the limit",
		    ch.channel, addr_fmt(&ch.server, b1, sizeof(b1)), RELAYTAB_CHANNELS_MAX);
	} else if (rc < 0) {
		log_warnx("turn: channel 0x%04x on %s refused", ch.channel,
		    addr_fmt(&ch.server, b1, sizeof(b1)));
	}
}

void
dp_peer_p2p_control(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m)
{
	uint8_t pkt[48 + IPC_P2P_BODY_MAX];
	struct ipc_p2p_control c;
	size_t plen;

	memcpy(&c, m->payload, sizeof(c));
	/* ipc_recv checked c.len against the message; the buffer is ours. */
	if (c.len > IPC_P2P_BODY_MAX)
		return;
	plen = 8 + (size_t)c.len;
	memset(pkt, 0, 48);
	pkt[0] = 0x60;                      /* version 6, class 0, flow 0 */
	pkt[4] = (uint8_t)(plen >> 8);
	pkt[5] = (uint8_t)plen;
	pkt[6] = PKT_P2P_CONTROL_NH;        /* next header 255, hop limit 0, :: -> :: */
	pkt[40] = c.event;
	memcpy(pkt + 48, m->payload + sizeof(c), c.len);
	(void)dp_wg_send_data(dp, p, pkt, 48 + (size_t)c.len, 0, util_now_ms());
}

