/*
 * ipc_peer - a misbehaving peer for the IPC rejection tests.
 *
 *   ipc_peer control           run by firezone-gateway in place of the
 *                              control program (FIREZONE_CONTROL_BIN); reads
 *                              the case name from FZ_TEST_MODE
 *   ipc_peer dataplane CASE CONTROL_BIN
 *                              start CONTROL_BIN as firezone-gateway would
 *                              (fd 3, user "nobody" when root) and send it CASE
 *
 * Each case is a message the receiver must refuse; the receiving process
 * has to exit with status 1.  In "dataplane" mode the tool prints the
 * control program's exit status and exits 0 only if it was 1.
 *
 * The "distrust" cases (issue 19) play a compromised control against the
 * dataplane: forbidden addresses (a protocol violation: the dataplane must
 * stop, and the tool says so on stderr if it answers instead), a peer with
 * another peer's tunnel address and descriptors that are no UDP socket
 * (refused, while the dataplane goes on and still answers good messages),
 * and one entry too many in every table control fills (refused, counted).
 * These print "ipc_peer: PASS <case>" or "ipc_peer: FAIL <case>: why" and
 * then wait for the dataplane to close the channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc_msg.h"

static int sock = IPC_CONTROL_FD;
/* The protocol version the dataplane announced: echoed in our HELLO, so
 * the tool also drives a dataplane of another version (the old code). */
static uint32_t dp_version = IPC_VERSION;

static void
raw(uint16_t type, const void *payload, size_t len, int32_t len_delta, int nfds)
{
	uint8_t buf[sizeof(struct ipc_hdr) + sizeof(struct ipc_d2c_config) + 64];
	union {
		struct cmsghdr a;
		uint8_t b[CMSG_SPACE(sizeof(int) * 2)];
	} cb;
	struct ipc_hdr h;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	int fds[2];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)((int64_t)len + len_delta);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	iov.iov_base = buf;
	iov.iov_len = sizeof(h) + len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		fds[0] = open("/dev/null", O_RDONLY);
		fds[1] = open("/dev/null", O_RDONLY);
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		fprintf(stderr, "ipc_peer: sendmsg: %s\n", strerror(errno));
}

/* Drain whatever the other side sends until it closes. */
static void
drain(void)
{
	uint8_t buf[16384];
	ssize_t n;

	while ((n = recv(sock, buf, sizeof(buf), 0)) > 0)
		;
}

