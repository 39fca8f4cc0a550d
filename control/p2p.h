/*
 * p2p.h - one ICE connection per client (docs/protocol/p2p.md §2): the controlled
 * ICE agent, the WireGuard peer it carries in the dataplane, and the
 * signalling through the portal (candidates, flow_authorized,
 * connection_ready).  Glue around control/ice.c; STUN arrives from the
 * dataplane over IPC and leaves through control's duplicate sockets.
 */
#ifndef FZ_P2P_H
#define FZ_P2P_H

#include <stddef.h>
#include <stdint.h>

#include "candq.h"
#include "ipc_msg.h"
#include "portal_types.h"

struct ctl;
struct ice_agent;
struct event;

#define P2P_BUCKETS 4096     /* power of two */
#define P2P_HOSTS_MAX 16     /* shared host candidates */
#define P2P_NAMES_MAX 256    /* DNS names remembered per client */
#define P2P_EV_GOODBYE 2     /* p2p control event: the session ends (empty body) */

struct p2p;

/* A DNS-resource name set up for a client: what to send again when its
 * translations go silent (docs/protocol/dataplane.md §4.6). */
struct p2p_dnsname {
	struct portal_msg_uuid resource;
	char name[PORTAL_MSG_DOMAIN_MAX + 1];
	size_t n_proxies;
	struct portal_msg_ip proxies[IPC_DNS_PROXIES_MAX];
	size_t n_resolved;
	struct ipc_ip resolved[IPC_DNS_RESOLVED_MAX];
	int refreshing;
};

struct p2p_conn {
	struct p2p *owner;
	struct portal_msg_uuid client_id;
	uint32_t peer_id;           /* the dataplane's handle */
	uint32_t tag;               /* ICE transaction tag */
	struct ice_agent *agent;
	struct event *ev;
	int nominated;
	int relayed;                /* the chosen path goes through a relay */
	int pending_relay;          /* nominated via a relay, channel not bound yet */
	size_t n_relay_cands;       /* relayed candidates its agent holds */
	struct ipc_addr pending_local, pending_remote;
	struct portal_msg_ice_creds local;   /* password secret */
	/* What the connection was made with, to tell an upsert that changes it
	 * (p2p_reusable): the client's key, the PSK and the remote ICE
	 * credentials.  Secret (PSK, password); wiped with the connection. */
	uint8_t public_key[PORTAL_MSG_KEY_LEN];
	uint8_t preshared_key[PORTAL_MSG_KEY_LEN];
	struct portal_msg_ice_creds remote;
	/* Candidate changes to signal, held while the portal is down (candq.h). */
	struct candq cands;
	struct p2p_dnsname *names;  /* DNS names set up (at most P2P_NAMES_MAX) */
	size_t n_names;
	struct p2p_conn *next_client, *next_tag, *next_ufrag, *next_peer;
};

struct p2p {
	struct ctl *ctl;
	struct p2p_conn *by_client[P2P_BUCKETS];
	struct p2p_conn *by_tag[P2P_BUCKETS];
	struct p2p_conn *by_ufrag[P2P_BUCKETS];
	struct p2p_conn *by_peer[P2P_BUCKETS];
	size_t n;
	uint32_t next_peer_id, next_tag;
	size_t n_hosts;
	struct ipc_addr hosts[P2P_HOSTS_MAX];   /* shared host candidates */
	uint64_t stun_unmatched;
};

/* Set up.  Host candidates are learned from the local addresses of the
 * datagrams the dataplane forwards (docs/protocol/p2p.md §2.3): in practice the
 * relays' answers, so internal addresses are never offered. */
void p2p_init(struct p2p *p, struct ctl *c);
/* A datagram arrived on this local address: a host candidate. */
void p2p_learn_host(struct p2p *p, const struct ipc_addr *local);
void p2p_free(struct p2p *p);

/*
 * Would p2p_connect keep this existing connection (c may be NULL: no)?
 * Only when everything it was made with is the same, as upstream's
 * upsert_connection decides (firezone #9999): the local ICE credentials
 * (never for a legacy request, local == NULL), the remote ones, the
 * client's public key and the PSK, compared in constant time.  A changed
 * key or PSK replaces the connection and so the WireGuard peer.
 */
int p2p_reusable(const struct p2p_conn *c, const struct portal_msg_peer *peer,
    const struct portal_msg_ice_creds *remote, const struct portal_msg_ice_creds *local);

