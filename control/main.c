/*
 * main.c - firezone-gateway-control: the unprivileged half of the gateway.
 * Started only by firezone-gateway, with its socket on IPC_CONTROL_FD,
 * already under its own user and without any capability; it checks that
 * before doing anything else.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "control.h"
#include "log.h"
#include "priv.h"

static struct ctl ctl;

void
ctl_stop(struct ctl *c, int exit_code, const char *why)
{
	struct ipc_shutdown s;

	if (c->stopping) {
		if (exit_code > c->exit_code)
			c->exit_code = exit_code;
		event_base_loopbreak(c->base);
		return;
	}
	c->stopping = 1;
	c->exit_code = exit_code;
	if (why != NULL) {
		if (exit_code == 0)
			log_info("stopping: %s", why);
		else
			log_errorx("stopping: %s", why);
	}
	if (c->ipc.phase != IPC_PH_CLOSED) {
		ctl_session_goodbye_all(c);
		memset(&s, 0, sizeof(s));
		s.reason = exit_code == 0 ? IPC_SHUTDOWN_SIGNAL : IPC_SHUTDOWN_FATAL;
		/* Queued behind what is pending (an unreliable send would be
		 * dropped while anything is queued) and flushed at exit, so the
		 * dataplane learns the reason instead of seeing a bare EOF. */
		(void)ipc_send(&c->ipc, IPC_C2D_SHUTDOWN, 0, &s, sizeof(s), -1, 1);
	}
	event_base_loopbreak(c->base);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	ctl_stop(arg, 0, sig == SIGINT ? "interrupted" : "terminated by a signal");
}

/* While closing: stop the loop once the close frame is on its way. */
static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;

	(void)fd;
	(void)what;
	if (!c->portal_live || portal_flushed(&c->portal))
		event_base_loopbreak(c->base);
}

/*
 * Graceful shutdown on a signal: a close frame with code 1000 to the
 * portal, then at most a second of the event loop so that it (and
 * whatever else is queued) really goes out.
 */
static void
close_portal_gracefully(struct ctl *c)
{
	struct timeval tick = { 0, 20000 }, limit = { 1, 0 };
	struct event *ev;

	if (!c->portal_live || c->exit_code != 0 || portal_close_gracefully(&c->portal) == 0)
		return;
	if ((ev = event_new(c->base, -1, EV_PERSIST, flush_cb, c)) == NULL)
		return;
	/* The dataplane is stopping too: its channel no longer matters, and
	 * its end of file must not cut this second short. */
	event_del(c->ev_ipc_read);
	event_del(c->ev_ipc_write);
	if (event_add(ev, &tick) == 0 && event_base_loopexit(c->base, &limit) == 0)
		event_base_dispatch(c->base);
	event_free(ev);
}

static void
ipc_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_ipc_readable(arg);
}

static void
ipc_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_ipc_flush(arg);
}

static void
check_privileges(void)
{
	struct priv_status st;

	if (priv_read_status(0, &st) < 0)
		fatal("cannot read /proc/self/status");
	if (st.uid[0] == 0 || st.uid[1] == 0 || st.uid[2] == 0)
		fatalx("refusing to run as root: start firezone-gateway instead, which starts "
		    "this program under its own user");
	if (st.cap_eff != 0 || st.cap_prm != 0 || st.cap_amb != 0 || st.cap_inh != 0)
		fatalx("refusing to run with capabilities (effective %llx, permitted %llx)",
		    (unsigned long long)st.cap_eff, (unsigned long long)st.cap_prm);
	if (st.no_new_privs != 1 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("refusing to run without no_new_privs: start firezone-gateway instead");
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		fatalx("refusing to run dumpable");
}

/*
 * The exec of a program that is not set-user-ID makes the process
 * dumpable again (the kernel's default after exec when the credentials are
 * unchanged), which would let any process of the control user read our
 * memory and /proc files (environment, descriptors) or attach a debugger.
 * Cleared here, before anything secret arrives.
 */
static void
make_undumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fatal("prctl(PR_SET_DUMPABLE)");
}

static void
usage(void)
{
	fprintf(stderr, "usage: firezone-gateway-control [--log-level LEVEL] [--log-format text|json]\n"
	    "This program is started by firezone-gateway; it is not meant to be run by hand.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-level", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int signums[3] = { SIGTERM, SIGINT, SIGHUP };
	enum log_level level = LOG_LVL_INFO;
	enum log_format fmt = LOG_FMT_TEXT;
	struct event *sigs[3];
	int ch, type = 0, i;
	socklen_t tl = sizeof(type);

	/* Before anything opens a descriptor: 0-2 must not be free. */
	if (priv_stdio_open() < 0)
		return 1;
	make_undumpable();
	log_init("control", level, fmt);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (log_level_parse(optarg, &level) < 0) {
				usage();
				return 2;
			}
			break;
		case 'f':
			fmt = strcmp(optarg, "json") == 0 ? LOG_FMT_JSON : LOG_FMT_TEXT;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	log_init("control", level, fmt);
	signal(SIGPIPE, SIG_IGN);

	if (getsockopt(IPC_CONTROL_FD, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_SEQPACKET)
		fatalx("no control socket on descriptor %d: this program is started by "
		    "firezone-gateway", IPC_CONTROL_FD);
	check_privileges();
	log_info("started as uid %u without capabilities", (unsigned)getuid());

	memset(&ctl, 0, sizeof(ctl));
	ctl.start_time = time(NULL);
	ctl.udp[0].fd = ctl.udp[1].fd = -1;
	ipc_chan_init(&ctl.ipc, IPC_CONTROL_FD, IPC_SIDE_CONTROL);
	evutil_make_socket_nonblocking(IPC_CONTROL_FD);
	evutil_make_socket_closeonexec(IPC_CONTROL_FD);
	if ((ctl.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ctl.ev_ipc_read = event_new(ctl.base, IPC_CONTROL_FD, EV_READ | EV_PERSIST, ipc_read_cb, &ctl);
	ctl.ev_ipc_write = event_new(ctl.base, IPC_CONTROL_FD, EV_WRITE, ipc_write_cb, &ctl);
	if (ctl.ev_ipc_read == NULL || ctl.ev_ipc_write == NULL || event_add(ctl.ev_ipc_read, NULL) < 0)
		fatalx("cannot set up the event loop");
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(ctl.base, signums[i], signal_cb, &ctl);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) < 0)
			fatalx("cannot watch signal %d", signums[i]);
	}

	event_base_dispatch(ctl.base);

	close_portal_gracefully(&ctl);
	(void)ipc_flush(&ctl.ipc);
	ctl_session_stop(&ctl);
	ctl_sockets_close(&ctl);
	ipc_chan_clear(&ctl.ipc);
	OPENSSL_cleanse(&ctl.cfg, sizeof(ctl.cfg));
	log_info("stopped (exit %d)", ctl.exit_code);
	return ctl.exit_code;
}
