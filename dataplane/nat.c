/*
 * nat.c - DNS-resource NAT: session table, proxy map, packet rewriting.
 *
 * Sessions and mappings live in fixed pools indexed by uint32_t; hash
 * chains, the expiry queues and the per-client lists (client removal) are
 * threaded through the pool entries.
 *
 * Expiry: each session sits in one of NQ queues by its state (never
 * answered, answered UDP/echo, answered TCP, TCP closing).  A queue has one
 * lifetime, and a session enters at the tail whenever a packet touches it,
 * so every queue is ordered by last packet and its head is the next to go:
 * expiry never scans.  Removed sessions leave their outside key in a small
 * direct-mapped table (`gone`) so late replies are recognised and dropped.
 */
#include "nat.h"

#include <stdlib.h>
#include <string.h>

#include "nat64.h"

#define NIL		UINT32_MAX
#define SILENT_MS	120000u
#define LOOKAHEAD_MS	10000u
#define GRACE_MS	1000u
#define UNSET		UINT64_MAX
#define GONE_WAYS	4	/* entries of the gone table one key may use */

enum kind { K_TCP = 0, K_UDP = 1, K_ICMP = 2 };

/* Expiry queues, one lifetime each (nat.h). */
enum queue { Q_UNANSWERED = 0, Q_IDLE = 1, Q_TCP = 2, Q_CLOSING = 3, NQ = 4 };

struct sess {
	uint32_t client;
	uint8_t kind;
	uint8_t used;
	uint8_t q;		/* enum queue */
	uint8_t seen_in;	/* an inbound packet was seen */
	uint8_t fin_out, fin_in;	/* TCP FIN seen client->resource, resource->client */
	uint16_t in_val, out_val;
	struct pkt_addr proxy, real;
	uint64_t last_seen;	/* last packet, either direction */
	uint32_t in_next, out_next;
	uint32_t lru_prev, lru_next;
	uint32_t cl_prev, cl_next;
};

struct xlate {
	uint32_t client;
	uint8_t used;
	struct pkt_addr proxy, real;
	uint64_t created, last_in, last_out, first_out, grace;
	uint32_t next;
	uint32_t cl_prev, cl_next;
};

/* The outside key of a removed session, kept a while (direct-mapped). */
struct gone {
	uint32_t client, gen;
	uint8_t kind, used;
	uint16_t out_val;
	struct pkt_addr real;
	uint64_t until;
};

struct ncl {
	uint8_t active, has4, has6;
	uint32_t gen;		/* bumped on removal: old gone entries stop matching */
	struct pkt_addr tun4, tun6;
	uint32_t sess_head, xl_head;
	uint32_t nsess, nxl;
};

struct nat {
	struct nat_config cfg;
	struct ncl *cl;
	struct sess *s;
	uint32_t *in_heads, *out_heads, hmask;
	uint32_t free_s, nsess;
	uint32_t q_head[NQ], q_tail[NQ];
	uint64_t q_life[NQ];
	struct gone *g;
	uint32_t gmask;
	struct xlate *x;
	uint32_t *x_heads, xmask, free_x;
};

/* ---- hashing ---------------------------------------------------------- */

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static uint64_t
addr_words(uint64_t h, const struct pkt_addr *a)
{
	uint64_t w0 = 0, w1 = 0;

	memcpy(&w0, a->b, 8);
	memcpy(&w1, a->b + 8, 8);
	return mix(mix(h, w0 ^ a->af), w1);
}

static uint32_t
key_hash(const struct nat *nt, uint32_t client, uint8_t kind, uint16_t val,
    const struct pkt_addr *a)
{
	uint64_t h = mix(nt->cfg.seed, ((uint64_t)client << 24) | ((uint64_t)kind << 16) | val);

	return (uint32_t)addr_words(h, a) & nt->hmask;
}

static uint32_t
xl_hash(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy)
{
	return (uint32_t)addr_words(mix(nt->cfg.seed ^ 0x5851f42d4c957f2dULL, client), proxy) & nt->xmask;
}

static uint32_t
pow2_at_least(uint64_t n)
{
	uint64_t p = 16;

	while (p < n)
		p <<= 1;
	return (uint32_t)p;
}

/* ---- construction ----------------------------------------------------- */

