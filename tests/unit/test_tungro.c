/*
 * Unit suite for dataplane/tungro: what it joins and what it refuses,
 * and the round trip that matters: every joined packet, cut again the way
 * the kernel does (here by tunoff, already tested against a naive
 * checksum), gives back exactly the packets that went in, in the same
 * order within each flow, for scripted and for random sequences.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "tungro.h"
#include "tunoff.h"

static struct tungro g;

/* Everything that reached the "TUN", cut back into packets. */
#define OUT_MAX 4096
static uint8_t *outp[OUT_MAX];
static size_t outn[OUT_MAX];
static int nout, nemits, ngso, fail_gso;

static void
keep(void *ctx, uint8_t *pkt, size_t len, size_t cap)
{
	(void)ctx;
	(void)cap;
	ck_assert_int_lt(nout, OUT_MAX);
	outp[nout] = malloc(len);
	memcpy(outp[nout], pkt, len);
	outn[nout++] = len;
}

static int
emit(void *ctx, const uint8_t hdr[TUNOFF_HDR_LEN], uint8_t *pkt, size_t len)
{
	static uint8_t scratch[2048];
	struct tunoff_hdr h;

	(void)ctx;
	ck_assert_int_eq(tunoff_hdr_decode(hdr, TUNOFF_HDR_LEN, &h), 0);
	nemits++;
	if (h.gso_type != TUNOFF_GSO_NONE) {
		ngso++;
		if (fail_gso)
			return -1;
		/* The IPv4 header of a joined packet must itself be valid. */
		if (pkt[0] >> 4 == 4)
			ck_assert_uint_eq(pkt_csum(pkt, 20), 0);
		ck_assert_uint_eq(h.hdr_len, h.csum_start + (pkt[h.csum_start - 0] && h.csum_offset == 16 ?
		    (pkt[h.csum_start + 12] >> 4) * 4 : 8));
	}
	ck_assert_int_ge(tunoff_split(&h, pkt, len, len, scratch, sizeof(scratch), keep, NULL), 1);
	return 0;
}

/* Offer a packet; if tungro gives it back, "write" it directly. */
static void
offer(uint8_t *p, size_t n)
{
	if (tungro_add(&g, p, n, emit, NULL) == 0)
		keep(NULL, p, n, n);
}

static void
reset_out(void)
{
	int i;

	for (i = 0; i < nout; i++)
		free(outp[i]);
	nout = nemits = ngso = 0;
}

/* Input packets, kept to compare. */
static uint8_t inp[OUT_MAX][1500];
static size_t inn[OUT_MAX];
static int nin;

/* Flow f (0..15) packet: TCP or UDP, v4 or v6. */
static size_t
mk(uint8_t *b, int v, uint8_t proto, int f, uint32_t seq, uint16_t id, size_t payload,
    uint8_t flags, uint8_t ttl)
{
	size_t l3 = v == 4 ? 20 : 40, l4 = proto == PKT_PROTO_TCP ? 32 : 8, n = l3 + l4 + payload, i;
	struct pkt_info pi;

	memset(b, 0, l3 + l4);
	if (v == 4) {
		b[0] = 0x45;
		pkt_put16(b + 2, (uint16_t)n);
		pkt_put16(b + 4, id);
		b[6] = 0x40;
		b[8] = ttl;
		b[9] = proto;
		b[12] = 100, b[13] = 64, b[14] = 0, b[15] = 2;
		b[16] = 10, b[17] = 99, b[18] = 0, b[19] = (uint8_t)(2 + f);
	} else {
		b[0] = 0x60;
		pkt_put16(b + 4, (uint16_t)(n - 40));
		b[6] = proto;
		b[7] = ttl;
		b[8] = 0xfd, b[23] = 2;
		b[24] = 0xfd, b[39] = (uint8_t)(3 + f);
	}
	pkt_put16(b + l3, (uint16_t)(40000 + f));
	pkt_put16(b + l3 + 2, 5201);
	if (proto == PKT_PROTO_TCP) {
		pkt_put32(b + l3 + 4, seq);
		pkt_put32(b + l3 + 8, 4242);
		b[l3 + 12] = 8 << 4;
		b[l3 + 13] = flags;
		pkt_put16(b + l3 + 14, 1000);
		b[l3 + 20] = 1, b[l3 + 21] = 1, b[l3 + 22] = 8, b[l3 + 23] = 10;
		pkt_put32(b + l3 + 24, 12345);
	} else {
		pkt_put16(b + l3 + 4, (uint16_t)(8 + payload));
		pkt_put16(b + l3 + 6, 1); /* a checksum is wanted (0 = none) */
	}
	for (i = 0; i < payload; i++)
		b[l3 + l4 + i] = (uint8_t)(seq + i * 7 + (size_t)f);
	ck_assert_int_eq(pkt_parse(b, n, &pi), PKT_OK);
	ck_assert_int_eq(pkt_fill_checksums(b, &pi), PKT_OK);
	return n;
}

