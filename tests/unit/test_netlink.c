/*
 * Unit suite for dataplane/netlink: request bytes from every builder, and
 * crafted kernel answers (acks, errors, multi-part dumps, truncated and
 * malformed datagrams) through the parser and the wait state machine, a
 * scripted kernel through the configuration job, and the pump on sockets
 * that never answer (it must never wait).  No rtnetlink socket is opened.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netlink.h"

/* ---- an independent writer for expected requests and crafted answers ---- */

struct craft {
	uint8_t b[8192];
	size_t len;
	size_t msg;	/* start of the message being written */
};

static void
c_init(struct craft *c)
{
	memset(c, 0, sizeof(*c));
}

static void
c_bytes(struct craft *c, const void *p, size_t n)
{
	ck_assert_uint_le(c->len + n + 3, sizeof(c->b));
	memcpy(c->b + c->len, p, n);
	c->len += n;
	while (c->len % 4)
		c->b[c->len++] = 0;
}

static void
c_msg(struct craft *c, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h;

	memset(&h, 0, sizeof(h));
	h.nlmsg_type = type;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = seq;
	c->msg = c->len;
	c_bytes(c, &h, sizeof(h));
}

static void
c_attr(struct craft *c, uint16_t type, const void *p, size_t n)
{
	struct rtattr ra;

	ra.rta_len = (unsigned short)(sizeof(ra) + n);
	ra.rta_type = type;
	memcpy(c->b + c->len, &ra, sizeof(ra));
	c->len += sizeof(ra);
	c_bytes(c, p, n);
}

static void
c_u32(struct craft *c, uint16_t type, uint32_t v)
{
	c_attr(c, type, &v, sizeof(v));
}

static void
c_end(struct craft *c)
{
	uint32_t l = (uint32_t)(c->len - c->msg);

	memcpy(c->b + c->msg, &l, sizeof(l));
}

/* An ack (err 0) or error answer to seq. */
static void
c_error(struct craft *c, uint32_t seq, int err)
{
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = -err;
	e.msg.nlmsg_len = sizeof(e.msg);
	e.msg.nlmsg_seq = seq;
	c_msg(c, NLMSG_ERROR, 0, seq);
	c_bytes(c, &e, sizeof(e));
	c_end(c);
}

static void
c_done(struct craft *c, uint32_t seq, int code, uint16_t flags)
{
	c_msg(c, NLMSG_DONE, NLM_F_MULTI | flags, seq);
	c_bytes(c, &code, sizeof(code));
	c_end(c);
}

/* A dumped address as the kernel sends it (with label and cacheinfo). */
static void
c_addr(struct craft *c, uint32_t seq, uint8_t family, uint8_t plen, uint32_t ifindex,
    const char *ip)
{
	struct ifaddrmsg ifa;
	struct ifa_cacheinfo ci;
	uint8_t a[16];
	size_t alen = family == AF_INET ? 4 : 16;

	ck_assert_int_eq(inet_pton(family, ip, a), 1);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = family;
	ifa.ifa_prefixlen = plen;
	ifa.ifa_index = ifindex;
	memset(&ci, 0, sizeof(ci));
	c_msg(c, RTM_NEWADDR, NLM_F_MULTI, seq);
	c_bytes(c, &ifa, sizeof(ifa));
	c_attr(c, IFA_ADDRESS, a, alen);
	c_attr(c, IFA_LOCAL, a, alen);
	c_attr(c, IFA_LABEL, "tun-firezone", 13);
	c_attr(c, IFA_CACHEINFO, &ci, sizeof(ci));
	c_end(c);
}

/* A dumped rule as a 6.x kernel sends it. */
struct rule_spec {
	uint8_t family, action, tos, src_len;
	uint32_t flags, table, mark, mask, suppress, prio;
	int with_iif;
};

static void
c_rule(struct craft *c, uint32_t seq, const struct rule_spec *s)
{
	struct fib_rule_hdr frh;
	uint8_t proto = RTPROT_KERNEL;

	memset(&frh, 0, sizeof(frh));
	frh.family = s->family;
	frh.action = s->action;
	frh.tos = s->tos;
	frh.src_len = s->src_len;
	frh.flags = s->flags;
	frh.table = s->table < 256 ? (uint8_t)s->table : RT_TABLE_COMPAT;
	c_msg(c, RTM_NEWRULE, NLM_F_MULTI, seq);
	c_bytes(c, &frh, sizeof(frh));
	c_u32(c, FRA_TABLE, s->table);
	c_u32(c, FRA_SUPPRESS_PREFIXLEN, s->suppress);
	c_attr(c, FRA_PROTOCOL, &proto, 1);
	if (s->prio)
		c_u32(c, FRA_PRIORITY, s->prio);
	if (s->mark)
		c_u32(c, FRA_FWMARK, s->mark);
	if (s->mark || s->mask)
		c_u32(c, FRA_FWMASK, s->mask);
	if (s->with_iif)
		c_attr(c, FRA_IIFNAME, "eth0", 5);
	c_end(c);
}

static const struct rule_spec fz_rule_v4 = {
	.family = AF_INET, .action = FR_ACT_TO_TBL, .flags = FIB_RULE_INVERT,
	.table = NETLINK_FZ_TABLE, .mark = NETLINK_FZ_MARK, .mask = 0xffffffffu,
	.suppress = 0xffffffffu, .prio = 32765,
};

/* Copy into an exactly sized heap block so ASan sees any over-read. */
static uint8_t *
dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

static struct nlmsghdr
hdr_of(const uint8_t *b)
{
	struct nlmsghdr h;

	memcpy(&h, b, sizeof(h));
	return h;
}

/* ---- builders ------------------------------------------------------------ */

START_TEST(build_getaddr_bytes)
{
	uint8_t b[64];
	struct craft c;
	struct ifaddrmsg ifa;
	int n = netlink_build_getaddr(b, sizeof(b), 7);

	c_init(&c);
	memset(&ifa, 0, sizeof(ifa));
	c_msg(&c, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 7);
	c_bytes(&c, &ifa, sizeof(ifa));
	c_end(&c);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_int_eq(n, 24);
	ck_assert_mem_eq(b, c.b, c.len);
}
END_TEST

START_TEST(build_addr_bytes)
{
	struct netlink_addr a;
	struct ifaddrmsg ifa;
	struct craft c;
	uint8_t b[128];
	int n;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.plen = 32;
	a.ifindex = 5;
	inet_pton(AF_INET, "100.64.0.5", a.local);
	inet_pton(AF_INET, "100.64.0.5", a.address);
	a.has_local = a.has_address = 1;
	n = netlink_build_addr(b, sizeof(b), 9, RTM_NEWADDR, &a);

	c_init(&c);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = AF_INET;
	ifa.ifa_prefixlen = 32;
	ifa.ifa_index = 5;
	c_msg(&c, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 9);
	c_bytes(&c, &ifa, sizeof(ifa));
	c_attr(&c, IFA_LOCAL, a.local, 4);
	c_attr(&c, IFA_ADDRESS, a.address, 4);
	c_end(&c);
	ck_assert_int_eq(n, 40);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_mem_eq(b, c.b, c.len);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		static const uint8_t want[40] = {
			40, 0, 0, 0, RTM_NEWADDR, 0, 0x05, 0x06, 9, 0, 0, 0, 0, 0, 0, 0,
			AF_INET, 32, 0, 0, 5, 0, 0, 0,
			8, 0, IFA_LOCAL, 0, 100, 64, 0, 5,
			8, 0, IFA_ADDRESS, 0, 100, 64, 0, 5,
		};
		ck_assert_mem_eq(b, want, sizeof(want));
	}
