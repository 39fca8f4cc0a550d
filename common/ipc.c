/*
 * ipc.c - validated SOCK_SEQPACKET messages with optional SCM_RIGHTS fd.
 */
#include "ipc.h"

#include "addr.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PH(x) (1u << (x))

struct ipc_rule {
	uint16_t type;
	const char *name;
	enum ipc_side to;  /* side that receives it */
	size_t min, max;   /* payload size bounds (equal for fixed messages) */
	int has_fd;
	uint32_t phases;   /* phases of the receiver in which it is allowed */
};

static const struct ipc_rule ipc_rules[] = {
	{ IPC_D2C_HELLO, "D2C_HELLO", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_hello), sizeof(struct ipc_d2c_hello), 0, PH(IPC_PH_HELLO) },
	{ IPC_D2C_CONFIG, "D2C_CONFIG", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_config), sizeof(struct ipc_d2c_config), 0, PH(IPC_PH_CONFIG) },
	{ IPC_D2C_SOCKET_ACK, "D2C_SOCKET_ACK", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_socket_ack), sizeof(struct ipc_d2c_socket_ack), 0, PH(IPC_PH_RUN) },
	{ IPC_D2C_UDP_RX, "D2C_UDP_RX", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_udp_rx) + 1,
	    sizeof(struct ipc_d2c_udp_rx) + IPC_MAX_DATAGRAM, 0, PH(IPC_PH_RUN) },
	{ IPC_D2C_SHUTDOWN, "D2C_SHUTDOWN", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_shutdown), sizeof(struct ipc_shutdown), 0,
	    PH(IPC_PH_HELLO) | PH(IPC_PH_CONFIG) | PH(IPC_PH_RUN) },
	{ IPC_D2C_IFACE_RESULT, "D2C_IFACE_RESULT", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_iface_result), sizeof(struct ipc_d2c_iface_result), 0, PH(IPC_PH_RUN) },
	{ IPC_D2C_PEER_EVENT, "D2C_PEER_EVENT", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_peer_event), sizeof(struct ipc_d2c_peer_event), 0, PH(IPC_PH_RUN) },
	{ IPC_D2C_COUNTERS, "D2C_COUNTERS", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_counters), sizeof(struct ipc_d2c_counters), 0, PH(IPC_PH_RUN) },
	{ IPC_D2C_P2P_CONTROL, "D2C_P2P_CONTROL", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_p2p_control), sizeof(struct ipc_p2p_control) + IPC_P2P_BODY_MAX, 0,
	    PH(IPC_PH_RUN) },
	{ IPC_D2C_DNS_REFRESH, "D2C_DNS_REFRESH", IPC_SIDE_CONTROL,
	    sizeof(struct ipc_d2c_dns_refresh), sizeof(struct ipc_d2c_dns_refresh), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_HELLO, "C2D_HELLO", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_hello), sizeof(struct ipc_c2d_hello), 0, PH(IPC_PH_HELLO) },
	{ IPC_C2D_UDP_SOCKET, "C2D_UDP_SOCKET", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_udp_socket), sizeof(struct ipc_c2d_udp_socket), 1, PH(IPC_PH_RUN) },
	{ IPC_C2D_SHUTDOWN, "C2D_SHUTDOWN", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_shutdown), sizeof(struct ipc_shutdown), 0,
	    PH(IPC_PH_HELLO) | PH(IPC_PH_RUN) },
	{ IPC_C2D_IFACE_CONFIG, "C2D_IFACE_CONFIG", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_iface_config), sizeof(struct ipc_c2d_iface_config), 0,
	    PH(IPC_PH_RUN) },
	{ IPC_C2D_PEER_ADD, "C2D_PEER_ADD", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_peer_add), sizeof(struct ipc_c2d_peer_add), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_PEER_REMOVE, "C2D_PEER_REMOVE", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_peer_remove), sizeof(struct ipc_c2d_peer_remove), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_PEER_PATH, "C2D_PEER_PATH", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_peer_path), sizeof(struct ipc_c2d_peer_path), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_GRANT, "C2D_GRANT", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_grant), sizeof(struct ipc_c2d_grant), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_REVOKE, "C2D_REVOKE", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_revoke), sizeof(struct ipc_c2d_revoke), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_RELAY, "C2D_RELAY", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_relay), sizeof(struct ipc_c2d_relay), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_CHANNEL, "C2D_CHANNEL", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_channel), sizeof(struct ipc_c2d_channel), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_DNS_SETUP, "C2D_DNS_SETUP", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_c2d_dns_setup), sizeof(struct ipc_c2d_dns_setup), 0, PH(IPC_PH_RUN) },
	{ IPC_C2D_P2P_CONTROL, "C2D_P2P_CONTROL", IPC_SIDE_DATAPLANE,
	    sizeof(struct ipc_p2p_control), sizeof(struct ipc_p2p_control) + IPC_P2P_BODY_MAX, 0,
	    PH(IPC_PH_RUN) },
};

