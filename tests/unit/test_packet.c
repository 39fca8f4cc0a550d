/* Unit suite for dataplane/packet: parsing, checksums, setters, malformed input. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

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

static const uint8_t c4[4] = { 100, 64, 0, 1 };
static const uint8_t r4[4] = { 10, 0, 0, 7 };
static const uint8_t c6[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t r6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };

START_TEST(csum_known_answers)
{
	/* RFC 1071 section 3 example: the sum of these bytes is 0xddf2. */
	const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[1501];
	size_t i, n;

	ck_assert_uint_eq(pkt_csum(ex, sizeof(ex)), (uint16_t)~0xddf2);
	/* RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000. */
	ck_assert_uint_eq(pkt_csum_replace16(0xdd2f, 0x5555, 0x3285), 0x0000);
	rng_state = 0x1234567;
	for (n = 0; n < 200; n++) {
		size_t len = rnd() % sizeof(buf);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		ck_assert_uint_eq(pkt_csum(buf, len), ref_csum(buf, len));
		/* chunked with an even split point */
		if (len >= 2) {
			size_t cut = (rnd() % len) & ~(size_t)1;
			uint32_t s = pkt_csum_add(0, buf, cut);
			s = pkt_csum_add(s, buf + cut, len - cut);
			ck_assert_uint_eq(pkt_csum_fold(s), ref_csum(buf, len));
		}
	}
}
END_TEST

START_TEST(csum_incremental_matches_full)
{
	uint8_t buf[64];
	int k;

	rng_state = 42;
	for (k = 0; k < 5000; k++) {
		size_t i, w = (rnd() % 32) * 2;
		uint16_t c, nw, full;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rnd();
		c = pkt_csum(buf, sizeof(buf));
		nw = (uint16_t)rnd();
		c = pkt_csum_replace16(c, pkt_get16(buf + w), nw);
		pkt_put16(buf + w, nw);
		/* Incremental result verifies: data plus stored checksum sums to zero. */
		full = ref_csum(buf, sizeof(buf));
		/* equal, or the other one's-complement representation of zero */
		ck_assert(c == full || (c == 0 && full == 0xffff) || (c == 0xffff && full == 0));
	}
}
END_TEST

static void
check_parse_matches_ref(const uint8_t *p, size_t n)
{
	struct pkt_info pi;
	struct ref_pkt r;

	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(ref_parse(p, n, &r), 0);
	ck_assert_int_eq(pi.version, r.version);
	ck_assert_uint_eq(pi.l3_len, r.hlen);
	ck_assert_uint_eq(pi.tot_len, r.total);
	ck_assert_uint_eq(pi.l3_len + pi.l4_len, pi.tot_len);
	ck_assert_int_eq(pi.proto, r.proto);
	ck_assert_int_eq(pi.ttl, r.ttl);
	ck_assert_int_eq(pi.tos, r.tos);
	ck_assert_mem_eq(pi.src.b, r.src, r.version == 4 ? 4 : 16);
	ck_assert_mem_eq(pi.dst.b, r.dst, r.version == 4 ? 4 : 16);
	if (r.sport >= 0) {
		ck_assert_int_eq(pi.l4_ok, 1);
		ck_assert_int_eq(pi.sport, r.sport);
		ck_assert_int_eq(pi.dport, r.dport);
	}
	if (r.icmp_type >= 0) {
		ck_assert_int_eq(pi.icmp_type, r.icmp_type);
		ck_assert_int_eq(pi.icmp_code, r.icmp_code);
		if (pi.is_echo) {
			ck_assert_int_eq(pi.icmp_id, r.icmp_id);
			ck_assert_int_eq(pi.icmp_seq, r.icmp_seq);
		}
	}
}