#endif

	/* Deleting an IPv6 address with IFA_ADDRESS only. */
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.plen = 64;
	a.ifindex = 3;
	inet_pton(AF_INET6, "fe80::1", a.address);
	a.has_address = 1;
	n = netlink_build_addr(b, sizeof(b), 10, RTM_DELADDR, &a);
	c_init(&c);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = AF_INET6;
	ifa.ifa_prefixlen = 64;
	ifa.ifa_index = 3;
	c_msg(&c, RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, 10);
	c_bytes(&c, &ifa, sizeof(ifa));
	c_attr(&c, IFA_ADDRESS, a.address, 16);
	c_end(&c);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_mem_eq(b, c.b, c.len);

	/* Refused arguments. */
	ck_assert_int_eq(netlink_build_addr(b, sizeof(b), 1, RTM_NEWLINK, &a), NETLINK_E_INVAL);
	ck_assert_int_eq(netlink_build_addr(b, sizeof(b), 1, RTM_NEWADDR, NULL), NETLINK_E_INVAL);
	a.plen = 129;
	ck_assert_int_eq(netlink_build_addr(b, sizeof(b), 1, RTM_NEWADDR, &a), NETLINK_E_INVAL);
	a.family = AF_INET;
	a.plen = 33;
	ck_assert_int_eq(netlink_build_addr(b, sizeof(b), 1, RTM_NEWADDR, &a), NETLINK_E_INVAL);
	a.family = AF_UNIX;
	a.plen = 0;
	ck_assert_int_eq(netlink_build_addr(b, sizeof(b), 1, RTM_NEWADDR, &a), NETLINK_E_INVAL);
}
END_TEST

START_TEST(build_link_bytes)
{
	struct ifinfomsg ifi;
	struct craft c;
	uint8_t b[128];
	int n;

	/* MTU only: nothing about the flags. */
	n = netlink_build_link(b, sizeof(b), 11, 4, 1280, -1);
	c_init(&c);
	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_index = 4;
	c_msg(&c, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 11);
	c_bytes(&c, &ifi, sizeof(ifi));
	c_u32(&c, IFLA_MTU, 1280);
	c_end(&c);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_mem_eq(b, c.b, c.len);

	/* Up only: IFF_UP in flags and change, no attribute. */
	n = netlink_build_link(b, sizeof(b), 12, 4, 0, 1);
	c_init(&c);
	ifi.ifi_flags = IFF_UP;
	ifi.ifi_change = IFF_UP;
	c_msg(&c, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 12);
	c_bytes(&c, &ifi, sizeof(ifi));
	c_end(&c);
	ck_assert_int_eq(n, 32);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_mem_eq(b, c.b, c.len);

	/* Down. */
	n = netlink_build_link(b, sizeof(b), 13, 4, 0, 0);
	ck_assert_int_eq(n, 32);
	memcpy(&ifi, b + NLMSG_HDRLEN, sizeof(ifi));
	ck_assert_uint_eq(ifi.ifi_flags, 0);
	ck_assert_uint_eq(ifi.ifi_change, IFF_UP);

	ck_assert_int_eq(netlink_build_link(b, sizeof(b), 1, 0, 1280, 1), NETLINK_E_INVAL);
	ck_assert_int_eq(netlink_build_link(b, sizeof(b), 1, 0x80000000u, 1280, 1), NETLINK_E_INVAL);
}
END_TEST

START_TEST(build_rule_bytes)
{
	struct fib_rule_hdr frh;
	struct craft c;
	uint8_t b[128], proto = RTPROT_KERNEL;
	int n, fam;

	for (fam = 0; fam < 2; fam++) {
		uint8_t family = fam ? AF_INET6 : AF_INET;

		n = netlink_build_fz_rule(b, sizeof(b), 21, family);
		c_init(&c);
		memset(&frh, 0, sizeof(frh));
		frh.family = family;
		frh.action = FR_ACT_TO_TBL;
		frh.flags = FIB_RULE_INVERT;
		c_msg(&c, RTM_NEWRULE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 21);
		c_bytes(&c, &frh, sizeof(frh));
		c_u32(&c, FRA_FWMARK, 0xfd002021u);
		c_u32(&c, FRA_FWMASK, 0xffffffffu);
		c_u32(&c, FRA_TABLE, 539098368u);
		c_attr(&c, FRA_PROTOCOL, &proto, 1);
		c_end(&c);
		ck_assert_int_eq(n, 60);
		ck_assert_int_eq(n, (int)c.len);
		ck_assert_mem_eq(b, c.b, c.len);
		/* No FRA_PRIORITY: the kernel picks one. */
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		static const uint8_t tail[32] = {
			8, 0, FRA_FWMARK, 0, 0x21, 0x20, 0x00, 0xfd,
			8, 0, FRA_FWMASK, 0, 0xff, 0xff, 0xff, 0xff,
			8, 0, FRA_TABLE, 0, 0x00, 0xfd, 0x21, 0x20,
			5, 0, FRA_PROTOCOL, 0, RTPROT_KERNEL, 0, 0, 0,
		};
		ck_assert_mem_eq(b + 28, tail, sizeof(tail));
	}
#endif

	n = netlink_build_getrule(b, sizeof(b), 22, AF_INET6);
	c_init(&c);
	memset(&frh, 0, sizeof(frh));
	frh.family = AF_INET6;
	c_msg(&c, RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP, 22);
	c_bytes(&c, &frh, sizeof(frh));
	c_end(&c);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_mem_eq(b, c.b, c.len);

	ck_assert_int_eq(netlink_build_fz_rule(b, sizeof(b), 1, AF_UNSPEC), NETLINK_E_INVAL);
	ck_assert_int_eq(netlink_build_getrule(b, sizeof(b), 1, AF_PACKET), NETLINK_E_INVAL);
}
END_TEST

START_TEST(build_route_bytes)
{
	struct netlink_route r;
	struct rtmsg rtm;
	struct craft c;
	uint8_t b[128];
	int n;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.plen = 11;
	inet_pton(AF_INET, "100.64.0.0", r.dst);
	n = netlink_build_route(b, sizeof(b), 31, RTM_NEWROUTE, 6, &r);
	c_init(&c);
	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = AF_INET;
	rtm.rtm_dst_len = 11;
	rtm.rtm_table = RT_TABLE_UNSPEC;
	rtm.rtm_protocol = RTPROT_STATIC;
	rtm.rtm_scope = RT_SCOPE_UNIVERSE;
	rtm.rtm_type = RTN_UNICAST;
	c_msg(&c, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 31);
	c_bytes(&c, &rtm, sizeof(rtm));
	c_attr(&c, RTA_DST, r.dst, 4);
	c_u32(&c, RTA_OIF, 6);
	c_u32(&c, RTA_TABLE, 539098368u);
	c_end(&c);
	ck_assert_int_eq(n, 52);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_mem_eq(b, c.b, c.len);

	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.plen = 107;
	inet_pton(AF_INET6, "fd00:2021:1111::", r.dst);
	n = netlink_build_route(b, sizeof(b), 32, RTM_DELROUTE, 6, &r);
	c_init(&c);
	rtm.rtm_family = AF_INET6;
	rtm.rtm_dst_len = 107;
	c_msg(&c, RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, 32);
	c_bytes(&c, &rtm, sizeof(rtm));
	c_attr(&c, RTA_DST, r.dst, 16);
	c_u32(&c, RTA_OIF, 6);
	c_u32(&c, RTA_TABLE, 539098368u);
	c_end(&c);
	ck_assert_int_eq(n, (int)c.len);
	ck_assert_mem_eq(b, c.b, c.len);

	/* Host bits, prefix length, family, type and link are checked. */
	inet_pton(AF_INET6, "fd00:2021:1111::20", r.dst);	/* bit 122 set, inside /107 host part */
	ck_assert_int_eq(netlink_build_route(b, sizeof(b), 1, RTM_NEWROUTE, 6, &r), NETLINK_E_INVAL);
	inet_pton(AF_INET6, "fd00:2021:1111::", r.dst);
	r.plen = 129;
	ck_assert_int_eq(netlink_build_route(b, sizeof(b), 1, RTM_NEWROUTE, 6, &r), NETLINK_E_INVAL);
	r.plen = 107;
	ck_assert_int_eq(netlink_build_route(b, sizeof(b), 1, RTM_NEWROUTE, 0, &r), NETLINK_E_INVAL);
	ck_assert_int_eq(netlink_build_route(b, sizeof(b), 1, RTM_GETROUTE, 6, &r), NETLINK_E_INVAL);
	ck_assert_int_eq(netlink_build_route(b, sizeof(b), 1, RTM_NEWROUTE, 6, NULL), NETLINK_E_INVAL);
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.plen = 11;
	inet_pton(AF_INET, "100.64.0.1", r.dst);
	ck_assert_int_eq(netlink_build_route(b, sizeof(b), 1, RTM_NEWROUTE, 6, &r), NETLINK_E_INVAL);
	inet_pton(AF_INET, "100.95.0.0", r.dst);	/* 100.64.0.0/11 includes .95: bits below 11 set */
	ck_assert_int_eq(netlink_build_route(b, sizeof(b), 1, RTM_NEWROUTE, 6, &r), NETLINK_E_INVAL);
	r.plen = 0;
	memset(r.dst, 0, sizeof(r.dst));
	ck_assert_int_gt(netlink_build_route(b, sizeof(b), 1, RTM_NEWROUTE, 6, &r), 0);
}
END_TEST

