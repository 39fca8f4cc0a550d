/*
 * fuzz_relaytab.c - libFuzzer target for dataplane/relaytab.c: the
 * ChannelData splitter and the server / channel tables, against a naive
 * model.
 *
 * Input: byte 0 selects what the whole input is also used for (bit 0:
 * relaytab_decode of the whole input, done always, and relaytab_encode of
 * what it decoded, which must give the same bytes back); then records of
 * (op, argument bytes) drive relaytab_server add/remove and
 * relaytab_channel bind/unbind over a small universe of addresses (a few
 * servers with IPv4 and IPv6 entries, some differing only in the port, in
 * the pad byte or in the bytes an IPv4 address does not use) and of
 * channel numbers (a handful, some out of the 0x4000-0x4FFF range).
 * After every operation each (server, channel) of the universe is looked
 * up and compared with the model (a flat array), as are n_servers,
 * n_channels and relaytab_is_server.  relaytab_free leaves nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relaytab.h"

#define NSRV	12	/* address universe */
#define NCHAN	6

static const uint16_t chans[NCHAN] = { 0x4000, 0x4001, 0x4FFF, 0x4abc, 0x3fff, 0x5000 };

struct model_chan {
	int bound;
	struct ipc_addr peer, relayed;
};

struct model {
	int srv[NSRV];		/* is a server (by canonical class) */
	struct model_chan ch[NSRV][NCHAN];
};

/*
 * Universe: several encodings of the same address are one class
 * (addr_equal ignores pad and, for IPv4, bytes 4-15).
 */
static struct ipc_addr U[NSRV];
static int cls[NSRV];

static void
universe(void)
{
	int i;

	memset(U, 0, sizeof(U));
	for (i = 0; i < NSRV; i++)
		cls[i] = i;
	/* 0: 192.0.2.1:3478 */
	U[0].family = 4; U[0].port = 3478;
	U[0].addr[0] = 192; U[0].addr[2] = 2; U[0].addr[3] = 1;
	/* 1: same, other pad and junk after the IPv4 bytes: same class */
	U[1] = U[0]; U[1].pad = 7; U[1].addr[9] = 0xaa; cls[1] = 0;
	/* 2: other port */
	U[2] = U[0]; U[2].port = 3479;
	/* 3: other address */
	U[3] = U[0]; U[3].addr[3] = 2;
	/* 4: [2001:db8::1]:3478 */
	U[4].family = 6; U[4].port = 3478;
	U[4].addr[0] = 0x20; U[4].addr[1] = 0x01; U[4].addr[2] = 0x0d;
	U[4].addr[3] = 0xb8; U[4].addr[15] = 1;
	/* 5: same, pad differs: same class */
	U[5] = U[4]; U[5].pad = 1; cls[5] = 4;
	/* 6: same bytes as 0 but family 6 */
	U[6] = U[0]; U[6].family = 6;
	/* 7: IPv6 differing in the last byte only */
	U[7] = U[4]; U[7].addr[15] = 2;
	/* 8: port 0 */
	U[8] = U[0]; U[8].port = 0;
	/* 9: family 0 (not an address the control process sends) */
	U[9].family = 0; U[9].port = 1;
	/* 10: 10.0.0.1:3478 */
	U[10].family = 4; U[10].port = 3478; U[10].addr[0] = 10; U[10].addr[3] = 1;
	/* 11: IPv6 with the first 4 bytes of 10 */
	U[11] = U[10]; U[11].family = 6;
}

static int
same_addr(const struct ipc_addr *a, const struct ipc_addr *b)
{
	size_t n = a->family == 4 ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
}

static void
check(const struct relaytab *t, const struct model *m)
{
	size_t ns = 0, nc = 0;
	int i, k;

	for (i = 0; i < NSRV; i++) {
		if (cls[i] == i) {
			ns += m->srv[i] != 0;
			for (k = 0; k < NCHAN; k++)
				nc += m->ch[i][k].bound != 0;
		}
		if (relaytab_is_server(t, &U[i]) != m->srv[cls[i]])
			abort();
		for (k = 0; k < NCHAN; k++) {
			const struct relay_chan *c = relaytab_lookup(t, &U[i], chans[k]);
			const struct model_chan *mc = &m->ch[cls[i]][k];

			if ((c != NULL) != (mc->bound != 0))
				abort();
			if (c == NULL)
				continue;
			if (c->channel != chans[k] || !same_addr(&c->server, &U[i]) ||
			    memcmp(&c->peer, &mc->peer, sizeof(c->peer)) != 0 ||
			    memcmp(&c->relayed, &mc->relayed, sizeof(c->relayed)) != 0)
				abort();
		}
	}
	if (t->n_servers != ns || t->n_channels != nc)
		abort();
	for (i = 0; i < (int)t->n_servers; i++) {
		int found = 0;

		for (k = 0; k < NSRV; k++)
			if (cls[k] == k && m->srv[k] && same_addr(&t->servers[i], &U[k]))
				found++;
		if (found != 1)
			abort();
	}
}