struct nat *
nat_new(const struct nat_config *cfg)
{
	struct nat *nt;
	uint32_t i, hs, xs;

	if (cfg == NULL || cfg->max_clients == 0 || cfg->max_sessions == 0 ||
	    cfg->max_translations == 0 || cfg->max_sessions >= NIL / 2 ||
	    cfg->max_translations >= NIL / 2)
		return NULL;
	if ((nt = calloc(1, sizeof(*nt))) == NULL)
		return NULL;
	nt->cfg = *cfg;
	nt->q_life[Q_UNANSWERED] = cfg->unanswered_ms ? cfg->unanswered_ms : NAT_UNANSWERED_MS;
	nt->q_life[Q_IDLE] = cfg->udp_idle_ms ? cfg->udp_idle_ms : NAT_UDP_IDLE_MS;
	nt->q_life[Q_TCP] = cfg->tcp_idle_ms ? cfg->tcp_idle_ms : NAT_TCP_IDLE_MS;
	nt->q_life[Q_CLOSING] = cfg->closing_ms ? cfg->closing_ms : NAT_CLOSING_MS;
	if (nt->cfg.gone_keep_ms == 0)
		nt->cfg.gone_keep_ms = NAT_GONE_KEEP_MS;
	if (nt->cfg.max_sessions_per_client == 0 || nt->cfg.max_sessions_per_client > cfg->max_sessions)
		nt->cfg.max_sessions_per_client = cfg->max_sessions;
	hs = pow2_at_least((uint64_t)cfg->max_sessions * 2);
	xs = pow2_at_least((uint64_t)cfg->max_translations * 2);
	nt->hmask = hs - 1;
	nt->xmask = xs - 1;
	/* half as many as sessions: late replies come soon after the end */
	nt->gmask = pow2_at_least(cfg->max_sessions / 2) - 1;
	nt->g = calloc((size_t)nt->gmask + 1, sizeof(*nt->g));
	nt->cl = calloc(cfg->max_clients, sizeof(*nt->cl));
	nt->s = calloc(cfg->max_sessions, sizeof(*nt->s));
	nt->in_heads = malloc((size_t)hs * sizeof(uint32_t));
	nt->out_heads = malloc((size_t)hs * sizeof(uint32_t));
	nt->x = calloc(cfg->max_translations, sizeof(*nt->x));
	nt->x_heads = malloc((size_t)xs * sizeof(uint32_t));
	if (nt->cl == NULL || nt->s == NULL || nt->in_heads == NULL || nt->out_heads == NULL ||
	    nt->x == NULL || nt->x_heads == NULL || nt->g == NULL) {
		nat_free(nt);
		return NULL;
	}
	for (i = 0; i < hs; i++)
		nt->in_heads[i] = nt->out_heads[i] = NIL;
	for (i = 0; i < xs; i++)
		nt->x_heads[i] = NIL;
	for (i = 0; i < cfg->max_clients; i++)
		nt->cl[i].sess_head = nt->cl[i].xl_head = NIL;
	for (i = 0; i < cfg->max_sessions; i++)
		nt->s[i].in_next = i + 1 < cfg->max_sessions ? i + 1 : NIL;
	for (i = 0; i < cfg->max_translations; i++)
		nt->x[i].next = i + 1 < cfg->max_translations ? i + 1 : NIL;
	nt->free_s = 0;
	nt->free_x = 0;
	for (i = 0; i < NQ; i++)
		nt->q_head[i] = nt->q_tail[i] = NIL;
	return nt;
}

void
nat_free(struct nat *nt)
{
	if (nt == NULL)
		return;
	free(nt->cl);
	free(nt->s);
	free(nt->in_heads);
	free(nt->out_heads);
	free(nt->x);
	free(nt->x_heads);
	free(nt->g);
	free(nt);
}

static struct ncl *
client_get(const struct nat *nt, uint32_t client)
{
	if (nt == NULL || client >= nt->cfg.max_clients || !nt->cl[client].active)
		return NULL;
	return &nt->cl[client];
}

int
nat_client_set(struct nat *nt, uint32_t client, const struct pkt_addr *tun4,
    const struct pkt_addr *tun6)
{
	struct ncl *c;

	if (nt == NULL || client >= nt->cfg.max_clients)
		return PKT_E_INVAL;
	if ((tun4 != NULL && tun4->af != 4) || (tun6 != NULL && tun6->af != 6))
		return PKT_E_INVAL;
	c = &nt->cl[client];
	c->active = 1;
	c->has4 = tun4 != NULL;
	c->has6 = tun6 != NULL;
	if (tun4 != NULL)
		c->tun4 = *tun4;
	if (tun6 != NULL)
		c->tun6 = *tun6;
	return PKT_OK;
}

/* ---- sessions --------------------------------------------------------- */

static int
sess_expired(const struct nat *nt, const struct sess *s, uint64_t now)
{
	return now >= s->last_seen && now - s->last_seen >= nt->q_life[s->q];
}

/* The queue a session belongs in, from its state. */
static uint8_t
sess_queue(const struct sess *s)
{
	if (!s->seen_in)
		return Q_UNANSWERED;
	if (s->kind != K_TCP)
		return Q_IDLE;
	return s->fin_in && s->fin_out ? Q_CLOSING : Q_TCP;
}

static void
chain_unlink(struct nat *nt, uint32_t *heads, uint32_t h, uint32_t idx, int out)
{
	uint32_t *pp = &heads[h];

	while (*pp != NIL && *pp != idx)
		pp = out ? &nt->s[*pp].out_next : &nt->s[*pp].in_next;
	if (*pp == idx)
		*pp = out ? nt->s[idx].out_next : nt->s[idx].in_next;
}

