/*
 * Unit suite for control/ws_codec: RFC 6455 handshake, the section 5.7
 * example frames, fragmentation, limits, malformed frames and close codes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_codec.h"

/* RFC 6455 section 1.3: the key is base64 of "the sample nonce". */
static const uint8_t rfc_key[16] = "the sample nonce";
#define RFC_KEY_B64	"dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static const uint8_t rfc_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* ---- handshake --------------------------------------------------------- */

START_TEST(accept_rfc_example)
{
	char acc[WS_ACCEPT_B64_LEN + 1];
	struct ws_handshake hs;

	ck_assert_int_eq(ws_accept_for_key(RFC_KEY_B64, acc), WS_OK);
	ck_assert_str_eq(acc, RFC_ACCEPT);
	ck_assert_int_eq(ws_accept_for_key("short", acc), WS_EINVAL);
	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	ck_assert_str_eq(hs.key_b64, RFC_KEY_B64);
	ck_assert_str_eq(hs.accept_b64, RFC_ACCEPT);
	ws_handshake_free(&hs);
}
END_TEST

START_TEST(request_format)
{
	struct ws_handshake hs;
	char *req = NULL;
	size_t len = 0;

	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	ck_assert_int_eq(ws_handshake_request(&hs, "api.firezone.dev", 443, 1,
	    "/gateway/websocket?token=x", "Debian/12.0.0 connlib/1.4.0 (x86_64)",
	    NULL, &req, &len), WS_OK);
	ck_assert_str_eq(req,
	    "GET /gateway/websocket?token=x HTTP/1.1\r\n"
	    "Host: api.firezone.dev\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY_B64 "\r\n"
	    "user-agent: Debian/12.0.0 connlib/1.4.0 (x86_64)\r\n"
	    "\r\n");
	ck_assert_uint_eq(len, strlen(req));
	ck_assert_ptr_null(strstr(req, "Origin"));
	free(req);

	ck_assert_int_eq(ws_handshake_request(&hs, "api", 8081, 0, "/g", "ua",
	    NULL, &req, NULL), WS_OK);
	ck_assert_ptr_nonnull(strstr(req, "\r\nHost: api:8081\r\n"));
	free(req);
	ck_assert_int_eq(ws_handshake_request(&hs, "api", 443, 0, "/g", "ua",
	    NULL, &req, NULL), WS_OK);
	ck_assert_ptr_nonnull(strstr(req, "\r\nHost: api:443\r\n"));
	free(req);
	ck_assert_int_eq(ws_handshake_request(&hs, "fd00::1", 80, 0, "/g", "ua",
	    NULL, &req, NULL), WS_OK);
	ck_assert_ptr_nonnull(strstr(req, "\r\nHost: [fd00::1]\r\n"));
	free(req);
	ck_assert_int_eq(ws_handshake_request(&hs, "::1", 8443, 1, "/g", "ua",
	    NULL, &req, NULL), WS_OK);
	ck_assert_ptr_nonnull(strstr(req, "\r\nHost: [::1]:8443\r\n"));
	free(req);

	/* header injection and malformed targets are refused */
	ck_assert_int_eq(ws_handshake_request(&hs, "h", 80, 0, "/g", "ua\r\nX: y",
	    NULL, &req, NULL), WS_EINVAL);
	ck_assert_int_eq(ws_handshake_request(&hs, "h", 80, 0, "/g\n", "ua",
	    NULL, &req, NULL), WS_EINVAL);
	ck_assert_int_eq(ws_handshake_request(&hs, "h", 80, 0, "g", "ua",
	    NULL, &req, NULL), WS_EINVAL);
	ck_assert_int_eq(ws_handshake_request(&hs, "", 80, 0, "/g", "ua",
	    NULL, &req, NULL), WS_EINVAL);
	ws_handshake_free(&hs);
}
END_TEST

START_TEST(request_extra_headers)
{
	static const char *const auth[] = { "X-Authorization: Bearer tok", NULL };
	static const char *const bad[] = { "X: a\r\nY: b", NULL };
	static const char *const noname[] = { "no colon", NULL };
	struct ws_handshake hs;
	char *req = NULL;

	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	ck_assert_int_eq(ws_handshake_request(&hs, "h", 443, 1, "/gateway/v2/websocket", "ua",
	    auth, &req, NULL), WS_OK);
	ck_assert_ptr_nonnull(strstr(req, "\r\nuser-agent: ua\r\nX-Authorization: Bearer tok\r\n\r\n"));
	free(req);
	ck_assert_int_eq(ws_handshake_request(&hs, "h", 443, 1, "/g", "ua", bad, &req, NULL),
	    WS_EINVAL);
	ck_assert_int_eq(ws_handshake_request(&hs, "h", 443, 1, "/g", "ua", noname, &req, NULL),
	    WS_EINVAL);
	ws_handshake_free(&hs);
}
END_TEST

