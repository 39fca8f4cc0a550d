/*
 * Unit suite for control/turn: RFC 5769 vectors through libnice's
 * validation, TURN transcripts against a small fake server under a fake
 * clock (Firezone-relay style: MESSAGE-INTEGRITY on answers to signed
 * requests; coturn style: MESSAGE-INTEGRITY and FINGERPRINT), forged
 * answers (issue 19: no or a wrong MESSAGE-INTEGRITY), error paths,
 * malformed answers and ChannelData framing.
 *
 * The fake server checks our requests with its own libnice agent (long-term
 * credentials, FINGERPRINT required), so every signed request we send is
 * verified by an independent MESSAGE-INTEGRITY computation.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include "log.h"
#include "turn.h"

/* ---- RFC 5769 vectors ---------------------------------------------------- */

/* 2.1 Sample Request (short-term, FINGERPRINT) */
static const uint8_t rfc_req[] =
    "\x00\x01\x00\x58\x21\x12\xa4\x42\xb7\xe7\xa7\x01\xbc\x34\xd6\x86"
    "\xfa\x87\xdf\xae\x80\x22\x00\x10" "STUN test client"
    "\x00\x24\x00\x04\x6e\x00\x01\xff\x80\x29\x00\x08\x93\x2f\xf9\xb1"
    "\x51\x26\x3b\x36\x00\x06\x00\x09\x65\x76\x74\x6a\x3a\x68\x36\x76"
    "\x59\x20\x20\x20\x00\x08\x00\x14\x9a\xea\xa7\x0c\xbf\xd8\xcb\x56"
    "\x78\x1e\xf2\xb5\xb2\xd3\xf2\x49\xc1\xb5\x71\xa2\x80\x28\x00\x04"
    "\xe5\x7a\x3b\xcf";

/* 2.2 Sample IPv4 Response */
static const uint8_t rfc_resp4[] =
    "\x01\x01\x00\x3c\x21\x12\xa4\x42\xb7\xe7\xa7\x01\xbc\x34\xd6\x86"
    "\xfa\x87\xdf\xae\x80\x22\x00\x0b\x74\x65\x73\x74\x20\x76\x65\x63"
    "\x74\x6f\x72\x20\x00\x20\x00\x08\x00\x01\xa1\x47\xe1\x12\xa6\x43"
    "\x00\x08\x00\x14\x2b\x91\xf5\x99\xfd\x9e\x90\xc3\x8c\x74\x89\xf9"
    "\x2a\xf9\xba\x53\xf0\x6b\xe7\xd7\x80\x28\x00\x04\xc0\x7d\x4c\x96";

/* 2.3 Sample IPv6 Response */
static const uint8_t rfc_resp6[] =
    "\x01\x01\x00\x48\x21\x12\xa4\x42\xb7\xe7\xa7\x01\xbc\x34\xd6\x86"
    "\xfa\x87\xdf\xae\x80\x22\x00\x0b\x74\x65\x73\x74\x20\x76\x65\x63"
    "\x74\x6f\x72\x20\x00\x20\x00\x14\x00\x02\xa1\x47\x01\x13\xa9\xfa"
    "\xa5\xd3\xf1\x79\xbc\x25\xf4\xb5\xbe\xd2\xb9\xd9\x00\x08\x00\x14"
    "\xa3\x82\x95\x4e\x4b\xe6\x7b\xf1\x17\x84\xc9\x7c\x82\x92\xc2\x75"
    "\xbf\xe3\xed\x41\x80\x28\x00\x04\xc8\xfb\x0b\x4c";

/* 2.4 Sample Request with Long-Term Authentication (no FINGERPRINT) */
static const uint8_t rfc_req_lt[] =
    "\x00\x01\x00\x60\x21\x12\xa4\x42\x78\xad\x34\x33\xc6\xad\x72\xc0"
    "\x29\xda\x41\x2e\x00\x06\x00\x12\xe3\x83\x9e\xe3\x83\x88\xe3\x83"
    "\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9\x00\x00\x00\x15\x00\x1c"
    "\x66\x2f\x2f\x34\x39\x39\x6b\x39\x35\x34\x64\x36\x4f\x4c\x33\x34"
    "\x6f\x4c\x39\x46\x53\x54\x76\x79\x36\x34\x73\x41\x00\x14\x00\x0b"
    "\x65\x78\x61\x6d\x70\x6c\x65\x2e\x6f\x72\x67\x00\x00\x08\x00\x14"
    "\xf6\x70\x24\x65\x6d\xd6\x4a\x3e\x02\xb8\xe0\x71\x2e\x85\xc9\xa2"
    "\x8c\xa8\x96\x66";

