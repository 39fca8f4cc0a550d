/*
 * portal_msg.c - decode portal events into fixed-size structs and build
 * the gateway's outbound payloads (portal protocol sections 2, 3).
 *
 * Every decoder writes straight into the caller's struct and, on any error,
 * wipes the whole struct before returning, so a failed parse never leaves
 * anything that looks valid (or a stray secret) behind.
 */
#include "addr.h"
#include "portal_msg.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "log.h"

/* ---- decode context: field path and reason ------------------------------ */

struct pctx {
	const char *event;
	char path[128];
	size_t plen;
	char *why;
	size_t whylen;
};

static void
pctx_init(struct pctx *c, const char *event, char *why, size_t whylen)
{
	c->event = event;
	c->path[0] = '\0';
	c->plen = 0;
	c->why = why;
	c->whylen = whylen;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
}

/* Append ".key" (or "key" at the root); returns the length to restore. */
static size_t
path_push(struct pctx *c, const char *key)
{
	size_t saved = c->plen;
	int n;

	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
	    c->plen > 0 ? "." : "", key);
	if (n > 0)
		c->plen += (size_t)n < sizeof(c->path) - c->plen ? (size_t)n
		    : sizeof(c->path) - c->plen - 1;
	return saved;
}

static size_t
path_push_idx(struct pctx *c, size_t idx)
{
	size_t saved = c->plen;
	int n;

	n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%zu]", idx);
	if (n > 0)
		c->plen += (size_t)n < sizeof(c->path) - c->plen ? (size_t)n
		    : sizeof(c->path) - c->plen - 1;
	return saved;
}

static void
path_pop(struct pctx *c, size_t saved)
{
	c->plen = saved;
	c->path[saved] = '\0';
}

static int fail(struct pctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record "<event>: <path>: <message>" and return code. */
static int
fail(struct pctx *c, int code, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	if (c->why == NULL || c->whylen == 0)
		return code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->why, c->whylen, "%s: %s: %s", c->event != NULL ? c->event : "payload",
	    c->plen > 0 ? c->path : "payload", msg);
	return code;
}

/*
 * Copy a short, non-secret value for a reason line: at most 48 bytes,
 * anything outside printable ASCII becomes '?'.
 */
static const char *
shown(char *dst, size_t dstlen, const char *s, size_t len)
{
	size_t i, n = len;

	if (n > 48)
		n = 48;
	if (n > dstlen - 4)
		n = dstlen - 4;
	for (i = 0; i < n; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	return dst;
}

static const char *
json_type_label(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_double:
		return "float";
	case json_type_int:
		return "integer";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	}
	return "?";
}

/* ---- small validators --------------------------------------------------- */

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char b = s[i];
		size_t n, k;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			continue;
		} else if (b >= 0xc2 && b <= 0xdf) {
			n = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			n = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			n = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static bool
has_control(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* RFC 8445 ice-char: ALPHA / DIGIT / "+" / "/". */
static bool
ice_chars(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return false;
	}
	return true;
}

static bool
printable_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Hostname as the legacy resolve request carries it: LDH/underscore labels. */
static bool
domain_name_valid(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0)
		return false;
	if (s[len - 1] == '.')	/* a fully qualified trailing dot is fine */
		len--;
	if (len == 0 || len > PORTAL_MSG_DOMAIN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

/* ---- value parsers (public) --------------------------------------------- */

static int
hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
portal_msg_parse_uuid(const char *s, size_t len, struct portal_msg_uuid *out)
{
	struct portal_msg_uuid u;
	size_t i, nib = 0;
	bool hyphens;

	if (s == NULL || out == NULL)
		return PORTAL_MSG_E_INVAL;
	/* Accepted spellings: simple (32 hex), hyphenated, {braced}, urn:uuid:. */
	if (len == 45 && strncasecmp(s, "urn:uuid:", 9) == 0) {
		s += 9;
		len -= 9;
	} else if (len == 38 && s[0] == '{' && s[37] == '}') {
		s += 1;
		len -= 2;
	}
	if (len == 36)
		hyphens = true;
	else if (len == 32)
		hyphens = false;
	else
		return PORTAL_MSG_E_UUID;
	memset(&u, 0, sizeof(u));
	for (i = 0; i < len; i++) {
		int v;

		if (hyphens && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return PORTAL_MSG_E_UUID;
			continue;
		}
		v = hexval((unsigned char)s[i]);
		if (v < 0)
			return PORTAL_MSG_E_UUID;
		u.b[nib / 2] |= (uint8_t)(nib % 2 == 0 ? v << 4 : v);
		nib++;
	}
	*out = u;
	return PORTAL_MSG_OK;
}

char *
portal_msg_uuid_fmt(const struct portal_msg_uuid *id, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id->b[i] >> 4];
		out[o++] = hex[id->b[i] & 0x0f];
	}
	out[o] = '\0';
	return out;
}

static int
b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Strict standard base64 with canonical padding, as the reference's
 * decoder: no whitespace, no URL-safe alphabet, unused low bits zero.
 * Stores the decoded length in *outlen; dst must hold len / 4 * 3 bytes.
 */
