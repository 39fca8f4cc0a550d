/*
 * Unit suite for dataplane/tunoff: TSO (TCP over IPv4 and IPv6) and USO
 * packets cut into segments, partial checksums completed, and every
 * malformed header refused.  Checksums are verified by a naive RFC 1071
 * sum written here, not by the module's own helpers.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "tunoff.h"

static uint8_t out[64][1600];
static size_t outlen[64];
static int nout;

static void
collect(void *ctx, uint8_t *pkt, size_t len, size_t cap)
{
	(void)ctx;
	ck_assert_uint_ge(cap, len);
	ck_assert_int_lt(nout, 64);
	ck_assert_uint_le(len, sizeof(out[0]));
	memcpy(out[nout], pkt, len);
	outlen[nout++] = len;
}

/* Random input: only that every packet fits where it is handed over. */
static void
count_any(void *ctx, uint8_t *pkt, size_t len, size_t cap)
{
	(void)pkt;
	ck_assert_uint_ge(cap, len);
	ck_assert_uint_le(len, 65535);
	(*(int *)ctx)++;
}

static uint32_t
naive_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
naive_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The transport checksum of a whole packet verifies (sum folds to 0xffff). */
static int
l4_ok(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t l3;
	uint8_t proto;
	uint8_t ph[4];

	if (p[0] >> 4 == 4) {
		l3 = (size_t)(p[0] & 15) * 4;
		proto = p[9];
		s = naive_add(s, p + 12, 8);
		if (naive_fold(naive_add(0, p, l3)) != 0xffff)
			return 0; /* IPv4 header checksum */
	} else {
		l3 = 40;
		proto = p[6];
		s = naive_add(s, p + 8, 32);
	}
	ph[0] = 0;
	ph[1] = proto;
	ph[2] = (uint8_t)((n - l3) >> 8);
	ph[3] = (uint8_t)(n - l3);
	s = naive_add(s, ph, 4);
	s = naive_add(s, p + l3, n - l3);
	return naive_fold(s) == 0xffff;
}

static uint8_t big[70000], scratch[2048];

/* An IPv4 or IPv6 header + TCP/UDP header and `payload` bytes of pattern. */
static size_t
build(int v, uint8_t proto, size_t payload, uint8_t tcpflags)
{
	size_t l3 = v == 4 ? 20 : 40, l4 = proto == PKT_PROTO_TCP ? 32 : 8, n, i;

	memset(big, 0, l3 + l4);
	n = l3 + l4 + payload;
	if (v == 4) {
		big[0] = 0x45;
		pkt_put16(big + 2, (uint16_t)n);
		pkt_put16(big + 4, 0x1234);
		big[6] = 0x40;
		big[8] = 64;
		big[9] = proto;
		memcpy(big + 12, "\x0a\x63\x00\x02\x64\x40\x00\x02", 8);
	} else {
		big[0] = 0x60;
		pkt_put16(big + 4, (uint16_t)(n - 40));
		big[6] = proto;
		big[7] = 64;
		big[8] = 0xfd;
		big[23] = 2;
		big[24] = 0xfd;
		big[39] = 3;
	}
	pkt_put16(big + l3, 5201);
	pkt_put16(big + l3 + 2, 40000);
	if (proto == PKT_PROTO_TCP) {
		pkt_put32(big + l3 + 4, 0xfffff000u); /* wraps inside the run */
		pkt_put32(big + l3 + 8, 77);
		big[l3 + 12] = 8 << 4; /* 32-byte header: 12 bytes of options */
		big[l3 + 13] = tcpflags;
		pkt_put16(big + l3 + 14, 502);
		big[l3 + 20] = 1;
		big[l3 + 21] = 1;
		big[l3 + 22] = 8;
		big[l3 + 23] = 10;
	} else {
		pkt_put16(big + l3 + 4, (uint16_t)(8 + payload));
	}
	for (i = 0; i < payload; i++)
		big[l3 + l4 + i] = (uint8_t)(i * 13 + i / 251);
	/* The kernel leaves the pseudo-header sum in the checksum field. */
	return n;
}

static struct tunoff_hdr
hdr(uint8_t gso, uint16_t mss, uint16_t start, uint16_t csoff)
{
	struct tunoff_hdr h;

	memset(&h, 0, sizeof(h));
	h.flags = TUNOFF_F_NEEDS_CSUM;
	h.gso_type = gso;
	h.gso_size = mss;
	h.csum_start = start;
	h.csum_offset = csoff;
	return h;
}

