/*
 * dispatch.c - control's one IPC dispatcher: every message from the
 * dataplane arrives here after ipc_recv validated it.
 */
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "addr.h"
#include "control.h"
#include "dnsnat.h"
#include "log.h"

static void ctl_ipc_sent(struct ctl *c, uint16_t type, int rc);

void
ctl_ipc_flush(struct ctl *c)
{
	int rc = ipc_flush(&c->ipc);

	if (rc == IPC_OK)
		event_del(c->ev_ipc_write);
	else if (rc == IPC_AGAIN)
		event_add(c->ev_ipc_write, NULL);
	else
		ctl_stop(c, 1, "cannot write to the dataplane");
}

void
ctl_ipc_send_reliable(struct ctl *c, uint16_t type, const void *payload, size_t len, int fd)
{
	int rc = ipc_send(&c->ipc, type, 0, payload, len, fd, 1);

	ctl_ipc_sent(c, type, rc);
}

void
ctl_ipc_send_peer(struct ctl *c, uint16_t type, uint32_t peer_id, const void *payload, size_t len)
{
	ctl_ipc_sent(c, type, ipc_send(&c->ipc, type, peer_id, payload, len, -1, 1));
}

static void
ctl_ipc_sent(struct ctl *c, uint16_t type, int rc)
{
	if (rc == IPC_EOF) {
		ctl_stop(c, c->stopping ? c->exit_code : 1, "the dataplane has gone");
		return;
	}
	if (rc != IPC_OK) {
		log_errorx("ipc: cannot send %s: %s", ipc_type_name(type), ipc_strerror(rc));
		ctl_stop(c, 1, "dataplane channel broken");
		return;
	}
	if (ipc_pending(&c->ipc))
		event_add(c->ev_ipc_write, NULL);
}

static void
on_hello(struct ctl *c, const struct ipc_msg *m)
{
	struct ipc_d2c_hello h;
	struct ipc_c2d_hello r;
	char b64[64];

	memcpy(&h, m->payload, sizeof(h));
	c->dataplane_pid = h.pid;
	memcpy(c->public_key, h.public_key, sizeof(c->public_key));
	EVP_EncodeBlock((unsigned char *)b64, c->public_key, sizeof(c->public_key));
	log_info("ipc: dataplane %u said hello (protocol %u); WireGuard public key %s",
	    (unsigned)h.pid, (unsigned)h.version, b64);
	memset(&r, 0, sizeof(r));
	r.version = IPC_VERSION;
	r.pid = (uint32_t)getpid();
	ctl_ipc_send_reliable(c, IPC_C2D_HELLO, &r, sizeof(r), -1);
}

static void
on_config(struct ctl *c, const struct ipc_msg *m)
{
	memcpy(&c->cfg, m->payload, sizeof(c->cfg));
	c->have_config = 1;
	log_setlevel((enum log_level)c->cfg.log_level);
	log_info("config: portal %s, name \"%s\", health check %s, state directory %s",
	    c->cfg.api_url, c->cfg.name, c->cfg.health_addr, c->cfg.state_dir);
	if (ctl_sockets_create(c) == 0) {
		ctl_stop(c, 1, "cannot bind any UDP socket (neither IPv4 nor IPv6)");
		return;
	}
	ctl_session_start(c);
}

static void
on_socket_ack(struct ctl *c, const struct ipc_msg *m)
{
	struct ipc_d2c_socket_ack a;
	struct ctl_udp *u;
	int i, all = 1;

	memcpy(&a, m->payload, sizeof(a));
	u = &c->udp[a.family == 4 ? 0 : 1];
	if (u->fd < 0 || u->port != a.port) {
		ctl_stop(c, 1, "dataplane acknowledged a socket we never sent");
		return;
	}
	if (!a.ok) {
		log_errorx("udp: the dataplane refused the IPv%u socket", a.family);
		close(u->fd);
		u->fd = -1;
	} else {
		u->acked = 1;
		if (a.mark == 0)
			log_warnx("udp: IPv%u socket has no routing mark", a.family);
	}
	for (i = 0; i < 2; i++)
		if (c->udp[i].fd >= 0 && !c->udp[i].acked)
			all = 0;
	if (!all)
		return;
	if (c->udp[0].fd < 0 && c->udp[1].fd < 0) {
		ctl_stop(c, 1, "no UDP socket is usable");
		return;
	}
	if (c->dataplane_ready)
		return;
	log_info("ready: dataplane %u reads UDP %s%u%s%s%u",
	    (unsigned)c->dataplane_pid,
	    c->udp[0].fd >= 0 ? "IPv4 port " : "", c->udp[0].fd >= 0 ? c->udp[0].port : 0,
	    c->udp[0].fd >= 0 && c->udp[1].fd >= 0 ? ", " : "",
	    c->udp[1].fd >= 0 ? "IPv6 port " : "", c->udp[1].fd >= 0 ? c->udp[1].port : 0);
	ctl_session_dataplane_ready(c);
}