START_TEST(parse_hand_built)
{
	const int protos4[] = { 6, 17, 1 }, protos6[] = { 6, 17, 58 };
	uint8_t pl[300], p[400];
	size_t n, i;
	int k;
	struct pkt_info pi;

	for (i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7);
	for (k = 0; k < 3; k++) {
		n = ref_build(p, sizeof(p), 4, c4, r4, protos4[k], 40000, 443, pl, 33, 0xb9);
		ck_assert_uint_gt(n, 0);
		ck_assert(ref_all_csum_ok(p, n));
		check_parse_matches_ref(p, n);
		n = ref_build(p, sizeof(p), 6, c6, r6, protos6[k], 40000, 443, pl, 300, 0x03);
		ck_assert(ref_all_csum_ok(p, n));
		check_parse_matches_ref(p, n);
	}
	/* ICMP echo fields */
	n = ref_build(p, sizeof(p), 4, c4, r4, 1, 0xbeef, 7, pl, 10, 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert(pi.is_echo);
	ck_assert_uint_eq(pi.icmp_id, 0xbeef);
	ck_assert_uint_eq(pi.icmp_seq, 7);
	ck_assert(!pi.is_icmp_err);
	/* ICMP echo with non-zero code is not an echo */
	p[21] = 1;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert(!pi.is_echo);
	/* Trailing link padding beyond total length is ignored */
	n = ref_build(p, sizeof(p), 4, c4, r4, 17, 1, 2, pl, 4, 0);
	memset(p + n, 0xee, 10);
	ck_assert_int_eq(pkt_parse(p, n + 10, &pi), PKT_OK);
	ck_assert_uint_eq(pi.tot_len, n);
	/* IPv4 with options */
	n = ref_build(p, sizeof(p), 4, c4, r4, 17, 1, 2, pl, 4, 0);
	memmove(p + 28, p + 20, n - 20);
	memset(p + 20, 1, 8);	/* NOP options */
	p[0] = 0x47;
	pkt_put16(p + 2, (uint16_t)(n + 8));
	ref_fix_csums(p, n + 8);
	check_parse_matches_ref(p, n + 8);
	ck_assert_int_eq(pkt_parse(p, n + 8, &pi), PKT_OK);
	ck_assert_uint_eq(pi.l3_len, 28);
	ck_assert_uint_eq(pi.sport, 1);
}
END_TEST

START_TEST(malformed)
{
	uint8_t p[200] = { 0 }, pl[20] = { 0 };
	struct pkt_info pi;
	size_t n, cut;

	ck_assert_int_eq(pkt_parse(p, 0, &pi), PKT_E_TRUNC);
	ck_assert_int_eq(pkt_parse(NULL, 10, &pi), PKT_E_TRUNC);
	n = ref_build(p, sizeof(p), 4, c4, r4, 6, 1, 2, pl, 20, 0);
	/* every truncation is rejected (total length then exceeds the buffer) */
	for (cut = 0; cut < n; cut++)
		ck_assert_int_lt(pkt_parse(p, cut, &pi), 0);
	ck_assert_int_eq(pkt_parse(p, 19, &pi), PKT_E_TRUNC);
	ck_assert_int_eq(pkt_parse(p, 30, &pi), PKT_E_LENGTH);
	/* IHL < 5 */
	p[0] = 0x44;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_HDRLEN);
	p[0] = 0x40;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_HDRLEN);
	/* IHL beyond the buffer */
	p[0] = 0x4f;
	ck_assert_int_eq(pkt_parse(p, 40, &pi), PKT_E_TRUNC);
	p[0] = 0x45;
	/* total length > buffer, and < header */
	pkt_put16(p + 2, (uint16_t)(n + 1));
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_LENGTH);
	pkt_put16(p + 2, 19);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_HDRLEN);
	pkt_put16(p + 2, (uint16_t)n);
	/* bad versions */
	p[0] = 0x55;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_VERSION);
	p[0] = 0x05;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_VERSION);
	p[0] = 0x45;
	/* TCP data offset < 5 or beyond the payload: IP parses, L4 does not */
	p[20 + 12] = 0x40;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(pi.l4_ok, 0);
	p[20 + 12] = 0xf0;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(pi.l4_ok, 0);

	/* IPv6 */
	n = ref_build(p, sizeof(p), 6, c6, r6, 17, 1, 2, pl, 20, 0);
	for (cut = 0; cut < n; cut++)
		ck_assert_int_lt(pkt_parse(p, cut, &pi), 0);
	ck_assert_int_eq(pkt_parse(p, 39, &pi), PKT_E_TRUNC);
	/* payload length larger than the buffer */
	pkt_put16(p + 4, (uint16_t)(n - 40 + 1));
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_LENGTH);
	pkt_put16(p + 4, 0xffff);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_E_LENGTH);
	/* UDP length field larger than the IP payload: IP ok, UDP not */
	pkt_put16(p + 4, (uint16_t)(n - 40));
	pkt_put16(p + 44, (uint16_t)(n - 40 + 1));
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(pi.l4_ok, 0);
	pkt_put16(p + 44, 7);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(pi.l4_ok, 0);
	/* IPv6 payload shorter than the buffer: padding ignored */
	pkt_put16(p + 44, (uint16_t)(n - 40));
	pkt_put16(p + 4, 8);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_uint_eq(pi.tot_len, 48);
	ck_assert_int_eq(pi.l4_ok, 0);
}
END_TEST