/* Every builder refuses a short buffer without writing past it. */
START_TEST(build_short_buffers)
{
	struct netlink_addr a;
	struct netlink_route r;
	uint8_t b[256 + 16];
	int full, cap, i, k;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.plen = 128;
	a.ifindex = 2;
	a.has_local = a.has_address = 1;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.plen = 107;
	inet_pton(AF_INET6, "fd00:2021:1111::", r.dst);
	for (k = 0; k < 7; k++) {
		for (cap = 0; cap <= 256; cap++) {
			memset(b, 0xaa, sizeof(b));
			switch (k) {
			case 0: full = netlink_build_getaddr(b, (size_t)cap, 1); break;
			case 1: full = netlink_build_addr(b, (size_t)cap, 1, RTM_NEWADDR, &a); break;
			case 2: full = netlink_build_link(b, (size_t)cap, 1, 2, 1280, 1); break;
			case 3: full = netlink_build_getrule(b, (size_t)cap, 1, AF_INET); break;
			case 4: full = netlink_build_fz_rule(b, (size_t)cap, 1, AF_INET6); break;
			case 5: full = netlink_build_route(b, (size_t)cap, 1, RTM_NEWROUTE, 2, &r); break;
			default: full = netlink_build_route(b, (size_t)cap, 1, RTM_DELROUTE, 2, &r); break;
			}
			for (i = cap; i < (int)sizeof(b); i++)
				ck_assert_uint_eq(b[i], 0xaa);
			if (full > 0) {
				ck_assert_int_le(full, cap);
				ck_assert_uint_eq(hdr_of(b).nlmsg_len, (uint32_t)full);
				ck_assert_int_eq(full % 4, 0);
				break;
			}
			ck_assert_int_eq(full, NETLINK_E_NOSPACE);
		}
		ck_assert_int_gt(full, 0);
	}
	ck_assert_int_eq(netlink_build_getaddr(NULL, 64, 1), NETLINK_E_NOSPACE);
}
END_TEST

/* What the builders write is what the parser reads back. */
START_TEST(build_parse_roundtrip)
{
	struct netlink_addr a, p;
	struct netlink_rule rule;
	struct netlink_msg m;
	uint8_t b[128];
	size_t off = 0;
	int n;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.plen = 128;
	a.ifindex = 77;
	inet_pton(AF_INET6, "fd00:2021:1111::5", a.local);
	memcpy(a.address, a.local, 16);
	a.has_local = a.has_address = 1;
	n = netlink_build_addr(b, sizeof(b), 3, RTM_NEWADDR, &a);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(netlink_msg_next(b, (size_t)n, &off, &m), 1);
	ck_assert_uint_eq(m.seq, 3);
	ck_assert_int_eq(netlink_parse_addr(&m, &p), NETLINK_OK);
	ck_assert_mem_eq(&p, &a, sizeof(a));
	ck_assert_int_eq(netlink_msg_next(b, (size_t)n, &off, &m), 0);

	n = netlink_build_fz_rule(b, sizeof(b), 4, AF_INET6);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(b, (size_t)n, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_rule(&m, &rule), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&rule, AF_INET6), 1);
	ck_assert_int_eq(netlink_rule_is_fz(&rule, AF_INET), 0);
	ck_assert_uint_eq(rule.protocol, RTPROT_KERNEL);
}
END_TEST

/* ---- parser ---------------------------------------------------------------- */

START_TEST(msg_next_lengths)
{
	struct netlink_msg m;
	struct craft c;
	struct nlmsghdr h;
	uint8_t *q;
	size_t off;

	off = 0;
	ck_assert_int_eq(netlink_msg_next(NULL, 0, &off, &m), 0);
	c_init(&c);
	ck_assert_int_eq(netlink_msg_next(c.b, 0, &off, &m), 0);
	/* Shorter than a header. */
	ck_assert_int_eq(netlink_msg_next(c.b, 15, &off, &m), NETLINK_E_TRUNC);
	/* nlmsg_len below the header size, and 0 (would loop forever). */
	memset(&h, 0, sizeof(h));
	h.nlmsg_len = 8;
	memcpy(c.b, &h, sizeof(h));
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, 16, &off, &m), NETLINK_E_MALFORMED);
	h.nlmsg_len = 0;
	memcpy(c.b, &h, sizeof(h));
	ck_assert_int_eq(netlink_msg_next(c.b, 16, &off, &m), NETLINK_E_MALFORMED);
	/* nlmsg_len past the end of the datagram. */
	h.nlmsg_len = 17;
	memcpy(c.b, &h, sizeof(h));
	ck_assert_int_eq(netlink_msg_next(c.b, 16, &off, &m), NETLINK_E_TRUNC);
	h.nlmsg_len = 0xffffffffu;
	memcpy(c.b, &h, sizeof(h));
	ck_assert_int_eq(netlink_msg_next(c.b, 16, &off, &m), NETLINK_E_TRUNC);
	ck_assert_uint_eq(off, 0);

	/* Two messages, the first with an unaligned length and its padding,
	 * the last unaligned without padding. */
	c_init(&c);
	c_msg(&c, 100, 0, 1);
	c_bytes(&c, "abcde", 5);
	memcpy(c.b, &(uint32_t){ 21 }, 4);
	c_msg(&c, 101, 0, 2);
	memcpy(c.b + c.len, "xyz", 3);
	c.len += 3;
	c_end(&c);
	ck_assert_uint_eq(c.len, 24 + 19);
	q = dup_exact(c.b, c.len);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(q, c.len, &off, &m), 1);
	ck_assert_uint_eq(m.type, 100);
	ck_assert_uint_eq(m.payload_len, 5);
	ck_assert_mem_eq(m.payload, "abcde", 5);
	ck_assert_uint_eq(off, 24);
	ck_assert_int_eq(netlink_msg_next(q, c.len, &off, &m), 1);
	ck_assert_uint_eq(m.type, 101);
	ck_assert_uint_eq(m.seq, 2);
	ck_assert_uint_eq(m.payload_len, 3);
	ck_assert_uint_eq(off, c.len);
	ck_assert_int_eq(netlink_msg_next(q, c.len, &off, &m), 0);
	free(q);

	/* Trailing bytes too short for a header. */
	c_init(&c);
	c_msg(&c, 100, 0, 1);
	c_end(&c);
	c.len += 4;
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), NETLINK_E_TRUNC);
}
END_TEST

