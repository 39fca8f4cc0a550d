/*
 * wg_receive.c - WireGuard receive side of the dataplane: a datagram udp.c
 * classified as WireGuard is a handshake initiation, response or cookie
 * reply (answered on the way it came), or data: decrypted, checked against
 * the client's tunnel addresses and grants (filter.h), translated for DNS
 * resources (nat.h) and written to the TUN (tun_io.c); a p2p control
 * packet goes to control instead.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "addr.h"
#include "dataplane.h"
#include "log.h"
#include "nat64.h"
#include "packet.h"
#include "util.h"
#include "wg_timers.h"

static struct wg_noise_peer *
lookup_static(void *ctx, const uint8_t key[WG_KEY_LEN])
{
	struct dp *dp = ctx;
	struct dp_peer *p = peers_by_key(&dp->peers, key);

	return p != NULL ? &p->noise : NULL;
}

static struct dp_peer *
peer_of(struct wg_noise_peer *np)
{
	return (struct dp_peer *)((char *)np - offsetof(struct dp_peer, noise));
}

static void
learn_endpoint(struct dp_peer *p, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via)
{
	p->has_endpoint = 1;
	p->endpoint = *from;
	p->endpoint_local = *local;
	p->endpoint_relayed = via != NULL;
	if (via != NULL) {
		p->endpoint_server = via->server;
		p->endpoint_channel = via->channel;
	}
}

static void
handshake_done(struct dp *dp, struct dp_peer *p)
{
	dp->ctr.wg_handshakes++;
	if (!p->handshake_reported) {
		log_info("wg: peer %u: handshake done", p->id);
		p->handshake_reported = 1;
	} else {
		log_debug("wg: peer %u: new session", p->id);
	}
	dp_wg_peer_event(dp, p, IPC_PEER_EV_HANDSHAKE);
}

/* Verify mac1 (and mac2 under load); answer with a cookie reply if needed.
 * Returns 0 if the message may be processed. */
static int
check_macs(struct dp *dp, const uint8_t *msg, size_t n, const struct ipc_addr *local,
    const struct ipc_addr *from, const struct dp_via *via, uint64_t now)
{
	struct sockaddr_storage ss;
	uint8_t src[WG_COOKIE_ADDR_MAX], reply[WG_COOKIE_REPLY_LEN];
	size_t sl;
	bool under;
	int rc;

	if (addr_to_sockaddr(from, &ss) == 0 ||
	    (sl = wg_cookie_addr_bytes(src, (struct sockaddr *)&ss)) == 0)
		return -1;
	under = wg_cookie_under_load(&dp->cookie_checker, now);
	rc = wg_cookie_validate(&dp->cookie_checker, msg, n, src, sl, now, under);
	if (rc == WG_OK)
		return 0;
	if (rc == WG_ERR_COOKIE_REQUIRED &&
	    wg_cookie_create_reply(&dp->cookie_checker, msg, n, src, sl, now, reply) == WG_OK) {
		/* Under load: prove the source address before any DH work. */
		if (dp_wg_send_back(dp, from, local, via, reply, sizeof(reply)) == 0)
			dp->ctr.wg_cookie_replies++;
		return -1;
	}
	dp->ctr.wg_drop_mac++;
	return -1;
}

static void
on_initiation(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via, uint8_t *msg, size_t n, uint64_t now)
{
	struct wg_noise_peer *np = NULL;
	struct dp_peer *p;
	uint8_t resp[WG_RESPONSE_LEN];
	int rc;

	if (check_macs(dp, msg, n, local, from, via, now) < 0)
		return;
	rc = wg_noise_consume_initiation(&dp->wg_local, msg, n, now, lookup_static, dp, &np);
	if (rc != WG_OK || np == NULL) {
		dp->ctr.wg_drop_handshake++;
		log_debug("wg: initiation refused: %s", wg_strerror(rc));
		return;
	}
	p = peer_of(np);
	dp->ctr.wg_handshakes_started++;
	if ((rc = wg_noise_create_response(np, now, resp)) != WG_OK ||
	    (rc = wg_cookie_add_macs(&p->cookie, resp, sizeof(resp), now)) != WG_OK) {
		log_debug("wg: peer %u: cannot answer: %s", p->id, wg_strerror(rc));
		return;
	}
	learn_endpoint(p, local, from, via);
	wg_timers_any_authenticated_packet_received(&p->timers, now);
	wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	/* Answer on the way the initiation came. */
	if (dp_wg_send_back(dp, from, local, via, resp, sizeof(resp)) == 0) {
		wg_timers_session_derived(&p->timers, now);
		wg_timers_any_authenticated_packet_sent(&p->timers, now);
		wg_timers_any_authenticated_packet_traversal(&p->timers, now);
		log_debug("wg: peer %u: handshake response sent", p->id);
	}
	OPENSSL_cleanse(resp, sizeof(resp));
	dp_wg_arm_timer(p);
}

