/* Unit suite for control/dnsfwd (the port-53535 forwarder's core, docs/dns-server.md). */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dnsfwd.h"

/* A small message builder. */
struct msg {
	uint8_t b[70000];
	size_t n;
};

static void
put8(struct msg *m, uint8_t v)
{
	m->b[m->n++] = v;
}

static void
put16(struct msg *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

static void
header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* "a.b.c" in wire form. */
static void
name(struct msg *m, const char *dotted)
{
	const char *p = dotted, *dot;
	size_t l;

	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		put8(m, (uint8_t)l);
		memcpy(m->b + m->n, p, l);
		m->n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	put8(m, 0);
}

static void
question(struct msg *m, const char *dotted, uint16_t type)
{
	name(m, dotted);
	put16(m, type);
	put16(m, 1);
}

/* A TXT record whose owner is a pointer to the question name (offset 12),
 * with one character-string of len bytes. */
static void
txt_rr(struct msg *m, size_t len)
{
	put16(m, 0xC00C);
	put16(m, 16);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, (uint16_t)(len + 1));
	put8(m, (uint8_t)len);
	memset(m->b + m->n, 'x', len);
	m->n += len;
}

static struct msg m, a;

START_TEST(query_ok)
{
	struct dnsfwd_question q;

	header(&m, 0x1234, DNSFWD_F_RD, 1, 0, 0, 1);
	question(&m, "_sip._tcp.app.resource.test", 33);
	/* an EDNS OPT record follows: passed on unchecked */
	put8(&m, 0);
	put16(&m, 41);
	put16(&m, 1232);
	put16(&m, 0);
	put16(&m, 0);
	put16(&m, 0);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_OK);
	ck_assert_uint_eq(q.id, 0x1234);
	ck_assert_uint_eq(q.qtype, 33);
	ck_assert_uint_eq(q.qclass, 1);
	ck_assert_uint_eq(q.name_len, strlen("_sip._tcp.app.resource.test") + 2);
	ck_assert_uint_eq(q.end, m.n - 11);
	ck_assert_int_eq(q.present, 1);
}
END_TEST

START_TEST(query_bad)
{
	struct dnsfwd_question q;
	size_t i;

	header(&m, 1, 0, 1, 0, 0, 0);
	question(&m, "a.test", 16);
	for (i = 0; i < m.n; i++)
		ck_assert_int_ne(dnsfwd_parse_query(m.b, i, &q), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, 11, &q), DNSFWD_ESHORT);

	header(&m, 1, DNSFWD_F_QR, 1, 0, 0, 0);
	question(&m, "a.test", 16);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_EQR);

	header(&m, 1, 0, 0, 0, 0, 0);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_EQDCOUNT);
	header(&m, 1, 0, 2, 0, 0, 0);
	question(&m, "a.test", 16);
	question(&m, "b.test", 16);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_EQDCOUNT);

	/* a compression pointer in the question */
	header(&m, 1, 0, 1, 0, 0, 0);
	put16(&m, 0xC000);
	put16(&m, 16);
	put16(&m, 1);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_ENAME);
	/* a reserved label type (0x40) */
	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 0x41);
	put8(&m, 'a');
	put8(&m, 0);
	put16(&m, 16);
	put16(&m, 1);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_ENAME);
	/* a name of 256 bytes: 4 labels of 63 and a root (257) */
	header(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 4; i++) {
		put8(&m, 63);
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	put8(&m, 0);
	put16(&m, 16);
	put16(&m, 1);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_ENAME);
	/* 3 labels of 63 + one of 61 + root = 255: the longest name */
	header(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 4; i++) {
		put8(&m, i < 3 ? 63 : 61);
		memset(m.b + m.n, 'a', i < 3 ? 63 : 61);
		m.n += i < 3 ? 63 : 61;
	}
	put8(&m, 0);
	put16(&m, 16);
	put16(&m, 1);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_OK);
	ck_assert_uint_eq(q.name_len, 255);

	/* too long */
	header(&m, 1, 0, 1, 0, 0, 0);
	question(&m, "a.test", 16);
	memset(m.b + m.n, 0, DNSFWD_QUERY_MAX);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, DNSFWD_QUERY_MAX, &q), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, DNSFWD_QUERY_MAX + 1, &q), DNSFWD_ELONG);
}
END_TEST

