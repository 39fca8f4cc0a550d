/*
 * fuzz_ice.c - libFuzzer target for control/ice.c and control/ice_cand.c:
 * one controlled agent with fixed credentials (local "gwuf", remote
 * "clnt"), a few local candidates, driven by the input on a fake clock.
 *
 * Input: byte 0 = setup (bit 0: pacing Ta 20 ms; bit 1: two remote host
 * candidates signalled first; bit 2: no relayed local candidate), then
 * records:
 *   op 0  datagram: flags, sel, len (2 bytes), bytes, to ice_agent_receive.
 *         flags bits 0-2 pick the local address (host v4, host v6, relayed
 *         v4, srflx, unknown), bit 3 via_relay, bits 4-5 the source; bit 6
 *         makes it an answer to one of our checks (sel counts back from
 *         the newest): its transaction id, from = the check's destination,
 *         local = its source, via_relay alike; bit 7 re-signs
 *         MESSAGE-INTEGRITY (requests: local password, answers: remote
 *         password) and FINGERPRINT.  ice_match_username and
 *         ice_match_txid run on the bytes too.
 *   op 1  time: step (0: to the next deadline, 1-127: x50 ms, 128-255:
 *         x5 s), ice_agent_tick
 *   op 2  ice_agent_add_remote, op 3 ice_agent_remove_remote: len, string
 *   op 4  add or remove a local candidate (type, address, add bit)
 *   op 5  ice_agent_traffic
 *   op 6  a templated remote candidate (type, address, priority bytes)
 *   op 7  remove a templated remote candidate
 * After every call the transmits due are polled (as the glue does) and
 * the events drained, and checked: every check is a Binding request whose
 * transaction id the table of outstanding checks gives to our agent (and
 * an answered one no longer), USERNAME "clnt:gwuf", the role attribute of
 * our current role,
 * USE-CANDIDATE only when controlling, MESSAGE-INTEGRITY (remote password)
 * and FINGERPRINT right, from one of our host/relayed candidates to a
 * remote address we know; every answer to a request keeps its transaction
 * id, verifies with our password, carries no USERNAME and goes back where
 * the request came from; nothing is answered unless ICE_OK, and only for
 * "gwuf:clnt";
 * events in order (FAILED once and then only LOCAL_INVALIDATED, PATH_LOST
 * only with a path, IDLE/ACTIVE alternating as ice_agent_is_idle says,
 * invalidated strings are ones signalled before); a failed agent sends
 * nothing and has no deadline.
 *
 * FZ_ICE_WRITE_SEEDS=<dir> writes seeds: checks built with libnice's
 * stun_usage_ice_conncheck_create and answers signed with the right
 * passwords, so the fuzzer starts from authenticated messages.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "ice.h"
#include "log.h"

#include "fuzz_stun_common.c"

#define L_UFRAG	"gwuf"
#define L_PWD	"gatewaypassword0123456789"
#define R_UFRAG	"clnt"
#define R_PWD	"clientpassword0123456789"
#define TAG	0x11223344u
#define TIE	0x8000000000000000ull
#define SENT_MAX 64
#define NLOC	6
#define NREM	5

struct sent {
	uint8_t id[12];
	struct ipc_addr from, to;
	uint8_t via_relay;
};

static struct sent sent[SENT_MAX];
static size_t n_sent;
static struct ipc_addr LOC[NLOC], REM[NREM];
static int loc_in[4][NLOC];		/* model: local candidates by type */
static char signalled[64][ICE_OUR_CAND_MAX + 1];
static uint64_t now;
static int m_failed, m_path, m_idle, fz_debug;
/* addresses the agent may send checks to: signalled or seen */
static struct ipc_addr known[256];
static size_t n_known;

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

static void
universe(void)
{
	LOC[0] = mk4(192, 0, 2, 1, 51820);	/* host v4 */
	LOC[1] = mk6(1, 51820);			/* host v6 */
	LOC[2] = mk4(198, 51, 100, 7, 40000);	/* relayed v4 */
	LOC[3] = mk4(203, 0, 113, 5, 51820);	/* srflx */
	LOC[4] = mk4(192, 0, 2, 99, 1);		/* not ours */
	LOC[5] = mk6(7, 40001);			/* relayed v6 */
	REM[0] = mk4(192, 0, 2, 50, 40001);
	REM[1] = mk6(0x50, 40001);
	REM[2] = mk4(198, 51, 100, 9, 3478);	/* the peer as a relay sees it */
	REM[3] = mk4(192, 0, 2, 51, 40002);
	REM[4] = mk6(0x51, 40002);
}

