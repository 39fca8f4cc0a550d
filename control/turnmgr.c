/*
 * turnmgr.c - TURN clients per relay, glued to IPC, ICE and the portal's
 * relay set.
 */
#include "turnmgr.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "addr.h"
#include "control.h"
#include "log.h"
#include "util.h"
#include "portal_msg.h"
#include "turn.h"
#include "udpsend.h"

void
turnmgr_init(struct turnmgr *m)
{
	uint64_t f = m->failures;

	memset(m, 0, sizeof(*m));
	m->failures = f;
}

static void
tell_dataplane_server(struct ctl *c, const struct ipc_addr *server, int add)
{
	struct ipc_c2d_relay r;

	memset(&r, 0, sizeof(r));
	r.server = *server;
	r.add = (uint8_t)add;
	ctl_ipc_send_reliable(c, IPC_C2D_RELAY, &r, sizeof(r), -1);
}

static void
tell_dataplane_channel(struct ctl *c, struct turn_slot *s, const struct ipc_addr *server,
    const struct ipc_addr *peer, uint16_t channel, int bound)
{
	struct ipc_c2d_channel ch;

	memset(&ch, 0, sizeof(ch));
	ch.server = *server;
	ch.peer = *peer;
	ch.relayed = peer->family == 4 ? s->relayed4 : s->relayed6;
	ch.channel = channel;
	ch.bound = (uint8_t)bound;
	if ((peer->family == 4 && !s->has4) || (peer->family == 6 && !s->has6))
		return;
	ctl_ipc_send_reliable(c, IPC_C2D_CHANNEL, &ch, sizeof(ch), -1);
}

static void arm(struct turn_slot *s);

static void
withdraw(struct ctl *c, struct turn_slot *s)
{
	size_t i;

	if (!s->allocated)
		return;
	if (s->has4)
		p2p_local_candidate(&c->p2p, 3, &s->relayed4, 0);
	if (s->has6)
		p2p_local_candidate(&c->p2p, 3, &s->relayed6, 0);
	s->allocated = s->has4 = s->has6 = 0;
	/* Re-registering the servers drops their channels in the dataplane. */
	for (i = 0; i < s->n_servers; i++) {
		tell_dataplane_server(c, &s->servers[i], 0);
		tell_dataplane_server(c, &s->servers[i], 1);
	}
	/* Connections that were using this relay move to another one. */
	p2p_relay_withdrawn(&c->p2p);
}