static void
lru_unlink(struct nat *nt, uint32_t i)
{
	struct sess *s = &nt->s[i];

	if (s->lru_prev != NIL)
		nt->s[s->lru_prev].lru_next = s->lru_next;
	else
		nt->q_head[s->q] = s->lru_next;
	if (s->lru_next != NIL)
		nt->s[s->lru_next].lru_prev = s->lru_prev;
	else
		nt->q_tail[s->q] = s->lru_prev;
}

/* Append i at the tail of the queue its state (sess_queue) selects. */
static void
lru_append(struct nat *nt, uint32_t i)
{
	struct sess *s = &nt->s[i];

	s->q = sess_queue(s);
	s->lru_next = NIL;
	s->lru_prev = nt->q_tail[s->q];
	if (nt->q_tail[s->q] != NIL)
		nt->s[nt->q_tail[s->q]].lru_next = i;
	else
		nt->q_head[s->q] = i;
	nt->q_tail[s->q] = i;
}

/*
 * A packet of session i went through at `now` (inbound: from the resource;
 * tcp_flags: its TCP flags, 0 for other protocols): refresh the session and
 * move it to the tail of the queue of its new state.
 */
static void
sess_touch(struct nat *nt, uint32_t i, uint64_t now, int inbound, uint8_t tcp_flags)
{
	struct sess *s = &nt->s[i];

	if (now > s->last_seen)
		s->last_seen = now;
	if (inbound)
		s->seen_in = 1;
	if (s->kind == K_TCP && (tcp_flags & PKT_TCP_FIN)) {
		if (inbound)
			s->fin_in = 1;
		else
			s->fin_out = 1;
	}
	if (nt->q_tail[s->q] != i || sess_queue(s) != s->q) {
		lru_unlink(nt, i);
		lru_append(nt, i);
	}
}

/* First entry of the GONE_WAYS-entry set a key may occupy. */
static uint32_t
gone_set(const struct nat *nt, uint32_t client, uint8_t kind, uint16_t val,
    const struct pkt_addr *real)
{
	return key_hash(nt, client, kind, val, real) & nt->gmask & ~(uint32_t)(GONE_WAYS - 1);
}

static int
gone_is(const struct gone *g, uint32_t client, uint8_t kind, uint16_t val,
    const struct pkt_addr *real)
{
	return g->used && g->client == client && g->kind == kind && g->out_val == val &&
	    pkt_addr_eq(&g->real, real);
}

/*
 * Remember the outside key of session s until now + gone_keep_ms, in its
 * own entry if there is one, else a free or lapsed one, else the one that
 * lapses first.
 */
static void
gone_note(struct nat *nt, const struct sess *s, uint64_t now)
{
	struct gone *set = &nt->g[gone_set(nt, s->client, s->kind, s->out_val, &s->real)], *g = set;
	uint32_t w;

	for (w = 0; w < GONE_WAYS; w++) {
		if (gone_is(&set[w], s->client, s->kind, s->out_val, &s->real) ||
		    !set[w].used || set[w].until <= now) {
			g = &set[w];
			break;
		}
		if (set[w].until < g->until)
			g = &set[w];
	}
	g->used = 1;
	g->client = s->client;
	g->gen = nt->cl[s->client].gen;
	g->kind = s->kind;
	g->out_val = s->out_val;
	g->real = s->real;
	g->until = now + nt->cfg.gone_keep_ms;
}

/* Did a session with this outside key go less than gone_keep_ms ago? */
static int
gone_match(const struct nat *nt, uint32_t client, uint8_t kind, uint16_t val,
    const struct pkt_addr *real, uint64_t now)
{
	const struct gone *set = &nt->g[gone_set(nt, client, kind, val, real)];
	uint32_t w;

	for (w = 0; w < GONE_WAYS; w++)
		if (gone_is(&set[w], client, kind, val, real) &&
		    set[w].gen == nt->cl[client].gen && now < set[w].until)
			return 1;
	return 0;
}

/* A new session takes this outside key: forget that an earlier one went. */
static void
gone_forget(struct nat *nt, uint32_t client, uint8_t kind, uint16_t val,
    const struct pkt_addr *real)
{
	struct gone *set = &nt->g[gone_set(nt, client, kind, val, real)];
	uint32_t w;

	for (w = 0; w < GONE_WAYS; w++)
		if (gone_is(&set[w], client, kind, val, real))
			set[w].used = 0;
}