static int
recv_one(uint16_t *type)
{
	uint8_t buf[16384];
	struct ipc_hdr h;
	ssize_t n = recv(sock, buf, sizeof(buf), 0);

	if (n < (ssize_t)sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	*type = h.type;
	if (h.type == IPC_D2C_HELLO && (size_t)n >= sizeof(h) + sizeof(uint32_t))
		memcpy(&dp_version, buf + sizeof(h), sizeof(dp_version));
	return 0;
}

/* Cases shared by both directions; `to_control` picks the message types. */
static int
send_case(const char *cs, int to_control)
{
	uint8_t p[sizeof(struct ipc_d2c_config)];
	uint32_t ver = IPC_VERSION;
	uint16_t hello = to_control ? IPC_D2C_HELLO : IPC_C2D_HELLO;
	size_t hello_len = to_control ? sizeof(struct ipc_d2c_hello) : sizeof(struct ipc_c2d_hello);
	uint16_t wrong_dir = to_control ? IPC_C2D_HELLO : IPC_D2C_HELLO;

	memset(p, 0, sizeof(p));
	memcpy(p, &ver, sizeof(ver));
	if (strcmp(cs, "unknown-type") == 0)
		raw(0x7777, p, 8, 0, 0);
	else if (strcmp(cs, "wrong-direction") == 0)
		raw(wrong_dir, p, to_control ? sizeof(struct ipc_c2d_hello) : sizeof(struct ipc_d2c_hello), 0, 0);
	else if (strcmp(cs, "wrong-size") == 0)
		raw(hello, p, hello_len + 4, 0, 0);
	else if (strcmp(cs, "length-mismatch") == 0)
		raw(hello, p, hello_len, 8, 0);
	else if (strcmp(cs, "unexpected-fd") == 0)
		raw(hello, p, hello_len, 0, 1);
	else if (strcmp(cs, "version") == 0) {
		ver = IPC_VERSION + 7;
		memcpy(p, &ver, sizeof(ver));
		raw(hello, p, hello_len, 0, 0);
	} else if (strcmp(cs, "wrong-phase") == 0) {
		/* A run-phase message before HELLO. */
		if (to_control)
			raw(IPC_D2C_SOCKET_ACK, p, sizeof(struct ipc_d2c_socket_ack), 0, 0);
		else
			raw(IPC_C2D_UDP_SOCKET, p, sizeof(struct ipc_c2d_udp_socket), 0, 1);
	} else if (strcmp(cs, "missing-fd") == 0) {
		if (to_control)
			return -1;
		raw(hello, p, hello_len, 0, 0);
		p[0] = 4;
		raw(IPC_C2D_UDP_SOCKET, p, sizeof(struct ipc_c2d_udp_socket), 0, 0);
	} else if (strcmp(cs, "short") == 0)
		raw(hello, p, 0, 0, 0);
	else
		return -1;
	return 0;
}

/* ---- issue 19: a compromised control against the dataplane ------------- */

static const uint8_t GW4[4] = { 100, 64, 0, 1 };
static const uint8_t GW6[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, [15] = 1 };
static const uint8_t LAN4[4] = { 192, 168, 1, 1 };
static const uint8_t DOC6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/* One message with our header and peer id, and a descriptor when fd >= 0. */
static void
msg(uint16_t type, uint32_t peer_id, const void *payload, size_t len, int fd)
{
	uint8_t buf[sizeof(struct ipc_hdr) + sizeof(struct ipc_d2c_config)];
	union {
		struct cmsghdr a;
		uint8_t b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct ipc_hdr h;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;

	if (len > sizeof(buf) - sizeof(h))
		abort();
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)len;
	h.peer_id = peer_id;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	iov.iov_base = buf;
	iov.iov_len = sizeof(h) + len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = sizeof(cb.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		fprintf(stderr, "ipc_peer: sendmsg: %s\n", strerror(errno));
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Wait up to ms for a message of `type` (others are skipped); its payload
 * goes to out (up to cap bytes), its length to *len.  0, or -1 when the
 * dataplane closed the channel or the time ran out.
 */
static int
wait_msg(uint16_t type, void *out, size_t cap, size_t *len, int ms)
{
	uint8_t buf[16384];
	uint64_t end = now_ms() + (uint64_t)ms, t;
	struct pollfd pfd = { sock, POLLIN, 0 };
	struct ipc_hdr h;
	ssize_t n;

	while ((t = now_ms()) < end) {
		if (poll(&pfd, 1, (int)(end - t)) <= 0)
			continue;
		if ((n = recv(sock, buf, sizeof(buf), 0)) <= 0)
			return -1;
		if ((size_t)n < sizeof(h))
			continue;
		memcpy(&h, buf, sizeof(h));
		if (h.type != type)
			continue;
		*len = (size_t)n - sizeof(h) < cap ? (size_t)n - sizeof(h) : cap;
		memcpy(out, buf + sizeof(h), *len);
		return 0;
	}
	return -1;
}

static void
hello(void)
{
	struct ipc_c2d_hello h = { dp_version, (uint32_t)getpid() };

	msg(IPC_C2D_HELLO, 0, &h, sizeof(h), -1);
}

/* Interface addresses (NULL: that family not given); 1 if the dataplane
 * answered with IFACE_RESULT, 0 if it did not (it stopped). */
static int
iface(const uint8_t *v4, const uint8_t *v6, struct ipc_d2c_iface_result *res)
{
	struct ipc_c2d_iface_config ic;
	size_t len;

	memset(&ic, 0, sizeof(ic));
	if (v4 != NULL) {
		ic.has_v4 = 1;
		memcpy(ic.v4, v4, 4);
	}
	if (v6 != NULL) {
		ic.has_v6 = 1;
		memcpy(ic.v6, v6, 16);
	}
	msg(IPC_C2D_IFACE_CONFIG, 0, &ic, sizeof(ic), -1);
	memset(res, 0, sizeof(*res));
	return wait_msg(IPC_D2C_IFACE_RESULT, res, sizeof(*res), &len, 5000) == 0;
}

/* A peer with tunnel addresses 100.64.0.<v4> and fd00:2021:1111::<v6>
 * (0: that family not given), or a forbidden IPv4 when lan4 is set. */
static void
peer_add(uint32_t id, uint8_t key, uint8_t v4, uint8_t v6, const uint8_t *lan4)
{
	struct ipc_c2d_peer_add pa;

	memset(&pa, 0, sizeof(pa));
	memset(pa.public_key, key, sizeof(pa.public_key));
	pa.has_v4 = v4 != 0 || lan4 != NULL;
	pa.has_v6 = v6 != 0;
	memcpy(pa.tun_v4, (const uint8_t[]){ 100, 64, 0, v4 }, 4);
	if (lan4 != NULL)
		memcpy(pa.tun_v4, lan4, 4);
	memcpy(pa.tun_v6, GW6, 16);
	pa.tun_v6[15] = v6;
	pa.client_id[0] = key;
	msg(IPC_C2D_PEER_ADD, id, &pa, sizeof(pa), -1);
}

/* The dataplane's next counters (the whole struct, zero beyond what an
 * older dataplane sends).  Returns the bytes received, or 0. */
static size_t
counters(struct ipc_d2c_counters *c)
{
	size_t len;

	memset(c, 0, sizeof(*c));
	return wait_msg(IPC_D2C_COUNTERS, c, sizeof(*c), &len, 3000) == 0 ? len : 0;
}

static int failed;

static void
verdict(const char *cs, int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "ipc_peer: FAIL %s: %s\n", cs, what);
		failed = 1;
	}
}

/* A UDP socket of the family bound on loopback; its port into *port. */
static int
udp_socket(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);

	memset(&ss, 0, sizeof(ss));
	if (family == 4) {
		struct sockaddr_in *s4 = (void *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof(*s6);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0)
		return -1;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	*port = ntohs(family == 4 ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* The port a socket is bound to, or 9 if it has none. */
static uint16_t
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 9;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 9;
}

/* Offer an fd as the IPv<family> UDP socket; the ack's ok, or -1 if none came. */
static int
offer(int fd, uint8_t family, uint16_t port)
{
	struct ipc_c2d_udp_socket us = { family, 0, port };
	struct ipc_d2c_socket_ack ack;
	size_t len;

	msg(IPC_C2D_UDP_SOCKET, 0, &us, sizeof(us), fd);
	close(fd);
	if (wait_msg(IPC_D2C_SOCKET_ACK, &ack, sizeof(ack), &len, 5000) < 0)
		return -1;
	return ack.ok;
}

/*
 * The descriptor a compromised control passes as its IPv4 UDP socket, or
 * -1 (with *why) if this host cannot make one of that kind.
 */
static int
bad_fd(const char *kind, const char **why)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	int fd = -1, sv[2], p[2];

	errno = 0;
	*why = "not supported here";
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (strcmp(kind, "tcp") == 0) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
			(void)bind(fd, (struct sockaddr *)&s4, sizeof(s4));
	} else if (strcmp(kind, "unix") == 0) {
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0) {
			fd = sv[0];
			close(sv[1]);
		}
	} else if (strcmp(kind, "pipe") == 0) {
		if (pipe(p) == 0) {
			fd = p[0];
			close(p[1]);
		}
	} else if (strcmp(kind, "file") == 0) {
		fd = open("/etc/passwd", O_RDONLY);
	} else if (strcmp(kind, "mapped") == 0) {
		/* An IPv6 socket on a v4-mapped address: it looks like IPv4. */
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr.s6_addr[10] = 0xff;
		s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &s4.sin_addr, 4);
		if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) >= 0 &&
		    bind(fd, (struct sockaddr *)&s6, sizeof(s6)) < 0) {
			*why = strerror(errno);
			close(fd);
			fd = -1;
		}
	} else if (strcmp(kind, "ping") == 0) {
		/* A datagram socket of another protocol (ICMP echo). */
		if ((fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)) >= 0 &&
		    bind(fd, (struct sockaddr *)&s4, sizeof(s4)) < 0) {
			*why = strerror(errno);
			close(fd);
			fd = -1;
		}
	} else if (strcmp(kind, "udplite") == 0) {
		if ((fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE)) >= 0 &&
		    bind(fd, (struct sockaddr *)&s4, sizeof(s4)) < 0) {
			*why = strerror(errno);
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0 && errno != 0)
		*why = strerror(errno);
	return fd;
}

