/*
 * turn_probe - drive control/turn.c against a real TURN server on loopback
 * (tests/integ/test_turn_coturn.sh runs it against coturn).
 *
 * Build (the test script does this; it needs libnice and libcrypto):
 *   cc -DFZ_TURN_PROBE -Icommon -Icontrol -o turn_probe tests/tools/turn_probe.c \
 *       control/turn.c common/log.c $(pkg-config --cflags --libs nice libcrypto)
 * Without FZ_TURN_PROBE it compiles to a program that only says so (the
 * Makefile builds every C file under tests/tools against libc alone).
 *
 * Options:
 *   --server IP:PORT | [IP6]:PORT   (once or twice: one per family)
 *   --user U --pass P [--realm R]
 *   --mode ok        allocate, bind two channels, ChannelData both ways,
 *                    release + re-bind, Refresh (first a forged unsigned
 *                    answer "LIFETIME 0" with its transaction id is fed in
 *                    and must be ignored), stop (delete); every genuine
 *                    answer of the server to a signed request must verify
 *                    (no integrity drop but the forged one)          [default]
 *   --mode badpass   expect TURN_EV_FAILED with "credentials"
 *   --dump FILE      write every datagram to FILE, one per line: "> hex" sent to
 *                    the server, "< hex" received from it (the transcript in
 *                    tests/fixtures/turn/ was recorded this way)
 *   --mode loss      allocate, print "allocated", wait for SIGUSR1 (the
 *                    server has been killed), Refresh, expect TURN_EV_FAILED
 *                    with "timeout" within 10 s
 * Prints one "ok: ..." line per step; exits 0 on success, 1 on failure.
 */
#ifndef FZ_TURN_PROBE

#include <stdio.h>

int main(void);

int
main(void)
{
	fprintf(stderr, "turn_probe: build with -DFZ_TURN_PROBE, control/turn.c and "
	    "$(pkg-config --cflags --libs nice libcrypto)\n");
	return 2;
}

#else

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "turn.h"

static int sock[2] = { -1, -1 };	/* [0] IPv4, [1] IPv6 */
static int peer_fd[2] = { -1, -1 };	/* two peers, IPv4 loopback */
static struct ipc_addr peer_addr[2];
static struct turn_client *C;
static volatile sig_atomic_t got_usr1;
static struct turn_event last_ev;
static int n_ok_inputs;
static FILE *dump;

static void
dump_dgram(char dir, const uint8_t *p, size_t n)
{
	if (dump == NULL)
		return;
	fprintf(dump, "%c ", dir);
	for (size_t i = 0; i < n; i++)
		fprintf(dump, "%02x", p[i]);
	fprintf(dump, "\n");
	fflush(dump);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static int
parse_addr(const char *s, struct ipc_addr *a)
{
	char buf[128];
	const char *port;

	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(buf))
		return -1;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (e == NULL || e[1] != ':')
			return -1;
		memcpy(buf, s + 1, (size_t)(e - s - 1));
		buf[e - s - 1] = '\0';
		port = e + 2;
		a->family = 6;
		if (inet_pton(AF_INET6, buf, a->addr) != 1)
			return -1;
	} else {
		const char *e = strrchr(s, ':');

		if (e == NULL)
			return -1;
		memcpy(buf, s, (size_t)(e - s));
		buf[e - s] = '\0';
		port = e + 1;
		a->family = 4;
		if (inet_pton(AF_INET, buf, a->addr) != 1)
			return -1;
	}
	a->port = (uint16_t)atoi(port);
	return a->port != 0 ? 0 : -1;
}

static socklen_t
to_ss(const struct ipc_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		return sizeof(*s4);
	}
	{
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
}

static void
from_ss(struct ipc_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->addr, &s4->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->addr, &s6->sin6_addr, 16);
	}
}

static int
same(const struct ipc_addr *a, const struct ipc_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static const char *
fmt(const struct ipc_addr *a)
{
	static char out[4][80];
	static int k;
	char ip[INET6_ADDRSTRLEN];

	k = (k + 1) % 4;
	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip));
	snprintf(out[k], sizeof(out[k]), a->family == 4 ? "%s:%u" : "[%s]:%u", ip, a->port);
	return out[k];
}

static int
udp_socket(int family)
{
	struct sockaddr_storage ss;
	struct ipc_addr lo;
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	memset(&lo, 0, sizeof(lo));
	lo.family = (uint8_t)family;
	if (family == 4) {
		lo.addr[0] = 127;
		lo.addr[3] = 1;
	} else {
		lo.addr[15] = 1;
	}
	if (bind(fd, (struct sockaddr *)&ss, to_ss(&lo, &ss)) < 0)
		die("bind: %s", strerror(errno));
	return fd;
}

