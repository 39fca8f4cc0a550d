/* Unit suite for control/backoff: the reconnect delay sequence of spec 4.2. */
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

START_TEST(midpoint_sequence)
{
	/* With the random value at one half, the delay is the base interval. */
	static const uint64_t want[] = {
		500, 750, 1125, 1688, 2531, 3797, 5695, 8543, 12814, 19222,
		28833, 43249, 60000, 60000, 60000,
	};
	uint32_t half = 0x80000000u;
	struct backoff b;
	size_t i;

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &half), BACKOFF_OK);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t d = backoff_next_ms(&b);
		/* the table is rounded to the millisecond */
		ck_assert_msg(d + 1 >= want[i] && d <= want[i] + 1,
		    "delay %zu: got %llu want %llu", i,
		    (unsigned long long)d, (unsigned long long)want[i]);
	}
}
END_TEST

START_TEST(bounds)
{
	uint32_t lo = 0, hi = 0xffffffffu;
	struct backoff b;
	int i;

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &lo), BACKOFF_OK);
	ck_assert_uint_eq(backoff_next_ms(&b), 250);
	ck_assert_uint_eq(backoff_next_ms(&b), 375);

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &hi), BACKOFF_OK);
	ck_assert_uint_eq(backoff_next_ms(&b), 750);
	ck_assert_uint_eq(backoff_next_ms(&b), 1125);
	/* The cap is on the base, so a delay may reach 1.5 * 60 s. */
	for (i = 0; i < 30; i++)
		(void)backoff_next_ms(&b);
	ck_assert_uint_eq(backoff_next_ms(&b), 90000);
	ck_assert(b.current_ms == 60000.0);
}
END_TEST

START_TEST(reset_and_sequence)
{
	static const uint32_t vals[] = { 0, 0xffffffffu, 0x40000000u };
	struct seq s = { vals, 3, 0 };
	struct backoff b;

	ck_assert_int_eq(backoff_init(&b, rand_seq, &s), BACKOFF_OK);
	ck_assert_uint_eq(backoff_next_ms(&b), 250);	/* 0.5 * 500 */
	ck_assert_uint_eq(backoff_next_ms(&b), 1125);	/* 1.5 * 750 */
	ck_assert_uint_eq(backoff_next_ms(&b), 844);	/* 0.75 * 1125 */
	backoff_reset(&b);
	ck_assert_uint_eq(backoff_next_ms(&b), 250);
	ck_assert(b.current_ms == 750.0);
}
END_TEST

START_TEST(never_runs_out)
{
	uint32_t half = 0x80000000u;
	struct backoff b;
	int i;

	ck_assert_int_eq(backoff_init(&b, rand_fixed, &half), BACKOFF_OK);
	for (i = 0; i < 100000; i++)
		ck_assert_uint_le(backoff_next_ms(&b), 90000);
	ck_assert_uint_eq(backoff_next_ms(&b), 60000);
}
END_TEST

START_TEST(bad_params)
{
	uint32_t half = 0x80000000u;
	struct backoff b;

	ck_assert_int_eq(backoff_init(NULL, rand_fixed, &half), BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init(&b, NULL, NULL), BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 0, 10, 1.5, 0.5, rand_fixed, &half),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 20, 10, 1.5, 0.5, rand_fixed, &half),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 10, 20, 0.5, 0.5, rand_fixed, &half),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 10, 20, 2.0, 1.0, rand_fixed, &half),
	    BACKOFF_EINVAL);
	ck_assert_int_eq(backoff_init_params(&b, 100, 400, 2.0, 0.0, rand_fixed, &half),
	    BACKOFF_OK);
	ck_assert_uint_eq(backoff_next_ms(&b), 100);
	ck_assert_uint_eq(backoff_next_ms(&b), 200);
	ck_assert_uint_eq(backoff_next_ms(&b), 400);
	ck_assert_uint_eq(backoff_next_ms(&b), 400);
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, midpoint_sequence);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, reset_and_sequence);
	tcase_add_test(tc, never_runs_out);
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
