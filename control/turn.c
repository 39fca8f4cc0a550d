/*
 * turn.c - sans-IO TURN client on libnice's STUN library (see turn.h).
 *
 * Message building:
 *   Binding      stun_usage_bind_create (unauthenticated, SOFTWARE)
 *   Refresh      stun_usage_turn_create_refresh, RFC 5766 flavour: LIFETIME
 *                only for a delete, REALM + NONCE copied from a challenge
 *                message we keep, USERNAME, MESSAGE-INTEGRITY
 *   Allocate     generic API: stun_usage_turn_create finishes the message
 *                itself and so cannot carry ADDITIONAL-ADDRESS-FAMILY
 *   ChannelBind  generic API (libnice has no usage for it)
 * The StunAgent runs RFC 5389 with long-term credentials and FINGERPRINT.
 * It keeps the transaction ids it signed (so stun_agent_validate finds the
 * key for a response); every transaction we end is forgotten there too.
 *
 * Response validation: our own bounded length walk, the transaction by id
 * (hash on the random id bytes), the source address, then
 * stun_agent_validate with FINGERPRINT checked only when the response has
 * one.  MESSAGE-INTEGRITY (RFC 8489 9.2.5, RFC 8656):
 *   - answers to unsigned requests (Binding, the first Allocate) are not
 *     checked: the 401 that starts the nonce exchange is unsigned;
 *   - answers to signed requests must carry a MESSAGE-INTEGRITY that
 *     verifies with the long-term key, or they are ignored as if never
 *     received (the transaction keeps retransmitting and may time out).
 *     stun_agent_validate checks it with the key it kept for the request;
 *     it skips error codes 400, 401 and 438, which mi_check covers: a 400
 *     must be signed, a 401 or 438 may come unsigned (the server may have
 *     no valid key for us: coturn's stale-nonce answer is unsigned) but
 *     one that carries MESSAGE-INTEGRITY must verify.
 * Today's Firezone relay and coturn sign every answer to a signed request
 * with MESSAGE-INTEGRITY (HMAC-SHA1); MESSAGE-INTEGRITY-SHA256 alone is not
 * accepted (we never offer it: our requests use MESSAGE-INTEGRITY).
 */
#include "turn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>
#include <stun/usages/bind.h>
#include <stun/usages/turn.h>

#include "log.h"

/* Attribute code points libnice's enum does not name. */
#define ATTR_REQUESTED_ADDRESS_FAMILY	0x0017	/* RFC 8656 */
#define ATTR_ADDITIONAL_ADDRESS_FAMILY	0x8000	/* RFC 8656 */
#define ATTR_ADDRESS_ERROR_CODE		0x8001	/* RFC 8656 */
#define FAMILY_IPV6_ATTR		0x02000000u	/* family 0x02, 3 bytes RFFU */
#define REQUESTED_TRANSPORT_UDP		0x11000000u	/* protocol 17, 3 bytes RFFU */

#define NIL		0xFFFFu
#define ADDR_BUF	64
#define TXN_HASH	256
#define CHAN_HASH	4096
#define EVENTS_MAX	(TURN_TXN_MAX + TURN_PENDING_MAX + 16)
#define TXN_RESERVED	4	/* slots channel binds never take */
#define CHALLENGES_MAX	3	/* 401/438 in a row for one request */
#define MISMATCH_MAX	2	/* 437 -> delete -> Allocate cycles in a row */
#define CHAL_BUF	(TURN_REALM_MAX + TURN_NONCE_MAX + 64 + 3) / 4 * 4

/*
 * Comprehension-required attributes (0x0000-0x7FFF) we accept in a response;
 * any other one fails the transaction (RFC 8489 section 7.3.3/7.3.4).
 */
static const uint16_t turn_known_attrs[] = {
	STUN_ATTRIBUTE_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_USERNAME,
	STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	STUN_ATTRIBUTE_ERROR_CODE,
	STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
	STUN_ATTRIBUTE_CHANNEL_NUMBER,
	STUN_ATTRIBUTE_LIFETIME,
	STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
	STUN_ATTRIBUTE_DATA,
	STUN_ATTRIBUTE_REALM,
	STUN_ATTRIBUTE_NONCE,
	STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
	ATTR_REQUESTED_ADDRESS_FAMILY,
	STUN_ATTRIBUTE_EVEN_PORT,
	STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
	STUN_ATTRIBUTE_DONT_FRAGMENT,
	STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_RESERVATION_TOKEN,
	0
};

enum txn_kind {
	TX_BINDING = 1,
	TX_ALLOCATE,
	TX_REFRESH,
	TX_DELETE,	/* delete a stale allocation (after 437), then Allocate */
	TX_STOP,	/* delete on turn_client_stop */
	TX_CHANNEL,
};

struct turn_txn {
	uint8_t used;
	uint8_t kind;
	uint8_t server;		/* index in cfg servers */
	uint8_t authed;		/* carried a NONCE */
	uint8_t signed_;	/* carried MESSAGE-INTEGRITY (key kept by the agent) */
	uint8_t queued;		/* wants to go out */
	uint8_t in_ring;	/* its index sits in the transmit ring */
	uint8_t challenges;	/* 401/438 answered so far for this request */
	uint16_t chan;		/* TX_CHANNEL: channel table index */
	uint16_t hnext;		/* id hash chain */
	uint16_t len;
	uint32_t rto_ms;
	uint64_t first_ms;
	uint64_t due_ms;
	StunTransactionId id;	/* 16 bytes: cookie + 96-bit id */
	uint8_t buf[TURN_MSG_MAX];
};

enum chan_state {
	CH_FREE = 0,
	CH_PENDING,	/* wants its first ChannelBind */
	CH_BINDING,	/* first ChannelBind in flight */
	CH_BOUND,	/* usable */
	CH_REBINDING,	/* usable, re-bind in flight */
	CH_COOLING,	/* released; number reserved, same peer may take it back */
};

enum chan_list {
	LS_NONE = 0,
	LS_FREE,	/* never used in this allocation, cyclic order */
	LS_COOL,	/* released, due = reusable at (FIFO by due) */
	LS_WANT,	/* needs a ChannelBind sent (FIFO) */
	LS_REBIND,	/* bound, due = re-bind time (FIFO by due) */
	LS_COUNT,
};

struct turn_chan {
	struct ipc_addr peer;
	uint8_t state;
	uint8_t list;
	uint8_t in_hash;
	uint8_t released;	/* release asked while a bind was in flight */
	uint8_t used;		/* sent to the server in this allocation */
	uint16_t prev, next;	/* list links */
	uint16_t hnext;		/* peer hash chain */
	uint64_t bound_ms;
	uint64_t due_ms;
};

struct turn_list {
	uint16_t head, tail;
	uint32_t n;
};

struct turn_client {
	enum turn_state state;
	StunAgent agent;

	struct ipc_addr server[2];
	uint8_t n_server;
	int8_t active;			/* server index, -1 if none */

	char username[TURN_USERNAME_MAX + 1];
	size_t username_len;
	char password[TURN_PASSWORD_MAX + 1];	/* secret */
	size_t password_len;
	uint8_t lt_key[16];		/* secret: MD5(username ":" realm ":" password) */
	uint64_t integrity_drops;	/* answers to signed requests ignored */
	char realm[TURN_REALM_MAX + 1];
	size_t realm_len;
	char software[TURN_SOFTWARE_MAX + 1];

	uint8_t nonce[TURN_NONCE_MAX];
	size_t nonce_len;
	bool has_nonce;
	StunMessage chal;		/* REALM + NONCE for the usage functions */
	uint8_t chal_buf[CHAL_BUF];

	/* allocation */
	bool allocated;
	bool alloc_single;		/* fallback after 440: one family only */
	uint8_t mismatches;
	struct ipc_addr relayed4, relayed6;
	bool has_relayed4, has_relayed6;
	uint64_t expires_ms;
	uint64_t refresh_ms;
	uint64_t keepalive_ms;		/* next Binding to the active server */
	uint32_t keepalive_every;	/* turn_config.keepalive_ms; 0: none */
	int refresh_txn;		/* txn index of the Refresh in flight, -1 */

	/* transactions */
	struct turn_txn txn[TURN_TXN_MAX];
	uint16_t txn_hash[TXN_HASH];
	uint32_t n_txn;
	uint32_t n_chan_txn;
	uint8_t ring[TURN_TXN_MAX];
	uint32_t ring_head, ring_n;

	/* events */
	struct turn_event ev[EVENTS_MAX];
	uint32_t ev_head, ev_n;
	uint64_t ev_dropped;

	/* channels, indexed by number - 0x4000 */
	struct turn_chan chan[TURN_CHANNELS];
	uint16_t chan_hash[CHAN_HASH];
	struct turn_list lists[LS_COUNT];
	uint32_t n_pending;		/* CH_PENDING before an allocation */
};

/* ---- small helpers ------------------------------------------------------ */

