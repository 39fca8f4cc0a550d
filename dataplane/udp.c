/*
 * udp.c - the dataplane reads every gateway UDP socket: each datagram is
 * demultiplexed (docs/protocol/p2p.md §1.2); STUN/TURN goes to control, WireGuard
 * stays here.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "dataplane.h"
#include "demux.h"
#include "log.h"
#include "udpsend.h"

#define UDP_BATCH 32

/* Local address of a datagram: pktinfo destination + the socket's port. */
static int
local_addr(struct msghdr *mh, const struct dp_udp *u, struct ipc_addr *local)
{
	struct cmsghdr *c;

	memset(local, 0, sizeof(*local));
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->family = 4;
			memcpy(local->addr, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi6;
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			if (IN6_IS_ADDR_V4MAPPED(&pi6.ipi6_addr)) {
				local->family = 4;
				memcpy(local->addr, &pi6.ipi6_addr.s6_addr[12], 4);
			} else {
				local->family = 6;
				memcpy(local->addr, &pi6.ipi6_addr, 16);
			}
		}
	}
	local->port = u->port;
	return local->family != 0 ? 0 : -1;
}

static void
forward_to_control(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    uint8_t kind, const uint8_t *data, size_t len)
{
	uint8_t buf[sizeof(struct ipc_d2c_udp_rx) + IPC_MAX_DATAGRAM];
	struct ipc_d2c_udp_rx rx;
	int rc;

	if (len == 0 || len > IPC_MAX_DATAGRAM) {
		dp->ctr.drop_garbage++;
		return;
	}
	memset(&rx, 0, sizeof(rx));
	rx.local = *local;
	rx.from = *from;
	rx.kind = kind;
	rx.len = (uint16_t)len;
	memcpy(buf, &rx, sizeof(rx));
	memcpy(buf + sizeof(rx), data, len);
	rc = ipc_send(&dp->ipc, IPC_D2C_UDP_RX, 0, buf, sizeof(rx) + len, -1, 0);
	if (rc == IPC_OK)
		dp->ctr.stun_forwarded++;
	else if (rc == IPC_AGAIN)
		dp->ctr.stun_dropped++;
	else
		dp_stop(dp, 1, "cannot forward a datagram to control");
}

/* ChannelData from a relay: unwrap and handle the inner datagram as if it
 * came from the peer to our relayed address (docs/protocol/p2p.md §1.2 step 2). */
static void
handle_channel_data(struct dp *dp, const struct ipc_addr *from, const uint8_t *p, size_t n,
    uint8_t ecn)
{
	const struct relay_chan *ch;
	const uint8_t *inner;
	struct dp_via via;
	size_t len;
	uint16_t num;

	if (relaytab_decode(p, n, &num, &inner, &len) < 0) {
		dp->ctr.drop_garbage++;
		return;
	}
	if ((ch = relaytab_lookup(&dp->relays, from, num)) == NULL) {
		dp->ctr.drop_no_channel++;
		return;
	}
	switch (demux_classify(inner, len, 0)) {
	case DEMUX_STUN:
		forward_to_control(dp, &ch->relayed, &ch->peer, IPC_UDP_KIND_STUN_RELAYED, inner, len);
		break;
	case DEMUX_WG_INITIATION:
	case DEMUX_WG_RESPONSE:
	case DEMUX_WG_COOKIE:
	case DEMUX_WG_DATA:
		via.server = *from;
		via.channel = num;
		dp_wg_receive(dp, &ch->relayed, &ch->peer, &via, (uint8_t *)(uintptr_t)inner, len, ecn);
		break;
	default:
		dp->ctr.drop_garbage++;
		break;
	}
}

