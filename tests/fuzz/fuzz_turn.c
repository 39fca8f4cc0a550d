/*
 * fuzz_turn.c - libFuzzer target for control/turn.c: a TURN client against
 * one or two fake server addresses, driven by the input.
 *
 * Credentials are those of tests/fixtures/turn (username "gwuser", password
 * "s3cretPW-gw", realm "firezone") so coturn's signed answers verify.
 *
 * Input: byte 0 = setup (bits 0-1: servers v4 / v6 / v4+v6 / v6+v4; bit 2:
 * SOFTWARE; bit 3: input without a local address), then records:
 *   op 0  datagram: sel, flags, len (2 bytes), bytes.  Unless flags bit 3,
 *         the transaction id is replaced by that of a request the client
 *         sent (sel counts back from the newest), so answers match; flags
 *         bits 0-1 pick the source (0: where that request went, 1: server
 *         0, 2: server 1, 3: an address that is not a server); bit 2
 *         re-signs MESSAGE-INTEGRITY (long-term key) and FINGERPRINT.
 *   op 1  time: step byte (0: to the next deadline, 1-127: x100 ms,
 *         128-255: x10 s), then turn_client_timeout
 *   op 2  bind a channel, op 3 release one (peer byte: 8 fixed peers, or
 *         an invalid address)
 *   op 4  turn_client_refresh, op 5 turn_client_stop
 *   op 6  ChannelData: channel (2), cap, len, payload: encode (also in
 *         place), decode it back, decode the raw bytes
 *   op 7  bind (or release) count peers at once (exhausts the buffers)
 * After every call the transmits and events are drained and checked:
 * requests well-formed, FINGERPRINT and MESSAGE-INTEGRITY right, sent to a
 * configured server, retransmissions byte for byte; nothing after STOPPED,
 * only STOPPED after FAILED; FAILED preceded by ALLOCATION_LOST when there
 * was an allocation; the allocation seen through events matches
 * turn_client_relayed; a refused datagram changes nothing; a client with
 * work in flight has a deadline; channel numbers of distinct peers differ;
 * a success answer without MESSAGE-INTEGRITY to a signed request is never
 * taken.
 *
 * FZ_TURN_WRITE_SEEDS=<dir> writes seeds built with libnice's STUN API
 * and from the coturn session of tests/fixtures/turn (FZ_TURN_FIXTURE).
 */
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

#include "fuzz_stun_common.c"

#define USERNAME	"gwuser"
#define PASSWORD	"s3cretPW-gw"
#define REALM		"firezone"
#define NPEERS		8
#define SENT_MAX	256

struct sent {
	uint8_t id[12];
	struct ipc_addr dst;
	uint16_t len;
	uint8_t buf[TURN_MSG_MAX];
};

static struct sent sent[SENT_MAX];
static size_t n_sent;
static uint8_t ltkey[16];
static struct ipc_addr srv[2], peers[NPEERS], local_addr;
static size_t n_srv;

static int fz_debug;	/* FZ_TURN_DEBUG: print events and answers */

/* what the events told us */
static int m_alloc, m_failed, m_stopped;
static uint64_t now;

static struct ipc_addr
mk4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct ipc_addr x;

	memset(&x, 0, sizeof(x));
	x.family = 4;
	x.addr[0] = a; x.addr[1] = b; x.addr[2] = c; x.addr[3] = d;
	x.port = port;
	return x;
}

static struct ipc_addr
mk6(uint8_t last, uint16_t port)
{
	struct ipc_addr x;

	memset(&x, 0, sizeof(x));
	x.family = 6;
	x.addr[0] = 0x20; x.addr[1] = 0x01; x.addr[2] = 0x0d; x.addr[3] = 0xb8;
	x.addr[15] = last;
	x.port = port;
	return x;
}

