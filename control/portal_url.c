/*
 * portal_url.c - parse the API URL and build the portal login URL (see
 * portal_url.h and docs/protocol/portal.md 1.1).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "portal_url.h"

/* A growable string; on allocation failure it stays failed. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

static void
sb_reserve(struct sbuf *b, size_t extra)
{
	size_t want;
	char *np;

	if (b->failed)
		return;
	if (extra > SIZE_MAX / 2 - b->len - 1) {
		b->failed = 1;
		return;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return;
	if (want < 2 * b->cap)
		want = 2 * b->cap;
	/* Not realloc: the old block may hold the token and must be wiped. */
	if ((np = malloc(want)) == NULL) {
		b->failed = 1;
		return;
	}
	if (b->p != NULL) {
		memcpy(np, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = want;
}

static void
sb_addn(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void
sb_add_form(struct sbuf *b, const char *s, size_t n)
{
	size_t need = portal_url_form_encode(NULL, 0, s, n);

	sb_reserve(b, need);
	if (b->failed)
		return;
	(void)portal_url_form_encode(b->p + b->len, b->cap - b->len, s, n);
	b->len += need;
}

static int
form_plain(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' || c == '_';
}

size_t
portal_url_form_encode(char *dst, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char enc[3];
		size_t n, k;

		if (form_plain(c)) {
			enc[0] = (char)c;
			n = 1;
		} else if (c == ' ') {
			enc[0] = '+';
			n = 1;
		} else {
			enc[0] = '%';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 0xf];
			n = 3;
		}
		for (k = 0; k < n; k++, o++)
			if (dst != NULL && o + 1 < cap)
				dst[o] = enc[k];
	}
	if (dst != NULL && cap > 0)
		dst[o < cap ? o : cap - 1] = '\0';
	return o;
}

const char *
portal_url_scheme(const struct portal_url *u)
{
	return u->tls ? "wss" : "ws";
}

uint16_t
portal_url_default_port(const struct portal_url *u)
{
	return u->tls ? 443 : 80;
}

static int
host_char_ok(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
parse_scheme(const char *s, size_t n, int *tls)
{
	if ((n == 2 && strncasecmp(s, "ws", 2) == 0) ||
	    (n == 4 && strncasecmp(s, "http", 4) == 0)) {
		*tls = 0;
		return PORTAL_URL_OK;
	}
	if ((n == 3 && strncasecmp(s, "wss", 3) == 0) ||
	    (n == 5 && strncasecmp(s, "https", 5) == 0)) {
		*tls = 1;
		return PORTAL_URL_OK;
	}
	return PORTAL_URL_ESCHEME;
}

static int
parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	/* A bare trailing ':' means "no port". */
	if (n == 0)
		return 1;
	if (n > 5)
		return PORTAL_URL_EPORT;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PORTAL_URL_EPORT;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return PORTAL_URL_EPORT;
	*port = (uint16_t)v;
	return PORTAL_URL_OK;
}

/* Split host[:port] or [v6][:port] (userinfo already removed). */
static int
parse_hostport(const char *a, size_t n, struct portal_url *u)
{
	const char *port = NULL;
	size_t hlen, plen = 0, i;
	int rc;

	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		char tmp[64];
		struct in6_addr in6;

		if (close == NULL)
			return PORTAL_URL_EHOST;
		hlen = (size_t)(close - a) - 1;
		if (hlen == 0)
			return PORTAL_URL_ENOHOST;
		if (hlen >= sizeof(tmp))
			return PORTAL_URL_EHOST;
		memcpy(tmp, a + 1, hlen);
		tmp[hlen] = '\0';
		if (inet_pton(AF_INET6, tmp, &in6) != 1)
			return PORTAL_URL_EHOST;
		i = (size_t)(close - a) + 1;
		if (i < n) {
			if (a[i] != ':')
				return PORTAL_URL_EHOST;
			port = a + i + 1;
			plen = n - i - 1;
		}
		for (i = 0; i < hlen; i++)
			u->host[i] = (char)tolower((unsigned char)tmp[i]);
		u->host[hlen] = '\0';
		u->host_is_ipv6 = 1;
	} else {
		const char *colon = memchr(a, ':', n);

		hlen = colon != NULL ? (size_t)(colon - a) : n;
		if (colon != NULL) {
			port = colon + 1;
			plen = n - hlen - 1;
		}
		if (hlen == 0)
			return PORTAL_URL_ENOHOST;
		if (hlen > PORTAL_URL_HOST_MAX)
			return PORTAL_URL_ETOOLONG;
		for (i = 0; i < hlen; i++) {
			if (!host_char_ok((unsigned char)a[i]))
				return PORTAL_URL_EHOST;
			u->host[i] = (char)tolower((unsigned char)a[i]);
		}
		u->host[hlen] = '\0';
	}

	u->port = portal_url_default_port(u);
	u->port_explicit = 0;
	if (port != NULL) {
		rc = parse_port(port, plen, &u->port);
		if (rc < 0)
			return rc;
		if (rc == PORTAL_URL_OK)
			u->port_explicit = 1;
	}
	return PORTAL_URL_OK;
}

