/*
 * ws_codec.c - RFC 6455 client handshake, frame encoder and decoder (see
 * ws_codec.h).  Every length read from the wire is checked before it is
 * used; the decoder never looks past the bytes it was given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "ws_codec.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* ---- helpers ----------------------------------------------------------- */

int
ws_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;	/* continuation byte, 0xc0/0xc1 or > 0xf4 */
		}
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += n + 1;
	}
	return 1;
}

int
ws_close_code_valid(uint16_t code)
{
	return (code >= 1000 && code <= 1003) ||
	    (code >= 1007 && code <= 1014) ||
	    (code >= 3000 && code <= 4999);
}

uint16_t
ws_err_close_code(int err)
{
	switch (err) {
	case WS_ETOOBIG:
		return WS_CLOSE_TOO_BIG;
	case WS_EUTF8:
		return WS_CLOSE_INVALID_DATA;
	case WS_EMASKED:
	case WS_ERSV:
	case WS_EOPCODE:
	case WS_ECTRL_LEN:
	case WS_ECTRL_FRAG:
	case WS_ECONT:
	case WS_ENOCONT:
	case WS_ELENGTH:
	case WS_ECLOSE_PAYLOAD:
	case WS_ECLOSE_CODE:
	case WS_ECLOSED:
		return WS_CLOSE_PROTOCOL;
	default:
		return WS_CLOSE_INTERNAL;
	}
}

const char *
ws_strerror(int err)
{
	switch (err) {
	case WS_OK:			return "ok";
	case WS_EAGAIN:			return "incomplete";
	case WS_EINVAL:			return "invalid argument";
	case WS_ENOMEM:			return "out of memory";
	case WS_ENOSPC:			return "buffer too small";
	case WS_EHTTP_STATUS:		return "upgrade refused by HTTP status";
	case WS_EHTTP_SYNTAX:		return "malformed HTTP response";
	case WS_EHTTP_TOOBIG:		return "HTTP response head too large";
	case WS_EUPGRADE:		return "missing Upgrade: websocket";
	case WS_ECONNECTION:		return "missing Connection: upgrade";
	case WS_EACCEPT:		return "missing or wrong Sec-WebSocket-Accept";
	case WS_EEXTENSION:		return "server selected an extension or subprotocol";
	case WS_EMASKED:		return "masked frame from server";
	case WS_ERSV:			return "reserved bits set";
	case WS_EOPCODE:		return "reserved opcode";
	case WS_ECTRL_LEN:		return "control frame longer than 125 bytes";
	case WS_ECTRL_FRAG:		return "fragmented control frame";
	case WS_ECONT:			return "continuation frame without a message";
	case WS_ENOCONT:		return "data frame inside a fragmented message";
	case WS_ELENGTH:		return "invalid frame length";
	case WS_ETOOBIG:		return "message too big";
	case WS_EUTF8:			return "invalid UTF-8";
	case WS_ECLOSE_PAYLOAD:		return "close frame with 1-byte payload";
	case WS_ECLOSE_CODE:		return "invalid close code";
	case WS_ECLOSED:		return "data after close frame";
	default:			return "unknown error";
	}
}

/* ---- handshake --------------------------------------------------------- */

int
ws_accept_for_key(const char *key_b64, char out[WS_ACCEPT_B64_LEN + 1])
{
	char buf[WS_KEY_B64_LEN + sizeof(WS_GUID)];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t klen;

	if (key_b64 == NULL || out == NULL)
		return WS_EINVAL;
	klen = strlen(key_b64);
	if (klen != WS_KEY_B64_LEN)
		return WS_EINVAL;
	memcpy(buf, key_b64, klen);
	memcpy(buf + klen, WS_GUID, sizeof(WS_GUID) - 1);
	if (EVP_Digest(buf, klen + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(),
	    NULL) != 1 || mdlen != 20)
		return WS_EINVAL;
	if (EVP_EncodeBlock((unsigned char *)out, md, 20) != WS_ACCEPT_B64_LEN)
		return WS_EINVAL;
	return WS_OK;
}

