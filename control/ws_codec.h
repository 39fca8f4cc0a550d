/*
 * ws_codec.h - RFC 6455 WebSocket client codec, sans-IO.
 *
 * Three independent parts, none of which touches a socket or a clock:
 *
 *  - the opening handshake: ws_handshake_request() writes the HTTP/1.1
 *    upgrade request, ws_handshake_feed() parses the server's answer
 *    incrementally and checks Sec-WebSocket-Accept;
 *  - the frame encoder: client frames are always masked with a 4-byte key
 *    the caller supplies (from a CSPRNG in production, fixed in tests);
 *  - the frame decoder: bytes in, events out (message, ping, pong, close),
 *    with reassembly of fragmented messages, a maximum message size and a
 *    close code for every protocol error.
 *
 * Errors are negative values of enum ws_err; ws_err_close_code() gives the
 * close code to send for a decoder error.
 */
#ifndef FZ_WS_CODEC_H
#define FZ_WS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WS_KEY_LEN		16	/* raw Sec-WebSocket-Key bytes */
#define WS_KEY_B64_LEN		24
#define WS_ACCEPT_B64_LEN	28
#define WS_HS_MAX_HEADER	8192	/* default bound on the response head */
#define WS_MAX_MESSAGE		(1024 * 1024)	/* default maximum message */
#define WS_FRAME_MAX_HEADER	14	/* 2 + 8 extended length + 4 mask */
#define WS_CONTROL_MAX		125	/* maximum control frame payload */

enum ws_err {
	WS_OK = 0,
	WS_EAGAIN = -1,		/* handshake: need more bytes */
	WS_EINVAL = -2,		/* bad argument */
	WS_ENOMEM = -3,
	WS_ENOSPC = -4,		/* output buffer too small */
	/* handshake */
	WS_EHTTP_STATUS = -10,	/* server answered with a status other than 101 */
	WS_EHTTP_SYNTAX = -11,	/* malformed status line or header */
	WS_EHTTP_TOOBIG = -12,	/* response head larger than the limit */
	WS_EUPGRADE = -13,	/* missing or wrong Upgrade: websocket */
	WS_ECONNECTION = -14,	/* missing or wrong Connection: upgrade */
	WS_EACCEPT = -15,	/* missing, duplicate or wrong Sec-WebSocket-Accept */
	WS_EEXTENSION = -16,	/* server chose an extension or subprotocol we never offered */
	/* decoder (each maps to a close code) */
	WS_EMASKED = -20,	/* server frame with the mask bit set (1002) */
	WS_ERSV = -21,		/* RSV1..3 set without a negotiated extension (1002) */
	WS_EOPCODE = -22,	/* reserved opcode (1002) */
	WS_ECTRL_LEN = -23,	/* control frame payload over 125 bytes (1002) */
	WS_ECTRL_FRAG = -24,	/* fragmented control frame (1002) */
	WS_ECONT = -25,		/* continuation without a message in progress (1002) */
	WS_ENOCONT = -26,	/* new data frame while a message is in progress (1002) */
	WS_ELENGTH = -27,	/* 64-bit length with the top bit set (1002) */
	WS_ETOOBIG = -28,	/* message larger than the maximum (1009) */
	WS_EUTF8 = -29,		/* text message or close reason not UTF-8 (1007) */
	WS_ECLOSE_PAYLOAD = -30, /* close frame with a 1-byte payload (1002) */
	WS_ECLOSE_CODE = -31,	/* close frame with a code not allowed on the wire (1002) */
	WS_ECLOSED = -32,	/* data after the peer's close frame */
};

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* Close codes used by this codec (RFC 6455 section 7.4.1). */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,	/* never sent: "close frame had no code" */
	WS_CLOSE_ABNORMAL = 1006,	/* never sent: "no close frame at all" */
	WS_CLOSE_INVALID_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
};

/* ---- opening handshake ------------------------------------------------ */

