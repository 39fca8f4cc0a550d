/* Unit suite for control/ice_cand: candidate strings (docs/protocol/p2p.md 2.4). */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice_cand.h"

static struct ipc_addr
mkaddr(const char *ip, uint16_t port)
{
	struct ipc_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, a.addr) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, ip, a.addr) == 1)
		a.family = 6;
	a.port = port;
	return a;
}

static int
parse_str(const char *s, struct ice_cand *c)
{
	return ice_cand_parse(s, strlen(s), c);
}

START_TEST(priority_table)
{
	/* Section 2.4 table. */
	ck_assert_uint_eq(ice_cand_priority(ICE_CAND_HOST, 4), 2130706175u);
	ck_assert_uint_eq(ice_cand_priority(ICE_CAND_HOST, 6), 2130706431u);
	ck_assert_uint_eq(ice_cand_priority(ICE_CAND_SRFLX, 4), 1694498559u);
	ck_assert_uint_eq(ice_cand_priority(ICE_CAND_SRFLX, 6), 1694498815u);
	ck_assert_uint_eq(ice_cand_priority(ICE_CAND_RELAY, 4), 50331391u);
	ck_assert_uint_eq(ice_cand_priority(ICE_CAND_RELAY, 6), 50331647u);
	/* Check PRIORITY values of section 2.5: prflx type pref, internal bands. */
	ck_assert_uint_eq(ice_cand_priority_calc(ICE_TYPE_PREF_PRFLX, 65534, 1), 1862270719u);
	ck_assert_uint_eq(ice_cand_priority_calc(ICE_TYPE_PREF_PRFLX, 16382, 1), 1849687807u);
	/* RFC 8445 formula by hand: 2^24*126 + 2^8*65535 + 256 - 2. */
	ck_assert_uint_eq(ice_cand_priority_calc(126, 65535, 2), 2113929216u + 16776960u + 254u);
}
END_TEST

START_TEST(foundation_values)
{
	char f[ICE_FOUNDATION_MAX + 1];
	struct ipc_addr a = mkaddr("192.0.2.1", 1), b = mkaddr("2001:db8::5", 1),
	    c = mkaddr("198.51.100.7", 1), other = mkaddr("192.0.2.2", 1);
	char f2[ICE_FOUNDATION_MAX + 1];

	/* Hand-computed: bswap32(priority) then FNV-1a-64(type, ip, "udp"). */
	ice_cand_foundation(ICE_CAND_HOST, &a, NULL, f);
	ck_assert_str_eq(f, "fffeff7e8f62cae7e52b2ad1");
	ice_cand_foundation(ICE_CAND_RELAY, &b, NULL, f);
	ck_assert_str_eq(f, "ffffff023df1237b103e3fda");
	ice_cand_foundation(ICE_CAND_SRFLX, &c, NULL, f);
	ck_assert_str_eq(f, "fffeff648bc8f0a446d8fa93");
	/* Port does not matter; IP and type do. */
	a.port = 999;
	ice_cand_foundation(ICE_CAND_HOST, &a, NULL, f2);
	ck_assert_str_eq(f2, "fffeff7e8f62cae7e52b2ad1");
	ice_cand_foundation(ICE_CAND_HOST, &other, NULL, f2);
	ck_assert_str_ne(f2, "fffeff7e8f62cae7e52b2ad1");
	ice_cand_foundation(ICE_CAND_SRFLX, &a, NULL, f2);
	ck_assert_str_ne(f2, "fffeff7e8f62cae7e52b2ad1");
	ice_cand_foundation(ICE_CAND_HOST, &a, &other, f2);
	ck_assert_str_ne(f2, "fffeff7e8f62cae7e52b2ad1");
}
END_TEST

START_TEST(format_exact)
{
	struct ice_cand c;
	char buf[ICE_CAND_STR_MAX + 1];
	struct ipc_addr a = mkaddr("192.0.2.1", 51820), b = mkaddr("2001:db8::5", 3478),
	    s = mkaddr("198.51.100.7", 40000);

	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_HOST, &a), ICE_OK);
	ck_assert_int_gt(ice_cand_format(&c, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "candidate:fffeff7e8f62cae7e52b2ad1 1 udp 2130706175 192.0.2.1 51820 typ host");
	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_RELAY, &b), ICE_OK);
	ck_assert_int_eq(ice_cand_format(&c, buf, sizeof(buf)), (int)strlen(buf));
	ck_assert_str_eq(buf, "candidate:ffffff023df1237b103e3fda 1 udp 50331647 2001:db8::5 3478 typ relay");
	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_SRFLX, &s), ICE_OK);
	ice_cand_format(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "candidate:fffeff648bc8f0a446d8fa93 1 udp 1694498559 198.51.100.7 40000 typ srflx");
	/* Too small a buffer. */
	ck_assert_int_eq(ice_cand_format(&c, buf, 20), ICE_ENOSPACE);
	/* No prflx, no port 0, no family 0. */
	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_PRFLX, &s), ICE_EINVAL);
	s.port = 0;
	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_SRFLX, &s), ICE_EINVAL);
	s.port = 1;
	s.family = 0;
	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_SRFLX, &s), ICE_EINVAL);
}
END_TEST