static void
sess_remove(struct nat *nt, uint32_t i)
{
	struct sess *s = &nt->s[i];
	struct ncl *c = &nt->cl[s->client];

	chain_unlink(nt, nt->in_heads, key_hash(nt, s->client, s->kind, s->in_val, &s->proxy), i, 0);
	chain_unlink(nt, nt->out_heads, key_hash(nt, s->client, s->kind, s->out_val, &s->real), i, 1);
	lru_unlink(nt, i);
	if (s->cl_prev != NIL)
		nt->s[s->cl_prev].cl_next = s->cl_next;
	else
		c->sess_head = s->cl_next;
	if (s->cl_next != NIL)
		nt->s[s->cl_next].cl_prev = s->cl_prev;
	c->nsess--;
	nt->nsess--;
	memset(s, 0, sizeof(*s));
	s->in_next = nt->free_s;
	nt->free_s = i;
}

/* Session i ended (expired or reset): remove it, remembering its outside key. */
static void
sess_end(struct nat *nt, uint32_t i, uint64_t now)
{
	gone_note(nt, &nt->s[i], now);
	sess_remove(nt, i);
}

static uint32_t
find_in(const struct nat *nt, uint32_t client, uint8_t kind, uint16_t val, const struct pkt_addr *proxy)
{
	uint32_t i = nt->in_heads[key_hash(nt, client, kind, val, proxy)];

	for (; i != NIL; i = nt->s[i].in_next) {
		const struct sess *s = &nt->s[i];
		if (s->client == client && s->kind == kind && s->in_val == val && pkt_addr_eq(&s->proxy, proxy))
			return i;
	}
	return NIL;
}

static uint32_t
find_out(const struct nat *nt, uint32_t client, uint8_t kind, uint16_t val, const struct pkt_addr *real)
{
	uint32_t i = nt->out_heads[key_hash(nt, client, kind, val, real)];

	for (; i != NIL; i = nt->s[i].out_next) {
		const struct sess *s = &nt->s[i];
		if (s->client == client && s->kind == kind && s->out_val == val && pkt_addr_eq(&s->real, real))
			return i;
	}
	return NIL;
}

/* find_out, removing the session instead if it has already expired */
static uint32_t
live_out(struct nat *nt, uint32_t client, uint8_t kind, uint16_t val, const struct pkt_addr *real,
    uint64_t now)
{
	uint32_t i = find_out(nt, client, kind, val, real);

	if (i != NIL && sess_expired(nt, &nt->s[i], now)) {
		sess_end(nt, i, now);
		return NIL;
	}
	return i;
}

static uint32_t
sess_alloc(struct nat *nt, uint32_t client, uint8_t kind, uint16_t in_val,
    const struct pkt_addr *proxy, const struct pkt_addr *real, uint64_t now)
{
	struct ncl *c = &nt->cl[client];
	uint32_t i, tries;
	uint32_t v = in_val;
	struct sess *s;

	if (nt->free_s == NIL || c->nsess >= nt->cfg.max_sessions_per_client)
		(void)nat_expire(nt, now);
	if (nt->free_s == NIL || c->nsess >= nt->cfg.max_sessions_per_client)
		return NIL;
	/*
	 * Spec 4.5: the client's own value first, then upward to 65535, then
	 * from 1.  At most nsess candidates can be taken, so this ends quickly.
	 */
	for (tries = 0; tries < 65536; tries++) {
		if (live_out(nt, client, kind, (uint16_t)v, real, now) == NIL)
			break;
		v = v >= 65535 ? 1 : v + 1;
		if (v == in_val)
			return NIL;
	}
	if (tries == 65536)
		return NIL;
	i = nt->free_s;
	s = &nt->s[i];
	nt->free_s = s->in_next;
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->client = client;
	s->kind = kind;
	s->in_val = in_val;
	s->out_val = (uint16_t)v;
	s->proxy = *proxy;
	s->real = *real;
	s->last_seen = now;
	gone_forget(nt, client, kind, s->out_val, real);
	{
		uint32_t hi = key_hash(nt, client, kind, in_val, proxy);
		uint32_t ho = key_hash(nt, client, kind, s->out_val, real);
		s->in_next = nt->in_heads[hi];
		nt->in_heads[hi] = i;
		s->out_next = nt->out_heads[ho];
		nt->out_heads[ho] = i;
	}
	lru_append(nt, i);
	s->cl_prev = NIL;
	s->cl_next = c->sess_head;
	if (c->sess_head != NIL)
		nt->s[c->sess_head].cl_prev = i;
	c->sess_head = i;
	c->nsess++;
	nt->nsess++;
	return i;
}

int
nat_expire(struct nat *nt, uint64_t now)
{
	int n = 0, q;

	if (nt == NULL)
		return 0;
	for (q = 0; q < NQ; q++)
		while (nt->q_head[q] != NIL && sess_expired(nt, &nt->s[nt->q_head[q]], now)) {
			sess_end(nt, nt->q_head[q], now);
			n++;
		}
	return n;
}

