/*
 * wg_driver - plays the control process for the WireGuard interop test.
 *
 * firezone-gateway execs it in place of firezone-gateway-control
 * (FIREZONE_CONTROL_BIN) with its end of the socketpair on fd 3
 * (IPC_CONTROL_FD), already running as the control user.  It speaks the
 * IPC framing itself (struct ipc_hdr + payload, SCM_RIGHTS) and links only
 * libc.
 *
 * Configuration: the environment variable FZ_TEST_MODE (the only test
 * variable the dataplane passes on) holds "key=value;key=value;...".  If
 * it starts with '/', it names a file instead whose lines (or ';'-separated
 * items) are the same key=value pairs; '#' starts a comment line.
 *
 *   out=PATH        write "pubkey=<gateway public key, base64>", "port=<v4>"
 *                   and "port6=<v6>" lines to PATH (atomically, mode 0644)
 *   port=N          IPv4 UDP port to bind on 0.0.0.0 (default 0: any)
 *   port6=N         IPv6 UDP port to bind on [::] (default 0: any)
 *   no_v4=1/no_v6=1 do not create that socket
 *   gw4=A, gw6=A    gateway tunnel addresses for C2D_IFACE_CONFIG
 *                   (default 100.64.0.1 and fd00:2021:1111::1; "none" omits one)
 *   peer_id=N       handle of the client (default 1)
 *   peer_pub=B64    the client's WireGuard public key (required for a peer)
 *   psk=B64         preshared key (default: none)
 *   peer4=A         client tunnel IPv4 (default 100.64.0.2; "none" omits)
 *   peer6=A         client tunnel IPv6 (default fd00:2021:1111::2; "none" omits)
 *   keepalive=N     persistent keepalive seconds of the peer (default 0)
 *   endpoint=E      the client's static UDP endpoint, "A.B.C.D:P" or "[v6]:P"
 *   grant=G,G,...   resources to grant, each one CIDR resource:
 *                   CIDR[+FILTER...][+exp:SECONDS] with FILTER one of
 *                   tcp[:LO[-HI]], udp[:LO[-HI]], icmp (no filter: all
 *                   traffic); resource ids are 1, 2, ... in this order
 *   cmd=PATH        a FIFO to read command lines from (see below)
 *
 * Commands (one per line on the FIFO):
 *   peer-add | peer-remove [revoked|failed] | path [ENDPOINT] | iface
 *   grant G     grant one more resource (or re-grant: same CIDR, same id)
 *   revoke N    revoke resource id N ("revoke all": every granted one)
 *   shutdown    send C2D_SHUTDOWN (signal)
 *
 * Every message received and every action is one line on stderr starting
 * with "wg_driver: ", e.g. "wg_driver: peer 1 event handshake rx 92 tx 148".
 * Exits 0 on EOF from the dataplane or on SIGTERM/SIGINT (after sending
 * C2D_SHUTDOWN), 1 on errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipc_msg.h"

#define SOCK IPC_CONTROL_FD
#define MAX_GRANTS 16
#define MSG_BUF 16384

struct grant {
	int used;
	struct ipc_c2d_grant g;
	char spec[160];
};

static struct {
	char out[512];
	char cmd[512];
	uint16_t port4, port6;
	int no_v4, no_v6;
	int has_gw4, has_gw6;
	uint8_t gw4[4], gw6[16];
	uint32_t peer_id;
	int has_peer;
	uint8_t peer_pub[32];
	int has_psk;
	uint8_t psk[32];
	int has_p4, has_p6;
	uint8_t p4[4], p6[16];
	uint16_t keepalive;
	int has_endpoint;
	struct ipc_addr endpoint;
	struct grant grants[MAX_GRANTS];
	int ngrants;
} cfg;

static uint8_t gw_pub[32];
static uint16_t bound4, bound6;

static void
say(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;
	ssize_t w;

	n = snprintf(line, sizeof(line), "wg_driver: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line so lines do not interleave with the gateway's. */
	w = write(2, line, (size_t)n);
	(void)w;
}

static void
die(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("error: %s", msg);
	exit(1);
}

