/*
 * flowlog.c - the flow table and its JSON lines.
 *
 * Flows live in a pool of max_flows entries allocated once; an open
 * addressing index (linear probing, at most half full, backward-shift
 * deletion so there are no tombstones) maps a key to its entry.  Live
 * entries are also on a doubly linked list, so sweeps and peer removals walk
 * only live flows; free entries are on a singly linked free list.  The
 * flows of one peer are on a list of their own, whose head a second index
 * (keyed by peer, the same probing) finds, so removing a peer walks only its
 * flows.
 */
#include "flowlog.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIL 0u			/* list and index links are entry + 1 */
#define TCP_FIN 0x01
#define TCP_RST 0x04

struct fl_key {
	uint32_t peer;
	uint8_t proto;
	uint8_t af;
	uint16_t cport;		/* client's port, or ICMP echo identifier */
	uint16_t rport;		/* destination port */
	uint16_t pad;
	uint8_t caddr[16];	/* client's tunnel address */
	uint8_t raddr[16];	/* destination the client used */
};

struct fl_flow {
	struct fl_key key;
	uint32_t hash;
	uint32_t prev, next;	/* live list; next is also the free list */
	uint32_t pprev, pnext;	/* this peer's flows */
	uint32_t pcount;	/* at the head of a peer's list: its flows */
	uint8_t client_id[FLOWLOG_ID_LEN];
	uint8_t resource_id[FLOWLOG_ID_LEN];
	struct pkt_addr real;	/* af 0: no translation */
	uint8_t has_resource;
	uint8_t fin_c, fin_r;	/* FIN seen from the client / from the resource */
	uint8_t closed;		/* FIN both ways or RST */
	uint64_t id;
	uint64_t start_ms, last_ms, next_report_ms;
	uint64_t bytes_c, pkts_c;	/* client -> resource */
	uint64_t bytes_r, pkts_r;	/* resource -> client */
	uint64_t reported;		/* pkts_c + pkts_r at the last line */
};

struct flowlog {
	struct flowlog_config cfg;
	struct fl_flow *flows;
	uint32_t *idx;
	uint32_t *pidx;		/* peer -> head of its flows */
	uint32_t mask;
	uint32_t head, tail, free;
	uint64_t next_id;
	int64_t wall_off;	/* wall time minus monotonic time, kept steady */
	int has_off;
	struct flowlog_stats st;
};

static const char *const reason_names[] = {
	"interval", "end", "idle", "peer_removed", "revoked", "shutdown",
};

const char *
flowlog_reason_name(enum flowlog_reason why)
{
	if ((unsigned)why >= sizeof(reason_names) / sizeof(reason_names[0]))
		return "unknown";
	return reason_names[why];
}

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

static uint32_t
key_hash(const struct flowlog *fl, const struct fl_key *k)
{
	uint64_t w;
	uint64_t h;
	size_t i;

	h = mix(fl->cfg.seed, (uint64_t)k->peer << 32 | (uint64_t)k->proto << 24 |
	    (uint64_t)k->af << 16);
	h = mix(h, (uint64_t)k->cport << 16 | k->rport);
	for (i = 0; i < 16; i += 8) {
		memcpy(&w, k->caddr + i, 8);
		h = mix(h, w);
		memcpy(&w, k->raddr + i, 8);
		h = mix(h, w);
	}
	return (uint32_t)h;
}

static uint32_t
peer_hash(const struct flowlog *fl, uint32_t peer)
{
	return (uint32_t)mix(fl->cfg.seed ^ 0x5851f42d4c957f2dULL, peer);
}

/* ---- table ------------------------------------------------------------ */

