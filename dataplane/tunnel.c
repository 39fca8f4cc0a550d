/*
 * tunnel.c - the dataplane's packet work: WireGuard handshakes and
 * transport for every client, the client -> resource pipeline (decrypt,
 * anti-spoofing, filter, TUN) and the resource -> client pipeline (TUN,
 * peer by tunnel address, encrypt, send on the client's path), and the
 * per-client IPC messages from control.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "addr.h"
#include "dataplane.h"
#include "flowlog.h"
#include "icmp_gen.h"
#include "log.h"
#include "util.h"
#include "nat64.h"
#include "packet.h"
#include "wg_timers.h"

/* Data messages stay within the relay's datagram limit (p2p-wire.md §6). */
#define TUNNEL_PAD_LIMIT 1300
#define TUNNEL_BUF 2048
#define ICMP_REPLIES_PER_SECOND 20
/* NAT tables: sized for 10,000 clients, allocated once at start. */
#define NAT_CLIENTS 16384
#define NAT_SESSIONS 262144
#define NAT_SESSIONS_PER_CLIENT 4096
#define NAT_TRANSLATIONS 65536
#define NAT_TRANSLATIONS_PER_CLIENT 2048	/* 32 hostile clients to fill the table */

/*
 * Timer jitter only spreads handshakes in time; it protects no secret.  A
 * xorshift generator seeded once from RAND_bytes serves it: RAND_bytes per
 * data packet cost a getpid system call each (OpenSSL's fork check) and
 * was a tenth of the dataplane's time under load.
 */
static uint64_t jitter_state;