START_TEST(attr_next_lengths)
{
	struct netlink_attr a;
	struct rtattr ra;
	uint8_t b[32] = { 0 };
	size_t off = 0;

	ck_assert_int_eq(netlink_attr_next(b, 0, &off, &a), 0);
	ck_assert_int_eq(netlink_attr_next(b, 3, &off, &a), NETLINK_E_TRUNC);
	ra.rta_len = 3;
	ra.rta_type = 1;
	memcpy(b, &ra, sizeof(ra));
	ck_assert_int_eq(netlink_attr_next(b, 8, &off, &a), NETLINK_E_MALFORMED);
	ra.rta_len = 9;
	memcpy(b, &ra, sizeof(ra));
	ck_assert_int_eq(netlink_attr_next(b, 8, &off, &a), NETLINK_E_TRUNC);
	/* An empty attribute, then a 1-byte one without its padding. */
	ra.rta_len = 4;
	ra.rta_type = 2;
	memcpy(b, &ra, sizeof(ra));
	ra.rta_len = 5;
	ra.rta_type = 3;
	memcpy(b + 4, &ra, sizeof(ra));
	b[8] = 0x42;
	ck_assert_int_eq(netlink_attr_next(b, 9, &off, &a), 1);
	ck_assert_uint_eq(a.type, 2);
	ck_assert_uint_eq(a.len, 0);
	ck_assert_int_eq(netlink_attr_next(b, 9, &off, &a), 1);
	ck_assert_uint_eq(a.type, 3);
	ck_assert_uint_eq(a.len, 1);
	ck_assert_uint_eq(a.data[0], 0x42);
	ck_assert_uint_eq(off, 9);
	ck_assert_int_eq(netlink_attr_next(b, 9, &off, &a), 0);
}
END_TEST

START_TEST(parse_error_codes)
{
	struct netlink_msg m;
	struct craft c;
	size_t off = 0;
	int err = -1;

	c_init(&c);
	c_error(&c, 5, 0);
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_error(&m, &err), NETLINK_OK);
	ck_assert_int_eq(err, 0);

	c_init(&c);
	c_error(&c, 5, EEXIST);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_error(&m, &err), NETLINK_OK);
	ck_assert_int_eq(err, EEXIST);

	/* A positive code and one beyond the errno range are impossible. */
	c_init(&c);
	c_error(&c, 5, -1);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_error(&m, &err), NETLINK_E_MALFORMED);
	c_init(&c);
	c_error(&c, 5, 5000);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_error(&m, &err), NETLINK_E_MALFORMED);

	/* Shorter than struct nlmsgerr, at every length. */
	c_init(&c);
	c_error(&c, 5, 0);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	for (m.payload_len = 0; m.payload_len < sizeof(struct nlmsgerr); m.payload_len++)
		ck_assert_int_eq(netlink_parse_error(&m, &err), NETLINK_E_TRUNC);
	m.type = NLMSG_DONE;
	ck_assert_int_eq(netlink_parse_error(&m, &err), NETLINK_E_INVAL);
	ck_assert_int_eq(netlink_parse_error(NULL, &err), NETLINK_E_INVAL);
}
END_TEST

START_TEST(parse_addr_checks)
{
	struct netlink_addr a;
	struct netlink_msg m;
	struct ifaddrmsg ifa;
	struct craft c;
	uint8_t ip[16];
	size_t off = 0, cut;
	uint8_t *q;
	int rc;

	c_init(&c);
	c_addr(&c, 1, AF_INET6, 64, 9, "fe80::1234");
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_addr(&m, &a), NETLINK_OK);
	inet_pton(AF_INET6, "fe80::1234", ip);
	ck_assert_uint_eq(a.family, AF_INET6);
	ck_assert_uint_eq(a.plen, 64);
	ck_assert_uint_eq(a.ifindex, 9);
	ck_assert(a.has_local && a.has_address);
	ck_assert_mem_eq(a.local, ip, 16);
	ck_assert_mem_eq(a.address, ip, 16);

	/* Every truncation of the message: a clean error or a shorter parse. */
	for (cut = 0; cut < c.len; cut++) {
		q = dup_exact(c.b, cut);
		off = 0;
		rc = netlink_msg_next(q, cut, &off, &m);
		ck_assert_int_le(rc, 0);
		/* Also lie inside the message: payload shorter than its attributes. */
		if (cut >= NLMSG_HDRLEN) {
			m.type = RTM_NEWADDR;
			m.payload = q + NLMSG_HDRLEN;
			m.payload_len = cut - NLMSG_HDRLEN;
			rc = netlink_parse_addr(&m, &a);
			ck_assert(rc == NETLINK_OK || rc == NETLINK_E_TRUNC);
			if (m.payload_len < NLMSG_ALIGN(sizeof(ifa)))
				ck_assert_int_eq(rc, NETLINK_E_TRUNC);
		}
		free(q);
	}

	/* IFA_LOCAL of the wrong size. */
	c_init(&c);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = AF_INET;
	ifa.ifa_prefixlen = 32;
	ifa.ifa_index = 2;
	c_msg(&c, RTM_NEWADDR, NLM_F_MULTI, 1);
	c_bytes(&c, &ifa, sizeof(ifa));
	c_attr(&c, IFA_LOCAL, "\x0a\x00\x00", 3);
	c_end(&c);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_addr(&m, &a), NETLINK_E_MALFORMED);

	/* An attribute whose rta_len is below its own header. */
	c_init(&c);
	c_msg(&c, RTM_NEWADDR, NLM_F_MULTI, 1);
	c_bytes(&c, &ifa, sizeof(ifa));
	c_bytes(&c, "\x02\x00\x01\x00", 4);
	c_end(&c);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_addr(&m, &a), NETLINK_E_MALFORMED);

	/* A prefix length beyond the family. */
	c_init(&c);
	c_addr(&c, 1, AF_INET, 33, 2, "10.0.0.1");
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_addr(&m, &a), NETLINK_E_MALFORMED);

	/* Other families and types are not addresses we handle. */
	c_init(&c);
	ifa.ifa_family = AF_PACKET;
	c_msg(&c, RTM_NEWADDR, NLM_F_MULTI, 1);
	c_bytes(&c, &ifa, sizeof(ifa));
	c_end(&c);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_addr(&m, &a), NETLINK_E_INVAL);
	m.type = RTM_NEWLINK;
	ck_assert_int_eq(netlink_parse_addr(&m, &a), NETLINK_E_INVAL);
}
END_TEST

static int
parse_one_rule(const struct rule_spec *s, struct netlink_rule *r)
{
	struct netlink_msg m;
	struct craft c;
	size_t off = 0;

	c_init(&c);
	c_rule(&c, 1, s);
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	return netlink_parse_rule(&m, r);
}

START_TEST(parse_rule_match)
{
	struct netlink_rule r;
	struct rule_spec s;

	/* Ours, as a 6.x kernel dumps it (suppress_prefixlen -1 always there). */
	ck_assert_int_eq(parse_one_rule(&fz_rule_v4, &r), NETLINK_OK);
	ck_assert_uint_eq(r.table, NETLINK_FZ_TABLE);
	ck_assert_uint_eq(r.fwmark, NETLINK_FZ_MARK);
	ck_assert_uint_eq(r.priority, 32765);
	ck_assert_uint_eq(r.protocol, RTPROT_KERNEL);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 1);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET6), 0);
	ck_assert_int_eq(netlink_rule_is_fz(NULL, AF_INET), 0);
	s = fz_rule_v4;
	s.family = AF_INET6;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET6), 1);

	/* The default rules are not ours. */
	s = (struct rule_spec){ .family = AF_INET, .action = FR_ACT_TO_TBL, .table = 254,
		.suppress = 0xffffffffu, .prio = 32766 };
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);

	/* Each difference makes it another rule. */
	s = fz_rule_v4;
	s.flags = 0;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.mark = 0xfd002022u;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.mask = 0xffff;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.table = 254;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.action = FR_ACT_BLACKHOLE;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.suppress = 0;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.with_iif = 1;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.tos = 0x10;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	s = fz_rule_v4;
	s.src_len = 8;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	/* A fwmark rule without its mask attribute is not ours either. */
	s = fz_rule_v4;
	s.mark = 0;
	s.mask = 0;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_OK);
	ck_assert_int_eq(netlink_rule_is_fz(&r, AF_INET), 0);
	/* Unknown families are skipped. */
	s = fz_rule_v4;
	s.family = AF_BRIDGE;
	ck_assert_int_eq(parse_one_rule(&s, &r), NETLINK_E_INVAL);
}
END_TEST

