/*
 * Unit suite for dataplane/nat: spec 9.3 N1/N2, port allocation, NAT64/46
 * through sessions, keep-alive in both directions, ICMP errors, liveness
 * cases L1-L14 (spec 9.2), and the table against a naive model on random
 * input.  Every rewritten packet is checked with pkt_ref.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"
#include "packet.h"
#include "pkt_ref.h"

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static struct pkt_addr
A(const char *s)
{
	struct pkt_addr a;

	ck_assert_int_eq(pkt_addr_from_str(&a, s), PKT_OK);
	return a;
}

static struct pkt_addr T4, T6;

static struct nat *
mknat(uint32_t clients, uint32_t sessions, uint32_t per_client)
{
	struct nat_config cfg;
	struct nat *nt;
	uint32_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_clients = clients;
	cfg.max_sessions = sessions;
	cfg.max_sessions_per_client = per_client;
	cfg.max_translations = 256;
	cfg.seed = 0x0123456789abcdefULL;
	nt = nat_new(&cfg);
	ck_assert_ptr_nonnull(nt);
	T4 = A("100.64.0.1");
	T6 = A("fd00:2021:1111::1");
	for (i = 0; i < clients; i++) {
		struct pkt_addr a = T4, b = T6;
		a.b[3] = (uint8_t)(1 + i);
		b.b[15] = (uint8_t)(1 + i);
		ck_assert_int_eq(nat_client_set(nt, i, &a, &b), PKT_OK);
	}
	return nt;
}

static struct pkt_addr
tun(uint32_t client, int af)
{
	struct pkt_addr a = af == 4 ? T4 : T6;

	a.b[af == 4 ? 3 : 15] = (uint8_t)(1 + client);
	return a;
}

/* proto: 6, 17 or 1 (ICMP echo of the family); val = source port / id. */
static size_t
mk(uint8_t *p, const struct pkt_addr *s, const struct pkt_addr *d, int proto, int sport, int dport)
{
	static const uint8_t pl[24] = "0123456789abcdefghijklm";

	if (proto == 1 && s->af == 6)
		proto = 58;
	return ref_build(p, 1500, s->af, s->b, d->b, proto, sport, dport, pl, sizeof(pl), 0x02);
}

/* reply to an echo request has type reply; build a request-shaped one and flip it */
static size_t
mk_reply(uint8_t *p, const struct pkt_addr *s, const struct pkt_addr *d, int proto, int sport, int dport)
{
	size_t n;

	if (proto == 1)
		n = mk(p, s, d, 1, dport, 7);	/* echo: identifier is the key */
	else
		n = mk(p, s, d, proto, sport, dport);
	if (proto == 1) {
		p[s->af == 4 ? 20 : 40] = s->af == 4 ? 0 : 129;
		ref_fix_csums(p, n);
	}
	return n;
}

static void
expect(const uint8_t *p, size_t n, const struct pkt_addr *s, const struct pkt_addr *d,
    int proto, int key_src, int key)
{
	struct ref_pkt r;

	ck_assert(ref_all_csum_ok(p, n));
	ck_assert_int_eq(ref_parse(p, n, &r), 0);
	ck_assert_int_eq(r.version, s->af);
	ck_assert_mem_eq(r.src, s->b, s->af == 4 ? 4 : 16);
	ck_assert_mem_eq(r.dst, d->b, d->af == 4 ? 4 : 16);
	ck_assert_int_eq(r.tos, 0x02);	/* ECN kept, also across families */
	if (proto == 1) {
		ck_assert_int_eq(r.proto, s->af == 4 ? 1 : 58);
		ck_assert_int_eq(r.icmp_id, key);
	} else {
		ck_assert_int_eq(r.proto, proto);
		ck_assert_int_eq(key_src ? r.sport : r.dport, key);
	}
}

START_TEST(n1_n2_same_family)
{
	const int protos[] = { 6, 17, 1 };
	struct nat *nt = mknat(1, 64, 0);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7"), P6 = A("fd00:2021:1111:8000::1"),
	    X6 = A("2001:db8::7");
	uint8_t p[1500];
	size_t n;
	int k;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &P6, &X6, 0), PKT_OK);
	for (k = 0; k < 3; k++) {
		n = mk(p, &T4, &P, protos[k], 5000 + k, 80);
		ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 1000), 1);
		expect(p, n, &T4, &X, protos[k], 1, 5000 + k);
		n = mk(p, &T6, &P6, protos[k], 6000 + k, 443);
		ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 2000), 1);
		expect(p, n, &T6, &X6, protos[k], 1, 6000 + k);
	}
	ck_assert_uint_eq(nat_session_count(nt, 0), 6);
	/* N1/N2: replies 59.999 s later map back to the right original */
	for (k = 0; k < 3; k++) {
		n = mk_reply(p, &X, &T4, protos[k], 80, 5000 + k);
		ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 1000 + 59999), 1);
		expect(p, n, &P, &T4, protos[k], 0, 5000 + k);
	}
	ck_assert_uint_eq(nat_next_deadline(nt), 2000 + 60000);
	/* never answered: 60 s after the last outgoing packet, no session */
	ck_assert_int_eq(nat_expire(nt, 2000 + 59999), 0);
	ck_assert_int_eq(nat_expire(nt, 2000 + 60000), 3);
	/* a late reply to an expired session is dropped, not passed untranslated */
	n = mk_reply(p, &X6, &T6, 6, 443, 6000);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 62000), PKT_E_EXPIRED);
	expect(p, n, &X6, &T6, 6, 0, 6000);	/* unchanged */
	/* the answered v4 sessions: UDP and echo 120 s after the reply, TCP 2 h 4 min */
	ck_assert_uint_eq(nat_next_deadline(nt), 60999 + 120000);
	ck_assert_int_eq(nat_expire(nt, 60999 + 119999), 0);
	ck_assert_int_eq(nat_expire(nt, 60999 + 120000), 2);
	ck_assert_uint_eq(nat_next_deadline(nt), 60999 + NAT_TCP_IDLE_MS);
	ck_assert_int_eq(nat_expire(nt, 60999 + NAT_TCP_IDLE_MS), 1);
	ck_assert_uint_eq(nat_next_deadline(nt), NAT_NO_DEADLINE);
	/* the proxy mapping survives session expiry */
	ck_assert_int_eq(nat_xlate_get(nt, 0, &P, &X6), PKT_OK);
	ck_assert(pkt_addr_eq(&X6, &X));
	nat_free(nt);
}
END_TEST

