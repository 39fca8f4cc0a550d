/* Unit suite for dataplane/config: flags, environment, token sources. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static const char *const vars[] = {
	"FIREZONE_API_URL", "FIREZONE_TOKEN", "FIREZONE_TOKEN_FILE", "FIREZONE_ID", "FIREZONE_NAME",
	"FIREZONE_NO_TELEMETRY", "HEALTH_CHECK_ADDR", "FIREZONE_STATE_DIR", "RUST_LOG", "LOG_FORMAT",
	"CREDENTIALS_DIRECTORY", "FIREZONE_DATAPLANE_USER", "FIREZONE_CONTROL_USER",
	"FIREZONE_CONTROL_BIN", "FIREZONE_FLOW_LOGS", "FIREZONE_FLOW_LOG_INTERVAL",
	"FIREZONE_TUN_OFFLOAD", "FIREZONE_LOG_FORMAT", "FIREZONE_MAX_PARTITION_TIME",
	"FIREZONE_NO_INC_BUF", "FIREZONE_METRICS", "FIREZONE_VALIDATE_CHECKSUMS",
	"OTLP_GRPC_ENDPOINT",
};

static struct dp_config c;

static void
clean_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

/* Run config_parse on a NULL-terminated list of string literals (copied). */
static enum config_result
run(const char *a0, ...)
{
	static char store[16][256];
	char *argv[17];
	const char *s;
	va_list ap;
	int n = 0;

	va_start(ap, a0);
	for (s = a0; s != NULL && n < 16; s = va_arg(ap, const char *)) {
		snprintf(store[n], sizeof(store[n]), "%s", s);
		argv[n] = store[n];
		n++;
	}
	va_end(ap);
	argv[n] = NULL;
	return config_parse(&c, n, argv);
}

START_TEST(defaults_and_token_arg)
{
	clean_env();
	ck_assert_int_eq(run("fg", "tok-abc", NULL), CONFIG_OK);
	ck_assert_str_eq(c.token, "tok-abc");
	ck_assert_str_eq(c.api_url, CONFIG_DEFAULT_API_URL);
	ck_assert_str_eq(c.health_addr, CONFIG_DEFAULT_HEALTH_ADDR);
	ck_assert_str_eq(c.state_dir, CONFIG_DEFAULT_STATE_DIR);
	ck_assert_str_eq(c.dp_user, CONFIG_DEFAULT_DP_USER);
	ck_assert_int_eq(c.log_level, LOG_LVL_INFO);
	ck_assert(c.name[0] != '\0');
	config_clear(&c);
	ck_assert_int_eq(c.token[0], 0);
}
END_TEST