static int
b64_decode_strict(const char *s, size_t len, uint8_t *dst, size_t *outlen)
{
	size_t i, pad = 0, o = 0;
	uint32_t acc = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		if (i % 4 == 3) {
			dst[o++] = (uint8_t)(acc >> 16);
			dst[o++] = (uint8_t)(acc >> 8);
			dst[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (pad == 1) {		/* 3 symbols: 18 bits, 2 must be zero */
		if (acc & 0x3)
			return -1;
		dst[o++] = (uint8_t)(acc >> 10);
		dst[o++] = (uint8_t)(acc >> 2);
	} else if (pad == 2) {	/* 2 symbols: 12 bits, 4 must be zero */
		if (acc & 0xf)
			return -1;
		dst[o++] = (uint8_t)(acc >> 4);
	}
	*outlen = o;
	return 0;
}

int
portal_msg_parse_key(const char *s, size_t len, uint8_t out[PORTAL_MSG_KEY_LEN])
{
	uint8_t buf[48];
	size_t n = 0;
	int rc = PORTAL_MSG_E_KEY;

	if (s == NULL || out == NULL)
		return PORTAL_MSG_E_INVAL;
	/* 44 characters is the only length that can hold 32 bytes; longer
	 * strings are rejected before decoding so buf cannot overflow. */
	if (len == 44 && b64_decode_strict(s, len, buf, &n) == 0 &&
	    n == PORTAL_MSG_KEY_LEN) {
		memcpy(out, buf, PORTAL_MSG_KEY_LEN);
		rc = PORTAL_MSG_OK;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* Describe why a key string failed, without showing it. */
static const char *
key_problem(const char *s, size_t len)
{
	uint8_t buf[48];
	size_t n = 0;
	const char *msg;

	if (len % 4 != 0 || len > 44 + 4)
		msg = "not padded standard base64 of 32 bytes";
	else if (b64_decode_strict(s, len, buf, &n) != 0)
		msg = "not strict standard base64";
	else if (n == 31)
		msg = "key decodes to 31 bytes, expected 32";
	else if (n == 33)
		msg = "key decodes to 33 bytes, expected 32";
	else
		msg = "key does not decode to 32 bytes";
	OPENSSL_cleanse(buf, sizeof(buf));
	return msg;
}

int
portal_msg_parse_ip(const char *s, size_t len, struct portal_msg_ip *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct portal_msg_ip ip;

	if (s == NULL || out == NULL)
		return PORTAL_MSG_E_INVAL;
	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return PORTAL_MSG_E_ADDR;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(&ip, 0, sizeof(ip));
	if (memchr(buf, ':', len) != NULL) {
		if (inet_pton(AF_INET6, buf, &ip.u.v6) != 1)
			return PORTAL_MSG_E_ADDR;
		ip.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, buf, &ip.u.v4) != 1)
			return PORTAL_MSG_E_ADDR;
		ip.family = AF_INET;
	}
	*out = ip;
	return PORTAL_MSG_OK;
}

/*
 * The one range predicate for proxy IPs in control: 100.96.0.0/11 or
 * fd00:2021:1111:8000::/107 (the client's DNS proxy ranges, never the
 * client range 100.64.0.0/11 or fd00:2021:1111::/107).  family is AF_INET
 * or AF_INET6, a points to 4 or 16 bytes.
 */
int
portal_msg_proxy_ip_ok(const struct portal_msg_ip *ip)
{
	if (ip == NULL || (ip->family != AF_INET && ip->family != AF_INET6))
		return 0;
	return addr_in_proxy_range(ip->family == AF_INET ? 4 : 6, ip->u.bytes);
}

/* Decimal digits only, no sign, no leading zero (except "0"), <= max. */
static int
parse_dec(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
portal_msg_parse_cidr(const char *s, size_t len, struct portal_msg_cidr *out)
{
	struct portal_msg_cidr c;
	const char *slash;
	unsigned prefix, maxp, i;

	if (s == NULL || out == NULL)
		return PORTAL_MSG_E_INVAL;
	slash = memchr(s, '/', len);
	if (slash == NULL)
		return PORTAL_MSG_E_CIDR;
	memset(&c, 0, sizeof(c));
	if (portal_msg_parse_ip(s, (size_t)(slash - s), &c.ip) != 0)
		return PORTAL_MSG_E_CIDR;
	maxp = c.ip.family == AF_INET ? 32 : 128;
	if (parse_dec(slash + 1, len - (size_t)(slash - s) - 1, maxp, &prefix) != 0)
		return PORTAL_MSG_E_CIDR;
	/* Host bits must be zero (spec 2.0). */
	for (i = prefix; i < maxp; i++)
		if (c.ip.u.bytes[i / 8] & (0x80 >> (i % 8)))
			return PORTAL_MSG_E_CIDR;
	c.prefix = (uint8_t)prefix;
	*out = c;
	return PORTAL_MSG_OK;
}

int
portal_msg_parse_sockaddr(const char *s, size_t len, struct portal_msg_sockaddr *out)
{
	struct portal_msg_sockaddr sa;
	const char *colon, *portp;
	unsigned port;

	if (s == NULL || out == NULL)
		return PORTAL_MSG_E_INVAL;
	memset(&sa, 0, sizeof(sa));
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL || (size_t)(close - s) + 1 >= len || close[1] != ':')
			return PORTAL_MSG_E_ADDR;
		if (portal_msg_parse_ip(s + 1, (size_t)(close - s) - 1, &sa.ip) != 0 ||
		    sa.ip.family != AF_INET6)
			return PORTAL_MSG_E_ADDR;
		portp = close + 2;
	} else {
		colon = memchr(s, ':', len);
		/* One colon only: a bare IPv6 address needs brackets. */
		if (colon == NULL || memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) != NULL)
			return PORTAL_MSG_E_ADDR;
		if (portal_msg_parse_ip(s, (size_t)(colon - s), &sa.ip) != 0 ||
		    sa.ip.family != AF_INET)
			return PORTAL_MSG_E_ADDR;
		portp = colon + 1;
	}
	if (parse_dec(portp, len - (size_t)(portp - s), 65535, &port) != 0 || port == 0)
		return PORTAL_MSG_E_ADDR;
	sa.port = (uint16_t)port;
	*out = sa;
	return PORTAL_MSG_OK;
}

/* ---- json-c field access ------------------------------------------------ */

enum { ABSENT = 1 };

/*
 * Look up key in obj.  Returns 0 with *v set (NULL for JSON null) when
 * present; ABSENT when missing and optional; E_MISSING when required.
 */
static int
field(struct pctx *c, json_object *obj, const char *key, bool required, json_object **v)
{
	*v = NULL;
	if (json_object_object_get_ex(obj, key, v))
		return 0;
	if (!required)
		return ABSENT;
	{
		size_t saved = path_push(c, key);
		int rc = fail(c, PORTAL_MSG_E_MISSING, "required field missing");

		path_pop(c, saved);
		return rc;
	}
}

static int
want_type(struct pctx *c, json_object *v, json_type t, const char *label)
{
	if (v != NULL && json_object_get_type(v) == t)
		return 0;
	return fail(c, PORTAL_MSG_E_TYPE, "expected %s, got %s", label,
	    v == NULL ? "null" : json_type_label(v));
}

/* The value as a string of at most max bytes, no NUL, valid UTF-8. */
static int
as_string(struct pctx *c, json_object *v, size_t max, const char **s, size_t *len)
{
	int rc = want_type(c, v, json_type_string, "string");

	if (rc != 0)
		return rc;
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if (*len > max)
		return fail(c, PORTAL_MSG_E_TOO_LONG, "string of %zu bytes, limit %zu", *len, max);
	if (memchr(*s, '\0', *len) != NULL)
		return fail(c, PORTAL_MSG_E_STRING, "string contains NUL");
	if (!utf8_valid((const unsigned char *)*s, *len))
		return fail(c, PORTAL_MSG_E_STRING, "string is not valid UTF-8");
	return 0;
}

/* Raw string of a required field. */
static int
get_str(struct pctx *c, json_object *obj, const char *key, size_t max,
    const char **s, size_t *len)
{
	json_object *v;
	size_t saved;
	int rc = field(c, obj, key, true, &v);

	if (rc != 0)
		return rc;
	saved = path_push(c, key);
	rc = as_string(c, v, max, s, len);
	path_pop(c, saved);
	return rc;
}

