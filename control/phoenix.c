/*
 * phoenix.c - Phoenix V1 JSON framing and the portal channel session (see
 * phoenix.h).  The session follows the reference client's rules: refs from
 * one counter that never resets, join first on every connection, heartbeat
 * every 30 s with a 5 s reply timeout, join errors fatal, phx_close a
 * reason to reconnect, phx_error only logged.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "phoenix.h"

struct phoenix_frame {
	struct phoenix_frame	*next;
	uint64_t		 ref;
	int			 control;	/* join or heartbeat: sent while joining */
	size_t			 body_len;	/* text up to the ref: what makes it equal */
	size_t			 len;
	char			 text[];
};

/* ---- framing ----------------------------------------------------------- */

static int
add_key(struct json_object *o, const char *k, struct json_object *v)
{
	/* json_object_object_add takes the reference to v, even on failure */
	return json_object_object_add(o, k, v) == 0 ? PHOENIX_OK : PHOENIX_ENOMEM;
}

int
phoenix_encode(const char *topic, const char *event, struct json_object *payload,
    uint64_t ref, char **out, size_t *out_len)
{
	struct json_object *root, *t, *e, *r;
	const char *s;
	size_t len = 0;
	char *copy;
	int rc;

	if (topic == NULL || event == NULL || out == NULL)
		return PHOENIX_EINVAL;
	*out = NULL;
	root = json_object_new_object();
	if (root == NULL)
		return PHOENIX_ENOMEM;
	t = json_object_new_string(topic);
	e = json_object_new_string(event);
	r = json_object_new_uint64(ref);
	if (t == NULL || e == NULL || r == NULL) {
		json_object_put(t);
		json_object_put(e);
		json_object_put(r);
		json_object_put(root);
		return PHOENIX_ENOMEM;
	}
	/* Insertion order is the output order: topic, event, payload, ref. */
	rc = add_key(root, "topic", t);
	if (rc == PHOENIX_OK)
		rc = add_key(root, "event", e);
	else
		json_object_put(e);
	if (rc == PHOENIX_OK)
		rc = add_key(root, "payload", json_object_get(payload));
	if (rc == PHOENIX_OK)
		rc = add_key(root, "ref", r);
	else
		json_object_put(r);
	if (rc != PHOENIX_OK) {
		json_object_put(root);
		return rc;
	}
	s = json_object_to_json_string_length(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	copy = s != NULL ? malloc(len + 1) : NULL;
	if (copy == NULL) {
		json_object_put(root);
		return PHOENIX_ENOMEM;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	json_object_put(root);
	*out = copy;
	if (out_len != NULL)
		*out_len = len;
	return PHOENIX_OK;
}

void
phoenix_msg_free(struct phoenix_msg *m)
{
	if (m == NULL)
		return;
	json_object_put(m->root);
	memset(m, 0, sizeof(*m));
}

/* 1 if o is an object with no keys. */
static int
is_empty_object(struct json_object *o)
{
	return o != NULL && json_object_is_type(o, json_type_object) &&
	    json_object_object_length(o) == 0;
}

/* The string value of key k of object o, or NULL. */
static const char *
get_string(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
decode_ref(struct json_object *root, struct phoenix_msg *m)
{
	struct json_object *r;
	int64_t v;

	if (!json_object_object_get_ex(root, "ref", &r) || r == NULL) {
		m->ref_kind = PHOENIX_REF_NONE;
		return PHOENIX_OK;
	}
	if (json_object_is_type(r, json_type_string)) {
		m->ref_kind = PHOENIX_REF_STRING;
		m->ref_str = json_object_get_string(r);
		return PHOENIX_OK;
	}
	if (!json_object_is_type(r, json_type_int))
		return PHOENIX_EREF;
	v = json_object_get_int64(r);
	if (v < 0)
		return PHOENIX_EREF;
	m->ref_kind = PHOENIX_REF_INT;
	/* json-c saturates get_int64 for values above INT64_MAX */
	m->ref = v == INT64_MAX ? json_object_get_uint64(r) : (uint64_t)v;
	return PHOENIX_OK;
}

static int
decode_control(struct phoenix_msg *m)
{
	struct json_object *p = m->payload, *resp;
	const char *status;

	if (strcmp(m->event, "phx_reply") == 0) {
		m->kind = PHOENIX_KIND_REPLY;
		status = get_string(p, "status");
		if (status == NULL || !json_object_object_get_ex(p, "response", &resp))
			return PHOENIX_EPAYLOAD;
		m->response = resp;
		m->response_empty = is_empty_object(resp);
		if (strcmp(status, "ok") == 0) {
			m->status = PHOENIX_REPLY_OK;
		} else if (strcmp(status, "error") == 0) {
			m->status = PHOENIX_REPLY_ERROR;
			m->reason = get_string(resp, "reason");
			if (m->reason == NULL)
				return PHOENIX_EPAYLOAD;
		} else {
			return PHOENIX_EPAYLOAD;
		}
	} else if (strcmp(m->event, "phx_error") == 0) {
		m->kind = PHOENIX_KIND_ERROR;
		if (!is_empty_object(p))
			return PHOENIX_EPAYLOAD;
	} else if (strcmp(m->event, "phx_close") == 0) {
		m->kind = PHOENIX_KIND_CLOSE;
		if (!is_empty_object(p))
			return PHOENIX_EPAYLOAD;
	} else if (strcmp(m->event, "disconnect") == 0) {
		m->kind = PHOENIX_KIND_DISCONNECT;
		m->reason = get_string(p, "reason");
		if (m->reason == NULL)
			return PHOENIX_EPAYLOAD;
	} else {
		m->kind = PHOENIX_KIND_EVENT;
	}
	return PHOENIX_OK;
}

int
phoenix_decode(const char *text, size_t len, struct phoenix_msg *m)
{
	struct json_tokener *tok;
	struct json_object *root, *v;
	enum json_tokener_error jerr;
	size_t end, i;
	char *copy;
	int rc;

	if (m == NULL)
		return PHOENIX_EINVAL;
	memset(m, 0, sizeof(*m));
	if (text == NULL && len > 0)
		return PHOENIX_EINVAL;
	if (len > INT32_MAX)
		return PHOENIX_EJSON;
	/* Skip leading whitespace; nothing but whitespace is an early end. */
	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' &&
		    text[i] != '\n')
			break;
	if (i == len)
		return PHOENIX_EINCOMPLETE;
	/*
	 * json-c needs a terminating NUL to finish a trailing number or
	 * literal, so parse a terminated copy; running into that NUL inside
	 * a value means the input ended early.
	 */
	copy = malloc(len - i + 1);
	tok = json_tokener_new();
	if (copy == NULL || tok == NULL) {
		free(copy);
		if (tok != NULL)
			json_tokener_free(tok);
		return PHOENIX_ENOMEM;
	}
	memcpy(copy, text + i, len - i);
	copy[len - i] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, copy, (int)(len - i + 1));
	jerr = json_tokener_get_error(tok);
	end = i + json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	explicit_bzero(copy, len - i + 1);	/* frames carry keys and credentials */
	free(copy);
	if (root == NULL) {
		if (jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof)
			return PHOENIX_EINCOMPLETE;
		return PHOENIX_EJSON;
	}
	for (; end < len; end++) {
		if (text[end] != ' ' && text[end] != '\t' && text[end] != '\r' &&
		    text[end] != '\n') {
			json_object_put(root);
			return PHOENIX_EJSON;
		}
	}
	m->root = root;
	if (!json_object_is_type(root, json_type_object)) {
		rc = PHOENIX_ENOTOBJECT;
		goto fail;
	}
	m->topic = get_string(root, "topic");
	if (m->topic == NULL) {
		rc = PHOENIX_ETOPIC;
		goto fail;
	}
	m->event = get_string(root, "event");
	if (m->event == NULL) {
		rc = PHOENIX_EEVENT;
		goto fail;
	}
	if (!json_object_object_get_ex(root, "payload", &v)) {
		rc = PHOENIX_EPAYLOAD;
		goto fail;
	}
	m->payload = v;
	rc = decode_ref(root, m);
	if (rc == PHOENIX_OK)
		rc = decode_control(m);
	if (rc == PHOENIX_OK)
		return PHOENIX_OK;
fail:
	phoenix_msg_free(m);
	return rc;
}

/* ---- session ----------------------------------------------------------- */

void
phoenix_session_init(struct phoenix_session *s, size_t q_max)
{
	memset(s, 0, sizeof(*s));
	s->state = PHOENIX_DISCONNECTED;
	s->q_max = q_max;
}

void
phoenix_session_free(struct phoenix_session *s)
{
	struct phoenix_frame *f, *n;

	if (s == NULL)
		return;
	for (f = s->q_head; f != NULL; f = n) {
		n = f->next;
		explicit_bzero(f->text, f->len);
		free(f);
	}
	s->q_head = s->q_tail = NULL;
	s->q_len = 0;
}

static int
connected(const struct phoenix_session *s)
{
	return s->state == PHOENIX_JOINING || s->state == PHOENIX_JOINED;
}

/* Take a ref and serialise a frame; the caller links it into the queue. */
static int
make_frame(struct phoenix_session *s, const char *topic, const char *event,
    struct json_object *payload, struct phoenix_frame **out)
{
	struct phoenix_frame *f;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = phoenix_encode(topic, event, payload, s->next_ref, &text, &len);
	if (rc != PHOENIX_OK)
		return rc;
	f = malloc(sizeof(*f) + len + 1);
	if (f == NULL) {
		explicit_bzero(text, len);
		free(text);
		return PHOENIX_ENOMEM;
	}
	f->next = NULL;
	f->control = strcmp(event, "phx_join") == 0 ||
	    strcmp(topic, PHOENIX_HEARTBEAT_TOPIC) == 0;
	f->ref = s->next_ref++;
	f->len = len;
	memcpy(f->text, text, len + 1);
	/* The ref is the last key: everything before it is the message. */
	for (f->body_len = len; f->body_len > 0; f->body_len--)
		if (len - f->body_len >= 7 && memcmp(f->text + f->body_len, ",\"ref\":", 7) == 0)
			break;
	explicit_bzero(text, len);	/* replies carry our ICE password */
	free(text);
	*out = f;
	return PHOENIX_OK;
}

static void
enqueue_back(struct phoenix_session *s, struct phoenix_frame *f)
{
	if (s->q_tail != NULL)
		s->q_tail->next = f;
	else
		s->q_head = f;
	s->q_tail = f;
	s->q_len++;
}

static void
enqueue_front(struct phoenix_session *s, struct phoenix_frame *f)
{
	f->next = s->q_head;
	s->q_head = f;
	if (s->q_tail == NULL)
		s->q_tail = f;
	s->q_len++;
}

static void
remember_join_ref(struct phoenix_session *s, uint64_t ref)
{
	s->join_refs[s->join_refs_pos] = ref;
	s->join_refs_pos = (s->join_refs_pos + 1) % PHOENIX_JOIN_REFS_MAX;
	if (s->n_join_refs < PHOENIX_JOIN_REFS_MAX)
		s->n_join_refs++;
	s->join_ref = ref;
}

/*
 * Join refs are never forgotten while they fit (spec 1.7 quirk): an error
 * reply to any earlier join is as fatal as one to the latest.
 */
static int
is_join_ref(const struct phoenix_session *s, uint64_t ref)
{
	size_t i;

	for (i = 0; i < s->n_join_refs; i++)
		if (s->join_refs[i] == ref)
			return 1;
	return 0;
}

void
phoenix_session_connecting(struct phoenix_session *s)
{
	s->state = PHOENIX_CONNECTING;
	s->hb_pending = 0;
}

/* Queue a phx_join (payload null) at the front; the join timer starts. */
static int
queue_join(struct phoenix_session *s, uint64_t now)
{
	struct phoenix_frame *f;
	int rc;

	/* JSON null payload: the join parameters are the unit type. */
	rc = make_frame(s, PHOENIX_TOPIC, "phx_join", NULL, &f);
	if (rc != PHOENIX_OK)
		return rc;
	enqueue_front(s, f);
	remember_join_ref(s, f->ref);
	s->state = PHOENIX_JOINING;
	s->join_deadline = now + PHOENIX_JOIN_TIMEOUT_MS;
	return PHOENIX_OK;
}

int
phoenix_session_connected(struct phoenix_session *s, uint64_t now)
{
	size_t q_max = s->q_max;

	/*
	 * A new connection starts from scratch: the queue lives only as long
	 * as one connection (what was produced while disconnected is
	 * dropped), refs restart at 0 and the join refs of the old
	 * connection are forgotten.
	 */
	phoenix_session_free(s);
	memset(s, 0, sizeof(*s));
	s->q_max = q_max;
	s->hb_next = now + PHOENIX_HEARTBEAT_INTERVAL_MS;
	return queue_join(s, now);
}

void
phoenix_session_disconnected(struct phoenix_session *s)
{
	s->state = PHOENIX_DISCONNECTED;
	s->hb_pending = 0;
}

int
phoenix_session_push(struct phoenix_session *s, const char *topic,
    const char *event, struct json_object *payload, uint64_t *ref_out)
{
	struct phoenix_frame *f, *q;
	int rc;

	if (s == NULL || topic == NULL || event == NULL)
		return PHOENIX_EINVAL;
	if (s->q_max != 0 && s->q_len >= s->q_max)
		return PHOENIX_EFULL;
	rc = make_frame(s, topic, event, payload, &f);
	if (rc != PHOENIX_OK)
		return rc;
	/* A message identical to one still queued is not queued again. */
	for (q = s->q_head; q != NULL; q = q->next)
		if (!q->control && q->body_len == f->body_len && f->body_len > 0 &&
		    memcmp(q->text, f->text, f->body_len) == 0) {
			if (ref_out != NULL)
				*ref_out = q->ref;
			explicit_bzero(f->text, f->len);
			free(f);
			return PHOENIX_OK;
		}
	enqueue_back(s, f);
	if (ref_out != NULL)
		*ref_out = f->ref;
	return PHOENIX_OK;
}

/*
 * The frame to send next and the one before it in the queue: the head,
 * except while joining, when only the join and heartbeats go out (nothing
 * else before the join reply).
 */
static struct phoenix_frame *
next_frame(const struct phoenix_session *s, struct phoenix_frame **prev)
{
	struct phoenix_frame *f, *p = NULL;

	*prev = NULL;
	if (!connected(s))
		return NULL;
	for (f = s->q_head; f != NULL; p = f, f = f->next)
		if (s->state == PHOENIX_JOINED || f->control) {
			*prev = p;
			return f;
		}
	return NULL;
}

const char *
phoenix_session_peek(const struct phoenix_session *s, size_t *len)
{
	struct phoenix_frame *prev, *f = next_frame(s, &prev);

	if (f == NULL)
		return NULL;
	if (len != NULL)
		*len = f->len;
	return f->text;
}

void
phoenix_session_pop(struct phoenix_session *s)
{
	struct phoenix_frame *prev, *f = next_frame(s, &prev);

	if (f == NULL)
		return;
	if (prev != NULL)
		prev->next = f->next;
	else
		s->q_head = f->next;
	if (s->q_tail == f)
		s->q_tail = prev;
	s->q_len--;
	explicit_bzero(f->text, f->len);
	free(f);
}

size_t
phoenix_session_queue_len(const struct phoenix_session *s)
{
	return s->q_len;
}

uint64_t
phoenix_session_next_deadline(const struct phoenix_session *s)
{
	uint64_t d;

	if (!connected(s))
		return PHOENIX_NO_DEADLINE;
	d = s->hb_next;
	if (s->state == PHOENIX_JOINING && s->join_deadline < d)
		d = s->join_deadline;
	return d;
}

static void
result_reset(struct phoenix_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
phoenix_result_free(struct phoenix_result *r)
{
	if (r == NULL)
		return;
	phoenix_msg_free(&r->msg);
}

enum phoenix_reason
phoenix_reason_parse(const char *reason)
{
	static const struct {
		const char		*text;
		enum phoenix_reason	 code;
	} known[] = {
		{ "unmatched topic",	PHOENIX_REASON_UNMATCHED_TOPIC },
		{ "not_found",		PHOENIX_REASON_NOT_FOUND },
		{ "invalid_version",	PHOENIX_REASON_INVALID_VERSION },
		{ "offline",		PHOENIX_REASON_OFFLINE },
		{ "disabled",		PHOENIX_REASON_DISABLED },
		{ "token_expired",	PHOENIX_REASON_TOKEN_EXPIRED },
	};
	size_t i;

	if (reason == NULL)
		return PHOENIX_REASON_NONE;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(reason, known[i].text) == 0)
			return known[i].code;
	return PHOENIX_REASON_OTHER;
}

/* Copy a peer-supplied reason, printable ASCII only, truncated. */
static void
set_detail(struct phoenix_result *r, const char *s)
{
	size_t i;

	if (s == NULL)
		return;
	r->reason = phoenix_reason_parse(s);
	for (i = 0; s[i] != '\0' && i + 1 < sizeof(r->detail); i++) {
		unsigned char c = (unsigned char)s[i];

		r->detail[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	r->detail[i] = '\0';
}

static enum phoenix_action
finish(struct phoenix_result *r, enum phoenix_action a, enum phoenix_cause c)
{
	r->action = a;
	r->cause = c;
	return a;
}

/* Forget the outstanding heartbeat ref; 1 if it was one. */
static int
heartbeat_answered(struct phoenix_session *s, uint64_t ref)
{
	int i;

	for (i = 0; i < s->hb_pending; i++)
		if (s->hb_refs[i] == ref) {
			memmove(&s->hb_refs[i], &s->hb_refs[i + 1],
			    (size_t)(s->hb_pending - i - 1) * sizeof(s->hb_refs[0]));
			s->hb_pending--;
			return 1;
		}
	return 0;
}

static enum phoenix_action
handle_reply(struct phoenix_session *s, uint64_t now, struct phoenix_msg *m,
    struct phoenix_result *r)
{
	if (m->ref_kind == PHOENIX_REF_NONE) {
		set_detail(r, m->reason);
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_REPLY_NO_REF);
	}
	r->ref = m->ref;
	if (m->status == PHOENIX_REPLY_ERROR) {
		set_detail(r, m->reason);
		if (strcmp(m->topic, PHOENIX_TOPIC) == 0 && is_join_ref(s, m->ref))
			return finish(r, PHOENIX_ACT_FATAL, PHOENIX_CAUSE_JOIN_FAILED);
		/* The channel is gone on the portal's side: join again. */
		if (strcmp(m->topic, PHOENIX_TOPIC) == 0 &&
		    r->reason == PHOENIX_REASON_UNMATCHED_TOPIC &&
		    s->state == PHOENIX_JOINED) {
			if (queue_join(s, now) != PHOENIX_OK) {
				r->err = PHOENIX_ENOMEM;
				return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_REQUEST_FAILED);
			}
			return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_REJOINING);
		}
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_REQUEST_FAILED);
	}
	/* The gateway's requests all expect an empty ok response. */
	if (!m->response_empty) {
		r->err = PHOENIX_EPAYLOAD;
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_BAD_FRAME);
	}
	if (strcmp(m->topic, PHOENIX_HEARTBEAT_TOPIC) == 0 && heartbeat_answered(s, m->ref))
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_HEARTBEAT_ACK);
	if (strcmp(m->topic, PHOENIX_TOPIC) == 0 && m->ref == s->join_ref &&
	    s->state == PHOENIX_JOINING) {
		s->state = PHOENIX_JOINED;
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_JOINED);
	}
	return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_REPLY_IGNORED);
}