START_TEST(fuzz_never_crashes)
{
	uint8_t *p;
	struct pkt_info pi;
	int k;

	rng_state = 7;
	for (k = 0; k < 20000; k++) {
		size_t n = rnd() % 128, i;

		p = malloc(n + 1);
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)rnd();
		if (n > 0 && (rnd() & 1))
			p[0] = (uint8_t)((rnd() & 1 ? 0x40 : 0x60) | (p[0] & 0x0f));
		if (n >= 6 && (rnd() & 1)) {
			if ((p[0] >> 4) == 4)
				pkt_put16(p + 2, (uint16_t)(n - rnd() % 8));
			else
				pkt_put16(p + 4, (uint16_t)(n - 40 - rnd() % 8));
		}
		/* malloc'ed to exactly n bytes so ASan catches any overread */
		if (pkt_parse(p, n, &pi) == PKT_OK) {
			ck_assert_uint_le(pi.tot_len, n);
			ck_assert_uint_eq(pi.l3_len + pi.l4_len, pi.tot_len);
			if (pi.l4_ok && !pi.is_frag)
				(void)pkt_fill_checksums(p, &pi);
		}
		free(p);
	}
}
END_TEST

START_TEST(setters_keep_checksums)
{
	const int protos[] = { 6, 17, 1 };
	uint8_t pl[101], p[300];
	struct pkt_info pi;
	struct ref_pkt r;
	int k;

	rng_state = 99;
	for (k = 0; k < 3000; k++) {
		int af = (rnd() & 1) ? 4 : 6, proto = protos[rnd() % 3];
		size_t n, i, plen = rnd() % sizeof(pl);
		uint8_t a[16], b[16];
		struct pkt_addr na;
		int tos = (int)(rnd() & 0xff);

		if (af == 6 && proto == 1)
			proto = 58;
		for (i = 0; i < plen; i++)
			pl[i] = (uint8_t)rnd();
		for (i = 0; i < 16; i++) {
			a[i] = (uint8_t)rnd();
			b[i] = (uint8_t)rnd();
		}
		n = ref_build(p, sizeof(p), af, a, b, proto, (int)(rnd() & 0xffff),
		    (int)(rnd() & 0xffff), pl, plen, tos);
		ck_assert(ref_all_csum_ok(p, n));
		ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
		for (i = 0; i < 16; i++)
			a[i] = (uint8_t)rnd();
		if (af == 4)
			pkt_addr_v4(&na, a);
		else
			pkt_addr_v6(&na, a);
		ck_assert_int_eq(pkt_set_dst(p, &pi, &na), PKT_OK);
		for (i = 0; i < 16; i++)
			a[i] = (uint8_t)rnd();
		if (af == 4)
			pkt_addr_v4(&na, a);
		else
			pkt_addr_v6(&na, a);
		ck_assert_int_eq(pkt_set_src(p, &pi, &na), PKT_OK);
		if (proto == 6 || proto == 17) {
			ck_assert_int_eq(pkt_set_sport(p, &pi, (uint16_t)rnd()), PKT_OK);
			ck_assert_int_eq(pkt_set_dport(p, &pi, (uint16_t)rnd()), PKT_OK);
			ck_assert_int_eq(pkt_set_echo_id(p, &pi, 1), PKT_E_PROTO);
		} else {
			ck_assert_int_eq(pkt_set_echo_id(p, &pi, (uint16_t)rnd()), PKT_OK);
			ck_assert_int_eq(pkt_set_sport(p, &pi, 1), PKT_E_PROTO);
		}
		ck_assert(ref_all_csum_ok(p, n));
		ck_assert_int_eq(ref_parse(p, n, &r), 0);
		ck_assert_mem_eq(r.src, pi.src.b, af == 4 ? 4 : 16);
		ck_assert_mem_eq(r.dst, pi.dst.b, af == 4 ? 4 : 16);
		ck_assert_int_eq(r.tos, tos);	/* DSCP and ECN untouched */
		if (proto == 6 || proto == 17) {
			ck_assert_int_eq(r.sport, pi.sport);
			ck_assert_int_eq(r.dport, pi.dport);
		} else {
			ck_assert_int_eq(r.icmp_id, pi.icmp_id);
		}
		/* wrong family is refused */
		na.af = af == 4 ? 6 : 4;
		ck_assert_int_eq(pkt_set_dst(p, &pi, &na), PKT_E_INVAL);
		/* full recomputation agrees with the reference as well */
		if (af == 4)
			p[10] ^= 0x55;
		p[pi.l3_len + (proto == 6 ? 16 : proto == 17 ? 6 : 2)] ^= 0x12;
		ck_assert_int_eq(pkt_fill_checksums(p, &pi), PKT_OK);
		ck_assert(ref_all_csum_ok(p, n));
	}
}
END_TEST