/* Forbidden addresses: the dataplane must stop without answering. */
static void
violation(const char *cs)
{
	struct ipc_d2c_iface_result res;
	int answered;

	hello();
	if (strcmp(cs, "iface-v4-outside") == 0) {
		answered = iface(LAN4, NULL, &res);
	} else if (strcmp(cs, "iface-v6-outside") == 0) {
		answered = iface(NULL, DOC6, &res);
	} else if (strcmp(cs, "peer-outside") == 0) {
		peer_add(1, 0x11, 0, 0, (const uint8_t[]){ 192, 168, 1, 5 });
		answered = iface(GW4, GW6, &res);
	} else {
		/* dns-proxy-outside: a DNS resource whose proxy IP is a LAN host. */
		static struct ipc_c2d_grant g;
		static struct ipc_c2d_dns_setup d;
		peer_add(1, 0x11, 5, 5, NULL);
		memset(&g, 0, sizeof(g));
		g.resource_id[0] = 0x44;
		g.type = IPC_RES_DNS;
		msg(IPC_C2D_GRANT, 1, &g, sizeof(g), -1);
		memset(&d, 0, sizeof(d));
		d.resource_id[0] = 0x44;
		strcpy(d.name, "app.example.test");
		d.n_proxies = 1;
		d.proxies[0].family = 4;
		memcpy(d.proxies[0].addr, (const uint8_t[]){ 172, 31, 201, 99 }, 4);
		d.n_resolved = 1;
		d.resolved[0].family = 4;
		memcpy(d.resolved[0].addr, (const uint8_t[]){ 198, 18, 0, 10 }, 4);
		msg(IPC_C2D_DNS_SETUP, 1, &d, sizeof(d), -1);
		answered = iface(GW4, GW6, &res);
	}
	if (answered)
		fprintf(stderr, "ipc_peer: FAIL %s: the dataplane took the message and went on "
		    "(interface result v4 %u v6 %u)\n", cs, res.v4_ok, res.v6_ok);
}

