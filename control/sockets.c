/*
 * sockets.c - the gateway's two UDP sockets.  Control binds them (no
 * privilege needed), passes each to the dataplane, which becomes their only
 * reader, and keeps its own descriptor for sending STUN/TURN.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "control.h"
#include "log.h"

static int
bind_one(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct ipc_addr a;
	int fd, on = 1;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
			goto fail;
		s6->sin6_family = AF_INET6;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;
		s4->sin_family = AF_INET;
		sl = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    addr_from_sockaddr(&a, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	*port = a.port;
	return fd;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

int
ctl_sockets_create(struct ctl *c)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	struct ipc_c2d_udp_socket m;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		struct ctl_udp *u = &c->udp[i];

		u->family = families[i] == AF_INET ? 4 : 6;
		u->acked = 0;
		if ((u->fd = bind_one(families[i], &u->port)) < 0) {
			/* A missing family is simply absent (docs/protocol/p2p.md §1.1). */
			log_warn("udp: no IPv%u socket", u->family);
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.family = u->family;
		m.port = u->port;
		ctl_ipc_send_reliable(c, IPC_C2D_UDP_SOCKET, &m, sizeof(m), u->fd);
		log_debug("udp: IPv%u socket bound to port %u, passed to the dataplane",
		    u->family, (unsigned)u->port);
		n++;
	}
	return n;
}

void
ctl_sockets_close(struct ctl *c)
{
	int i;

	for (i = 0; i < 2; i++)
		if (c->udp[i].fd >= 0) {
			close(c->udp[i].fd);
			c->udp[i].fd = -1;
		}
}
