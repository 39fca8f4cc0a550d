#!/bin/sh
# ICE interop on loopback: our controlled agent (control/ice.c, driven by a
# small harness built here that owns one UDP socket) against libnice's
# NiceAgent in tests/tools/ice_nice_peer.c (controlling, trickle).
# Scenarios: IPv4 and IPv6 loopback with aggressive and regular nomination
# (both sides must nominate the same path and exchange a datagram on it),
# a peer that also starts controlled (role conflict, resolved by the
# tie-breakers), and a client holding a wrong gateway password (nothing
# nominated, every check rejected).  No root needed; only 127.0.0.1 and ::1 are used.
set -u
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT INT TERM

command -v pkg-config >/dev/null || fail "pkg-config missing"
pkg-config --exists nice libcrypto || fail "libnice-dev / libssl-dev missing"

CFLAGS_T="-std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -O1 -g"
SAN=""
[ "${FZ_ICE_SANITIZE:-0}" = 1 ] && SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"

cc $CFLAGS_T $SAN -DFZ_ICE_NICE_PEER -o "$FZ_TMP/ice_nice_peer" \
	"$FZ_TOP/tests/tools/ice_nice_peer.c" $(pkg-config --cflags --libs nice) ||
	fail "cannot build ice_nice_peer"

cat >"$FZ_TMP/gw_harness.c" <<'EOF'
/* Gateway side: one ice_agent, one UDP socket, one NiceAgent child. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ice.h"

#define GW_UFRAG "gwUf"
#define GW_PWD "gatewaypassword0123456"
#define CL_UFRAG "clUf"
#define CL_PWD "clientpassword01234567"

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static socklen_t
to_ss(const struct ipc_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->addr, 4);
		return sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(a->port);
		memcpy(&s->sin6_addr, a->addr, 16);
		return sizeof(*s);
	}
}

static void
from_ss(struct ipc_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s->sin_port);
		memcpy(a->addr, &s->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s->sin6_port);
		memcpy(a->addr, &s->sin6_addr, 16);
	}
}

static const char *
fmt(const struct ipc_addr *a, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip));
	snprintf(buf, n, "%s %u", ip, a->port);
	return buf;
}

int
main(int argc, char **argv)
{
	const char *peer = argv[1], *mode = argv[3];
	int fam = atoi(argv[2]), fd, to_peer[2], from_peer[2], bad = strcmp(mode, "badpwd") == 0;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct ipc_addr local, nominated;
	struct ice_agent *ag;
	struct ice_config cfg = { .tag = 0x5eed0001u };
	FILE *pin, *pout;
	pid_t pid;
	char line[1024], b1[80], b2[80];
	int gw_nominated = 0, peer_ready = 0, peer_selected = 0, sent_hello = 0, got_hello = 0,
	    got_world = 0, eauth = 0, answered = 0, responses = 0;
	uint64_t start, limit;

	if (argc < 4)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	memset(&ss, 0, sizeof(ss));
	if (fam == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", &s->sin_addr);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "::1", &s->sin6_addr);
		sl = sizeof(*s);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		perror("socket");
		return 2;
	}
	from_ss(&local, &ss);

	if (pipe(to_peer) != 0 || pipe(from_peer) != 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		const char *args[16];
		int n = 0;

		dup2(to_peer[0], 0);
		dup2(from_peer[1], 1);
		close(to_peer[1]);
		close(from_peer[0]);
		args[n++] = peer;
		args[n++] = "--ufrag"; args[n++] = CL_UFRAG;
		args[n++] = "--pwd"; args[n++] = CL_PWD;
		args[n++] = "--remote-ufrag"; args[n++] = GW_UFRAG;
		args[n++] = "--remote-pwd"; args[n++] = bad ? "wrongpassword000000000" : GW_PWD;
		args[n++] = "--bind"; args[n++] = fam == 4 ? "127.0.0.1" : "::1";
		args[n++] = "--timeout"; args[n++] = "20";
		if (strcmp(mode, "regular") == 0)
			args[n++] = "--regular";
		if (strcmp(mode, "conflict") == 0)
			args[n++] = "--controlled";
		args[n] = NULL;
		execv(peer, (char *const *)args);
		_exit(127);
	}
	close(to_peer[0]);
	close(from_peer[1]);
	pin = fdopen(to_peer[1], "w");
	pout = fdopen(from_peer[0], "r");
	setvbuf(pin, NULL, _IOLBF, 0);
	/* unbuffered: poll() must see every line still in the pipe */
	setvbuf(pout, NULL, _IONBF, 0);

	start = now_ms();
	limit = start + (bad ? 5000 : 15000);
	ag = ice_agent_new(GW_UFRAG, GW_PWD, CL_UFRAG, CL_PWD, &cfg, start);
	if (ag == NULL)
		return 2;
	if (ice_agent_add_local(ag, ICE_CAND_HOST, &local, start) != ICE_OK)
		return 2;

	while (now_ms() < limit) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { fileno(pout), POLLIN, 0 } };
		uint64_t t = now_ms(), d = ice_agent_next_deadline(ag);
		int wait = d <= t ? 0 : (d - t > 100 ? 100 : (int)(d - t));
		struct ice_event ev;
		struct ice_tx tx;

		t = now_ms();
		ice_agent_tick(ag, t);
		while (ice_agent_poll_transmit(ag, t, &tx) == 1) {
			sl = to_ss(&tx.to, &ss);
			sendto(fd, tx.data, tx.len, 0, (struct sockaddr *)&ss, sl);
		}
		while (ice_agent_poll_event(ag, &ev) == 1) {
			switch (ev.type) {
			case ICE_EV_LOCAL_CANDIDATE:
				fprintf(pin, "cand %s\n", ev.cand);
				printf("gw: signalled %s\n", ev.cand);
				break;
			case ICE_EV_NOMINATED:
				gw_nominated = 1;
				nominated = ev.remote;
				printf("gw: nominated %s -> %s%s\n", fmt(&ev.local, b1, sizeof(b1)),
				    fmt(&ev.remote, b2, sizeof(b2)), ev.via_relay ? " (relay)" : "");
				break;
			case ICE_EV_REMOTE_SOURCE:
				printf("gw: source %s\n", fmt(&ev.remote, b2, sizeof(b2)));
				break;
			case ICE_EV_FAILED:
				printf("gw: failed %d\n", (int)ev.reason);
				limit = 0;
				break;
			default:
				printf("gw: event %d\n", (int)ev.type);
				break;
			}
		}
		if (gw_nominated && peer_ready && peer_selected && !sent_hello) {
			fprintf(pin, "send hello\n");
			sent_hello = 1;
		}
		if (got_hello && got_world)
			break;

		if (poll(p, 2, wait) < 0 && errno != EINTR)
			break;
		if (p[1].revents & (POLLIN | POLLHUP)) {
			if (fgets(line, sizeof(line), pout) == NULL) {
				printf("gw: peer exited\n");
				break;
			}
			line[strcspn(line, "\n")] = '\0';
			printf("peer: %s\n", line);
			if (strncmp(line, "cand ", 5) == 0) {
				int rc = ice_agent_add_remote(ag, line + 5, strlen(line + 5), now_ms());

				if (rc != ICE_OK && rc != ICE_EIGNORED) {
					printf("gw: cannot add remote candidate (%d)\n", rc);
					return 1;
				}
			} else if (strcmp(line, "state ready") == 0) {
				peer_ready = 1;
			} else if (strncmp(line, "selected ", 9) == 0) {
				char want[96];

				peer_selected = 1;
				/* the peer's remote must be our socket */
				snprintf(want, sizeof(want), " %s", fmt(&local, b1, sizeof(b1)));
				if (strstr(line, want) == NULL) {
					printf("gw: peer selected a path not to our socket\n");
					return 1;
				}
			} else if (strcmp(line, "recv 5 world") == 0) {
				got_world = 1;
			}
		}
		if (p[0].revents & POLLIN) {
			uint8_t buf[2048];
			struct ice_rx rx;
			struct ice_tx reply;
			char lu[ICE_UFRAG_MAX + 1];
			uint32_t tag;
			ssize_t n;

			sl = sizeof(ss);
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
			if (n <= 0)
				continue;
			rx.data = buf;
			rx.len = (size_t)n;
			rx.local = local;
			from_ss(&rx.from, &ss);
			rx.via_relay = 0;
			if (ice_match_username(buf, (size_t)n, lu, NULL) > 0) {
				int rc;

				if (strcmp(lu, GW_UFRAG) != 0) {
					printf("gw: request for ufrag %s\n", lu);
					continue;
				}
				rc = ice_agent_receive(ag, now_ms(), &rx, &reply);
				if (rc == ICE_EAUTH)
					eauth++;
				if (rc == ICE_OK && reply.len > 0) {
					sl = to_ss(&reply.to, &ss);
					sendto(fd, reply.data, reply.len, 0, (struct sockaddr *)&ss, sl);
					answered++;
				}
			} else if (ice_match_txid(buf, (size_t)n, &tag) == ICE_OK) {
				if (tag == cfg.tag && ice_agent_receive(ag, now_ms(), &rx, NULL) == ICE_OK)
					responses++;
			} else if (n == 5 && memcmp(buf, "hello", 5) == 0 && gw_nominated &&
			    ice_cand_addr_equal(&rx.from, &nominated)) {
				got_hello = 1;
				ice_agent_traffic(ag, now_ms());
				sl = to_ss(&nominated, &ss);
				sendto(fd, "world", 5, 0, (struct sockaddr *)&ss, sl);
			} else {
				printf("gw: other datagram of %zd bytes\n", n);
			}
		}
	}
	fprintf(pin, "quit\n");
	fflush(pin);
	fclose(pin);
	while (fgets(line, sizeof(line), pout) != NULL)
		printf("peer: %s", line);
	waitpid(pid, NULL, 0);
	printf("gw: answered %d checks, %d responses to ours, %d rejected (credentials), %s\n",
	    answered, responses, eauth, ice_agent_is_controlling(ag) ? "controlling" : "controlled");
	ice_agent_free(ag);
	if (bad)
		return (!gw_nominated && answered == 0 && eauth > 0) ? 0 : 1;
	return (gw_nominated && peer_ready && got_hello && got_world && responses > 0) ? 0 : 1;
}
EOF