/*
 * 1 if the client's tunnel addresses lie in the client ranges
 * (100.64.0.0/11, fd00:2021:1111::/107), the only ones the dataplane takes;
 * 0 after a log line naming them.
 */
int p2p_peer_addresses_ok(const struct portal_msg_peer *peer);

/*
 * A new flow (authorize_flow) or a legacy connection request: keep the
 * client's connection when p2p_reusable says so, otherwise replace it
 * (IPC_C2D_PEER_REMOVE of the old peer, IPC_C2D_PEER_ADD of the new one;
 * the DNS names set up for the old one move to the new one, for the caller
 * to grant and set up again).  local == NULL (legacy) makes the gateway
 * pick its own credentials, kept in the connection's `local`.  *created is
 * 1 for a new peer, *replaced 1 when it took an old one's place.  Returns
 * the connection or NULL on failure.
 */
struct p2p_conn *p2p_connect(struct p2p *p, const struct portal_msg_peer *peer,
    const struct portal_msg_ice_creds *remote, const struct portal_msg_ice_creds *local,
    int *created, int *replaced);

struct p2p_conn *p2p_find(const struct p2p *p, const struct portal_msg_uuid *client);
/* The connection of the dataplane's peer handle, or NULL. */
struct p2p_conn *p2p_by_peer(const struct p2p *p, uint32_t peer_id);

/* Tell the dataplane about a grant or a revocation for a connected client. */
void p2p_grant(struct p2p *p, const struct portal_msg_uuid *client,
    const struct portal_msg_resource *res, int has_expiry, int64_t expires_at);
void p2p_revoke(struct p2p *p, const struct portal_msg_uuid *client,
    const struct portal_msg_uuid *resource);

/* Remote candidates from the portal. */
void p2p_remote_candidates(struct p2p *p, const struct portal_msg_uuid *client,
    const char (*cand)[PORTAL_MSG_CANDIDATE_MAX + 1], size_t n, int add);

/* A STUN datagram the dataplane received (directly, or unwrapped from a
 * TURN channel: kind IPC_UDP_KIND_STUN_RELAYED). */
void p2p_stun_rx(struct p2p *p, const struct ipc_d2c_udp_rx *rx, const uint8_t *data);

/* A shared local candidate appeared (add 1) or went away: type 1 srflx
 * (signalled only), 3 relay (the TURN client's allocation). */
void p2p_local_candidate(struct p2p *p, int type, const struct ipc_addr *a, int add);

/*
 * A relay's allocation went away (removed by relays_presence, failed,
 * lost, replaced): every connection left without a relayed candidate takes
 * those of another allocated relay (turnmgr_candidates by its tag), added
 * to its agent and announced like any candidate change (held while the
 * portal is down).  A connection with no relay to move to stays without;
 * the next allocation reaches it through p2p_local_candidate.
 */
void p2p_relay_withdrawn(struct p2p *p);

/* A TURN channel was bound: finish relayed paths waiting for it. */
void p2p_channel_bound(struct p2p *p);

/*
 * Our side of a client's session ends (upstream's p2p control `goodbye`,
 * type 2): if the connection is established, send goodbye through it,
 * then remove the connection and its WireGuard peer.  No-op without a
 * connection.  why is for the log.
 */
void p2p_goodbye(struct p2p *p, const struct portal_msg_uuid *client, const char *why);
/* Stopping: goodbye through every established connection; the
 * connections stay until p2p_free.  why is unused (kept for symmetry). */
void p2p_goodbye_all(struct p2p *p, const char *why);
/* The client said goodbye: remove its connection, without answering. */
void p2p_remove(struct p2p *p, const struct portal_msg_uuid *client, const char *why);

/* Joined to the portal: send the candidate changes held while it was down. */
void p2p_portal_joined(struct p2p *p);

/* An authorization reused this connection: announce all our current
 * candidates again (the client may have lost them). */
void p2p_reannounce(struct p2p *p, struct p2p_conn *c);

/* The dataplane's report about a peer. */
void p2p_peer_event(struct p2p *p, uint32_t peer_id, const struct ipc_d2c_peer_event *ev);

/* Unit-testable: can this address be a host candidate? */
int p2p_host_ok(const struct ipc_addr *a);

#endif