static const char *const round_trips[] = {
	"candidate:fffeff7e8f62cae7e52b2ad1 1 udp 2130706175 192.0.2.1 51820 typ host",
	"candidate:1 1 udp 2130706431 2001:db8::1 60000 typ host",
	"candidate:abc 1 udp 1694498559 198.51.100.7 40000 typ srflx",
	"candidate:abc 1 udp 1694498815 2001:db8:1:2::7 40001 typ srflx",
	"candidate:x+/ 1 udp 50331391 203.0.113.9 3478 typ relay",
	"candidate:0123456789abcdef0123456789abcdef 1 udp 50331647 2001:db8::9 65535 typ relay",
	"candidate:f 1 udp 1862270719 10.0.0.1 1 typ prflx",
	"candidate:f 1 udp 1694498559 198.51.100.7 40000 typ srflx raddr 10.0.0.1 rport 5000",
	"candidate:f 1 udp 1694498559 198.51.100.7 40000 typ srflx raddr 0.0.0.0 rport 0",
	"candidate:f 1 udp 2130706175 192.0.2.1 1 typ host ufrag abcd",
};

START_TEST(round_trip)
{
	struct ice_cand c;
	char buf[ICE_CAND_STR_MAX + 1];
	const char *s = round_trips[_i];

	ck_assert_int_eq(parse_str(s, &c), ICE_OK);
	ck_assert_int_eq(c.component, 1);
	ck_assert_int_eq(c.udp, 1);
	ck_assert_int_eq(ice_cand_format(&c, buf, sizeof(buf)), (int)strlen(s));
	ck_assert_str_eq(buf, s);
}
END_TEST

START_TEST(parse_fields)
{
	struct ice_cand c, d;
	struct ipc_addr want = mkaddr("2001:db8::1", 60000);

	ck_assert_int_eq(parse_str("candidate:1 1 udp 2130706431 2001:db8::1 60000 typ host", &c), ICE_OK);
	ck_assert_int_eq(c.type, ICE_CAND_HOST);
	ck_assert_int_eq(c.priority, 2130706431u);
	ck_assert(ice_cand_addr_equal(&c.addr, &want));
	ck_assert_str_eq(c.foundation, "1");
	/* str0m's trailing fields in order, upper-case UDP, a= prefix */
	ck_assert_int_eq(parse_str("a=candidate:1 1 UDP 2130706431 2001:db8::1 60000 typ host "
	    "tcptype passive raddr ::1 rport 9 generation 0 network-id 3 ufrag Ab+/ network-cost 10", &d), ICE_OK);
	ck_assert_int_eq(d.udp, 1);
	ck_assert_int_eq(d.has_raddr, 1);
	ck_assert_int_eq(d.raddr.port, 9);
	ck_assert_int_eq(d.has_ufrag, 1);
	ck_assert_str_eq(d.ufrag, "Ab+/");
	/* same: type, address, related address */
	ck_assert(!ice_cand_same(&c, &d));
	d.has_raddr = 0;
	ck_assert(ice_cand_same(&c, &d));
	d.priority = 5;
	ck_assert(ice_cand_same(&c, &d));
	d.type = ICE_CAND_SRFLX;
	ck_assert(!ice_cand_same(&c, &d));
	/* component and transport are reported, not judged */
	ck_assert_int_eq(parse_str("candidate:1 2 udp 1 192.0.2.1 9 typ host", &c), ICE_OK);
	ck_assert_int_eq(c.component, 2);
	ck_assert_int_eq(parse_str("candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype active", &c), ICE_OK);
	ck_assert_int_eq(c.udp, 0);
}
END_TEST

struct bad {
	const char *s;
	int rc;
};