static void
flush(void)
{
	struct turn_transmit tx;

	while (turn_client_poll_transmit(C, &tx) == 1) {
		struct sockaddr_storage ss;
		socklen_t sl = to_ss(&tx.dst, &ss);
		int fd = sock[tx.dst.family == 4 ? 0 : 1];

		if (fd < 0)
			die("no socket for %s", fmt(&tx.dst));
		if (sendto(fd, tx.data, tx.len, 0, (struct sockaddr *)&ss, sl) < 0)
			die("sendto %s: %s", fmt(&tx.dst), strerror(errno));
		dump_dgram('>', tx.data, tx.len);
	}
}

/* ChannelData seen by the client socket (not for the TURN core). */
static uint8_t cd_buf[2048];
static int cd_len = -1;

/* Run the client until an event of `want` (or any terminal event) or the deadline. */
static int
run_until(int want, uint64_t limit_ms)
{
	uint64_t end = now_ms() + limit_ms;

	for (;;) {
		struct pollfd pfd[2];
		uint64_t now = now_ms(), dl;
		int timeout, n = 0;
		struct turn_event ev;

		flush();
		while (turn_client_poll_event(C, &ev) == 1) {
			last_ev = ev;
			printf("event %d reason %s code %u\n", ev.type, turn_reason_str(ev.reason),
			    ev.error_code);
			if ((int)ev.type == want)
				return 1;
			if (ev.type == TURN_EV_FAILED || ev.type == TURN_EV_STOPPED)
				return 0;
		}
		if (want == 0 && cd_len >= 0)
			return 1;
		if (want == -1 && got_usr1)
			return 1;
		if (now >= end)
			return 0;
		dl = turn_client_next_deadline(C);
		timeout = (int)(end - now);
		if (dl != UINT64_MAX)
			timeout = dl <= now ? 0 : (int)(dl - now < (uint64_t)timeout ? dl - now : (uint64_t)timeout);
		for (int i = 0; i < 2; i++) {
			if (sock[i] >= 0) {
				pfd[n].fd = sock[i];
				pfd[n].events = POLLIN;
				n++;
			}
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			uint8_t buf[2048];
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			ssize_t r;
			struct ipc_addr from;

			if (!(pfd[i].revents & POLLIN))
				continue;
			r = recvfrom(pfd[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
			if (r < 0)
				continue;
			from_ss(&from, &ss);
			if (turn_client_is_server(C, &from))
				dump_dgram('<', buf, (size_t)r);
			if (r > 0 && buf[0] >= 0x40 && buf[0] <= 0x4F && turn_client_is_server(C, &from)) {
				memcpy(cd_buf, buf, (size_t)r);
				cd_len = (int)r;
				continue;
			}
			if (turn_client_input(C, now_ms(), &from, NULL, buf, (size_t)r) == TURN_OK)
				n_ok_inputs++;
		}
		turn_client_timeout(C, now_ms());
	}
}

/*
 * Issue 19: send the Refresh now queued, then feed the client what an
 * attacker who saw it could forge: a success answer with its transaction
 * id, LIFETIME 0 (delete) and no MESSAGE-INTEGRITY, from the server's
 * address.  It must be ignored; coturn's signed answer follows.
 */
static void
forge_refresh_answer(void)
{
	struct turn_transmit tx;
	struct sockaddr_storage ss;
	uint8_t fake[28];
	int fd, rc;

	if (turn_client_poll_transmit(C, &tx) != 1 || tx.len < 20)
		die("no Refresh to forge an answer for");
	memcpy(fake, tx.data, 20);
	fd = sock[tx.dst.family == 4 ? 0 : 1];
	if (fd < 0 || sendto(fd, tx.data, tx.len, 0, (struct sockaddr *)&ss,
	    to_ss(&tx.dst, &ss)) < 0)
		die("sendto %s: %s", fmt(&tx.dst), strerror(errno));
	dump_dgram('>', tx.data, tx.len);
	fake[0] = 0x01;		/* Refresh success response */
	fake[1] = 0x04;
	fake[2] = 0;
	fake[3] = 8;
	fake[20] = 0x00;	/* LIFETIME 0 */
	fake[21] = 0x0d;
	fake[22] = 0;
	fake[23] = 4;
	memset(fake + 24, 0, 4);
	rc = turn_client_input(C, now_ms(), &tx.dst, NULL, fake, sizeof(fake));
	if (rc != TURN_ERR_INTEGRITY || turn_client_state(C) != TURN_S_ALLOCATED)
		die("forged Refresh answer: %s, state %s", turn_strerror(rc),
		    turn_state_str(turn_client_state(C)));
	printf("ok: forged unsigned Refresh answer ignored (%s)\n", turn_strerror(rc));
}

static void
send_channel_data(uint16_t ch, const char *msg)
{
	uint8_t buf[256];
	struct ipc_addr srv;
	struct sockaddr_storage ss;
	socklen_t sl;
	int n = turn_channel_data_encode(buf, sizeof(buf), ch, (const uint8_t *)msg, strlen(msg));

	if (n < 0 || !turn_client_active_server(C, &srv))
		die("encode");
	sl = to_ss(&srv, &ss);
	if (sendto(sock[srv.family == 4 ? 0 : 1], buf, (size_t)n, 0, (struct sockaddr *)&ss, sl) != n)
		die("sendto: %s", strerror(errno));
	dump_dgram('>', buf, (size_t)n);
}

/* Data from the client through channel ch must reach peer k from the relayed address. */
static void
check_client_to_peer(uint16_t ch, int k, const struct ipc_addr *relayed)
{
	char want[64], got[256];
	uint64_t end = now_ms() + 3000;

	snprintf(want, sizeof(want), "client-to-peer-%d-%u", k, ch);
	send_channel_data(ch, want);
	while (now_ms() < end) {
		struct pollfd p = { .fd = peer_fd[k], .events = POLLIN };
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct ipc_addr from;
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = recvfrom(peer_fd[k], got, sizeof(got) - 1, 0, (struct sockaddr *)&ss, &sl);
		if (r <= 0)
			continue;
		got[r] = '\0';
		from_ss(&from, &ss);
		if (strcmp(got, want) != 0)
			die("peer %d got '%s', wanted '%s'", k, got, want);
		if (!same(&from, relayed))
			die("peer %d got it from %s, not the relayed %s", k, fmt(&from), fmt(relayed));
		printf("ok: ChannelData 0x%04x reached peer %d from %s\n", ch, k, fmt(&from));
		return;
	}
	die("peer %d got nothing through channel 0x%04x", k, ch);
}

static void
check_peer_to_client(uint16_t ch, int k, const struct ipc_addr *relayed)
{
	char msg[64];
	struct sockaddr_storage ss;
	socklen_t sl = to_ss(relayed, &ss);
	const uint8_t *pl;
	uint16_t got_ch;
	int n;
	struct ipc_addr p;

	snprintf(msg, sizeof(msg), "peer-%d-to-client", k);
	cd_len = -1;
	if (sendto(peer_fd[k], msg, strlen(msg), 0, (struct sockaddr *)&ss, sl) < 0)
		die("peer sendto: %s", strerror(errno));
	if (!run_until(0, 3000))
		die("no ChannelData from the server for peer %d", k);
	n = turn_channel_data_decode(cd_buf, (size_t)cd_len, &got_ch, &pl);
	if (n != (int)strlen(msg) || memcmp(pl, msg, (size_t)n) != 0 || got_ch != ch)
		die("bad ChannelData for peer %d (channel 0x%04x, %d bytes)", k, got_ch, n);
	if (!turn_client_peer_of(C, got_ch, &p) || !same(&p, &peer_addr[k]))
		die("channel 0x%04x does not map to peer %d", got_ch, k);
	printf("ok: peer %d reached us as ChannelData 0x%04x (%d bytes, datagram %d)\n", k, got_ch,
	    n, cd_len);
}

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	struct turn_config cfg;
	const char *mode = "ok";
	struct ipc_addr relayed;
	uint16_t ch[2];

	memset(&cfg, 0, sizeof(cfg));
	cfg.software = "firezone-gateway turn_probe";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--server") == 0) {
			if (cfg.n_server == 2 || parse_addr(argv[i + 1], &cfg.server[cfg.n_server]) < 0)
				die("bad --server %s", argv[i + 1]);
			cfg.n_server++;
		} else if (strcmp(argv[i], "--user") == 0) {
			cfg.username = argv[i + 1];
		} else if (strcmp(argv[i], "--pass") == 0) {
			cfg.password = argv[i + 1];
		} else if (strcmp(argv[i], "--realm") == 0) {
			cfg.realm = argv[i + 1];
		} else if (strcmp(argv[i], "--dump") == 0) {
			dump = fopen(argv[i + 1], "w");
			if (dump == NULL)
				die("cannot write %s", argv[i + 1]);
		} else if (strcmp(argv[i], "--mode") == 0) {
			mode = argv[i + 1];
		} else {
			die("unknown option %s", argv[i]);
		}
	}
	if (cfg.n_server == 0 || cfg.username == NULL || cfg.password == NULL)
		die("usage: turn_probe --server A [--server B] --user U --pass P [--realm R] [--mode M]");
	log_init("turn_probe", LOG_LVL_DEBUG, LOG_FMT_TEXT);
	signal(SIGUSR1, on_usr1);
	for (size_t i = 0; i < cfg.n_server; i++) {
		int f = cfg.server[i].family == 4 ? 0 : 1;

		if (sock[f] < 0)
			sock[f] = udp_socket(cfg.server[i].family);
	}
	for (int k = 0; k < 2; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		peer_fd[k] = udp_socket(4);
		if (getsockname(peer_fd[k], (struct sockaddr *)&ss, &sl) < 0)
			die("getsockname");
		from_ss(&peer_addr[k], &ss);
	}

	C = turn_client_new();
	if (C == NULL)
		die("turn_client_new");
	if (turn_client_start(C, now_ms(), &cfg) != TURN_OK)
		die("turn_client_start");

	if (strcmp(mode, "badpass") == 0) {
		if (run_until(TURN_EV_ALLOCATED, 10000))
			die("allocated with a wrong password");
		if (last_ev.type != TURN_EV_FAILED || last_ev.reason != TURN_REASON_CREDENTIALS)
			die("expected FAILED/credentials, got event %d reason %s", last_ev.type,
			    turn_reason_str(last_ev.reason));
		printf("ok: wrong password: relay failed (%s, %u)\n",
		    turn_reason_str(last_ev.reason), last_ev.error_code);
		turn_client_free(C);
		return 0;
	}

	if (!run_until(TURN_EV_ALLOCATED, 10000))
		die("no allocation (state %s)", turn_state_str(turn_client_state(C)));
	if (!turn_client_relayed(C, 4, &relayed))
		die("no IPv4 relayed address");
	{
		struct ipc_addr srv;

		turn_client_active_server(C, &srv);
		printf("ok: allocated on %s: relayed %s lifetime %u\n", fmt(&srv), fmt(&relayed),
		    last_ev.lifetime_s);
	}
	fflush(stdout);

	if (strcmp(mode, "loss") == 0) {
		printf("allocated\n");
		fflush(stdout);
		if (!run_until(-1, 20000))
			die("no SIGUSR1");
		turn_client_refresh(C, now_ms());
		if (run_until(TURN_EV_ALLOCATED, 12000))
			die("allocated again?");
		if (last_ev.type != TURN_EV_FAILED || last_ev.reason != TURN_REASON_TIMEOUT)
			die("expected FAILED/timeout, got event %d reason %s", last_ev.type,
			    turn_reason_str(last_ev.reason));
		printf("ok: relay loss detected (%s)\n", turn_reason_str(last_ev.reason));
		turn_client_free(C);
		return 0;
	}

	for (int k = 0; k < 2; k++) {
		int r = turn_client_bind_channel(C, now_ms(), &peer_addr[k]);

		if (r < 0)
			die("bind_channel: %s", turn_strerror(r));
		ch[k] = (uint16_t)r;
		if (!run_until(TURN_EV_CHANNEL_BOUND, 10000))
			die("channel to peer %d not bound", k);
		printf("ok: channel 0x%04x bound to %s\n", ch[k], fmt(&peer_addr[k]));
	}
	for (int k = 0; k < 2; k++) {
		check_client_to_peer(ch[k], k, &relayed);
		check_peer_to_client(ch[k], k, &relayed);
	}

	/* release + ask again: same number, re-bound (refreshes the permission) */
	{
		int before = n_ok_inputs, r;

		turn_client_release_channel(C, now_ms(), &peer_addr[0]);
		r = turn_client_bind_channel(C, now_ms(), &peer_addr[0]);
		if (r != ch[0])
			die("re-bind gave 0x%04x, wanted 0x%04x", r, ch[0]);
		run_until(9999, 1500);
		if (n_ok_inputs <= before || turn_client_channel_of(C, &peer_addr[0]) != ch[0])
			die("re-bind of 0x%04x not answered", ch[0]);
		printf("ok: channel 0x%04x re-bound\n", ch[0]);
		check_client_to_peer(ch[0], 0, &relayed);
	}

	/* Refresh: answered, allocation kept */
	{
		int before = n_ok_inputs;

		turn_client_refresh(C, now_ms());
		forge_refresh_answer();
		run_until(9999, 1500);
		if (n_ok_inputs <= before || turn_client_state(C) != TURN_S_ALLOCATED)
			die("Refresh not answered (state %s)", turn_state_str(turn_client_state(C)));
		printf("ok: Refresh answered, still %s\n", turn_state_str(turn_client_state(C)));
	}
	if (turn_client_integrity_drops(C) != 1)
		die("%llu answers ignored for MESSAGE-INTEGRITY, wanted only the forged one",
		    (unsigned long long)turn_client_integrity_drops(C));
	printf("ok: every answer of the server to a signed request verified\n");

	turn_client_stop(C, now_ms());
	if (!run_until(TURN_EV_STOPPED, 10000))
		die("no STOPPED");
	printf("ok: stopped after %d answered transactions\n", n_ok_inputs);
	turn_client_free(C);
	return 0;
}

#endif