START_TEST(parse_rule_malformed)
{
	struct netlink_rule r;
	struct netlink_msg m;
	struct fib_rule_hdr frh;
	struct craft c;
	size_t off;
	uint32_t v = 1;

	memset(&frh, 0, sizeof(frh));
	frh.family = AF_INET;
	/* FRA_TABLE of 2 bytes, FRA_PROTOCOL of 4, FRA_L3MDEV of 2. */
	c_init(&c);
	c_msg(&c, RTM_NEWRULE, NLM_F_MULTI, 1);
	c_bytes(&c, &frh, sizeof(frh));
	c_attr(&c, FRA_TABLE, &v, 2);
	c_end(&c);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_rule(&m, &r), NETLINK_E_MALFORMED);
	c_init(&c);
	c_msg(&c, RTM_NEWRULE, NLM_F_MULTI, 1);
	c_bytes(&c, &frh, sizeof(frh));
	c_u32(&c, FRA_PROTOCOL, 4);
	c_end(&c);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_rule(&m, &r), NETLINK_E_MALFORMED);
	c_init(&c);
	c_msg(&c, RTM_NEWRULE, NLM_F_MULTI, 1);
	c_bytes(&c, &frh, sizeof(frh));
	c_attr(&c, FRA_L3MDEV, &v, 2);
	c_end(&c);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_rule(&m, &r), NETLINK_E_MALFORMED);
	/* FRA_SUPPRESS_PREFIXLEN of 1 byte. */
	c_init(&c);
	c_msg(&c, RTM_NEWRULE, NLM_F_MULTI, 1);
	c_bytes(&c, &frh, sizeof(frh));
	c_attr(&c, FRA_SUPPRESS_PREFIXLEN, &v, 1);
	c_end(&c);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	ck_assert_int_eq(netlink_parse_rule(&m, &r), NETLINK_E_MALFORMED);
	/* Header cut short, attributes cut short. */
	c_init(&c);
	c_rule(&c, 1, &fz_rule_v4);
	off = 0;
	ck_assert_int_eq(netlink_msg_next(c.b, c.len, &off, &m), 1);
	m.payload_len = sizeof(frh) - 1;
	ck_assert_int_eq(netlink_parse_rule(&m, &r), NETLINK_E_TRUNC);
	m.payload_len = sizeof(frh) + 6;
	ck_assert_int_eq(netlink_parse_rule(&m, &r), NETLINK_E_TRUNC);
	m.type = RTM_NEWROUTE;
	ck_assert_int_eq(netlink_parse_rule(&m, &r), NETLINK_E_INVAL);
}
END_TEST

/* ---- the wait state machine ---------------------------------------------- */

struct seen {
	unsigned int n;
	uint32_t ifindex_sum;
	int refuse_at;	/* callback returns negative at this count (0: never) */
};

static int
seen_cb(const struct netlink_msg *m, void *arg)
{
	struct seen *s = arg;
	struct netlink_addr a;

	s->n++;
	if (s->refuse_at != 0 && s->n == (unsigned int)s->refuse_at)
		return NETLINK_E_MALFORMED;
	if (netlink_parse_addr(m, &a) == NETLINK_OK)
		s->ifindex_sum += a.ifindex;
	return 0;
}

START_TEST(wait_ack)
{
	struct netlink_wait w;
	struct craft c;

	/* A stale answer (seq 41) before ours (seq 42). */
	netlink_wait_init(&w, 42, 0);
	c_init(&c);
	c_error(&c, 41, EPERM);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 0);
	ck_assert(!w.done);
	c_init(&c);
	c_error(&c, 41, EPERM);
	c_error(&c, 42, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);
	ck_assert(w.done);
	ck_assert_int_eq(w.err, 0);
	/* Once done, more input changes nothing. */
	c_init(&c);
	c_error(&c, 42, EINVAL);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);
	ck_assert_int_eq(w.err, 0);

	netlink_wait_init(&w, 43, 0);
	c_init(&c);
	c_error(&c, 43, EEXIST);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);
	ck_assert_int_eq(w.err, EEXIST);

	/* NOOP, a DONE and a data message mean nothing to an ack wait. */
	netlink_wait_init(&w, 44, 0);
	c_init(&c);
	c_msg(&c, NLMSG_NOOP, 0, 44);
	c_end(&c);
	c_done(&c, 44, 0, 0);
	c_addr(&c, 44, AF_INET, 32, 1, "10.0.0.1");
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 0);
	ck_assert(!w.done);

	/* Overrun ends the wait with ENOBUFS. */
	c_init(&c);
	c_msg(&c, NLMSG_OVERRUN, 0, 44);
	c_end(&c);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);
	ck_assert_int_eq(w.err, ENOBUFS);
}
END_TEST

START_TEST(wait_dump)
{
	struct netlink_wait w;
	struct seen s;
	struct craft c;

	memset(&s, 0, sizeof(s));
	netlink_wait_init(&w, 7, 1);
	/* First datagram: two addresses and one of an older dump. */
	c_init(&c);
	c_addr(&c, 7, AF_INET, 32, 2, "100.64.0.5");
	c_addr(&c, 6, AF_INET, 32, 100, "10.0.0.1");
	c_addr(&c, 7, AF_INET6, 128, 2, "fd00:2021:1111::5");
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, seen_cb, &s), 0);
	/* Second: one more (flagged interrupted), then DONE. */
	c_init(&c);
	c_addr(&c, 7, AF_INET6, 64, 3, "fe80::1");
	memcpy(c.b + 6, &(uint16_t){ NLM_F_MULTI | NLM_F_DUMP_INTR }, 2);
	c_done(&c, 7, 0, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, seen_cb, &s), 1);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(w.parts, 3);
	ck_assert_uint_eq(s.ifindex_sum, 7);
	ck_assert_int_eq(w.err, 0);
	ck_assert_int_eq(w.intr, 1);

	/* DONE carrying an error code; DONE without a payload. */
	netlink_wait_init(&w, 8, 1);
	c_init(&c);
	c_done(&c, 8, -EBUSY, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);
	ck_assert_int_eq(w.err, EBUSY);
	netlink_wait_init(&w, 9, 1);
	c_init(&c);
	c_msg(&c, NLMSG_DONE, NLM_F_MULTI, 9);
	c_end(&c);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);
	ck_assert_int_eq(w.err, 0);
	/* DONE with an impossible code. */
	netlink_wait_init(&w, 10, 1);
	c_init(&c);
	c_done(&c, 10, 3, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), NETLINK_E_MALFORMED);
	/* An error instead of a dump (e.g. EPERM). */
	netlink_wait_init(&w, 11, 1);
	c_init(&c);
	c_error(&c, 11, EPERM);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);
	ck_assert_int_eq(w.err, EPERM);

	/* The callback refusing a part aborts. */
	memset(&s, 0, sizeof(s));
	s.refuse_at = 2;
	netlink_wait_init(&w, 12, 1);
	c_init(&c);
	c_addr(&c, 12, AF_INET, 32, 2, "100.64.0.5");
	c_addr(&c, 12, AF_INET, 32, 2, "100.64.0.6");
	c_addr(&c, 12, AF_INET, 32, 2, "100.64.0.7");
	c_done(&c, 12, 0, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, seen_cb, &s), NETLINK_E_ABORT);
	ck_assert_uint_eq(s.n, 2);
	ck_assert(!w.done);

	/* Reserved control types below NLMSG_MIN_TYPE are not dump parts. */
	memset(&s, 0, sizeof(s));
	netlink_wait_init(&w, 13, 1);
	c_init(&c);
	c_msg(&c, 5, NLM_F_MULTI, 13);
	c_end(&c);
	c_done(&c, 13, 0, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, seen_cb, &s), 1);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(wait_malformed)
{
	struct netlink_wait w;
	struct craft c;
	struct seen s;
	size_t cut;
	uint8_t *q;
	int rc;

	/* Every truncation of a dump answer: 0 (more needed), or an error. */
	c_init(&c);
	c_addr(&c, 3, AF_INET, 32, 2, "100.64.0.5");
	c_rule(&c, 3, &fz_rule_v4);
	c_error(&c, 3, 0);
	for (cut = 0; cut < c.len; cut++) {
		memset(&s, 0, sizeof(s));
		netlink_wait_init(&w, 3, 1);
		q = dup_exact(c.b, cut);
		rc = netlink_wait_feed(&w, q, cut, seen_cb, &s);
		ck_assert(rc == 0 || rc == NETLINK_E_TRUNC);
		ck_assert(!w.done);
		free(q);
	}
	netlink_wait_init(&w, 3, 1);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), 1);

	/* An error message too short for struct nlmsgerr. */
	c_init(&c);
	c_msg(&c, NLMSG_ERROR, 0, 4);
	c_bytes(&c, &(int){ 0 }, sizeof(int));
	c_end(&c);
	netlink_wait_init(&w, 4, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, c.len, NULL, NULL), NETLINK_E_TRUNC);
	ck_assert(!w.done);

	/* A zero nlmsg_len must not loop. */
	memset(c.b, 0, 64);
	netlink_wait_init(&w, 0, 0);
	ck_assert_int_eq(netlink_wait_feed(&w, c.b, 64, NULL, NULL), NETLINK_E_MALFORMED);
}
END_TEST