struct flowlog *
flowlog_new(const struct flowlog_config *cfg)
{
	struct flowlog *fl;
	uint64_t slots = 2;
	uint32_t i;

	if (cfg == NULL || cfg->max_flows == 0 || cfg->max_flows > (1u << 24) ||
	    cfg->interval_s > FLOWLOG_MAX_INTERVAL_S || cfg->emit == NULL)
		return NULL;
	while (slots < 2 * (uint64_t)cfg->max_flows)
		slots <<= 1;
	if ((fl = calloc(1, sizeof(*fl))) == NULL)
		return NULL;
	fl->cfg = *cfg;
	if (fl->cfg.procname == NULL)
		fl->cfg.procname = "dataplane";
	fl->flows = calloc(cfg->max_flows, sizeof(*fl->flows));
	fl->idx = calloc((size_t)slots, sizeof(*fl->idx));
	fl->pidx = calloc((size_t)slots, sizeof(*fl->pidx));
	if (fl->flows == NULL || fl->idx == NULL || fl->pidx == NULL) {
		flowlog_free(fl);
		return NULL;
	}
	fl->mask = (uint32_t)(slots - 1);
	for (i = 0; i < cfg->max_flows; i++)
		fl->flows[i].next = i + 2 <= cfg->max_flows ? i + 2 : NIL;
	fl->free = 1;
	fl->next_id = 1;
	return fl;
}

void
flowlog_free(struct flowlog *fl)
{
	if (fl == NULL)
		return;
	free(fl->flows);
	free(fl->idx);
	free(fl->pidx);
	free(fl);
}

static struct fl_flow *
at(const struct flowlog *fl, uint32_t link)
{
	return &fl->flows[link - 1];
}

/* Index slot holding key, or the empty slot where it would go. */
static uint32_t
probe(const struct flowlog *fl, const struct fl_key *k, uint32_t h)
{
	uint32_t i = h & fl->mask;

	while (fl->idx[i] != NIL) {
		const struct fl_flow *f = at(fl, fl->idx[i]);
		if (f->hash == h && memcmp(&f->key, k, sizeof(*k)) == 0)
			break;
		i = (i + 1) & fl->mask;
	}
	return i;
}

static void
list_unlink(struct flowlog *fl, uint32_t e)
{
	struct fl_flow *f = at(fl, e);

	if (f->prev != NIL)
		at(fl, f->prev)->next = f->next;
	else
		fl->head = f->next;
	if (f->next != NIL)
		at(fl, f->next)->prev = f->prev;
	else
		fl->tail = f->prev;
}

/* Slot of the peer index holding the head of peer's flows, or an empty one. */
static uint32_t
peer_probe(const struct flowlog *fl, uint32_t peer)
{
	uint32_t i = peer_hash(fl, peer) & fl->mask;

	while (fl->pidx[i] != NIL && at(fl, fl->pidx[i])->key.peer != peer)
		i = (i + 1) & fl->mask;
	return i;
}

/*
 * Empty slot i of an index (idx or pidx) by backward shift: a later entry
 * of the probe run moves up unless its home slot lies in (i, j].  home_of
 * gives an entry's home slot.
 */
static void
index_delete(struct flowlog *fl, uint32_t *tab, uint32_t i,
    uint32_t (*home_of)(const struct flowlog *, uint32_t))
{
	uint32_t j = i, k;

	for (;;) {
		j = (j + 1) & fl->mask;
		if (tab[j] == NIL)
			break;
		k = home_of(fl, tab[j]);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		tab[i] = tab[j];
		i = j;
	}
	tab[i] = NIL;
}

static uint32_t
flow_home(const struct flowlog *fl, uint32_t e)
{
	return at(fl, e)->hash & fl->mask;
}

static uint32_t
peer_home(const struct flowlog *fl, uint32_t e)
{
	return peer_hash(fl, at(fl, e)->key.peer) & fl->mask;
}

static void
peer_link(struct flowlog *fl, uint32_t e)
{
	struct fl_flow *f = at(fl, e);
	uint32_t slot = peer_probe(fl, f->key.peer);

	f->pprev = NIL;
	f->pnext = fl->pidx[slot];
	f->pcount = 1;
	if (f->pnext != NIL) {
		at(fl, f->pnext)->pprev = e;
		f->pcount += at(fl, f->pnext)->pcount;
	}
	fl->pidx[slot] = e;
}