static uint32_t
jitter_ms(void)
{
	uint64_t x = jitter_state;

	if (x == 0) {
		if (RAND_bytes((unsigned char *)&x, sizeof(x)) != 1 || x == 0)
			x = util_now_ms() | 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	jitter_state = x;
	return (uint32_t)(x >> 32) % (WG_REKEY_TIMEOUT_JITTER_MAX_MS + 1);
}

static void
peer_event(struct dp *dp, struct dp_peer *p, uint8_t ev)
{
	struct ipc_d2c_peer_event e;

	memset(&e, 0, sizeof(e));
	e.event = ev;
	e.rx_bytes = p->rx_bytes;
	e.tx_bytes = p->tx_bytes;
	if (ipc_send(&dp->ipc, IPC_D2C_PEER_EVENT, p->id, &e, sizeof(e), -1, 1) != IPC_OK)
		dp_stop(dp, 1, "cannot report a peer event to control");
	else if (ipc_pending(&dp->ipc))
		dp_ipc_flush(dp);
}

/*
 * A TCP, UDP or ICMP packet whose transport header is cut short (and that
 * is not a fragment, whose header may span several) is malformed: dropped in
 * both directions rather than forwarded.
 */
static int
l4_truncated(const struct pkt_info *pi)
{
	switch (pi->proto) {
	case PKT_PROTO_TCP:
	case PKT_PROTO_UDP:
	case PKT_PROTO_ICMP:
	case PKT_PROTO_ICMPV6:
		return !pi->l4_ok && !pi->is_frag;
	default:
		return 0;
	}
}

/* Send bytes as ChannelData on a relay's channel. */
static int
send_channel(struct dp *dp, const struct ipc_addr *server, uint16_t channel, const uint8_t *buf,
    size_t len, uint8_t ecn)
{
	uint8_t cd[4 + TUNNEL_BUF];

	if (len > TUNNEL_BUF)
		return -1;
	cd[0] = (uint8_t)(channel >> 8);
	cd[1] = (uint8_t)channel;
	cd[2] = (uint8_t)(len >> 8);
	cd[3] = (uint8_t)len;
	memcpy(cd + 4, buf, len);
	return dp_udp_send(dp, server, NULL, cd, len + 4, ecn);
}

/* Answer on the way a datagram came. */
static int
send_back(struct dp *dp, const struct ipc_addr *to, const struct ipc_addr *local,
    const struct dp_via *via, const uint8_t *buf, size_t len)
{
	if (via != NULL)
		return send_channel(dp, &via->server, via->channel, buf, len, 0);
	return dp_udp_send(dp, to, local, buf, len, 0);
}

/* Send bytes to the client over its path (ICE nominated) or endpoint,
 * with the ECN bits ecn in the outer IP header. */
static int
peer_send(struct dp *dp, struct dp_peer *p, uint8_t *buf, size_t len, uint8_t ecn)
{
	if (p->has_path && p->path.via_relay)
		return send_channel(dp, &p->path.relay, p->path.channel, buf, len, ecn);
	if (p->has_path)
		return dp_udp_send(dp, &p->path.remote, &p->path.local, buf, len, ecn);
	if (p->has_endpoint && p->endpoint_relayed)
		return send_channel(dp, &p->endpoint_server, p->endpoint_channel, buf, len, ecn);
	if (p->has_endpoint)
		return dp_udp_send(dp, &p->endpoint, &p->endpoint_local, buf, len, ecn);
	return -1;
}

static void arm_timer(struct dp_peer *p);

/* Tell control that data flowed, at most once a second per peer. */
static void
note_traffic(struct dp *dp, struct dp_peer *p, uint64_t now)
{
	if (now - p->traffic_reported_ms < 1000 && p->traffic_reported_ms != 0)
		return;
	p->traffic_reported_ms = now;
	peer_event(dp, p, IPC_PEER_EV_TRAFFIC);
}

static void
send_initiation(struct dp *dp, struct dp_peer *p, uint64_t now)
{
	uint8_t msg[WG_INITIATION_LEN];
	struct timespec wall;
	int rc;

	clock_gettime(CLOCK_REALTIME, &wall);
	if ((rc = wg_noise_create_initiation(&p->noise, now, &wall, msg)) != WG_OK ||
	    (rc = wg_cookie_add_macs(&p->cookie, msg, sizeof(msg), now)) != WG_OK) {
		log_debug("wg: peer %u: cannot create an initiation: %s", p->id, wg_strerror(rc));
		return;
	}
	if (peer_send(dp, p, msg, sizeof(msg), 0) == 0) {
		dp->ctr.wg_handshakes_started++;
		log_debug("wg: peer %u: handshake initiation sent", p->id);
		wg_timers_handshake_initiated(&p->timers, now, jitter_ms());
		wg_timers_any_authenticated_packet_sent(&p->timers, now);
		wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	}
	OPENSSL_cleanse(msg, sizeof(msg));
}

/* Encrypt and send pt (NULL/0 = keepalive), the outer datagram carrying
 * the ECN bits ecn (those of pt, RFC 6040).  Returns 0 if sent. */
static int
send_data(struct dp *dp, struct dp_peer *p, const uint8_t *pt, size_t len, uint8_t ecn,
    uint64_t now)
{
	uint8_t out[TUNNEL_BUF];
	size_t olen = 0;
	int rc;

	rc = wg_noise_encrypt(&p->noise, now, pt, len, TUNNEL_PAD_LIMIT, out, sizeof(out), &olen);
	if (rc == WG_ERR_NO_SESSION || rc == WG_ERR_EXPIRED) {
		if (wg_timers_may_initiate(&p->timers, now))
			send_initiation(dp, p, now);
		arm_timer(p);
		return -1;
	}
	if (rc != WG_OK)
		return -1;
	if (peer_send(dp, p, out, olen, ecn) < 0)
		return -1;
	if (len > 0) {
		p->tx_bytes += len;
		dp->ctr.wg_tx_data++;
		dp->ctr.wg_tx_bytes += len;
		wg_timers_data_sent(&p->timers, now, jitter_ms());
		note_traffic(dp, p, now);
	}
	wg_timers_any_authenticated_packet_sent(&p->timers, now);
	wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	if (wg_noise_should_rekey_after_send(&p->noise, now) && wg_timers_may_initiate(&p->timers, now))
		send_initiation(dp, p, now);
	arm_timer(p);
	return 0;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dp_peer *p = arg;
	struct dp *dp = p->noise.local == NULL ? NULL : (struct dp *)p->noise.user;
	uint64_t now = util_now_ms();
	unsigned int act;

	(void)fd;
	(void)what;
	if (dp == NULL)
		return;
	act = wg_timers_tick(&p->timers, now, NULL);
	if (act & WG_TIMERS_EXPIRE_SESSION) {
		wg_noise_expire_keys(&p->noise);
		log_info("wg: peer %u: session keys expired", p->id);
		peer_event(dp, p, IPC_PEER_EV_EXPIRED);
		p->handshake_reported = 0;
	}
	if (act & WG_TIMERS_GIVE_UP) {
		log_info("wg: peer %u: no answer to handshakes for %d s; giving up", p->id,
		    WG_REKEY_ATTEMPT_TIME_MS / 1000);
		wg_timers_stop(&p->timers);
		wg_noise_clear_handshake(&p->noise);
		peer_event(dp, p, IPC_PEER_EV_GAVE_UP);
	} else if (act & WG_TIMERS_INITIATE_HANDSHAKE) {
		send_initiation(dp, p, now);
	}
	if (act & WG_TIMERS_SEND_KEEPALIVE)
		(void)send_data(dp, p, NULL, 0, 0, now);
	arm_timer(p);
}

static void
arm_timer(struct dp_peer *p)
{
	uint64_t dl = wg_timers_next_deadline(&p->timers), now;
	struct timeval tv;

	if (p->ev_timer == NULL)
		return;
	if (dl == WG_TIMERS_NEVER) {
		event_del(p->ev_timer);
		return;
	}
	now = util_now_ms();
	dl = dl > now ? dl - now : 0;
	tv.tv_sec = (time_t)(dl / 1000);
	tv.tv_usec = (suseconds_t)((dl % 1000) * 1000);
	evtimer_add(p->ev_timer, &tv);
}

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
	peer_event(dp, p, IPC_PEER_EV_HANDSHAKE);
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
		if (send_back(dp, from, local, via, reply, sizeof(reply)) == 0)
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
	if (send_back(dp, from, local, via, resp, sizeof(resp)) == 0) {
		wg_timers_session_derived(&p->timers, now);
		wg_timers_any_authenticated_packet_sent(&p->timers, now);
		wg_timers_any_authenticated_packet_traversal(&p->timers, now);
		log_debug("wg: peer %u: handshake response sent", p->id);
	}
	OPENSSL_cleanse(resp, sizeof(resp));
	arm_timer(p);
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
	(void)send_data(dp, p, NULL, 0, 0, now);
	arm_timer(p);
}

