/*
 * fuzz_ipc.c - libFuzzer target for common/ipc.c: ipc_recv on one
 * datagram of arbitrary bytes, as it would arrive over the dataplane /
 * control socketpair.
 *
 * Byte 0: bit 0 the receiving side (dataplane or control), bits 1-2 its
 * phase (hello, config, run, closed), bits 3-4 how many descriptors ride
 * along (0, 1 or 2, with SCM_RIGHTS), bit 5 sends a second copy of the
 * message with ipc_send from the other end.  The rest is the datagram,
 * written as is into a SOCK_SEQPACKET socketpair.  After each input no
 * descriptor may be left open besides the ones the target owns, and the
 * socket must be empty.  A message the dataplane side accepts must keep
 * the address rules of issue 19 (checked here against the ranges written
 * out by number, independently of common/addr.c): interface addresses are
 * hosts of the tunnel ranges, peer addresses lie in the client ranges,
 * DNS proxy IPs in the proxy ranges (at most 8), grants have a known type
 * and a family and prefix that fit it.
 *
 * Seeds are real messages framed by ipc_send: run the binary with
 * FZ_IPC_WRITE_SEEDS=<dir> and it writes them and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"

static int sv[2] = { -1, -1 };
static int nullfd = -1;
static struct ipc_msg msg;

/* The lowest free descriptor number: a leak makes it move. */
static int
lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

static int
send_raw(const uint8_t *data, size_t size, int nfds)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * 2)];
	} cbuf;
	struct iovec iov = { (void *)data, size };
	struct msghdr mh;
	struct cmsghdr *c;
	int fds[2] = { nullfd, nullfd };

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(sv[0], &mh, MSG_DONTWAIT) < 0 ? -1 : 0;
}

/* ---- issue 19 oracle: the Firezone ranges by number -------------------- */

static int
client4(const uint8_t *a)
{
	return a[0] == 100 && (a[1] & 0xe0) == 64;     /* 100.64.0.0/11 */
}

static int
v6_in(const uint8_t *a, uint8_t b6)
{
	static const uint8_t p[13] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 };
	uint8_t q[13];

	memcpy(q, p, sizeof(q));
	q[6] = b6;
	return memcmp(a, q, sizeof(q)) == 0 && (a[13] & 0xe0) == 0; /* /107 */
}

static int
tunnel_host4(const uint8_t *a)
{
	uint32_t host = ((uint32_t)(a[1] & 0x1f) << 16) | ((uint32_t)a[2] << 8) | a[3];

	return client4(a) && host != 0 && host != 0x1fffff;
}

static int
tunnel_host6(const uint8_t *a)
{
	return v6_in(a, 0x00) && ((a[13] & 0x1f) | a[14] | a[15]) != 0;
}

static int
proxy_ip(const struct ipc_ip *ip)
{
	if (ip->family == 4)
		return ip->addr[0] == 100 && (ip->addr[1] & 0xe0) == 96;  /* 100.96.0.0/11 */
	return ip->family == 6 && v6_in(ip->addr, 0x80);
}

