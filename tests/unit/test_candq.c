/* Unit suite for control/candq: candidate changes held for the portal
 * (issue 15, checklist item 48). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "candq.h"

static const char *const H = "candidate:1 1 udp 2130706431 192.0.2.10 51820 typ host";
static const char *const S = "candidate:2 1 udp 1694498815 198.51.100.7 41000 typ srflx raddr 192.0.2.10 rport 51820";
static const char *const RL = "candidate:3 1 udp 16777215 203.0.113.7 50000 typ relay raddr 198.51.100.7 rport 41000";

static int
has(char (*list)[CANDQ_STRLEN], size_t n, const char *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], c) == 0)
			return 1;
	return 0;
}

/* While the portal is down: one batch of each kind per client, merged. */
START_TEST(held_changes_merge)
{
	struct candq q;

	memset(&q, 0, sizeof(q));
	candq_change(&q, H, 1);
	candq_change(&q, RL, 1);
	candq_sent(&q);		/* announced: H, RL */
	/* the portal goes away; meanwhile: */
	candq_change(&q, S, 1);		/* new */
	candq_change(&q, S, 0);		/* and gone again: cancels out */
	candq_change(&q, RL, 0);	/* an announced one goes */
	candq_change(&q, RL, 1);	/* and comes back: an addition again */
	candq_change(&q, H, 0);		/* gone for good */
	candq_change(&q, H, 0);		/* twice: once in the batch */
	ck_assert_uint_eq(q.n_add, 1);
	ck_assert(has(q.add, q.n_add, RL));
	ck_assert_uint_eq(q.n_del, 1);
	ck_assert(has(q.del, q.n_del, H));
	ck_assert(!has(q.add, q.n_add, S) && !has(q.del, q.n_del, S));
	ck_assert_uint_eq(q.n_announced, 1);
	ck_assert(has(q.announced, q.n_announced, RL));
	candq_sent(&q);
	ck_assert_uint_eq(q.n_add + q.n_del, 0);
}
END_TEST

/* Reuse of the connection: every announced candidate goes out again. */
START_TEST(reannounce_all)
{
	struct candq q;

	memset(&q, 0, sizeof(q));
	candq_change(&q, H, 1);
	candq_change(&q, S, 1);
	candq_change(&q, RL, 1);
	candq_sent(&q);
	candq_change(&q, S, 0);
	candq_sent(&q);
	candq_reannounce(&q);
	ck_assert_uint_eq(q.n_add, 2);
	ck_assert(has(q.add, q.n_add, H) && has(q.add, q.n_add, RL));
	ck_assert_uint_eq(q.n_del, 0);
}
END_TEST

/* Bounded: a full list drops further changes; long strings are cut. */
START_TEST(bounds)
{
	struct candq q;
	char c[300];
	int i;

	memset(&q, 0, sizeof(q));
	for (i = 0; i < CANDQ_MAX + 5; i++) {
		snprintf(c, sizeof(c), "candidate:%d 1 udp 1 192.0.2.%d 1 typ host", i, i);
		candq_change(&q, c, 1);
	}
	ck_assert_uint_eq(q.n_add, CANDQ_MAX);
	ck_assert_uint_eq(q.n_announced, CANDQ_MAX);
	memset(c, 'a', sizeof(c) - 1);
	c[sizeof(c) - 1] = '\0';
	candq_sent(&q);
	memset(&q, 0, sizeof(q));
	candq_change(&q, c, 1);
	ck_assert_uint_eq(strlen(q.add[0]), CANDQ_STRLEN - 1);
	candq_change(&q, c, 0);
	ck_assert_uint_eq(q.n_add, 0);
}
END_TEST

static Suite *
candq_suite(void)
{
	Suite *s = suite_create("candq");
	TCase *tc = tcase_create("candq");

	tcase_add_test(tc, held_changes_merge);
	tcase_add_test(tc, reannounce_all);
	tcase_add_test(tc, bounds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(candq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
