/*
 * main.c - firezone-gateway: the privileged half of the gateway.
 *
 * Start-up order (docs/architecture.md §4): read the configuration, check the
 * privileges we were given, acquire what needs them (TUN device, rtnetlink
 * socket), generate the WireGuard key pair, start control over a
 * socketpair, drop to CAP_NET_ADMIN under our own user and verify, then run
 * the event loop.
 *
 * The dataplane never blocks on control, and control never outlives it:
 *  - control's exit is learnt from a pidfd in the event loop and reaped
 *    with waitid(WNOHANG) (SIGCHLD as well, where pidfds are missing);
 *    nothing ever waits for it;
 *  - on a stop, control gets STOP_GRACE_SECONDS to exit; then we send it
 *    SIGKILL through the pidfd and exit without waiting.  Control runs as
 *    another user and we hold no CAP_KILL: the kill is allowed only
 *    because our real uid is control's (privdrop.c); a failure is logged
 *    at debug level and changes nothing, since
 *  - control set PR_SET_PDEATHSIG(SIGKILL) before its exec (spawn.c), so
 *    the kernel kills it when we exit, however we exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "dataplane.h"
#include "log.h"
#include "priv.h"
#include "privdrop.h"
#include "sandbox.h"
#include "tun.h"
#include "tunoff.h"

#define STOP_GRACE_SECONDS 3

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static int
rtnetlink_socket(void)
{
	struct sockaddr_nl sa;
	int fd;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Started as root without a configured ID: make sure the state directory
 * exists and belongs to the control user, who reads or creates gateway_id
 * in it.  An existing directory is left as the operator set it up.
 */
static void
prepare_state_dir(const struct dp_config *cfg, const struct privdrop_plan *plan)
{
	char tmp[sizeof(cfg->state_dir)], *p;
	struct stat st;

	if (!plan->as_root || cfg->firezone_id[0] != '\0' || cfg->state_dir[0] != '/' ||
	    stat(cfg->state_dir, &st) == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s", cfg->state_dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(tmp, 0755);
		*p = '/';
	}
	if (mkdir(tmp, 0750) < 0 || chown(tmp, plan->ctl_uid, plan->ctl_gid) < 0) {
		log_warn("cannot create the state directory %s", tmp);
		return;
	}
	log_info("created the state directory %s for the control user", tmp);
}

/* Use FIREZONE_CONTROL_BIN, else libexecdir, else next to our own binary. */
static void
resolve_control_bin(struct dp_config *cfg)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (getenv("FIREZONE_CONTROL_BIN") != NULL || access(cfg->control_bin, X_OK) == 0)
		return;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	if ((size_t)snprintf(cfg->control_bin, sizeof(cfg->control_bin),
	    "%s/firezone-gateway-control", self) >= sizeof(cfg->control_bin))
		cfg->control_bin[0] = '\0';
}

/* A pidfd for pid (Linux 5.3); -1 where the kernel has none. */
static int
control_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -1 : (int)fd;
}

/* Set once we sent control SIGKILL ourselves: its death is no news then. */

static void
log_control_exit(const struct dp *dp, const siginfo_t *si)
{
	if (si->si_code != CLD_EXITED && si->si_status == SIGKILL && dp->control_kill_sent)
		log_info("control process was killed after the grace period");
	else if (si->si_code == CLD_EXITED)
		log_errorx("control process exited with status %d", si->si_status);
	else if (si->si_status == SIGSYS)
		log_errorx("control process was killed by signal %d (SIGSYS: a system call outside "
		    "its seccomp allowlist; the kernel's audit log names it)", si->si_status);
	else
		log_errorx("control process was killed by signal %d", si->si_status);
}

/* Reap control if it has exited; never waits. */
static void
reap_control(struct dp *dp)
{
	siginfo_t si;
	int r;

	if (dp->control_pid <= 0)
		return;
	memset(&si, 0, sizeof(si));
	do {
		if (dp->control_pidfd >= 0)
			r = waitid(P_PIDFD, (id_t)dp->control_pidfd, &si, WEXITED | WNOHANG);
		else
			r = waitid(P_PID, (id_t)dp->control_pid, &si, WEXITED | WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r < 0 || si.si_pid == 0)
		return;	/* still running (or not ours any more: ECHILD) */
	dp->control_status = si.si_code == CLD_EXITED ? si.si_status << 8 : si.si_status;
	dp->control_pid = 0;
	if (dp->ev_control != NULL)
		event_del(dp->ev_control);
	/* Killed by a signal is worth a line even during a stop (SIGSYS!). */
	if (!dp->stopping || si.si_code != CLD_EXITED)
		log_control_exit(dp, &si);
	else if (si.si_status != 0 && dp->exit_code == 0)
		log_warnx("control process exited with status %d", si.si_status);
	if (!dp->stopping)
		dp_stop(dp, 1, "control process is gone");
	event_base_loopbreak(dp->base);
}

/* The pidfd became readable: control has exited. */
static void
control_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reap_control(arg);
}