static int
addr_eq(const struct ipc_addr *a, const struct ipc_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == 6 ? 16 : 4) == 0;
}

static void
know(const struct ipc_addr *a)
{
	size_t i;

	for (i = 0; i < n_known; i++)
		if (addr_eq(&known[i], a))
			return;
	if (n_known < sizeof(known) / sizeof(known[0]))
		known[n_known++] = *a;
}

static int
is_known(const struct ipc_addr *a)
{
	size_t i;

	for (i = 0; i < n_known; i++)
		if (addr_eq(&known[i], a))
			return 1;
	return n_known == sizeof(known) / sizeof(known[0]);
}

/* one of our live candidates: relayed if relay, else host */
static int
is_local(const struct ipc_addr *a, int relay)
{
	int i;

	for (i = 0; i < NLOC; i++)
		if (addr_eq(&LOC[i], a) && loc_in[relay ? ICE_CAND_RELAY : ICE_CAND_HOST][i])
			return 1;
	return 0;
}

/* ---- checks on output ----------------------------------------------------- */

static void
check_tx(struct ice_agent *a, const struct ice_tx *tx)
{
	static const uint8_t user[] = R_UFRAG ":" L_UFRAG;
	uint16_t alen = 0;
	size_t off;
	int ctl = ice_agent_is_controlling(a);
	uint32_t tag;

	if (tx->len < 20 || tx->len > ICE_TX_MAX)
		abort();
	fz_stun_verify(tx->data, tx->len, (const uint8_t *)R_PWD, strlen(R_PWD), 1);
	if (fz_get16(tx->data) != 0x0001)
		abort();
	if (ice_match_txid(tx->data, tx->len, &tag) != ICE_ENOTSTUN)
		abort();
	{
		/* an answer with this id reaches our agent through the table */
		uint8_t hdr[20];

		memcpy(hdr, tx->data, sizeof(hdr));
		hdr[0] = 0x01;
		hdr[1] = 0x01;
		hdr[2] = 0;
		hdr[3] = 0;
		if (ice_match_txid(hdr, sizeof(hdr), &tag) != ICE_OK || tag != TAG)
			abort();
	}
	off = fz_stun_attr(tx->data, tx->len, 0x0006, &alen);
	if (off == 0 || alen != sizeof(user) - 1 || memcmp(tx->data + off + 4, user, alen) != 0)
		abort();
	if (fz_stun_attr(tx->data, tx->len, 0x0024, &alen) == 0 || alen != 4)
		abort();
	if ((fz_stun_attr(tx->data, tx->len, ctl ? 0x802a : 0x8029, &alen) == 0) ||
	    fz_stun_attr(tx->data, tx->len, ctl ? 0x8029 : 0x802a, &alen) != 0)
		abort();
	if (!ctl && fz_stun_attr(tx->data, tx->len, 0x0025, &alen) != 0)
		abort();
	if (tx->via_relay > 1 || !is_local(&tx->from, tx->via_relay))
		abort();
	if (!is_known(&tx->to) || tx->to.family != tx->from.family)
		abort();
	{
		struct sent *s = &sent[n_sent % SENT_MAX];

		memcpy(s->id, tx->data + 8, 12);
		s->from = tx->from;
		s->to = tx->to;
		s->via_relay = tx->via_relay;
		n_sent++;
	}
}

static void
signal_add(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		if (signalled[i][0] == '\0') {
			snprintf(signalled[i], sizeof(signalled[i]), "%s", s);
			return;
		}
	}
}