enum phoenix_action
phoenix_session_input(struct phoenix_session *s, uint64_t now, const char *text,
    size_t len, struct phoenix_result *r)
{
	struct phoenix_msg m;
	enum phoenix_action a;
	int rc;

	result_reset(r);
	if (!connected(s))
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_NOT_CONNECTED);
	rc = phoenix_decode(text, len, &m);
	if (rc == PHOENIX_EINCOMPLETE) {
		r->err = rc;
		s->state = PHOENIX_DISCONNECTED;
		s->hb_pending = 0;
		return finish(r, PHOENIX_ACT_RECONNECT, PHOENIX_CAUSE_BROKEN_FRAME);
	}
	if (rc == PHOENIX_OK && m.ref_kind == PHOENIX_REF_STRING)
		rc = PHOENIX_EREF;	/* refs are integers for this client */
	if (rc != PHOENIX_OK) {
		phoenix_msg_free(&m);
		r->err = rc;
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_BAD_FRAME);
	}

	switch (m.kind) {
	case PHOENIX_KIND_REPLY:
		a = handle_reply(s, now, &m, r);
		break;
	case PHOENIX_KIND_ERROR:
		a = finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_CHANNEL_ERROR);
		break;
	case PHOENIX_KIND_CLOSE:
		s->state = PHOENIX_DISCONNECTED;
		s->hb_pending = 0;
		a = finish(r, PHOENIX_ACT_RECONNECT, PHOENIX_CAUSE_CHANNEL_CLOSED);
		break;
	case PHOENIX_KIND_DISCONNECT:
		set_detail(r, m.reason);
		if (strcmp(m.reason, "token_expired") == 0) {
			a = finish(r, PHOENIX_ACT_FATAL, PHOENIX_CAUSE_TOKEN_EXPIRED);
		} else {
			r->err = PHOENIX_EPAYLOAD;
			a = finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_BAD_FRAME);
		}
		break;
	default:
		r->msg = m;	/* ownership moves to the result */
		return finish(r, PHOENIX_ACT_EVENT, PHOENIX_CAUSE_EVENT);
	}
	phoenix_msg_free(&m);
	return a;
}

