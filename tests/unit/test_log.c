/* Unit suite for common/log: level names and RUST_LOG directive parsing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* JSON lines stay valid: quotes, control characters and bytes that are
 * not UTF-8 are escaped; valid UTF-8 passes through. */
START_TEST(json_lines)
{
	char buf[1024];
	int p[2];
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(dup2(p[1], 2), 0);
	log_init("test", LOG_LVL_INFO, LOG_FMT_JSON);
	log_info("a\"b\\c\td \xff\xc3( \xc3\xa9");
	n = read(p[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\"msg\":\"a\\\"b\\\\c\\u0009d \\ufffd\\ufffd( \xc3\xa9\"}\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\"process\":\"test\""));
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, level_names);
	tcase_add_test(tc, rust_log);
	tcase_add_test(tc, json_lines);
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