cc $CFLAGS_T $SAN -I"$FZ_TOP/common" -I"$FZ_TOP/control" -o "$FZ_TMP/gw_harness" \
	"$FZ_TMP/gw_harness.c" "$FZ_TOP/control/ice.c" "$FZ_TOP/control/ice_cand.c" \
	"$FZ_TOP/common/log.c" $(pkg-config --cflags --libs nice libcrypto) ||
	fail "cannot build the harness"

run() {
	name=$1
	shift
	if "$FZ_TMP/gw_harness" "$FZ_TMP/ice_nice_peer" "$@" >"$FZ_TMP/$name.log" 2>&1; then
		ok "$name"
		grep -E '^gw: (nominated|answered)' "$FZ_TMP/$name.log"
	else
		cat "$FZ_TMP/$name.log"
		fail "$name"
	fi
}

run ipv4-aggressive 4 aggressive
run ipv4-regular 4 regular
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	run ipv6-aggressive 6 aggressive
else
	echo "skip: no ::1 on lo"
fi
# Both sides start controlled: the tie-breakers decide who switches
# (RFC 8445 7.3.1.1 / 7.2.5.1); either way both ends nominate one path.
for i in 1 2 3 4; do
	run role-conflict-$i 4 conflict
done
run wrong-password 4 badpwd
echo "all ICE interop scenarios passed"
