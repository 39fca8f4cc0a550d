/*
 * ice.c - sans-IO ICE agent (controlled role) on libnice's STUN library.
 *
 * Tables are fixed arrays indexed by small integers; every operation visits
 * at most one agent's tables, whose sizes are bounded constants.
 */
#include "ice.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "log.h"

#define TXN_MAX		STUN_AGENT_MAX_SAVED_IDS
#define TXN_PER_PAIR	8
#define TXID_BUCKETS	16384	/* process-wide table of outstanding check ids */
#define USERNAME_MAX	(2 * ICE_UFRAG_MAX + 1)
#define NO_IDX		0xffff

enum pair_state {
	PAIR_WAITING = 0,
	PAIR_IN_PROGRESS,
	PAIR_SUCCEEDED,
};

struct local_cand {
	uint8_t		in_use;
	enum ice_cand_type type;
	struct ipc_addr	addr;
	uint32_t	prio;		/* agent-internal priority (own type pref) */
	uint32_t	check_prio;	/* PRIORITY attribute: prflx type pref */
	char		str[ICE_OUR_CAND_MAX + 1];
};

struct remote_cand {
	uint8_t		in_use;
	uint8_t		discarded;
	uint8_t		seen;		/* valid STUN received from this address */
	uint8_t		has_raddr;
	enum ice_cand_type type;
	struct ipc_addr	addr;
	struct ipc_addr	raddr;
	uint32_t	prio;
};

struct pair {
	uint8_t		in_use;
	uint8_t		state;
	uint8_t		nominated;
	uint8_t		use_cand_pending;	/* controlling: next check nominates */
	uint8_t		triggered;
	uint8_t		local;
	uint8_t		remote;
	uint8_t		ntxn;
	uint32_t	gen;
	uint64_t	prio;
	uint64_t	created_ms;
	uint64_t	last_sent_ms;
	uint64_t	first_unanswered_ms;
	uint64_t	trigger_ms;
	uint32_t	attempts;
	uint32_t	unanswered;
	uint16_t	txn[TXN_PER_PAIR];	/* oldest first */
};

struct txn {
	uint8_t		in_use;
	uint8_t		use_cand;
	uint8_t		controlling;	/* the role the request claimed */
	uint16_t	pair;
	uint32_t	pair_gen;
	uint64_t	sent_ms;
	StunTransactionId id;		/* cookie + 96 random bits */
	struct ice_agent *owner;	/* set while the id is in the table */
	struct txn	*hnext;		/* txid_table chain */
};

struct ice_timing {
	uint32_t	rto_initial;
	uint32_t	rto_max;
	uint32_t	max_retransmits;
};

static const struct ice_timing timing_active = {
	ICE_ACTIVE_RTO_INITIAL_MS, ICE_ACTIVE_RTO_MAX_MS, ICE_ACTIVE_MAX_RETRANSMITS
};
static const struct ice_timing timing_idle = {
	ICE_IDLE_RTO_INITIAL_MS, ICE_IDLE_RTO_MAX_MS, ICE_IDLE_MAX_RETRANSMITS
};

struct ice_agent {
	StunAgent	stun;
	uint32_t	tag;
	uint64_t	tie;
	uint32_t	ta_ms;
	bool		controlling;
	bool		idle;
	bool		failed;
	bool		had_remote;
	bool		had_pairs;
	uint64_t	created_ms;
	uint64_t	now;			/* latest now_ms seen */
	uint64_t	last_traffic_ms;
	uint64_t	last_tx_ms;
	bool		any_tx;
	uint32_t	pair_gen;
	uint16_t	selected;		/* NO_IDX: no send path */
	uint32_t	selected_gen;		/* generation of that pair */
	uint32_t	local_pref_next[4][2];	/* per type, per family (0 = v4) */

	char		local_ufrag[ICE_UFRAG_MAX + 1];
	char		remote_ufrag[ICE_UFRAG_MAX + 1];
	uint8_t		local_pwd[ICE_PWD_MAX + 1];
	uint8_t		remote_pwd[ICE_PWD_MAX + 1];
	size_t		local_pwd_len;
	size_t		remote_pwd_len;
	char		user_in[USERNAME_MAX + 1];	/* "local:remote" */
	char		user_out[USERNAME_MAX + 1];	/* "remote:local" */
	size_t		user_in_len;
	size_t		user_out_len;

	struct local_cand	local[ICE_MAX_LOCAL];
	struct remote_cand	remote[ICE_MAX_REMOTE];
	struct pair		pairs[ICE_MAX_PAIRS];
	struct txn		txns[TXN_MAX];

	struct ice_event	ev[ICE_EVENTS_MAX];
	unsigned		ev_head;
	unsigned		ev_count;
	unsigned		ev_dropped;
};

/*
 * Outstanding check transaction ids of every agent -> (agent, txn slot),
 * for dispatching responses (RFC 8489 section 5: the id is 96 random bits,
 * so it cannot also carry an agent tag).  Entries live inside the agents'
 * txns[] arrays (at most TXN_MAX per agent) and leave the table when the
 * check is answered, expires (ICE_TXN_LIFETIME_MS), is evicted or its
 * agent is freed.  The bucket is taken from random id bytes we drew
 * ourselves, so a sender cannot aim entries at one bucket; looking up an
 * id it chose costs one chain walk.  The control process is single
 * threaded.
 */
static struct txn *txid_table[TXID_BUCKETS];

static const uint16_t known_attributes[] = {
	STUN_ATTRIBUTE_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_USERNAME,
	STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	STUN_ATTRIBUTE_ERROR_CODE,
	STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
	STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_PRIORITY,
	STUN_ATTRIBUTE_USE_CANDIDATE,
	STUN_ATTRIBUTE_FINGERPRINT,
	STUN_ATTRIBUTE_ICE_CONTROLLED,
	STUN_ATTRIBUTE_ICE_CONTROLLING,
	0
};

/* ---- small helpers ------------------------------------------------------- */

static const struct ice_timing *
timing(const struct ice_agent *a)
{
	return a->idle ? &timing_idle : &timing_active;
}

static int
is_ice_chars(const char *s, size_t min, size_t max, size_t *len)
{
	size_t n = strnlen(s, max + 1), i;

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	*len = n;
	return 1;
}

static socklen_t
to_sockaddr(const struct ipc_addr *a, struct sockaddr_storage *ss)
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

static int
addr_usable(const struct ipc_addr *a)
{
	static const uint8_t zero[16];

	if (a->port == 0)
		return 0;
	if (a->family == 4)
		return memcmp(a->addr, zero, 4) != 0 && (a->addr[0] & 0xf0) != 0xe0 &&
		    !(a->addr[0] == 255 && a->addr[1] == 255 && a->addr[2] == 255 &&
		    a->addr[3] == 255);
	if (a->family == 6)
		return memcmp(a->addr, zero, 16) != 0 && a->addr[0] != 0xff;
	return 0;
}

static int
fam_idx(const struct ipc_addr *a)
{
	return a->family == 6 ? 1 : 0;
}