static void
check_tcp(int v)
{
	size_t l3 = v == 4 ? 20 : 40, hl = l3 + 32, payload = 5000, mss = 1208, got = 0;
	size_t n = build(v, PKT_PROTO_TCP, payload, 0x80 | 0x10 | 0x08 | 0x01);
	struct tunoff_hdr h = hdr(v == 4 ? TUNOFF_GSO_TCPV4 : TUNOFF_GSO_TCPV6, (uint16_t)mss,
	    (uint16_t)l3, 16);
	uint8_t orig[6000];
	int i;

	memcpy(orig, big, n);
	nout = 0;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect,
	    NULL), 5);
	ck_assert_int_eq(nout, 5);
	for (i = 0; i < nout; i++) {
		size_t plen = i < 4 ? mss : payload - 4 * mss;
		uint8_t f = out[i][l3 + 13];
		ck_assert_uint_eq(outlen[i], hl + plen);
		ck_assert(l4_ok(out[i], outlen[i]));
		if (v == 4) {
			ck_assert_uint_eq(pkt_get16(out[i] + 2), hl + plen);
			ck_assert_uint_eq(pkt_get16(out[i] + 4), 0x1234 + i);
		} else {
			ck_assert_uint_eq(pkt_get16(out[i] + 4), hl + plen - 40);
		}
		ck_assert_uint_eq(pkt_get32(out[i] + l3 + 4), (uint32_t)(0xfffff000u + i * mss));
		ck_assert_int_eq(!!(f & 0x80), i == 0);       /* CWR: first only */
		ck_assert_int_eq(!!(f & 0x01), i == 4);       /* FIN: last only */
		ck_assert_int_eq(!!(f & 0x08), i == 4);       /* PSH: last only */
		ck_assert(f & 0x10);                          /* ACK: all */
		ck_assert_mem_eq(out[i] + l3 + 20, orig + l3 + 20, 12); /* options */
		ck_assert_mem_eq(out[i] + hl, orig + hl + got, plen);
		got += plen;
	}
	ck_assert_uint_eq(got, payload);
}

START_TEST(tso_v4) { check_tcp(4); }
END_TEST

START_TEST(tso_v6) { check_tcp(6); }
END_TEST

static void
check_udp(int v)
{
	size_t l3 = v == 4 ? 20 : 40, payload = 3000, mss = 1100, got = 0;
	size_t n = build(v, PKT_PROTO_UDP, payload, 0);
	struct tunoff_hdr h = hdr(TUNOFF_GSO_UDP_L4, (uint16_t)mss, (uint16_t)l3, 6);
	int i;

	nout = 0;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect,
	    NULL), 3);
	for (i = 0; i < nout; i++) {
		size_t plen = i < 2 ? mss : payload - 2 * mss;
		ck_assert_uint_eq(outlen[i], l3 + 8 + plen);
		ck_assert_uint_eq(pkt_get16(out[i] + l3 + 4), 8 + plen);
		ck_assert(l4_ok(out[i], outlen[i]));
		ck_assert_mem_eq(out[i] + l3 + 8, big + l3 + 8 + got, plen);
		got += plen;
	}
	ck_assert_uint_eq(got, payload);
}

START_TEST(uso_v4) { check_udp(4); }
END_TEST

START_TEST(uso_v6) { check_udp(6); }
END_TEST

START_TEST(partial_checksum_completed)
{
	size_t n = build(4, PKT_PROTO_UDP, 300, 0);
	uint32_t s;
	uint8_t ph[4] = { 0, PKT_PROTO_UDP, 0, 0 };
	struct tunoff_hdr h = hdr(TUNOFF_GSO_NONE, 0, 20, 6);

	/* Seed the field with the pseudo-header sum, as the kernel does. */
	pkt_put16(ph + 2, (uint16_t)(n - 20));
	s = naive_add(naive_add(0, big + 12, 8), ph, 4);
	pkt_put16(big + 26, naive_fold(s));
	big[10] = big[11] = 0;
	pkt_put16(big + 10, (uint16_t)~naive_fold(naive_add(0, big, 20)));
	nout = 0;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect,
	    NULL), 1);
	ck_assert_uint_eq(outlen[0], n);
	ck_assert(l4_ok(out[0], n));

	/* No offload at all: handed over untouched. */
	h.flags = 0;
	big[30] ^= 0xff;
	nout = 0;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect,
	    NULL), 1);
	ck_assert_mem_eq(out[0], big, n);
}
END_TEST