/* Random bytes and random mutations of a real-looking dump never crash. */
START_TEST(wait_random)
{
	struct netlink_wait w;
	struct craft c, base;
	struct seen s;
	struct netlink_rule r;
	struct netlink_msg m;
	unsigned int seed = 12345, i, k, nmut;
	size_t len, off;
	uint8_t *q;

	c_init(&base);
	c_addr(&base, 1, AF_INET, 32, 2, "100.64.0.5");
	c_addr(&base, 1, AF_INET6, 128, 2, "fd00:2021:1111::5");
	c_rule(&base, 1, &fz_rule_v4);
	c_done(&base, 1, 0, 0);
	for (i = 0; i < 20000; i++) {
		if (i % 2) {
			len = (size_t)(rand_r(&seed) % 300);
			for (k = 0; k < len; k++)
				c.b[k] = (uint8_t)rand_r(&seed);
			/* Keep some headers plausible so parsing gets deeper. */
			if (len >= 16 && rand_r(&seed) % 2) {
				uint32_t l = (uint32_t)(rand_r(&seed) % (len + 8));

				memcpy(c.b, &l, 4);
				memcpy(c.b + 8, &(uint32_t){ 1 }, 4);
			}
		} else {
			c = base;
			len = base.len;
			nmut = 1 + (unsigned int)rand_r(&seed) % 4;
			for (k = 0; k < nmut; k++)
				c.b[(size_t)rand_r(&seed) % len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
			if (rand_r(&seed) % 4 == 0)
				len = (size_t)rand_r(&seed) % len;
		}
		q = dup_exact(c.b, len);
		memset(&s, 0, sizeof(s));
		netlink_wait_init(&w, 1, (int)(i % 3 != 0));
		(void)netlink_wait_feed(&w, q, len, seen_cb, &s);
		off = 0;
		while (netlink_msg_next(q, len, &off, &m) == 1) {
			if (netlink_parse_rule(&m, &r) == NETLINK_OK)
				(void)netlink_rule_is_fz(&r, AF_INET);
			m.type = RTM_NEWRULE;
			(void)netlink_parse_rule(&m, &r);
		}
		free(q);
	}
}
END_TEST

START_TEST(strerror_texts)
{
	int codes[] = { NETLINK_OK, NETLINK_E_NOSPACE, NETLINK_E_TRUNC, NETLINK_E_MALFORMED,
		NETLINK_E_INVAL, NETLINK_E_TIMEOUT, NETLINK_E_IO, NETLINK_E_ABORT };
	size_t i, j;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_ptr_nonnull(netlink_strerror(codes[i]));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(netlink_strerror(codes[i]), netlink_strerror(codes[j]));
	}
	ck_assert_str_eq(netlink_strerror(-99), "unknown netlink error");
}
END_TEST

START_TEST(seq_never_zero)
{
	uint32_t a = netlink_next_seq(), b = netlink_next_seq();

	ck_assert_uint_ne(a, 0);
	ck_assert_uint_eq(b, a + 1);
}
END_TEST

/* ---- the job: a scripted kernel answers each request ---------------------- */

/* The request the job handed out, as the kernel would read it. */
struct req {
	uint16_t type;
	uint32_t seq;
	uint8_t family;		/* of the family header (addr, rule, route) */
	uint8_t plen;
	uint32_t mtu;		/* IFLA_MTU of RTM_NEWLINK, 0 if absent */
	int len;
};

static struct req
take(struct netlink_job *j)
{
	uint8_t b[NETLINK_REQ_MAX];
	struct netlink_msg m;
	struct netlink_attr a;
	struct req r;
	size_t off = 0, aoff, ao = 0;

	memset(&r, 0, sizeof(r));
	r.len = netlink_job_next(j, b, sizeof(b));
	if (r.len <= 0)
		return r;
	ck_assert_int_eq(netlink_msg_next(b, (size_t)r.len, &off, &m), 1);
	ck_assert_uint_eq(off, (size_t)r.len);
	r.type = m.type;
	r.seq = m.seq;
	ck_assert_uint_ne(r.seq, 0);
	ck_assert_uint_ge(m.payload_len, 2);
	r.family = m.payload[0];
	r.plen = m.payload[1];
	if (m.type == RTM_NEWLINK) {
		aoff = NLMSG_ALIGN(sizeof(struct ifinfomsg));
		while (netlink_attr_next(m.payload + aoff, m.payload_len - aoff, &ao, &a) == 1)
			if (a.type == IFLA_MTU && a.len == 4)
				memcpy(&r.mtu, a.data, 4);
	}
	if (m.type == RTM_NEWROUTE || m.type == RTM_DELROUTE)
		r.plen = m.payload[1];	/* rtm_dst_len */
	return r;
}

static void
feed(struct netlink_job *j, const struct craft *c, int want)
{
	uint8_t *b = dup_exact(c->b, c->len);

	ck_assert_int_eq(netlink_job_feed(j, b, c->len), want);
	free(b);
}

static void
answer_ack(struct netlink_job *j, uint32_t seq, int err)
{
	struct craft c;

	c_init(&c);
	c_error(&c, seq, err);
	feed(j, &c, 1);
}

static void
answer_empty_dump(struct netlink_job *j, uint32_t seq)
{
	struct craft c;

	c_init(&c);
	c_done(&c, seq, 0, 0);
	feed(j, &c, 1);
}

/* Answer everything with success (empty listings) and record the types. */
static size_t
run_ok(struct netlink_job *j, uint16_t *types, size_t max)
{
	struct req r;
	size_t n = 0;

	while ((r = take(j)).len > 0) {
		ck_assert_uint_lt(n, max);
		types[n++] = r.type;
		if (r.type == RTM_GETADDR || r.type == RTM_GETRULE)
			answer_empty_dump(j, r.seq);
		else
			answer_ack(j, r.seq, 0);
	}
	ck_assert(netlink_job_done(j));
	return n;
}

