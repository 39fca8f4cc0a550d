/*
 * tun.h - the tun-firezone device (gateway-dataplane.md §1.1).
 */
#ifndef FZ_TUN_H
#define FZ_TUN_H

#include <stddef.h>

#define TUN_NAME "tun-firezone"
#define TUN_MTU 1280
/* Packets the kernel may queue toward the dataplane. */
#define TUN_TXQUEUELEN 5000

/*
 * Open /dev/net/tun as TUN_NAME with IFF_TUN | IFF_NO_PI, non-blocking and
 * close-on-exec, and set its MTU.  Returns the fd, or -1 with a reason in
 * why (errno kept).
 */
int tun_open(char *why, size_t whylen);

/* Interface index of TUN_NAME, or 0. */
unsigned int tun_ifindex(void);

#endif