/*
 * Drop an empty last segment, then append "gateway/websocket" (path) and
 * "gateway/v2/websocket" (path_v2).
 */
static int
build_path(const char *p, size_t n, struct portal_url *u)
{
	static const char tail[] = "gateway/websocket";
	static const char tail_v2[] = "gateway/v2/websocket";
	size_t i, keep;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return PORTAL_URL_EPATH;
	}
	/* n == 0 or "/" alone: no segments are kept. */
	keep = n;
	if (keep > 0 && p[keep - 1] == '/')
		keep--;
	if (keep + 1 + sizeof(tail_v2) > sizeof(u->path))
		return PORTAL_URL_ETOOLONG;
	memcpy(u->path, p, keep);
	u->path[keep] = '/';
	memcpy(u->path + keep + 1, tail, sizeof(tail));
	memcpy(u->path_v2, p, keep);
	u->path_v2[keep] = '/';
	memcpy(u->path_v2 + keep + 1, tail_v2, sizeof(tail_v2));
	return PORTAL_URL_OK;
}

int
portal_url_parse(const char *api_url, struct portal_url *out)
{
	const char *s, *colon, *auth, *auth_end, *path_end, *at;
	size_t n, i;
	int rc;

	if (api_url == NULL || out == NULL)
		return PORTAL_URL_EINVAL;
	memset(out, 0, sizeof(*out));
	s = api_url;
	n = strlen(s);
	/* Surrounding whitespace is not part of a URL. */
	while (n > 0 && isspace((unsigned char)s[0])) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return PORTAL_URL_EINVAL;

	colon = memchr(s, ':', n);
	if (colon == NULL || colon == s || !isalpha((unsigned char)s[0]))
		return PORTAL_URL_ESYNTAX;
	for (i = 0; s + i < colon; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '+' && c != '-' && c != '.')
			return PORTAL_URL_ESYNTAX;
	}
	rc = parse_scheme(s, (size_t)(colon - s), &out->tls);
	if (rc < 0)
		return rc;

	/* "wss:host" or "wss:/x" have no authority, hence no host. */
	auth = colon + 1;
	if ((size_t)(s + n - auth) < 2 || auth[0] != '/' || auth[1] != '/')
		return PORTAL_URL_ENOHOST;
	auth += 2;
	for (auth_end = auth; auth_end < s + n; auth_end++)
		if (*auth_end == '/' || *auth_end == '?' || *auth_end == '#')
			break;
	/* Credentials in the URL are not used; skip them. */
	at = NULL;
	for (i = 0; auth + i < auth_end; i++)
		if (auth[i] == '@')
			at = auth + i;
	if (at != NULL)
		auth = at + 1;
	rc = parse_hostport(auth, (size_t)(auth_end - auth), out);
	if (rc < 0)
		return rc;

	for (path_end = auth_end; path_end < s + n; path_end++)
		if (*path_end == '?' || *path_end == '#')
			break;
	return build_path(auth_end, (size_t)(path_end - auth_end), out);
}

/* 1 if the n bytes at s are hex digits (either case). */
static int
all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* 1 for 8-4-4-4-12 hex digits with hyphens (36 bytes). */
static int
uuid_hyphenated(const char *s, size_t n)
{
	return n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
	    all_hex(s, 8) && all_hex(s + 9, 4) && all_hex(s + 14, 4) &&
	    all_hex(s + 19, 4) && all_hex(s + 24, 12);
}

int
portal_url_id_is_uuid(const char *s, size_t n)
{
	if (s == NULL)
		return 0;
	if (n == 32)
		return all_hex(s, 32);
	if (n == 38 && s[0] == '{' && s[37] == '}')
		return uuid_hyphenated(s + 1, 36);
	if (n == 45 && strncasecmp(s, "urn:uuid:", 9) == 0)
		return uuid_hyphenated(s + 9, 36);
	return uuid_hyphenated(s, n);
}