/* Feed a whole answer; returns the result. */
static int
hs_feed_all(struct ws_handshake *hs, const char *resp)
{
	size_t used = 0;

	ck_assert_int_eq(ws_handshake_init(hs, rfc_key, 0), WS_OK);
	return ws_handshake_feed(hs, (const uint8_t *)resp, strlen(resp), &used);
}

START_TEST(response_retry_after)
{
	struct ws_handshake hs;
	time_t t = 1445412480;	/* Wed, 21 Oct 2015 07:28:00 GMT */

	/* the head of a refusal is read to its end for Retry-After */
	ck_assert_int_eq(hs_feed_all(&hs, "HTTP/1.1 503 Service Unavailable\r\n"
	    "retry-after: 1\r\n\r\n{\"code\":\"rate_limit\"}"), WS_EHTTP_STATUS);
	ck_assert_int_eq(ws_handshake_status(&hs), 503);
	ck_assert_int_eq(ws_handshake_retry_after(&hs, t), 1);
	ws_handshake_free(&hs);
	ck_assert_int_eq(hs_feed_all(&hs, "HTTP/1.1 429 Too Many Requests\r\n"
	    "Retry-After: Wed, 21 Oct 2015 07:28:07 GMT\r\n\r\n"), WS_EHTTP_STATUS);
	ck_assert_int_eq(ws_handshake_retry_after(&hs, t), 7);
	ck_assert_int_eq(ws_handshake_retry_after(&hs, t + 60), 0);
	ws_handshake_free(&hs);
	ck_assert_int_eq(hs_feed_all(&hs, "HTTP/1.1 503 x\r\nRetry-After: soon\r\n\r\n"),
	    WS_EHTTP_STATUS);
	ck_assert_int_eq(ws_handshake_retry_after(&hs, t), -1);
	ws_handshake_free(&hs);
	ck_assert_int_eq(hs_feed_all(&hs, "HTTP/1.1 503 x\r\nRetry-After: 99999999999999999999\r\n\r\n"),
	    WS_EHTTP_STATUS);
	ck_assert_int_eq(ws_handshake_retry_after(&hs, t), WS_RETRY_AFTER_MAX);
	ws_handshake_free(&hs);
	ck_assert_int_eq(hs_feed_all(&hs, "HTTP/1.1 409 Conflict\r\n\r\n"), WS_EHTTP_STATUS);
	ck_assert_int_eq(ws_handshake_retry_after(&hs, t), -1);
	ws_handshake_free(&hs);
	/* only the status line so far: not finished yet */
	ck_assert_int_eq(hs_feed_all(&hs, "HTTP/1.1 409 Conflict\r\n"), WS_EAGAIN);
	ws_handshake_free(&hs);
}
END_TEST

static const char good_resp[] =
	"HTTP/1.1 101 Switching Protocols\r\n"
	"upgrade: WebSocket\r\n"
	"CONNECTION: keep-alive, Upgrade\r\n"
	"Sec-WebSocket-Accept:   " RFC_ACCEPT "  \r\n"
	"Server: test\r\n"
	"\r\n";

START_TEST(response_good)
{
	struct ws_handshake hs;
	uint8_t buf[sizeof(good_resp) + 4];
	size_t len = strlen(good_resp), used = 0, i;
	int rc = WS_EAGAIN;

	/* all at once, with the first frame bytes right behind the head */
	memcpy(buf, good_resp, len);
	memcpy(buf + len, "\x81\x00", 2);
	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	ck_assert_int_eq(ws_handshake_feed(&hs, buf, len + 2, &used), WS_OK);
	ck_assert_uint_eq(used, len);
	ck_assert_int_eq(ws_handshake_status(&hs), 101);
	ck_assert_str_eq(ws_handshake_reason(&hs), "Switching Protocols");
	/* finished: further input is refused */
	ck_assert_int_eq(ws_handshake_feed(&hs, buf, 1, &used), WS_EINVAL);
	ws_handshake_free(&hs);

	/* byte by byte, bare LF line endings accepted */
	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	for (i = 0; i < len; i++) {
		ck_assert_int_eq(rc, WS_EAGAIN);
		rc = ws_handshake_feed(&hs, buf + i, 1, &used);
		ck_assert_uint_eq(used, 1);
	}
	ck_assert_int_eq(rc, WS_OK);
	ws_handshake_free(&hs);

	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	{
		const char *r = "HTTP/1.1 101\nUpgrade: websocket\nConnection: upgrade\n"
		    "Sec-WebSocket-Accept: " RFC_ACCEPT "\n\n";
		ck_assert_int_eq(ws_handshake_feed(&hs, (const uint8_t *)r,
		    strlen(r), &used), WS_OK);
		ck_assert_str_eq(ws_handshake_reason(&hs), "");
	}
	ws_handshake_free(&hs);
}
END_TEST