static const char rfc_st_user[] = "evtj:h6vY";
static const char rfc_st_pass[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const char rfc_lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
static const char rfc_lt_pass[] = "TheMatrIX";	/* SASLprep("The<U+00AD>M<U+00AA>tr<U+2168>") */
static const char rfc_lt_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char rfc_lt_realm[] = "example.org";

static const uint16_t rfc_known[] = {
	STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_PRIORITY,
	STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, STUN_ATTRIBUTE_NONCE, STUN_ATTRIBUTE_REALM, 0
};

struct cred {
	const char *user;
	const char *pass;
};

static bool
cred_validater(StunAgent *agent, StunMessage *message, uint8_t *username,
    uint16_t username_len, uint8_t **password, size_t *password_len, void *user_data)
{
	const struct cred *cr = user_data;

	(void)agent;
	(void)message;
	if (username_len != strlen(cr->user) || memcmp(username, cr->user, username_len) != 0)
		return false;
	*password = (uint8_t *)cr->pass;
	*password_len = strlen(cr->pass);
	return true;
}

START_TEST(rfc5769_request_short_term)
{
	StunAgent a;
	StunMessage m;
	struct cred cr = { rfc_st_user, rfc_st_pass };
	uint8_t buf[sizeof(rfc_req)];
	size_t n = sizeof(rfc_req) - 1;

	stun_agent_init(&a, rfc_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	ck_assert_int_eq(stun_agent_validate(&a, &m, rfc_req, n, cred_validater, &cr),
	    STUN_VALIDATION_SUCCESS);
	/* a changed byte breaks the FINGERPRINT */
	memcpy(buf, rfc_req, n);
	buf[27] ^= 0x01;
	ck_assert_int_eq(stun_agent_validate(&a, &m, buf, n, cred_validater, &cr),
	    STUN_VALIDATION_BAD_REQUEST);
	/* without the FINGERPRINT check, the MESSAGE-INTEGRITY catches it */
	stun_agent_init(&a, rfc_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS);
	ck_assert_int_eq(stun_agent_validate(&a, &m, buf, n, cred_validater, &cr),
	    STUN_VALIDATION_UNAUTHORIZED);
	/* wrong password */
	cr.pass = "VOkJxbRl1RmTxUk/WvJxBT";
	ck_assert_int_eq(stun_agent_validate(&a, &m, rfc_req, n, cred_validater, &cr),
	    STUN_VALIDATION_UNAUTHORIZED);
}
END_TEST

/* The RFC pads with zero bytes (libnice pads with spaces; padding is
 * covered by MESSAGE-INTEGRITY). */
static void
put_zero_padded(StunMessage *m, StunAttribute type, const char *v)
{
	size_t n = strlen(v);
	uint8_t *p = stun_message_append(m, type, n);

	ck_assert_ptr_nonnull(p);
	memcpy(p, v, n);
	memset(p + n, 0, (4 - n % 4) % 4);
}

START_TEST(rfc5769_request_long_term)
{
	StunAgent a;
	StunMessage m;
	struct cred cr = { rfc_lt_user, rfc_lt_pass };
	uint8_t buf[sizeof(rfc_req_lt) + 32];
	size_t n = sizeof(rfc_req_lt) - 1;
	StunTransactionId id;

	stun_agent_init(&a, rfc_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
	ck_assert_int_eq(stun_agent_validate(&a, &m, rfc_req_lt, n, cred_validater, &cr),
	    STUN_VALIDATION_SUCCESS);

	/* the same key computation signs a rebuilt copy byte for byte: this
	 * is what turn.c relies on (key = MD5(user ":" realm ":" pass)) */
	memcpy(id, rfc_req_lt + 4, sizeof(id));
	m.buffer = buf;
	m.buffer_len = sizeof(buf);
	m.agent = &a;
	m.key = NULL;
	m.key_len = 0;
	m.long_term_valid = false;
	ck_assert(stun_message_init(&m, STUN_REQUEST, STUN_BINDING, id));
	put_zero_padded(&m, STUN_ATTRIBUTE_USERNAME, rfc_lt_user);
	put_zero_padded(&m, STUN_ATTRIBUTE_NONCE, rfc_lt_nonce);
	put_zero_padded(&m, STUN_ATTRIBUTE_REALM, rfc_lt_realm);
	ck_assert_uint_eq(stun_agent_finish_message(&a, &m, (const uint8_t *)rfc_lt_pass,
	    strlen(rfc_lt_pass)), n);
	ck_assert_mem_eq(buf, rfc_req_lt, n);
	stun_agent_forget_transaction(&a, id);

	/* negative: a changed byte in the USERNAME */
	memcpy(buf, rfc_req_lt, n);
	buf[30] ^= 0x01;
	cr.user = (const char *)buf + 24;	/* so the validater still finds a key */
	{
		char u[32];

		memcpy(u, buf + 24, 18);
		u[18] = '\0';
		cr.user = u;
		ck_assert_int_eq(stun_agent_validate(&a, &m, buf, n, cred_validater, &cr),
		    STUN_VALIDATION_UNAUTHORIZED);
	}
	/* negative: wrong password */
	cr.user = rfc_lt_user;
	cr.pass = "TheMatrix";
	ck_assert_int_eq(stun_agent_validate(&a, &m, rfc_req_lt, n, cred_validater, &cr),
	    STUN_VALIDATION_UNAUTHORIZED);
}
END_TEST

/* Make the agent expect a response to transaction id (key = short-term password). */
static void
expect_response(StunAgent *a, const uint8_t *vector)
{
	uint8_t buf[128];
	StunMessage m;
	StunTransactionId id;

	memcpy(id, vector + 4, sizeof(id));
	m.buffer = buf;
	m.buffer_len = sizeof(buf);
	m.agent = a;
	m.key = NULL;
	m.key_len = 0;
	m.long_term_valid = false;
	ck_assert(stun_message_init(&m, STUN_REQUEST, STUN_BINDING, id));
	ck_assert_uint_gt(stun_agent_finish_message(a, &m, (const uint8_t *)rfc_st_pass,
	    strlen(rfc_st_pass)), 0);
}

static void
check_response_vector(const uint8_t *v, size_t n, int family, const char *ip)
{
	StunAgent a;
	StunMessage m;
	uint8_t buf[128];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char txt[INET6_ADDRSTRLEN];

	stun_agent_init(&a, rfc_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	/* unknown transaction: unmatched */
	ck_assert_int_eq(stun_agent_validate(&a, &m, v, n, NULL, NULL),
	    STUN_VALIDATION_UNMATCHED_RESPONSE);
	expect_response(&a, v);
	/* a changed byte: FINGERPRINT fails, the transaction stays open */
	memcpy(buf, v, n);
	buf[27] ^= 0x01;
	ck_assert_int_eq(stun_agent_validate(&a, &m, buf, n, NULL, NULL),
	    STUN_VALIDATION_BAD_REQUEST);
	/* the vector itself: MESSAGE-INTEGRITY and FINGERPRINT verify */
	ck_assert_int_eq(stun_agent_validate(&a, &m, v, n, NULL, NULL), STUN_VALIDATION_SUCCESS);
	ck_assert_int_eq(stun_message_find_xor_addr(&m, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &ss,
	    &sl), STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_int_eq(ss.ss_family, family);
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		ck_assert_uint_eq(ntohs(s4->sin_port), 32853);
		inet_ntop(AF_INET, &s4->sin_addr, txt, sizeof(txt));
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		ck_assert_uint_eq(ntohs(s6->sin6_port), 32853);
		inet_ntop(AF_INET6, &s6->sin6_addr, txt, sizeof(txt));
	}
	ck_assert_str_eq(txt, ip);
	/* answered once: a replay is unmatched */
	ck_assert_int_eq(stun_agent_validate(&a, &m, v, n, NULL, NULL),
	    STUN_VALIDATION_UNMATCHED_RESPONSE);

	/* MESSAGE-INTEGRITY alone (FINGERPRINT not checked) catches a change */
	stun_agent_init(&a, rfc_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS);
	expect_response(&a, v);
	ck_assert_int_eq(stun_agent_validate(&a, &m, buf, n, NULL, NULL),
	    STUN_VALIDATION_UNAUTHORIZED);
}

START_TEST(rfc5769_responses)
{
	check_response_vector(rfc_resp4, sizeof(rfc_resp4) - 1, AF_INET, "192.0.2.1");
	check_response_vector(rfc_resp6, sizeof(rfc_resp6) - 1, AF_INET6,
	    "2001:db8:1234:5678:11:2233:4455:6677");
}
END_TEST

/* ---- fake server ---------------------------------------------------------- */

#define USER	"1700000000:c2FsdHNhbHRzYWx0c2FsdA"
#define PASS	"cGFzc3dvcmRwYXNzd29yZHBhc3N3b3JkcGFzc3dv"
#define SOFT	"snownet; session=TEST"

static const uint16_t srv_known[] = {
	STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_REALM,
	STUN_ATTRIBUTE_NONCE, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, STUN_ATTRIBUTE_LIFETIME,
	STUN_ATTRIBUTE_CHANNEL_NUMBER, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, 0x0017, 0
};

enum forge {
	FORGE_NONE = 0,
	FORGE_NO_MI,		/* answer to a signed request without MESSAGE-INTEGRITY */
	FORGE_BAD_MI,		/* ... with one made with another key */
};

struct fake {
	StunAgent agent;
	StunAgent agent_nofp;	/* Firezone relay style: MI, no FINGERPRINT */
	bool sign;		/* coturn style: MI + FINGERPRINT on answers */
	enum forge forge;
	char nonce[64];
	char realm[32];
	struct cred cred;
	/* last request */
	uint8_t req_buf[TURN_MSG_MAX];
	size_t req_len;
	StunMessage req;
	StunValidationStatus req_status;
	struct ipc_addr req_dst;
	/* answer being built */
	uint8_t out[1024];
	StunMessage resp;
};

static struct fake F;
static struct turn_client *C;
static uint64_t NOW;

static struct ipc_addr
mkaddr(int family, const char *ip, uint16_t port)
{
	struct ipc_addr a;

	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)family;
	a.port = port;
	ck_assert_int_eq(inet_pton(family == 4 ? AF_INET : AF_INET6, ip, a.addr), 1);
	return a;
}

static struct ipc_addr SRV4, SRV6, LOCAL4, PEER1, PEER2, PEER6;

/* A request kept aside while another one is answered. */
struct saved {
	uint8_t buf[TURN_MSG_MAX];
	size_t len;
	StunMessage msg;
	StunValidationStatus st;
	struct ipc_addr dst;
};
static struct saved S4, SA;

static void
save_req(struct saved *s)
{
	memcpy(s->buf, F.req_buf, F.req_len);
	s->len = F.req_len;
	s->msg = F.req;
	s->st = F.req_status;
	s->dst = F.req_dst;
}

static void
restore_req(const struct saved *s)
{
	memcpy(F.req_buf, s->buf, s->len);
	F.req_len = s->len;
	F.req = s->msg;
	F.req.buffer = F.req_buf;
	F.req_status = s->st;
	F.req_dst = s->dst;
}

static void
fake_init(bool sign)
{
	memset(&F, 0, sizeof(F));
	stun_agent_init(&F.agent, srv_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	stun_agent_init(&F.agent_nofp, srv_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
	F.sign = sign;
	strcpy(F.nonce, "3e4c1a2b-0000-4000-8000-00000000000a");
	strcpy(F.realm, "firezone");
	F.cred.user = USER;
	F.cred.pass = PASS;
}

static void
setup(void)
{
	SRV4 = mkaddr(4, "203.0.113.7", 3478);
	SRV6 = mkaddr(6, "2001:db8::7", 3478);
	LOCAL4 = mkaddr(4, "192.0.2.10", 40000);
	PEER1 = mkaddr(4, "198.51.100.1", 5001);
	PEER2 = mkaddr(4, "198.51.100.2", 5002);
	PEER6 = mkaddr(6, "2001:db8:1::1", 5006);
	NOW = 1000000;
	fake_init(false);
	C = turn_client_new();
	ck_assert_ptr_nonnull(C);
}

static void
teardown(void)
{
	turn_client_free(C);
	C = NULL;
}

static uint32_t KEEPALIVE;	/* turn_config.keepalive_ms of the next start() */

static void
start(int n_server)
{
	struct turn_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.server[0] = SRV4;
	cfg.server[1] = SRV6;
	cfg.n_server = (size_t)n_server;
	cfg.username = USER;
	cfg.password = PASS;
	cfg.realm = "firezone";
	cfg.software = SOFT;
	cfg.keepalive_ms = KEEPALIVE;
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_OK);
}

/* Take the next transmit into F.req and validate it as the server would. */
static void
take(void)
{
	struct turn_transmit tx;

	ck_assert_msg(turn_client_poll_transmit(C, &tx) == 1, "expected a datagram");
	ck_assert_uint_le(tx.len, sizeof(F.req_buf));
	memcpy(F.req_buf, tx.data, tx.len);
	F.req_len = tx.len;
	F.req_dst = tx.dst;
	F.req_status = stun_agent_validate(&F.agent, &F.req, F.req_buf, F.req_len,
	    cred_validater, &F.cred);
	ck_assert_msg(F.req_status == STUN_VALIDATION_SUCCESS ||
	    F.req_status == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST,
	    "server-side validation: %d", F.req_status);
	/* every request carries FINGERPRINT (checked by the agent) and SOFTWARE */
	ck_assert(stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_FINGERPRINT));
	ck_assert(stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_SOFTWARE));
}

static void
no_tx(void)
{
	struct turn_transmit tx;

	ck_assert_int_eq(turn_client_poll_transmit(C, &tx), 0);
}

static bool
req_signed(void)
{
	return F.req_status == STUN_VALIDATION_SUCCESS &&
	    stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
}

static void
expect_req(StunMethod method, bool authed)
{
	ck_assert_int_eq(stun_message_get_class(&F.req), STUN_REQUEST);
	ck_assert_int_eq(stun_message_get_method(&F.req), method);
	if (authed) {
		char nonce[128];

		ck_assert_msg(req_signed(), "request not signed");
		ck_assert_int_eq(stun_message_find_string(&F.req, STUN_ATTRIBUTE_NONCE, nonce,
		    sizeof(nonce)), STUN_MESSAGE_RETURN_SUCCESS);
		ck_assert_str_eq(nonce, F.nonce);
	} else {
		ck_assert(!stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_MESSAGE_INTEGRITY));
		ck_assert(!stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_USERNAME));
	}
}

static void
begin_ok(void)
{
	ck_assert(stun_agent_init_response(&F.agent, &F.resp, F.out, sizeof(F.out), &F.req));
}

static void
begin_err(int code)
{
	ck_assert(stun_agent_init_error(&F.agent, &F.resp, F.out, sizeof(F.out), &F.req,
	    (StunError)code));
}

static void
put_xor(uint16_t type, const struct ipc_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	memset(&ss, 0, sizeof(ss));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		sl = sizeof(*s6);
	}
	ck_assert_int_eq(stun_message_append_xor_addr(&F.resp, (StunAttribute)type, &ss, sl),
	    STUN_MESSAGE_RETURN_SUCCESS);
}

static void
put32(uint16_t type, uint32_t v)
{
	ck_assert_int_eq(stun_message_append32(&F.resp, (StunAttribute)type, v),
	    STUN_MESSAGE_RETURN_SUCCESS);
}

static void
put_str(uint16_t type, const char *s)
{
	ck_assert_int_eq(stun_message_append_bytes(&F.resp, (StunAttribute)type, s, strlen(s)),
	    STUN_MESSAGE_RETURN_SUCCESS);
}

/*
 * Both relays sign their answers to signed requests with the request's
 * long-term key (coturn adds FINGERPRINT); F.forge makes a forged one.
 */
static size_t
finish_resp(void)
{
	if (!req_signed() || F.forge == FORGE_NO_MI)
		return stun_message_length(&F.resp);
	if (F.forge == FORGE_BAD_MI) {
		/* a valid-looking MESSAGE-INTEGRITY under another key (and a
		 * FINGERPRINT that matches it) */
		memset(F.resp.long_term_key, 0x5a, sizeof(F.resp.long_term_key));
		F.resp.long_term_valid = true;
	}
	return stun_agent_finish_message(F.sign ? &F.agent : &F.agent_nofp, &F.resp, NULL, 0);
}

static int
deliver_from(const struct ipc_addr *from, size_t len)
{
	return turn_client_input(C, NOW, from, &LOCAL4, F.out, len);
}

static int
deliver(void)
{
	size_t len = finish_resp();

	ck_assert_uint_gt(len, 0);
	return deliver_from(&F.req_dst, len);
}