static void
handle_datagram(struct dp *dp, const struct ipc_addr *local, const struct ipc_addr *from,
    const uint8_t *p, size_t n, uint8_t ecn)
{
	enum demux_kind k;

	dp->ctr.udp_rx++;
	if (!demux_local_ok(local)) {
		dp->ctr.drop_local++;
		return;
	}
	k = demux_classify(p, n, relaytab_is_server(&dp->relays, from));
	switch (k) {
	case DEMUX_DROP_OVERSIZE:
		dp->ctr.drop_oversize++;
		break;
	case DEMUX_DROP_LOCAL:
		dp->ctr.drop_local++;
		break;
	case DEMUX_DROP_GARBAGE:
		dp->ctr.drop_garbage++;
		break;
	case DEMUX_TURN:
		forward_to_control(dp, local, from, IPC_UDP_KIND_RELAY, p, n);
		break;
	case DEMUX_STUN:
		forward_to_control(dp, local, from, IPC_UDP_KIND_STUN, p, n);
		break;
	case DEMUX_CHANNEL_DATA:
		handle_channel_data(dp, from, p, n, ecn);
		break;
	case DEMUX_WG_INITIATION:
	case DEMUX_WG_RESPONSE:
	case DEMUX_WG_COOKIE:
	case DEMUX_WG_DATA:
		/* Decrypted in place: the buffer is ours until the next read. */
		dp_wg_receive(dp, local, from, NULL, (uint8_t *)(uintptr_t)p, n, ecn);
		break;
	}
}

/*
 * Datagrams to send.  Outside a batch they leave at once; inside one
 * (dp_udp_batch_begin .. dp_udp_batch_end, around each read loop) they are
 * copied here and leave together with sendmmsg, in order, one system call
 * per run of datagrams on the same socket.
 */
#define UDP_TXQ 64
#define UDP_TX_SLOT (DEMUX_MAX_DATAGRAM + 64)

struct udp_txq {
	int batching;
	unsigned int n;
	int fd[UDP_TXQ];
	struct udp_out out[UDP_TXQ];
	struct mmsghdr mm[UDP_TXQ];
	uint8_t buf[UDP_TXQ][UDP_TX_SLOT];
};

/*
 * UDP GSO (UDP_SEGMENT): a run of queued datagrams to the same destination
 * from the same source, all of one size but the last (which may be
 * shorter), leaves as one send; the kernel cuts it into datagrams after a
 * single pass through the UDP stack.  If the kernel refuses it once, we
 * keep to sendmmsg.
 */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#define UDP_GSO_MAX_SEGS 64
#define UDP_GSO_MAX_BYTES 65000

/*
 * Receive buffers.  With UDP_GRO on, the kernel may hand over a train of
 * datagrams of one size from one sender as one (up to 64 KiB, the
 * segment size in a control message); it is cut back here.  A datagram
 * larger than DEMUX_MAX_DATAGRAM is dropped as oversize by the demuxer.
 */
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#define UDP_RX_SLOT 65536
#define UDP_CBUF (CMSG_SPACE(sizeof(struct in6_pktinfo)) + \
    CMSG_SPACE(sizeof(struct in_pktinfo)) + 3 * CMSG_SPACE(sizeof(int)))

struct udp_rxq {
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage ss[UDP_BATCH];
	union {
		struct cmsghdr align;
		uint8_t b[UDP_CBUF];
	} cbuf[UDP_BATCH];
	uint8_t buf[UDP_BATCH][UDP_RX_SLOT];
};

/* Everything udp.c keeps between calls: allocated once (dp_udp_init). */
struct dp_udp_io {
	struct udp_txq txq;
	struct udp_rxq rxq;
	struct iovec gso_iov[UDP_GSO_MAX_SEGS];
	int gso_off;	/* the kernel refused UDP GSO once: sendmmsg only */
};

/* Entries [i, returned) of one socket (below end) may leave as one GSO send. */
static unsigned int
gso_run(const struct udp_txq *txq, unsigned int i, unsigned int end)
{
	const struct msghdr *a = &txq->mm[i].msg_hdr, *b;
	size_t seg = txq->out[i].iov.iov_len, total = seg, l;
	unsigned int j;

	for (j = i + 1; j < end && j - i < UDP_GSO_MAX_SEGS; j++) {
		b = &txq->mm[j].msg_hdr;
		l = txq->out[j].iov.iov_len;
		if (l > seg || total + l > UDP_GSO_MAX_BYTES ||
		    b->msg_namelen != a->msg_namelen ||
		    memcmp(b->msg_name, a->msg_name, a->msg_namelen) != 0 ||
		    b->msg_controllen != a->msg_controllen ||
		    (a->msg_controllen > 0 &&
		    memcmp(b->msg_control, a->msg_control, a->msg_controllen) != 0))
			break;
		total += l;
		if (l < seg)
			return j + 1; /* a shorter datagram ends the run */
	}
	return j;
}