int
ws_handshake_init(struct ws_handshake *hs, const uint8_t key[WS_KEY_LEN],
    size_t max_header)
{
	if (hs == NULL || key == NULL)
		return WS_EINVAL;
	memset(hs, 0, sizeof(*hs));
	hs->retry_after_s = -1;
	hs->max_header = max_header != 0 ? max_header : WS_HS_MAX_HEADER;
	if (EVP_EncodeBlock((unsigned char *)hs->key_b64, key, WS_KEY_LEN) !=
	    WS_KEY_B64_LEN)
		return WS_EINVAL;
	if (ws_accept_for_key(hs->key_b64, hs->accept_b64) != WS_OK)
		return WS_EINVAL;
	hs->line_cap = hs->max_header;
	hs->line = malloc(hs->line_cap);
	if (hs->line == NULL)
		return WS_ENOMEM;
	return WS_OK;
}

void
ws_handshake_free(struct ws_handshake *hs)
{
	if (hs == NULL)
		return;
	free(hs->line);
	hs->line = NULL;
	hs->line_cap = hs->line_len = 0;
}

static int
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/*
 * The extra header lines, each "Name: value\r\n", in a malloc'd string
 * (wiped and freed by the caller).  NULL on a bad line or no memory.
 */
static char *
extra_lines(const char *const *extra, size_t *len)
{
	size_t n = 0, i, l;
	char *buf, *p;

	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		const char *c = strchr(extra[i], ':');

		if (has_crlf(extra[i]) || c == NULL || c == extra[i])
			return NULL;
		n += strlen(extra[i]) + 2;
	}
	if ((buf = malloc(n + 1)) == NULL)
		return NULL;
	p = buf;
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		l = strlen(extra[i]);
		memcpy(p, extra[i], l);
		memcpy(p + l, "\r\n", 2);
		p += l + 2;
	}
	*p = '\0';
	*len = n;
	return buf;
}

int
ws_handshake_request(const struct ws_handshake *hs, const char *host,
    uint16_t port, int tls, const char *target, const char *user_agent,
    const char *const *extra, char **out, size_t *out_len)
{
	char hostport[300];
	const char *lb, *rb;
	int n, m;
	char *buf, *lines;
	size_t llen = 0;

	if (hs == NULL || host == NULL || target == NULL || user_agent == NULL ||
	    out == NULL || host[0] == '\0' || target[0] != '/' ||
	    has_crlf(host) || has_crlf(target) || has_crlf(user_agent) ||
	    strchr(host, ' ') != NULL || strchr(target, ' ') != NULL)
		return WS_EINVAL;
	*out = NULL;
	/* An IPv6 literal is the only host form that contains ':'. */
	lb = strchr(host, ':') != NULL ? "[" : "";
	rb = lb[0] != '\0' ? "]" : "";
	if (port == (tls ? 443 : 80))
		n = snprintf(hostport, sizeof(hostport), "%s%s%s", lb, host, rb);
	else
		n = snprintf(hostport, sizeof(hostport), "%s%s%s:%u", lb, host, rb,
		    (unsigned)port);
	if (n < 0 || (size_t)n >= sizeof(hostport))
		return WS_EINVAL;

#define WS_REQ_FMT \
	"GET %s HTTP/1.1\r\n" \
	"Host: %s\r\n" \
	"Connection: Upgrade\r\n" \
	"Upgrade: websocket\r\n" \
	"Sec-WebSocket-Version: 13\r\n" \
	"Sec-WebSocket-Key: %s\r\n" \
	"user-agent: %s\r\n" \
	"%s" \
	"\r\n"
	if ((lines = extra_lines(extra, &llen)) == NULL)
		return WS_EINVAL;
	n = snprintf(NULL, 0, WS_REQ_FMT, target, hostport, hs->key_b64, user_agent, lines);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		explicit_bzero(lines, llen);
		free(lines);
		return n < 0 ? WS_EINVAL : WS_ENOMEM;
	}
	m = snprintf(buf, (size_t)n + 1, WS_REQ_FMT, target, hostport, hs->key_b64,
	    user_agent, lines);