START_TEST(udp_zero_checksum_v4)
{
	uint8_t p[100], pl[5] = { 1, 2, 3, 4, 5 };
	struct pkt_info pi;
	struct pkt_addr na;
	size_t n;

	n = ref_build(p, sizeof(p), 4, c4, r4, 17, 5000, 53, pl, 5, 0);
	p[26] = p[27] = 0;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	pkt_addr_v4(&na, r4);
	na.b[3] = 99;
	ck_assert_int_eq(pkt_set_dst(p, &pi, &na), PKT_OK);
	ck_assert_int_eq(pkt_set_sport(p, &pi, 6000), PKT_OK);
	ck_assert_uint_eq(pkt_get16(p + 26), 0);
	ck_assert(ref_all_csum_ok(p, n));
	ck_assert_int_eq(pkt_fill_checksums(p, &pi), PKT_OK);
	ck_assert_uint_eq(pkt_get16(p + 26), 0);
}
END_TEST

START_TEST(addr_helpers)
{
	struct pkt_addr a, net;

	ck_assert_int_eq(pkt_addr_from_str(&a, "100.64.3.4"), PKT_OK);
	ck_assert_int_eq(pkt_addr_from_str(&net, "100.64.0.0"), PKT_OK);
	ck_assert(pkt_addr_in_prefix(&a, &net, 11));
	ck_assert(pkt_addr_in_prefix(&a, &net, 16));
	ck_assert(!pkt_addr_in_prefix(&a, &net, 24));
	ck_assert(pkt_addr_in_prefix(&a, &net, 0));
	ck_assert(!pkt_addr_in_prefix(&a, &net, 33));
	ck_assert_int_eq(pkt_addr_from_str(&net, "fd00:2021:1111::"), PKT_OK);
	ck_assert(!pkt_addr_in_prefix(&a, &net, 0));
	ck_assert_int_eq(pkt_addr_from_str(&a, "fd00:2021:1111::1f:ffff"), PKT_OK);
	ck_assert(pkt_addr_in_prefix(&a, &net, 107));
	ck_assert_int_eq(pkt_addr_from_str(&a, "fd00:2021:1111::3a:ab1b"), PKT_OK);
	ck_assert(!pkt_addr_in_prefix(&a, &net, 107));
	ck_assert_int_eq(pkt_addr_from_str(&a, "nonsense"), PKT_E_INVAL);
	ck_assert(pkt_addr_eq(&net, &net));
	ck_assert(!pkt_addr_eq(&a, &net));
	ck_assert_str_eq(pkt_strerror(PKT_E_DENIED), "denied");
}
END_TEST

START_TEST(icmp4_all_zero_checksum)
{
	/* echo reply, identifier 0xffff, sequence 0, no data: checksum 0x0000 */
	uint8_t p[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	    0, 0, 0x00, 0x00, 0xff, 0xff, 0, 0 };
	struct pkt_info pi;

	ck_assert_int_eq(pkt_parse(p, sizeof(p), &pi), PKT_OK);
	ck_assert_int_eq(pkt_fill_checksums(p, &pi), PKT_OK);
	ck_assert_uint_eq(pkt_get16(p + 22), 0x0000);
	ck_assert(ref_all_csum_ok(p, sizeof(p)));
	/* identifier 0 leaves a message of zero bytes, whose checksum is 0xffff */
	ck_assert_int_eq(pkt_set_echo_id(p, &pi, 0), PKT_OK);
	ck_assert_uint_eq(pkt_get16(p + 22), 0xffff);
	ck_assert(ref_all_csum_ok(p, sizeof(p)));
	ck_assert_int_eq(pkt_set_echo_id(p, &pi, 0xffff), PKT_OK);
	ck_assert_uint_eq(pkt_get16(p + 22), 0x0000);
	ck_assert(ref_all_csum_ok(p, sizeof(p)));
}
END_TEST

