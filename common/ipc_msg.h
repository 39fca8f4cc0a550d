/*
 * ipc_msg.h - the catalogue of messages between the dataplane
 * (firezone-gateway) and control (firezone-gateway-control).
 *
 * Wire rules: every message is one SOCK_SEQPACKET datagram made of a
 * struct ipc_hdr followed by a payload of fixed-width fields (no pointers,
 * no enums, no bools).  Both processes run on the same host from the same
 * build, so integers are in host byte order.  Strings are fixed arrays that
 * must contain a NUL.  Numbers 0x01xx travel dataplane -> control, 0x02xx
 * control -> dataplane.  Bump IPC_VERSION whenever a layout changes.
 */
#ifndef FZ_IPC_MSG_H
#define FZ_IPC_MSG_H

#include <stdint.h>

#define IPC_VERSION 4u

/* The tunnel device the dataplane creates before it starts control. */
#define IPC_TUN_NAME "tun-firezone"

/* The control process finds its end of the socketpair on this fd. */
#define IPC_CONTROL_FD 3

struct ipc_hdr {
	uint16_t type;
	uint16_t flags;
	uint32_t len;     /* payload bytes after this header */
	uint32_t peer_id; /* client connection the message is about, 0 if none */
	uint32_t reserved;
};

/* Address as it crosses the socketpair (family 4 or 6, port host order). */
struct ipc_addr {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
};

/* Largest UDP payload forwarded to control (STUN/TURN). */
#define IPC_MAX_DATAGRAM 2048

enum ipc_type {
	/* dataplane -> control */
	IPC_D2C_HELLO = 0x0101,
	IPC_D2C_CONFIG = 0x0102,
	IPC_D2C_SOCKET_ACK = 0x0103,
	IPC_D2C_UDP_RX = 0x0104,
	IPC_D2C_SHUTDOWN = 0x0105,
	IPC_D2C_IFACE_RESULT = 0x0106,
	IPC_D2C_PEER_EVENT = 0x0107,
	IPC_D2C_COUNTERS = 0x0108,
	IPC_D2C_P2P_CONTROL = 0x0109,
	IPC_D2C_DNS_REFRESH = 0x010a,
	/* control -> dataplane */
	IPC_C2D_HELLO = 0x0201,
	IPC_C2D_UDP_SOCKET = 0x0202,
	IPC_C2D_SHUTDOWN = 0x0203,
	IPC_C2D_IFACE_CONFIG = 0x0204,
	IPC_C2D_PEER_ADD = 0x0205,
	IPC_C2D_PEER_REMOVE = 0x0206,
	IPC_C2D_PEER_PATH = 0x0207,
	IPC_C2D_GRANT = 0x0208,
	IPC_C2D_REVOKE = 0x0209,
	IPC_C2D_RELAY = 0x020a,
	IPC_C2D_CHANNEL = 0x020b,
	IPC_C2D_DNS_SETUP = 0x020c,
	IPC_C2D_P2P_CONTROL = 0x020d,
};

/* First message from the dataplane: version and the WireGuard public key. */
struct ipc_d2c_hello {
	uint32_t version;
	uint32_t pid;
	uint8_t public_key[32];
};

/*
 * Second message from the dataplane: the run-time configuration, so that
 * the token never appears in control's command line or environment.
 * Both sides wipe it after use.
 */
struct ipc_d2c_config {
	char api_url[1024];
	char token[2048];
	char firezone_id[256];
	char name[256];
	char health_addr[128];
	char state_dir[256];
	uint8_t log_level;
	uint8_t log_format;
	uint8_t no_telemetry;
	uint8_t pad;
	uint32_t max_partition_s; /* FIREZONE_MAX_PARTITION_TIME, <= 100 years; 0: 24 h */
};

