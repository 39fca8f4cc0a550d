/*
 * portal_url.h - the portal login URL.
 *
 * portal_url_parse() takes the configured API URL (FIREZONE_API_URL),
 * maps its scheme to ws/wss, splits host and port, and derives the two
 * socket paths: ".../gateway/v2/websocket" (today's portal, tried first)
 * and ".../gateway/websocket" (the 2024 portal).  portal_url_request_target()
 * then produces the "path?query" of the upgrade request: on v2 the query is
 * external_id, name, public_key (the token travels in the X-Authorization
 * header); on v1 it is token, external_id, name, public_key, all
 * form-urlencoded.  portal_url_string() gives the whole URL, optionally
 * with the token redacted for logs.  Pure functions: no I/O.
 */
#ifndef FZ_PORTAL_URL_H
#define FZ_PORTAL_URL_H

#include <stddef.h>
#include <stdint.h>

#define PORTAL_URL_HOST_MAX		253	/* DNS name or IPv6 text, no brackets */
#define PORTAL_URL_PATH_MAX		1024
#define PORTAL_URL_EXTERNAL_ID_LEN	64	/* lowercase hex SHA-256 */
#define PORTAL_URL_PUBKEY_LEN		32	/* X25519 public key */
#define PORTAL_URL_REDACTED		"REDACTED"

enum portal_url_err {
	PORTAL_URL_OK = 0,
	PORTAL_URL_EINVAL = -1,		/* NULL argument or empty URL */
	PORTAL_URL_ESYNTAX = -2,	/* not an absolute URL "scheme://..." */
	PORTAL_URL_ESCHEME = -3,	/* scheme other than http, https, ws, wss */
	PORTAL_URL_ENOHOST = -4,	/* URL without a host */
	PORTAL_URL_EHOST = -5,		/* host with bad characters or bad IPv6 literal */
	PORTAL_URL_EPORT = -6,		/* port not a number in 1..65535 */
	PORTAL_URL_EPATH = -7,		/* path with control characters or spaces */
	PORTAL_URL_ETOOLONG = -8,	/* host or path longer than the limits above */
	PORTAL_URL_ENOMEM = -9,
	PORTAL_URL_ECRYPTO = -10,	/* OpenSSL digest failure */
};

/* Which socket path (and event names) the connection uses. */
enum portal_url_proto {
	PORTAL_URL_V2 = 0,	/* /gateway/v2/websocket, token in a header */
	PORTAL_URL_V1,		/* /gateway/websocket, token also in the query */
};

struct portal_url {
	int		tls;		/* 1 for wss, 0 for ws */
	int		host_is_ipv6;	/* host is an IPv6 literal (printed in brackets) */
	int		port_explicit;	/* the URL named a port */
	uint16_t	port;		/* explicit port, or 443 (wss) / 80 (ws) */
	char		host[PORTAL_URL_HOST_MAX + 1];	/* lowercase, no brackets */
	char		path[PORTAL_URL_PATH_MAX + 1];	/* e.g. "/gateway/websocket" */
	char		path_v2[PORTAL_URL_PATH_MAX + 1]; /* "/gateway/v2/websocket" */
	enum portal_url_proto proto;	/* set by the caller; V2 after parse */
};

/* The login parameters; all borrowed, none may be NULL. */
struct portal_url_login {
	const char	*token;		/* FIREZONE_TOKEN, sent byte for byte (v1) */
	const char	*external_id;	/* from portal_url_external_id() */
	const char	*name;		/* FIREZONE_NAME, host name or a UUID */
	const uint8_t	*public_key;	/* PORTAL_URL_PUBKEY_LEN bytes */
};

/*
 * Parse the API URL into *out.  Any query or fragment of the configured URL
 * is dropped.  Returns PORTAL_URL_OK or a negative portal_url_err; *out is
 * only meaningful on success.
 */
int portal_url_parse(const char *api_url, struct portal_url *out);

/* "ws" or "wss". */
const char *portal_url_scheme(const struct portal_url *u);

/* The port that is implied by the scheme: 443 for wss, 80 for ws. */
uint16_t portal_url_default_port(const struct portal_url *u);

/*
 * 1 if the n bytes at s are a UUID in one of the forms upstream's uuid
 * crate parses: 32 hex digits, 8-4-4-4-12, {8-4-4-4-12} or
 * urn:uuid:8-4-4-4-12, either case.
 */
int portal_url_id_is_uuid(const char *s, size_t n);

/*
 * external_id of a gateway ID of id_len bytes, written with a terminating
 * NUL to out (PORTAL_URL_EXTERNAL_ID_LEN + 1 bytes): an ID of 64 hex
 * digits is already a SHA-256 in hex and is sent verbatim (upstream's own
 * IDs); anything else, a UUID in particular, gives the lowercase hex
 * SHA-256 of the ID.  (Upstream sends other non-UUID IDs verbatim; hashing
 * them keeps the identity this gateway has always sent, see
 * docs/portal-today.md.)  Returns PORTAL_URL_OK, PORTAL_URL_EINVAL or
 * PORTAL_URL_ECRYPTO.
 */
int portal_url_external_id(const void *id, size_t id_len,
    char out[PORTAL_URL_EXTERNAL_ID_LEN + 1]);

/*
 * The request target of the upgrade request for u->proto: path, '?', then
 * (v1 only) token, then external_id, name and public_key (standard base64
 * with padding), each form-urlencoded.  On success *out is a NUL-terminated string the caller
 * frees with free().  Returns PORTAL_URL_OK, PORTAL_URL_EINVAL or
 * PORTAL_URL_ENOMEM.
 */
int portal_url_request_target(const struct portal_url *u,
    const struct portal_url_login *login, char **out);

/*
 * The whole URL "ws[s]://host[:port]/path?query"; the port is printed only
 * when it differs from the scheme's default.  With redact set, the token
 * value is replaced by PORTAL_URL_REDACTED so the result may be logged.
 * *out is freed by the caller.  Same returns as portal_url_request_target().
 */
int portal_url_string(const struct portal_url *u,
    const struct portal_url_login *login, int redact, char **out);

/*
 * Write the application/x-www-form-urlencoded form of len bytes of s to
 * dst (capacity cap, NUL-terminated when cap > 0).  Returns the length the full encoding
 * needs (without NUL), like snprintf; nothing is written past cap.
 */
size_t portal_url_form_encode(char *dst, size_t cap, const char *s, size_t len);

/* A constant English description of a portal_url_err. */
const char *portal_url_strerror(int err);

#endif