/* ---- base64 (standard alphabet, padded) ------------------------------- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_encode32(const uint8_t in[32], char out[45])
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= 30; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		out[o++] = b64chars[v & 63];
	}
	v = (uint32_t)in[30] << 16 | (uint32_t)in[31] << 8;
	out[o++] = b64chars[(v >> 18) & 63];
	out[o++] = b64chars[(v >> 12) & 63];
	out[o++] = b64chars[(v >> 6) & 63];
	out[o++] = '=';
	out[o] = '\0';
}

static int
b64_val(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(b64chars, c);
	return p == NULL ? -1 : (int)(p - b64chars);
}

/* Decode exactly a 32-byte key (44 characters ending in '='). */
static int
b64_decode32(const char *s, uint8_t out[32])
{
	size_t i, o = 0;
	int a, b, c, d;
	uint32_t v;

	if (strlen(s) != 44 || s[43] != '=' || s[42] == '=')
		return -1;
	for (i = 0; i < 44; i += 4) {
		a = b64_val(s[i]);
		b = b64_val(s[i + 1]);
		c = b64_val(s[i + 2]);
		d = i == 40 ? 0 : b64_val(s[i + 3]);
		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		if (o < 32)
			out[o++] = (uint8_t)v;
	}
	return o == 32 ? 0 : -1;
}

/* ---- parsing ---------------------------------------------------------- */

static int
parse_u16(const char *s, uint16_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n > 65535)
		return -1;
	*v = (uint16_t)n;
	return 0;
}

static int
parse_endpoint(const char *s, struct ipc_addr *a)
{
	char host[64];
	const char *colon;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - s - 1);
		colon = rb + 1;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, a->addr) != 1)
			return -1;
		a->family = 6;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, a->addr) != 1)
			return -1;
		a->family = 4;
	}
	return parse_u16(colon + 1, &a->port);
}

static const char *
addr_str(const struct ipc_addr *a, char *buf, size_t size)
{
	char h[INET6_ADDRSTRLEN];

	if (a->family == 4) {
		inet_ntop(AF_INET, a->addr, h, sizeof(h));
		snprintf(buf, size, "%s:%u", h, (unsigned)a->port);
	} else if (a->family == 6) {
		inet_ntop(AF_INET6, a->addr, h, sizeof(h));
		snprintf(buf, size, "[%s]:%u", h, (unsigned)a->port);
	} else {
		snprintf(buf, size, "(family %u)", (unsigned)a->family);
	}
	return buf;
}

/* "tcp", "tcp:80", "tcp:80-90", "icmp" */
static int
parse_filter(const char *s, struct ipc_filter *f)
{
	char proto[8];
	const char *colon = strchr(s, ':');
	size_t pl = colon != NULL ? (size_t)(colon - s) : strlen(s);

	memset(f, 0, sizeof(*f));
	if (pl >= sizeof(proto))
		return -1;
	memcpy(proto, s, pl);
	proto[pl] = '\0';
	if (strcmp(proto, "tcp") == 0)
		f->proto = IPC_PROTO_TCP;
	else if (strcmp(proto, "udp") == 0)
		f->proto = IPC_PROTO_UDP;
	else if (strcmp(proto, "icmp") == 0)
		f->proto = IPC_PROTO_ICMP;
	else
		return -1;
	if (colon == NULL) {
		if (f->proto != IPC_PROTO_ICMP) {
			f->port_start = 0;
			f->port_end = 65535;
		}
		return 0;
	}
	if (f->proto == IPC_PROTO_ICMP)
		return -1;
	{
		char tmp[16], *dash;

		if (strlen(colon + 1) >= sizeof(tmp))
			return -1;
		snprintf(tmp, sizeof(tmp), "%s", colon + 1);
		dash = strchr(tmp, '-');
		if (dash != NULL) {
			*dash = '\0';
			if (parse_u16(dash + 1, &f->port_end) < 0)
				return -1;
		}
		if (parse_u16(tmp, &f->port_start) < 0)
			return -1;
		if (dash == NULL)
			f->port_end = f->port_start;
	}
	return f->port_start <= f->port_end ? 0 : -1;
}

