/*
 * fuzz_nat.c - libFuzzer target for dataplane/nat.c and dataplane/nat64.c
 * (with packet.c): nat_out, nat_in, nat64_6to4 and nat64_4to6 on
 * arbitrary packets.
 *
 * Every input starts from the same NAT: client slot 0 (tunnel addresses
 * 100.64.0.7 and fd00:2021:1111::7) with four proxy mappings, one per
 * family pair: 100.96.0.1 -> 93.184.216.34, 100.96.0.2 ->
 * 2606:2800:220:1::1 (NAT46), fd00:2021:1111:8000::1 ->
 * 2606:2800:220:1::1 and fd00:2021:1111:8000::2 -> 93.184.216.34 (NAT64).
 *
 * The input is a list of records: op, dt, len (2 bytes, little-endian),
 * len bytes of packet (the last record takes what is left).  The clock
 * advances by dt seconds first.  op & 3:
 *   0  nat_out (client -> resource)
 *   1  nat_in (resource -> client); with op bit 4 the packet is instead
 *      the reply to the last packet nat_out translated (addresses and
 *      ports swapped, echo request turned into a reply, checksums filled)
 *   2  nat64_6to4, 3  nat64_4to6, with op bit 2: in place; op bit 3: with
 *      addresses for the quoted packet of ICMP errors; op bit 4: 40 bytes
 *      of headroom instead of NAT64_GROWTH
 * op bit 5 runs nat_expire, op bit 6 re-maps 100.96.0.1 to a new address.
 * Buffers have exactly the headroom the contracts ask for (NAT64_GROWTH).
 * Outputs must parse, and a packet whose checksums verified before must
 * still verify after translation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_pkt_common.c"
#include "log.h"
#include "nat.h"
#include "nat64.h"
#include "packet.h"

#define T0	1000000ULL

static struct pkt_addr tun4, tun6, px4a, px4b, px6a, px6b, real4, real6, real4b;
static uint8_t last_out[PKT_MAX_PACKET + NAT64_GROWTH];
static size_t last_out_len;

static void
addr(struct pkt_addr *a, const char *s)
{
	if (pkt_addr_from_str(a, s) != 0)
		abort();
}

/* out[0..len) is a translated packet: it must parse and verify if in did. */
static void
check_out(const uint8_t *out, size_t len, int in_csum_ok)
{
	struct pkt_info pi;

	if (pkt_parse(out, len, &pi) != PKT_OK)
		abort();
	fuzz_pkt_info_check(&pi, len);
	if (in_csum_ok && !fuzz_pkt_csum_ok(out, &pi))
		abort();
}

/*
 * 1 if the packet's checksums verify.  ICMPv4 inside IPv6 (next header 1)
 * and ICMPv6 inside IPv4 (protocol 58) have no checksum this side checks
 * but one the other side does once the family changes: not counted.
 */
static int
csum_ok(const uint8_t *buf, size_t len)
{
	struct pkt_info pi;

	if (pkt_parse(buf, len, &pi) != PKT_OK)
		return 0;
	if ((pi.version == 6 && pi.proto == PKT_PROTO_ICMP) ||
	    (pi.version == 4 && pi.proto == PKT_PROTO_ICMPV6))
		return 0;
	return fuzz_pkt_csum_ok(buf, &pi);
}

/* Turn the last translated packet into its reply, in buf; returns the length. */
static size_t
reflect(uint8_t *buf)
{
	struct pkt_info pi;
	struct pkt_addr s, d;
	size_t len = last_out_len;

	if (len == 0)
		return 0;
	memcpy(buf, last_out, len);
	if (pkt_parse(buf, len, &pi) != PKT_OK)
		abort();
	s = pi.src;
	d = pi.dst;
	if (pi.version == 4) {
		memcpy(buf + 12, d.b, 4);
		memcpy(buf + 16, s.b, 4);
	} else {
		memcpy(buf + 8, d.b, 16);
		memcpy(buf + 24, s.b, 16);
	}
	if (pi.l4_ok && (pi.proto == PKT_PROTO_TCP || pi.proto == PKT_PROTO_UDP)) {
		uint8_t *l4 = buf + pi.l3_len;
		uint8_t t[2];

		memcpy(t, l4, 2);
		memcpy(l4, l4 + 2, 2);
		memcpy(l4 + 2, t, 2);
	} else if (pi.is_echo) {
		uint8_t *l4 = buf + pi.l3_len;

		if (l4[0] == PKT_ICMP4_ECHO_REQUEST && pi.version == 4)
			l4[0] = PKT_ICMP4_ECHO_REPLY;
		else if (l4[0] == PKT_ICMP6_ECHO_REQUEST && pi.version == 6)
			l4[0] = PKT_ICMP6_ECHO_REPLY;
	}
	if (pkt_parse(buf, len, &pi) != PKT_OK)
		abort();
	(void)pkt_fill_checksums(buf, &pi);
	return len;
}