static void
drive(struct turn_slot *s)
{
	struct ctl *c = s->ctl;
	struct turn_transmit tx;
	struct turn_event ev;
	char id[PORTAL_MSG_UUID_STRLEN], a1[ADDR_STRLEN], a2[ADDR_STRLEN];
	struct ctl_udp *u;

	portal_msg_uuid_fmt(&s->id, id);
	while (turn_client_poll_transmit(s->tc, &tx) > 0) {
		u = &c->udp[tx.dst.family == 4 ? 0 : 1];
		if (u->fd < 0 || udp_send_from(u->fd, &tx.dst, NULL, tx.data, tx.len) < 0)
			log_debug("turn: relay %s: cannot send to %s", id, addr_fmt(&tx.dst, a1, sizeof(a1)));
	}
	while (turn_client_poll_event(s->tc, &ev) > 0) {
		switch (ev.type) {
		case TURN_EV_SRFLX:
			p2p_local_candidate(&c->p2p, 1, &ev.addr, 1);
			log_debug("turn: relay %s: server-reflexive address %s", id,
			    addr_fmt(&ev.addr, a1, sizeof(a1)));
			break;
		case TURN_EV_ALLOCATED:
			withdraw(c, s);
			s->allocated = 1;
			s->has4 = ev.has_relayed4;
			s->has6 = ev.has_relayed6;
			s->relayed4 = ev.relayed4;
			s->relayed6 = ev.relayed6;
			log_info("relay allocated: %s on %s (%s%s%s)", id, addr_fmt(&ev.server, a1, sizeof(a1)),
			    s->has4 ? addr_fmt(&s->relayed4, a2, sizeof(a2)) : "",
			    s->has4 && s->has6 ? ", " : "", s->has6 ? "IPv6 too" : "");
			if (s->has4)
				p2p_local_candidate(&c->p2p, 3, &s->relayed4, 1);
			if (s->has6)
				p2p_local_candidate(&c->p2p, 3, &s->relayed6, 1);
			ctl_session_status(c);
			break;
		case TURN_EV_ALLOCATION_LOST:
			log_info("turn: relay %s: allocation lost (%s)", id, turn_reason_str(ev.reason));
			withdraw(c, s);
			ctl_session_status(c);
			break;
		case TURN_EV_ALLOCATE_FAILED:
			log_warnx("turn: relay %s: allocation failed (%s, %u)", id, turn_reason_str(ev.reason),
			    (unsigned)ev.error_code);
			break;
		case TURN_EV_CHANNEL_BOUND:
			tell_dataplane_channel(c, s, &ev.server, &ev.addr, ev.channel, 1);
			p2p_channel_bound(&c->p2p);
			break;
		case TURN_EV_CHANNEL_FAILED:
			tell_dataplane_channel(c, s, &ev.server, &ev.addr, ev.channel, 0);
			break;
		case TURN_EV_FAILED:
			log_warnx("turn: relay %s failed (%s); removed", id, turn_reason_str(ev.reason));
			c->turn.failures++;
			withdraw(c, s);
			relays_remove(&c->relays, &s->id);
			s->dead = 1;
			/* We gave up our last relay ourselves: the portal sends a
			 * fresh selection (upstream #14026).  Not when the portal
			 * withdrew it (relays_presence). */
			if (relays_count(&c->relays) == 0)
				ctl_session_no_relays(c);
			ctl_session_status(c);
			break;
		case TURN_EV_STOPPED:
			s->dead = 1;
			break;
		}
	}
	if (!s->dead)
		arm(s);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct turn_slot *s = arg;

	(void)fd;
	(void)what;
	turn_client_timeout(s->tc, util_now_ms());
	drive(s);
	if (s->dead)
		turnmgr_sync(s->ctl, 0);
}

static void
arm(struct turn_slot *s)
{
	uint64_t dl = turn_client_next_deadline(s->tc), now = util_now_ms();
	struct timeval tv;

	if (dl == UINT64_MAX) {
		event_del(s->ev);
		return;
	}
	dl = dl > now ? dl - now : 0;
	tv.tv_sec = (time_t)(dl / 1000);
	tv.tv_usec = (suseconds_t)((dl % 1000) * 1000);
	evtimer_add(s->ev, &tv);
}

static void
slot_free(struct ctl *c, struct turn_slot *s)
{
	size_t i;

	withdraw(c, s);
	for (i = 0; i < s->n_servers; i++)
		tell_dataplane_server(c, &s->servers[i], 0);
	if (s->ev != NULL)
		event_free(s->ev);
	turn_client_free(s->tc);
	OPENSSL_cleanse(s, sizeof(*s));
}

static void
to_ipc(struct ipc_addr *a, const struct portal_msg_sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	a->family = sa->ip.family == AF_INET ? 4 : 6;
	memcpy(a->addr, sa->ip.u.bytes, a->family == 4 ? 4 : 16);
	a->port = sa->port;
}

/* What identifies a relay entry's content; 0 on success. */
static int
entry_digest(const struct portal_msg_relay *r, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct ipc_addr a[2];
	uint8_t fam[2] = { r->has_v4, r->has_v6 };
	unsigned int len = 0;
	int ok;

	/* Field by field: no padding bytes in the digest. */
	memset(a, 0, sizeof(a));
	if (r->has_v4)
		to_ipc(&a[0], &r->v4);
	if (r->has_v6)
		to_ipc(&a[1], &r->v6);
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, fam, sizeof(fam)) == 1 &&
	    EVP_DigestUpdate(md, &a[0].family, 1) == 1 && EVP_DigestUpdate(md, a[0].addr, 16) == 1 &&
	    EVP_DigestUpdate(md, &a[0].port, 2) == 1 &&
	    EVP_DigestUpdate(md, &a[1].family, 1) == 1 && EVP_DigestUpdate(md, a[1].addr, 16) == 1 &&
	    EVP_DigestUpdate(md, &a[1].port, 2) == 1 &&
	    EVP_DigestUpdate(md, r->username, strlen(r->username) + 1) == 1 &&
	    EVP_DigestUpdate(md, r->password, strlen(r->password) + 1) == 1 &&
	    EVP_DigestFinal_ex(md, out, &len) == 1 && len == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* Is the slot's relay entry still what the portal offers? */
