/*
 * Unit suite for dataplane/wg_timers under a fake clock: passive and
 * persistent keepalives, new handshake after unanswered data,
 * retransmission and give-up, key expiry, initiation rate limit, and the
 * shipped constants.
 */
#include <check.h>
#include <stdlib.h>

#include "wg_timers.h"

static struct wg_timers t;

/* Advance the fake clock from `from` to `to` in 1 ms-exact deadline hops. */
static unsigned int
run_until(uint64_t to, uint64_t *now)
{
	unsigned int acts = 0;
	uint64_t next;

	next = wg_timers_next_deadline(&t);
	while (next <= to) {
		*now = next;
		acts |= wg_timers_tick(&t, *now, &next);
	}
	*now = to;
	return acts;
}

START_TEST(shipped_constants)
{
	/* The default build never has shortened timers. */
	ck_assert_int_eq(WG_REKEY_AFTER_TIME_MS, 120000);
	ck_assert_int_eq(WG_REJECT_AFTER_TIME_MS, 180000);
	ck_assert_int_eq(WG_REKEY_ATTEMPT_TIME_MS, 20000);	/* ICE connections */
	ck_assert_int_eq(WG_REKEY_TIMEOUT_MS, 5000);
	ck_assert_int_eq(WG_KEEPALIVE_TIMEOUT_MS, 10000);
	ck_assert_int_eq(WG_PERSISTENT_KEEPALIVE_MS, 25000);
	ck_assert_int_eq(WG_COOKIE_SECRET_MAX_AGE_MS, 120000);
	ck_assert(WG_REKEY_AFTER_MESSAGES == (UINT64_C(1) << 60));
	ck_assert(WG_REJECT_AFTER_MESSAGES == UINT64_MAX - (UINT64_C(1) << 13));
}
END_TEST

START_TEST(idle_does_nothing)
{
	uint64_t next = 0;

	wg_timers_init(&t, 0);
	ck_assert_uint_eq(wg_timers_tick(&t, 1000000, &next), WG_TIMERS_NONE);
	ck_assert(next == WG_TIMERS_NEVER);
	ck_assert(wg_timers_may_initiate(&t, 0));
}
END_TEST

START_TEST(passive_keepalive)
{
	uint64_t next;

	wg_timers_init(&t, 0);
	wg_timers_data_received(&t, 1000);
	ck_assert_uint_eq(wg_timers_next_deadline(&t), 11000);
	ck_assert_uint_eq(wg_timers_tick(&t, 10999, &next), WG_TIMERS_NONE);
	ck_assert_uint_eq(next, 11000);
	ck_assert_uint_eq(wg_timers_tick(&t, 11000, &next), WG_TIMERS_SEND_KEEPALIVE);
	ck_assert(next == WG_TIMERS_NEVER);

	/* Sending anything first cancels it. */
	wg_timers_data_received(&t, 20000);
	wg_timers_any_authenticated_packet_sent(&t, 25000);
	ck_assert_uint_eq(wg_timers_tick(&t, 40000, &next), WG_TIMERS_NONE);

	/* More data while one is pending: a second keepalive follows. */
	wg_timers_data_received(&t, 50000);
	wg_timers_data_received(&t, 55000);
	ck_assert_uint_eq(wg_timers_tick(&t, 60000, &next), WG_TIMERS_SEND_KEEPALIVE);
	ck_assert_uint_eq(next, 70000);
	ck_assert_uint_eq(wg_timers_tick(&t, 70000, &next), WG_TIMERS_SEND_KEEPALIVE);
	ck_assert(next == WG_TIMERS_NEVER);
}
END_TEST

START_TEST(new_handshake_after_silence)
{
	uint64_t next;

	wg_timers_init(&t, 0);
	wg_timers_data_sent(&t, 0, 200);
	ck_assert_uint_eq(wg_timers_next_deadline(&t), 15200);
	/* Sending more does not push the deadline back. */
	wg_timers_data_sent(&t, 9000, 0);
	ck_assert_uint_eq(wg_timers_tick(&t, 15199, &next), WG_TIMERS_NONE);
	ck_assert_uint_eq(wg_timers_tick(&t, 15200, &next), WG_TIMERS_INITIATE_HANDSHAKE);

	/* Any authenticated packet back cancels it. */
	wg_timers_data_sent(&t, 20000, 0);
	wg_timers_any_authenticated_packet_received(&t, 21000);
	ck_assert_uint_eq(wg_timers_tick(&t, 60000, &next), WG_TIMERS_NONE);

	/* Jitter is clamped to a third of a second. */
	wg_timers_data_sent(&t, 100000, 99999);
	ck_assert_uint_eq(wg_timers_next_deadline(&t),
	    100000 + 15000 + WG_REKEY_TIMEOUT_JITTER_MAX_MS);
}
END_TEST

