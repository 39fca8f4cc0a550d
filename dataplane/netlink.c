/*
 * netlink.c - rtnetlink configuration of tun-firezone (docs/protocol/dataplane.md
 * §1.2-§1.4).
 *
 * The first part builds requests and parses answers, the second runs the
 * configuration as a job, one request after another, fed with the
 * kernel's answers; neither touches a socket.  The last part moves a
 * job's requests and answers over the dataplane's non-blocking
 * NETLINK_ROUTE socket without ever waiting: the caller's event loop calls
 * it again when the socket is readable, and aborts the job on a timer.
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
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "netlink.h"

#define NL_ERRNO_MAX	4095	/* kernel error codes are -1 .. -4095 */
#define NL_FLUSH_ROUNDS	8	/* listings before the flush gives up */
#define NL_DUMP_TRIES	4	/* attempts at an interrupted dump */

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

/* ---- the apply job (sans-IO) -------------------------------------------- */

static uint32_t nl_seq;

uint32_t
netlink_next_seq(void)
{
	if (++nl_seq == 0)
		nl_seq = 1;
	return nl_seq;
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
log_fail(const struct netlink_job *j, int rc, const char *what, uint32_t ifindex)
{
	if (rc > 0) {
		errno = rc;
		log_warn("netlink: link %u: %s", ifindex, what);
	} else if (rc == NETLINK_E_IO) {
		errno = j->io_errno;
		log_warn("netlink: link %u: %s", ifindex, what);
	} else {
		log_warnx("netlink: link %u: %s: %s", ifindex, what, netlink_strerror(rc));
	}
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
remember(struct netlink_routes *m, const struct netlink_route *x, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->ifindex[i] == ifindex && route_eq(&m->r[i], x))
			return 0;
	if (m->n >= NETLINK_ROUTES_MAX)
		return -1;
	m->r[m->n] = *x;
	m->ifindex[m->n] = ifindex;
	m->n++;
	return 0;
}

/* Route i of the memory is in the wanted set (on this link). */
static int
job_wanted(const struct netlink_job *j, size_t i)
{
	size_t k;

	if (j->mem->ifindex[i] != j->ifindex)
		return 0;
	for (k = 0; k < j->nset; k++)
		if (route_eq(&j->mem->r[i], &j->set[k]))
			return 1;
	return 0;
}

static void
job_start(struct netlink_job *j, int kind, struct netlink_routes *mem, uint32_t ifindex)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->mem = mem;
	j->ifindex = ifindex;
	j->routes_ok = 1;
}

/* Invalid arguments: the job is over before it began, nothing applied. */
static void
job_refuse(struct netlink_job *j, const char *what)
{
	log_warnx("netlink: link %u: %s: %s", j->ifindex, what, netlink_strerror(NETLINK_E_INVAL));
	memset(&j->res, 0, sizeof(j->res));
	j->rc = -1;
	j->done = 1;
}

static void
job_summary(struct netlink_job *j)
{
	char s4[INET6_ADDRSTRLEN] = "none", s6[INET6_ADDRSTRLEN] = "none";
	struct ipc_d2c_iface_result *res = &j->res;

	if (j->has_v4)
		addr_str(AF_INET, j->v4, s4, sizeof(s4));
	if (j->has_v6)
		addr_str(AF_INET6, j->v6, s6, sizeof(s6));
	log_info("netlink: link %u %s: v4 %s%s%s, v6 %s%s%s, mtu %u, link %s, "
	    "rules v4 %s v6 %s, routes %s", j->ifindex, j->rc == 0 ? "configured" : "not configured",
	    s4, j->has_v4 ? "/32 " : "", j->has_v4 ? (res->v4_ok ? "ok" : "failed") : "",
	    s6, j->has_v6 ? "/128 " : "", j->has_v6 ? (res->v6_ok ? "ok" : "failed") : "",
	    NETLINK_FZ_MTU, res->link_up ? "up" : "not up",
	    res->rules_v4_ok ? "ok" : "no", res->rules_v6_ok ? "ok" : "no",
	    res->routes_ok ? "ok" : "incomplete");
}

/*
 * The end, normal or not.  The routes remembered become what is ours now:
 * those kept by the route steps and, when they did not all run, every old
 * route not yet deleted or re-confirmed.
 */