static void
on_response(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via, uint8_t *msg, size_t n, uint64_t now)
{
	struct wg_noise_peer *np = NULL;
	struct dp_peer *p;
	int rc;

	if (check_macs(dp, msg, n, local, from, via, now) < 0)
		return;
	rc = wg_noise_consume_response(&dp->wg_local, msg, n, now, &np);
	if (rc != WG_OK || np == NULL) {
		dp->ctr.wg_drop_handshake++;
		log_debug("wg: response refused: %s", wg_strerror(rc));
		return;
	}
	p = peer_of(np);
	learn_endpoint(p, local, from, via);
	wg_timers_any_authenticated_packet_received(&p->timers, now);
	wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	wg_timers_handshake_complete(&p->timers, now);
	wg_timers_session_derived(&p->timers, now);
	handshake_done(dp, p);
	/* A keepalive lets the responder confirm its new keys at once. */
	(void)dp_wg_send_data(dp, p, NULL, 0, 0, now);
	dp_wg_arm_timer(p);
}

static void
on_cookie_reply(struct dp *dp, const uint8_t *msg, size_t n, uint64_t now)
{
	struct wg_noise_peer *np = wg_noise_lookup_index(&dp->wg_local, wg_noise_get_le32(msg + 4));

	if (np == NULL || wg_cookie_consume_reply(&peer_of(np)->cookie, msg, n, now) != WG_OK)
		dp->ctr.wg_drop_handshake++;
}

/* A p2p control packet from a client: its event and JSON go to control. */
static void
forward_p2p_control(struct dp *dp, struct dp_peer *p, const uint8_t *pkt, size_t len)
{
	uint8_t buf[sizeof(struct ipc_p2p_control) + IPC_P2P_BODY_MAX];
	struct ipc_p2p_control c;
	size_t body;

	/* Each client gets its own rate, so one cannot crowd out the others'
	 * events on the way to control (issue 19). */
	if (!peers_p2p_control_take(p, util_now_ms())) {
		dp->ctr.cap_p2p_control++;
		return;
	}
	/* IPv6 header (40), then event type and 7 reserved bytes. */
	if (len < 48 || (body = len - 48) > IPC_P2P_BODY_MAX) {
		dp->ctr.wg_drop_malformed++;
		return;
	}
	memset(&c, 0, sizeof(c));
	c.event = pkt[40];
	c.len = (uint16_t)body;
	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), pkt + 48, body);
	if (ipc_send(&dp->ipc, IPC_D2C_P2P_CONTROL, p->id, buf, sizeof(c) + body, -1, 0) != IPC_OK)
		dp->ctr.stun_dropped++;
}

