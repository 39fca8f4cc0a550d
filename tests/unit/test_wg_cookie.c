/*
 * Unit suite for dataplane/wg_cookie: mac1 key derivation and value
 * (cross-checked with Python's hashlib.blake2s), the under-load decision,
 * mac2 with cookies, cookie replies, cookie and secret expiry, all under
 * a fake clock.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "wg_cookie.h"
#include "wg_crypto.h"

static uint64_t seed;
static int
seeded_rng(void *ctx, uint8_t *buf, size_t len)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (uint8_t)(seed >> 32);
	}
	return 0;
}

static const struct wg_rng rng = { seeded_rng, NULL };
/* RFC 7748 section 6.1: Alice's public key, used as the responder's. */
static uint8_t pub[32];
static uint8_t msg[WG_INITIATION_LEN];
static const uint8_t src1[6] = { 192, 0, 2, 1, 0x30, 0x39 };
static const uint8_t src2[6] = { 192, 0, 2, 2, 0x30, 0x39 };

static void
setup(void)
{
	static const uint8_t alice[32] = {
		0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d,
		0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38,
		0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
	};
	size_t i;

	seed = 0xdeadbeefcafef00dULL;
	memcpy(pub, alice, 32);
	msg[0] = 1;
	msg[1] = msg[2] = msg[3] = 0;
	for (i = 4; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
}

static void
teardown(void)
{
	wg_crypto_cleanup();
}

START_TEST(mac1_known_answer)
{
	struct wg_cookie_maker mk;
	struct wg_cookie_checker chk;
	static const uint8_t k1[32] = {
		0x0e, 0xc7, 0x24, 0x53, 0x41, 0x2f, 0x9b, 0xef, 0xa2, 0xf7, 0x99,
		0xea, 0x83, 0x7d, 0x0b, 0x88, 0x42, 0x93, 0x21, 0x71, 0x1d, 0xd0,
		0x1f, 0x90, 0x25, 0x16, 0x31, 0x23, 0xbd, 0x19, 0x05, 0xbe,
	};
	static const uint8_t kc[32] = {
		0x9c, 0x35, 0x7c, 0xf6, 0x11, 0xac, 0x8d, 0x2e, 0x8e, 0x23, 0x69,
		0xcd, 0xa1, 0x13, 0xf1, 0xae, 0x6d, 0xc1, 0x0d, 0x4f, 0x90, 0xc4,
		0xd0, 0xf9, 0x1f, 0xb2, 0x35, 0xa2, 0x7f, 0x89, 0x0a, 0xfd,
	};
	static const uint8_t mac1[16] = {
		0x26, 0xc8, 0x06, 0x76, 0x87, 0x44, 0x4c, 0x1b, 0x54, 0x2d, 0xc8,
		0xb1, 0x2b, 0x31, 0x0d, 0x6e,
	};
	static const uint8_t zero[16] = { 0 };

	ck_assert_int_eq(wg_cookie_maker_init(&mk, pub), WG_OK);
	ck_assert_mem_eq(mk.mac1_key, k1, 32);
	ck_assert_mem_eq(mk.cookie_key, kc, 32);
	ck_assert_int_eq(wg_cookie_add_macs(&mk, msg, sizeof(msg), 0), WG_OK);
	ck_assert_mem_eq(msg + 116, mac1, 16);
	ck_assert_mem_eq(msg + 132, zero, 16);
	ck_assert_int_eq(wg_cookie_checker_init(&chk, pub, 0, &rng), WG_OK);
	ck_assert_mem_eq(chk.mac1_key, k1, 32);
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src1, 6, 0,
	    false), WG_OK);
	/* Only handshake messages of the right size are MACed. */
	ck_assert_int_eq(wg_cookie_add_macs(&mk, msg, 100, 0), WG_ERR_INVAL);
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, 92, src1, 6, 0, false),
	    WG_ERR_INVAL);
	wg_cookie_maker_wipe(&mk);
	wg_cookie_checker_wipe(&chk);
}
END_TEST

