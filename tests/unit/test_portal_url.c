/* Unit suite for control/portal_url: API URL parsing and the login URL (spec 1.1). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "portal_url.h"

#define EX_ID		"7c3f2a9e-4b1d-4e8a-9f60-2d5b8c1e0a37"
#define EX_EXT_ID	"9c435b48977fd059ad224fb8e097ce4d33da807ff28d4501390ad21e16201a0d"
#define EX_PUBKEY	"Vkxt97L+ElJY4+u1Vw3mXOwAcqfBWawRG9u6g+FoqBA="
#define EX_TOKEN	".SFMyNTY.EXAMPLEPAYLOAD.EXAMPLESIGNATURE"

static uint8_t pubkey[32];

static void
load_pubkey(void)
{
	uint8_t tmp[33];

	/* 44 base64 characters with one '=' decode to 33 bytes, the last one 0 */
	ck_assert_int_eq(EVP_DecodeBlock(tmp, (const unsigned char *)EX_PUBKEY, 44), 33);
	memcpy(pubkey, tmp, 32);
}

struct parse_case {
	const char	*in;
	int		 rc;
	int		 tls;
	const char	*host;
	int		 v6;
	unsigned	 port;
	int		 explicit_port;
	const char	*path;
};

static const struct parse_case parse_cases[] = {
	{ "wss://api.firezone.dev", 0, 1, "api.firezone.dev", 0, 443, 0, "/gateway/websocket" },
	{ "wss://api.firezone.dev/", 0, 1, "api.firezone.dev", 0, 443, 0, "/gateway/websocket" },
	{ "https://API.Firezone.dev", 0, 1, "api.firezone.dev", 0, 443, 0, "/gateway/websocket" },
	{ "http://api:8081", 0, 0, "api", 0, 8081, 1, "/gateway/websocket" },
	{ "ws://api:8081/", 0, 0, "api", 0, 8081, 1, "/gateway/websocket" },
	{ "WS://localhost", 0, 0, "localhost", 0, 80, 0, "/gateway/websocket" },
	{ "wss://example.com/fz/", 0, 1, "example.com", 0, 443, 0, "/fz/gateway/websocket" },
	{ "wss://example.com/fz", 0, 1, "example.com", 0, 443, 0, "/fz/gateway/websocket" },
	{ "wss://example.com/p/q/?x=1#frag", 0, 1, "example.com", 0, 443, 0, "/p/q/gateway/websocket" },
	{ "wss://example.com?vsn=2.0.0", 0, 1, "example.com", 0, 443, 0, "/gateway/websocket" },
	{ "wss://example.com:", 0, 1, "example.com", 0, 443, 0, "/gateway/websocket" },
	{ "wss://example.com:443/", 0, 1, "example.com", 0, 443, 1, "/gateway/websocket" },
	{ "wss://user:pw@example.com:8443", 0, 1, "example.com", 0, 8443, 1, "/gateway/websocket" },
	{ "ws://[::1]:8081", 0, 0, "::1", 1, 8081, 1, "/gateway/websocket" },
	{ "wss://[2001:DB8::1]/api/", 0, 1, "2001:db8::1", 1, 443, 0, "/api/gateway/websocket" },
	{ "ws://[fd00::2]", 0, 0, "fd00::2", 1, 80, 0, "/gateway/websocket" },
	{ "ws://192.0.2.7:1", 0, 0, "192.0.2.7", 0, 1, 1, "/gateway/websocket" },
	{ "  wss://api.firezone.dev\n", 0, 1, "api.firezone.dev", 0, 443, 0, "/gateway/websocket" },
	/* errors */
	{ "ftp://example.com", PORTAL_URL_ESCHEME, 0, NULL, 0, 0, 0, NULL },
	{ "file:///etc/passwd", PORTAL_URL_ESCHEME, 0, NULL, 0, 0, 0, NULL },
	{ "wsss://example.com", PORTAL_URL_ESCHEME, 0, NULL, 0, 0, 0, NULL },
	{ "wss://", PORTAL_URL_ENOHOST, 0, NULL, 0, 0, 0, NULL },
	{ "wss:///path", PORTAL_URL_ENOHOST, 0, NULL, 0, 0, 0, NULL },
	{ "wss://:443", PORTAL_URL_ENOHOST, 0, NULL, 0, 0, 0, NULL },
	{ "https:example.com", PORTAL_URL_ENOHOST, 0, NULL, 0, 0, 0, NULL },
	{ "ws://[]:80", PORTAL_URL_ENOHOST, 0, NULL, 0, 0, 0, NULL },
	{ "ws://user@", PORTAL_URL_ENOHOST, 0, NULL, 0, 0, 0, NULL },
	{ "api.firezone.dev", PORTAL_URL_ESYNTAX, 0, NULL, 0, 0, 0, NULL },
	{ "://x", PORTAL_URL_ESYNTAX, 0, NULL, 0, 0, 0, NULL },
	{ "", PORTAL_URL_EINVAL, 0, NULL, 0, 0, 0, NULL },
	{ "ws://[::1", PORTAL_URL_EHOST, 0, NULL, 0, 0, 0, NULL },
	{ "ws://[not:v6:zz]", PORTAL_URL_EHOST, 0, NULL, 0, 0, 0, NULL },
	{ "ws://[::1]x", PORTAL_URL_EHOST, 0, NULL, 0, 0, 0, NULL },
	{ "ws://exa mple.com", PORTAL_URL_EHOST, 0, NULL, 0, 0, 0, NULL },
	{ "ws://example.com:0", PORTAL_URL_EPORT, 0, NULL, 0, 0, 0, NULL },
	{ "ws://example.com:65536", PORTAL_URL_EPORT, 0, NULL, 0, 0, 0, NULL },
	{ "ws://example.com:80a", PORTAL_URL_EPORT, 0, NULL, 0, 0, 0, NULL },
	{ "ws://example.com:123456", PORTAL_URL_EPORT, 0, NULL, 0, 0, 0, NULL },
	{ "ws://example.com/a b", PORTAL_URL_EPATH, 0, NULL, 0, 0, 0, NULL },
};

