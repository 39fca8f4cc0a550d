/*
 * udpsend.h - send UDP datagrams, optionally forcing their source IP with
 * IP_PKTINFO / IPV6_PKTINFO (host candidates answer from the address the
 * peer used).  Used by the dataplane (WireGuard, in batches) and by
 * control (STUN/TURN on its duplicate of the same sockets).
 */
#ifndef FZ_UDPSEND_H
#define FZ_UDPSEND_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ipc_msg.h"

/* Everything a msghdr of one datagram points to. */
struct udp_out {
	struct sockaddr_storage ss;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov;
};

/*
 * Fill mh (pointing into o) for len bytes at data to `to`; if `from` is
 * not NULL and of the same family, its IP becomes the source address (the
 * port is the socket's).  data is borrowed until the send.  Returns 0, or
 * -1 with errno set (an address of no family).
 */
int udp_out_prepare(struct udp_out *o, struct msghdr *mh, const struct ipc_addr *to,
    const struct ipc_addr *from, const void *data, size_t len);

/*
 * Add to mh, prepared by udp_out_prepare on o, a control message that sets
 * the ECN bits (RFC 3168, 0..3) of the datagram's IP header: IP_TOS for
 * family 4, IPV6_TCLASS for 6.  ecn 0 (Not-ECT) adds nothing.  Returns 0.
 */
int udp_out_set_ecn(struct udp_out *o, struct msghdr *mh, uint8_t family, uint8_t ecn);

/* One datagram now (udp_out_prepare + sendmsg).  0, or -1 with errno. */
int udp_send_from(int fd, const struct ipc_addr *to, const struct ipc_addr *from,
    const void *data, size_t len);

#endif