struct bad_resp {
	const char	*resp;
	int		 rc;
	int		 status;
	const char	*reason;
};

static const struct bad_resp bad_resps[] = {
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n\r\n", WS_EACCEPT, 101, NULL },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	  WS_EACCEPT, 101, NULL },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	  "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\nSec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n",
	  WS_EACCEPT, 101, NULL },
	{ "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
	  "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", WS_EUPGRADE, 101, NULL },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
	  "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", WS_EUPGRADE, 101, NULL },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: close\r\n"
	  "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", WS_ECONNECTION, 101, NULL },
	{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	  "Sec-WebSocket-Extensions: permessage-deflate\r\n"
	  "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", WS_EEXTENSION, 101, NULL },
	{ "HTTP/1.1 401 Unauthorized\r\ncontent-length: 13\r\n\r\nInvalid token",
	  WS_EHTTP_STATUS, 401, "Unauthorized" },
	{ "HTTP/1.1 403 Forbidden\r\n\r\n", WS_EHTTP_STATUS, 403, "Forbidden" },
	{ "HTTP/1.1 422 Unprocessable Entity\r\n\r\n", WS_EHTTP_STATUS, 422,
	  "Unprocessable Entity" },
	{ "HTTP/1.1 503 Service Unavailable\r\n\r\n", WS_EHTTP_STATUS, 503,
	  "Service Unavailable" },
	{ "HTTP/1.1 200 OK\r\n\r\n", WS_EHTTP_STATUS, 200, "OK" },
	{ "HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n", WS_EHTTP_STATUS, 302, "Found" },
	{ "HTTP/2 101 x\r\n\r\n", WS_EHTTP_SYNTAX, 0, NULL },
	{ "HTTP/1.1 1O1 x\r\n\r\n", WS_EHTTP_SYNTAX, 0, NULL },
	{ "SSH-2.0-OpenSSH\r\n", WS_EHTTP_SYNTAX, 0, NULL },
	{ "HTTP/1.1 101x\r\n", WS_EHTTP_SYNTAX, 0, NULL },
	{ "HTTP/1.1 101 ok\r\nno colon here\r\n\r\n", WS_EHTTP_SYNTAX, 101, NULL },
	{ "HTTP/1.1 101 ok\r\nUpgrade: websocket\r\n folded\r\n\r\n", WS_EHTTP_SYNTAX, 101, NULL },
	{ "HTTP/1.1 101 ok\r\nBad Name: x\r\n\r\n", WS_EHTTP_SYNTAX, 101, NULL },
	{ "HTTP/1.1 101 ok\r\n: x\r\n\r\n", WS_EHTTP_SYNTAX, 101, NULL },
};

START_TEST(response_bad)
{
	const struct bad_resp *c = &bad_resps[_i];
	struct ws_handshake hs;
	size_t used = 0;
	int rc;

	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	rc = ws_handshake_feed(&hs, (const uint8_t *)c->resp, strlen(c->resp), &used);
	ck_assert_msg(rc == c->rc, "case %d: rc %d (%s) want %d", _i, rc,
	    ws_strerror(rc), c->rc);
	ck_assert_int_eq(ws_handshake_status(&hs), c->status);
	if (c->reason != NULL)
		ck_assert_str_eq(ws_handshake_reason(&hs), c->reason);
	ck_assert_uint_le(used, strlen(c->resp));
	ws_handshake_free(&hs);
}
END_TEST

START_TEST(response_oversize)
{
	struct ws_handshake hs;
	char big[600];
	size_t used = 0, i;
	int rc = WS_EAGAIN;

	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 256), WS_OK);
	strcpy(big, "HTTP/1.1 101 Switching Protocols\r\nX-Pad: ");
	memset(big + strlen(big), 'a', 400);
	big[42 + 400] = '\0';
	strcat(big, "\r\n\r\n");
	rc = ws_handshake_feed(&hs, (const uint8_t *)big, strlen(big), &used);
	ck_assert_int_eq(rc, WS_EHTTP_TOOBIG);
	ck_assert_uint_eq(used, 257);
	ws_handshake_free(&hs);

	/* endless header lines, fed in small pieces, are cut off too */
	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	rc = ws_handshake_feed(&hs, (const uint8_t *)"HTTP/1.1 101 x\r\n", 16, &used);
	for (i = 0; i < 10000 && rc == WS_EAGAIN; i++)
		rc = ws_handshake_feed(&hs, (const uint8_t *)"X-A: b\r\n", 8, &used);
	ck_assert_int_eq(rc, WS_EHTTP_TOOBIG);
	ck_assert_uint_lt(i, 10000);
	ws_handshake_free(&hs);

	/* NUL bytes in the head */
	ck_assert_int_eq(ws_handshake_init(&hs, rfc_key, 0), WS_OK);
	rc = ws_handshake_feed(&hs, (const uint8_t *)"HTTP/1.1 1\0001 x\r\n", 16, &used);
	ck_assert_int_eq(rc, WS_EHTTP_SYNTAX);
	ws_handshake_free(&hs);
}
END_TEST

