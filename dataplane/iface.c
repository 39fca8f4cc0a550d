/*
 * iface.c - IPC_C2D_IFACE_CONFIG on the event loop: the netlink job runs
 * on the non-blocking rtnetlink socket, driven by that socket's readable
 * events and bounded by one timer, and IPC_D2C_IFACE_RESULT goes to
 * control when the job ends.  The packet loop never waits for the kernel.
 *
 * One job at a time.  A configuration that arrives while one is applied
 * waits and is applied next; a newer one replaces a waiting one (only the
 * latest matters: each job flushes the link first).  Each applied
 * configuration gets exactly one result.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dataplane.h"
#include "log.h"
#include "netlink.h"
#include "tun.h"

struct dp_iface {
	struct netlink_job job;
	struct netlink_routes routes;	/* ours, across jobs */
	struct event *ev_nl;		/* the netlink socket is readable */
	struct event *ev_timer;		/* the job's time is up */
	int busy;
	int has_next;
	struct ipc_c2d_iface_config next;
};

static void iface_start(struct dp *dp, const struct ipc_c2d_iface_config *ic);

static void
iface_finish(struct dp *dp)
{
	struct dp_iface *f = dp->iface;
	struct ipc_d2c_iface_result res;
	struct ipc_c2d_iface_config next;

	evtimer_del(f->ev_timer);
	(void)netlink_job_result(&f->job, &res);
	f->busy = 0;
	dp_ipc_send_reliable(dp, IPC_D2C_IFACE_RESULT, &res, sizeof(res));
	if (f->has_next) {
		next = f->next;
		f->has_next = 0;
		iface_start(dp, &next);
	}
}

static void
iface_pump(struct dp *dp)
{
	struct dp_iface *f = dp->iface;

	if (netlink_job_pump(dp->netlink_fd, f->busy ? &f->job : NULL) && f->busy)
		iface_finish(dp);
}

static void
iface_start(struct dp *dp, const struct ipc_c2d_iface_config *ic)
{
	struct dp_iface *f = dp->iface;
	struct ipc_d2c_iface_result res;
	struct timeval tv = { NETLINK_TIMEOUT_MS / 1000, (NETLINK_TIMEOUT_MS % 1000) * 1000 };

	if (dp->tun_ifindex == 0) {
		log_warnx("netlink: %s has no interface index", TUN_NAME);
		memset(&res, 0, sizeof(res));
		dp_ipc_send_reliable(dp, IPC_D2C_IFACE_RESULT, &res, sizeof(res));
		return;
	}
	netlink_job_iface(&f->job, &f->routes, dp->tun_ifindex, ic->has_v4 ? ic->v4 : NULL,
	    ic->has_v6 ? ic->v6 : NULL);
	f->busy = 1;
	if (evtimer_add(f->ev_timer, &tv) < 0)
		netlink_job_abort(&f->job);
	iface_pump(dp);
}

static void
nl_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	iface_pump(arg);
}

static void
nl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;

	(void)fd;
	(void)what;
	if (!dp->iface->busy)
		return;
	netlink_job_abort(&dp->iface->job);
	iface_finish(dp);
}

int
dp_iface_init(struct dp *dp)
{
	struct dp_iface *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->ev_nl = event_new(dp->base, dp->netlink_fd, EV_READ | EV_PERSIST, nl_read_cb, dp);
	f->ev_timer = evtimer_new(dp->base, nl_timer_cb, dp);
	if (f->ev_nl == NULL || f->ev_timer == NULL || event_add(f->ev_nl, NULL) < 0) {
		if (f->ev_nl != NULL)
			event_free(f->ev_nl);
		if (f->ev_timer != NULL)
			event_free(f->ev_timer);
		free(f);
		return -1;
	}
	dp->iface = f;
	return 0;
}

void
dp_iface_config(struct dp *dp, const struct ipc_c2d_iface_config *ic)
{
	struct dp_iface *f = dp->iface;

	if (!f->busy) {
		iface_start(dp, ic);
		return;
	}
	if (f->has_next)
		log_info("netlink: a newer interface configuration replaces one not applied yet");
	f->next = *ic;
	f->has_next = 1;
}

void
dp_iface_free(struct dp *dp)
{
	struct dp_iface *f = dp->iface;

	if (f == NULL)
		return;
	event_free(f->ev_nl);
	event_free(f->ev_timer);
	free(f);
	dp->iface = NULL;
}
