/*
 * Unit suite for dataplane/peers: the indexes, the uniqueness of tunnel
 * addresses across peers and the per-client rate of p2p control events
 * (issue 19: control and clients are not trusted).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

static struct dp_peers T;

/* Fill p as peer `id` with key bytes `key`, 100.64.0.<last4> and
 * fd00:2021:1111::<last6>; returns p. */
static struct dp_peer *
set(struct dp_peer *p, uint32_t id, uint8_t key, int has4, uint8_t last4, int has6, uint8_t last6)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	memset(p->noise.remote_static, key, sizeof(p->noise.remote_static));
	p->has_v4 = has4;
	p->has_v6 = has6;
	memcpy(p->tun_v4, (const uint8_t[]){ 100, 64, 0, last4 }, 4);
	memcpy(p->tun_v6, (const uint8_t[]){ 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, [15] = last6 }, 16);
	return p;
}

static struct dp_peer *
mk(uint32_t id, uint8_t key, int has4, uint8_t last4, int has6, uint8_t last6)
{
	struct dp_peer *p = malloc(sizeof(*p));

	ck_assert_ptr_nonnull(p);
	return set(p, id, key, has4, last4, has6, last6);
}

static struct dp_peer *
conflict(const struct dp_peer *n)
{
	return peers_tun_conflict(&T, n->id, n->noise.remote_static, n->has_v4, n->tun_v4,
	    n->has_v6, n->tun_v6);
}

START_TEST(tunnel_addresses_unique)
{
	struct dp_peer *a = mk(1, 0xa1, 1, 5, 1, 5), *n;

	peers_init(&T);
	ck_assert_ptr_null(conflict(a));
	peers_link(&T, a);
	ck_assert_ptr_eq(peers_by_tun(&T, 4, a->tun_v4), a);
	ck_assert_ptr_eq(peers_by_tun(&T, 6, a->tun_v6), a);

	/* Another id and key with the same IPv4 or IPv6 address: refused. */
	n = mk(2, 0xb2, 1, 5, 1, 6);
	ck_assert_ptr_eq(conflict(n), a);
	set(n, 2, 0xb2, 1, 6, 1, 5);
	ck_assert_ptr_eq(conflict(n), a);
	/* ... even when it only gives the family that clashes. */
	set(n, 2, 0xb2, 0, 0, 1, 5);
	ck_assert_ptr_eq(conflict(n), a);
	/* Other addresses: fine; an address not given is not looked at. */
	set(n, 2, 0xb2, 1, 6, 1, 6);
	ck_assert_ptr_null(conflict(n));
	set(n, 2, 0xb2, 0, 5, 1, 6);
	ck_assert_ptr_null(conflict(n));
	/* The same id (a re-add) or the same key replace the holder. */
	set(n, 1, 0xb2, 1, 5, 1, 5);
	ck_assert_ptr_null(conflict(n));
	set(n, 9, 0xa1, 1, 5, 1, 5);
	ck_assert_ptr_null(conflict(n));
	free(n);

	/* Unlinked, the address is free again. */
	peers_unlink(&T, a);
	ck_assert_ptr_null(peers_by_tun(&T, 4, a->tun_v4));
	n = mk(2, 0xb2, 1, 5, 1, 5);
	ck_assert_ptr_null(conflict(n));
	ck_assert_uint_eq(T.n, 0);
	free(n);
	free(a);
}
END_TEST

START_TEST(p2p_control_rate)
{
	struct dp_peer *p = mk(1, 1, 1, 1, 0, 0);
	uint64_t t = 1000000;
	int i, n;

	peers_p2p_control_reset(p, t);
	/* A full burst at once, then nothing. */
	for (i = 0; i < PEERS_P2P_CONTROL_BURST; i++)
		ck_assert(peers_p2p_control_take(p, t));
	ck_assert(!peers_p2p_control_take(p, t));
	ck_assert(!peers_p2p_control_take(p, t + 1000 / PEERS_P2P_CONTROL_RATE - 1));
	/* One token per 1/RATE s; the remainder of the time is kept. */
	ck_assert(peers_p2p_control_take(p, t + 1000 / PEERS_P2P_CONTROL_RATE));
	ck_assert(!peers_p2p_control_take(p, t + 1000 / PEERS_P2P_CONTROL_RATE));
	/* A sustained flood gets RATE a second, whatever it sends. */
	t += 5000;
	while (peers_p2p_control_take(p, t))
		;
	for (n = 0, i = 1; i <= 10000; i++)
		n += peers_p2p_control_take(p, t + (uint64_t)i / 10);
	ck_assert_int_ge(n, PEERS_P2P_CONTROL_RATE - 1);
	ck_assert_int_le(n, PEERS_P2P_CONTROL_RATE + 1);
	/* After a long silence, one burst again, never more. */
	t += 3600 * 1000;
	for (n = 0; peers_p2p_control_take(p, t); n++)
		;
	ck_assert_int_eq(n, PEERS_P2P_CONTROL_BURST);
	/* A clock that does not move (or goes back) adds nothing. */
	ck_assert(!peers_p2p_control_take(p, t - 5000));
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("peers");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, tunnel_addresses_unique);
	tcase_add_test(tc, p2p_control_rate);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
