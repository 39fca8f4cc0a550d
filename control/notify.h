/*
 * notify.h - systemd's notification protocol (sd_notify(3)) without
 * libsystemd: one datagram to $NOTIFY_SOCKET per state change, and
 * WATCHDOG=1 at half of $WATCHDOG_USEC when the unit asks for a watchdog.
 * Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef FZ_NOTIFY_H
#define FZ_NOTIFY_H

#include <stdint.h>

struct event_base;

/* Read the environment; arm the watchdog timer if asked.  0 or -1. */
int notify_init(struct event_base *base);
/* Send "READY=1", "STATUS=...", etc.  0 sent, 1 no socket, -1 error. */
int notify_send(const char *msg);
/* Watchdog interval in microseconds, 0 when none. */
uint64_t notify_watchdog_usec(void);
void notify_stop(void);

#endif