START_TEST(flag_beats_env)
{
	clean_env();
	setenv("FIREZONE_API_URL", "wss://env.example", 1);
	setenv("FIREZONE_NAME", "env-name", 1);
	setenv("FIREZONE_TOKEN", "env-token", 1);
	setenv("RUST_LOG", "warn", 1);
	ck_assert_int_eq(run("fg", "-u", "ws://flag.example:8081", "--firezone-name", "flag-name",
	    "--log-level", "debug", "--no-telemetry", NULL), CONFIG_OK);
	ck_assert_str_eq(c.api_url, "ws://flag.example:8081");
	ck_assert_str_eq(c.name, "flag-name");
	ck_assert_str_eq(c.token, "env-token");
	ck_assert_int_eq(c.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(c.no_telemetry, 1);
	/* The token no longer sits in the environment. */
	ck_assert_ptr_null(getenv("FIREZONE_TOKEN"));
	clean_env();
	setenv("RUST_LOG", "firezone_gateway=trace", 1);
	setenv("LOG_FORMAT", "json", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.log_level, LOG_LVL_TRACE);
	ck_assert_int_eq(c.log_format, LOG_FMT_JSON);
}
END_TEST

START_TEST(token_sources)
{
	char dir[] = "/tmp/fzcfgXXXXXX", path[300];
	FILE *f;

	clean_env();
	ck_assert_int_eq(run("fg", NULL), CONFIG_FATAL);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/firezone-token", dir);
	f = fopen(path, "w");
	fputs("  cred-token \n", f);
	fclose(f);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	ck_assert_int_eq(run("fg", NULL), CONFIG_OK);
	ck_assert_str_eq(c.token, "cred-token");
	setenv("FIREZONE_TOKEN_FILE", path, 1);
	ck_assert_int_eq(run("fg", NULL), CONFIG_OK);
	ck_assert_str_eq(c.token, "cred-token");
	setenv("FIREZONE_TOKEN_FILE", "/nonexistent/token", 1);
	ck_assert_int_eq(run("fg", NULL), CONFIG_FATAL);
	f = fopen(path, "w");
	fputs(" \n", f);
	fclose(f);
	setenv("FIREZONE_TOKEN_FILE", path, 1);
	ck_assert_int_eq(run("fg", NULL), CONFIG_FATAL);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Issue 15, item 52: upstream's credential name, whitespace trimmed. */
START_TEST(upstream_credential)
{
	char dir[] = "/tmp/fzcfgXXXXXX", path[300];
	FILE *f;

	clean_env();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/FIREZONE_TOKEN", dir);
	f = fopen(path, "w");
	fputs("tok\n", f);
	fclose(f);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	ck_assert_int_eq(run("fg", NULL), CONFIG_OK);
	ck_assert_str_eq(c.token, "tok");
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Issue 15 (docs/portal-today.md): upstream's option and variable names. */
START_TEST(upstream_names)
{
	uint64_t secs = 0;

	clean_env();
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_uint_eq(c.max_partition_s, 24 * 3600);
	ck_assert_int_eq(c.log_format, LOG_FMT_TEXT);

	/* FIREZONE_LOG_FORMAT (human / json) wins over LOG_FORMAT (item 53) */
	setenv("LOG_FORMAT", "text", 1);
	setenv("FIREZONE_LOG_FORMAT", "json", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.log_format, LOG_FMT_JSON);
	setenv("FIREZONE_LOG_FORMAT", "human", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.log_format, LOG_FMT_TEXT);
	ck_assert_int_eq(run("fg", "--log-format", "json", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.log_format, LOG_FMT_JSON);
	setenv("FIREZONE_LOG_FORMAT", "yaml", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	unsetenv("FIREZONE_LOG_FORMAT");
	unsetenv("LOG_FORMAT");

	/* FIREZONE_MAX_PARTITION_TIME / -m (item 9) */
	setenv("FIREZONE_MAX_PARTITION_TIME", "2m", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_uint_eq(c.max_partition_s, 120);
	ck_assert_int_eq(run("fg", "-m", "30d", "t", NULL), CONFIG_OK);
	ck_assert_uint_eq(c.max_partition_s, 30 * 86400);
	ck_assert_int_eq(run("fg", "--max-partition-time", "1h 30min", "t", NULL), CONFIG_OK);
	ck_assert_uint_eq(c.max_partition_s, 5400);
	setenv("FIREZONE_MAX_PARTITION_TIME", "soon", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	setenv("FIREZONE_MAX_PARTITION_TIME", "0s", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	unsetenv("FIREZONE_MAX_PARTITION_TIME");

	/* accepted without effect */
	setenv("FIREZONE_NO_INC_BUF", "true", 1);
	setenv("FIREZONE_METRICS", "stdout", 1);
	setenv("FIREZONE_VALIDATE_CHECKSUMS", "false", 1);
	setenv("OTLP_GRPC_ENDPOINT", "127.0.0.1:4317", 1);
	ck_assert_int_eq(run("fg", "--no-inc-buf", "--no-check", "--metrics", "sentry",
	    "--otlp-grpc-endpoint", "x:1", "--validate-checksums", "t", NULL), CONFIG_OK);
	setenv("FIREZONE_METRICS", "prometheus", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	clean_env();

	/* humantime-style durations */
	ck_assert_int_eq(config_parse_duration("5m", &secs), 0);
	ck_assert_uint_eq(secs, 300);
	ck_assert_int_eq(config_parse_duration("1500ms", &secs), 0);
	ck_assert_uint_eq(secs, 2);
	ck_assert_int_eq(config_parse_duration("2h 5s", &secs), 0);
	ck_assert_uint_eq(secs, 7205);
	ck_assert_int_eq(config_parse_duration("1w", &secs), 0);
	ck_assert_uint_eq(secs, 604800);
	ck_assert_int_eq(config_parse_duration("90", &secs), 0);
	ck_assert_uint_eq(secs, 90);
	ck_assert_int_eq(config_parse_duration("", &secs), -1);
	ck_assert_int_eq(config_parse_duration("5x", &secs), -1);
	ck_assert_int_eq(config_parse_duration("m5", &secs), -1);
	ck_assert_int_eq(config_parse_duration("5m 7", &secs), -1);
	ck_assert_int_eq(config_parse_duration("99999999999999999999y", &secs), -1);
}
END_TEST

START_TEST(usage_errors)
{
	char big[2000];

	clean_env();
	ck_assert_int_eq(run("fg", "--bogus", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "-u", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "t", "extra", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "--log-level", "loud", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "--log-format", "xml", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "-u", "ftp://x", "t", NULL), CONFIG_FATAL);
	ck_assert_int_eq(run("fg", "-u", "wss://", "t", NULL), CONFIG_FATAL);
	setenv("FIREZONE_NO_TELEMETRY", "maybe", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	unsetenv("FIREZONE_NO_TELEMETRY");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setenv("FIREZONE_ID", big, 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	unsetenv("FIREZONE_ID");
}
END_TEST

START_TEST(tun_offload)
{
	clean_env();
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.tun_offload, 1);
	ck_assert_int_eq(run("fg", "--no-tun-offload", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.tun_offload, 0);
	setenv("FIREZONE_TUN_OFFLOAD", "false", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.tun_offload, 0);
	setenv("FIREZONE_TUN_OFFLOAD", "on", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.tun_offload, 1);
	ck_assert_int_eq(run("fg", "--no-tun-offload", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.tun_offload, 0);
	setenv("FIREZONE_TUN_OFFLOAD", "maybe", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	unsetenv("FIREZONE_TUN_OFFLOAD");
}
END_TEST

START_TEST(flow_logs)
{
	unsigned int iv = 0;

	clean_env();
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.flow_logs, 0);
	ck_assert_uint_eq(c.flow_log_interval_s, CONFIG_DEFAULT_FLOW_LOG_INTERVAL);
	ck_assert_int_eq(config_flow_logs(&iv), 0);
	ck_assert_uint_eq(iv, CONFIG_DEFAULT_FLOW_LOG_INTERVAL);
	ck_assert_int_eq(run("fg", "--flow-logs", "--flow-log-interval", "5", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.flow_logs, 1);
	ck_assert_uint_eq(c.flow_log_interval_s, 5);
	ck_assert_int_eq(config_flow_logs(&iv), 1);
	ck_assert_uint_eq(iv, 5);
	/* The environment, and a flag over it. */
	setenv("FIREZONE_FLOW_LOGS", "yes", 1);
	setenv("FIREZONE_FLOW_LOG_INTERVAL", "0", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.flow_logs, 1);
	ck_assert_uint_eq(c.flow_log_interval_s, 0);
	ck_assert_int_eq(run("fg", "--flow-log-interval", "86400", "t", NULL), CONFIG_OK);
	ck_assert_uint_eq(c.flow_log_interval_s, 86400);
	setenv("FIREZONE_FLOW_LOGS", "off", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.flow_logs, 0);
	ck_assert_int_eq(config_flow_logs(NULL), 0);
	ck_assert_int_eq(run("fg", "--flow-logs", "t", NULL), CONFIG_OK);
	ck_assert_int_eq(c.flow_logs, 1);
	/* Bad values; a failed parse leaves the last good settings. */
	ck_assert_int_eq(run("fg", "--flow-log-interval", "86401", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "--flow-log-interval", "-1", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "--flow-log-interval", "", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "--flow-log-interval", "10s", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "--flow-log-interval", "99999999999999999999", "t", NULL), CONFIG_USAGE);
	ck_assert_int_eq(run("fg", "--flow-log-interval", NULL), CONFIG_USAGE);
	ck_assert_int_eq(config_flow_logs(&iv), 1);
	ck_assert_uint_eq(iv, 0);
	setenv("FIREZONE_FLOW_LOG_INTERVAL", "soon", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	unsetenv("FIREZONE_FLOW_LOG_INTERVAL");
	setenv("FIREZONE_FLOW_LOGS", "sometimes", 1);
	ck_assert_int_eq(run("fg", "t", NULL), CONFIG_USAGE);
	clean_env();
}
END_TEST

START_TEST(bools)
{
	int b;

	ck_assert_int_eq(config_parse_bool("TRUE", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(config_parse_bool("no", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(config_parse_bool("1", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(config_parse_bool("2", &b), -1);
}
END_TEST

START_TEST(help_and_version)
{
	clean_env();
	ck_assert_int_eq(run("fg", "--version", NULL), CONFIG_EXIT_OK);
	ck_assert_int_eq(run("fg", "-h", NULL), CONFIG_EXIT_OK);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults_and_token_arg);
	tcase_add_test(tc, flag_beats_env);
	tcase_add_test(tc, token_sources);
	tcase_add_test(tc, upstream_credential);
	tcase_add_test(tc, upstream_names);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, tun_offload);
	tcase_add_test(tc, flow_logs);
	tcase_add_test(tc, bools);
	tcase_add_test(tc, help_and_version);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