static void
answer_error(int code, bool with_nonce)
{
	begin_err(code);
	if (with_nonce) {
		put_str(STUN_ATTRIBUTE_REALM, F.realm);
		put_str(STUN_ATTRIBUTE_NONCE, F.nonce);
	}
	ck_assert_int_eq(deliver(), TURN_OK);
}

static void
answer_binding(const struct ipc_addr *mapped)
{
	expect_req(STUN_BINDING, false);
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, mapped);
	ck_assert_int_eq(deliver(), TURN_OK);
}

static struct turn_event
event(enum turn_event_type want)
{
	struct turn_event ev;

	ck_assert_msg(turn_client_poll_event(C, &ev) == 1, "expected event %d", want);
	ck_assert_msg(ev.type == want, "event %d, wanted %d", ev.type, want);
	return ev;
}

static void
no_event(void)
{
	struct turn_event ev;

	ck_assert_msg(turn_client_poll_event(C, &ev) == 0, "unexpected event %d", ev.type);
}

static void
advance(uint64_t to)
{
	NOW = to;
	turn_client_timeout(C, NOW);
}

static uint16_t RELAY_PORT = 50000;
static uint32_t ALLOC_LIFETIME = 600;

/* Allocate request -> challenge -> signed Allocate -> success. */
static void
allocate_flow(bool dual)
{
	struct turn_event ev;
	StunTransactionId first, second;
	uint32_t v;

	take();
	expect_req(STUN_ALLOCATE, false);
	ck_assert_int_eq(stun_message_find32(&F.req, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(v, 0x11000000u);
	ck_assert_int_eq(stun_message_find32(&F.req, (StunAttribute)0x8000, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(v, 0x02000000u);
	ck_assert(!stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_LIFETIME));
	ck_assert(!stun_message_has_attribute(&F.req, (StunAttribute)0x0017));
	stun_message_id(&F.req, first);
	answer_error(401, true);
	no_event();

	take();
	expect_req(STUN_ALLOCATE, true);
	stun_message_id(&F.req, second);
	ck_assert(memcmp(first, second, sizeof(first)) != 0);
	ck_assert_int_eq(stun_message_find32(&F.req, (StunAttribute)0x8000, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	begin_ok();
	{
		struct ipc_addr r4 = mkaddr(4, "203.0.113.7", RELAY_PORT);
		struct ipc_addr r6 = mkaddr(6, "2001:db8::7", RELAY_PORT);

		put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &r4);
		if (dual)
			put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &r6);
		put_xor(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &LOCAL4);
		put32(STUN_ATTRIBUTE_LIFETIME, ALLOC_LIFETIME);
		ck_assert_int_eq(deliver(), TURN_OK);
		ev = event(TURN_EV_ALLOCATED);
		ck_assert(ev.has_relayed4);
		ck_assert(!memcmp(&ev.relayed4, &r4, sizeof(r4)));
		ck_assert_int_eq(ev.has_relayed6, dual);
		if (dual)
			ck_assert(!memcmp(&ev.relayed6, &r6, sizeof(r6)));
		ck_assert_uint_eq(ev.lifetime_s, ALLOC_LIFETIME);
	}
	ck_assert_int_eq(turn_client_state(C), TURN_S_ALLOCATED);
}

/* Start, answer the IPv4 Binding, allocate. */
static void
up(bool sign, bool dual)
{
	struct turn_event ev;

	F.sign = sign;
	start(1);
	take();
	ck_assert(!memcmp(&F.req_dst, &SRV4, sizeof(SRV4)));
	answer_binding(&LOCAL4);
	ev = event(TURN_EV_SRFLX);
	ck_assert(!memcmp(&ev.addr, &LOCAL4, sizeof(LOCAL4)));
	allocate_flow(dual);
}

static uint16_t
bind_ok(const struct ipc_addr *peer, uint16_t want)
{
	struct turn_event ev;
	uint32_t v;
	int ch = turn_client_bind_channel(C, NOW, peer);

	ck_assert_int_eq(ch, want);
	take();
	expect_req(STUN_CHANNELBIND, true);
	ck_assert_int_eq(stun_message_find32(&F.req, STUN_ATTRIBUTE_CHANNEL_NUMBER, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(v, (uint32_t)want << 16);
	{
		/* libnice decodes the peer we asked for (IPv6 XORs with the id too) */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		ck_assert_int_eq(stun_message_find_xor_addr(&F.req, STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
		    &ss, &sl), STUN_MESSAGE_RETURN_SUCCESS);
		if (peer->family == 4) {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

			ck_assert_int_eq(s4->sin_family, AF_INET);
			ck_assert_uint_eq(ntohs(s4->sin_port), peer->port);
			ck_assert_mem_eq(&s4->sin_addr, peer->addr, 4);
		} else {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

			ck_assert_int_eq(s6->sin6_family, AF_INET6);
			ck_assert_uint_eq(ntohs(s6->sin6_port), peer->port);
			ck_assert_mem_eq(&s6->sin6_addr, peer->addr, 16);
		}
	}
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_CHANNEL_BOUND);
	ck_assert_uint_eq(ev.channel, want);
	ck_assert(!memcmp(&ev.addr, peer, sizeof(*peer)));
	ck_assert_uint_eq(turn_client_channel_of(C, peer), want);
	return (uint16_t)ch;
}

/* ---- transcripts ---------------------------------------------------------- */

START_TEST(transcript_firezone_relay)
{
	struct turn_event ev;
	struct ipc_addr got;
	uint64_t t0, bound_at;
	uint32_t v;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	/* two server addresses: a Binding to each */
	start(2);
	take();
	ck_assert(!memcmp(&F.req_dst, &SRV4, sizeof(SRV4)));
	save_req(&S4);
	take();
	ck_assert(!memcmp(&F.req_dst, &SRV6, sizeof(SRV6)));
	no_tx();
	/* the IPv6 one answers first: it becomes the active server */
	answer_binding(&(struct ipc_addr){ .family = 6, .port = 41000,
	    .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 } });
	ev = event(TURN_EV_SRFLX);
	ck_assert_uint_eq(ev.addr.family, 6);
	ck_assert(!memcmp(&ev.server, &SRV6, sizeof(SRV6)));
	ck_assert(turn_client_active_server(C, &got));
	ck_assert(!memcmp(&got, &SRV6, sizeof(SRV6)));
	take();	/* the Allocate goes to the active (IPv6) server */
	ck_assert(!memcmp(&F.req_dst, &SRV6, sizeof(SRV6)));
	save_req(&SA);
	/* the IPv4 answer comes later: srflx only */
	restore_req(&S4);
	answer_binding(&LOCAL4);
	ev = event(TURN_EV_SRFLX);
	ck_assert(!memcmp(&ev.addr, &LOCAL4, sizeof(LOCAL4)));
	ck_assert(!memcmp(&ev.local, &LOCAL4, sizeof(LOCAL4)));
	ck_assert(!memcmp(&ev.server, &SRV4, sizeof(SRV4)));
	no_tx();
	restore_req(&SA);
	expect_req(STUN_ALLOCATE, false);
	answer_error(401, true);
	take();
	expect_req(STUN_ALLOCATE, true);
	begin_ok();
	{
		struct ipc_addr r4 = mkaddr(4, "203.0.113.7", 50001);
		struct ipc_addr r6 = mkaddr(6, "2001:db8::7", 50001);

		put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &r6);	/* order does not matter */
		put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &r4);
		put32(STUN_ATTRIBUTE_LIFETIME, 600);
		ck_assert_int_eq(deliver(), TURN_OK);
		ev = event(TURN_EV_ALLOCATED);
		ck_assert(ev.has_relayed4 && ev.has_relayed6);
		ck_assert(!memcmp(&ev.relayed4, &r4, sizeof(r4)));
		ck_assert(!memcmp(&ev.relayed6, &r6, sizeof(r6)));
		ck_assert(!ev.has_mapped);
		ck_assert(turn_client_relayed(C, 6, &got));
		ck_assert(!memcmp(&got, &r6, sizeof(r6)));
	}
	t0 = NOW;
	ck_assert_uint_eq(turn_client_next_deadline(C), t0 + 300000);

	/* a channel to an IPv4 and an IPv6 peer */
	NOW += 10;
	bound_at = NOW;
	bind_ok(&PEER1, 0x4000);
	ck_assert_int_eq(stun_message_find_xor_addr(&F.req, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &ss,
	    &sl), STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), PEER1.port);
	bind_ok(&PEER6, 0x4001);
	ck_assert(turn_client_peer_of(C, 0x4001, &got));
	ck_assert(!memcmp(&got, &PEER6, sizeof(PEER6)));
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), 0x4000);	/* no duplicate */
	no_tx();
	ck_assert_uint_eq(turn_client_next_deadline(C), bound_at + TURN_CHANNEL_REBIND_MS);

	/* channel re-bind at 4 min: same number, same peer, silent success */
	advance(bound_at + TURN_CHANNEL_REBIND_MS);
	take();
	expect_req(STUN_CHANNELBIND, true);
	ck_assert_int_eq(stun_message_find32(&F.req, STUN_ATTRIBUTE_CHANNEL_NUMBER, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(v, 0x40000000u);
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	take();
	expect_req(STUN_CHANNELBIND, true);
	/* the relay rotated its nonce: 438, re-sent with the new one */
	strcpy(F.nonce, "3e4c1a2b-0000-4000-8000-00000000000b");
	answer_error(438, true);
	take();
	expect_req(STUN_CHANNELBIND, true);
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	no_event();

	/* allocation refresh at half the lifetime: credentials only (9.3) */
	advance(t0 + 300000);
	take();
	expect_req(STUN_REFRESH, true);
	ck_assert(!stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_LIFETIME));
	ck_assert(!stun_message_has_attribute(&F.req, STUN_ATTRIBUTE_REQUESTED_TRANSPORT));
	ck_assert(!stun_message_has_attribute(&F.req, (StunAttribute)0x8000));
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
	ck_assert_int_eq(deliver(), TURN_OK);
	no_event();
	ck_assert_uint_eq(turn_client_next_deadline(C), bound_at + 2 * TURN_CHANNEL_REBIND_MS);
	advance(bound_at + 2 * TURN_CHANNEL_REBIND_MS);
	take();
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	take();
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_uint_eq(turn_client_next_deadline(C), t0 + 600000);

	/* the next Refresh meets 437: the allocation is gone, allocate again */
	advance(t0 + 600000);
	take();
	expect_req(STUN_REFRESH, true);
	answer_error(437, false);
	ev = event(TURN_EV_ALLOCATION_LOST);
	ck_assert_int_eq(ev.reason, TURN_REASON_MISMATCH);
	ck_assert_uint_eq(ev.error_code, 437);
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER1), 0);
	ck_assert(!turn_client_relayed(C, 4, &got));
	take();
	expect_req(STUN_ALLOCATE, true);
	/* ... which meets 437 too (stale allocation): delete, then allocate */
	answer_error(437, false);
	take();
	expect_req(STUN_REFRESH, true);
	ck_assert_int_eq(stun_message_find32(&F.req, STUN_ATTRIBUTE_LIFETIME, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(v, 0);
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 0);
	ck_assert_int_eq(deliver(), TURN_OK);
	take();
	expect_req(STUN_ALLOCATE, true);
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 50002, .addr = { 203, 0, 113, 7 } });
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_ALLOCATED);
	ck_assert(ev.has_relayed4 && !ev.has_relayed6);
	/* only IPv4 this time: an IPv6 peer is refused */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER6), TURN_ERR_FAMILY);
	/* numbers start over with the new allocation */
	bind_ok(&PEER2, 0x4000);

	/* 437 on a ChannelBind: re-allocate and re-queue that binding */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), 0x4001);
	take();
	expect_req(STUN_CHANNELBIND, true);
	answer_error(437, false);
	ev = event(TURN_EV_ALLOCATION_LOST);
	ck_assert_int_eq(ev.reason, TURN_REASON_MISMATCH);
	take();
	expect_req(STUN_ALLOCATE, true);
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 50003, .addr = { 203, 0, 113, 7 } });
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
	ck_assert_int_eq(deliver(), TURN_OK);
	event(TURN_EV_ALLOCATED);
	take();
	expect_req(STUN_CHANNELBIND, true);
	ck_assert_int_eq(stun_message_find32(&F.req, STUN_ATTRIBUTE_CHANNEL_NUMBER, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(v, 0x40000000u);
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_CHANNEL_BOUND);
	ck_assert(!memcmp(&ev.addr, &PEER1, sizeof(PEER1)));

	/* the relay goes silent: Refresh retransmitted at 1, 2.5, 4.75 s with
	 * the same bytes, given up at 8 s (today; was 8.125 s): allocation lost, relay failed */
	t0 = NOW;
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	expect_req(STUN_REFRESH, true);
	{
		uint8_t first[TURN_MSG_MAX];
		size_t n = F.req_len;
		static const uint64_t at[] = { 1000, 2500, 4750 };

		memcpy(first, F.req_buf, n);
		for (size_t k = 0; k < 3; k++) {
			ck_assert_uint_eq(turn_client_next_deadline(C), t0 + at[k]);
			advance(t0 + at[k] - 1);
			no_tx();
			advance(t0 + at[k]);
			take();
			ck_assert_uint_eq(F.req_len, n);
			ck_assert_mem_eq(F.req_buf, first, n);
			no_tx();
		}
		ck_assert_uint_eq(turn_client_next_deadline(C), t0 + 8000);
		advance(t0 + 7999);
		no_event();
		advance(t0 + 8000);
	}
	ev = event(TURN_EV_ALLOCATION_LOST);
	ck_assert_int_eq(ev.reason, TURN_REASON_TIMEOUT);
	ev = event(TURN_EV_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_TIMEOUT);
	ck_assert_int_eq(turn_client_state(C), TURN_S_FAILED);
	no_tx();
	ck_assert_uint_eq(turn_client_next_deadline(C), UINT64_MAX);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), TURN_ERR_STATE);
}
END_TEST