static void
on_udp_rx(struct ctl *c, const struct ipc_msg *m)
{
	struct ipc_d2c_udp_rx rx;
	char from[ADDR_STRLEN];

	memcpy(&rx, m->payload, sizeof(rx));
	if (rx.kind == IPC_UDP_KIND_RELAY) {
		c->udp_rx_relay++;
		if (c->portal_live) {
			p2p_learn_host(&c->p2p, &rx.local);
			turnmgr_input(c, &rx, m->payload + sizeof(rx));
		}
		return;
	}
	c->udp_rx_stun++;
	log_debug("udp: %u-byte STUN datagram from %s", (unsigned)rx.len,
	    addr_fmt(&rx.from, from, sizeof(from)));
	if (c->portal_live)
		p2p_stun_rx(&c->p2p, &rx, m->payload + sizeof(rx));
}

void
ctl_ipc_readable(struct ctl *c)
{
	struct ipc_msg m;
	int rc, i;

	for (i = 0; i < 64; i++) {
		rc = ipc_recv(&c->ipc, &m);
		if (rc == IPC_AGAIN)
			return;
		if (rc == IPC_EOF) {
			if (c->stopping || c->ipc.phase == IPC_PH_CLOSED)
				ctl_stop(c, c->exit_code, NULL);
			else
				ctl_stop(c, 1, "the dataplane closed the channel unexpectedly");
			return;
		}
		if (rc != IPC_OK) {
			log_errorx("ipc: invalid message from the dataplane: %s", ipc_strerror(rc));
			ctl_stop(c, 1, "protocol violation on the dataplane channel");
			return;
		}
		switch (m.hdr.type) {
		case IPC_D2C_HELLO:
			on_hello(c, &m);
			break;
		case IPC_D2C_CONFIG:
			on_config(c, &m);
			break;
		case IPC_D2C_SOCKET_ACK:
			on_socket_ack(c, &m);
			break;
		case IPC_D2C_UDP_RX:
			on_udp_rx(c, &m);
			break;
		case IPC_D2C_P2P_CONTROL: {
			struct ipc_p2p_control pc;
			memcpy(&pc, m.payload, sizeof(pc));
			if (!c->portal_live)
				break;
			if (pc.event == P2P_EV_GOODBYE)
				ctl_session_client_goodbye(c, m.hdr.peer_id);
			else
				dnsnat_p2p_control(c, m.hdr.peer_id, &pc, m.payload + sizeof(pc));
			break;
		}
		case IPC_D2C_DNS_REFRESH: {
			struct ipc_d2c_dns_refresh rr;
			memcpy(&rr, m.payload, sizeof(rr));
			if (c->portal_live)
				dnsnat_refresh(c, m.hdr.peer_id, &rr.proxy);
			break;
		}
		case IPC_D2C_COUNTERS:
			memcpy(&c->dp_counters, m.payload, sizeof(c->dp_counters));
			break;
		case IPC_D2C_PEER_EVENT: {
			struct ipc_d2c_peer_event e;
			memcpy(&e, m.payload, sizeof(e));
			if (c->portal_live)
				p2p_peer_event(&c->p2p, m.hdr.peer_id, &e);
			break;
		}
		case IPC_D2C_IFACE_RESULT: {
			struct ipc_d2c_iface_result r;
			memcpy(&r, m.payload, sizeof(r));
			ctl_session_iface_result(c, &r);
			break;
		}
		case IPC_D2C_SHUTDOWN: {
			struct ipc_shutdown s;
			memcpy(&s, m.payload, sizeof(s));
			if (s.reason == IPC_SHUTDOWN_SIGNAL)
				ctl_stop(c, 0, "the dataplane is stopping");
			else
				ctl_stop(c, 1, "the dataplane hit a fatal error");
			break;
		}
		default:
			break;
		}
		OPENSSL_cleanse(m.buf, sizeof(struct ipc_hdr) + m.hdr.len);
		if (c->stopping)
			return;
	}
}
