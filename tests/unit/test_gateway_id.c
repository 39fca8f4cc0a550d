/* Unit suite for control/gateway_id: configured, persisted, created, errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway_id.h"

static char dir[64];
static char id[GATEWAY_ID_MAX + 1], why[512];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fzgwid.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
write_file(const char *name, const char *content)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

START_TEST(configured_wins)
{
	write_file("gateway_id", "from-file");
	ck_assert_int_eq(gateway_id_load("from-env", dir, id, why, sizeof(why)), 0);
	ck_assert_str_eq(id, "from-env");
}
END_TEST

START_TEST(file_trimmed)
{
	write_file("gateway_id", "  5c4d1a4e-1b2c-4d5e-8f90-0123456789ab\n");
	ck_assert_int_eq(gateway_id_load("", dir, id, why, sizeof(why)), 0);
	ck_assert_str_eq(id, "5c4d1a4e-1b2c-4d5e-8f90-0123456789ab");
}
END_TEST

START_TEST(created_and_stable)
{
	char sub[128], first[GATEWAY_ID_MAX + 1];
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	ck_assert_int_eq(gateway_id_load(NULL, sub, id, why, sizeof(why)), 0);
	ck_assert_uint_eq(strlen(id), 36);
	ck_assert_int_eq(id[14], '4');
	ck_assert(strchr("89ab", id[19]) != NULL);
	strcpy(first, id);
	ck_assert_int_eq(gateway_id_load(NULL, sub, id, why, sizeof(why)), 0);
	ck_assert_str_eq(id, first);
	snprintf(sub, sizeof(sub), "%s/a/b/gateway_id", dir);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_int_eq(st.st_size, 36 + 9);	/* {"id":"<uuid>"} */
	ck_assert_int_eq(st.st_mode & 0777, 0640);
}
END_TEST

/* Issue 15 (docs/portal-today.md): both ID file formats; an existing ID is kept. */
START_TEST(both_formats)
{
	char path[128], buf[128];
	FILE *f;
	size_t n;

	write_file("gateway_id", "{\"id\":\"4e3b7c4f9d0a41f8a7e6b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1\"}\n");
	ck_assert_int_eq(gateway_id_load(NULL, dir, id, why, sizeof(why)), 0);
	ck_assert_str_eq(id, "4e3b7c4f9d0a41f8a7e6b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1");
	/* the older plain UUID file: verbatim, and the file is not rewritten */
	write_file("gateway_id", "5c4d1a4e-1b2c-4d5e-8f90-0123456789ab");
	ck_assert_int_eq(gateway_id_load(NULL, dir, id, why, sizeof(why)), 0);
	ck_assert_str_eq(id, "5c4d1a4e-1b2c-4d5e-8f90-0123456789ab");
	snprintf(path, sizeof(path), "%s/gateway_id", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "5c4d1a4e-1b2c-4d5e-8f90-0123456789ab");
	/* JSON without a string id, or a braced UUID: the text itself */
	write_file("gateway_id", "{\"id\":7}");
	ck_assert_int_eq(gateway_id_load(NULL, dir, id, why, sizeof(why)), 0);
	ck_assert_str_eq(id, "{\"id\":7}");
	write_file("gateway_id", "{5c4d1a4e-1b2c-4d5e-8f90-0123456789ab}");
	ck_assert_int_eq(gateway_id_load(NULL, dir, id, why, sizeof(why)), 0);
	ck_assert_str_eq(id, "{5c4d1a4e-1b2c-4d5e-8f90-0123456789ab}");
	ck_assert_int_eq(gateway_id_from_json("{\"id\":\"\"}", id), -1);
	ck_assert_int_eq(gateway_id_from_json("{\"id\":\"a\\nb\"}", id), -1);
	ck_assert_int_eq(gateway_id_from_json("[\"id\"]", id), -1);
}
END_TEST

START_TEST(empty_file_replaced)
{
	write_file("gateway_id", " \n");
	ck_assert_int_eq(gateway_id_load(NULL, dir, id, why, sizeof(why)), 0);
	ck_assert_uint_eq(strlen(id), 36);
}
END_TEST

START_TEST(errors)
{
	char big[400];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(gateway_id_load(big, dir, id, why, sizeof(why)), -1);
	write_file("gateway_id", big);
	ck_assert_int_eq(gateway_id_load(NULL, dir, id, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "longer"));
	/* An unwritable place: a path below a regular file. */
	ck_assert_int_eq(gateway_id_load(NULL, "/dev/null/fz", id, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "FIREZONE_ID"));
}
END_TEST

START_TEST(uuids_differ)
{
	char a[37], b[37];

	ck_assert_int_eq(gateway_id_new_uuid(a), 0);
	ck_assert_int_eq(gateway_id_new_uuid(b), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

static Suite *
gwid_suite(void)
{
	Suite *s = suite_create("gateway_id");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, configured_wins);
	tcase_add_test(tc, file_trimmed);
	tcase_add_test(tc, created_and_stable);
	tcase_add_test(tc, both_formats);
	tcase_add_test(tc, empty_file_replaced);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, uuids_differ);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(gwid_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
