/*
 * Unit suite for dataplane/filter: spec 9.1 cases F1-F7, expiry, bad
 * ranges, the issue 19 rules (proxy IPs, the Internet resource's refused
 * ranges, hairpin, the gateway's own address), and the compiled table
 * against a naive model on random input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"
#include "packet.h"
#include "pkt_ref.h"

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static struct pkt_addr
A(const char *s)
{
	struct pkt_addr a;

	ck_assert_int_eq(pkt_addr_from_str(&a, s), PKT_OK);
	return a;
}

static void
mkid(uint8_t id[16], int n)
{
	memset(id, 0, 16);
	id[15] = (uint8_t)n;
}

static struct filter_client *
mkclient(void)
{
	struct pkt_addr t4 = A("100.64.0.1"), t6 = A("fd00:2021:1111::1");
	struct filter_client *fc = filter_client_new(&t4, &t6);

	ck_assert_ptr_nonnull(fc);
	return fc;
}

/*
 * Build a real packet from the client's tunnel address and run the filter
 * on it, with the gateway addresses gw (may be NULL); *why when denied.
 */
static int
check_gw(struct filter_client *fc, const struct filter_gateway *gw, const char *dst, int proto,
    int dport, int64_t now, enum filter_deny *why)
{
	struct pkt_addr d = A(dst), s = A(d.af == 4 ? "100.64.0.1" : "fd00:2021:1111::1");
	uint8_t p[200], pl[4] = { 1, 2, 3, 4 };
	struct pkt_info pi;
	size_t n;

	if (proto == 1 && d.af == 6)
		proto = 58;
	n = ref_build(p, sizeof(p), d.af, s.b, d.b, proto, 40000, dport, pl, sizeof(pl), 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	return filter_check(fc, gw, &pi, now, why);
}

static int
check_pkt(struct filter_client *fc, const char *dst, int proto, int dport, int64_t now)
{
	return check_gw(fc, NULL, dst, proto, dport, now, NULL);
}

/* Denied, and answered with the given kind of ICMP error? */
static void
assert_denied(struct filter_client *fc, const char *dst, int proto, int dport, enum filter_deny want)
{
	enum filter_deny why = (enum filter_deny)99;

	ck_assert_msg(check_gw(fc, NULL, dst, proto, dport, 0, &why) == PKT_E_DENIED,
	    "%s proto %d port %d admitted", dst, proto, dport);
	ck_assert_msg(why == want, "%s: denial %d, want %d", dst, (int)why, (int)want);
}

START_TEST(f1_expire_individually)
{
	struct filter_client *fc = mkclient();
	struct filter_spec tcp = { FILTER_TCP, 20, 100 }, udp = { FILTER_UDP, 20, 100 };
	struct pkt_addr net = A("10.0.0.0");
	uint8_t a[16], b[16];
	int64_t T = 1700000000;

	mkid(a, 1);
	mkid(b, 2);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &tcp, 1, T), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, b, FILTER_RES_CIDR, &net, 24, &udp, 1, T + 10), PKT_OK);
	ck_assert_int_eq(filter_next_expiry(fc), T);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 6, 80, T - 1), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 17, 80, T - 1), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 6, 80, T), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 17, 80, T), PKT_OK);
	ck_assert_uint_eq(filter_count(fc), 1);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 17, 80, T + 9), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 17, 80, T + 10), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 6, 80, T + 10), PKT_E_DENIED);
	ck_assert_uint_eq(filter_count(fc), 0);
	filter_client_free(fc);
}
END_TEST

START_TEST(regrant_updates_expiry)
{
	struct filter_client *fc = mkclient();
	struct filter_spec tcp = { FILTER_TCP, 80, 80 }, udp = { FILTER_UDP, 53, 53 };
	struct pkt_addr net = A("10.0.0.0");
	uint8_t a[16];

	mkid(a, 1);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &tcp, 1, 100), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &udp, 1, 200), PKT_OK);
	ck_assert_int_eq(filter_next_expiry(fc), 200);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.9", 17, 53, 150), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.9", 6, 80, 150), PKT_E_DENIED);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &udp, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.9", 17, 53, 1000000), PKT_OK);
	/* a grant already expired is stored and goes at the next check */
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &udp, 1, 10), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.9", 17, 53, 1000000), PKT_E_DENIED);
	ck_assert_uint_eq(filter_count(fc), 0);
	filter_client_free(fc);
}
END_TEST

START_TEST(invalid_grants)
{
	struct filter_client *fc = mkclient();
	struct filter_spec bad = { FILTER_TCP, 100, 20 }, ok = { FILTER_TCP, 20, 100 };
	struct filter_spec badproto = { 9, 1, 2 };
	struct pkt_addr net = A("10.0.0.0"), host = A("10.0.0.1"), net6 = A("2001:db8::");
	uint8_t a[16], b[16];
	enum filter_res_type t;

	mkid(a, 1);
	mkid(b, 2);
	log_setlevel(LOG_LVL_ERROR);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &bad, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert_uint_eq(filter_count(fc), 0);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &badproto, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &host, 24, &ok, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 33, &ok, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, NULL, 24, &ok, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &ok, 1, FILTER_NO_EXPIRY), PKT_OK);
	/* re-grant with a bad range keeps the old filters */
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net, 24, &bad, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert_int_eq(filter_set_filters(fc, a, &bad, 1), PKT_E_INVAL);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 6, 50, 0), PKT_OK);
	/* type or network change refused */
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_DNS, NULL, 0, &ok, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &net6, 32, &ok, 1, FILTER_NO_EXPIRY), PKT_E_INVAL);
	ck_assert(filter_has(fc, a, &t));
	ck_assert_int_eq(t, FILTER_RES_CIDR);
	ck_assert(!filter_has(fc, b, NULL));
	ck_assert_int_eq(filter_revoke(fc, b), PKT_E_NOTFOUND);
	ck_assert_int_eq(filter_set_filters(fc, b, &ok, 1), PKT_E_NOTFOUND);
	ck_assert_int_eq(filter_dns_update(fc, a, "x", NULL, 0, NULL, 0), PKT_E_INVAL);
	ck_assert_int_eq(filter_revoke(fc, a), PKT_OK);
	ck_assert_uint_eq(filter_count(fc), 0);
	log_setlevel(LOG_LVL_INFO);
	filter_client_free(fc);
}
END_TEST