/* Fill every table control fills, one past its limit: the extra entry is
 * refused and counted, each table once. */
static void
caps(const char *cs)
{
	static struct ipc_c2d_grant g;
	struct ipc_d2c_iface_result res;
	struct ipc_d2c_counters c;
	struct ipc_c2d_relay r;
	struct ipc_c2d_channel ch;
	uint32_t i, n;

	/* Relays: 64, then one more. */
	for (i = 0; i <= 64; i++) {
		memset(&r, 0, sizeof(r));
		r.server.family = 4;
		r.server.port = 3478;
		memcpy(r.server.addr, (const uint8_t[]){ 198, 18, 1, (uint8_t)i }, 4);
		r.add = 1;
		msg(IPC_C2D_RELAY, 0, &r, sizeof(r), -1);
	}
	/* Channels: 4096 on each of 16 relays (65536), then one more. */
	memset(&ch, 0, sizeof(ch));
	ch.server.family = ch.peer.family = ch.relayed.family = 4;
	ch.server.port = 3478;
	ch.peer.port = 40000;
	ch.relayed.port = 50000;
	ch.bound = 1;
	for (n = 0; n <= 65536; n++) {
		memcpy(ch.server.addr, (const uint8_t[]){ 198, 18, 1, (uint8_t)(n / 4096 % 64) }, 4);
		ch.channel = (uint16_t)(0x4000 + n % 4096);
		if (n == 65536)
			ch.server.addr[3] = 63;  /* a relay with no channel yet */
		msg(IPC_C2D_CHANNEL, 0, &ch, sizeof(ch), -1);
	}
	/* Grants: 256 resources for one client, then one more; a re-grant of a
	 * resource it holds still passes. */
	peer_add(1, 0x11, 5, 5, NULL);
	memset(&g, 0, sizeof(g));
	g.type = IPC_RES_CIDR;
	g.family = 4;
	g.prefix = 32;
	for (i = 0; i <= 256; i++) {
		g.resource_id[0] = (uint8_t)i;
		g.resource_id[1] = (uint8_t)(i >> 8);
		memcpy(g.net, (const uint8_t[]){ 198, 18, (uint8_t)(i >> 8), (uint8_t)i }, 4);
		msg(IPC_C2D_GRANT, 1, &g, sizeof(g), -1);
	}
	g.resource_id[0] = 7;
	g.resource_id[1] = 0;
	memcpy(g.net, (const uint8_t[]){ 198, 18, 0, 7 }, 4);
	msg(IPC_C2D_GRANT, 1, &g, sizeof(g), -1);
	verdict(cs, iface(GW4, GW6, &res), "no answer after filling the tables");
	verdict(cs, counters(&c) == sizeof(c), "no counters of this version");
	if (c.cap_relays != 1 || c.cap_channels != 1 || c.cap_grants != 1)
		fprintf(stderr, "ipc_peer: caps hit: relays %llu channels %llu grants %llu\n",
		    (unsigned long long)c.cap_relays, (unsigned long long)c.cap_channels,
		    (unsigned long long)c.cap_grants);
	verdict(cs, c.cap_relays == 1, "cap_relays is not 1");
	verdict(cs, c.cap_channels == 1, "cap_channels is not 1");
	verdict(cs, c.cap_grants == 1, "cap_grants is not 1");
}