/* CIDR[+FILTER...][+exp:SECONDS] into g (resource_id left to the caller). */
static int
parse_grant(const char *spec, struct ipc_c2d_grant *g)
{
	char buf[160], *tok, *save = NULL, *slash;
	int first = 1;
	char *end;
	long prefix;

	if (strlen(spec) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", spec);
	memset(g, 0, sizeof(*g));
	g->type = IPC_RES_CIDR;
	for (tok = strtok_r(buf, "+", &save); tok != NULL; tok = strtok_r(NULL, "+", &save)) {
		if (first) {
			first = 0;
			if ((slash = strchr(tok, '/')) == NULL)
				return -1;
			*slash = '\0';
			errno = 0;
			prefix = strtol(slash + 1, &end, 10);
			if (errno != 0 || *end != '\0' || end == slash + 1)
				return -1;
			if (inet_pton(AF_INET, tok, g->net) == 1) {
				g->family = 4;
				if (prefix < 0 || prefix > 32)
					return -1;
			} else if (inet_pton(AF_INET6, tok, g->net) == 1) {
				g->family = 6;
				if (prefix < 0 || prefix > 128)
					return -1;
			} else {
				return -1;
			}
			g->prefix = (uint8_t)prefix;
			continue;
		}
		if (strncmp(tok, "exp:", 4) == 0) {
			long secs = strtol(tok + 4, &end, 10);
			if (*end != '\0' || end == tok + 4)
				return -1;
			g->has_expiry = 1;
			g->expires_at = (int64_t)time(NULL) + secs;
			continue;
		}
		if (g->n_filters >= IPC_GRANT_FILTERS_MAX ||
		    parse_filter(tok, &g->filters[g->n_filters]) < 0)
			return -1;
		g->n_filters++;
	}
	return first ? -1 : 0;
}

/* Add or replace (same network and prefix) a grant; returns its id or -1. */
static int
grant_store(const char *spec)
{
	struct ipc_c2d_grant g;
	int i;

	if (parse_grant(spec, &g) < 0)
		return -1;
	for (i = 0; i < cfg.ngrants; i++) {
		struct ipc_c2d_grant *o = &cfg.grants[i].g;
		if (o->family == g.family && o->prefix == g.prefix &&
		    memcmp(o->net, g.net, sizeof(g.net)) == 0)
			break;
	}
	if (i == cfg.ngrants) {
		if (cfg.ngrants >= MAX_GRANTS)
			return -1;
		cfg.ngrants++;
	}
	/* Resource ids: "wg_driver" then the 1-based number in the last byte. */
	memcpy(g.resource_id, "wg_driver-res", 13);
	g.resource_id[15] = (uint8_t)(i + 1);
	cfg.grants[i].g = g;
	cfg.grants[i].used = 1;
	snprintf(cfg.grants[i].spec, sizeof(cfg.grants[i].spec), "%s", spec);
	return i + 1;
}

static int
parse_addr_opt(const char *v, int af, uint8_t *dst, int *has)
{
	if (strcmp(v, "none") == 0) {
		*has = 0;
		return 0;
	}
	if (inet_pton(af, v, dst) != 1)
		return -1;
	*has = 1;
	return 0;
}

static void
config_item(char *item)
{
	char *eq, *k, *v;

	while (*item == ' ' || *item == '\t')
		item++;
	if (*item == '\0' || *item == '#')
		return;
	if ((eq = strchr(item, '=')) == NULL)
		die("config item without '=': %s", item);
	*eq = '\0';
	k = item;
	v = eq + 1;
	if (strcmp(k, "out") == 0) {
		snprintf(cfg.out, sizeof(cfg.out), "%s", v);
	} else if (strcmp(k, "cmd") == 0) {
		snprintf(cfg.cmd, sizeof(cfg.cmd), "%s", v);
	} else if (strcmp(k, "port") == 0) {
		if (parse_u16(v, &cfg.port4) < 0)
			die("bad port %s", v);
	} else if (strcmp(k, "port6") == 0) {
		if (parse_u16(v, &cfg.port6) < 0)
			die("bad port6 %s", v);
	} else if (strcmp(k, "no_v4") == 0) {
		cfg.no_v4 = atoi(v) != 0;
	} else if (strcmp(k, "no_v6") == 0) {
		cfg.no_v6 = atoi(v) != 0;
	} else if (strcmp(k, "gw4") == 0) {
		if (parse_addr_opt(v, AF_INET, cfg.gw4, &cfg.has_gw4) < 0)
			die("bad gw4 %s", v);
	} else if (strcmp(k, "gw6") == 0) {
		if (parse_addr_opt(v, AF_INET6, cfg.gw6, &cfg.has_gw6) < 0)
			die("bad gw6 %s", v);
	} else if (strcmp(k, "peer_id") == 0) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (*end != '\0' || n == 0 || n > 0xffffffffu)
			die("bad peer_id %s", v);
		cfg.peer_id = (uint32_t)n;
	} else if (strcmp(k, "peer_pub") == 0) {
		if (b64_decode32(v, cfg.peer_pub) < 0)
			die("bad peer_pub (want a 44-character base64 key)");
		cfg.has_peer = 1;
	} else if (strcmp(k, "psk") == 0) {
		if (v[0] == '\0') {
			cfg.has_psk = 0;
		} else if (b64_decode32(v, cfg.psk) < 0) {
			die("bad psk (want a 44-character base64 key)");
		} else {
			cfg.has_psk = 1;
		}
	} else if (strcmp(k, "peer4") == 0) {
		if (parse_addr_opt(v, AF_INET, cfg.p4, &cfg.has_p4) < 0)
			die("bad peer4 %s", v);
	} else if (strcmp(k, "peer6") == 0) {
		if (parse_addr_opt(v, AF_INET6, cfg.p6, &cfg.has_p6) < 0)
			die("bad peer6 %s", v);
	} else if (strcmp(k, "keepalive") == 0) {
		if (parse_u16(v, &cfg.keepalive) < 0)
			die("bad keepalive %s", v);
	} else if (strcmp(k, "endpoint") == 0) {
		if (parse_endpoint(v, &cfg.endpoint) < 0)
			die("bad endpoint %s", v);
		cfg.has_endpoint = 1;
	} else if (strcmp(k, "grant") == 0) {
		char *g, *save = NULL;
		for (g = strtok_r(v, ",", &save); g != NULL; g = strtok_r(NULL, ",", &save))
			if (grant_store(g) < 0)
				die("bad grant %s", g);
	} else {
		die("unknown config key %s", k);
	}
}