static void
push_event(struct ice_agent *a, const struct ice_event *ev)
{
	if (a->ev_count == ICE_EVENTS_MAX) {
		a->ev_dropped++;
		log_warnx("ice: agent %u event queue full, event %d dropped",
		    (unsigned)a->tag, (int)ev->type);
		return;
	}
	a->ev[(a->ev_head + a->ev_count) % ICE_EVENTS_MAX] = *ev;
	a->ev_count++;
}

static void
push_simple(struct ice_agent *a, enum ice_event_type type, enum ice_fail_reason reason)
{
	struct ice_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.reason = reason;
	push_event(a, &ev);
}

static void
touch(struct ice_agent *a, uint64_t now)
{
	if (now > a->now)
		a->now = now;
}

static uint64_t
rto_delay(const struct ice_timing *t, uint32_t n)
{
	uint64_t d;

	if (n == 0)
		return 0;
	if (n > 21)
		return t->rto_max;
	d = (uint64_t)t->rto_initial << (n - 1);
	return d < t->rto_max ? d : t->rto_max;
}

/* RFC 8445 6.1.2.3 with G = controlling side's priority. */
static uint64_t
pair_priority(bool controlling, uint32_t local_prio, uint32_t remote_prio)
{
	uint64_t g = controlling ? local_prio : remote_prio;
	uint64_t d = controlling ? remote_prio : local_prio;
	uint64_t mn = g < d ? g : d, mx = g < d ? d : g;

	return (mn << 32) + 2 * mx + (g > d ? 1 : 0);
}

/*
 * When the pair's next check is due (section 2.7): the delay before send
 * #n doubles from the initial RTO up to the maximum; once max RTO / 2 has
 * passed since the oldest unanswered check the unanswered count drives it,
 * before that the number of attempts.
 */
static uint64_t
pair_due(const struct ice_agent *a, const struct pair *p)
{
	const struct ice_timing *t = timing(a);
	uint64_t da, db, sw;

	if (p->triggered)
		return p->trigger_ms;
	if (p->attempts == 0)
		return p->created_ms;
	da = p->last_sent_ms + rto_delay(t, p->attempts);
	if (p->unanswered == 0)
		return da;
	sw = p->first_unanswered_ms + t->rto_max / 2;
	db = p->last_sent_ms + rto_delay(t, p->unanswered);
	if (db < sw)
		db = sw;
	return da < db ? da : db;
}

/* ---- transactions ---------------------------------------------------------- */

static uint32_t
txid_bucket(const uint8_t *id)
{
	/* bytes 4..15: the random part (0..3 is the magic cookie) */
	return (((uint32_t)id[4] << 8) | id[5]) % TXID_BUCKETS;
}

static struct txn *
txid_lookup(const uint8_t *id)
{
	struct txn *t;

	for (t = txid_table[txid_bucket(id)]; t != NULL; t = t->hnext)
		if (memcmp(t->id, id, sizeof(StunTransactionId)) == 0)
			return t;
	return NULL;
}

static void
txid_insert(struct ice_agent *a, struct txn *t)
{
	struct txn **head = &txid_table[txid_bucket(t->id)];

	t->owner = a;
	t->hnext = *head;
	*head = t;
}

static void
txid_remove(struct txn *t)
{
	struct txn **pp;

	if (t->owner == NULL)
		return;
	for (pp = &txid_table[txid_bucket(t->id)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	}
	t->owner = NULL;
	t->hnext = NULL;
}

static void
txn_release(struct ice_agent *a, uint16_t ti, bool forget)
{
	struct txn *t = &a->txns[ti];
	struct pair *p;
	unsigned i;

	if (!t->in_use)
		return;
	txid_remove(t);
	if (forget)
		stun_agent_forget_transaction(&a->stun, t->id);
	p = &a->pairs[t->pair];
	if (p->in_use && p->gen == t->pair_gen) {
		for (i = 0; i < p->ntxn; i++) {
			if (p->txn[i] == ti) {
				memmove(&p->txn[i], &p->txn[i + 1],
				    (p->ntxn - i - 1) * sizeof(p->txn[0]));
				p->ntxn--;
				break;
			}
		}
	}
	memset(t, 0, sizeof(*t));
}

static uint16_t
txn_alloc(struct ice_agent *a)
{
	uint16_t i, oldest = 0;

	for (i = 0; i < TXN_MAX; i++)
		if (!a->txns[i].in_use)
			return i;
	for (i = 1; i < TXN_MAX; i++)
		if (a->txns[i].sent_ms < a->txns[oldest].sent_ms)
			oldest = i;
	txn_release(a, oldest, true);
	return oldest;
}

/* This agent's live transaction with that id, or -1. */
static int
txn_find(const struct ice_agent *a, const uint8_t *id)
{
	const struct txn *t = txid_lookup(id);

	if (t == NULL || t->owner != a || !t->in_use)
		return -1;
	return (int)(t - a->txns);
}

/* Forget checks nobody answered within ICE_TXN_LIFETIME_MS. */
static void
txn_expire(struct ice_agent *a, uint64_t now)
{
	uint16_t i;

	for (i = 0; i < TXN_MAX; i++)
		if (a->txns[i].in_use && a->txns[i].sent_ms + ICE_TXN_LIFETIME_MS <= now)
			txn_release(a, i, true);
}

/*
 * A fresh transaction id: the cookie and 96 bits from RAND_bytes, drawn
 * again in the (negligible) case it is already outstanding.  Returns 0, or
 * -1 when the random source fails.
 */
static int
txid_new(uint8_t *id)
{
	static const uint8_t cookie[4] = { 0x21, 0x12, 0xa4, 0x42 };
	int tries;

	memcpy(id, cookie, sizeof(cookie));
	for (tries = 0; tries < 4; tries++) {
		if (RAND_bytes(id + 4, (int)sizeof(StunTransactionId) - 4) != 1)
			return -1;
		if (txid_lookup(id) == NULL)
			return 0;
	}
	return -1;
}

/* ---- pairs, selection -------------------------------------------------------- */

static void
event_path(struct ice_event *ev, const struct ice_agent *a, const struct pair *p)
{
	const struct local_cand *l = &a->local[p->local];

	ev->local = l->addr;
	ev->remote = a->remote[p->remote].addr;
	ev->via_relay = l->type == ICE_CAND_RELAY;
}

/* Highest-priority nominated pair becomes the send path (section 2.6). */
static void
reselect(struct ice_agent *a)
{
	uint16_t best = NO_IDX, i;
	struct ice_event ev;

	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct pair *p = &a->pairs[i];

		if (p->in_use && p->nominated &&
		    (best == NO_IDX || p->prio > a->pairs[best].prio))
			best = i;
	}
	if (best == a->selected &&
	    (best == NO_IDX || a->pairs[best].gen == a->selected_gen))
		return;
	memset(&ev, 0, sizeof(ev));
	if (best == NO_IDX) {
		a->selected = NO_IDX;
		ev.type = ICE_EV_PATH_LOST;
		push_event(a, &ev);
		log_info("ice: agent %u lost its send path", (unsigned)a->tag);
		return;
	}
	if (a->selected == NO_IDX && a->now > a->last_traffic_ms)
		a->last_traffic_ms = a->now;	/* Connected starts the idle timer */
	a->selected = best;
	a->selected_gen = a->pairs[best].gen;
	ev.type = ICE_EV_NOMINATED;
	event_path(&ev, a, &a->pairs[best]);
	push_event(a, &ev);
	log_info("ice: agent %u nominated pair %u (%s)", (unsigned)a->tag,
	    (unsigned)best, ev.via_relay ? "relayed" : "direct");
}