static const uint8_t t_v4[4] = { 100, 64, 0, 5 };
static const uint8_t t_v6[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 };

static void
assert_res(const struct ipc_d2c_iface_result *r, int v4, int v6, int up, int routes, int r4, int r6)
{
	ck_assert_uint_eq(r->v4_ok, v4);
	ck_assert_uint_eq(r->v6_ok, v6);
	ck_assert_uint_eq(r->link_up, up);
	ck_assert_uint_eq(r->routes_ok, routes);
	ck_assert_uint_eq(r->rules_v4_ok, r4);
	ck_assert_uint_eq(r->rules_v6_ok, r6);
}

/* The whole §1.2/§1.3 sequence, one request at a time; again with the
 * same memory (nothing to delete); then a route set that replaces it. */
START_TEST(job_iface_sequence)
{
	static const uint16_t want[] = {
		RTM_GETADDR, RTM_NEWLINK, RTM_NEWADDR, RTM_NEWADDR, RTM_NEWLINK,
		RTM_GETRULE, RTM_NEWRULE, RTM_GETRULE, RTM_NEWRULE, RTM_NEWROUTE, RTM_NEWROUTE,
	};
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct netlink_route r;
	uint16_t types[32];
	size_t n, i;
	int pass;

	memset(&mem, 0, sizeof(mem));
	for (pass = 0; pass < 2; pass++) {
		netlink_job_iface(&j, &mem, 7, t_v4, t_v6);
		ck_assert(!netlink_job_done(&j));
		ck_assert_int_eq(netlink_job_result(&j, &res), -1);
		n = run_ok(&j, types, 32);
		ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
		for (i = 0; i < n; i++)
			ck_assert_uint_eq(types[i], want[i]);
		ck_assert_int_eq(netlink_job_result(&j, &res), 0);
		assert_res(&res, 1, 1, 1, 1, 1, 1);
		ck_assert_uint_eq(mem.n, 2);
	}

	/* The two routes go, 10.99.0.0/16 comes. */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.plen = 16;
	r.dst[0] = 10;
	r.dst[1] = 99;
	netlink_job_routes(&j, &mem, 7, &r, 1);
	n = run_ok(&j, types, 32);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(types[0], RTM_DELROUTE);
	ck_assert_uint_eq(types[1], RTM_DELROUTE);
	ck_assert_uint_eq(types[2], RTM_NEWROUTE);
	ck_assert_int_eq(netlink_job_result(&j, NULL), 0);
	ck_assert_uint_eq(mem.n, 1);
	ck_assert_uint_eq(mem.r[0].plen, 16);
}
END_TEST

/* An old address is deleted and the listing repeated; our rule already
 * present is not added again; IPv4 only: no IPv6 step. */
START_TEST(job_flush_and_rule_present)
{
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct craft c;
	struct req r;

	memset(&mem, 0, sizeof(mem));
	netlink_job_iface(&j, &mem, 7, t_v4, NULL);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_GETADDR);
	c_init(&c);
	c_addr(&c, r.seq, AF_INET, 32, 7, "100.64.0.9");
	c_addr(&c, r.seq, AF_INET, 24, 2, "192.0.2.1");	/* another link: kept */
	c_done(&c, r.seq, 0, 0);
	feed(&j, &c, 1);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_DELADDR);
	ck_assert_uint_eq(r.family, AF_INET);
	ck_assert_uint_eq(r.plen, 32);
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_GETADDR);
	answer_empty_dump(&j, r.seq);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWLINK);
	ck_assert_uint_eq(r.mtu, NETLINK_FZ_MTU);
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWADDR);
	ck_assert_uint_eq(r.family, AF_INET);
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWLINK);
	ck_assert_uint_eq(r.mtu, 0);
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_GETRULE);
	ck_assert_uint_eq(r.family, AF_INET);
	c_init(&c);
	c_rule(&c, r.seq, &fz_rule_v4);
	c_done(&c, r.seq, 0, 0);
	feed(&j, &c, 1);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWROUTE);
	answer_ack(&j, r.seq, EEXIST);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWROUTE);
	answer_ack(&j, r.seq, 0);
	ck_assert_int_eq(take(&j).len, 0);
	ck_assert_int_eq(netlink_job_result(&j, &res), 0);
	assert_res(&res, 1, 0, 1, 1, 1, 0);
}
END_TEST

/* Errors from the kernel fail their step alone; a failed listing of the
 * addresses skips to the routes. */
START_TEST(job_kernel_errors)
{
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct req r;

	memset(&mem, 0, sizeof(mem));
	netlink_job_iface(&j, &mem, 7, t_v4, t_v6);
	r = take(&j);
	answer_empty_dump(&j, r.seq);
	r = take(&j);	/* MTU */
	answer_ack(&j, r.seq, ENODEV);
	r = take(&j);	/* v4 */
	answer_ack(&j, r.seq, EINVAL);
	r = take(&j);	/* v6: already there counts as done */
	ck_assert_uint_eq(r.family, AF_INET6);
	answer_ack(&j, r.seq, EEXIST);
	r = take(&j);	/* up */
	answer_ack(&j, r.seq, EPERM);
	r = take(&j);	/* no v4 rule step: straight to IPv6 */
	ck_assert_uint_eq(r.type, RTM_GETRULE);
	ck_assert_uint_eq(r.family, AF_INET6);
	answer_ack(&j, r.seq, EPERM);	/* cannot list: add anyway */
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWRULE);
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	answer_ack(&j, r.seq, ENETDOWN);
	r = take(&j);
	answer_ack(&j, r.seq, 0);
	ck_assert_int_eq(take(&j).len, 0);
	ck_assert_int_eq(netlink_job_result(&j, &res), 0);
	assert_res(&res, 0, 1, 0, 0, 0, 1);
	ck_assert_uint_eq(mem.n, 1);

	netlink_job_iface(&j, &mem, 7, t_v4, NULL);
	r = take(&j);
	answer_ack(&j, r.seq, EPERM);
	r = take(&j);	/* the remembered route is wanted: nothing to delete */
	ck_assert_uint_eq(r.type, RTM_NEWROUTE);
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWROUTE);
	answer_ack(&j, r.seq, 0);
	ck_assert_int_eq(take(&j).len, 0);
	ck_assert_int_eq(netlink_job_result(&j, &res), -1);
	assert_res(&res, 0, 0, 0, 1, 0, 0);
}
END_TEST

/* Interrupted listings are repeated, a bounded number of times; a local
 * failure (netlink_job_fail) counts as the step's failure. */
START_TEST(job_interrupted_and_local_failure)
{
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct craft c;
	struct req r;
	int i;

	memset(&mem, 0, sizeof(mem));
	netlink_job_iface(&j, &mem, 7, t_v4, NULL);
	r = take(&j);
	c_init(&c);
	c_done(&c, r.seq, 0, NLM_F_DUMP_INTR);
	feed(&j, &c, 1);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_GETADDR);	/* again */
	answer_empty_dump(&j, r.seq);
	r = take(&j);	/* MTU */
	netlink_job_fail(&j, NETLINK_E_IO, ENOBUFS);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWADDR);
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	answer_ack(&j, r.seq, 0);
	for (i = 0; i < 4; i++) {
		r = take(&j);
		ck_assert_uint_eq(r.type, RTM_GETRULE);
		c_init(&c);
		c_rule(&c, r.seq, &fz_rule_v4);
		c_done(&c, r.seq, 0, NLM_F_DUMP_INTR);
		feed(&j, &c, 1);
	}
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_NEWRULE);	/* never a consistent listing */
	answer_ack(&j, r.seq, 0);
	r = take(&j);
	netlink_job_fail(&j, NETLINK_E_TRUNC, 0);
	r = take(&j);
	answer_ack(&j, r.seq, 0);
	ck_assert_int_eq(take(&j).len, 0);
	ck_assert_int_eq(netlink_job_result(&j, &res), 0);
	assert_res(&res, 1, 0, 1, 0, 1, 0);
}
END_TEST