/* Copy a required string field into dst[max + 1]. */
static int
copy_str(struct pctx *c, json_object *obj, const char *key, char *dst, size_t max)
{
	const char *s;
	size_t len;
	int rc = get_str(c, obj, key, max, &s, &len);

	if (rc != 0)
		return rc;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int
get_uuid(struct pctx *c, json_object *obj, const char *key, struct portal_msg_uuid *out)
{
	const char *s;
	size_t len, saved;
	char tmp[64];
	int rc = get_str(c, obj, key, 64, &s, &len);

	if (rc != 0)
		return rc;
	saved = path_push(c, key);
	if (portal_msg_parse_uuid(s, len, out) != 0)
		rc = fail(c, PORTAL_MSG_E_UUID, "not a UUID: '%s'", shown(tmp, sizeof(tmp), s, len));
	path_pop(c, saved);
	return rc;
}

static int
get_key(struct pctx *c, json_object *obj, const char *key, uint8_t out[PORTAL_MSG_KEY_LEN])
{
	const char *s;
	size_t len, saved;
	int rc = get_str(c, obj, key, 256, &s, &len);

	if (rc != 0)
		return rc;
	saved = path_push(c, key);
	if (portal_msg_parse_key(s, len, out) != 0)
		rc = fail(c, PORTAL_MSG_E_KEY, "%s", key_problem(s, len));
	path_pop(c, saved);
	return rc;
}

/* An address of family af (AF_INET / AF_INET6), or either when af is 0. */
static int
get_ip(struct pctx *c, json_object *obj, const char *key, int af, struct portal_msg_ip *out)
{
	const char *s;
	size_t len, saved;
	char tmp[64];
	int rc = get_str(c, obj, key, 64, &s, &len);

	if (rc != 0)
		return rc;
	saved = path_push(c, key);
	if (portal_msg_parse_ip(s, len, out) != 0 || (af != 0 && out->family != af))
		rc = fail(c, PORTAL_MSG_E_ADDR, "not an %s address: '%s'",
		    af == AF_INET ? "IPv4" : af == AF_INET6 ? "IPv6" : "IP",
		    shown(tmp, sizeof(tmp), s, len));
	path_pop(c, saved);
	return rc;
}

static int
get_ipv4(struct pctx *c, json_object *obj, const char *key, struct in_addr *out)
{
	struct portal_msg_ip ip;
	int rc = get_ip(c, obj, key, AF_INET, &ip);

	if (rc == 0)
		*out = ip.u.v4;
	return rc;
}

static int
get_ipv6(struct pctx *c, json_object *obj, const char *key, struct in6_addr *out)
{
	struct portal_msg_ip ip;
	int rc = get_ip(c, obj, key, AF_INET6, &ip);

	if (rc == 0)
		*out = ip.u.v6;
	return rc;
}

static int
get_bool(struct pctx *c, json_object *obj, const char *key, bool *out)
{
	json_object *v;
	size_t saved;
	int rc = field(c, obj, key, true, &v);

	if (rc != 0)
		return rc;
	saved = path_push(c, key);
	rc = want_type(c, v, json_type_boolean, "boolean");
	if (rc == 0)
		*out = json_object_get_boolean(v) ? true : false;
	path_pop(c, saved);
	return rc;
}

/* A JSON integer (not float, not string) within [min, max]. */
static int
as_int(struct pctx *c, json_object *v, int64_t min, int64_t max, int64_t *out)
{
	int64_t x;
	int rc = want_type(c, v, json_type_int, "integer");

	if (rc != 0)
		return rc;
	/* json-c saturates values beyond int64 at the limits, which the range
	 * checks below reject for every field we read. */
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return fail(c, PORTAL_MSG_E_RANGE, "%lld is outside %lld..%lld",
		    (long long)x, (long long)min, (long long)max);
	*out = x;
	return 0;
}

/*
 * Timestamp in Unix seconds.  With nullable, JSON null gives *has = false.
 * An absent key: error when required, else *has = false.
 */
static int
get_ts(struct pctx *c, json_object *obj, const char *key, bool required, bool nullable,
    bool *has, int64_t *out)
{
	json_object *v;
	size_t saved;
	int rc = field(c, obj, key, required, &v);

	*has = false;
	if (rc == ABSENT)
		return 0;
	if (rc != 0)
		return rc;
	if (v == NULL && nullable)
		return 0;
	saved = path_push(c, key);
	/* The reference takes any i64; a time before 1970 or after 9999 can
	 * only be a portal bug, so it is refused. */
	rc = as_int(c, v, 0, PORTAL_MSG_TS_MAX, out);
	path_pop(c, saved);
	if (rc == 0)
		*has = true;
	return rc;
}

/*
 * Optional expiry of an authorization (2.3-2.5): null means none.  The
 * reference rejects a missing key; the spec asks us to read it as null,
 * which is what an operator wants from a newer or older portal.
 */
static int
get_expiry(struct pctx *c, json_object *obj, bool *has, int64_t *out)
{
	return get_ts(c, obj, "expires_at", false, true, has, out);
}

/* Required array field with at most max elements; *n gets the length. */
static int
get_array(struct pctx *c, json_object *obj, const char *key, size_t max,
    json_object **arr, size_t *n)
{
	size_t saved;
	int rc = field(c, obj, key, true, arr);

	if (rc != 0)
		return rc;
	saved = path_push(c, key);
	rc = want_type(c, *arr, json_type_array, "array");
	if (rc == 0) {
		*n = json_object_array_length(*arr);
		if (*n > max)
			rc = fail(c, PORTAL_MSG_E_TOO_MANY, "%zu elements, limit %zu", *n, max);
	}
	path_pop(c, saved);
	return rc;
}

/* Required object field. */
static int
get_object(struct pctx *c, json_object *obj, const char *key, json_object **out)
{
	size_t saved;
	int rc = field(c, obj, key, true, out);

	if (rc != 0)
		return rc;
	saved = path_push(c, key);
	rc = want_type(c, *out, json_type_object, "object");
	path_pop(c, saved);
	return rc;
}

/* ---- composite values --------------------------------------------------- */

static int
port_field(struct pctx *c, json_object *obj, const char *key, uint16_t dflt, uint16_t *out)
{
	json_object *v;
	size_t saved;
	int64_t x;
	int rc = field(c, obj, key, false, &v);

	if (rc == ABSENT) {
		*out = dflt;
		return 0;
	}
	saved = path_push(c, key);
	rc = as_int(c, v, 0, 65535, &x);
	path_pop(c, saved);
	if (rc == 0)
		*out = (uint16_t)x;
	return rc;
}

static int
filter_in(struct pctx *c, json_object *obj, struct portal_msg_filter *f)
{
	const char *s;
	size_t len;
	char tmp[64];
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = want_type(c, obj, json_type_object, "object")) != 0)
		return rc;
	if ((rc = get_str(c, obj, "protocol", 16, &s, &len)) != 0)
		return rc;
	/*
	 * An unknown protocol fails the whole message, as in the reference:
	 * dropping just that filter could leave an empty list, which would
	 * open the resource to all traffic.
	 */
	if (len == 4 && memcmp(s, "icmp", 4) == 0) {
		f->protocol = PORTAL_MSG_PROTO_ICMP;
		return 0;
	} else if (len == 3 && memcmp(s, "tcp", 3) == 0) {
		f->protocol = PORTAL_MSG_PROTO_TCP;
	} else if (len == 3 && memcmp(s, "udp", 3) == 0) {
		f->protocol = PORTAL_MSG_PROTO_UDP;
	} else {
		size_t saved = path_push(c, "protocol");

		rc = fail(c, PORTAL_MSG_E_UNKNOWN_TAG, "unknown protocol '%s'",
		    shown(tmp, sizeof(tmp), s, len));
		path_pop(c, saved);
		return rc;
	}
	if ((rc = port_field(c, obj, "port_range_start", 0, &f->port_start)) != 0 ||
	    (rc = port_field(c, obj, "port_range_end", 65535, &f->port_end)) != 0)
		return rc;
	/* The reference accepts an inverted range without a word; we refuse
	 * the message so the portal's mistake shows up in the log. */
	if (f->port_start > f->port_end)
		return fail(c, PORTAL_MSG_E_PORT_RANGE,
		    "port_range_start %u is greater than port_range_end %u",
		    (unsigned)f->port_start, (unsigned)f->port_end);
	return 0;
}