static void
pair_remove(struct ice_agent *a, uint16_t pi)
{
	struct pair *p = &a->pairs[pi];

	while (p->ntxn > 0)
		txn_release(a, p->txn[0], true);
	memset(p, 0, sizeof(*p));
}

static int
pair_find(const struct ice_agent *a, unsigned li, unsigned ri)
{
	int i;

	for (i = 0; i < ICE_MAX_PAIRS; i++)
		if (a->pairs[i].in_use && a->pairs[i].local == li && a->pairs[i].remote == ri)
			return i;
	return -1;
}

static int
pair_add(struct ice_agent *a, unsigned li, unsigned ri, uint64_t now)
{
	int i = pair_find(a, li, ri);
	struct pair *p;

	if (i >= 0)
		return i;
	for (i = 0; i < ICE_MAX_PAIRS; i++)
		if (!a->pairs[i].in_use)
			break;
	if (i == ICE_MAX_PAIRS) {
		log_debug("ice: agent %u pair table full", (unsigned)a->tag);
		return ICE_EFULL;
	}
	p = &a->pairs[i];
	memset(p, 0, sizeof(*p));
	p->in_use = 1;
	p->local = (uint8_t)li;
	p->remote = (uint8_t)ri;
	p->gen = ++a->pair_gen;
	p->created_ms = now;
	p->prio = pair_priority(a->controlling, a->local[li].prio, a->remote[ri].prio);
	a->had_pairs = true;
	return i;
}

static bool
pairable(const struct ice_agent *a, unsigned li, unsigned ri)
{
	const struct local_cand *l = &a->local[li];
	const struct remote_cand *r = &a->remote[ri];

	return l->in_use && r->in_use && !r->discarded &&
	    (l->type == ICE_CAND_HOST || l->type == ICE_CAND_RELAY) &&
	    l->addr.family == r->addr.family;
}

static void
recompute_priorities(struct ice_agent *a)
{
	unsigned i;

	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		struct pair *p = &a->pairs[i];

		if (p->in_use)
			p->prio = pair_priority(a->controlling, a->local[p->local].prio,
			    a->remote[p->remote].prio);
	}
}

static void
set_role(struct ice_agent *a, bool controlling)
{
	unsigned i;

	if (a->controlling == controlling)
		return;
	a->controlling = controlling;
	log_info("ice: agent %u role conflict: now %s", (unsigned)a->tag,
	    controlling ? "controlling" : "controlled");
	recompute_priorities(a);
	for (i = 0; i < ICE_MAX_PAIRS; i++)
		a->pairs[i].use_cand_pending = 0;
}

static void
trigger(struct pair *p, uint64_t now)
{
	if (!p->triggered) {
		p->triggered = 1;
		p->trigger_ms = now;
	}
}

/* ---- creation ------------------------------------------------------------------ */

struct ice_agent *
ice_agent_new(const char *local_ufrag, const char *local_pwd,
    const char *remote_ufrag, const char *remote_pwd,
    const struct ice_config *cfg, uint64_t now_ms)
{
	struct ice_agent *a;
	size_t lu, lp, ru, rp;

	if (local_ufrag == NULL || local_pwd == NULL || remote_ufrag == NULL ||
	    remote_pwd == NULL)
		return NULL;
	if (!is_ice_chars(local_ufrag, ICE_UFRAG_MIN, ICE_UFRAG_MAX, &lu) ||
	    !is_ice_chars(remote_ufrag, ICE_UFRAG_MIN, ICE_UFRAG_MAX, &ru) ||
	    !is_ice_chars(local_pwd, ICE_PWD_MIN, ICE_PWD_MAX, &lp) ||
	    !is_ice_chars(remote_pwd, ICE_PWD_MIN, ICE_PWD_MAX, &rp))
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;

	/* libnice's STUN debug output would print keys: keep it off. */
	stun_debug_disable();
	stun_agent_init(&a->stun, known_attributes, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);

	memcpy(a->local_ufrag, local_ufrag, lu);
	memcpy(a->remote_ufrag, remote_ufrag, ru);
	memcpy(a->local_pwd, local_pwd, lp);
	memcpy(a->remote_pwd, remote_pwd, rp);
	a->local_pwd_len = lp;
	a->remote_pwd_len = rp;
	memcpy(a->user_in, local_ufrag, lu);
	a->user_in[lu] = ':';
	memcpy(a->user_in + lu + 1, remote_ufrag, ru);
	a->user_in_len = lu + 1 + ru;
	memcpy(a->user_out, remote_ufrag, ru);
	a->user_out[ru] = ':';
	memcpy(a->user_out + ru + 1, local_ufrag, lu);
	a->user_out_len = lu + 1 + ru;

	if (cfg != NULL) {
		a->tag = cfg->tag;
		a->tie = cfg->tie_breaker;
		a->ta_ms = cfg->ta_ms;
	}
	if (a->tie == 0 && RAND_bytes((unsigned char *)&a->tie, sizeof(a->tie)) != 1) {
		ice_agent_free(a);
		return NULL;
	}
	a->controlling = false;
	a->created_ms = now_ms;
	a->now = now_ms;
	a->selected = NO_IDX;
	/* str0m's local preference bands (section 2.5); odd = IPv6. */
	a->local_pref_next[ICE_CAND_HOST][0] = 65534;
	a->local_pref_next[ICE_CAND_HOST][1] = 65535;
	a->local_pref_next[ICE_CAND_PRFLX][0] = 49150;
	a->local_pref_next[ICE_CAND_PRFLX][1] = 49151;
	a->local_pref_next[ICE_CAND_SRFLX][0] = 32766;
	a->local_pref_next[ICE_CAND_SRFLX][1] = 32767;
	a->local_pref_next[ICE_CAND_RELAY][0] = 16382;
	a->local_pref_next[ICE_CAND_RELAY][1] = 16383;
	return a;
}