static const struct bad bads[] = {
	{ "", ICE_EPARSE },
	{ "candidate:", ICE_EPARSE },
	{ "candidate 1 1 udp 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 type host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ foo", ICE_ETYPE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ HOST", ICE_ETYPE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host ", ICE_EPARSE },
	{ " candidate:1 1 udp 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1  1 udp 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host\n", ICE_EPARSE },
	{ "candidate:1\t1 udp 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:a-b 1 udp 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:0123456789abcdef0123456789abcdef0 1 udp 1 192.0.2.1 9 typ host", ICE_ETOOLONG },
	{ "candidate:1 x udp 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 0 udp 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 0 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp -1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 4294967296 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 12345678901 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 ud-p 1 192.0.2.1 9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.256 9 typ host", ICE_EADDR },
	{ "candidate:1 1 udp 1 192.0.2 9 typ host", ICE_EADDR },
	{ "candidate:1 1 udp 1 [2001:db8::1] 9 typ host", ICE_EADDR },
	{ "candidate:1 1 udp 1 2001:db8:::1 9 typ host", ICE_EADDR },
	{ "candidate:1 1 udp 1 abcd.local 9 typ host", ICE_EADDR },
	{ "candidate:1 1 udp 1 192.0.2.1 0 typ host", ICE_EADDR },
	{ "candidate:1 1 udp 1 192.0.2.1 65536 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 -9 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9x typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 009999999 typ host", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host raddr 10.0.0.1", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host raddr 10.0.0.1 rport", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host raddr 10.0.0.1 port 5", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host raddr 10.0.0.x rport 5", ICE_EADDR },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host rport 5", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host generation x", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host ufrag a:b", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host ufrag abcd ufrag efgh", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ host generation", ICE_EPARSE },
	{ "candidate:1 1 udp 1 192.0.2.1 9 typ h\xc3\xa9st", ICE_EPARSE },
};

START_TEST(malformed)
{
	struct ice_cand c;

	ck_assert_msg(parse_str(bads[_i].s, &c) == bads[_i].rc, "%s: got %d want %d",
	    bads[_i].s, parse_str(bads[_i].s, &c), bads[_i].rc);
}
END_TEST

START_TEST(too_long)
{
	struct ice_cand c;
	char buf[2048];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "candidate:1 1 udp 1 192.0.2.1 9 typ host");
	while (n < 600) {
		memcpy(buf + n, " a b", 4);
		n += 4;
	}
	ck_assert_int_eq(ice_cand_parse(buf, n, &c), ICE_ETOOLONG);
	/* not NUL-terminated input: only len bytes are read */
	memcpy(buf, "candidate:1 1 udp 1 192.0.2.1 9 typ hostJUNK", 45);
	ck_assert_int_eq(ice_cand_parse(buf, 40, &c), ICE_OK);
	ck_assert_int_eq(ice_cand_parse(NULL, 0, &c), ICE_EINVAL);
}
END_TEST

START_TEST(random_input)
{
	struct ice_cand c;
	char buf[ICE_CAND_STR_MAX + 1], out[ICE_CAND_STR_MAX + 1];
	const char *base = round_trips[7];
	unsigned seed = 12345;
	int i, j;

	for (i = 0; i < 200000; i++) {
		size_t n = strlen(base);

		memcpy(buf, base, n);
		for (j = 0; j < 1 + (int)(rand_r(&seed) % 4); j++) {
			size_t pos = rand_r(&seed) % n;

			buf[pos] = (char)(rand_r(&seed) & 0xff);
		}
		if (rand_r(&seed) % 4 == 0)
			n = rand_r(&seed) % n;
		if (ice_cand_parse(buf, n, &c) == ICE_OK) {
			/* Whatever parses formats and parses again to the same. */
			struct ice_cand d;
			int m = ice_cand_format(&c, out, sizeof(out));

			ck_assert_int_gt(m, 0);
			ck_assert_int_eq(ice_cand_parse(out, (size_t)m, &d), ICE_OK);
			ck_assert(ice_cand_same(&c, &d));
			ck_assert_uint_eq(c.priority, d.priority);
		}
	}
}
END_TEST

static Suite *
ice_cand_suite(void)
{
	Suite *s = suite_create("ice_cand");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, priority_table);
	tcase_add_test(tc, foundation_values);
	tcase_add_test(tc, format_exact);
	tcase_add_loop_test(tc, round_trip, 0, (int)(sizeof(round_trips) / sizeof(round_trips[0])));
	tcase_add_test(tc, parse_fields);
	tcase_add_loop_test(tc, malformed, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, too_long);
	tcase_add_test(tc, random_input);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ice_cand_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