static int
addr_eq(const struct ipc_addr *a, const struct ipc_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

static int
valid_addr(const struct ipc_addr *a)
{
	return (a->family == 4 || a->family == 6) && a->port != 0;
}

static void
setup_addrs(uint8_t setup)
{
	struct ipc_addr s4 = mk4(198, 51, 100, 1, 3478), s6 = mk6(0x11, 3478);
	int i;

	switch (setup & 3) {
	case 0: srv[0] = s4; n_srv = 1; break;
	case 1: srv[0] = s6; n_srv = 1; break;
	case 2: srv[0] = s4; srv[1] = s6; n_srv = 2; break;
	default: srv[0] = s6; srv[1] = s4; n_srv = 2; break;
	}
	for (i = 0; i < 4; i++) {
		peers[i] = mk4(203, 0, 113, (uint8_t)(10 + i), (uint16_t)(40000 + i));
		peers[4 + i] = mk6((uint8_t)(0x50 + i), (uint16_t)(40000 + i));
	}
	peers[3].port = 40000;	/* same port as peer 0, other address */
	local_addr = mk4(192, 0, 2, 1, 51820);
}

/* ---- transmits and events ------------------------------------------------ */

static void
note_sent(const struct turn_transmit *tx)
{
	size_t i;

	for (i = 0; i < n_sent && i < SENT_MAX; i++) {
		struct sent *s = &sent[(n_sent - 1 - i) % SENT_MAX];

		if (memcmp(s->id, tx->data + 8, 12) == 0) {
			/* a retransmission repeats the request byte for byte */
			if (s->len != tx->len || memcmp(s->buf, tx->data, tx->len) != 0 ||
			    !addr_eq(&s->dst, &tx->dst))
				abort();
			return;
		}
	}
	{
		struct sent *s = &sent[n_sent % SENT_MAX];

		memcpy(s->id, tx->data + 8, 12);
		s->dst = tx->dst;
		s->len = (uint16_t)tx->len;
		memcpy(s->buf, tx->data, tx->len);
		n_sent++;
	}
}

static void
check_transmit(const struct turn_transmit *tx)
{
	uint16_t type, method;
	int has_user;

	if (tx->data == NULL || tx->len < 20 || tx->len > TURN_MSG_MAX)
		abort();
	if (!valid_addr(&tx->dst) || (!addr_eq(&tx->dst, &srv[0]) &&
	    !(n_srv == 2 && addr_eq(&tx->dst, &srv[1]))))
		abort();
	type = fz_get16(tx->data);
	/* a request (class 0) of Binding, Allocate, Refresh or ChannelBind */
	if ((type & 0x0110) != 0)
		abort();
	method = type & 0x3eef;
	if (method != 0x0001 && method != 0x0003 && method != 0x0004 && method != 0x0009)
		abort();
	has_user = fz_stun_attr(tx->data, tx->len, 0x0006, NULL) != 0;
	/* signed iff it carries the credentials; never for a Binding */
	if (method == 0x0001 && has_user)
		abort();
	fz_stun_verify(tx->data, tx->len, ltkey, sizeof(ltkey), has_user);
	note_sent(tx);
}

static int
drain(struct turn_client *c)
{
	struct turn_transmit tx;
	struct turn_event ev;
	enum turn_state st = turn_client_state(c);
	int n = 0, saw_failed = 0, saw_stopped = 0;

	while (turn_client_poll_transmit(c, &tx) == 1) {
		if (st == TURN_S_FAILED || st == TURN_S_STOPPED || st == TURN_S_IDLE)
			abort();
		check_transmit(&tx);
		n++;
	}
	while (turn_client_poll_event(c, &ev) == 1) {
		n++;
		if (fz_debug)
			fprintf(stderr, "event %d reason %s channel %x state %s\n", (int)ev.type,
			    turn_reason_str(ev.reason), ev.channel, turn_state_str(turn_client_state(c)));
		if (m_stopped)
			abort();	/* nothing after STOPPED */
		if (m_failed && ev.type != TURN_EV_STOPPED)
			abort();	/* after FAILED only the STOPPED of a stop */
		switch (ev.type) {
		case TURN_EV_SRFLX:
			if (!valid_addr(&ev.addr) || !(addr_eq(&ev.server, &srv[0]) ||
			    (n_srv == 2 && addr_eq(&ev.server, &srv[1]))))
				abort();
			break;
		case TURN_EV_ALLOCATED:
			if (m_alloc || (!ev.has_relayed4 && !ev.has_relayed6) || ev.lifetime_s == 0)
				abort();
			if ((ev.has_relayed4 && (ev.relayed4.family != 4 || ev.relayed4.port == 0)) ||
			    (ev.has_relayed6 && (ev.relayed6.family != 6 || ev.relayed6.port == 0)))
				abort();
			m_alloc = 1;
			break;
		case TURN_EV_ALLOCATION_LOST:
			if (!m_alloc)
				abort();
			m_alloc = 0;
			break;
		case TURN_EV_ALLOCATE_FAILED:
			if (m_alloc)
				abort();
			break;
		case TURN_EV_CHANNEL_BOUND:
		case TURN_EV_CHANNEL_FAILED:
			if (ev.channel < TURN_CHANNEL_MIN || ev.channel > TURN_CHANNEL_MAX ||
			    !valid_addr(&ev.addr))
				abort();
			if (ev.type == TURN_EV_CHANNEL_BOUND && !m_alloc)
				abort();
			break;
		case TURN_EV_FAILED:
			if (m_alloc)
				abort();	/* ALLOCATION_LOST comes first */
			m_failed = 1;
			saw_failed = 1;
			break;
		case TURN_EV_STOPPED:
			if (m_alloc)
				abort();
			m_stopped = 1;
			saw_stopped = 1;
			break;
		default:
			abort();
		}
		if (turn_reason_str(ev.reason) == NULL)
			abort();
	}
	st = turn_client_state(c);
	if (saw_failed && st != TURN_S_FAILED && st != TURN_S_STOPPED)
		abort();
	if (saw_stopped && st != TURN_S_STOPPED)
		abort();
	if ((st == TURN_S_FAILED && !m_failed) || (st == TURN_S_STOPPED && !m_stopped))
		abort();
	if (turn_state_str(st) == NULL)
		abort();
	return n;
}

static void
check_state(struct turn_client *c)
{
	enum turn_state st = turn_client_state(c);
	struct ipc_addr r4, r6, a;
	uint64_t d = turn_client_next_deadline(c);
	uint16_t ch[NPEERS];
	int has4, has6, i, j;

	has4 = turn_client_relayed(c, 4, &r4);
	has6 = turn_client_relayed(c, 6, &r6);
	if ((has4 || has6) != m_alloc)
		abort();
	if ((has4 && r4.family != 4) || (has6 && r6.family != 6))
		abort();
	if (m_alloc && st != TURN_S_ALLOCATED && st != TURN_S_ALLOCATING)
		abort();
	if (st == TURN_S_FAILED || st == TURN_S_STOPPED) {
		if (d != UINT64_MAX || (st == TURN_S_FAILED && turn_client_active_server(c, &a)))
			abort();
	}
	/* work in flight always has a timer */
	if ((st == TURN_S_BINDING || st == TURN_S_ALLOCATING || st == TURN_S_STOPPING ||
	    st == TURN_S_ALLOCATED) && d == UINT64_MAX)
		abort();
	if (turn_client_active_server(c, &a) && !turn_client_is_server(c, &a))
		abort();
	if ((st == TURN_S_ALLOCATING || st == TURN_S_ALLOCATED || st == TURN_S_STOPPING) &&
	    !turn_client_active_server(c, &a))
		abort();
	/* bound channels: one number per peer, and back again */
	for (i = 0; i < NPEERS; i++) {
		ch[i] = turn_client_channel_of(c, &peers[i]);
		if (ch[i] != 0) {
			struct ipc_addr p;

			if (ch[i] < TURN_CHANNEL_MIN || ch[i] > TURN_CHANNEL_MAX || !m_alloc)
				abort();
			if (turn_client_peer_of(c, ch[i], &p) != 1 || !addr_eq(&p, &peers[i]))
				abort();
			for (j = 0; j < i; j++)
				if (ch[j] == ch[i])
					abort();
		}
	}
}

/* ---- operations ---------------------------------------------------------- */

static void
op_datagram(struct turn_client *c, const uint8_t *p, size_t n)
{
	uint8_t sel, flags, *buf;
	size_t len;
	const struct ipc_addr *from;
	struct ipc_addr other = mk4(198, 51, 100, 99, 3478);
	int rc, produced, to_signed = 0, unsigned_answer;
	enum turn_state before;
	uint64_t d_before;

	if (n < 4)
		return;
	sel = p[0];
	flags = p[1];
	len = fz_get16(p + 2);
	p += 4;
	n -= 4;
	if (len > n)
		len = n;
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, p, len);
	from = &srv[0];
	if (!(flags & 8) && n_sent > 0 && len >= 20) {
		size_t k = sel % (n_sent < SENT_MAX ? n_sent : SENT_MAX);
		const struct sent *s = &sent[(n_sent - 1 - k) % SENT_MAX];

		memcpy(buf + 8, s->id, 12);
		from = &s->dst;
		to_signed = fz_stun_attr(s->buf, s->len, 0x0006, NULL) != 0;
	}
	switch (flags & 3) {
	case 1: from = &srv[0]; break;
	case 2: from = &srv[n_srv - 1]; break;
	case 3: from = &other; break;
	default: break;
	}
	if (flags & 4)
		fz_stun_sign(buf, len, ltkey, sizeof(ltkey));
	/* a success answer without MESSAGE-INTEGRITY */
	unsigned_answer = len >= 20 && (fz_get16(buf) & 0x0110) == 0x0100 &&
	    fz_stun_attr(buf, len, 0x0008, NULL) == 0;
	before = turn_client_state(c);
	d_before = turn_client_next_deadline(c);
	rc = turn_client_input(c, now, from, (flags & 0x10) ? NULL : &local_addr, buf, len);
	free(buf);
	/* issue 19: never taken as the answer to a signed request */
	if (rc == TURN_OK && to_signed && unsigned_answer)
		abort();
	if (fz_debug)
		fprintf(stderr, "input %zu bytes: %s\n", len, turn_strerror(rc));
	if (turn_strerror(rc) == NULL)
		abort();
	if (rc != TURN_OK) {
		if (rc != TURN_ERR_INVAL && rc != TURN_ERR_NOT_OURS && rc != TURN_ERR_MALFORMED &&
		    rc != TURN_ERR_UNMATCHED && rc != TURN_ERR_INTEGRITY && rc != TURN_ERR_IGNORED)
			abort();
		if ((flags & 3) == 3 && rc != TURN_ERR_NOT_OURS)
			abort();
		/* a refused datagram changes nothing */
		produced = drain(c);
		if (produced != 0 || turn_client_state(c) != before ||
		    turn_client_next_deadline(c) != d_before)
			abort();
		return;
	}
	if ((flags & 3) == 3)
		abort();
	(void)drain(c);
}

