/* Unit suite for common/priv (status parsing, drop verification) and common/addr. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "priv.h"

static const char status_ok[] =
    "Name:\tfirezone-gatewa\nUmask:\t0022\nState:\tS (sleeping)\n"
    "Uid:\t999\t999\t999\t999\nGid:\t995\t995\t995\t995\nFDSize:\t64\nGroups:\t \n"
    "CapInh:\t0000000000000000\nCapPrm:\t0000000000001000\nCapEff:\t0000000000001000\n"
    "CapBnd:\t0000000000001000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n";

START_TEST(parse_and_verify)
{
	struct priv_status st;
	char why[160];

	ck_assert_int_eq(priv_parse_status(status_ok, &st), 0);
	ck_assert_uint_eq(st.uid[3], 999);
	ck_assert_uint_eq(st.gid[0], 995);
	ck_assert_int_eq(st.ngroups, 0);
	ck_assert_uint_eq(st.cap_eff, PRIV_CAP_BIT(12));
	ck_assert_int_eq(st.no_new_privs, 1);
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 1, 1, why, sizeof(why)), 0);
	ck_assert_int_eq(priv_verify(&st, 998, 998, 995, PRIV_CAP_BIT(12), 1, 1, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "uid"));
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, 0, 1, 1, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "capabilities"));
	st.cap_bnd = ~0ULL;
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 1, 1, why, sizeof(why)), -1);
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 1, 0, why, sizeof(why)), 0);
	st.ngroups = 2;
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 1, 0, why, sizeof(why)), -1);
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 0, 0, why, sizeof(why)), 0);
	st.cap_amb = 1;
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 0, 0, why, sizeof(why)), -1);
	/* The dataplane's real uid is control's (see dataplane/privdrop.c). */
	st.cap_amb = 0;
	st.uid[0] = 998;
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 0, 0, why, sizeof(why)), -1);
	ck_assert_int_eq(priv_verify(&st, 998, 999, 995, PRIV_CAP_BIT(12), 0, 0, why, sizeof(why)), 0);
	st.uid[2] = 998;
	ck_assert_int_eq(priv_verify(&st, 998, 999, 995, PRIV_CAP_BIT(12), 0, 0, why, sizeof(why)), -1);
}
END_TEST

/* A drop without no_new_privs fails, and so does a status without the field. */
START_TEST(verify_no_new_privs)
{
	struct priv_status st;
	char why[160];

	ck_assert_int_eq(priv_parse_status(status_ok, &st), 0);
	st.no_new_privs = 0;
	ck_assert_int_eq(priv_verify(&st, 999, 999, 995, PRIV_CAP_BIT(12), 1, 1, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "NoNewPrivs"));
	ck_assert_int_eq(priv_parse_status("Uid:\t1 1 1 1\nGid:\t1 1 1 1\nGroups:\t\n"
	    "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n", &st), 0);
	ck_assert_int_eq(priv_verify(&st, 1, 1, 1, 0, 1, 1, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "NoNewPrivs"));
}
END_TEST

static int
is_dev_null(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) &&
	    a.st_rdev == b.st_rdev;
}

/*
 * In a child (the descriptors of the runner stay untouched): with 0 and 1
 * closed, both get /dev/null and the next open lands above 2; an open
 * descriptor is left alone.
 */
START_TEST(stdio_open)
{
	pid_t pid;
	int st;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd, dup_err = dup(2);

		close(0);
		close(1);
		if (priv_stdio_open() < 0 || !is_dev_null(0) || !is_dev_null(1))
			_exit(1);
		if (is_dev_null(2) != is_dev_null(dup_err))
			_exit(2);
		if ((fd = open("/dev/null", O_RDONLY)) <= 2)
			_exit(3);
		close(2);
		if (priv_stdio_open() < 0 || !is_dev_null(2))
			_exit(4);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

START_TEST(parse_rejects)
{
	struct priv_status st;

	ck_assert_int_eq(priv_parse_status("", &st), -1);
	ck_assert_int_eq(priv_parse_status("Uid:\t1\t2\n", &st), -1);
	ck_assert_int_eq(priv_parse_status("Uid:\t1 1 1 1\nGid:\t1 1 1 1\nGroups:\t4 5\n", &st), -1);
	ck_assert_int_eq(priv_parse_status("Uid:\t1 1 1 1\nGid:\t1 1 1 1\nGroups:\t4 5\n"
	    "CapInh:\t0\nCapPrm:\t0\nCapEff:\tzz\nCapBnd:\t0\n", &st), -1);
	ck_assert_int_eq(priv_parse_status("Uid:\t1 1 1 1\nGid:\t1 1 1 1\nGroups:\t4 5\n"
	    "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n", &st), 0);
	ck_assert_int_eq(st.ngroups, 2);
}
END_TEST

START_TEST(read_self)
{
	struct priv_status st;

	ck_assert_int_eq(priv_read_status(0, &st), 0);
	ck_assert_int_eq(priv_read_status(-5, &st), -1);
}
END_TEST

START_TEST(addresses)
{
	struct sockaddr_in6 s6;
	struct sockaddr_storage ss;
	struct ipc_addr a, b;
	char buf[ADDR_STRLEN];

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(3478);
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	ck_assert_int_eq(addr_from_sockaddr(&a, (struct sockaddr *)&s6, sizeof(s6)), 0);
	ck_assert_int_eq(a.family, 4);
	ck_assert_str_eq(addr_fmt(&a, buf, sizeof(buf)), "192.0.2.7:3478");
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	ck_assert_int_eq(addr_from_sockaddr(&a, (struct sockaddr *)&s6, sizeof(s6)), 0);
	ck_assert_str_eq(addr_fmt(&a, buf, sizeof(buf)), "[2001:db8::1]:3478");
	ck_assert_int_eq(addr_to_sockaddr(&a, &ss), sizeof(struct sockaddr_in6));
	ck_assert_int_eq(addr_from_sockaddr(&b, (struct sockaddr *)&ss, sizeof(struct sockaddr_in6)), 0);
	ck_assert(addr_equal(&a, &b));
	b.port++;
	ck_assert(!addr_equal(&a, &b));
	ck_assert_int_eq(addr_from_sockaddr(&a, (struct sockaddr *)&s6, 4), -1);
	a.family = 9;
	ck_assert_int_eq(addr_to_sockaddr(&a, &ss), 0);
	ck_assert_str_eq(addr_fmt(&a, buf, sizeof(buf)), "(invalid address)");
}
END_TEST

static Suite *
priv_suite(void)
{
	Suite *s = suite_create("priv");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_and_verify);
	tcase_add_test(tc, verify_no_new_privs);
	tcase_add_test(tc, stdio_open);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, read_self);
	tcase_add_test(tc, addresses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(priv_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