struct ipc_qmsg {
	struct ipc_qmsg *next;
	int fd;
	size_t len;
	uint8_t data[];
};

static const struct ipc_rule *
rule_find(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(ipc_rules) / sizeof(ipc_rules[0]); i++)
		if (ipc_rules[i].type == type)
			return &ipc_rules[i];
	return NULL;
}

const char *
ipc_type_name(uint16_t type)
{
	const struct ipc_rule *r = rule_find(type);

	return r != NULL ? r->name : "unknown";
}

const char *
ipc_strerror(int err)
{
	switch (err) {
	case IPC_OK: return "ok";
	case IPC_EOF: return "peer closed the channel";
	case IPC_AGAIN: return "would block";
	case IPC_ESYS: return "system call failed";
	case IPC_ETRUNC: return "message or control data truncated";
	case IPC_ESHORT: return "message shorter than the header";
	case IPC_ELEN: return "header length does not match the message";
	case IPC_ETYPE: return "unknown message type";
	case IPC_EDIR: return "message type sent in the wrong direction";
	case IPC_ESIZE: return "payload size not allowed for the type";
	case IPC_EFD_MISSING: return "descriptor missing";
	case IPC_EFD_UNEXPECTED: return "unexpected descriptor";
	case IPC_EPHASE: return "message not allowed in this phase";
	case IPC_EVERSION: return "protocol version mismatch";
	case IPC_EPAYLOAD: return "invalid field in payload";
	case IPC_EQUEUE: return "send queue full";
	default: return "unknown error";
	}
}

void
ipc_chan_init(struct ipc_chan *ch, int fd, enum ipc_side side)
{
	memset(ch, 0, sizeof(*ch));
	ch->fd = fd;
	ch->side = side;
	ch->phase = IPC_PH_HELLO;
}

static void
qmsg_free(struct ipc_qmsg *q)
{
	if (q->fd >= 0)
		close(q->fd);
	explicit_bzero(q->data, q->len);
	free(q);
}

void
ipc_chan_clear(struct ipc_chan *ch)
{
	struct ipc_qmsg *q, *n;

	for (q = ch->qhead; q != NULL; q = n) {
		n = q->next;
		qmsg_free(q);
	}
	ch->qhead = ch->qtail = NULL;
	ch->qlen = 0;
}

int
ipc_str_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int
ipc_validate(const struct ipc_chan *ch, const struct ipc_hdr *h,
    size_t datagram_len, int have_fd)
{
	const struct ipc_rule *r;

	if (datagram_len < sizeof(*h))
		return IPC_ESHORT;
	if ((size_t)h->len != datagram_len - sizeof(*h))
		return IPC_ELEN;
	if ((r = rule_find(h->type)) == NULL)
		return IPC_ETYPE;
	if (r->to != ch->side)
		return IPC_EDIR;
	if (h->len < r->min || h->len > r->max)
		return IPC_ESIZE;
	if (r->has_fd && !have_fd)
		return IPC_EFD_MISSING;
	if (!r->has_fd && have_fd)
		return IPC_EFD_UNEXPECTED;
	if ((r->phases & PH(ch->phase)) == 0)
		return IPC_EPHASE;
	return IPC_OK;
}