/* Answer to IPC_C2D_UDP_SOCKET once the dataplane reads from the socket. */
struct ipc_d2c_socket_ack {
	uint8_t family;
	uint8_t ok;       /* 1: the dataplane reads it; 0: refused */
	uint16_t port;
	uint32_t mark;    /* SO_MARK applied, 0 if it could not be set */
};

/* A STUN/TURN datagram the dataplane received and hands to control. */
#define IPC_UDP_KIND_STUN 1u    /* ICE STUN (checks, responses) */
#define IPC_UDP_KIND_RELAY 2u   /* STUN/TURN control from a relay address */
#define IPC_UDP_KIND_STUN_RELAYED 3u /* ICE STUN unwrapped from ChannelData:
                                      * local = our relayed address, from =
                                      * the peer as the relay sees it */
struct ipc_d2c_udp_rx {
	struct ipc_addr local; /* our address the datagram was sent to */
	struct ipc_addr from;
	uint8_t kind;
	uint8_t pad;
	uint16_t len;          /* bytes in data[], at most IPC_MAX_DATAGRAM */
	uint8_t data[];
};

#define IPC_SHUTDOWN_SIGNAL 1u  /* a signal asked us to stop */
#define IPC_SHUTDOWN_FATAL 2u   /* a fatal error; the sender exits 1 */
struct ipc_shutdown {
	uint32_t reason;
};

struct ipc_c2d_hello {
	uint32_t version;
	uint32_t pid;
};

/* Carries one UDP socket fd (SCM_RIGHTS); control keeps a duplicate. */
struct ipc_c2d_udp_socket {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
};

/*
 * The tunnel addresses from the portal's `init` (docs/protocol/dataplane.md
 * §1.2-§1.3): the dataplane flushes tun-firezone's addresses, sets the MTU,
 * adds these (/32 and /128), sets the link up, and requests the policy
 * rules and routes.  Sent again on every later `init`.  Each address given
 * must be a host of the tunnel ranges (addr_is_tunnel_host): anything else
 * is a protocol violation.
 */
struct ipc_c2d_iface_config {
	uint8_t has_v4;
	uint8_t has_v6;
	uint8_t pad[2];
	uint8_t v4[4];
	uint8_t v6[16];
};

/* What the dataplane managed to apply (1 = done, 0 = failed / not asked). */
struct ipc_d2c_iface_result {
	uint8_t v4_ok;
	uint8_t v6_ok;
	uint8_t link_up;
	uint8_t routes_ok;
	uint8_t rules_v4_ok;
	uint8_t rules_v6_ok;
	uint8_t pad[2];
};

/*
 * Per-client messages carry the client's handle in ipc_hdr.peer_id
 * (chosen by control, never 0).
 */

/*
 * A WireGuard peer (a client).  The PSK is wiped by both sides after use.
 * Each tunnel address given must lie in the client ranges (a protocol
 * violation otherwise); one that another peer id holds gets the peer
 * refused (counted in refused_peer_address).
 */
struct ipc_c2d_peer_add {
	uint8_t public_key[32];
	uint8_t preshared_key[32];
	uint8_t has_psk;
	uint8_t has_v4;
	uint8_t has_v6;
	uint8_t pad;
	uint8_t tun_v4[4];     /* the client's tunnel addresses: the only */
	uint8_t tun_v6[16];    /* sources accepted from it (anti-spoofing) */
	uint16_t keepalive_s;  /* persistent keepalive, 0 = off */
	uint16_t pad2;
	uint8_t client_id[16]; /* the portal's client UUID (flow logs) */
};

#define IPC_PEER_REMOVE_REVOKED 1u  /* no authorization left */
#define IPC_PEER_REMOVE_FAILED 2u   /* ICE failed / connection closed */
struct ipc_c2d_peer_remove {
	uint32_t reason;
};

/*
 * Where to send the peer's datagrams: directly to `remote` (from `local`,
 * family 0 = let the kernel choose), or through a TURN relay: ChannelData
 * with `channel` to `relay` (remote is then the peer's address as the
 * relay sees it).
 */
