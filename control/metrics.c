/*
 * metrics.c - /metrics in the Prometheus text exposition format 0.0.4:
 * the dataplane's counters (as of its last once-a-second report) and
 * control's own.  Names follow Prometheus conventions: a
 * firezone_gateway_ prefix, _total for counters, base units.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "control.h"
#include "dnsserver.h"
#include "ice.h"
#include "metrics.h"

static void
header(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP firezone_gateway_%s %s\n# TYPE firezone_gateway_%s %s\n",
	    name, help, name, type);
}

static void
one(struct evbuffer *b, const char *name, const char *type, const char *help, uint64_t v)
{
	header(b, name, type, help);
	evbuffer_add_printf(b, "firezone_gateway_%s %llu\n", name, (unsigned long long)v);
}

void
metrics_render(void *arg, struct evbuffer *b)
{
	struct ctl *c = arg;
	const struct ipc_d2c_counters *d = &c->dp_counters;
	static const struct {
		const char *reason;
		size_t off;
	} drops[] = {
		{ "no_peer", offsetof(struct ipc_d2c_counters, tun_drop_no_peer) },
		{ "no_session", offsetof(struct ipc_d2c_counters, tun_drop_no_session) },
		{ "decryption_failed", offsetof(struct ipc_d2c_counters, wg_drop_decrypt) },
		{ "replay", offsetof(struct ipc_d2c_counters, wg_drop_replay) },
		{ "bad_mac", offsetof(struct ipc_d2c_counters, wg_drop_mac) },
		{ "handshake_refused", offsetof(struct ipc_d2c_counters, wg_drop_handshake) },
		{ "spoofed_source", offsetof(struct ipc_d2c_counters, wg_drop_spoofed) },
		{ "denied_by_filter", offsetof(struct ipc_d2c_counters, wg_drop_denied) },
		{ "malformed", offsetof(struct ipc_d2c_counters, wg_drop_malformed) },
		{ "malformed_tun", offsetof(struct ipc_d2c_counters, tun_drop_malformed) },
		{ "garbage", offsetof(struct ipc_d2c_counters, drop_garbage) },
		{ "oversize", offsetof(struct ipc_d2c_counters, drop_oversize) },
		{ "bad_local_address", offsetof(struct ipc_d2c_counters, drop_local) },
		{ "no_channel", offsetof(struct ipc_d2c_counters, drop_no_channel) },
		{ "queue_full", offsetof(struct ipc_d2c_counters, stun_dropped) },
		{ "inbound_denied", offsetof(struct ipc_d2c_counters, tun_drop_inbound_denied) },
	};
	struct dnsserver_counters dc;
	static const struct {
		const char *table;
		size_t off;
	} caps[] = {
		{ "peers", offsetof(struct ipc_d2c_counters, cap_peers) },
		{ "grants", offsetof(struct ipc_d2c_counters, cap_grants) },
		{ "relays", offsetof(struct ipc_d2c_counters, cap_relays) },
		{ "channels", offsetof(struct ipc_d2c_counters, cap_channels) },
		{ "udp_sockets", offsetof(struct ipc_d2c_counters, cap_udp_sockets) },
		{ "p2p_control", offsetof(struct ipc_d2c_counters, cap_p2p_control) },
		{ "translations", offsetof(struct ipc_d2c_counters, cap_translations) },
		{ "dns_names", offsetof(struct ipc_d2c_counters, cap_dns_names) },
	};
	size_t i, direct = 0, relayed = 0;
	struct p2p_conn *pc;
	uint64_t v;

	header(b, "packets_total", "counter", "WireGuard data packets, by direction.");
	evbuffer_add_printf(b, "firezone_gateway_packets_total{direction=\"rx\"} %llu\n"
	    "firezone_gateway_packets_total{direction=\"tx\"} %llu\n",
	    (unsigned long long)d->wg_rx_data, (unsigned long long)d->wg_tx_data);
	header(b, "bytes_total", "counter", "Inner IP bytes through the tunnels, by direction.");
	evbuffer_add_printf(b, "firezone_gateway_bytes_total{direction=\"rx\"} %llu\n"
	    "firezone_gateway_bytes_total{direction=\"tx\"} %llu\n",
	    (unsigned long long)d->wg_rx_bytes, (unsigned long long)d->wg_tx_bytes);
	header(b, "dropped_packets_total", "counter", "Packets dropped, by reason.");
	for (i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		memcpy(&v, (const char *)d + drops[i].off, sizeof(v));
		evbuffer_add_printf(b, "firezone_gateway_dropped_packets_total{reason=\"%s\"} %llu\n",
		    drops[i].reason, (unsigned long long)v);
	}
	header(b, "handshakes_total", "counter", "WireGuard handshakes, by outcome.");
	evbuffer_add_printf(b, "firezone_gateway_handshakes_total{result=\"started\"} %llu\n"
	    "firezone_gateway_handshakes_total{result=\"completed\"} %llu\n"
	    "firezone_gateway_handshakes_total{result=\"failed\"} %llu\n",
	    (unsigned long long)d->wg_handshakes_started, (unsigned long long)d->wg_handshakes,
	    (unsigned long long)(d->wg_drop_handshake + d->wg_drop_mac));
	header(b, "caps_hit_total", "counter",
	    "Requests refused because a dataplane table or a client's rate limit was full, by table.");
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		memcpy(&v, (const char *)d + caps[i].off, sizeof(v));
		evbuffer_add_printf(b, "firezone_gateway_caps_hit_total{table=\"%s\"} %llu\n",
		    caps[i].table, (unsigned long long)v);
	}
	header(b, "control_requests_refused_total", "counter",
	    "Requests of the control process that the dataplane refused, by reason.");
	evbuffer_add_printf(b,
	    "firezone_gateway_control_requests_refused_total{reason=\"duplicate_tunnel_address\"} %llu\n"
	    "firezone_gateway_control_requests_refused_total{reason=\"bad_socket\"} %llu\n",
	    (unsigned long long)d->refused_peer_address, (unsigned long long)d->refused_socket);
	one(b, "cookie_replies_total", "counter", "Cookie replies sent under load.", d->wg_cookie_replies);
	one(b, "icmp_prohibited_total", "counter",
	    "ICMP administratively-prohibited replies sent for denied packets.", d->icmp_prohibited_sent);
	one(b, "icmp_unreachable_total", "counter",
	    "ICMP unreachable replies sent for refused destinations and untranslated proxy IPs.",
	    d->icmp_unreachable_sent);
	one(b, "clients_connected", "gauge", "Clients with a WireGuard peer in the dataplane.", d->peers);
	for (i = 0; i < P2P_BUCKETS; i++)
		for (pc = c->p2p.by_client[i]; pc != NULL; pc = pc->next_client) {
			if (!pc->nominated)
				continue;
			if (pc->relayed)
				relayed++;
			else
				direct++;
		}
	header(b, "connections", "gauge", "Client connections with a chosen path, by path.");
	evbuffer_add_printf(b, "firezone_gateway_connections{path=\"direct\"} %zu\n"
	    "firezone_gateway_connections{path=\"relayed\"} %zu\n", direct, relayed);
	one(b, "relays_allocated", "gauge", "TURN relays with a live allocation.",
	    c->portal_live ? turnmgr_allocated(&c->turn) : 0);
	one(b, "relay_failures_total", "counter", "TURN relays given up on.", c->turn.failures);
	one(b, "portal_connected", "gauge", "1 while joined to the portal.",
	    c->portal_live && portal_is_joined(&c->portal) ? 1 : 0);
	one(b, "portal_reconnects_total", "counter", "Portal connections lost or replaced.",
	    c->portal_live ? c->portal.reconnects : 0);
	one(b, "portal_messages_ignored_total", "counter", "Malformed or unknown portal events.",
	    c->msgs_ignored);
	one(b, "stun_received_total", "counter", "STUN datagrams handed to control.",
	    c->udp_rx_stun + c->udp_rx_relay);
	one(b, "flows_active", "gauge", "Flows in the flow-log table (0 when flow logs are off).",
	    d->flows_active);
	one(b, "flow_log_records_total", "counter", "Flow-log lines written.", d->flow_records);
	one(b, "flows_untracked_total", "counter",
	    "New flows not logged because the flow-log table or the client's share of it was full.", d->flows_untracked);
	dnsserver_counters(c->dnsserver, &dc);
	header(b, "dns_queries_total", "counter", "Client DNS queries forwarded on port 53535, by transport.");
	evbuffer_add_printf(b, "firezone_gateway_dns_queries_total{transport=\"udp\"} %llu\n"
	    "firezone_gateway_dns_queries_total{transport=\"tcp\"} %llu\n",
	    (unsigned long long)dc.queries_udp, (unsigned long long)dc.queries_tcp);
	one(b, "dns_answers_total", "counter", "Nameserver answers passed on to clients.", dc.answered);
	one(b, "dns_servfail_total", "counter", "SERVFAIL answers sent (timeout, error, no nameserver).",
	    dc.servfail);
	one(b, "dns_truncated_total", "counter", "UDP answers cut to 1200 bytes with TC set.", dc.truncated);
	header(b, "dns_dropped_total", "counter", "Client DNS queries or connections dropped, by reason.");
	evbuffer_add_printf(b, "firezone_gateway_dns_dropped_total{reason=\"malformed\"} %llu\n"
	    "firezone_gateway_dns_dropped_total{reason=\"limit\"} %llu\n",
	    (unsigned long long)dc.malformed, (unsigned long long)dc.limited);
	one(b, "process_start_time_seconds", "gauge", "Start time of the gateway, Unix seconds.",
	    (uint64_t)c->start_time);
}