/*
 * What control may ask of the dataplane's addresses (issue 19: control is
 * not trusted).  The interface gets only hosts of the tunnel ranges, so a
 * compromised control cannot put an arbitrary address on the host; peers
 * get only addresses of the client ranges; DNS translations only map
 * proxy IPs of the proxy ranges.
 */
/* Say which address broke which rule (the caller stops on the error). */
static int
refused_addr(const char *what, uint8_t family, const uint8_t *addr, const char *rule)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	log_warnx("ipc: refused %s %s: %s", what, ip, rule);
	return 0;
}

static int
iface_config_ok(const struct ipc_c2d_iface_config *ic)
{
	static const char rule[] = "not a host of 100.64.0.0/11 or fd00:2021:1111::/107";

	if (ic->has_v4 > 1 || ic->has_v6 > 1 || (!ic->has_v4 && !ic->has_v6))
		return 0;
	if (ic->has_v4 && !addr_is_tunnel_host(4, ic->v4))
		return refused_addr("interface address", 4, ic->v4, rule);
	if (ic->has_v6 && !addr_is_tunnel_host(6, ic->v6))
		return refused_addr("interface address", 6, ic->v6, rule);
	return 1;
}

static int
peer_add_ok(const struct ipc_c2d_peer_add *a)
{
	static const char rule[] = "outside the client ranges 100.64.0.0/11, fd00:2021:1111::/107";

	if (a->has_psk > 1 || a->has_v4 > 1 || a->has_v6 > 1 || (!a->has_v4 && !a->has_v6))
		return 0;
	if (a->has_v4 && !addr_in_client_range(4, a->tun_v4))
		return refused_addr("peer tunnel address", 4, a->tun_v4, rule);
	if (a->has_v6 && !addr_in_client_range(6, a->tun_v6))
		return refused_addr("peer tunnel address", 6, a->tun_v6, rule);
	return 1;
}

/* An IPv4 address leaves bytes 4-15 of its 16-byte field zero. */
static int
ip_field_ok(uint8_t family, const uint8_t addr[16])
{
	static const uint8_t zero[12];

	if (family == 4)
		return memcmp(addr + 4, zero, sizeof(zero)) == 0;
	return family == 6;
}

static int
dns_setup_ok(const struct ipc_c2d_dns_setup *d)
{
	unsigned i;

	if (!ipc_str_ok(d->name, sizeof(d->name)) ||
	    d->n_proxies > IPC_DNS_PROXIES_MAX || d->n_resolved > IPC_DNS_RESOLVED_MAX)
		return 0;
	for (i = 0; i < d->n_proxies; i++) {
		if (!ip_field_ok(d->proxies[i].family, d->proxies[i].addr))
			return 0;
		if (!addr_in_proxy_range(d->proxies[i].family, d->proxies[i].addr))
			return refused_addr("DNS proxy IP", d->proxies[i].family, d->proxies[i].addr,
			    "outside the proxy ranges 100.96.0.0/11, fd00:2021:1111:8000::/107");
	}
	for (i = 0; i < d->n_resolved; i++)
		if (!ip_field_ok(d->resolved[i].family, d->resolved[i].addr))
			return 0;
	return 1;
}

/* A grant's type is one of IPC_RES_*; only a CIDR grant has a network,
 * whose prefix fits its family. */
static int
grant_kind_ok(uint8_t type, uint8_t family, uint8_t prefix, const uint8_t net[16])
{
	static const uint8_t zero[16];

	switch (type) {
	case IPC_RES_CIDR:
		return ((family == 4 && prefix <= 32) || (family == 6 && prefix <= 128)) &&
		    ip_field_ok(family, net);
	case IPC_RES_DNS:
	case IPC_RES_INTERNET:
		return family == 0 && prefix == 0 && memcmp(net, zero, sizeof(zero)) == 0;
	default:
		return 0;
	}
}