START_TEST(port_allocation)
{
	struct nat *nt = mknat(2, 64, 0);
	struct pkt_addr P1 = A("100.96.0.1"), P2 = A("100.96.0.2"), P3 = A("100.96.0.3"),
	    X = A("10.0.0.7");
	struct pkt_addr t1 = tun(1, 4);
	uint8_t p[1500];
	size_t n;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P1, &X, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &P2, &X, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &P3, &X, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 1, &P1, &X, 0), PKT_OK);
	n = mk(p, &T4, &P1, 17, 65535, 53);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
	expect(p, n, &T4, &X, 17, 1, 65535);
	/* same source port to another proxy of the same real IP: next free, wrapping to 1 */
	n = mk(p, &T4, &P2, 17, 65535, 53);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
	expect(p, n, &T4, &X, 17, 1, 1);
	n = mk(p, &T4, &P3, 17, 65535, 53);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
	expect(p, n, &T4, &X, 17, 1, 2);
	/* TCP has its own space; another client has its own table */
	n = mk(p, &T4, &P2, 6, 65535, 53);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
	expect(p, n, &T4, &X, 6, 1, 65535);
	n = mk(p, &t1, &P1, 17, 65535, 53);
	ck_assert_int_eq(nat_out(nt, 1, p, &n, sizeof(p), 0), 1);
	expect(p, n, &t1, &X, 17, 1, 65535);
	/* replies route back to the right proxy */
	n = mk_reply(p, &X, &T4, 17, 53, 1);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 0), 1);
	expect(p, n, &P2, &T4, 17, 0, 65535);
	n = mk_reply(p, &X, &T4, 17, 53, 2);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 0), 1);
	expect(p, n, &P3, &T4, 17, 0, 65535);
	/* a remapped proxy replaces its session on the next packet */
	{
		struct pkt_addr Y = A("10.0.0.8");
		ck_assert_int_eq(nat_xlate_set(nt, 0, &P1, &Y, 0), PKT_OK);
		n = mk(p, &T4, &P1, 17, 65535, 53);
		ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
		expect(p, n, &T4, &Y, 17, 1, 65535);
		n = mk_reply(p, &X, &T4, 17, 53, 65535);
		ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 0), 0);
	}
	ck_assert_uint_eq(nat_session_count(nt, 0), 4);
	nat_client_remove(nt, 0);
	ck_assert_uint_eq(nat_session_count(nt, 0), 0);
	ck_assert_uint_eq(nat_session_total(nt), 1);
	ck_assert_int_eq(nat_xlate_get(nt, 0, &P2, NULL), PKT_E_NOTFOUND);
	ck_assert_int_eq(nat_xlate_get(nt, 1, &P1, NULL), PKT_OK);
	n = mk(p, &T4, &P1, 17, 1, 53);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), PKT_E_INVAL);
	nat_free(nt);
}
END_TEST

START_TEST(nat64_nat46_sessions)
{
	const int protos[] = { 6, 17, 1 };
	struct nat *nt = mknat(1, 64, 0);
	struct pkt_addr P6 = A("fd00:2021:1111:8000::5"), X4 = A("192.0.2.33"),
	    P4 = A("100.96.0.5"), X6 = A("2001:db8::33");
	uint8_t p[1500];
	size_t n, n0;
	int k;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P6, &X4, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &P4, &X6, 0), PKT_OK);
	for (k = 0; k < 3; k++) {
		/* NAT64 */
		n = n0 = mk(p, &T6, &P6, protos[k], 7000 + k, 8080);
		ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
		ck_assert_uint_eq(n, n0 - 20);
		expect(p, n, &T4, &X4, protos[k], 1, 7000 + k);
		n = mk_reply(p, &X4, &T4, protos[k], 8080, 7000 + k);
		ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 0), 1);
		expect(p, n, &P6, &T6, protos[k], 0, 7000 + k);
		/* NAT46 */
		n = n0 = mk(p, &T4, &P4, protos[k], 7100 + k, 8080);
		ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
		ck_assert_uint_eq(n, n0 + 20);
		expect(p, n, &T6, &X6, protos[k], 1, 7100 + k);
		n = mk_reply(p, &X6, &T6, protos[k], 8080, 7100 + k);
		ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 0), 1);
		expect(p, n, &P4, &T4, protos[k], 0, 7100 + k);
	}
	/* no room to grow */
	n = n0 = mk(p, &T4, &P4, 17, 1, 2);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, n0 + 19, 0), PKT_E_NOSPACE);
	nat_free(nt);
}
END_TEST

