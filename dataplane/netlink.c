/*
 * netlink.c - rtnetlink configuration of tun-firezone (gateway-dataplane.md
 * §1.2-§1.4).
 *
 * The first half builds requests and parses answers without touching a
 * socket; the second half talks to the kernel over the dataplane's
 * NETLINK_ROUTE socket, one request at a time, each wait bounded by poll.
 * Every length read from the kernel is checked before it is used, and
 * structures are copied out with memcpy so no unaligned access happens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "netlink.h"

#define NL_ERRNO_MAX	4095	/* kernel error codes are -1 .. -4095 */
#define NL_FLUSH_BATCH	32	/* addresses deleted per listing */
#define NL_FLUSH_ROUNDS	8	/* listings before the flush gives up */
#define NL_DUMP_TRIES	4	/* attempts at an interrupted dump */
#define NL_REQ_MAX	256	/* every request we build fits */

/* ---- builders ---------------------------------------------------------- */

struct nlb {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

static size_t
align4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

static void
nlb_start(struct nlb *b, uint8_t *buf, size_t cap, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h;

	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->err = 0;
	if (buf == NULL || cap < NLMSG_HDRLEN) {
		b->err = NETLINK_E_NOSPACE;
		return;
	}
	memset(&h, 0, sizeof(h));
	h.nlmsg_type = type;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = seq;
	memset(buf, 0, NLMSG_HDRLEN);
	memcpy(buf, &h, sizeof(h));
	b->len = NLMSG_HDRLEN;
}

/* The fixed family header right after the netlink header. */
static void
nlb_put(struct nlb *b, const void *p, size_t n)
{
	size_t al = align4(n);

	if (b->err != 0)
		return;
	if (b->cap - b->len < al) {
		b->err = NETLINK_E_NOSPACE;
		return;
	}
	memset(b->buf + b->len, 0, al);
	memcpy(b->buf + b->len, p, n);
	b->len += al;
}

static void
nlb_attr(struct nlb *b, uint16_t type, const void *p, size_t n)
{
	struct rtattr ra;
	size_t al;

	if (b->err != 0)
		return;
	if (n > 0xffffu - RTA_LENGTH(0)) {
		b->err = NETLINK_E_NOSPACE;
		return;
	}
	al = align4(RTA_LENGTH(n));
	if (b->cap - b->len < al) {
		b->err = NETLINK_E_NOSPACE;
		return;
	}
	ra.rta_len = (unsigned short)RTA_LENGTH(n);
	ra.rta_type = type;
	memset(b->buf + b->len, 0, al);
	memcpy(b->buf + b->len, &ra, sizeof(ra));
	if (n > 0)
		memcpy(b->buf + b->len + RTA_LENGTH(0), p, n);
	b->len += al;
}

static void
nlb_u32(struct nlb *b, uint16_t type, uint32_t v)
{
	nlb_attr(b, type, &v, sizeof(v));
}

static int
nlb_end(struct nlb *b)
{
	uint32_t len;

	if (b->err != 0)
		return b->err;
	len = (uint32_t)b->len;
	memcpy(b->buf + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
	return (int)b->len;
}

static size_t
family_alen(uint8_t family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

int
netlink_build_getaddr(uint8_t *buf, size_t cap, uint32_t seq)
{
	struct ifaddrmsg ifa;
	struct nlb b;

	nlb_start(&b, buf, cap, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = AF_UNSPEC;
	nlb_put(&b, &ifa, sizeof(ifa));
	return nlb_end(&b);
}

int
netlink_build_addr(uint8_t *buf, size_t cap, uint32_t seq, uint16_t type,
    const struct netlink_addr *a)
{
	struct ifaddrmsg ifa;
	struct nlb b;
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
	size_t alen;

	if (a == NULL || (type != RTM_NEWADDR && type != RTM_DELADDR))
		return NETLINK_E_INVAL;
	if ((alen = family_alen(a->family)) == 0 || a->plen > alen * 8)
		return NETLINK_E_INVAL;
	if (type == RTM_NEWADDR)
		flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlb_start(&b, buf, cap, type, flags, seq);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = a->family;
	ifa.ifa_prefixlen = a->plen;
	ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	ifa.ifa_index = a->ifindex;
	nlb_put(&b, &ifa, sizeof(ifa));
	if (a->has_local)
		nlb_attr(&b, IFA_LOCAL, a->local, alen);
	if (a->has_address)
		nlb_attr(&b, IFA_ADDRESS, a->address, alen);
	return nlb_end(&b);
}

int
netlink_build_link(uint8_t *buf, size_t cap, uint32_t seq, uint32_t ifindex, uint32_t mtu, int up)
{
	struct ifinfomsg ifi;
	struct nlb b;

	if (ifindex == 0 || ifindex > INT_MAX)
		return NETLINK_E_INVAL;
	nlb_start(&b, buf, cap, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = (int)ifindex;
	if (up >= 0) {
		ifi.ifi_change = IFF_UP;
		ifi.ifi_flags = up ? IFF_UP : 0;
	}
	nlb_put(&b, &ifi, sizeof(ifi));
	if (mtu != 0)
		nlb_u32(&b, IFLA_MTU, mtu);
	return nlb_end(&b);
}

int
netlink_build_getrule(uint8_t *buf, size_t cap, uint32_t seq, uint8_t family)
{
	struct fib_rule_hdr frh;
	struct nlb b;

	if (family_alen(family) == 0)
		return NETLINK_E_INVAL;
	nlb_start(&b, buf, cap, RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, seq);
	memset(&frh, 0, sizeof(frh));
	frh.family = family;
	nlb_put(&b, &frh, sizeof(frh));
	return nlb_end(&b);
}

int
netlink_build_fz_rule(uint8_t *buf, size_t cap, uint32_t seq, uint8_t family)
{
	struct fib_rule_hdr frh;
	struct nlb b;
	uint8_t proto = RTPROT_KERNEL;

	if (family_alen(family) == 0)
		return NETLINK_E_INVAL;
	nlb_start(&b, buf, cap, RTM_NEWRULE,
	    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
	memset(&frh, 0, sizeof(frh));
	frh.family = family;
	frh.table = RT_TABLE_UNSPEC;	/* the id is above 255: FRA_TABLE */
	frh.action = FR_ACT_TO_TBL;
	frh.flags = FIB_RULE_INVERT;	/* "not fwmark" */
	nlb_put(&b, &frh, sizeof(frh));
	nlb_u32(&b, FRA_FWMARK, NETLINK_FZ_MARK);
	nlb_u32(&b, FRA_FWMASK, 0xffffffffu);
	nlb_u32(&b, FRA_TABLE, NETLINK_FZ_TABLE);
	nlb_attr(&b, FRA_PROTOCOL, &proto, sizeof(proto));
	return nlb_end(&b);
}

/* Family known, prefix length in range, no host bits. */
static int
route_valid(const struct netlink_route *r)
{
	size_t alen, i;
	unsigned int bits;

	if (r == NULL || (alen = family_alen(r->family)) == 0 || r->plen > alen * 8)
		return 0;
	for (i = 0; i < alen; i++) {
		bits = (unsigned int)r->plen > i * 8 ? (unsigned int)r->plen - (unsigned int)(i * 8) : 0;
		if (bits >= 8)
			continue;
		if ((r->dst[i] & (uint8_t)(0xffu >> bits)) != 0)
			return 0;
	}
	return 1;
}

int
netlink_build_route(uint8_t *buf, size_t cap, uint32_t seq, uint16_t type, uint32_t ifindex,
    const struct netlink_route *r)
{
	struct rtmsg rtm;
	struct nlb b;
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;

	if (type != RTM_NEWROUTE && type != RTM_DELROUTE)
		return NETLINK_E_INVAL;
	if (!route_valid(r) || ifindex == 0 || ifindex > INT_MAX)
		return NETLINK_E_INVAL;
	if (type == RTM_NEWROUTE)
		flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlb_start(&b, buf, cap, type, flags, seq);
	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = r->family;
	rtm.rtm_dst_len = r->plen;
	rtm.rtm_table = RT_TABLE_UNSPEC;	/* the id is above 255: RTA_TABLE */
	rtm.rtm_protocol = RTPROT_STATIC;
	rtm.rtm_scope = RT_SCOPE_UNIVERSE;
	rtm.rtm_type = RTN_UNICAST;
	nlb_put(&b, &rtm, sizeof(rtm));
	nlb_attr(&b, RTA_DST, r->dst, family_alen(r->family));
	nlb_u32(&b, RTA_OIF, ifindex);
	nlb_u32(&b, RTA_TABLE, NETLINK_FZ_TABLE);
	return nlb_end(&b);
}

/* ---- parser ------------------------------------------------------------ */

int
netlink_msg_next(const uint8_t *buf, size_t len, size_t *off, struct netlink_msg *m)
{
	struct nlmsghdr h;
	size_t rem, step;

	if (buf == NULL || off == NULL || *off >= len)
		return 0;
	rem = len - *off;
	if (rem < sizeof(h))
		return NETLINK_E_TRUNC;
	memcpy(&h, buf + *off, sizeof(h));
	if (h.nlmsg_len < NLMSG_HDRLEN)
		return NETLINK_E_MALFORMED;
	if (h.nlmsg_len > rem)
		return NETLINK_E_TRUNC;
	m->type = h.nlmsg_type;
	m->flags = h.nlmsg_flags;
	m->seq = h.nlmsg_seq;
	m->pid = h.nlmsg_pid;
	m->payload = buf + *off + NLMSG_HDRLEN;
	m->payload_len = h.nlmsg_len - NLMSG_HDRLEN;
	step = align4(h.nlmsg_len);
	*off += step < rem ? step : rem;
	return 1;
}

int
netlink_attr_next(const uint8_t *buf, size_t len, size_t *off, struct netlink_attr *a)
{
	struct rtattr ra;
	size_t rem, step;

	if (buf == NULL || off == NULL || *off >= len)
		return 0;
	rem = len - *off;
	if (rem < sizeof(ra))
		return NETLINK_E_TRUNC;
	memcpy(&ra, buf + *off, sizeof(ra));
	if (ra.rta_len < sizeof(ra))
		return NETLINK_E_MALFORMED;
	if (ra.rta_len > rem)
		return NETLINK_E_TRUNC;
	a->type = ra.rta_type;
	a->data = buf + *off + RTA_LENGTH(0);
	a->len = ra.rta_len - RTA_LENGTH(0);
	step = align4(ra.rta_len);
	*off += step < rem ? step : rem;
	return 1;
}

int
netlink_parse_error(const struct netlink_msg *m, int *err)
{
	struct nlmsgerr e;

	if (m == NULL || m->type != NLMSG_ERROR)
		return NETLINK_E_INVAL;
	if (m->payload_len < sizeof(e))
		return NETLINK_E_TRUNC;
	memcpy(&e, m->payload, sizeof(e));
	if (e.error > 0 || e.error < -NL_ERRNO_MAX)
		return NETLINK_E_MALFORMED;
	*err = -e.error;
	return NETLINK_OK;
}

int
netlink_parse_addr(const struct netlink_msg *m, struct netlink_addr *a)
{
	struct ifaddrmsg ifa;
	struct netlink_attr at;
	size_t hl = NLMSG_ALIGN(sizeof(ifa)), off = 0, alen;
	int rc;

	if (m == NULL || m->type != RTM_NEWADDR)
		return NETLINK_E_INVAL;
	if (m->payload_len < hl)
		return NETLINK_E_TRUNC;
	memcpy(&ifa, m->payload, sizeof(ifa));
	if ((alen = family_alen(ifa.ifa_family)) == 0)
		return NETLINK_E_INVAL;
	if (ifa.ifa_prefixlen > alen * 8)
		return NETLINK_E_MALFORMED;
	memset(a, 0, sizeof(*a));
	a->family = ifa.ifa_family;
	a->plen = ifa.ifa_prefixlen;
	a->ifindex = ifa.ifa_index;
	while ((rc = netlink_attr_next(m->payload + hl, m->payload_len - hl, &off, &at)) == 1) {
		if (at.type != IFA_LOCAL && at.type != IFA_ADDRESS)
			continue;
		if (at.len != alen)
			return NETLINK_E_MALFORMED;
		if (at.type == IFA_LOCAL) {
			memcpy(a->local, at.data, alen);
			a->has_local = 1;
		} else {
			memcpy(a->address, at.data, alen);
			a->has_address = 1;
		}
	}
	return rc < 0 ? rc : NETLINK_OK;
}

static int
attr_u32(const struct netlink_attr *at, uint32_t *v)
{
	if (at->len != sizeof(*v))
		return NETLINK_E_MALFORMED;
	memcpy(v, at->data, sizeof(*v));
	return NETLINK_OK;
}

int
netlink_parse_rule(const struct netlink_msg *m, struct netlink_rule *r)
{
	struct fib_rule_hdr frh;
	struct netlink_attr at;
	size_t hl = NLMSG_ALIGN(sizeof(frh)), off = 0;
	uint32_t v;
	int rc;

	if (m == NULL || m->type != RTM_NEWRULE)
		return NETLINK_E_INVAL;
	if (m->payload_len < hl)
		return NETLINK_E_TRUNC;
	memcpy(&frh, m->payload, sizeof(frh));
	if (family_alen(frh.family) == 0)
		return NETLINK_E_INVAL;
	memset(r, 0, sizeof(*r));
	r->family = frh.family;
	r->action = frh.action;
	r->src_len = frh.src_len;
	r->dst_len = frh.dst_len;
	r->tos = frh.tos;
	r->flags = frh.flags;
	r->table = frh.table;
	while ((rc = netlink_attr_next(m->payload + hl, m->payload_len - hl, &off, &at)) == 1) {
		switch (at.type) {
		case FRA_TABLE:
			rc = attr_u32(&at, &r->table);
			break;
		case FRA_FWMARK:
			rc = attr_u32(&at, &r->fwmark);
			r->has_fwmark = 1;
			break;
		case FRA_FWMASK:
			rc = attr_u32(&at, &r->fwmask);
			r->has_fwmask = 1;
			break;
		case FRA_PRIORITY:
			rc = attr_u32(&at, &r->priority);
			break;
		case FRA_PROTOCOL:
			if (at.len != 1)
				return NETLINK_E_MALFORMED;
			r->protocol = at.data[0];
			break;
		case FRA_SUPPRESS_IFGROUP:
		case FRA_SUPPRESS_PREFIXLEN:
			/* Always dumped; 0xffffffff (-1) means "not set". */
			if ((rc = attr_u32(&at, &v)) == NETLINK_OK && v != 0xffffffffu)
				r->has_selector = 1;
			break;
		case FRA_L3MDEV:
			if (at.len != 1)
				return NETLINK_E_MALFORMED;
			if (at.data[0] != 0)
				r->has_selector = 1;
			break;
		case FRA_DST:
		case FRA_SRC:
		case FRA_IIFNAME:
		case FRA_OIFNAME:
		case FRA_GOTO:
		case FRA_FLOW:
		case FRA_TUN_ID:
		case FRA_UID_RANGE:
		case FRA_IP_PROTO:
		case FRA_SPORT_RANGE:
		case FRA_DPORT_RANGE:
			r->has_selector = 1;
			break;
		default:
			break;
		}
		if (rc < 0)
			return rc;
	}
	return rc < 0 ? rc : NETLINK_OK;
}

int
netlink_rule_is_fz(const struct netlink_rule *r, uint8_t family)
{
	return r != NULL && r->family == family && r->action == FR_ACT_TO_TBL &&
	    (r->flags & FIB_RULE_INVERT) != 0 && r->src_len == 0 && r->dst_len == 0 &&
	    r->tos == 0 && !r->has_selector && r->table == NETLINK_FZ_TABLE &&
	    r->has_fwmark && r->fwmark == NETLINK_FZ_MARK &&
	    r->has_fwmask && r->fwmask == 0xffffffffu;
}

void
netlink_wait_init(struct netlink_wait *w, uint32_t seq, int dump)
{
	memset(w, 0, sizeof(*w));
	w->seq = seq;
	w->dump = dump ? 1 : 0;
}

int
netlink_wait_feed(struct netlink_wait *w, const uint8_t *buf, size_t len,
    netlink_msg_cb cb, void *arg)
{
	struct netlink_msg m;
	size_t off = 0;
	int rc, err, code;

	if (w->done)
		return 1;
	while ((rc = netlink_msg_next(buf, len, &off, &m)) == 1) {
		if (m.seq != w->seq)
			continue;	/* a late answer to an earlier request */
		switch (m.type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR:
			if ((rc = netlink_parse_error(&m, &err)) < 0)
				return rc;
			w->err = err;
			w->done = 1;
			return 1;
		case NLMSG_OVERRUN:
			w->err = ENOBUFS;
			w->done = 1;
			return 1;
		case NLMSG_DONE:
			if (!w->dump)
				break;
			if (m.flags & NLM_F_DUMP_INTR)
				w->intr = 1;
			err = 0;
			if (m.payload_len >= sizeof(code)) {
				memcpy(&code, m.payload, sizeof(code));
				if (code > 0 || code < -NL_ERRNO_MAX)
					return NETLINK_E_MALFORMED;
				err = -code;
			}
			w->err = err;
			w->done = 1;
			return 1;
		default:
			if (!w->dump || m.type < NLMSG_MIN_TYPE)
				break;
			if (m.flags & NLM_F_DUMP_INTR)
				w->intr = 1;
			w->parts++;
			if (cb != NULL && cb(&m, arg) < 0)
				return NETLINK_E_ABORT;
			break;
		}
	}
	return rc;
}

const char *
netlink_strerror(int code)
{
	switch (code) {
	case NETLINK_OK:
		return "success";
	case NETLINK_E_NOSPACE:
		return "buffer too small";
	case NETLINK_E_TRUNC:
		return "truncated netlink message";
	case NETLINK_E_MALFORMED:
		return "malformed netlink message";
	case NETLINK_E_INVAL:
		return "invalid argument";
	case NETLINK_E_TIMEOUT:
		return "no answer from the kernel in time";
	case NETLINK_E_IO:
		return "netlink socket error";
	case NETLINK_E_ABORT:
		return "unexpected dump content";
	default:
		return "unknown netlink error";
	}
}

/* ---- glue -------------------------------------------------------------- */

static union {
	struct nlmsghdr align;
	uint8_t b[NETLINK_RXBUF];
} nl_rx;

static uint32_t nl_seq;

/*
 * Set when the kernel did not answer within the bound during the current
 * netlink_apply_iface / netlink_apply_routes call: the remaining requests of
 * that call are skipped, so a silent kernel costs one timeout per call.
 */
static int nl_gave_up;

/* errno of the last NETLINK_E_IO, kept for the log line. */
static int nl_io_errno;

/* Routes this module added (or found present) on an earlier call. */
static struct {
	struct netlink_route r[NETLINK_ROUTES_MAX];
	uint32_t ifindex[NETLINK_ROUTES_MAX];
	size_t n;
} nl_added;

uint32_t
netlink_next_seq(void)
{
	if (++nl_seq == 0)
		nl_seq = 1;
	return nl_seq;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

int
netlink_wait_reply(int fd, struct netlink_wait *w, netlink_msg_cb cb, void *arg, int timeout_ms)
{
	struct timespec t0;
	struct pollfd pfd;
	struct sockaddr_nl sa;
	struct iovec iov;
	struct msghdr mh;
	ssize_t r;
	long left;
	int n, rc;

	if (fd < 0 || w == NULL || timeout_ms < 0)
		return NETLINK_E_INVAL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!w->done) {
		if ((left = timeout_ms - elapsed_ms(&t0)) <= 0)
			return NETLINK_E_TIMEOUT;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, (int)left)) < 0) {
			if (errno == EINTR)
				continue;
			return NETLINK_E_IO;
		}
		if (n == 0)
			continue;
		if (pfd.revents & POLLNVAL) {
			errno = EBADF;
			return NETLINK_E_IO;
		}
		memset(&sa, 0, sizeof(sa));
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = nl_rx.b;
		iov.iov_len = sizeof(nl_rx.b);
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if ((r = recvmsg(fd, &mh, MSG_DONTWAIT)) < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return NETLINK_E_IO;	/* ENOBUFS: answers were lost */
		}
		if (mh.msg_flags & MSG_TRUNC)
			return NETLINK_E_TRUNC;
		/* Only the kernel (port 0) answers our requests. */
		if (mh.msg_namelen < sizeof(sa) || sa.nl_family != AF_NETLINK || sa.nl_pid != 0)
			continue;
		if ((rc = netlink_wait_feed(w, nl_rx.b, (size_t)r, cb, arg)) < 0)
			return rc;
	}
	return NETLINK_OK;
}

int
netlink_request(int fd, const uint8_t *req, size_t len, uint32_t seq, int dump,
    netlink_msg_cb cb, void *arg)
{
	struct sockaddr_nl sa;
	struct netlink_wait w;
	ssize_t r;
	int rc;

	if (fd < 0 || req == NULL || len < NLMSG_HDRLEN)
		return NETLINK_E_INVAL;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	netlink_wait_init(&w, seq, dump);
	do {
		r = sendto(fd, req, len, 0, (const struct sockaddr *)&sa, sizeof(sa));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return NETLINK_E_IO;
	if ((size_t)r != len) {
		errno = EMSGSIZE;
		return NETLINK_E_IO;
	}
	if ((rc = netlink_wait_reply(fd, &w, cb, arg, NETLINK_TIMEOUT_MS)) < 0)
		return rc;
	if (w.dump && w.intr && w.err == 0)
		return EAGAIN;	/* inconsistent dump: the caller lists again */
	return w.err;
}

static const char *
addr_str(uint8_t family, const uint8_t *a, char *out, size_t outlen)
{
	if (inet_ntop(family == AF_INET ? AF_INET : AF_INET6, a, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
	return out;
}

/* Log a failed request: kernel errno with log_warn, local failure with log_warnx. */
static void
log_fail(int rc, const char *what, uint32_t ifindex)
{
	if (rc > 0) {
		errno = rc;
		log_warn("netlink: link %u: %s", ifindex, what);
	} else if (rc == NETLINK_E_IO) {
		errno = nl_io_errno;
		log_warn("netlink: link %u: %s", ifindex, what);
	} else {
		log_warnx("netlink: link %u: %s: %s", ifindex, what, netlink_strerror(rc));
	}
}

/* Send a request a builder just wrote (len: its return) and wait for the answer. */
static int
send_built(int fd, const uint8_t *req, int len, uint32_t seq, int dump, netlink_msg_cb cb, void *arg)
{
	int rc;

	if (len < 0)
		return len;
	if (nl_gave_up)
		return NETLINK_E_TIMEOUT;
	rc = netlink_request(fd, req, (size_t)len, seq, dump, cb, arg);
	if (rc == NETLINK_E_TIMEOUT)
		nl_gave_up = 1;
	else if (rc == NETLINK_E_IO)
		nl_io_errno = errno;
	return rc;
}

struct flush_ctx {
	uint32_t ifindex;
	struct netlink_addr a[NL_FLUSH_BATCH];
	size_t n;
	size_t more;
};

static int
flush_cb(const struct netlink_msg *m, void *arg)
{
	struct flush_ctx *c = arg;
	struct netlink_addr a;
	int rc;

	if ((rc = netlink_parse_addr(m, &a)) == NETLINK_E_INVAL)
		return 0;	/* another message type or family */
	if (rc < 0)
		return rc;
	if (a.ifindex != c->ifindex)
		return 0;
	if (!a.has_local && !a.has_address)
		return NETLINK_E_MALFORMED;
	if (c->n < NL_FLUSH_BATCH)
		c->a[c->n++] = a;
	else
		c->more++;
	return 0;
}

/* §1.2 step 2: delete every address on the link.  0 or -1. */
static int
flush_link(int fd, uint32_t ifindex)
{
	static struct flush_ctx c;
	uint8_t req[NL_REQ_MAX];
	char s[INET6_ADDRSTRLEN], what[96];
	uint32_t seq;
	size_t i;
	int round, rc;

	for (round = 0; round < NL_FLUSH_ROUNDS; round++) {
		memset(&c, 0, sizeof(c));
		c.ifindex = ifindex;
		seq = netlink_next_seq();
		rc = send_built(fd, req, netlink_build_getaddr(req, sizeof(req), seq), seq, 1,
		    flush_cb, &c);
		if (rc == EAGAIN)
			continue;
		if (rc != 0) {
			log_fail(rc, "cannot list addresses", ifindex);
			return -1;
		}
		if (c.n == 0)
			return 0;
		for (i = 0; i < c.n; i++) {
			const struct netlink_addr *a = &c.a[i];

			seq = netlink_next_seq();
			rc = send_built(fd, req, netlink_build_addr(req, sizeof(req), seq, RTM_DELADDR, a),
			    seq, 0, NULL, NULL);
			addr_str(a->family, a->has_local ? a->local : a->address, s, sizeof(s));
			/* Deleting a primary IPv4 address takes its secondaries along. */
			if (rc == 0 || rc == EADDRNOTAVAIL || rc == ENOENT) {
				log_debug("netlink: link %u: deleted %s/%u", ifindex, s, a->plen);
				continue;
			}
			snprintf(what, sizeof(what), "cannot delete %s/%u", s, (unsigned int)a->plen);
			log_fail(rc, what, ifindex);
			return -1;
		}
	}
	log_warnx("netlink: link %u: addresses remain after %d rounds of deletion", ifindex,
	    NL_FLUSH_ROUNDS);
	return -1;
}

/* §1.2 steps 3 and 5. */
static int
set_link(int fd, uint32_t ifindex, uint32_t mtu, int up)
{
	uint8_t req[NL_REQ_MAX];
	uint32_t seq = netlink_next_seq();
	int rc;

	rc = send_built(fd, req, netlink_build_link(req, sizeof(req), seq, ifindex, mtu, up), seq, 0,
	    NULL, NULL);
	if (rc != 0) {
		log_fail(rc, mtu != 0 ? "cannot set the MTU" : "cannot set the link up", ifindex);
		return -1;
	}
	return 0;
}

/* §1.2 step 4: one address, /32 or /128. */
static int
add_addr(int fd, uint32_t ifindex, uint8_t family, const uint8_t *ip)
{
	struct netlink_addr a;
	uint8_t req[NL_REQ_MAX];
	char s[INET6_ADDRSTRLEN], what[96];
	size_t alen = family_alen(family);
	uint32_t seq = netlink_next_seq();
	int rc;

	memset(&a, 0, sizeof(a));
	a.family = family;
	a.plen = (uint8_t)(alen * 8);
	a.ifindex = ifindex;
	memcpy(a.local, ip, alen);
	memcpy(a.address, ip, alen);
	a.has_local = 1;
	a.has_address = 1;
	rc = send_built(fd, req, netlink_build_addr(req, sizeof(req), seq, RTM_NEWADDR, &a), seq, 0,
	    NULL, NULL);
	if (rc == 0 || rc == EEXIST)
		return 0;
	snprintf(what, sizeof(what), "cannot add %s/%u", addr_str(family, ip, s, sizeof(s)),
	    (unsigned int)a.plen);
	log_fail(rc, what, ifindex);
	return -1;
}

struct rule_ctx {
	uint8_t family;
	int found;
};

static int
rule_cb(const struct netlink_msg *m, void *arg)
{
	struct rule_ctx *c = arg;
	struct netlink_rule r;
	int rc;

	if ((rc = netlink_parse_rule(m, &r)) == NETLINK_E_INVAL)
		return 0;
	if (rc < 0)
		return rc;
	if (netlink_rule_is_fz(&r, c->family))
		c->found = 1;
	return 0;
}

/*
 * §1.2 step 6.  Without a priority the kernel gives every new rule a fresh
 * one, so NLM_F_EXCL alone never reports EEXIST for a rule we asked for
 * before: list the family's rules first and add ours only when missing.
 */
static int
ensure_rule(int fd, uint32_t ifindex, uint8_t family)
{
	struct rule_ctx c = { .family = family, .found = 0 };
	uint8_t req[NL_REQ_MAX];
	uint32_t seq;
	int rc = EAGAIN, i;

	for (i = 0; i < NL_DUMP_TRIES && rc == EAGAIN; i++) {
		c.family = family;
		c.found = 0;
		seq = netlink_next_seq();
		rc = send_built(fd, req, netlink_build_getrule(req, sizeof(req), seq, family), seq, 1,
		    rule_cb, &c);
	}
	if (rc == 0 && c.found) {
		log_debug("netlink: IPv%d policy rule already present", family == AF_INET ? 4 : 6);
		return 0;
	}
	if (rc != 0)
		log_fail(rc, family == AF_INET ? "cannot list IPv4 policy rules; adding ours" :
		    "cannot list IPv6 policy rules; adding ours", ifindex);
	seq = netlink_next_seq();
	rc = send_built(fd, req, netlink_build_fz_rule(req, sizeof(req), seq, family), seq, 0,
	    NULL, NULL);
	if (rc == 0 || rc == EEXIST)
		return 0;
	log_fail(rc, family == AF_INET ? "cannot add the IPv4 policy rule" :
	    "cannot add the IPv6 policy rule", ifindex);
	return -1;
}

static int
route_eq(const struct netlink_route *a, const struct netlink_route *b)
{
	return a->family == b->family && a->plen == b->plen &&
	    memcmp(a->dst, b->dst, family_alen(a->family)) == 0;
}

static void
route_what(char *out, size_t outlen, const char *verb, const struct netlink_route *r)
{
	char s[INET6_ADDRSTRLEN];

	snprintf(out, outlen, "cannot %s route %s/%u in table %u", verb,
	    addr_str(r->family, r->dst, s, sizeof(s)), (unsigned int)r->plen, NETLINK_FZ_TABLE);
}

/* Remember a route as ours (no duplicates); 0, or -1 when full. */
static int
remember(struct netlink_route *r, uint32_t *idx, size_t *n, const struct netlink_route *x,
    uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (idx[i] == ifindex && route_eq(&r[i], x))
			return 0;
	if (*n >= NETLINK_ROUTES_MAX)
		return -1;
	r[*n] = *x;
	idx[*n] = ifindex;
	(*n)++;
	return 0;
}

static int
apply_routes(int fd, uint32_t ifindex, const struct netlink_route *set, size_t n)
{
	struct netlink_route keep[NETLINK_ROUTES_MAX];
	uint32_t keep_idx[NETLINK_ROUTES_MAX];
	uint8_t req[NL_REQ_MAX];
	char what[128];
	size_t nkeep = 0, i, j;
	uint32_t seq;
	int rc, ok = 1, wanted;

	if (fd < 0 || ifindex == 0 || ifindex > INT_MAX || n > NETLINK_ROUTES_MAX ||
	    (n > 0 && set == NULL)) {
		log_warnx("netlink: link %u: cannot apply routes: %s", ifindex,
		    netlink_strerror(NETLINK_E_INVAL));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!route_valid(&set[i])) {
			log_warnx("netlink: link %u: refusing an invalid route", ifindex);
			return -1;
		}
	}
	/* Routes we added earlier that are not wanted any more go first. */
	for (i = 0; i < nl_added.n; i++) {
		wanted = 0;
		for (j = 0; j < n; j++)
			if (nl_added.ifindex[i] == ifindex && route_eq(&nl_added.r[i], &set[j]))
				wanted = 1;
		if (wanted)
			continue;
		seq = netlink_next_seq();
		rc = send_built(fd, req, netlink_build_route(req, sizeof(req), seq, RTM_DELROUTE,
		    nl_added.ifindex[i], &nl_added.r[i]), seq, 0, NULL, NULL);
		if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == ENODEV)
			continue;
		route_what(what, sizeof(what), "delete", &nl_added.r[i]);
		log_fail(rc, what, nl_added.ifindex[i]);
		/* Still ours: try again next time. */
		(void)remember(keep, keep_idx, &nkeep, &nl_added.r[i], nl_added.ifindex[i]);
	}
	for (i = 0; i < n; i++) {
		seq = netlink_next_seq();
		rc = send_built(fd, req, netlink_build_route(req, sizeof(req), seq, RTM_NEWROUTE,
		    ifindex, &set[i]), seq, 0, NULL, NULL);
		if (rc == 0 || rc == EEXIST) {
			if (remember(keep, keep_idx, &nkeep, &set[i], ifindex) < 0)
				log_warnx("netlink: link %u: too many routes to remember", ifindex);
			continue;
		}
		route_what(what, sizeof(what), "add", &set[i]);
		log_fail(rc, what, ifindex);
		ok = 0;
	}
	memcpy(nl_added.r, keep, nkeep * sizeof(keep[0]));
	memcpy(nl_added.ifindex, keep_idx, nkeep * sizeof(keep_idx[0]));
	nl_added.n = nkeep;
	return ok ? 0 : -1;
}

int
netlink_apply_routes(int fd, uint32_t ifindex, const struct netlink_route *set, size_t n)
{
	nl_gave_up = 0;
	return apply_routes(fd, ifindex, set, n);
}

int
netlink_apply_iface(int nl_fd, unsigned int ifindex, const uint8_t *v4, const uint8_t *v6,
    struct ipc_d2c_iface_result *res)
{
	static const struct netlink_route fz_routes[2] = {
		{ .family = AF_INET, .plen = 11, .dst = { 100, 64 } },
		{ .family = AF_INET6, .plen = 107, .dst = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 } },
	};
	char s4[INET6_ADDRSTRLEN] = "none", s6[INET6_ADDRSTRLEN] = "none";
	int flushed, rc;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (nl_fd < 0 || ifindex == 0 || ifindex > INT_MAX) {
		log_warnx("netlink: cannot configure link %u: %s", ifindex,
		    netlink_strerror(NETLINK_E_INVAL));
		return -1;
	}
	if (v4 != NULL)
		addr_str(AF_INET, v4, s4, sizeof(s4));
	if (v6 != NULL)
		addr_str(AF_INET6, v6, s6, sizeof(s6));

	nl_gave_up = 0;
	flushed = flush_link(nl_fd, ifindex) == 0;
	if (flushed) {
		(void)set_link(nl_fd, ifindex, NETLINK_FZ_MTU, -1);
		if (v4 != NULL)
			res->v4_ok = add_addr(nl_fd, ifindex, AF_INET, v4) == 0;
		if (v6 != NULL)
			res->v6_ok = add_addr(nl_fd, ifindex, AF_INET6, v6) == 0;
		res->link_up = set_link(nl_fd, ifindex, 0, 1) == 0;
		if (res->v4_ok)
			res->rules_v4_ok = ensure_rule(nl_fd, ifindex, AF_INET) == 0;
		if (res->v6_ok)
			res->rules_v6_ok = ensure_rule(nl_fd, ifindex, AF_INET6) == 0;
	} else {
		log_warnx("netlink: link %u: addresses not applied (the old ones could not be removed)",
		    ifindex);
	}
	/* §1.3: the routes are set whether or not the addresses were applied. */
	res->routes_ok = apply_routes(nl_fd, ifindex, fz_routes, 2) == 0;

	if (!flushed || ((v4 != NULL || v6 != NULL) && !res->v4_ok && !res->v6_ok))
		rc = -1;
	else
		rc = 0;
	log_info("netlink: link %u %s: v4 %s%s%s, v6 %s%s%s, mtu %u, link %s, "
	    "rules v4 %s v6 %s, routes %s", ifindex, rc == 0 ? "configured" : "not configured",
	    s4, v4 == NULL ? "" : "/32 ", v4 == NULL ? "" : (res->v4_ok ? "ok" : "failed"),
	    s6, v6 == NULL ? "" : "/128 ", v6 == NULL ? "" : (res->v6_ok ? "ok" : "failed"),
	    NETLINK_FZ_MTU, res->link_up ? "up" : "not up",
	    res->rules_v4_ok ? "ok" : "no", res->rules_v6_ok ? "ok" : "no",
	    res->routes_ok ? "ok" : "incomplete");
	return rc;
}