static void
drain(struct ice_agent *a)
{
	struct ice_event ev;
	struct ice_tx tx;
	int rc, n = 0;
	size_t i;

	while ((rc = ice_agent_poll_transmit(a, now, &tx)) == 1) {
		if (m_failed)
			abort();
		check_tx(a, &tx);
		if (++n > 4 * ICE_MAX_PAIRS)
			abort();	/* checks are paced by their due times */
	}
	if (rc != 0)
		abort();
	while (ice_agent_poll_event(a, &ev) == 1) {
		if (fz_debug)
			fprintf(stderr, "event %d reason %d\n", (int)ev.type, (int)ev.reason);
		if (m_failed && ev.type != ICE_EV_LOCAL_INVALIDATED)
			abort();
		switch (ev.type) {
		case ICE_EV_LOCAL_CANDIDATE: {
			struct ice_cand c;

			if (ice_cand_parse(ev.cand, strlen(ev.cand), &c) != ICE_OK ||
			    c.component != 1 || !c.udp || c.type == ICE_CAND_PRFLX)
				abort();
			signal_add(ev.cand);
			break;
		}
		case ICE_EV_LOCAL_INVALIDATED:
			for (i = 0; i < 64; i++)
				if (strcmp(signalled[i], ev.cand) == 0)
					break;
			if (i == 64 || ev.cand[0] == '\0')
				abort();
			signalled[i][0] = '\0';
			break;
		case ICE_EV_REMOTE_SOURCE:
		case ICE_EV_NOMINATED:
			if (ev.via_relay > 1 || !is_local(&ev.local, ev.via_relay) ||
			    ev.remote.family != ev.local.family || ev.remote.port == 0)
				abort();
			if (ev.type == ICE_EV_NOMINATED)
				m_path = 1;
			break;
		case ICE_EV_PATH_LOST:
			if (!m_path)
				abort();
			m_path = 0;
			break;
		case ICE_EV_IDLE:
			if (m_idle || !m_path)
				abort();
			m_idle = 1;
			break;
		case ICE_EV_ACTIVE:
			if (!m_idle)
				abort();
			m_idle = 0;
			break;
		case ICE_EV_FAILED:
			if (ev.reason != ICE_FAIL_NO_CANDIDATES && ev.reason != ICE_FAIL_DISCONNECTED)
				abort();
			m_failed = 1;
			break;
		default:
			abort();
		}
	}
	if (ice_agent_is_idle(a) != m_idle)
		abort();
	if (ice_agent_pair_count(a) < 0 || ice_agent_pair_count(a) > ICE_MAX_PAIRS)
		abort();
	if (m_failed) {
		if (ice_agent_next_deadline(a) != UINT64_MAX ||
		    ice_agent_poll_transmit(a, now, &tx) != 0 || tx.len != 0)
			abort();
	}
}

/* ---- operations -------------------------------------------------------------- */