static void
job_finish(struct netlink_job *j, int complete)
{
	size_t i;

	if (j->step == NLJ_ROUTE_DEL || j->step == NLJ_ROUTE_ADD || complete) {
		for (i = 0; !complete && i < j->mem->n; i++)
			if (job_wanted(j, i) || (j->step == NLJ_ROUTE_DEL && i >= j->idx))
				(void)remember(&j->keep, &j->mem->r[i], j->mem->ifindex[i]);
		*j->mem = j->keep;
	}
	j->res.routes_ok = complete && j->routes_ok;
	if (j->kind == NETLINK_JOB_ROUTES)
		j->rc = j->res.routes_ok ? 0 : -1;
	else if (!j->flushed || ((j->has_v4 || j->has_v6) && !j->res.v4_ok && !j->res.v6_ok))
		j->rc = -1;
	else
		j->rc = 0;
	j->step = NLJ_DONE;
	j->waiting = 0;
	j->done = 1;
	if (j->kind == NETLINK_JOB_IFACE)
		job_summary(j);
}

static void
job_to_routes(struct netlink_job *j)
{
	j->step = NLJ_ROUTE_DEL;
	j->idx = 0;
}

static void
flush_failed(struct netlink_job *j)
{
	log_warnx("netlink: link %u: addresses not applied (the old ones could not be removed)",
	    j->ifindex);
	j->flushed = 0;
	job_to_routes(j);
}

/* A listing and its deletions are done: list again (§1.2 step 2). */
static void
flush_next_round(struct netlink_job *j)
{
	if (++j->round >= NL_FLUSH_ROUNDS) {
		log_warnx("netlink: link %u: addresses remain after %d rounds of deletion", j->ifindex,
		    NL_FLUSH_ROUNDS);
		flush_failed(j);
		return;
	}
	j->step = NLJ_FLUSH_LIST;
}

static int
flush_cb(const struct netlink_msg *m, void *arg)
{
	struct netlink_job *j = arg;
	struct netlink_addr a;
	int rc;

	if ((rc = netlink_parse_addr(m, &a)) == NETLINK_E_INVAL)
		return 0;	/* another message type or family */
	if (rc < 0)
		return rc;
	if (a.ifindex != j->ifindex)
		return 0;
	if (!a.has_local && !a.has_address)
		return NETLINK_E_MALFORMED;
	if (j->nflush < NETLINK_FLUSH_BATCH)
		j->flush[j->nflush++] = a;
	return 0;
}

static int
rule_cb(const struct netlink_msg *m, void *arg)
{
	struct netlink_job *j = arg;
	struct netlink_rule r;
	int rc;

	if ((rc = netlink_parse_rule(m, &r)) == NETLINK_E_INVAL)
		return 0;
	if (rc < 0)
		return rc;
	if (netlink_rule_is_fz(&r, j->step == NLJ_RULE4_LIST ? AF_INET : AF_INET6))
		j->found = 1;
	return 0;
}

static int
build_add_addr(struct netlink_job *j, uint8_t *buf, size_t cap, uint32_t seq, uint8_t family)
{
	struct netlink_addr a;
	size_t alen = family_alen(family);

	memset(&a, 0, sizeof(a));
	a.family = family;
	a.plen = (uint8_t)(alen * 8);
	a.ifindex = j->ifindex;
	memcpy(a.local, family == AF_INET ? j->v4 : j->v6, alen);
	memcpy(a.address, a.local, alen);
	a.has_local = 1;
	a.has_address = 1;
	return netlink_build_addr(buf, cap, seq, RTM_NEWADDR, &a);
}

/*
 * The request of the current step into buf, skipping steps with nothing to
 * do.  Returns its length, 0 when the job ended, or a negative netlink_err
 * of a builder (the step then failed).  Sets j->w.dump for listings.
 */
