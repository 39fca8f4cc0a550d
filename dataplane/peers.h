/*
 * peers.h - the dataplane's clients: each is a WireGuard peer with its
 * timers, its network path, its tunnel addresses and its authorization
 * table.  Found in O(1) by control's handle, by static public key (for
 * handshake initiations) and by tunnel address (for packets read from the
 * TUN device); receiver indices are looked up by wg_noise itself.
 */
#ifndef FZ_PEERS_H
#define FZ_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "ipc_msg.h"
#include "wg_cookie.h"
#include "wg_noise.h"
#include "wg_timers.h"

#define PEERS_BUCKETS 4096 /* power of two */

/* p2p control events a client may send (token bucket): a sustained rate
 * per second and a burst.  Events over it are dropped, never queued. */
#define PEERS_P2P_CONTROL_RATE 20
#define PEERS_P2P_CONTROL_BURST 40

struct event;

struct dp_peer {
	uint32_t id;                /* control's handle */
	uint32_t nat_slot;          /* this client's slot in the NAT tables */
	uint8_t client_id[16];      /* the portal's client UUID (flow logs) */
	struct wg_noise_peer noise;
	struct wg_cookie_maker cookie;
	struct wg_timers timers;
	struct event *ev_timer;
	struct filter_client *filter;
	int has_v4, has_v6;
	uint8_t tun_v4[4], tun_v6[16];
	int has_path;               /* control set a path (ICE nominated) */
	struct ipc_c2d_peer_path path;
	int has_endpoint;           /* last authenticated source, used without a path */
	struct ipc_addr endpoint, endpoint_local;
	int endpoint_relayed;       /* the endpoint was reached through a TURN channel */
	struct ipc_addr endpoint_server;
	uint16_t endpoint_channel;
	uint64_t rx_bytes, tx_bytes;
	uint64_t icmp_window;       /* second of the last denied-packet replies */
	uint32_t icmp_sent;         /* replies sent in that second */
	int handshake_reported;
	uint64_t traffic_reported_ms; /* last IPC_PEER_EV_TRAFFIC */
	uint32_t p2p_tokens;        /* p2p control events it may still send */
	uint64_t p2p_refill_ms;     /* when the bucket was last refilled */
	struct dp_peer *next_id, *next_key, *next_v4, *next_v6;
};

struct dp_peers {
	struct dp_peer *by_id[PEERS_BUCKETS];
	struct dp_peer *by_key[PEERS_BUCKETS];
	struct dp_peer *by_v4[PEERS_BUCKETS];
	struct dp_peer *by_v6[PEERS_BUCKETS];
	size_t n;
};

void peers_init(struct dp_peers *t);
/* Link a peer (id, key and tunnel addresses already set).  A peer with
 * the same id must have been removed first. */
void peers_link(struct dp_peers *t, struct dp_peer *p);
/* Unlink (does not free). */
void peers_unlink(struct dp_peers *t, struct dp_peer *p);
struct dp_peer *peers_by_id(const struct dp_peers *t, uint32_t id);
struct dp_peer *peers_by_key(const struct dp_peers *t, const uint8_t key[32]);
/* family 4 or 6; addr 4 or 16 bytes.  Tunnel addresses are unique across
 * linked peers (see peers_tun_conflict), so at most one matches. */
struct dp_peer *peers_by_tun(const struct dp_peers *t, uint8_t family, const uint8_t *addr);
/* Fill the peer's p2p control bucket (a new peer starts with a full burst). */
void peers_p2p_control_reset(struct dp_peer *p, uint64_t now_ms);
/* Take one p2p control event from the peer's bucket, refilled at
 * PEERS_P2P_CONTROL_RATE per second up to PEERS_P2P_CONTROL_BURST.
 * Returns 1 if the event may go on, 0 if it is over the rate. */
int peers_p2p_control_take(struct dp_peer *p, uint64_t now_ms);
/*
 * The linked peer, if any, that holds one of the given tunnel addresses
 * (v4 when has_v4, v6 when has_v6) and that a new peer with this id and
 * public key would not replace (a peer of the same id, or of the same key,
 * is removed before the new one is linked).  Link a new peer only if this
 * returns NULL.
 */
struct dp_peer *peers_tun_conflict(const struct dp_peers *t, uint32_t id, const uint8_t key[32],
    int has_v4, const uint8_t v4[4], int has_v6, const uint8_t v6[16]);

#endif