enum phoenix_action
phoenix_session_tick(struct phoenix_session *s, uint64_t now,
    struct phoenix_result *r)
{
	struct phoenix_frame *f;
	struct json_object *empty;
	int rc;

	result_reset(r);
	if (!connected(s))
		return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_NONE);
	if (s->state == PHOENIX_JOINING && now >= s->join_deadline) {
		r->ref = s->join_ref;
		s->state = PHOENIX_DISCONNECTED;
		s->hb_pending = 0;
		return finish(r, PHOENIX_ACT_RECONNECT, PHOENIX_CAUSE_JOIN_TIMEOUT);
	}
	if (now >= s->hb_next) {
		/* Skip the ticks that were missed: the next one stays on the grid. */
		s->hb_next += ((now - s->hb_next) / PHOENIX_HEARTBEAT_INTERVAL_MS + 1) *
		    PHOENIX_HEARTBEAT_INTERVAL_MS;
		empty = json_object_new_object();
		if (empty == NULL) {
			r->err = PHOENIX_ENOMEM;
			return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_NONE);
		}
		rc = make_frame(s, PHOENIX_HEARTBEAT_TOPIC, "heartbeat", empty, &f);
		json_object_put(empty);
		if (rc != PHOENIX_OK) {
			r->err = rc;
			return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_NONE);
		}
		/* Heartbeats bypass the queue limit: they keep the socket alive. */
		enqueue_back(s, f);
		r->ref = f->ref;
		if (s->hb_pending == PHOENIX_HEARTBEAT_MAX_MISSED) {
			/* This one is the 4th without an answer: give up on the
			 * connection once it is written. */
			s->state = PHOENIX_DISCONNECTED;
			s->hb_pending = 0;
			return finish(r, PHOENIX_ACT_RECONNECT, PHOENIX_CAUSE_HEARTBEAT_TIMEOUT);
		}
		s->hb_refs[s->hb_pending++] = f->ref;
	}
	return finish(r, PHOENIX_ACT_NONE, PHOENIX_CAUSE_NONE);
}