/* ---- encoder ----------------------------------------------------------- */

START_TEST(encode_rfc_examples)
{
	static const uint8_t masked_hello[] = {
		0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t masked_pong[] = {
		0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	uint8_t out[70000];
	uint8_t *big;
	size_t n = 0;
	static const uint8_t zero[4] = { 0, 0, 0, 0 };

	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_TEXT, 1,
	    (const uint8_t *)"Hello", 5, rfc_mask), WS_OK);
	ck_assert_uint_eq(n, sizeof(masked_hello));
	ck_assert_mem_eq(out, masked_hello, n);
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_PONG, 1,
	    (const uint8_t *)"Hello", 5, rfc_mask), WS_OK);
	ck_assert_mem_eq(out, masked_pong, n);

	/* 256 bytes: 16-bit length; 65536 bytes: 64-bit length */
	big = calloc(1, 65536);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_BINARY, 1,
	    big, 256, zero), WS_OK);
	ck_assert_uint_eq(n, 2 + 2 + 4 + 256);
	ck_assert_mem_eq(out, "\x82\xfe\x01\x00", 4);
	ck_assert_uint_eq(ws_frame_size(125), 2 + 4 + 125);
	ck_assert_uint_eq(ws_frame_size(126), 2 + 2 + 4 + 126);
	ck_assert_uint_eq(ws_frame_size(65535), 2 + 2 + 4 + 65535);
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_BINARY, 1,
	    big, 65536, zero), WS_OK);
	ck_assert_uint_eq(n, 2 + 8 + 4 + 65536);
	ck_assert_mem_eq(out, "\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	/* a non-final fragment and an empty continuation */
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_TEXT, 0,
	    (const uint8_t *)"Hel", 3, zero), WS_OK);
	ck_assert_uint_eq(out[0], 0x01);
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_CONT, 1,
	    NULL, 0, zero), WS_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(out, "\x80\x80\x00\x00\x00\x00", 6);

	/* limits */
	ck_assert_int_eq(ws_encode_frame(out, 10, &n, WS_OP_TEXT, 1,
	    (const uint8_t *)"Hello", 5, rfc_mask), WS_ENOSPC);
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_PING, 1,
	    big, 126, rfc_mask), WS_EINVAL);
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, WS_OP_PING, 0,
	    big, 1, rfc_mask), WS_EINVAL);
	ck_assert_int_eq(ws_encode_frame(out, sizeof(out), &n, (enum ws_opcode)3, 1,
	    big, 1, rfc_mask), WS_EINVAL);
	free(big);
}
END_TEST

START_TEST(encode_close)
{
	uint8_t out[200];
	char reason[130];
	size_t n = 0;
	static const uint8_t zero[4] = { 0, 0, 0, 0 };

	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 1000, "bye", 3, zero),
	    WS_OK);
	ck_assert_uint_eq(n, 6 + 5);
	ck_assert_mem_eq(out, "\x88\x85\x00\x00\x00\x00\x03\xe8" "bye", n);
	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 0, NULL, 0, zero), WS_OK);
	ck_assert_mem_eq(out, "\x88\x80\x00\x00\x00\x00", 6);
	/* masked with the RFC key, the code bytes are xored too */
	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 1002, NULL, 0, rfc_mask),
	    WS_OK);
	ck_assert_uint_eq(out[6], 0x03 ^ 0x37);
	ck_assert_uint_eq(out[7], 0xea ^ 0xfa);
	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 1005, NULL, 0, zero),
	    WS_EINVAL);
	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 0, "x", 1, zero),
	    WS_EINVAL);
	memset(reason, 'r', sizeof(reason));
	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 1000, reason, 123, zero),
	    WS_OK);
	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 1000, reason, 124, zero),
	    WS_EINVAL);
	ck_assert_int_eq(ws_encode_close(out, sizeof(out), &n, 1000, "\xff", 1, zero),
	    WS_EINVAL);
}
END_TEST

/* ---- decoder ----------------------------------------------------------- */

/* Feed everything, collecting events into a small log string. */
struct evlog {
	char	text[512];
	int	count;
	int	err;
	size_t	last_len;
	uint16_t last_code;
};