static void
on_cookie_reply(struct dp *dp, const uint8_t *msg, size_t n, uint64_t now)
{
	struct wg_noise_peer *np = wg_noise_lookup_index(&dp->wg_local, wg_noise_get_le32(msg + 4));

	if (np == NULL || wg_cookie_consume_reply(&peer_of(np)->cookie, msg, n, now) != WG_OK)
		dp->ctr.wg_drop_handshake++;
}

/* Reply to a denied packet with "administratively prohibited" (or, for
 * why FILTER_DENY_UNREACHABLE, "unreachable"), bounded. */
static void
send_prohibited(struct dp *dp, struct dp_peer *p, const uint8_t *pkt, size_t len, uint64_t now,
    enum filter_deny why)
{
	uint8_t out[1400];
	int n;

	if (p->icmp_window != now / 1000) {
		p->icmp_window = now / 1000;
		p->icmp_sent = 0;
	}
	if (p->icmp_sent >= ICMP_REPLIES_PER_SECOND)
		return;
	if (why == FILTER_DENY_UNREACHABLE)
		n = icmp_gen_unreachable(pkt, len, out, sizeof(out));
	else
		n = icmp_gen_prohibited(pkt, len, out, sizeof(out));
	if (n <= 0)
		return;
	p->icmp_sent++;
	if (send_data(dp, p, out, (size_t)n, 0, now) != 0)
		return;
	if (why == FILTER_DENY_UNREACHABLE)
		dp->ctr.icmp_unreachable_sent++;
	else
		dp->ctr.icmp_prohibited_sent++;
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

/* Control's answer: frame it as a p2p control packet and send it. */
static void
send_p2p_control(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m)
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
	(void)send_data(dp, p, pkt, 48 + (size_t)c.len, 0, util_now_ms());
}