void
ice_agent_free(struct ice_agent *a)
{
	uint16_t i;

	if (a == NULL)
		return;
	for (i = 0; i < TXN_MAX; i++)
		txid_remove(&a->txns[i]);
	/* ufrags, passwords and the USERNAME strings built from them */
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

/* ---- candidates ------------------------------------------------------------------ */

static int
local_find(const struct ice_agent *a, enum ice_cand_type type, const struct ipc_addr *addr)
{
	int i;

	for (i = 0; i < ICE_MAX_LOCAL; i++)
		if (a->local[i].in_use && a->local[i].type == type &&
		    ice_cand_addr_equal(&a->local[i].addr, addr))
			return i;
	return -1;
}

int
ice_agent_add_local(struct ice_agent *a, enum ice_cand_type type,
    const struct ipc_addr *addr, uint64_t now_ms)
{
	struct ice_cand c;
	struct local_cand *l;
	struct ice_event ev;
	uint32_t lp;
	int i, j, n;

	if (a == NULL || addr == NULL || a->failed)
		return ICE_EINVAL;
	if (type != ICE_CAND_HOST && type != ICE_CAND_SRFLX && type != ICE_CAND_RELAY)
		return ICE_EINVAL;
	/* Section 1.2 step 0: no unspecified, multicast, broadcast or IPv4
	 * link-local local candidates. */
	if (!addr_usable(addr) || (addr->family == 4 && addr->addr[0] == 169 &&
	    addr->addr[1] == 254))
		return ICE_EINVAL;
	touch(a, now_ms);
	if (local_find(a, type, addr) >= 0)
		return ICE_EIGNORED;
	for (i = 0; i < ICE_MAX_LOCAL; i++)
		if (!a->local[i].in_use)
			break;
	if (i == ICE_MAX_LOCAL)
		return ICE_EFULL;
	if (ice_cand_make_local(&c, type, addr) != ICE_OK)
		return ICE_EINVAL;
	l = &a->local[i];
	memset(l, 0, sizeof(*l));
	if ((n = ice_cand_format(&c, l->str, sizeof(l->str))) < 0)
		return ICE_EINVAL;
	l->in_use = 1;
	l->type = type;
	l->addr = c.addr;
	lp = a->local_pref_next[type][fam_idx(addr)];
	if (lp >= 2)
		a->local_pref_next[type][fam_idx(addr)] = lp - 2;
	l->prio = ice_cand_priority_calc(ice_cand_type_pref(type), lp, 1);
	l->check_prio = ice_cand_priority_calc(ICE_TYPE_PREF_PRFLX, lp, 1);

	memset(&ev, 0, sizeof(ev));
	ev.type = ICE_EV_LOCAL_CANDIDATE;
	memcpy(ev.cand, l->str, (size_t)n + 1);
	push_event(a, &ev);

	for (j = 0; j < ICE_MAX_REMOTE; j++)
		if (pairable(a, (unsigned)i, (unsigned)j))
			(void)pair_add(a, (unsigned)i, (unsigned)j, now_ms);
	return ICE_OK;
}

int
ice_agent_remove_local(struct ice_agent *a, enum ice_cand_type type,
    const struct ipc_addr *addr, uint64_t now_ms)
{
	struct ice_event ev;
	int li;
	uint16_t i;

	if (a == NULL || addr == NULL)
		return ICE_EINVAL;
	touch(a, now_ms);
	if ((li = local_find(a, type, addr)) < 0)
		return ICE_ENOENT;
	for (i = 0; i < ICE_MAX_PAIRS; i++)
		if (a->pairs[i].in_use && a->pairs[i].local == li)
			pair_remove(a, i);
	memset(&ev, 0, sizeof(ev));
	ev.type = ICE_EV_LOCAL_INVALIDATED;
	memcpy(ev.cand, a->local[li].str, sizeof(ev.cand));
	push_event(a, &ev);
	memset(&a->local[li], 0, sizeof(a->local[li]));
	if (!a->failed)
		reselect(a);
	return ICE_OK;
}

static int
remote_find_addr(const struct ice_agent *a, const struct ipc_addr *addr, bool discarded)
{
	int i;

	for (i = 0; i < ICE_MAX_REMOTE; i++)
		if (a->remote[i].in_use && (a->remote[i].discarded != 0) == discarded &&
		    ice_cand_addr_equal(&a->remote[i].addr, addr))
			return i;
	return -1;
}

static void
remote_pair_all(struct ice_agent *a, unsigned ri, uint64_t now)
{
	unsigned li;

	for (li = 0; li < ICE_MAX_LOCAL; li++)
		if (pairable(a, li, ri))
			(void)pair_add(a, li, ri, now);
}

int
ice_agent_add_remote(struct ice_agent *a, const char *cand, size_t len, uint64_t now_ms)
{
	struct ice_cand c;
	struct remote_cand *r;
	int rc, i;

	if (a == NULL || cand == NULL)
		return ICE_EINVAL;
	if (a->failed)
		return ICE_EIGNORED;
	touch(a, now_ms);
	if ((rc = ice_cand_parse(cand, len, &c)) != ICE_OK)
		return rc;
	if (c.component != 1 || !c.udp)
		return ICE_EIGNORED;
	if (c.has_ufrag && strcmp(c.ufrag, a->remote_ufrag) != 0)
		return ICE_EIGNORED;
	if (!addr_usable(&c.addr))
		return ICE_EIGNORED;

	/* Known address: re-enable, or let a signalled type replace prflx. */
	if ((i = remote_find_addr(a, &c.addr, false)) >= 0) {
		r = &a->remote[i];
		if (r->type != ICE_CAND_PRFLX || c.type == ICE_CAND_PRFLX)
			return ICE_EIGNORED;
		r->type = c.type;
		r->prio = c.priority;
		r->has_raddr = c.has_raddr;
		r->raddr = c.raddr;
		recompute_priorities(a);
		reselect(a);
		return ICE_OK;
	}
	if ((i = remote_find_addr(a, &c.addr, true)) < 0) {
		for (i = 0; i < ICE_MAX_REMOTE; i++)
			if (!a->remote[i].in_use)
				break;
		if (i == ICE_MAX_REMOTE)
			return ICE_EFULL;
	}
	r = &a->remote[i];
	memset(r, 0, sizeof(*r));
	r->in_use = 1;
	r->type = c.type;
	r->addr = c.addr;
	r->addr.pad = 0;
	r->prio = c.priority;
	r->has_raddr = c.has_raddr;
	r->raddr = c.raddr;
	a->had_remote = true;
	remote_pair_all(a, (unsigned)i, now_ms);
	return ICE_OK;
}

int
ice_agent_remove_remote(struct ice_agent *a, const char *cand, size_t len, uint64_t now_ms)
{
	struct ice_cand c, have;
	int rc, i;
	uint16_t pi;

	if (a == NULL || cand == NULL)
		return ICE_EINVAL;
	touch(a, now_ms);
	if ((rc = ice_cand_parse(cand, len, &c)) != ICE_OK)
		return rc;
	for (i = 0; i < ICE_MAX_REMOTE; i++) {
		struct remote_cand *r = &a->remote[i];

		if (!r->in_use || r->discarded)
			continue;
		memset(&have, 0, sizeof(have));
		have.type = r->type;
		have.addr = r->addr;
		have.has_raddr = r->has_raddr;
		have.raddr = r->raddr;
		if (ice_cand_same(&have, &c))
			break;
	}
	if (i == ICE_MAX_REMOTE)
		return ICE_ENOENT;
	a->remote[i].discarded = 1;
	for (pi = 0; pi < ICE_MAX_PAIRS; pi++)
		if (a->pairs[pi].in_use && a->pairs[pi].remote == i)
			pair_remove(a, pi);
	if (!a->failed)
		reselect(a);
	return ICE_OK;
}

/* ---- STUN framing helpers (bounds-checked, no libnice state) ------------------- */

/*
 * Header checks of section 1.2 step 3: at least 20 bytes, top bits zero,
 * length field a multiple of 4 equal to len - 20, magic cookie.
 */
static int
stun_header(const uint8_t *b, size_t len, unsigned *cls, unsigned *method)
{
	size_t mlen;
	unsigned type;

	if (b == NULL || len < 20 || len > 20 + 0xffff || (b[0] & 0xc0) != 0)
		return -1;
	mlen = ((size_t)b[2] << 8) | b[3];
	if (mlen != len - 20 || (mlen & 3) != 0)
		return -1;
	if (b[4] != 0x21 || b[5] != 0x12 || b[6] != 0xa4 || b[7] != 0x42)
		return -1;
	type = ((unsigned)b[0] << 8) | b[1];
	*method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
	*cls = ((type & 0x0100) >> 7) | ((type & 0x0010) >> 4);
	return 0;
}

/* First attribute of type want; NULL if absent or the list is malformed. */
static const uint8_t *
stun_attr(const uint8_t *b, size_t len, uint16_t want, uint16_t *alen)
{
	size_t off = 20;

	while (off + 4 <= len) {
		uint16_t t = (uint16_t)((b[off] << 8) | b[off + 1]);
		size_t n = ((size_t)b[off + 2] << 8) | b[off + 3];

		if (n > len - off - 4)
			return NULL;
		if (t == want) {
			*alen = (uint16_t)n;
			return b + off + 4;
		}
		off += 4 + ((n + 3) & ~(size_t)3);
	}
	return NULL;
}

/*
 * libnice reported an unknown comprehension-required attribute: accept
 * the message only if every such attribute is an empty type 0x0000 (the
 * str0m USERNAME over-padding quirk of section 2.5).
 */
static bool
only_empty_zero_unknowns(const uint8_t *b, size_t len)
{
	size_t off = 20, k;

	while (off + 4 <= len) {
		uint16_t t = (uint16_t)((b[off] << 8) | b[off + 1]);
		size_t n = ((size_t)b[off + 2] << 8) | b[off + 3];
		bool known = false;

		if (n > len - off - 4)
			return false;
		for (k = 0; known_attributes[k] != 0; k++)
			if (known_attributes[k] == t)
				known = true;
		if (t < 0x8000 && !known && !(t == 0 && n == 0))
			return false;
		off += 4 + ((n + 3) & ~(size_t)3);
	}
	return true;
}

int
ice_match_username(const uint8_t *data, size_t len, char *out_local, char *out_remote)
{
	unsigned cls, method;
	const uint8_t *u, *colon;
	uint16_t ulen;
	size_t l1, l2;

	if (out_local == NULL || stun_header(data, len, &cls, &method) != 0 ||
	    cls != 0 || method != STUN_BINDING)
		return ICE_ENOTSTUN;
	if ((u = stun_attr(data, len, STUN_ATTRIBUTE_USERNAME, &ulen)) == NULL)
		return ICE_EPARSE;
	if ((colon = memchr(u, ':', ulen)) == NULL)
		return ICE_EPARSE;
	l1 = (size_t)(colon - u);
	l2 = ulen - l1 - 1;
	if (l1 == 0 || l1 > ICE_UFRAG_MAX || l2 > ICE_UFRAG_MAX)
		return ICE_EPARSE;
	memcpy(out_local, u, l1);
	out_local[l1] = '\0';
	if (out_remote != NULL) {
		memcpy(out_remote, colon + 1, l2);
		out_remote[l2] = '\0';
	}
	return (int)l1;
}

int
ice_match_txid(const uint8_t *data, size_t len, uint32_t *tag)
{
	unsigned cls, method;

	const struct txn *t;

	if (tag == NULL || stun_header(data, len, &cls, &method) != 0 ||
	    (cls != 2 && cls != 3) || method != STUN_BINDING)
		return ICE_ENOTSTUN;
	if ((t = txid_lookup(data + STUN_MESSAGE_TRANS_ID_POS)) == NULL || t->owner == NULL)
		return ICE_ENOMATCH;
	*tag = t->owner->tag;
	return ICE_OK;
}

int
ice_gen_credentials(char *ufrag, char *pwd)
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvxyzABCDEFGHIJKLMNOPQRSTUVXYZ0123456789";
	const size_t na = sizeof(alphabet) - 1;	/* 60 */
	unsigned char r[64];
	size_t i = 0, n = 0, want = 4 + 22;
	char out[26];

	if (ufrag == NULL || pwd == NULL)
		return ICE_EINVAL;
	while (n < want) {
		if (i == 0 && RAND_bytes(r, sizeof(r)) != 1) {
			explicit_bzero(out, sizeof(out));
			return ICE_ENOMEM;
		}
		/* rejection sampling: 240 = 4 * 60 keeps it uniform */
		if (r[i] < 240)
			out[n++] = alphabet[r[i] % na];
		i = (i + 1) % sizeof(r);
	}
	memcpy(ufrag, out, 4);
	ufrag[4] = '\0';
	memcpy(pwd, out + 4, 22);
	pwd[22] = '\0';
	explicit_bzero(out, sizeof(out));
	explicit_bzero(r, sizeof(r));
	return ICE_OK;
}

