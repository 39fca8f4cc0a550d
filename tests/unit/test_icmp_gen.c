/*
 * Unit suite for dataplane/icmp_gen: prohibited replies parsed back by the
 * reference routines in pkt_ref.c, size limits, the cases where no error
 * may be sent, and malformed input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "icmp_gen.h"
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

/* A reply to orig of IPv4 code code4 (type 3) or IPv6 code code6 (type 1). */
static void
check_error(const uint8_t *orig, size_t on, const uint8_t *o, int len, size_t max, int code4,
    int code6)
{
	struct ref_pkt r, ro;
	size_t hl, quoted;

	ck_assert_int_gt(len, 0);
	ck_assert_uint_le((size_t)len, max);
	ck_assert_int_eq(ref_parse(orig, on, &ro), 0);
	ck_assert_int_eq(ref_parse(o, (size_t)len, &r), 0);
	ck_assert(ref_all_csum_ok(o, (size_t)len));
	ck_assert_int_eq(r.version, ro.version);
	ck_assert_int_eq(r.ttl, 20);	/* today's gateway (issue 15) */
	ck_assert_int_eq(r.tos, 0);
	hl = r.version == 4 ? 20 : 40;
	ck_assert_mem_eq(r.src, ro.dst, hl == 20 ? 4 : 16);
	ck_assert_mem_eq(r.dst, ro.src, hl == 20 ? 4 : 16);
	if (r.version == 4) {
		ck_assert_int_eq(r.proto, 1);
		ck_assert_int_eq(r.icmp_type, 3);
		ck_assert_int_eq(r.icmp_code, code4);
	} else {
		ck_assert_int_eq(r.proto, 58);
		ck_assert_int_eq(r.icmp_type, 1);
		ck_assert_int_eq(r.icmp_code, code6);
		ck_assert_int_eq(r.flow, 0);
	}
	ck_assert_uint_eq(pkt_get32(o + hl + 4), 0);	/* unused field */
	quoted = (size_t)len - hl - 8;
	if (r.version == 4)	/* the header and 8 bytes, no more (issue 15) */
		ck_assert_uint_eq(quoted, ro.hlen + 8 < ro.total ? ro.hlen + 8 : ro.total);
	else
		ck_assert_uint_eq(quoted, ro.total < max - hl - 8 ? ro.total : max - hl - 8);
	ck_assert_mem_eq(o + hl + 8, orig, quoted);
}

/* An "administratively prohibited" reply. */
static void
check_reply(const uint8_t *orig, size_t on, const uint8_t *o, int len, size_t max)
{
	check_error(orig, on, o, len, max, 13, 1);
}

START_TEST(replies_parse_back)
{
	const int protos[] = { 6, 17, 1 };
	struct pkt_addr c4 = A("100.64.0.1"), r4 = A("10.0.0.7"), c6 = A("fd00:2021:1111::1"),
	    r6 = A("fd00:2021:1111:8000::3");
	uint8_t pl[1500], p[1600], o[1600];
	size_t n, sizes[] = { 0, 1, 13, 500, 540, 548, 549, 1200, 1400 };
	int k, s;

	for (s = 0; s < 1500; s++)
		pl[s] = (uint8_t)(s * 3);
	for (k = 0; k < 3; k++) {
		for (s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0])); s++) {
			n = ref_build(p, sizeof(p), 4, c4.b, r4.b, protos[k], 40000, 22, pl, sizes[s], 0x2e);
			check_reply(p, n, o, icmp_gen_prohibited(p, n, o, sizeof(o)), ICMP_GEN_MAX_V4);
			n = ref_build(p, sizeof(p), 6, c6.b, r6.b, protos[k] == 1 ? 58 : protos[k], 40000, 22,
			    pl, sizes[s], 0x2e);
			check_reply(p, n, o, icmp_gen_prohibited(p, n, o, sizeof(o)), ICMP_GEN_MAX_V6);
		}
	}
	/* exact caps for large packets */
	n = ref_build(p, sizeof(p), 4, c4.b, r4.b, 6, 1, 2, pl, 1400, 0);
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 20 + 8 + 20 + 8);
	n = ref_build(p, sizeof(p), 6, c6.b, r6.b, 17, 1, 2, pl, 1400, 0);
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 1280);
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, 1279), PKT_E_NOSPACE);
	/* link padding after the packet is not quoted */
	n = ref_build(p, sizeof(p), 4, c4.b, r4.b, 17, 1, 2, pl, 0, 0);
	memset(p + n, 0xee, 6);
	ck_assert_int_eq(icmp_gen_prohibited(p, n + 6, o, sizeof(o)), (int)(28 + n));
	/* options are quoted with the header */
	{
		uint8_t q[100];
		memcpy(q, p, 20);
		memset(q + 20, 1, 8);
		memcpy(q + 28, p + 20, n - 20);
		q[0] = 0x47;
		pkt_put16(q + 2, (uint16_t)(n + 8));
		ref_fix_csums(q, n + 8);
		check_reply(q, n + 8, o, icmp_gen_prohibited(q, n + 8, o, sizeof(o)), ICMP_GEN_MAX_V4);
	}
}
END_TEST

