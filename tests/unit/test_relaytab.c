/* Unit suite for dataplane/relaytab: servers, channels, ChannelData decoding. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "relaytab.h"

static struct relaytab T;

static struct ipc_addr
a4(uint8_t last, uint16_t port)
{
	struct ipc_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.addr[0] = 192;
	a.addr[1] = 0;
	a.addr[2] = 2;
	a.addr[3] = last;
	a.port = port;
	return a;
}

START_TEST(servers_and_channels)
{
	struct ipc_c2d_channel ch;
	struct ipc_addr s1 = a4(1, 3478), s2 = a4(2, 3478);
	const struct relay_chan *c;

	relaytab_init(&T);
	memset(&ch, 0, sizeof(ch));
	ch.server = s1;
	ch.peer = a4(50, 5000);
	ch.relayed = a4(1, 60000);
	ch.channel = 0x4001;
	ch.bound = 1;
	ck_assert_int_eq(relaytab_channel(&T, &ch), -1); /* unknown server */
	ck_assert_int_eq(relaytab_server(&T, &s1, 1), 0);
	ck_assert_int_eq(relaytab_server(&T, &s1, 1), 0);
	ck_assert_uint_eq(T.n_servers, 1);
	ck_assert(relaytab_is_server(&T, &s1));
	ck_assert(!relaytab_is_server(&T, &s2));
	ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	c = relaytab_lookup(&T, &s1, 0x4001);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->peer.port, 5000);
	ck_assert_ptr_null(relaytab_lookup(&T, &s1, 0x4002));
	ck_assert_ptr_null(relaytab_lookup(&T, &s2, 0x4001));
	/* Re-binding replaces. */
	ch.peer = a4(51, 5001);
	ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	ck_assert_uint_eq(T.n_channels, 1);
	ck_assert_uint_eq(relaytab_lookup(&T, &s1, 0x4001)->peer.port, 5001);
	ch.bound = 0;
	ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	ck_assert_ptr_null(relaytab_lookup(&T, &s1, 0x4001));
	/* Removing a server drops its channels. */
	ch.bound = 1;
	ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	ck_assert_int_eq(relaytab_server(&T, &s1, 0), 0);
	ck_assert_uint_eq(T.n_channels, 0);
	ck_assert_ptr_null(relaytab_lookup(&T, &s1, 0x4001));
	relaytab_free(&T);
}
END_TEST

START_TEST(decode)
{
	uint8_t b[16] = { 0x40, 0x02, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0 };
	const uint8_t *pl;
	uint16_t ch;
	size_t len;

	ck_assert_int_eq(relaytab_decode(b, 12, &ch, &pl, &len), 0);
	ck_assert_uint_eq(ch, 0x4002);
	ck_assert_uint_eq(len, 5);
	ck_assert_ptr_eq(pl, b + 4);
	ck_assert_int_eq(relaytab_decode(b, 8, &ch, &pl, &len), -1);  /* length past the end */
	ck_assert_int_eq(relaytab_decode(b, 3, &ch, &pl, &len), -1);
	b[0] = 0x50;
	ck_assert_int_eq(relaytab_decode(b, 12, &ch, &pl, &len), -1);
}
END_TEST

/* relaytab_encode builds what relaytab_decode splits, and nothing else. */
START_TEST(encode)
{
	const uint8_t pl[5] = { 1, 2, 3, 4, 5 };
	uint8_t out[16];
	const uint8_t *got;
	uint16_t ch;
	size_t len;

	ck_assert_int_eq(relaytab_encode(0x4abc, pl, sizeof(pl), out, sizeof(out)), 9);
	ck_assert_uint_eq(out[0], 0x4a);
	ck_assert_uint_eq(out[1], 0xbc);
	ck_assert_uint_eq(out[2], 0);
	ck_assert_uint_eq(out[3], 5);
	ck_assert_int_eq(relaytab_decode(out, 9, &ch, &got, &len), 0);
	ck_assert_uint_eq(ch, 0x4abc);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(got, pl, 5);
	ck_assert_int_eq(relaytab_encode(0x4000, NULL, 0, out, RELAYTAB_CD_HDR), RELAYTAB_CD_HDR);
	ck_assert_int_eq(relaytab_encode(0x4000, pl, sizeof(pl), out, 8), -1);	/* no room */
	ck_assert_int_eq(relaytab_encode(0x3fff, pl, sizeof(pl), out, sizeof(out)), -1);
	ck_assert_int_eq(relaytab_encode(0x5000, pl, sizeof(pl), out, sizeof(out)), -1);
}
END_TEST

START_TEST(full)
{
	struct ipc_addr s;
	int i;

	relaytab_init(&T);
	for (i = 0; i < RELAYTAB_SERVERS_MAX; i++) {
		s = a4((uint8_t)i, 3478);
		ck_assert_int_eq(relaytab_server(&T, &s, 1), 0);
	}
	s = a4(200, 3479);
	ck_assert_int_eq(relaytab_server(&T, &s, 1), -1);
	relaytab_free(&T);
}
END_TEST

/* The channel table is bounded (issue 19): a new channel beyond
 * RELAYTAB_CHANNELS_MAX is refused, a re-bind or an unbind still works. */
START_TEST(channels_full)
{
	struct ipc_c2d_channel ch;
	struct ipc_addr s;
	size_t n = 0;
	int i;

	relaytab_init(&T);
	memset(&ch, 0, sizeof(ch));
	ch.peer = a4(50, 5000);
	ch.relayed = a4(1, 60000);
	ch.bound = 1;
	for (i = 0; n < RELAYTAB_CHANNELS_MAX; i++) {
		s = a4((uint8_t)i, 3478);
		ck_assert_int_eq(relaytab_server(&T, &s, 1), 0);
		ch.server = s;
		for (ch.channel = 0x4000; ch.channel <= 0x4FFF && n < RELAYTAB_CHANNELS_MAX;
		    ch.channel++, n++)
			ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	}
	ck_assert_uint_eq(T.n_channels, RELAYTAB_CHANNELS_MAX);
	s = a4(250, 3478);
	ck_assert_int_eq(relaytab_server(&T, &s, 1), 0);
	ch.server = s;
	ch.channel = 0x4001;
	ck_assert_int_eq(relaytab_channel(&T, &ch), RELAYTAB_EFULL);
	ck_assert_ptr_null(relaytab_lookup(&T, &s, 0x4001));
	ck_assert_uint_eq(T.n_channels, RELAYTAB_CHANNELS_MAX);
	/* Re-binding a known channel is no new entry. */
	ch.server = a4(0, 3478);
	ch.channel = 0x4002;
	ch.peer = a4(51, 5001);
	ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	ck_assert_uint_eq(relaytab_lookup(&T, &ch.server, 0x4002)->peer.port, 5001);
	/* Unbinding one makes room for one. */
	ch.bound = 0;
	ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	ch.server = s;
	ch.channel = 0x4001;
	ch.bound = 1;
	ck_assert_int_eq(relaytab_channel(&T, &ch), 0);
	ch.channel = 0x4003;
	ck_assert_int_eq(relaytab_channel(&T, &ch), RELAYTAB_EFULL);
	relaytab_free(&T);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("relaytab");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, servers_and_channels);
	tcase_add_test(tc, decode);
	tcase_add_test(tc, encode);
	tcase_add_test(tc, full);
	tcase_add_test(tc, channels_full);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