static int
entry_unchanged(const struct turn_slot *s, const struct portal_msg_relay *r)
{
	uint8_t d[32];

	return entry_digest(r, d) == 0 && CRYPTO_memcmp(d, s->entry_digest, sizeof(d)) == 0;
}

static void
slot_start(struct ctl *c, struct turn_slot *s, const struct portal_msg_relay *r)
{
	struct turn_config cfg;
	char id[PORTAL_MSG_UUID_STRLEN];
	size_t i;

	memset(s, 0, sizeof(*s));
	s->in_use = 1;
	s->id = r->id;
	s->ctl = c;
	if (entry_digest(r, s->entry_digest) < 0)
		memset(s->entry_digest, 0, sizeof(s->entry_digest));
	memset(&cfg, 0, sizeof(cfg));
	if (r->has_v4 && c->udp[0].fd >= 0)
		to_ipc(&cfg.server[cfg.n_server++], &r->v4);
	if (r->has_v6 && c->udp[1].fd >= 0)
		to_ipc(&cfg.server[cfg.n_server++], &r->v6);
	cfg.username = r->username;
	cfg.password = r->password;
	cfg.keepalive_ms = TURN_KEEPALIVE_MS;
	portal_msg_uuid_fmt(&r->id, id);
	s->tc = turn_client_new();
	s->ev = evtimer_new(c->base, timer_cb, s);
	if (cfg.n_server == 0 || s->tc == NULL || s->ev == NULL ||
	    turn_client_start(s->tc, util_now_ms(), &cfg) != TURN_OK) {
		log_warnx("turn: cannot start a client for relay %s", id);
		s->dead = 1;
		return;
	}
	s->n_servers = cfg.n_server;
	for (i = 0; i < cfg.n_server; i++) {
		s->servers[i] = cfg.server[i];
		tell_dataplane_server(c, &cfg.server[i], 1);
	}
	log_debug("turn: relay %s: client started", id);
	drive(s);
}

void
turnmgr_sync(struct ctl *c, int refresh)
{
	struct turnmgr *m = &c->turn;
	const struct portal_msg_relay *r;
	size_t i, k;

	for (k = 0; k < RELAYS_MAX; k++) {
		struct turn_slot *s = &m->s[k];
		if (!s->in_use)
			continue;
		if (s->dead) {
			slot_free(c, s);
			continue;
		}
		r = relays_find(&c->relays, &s->id);
		if (r == NULL || !entry_unchanged(s, r)) {
			/* Withdrawn, or a new address or credentials: release the
			 * allocation (a new client starts below with the new entry);
			 * an unchanged entry keeps it. */
			turn_client_stop(s->tc, util_now_ms());
			drive(s);
			slot_free(c, s);
		} else if (refresh) {
			/* docs/protocol/p2p.md §3.9: every relay update refreshes the
			 * allocations still offered, so a dead one shows early. */
			(void)turn_client_refresh(s->tc, util_now_ms());
			drive(s);
		}
	}
	for (i = 0; i < c->relays.n; i++) {
		struct turn_slot *free_slot = NULL;

		r = &c->relays.v[i];
		for (k = 0; k < RELAYS_MAX; k++) {
			if (m->s[k].in_use && memcmp(m->s[k].id.b, r->id.b, 16) == 0)
				break;
			if (!m->s[k].in_use && free_slot == NULL)
				free_slot = &m->s[k];
		}
		if (k == RELAYS_MAX && free_slot != NULL)
			slot_start(c, free_slot, r);
	}
}

