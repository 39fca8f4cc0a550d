/*
 * Unit suite for dataplane/demux: crafted datagrams of every kind.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "demux.h"

static uint8_t b[2048];

/* A STUN header: type, attribute bytes follow; returns total length. */
static size_t
stun(uint16_t type, int cookie, int with_mi)
{
	size_t n = 20;

	memset(b, 0, sizeof(b));
	b[0] = (uint8_t)(type >> 8);
	b[1] = (uint8_t)type;
	if (cookie) {
		b[4] = 0x21; b[5] = 0x12; b[6] = 0xA4; b[7] = 0x42;
	}
	/* USERNAME "ab:c" (4 bytes) */
	b[n] = 0x00; b[n + 1] = 0x06; b[n + 2] = 0; b[n + 3] = 4;
	memcpy(b + n + 4, "ab:c", 4);
	n += 8;
	if (with_mi) {
		b[n] = 0x00; b[n + 1] = 0x08; b[n + 2] = 0; b[n + 3] = 20;
		n += 24;
	}
	b[2] = (uint8_t)((n - 20) >> 8);
	b[3] = (uint8_t)(n - 20);
	return n;
}

static size_t
wg(uint8_t type, size_t len)
{
	memset(b, 0, sizeof(b));
	b[0] = type;
	return len;
}

START_TEST(wireguard_types)
{
	ck_assert_int_eq(demux_classify(b, wg(1, 148), 0), DEMUX_WG_INITIATION);
	ck_assert_int_eq(demux_classify(b, wg(2, 92), 0), DEMUX_WG_RESPONSE);
	ck_assert_int_eq(demux_classify(b, wg(3, 64), 0), DEMUX_WG_COOKIE);
	ck_assert_int_eq(demux_classify(b, wg(4, 32), 0), DEMUX_WG_DATA);
	ck_assert_int_eq(demux_classify(b, wg(4, 32 + 16 * 80), 0), DEMUX_WG_DATA);
	/* Wrong sizes and non-zero reserved bytes are garbage. */
	ck_assert_int_eq(demux_classify(b, wg(1, 147), 0), DEMUX_DROP_GARBAGE);
	ck_assert_int_eq(demux_classify(b, wg(2, 93), 0), DEMUX_DROP_GARBAGE);
	ck_assert_int_eq(demux_classify(b, wg(3, 65), 0), DEMUX_DROP_GARBAGE);
	ck_assert_int_eq(demux_classify(b, wg(4, 31), 0), DEMUX_DROP_GARBAGE);
	/* Unpadded data (boringtun pads nothing): any length >= 32. */
	ck_assert_int_eq(demux_classify(b, wg(4, 33), 0), DEMUX_WG_DATA);
	ck_assert_int_eq(demux_classify(b, wg(4, 32 + 85), 0), DEMUX_WG_DATA);
	ck_assert_int_eq(demux_classify(b, wg(5, 148), 0), DEMUX_DROP_GARBAGE);
	wg(1, 148);
	b[2] = 1;
	ck_assert_int_eq(demux_classify(b, 148, 0), DEMUX_DROP_GARBAGE);
}
END_TEST

START_TEST(wireguard_from_relay_is_turn)
{
	/* Types 1-3 overlap the STUN range: from a relay they are TURN. */
	ck_assert_int_eq(demux_classify(b, wg(1, 148), 1), DEMUX_TURN);
	ck_assert_int_eq(demux_classify(b, wg(3, 64), 1), DEMUX_TURN);
	/* Type 4 is above the STUN range: from a relay it is not TURN. */
	ck_assert_int_eq(demux_classify(b, wg(4, 32), 1), DEMUX_WG_DATA);
}
END_TEST