uint64_t
nat_next_deadline(const struct nat *nt)
{
	uint64_t dl = NAT_NO_DEADLINE, t;
	int q;

	if (nt == NULL)
		return NAT_NO_DEADLINE;
	for (q = 0; q < NQ; q++)
		if (nt->q_head[q] != NIL &&
		    (t = nt->s[nt->q_head[q]].last_seen + nt->q_life[q]) < dl)
			dl = t;
	return dl;
}

uint32_t
nat_session_count(const struct nat *nt, uint32_t client)
{
	const struct ncl *c = client_get(nt, client);

	return c == NULL ? 0 : c->nsess;
}

uint32_t
nat_session_total(const struct nat *nt)
{
	return nt == NULL ? 0 : nt->nsess;
}

/* ---- translations ----------------------------------------------------- */

static uint32_t
xl_find(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy)
{
	uint32_t i = nt->x_heads[xl_hash(nt, client, proxy)];

	for (; i != NIL; i = nt->x[i].next)
		if (nt->x[i].client == client && pkt_addr_eq(&nt->x[i].proxy, proxy))
			return i;
	return NIL;
}

static void
xl_remove(struct nat *nt, uint32_t i)
{
	struct xlate *x = &nt->x[i];
	struct ncl *c = &nt->cl[x->client];
	uint32_t *pp = &nt->x_heads[xl_hash(nt, x->client, &x->proxy)];

	while (*pp != NIL && *pp != i)
		pp = &nt->x[*pp].next;
	if (*pp == i)
		*pp = x->next;
	if (x->cl_prev != NIL)
		nt->x[x->cl_prev].cl_next = x->cl_next;
	else
		c->xl_head = x->cl_next;
	if (x->cl_next != NIL)
		nt->x[x->cl_next].cl_prev = x->cl_prev;
	c->nxl--;
	memset(x, 0, sizeof(*x));
	x->next = nt->free_x;
	nt->free_x = i;
}

static void
xl_reset_timers(struct xlate *x, uint64_t now)
{
	x->created = now;
	x->last_in = x->last_out = x->first_out = x->grace = UNSET;
}

int
nat_xlate_set(struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    const struct pkt_addr *real, uint64_t now)
{
	struct ncl *c = client_get(nt, client);
	struct xlate *x;
	uint32_t i, h;

	if (c == NULL || proxy == NULL || real == NULL ||
	    (proxy->af != 4 && proxy->af != 6) || (real->af != 4 && real->af != 6))
		return PKT_E_INVAL;
	if ((i = xl_find(nt, client, proxy)) != NIL) {
		nt->x[i].real = *real;
		xl_reset_timers(&nt->x[i], now);
		return PKT_OK;
	}
	if (nt->free_x == NIL || (nt->cfg.max_translations_per_client != 0 &&
	    c->nxl >= nt->cfg.max_translations_per_client))
		return PKT_E_FULL;
	i = nt->free_x;
	x = &nt->x[i];
	nt->free_x = x->next;
	memset(x, 0, sizeof(*x));
	x->used = 1;
	x->client = client;
	x->proxy = *proxy;
	x->real = *real;
	xl_reset_timers(x, now);
	h = xl_hash(nt, client, proxy);
	x->next = nt->x_heads[h];
	nt->x_heads[h] = i;
	x->cl_prev = NIL;
	x->cl_next = c->xl_head;
	if (c->xl_head != NIL)
		nt->x[c->xl_head].cl_prev = i;
	c->xl_head = i;
	c->nxl++;
	return PKT_OK;
}

int
nat_xlate_get(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    struct pkt_addr *real)
{
	uint32_t i;

	if (client_get(nt, client) == NULL || proxy == NULL)
		return PKT_E_NOTFOUND;
	if ((i = xl_find(nt, client, proxy)) == NIL)
		return PKT_E_NOTFOUND;
	if (real != NULL)
		*real = nt->x[i].real;
	return PKT_OK;
}

int
nat_xlate_remove(struct nat *nt, uint32_t client, const struct pkt_addr *proxy)
{
	uint32_t i;

	if (client_get(nt, client) == NULL || proxy == NULL)
		return PKT_E_NOTFOUND;
	if ((i = xl_find(nt, client, proxy)) == NIL)
		return PKT_E_NOTFOUND;
	xl_remove(nt, i);
	return PKT_OK;
}

static int
xl_is_silent(const struct xlate *x, uint64_t t)
{
	uint64_t since = x->last_in != UNSET ? x->last_in : x->created;

	return t >= since && t - since >= SILENT_MS;
}

static void
xl_on_out(struct xlate *x, uint64_t now)
{
	if (x->grace == UNSET && xl_is_silent(x, now + LOOKAHEAD_MS))
		x->grace = now;
	x->last_out = now;
	if (x->first_out == UNSET)
		x->first_out = now;
}

static void
xl_on_in(struct xlate *x, uint64_t now)
{
	x->last_in = now;
	x->grace = UNSET;
}