static const struct ipc_addr *
pick_peer(uint8_t b)
{
	static struct ipc_addr bad;

	if (b >= 0xf0) {
		memset(&bad, 0, sizeof(bad));
		bad.family = (b & 1) ? 4 : 5;
		bad.port = (b & 2) ? 0 : 1;
		return &bad;
	}
	return &peers[b % NPEERS];
}

static void
op_bind(struct turn_client *c, uint8_t b, int release)
{
	const struct ipc_addr *peer = pick_peer(b);
	enum turn_state st = turn_client_state(c);
	int rc;

	if (release) {
		rc = turn_client_release_channel(c, now, peer);
		if (rc != TURN_OK && rc != TURN_ERR_INVAL)
			abort();
		if (!valid_addr(peer) && rc != TURN_ERR_INVAL)
			abort();
		return;
	}
	rc = turn_client_bind_channel(c, now, peer);
	if (rc >= 0) {
		if (rc < (int)TURN_CHANNEL_MIN || rc > (int)TURN_CHANNEL_MAX || !valid_addr(peer))
			abort();
		if (st == TURN_S_FAILED || st == TURN_S_STOPPED || st == TURN_S_STOPPING)
			abort();
		/* duplicates get the same number */
		if (turn_client_bind_channel(c, now, peer) != rc)
			abort();
	} else if (rc == TURN_ERR_STATE) {
		if (st != TURN_S_FAILED && st != TURN_S_STOPPED && st != TURN_S_STOPPING &&
		    st != TURN_S_IDLE)
			abort();
	} else if (rc != TURN_ERR_INVAL && rc != TURN_ERR_FAMILY && rc != TURN_ERR_FULL) {
		abort();
	}
}

