/*
 * notify.c - sd_notify datagrams and the watchdog keep-alive.
 */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static int notify_fd = -1;
static uint64_t watchdog_usec;
static struct event *watchdog_ev;

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)notify_send("WATCHDOG=1");
}

int
notify_init(struct event_base *base)
{
	const char *path = getenv("NOTIFY_SOCKET"), *wd = getenv("WATCHDOG_USEC");
	size_t n;

	if (path == NULL || *path == '\0')
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(notify_addr.sun_path)) {
		log_warnx("notify: ignoring NOTIFY_SOCKET \"%s\"", path);
		return -1;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, n);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0'; /* abstract namespace */
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		log_warn("notify: socket");
		return -1;
	}
	if (wd != NULL && (watchdog_usec = strtoull(wd, NULL, 10)) > 0) {
		struct timeval tv;
		uint64_t half = watchdog_usec / 2;

		tv.tv_sec = (time_t)(half / 1000000u);
		tv.tv_usec = (suseconds_t)(half % 1000000u);
		watchdog_ev = event_new(base, -1, EV_PERSIST, watchdog_cb, NULL);
		if (watchdog_ev == NULL || event_add(watchdog_ev, &tv) < 0) {
			log_warnx("notify: cannot arm the watchdog timer");
			return -1;
		}
		log_debug("notify: watchdog every %llu ms", (unsigned long long)(half / 1000));
	}
	return 0;
}

int
notify_send(const char *msg)
{
	if (notify_fd < 0)
		return 1;
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
	    notify_len) < 0) {
		log_debug("notify: sendto: %s", strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t
notify_watchdog_usec(void)
{
	return watchdog_usec;
}

void
notify_stop(void)
{
	if (watchdog_ev != NULL)
		event_free(watchdog_ev);
	watchdog_ev = NULL;
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