static void
peer_unlink(struct flowlog *fl, uint32_t e)
{
	struct fl_flow *f = at(fl, e);
	uint32_t slot;

	if (f->pnext != NIL)
		at(fl, f->pnext)->pprev = f->pprev;
	slot = peer_probe(fl, f->key.peer);
	if (f->pprev != NIL) {
		at(fl, f->pprev)->pnext = f->pnext;
		at(fl, fl->pidx[slot])->pcount--;
		return;
	}
	if (f->pnext != NIL) {
		at(fl, f->pnext)->pcount = f->pcount - 1;
		fl->pidx[slot] = f->pnext;
	} else {
		index_delete(fl, fl->pidx, slot, peer_home);
	}
}

/* Flows of peer in the table. */
static uint32_t
peer_flows(const struct flowlog *fl, uint32_t peer)
{
	uint32_t head = fl->pidx[peer_probe(fl, peer)];

	return head == NIL ? 0 : at(fl, head)->pcount;
}

/* Remove entry e from the indexes and the lists; free it. */
static void
flow_remove(struct flowlog *fl, uint32_t e)
{
	struct fl_flow *f = at(fl, e);
	uint32_t i = f->hash & fl->mask;

	while (fl->idx[i] != e)
		i = (i + 1) & fl->mask;
	index_delete(fl, fl->idx, i, flow_home);
	peer_unlink(fl, e);
	list_unlink(fl, e);
	memset(f, 0, sizeof(*f));
	f->next = fl->free;
	fl->free = e;
	fl->st.active--;
	fl->st.ended++;
}

/* ---- keys from packets ------------------------------------------------ */

static int
has_ports(const struct pkt_info *pi)
{
	return (pi->proto == PKT_PROTO_TCP || pi->proto == PKT_PROTO_UDP) && pi->l4_ok &&
	    !pi->is_later_frag;
}

static int
is_echo(const struct pkt_info *pi)
{
	return (pi->proto == PKT_PROTO_ICMP || pi->proto == PKT_PROTO_ICMPV6) && pi->l4_ok &&
	    pi->is_echo && !pi->is_later_frag;
}

/* from_client: pi goes client -> resource; else resource -> client. */
static void
make_key(struct fl_key *k, uint32_t peer, const struct pkt_info *pi, int from_client)
{
	const struct pkt_addr *c = from_client ? &pi->src : &pi->dst;
	const struct pkt_addr *r = from_client ? &pi->dst : &pi->src;

	memset(k, 0, sizeof(*k));
	k->peer = peer;
	k->proto = pi->proto;
	k->af = pi->version;
	memcpy(k->caddr, c->b, 16);
	memcpy(k->raddr, r->b, 16);
	if (has_ports(pi)) {
		k->cport = from_client ? pi->sport : pi->dport;
		k->rport = from_client ? pi->dport : pi->sport;
	} else if (is_echo(pi)) {
		k->cport = pi->icmp_id;
	}
}

/* TCP flags of a parsed packet, 0 if not TCP with a whole header. */
static uint8_t
tcp_flags(const struct pkt_info *pi, const uint8_t *pkt)
{
	if (pi->proto != PKT_PROTO_TCP || !has_ports(pi) || pkt == NULL || pi->l4_len < 20)
		return 0;
	return pkt[pi->l3_len + 13];
}

static void
note_tcp(struct fl_flow *f, uint8_t flags, int from_client)
{
	if (flags & TCP_RST)
		f->closed = 1;
	if (flags & TCP_FIN) {
		if (from_client)
			f->fin_c = 1;
		else
			f->fin_r = 1;
		if (f->fin_c && f->fin_r)
			f->closed = 1;
	}
}