static void
on_data(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via, uint8_t *msg, size_t n, uint8_t ecn, uint64_t now)
{
	struct wg_noise_peer *np = NULL;
	struct dp_peer *p;
	struct pkt_info pi;
	uint8_t *pt = msg + WG_DATA_HEADER_LEN;
	size_t ptlen = 0, len;
	bool confirmed = false;
	enum filter_deny why;
	int rc;

	rc = wg_noise_decrypt(&dp->wg_local, msg, n, now, pt, n - WG_DATA_HEADER_LEN, &ptlen, &np,
	    &confirmed);
	if (rc == WG_ERR_REPLAY) {
		dp->ctr.wg_drop_replay++;
		return;
	}
	if (rc != WG_OK || np == NULL) {
		dp->ctr.wg_drop_decrypt++;
		return;
	}
	p = peer_of(np);
	learn_endpoint(p, local, from, via);
	wg_timers_any_authenticated_packet_received(&p->timers, now);
	wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	if (confirmed) {
		wg_timers_handshake_complete(&p->timers, now);
		handshake_done(dp, p);
	}
	if (wg_noise_should_rekey_after_receive(&p->noise, now) && wg_timers_may_initiate(&p->timers, now))
		dp_wg_send_initiation(dp, p, now);
	if (ptlen == 0) {
		dp_wg_arm_timer(p);
		return; /* keepalive */
	}
	wg_timers_data_received(&p->timers, now);
	dp_wg_arm_timer(p);
	dp->ctr.wg_rx_data++;
	dp_wg_note_traffic(dp, p, now);
	if (pkt_parse(pt, ptlen, &pi) != PKT_OK || pkt_l4_truncated(&pi)) {
		dp->ctr.wg_drop_malformed++;
		return;
	}
	if (pkt_is_p2p_control(&pi)) {
		/* Never written to the TUN: control answers (§5). */
		forward_p2p_control(dp, p, pt, pi.tot_len);
		return;
	}
	/* Congestion met on the way here: the inner packet learns of it if its
	 * sender speaks ECN (RFC 6040 decapsulation); nothing else changes. */
	if (ecn == PKT_ECN_CE)
		(void)pkt_ecn_mark_ce(pt, &pi);
	/* Gateway address, hairpin, proxy IPs, then grants (filter.h). */
	rc = filter_check(p->filter, &dp->gw, &pi, (int64_t)time(NULL), &why);
	if (rc == PKT_E_SPOOF) {
		dp->ctr.wg_drop_spoofed++;
		return;
	}
	if (rc == PKT_E_FRAG) {
		dp->ctr.wg_drop_malformed++;	/* no ICMP error about a fragment */
		return;
	}
	if (rc != PKT_OK) {
		dp->ctr.wg_drop_denied++;
		dp_wg_send_prohibited(dp, p, pt, pi.tot_len, now, why);
		return;
	}
	len = pi.tot_len;
	if (filter_is_proxy_range(&pi.dst)) {
		/* A DNS resource's proxy IP: forwarded only once rewritten to
		 * the real address (room for NAT46 growth in dp->xbuf). */
		uint8_t *xbuf = dp->xbuf;
		if (len > DP_PKT_BUF) {
			dp->ctr.wg_drop_malformed++;
			return;
		}
		memcpy(xbuf, pt, len);
		if ((rc = nat_out(dp->nat, p->nat_slot, xbuf, &len, sizeof(dp->xbuf), now)) != 1) {
			dp->ctr.wg_drop_denied++;
			if (rc == 0)	/* no translation: nothing to send it to */
				dp_wg_send_prohibited(dp, p, pt, pi.tot_len, now, FILTER_DENY_UNREACHABLE);
			return;
		}
		p->rx_bytes += pi.tot_len;
		dp->ctr.wg_rx_bytes += pi.tot_len;
		dp_flow_from_client(dp, p, &pi, pt, now);
		dp_tun_out(dp, xbuf, len);
		return;
	}
	p->rx_bytes += pi.tot_len;
	dp->ctr.wg_rx_bytes += pi.tot_len;
	dp_flow_from_client(dp, p, &pi, pt, now);
	dp_tun_out(dp, pt, len);
}

void
dp_wg_receive(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via, uint8_t *p, size_t n, uint8_t ecn)
{
	uint64_t now = util_now_ms();

	switch (wg_message_type(p, n)) {
	case WG_MSG_INITIATION:
		on_initiation(dp, local, from, via, p, n, now);
		break;
	case WG_MSG_RESPONSE:
		on_response(dp, local, from, via, p, n, now);
		break;
	case WG_MSG_COOKIE_REPLY:
		on_cookie_reply(dp, p, n, now);
		break;
	case WG_MSG_DATA:
		on_data(dp, local, from, via, p, n, ecn, now);
		break;
	default:
		dp->ctr.drop_garbage++;
		break;
	}
}