/*
 * Time is up: the job ends at once with nothing done, the routes it did not
 * get to stay remembered, and a late answer is not taken for the next
 * job's.
 */
START_TEST(job_abort_and_late_answer)
{
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct craft c;
	struct req r, late;
	uint16_t types[32];

	memset(&mem, 0, sizeof(mem));
	netlink_job_iface(&j, &mem, 7, t_v4, t_v6);
	(void)run_ok(&j, types, 32);
	ck_assert_uint_eq(mem.n, 2);

	netlink_job_iface(&j, &mem, 7, t_v4, t_v6);
	late = take(&j);
	ck_assert_int_eq(take(&j).len, 0);	/* one request at a time */
	netlink_job_abort(&j);
	ck_assert(netlink_job_done(&j));
	ck_assert_int_eq(netlink_job_result(&j, &res), -1);
	assert_res(&res, 0, 0, 0, 0, 0, 0);
	ck_assert_uint_eq(mem.n, 2);
	netlink_job_abort(&j);	/* twice: nothing more */

	netlink_job_routes(&j, &mem, 7, NULL, 0);
	r = take(&j);
	ck_assert_uint_eq(r.type, RTM_DELROUTE);
	c_init(&c);
	c_error(&c, late.seq, 0);
	feed(&j, &c, 0);	/* the aborted job's answer */
	answer_ack(&j, r.seq, 0);
	(void)take(&j);		/* the second deletion, never answered */
	netlink_job_abort(&j);
	ck_assert_int_eq(netlink_job_result(&j, NULL), -1);
	ck_assert_uint_eq(mem.n, 1);	/* not deleted for sure: still ours */
}
END_TEST

START_TEST(job_bad_arguments)
{
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct netlink_route r;

	memset(&mem, 0, sizeof(mem));
	memset(&res, 0xff, sizeof(res));
	netlink_job_iface(&j, &mem, 0, t_v4, NULL);
	ck_assert(netlink_job_done(&j));
	ck_assert_int_eq(take(&j).len, 0);
	ck_assert_int_eq(netlink_job_result(&j, &res), -1);
	assert_res(&res, 0, 0, 0, 0, 0, 0);
	netlink_job_iface(&j, &mem, (uint32_t)INT_MAX + 1u, t_v4, NULL);
	ck_assert_int_eq(netlink_job_result(&j, NULL), -1);
	netlink_job_iface(&j, NULL, 2, t_v4, NULL);
	ck_assert_int_eq(netlink_job_result(&j, NULL), -1);

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.plen = 11;
	r.dst[0] = 100;
	r.dst[1] = 64;
	netlink_job_routes(&j, &mem, 2, NULL, 1);
	ck_assert_int_eq(netlink_job_result(&j, NULL), -1);
	netlink_job_routes(&j, &mem, 2, &r, NETLINK_ROUTES_MAX + 1);
	ck_assert_int_eq(netlink_job_result(&j, NULL), -1);
	r.dst[3] = 1;	/* host bits */
	netlink_job_routes(&j, &mem, 2, &r, 1);
	ck_assert(netlink_job_done(&j));
	ck_assert_int_eq(netlink_job_result(&j, NULL), -1);
	ck_assert_uint_eq(mem.n, 0);
}
END_TEST

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/*
 * A kernel endpoint that never answers (NETLINK_CONNECTOR drops requests
 * it has no callback for, without an ack): the pump returns at once with
 * the job waiting; nothing waits for the kernel.  The abort ends it.
 */
START_TEST(pump_never_waits)
{
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct timespec t0;
	int fd;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR)) < 0)
		return;	/* no connector in this kernel: nothing to test against */
	memset(&mem, 0, sizeof(mem));
	netlink_job_iface(&j, &mem, 1, t_v4, t_v6);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(netlink_job_pump(fd, &j), 0);
	ck_assert_int_eq(netlink_job_pump(fd, &j), 0);
	ck_assert_int_lt(ms_since(&t0), 100);
	ck_assert(!netlink_job_done(&j));
	netlink_job_abort(&j);
	ck_assert_int_eq(netlink_job_pump(fd, &j), 1);
	ck_assert_int_eq(netlink_job_result(&j, &res), -1);
	assert_res(&res, 0, 0, 0, 0, 0, 0);
	ck_assert_int_eq(netlink_job_pump(fd, NULL), 1);
	close(fd);
}
END_TEST

/*
 * Not a netlink socket: every send fails at once, each step fails in turn
 * and the job ends within the one call, without waiting.  A datagram from
 * a sender other than the kernel (here a perfect ack) is never taken.
 */
START_TEST(pump_send_failure_and_foreign_sender)
{
	struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	struct timespec t0;
	struct craft c;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	memset(&mem, 0, sizeof(mem));
	netlink_job_iface(&j, &mem, 1, t_v4, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(netlink_job_pump(sv[0], &j), 1);
	ck_assert_int_lt(ms_since(&t0), 1000);
	ck_assert_int_eq(netlink_job_result(&j, &res), -1);
	assert_res(&res, 0, 0, 0, 0, 0, 0);

	/* A job waiting for seq s: the other end of the pair sends its ack. */
	netlink_job_iface(&j, &mem, 1, t_v4, NULL);
	{
		struct req r = take(&j);

		c_init(&c);
		c_error(&c, r.seq, 0);
		ck_assert_int_eq(send(sv[1], c.b, c.len, 0), (ssize_t)c.len);
		ck_assert_int_eq(netlink_job_pump(sv[0], &j), 0);
		ck_assert(!netlink_job_done(&j));
		ck_assert_int_eq(recv(sv[0], c.b, sizeof(c.b), MSG_DONTWAIT), -1);	/* read */
	}
	netlink_job_abort(&j);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static Suite *
netlink_suite(void)
{
	Suite *s = suite_create("netlink");
	TCase *tb = tcase_create("build");
	TCase *tp = tcase_create("parse");
	TCase *tg = tcase_create("job");

	tcase_add_test(tb, build_getaddr_bytes);
	tcase_add_test(tb, build_addr_bytes);
	tcase_add_test(tb, build_link_bytes);
	tcase_add_test(tb, build_rule_bytes);
	tcase_add_test(tb, build_route_bytes);
	tcase_add_test(tb, build_short_buffers);
	tcase_add_test(tb, build_parse_roundtrip);
	suite_add_tcase(s, tb);

	tcase_add_test(tp, msg_next_lengths);
	tcase_add_test(tp, attr_next_lengths);
	tcase_add_test(tp, parse_error_codes);
	tcase_add_test(tp, parse_addr_checks);
	tcase_add_test(tp, parse_rule_match);
	tcase_add_test(tp, parse_rule_malformed);
	tcase_add_test(tp, wait_ack);
	tcase_add_test(tp, wait_dump);
	tcase_add_test(tp, wait_malformed);
	tcase_add_test(tp, wait_random);
	tcase_add_test(tp, strerror_texts);
	tcase_add_test(tp, seq_never_zero);
	suite_add_tcase(s, tp);

	tcase_add_test(tg, job_iface_sequence);
	tcase_add_test(tg, job_flush_and_rule_present);
	tcase_add_test(tg, job_kernel_errors);
	tcase_add_test(tg, job_interrupted_and_local_failure);
	tcase_add_test(tg, job_abort_and_late_answer);
	tcase_add_test(tg, job_bad_arguments);
	tcase_add_test(tg, pump_never_waits);
	tcase_add_test(tg, pump_send_failure_and_foreign_sender);
	suite_add_tcase(s, tg);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(netlink_suite());
	int failed;

	log_init("test_netlink", LOG_LVL_WARN, LOG_FMT_TEXT);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