int
flowlog_client_packet(struct flowlog *fl, uint32_t peer, const struct pkt_info *pi,
    const uint8_t *pkt, uint64_t now, flowlog_meta_fn meta, void *meta_arg)
{
	struct flowlog_meta m;
	struct fl_key k;
	struct fl_flow *f;
	uint32_t h, slot, e;
	int created = 0;

	if (fl == NULL || pi == NULL)
		return -1;
	make_key(&k, peer, pi, 1);
	h = key_hash(fl, &k);
	slot = probe(fl, &k, h);
	if (fl->idx[slot] != NIL) {
		e = fl->idx[slot];
		f = at(fl, e);
	} else {
		if (fl->free == NIL) {
			fl->st.untracked++;
			return -1;
		}
		if (fl->cfg.max_flows_per_peer != 0 &&
		    peer_flows(fl, peer) >= fl->cfg.max_flows_per_peer) {
			fl->st.untracked_peer++;
			return -1;
		}
		e = fl->free;
		f = at(fl, e);
		fl->free = f->next;
		memset(f, 0, sizeof(*f));
		f->key = k;
		f->hash = h;
		f->id = fl->next_id++;
		f->start_ms = now;
		if (fl->cfg.interval_s > 0)
			f->next_report_ms = now + (uint64_t)fl->cfg.interval_s * 1000u;
		memset(&m, 0, sizeof(m));
		if (meta != NULL)
			meta(meta_arg, peer, pi, &m);
		memcpy(f->client_id, m.client_id, FLOWLOG_ID_LEN);
		memcpy(f->resource_id, m.resource_id, FLOWLOG_ID_LEN);
		f->has_resource = m.has_resource ? 1 : 0;
		if (m.real_dst.af == 4 || m.real_dst.af == 6)
			f->real = m.real_dst;
		fl->idx[slot] = e;
		f->prev = fl->tail;
		f->next = NIL;
		if (fl->tail != NIL)
			at(fl, fl->tail)->next = e;
		else
			fl->head = e;
		fl->tail = e;
		peer_link(fl, e);
		fl->st.active++;
		created = 1;
	}
	f->last_ms = now;
	f->bytes_c += pi->tot_len;
	f->pkts_c++;
	note_tcp(f, tcp_flags(pi, pkt), 1);
	return created;
}

int
flowlog_resource_packet(struct flowlog *fl, uint32_t peer, const struct pkt_info *pi,
    const uint8_t *pkt, uint64_t now)
{
	struct fl_key k;
	struct fl_flow *f;
	uint32_t h, slot;

	if (fl == NULL || pi == NULL)
		return -1;
	make_key(&k, peer, pi, 0);
	h = key_hash(fl, &k);
	slot = probe(fl, &k, h);
	if (fl->idx[slot] == NIL)
		return -1;
	f = at(fl, fl->idx[slot]);
	f->last_ms = now;
	f->bytes_r += pi->tot_len;
	f->pkts_r++;
	note_tcp(f, tcp_flags(pi, pkt), 0);
	return 0;
}

/* ---- lines ------------------------------------------------------------ */

size_t
flowlog_fmt_time(int64_t wall_ms, char *buf, size_t cap)
{
	int64_t days, secs, ms, z, era, doe, yoe, y, doy, mp, d, mo;
	int n;

	if (cap < 25 || wall_ms < -62167219200000LL || wall_ms > 253402300799999LL)
		return 0;
	ms = wall_ms % 1000;
	secs = wall_ms / 1000;
	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	days = secs / 86400;
	secs %= 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	mo = mp < 10 ? mp + 3 : mp - 9;
	if (mo <= 2)
		y++;
	n = snprintf(buf, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", (long long)y,
	    (long long)mo, (long long)d, (long long)(secs / 3600), (long long)(secs / 60 % 60),
	    (long long)(secs % 60), (long long)ms);
	return (n > 0 && (size_t)n < cap) ? (size_t)n : 0;
}

struct out {
	char *b;
	size_t cap, off;
	int bad;
};

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->bad)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->b + o->off, o->cap - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->off)
		o->bad = 1;
	else
		o->off += (size_t)n;
}

/* A JSON string: quotes, backslashes and control bytes escaped; bytes
 * >= 0x80 become U+FFFD (our strings are ASCII). */