int
nat_xlate_silent(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    uint64_t now)
{
	uint32_t i;

	if (client_get(nt, client) == NULL || proxy == NULL ||
	    (i = xl_find(nt, client, proxy)) == NIL)
		return 0;
	return xl_is_silent(&nt->x[i], now);
}

static int
xl_is_expired(const struct xlate *x, uint64_t now)
{
	return x->grace != UNSET && now >= x->grace && now - x->grace >= GRACE_MS &&
	    xl_is_silent(x, now);
}

int
nat_xlate_expired(const struct nat *nt, uint32_t client, const struct pkt_addr *proxy,
    uint64_t now)
{
	uint32_t i;

	if (client_get(nt, client) == NULL || proxy == NULL ||
	    (i = xl_find(nt, client, proxy)) == NIL)
		return 0;
	return xl_is_expired(&nt->x[i], now);
}

size_t
nat_xlate_list_expired(const struct nat *nt, uint32_t client, uint64_t now,
    struct pkt_addr *out, size_t max)
{
	const struct ncl *c = client_get(nt, client);
	size_t n = 0;
	uint32_t i;

	if (c == NULL)
		return 0;
	for (i = c->xl_head; i != NIL; i = nt->x[i].cl_next)
		if (xl_is_expired(&nt->x[i], now)) {
			if (n < max && out != NULL)
				out[n] = nt->x[i].proxy;
			n++;
		}
	return n;
}

void
nat_client_remove(struct nat *nt, uint32_t client)
{
	struct ncl *c = client_get(nt, client);
	uint32_t gen;

	if (c == NULL)
		return;
	while (c->sess_head != NIL)
		sess_remove(nt, c->sess_head);
	while (c->xl_head != NIL)
		xl_remove(nt, c->xl_head);
	gen = c->gen;
	memset(c, 0, sizeof(*c));
	c->sess_head = c->xl_head = NIL;
	/* the slot's next client must not inherit its remembered keys */
	c->gen = gen + 1;
}

/* ---- packet rewriting ------------------------------------------------- */

/* Session key of a packet: 0 and kind/value, or -1 when it has none. */
static int
pkt_key(const struct pkt_info *pi, int src, uint8_t *kind, uint16_t *val)
{
	if (pi->proto == PKT_PROTO_TCP && pi->l4_ok) {
		*kind = K_TCP;
		*val = src ? pi->sport : pi->dport;
		return 0;
	}
	if (pi->proto == PKT_PROTO_UDP && pi->l4_ok) {
		*kind = K_UDP;
		*val = src ? pi->sport : pi->dport;
		return 0;
	}
	if (pi->is_echo) {
		*kind = K_ICMP;
		*val = pi->icmp_id;
		return 0;
	}
	return -1;
}

static int
set_val(uint8_t *buf, struct pkt_info *pi, int src, uint16_t v)
{
	if (pi->is_echo)
		return pkt_set_echo_id(buf, pi, v);
	return src ? pkt_set_sport(buf, pi, v) : pkt_set_dport(buf, pi, v);
}

static const struct pkt_addr *
tun_of(const struct ncl *c, int af)
{
	if (af == 4)
		return c->has4 ? &c->tun4 : NULL;
	return c->has6 ? &c->tun6 : NULL;
}

/* Translate buf to the other family in place; reparse into *pi. */
static int
cross_family(uint8_t *buf, size_t *len, size_t cap, struct pkt_info *pi,
    const struct nat64_addrs *m)
{
	int n;

	if (pi->version == 6)
		n = nat64_6to4(buf, *len, buf, cap, m);
	else
		n = nat64_4to6(buf, *len, buf, cap, m);
	if (n < 0)
		return n;
	*len = (size_t)n;
	return pkt_parse(buf, *len, pi);
}

int
nat_out(struct nat *nt, uint32_t client, uint8_t *buf, size_t *len, size_t cap, uint64_t now)
{
	struct ncl *c = client_get(nt, client);
	struct pkt_info pi;
	struct pkt_addr real, proxy;
	uint32_t xi, si;
	uint8_t kind;
	uint16_t val;
	int err;

	if (c == NULL || buf == NULL || len == NULL)
		return PKT_E_INVAL;
	if ((err = pkt_parse(buf, *len, &pi)) != PKT_OK)
		return err;
	if ((xi = xl_find(nt, client, &pi.dst)) == NIL)
		return 0;
	if (pkt_key(&pi, 1, &kind, &val) != 0)
		return PKT_E_PROTO;
	real = nt->x[xi].real;
	proxy = pi.dst;
	si = find_in(nt, client, kind, val, &proxy);
	if (si != NIL && sess_expired(nt, &nt->s[si], now)) {
		sess_end(nt, si, now);
		si = NIL;
	} else if (si != NIL && !pkt_addr_eq(&nt->s[si].real, &real)) {
		sess_remove(nt, si);	/* the name now leads elsewhere */
		si = NIL;
	}
	if (si == NIL) {
		if ((si = sess_alloc(nt, client, kind, val, &proxy, &real, now)) == NIL)
			return PKT_E_FULL;
	}
	sess_touch(nt, si, now, 0, pi.tcp_flags);
	if (real.af == pi.version) {
		if ((err = pkt_set_dst(buf, &pi, &real)) != PKT_OK)
			return err;
	} else {
		struct nat64_addrs m;
		const struct pkt_addr *src = tun_of(c, real.af);

		if (src == NULL)
			return PKT_E_INVAL;
		memset(&m, 0, sizeof(m));
		m.src = *src;
		m.dst = real;
		if ((err = cross_family(buf, len, cap, &pi, &m)) != PKT_OK)
			return err;
	}
	if ((err = set_val(buf, &pi, 1, nt->s[si].out_val)) != PKT_OK)
		return err;
	xl_on_out(&nt->x[xi], now);
	/* a reset ends the session at once; this packet still goes */
	if (kind == K_TCP && (pi.tcp_flags & PKT_TCP_RST))
		sess_end(nt, si, now);
	return 1;
}