START_TEST(answer_ok_and_bad)
{
	struct dnsfwd_question q;
	size_t i;

	header(&a, 7, DNSFWD_F_QR | DNSFWD_F_RD | DNSFWD_F_RA, 1, 2, 0, 0);
	question(&a, "t.resource.test", 16);
	txt_rr(&a, 10);
	txt_rr(&a, 20);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &q), DNSFWD_OK);
	ck_assert_uint_eq(q.id, 7);
	ck_assert_uint_eq(q.qtype, 16);
	for (i = 0; i < a.n; i++)
		ck_assert_int_eq(dnsfwd_parse_answer(a.b, i, &q), DNSFWD_ESHORT);
	/* trailing bytes are ignored */
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n + 3, &q), DNSFWD_OK);
	/* QR clear */
	a.b[2] &= 0x7F;
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &q), DNSFWD_EQR);
	/* a FORMERR without the question */
	header(&a, 9, DNSFWD_F_QR | 1, 0, 0, 0, 0);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &q), DNSFWD_OK);
	ck_assert_int_eq(q.present, 0);
	/* a record owner name with a bad label type */
	header(&a, 7, DNSFWD_F_QR, 1, 1, 0, 0);
	question(&a, "t.test", 16);
	put8(&a, 0x80);
	memset(a.b + a.n, 0, 12);
	a.n += 12;
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &q), DNSFWD_ENAME);
}
END_TEST

START_TEST(matching)
{
	struct dnsfwd_question q, r;

	header(&m, 0xBEEF, DNSFWD_F_RD, 1, 0, 0, 0);
	question(&m, "App.Resource.Test", 33);
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_OK);
	header(&a, 0xBEEF, DNSFWD_F_QR, 1, 0, 0, 0);
	question(&a, "app.resource.TEST", 33);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &r), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 1);
	r.id = 0xBEEE;
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 0);
	header(&a, 0xBEEF, DNSFWD_F_QR, 1, 0, 0, 0);
	question(&a, "app.resource.test", 16);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &r), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 0);
	header(&a, 0xBEEF, DNSFWD_F_QR, 1, 0, 0, 0);
	question(&a, "app.resource.tesu", 33);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &r), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 0);
	header(&a, 0xBEEF, DNSFWD_F_QR, 1, 0, 0, 0);
	question(&a, "app.resource", 33);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &r), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 0);
	/* without a question: the id decides */
	header(&a, 0xBEEF, DNSFWD_F_QR | 1, 0, 0, 0, 0);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &r), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 1);
}
END_TEST

START_TEST(servfail)
{
	struct dnsfwd_question q, r;
	uint8_t out[600];
	size_t n;

	header(&m, 0x4242, DNSFWD_F_RD | (2 << 11), 1, 0, 0, 1);
	question(&m, "s.resource.test", 33);
	put8(&m, 0);
	put16(&m, 41);
	memset(m.b + m.n, 0, 8);
	m.n += 8;
	ck_assert_int_eq(dnsfwd_parse_query(m.b, m.n, &q), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_servfail(m.b, &q, out, 10, &n), DNSFWD_ESPACE);
	ck_assert_int_eq(dnsfwd_servfail(m.b, &q, out, sizeof(out), &n), DNSFWD_OK);
	ck_assert_uint_eq(n, q.end);
	ck_assert_uint_eq(out[0], 0x42);
	ck_assert_uint_eq(out[1], 0x42);
	/* QR, opcode 2, RD; RA, rcode 2 */
	ck_assert_uint_eq(out[2], 0x80 | (2 << 3) | 0x01);
	ck_assert_uint_eq(out[3], 0x80 | 2);
	ck_assert_uint_eq(out[4], 0);
	ck_assert_uint_eq(out[5], 1);
	ck_assert_int_eq(memcmp(out + 6, "\0\0\0\0\0\0", 6), 0);
	ck_assert_int_eq(memcmp(out + 12, m.b + 12, n - 12), 0);
	ck_assert_int_eq(dnsfwd_parse_answer(out, n, &r), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 1);
}
END_TEST