static void
add_in(int v, uint8_t proto, int f, uint32_t seq, uint16_t id, size_t payload, uint8_t flags,
    uint8_t ttl)
{
	ck_assert_int_lt(nin, OUT_MAX);
	inn[nin] = mk(inp[nin], v, proto, f, seq, id, payload, flags, ttl);
	offer(inp[nin], inn[nin]);
	nin++;
}

/* Flow key of a packet: version, protocol, last address byte, port. */
static int
flow_of(const uint8_t *p)
{
	int v = p[0] >> 4;
	size_t l3 = v == 4 ? 20 : 40;

	return v * 100000 + (v == 4 ? p[9] : p[6]) * 1000 + (v == 4 ? p[19] : p[39]) * 10 +
	    (pkt_get16(p + l3) - 40000);
}

/* Per flow, the output equals the input, byte for byte and in order. */
static void
check_round_trip(void)
{
	int i, j, k, f;

	tungro_flush(&g, emit, NULL);
	ck_assert_int_eq(nout, nin);
	for (i = 0; i < nin; i++) {
		f = flow_of(inp[i]);
		/* the i-th input is the k-th of its flow */
		for (j = 0, k = 0; j < i; j++)
			k += flow_of(inp[j]) == f;
		for (j = 0; j < nout; j++)
			if (flow_of(outp[j]) == f && k-- == 0)
				break;
		ck_assert_int_lt(j, nout);
		ck_assert_uint_eq(outn[j], inn[i]);
		ck_assert_mem_eq(outp[j], inp[i], inn[i]);
	}
}

static void
setup(void)
{
	tungro_init(&g);
	reset_out();
	nin = 0;
	fail_gso = 0;
}

START_TEST(tcp_run_joins)
{
	int v = _i ? 6 : 4, k;
	uint32_t seq = 0xfffffa00u; /* wraps */

	setup();
	for (k = 0; k < 10; k++, seq += 1200)
		add_in(v, PKT_PROTO_TCP, 0, seq, (uint16_t)(7 + k), 1200, 0x10 | (k == 9 ? 0x08 : 0), 64);
	ck_assert_int_eq(nemits, 0); /* all held until the flush */
	check_round_trip();
	ck_assert_int_eq(nemits, 1);
	ck_assert_int_eq(ngso, 1);
}
END_TEST

START_TEST(udp_run_joins)
{
	int v = _i ? 6 : 4, k;

	setup();
	for (k = 0; k < 6; k++)
		add_in(v, PKT_PROTO_UDP, 1, (uint32_t)k, (uint16_t)(100 + k), k == 5 ? 300 : 1000, 0, 64);
	/* A shorter datagram closed the run: the next one starts anew. */
	add_in(v, PKT_PROTO_UDP, 1, 9, 106, 1000, 0, 64);
	check_round_trip();
	ck_assert_int_eq(nemits, 2);
	ck_assert_int_eq(ngso, 1);
}
END_TEST

START_TEST(order_kept_across_breaks)
{
	setup();
	add_in(4, PKT_PROTO_TCP, 0, 1000, 1, 500, 0x10, 64);
	add_in(4, PKT_PROTO_TCP, 1, 5000, 1, 500, 0x10, 64);   /* another flow */
	add_in(4, PKT_PROTO_TCP, 0, 1500, 2, 500, 0x10, 64);
	add_in(4, PKT_PROTO_TCP, 0, 9999, 3, 500, 0x10, 64);   /* a gap */
	add_in(4, PKT_PROTO_TCP, 0, 10499, 4, 500, 0x10, 63);  /* another TTL */
	add_in(4, PKT_PROTO_TCP, 0, 10999, 5, 500, 0x11, 63);  /* FIN: written itself */
	add_in(4, PKT_PROTO_TCP, 1, 5500, 2, 500, 0x12, 64);   /* SYN|ACK: itself */
	add_in(4, PKT_PROTO_TCP, 1, 6000, 3, 0, 0x10, 64);     /* no payload */
	add_in(4, PKT_PROTO_UDP, 0, 0, 9, 700, 0, 64);
	add_in(6, PKT_PROTO_UDP, 0, 0, 0, 700, 0, 64);         /* same port, v6 */
	add_in(4, PKT_PROTO_TCP, 0, 11499, 6, 500, 0x18, 63);  /* PSH alone */
	check_round_trip();
}
END_TEST

START_TEST(limits)
{
	int k;

	setup();
	/* 64 segments at most; 65535 bytes at most. */
	for (k = 0; k < 70; k++)
		add_in(4, PKT_PROTO_TCP, 2, (uint32_t)(k * 100), (uint16_t)k, 100, 0x10, 64);
	check_round_trip();
	ck_assert_int_eq(ngso, 2);
	setup();
	for (k = 0; k < 60; k++)
		add_in(6, PKT_PROTO_TCP, 2, (uint32_t)(k * 1400), (uint16_t)k, 1400, 0x10, 64);
	check_round_trip();
	ck_assert_int_eq(ngso, 2);
	/* More flows than slots: the oldest leaves, nothing is lost. */
	setup();
	for (k = 0; k < 40; k++)
		add_in(4, PKT_PROTO_UDP, k % 12, (uint32_t)k, (uint16_t)(k / 12), 200, 0, 64);
	check_round_trip();
}
END_TEST