void
turnmgr_input(struct ctl *c, const struct ipc_d2c_udp_rx *rx, const uint8_t *data)
{
	size_t k;

	for (k = 0; k < RELAYS_MAX; k++) {
		struct turn_slot *s = &c->turn.s[k];
		if (!s->in_use || s->dead || !turn_client_is_server(s->tc, &rx->from))
			continue;
		(void)turn_client_input(s->tc, util_now_ms(), &rx->from, &rx->local, data, rx->len);
		drive(s);
		if (s->dead)
			turnmgr_sync(c, 0);
		return;
	}
}

size_t
turnmgr_allocated(const struct turnmgr *m)
{
	size_t k, n = 0;

	for (k = 0; k < RELAYS_MAX; k++)
		n += (size_t)(m->s[k].in_use && m->s[k].allocated);
	return n;
}

static struct turn_slot *
slot_of_relayed(struct ctl *c, const struct ipc_addr *relayed)
{
	size_t k;

	for (k = 0; k < RELAYS_MAX; k++) {
		struct turn_slot *s = &c->turn.s[k];
		if (!s->in_use || !s->allocated)
			continue;
		if ((s->has4 && addr_equal(&s->relayed4, relayed)) ||
		    (s->has6 && addr_equal(&s->relayed6, relayed)))
			return s;
	}
	return NULL;
}

int
turnmgr_channel(struct ctl *c, const struct ipc_addr *relayed, const struct ipc_addr *peer,
    struct ipc_addr *server, uint16_t *channel)
{
	struct turn_slot *s = slot_of_relayed(c, relayed);
	uint16_t ch;

	if (s == NULL)
		return -1;
	ch = turn_client_channel_of(s->tc, peer);
	if (ch != 0 && turn_client_active_server(s->tc, server)) {
		*channel = ch;
		return 0;
	}
	(void)turn_client_bind_channel(s->tc, util_now_ms(), peer);
	drive(s);
	return -1;
}

int
turnmgr_send(struct ctl *c, const struct ipc_addr *relayed, const struct ipc_addr *peer,
    const uint8_t *data, size_t len)
{
	uint8_t buf[TURN_CHANNEL_HDR + IPC_MAX_DATAGRAM];
	struct ipc_addr server;
	struct ctl_udp *u;
	uint16_t ch;
	int n;

	if (turnmgr_channel(c, relayed, peer, &server, &ch) < 0)
		return -1;
	if ((n = turn_channel_data_encode(buf, sizeof(buf), ch, data, len)) < 0)
		return -1;
	u = &c->udp[server.family == 4 ? 0 : 1];
	if (u->fd < 0)
		return -1;
	return udp_send_from(u->fd, &server, NULL, buf, (size_t)n);
}

size_t
turnmgr_candidates(const struct turnmgr *m, uint32_t seed, struct ipc_addr out[2])
{
	size_t k, n = 0, pick, seen = 0;

	for (k = 0; k < RELAYS_MAX; k++)
		n += (size_t)(m->s[k].in_use && m->s[k].allocated);
	if (n == 0)
		return 0;
	pick = seed % n;
	for (k = 0; k < RELAYS_MAX; k++) {
		const struct turn_slot *s = &m->s[k];
		size_t c = 0;
		if (!s->in_use || !s->allocated || seen++ != pick)
			continue;
		if (s->has4)
			out[c++] = s->relayed4;
		if (s->has6)
			out[c++] = s->relayed6;
		return c;
	}
	return 0;
}

void
turnmgr_free(struct ctl *c)
{
	size_t k;

	for (k = 0; k < RELAYS_MAX; k++)
		if (c->turn.s[k].in_use) {
			if (c->turn.s[k].ev != NULL)
				event_free(c->turn.s[k].ev);
			turn_client_free(c->turn.s[k].tc);
			OPENSSL_cleanse(&c->turn.s[k], sizeof(c->turn.s[k]));
		}
}