START_TEST(truncation)
{
	struct dnsfwd_question q, r;
	size_t n, i, before;

	header(&a, 5, DNSFWD_F_QR | DNSFWD_F_RA, 1, 6, 0, 1);
	question(&a, "long.resource.test", 16);
	for (i = 0; i < 6; i++)
		txt_rr(&a, 250);
	/* OPT in the additional section */
	put8(&a, 0);
	put16(&a, 41);
	put16(&a, 1232);
	memset(a.b + a.n, 0, 6);
	a.n += 6;
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, a.n, &q), DNSFWD_OK);
	ck_assert_uint_gt(a.n, DNSFWD_UDP_ANSWER_MAX);
	before = a.n;
	/* Nothing happens below the limit. */
	ck_assert_int_eq(dnsfwd_truncate(a.b, a.n, a.n, &n), DNSFWD_OK);
	ck_assert_uint_eq(n, before);
	ck_assert_uint_eq(a.b[2] & 0x02, 0);
	ck_assert_int_eq(dnsfwd_truncate(a.b, a.n, DNSFWD_UDP_ANSWER_MAX, &n), DNSFWD_OK);
	ck_assert_uint_le(n, DNSFWD_UDP_ANSWER_MAX);
	/* header 12 + question 20+4 + 4 records of 12+251 = 1088; a fifth does not fit */
	ck_assert_uint_eq(n, 12 + 24 + 4 * 263);
	ck_assert_uint_eq(a.b[2] & 0x02, 0x02); /* TC */
	ck_assert_uint_eq(a.b[7], 4);
	ck_assert_uint_eq(a.b[9], 0);
	ck_assert_uint_eq(a.b[11], 0);
	ck_assert_int_eq(dnsfwd_parse_answer(a.b, n, &r), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_matches(&q, &r), 1);
	/* No room even for the question. */
	header(&a, 5, DNSFWD_F_QR, 1, 1, 0, 0);
	question(&a, "long.resource.test", 16);
	txt_rr(&a, 250);
	ck_assert_int_eq(dnsfwd_truncate(a.b, a.n, 20, &n), DNSFWD_ESPACE);
	/* Only the question fits. */
	ck_assert_int_eq(dnsfwd_truncate(a.b, a.n, 40, &n), DNSFWD_OK);
	ck_assert_uint_eq(n, 36);
	ck_assert_uint_eq(a.b[7], 0);
	/* A malformed answer is refused. */
	header(&a, 5, DNSFWD_F_QR, 1, 9, 0, 0);
	question(&a, "long.resource.test", 16);
	memset(a.b + a.n, 0, 2000);
	ck_assert_int_ne(dnsfwd_truncate(a.b, a.n + 50, 40, &n), DNSFWD_OK);
}
END_TEST

static socklen_t
resolv(const char *text, char *out, size_t outlen)
{
	struct sockaddr_storage all[3], ss;
	socklen_t sls[3], sl = 0;

	if (dnsfwd_resolv_parse(text, strlen(text), all, sls, 3) > 0) {
		ss = all[0];
		sl = sls[0];
	}

	out[0] = '\0';
	if (sl == sizeof(struct sockaddr_in)) {
		ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, outlen);
	} else if (sl == sizeof(struct sockaddr_in6)) {
		ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 53);
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, outlen);
	}
	return sl;
}