static void
op_recv(struct ice_agent *a, uint8_t flags, uint8_t sel, const uint8_t *p, size_t len)
{
	char ul[ICE_UFRAG_MAX + 1], ur[ICE_UFRAG_MAX + 1];
	struct ice_rx rx;
	struct ice_tx reply;
	uint8_t *buf = malloc(len > 0 ? len : 1);
	int rc, mu, mt, is_req;
	uint32_t tag, mtag = 0;

	if (buf == NULL)
		abort();
	memcpy(buf, p, len);
	memset(&rx, 0, sizeof(rx));
	rx.local = LOC[(flags & 7) % NLOC];
	rx.via_relay = (flags >> 3) & 1;
	rx.from = REM[((flags >> 4) & 3) + ((flags & 4) && (flags & 0x30) == 0x30)];
	if ((flags & 0x40) && n_sent > 0) {
		size_t k = sel % (n_sent < SENT_MAX ? n_sent : SENT_MAX);
		const struct sent *s = &sent[(n_sent - 1 - k) % SENT_MAX];

		if (len >= 20)
			memcpy(buf + 8, s->id, 12);
		rx.local = s->from;
		rx.from = s->to;
		rx.via_relay = s->via_relay;
	}
	is_req = len >= 2 && (fz_get16(buf) & 0x0110) == 0;
	if (flags & 0x80) {
		if (is_req)
			fz_stun_sign(buf, len, (const uint8_t *)L_PWD, strlen(L_PWD));
		else
			fz_stun_sign(buf, len, (const uint8_t *)R_PWD, strlen(R_PWD));
	}
	rx.data = buf;
	rx.len = len;

	mu = ice_match_username(buf, len, ul, (sel & 1) ? NULL : ur);
	/* bytes are copied as they are (a NUL inside never matches an agent's
	 * USERNAME check): the terminator sits at the returned length */
	if (mu >= 0 && (mu == 0 || mu > ICE_UFRAG_MAX || ul[mu] != '\0'))
		abort();
	if (mu < 0 && mu != ICE_ENOTSTUN && mu != ICE_EPARSE)
		abort();
	mt = ice_match_txid(buf, len, &mtag);
	if (mt == ICE_OK && len < 20)
		abort();

	memset(&reply, 0xa5, sizeof(reply));
	rc = ice_agent_receive(a, now, &rx, &reply);
	if (fz_debug)
		fprintf(stderr, "receive %zu bytes: %d reply %u\n", len, rc, (unsigned)reply.len);
	switch (rc) {
	case ICE_OK:
		if (m_failed)
			abort();
		if (mu >= 0) {
			/* an accepted request: for us, answered where it came from */
			if (mu != 4 || strcmp(ul, L_UFRAG) != 0 ||
			    (!(sel & 1) && strcmp(ur, R_UFRAG) != 0))
				abort();
			if (reply.len < 20 || reply.len > ICE_TX_MAX)
				abort();
			fz_stun_verify(reply.data, reply.len, (const uint8_t *)L_PWD,
			    strlen(L_PWD), 1);
			if (fz_get16(reply.data) != 0x0101 && fz_get16(reply.data) != 0x0111)
				abort();
			{
				uint16_t ul16;

				if (fz_stun_attr(reply.data, reply.len, 0x0006, &ul16) != 0)
					abort();	/* RFC 8489 9.1.3: no USERNAME */
			}
			if (memcmp(reply.data + 8, buf + 8, 12) != 0 ||
			    !addr_eq(&reply.to, &rx.from) || !addr_eq(&reply.from, &rx.local) ||
			    reply.via_relay != rx.via_relay)
				abort();
			know(&rx.from);
		} else {
			/* an answer to one of our outstanding checks, which is
			 * then over */
			if (mt != ICE_OK || mtag != TAG || reply.len != 0 ||
			    ice_match_txid(buf, len, &tag) != ICE_ENOMATCH)
				abort();
		}
		break;
	case ICE_ENOTSTUN:
	case ICE_ENOMATCH:
	case ICE_EAUTH:
	case ICE_EDROPPED:
		if (reply.len != 0)
			abort();
		break;
	default:
		abort();
	}
	free(buf);
}

static void
cand_str(char *out, size_t cap, uint8_t b, uint8_t prio)
{
	static const char *const types[] = { "host", "srflx", "prflx", "relay" };
	char ip[INET6_ADDRSTRLEN];
	const struct ipc_addr *r = &REM[b % NREM];

	inet_ntop(r->family == 6 ? AF_INET6 : AF_INET, r->addr, ip, sizeof(ip));
	snprintf(out, cap, "candidate:%u 1 udp %u %s %u typ %s%s", (unsigned)(b >> 4),
	    (unsigned)prio * 16777216u + 255u, ip, (unsigned)r->port, types[(b >> 3) & 3],
	    (b & 0x80) ? " raddr 10.0.0.1 rport 9" : "");
}

static void
remote_op(struct ice_agent *a, const char *s, size_t n, int add)
{
	char *p = malloc(n > 0 ? n : 1);
	struct ice_cand c;
	int rc, prc;

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	prc = ice_cand_parse(p, n, &c);
	rc = add ? ice_agent_add_remote(a, p, n, now) : ice_agent_remove_remote(a, p, n, now);
	free(p);
	if (prc != ICE_OK) {
		if (rc != prc && !(add && m_failed && rc == ICE_EIGNORED))
			abort();
		return;
	}
	if (add) {
		if (rc == ICE_OK) {
			if (m_failed || c.component != 1 || !c.udp)
				abort();
			know(&c.addr);
		} else if (rc != ICE_EIGNORED && rc != ICE_EFULL) {
			abort();
		}
	} else if (rc != ICE_OK && rc != ICE_ENOENT) {
		abort();
	}
}