static void
log_event(struct evlog *log, const struct ws_event *ev)
{
	char item[64];

	log->count++;
	log->last_len = ev->len;
	switch (ev->type) {
	case WS_EV_MESSAGE:
		snprintf(item, sizeof(item), "%s(%.*s)",
		    ev->opcode == WS_OP_TEXT ? "text" : "bin",
		    ev->len < 20 ? (int)ev->len : 20, (const char *)ev->data);
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		snprintf(item, sizeof(item), "%s(%.*s)",
		    ev->type == WS_EV_PING ? "ping" : "pong", (int)ev->len,
		    (const char *)ev->data);
		break;
	case WS_EV_CLOSE:
	default:
		log->last_code = ev->close_code;
		snprintf(item, sizeof(item), "close(%u,%.*s)",
		    (unsigned)ev->close_code, (int)ev->reason_len,
		    ev->reason != NULL ? ev->reason : "");
		break;
	}
	strncat(log->text, item, sizeof(log->text) - strlen(log->text) - 1);
}

static void
feed_all(struct ws_decoder *d, const uint8_t *p, size_t len, size_t step,
    struct evlog *log)
{
	size_t off = 0;

	memset(log, 0, sizeof(*log));
	while (off < len) {
		size_t chunk = len - off < step ? len - off : step;
		size_t used = 0;
		struct ws_event ev;
		int rc = ws_decoder_feed(d, p + off, chunk, &used, &ev);

		ck_assert_uint_le(used, chunk);
		off += used;
		if (rc < 0) {
			log->err = rc;
			return;
		}
		if (rc == 0) {
			ck_assert_uint_eq(used, chunk);
			continue;
		}
		log_event(log, &ev);
	}
}

static void
decode_case(const void *bytes, size_t len, size_t max, const char *want,
    int want_err)
{
	static const size_t steps[] = { 1, 2, 3, 7, 100000 };
	size_t s;

	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct ws_decoder d;
		struct evlog log;

		ws_decoder_init(&d, max);
		feed_all(&d, bytes, len, steps[s], &log);
		ck_assert_msg(log.err == want_err, "step %zu: err %d (%s) want %d",
		    steps[s], log.err, ws_strerror(log.err), want_err);
		if (want != NULL)
			ck_assert_str_eq(log.text, want);
		ws_decoder_free(&d);
	}
}

#define DEC(bytes, want) decode_case(bytes, sizeof(bytes) - 1, 0, want, 0)
#define DEC_ERR(bytes, err) decode_case(bytes, sizeof(bytes) - 1, 0, NULL, err)

START_TEST(decode_rfc_examples)
{
	uint8_t *big;
	size_t i;
	struct ws_decoder d;
	struct evlog log;

	/* 5.7: single-frame unmasked text, fragmented text, unmasked ping */
	DEC("\x81\x05Hello", "text(Hello)");
	DEC("\x01\x03Hel\x80\x02lo", "text(Hello)");
	DEC("\x89\x05Hello", "ping(Hello)");
	DEC("\x8a\x05Hello", "pong(Hello)");
	/* control frames between fragments, then a second message */
	DEC("\x01\x03Hel\x89\x01p\x00\x01l\x8a\x00\x80\x01o\x82\x02hi",
	    "ping(p)pong()text(Hello)bin(hi)");
	/* empty messages and empty fragments */
	DEC("\x81\x00\x02\x00\x00\x00\x80\x00", "text()bin()");

	/* 256 bytes (16-bit length) and 64 KiB (64-bit length) binary */
	big = malloc(10 + 65536);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "\x82\x7e\x01\x00", 4);
	for (i = 0; i < 256; i++)
		big[4 + i] = (uint8_t)i;
	ws_decoder_init(&d, 0);
	feed_all(&d, big, 4 + 256, 13, &log);
	ck_assert_int_eq(log.err, 0);
	ck_assert_int_eq(log.count, 1);
	ck_assert_uint_eq(log.last_len, 256);
	ws_decoder_free(&d);
	memcpy(big, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	memset(big + 10, 'z', 65536);
	ws_decoder_init(&d, 0);
	feed_all(&d, big, 10 + 65536, 4096, &log);
	ck_assert_int_eq(log.err, 0);
	ck_assert_int_eq(log.count, 1);
	ck_assert_uint_eq(log.last_len, 65536);
	ws_decoder_free(&d);
	free(big);
}
END_TEST

START_TEST(decode_events_keep_rest)
{
	/* one feed with two messages: the first call stops after the first */
	static const uint8_t two[] = "\x81\x02" "ab" "\x81\x02" "cd";
	struct ws_decoder d;
	struct ws_event ev;
	size_t used = 0;

	ws_decoder_init(&d, 0);
	ck_assert_int_eq(ws_decoder_feed(&d, two, 8, &used, &ev), 1);
	ck_assert_uint_eq(used, 4);
	ck_assert_mem_eq(ev.data, "ab", 2);
	ck_assert_int_eq(ws_decoder_feed(&d, two + 4, 4, &used, &ev), 1);
	ck_assert_uint_eq(used, 4);
	ck_assert_mem_eq(ev.data, "cd", 2);
	ck_assert_int_eq(ws_decoder_feed(&d, NULL, 0, &used, &ev), 0);
	ws_decoder_free(&d);
}
END_TEST