struct ws_handshake {
	char	key_b64[WS_KEY_B64_LEN + 1];
	char	accept_b64[WS_ACCEPT_B64_LEN + 1];	/* expected answer */
	size_t	max_header;	/* bound on the response head */
	size_t	total;		/* bytes of the head seen so far */
	char	*line;		/* current line being collected */
	size_t	line_len, line_cap;
	int	got_status;
	int	done;		/* 1 after success or failure */
	int	status;		/* HTTP status code, 0 until known */
	char	reason[64];	/* reason phrase, truncated */
	int	saw_upgrade, saw_connection, saw_accept;
	int	bad_accept, bad_extension;
	long	retry_after_s;	/* Retry-After in seconds, -1 if none */
	time_t	retry_after_at;	/* Retry-After as an HTTP date, 0 if none */
};

#define WS_RETRY_AFTER_MAX 86400L	/* longer Retry-After values are cut */

/*
 * Prepare a handshake for the 16 random key bytes.  max_header bounds the
 * response head (0 selects WS_HS_MAX_HEADER).  Computes the expected
 * Sec-WebSocket-Accept.  Returns WS_OK, WS_EINVAL or WS_ENOMEM; release
 * with ws_handshake_free().
 */
int ws_handshake_init(struct ws_handshake *hs, const uint8_t key[WS_KEY_LEN],
    size_t max_header);

/* Free the line buffer; hs may be re-initialised afterwards. */
void ws_handshake_free(struct ws_handshake *hs);

/*
 * Sec-WebSocket-Accept for a base64 key: base64(SHA-1(key || GUID)).
 * out receives WS_ACCEPT_B64_LEN characters and a NUL.  Returns WS_OK or
 * WS_EINVAL.
 */
int ws_accept_for_key(const char *key_b64, char out[WS_ACCEPT_B64_LEN + 1]);

/*
 * Write the upgrade request into a malloc'd buffer (*out, NUL-terminated,
 * *out_len bytes without the NUL; the caller frees it):
 *   GET <target> HTTP/1.1, Host (with ":port" when port is not the scheme's
 *   default, IPv6 in brackets), Connection: Upgrade, Upgrade: websocket,
 *   Sec-WebSocket-Version: 13, Sec-WebSocket-Key, user-agent, then each
 *   "Name: value" of the NULL-terminated array extra (may be NULL; e.g.
 *   X-Authorization), in order.
 * No Origin, subprotocol or extension header is sent.  host has no brackets;
 * tls selects the default port (443 or 80).  target, user_agent and the
 * extra lines must not contain CR or LF.  Temporary copies are wiped (the
 * request may carry the token).  Returns WS_OK, WS_EINVAL or WS_ENOMEM.
 */
int ws_handshake_request(const struct ws_handshake *hs, const char *host,
    uint16_t port, int tls, const char *target, const char *user_agent,
    const char *const *extra, char **out, size_t *out_len);

/*
 * Feed bytes of the server's response.  *consumed is set to the number of
 * bytes used; bytes after the end of a successful response head belong to
 * the frame stream and are not consumed.  Returns:
 *   WS_EAGAIN        all bytes used, the head is not complete yet;
 *   WS_OK            101 with valid Upgrade, Connection and Accept;
 *   WS_EHTTP_STATUS  the status is not 101 (see ws_handshake_status() and
 *                    ws_handshake_retry_after(); returned once the head of
 *                    that answer is complete, the body is not read);
 *   another negative ws_err for a malformed, oversized or invalid answer.
 * After a result other than WS_EAGAIN the handshake is finished and further
 * calls return WS_EINVAL.
 */
int ws_handshake_feed(struct ws_handshake *hs, const uint8_t *data, size_t len,
    size_t *consumed);

/* The HTTP status code of the response, 0 before the status line. */
int ws_handshake_status(const struct ws_handshake *hs);

/* The reason phrase of the response (possibly empty, never NULL). */
const char *ws_handshake_reason(const struct ws_handshake *hs);

/*
 * The Retry-After of the response in seconds (an HTTP date is turned into
 * seconds from now, 0 when past), at most WS_RETRY_AFTER_MAX; -1 when the
 * response had none (or one that does not parse).
 */