START_TEST(under_load_decision)
{
	struct wg_cookie_checker chk;
	uint64_t t = 5000;
	int i;

	ck_assert_int_eq(wg_cookie_checker_init(&chk, pub, 3, &rng), WG_OK);
	for (i = 0; i < 3; i++)
		ck_assert(!wg_cookie_under_load(&chk, t + (uint64_t)i * 100));
	ck_assert(wg_cookie_under_load(&chk, t + 300));	/* 4th in window */
	ck_assert(wg_cookie_under_load(&chk, t + 900));	/* still held */
	/* New window at t+1000; one message; hold lasts until t+1900. */
	ck_assert(wg_cookie_under_load(&chk, t + 1000));
	ck_assert(!wg_cookie_under_load(&chk, t + 1900));
	/* Quiet period: a single message is not load. */
	ck_assert(!wg_cookie_under_load(&chk, t + 10000));
	/* The default threshold is 100 per second. */
	ck_assert_int_eq(wg_cookie_checker_init(&chk, pub, 0, &rng), WG_OK);
	for (i = 0; i < 100; i++)
		ck_assert(!wg_cookie_under_load(&chk, 1));
	ck_assert(wg_cookie_under_load(&chk, 1));
}
END_TEST

START_TEST(cookie_round_trip)
{
	struct wg_cookie_checker chk;
	struct wg_cookie_maker mk;
	uint8_t reply[WG_COOKIE_REPLY_LEN], bad[WG_COOKIE_REPLY_LEN];
	uint64_t t = 1000;

	ck_assert_int_eq(wg_cookie_checker_init(&chk, pub, 0, &rng), WG_OK);
	ck_assert_int_eq(wg_cookie_maker_init(&mk, pub), WG_OK);
	/* No reply outstanding yet. */
	memset(reply, 0, sizeof(reply));
	reply[0] = 3;
	ck_assert_int_eq(wg_cookie_consume_reply(&mk, reply, sizeof(reply), t),
	    WG_ERR_STATE);

	ck_assert_int_eq(wg_cookie_add_macs(&mk, msg, sizeof(msg), t), WG_OK);
	/* Under load, a zero mac2 requires a cookie. */
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src1, 6, t,
	    true), WG_ERR_COOKIE_REQUIRED);
	ck_assert_int_eq(wg_cookie_create_reply(&chk, msg, sizeof(msg), src1, 6,
	    t, reply), WG_OK);
	ck_assert_uint_eq(reply[0], 3);
	ck_assert_mem_eq(reply + 4, msg + 4, 4);	/* to the sender index */

	/* A tampered reply, or one bound to another mac1, does not decrypt. */
	memcpy(bad, reply, sizeof(bad));
	bad[40] ^= 1;
	ck_assert_int_eq(wg_cookie_consume_reply(&mk, bad, sizeof(bad), t),
	    WG_ERR_DECRYPT);
	ck_assert_int_eq(wg_cookie_consume_reply(&mk, reply, 63, t), WG_ERR_INVAL);
	ck_assert_int_eq(wg_cookie_consume_reply(&mk, reply, sizeof(reply), t),
	    WG_OK);
	ck_assert_int_eq(wg_cookie_consume_reply(&mk, reply, sizeof(reply), t),
	    WG_ERR_STATE);

	/* Retransmit with mac2: accepted under load from the same address only. */
	msg[8] ^= 0x40;		/* a "new" initiation */
	ck_assert_int_eq(wg_cookie_add_macs(&mk, msg, sizeof(msg), t + 10), WG_OK);
	ck_assert(!wg_crypto_is_zero(msg + 132, 16));
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src1, 6,
	    t + 10, true), WG_OK);
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src2, 6,
	    t + 10, true), WG_ERR_COOKIE_REQUIRED);
	/* mac2 wrong but mac1 right: fine when not under load. */
	msg[140] ^= 1;
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src1, 6,
	    t + 10, false), WG_OK);
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src1, 6,
	    t + 10, true), WG_ERR_COOKIE_REQUIRED);
	wg_cookie_checker_wipe(&chk);
	wg_cookie_maker_wipe(&mk);
}
END_TEST