static void
check_decode(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size > 0 ? size : 1);
	const uint8_t *payload = NULL;
	uint16_t ch = 0;
	size_t len = 0;
	int rc, want;

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	rc = relaytab_decode(p, size, &ch, &payload, &len);
	/* naive: 4-byte header, channel 0x4000-0x4FFF, length fits */
	want = size >= 4 && ((p[0] << 8) | p[1]) >= 0x4000 && ((p[0] << 8) | p[1]) <= 0x4FFF &&
	    (size_t)((p[2] << 8) | p[3]) <= size - 4;
	if ((rc == 0) != want || (rc != 0 && rc != -1))
		abort();
	if (rc == 0) {
		volatile uint8_t sink = 0;
		size_t i;

		if (ch != ((p[0] << 8) | p[1]) || payload != p + 4 ||
		    len != (size_t)((p[2] << 8) | p[3]))
			abort();
		uint8_t *re;

		for (i = 0; i < len; i++)
			sink ^= payload[i];
		(void)sink;
		/* The encoder gives back the same header and payload. */
		if ((re = malloc(len + RELAYTAB_CD_HDR)) == NULL)
			abort();
		if (relaytab_encode(ch, payload, len, re, len + RELAYTAB_CD_HDR) !=
		    (long)(len + RELAYTAB_CD_HDR) || memcmp(re, p, len + RELAYTAB_CD_HDR) != 0 ||
		    relaytab_encode(ch, payload, len, re, len + RELAYTAB_CD_HDR - 1) != -1)
			abort();
		free(re);
	}
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct relaytab t;
	static struct model m;
	size_t i = 0;

	check_decode(data, size);
	universe();
	relaytab_init(&t);
	memset(&m, 0, sizeof(m));
	check(&t, &m);
	while (i + 2 <= size) {
		uint8_t op = data[i], arg = data[i + 1];
		int s = arg % NSRV, k = (arg / NSRV) % NCHAN;

		i += 2;
		switch (op & 3) {
		case 0:	/* add server */
		case 1: {	/* remove server */
			int add = (op & 3) == 0, rc;
			int full = add && !m.srv[cls[s]] && t.n_servers >= RELAYTAB_SERVERS_MAX;

			rc = relaytab_server(&t, &U[s], add);
			if (rc != (full ? -1 : 0))
				abort();
			if (add && !full)
				m.srv[cls[s]] = 1;
			if (!add && m.srv[cls[s]]) {
				m.srv[cls[s]] = 0;
				memset(m.ch[cls[s]], 0, sizeof(m.ch[cls[s]]));
			}
			break;
		}
		case 2:	/* bind (replacing) */
		case 3: {	/* unbind */
			struct ipc_c2d_channel c;
			int rc, bound = (op & 3) == 2;

			memset(&c, 0, sizeof(c));
			c.server = U[s];
			c.channel = chans[k];
			c.bound = (uint8_t)(bound ? 1 + (op >> 2) % 3 : 0);
			c.peer = U[(op >> 4) % NSRV];
			c.relayed = U[(arg + op) % NSRV];
			if (i < size) {
				/* the next byte perturbs the peer port */
				c.peer.port ^= data[i];
				i++;
			}
			rc = relaytab_channel(&t, &c);
			if (bound) {
				if (rc != (m.srv[cls[s]] ? 0 : -1))
					abort();
				if (rc == 0) {
					m.ch[cls[s]][k].bound = 1;
					m.ch[cls[s]][k].peer = c.peer;
					m.ch[cls[s]][k].relayed = c.relayed;
				}
			} else {
				if (rc != 0)
					abort();
				memset(&m.ch[cls[s]][k], 0, sizeof(m.ch[cls[s]][k]));
			}
			break;
		}
		}
		check(&t, &m);
	}
	relaytab_free(&t);
	if (t.n_channels != 0 || t.n_servers != 0)
		abort();
	for (i = 0; i < RELAYTAB_BUCKETS; i++)
		if (t.b[i] != NULL)
			abort();
	return 0;
}
