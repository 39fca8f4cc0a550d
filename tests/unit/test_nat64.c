/*
 * Unit suite for dataplane/nat64: RFC 7915 header translation checked with
 * the independent parser/checksum in pkt_ref.c, RFC 6052-style address
 * vectors, round trips (spec 9.4 X1/X2), ICMP error translation and
 * malformed input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "nat64.h"
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

static struct nat64_addrs
addrs(const char *s, const char *d)
{
	struct nat64_addrs m;

	memset(&m, 0, sizeof(m));
	m.src = A(s);
	m.dst = A(d);
	return m;
}

/* RFC 6052 section 2.4: 192.0.2.33 embedded in 64:ff9b::/96. */
START_TEST(rfc6052_style_vectors)
{
	const int protos[] = { 6, 17, 58 };
	struct pkt_addr c6 = A("2001:db8:c000:221::1"), s6 = A("64:ff9b::c000:221");
	struct nat64_addrs m = addrs("198.51.100.10", "192.0.2.33");
	uint8_t pl[37], p[200], o[200];
	struct ref_pkt r;
	size_t n, i;
	int k, len;

	ck_assert_mem_eq(s6.b + 12, A("192.0.2.33").b, 4);
	for (i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(0xa0 + i);
	for (k = 0; k < 3; k++) {
		n = ref_build(p, sizeof(p), 6, c6.b, s6.b, protos[k], 1234, 80, pl, sizeof(pl), 0xb9);
		len = nat64_6to4(p, n, o, sizeof(o), &m);
		ck_assert_int_eq(len, (int)n - 20);
		ck_assert_int_eq(ref_parse(o, (size_t)len, &r), 0);
		ck_assert_int_eq(r.version, 4);
		ck_assert_uint_eq(r.hlen, 20);
		ck_assert_int_eq(r.ident, 0);
		ck_assert_int_eq(r.df, 1);
		ck_assert_int_eq(r.mf, 0);
		ck_assert_int_eq(r.fragoff, 0);
		ck_assert_int_eq(r.ttl, 64);
		ck_assert_int_eq(r.tos, 0xb9);	/* DSCP 46 and ECN 01 kept */
		ck_assert_int_eq(r.proto, protos[k] == 58 ? 1 : protos[k]);
		ck_assert_mem_eq(r.src, m.src.b, 4);
		ck_assert_mem_eq(r.dst, m.dst.b, 4);
		ck_assert(ref_all_csum_ok(o, (size_t)len));
		if (protos[k] == 58) {
			ck_assert_int_eq(r.icmp_type, 8);
			ck_assert_int_eq(r.icmp_id, 1234);
			ck_assert_int_eq(r.icmp_seq, 80);
		} else {
			ck_assert_int_eq(r.sport, 1234);
			ck_assert_int_eq(r.dport, 80);
		}
		ck_assert_mem_eq(o + len - sizeof(pl), pl, sizeof(pl));
	}
}
END_TEST

START_TEST(x1_roundtrip_6_4_6)
{
	const int protos[] = { 6, 17, 58 };
	uint8_t pl[300], p[400], o[400], b[400];
	int k;

	rng_state = 0xabcdef;
	for (k = 0; k < 2000; k++) {
		struct nat64_addrs m4, m6;
		uint8_t s[16], d[16];
		size_t n, i, plen = rnd() % sizeof(pl);
		int proto = protos[rnd() % 3], l1, l2, tc = (int)(rnd() & 0xff);

		for (i = 0; i < 16; i++) {
			s[i] = (uint8_t)rnd();
			d[i] = (uint8_t)rnd();
		}
		for (i = 0; i < plen; i++)
			pl[i] = (uint8_t)rnd();
		n = ref_build(p, sizeof(p), 6, s, d, proto, (int)(rnd() & 0xffff), (int)(rnd() & 0xffff), pl, plen, tc);
		if (proto == 58 && (rnd() & 1)) {
			p[40] = 129;	/* echo reply */
			ref_fix_csums(p, n);
		}
		memset(&m4, 0, sizeof(m4));
		m4.src.af = m4.dst.af = 4;
		for (i = 0; i < 4; i++) {
			m4.src.b[i] = (uint8_t)rnd();
			m4.dst.b[i] = (uint8_t)rnd();
		}
		memset(&m6, 0, sizeof(m6));
		pkt_addr_v6(&m6.src, s);
		pkt_addr_v6(&m6.dst, d);
		l1 = nat64_6to4(p, n, o, sizeof(o), &m4);
		ck_assert_int_eq(l1, (int)n - 20);
		ck_assert(ref_all_csum_ok(o, (size_t)l1));
		ck_assert_mem_eq(o + 12, m4.src.b, 4);
		ck_assert_mem_eq(o + 16, m4.dst.b, 4);
		l2 = nat64_4to6(o, (size_t)l1, b, sizeof(b), &m6);
		ck_assert_int_eq(l2, (int)n);
		ck_assert(ref_all_csum_ok(b, n));
		/* identical header and payload; checksum the same value or its other zero */
		if (memcmp(b, p, n) != 0) {
			size_t off = 40 + (proto == 6 ? 16 : proto == 17 ? 6 : 2);
			ck_assert_mem_eq(b, p, off);
			ck_assert_mem_eq(b + off + 2, p + off + 2, n - off - 2);
		}
	}
}
END_TEST

START_TEST(x2_roundtrip_4_6_4_with_options)
{
	const int protos[] = { 6, 17, 1 };
	uint8_t pl[300], p[400], o[400], b[400], ref[400];
	int k;

	rng_state = 0x777;
	for (k = 0; k < 2000; k++) {
		struct nat64_addrs m4, m6;
		uint8_t s[4], d[4];
		size_t n, i, plen = rnd() % sizeof(pl), opt = (rnd() % 11) * 4;
		int proto = protos[rnd() % 3], l1, l2;

		for (i = 0; i < 4; i++) {
			s[i] = (uint8_t)rnd();
			d[i] = (uint8_t)rnd();
		}
		for (i = 0; i < plen; i++)
			pl[i] = (uint8_t)rnd();
		n = ref_build(ref, sizeof(ref), 4, s, d, proto, (int)(rnd() & 0xffff), (int)(rnd() & 0xffff), pl, plen, 0);
		ref[4] = ref[5] = 0;	/* identification 0 */
		ref_fix_csums(ref, n);
		/* the same packet with opt bytes of options inserted */
		memcpy(p, ref, 20);
		memset(p + 20, 1, opt);
		memcpy(p + 20 + opt, ref + 20, n - 20);
		p[0] = (uint8_t)(0x40 | ((20 + opt) / 4));
		pkt_put16(p + 2, (uint16_t)(n + opt));
		ref_fix_csums(p, n + opt);
		memset(&m6, 0, sizeof(m6));
		m6.src.af = m6.dst.af = 6;
		for (i = 0; i < 16; i++) {
			m6.src.b[i] = (uint8_t)rnd();
			m6.dst.b[i] = (uint8_t)rnd();
		}
		memset(&m4, 0, sizeof(m4));
		pkt_addr_v4(&m4.src, s);
		pkt_addr_v4(&m4.dst, d);
		l1 = nat64_4to6(p, n + opt, o, sizeof(o), &m6);
		ck_assert_int_eq(l1, (int)(n + 20));
		ck_assert(ref_all_csum_ok(o, (size_t)l1));
		ck_assert_uint_eq(o[1] & 0x0f, 0);	/* flow label 0 */
		ck_assert_uint_eq(o[2], 0);
		ck_assert_uint_eq(o[3], 0);
		ck_assert_uint_eq(o[7], 64);
		ck_assert_uint_eq(o[6], proto == 1 ? 58 : proto);
		l2 = nat64_6to4(o, (size_t)l1, b, sizeof(b), &m4);
		ck_assert_int_eq(l2, (int)n);
		ck_assert(ref_all_csum_ok(b, n));
		if (memcmp(b, ref, n) != 0) {
			size_t off = 20 + (proto == 6 ? 16 : proto == 17 ? 6 : 2);
			ck_assert_mem_eq(b, ref, off);
			ck_assert_mem_eq(b + off + 2, ref + off + 2, n - off - 2);
		}
	}
}
END_TEST

START_TEST(in_place_and_sizes)
{
	struct nat64_addrs m6 = addrs("fd00:2021:1111::1", "2001:db8::7");
	struct nat64_addrs m4 = addrs("100.64.0.1", "10.0.0.7");
	uint8_t pl[1280], p[1400], q[1400];
	size_t n;
	int l;

	memset(pl, 0x5a, sizeof(pl));
	/* a full 1280-byte IPv4 packet grows to 1300 */
	n = ref_build(p, sizeof(p), 4, m4.src.b, m4.dst.b, 17, 5, 6, pl, 1280 - 28, 0);
	ck_assert_uint_eq(n, 1280);
	memcpy(q, p, n);
	ck_assert_int_eq(nat64_4to6(p, n, p, 1299, &m6), PKT_E_NOSPACE);
	l = nat64_4to6(p, n, p, sizeof(p), &m6);
	ck_assert_int_eq(l, 1300);
	ck_assert(ref_all_csum_ok(p, 1300));
	l = nat64_6to4(p, 1300, p, sizeof(p), &m4);
	ck_assert_int_eq(l, 1280);
	ck_assert(ref_all_csum_ok(p, 1280));
	ck_assert_mem_eq(p + 28, q + 28, 1280 - 28);
	ck_assert_int_eq(nat64_6to4(p, n, p, sizeof(p), &m4), PKT_E_VERSION);
	ck_assert_int_eq(nat64_4to6(p, n, p, sizeof(p), &m4), PKT_E_INVAL);
	ck_assert_int_eq(nat64_4to6(p, n, p, sizeof(p), NULL), PKT_E_INVAL);
}
END_TEST

START_TEST(refused_packets)
{
	struct nat64_addrs m6 = addrs("fd00:2021:1111::1", "2001:db8::7");
	struct nat64_addrs m4 = addrs("100.64.0.1", "10.0.0.7");
	uint8_t pl[16] = { 0 }, p[200], o[200];
	size_t n;

	/* IPv6 with an extension header first */
	n = ref_build(p, sizeof(p), 6, m6.src.b, m6.dst.b, 17, 1, 2, pl, 8, 0);
	p[6] = 0;
	ck_assert_int_eq(nat64_6to4(p, n, o, sizeof(o), &m4), PKT_E_EXTHDR);
	p[6] = 44;
	ck_assert_int_eq(nat64_6to4(p, n, o, sizeof(o), &m4), PKT_E_EXTHDR);
	p[6] = 43;
	ck_assert_int_eq(nat64_6to4(p, n, o, sizeof(o), &m4), PKT_E_EXTHDR);
	p[6] = 60;
	ck_assert_int_eq(nat64_6to4(p, n, o, sizeof(o), &m4), PKT_E_EXTHDR);
	/* a traffic class above 63 is translated (upstream dropped it) */
	n = ref_build(p, sizeof(p), 6, m6.src.b, m6.dst.b, 6, 1, 2, pl, 8, 0xff);
	ck_assert_int_eq(nat64_6to4(p, n, o, sizeof(o), &m4), (int)n - 20);
	ck_assert_uint_eq(o[1], 0xff);
	/* neighbour solicitation has no IPv4 form */
	n = ref_build(p, sizeof(p), 6, m6.src.b, m6.dst.b, 58, 1, 2, pl, 8, 0);
	p[40] = 135;
	ref_fix_csums(p, n);
	ck_assert_int_eq(nat64_6to4(p, n, o, sizeof(o), &m4), PKT_E_PROTO);
	/* IPv4 fragments */
	n = ref_build(p, sizeof(p), 4, m4.src.b, m4.dst.b, 17, 1, 2, pl, 8, 0);
	p[6] = 0x20;	/* MF */
	ref_fix_csums(p, n);
	ck_assert_int_eq(nat64_4to6(p, n, o, sizeof(o), &m6), PKT_E_FRAG);
	p[6] = 0;
	p[7] = 10;	/* offset */
	ref_fix_csums(p, n);
	ck_assert_int_eq(nat64_4to6(p, n, o, sizeof(o), &m6), PKT_E_FRAG);
	/* ICMP timestamp */
	n = ref_build(p, sizeof(p), 4, m4.src.b, m4.dst.b, 1, 1, 2, pl, 12, 0);
	p[20] = 13;
	ref_fix_csums(p, n);
	ck_assert_int_eq(nat64_4to6(p, n, o, sizeof(o), &m6), PKT_E_PROTO);
	/* ICMP error without inner addresses */
	p[20] = 3;
	p[21] = 3;
	ck_assert_int_eq(nat64_4to6(p, n, o, sizeof(o), &m6), PKT_E_PROTO);
	/* IPv4 UDP without checksum gets one in IPv6 */
	n = ref_build(p, sizeof(p), 4, m4.src.b, m4.dst.b, 17, 1, 2, pl, 9, 0);
	p[26] = p[27] = 0;
	ck_assert_int_eq(nat64_4to6(p, n, o, sizeof(o), &m6), (int)n + 20);
	ck_assert_uint_ne(pkt_get16(o + 46), 0);
	ck_assert(ref_all_csum_ok(o, n + 20));
}
END_TEST

START_TEST(type_tables)
{
	static const uint8_t t46[][4] = {
		{ 3, 0, 1, 0 }, { 3, 1, 1, 0 }, { 3, 2, 4, 1 }, { 3, 3, 1, 4 }, { 3, 4, 2, 0 },
		{ 3, 5, 1, 0 }, { 3, 6, 1, 0 }, { 3, 7, 1, 0 }, { 3, 8, 1, 0 }, { 3, 11, 1, 0 },
		{ 3, 12, 1, 0 }, { 3, 9, 1, 1 }, { 3, 10, 1, 1 }, { 3, 13, 1, 1 }, { 3, 15, 1, 1 },
		{ 11, 0, 3, 0 }, { 11, 1, 3, 1 }, { 8, 0, 128, 0 }, { 0, 0, 129, 0 }, { 12, 0, 4, 0 },
	};
	static const uint8_t t64[][4] = {
		{ 1, 0, 3, 1 }, { 1, 2, 3, 1 }, { 1, 3, 3, 1 }, { 1, 1, 3, 10 }, { 1, 4, 3, 3 },
		{ 3, 0, 11, 0 }, { 3, 1, 11, 1 }, { 4, 1, 3, 2 }, { 4, 0, 12, 0 }, { 2, 0, 3, 4 },
		{ 128, 0, 8, 0 }, { 129, 0, 0, 0 },
	};
	static const uint8_t drop4[][2] = { { 3, 14 }, { 5, 0 }, { 4, 0 }, { 13, 0 }, { 12, 1 }, { 3, 16 } };
	static const uint8_t drop6[][2] = { { 1, 5 }, { 1, 6 }, { 4, 2 }, { 135, 0 }, { 130, 0 }, { 200, 0 } };
	uint8_t t, c;
	size_t i;

	for (i = 0; i < sizeof(t46) / sizeof(t46[0]); i++) {
		ck_assert_int_eq(nat64_icmp4_to_icmp6(t46[i][0], t46[i][1], &t, &c), PKT_OK);
		ck_assert_uint_eq(t, t46[i][2]);
		ck_assert_uint_eq(c, t46[i][3]);
	}
	for (i = 0; i < sizeof(t64) / sizeof(t64[0]); i++) {
		ck_assert_int_eq(nat64_icmp6_to_icmp4(t64[i][0], t64[i][1], &t, &c), PKT_OK);
		ck_assert_uint_eq(t, t64[i][2]);
		ck_assert_uint_eq(c, t64[i][3]);
	}
	for (i = 0; i < sizeof(drop4) / sizeof(drop4[0]); i++)
		ck_assert_int_eq(nat64_icmp4_to_icmp6(drop4[i][0], drop4[i][1], &t, &c), PKT_E_PROTO);
	for (i = 0; i < sizeof(drop6) / sizeof(drop6[0]); i++)
		ck_assert_int_eq(nat64_icmp6_to_icmp4(drop6[i][0], drop6[i][1], &t, &c), PKT_E_PROTO);
}
END_TEST

/* Wrap `inner` (quoted up to qlen bytes) in an ICMPv4 error from `from` to `to`. */
static size_t
icmp4_error(uint8_t *out, const struct pkt_addr *from, const struct pkt_addr *to,
    int type, int code, uint32_t rest, const uint8_t *inner, size_t qlen)
{
	size_t n = ref_build(out, 2000, 4, from->b, to->b, 1, 0, 0, inner, qlen, 0);

	out[20] = (uint8_t)type;
	out[21] = (uint8_t)code;
	pkt_put32(out + 24, rest);
	ref_fix_csums(out, n);
	return n;
}

START_TEST(icmp_errors_4to6_and_back)
{
	/* gateway side: client tunnel 100.64.0.1 talked UDP to real 10.0.0.7 */
	struct pkt_addr ct4 = A("100.64.0.1"), real = A("10.0.0.7"), router = A("10.9.9.9");
	struct nat64_addrs m6 = addrs("fd00:2021:1111:8000::7", "fd00:2021:1111::1");
	struct nat64_addrs m4;
	uint8_t pl[100], inner[200], e[2000], o[2000], b[2000];
	struct ref_pkt r, ri;
	size_t ni, ne;
	int l, l2;

	memset(pl, 0x33, sizeof(pl));
	m6.inner_src = A("fd00:2021:1111::1");
	m6.inner_dst = A("fd00:2021:1111:8000::7");
	ni = ref_build(inner, sizeof(inner), 4, ct4.b, real.b, 17, 40000, 53, pl, sizeof(pl), 0);

	/* port unreachable quoting the whole datagram */
	ne = icmp4_error(e, &real, &ct4, 3, 3, 0, inner, ni);
	l = nat64_4to6(e, ne, o, sizeof(o), &m6);
	ck_assert_int_eq(l, (int)(ne + 20 + 20));
	ck_assert(ref_all_csum_ok(o, (size_t)l));
	ck_assert_int_eq(ref_parse(o, (size_t)l, &r), 0);
	ck_assert_int_eq(r.proto, 58);
	ck_assert_int_eq(r.icmp_type, 1);
	ck_assert_int_eq(r.icmp_code, 4);
	ck_assert_mem_eq(r.src, m6.src.b, 16);
	ck_assert_mem_eq(r.dst, m6.dst.b, 16);
	/* the quoted packet is now an IPv6 UDP datagram with a valid checksum */
	ck_assert_int_eq(ref_parse(o + 48, (size_t)l - 48, &ri), 0);
	ck_assert_int_eq(ri.version, 6);
	ck_assert_int_eq(ri.proto, 17);
	ck_assert_int_eq(ri.sport, 40000);
	ck_assert_int_eq(ri.dport, 53);
	ck_assert_mem_eq(ri.src, m6.inner_src.b, 16);
	ck_assert_mem_eq(ri.dst, m6.inner_dst.b, 16);
	ck_assert(ref_all_csum_ok(o + 48, (size_t)l - 48));

	/* and back to IPv4 */
	memset(&m4, 0, sizeof(m4));
	m4.src = real;
	m4.dst = ct4;
	m4.inner_src = ct4;
	m4.inner_dst = real;
	l2 = nat64_6to4(o, (size_t)l, b, sizeof(b), &m4);
	ck_assert_int_eq(l2, (int)ne);
	ck_assert(ref_all_csum_ok(b, (size_t)l2));
	ck_assert_int_eq(ref_parse(b, (size_t)l2, &r), 0);
	ck_assert_int_eq(r.icmp_type, 3);
	ck_assert_int_eq(r.icmp_code, 3);
	ck_assert_int_eq(ref_parse(b + 28, (size_t)l2 - 28, &ri), 0);
	ck_assert_int_eq(ri.sport, 40000);
	ck_assert(ref_all_csum_ok(b + 28, (size_t)l2 - 28));
	ck_assert_mem_eq(b + 28 + 20, inner + 20, ni - 20);

	/* fragmentation needed with MTU 1400 -> packet too big 1420 */
	ne = icmp4_error(e, &router, &ct4, 3, 4, 1400, inner, 28);
	l = nat64_4to6(e, ne, o, sizeof(o), &m6);
	ck_assert_int_gt(l, 0);
	ck_assert(ref_all_csum_ok(o, (size_t)l));
	ck_assert_uint_eq(o[40], 2);
	ck_assert_uint_eq(pkt_get32(o + 44), 1420);
	/* MTU 0: plateau below the quoted total length (128 -> 68) + 20 */
	ne = icmp4_error(e, &router, &ct4, 3, 4, 0, inner, 28);
	l = nat64_4to6(e, ne, o, sizeof(o), &m6);
	ck_assert_int_gt(l, 0);
	ck_assert_uint_eq(pkt_get32(o + 44), 88);
	/* packet too big back to IPv4: MTU - 20 */
	m4.src = router;
	l2 = nat64_6to4(o, (size_t)l, b, sizeof(b), &m4);
	ck_assert_int_gt(l2, 0);
	ck_assert(ref_all_csum_ok(b, (size_t)l2));
	ck_assert_uint_eq(b[20], 3);
	ck_assert_uint_eq(b[21], 4);
	ck_assert_uint_eq(pkt_get16(b + 26), 68);
	/* time exceeded (traceroute) with a header-only quote */
	ne = icmp4_error(e, &router, &ct4, 11, 0, 0, inner, 28);
	l = nat64_4to6(e, ne, o, sizeof(o), &m6);
	ck_assert_int_eq(l, (int)(ne + 40));
	ck_assert(ref_all_csum_ok(o, (size_t)l));
	ck_assert_uint_eq(o[40], 3);
	ck_assert_uint_eq(o[41], 0);
	/* redirect is dropped; a quote shorter than an IPv4 header too */
	ne = icmp4_error(e, &router, &ct4, 5, 0, 0, inner, 28);
	ck_assert_int_eq(nat64_4to6(e, ne, o, sizeof(o), &m6), PKT_E_PROTO);
	ne = icmp4_error(e, &router, &ct4, 3, 1, 0, inner, 12);
	ck_assert_int_eq(nat64_4to6(e, ne, o, sizeof(o), &m6), PKT_E_TRUNC);
}
END_TEST

START_TEST(icmp6_error_size_limit)
{
	struct pkt_addr ct4 = A("100.64.0.1"), real = A("10.0.0.7");
	struct nat64_addrs m6 = addrs("fd00:2021:1111:8000::7", "fd00:2021:1111::1");
	uint8_t pl[1300], inner[1400], e[1500], o[1600];
	size_t ni, ne;
	int l;

	memset(pl, 1, sizeof(pl));
	m6.inner_src = A("fd00:2021:1111::1");
	m6.inner_dst = A("fd00:2021:1111:8000::7");
	ni = ref_build(inner, sizeof(inner), 4, ct4.b, real.b, 6, 1, 2, pl, 1200, 0);
	ne = icmp4_error(e, &real, &ct4, 3, 1, 0, inner, ni);
	l = nat64_4to6(e, ne, o, sizeof(o), &m6);
	ck_assert_int_eq(l, 1280);
	ck_assert(ref_all_csum_ok(o, 1280));
}
END_TEST

START_TEST(echo_reply_all_zero_6to4)
{
	/* ICMPv6 echo reply, identifier, sequence and data 0 */
	uint8_t p[48] = { 0x60, 0, 0, 0, 0, 8, 58, 64,
	    0x20, 0x01, 0x0d, 0xb8, [23] = 1, [24] = 0x20, 0x01, 0x0d, 0xb8, [39] = 2,
	    129, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t o[64];
	struct nat64_addrs m;
	struct pkt_info pi;
	int n;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(pkt_addr_from_str(&m.src, "192.0.2.1"), 0);
	ck_assert_int_eq(pkt_addr_from_str(&m.dst, "198.51.100.2"), 0);
	ck_assert_int_eq(pkt_parse(p, sizeof(p), &pi), PKT_OK);
	ck_assert_int_eq(pkt_fill_checksums(p, &pi), PKT_OK);
	ck_assert(ref_all_csum_ok(p, sizeof(p)));
	n = nat64_6to4(p, sizeof(p), o, sizeof(o), &m);
	ck_assert_int_eq(n, 28);
	/* the ICMPv4 message is all zero bytes: its checksum is 0xffff */
	ck_assert_uint_eq(pkt_get16(o + 22), 0xffff);
	ck_assert(ref_all_csum_ok(o, (size_t)n));
}
END_TEST

START_TEST(fuzz_never_crashes)
{
	struct nat64_addrs m6 = addrs("fd00::1", "fd00::2"), m4 = addrs("10.0.0.1", "10.0.0.2");
	uint8_t pl[64], base[200], o[400];
	int k;

	m6.inner_src = m6.src;
	m6.inner_dst = m6.dst;
	m4.inner_src = m4.src;
	m4.inner_dst = m4.dst;
	rng_state = 31337;
	for (k = 0; k < 20000; k++) {
		size_t n, i, cut;
		uint8_t *p;
		int af = (rnd() & 1) ? 4 : 6, l;
		const int protos[] = { 6, 17, 1 };
		int proto = protos[rnd() % 3];

		if (af == 6 && proto == 1)
			proto = 58;
		for (i = 0; i < sizeof(pl); i++)
			pl[i] = (uint8_t)rnd();
		n = ref_build(base, sizeof(base), af, m6.src.b, m6.dst.b, proto, 1, 2, pl, rnd() % sizeof(pl), 0);
		if (proto == 1 || proto == 58)
			base[af == 4 ? 20 : 40] = (uint8_t)(rnd() % 4 ? rnd() % 14 : rnd());
		for (i = 0; i < 3; i++)
			base[rnd() % n] = (uint8_t)rnd();
		cut = rnd() % (n + 1);
		p = malloc(cut + 1);
		memcpy(p, base, cut);
		l = af == 4 ? nat64_4to6(p, cut, o, sizeof(o), &m6) : nat64_6to4(p, cut, o, sizeof(o), &m4);
		ck_assert_int_le(l, (int)sizeof(o));
		free(p);
	}
}
END_TEST

static Suite *
nat64_suite(void)
{
	Suite *s = suite_create("nat64");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rfc6052_style_vectors);
	tcase_add_test(tc, x1_roundtrip_6_4_6);
	tcase_add_test(tc, x2_roundtrip_4_6_4_with_options);
	tcase_add_test(tc, in_place_and_sizes);
	tcase_add_test(tc, refused_packets);
	tcase_add_test(tc, type_tables);
	tcase_add_test(tc, icmp_errors_4to6_and_back);
	tcase_add_test(tc, icmp6_error_size_limit);
	tcase_add_test(tc, fuzz_never_crashes);
	tcase_add_test(tc, echo_reply_all_zero_6to4);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nat64_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