static void
xlate64(const uint8_t *in, size_t len, uint8_t op)
{
	struct nat64_addrs m;
	/*
	 * An ICMPv4 error grows by 40 bytes (outer and quoted header), more
	 * than NAT64_GROWTH: op bit 4 gives that much room so the error
	 * paths run to the end.
	 */
	size_t cap = len + (op & 0x10 ? 2 * NAT64_GROWTH : NAT64_GROWTH);
	uint8_t *buf = malloc(cap), *out;
	int ok = csum_ok(in, len), rc;

	if (buf == NULL)
		abort();
	memset(&m, 0, sizeof(m));
	if ((op & 3) == 2) {
		m.src = tun4;
		m.dst = real4;
		if (op & 8) {
			m.inner_src = real4;
			m.inner_dst = tun4;
		}
	} else {
		m.src = tun6;
		m.dst = real6;
		if (op & 8) {
			m.inner_src = real6;
			m.inner_dst = tun6;
		}
	}
	memcpy(buf, in, len);
	if (op & 4) {
		out = buf;
	} else {
		out = malloc(cap);
		if (out == NULL)
			abort();
	}
	if ((op & 3) == 2)
		rc = nat64_6to4(buf, len, out, op & 4 ? cap : len, &m);
	else
		rc = nat64_4to6(buf, len, out, cap, &m);
	if (rc > 0) {
		if ((size_t)rc > cap)
			abort();
		check_out(out, (size_t)rc, ok);
	} else if (rc == 0) {
		abort();
	}
	if (out != buf)
		free(out);
	free(buf);
}

static void
record(struct nat *nt, uint8_t op, const uint8_t *data, size_t len, uint64_t now)
{
	size_t cap, n;
	uint8_t *buf, *orig;
	size_t olen;
	int rc, ok;

	if (op & 0x20) {
		(void)nat_expire(nt, now);
		/* after the tick, nothing left is due (issue 15 lifetimes) */
		if (nat_next_deadline(nt) <= now)
			abort();
	}
	if (op & 0x40 && nat_xlate_set(nt, 0, &px4a, &real4b, now) != 0)
		abort();
	if ((op & 3) >= 2) {
		xlate64(data, len, op);
		return;
	}
	cap = (len > last_out_len ? len : last_out_len) + NAT64_GROWTH;
	buf = malloc(cap);
	if (buf == NULL)
		abort();
	if ((op & 3) == 1 && (op & 0x10))
		n = reflect(buf);
	else {
		memcpy(buf, data, len);
		n = len;
	}
	cap = n + NAT64_GROWTH;	/* exactly what the contract asks for */
	ok = csum_ok(buf, n);
	if ((orig = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(orig, buf, n);
	olen = n;
	if ((op & 3) == 0)
		rc = nat_out(nt, 0, buf, &n, cap, now);
	else
		rc = nat_in(nt, 0, buf, &n, cap, now);
	if (rc == 1) {
		if (n > cap)
			abort();
		check_out(buf, n, ok);
		if ((op & 3) == 0) {
			memcpy(last_out, buf, n);
			last_out_len = n;
		}
	} else if (rc != 0 && (rc > 0 || pkt_strerror(rc) == NULL)) {
		abort();
	}
	/* not translated (no session, or late for one): left exactly as it was */
	if ((rc == 0 || rc == PKT_E_EXPIRED) && (n != olen || memcmp(buf, orig, n) != 0))
		abort();
	free(orig);
	free(buf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	addr(&tun4, "100.64.0.7");
	addr(&tun6, "fd00:2021:1111::7");
	addr(&px4a, "100.96.0.1");
	addr(&px4b, "100.96.0.2");
	addr(&px6a, "fd00:2021:1111:8000::1");
	addr(&px6b, "fd00:2021:1111:8000::2");
	addr(&real4, "93.184.216.34");
	addr(&real4b, "93.184.216.35");
	addr(&real6, "2606:2800:220:1::1");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nat_config cfg = {
		.max_clients = 2, .max_sessions = 64, .max_sessions_per_client = 16,
		.max_translations = 16, .seed = 0x0123456789abcdefULL,
	};
	struct pkt_addr exp[4];
	struct nat *nt;
	uint64_t now = T0;

	nt = nat_new(&cfg);
	if (nt == NULL)
		abort();
	if (nat_client_set(nt, 0, &tun4, &tun6) != 0 ||
	    nat_xlate_set(nt, 0, &px4a, &real4, now) != 0 ||
	    nat_xlate_set(nt, 0, &px4b, &real6, now) != 0 ||
	    nat_xlate_set(nt, 0, &px6a, &real6, now) != 0 ||
	    nat_xlate_set(nt, 0, &px6b, &real4, now) != 0)
		abort();
	last_out_len = 0;
	while (size >= 4) {
		uint8_t op = data[0], dt = data[1];
		size_t len = (size_t)data[2] | ((size_t)data[3] << 8);
		uint8_t *m;

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		/* a copy of exactly len bytes, so ASan sees any overread */
		m = malloc(len > 0 ? len : 1);
		if (m == NULL)
			abort();
		memcpy(m, data, len);
		now += (uint64_t)dt * 1000;
		record(nt, op, m, len, now);
		free(m);
		data += len;
		size -= len;
	}
	if (nat_session_count(nt, 0) > cfg.max_sessions_per_client ||
	    nat_session_total(nt) > cfg.max_sessions)
		abort();
	(void)nat_xlate_silent(nt, 0, &px4a, now);
	(void)nat_xlate_expired(nt, 0, &px6b, now);
	if (nat_xlate_list_expired(nt, 0, now, exp, 4) > 4)
		abort();
	(void)nat_next_deadline(nt);
	nat_client_remove(nt, 0);
	if (nat_session_count(nt, 0) != 0 || nat_session_total(nt) != 0)
		abort();
	nat_free(nt);
	return 0;
}
