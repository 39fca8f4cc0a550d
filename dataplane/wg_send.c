/*
 * wg_send.c - WireGuard send side of the dataplane: encrypt and send data
 * and keepalives on a client's path (direct, or ChannelData through its
 * relay), handshake initiations, the per-peer timer, the bounded ICMP
 * "prohibited" answers, and the peer events reported to control.
 */
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "dataplane.h"
#include "icmp_gen.h"
#include "log.h"
#include "util.h"
#include "wg_timers.h"

/* Data messages stay within the relay's datagram limit (docs/protocol/p2p.md §6). */
#define TUNNEL_PAD_LIMIT 1300
#define ICMP_REPLIES_PER_SECOND 20

/*
 * Timer jitter only spreads handshakes in time; it protects no secret.  A
 * xorshift generator seeded once from RAND_bytes serves it: RAND_bytes per
 * data packet cost a getpid system call each (OpenSSL's fork check) and
 * was a tenth of the dataplane's time under load.
 * Its state is dp->jitter_state.
 */
static uint32_t
jitter_ms(struct dp *dp)
{
	uint64_t x = dp->jitter_state;

	if (x == 0) {
		if (RAND_bytes((unsigned char *)&x, sizeof(x)) != 1 || x == 0)
			x = util_now_ms() | 1;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	dp->jitter_state = x;
	return (uint32_t)(x >> 32) % (WG_REKEY_TIMEOUT_JITTER_MAX_MS + 1);
}

void
dp_wg_peer_event(struct dp *dp, struct dp_peer *p, uint8_t ev)
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

/* Send bytes as ChannelData on a relay's channel. */
static int
send_channel(struct dp *dp, const struct ipc_addr *server, uint16_t channel, const uint8_t *buf,
    size_t len, uint8_t ecn)
{
	uint8_t cd[RELAYTAB_CD_HDR + DP_PKT_BUF];
	long n;

	if ((n = relaytab_encode(channel, buf, len, cd, sizeof(cd))) < 0)
		return -1;
	return dp_udp_send(dp, server, NULL, cd, (size_t)n, ecn);
}

/* Answer on the way a datagram came. */
int
dp_wg_send_back(struct dp *dp, const struct ipc_addr *to, const struct ipc_addr *local,
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

/* Tell control that data flowed, at most once a second per peer. */
void
dp_wg_note_traffic(struct dp *dp, struct dp_peer *p, uint64_t now)
{
	if (now - p->traffic_reported_ms < 1000 && p->traffic_reported_ms != 0)
		return;
	p->traffic_reported_ms = now;
	dp_wg_peer_event(dp, p, IPC_PEER_EV_TRAFFIC);
}

void
dp_wg_send_initiation(struct dp *dp, struct dp_peer *p, uint64_t now)
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
		wg_timers_handshake_initiated(&p->timers, now, jitter_ms(dp));
		wg_timers_any_authenticated_packet_sent(&p->timers, now);
		wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	}
	OPENSSL_cleanse(msg, sizeof(msg));
}

/* Encrypt and send pt (NULL/0 = keepalive), the outer datagram carrying
 * the ECN bits ecn (those of pt, RFC 6040).  Returns 0 if sent. */
int
dp_wg_send_data(struct dp *dp, struct dp_peer *p, const uint8_t *pt, size_t len, uint8_t ecn,
    uint64_t now)
{
	uint8_t out[DP_PKT_BUF];
	size_t olen = 0;
	int rc;

	rc = wg_noise_encrypt(&p->noise, now, pt, len, TUNNEL_PAD_LIMIT, out, sizeof(out), &olen);
	if (rc == WG_ERR_NO_SESSION || rc == WG_ERR_EXPIRED) {
		if (wg_timers_may_initiate(&p->timers, now))
			dp_wg_send_initiation(dp, p, now);
		dp_wg_arm_timer(p);
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
		wg_timers_data_sent(&p->timers, now, jitter_ms(dp));
		dp_wg_note_traffic(dp, p, now);
	}
	wg_timers_any_authenticated_packet_sent(&p->timers, now);
	wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	if (wg_noise_should_rekey_after_send(&p->noise, now) && wg_timers_may_initiate(&p->timers, now))
		dp_wg_send_initiation(dp, p, now);
	dp_wg_arm_timer(p);
	return 0;
}

void
dp_wg_timer_cb(evutil_socket_t fd, short what, void *arg)
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
		dp_wg_peer_event(dp, p, IPC_PEER_EV_EXPIRED);
		p->handshake_reported = 0;
	}
	if (act & WG_TIMERS_GIVE_UP) {
		log_info("wg: peer %u: no answer to handshakes for %d s; giving up", p->id,
		    WG_REKEY_ATTEMPT_TIME_MS / 1000);
		wg_timers_stop(&p->timers);
		wg_noise_clear_handshake(&p->noise);
		dp_wg_peer_event(dp, p, IPC_PEER_EV_GAVE_UP);
	} else if (act & WG_TIMERS_INITIATE_HANDSHAKE) {
		dp_wg_send_initiation(dp, p, now);
	}
	if (act & WG_TIMERS_SEND_KEEPALIVE)
		(void)dp_wg_send_data(dp, p, NULL, 0, 0, now);
	dp_wg_arm_timer(p);
}

void
dp_wg_arm_timer(struct dp_peer *p)
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

/* Reply to a denied packet with "administratively prohibited" (or, for
 * why FILTER_DENY_UNREACHABLE, "unreachable"), bounded. */
void
dp_wg_send_prohibited(struct dp *dp, struct dp_peer *p, const uint8_t *pkt, size_t len, uint64_t now,
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
	if (dp_wg_send_data(dp, p, out, (size_t)n, 0, now) != 0)
		return;
	if (why == FILTER_DENY_UNREACHABLE)
		dp->ctr.icmp_unreachable_sent++;
	else
		dp->ctr.icmp_prohibited_sent++;
}