START_TEST(transcript_coturn_style_signed_answers)
{
	struct turn_event ev;
	size_t len;

	up(true, false);
	/* a signed answer whose MESSAGE-INTEGRITY is wrong is dropped, the
	 * transaction stays open and the genuine answer is taken */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), 0x4000);
	take();
	expect_req(STUN_CHANNELBIND, true);
	begin_ok();
	len = finish_resp();
	ck_assert(stun_message_has_attribute(&F.resp, STUN_ATTRIBUTE_MESSAGE_INTEGRITY));
	{
		uint8_t bad[1024];
		uint16_t mlen;
		uint8_t *mi = (uint8_t *)stun_message_find(&F.resp,
		    STUN_ATTRIBUTE_MESSAGE_INTEGRITY, &mlen);
		size_t off = (size_t)(mi - F.out);

		memcpy(bad, F.out, len);
		bad[off] ^= 0x80;
		/* FINGERPRINT covers the MI: fix it so only the MI is wrong */
		{
			StunMessage fm = { .buffer = bad, .buffer_len = len };
			uint16_t flen;
			uint8_t *fp = (uint8_t *)stun_message_find(&fm, STUN_ATTRIBUTE_FINGERPRINT,
			    &flen);

			ck_assert_ptr_nonnull(fp);
			/* first: the FINGERPRINT check fails */
			ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, bad, len),
			    TURN_ERR_INTEGRITY);
			/* without FINGERPRINT: the MESSAGE-INTEGRITY check fails */
			bad[3] = (uint8_t)(bad[3] - 8);
			ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, bad, len - 8),
			    TURN_ERR_INTEGRITY);
		}
	}
	no_event();
	ck_assert_int_eq(deliver_from(&SRV4, len), TURN_OK);
	ev = event(TURN_EV_CHANNEL_BOUND);
	ck_assert_uint_eq(ev.channel, 0x4000);

	/* stop: delete with LIFETIME 0 (signed), then stopped */
	turn_client_stop(C, NOW);
	ev = event(TURN_EV_ALLOCATION_LOST);
	ck_assert_int_eq(ev.reason, TURN_REASON_STOPPED);
	take();
	expect_req(STUN_REFRESH, true);
	{
		uint32_t v;

		ck_assert_int_eq(stun_message_find32(&F.req, STUN_ATTRIBUTE_LIFETIME, &v),
		    STUN_MESSAGE_RETURN_SUCCESS);
		ck_assert_uint_eq(v, 0);
	}
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 0);
	ck_assert_int_eq(deliver(), TURN_OK);
	event(TURN_EV_STOPPED);
	ck_assert_int_eq(turn_client_state(C), TURN_S_STOPPED);
	no_tx();
}
END_TEST

START_TEST(binding_timeout_gives_up)
{
	struct turn_event ev;
	uint8_t first[TURN_MSG_MAX];
	size_t n;
	static const uint64_t at[] = { 1000, 2500, 4750 };
	uint64_t t0 = NOW;

	start(1);
	take();
	expect_req(STUN_BINDING, false);
	n = F.req_len;
	memcpy(first, F.req_buf, n);
	for (size_t k = 0; k < 3; k++) {
		advance(t0 + at[k]);
		take();
		/* Binding retransmissions repeat the same transaction */
		ck_assert_mem_eq(F.req_buf, first, n);
	}
	/* given up 8 s after the first send, with no fourth retransmission */
	ck_assert_uint_eq(turn_client_next_deadline(C), t0 + 8000);
	advance(t0 + 7999);
	no_tx();
	no_event();
	advance(t0 + 8000);
	no_tx();
	ev = event(TURN_EV_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_TIMEOUT);
	no_event();
	/* stop after failure: just STOPPED */
	turn_client_stop(C, NOW);
	event(TURN_EV_STOPPED);
}
END_TEST

START_TEST(credentials_rejected_and_realm)
{
	struct turn_event ev;

	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	answer_error(401, true);
	take();
	expect_req(STUN_ALLOCATE, true);
	/* 401 although we sent a NONCE: credentials expired -> relay failed */
	answer_error(401, true);
	ev = event(TURN_EV_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_CREDENTIALS);
	ck_assert_uint_eq(ev.error_code, 401);
	no_tx();

	/* a challenge for another realm is refused */
	turn_client_free(C);
	C = turn_client_new();
	fake_init(false);
	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	strcpy(F.realm, "elsewhere");
	answer_error(401, true);
	ev = event(TURN_EV_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_REALM);
	no_tx();

	/* 438 forever: bounded */
	turn_client_free(C);
	C = turn_client_new();
	fake_init(false);
	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	answer_error(401, true);
	for (int k = 0; k < 3; k++) {
		take();
		answer_error(438, true);
	}
	ev = event(TURN_EV_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_CHALLENGE_LOOP);
}
END_TEST

static void
allocate_error_case(int code, enum turn_reason want)
{
	struct turn_event ev;

	teardown();
	setup();
	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	/* buffered channel requests before the allocation */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), 0x4000);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER2), 0x4001);
	take();
	answer_error(401, true);
	take();
	answer_error(code, false);
	ev = event(TURN_EV_CHANNEL_FAILED);
	ck_assert(!memcmp(&ev.addr, &PEER1, sizeof(PEER1)));
	ev = event(TURN_EV_CHANNEL_FAILED);
	ck_assert(!memcmp(&ev.addr, &PEER2, sizeof(PEER2)));
	ev = event(TURN_EV_ALLOCATE_FAILED);
	ck_assert_int_eq(ev.reason, want);
	ck_assert_uint_eq(ev.error_code, (unsigned)code);
	ck_assert_int_eq(turn_client_state(C), TURN_S_SUSPENDED);
	no_tx();
	ck_assert_uint_eq(turn_client_next_deadline(C), UINT64_MAX);
	/* section 3.9 refresh of a suspended relay: Binding again */
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	expect_req(STUN_BINDING, false);
	ck_assert_int_eq(turn_client_state(C), TURN_S_BINDING);
}

START_TEST(allocate_errors_mapped)
{
	allocate_error_case(508, TURN_REASON_CAPACITY);
	allocate_error_case(486, TURN_REASON_QUOTA);
	allocate_error_case(403, TURN_REASON_FORBIDDEN);
	allocate_error_case(400, TURN_REASON_BAD_REQUEST);
	allocate_error_case(500, TURN_REASON_SERVER_ERROR);
	allocate_error_case(442, TURN_REASON_UNSUPPORTED_TRANSPORT);
}
END_TEST

START_TEST(allocate_440_falls_back_to_one_family)
{
	start(2);
	take();
	take();
	/* the IPv6 server answers: after 440 it asks for IPv6 only */
	answer_binding(&(struct ipc_addr){ .family = 6, .port = 1, .addr = { 0x20, 1 } });
	event(TURN_EV_SRFLX);
	take();
	answer_error(401, true);
	take();
	answer_error(440, false);
	take();
	expect_req(STUN_ALLOCATE, true);
	ck_assert(!stun_message_has_attribute(&F.req, (StunAttribute)0x8000));
	{
		uint32_t v;

		ck_assert_int_eq(stun_message_find32(&F.req, (StunAttribute)0x0017, &v),
		    STUN_MESSAGE_RETURN_SUCCESS);
		ck_assert_uint_eq(v, 0x02000000u);
	}
	answer_error(440, false);
	ck_assert_int_eq(event(TURN_EV_ALLOCATE_FAILED).reason, TURN_REASON_FAMILY);
}
END_TEST

/* Issue 15: while allocated, a STUN Binding goes to the relay every 25 s
 * (upstream #7819); its answer is one more srflx report, and a lost one
 * does not cost the allocation. */
