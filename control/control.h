/*
 * control.h - state of the firezone-gateway-control process, shared by its
 * glue files (main, dispatch, sockets).
 */
#ifndef FZ_CONTROL_H
#define FZ_CONTROL_H

#include <stdint.h>
#include <time.h>

#include "authz.h"
#include "health.h"
#include "ipc.h"
#include "p2p.h"
#include "portal.h"
#include "relays.h"
#include "turnmgr.h"

struct event_base;
struct event;
struct evdns_base;
struct dnsserver;

struct ctl_udp {
	int fd;          /* our duplicate, used for sending; -1 if absent */
	uint8_t family;
	uint16_t port;
	int acked;       /* the dataplane confirmed it reads the socket */
};

struct ctl {
	struct event_base *base;
	struct ipc_chan ipc;
	struct event *ev_ipc_read, *ev_ipc_write;
	uint32_t dataplane_pid;
	uint8_t public_key[32];
	struct ipc_d2c_config cfg; /* holds the token: wiped at exit */
	int have_config;
	struct ctl_udp udp[2];     /* [0] IPv4, [1] IPv6 */
	int exit_code;
	int stopping;
	uint64_t udp_rx_stun, udp_rx_relay;

	struct evdns_base *dns;
	char gateway_id[256];
	int portal_live;
	struct portal portal;
	struct relayset relays;
	struct authz authz;
	struct event *ev_tick;     /* once a second: expiry */
	uint64_t msgs_ignored;
	int dataplane_ready;       /* every UDP socket acknowledged */
	struct health health;
	struct p2p p2p;
	struct turnmgr turn;
	struct ipc_d2c_counters dp_counters; /* the dataplane's last report */
	time_t start_time;
	struct dnsserver *dnsserver; /* port 53535 on the tunnel addresses */
	/* The portal protocol the session speaks: 2 for today's
	 * /gateway/v2/websocket (event names create_authorization, ...;
	 * set_snownet_capabilities and no_relays understood), 1 for
	 * /gateway/websocket (the 2024 portal crashes the channel on events it
	 * does not know).  Set with ctl_session_set_protocol. */
	int portal_proto;
};

/* dispatch.c: the one IPC dispatcher of control. */
void ctl_ipc_readable(struct ctl *c);
void ctl_ipc_flush(struct ctl *c);
void ctl_ipc_send_reliable(struct ctl *c, uint16_t type, const void *payload, size_t len, int fd);
/* A per-client message (peer_id in the header); failures end the process. */
void ctl_ipc_send_peer(struct ctl *c, uint16_t type, uint32_t peer_id, const void *payload, size_t len);

/* sockets.c: create the two UDP sockets (docs/protocol/p2p.md §1.1) and hand them
 * to the dataplane.  Returns the number created. */
int ctl_sockets_create(struct ctl *c);
void ctl_sockets_close(struct ctl *c);

/* session.c: the portal session and what its messages change. */
void ctl_session_start(struct ctl *c);
void ctl_session_stop(struct ctl *c);
void ctl_session_iface_result(struct ctl *c, const struct ipc_d2c_iface_result *r);
void ctl_session_dataplane_ready(struct ctl *c);
/*
 * The protocol version the portal connection speaks (1 or 2; anything
 * else counts as 1).  The connection code sets it when it knows; an
 * authorization request also tells (create_authorization is v2 only,
 * authorize_flow v1 only).
 */
void ctl_session_set_protocol(struct ctl *c, int version);
/* Tell the portal we have no relay for a new connection (no_relays);
 * nothing on a v1 session (the 2024 portal does not know the event). */
void ctl_session_no_relays(struct ctl *c);
/* A client sent the p2p control event goodbye: forget it (connection,
 * WireGuard peer, grants), without answering. */
void ctl_session_client_goodbye(struct ctl *c, uint32_t peer_id);
/* Stopping: goodbye through every established client connection, before
 * the dataplane is told to stop (ctl_stop). */
void ctl_session_goodbye_all(struct ctl *c);
/* Tell systemd (STATUS=) how things stand. */
void ctl_session_status(struct ctl *c);

/* main.c: leave the event loop with an exit code. */
void ctl_stop(struct ctl *c, int exit_code, const char *why);

#endif