/* Send entries [i, j) as one GSO datagram train.  0 sent (or dropped
 * for good), -1 the kernel refused GSO: send them another way. */
static int
gso_send(struct dp *dp, unsigned int i, unsigned int j)
{
	struct udp_txq *txq = &dp->udp_io->txq;
	struct iovec *iov = dp->udp_io->gso_iov;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) +
		    CMSG_SPACE(sizeof(uint16_t))];
	} cb;
	const struct msghdr *a = &txq->mm[i].msg_hdr;
	struct msghdr mh;
	struct cmsghdr *c;
	uint16_t seg = (uint16_t)txq->out[i].iov.iov_len;
	unsigned int k;

	for (k = i; k < j; k++)
		iov[k - i] = txq->out[k].iov;
	memset(&cb, 0, sizeof(cb));
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = a->msg_name;
	mh.msg_namelen = a->msg_namelen;
	mh.msg_iov = iov;
	mh.msg_iovlen = j - i;
	if (a->msg_controllen > 0)
		memcpy(cb.b, a->msg_control, a->msg_controllen);
	mh.msg_control = cb.b;
	mh.msg_controllen = a->msg_controllen + CMSG_SPACE(sizeof(seg));
	c = (struct cmsghdr *)(cb.b + a->msg_controllen);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	while (sendmsg(txq->fd[i], &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
			log_info("udp: the kernel refuses UDP segmentation offload (%s); "
			    "sending datagram by datagram", strerror(errno));
			dp->udp_io->gso_off = 1;
			return -1;
		}
		dp->ctr.udp_send_errors += j - i;
		return 0;
	}
	return 0;
}

static void
txq_flush(struct dp *dp)
{
	struct udp_txq *txq = &dp->udp_io->txq;
	unsigned int i = 0, j, end;
	int r;

	while (i < txq->n) {
		for (end = i + 1; end < txq->n && txq->fd[end] == txq->fd[i]; end++)
			;
		if (!dp->udp_io->gso_off && (j = gso_run(txq, i, end)) - i >= 2 &&
		    gso_send(dp, i, j) == 0) {
			i = j;
			continue;
		}
		/* Datagrams that cannot be grouped: up to the next group. */
		for (j = i + 1; j < end && (dp->udp_io->gso_off || gso_run(txq, j, end) - j < 2); j++)
			;
		r = sendmmsg(txq->fd[i], &txq->mm[i], j - i, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* The datagram at i is lost (a full buffer or an
			 * unreachable destination); go on with the next. */
			dp->ctr.udp_send_errors++;
			i++;
			continue;
		}
		i += (unsigned int)r;
	}
	txq->n = 0;
}

void
dp_udp_batch_begin(struct dp *dp)
{
	dp->udp_io->txq.batching = 1;
}

void
dp_udp_batch_end(struct dp *dp)
{
	txq_flush(dp);
	dp->udp_io->txq.batching = 0;
}

