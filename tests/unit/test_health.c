/* Unit suite for control/health: address parsing and the readiness verdict. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"

START_TEST(addresses)
{
	char host[64];
	unsigned short port;

	ck_assert_int_eq(health_parse_addr("0.0.0.0:8080", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "0.0.0.0");
	ck_assert_uint_eq(port, 8080);
	ck_assert_int_eq(health_parse_addr("[::1]:9", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 9);
	ck_assert_int_eq(health_parse_addr("localhost:80", host, sizeof(host), &port), 0);
	ck_assert_int_eq(health_parse_addr("::1:80", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr("1.2.3.4", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr("1.2.3.4:0", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr("1.2.3.4:65536", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr("1.2.3.4:80x", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr(":80", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr("[::1:80", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr("", host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr(NULL, host, sizeof(host), &port), -1);
	ck_assert_int_eq(health_parse_addr("averyveryveryveryverylonghostname.example:1", host, 8, &port), -1);
}
END_TEST

START_TEST(readiness)
{
	struct health_state st = { 0, 0, 0 };
	char b[256];

	ck_assert_int_eq(health_ready_text(&st, b, sizeof(b)), 0);
	ck_assert_ptr_nonnull(strstr(b, "portal: not joined"));
	st.portal_joined = 1;
	st.dataplane_ready = 1;
	ck_assert_int_eq(health_ready_text(&st, b, sizeof(b)), 0);
	ck_assert_ptr_nonnull(strstr(b, "relays: 0"));
	st.relays = 2;
	ck_assert_int_eq(health_ready_text(&st, b, sizeof(b)), 1);
	ck_assert(strncmp(b, "ready\n", 6) == 0);
	st.dataplane_ready = 0;
	ck_assert_int_eq(health_ready_text(&st, b, sizeof(b)), 0);
	ck_assert_ptr_nonnull(strstr(b, "dataplane: starting"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, addresses);
	tcase_add_test(tc, readiness);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
