/*
 * fuzz_ws.c - libFuzzer target for control/ws_codec.c: the handshake
 * response parser and the frame decoder, fed in chunks of random size.
 *
 * Input: byte 0 selects the mode (bit 0: handshake first, then the bytes
 * the handshake leaves go to the decoder; bit 1: small maximum message of
 * 64 bytes instead of 4096), byte 1 seeds the chunk sizes, the rest is the
 * server's byte stream.  The handshake key is the RFC 6455 sample nonce,
 * so a seed with "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * completes the handshake.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_codec.h"

static const uint8_t rfc_key[WS_KEY_LEN] = "the sample nonce";

struct chunker {
	uint32_t	state;
};

static size_t
chunk_next(struct chunker *c, size_t left)
{
	size_t n;

	c->state = c->state * 1103515245u + 12345u;
	switch ((c->state >> 16) & 3) {
	case 0:
		n = 1;
		break;
	case 1:
		n = 1 + ((c->state >> 8) & 7);
		break;
	case 2:
		n = 1 + ((c->state >> 4) & 127);
		break;
	default:
		n = left;
		break;
	}
	return n < left ? n : left;
}

static void
check_event(const struct ws_event *ev, size_t max_message)
{
	switch (ev->type) {
	case WS_EV_MESSAGE:
		if (ev->opcode != WS_OP_TEXT && ev->opcode != WS_OP_BINARY)
			abort();
		if (ev->len > max_message)
			abort();
		if (ev->opcode == WS_OP_TEXT && !ws_utf8_valid(ev->data, ev->len))
			abort();
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		if (ev->len > WS_CONTROL_MAX)
			abort();
		break;
	case WS_EV_CLOSE:
		if (ev->close_code != WS_CLOSE_NO_STATUS &&
		    !ws_close_code_valid(ev->close_code))
			abort();
		if (ev->reason_len > WS_CONTROL_MAX - 2)
			abort();
		if (!ws_utf8_valid((const uint8_t *)ev->reason, ev->reason_len))
			abort();
		break;
	default:
		abort();
	}
	/* touch every byte so ASan sees the whole payload */
	if (ev->len > 0) {
		volatile uint8_t sink = 0;
		size_t i;

		for (i = 0; i < ev->len; i++)
			sink ^= ev->data[i];
		(void)sink;
	}
}

static void
run_decoder(const uint8_t *p, size_t len, struct chunker *c, size_t max_message)
{
	struct ws_decoder d;
	struct ws_event ev;
	int closed = 0, failed = 0;

	ws_decoder_init(&d, max_message);
	while (len > 0) {
		size_t n = chunk_next(c, len), used = 0;
		int rc;

		rc = ws_decoder_feed(&d, p, n, &used, &ev);
		if (used > n)
			abort();
		if (rc < 0) {
			if (ws_err_close_code(rc) == 0 || ws_strerror(rc) == NULL)
				abort();
			/* sticky */
			if (ws_decoder_feed(&d, p, n, &used, &ev) != rc)
				abort();
			failed = 1;
			break;
		}
		if (closed)
			abort();	/* data after close must be an error */
		if (rc == 1) {
			check_event(&ev, max_message);
			if (ev.type == WS_EV_CLOSE)
				closed = 1;
		} else if (rc != 0 || used != n) {
			abort();	/* 0 means all input used */
		}
		p += used;
		len -= used;
	}
	(void)failed;
	ws_decoder_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunker c;
	size_t max_message;
	uint8_t mode;

	if (size < 2)
		return 0;
	mode = data[0];
	c.state = data[1];
	data += 2;
	size -= 2;
	max_message = (mode & 2) ? 64 : 4096;

	if (mode & 1) {
		struct ws_handshake hs;
		int rc = WS_EAGAIN;

		if (ws_handshake_init(&hs, rfc_key, (mode & 4) ? 256 : 0) != WS_OK)
			abort();
		while (size > 0) {
			size_t n = chunk_next(&c, size), used = 0;

			rc = ws_handshake_feed(&hs, data, n, &used);
			if (used > n)
				abort();
			data += used;
			size -= used;
			if (rc != WS_EAGAIN)
				break;
			if (used != n)
				abort();
		}
		if (ws_handshake_reason(&hs) == NULL)
			abort();
		(void)ws_handshake_status(&hs);
		if (rc != WS_EAGAIN) {
			size_t used;

			if (ws_handshake_feed(&hs, data, size, &used) != WS_EINVAL)
				abort();
		}
		if (rc == WS_OK && ws_handshake_status(&hs) != 101)
			abort();
		ws_handshake_free(&hs);
		if (rc != WS_OK)
			return 0;
	}
	run_decoder(data, size, &c, max_message);
	return 0;
}