static void
op_many(struct turn_client *c, uint8_t count, uint8_t base, int release)
{
	int i;

	for (i = 0; i < (count & 0x7f) * 2; i++) {
		struct ipc_addr p = mk4(100, 64, base, (uint8_t)i, (uint16_t)(1000 + i));
		int rc;

		if (base & 1)
			p = mk6((uint8_t)i, (uint16_t)(2000 + base));
		if (release)
			rc = turn_client_release_channel(c, now, &p);
		else
			rc = turn_client_bind_channel(c, now, &p);
		if (rc < 0 && rc != TURN_ERR_INVAL && rc != TURN_ERR_FAMILY && rc != TURN_ERR_FULL &&
		    rc != TURN_ERR_STATE)
			abort();
		if (!release && rc >= 0 && (rc < (int)TURN_CHANNEL_MIN || rc > (int)TURN_CHANNEL_MAX))
			abort();
		(void)drain(c);
	}
}

static void
op_channel_data(const uint8_t *p, size_t n)
{
	static uint8_t out[70000];
	uint16_t chan, ch2;
	const uint8_t *pl;
	size_t cap, len;
	int rc, rc2;

	if (n < 4)
		return;
	chan = fz_get16(p);
	cap = p[2];
	len = p[3];
	p += 4;
	n -= 4;
	if (len > n)
		len = n;
	if (cap & 0x80)
		cap = sizeof(out);
	rc = turn_channel_data_encode(out, cap, chan, p, len);
	if (chan < TURN_CHANNEL_MIN || chan > TURN_CHANNEL_MAX) {
		if (rc != TURN_ERR_INVAL)
			abort();
	} else if (cap < TURN_CHANNEL_HDR + len) {
		if (rc != TURN_ERR_NOSPACE)
			abort();
	} else {
		if (rc != (int)(TURN_CHANNEL_HDR + len))
			abort();
		rc2 = turn_channel_data_decode(out, (size_t)rc, &ch2, &pl);
		if (rc2 != (int)len || ch2 != chan || pl != out + TURN_CHANNEL_HDR ||
		    memcmp(pl, p, len) != 0)
			abort();
		/* in place: the payload already at out + 4 */
		memcpy(out + TURN_CHANNEL_HDR, p, len);
		if (turn_channel_data_encode(out, cap, chan, out + TURN_CHANNEL_HDR, len) != rc ||
		    memcmp(out + TURN_CHANNEL_HDR, p, len) != 0 || fz_get16(out) != chan ||
		    fz_get16(out + 2) != len)
			abort();
	}
	if (turn_channel_data_encode(out, sizeof(out), TURN_CHANNEL_MIN, p, 0x10000) !=
	    TURN_ERR_INVAL)
		abort();
	/* the raw bytes as a datagram, from a buffer of exactly their size */
	{
		uint8_t *b = malloc(n > 0 ? n : 1);

		if (b == NULL)
			abort();
		memcpy(b, p, n);
		rc = turn_channel_data_decode(b, n, &ch2, &pl);
		if (rc >= 0) {
			if (n < 4 || ch2 < TURN_CHANNEL_MIN || ch2 > TURN_CHANNEL_MAX ||
			    pl != b + 4 || (size_t)rc > n - 4 || rc != fz_get16(b + 2))
				abort();
		} else if (rc != TURN_ERR_MALFORMED || (n >= 4 && fz_get16(b) >= 0x4000 &&
		    fz_get16(b) <= 0x4fff && fz_get16(b + 2) <= n - 4)) {
			abort();
		}
		free(b);
	}
}