START_TEST(protocols_and_spoofing)
{
	struct filter_client *fc = mkclient();
	struct filter_spec f[2] = { { FILTER_TCP, 443, 443 }, { FILTER_UDP, 1000, 2000 } };
	struct pkt_addr n4 = A("10.1.0.0"), n6 = A("2001:db8::");
	uint8_t a[16], b[16], p[100];
	struct pkt_info pi;
	size_t n;
	struct pkt_addr s = A("100.64.0.2"), d = A("10.1.2.3");

	mkid(a, 1);
	mkid(b, 2);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &n4, 16, f, 2, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, b, FILTER_RES_CIDR, &n6, 32, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 6, 443, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 6, 444, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 17, 443, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 17, 1000, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 17, 2000, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 17, 2001, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 1, 0, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 47, 0, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.2.0.1", 6, 443, 0), PKT_E_DENIED);
	/* empty list: everything, any protocol */
	ck_assert_int_eq(check_pkt(fc, "2001:db8::5", 47, 0, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "2001:db8::5", 1, 0, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "2001:db9::5", 6, 1, 0), PKT_E_DENIED);
	/* spoofed source */
	n = ref_build(p, sizeof(p), 4, s.b, d.b, 6, 1, 443, NULL, 0, 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(filter_check(fc, NULL, &pi, 0, NULL), PKT_E_SPOOF);
	/* TCP whose header does not parse is denied under a non-empty list */
	s = A("100.64.0.1");
	n = ref_build(p, sizeof(p), 4, s.b, d.b, 6, 1, 443, NULL, 0, 0);
	p[32] = 0x30;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(filter_check(fc, NULL, &pi, 0, NULL), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

START_TEST(f5_removal_restores_parent)
{
	struct filter_client *fc = mkclient();
	struct filter_spec fa = { FILTER_TCP, 10, 20 }, fb = { FILTER_UDP, 30, 40 };
	struct pkt_addr sup = A("10.0.0.0"), sub = A("10.0.5.0");
	uint8_t a[16], b[16];

	mkid(a, 1);
	mkid(b, 2);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &sup, 16, &fa, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, b, FILTER_RES_CIDR, &sub, 24, &fb, 1, FILTER_NO_EXPIRY), PKT_OK);
	/* inside the child: union of both */
	ck_assert_int_eq(check_pkt(fc, "10.0.5.1", 6, 15, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.5.1", 17, 35, 0), PKT_OK);
	/* outside the child: parent only */
	ck_assert_int_eq(check_pkt(fc, "10.0.6.1", 17, 35, 0), PKT_E_DENIED);
	ck_assert_int_eq(filter_revoke(fc, b), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.5.1", 6, 15, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.5.1", 17, 35, 0), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

START_TEST(f6_f7_dns_cidr_internet)
{
	struct filter_client *fc = mkclient();
	struct filter_spec u80 = { FILTER_UDP, 80, 80 }, u443 = { FILTER_UDP, 443, 443 };
	struct pkt_addr net = A("10.0.0.0"), real = A("10.0.0.1"), proxy = A("100.96.0.1");
	uint8_t d[16], c[16], i[16];

	mkid(d, 1);
	mkid(c, 2);
	mkid(i, 3);
	ck_assert_int_eq(filter_grant(fc, d, FILTER_RES_DNS, NULL, 0, &u80, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_dns_update(fc, d, "foo.com", &real, 1, &proxy, 1), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &net, 24, &u443, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 17, 443, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.1", 17, 80, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 17, 443, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 17, 80, 0), PKT_OK);
	ck_assert_int_eq(filter_revoke(fc, c), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, i, FILTER_RES_INTERNET, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 17, 80, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 17, 600, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "198.18.0.1", 17, 600, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "2001:2::1", 6, 1, 0), PKT_OK);
	/* an untranslated proxy-range address is not covered by Internet */
	ck_assert_int_eq(check_pkt(fc, "100.96.0.2", 17, 80, 0), PKT_E_DENIED);
	/* DNS resource gone: its proxy is denied */
	ck_assert_int_eq(filter_revoke(fc, d), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 17, 80, 0), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

/* ---- random comparison against a naive model -------------------------- */

#define NIDS 12

struct mres {
	int live;
	int type;
	struct pkt_addr net;
	unsigned plen;
	struct filter_spec f[4];
	size_t nf;
	int64_t exp;
	struct pkt_addr ips[3];
	size_t nips;
};

struct mprox {
	struct pkt_addr a;
	int id;
};

static struct mres M[NIDS];
static struct mprox MP[32];
static size_t nmp;

static struct pkt_addr
rand_addr(int af)
{
	static const uint8_t lows[] = { 0, 1, 2, 3, 128, 255 };
	struct pkt_addr a;

	memset(&a, 0, sizeof(a));
	a.af = (uint8_t)af;
	if (af == 4) {
		a.b[0] = 10;
		a.b[1] = (uint8_t)(rnd() % 2);
		a.b[2] = (uint8_t)(rnd() % 2);
		a.b[3] = lows[rnd() % sizeof(lows)];
	} else {
		a.b[0] = 0x20;
		a.b[1] = 0x01;
		a.b[2] = 0x0d;
		a.b[3] = 0xb8;
		a.b[7] = (uint8_t)(rnd() % 2);
		a.b[15] = lows[rnd() % sizeof(lows)];
	}
	return a;
}

static struct pkt_addr
rand_proxy(void)
{
	struct pkt_addr a;

	if (rnd() & 1) {
		a = A("100.96.0.0");
		a.b[3] = (uint8_t)(rnd() % 8);
	} else {
		a = A("fd00:2021:1111:8000::");
		a.b[15] = (uint8_t)(rnd() % 8);
	}
	return a;
}

static void
mask_net(struct pkt_addr *a, unsigned plen)
{
	unsigned i, bits = a->af == 4 ? 32 : 128;

	for (i = plen; i < bits; i++)
		a->b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static int
m_active(int id, int64_t now)
{
	return M[id].live && M[id].exp > now;
}

static int
m_contains(int id, const struct pkt_addr *n, unsigned plen)
{
	size_t k;

	if (M[id].type == FILTER_RES_INTERNET)
		return 0;	/* checked apart, outside its refused ranges */
	if (M[id].type == FILTER_RES_CIDR)
		return M[id].net.af == n->af && M[id].plen <= plen && pkt_addr_in_prefix(n, &M[id].net, M[id].plen);
	if (plen != (n->af == 4 ? 32u : 128u))
		return 0;
	for (k = 0; k < M[id].nips; k++)
		if (pkt_addr_eq(&M[id].ips[k], n))
			return 1;
	return 0;
}

static int
m_eval(const int *ids, size_t nids, int proto, int l4ok, int dport)
{
	size_t i, k;

	for (i = 0; i < nids; i++)
		if (M[ids[i]].type == FILTER_RES_INTERNET || M[ids[i]].nf == 0)
			return PKT_OK;
	for (i = 0; i < nids; i++)
		for (k = 0; k < M[ids[i]].nf; k++) {
			const struct filter_spec *f = &M[ids[i]].f[k];
			if (proto == 6 && l4ok && f->proto == FILTER_TCP && dport >= f->port_start && dport <= f->port_end)
				return PKT_OK;
			if (proto == 17 && l4ok && f->proto == FILTER_UDP && dport >= f->port_start && dport <= f->port_end)
				return PKT_OK;
			if ((proto == 1 || proto == 58) && f->proto == FILTER_ICMP)
				return PKT_OK;
		}
	return PKT_E_DENIED;
}

/* The model's refused ranges, written out independently of filter.c. */
static int
m_refused(const struct pkt_addr *d)
{
	const uint8_t *b = d->b;
	static const uint8_t loop6[16] = { [15] = 1 }, mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (d->af == 4)
		return b[0] == 10 || b[0] == 127 || b[0] >= 224 || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
		    (b[0] == 169 && b[1] == 254) || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168);
	return memcmp(b, loop6, 16) == 0 || memcmp(b, mapped, 12) == 0 || (b[0] & 0xfe) == 0xfc ||
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff;
}

static int
m_decide(const struct pkt_addr *d, int proto, int l4ok, int dport, int64_t now, enum filter_deny *why)
{
	int ids[NIDS], id, best = -1, inet = 0, rc;
	size_t n = 0, k;

	*why = FILTER_DENY_PROHIBITED;
	if (filter_is_client_range(d))
		return PKT_E_DENIED;
	if (filter_is_proxy_range(d)) {
		for (k = 0; k < nmp; k++)
			if (pkt_addr_eq(&MP[k].a, d) && m_active(MP[k].id, now)) {
				ids[0] = MP[k].id;
				return m_eval(ids, 1, proto, l4ok, dport);
			}
		*why = FILTER_DENY_UNREACHABLE;
		return PKT_E_DENIED;
	}
	for (id = 0; id < NIDS; id++) {
		if (m_active(id, now) && M[id].type == FILTER_RES_INTERNET)
			inet = 1;
		if (m_active(id, now) && M[id].type == FILTER_RES_CIDR &&
		    pkt_addr_in_prefix(d, &M[id].net, M[id].plen) &&
		    (best < 0 || M[id].plen > M[best].plen))
			best = id;
	}
	rc = PKT_E_DENIED;
	if (best >= 0) {
		for (id = 0; id < NIDS; id++)
			if (m_active(id, now) && m_contains(id, &M[best].net, M[best].plen))
				ids[n++] = id;
		rc = m_eval(ids, n, proto, l4ok, dport);
	}
	if (rc == PKT_OK || !inet)
		return rc;
	if (!m_refused(d))
		return PKT_OK;
	if (best < 0)
		*why = FILTER_DENY_UNREACHABLE;
	return PKT_E_DENIED;
}

/* The model's proxies of resource id go (revoked, expired, or replaced unless in keep). */
static void
m_drop_proxies(int id, const struct pkt_addr *keep, size_t nkeep)
{
	size_t k = 0, j;

	while (k < nmp) {
		int kept = 0;
		for (j = 0; j < nkeep; j++)
			if (pkt_addr_eq(&MP[k].a, &keep[j]))
				kept = 1;
		if (MP[k].id == id && !kept)
			MP[k] = MP[--nmp];
		else
			k++;
	}
}

/* Which resource admitted a packet: proxy IPs, longest allowing CIDR, Internet. */
static int
res_of(struct filter_client *fc, const char *dst, int proto, int dport, uint8_t id[16])
{
	struct pkt_addr d = A(dst), s = A(d.af == 4 ? "100.64.0.1" : "fd00:2021:1111::1");
	uint8_t p[200];
	struct pkt_info pi;
	size_t n;

	n = ref_build(p, sizeof(p), d.af, s.b, d.b, proto, 40000, dport, NULL, 0, 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	memset(id, 0xee, 16);
	return filter_resource_of(fc, &pi, id);
}

START_TEST(resource_of)
{
	struct filter_client *fc = mkclient();
	struct filter_spec tcp80 = { FILTER_TCP, 80, 80 }, tcp443 = { FILTER_TCP, 443, 443 };
	struct pkt_addr n8 = A("10.0.0.0"), n16 = A("10.1.0.0"), prox = A("100.96.0.7");
	struct pkt_addr real = A("10.9.9.9");
	uint8_t a[16], b[16], d[16], i[16], got[16];

	mkid(a, 1);
	mkid(b, 2);
	mkid(d, 3);
	mkid(i, 4);
	ck_assert_int_eq(res_of(fc, "10.1.0.5", 6, 80, got), 0);
	ck_assert_int_eq(filter_grant(fc, a, FILTER_RES_CIDR, &n8, 8, &tcp80, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, b, FILTER_RES_CIDR, &n16, 16, &tcp443, 1, FILTER_NO_EXPIRY), PKT_OK);
	/* Inside both: the /16 admits 443, the /8 admits 80. */
	ck_assert_int_eq(res_of(fc, "10.1.0.5", 6, 443, got), 1);
	ck_assert_mem_eq(got, b, 16);
	ck_assert_int_eq(res_of(fc, "10.1.0.5", 6, 80, got), 1);
	ck_assert_mem_eq(got, a, 16);
	ck_assert_int_eq(res_of(fc, "10.2.0.5", 6, 80, got), 1);
	ck_assert_mem_eq(got, a, 16);
	/* Denied by every filter: the most specific container still answers. */
	ck_assert_int_eq(res_of(fc, "10.1.0.5", 17, 53, got), 1);
	ck_assert_mem_eq(got, b, 16);
	/* A DNS resource's proxy IP is that resource, never a CIDR one. */
	ck_assert_int_eq(filter_grant(fc, d, FILTER_RES_DNS, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(res_of(fc, "100.96.0.7", 6, 80, got), 0);
	ck_assert_int_eq(filter_dns_update(fc, d, "x.example", &real, 1, &prox, 1), PKT_OK);
	ck_assert_int_eq(res_of(fc, "100.96.0.7", 6, 80, got), 1);
	ck_assert_mem_eq(got, d, 16);
	ck_assert_int_eq(res_of(fc, "100.96.0.8", 6, 80, got), 0);
	/* The Internet resource: outside every CIDR, and before a CIDR that denies. */
	ck_assert_int_eq(res_of(fc, "192.0.2.1", 6, 80, got), 0);
	ck_assert_int_eq(filter_grant(fc, i, FILTER_RES_INTERNET, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(res_of(fc, "192.0.2.1", 6, 80, got), 1);
	ck_assert_mem_eq(got, i, 16);
	ck_assert_int_eq(res_of(fc, "198.18.1.5", 17, 53, got), 1);
	ck_assert_mem_eq(got, i, 16);
	ck_assert_int_eq(res_of(fc, "10.1.0.5", 6, 443, got), 1);
	ck_assert_mem_eq(got, b, 16);
	/* 10/8 is refused to the Internet resource: the CIDR containers answer */
	ck_assert_int_eq(res_of(fc, "10.1.0.5", 17, 53, got), 1);
	ck_assert_mem_eq(got, b, 16);
	ck_assert_int_eq(filter_revoke(fc, b), PKT_OK);
	ck_assert_int_eq(res_of(fc, "10.1.0.5", 6, 443, got), 1);
	ck_assert_mem_eq(got, a, 16);
	ck_assert_int_eq(res_of(fc, "2001:2::1", 6, 443, got), 1);
	ck_assert_mem_eq(got, i, 16);
	ck_assert_int_eq(res_of(fc, "fd00:99::1", 6, 443, got), 0);
	filter_client_free(fc);
}
END_TEST

START_TEST(random_vs_model)
{
	static const unsigned plens4[] = { 0, 8, 16, 23, 24, 25, 30, 31, 32 };
	static const unsigned plens6[] = { 0, 32, 64, 120, 127, 128 };
	int round;

	rng_state = 0x5eed0001;
	log_setlevel(LOG_LVL_ERROR);
	for (round = 0; round < 60; round++) {
		struct filter_client *fc = mkclient();
		int64_t now = 1000;
		int op, id;

		memset(M, 0, sizeof(M));
		nmp = 0;
		for (id = 0; id < NIDS; id++) {
			M[id].type = id < 8 ? FILTER_RES_CIDR : id < 11 ? FILTER_RES_DNS : FILTER_RES_INTERNET;
			if (M[id].type == FILTER_RES_CIDR) {
				int af = (rnd() % 3) ? 4 : 6;
				M[id].net = rand_addr(af);
				M[id].plen = af == 4 ? plens4[rnd() % 9] : plens6[rnd() % 6];
				mask_net(&M[id].net, M[id].plen);
			}
		}
		for (op = 0; op < 150; op++) {
			uint8_t uid[16];
			unsigned what = rnd() % 16;
			size_t k;
			int q;

			id = (int)(rnd() % NIDS);
			if (id == 11 && (rnd() % 4))
				id = (int)(rnd() % 11);
			mkid(uid, id + 1);
			/* settle expiry in both before any change */
			(void)filter_expire(fc, now);
			for (k = 0; k < NIDS; k++)
				if (M[k].live && M[k].exp <= now) {
					M[k].live = 0;
					M[k].nips = 0;
					m_drop_proxies((int)k, NULL, 0);
				}
			if (what < 6) {
				struct filter_spec f[4];
				size_t nf = rnd() % 4, j;
				int64_t exp = (rnd() % 3) ? FILTER_NO_EXPIRY : now + (int64_t)(rnd() % 20);
				int bad = 0, r;

				for (j = 0; j < nf; j++) {
					f[j].proto = (uint8_t)(1 + rnd() % 3);
					f[j].port_start = (uint16_t)(rnd() % 60);
					f[j].port_end = (uint16_t)(f[j].port_start + rnd() % 30);
					if (rnd() % 40 == 0 && f[j].proto != FILTER_ICMP && f[j].port_start >= 6) {
						f[j].port_end = (uint16_t)(f[j].port_start - 1 - rnd() % 5);
						bad = 1;
					}
				}
				r = filter_grant(fc, uid, (enum filter_res_type)M[id].type, &M[id].net, M[id].plen, f, nf, exp);
				if (bad) {
					ck_assert_int_eq(r, PKT_E_INVAL);
				} else {
					ck_assert_int_eq(r, PKT_OK);
					if (!M[id].live)
						M[id].nips = 0;
					M[id].live = 1;
					memcpy(M[id].f, f, sizeof(f));
					M[id].nf = nf;
					M[id].exp = exp;
				}
			} else if (what < 8) {
				int r = filter_revoke(fc, uid);
				ck_assert_int_eq(r, M[id].live ? PKT_OK : PKT_E_NOTFOUND);
				M[id].live = 0;
				M[id].nips = 0;
				m_drop_proxies(id, NULL, 0);
			} else if (what < 11 && M[id].type == FILTER_RES_DNS) {
				struct pkt_addr ips[3], px[3];
				size_t ni = rnd() % 4, np = rnd() % 4, j;
				int r;

				for (j = 0; j < ni; j++)
					ips[j] = rand_addr((rnd() % 3) ? 4 : 6);
				for (j = 0; j < np; j++)
					px[j] = rand_proxy();
				r = filter_dns_update(fc, uid, "example.com", ips, ni, px, np);
				ck_assert_int_eq(r, M[id].live ? PKT_OK : PKT_E_NOTFOUND);
				if (r == PKT_OK) {
					memcpy(M[id].ips, ips, ni * sizeof(ips[0]));
					M[id].nips = ni;
					m_drop_proxies(id, px, np);
					for (j = 0; j < np; j++) {
						for (k = 0; k < nmp; k++)
							if (pkt_addr_eq(&MP[k].a, &px[j]))
								break;
						if (k == nmp)
							MP[nmp++].a = px[j];
						MP[k].id = id;
					}
				}
			} else if (what < 12) {
				now += rnd() % 4;
			}
			/* probe */
			for (q = 0; q < 40; q++) {
				static const int protos[] = { 6, 17, 1, 47 };
				static const char *const others[] = { "192.0.2.1", "198.18.0.1",
				    "100.64.0.9", "172.16.0.1", "2001:2::1", "fe80::1", "::ffff:198.18.0.1" };
				struct pkt_info pi;
				int proto = protos[rnd() % 4], want, got;
				enum filter_deny wwhy, gwhy;

				memset(&pi, 0, sizeof(pi));
				if (rnd() % 4 == 0)
					pi.dst = rand_proxy();
				else if (rnd() % 6 == 0)
					pi.dst = A(others[rnd() % 7]);
				else
					pi.dst = rand_addr((rnd() % 3) ? 4 : 6);
				pi.version = pi.dst.af;
				pi.src = A(pi.version == 4 ? "100.64.0.1" : "fd00:2021:1111::1");
				if (proto == 1 && pi.version == 6)
					proto = 58;
				pi.proto = (uint8_t)proto;
				pi.l4_ok = (rnd() % 10) != 0;
				pi.dport = (uint16_t)(rnd() % 100);
				want = m_decide(&pi.dst, proto, pi.l4_ok, pi.dport, now, &wwhy);
				got = filter_check(fc, NULL, &pi, now, &gwhy);
				ck_assert_msg(got == want, "round %d op %d: got %d want %d", round, op, got, want);
				if (got == PKT_E_DENIED)
					ck_assert_msg(gwhy == wwhy, "round %d op %d: denial %d want %d",
					    round, op, (int)gwhy, (int)wwhy);
			}
		}
		filter_client_free(fc);
	}
	log_setlevel(LOG_LVL_INFO);
}
END_TEST

START_TEST(many_prefixes)
{
	/* one client with many nested/adjacent CIDR resources, spot-checked */
	struct filter_client *fc = mkclient();
	struct filter_spec f = { FILTER_TCP, 1, 1 };
	uint8_t id[16];
	int i;

	for (i = 0; i < 1000; i++) {
		struct pkt_addr n = A("10.0.0.0");
		n.b[1] = (uint8_t)(i / 256);
		n.b[2] = (uint8_t)(i % 256);
		mkid(id, 0);
		id[13] = (uint8_t)(i >> 8);
		id[14] = (uint8_t)i;
		f.port_start = f.port_end = (uint16_t)(i + 1);
		ck_assert_int_eq(filter_grant(fc, id, FILTER_RES_CIDR, &n, 24, &f, 1, FILTER_NO_EXPIRY), PKT_OK);
	}
	ck_assert_int_eq(check_pkt(fc, "10.0.7.9", 6, 8, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.7.9", 6, 9, 0), PKT_E_DENIED);
	ck_assert_int_eq(check_pkt(fc, "10.3.231.9", 6, 1000, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.3.232.9", 6, 1001, 0), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

START_TEST(address_ranges)
{
	struct pkt_addr a;

	a = A("ff02::16");	/* G1: MLDv2 reports are not for a client */
	ck_assert(!filter_is_client_range(&a));
	a = A("100.64.0.1");
	ck_assert(filter_is_client_range(&a));
	ck_assert(!filter_is_proxy_range(&a));
	a = A("100.95.255.255");
	ck_assert(filter_is_client_range(&a));
	a = A("100.96.0.0");
	ck_assert(!filter_is_client_range(&a));
	ck_assert(filter_is_proxy_range(&a));
	a = A("100.127.255.255");
	ck_assert(filter_is_proxy_range(&a));
	a = A("100.128.0.0");
	ck_assert(!filter_is_proxy_range(&a));
	a = A("fd00:2021:1111::1f:ffff");
	ck_assert(filter_is_client_range(&a));
	a = A("fd00:2021:1111::3a:ab1b");	/* outside the /107 (spec 11.10) */
	ck_assert(!filter_is_client_range(&a));
	a = A("fd00:2021:1111:8000::1");
	ck_assert(!filter_is_client_range(&a));
	ck_assert(filter_is_proxy_range(&a));
}
END_TEST

/* ---- issue 19: proxy IPs, Internet resource, hairpin, gateway address -- */

START_TEST(proxy_outside_range_refused)
{
	struct filter_client *fc = mkclient();
	struct pkt_addr real = A("10.0.0.1"), lan = A("172.31.201.99"), ok = A("100.96.0.1");
	struct pkt_addr tun = A("fd00:2021:1111::5"), mix[2];
	struct pkt_addr all4 = A("0.0.0.0"), got[8];
	uint8_t d[16], c[16];

	mkid(d, 1);
	mkid(c, 2);
	log_setlevel(LOG_LVL_ERROR);
	ck_assert_int_eq(filter_grant(fc, d, FILTER_RES_DNS, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, &lan, 1), PKT_E_INVAL);
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, &tun, 1), PKT_E_INVAL);
	assert_denied(fc, "172.31.201.99", 6, 80, FILTER_DENY_PROHIBITED);
	/* one bad proxy refuses the whole update: nothing changes */
	mix[0] = ok;
	mix[1] = lan;
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, mix, 2), PKT_E_INVAL);
	assert_denied(fc, "100.96.0.1", 6, 80, FILTER_DENY_UNREACHABLE);
	ck_assert_uint_eq(filter_dns_proxies(fc, d, "a.example", got, 8), 0);
	/* a proxy-range address no DNS name holds: a CIDR grant does not admit it */
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &all4, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	assert_denied(fc, "100.96.0.9", 17, 53, FILTER_DENY_UNREACHABLE);
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, &ok, 1), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 17, 53, 0), PKT_OK);
	assert_denied(fc, "100.96.0.2", 17, 53, FILTER_DENY_UNREACHABLE);
	log_setlevel(LOG_LVL_INFO);
	filter_client_free(fc);
}
END_TEST

START_TEST(proxy_and_name_caps)
{
	struct filter_client *fc = mkclient();
	struct pkt_addr real = A("10.0.0.1"), px[FILTER_PROXIES_PER_NAME + 1];
	char name[32];
	uint8_t d[16];
	int i;

	mkid(d, 1);
	log_setlevel(LOG_LVL_ERROR);
	ck_assert_int_eq(filter_grant(fc, d, FILTER_RES_DNS, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	for (i = 0; i <= FILTER_PROXIES_PER_NAME; i++) {
		px[i] = A("100.96.1.0");
		px[i].b[3] = (uint8_t)(i + 1);
	}
	ck_assert_int_eq(filter_dns_update(fc, d, "x.example", &real, 1, px, FILTER_PROXIES_PER_NAME + 1),
	    PKT_E_INVAL);
	assert_denied(fc, "100.96.1.1", 6, 80, FILTER_DENY_UNREACHABLE);
	ck_assert_int_eq(filter_dns_update(fc, d, "x.example", &real, 1, px, FILTER_PROXIES_PER_NAME),
	    PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.1.8", 6, 80, 0), PKT_OK);
	assert_denied(fc, "100.96.1.9", 6, 80, FILTER_DENY_UNREACHABLE);
	/* names: up to the cap (x.example is the first), then refused */
	for (i = 1; i < FILTER_NAMES_PER_RESOURCE; i++) {
		struct pkt_addr p = A("100.96.2.0");
		p.b[2] = (uint8_t)(2 + i / 256);
		p.b[3] = (uint8_t)i;
		snprintf(name, sizeof(name), "n%d.example", i);
		ck_assert_int_eq(filter_dns_update(fc, d, name, &real, 1, &p, 1), PKT_OK);
	}
	ck_assert_int_eq(filter_dns_update(fc, d, "one-too-many.example", &real, 1, &px[8], 1), PKT_E_FULL);
	assert_denied(fc, "100.96.1.9", 6, 80, FILTER_DENY_UNREACHABLE);
	/* a name already held may still be updated */
	ck_assert_int_eq(filter_dns_update(fc, d, "n1.example", &real, 1, &px[8], 1), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.1.9", 6, 80, 0), PKT_OK);
	log_setlevel(LOG_LVL_INFO);
	filter_client_free(fc);
}
END_TEST

START_TEST(replaced_proxy_not_admitted)
{
	struct filter_client *fc = mkclient();
	struct pkt_addr real = A("10.0.0.1"), two[2], got[8];
	uint8_t d[16], e[16];

	mkid(d, 1);
	mkid(e, 2);
	two[0] = A("100.96.0.1");
	two[1] = A("fd00:2021:1111:8000::1");
	ck_assert_int_eq(filter_grant(fc, d, FILTER_RES_DNS, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, e, FILTER_RES_DNS, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, two, 2), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 6, 80, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "fd00:2021:1111:8000::1", 6, 80, 0), PKT_OK);
	/* the name's set is replaced: the proxy it no longer lists is refused */
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, &two[1], 1), PKT_OK);
	assert_denied(fc, "100.96.0.1", 6, 80, FILTER_DENY_UNREACHABLE);
	ck_assert_int_eq(check_pkt(fc, "fd00:2021:1111:8000::1", 6, 80, 0), PKT_OK);
	ck_assert_uint_eq(filter_dns_proxies(fc, d, "a.example", got, 8), 1);
	ck_assert(pkt_addr_eq(&got[0], &two[1]));
	ck_assert_uint_eq(filter_dns_proxies(fc, d, "a.example", got, 0), 0);
	ck_assert_uint_eq(filter_dns_proxies(fc, d, "nothing.example", got, 8), 0);
	/* a proxy moving to another resource's name leaves the first name */
	ck_assert_int_eq(filter_dns_update(fc, e, "b.example", &real, 1, &two[1], 1), PKT_OK);
	ck_assert_uint_eq(filter_dns_proxies(fc, d, "a.example", got, 8), 0);
	ck_assert_uint_eq(filter_dns_proxies(fc, e, "b.example", got, 8), 1);
	ck_assert_int_eq(filter_revoke(fc, e), PKT_OK);
	assert_denied(fc, "fd00:2021:1111:8000::1", 6, 80, FILTER_DENY_UNREACHABLE);
	/* an empty set removes them all */
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, two, 1), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.96.0.1", 6, 80, 0), PKT_OK);
	ck_assert_int_eq(filter_dns_update(fc, d, "a.example", &real, 1, NULL, 0), PKT_OK);
	assert_denied(fc, "100.96.0.1", 6, 80, FILTER_DENY_UNREACHABLE);
	filter_client_free(fc);
}
END_TEST

START_TEST(internet_refused_ranges)
{
	static const char *const refused[] = {
		"10.0.0.1", "10.255.255.254", "100.64.0.1", "100.96.0.1", "100.127.255.254",
		"127.0.0.1", "169.254.169.254", "172.16.0.1", "172.31.201.99", "192.168.1.1",
		"224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::1", "::ffff:10.0.0.1", "::ffff:198.18.0.1", "fc00::1", "fd12:3456::1",
		"fd00:2021:1111::9", "fd00:2021:1111:8000::9", "fe80::1", "febf::1", "ff02::1",
	};
	static const char *const open[] = {
		"198.18.0.1", "198.19.255.254", "192.0.2.1", "100.128.0.1", "100.63.255.255",
		"172.32.0.1", "11.0.0.1", "223.255.255.254", "2001:2::1", "2001:2:0:ffff::7",
		"fec0::1", "::2", "::fffe:a00:1",
	};
	struct filter_client *fc = mkclient();
	uint8_t i[16];
	size_t k;

	mkid(i, 1);
	ck_assert_int_eq(filter_grant(fc, i, FILTER_RES_INTERNET, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	for (k = 0; k < sizeof(refused) / sizeof(refused[0]); k++) {
		struct pkt_addr a = A(refused[k]);
		ck_assert_msg(filter_is_internet_refused(&a), "%s not refused", refused[k]);
		/* client range: prohibited (hairpin); the rest: unreachable */
		assert_denied(fc, refused[k], 6, 443,
		    filter_is_client_range(&a) ? FILTER_DENY_PROHIBITED : FILTER_DENY_UNREACHABLE);
		assert_denied(fc, refused[k], 1, 0,
		    filter_is_client_range(&a) ? FILTER_DENY_PROHIBITED : FILTER_DENY_UNREACHABLE);
	}
	for (k = 0; k < sizeof(open) / sizeof(open[0]); k++) {
		struct pkt_addr a = A(open[k]);
		ck_assert_msg(!filter_is_internet_refused(&a), "%s refused", open[k]);
		ck_assert_msg(check_pkt(fc, open[k], 17, 443, 0) == PKT_OK, "%s denied", open[k]);
	}
	filter_client_free(fc);
}
END_TEST

START_TEST(internet_plus_cidr)
{
	struct filter_client *fc = mkclient();
	struct filter_spec tcp80 = { FILTER_TCP, 80, 80 };
	struct pkt_addr lan = A("10.0.0.0"), lan6 = A("fd12::"), web = A("10.9.0.0"), pub = A("198.18.0.0");
	uint8_t i[16], c[16], c6[16], w[16], p[16];

	mkid(i, 1);
	mkid(c, 2);
	mkid(c6, 3);
	mkid(w, 4);
	mkid(p, 5);
	ck_assert_int_eq(filter_grant(fc, i, FILTER_RES_INTERNET, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &lan, 24, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, c6, FILTER_RES_CIDR, &lan6, 64, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, w, FILTER_RES_CIDR, &web, 16, &tcp80, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.5", 6, 22, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.5", 1, 0, 0), PKT_OK);
	assert_denied(fc, "10.0.1.5", 6, 22, FILTER_DENY_UNREACHABLE);
	ck_assert_int_eq(check_pkt(fc, "fd12::5", 17, 53, 0), PKT_OK);
	assert_denied(fc, "fd13::5", 17, 53, FILTER_DENY_UNREACHABLE);
	/* a CIDR grant's own filters still apply inside a refused range */
	ck_assert_int_eq(check_pkt(fc, "10.9.1.1", 6, 80, 0), PKT_OK);
	assert_denied(fc, "10.9.1.1", 6, 81, FILTER_DENY_PROHIBITED);
	/* outside the refused ranges the Internet resource admits any port */
	ck_assert_int_eq(filter_grant(fc, p, FILTER_RES_CIDR, &pub, 24, &tcp80, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "198.18.0.7", 6, 81, 0), PKT_OK);
	/* without the Internet resource the CIDR grants stand alone */
	ck_assert_int_eq(filter_revoke(fc, i), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "10.0.0.5", 6, 22, 0), PKT_OK);
	assert_denied(fc, "10.0.1.5", 6, 22, FILTER_DENY_PROHIBITED);
	assert_denied(fc, "198.18.0.7", 6, 81, FILTER_DENY_PROHIBITED);
	filter_client_free(fc);
}
END_TEST

START_TEST(hairpin_denied)
{
	static const char *const others[] = {
		"100.64.0.2", "100.64.0.1", "100.95.255.254", "fd00:2021:1111::2", "fd00:2021:1111::1f:ffff",
	};
	struct filter_client *fc = mkclient();
	struct pkt_addr all4 = A("0.0.0.0"), all6 = A("::"), cgn = A("100.64.0.0"), a;
	struct filter_gateway gw;
	uint8_t c4[16], c6[16], cg[16], i[16];
	size_t k;

	mkid(c4, 1);
	mkid(c6, 2);
	mkid(cg, 3);
	mkid(i, 4);
	ck_assert_int_eq(filter_grant(fc, c4, FILTER_RES_CIDR, &all4, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, c6, FILTER_RES_CIDR, &all6, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, cg, FILTER_RES_CIDR, &cgn, 10, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, i, FILTER_RES_INTERNET, NULL, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	for (k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
		assert_denied(fc, others[k], 6, 80, FILTER_DENY_PROHIBITED);
		assert_denied(fc, others[k], 17, 53535, FILTER_DENY_PROHIBITED);
		assert_denied(fc, others[k], 1, 0, FILTER_DENY_PROHIBITED);
	}
	ck_assert_int_eq(check_pkt(fc, "10.1.2.3", 6, 80, 0), PKT_OK);
	ck_assert_int_eq(check_pkt(fc, "100.128.0.1", 6, 80, 0), PKT_OK);
	/* the other direction: from the TUN, only the gateway may use a tunnel source */
	ck_assert_int_eq(filter_gateway_set(&gw, A("100.64.0.200").b, A("fd00:2021:1111::200").b), PKT_OK);
	a = A("100.64.0.2");
	ck_assert(!filter_tun_source_ok(&gw, &a));
	ck_assert(!filter_tun_source_ok(NULL, &a));
	a = A("fd00:2021:1111::2");
	ck_assert(!filter_tun_source_ok(&gw, &a));
	a = A("100.64.0.200");
	ck_assert(filter_tun_source_ok(&gw, &a));
	a = A("fd00:2021:1111::200");
	ck_assert(filter_tun_source_ok(&gw, &a));
	a = A("10.0.0.1");
	ck_assert(filter_tun_source_ok(&gw, &a));
	a = A("100.96.0.1");
	ck_assert(filter_tun_source_ok(&gw, &a));
	filter_client_free(fc);
}
END_TEST

START_TEST(gateway_address)
{
	struct filter_client *fc = mkclient();
	struct pkt_addr all4 = A("0.0.0.0"), all6 = A("::");
	struct filter_gateway gw;
	enum filter_deny why;
	uint8_t c4[16], c6[16];
	static const char *const gws[] = { "100.64.0.200", "fd00:2021:1111::200" };
	int k, round;

	mkid(c4, 1);
	mkid(c6, 2);
	log_setlevel(LOG_LVL_ERROR);
	ck_assert_int_eq(filter_gateway_set(&gw, A("100.64.0.200").b, A("fd00:2021:1111::200").b), PKT_OK);
	/* no grant at all, then grants of everything: the same answers */
	for (round = 0; round < 2; round++) {
		for (k = 0; k < 2; k++) {
			ck_assert_int_eq(check_gw(fc, &gw, gws[k], 17, FILTER_GATEWAY_DNS_PORT, 0, &why), PKT_OK);
			ck_assert_int_eq(check_gw(fc, &gw, gws[k], 6, FILTER_GATEWAY_DNS_PORT, 0, &why), PKT_OK);
			ck_assert_int_eq(check_gw(fc, &gw, gws[k], 1, 0, 0, &why), PKT_OK);
			ck_assert_int_eq(check_gw(fc, &gw, gws[k], 17, 53, 0, &why), PKT_E_DENIED);
			ck_assert_int_eq(why, FILTER_DENY_PROHIBITED);
			ck_assert_int_eq(check_gw(fc, &gw, gws[k], 6, 22, 0, &why), PKT_E_DENIED);
			ck_assert_int_eq(why, FILTER_DENY_PROHIBITED);
			ck_assert_int_eq(check_gw(fc, &gw, gws[k], 6, 8080, 0, &why), PKT_E_DENIED);
			ck_assert_int_eq(check_gw(fc, &gw, gws[k], 47, 0, 0, &why), PKT_E_DENIED);
		}
		ck_assert_int_eq(filter_grant(fc, c4, FILTER_RES_CIDR, &all4, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
		ck_assert_int_eq(filter_grant(fc, c6, FILTER_RES_CIDR, &all6, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	}
	/* a neighbour of the gateway is another client: prohibited */
	ck_assert_int_eq(check_gw(fc, &gw, "100.64.0.201", 17, FILTER_GATEWAY_DNS_PORT, 0, &why), PKT_E_DENIED);
	/* an address outside the tunnel ranges is not taken as the gateway's */
	ck_assert_int_eq(filter_gateway_set(&gw, A("10.0.0.1").b, A("fd00:2021:1111::200").b), PKT_E_INVAL);
	ck_assert(!gw.has_v4);
	ck_assert(gw.has_v6);
	ck_assert_int_eq(filter_revoke(fc, c4), PKT_OK);
	ck_assert_int_eq(check_gw(fc, &gw, "10.0.0.1", 17, FILTER_GATEWAY_DNS_PORT, 0, &why), PKT_E_DENIED);
	ck_assert_int_eq(check_gw(fc, &gw, "100.64.0.200", 17, FILTER_GATEWAY_DNS_PORT, 0, &why), PKT_E_DENIED);
	ck_assert_int_eq(filter_gateway_set(&gw, NULL, NULL), PKT_OK);
	ck_assert_int_eq(check_gw(fc, &gw, "fd00:2021:1111::200", 1, 0, 0, &why), PKT_E_DENIED);
	log_setlevel(LOG_LVL_INFO);
	filter_client_free(fc);
}
END_TEST

/* ---- resource -> client (issue 15) ------------------------------------ */

/*
 * A packet from src:sport to the client's tunnel address (or dst when not
 * NULL), port 40000, through filter_check_inbound.  proto 1 is ICMP of the
 * family; icmp_type >= 0 sets its type (code 0).
 */
static int
in_pkt(struct filter_client *fc, const struct filter_gateway *gw, const char *src,
    const char *dst, int proto, int sport, int icmp_type, int later_frag, int64_t now)
{
	struct pkt_addr s = A(src), d = A(dst != NULL ? dst : s.af == 4 ? "100.64.0.1" :
	    "fd00:2021:1111::1");
	uint8_t p[200], pl[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pkt_info pi;
	size_t n;

	if (proto == 1 && s.af == 6)
		proto = 58;
	n = ref_build(p, sizeof(p), s.af, s.b, d.b, proto, sport, 40000, pl, sizeof(pl), 0);
	ck_assert_uint_gt(n, 0);
	if (icmp_type >= 0) {
		p[s.af == 4 ? 20 : 40] = (uint8_t)icmp_type;
		ref_fix_csums(p, n);
	}
	if (later_frag) {
		ck_assert_int_eq(s.af, 4);
		p[6] = 0x00;
		p[7] = 0x10;	/* offset 128 bytes */
		ref_fix_csums(p, n);
	}
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	return filter_check_inbound(fc, gw, &pi, now);
}

#define IN(fc, src, proto, sport) in_pkt((fc), NULL, (src), NULL, (proto), (sport), -1, 0, 0)

/* Replies pass by their *source* port; what no grant covers is dropped. */
START_TEST(inbound_by_source)
{
	struct filter_client *fc = mkclient();
	struct filter_spec t80 = { FILTER_TCP, 80, 80 };
	struct pkt_addr net = A("10.99.0.2");
	uint8_t c[16];

	mkid(c, 1);
	/* nothing granted: nothing comes in */
	ck_assert_int_eq(IN(fc, "10.99.0.2", 6, 80), PKT_E_DENIED);
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &net, 32, &t80, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(IN(fc, "10.99.0.2", 6, 80), PKT_OK);
	ck_assert_int_eq(IN(fc, "10.99.0.2", 6, 81), PKT_E_DENIED);
	ck_assert_int_eq(IN(fc, "10.99.0.2", 17, 80), PKT_E_DENIED);
	ck_assert_int_eq(IN(fc, "10.99.0.3", 6, 80), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.99.0.2", NULL, 1, 0, 0, 0, 0), PKT_E_DENIED);
	ck_assert_int_eq(IN(fc, "10.99.0.2", 47, 0), PKT_E_DENIED);
	/* not to this client's tunnel address: dropped */
	ck_assert_int_eq(in_pkt(fc, NULL, "10.99.0.2", "100.64.0.2", 6, 80, -1, 0, 0), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.99.0.2", "10.0.0.1", 6, 80, -1, 0, 0), PKT_E_DENIED);
	/* an empty filter list admits every protocol and port */
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &net, 32, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(IN(fc, "10.99.0.2", 17, 5353), PKT_OK);
	ck_assert_int_eq(IN(fc, "10.99.0.2", 47, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.99.0.2", NULL, 1, 0, 0, 0, 0), PKT_OK);
	/* revoked: dropped again */
	ck_assert_int_eq(filter_revoke(fc, c), PKT_OK);
	ck_assert_int_eq(IN(fc, "10.99.0.2", 17, 5353), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

/* ICMP errors come in whatever the grants; other ICMP needs an ICMP filter. */
START_TEST(inbound_icmp_errors)
{
	struct filter_client *fc = mkclient();
	struct filter_spec t80 = { FILTER_TCP, 80, 80 };
	struct pkt_addr net = A("10.99.0.0");
	uint8_t c[16];

	mkid(c, 1);
	ck_assert_int_eq(in_pkt(fc, NULL, "192.0.2.1", NULL, 1, 0, PKT_ICMP4_UNREACH, 0, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "192.0.2.1", NULL, 1, 0, PKT_ICMP4_TIME_EXCEEDED, 0, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "2001:db8::1", NULL, 1, 0, PKT_ICMP6_UNREACH, 0, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "2001:db8::1", NULL, 1, 0, PKT_ICMP6_PACKET_TOO_BIG, 0, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "2001:db8::1", NULL, 1, 0, PKT_ICMP6_TIME_EXCEEDED, 0, 0), PKT_OK);
	/* a redirect, or an echo, is no such error */
	ck_assert_int_eq(in_pkt(fc, NULL, "192.0.2.1", NULL, 1, 0, 5, 0, 0), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, NULL, "192.0.2.1", NULL, 1, 0, PKT_ICMP4_ECHO_REPLY, 0, 0), PKT_E_DENIED);
	/* a resource whose filters do not list ICMP still gets its errors through */
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &net, 24, &t80, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.99.0.2", NULL, 1, 0, PKT_ICMP4_UNREACH, 0, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.99.0.2", NULL, 1, 0, PKT_ICMP4_ECHO_REPLY, 0, 0), PKT_E_DENIED);
	/* but never to another address than the client's */
	ck_assert_int_eq(in_pkt(fc, NULL, "10.99.0.2", "100.64.0.9", 1, 0, PKT_ICMP4_UNREACH, 0, 0),
	    PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

/* The gateway's own address comes in; other tunnel addresses never do. */
START_TEST(inbound_tunnel_sources)
{
	struct filter_client *fc = mkclient();
	struct pkt_addr all4 = A("0.0.0.0");
	struct filter_gateway gw;
	uint8_t c[16];

	mkid(c, 1);
	ck_assert_int_eq(filter_gateway_set(&gw, A("100.64.0.200").b, A("fd00:2021:1111::200").b), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, &gw, "100.64.0.200", NULL, 17, 53535, -1, 0, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, &gw, "fd00:2021:1111::200", NULL, 6, 53535, -1, 0, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, &gw, "100.64.0.200", NULL, 1, 0, PKT_ICMP4_ECHO_REPLY, 0, 0), PKT_OK);
	/* even a grant of everything admits no other client's address */
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &all4, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, &gw, "100.64.0.7", NULL, 17, 53, -1, 0, 0), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, NULL, "100.64.0.200", NULL, 17, 53535, -1, 0, 0), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, &gw, "198.51.100.1", NULL, 17, 53, -1, 0, 0), PKT_OK);
	filter_client_free(fc);
}
END_TEST

/* DNS resources: after NAT-in the source is the proxy IP, with its resource's filters. */
START_TEST(inbound_dns_proxy)
{
	struct filter_client *fc = mkclient();
	struct filter_spec t443 = { FILTER_TCP, 443, 443 };
	struct pkt_addr real = A("10.0.0.1"), prox[2] = { A("100.96.0.1"), A("fd00:2021:1111:8000::1") };
	uint8_t d[16];

	mkid(d, 1);
	ck_assert_int_eq(filter_grant(fc, d, FILTER_RES_DNS, NULL, 0, &t443, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_dns_update(fc, d, "app.example", &real, 1, prox, 2), PKT_OK);
	ck_assert_int_eq(IN(fc, "100.96.0.1", 6, 443), PKT_OK);
	ck_assert_int_eq(IN(fc, "fd00:2021:1111:8000::1", 6, 443), PKT_OK);
	ck_assert_int_eq(IN(fc, "100.96.0.1", 6, 80), PKT_E_DENIED);
	ck_assert_int_eq(IN(fc, "100.96.0.2", 6, 443), PKT_E_DENIED);
	/* the untranslated real address is no grant of this client */
	ck_assert_int_eq(IN(fc, "10.0.0.1", 6, 443), PKT_E_DENIED);
	ck_assert_int_eq(filter_revoke(fc, d), PKT_OK);
	ck_assert_int_eq(IN(fc, "100.96.0.1", 6, 443), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

/* The Internet resource admits sources outside its refused ranges; grants expire. */
START_TEST(inbound_internet_and_expiry)
{
	struct filter_client *fc = mkclient();
	struct filter_spec u53 = { FILTER_UDP, 53, 53 };
	struct pkt_addr net = A("10.1.0.0");
	uint8_t i[16], c[16];

	mkid(i, 1);
	mkid(c, 2);
	ck_assert_int_eq(filter_grant(fc, i, FILTER_RES_INTERNET, NULL, 0, NULL, 0, 100), PKT_OK);
	ck_assert_int_eq(IN(fc, "1.1.1.1", 6, 443), PKT_OK);
	ck_assert_int_eq(IN(fc, "2606:4700::1111", 17, 443), PKT_OK);
	ck_assert_int_eq(IN(fc, "10.1.2.3", 17, 53), PKT_E_DENIED);
	ck_assert_int_eq(IN(fc, "100.96.0.9", 17, 53), PKT_E_DENIED);
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &net, 16, &u53, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(IN(fc, "10.1.2.3", 17, 53), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "1.1.1.1", NULL, 6, 443, -1, 0, 99), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "1.1.1.1", NULL, 6, 443, -1, 0, 100), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.1.2.3", NULL, 17, 53, -1, 0, 100), PKT_OK);
	filter_client_free(fc);
}
END_TEST

/* A later IPv4 fragment (no ports) comes in when the source admits its protocol. */
START_TEST(inbound_later_fragments)
{
	struct filter_client *fc = mkclient();
	struct filter_spec u53 = { FILTER_UDP, 53, 53 }, icmp = { FILTER_ICMP, 0, 0 };
	struct pkt_addr a = A("10.2.0.1"), b = A("10.3.0.1");
	uint8_t c[16], e[16];

	mkid(c, 1);
	mkid(e, 2);
	ck_assert_int_eq(filter_grant(fc, c, FILTER_RES_CIDR, &a, 32, &u53, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, e, FILTER_RES_CIDR, &b, 32, &icmp, 1, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.2.0.1", NULL, 17, 53, -1, 1, 0), PKT_OK);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.2.0.1", NULL, 6, 53, -1, 1, 0), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.3.0.1", NULL, 17, 53, -1, 1, 0), PKT_E_DENIED);
	ck_assert_int_eq(in_pkt(fc, NULL, "10.4.0.1", NULL, 17, 53, -1, 1, 0), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

/* From clients: fragments and ICMP errors are refused, whatever the grants (issue 15). */
START_TEST(client_fragments_and_errors)
{
	struct filter_client *fc = mkclient();
	struct pkt_addr all4 = A("0.0.0.0"), all6 = A("::"), s4 = A("100.64.0.1"),
	    s6 = A("fd00:2021:1111::1"), d4 = A("10.0.0.1"), d6 = A("2001:db8::1");
	uint8_t c4[16], c6[16], p[200], pl[16] = { 0 };
	struct pkt_info pi;
	size_t n;

	mkid(c4, 1);
	mkid(c6, 2);
	ck_assert_int_eq(filter_grant(fc, c4, FILTER_RES_CIDR, &all4, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	ck_assert_int_eq(filter_grant(fc, c6, FILTER_RES_CIDR, &all6, 0, NULL, 0, FILTER_NO_EXPIRY), PKT_OK);
	/* a whole datagram passes */
	n = ref_build(p, sizeof(p), 4, s4.b, d4.b, 17, 1000, 53, pl, sizeof(pl), 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(filter_check(fc, NULL, &pi, 0, NULL), PKT_OK);
	/* first fragment (MF), later fragment (offset) */
	p[6] = 0x20;
	ref_fix_csums(p, n);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_lt(filter_check(fc, NULL, &pi, 0, NULL), 0);
	p[6] = 0x00;
	p[7] = 0x10;
	ref_fix_csums(p, n);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_lt(filter_check(fc, NULL, &pi, 0, NULL), 0);
	/* an IPv6 fragment header */
	n = ref_build(p, sizeof(p), 6, s6.b, d6.b, 44, 0, 0, pl, sizeof(pl), 0);
	p[40] = 17;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_lt(filter_check(fc, NULL, &pi, 0, NULL), 0);
	/* ICMP errors toward resources; echo still passes */
	n = ref_build(p, sizeof(p), 4, s4.b, d4.b, 1, 0, 0, pl, sizeof(pl), 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(filter_check(fc, NULL, &pi, 0, NULL), PKT_OK);
	p[20] = PKT_ICMP4_UNREACH;
	p[21] = 3;
	ref_fix_csums(p, n);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(filter_check(fc, NULL, &pi, 0, NULL), PKT_E_DENIED);
	p[20] = PKT_ICMP4_TIME_EXCEEDED;
	p[21] = 0;
	ref_fix_csums(p, n);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(filter_check(fc, NULL, &pi, 0, NULL), PKT_E_DENIED);
	n = ref_build(p, sizeof(p), 6, s6.b, d6.b, 58, 0, 0, pl, sizeof(pl), 0);
	p[40] = PKT_ICMP6_PACKET_TOO_BIG;
	ref_fix_csums(p, n);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(filter_check(fc, NULL, &pi, 0, NULL), PKT_E_DENIED);
	filter_client_free(fc);
}
END_TEST

static Suite *
filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, f1_expire_individually);
	tcase_add_test(tc, regrant_updates_expiry);
	tcase_add_test(tc, invalid_grants);
	tcase_add_test(tc, protocols_and_spoofing);
	tcase_add_test(tc, f5_removal_restores_parent);
	tcase_add_test(tc, f6_f7_dns_cidr_internet);
	tcase_add_test(tc, resource_of);
	tcase_add_test(tc, random_vs_model);
	tcase_add_test(tc, many_prefixes);
	tcase_add_test(tc, address_ranges);
	tcase_add_test(tc, proxy_outside_range_refused);
	tcase_add_test(tc, proxy_and_name_caps);
	tcase_add_test(tc, replaced_proxy_not_admitted);
	tcase_add_test(tc, internet_refused_ranges);
	tcase_add_test(tc, internet_plus_cidr);
	tcase_add_test(tc, hairpin_denied);
	tcase_add_test(tc, gateway_address);
	tcase_add_test(tc, inbound_by_source);
	tcase_add_test(tc, inbound_icmp_errors);
	tcase_add_test(tc, inbound_tunnel_sources);
	tcase_add_test(tc, inbound_dns_proxy);
	tcase_add_test(tc, inbound_internet_and_expiry);
	tcase_add_test(tc, inbound_later_fragments);
	tcase_add_test(tc, client_fragments_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(filter_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