/* ---- receiving ---------------------------------------------------------------------- */

static bool
validater(StunAgent *agent, StunMessage *message, uint8_t *username,
    uint16_t username_len, uint8_t **password, size_t *password_len, void *user_data)
{
	struct ice_agent *a = user_data;

	(void)agent;
	(void)message;
	if (username == NULL || username_len != a->user_in_len ||
	    memcmp(username, a->user_in, username_len) != 0)
		return false;
	*password = a->local_pwd;
	*password_len = a->local_pwd_len;
	return true;
}

static int
note_source(struct ice_agent *a, unsigned ri, const struct local_cand *l)
{
	struct remote_cand *r = &a->remote[ri];
	struct ice_event ev;

	if (r->seen)
		return 0;
	r->seen = 1;
	memset(&ev, 0, sizeof(ev));
	ev.type = ICE_EV_REMOTE_SOURCE;
	ev.local = l->addr;
	ev.remote = r->addr;
	ev.via_relay = l->type == ICE_CAND_RELAY;
	push_event(a, &ev);
	return 1;
}

enum reply_kind {
	REPLY_FAILED = 0,
	REPLY_SUCCESS,		/* Binding success response */
	REPLY_ROLE_CONFLICT,	/* 487: we keep our role */
};

/*
 * Answer a validated Binding request (RFC 8445 7.3.1.1, RFC 8489 9.1.3)
 * into buf (ICE_TX_MAX bytes): *len bytes, signed with the local password
 * (the key stun_agent_validate found for req).
 *
 * Role conflict: when the request claims our role (ICE-CONTROLLING while we
 * control, ICE-CONTROLLED while we are controlled), the tie-breakers decide
 * as in RFC 8445 7.3.1.1: either *control flips and a success response
 * follows, or the answer is a 487 error (no USERNAME either).
 *
 * The success response carries XOR-MAPPED-ADDRESS (the request's source),
 * MESSAGE-INTEGRITY and FINGERPRINT, and no USERNAME (RFC 8489 9.1.3: a
 * response never carries it; libnice's stun_usage_ice_conncheck_create_reply
 * copies it from the request, hence this function).
 */