START_TEST(stun_shapes)
{
	size_t n;

	n = stun(0x0001, 1, 1);
	ck_assert_int_eq(demux_classify(b, n, 0), DEMUX_STUN);
	ck_assert(demux_is_ice_stun(b, n));
	/* From a relay, anything in the STUN range is TURN. */
	ck_assert_int_eq(demux_classify(b, n, 1), DEMUX_TURN);
	/* Without MESSAGE-INTEGRITY it never reaches ICE. */
	n = stun(0x0001, 1, 0);
	ck_assert_int_eq(demux_classify(b, n, 0), DEMUX_DROP_GARBAGE);
	/* Classic STUN without the magic cookie. */
	n = stun(0x0001, 0, 1);
	ck_assert_int_eq(demux_classify(b, n, 0), DEMUX_DROP_GARBAGE);
	/* Length field disagreeing with the datagram. */
	n = stun(0x0101, 1, 1);
	ck_assert_int_eq(demux_classify(b, n + 4, 0), DEMUX_DROP_GARBAGE);
	ck_assert_int_eq(demux_classify(b, n - 4, 0), DEMUX_DROP_GARBAGE);
	/* An attribute running past the end. */
	n = stun(0x0001, 1, 1);
	b[20 + 3] = 200;
	ck_assert_int_eq(demux_classify(b, n, 0), DEMUX_DROP_GARBAGE);
	/* Too short for a header. */
	ck_assert_int_eq(demux_classify(b, 19, 0), DEMUX_DROP_GARBAGE);
}
END_TEST

START_TEST(channel_data)
{
	memset(b, 0, sizeof(b));
	b[0] = 0x40; b[1] = 0x00; b[2] = 0; b[3] = 4;
	ck_assert_int_eq(demux_classify(b, 8, 1), DEMUX_CHANNEL_DATA);
	b[0] = 0x4F;
	ck_assert_int_eq(demux_classify(b, 8, 1), DEMUX_CHANNEL_DATA);
	ck_assert_int_eq(demux_classify(b, 3, 1), DEMUX_DROP_GARBAGE);
	/* Not from a relay: not ChannelData, and not WireGuard either. */
	b[0] = 0x40;
	ck_assert_int_eq(demux_classify(b, 8, 0), DEMUX_DROP_GARBAGE);
	b[0] = 0x50;
	ck_assert_int_eq(demux_classify(b, 8, 1), DEMUX_DROP_GARBAGE);
}
END_TEST

START_TEST(garbage_and_size)
{
	unsigned int i;

	ck_assert_int_eq(demux_classify(b, 0, 0), DEMUX_DROP_GARBAGE);
	ck_assert_int_eq(demux_classify(b, wg(4, 1344), 0), DEMUX_DROP_OVERSIZE);
	ck_assert_int_eq(demux_classify(b, wg(4, 1337), 1), DEMUX_DROP_OVERSIZE);
	/* Random bytes of random lengths never crash and are never STUN/WG by luck. */
	srand(1);
	for (i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % 200), k;
		enum demux_kind kd;
		for (k = 0; k < n; k++)
			b[k] = (uint8_t)rand();
		b[1] |= 0x80; /* never a valid WireGuard reserved byte */
		kd = demux_classify(b, n, 0);
		ck_assert(kd == DEMUX_DROP_GARBAGE || kd == DEMUX_STUN);
	}
}
END_TEST

START_TEST(local_addresses)
{
	struct ipc_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	ck_assert(!demux_local_ok(&a));
	memcpy(a.addr, "\xa9\xfe\x01\x02", 4);
	ck_assert(!demux_local_ok(&a));
	memcpy(a.addr, "\xe0\x00\x00\x01", 4);
	ck_assert(!demux_local_ok(&a));
	memcpy(a.addr, "\xff\xff\xff\xff", 4);
	ck_assert(!demux_local_ok(&a));
	memcpy(a.addr, "\x0a\x00\x00\x01", 4);
	ck_assert(demux_local_ok(&a));
	memset(&a, 0, sizeof(a));
	a.family = 6;
	ck_assert(!demux_local_ok(&a));
	a.addr[0] = 0xff;
	ck_assert(!demux_local_ok(&a));
	a.addr[0] = 0xfe; a.addr[1] = 0x80; a.addr[15] = 1;
	ck_assert(demux_local_ok(&a));
	a.family = 0;
	ck_assert(!demux_local_ok(&a));
	ck_assert_str_eq(demux_kind_name(DEMUX_WG_DATA), "wg-data");
}
END_TEST

static Suite *
demux_suite(void)
{
	Suite *s = suite_create("demux");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, wireguard_types);
	tcase_add_test(tc, wireguard_from_relay_is_turn);
	tcase_add_test(tc, stun_shapes);
	tcase_add_test(tc, channel_data);
	tcase_add_test(tc, garbage_and_size);
	tcase_add_test(tc, local_addresses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(demux_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
