/*
 * dataplane.h - state of the firezone-gateway (dataplane) process, shared
 * by its glue files (main, dispatch, udp, wg_receive, wg_send, tun_io,
 * peer_ipc, flowhooks, tunnel, iface, spawn).
 */
#ifndef FZ_DATAPLANE_H
#define FZ_DATAPLANE_H

#include <stdint.h>
#include <sys/types.h>

#include <event2/util.h>

#include "config.h"
#include "flowlog.h"
#include "filter.h"
#include "ipc.h"
#include "nat.h"
#include "nat64.h"
#include "peers.h"
#include "relaytab.h"
#include "tun.h"
#include "wg_cookie.h"
#include "wg_index.h"
#include "wg_noise.h"

struct event_base;
struct event;
struct flowlog;
struct dp_iface;

/* Mark on the gateway's sockets so its own traffic skips the Firezone
 * routing table (docs/protocol/dataplane.md §1.3). */
#define DP_SOCKET_MARK 0xfd002021u

#define DP_UDP_MAX 2

struct dp_udp {
	int fd;
	uint8_t family;   /* 4 or 6 */
	uint16_t port;
	struct event *ev;
};


/* Every client's NAT slot (10,000 clients); the largest packet a pipeline
 * handles in one buffer (above the TUN MTU and WireGuard's overhead). */
#define DP_NAT_CLIENTS 16384
#define DP_PKT_BUF 2048

struct dp_udp_io;	/* udp.c: the send queue and receive buffers */
struct dp_tun_io;	/* tun_io.c: the read buffers and the GRO table */

/* The one state of the process: no file-scope or function statics. */
struct dp {
	struct event_base *base;
	struct ipc_chan ipc;
	struct event *ev_ipc_read, *ev_ipc_write;
	int tun_fd;
	struct tun_caps tun_caps;  /* virtio-net header and offloads granted */
	unsigned int tun_ifindex;  /* looked up once: no ioctl in the sandbox */
	struct event *ev_tun;
	int netlink_fd;
	struct dp_iface *iface;     /* interface configuration (iface.c) */
	struct dp_udp udp[DP_UDP_MAX];
	int nudp;
	pid_t control_pid;
	int control_pidfd;    /* pidfd of control, -1 if the kernel has none */
	struct event *ev_control;  /* control_pidfd readable: control exited */
	int control_status;   /* wait status once reaped, -1 before */
	int stopping;         /* a clean shutdown is under way */
	int exit_code;
	struct event *ev_stop_timer;
	uint8_t public_key[32];
	struct ipc_d2c_counters ctr;
	struct event *ev_counters;  /* once a second: counters to control */
	struct wg_index wg_index;
	struct wg_noise_local wg_local;
	struct wg_cookie_checker cookie_checker;
	struct dp_peers peers;
	struct relaytab relays;
	struct nat *nat;            /* DNS-resource NAT, all clients */
	uint32_t *nat_free;         /* free NAT client slots (a stack) */
	uint32_t nat_nfree;
	struct event *ev_tick;      /* once a second: NAT expiry */
	struct flowlog *flows;      /* flow logs; NULL when off */
	struct filter_gateway gw;   /* our tunnel addresses (IFACE_CONFIG) */
	int control_kill_sent;      /* SIGKILL sent to control after the grace */
	struct dp_udp_io *udp_io;   /* udp.c, allocated once at start */
	struct dp_tun_io *tun_io;   /* tun_io.c, allocated once at start */
	uint64_t jitter_state;      /* wg_send.c: the timer jitter's generator */
	/* wg_receive.c: a packet to a DNS resource rewritten by NAT-out, with
	 * room for NAT46 growth. */
	uint8_t xbuf[DP_PKT_BUF + NAT64_GROWTH];
	/* peer_ipc.c: the large messages, decoded here, not on the stack. */
	union {
		struct ipc_c2d_grant grant;
		struct ipc_c2d_dns_setup dns_setup;
	} ipc_scratch;
};

/* How a datagram came: directly, or as ChannelData from a relay. */
struct dp_via {
	struct ipc_addr server;
	uint16_t channel;
};

/* dispatch.c: the one IPC dispatcher of the dataplane. */
void dp_ipc_readable(struct dp *dp);
void dp_ipc_flush(struct dp *dp);
/* Send a message that must arrive; a failure is fatal. */
void dp_ipc_send_reliable(struct dp *dp, uint16_t type, const void *payload, size_t len);

/* iface.c: apply IPC_C2D_IFACE_CONFIG through netlink without blocking
 * (IPC_D2C_IFACE_RESULT when done); init after the event base exists. */
int dp_iface_init(struct dp *dp);
void dp_iface_config(struct dp *dp, const struct ipc_c2d_iface_config *ic);
void dp_iface_free(struct dp *dp);

/* udp.c: adopt a UDP socket received from control; read and demultiplex. */
int dp_udp_adopt(struct dp *dp, int fd, uint8_t family, uint16_t port, uint32_t *mark);
void dp_udp_close_all(struct dp *dp);
/* udp.c: allocate (at start, never on the packet path) and free the send
 * queue and receive buffers. */
int dp_udp_init(struct dp *dp);
void dp_udp_free(struct dp *dp);

/* udp.c: send a datagram to addr from local (family 0: kernel picks),
 * with the ECN bits ecn (0..3) in its IP header.
 * Between dp_udp_batch_begin and dp_udp_batch_end datagrams are queued
 * and leave together (sendmmsg) at the end, in order. */
void dp_udp_batch_begin(struct dp *dp);
void dp_udp_batch_end(struct dp *dp);
int dp_udp_send(struct dp *dp, const struct ipc_addr *to, const struct ipc_addr *local,
    const uint8_t *data, size_t len, uint8_t ecn);