START_TEST(resolv_conf)
{
	char b[INET6_ADDRSTRLEN];

	ck_assert_uint_gt(resolv("# generated\nsearch example.com\nnameserver 10.99.0.2\nnameserver 1.1.1.1\n",
	    b, sizeof(b)), 0);
	ck_assert_str_eq(b, "10.99.0.2");
	ck_assert_uint_gt(resolv("nameserver\t2001:db8::53  # comment\n", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "2001:db8::53");
	ck_assert_uint_gt(resolv("nameserver fe80::1%eth0\nnameserver 192.0.2.53", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "192.0.2.53");
	ck_assert_uint_gt(resolv("nameserver 127.0.0.53\r\n", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "127.0.0.53");
	ck_assert_uint_eq(resolv("", b, sizeof(b)), 0);
	ck_assert_uint_eq(resolv("# nameserver 1.2.3.4\n", b, sizeof(b)), 0);
	ck_assert_uint_eq(resolv("nameservers 1.2.3.4\n", b, sizeof(b)), 0);
	ck_assert_uint_eq(resolv("nameserver\n", b, sizeof(b)), 0);
	ck_assert_uint_eq(resolv("nameserver dns.example.com\n", b, sizeof(b)), 0);
	ck_assert_uint_eq(resolv("nameserver 1111:2222:3333:4444:5555:6666:7777:8888:9999:0000:1\n", b,
	    sizeof(b)), 0);
}
END_TEST

START_TEST(resolv_several)
{
	static const char text[] = "nameserver 10.0.0.1\nnameserver ::1\nbogus\nnameserver 10.0.0.3\n"
	    "nameserver 10.0.0.4\n";
	struct sockaddr_storage ss[4];
	socklen_t sl[4];

	ck_assert_uint_eq(dnsfwd_resolv_parse(text, sizeof(text) - 1, ss, sl, 4), 4);
	ck_assert_int_eq(ss[0].ss_family, AF_INET);
	ck_assert_int_eq(ss[1].ss_family, AF_INET6);
	ck_assert_uint_eq(sl[1], sizeof(struct sockaddr_in6));
	ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&ss[3])->sin_addr.s_addr), 0x0A000004);
	ck_assert_uint_eq(dnsfwd_resolv_parse(text, sizeof(text) - 1, ss, sl, 2), 2);
	ck_assert_uint_eq(dnsfwd_resolv_parse(text, sizeof(text) - 1, ss, sl, 0), 0);
}
END_TEST

START_TEST(build_query)
{
	struct dnsfwd_question q;
	uint8_t out[600];
	size_t n;
	char big[300];

	ck_assert_int_eq(dnsfwd_build_query(0xABCD, "firezone.dev", 1, out, sizeof(out), &n), DNSFWD_OK);
	ck_assert_uint_eq(n, 12 + 14 + 4);
	ck_assert_int_eq(dnsfwd_parse_query(out, n, &q), DNSFWD_OK);
	ck_assert_uint_eq(q.id, 0xABCD);
	ck_assert_uint_eq(q.qtype, 1);
	ck_assert_uint_eq(q.flags, DNSFWD_F_RD);
	ck_assert_int_eq(memcmp(q.name, "\010firezone\003dev", 14), 0);
	ck_assert_int_eq(dnsfwd_build_query(1, "firezone.dev.", 1, out, sizeof(out), &n), DNSFWD_OK);
	ck_assert_uint_eq(n, 30);
	ck_assert_int_eq(dnsfwd_build_query(1, "firezone.dev", 1, out, 29, &n), DNSFWD_ESPACE);
	ck_assert_int_eq(dnsfwd_build_query(1, "firezone.dev", 1, out, 30, &n), DNSFWD_OK);
	ck_assert_int_eq(dnsfwd_build_query(1, "a..b", 1, out, sizeof(out), &n), DNSFWD_ENAME);
	memset(big, 'a', 64);
	big[64] = '\0';
	ck_assert_int_eq(dnsfwd_build_query(1, big, 1, out, sizeof(out), &n), DNSFWD_ENAME);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (n = 63; n < sizeof(big) - 1; n += 64)
		big[n] = '.';
	ck_assert_int_eq(dnsfwd_build_query(1, big, 1, out, sizeof(out), &n), DNSFWD_ENAME);
}
END_TEST

START_TEST(strerror_all)
{
	int e;

	for (e = DNSFWD_OK; e <= DNSFWD_ESPACE; e++)
		ck_assert_str_ne(dnsfwd_strerror((enum dnsfwd_err)e), "?");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsfwd");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, query_ok);
	tcase_add_test(tc, query_bad);
	tcase_add_test(tc, answer_ok_and_bad);
	tcase_add_test(tc, matching);
	tcase_add_test(tc, servfail);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, resolv_conf);
	tcase_add_test(tc, resolv_several);
	tcase_add_test(tc, build_query);
	tcase_add_test(tc, strerror_all);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