static const char *
fmt_addr(const struct ipc_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == 4 && inet_ntop(AF_INET, a->addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, len, "%s:%u", ip, a->port);
	else if (a->family == 6 && inet_ntop(AF_INET6, a->addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "(none)");
	return buf;
}

static bool
addr_same(const struct ipc_addr *a, const struct ipc_addr *b)
{
	size_t n;

	if (a->family != b->family || a->port != b->port)
		return false;
	n = a->family == 4 ? 4 : 16;
	return memcmp(a->addr, b->addr, n) == 0;
}

static bool
addr_valid(const struct ipc_addr *a)
{
	return (a->family == 4 || a->family == 6) && a->port != 0;
}

static bool
addr_unspecified(const struct ipc_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->addr, zero, a->family == 4 ? 4 : 16) == 0;
}

/* Canonical copy: unused address bytes and padding zeroed. */
static void
addr_copy(struct ipc_addr *dst, const struct ipc_addr *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->family = src->family;
	dst->port = src->port;
	memcpy(dst->addr, src->addr, src->family == 4 ? 4 : 16);
}

static socklen_t
addr_to_ss(const struct ipc_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		return sizeof(*s4);
	}
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
	return 0;
}

static bool
addr_from_ss(struct ipc_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->addr, &s4->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->addr, &s6->sin6_addr, 16);
		return true;
	}
	return false;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static int
server_index(const struct turn_client *c, const struct ipc_addr *a)
{
	for (int i = 0; i < c->n_server; i++)
		if (addr_same(&c->server[i], a))
			return i;
	return -1;
}

static const char *
srv_str(const struct turn_client *c, int i, char *buf, size_t len)
{
	if (i < 0 || i >= c->n_server)
		return "(none)";
	return fmt_addr(&c->server[i], buf, len);
}

static enum turn_reason
reason_of_code(int code)
{
	switch (code) {
	case 400: return TURN_REASON_BAD_REQUEST;
	case 401: return TURN_REASON_CREDENTIALS;
	case 403: return TURN_REASON_FORBIDDEN;
	case 420: return TURN_REASON_UNKNOWN_ATTRIBUTE;
	case 437: return TURN_REASON_MISMATCH;
	case 440: return TURN_REASON_FAMILY;
	case 441: return TURN_REASON_WRONG_CREDENTIALS;
	case 442: return TURN_REASON_UNSUPPORTED_TRANSPORT;
	case 443: return TURN_REASON_FAMILY;
	case 486: return TURN_REASON_QUOTA;
	case 500: return TURN_REASON_SERVER_ERROR;
	case 508: return TURN_REASON_CAPACITY;
	default: return TURN_REASON_ERROR;
	}
}

/* ---- events ------------------------------------------------------------- */

static struct turn_event *
ev_push(struct turn_client *c, enum turn_event_type type)
{
	struct turn_event *e;

	if (c->ev_n == EVENTS_MAX) {
		c->ev_dropped++;
		log_warnx("turn: event queue full, dropping event %d", (int)type);
		return NULL;
	}
	e = &c->ev[(c->ev_head + c->ev_n) % EVENTS_MAX];
	c->ev_n++;
	memset(e, 0, sizeof(*e));
	e->type = type;
	if (c->active >= 0)
		e->server = c->server[c->active];
	return e;
}

int
turn_client_poll_event(struct turn_client *c, struct turn_event *ev)
{
	if (c == NULL || ev == NULL || c->ev_n == 0)
		return 0;
	*ev = c->ev[c->ev_head];
	c->ev_head = (c->ev_head + 1) % EVENTS_MAX;
	c->ev_n--;
	return 1;
}

/* ---- channel lists ------------------------------------------------------ */

static void
list_remove(struct turn_client *c, uint16_t i)
{
	struct turn_chan *ch = &c->chan[i];
	struct turn_list *l;

	if (ch->list == LS_NONE)
		return;
	l = &c->lists[ch->list];
	if (ch->prev != NIL)
		c->chan[ch->prev].next = ch->next;
	else
		l->head = ch->next;
	if (ch->next != NIL)
		c->chan[ch->next].prev = ch->prev;
	else
		l->tail = ch->prev;
	l->n--;
	ch->prev = ch->next = NIL;
	ch->list = LS_NONE;
}