START_TEST(keepalive_both_directions)
{
	struct nat *nt = mknat(1, 8, 0);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7");
	uint8_t p[1500];
	size_t n;
	uint64_t t;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, 0), PKT_OK);
	n = mk(p, &T4, &P, 17, 4000, 9000);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 1);
	/* a one-way server stream keeps the session alive for 10 minutes */
	for (t = 30000; t <= 600000; t += 30000) {
		ck_assert_int_eq(nat_expire(nt, t), 0);
		n = mk_reply(p, &X, &T4, 17, 9000, 4000);
		ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), t), 1);
	}
	ck_assert_int_eq(nat_expire(nt, 600000 + 119999), 0);
	ck_assert_int_eq(nat_expire(nt, 600000 + 120000), 1);
	nat_free(nt);
}
END_TEST

START_TEST(capacity_limits)
{
	struct nat *nt = mknat(2, 6, 4);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7"), t1 = tun(1, 4);
	uint8_t p[1500];
	size_t n;
	int i;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 1, &P, &X, 0), PKT_OK);
	for (i = 0; i < 4; i++) {
		n = mk(p, &T4, &P, 17, 100 + i, 53);
		ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), (uint64_t)i), 1);
	}
	n = mk(p, &T4, &P, 17, 200, 53);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 10), PKT_E_FULL);
	/* the other client still has room in the shared pool, up to its size */
	for (i = 0; i < 2; i++) {
		n = mk(p, &t1, &P, 17, 100 + i, 53);
		ck_assert_int_eq(nat_out(nt, 1, p, &n, sizeof(p), 10), 1);
	}
	n = mk(p, &t1, &P, 17, 300, 53);
	ck_assert_int_eq(nat_out(nt, 1, p, &n, sizeof(p), 10), PKT_E_FULL);
	/* once the oldest expire, allocation succeeds without an explicit tick */
	n = mk(p, &T4, &P, 17, 200, 53);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 60010), 1);
	ck_assert_uint_eq(nat_session_count(nt, 0), 1);
	nat_free(nt);
}
END_TEST

START_TEST(malformed_and_keyless)
{
	struct nat *nt = mknat(1, 8, 0);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7"), other = A("10.1.1.1");
	uint8_t p[1500];
	size_t n, i;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, 0), PKT_OK);
	n = mk(p, &T4, &P, 17, 1, 2);
	for (i = 0; i < n; i++) {
		size_t m = i;
		ck_assert_int_lt(nat_out(nt, 0, p, &m, sizeof(p), 0), 0);
		ck_assert_int_lt(nat_in(nt, 0, p, &m, sizeof(p), 0), 0);
	}
	/* not a proxy: untouched */
	n = mk(p, &T4, &other, 17, 1, 2);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), 0);
	/* to a proxy without port/identifier: dropped */
	n = mk(p, &T4, &P, 47, 1, 2);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), PKT_E_PROTO);
	n = mk(p, &T4, &P, 1, 1, 2);
	p[20] = 13;	/* timestamp */
	ref_fix_csums(p, n);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 0), PKT_E_PROTO);
	/* inbound without a key passes unchanged */
	n = mk(p, &X, &T4, 47, 1, 2);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 0), 0);
	ck_assert_int_eq(nat_in(nt, 5, p, &n, sizeof(p), 0), PKT_E_INVAL);
	ck_assert_int_eq(nat_xlate_set(nt, 3, &P, &X, 0), PKT_E_INVAL);
	ck_assert_int_eq(nat_xlate_remove(nt, 0, &P), PKT_OK);
	ck_assert_int_eq(nat_xlate_remove(nt, 0, &P), PKT_E_NOTFOUND);
	nat_free(nt);
}
END_TEST

/* Wrap the first qlen bytes of inner in an ICMP error of the given family. */
static size_t
icmp_error(uint8_t *out, const struct pkt_addr *from, const struct pkt_addr *to,
    int type, int code, const uint8_t *inner, size_t qlen)
{
	size_t n = ref_build(out, 1500, from->af, from->b, to->b, from->af == 4 ? 1 : 58, 0, 0, inner, qlen, 0);
	size_t o = from->af == 4 ? 20 : 40;

	out[o] = (uint8_t)type;
	out[o + 1] = (uint8_t)code;
	ref_fix_csums(out, n);
	return n;
}