int
dp_udp_send(struct dp *dp, const struct ipc_addr *to, const struct ipc_addr *local,
    const uint8_t *data, size_t len, uint8_t ecn)
{
	struct udp_txq *txq = &dp->udp_io->txq;
	struct udp_out one;
	struct msghdr mh;
	unsigned int k;
	int i;

	for (i = 0; i < dp->nudp; i++)
		if (dp->udp[i].family == to->family)
			break;
	if (i == dp->nudp)
		goto fail;
	if (!txq->batching || len > UDP_TX_SLOT) {
		txq_flush(dp); /* keep the order of what is queued */
		if (udp_out_prepare(&one, &mh, to, local, data, len) < 0 ||
		    udp_out_set_ecn(&one, &mh, to->family, ecn) < 0 ||
		    sendmsg(dp->udp[i].fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			goto fail;
		return 0;
	}
	if (txq->n == UDP_TXQ)
		txq_flush(dp);
	k = txq->n;
	memcpy(txq->buf[k], data, len);
	if (udp_out_prepare(&txq->out[k], &txq->mm[k].msg_hdr, to, local, txq->buf[k], len) < 0 ||
	    udp_out_set_ecn(&txq->out[k], &txq->mm[k].msg_hdr, to->family, ecn) < 0)
		goto fail;
	txq->mm[k].msg_len = 0;
	txq->fd[k] = dp->udp[i].fd;
	txq->n++;
	return 0;
fail:
	dp->ctr.udp_send_errors++;
	return -1;
}

/* The segment size of a GRO train, or 0 for a single datagram. */
static size_t
gro_segment(struct msghdr *mh)
{
	struct cmsghdr *c;
	int v;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	return 0;
}

/* The ECN bits the datagram arrived with (IP_TOS / IPV6_TCLASS), 0 if unknown. */
static uint8_t
rx_ecn(struct msghdr *mh)
{
	struct cmsghdr *c;
	int v;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS &&
		    c->cmsg_len >= CMSG_LEN(1))
			return CMSG_DATA(c)[0] & 3;
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return (uint8_t)(v & 3);
		}
	}
	return 0;
}


static void
udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;
	struct udp_rxq *rxq = &dp->udp_io->rxq;
	struct dp_udp *u = NULL;
	struct ipc_addr local, from;
	struct msghdr *mh;
	size_t seg, len, off;
	uint8_t ecn;
	int i, n, rounds;

	(void)what;
	for (i = 0; i < dp->nudp; i++)
		if (dp->udp[i].fd == fd)
			u = &dp->udp[i];
	if (u == NULL)
		return;
	dp_udp_batch_begin(dp);
	/* A bounded number of batches per wake-up keeps the TUN and IPC
	 * served under a flood; the event fires again at once. */
	for (rounds = 0; rounds < 4; rounds++) {
		for (i = 0; i < UDP_BATCH; i++) {
			rxq->iov[i].iov_base = rxq->buf[i];
			rxq->iov[i].iov_len = UDP_RX_SLOT;
			mh = &rxq->mm[i].msg_hdr;
			memset(mh, 0, sizeof(*mh));
			mh->msg_name = &rxq->ss[i];
			mh->msg_namelen = sizeof(rxq->ss[i]);
			mh->msg_iov = &rxq->iov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = rxq->cbuf[i].b;
			mh->msg_controllen = UDP_CBUF;
		}
		n = recvmmsg(fd, rxq->mm, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("udp: recvmmsg on the IPv%u socket", u->family);
			break;
		}
		for (i = 0; i < n; i++) {
			mh = &rxq->mm[i].msg_hdr;
			if (mh->msg_flags & MSG_TRUNC) {
				dp->ctr.drop_oversize++;
				continue;
			}
			if (addr_from_sockaddr(&from, (struct sockaddr *)&rxq->ss[i], mh->msg_namelen) < 0 ||
			    local_addr(mh, u, &local) < 0) {
				dp->ctr.drop_local++;
				continue;
			}
			seg = gro_segment(mh);
			len = rxq->mm[i].msg_len;
			ecn = rx_ecn(mh);	/* GRO trains only join equal TOS */
			if (seg == 0 || seg >= len) {
				handle_datagram(dp, &local, &from, rxq->buf[i], len, ecn);
				continue;
			}
			for (off = 0; off < len; off += seg)
				handle_datagram(dp, &local, &from, rxq->buf[i] + off,
				    len - off < seg ? len - off : seg, ecn);
		}
		if (n < UDP_BATCH)
			break;
	}
	dp_tun_flush(dp);
	dp_udp_batch_end(dp);
}

/* An integer socket option, or -1 if the descriptor has none (not a socket). */
static int
sockopt_int(int fd, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, name, &v, &l) < 0 || l != sizeof(v))
		return -1;
	return v;
}