long ws_handshake_retry_after(const struct ws_handshake *hs, time_t now);

/* ---- frame encoder ----------------------------------------------------- */

/* Size of a masked client frame with len payload bytes. */
size_t ws_frame_size(size_t len);

/*
 * Write one masked client frame into out (capacity cap).  fin is 0 only
 * for a non-final fragment of a data message.  Control frames must be
 * final with at most 125 bytes.  payload may be NULL when len is 0.
 * *out_len gets the frame size.  Returns WS_OK, WS_EINVAL or WS_ENOSPC.
 */
int ws_encode_frame(uint8_t *out, size_t cap, size_t *out_len,
    enum ws_opcode op, int fin, const uint8_t *payload, size_t len,
    const uint8_t mask[4]);

/*
 * Write a masked close frame.  code 0 sends an empty close frame (then
 * reason must be empty); otherwise code must be valid on the wire
 * (ws_close_code_valid) and 2 + reason_len <= 125.  Returns as
 * ws_encode_frame().
 */
int ws_encode_close(uint8_t *out, size_t cap, size_t *out_len, uint16_t code,
    const char *reason, size_t reason_len, const uint8_t mask[4]);

/* ---- frame decoder ----------------------------------------------------- */

enum ws_event_type {
	WS_EV_MESSAGE = 1,	/* complete text or binary message */
	WS_EV_PING,		/* the caller must answer with a pong, same payload */
	WS_EV_PONG,
	WS_EV_CLOSE,		/* peer's close; answer with a close, then end */
};

struct ws_event {
	enum ws_event_type	 type;
	enum ws_opcode		 opcode;	/* MESSAGE: WS_OP_TEXT or WS_OP_BINARY */
	const uint8_t		*data;		/* payload (message, ping, pong) */
	size_t			 len;
	uint16_t		 close_code;	/* CLOSE: code, or 1005 when absent */
	const char		*reason;	/* CLOSE: UTF-8 reason, not NUL-terminated */
	size_t			 reason_len;
};

struct ws_decoder {
	size_t	 max_message;
	/* frame header being collected */
	uint8_t	 hdr[WS_FRAME_MAX_HEADER];
	size_t	 hdr_have;
	/* frame payload in progress */
	int	 in_payload;
	uint8_t	 op;
	int	 fin;
	uint64_t left;
	/* control frame payload */
	uint8_t	 ctrl[WS_CONTROL_MAX];
	size_t	 ctrl_len;
	/* data message being reassembled */
	uint8_t	*msg;
	size_t	 msg_len, msg_cap;
	uint8_t	 msg_op;	/* 0 when no message is in progress */
	int	 msg_reset;	/* drop msg at the next feed (event delivered) */
	int	 closed;
	int	 err;		/* sticky error, 0 if none */
};

/* Initialise; max_message 0 selects WS_MAX_MESSAGE. */
void ws_decoder_init(struct ws_decoder *d, size_t max_message);

/* Release the reassembly buffer. */
void ws_decoder_free(struct ws_decoder *d);

/*
 * Feed bytes from the server.  Decodes until one event is complete or the
 * input is used up; *consumed tells how many bytes were used, and the
 * caller feeds the rest again.  Returns 1 with *ev filled (ev's pointers
 * stay valid until the next call or ws_decoder_free), 0 when all input was
 * used without completing an event, or a negative ws_err.  Errors are
 * sticky: the connection must be closed with ws_err_close_code(err).
 * After a close event, more data gives WS_ECLOSED.
 */
int ws_decoder_feed(struct ws_decoder *d, const uint8_t *data, size_t len,
    size_t *consumed, struct ws_event *ev);

/* The close code to send for a decoder error (1002, 1007 or 1009; 1011 otherwise). */
uint16_t ws_err_close_code(int err);

/* 1 if code may appear in a close frame on the wire (RFC 6455 7.4). */
int ws_close_code_valid(uint16_t code);

/* 1 if the len bytes are well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int ws_utf8_valid(const uint8_t *s, size_t len);

/* A constant English description of a ws_err. */
const char *ws_strerror(int err);

#endif