START_TEST(decode_protocol_errors)
{
	/* masked server frame */
	DEC_ERR("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", WS_EMASKED);
	/* reserved bits */
	DEC_ERR("\xc1\x01x", WS_ERSV);
	DEC_ERR("\xa1\x01x", WS_ERSV);
	DEC_ERR("\x91\x01x", WS_ERSV);
	/* reserved opcodes */
	DEC_ERR("\x83\x00", WS_EOPCODE);
	DEC_ERR("\x87\x00", WS_EOPCODE);
	DEC_ERR("\x8b\x00", WS_EOPCODE);
	DEC_ERR("\x8f\x00", WS_EOPCODE);
	/* control frames: too long, fragmented; a short length written in the
	 * 16-bit form is tolerated */
	DEC_ERR("\x89\x7e\x00\x7e", WS_ECTRL_LEN);
	DEC_ERR("\x8a\x7f\x00\x00\x00\x00\x00\x01\x00\x00", WS_ECTRL_LEN);
	DEC("\x89\x7e\x00\x05Hello", "ping(Hello)");
	DEC_ERR("\x09\x01p", WS_ECTRL_FRAG);
	DEC_ERR("\x08\x00", WS_ECTRL_FRAG);
	/* continuation without start, data frame inside fragments */
	DEC_ERR("\x80\x01x", WS_ECONT);
	DEC_ERR("\x00\x01x", WS_ECONT);
	DEC_ERR("\x81\x01x\x80\x01y", WS_ECONT);
	DEC_ERR("\x01\x01x\x81\x01y", WS_ENOCONT);
	DEC_ERR("\x01\x01x\x02\x01y", WS_ENOCONT);
	/* 64-bit length with the top bit set */
	DEC_ERR("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x01", WS_ELENGTH);
	/* a huge but legal length is refused by the size limit, not allocated */
	DEC_ERR("\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff", WS_ETOOBIG);
	/* invalid UTF-8 in text, also split across fragments */
	DEC_ERR("\x81\x02\xc3\x28", WS_EUTF8);
	DEC_ERR("\x81\x03\xed\xa0\x80", WS_EUTF8);
	DEC_ERR("\x01\x01\xc3\x80\x01\x28", WS_EUTF8);
	/* binary is not checked; UTF-8 split across fragments is fine */
	DEC("\x82\x02\xc3\x28", "bin(\xc3\x28)");
	DEC("\x01\x01\xc3\x80\x01\xa9", "text(\xc3\xa9)");

	ck_assert_uint_eq(ws_err_close_code(WS_EMASKED), 1002);
	ck_assert_uint_eq(ws_err_close_code(WS_ECTRL_LEN), 1002);
	ck_assert_uint_eq(ws_err_close_code(WS_ECONT), 1002);
	ck_assert_uint_eq(ws_err_close_code(WS_EUTF8), 1007);
	ck_assert_uint_eq(ws_err_close_code(WS_ETOOBIG), 1009);
	ck_assert_uint_eq(ws_err_close_code(WS_ENOMEM), 1011);
}
END_TEST

START_TEST(decode_max_message)
{
	/* limit 16: one frame of 17, or fragments adding up to 17 */
	static const uint8_t ok16[] = "\x81\x10" "0123456789abcdef";
	static const uint8_t big17[] = "\x81\x11" "0123456789abcdefg";
	static const uint8_t frag17[] = "\x01\x08" "01234567" "\x00\x08" "89abcdef"
	    "\x80\x01" "g";
	static const uint8_t frag16[] = "\x01\x08" "01234567" "\x89\x00" "\x80\x08" "89abcdef"
	    "\x81\x10" "0123456789abcdef";

	decode_case(ok16, sizeof(ok16) - 1, 16, "text(0123456789abcdef)", 0);
	decode_case(big17, sizeof(big17) - 1, 16, NULL, WS_ETOOBIG);
	decode_case(frag17, sizeof(frag17) - 1, 16, NULL, WS_ETOOBIG);
	decode_case(frag16, sizeof(frag16) - 1, 16,
	    "ping()text(0123456789abcdef)text(0123456789abcdef)", 0);
}
END_TEST