START_TEST(keepalive_binding_every_25s)
{
	struct turn_transmit tx;
	struct turn_event ev;
	uint64_t t0, t;

	KEEPALIVE = TURN_KEEPALIVE_MS;
	up(false, false);
	t0 = NOW;
	ck_assert_uint_eq(turn_client_next_deadline(C), t0 + TURN_KEEPALIVE_MS);
	advance(t0 + TURN_KEEPALIVE_MS - 1);
	no_tx();
	advance(t0 + TURN_KEEPALIVE_MS);
	take();
	ck_assert(!memcmp(&F.req_dst, &SRV4, sizeof(SRV4)));
	answer_binding(&LOCAL4);
	ev = event(TURN_EV_SRFLX);
	ck_assert(!memcmp(&ev.addr, &LOCAL4, sizeof(LOCAL4)));
	ck_assert_int_eq(turn_client_state(C), TURN_S_ALLOCATED);
	/* The next one 25 s later; unanswered, it changes nothing. */
	advance(t0 + 2 * TURN_KEEPALIVE_MS);
	take();
	expect_req(STUN_BINDING, false);
	for (t = NOW; t < t0 + 2 * TURN_KEEPALIVE_MS + 20000; t += 250) {
		advance(t);
		while (turn_client_poll_transmit(C, &tx) == 1)
			;
	}
	no_event();
	ck_assert_int_eq(turn_client_state(C), TURN_S_ALLOCATED);
	KEEPALIVE = 0;
}
END_TEST

START_TEST(refresh_deleted_and_local_expiry)
{
	struct turn_event ev;

	up(false, true);
	/* the server says LIFETIME 0 on a Refresh: allocate again at once */
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 0);
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_ALLOCATION_LOST);
	ck_assert_int_eq(ev.reason, TURN_REASON_DELETED);
	take();
	expect_req(STUN_ALLOCATE, true);
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 50009, .addr = { 203, 0, 113, 7 } });
	put32(STUN_ATTRIBUTE_LIFETIME, 20);
	ck_assert_int_eq(deliver(), TURN_OK);
	event(TURN_EV_ALLOCATED);
	/* Refresh errors (500) are retried; the allocation expires locally */
	{
		uint64_t t0 = NOW;

		advance(t0 + 10000);
		take();
		expect_req(STUN_REFRESH, true);
		answer_error(500, false);
		no_event();
		advance(t0 + 20000);
		ev = event(TURN_EV_ALLOCATION_LOST);
		ck_assert_int_eq(ev.reason, TURN_REASON_EXPIRED);
		ck_assert_int_eq(turn_client_state(C), TURN_S_SUSPENDED);
	}
	/* a Refresh answer without LIFETIME is not taken */
}
END_TEST

START_TEST(channel_numbers)
{
	struct turn_event ev;
	struct ipc_addr p;
	int i;

	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	/* buffered before the allocation, at most TURN_PENDING_MAX */
	for (i = 0; i < TURN_PENDING_MAX; i++) {
		p = mkaddr(4, "198.51.100.9", (uint16_t)(1000 + i));
		ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), 0x4000 + i);
	}
	p = mkaddr(4, "198.51.100.9", 999);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), TURN_ERR_FULL);
	/* a duplicate is not buffered twice */
	p = mkaddr(4, "198.51.100.9", 1000);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), 0x4000);
	/* release one while buffered: its number is free again (never sent) */
	p = mkaddr(4, "198.51.100.9", 1099);
	ck_assert_int_eq(turn_client_release_channel(C, NOW, &p), TURN_OK);
	ck_assert_int_eq(turn_client_release_channel(C, NOW, &p), TURN_ERR_INVAL);
	p = mkaddr(6, "2001:db8:1::9", 1);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), 0x4000 + 100);

	take();
	answer_error(401, true);
	take();
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 50010, .addr = { 203, 0, 113, 7 } });
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
	ck_assert_int_eq(deliver(), TURN_OK);
	event(TURN_EV_ALLOCATED);
	/* the IPv6 request cannot be served by an IPv4-only allocation */
	ev = event(TURN_EV_CHANNEL_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_FAMILY);
	ck_assert_uint_eq(ev.channel, 0x4000 + 100);
	/* 99 binds flushed, at most TURN_TXN_MAX - 4 at once */
	for (i = 0; i < TURN_TXN_MAX - 4; i++) {
		take();
		expect_req(STUN_CHANNELBIND, true);
	}
	no_tx();
	/* each answer lets one more out */
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_CHANNEL_BOUND);
	ck_assert_uint_eq(ev.channel, 0x4000 + TURN_TXN_MAX - 5);
	take();
	expect_req(STUN_CHANNELBIND, true);
	/* an error response forgets that channel only */
	answer_error(400, false);
	ev = event(TURN_EV_CHANNEL_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_BAD_REQUEST);
	take();
	/* ChannelBinds that are never answered: channels failed, not the relay */
	{
		uint64_t t0 = NOW;

		advance(t0 + 1000);
		advance(t0 + 2500);
		advance(t0 + 4750);
		advance(t0 + 8000);
	}
	for (i = 0; i < TURN_TXN_MAX - 4; i++) {
		ev = event(TURN_EV_CHANNEL_FAILED);
		ck_assert_int_eq(ev.reason, TURN_REASON_TIMEOUT);
	}
	ck_assert_int_eq(turn_client_state(C), TURN_S_ALLOCATED);
}
END_TEST

START_TEST(channel_numbers_run_out_and_recycle)
{
	struct turn_transmit tx;
	struct turn_event ev;
	struct ipc_addr p;
	uint64_t t0;
	int k;

	ALLOC_LIFETIME = 3600;
	up(false, false);
	ALLOC_LIFETIME = 600;
	t0 = NOW;
	/* every number, in order; binds beyond the in-flight limit wait */
	for (k = 0; k < (int)TURN_CHANNELS; k++) {
		p = mkaddr(4, "10.0.0.0", (uint16_t)(1 + k % 60000));
		p.addr[2] = (uint8_t)(k >> 8);
		p.addr[3] = (uint8_t)k;
		ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), 0x4000 + k);
		while (turn_client_poll_transmit(C, &tx) == 1)
			;
	}
	p = mkaddr(4, "10.1.0.1", 1);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), TURN_ERR_FULL);
	/* a waiting request released: never sent, so its number is free now */
	{
		struct ipc_addr w = mkaddr(4, "10.0.15.255", (uint16_t)(1 + 4095));

		ck_assert_int_eq(turn_client_release_channel(C, NOW, &w), TURN_OK);
		ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), 0x4FFF);
	}
	/* the binds in flight time out: their numbers are reserved 15 min */
	advance(t0 + 1000);
	advance(t0 + 2500);
	advance(t0 + 4750);
	advance(t0 + 8000);
	for (k = 0; k < TURN_TXN_MAX - 4; k++) {
		ev = event(TURN_EV_CHANNEL_FAILED);
		ck_assert_uint_eq(ev.channel, 0x4000 + k);
	}
	while (turn_client_poll_transmit(C, &tx) == 1)
		;
	p = mkaddr(4, "10.1.0.2", 2);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), TURN_ERR_FULL);
	/* after the reservation the oldest reserved number goes to a new peer */
	NOW = t0 + 8000 + TURN_CHANNEL_REUSE_MS;
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), 0x4000);
	p = mkaddr(4, "10.1.0.3", 3);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p), 0x4001);
}
END_TEST

START_TEST(channel_release_and_reuse)
{
	struct ipc_addr got;

	up(false, true);
	bind_ok(&PEER1, 0x4000);
	bind_ok(&PEER2, 0x4001);
	/* released: not re-bound any more, still answering for the peer */
	ck_assert_int_eq(turn_client_release_channel(C, NOW, &PEER1), TURN_OK);
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER1), 0);
	ck_assert(!turn_client_peer_of(C, 0x4000, &got));
	/* the same peer asks again: same number, re-bound now */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), 0x4000);
	take();
	expect_req(STUN_CHANNELBIND, true);
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	no_event();
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER1), 0x4000);
	/* a new peer gets a never-used number, not the released one */
	ck_assert_int_eq(turn_client_release_channel(C, NOW, &PEER2), TURN_OK);
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER6), 0x4002);
	take();
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	event(TURN_EV_CHANNEL_BOUND);
}
END_TEST

START_TEST(malformed_answers)
{
	struct turn_event ev;
	size_t len;
	uint8_t buf[1200];

	start(1);
	take();
	expect_req(STUN_BINDING, false);
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &LOCAL4);
	len = finish_resp();
	memcpy(buf, F.out, len);

	/* not from a server */
	ck_assert_int_eq(turn_client_input(C, NOW, &PEER1, NULL, buf, len), TURN_ERR_NOT_OURS);
	/* truncated at every length */
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, n), TURN_ERR_MALFORMED);
	/* length field larger / smaller than the datagram, not a multiple of 4 */
	buf[3] += 4;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_MALFORMED);
	buf[3] -= 5;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_MALFORMED);
	buf[3] += 1;
	/* an attribute length running past the end */
	buf[22] = 0x40;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_MALFORMED);
	memcpy(buf, F.out, len);
	/* no magic cookie */
	buf[4] ^= 0xff;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_MALFORMED);
	memcpy(buf, F.out, len);
	/* wrong transaction id */
	buf[10] ^= 0x01;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_UNMATCHED);
	memcpy(buf, F.out, len);
	/* ChannelData and oversized datagrams are not STUN for us */
	buf[0] = 0x40;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_MALFORMED);
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, F.out, TURN_RX_MAX + 1),
	    TURN_ERR_MALFORMED);
	memcpy(buf, F.out, len);
	/* a request or an indication with that id */
	buf[1] = 0x01;
	buf[0] = 0x00;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_IGNORED);
	buf[1] = 0x11;
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_IGNORED);
	/* the right method class but another method */
	memcpy(buf, F.out, len);
	buf[1] = 0x03;	/* Allocate success */
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, buf, len), TURN_ERR_UNMATCHED);
	no_event();
	/* the genuine one still works */
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, F.out, len), TURN_OK);
	event(TURN_EV_SRFLX);
	/* and a replay of it is unmatched */
	ck_assert_int_eq(turn_client_input(C, NOW, &SRV4, NULL, F.out, len), TURN_ERR_UNMATCHED);

	/* an Allocate success with an unknown comprehension-required attribute */
	take();
	answer_error(401, true);
	take();
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 50011, .addr = { 203, 0, 113, 7 } });
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
	put32(0x7ffe, 1);
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_ALLOCATE_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_BAD_RESPONSE);

	/* an Allocate success without LIFETIME is not an allocation */
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	expect_req(STUN_ALLOCATE, true);
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 50012, .addr = { 203, 0, 113, 7 } });
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_ALLOCATE_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_BAD_RESPONSE);

	/* ... nor one without a relayed address */
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_int_eq(event(TURN_EV_ALLOCATE_FAILED).reason, TURN_REASON_BAD_RESPONSE);
	/* a 401 without NONCE cannot be answered */
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	expect_req(STUN_ALLOCATE, true);
	strcpy(F.nonce, "");
	begin_err(438);
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_int_eq(event(TURN_EV_FAILED).reason, TURN_REASON_BAD_RESPONSE);
}
END_TEST