int
portal_url_external_id(const void *id, size_t id_len,
    char out[PORTAL_URL_EXTERNAL_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (out == NULL || (id == NULL && id_len > 0))
		return PORTAL_URL_EINVAL;
	/* Already a SHA-256 in hex (upstream's own IDs): sent as it is. */
	if (id_len == PORTAL_URL_EXTERNAL_ID_LEN && !portal_url_id_is_uuid(id, id_len) &&
	    all_hex(id, id_len)) {
		memcpy(out, id, id_len);
		out[id_len] = '\0';
		return PORTAL_URL_OK;
	}
	if (EVP_Digest(id_len > 0 ? id : "", id_len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen * 2 != PORTAL_URL_EXTERNAL_ID_LEN)
		return PORTAL_URL_ECRYPTO;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[PORTAL_URL_EXTERNAL_ID_LEN] = '\0';
	return PORTAL_URL_OK;
}

static int
login_ok(const struct portal_url_login *l)
{
	return l != NULL && l->token != NULL && l->external_id != NULL &&
	    l->name != NULL && l->public_key != NULL;
}

static void
add_target(struct sbuf *b, const struct portal_url *u,
    const struct portal_url_login *l, int redact)
{
	char key_b64[4 * ((PORTAL_URL_PUBKEY_LEN + 2) / 3) + 1];

	EVP_EncodeBlock((unsigned char *)key_b64, l->public_key,
	    PORTAL_URL_PUBKEY_LEN);
	if (u->proto == PORTAL_URL_V1) {
		/* The 2024 URL: the token goes first in the query. */
		sb_add(b, u->path);
		sb_add(b, "?token=");
		if (redact)
			sb_add(b, PORTAL_URL_REDACTED);
		else
			sb_add_form(b, l->token, strlen(l->token));
		sb_add(b, "&external_id=");
	} else {
		sb_add(b, u->path_v2);
		sb_add(b, "?external_id=");
	}
	sb_add_form(b, l->external_id, strlen(l->external_id));
	sb_add(b, "&name=");
	sb_add_form(b, l->name, strlen(l->name));
	sb_add(b, "&public_key=");
	sb_add_form(b, key_b64, strlen(key_b64));
}

static int
finish(struct sbuf *b, char **out)
{
	if (b->failed) {
		if (b->p != NULL)
			OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
		return PORTAL_URL_ENOMEM;
	}
	*out = b->p;
	return PORTAL_URL_OK;
}

int
portal_url_request_target(const struct portal_url *u,
    const struct portal_url_login *login, char **out)
{
	struct sbuf b = { NULL, 0, 0, 0 };

	if (u == NULL || out == NULL || !login_ok(login))
		return PORTAL_URL_EINVAL;
	*out = NULL;
	add_target(&b, u, login, 0);
	return finish(&b, out);
}

int
portal_url_string(const struct portal_url *u,
    const struct portal_url_login *login, int redact, char **out)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	char port[8];

	if (u == NULL || out == NULL || !login_ok(login))
		return PORTAL_URL_EINVAL;
	*out = NULL;
	sb_add(&b, portal_url_scheme(u));
	sb_add(&b, "://");
	if (u->host_is_ipv6)
		sb_add(&b, "[");
	sb_add(&b, u->host);
	if (u->host_is_ipv6)
		sb_add(&b, "]");
	if (u->port != portal_url_default_port(u)) {
		snprintf(port, sizeof(port), ":%u", (unsigned)u->port);
		sb_add(&b, port);
	}
	add_target(&b, u, login, redact);
	return finish(&b, out);
}

const char *
portal_url_strerror(int err)
{
	switch (err) {
	case PORTAL_URL_OK:
		return "ok";
	case PORTAL_URL_EINVAL:
		return "missing or empty argument";
	case PORTAL_URL_ESYNTAX:
		return "not an absolute URL";
	case PORTAL_URL_ESCHEME:
		return "invalid scheme: only http, https, ws and wss are allowed";
	case PORTAL_URL_ENOHOST:
		return "URL has no host";
	case PORTAL_URL_EHOST:
		return "invalid host";
	case PORTAL_URL_EPORT:
		return "invalid port";
	case PORTAL_URL_EPATH:
		return "invalid path";
	case PORTAL_URL_ETOOLONG:
		return "host or path too long";
	case PORTAL_URL_ENOMEM:
		return "out of memory";
	case PORTAL_URL_ECRYPTO:
		return "digest failed";
	default:
		return "unknown error";
	}
}