START_TEST(icmp_errors_back_through_sessions)
{
	struct nat *nt = mknat(1, 8, 0);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7"), R = A("10.9.9.9"),
	    P6 = A("fd00:2021:1111:8000::9"), X4b = A("192.0.2.9");
	uint8_t p[1500], sent[1500], e[1500];
	struct ref_pkt r, ri;
	size_t n, ne;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &P6, &X4b, 0), PKT_OK);
	/* same family: port unreachable from the resource itself */
	n = mk(sent, &T4, &P, 17, 5555, 53);
	ck_assert_int_eq(nat_out(nt, 0, sent, &n, sizeof(sent), 0), 1);
	ne = icmp_error(e, &X, &T4, 3, 3, sent, n);
	ck_assert_int_eq(nat_in(nt, 0, e, &ne, sizeof(e), 0), 1);
	ck_assert(ref_all_csum_ok(e, ne));
	ck_assert_int_eq(ref_parse(e, ne, &r), 0);
	ck_assert_mem_eq(r.src, P.b, 4);
	ck_assert_int_eq(r.icmp_type, 3);
	ck_assert_int_eq(ref_parse(e + 28, ne - 28, &ri), 0);
	ck_assert_mem_eq(ri.src, T4.b, 4);
	ck_assert_mem_eq(ri.dst, P.b, 4);
	ck_assert_int_eq(ri.sport, 5555);
	ck_assert(ref_all_csum_ok(e + 28, ne - 28));
	/* time exceeded from a router keeps the router's address */
	ne = icmp_error(e, &R, &T4, 11, 0, sent, 28);
	ck_assert_int_eq(nat_in(nt, 0, e, &ne, sizeof(e), 0), 1);
	ck_assert(ref_all_csum_ok(e, ne));
	ck_assert_int_eq(ref_parse(e, ne, &r), 0);
	ck_assert_mem_eq(r.src, R.b, 4);
	ck_assert_mem_eq(e + 28 + 16, P.b, 4);
	ck_assert_uint_eq(pkt_get16(e + 48), 5555);
	/* an error quoting nothing we sent passes unchanged */
	n = mk(p, &T4, &R, 17, 1111, 53);
	ne = icmp_error(e, &R, &T4, 3, 1, p, 28);
	ck_assert_int_eq(nat_in(nt, 0, e, &ne, sizeof(e), 0), 0);

	/* NAT64 session: fragmentation needed from an IPv4 router -> packet too big in IPv6 */
	n = mk(sent, &T6, &P6, 6, 4444, 443);
	ck_assert_int_eq(nat_out(nt, 0, sent, &n, sizeof(sent), 0), 1);
	ne = icmp_error(e, &R, &T4, 3, 4, sent, 48);
	pkt_put16(e + 26, 1400);
	ref_fix_csums(e, ne);
	ck_assert_int_eq(nat_in(nt, 0, e, &ne, sizeof(e), 0), 1);
	ck_assert(ref_all_csum_ok(e, ne));
	ck_assert_int_eq(ref_parse(e, ne, &r), 0);
	ck_assert_int_eq(r.version, 6);
	ck_assert_int_eq(r.icmp_type, 2);
	ck_assert_uint_eq(pkt_get32(e + 44), 1420);
	ck_assert_mem_eq(r.src, P6.b, 16);
	ck_assert_mem_eq(r.dst, T6.b, 16);
	ck_assert_mem_eq(e + 48 + 8, T6.b, 16);
	ck_assert_mem_eq(e + 48 + 24, P6.b, 16);
	ck_assert_uint_eq(pkt_get16(e + 88), 4444);
	nat_free(nt);
}
END_TEST

START_TEST(fuzz_never_crashes)
{
	struct nat *nt = mknat(1, 64, 0);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7"), P6 = A("fd00:2021:1111:8000::9"),
	    X6 = A("2001:db8::9");
	uint8_t sent[1500], e[1500], *b;
	size_t n, ne, cut, i;
	int k;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X6, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &P6, &X, 0), PKT_OK);
	rng_state = 99991;
	for (k = 0; k < 20000; k++) {
		int v6 = rnd() & 1, r;
		const struct pkt_addr *src = v6 ? &T6 : &T4, *dst = v6 ? &P6 : &P;
		const struct pkt_addr *real = v6 ? &X : &X6, *me = v6 ? &T4 : &T6;

		n = mk(sent, src, dst, (int[]){ 6, 17, 1 }[rnd() % 3], (int)(rnd() % 4), 53);
		r = nat_out(nt, 0, sent, &n, sizeof(sent), (uint64_t)k);
		ck_assert_int_eq(r, 1);
		/* an ICMP error about it, cut and corrupted at random */
		ne = icmp_error(e, real, me, real->af == 4 ? 3 : 1, 1, sent, n);
		for (i = 0; i < 2; i++)
			if (rnd() & 1)
				e[(real->af == 4 ? 28 : 48) + rnd() % (ne - (real->af == 4 ? 28 : 48))] = (uint8_t)rnd();
		cut = (real->af == 4 ? 28 : 48) + rnd() % (ne - (real->af == 4 ? 28 : 48) + 1);
		if (real->af == 4)
			pkt_put16(e + 2, (uint16_t)cut);
		else
			pkt_put16(e + 4, (uint16_t)(cut - 40));
		ref_fix_csums(e, cut);
		b = malloc(cut + 40);
		memcpy(b, e, cut);
		r = nat_in(nt, 0, b, &cut, cut + 40, (uint64_t)k);
		ck_assert_int_le(r, 1);
		if (r == 1)
			ck_assert(ref_all_csum_ok(b, cut));
		free(b);
	}
	nat_free(nt);
}
END_TEST

/* ---- liveness (spec 9.2) ---------------------------------------------- */

struct lcase {
	int nev;
	struct { char dir; uint64_t t; } ev[3];
	uint64_t check;
	int expired;
};