/* Random bytes with a STUN header and one of our transaction ids: no crash,
 * no read outside the datagram (ASan build). */
START_TEST(random_answers)
{
	uint8_t buf[600];
	uint32_t seed = 12345;

	start(1);
	take();
	for (int round = 0; round < 20000; round++) {
		size_t len = 20 + 4 * ((size_t)(seed % 100));
		uint8_t *copy;

		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = (uint8_t)(seed >> 16);
		}
		buf[0] = (uint8_t)(buf[0] & 0x01);
		buf[1] = (uint8_t)((buf[1] & 0x10) | 0x01);
		buf[2] = (uint8_t)((len - 20) >> 8);
		buf[3] = (uint8_t)(len - 20);
		memcpy(buf + 4, F.req_buf + 4, 16);	/* cookie + our id */
		if (round % 3 == 0) {
			/* well-formed attribute chain of random types */
			size_t off = 20;

			while (off + 8 <= len) {
				size_t alen = (buf[off + 3] % 4) * 4;

				if (off + 4 + alen > len)
					alen = len - off - 4;
				buf[off + 2] = 0;
				buf[off + 3] = (uint8_t)alen;
				off += 4 + alen;
			}
			if (off != len)
				continue;
		}
		/* exact-size heap copy so ASan sees any over-read */
		copy = malloc(len);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf, len);
		(void)turn_client_input(C, NOW, &SRV4, NULL, copy, len);
		free(copy);
		if (turn_client_state(C) != TURN_S_BINDING) {
			/* the answer was taken (or failed it): start over */
			struct turn_event ev;

			while (turn_client_poll_event(C, &ev) == 1)
				;
			turn_client_free(C);
			C = turn_client_new();
			ck_assert_ptr_nonnull(C);
			start(1);
			take();
		}
	}
}
END_TEST

START_TEST(stop_while_allocating)
{
	uint32_t v;

	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	answer_error(401, true);
	take();
	expect_req(STUN_ALLOCATE, true);
	/* the signed Allocate may have been taken: delete anyway */
	turn_client_stop(C, NOW);
	ck_assert_int_eq(turn_client_state(C), TURN_S_STOPPING);
	no_event();
	take();
	expect_req(STUN_REFRESH, true);
	ck_assert_int_eq(stun_message_find32(&F.req, STUN_ATTRIBUTE_LIFETIME, &v),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(v, 0);
	answer_error(437, false);
	event(TURN_EV_STOPPED);
	no_tx();
	/* the delete is not retried forever: a silent server also ends it */
	teardown();
	setup();
	up(false, false);
	turn_client_stop(C, NOW);
	event(TURN_EV_ALLOCATION_LOST);
	take();
	advance(NOW + 1000);
	advance(NOW + 1500);
	advance(NOW + 2250);
	advance(NOW + 3375);
	event(TURN_EV_STOPPED);

	/* a stale nonce on the delete: re-sent with the new one */
	teardown();
	setup();
	up(false, false);
	turn_client_stop(C, NOW);
	event(TURN_EV_ALLOCATION_LOST);
	take();
	strcpy(F.nonce, "3e4c1a2b-0000-4000-8000-0000000000ff");
	answer_error(438, true);
	no_event();
	take();
	expect_req(STUN_REFRESH, true);
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 0);
	ck_assert_int_eq(deliver(), TURN_OK);
	event(TURN_EV_STOPPED);
}
END_TEST

START_TEST(bounded_mismatch_cycles)
{
	struct turn_event ev;

	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);
	take();
	answer_error(401, true);
	for (int k = 0; k < 2; k++) {
		take();
		expect_req(STUN_ALLOCATE, true);
		answer_error(437, false);
		take();
		expect_req(STUN_REFRESH, true);
		answer_error(437, false);	/* nothing to delete: fine */
	}
	take();
	expect_req(STUN_ALLOCATE, true);
	answer_error(437, false);
	ev = event(TURN_EV_ALLOCATE_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_MISMATCH);
	no_tx();
}
END_TEST

START_TEST(channel_release_while_binding_and_rebind_error)
{
	struct turn_event ev;
	uint64_t t0;

	up(false, false);
	/* released before the answer: no CHANNEL_BOUND, not usable */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), 0x4000);
	take();
	ck_assert_int_eq(turn_client_release_channel(C, NOW, &PEER1), TURN_OK);
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	no_event();
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER1), 0);
	/* the re-bind of a bound channel fails: reported, number reserved */
	t0 = NOW;
	bind_ok(&PEER2, 0x4001);
	advance(t0 + TURN_CHANNEL_REBIND_MS);
	take();
	expect_req(STUN_CHANNELBIND, true);
	answer_error(403, false);
	ev = event(TURN_EV_CHANNEL_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_FORBIDDEN);
	ck_assert_uint_eq(ev.channel, 0x4001);
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER2), 0);
	/* a new peer does not get 0x4000 or 0x4001 (reserved for 15 min) */
	{
		struct ipc_addr p3 = mkaddr(4, "198.51.100.3", 5003);

		ck_assert_int_eq(turn_client_bind_channel(C, NOW, &p3), 0x4002);
		take();
		begin_ok();
		ck_assert_int_eq(deliver(), TURN_OK);
		event(TURN_EV_CHANNEL_BOUND);
	}
	/* the failed peer asks again: the same number (a server would refuse
	 * another one while it may still hold the old binding) */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER2), 0x4001);
	take();
	expect_req(STUN_CHANNELBIND, true);
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER2), 0x4001);
}
END_TEST

START_TEST(refresh_answer_without_lifetime)
{
	uint64_t t0;

	up(false, false);
	t0 = NOW;
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	no_event();
	/* not taken: tried again 10 s later, the allocation still expires at 600 s */
	ck_assert_uint_eq(turn_client_next_deadline(C), t0 + TURN_REFRESH_RETRY_MS);
	advance(t0 + TURN_REFRESH_RETRY_MS);
	take();
	expect_req(STUN_REFRESH, true);
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 3600);
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_uint_eq(turn_client_next_deadline(C), t0 + TURN_REFRESH_RETRY_MS + 1800000);
}
END_TEST


/* ---- issue 19: answers to signed requests must be signed ---------------- */

typedef void (*answer_fn)(void);

static void
ans_ok(void)
{
	begin_ok();
}

static void
ans_alloc_ok(void)
{
	begin_ok();
	put_xor(STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 50077, .addr = { 203, 0, 113, 66 } });
	put_xor(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &LOCAL4);
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
}

static void
ans_lifetime0(void)
{
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 0);
}

static void
ans_lifetime600(void)
{
	begin_ok();
	put32(STUN_ATTRIBUTE_LIFETIME, 600);
}

static void ans_400(void) { begin_err(400); }
static void ans_403(void) { begin_err(403); }
static void ans_437(void) { begin_err(437); }
static void ans_508(void) { begin_err(508); }

static void
ans_401(void)
{
	begin_err(401);
	put_str(STUN_ATTRIBUTE_REALM, F.realm);
	put_str(STUN_ATTRIBUTE_NONCE, F.nonce);
}

static void
ans_438(void)
{
	begin_err(438);
	put_str(STUN_ATTRIBUTE_REALM, F.realm);
	put_str(STUN_ATTRIBUTE_NONCE, F.nonce);
}

/*
 * The request in F.req was signed: each answer fn builds, sent without
 * MESSAGE-INTEGRITY and with one under another key, is ignored as if never
 * received: no event, no transmit, state unchanged, counted.
 */
static void
forgeries_ignored(const answer_fn *fns, size_t n)
{
	enum turn_state st = turn_client_state(C);
	uint64_t drops = turn_client_integrity_drops(C);

	ck_assert(req_signed());
	for (size_t i = 0; i < n; i++) {
		for (int f = FORGE_NO_MI; f <= FORGE_BAD_MI; f++) {
			fns[i]();
			F.forge = (enum forge)f;
			ck_assert_msg(deliver() == TURN_ERR_INTEGRITY,
			    "forged answer %zu (forge %d) was taken", i, f);
			F.forge = FORGE_NONE;
			no_event();
			no_tx();
			ck_assert_int_eq(turn_client_state(C), st);
			ck_assert_uint_eq(turn_client_integrity_drops(C), ++drops);
		}
	}
}