/* Abort if the dataplane side accepted a message that breaks a rule. */
static void
check_accepted(const struct ipc_msg *m)
{
	const uint8_t *p = m->payload;

	switch (m->hdr.type) {
	case IPC_C2D_IFACE_CONFIG: {
		struct ipc_c2d_iface_config ic;
		memcpy(&ic, p, sizeof(ic));
		if ((ic.has_v4 && !tunnel_host4(ic.v4)) || (ic.has_v6 && !tunnel_host6(ic.v6)) ||
		    (!ic.has_v4 && !ic.has_v6))
			abort();
		break;
	}
	case IPC_C2D_PEER_ADD: {
		struct ipc_c2d_peer_add a;
		memcpy(&a, p, sizeof(a));
		if ((a.has_v4 && !client4(a.tun_v4)) || (a.has_v6 && !v6_in(a.tun_v6, 0x00)) ||
		    (!a.has_v4 && !a.has_v6))
			abort();
		break;
	}
	case IPC_C2D_DNS_SETUP: {
		static struct ipc_c2d_dns_setup d;
		unsigned i;
		memcpy(&d, p, sizeof(d));
		if (d.n_proxies > 8 || d.n_resolved > IPC_DNS_RESOLVED_MAX)
			abort();
		for (i = 0; i < d.n_proxies; i++)
			if (!proxy_ip(&d.proxies[i]))
				abort();
		for (i = 0; i < d.n_resolved; i++)
			if (d.resolved[i].family != 4 && d.resolved[i].family != 6)
				abort();
		break;
	}
	case IPC_C2D_GRANT: {
		uint8_t type = p[offsetof(struct ipc_c2d_grant, type)];
		uint8_t family = p[offsetof(struct ipc_c2d_grant, family)];
		uint8_t prefix = p[offsetof(struct ipc_c2d_grant, prefix)];
		if (type == IPC_RES_CIDR) {
			if (!((family == 4 && prefix <= 32) || (family == 6 && prefix <= 128)))
				abort();
		} else if (type == IPC_RES_DNS || type == IPC_RES_INTERNET) {
			if (family != 0 || prefix != 0)
				abort();
		} else {
			abort();
		}
		break;
	}
	default:
		break;
	}
}

static void
receive(struct ipc_chan *ch)
{
	enum ipc_phase before = ch->phase;
	int rc;

	rc = ipc_recv(ch, &msg);
	if (rc == IPC_OK) {
		if (msg.payload != msg.buf + sizeof(msg.hdr))
			abort();
		if (ipc_type_name(msg.hdr.type) == NULL)
			abort();
		if (msg.fd >= 0)
			close(msg.fd);
		if (before == IPC_PH_CLOSED)
			abort();	/* nothing is allowed after SHUTDOWN */
		if (ch->side == IPC_SIDE_DATAPLANE)
			check_accepted(&msg);
	} else {
		if (msg.fd != -1 || ipc_strerror(rc) == NULL)
			abort();
		if (ch->phase != before)
			abort();	/* a refused message changes nothing */
	}
}

/* ---- seed writer: real messages framed by ipc_send ------------------- */

static void
seed(const char *dir, const char *name, uint8_t flags, uint16_t type,
    uint32_t peer_id, const void *payload, size_t len, int fd)
{
	static uint8_t buf[1 + IPC_MAX_MSG + 64];
	struct ipc_chan tx;
	char path[4096];
	ssize_t n;
	FILE *f;

	ipc_chan_init(&tx, sv[0], (flags & 1) ? IPC_SIDE_DATAPLANE : IPC_SIDE_CONTROL);
	tx.phase = IPC_PH_RUN;
	if (ipc_send(&tx, type, peer_id, payload, len, fd, 1) != IPC_OK)
		abort();
	n = recv(sv[1], buf + 1, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0)
		abort();
	buf[0] = flags;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, (size_t)n + 1, f) != (size_t)n + 1 || fclose(f) != 0)
		abort();
	ipc_chan_clear(&tx);
}

/* flags: side (1 = control receives), phase << 1, descriptors << 3 */
#define TO_DP(ph)	((uint8_t)((ph) << 1))
#define TO_CTL(ph)	((uint8_t)(1 | ((ph) << 1)))
#define WITH_FD		0x08