START_TEST(parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	struct portal_url u;
	int rc = portal_url_parse(c->in, &u);

	ck_assert_msg(rc == c->rc, "%s: rc %d want %d", c->in, rc, c->rc);
	if (c->rc != 0)
		return;
	ck_assert_int_eq(u.tls, c->tls);
	ck_assert_str_eq(u.host, c->host);
	ck_assert_int_eq(u.host_is_ipv6, c->v6);
	ck_assert_uint_eq(u.port, c->port);
	ck_assert_int_eq(u.port_explicit, c->explicit_port);
	ck_assert_str_eq(u.path, c->path);
	ck_assert_str_eq(portal_url_scheme(&u), c->tls ? "wss" : "ws");
}
END_TEST

START_TEST(long_host)
{
	char url[400];
	struct portal_url u;

	strcpy(url, "wss://");
	memset(url + 6, 'a', 300);
	url[306] = '\0';
	ck_assert_int_eq(portal_url_parse(url, &u), PORTAL_URL_ETOOLONG);
	ck_assert_int_eq(portal_url_parse(NULL, &u), PORTAL_URL_EINVAL);
	ck_assert_str_eq(portal_url_strerror(PORTAL_URL_ENOHOST), "URL has no host");
}
END_TEST

START_TEST(external_id)
{
	char ext[PORTAL_URL_EXTERNAL_ID_LEN + 1];

	ck_assert_int_eq(portal_url_external_id(EX_ID, strlen(EX_ID), ext), 0);
	ck_assert_str_eq(ext, EX_EXT_ID);
	/* FIPS 180-2 "abc" */
	ck_assert_int_eq(portal_url_external_id("abc", 3, ext), 0);
	ck_assert_str_eq(ext,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* a trailing newline from the ID file is part of the hash */
	ck_assert_int_eq(portal_url_external_id(EX_ID "\n", strlen(EX_ID) + 1, ext), 0);
	ck_assert_str_ne(ext, EX_EXT_ID);
	ck_assert_int_eq(portal_url_external_id(NULL, 0, ext), 0);
	ck_assert_str_eq(ext,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

/* Issue 15, item 3: a UUID is hashed, 64 hex digits are sent verbatim. */
START_TEST(external_id_today)
{
	static const char *const uuids[] = {
		"9a5c2d74-1b2f-4a8e-8f3c-2f6f2b7a0c11",
		"9A5C2D74-1B2F-4A8E-8F3C-2F6F2B7A0C11",
		"9a5c2d741b2f4a8e8f3c2f6f2b7a0c11",
		"{9a5c2d74-1b2f-4a8e-8f3c-2f6f2b7a0c11}",
		"urn:uuid:9a5c2d74-1b2f-4a8e-8f3c-2f6f2b7a0c11",
	};
	static const char hex64[] =
	    "9c435b48977fd059ad224fb8e097ce4d33da807ff28d4501390ad21e16201a0d";
	char ext[PORTAL_URL_EXTERNAL_ID_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(uuids) / sizeof(uuids[0]); i++) {
		ck_assert_msg(portal_url_id_is_uuid(uuids[i], strlen(uuids[i])), "%s", uuids[i]);
		ck_assert_int_eq(portal_url_external_id(uuids[i], strlen(uuids[i]), ext), 0);
		ck_assert_str_ne(ext, uuids[i]);
		ck_assert_uint_eq(strlen(ext), 64);
	}
	ck_assert(!portal_url_id_is_uuid("9a5c2d74-1b2f-4a8e-8f3c-2f6f2b7a0c1g", 36));
	ck_assert(!portal_url_id_is_uuid("9a5c2d74_1b2f-4a8e-8f3c-2f6f2b7a0c11", 36));
	ck_assert(!portal_url_id_is_uuid(hex64, 64));
	ck_assert_int_eq(portal_url_external_id(hex64, 64, ext), 0);
	ck_assert_str_eq(ext, hex64);
	/* 63 or 65 digits, or a non-hex character: hashed */
	ck_assert_int_eq(portal_url_external_id(hex64, 63, ext), 0);
	ck_assert_str_ne(ext, hex64);
	ck_assert_int_eq(portal_url_external_id("g" "c435b48977fd059ad224fb8e097ce4d33da807ff28d4501390ad21e16201a0d", 64, ext), 0);
	ck_assert_str_ne(ext, "gc435b48977fd059ad224fb8e097ce4d33da807ff28d4501390ad21e16201a0d");
}
END_TEST

START_TEST(form_encoding)
{
	char buf[64];
	const char *in = "a Z09*-._+/=~%&?\xc3\xa9";

	ck_assert_uint_eq(portal_url_form_encode(buf, sizeof(buf), in, strlen(in)),
	    strlen("a+Z09*-._%2B%2F%3D%7E%25%26%3F%C3%A9"));
	ck_assert_str_eq(buf, "a+Z09*-._%2B%2F%3D%7E%25%26%3F%C3%A9");
	/* truncation never writes past cap and still terminates */
	memset(buf, 'x', sizeof(buf));
	ck_assert_uint_eq(portal_url_form_encode(buf, 5, "+++", 3), 9);
	ck_assert_str_eq(buf, "%2B%");
	ck_assert_int_eq(buf[5], 'x');
	ck_assert_uint_eq(portal_url_form_encode(NULL, 0, "a b", 3), 3);
}
END_TEST

START_TEST(spec_example)
{
	struct portal_url u;
	struct portal_url_login l;
	char ext[PORTAL_URL_EXTERNAL_ID_LEN + 1];
	char *s = NULL;

	load_pubkey();
	ck_assert_int_eq(portal_url_external_id(EX_ID, strlen(EX_ID), ext), 0);
	l.token = EX_TOKEN;
	l.external_id = ext;
	l.name = "gw-prod-1";
	l.public_key = pubkey;
	ck_assert_int_eq(portal_url_parse("wss://api.firezone.dev", &u), 0);
	/* today's portal (issue 15, item 1): v2 path, no token in the query */
	ck_assert_int_eq(u.proto, PORTAL_URL_V2);
	ck_assert_int_eq(portal_url_request_target(&u, &l, &s), 0);
	ck_assert_str_eq(s, "/gateway/v2/websocket?external_id=9c435b48977fd059ad224fb8e097ce4d33da807ff28d4501390ad21e16201a0d&name=gw-prod-1&public_key=Vkxt97L%2BElJY4%2Bu1Vw3mXOwAcqfBWawRG9u6g%2BFoqBA%3D");
	ck_assert_ptr_null(strstr(s, "SFMy"));
	free(s);
	/* the fallback for older portals (item 54): the 2024 URL */
	u.proto = PORTAL_URL_V1;
	ck_assert_int_eq(portal_url_string(&u, &l, 0, &s), 0);
	ck_assert_str_eq(s, "wss://api.firezone.dev/gateway/websocket?token=.SFMyNTY.EXAMPLEPAYLOAD.EXAMPLESIGNATURE&external_id=9c435b48977fd059ad224fb8e097ce4d33da807ff28d4501390ad21e16201a0d&name=gw-prod-1&public_key=Vkxt97L%2BElJY4%2Bu1Vw3mXOwAcqfBWawRG9u6g%2BFoqBA%3D");
	free(s);
	ck_assert_int_eq(portal_url_request_target(&u, &l, &s), 0);
	ck_assert_str_eq(s, "/gateway/websocket?token=.SFMyNTY.EXAMPLEPAYLOAD.EXAMPLESIGNATURE&external_id=9c435b48977fd059ad224fb8e097ce4d33da807ff28d4501390ad21e16201a0d&name=gw-prod-1&public_key=Vkxt97L%2BElJY4%2Bu1Vw3mXOwAcqfBWawRG9u6g%2BFoqBA%3D");
	free(s);
}
END_TEST

START_TEST(redacted_and_ports)
{
	struct portal_url u;
	struct portal_url_login l;
	char *s = NULL;

	load_pubkey();
	l.token = "secret token/with+chars";
	l.external_id = EX_EXT_ID;
	l.name = "my gw \xc3\xa9";
	l.public_key = pubkey;

	ck_assert_int_eq(portal_url_parse("http://[fd00:1::5]:8081/fz/?old=1", &u), 0);
	ck_assert_str_eq(u.path_v2, "/fz/gateway/v2/websocket");
	ck_assert_int_eq(portal_url_string(&u, &l, 1, &s), 0);
	ck_assert_str_eq(s, "ws://[fd00:1::5]:8081/fz/gateway/v2/websocket?external_id=" EX_EXT_ID "&name=my+gw+%C3%A9&public_key=Vkxt97L%2BElJY4%2Bu1Vw3mXOwAcqfBWawRG9u6g%2BFoqBA%3D");
	free(s);
	u.proto = PORTAL_URL_V1;
	ck_assert_int_eq(portal_url_string(&u, &l, 1, &s), 0);
	ck_assert_ptr_null(strstr(s, "secret"));
	ck_assert_str_eq(s, "ws://[fd00:1::5]:8081/fz/gateway/websocket?token=" PORTAL_URL_REDACTED "&external_id=" EX_EXT_ID "&name=my+gw+%C3%A9&public_key=Vkxt97L%2BElJY4%2Bu1Vw3mXOwAcqfBWawRG9u6g%2BFoqBA%3D");
	free(s);
	ck_assert_int_eq(portal_url_request_target(&u, &l, &s), 0);
	ck_assert_str_eq(s, "/fz/gateway/websocket?token=secret+token%2Fwith%2Bchars&external_id=" EX_EXT_ID "&name=my+gw+%C3%A9&public_key=Vkxt97L%2BElJY4%2Bu1Vw3mXOwAcqfBWawRG9u6g%2BFoqBA%3D");
	free(s);

	/* a default port given explicitly is not printed */
	ck_assert_int_eq(portal_url_parse("https://example.com:443", &u), 0);
	u.proto = PORTAL_URL_V1;
	ck_assert_int_eq(portal_url_string(&u, &l, 1, &s), 0);
	ck_assert_int_eq(strncmp(s, "wss://example.com/gateway/websocket?token=", 42), 0);
	free(s);
	ck_assert_int_eq(portal_url_parse("ws://example.com:443", &u), 0);
	ck_assert_int_eq(portal_url_string(&u, &l, 1, &s), 0);
	ck_assert_int_eq(strncmp(s, "ws://example.com:443/gateway/v2/websocket?external_id=", 54), 0);
	free(s);

	l.name = NULL;
	ck_assert_int_eq(portal_url_string(&u, &l, 1, &s), PORTAL_URL_EINVAL);
	ck_assert_int_eq(portal_url_request_target(&u, NULL, &s), PORTAL_URL_EINVAL);
}
END_TEST

static Suite *
portal_url_suite(void)
{
	Suite *s = suite_create("portal_url");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, parse_table, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, long_host);
	tcase_add_test(tc, external_id);
	tcase_add_test(tc, external_id_today);
	tcase_add_test(tc, form_encoding);
	tcase_add_test(tc, spec_example);
	tcase_add_test(tc, redacted_and_ports);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(portal_url_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
