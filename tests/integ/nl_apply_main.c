/*
 * nl_apply_main.c - test driver for dataplane/netlink.c, built by
 * tests/integ/test_netlink.sh itself (it links dataplane/netlink.c and
 * common/log.c, which the libc-only tests/tools rule cannot).
 *
 * Creates the TUN device tun-firezone (IFF_TUN | IFF_NO_PI) in the current
 * network namespace, opens a non-blocking NETLINK_ROUTE socket like the
 * dataplane does, then reads commands from stdin, one per line, and prints
 * one result line per command on stdout:
 *
 *   apply V4|- V6|-        the iface job (netlink_job_iface); prints
 *                          "apply rc=R v4_ok=. v6_ok=. link_up=. routes_ok=. rules_v4_ok=. rules_v6_ok=."
 *   routes CIDR...         the routes job with that set; prints "routes rc=R"
 *
 * Jobs run as in the dataplane: netlink_job_pump on the non-blocking
 * socket, called again when it is readable (poll here, libevent there),
 * aborted after NETLINK_TIMEOUT_MS.
 *   ifindex N              use N instead of tun-firezone's index; prints "ifindex N"
 *
 * The device lives until stdin closes, so the caller can inspect it with ip.
 *
 * With NL_APPLY_UID=N in the environment, the driver does what the
 * dataplane does after start-up: once the device and the socket are open,
 * it switches to uid and gid N keeping only CAP_NET_ADMIN, and prints
 * "dropped uid=N capeff=HEX" before "ready".
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netlink.h"

static int
tun_create(void)
{
	struct ifreq ifr;
	int fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
		fatal("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", "tun-firezone");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		fatal("TUNSETIFF tun-firezone");
	return fd;
}

static int
nl_open(void)
{
	struct sockaddr_nl sa;
	int fd;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)) < 0)
		fatal("netlink socket");
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal("netlink bind");
	return fd;
}

/* Become uid/gid id with CAP_NET_ADMIN only (effective and permitted). */
static void
drop_to(const char *s)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];
	char line[128], eff[32] = "?";
	unsigned long id;
	char *end;
	FILE *f;

	id = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || id == 0 || id > 0x7fffffffUL)
		fatalx("NL_APPLY_UID: not a non-root uid: %s", s);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fatal("PR_SET_KEEPCAPS");
	if (setgroups(0, NULL) < 0 || setresgid((gid_t)id, (gid_t)id, (gid_t)id) < 0 ||
	    setresuid((uid_t)id, (uid_t)id, (uid_t)id) < 0)
		fatal("switching to uid %lu", id);
	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	d[0].effective = d[0].permitted = 1u << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, d) < 0)
		fatal("capset CAP_NET_ADMIN");
	if ((f = fopen("/proc/self/status", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "CapEff: %31s", eff) == 1)
				break;
		fclose(f);
	}
	printf("dropped uid=%u capeff=%s\n", (unsigned int)getuid(), eff);
}

/* Routes this driver added, across commands (the dataplane keeps one too). */
static struct netlink_routes routes;

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Run a started job to its end, as the dataplane's event loop does. */
static int
run_job(int nl, struct netlink_job *j, struct ipc_d2c_iface_result *res)
{
	struct pollfd pfd;
	struct timespec t0;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!netlink_job_pump(nl, j)) {
		if ((left = NETLINK_TIMEOUT_MS - ms_since(&t0)) <= 0) {
			netlink_job_abort(j);
			break;
		}
		pfd.fd = nl;
		pfd.events = POLLIN;
		pfd.revents = 0;
		(void)poll(&pfd, 1, (int)left);
	}
	return netlink_job_result(j, res);
}

static int
parse_cidr(const char *s, struct netlink_route *r)
{
	char buf[64], *slash, *end;
	long plen;

	memset(r, 0, sizeof(*r));
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) == NULL)
		return -1;
	*slash = '\0';
	plen = strtol(slash + 1, &end, 10);
	if (*end != '\0' || plen < 0)
		return -1;
	if (inet_pton(AF_INET, buf, r->dst) == 1) {
		r->family = AF_INET;
		if (plen > 32)
			return -1;
	} else if (inet_pton(AF_INET6, buf, r->dst) == 1) {
		r->family = AF_INET6;
		if (plen > 128)
			return -1;
	} else {
		return -1;
	}
	r->plen = (uint8_t)plen;
	return 0;
}

static void
cmd_apply(int nl, unsigned int ifindex, char *args)
{
	static struct netlink_job job;
	struct ipc_d2c_iface_result res;
	uint8_t v4[4], v6[16];
	const uint8_t *p4 = NULL, *p6 = NULL;
	char *s4, *s6, *save = NULL;
	int rc;

	s4 = strtok_r(args, " \t", &save);
	s6 = strtok_r(NULL, " \t", &save);
	if (s4 == NULL || s6 == NULL) {
		printf("error usage: apply V4|- V6|-\n");
		return;
	}
	if (strcmp(s4, "-") != 0) {
		if (inet_pton(AF_INET, s4, v4) != 1) {
			printf("error bad IPv4 %s\n", s4);
			return;
		}
		p4 = v4;
	}
	if (strcmp(s6, "-") != 0) {
		if (inet_pton(AF_INET6, s6, v6) != 1) {
			printf("error bad IPv6 %s\n", s6);
			return;
		}
		p6 = v6;
	}
	netlink_job_iface(&job, &routes, ifindex, p4, p6);
	rc = run_job(nl, &job, &res);
	printf("apply rc=%d v4_ok=%u v6_ok=%u link_up=%u routes_ok=%u rules_v4_ok=%u rules_v6_ok=%u\n",
	    rc, res.v4_ok, res.v6_ok, res.link_up, res.routes_ok, res.rules_v4_ok, res.rules_v6_ok);
}

static void
cmd_routes(int nl, unsigned int ifindex, char *args)
{
	static struct netlink_job job;
	struct netlink_route set[NETLINK_ROUTES_MAX];
	char *tok, *save = NULL;
	size_t n = 0;

	for (tok = strtok_r(args, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (n == NETLINK_ROUTES_MAX || parse_cidr(tok, &set[n]) < 0) {
			printf("error bad route %s\n", tok);
			return;
		}
		n++;
	}
	netlink_job_routes(&job, &routes, ifindex, set, n);
	printf("routes rc=%d\n", run_job(nl, &job, NULL));
}

int
main(void)
{
	char line[512], *nl_char, *uid;
	unsigned int ifindex;
	int tun, nl;

	log_init("nl_apply", LOG_LVL_DEBUG, LOG_FMT_TEXT);
	setvbuf(stdout, NULL, _IOLBF, 0);
	tun = tun_create();
	nl = nl_open();
	if ((ifindex = if_nametoindex("tun-firezone")) == 0)
		fatal("if_nametoindex tun-firezone");
	if ((uid = getenv("NL_APPLY_UID")) != NULL)
		drop_to(uid);
	printf("ready ifindex=%u\n", ifindex);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((nl_char = strchr(line, '\n')) != NULL)
			*nl_char = '\0';
		if (strncmp(line, "apply ", 6) == 0)
			cmd_apply(nl, ifindex, line + 6);
		else if (strncmp(line, "routes", 6) == 0)
			cmd_routes(nl, ifindex, line + 6);
		else if (strncmp(line, "ifindex ", 8) == 0) {
			ifindex = (unsigned int)strtoul(line + 8, NULL, 10);
			printf("ifindex %u\n", ifindex);
		} else if (line[0] != '\0')
			printf("error unknown command\n");
	}
	close(nl);
	close(tun);
	return 0;
}