/* Seeds near the address rules of issue 19, accepted and refused. */
static void
seeds_issue19(const char *dir)
{
	static const uint8_t c6[16] = { 0xfd, 0, 0x20, 0x21, 0x11, 0x11, [15] = 7 };
	static const uint8_t doc6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static struct ipc_c2d_dns_setup d;
	struct ipc_c2d_iface_config ic;
	struct ipc_c2d_peer_add pa;
	struct ipc_c2d_grant g;
	unsigned i;

	memset(&ic, 0, sizeof(ic));
	ic.has_v4 = 1;
	memcpy(ic.v4, (const uint8_t[]){ 192, 168, 1, 1 }, 4);
	seed(dir, "c2d_iface_config_lan4", TO_DP(IPC_PH_RUN), IPC_C2D_IFACE_CONFIG, 0, &ic,
	    sizeof(ic), -1);
	memcpy(ic.v4, (const uint8_t[]){ 100, 95, 255, 255 }, 4);
	seed(dir, "c2d_iface_config_v4_all_ones", TO_DP(IPC_PH_RUN), IPC_C2D_IFACE_CONFIG, 0, &ic,
	    sizeof(ic), -1);
	memset(&ic, 0, sizeof(ic));
	ic.has_v6 = 1;
	memcpy(ic.v6, doc6, 16);
	seed(dir, "c2d_iface_config_doc6", TO_DP(IPC_PH_RUN), IPC_C2D_IFACE_CONFIG, 0, &ic,
	    sizeof(ic), -1);
	memcpy(ic.v6, c6, 16);
	ic.v6[13] = 0x1f;
	seed(dir, "c2d_iface_config_v6_range_end", TO_DP(IPC_PH_RUN), IPC_C2D_IFACE_CONFIG, 0, &ic,
	    sizeof(ic), -1);

	memset(&pa, 0, sizeof(pa));
	pa.public_key[0] = 9;
	pa.has_v6 = 1;
	memcpy(pa.tun_v6, c6, 16);
	seed(dir, "c2d_peer_add_v6", TO_DP(IPC_PH_RUN), IPC_C2D_PEER_ADD, 7, &pa, sizeof(pa), -1);
	pa.has_v4 = 1;
	memcpy(pa.tun_v4, (const uint8_t[]){ 192, 168, 1, 5 }, 4);
	seed(dir, "c2d_peer_add_lan4", TO_DP(IPC_PH_RUN), IPC_C2D_PEER_ADD, 7, &pa, sizeof(pa), -1);

	memset(&d, 0, sizeof(d));
	d.resource_id[0] = 4;
	strcpy(d.name, "app.example.test");
	for (i = 0; i < 8; i++) {
		d.proxies[i].family = i < 4 ? 4 : 6;
		if (i < 4) {
			memcpy(d.proxies[i].addr, (const uint8_t[]){ 100, 96, 0, (uint8_t)(i + 1) }, 4);
		} else {
			memcpy(d.proxies[i].addr, c6, 16);
			d.proxies[i].addr[6] = 0x80;
			d.proxies[i].addr[15] = (uint8_t)i;
		}
	}
	d.n_proxies = 8;
	d.n_resolved = 2;
	d.resolved[0].family = 4;
	memcpy(d.resolved[0].addr, (const uint8_t[]){ 198, 18, 0, 10 }, 4);
	d.resolved[1].family = 6;
	memcpy(d.resolved[1].addr, doc6, 16);
	seed(dir, "c2d_dns_setup", TO_DP(IPC_PH_RUN), IPC_C2D_DNS_SETUP, 7, &d, sizeof(d), -1);
	memcpy(d.proxies[0].addr, (const uint8_t[]){ 172, 31, 201, 99 }, 4);
	seed(dir, "c2d_dns_setup_lan_proxy", TO_DP(IPC_PH_RUN), IPC_C2D_DNS_SETUP, 7, &d,
	    sizeof(d), -1);

	memset(&g, 0, sizeof(g));
	g.resource_id[0] = 5;
	g.type = IPC_RES_DNS;
	seed(dir, "c2d_grant_dns", TO_DP(IPC_PH_RUN), IPC_C2D_GRANT, 7, &g, sizeof(g), -1);
	g.type = IPC_RES_INTERNET;
	g.family = 4;
	g.prefix = 8;
	seed(dir, "c2d_grant_internet_with_net", TO_DP(IPC_PH_RUN), IPC_C2D_GRANT, 7, &g,
	    sizeof(g), -1);
}