static int
job_build(struct netlink_job *j, uint8_t *buf, size_t cap, uint32_t seq)
{
	for (;;) {
		j->dump = 0;
		switch (j->step) {
		case NLJ_FLUSH_LIST:
			j->nflush = 0;
			j->dump = 1;
			return netlink_build_getaddr(buf, cap, seq);
		case NLJ_FLUSH_DEL:
			return netlink_build_addr(buf, cap, seq, RTM_DELADDR, &j->flush[j->idx]);
		case NLJ_MTU:
			return netlink_build_link(buf, cap, seq, j->ifindex, NETLINK_FZ_MTU, -1);
		case NLJ_ADD4:
			if (j->has_v4)
				return build_add_addr(j, buf, cap, seq, AF_INET);
			j->step = NLJ_ADD6;
			continue;
		case NLJ_ADD6:
			if (j->has_v6)
				return build_add_addr(j, buf, cap, seq, AF_INET6);
			j->step = NLJ_UP;
			continue;
		case NLJ_UP:
			return netlink_build_link(buf, cap, seq, j->ifindex, 0, 1);
		case NLJ_RULE4_LIST:
		case NLJ_RULE6_LIST:
			if (!(j->step == NLJ_RULE4_LIST ? j->res.v4_ok : j->res.v6_ok)) {
				if (j->step == NLJ_RULE4_LIST)
					j->step = NLJ_RULE6_LIST;
				else
					job_to_routes(j);
				j->tries = 0;
				continue;
			}
			j->found = 0;
			j->dump = 1;
			return netlink_build_getrule(buf, cap, seq,
			    j->step == NLJ_RULE4_LIST ? AF_INET : AF_INET6);
		case NLJ_RULE4_ADD:
			return netlink_build_fz_rule(buf, cap, seq, AF_INET);
		case NLJ_RULE6_ADD:
			return netlink_build_fz_rule(buf, cap, seq, AF_INET6);
		case NLJ_ROUTE_DEL:
			/* Routes we added earlier that are not wanted any more go first. */
			while (j->idx < j->mem->n && job_wanted(j, j->idx))
				j->idx++;
			if (j->idx < j->mem->n)
				return netlink_build_route(buf, cap, seq, RTM_DELROUTE,
				    j->mem->ifindex[j->idx], &j->mem->r[j->idx]);
			j->step = NLJ_ROUTE_ADD;
			j->idx = 0;
			continue;
		case NLJ_ROUTE_ADD:
			if (j->idx < j->nset)
				return netlink_build_route(buf, cap, seq, RTM_NEWROUTE, j->ifindex,
				    &j->set[j->idx]);
			job_finish(j, 1);
			return 0;
		default:
			return 0;
		}
	}
}

/* The rule steps of one family, after the listing answered rc. */
static void
rule_listed(struct netlink_job *j, int rc)
{
	int v4 = j->step == NLJ_RULE4_LIST;

	if (rc == EAGAIN && ++j->tries < NL_DUMP_TRIES)
		return;		/* inconsistent dump: list again */
	if (rc == 0 && j->found) {
		log_debug("netlink: IPv%d policy rule already present", v4 ? 4 : 6);
		if (v4)
			j->res.rules_v4_ok = 1;
		else
			j->res.rules_v6_ok = 1;
		j->step = v4 ? NLJ_RULE6_LIST : NLJ_ROUTE_DEL;
		j->tries = 0;
		j->idx = 0;
		return;
	}
	if (rc != 0)
		log_fail(j, rc, v4 ? "cannot list IPv4 policy rules; adding ours" :
		    "cannot list IPv6 policy rules; adding ours", j->ifindex);
	j->step = v4 ? NLJ_RULE4_ADD : NLJ_RULE6_ADD;
}

static void
rule_added(struct netlink_job *j, int rc)
{
	int v4 = j->step == NLJ_RULE4_ADD, ok = rc == 0 || rc == EEXIST;

	if (!ok)
		log_fail(j, rc, v4 ? "cannot add the IPv4 policy rule" :
		    "cannot add the IPv6 policy rule", j->ifindex);
	if (v4)
		j->res.rules_v4_ok = (uint8_t)ok;
	else
		j->res.rules_v6_ok = (uint8_t)ok;
	j->step = v4 ? NLJ_RULE6_LIST : NLJ_ROUTE_DEL;
	j->tries = 0;
	j->idx = 0;
}

static void
addr_added(struct netlink_job *j, int rc)
{
	int v4 = j->step == NLJ_ADD4, ok = rc == 0 || rc == EEXIST;
	char s[INET6_ADDRSTRLEN], what[96];

	if (!ok) {
		snprintf(what, sizeof(what), "cannot add %s/%u",
		    addr_str(v4 ? AF_INET : AF_INET6, v4 ? j->v4 : j->v6, s, sizeof(s)), v4 ? 32u : 128u);
		log_fail(j, rc, what, j->ifindex);
	}
	if (v4)
		j->res.v4_ok = (uint8_t)ok;
	else
		j->res.v6_ok = (uint8_t)ok;
	j->step = v4 ? NLJ_ADD6 : NLJ_UP;
}

