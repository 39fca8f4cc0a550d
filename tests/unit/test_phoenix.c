/*
 * Unit suite for control/phoenix: V1 JSON framing, the upstream Phoenix
 * fixtures, and the session state machine under a fake clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "phoenix.h"

#define FIXTURES "tests/fixtures/portal/"

static char *
read_fixture(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (run from the repo root)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct json_object *
parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	ck_assert_ptr_nonnull(o);
	return o;
}

/* Compare parsed JSON, not bytes. */
static void
assert_json_eq(const char *got, const char *want)
{
	struct json_object *a = parse(got), *b = parse(want);

	ck_assert_msg(json_object_equal(a, b), "got %s want %s", got, want);
	json_object_put(a);
	json_object_put(b);
}

/* ---- framing ----------------------------------------------------------- */

START_TEST(encode_frames)
{
	struct json_object *p;
	char *s = NULL;
	size_t len = 0;

	ck_assert_int_eq(phoenix_encode("gateway", "phx_join", NULL, 0, &s, &len),
	    PHOENIX_OK);
	/* byte for byte as the reference writes it */
	ck_assert_str_eq(s, "{\"topic\":\"gateway\",\"event\":\"phx_join\",\"payload\":null,\"ref\":0}");
	ck_assert_uint_eq(len, strlen(s));
	free(s);

	p = json_object_new_object();
	ck_assert_int_eq(phoenix_encode("phoenix", "heartbeat", p, 17, &s, NULL),
	    PHOENIX_OK);
	ck_assert_str_eq(s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":17}");
	free(s);
	json_object_put(p);

	p = parse("{\"ref\":\"SFMy/abc\",\"candidates\":[\"a\"]}");
	ck_assert_int_eq(phoenix_encode("gateway", "flow_authorized", p,
	    UINT64_MAX, &s, NULL), PHOENIX_OK);
	assert_json_eq(s, "{\"topic\":\"gateway\",\"event\":\"flow_authorized\","
	    "\"payload\":{\"ref\":\"SFMy/abc\",\"candidates\":[\"a\"]},"
	    "\"ref\":18446744073709551615}");
	ck_assert_ptr_nonnull(strstr(s, "\"ref\":18446744073709551615}"));
	/* no slash escaping */
	ck_assert_ptr_nonnull(strstr(s, "SFMy/abc"));
	free(s);
	json_object_put(p);

	ck_assert_int_eq(phoenix_encode(NULL, "x", NULL, 0, &s, NULL), PHOENIX_EINVAL);
}
END_TEST