START_TEST(decode_close)
{
	struct ws_decoder d;
	struct ws_event ev;
	size_t used = 0;

	DEC("\x88\x00", "close(1005,)");
	DEC("\x88\x02\x03\xe8", "close(1000,)");
	DEC("\x88\x07\x03\xf4" "drain", "close(1012,drain)");
	DEC("\x88\x02\x0b\xb8", "close(3000,)");
	DEC("\x88\x02\x13\x87", "close(4999,)");
	DEC_ERR("\x88\x01\x03", WS_ECLOSE_PAYLOAD);
	DEC_ERR("\x88\x02\x03\xe7", WS_ECLOSE_CODE);	/* 999 */
	DEC_ERR("\x88\x02\x03\xec", WS_ECLOSE_CODE);	/* 1004 */
	DEC_ERR("\x88\x02\x03\xed", WS_ECLOSE_CODE);	/* 1005 */
	DEC_ERR("\x88\x02\x03\xee", WS_ECLOSE_CODE);	/* 1006 */
	DEC_ERR("\x88\x02\x03\xf7", WS_ECLOSE_CODE);	/* 1015 */
	DEC_ERR("\x88\x02\x0b\xb7", WS_ECLOSE_CODE);	/* 2999 */
	DEC_ERR("\x88\x02\x13\x88", WS_ECLOSE_CODE);	/* 5000 */
	DEC_ERR("\x88\x04\x03\xe8\xc3\x28", WS_EUTF8);
	ck_assert(ws_close_code_valid(1000));
	ck_assert(!ws_close_code_valid(0));

	/* data after close is an error; the error is sticky */
	ws_decoder_init(&d, 0);
	ck_assert_int_eq(ws_decoder_feed(&d, (const uint8_t *)"\x88\x00\x81\x00", 4,
	    &used, &ev), 1);
	ck_assert_uint_eq(used, 2);
	ck_assert_int_eq(ev.type, WS_EV_CLOSE);
	ck_assert_int_eq(ws_decoder_feed(&d, (const uint8_t *)"\x81\x00", 2, &used, &ev),
	    WS_ECLOSED);
	ck_assert_int_eq(ws_decoder_feed(&d, (const uint8_t *)"\x81\x00", 2, &used, &ev),
	    WS_ECLOSED);
	ws_decoder_free(&d);
}
END_TEST

