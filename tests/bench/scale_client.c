/*
 * scale_client.c - N Firezone clients played from one process, for the
 * gateway's scale run (tests/bench/scale.sh, issue 9).
 *
 * Each client has its own UDP socket (its own source port), its own
 * WireGuard static key and preshared key, a minimal ICE controlling agent
 * and a WireGuard peer for the gateway:
 *
 *   ICE   STUN Binding requests to the gateway's candidates with
 *         USERNAME "<gw ufrag>:<client ufrag>", ICE-CONTROLLING, PRIORITY,
 *         USE-CANDIDATE, MESSAGE-INTEGRITY (gateway password) and
 *         FINGERPRINT (docs/protocol/p2p.md 2.5), retransmitted until a success
 *         response arrives; the gateway's own checks (consent) are answered
 *         with a success response (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY
 *         with the client's password, FINGERPRINT).  Once up, one check
 *         every --consent-ms, as an idle client does (2.7).
 *   WG    once the pair succeeded: a handshake initiation (the dataplane's
 *         own Noise and cookie code, dataplane/wg_*.c, compiled in),
 *         retransmitted every 5 s; a cookie reply is consumed and the
 *         initiation sent again at once with mac2; on the response a
 *         keepalive confirms the session.  The gateway's own initiations
 *         (re-keys once sessions age) are answered.
 *
 * Protocol with the driver (scale_driver.py):
 *   stdout: "key I PORT PUBKEY PSK" per client, then "ready N"; later
 *           "ice I MS", "up I MS" (ms since the client's credentials
 *           arrived), "rekey I", "fail I WHY" (no answer to its checks for
 *           30 s: it stops) and every 2 s a "stats ..." line.
 *   stdin:  "creds I CL_UFRAG CL_PWD GW_UFRAG GW_PWD", "cand I IP PORT"
 *           (a gateway candidate, IPv4), "quit".
 *
 * usage: scale_client -n N --bind IP --gw-pub BASE64 [--consent-ms MS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "wg_cookie.h"
#include "wg_index.h"
#include "wg_noise.h"

#define MAX_GW_CANDS 4
#define STUN_COOKIE 0x2112A442u

enum cstate { C_WAIT = 0, C_CHECKING, C_HANDSHAKE, C_UP, C_FAILED };

/* A client stops checking after this long without an answer, as a real
 * client's ICE agent gives up (and would ask the portal again). */
#define CHECK_GIVE_UP_MS 30000

struct client {
	int fd;
	uint16_t port;
	enum cstate st;
	char cu[8], gu[8];
	char cp[64], gp[64];
	int have_creds;
	struct sockaddr_in gw[MAX_GW_CANDS];
	int n_gw, sel, n_fresh;	/* n_fresh: candidates with a transaction id */
	uint8_t txid[MAX_GW_CANDS][12];
	uint64_t next_check, check_ivl, next_hs, next_consent;
	uint64_t t_creds, t_checking;
	uint8_t psk[32];
	struct wg_noise_local local;
	struct wg_noise_peer peer;
	struct wg_cookie_maker maker;
	uint32_t hs_sent, rekeys;
};

static struct client *cl;
static int n_cl;
static uint8_t gw_pub[32];
static struct wg_index idx;
static uint64_t consent_ms = 60000;
static volatile sig_atomic_t stop;
static struct {
	uint64_t rx, tx, stun_req_in, stun_resp_in, stun_bad, wg_resp, wg_cookie, wg_init_in,
	    wg_data_in, wg_bad, send_err;
} st;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------ STUN */

static uint32_t crc_tab[256];

static void
crc_init(void)
{
	uint32_t c, n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_tab[n] = c;
	}
}