static void
advance(struct turn_client *c, uint8_t step)
{
	if (step == 0) {
		uint64_t d = turn_client_next_deadline(c);

		if (d != UINT64_MAX && d > now)
			now = d;
	} else if (step < 128) {
		now += (uint64_t)step * 100;
	} else {
		now += (uint64_t)(step - 127) * 10000;
	}
	turn_client_timeout(c, now);
}

static struct turn_client *
start(uint8_t setup)
{
	struct turn_client *c;
	struct turn_config cfg;
	char ub[64];

	n_sent = 0;	/* entries past n_sent are never read */
	m_alloc = m_failed = m_stopped = 0;
	now = 1000;
	setup_addrs(setup);
	snprintf(ub, sizeof(ub), "%s:%s:%s", USERNAME, REALM, PASSWORD);
	fz_md5(ub, strlen(ub), ltkey);
	if ((c = turn_client_new()) == NULL)
		abort();
	memset(&cfg, 0, sizeof(cfg));
	cfg.server[0] = srv[0];
	cfg.server[1] = srv[1];
	cfg.n_server = n_srv;
	cfg.username = USERNAME;
	cfg.password = PASSWORD;
	cfg.realm = NULL;
	cfg.software = (setup & 4) ? "fz-fuzz" : NULL;
	if (turn_client_start(c, now, &cfg) != TURN_OK)
		abort();
	if (turn_client_start(c, now, &cfg) != TURN_ERR_STATE)
		abort();
	return c;
}

static void
run(const uint8_t *data, size_t size)
{
	struct turn_client *c;
	size_t i = 1;

	if (size < 1)
		return;
	fz_rnd_reset(0);
	c = start(data[0]);
	(void)drain(c);
	check_state(c);
	while (i < size) {
		uint8_t op = data[i++];

		switch (op & 7) {
		case 0: {
			size_t len;

			if (i + 4 > size) {
				i = size;
				break;
			}
			len = fz_get16(data + i + 2);
			if (len > size - i - 4)
				len = size - i - 4;
			op_datagram(c, data + i, 4 + len);
			i += 4 + len;
			break;
		}
		case 1:
			advance(c, i < size ? data[i] : 0);
			i++;
			break;
		case 2:
		case 3:
			op_bind(c, i < size ? data[i] : 0, (op & 7) == 3);
			i++;
			break;
		case 4: {
			enum turn_state st = turn_client_state(c);
			int rc = turn_client_refresh(c, now);

			if ((rc == TURN_ERR_STATE) != (st == TURN_S_FAILED || st == TURN_S_STOPPED ||
			    st == TURN_S_STOPPING || st == TURN_S_IDLE) || (rc != TURN_OK &&
			    rc != TURN_ERR_STATE))
				abort();
			break;
		}
		case 5:
			turn_client_stop(c, now);
			break;
		case 6: {
			size_t len;

			if (i + 4 > size) {
				i = size;
				break;
			}
			len = data[i + 3];
			if (len > size - i - 4)
				len = size - i - 4;
			op_channel_data(data + i, 4 + len);
			i += 4 + len;
			break;
		}
		default:
			if (i + 2 > size) {
				i = size;
				break;
			}
			op_many(c, data[i], data[i + 1], (op & 0x80) != 0);
			i += 2;
			break;
		}
		(void)drain(c);
		check_state(c);
	}
	/* a stop always ends in STOPPED, at the latest when the delete times out */
	turn_client_stop(c, now);
	(void)drain(c);
	for (i = 0; i < 20 && turn_client_state(c) == TURN_S_STOPPING; i++) {
		now += 2000;
		turn_client_timeout(c, now);
		(void)drain(c);
	}
	if (turn_client_state(c) != TURN_S_STOPPED || !m_stopped)
		abort();
	turn_client_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}