START_TEST(liveness_cases)
{
	static const struct lcase cases[] = {
		{ 0, { { 0, 0 } }, 0, 0 },					/* L1 */
		{ 0, { { 0, 0 } }, 121000, 0 },					/* L2 */
		{ 1, { { 'o', 120000 } }, 121000, 1 },				/* L3 */
		{ 1, { { 'o', 121000 } }, 122000, 1 },				/* L4 */
		{ 2, { { 'o', 120000 }, { 'i', 120200 } }, 121200, 0 },		/* L5 */
		{ 3, { { 'o', 120000 }, { 'i', 120200 }, { 'o', 240200 } }, 240200, 0 }, /* L6 */
		{ 3, { { 'o', 120000 }, { 'i', 120200 }, { 'o', 240200 } }, 241200, 1 }, /* L7 */
		{ 1, { { 'o', 120000 } }, 120000, 0 },				/* L8 */
		{ 2, { { 'o', 120000 }, { 'o', 125000 } }, 125000, 1 },		/* L9 */
		{ 1, { { 'o', 110000 } }, 115000, 0 },				/* L10 */
		{ 2, { { 'o', 110000 }, { 'o', 115000 } }, 120000, 1 },		/* L11 */
		{ 2, { { 'o', 120000 }, { 'i', 120500 } }, 125500, 0 },		/* L12 */
		{ 1, { { 'o', 119990 } }, 120010, 0 },				/* L13 */
		{ 1, { { 'o', 119990 } }, 120990, 1 },				/* L14 */
	};
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7");
	uint8_t p[1500];
	size_t c, n;
	int k;

	T4 = A("100.64.0.1");
	T6 = A("fd00:2021:1111::1");
	{
		struct nat_config cfg = { .max_clients = 1, .max_sessions = 8, .max_translations = 8,
		    .seed = 1 };
		struct nat *nt = nat_new(&cfg);
		struct pkt_addr Q = A("100.96.0.9");

		ck_assert_int_eq(nat_client_set(nt, 0, &T4, NULL), PKT_OK);
		ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, 1000), PKT_OK);
		ck_assert(!nat_xlate_silent(nt, 0, &P, 1000 + 119999));
		ck_assert(nat_xlate_silent(nt, 0, &P, 1000 + 120000));
		ck_assert(!nat_xlate_silent(nt, 0, &Q, 1000 + 120000));
		ck_assert(!nat_xlate_expired(nt, 0, &Q, 1000 + 120000));
		/* a remap restarts the timers */
		ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &Q, 50000), PKT_OK);
		ck_assert(!nat_xlate_silent(nt, 0, &P, 1000 + 120000));
		nat_free(nt);
	}
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* sessions live longer than the test so replies always match */
		struct nat_config cfg = { .max_clients = 1, .max_sessions = 8, .max_translations = 8,
		    .tcp_idle_ms = 10000000, .udp_idle_ms = 10000000, .unanswered_ms = 10000000, .seed = 1 };
		struct nat *nt = nat_new(&cfg);
		const uint64_t base = 5000000;	/* creation time */

		ck_assert_int_eq(nat_client_set(nt, 0, &T4, &T6), PKT_OK);
		ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, base), PKT_OK);
		for (k = 0; k < cases[c].nev; k++) {
			uint64_t t = base + cases[c].ev[k].t;
			if (cases[c].ev[k].dir == 'o') {
				n = mk(p, &T4, &P, 17, 1000, 53);
				ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), t), 1);
			} else {
				n = mk_reply(p, &X, &T4, 17, 53, 1000);
				ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), t), 1);
			}
		}
		ck_assert_msg(nat_xlate_expired(nt, 0, &P, base + cases[c].check) == cases[c].expired,
		    "liveness case L%zu", c + 1);
		{
			struct pkt_addr lst[2];
			ck_assert_uint_eq(nat_xlate_list_expired(nt, 0, base + cases[c].check, lst, 2),
			    (size_t)cases[c].expired);
			if (cases[c].expired)
				ck_assert(pkt_addr_eq(&lst[0], &P));
		}
		nat_free(nt);
	}
}
END_TEST

/* ---- random comparison with a naive model ----------------------------- */

struct msess {
	int used;
	uint32_t client;
	int kind;
	int in_val, out_val;
	struct pkt_addr proxy, real;
	uint64_t last;
	int seen_in;
};

#define MS 64
static struct msess MSs[MS];
/* outside keys every session of a round has had: a late reply to one may be dropped */
#define MEVER 4096
static struct msess Mever[MEVER];
static int nmever;

static int
m_live(const struct msess *s, uint64_t now)
{
	uint64_t life = !s->seen_in ? NAT_UNANSWERED_MS : s->kind == 0 ? NAT_TCP_IDLE_MS :
	    NAT_UDP_IDLE_MS;

	return s->used && now - s->last < life;
}

static int
m_ever(uint32_t client, int kind, int val, const struct pkt_addr *real)
{
	int i;

	for (i = 0; i < nmever; i++)
		if (Mever[i].client == client && Mever[i].kind == kind && Mever[i].out_val == val &&
		    pkt_addr_eq(&Mever[i].real, real))
			return 1;
	return 0;
}

static struct msess *
m_find_out(uint32_t client, int kind, int val, const struct pkt_addr *real, uint64_t now)
{
	int i;

	for (i = 0; i < MS; i++)
		if (m_live(&MSs[i], now) && MSs[i].client == client && MSs[i].kind == kind &&
		    MSs[i].out_val == val && pkt_addr_eq(&MSs[i].real, real))
			return &MSs[i];
	return NULL;
}

static int
m_count(uint32_t client, uint64_t now, int all)
{
	int i, n = 0;

	for (i = 0; i < MS; i++)
		if (m_live(&MSs[i], now) && (all || MSs[i].client == client))
			n++;
	return n;
}