static uint32_t
crc32_buf(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--)
		c = crc_tab[(c ^ *b++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t
attr(uint8_t *m, size_t off, uint16_t type, const void *v, size_t len)
{
	put16(m + off, type);
	put16(m + off + 2, (uint16_t)len);
	if (len)
		memcpy(m + off + 4, v, len);
	off += 4 + len;
	while (off % 4)
		m[off++] = 0;
	return off;
}

/* Append MESSAGE-INTEGRITY (key) and FINGERPRINT; returns the length. */
static size_t
stun_finish(uint8_t *m, size_t off, const char *key)
{
	unsigned int hl = 20;
	uint8_t mac[20];

	put16(m + 2, (uint16_t)(off + 24 - 20));
	HMAC(EVP_sha1(), key, (int)strlen(key), m, off, mac, &hl);
	off = attr(m, off, 0x0008, mac, 20);
	put16(m + 2, (uint16_t)(off + 8 - 20));
	{
		uint8_t fp[4];
		put32(fp, crc32_buf(m, off) ^ 0x5354554eu);
		off = attr(m, off, 0x8028, fp, 4);
	}
	return off;
}

static void
send_to(struct client *c, const struct sockaddr_in *to, const uint8_t *b, size_t n)
{
	if (sendto(c->fd, b, n, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		st.send_err++;
	else
		st.tx++;
}

/* A retransmission keeps the transaction id (new_txid 0). */
static void
send_check(struct client *c, int k, int use_cand, int new_txid)
{
	uint8_t m[256], v[8];
	char user[32];
	size_t off = 20;
	int ul;

	put16(m, 0x0001);
	put32(m + 4, STUN_COOKIE);
	if (new_txid)
		RAND_bytes(c->txid[k], 12);
	memcpy(m + 8, c->txid[k], 12);
	ul = snprintf(user, sizeof(user), "%s:%s", c->gu, c->cu);
	off = attr(m, off, 0x0006, user, (size_t)ul);
	RAND_bytes(v, 8);
	off = attr(m, off, 0x802A, v, 8);		/* ICE-CONTROLLING */
	put32(v, 1853824767u);				/* prflx, first IPv4 */
	off = attr(m, off, 0x0024, v, 4);		/* PRIORITY */
	if (use_cand)
		off = attr(m, off, 0x0025, NULL, 0);	/* USE-CANDIDATE */
	off = stun_finish(m, off, c->gp);
	send_to(c, &c->gw[k], m, off);
}

/* Find attribute type; returns its offset (value at +4) or 0. */
static size_t
find_attr(const uint8_t *m, size_t n, uint16_t type)
{
	size_t off = 20;

	while (off + 4 <= n) {
		uint16_t t = get16(m + off), l = get16(m + off + 2);
		if (off + 4 + l > n)
			return 0;
		if (t == type)
			return off;
		off += 4 + (((size_t)l + 3) & ~(size_t)3);
	}
	return 0;
}

/* MESSAGE-INTEGRITY of m (n bytes) verifies with key. */
static int
mi_ok(const uint8_t *m, size_t n, const char *key)
{
	uint8_t tmp[1500], mac[20];
	unsigned int hl = 20;
	size_t off = find_attr(m, n, 0x0008);

	if (off == 0 || get16(m + off + 2) != 20 || off > sizeof(tmp))
		return 0;
	memcpy(tmp, m, off);
	put16(tmp + 2, (uint16_t)(off + 24 - 20));
	HMAC(EVP_sha1(), key, (int)strlen(key), tmp, off, mac, &hl);
	return CRYPTO_memcmp(mac, m + off + 4, 20) == 0;
}

static void start_handshake(struct client *c, uint64_t now);

static void
on_stun(struct client *c, const uint8_t *m, size_t n, const struct sockaddr_in *from, uint64_t now)
{
	uint16_t type = get16(m);

	if (!c->have_creds) {
		st.stun_bad++;
		return;
	}
	if (type == 0x0001) {
		char want[32];
		size_t off = find_attr(m, n, 0x0006), wl;
		uint8_t r[256], xa[8];
		size_t ro = 20;

		wl = (size_t)snprintf(want, sizeof(want), "%s:%s", c->cu, c->gu);
		if (off == 0 || get16(m + off + 2) != wl || memcmp(m + off + 4, want, wl) != 0 ||
		    !mi_ok(m, n, c->cp)) {
			st.stun_bad++;
			return;
		}
		st.stun_req_in++;
		put16(r, 0x0101);
		put32(r + 4, STUN_COOKIE);
		memcpy(r + 8, m + 8, 12);
		xa[0] = 0;
		xa[1] = 1;
		put16(xa + 2, (uint16_t)(ntohs(from->sin_port) ^ (STUN_COOKIE >> 16)));
		put32(xa + 4, ntohl(from->sin_addr.s_addr) ^ STUN_COOKIE);
		ro = attr(r, ro, 0x0020, xa, 8);
		ro = stun_finish(r, ro, c->cp);
		send_to(c, from, r, ro);
		return;
	}
	if (type == 0x0101) {
		int k;
		for (k = 0; k < c->n_gw; k++)
			if (memcmp(m + 8, c->txid[k], 12) == 0)
				break;
		if (k == c->n_gw || !mi_ok(m, n, c->gp)) {
			st.stun_bad++;
			return;
		}
		st.stun_resp_in++;
		if (c->st == C_CHECKING) {
			c->sel = k;
			printf("ice %d %llu\n", (int)(c - cl), (unsigned long long)(now - c->t_creds));
			start_handshake(c, now);
		}
		return;
	}
	st.stun_bad++;
}

/* ------------------------------------------------------------- WireGuard */

static void
send_initiation(struct client *c, uint64_t now)
{
	uint8_t m[WG_INITIATION_LEN];
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	if (wg_noise_create_initiation(&c->peer, now, &wall, m) != WG_OK ||
	    wg_cookie_add_macs(&c->maker, m, sizeof(m), now) != WG_OK)
		return;
	send_to(c, &c->gw[c->sel], m, sizeof(m));
	c->hs_sent++;
	c->next_hs = now + 5000;
}

static void
start_handshake(struct client *c, uint64_t now)
{
	c->st = C_HANDSHAKE;
	send_initiation(c, now);
}

/* The client owning the socket knows one peer: the gateway. */
static struct wg_noise_peer *
lookup_gw(void *ctx, const uint8_t remote_static[WG_KEY_LEN])
{
	struct client *c = ctx;

	return memcmp(remote_static, gw_pub, 32) == 0 ? &c->peer : NULL;
}

static void
send_keepalive(struct client *c, uint64_t now)
{
	uint8_t out[64];
	size_t ol;

	if (wg_noise_encrypt(&c->peer, now, NULL, 0, 0, out, sizeof(out), &ol) == WG_OK)
		send_to(c, &c->gw[c->sel], out, ol);
}

static void
on_wg(struct client *c, uint8_t *m, size_t n, const struct sockaddr_in *from, uint64_t now)
{
	struct wg_noise_peer *np = NULL;
	int t = wg_message_type(m, n);

	switch (t) {
	case 2:
		if (wg_noise_consume_response(&c->local, m, n, now, &np) != WG_OK || np != &c->peer) {
			st.wg_bad++;
			return;
		}
		st.wg_resp++;
		send_keepalive(c, now);
		if (c->st != C_UP) {
			c->st = C_UP;
			c->next_consent = now + consent_ms;
			printf("up %d %llu\n", (int)(c - cl), (unsigned long long)(now - c->t_creds));
		}
		return;
	case 3:
		if (wg_cookie_consume_reply(&c->maker, m, n, now) != WG_OK) {
			st.wg_bad++;
			return;
		}
		st.wg_cookie++;
		if (c->st == C_HANDSHAKE)
			send_initiation(c, now);
		return;
	case 1: {
		uint8_t r[WG_RESPONSE_LEN];
		if (wg_noise_consume_initiation(&c->local, m, n, now, lookup_gw,
		    c, &np) != WG_OK || np != &c->peer ||
		    wg_noise_create_response(&c->peer, now, r) != WG_OK ||
		    wg_cookie_add_macs(&c->maker, r, sizeof(r), now) != WG_OK) {
			st.wg_bad++;
			return;
		}
		st.wg_init_in++;
		send_to(c, from, r, sizeof(r));
		c->rekeys++;
		printf("rekey %d\n", (int)(c - cl));
		return;
	}
	case 4: {
		uint8_t out[1500];
		size_t ol;
		bool conf = false;
		if (wg_noise_decrypt(&c->local, m, n, now, out, sizeof(out), &ol, &np, &conf) != WG_OK) {
			st.wg_bad++;
			return;
		}
		st.wg_data_in++;
		return;
	}
	default:
		st.wg_bad++;
	}
}

/* ----------------------------------------------------------------- timers */

static void
tick(uint64_t now)
{
	int i, k;

	for (i = 0; i < n_cl; i++) {
		struct client *c = &cl[i];
		switch (c->st) {
		case C_WAIT:
			if (c->have_creds && c->n_gw > 0) {
				c->st = C_CHECKING;
				c->t_checking = now;
				c->next_check = now;
				c->check_ivl = 250;
			} else
				break;
			/* fall through */
		case C_CHECKING:
			if (now - c->t_checking > CHECK_GIVE_UP_MS) {
				c->st = C_FAILED;
				printf("fail %d no answer to checks for %d s\n", i, CHECK_GIVE_UP_MS / 1000);
				break;
			}
			if (now >= c->next_check) {
				for (k = 0; k < c->n_gw; k++)
					send_check(c, k, 1, c->check_ivl == 250 || k >= c->n_fresh);
				c->n_fresh = c->n_gw;
				c->next_check = now + c->check_ivl;
				if (c->check_ivl < 1500)
					c->check_ivl *= 2;
			}
			break;
		case C_HANDSHAKE:
			if (now >= c->next_hs)
				send_initiation(c, now);
			break;
		case C_UP:
			if (now >= c->next_consent) {
				send_check(c, c->sel, 1, 1);
				c->next_consent = now + consent_ms;
			}
			break;
		case C_FAILED:
			break;
		}
	}
}

/* ------------------------------------------------------------------ input */

static void
command(char *line)
{
	char a[5][80];
	int i, n;

	if (strncmp(line, "quit", 4) == 0) {
		stop = 1;
		return;
	}
	n = sscanf(line, "creds %d %7s %63s %7s %63s", &i, a[0], a[1], a[2], a[3]);
	if (n == 5 && i >= 0 && i < n_cl) {
		struct client *c = &cl[i];
		snprintf(c->cu, sizeof(c->cu), "%.7s", a[0]);
		snprintf(c->cp, sizeof(c->cp), "%.63s", a[1]);
		snprintf(c->gu, sizeof(c->gu), "%.7s", a[2]);
		snprintf(c->gp, sizeof(c->gp), "%.63s", a[3]);
		c->have_creds = 1;
		c->t_creds = now_ms();
		return;
	}
	n = sscanf(line, "cand %d %63s %79s", &i, a[0], a[1]);
	if (n == 3 && i >= 0 && i < n_cl) {
		struct client *c = &cl[i];
		struct sockaddr_in sa;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)atoi(a[1]));
		if (inet_pton(AF_INET, a[0], &sa.sin_addr) != 1)
			return;
		for (n = 0; n < c->n_gw; n++)
			if (memcmp(&c->gw[n], &sa, sizeof(sa)) == 0)
				return;
		if (c->n_gw < MAX_GW_CANDS && c->st <= C_CHECKING) {
			c->gw[c->n_gw++] = sa;
			if (c->st == C_CHECKING)
				c->next_check = 0;	/* check the new one now (new id) */
		}
		return;
	}
	fprintf(stderr, "scale_client: bad command: %s\n", line);
}

static char inbuf[1 << 20];
static size_t inlen;

static int
read_stdin(void)
{
	ssize_t r;
	char *nl, *p;

	for (;;) {
		r = read(0, inbuf + inlen, sizeof(inbuf) - 1 - inlen);
		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN ? 0 : -1;
		inlen += (size_t)r;
		inbuf[inlen] = 0;
		p = inbuf;
		while ((nl = strchr(p, '\n')) != NULL) {
			*nl = 0;
			command(p);
			p = nl + 1;
		}
		inlen -= (size_t)(p - inbuf);
		memmove(inbuf, p, inlen);
	}
}

static void
b64(const uint8_t *in, char out[45])
{
	EVP_EncodeBlock((unsigned char *)out, in, 32);
}

static void
on_sig(int s)
{
	(void)s;
	stop = 1;
}

int
main(int argc, char **argv)
{
	const char *bind_ip = NULL, *pub = NULL;
	struct rlimit rl;
	struct epoll_event ev, evs[256];
	int ep, i, j;
	uint64_t last_tick = 0, last_stats = 0;
	uint8_t buf[2048];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n_cl = atoi(argv[++i]);
		else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
			bind_ip = argv[++i];
		else if (strcmp(argv[i], "--gw-pub") == 0 && i + 1 < argc)
			pub = argv[++i];
		else if (strcmp(argv[i], "--consent-ms") == 0 && i + 1 < argc)
			consent_ms = (uint64_t)atoll(argv[++i]);
		else {
			fprintf(stderr, "usage: scale_client -n N --bind IP --gw-pub BASE64 [--consent-ms MS]\n");
			return 2;
		}
	}
	if (n_cl <= 0 || bind_ip == NULL || pub == NULL ||
	    EVP_DecodeBlock(buf, (const unsigned char *)pub, (int)strlen(pub)) != 33) {
		fprintf(stderr, "scale_client: need -n N, --bind IP and --gw-pub (32-byte base64 key)\n");
		return 2;
	}
	memcpy(gw_pub, buf, 32);
	crc_init();
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	signal(SIGPIPE, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = (rlim_t)n_cl + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n_cl + 64) {
		rl.rlim_cur = (rlim_t)n_cl + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			perror("scale_client: setrlimit(RLIMIT_NOFILE)");
			return 1;
		}
	}
	if ((cl = calloc((size_t)n_cl, sizeof(*cl))) == NULL || wg_index_init(&idx, (uint32_t)n_cl * 4) != 0) {
		fprintf(stderr, "scale_client: out of memory\n");
		return 1;
	}
	if ((ep = epoll_create1(0)) < 0) {
		perror("epoll_create1");
		return 1;
	}
	for (i = 0; i < n_cl; i++) {
		struct client *c = &cl[i];
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		char k[48], p[48];

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		inet_pton(AF_INET, bind_ip, &sa.sin_addr);
		c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(c->fd, (struct sockaddr *)&sa, &sl) < 0) {
			fprintf(stderr, "scale_client: socket %d of %d: %s\n", i, n_cl, strerror(errno));
			return 1;
		}
		c->port = ntohs(sa.sin_port);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			perror("epoll_ctl");
			return 1;
		}
		RAND_bytes(c->psk, 32);
		if (wg_noise_local_init(&c->local, NULL, &idx, NULL) != WG_OK ||
		    wg_noise_peer_init(&c->peer, &c->local, gw_pub, c->psk, c) != WG_OK ||
		    wg_cookie_maker_init(&c->maker, gw_pub) != WG_OK) {
			fprintf(stderr, "scale_client: WireGuard set-up failed\n");
			return 1;
		}
		b64(c->local.pub, k);
		b64(c->psk, p);
		printf("key %d %u %s %s\n", i, c->port, k, p);
	}
	printf("ready %d\n", n_cl);
	fflush(stdout);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	ev.events = EPOLLIN;
	ev.data.u32 = 0xffffffffu;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0) {
		perror("scale_client: stdin must be a pipe");
		return 1;
	}

	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 50);
		uint64_t now = now_ms();

		for (j = 0; j < n; j++) {
			uint32_t ci = evs[j].data.u32;
			if (ci == 0xffffffffu) {
				if (read_stdin() < 0)
					stop = 1;
				continue;
			}
			for (;;) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t r = recvfrom(cl[ci].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
				if (r < 0)
					break;
				st.rx++;
				if (r >= 20 && buf[0] <= 1 && get16(buf + 4) == (STUN_COOKIE >> 16) &&
				    get16(buf + 6) == (STUN_COOKIE & 0xffff) && (size_t)get16(buf + 2) + 20 == (size_t)r)
					on_stun(&cl[ci], buf, (size_t)r, &from, now);
				else
					on_wg(&cl[ci], buf, (size_t)r, &from, now);
			}
		}
		if (now - last_tick >= 20) {
			tick(now);
			last_tick = now;
		}
		if (now - last_stats >= 2000) {
			int cnt[5] = { 0, 0, 0, 0, 0 };
			for (i = 0; i < n_cl; i++)
				cnt[cl[i].st]++;
			printf("stats wait=%d checking=%d handshake=%d up=%d failed=%d rx=%llu tx=%llu stun_req_in=%llu "
			    "stun_resp_in=%llu stun_bad=%llu wg_resp=%llu wg_cookie=%llu wg_init_in=%llu "
			    "wg_data_in=%llu wg_bad=%llu send_err=%llu\n", cnt[0], cnt[1], cnt[2], cnt[3], cnt[4],
			    (unsigned long long)st.rx, (unsigned long long)st.tx,
			    (unsigned long long)st.stun_req_in, (unsigned long long)st.stun_resp_in,
			    (unsigned long long)st.stun_bad, (unsigned long long)st.wg_resp,
			    (unsigned long long)st.wg_cookie, (unsigned long long)st.wg_init_in,
			    (unsigned long long)st.wg_data_in, (unsigned long long)st.wg_bad,
			    (unsigned long long)st.send_err);
			last_stats = now;
		}
		if (fflush(stdout) != 0)
			stop = 1;	/* the driver went away */
	}
	for (i = 0; i < n_cl; i++) {
		wg_noise_peer_wipe(&cl[i].peer);
		wg_noise_local_wipe(&cl[i].local);
		close(cl[i].fd);
	}
	wg_index_free(&idx);
	free(cl);
	return 0;
}