/* ---- seeds ---------------------------------------------------------------- */

struct seed {
	uint8_t b[8192];
	size_t n;
};

static void
s_put(struct seed *s, const void *p, size_t n)
{
	if (s->n + n > sizeof(s->b))
		abort();
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void
s_byte(struct seed *s, uint8_t b)
{
	s_put(s, &b, 1);
}

/* datagram record answering the sel-th newest request, re-signed */
static void
s_dgram(struct seed *s, uint8_t sel, uint8_t flags, const uint8_t *m, size_t n)
{
	uint8_t h[5] = { 0, sel, flags, (uint8_t)(n >> 8), (uint8_t)n };

	s_put(s, h, sizeof(h));
	s_put(s, m, n);
}

static StunAgent sagent;
static const uint16_t s_known[] = { 0 };

/* A server answer built with libnice: class, method, attributes, signed
 * with the long-term key (MI) and FINGERPRINT when sign. */
static size_t
build(uint8_t *buf, size_t cap, StunClass cls, StunMethod method, int sign,
    void (*attrs)(StunMessage *, void *), void *arg)
{
	StunMessage m;
	StunTransactionId id;
	size_t n;

	memset(id, 0, sizeof(id));
	id[0] = 0x21; id[1] = 0x12; id[2] = 0xa4; id[3] = 0x42;
	stun_agent_init(&sagent, s_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
	    (sign ? STUN_AGENT_USAGE_USE_FINGERPRINT : 0) | STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
	memset(&m, 0, sizeof(m));
	m.agent = &sagent;
	m.buffer = buf;
	m.buffer_len = cap;
	if (!stun_message_init(&m, cls, method, id))
		abort();
	if (attrs != NULL)
		attrs(&m, arg);
	if (sign)
		n = stun_agent_finish_message(&sagent, &m, ltkey, sizeof(ltkey));
	else
		n = stun_message_length(&m);
	if (n == 0)
		abort();
	return n;
}

static void
a_xor(StunMessage *m, StunAttribute type, const struct ipc_addr *a)
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
	if (stun_message_append_xor_addr(m, type, &ss, sl) != STUN_MESSAGE_RETURN_SUCCESS)
		abort();
}

static void
at_mapped(StunMessage *m, void *arg)
{
	(void)arg;
	a_xor(m, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &(struct ipc_addr){ .family = 4,
	    .port = 51820, .addr = { 203, 0, 113, 77 } });
}

struct errarg {
	int code;
	const char *realm;
	int nonce;
	int lifetime;	/* LIFETIME attribute if > 0 */
	int lifetime0;	/* LIFETIME 0 */
	int relay;	/* 1: v4, 2: v6, 3: both */
	int unknown;	/* comprehension-required attribute */
};

static void
at_generic(StunMessage *m, void *arg)
{
	struct errarg *e = arg;

	if (e->code != 0 && stun_message_append_error(m, (StunError)e->code) !=
	    STUN_MESSAGE_RETURN_SUCCESS)
		abort();
	if (e->realm != NULL)
		stun_message_append_string(m, STUN_ATTRIBUTE_REALM, e->realm);
	if (e->nonce)
		stun_message_append_string(m, STUN_ATTRIBUTE_NONCE, "2eb9131719bbe065");
	if (e->relay & 1)
		a_xor(m, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 4,
		    .port = 50000, .addr = { 198, 51, 100, 1 } });
	if (e->relay & 2)
		a_xor(m, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &(struct ipc_addr){ .family = 6,
		    .port = 50001, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x11 } });
	if (e->relay)
		a_xor(m, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &(struct ipc_addr){ .family = 4,
		    .port = 51820, .addr = { 203, 0, 113, 77 } });
	if (e->lifetime > 0 || e->lifetime0)
		stun_message_append32(m, STUN_ATTRIBUTE_LIFETIME, (uint32_t)e->lifetime);
	if (e->unknown)
		stun_message_append32(m, (StunAttribute)0x7777, 1);
}

