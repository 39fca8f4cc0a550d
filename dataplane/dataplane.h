/*
 * dataplane.h - state of the firezone-gateway (dataplane) process, shared
 * by its glue files (main, dispatch, udp, spawn).
 */
#ifndef FZ_DATAPLANE_H
#define FZ_DATAPLANE_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "filter.h"
#include "ipc.h"
#include "nat.h"
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
 * routing table (gateway-dataplane.md §1.3). */
#define DP_SOCKET_MARK 0xfd002021u

#define DP_UDP_MAX 2

struct dp_udp {
	int fd;
	uint8_t family;   /* 4 or 6 */
	uint16_t port;
	struct event *ev;
};


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

/* udp.c: send a datagram to addr from local (family 0: kernel picks),
 * with the ECN bits ecn (0..3) in its IP header.
 * Between dp_udp_batch_begin and dp_udp_batch_end datagrams are queued
 * and leave together (sendmmsg) at the end, in order. */
void dp_udp_batch_begin(struct dp *dp);
void dp_udp_batch_end(struct dp *dp);
int dp_udp_send(struct dp *dp, const struct ipc_addr *to, const struct ipc_addr *local,
    const uint8_t *data, size_t len, uint8_t ecn);

/* tunnel.c: WireGuard peers, the TUN device and the packet pipelines. */
int dp_tunnel_init(struct dp *dp);
void dp_tunnel_free(struct dp *dp);
/* A WireGuard datagram that arrived with the ECN bits ecn (0..3). */
void dp_tunnel_udp(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const struct dp_via *via, uint8_t *p, size_t n, uint8_t ecn);
/* A packet read from the TUN; cap is the buffer's size (NAT46 grows packets). */
void dp_tunnel_tun_packet(struct dp *dp, uint8_t *p, size_t n, size_t cap);
/* Once a second: expire NAT sessions, sweep the flow-log table. */
void dp_tunnel_tick(struct dp *dp);
/* IPC handlers of the per-client messages. */
void dp_tunnel_ipc(struct dp *dp, const struct ipc_msg *m);

/* tunout.c: write a decrypted packet to the TUN; consecutive packets of
 * one flow are held and joined (tungro) until dp_tun_flush, which every
 * receive batch ends with. */
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