static void
addr_deleted(struct netlink_job *j, int rc)
{
	const struct netlink_addr *a = &j->flush[j->idx];
	char s[INET6_ADDRSTRLEN], what[96];

	addr_str(a->family, a->has_local ? a->local : a->address, s, sizeof(s));
	/* Deleting a primary IPv4 address takes its secondaries along. */
	if (rc == 0 || rc == EADDRNOTAVAIL || rc == ENOENT) {
		log_debug("netlink: link %u: deleted %s/%u", j->ifindex, s, a->plen);
		if (++j->idx >= j->nflush)
			flush_next_round(j);
		return;
	}
	snprintf(what, sizeof(what), "cannot delete %s/%u", s, (unsigned int)a->plen);
	log_fail(j, rc, what, j->ifindex);
	flush_failed(j);
}

/* The answer rc (0, the kernel's errno, or a negative netlink_err) to the
 * request of the current step: record it and move on. */
static void
job_answer(struct netlink_job *j, int rc)
{
	char what[128];

	switch (j->step) {
	case NLJ_FLUSH_LIST:
		if (rc == EAGAIN)
			flush_next_round(j);
		else if (rc != 0) {
			log_fail(j, rc, "cannot list addresses", j->ifindex);
			flush_failed(j);
		} else if (j->nflush == 0) {
			j->flushed = 1;
			j->step = NLJ_MTU;
		} else {
			j->step = NLJ_FLUSH_DEL;
			j->idx = 0;
		}
		break;
	case NLJ_FLUSH_DEL:
		addr_deleted(j, rc);
		break;
	case NLJ_MTU:
		if (rc != 0)
			log_fail(j, rc, "cannot set the MTU", j->ifindex);
		j->step = NLJ_ADD4;
		break;
	case NLJ_ADD4:
	case NLJ_ADD6:
		addr_added(j, rc);
		break;
	case NLJ_UP:
		if (rc != 0)
			log_fail(j, rc, "cannot set the link up", j->ifindex);
		j->res.link_up = rc == 0;
		j->step = NLJ_RULE4_LIST;
		j->tries = 0;
		break;
	case NLJ_RULE4_LIST:
	case NLJ_RULE6_LIST:
		rule_listed(j, rc);
		break;
	case NLJ_RULE4_ADD:
	case NLJ_RULE6_ADD:
		rule_added(j, rc);
		break;
	case NLJ_ROUTE_DEL:
		if (rc != 0 && rc != ENOENT && rc != ESRCH && rc != ENODEV) {
			route_what(what, sizeof(what), "delete", &j->mem->r[j->idx]);
			log_fail(j, rc, what, j->mem->ifindex[j->idx]);
			/* Still ours: try again next time. */
			(void)remember(&j->keep, &j->mem->r[j->idx], j->mem->ifindex[j->idx]);
		}
		j->idx++;
		break;
	case NLJ_ROUTE_ADD:
		if (rc == 0 || rc == EEXIST) {
			if (remember(&j->keep, &j->set[j->idx], j->ifindex) < 0)
				log_warnx("netlink: link %u: too many routes to remember", j->ifindex);
		} else {
			route_what(what, sizeof(what), "add", &j->set[j->idx]);
			log_fail(j, rc, what, j->ifindex);
			j->routes_ok = 0;
		}
		j->idx++;
		break;
	default:
		break;
	}
}

static int
link_valid(uint32_t ifindex)
{
	return ifindex != 0 && ifindex <= INT_MAX;
}

void
netlink_job_iface(struct netlink_job *j, struct netlink_routes *mem, uint32_t ifindex,
    const uint8_t *v4, const uint8_t *v6)
{
	static const struct netlink_route fz_routes[2] = {
		{ .family = AF_INET, .plen = 11, .dst = { 100, 64 } },
		{ .family = AF_INET6, .plen = 107, .dst = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 } },
	};

	job_start(j, NETLINK_JOB_IFACE, mem, ifindex);
	if (mem == NULL || !link_valid(ifindex)) {
		job_refuse(j, "cannot configure the link");
		return;
	}
	if (v4 != NULL) {
		j->has_v4 = 1;
		memcpy(j->v4, v4, sizeof(j->v4));
	}
	if (v6 != NULL) {
		j->has_v6 = 1;
		memcpy(j->v6, v6, sizeof(j->v6));
	}
	/* §1.3: the routes are set whether or not the addresses were applied. */
	memcpy(j->set, fz_routes, sizeof(fz_routes));
	j->nset = 2;
	j->step = NLJ_FLUSH_LIST;
}