/* ---- flow logs (issue 11): hooks into both pipelines --------------------- */

struct flow_ctx {
	struct dp *dp;
	struct dp_peer *p;
};

static int64_t
wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
flow_emit(void *arg, const char *line, size_t len)
{
	(void)arg;
	log_write_line(line, len);
}

/* A new flow's client, resource and (DNS resources) real destination. */
static void
flow_meta(void *arg, uint32_t peer, const struct pkt_info *pi, struct flowlog_meta *m)
{
	struct flow_ctx *fc = arg;

	(void)peer;
	memcpy(m->client_id, fc->p->client_id, sizeof(m->client_id));
	m->has_resource = filter_resource_of(fc->p->filter, pi, m->resource_id);
	if (filter_is_proxy_range(&pi->dst) &&
	    nat_xlate_get(fc->dp->nat, fc->p->nat_slot, &pi->dst, &m->real_dst) != PKT_OK)
		m->real_dst.af = 0;
}

/* A client -> resource packet the filter admitted. */
static void
flow_from_client(struct dp *dp, struct dp_peer *p, const struct pkt_info *pi, const uint8_t *pkt,
    uint64_t now)
{
	struct flow_ctx fc = { dp, p };

	if (dp->flows != NULL)
		(void)flowlog_client_packet(dp->flows, p->id, pi, pkt, now, flow_meta, &fc);
}

/* A resource -> client packet after NAT-in, pi its parse. */
static void
flow_to_client(struct dp *dp, struct dp_peer *p, const uint8_t *pkt, const struct pkt_info *pi,
    uint64_t now)
{
	if (dp->flows == NULL)
		return;
	(void)flowlog_resource_packet(dp->flows, p->id, pi, pkt, now);
}

/* End the flows of a peer (resource NULL) or of one of its resources. */
static void
flow_end(struct dp *dp, struct dp_peer *p, const uint8_t *resource, enum flowlog_reason why)
{
	if (dp->flows != NULL)
		(void)flowlog_end_peer(dp->flows, p->id, resource, why, util_now_ms(), wall_now_ms());
}

