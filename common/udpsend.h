/*
 * udpsend.h - send one UDP datagram, optionally forcing its source IP with
 * IP_PKTINFO / IPV6_PKTINFO (host candidates answer from the address the
 * peer used).  Used by the dataplane (WireGuard) and by control (STUN/TURN
 * on its duplicate of the same sockets).
 */
#ifndef FZ_UDPSEND_H
#define FZ_UDPSEND_H

#include <stddef.h>

#include "ipc_msg.h"

/*
 * Send len bytes on fd to `to`; if `from` is not NULL and of the same
 * family, its IP becomes the source address (the port is the socket's).
 * Returns 0, or -1 with errno set.
 */
int udp_send_from(int fd, const struct ipc_addr *to, const struct ipc_addr *from,
    const void *data, size_t len);

#endif