void
netlink_job_routes(struct netlink_job *j, struct netlink_routes *mem, uint32_t ifindex,
    const struct netlink_route *set, size_t n)
{
	size_t i;

	job_start(j, NETLINK_JOB_ROUTES, mem, ifindex);
	if (mem == NULL || !link_valid(ifindex) || n > NETLINK_ROUTES_MAX || (n > 0 && set == NULL)) {
		job_refuse(j, "cannot apply routes");
		return;
	}
	for (i = 0; i < n; i++) {
		if (!route_valid(&set[i])) {
			job_refuse(j, "refusing an invalid route");
			return;
		}
		j->set[i] = set[i];
	}
	j->nset = n;
	j->flushed = 1;
	job_to_routes(j);
}

int
netlink_job_next(struct netlink_job *j, uint8_t *buf, size_t cap)
{
	uint32_t seq;
	int len;

	while (!j->done && !j->waiting) {
		seq = netlink_next_seq();
		len = job_build(j, buf, cap, seq);
		if (j->done)
			return 0;
		if (len < 0) {
			job_answer(j, len);
			continue;
		}
		netlink_wait_init(&j->w, seq, j->dump);
		j->waiting = 1;
		return len;
	}
	return 0;
}

int
netlink_job_feed(struct netlink_job *j, const uint8_t *buf, size_t len)
{
	netlink_msg_cb cb = NULL;
	int rc;

	if (j->done || !j->waiting)
		return 0;
	if (j->step == NLJ_FLUSH_LIST)
		cb = flush_cb;
	else if (j->step == NLJ_RULE4_LIST || j->step == NLJ_RULE6_LIST)
		cb = rule_cb;
	if ((rc = netlink_wait_feed(&j->w, buf, len, cb, j)) == 0)
		return 0;
	j->waiting = 0;
	if (rc < 0)
		job_answer(j, rc);
	else if (j->w.dump && j->w.intr && j->w.err == 0)
		job_answer(j, EAGAIN);	/* inconsistent dump: list again */
	else
		job_answer(j, j->w.err);
	return 1;
}

void
netlink_job_fail(struct netlink_job *j, int rc, int err)
{
	if (j->done || !j->waiting)
		return;
	j->waiting = 0;
	j->io_errno = err;
	job_answer(j, rc);
}

void
netlink_job_abort(struct netlink_job *j)
{
	if (j->done)
		return;
	log_warnx("netlink: link %u: no answer from the kernel in time; the rest of the "
	    "configuration is skipped", j->ifindex);
	j->waiting = 0;
	job_finish(j, 0);
}

int
netlink_job_done(const struct netlink_job *j)
{
	return j->done;
}

int
netlink_job_result(const struct netlink_job *j, struct ipc_d2c_iface_result *res)
{
	if (res != NULL) {
		memset(res, 0, sizeof(*res));
		if (j->done)
			*res = j->res;
	}
	return j->done ? j->rc : -1;
}

/* ---- glue (socket I/O, never waiting) ---------------------------------- */

static union {
	struct nlmsghdr align;
	uint8_t b[NETLINK_RXBUF];
} nl_rx;

int
netlink_job_pump(int fd, struct netlink_job *j)
{
	uint8_t req[NETLINK_REQ_MAX];
	struct sockaddr_nl sa;
	struct iovec iov;
	struct msghdr mh;
	ssize_t r;
	int len, active;

	for (;;) {
		active = j != NULL && !j->done;
		if (active && !j->waiting) {
			if ((len = netlink_job_next(j, req, sizeof(req))) <= 0)
				continue;	/* the job ended */
			memset(&sa, 0, sizeof(sa));
			sa.nl_family = AF_NETLINK;
			do {
				r = sendto(fd, req, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&sa,
				    sizeof(sa));
			} while (r < 0 && errno == EINTR);
			if (r < 0)
				netlink_job_fail(j, NETLINK_E_IO, errno);
			else if (r != len)
				netlink_job_fail(j, NETLINK_E_IO, EMSGSIZE);
			continue;
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
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || !active)
				break;
			/* ENOBUFS: answers were lost; the request waited for fails. */
			netlink_job_fail(j, NETLINK_E_IO, errno);
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			if (active)
				netlink_job_fail(j, NETLINK_E_TRUNC, 0);
			continue;
		}
		/* Only the kernel (port 0) answers our requests. */
		if (!active || mh.msg_namelen < sizeof(sa) || sa.nl_family != AF_NETLINK ||
		    sa.nl_pid != 0)
			continue;
		(void)netlink_job_feed(j, nl_rx.b, (size_t)r);
	}
	return j == NULL || j->done;
}