static void
load_config(void)
{
	const char *mode = getenv("FZ_TEST_MODE");
	static char text[8192];
	char *item, *save = NULL;

	cfg.peer_id = 1;
	cfg.has_gw4 = inet_pton(AF_INET, "100.64.0.1", cfg.gw4) == 1;
	cfg.has_gw6 = inet_pton(AF_INET6, "fd00:2021:1111::1", cfg.gw6) == 1;
	cfg.has_p4 = inet_pton(AF_INET, "100.64.0.2", cfg.p4) == 1;
	cfg.has_p6 = inet_pton(AF_INET6, "fd00:2021:1111::2", cfg.p6) == 1;
	if (mode == NULL)
		die("FZ_TEST_MODE is not set");
	if (mode[0] == '/') {
		FILE *f = fopen(mode, "r");
		size_t n;

		if (f == NULL)
			die("cannot open %s: %s", mode, strerror(errno));
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
	} else {
		if (strlen(mode) >= sizeof(text))
			die("FZ_TEST_MODE too long");
		snprintf(text, sizeof(text), "%s", mode);
	}
	for (item = strtok_r(text, ";\n", &save); item != NULL; item = strtok_r(NULL, ";\n", &save))
		config_item(item);
	explicit_bzero(text, sizeof(text));
}

/* ---- IPC framing ------------------------------------------------------ */