START_TEST(expiry_and_rotation)
{
	struct wg_cookie_checker chk;
	struct wg_cookie_maker mk;
	uint8_t reply[WG_COOKIE_REPLY_LEN], resp[WG_RESPONSE_LEN];
	uint64_t t = 1000;

	ck_assert_int_eq(wg_cookie_checker_init(&chk, pub, 0, &rng), WG_OK);
	ck_assert_int_eq(wg_cookie_maker_init(&mk, pub), WG_OK);
	ck_assert_int_eq(wg_cookie_add_macs(&mk, msg, sizeof(msg), t), WG_OK);
	ck_assert_int_eq(wg_cookie_create_reply(&chk, msg, sizeof(msg), src1, 6,
	    t, reply), WG_OK);
	ck_assert_int_eq(wg_cookie_consume_reply(&mk, reply, sizeof(reply), t), WG_OK);

	/* Secret made at t; still the same at t + 119.999 s. */
	ck_assert_int_eq(wg_cookie_add_macs(&mk, msg, sizeof(msg), t + 119999), WG_OK);
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src1, 6,
	    t + 119999, true), WG_OK);
	/* At t + 120 s the secret rotates: the old cookie stops working. */
	ck_assert_int_eq(wg_cookie_validate(&chk, msg, sizeof(msg), src1, 6,
	    t + 120000, true), WG_ERR_COOKIE_REQUIRED);
	/* And the maker stops using a cookie older than 120 s. */
	ck_assert_int_eq(wg_cookie_add_macs(&mk, msg, sizeof(msg), t + 120000), WG_OK);
	ck_assert(wg_crypto_is_zero(msg + 132, 16));

	/* Responses carry MACs at their own offsets (60, 76). */
	memset(resp, 0x33, sizeof(resp));
	resp[0] = 2;
	resp[1] = resp[2] = resp[3] = 0;
	ck_assert_int_eq(wg_cookie_add_macs(&mk, resp, sizeof(resp), t), WG_OK);
	ck_assert_int_eq(wg_cookie_validate(&chk, resp, sizeof(resp), src1, 6,
	    t, false), WG_OK);
	ck_assert_int_eq(wg_cookie_create_reply(&chk, resp, sizeof(resp), src1, 6,
	    t + 120001, reply), WG_OK);
	ck_assert_int_eq(wg_cookie_consume_reply(&mk, reply, sizeof(reply),
	    t + 120001), WG_OK);
	ck_assert_int_eq(wg_cookie_add_macs(&mk, resp, sizeof(resp), t + 120002), WG_OK);
	ck_assert_int_eq(wg_cookie_validate(&chk, resp, sizeof(resp), src1, 6,
	    t + 120002, true), WG_OK);
	wg_cookie_checker_wipe(&chk);
	wg_cookie_maker_wipe(&mk);
}
END_TEST

START_TEST(addr_bytes)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_storage other;
	uint8_t out[WG_COOKIE_ADDR_MAX];
	static const uint8_t exp4[6] = { 192, 0, 2, 1, 0x30, 0x39 };

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = htons(12345);
	inet_pton(AF_INET, "192.0.2.1", &in4.sin_addr);
	ck_assert_uint_eq(wg_cookie_addr_bytes(out, (struct sockaddr *)&in4), 6);
	ck_assert_mem_eq(out, exp4, 6);
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(51820);
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	ck_assert_uint_eq(wg_cookie_addr_bytes(out, (struct sockaddr *)&in6), 18);
	ck_assert_uint_eq(out[0], 0x20);
	ck_assert_uint_eq(out[15], 1);
	ck_assert_uint_eq(out[16], 51820 >> 8);
	ck_assert_uint_eq(out[17], 51820 & 0xff);
	memset(&other, 0, sizeof(other));
	other.ss_family = AF_UNIX;
	ck_assert_uint_eq(wg_cookie_addr_bytes(out, (struct sockaddr *)&other), 0);
}
END_TEST

static Suite *
wg_cookie_suite(void)
{
	Suite *s = suite_create("wg_cookie");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mac1_known_answer);
	tcase_add_test(tc, under_load_decision);
	tcase_add_test(tc, cookie_round_trip);
	tcase_add_test(tc, expiry_and_rotation);
	tcase_add_test(tc, addr_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wg_cookie_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