/* Checks of fields inside payloads that the size table cannot express. */
static int
payload_check(const struct ipc_hdr *h, const uint8_t *p)
{
	switch (h->type) {
	case IPC_D2C_HELLO: {
		struct ipc_d2c_hello m;
		memcpy(&m, p, sizeof(m));
		return m.version == IPC_VERSION ? IPC_OK : IPC_EVERSION;
	}
	case IPC_C2D_HELLO: {
		struct ipc_c2d_hello m;
		memcpy(&m, p, sizeof(m));
		return m.version == IPC_VERSION ? IPC_OK : IPC_EVERSION;
	}
	case IPC_D2C_CONFIG: {
		const struct ipc_d2c_config *c = (const void *)p;
		if (!ipc_str_ok(c->api_url, sizeof(c->api_url)) ||
		    !ipc_str_ok(c->token, sizeof(c->token)) ||
		    !ipc_str_ok(c->firezone_id, sizeof(c->firezone_id)) ||
		    !ipc_str_ok(c->name, sizeof(c->name)) ||
		    !ipc_str_ok(c->health_addr, sizeof(c->health_addr)) ||
		    !ipc_str_ok(c->state_dir, sizeof(c->state_dir)) ||
		    c->log_level > 4 || c->log_format > 1 || c->no_telemetry > 1 ||
		    c->max_partition_s > 100u * 31557600u)
			return IPC_EPAYLOAD;
		return IPC_OK;
	}
	case IPC_D2C_SOCKET_ACK: {
		struct ipc_d2c_socket_ack a;
		memcpy(&a, p, sizeof(a));
		if ((a.family != 4 && a.family != 6) || a.ok > 1)
			return IPC_EPAYLOAD;
		return IPC_OK;
	}
	case IPC_D2C_UDP_RX: {
		struct ipc_d2c_udp_rx u;
		memcpy(&u, p, sizeof(u));
		if ((size_t)u.len + sizeof(u) != h->len)
			return IPC_EPAYLOAD;
		if ((u.from.family != 4 && u.from.family != 6) ||
		    (u.local.family != 4 && u.local.family != 6))
			return IPC_EPAYLOAD;
		if (u.kind != IPC_UDP_KIND_STUN && u.kind != IPC_UDP_KIND_RELAY &&
		    u.kind != IPC_UDP_KIND_STUN_RELAYED)
			return IPC_EPAYLOAD;
		return IPC_OK;
	}
	case IPC_C2D_UDP_SOCKET: {
		struct ipc_c2d_udp_socket s;
		memcpy(&s, p, sizeof(s));
		return (s.family == 4 || s.family == 6) ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_C2D_IFACE_CONFIG: {
		struct ipc_c2d_iface_config ic;
		memcpy(&ic, p, sizeof(ic));
		return iface_config_ok(&ic) ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_D2C_IFACE_RESULT: {
		const uint8_t *b = p;
		size_t i;
		for (i = 0; i < 6; i++)
			if (b[i] > 1)
				return IPC_EPAYLOAD;
		return IPC_OK;
	}
	case IPC_C2D_PEER_ADD: {
		struct ipc_c2d_peer_add a;
		int ok;
		memcpy(&a, p, sizeof(a));
		ok = h->peer_id != 0 && peer_add_ok(&a);
		explicit_bzero(&a, sizeof(a));
		return ok ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_C2D_PEER_REMOVE: {
		struct ipc_c2d_peer_remove r;
		memcpy(&r, p, sizeof(r));
		return (h->peer_id != 0 && (r.reason == IPC_PEER_REMOVE_REVOKED ||
		    r.reason == IPC_PEER_REMOVE_FAILED)) ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_C2D_PEER_PATH: {
		struct ipc_c2d_peer_path pp;
		memcpy(&pp, p, sizeof(pp));
		if (h->peer_id == 0 || pp.via_relay > 1 ||
		    (pp.remote.family != 4 && pp.remote.family != 6) ||
		    (pp.local.family != 0 && pp.local.family != pp.remote.family))
			return IPC_EPAYLOAD;
		if (pp.via_relay && ((pp.relay.family != 4 && pp.relay.family != 6) ||
		    pp.channel < 0x4000 || pp.channel > 0x4FFF))
			return IPC_EPAYLOAD;
		return IPC_OK;
	}
	case IPC_C2D_GRANT: {
		/*
		 * p is only 4-byte aligned (ipc_msg.buf + 16) and the grant
		 * needs 8 (expires_at): read it by offset, never through a
		 * struct ipc_c2d_grant pointer.
		 */
		uint8_t type = p[offsetof(struct ipc_c2d_grant, type)];
		uint8_t family = p[offsetof(struct ipc_c2d_grant, family)];
		uint8_t prefix = p[offsetof(struct ipc_c2d_grant, prefix)];
		uint8_t has_expiry = p[offsetof(struct ipc_c2d_grant, has_expiry)];
		uint32_t i, n;
		memcpy(&n, p + offsetof(struct ipc_c2d_grant, n_filters), sizeof(n));
		if (h->peer_id == 0 || has_expiry > 1 || n > IPC_GRANT_FILTERS_MAX ||
		    !grant_kind_ok(type, family, prefix, p + offsetof(struct ipc_c2d_grant, net)))
			return IPC_EPAYLOAD;
		for (i = 0; i < n; i++) {
			struct ipc_filter f;
			memcpy(&f, p + offsetof(struct ipc_c2d_grant, filters) + i * sizeof(f),
			    sizeof(f));
			if (f.proto < IPC_PROTO_TCP || f.proto > IPC_PROTO_ICMP ||
			    f.port_start > f.port_end)
				return IPC_EPAYLOAD;
		}
		return IPC_OK;
	}
	case IPC_C2D_REVOKE:
		return h->peer_id != 0 ? IPC_OK : IPC_EPAYLOAD;
	case IPC_C2D_DNS_SETUP: {
		const struct ipc_c2d_dns_setup *d = (const void *)p;
		return (h->peer_id != 0 && dns_setup_ok(d)) ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_D2C_DNS_REFRESH: {
		struct ipc_d2c_dns_refresh r;
		memcpy(&r, p, sizeof(r));
		return (h->peer_id != 0 && (r.proxy.family == 4 || r.proxy.family == 6)) ?
		    IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_C2D_P2P_CONTROL:
	case IPC_D2C_P2P_CONTROL: {
		struct ipc_p2p_control c;
		memcpy(&c, p, sizeof(c));
		return (h->peer_id != 0 && (size_t)c.len + sizeof(c) == h->len) ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_C2D_RELAY: {
		struct ipc_c2d_relay r;
		memcpy(&r, p, sizeof(r));
		return ((r.server.family == 4 || r.server.family == 6) && r.add <= 1 &&
		    r.server.port != 0) ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_C2D_CHANNEL: {
		struct ipc_c2d_channel ch;
		memcpy(&ch, p, sizeof(ch));
		return ((ch.server.family == 4 || ch.server.family == 6) &&
		    (ch.peer.family == 4 || ch.peer.family == 6) &&
		    (ch.relayed.family == 4 || ch.relayed.family == 6) &&
		    ch.peer.family == ch.relayed.family && ch.bound <= 1 &&
		    ch.channel >= 0x4000 && ch.channel <= 0x4FFF) ? IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_D2C_PEER_EVENT: {
		const uint8_t *b = p;
		return (h->peer_id != 0 && b[0] >= IPC_PEER_EV_HANDSHAKE && b[0] <= IPC_PEER_EV_TRAFFIC) ?
		    IPC_OK : IPC_EPAYLOAD;
	}
	case IPC_D2C_SHUTDOWN:
	case IPC_C2D_SHUTDOWN: {
		struct ipc_shutdown s;
		memcpy(&s, p, sizeof(s));
		return (s.reason == IPC_SHUTDOWN_SIGNAL || s.reason == IPC_SHUTDOWN_FATAL) ?
		    IPC_OK : IPC_EPAYLOAD;
	}
	default:
		return IPC_OK;
	}
}

int
ipc_recv(struct ipc_chan *ch, struct ipc_msg *m)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec iov = { m->buf, sizeof(m->buf) };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	int fds[4], nfds = 0, i, rc;

	m->fd = -1;
	m->payload = NULL;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);

	do {
		n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return IPC_AGAIN;
		/* The peer died with data unread: the same as an orderly close. */
		return errno == ECONNRESET ? IPC_EOF : IPC_ESYS;
	}

	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			size_t k;
			for (k = 0; k < cnt && nfds < 4; k++)
				memcpy(&fds[nfds++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
		}
	}
	rc = IPC_OK;
	if (n == 0 && nfds == 0)
		return IPC_EOF;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		rc = IPC_ETRUNC;
	else if (nfds > 1)
		rc = IPC_EFD_UNEXPECTED;
	else if ((size_t)n < sizeof(struct ipc_hdr))
		rc = IPC_ESHORT;
	else {
		memcpy(&m->hdr, m->buf, sizeof(m->hdr));
		rc = ipc_validate(ch, &m->hdr, (size_t)n, nfds == 1);
		if (rc == IPC_OK)
			rc = payload_check(&m->hdr, m->buf + sizeof(m->hdr));
	}
	if (rc != IPC_OK) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		explicit_bzero(m->buf, (size_t)n);
		return rc;
	}
	m->payload = m->buf + sizeof(m->hdr);
	m->fd = nfds == 1 ? fds[0] : -1;

	switch (m->hdr.type) {
	case IPC_D2C_HELLO:
		ch->phase = IPC_PH_CONFIG;
		break;
	case IPC_C2D_HELLO:
	case IPC_D2C_CONFIG:
		ch->phase = IPC_PH_RUN;
		break;
	case IPC_D2C_SHUTDOWN:
	case IPC_C2D_SHUTDOWN:
		ch->phase = IPC_PH_CLOSED;
		break;
	default:
		break;
	}
	return IPC_OK;
}

static ssize_t
send_raw(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n;
}

int
ipc_flush(struct ipc_chan *ch)
{
	struct ipc_qmsg *q;
	ssize_t n;

	while ((q = ch->qhead) != NULL) {
		n = send_raw(ch->fd, q->data, q->len, q->fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return IPC_AGAIN;
			return IPC_ESYS;
		}
		ch->qhead = q->next;
		if (ch->qhead == NULL)
			ch->qtail = NULL;
		ch->qlen--;
		qmsg_free(q);
	}
	return IPC_OK;
}

int
ipc_pending(const struct ipc_chan *ch)
{
	return ch->qhead != NULL;
}

int
ipc_send(struct ipc_chan *ch, uint16_t type, uint32_t peer_id,
    const void *payload, size_t len, int fd, int reliable)
{
	uint8_t buf[IPC_MAX_MSG];
	struct ipc_hdr h;
	struct ipc_qmsg *q;
	size_t total = sizeof(h) + len;
	ssize_t n;

	if (len > IPC_MAX_PAYLOAD)
		return IPC_ESIZE;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)len;
	h.peer_id = peer_id;
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), payload, len);

	if (ch->qhead == NULL) {
		n = send_raw(ch->fd, buf, total, fd);
		if (n >= 0) {
			explicit_bzero(buf, total);
			return IPC_OK;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			explicit_bzero(buf, total);
			return (errno == EPIPE || errno == ECONNRESET) ? IPC_EOF : IPC_ESYS;
		}
	}
	if (!reliable) {
		ch->dropped++;
		explicit_bzero(buf, total);
		return IPC_AGAIN;
	}
	if (ch->qlen >= IPC_QUEUE_MAX) {
		explicit_bzero(buf, total);
		return IPC_EQUEUE;
	}
	if ((q = malloc(sizeof(*q) + total)) == NULL) {
		explicit_bzero(buf, total);
		return IPC_ESYS;
	}
	q->next = NULL;
	q->len = total;
	q->fd = -1;
	if (fd >= 0 && (q->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		free(q);
		explicit_bzero(buf, total);
		return IPC_ESYS;
	}
	memcpy(q->data, buf, total);
	explicit_bzero(buf, total);
	if (ch->qtail != NULL)
		ch->qtail->next = q;
	else
		ch->qhead = q;
	ch->qtail = q;
	ch->qlen++;
	return IPC_OK;
}
