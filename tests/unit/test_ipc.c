/*
 * Unit suite for common/ipc: round trip of every message type over a real
 * socketpair, descriptor passing, and every rejection of the validation
 * table.
 */
#include <check.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "ipc.h"

static int sv[2];
static struct ipc_chan tx, rx;
static struct ipc_msg msg;

static void
pair(enum ipc_side rx_side, enum ipc_phase phase)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ipc_chan_init(&tx, sv[0], rx_side == IPC_SIDE_CONTROL ? IPC_SIDE_DATAPLANE : IPC_SIDE_CONTROL);
	ipc_chan_init(&rx, sv[1], rx_side);
	rx.phase = phase;
}

static void
unpair(void)
{
	ipc_chan_clear(&tx);
	ipc_chan_clear(&rx);
	close(sv[0]);
	close(sv[1]);
}

/* Send raw bytes with n descriptors attached. */
static void
send_raw(const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr a;
		uint8_t b[CMSG_SPACE(sizeof(int) * 4)];
	} cb;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ck_assert_int_eq(sendmsg(sv[0], &mh, 0), (ssize_t)len);
}

/* Header + payload in one buffer. */
static size_t
build(uint8_t *buf, uint16_t type, const void *payload, size_t len, int32_t len_delta)
{
	struct ipc_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)((int64_t)len + len_delta);
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

static int
open_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