const char *
phoenix_strerror(int err)
{
	switch (err) {
	case PHOENIX_OK:		return "ok";
	case PHOENIX_EINVAL:		return "invalid argument";
	case PHOENIX_ENOMEM:		return "out of memory";
	case PHOENIX_EINCOMPLETE:	return "incomplete JSON";
	case PHOENIX_EJSON:		return "invalid JSON";
	case PHOENIX_ENOTOBJECT:	return "message is not a JSON object";
	case PHOENIX_ETOPIC:		return "missing or invalid topic";
	case PHOENIX_EEVENT:		return "missing or invalid event";
	case PHOENIX_EPAYLOAD:		return "missing or invalid payload";
	case PHOENIX_EREF:		return "invalid ref";
	case PHOENIX_EFULL:		return "outbound queue full";
	default:			return "unknown error";
	}
}

const char *
phoenix_cause_name(enum phoenix_cause cause)
{
	switch (cause) {
	case PHOENIX_CAUSE_NONE:		return "none";
	case PHOENIX_CAUSE_EVENT:		return "event";
	case PHOENIX_CAUSE_JOINED:		return "joined";
	case PHOENIX_CAUSE_HEARTBEAT_ACK:	return "heartbeat acknowledged";
	case PHOENIX_CAUSE_REPLY_IGNORED:	return "reply ignored";
	case PHOENIX_CAUSE_REQUEST_FAILED:	return "request failed";
	case PHOENIX_CAUSE_REPLY_NO_REF:	return "reply without ref";
	case PHOENIX_CAUSE_CHANNEL_ERROR:	return "channel error";
	case PHOENIX_CAUSE_BAD_FRAME:		return "unparsable frame";
	case PHOENIX_CAUSE_NOT_CONNECTED:	return "not connected";
	case PHOENIX_CAUSE_CHANNEL_CLOSED:	return "channel closed";
	case PHOENIX_CAUSE_HEARTBEAT_TIMEOUT:	return "portal did not answer 4 heartbeats";
	case PHOENIX_CAUSE_JOIN_TIMEOUT:	return "portal did not answer the join within 5 s";
	case PHOENIX_CAUSE_REJOINING:		return "channel unknown to the portal, joining again";
	case PHOENIX_CAUSE_BROKEN_FRAME:	return "incomplete frame";
	case PHOENIX_CAUSE_JOIN_FAILED:		return "login failed";
	case PHOENIX_CAUSE_TOKEN_EXPIRED:	return "token expired";
	}
	return "unknown";
}

const char *
phoenix_state_name(enum phoenix_state state)
{
	switch (state) {
	case PHOENIX_DISCONNECTED:	return "disconnected";
	case PHOENIX_CONNECTING:	return "connecting";
	case PHOENIX_JOINING:		return "joining";
	case PHOENIX_JOINED:		return "joined";
	}
	return "unknown";
}