struct ipc_c2d_peer_path {
	struct ipc_addr remote;
	struct ipc_addr local;
	struct ipc_addr relay;
	uint8_t via_relay;
	uint8_t pad;
	uint16_t channel;      /* 0x4000-0x4FFF when via_relay */
};

#define IPC_GRANT_FILTERS_MAX 64
#define IPC_RES_CIDR 1u
#define IPC_RES_DNS 2u
#define IPC_RES_INTERNET 3u
#define IPC_PROTO_TCP 1u
#define IPC_PROTO_UDP 2u
#define IPC_PROTO_ICMP 3u
struct ipc_filter {
	uint8_t proto;
	uint8_t pad;
	uint16_t port_start;
	uint16_t port_end;
};

/* Grant (or re-grant: filters and expiry replaced) one resource. */
struct ipc_c2d_grant {
	uint8_t resource_id[16];
	uint8_t type;          /* IPC_RES_* */
	uint8_t family;        /* CIDR: 4 or 6 */
	uint8_t prefix;
	uint8_t has_expiry;
	uint8_t net[16];
	int64_t expires_at;    /* Unix seconds */
	uint32_t n_filters;    /* 0 = all traffic */
	struct ipc_filter filters[IPC_GRANT_FILTERS_MAX];
};

struct ipc_c2d_revoke {
	uint8_t resource_id[16];
};

/* A relay server the dataplane must recognise as the source of TURN
 * traffic (docs/protocol/p2p.md §1.2 steps 1-2).  add 0 removes it (and its channels). */
struct ipc_c2d_relay {
	struct ipc_addr server;
	uint8_t add;
	uint8_t pad[3];
};

/*
 * A TURN channel bound (bound 1) or gone (bound 0) on `server`: ChannelData
 * with `channel` from that server carries datagrams of `peer`, which reach
 * us on our relayed address `relayed`.
 */
struct ipc_c2d_channel {
	struct ipc_addr server;
	struct ipc_addr peer;
	struct ipc_addr relayed;
	uint16_t channel;
	uint8_t bound;
	uint8_t pad;
};

/*
 * The dataplane's counters, sent to control once a second (never per
 * packet) for /metrics.  All are monotonic except peers and flows_active
 * (gauges).
 */
struct ipc_d2c_counters {
	uint64_t udp_rx;
	uint64_t drop_oversize;
	uint64_t drop_local;
	uint64_t drop_garbage;
	uint64_t drop_no_channel;
	uint64_t stun_forwarded;
	uint64_t stun_dropped;         /* queue toward control full */
	uint64_t tun_rx;
	uint64_t tun_drop_no_peer;
	uint64_t tun_drop_malformed;
	uint64_t tun_drop_no_session;
	uint64_t wg_rx_data, wg_tx_data;       /* packets */
	uint64_t wg_rx_bytes, wg_tx_bytes;     /* inner IP bytes */
	uint64_t wg_drop_decrypt;      /* authentication failed, unknown index */
	uint64_t wg_drop_mac;          /* handshake with a bad mac1 */
	uint64_t wg_drop_handshake;    /* handshake refused (unknown key, replay, ...) */
	uint64_t wg_drop_spoofed;      /* decrypted source is not the peer's tunnel IP */
	uint64_t wg_drop_denied;       /* filter denied */
	uint64_t wg_drop_malformed;    /* decrypted bytes are not an IP packet */
	uint64_t wg_handshakes;        /* completed */
	uint64_t wg_handshakes_started;
	uint64_t wg_cookie_replies;
	uint64_t icmp_prohibited_sent;
	uint64_t udp_send_errors;
	uint64_t peers;                /* gauge: clients configured */
	uint64_t flows_active;         /* gauge: flows in the flow-log table */
	uint64_t flow_records;         /* flow-log lines written */
	uint64_t flows_untracked;      /* new flows not logged: table or peer share full */
	uint64_t wg_drop_replay;       /* data with a counter already seen or too old */
	/* Limits on what control and clients may make the dataplane keep
	 * (issue 19): each counts requests refused because the table (or the
	 * client's rate) was full. */
	uint64_t cap_peers;            /* PEER_ADD: the client table is full */
	uint64_t cap_grants;           /* GRANT: the client holds IPC_GRANTS_PER_CLIENT_MAX */
	uint64_t cap_relays;           /* RELAY: the relay table is full */
	uint64_t cap_channels;         /* CHANNEL: the channel table is full */
	uint64_t cap_udp_sockets;      /* UDP_SOCKET: one socket per family already */
	uint64_t cap_p2p_control;      /* p2p control events over a client's rate */
	uint64_t cap_translations;     /* DNS_SETUP: the client's (or every) NAT translation slot used */
	uint64_t cap_dns_names;        /* DNS_SETUP: the resource has FILTER_NAMES_PER_RESOURCE names */
	/* Requests from control refused because they were wrong. */
	uint64_t refused_peer_address; /* PEER_ADD with another peer's tunnel address */
	uint64_t refused_socket;       /* UDP_SOCKET whose descriptor is no fitting UDP socket */
	uint64_t icmp_unreachable_sent; /* unreachable replies: refused range, untranslated proxy IP */
	uint64_t tun_drop_inbound_denied; /* resource->client packet no grant admits, or late for its NAT session */
};

