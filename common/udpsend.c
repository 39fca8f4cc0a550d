/*
 * udpsend.c - msghdr for one datagram with an optional source address.
 */
#include "udpsend.h"

#include <errno.h>
#include <string.h>

#include "addr.h"

int
udp_out_prepare(struct udp_out *o, struct msghdr *mh, const struct ipc_addr *to,
    const struct ipc_addr *from, const void *data, size_t len)
{
	struct cmsghdr *c;
	socklen_t sl;

	if ((sl = addr_to_sockaddr(to, &o->ss)) == 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	o->iov.iov_base = (void *)(uintptr_t)data;
	o->iov.iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &o->ss;
	mh->msg_namelen = sl;
	mh->msg_iov = &o->iov;
	mh->msg_iovlen = 1;
	if (from == NULL || from->family != to->family)
		return 0;
	memset(&o->cbuf, 0, sizeof(o->cbuf));
	mh->msg_control = o->cbuf.b;
	c = (struct cmsghdr *)o->cbuf.b;
	if (to->family == 4) {
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, from->addr, 4);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi6;
		memset(&pi6, 0, sizeof(pi6));
		memcpy(&pi6.ipi6_addr, from->addr, 16);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi6));
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(c), &pi6, sizeof(pi6));
	}
	return 0;
}

int
udp_out_set_ecn(struct udp_out *o, struct msghdr *mh, uint8_t family, uint8_t ecn)
{
	struct cmsghdr *c;
	size_t off = mh->msg_control != NULL ? mh->msg_controllen : 0;
	int v = ecn & 3;

	if (v == 0)
		return 0;
	if (mh->msg_control == NULL) {
		memset(&o->cbuf, 0, sizeof(o->cbuf));
		mh->msg_control = o->cbuf.b;
	}
	c = (struct cmsghdr *)(o->cbuf.b + off);
	c->cmsg_level = family == 4 ? IPPROTO_IP : IPPROTO_IPV6;
	c->cmsg_type = family == 4 ? IP_TOS : IPV6_TCLASS;
	c->cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	mh->msg_controllen = off + CMSG_SPACE(sizeof(v));
	return 0;
}

int
udp_send_from(int fd, const struct ipc_addr *to, const struct ipc_addr *from,
    const void *data, size_t len)
{
	struct udp_out o;
	struct msghdr mh;

	if (udp_out_prepare(&o, &mh, to, from, data, len) < 0)
		return -1;
	return sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}