START_TEST(random_vs_model)
{
	static const int protos[] = { 6, 17, 1 };
	struct pkt_addr proxies[4], reals[4], map[3][4];
	int have[3][4];
	int round;

	rng_state = 0xfeedbeef;
	proxies[0] = A("100.96.0.1");
	proxies[1] = A("100.96.0.2");
	proxies[2] = A("fd00:2021:1111:8000::1");
	proxies[3] = A("fd00:2021:1111:8000::2");
	reals[0] = A("10.0.0.1");
	reals[1] = A("10.0.0.2");
	reals[2] = A("2001:db8::1");
	reals[3] = A("2001:db8::2");
	for (round = 0; round < 20; round++) {
		struct nat *nt = mknat(3, 40, 16);
		uint64_t now = 0;
		int op;

		memset(MSs, 0, sizeof(MSs));
		memset(have, 0, sizeof(have));
		nmever = 0;
		for (op = 0; op < 3000; op++) {
			unsigned what = rnd() % 20;
			uint32_t cl = rnd() % 3;
			uint8_t p[1500];
			size_t n;

			if (what == 0) {
				int pi = (int)(rnd() % 4), ri = (int)(rnd() % 4);
				ck_assert_int_eq(nat_xlate_set(nt, cl, &proxies[pi], &reals[ri], now), PKT_OK);
				map[cl][pi] = reals[ri];
				have[cl][pi] = 1;
			} else if (what == 1) {
				now += rnd() % 30000;
			} else if (what == 2) {
				uint32_t c;
				(void)nat_expire(nt, now);
				ck_assert_uint_eq(nat_session_total(nt), (uint32_t)m_count(0, now, 1));
				for (c = 0; c < 3; c++)
					ck_assert_uint_eq(nat_session_count(nt, c), (uint32_t)m_count(c, now, 0));
			} else if (what < 12) {
				/* client -> proxy */
				int pi = (int)(rnd() % 4), proto = protos[rnd() % 3];
				int val = (int)(rnd() % 4) + (rnd() % 2 ? 65533 : 0), kind = proto == 6 ? 0 : proto == 17 ? 1 : 2;
				struct pkt_addr src = tun(cl, proxies[pi].af), X;
				struct msess *s = NULL;
				int i, got, want;

				if (val > 65535)
					val -= 65536;
				n = mk(p, &src, &proxies[pi], proto, val, 80);
				got = nat_out(nt, cl, p, &n, sizeof(p), now);
				if (!have[cl][pi]) {
					ck_assert_int_eq(got, 0);
					continue;
				}
				X = map[cl][pi];
				for (i = 0; i < MS; i++)
					if (MSs[i].used && MSs[i].client == cl && MSs[i].kind == kind &&
					    MSs[i].in_val == val && pkt_addr_eq(&MSs[i].proxy, &proxies[pi])) {
						if (m_live(&MSs[i], now) && pkt_addr_eq(&MSs[i].real, &X))
							s = &MSs[i];
						else
							MSs[i].used = 0;
					}
				want = 1;
				if (s != NULL) {
					s->last = now;
				} else if (m_count(cl, now, 0) >= 16 || m_count(cl, now, 1) >= 40) {
					want = PKT_E_FULL;
				} else {
					int v = val;
					while (m_find_out(cl, kind, v, &X, now) != NULL)
						v = v >= 65535 ? 1 : v + 1;
					for (i = 0; i < MS; i++)
						if (!m_live(&MSs[i], now))
							break;
					ck_assert_int_lt(i, MS);
					s = &MSs[i];
					s->used = 1;
					s->client = cl;
					s->kind = kind;
					s->in_val = val;
					s->out_val = v;
					s->proxy = proxies[pi];
					s->real = X;
					s->last = now;
					s->seen_in = 0;
					ck_assert_int_lt(nmever, MEVER);
					Mever[nmever++] = *s;
				}
				ck_assert_int_eq(got, want);
				if (want == 1) {
					struct pkt_addr ts = tun(cl, X.af);
					expect(p, n, &ts, &X, proto, 1, s->out_val);
				}
			} else {
				/* real -> client */
				int ri = (int)(rnd() % 4), proto = protos[rnd() % 3];
				int val = (int)(rnd() % 4) + (rnd() % 2 ? 65533 : 0), kind = proto == 6 ? 0 : proto == 17 ? 1 : 2;
				struct pkt_addr dst = tun(cl, reals[ri].af);
				struct msess *s;
				int got;

				if (val > 65535)
					val -= 65536;
				n = mk_reply(p, &reals[ri], &dst, proto, 80, val);
				got = nat_in(nt, cl, p, &n, sizeof(p), now);
				s = m_find_out(cl, kind, val, &reals[ri], now);
				if (s == NULL && got == PKT_E_EXPIRED)
					ck_assert(m_ever(cl, kind, val, &reals[ri]));
				else
					ck_assert_int_eq(got, s != NULL ? 1 : 0);
				if (s != NULL) {
					struct pkt_addr td = tun(cl, s->proxy.af);
					s->last = now;
					s->seen_in = 1;
					expect(p, n, &s->proxy, &td, proto, 0, s->in_val);
				} else {
					expect(p, n, &reals[ri], &dst, proto, 0, val);
				}
			}
			ck_assert_uint_ge(nat_session_count(nt, cl), (uint32_t)m_count(cl, now, 0));
		}
		nat_free(nt);
	}
}
END_TEST


/* ---- session lifetimes of today's reference gateway ---------------------- */

/* Literal values, so this block also builds (and fails) against older nat.h. */
#define L_TCP_IDLE	(124ULL * 60 * 1000)	/* 2 h 4 min */
#define L_IDLE		120000ULL
#define L_UNANSWERED	60000ULL
#define L_CLOSING	5000ULL

/* A TCP packet with the given flags. */
static size_t
mk_tcp(uint8_t *p, const struct pkt_addr *s, const struct pkt_addr *d, int sport, int dport,
    uint8_t flags)
{
	size_t n = mk(p, s, d, 6, sport, dport);

	p[(s->af == 4 ? 20 : 40) + 13] = flags;
	ref_fix_csums(p, n);
	return n;
}

/* client -> proxy, then resource -> client, on a fresh table at t0. */
static struct nat *
lt_setup(int proto, uint64_t t0, int answered)
{
	struct nat *nt = mknat(1, 64, 0);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7");
	uint8_t p[1500];
	size_t n;

	ck_assert_int_eq(nat_xlate_set(nt, 0, &P, &X, 0), PKT_OK);
	n = mk(p, &T4, &P, proto, 4000, 9000);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), t0), 1);
	if (answered) {
		n = mk_reply(p, &X, &T4, proto, 9000, 4000);
		ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), t0 + 1000), 1);
	}
	ck_assert_uint_eq(nat_session_count(nt, 0), 1);
	return nt;
}