static enum reply_kind
build_reply(struct ice_agent *a, StunMessage *req, const struct sockaddr_storage *src,
    socklen_t srclen, bool *control, uint8_t *buf, size_t *len)
{
	StunMessage resp;
	uint64_t q;
	size_t n;

	*len = 0;
	if (stun_message_find64(req, *control ? STUN_ATTRIBUTE_ICE_CONTROLLING :
	    STUN_ATTRIBUTE_ICE_CONTROLLED, &q) == STUN_MESSAGE_RETURN_SUCCESS) {
		/* RFC 8445 7.3.1.1: controlling, the larger tie-breaker keeps
		 * the role; controlled, the larger (or equal) one takes it. */
		if (*control ? a->tie >= q : a->tie < q) {
			if (!stun_agent_init_error(&a->stun, &resp, buf, ICE_TX_MAX, req,
			    STUN_ERROR_ROLE_CONFLICT))
				return REPLY_FAILED;
			n = stun_agent_finish_message(&a->stun, &resp, a->local_pwd,
			    a->local_pwd_len);
			if (n == 0 || n > ICE_TX_MAX)
				return REPLY_FAILED;
			*len = n;
			return REPLY_ROLE_CONFLICT;
		}
		*control = !*control;
	}
	if (!stun_agent_init_response(&a->stun, &resp, buf, ICE_TX_MAX, req) ||
	    stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	    src, srclen) != STUN_MESSAGE_RETURN_SUCCESS)
		return REPLY_FAILED;
	n = stun_agent_finish_message(&a->stun, &resp, a->local_pwd, a->local_pwd_len);
	if (n == 0 || n > ICE_TX_MAX)
		return REPLY_FAILED;
	*len = n;
	return REPLY_SUCCESS;
}

static int
handle_request(struct ice_agent *a, uint64_t now, const struct ice_rx *rx,
    struct ice_tx *reply)
{
	StunMessage req;
	StunValidationStatus vs;
	enum reply_kind rr;
	struct sockaddr_storage ss;
	socklen_t sslen;
	uint32_t prio;
	bool use_cand, control;
	size_t plen = 0;
	int li, ri, pi;
	uint16_t ulen;

	if (reply == NULL)
		return ICE_EINVAL;
	reply->len = 0;
	/* Section 1.2: a request must carry USERNAME and MESSAGE-INTEGRITY. */
	if (stun_attr(rx->data, rx->len, STUN_ATTRIBUTE_USERNAME, &ulen) == NULL ||
	    stun_attr(rx->data, rx->len, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, &ulen) == NULL)
		return ICE_ENOTSTUN;
	vs = stun_agent_validate(&a->stun, &req, rx->data, rx->len, validater, a);
	if ((vs == STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE ||
	    vs == STUN_VALIDATION_UNKNOWN_ATTRIBUTE) &&
	    only_empty_zero_unknowns(rx->data, rx->len))
		vs = STUN_VALIDATION_SUCCESS;
	switch (vs) {
	case STUN_VALIDATION_SUCCESS:
		break;
	case STUN_VALIDATION_UNAUTHORIZED:
	case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
		return ICE_EAUTH;
	case STUN_VALIDATION_NOT_STUN:
	case STUN_VALIDATION_INCOMPLETE_STUN:
		return ICE_ENOTSTUN;
	default:
		return ICE_EDROPPED;
	}
	if (stun_message_find32(&req, STUN_ATTRIBUTE_PRIORITY, &prio) !=
	    STUN_MESSAGE_RETURN_SUCCESS || prio == 0)
		return ICE_EDROPPED;
	use_cand = stun_usage_ice_conncheck_use_candidate(&req);
	if (use_cand && a->controlling)
		return ICE_EDROPPED;
	li = local_find(a, rx->via_relay ? ICE_CAND_RELAY : ICE_CAND_HOST, &rx->local);
	if (li < 0)
		return ICE_ENOMATCH;
	if (!addr_usable(&rx->from) || rx->from.family != rx->local.family)
		return ICE_EDROPPED;
	if (remote_find_addr(a, &rx->from, true) >= 0)
		return ICE_EDROPPED;	/* source is a discarded candidate */
	if ((sslen = to_sockaddr(&rx->from, &ss)) == 0)
		return ICE_EDROPPED;

	control = a->controlling;
	rr = build_reply(a, &req, &ss, sslen, &control, reply->data, &plen);
	if (rr == REPLY_ROLE_CONFLICT) {
		/* We keep our role; the peer gets 487 and switches. */
		reply->len = (uint16_t)plen;
		reply->from = a->local[li].addr;
		reply->to = rx->from;
		reply->via_relay = rx->via_relay ? 1 : 0;
		log_info("ice: agent %u role conflict: answered 487", (unsigned)a->tag);
		return ICE_OK;
	}
	if (rr != REPLY_SUCCESS)
		return ICE_EDROPPED;
	if (control != a->controlling) {
		set_role(a, control);
		if (use_cand && a->controlling) {
			reply->len = 0;
			return ICE_EDROPPED;
		}
	}
	reply->len = (uint16_t)plen;
	reply->from = a->local[li].addr;
	reply->to = rx->from;
	reply->via_relay = rx->via_relay ? 1 : 0;

	/* Remote candidate for the source: known, or peer-reflexive. */
	if ((ri = remote_find_addr(a, &rx->from, false)) < 0) {
		for (ri = 0; ri < ICE_MAX_REMOTE; ri++)
			if (!a->remote[ri].in_use)
				break;
		if (ri == ICE_MAX_REMOTE)
			return ICE_OK;	/* answered; no room to track it */
		memset(&a->remote[ri], 0, sizeof(a->remote[ri]));
		a->remote[ri].in_use = 1;
		a->remote[ri].type = ICE_CAND_PRFLX;
		a->remote[ri].addr = rx->from;
		a->remote[ri].addr.pad = 0;
		a->remote[ri].prio = prio;
		a->had_remote = true;
	}
	note_source(a, (unsigned)ri, &a->local[li]);
	pi = pair_find(a, (unsigned)li, (unsigned)ri);
	if (pi < 0)
		pi = pair_add(a, (unsigned)li, (unsigned)ri, now);
	if (pi < 0)
		return ICE_OK;
	if (use_cand) {
		struct pair *p = &a->pairs[pi];

		/* Section 2.6: nominated at once; an immediate check follows. */
		trigger(p, now);
		if (!p->nominated) {
			p->nominated = 1;
			reselect(a);
		}
	} else {
		struct pair *p = &a->pairs[pi];

		/* RFC 8445 7.3.1.4 triggered check unless already valid. */
		if (p->state != PAIR_SUCCEEDED && (p->attempts == 0 ||
		    p->last_sent_ms + timing(a)->rto_initial <= now))
			trigger(p, now);
	}
	return ICE_OK;
}

