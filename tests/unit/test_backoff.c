/*
 * Unit suite for control/backoff: today's reconnect delays (0.5 s, x1.5,
 * additive jitter of 0..100 %, 60 s cap on the base) and the delay budget
 * of FIREZONE_MAX_PARTITION_TIME (issue 15, checklist items 9 and 10).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "backoff.h"

static uint32_t
rand_fixed(void *ctx)
{
	return *(const uint32_t *)ctx;
}

struct seq {
	const uint32_t *v;
	size_t n, i;
};

static uint32_t
rand_seq(void *ctx)
{
	struct seq *s = ctx;
	uint32_t r = s->v[s->i % s->n];

	s->i++;
	return r;
}

static uint64_t
next(struct backoff *b)
{
	uint64_t d = 0;

	ck_assert_int_eq(backoff_next(b, &d), BACKOFF_OK);
	return d;
}

START_TEST(base_sequence)
{
	/* With no jitter drawn, the delay is the base interval. */
	static const uint64_t want[] = {
		500, 750, 1125, 1688, 2531, 3797, 5695, 8543, 12814, 19222,
		28833, 43249, 60000, 60000, 60000,
	};
	uint32_t zero = 0;
	struct backoff b;
	size_t i;

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &zero), BACKOFF_OK);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t d = next(&b);
		ck_assert_msg(d + 1 >= want[i] && d <= want[i] + 1,
		    "delay %zu: got %llu want %llu", i,
		    (unsigned long long)d, (unsigned long long)want[i]);
	}
}
END_TEST

START_TEST(jitter_bounds)
{
	uint32_t hi = 0xffffffffu, half = 0x80000000u;
	struct backoff b;
	int i;

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &half), BACKOFF_OK);
	ck_assert_uint_eq(next(&b), 750);	/* 500 + 50 % */
	ck_assert_int_eq(backoff_init(&b, rand_fixed, &hi), BACKOFF_OK);
	ck_assert_uint_eq(next(&b), 1000);	/* just under 2 x 500 */
	ck_assert_uint_eq(next(&b), 1500);
	/* The cap is on the base, so a delay may reach 2 x 60 s, never more. */
	for (i = 0; i < 30; i++)
		ck_assert_uint_le(next(&b), 120000);
	ck_assert_uint_eq(next(&b), 120000);
	ck_assert(b.current_ms == 60000.0);
}
END_TEST

START_TEST(reset_and_sequence)
{
	static const uint32_t vals[] = { 0, 0xffffffffu, 0x40000000u };
	struct seq s = { vals, 3, 0 };
	struct backoff b;

	ck_assert_int_eq(backoff_init(&b, rand_seq, &s), BACKOFF_OK);
	ck_assert_uint_eq(next(&b), 500);
	ck_assert_uint_eq(next(&b), 1500);	/* 750 * 2 */
	ck_assert_uint_eq(next(&b), 1406);	/* 1125 * 1.25 */
	ck_assert_uint_eq(b.spent_ms, 3406);
	backoff_reset(&b);
	ck_assert_uint_eq(b.spent_ms, 0);
	ck_assert_uint_eq(next(&b), 500);
	ck_assert(b.current_ms == 750.0);
}
END_TEST

START_TEST(budget_default_24h)
{
	uint32_t zero = 0;
	struct backoff b;
	uint64_t sum = 0, d;
	int n = 0;

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &zero), BACKOFF_OK);
	ck_assert_uint_eq(b.budget_ms, 24ull * 3600 * 1000);
	while (backoff_next(&b, &d) == BACKOFF_OK) {
		sum += d;
		n++;
	}
	/* Gives up once the summed delays would pass 24 h, not before. */
	ck_assert_uint_le(sum, 24ull * 3600 * 1000);
	ck_assert_uint_gt(sum + 60000, 24ull * 3600 * 1000);
	ck_assert_int_gt(n, 1400);
	ck_assert_int_eq(backoff_next(&b, &d), BACKOFF_EXHAUSTED);
}
END_TEST

START_TEST(budget_two_minutes)
{
	uint32_t zero = 0;
	struct backoff b;
	uint64_t sum = 0, d = 7, last = 0;

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &zero), BACKOFF_OK);
	backoff_set_budget(&b, 120000);
	while (backoff_next(&b, &d) == BACKOFF_OK) {
		sum += d;
		last = d;
	}
	ck_assert_uint_le(sum, 120000);
	ck_assert_uint_gt(sum + 43249, 120000);
	ck_assert_uint_eq(d, last);	/* untouched by the refused call */
	backoff_reset(&b);
	ck_assert_int_eq(backoff_next(&b, &d), BACKOFF_OK);
	backoff_set_budget(&b, 0);	/* no limit */
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(backoff_next(&b, &d), BACKOFF_OK);
}
END_TEST

START_TEST(bad_params)
{
	uint32_t zero = 0;
	struct backoff b;

	ck_assert_int_eq(backoff_init(NULL, rand_fixed, &zero), BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init(&b, NULL, NULL), BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 0, 10, 1.5, 0.5, 0, rand_fixed, &zero),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 20, 10, 1.5, 0.5, 0, rand_fixed, &zero),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 10, 20, 0.5, 0.5, 0, rand_fixed, &zero),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 10, 20, 2.0, 1.5, 0, rand_fixed, &zero),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 100, 400, 2.0, 0.0, 0, rand_fixed, &zero),
	    BACKOFF_OK);
	ck_assert_uint_eq(next(&b), 100);
	ck_assert_uint_eq(next(&b), 200);
	ck_assert_uint_eq(next(&b), 400);
	ck_assert_uint_eq(next(&b), 400);
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, base_sequence);
	tcase_add_test(tc, jitter_bounds);
	tcase_add_test(tc, reset_and_sequence);
	tcase_add_test(tc, budget_default_24h);
	tcase_add_test(tc, budget_two_minutes);
	tcase_add_test(tc, bad_params);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(backoff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