START_TEST(roundtrip_all_types)
{
	struct ipc_d2c_hello dh = { .version = IPC_VERSION, .pid = 42 };
	struct ipc_d2c_config *cfg = calloc(1, sizeof(*cfg));
	struct ipc_d2c_socket_ack ack = { .family = 6, .ok = 1, .port = 5000, .mark = 7 };
	uint8_t rxbuf[sizeof(struct ipc_d2c_udp_rx) + 5];
	struct ipc_d2c_udp_rx u;
	struct ipc_shutdown sd = { .reason = IPC_SHUTDOWN_SIGNAL };
	struct ipc_c2d_hello ch = { .version = IPC_VERSION, .pid = 43 };

	memset(dh.public_key, 0xAB, sizeof(dh.public_key));
	strcpy(cfg->api_url, "wss://example.test");
	strcpy(cfg->token, "secret");
	cfg->log_level = 3;

	/* Control receives D2C messages in order HELLO, CONFIG, then RUN. */
	pair(IPC_SIDE_CONTROL, IPC_PH_HELLO);
	ck_assert_int_eq(ipc_send(&tx, IPC_D2C_HELLO, 0, &dh, sizeof(dh), -1, 1), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_int_eq(msg.hdr.type, IPC_D2C_HELLO);
	ck_assert_mem_eq(msg.payload, &dh, sizeof(dh));
	ck_assert_int_eq(rx.phase, IPC_PH_CONFIG);

	ck_assert_int_eq(ipc_send(&tx, IPC_D2C_CONFIG, 0, cfg, sizeof(*cfg), -1, 1), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_int_eq(msg.hdr.type, IPC_D2C_CONFIG);
	ck_assert_mem_eq(msg.payload, cfg, sizeof(*cfg));
	ck_assert_int_eq(rx.phase, IPC_PH_RUN);

	ck_assert_int_eq(ipc_send(&tx, IPC_D2C_SOCKET_ACK, 9, &ack, sizeof(ack), -1, 1), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_int_eq(msg.hdr.peer_id, 9);
	ck_assert_mem_eq(msg.payload, &ack, sizeof(ack));

	memset(&u, 0, sizeof(u));
	u.local.family = 4;
	u.from.family = 6;
	u.from.port = 3478;
	u.kind = IPC_UDP_KIND_STUN;
	u.len = 5;
	memcpy(rxbuf, &u, sizeof(u));
	memcpy(rxbuf + sizeof(u), "hello", 5);
	ck_assert_int_eq(ipc_send(&tx, IPC_D2C_UDP_RX, 0, rxbuf, sizeof(rxbuf), -1, 0), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_mem_eq(msg.payload, rxbuf, sizeof(rxbuf));

	{
		struct ipc_d2c_iface_result ir = { .v4_ok = 1, .link_up = 1, .routes_ok = 1 };
		ck_assert_int_eq(ipc_send(&tx, IPC_D2C_IFACE_RESULT, 0, &ir, sizeof(ir), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		ck_assert_mem_eq(msg.payload, &ir, sizeof(ir));
	}

	{
		struct ipc_d2c_peer_event pe = { .event = IPC_PEER_EV_HANDSHAKE, .rx_bytes = 5 };
		ck_assert_int_eq(ipc_send(&tx, IPC_D2C_PEER_EVENT, 3, &pe, sizeof(pe), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		ck_assert_mem_eq(msg.payload, &pe, sizeof(pe));
	}

	ck_assert_int_eq(ipc_send(&tx, IPC_D2C_SHUTDOWN, 0, &sd, sizeof(sd), -1, 1), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_int_eq(rx.phase, IPC_PH_CLOSED);
	unpair();

	/* Dataplane receives C2D messages: HELLO, then RUN. */
	pair(IPC_SIDE_DATAPLANE, IPC_PH_HELLO);
	ck_assert_int_eq(ipc_send(&tx, IPC_C2D_HELLO, 0, &ch, sizeof(ch), -1, 1), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_mem_eq(msg.payload, &ch, sizeof(ch));
	ck_assert_int_eq(rx.phase, IPC_PH_RUN);
	{
		struct ipc_c2d_iface_config ic = { .has_v4 = 1, .has_v6 = 1, .v4 = { 100, 64, 0, 1 },
			.v6 = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, [15] = 1 } };
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_IFACE_CONFIG, 0, &ic, sizeof(ic), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		ck_assert_mem_eq(msg.payload, &ic, sizeof(ic));
	}
	{
		struct ipc_c2d_peer_add pa = { .has_psk = 1, .has_v4 = 1, .tun_v4 = { 100, 64, 0, 9 } };
		struct ipc_c2d_peer_remove pr = { .reason = IPC_PEER_REMOVE_FAILED };
		struct ipc_c2d_peer_path pp = { .remote = { .family = 4, .port = 5 } };
		static struct ipc_c2d_grant g = { .type = IPC_RES_CIDR, .family = 4, .prefix = 24,
			.n_filters = 1, .filters = { { .proto = IPC_PROTO_TCP, .port_start = 1, .port_end = 2 } } };
		struct ipc_c2d_revoke rv = { .resource_id = { 1 } };
		memset(pa.preshared_key, 9, sizeof(pa.preshared_key));
		memset(pa.client_id, 0xc1, sizeof(pa.client_id));
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_PEER_ADD, 7, &pa, sizeof(pa), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		ck_assert_int_eq(msg.hdr.peer_id, 7);
		ck_assert_mem_eq(msg.payload, &pa, sizeof(pa));
		/* The client id (flow logs) is the payload's last 16 bytes. */
		ck_assert_uint_eq(offsetof(struct ipc_c2d_peer_add, client_id) + 16, sizeof(pa));
		ck_assert_mem_eq(msg.payload + sizeof(pa) - 16, pa.client_id, 16);
		/* The version 1 size (without the client id) is refused. */
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_PEER_ADD, 7, &pa, sizeof(pa) - 16, -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_ESIZE);
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_PEER_PATH, 7, &pp, sizeof(pp), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		ck_assert_mem_eq(msg.payload, &pp, sizeof(pp));
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_GRANT, 7, &g, sizeof(g), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		ck_assert_mem_eq(msg.payload, &g, sizeof(g));
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_REVOKE, 7, &rv, sizeof(rv), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_PEER_REMOVE, 7, &pr, sizeof(pr), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
		/* Per-client messages need a peer id. */
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_PEER_REMOVE, 0, &pr, sizeof(pr), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_EPAYLOAD);
		g.filters[0].port_start = 3;
		ck_assert_int_eq(ipc_send(&tx, IPC_C2D_GRANT, 7, &g, sizeof(g), -1, 1), IPC_OK);
		ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_EPAYLOAD);
	}
	sd.reason = IPC_SHUTDOWN_FATAL;
	ck_assert_int_eq(ipc_send(&tx, IPC_C2D_SHUTDOWN, 0, &sd, sizeof(sd), -1, 1), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_int_eq(msg.hdr.type, IPC_C2D_SHUTDOWN);
	/* EOF once the peer closes. */
	close(sv[0]);
	sv[0] = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_EOF);
	unpair();
	free(cfg);
}
END_TEST

START_TEST(fd_passing)
{
	struct ipc_c2d_udp_socket s = { .family = 4, .port = 1234 };
	struct stat a, b;
	int p[2];

	pair(IPC_SIDE_DATAPLANE, IPC_PH_RUN);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(&tx, IPC_C2D_UDP_SOCKET, 0, &s, sizeof(s), p[1], 1), IPC_OK);
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_int_ge(msg.fd, 0);
	ck_assert_int_ne(msg.fd, p[1]);
	ck_assert_int_eq(fstat(msg.fd, &a), 0);
	ck_assert_int_eq(fstat(p[1], &b), 0);
	ck_assert_int_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(fcntl(msg.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* The passed descriptor really is the same pipe. */
	ck_assert_int_eq(write(msg.fd, "x", 1), 1);
	{
		char c;
		ck_assert_int_eq(read(p[0], &c, 1), 1);
		ck_assert_int_eq(c, 'x');
	}
	close(msg.fd);
	close(p[0]);
	close(p[1]);
	unpair();
}
END_TEST

/* A queued reliable message keeps its own copy of the descriptor. */
START_TEST(queue_when_full)
{
	struct ipc_c2d_hello ch = { .version = IPC_VERSION };
	struct ipc_c2d_udp_socket s = { .family = 6, .port = 1 };
	int sz = 4096, sent = 0, dropped = 0, p[2], rc;

	pair(IPC_SIDE_DATAPLANE, IPC_PH_HELLO);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	/* Fill the socket with unreliable sends until it refuses. */
	while ((rc = ipc_send(&tx, IPC_C2D_HELLO, 0, &ch, sizeof(ch), -1, 0)) == IPC_OK && sent < 100000)
		sent++;
	ck_assert_int_eq(rc, IPC_AGAIN);
	ck_assert_int_eq(tx.dropped, 1);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(&tx, IPC_C2D_UDP_SOCKET, 0, &s, sizeof(s), p[0], 1), IPC_OK);
	ck_assert(ipc_pending(&tx));
	close(p[0]);
	/* Unreliable messages behind a queue are dropped, never reordered. */
	ck_assert_int_eq(ipc_send(&tx, IPC_C2D_HELLO, 0, &ch, sizeof(ch), -1, 0), IPC_AGAIN);
	dropped = (int)tx.dropped;
	ck_assert_int_eq(dropped, 2);
	/* Drain the receiver, then the queue flushes. */
	rx.phase = IPC_PH_HELLO;
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	rx.phase = IPC_PH_HELLO;
	while (ipc_recv(&rx, &msg) == IPC_OK)
		rx.phase = IPC_PH_HELLO;
	ck_assert_int_eq(ipc_flush(&tx), IPC_OK);
	rx.phase = IPC_PH_RUN;
	ck_assert_int_eq(ipc_recv(&rx, &msg), IPC_OK);
	ck_assert_int_eq(msg.hdr.type, IPC_C2D_UDP_SOCKET);
	ck_assert_int_ge(msg.fd, 0);
	ck_assert_int_eq(write(msg.fd, "y", 1), -1); /* read end of the pipe */
	close(msg.fd);
	close(p[1]);
	unpair();
}
END_TEST

struct reject_case {
	const char *name;
	enum ipc_side side;
	enum ipc_phase phase;
	uint16_t type;
	size_t len;          /* payload length actually sent */
	int32_t len_delta;   /* header length minus real payload length */
	int nfds;
	uint32_t version;    /* for HELLO payloads */
	int expect;
};

static const struct reject_case rejects[] = {
	{ "unknown type", IPC_SIDE_CONTROL, IPC_PH_RUN, 0x7777, 4, 0, 0, 0, IPC_ETYPE },
	{ "wrong direction (C2D at control)", IPC_SIDE_CONTROL, IPC_PH_HELLO, IPC_C2D_HELLO,
	    sizeof(struct ipc_c2d_hello), 0, 0, IPC_VERSION, IPC_EDIR },
	{ "wrong direction (D2C at dataplane)", IPC_SIDE_DATAPLANE, IPC_PH_HELLO, IPC_D2C_HELLO,
	    sizeof(struct ipc_d2c_hello), 0, 0, IPC_VERSION, IPC_EDIR },
	{ "size too big", IPC_SIDE_DATAPLANE, IPC_PH_HELLO, IPC_C2D_HELLO,
	    sizeof(struct ipc_c2d_hello) + 1, 0, 0, IPC_VERSION, IPC_ESIZE },
	{ "size too small", IPC_SIDE_CONTROL, IPC_PH_HELLO, IPC_D2C_HELLO,
	    sizeof(struct ipc_d2c_hello) - 1, 0, 0, IPC_VERSION, IPC_ESIZE },
	{ "header length mismatch", IPC_SIDE_DATAPLANE, IPC_PH_HELLO, IPC_C2D_HELLO,
	    sizeof(struct ipc_c2d_hello), 4, 0, IPC_VERSION, IPC_ELEN },
	{ "shorter than a header", IPC_SIDE_DATAPLANE, IPC_PH_HELLO, 0, 0, 0, 0, 0, IPC_ESHORT },
	{ "missing fd", IPC_SIDE_DATAPLANE, IPC_PH_RUN, IPC_C2D_UDP_SOCKET,
	    sizeof(struct ipc_c2d_udp_socket), 0, 0, 0, IPC_EFD_MISSING },
	{ "unexpected fd", IPC_SIDE_DATAPLANE, IPC_PH_HELLO, IPC_C2D_HELLO,
	    sizeof(struct ipc_c2d_hello), 0, 1, IPC_VERSION, IPC_EFD_UNEXPECTED },
	{ "two fds", IPC_SIDE_DATAPLANE, IPC_PH_RUN, IPC_C2D_UDP_SOCKET,
	    sizeof(struct ipc_c2d_udp_socket), 0, 2, 0, IPC_EFD_UNEXPECTED },
	{ "wrong phase (socket before hello)", IPC_SIDE_DATAPLANE, IPC_PH_HELLO, IPC_C2D_UDP_SOCKET,
	    sizeof(struct ipc_c2d_udp_socket), 0, 1, 0, IPC_EPHASE },
	{ "wrong phase (second hello)", IPC_SIDE_DATAPLANE, IPC_PH_RUN, IPC_C2D_HELLO,
	    sizeof(struct ipc_c2d_hello), 0, 0, IPC_VERSION, IPC_EPHASE },
	{ "wrong phase (config before hello)", IPC_SIDE_CONTROL, IPC_PH_HELLO, IPC_D2C_CONFIG,
	    sizeof(struct ipc_d2c_config), 0, 0, 0, IPC_EPHASE },
	{ "wrong phase (after shutdown)", IPC_SIDE_CONTROL, IPC_PH_CLOSED, IPC_D2C_SOCKET_ACK,
	    sizeof(struct ipc_d2c_socket_ack), 0, 0, 0, IPC_EPHASE },
	{ "version mismatch", IPC_SIDE_DATAPLANE, IPC_PH_HELLO, IPC_C2D_HELLO,
	    sizeof(struct ipc_c2d_hello), 0, 0, IPC_VERSION + 1, IPC_EVERSION },
	{ "config without NUL", IPC_SIDE_CONTROL, IPC_PH_CONFIG, IPC_D2C_CONFIG,
	    sizeof(struct ipc_d2c_config), 0, 0, 0xFFFFFFFF, IPC_EPAYLOAD },
	{ "bad socket family", IPC_SIDE_DATAPLANE, IPC_PH_RUN, IPC_C2D_UDP_SOCKET,
	    sizeof(struct ipc_c2d_udp_socket), 0, 1, 0xFFFFFFFF, IPC_EPAYLOAD },
	{ "udp rx length field wrong", IPC_SIDE_CONTROL, IPC_PH_RUN, IPC_D2C_UDP_RX,
	    sizeof(struct ipc_d2c_udp_rx) + 8, 0, 0, 0xFFFFFFFF, IPC_EPAYLOAD },
	{ "udp rx too big", IPC_SIDE_CONTROL, IPC_PH_RUN, IPC_D2C_UDP_RX,
	    sizeof(struct ipc_d2c_udp_rx) + IPC_MAX_DATAGRAM + 1, 0, 0, 0, IPC_ESIZE },
	{ "iface config without any address", IPC_SIDE_DATAPLANE, IPC_PH_RUN, IPC_C2D_IFACE_CONFIG,
	    sizeof(struct ipc_c2d_iface_config), 0, 0, 0, IPC_EPAYLOAD },
	{ "iface result with bad flag", IPC_SIDE_CONTROL, IPC_PH_RUN, IPC_D2C_IFACE_RESULT,
	    sizeof(struct ipc_d2c_iface_result), 0, 0, 0xFFFFFFFF, IPC_EPAYLOAD },
	{ "bad shutdown reason", IPC_SIDE_DATAPLANE, IPC_PH_RUN, IPC_C2D_SHUTDOWN,
	    sizeof(struct ipc_shutdown), 0, 0, 0xFFFFFFFF, IPC_EPAYLOAD },
};

START_TEST(reject)
{
	const struct reject_case *rc = &rejects[_i];
	uint8_t payload[IPC_MAX_PAYLOAD + 4096], buf[IPC_MAX_MSG + 8192];
	int fds[2], before, got;
	size_t n;

	memset(payload, 0, sizeof(payload));
	if (rc->version == 0xFFFFFFFF)
		memset(payload, 0x55, rc->len); /* garbage fields everywhere */
	else if (rc->version != 0)
		memcpy(payload, &rc->version, sizeof(rc->version));
	pair(rc->side, rc->phase);
	before = open_fds();
	fds[0] = open("/dev/null", O_RDONLY);
	fds[1] = open("/dev/null", O_RDONLY);
	if (rc->expect == IPC_ESHORT) {
		send_raw("abc", 3, fds, rc->nfds);
	} else {
		n = build(buf, rc->type, payload, rc->len, rc->len_delta);
		send_raw(buf, n, fds, rc->nfds);
	}
	close(fds[0]);
	close(fds[1]);
	got = ipc_recv(&rx, &msg);
	ck_assert_msg(got == rc->expect, "%s: got %d (%s), expected %d", rc->name, got,
	    ipc_strerror(got), rc->expect);
	/* A rejected message never leaks a received descriptor. */
	ck_assert_int_eq(open_fds(), before);
	unpair();
}
END_TEST

START_TEST(validate_pure)
{
	struct ipc_chan ch;
	struct ipc_hdr h = { .type = IPC_C2D_HELLO, .len = sizeof(struct ipc_c2d_hello) };

	ipc_chan_init(&ch, -1, IPC_SIDE_DATAPLANE);
	ck_assert_int_eq(ipc_validate(&ch, &h, sizeof(h) + h.len, 0), IPC_OK);
	ck_assert_int_eq(ch.phase, IPC_PH_HELLO);
	ck_assert_int_eq(ipc_validate(&ch, &h, sizeof(h) - 1, 0), IPC_ESHORT);
	ck_assert_str_eq(ipc_type_name(IPC_D2C_UDP_RX), "D2C_UDP_RX");
	ck_assert_str_eq(ipc_type_name(1), "unknown");
	ck_assert_str_ne(ipc_strerror(IPC_EPHASE), "unknown error");
}
END_TEST

/* ---- issue 19: the addresses control may hand the dataplane ------------- */

static const uint8_t V6_CLIENT[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 };
static const uint8_t V6_PROXY[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80, 0x00 };

/* 16 bytes of an IPv6 address: a base range with its last 3 bytes set. */
static void
v6(uint8_t out[16], const uint8_t base[16], uint8_t b13, uint8_t b14, uint8_t b15)
{
	memcpy(out, base, 16);
	out[13] = b13;
	out[14] = b14;
	out[15] = b15;
}

START_TEST(ranges)
{
	static const uint8_t in4[][4] = {
		{ 100, 64, 0, 0 }, { 100, 64, 0, 1 }, { 100, 70, 1, 9 }, { 100, 95, 255, 255 },
	};
	static const uint8_t out4[][4] = {
		{ 100, 63, 255, 255 }, { 100, 96, 0, 0 }, { 100, 128, 0, 1 }, { 192, 168, 1, 1 },
		{ 172, 31, 201, 99 }, { 10, 64, 0, 1 }, { 0, 0, 0, 0 },
	};
	uint8_t a[16];
	size_t i;

	for (i = 0; i < sizeof(in4) / sizeof(in4[0]); i++) {
		ck_assert(addr_in_client_range(4, in4[i]));
		ck_assert(!addr_in_proxy_range(4, in4[i]));
	}
	for (i = 0; i < sizeof(out4) / sizeof(out4[0]); i++)
		ck_assert_msg(!addr_in_client_range(4, out4[i]), "%u.%u.%u.%u", out4[i][0],
		    out4[i][1], out4[i][2], out4[i][3]);
	ck_assert(addr_in_proxy_range(4, (const uint8_t[]){ 100, 96, 0, 0 }));
	ck_assert(addr_in_proxy_range(4, (const uint8_t[]){ 100, 127, 255, 255 }));
	ck_assert(!addr_in_proxy_range(4, (const uint8_t[]){ 100, 128, 0, 0 }));
	ck_assert(!addr_in_proxy_range(4, (const uint8_t[]){ 172, 31, 201, 99 }));
	/* Tunnel hosts: not the all-zero host, nor IPv4's all-ones. */
	ck_assert(!addr_is_tunnel_host(4, (const uint8_t[]){ 100, 64, 0, 0 }));
	ck_assert(!addr_is_tunnel_host(4, (const uint8_t[]){ 100, 95, 255, 255 }));
	ck_assert(addr_is_tunnel_host(4, (const uint8_t[]){ 100, 64, 0, 1 }));
	ck_assert(addr_is_tunnel_host(4, (const uint8_t[]){ 100, 95, 255, 254 }));
	ck_assert(!addr_is_tunnel_host(4, (const uint8_t[]){ 192, 168, 1, 1 }));

	/* fd00:2021:1111::/107: byte 13 keeps its top 3 bits zero. */
	v6(a, V6_CLIENT, 0, 0, 1);
	ck_assert(addr_in_client_range(6, a) && addr_is_tunnel_host(6, a));
	v6(a, V6_CLIENT, 0x1f, 0xff, 0xff);
	ck_assert(addr_in_client_range(6, a) && addr_is_tunnel_host(6, a));
	v6(a, V6_CLIENT, 0x20, 0, 0);
	ck_assert(!addr_in_client_range(6, a));
	v6(a, V6_CLIENT, 0, 0, 0);
	ck_assert(addr_in_client_range(6, a) && !addr_is_tunnel_host(6, a));
	v6(a, V6_PROXY, 0, 0, 1);
	ck_assert(!addr_in_client_range(6, a) && addr_in_proxy_range(6, a));
	v6(a, V6_PROXY, 0x1f, 0xff, 0xff);
	ck_assert(addr_in_proxy_range(6, a));
	v6(a, V6_PROXY, 0x20, 0, 0);
	ck_assert(!addr_in_proxy_range(6, a));
	memcpy(a, (const uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 16);
	ck_assert(!addr_in_client_range(6, a) && !addr_in_proxy_range(6, a));
	/* Another family is in no range. */
	ck_assert(!addr_in_client_range(0, a) && !addr_in_proxy_range(5, a) &&
	    !addr_is_tunnel_host(0, a));
}
END_TEST

/* Send one C2D message to a dataplane-side channel in the run phase and
 * return what ipc_recv says of it. */
static int
c2d(uint16_t type, uint32_t peer_id, const void *payload, size_t len)
{
	int rc;

	pair(IPC_SIDE_DATAPLANE, IPC_PH_RUN);
	ck_assert_int_eq(ipc_send(&tx, type, peer_id, payload, len, -1, 1), IPC_OK);
	rc = ipc_recv(&rx, &msg);
	unpair();
	return rc;
}

static int
iface(int has4, const uint8_t *a4, int has6, const uint8_t *a6)
{
	struct ipc_c2d_iface_config ic;

	memset(&ic, 0, sizeof(ic));
	ic.has_v4 = (uint8_t)has4;
	ic.has_v6 = (uint8_t)has6;
	if (a4 != NULL)
		memcpy(ic.v4, a4, 4);
	if (a6 != NULL)
		memcpy(ic.v6, a6, 16);
	return c2d(IPC_C2D_IFACE_CONFIG, 0, &ic, sizeof(ic));
}

START_TEST(iface_config_addresses)
{
	static const uint8_t gw4[4] = { 100, 64, 0, 7 }, lan4[4] = { 192, 168, 1, 1 };
	static const uint8_t doc6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t gw6[16], a6[16];

	v6(gw6, V6_CLIENT, 0, 0, 7);
	ck_assert_int_eq(iface(1, gw4, 1, gw6), IPC_OK);
	ck_assert_int_eq(iface(1, gw4, 0, NULL), IPC_OK);
	ck_assert_int_eq(iface(0, NULL, 1, gw6), IPC_OK);
	/* An address not asked for is not looked at. */
	ck_assert_int_eq(iface(0, lan4, 1, gw6), IPC_OK);
	ck_assert_int_eq(iface(1, gw4, 0, doc6), IPC_OK);
	/* Anything outside the tunnel ranges would land on the host. */
	ck_assert_int_eq(iface(1, lan4, 0, NULL), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(1, lan4, 1, gw6), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(0, NULL, 1, doc6), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(1, gw4, 1, doc6), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(1, (const uint8_t[]){ 100, 96, 0, 1 }, 0, NULL), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(1, (const uint8_t[]){ 100, 63, 255, 254 }, 0, NULL), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(1, (const uint8_t[]){ 127, 0, 0, 1 }, 0, NULL), IPC_EPAYLOAD);
	/* Nor the network's all-zero host, nor IPv4's all-ones. */
	ck_assert_int_eq(iface(1, (const uint8_t[]){ 100, 64, 0, 0 }, 0, NULL), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(1, (const uint8_t[]){ 100, 95, 255, 255 }, 0, NULL), IPC_EPAYLOAD);
	v6(a6, V6_CLIENT, 0, 0, 0);
	ck_assert_int_eq(iface(0, NULL, 1, a6), IPC_EPAYLOAD);
	v6(a6, V6_CLIENT, 0x20, 0, 1);
	ck_assert_int_eq(iface(0, NULL, 1, a6), IPC_EPAYLOAD);
	v6(a6, V6_PROXY, 0, 0, 1);
	ck_assert_int_eq(iface(0, NULL, 1, a6), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(0, NULL, 0, NULL), IPC_EPAYLOAD);
	ck_assert_int_eq(iface(2, gw4, 0, NULL), IPC_EPAYLOAD);
}
END_TEST

static int
peer_add(uint32_t id, int has4, const uint8_t *a4, int has6, const uint8_t *a6)
{
	struct ipc_c2d_peer_add pa;

	memset(&pa, 0, sizeof(pa));
	pa.public_key[0] = 1;
	pa.has_v4 = (uint8_t)has4;
	pa.has_v6 = (uint8_t)has6;
	if (a4 != NULL)
		memcpy(pa.tun_v4, a4, 4);
	if (a6 != NULL)
		memcpy(pa.tun_v6, a6, 16);
	return c2d(IPC_C2D_PEER_ADD, id, &pa, sizeof(pa));
}

START_TEST(peer_add_addresses)
{
	static const uint8_t c4[4] = { 100, 70, 1, 9 }, lan4[4] = { 192, 168, 1, 5 };
	static const uint8_t doc6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
	uint8_t c6[16], p6[16];

	v6(c6, V6_CLIENT, 0, 1, 9);
	v6(p6, V6_PROXY, 0, 0, 1);
	ck_assert_int_eq(peer_add(3, 1, c4, 1, c6), IPC_OK);
	ck_assert_int_eq(peer_add(3, 1, c4, 0, doc6), IPC_OK);
	ck_assert_int_eq(peer_add(3, 0, lan4, 1, c6), IPC_OK);
	ck_assert_int_eq(peer_add(3, 1, lan4, 1, c6), IPC_EPAYLOAD);
	ck_assert_int_eq(peer_add(3, 1, c4, 1, doc6), IPC_EPAYLOAD);
	ck_assert_int_eq(peer_add(3, 0, NULL, 1, p6), IPC_EPAYLOAD);
	ck_assert_int_eq(peer_add(3, 1, (const uint8_t[]){ 100, 96, 0, 1 }, 0, NULL), IPC_EPAYLOAD);
	ck_assert_int_eq(peer_add(3, 1, (const uint8_t[]){ 172, 31, 201, 99 }, 0, NULL), IPC_EPAYLOAD);
	/* At least one family, and a peer id. */
	ck_assert_int_eq(peer_add(3, 0, c4, 0, c6), IPC_EPAYLOAD);
	ck_assert_int_eq(peer_add(0, 1, c4, 1, c6), IPC_EPAYLOAD);
}
END_TEST

static struct ipc_c2d_dns_setup dns;

static void
dns_reset(void)
{
	memset(&dns, 0, sizeof(dns));
	dns.resource_id[0] = 1;
	strcpy(dns.name, "app.example.test");
	dns.n_proxies = 2;
	dns.proxies[0].family = 4;
	memcpy(dns.proxies[0].addr, (const uint8_t[]){ 100, 96, 0, 1 }, 4);
	dns.proxies[1].family = 6;
	v6(dns.proxies[1].addr, V6_PROXY, 0, 0, 1);
	dns.n_resolved = 1;
	dns.resolved[0].family = 4;
	memcpy(dns.resolved[0].addr, (const uint8_t[]){ 198, 18, 0, 10 }, 4);
}

static int
dns_send(void)
{
	return c2d(IPC_C2D_DNS_SETUP, 5, &dns, sizeof(dns));
}

START_TEST(dns_setup_proxies)
{
	size_t i;

	dns_reset();
	ck_assert_int_eq(dns_send(), IPC_OK);
	/* A proxy outside the proxy ranges would be forwarded untranslated. */
	memcpy(dns.proxies[0].addr, (const uint8_t[]){ 172, 31, 201, 99 }, 4);
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	memcpy(dns.proxies[0].addr, (const uint8_t[]){ 100, 64, 0, 5 }, 4);
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	memcpy(dns.proxies[0].addr, (const uint8_t[]){ 100, 128, 0, 0 }, 4);
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	memcpy(dns.proxies[0].addr, (const uint8_t[]){ 100, 127, 255, 255 }, 4);
	ck_assert_int_eq(dns_send(), IPC_OK);
	dns_reset();
	v6(dns.proxies[1].addr, V6_CLIENT, 0, 0, 1);
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	v6(dns.proxies[1].addr, V6_PROXY, 0x20, 0, 0);
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	/* An IPv4 address leaves the rest of its field zero. */
	dns_reset();
	dns.proxies[0].addr[9] = 1;
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	dns_reset();
	dns.proxies[0].family = 5;
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	/* Only the counted entries are looked at. */
	dns_reset();
	dns.proxies[2].family = 4;
	memcpy(dns.proxies[2].addr, (const uint8_t[]){ 172, 31, 201, 99 }, 4);
	ck_assert_int_eq(dns_send(), IPC_OK);
	/* At most 8 proxy IPs per name (4 of each family from the client). */
	dns_reset();
	ck_assert_uint_eq(IPC_DNS_PROXIES_MAX, 8);
	for (i = 0; i < IPC_DNS_PROXIES_MAX; i++) {
		memset(&dns.proxies[i], 0, sizeof(dns.proxies[i]));
		dns.proxies[i].family = 4;
		memcpy(dns.proxies[i].addr, (const uint8_t[]){ 100, 96, 0, (uint8_t)(i + 1) }, 4);
	}
	dns.n_proxies = IPC_DNS_PROXIES_MAX;
	ck_assert_int_eq(dns_send(), IPC_OK);
	dns.n_proxies = IPC_DNS_PROXIES_MAX + 1;
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	/* Resolved addresses: counted, bounded, of a family. */
	dns_reset();
	for (i = 0; i < IPC_DNS_RESOLVED_MAX; i++) {
		dns.resolved[i].family = 4;
		memcpy(dns.resolved[i].addr, (const uint8_t[]){ 198, 18, 1, (uint8_t)i }, 4);
	}
	dns.n_resolved = IPC_DNS_RESOLVED_MAX;
	ck_assert_int_eq(dns_send(), IPC_OK);
	dns.n_resolved = IPC_DNS_RESOLVED_MAX + 1;
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	dns.n_resolved = 2;
	dns.resolved[1].family = 0;
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
	/* The name carries its NUL. */
	dns_reset();
	memset(dns.name, 'a', sizeof(dns.name));
	ck_assert_int_eq(dns_send(), IPC_EPAYLOAD);
}
END_TEST

static struct ipc_c2d_grant grant;

static int
grant_send(uint8_t type, uint8_t family, uint8_t prefix)
{
	memset(&grant, 0, sizeof(grant));
	grant.resource_id[0] = 2;
	grant.type = type;
	grant.family = family;
	grant.prefix = prefix;
	if (family == 4)
		grant.net[0] = 10;
	else if (family == 6)
		grant.net[0] = 0xfd;
	return c2d(IPC_C2D_GRANT, 5, &grant, sizeof(grant));
}

START_TEST(grant_kinds)
{
	ck_assert_int_eq(grant_send(IPC_RES_CIDR, 4, 8), IPC_OK);
	ck_assert_int_eq(grant_send(IPC_RES_CIDR, 4, 32), IPC_OK);
	ck_assert_int_eq(grant_send(IPC_RES_CIDR, 6, 128), IPC_OK);
	ck_assert_int_eq(grant_send(IPC_RES_DNS, 0, 0), IPC_OK);
	ck_assert_int_eq(grant_send(IPC_RES_INTERNET, 0, 0), IPC_OK);
	/* Only the IPC_RES_* types. */
	ck_assert_int_eq(grant_send(0, 0, 0), IPC_EPAYLOAD);
	ck_assert_int_eq(grant_send(IPC_RES_INTERNET + 1, 0, 0), IPC_EPAYLOAD);
	ck_assert_int_eq(grant_send(0xff, 4, 8), IPC_EPAYLOAD);
	/* CIDR: a family and a prefix that fits it. */
	ck_assert_int_eq(grant_send(IPC_RES_CIDR, 4, 33), IPC_EPAYLOAD);
	ck_assert_int_eq(grant_send(IPC_RES_CIDR, 6, 129), IPC_EPAYLOAD);
	ck_assert_int_eq(grant_send(IPC_RES_CIDR, 0, 0), IPC_EPAYLOAD);
	ck_assert_int_eq(grant_send(IPC_RES_CIDR, 5, 8), IPC_EPAYLOAD);
	memset(&grant, 0, sizeof(grant));
	grant.type = IPC_RES_CIDR;
	grant.family = 4;
	grant.prefix = 8;
	grant.net[0] = 10;
	grant.net[4] = 1;  /* beyond an IPv4 address */
	ck_assert_int_eq(c2d(IPC_C2D_GRANT, 5, &grant, sizeof(grant)), IPC_EPAYLOAD);
	/* DNS and Internet grants carry no network. */
	ck_assert_int_eq(grant_send(IPC_RES_DNS, 4, 0), IPC_EPAYLOAD);
	ck_assert_int_eq(grant_send(IPC_RES_INTERNET, 0, 8), IPC_EPAYLOAD);
	memset(&grant, 0, sizeof(grant));
	grant.type = IPC_RES_INTERNET;
	grant.net[3] = 1;
	ck_assert_int_eq(c2d(IPC_C2D_GRANT, 5, &grant, sizeof(grant)), IPC_EPAYLOAD);
}
END_TEST

static Suite *
ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, roundtrip_all_types);
	tcase_add_test(tc, fd_passing);
	tcase_add_test(tc, queue_when_full);
	tcase_add_loop_test(tc, reject, 0, (int)(sizeof(rejects) / sizeof(rejects[0])));
	tcase_add_test(tc, validate_pure);
	tcase_add_test(tc, ranges);
	tcase_add_test(tc, iface_config_addresses);
	tcase_add_test(tc, peer_add_addresses);
	tcase_add_test(tc, dns_setup_proxies);
	tcase_add_test(tc, grant_kinds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ipc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