/*
 * In an ICMP error (same family inside and out), point the quoted packet
 * at `dst` with source port / echo identifier `val`, keep its checksums
 * consistent, and recompute the outer ICMP checksum.
 */
static int
rewrite_quoted(uint8_t *buf, const struct pkt_info *pi, const struct pkt_addr *dst, uint16_t val)
{
	uint8_t *q = buf + pi->l3_len + 8, *l4, old[16], ov[2], nv[2];
	size_t qlen = (size_t)pi->l4_len - 8, ihl, alen, doff, avail, coff = 0;
	uint8_t proto;
	int pseudo = 1;

	if (qlen < (pi->version == 4 ? PKT_IPV4_HDR_LEN : PKT_IPV6_HDR_LEN))
		return PKT_E_TRUNC;
	if (pi->version == 4) {
		ihl = (size_t)(q[0] & 0x0f) * 4;
		alen = 4;
		doff = 16;
		proto = q[9];
	} else {
		ihl = PKT_IPV6_HDR_LEN;
		alen = 16;
		doff = 24;
		proto = q[6];
	}
	if (qlen < ihl + 8 || dst->af != pi->version)
		return PKT_E_TRUNC;
	memcpy(old, q + doff, alen);
	memcpy(q + doff, dst->b, alen);
	if (pi->version == 4)
		pkt_put16(q + 10, pkt_csum_replace(pkt_get16(q + 10), old, dst->b, alen));
	l4 = q + ihl;
	avail = qlen - ihl;
	pkt_put16(nv, val);
	if (proto == PKT_PROTO_TCP || proto == PKT_PROTO_UDP) {
		memcpy(ov, l4, 2);
		memcpy(l4, nv, 2);
		coff = proto == PKT_PROTO_TCP ? 16 : 6;
		if (proto == PKT_PROTO_UDP && pkt_get16(l4 + 6) == 0)
			coff = 0;
	} else {
		memcpy(ov, l4 + 4, 2);
		memcpy(l4 + 4, nv, 2);
		coff = 2;
		pseudo = proto == PKT_PROTO_ICMPV6;
	}
	if (coff != 0 && avail >= coff + 2) {
		uint16_t cs = pkt_get16(l4 + coff);
		if (pseudo)
			cs = pkt_csum_replace(cs, old, dst->b, alen);
		cs = pkt_csum_replace(cs, ov, nv, 2);
		if (proto == PKT_PROTO_UDP && cs == 0)
			cs = 0xffff;
		pkt_put16(l4 + coff, cs);
	}
	/* the outer ICMP checksum covers everything changed above */
	buf[pi->l3_len + 2] = buf[pi->l3_len + 3] = 0;
	return pkt_fill_checksums(buf, pi);
}

/* Extract the session key of the packet quoted in an ICMP error. */
static int
quoted_key(const uint8_t *buf, const struct pkt_info *pi, uint8_t *kind, uint16_t *val,
    struct pkt_addr *qdst)
{
	const uint8_t *q = buf + pi->l3_len + 8, *l4;
	size_t qlen = (size_t)pi->l4_len - 8, ihl;
	uint8_t proto;