static size_t
answer(uint8_t *buf, StunClass cls, StunMethod method, int sign, struct errarg e)
{
	return build(buf, 1024, cls, method, sign, at_generic, &e);
}

#define E(...) ((struct errarg){ __VA_ARGS__ })

static void
s_write(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(s->b, 1, s->n, f) != s->n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* Binding ok, 401, Allocate ok: the client is allocated. */
static void
s_allocate(struct seed *s, uint8_t setup, int sign, int relay)
{
	uint8_t m[1024];
	size_t n;

	s->n = 0;
	s_byte(s, setup);
	n = build(m, sizeof(m), STUN_RESPONSE, STUN_BINDING, sign, at_mapped, NULL);
	s_dgram(s, 0, 4, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, sign,
	    E(.code = 401, .realm = REALM, .nonce = 1));
	s_dgram(s, 0, 4, m, n);
	n = answer(m, STUN_RESPONSE, STUN_ALLOCATE, sign, E(.relay = relay, .lifetime = 600));
	s_dgram(s, 0, 4, m, n);
}

static void
write_seeds(const char *dir)
{
	static struct seed s;
	uint8_t m[1024];
	size_t n;
	char ub[64];

	snprintf(ub, sizeof(ub), "%s:%s:%s", USERNAME, REALM, PASSWORD);
	fz_md5(ub, strlen(ub), ltkey);

	/* signed (coturn style): allocate, two channels, re-bind, refresh, stop */
	s_allocate(&s, 0, 1, 3);
	s_byte(&s, 2); s_byte(&s, 0);		/* bind peer 0 */
	s_byte(&s, 2); s_byte(&s, 4);		/* bind peer 4 (v6) */
	n = answer(m, STUN_RESPONSE, STUN_CHANNELBIND, 1, E(.code = 0));
	s_dgram(&s, 1, 4, m, n);
	s_dgram(&s, 0, 4, m, n);
	s_byte(&s, 1); s_byte(&s, 128 + 24);	/* 250 s: re-bind, refresh due */
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_RESPONSE, STUN_REFRESH, 1, E(.lifetime = 600));
	s_dgram(&s, 2, 4, m, n);
	s_byte(&s, 3); s_byte(&s, 0);		/* release peer 0 */
	s_byte(&s, 5);				/* stop */
	n = answer(m, STUN_RESPONSE, STUN_REFRESH, 1, E(.lifetime0 = 1));
	s_dgram(&s, 0, 4, m, n);
	s_write(dir, "signed_session", &s);

	/* Firezone relay style (no FINGERPRINT; the harness signs the answers
	 * to signed requests), two servers, v4 only relay */
	s_allocate(&s, 2, 0, 1);
	s_byte(&s, 2); s_byte(&s, 1);
	s_byte(&s, 2); s_byte(&s, 5);		/* v6 peer: no v6 relay */
	n = answer(m, STUN_RESPONSE, STUN_CHANNELBIND, 0, E(.code = 0));
	s_dgram(&s, 0, 4, m, n);
	s_byte(&s, 1); s_byte(&s, 0);		/* to the next deadline */
	s_byte(&s, 1); s_byte(&s, 0);
	s_write(dir, "unsigned_two_servers", &s);

	/* buffered channels before the allocation, then allocation */
	s.n = 0;
	s_byte(&s, 1);
	s_byte(&s, 2); s_byte(&s, 2);
	s_byte(&s, 2); s_byte(&s, 6);
	s_byte(&s, 7); s_byte(&s, 60); s_byte(&s, 2);
	n = build(m, sizeof(m), STUN_RESPONSE, STUN_BINDING, 0, at_mapped, NULL);
	s_dgram(&s, 0, 0, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, 0, E(.code = 401, .realm = REALM, .nonce = 1));
	s_dgram(&s, 0, 0, m, n);
	n = answer(m, STUN_RESPONSE, STUN_ALLOCATE, 0, E(.relay = 2, .lifetime = 60));
	s_dgram(&s, 0, 4, m, n);	/* answers to signed requests are signed */
	s_write(dir, "buffered_channels", &s);

	/* Allocate errors: 437 -> delete -> Allocate, 440 -> single family,
	 * 438 stale nonce, then 486 */
	s.n = 0;
	s_byte(&s, 0);
	n = build(m, sizeof(m), STUN_RESPONSE, STUN_BINDING, 1, at_mapped, NULL);
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, 1, E(.code = 401, .realm = REALM, .nonce = 1));
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, 1, E(.code = 437));
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_RESPONSE, STUN_REFRESH, 1, E(.lifetime0 = 1));
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, 1, E(.code = 440));
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, 1, E(.code = 438, .realm = REALM, .nonce = 1));
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, 1, E(.code = 486));
	s_dgram(&s, 0, 4, m, n);
	s_byte(&s, 4);				/* refresh: start over */
	s_write(dir, "allocate_errors", &s);

	/* allocated, then Refresh 437, channel 400, unknown attribute, expiry */
	s_allocate(&s, 3, 0, 3);
	s_byte(&s, 2); s_byte(&s, 0);
	n = answer(m, STUN_ERROR, STUN_CHANNELBIND, 0, E(.code = 400));
	s_dgram(&s, 0, 4, m, n);
	s_byte(&s, 4);
	n = answer(m, STUN_ERROR, STUN_REFRESH, 0, E(.code = 437));
	s_dgram(&s, 0, 4, m, n);
	n = answer(m, STUN_RESPONSE, STUN_ALLOCATE, 0, E(.relay = 3, .lifetime = 600, .unknown = 1));
	s_dgram(&s, 0, 4, m, n);
	s_byte(&s, 1); s_byte(&s, 255);
	s_write(dir, "refresh_mismatch", &s);

	/* challenge for another realm; Binding timeouts */
	s.n = 0;
	s_byte(&s, 2);
	n = build(m, sizeof(m), STUN_RESPONSE, STUN_BINDING, 0, at_mapped, NULL);
	s_dgram(&s, 0, 0, m, n);
	n = answer(m, STUN_ERROR, STUN_ALLOCATE, 0, E(.code = 401, .realm = "other", .nonce = 1));
	s_dgram(&s, 0, 0, m, n);
	s_write(dir, "other_realm", &s);
	s.n = 0;
	s_byte(&s, 3);
	for (n = 0; n < 8; n++) {
		s_byte(&s, 1);
		s_byte(&s, 0);
	}
	s_write(dir, "timeouts", &s);

	/* ChannelData helpers */
	s.n = 0;
	s_byte(&s, 0);
	s_put(&s, "\x06\x40\x01\x80\x05hello", 10);
	s_put(&s, "\x06\x4f\xff\x06\x05hello", 10);
	s_put(&s, "\x06\x40\x00\x80\x08\x40\x00\x00\x04ping", 13);
	s_write(dir, "channel_data", &s);

	/* the coturn 4.6.1 session of tests/fixtures/turn, server lines */
	{
		const char *fx = getenv("FZ_TURN_FIXTURE");
		char line[4096];
		FILE *f;
		int k = 0;
		/* sel per answer: Binding, 401, Allocate, ChannelBind x2, re-bind,
		 * Refresh, delete */
		static const uint8_t sels[] = { 0, 0, 0, 1, 0, 1, 0, 0 };
		static const uint8_t before[8][3] = {
			{ 0 }, { 0 }, { 0 }, { 2, 0 }, { 0 }, { 1, 128 + 24 }, { 4 }, { 5 },
		};

		if (fx == NULL)
			fx = "tests/fixtures/turn/coturn-4.6.1-session.txt";
		if ((f = fopen(fx, "r")) == NULL) {
			perror(fx);
			exit(1);
		}
		s.n = 0;
		s_byte(&s, 0);
		while (fgets(line, sizeof(line), f) != NULL) {
			size_t len = strcspn(line, "\r\n"), j;

			if (len < 4 || line[0] != '<' || line[2] == '4' || k >= 8)
				continue;	/* ChannelData starts with 0x4 */
			n = 0;
			for (j = 2; j + 1 < len && n < sizeof(m); j += 2) {
				unsigned v;

				if (sscanf(line + j, "%2x", &v) != 1)
					abort();
				m[n++] = (uint8_t)v;
			}
			if (k == 3) {
				s_byte(&s, 2); s_byte(&s, 0);
				s_byte(&s, 2); s_byte(&s, 1);
			} else if (before[k][0] == 1) {
				s_byte(&s, 1); s_byte(&s, before[k][1]);
			} else if (before[k][0] == 4 || before[k][0] == 5) {
				s_byte(&s, before[k][0]);
			}
			s_dgram(&s, sels[k], 4, m, n);
			k++;
		}
		fclose(f);
		s_write(dir, "coturn_session", &s);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FZ_TURN_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	fz_debug = getenv("FZ_TURN_DEBUG") != NULL;
	log_init("fuzz", fz_debug ? LOG_LVL_DEBUG : LOG_LVL_ERROR, LOG_FMT_TEXT);
	if (dir != NULL) {
		write_seeds(dir);
		fprintf(stderr, "seeds written to %s\n", dir);
		exit(0);
	}
	return 0;
}