START_TEST(no_reply_cases)
{
	struct pkt_addr c4 = A("100.64.0.1"), r4 = A("10.0.0.7"), c6 = A("fd00:2021:1111::1"),
	    r6 = A("2001:db8::1");
	const char *bad4[] = { "224.0.0.1", "255.255.255.255", "0.0.0.0", "127.0.0.1", "240.0.0.1" };
	const char *bad6[] = { "ff02::16", "::", "::1" };
	uint8_t pl[16] = { 0 }, p[200], o[1600];
	size_t n, i;

	/* ICMP errors are never answered */
	n = ref_build(p, sizeof(p), 4, c4.b, r4.b, 1, 1, 2, pl, 16, 0);
	p[20] = 3;
	ref_fix_csums(p, n);
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	p[20] = 11;
	ref_fix_csums(p, n);
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	n = ref_build(p, sizeof(p), 6, c6.b, r6.b, 58, 1, 2, pl, 16, 0);
	for (i = 0; i < 128; i += 1) {
		p[40] = (uint8_t)i;
		ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	}
	p[40] = 137;	/* redirect */
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	p[40] = 128;	/* echo request: answered */
	ck_assert_int_gt(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	/* non-first fragment */
	n = ref_build(p, sizeof(p), 4, c4.b, r4.b, 17, 1, 2, pl, 16, 0);
	p[7] = 3;
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	p[6] = 0x20;	/* first fragment (MF, offset 0): answered */
	p[7] = 0;
	ck_assert_int_gt(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	/* non-unicast addresses either side */
	for (i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		struct pkt_addr b = A(bad4[i]);
		n = ref_build(p, sizeof(p), 4, c4.b, b.b, 17, 1, 2, pl, 4, 0);
		ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
		n = ref_build(p, sizeof(p), 4, b.b, r4.b, 17, 1, 2, pl, 4, 0);
		ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	}
	for (i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		struct pkt_addr b = A(bad6[i]);
		n = ref_build(p, sizeof(p), 6, c6.b, b.b, 17, 1, 2, pl, 4, 0);
		ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
		n = ref_build(p, sizeof(p), 6, b.b, r6.b, 17, 1, 2, pl, 4, 0);
		ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), 0);
	}
}
END_TEST

START_TEST(malformed)
{
	struct pkt_addr c4 = A("100.64.0.1"), r4 = A("10.0.0.7");
	uint8_t pl[16] = { 0 }, p[200], o[1600];
	size_t n, i;

	n = ref_build(p, sizeof(p), 4, c4.b, r4.b, 6, 1, 2, pl, 16, 0);
	for (i = 0; i < n; i++)
		ck_assert_int_lt(icmp_gen_prohibited(p, i, o, sizeof(o)), 0);
	p[0] = 0x43;
	ck_assert_int_eq(icmp_gen_prohibited(p, n, o, sizeof(o)), PKT_E_HDRLEN);
	ck_assert_int_eq(icmp_gen_prohibited(p, n, NULL, 0), PKT_E_INVAL);
	rng_state = 4242;
	for (i = 0; i < 20000; i++) {
		size_t len = rnd() % 120, j;
		uint8_t *b = malloc(len + 1);
		int l;

		for (j = 0; j < len; j++)
			b[j] = (uint8_t)rnd();
		if (len > 0)
			b[0] = (uint8_t)((rnd() & 1 ? 0x45 : 0x60) | (rnd() % 3 == 0 ? b[0] & 0x0f : 0));
		if (len >= 4 && (b[0] >> 4) == 4)
			pkt_put16(b + 2, (uint16_t)len);
		if (len >= 6 && (b[0] >> 4) == 6)
			pkt_put16(b + 4, (uint16_t)(len - 40));
		l = icmp_gen_prohibited(b, len, o, sizeof(o));
		if (l > 0)
			ck_assert(ref_all_csum_ok(o, (size_t)l));
		free(b);
	}
}
END_TEST

/* Unreachable: IPv4 type 3 code 0, IPv6 type 1 code 3, the same rules otherwise. */
START_TEST(unreachable_replies)
{
	const int protos[] = { 6, 17, 1 };
	struct pkt_addr c4 = A("100.64.0.1"), r4 = A("10.0.0.7"), c6 = A("fd00:2021:1111::1"),
	    r6 = A("fd00:2021:1111:8000::3");
	uint8_t pl[1500], p[1600], o[1600];
	size_t n, sizes[] = { 0, 13, 548, 549, 1400 };
	int k, s;

	for (s = 0; s < 1500; s++)
		pl[s] = (uint8_t)(s * 7);
	for (k = 0; k < 3; k++) {
		for (s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0])); s++) {
			n = ref_build(p, sizeof(p), 4, c4.b, r4.b, protos[k], 40000, 22, pl, sizes[s], 0);
			check_error(p, n, o, icmp_gen_unreachable(p, n, o, sizeof(o)), ICMP_GEN_MAX_V4, 0, 3);
			n = ref_build(p, sizeof(p), 6, c6.b, r6.b, protos[k] == 1 ? 58 : protos[k], 40000, 22,
			    pl, sizes[s], 0);
			check_error(p, n, o, icmp_gen_unreachable(p, n, o, sizeof(o)), ICMP_GEN_MAX_V6, 0, 3);
		}
	}
	ck_assert_int_eq(icmp_gen_unreachable(p, n, o, 100), PKT_E_NOSPACE);
	ck_assert_int_eq(icmp_gen_unreachable(p, n, NULL, 0), PKT_E_INVAL);
	/* never about an ICMP error */
	n = ref_build(p, sizeof(p), 4, c4.b, r4.b, 1, 1, 2, pl, 16, 0);
	p[20] = 3;
	ref_fix_csums(p, n);
	ck_assert_int_eq(icmp_gen_unreachable(p, n, o, sizeof(o)), 0);
}
END_TEST

static Suite *
icmp_gen_suite(void)
{
	Suite *s = suite_create("icmp_gen");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, replies_parse_back);
	tcase_add_test(tc, no_reply_cases);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, unreachable_replies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(icmp_gen_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
