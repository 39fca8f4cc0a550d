/*
 * tunnel.c - the dataplane's tunnel state as a whole: set up once at start
 * (NAT tables for every client, the WireGuard key pair, index and cookie
 * checker, the peer and relay tables, the flow logs), the once-a-second
 * tick (NAT expiry, flow-log sweep, DNS refresh reports) and the teardown.
 * The packet work lives in wg_receive.c, wg_send.c and tun_io.c; the IPC
 * handlers in peer_ipc.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "dataplane.h"
#include "util.h"

/* NAT tables: sized for 10,000 clients (DP_NAT_CLIENTS slots), allocated
 * once at start. */
#define NAT_SESSIONS 262144
#define NAT_SESSIONS_PER_CLIENT 4096
#define NAT_TRANSLATIONS 65536
#define NAT_TRANSLATIONS_PER_CLIENT 2048	/* 32 hostile clients to fill the table */

void
dp_tunnel_tick(struct dp *dp)
{
	struct pkt_addr exp[4];
	struct ipc_d2c_dns_refresh r;
	struct dp_peer *p;
	uint64_t now = util_now_ms();
	size_t b, i, n;

	(void)nat_expire(dp->nat, now);
	dp_flows_tick(dp, now);
	/* Translations that went silent while the client kept sending: their
	 * names are resolved again (§4.6); control coalesces the reports. */
	for (b = 0; b < PEERS_BUCKETS; b++)
		for (p = dp->peers.by_id[b]; p != NULL; p = p->next_id) {
			n = nat_xlate_list_expired(dp->nat, p->nat_slot, now, exp, 4);
			for (i = 0; i < n && i < 4; i++) {
				memset(&r, 0, sizeof(r));
				r.proxy.family = exp[i].af;
				memcpy(r.proxy.addr, exp[i].b, exp[i].af == 4 ? 4 : 16);
				(void)ipc_send(&dp->ipc, IPC_D2C_DNS_REFRESH, p->id, &r, sizeof(r), -1, 0);
			}
		}
}

int
dp_tunnel_init(struct dp *dp)
{
	struct nat_config nc;
	uint32_t i;

	peers_init(&dp->peers);
	relaytab_init(&dp->relays);
	memset(&nc, 0, sizeof(nc));
	nc.max_clients = DP_NAT_CLIENTS;
	nc.max_sessions = NAT_SESSIONS;
	nc.max_sessions_per_client = NAT_SESSIONS_PER_CLIENT;
	nc.max_translations = NAT_TRANSLATIONS;
	nc.max_translations_per_client = NAT_TRANSLATIONS_PER_CLIENT;
	if (RAND_bytes((unsigned char *)&nc.seed, sizeof(nc.seed)) != 1 ||
	    (dp->nat = nat_new(&nc)) == NULL ||
	    (dp->nat_free = calloc(DP_NAT_CLIENTS, sizeof(uint32_t))) == NULL)
		return -1;
	for (i = 0; i < DP_NAT_CLIENTS; i++)
		dp->nat_free[i] = DP_NAT_CLIENTS - 1 - i;
	dp->nat_nfree = DP_NAT_CLIENTS;
	if (wg_index_init(&dp->wg_index, 1024) != WG_OK ||
	    wg_noise_local_init(&dp->wg_local, NULL, &dp->wg_index, NULL) != WG_OK ||
	    wg_cookie_checker_init(&dp->cookie_checker, dp->wg_local.pub, 0, NULL) != WG_OK)
		return -1;
	memcpy(dp->public_key, dp->wg_local.pub, sizeof(dp->public_key));
	dp_flows_start(dp);
	return 0;
}

void
dp_tunnel_free(struct dp *dp)
{
	size_t i;
	struct dp_peer *p;

	dp_flows_stop(dp);
	for (i = 0; i < PEERS_BUCKETS; i++)
		while ((p = dp->peers.by_id[i]) != NULL)
			dp_peer_free(dp, p);
	dp_flows_free(dp);
	relaytab_free(&dp->relays);
	nat_free(dp->nat);
	free(dp->nat_free);
	wg_cookie_checker_wipe(&dp->cookie_checker);
	wg_noise_local_wipe(&dp->wg_local);
	wg_index_free(&dp->wg_index);
}