/* Refused requests: the dataplane goes on and still answers. */
static void
refusal(const char *cs)
{
	struct ipc_d2c_iface_result res;
	struct ipc_d2c_counters c;
	const char *why = "";
	uint16_t port;
	size_t n;
	int fd, ok;

	hello();
	verdict(cs, iface(GW4, GW6, &res) && res.v4_ok == 1, "no interface result for good addresses");
	if (strcmp(cs, "peer-duplicate") == 0) {
		peer_add(1, 0x11, 5, 5, NULL);
		peer_add(2, 0x22, 5, 6, NULL);  /* 100.64.0.5 is peer 1's */
		peer_add(3, 0x33, 7, 5, NULL);  /* fd00:2021:1111::5 is peer 1's */
		peer_add(1, 0x11, 5, 5, NULL);  /* the same peer again: replaced */
		peer_add(4, 0x44, 8, 8, NULL);  /* fresh addresses: added */
		verdict(cs, iface(GW4, GW6, &res), "no answer after the peers");
		n = counters(&c);
		verdict(cs, n > 0, "no counters");
		if (c.peers != 2)
			fprintf(stderr, "ipc_peer: the dataplane has %llu peers\n",
			    (unsigned long long)c.peers);
		verdict(cs, c.peers == 2, "a peer with another peer's tunnel address was added");
		verdict(cs, n == sizeof(c) && c.refused_peer_address == 2,
		    "refused_peer_address is not 2");
	} else if (strcmp(cs, "caps") == 0) {
		caps(cs);
	} else if (strcmp(cs, "fd-limit") == 0) {
		verdict(cs, (fd = udp_socket(4, &port)) >= 0 && offer(fd, 4, port) == 1,
		    "a good IPv4 socket was refused");
		if ((fd = udp_socket(6, &port)) >= 0)
			verdict(cs, offer(fd, 6, port) == 1, "a good IPv6 socket was refused");
		verdict(cs, (fd = udp_socket(4, &port)) >= 0 && offer(fd, 4, port) == 0,
		    "a second IPv4 socket was taken");
		n = counters(&c);
		verdict(cs, n == sizeof(c) && c.cap_udp_sockets == 1, "cap_udp_sockets is not 1");
	} else {
		/* fd-KIND: a descriptor that is no UDP socket of the family. */
		fd = bad_fd(cs + 3, &why);
		if (fd < 0) {
			fprintf(stderr, "ipc_peer: SKIP %s: %s\n", cs, why);
			return;
		}
		port = bound_port(fd);
		ok = offer(fd, 4, port);
		verdict(cs, ok != -1, "no answer to the socket");
		verdict(cs, ok != 1, "the dataplane took the descriptor as its IPv4 UDP socket");
		verdict(cs, (fd = udp_socket(4, &port)) >= 0 && offer(fd, 4, port) == 1,
		    "a good IPv4 socket was refused afterwards");
		n = counters(&c);
		verdict(cs, n == sizeof(c) && c.refused_socket == 1, "refused_socket is not 1");
	}
	verdict(cs, iface(GW4, GW6, &res), "no answer at the end");
	if (!failed)
		fprintf(stderr, "ipc_peer: PASS %s\n", cs);
}

