/*
 * fuzz_phoenix.c - libFuzzer target for control/phoenix.c.
 *
 * Every input is first decoded whole with phoenix_decode().  Then it is
 * read as a session script: records separated by the byte 0xff (never
 * part of UTF-8 text).  Each record is one op byte and an inbound frame:
 *   op bits 0-1  0 input only; 1 timer tick, then input; 2 the connection
 *                drops and comes back, then input; 3 push an outbound
 *                frame, then input
 *   op bits 2-6  the fake clock advances by this many seconds first
 *   op bit 7     leave the outbound queue unwritten this round
 * The glue's contract is followed: RECONNECT drops the connection (and the
 * next record reconnects), FATAL ends the script.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "phoenix.h"

#define SEP 0xff

static void
touch(const char *p, size_t len)
{
	volatile char sink = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sink ^= p[i];
	(void)sink;
}

static void
check_msg(const struct phoenix_msg *m)
{
	if (m->root == NULL || m->topic == NULL || m->event == NULL)
		abort();
	touch(m->topic, strlen(m->topic));
	touch(m->event, strlen(m->event));
	if (m->ref_kind == PHOENIX_REF_STRING && m->ref_str == NULL)
		abort();
	if (m->reason != NULL)
		touch(m->reason, strlen(m->reason));
	if (m->kind == PHOENIX_KIND_DISCONNECT && m->reason == NULL)
		abort();
}

static void
check_result(const struct phoenix_result *r)
{
	if (memchr(r->detail, '\0', sizeof(r->detail)) == NULL)
		abort();
	if (phoenix_cause_name(r->cause) == NULL)
		abort();
	if (r->action == PHOENIX_ACT_EVENT)
		check_msg(&r->msg);
	else if (r->msg.root != NULL)
		abort();
	if (r->err != 0 && phoenix_strerror(r->err) == NULL)
		abort();
}

static void
drain(struct phoenix_session *s)
{
	const char *f;
	size_t len;

	while ((f = phoenix_session_peek(s, &len)) != NULL) {
		struct phoenix_msg m;

		/* what we send must parse as what we would accept */
		if (phoenix_decode(f, len, &m) != PHOENIX_OK)
			abort();
		phoenix_msg_free(&m);
		phoenix_session_pop(s);
	}
}

static void
run_session(const uint8_t *data, size_t size)
{
	struct phoenix_session s;
	struct phoenix_result r;
	uint64_t now = 1000000;
	int up = 0;

	phoenix_session_init(&s, 16);
	phoenix_session_connecting(&s);
	while (size > 0) {
		const uint8_t *end = memchr(data, SEP, size);
		size_t rec = end != NULL ? (size_t)(end - data) : size;
		enum phoenix_action a;
		uint8_t op;

		if (rec == 0)
			goto next;
		op = data[0];
		now += (uint64_t)((op >> 2) & 31) * 1000;
		if (!up || (op & 3) == 2) {
			if (up)
				phoenix_session_disconnected(&s);
			phoenix_session_connecting(&s);
			if (phoenix_session_connected(&s, now) != PHOENIX_OK)
				abort();
			up = 1;
		}
		if ((op & 3) == 1 || phoenix_session_next_deadline(&s) <= now) {
			a = phoenix_session_tick(&s, now, &r);
			check_result(&r);
			phoenix_result_free(&r);
			if (a == PHOENIX_ACT_RECONNECT) {
				phoenix_session_disconnected(&s);
				up = 0;
				goto next;
			}
			if (a != PHOENIX_ACT_NONE)
				abort();
		}
		if ((op & 3) == 3) {
			struct json_object *p = json_object_new_object();
			uint64_t ref;
			int rc;

			json_object_object_add(p, "k", json_object_new_int(op));
			rc = phoenix_session_push(&s, PHOENIX_TOPIC, "event", p, &ref);
			if (rc != PHOENIX_OK && rc != PHOENIX_EFULL)
				abort();
			json_object_put(p);
		}
		a = phoenix_session_input(&s, now, (const char *)data + 1, rec - 1, &r);
		if (a != r.action)
			abort();
		check_result(&r);
		phoenix_result_free(&r);
		if (a == PHOENIX_ACT_FATAL)
			break;
		if (a == PHOENIX_ACT_RECONNECT) {
			phoenix_session_disconnected(&s);
			up = 0;
		}
		if (!(op & 0x80))
			drain(&s);
next:
		if (end == NULL)
			break;
		data += rec + 1;
		size -= rec + 1;
	}
	phoenix_session_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phoenix_msg m;

	if (phoenix_decode((const char *)data, size, &m) == PHOENIX_OK)
		check_msg(&m);
	else if (m.root != NULL)
		abort();
	phoenix_msg_free(&m);
	phoenix_msg_free(&m);
	run_session(data, size);
	return 0;
}