START_TEST(refused_kind_is_not_joined_again)
{
	int k;

	setup();
	fail_gso = 1;
	for (k = 0; k < 3; k++)
		add_in(4, PKT_PROTO_TCP, 0, (uint32_t)(k * 100), (uint16_t)k, 100, 0x10, 64);
	tungro_flush(&g, emit, NULL);
	ck_assert_int_eq(ngso, 1);
	ck_assert(g.no_tcp);
	reset_out();
	for (k = 3; k < 6; k++)
		add_in(4, PKT_PROTO_TCP, 0, (uint32_t)(k * 100), (uint16_t)k, 100, 0x10, 64);
	ck_assert_int_eq(nout, 3); /* written one by one at once */
	ck_assert_int_eq(ngso, 0);
	/* UDP still joins. */
	add_in(4, PKT_PROTO_UDP, 0, 0, 1, 100, 0, 64);
	ck_assert_int_eq(nout, 3);
	tungro_flush(&g, emit, NULL);
}
END_TEST

/* DF datagrams with a fixed identification (Linux sends 0 on an
 * unconnected socket) join; the kernel renumbers them, which RFC 6864
 * allows.  Without DF they do not. */
START_TEST(df_identification_free)
{
	uint8_t b[8][1500];
	size_t n[8];
	int k;

	setup();
	for (k = 0; k < 8; k++)
		n[k] = mk(b[k], 4, PKT_PROTO_UDP, 3, (uint32_t)k, 0, 400, 0, 64);
	for (k = 0; k < 8; k++)
		offer(b[k], n[k]);
	tungro_flush(&g, emit, NULL);
	ck_assert_int_eq(ngso, 1);
	ck_assert_int_eq(nout, 8);
	for (k = 0; k < 8; k++) {
		ck_assert_uint_eq(outn[k], n[k]);
		ck_assert_uint_eq(pkt_get16(outp[k] + 4), k); /* renumbered */
		ck_assert_uint_eq(pkt_csum(outp[k], 20), 0);
		ck_assert_mem_eq(outp[k] + 12, b[k] + 12, n[k] - 12);
	}
	/* Without DF: no join, untouched. */
	setup();
	for (k = 0; k < 4; k++) {
		n[k] = mk(b[k], 4, PKT_PROTO_UDP, 3, (uint32_t)k, 0, 400, 0, 64);
		b[k][6] = 0;
		b[k][10] = b[k][11] = 0;
		pkt_put16(b[k] + 10, pkt_csum(b[k], 20));
		offer(b[k], n[k]);
	}
	tungro_flush(&g, emit, NULL);
	ck_assert_int_eq(ngso, 0);
	for (k = 0; k < 4; k++)
		ck_assert_mem_eq(outp[k], b[k], n[k]);
}
END_TEST

START_TEST(udp4_without_checksum_untouched)
{
	uint8_t b[1500];
	size_t n;
	int k;

	setup();
	for (k = 0; k < 3; k++) {
		n = mk(b, 4, PKT_PROTO_UDP, 0, 0, (uint16_t)k, 500, 0, 64);
		pkt_put16(b + 26, 0);
		ck_assert_int_eq(tungro_add(&g, b, n, emit, NULL), 0);
	}
	ck_assert_int_eq(nemits, 0);
}
END_TEST

/* Random interleavings of a few flows, with gaps, flag changes, size
 * changes and TTL changes: the round trip always holds. */
START_TEST(random_round_trip)
{
	uint32_t seq[6];
	uint16_t id[6];
	int round, k, f;

	srand(11);
	for (round = 0; round < 200; round++) {
		setup();
		memset(seq, 0, sizeof(seq));
		memset(id, 0, sizeof(id));
		for (k = 0; k < 120; k++) {
			size_t pl;
			uint8_t fl = 0x10;
			f = rand() % 6;
			pl = rand() % 5 == 0 ? (size_t)(rand() % 1300) : 1000;
			if (rand() % 20 == 0)
				fl |= 0x08;
			if (rand() % 50 == 0)
				fl |= 0x01;
			if (rand() % 30 == 0)
				seq[f] += 17;
			add_in(f < 3 ? 4 : 6, f % 2 ? PKT_PROTO_UDP : PKT_PROTO_TCP, f, seq[f], id[f], pl,
			    fl, rand() % 40 == 0 ? 1 : 64);
			seq[f] += (uint32_t)pl;
			id[f]++;
			if (rand() % 25 == 0)
				tungro_flush(&g, emit, NULL);
		}
		check_round_trip();
	}
}
END_TEST

static Suite *
tungro_suite(void)
{
	Suite *s = suite_create("tungro");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, tcp_run_joins, 0, 2);
	tcase_add_loop_test(tc, udp_run_joins, 0, 2);
	tcase_add_test(tc, order_kept_across_breaks);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, refused_kind_is_not_joined_again);
	tcase_add_test(tc, df_identification_free);
	tcase_add_test(tc, udp4_without_checksum_untouched);
	tcase_add_test(tc, random_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tungro_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	reset_out();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