START_TEST(utf8_table)
{
	static const struct { const char *s; size_t n; int ok; } t[] = {
		{ "", 0, 1 },
		{ "plain", 5, 1 },
		{ "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, 1 },
		{ "\xf0\x9f\x98\x80", 4, 1 },
		{ "\xf4\x8f\xbf\xbf", 4, 1 },	/* U+10FFFF */
		{ "\xef\xbf\xbf", 3, 1 },	/* U+FFFF */
		{ "\xf4\x90\x80\x80", 4, 0 },	/* > U+10FFFF */
		{ "\xc0\xaf", 2, 0 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0 },
		{ "\xf0\x80\x80\xaf", 4, 0 },
		{ "\xed\xbf\xbf", 3, 0 },	/* surrogate */
		{ "\x80", 1, 0 },
		{ "\xce", 1, 0 },		/* truncated */
		{ "\xe1\xbd", 2, 0 },
		{ "\xfe", 1, 0 },
		{ "a\x00" "b", 3, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(ws_utf8_valid((const uint8_t *)t[i].s, t[i].n) == t[i].ok,
		    "utf8 case %zu", i);
}
END_TEST

/* Turn a masked client frame into the unmasked frame a server would send. */
static size_t
unmask(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t h = 2, i;
	uint8_t l7 = in[1] & 0x7f;

	if (l7 == 126)
		h += 2;
	else if (l7 == 127)
		h += 8;
	memcpy(out, in, h);
	out[1] &= 0x7f;
	for (i = 0; i < n - h - 4; i++)
		out[h + i] = in[h + 4 + i] ^ in[h + (i & 3)];
	return n - 4;
}

START_TEST(roundtrip)
{
	static const size_t lens[] = { 0, 1, 125, 126, 127, 1000, 65535, 65536, 70000 };
	uint8_t *payload = malloc(70000), *frame = malloc(70100), *plain = malloc(70100);
	uint8_t mask[4] = { 0xde, 0xad, 0xbe, 0xef };
	size_t i, k, n = 0;

	ck_assert(payload != NULL && frame != NULL && plain != NULL);
	for (k = 0; k < 70000; k++)
		payload[k] = (uint8_t)(k * 7 + 3);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct ws_decoder d;
		struct ws_event ev;
		size_t used = 0, m;

		ck_assert_int_eq(ws_encode_frame(frame, 70100, &n, WS_OP_BINARY, 1,
		    payload, lens[i], mask), WS_OK);
		ck_assert_uint_eq(n, ws_frame_size(lens[i]));
		m = unmask(frame, n, plain);
		ws_decoder_init(&d, 0);
		ck_assert_int_eq(ws_decoder_feed(&d, plain, m, &used, &ev), 1);
		ck_assert_uint_eq(used, m);
		ck_assert_int_eq(ev.type, WS_EV_MESSAGE);
		ck_assert_uint_eq(ev.len, lens[i]);
		if (lens[i] > 0)
			ck_assert_mem_eq(ev.data, payload, lens[i]);
		ws_decoder_free(&d);
	}
	free(payload);
	free(frame);
	free(plain);
}
END_TEST

static uint32_t
lcg(uint32_t *st)
{
	*st = *st * 1664525u + 1013904223u;
	return *st >> 8;
}

/*
 * Random streams (valid frames with random bytes flipped, and plain noise)
 * decode to the same events and error whether fed at once or in random
 * pieces, and never make the decoder read or write out of bounds.
 */
START_TEST(random_chunking)
{
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	uint32_t st = 12345;
	uint8_t stream[2048], frame[600], plain[600], payload[400];
	int iter, events = 0, errors = 0;

	for (iter = 0; iter < 3000; iter++) {
		size_t len = 0, k, flips;
		struct ws_decoder a, b;
		struct evlog la, lb;
		size_t off = 0;

		if (iter % 4 == 3) {
			len = lcg(&st) % sizeof(stream);
			for (k = 0; k < len; k++)
				stream[k] = (uint8_t)lcg(&st);
		} else {
			while (len < sizeof(stream) - 600) {
				static const enum ws_opcode ops[] = { WS_OP_TEXT,
				    WS_OP_BINARY, WS_OP_CONT, WS_OP_PING, WS_OP_PONG,
				    WS_OP_CLOSE };
				enum ws_opcode op = ops[lcg(&st) % 6];
				size_t pl = lcg(&st) % ((op & 8) ? 126 : 400);
				size_t n = 0;

				for (k = 0; k < pl; k++)
					payload[k] = (uint8_t)('a' + lcg(&st) % 26);
				if (op == WS_OP_CLOSE && pl >= 2) {
					payload[0] = 0x03;
					payload[1] = 0xe8;
				}
				ck_assert_int_eq(ws_encode_frame(frame, sizeof(frame), &n,
				    op, (op & 8) || lcg(&st) % 3 != 0, payload, pl, mask),
				    WS_OK);
				n = unmask(frame, n, plain);
				memcpy(stream + len, plain, n);
				len += n;
				if (lcg(&st) % 4 == 0)
					break;
			}
			flips = lcg(&st) % 3;
			for (k = 0; k < flips && len > 0; k++)
				stream[lcg(&st) % len] ^= (uint8_t)(1u << (lcg(&st) % 8));
		}

		ws_decoder_init(&a, 300);
		feed_all(&a, stream, len, len + 1, &la);

		/* the same stream in random pieces */
		ws_decoder_init(&b, 300);
		memset(&lb, 0, sizeof(lb));
		while (off < len) {
			size_t chunk = 1 + lcg(&st) % 64, used = 0;
			struct ws_event ev;
			int rc;

			if (chunk > len - off)
				chunk = len - off;
			rc = ws_decoder_feed(&b, stream + off, chunk, &used, &ev);
			ck_assert_uint_le(used, chunk);
			off += used;
			if (rc < 0) {
				lb.err = rc;
				break;
			}
			if (rc == 0)
				continue;
			if (ev.type == WS_EV_MESSAGE)
				ck_assert_uint_le(ev.len, 300);
			else
				ck_assert_uint_le(ev.len, 125);
			log_event(&lb, &ev);
		}
		ck_assert_msg(la.err == lb.err, "iter %d: err %d vs %d", iter,
		    la.err, lb.err);
		ck_assert_int_eq(la.count, lb.count);
		ck_assert_str_eq(la.text, lb.text);
		events += la.count;
		errors += la.err != 0;
		ws_decoder_free(&a);
		ws_decoder_free(&b);
	}
	/* both outcomes were exercised plenty */
	ck_assert_int_gt(events, 2000);
	ck_assert_int_gt(errors, 500);
}
END_TEST

static Suite *
ws_suite(void)
{
	Suite *s = suite_create("ws_codec");
	TCase *hs = tcase_create("handshake");
	TCase *fr = tcase_create("frames");

	tcase_add_test(hs, accept_rfc_example);
	tcase_add_test(hs, request_format);
	tcase_add_test(hs, request_extra_headers);
	tcase_add_test(hs, response_retry_after);
	tcase_add_test(hs, response_good);
	tcase_add_loop_test(hs, response_bad, 0,
	    (int)(sizeof(bad_resps) / sizeof(bad_resps[0])));
	tcase_add_test(hs, response_oversize);
	suite_add_tcase(s, hs);

	tcase_add_test(fr, encode_rfc_examples);
	tcase_add_test(fr, encode_close);
	tcase_add_test(fr, decode_rfc_examples);
	tcase_add_test(fr, decode_events_keep_rest);
	tcase_add_test(fr, decode_protocol_errors);
	tcase_add_test(fr, decode_max_message);
	tcase_add_test(fr, decode_close);
	tcase_add_test(fr, utf8_table);
	tcase_add_test(fr, roundtrip);
	tcase_add_test(fr, random_chunking);
	suite_add_tcase(s, fr);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ws_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