static int
send_msg(uint16_t type, uint32_t peer_id, const void *payload, size_t len, int fd)
{
	static uint8_t buf[sizeof(struct ipc_hdr) + sizeof(struct ipc_c2d_grant) + 64];
	union {
		struct cmsghdr a;
		uint8_t b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct ipc_hdr h;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	if (len + sizeof(h) > sizeof(buf))
		die("message of %zu bytes too large", len);
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)len;
	h.peer_id = peer_id;
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
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
	do {
		n = sendmsg(SOCK, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	explicit_bzero(buf, sizeof(h) + len);
	if (n < 0) {
		say("sendmsg type 0x%04x: %s", (unsigned)type, strerror(errno));
		return -1;
	}
	return 0;
}

/* Blocking receive of one message; returns payload length, 0 on EOF... */
static ssize_t
recv_msg(struct ipc_hdr *h, uint8_t *payload, size_t size)
{
	static uint8_t buf[MSG_BUF];
	union {
		struct cmsghdr a;
		uint8_t b[CMSG_SPACE(sizeof(int) * 4)];
	} cb;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.b;
	mh.msg_controllen = sizeof(cb.b);
	do {
		n = recvmsg(SOCK, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die("recvmsg: %s", strerror(errno));
	if (n == 0)
		return -1;
	/* No D2C message carries a descriptor: close any that came. */
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fds[4];
			size_t k, nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(c), nf * sizeof(int));
			for (k = 0; k < nf && k < 4; k++)
				close(fds[k]);
			say("warning: the dataplane sent a descriptor");
		}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		die("truncated message from the dataplane");
	if ((size_t)n < sizeof(*h))
		die("message of %zd bytes is shorter than the header", n);
	memcpy(h, buf, sizeof(*h));
	if ((size_t)h->len != (size_t)n - sizeof(*h))
		die("header length %u does not match the datagram (%zd)", (unsigned)h->len, n);
	if (h->len > size)
		die("payload of %u bytes too large", (unsigned)h->len);
	memcpy(payload, buf + sizeof(*h), h->len);
	explicit_bzero(buf, (size_t)n);
	return (ssize_t)h->len;
}

/* ---- actions ---------------------------------------------------------- */

static int
bind_udp(int family, uint16_t want, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, on = 1;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
			goto fail;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(want);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(want);
		sl = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

static void
send_socket(int family, uint16_t want, uint16_t *bound)
{
	struct ipc_c2d_udp_socket m;
	int v = family == AF_INET ? 4 : 6;
	int fd = bind_udp(family, want, bound);

	if (fd < 0)
		die("cannot bind the IPv%d UDP socket to port %u: %s", v, (unsigned)want,
		    strerror(errno));
	memset(&m, 0, sizeof(m));
	m.family = (uint8_t)v;
	m.port = *bound;
	if (send_msg(IPC_C2D_UDP_SOCKET, 0, &m, sizeof(m), fd) < 0)
		die("cannot pass the IPv%d socket", v);
	/* The dataplane is the only reader; we never send STUN here. */
	close(fd);
	say("sent udp socket v%d port %u", v, (unsigned)*bound);
}

static void
write_out(void)
{
	char tmp[600], key[45];
	FILE *f;
	int fd;

	if (cfg.out[0] == '\0')
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg.out);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 || (f = fdopen(fd, "w")) == NULL)
		die("cannot write %s: %s", tmp, strerror(errno));
	b64_encode32(gw_pub, key);
	fprintf(f, "pubkey=%s\nport=%u\nport6=%u\n", key, (unsigned)bound4, (unsigned)bound6);
	if (fclose(f) != 0 || rename(tmp, cfg.out) < 0)
		die("cannot write %s: %s", cfg.out, strerror(errno));
	say("wrote %s", cfg.out);
}

static void
send_iface(void)
{
	struct ipc_c2d_iface_config m;

	if (!cfg.has_gw4 && !cfg.has_gw6)
		return;
	memset(&m, 0, sizeof(m));
	m.has_v4 = (uint8_t)cfg.has_gw4;
	m.has_v6 = (uint8_t)cfg.has_gw6;
	memcpy(m.v4, cfg.gw4, 4);
	memcpy(m.v6, cfg.gw6, 16);
	if (send_msg(IPC_C2D_IFACE_CONFIG, 0, &m, sizeof(m), -1) == 0)
		say("sent iface config");
}

static void
send_peer_add(void)
{
	struct ipc_c2d_peer_add m;

	if (!cfg.has_peer) {
		say("no peer_pub configured; no peer added");
		return;
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.public_key, cfg.peer_pub, 32);
	if (cfg.has_psk) {
		memcpy(m.preshared_key, cfg.psk, 32);
		m.has_psk = 1;
	}
	m.has_v4 = (uint8_t)cfg.has_p4;
	m.has_v6 = (uint8_t)cfg.has_p6;
	memcpy(m.tun_v4, cfg.p4, 4);
	memcpy(m.tun_v6, cfg.p6, 16);
	m.keepalive_s = cfg.keepalive;
	if (send_msg(IPC_C2D_PEER_ADD, cfg.peer_id, &m, sizeof(m), -1) == 0)
		say("sent peer-add %u (psk %s, keepalive %u)", (unsigned)cfg.peer_id,
		    cfg.has_psk ? "yes" : "no", (unsigned)cfg.keepalive);
	explicit_bzero(&m, sizeof(m));
}

static void
send_path(void)
{
	struct ipc_c2d_peer_path m;
	char a[80];

	if (!cfg.has_peer || !cfg.has_endpoint)
		return;
	memset(&m, 0, sizeof(m));
	m.remote = cfg.endpoint;
	if (send_msg(IPC_C2D_PEER_PATH, cfg.peer_id, &m, sizeof(m), -1) == 0)
		say("sent path %u direct %s", (unsigned)cfg.peer_id,
		    addr_str(&cfg.endpoint, a, sizeof(a)));
}

static void
send_grant(int i)
{
	if (!cfg.grants[i].used)
		return;
	if (send_msg(IPC_C2D_GRANT, cfg.peer_id, &cfg.grants[i].g, sizeof(cfg.grants[i].g), -1) == 0)
		say("sent grant %d %s", i + 1, cfg.grants[i].spec);
}

static void
send_revoke(int i)
{
	struct ipc_c2d_revoke m;

	memcpy(m.resource_id, cfg.grants[i].g.resource_id, sizeof(m.resource_id));
	if (send_msg(IPC_C2D_REVOKE, cfg.peer_id, &m, sizeof(m), -1) == 0)
		say("sent revoke %d %s", i + 1, cfg.grants[i].spec);
	cfg.grants[i].used = 0;
}

static void
send_shutdown(void)
{
	struct ipc_shutdown s = { IPC_SHUTDOWN_SIGNAL };

	if (send_msg(IPC_C2D_SHUTDOWN, 0, &s, sizeof(s), -1) == 0)
		say("sent shutdown");
}

static void
command(char *line)
{
	char *arg;
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n == 0)
		return;
	say("cmd %s", line);
	arg = strchr(line, ' ');
	if (arg != NULL)
		*arg++ = '\0';
	if (strcmp(line, "peer-add") == 0) {
		send_peer_add();
	} else if (strcmp(line, "peer-remove") == 0) {
		struct ipc_c2d_peer_remove r;
		r.reason = (arg != NULL && strcmp(arg, "failed") == 0) ? IPC_PEER_REMOVE_FAILED :
		    IPC_PEER_REMOVE_REVOKED;
		if (send_msg(IPC_C2D_PEER_REMOVE, cfg.peer_id, &r, sizeof(r), -1) == 0)
			say("sent peer-remove %u", (unsigned)cfg.peer_id);
	} else if (strcmp(line, "path") == 0) {
		if (arg != NULL) {
			if (parse_endpoint(arg, &cfg.endpoint) < 0) {
				say("bad endpoint %s", arg);
				return;
			}
			cfg.has_endpoint = 1;
		}
		send_path();
	} else if (strcmp(line, "iface") == 0) {
		send_iface();
	} else if (strcmp(line, "grant") == 0 && arg != NULL) {
		int id = grant_store(arg);
		if (id < 0)
			say("bad grant %s", arg);
		else
			send_grant(id - 1);
	} else if (strcmp(line, "revoke") == 0 && arg != NULL) {
		int i;
		if (strcmp(arg, "all") == 0) {
			for (i = 0; i < cfg.ngrants; i++)
				if (cfg.grants[i].used)
					send_revoke(i);
		} else {
			i = atoi(arg);
			if (i < 1 || i > cfg.ngrants)
				say("no resource %s", arg);
			else
				send_revoke(i - 1);
		}
	} else if (strcmp(line, "shutdown") == 0) {
		send_shutdown();
	} else {
		say("unknown command %s", line);
	}
}