START_TEST(decode_fixtures)
{
	struct phoenix_msg m;
	char *t;
	size_t len;
	struct json_object *v;

	t = read_fixture("phoenix_can_deserialize_inbound_message.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_str_eq(m.topic, "room:lobby");
	ck_assert_str_eq(m.event, "shout");
	ck_assert_int_eq(m.kind, PHOENIX_KIND_EVENT);
	ck_assert_int_eq(m.ref_kind, PHOENIX_REF_NONE);
	ck_assert(json_object_object_get_ex(m.payload, "hello", &v));
	ck_assert_str_eq(json_object_get_string(v), "world");
	phoenix_msg_free(&m);
	free(t);

	t = read_fixture("phoenix_disabled_err_reply.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_int_eq(m.kind, PHOENIX_KIND_REPLY);
	ck_assert_int_eq(m.status, PHOENIX_REPLY_ERROR);
	ck_assert_str_eq(m.reason, "disabled");
	ck_assert_str_eq(m.topic, "client");
	ck_assert_int_eq(m.ref_kind, PHOENIX_REF_NONE);
	phoenix_msg_free(&m);
	free(t);

	t = read_fixture("phoenix_invalid_version_reply.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_int_eq(m.kind, PHOENIX_KIND_REPLY);
	ck_assert_str_eq(m.reason, "invalid_version");
	ck_assert_int_eq(m.ref_kind, PHOENIX_REF_STRING);
	ck_assert_str_eq(m.ref_str, "12");
	phoenix_msg_free(&m);
	free(t);

	t = read_fixture("phoenix_not_found.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_str_eq(m.reason, "not_found");
	phoenix_msg_free(&m);
	free(t);

	t = read_fixture("phoenix_unexpected_error_reply.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_str_eq(m.reason, "bad reply");
	phoenix_msg_free(&m);
	free(t);

	t = read_fixture("phoenix_unmatched_topic_reply.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_int_eq(m.status, PHOENIX_REPLY_ERROR);
	ck_assert_str_eq(m.reason, "unmatched topic");
	phoenix_msg_free(&m);
	free(t);

	t = read_fixture("phoenix_phx_close.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_int_eq(m.kind, PHOENIX_KIND_CLOSE);
	phoenix_msg_free(&m);
	free(t);

	t = read_fixture("phoenix_token_expired.json", &len);
	ck_assert_int_eq(phoenix_decode(t, len, &m), PHOENIX_OK);
	ck_assert_int_eq(m.kind, PHOENIX_KIND_DISCONNECT);
	ck_assert_str_eq(m.reason, "token_expired");
	phoenix_msg_free(&m);
	/* freeing twice is harmless */
	phoenix_msg_free(&m);
	free(t);
}
END_TEST

struct dec_case {
	const char	*json;
	int		 rc;
};

static const struct dec_case dec_cases[] = {
	/* accepted shapes */
	{ "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":0,\"topic\":\"gateway\"}", PHOENIX_OK },
	{ "{\"event\":\"init\",\"payload\":{},\"ref\":null,\"topic\":\"gateway\",\"join_ref\":null}", PHOENIX_OK },
	{ "{\"event\":\"init\",\"payload\":null,\"topic\":\"gateway\"}", PHOENIX_OK },
	{ "  {\"event\":\"x\",\"payload\":[1],\"topic\":\"t\",\"ref\":18446744073709551615}\n", PHOENIX_OK },
	{ "{\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":null},\"topic\":\"t\"}", PHOENIX_OK },
	{ "{\"event\":\"disconnect\",\"payload\":{\"reason\":\"other\"},\"topic\":\"gateway\"}", PHOENIX_OK },
	/* broken */
	{ "", PHOENIX_EINCOMPLETE },
	{ "   ", PHOENIX_EINCOMPLETE },
	{ "{\"event\":\"init\",\"payl", PHOENIX_EINCOMPLETE },
	{ "{\"event\":\"init\" \"payload\":{}}", PHOENIX_EJSON },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":\"t\"} x", PHOENIX_EJSON },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":\"t\"}{}", PHOENIX_EJSON },
	{ "{'event':'x'}", PHOENIX_EJSON },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":\"t\",}", PHOENIX_EJSON },
	{ "{\"topic\":\"\xff\",\"event\":\"x\",\"payload\":{}}", PHOENIX_EJSON },
	{ "[\"1\",\"2\",\"gateway\",\"x\",{}]", PHOENIX_ENOTOBJECT },
	{ "\"text\"", PHOENIX_ENOTOBJECT },
	{ "123", PHOENIX_ENOTOBJECT },
	{ "true", PHOENIX_ENOTOBJECT },
	{ "tru", PHOENIX_EINCOMPLETE },
	{ "{\"a\":\"b", PHOENIX_EINCOMPLETE },
	{ "{\"event\":\"x\",\"payload\":{}}", PHOENIX_ETOPIC },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":5}", PHOENIX_ETOPIC },
	{ "{\"payload\":{},\"topic\":\"t\"}", PHOENIX_EEVENT },
	{ "{\"event\":null,\"payload\":{},\"topic\":\"t\"}", PHOENIX_EEVENT },
	{ "{\"event\":\"x\",\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":\"t\",\"ref\":-1}", PHOENIX_EREF },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":\"t\",\"ref\":1.5}", PHOENIX_EREF },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":\"t\",\"ref\":{}}", PHOENIX_EREF },
	{ "{\"event\":\"x\",\"payload\":{},\"topic\":\"t\",\"ref\":true}", PHOENIX_EREF },
	{ "{\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\"},\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_reply\",\"payload\":{\"response\":{}},\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_reply\",\"payload\":{\"status\":\"maybe\",\"response\":{}},\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_reply\",\"payload\":{\"status\":\"error\",\"response\":{}},\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_reply\",\"payload\":{\"status\":\"error\",\"response\":{\"reason\":1}},\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_reply\",\"payload\":null,\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_error\",\"payload\":{\"a\":1},\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_error\",\"payload\":null,\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"phx_close\",\"payload\":[],\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
	{ "{\"event\":\"disconnect\",\"payload\":{},\"topic\":\"t\"}", PHOENIX_EPAYLOAD },
};

START_TEST(decode_table)
{
	const struct dec_case *c = &dec_cases[_i];
	struct phoenix_msg m;
	int rc = phoenix_decode(c->json, strlen(c->json), &m);

	ck_assert_msg(rc == c->rc, "case %d: rc %d (%s) want %d", _i, rc,
	    phoenix_strerror(rc), c->rc);
	if (rc != PHOENIX_OK)
		ck_assert_ptr_null(m.root);
	phoenix_msg_free(&m);
}
END_TEST

START_TEST(decode_not_terminated)
{
	/* the input is a slice: bytes after len are never read */
	const char buf[] = "{\"event\":\"e\",\"payload\":{},\"topic\":\"t\",\"ref\":7}GARBAGE";
	struct phoenix_msg m;

	ck_assert_int_eq(phoenix_decode(buf, strlen(buf) - 7, &m), PHOENIX_OK);
	ck_assert_int_eq(m.ref_kind, PHOENIX_REF_INT);
	ck_assert_uint_eq(m.ref, 7);
	phoenix_msg_free(&m);
	ck_assert_int_eq(phoenix_decode(NULL, 3, &m), PHOENIX_EINVAL);
}
END_TEST

/* Mutated and truncated frames never crash and never leave half results. */
START_TEST(decode_mutations)
{
	static const char *seeds[] = {
		"{\"event\":\"phx_reply\",\"payload\":{\"response\":{\"reason\":\"x\"},\"status\":\"error\"},\"ref\":12,\"topic\":\"gateway\"}",
		"{\"event\":\"disconnect\",\"payload\":{\"reason\":\"token_expired\"},\"ref\":null,\"topic\":\"gateway\"}",
		"{\"topic\":\"gateway\",\"event\":\"init\",\"payload\":{\"a\":[1,2,{\"b\":\"\\u00e9\"}]},\"ref\":\"7\"}",
	};
	uint32_t st = 777;
	char buf[256];
	int iter, ok = 0;

	for (iter = 0; iter < 20000; iter++) {
		const char *seed = seeds[iter % 3];
		size_t len = strlen(seed), k, n;
		struct phoenix_msg m;
		int rc;

		memcpy(buf, seed, len);
		st = st * 1664525u + 1013904223u;
		n = (st >> 8) % 4;
		for (k = 0; k < n; k++) {
			st = st * 1664525u + 1013904223u;
			buf[(st >> 8) % len] = (char)(st >> 24);
		}
		st = st * 1664525u + 1013904223u;
		if ((st >> 8) % 3 == 0)
			len = (st >> 10) % (len + 1);
		rc = phoenix_decode(buf, len, &m);
		if (rc == PHOENIX_OK) {
			ok++;
			ck_assert_ptr_nonnull(m.root);
			ck_assert_ptr_nonnull(m.topic);
			ck_assert_ptr_nonnull(m.event);
			if (m.kind == PHOENIX_KIND_DISCONNECT ||
			    (m.kind == PHOENIX_KIND_REPLY && m.status == PHOENIX_REPLY_ERROR))
				ck_assert_ptr_nonnull(m.reason);
		} else {
			ck_assert_ptr_null(m.root);
		}
		phoenix_msg_free(&m);
	}
	ck_assert_int_gt(ok, 1000);
}
END_TEST

/* ---- session ----------------------------------------------------------- */

/* Pop the next outbound frame and check it against expected JSON. */
static void
expect_out(struct phoenix_session *s, const char *want)
{
	size_t len = 0;
	const char *f = phoenix_session_peek(s, &len);

	ck_assert_msg(f != NULL, "no frame queued, want %s", want);
	ck_assert_uint_eq(len, strlen(f));
	assert_json_eq(f, want);
	phoenix_session_pop(s);
}

static enum phoenix_action
in(struct phoenix_session *s, uint64_t now, const char *json,
    struct phoenix_result *r)
{
	return phoenix_session_input(s, now, json, strlen(json), r);
}

START_TEST(session_join_and_queue)
{
	struct phoenix_session s;
	struct phoenix_result r;
	uint64_t ref = 99;

	phoenix_session_init(&s, 0);
	ck_assert_int_eq(s.state, PHOENIX_DISCONNECTED);
	ck_assert_uint_eq(phoenix_session_next_deadline(&s), PHOENIX_NO_DEADLINE);

	/* frames produced while disconnected are dropped at the connect */
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "broadcast_ice_candidates",
	    NULL, &ref), PHOENIX_OK);
	ck_assert_uint_eq(ref, 0);
	phoenix_session_connecting(&s);
	ck_assert_ptr_null(phoenix_session_peek(&s, NULL));

	ck_assert_int_eq(phoenix_session_connected(&s, 1000), PHOENIX_OK);
	ck_assert_int_eq(s.state, PHOENIX_JOINING);
	/* join first, ref 0 on every connection (issue 15, item 12) */
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"phx_join\",\"payload\":null,\"ref\":0}");
	ck_assert_ptr_null(phoenix_session_peek(&s, NULL));
	ck_assert_uint_eq(phoenix_session_queue_len(&s), 0);

	/* nothing but heartbeats before the join reply (item 13) */
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "flow_authorized",
	    NULL, &ref), PHOENIX_OK);
	ck_assert_uint_eq(ref, 1);
	ck_assert_ptr_null(phoenix_session_peek(&s, NULL));
	ck_assert_int_eq(phoenix_session_tick(&s, 5999, &r), PHOENIX_ACT_NONE);
	ck_assert_ptr_null(phoenix_session_peek(&s, NULL));

	ck_assert_int_eq(in(&s, 1001, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":0,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_JOINED);
	ck_assert_int_eq(s.state, PHOENIX_JOINED);
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"flow_authorized\",\"payload\":null,\"ref\":1}");

	/* an application push is handed over with its payload */
	ck_assert_int_eq(in(&s, 1002, "{\"event\":\"init\",\"payload\":{\"interface\":{}},\"ref\":null,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_EVENT);
	ck_assert_str_eq(r.msg.event, "init");
	ck_assert_ptr_nonnull(r.msg.payload);
	phoenix_result_free(&r);

	/* ok reply to flow_authorized: dropped quietly */
	ck_assert_int_eq(in(&s, 1003, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":1,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_REPLY_IGNORED);
	/* error reply to a non-join request: a warning, nothing else */
	ck_assert_int_eq(in(&s, 1004, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{\"reason\":\"invalid_ref\"},\"status\":\"error\"},\"ref\":1,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_REQUEST_FAILED);
	ck_assert_str_eq(r.detail, "invalid_ref");
	ck_assert_uint_eq(r.ref, 1);

	/* "unmatched topic" to a request: a new join goes out (item 17) */
	ck_assert_int_eq(in(&s, 1005, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{\"reason\":\"unmatched topic\"},\"status\":\"error\"},\"ref\":1,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_REJOINING);
	ck_assert_int_eq(s.state, PHOENIX_JOINING);
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"phx_join\",\"payload\":null,\"ref\":2}");
	ck_assert_int_eq(in(&s, 1006, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":2,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_JOINED);

	/* reconnect: the queue is dropped, refs restart at 0 */
	phoenix_session_disconnected(&s);
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "a", NULL, NULL), PHOENIX_OK);
	ck_assert_ptr_null(phoenix_session_peek(&s, NULL));
	ck_assert_int_eq(in(&s, 1007, "{\"event\":\"init\",\"payload\":{},\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_NOT_CONNECTED);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 5000), PHOENIX_OK);
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"phx_join\",\"payload\":null,\"ref\":0}");
	ck_assert_uint_eq(phoenix_session_queue_len(&s), 0);
	phoenix_session_free(&s);
}
END_TEST

START_TEST(session_heartbeat)
{
	struct phoenix_session s;
	struct phoenix_result r;
	char reply[256];

	phoenix_session_init(&s, 0);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 10000), PHOENIX_OK);
	phoenix_session_pop(&s);	/* the join, ref 0 */
	/* the join must be answered within 5 s */
	ck_assert_uint_eq(phoenix_session_next_deadline(&s), 15000);
	ck_assert_int_eq(in(&s, 10010, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":0,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_JOINED);
	/* first heartbeat 10 s after the upgrade (item 15) */
	ck_assert_uint_eq(phoenix_session_next_deadline(&s), 20000);

	ck_assert_int_eq(phoenix_session_tick(&s, 19999, &r), PHOENIX_ACT_NONE);
	ck_assert_ptr_null(phoenix_session_peek(&s, NULL));
	ck_assert_int_eq(phoenix_session_tick(&s, 20000, &r), PHOENIX_ACT_NONE);
	ck_assert_uint_eq(r.ref, 1);
	expect_out(&s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":1}");
	ck_assert_uint_eq(phoenix_session_next_deadline(&s), 30000);

	/* a reply with another ref, a string ref, or a non-empty response
	 * does not count */
	ck_assert_int_eq(in(&s, 21000, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":0,\"topic\":\"phoenix\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_ne(r.cause, PHOENIX_CAUSE_HEARTBEAT_ACK);
	ck_assert_int_eq(in(&s, 21000, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":\"1\",\"topic\":\"phoenix\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_BAD_FRAME);
	ck_assert_int_eq(r.err, PHOENIX_EREF);
	ck_assert_int_eq(in(&s, 21000, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{\"x\":1},\"status\":\"ok\"},\"ref\":1,\"topic\":\"phoenix\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_BAD_FRAME);
	ck_assert_int_eq(s.hb_pending, 1);

	ck_assert_int_eq(in(&s, 21000, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":1,\"topic\":\"phoenix\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_HEARTBEAT_ACK);
	ck_assert_int_eq(s.hb_pending, 0);

	/* every 10 s; a late tick skips missed beats */
	ck_assert_int_eq(phoenix_session_tick(&s, 30000, &r), PHOENIX_ACT_NONE);
	expect_out(&s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":2}");
	snprintf(reply, sizeof(reply), "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":2,\"topic\":\"phoenix\"}");
	ck_assert_int_eq(in(&s, 30010, reply, &r), PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_HEARTBEAT_ACK);
	ck_assert_int_eq(phoenix_session_tick(&s, 65000, &r), PHOENIX_ACT_NONE);
	ck_assert_uint_eq(phoenix_session_queue_len(&s), 1);
	expect_out(&s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":3}");
	ck_assert_uint_eq(s.hb_next, 70000);

	/* unanswered: the 2nd and 3rd go out, the 4th goes out and the
	 * connection is dropped (item 16) */
	ck_assert_int_eq(phoenix_session_tick(&s, 70000, &r), PHOENIX_ACT_NONE);
	expect_out(&s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":4}");
	ck_assert_int_eq(phoenix_session_tick(&s, 80000, &r), PHOENIX_ACT_NONE);
	expect_out(&s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":5}");
	ck_assert_int_eq(s.hb_pending, 3);
	ck_assert_int_eq(phoenix_session_tick(&s, 90000, &r), PHOENIX_ACT_RECONNECT);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_HEARTBEAT_TIMEOUT);
	ck_assert_uint_eq(r.ref, 6);
	ck_assert_int_eq(s.state, PHOENIX_DISCONNECTED);
	ck_assert_uint_eq(phoenix_session_next_deadline(&s), PHOENIX_NO_DEADLINE);
	/* no heartbeats while disconnected */
	ck_assert_int_eq(phoenix_session_tick(&s, 500000, &r), PHOENIX_ACT_NONE);

	/* the timer restarts with the next connection */
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 600000), PHOENIX_OK);
	ck_assert_uint_eq(s.hb_next, 610000);
	/* refs restart at 0: the first heartbeat of this connection is 1 */
	phoenix_session_pop(&s);
	ck_assert_int_eq(in(&s, 600001, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":0,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(phoenix_session_tick(&s, 610000, &r), PHOENIX_ACT_NONE);
	expect_out(&s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":1}");
	phoenix_session_free(&s);

	/* no join reply within 5 s: reconnect (item 13) */
	phoenix_session_init(&s, 0);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 0), PHOENIX_OK);
	ck_assert_int_eq(phoenix_session_tick(&s, 4999, &r), PHOENIX_ACT_NONE);
	ck_assert_int_eq(phoenix_session_tick(&s, 5000, &r), PHOENIX_ACT_RECONNECT);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_JOIN_TIMEOUT);
	phoenix_session_free(&s);
}
END_TEST

START_TEST(session_join_errors)
{
	struct phoenix_session s;
	struct phoenix_result r;
	char *t;
	size_t len;

	phoenix_session_init(&s, 0);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 0), PHOENIX_OK);	/* join ref 0 */
	phoenix_session_pop(&s);

	/* the upstream fixtures: string refs are dropped, null refs warned */
	t = read_fixture("phoenix_unmatched_topic_reply.json", &len);
	ck_assert_int_eq(phoenix_session_input(&s, 1, t, len, &r), PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_BAD_FRAME);
	ck_assert_int_eq(r.err, PHOENIX_EREF);
	free(t);
	t = read_fixture("phoenix_disabled_err_reply.json", &len);
	ck_assert_int_eq(phoenix_session_input(&s, 1, t, len, &r), PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_REPLY_NO_REF);
	ck_assert_str_eq(r.detail, "disabled");
	free(t);

	/* an error on another topic with the join ref is only a warning */
	ck_assert_int_eq(in(&s, 2, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{\"reason\":\"unmatched topic\"},\"status\":\"error\"},\"ref\":0,\"topic\":\"client\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_REQUEST_FAILED);

	/* an error to the join on topic gateway is fatal */
	ck_assert_int_eq(in(&s, 3, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{\"reason\":\"unmatched topic\"},\"status\":\"error\"},\"ref\":0,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_FATAL);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_JOIN_FAILED);
	ck_assert_str_eq(r.detail, "unmatched topic");
	ck_assert_int_eq(r.reason, PHOENIX_REASON_UNMATCHED_TOPIC);
	ck_assert_str_eq(phoenix_cause_name(r.cause), "login failed");
	phoenix_session_free(&s);

	/* an error to the join of the current connection is fatal */
	phoenix_session_init(&s, 0);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 0), PHOENIX_OK);	/* ref 0 */
	phoenix_session_disconnected(&s);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 10), PHOENIX_OK);	/* ref 1 */
	ck_assert_int_eq(in(&s, 11, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{\"reason\":\"join crashed\\n\"},\"status\":\"error\"},\"ref\":0,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_FATAL);
	ck_assert_str_eq(r.detail, "join crashed?");
	ck_assert_int_eq(r.reason, PHOENIX_REASON_OTHER);
	ck_assert_int_eq(phoenix_reason_parse("not_found"), PHOENIX_REASON_NOT_FOUND);
	ck_assert_int_eq(phoenix_reason_parse("invalid_version"),
	    PHOENIX_REASON_INVALID_VERSION);
	ck_assert_int_eq(phoenix_reason_parse("offline"), PHOENIX_REASON_OFFLINE);
	ck_assert_int_eq(phoenix_reason_parse("disabled"), PHOENIX_REASON_DISABLED);
	ck_assert_int_eq(phoenix_reason_parse("Disabled"), PHOENIX_REASON_OTHER);
	ck_assert_int_eq(phoenix_reason_parse(NULL), PHOENIX_REASON_NONE);
	phoenix_session_free(&s);
}
END_TEST

START_TEST(session_control_frames)
{
	struct phoenix_session s;
	struct phoenix_result r;
	char *t;
	size_t len;

	phoenix_session_init(&s, 0);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 0), PHOENIX_OK);
	phoenix_session_pop(&s);

	/* phx_error: logged only, no reconnect */
	ck_assert_int_eq(in(&s, 1, "{\"event\":\"phx_error\",\"payload\":{},\"ref\":null,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_CHANNEL_ERROR);
	ck_assert_int_eq(s.state, PHOENIX_JOINING);

	/* unknown events are handed over; the message layer decides */
	ck_assert_int_eq(in(&s, 1, "{\"event\":\"foo\",\"payload\":{},\"ref\":null,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_EVENT);
	phoenix_result_free(&r);

	/* syntax errors drop the frame; an incomplete frame reconnects */
	ck_assert_int_eq(in(&s, 1, "{\"event\" 1}", &r), PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_BAD_FRAME);
	ck_assert_int_eq(r.err, PHOENIX_EJSON);
	ck_assert_int_eq(in(&s, 1, "{\"event\":\"phx_close\",\"payload\":{}}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_BAD_FRAME);
	ck_assert_int_eq(r.err, PHOENIX_ETOPIC);
	/* disconnect with another reason: ignored */
	ck_assert_int_eq(in(&s, 1, "{\"event\":\"disconnect\",\"payload\":{\"reason\":\"other\"},\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_BAD_FRAME);

	ck_assert_int_eq(in(&s, 1, "", &r), PHOENIX_ACT_RECONNECT);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_BROKEN_FRAME);
	ck_assert_int_eq(s.state, PHOENIX_DISCONNECTED);

	/* phx_close (upstream fixture, any topic): reconnect */
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 100), PHOENIX_OK);
	t = read_fixture("phoenix_phx_close.json", &len);
	ck_assert_int_eq(phoenix_session_input(&s, 101, t, len, &r), PHOENIX_ACT_RECONNECT);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_CHANNEL_CLOSED);
	free(t);
	/* the unwritten join is dropped: one join next time */
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 200), PHOENIX_OK);
	ck_assert_uint_eq(phoenix_session_queue_len(&s), 1);

	/* disconnect token_expired (upstream fixture): fatal */
	t = read_fixture("phoenix_token_expired.json", &len);
	ck_assert_int_eq(phoenix_session_input(&s, 201, t, len, &r), PHOENIX_ACT_FATAL);
	ck_assert_int_eq(r.cause, PHOENIX_CAUSE_TOKEN_EXPIRED);
	ck_assert_str_eq(r.detail, "token_expired");
	ck_assert_int_eq(r.reason, PHOENIX_REASON_TOKEN_EXPIRED);
	free(t);
	phoenix_session_free(&s);
}
END_TEST

START_TEST(session_queue_limit)
{
	struct phoenix_session s;
	struct phoenix_result r;

	phoenix_session_init(&s, 2);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 0), PHOENIX_OK);
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "a", NULL, NULL), PHOENIX_OK);
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "b", NULL, NULL), PHOENIX_EFULL);
	/* heartbeats still get in */
	ck_assert_int_eq(phoenix_session_tick(&s, 0, &r), PHOENIX_ACT_NONE);
	ck_assert_int_eq(in(&s, 1, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":0,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	ck_assert_int_eq(phoenix_session_tick(&s, 10000, &r), PHOENIX_ACT_NONE);
	ck_assert_uint_eq(phoenix_session_queue_len(&s), 3);
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"phx_join\",\"payload\":null,\"ref\":0}");
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"a\",\"payload\":null,\"ref\":1}");
	expect_out(&s, "{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":2}");
	phoenix_session_pop(&s);	/* empty queue: harmless */
	ck_assert_int_eq(phoenix_session_push(NULL, "gateway", "x", NULL, NULL), PHOENIX_EINVAL);
	phoenix_session_free(&s);

	/* a message identical to one still queued is not queued twice */
	phoenix_session_init(&s, 0);
	phoenix_session_connecting(&s);
	ck_assert_int_eq(phoenix_session_connected(&s, 0), PHOENIX_OK);
	uint64_t r1 = 0, r2 = 0, r3 = 0;
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "a", NULL, &r1), PHOENIX_OK);
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "a", NULL, &r2), PHOENIX_OK);
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "b", NULL, &r3), PHOENIX_OK);
	ck_assert_uint_eq(r1, r2);
	ck_assert_uint_ne(r1, r3);
	ck_assert_uint_eq(phoenix_session_queue_len(&s), 3);	/* join, a, b */
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"phx_join\",\"payload\":null,\"ref\":0}");
	ck_assert_int_eq(in(&s, 1, "{\"event\":\"phx_reply\",\"payload\":{\"response\":{},\"status\":\"ok\"},\"ref\":0,\"topic\":\"gateway\"}", &r),
	    PHOENIX_ACT_NONE);
	expect_out(&s, "{\"topic\":\"gateway\",\"event\":\"a\",\"payload\":null,\"ref\":1}");
	/* once written, the same message may be queued again */
	ck_assert_int_eq(phoenix_session_push(&s, "gateway", "a", NULL, &r2), PHOENIX_OK);
	ck_assert_uint_ne(r1, r2);
	phoenix_session_free(&s);
	ck_assert_str_eq(phoenix_state_name(PHOENIX_JOINED), "joined");
}
END_TEST

static Suite *
phoenix_suite(void)
{
	Suite *s = suite_create("phoenix");
	TCase *fr = tcase_create("framing");
	TCase *se = tcase_create("session");

	tcase_add_test(fr, encode_frames);
	tcase_add_test(fr, decode_fixtures);
	tcase_add_loop_test(fr, decode_table, 0,
	    (int)(sizeof(dec_cases) / sizeof(dec_cases[0])));
	tcase_add_test(fr, decode_not_terminated);
	tcase_add_test(fr, decode_mutations);
	suite_add_tcase(s, fr);

	tcase_add_test(se, session_join_and_queue);
	tcase_add_test(se, session_heartbeat);
	tcase_add_test(se, session_join_errors);
	tcase_add_test(se, session_control_frames);
	tcase_add_test(se, session_queue_limit);
	suite_add_tcase(s, se);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(phoenix_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