/*
 * Control is not trusted (issue 19): the descriptor must be a UDP socket
 * of the announced family (AF_INET for 4, AF_INET6 for 6; never another
 * protocol, a stream, a UNIX socket, a pipe or a file) bound to the
 * announced port.  Returns 0 or -1, logged.
 */
static int
udp_fd_check(int fd, uint8_t family, uint16_t port)
{
	int domain = sockopt_int(fd, SO_DOMAIN), type = sockopt_int(fd, SO_TYPE);
	int proto = sockopt_int(fd, SO_PROTOCOL);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ipc_addr bound;

	if (domain != (family == 4 ? AF_INET : AF_INET6) || type != SOCK_DGRAM ||
	    proto != IPPROTO_UDP) {
		log_warnx("udp: control sent a descriptor that is not an IPv%u UDP socket "
		    "(domain %d, type %d, protocol %d); refused", family, domain, type, proto);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    addr_from_sockaddr(&bound, (struct sockaddr *)&ss, sl) < 0 ||
	    bound.family != family || bound.port != port) {
		log_warnx("udp: control sent an IPv%u UDP socket not bound as announced (port %u); "
		    "refused", family, (unsigned)port);
		return -1;
	}
	return 0;
}

int
dp_udp_adopt(struct dp *dp, int fd, uint8_t family, uint16_t port, uint32_t *mark)
{
	int on = 1, sz;
	uint32_t m = DP_SOCKET_MARK;
	struct dp_udp *u;
	int i;

	*mark = 0;
	if (udp_fd_check(fd, family, port) < 0) {
		dp->ctr.refused_socket++;
		return -1;
	}
	if (dp->nudp >= DP_UDP_MAX) {
		dp->ctr.cap_udp_sockets++;
		log_warnx("udp: refusing a third UDP socket");
		return -1;
	}
	for (i = 0; i < dp->nudp; i++)
		if (dp->udp[i].family == family) {
			dp->ctr.cap_udp_sockets++;
			log_warnx("udp: refusing a second IPv%u socket", family);
			return -1;
		}
	if (family == 4) {
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0) {
			log_warn("udp: IP_PKTINFO");
			return -1;
		}
	} else if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0) {
		log_warn("udp: IPV6_RECVPKTINFO");
		return -1;
	}
	/* The ECN bits of each datagram (RFC 6040 decapsulation in on_data);
	 * an IPv6 socket also receives IPv4-mapped datagrams. */
	if (family == 4)
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
	else {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on));
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
	}
	/* Trains of datagrams where the kernel can (see udp_readable). */
	(void)setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on));
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof(m)) == 0)
		*mark = m;
	else
		log_warn("udp: cannot set SO_MARK on the IPv%u socket", family);
	/* Larger buffers where allowed; the kernel's defaults otherwise. */
	sz = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	evutil_make_socket_nonblocking(fd);

	u = &dp->udp[dp->nudp];
	u->fd = fd;
	u->family = family;
	u->port = port;
	u->ev = event_new(dp->base, fd, EV_READ | EV_PERSIST, udp_readable, dp);
	if (u->ev == NULL || event_add(u->ev, NULL) < 0) {
		log_warnx("udp: cannot watch the IPv%u socket", family);
		if (u->ev != NULL)
			event_free(u->ev);
		u->ev = NULL;
		return -1;
	}
	dp->nudp++;
	return 0;
}

void
dp_udp_close_all(struct dp *dp)
{
	int i;

	for (i = 0; i < dp->nudp; i++) {
		if (dp->udp[i].ev != NULL)
			event_free(dp->udp[i].ev);
		close(dp->udp[i].fd);
	}
	dp->nudp = 0;
}

int
dp_udp_init(struct dp *dp)
{
	if ((dp->udp_io = calloc(1, sizeof(*dp->udp_io))) == NULL)
		return -1;
	return 0;
}

void
dp_udp_free(struct dp *dp)
{
	free(dp->udp_io);
	dp->udp_io = NULL;
}