/*
 * Last resort on a stuck stop.  Should the kernel refuse it (EPERM were our
 * real uid not control's), PR_SET_PDEATHSIG still ends control once we
 * exit: only worth a debug line.
 */
static void
try_kill_control(struct dp *dp)
{
	if (dp->control_pid <= 0 || dp->control_pidfd < 0)
		return;
	if (syscall(SYS_pidfd_send_signal, dp->control_pidfd, SIGKILL, NULL, 0) == 0)
		dp->control_kill_sent = 1;
	else
		log_debug("cannot kill control process %d (%s); it ends with us (PR_SET_PDEATHSIG)",
		    (int)dp->control_pid, strerror(errno));
}

static void
stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;

	(void)fd;
	(void)what;
	reap_control(dp);
	if (dp->control_pid > 0) {
		log_warnx("control process did not stop within %d s; killing it, not waiting",
		    STOP_GRACE_SECONDS);
		try_kill_control(dp);
	}
	event_base_loopbreak(dp->base);
}

void
dp_stop(struct dp *dp, int exit_code, const char *why)
{
	struct ipc_shutdown s;
	struct timeval tv = { STOP_GRACE_SECONDS, 0 };

	if (dp->stopping) {
		if (exit_code > dp->exit_code)
			dp->exit_code = exit_code;
		return;
	}
	dp->stopping = 1;
	dp->exit_code = exit_code;
	if (why != NULL) {
		if (exit_code == 0)
			log_info("stopping: %s", why);
		else
			log_errorx("stopping: %s", why);
	}
	if (dp->ipc.phase != IPC_PH_CLOSED) {
		memset(&s, 0, sizeof(s));
		s.reason = exit_code == 0 ? IPC_SHUTDOWN_SIGNAL : IPC_SHUTDOWN_FATAL;
		(void)ipc_send(&dp->ipc, IPC_D2C_SHUTDOWN, 0, &s, sizeof(s), -1, 0);
	}
	/* Closing our end tells control for certain, even if the queue is full. */
	shutdown(dp->ipc.fd, SHUT_WR);
	if (dp->control_pid <= 0) {
		event_base_loopbreak(dp->base);
		return;
	}
	dp->ev_stop_timer = evtimer_new(dp->base, stop_timer_cb, dp);
	if (dp->ev_stop_timer == NULL || evtimer_add(dp->ev_stop_timer, &tv) < 0)
		event_base_loopbreak(dp->base);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct dp *dp = arg;

	(void)what;
	if (sig == SIGCHLD) {
		reap_control(dp);
		return;
	}
	dp_stop(dp, 0, sig == SIGINT ? "interrupted" : "terminated by a signal");
}

static void
ipc_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dp_ipc_readable(arg);
}

static void
ipc_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dp_ipc_flush(arg);
}

/*
 * Room in the socketpair for bursts: the kernel's default send buffer
 * (about 208 KB) holds only some 270 STUN-sized messages, which a
 * thousand clients connecting at once overflow in well under a second
 * (the dataplane then drops connectivity checks).  Forced while we still
 * hold CAP_NET_ADMIN; the ordinary limit where that is refused.
 */
#define IPC_SOCKBUF (4 << 20)