START_TEST(forged_answers_to_signed_requests)
{
	static const answer_fn alloc_forged[] = { ans_alloc_ok, ans_400, ans_403, ans_437,
	    ans_508 };
	static const answer_fn refresh_forged[] = { ans_lifetime0, ans_lifetime600, ans_437,
	    ans_400 };
	static const answer_fn chan_forged[] = { ans_ok, ans_403, ans_437, ans_400 };
	struct turn_event ev;
	uint8_t first[TURN_MSG_MAX];
	size_t first_len;
	uint64_t t0;

	F.sign = _i != 0;	/* 0: Firezone relay style (no FINGERPRINT), 1: coturn */
	start(1);
	take();
	answer_binding(&LOCAL4);
	event(TURN_EV_SRFLX);

	/* Allocate: the first one is unsigned and so is its 401 */
	take();
	expect_req(STUN_ALLOCATE, false);
	answer_error(401, true);
	take();
	expect_req(STUN_ALLOCATE, true);
	forgeries_ignored(alloc_forged, sizeof(alloc_forged) / sizeof(alloc_forged[0]));
	/* the transaction is still open: it retransmits, byte for byte */
	memcpy(first, F.req_buf, F.req_len);
	first_len = F.req_len;
	advance(NOW + TURN_RTO_INITIAL_MS);
	take();
	ck_assert_uint_eq(F.req_len, first_len);
	ck_assert_mem_eq(F.req_buf, first, first_len);
	/* and the genuine answer is taken */
	ans_alloc_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ev = event(TURN_EV_ALLOCATED);
	ck_assert_uint_eq(ev.relayed4.port, 50077);
	ck_assert_int_eq(turn_client_state(C), TURN_S_ALLOCATED);

	/* Refresh */
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	expect_req(STUN_REFRESH, true);
	forgeries_ignored(refresh_forged, sizeof(refresh_forged) / sizeof(refresh_forged[0]));
	ans_lifetime600();
	ck_assert_int_eq(deliver(), TURN_OK);
	no_event();
	ck_assert_int_eq(turn_client_state(C), TURN_S_ALLOCATED);

	/* ChannelBind */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER1), 0x4000);
	take();
	expect_req(STUN_CHANNELBIND, true);
	forgeries_ignored(chan_forged, sizeof(chan_forged) / sizeof(chan_forged[0]));
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER1), 0);
	ans_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_uint_eq(event(TURN_EV_CHANNEL_BOUND).channel, 0x4000);
	ck_assert_uint_eq(turn_client_channel_of(C, &PEER1), 0x4000);

	/* 401 and 438 may come unsigned, but never with a wrong signature */
	ck_assert_int_eq(turn_client_bind_channel(C, NOW, &PEER2), 0x4001);
	take();
	expect_req(STUN_CHANNELBIND, true);
	ans_438();
	F.forge = FORGE_BAD_MI;
	ck_assert_int_eq(deliver(), TURN_ERR_INTEGRITY);
	ans_401();
	ck_assert_int_eq(deliver(), TURN_ERR_INTEGRITY);
	F.forge = FORGE_NO_MI;
	ans_438();
	ck_assert_int_eq(deliver(), TURN_OK);	/* stale nonce: re-sent */
	F.forge = FORGE_NONE;
	take();
	expect_req(STUN_CHANNELBIND, true);
	ans_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_uint_eq(event(TURN_EV_CHANNEL_BOUND).channel, 0x4001);

	/* forged answers never end a transaction: it times out as usual */
	t0 = NOW;
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_OK);
	take();
	forgeries_ignored(refresh_forged, 1);
	while (NOW < t0 + TURN_RTO_MAX_ELAPSED_MS) {
		advance(NOW + 500);
		while (turn_client_poll_transmit(C, &(struct turn_transmit){ 0 }) == 1)
			;
	}
	ev = event(TURN_EV_ALLOCATION_LOST);
	ck_assert_int_eq(ev.reason, TURN_REASON_TIMEOUT);
	ck_assert_int_eq(event(TURN_EV_FAILED).reason, TURN_REASON_TIMEOUT);
}
END_TEST

START_TEST(forged_answer_to_delete)
{
	static const answer_fn stop_forged[] = { ans_lifetime0, ans_403, ans_437 };

	up(_i != 0, false);
	turn_client_stop(C, NOW);
	ck_assert_int_eq(event(TURN_EV_ALLOCATION_LOST).reason, TURN_REASON_STOPPED);
	take();
	expect_req(STUN_REFRESH, true);
	forgeries_ignored(stop_forged, sizeof(stop_forged) / sizeof(stop_forged[0]));
	ck_assert_int_eq(turn_client_state(C), TURN_S_STOPPING);
	ans_lifetime0();
	ck_assert_int_eq(deliver(), TURN_OK);
	event(TURN_EV_STOPPED);
}
END_TEST

START_TEST(binding_errors)
{
	struct turn_event ev;
	struct ipc_addr got;

	/* one server: a Binding error fails the relay, with the server in the event */
	start(1);
	take();
	answer_error(400, false);
	ev = event(TURN_EV_FAILED);
	ck_assert_int_eq(ev.reason, TURN_REASON_BAD_REQUEST);

	/* a Binding success without a mapped address is no answer */
	teardown();
	setup();
	start(1);
	take();
	begin_ok();
	ck_assert_int_eq(deliver(), TURN_OK);
	ck_assert_int_eq(event(TURN_EV_FAILED).reason, TURN_REASON_BAD_RESPONSE);

	/* a mapped address with port 0, or 0.0.0.0, is no answer either (no
	 * server-reflexive candidate, the server is not picked) */
	{
		struct ipc_addr zero_port = mkaddr(4, "198.51.100.77", 0);
		struct ipc_addr any = mkaddr(4, "0.0.0.0", 40000);

		teardown();
		setup();
		start(1);
		take();
		expect_req(STUN_BINDING, false);
		begin_ok();
		put_xor(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &zero_port);
		ck_assert_int_eq(deliver(), TURN_OK);
		ck_assert_int_eq(event(TURN_EV_FAILED).reason, TURN_REASON_BAD_RESPONSE);
		ck_assert(!turn_client_active_server(C, &got));

		teardown();
		setup();
		start(1);
		take();
		expect_req(STUN_BINDING, false);
		begin_ok();
		put_xor(STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &any);
		ck_assert_int_eq(deliver(), TURN_OK);
		ck_assert_int_eq(event(TURN_EV_FAILED).reason, TURN_REASON_BAD_RESPONSE);
	}

	/* two servers: IPv4 errors, IPv6 answers and becomes active */
	teardown();
	setup();
	start(2);
	take();
	save_req(&S4);
	take();
	save_req(&SA);
	restore_req(&S4);
	answer_error(500, false);
	no_event();
	ck_assert_int_eq(turn_client_state(C), TURN_S_BINDING);
	restore_req(&SA);
	answer_binding(&(struct ipc_addr){ .family = 6, .port = 7, .addr = { 0x20, 1, [15] = 2 } });
	event(TURN_EV_SRFLX);
	ck_assert(turn_client_active_server(C, &got));
	ck_assert_uint_eq(got.family, 6);
	take();
	expect_req(STUN_ALLOCATE, false);
	ck_assert(!memcmp(&F.req_dst, &SRV6, sizeof(SRV6)));
}
END_TEST

/* ---- a recorded coturn session -------------------------------------------- */

#define COTURN_FIXTURE "tests/fixtures/turn/coturn-4.6.1-session.txt"
#define COTURN_USER "gwuser"
#define COTURN_PASS "s3cretPW-gw"

struct dgram {
	char dir;
	size_t n;
	uint8_t b[1200];
};