static int
handle_response(struct ice_agent *a, uint64_t now, const struct ice_rx *rx)
{
	StunMessage msg;
	StunValidationStatus vs;
	StunUsageIceReturn ur;
	struct sockaddr_storage mapped;
	socklen_t mlen = sizeof(mapped);
	struct txn t;
	struct pair *p;
	const struct local_cand *l;
	int ti;
	uint16_t alen;

	/* Only ids of our outstanding checks: anything else is dropped. */
	if ((ti = txn_find(a, rx->data + STUN_MESSAGE_TRANS_ID_POS)) < 0)
		return ICE_ENOMATCH;
	if (a->txns[ti].sent_ms + ICE_TXN_LIFETIME_MS <= now) {
		txn_release(a, (uint16_t)ti, true);
		return ICE_ENOMATCH;
	}
	if (stun_attr(rx->data, rx->len, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, &alen) == NULL)
		return ICE_ENOTSTUN;
	t = a->txns[ti];
	p = &a->pairs[t.pair];
	if (!p->in_use || p->gen != t.pair_gen) {
		txn_release(a, (uint16_t)ti, true);
		return ICE_ENOMATCH;
	}
	l = &a->local[p->local];
	/* RFC 8445 7.2.5.2.1: the response must come back on the same path. */
	if (!ice_cand_addr_equal(&rx->from, &a->remote[p->remote].addr) ||
	    !ice_cand_addr_equal(&rx->local, &l->addr) ||
	    (rx->via_relay != 0) != (l->type == ICE_CAND_RELAY))
		return ICE_EDROPPED;

	vs = stun_agent_validate(&a->stun, &msg, rx->data, rx->len, NULL, NULL);
	if ((vs == STUN_VALIDATION_UNKNOWN_ATTRIBUTE ||
	    vs == STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE) &&
	    only_empty_zero_unknowns(rx->data, rx->len))
		vs = STUN_VALIDATION_SUCCESS;
	if (vs == STUN_VALIDATION_UNAUTHORIZED ||
	    vs == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST)
		return ICE_EAUTH;
	if (vs == STUN_VALIDATION_UNMATCHED_RESPONSE)
		return ICE_ENOMATCH;
	if (vs != STUN_VALIDATION_SUCCESS)
		return ICE_EDROPPED;
	/* Authenticated: the transaction is over (libnice forgot it already). */
	txn_release(a, (uint16_t)ti, false);

	ur = stun_usage_ice_conncheck_process(&msg, &mapped, &mlen,
	    STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	if (ur == STUN_USAGE_ICE_RETURN_ROLE_CONFLICT) {
		/* RFC 8445 7.2.5.1: switch if we still claim the role we sent. */
		if (t.controlling == a->controlling)
			set_role(a, !t.controlling);
		trigger(p, now);
		return ICE_OK;
	}
	if (ur != STUN_USAGE_ICE_RETURN_SUCCESS)
		return ICE_OK;	/* other error responses are ignored */
	if (stun_attr(rx->data, rx->len, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &alen) == NULL)
		return ICE_EDROPPED;

	p->state = PAIR_SUCCEEDED;
	p->unanswered = 0;
	note_source(a, p->remote, l);
	if (t.use_cand && t.controlling && a->controlling && !p->nominated) {
		p->nominated = 1;
		p->use_cand_pending = 0;
		reselect(a);
	} else if (a->controlling && !p->nominated && !p->use_cand_pending &&
	    (a->selected == NO_IDX || p->prio > a->pairs[a->selected].prio)) {
		/* Controlling after a role switch: nominate the best valid pair. */
		p->use_cand_pending = 1;
		trigger(p, now);
	}
	return ICE_OK;
}

int
ice_agent_receive(struct ice_agent *a, uint64_t now_ms, const struct ice_rx *rx,
    struct ice_tx *reply)
{
	unsigned cls, method;

	if (reply != NULL)
		reply->len = 0;
	if (a == NULL || rx == NULL)
		return ICE_EINVAL;
	if (stun_header(rx->data, rx->len, &cls, &method) != 0 || method != STUN_BINDING)
		return ICE_ENOTSTUN;
	if (a->failed)
		return ICE_ENOMATCH;
	touch(a, now_ms);
	if (cls == 0)
		return handle_request(a, now_ms, rx, reply);
	if (cls == 2 || cls == 3)
		return handle_response(a, now_ms, rx);
	return ICE_ENOTSTUN;	/* indications */
}

/* ---- time ------------------------------------------------------------------------------ */

static void
fail(struct ice_agent *a, enum ice_fail_reason reason)
{
	if (a->failed)
		return;
	a->failed = true;
	push_simple(a, ICE_EV_FAILED, reason);
	log_info("ice: agent %u failed (%s)", (unsigned)a->tag,
	    reason == ICE_FAIL_NO_CANDIDATES ? "no remote candidate" : "disconnected");
}

static int
live_pairs(const struct ice_agent *a)
{
	int i, n = 0;

	for (i = 0; i < ICE_MAX_PAIRS; i++)
		n += a->pairs[i].in_use;
	return n;
}

void
ice_agent_tick(struct ice_agent *a, uint64_t now_ms)
{
	const struct ice_timing *t;
	bool removed = false;
	uint16_t i;

	if (a == NULL || a->failed)
		return;
	touch(a, now_ms);
	txn_expire(a, now_ms);
	t = timing(a);
	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		struct pair *p = &a->pairs[i];

		if (!p->in_use || p->triggered || p->unanswered < t->max_retransmits)
			continue;
		if (pair_due(a, p) <= now_ms) {
			log_debug("ice: agent %u pair %u failed", (unsigned)a->tag,
			    (unsigned)i);
			pair_remove(a, i);
			removed = true;
		}
	}
	if (removed)
		reselect(a);

	if (!a->had_remote && now_ms >= a->created_ms + ICE_CANDIDATE_TIMEOUT_MS) {
		fail(a, ICE_FAIL_NO_CANDIDATES);
		return;
	}
	if (a->selected == NO_IDX && live_pairs(a) == 0 &&
	    (a->had_pairs || now_ms >= a->created_ms + ICE_CANDIDATE_TIMEOUT_MS)) {
		fail(a, ICE_FAIL_DISCONNECTED);
		return;
	}
	if (a->selected != NO_IDX && !a->idle &&
	    now_ms >= a->last_traffic_ms + ICE_IDLE_AFTER_MS) {
		a->idle = true;
		push_simple(a, ICE_EV_IDLE, ICE_FAIL_NONE);
		log_debug("ice: agent %u idle", (unsigned)a->tag);
	}
}