static void
local_op(struct ice_agent *a, uint8_t b)
{
	enum ice_cand_type type = (enum ice_cand_type)(b & 3);
	int i = (b >> 2) % NLOC, rc;

	if (b & 0x80) {
		rc = ice_agent_remove_local(a, type, &LOC[i], now);
		if (rc != (loc_in[type][i] ? ICE_OK : ICE_ENOENT))
			abort();
		loc_in[type][i] = 0;
		return;
	}
	rc = ice_agent_add_local(a, type, &LOC[i], now);
	if (rc == ICE_OK) {
		if (loc_in[type][i] || m_failed || type == ICE_CAND_PRFLX)
			abort();
		loc_in[type][i] = 1;
	} else if (rc == ICE_EIGNORED) {
		if (!loc_in[type][i])
			abort();
	} else if (rc != ICE_EINVAL && rc != ICE_EFULL) {
		abort();
	}
}

static void
advance(struct ice_agent *a, uint8_t step)
{
	if (step == 0) {
		uint64_t d = ice_agent_next_deadline(a);

		if (d != UINT64_MAX && d > now)
			now = d;
	} else if (step < 128) {
		now += (uint64_t)step * 50;
	} else {
		now += (uint64_t)(step - 127) * 5000;
	}
	ice_agent_tick(a, now);
}

static void
run(const uint8_t *data, size_t size)
{
	struct ice_config cfg;
	struct ice_agent *a;
	size_t i = 1;
	char s[256];

	if (size < 1)
		return;
	fz_rnd_reset(0);
	universe();
	memset(sent, 0, sizeof(sent));
	memset(loc_in, 0, sizeof(loc_in));
	memset(signalled, 0, sizeof(signalled));
	n_sent = n_known = 0;
	m_failed = m_path = m_idle = 0;
	now = 5000;
	memset(&cfg, 0, sizeof(cfg));
	cfg.tag = TAG;
	cfg.tie_breaker = TIE;
	cfg.ta_ms = (data[0] & 1) ? 20 : 0;
	if (ice_agent_new(L_UFRAG, "short", R_UFRAG, R_PWD, &cfg, now) != NULL)
		abort();
	if ((a = ice_agent_new(L_UFRAG, L_PWD, R_UFRAG, R_PWD, &cfg, now)) == NULL)
		abort();
	if (ice_agent_tag(a) != TAG || strcmp(ice_agent_local_ufrag(a), L_UFRAG) != 0)
		abort();
	local_op(a, (uint8_t)(ICE_CAND_HOST | 0 << 2));
	local_op(a, (uint8_t)(ICE_CAND_HOST | 1 << 2));
	local_op(a, (uint8_t)(ICE_CAND_SRFLX | 3 << 2));
	if (!(data[0] & 4))
		local_op(a, (uint8_t)(ICE_CAND_RELAY | 2 << 2));
	if (data[0] & 2) {
		cand_str(s, sizeof(s), 0, 126);
		remote_op(a, s, strlen(s), 1);
		cand_str(s, sizeof(s), 1, 126);
		remote_op(a, s, strlen(s), 1);
	}
	drain(a);
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
			op_recv(a, data[i], data[i + 1], data + i + 4, len);
			i += 4 + len;
			break;
		}
		case 1:
			advance(a, i < size ? data[i] : 0);
			i++;
			break;
		case 2:
		case 3: {
			size_t len = i < size ? data[i++] : 0;

			if (len > size - i)
				len = size - i;
			remote_op(a, (const char *)data + i, len, (op & 7) == 2);
			i += len;
			break;
		}
		case 4:
			local_op(a, i < size ? data[i] : 0);
			i++;
			break;
		case 5:
			ice_agent_traffic(a, now);
			break;
		default:
			if (i + 2 > size) {
				i = size;
				break;
			}
			cand_str(s, sizeof(s), data[i], data[i + 1]);
			remote_op(a, s, strlen(s), (op & 7) == 6);
			i += 2;
			break;
		}
		drain(a);
	}
	ice_agent_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}

/* ---- seeds ---------------------------------------------------------------- */