/* Resources one client may hold in the dataplane; more grants are refused. */
#define IPC_GRANTS_PER_CLIENT_MAX 256

/* An IP address of either family (4 or 6). */
struct ipc_ip {
	uint8_t family;
	uint8_t pad[3];
	uint8_t addr[16];
};

/*
 * DNS-resource translation for one client (docs/protocol/dataplane.md §4.3):
 * control has checked that the DNS resource is granted and that `name`
 * matches its pattern, and resolved it; the dataplane records the name's
 * addresses on the resource and maps each proxy IP to a real one.  Every
 * proxy IP lies in the proxy ranges (addr_in_proxy_range), at most 8 per
 * name (the client's 4 IPv4 and 4 IPv6); anything else is a protocol
 * violation.
 */
#define IPC_DNS_PROXIES_MAX 8
#define IPC_DNS_RESOLVED_MAX 32
struct ipc_c2d_dns_setup {
	uint8_t resource_id[16];
	char name[256];
	uint8_t n_proxies;
	uint8_t n_resolved;
	uint8_t pad[2];
	struct ipc_ip proxies[IPC_DNS_PROXIES_MAX];
	struct ipc_ip resolved[IPC_DNS_RESOLVED_MAX];
};

/* A proxy IP whose translation went silent while the client kept sending
 * (docs/protocol/dataplane.md §4.6): control resolves its name again. */
struct ipc_d2c_dns_refresh {
	struct ipc_ip proxy;
};

/*
 * The body of a p2p control packet (docs/protocol/dataplane.md §5) inside a
 * client's tunnel: the event type and its JSON, in either direction.  The
 * dataplane only frames them; control parses and answers.
 */
#define IPC_P2P_BODY_MAX 1280
struct ipc_p2p_control {
	uint8_t event;
	uint8_t pad;
	uint16_t len;               /* bytes of body[] */
	uint8_t body[];
};

#define IPC_PEER_EV_HANDSHAKE 1u   /* a handshake completed */
#define IPC_PEER_EV_EXPIRED 2u     /* session keys expired without a new handshake */
#define IPC_PEER_EV_GAVE_UP 3u     /* our own rekey attempts timed out */
#define IPC_PEER_EV_TRAFFIC 4u     /* data flowed (at most once a second per peer) */
struct ipc_d2c_peer_event {
	uint8_t event;
	uint8_t pad[7];
	uint64_t rx_bytes;
	uint64_t tx_bytes;
};

#endif