static void
list_append(struct turn_client *c, uint8_t which, uint16_t i)
{
	struct turn_chan *ch = &c->chan[i];
	struct turn_list *l = &c->lists[which];

	list_remove(c, i);
	ch->list = which;
	ch->next = NIL;
	ch->prev = l->tail;
	if (l->tail != NIL)
		c->chan[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
	l->n++;
}

static uint32_t
peer_hash(const struct ipc_addr *a)
{
	uint32_t h = 2166136261u;
	size_t n = a->family == 4 ? 4 : 16;

	h = (h ^ a->family) * 16777619u;
	h = (h ^ (a->port & 0xff)) * 16777619u;
	h = (h ^ (a->port >> 8)) * 16777619u;
	for (size_t k = 0; k < n; k++)
		h = (h ^ a->addr[k]) * 16777619u;
	return h % CHAN_HASH;
}

static int
chan_find(const struct turn_client *c, const struct ipc_addr *peer)
{
	uint16_t i = c->chan_hash[peer_hash(peer)];

	while (i != NIL) {
		if (addr_same(&c->chan[i].peer, peer))
			return i;
		i = c->chan[i].hnext;
	}
	return -1;
}

static void
hash_insert(struct turn_client *c, uint16_t i)
{
	uint32_t h = peer_hash(&c->chan[i].peer);

	c->chan[i].hnext = c->chan_hash[h];
	c->chan_hash[h] = i;
	c->chan[i].in_hash = 1;
}

static void
hash_remove(struct turn_client *c, uint16_t i)
{
	uint16_t *pp;

	if (!c->chan[i].in_hash)
		return;
	pp = &c->chan_hash[peer_hash(&c->chan[i].peer)];
	while (*pp != NIL) {
		if (*pp == i) {
			*pp = c->chan[i].hnext;
			break;
		}
		pp = &c->chan[*pp].hnext;
	}
	c->chan[i].hnext = NIL;
	c->chan[i].in_hash = 0;
}

/* Every number fresh, in cyclic order; no peer known.  O(channels), only
 * when an allocation goes away or at start. */
static void
chans_reset(struct turn_client *c)
{
	for (int l = 0; l < LS_COUNT; l++) {
		c->lists[l].head = c->lists[l].tail = NIL;
		c->lists[l].n = 0;
	}
	for (size_t h = 0; h < CHAN_HASH; h++)
		c->chan_hash[h] = NIL;
	for (uint16_t i = 0; i < TURN_CHANNELS; i++) {
		memset(&c->chan[i], 0, sizeof(c->chan[i]));
		c->chan[i].prev = c->chan[i].next = c->chan[i].hnext = NIL;
		list_append(c, LS_FREE, i);
	}
	c->n_pending = 0;
}

/*
 * The channel leaves use.  If the server may have seen it, the number stays
 * reserved for TURN_CHANNEL_REUSE_MS and stays attached to its peer: a
 * server refuses to bind that peer to another number meanwhile (400), so
 * the same peer asking again gets the same number back.
 */
static void
chan_forget(struct turn_client *c, uint16_t i, uint64_t now_ms)
{
	struct turn_chan *ch = &c->chan[i];

	if (ch->state == CH_PENDING && c->n_pending > 0)
		c->n_pending--;
	if (ch->used) {
		ch->state = CH_COOLING;
		ch->due_ms = now_ms + TURN_CHANNEL_REUSE_MS;
		list_append(c, LS_COOL, i);
	} else {
		hash_remove(c, i);
		ch->state = CH_FREE;
		list_append(c, LS_FREE, i);
	}
	ch->released = 0;
}

static void
chan_failed(struct turn_client *c, uint16_t i, uint64_t now_ms, enum turn_reason r, int code)
{
	struct turn_event *e = ev_push(c, TURN_EV_CHANNEL_FAILED);

	if (e != NULL) {
		e->reason = r;
		e->error_code = (uint16_t)code;
		e->channel = (uint16_t)(TURN_CHANNEL_MIN + i);
		e->addr = c->chan[i].peer;
	}
	chan_forget(c, i, now_ms);
}

/* ---- transactions ------------------------------------------------------- */

static uint32_t
txn_bucket(const StunTransactionId id)
{
	/* bytes 4.. are the random part (0..3 is the magic cookie) */
	return id[4];
}

static struct turn_txn *
txn_find(struct turn_client *c, const StunTransactionId id)
{
	uint16_t i = c->txn_hash[txn_bucket(id)];

	while (i != NIL) {
		if (memcmp(c->txn[i].id, id, sizeof(StunTransactionId)) == 0)
			return &c->txn[i];
		i = c->txn[i].hnext;
	}
	return NULL;
}

static void
txn_free(struct turn_client *c, struct turn_txn *t)
{
	uint16_t idx = (uint16_t)(t - c->txn);
	uint16_t *pp = &c->txn_hash[txn_bucket(t->id)];

	while (*pp != NIL) {
		if (*pp == idx) {
			*pp = t->hnext;
			break;
		}
		pp = &c->txn[*pp].hnext;
	}
	stun_agent_forget_transaction(&c->agent, t->id);
	if (t->kind == TX_CHANNEL && c->n_chan_txn > 0)
		c->n_chan_txn--;
	if (c->refresh_txn == idx)
		c->refresh_txn = -1;
	c->n_txn--;
	t->used = 0;
	t->queued = 0;
	t->len = 0;
}

static void
txns_cancel(struct turn_client *c)
{
	for (size_t i = 0; i < TURN_TXN_MAX; i++)
		if (c->txn[i].used)
			txn_free(c, &c->txn[i]);
}

static struct turn_txn *
txn_get(struct turn_client *c)
{
	for (size_t i = 0; i < TURN_TXN_MAX; i++) {
		if (!c->txn[i].used) {
			struct turn_txn *t = &c->txn[i];
			uint8_t in_ring = t->in_ring;

			memset(t, 0, offsetof(struct turn_txn, buf));
			t->in_ring = in_ring;
			t->hnext = NIL;
			return t;
		}
	}
	return NULL;
}

static void
txn_queue(struct turn_client *c, struct turn_txn *t)
{
	t->queued = 1;
	if (t->in_ring)
		return;
	c->ring[(c->ring_head + c->ring_n) % TURN_TXN_MAX] = (uint8_t)(t - c->txn);
	c->ring_n++;
	t->in_ring = 1;
}

int
turn_client_poll_transmit(struct turn_client *c, struct turn_transmit *tx)
{
	if (c == NULL || tx == NULL)
		return 0;
	while (c->ring_n > 0) {
		struct turn_txn *t = &c->txn[c->ring[c->ring_head]];

		c->ring_head = (c->ring_head + 1) % TURN_TXN_MAX;
		c->ring_n--;
		t->in_ring = 0;
		if (!t->used || !t->queued)
			continue;
		t->queued = 0;
		tx->dst = c->server[t->server];
		tx->data = t->buf;
		tx->len = t->len;
		return 1;
	}
	return 0;
}

/* Append USERNAME, REALM and NONCE when a nonce is known. */
static bool
append_creds(struct turn_client *c, StunMessage *m)
{
	if (!c->has_nonce)
		return true;
	return stun_message_append_bytes(m, STUN_ATTRIBUTE_USERNAME, c->username,
	    c->username_len) == STUN_MESSAGE_RETURN_SUCCESS &&
	    stun_message_append_bytes(m, STUN_ATTRIBUTE_REALM, c->realm,
	    c->realm_len) == STUN_MESSAGE_RETURN_SUCCESS &&
	    stun_message_append_bytes(m, STUN_ATTRIBUTE_NONCE, c->nonce,
	    c->nonce_len) == STUN_MESSAGE_RETURN_SUCCESS;
}

static size_t
finish(struct turn_client *c, StunMessage *m)
{
	if (!c->has_nonce)
		return stun_agent_finish_message(&c->agent, m, NULL, 0);
	return stun_agent_finish_message(&c->agent, m, (const uint8_t *)c->password,
	    c->password_len);
}

/*
 * Build and queue a new request of `kind` (server index srv; chan for
 * TX_CHANNEL).  Returns the transaction or NULL (no slot, or the message
 * did not fit, which cannot happen with the bounded inputs).
 */
static struct turn_txn *
txn_start(struct turn_client *c, uint64_t now_ms, uint8_t kind, int srv, uint16_t chan,
    uint8_t challenges)
{
	struct turn_txn *t = txn_get(c);
	StunMessage m;
	size_t len = 0;

	if (t == NULL) {
		log_warnx("turn: no transaction slot for request kind %u", kind);
		return NULL;
	}
	switch (kind) {
	case TX_BINDING:
		len = stun_usage_bind_create(&c->agent, &m, t->buf, sizeof(t->buf));
		break;
	case TX_REFRESH:
	case TX_DELETE:
	case TX_STOP:
		len = stun_usage_turn_create_refresh(&c->agent, &m, t->buf, sizeof(t->buf),
		    c->has_nonce ? &c->chal : NULL, kind == TX_REFRESH ? -1 : 0,
		    (uint8_t *)c->username, c->username_len,
		    c->has_nonce ? (uint8_t *)c->password : NULL,
		    c->has_nonce ? c->password_len : 0,
		    STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
		break;
	case TX_ALLOCATE:
		if (!stun_agent_init_request(&c->agent, &m, t->buf, sizeof(t->buf), STUN_ALLOCATE))
			break;
		if (stun_message_append32(&m, STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
		    REQUESTED_TRANSPORT_UDP) != STUN_MESSAGE_RETURN_SUCCESS)
			break;
		if (!c->alloc_single) {
			/* section 3.4/3.5: IPv4 and IPv6 relayed addresses */
			if (stun_message_append32(&m, (StunAttribute)ATTR_ADDITIONAL_ADDRESS_FAMILY,
			    FAMILY_IPV6_ATTR) != STUN_MESSAGE_RETURN_SUCCESS)
				break;
		} else if (c->server[srv].family == 6) {
			/* after 440: the family we reach the server with */
			if (stun_message_append32(&m, (StunAttribute)ATTR_REQUESTED_ADDRESS_FAMILY,
			    FAMILY_IPV6_ATTR) != STUN_MESSAGE_RETURN_SUCCESS)
				break;
		}
		if (!append_creds(c, &m))
			break;
		len = finish(c, &m);
		break;
	case TX_CHANNEL: {
		struct sockaddr_storage ss;
		socklen_t sl = addr_to_ss(&c->chan[chan].peer, &ss);

		if (!stun_agent_init_request(&c->agent, &m, t->buf, sizeof(t->buf), STUN_CHANNELBIND))
			break;
		if (stun_message_append32(&m, STUN_ATTRIBUTE_CHANNEL_NUMBER,
		    (uint32_t)(TURN_CHANNEL_MIN + chan) << 16) != STUN_MESSAGE_RETURN_SUCCESS)
			break;
		if (stun_message_append_xor_addr(&m, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &ss, sl) !=
		    STUN_MESSAGE_RETURN_SUCCESS)
			break;
		if (!append_creds(c, &m))
			break;
		len = finish(c, &m);
		break;
	}
	default:
		break;
	}
	if (len == 0 || len > sizeof(t->buf)) {
		log_warnx("turn: could not build request kind %u", kind);
		return NULL;
	}
	stun_message_id(&m, t->id);
	t->used = 1;
	t->kind = kind;
	t->server = (uint8_t)srv;
	t->authed = c->has_nonce && kind != TX_BINDING;
	t->signed_ = t->authed;
	t->challenges = challenges;
	t->chan = chan;
	t->len = (uint16_t)len;
	t->first_ms = now_ms;
	t->rto_ms = TURN_RTO_INITIAL_MS;
	t->due_ms = now_ms + t->rto_ms;
	t->hnext = c->txn_hash[txn_bucket(t->id)];
	c->txn_hash[txn_bucket(t->id)] = (uint16_t)(t - c->txn);
	c->n_txn++;
	if (kind == TX_CHANNEL)
		c->n_chan_txn++;
	if (kind == TX_REFRESH)
		c->refresh_txn = (int)(t - c->txn);
	txn_queue(c, t);
	return t;
}

/* ---- state transitions -------------------------------------------------- */

static void wipe_credentials(struct turn_client *c);
static void pump_channels(struct turn_client *c, uint64_t now_ms);

static void
drop_allocation(struct turn_client *c, enum turn_reason r, int code)
{
	struct turn_event *e;
	char b[ADDR_BUF];

	if (!c->allocated)
		return;
	log_info("turn: allocation on %s lost: %s", srv_str(c, c->active, b, sizeof(b)),
	    turn_reason_str(r));
	c->allocated = false;
	c->has_relayed4 = c->has_relayed6 = false;
	memset(&c->relayed4, 0, sizeof(c->relayed4));
	memset(&c->relayed6, 0, sizeof(c->relayed6));
	for (size_t i = 0; i < TURN_TXN_MAX; i++)
		if (c->txn[i].used && (c->txn[i].kind == TX_CHANNEL || c->txn[i].kind == TX_REFRESH))
			txn_free(c, &c->txn[i]);
	chans_reset(c);
	e = ev_push(c, TURN_EV_ALLOCATION_LOST);
	if (e != NULL) {
		e->reason = r;
		e->error_code = (uint16_t)code;
	}
}

/* Drop buffered channel requests, reporting each. */
static void
drop_pending(struct turn_client *c, uint64_t now_ms, enum turn_reason r, int code)
{
	uint16_t i = c->lists[LS_WANT].head;

	while (i != NIL) {
		uint16_t next = c->chan[i].next;

		if (c->chan[i].state == CH_PENDING)
			chan_failed(c, i, now_ms, r, code);
		i = next;
	}
}

static void
fail(struct turn_client *c, uint64_t now_ms, enum turn_reason r, int code)
{
	struct turn_event *e;
	char b[ADDR_BUF];

	if (c->state == TURN_S_FAILED || c->state == TURN_S_STOPPED)
		return;
	log_warnx("turn: relay %s failed: %s (%d)", srv_str(c, c->active >= 0 ? c->active : 0, b,
	    sizeof(b)), turn_reason_str(r), code);
	drop_allocation(c, r, code);
	drop_pending(c, now_ms, r, code);
	txns_cancel(c);
	c->state = TURN_S_FAILED;
	e = ev_push(c, TURN_EV_FAILED);
	if (e != NULL) {
		e->reason = r;
		e->error_code = (uint16_t)code;
	}
	/* section 3.9: the active server is cleared, the relay is to be removed */
	c->active = -1;
	wipe_credentials(c);
}

static void
stopped(struct turn_client *c)
{
	txns_cancel(c);
	c->state = TURN_S_STOPPED;
	ev_push(c, TURN_EV_STOPPED);
	wipe_credentials(c);
}

static void
start_allocate(struct turn_client *c, uint64_t now_ms, uint8_t challenges)
{
	c->state = TURN_S_ALLOCATING;
	if (txn_start(c, now_ms, TX_ALLOCATE, c->active, 0, challenges) == NULL)
		fail(c, now_ms, TURN_REASON_ERROR, 0);
}

/*
 * A Binding ended without an answer we can use: if no server answered and
 * no Binding is left in flight, the relay is unreachable (section 3.9).
 */
static void
binding_done(struct turn_client *c, uint64_t now_ms, enum turn_reason r, int code)
{
	if (c->state != TURN_S_BINDING || c->active >= 0)
		return;
	for (size_t i = 0; i < TURN_TXN_MAX; i++)
		if (c->txn[i].used && c->txn[i].kind == TX_BINDING)
			return;
	fail(c, now_ms, r, code);
}

static void
start_bindings(struct turn_client *c, uint64_t now_ms)
{
	c->state = TURN_S_BINDING;
	c->active = -1;
	for (size_t i = 0; i < TURN_TXN_MAX; i++)
		if (c->txn[i].used && c->txn[i].kind == TX_BINDING)
			txn_free(c, &c->txn[i]);
	for (int i = 0; i < c->n_server; i++)
		(void)txn_start(c, now_ms, TX_BINDING, i, 0, 0);
	binding_done(c, now_ms, TURN_REASON_ERROR, 0);
}

static void
suspend(struct turn_client *c)
{
	c->state = TURN_S_SUSPENDED;
}

static void
allocate_failed(struct turn_client *c, uint64_t now_ms, enum turn_reason r, int code)
{
	struct turn_event *e;
	char b[ADDR_BUF];

	log_warnx("turn: Allocate on %s failed: %s (%d)", srv_str(c, c->active, b, sizeof(b)),
	    turn_reason_str(r), code);
	drop_pending(c, now_ms, r, code);
	suspend(c);
	e = ev_push(c, TURN_EV_ALLOCATE_FAILED);
	if (e != NULL) {
		e->reason = r;
		e->error_code = (uint16_t)code;
	}
}

/* Send ChannelBinds waiting in LS_WANT while slots are free. */
static void
pump_channels(struct turn_client *c, uint64_t now_ms)
{
	if (!c->allocated || c->state != TURN_S_ALLOCATED)
		return;
	while (c->lists[LS_WANT].head != NIL &&
	    c->n_txn < TURN_TXN_MAX - TXN_RESERVED) {
		uint16_t i = c->lists[LS_WANT].head;
		struct turn_chan *ch = &c->chan[i];

		list_remove(c, i);
		if (txn_start(c, now_ms, TX_CHANNEL, c->active, i, 0) == NULL) {
			chan_failed(c, i, now_ms, TURN_REASON_ERROR, 0);
			continue;
		}
		ch->used = 1;
		if (ch->state == CH_PENDING) {
			if (c->n_pending > 0)
				c->n_pending--;
			ch->state = CH_BINDING;
		} else {
			ch->state = CH_REBINDING;
		}
	}
}

/* ---- lifecycle ---------------------------------------------------------- */

struct turn_client *
turn_client_new(void)
{
	struct turn_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->state = TURN_S_IDLE;
	c->active = -1;
	c->refresh_txn = -1;
	for (size_t i = 0; i < TXN_HASH; i++)
		c->txn_hash[i] = NIL;
	chans_reset(c);
	return c;
}

static void
wipe_credentials(struct turn_client *c)
{
	OPENSSL_cleanse(c->password, sizeof(c->password));
	c->password_len = 0;
	OPENSSL_cleanse(c->lt_key, sizeof(c->lt_key));
	/* the agent keeps long-term keys (MD5 of the password) per transaction */
	for (size_t i = 0; i < STUN_AGENT_MAX_SAVED_IDS; i++) {
		OPENSSL_cleanse(c->agent.sent_ids[i].long_term_key,
		    sizeof(c->agent.sent_ids[i].long_term_key));
		c->agent.sent_ids[i].valid = false;
		c->agent.sent_ids[i].key = NULL;
	}
	c->has_nonce = false;
}

void
turn_client_free(struct turn_client *c)
{
	if (c == NULL)
		return;
	wipe_credentials(c);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static int
copy_str(char *dst, size_t cap, size_t *len, const char *src, bool may_be_empty)
{
	size_t n;

	if (src == NULL)
		return -1;
	n = strnlen(src, cap);
	if (n >= cap || (n == 0 && !may_be_empty))
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	if (len != NULL)
		*len = n;
	return 0;
}

/*
 * The long-term key of RFC 8489 9.2.2 (no SASLprep, as the requests):
 * MD5(username ":" realm ":" password).  Returns false if the digest fails.
 */
static bool
lt_key_derive(struct turn_client *c)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	bool ok;

	if (ctx == NULL)
		return false;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, c->username, c->username_len) == 1 &&
	    EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	    EVP_DigestUpdate(ctx, c->realm, c->realm_len) == 1 &&
	    EVP_DigestUpdate(ctx, ":", 1) == 1 &&
	    EVP_DigestUpdate(ctx, c->password, c->password_len) == 1 &&
	    EVP_DigestFinal_ex(ctx, c->lt_key, &n) == 1 && n == sizeof(c->lt_key);
	EVP_MD_CTX_free(ctx);
	return ok;
}

int
turn_client_start(struct turn_client *c, uint64_t now_ms, const struct turn_config *cfg)
{
	size_t n;

	if (c == NULL || cfg == NULL || cfg->n_server < 1 || cfg->n_server > 2)
		return TURN_ERR_INVAL;
	if (c->state != TURN_S_IDLE)
		return TURN_ERR_STATE;
	for (size_t i = 0; i < cfg->n_server; i++)
		if (!addr_valid(&cfg->server[i]))
			return TURN_ERR_INVAL;
	if (cfg->n_server == 2 && addr_same(&cfg->server[0], &cfg->server[1]))
		return TURN_ERR_INVAL;
	if (copy_str(c->username, sizeof(c->username), &c->username_len, cfg->username, false) < 0 ||
	    copy_str(c->password, sizeof(c->password), &c->password_len, cfg->password, false) < 0 ||
	    copy_str(c->realm, sizeof(c->realm), &c->realm_len,
	    cfg->realm != NULL ? cfg->realm : TURN_REALM_DEFAULT, false) < 0 ||
	    (cfg->software != NULL &&
	    copy_str(c->software, sizeof(c->software), &n, cfg->software, true) < 0)) {
		OPENSSL_cleanse(c->password, sizeof(c->password));
		return TURN_ERR_INVAL;
	}
	if (!lt_key_derive(c)) {
		wipe_credentials(c);
		return TURN_ERR_INVAL;
	}
	for (size_t i = 0; i < cfg->n_server; i++)
		addr_copy(&c->server[i], &cfg->server[i]);
	c->n_server = (uint8_t)cfg->n_server;
	c->keepalive_every = cfg->keepalive_ms;

	stun_agent_init(&c->agent, turn_known_attrs, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	if (cfg->software != NULL && c->software[0] != '\0')
		stun_agent_set_software(&c->agent, c->software);

	start_bindings(c, now_ms);
	return TURN_OK;
}

int
turn_client_refresh(struct turn_client *c, uint64_t now_ms)
{
	if (c == NULL)
		return TURN_ERR_INVAL;
	switch (c->state) {
	case TURN_S_SUSPENDED:
		start_bindings(c, now_ms);
		return TURN_OK;
	case TURN_S_ALLOCATED:
		if (c->refresh_txn < 0 &&
		    txn_start(c, now_ms, TX_REFRESH, c->active, 0, 0) == NULL)
			c->refresh_ms = now_ms + TURN_REFRESH_RETRY_MS;
		return TURN_OK;
	case TURN_S_BINDING:
	case TURN_S_ALLOCATING:
		return TURN_OK;
	default:
		return TURN_ERR_STATE;
	}
}

void
turn_client_stop(struct turn_client *c, uint64_t now_ms)
{
	bool may_have_allocation;

	if (c == NULL || c->state == TURN_S_STOPPED || c->state == TURN_S_STOPPING)
		return;
	if (c->state == TURN_S_FAILED || c->state == TURN_S_IDLE) {
		c->state = TURN_S_STOPPED;
		ev_push(c, TURN_EV_STOPPED);
		wipe_credentials(c);
		return;
	}
	may_have_allocation = c->allocated ||
	    (c->state == TURN_S_ALLOCATING && c->has_nonce);
	drop_allocation(c, TURN_REASON_STOPPED, 0);
	drop_pending(c, now_ms, TURN_REASON_STOPPED, 0);
	txns_cancel(c);
	if (may_have_allocation && c->active >= 0 &&
	    txn_start(c, now_ms, TX_STOP, c->active, 0, 0) != NULL) {
		c->state = TURN_S_STOPPING;
		return;
	}
	stopped(c);
}

/* ---- channels ----------------------------------------------------------- */

int
turn_client_bind_channel(struct turn_client *c, uint64_t now_ms, const struct ipc_addr *peer)
{
	struct turn_chan *ch;
	struct ipc_addr p;
	int i;

	if (c == NULL || peer == NULL || !addr_valid(peer))
		return TURN_ERR_INVAL;
	switch (c->state) {
	case TURN_S_BINDING:
	case TURN_S_ALLOCATING:
	case TURN_S_ALLOCATED:
	case TURN_S_SUSPENDED:
		break;
	default:
		return TURN_ERR_STATE;
	}
	if (c->allocated && ((peer->family == 4 && !c->has_relayed4) ||
	    (peer->family == 6 && !c->has_relayed6)))
		return TURN_ERR_FAMILY;
	addr_copy(&p, peer);

	i = chan_find(c, &p);
	if (i >= 0) {
		ch = &c->chan[i];
		ch->released = 0;
		if (ch->state != CH_COOLING)
			return (int)(TURN_CHANNEL_MIN + i);
		/* released earlier: take the same number back (section 3.6) */
		if (ch->bound_ms != 0 &&
		    now_ms + TURN_REFRESH_RETRY_MS < ch->bound_ms + TURN_CHANNEL_LIFETIME_MS) {
			ch->state = CH_BOUND;	/* still bound on the server: re-bind now */
		} else {
			ch->state = CH_PENDING;
			c->n_pending++;
		}
		list_append(c, LS_WANT, (uint16_t)i);
		pump_channels(c, now_ms);
		return (int)(TURN_CHANNEL_MIN + i);
	}

	if (!c->allocated && c->n_pending >= TURN_PENDING_MAX)
		return TURN_ERR_FULL;
	/* numbers never used in this allocation first, then reserved ones
	 * whose reservation ran out (section 3.6) */
	if (c->lists[LS_FREE].head != NIL)
		i = c->lists[LS_FREE].head;
	else if (c->lists[LS_COOL].head != NIL && c->chan[c->lists[LS_COOL].head].due_ms <= now_ms)
		i = c->lists[LS_COOL].head;
	else
		return TURN_ERR_FULL;
	ch = &c->chan[i];
	hash_remove(c, (uint16_t)i);
	ch->peer = p;
	ch->state = CH_PENDING;
	ch->released = 0;
	ch->bound_ms = 0;
	c->n_pending++;
	hash_insert(c, (uint16_t)i);
	list_append(c, LS_WANT, (uint16_t)i);
	pump_channels(c, now_ms);
	return (int)(TURN_CHANNEL_MIN + i);
}

int
turn_client_release_channel(struct turn_client *c, uint64_t now_ms, const struct ipc_addr *peer)
{
	struct ipc_addr p;
	int i;

	if (c == NULL || peer == NULL || !addr_valid(peer))
		return TURN_ERR_INVAL;
	addr_copy(&p, peer);
	i = chan_find(c, &p);
	if (i < 0 || c->chan[i].state == CH_COOLING)
		return TURN_ERR_INVAL;
	switch (c->chan[i].state) {
	case CH_BINDING:
	case CH_REBINDING:
		c->chan[i].released = 1;	/* decided when the answer comes */
		break;
	case CH_PENDING:
		chan_forget(c, (uint16_t)i, now_ms);
		break;
	default:
		c->chan[i].used = 1;
		chan_forget(c, (uint16_t)i, now_ms);
		break;
	}
	return TURN_OK;
}

uint16_t
turn_client_channel_of(const struct turn_client *c, const struct ipc_addr *peer)
{
	struct ipc_addr p;
	int i;

	if (c == NULL || peer == NULL || !addr_valid(peer) || !c->allocated)
		return 0;
	addr_copy(&p, peer);
	i = chan_find(c, &p);
	if (i < 0 || (c->chan[i].state != CH_BOUND && c->chan[i].state != CH_REBINDING))
		return 0;
	return (uint16_t)(TURN_CHANNEL_MIN + i);
}

int
turn_client_peer_of(const struct turn_client *c, uint16_t channel, struct ipc_addr *peer)
{
	const struct turn_chan *ch;

	if (c == NULL || peer == NULL || channel < TURN_CHANNEL_MIN || channel > TURN_CHANNEL_MAX ||
	    !c->allocated)
		return 0;
	ch = &c->chan[channel - TURN_CHANNEL_MIN];
	if (ch->state != CH_BOUND && ch->state != CH_REBINDING)
		return 0;
	*peer = ch->peer;
	return 1;
}

/* ---- responses ---------------------------------------------------------- */

/*
 * Find the XOR-RELAYED-ADDRESS attributes (one per family, first wins) in
 * a message whose attribute lengths were already validated.  Attributes
 * after MESSAGE-INTEGRITY are not looked at.
 */
static void
find_relayed(const uint8_t *buf, size_t len, struct ipc_addr *v4, bool *has4,
    struct ipc_addr *v6, bool *has6)
{
	size_t off = 20;

	*has4 = *has6 = false;
	while (off + 4 <= len) {
		uint16_t type = get16(buf + off);
		uint16_t alen = get16(buf + off + 2);
		const uint8_t *v = buf + off + 4;

		if (off + 4 + alen > len)
			return;
		if (type == STUN_ATTRIBUTE_MESSAGE_INTEGRITY || type == STUN_ATTRIBUTE_FINGERPRINT)
			return;
		if (type == STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS && alen >= 4) {
			uint16_t port = get16(v + 2) ^ (STUN_MAGIC_COOKIE >> 16);

			if (v[1] == 0x01 && alen == 8 && !*has4) {
				memset(v4, 0, sizeof(*v4));
				v4->family = 4;
				v4->port = port;
				for (int k = 0; k < 4; k++)
					v4->addr[k] = v[4 + k] ^ buf[4 + k];
				/* An unspecified address is no relayed address either. */
				*has4 = port != 0 && (v4->addr[0] | v4->addr[1] | v4->addr[2] | v4->addr[3]) != 0;
			} else if (v[1] == 0x02 && alen == 20 && !*has6) {
				memset(v6, 0, sizeof(*v6));
				v6->family = 6;
				v6->port = port;
				/* XOR with the cookie and the transaction id */
				uint8_t any = 0;
				for (int k = 0; k < 16; k++) {
					v6->addr[k] = v[4 + k] ^ buf[4 + k];
					any |= v6->addr[k];
				}
				*has6 = port != 0 && any != 0;
			}
		}
		off += 4 + (((size_t)alen + 3) & ~(size_t)3);
	}
}

static void
on_allocate_success(struct turn_client *c, uint64_t now_ms, StunMessage *msg)
{
	struct sockaddr_storage relay, mapped, alt;
	socklen_t rlen = sizeof(relay), mlen = sizeof(mapped), alen = sizeof(alt);
	uint32_t bandwidth = 0, lifetime = 0;
	StunUsageTurnReturn r;
	struct turn_event *e;
	char bs[ADDR_BUF], b4[ADDR_BUF], b6[ADDR_BUF];

	memset(&mapped, 0, sizeof(mapped));
	r = stun_usage_turn_process(msg, &relay, &rlen, &mapped, &mlen, &alt, &alen,
	    &bandwidth, &lifetime, STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
	if ((r != STUN_USAGE_TURN_RETURN_RELAY_SUCCESS &&
	    r != STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS) ||
	    stun_message_find32(msg, STUN_ATTRIBUTE_LIFETIME, &lifetime) !=
	    STUN_MESSAGE_RETURN_SUCCESS || lifetime == 0) {
		/* section 3.4: without LIFETIME or a relayed address it is ignored */
		allocate_failed(c, now_ms, TURN_REASON_BAD_RESPONSE, 0);
		return;
	}
	find_relayed(msg->buffer, stun_message_length(msg), &c->relayed4, &c->has_relayed4,
	    &c->relayed6, &c->has_relayed6);
	if (!c->has_relayed4 && !c->has_relayed6) {
		allocate_failed(c, now_ms, TURN_REASON_BAD_RESPONSE, 0);
		return;
	}
	c->allocated = true;
	c->mismatches = 0;
	c->state = TURN_S_ALLOCATED;
	c->keepalive_ms = c->keepalive_every ? now_ms + c->keepalive_every : UINT64_MAX;
	c->expires_ms = now_ms + (uint64_t)lifetime * 1000u;
	c->refresh_ms = now_ms + (uint64_t)lifetime * 500u;
	log_info("turn: allocated on %s: relayed %s %s, lifetime %u s",
	    srv_str(c, c->active, bs, sizeof(bs)),
	    c->has_relayed4 ? fmt_addr(&c->relayed4, b4, sizeof(b4)) : "-",
	    c->has_relayed6 ? fmt_addr(&c->relayed6, b6, sizeof(b6)) : "-", lifetime);
	e = ev_push(c, TURN_EV_ALLOCATED);
	if (e != NULL) {
		e->relayed4 = c->relayed4;
		e->relayed6 = c->relayed6;
		e->has_relayed4 = c->has_relayed4;
		e->has_relayed6 = c->has_relayed6;
		e->has_mapped = addr_from_ss(&e->mapped, &mapped);
		e->lifetime_s = lifetime;
	}
	/* buffered requests of a family we did not get are reported and dropped */
	for (uint16_t i = c->lists[LS_WANT].head; i != NIL;) {
		uint16_t next = c->chan[i].next;
		uint8_t f = c->chan[i].peer.family;

		if ((f == 4 && !c->has_relayed4) || (f == 6 && !c->has_relayed6))
			chan_failed(c, i, now_ms, TURN_REASON_FAMILY, 0);
		i = next;
	}
	pump_channels(c, now_ms);
}

static void
on_channel_success(struct turn_client *c, uint64_t now_ms, uint16_t i)
{
	struct turn_chan *ch = &c->chan[i];
	bool first = ch->state == CH_BINDING;

	ch->bound_ms = now_ms;
	ch->state = CH_BOUND;
	if (first && !ch->released) {
		struct turn_event *e = ev_push(c, TURN_EV_CHANNEL_BOUND);

		if (e != NULL) {
			e->channel = (uint16_t)(TURN_CHANNEL_MIN + i);
			e->addr = ch->peer;
		}
	}
	if (ch->released) {
		ch->released = 0;
		ch->state = CH_COOLING;
		ch->due_ms = now_ms + TURN_CHANNEL_REUSE_MS;
		list_append(c, LS_COOL, i);
		return;
	}
	ch->due_ms = now_ms + TURN_CHANNEL_REBIND_MS;
	list_append(c, LS_REBIND, i);
}

/* A challenge that cannot be answered: the relay fails (or, while
 * stopping, the stop ends). */
static void
challenge_failed(struct turn_client *c, uint64_t now_ms, uint8_t kind, enum turn_reason r,
    int code)
{
	if (kind == TX_STOP)
		stopped(c);
	else
		fail(c, now_ms, r, code);
}

/* 401 (request without NONCE) or 438: take the nonce, re-send. */
static void
on_challenge(struct turn_client *c, uint64_t now_ms, struct turn_txn *t, StunMessage *msg,
    int code)
{
	const uint8_t *nonce, *realm;
	uint16_t nlen = 0, rlen = 0;
	uint8_t kind = t->kind, challenges = t->challenges;
	uint16_t chan = t->chan;
	int srv = t->server;

	nonce = stun_message_find(msg, STUN_ATTRIBUTE_NONCE, &nlen);
	realm = stun_message_find(msg, STUN_ATTRIBUTE_REALM, &rlen);
	txn_free(c, t);
	if (nonce == NULL || nlen == 0 || nlen > TURN_NONCE_MAX) {
		challenge_failed(c, now_ms, kind, TURN_REASON_BAD_RESPONSE, code);
		return;
	}
	if (realm != NULL && (rlen != c->realm_len || memcmp(realm, c->realm, rlen) != 0)) {
		/* section 3.3: never answer another realm with our credentials */
		challenge_failed(c, now_ms, kind, TURN_REASON_REALM, code);
		return;
	}
	if (challenges + 1 > CHALLENGES_MAX) {
		challenge_failed(c, now_ms, kind, TURN_REASON_CHALLENGE_LOOP, code);
		return;
	}
	memcpy(c->nonce, nonce, nlen);
	c->nonce_len = nlen;
	c->has_nonce = true;
	c->chal.agent = &c->agent;
	c->chal.buffer = c->chal_buf;
	c->chal.buffer_len = sizeof(c->chal_buf);
	c->chal.key = NULL;
	c->chal.key_len = 0;
	c->chal.long_term_valid = false;
	{
		StunTransactionId zero;

		memset(zero, 0, sizeof(zero));
		if (!stun_message_init(&c->chal, STUN_ERROR, STUN_ALLOCATE, zero) ||
		    stun_message_append_bytes(&c->chal, STUN_ATTRIBUTE_REALM, c->realm,
		    c->realm_len) != STUN_MESSAGE_RETURN_SUCCESS ||
		    stun_message_append_bytes(&c->chal, STUN_ATTRIBUTE_NONCE, c->nonce,
		    c->nonce_len) != STUN_MESSAGE_RETURN_SUCCESS) {
			challenge_failed(c, now_ms, kind, TURN_REASON_ERROR, code);
			return;
		}
	}
	log_debug("turn: %d challenge, re-sending request kind %u with a new nonce", code, kind);
	if (kind == TX_CHANNEL && c->chan[chan].state != CH_BINDING &&
	    c->chan[chan].state != CH_REBINDING)
		return;
	if (txn_start(c, now_ms, kind, srv, chan, (uint8_t)(challenges + 1)) == NULL) {
		if (kind == TX_CHANNEL)
			chan_failed(c, chan, now_ms, TURN_REASON_ERROR, 0);
		else
			challenge_failed(c, now_ms, kind, TURN_REASON_ERROR, 0);
	}
}

/* A request timed out for good (retransmissions exhausted). */
static void
on_give_up(struct turn_client *c, uint64_t now_ms, struct turn_txn *t)
{
	uint8_t kind = t->kind;
	uint16_t chan = t->chan;
	int srv = t->server;
	char b[ADDR_BUF];

	txn_free(c, t);
	switch (kind) {
	case TX_BINDING:
		log_info("turn: no Binding answer from %s", srv_str(c, srv, b, sizeof(b)));
		binding_done(c, now_ms, TURN_REASON_TIMEOUT, 0);
		break;
	case TX_CHANNEL:
		chan_failed(c, chan, now_ms, TURN_REASON_TIMEOUT, 0);
		pump_channels(c, now_ms);
		break;
	case TX_STOP:
		stopped(c);
		break;
	default:
		/* Allocate, Refresh, delete: the relay is unreachable (3.4, 3.9) */
		fail(c, now_ms, TURN_REASON_TIMEOUT, 0);
		break;
	}
}

static void
on_error(struct turn_client *c, uint64_t now_ms, struct turn_txn *t, StunMessage *msg, int code)
{
	uint8_t kind = t->kind;
	uint16_t chan = t->chan;
	int srv = t->server;
	enum turn_reason r = reason_of_code(code);
	char b[ADDR_BUF];

	if (kind == TX_STOP && code != 438 && (code != 401 || t->authed)) {
		/* deleted, already gone, or refused: we are done either way */
		txn_free(c, t);
		stopped(c);
		return;
	}
	if (kind == TX_BINDING) {
		txn_free(c, t);
		log_info("turn: Binding error %d from %s", code, srv_str(c, srv, b, sizeof(b)));
		binding_done(c, now_ms, r, code);
		return;
	}
	if (code == 401 && t->authed) {
		/* section 3.3: the credentials are no good (expired) */
		txn_free(c, t);
		fail(c, now_ms, TURN_REASON_CREDENTIALS, code);
		return;
	}
	if (code == 401 || code == 438) {
		on_challenge(c, now_ms, t, msg, code);
		return;
	}
	txn_free(c, t);
	switch (kind) {
	case TX_ALLOCATE:
		if (code == 437) {
			/* a stale allocation on this 5-tuple: delete it, then Allocate */
			if (++c->mismatches > MISMATCH_MAX) {
				allocate_failed(c, now_ms, r, code);
				return;
			}
			if (txn_start(c, now_ms, TX_DELETE, c->active, 0, 0) == NULL)
				fail(c, now_ms, TURN_REASON_ERROR, 0);
			return;
		}
		if (code == 440 && !c->alloc_single) {
			c->alloc_single = true;
			start_allocate(c, now_ms, 0);
			return;
		}
		allocate_failed(c, now_ms, r, code);
		return;
	case TX_DELETE:
		/* 437 here means it is already gone: either way, Allocate */
		start_allocate(c, now_ms, 0);
		return;
	case TX_REFRESH:
		if (code == 437) {
			drop_allocation(c, r, code);
			start_allocate(c, now_ms, 0);
			return;
		}
		log_warnx("turn: Refresh on %s failed: %d", srv_str(c, c->active, b, sizeof(b)), code);
		c->refresh_ms = now_ms + TURN_REFRESH_RETRY_MS;
		return;
	case TX_CHANNEL:
		if (code == 437) {
			struct ipc_addr peer = c->chan[chan].peer;

			drop_allocation(c, r, code);
			start_allocate(c, now_ms, 0);
			/* section 3.3: re-queue this binding for the new allocation */
			if (c->state == TURN_S_ALLOCATING)
				(void)turn_client_bind_channel(c, now_ms, &peer);
			return;
		}
		chan_failed(c, chan, now_ms, r, code);
		pump_channels(c, now_ms);
		return;
	default:
		return;
	}
}

static void
on_success(struct turn_client *c, uint64_t now_ms, struct turn_txn *t, StunMessage *msg,
    const struct ipc_addr *local)
{
	uint8_t kind = t->kind;
	uint16_t chan = t->chan;
	int srv = t->server;
	char b[ADDR_BUF], b2[ADDR_BUF];

	txn_free(c, t);
	switch (kind) {
	case TX_BINDING: {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct turn_event *e;
		struct ipc_addr mapped;

		/* a mapped address with port 0 or no IP is no address: no answer */
		if (stun_usage_bind_process(msg, (struct sockaddr *)&ss, &sl, NULL, NULL) !=
		    STUN_USAGE_BIND_RETURN_SUCCESS || !addr_from_ss(&mapped, &ss) ||
		    !addr_valid(&mapped) || addr_unspecified(&mapped)) {
			binding_done(c, now_ms, TURN_REASON_BAD_RESPONSE, 0);
			break;
		}
		log_debug("turn: %s sees us as %s", srv_str(c, srv, b, sizeof(b)),
		    fmt_addr(&mapped, b2, sizeof(b2)));
		e = ev_push(c, TURN_EV_SRFLX);
		if (e != NULL) {
			e->addr = mapped;
			e->server = c->server[srv];
			if (local != NULL)
				addr_copy(&e->local, local);
		}
		if (c->state == TURN_S_BINDING && c->active < 0) {
			/* section 3.2: the first answer picks the active server */
			c->active = (int8_t)srv;
			c->alloc_single = false;
			c->mismatches = 0;
			start_allocate(c, now_ms, 0);
		}
		break;
	}
	case TX_ALLOCATE:
		on_allocate_success(c, now_ms, msg);
		break;
	case TX_DELETE:
		start_allocate(c, now_ms, 0);
		break;
	case TX_STOP:
		stopped(c);
		break;
	case TX_REFRESH: {
		uint32_t lifetime;

		if (stun_usage_turn_refresh_process(msg, &lifetime,
		    STUN_USAGE_TURN_COMPATIBILITY_RFC5766) != STUN_USAGE_TURN_RETURN_RELAY_SUCCESS ||
		    stun_message_find32(msg, STUN_ATTRIBUTE_LIFETIME, &lifetime) !=
		    STUN_MESSAGE_RETURN_SUCCESS) {
			log_warnx("turn: Refresh answer without LIFETIME");
			c->refresh_ms = now_ms + TURN_REFRESH_RETRY_MS;
			break;
		}
		if (lifetime == 0) {
			/* section 3.4: deleted by the server: allocate again */
			drop_allocation(c, TURN_REASON_DELETED, 0);
			start_allocate(c, now_ms, 0);
			break;
		}
		c->expires_ms = now_ms + (uint64_t)lifetime * 1000u;
		c->refresh_ms = now_ms + (uint64_t)lifetime * 500u;
		break;
	}
	case TX_CHANNEL:
		if (c->chan[chan].state == CH_BINDING || c->chan[chan].state == CH_REBINDING)
			on_channel_success(c, now_ms, chan);
		pump_channels(c, now_ms);
		break;
	default:
		break;
	}
}

/* An answer that failed MESSAGE-INTEGRITY: as if never received. */
static void
integrity_drop(struct turn_client *c, const struct turn_txn *t, int code)
{
	char b[ADDR_BUF];

	c->integrity_drops++;
	log_debug("turn: ignored an answer (%d) to request kind %u from %s: "
	    "MESSAGE-INTEGRITY missing or wrong", code, t->kind,
	    srv_str(c, t->server, b, sizeof(b)));
}

/*
 * Offset of the first MESSAGE-INTEGRITY attribute of buf[0..len) (a message
 * whose attribute lengths were already checked), -1 if there is none, -2
 * if it is not 20 bytes long.
 */
static long
mi_offset(const uint8_t *buf, size_t len)
{
	size_t off = 20;

	while (off + 4 <= len) {
		uint16_t type = get16(buf + off), alen = get16(buf + off + 2);

		if (type == STUN_ATTRIBUTE_MESSAGE_INTEGRITY)
			return alen == 20 && off + 24 <= len ? (long)off : -2;
		off += 4 + (((size_t)alen + 3) & ~(size_t)3);
	}
	return -1;
}

/*
 * MESSAGE-INTEGRITY of the answers stun_agent_validate does not check
 * (error codes 400, 401, 438; see the top of this file).  required: a
 * missing attribute fails.  RFC 8489 14.5: HMAC-SHA1 with the long-term key
 * over the message up to the attribute, the header length counting up to
 * its end.
 */
static bool
mi_check(const struct turn_client *c, const uint8_t *buf, size_t len, bool required)
{
	uint8_t tmp[TURN_RX_MAX], mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	long off = mi_offset(buf, len);
	uint16_t l;

	if (off == -1)
		return !required;
	if (off < 0 || (size_t)off > sizeof(tmp))
		return false;
	memcpy(tmp, buf, (size_t)off);
	l = (uint16_t)(off + 24 - 20);
	tmp[2] = (uint8_t)(l >> 8);
	tmp[3] = (uint8_t)l;
	if (HMAC(EVP_sha1(), c->lt_key, sizeof(c->lt_key), tmp, (size_t)off, mac, &mlen) == NULL ||
	    mlen != 20)
		return false;
	return CRYPTO_memcmp(mac, buf + off + 4, 20) == 0;
}

int
turn_client_input(struct turn_client *c, uint64_t now_ms, const struct ipc_addr *from,
    const struct ipc_addr *local, const uint8_t *data, size_t len)
{
	StunMessage view, msg;
	StunTransactionId id;
	StunValidationStatus vs;
	StunAgentUsageFlags saved;
	struct turn_txn *t;
	int srv, cls, code = 0;

	if (c == NULL || from == NULL || (data == NULL && len > 0))
		return TURN_ERR_INVAL;
	srv = server_index(c, from);
	if (srv < 0)
		return TURN_ERR_NOT_OURS;
	if (len < 20 || len > TURN_RX_MAX || (data[0] & 0xC0) != 0)
		return TURN_ERR_MALFORMED;
	if (stun_message_validate_buffer_length(data, len, true) != (int)len)
		return TURN_ERR_MALFORMED;
	memset(&view, 0, sizeof(view));
	view.agent = &c->agent;
	view.buffer = (uint8_t *)data;
	view.buffer_len = len;
	if (!stun_message_has_cookie(&view))
		return TURN_ERR_MALFORMED;
	cls = stun_message_get_class(&view);
	if (cls != STUN_RESPONSE && cls != STUN_ERROR)
		return TURN_ERR_IGNORED;
	stun_message_id(&view, id);
	t = txn_find(c, id);
	if (t == NULL || t->server != srv)
		return TURN_ERR_UNMATCHED;

	/*
	 * An answer to a signed request must be signed (see the top of this
	 * file).  The codes libnice does not check are checked first: a
	 * successful stun_agent_validate forgets the transaction.
	 */
	if (t->signed_ && cls == STUN_ERROR &&
	    stun_message_find_error(&view, &code) == STUN_MESSAGE_RETURN_SUCCESS &&
	    (code == 400 || code == 401 || code == 438) &&
	    !mi_check(c, data, len, code == 400)) {
		integrity_drop(c, t, code);
		return TURN_ERR_INTEGRITY;
	}
	code = 0;
	/*
	 * FINGERPRINT is checked if the answer has one; MESSAGE-INTEGRITY with
	 * the long-term key this request was signed with, required, if the
	 * request was signed.
	 */
	saved = c->agent.usage_flags;
	c->agent.usage_flags = STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS;
	if (stun_message_has_attribute(&view, STUN_ATTRIBUTE_FINGERPRINT))
		c->agent.usage_flags |= STUN_AGENT_USAGE_USE_FINGERPRINT;
	if (!t->signed_)
		c->agent.usage_flags |= STUN_AGENT_USAGE_IGNORE_CREDENTIALS;
	vs = stun_agent_validate(&c->agent, &msg, data, len, NULL, NULL);
	c->agent.usage_flags = saved;

	switch (vs) {
	case STUN_VALIDATION_SUCCESS:
		break;
	case STUN_VALIDATION_UNKNOWN_ATTRIBUTE:
		/* RFC 8489 7.3.3/7.3.4: the transaction has failed */
		log_warnx("turn: answer with an unknown comprehension-required attribute");
		if (t->kind == TX_ALLOCATE) {
			txn_free(c, t);
			allocate_failed(c, now_ms, TURN_REASON_BAD_RESPONSE, 0);
		} else {
			on_error(c, now_ms, t, &view, 0);
		}
		return TURN_OK;
	case STUN_VALIDATION_UNMATCHED_RESPONSE:
		return TURN_ERR_UNMATCHED;
	case STUN_VALIDATION_UNAUTHORIZED:
	case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
		integrity_drop(c, t, 0);
		return TURN_ERR_INTEGRITY;
	case STUN_VALIDATION_BAD_REQUEST:
		return TURN_ERR_INTEGRITY;
	default:
		return TURN_ERR_MALFORMED;
	}

	if (cls == STUN_RESPONSE) {
		on_success(c, now_ms, t, &msg, local);
		return TURN_OK;
	}
	if (stun_message_find_error(&msg, &code) != STUN_MESSAGE_RETURN_SUCCESS)
		code = 0;
	on_error(c, now_ms, t, &msg, code);
	return TURN_OK;
}

/* ---- timers ------------------------------------------------------------- */

void
turn_client_timeout(struct turn_client *c, uint64_t now_ms)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < TURN_TXN_MAX; i++) {
		struct turn_txn *t = &c->txn[i];
		uint32_t next;

		if (!t->used || t->due_ms > now_ms)
			continue;
		/* section 3.8: x1.5 per try, given up TURN_RTO_MAX_ELAPSED_MS
		 * after the first transmission; a wait that would end later
		 * is cut short to end there, with no transmission */
		if (now_ms - t->first_ms >= TURN_RTO_MAX_ELAPSED_MS) {
			on_give_up(c, now_ms, t);
			if (c->state == TURN_S_FAILED || c->state == TURN_S_STOPPED)
				return;
			continue;
		}
		next = t->rto_ms + t->rto_ms / 2;
		t->rto_ms = next;
		t->due_ms = now_ms + next;
		if (t->due_ms > t->first_ms + TURN_RTO_MAX_ELAPSED_MS)
			t->due_ms = t->first_ms + TURN_RTO_MAX_ELAPSED_MS;
		txn_queue(c, t);
	}
	if (c->state != TURN_S_ALLOCATED || !c->allocated)
		return;
	if (now_ms >= c->expires_ms) {
		drop_allocation(c, TURN_REASON_EXPIRED, 0);
		suspend(c);
		return;
	}
	if (now_ms >= c->refresh_ms && c->refresh_txn < 0) {
		if (txn_start(c, now_ms, TX_REFRESH, c->active, 0, 0) == NULL)
			c->refresh_ms = now_ms + TURN_REFRESH_RETRY_MS;
	}
	if (c->keepalive_every && now_ms >= c->keepalive_ms) {
		/* Its answer is one more server-reflexive report; a lost one
		 * changes nothing (binding_done acts only while binding). */
		(void)txn_start(c, now_ms, TX_BINDING, c->active, 0, 0);
		c->keepalive_ms = now_ms + c->keepalive_every;
	}
	while (c->lists[LS_REBIND].head != NIL &&
	    c->chan[c->lists[LS_REBIND].head].due_ms <= now_ms)
		list_append(c, LS_WANT, c->lists[LS_REBIND].head);
	pump_channels(c, now_ms);
}

uint64_t
turn_client_next_deadline(struct turn_client *c)
{
	uint64_t d = UINT64_MAX;

	if (c == NULL)
		return d;
	for (size_t i = 0; i < TURN_TXN_MAX; i++)
		if (c->txn[i].used && c->txn[i].due_ms < d)
			d = c->txn[i].due_ms;
	if (c->state == TURN_S_ALLOCATED && c->allocated) {
		if (c->expires_ms < d)
			d = c->expires_ms;
		if (c->refresh_txn < 0 && c->refresh_ms < d)
			d = c->refresh_ms;
		if (c->keepalive_ms < d)
			d = c->keepalive_ms;
		if (c->lists[LS_REBIND].head != NIL &&
		    c->chan[c->lists[LS_REBIND].head].due_ms < d)
			d = c->chan[c->lists[LS_REBIND].head].due_ms;
	}
	return d;
}

/* ---- queries ------------------------------------------------------------ */

enum turn_state
turn_client_state(const struct turn_client *c)
{
	return c != NULL ? c->state : TURN_S_FAILED;
}

int
turn_client_active_server(const struct turn_client *c, struct ipc_addr *out)
{
	if (c == NULL || out == NULL || c->active < 0)
		return 0;
	*out = c->server[c->active];
	return 1;
}

int
turn_client_relayed(const struct turn_client *c, uint8_t family, struct ipc_addr *out)
{
	if (c == NULL || out == NULL || !c->allocated)
		return 0;
	if (family == 4 && c->has_relayed4) {
		*out = c->relayed4;
		return 1;
	}
	if (family == 6 && c->has_relayed6) {
		*out = c->relayed6;
		return 1;
	}
	return 0;
}

int
turn_client_is_server(const struct turn_client *c, const struct ipc_addr *a)
{
	return c != NULL && a != NULL && server_index(c, a) >= 0;
}

uint64_t
turn_client_integrity_drops(const struct turn_client *c)
{
	return c != NULL ? c->integrity_drops : 0;
}

/* ---- ChannelData -------------------------------------------------------- */

int
turn_channel_data_encode(uint8_t *out, size_t cap, uint16_t channel, const uint8_t *payload,
    size_t len)
{
	if (out == NULL || (payload == NULL && len > 0) || channel < TURN_CHANNEL_MIN ||
	    channel > TURN_CHANNEL_MAX || len > 0xFFFF)
		return TURN_ERR_INVAL;
	if (cap < TURN_CHANNEL_HDR || cap - TURN_CHANNEL_HDR < len)
		return TURN_ERR_NOSPACE;
	if (len > 0 && payload != out + TURN_CHANNEL_HDR)
		memmove(out + TURN_CHANNEL_HDR, payload, len);
	out[0] = (uint8_t)(channel >> 8);
	out[1] = (uint8_t)channel;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return (int)(TURN_CHANNEL_HDR + len);
}

int
turn_channel_data_decode(const uint8_t *buf, size_t len, uint16_t *channel,
    const uint8_t **payload)
{
	uint16_t ch, plen;

	if (buf == NULL || channel == NULL || payload == NULL || len < TURN_CHANNEL_HDR)
		return TURN_ERR_MALFORMED;
	ch = get16(buf);
	plen = get16(buf + 2);
	if (ch < TURN_CHANNEL_MIN || ch > TURN_CHANNEL_MAX)
		return TURN_ERR_MALFORMED;
	if ((size_t)plen > len - TURN_CHANNEL_HDR)
		return TURN_ERR_MALFORMED;
	*channel = ch;
	*payload = buf + TURN_CHANNEL_HDR;
	return (int)plen;
}

/* ---- names -------------------------------------------------------------- */

const char *
turn_reason_str(enum turn_reason r)
{
	switch (r) {
	case TURN_REASON_NONE: return "none";
	case TURN_REASON_TIMEOUT: return "no answer (relay unreachable)";
	case TURN_REASON_CREDENTIALS: return "credentials rejected or expired";
	case TURN_REASON_REALM: return "challenge for another realm";
	case TURN_REASON_CHALLENGE_LOOP: return "too many authentication challenges";
	case TURN_REASON_MISMATCH: return "allocation mismatch (437)";
	case TURN_REASON_BAD_REQUEST: return "bad request (400)";
	case TURN_REASON_FORBIDDEN: return "forbidden (403)";
	case TURN_REASON_UNKNOWN_ATTRIBUTE: return "unknown attribute (420)";
	case TURN_REASON_WRONG_CREDENTIALS: return "wrong credentials (441)";
	case TURN_REASON_UNSUPPORTED_TRANSPORT: return "unsupported transport (442)";
	case TURN_REASON_FAMILY: return "address family not supported (440/443)";
	case TURN_REASON_QUOTA: return "allocation quota reached (486)";
	case TURN_REASON_SERVER_ERROR: return "server error (500)";
	case TURN_REASON_CAPACITY: return "insufficient capacity (508)";
	case TURN_REASON_ERROR: return "error response";
	case TURN_REASON_BAD_RESPONSE: return "malformed answer";
	case TURN_REASON_EXPIRED: return "allocation expired";
	case TURN_REASON_DELETED: return "allocation deleted by the server";
	case TURN_REASON_STOPPED: return "stopped";
	}
	return "unknown";
}

const char *
turn_state_str(enum turn_state s)
{
	switch (s) {
	case TURN_S_IDLE: return "idle";
	case TURN_S_BINDING: return "binding";
	case TURN_S_ALLOCATING: return "allocating";
	case TURN_S_ALLOCATED: return "allocated";
	case TURN_S_SUSPENDED: return "suspended";
	case TURN_S_STOPPING: return "stopping";
	case TURN_S_STOPPED: return "stopped";
	case TURN_S_FAILED: return "failed";
	}
	return "unknown";
}

const char *
turn_strerror(int err)
{
	switch (err) {
	case TURN_OK: return "ok";
	case TURN_ERR_INVAL: return "invalid argument";
	case TURN_ERR_STATE: return "not possible in this state";
	case TURN_ERR_NOT_OURS: return "not from one of our servers";
	case TURN_ERR_MALFORMED: return "malformed message";
	case TURN_ERR_UNMATCHED: return "no matching transaction";
	case TURN_ERR_INTEGRITY: return "integrity or fingerprint check failed";
	case TURN_ERR_IGNORED: return "ignored";
	case TURN_ERR_FAMILY: return "no relayed address of that family";
	case TURN_ERR_FULL: return "no free channel, slot or buffer";
	case TURN_ERR_NOSPACE: return "buffer too small";
	case TURN_ERR_NOMEM: return "out of memory";
	default: return "unknown error";
	}
}