static const char *
event_name(uint8_t ev)
{
	switch (ev) {
	case IPC_PEER_EV_HANDSHAKE: return "handshake";
	case IPC_PEER_EV_EXPIRED: return "expired";
	case IPC_PEER_EV_GAVE_UP: return "gave-up";
	default: return "unknown";
	}
}

/* Log one run-phase message; returns 1 if it was D2C_SHUTDOWN. */
static int
handle(const struct ipc_hdr *h, const uint8_t *p)
{
	char a[80], b[80];

	switch (h->type) {
	case IPC_D2C_SOCKET_ACK: {
		struct ipc_d2c_socket_ack m;
		if (h->len != sizeof(m))
			break;
		memcpy(&m, p, sizeof(m));
		say("socket ack v%u port %u ok %u mark 0x%x", (unsigned)m.family,
		    (unsigned)m.port, (unsigned)m.ok, (unsigned)m.mark);
		return 0;
	}
	case IPC_D2C_IFACE_RESULT: {
		struct ipc_d2c_iface_result m;
		if (h->len != sizeof(m))
			break;
		memcpy(&m, p, sizeof(m));
		say("iface result v4 %u v6 %u link %u routes %u rules_v4 %u rules_v6 %u",
		    (unsigned)m.v4_ok, (unsigned)m.v6_ok, (unsigned)m.link_up,
		    (unsigned)m.routes_ok, (unsigned)m.rules_v4_ok, (unsigned)m.rules_v6_ok);
		return 0;
	}
	case IPC_D2C_PEER_EVENT: {
		struct ipc_d2c_peer_event m;
		if (h->len != sizeof(m))
			break;
		memcpy(&m, p, sizeof(m));
		say("peer %u event %s rx %llu tx %llu", (unsigned)h->peer_id, event_name(m.event),
		    (unsigned long long)m.rx_bytes, (unsigned long long)m.tx_bytes);
		return 0;
	}
	case IPC_D2C_UDP_RX: {
		struct ipc_d2c_udp_rx m;
		if (h->len < sizeof(m))
			break;
		memcpy(&m, p, sizeof(m));
		say("udp rx kind %s from %s to %s len %u",
		    m.kind == IPC_UDP_KIND_STUN ? "stun" : m.kind == IPC_UDP_KIND_RELAY ? "relay" : "?",
		    addr_str(&m.from, a, sizeof(a)), addr_str(&m.local, b, sizeof(b)),
		    (unsigned)m.len);
		return 0;
	}
	case IPC_D2C_SHUTDOWN: {
		struct ipc_shutdown m;
		if (h->len != sizeof(m))
			break;
		memcpy(&m, p, sizeof(m));
		say("shutdown from the dataplane reason %u", (unsigned)m.reason);
		return 1;
	}
	default:
		say("unexpected message type 0x%04x len %u", (unsigned)h->type, (unsigned)h->len);
		return 0;
	}
	say("message type 0x%04x with wrong length %u", (unsigned)h->type, (unsigned)h->len);
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t payload[MSG_BUF];
	struct ipc_hdr h;
	struct ipc_d2c_hello dh;
	struct ipc_d2c_config *dc;
	struct ipc_c2d_hello ch;
	char key[45], cmdbuf[1024];
	size_t cmdlen = 0;
	struct pollfd pfd[3];
	sigset_t mask;
	int sfd, cmdfd = -1, i, stopping = 0;
	ssize_t n;

	(void)argc;
	(void)argv;
	load_config();

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		die("signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);

	/* D2C_HELLO, then D2C_CONFIG. */
	if ((n = recv_msg(&h, payload, sizeof(payload))) < 0)
		die("EOF before D2C_HELLO");
	if (h.type != IPC_D2C_HELLO || (size_t)n != sizeof(dh))
		die("expected D2C_HELLO, got type 0x%04x len %zd", (unsigned)h.type, n);
	memcpy(&dh, payload, sizeof(dh));
	if (dh.version != IPC_VERSION)
		die("dataplane speaks protocol %u, we speak %u", (unsigned)dh.version, IPC_VERSION);
	memcpy(gw_pub, dh.public_key, 32);
	b64_encode32(gw_pub, key);
	say("hello from dataplane pid %u protocol %u pubkey %s", (unsigned)dh.pid,
	    (unsigned)dh.version, key);
	if ((n = recv_msg(&h, payload, sizeof(payload))) < 0)
		die("EOF before D2C_CONFIG");
	if (h.type != IPC_D2C_CONFIG || (size_t)n != sizeof(*dc))
		die("expected D2C_CONFIG, got type 0x%04x len %zd", (unsigned)h.type, n);
	dc = (struct ipc_d2c_config *)payload;
	dc->firezone_id[sizeof(dc->firezone_id) - 1] = '\0';
	dc->api_url[sizeof(dc->api_url) - 1] = '\0';
	say("config firezone_id %s api_url %s", dc->firezone_id, dc->api_url);
	explicit_bzero(payload, sizeof(*dc));

	memset(&ch, 0, sizeof(ch));
	ch.version = IPC_VERSION;
	ch.pid = (uint32_t)getpid();
	if (send_msg(IPC_C2D_HELLO, 0, &ch, sizeof(ch), -1) < 0)
		die("cannot send C2D_HELLO");
	say("sent hello pid %u", (unsigned)ch.pid);

	if (!cfg.no_v4)
		send_socket(AF_INET, cfg.port4, &bound4);
	if (!cfg.no_v6)
		send_socket(AF_INET6, cfg.port6, &bound6);
	send_iface();
	send_peer_add();
	send_path();
	for (i = 0; i < cfg.ngrants; i++)
		send_grant(i);
	/* Last, so a test that sees the file knows everything was sent. */
	write_out();

	if (cfg.cmd[0] != '\0') {
		/* O_RDWR: we hold a writer ourselves, so no EOF between writers. */
		cmdfd = open(cfg.cmd, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (cmdfd < 0)
			die("cannot open the command FIFO %s: %s", cfg.cmd, strerror(errno));
	}

	for (;;) {
		pfd[0].fd = SOCK;
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		pfd[2].fd = cmdfd;
		pfd[2].events = POLLIN;
		if (poll(pfd, cmdfd >= 0 ? 3 : 2, stopping ? 5000 : -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (stopping && pfd[0].revents == 0 && pfd[1].revents == 0 &&
		    (cmdfd < 0 || pfd[2].revents == 0)) {
			say("no EOF from the dataplane within 5 s; exiting");
			return 0;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				say("signal %u; stopping", (unsigned)si.ssi_signo);
				if (!stopping)
					send_shutdown();
				stopping = 1;
			}
		}
		if (cmdfd >= 0 && (pfd[2].revents & POLLIN)) {
			n = read(cmdfd, cmdbuf + cmdlen, sizeof(cmdbuf) - 1 - cmdlen);
			if (n > 0) {
				char *nl;
				cmdlen += (size_t)n;
				cmdbuf[cmdlen] = '\0';
				while ((nl = strchr(cmdbuf, '\n')) != NULL) {
					size_t used = (size_t)(nl - cmdbuf) + 1;
					*nl = '\0';
					command(cmdbuf);
					memmove(cmdbuf, cmdbuf + used, cmdlen - used + 1);
					cmdlen -= used;
				}
				if (cmdlen == sizeof(cmdbuf) - 1) {
					say("command line too long; dropped");
					cmdlen = 0;
				}
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = recv_msg(&h, payload, sizeof(payload))) < 0) {
				say("EOF from the dataplane; exiting");
				return 0;
			}
			if (handle(&h, payload))
				stopping = 1;
		}
	}
}