	if (qlen < 1 || (q[0] >> 4) != pi->version)
		return -1;
	if (pi->version == 4) {
		if (qlen < PKT_IPV4_HDR_LEN)
			return -1;
		ihl = (size_t)(q[0] & 0x0f) * 4;
		if (ihl < PKT_IPV4_HDR_LEN || (pkt_get16(q + 6) & 0x1fff) != 0)
			return -1;
		proto = q[9];
		pkt_addr_v4(qdst, q + 16);
	} else {
		ihl = PKT_IPV6_HDR_LEN;
		if (qlen < ihl)
			return -1;
		proto = q[6];
		pkt_addr_v6(qdst, q + 24);
	}
	if (qlen < ihl + 8)
		return -1;
	l4 = q + ihl;
	if (proto == PKT_PROTO_TCP || proto == PKT_PROTO_UDP) {
		*kind = proto == PKT_PROTO_TCP ? K_TCP : K_UDP;
		*val = pkt_get16(l4);
		return 0;
	}
	if ((proto == PKT_PROTO_ICMP && pi->version == 4 &&
	    (l4[0] == PKT_ICMP4_ECHO_REQUEST || l4[0] == PKT_ICMP4_ECHO_REPLY)) ||
	    (proto == PKT_PROTO_ICMPV6 && pi->version == 6 &&
	    (l4[0] == PKT_ICMP6_ECHO_REQUEST || l4[0] == PKT_ICMP6_ECHO_REPLY))) {
		if (l4[1] != 0)
			return -1;
		*kind = K_ICMP;
		*val = pkt_get16(l4 + 4);
		return 0;
	}
	return -1;
}

/*
 * An ICMP error about a packet that went out through a session: point it
 * back at the proxy (upstream dropped all ICMP errors, breaking PMTUD and
 * traceroute through DNS resources).
 */
static int
nat_in_error(struct nat *nt, struct ncl *c, uint32_t client, uint8_t *buf, size_t *len,
    size_t cap, struct pkt_info *pi, uint64_t now)
{
	struct pkt_addr qdst, proxy, real;
	uint8_t kind;
	uint16_t val, orig;
	uint32_t si;
	int err;

	if (quoted_key(buf, pi, &kind, &val, &qdst) != 0)
		return 0;
	if ((si = live_out(nt, client, kind, val, &qdst, now)) == NIL)
		return 0;
	proxy = nt->s[si].proxy;
	real = nt->s[si].real;
	orig = nt->s[si].in_val;
	if (proxy.af == pi->version) {
		/* errors from the resource itself appear to come from the proxy; a router's address stays */
		if (pkt_addr_eq(&pi->src, &real) && (err = pkt_set_src(buf, pi, &proxy)) != PKT_OK)
			return err;
	} else {
		struct nat64_addrs m;
		const struct pkt_addr *dst = tun_of(c, proxy.af);

		if (dst == NULL)
			return PKT_E_INVAL;
		/* a router address of the other family cannot be expressed: use the proxy */
		memset(&m, 0, sizeof(m));
		m.src = proxy;
		m.dst = *dst;
		m.inner_src = *dst;
		m.inner_dst = proxy;
		if ((err = cross_family(buf, len, cap, pi, &m)) != PKT_OK)
			return err;
	}
	/* an error is no sign of life: the liveness timestamps stay as they are */
	if ((err = rewrite_quoted(buf, pi, &proxy, orig)) != PKT_OK)
		return err;
	return 1;
}

int
nat_in(struct nat *nt, uint32_t client, uint8_t *buf, size_t *len, size_t cap, uint64_t now)
{
	struct ncl *c = client_get(nt, client);
	struct pkt_info pi;
	struct pkt_addr proxy;
	uint32_t si, xi;
	uint8_t kind;
	uint16_t val, orig;
	int err;

	if (c == NULL || buf == NULL || len == NULL)
		return PKT_E_INVAL;
	if ((err = pkt_parse(buf, *len, &pi)) != PKT_OK)
		return err;
	if (pkt_key(&pi, 0, &kind, &val) != 0) {
		if (pi.is_icmp_err && pi.l4_ok)
			return nat_in_error(nt, c, client, buf, len, cap, &pi, now);
		/* upstream dropped keyless return traffic even for CIDR resources; no session can match it, so pass it on */
		return 0;
	}
	/* no session: unchanged (it may be a CIDR flow to the same address),
	 * unless this key belonged to a session that went: a late reply */
	if ((si = live_out(nt, client, kind, val, &pi.src, now)) == NIL)
		return gone_match(nt, client, kind, val, &pi.src, now) ? PKT_E_EXPIRED : 0;
	sess_touch(nt, si, now, 1, pi.tcp_flags);
	proxy = nt->s[si].proxy;
	orig = nt->s[si].in_val;
	if (proxy.af == pi.version) {
		if ((err = pkt_set_src(buf, &pi, &proxy)) != PKT_OK)
			return err;
	} else {
		struct nat64_addrs m;
		const struct pkt_addr *dst = tun_of(c, proxy.af);

		if (dst == NULL)
			return PKT_E_INVAL;
		memset(&m, 0, sizeof(m));
		m.src = proxy;
		m.dst = *dst;
		if ((err = cross_family(buf, len, cap, &pi, &m)) != PKT_OK)
			return err;
	}
	if ((err = set_val(buf, &pi, 0, orig)) != PKT_OK)
		return err;
	if ((xi = xl_find(nt, client, &proxy)) != NIL)
		xl_on_in(&nt->x[xi], now);
	if (kind == K_TCP && (pi.tcp_flags & PKT_TCP_RST))
		sess_end(nt, si, now);
	return 1;
}