/* Answered UDP and ICMP echo: 120 s after the last packet. */
START_TEST(lifetime_udp_echo_answered)
{
	const int protos[] = { 17, 1 };
	int k;

	for (k = 0; k < 2; k++) {
		struct nat *nt = lt_setup(protos[k], 0, 1);
		ck_assert_int_eq(nat_expire(nt, 1000 + L_IDLE - 1), 0);
		ck_assert_uint_eq(nat_session_count(nt, 0), 1);
		ck_assert_int_eq(nat_expire(nt, 1000 + L_IDLE), 1);
		ck_assert_uint_eq(nat_session_count(nt, 0), 0);
		nat_free(nt);
	}
}
END_TEST

/* Never answered: 60 s after the last outgoing packet, whatever the protocol. */
START_TEST(lifetime_unanswered)
{
	const int protos[] = { 6, 17, 1 };
	struct pkt_addr P = A("100.96.0.1");
	uint8_t p[1500];
	size_t n;
	int k;

	for (k = 0; k < 3; k++) {
		struct nat *nt = lt_setup(protos[k], 0, 0);
		n = mk(p, &T4, &P, protos[k], 4000, 9000);
		ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 30000), 1);
		ck_assert_int_eq(nat_expire(nt, 30000 + L_UNANSWERED - 1), 0);
		ck_assert_int_eq(nat_expire(nt, 30000 + L_UNANSWERED), 1);
		nat_free(nt);
	}
}
END_TEST

/* Answered TCP survives 2 h of silence; it goes 2 h 4 min after its last packet. */
START_TEST(lifetime_tcp_idle)
{
	struct nat *nt = lt_setup(6, 0, 1);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7");
	uint8_t p[1500];
	size_t n;
	uint64_t t = 1000 + 2 * 3600 * 1000ULL;

	ck_assert_int_eq(nat_expire(nt, t), 0);
	n = mk_reply(p, &X, &T4, 6, 9000, 4000);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), t), 1);
	expect(p, n, &P, &T4, 6, 0, 4000);
	ck_assert_int_eq(nat_expire(nt, t + L_TCP_IDLE - 1), 0);
	ck_assert_int_eq(nat_expire(nt, t + L_TCP_IDLE), 1);
	nat_free(nt);
}
END_TEST

/* Packets in either direction refresh "last packet". */
START_TEST(lifetime_both_directions_refresh)
{
	struct nat *nt = lt_setup(17, 0, 1);
	struct pkt_addr P = A("100.96.0.1");
	uint8_t p[1500];
	size_t n;

	/* the client alone keeps an answered session alive */
	n = mk(p, &T4, &P, 17, 4000, 9000);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 100000), 1);
	n = mk(p, &T4, &P, 17, 4000, 9000);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 200000), 1);
	ck_assert_int_eq(nat_expire(nt, 200000 + L_IDLE - 1), 0);
	ck_assert_int_eq(nat_expire(nt, 200000 + L_IDLE), 1);
	nat_free(nt);
}
END_TEST

/* FIN seen both ways: 5 s after the last packet; FIN one way changes nothing. */
START_TEST(lifetime_tcp_fin)
{
	struct nat *nt = lt_setup(6, 0, 1);
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7");
	uint8_t p[1500];
	size_t n;

	n = mk_tcp(p, &T4, &P, 4000, 9000, PKT_TCP_FIN | PKT_TCP_ACK);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 10000), 1);
	ck_assert_int_eq(nat_expire(nt, 10000 + L_CLOSING + 1000), 0);
	n = mk_tcp(p, &X, &T4, 9000, 4000, PKT_TCP_FIN | PKT_TCP_ACK);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 20000), 1);
	n = mk_tcp(p, &T4, &P, 4000, 9000, PKT_TCP_ACK);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 20500), 1);
	ck_assert_uint_eq(nat_next_deadline(nt), 20500 + L_CLOSING);
	ck_assert_int_eq(nat_expire(nt, 20500 + L_CLOSING - 1), 0);
	ck_assert_int_eq(nat_expire(nt, 20500 + L_CLOSING), 1);
	nat_free(nt);
}
END_TEST

/* RST either way: the packet is translated, then the session is gone. */
START_TEST(lifetime_tcp_rst)
{
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7");
	uint8_t p[1500];
	size_t n;
	struct nat *nt = lt_setup(6, 0, 1);

	n = mk_tcp(p, &T4, &P, 4000, 9000, PKT_TCP_RST);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 2000), 1);
	expect(p, n, &T4, &X, 6, 1, 4000);
	ck_assert_uint_eq(nat_session_count(nt, 0), 0);
	nat_free(nt);

	nt = lt_setup(6, 0, 1);
	n = mk_tcp(p, &X, &T4, 9000, 4000, PKT_TCP_RST | PKT_TCP_ACK);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 2000), 1);
	expect(p, n, &P, &T4, 6, 0, 4000);
	ck_assert_uint_eq(nat_session_count(nt, 0), 0);
	/* what the resource sends after its reset is not forwarded untranslated */
	n = mk_tcp(p, &X, &T4, 9000, 4000, PKT_TCP_ACK);
	ck_assert_int_lt(nat_in(nt, 0, p, &n, sizeof(p), 2100), 0);
	nat_free(nt);
}
END_TEST