static void
put_str(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s != '\0' && !o->bad; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20)
			put(o, "\\u%04x", c);
		else if (c >= 0x80)
			put(o, "\\ufffd");
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static void
put_uuid(struct out *o, const uint8_t id[FLOWLOG_ID_LEN])
{
	put(o, "\"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\"",
	    id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8], id[9], id[10], id[11],
	    id[12], id[13], id[14], id[15]);
}

static void
put_addr(struct out *o, uint8_t af, const uint8_t *b)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(af == 4 ? AF_INET : AF_INET6, b, s, sizeof(s)) == NULL)
		put(o, "null");
	else
		put(o, "\"%s\"", s);
}

static void
put_time(struct out *o, int64_t wall_ms)
{
	char t[32];

	if (flowlog_fmt_time(wall_ms, t, sizeof(t)) == 0)
		put(o, "null");
	else
		put(o, "\"%s\"", t);
}

static const char *
proto_name(uint8_t p, char *buf, size_t cap)
{
	switch (p) {
	case PKT_PROTO_TCP: return "tcp";
	case PKT_PROTO_UDP: return "udp";
	case PKT_PROTO_ICMP: return "icmp";
	case PKT_PROTO_ICMPV6: return "icmpv6";
	default:
		snprintf(buf, cap, "%u", (unsigned)p);
		return buf;
	}
}

/*
 * Wall time of monotonic instant t, given both clocks at `now`.  The
 * offset between the clocks is kept from one line to the next unless it
 * moves by more than FLOWLOG_CLOCK_STEP_MS (the wall clock was set), so
 * the two clocks read a millisecond apart do not make a flow's start
 * differ between its lines; no time is after wall_ms.
 */
static int64_t
wall_of(struct flowlog *fl, uint64_t t, uint64_t now, int64_t wall_ms)
{
	int64_t off = wall_ms - (int64_t)now, w;

	if (!fl->has_off || off - fl->wall_off > FLOWLOG_CLOCK_STEP_MS ||
	    fl->wall_off - off > FLOWLOG_CLOCK_STEP_MS) {
		fl->wall_off = off;
		fl->has_off = 1;
	}
	w = fl->wall_off + (int64_t)(t < now ? t : now);
	return w < wall_ms ? w : wall_ms;
}

static void
emit(struct flowlog *fl, struct fl_flow *f, enum flowlog_reason why, uint64_t now,
    int64_t wall_ms)
{
	char line[FLOWLOG_LINE_MAX], pn[8];
	struct out o = { line, sizeof(line), 0, 0 };
	const struct fl_key *k = &f->key;
	int icmp = k->proto == PKT_PROTO_ICMP || k->proto == PKT_PROTO_ICMPV6;

	put(&o, "{\"ts\":");
	put_time(&o, wall_ms);
	put(&o, ",\"level\":\"info\",\"process\":");
	put_str(&o, fl->cfg.procname);
	put(&o, ",\"pid\":%d,\"msg\":\"flow\",\"event\":\"flow\",\"reason\":\"%s\",\"flow_id\":%llu,"
	    "\"client_id\":", fl->cfg.pid, flowlog_reason_name(why), (unsigned long long)f->id);
	put_uuid(&o, f->client_id);
	put(&o, ",\"resource_id\":");
	if (f->has_resource)
		put_uuid(&o, f->resource_id);
	else
		put(&o, "null");
	put(&o, ",\"protocol\":\"%s\",\"src\":", proto_name(k->proto, pn, sizeof(pn)));
	put_addr(&o, k->af, k->caddr);
	put(&o, ",\"src_port\":%u,\"dst\":", icmp ? 0u : (unsigned)k->cport);
	put_addr(&o, k->af, k->raddr);
	put(&o, ",\"dst_port\":%u", (unsigned)k->rport);
	if (icmp)
		put(&o, ",\"icmp_id\":%u", (unsigned)k->cport);
	put(&o, ",\"real_dst\":");
	if (f->real.af != 0)
		put_addr(&o, f->real.af, f->real.b);
	else
		put_addr(&o, k->af, k->raddr);
	put(&o, ",\"real_dst_port\":%u,\"bytes_from_client\":%llu,\"packets_from_client\":%llu,"
	    "\"bytes_to_client\":%llu,\"packets_to_client\":%llu,\"start\":", (unsigned)k->rport,
	    (unsigned long long)f->bytes_c, (unsigned long long)f->pkts_c,
	    (unsigned long long)f->bytes_r, (unsigned long long)f->pkts_r);
	put_time(&o, wall_of(fl, f->start_ms, now, wall_ms));
	put(&o, ",\"end\":");
	put_time(&o, wall_of(fl, f->last_ms, now, wall_ms));
	put(&o, "}\n");
	if (o.bad)
		return;	/* cannot happen: every field is bounded */
	fl->cfg.emit(fl->cfg.emit_arg, line, o.off);
	fl->st.records++;
	f->reported = f->pkts_c + f->pkts_r;
}