void
ice_agent_traffic(struct ice_agent *a, uint64_t now_ms)
{
	if (a == NULL || a->failed)
		return;
	touch(a, now_ms);
	if (now_ms > a->last_traffic_ms)
		a->last_traffic_ms = now_ms;
	if (a->idle) {
		a->idle = false;
		push_simple(a, ICE_EV_ACTIVE, ICE_FAIL_NONE);
		log_debug("ice: agent %u active", (unsigned)a->tag);
	}
}

static int
build_check(struct ice_agent *a, struct pair *p, uint16_t pi, uint64_t now,
    struct ice_tx *tx)
{
	const struct local_cand *l = &a->local[p->local];
	StunMessage msg;
	uint16_t ti;
	size_t n;
	bool use_cand = a->controlling && p->use_cand_pending;

	if (p->ntxn == TXN_PER_PAIR)
		txn_release(a, p->txn[0], true);
	ti = txn_alloc(a);
	memset(tx, 0, sizeof(*tx));
	if (!stun_agent_init_request(&a->stun, &msg, tx->data, sizeof(tx->data),
	    STUN_BINDING))
		return ICE_ENOSPACE;
	/* RFC 8489 section 5: all 96 bits of the id are random; responses
	 * find their agent through txid_table. */
	if (txid_new(tx->data + STUN_MESSAGE_TRANS_ID_POS) != 0) {
		memset(tx, 0, sizeof(*tx));
		return ICE_ENOMEM;
	}
	/* Attribute order of section 2.5. */
	if (stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, a->user_out,
	    a->user_out_len) != STUN_MESSAGE_RETURN_SUCCESS ||
	    stun_message_append64(&msg, a->controlling ? STUN_ATTRIBUTE_ICE_CONTROLLING :
	    STUN_ATTRIBUTE_ICE_CONTROLLED, a->tie) != STUN_MESSAGE_RETURN_SUCCESS ||
	    stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, l->check_prio) !=
	    STUN_MESSAGE_RETURN_SUCCESS ||
	    (use_cand && stun_message_append_flag(&msg, STUN_ATTRIBUTE_USE_CANDIDATE) !=
	    STUN_MESSAGE_RETURN_SUCCESS))
		return ICE_ENOSPACE;
	n = stun_agent_finish_message(&a->stun, &msg, a->remote_pwd, a->remote_pwd_len);
	if (n == 0 || n > sizeof(tx->data))
		return ICE_ENOSPACE;
	tx->len = (uint16_t)n;
	tx->from = l->addr;
	tx->to = a->remote[p->remote].addr;
	tx->via_relay = l->type == ICE_CAND_RELAY;

	a->txns[ti].in_use = 1;
	a->txns[ti].use_cand = use_cand;
	a->txns[ti].controlling = a->controlling;
	a->txns[ti].pair = pi;
	a->txns[ti].pair_gen = p->gen;
	a->txns[ti].sent_ms = now;
	memcpy(a->txns[ti].id, tx->data + STUN_MESSAGE_TRANS_ID_POS, sizeof(StunTransactionId));
	txid_insert(a, &a->txns[ti]);
	p->txn[p->ntxn++] = ti;

	if (p->unanswered == 0)
		p->first_unanswered_ms = now;
	p->unanswered++;
	if (p->attempts < UINT32_MAX)
		p->attempts++;
	p->last_sent_ms = now;
	p->triggered = 0;
	if (p->state == PAIR_WAITING)
		p->state = PAIR_IN_PROGRESS;
	a->last_tx_ms = now;
	a->any_tx = true;
	return 1;
}

int
ice_agent_poll_transmit(struct ice_agent *a, uint64_t now_ms, struct ice_tx *tx)
{
	const struct ice_timing *t;
	uint16_t i, best = NO_IDX;
	uint64_t best_due = UINT64_MAX;

	if (a == NULL || tx == NULL)
		return ICE_EINVAL;
	tx->len = 0;
	if (a->failed)
		return 0;
	touch(a, now_ms);
	if (a->ta_ms > 0 && a->any_tx && now_ms < a->last_tx_ms + a->ta_ms)
		return 0;
	t = timing(a);
	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct pair *p = &a->pairs[i];
		uint64_t due;

		if (!p->in_use)
			continue;
		if (!p->triggered && p->unanswered >= t->max_retransmits)
			continue;	/* waits for ice_agent_tick to fail it */
		due = pair_due(a, p);
		/* Triggered checks first, then the earliest, then priority. */
		if (due <= now_ms && (best == NO_IDX ||
		    (p->triggered && !a->pairs[best].triggered) ||
		    (p->triggered == a->pairs[best].triggered &&
		    (due < best_due || (due == best_due && p->prio > a->pairs[best].prio))))) {
			best = i;
			best_due = due;
		}
	}
	if (best == NO_IDX)
		return 0;
	return build_check(a, &a->pairs[best], best, now_ms, tx);
}

uint64_t
ice_agent_next_deadline(const struct ice_agent *a)
{
	const struct ice_timing *t;
	uint64_t d = UINT64_MAX, due;
	uint16_t i;

	if (a == NULL || a->failed)
		return UINT64_MAX;
	t = timing(a);
	for (i = 0; i < ICE_MAX_PAIRS; i++) {
		const struct pair *p = &a->pairs[i];

		if (!p->in_use)
			continue;
		due = pair_due(a, p);
		if (a->ta_ms > 0 && a->any_tx && due < a->last_tx_ms + a->ta_ms &&
		    (p->triggered || p->unanswered < t->max_retransmits))
			due = a->last_tx_ms + a->ta_ms;
		if (due < d)
			d = due;
	}
	if (!a->had_remote || (a->selected == NO_IDX && !a->had_pairs)) {
		due = a->created_ms + ICE_CANDIDATE_TIMEOUT_MS;
		if (due < d)
			d = due;
	}
	if (a->selected != NO_IDX && !a->idle) {
		due = a->last_traffic_ms + ICE_IDLE_AFTER_MS;
		if (due < d)
			d = due;
	}
	return d;
}

int
ice_agent_poll_event(struct ice_agent *a, struct ice_event *ev)
{
	if (a == NULL || ev == NULL || a->ev_count == 0)
		return 0;
	*ev = a->ev[a->ev_head];
	memset(&a->ev[a->ev_head], 0, sizeof(a->ev[0]));
	a->ev_head = (a->ev_head + 1) % ICE_EVENTS_MAX;
	a->ev_count--;
	return 1;
}

int
ice_agent_is_idle(const struct ice_agent *a)
{
	return a != NULL && a->idle;
}

int
ice_agent_is_controlling(const struct ice_agent *a)
{
	return a != NULL && a->controlling;
}

uint32_t
ice_agent_tag(const struct ice_agent *a)
{
	return a != NULL ? a->tag : 0;
}

const char *
ice_agent_local_ufrag(const struct ice_agent *a)
{
	return a != NULL ? a->local_ufrag : NULL;
}

int
ice_agent_pair_count(const struct ice_agent *a)
{
	return a != NULL ? live_pairs(a) : 0;
}