#undef WS_REQ_FMT
	/* The extra lines may carry a credential. */
	explicit_bzero(lines, llen);
	free(lines);
	if (m != n) {
		explicit_bzero(buf, (size_t)n);
		free(buf);
		return WS_EINVAL;
	}
	*out = buf;
	if (out_len != NULL)
		*out_len = (size_t)n;
	return WS_OK;
}

int
ws_handshake_status(const struct ws_handshake *hs)
{
	return hs->status;
}

const char *
ws_handshake_reason(const struct ws_handshake *hs)
{
	return hs->reason;
}

long
ws_handshake_retry_after(const struct ws_handshake *hs, time_t now)
{
	if (hs->retry_after_s >= 0)
		return hs->retry_after_s;
	if (hs->retry_after_at > 0)
		return hs->retry_after_at > now ? (long)(hs->retry_after_at - now) : 0;
	return -1;
}

/*
 * Retry-After (RFC 9110 10.2.3): delay-seconds, or an IMF-fixdate such as
 * "Wed, 21 Oct 2015 07:28:00 GMT".  Anything else is ignored.
 */
static void
parse_retry_after(struct ws_handshake *hs, const char *v, size_t n)
{
	char buf[64], *end;
	struct tm tm;
	unsigned long secs;
	size_t i;

	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, v, n);
	buf[n] = '\0';
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		;
	if (i == n) {
		errno = 0;
		secs = strtoul(buf, NULL, 10);
		hs->retry_after_s = (errno != 0 || secs > WS_RETRY_AFTER_MAX) ?
		    WS_RETRY_AFTER_MAX : (long)secs;
		return;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end != NULL && *end == '\0')
		hs->retry_after_at = timegm(&tm);
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 1 if the comma-separated list v (length n) holds tok, case-insensitively. */
static int
list_has_token(const char *v, size_t n, const char *tok)
{
	size_t tlen = strlen(tok), i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows(v[e - 1]))
			e--;
		if (e - s == tlen && strncasecmp(v + s, tok, tlen) == 0)
			return 1;
	}
	return 0;
}