static void
ipc_buffers(const int sv[2])
{
	int i, sz = IPC_SOCKBUF;

	for (i = 0; i < 2; i++)
		if (setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

/* Once a second: the counters to control (dropped, never queued, when the
 * channel is busy; the next second's copy supersedes it). */
static void
counters_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;

	(void)fd;
	(void)what;
	dp->ctr.peers = dp->peers.n;
	dp_tunnel_tick(dp);
	if (dp->ipc.phase == IPC_PH_RUN)
		(void)ipc_send(&dp->ipc, IPC_D2C_COUNTERS, 0, &dp->ctr, sizeof(dp->ctr), -1, 0);
}

static void
send_hello_and_config(struct dp *dp, struct dp_config *cfg)
{
	struct ipc_d2c_hello h;
	struct ipc_d2c_config *c;

	memset(&h, 0, sizeof(h));
	h.version = IPC_VERSION;
	h.pid = (uint32_t)getpid();
	memcpy(h.public_key, dp->public_key, sizeof(h.public_key));
	dp_ipc_send_reliable(dp, IPC_D2C_HELLO, &h, sizeof(h));

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	memcpy(c->api_url, cfg->api_url, sizeof(c->api_url));
	memcpy(c->token, cfg->token, sizeof(c->token));
	memcpy(c->firezone_id, cfg->firezone_id, sizeof(c->firezone_id));
	memcpy(c->name, cfg->name, sizeof(c->name));
	memcpy(c->health_addr, cfg->health_addr, sizeof(c->health_addr));
	memcpy(c->state_dir, cfg->state_dir, sizeof(c->state_dir));
	c->log_level = (uint8_t)cfg->log_level;
	c->log_format = (uint8_t)cfg->log_format;
	c->no_telemetry = (uint8_t)cfg->no_telemetry;
	c->max_partition_s = cfg->max_partition_s;
	dp_ipc_send_reliable(dp, IPC_D2C_CONFIG, c, sizeof(*c));
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
	/* Control has the token now; this process never needs it again. */
	config_clear(cfg);
}

static void
log_counters(const struct dp *dp)
{
	const struct ipc_d2c_counters *c = &dp->ctr;

	log_info("counters: udp rx %llu, forwarded to control %llu (dropped %llu), "
	    "dropped: garbage %llu, oversize %llu, bad local %llu, no channel %llu; "
	    "wireguard: handshakes %llu, data rx %llu tx %llu, cookie replies %llu, dropped: "
	    "decrypt %llu, replay %llu, mac %llu, handshake %llu, spoofed %llu, denied %llu (icmp sent %llu), "
	    "malformed %llu; tun rx %llu, dropped: no peer %llu, no session %llu, malformed %llu",
	    (unsigned long long)c->udp_rx, (unsigned long long)c->stun_forwarded,
	    (unsigned long long)c->stun_dropped, (unsigned long long)c->drop_garbage,
	    (unsigned long long)c->drop_oversize, (unsigned long long)c->drop_local,
	    (unsigned long long)c->drop_no_channel, (unsigned long long)c->wg_handshakes,
	    (unsigned long long)c->wg_rx_data, (unsigned long long)c->wg_tx_data,
	    (unsigned long long)c->wg_cookie_replies, (unsigned long long)c->wg_drop_decrypt,
	    (unsigned long long)c->wg_drop_replay,
	    (unsigned long long)c->wg_drop_mac, (unsigned long long)c->wg_drop_handshake,
	    (unsigned long long)c->wg_drop_spoofed, (unsigned long long)c->wg_drop_denied,
	    (unsigned long long)c->icmp_prohibited_sent, (unsigned long long)c->wg_drop_malformed,
	    (unsigned long long)c->tun_rx, (unsigned long long)c->tun_drop_no_peer,
	    (unsigned long long)c->tun_drop_no_session, (unsigned long long)c->tun_drop_malformed);
}

int
main(int argc, char **argv)
{
	static struct dp dp;
	struct dp_config cfg;
	struct privdrop_plan plan;
	struct event *sigs[4];
	static const int signums[4] = { SIGTERM, SIGINT, SIGCHLD, SIGHUP };
	char why[512];
	int sv[2], i, ctl_bin_fd, ctl_is_script;

	/* Before anything opens a descriptor: 0-2 must not be free. */
	if (priv_stdio_open() < 0)
		return 1;
	log_init("dataplane", LOG_LVL_INFO, LOG_FMT_TEXT);
	switch (config_parse(&cfg, argc, argv)) {
	case CONFIG_OK:
		break;
	case CONFIG_EXIT_OK:
		return 0;
	case CONFIG_USAGE:
		return 2;
	default:
		return 1;
	}
	log_init("dataplane", cfg.log_level, cfg.log_format);
	signal(SIGPIPE, SIG_IGN);

	if (privdrop_prepare(&plan, cfg.dp_user, cfg.ctl_user, why, sizeof(why)) < 0)
		fatalx("%s", why);
	resolve_control_bin(&cfg);
	if ((ctl_bin_fd = dp_control_open(cfg.control_bin, &plan, &ctl_is_script, why,
	    sizeof(why))) < 0)
		fatalx("%s", why);

	prepare_state_dir(&cfg, &plan);
	memset(&dp, 0, sizeof(dp));
	dp.control_status = -1;
	dp.control_pidfd = -1;
	if ((dp.tun_fd = tun_open(why, sizeof(why), cfg.tun_offload, &dp.tun_caps)) < 0)
		fatalx("%s", why);
	dp.tun_ifindex = tun_ifindex();
	log_info("tun: created %s (ifindex %u, mtu %d, offloads: %s)", TUN_NAME, dp.tun_ifindex,
	    TUN_MTU, tun_caps_str(&dp.tun_caps, why, sizeof(why)));
	if ((dp.netlink_fd = rtnetlink_socket()) < 0)
		fatal("cannot open a rtnetlink socket");
	/* The static key pair: generated here, never stored; only the public
	 * half leaves this process. */
	if (dp_tunnel_init(&dp) < 0)
		fatalx("cannot set up WireGuard (key generation failed)");
	/* The UDP and TUN buffers: allocated once, never on the packet path. */
	if (dp_udp_init(&dp) < 0 || dp_tun_io_init(&dp) < 0)
		fatalx("cannot allocate the packet buffers");

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fatal("socketpair");
	ipc_buffers(sv);
	if ((dp.control_pid = dp_spawn_control(&cfg, &plan, sv[1], ctl_bin_fd, ctl_is_script)) < 0)
		fatal("cannot start the control process");
	close(sv[1]);
	close(ctl_bin_fd);
	/* Not reaped yet, so the pid is still control's even if it exited. */
	if ((dp.control_pidfd = control_pidfd_open(dp.control_pid)) < 0)
		log_warn("pidfd_open: watching control through SIGCHLD instead");
	ipc_chan_init(&dp.ipc, sv[0], IPC_SIDE_DATAPLANE);
	evutil_make_socket_nonblocking(sv[0]);

	if (privdrop_dataplane(&plan, why, sizeof(why)) < 0) {
		kill(dp.control_pid, SIGTERM);
		fatalx("%s", why);
	}
	log_info("privileges: uid %u gid %u, capabilities: CAP_NET_ADMIN only%s",
	    (unsigned)geteuid(), (unsigned)getegid(),
	    plan.as_root ? "" : " (started without root: no user switch)");

	if ((dp.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	dp.ev_ipc_read = event_new(dp.base, sv[0], EV_READ | EV_PERSIST, ipc_read_cb, &dp);
	dp.ev_ipc_write = event_new(dp.base, sv[0], EV_WRITE, ipc_write_cb, &dp);
	dp.ev_tun = event_new(dp.base, dp.tun_fd, EV_READ | EV_PERSIST, dp_tun_readable, &dp);
	if (dp.ev_ipc_read == NULL || dp.ev_ipc_write == NULL || dp.ev_tun == NULL ||
	    event_add(dp.ev_ipc_read, NULL) < 0 || event_add(dp.ev_tun, NULL) < 0)
		fatalx("cannot set up the event loop");
	for (i = 0; i < 4; i++) {
		sigs[i] = evsignal_new(dp.base, signums[i], signal_cb, &dp);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) < 0)
			fatalx("cannot watch signal %d", signums[i]);
	}
	if (dp.control_pidfd >= 0 &&
	    ((dp.ev_control = event_new(dp.base, dp.control_pidfd, EV_READ | EV_PERSIST,
	    control_exit_cb, &dp)) == NULL || event_add(dp.ev_control, NULL) < 0))
		fatalx("cannot watch the control process");
	if (dp_iface_init(&dp) < 0)
		fatalx("cannot watch the netlink socket");
	{
		struct timeval one = { 1, 0 };
		dp.ev_counters = event_new(dp.base, -1, EV_PERSIST, counters_cb, &dp);
		if (dp.ev_counters == NULL || event_add(dp.ev_counters, &one) < 0)
			fatalx("cannot set up the counters timer");
	}
	/* The child may have died before SIGCHLD was watched. */
	reap_control(&dp);

	send_hello_and_config(&dp, &cfg);
	/* Everything is acquired: from here on only the allowlisted calls. */
	if (sandbox_apply(SANDBOX_DATAPLANE, why, sizeof(why)) < 0) {
		kill(dp.control_pid, SIGTERM);
		fatalx("cannot install the seccomp filter: %s", why);
	}
	sandbox_probe(SANDBOX_DATAPLANE);
	log_info("started: control process %d", (int)dp.control_pid);

	if (!dp.stopping || dp.control_pid > 0)
		event_base_dispatch(dp.base);

	log_counters(&dp);
	dp_udp_close_all(&dp);
	close(dp.tun_fd);
	dp_iface_free(&dp);
	close(dp.netlink_fd);
	ipc_chan_clear(&dp.ipc);
	close(dp.ipc.fd);
	dp_tunnel_free(&dp);
	dp_tun_io_free(&dp);
	dp_udp_free(&dp);
	/* No waiting for control here: if it is still there, the kernel ends
	 * it when we exit (PR_SET_PDEATHSIG). */
	reap_control(&dp);
	log_info("stopped (exit %d); %s removed", dp.exit_code, TUN_NAME);
	return dp.exit_code;
}
