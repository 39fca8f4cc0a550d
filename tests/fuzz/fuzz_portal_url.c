/*
 * fuzz_portal_url.c - libFuzzer target for control/portal_url.c.
 *
 * The input (up to its first NUL) is the configured API URL.  A URL that
 * parses is turned into the request target and the whole URL (plain and
 * redacted) with the input also used as token and name; the plain URL
 * must parse again to the same scheme, host and port, and the redacted
 * one must not contain the token.  The input also goes through
 * portal_url_form_encode with a short and an exact buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portal_url.h"

static const uint8_t pubkey[PORTAL_URL_PUBKEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void
form_encode(const char *s, size_t len)
{
	char small[8];
	size_t need, got;
	char *buf;

	need = portal_url_form_encode(small, sizeof(small), s, len);
	if (memchr(small, '\0', sizeof(small)) == NULL)
		abort();
	buf = malloc(need + 1);
	if (buf == NULL)
		abort();
	got = portal_url_form_encode(buf, need + 1, s, len);
	if (got != need || strlen(buf) != need)
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portal_url u, u2;
	struct portal_url_login login;
	char ext[PORTAL_URL_EXTERNAL_ID_LEN + 1];
	char *url, *target = NULL, *full = NULL, *red = NULL;
	int rc;

	url = malloc(size + 1);
	if (url == NULL)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	form_encode((const char *)data, size);

	rc = portal_url_parse(url, &u);
	if (rc != PORTAL_URL_OK) {
		if (rc > 0 || portal_url_strerror(rc) == NULL)
			abort();
		goto out;
	}
	if (memchr(u.host, '\0', sizeof(u.host)) == NULL ||
	    memchr(u.path, '\0', sizeof(u.path)) == NULL || u.host[0] == '\0' ||
	    u.port == 0 || strcmp(portal_url_scheme(&u), u.tls ? "wss" : "ws") != 0)
		abort();
	if (!u.port_explicit && u.port != portal_url_default_port(&u))
		abort();

	if (portal_url_external_id(data, size, ext) != PORTAL_URL_OK ||
	    strlen(ext) != PORTAL_URL_EXTERNAL_ID_LEN)
		abort();
	login.token = size > 0 && strlen(url) > 0 ? url : "tok";
	login.external_id = ext;
	login.name = url;
	login.public_key = pubkey;
	/* Both socket paths: v2 (no token in the URL) and the 2024 one. */
	u.proto = (size & 1) ? PORTAL_URL_V1 : PORTAL_URL_V2;
	if (portal_url_request_target(&u, &login, &target) != PORTAL_URL_OK)
		abort();
	if (strchr(target, ' ') != NULL || strchr(target, '\r') != NULL ||
	    strchr(target, '\n') != NULL)
		abort();
	if (portal_url_string(&u, &login, 0, &full) != PORTAL_URL_OK ||
	    portal_url_string(&u, &login, 1, &red) != PORTAL_URL_OK)
		abort();
	/* Values are form-encoded ('=' is %3D): "token=" in the query is the key. */
	if (u.proto == PORTAL_URL_V1 ? strstr(red, PORTAL_URL_REDACTED) == NULL :
	    strchr(target, '?') == NULL || strstr(strchr(target, '?'), "token=") != NULL)
		abort();
	rc = portal_url_parse(full, &u2);
	if (rc == PORTAL_URL_OK) {
		if (u2.tls != u.tls || u2.port != u.port ||
		    u2.host_is_ipv6 != u.host_is_ipv6 || strcmp(u2.host, u.host) != 0)
			abort();
	} else if (rc != PORTAL_URL_ETOOLONG) {
		abort();	/* our own URL must parse, unless the path grew too long */
	}
out:
	free(target);
	free(full);
	free(red);
	free(url);
	return 0;
}