static int
parse_status_line(struct ws_handshake *hs, const char *l, size_t n)
{
	size_t i, r;

	/* HTTP/1.x SP 3DIGIT [SP reason] */
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' ||
	    l[8] != ' ')
		return WS_EHTTP_SYNTAX;
	for (i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return WS_EHTTP_SYNTAX;
	if (n > 12 && l[12] != ' ')
		return WS_EHTTP_SYNTAX;
	hs->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	r = 0;
	for (i = 13; i < n && r + 1 < sizeof(hs->reason); i++) {
		unsigned char c = (unsigned char)l[i];

		hs->reason[r++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	hs->reason[r] = '\0';
	hs->got_status = 1;
	return WS_OK;
}

static int
parse_header_line(struct ws_handshake *hs, const char *l, size_t n)
{
	const char *colon, *v;
	size_t nlen, vlen;

	if (is_ows(l[0]))
		return WS_EHTTP_SYNTAX;		/* obsolete line folding */
	colon = memchr(l, ':', n);
	if (colon == NULL || colon == l)
		return WS_EHTTP_SYNTAX;
	nlen = (size_t)(colon - l);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return WS_EHTTP_SYNTAX;
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && is_ows(v[0])) {
		v++;
		vlen--;
	}
	while (vlen > 0 && is_ows(v[vlen - 1]))
		vlen--;

#define NAME_IS(s) (nlen == sizeof(s) - 1 && strncasecmp(l, s, nlen) == 0)
	if (NAME_IS("upgrade")) {
		if (list_has_token(v, vlen, "websocket"))
			hs->saw_upgrade = 1;
	} else if (NAME_IS("connection")) {
		if (list_has_token(v, vlen, "upgrade"))
			hs->saw_connection = 1;
	} else if (NAME_IS("sec-websocket-accept")) {
		if (hs->saw_accept || vlen != WS_ACCEPT_B64_LEN ||
		    memcmp(v, hs->accept_b64, WS_ACCEPT_B64_LEN) != 0)
			hs->bad_accept = 1;
		hs->saw_accept = 1;
	} else if (NAME_IS("retry-after")) {
		parse_retry_after(hs, v, vlen);
	} else if (NAME_IS("sec-websocket-extensions") ||
	    NAME_IS("sec-websocket-protocol")) {
		if (vlen > 0)
			hs->bad_extension = 1;
	}
#undef NAME_IS
	return WS_OK;
}

static int
finish_head(struct ws_handshake *hs)
{
	if (hs->bad_extension)
		return WS_EEXTENSION;
	if (!hs->saw_upgrade)
		return WS_EUPGRADE;
	if (!hs->saw_connection)
		return WS_ECONNECTION;
	if (!hs->saw_accept || hs->bad_accept)
		return WS_EACCEPT;
	return WS_OK;
}

int
ws_handshake_feed(struct ws_handshake *hs, const uint8_t *data, size_t len,
    size_t *consumed)
{
	size_t i;
	int rc;

	if (hs == NULL || consumed == NULL || (data == NULL && len > 0) ||
	    hs->done || hs->line == NULL)
		return WS_EINVAL;
	*consumed = 0;
	for (i = 0; i < len; i++) {
		char c = (char)data[i];
		size_t n;

		if (++hs->total > hs->max_header) {
			rc = WS_EHTTP_TOOBIG;
			goto finished;
		}
		if (c != '\n') {
			if (c == '\0') {
				rc = WS_EHTTP_SYNTAX;
				goto finished;
			}
			/* total <= max_header == line_cap bounds line_len */
			hs->line[hs->line_len++] = c;
			continue;
		}
		n = hs->line_len;
		if (n > 0 && hs->line[n - 1] == '\r')
			n--;
		hs->line_len = 0;
		if (!hs->got_status) {
			rc = parse_status_line(hs, hs->line, n);
			if (rc != WS_OK)
				goto finished;
		} else if (n == 0) {
			/* Another status: its head is read for Retry-After. */
			rc = hs->status != 101 ? WS_EHTTP_STATUS : finish_head(hs);
			goto finished;
		} else {
			rc = parse_header_line(hs, hs->line, n);
			if (rc != WS_OK)
				goto finished;
		}
	}
	*consumed = len;
	return WS_EAGAIN;

finished:
	hs->done = 1;
	*consumed = i + 1 <= len ? i + 1 : len;
	return rc;
}

/* ---- encoder ----------------------------------------------------------- */

size_t
ws_frame_size(size_t len)
{
	size_t ext = len < 126 ? 0 : len <= 0xffff ? 2 : 8;

	if (len > SIZE_MAX - WS_FRAME_MAX_HEADER)
		return SIZE_MAX;
	return 2 + ext + 4 + len;
}

static int
opcode_known(unsigned op)
{
	return op == WS_OP_CONT || op == WS_OP_TEXT || op == WS_OP_BINARY ||
	    op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG;
}

int
ws_encode_frame(uint8_t *out, size_t cap, size_t *out_len, enum ws_opcode op,
    int fin, const uint8_t *payload, size_t len, const uint8_t mask[4])
{
	size_t need, h = 0, i;
	uint64_t l64 = (uint64_t)len;

	if (out_len != NULL)
		*out_len = 0;
	if (out == NULL || mask == NULL || (payload == NULL && len > 0) ||
	    !opcode_known((unsigned)op))
		return WS_EINVAL;
	if ((op & 0x8) && (!fin || len > WS_CONTROL_MAX))
		return WS_EINVAL;
	need = ws_frame_size(len);
	if (need == SIZE_MAX)
		return WS_EINVAL;
	if (need > cap)
		return WS_ENOSPC;

	out[h++] = (uint8_t)((fin ? 0x80 : 0) | (unsigned)op);
	if (len < 126) {
		out[h++] = (uint8_t)(0x80 | len);
	} else if (len <= 0xffff) {
		out[h++] = 0x80 | 126;
		out[h++] = (uint8_t)(len >> 8);
		out[h++] = (uint8_t)len;
	} else {
		out[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[h++] = (uint8_t)(l64 >> (56 - 8 * i));
	}
	memcpy(out + h, mask, 4);
	h += 4;
	for (i = 0; i < len; i++)
		out[h + i] = payload[i] ^ mask[i & 3];
	if (out_len != NULL)
		*out_len = need;
	return WS_OK;
}

int
ws_encode_close(uint8_t *out, size_t cap, size_t *out_len, uint16_t code,
    const char *reason, size_t reason_len, const uint8_t mask[4])
{
	uint8_t body[WS_CONTROL_MAX];

	if (reason == NULL && reason_len > 0)
		return WS_EINVAL;
	if (code == 0) {
		if (reason_len > 0)
			return WS_EINVAL;
		return ws_encode_frame(out, cap, out_len, WS_OP_CLOSE, 1, NULL, 0,
		    mask);
	}
	if (!ws_close_code_valid(code) || reason_len > WS_CONTROL_MAX - 2 ||
	    !ws_utf8_valid((const uint8_t *)reason, reason_len))
		return WS_EINVAL;
	body[0] = (uint8_t)(code >> 8);
	body[1] = (uint8_t)code;
	if (reason_len > 0)
		memcpy(body + 2, reason, reason_len);
	return ws_encode_frame(out, cap, out_len, WS_OP_CLOSE, 1, body,
	    2 + reason_len, mask);
}

/* ---- decoder ----------------------------------------------------------- */

void
ws_decoder_init(struct ws_decoder *d, size_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->max_message = max_message != 0 ? max_message : WS_MAX_MESSAGE;
}

void
ws_decoder_free(struct ws_decoder *d)
{
	if (d == NULL)
		return;
	/* Portal messages carry preshared keys and relay credentials. */
	if (d->msg != NULL)
		explicit_bzero(d->msg, d->msg_cap);
	free(d->msg);
	d->msg = NULL;
	d->msg_len = d->msg_cap = 0;
}

/* Header bytes needed once the first two are known. */
static size_t
hdr_need(const struct ws_decoder *d)
{
	uint8_t l7;

	if (d->hdr_have < 2)
		return 2;
	l7 = d->hdr[1] & 0x7f;
	return 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0);
}

static int
msg_reserve(struct ws_decoder *d, size_t need)
{
	size_t ncap;
	uint8_t *p;

	if (need <= d->msg_cap)
		return WS_OK;
	ncap = d->msg_cap > d->max_message / 2 ? d->max_message : 2 * d->msg_cap;
	if (ncap < need)
		ncap = need;
	if (ncap < 256 && d->max_message >= 256)
		ncap = 256;
	/* Not realloc: the old block may hold secrets and is wiped first. */
	if ((p = malloc(ncap)) == NULL)
		return WS_ENOMEM;
	if (d->msg != NULL) {
		memcpy(p, d->msg, d->msg_len);
		explicit_bzero(d->msg, d->msg_cap);
		free(d->msg);
	}
	d->msg = p;
	d->msg_cap = ncap;
	return WS_OK;
}

/* Validate a complete frame header and set up the payload state. */
static int
start_frame(struct ws_decoder *d)
{
	uint8_t b0 = d->hdr[0], b1 = d->hdr[1];
	uint8_t op = b0 & 0x0f;
	uint64_t plen = b1 & 0x7f;
	size_t i;

	if (b0 & 0x70)
		return WS_ERSV;
	if (!opcode_known(op))
		return WS_EOPCODE;
	if (b1 & 0x80)
		return WS_EMASKED;
	if (plen == 126) {
		plen = ((uint64_t)d->hdr[2] << 8) | d->hdr[3];
	} else if (plen == 127) {
		plen = 0;
		for (i = 0; i < 8; i++)
			plen = (plen << 8) | d->hdr[2 + i];
		if (plen >> 63)
			return WS_ELENGTH;
	}
	d->op = op;
	d->fin = (b0 & 0x80) != 0;
	if (op & 0x8) {
		if (!d->fin)
			return WS_ECTRL_FRAG;
		if (plen > WS_CONTROL_MAX)
			return WS_ECTRL_LEN;
		d->ctrl_len = 0;
	} else {
		if (op == WS_OP_CONT && d->msg_op == 0)
			return WS_ECONT;
		if (op != WS_OP_CONT && d->msg_op != 0)
			return WS_ENOCONT;
		if (op != WS_OP_CONT) {
			d->msg_op = op;
			d->msg_len = 0;
		}
		if (plen > (uint64_t)(d->max_message - d->msg_len))
			return WS_ETOOBIG;
		if (msg_reserve(d, d->msg_len + (size_t)plen) != WS_OK)
			return WS_ENOMEM;
	}
	d->left = plen;
	d->in_payload = 1;
	d->hdr_have = 0;
	return WS_OK;
}

/* A frame's payload is complete: 1 with an event, 0 without, or an error. */
static int
end_frame(struct ws_decoder *d, struct ws_event *ev)
{
	d->in_payload = 0;
	memset(ev, 0, sizeof(*ev));
	switch (d->op) {
	case WS_OP_PING:
	case WS_OP_PONG:
		ev->type = d->op == WS_OP_PING ? WS_EV_PING : WS_EV_PONG;
		ev->opcode = (enum ws_opcode)d->op;
		ev->data = d->ctrl;
		ev->len = d->ctrl_len;
		return 1;
	case WS_OP_CLOSE:
		ev->type = WS_EV_CLOSE;
		ev->opcode = WS_OP_CLOSE;
		if (d->ctrl_len == 0) {
			ev->close_code = WS_CLOSE_NO_STATUS;
		} else if (d->ctrl_len == 1) {
			return WS_ECLOSE_PAYLOAD;
		} else {
			ev->close_code = (uint16_t)((d->ctrl[0] << 8) | d->ctrl[1]);
			if (!ws_close_code_valid(ev->close_code))
				return WS_ECLOSE_CODE;
			if (!ws_utf8_valid(d->ctrl + 2, d->ctrl_len - 2))
				return WS_EUTF8;
			ev->reason = (const char *)d->ctrl + 2;
			ev->reason_len = d->ctrl_len - 2;
		}
		ev->data = d->ctrl;
		ev->len = d->ctrl_len;
		d->closed = 1;
		return 1;
	default:
		if (!d->fin)
			return 0;
		if (d->msg_op == WS_OP_TEXT && !ws_utf8_valid(d->msg, d->msg_len))
			return WS_EUTF8;
		ev->type = WS_EV_MESSAGE;
		ev->opcode = (enum ws_opcode)d->msg_op;
		ev->data = d->msg;
		ev->len = d->msg_len;
		d->msg_reset = 1;
		return 1;
	}
}

int
ws_decoder_feed(struct ws_decoder *d, const uint8_t *data, size_t len,
    size_t *consumed, struct ws_event *ev)
{
	size_t i = 0;
	int rc = 0;

	if (d == NULL || consumed == NULL || ev == NULL || (data == NULL && len > 0))
		return WS_EINVAL;
	*consumed = 0;
	if (d->err != 0)
		return d->err;
	if (d->msg_reset) {
		d->msg_len = 0;
		d->msg_op = 0;
		d->msg_reset = 0;
	}
	if (d->closed) {
		if (len == 0)
			return 0;
		rc = WS_ECLOSED;
		goto out;
	}

	while (i < len || (d->in_payload && d->left == 0)) {
		if (!d->in_payload) {
			size_t need = hdr_need(d);

			while (d->hdr_have < need && i < len) {
				d->hdr[d->hdr_have++] = data[i++];
				need = hdr_need(d);
			}
			if (d->hdr_have < need)
				break;
			rc = start_frame(d);
			if (rc < 0)
				goto out;
			continue;
		}
		if (d->left > 0) {
			size_t n = len - i;

			if ((uint64_t)n > d->left)
				n = (size_t)d->left;
			if (d->op & 0x8) {
				memcpy(d->ctrl + d->ctrl_len, data + i, n);
				d->ctrl_len += n;
			} else {
				memcpy(d->msg + d->msg_len, data + i, n);
				d->msg_len += n;
			}
			i += n;
			d->left -= n;
		}
		if (d->left == 0) {
			rc = end_frame(d, ev);
			if (rc != 0)
				goto out;
		}
	}
	*consumed = i;
	return 0;

out:
	*consumed = i;
	if (rc < 0)
		d->err = rc;
	return rc;
}