START_TEST(retransmit_then_give_up)
{
	uint64_t now = 0, next;
	unsigned int act;
	int initiations = 1;

	wg_timers_init(&t, 0);
	wg_timers_handshake_initiated(&t, 0, 0);
	ck_assert(!wg_timers_may_initiate(&t, 4999));
	ck_assert(wg_timers_may_initiate(&t, 5000));
	for (;;) {
		next = wg_timers_next_deadline(&t);
		ck_assert(next != WG_TIMERS_NEVER);
		now = next;
		act = wg_timers_tick(&t, now, &next);
		if (act & WG_TIMERS_GIVE_UP)
			break;
		ck_assert_uint_eq(act, WG_TIMERS_INITIATE_HANDSHAKE);
		/* The glue sends one and reports it, with some jitter. */
		wg_timers_handshake_initiated(&t, now, 100);
		initiations++;
	}
	/* Initiations at 0, 5, 10.1 and 15.2 s (5 s + 100 ms jitter after
	 * the first): the one due at >= 20 s (20.3 s) gives up instead. */
	ck_assert_uint_eq(now, 20300);
	ck_assert_int_eq(initiations, 4);
	/* After giving up, only key expiry (540 s) remains. */
	ck_assert_uint_eq(next, now + 540000);
	ck_assert_uint_eq(wg_timers_tick(&t, now + 540000, &next), WG_TIMERS_EXPIRE_SESSION);
	ck_assert(next == WG_TIMERS_NEVER);
}
END_TEST

START_TEST(handshake_complete_stops_retransmit)
{
	uint64_t now = 0, next;

	wg_timers_init(&t, 0);
	wg_timers_handshake_initiated(&t, 0, 0);
	ck_assert_uint_eq(run_until(5000, &now), WG_TIMERS_INITIATE_HANDSHAKE);
	wg_timers_handshake_initiated(&t, 5000, 0);
	wg_timers_handshake_complete(&t, 6000);
	wg_timers_session_derived(&t, 6000);
	ck_assert_uint_eq(wg_timers_next_deadline(&t), 6000 + 540000);
	/* A later, separate attempt gets its own 20 s. */
	wg_timers_handshake_initiated(&t, 200000, 0);
	ck_assert_uint_eq(run_until(200000 + 19999, &now) & WG_TIMERS_GIVE_UP, 0);
	(void)next;
}
END_TEST

START_TEST(key_expiry_extends_with_new_sessions)
{
	uint64_t now = 0, next;

	wg_timers_init(&t, 0);
	wg_timers_session_derived(&t, 0);
	wg_timers_session_derived(&t, 120000);
	ck_assert_uint_eq(run_until(120000 + 539999, &now), WG_TIMERS_NONE);
	ck_assert_uint_eq(wg_timers_tick(&t, 120000 + 540000, &next),
	    WG_TIMERS_EXPIRE_SESSION);
	/* Expiry cancels outstanding handshake work too. */
	wg_timers_session_derived(&t, 1000000);
	wg_timers_handshake_initiated(&t, 1000000 + 539000, 0);
	ck_assert_uint_eq(wg_timers_tick(&t, 1000000 + 540000, &next),
	    WG_TIMERS_EXPIRE_SESSION);
	ck_assert(next == WG_TIMERS_NEVER);
}
END_TEST

START_TEST(persistent_keepalive)
{
	uint64_t now = 0, next;
	unsigned int act;

	wg_timers_init(&t, WG_PERSISTENT_KEEPALIVE_MS);
	/* Nothing until the first packet. */
	ck_assert(wg_timers_next_deadline(&t) == WG_TIMERS_NEVER);
	wg_timers_any_authenticated_packet_traversal(&t, 1000);
	ck_assert_uint_eq(wg_timers_next_deadline(&t), 26000);
	/* Traffic pushes it back. */
	wg_timers_any_authenticated_packet_traversal(&t, 20000);
	ck_assert_uint_eq(run_until(44999, &now), WG_TIMERS_NONE);
	act = wg_timers_tick(&t, 45000, &next);
	ck_assert_uint_eq(act, WG_TIMERS_SEND_KEEPALIVE);
	/* The glue sends it and reports the traversal: every 25 s while idle. */
	wg_timers_any_authenticated_packet_traversal(&t, 45000);
	ck_assert_uint_eq(wg_timers_tick(&t, 70000, &next), WG_TIMERS_SEND_KEEPALIVE);

	/* Off when the interval is 0. */
	wg_timers_init(&t, 0);
	wg_timers_any_authenticated_packet_traversal(&t, 1000);
	ck_assert(wg_timers_next_deadline(&t) == WG_TIMERS_NEVER);
}
END_TEST

START_TEST(late_tick_coalesces)
{
	uint64_t next;
	unsigned int act;

	/* One late tick reports every expired timer at once. */
	wg_timers_init(&t, 25000);
	wg_timers_data_received(&t, 0);
	wg_timers_data_sent(&t, 0, 0);
	wg_timers_any_authenticated_packet_traversal(&t, 0);
	act = wg_timers_tick(&t, 30000, &next);
	ck_assert_uint_eq(act, WG_TIMERS_SEND_KEEPALIVE | WG_TIMERS_INITIATE_HANDSHAKE);
	ck_assert(next == WG_TIMERS_NEVER);
	wg_timers_stop(&t);
	ck_assert(wg_timers_next_deadline(&t) == WG_TIMERS_NEVER);
}
END_TEST

static Suite *
wg_timers_suite(void)
{
	Suite *s = suite_create("wg_timers");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, shipped_constants);
	tcase_add_test(tc, idle_does_nothing);
	tcase_add_test(tc, passive_keepalive);
	tcase_add_test(tc, new_handshake_after_silence);
	tcase_add_test(tc, retransmit_then_give_up);
	tcase_add_test(tc, handshake_complete_stops_retransmit);
	tcase_add_test(tc, key_expiry_extends_with_new_sessions);
	tcase_add_test(tc, persistent_keepalive);
	tcase_add_test(tc, late_tick_coalesces);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wg_timers_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
