/* Unit suite for common/log: level names and RUST_LOG directive parsing. */
#include <check.h>
#include <stdlib.h>

#include "log.h"

START_TEST(level_names)
{
	enum log_level l;

	ck_assert_int_eq(log_level_parse("INFO", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_INFO);
	ck_assert_int_eq(log_level_parse("warning", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_WARN);
	ck_assert_int_eq(log_level_parse("loud", &l), -1);
	ck_assert_int_eq(log_level_parse(NULL, &l), -1);
	ck_assert_str_eq(log_level_name(LOG_LVL_DEBUG), "debug");
}
END_TEST

START_TEST(rust_log)
{
	enum log_level l = LOG_LVL_ERROR;

	ck_assert_int_eq(log_level_from_rust_log("info", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_INFO);
	ck_assert_int_eq(log_level_from_rust_log("warn,firezone_gateway=debug", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_DEBUG);
	ck_assert_int_eq(log_level_from_rust_log(" debug , hyper=trace", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_DEBUG);
	ck_assert_int_eq(log_level_from_rust_log("connlib=trace,error", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_TRACE);
	ck_assert_int_eq(log_level_from_rust_log("", &l), -1);
	ck_assert_int_eq(log_level_from_rust_log("hyper=debug,,=", &l), -1);
	ck_assert_int_eq(log_level_from_rust_log("firezone=", &l), -1);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, level_names);
	tcase_add_test(tc, rust_log);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