static void
write_seeds(const char *dir)
{
	static struct ipc_d2c_config cfg;
	struct ipc_d2c_hello dh = { IPC_VERSION, 1234, { 1, 2, 3 } };
	struct ipc_c2d_hello ch = { IPC_VERSION, 1235 };
	struct ipc_c2d_udp_socket us = { 6, 0, 51820 };
	struct ipc_c2d_iface_config ic = { 1, 1, { 0 }, { 100, 64, 0, 7 },
	    { 0xfd, 0, 0x20, 0x21, 0x11, 0x11, [15] = 7 } };
	struct ipc_c2d_peer_add pa = { { 9 }, { 8 }, 1, 1, 0, 0, { 100, 64, 0, 9 }, { 0 }, 25, 0 };
	struct ipc_c2d_peer_path pp;
	struct ipc_c2d_grant g;
	struct ipc_c2d_revoke rv = { { 1, 2, 3 } };
	struct ipc_shutdown sd = { IPC_SHUTDOWN_SIGNAL };
	struct ipc_d2c_peer_event pe = { IPC_PEER_EV_HANDSHAKE, { 0 }, 100, 200 };
	struct ipc_d2c_socket_ack ack = { 6, 1, 51820, 0 };
	struct ipc_c2d_relay rl;
	struct ipc_c2d_channel cn;
	uint8_t rx[sizeof(struct ipc_d2c_udp_rx) + 20];
	struct ipc_d2c_udp_rx *u = (struct ipc_d2c_udp_rx *)rx;

	strcpy(cfg.api_url, "wss://api.firezone.dev");
	strcpy(cfg.token, "secret-token");
	strcpy(cfg.firezone_id, "id");
	strcpy(cfg.name, "gw");
	strcpy(cfg.state_dir, "/var/lib/firezone");
	cfg.log_level = 2;
	seed(dir, "d2c_hello", TO_CTL(IPC_PH_HELLO), IPC_D2C_HELLO, 0, &dh, sizeof(dh), -1);
	seed(dir, "d2c_config", TO_CTL(IPC_PH_CONFIG), IPC_D2C_CONFIG, 0, &cfg, sizeof(cfg), -1);
	seed(dir, "c2d_hello", TO_DP(IPC_PH_HELLO), IPC_C2D_HELLO, 0, &ch, sizeof(ch), -1);
	seed(dir, "c2d_udp_socket_fd", TO_DP(IPC_PH_RUN) | WITH_FD, IPC_C2D_UDP_SOCKET, 0,
	    &us, sizeof(us), nullfd);
	seed(dir, "c2d_iface_config", TO_DP(IPC_PH_RUN), IPC_C2D_IFACE_CONFIG, 0, &ic, sizeof(ic), -1);
	seed(dir, "c2d_peer_add", TO_DP(IPC_PH_RUN), IPC_C2D_PEER_ADD, 7, &pa, sizeof(pa), -1);
	memset(&pp, 0, sizeof(pp));
	pp.remote.family = 4;
	pp.remote.port = 40000;
	pp.relay.family = 4;
	pp.relay.port = 3478;
	pp.via_relay = 1;
	pp.channel = 0x4001;
	seed(dir, "c2d_peer_path", TO_DP(IPC_PH_RUN), IPC_C2D_PEER_PATH, 7, &pp, sizeof(pp), -1);
	memset(&g, 0, sizeof(g));
	g.resource_id[0] = 1;
	g.type = IPC_RES_CIDR;
	g.family = 4;
	g.prefix = 8;
	g.net[0] = 10;
	g.n_filters = 2;
	g.filters[0] = (struct ipc_filter){ IPC_PROTO_TCP, 0, 80, 443 };
	g.filters[1] = (struct ipc_filter){ IPC_PROTO_ICMP, 0, 0, 0 };
	seed(dir, "c2d_grant", TO_DP(IPC_PH_RUN), IPC_C2D_GRANT, 7, &g, sizeof(g), -1);
	seed(dir, "c2d_revoke", TO_DP(IPC_PH_RUN), IPC_C2D_REVOKE, 7, &rv, sizeof(rv), -1);
	seed(dir, "c2d_shutdown", TO_DP(IPC_PH_RUN), IPC_C2D_SHUTDOWN, 0, &sd, sizeof(sd), -1);
	memset(rx, 0, sizeof(rx));
	u->local.family = 4;
	u->from.family = 6;
	u->kind = IPC_UDP_KIND_RELAY;
	u->len = 20;
	memset(u->data, 0x01, 20);
	seed(dir, "d2c_udp_rx", TO_CTL(IPC_PH_RUN), IPC_D2C_UDP_RX, 0, rx, sizeof(rx), -1);
	seed(dir, "d2c_peer_event", TO_CTL(IPC_PH_RUN), IPC_D2C_PEER_EVENT, 7, &pe, sizeof(pe), -1);
	seed(dir, "d2c_socket_ack", TO_CTL(IPC_PH_RUN), IPC_D2C_SOCKET_ACK, 0, &ack, sizeof(ack), -1);
	memset(&rl, 0, sizeof(rl));
	rl.server.family = 4;
	rl.server.port = 3478;
	rl.server.addr[0] = 203;
	rl.add = 1;
	seed(dir, "c2d_relay", TO_DP(IPC_PH_RUN), IPC_C2D_RELAY, 0, &rl, sizeof(rl), -1);
	seeds_issue19(dir);
	memset(&cn, 0, sizeof(cn));
	cn.server = rl.server;
	cn.peer.family = 4;
	cn.peer.port = 40000;
	cn.relayed.family = 4;
	cn.relayed.port = 50000;
	cn.channel = 0x4001;
	cn.bound = 1;
	seed(dir, "c2d_channel", TO_DP(IPC_PH_RUN), IPC_C2D_CHANNEL, 7, &cn, sizeof(cn), -1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FZ_IPC_WRITE_SEEDS");
	int sz = 1 << 20;

	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0)
		abort();
	if (dir != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_chan rx, tx;
	uint8_t flags, junk[16];
	int nfds, lowest;

	if (size < 1 || size > 65536)
		return 0;
	flags = data[0];
	data++;
	size--;
	lowest = lowest_free_fd();

	ipc_chan_init(&rx, sv[1], (flags & 1) ? IPC_SIDE_CONTROL : IPC_SIDE_DATAPLANE);
	rx.phase = (enum ipc_phase)((flags >> 1) & 3);
	nfds = (flags >> 3) & 3;
	if (nfds == 3)
		nfds = 0;
	if (send_raw(data, size, nfds) != 0)
		abort();
	receive(&rx);

	if ((flags & 0x20) && size >= sizeof(struct ipc_hdr)) {
		struct ipc_hdr h;
		int rc;

		/* the same type and payload, framed by ipc_send this time */
		memcpy(&h, data, sizeof(h));
		ipc_chan_init(&tx, sv[0], (flags & 1) ? IPC_SIDE_DATAPLANE : IPC_SIDE_CONTROL);
		tx.phase = IPC_PH_RUN;
		rc = ipc_send(&tx, h.type, h.peer_id, data + sizeof(h),
		    size - sizeof(h), nfds > 0 ? nullfd : -1, 1);
		while (rc == IPC_OK && ipc_pending(&tx))
			if (ipc_flush(&tx) != IPC_OK)
				break;
		if (rc == IPC_OK && !ipc_pending(&tx))
			receive(&rx);
		ipc_chan_clear(&tx);
	}
	ipc_chan_clear(&rx);

	/* every datagram was consumed, every descriptor closed */
	while (recv(sv[1], junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		abort();
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		abort();
	if (lowest_free_fd() != lowest)
		abort();
	return 0;
}
