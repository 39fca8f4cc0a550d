/* Unit suite for control/dnspattern (docs/protocol/dataplane.md §4.1). */
#include <check.h>
#include <stdlib.h>

#include "dnspattern.h"

static const struct {
	const char *pattern, *name;
	int want;
} cases[] = {
	{ "app.example.com", "app.example.com", 1 },
	{ "app.example.com", "APP.Example.COM.", 1 },
	{ "app.example.com", "web.example.com", 0 },
	{ "*.example.com", "app.example.com", 1 },
	{ "*.example.com", "a.b.example.com", 0 },
	{ "*.example.com", "example.com", 1 },
	{ "*.example.com", "EXAMPLE.com", 0 },          /* the bare-parent case is exact */
	{ "**.example.com", "example.com", 1 },
	{ "**.example.com", "a.b.c.example.com", 1 },
	{ "**.example.com", "example.org", 0 },
	{ "a?c.example.com", "abc.example.com", 1 },
	{ "a?c.example.com", "ac.example.com", 0 },
	{ "web-*.example.com", "web-01.example.com", 1 },
	{ "web-*.example.com", "web-.example.com", 1 },
	{ "web-*.example.com", "web.example.com", 0 },
	{ "h[0-9].example.com", "h7.example.com", 1 },
	{ "h[0-9].example.com", "hx.example.com", 0 },
	{ "h[!0-9].example.com", "hx.example.com", 1 },
	{ "a.**.z", "a.z", 1 },
	{ "a.**.z", "a.b.c.z", 1 },
	{ "a.**.z", "a.b.c.y", 0 },
	{ "a**.example.com", "ab.example.com", -1 },     /* "**" not a whole label */
	{ "***.example.com", "ab.example.com", -1 },
	{ "", "a.com", -1 },
	{ "example.com", "", 0 },
	{ "example.com", "example..com", 0 },
	{ "*a*b*c.example.com", "xaybzc.example.com", 1 },
	{ "*a*b*c.example.com", "xaybz.example.com", 0 },
	{ "**.*.example.com", "a.example.com", 1 },
};

START_TEST(table)
{
	ck_assert_msg(dnspattern_match(cases[_i].pattern, cases[_i].name) == cases[_i].want,
	    "%s vs %s: want %d", cases[_i].pattern, cases[_i].name, cases[_i].want);
}
END_TEST

START_TEST(long_names)
{
	char big[600];
	int i;

	for (i = 0; i < 599; i++)
		big[i] = (i % 2) ? '.' : 'a';
	big[599] = '\0';
	ck_assert_int_eq(dnspattern_match("**", big), 0); /* too long a name never matches */
	ck_assert_int_eq(dnspattern_match(big, "a.a"), -1);
	/* A pattern that backtracks badly with naive recursion stays fast. */
	ck_assert_int_eq(dnspattern_match("*a*a*a*a*a*a*a*a*a*a*b.com",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnspattern");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, long_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
