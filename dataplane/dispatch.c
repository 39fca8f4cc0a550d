/*
 * dispatch.c - the dataplane's one IPC dispatcher: every message from
 * control arrives here after ipc_recv validated it and goes straight to
 * its handler (per-client and relay messages: peer_ipc.c).
 */
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dataplane.h"
#include "log.h"

void
dp_ipc_flush(struct dp *dp)
{
	int rc = ipc_flush(&dp->ipc);

	if (rc == IPC_OK) {
		event_del(dp->ev_ipc_write);
		return;
	}
	if (rc == IPC_AGAIN) {
		event_add(dp->ev_ipc_write, NULL);
		return;
	}
	dp_stop(dp, 1, "cannot write to control");
}

void
dp_ipc_send_reliable(struct dp *dp, uint16_t type, const void *payload, size_t len)
{
	int rc = ipc_send(&dp->ipc, type, 0, payload, len, -1, 1);

	if (rc == IPC_EOF) {
		/* Control closed its end: what it said last (a SHUTDOWN with its
		 * reason) is still to be read, and the reader stops us then. */
		log_debug("ipc: %s not sent: control closed the channel", ipc_type_name(type));
		return;
	}
	if (rc != IPC_OK) {
		log_warnx("ipc: cannot send %s: %s", ipc_type_name(type), ipc_strerror(rc));
		dp_stop(dp, 1, "control channel broken");
		return;
	}
	if (ipc_pending(&dp->ipc))
		event_add(dp->ev_ipc_write, NULL);
}

static void
on_udp_socket(struct dp *dp, const struct ipc_msg *m)
{
	struct ipc_c2d_udp_socket s;
	struct ipc_d2c_socket_ack ack;
	uint32_t mark = 0;

	memcpy(&s, m->payload, sizeof(s));
	memset(&ack, 0, sizeof(ack));
	ack.family = s.family;
	ack.port = s.port;
	if (dp_udp_adopt(dp, m->fd, s.family, s.port, &mark) == 0) {
		ack.ok = 1;
		ack.mark = mark;
		log_info("udp: reading the IPv%u socket on port %u", s.family, (unsigned)s.port);
	} else {
		close(m->fd);
	}
	dp_ipc_send_reliable(dp, IPC_D2C_SOCKET_ACK, &ack, sizeof(ack));
}

/* The per-client messages: the peer must exist (PEER_ADD creates it). */
static void
on_peer_msg(struct dp *dp, const struct ipc_msg *m)
{
	struct dp_peer *p;

	if ((p = peers_by_id(&dp->peers, m->hdr.peer_id)) == NULL) {
		log_warnx("ipc: %s for unknown peer %u ignored", ipc_type_name(m->hdr.type),
		    m->hdr.peer_id);
		return;
	}
	switch (m->hdr.type) {
	case IPC_C2D_PEER_REMOVE:
		dp_peer_remove(dp, p, m);
		break;
	case IPC_C2D_PEER_PATH:
		dp_peer_path(dp, p, m);
		break;
	case IPC_C2D_GRANT:
		dp_peer_grant(dp, p, m);
		break;
	case IPC_C2D_REVOKE:
		dp_peer_revoke(dp, p, m);
		break;
	case IPC_C2D_DNS_SETUP:
		dp_peer_dns_setup(dp, p, m);
		break;
	case IPC_C2D_P2P_CONTROL:
		dp_peer_p2p_control(dp, p, m);
		break;
	default:
		break;
	}
}

/* The portal's init: addresses, MTU, link up, rules and routes, applied
 * without blocking (iface.c), which sends IPC_D2C_IFACE_RESULT. */
static void
on_iface_config(struct dp *dp, const struct ipc_msg *m)
{
	struct ipc_c2d_iface_config ic;

	memcpy(&ic, m->payload, sizeof(ic));
	(void)filter_gateway_set(&dp->gw, ic.has_v4 ? ic.v4 : NULL, ic.has_v6 ? ic.v6 : NULL);
	dp_iface_config(dp, &ic);
}

void
dp_ipc_readable(struct dp *dp)
{
	struct ipc_msg m;
	int rc, i;

	/* A bounded number per wakeup keeps the packet path responsive. */
	for (i = 0; i < 64; i++) {
		rc = ipc_recv(&dp->ipc, &m);
		if (rc == IPC_AGAIN)
			return;
		if (rc == IPC_EOF) {
			if (dp->stopping || dp->ipc.phase == IPC_PH_CLOSED)
				dp_stop(dp, dp->exit_code, NULL);
			else
				dp_stop(dp, 1, "control process closed the channel unexpectedly");
			return;
		}
		if (rc != IPC_OK) {
			log_errorx("ipc: invalid message from control: %s", ipc_strerror(rc));
			dp_stop(dp, 1, "protocol violation on the control channel");
			return;
		}
		switch (m.hdr.type) {
		case IPC_C2D_HELLO: {
			struct ipc_c2d_hello h;
			memcpy(&h, m.payload, sizeof(h));
			log_info("ipc: control process %u said hello (protocol %u)",
			    (unsigned)h.pid, (unsigned)h.version);
			break;
		}
		case IPC_C2D_UDP_SOCKET:
			on_udp_socket(dp, &m);
			break;
		case IPC_C2D_IFACE_CONFIG:
			on_iface_config(dp, &m);
			break;
		case IPC_C2D_PEER_ADD:
			dp_peer_add(dp, &m);
			/* The received copy of a preshared key goes at once. */
			explicit_bzero(m.buf, sizeof(m.hdr) + m.hdr.len);
			break;
		case IPC_C2D_RELAY:
			dp_relay_set(dp, &m);
			break;
		case IPC_C2D_CHANNEL:
			dp_relay_channel(dp, &m);
			break;
		case IPC_C2D_PEER_REMOVE:
		case IPC_C2D_PEER_PATH:
		case IPC_C2D_GRANT:
		case IPC_C2D_REVOKE:
		case IPC_C2D_DNS_SETUP:
		case IPC_C2D_P2P_CONTROL:
			on_peer_msg(dp, &m);
			break;
		case IPC_C2D_SHUTDOWN: {
			struct ipc_shutdown s;
			memcpy(&s, m.payload, sizeof(s));
			if (s.reason == IPC_SHUTDOWN_SIGNAL)
				dp_stop(dp, 0, "control process is stopping");
			else
				dp_stop(dp, 1, "control process hit a fatal error");
			return;
		}
		default:
			/* ipc_recv only returns types of the table. */
			break;
		}
		explicit_bzero(m.buf, sizeof(struct ipc_hdr) + m.hdr.len);
	}
}