/* Returns 0 if cs is a distrust case (run), -1 if not. */
static int
distrust_case(const char *cs)
{
	if (strcmp(cs, "iface-v4-outside") == 0 || strcmp(cs, "iface-v6-outside") == 0 ||
	    strcmp(cs, "peer-outside") == 0 || strcmp(cs, "dns-proxy-outside") == 0) {
		violation(cs);
		return 0;
	}
	if (strcmp(cs, "peer-duplicate") == 0 || strcmp(cs, "caps") == 0 ||
	    strncmp(cs, "fd-", 3) == 0) {
		refusal(cs);
		return 0;
	}
	return -1;
}

static int
as_control(void)
{
	const char *cs = getenv("FZ_TEST_MODE");
	uint16_t t;

	if (cs == NULL)
		return 2;
	/* Wait for the dataplane's HELLO and CONFIG so it is in its loop. */
	if (recv_one(&t) < 0 || recv_one(&t) < 0)
		return 3;
	if (distrust_case(cs) == 0) {
		drain();
		return 0;
	}
	if (send_case(cs, 0) < 0) {
		fprintf(stderr, "ipc_peer: unknown case %s\n", cs);
		return 2;
	}
	drain();
	return 0;
}

static int
as_dataplane(const char *cs, const char *bin)
{
	struct passwd *pw = getpwnam("nobody");
	int sv[2], st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 3;
	if ((pid = fork()) == 0) {
		dup2(sv[1], IPC_CONTROL_FD);
		if (geteuid() == 0 && pw != NULL &&
		    (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0))
			_exit(126);
		/* Control refuses to run without it, as the dataplane starts it. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(126);
		execl(bin, "firezone-gateway-control", "--log-level", "debug", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	sock = sv[0];
	if (send_case(cs, 1) < 0) {
		fprintf(stderr, "ipc_peer: unknown case %s\n", cs);
		kill(pid, SIGKILL);
		return 2;
	}
	waitpid(pid, &st, 0);
	printf("control exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return (WIFEXITED(st) && WEXITSTATUS(st) == 1) ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "control") == 0)
		return as_control();
	if (argc == 4 && strcmp(argv[1], "dataplane") == 0)
		return as_dataplane(argv[2], argv[3]);
	/* firezone-gateway execs us with its own argv[0]. */
	if (argc >= 1 && getenv("FZ_TEST_MODE") != NULL)
		return as_control();
	fprintf(stderr, "usage: ipc_peer control | ipc_peer dataplane CASE CONTROL_BIN\n");
	return 2;
}