static void
flows_start(struct dp *dp)
{
	struct flowlog_config fc;
	unsigned int interval;

	if (!config_flow_logs(&interval))
		return;
	memset(&fc, 0, sizeof(fc));
	fc.max_flows = FLOWLOG_MAX_FLOWS;
	fc.max_flows_per_peer = FLOWLOG_MAX_FLOWS_PER_PEER;
	fc.interval_s = interval;
	fc.procname = log_procname();
	fc.pid = (int)getpid();
	fc.emit = flow_emit;
	if (RAND_bytes((unsigned char *)&fc.seed, sizeof(fc.seed)) != 1 ||
	    (dp->flows = flowlog_new(&fc)) == NULL)
		log_warnx("flow logs: cannot allocate the table of %u flows; flow logs are off",
		    FLOWLOG_MAX_FLOWS);
	else
		log_info("flow logs: on, a line per flow when it ends and every %u s (up to %u flows)",
		    interval, FLOWLOG_MAX_FLOWS);
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
		send_initiation(dp, p, now);
	if (ptlen == 0) {
		arm_timer(p);
		return; /* keepalive */
	}
	wg_timers_data_received(&p->timers, now);
	arm_timer(p);
	dp->ctr.wg_rx_data++;
	note_traffic(dp, p, now);
	if (pkt_parse(pt, ptlen, &pi) != PKT_OK || l4_truncated(&pi)) {
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
		send_prohibited(dp, p, pt, pi.tot_len, now, why);
		return;
	}
	len = pi.tot_len;
	if (filter_is_proxy_range(&pi.dst)) {
		/* A DNS resource's proxy IP: forwarded only once rewritten to
		 * the real address (room for NAT46 growth in our own buffer). */
		static uint8_t xbuf[TUNNEL_BUF + NAT64_GROWTH];
		if (len > TUNNEL_BUF) {
			dp->ctr.wg_drop_malformed++;
			return;
		}
		memcpy(xbuf, pt, len);
		if ((rc = nat_out(dp->nat, p->nat_slot, xbuf, &len, sizeof(xbuf), now)) != 1) {
			dp->ctr.wg_drop_denied++;
			if (rc == 0)	/* no translation: nothing to send it to */
				send_prohibited(dp, p, pt, pi.tot_len, now, FILTER_DENY_UNREACHABLE);
			return;
		}
		p->rx_bytes += pi.tot_len;
		dp->ctr.wg_rx_bytes += pi.tot_len;
		flow_from_client(dp, p, &pi, pt, now);
		dp_tun_out(dp, xbuf, len);
		return;
	}
	p->rx_bytes += pi.tot_len;
	dp->ctr.wg_rx_bytes += pi.tot_len;
	flow_from_client(dp, p, &pi, pt, now);
	dp_tun_out(dp, pt, len);
}