START_TEST(p2p_control_and_other_protocols)
{
	static const uint8_t zero[16];
	uint8_t p[100], pl[8] = { 1 };
	struct pkt_info pi;
	size_t n;

	n = ref_build(p, sizeof(p), 6, zero, zero, 255, 0, 0, pl, 8, 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert(pkt_is_p2p_control(&pi));
	n = ref_build(p, sizeof(p), 6, zero, zero, 255, 0, 0, pl, 7, 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert(!pkt_is_p2p_control(&pi));
	n = ref_build(p, sizeof(p), 6, zero, c6, 255, 0, 0, pl, 8, 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert(!pkt_is_p2p_control(&pi));
	n = ref_build(p, sizeof(p), 6, zero, zero, 17, 1, 2, pl, 8, 0);
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert(!pkt_is_p2p_control(&pi));
	/* GRE: header checksum fixed, no transport checksum to touch */
	n = ref_build(p, sizeof(p), 4, c4, r4, 47, 0, 0, pl, 8, 0);
	p[10] ^= 0xff;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(pkt_fill_checksums(p, &pi), PKT_OK);
	ck_assert(ref_ip_csum_ok(p, n));
	ck_assert_mem_eq(p + 20, pl, 8);
	/* truncated TCP */
	n = ref_build(p, sizeof(p), 4, c4, r4, 47, 0, 0, pl, 8, 0);
	p[9] = 6;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert_int_eq(pkt_fill_checksums(p, &pi), PKT_E_TRUNC);
	/* fragment */
	n = ref_build(p, sizeof(p), 4, c4, r4, 17, 1, 2, pl, 8, 0);
	p[6] |= 0x20;
	ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
	ck_assert(pi.is_frag);
	ck_assert(!pi.is_later_frag);
	ck_assert_int_eq(pkt_fill_checksums(p, &pi), PKT_E_FRAG);
	ck_assert(ref_ip_csum_ok(p, n));
}
END_TEST

/* ECN (issue 15): CE only on ECT(0)/ECT(1) packets; IPv4 checksum kept. */
START_TEST(ecn_mark_ce)
{
	static const uint8_t pl[8] = "ecnecn";
	int af, ecn;

	for (af = 4; af <= 6; af += 2) {
		for (ecn = 0; ecn < 4; ecn++) {
			uint8_t p[200], before[200];
			struct pkt_info pi, again;
			struct ref_pkt r;
			size_t n;
			int tos = 0xb8 | ecn;	/* DSCP EF, then ECN */

			n = ref_build(p, sizeof(p), af, af == 4 ? c4 : c6, af == 4 ? r4 : r6, 17, 1, 2,
			    pl, sizeof(pl), tos);
			ck_assert_int_eq(pkt_parse(p, n, &pi), PKT_OK);
			ck_assert_int_eq(pkt_ecn(&pi), ecn);
			memcpy(before, p, n);
			ck_assert_int_eq(pkt_ecn_mark_ce(p, &pi), ecn == 1 || ecn == 2);
			ck_assert(ref_all_csum_ok(p, n));
			ck_assert_int_eq(ref_parse(p, n, &r), 0);
			ck_assert_int_eq(r.tos, ecn == 0 ? tos : (tos | 3));
			ck_assert_int_eq(pi.tos, r.tos);
			ck_assert_int_eq(pkt_parse(p, n, &again), PKT_OK);
			ck_assert_int_eq(again.tos, r.tos);
			if (ecn == 0 || ecn == 3)
				ck_assert_mem_eq(p, before, n);
		}
	}
}
END_TEST

static Suite *
packet_suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, csum_known_answers);
	tcase_add_test(tc, csum_incremental_matches_full);
	tcase_add_test(tc, parse_hand_built);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, fuzz_never_crashes);
	tcase_add_test(tc, setters_keep_checksums);
	tcase_add_test(tc, udp_zero_checksum_v4);
	tcase_add_test(tc, addr_helpers);
	tcase_add_test(tc, p2p_control_and_other_protocols);
	tcase_add_test(tc, icmp4_all_zero_checksum);
	tcase_add_test(tc, ecn_mark_ce);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(packet_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