struct seed {
	uint8_t b[4096];
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
s_bytes(struct seed *s, int n, ...)
{
	va_list ap;
	int k;

	va_start(ap, n);
	for (k = 0; k < n; k++) {
		uint8_t b = (uint8_t)va_arg(ap, int);

		s_put(s, &b, 1);
	}
	va_end(ap);
}

static void
s_dgram(struct seed *s, uint8_t flags, uint8_t sel, const uint8_t *m, size_t n)
{
	uint8_t h[5] = { 0, flags, sel, (uint8_t)(n >> 8), (uint8_t)n };

	s_put(s, h, sizeof(h));
	s_put(s, m, n);
}

static const uint16_t s_known[] = {
	STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_PRIORITY,
	STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLED,
	STUN_ATTRIBUTE_ICE_CONTROLLING, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, 0
};

/* a check from the client: USERNAME "gwuf:clnt", signed with our password */
static size_t
check_req(uint8_t *buf, size_t cap, int use_cand, int controlling, uint64_t tie)
{
	static const char user[] = L_UFRAG ":" R_UFRAG;
	StunAgent ag;
	StunMessage m;
	size_t n;

	stun_agent_init(&ag, s_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	n = stun_usage_ice_conncheck_create(&ag, &m, buf, cap, (const uint8_t *)user,
	    strlen(user), (const uint8_t *)L_PWD, strlen(L_PWD), use_cand, controlling,
	    0x6e7fff00u, tie, NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	if (n == 0)
		abort();
	return n;
}

/* the client's answer to one of our checks (id rewritten when fuzzing) */
static size_t
check_resp(uint8_t *buf, size_t cap, int err487)
{
	StunAgent ag;
	StunMessage m;
	StunTransactionId id;
	struct sockaddr_in sin;
	size_t n;

	memset(id, 0, sizeof(id));
	id[0] = 0x21; id[1] = 0x12; id[2] = 0xa4; id[3] = 0x42;
	stun_agent_init(&ag, s_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	memset(&m, 0, sizeof(m));
	m.agent = &ag;
	m.buffer = buf;
	m.buffer_len = cap;
	if (!stun_message_init(&m, err487 ? STUN_ERROR : STUN_RESPONSE, STUN_BINDING, id))
		abort();
	if (err487) {
		if (stun_message_append_error(&m, STUN_ERROR_ROLE_CONFLICT) !=
		    STUN_MESSAGE_RETURN_SUCCESS)
			abort();
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(51820);
		sin.sin_addr.s_addr = htonl(0xcb007105);
		if (stun_message_append_xor_addr(&m, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
		    (struct sockaddr_storage *)&sin, sizeof(sin)) != STUN_MESSAGE_RETURN_SUCCESS)
			abort();
	}
	n = stun_agent_finish_message(&ag, &m, (const uint8_t *)R_PWD, strlen(R_PWD));
	if (n == 0)
		abort();
	return n;
}

static void
s_str(struct seed *s, uint8_t op, const char *str)
{
	s_bytes(s, 2, op, (int)strlen(str));
	s_put(s, str, strlen(str));
}

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

static void
write_seeds(const char *dir)
{
	static struct seed s;
	uint8_t m[1024], r[1024], e[1024];
	size_t n, rn, en;

	rn = check_resp(r, sizeof(r), 0);
	en = check_resp(e, sizeof(e), 1);

	/* the client nominates (host v4), we check back, it answers; idle, active */
	s.n = 0;
	s_bytes(&s, 1, 2);
	n = check_req(m, sizeof(m), 1, 1, 1);
	s_dgram(&s, 0x00, 0, m, n);		/* local host v4, from REM[0] */
	s_dgram(&s, 0xc0, 0, r, rn);		/* answer our newest check */
	s_bytes(&s, 2, 1, 0);
	s_dgram(&s, 0xc0, 0, r, rn);
	s_bytes(&s, 2, 1, 130);			/* 15 s: idle */
	s_bytes(&s, 1, 5);			/* traffic: active */
	s_bytes(&s, 2, 1, 0);
	s_write(dir, "nominate_host4", &s);

	/* peer-reflexive source over IPv6, then signalled; remove it */
	s.n = 0;
	s_bytes(&s, 1, 0);
	n = check_req(m, sizeof(m), 0, 1, 1);
	s_dgram(&s, 0x31 & 0x31, 0, m, n);	/* local host v6, from REM[3]? */
	s_dgram(&s, 0x01 | 0x10, 0, m, n);	/* local host v6, from REM[1] */
	s_str(&s, 2, "candidate:9 1 udp 2130706431 2001:db8::50 40001 typ host ufrag clnt");
	s_dgram(&s, 0xc0, 0, r, rn);
	s_str(&s, 3, "candidate:9 1 udp 2130706431 2001:db8::50 40001 typ host");
	s_bytes(&s, 2, 1, 0);
	s_write(dir, "prflx_then_signalled", &s);

	/* relayed: the client's check arrives through the relay */
	s.n = 0;
	s_bytes(&s, 1, 0);
	s_bytes(&s, 3, 6, 0x12, 2);		/* relay candidate at REM[2] */
	n = check_req(m, sizeof(m), 1, 1, 1);
	s_dgram(&s, 0x02 | 0x08 | 0x20, 0, m, n);
	s_dgram(&s, 0xc0, 0, r, rn);
	s_bytes(&s, 2, 4, 0x80 | (2 << 2) | ICE_CAND_RELAY);	/* relay gone */
	s_bytes(&s, 2, 1, 0);
	s_write(dir, "relayed", &s);

	/* role conflicts: a controlled peer with a larger and a smaller
	 * tie-breaker; our check answered with 487 */
	s.n = 0;
	s_bytes(&s, 1, 2);
	n = check_req(m, sizeof(m), 0, 0, 0xffffffffffffffffull);
	s_dgram(&s, 0x00, 0, m, n);
	n = check_req(m, sizeof(m), 0, 0, 1);
	s_dgram(&s, 0x00, 0, m, n);
	s_bytes(&s, 2, 1, 0);
	s_dgram(&s, 0xc0, 0, e, en);
	s_bytes(&s, 2, 1, 0);
	s_dgram(&s, 0xc0, 0, r, rn);
	s_bytes(&s, 2, 1, 0);
	s_dgram(&s, 0xc0, 0, r, rn);
	s_write(dir, "role_conflict", &s);

	/* candidates: strings of every shape; ticks until it fails */
	s.n = 0;
	s_bytes(&s, 1, 1);
	s_str(&s, 2, "candidate:1 1 udp 2130706431 192.0.2.50 40001 typ host");
	s_str(&s, 2, "a=candidate:2 1 UDP 1694498815 192.0.2.51 40002 typ srflx raddr 10.0.0.1 rport 9 generation 0 network-id 1");
	s_str(&s, 2, "candidate:3 1 udp 16777215 2001:db8::51 40002 typ relay raddr :: rport 0");
	s_str(&s, 2, "candidate:4 2 udp 1 192.0.2.52 1 typ host");
	s_str(&s, 2, "candidate:5 1 tcp 1 192.0.2.53 1 typ host tcptype passive");
	s_str(&s, 2, "candidate:6 1 udp 1 192.0.2.54 1 typ host ufrag zzzz");
	s_str(&s, 3, "candidate:2 1 udp 1 192.0.2.51 40002 typ srflx raddr 10.0.0.1 rport 9");
	s_bytes(&s, 2, 4, 0x80 | (0 << 2) | ICE_CAND_HOST);
	s_bytes(&s, 2, 4, (5 << 2) | ICE_CAND_RELAY);
	s_bytes(&s, 2, 1, 0);
	s_bytes(&s, 2, 1, 0);
	s_bytes(&s, 2, 1, 0);
	s_bytes(&s, 2, 1, 200);
	s_write(dir, "candidates", &s);

	/* nothing signalled: fails after 10 s */
	s.n = 0;
	s_bytes(&s, 3, 0, 1, 129);
	s_write(dir, "no_candidates", &s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FZ_ICE_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	fz_debug = getenv("FZ_ICE_DEBUG") != NULL;
	log_init("fuzz", fz_debug ? LOG_LVL_DEBUG : LOG_LVL_ERROR, LOG_FMT_TEXT);
	if (dir != NULL) {
		write_seeds(dir);
		fprintf(stderr, "seeds written to %s\n", dir);
		exit(0);
	}
	return 0;
}