/* An inbound packet for an expired outside key is dropped, with or without a tick. */
START_TEST(lifetime_expired_key_dropped)
{
	struct pkt_addr P = A("100.96.0.1"), X = A("10.0.0.7");
	uint8_t p[1500];
	size_t n;
	struct nat *nt = lt_setup(17, 0, 1);

	/* expired but not yet collected by the tick */
	n = mk_reply(p, &X, &T4, 17, 9000, 4000);
	ck_assert_int_lt(nat_in(nt, 0, p, &n, sizeof(p), 1000 + L_IDLE), 0);
	ck_assert_uint_eq(nat_session_count(nt, 0), 0);
	nat_free(nt);

	/* collected by the tick first */
	nt = lt_setup(17, 0, 1);
	ck_assert_int_eq(nat_expire(nt, 1000 + L_IDLE), 1);
	n = mk_reply(p, &X, &T4, 17, 9000, 4000);
	ck_assert_int_lt(nat_in(nt, 0, p, &n, sizeof(p), 1000 + L_IDLE + 5000), 0);
	/* an unrelated port of the same host is still passed on unchanged (CIDR) */
	n = mk_reply(p, &X, &T4, 17, 9000, 4001);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 1000 + L_IDLE + 5000), 0);
	/* a new session on the key translates again */
	n = mk(p, &T4, &P, 17, 4000, 9000);
	ck_assert_int_eq(nat_out(nt, 0, p, &n, sizeof(p), 1000 + L_IDLE + 6000), 1);
	n = mk_reply(p, &X, &T4, 17, 9000, 4000);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 1000 + L_IDLE + 7000), 1);
	nat_free(nt);
}
END_TEST

/* The memory of a key that went is bounded in time and dies with its client. */
START_TEST(lifetime_gone_memory_bounded)
{
	struct pkt_addr X = A("10.0.0.7"), t0;
	uint8_t p[1500];
	size_t n;
	struct nat *nt = lt_setup(17, 0, 1);

	t0 = tun(0, 4);

	ck_assert_int_eq(nat_expire(nt, 1000 + L_IDLE), 1);
	n = mk_reply(p, &X, &T4, 17, 9000, 4000);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 1000 + L_IDLE + NAT_GONE_KEEP_MS), 0);
	nat_free(nt);

	nt = lt_setup(17, 0, 1);
	ck_assert_int_eq(nat_expire(nt, 1000 + L_IDLE), 1);
	nat_client_remove(nt, 0);
	ck_assert_int_eq(nat_client_set(nt, 0, &t0, NULL), PKT_OK);
	n = mk_reply(p, &X, &T4, 17, 9000, 4000);
	ck_assert_int_eq(nat_in(nt, 0, p, &n, sizeof(p), 1000 + L_IDLE + 1000), 0);
	nat_free(nt);
}
END_TEST

/* One client cannot take every translation slot (issue 19). */
START_TEST(translations_per_client)
{
	struct nat_config cfg = { .max_clients = 2, .max_sessions = 8, .max_translations = 8,
	    .max_translations_per_client = 3, .seed = 1 };
	struct nat *nt = nat_new(&cfg);
	struct pkt_addr t4a = A("100.64.0.2"), t4b = A("100.64.0.3"), real = A("10.99.0.2");
	struct pkt_addr px[5];
	char buf[32];
	int i;

	ck_assert_ptr_nonnull(nt);
	ck_assert_int_eq(nat_client_set(nt, 0, &t4a, NULL), PKT_OK);
	ck_assert_int_eq(nat_client_set(nt, 1, &t4b, NULL), PKT_OK);
	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "100.96.0.%d", i + 1);
		px[i] = A(buf);
	}
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(nat_xlate_set(nt, 0, &px[i], &real, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &px[3], &real, 0), PKT_E_FULL);
	/* Re-mapping an existing proxy is no new slot. */
	ck_assert_int_eq(nat_xlate_set(nt, 0, &px[0], &real, 5), PKT_OK);
	/* The other client still gets its share. */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(nat_xlate_set(nt, 1, &px[i], &real, 0), PKT_OK);
	/* A removal frees a slot of that client only. */
	ck_assert_int_eq(nat_xlate_remove(nt, 0, &px[1]), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &px[4], &real, 0), PKT_OK);
	ck_assert_int_eq(nat_xlate_set(nt, 0, &px[3], &real, 0), PKT_E_FULL);
	/* Removing the client frees all of its slots. */
	nat_client_remove(nt, 0);
	ck_assert_int_eq(nat_client_set(nt, 0, &t4a, NULL), PKT_OK);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(nat_xlate_set(nt, 0, &px[i], &real, 0), PKT_OK);
	nat_free(nt);
}
END_TEST

static Suite *
nat_suite(void)
{
	Suite *s = suite_create("nat");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, n1_n2_same_family);
	tcase_add_test(tc, port_allocation);
	tcase_add_test(tc, nat64_nat46_sessions);
	tcase_add_test(tc, keepalive_both_directions);
	tcase_add_test(tc, capacity_limits);
	tcase_add_test(tc, malformed_and_keyless);
	tcase_add_test(tc, icmp_errors_back_through_sessions);
	tcase_add_test(tc, fuzz_never_crashes);
	tcase_add_test(tc, liveness_cases);
	tcase_add_test(tc, random_vs_model);
	tcase_add_test(tc, translations_per_client);
	tcase_add_test(tc, lifetime_udp_echo_answered);
	tcase_add_test(tc, lifetime_unanswered);
	tcase_add_test(tc, lifetime_tcp_idle);
	tcase_add_test(tc, lifetime_both_directions_refresh);
	tcase_add_test(tc, lifetime_tcp_fin);
	tcase_add_test(tc, lifetime_tcp_rst);
	tcase_add_test(tc, lifetime_expired_key_dropped);
	tcase_add_test(tc, lifetime_gone_memory_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(nat_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