/* ---- sweeps ----------------------------------------------------------- */

static uint64_t
idle_ms(uint8_t proto)
{
	switch (proto) {
	case PKT_PROTO_TCP: return FLOWLOG_IDLE_TCP_MS;
	case PKT_PROTO_UDP: return FLOWLOG_IDLE_UDP_MS;
	default: return FLOWLOG_IDLE_OTHER_MS;
	}
}

size_t
flowlog_tick(struct flowlog *fl, uint64_t now, int64_t wall_ms)
{
	uint32_t e, next;
	struct fl_flow *f;
	size_t n = 0;
	uint64_t quiet;

	if (fl == NULL)
		return 0;
	for (e = fl->head; e != NIL; e = next) {
		f = at(fl, e);
		next = f->next;
		quiet = now > f->last_ms ? now - f->last_ms : 0;
		if (f->closed && quiet >= FLOWLOG_LINGER_MS) {
			emit(fl, f, FLOWLOG_R_END, now, wall_ms);
			flow_remove(fl, e);
			n++;
		} else if (quiet >= idle_ms(f->key.proto)) {
			emit(fl, f, FLOWLOG_R_IDLE, now, wall_ms);
			flow_remove(fl, e);
			n++;
		} else if (fl->cfg.interval_s > 0 && now >= f->next_report_ms) {
			/* Only a flow that moved since its last line gets a new one. */
			if (f->pkts_c + f->pkts_r != f->reported) {
				emit(fl, f, FLOWLOG_R_INTERVAL, now, wall_ms);
				n++;
			}
			f->next_report_ms = now + (uint64_t)fl->cfg.interval_s * 1000u;
		}
	}
	return n;
}

size_t
flowlog_end_peer(struct flowlog *fl, uint32_t peer, const uint8_t *resource,
    enum flowlog_reason why, uint64_t now, int64_t wall_ms)
{
	uint32_t e, next;
	struct fl_flow *f;
	size_t n = 0;

	if (fl == NULL)
		return 0;
	for (e = fl->pidx[peer_probe(fl, peer)]; e != NIL; e = next) {
		f = at(fl, e);
		next = f->pnext;
		if (resource != NULL && (!f->has_resource ||
		    memcmp(f->resource_id, resource, FLOWLOG_ID_LEN) != 0))
			continue;
		emit(fl, f, why, now, wall_ms);
		flow_remove(fl, e);
		n++;
	}
	return n;
}

size_t
flowlog_end_all(struct flowlog *fl, enum flowlog_reason why, uint64_t now, int64_t wall_ms)
{
	size_t n = 0;

	if (fl == NULL)
		return 0;
	while (fl->head != NIL) {
		emit(fl, at(fl, fl->head), why, now, wall_ms);
		flow_remove(fl, fl->head);
		n++;
	}
	return n;
}

void
flowlog_get_stats(const struct flowlog *fl, struct flowlog_stats *st)
{
	if (fl == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = fl->st;
}