void
dp_tunnel_udp(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via, uint8_t *p, size_t n, uint8_t ecn)
{
	uint64_t now = util_now_ms();

	switch (wg_noise_message_type(p, n)) {
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

void
dp_tunnel_tun_packet(struct dp *dp, uint8_t *pkt, size_t n, size_t cap)
{
	struct pkt_info pi;
	struct dp_peer *p;
	size_t len;
	uint64_t now;
	int xl;

	if (pkt_parse(pkt, n, &pi) != PKT_OK || l4_truncated(&pi)) {
		dp->ctr.tun_drop_malformed++;
		return;
	}
	if (!filter_tun_source_ok(&dp->gw, &pi.src)) {
		/* another client's tunnel address: no hairpin through the host */
		dp->ctr.tun_drop_no_peer++;
		return;
	}
	p = peers_by_tun(&dp->peers, pi.version, pi.dst.b);
	if (p == NULL) {
		dp->ctr.tun_drop_no_peer++;
		return;
	}
	len = pi.tot_len;
	now = util_now_ms();
	/* Replies of DNS-resource sessions go back to the proxy IP; a late
	 * reply to a session that went is not passed on untranslated. */
	if ((xl = nat_in(dp->nat, p->nat_slot, pkt, &len, cap, now)) < 0) {
		if (xl == PKT_E_EXPIRED)
			dp->ctr.tun_drop_inbound_denied++;
		else
			dp->ctr.tun_drop_malformed++;
		return;
	}
	if (xl > 0 && pkt_parse(pkt, len, &pi) != PKT_OK) {
		dp->ctr.tun_drop_malformed++;
		return;
	}
	/* Only what a grant of this client admits, by source (filter.h). */
	if (filter_check_inbound(p->filter, &dp->gw, &pi, (int64_t)time(NULL)) != PKT_OK) {
		dp->ctr.tun_drop_inbound_denied++;
		return;
	}
	flow_to_client(dp, p, pkt, &pi, now);
	/* the inner packet's ECN bits go on the outer datagram (RFC 6040) */
	if (send_data(dp, p, pkt, len, pkt_ecn(&pi), now) < 0)
		dp->ctr.tun_drop_no_session++;
}

/* ---- per-client IPC ------------------------------------------------------ */

static void
peer_free(struct dp *dp, struct dp_peer *p)
{
	flow_end(dp, p, NULL, FLOWLOG_R_PEER_REMOVED);
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
on_peer_add(struct dp *dp, uint32_t id, const struct ipc_c2d_peer_add *a)
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
		peer_free(dp, old);
	}
	if ((old = peers_by_key(&dp->peers, a->public_key)) != NULL) {
		log_warnx("wg: peer %u has the key of peer %u, which is removed", id, old->id);
		peer_free(dp, old);
	}
	if (dp->nat_nfree == 0) {
		dp->ctr.cap_peers++;
		log_warnx("wg: peer %u refused: %u clients is the limit", id, NAT_CLIENTS);
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
	p->ev_timer = evtimer_new(dp->base, timer_cb, p);
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

static void
on_peer_path(struct dp *dp, struct dp_peer *p, const struct ipc_c2d_peer_path *pp)
{
	char r[ADDR_STRLEN], rl[ADDR_STRLEN];

	(void)dp;
	p->path = *pp;
	p->has_path = 1;
	if (pp->via_relay)
		log_info("wg: peer %u: path via relay %s channel 0x%04x to %s", p->id,
		    addr_fmt(&pp->relay, rl, sizeof(rl)), pp->channel, addr_fmt(&pp->remote, r, sizeof(r)));
	else
		log_info("wg: peer %u: direct path to %s", p->id, addr_fmt(&pp->remote, r, sizeof(r)));
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

/* gateway-dataplane.md §4.3 steps 2-5 (control did step 1). */
static void
on_dns_setup(struct dp *dp, struct dp_peer *p, const struct ipc_c2d_dns_setup *d)
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

static void
on_grant(struct dp *dp, struct dp_peer *p, const struct ipc_c2d_grant *g)
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
dp_tunnel_ipc(struct dp *dp, const struct ipc_msg *m)
{
	struct dp_peer *p;
	uint32_t id = m->hdr.peer_id;
	char b1[ADDR_STRLEN];

	if (m->hdr.type == IPC_C2D_RELAY) {
		struct ipc_c2d_relay r;
		memcpy(&r, m->payload, sizeof(r));
		if (relaytab_server(&dp->relays, &r.server, r.add) < 0) {
			dp->ctr.cap_relays++;
			log_warnx("turn: too many relays (%u); %s ignored", RELAYTAB_SERVERS_MAX,
			    addr_fmt(&r.server, b1, sizeof(b1)));
		} else
			log_debug("turn: relay %s %s", addr_fmt(&r.server, b1, sizeof(b1)),
			    r.add ? "added" : "removed");
		return;
	}
	if (m->hdr.type == IPC_C2D_CHANNEL) {
		struct ipc_c2d_channel ch;
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
		return;
	}

	if (m->hdr.type == IPC_C2D_PEER_ADD) {
		struct ipc_c2d_peer_add a;
		memcpy(&a, m->payload, sizeof(a));
		on_peer_add(dp, id, &a);
		OPENSSL_cleanse(&a, sizeof(a));
		return;
	}
	if ((p = peers_by_id(&dp->peers, id)) == NULL) {
		log_warnx("ipc: %s for unknown peer %u ignored", ipc_type_name(m->hdr.type), id);
		return;
	}
	switch (m->hdr.type) {
	case IPC_C2D_PEER_REMOVE:
		log_info("wg: peer %u removed", id);
		peer_free(dp, p);
		break;
	case IPC_C2D_PEER_PATH: {
		struct ipc_c2d_peer_path pp;
		memcpy(&pp, m->payload, sizeof(pp));
		on_peer_path(dp, p, &pp);
		break;
	}
	case IPC_C2D_GRANT: {
		static struct ipc_c2d_grant g;
		memcpy(&g, m->payload, sizeof(g));
		/* A new resource beyond the per-client limit is refused; a
		 * re-grant of one it holds still updates it. */
		if (!filter_has(p->filter, g.resource_id, NULL) &&
		    filter_count(p->filter) >= IPC_GRANTS_PER_CLIENT_MAX) {
			dp->ctr.cap_grants++;
			log_warnx("filter: peer %u: grant refused: %u resources is the limit", id,
			    IPC_GRANTS_PER_CLIENT_MAX);
			break;
		}
		on_grant(dp, p, &g);
		break;
	}
	case IPC_C2D_DNS_SETUP: {
		static struct ipc_c2d_dns_setup d;
		memcpy(&d, m->payload, sizeof(d));
		on_dns_setup(dp, p, &d);
		break;
	}
	case IPC_C2D_P2P_CONTROL:
		send_p2p_control(dp, p, m);
		break;
	case IPC_C2D_REVOKE: {
		struct ipc_c2d_revoke r;
		memcpy(&r, m->payload, sizeof(r));
		if (filter_revoke(p->filter, r.resource_id) != PKT_OK)
			log_debug("filter: peer %u: revoke of an unknown resource", id);
		flow_end(dp, p, r.resource_id, FLOWLOG_R_REVOKED);
		break;
	}
	default:
		break;
	}
}

void
dp_tunnel_tick(struct dp *dp)
{
	struct pkt_addr exp[4];
	struct ipc_d2c_dns_refresh r;
	struct dp_peer *p;
	uint64_t now = util_now_ms();
	size_t b, i, n;

	(void)nat_expire(dp->nat, now);
	if (dp->flows != NULL) {
		struct flowlog_stats st;
		(void)flowlog_tick(dp->flows, now, wall_now_ms());
		flowlog_get_stats(dp->flows, &st);
		dp->ctr.flows_active = st.active;
		dp->ctr.flow_records = st.records;
		dp->ctr.flows_untracked = st.untracked + st.untracked_peer;
	}
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
	nc.max_clients = NAT_CLIENTS;
	nc.max_sessions = NAT_SESSIONS;
	nc.max_sessions_per_client = NAT_SESSIONS_PER_CLIENT;
	nc.max_translations = NAT_TRANSLATIONS;
	nc.max_translations_per_client = NAT_TRANSLATIONS_PER_CLIENT;
	if (RAND_bytes((unsigned char *)&nc.seed, sizeof(nc.seed)) != 1 ||
	    (dp->nat = nat_new(&nc)) == NULL ||
	    (dp->nat_free = calloc(NAT_CLIENTS, sizeof(uint32_t))) == NULL)
		return -1;
	for (i = 0; i < NAT_CLIENTS; i++)
		dp->nat_free[i] = NAT_CLIENTS - 1 - i;
	dp->nat_nfree = NAT_CLIENTS;
	if (wg_index_init(&dp->wg_index, 1024) != WG_OK ||
	    wg_noise_local_init(&dp->wg_local, NULL, &dp->wg_index, NULL) != WG_OK ||
	    wg_cookie_checker_init(&dp->cookie_checker, dp->wg_local.pub, 0, NULL) != WG_OK)
		return -1;
	memcpy(dp->public_key, dp->wg_local.pub, sizeof(dp->public_key));
	flows_start(dp);
	return 0;
}

void
dp_tunnel_free(struct dp *dp)
{
	size_t i;
	struct dp_peer *p;

	if (dp->flows != NULL)
		(void)flowlog_end_all(dp->flows, FLOWLOG_R_SHUTDOWN, util_now_ms(), wall_now_ms());
	for (i = 0; i < PEERS_BUCKETS; i++)
		while ((p = dp->peers.by_id[i]) != NULL)
			peer_free(dp, p);
	flowlog_free(dp->flows);
	dp->flows = NULL;
	relaytab_free(&dp->relays);
	nat_free(dp->nat);
	free(dp->nat_free);
	wg_cookie_checker_wipe(&dp->cookie_checker);
	wg_noise_local_wipe(&dp->wg_local);
	wg_index_free(&dp->wg_index);
}