static size_t
load_transcript(struct dgram *d, size_t max)
{
	char path[512], line[4096];
	const char *top = getenv("FZ_TOP");
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", top != NULL ? top : ".", COTURN_FIXTURE);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL && n < max) {
		size_t len = strcspn(line, "\r\n");

		if (len < 4 || (line[0] != '>' && line[0] != '<') || line[1] != ' ')
			continue;
		d[n].dir = line[0];
		d[n].n = (len - 2) / 2;
		ck_assert_uint_le(d[n].n, sizeof(d[n].b));
		for (size_t i = 0; i < d[n].n; i++) {
			unsigned v;

			ck_assert_int_eq(sscanf(line + 2 + 2 * i, "%2x", &v), 1);
			d[n].b[i] = (uint8_t)v;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* Offset of the first attribute of `type`, or 0. */
static size_t
attr_offset(const uint8_t *b, size_t n, uint16_t type)
{
	size_t off = 20;

	while (off + 4 <= n) {
		uint16_t t = (uint16_t)(b[off] << 8 | b[off + 1]);
		size_t alen = (size_t)(b[off + 2] << 8 | b[off + 3]);

		if (t == type)
			return off;
		off += 4 + ((alen + 3) & ~(size_t)3);
	}
	return 0;
}

/*
 * Make the agent expect an answer to this recorded request: strip its
 * MESSAGE-INTEGRITY/FINGERPRINT and sign it again (the bytes must come out
 * identical, which also re-checks our request against the key).
 */
static void
resign_request(StunAgent *a, const struct dgram *req)
{
	static uint8_t buf[1200];
	StunMessage m;
	size_t cut = attr_offset(req->b, req->n, STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
	bool had_mi = cut != 0;

	if (!had_mi)
		cut = attr_offset(req->b, req->n, STUN_ATTRIBUTE_FINGERPRINT);
	ck_assert_uint_gt(cut, 0);
	memcpy(buf, req->b, req->n);
	buf[2] = (uint8_t)((cut - 20) >> 8);
	buf[3] = (uint8_t)(cut - 20);
	memset(&m, 0, sizeof(m));
	m.agent = a;
	m.buffer = buf;
	m.buffer_len = sizeof(buf);
	a->usage_flags = STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT;
	ck_assert_uint_eq(stun_agent_finish_message(a, &m,
	    had_mi ? (const uint8_t *)COTURN_PASS : NULL, had_mi ? strlen(COTURN_PASS) : 0),
	    req->n);
	ck_assert_mem_eq(buf, req->b, req->n);
}

START_TEST(coturn_recorded_session)
{
	static struct dgram d[64];
	static const uint16_t known[] = {
		/* as turn.c: comprehension-required attributes it accepts */
		0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x000C, 0x000D, 0x0012, 0x0013,
		0x0014, 0x0015, 0x0016, 0x0017, 0x0018, 0x0019, 0x001A, 0x0020, 0x0022, 0
	};
	size_t n = load_transcript(d, 64);
	int responses = 0, signed_ = 0, channel_data = 0, saw401 = 0, saw_alloc = 0;

	ck_assert_uint_ge(n, 16);
	for (size_t i = 0; i < n; i++) {
		StunAgent a;
		StunMessage m = { 0 };
		const struct dgram *r = &d[i], *q = NULL;
		bool has_mi, has_fp;
		int code;
		uint32_t lifetime;

		if (r->dir != '<')
			continue;
		if (r->b[0] >= 0x40) {
			uint16_t ch;
			const uint8_t *pl;
			int len = turn_channel_data_decode(r->b, r->n, &ch, &pl);

			ck_assert_int_gt(len, 0);
			ck_assert(ch == 0x4000 || ch == 0x4001);
			ck_assert(len == 16 && memcmp(pl, ch == 0x4000 ? "peer-0-to-client" :
			    "peer-1-to-client", 16) == 0);
			channel_data++;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (d[j].dir == '>' && d[j].n >= 20 && memcmp(d[j].b + 4, r->b + 4, 16) == 0)
				q = &d[j];
		ck_assert_msg(q != NULL, "answer %zu matches no request", i);
		ck_assert_int_eq(stun_message_validate_buffer_length(r->b, r->n, true), (int)r->n);

		stun_agent_init(&a, known, STUN_COMPATIBILITY_RFC5389,
		    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
		resign_request(&a, q);
		m.buffer = (uint8_t *)r->b;
		m.buffer_len = r->n;
		has_mi = stun_message_has_attribute(&m, STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
		has_fp = stun_message_has_attribute(&m, STUN_ATTRIBUTE_FINGERPRINT);
		/* the flags turn.c uses for this answer */
		a.usage_flags = STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS |
		    (has_fp ? STUN_AGENT_USAGE_USE_FINGERPRINT : 0) |
		    (has_mi && attr_offset(q->b, q->n, STUN_ATTRIBUTE_MESSAGE_INTEGRITY) ? 0 :
		    STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
		ck_assert_int_eq(stun_agent_validate(&a, &m, r->b, r->n, NULL, NULL),
		    STUN_VALIDATION_SUCCESS);
		responses++;
		if (has_mi && !(a.usage_flags & STUN_AGENT_USAGE_IGNORE_CREDENTIALS)) {
			/* coturn signed it with MD5(user:realm:pass): a changed byte fails */
			uint8_t bad[1200];
			StunAgentUsageFlags fl = a.usage_flags;
			StunMessage mb = { 0 };
			size_t mi = attr_offset(r->b, r->n, STUN_ATTRIBUTE_MESSAGE_INTEGRITY);
			size_t blen = mi + 24;	/* up to the end of MESSAGE-INTEGRITY */

			signed_++;
			memcpy(bad, r->b, blen);
			bad[mi + 10] ^= 0x01;
			bad[2] = (uint8_t)((blen - 20) >> 8);
			bad[3] = (uint8_t)(blen - 20);
			resign_request(&a, q);
			a.usage_flags = fl & ~STUN_AGENT_USAGE_USE_FINGERPRINT;
			ck_assert_int_eq(stun_agent_validate(&a, &mb, bad, blen, NULL, NULL),
			    STUN_VALIDATION_UNAUTHORIZED);
		}
		if (stun_message_get_class(&m) == STUN_ERROR) {
			char realm[64];

			ck_assert_int_eq(stun_message_find_error(&m, &code), STUN_MESSAGE_RETURN_SUCCESS);
			ck_assert_int_eq(code, 401);
			ck_assert(stun_message_has_attribute(&m, STUN_ATTRIBUTE_NONCE));
			ck_assert_int_eq(stun_message_find_string(&m, STUN_ATTRIBUTE_REALM, realm,
			    sizeof(realm)), STUN_MESSAGE_RETURN_SUCCESS);
			ck_assert_str_eq(realm, "firezone");
			saw401++;
		} else if (stun_message_get_method(&m) == STUN_ALLOCATE) {
			ck_assert(stun_message_has_attribute(&m, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS));
			ck_assert_int_eq(stun_message_find32(&m, STUN_ATTRIBUTE_LIFETIME, &lifetime),
			    STUN_MESSAGE_RETURN_SUCCESS);
			ck_assert_uint_eq(lifetime, 600);
			saw_alloc++;
		} else if (stun_message_get_method(&m) == STUN_REFRESH) {
			ck_assert_int_eq(stun_message_find32(&m, STUN_ATTRIBUTE_LIFETIME, &lifetime),
			    STUN_MESSAGE_RETURN_SUCCESS);
		}
	}
	ck_assert_int_eq(responses, 8);
	ck_assert_int_eq(saw401, 1);
	ck_assert_int_eq(saw_alloc, 1);
	ck_assert_int_ge(signed_, 5);
	ck_assert_int_eq(channel_data, 2);
}
END_TEST

/* ---- ChannelData ------------------------------------------------------------ */

START_TEST(channel_data_framing)
{
	uint8_t buf[64], big[70000];
	const uint8_t *pl;
	uint16_t ch;

	/* header + payload, no padding */
	ck_assert_int_eq(turn_channel_data_encode(buf, sizeof(buf), 0x4001,
	    (const uint8_t *)"abcde", 5), 9);
	ck_assert_mem_eq(buf, "\x40\x01\x00\x05" "abcde", 9);
	ck_assert_int_eq(turn_channel_data_decode(buf, 9, &ch, &pl), 5);
	ck_assert_uint_eq(ch, 0x4001);
	ck_assert_ptr_eq(pl, buf + 4);
	/* padding (or any trailing bytes) after the payload is ignored */
	memcpy(buf + 9, "\0\0\0", 3);
	ck_assert_int_eq(turn_channel_data_decode(buf, 12, &ch, &pl), 5);
	/* a payload shorter than its length field is refused */
	ck_assert_int_eq(turn_channel_data_decode(buf, 8, &ch, &pl), TURN_ERR_MALFORMED);
	ck_assert_int_eq(turn_channel_data_decode(buf, 3, &ch, &pl), TURN_ERR_MALFORMED);
	ck_assert_int_eq(turn_channel_data_decode(buf, 0, &ch, &pl), TURN_ERR_MALFORMED);
	/* empty payload */
	ck_assert_int_eq(turn_channel_data_encode(buf, 4, 0x4FFF, NULL, 0), 4);
	ck_assert_int_eq(turn_channel_data_decode(buf, 4, &ch, &pl), 0);
	ck_assert_uint_eq(ch, 0x4FFF);
	/* channel range on both sides */
	ck_assert_int_eq(turn_channel_data_encode(buf, sizeof(buf), 0x3FFF, buf, 0),
	    TURN_ERR_INVAL);
	ck_assert_int_eq(turn_channel_data_encode(buf, sizeof(buf), 0x5000, buf, 0),
	    TURN_ERR_INVAL);
	memcpy(buf, "\x50\x00\x00\x00", 4);
	ck_assert_int_eq(turn_channel_data_decode(buf, 4, &ch, &pl), TURN_ERR_MALFORMED);
	memcpy(buf, "\x3f\xff\x00\x00", 4);
	ck_assert_int_eq(turn_channel_data_decode(buf, 4, &ch, &pl), TURN_ERR_MALFORMED);
	memcpy(buf, "\x00\x01\x00\x00", 4);	/* STUN */
	ck_assert_int_eq(turn_channel_data_decode(buf, 4, &ch, &pl), TURN_ERR_MALFORMED);
	/* no room */
	ck_assert_int_eq(turn_channel_data_encode(buf, 8, 0x4000, (const uint8_t *)"abcde", 5),
	    TURN_ERR_NOSPACE);
	ck_assert_int_eq(turn_channel_data_encode(buf, 3, 0x4000, NULL, 0), TURN_ERR_NOSPACE);
	/* in place: the payload already sits at offset 4 */
	memcpy(buf + 4, "wireguard", 9);
	ck_assert_int_eq(turn_channel_data_encode(buf, sizeof(buf), 0x4abc, buf + 4, 9), 13);
	ck_assert_mem_eq(buf, "\x4a\xbc\x00\x09wireguard", 13);
	/* overlapping source elsewhere in the buffer */
	memcpy(buf, "0123456789", 10);
	ck_assert_int_eq(turn_channel_data_encode(buf, sizeof(buf), 0x4000, buf, 10), 14);
	ck_assert_mem_eq(buf + 4, "0123456789", 10);
	/* 65535 is the largest payload */
	memset(big, 0xab, sizeof(big));
	ck_assert_int_eq(turn_channel_data_encode(big, sizeof(big), 0x4000, big + 4, 65535),
	    65539);
	ck_assert_int_eq(turn_channel_data_decode(big, 65539, &ch, &pl), 65535);
	ck_assert_int_eq(turn_channel_data_encode(big, sizeof(big), 0x4000, big + 4, 65536),
	    TURN_ERR_INVAL);
}
END_TEST

START_TEST(start_arguments)
{
	struct turn_config cfg;
	char longname[TURN_USERNAME_MAX + 2];

	memset(&cfg, 0, sizeof(cfg));
	cfg.server[0] = SRV4;
	cfg.n_server = 1;
	cfg.username = USER;
	cfg.password = PASS;
	ck_assert_int_eq(turn_client_start(C, NOW, NULL), TURN_ERR_INVAL);
	cfg.n_server = 0;
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_ERR_INVAL);
	cfg.n_server = 2;
	cfg.server[1] = SRV4;	/* the same address twice */
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_ERR_INVAL);
	cfg.n_server = 1;
	cfg.server[0].port = 0;
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_ERR_INVAL);
	cfg.server[0] = SRV4;
	cfg.password = "";
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_ERR_INVAL);
	cfg.password = PASS;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cfg.username = longname;
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_ERR_INVAL);
	cfg.username = USER;
	/* realm defaults to "firezone"; no SOFTWARE when none is given */
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_OK);
	ck_assert_int_eq(turn_client_start(C, NOW, &cfg), TURN_ERR_STATE);
	{
		struct turn_transmit tx;
		StunMessage m = { 0 };

		ck_assert_int_eq(turn_client_poll_transmit(C, &tx), 1);
		m.buffer = (uint8_t *)tx.data;
		m.buffer_len = tx.len;
		ck_assert(!stun_message_has_attribute(&m, STUN_ATTRIBUTE_SOFTWARE));
	}
	/* the stop of a client that never allocated is immediate */
	turn_client_stop(C, NOW);
	event(TURN_EV_STOPPED);
	ck_assert_int_eq(turn_client_refresh(C, NOW), TURN_ERR_STATE);
	ck_assert_str_eq(turn_strerror(TURN_ERR_FAMILY), "no relayed address of that family");
	ck_assert_str_eq(turn_state_str(TURN_S_STOPPED), "stopped");
}
END_TEST

static Suite *
turn_suite(void)
{
	Suite *s = suite_create("turn");
	TCase *v = tcase_create("rfc5769");
	TCase *t = tcase_create("client");
	TCase *d = tcase_create("channeldata");

	tcase_add_test(v, rfc5769_request_short_term);
	tcase_add_test(v, rfc5769_request_long_term);
	tcase_add_test(v, rfc5769_responses);
	tcase_add_test(v, coturn_recorded_session);
	suite_add_tcase(s, v);

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, transcript_firezone_relay);
	tcase_add_test(t, transcript_coturn_style_signed_answers);
	tcase_add_test(t, binding_timeout_gives_up);
	tcase_add_test(t, credentials_rejected_and_realm);
	tcase_add_test(t, allocate_errors_mapped);
	tcase_add_test(t, allocate_440_falls_back_to_one_family);
	tcase_add_test(t, refresh_deleted_and_local_expiry);
	tcase_add_test(t, keepalive_binding_every_25s);
	tcase_add_test(t, channel_numbers);
	tcase_add_test(t, channel_release_and_reuse);
	tcase_add_test(t, channel_numbers_run_out_and_recycle);
	tcase_add_test(t, malformed_answers);
	tcase_add_test(t, random_answers);
	tcase_add_test(t, start_arguments);
	tcase_add_test(t, stop_while_allocating);
	tcase_add_test(t, bounded_mismatch_cycles);
	tcase_add_test(t, channel_release_while_binding_and_rebind_error);
	tcase_add_test(t, refresh_answer_without_lifetime);
	tcase_add_test(t, binding_errors);
	tcase_add_loop_test(t, forged_answers_to_signed_requests, 0, 2);
	tcase_add_loop_test(t, forged_answer_to_delete, 0, 2);
	suite_add_tcase(s, t);

	tcase_add_test(d, channel_data_framing);
	suite_add_tcase(s, d);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(turn_suite());
	int failed;

	/* the error paths are exercised on purpose: keep their lines out */
	log_init("test_turn", LOG_LVL_ERROR, LOG_FMT_TEXT);

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