/* tunnel.c: the tunnel state (NAT, WireGuard keys, peers, relays, flow
 * logs) set up at start and torn down at exit; the once-a-second tick
 * expires NAT sessions, sweeps the flow logs and reports DNS refreshes. */
int dp_tunnel_init(struct dp *dp);
void dp_tunnel_free(struct dp *dp);
void dp_tunnel_tick(struct dp *dp);

/* wg_receive.c: a WireGuard datagram (classified by udp.c) that arrived
 * with the ECN bits ecn (0..3), directly (via NULL) or through a relay;
 * decrypted in place. */
void dp_wg_receive(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via, uint8_t *p, size_t n, uint8_t ecn);

/* wg_send.c: encrypt and send pt (NULL/0: a keepalive) to p, the outer
 * datagram carrying the ECN bits ecn; 0 if sent.  Without a session a
 * handshake starts instead and -1 is returned. */
int dp_wg_send_data(struct dp *dp, struct dp_peer *p, const uint8_t *pt, size_t len,
    uint8_t ecn, uint64_t now);
/* wg_send.c: send a handshake initiation to p. */
void dp_wg_send_initiation(struct dp *dp, struct dp_peer *p, uint64_t now);
/* wg_send.c: send buf back on the way a datagram came (via NULL: direct). */
int dp_wg_send_back(struct dp *dp, const struct ipc_addr *to, const struct ipc_addr *local,
    const struct dp_via *via, const uint8_t *buf, size_t len);
/* wg_send.c: answer a denied packet with ICMP "administratively
 * prohibited" (why FILTER_DENY_UNREACHABLE: "unreachable"), bounded. */
void dp_wg_send_prohibited(struct dp *dp, struct dp_peer *p, const uint8_t *pkt, size_t len,
    uint64_t now, enum filter_deny why);
/* wg_send.c: report IPC_PEER_EV_* ev of p to control. */
void dp_wg_peer_event(struct dp *dp, struct dp_peer *p, uint8_t ev);
/* wg_send.c: tell control that data flowed, at most once a second. */
void dp_wg_note_traffic(struct dp *dp, struct dp_peer *p, uint64_t now);
/* wg_send.c: the per-peer timer (evtimer callback, arg the peer) and its
 * re-arming after any change of the peer's WireGuard timers. */
void dp_wg_timer_cb(evutil_socket_t fd, short what, void *arg);
void dp_wg_arm_timer(struct dp_peer *p);

/* peer_ipc.c: handlers of control's per-client messages (p the peer of
 * the message, looked up by dispatch.c) and of the relay table. */
void dp_peer_add(struct dp *dp, const struct ipc_msg *m);
void dp_peer_remove(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m);
void dp_peer_path(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m);
void dp_peer_grant(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m);
void dp_peer_revoke(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m);
void dp_peer_dns_setup(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m);
void dp_peer_p2p_control(struct dp *dp, struct dp_peer *p, const struct ipc_msg *m);
void dp_relay_set(struct dp *dp, const struct ipc_msg *m);
void dp_relay_channel(struct dp *dp, const struct ipc_msg *m);
/* peer_ipc.c: unlink and wipe a peer (its flows end, its NAT slot is freed). */
void dp_peer_free(struct dp *dp, struct dp_peer *p);

/* flowhooks.c: the flow logs' hooks (no-ops when flow logs are off). */
void dp_flows_start(struct dp *dp);
void dp_flows_tick(struct dp *dp, uint64_t now);
void dp_flows_stop(struct dp *dp);  /* end every flow (shutdown) */
void dp_flows_free(struct dp *dp);
/* A client -> resource packet the filter admitted. */
void dp_flow_from_client(struct dp *dp, struct dp_peer *p, const struct pkt_info *pi,
    const uint8_t *pkt, uint64_t now);
/* A resource -> client packet after NAT-in, pi its parse. */
void dp_flow_to_client(struct dp *dp, struct dp_peer *p, const uint8_t *pkt,
    const struct pkt_info *pi, uint64_t now);
/* End the flows of a peer (resource NULL) or of one of its resources. */
void dp_flow_end(struct dp *dp, struct dp_peer *p, const uint8_t *resource,
    enum flowlog_reason why);

/* tun_io.c: the TUN read loop (event callback, arg the dp): each packet to
 * its client.  dp_tun_out writes a decrypted packet to the TUN;
 * consecutive packets of one flow are held and joined (tungro) until
 * dp_tun_flush, which every UDP receive batch ends with. */
void dp_tun_readable(evutil_socket_t fd, short what, void *arg);
/* tun_io.c: allocate (at start) and free its buffers and GRO table. */
int dp_tun_io_init(struct dp *dp);
void dp_tun_io_free(struct dp *dp);
void dp_tun_out(struct dp *dp, const uint8_t *pkt, size_t len);
void dp_tun_flush(struct dp *dp);

/*
 * spawn.c: open the control program at path while still privileged and
 * check it (a regular file; as root, not writable but executable by the
 * control user of plan).  Returns the descriptor (close-on-exec; *is_script
 * set for a "#!" file), or -1 with a one-line reason in why.
 */
int dp_control_open(const char *path, const void *plan, int *is_script, char *why,
    size_t whylen);
/* spawn.c: fork, drop privileges and fexecve bin_fd (from dp_control_open)
 * as the control process on its end of the pair.  The caller closes bin_fd. */
pid_t dp_spawn_control(const struct dp_config *cfg, const void *plan, int ctl_sock, int bin_fd,
    int is_script);

/* main.c: begin a clean stop (exit code 0) or a fatal one (exit code 1). */
void dp_stop(struct dp *dp, int exit_code, const char *why);

#endif