static int
resource_in(struct pctx *c, json_object *obj, struct portal_msg_resource *r)
{
	json_object *arr;
	const char *s;
	size_t len, n, i;
	char tmp[64];
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = want_type(c, obj, json_type_object, "object")) != 0)
		return rc;
	if ((rc = get_str(c, obj, "type", 16, &s, &len)) != 0)
		return rc;
	if (len == 3 && memcmp(s, "dns", 3) == 0) {
		r->type = PORTAL_MSG_RES_DNS;
	} else if (len == 4 && memcmp(s, "cidr", 4) == 0) {
		r->type = PORTAL_MSG_RES_CIDR;
	} else if (len == 8 && memcmp(s, "internet", 8) == 0) {
		r->type = PORTAL_MSG_RES_INTERNET;
	} else {
		size_t saved = path_push(c, "type");

		rc = fail(c, PORTAL_MSG_E_UNKNOWN_TAG, "unknown resource type '%s'",
		    shown(tmp, sizeof(tmp), s, len));
		path_pop(c, saved);
		return rc;
	}
	if ((rc = get_uuid(c, obj, "id", &r->id)) != 0)
		return rc;
	if (r->type == PORTAL_MSG_RES_INTERNET)
		return 0;	/* every other field of an internet resource is ignored */

	if ((rc = copy_str(c, obj, "name", r->name, PORTAL_MSG_NAME_MAX)) != 0)
		return rc;
	if (has_control((const unsigned char *)r->name, strlen(r->name))) {
		size_t saved = path_push(c, "name");

		rc = fail(c, PORTAL_MSG_E_STRING, "name contains control characters");
		path_pop(c, saved);
		return rc;
	}
	if ((rc = get_str(c, obj, "address", 64 + PORTAL_MSG_DOMAIN_MAX, &s, &len)) != 0)
		return rc;
	{
		size_t saved = path_push(c, "address");

		if (r->type == PORTAL_MSG_RES_CIDR) {
			if (portal_msg_parse_cidr(s, len, &r->cidr) != 0)
				rc = fail(c, PORTAL_MSG_E_CIDR,
				    "not a CIDR (prefix in range, host bits zero): '%s'",
				    shown(tmp, sizeof(tmp), s, len));
		} else if (len == 0 || len > PORTAL_MSG_DOMAIN_MAX) {
			rc = fail(c, len == 0 ? PORTAL_MSG_E_STRING : PORTAL_MSG_E_TOO_LONG,
			    "DNS pattern of %zu bytes, need 1..%d", len, PORTAL_MSG_DOMAIN_MAX);
		} else {
			size_t k;

			for (k = 0; k < len; k++)
				if ((unsigned char)s[k] <= 0x20 || s[k] == 0x7f)
					break;
			if (k < len)
				rc = fail(c, PORTAL_MSG_E_STRING,
				    "DNS pattern contains spaces or control characters");
		}
		if (rc == 0 && len <= PORTAL_MSG_DOMAIN_MAX) {
			memcpy(r->address, s, len);
			r->address[len] = '\0';
		}
		path_pop(c, saved);
		if (rc != 0)
			return rc;
	}
	if ((rc = get_array(c, obj, "filters", PORTAL_MSG_FILTERS_MAX, &arr, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		size_t s1 = path_push(c, "filters"), s2 = path_push_idx(c, i);

		(void)s2;
		rc = filter_in(c, json_object_array_get_idx(arr, i), &r->filters[i]);
		path_pop(c, s1);
		if (rc != 0)
			return rc;
	}
	r->n_filters = (uint32_t)n;
	return 0;
}

static int
ice_creds_in(struct pctx *c, json_object *parent, const char *key,
    struct portal_msg_ice_creds *ic)
{
	json_object *obj;
	size_t saved;
	int rc;

	if ((rc = get_object(c, parent, key, &obj)) != 0)
		return rc;
	saved = path_push(c, key);
	if ((rc = copy_str(c, obj, "username", ic->username, PORTAL_MSG_ICE_UFRAG_MAX)) == 0 &&
	    (rc = copy_str(c, obj, "password", ic->password, PORTAL_MSG_ICE_PWD_MAX)) == 0) {
		/* Both end up in STUN USERNAME/MESSAGE-INTEGRITY; ':' or odd
		 * bytes there would break the "remote:local" split. */
		if (ic->username[0] == '\0' || !ice_chars(ic->username, strlen(ic->username))) {
			size_t s2 = path_push(c, "username");

			rc = fail(c, PORTAL_MSG_E_STRING, "empty or not ICE characters");
			path_pop(c, s2);
		} else if (ic->password[0] == '\0' ||
		    !ice_chars(ic->password, strlen(ic->password))) {
			size_t s2 = path_push(c, "password");

			rc = fail(c, PORTAL_MSG_E_STRING, "empty or not ICE characters");
			path_pop(c, s2);
		}
	}
	path_pop(c, saved);
	return rc;
}

/* {id, public_key, preshared_key, ipv4, ipv6}; id is read from id_obj. */
static int
peer_in(struct pctx *c, json_object *id_obj, json_object *obj, struct portal_msg_peer *p)
{
	int rc;

	if (id_obj != NULL && (rc = get_uuid(c, id_obj, "id", &p->id)) != 0)
		return rc;
	if ((rc = get_key(c, obj, "public_key", p->public_key)) != 0 ||
	    (rc = get_key(c, obj, "preshared_key", p->preshared_key)) != 0 ||
	    (rc = get_ipv4(c, obj, "ipv4", &p->ipv4)) != 0 ||
	    (rc = get_ipv6(c, obj, "ipv6", &p->ipv6)) != 0)
		return rc;
	return 0;
}

/* Legacy {name, proxy_ips}. */
static int
resolve_in(struct pctx *c, json_object *obj, struct portal_msg_resolve *r)
{
	json_object *arr;
	const char *s;
	size_t len, n, i;
	int rc;

	if ((rc = want_type(c, obj, json_type_object, "object")) != 0)
		return rc;
	if ((rc = get_str(c, obj, "name", PORTAL_MSG_DOMAIN_MAX + 1, &s, &len)) != 0)
		return rc;
	if (!domain_name_valid(s, len)) {
		size_t saved = path_push(c, "name");

		rc = fail(c, PORTAL_MSG_E_STRING, "not a domain name");
		path_pop(c, saved);
		return rc;
	}
	memcpy(r->name, s, len);
	r->name[len] = '\0';
	if ((rc = get_array(c, obj, "proxy_ips", PORTAL_MSG_PROXY_IPS_MAX, &arr, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		size_t s1 = path_push(c, "proxy_ips"), s2;
		const char *ipstr;
		size_t iplen;
		char tmp[64];

		s2 = path_push_idx(c, i);
		(void)s2;
		rc = as_string(c, json_object_array_get_idx(arr, i), 64, &ipstr, &iplen);
		if (rc == 0 && portal_msg_parse_ip(ipstr, iplen, &r->proxy_ips[i]) != 0)
			rc = fail(c, PORTAL_MSG_E_ADDR, "not an IP address: '%s'",
			    shown(tmp, sizeof(tmp), ipstr, iplen));
		else if (rc == 0 && !portal_msg_proxy_ip_ok(&r->proxy_ips[i]))
			rc = fail(c, PORTAL_MSG_E_ADDR, "proxy IP '%s' outside %s",
			    shown(tmp, sizeof(tmp), ipstr, iplen), PORTAL_MSG_PROXY_RANGES);
		path_pop(c, s1);
		if (rc != 0)
			return rc;
	}
	r->n_proxy_ips = (uint32_t)n;
	return 0;
}

/* Optional, nullable object field: *has = false when absent or null. */
static int
opt_object(struct pctx *c, json_object *parent, const char *key, json_object **out, bool *has)
{
	size_t saved;
	int rc = field(c, parent, key, false, out);

	*has = false;
	if (rc == ABSENT || (rc == 0 && *out == NULL))
		return 0;
	saved = path_push(c, key);
	rc = want_type(c, *out, json_type_object, "object or null");
	path_pop(c, saved);
	if (rc == 0)
		*has = true;
	return rc;
}

/* ---- relays ------------------------------------------------------------- */

/* One "turn" or "stun" entry; *is_turn says which. */
static int
relay_entry_in(struct pctx *c, json_object *obj, struct portal_msg_relay *r,
    struct portal_msg_sockaddr *addr, bool *is_turn)
{
	const char *s;
	size_t len;
	char tmp[64];
	bool has;
	int rc;

	if ((rc = want_type(c, obj, json_type_object, "object")) != 0)
		return rc;
	if ((rc = get_str(c, obj, "type", 16, &s, &len)) != 0)
		return rc;
	if (len == 4 && memcmp(s, "turn", 4) == 0) {
		*is_turn = true;
	} else if (len == 4 && memcmp(s, "stun", 4) == 0) {
		*is_turn = false;
	} else {
		size_t saved = path_push(c, "type");

		rc = fail(c, PORTAL_MSG_E_UNKNOWN_TAG, "unknown relay type '%s'",
		    shown(tmp, sizeof(tmp), s, len));
		path_pop(c, saved);
		return rc;
	}
	if ((rc = get_uuid(c, obj, "id", &r->id)) != 0)
		return rc;
	if ((rc = get_str(c, obj, "addr", 64, &s, &len)) != 0)
		return rc;
	if (portal_msg_parse_sockaddr(s, len, addr) != 0) {
		size_t saved = path_push(c, "addr");

		rc = fail(c, PORTAL_MSG_E_ADDR, "not a socket address: '%s'",
		    shown(tmp, sizeof(tmp), s, len));
		path_pop(c, saved);
		return rc;
	}
	if (!*is_turn)
		return 0;
	if ((rc = copy_str(c, obj, "username", r->username, PORTAL_MSG_TURN_USER_MAX)) != 0 ||
	    (rc = copy_str(c, obj, "password", r->password, PORTAL_MSG_TURN_PASS_MAX)) != 0)
		return rc;
	if (r->username[0] == '\0' || has_control((const unsigned char *)r->username,
	    strlen(r->username))) {
		size_t saved = path_push(c, "username");

		rc = fail(c, PORTAL_MSG_E_STRING, "empty or contains control characters");
		path_pop(c, saved);
		return rc;
	}
	if (r->password[0] == '\0') {
		size_t saved = path_push(c, "password");

		rc = fail(c, PORTAL_MSG_E_STRING, "empty");
		path_pop(c, saved);
		return rc;
	}
	return get_ts(c, obj, "expires_at", true, false, &has, &r->expires_at);
}

/*
 * Merge an entry into the list.  The portal sends one entry per address
 * family of a relay; every entry carries valid credentials of its own, and
 * we keep those of the first entry.
 */
static int
relay_merge(struct pctx *c, struct portal_msg_relay_list *l, const struct portal_msg_relay *e,
    const struct portal_msg_sockaddr *addr)
{
	struct portal_msg_relay *r = NULL;
	char idstr[PORTAL_MSG_UUID_STRLEN];
	uint32_t i;

	/* The reference merges only adjacent entries with the same id; an id
	 * names one relay, so we merge wherever the entries appear. */
	for (i = 0; i < l->n; i++)
		if (memcmp(&l->relays[i].id, &e->id, sizeof(e->id)) == 0)
			r = &l->relays[i];
	if (r == NULL) {
		if (l->n >= PORTAL_MSG_RELAYS_MAX)	/* cannot happen: entries are bounded */
			return fail(c, PORTAL_MSG_E_TOO_MANY, "too many relays");
		r = &l->relays[l->n++];
		*r = *e;
	}
	if (addr->ip.family == AF_INET && !r->has_v4) {
		r->v4 = *addr;
		r->has_v4 = true;
	} else if (addr->ip.family == AF_INET6 && !r->has_v6) {
		r->v6 = *addr;
		r->has_v6 = true;
	} else {
		/* As the reference: keep the first address of a family, warn. */
		log_warnx("portal: relay %s: second %s address ignored",
		    portal_msg_uuid_fmt(&e->id, idstr),
		    addr->ip.family == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

static int
relay_list_in(struct pctx *c, json_object *arr, size_t n, struct portal_msg_relay_list *l)
{
	struct portal_msg_relay e;
	struct portal_msg_sockaddr addr;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		size_t saved = path_push_idx(c, i);
		bool is_turn = false;

		memset(&e, 0, sizeof(e));
		memset(&addr, 0, sizeof(addr));
		rc = relay_entry_in(c, json_object_array_get_idx(arr, i), &e, &addr, &is_turn);
		if (rc == 0 && is_turn)
			rc = relay_merge(c, l, &e, &addr);
		else if (rc == 0)
			l->n_stun_ignored++;	/* the gateway has no use for STUN-only entries */
		path_pop(c, saved);
	}
	OPENSSL_cleanse(&e, sizeof(e));
	return rc;
}

int
portal_msg_candidate_priority(const char *s, size_t len, uint32_t *prio)
{
	size_t i = 10, field = 1;
	uint64_t v = 0;
	int digits = 0;

	if (s == NULL || len < 10 || memcmp(s, "candidate:", 10) != 0)
		return PORTAL_MSG_E_STRING;
	/* Fields after "candidate:": foundation, component, transport, priority. */
	for (; i < len && field < 4; i++)
		if (s[i] == ' ')
			field++;
	for (; i < len && s[i] != ' '; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PORTAL_MSG_E_STRING;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return PORTAL_MSG_E_RANGE;
		digits++;
	}
	if (field < 4 || digits == 0)
		return PORTAL_MSG_E_STRING;
	if (prio != NULL)
		*prio = (uint32_t)v;
	return 0;
}

/* ---- messages ----------------------------------------------------------- */

static int authorization_in(struct pctx *c, json_object *p, struct portal_msg_authorization *m);

/*
 * init.authorizations (today's portal): absent is not the same as empty.
 * An older portal does not send it, and must not make us revoke anything;
 * [] from today's portal revokes every grant.  null counts as absent.
 */
static int
init_authorizations_in(struct pctx *c, json_object *p, struct portal_msg_init *m)
{
	json_object *arr;
	size_t n, i, saved;
	int rc;

	if (field(c, p, "authorizations", false, &arr) == ABSENT || arr == NULL)
		return 0;
	if ((rc = get_array(c, p, "authorizations", PORTAL_MSG_AUTHORIZATIONS_MAX, &arr, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		saved = path_push(c, "authorizations");
		(void)path_push_idx(c, i);
		rc = want_type(c, e, json_type_object, "object");
		if (rc == 0)
			rc = authorization_in(c, e, &m->authorizations[i]);
		path_pop(c, saved);
		if (rc != 0)
			return rc;
	}
	m->n_authorizations = (uint32_t)n;
	m->has_authorizations = true;
	return 0;
}

static int
init_in(struct pctx *c, json_object *p, struct portal_msg_init *m)
{
	json_object *iface, *cfg, *arr;
	size_t saved, n;
	int rc;

	if ((rc = get_object(c, p, "interface", &iface)) != 0)
		return rc;
	saved = path_push(c, "interface");
	/* upstream_dns is not sent to gateways and not used: not read. */
	if ((rc = get_ipv4(c, iface, "ipv4", &m->ipv4)) == 0)
		rc = get_ipv6(c, iface, "ipv6", &m->ipv6);
	path_pop(c, saved);
	if (rc != 0)
		return rc;
	if ((rc = get_object(c, p, "config", &cfg)) != 0)
		return rc;
	saved = path_push(c, "config");
	if ((rc = get_bool(c, cfg, "ipv4_masquerade_enabled", &m->ipv4_masquerade_enabled)) == 0)
		rc = get_bool(c, cfg, "ipv6_masquerade_enabled", &m->ipv6_masquerade_enabled);
	path_pop(c, saved);
	if (rc != 0)
		return rc;
	/* relays is optional (default empty); present, it must be an array. */
	if (field(c, p, "relays", false, &arr) != ABSENT) {
		if ((rc = get_array(c, p, "relays", PORTAL_MSG_RELAYS_MAX, &arr, &n)) != 0)
			return rc;
		saved = path_push(c, "relays");
		rc = relay_list_in(c, arr, n, &m->relays);
		path_pop(c, saved);
		if (rc != 0)
			return rc;
	}
	return init_authorizations_in(c, p, m);
}

static int
relays_presence_in(struct pctx *c, json_object *p, struct portal_msg_relays_presence *m)
{
	json_object *arr;
	size_t n, i, saved;
	int rc;

	if ((rc = get_array(c, p, "disconnected_ids", PORTAL_MSG_RELAYS_MAX, &arr, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		size_t s1 = path_push(c, "disconnected_ids"), s2 = path_push_idx(c, i);
		json_object *v = json_object_array_get_idx(arr, i);
		const char *s;
		size_t len;
		char tmp[64];

		(void)s2;
		rc = as_string(c, v, 64, &s, &len);
		if (rc == 0 && portal_msg_parse_uuid(s, len, &m->disconnected_ids[i]) != 0)
			rc = fail(c, PORTAL_MSG_E_UUID, "not a UUID: '%s'",
			    shown(tmp, sizeof(tmp), s, len));
		path_pop(c, s1);
		if (rc != 0)
			return rc;
	}
	m->n_disconnected = (uint32_t)n;
	if ((rc = get_array(c, p, "connected", PORTAL_MSG_RELAYS_MAX, &arr, &n)) != 0)
		return rc;
	saved = path_push(c, "connected");
	rc = relay_list_in(c, arr, n, &m->connected);
	path_pop(c, saved);
	return rc;
}

static int
ref_in(struct pctx *c, json_object *p, char *dst)
{
	int rc = copy_str(c, p, "ref", dst, PORTAL_MSG_REF_MAX);

	/* Echoed back verbatim; an empty one could never verify. */
	if (rc == 0 && dst[0] == '\0') {
		size_t saved = path_push(c, "ref");

		rc = fail(c, PORTAL_MSG_E_STRING, "empty");
		path_pop(c, saved);
	}
	return rc;
}

static int
sub_resource(struct pctx *c, json_object *p, struct portal_msg_resource *r)
{
	json_object *v;
	size_t saved;
	int rc = field(c, p, "resource", true, &v);

	if (rc != 0)
		return rc;
	saved = path_push(c, "resource");
	rc = resource_in(c, v, r);
	path_pop(c, saved);
	return rc;
}

/* flow_id and actor are sent but unused, so they are not read. */
static int
authorize_flow_in(struct pctx *c, json_object *p, struct portal_msg_authorize_flow *m)
{
	json_object *client;
	size_t saved;
	int rc;

	if ((rc = ref_in(c, p, m->ref)) != 0 || (rc = sub_resource(c, p, &m->resource)) != 0)
		return rc;
	if ((rc = get_object(c, p, "client", &client)) != 0)
		return rc;
	saved = path_push(c, "client");
	rc = peer_in(c, client, client, &m->client);
	path_pop(c, saved);
	if (rc != 0)
		return rc;
	if ((rc = ice_creds_in(c, p, "client_ice_credentials", &m->client_ice)) != 0 ||
	    (rc = ice_creds_in(c, p, "gateway_ice_credentials", &m->gateway_ice)) != 0)
		return rc;
	return get_expiry(c, p, &m->has_expires_at, &m->expires_at);
}

static int
request_connection_in(struct pctx *c, json_object *p, struct portal_msg_request_connection *m)
{
	json_object *client, *peer, *payload, *dom, *ka;
	size_t saved, s2;
	int64_t x;
	int rc;

	if ((rc = ref_in(c, p, m->ref)) != 0 || (rc = sub_resource(c, p, &m->resource)) != 0)
		return rc;
	if ((rc = get_object(c, p, "client", &client)) != 0)
		return rc;
	saved = path_push(c, "client");
	if ((rc = get_uuid(c, client, "id", &m->client.id)) != 0 ||
	    (rc = get_object(c, client, "peer", &peer)) != 0)
		goto out;
	s2 = path_push(c, "peer");
	rc = peer_in(c, NULL, peer, &m->client);
	if (rc == 0 && field(c, peer, "persistent_keepalive", false, &ka) == 0 && ka != NULL) {
		size_t s3 = path_push(c, "persistent_keepalive");

		/* Parsed for completeness; the gateway does not use it. */
		rc = as_int(c, ka, 0, 65535, &x);
		if (rc == 0) {
			m->has_persistent_keepalive = true;
			m->persistent_keepalive = (uint16_t)x;
		}
		path_pop(c, s3);
	}
	path_pop(c, s2);
	if (rc != 0)
		goto out;
	if ((rc = get_object(c, client, "payload", &payload)) != 0)
		goto out;
	s2 = path_push(c, "payload");
	rc = ice_creds_in(c, payload, "ice_parameters", &m->client_ice);
	if (rc == 0)
		rc = opt_object(c, payload, "domain", &dom, &m->has_domain);
	if (rc == 0 && m->has_domain) {
		size_t s3 = path_push(c, "domain");

		rc = resolve_in(c, dom, &m->domain);
		path_pop(c, s3);
	}
	path_pop(c, s2);
out:
	path_pop(c, saved);
	if (rc != 0)
		return rc;
	/* "relays" may still come from old portals: ignored, not read. */
	return get_expiry(c, p, &m->has_expires_at, &m->expires_at);
}

static int
allow_access_in(struct pctx *c, json_object *p, struct portal_msg_allow_access *m)
{
	json_object *pl;
	int rc;

	if ((rc = ref_in(c, p, m->ref)) != 0 ||
	    (rc = get_uuid(c, p, "client_id", &m->client_id)) != 0 ||
	    (rc = sub_resource(c, p, &m->resource)) != 0 ||
	    (rc = get_expiry(c, p, &m->has_expires_at, &m->expires_at)) != 0 ||
	    (rc = opt_object(c, p, "payload", &pl, &m->has_payload)) != 0)
		return rc;
	if (m->has_payload) {
		size_t saved = path_push(c, "payload");

		rc = resolve_in(c, pl, &m->payload);
		path_pop(c, saved);
		if (rc != 0)
			return rc;
	}
	if ((rc = get_ipv4(c, p, "client_ipv4", &m->client_ipv4)) != 0)
		return rc;
	return get_ipv6(c, p, "client_ipv6", &m->client_ipv6);
}

static int
reject_access_in(struct pctx *c, json_object *p, struct portal_msg_reject_access *m)
{
	int rc = get_uuid(c, p, "client_id", &m->client_id);

	if (rc == 0)
		rc = get_uuid(c, p, "resource_id", &m->resource_id);
	return rc;
}

static int
ice_candidates_in(struct pctx *c, json_object *p, struct portal_msg_ice_candidates *m)
{
	json_object *arr;
	size_t n, i;
	int rc;

	if ((rc = get_uuid(c, p, "client_id", &m->client_id)) != 0 ||
	    (rc = get_array(c, p, "candidates", PORTAL_MSG_CANDIDATES_MAX, &arr, &n)) != 0)
		return rc;
	/* Today's gateway skips each entry it cannot use instead of refusing
	 * the frame (upstream's VecSkipError): not a string, too long, not
	 * printable ASCII, or not a "candidate:" line with a numeric priority. */
	m->n_candidates = 0;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s;
		size_t len;
		uint32_t prio;

		if (e == NULL || !json_object_is_type(e, json_type_string))
			continue;
		s = json_object_get_string(e);
		len = (size_t)json_object_get_string_len(e);
		if (len == 0 || len > PORTAL_MSG_CANDIDATE_MAX || !printable_ascii(s, len) ||
		    portal_msg_candidate_priority(s, len, &prio) != 0)
			continue;
		memcpy(m->candidates[m->n_candidates], s, len);
		m->candidates[m->n_candidates][len] = '\0';
		m->n_candidates++;
	}
	return 0;
}

/* access_authorization_expiry_updated, and one entry of init.authorizations. */
static int
authorization_in(struct pctx *c, json_object *p, struct portal_msg_authorization *m)
{
	int rc = get_uuid(c, p, "client_id", &m->client_id);

	if (rc == 0)
		rc = get_uuid(c, p, "resource_id", &m->resource_id);
	if (rc == 0)
		rc = get_expiry(c, p, &m->has_expires_at, &m->expires_at);
	return rc;
}

static int
disconnect_in(struct pctx *c, json_object *p, struct portal_msg_disconnect *m)
{
	const char *s;
	size_t len, saved;
	char tmp[64];
	int rc = get_str(c, p, "reason", 256, &s, &len);

	if (rc != 0)
		return rc;
	if (len == 13 && memcmp(s, "token_expired", 13) == 0) {
		m->reason = PORTAL_MSG_DISCONNECT_TOKEN_EXPIRED;
		return 0;
	}
	saved = path_push(c, "reason");
	rc = fail(c, PORTAL_MSG_E_UNKNOWN_TAG, "unknown disconnect reason '%s'",
	    shown(tmp, sizeof(tmp), s, len));
	path_pop(c, saved);
	return rc;
}

/* ---- dispatch ----------------------------------------------------------- */

static const char *const event_names[] = {
	[PORTAL_MSG_NONE] = "?",
	[PORTAL_MSG_INIT] = "init",
	[PORTAL_MSG_RELAYS_PRESENCE] = "relays_presence",
	[PORTAL_MSG_AUTHORIZE_FLOW] = "authorize_flow",
	[PORTAL_MSG_REQUEST_CONNECTION] = "request_connection",
	[PORTAL_MSG_ALLOW_ACCESS] = "allow_access",
	[PORTAL_MSG_REJECT_ACCESS] = "reject_access",
	[PORTAL_MSG_RESOURCE_UPDATED] = "resource_updated",
	[PORTAL_MSG_ICE_CANDIDATES] = "ice_candidates",
	[PORTAL_MSG_INVALIDATE_ICE_CANDIDATES] = "invalidate_ice_candidates",
	[PORTAL_MSG_DISCONNECT] = "disconnect",
	[PORTAL_MSG_CREATE_AUTHORIZATION] = "create_authorization",
	[PORTAL_MSG_ACCESS_AUTHORIZATION_EXPIRY_UPDATED] = "access_authorization_expiry_updated",
};

#define N_EVENTS (sizeof(event_names) / sizeof(event_names[0]))

enum portal_msg_type
portal_msg_event_type(const char *event)
{
	size_t i;

	if (event == NULL)
		return PORTAL_MSG_NONE;
	for (i = 1; i < N_EVENTS; i++)
		if (strcmp(event, event_names[i]) == 0)
			return (enum portal_msg_type)i;
	return PORTAL_MSG_NONE;
}

const char *
portal_msg_event_name(enum portal_msg_type type)
{
	if ((size_t)type >= N_EVENTS)
		return "?";
	return event_names[type];
}

const char *
portal_msg_strerror(int err)
{
	switch (err) {
	case PORTAL_MSG_OK:
		return "ok";
	case PORTAL_MSG_E_INVAL:
		return "invalid argument";
	case PORTAL_MSG_E_NOMEM:
		return "out of memory";
	case PORTAL_MSG_E_JSON:
		return "malformed JSON";
	case PORTAL_MSG_E_JSON_INCOMPLETE:
		return "incomplete JSON";
	case PORTAL_MSG_E_UNKNOWN_EVENT:
		return "unknown event";
	case PORTAL_MSG_E_MISSING:
		return "missing field";
	case PORTAL_MSG_E_TYPE:
		return "wrong JSON type";
	case PORTAL_MSG_E_UNKNOWN_TAG:
		return "unknown tag value";
	case PORTAL_MSG_E_UUID:
		return "bad UUID";
	case PORTAL_MSG_E_KEY:
		return "bad key";
	case PORTAL_MSG_E_ADDR:
		return "bad address";
	case PORTAL_MSG_E_CIDR:
		return "bad CIDR";
	case PORTAL_MSG_E_PORT_RANGE:
		return "inverted port range";
	case PORTAL_MSG_E_RANGE:
		return "integer out of range";
	case PORTAL_MSG_E_TOO_MANY:
		return "array too long";
	case PORTAL_MSG_E_TOO_LONG:
		return "string too long";
	case PORTAL_MSG_E_STRING:
		return "bad string";
	}
	return "unknown error";
}

void
portal_msg_clear(struct portal_msg *msg)
{
	if (msg != NULL)
		OPENSSL_cleanse(msg, sizeof(*msg));
}

int
portal_msg_parse(const char *event, json_object *payload, struct portal_msg *out,
    char *why, size_t whylen)
{
	struct pctx c;
	enum portal_msg_type t;
	char tmp[64];
	int rc;

	pctx_init(&c, event, why, whylen);
	if (out == NULL)
		return fail(&c, PORTAL_MSG_E_INVAL, "no output");
	portal_msg_clear(out);
	if (event == NULL)
		return fail(&c, PORTAL_MSG_E_INVAL, "no event name");
	t = portal_msg_event_type(event);
	if (t == PORTAL_MSG_NONE) {
		c.event = "portal";
		snprintf(c.path, sizeof(c.path), "event");
		c.plen = strlen(c.path);
		return fail(&c, PORTAL_MSG_E_UNKNOWN_EVENT, "unknown event '%s'",
		    shown(tmp, sizeof(tmp), event, strlen(event)));
	}
	rc = want_type(&c, payload, json_type_object, "object");
	if (rc == 0) {
		switch (t) {
		case PORTAL_MSG_INIT:
			rc = init_in(&c, payload, &out->u.init);
			break;
		case PORTAL_MSG_RELAYS_PRESENCE:
			rc = relays_presence_in(&c, payload, &out->u.relays_presence);
			break;
		case PORTAL_MSG_AUTHORIZE_FLOW:
		case PORTAL_MSG_CREATE_AUTHORIZATION:
			rc = authorize_flow_in(&c, payload, &out->u.authorize_flow);
			break;
		case PORTAL_MSG_ACCESS_AUTHORIZATION_EXPIRY_UPDATED:
			rc = authorization_in(&c, payload, &out->u.expiry_updated);
			break;
		case PORTAL_MSG_REQUEST_CONNECTION:
			rc = request_connection_in(&c, payload, &out->u.request_connection);
			break;
		case PORTAL_MSG_ALLOW_ACCESS:
			rc = allow_access_in(&c, payload, &out->u.allow_access);
			break;
		case PORTAL_MSG_REJECT_ACCESS:
			rc = reject_access_in(&c, payload, &out->u.reject_access);
			break;
		case PORTAL_MSG_RESOURCE_UPDATED:
			rc = resource_in(&c, payload, &out->u.resource_updated);
			break;
		case PORTAL_MSG_ICE_CANDIDATES:
		case PORTAL_MSG_INVALIDATE_ICE_CANDIDATES:
			rc = ice_candidates_in(&c, payload, &out->u.ice_candidates);
			break;
		case PORTAL_MSG_DISCONNECT:
			rc = disconnect_in(&c, payload, &out->u.disconnect);
			break;
		case PORTAL_MSG_NONE:
			rc = PORTAL_MSG_E_UNKNOWN_EVENT;
			break;
		}
	}
	if (rc != 0) {
		portal_msg_clear(out);
		return rc;
	}
	out->type = t;
	return PORTAL_MSG_OK;
}

/* Parse exactly one JSON value from text[len] (trailing whitespace allowed). */
static int
json_from_text(struct pctx *c, const char *text, size_t len, json_object **out)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end, i;
	int rc = 0;

	*out = NULL;
	if (len > (size_t)INT32_MAX)
		return fail(c, PORTAL_MSG_E_TOO_LONG, "text of %zu bytes", len);
	tok = json_tokener_new();
	if (tok == NULL)
		return fail(c, PORTAL_MSG_E_NOMEM, "out of memory");
	/* Strict as the reference's serde_json: no trailing commas, no single
	 * quotes, no comments; and well-formed UTF-8. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*out = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue || (*out == NULL && jerr == json_tokener_success)) {
		rc = fail(c, PORTAL_MSG_E_JSON_INCOMPLETE, "JSON text ends early");
	} else if (jerr != json_tokener_success) {
		rc = fail(c, PORTAL_MSG_E_JSON, "JSON syntax: %s", json_tokener_error_desc(jerr));
	} else {
		end = json_tokener_get_parse_end(tok);
		for (i = end; i < len; i++)
			if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
				break;
		if (i < len)
			rc = fail(c, PORTAL_MSG_E_JSON, "trailing data after the JSON value");
	}
	json_tokener_free(tok);
	if (rc != 0 && *out != NULL) {
		portal_msg_json_wipe(*out);
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

int
portal_msg_parse_text(const char *event, const char *text, size_t len,
    struct portal_msg *out, char *why, size_t whylen)
{
	struct pctx c;
	json_object *root;
	int rc;

	pctx_init(&c, event, why, whylen);
	if (out == NULL || text == NULL)
		return fail(&c, PORTAL_MSG_E_INVAL, "no input or output");
	portal_msg_clear(out);
	rc = json_from_text(&c, text, len, &root);
	if (rc != 0)
		return rc;
	rc = portal_msg_parse(event, root, out, why, whylen);
	portal_msg_json_wipe(root);
	json_object_put(root);
	return rc;
}

int
portal_msg_parse_resource(json_object *obj, struct portal_msg_resource *out,
    char *why, size_t whylen)
{
	struct pctx c;
	int rc;

	pctx_init(&c, "resource", why, whylen);
	if (out == NULL)
		return fail(&c, PORTAL_MSG_E_INVAL, "no output");
	rc = resource_in(&c, obj, out);
	if (rc != 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

int
portal_msg_parse_filter(json_object *obj, struct portal_msg_filter *out,
    char *why, size_t whylen)
{
	struct pctx c;
	int rc;

	pctx_init(&c, "filter", why, whylen);
	if (out == NULL)
		return fail(&c, PORTAL_MSG_E_INVAL, "no output");
	rc = filter_in(&c, obj, out);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static void
json_wipe_depth(json_object *v, int depth)
{
	size_t i, n;

	if (v == NULL || depth > 64)
		return;
	switch (json_object_get_type(v)) {
	case json_type_string:
		/* json-c hands out its own buffer; it is writable heap memory. */
		OPENSSL_cleanse((void *)(uintptr_t)json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		break;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			json_wipe_depth(json_object_array_get_idx(v, i), depth + 1);
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			json_wipe_depth(val, depth + 1);
		}
		break;
	}
	default:
		break;
	}
}

void
portal_msg_json_wipe(json_object *root)
{
	json_wipe_depth(root, 0);
}

/* ---- outbound ----------------------------------------------------------- */

/* Add key -> new string; false on allocation failure. */
static bool
add_str(json_object *obj, const char *key, const char *s)
{
	json_object *v = json_object_new_string(s);

	if (v == NULL)
		return false;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static bool
ref_ok(const char *ref)
{
	size_t len;

	if (ref == NULL)
		return false;
	len = strlen(ref);
	return len > 0 && len <= PORTAL_MSG_REF_MAX &&
	    utf8_valid((const unsigned char *)ref, len);
}

int
portal_msg_build_flow_authorized(const char *ref, json_object **out)
{
	json_object *o;

	if (out == NULL)
		return PORTAL_MSG_E_INVAL;
	*out = NULL;
	if (!ref_ok(ref))
		return PORTAL_MSG_E_INVAL;
	if ((o = json_object_new_object()) == NULL)
		return PORTAL_MSG_E_NOMEM;
	if (!add_str(o, "ref", ref)) {
		json_object_put(o);
		return PORTAL_MSG_E_NOMEM;
	}
	*out = o;
	return PORTAL_MSG_OK;
}

int
portal_msg_build_authorization_created(const char *ref, json_object **out)
{
	return portal_msg_build_flow_authorized(ref, out);
}

int
portal_msg_build_no_relays(json_object **out)
{
	if (out == NULL)
		return PORTAL_MSG_E_INVAL;
	*out = json_object_new_object();
	return *out != NULL ? PORTAL_MSG_OK : PORTAL_MSG_E_NOMEM;
}

int
portal_msg_build_set_snownet_capabilities(json_object **out)
{
	json_object *o, *b;

	if (out == NULL)
		return PORTAL_MSG_E_INVAL;
	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return PORTAL_MSG_E_NOMEM;
	if ((b = json_object_new_boolean(0)) == NULL || json_object_object_add(o, "iceless", b) != 0) {
		json_object_put(b);
		json_object_put(o);
		return PORTAL_MSG_E_NOMEM;
	}
	*out = o;
	return PORTAL_MSG_OK;
}

int
portal_msg_build_connection_ready(const char *ref, const struct portal_msg_ice_creds *local,
    json_object **out)
{
	json_object *o = NULL, *gp = NULL, *ca = NULL, *ip = NULL;
	size_t ulen, plen;

	if (out == NULL)
		return PORTAL_MSG_E_INVAL;
	*out = NULL;
	if (!ref_ok(ref) || local == NULL)
		return PORTAL_MSG_E_INVAL;
	ulen = strnlen(local->username, sizeof(local->username));
	plen = strnlen(local->password, sizeof(local->password));
	if (ulen == 0 || ulen > PORTAL_MSG_ICE_UFRAG_MAX || !ice_chars(local->username, ulen) ||
	    plen == 0 || plen > PORTAL_MSG_ICE_PWD_MAX || !ice_chars(local->password, plen))
		return PORTAL_MSG_E_INVAL;

	/* Built inside out; each object is owned by its parent once added. */
	if ((ip = json_object_new_object()) == NULL ||
	    !add_str(ip, "username", local->username) ||
	    !add_str(ip, "password", local->password))
		goto nomem;
	if ((ca = json_object_new_object()) == NULL ||
	    json_object_object_add(ca, "ice_parameters", ip) != 0)
		goto nomem;
	ip = NULL;
	/* Externally tagged enum: the variant name is the key, PascalCase. */
	if ((gp = json_object_new_object()) == NULL ||
	    json_object_object_add(gp, "ConnectionAccepted", ca) != 0)
		goto nomem;
	ca = NULL;
	if ((o = json_object_new_object()) == NULL || !add_str(o, "ref", ref) ||
	    json_object_object_add(o, "gateway_payload", gp) != 0)
		goto nomem;
	*out = o;
	return PORTAL_MSG_OK;
nomem:
	portal_msg_json_wipe(ip);
	portal_msg_json_wipe(ca);
	portal_msg_json_wipe(gp);
	json_object_put(ip);
	json_object_put(ca);
	json_object_put(gp);
	json_object_put(o);
	return PORTAL_MSG_E_NOMEM;
}

static uint32_t
cand_prio(const char *s)
{
	uint32_t p = 0;

	return portal_msg_candidate_priority(s, strlen(s), &p) == 0 ? p : 0;
}

/* strcmp compares as unsigned char: byte order. */
static int
cmp_bytes(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Descending priority, ties in byte order (upstream sorts this way since
 * firezone #10063). */
static int
cmp_cand(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	uint32_t px = cand_prio(x), py = cand_prio(y);

	if (px != py)
		return px > py ? -1 : 1;
	return strcmp(x, y);
}

static int
build_candidates(const struct portal_msg_uuid *ids, size_t n_ids,
    const char *const *cands, size_t n_cands, enum portal_msg_order order, json_object **out)
{
	json_object *o = NULL, *jids = NULL, *jc = NULL;
	const char **sorted = NULL;
	char idstr[PORTAL_MSG_UUID_STRLEN];
	size_t i;
	int rc = PORTAL_MSG_E_NOMEM;

	if (out == NULL)
		return PORTAL_MSG_E_INVAL;
	*out = NULL;
	if (ids == NULL || n_ids == 0 || n_ids > PORTAL_MSG_CANDIDATES_MAX ||
	    cands == NULL || n_cands == 0 || n_cands > 4 * PORTAL_MSG_CANDIDATES_MAX)
		return PORTAL_MSG_E_INVAL;
	for (i = 0; i < n_cands; i++) {
		size_t len;

		if (cands[i] == NULL)
			return PORTAL_MSG_E_INVAL;
		len = strnlen(cands[i], PORTAL_MSG_CANDIDATE_MAX + 1);
		if (len == 0 || len > PORTAL_MSG_CANDIDATE_MAX || !printable_ascii(cands[i], len))
			return PORTAL_MSG_E_INVAL;
	}
	if ((sorted = calloc(n_cands, sizeof(*sorted))) == NULL)
		return PORTAL_MSG_E_NOMEM;
	memcpy(sorted, cands, n_cands * sizeof(*sorted));
	qsort(sorted, n_cands, sizeof(*sorted),
	    order == PORTAL_MSG_ORDER_PRIORITY ? cmp_cand : cmp_bytes);

	if ((o = json_object_new_object()) == NULL || (jids = json_object_new_array()) == NULL)
		goto done;
	for (i = 0; i < n_ids; i++) {
		json_object *s = json_object_new_string(portal_msg_uuid_fmt(&ids[i], idstr));

		if (s == NULL || json_object_array_add(jids, s) != 0) {
			json_object_put(s);
			goto done;
		}
	}
	if (json_object_object_add(o, "client_ids", jids) != 0)
		goto done;
	jids = NULL;
	if ((jc = json_object_new_array()) == NULL)
		goto done;
	for (i = 0; i < n_cands; i++) {
		json_object *s;

		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;	/* a set: each candidate once */
		s = json_object_new_string(sorted[i]);
		if (s == NULL || json_object_array_add(jc, s) != 0) {
			json_object_put(s);
			goto done;
		}
	}
	if (json_object_object_add(o, "candidates", jc) != 0)
		goto done;
	jc = NULL;
	*out = o;
	o = NULL;
	rc = PORTAL_MSG_OK;
done:
	json_object_put(jids);
	json_object_put(jc);
	json_object_put(o);
	free(sorted);
	return rc;
}

int
portal_msg_build_broadcast_ice_candidates(const struct portal_msg_uuid *client_ids,
    size_t n_ids, const char *const *candidates, size_t n_candidates,
    enum portal_msg_order order, json_object **out)
{
	return build_candidates(client_ids, n_ids, candidates, n_candidates, order, out);
}

int
portal_msg_build_broadcast_invalidated_ice_candidates(
    const struct portal_msg_uuid *client_ids, size_t n_ids,
    const char *const *candidates, size_t n_candidates, enum portal_msg_order order,
    json_object **out)
{
	return build_candidates(client_ids, n_ids, candidates, n_candidates, order, out);
}

char *
portal_msg_json_text(json_object *obj)
{
	const char *s;
	size_t len;
	char *copy;

	if (obj == NULL)
		return NULL;
	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return NULL;
	copy = malloc(len + 1);
	if (copy != NULL) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	/* json-c keeps this rendering cached inside obj; wipe it there. */
	OPENSSL_cleanse((void *)(uintptr_t)s, len);
	return copy;
}

void
portal_msg_text_free(char *text)
{
	if (text == NULL)
		return;
	OPENSSL_cleanse(text, strlen(text));
	free(text);
}
