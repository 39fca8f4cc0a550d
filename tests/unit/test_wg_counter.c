/*
 * Unit suite for dataplane/wg_counter: in-order, reordered (inside the
 * WG_COUNTER_WINDOW), duplicate, too-old and limit cases, plus a comparison
 * against a naive reference (a set of seen counters) on random input.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wg_counter.h"

#define W ((uint64_t)WG_COUNTER_WINDOW)


/*
 * Check's ck_assert_* record their location on every call, which is far
 * too slow inside loops of 10^5 operations; these only report failures.
 */
#define FAST_OP(a, op, b) do {						\
	if (!((a) op (b)))						\
		ck_abort_msg("%s:%d: %s %s %s", __FILE__, __LINE__,	\
		    #a, #op, #b);					\
} while (0)
#define FAST_EQ(a, b)	FAST_OP(a, ==, b)
#define FAST_NE(a, b)	FAST_OP(a, !=, b)
#define FAST_LT(a, b)	FAST_OP(a, <, b)
#define FAST_LE(a, b)	FAST_OP(a, <=, b)
#define FAST_NULL(a)	FAST_OP((const void *)(a), ==, NULL)
#define FAST_NONNULL(a)	FAST_OP((const void *)(a), !=, NULL)

static struct wg_counter c;

START_TEST(in_order_and_duplicates)
{
	uint64_t i;

	wg_counter_init(&c);
	for (i = 0; i < 20000; i++) {
		ck_assert_int_eq(wg_counter_check(&c, i), WG_OK);
		ck_assert_int_eq(wg_counter_accept(&c, i), WG_OK);
		ck_assert_int_eq(wg_counter_accept(&c, i), WG_ERR_REPLAY);
	}
	ck_assert_int_eq(wg_counter_accept(&c, 0), WG_ERR_REPLAY);
	ck_assert_int_eq(wg_counter_accept(&c, 19999 - (W - 1)), WG_ERR_REPLAY);
}
END_TEST

START_TEST(reorder_inside_window)
{
	uint64_t i;

	wg_counter_init(&c);
	/* Counter 0 is late: everything up to W - 1 arrives first. */
	for (i = 1; i <= W - 1; i++)
		ck_assert_int_eq(wg_counter_accept(&c, i), WG_OK);
	ck_assert_int_eq(wg_counter_accept(&c, 0), WG_OK);
	ck_assert_int_eq(wg_counter_accept(&c, 0), WG_ERR_REPLAY);

	/* A jump forward, then the whole gap arrives in reverse order. */
	wg_counter_init(&c);
	ck_assert_int_eq(wg_counter_accept(&c, 10000), WG_OK);
	for (i = 9999; i > 10000 - W; i--)
		ck_assert_int_eq(wg_counter_accept(&c, i), WG_OK);
	ck_assert_int_eq(wg_counter_accept(&c, 10000 - W), WG_ERR_REPLAY);
	for (i = 9999; i > 10000 - W; i--)
		ck_assert_int_eq(wg_counter_accept(&c, i), WG_ERR_REPLAY);
}
END_TEST

START_TEST(too_old)
{
	wg_counter_init(&c);
	ck_assert_int_eq(wg_counter_accept(&c, W), WG_OK);
	/* W - 1 behind: still inside. */
	ck_assert_int_eq(wg_counter_check(&c, 1), WG_OK);
	ck_assert_int_eq(wg_counter_check(&c, 0), WG_ERR_REPLAY);
	/* A jump far ahead forgets everything older than the window. */
	ck_assert_int_eq(wg_counter_accept(&c, 1000000), WG_OK);
	ck_assert_int_eq(wg_counter_check(&c, 1000000 - (W - 1)), WG_OK);
	ck_assert_int_eq(wg_counter_check(&c, 1000000 - W), WG_ERR_REPLAY);
	ck_assert_int_eq(wg_counter_check(&c, W + 1), WG_ERR_REPLAY);
	/* Bits from before the jump do not leak into reused ring words. */
	ck_assert_int_eq(wg_counter_accept(&c, 1000000 - (W - 100)), WG_OK);
	ck_assert_int_eq(wg_counter_accept(&c, 999999), WG_OK);
}
END_TEST

START_TEST(reject_after_messages)
{
	wg_counter_init(&c);
	ck_assert_int_eq(wg_counter_accept(&c, WG_REJECT_AFTER_MESSAGES - 1), WG_OK);
	ck_assert_int_eq(wg_counter_accept(&c, WG_REJECT_AFTER_MESSAGES), WG_ERR_EXPIRED);
	ck_assert_int_eq(wg_counter_accept(&c, UINT64_MAX), WG_ERR_EXPIRED);
	ck_assert_int_eq(wg_counter_accept(&c, WG_REJECT_AFTER_MESSAGES - 2), WG_OK);
	ck_assert_int_eq(wg_counter_accept(&c, WG_REJECT_AFTER_MESSAGES - 2), WG_ERR_REPLAY);
}
END_TEST

/* Deterministic xorshift so the random test is reproducible. */
static uint64_t rs = 0x123456789abcdefULL;
static uint64_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

START_TEST(random_vs_reference)
{
	/* Reference: a bitset of every counter ever accepted. */
	enum { SPAN_BITS = 1 << 26 };
	uint8_t *seen = calloc(SPAN_BITS / 8, 1);
	uint64_t greatest = 0, n, back;
	int i, want, got;
	bool any = false;

	FAST_NONNULL(seen);
	wg_counter_init(&c);
	for (i = 0; i < 200000; i++) {
		switch (rnd() % 8) {
		case 0:		/* jump forward */
			n = greatest + rnd() % 3000;
			break;
		case 1:		/* around the trailing edge of the window */
			back = 8100 + rnd() % 200;
			n = greatest > back ? greatest - back : 0;
			break;
		case 2:		/* anywhere inside the window */
			back = rnd() % (2 * W);
			n = greatest > back ? greatest - back : 0;
			break;
		default:	/* slightly reordered traffic */
			back = rnd() % 64;
			n = greatest + 1 > back ? greatest + 1 - back : 0;
			break;
		}
		FAST_LT(n, SPAN_BITS);
		if (seen[n / 8] & (1u << (n % 8)))
			want = WG_ERR_REPLAY;
		else if (any && n < greatest && greatest - n >= WG_COUNTER_WINDOW)
			want = WG_ERR_REPLAY;
		else
			want = WG_OK;
		FAST_EQ(wg_counter_check(&c, n), want);
		got = wg_counter_accept(&c, n);
		FAST_EQ(got, want);
		if (got == WG_OK) {
			seen[n / 8] |= (uint8_t)(1u << (n % 8));
			if (n > greatest)
				greatest = n;
			any = true;
		}
	}
	free(seen);
}
END_TEST

static Suite *
wg_counter_suite(void)
{
	Suite *s = suite_create("wg_counter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, in_order_and_duplicates);
	tcase_add_test(tc, reorder_inside_window);
	tcase_add_test(tc, too_old);
	tcase_add_test(tc, reject_after_messages);
	tcase_add_test(tc, random_vs_reference);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wg_counter_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