START_TEST(malformed_refused)
{
	size_t n = build(4, PKT_PROTO_TCP, 4000, 0x10);
	struct tunoff_hdr h = hdr(TUNOFF_GSO_TCPV4, 1200, 20, 16);
	uint8_t save;

	nout = 0;
	/* Zero segment size; unknown and UFO types; the wrong family. */
	h.gso_size = 0;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	h.gso_size = 1200;
	h.gso_type = 9;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	h.gso_type = TUNOFF_GSO_UDP;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	h.gso_type = TUNOFF_GSO_TCPV6;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	h.gso_type = TUNOFF_GSO_UDP_L4; /* a TCP packet called UDP */
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	h.gso_type = TUNOFF_GSO_TCPV4;
	/* Length field that does not cover the buffer; short buffers. */
	ck_assert_int_eq(tunoff_split(&h, big, n - 1, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	ck_assert_int_eq(tunoff_split(&h, big, 10, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	ck_assert_int_eq(tunoff_split(&h, big, 30, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	/* TCP data offset below 5 words; a segment larger than the scratch. */
	save = big[32];
	big[32] = 4 << 4;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	big[32] = save;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, 1200, collect, NULL), -1);
	/* IPv6 jumbogram (payload length 0) and an IPv4 IHL below 5. */
	n = build(6, PKT_PROTO_TCP, 4000, 0x10);
	h.gso_type = TUNOFF_GSO_TCPV6;
	pkt_put16(big + 4, 0);
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	n = build(4, PKT_PROTO_TCP, 4000, 0x10);
	h.gso_type = TUNOFF_GSO_TCPV4;
	big[0] = 0x44;
	ck_assert_int_eq(tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	/* Partial checksum pointing outside the packet. */
	h = hdr(TUNOFF_GSO_NONE, 0, 20, 16);
	ck_assert_int_eq(tunoff_split(&h, big, 30, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	h.csum_start = 40;
	ck_assert_int_eq(tunoff_split(&h, big, 40, sizeof(big), scratch, sizeof(scratch), collect, NULL), -1);
	ck_assert_int_eq(nout, 0);
	/* The header decoder wants ten bytes. */
	ck_assert_int_eq(tunoff_hdr_decode(big, 9, &h), -1);
	ck_assert_int_eq(tunoff_hdr_decode(big, 10, &h), 0);
}
END_TEST

/* Random headers over random packets: never a crash, never a segment
 * larger than the scratch buffer. */
START_TEST(random_headers)
{
	struct tunoff_hdr h;
	size_t n;
	int i, r, cnt;

	srand(7);
	for (i = 0; i < 20000; i++) {
		n = build(i & 1 ? 4 : 6, i & 2 ? PKT_PROTO_TCP : PKT_PROTO_UDP,
		    (size_t)(rand() % 9000), (uint8_t)rand());
		h.flags = (uint8_t)(rand() & 1);
		h.gso_type = (uint8_t)(rand() % 7) | (uint8_t)(rand() & 0x80);
		h.hdr_len = (uint16_t)rand();
		h.gso_size = (uint16_t)(rand() % 1500);
		h.csum_start = (uint16_t)(rand() % 100);
		h.csum_offset = (uint16_t)(rand() % 20);
		if (rand() % 4 == 0)
			big[rand() % 60] = (uint8_t)rand();
		cnt = 0;
		r = tunoff_split(&h, big, n, sizeof(big), scratch, sizeof(scratch), count_any, &cnt);
		ck_assert_int_eq(r < 0 ? 0 : r, cnt);
	}
}
END_TEST

static Suite *
tunoff_suite(void)
{
	Suite *s = suite_create("tunoff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, tso_v4);
	tcase_add_test(tc, tso_v6);
	tcase_add_test(tc, uso_v4);
	tcase_add_test(tc, uso_v6);
	tcase_add_test(tc, partial_checksum_completed);
	tcase_add_test(tc, malformed_refused);
	tcase_add_test(tc, random_headers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tunoff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
