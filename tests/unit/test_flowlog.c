/*
 * Unit suite for dataplane/flowlog: flows made from real packets
 * (pkt_ref.c builders, pkt_parse), matching of the reverse direction, NAT'd
 * (DNS resource) flows, TCP ends, idle expiry, interval lines, a full table,
 * peer and resource removal, every line parsed by json-c with its exact
 * field set, escaping, RFC 3339 times against gmtime_r, and the table
 * against a naive model on random input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "flowlog.h"
#include "packet.h"
#include "pkt_ref.h"

#define MAXLINES 4096

static char *lines[MAXLINES];
static size_t nlines;

static void
capture(void *arg, const char *line, size_t len)
{
	(void)arg;
	ck_assert_uint_gt(len, 1);
	ck_assert_int_eq(line[len - 1], '\n');
	ck_assert_ptr_null(memchr(line, '\n', len - 1));
	ck_assert_uint_lt(nlines, MAXLINES);
	lines[nlines] = malloc(len + 1);
	ck_assert_ptr_nonnull(lines[nlines]);
	memcpy(lines[nlines], line, len);
	lines[nlines][len] = '\0';
	nlines++;
}

static void
clear_lines(void)
{
	size_t i;

	for (i = 0; i < nlines; i++)
		free(lines[i]);
	nlines = 0;
}

/* Per-peer cap of the next mk() (0: none). */
static uint32_t mk_peer_cap;

static struct flowlog *
mk(uint32_t max, uint32_t interval)
{
	struct flowlog_config c;
	struct flowlog *fl;

	clear_lines();
	memset(&c, 0, sizeof(c));
	c.max_flows = max;
	c.max_flows_per_peer = mk_peer_cap;
	c.interval_s = interval;
	c.seed = 0x1234567890abcdefULL;
	c.procname = "dataplane";
	c.pid = 4242;
	c.emit = capture;
	fl = flowlog_new(&c);
	ck_assert_ptr_nonnull(fl);
	return fl;
}

static struct pkt_addr
A(const char *s)
{
	struct pkt_addr a;

	ck_assert_int_eq(pkt_addr_from_str(&a, s), PKT_OK);
	return a;
}

/* A packet src:sport -> dst:dport (ICMP: sport = echo id), plen payload bytes. */
static uint8_t pkt[2048];
static struct pkt_info PI;

static const struct pkt_info *
P(const char *src, int sport, const char *dst, int dport, int proto, size_t plen)
{
	struct pkt_addr s = A(src), d = A(dst);
	static const uint8_t zero[1500];
	size_t n;

	if (proto == 1 && s.af == 6)
		proto = 58;
	n = ref_build(pkt, sizeof(pkt), s.af, s.b, d.b, proto, sport, dport, zero, plen, 0);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(pkt_parse(pkt, n, &PI), PKT_OK);
	return &PI;
}

/* The same, with TCP flags set. */
static const struct pkt_info *
T(const char *src, int sport, const char *dst, int dport, uint8_t flags, size_t plen)
{
	P(src, sport, dst, dport, 6, plen);
	pkt[PI.l3_len + 13] = flags;
	ref_fix_csums(pkt, PI.tot_len);
	ck_assert_int_eq(pkt_parse(pkt, PI.tot_len, &PI), PKT_OK);
	return &PI;
}

/* An ICMP echo reply (the builder makes requests). */
static const struct pkt_info *
Reply(const char *src, const char *dst, int id, size_t plen)
{
	P(src, id, dst, 1, 1, plen);
	pkt[PI.l3_len] = PI.version == 4 ? 0 : 129;
	ref_fix_csums(pkt, PI.tot_len);
	ck_assert_int_eq(pkt_parse(pkt, PI.tot_len, &PI), PKT_OK);
	return &PI;
}

static struct flowlog_meta next_meta;
static int meta_calls;

static void
meta(void *arg, uint32_t peer, const struct pkt_info *pi, struct flowlog_meta *m)
{
	(void)arg;
	(void)peer;
	(void)pi;
	meta_calls++;
	*m = next_meta;
}

static void
set_meta(int client, int resource, const char *real)
{
	memset(&next_meta, 0, sizeof(next_meta));
	next_meta.client_id[0] = 0xc1;
	next_meta.client_id[14] = (uint8_t)(client >> 8);
	next_meta.client_id[15] = (uint8_t)client;
	if (resource >= 0) {
		next_meta.has_resource = 1;
		next_meta.resource_id[0] = 0xee;
		next_meta.resource_id[15] = (uint8_t)resource;
	}
	if (real != NULL)
		next_meta.real_dst = A(real);
}

static int
cpkt(struct flowlog *fl, uint32_t peer, const struct pkt_info *pi, uint64_t now)
{
	return flowlog_client_packet(fl, peer, pi, pkt, now, meta, NULL);
}

static int
rpkt(struct flowlog *fl, uint32_t peer, const struct pkt_info *pi, uint64_t now)
{
	return flowlog_resource_packet(fl, peer, pi, pkt, now);
}

static const char *const FIELDS[] = {
	"ts", "level", "process", "pid", "msg", "event", "reason", "flow_id", "client_id",
	"resource_id", "protocol", "src", "src_port", "dst", "dst_port", "real_dst",
	"real_dst_port", "bytes_from_client", "packets_from_client", "bytes_to_client",
	"packets_to_client", "start", "end",
};

/* Parse line i; check the exact field set (icmp_id only for ICMP). */
static json_object *
J(size_t i)
{
	json_object *o, *v;
	size_t k, want = sizeof(FIELDS) / sizeof(FIELDS[0]);

	ck_assert_uint_lt(i, nlines);
	o = json_tokener_parse(lines[i]);
	ck_assert_msg(o != NULL, "not JSON: %s", lines[i]);
	ck_assert(json_object_is_type(o, json_type_object));
	for (k = 0; k < want; k++)
		ck_assert_msg(json_object_object_get_ex(o, FIELDS[k], NULL), "no %s in %s", FIELDS[k],
		    lines[i]);
	if (json_object_object_get_ex(o, "icmp_id", &v))
		want++;
	ck_assert_int_eq(json_object_object_length(o), (int)want);
	return o;
}

static const char *
S(json_object *o, const char *k)
{
	json_object *v;

	ck_assert(json_object_object_get_ex(o, k, &v));
	if (json_object_is_type(v, json_type_null))
		return NULL;
	ck_assert_msg(json_object_is_type(v, json_type_string), "%s is not a string", k);
	return json_object_get_string(v);
}

static int64_t
N(json_object *o, const char *k)
{
	json_object *v;

	ck_assert(json_object_object_get_ex(o, k, &v));
	ck_assert_msg(json_object_is_type(v, json_type_int), "%s is not a number", k);
	return json_object_get_int64(v);
}

#define WALL 1764105625123LL	/* 2025-11-25T21:20:25.123Z */

START_TEST(one_udp_flow_exact_line)
{
	struct flowlog *fl = mk(16, 0);
	struct flowlog_stats st;
	json_object *o;

	set_meta(7, 3, NULL);
	meta_calls = 0;
	ck_assert_int_eq(cpkt(fl, 1, P("100.64.0.2", 40000, "10.99.0.2", 53, 17, 100), 1000), 1);
	ck_assert_int_eq(cpkt(fl, 1, P("100.64.0.2", 40000, "10.99.0.2", 53, 17, 50), 1500), 0);
	ck_assert_int_eq(meta_calls, 1);
	/* The answer: reversed tuple; another port or peer does not match. */
	ck_assert_int_eq(rpkt(fl, 1, P("10.99.0.2", 53, "100.64.0.2", 40000, 17, 300), 2000), 0);
	ck_assert_int_eq(rpkt(fl, 1, P("10.99.0.2", 53, "100.64.0.2", 40001, 17, 300), 2000), -1);
	ck_assert_int_eq(rpkt(fl, 2, P("10.99.0.2", 53, "100.64.0.2", 40000, 17, 300), 2000), -1);
	ck_assert_int_eq(rpkt(fl, 1, P("10.99.0.3", 53, "100.64.0.2", 40000, 17, 300), 2000), -1);
	/* The same tuple the other way is not a reply: a new flow of its own. */
	ck_assert_int_eq(cpkt(fl, 1, P("100.64.0.2", 53, "10.99.0.2", 40000, 17, 10), 2000), 1);
	flowlog_get_stats(fl, &st);
	ck_assert_uint_eq(st.active, 2);
	ck_assert_uint_eq(flowlog_end_peer(fl, 1, NULL, FLOWLOG_R_PEER_REMOVED, 3000, WALL), 2);
	ck_assert_uint_eq(nlines, 2);
	/* A peer's flows end in any order: take flow 1 first. */
	o = J(0);
	if (N(o, "flow_id") != 1) {
		char *t = lines[0];
		lines[0] = lines[1];
		lines[1] = t;
		json_object_put(o);
		o = J(0);
	}
	ck_assert_str_eq(S(o, "ts"), "2025-11-25T21:20:25.123Z");
	ck_assert_str_eq(S(o, "level"), "info");
	ck_assert_str_eq(S(o, "process"), "dataplane");
	ck_assert_int_eq(N(o, "pid"), 4242);
	ck_assert_str_eq(S(o, "msg"), "flow");
	ck_assert_str_eq(S(o, "event"), "flow");
	ck_assert_str_eq(S(o, "reason"), "peer_removed");
	ck_assert_int_eq(N(o, "flow_id"), 1);
	ck_assert_str_eq(S(o, "client_id"), "c1000000-0000-0000-0000-000000000007");
	ck_assert_str_eq(S(o, "resource_id"), "ee000000-0000-0000-0000-000000000003");
	ck_assert_str_eq(S(o, "protocol"), "udp");
	ck_assert_str_eq(S(o, "src"), "100.64.0.2");
	ck_assert_int_eq(N(o, "src_port"), 40000);
	ck_assert_str_eq(S(o, "dst"), "10.99.0.2");
	ck_assert_int_eq(N(o, "dst_port"), 53);
	ck_assert_str_eq(S(o, "real_dst"), "10.99.0.2");
	ck_assert_int_eq(N(o, "real_dst_port"), 53);
	ck_assert_int_eq(N(o, "bytes_from_client"), 128 + 78);
	ck_assert_int_eq(N(o, "packets_from_client"), 2);
	ck_assert_int_eq(N(o, "bytes_to_client"), 328);
	ck_assert_int_eq(N(o, "packets_to_client"), 1);
	/* start 2000 ms and end 1000 ms before the line. */
	ck_assert_str_eq(S(o, "start"), "2025-11-25T21:20:23.123Z");
	ck_assert_str_eq(S(o, "end"), "2025-11-25T21:20:24.123Z");
	json_object_put(o);
	o = J(1);
	ck_assert_int_eq(N(o, "flow_id"), 2);
	ck_assert_int_eq(N(o, "src_port"), 53);
	ck_assert_int_eq(N(o, "bytes_to_client"), 0);
	json_object_put(o);
	flowlog_get_stats(fl, &st);
	ck_assert_uint_eq(st.active, 0);
	ck_assert_uint_eq(st.records, 2);
	ck_assert_uint_eq(st.ended, 2);
	flowlog_free(fl);
	clear_lines();
}
END_TEST

START_TEST(nat_flow_v6_and_nat64)
{
	struct flowlog *fl = mk(16, 0);
	json_object *o;

	/* DNS resource: the client uses a proxy IP, the gateway the real one. */
	set_meta(1, 9, "10.99.0.2");
	ck_assert_int_eq(cpkt(fl, 5, P("100.64.0.2", 41000, "100.96.0.1", 80, 6, 0), 10), 1);
	/* The reply after NAT-in comes from the proxy IP. */
	ck_assert_int_eq(rpkt(fl, 5, P("100.96.0.1", 80, "100.64.0.2", 41000, 6, 0), 20), 0);
	/* NAT64: an IPv6 proxy IP whose real address is IPv4. */
	set_meta(1, 9, "10.99.0.2");
	ck_assert_int_eq(cpkt(fl, 5, P("fd00:2021:1111::2", 41001, "fd00:2021:1111:8000::1", 443,
	    17, 20), 30), 1);
	ck_assert_int_eq(rpkt(fl, 5, P("fd00:2021:1111:8000::1", 443, "fd00:2021:1111::2", 41001,
	    17, 5), 40), 0);
	ck_assert_uint_eq(flowlog_end_all(fl, FLOWLOG_R_SHUTDOWN, 50, WALL), 2);
	o = J(0);
	ck_assert_str_eq(S(o, "reason"), "shutdown");
	ck_assert_str_eq(S(o, "protocol"), "tcp");
	ck_assert_str_eq(S(o, "dst"), "100.96.0.1");
	ck_assert_str_eq(S(o, "real_dst"), "10.99.0.2");
	ck_assert_int_eq(N(o, "real_dst_port"), 80);
	ck_assert_int_eq(N(o, "bytes_from_client"), 40);
	ck_assert_int_eq(N(o, "bytes_to_client"), 40);
	json_object_put(o);
	o = J(1);
	ck_assert_str_eq(S(o, "src"), "fd00:2021:1111::2");
	ck_assert_str_eq(S(o, "dst"), "fd00:2021:1111:8000::1");
	ck_assert_str_eq(S(o, "real_dst"), "10.99.0.2");
	ck_assert_int_eq(N(o, "bytes_from_client"), 40 + 8 + 20);
	ck_assert_int_eq(N(o, "bytes_to_client"), 40 + 8 + 5);
	json_object_put(o);
	flowlog_free(fl);
	clear_lines();
}
END_TEST

START_TEST(icmp_echo_flows)
{
	struct flowlog *fl = mk(16, 0);
	json_object *o;

	set_meta(1, -1, NULL);
	ck_assert_int_eq(cpkt(fl, 1, P("100.64.0.2", 77, "10.99.0.2", 1, 1, 56), 0), 1);
	ck_assert_int_eq(cpkt(fl, 1, P("100.64.0.2", 77, "10.99.0.2", 2, 1, 56), 0), 0);
	ck_assert_int_eq(cpkt(fl, 1, P("100.64.0.2", 78, "10.99.0.2", 1, 1, 56), 0), 1);
	ck_assert_int_eq(rpkt(fl, 1, Reply("10.99.0.2", "100.64.0.2", 77, 56), 0), 0);
	ck_assert_int_eq(rpkt(fl, 1, Reply("10.99.0.2", "100.64.0.2", 79, 56), 0), -1);
	ck_assert_int_eq(cpkt(fl, 1, P("fd00:2021:1111::2", 77, "fd00:99::2", 1, 1, 8), 0), 1);
	ck_assert_int_eq(rpkt(fl, 1, Reply("fd00:99::2", "fd00:2021:1111::2", 77, 8), 0), 0);
	/* Other ICMP messages do not match an echo flow. */
	ck_assert_uint_eq(flowlog_tick(fl, FLOWLOG_IDLE_OTHER_MS - 1, WALL), 0);
	ck_assert_uint_eq(flowlog_tick(fl, FLOWLOG_IDLE_OTHER_MS, WALL), 3);
	o = J(0);
	ck_assert_str_eq(S(o, "reason"), "idle");
	ck_assert_str_eq(S(o, "protocol"), "icmp");
	ck_assert_int_eq(N(o, "icmp_id"), 77);
	ck_assert_int_eq(N(o, "src_port"), 0);
	ck_assert_int_eq(N(o, "dst_port"), 0);
	ck_assert_ptr_null(S(o, "resource_id"));
	ck_assert_int_eq(N(o, "packets_from_client"), 2);
	ck_assert_int_eq(N(o, "packets_to_client"), 1);
	json_object_put(o);
	o = J(2);
	ck_assert_str_eq(S(o, "protocol"), "icmpv6");
	ck_assert_int_eq(N(o, "bytes_to_client"), 56);
	json_object_put(o);
	flowlog_free(fl);
	clear_lines();
}
END_TEST

START_TEST(tcp_fin_rst_linger_and_idle)
{
	struct flowlog *fl = mk(16, 0);
	const char *c = "100.64.0.2", *r = "10.99.0.2";
	json_object *o;

	set_meta(1, 1, NULL);
	/* FIN from the client only: not closed, the flow waits for the idle time. */
	ck_assert_int_eq(cpkt(fl, 1, T(c, 1000, r, 80, 0x02, 0), 0), 1);
	ck_assert_int_eq(rpkt(fl, 1, T(r, 80, c, 1000, 0x12, 0), 0), 0);
	ck_assert_int_eq(cpkt(fl, 1, T(c, 1000, r, 80, 0x11, 0), 100), 0);
	ck_assert_uint_eq(flowlog_tick(fl, 100 + FLOWLOG_LINGER_MS, WALL), 0);
	/* FIN from the resource too: closed, ended after the linger time. */
	ck_assert_int_eq(rpkt(fl, 1, T(r, 80, c, 1000, 0x11, 0), 200), 0);
	ck_assert_int_eq(cpkt(fl, 1, T(c, 1000, r, 80, 0x10, 0), 300), 0);
	ck_assert_uint_eq(flowlog_tick(fl, 300 + FLOWLOG_LINGER_MS - 1, WALL), 0);
	ck_assert_uint_eq(flowlog_tick(fl, 300 + FLOWLOG_LINGER_MS, WALL), 1);
	o = J(0);
	ck_assert_str_eq(S(o, "reason"), "end");
	ck_assert_int_eq(N(o, "packets_from_client"), 3);
	ck_assert_int_eq(N(o, "packets_to_client"), 2);
	ck_assert_int_eq(N(o, "bytes_from_client"), 120);
	json_object_put(o);
	/* RST from either side closes at once. */
	ck_assert_int_eq(cpkt(fl, 1, T(c, 1001, r, 80, 0x02, 0), 10000), 1);
	ck_assert_int_eq(rpkt(fl, 1, T(r, 80, c, 1001, 0x14, 0), 10000), 0);
	ck_assert_uint_eq(flowlog_tick(fl, 10000 + FLOWLOG_LINGER_MS, WALL), 1);
	/* An open TCP flow outlives the UDP idle time. */
	ck_assert_int_eq(cpkt(fl, 1, T(c, 1002, r, 80, 0x02, 0), 20000), 1);
	ck_assert_int_eq(cpkt(fl, 1, P(c, 1002, r, 80, 17, 0), 20000), 1);
	ck_assert_uint_eq(flowlog_tick(fl, 20000 + FLOWLOG_IDLE_UDP_MS, WALL), 1);
	ck_assert_uint_eq(flowlog_tick(fl, 20000 + FLOWLOG_IDLE_TCP_MS - 1, WALL), 0);
	ck_assert_uint_eq(flowlog_tick(fl, 20000 + FLOWLOG_IDLE_TCP_MS, WALL), 1);
	ck_assert_uint_eq(nlines, 4);
	o = J(2);
	ck_assert_str_eq(S(o, "protocol"), "udp");
	ck_assert_str_eq(S(o, "reason"), "idle");
	json_object_put(o);
	o = J(3);
	ck_assert_str_eq(S(o, "protocol"), "tcp");
	ck_assert_str_eq(S(o, "reason"), "idle");
	json_object_put(o);
	flowlog_free(fl);
	clear_lines();
}
END_TEST

START_TEST(interval_lines)
{
	struct flowlog *fl = mk(16, 10);
	const char *c = "100.64.0.2", *r = "10.99.0.2";
	json_object *o;
	uint64_t t;

	set_meta(1, 1, NULL);
	ck_assert_int_eq(cpkt(fl, 1, T(c, 5000, r, 22, 0x02, 0), 1000), 1);
	for (t = 1000; t < 25000; t += 1000) {
		ck_assert_int_eq(cpkt(fl, 1, T(c, 5000, r, 22, 0x10, 60), t), 0);
		ck_assert_int_eq(rpkt(fl, 1, T(r, 22, c, 5000, 0x10, 0), t), 0);
		(void)flowlog_tick(fl, t, WALL + (int64_t)t);
	}
	/* Lines at 11 s and 21 s, totals so far, the same start. */
	ck_assert_uint_eq(nlines, 2);
	o = J(0);
	ck_assert_str_eq(S(o, "reason"), "interval");
	ck_assert_int_eq(N(o, "packets_from_client"), 12);
	ck_assert_int_eq(N(o, "packets_to_client"), 11);
	ck_assert_int_eq(N(o, "bytes_from_client"), 40 + 11 * 100);
	ck_assert_str_eq(S(o, "start"), "2025-11-25T21:20:26.123Z");
	ck_assert_str_eq(S(o, "end"), "2025-11-25T21:20:36.123Z");
	json_object_put(o);
	o = J(1);
	ck_assert_int_eq(N(o, "flow_id"), 1);
	ck_assert_int_eq(N(o, "packets_from_client"), 22);
	ck_assert_str_eq(S(o, "start"), "2025-11-25T21:20:26.123Z");
	json_object_put(o);
	ck_assert_uint_eq(flowlog_end_peer(fl, 1, NULL, FLOWLOG_R_PEER_REMOVED, 25000, WALL + 25000), 1);
	o = J(2);
	ck_assert_int_eq(N(o, "packets_from_client"), 25);
	json_object_put(o);
	/* No packet since the last line: no interval line, the same start. */
	ck_assert_int_eq(cpkt(fl, 1, P(c, 6000, r, 23, 17, 0), 30000), 1);
	clear_lines();
	ck_assert_uint_eq(flowlog_tick(fl, 40000, WALL + 40001), 1);
	ck_assert_uint_eq(flowlog_tick(fl, 50000, WALL + 49999), 0);
	ck_assert_uint_eq(flowlog_tick(fl, 60000, WALL + 60000), 0);
	ck_assert_int_eq(rpkt(fl, 1, P(r, 23, c, 6000, 17, 0), 61000), 0);
	ck_assert_uint_eq(flowlog_tick(fl, 70000, WALL + 70001), 1);
	ck_assert_uint_eq(nlines, 2);
	o = J(0);
	ck_assert_str_eq(S(o, "start"), "2025-11-25T21:20:55.123Z");
	json_object_put(o);
	o = J(1);
	ck_assert_str_eq(S(o, "start"), "2025-11-25T21:20:55.123Z");
	ck_assert_int_eq(N(o, "packets_to_client"), 1);
	json_object_put(o);
	/* A wall clock set back an hour: times follow it. */
	ck_assert_uint_eq(flowlog_end_peer(fl, 1, NULL, FLOWLOG_R_PEER_REMOVED, 71000,
	    WALL + 71000 - 3600000), 1);
	o = J(2);
	ck_assert_str_eq(S(o, "start"), "2025-11-25T20:20:55.123Z");
	ck_assert_str_eq(S(o, "end"), "2025-11-25T20:21:26.123Z");
	json_object_put(o);
	flowlog_free(fl);
	/* Interval 0: only final lines. */
	fl = mk(16, 0);
	ck_assert_int_eq(cpkt(fl, 1, P(c, 5000, r, 22, 17, 0), 0), 1);
	for (t = 0; t < FLOWLOG_IDLE_UDP_MS; t += 1000) {
		ck_assert_int_eq(cpkt(fl, 1, P(c, 5000, r, 22, 17, 0), t), 0);
		ck_assert_uint_eq(flowlog_tick(fl, t, WALL), 0);
	}
	flowlog_free(fl);
	clear_lines();
}
END_TEST

START_TEST(full_table_and_revoke)
{
	struct flowlog *fl = mk(4, 0);
	struct flowlog_stats st;
	const char *c = "100.64.0.2", *r = "10.99.0.2";
	int i;

	for (i = 0; i < 4; i++) {
		set_meta(1, i % 2, NULL);
		ck_assert_int_eq(cpkt(fl, 1, P(c, 1000 + i, r, 80, 17, 0), 0), 1);
	}
	ck_assert_int_eq(cpkt(fl, 1, P(c, 2000, r, 80, 17, 0), 0), -1);
	ck_assert_int_eq(cpkt(fl, 2, P(c, 1000, r, 80, 17, 0), 0), -1);
	/* Existing flows still count. */
	ck_assert_int_eq(cpkt(fl, 1, P(c, 1003, r, 80, 17, 0), 0), 0);
	ck_assert_int_eq(rpkt(fl, 1, P(r, 80, c, 1003, 17, 0), 0), 0);
	flowlog_get_stats(fl, &st);
	ck_assert_uint_eq(st.active, 4);
	ck_assert_uint_eq(st.untracked, 2);
	/* Revoking resource 1 ends its two flows only. */
	{
		uint8_t res[16] = { 0xee, [15] = 1 }, other[16] = { 0xee, [15] = 5 };
		ck_assert_uint_eq(flowlog_end_peer(fl, 1, other, FLOWLOG_R_REVOKED, 0, WALL), 0);
		ck_assert_uint_eq(flowlog_end_peer(fl, 2, res, FLOWLOG_R_REVOKED, 0, WALL), 0);
		ck_assert_uint_eq(flowlog_end_peer(fl, 1, res, FLOWLOG_R_REVOKED, 0, WALL), 2);
	}
	for (i = 0; i < 2; i++) {
		json_object *o = J((size_t)i);
		ck_assert_str_eq(S(o, "reason"), "revoked");
		ck_assert_str_eq(S(o, "resource_id"), "ee000000-0000-0000-0000-000000000001");
		json_object_put(o);
	}
	ck_assert_int_eq(cpkt(fl, 1, P(c, 2000, r, 80, 17, 0), 0), 1);
	ck_assert_int_eq(cpkt(fl, 2, P(c, 1000, r, 80, 17, 0), 0), 1);
	ck_assert_int_eq(cpkt(fl, 3, P(c, 1000, r, 80, 17, 0), 0), -1);
	flowlog_get_stats(fl, &st);
	ck_assert_uint_eq(st.active, 4);
	ck_assert_uint_eq(st.untracked, 3);
	flowlog_free(fl);
	clear_lines();
}
END_TEST

START_TEST(escaping_and_bad_config)
{
	struct flowlog_config c;
	struct flowlog *fl;
	json_object *o;
	const char *name = "d\"p\\x\n\t\x01\xc3\xa9";

	clear_lines();
	memset(&c, 0, sizeof(c));
	c.max_flows = 2;
	c.emit = capture;
	c.procname = name;
	c.interval_s = FLOWLOG_MAX_INTERVAL_S + 1;
	ck_assert_ptr_null(flowlog_new(&c));
	c.interval_s = 0;
	c.emit = NULL;
	ck_assert_ptr_null(flowlog_new(&c));
	c.emit = capture;
	c.max_flows = 0;
	ck_assert_ptr_null(flowlog_new(&c));
	ck_assert_ptr_null(flowlog_new(NULL));
	c.max_flows = 2;
	fl = flowlog_new(&c);
	ck_assert_ptr_nonnull(fl);
	set_meta(1, 1, NULL);
	/* Another protocol (GRE, 47): named by its number, ports 0. */
	P("100.64.0.2", 0, "10.99.0.2", 0, 47, 30);
	ck_assert_int_eq(cpkt(fl, 1, &PI, 0), 1);
	ck_assert_uint_eq(flowlog_end_all(fl, FLOWLOG_R_SHUTDOWN, 0, WALL), 1);
	ck_assert_ptr_null(strchr(lines[0], '\t'));
	o = J(0);
	ck_assert_str_eq(S(o, "process"), "d\"p\\x\n\t\x01\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(S(o, "protocol"), "47");
	ck_assert_int_eq(N(o, "src_port"), 0);
	ck_assert_int_eq(N(o, "bytes_from_client"), 50);
	json_object_put(o);
	flowlog_free(fl);
	flowlog_free(NULL);
	ck_assert_int_eq(flowlog_client_packet(NULL, 1, &PI, pkt, 0, NULL, NULL), -1);
	ck_assert_int_eq(flowlog_resource_packet(NULL, 1, &PI, pkt, 0), -1);
	ck_assert_str_eq(flowlog_reason_name(FLOWLOG_R_END), "end");
	ck_assert_str_eq(flowlog_reason_name((enum flowlog_reason)99), "unknown");
	clear_lines();
}
END_TEST

START_TEST(rfc3339_times)
{
	static const struct {
		int64_t ms;
		const char *s;
	} kat[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ 951782400123LL, "2000-02-29T00:00:00.123Z" },
		{ 4107542399999LL, "2100-02-28T23:59:59.999Z" },
		{ 253402300799999LL, "9999-12-31T23:59:59.999Z" },
		{ -62167219200000LL, "0000-01-01T00:00:00.000Z" },
	};
	char buf[32], want[96];
	struct tm tm;
	uint64_t x = 88172645463325252ULL;
	size_t i;
	time_t t;

	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		ck_assert_uint_eq(flowlog_fmt_time(kat[i].ms, buf, sizeof(buf)), 24);
		ck_assert_str_eq(buf, kat[i].s);
	}
	ck_assert_uint_eq(flowlog_fmt_time(253402300800000LL, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(flowlog_fmt_time(-62167219200001LL, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(flowlog_fmt_time(0, buf, 24), 0);
	for (i = 0; i < 20000; i++) {
		int64_t ms;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % 253402300800000ULL);
		t = (time_t)(ms / 1000);
		ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
		ck_assert_uint_eq(flowlog_fmt_time(ms, buf, sizeof(buf)), 24);
		ck_assert_str_eq(buf, want);
	}
}
END_TEST

/* ---- the table against a naive model ----------------------------------- */

struct mflow {
	int live;
	uint32_t peer;
	int cport, rport;
	uint64_t bc, br, pc, pr, last;
};

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static struct mflow *
mfind(struct mflow *m, size_t n, uint32_t peer, int cport, int rport)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].live && m[i].peer == peer && m[i].cport == cport && m[i].rport == rport)
			return &m[i];
	return NULL;
}

static size_t
mcount(const struct mflow *m, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += m[i].live != 0;
	return k;
}

static size_t
mcount_peer(const struct mflow *m, size_t n, uint32_t peer)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += m[i].live && m[i].peer == peer;
	return k;
}

/* Every line written since `from` matches a model flow, which is removed. */
static void
check_lines(struct mflow *m, size_t n, size_t from)
{
	size_t i;

	for (i = from; i < nlines; i++) {
		json_object *o = J(i);
		const char *cid = S(o, "client_id");
		uint32_t peer = (uint32_t)strtoul(cid + 32, NULL, 16);
		struct mflow *f = mfind(m, n, peer, (int)N(o, "src_port"), (int)N(o, "dst_port"));
		ck_assert_msg(f != NULL, "line for no model flow: %s", lines[i]);
		ck_assert_int_eq(N(o, "bytes_from_client"), (int64_t)f->bc);
		ck_assert_int_eq(N(o, "bytes_to_client"), (int64_t)f->br);
		ck_assert_int_eq(N(o, "packets_from_client"), (int64_t)f->pc);
		ck_assert_int_eq(N(o, "packets_to_client"), (int64_t)f->pr);
		f->live = 0;
		json_object_put(o);
	}
}

START_TEST(random_vs_model)
{
	enum { CAP = 64, PORTS = 12, PCAP = 20 };
	/* Few peers with many flows each, then many peers (peer index collisions). */
	const uint32_t PEERS = _i == 0 ? 5 : _i == 1 ? 40 : 300;
	static struct mflow m[CAP * 4];
	struct flowlog *fl;
	struct flowlog_stats st;
	uint64_t now = 0, untracked = 0, untracked_peer = 0;
	size_t i, nm = 0, before;
	int op, rc;

	rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)_i;
	memset(m, 0, sizeof(m));
	mk_peer_cap = PCAP;	/* 5 peers x 36 possible flows: the peer cap bites */
	fl = mk(CAP, 0);
	mk_peer_cap = 0;
	for (i = 0; i < 30000; i++) {
		uint32_t peer = 1 + rnd() % PEERS;
		int cp = 1000 + (int)(rnd() % PORTS), rp = 80 + (int)(rnd() % 3);
		size_t len = rnd() % 200;
		struct mflow *f = mfind(m, nm, peer, cp, rp);

		op = (int)(rnd() % 1000);
		now += rnd() % 300;
		if (op < 600) {
			set_meta((int)peer, 1, NULL);
			rc = cpkt(fl, peer, P("100.64.0.2", cp, "10.99.0.2", rp, 17, len), now);
			if (f == NULL && mcount(m, nm) == CAP) {
				ck_assert_int_eq(rc, -1);
				untracked++;
				continue;
			}
			if (f == NULL && mcount_peer(m, nm, peer) == PCAP) {
				ck_assert_int_eq(rc, -1);
				untracked_peer++;
				continue;
			}
			ck_assert_int_eq(rc, f == NULL ? 1 : 0);
			if (f == NULL) {
				size_t k;
				for (k = 0; k < nm && m[k].live; k++)
					;
				if (k == nm)
					nm++;
				ck_assert_uint_lt(k, sizeof(m) / sizeof(m[0]));
				f = &m[k];
				memset(f, 0, sizeof(*f));
				f->live = 1;
				f->peer = peer;
				f->cport = cp;
				f->rport = rp;
			}
			f->bc += 28 + len;
			f->pc++;
			f->last = now;
		} else if (op < 950) {
			rc = rpkt(fl, peer, P("10.99.0.2", rp, "100.64.0.2", cp, 17, len), now);
			ck_assert_int_eq(rc, f == NULL ? -1 : 0);
			if (f != NULL) {
				f->br += 28 + len;
				f->pr++;
				f->last = now;
			}
		} else if (op < 960) {
			size_t k, want = 0;
			for (k = 0; k < nm; k++)
				want += m[k].live && m[k].peer == peer;
			before = nlines;
			ck_assert_uint_eq(flowlog_end_peer(fl, peer, NULL, FLOWLOG_R_PEER_REMOVED, now, WALL),
			    want);
			check_lines(m, nm, before);
		} else {
			size_t k, want = 0;
			now += rnd() % 30000;
			for (k = 0; k < nm; k++)
				want += m[k].live && now - m[k].last >= FLOWLOG_IDLE_UDP_MS;
			before = nlines;
			ck_assert_uint_eq(flowlog_tick(fl, now, WALL), want);
			check_lines(m, nm, before);
		}
		if (nlines > MAXLINES - 200)
			clear_lines();
		flowlog_get_stats(fl, &st);
		ck_assert_uint_eq(st.active, mcount(m, nm));
		ck_assert_uint_eq(st.untracked, untracked);
		ck_assert_uint_eq(st.untracked_peer, untracked_peer);
	}
	if (_i == 0)
		ck_assert_uint_gt(untracked_peer, 0);
	before = nlines;
	ck_assert_uint_eq(flowlog_end_all(fl, FLOWLOG_R_SHUTDOWN, now, WALL), mcount(m, nm));
	check_lines(m, nm, before);
	ck_assert_uint_eq(mcount(m, nm), 0);
	flowlog_free(fl);
	clear_lines();
}
END_TEST

static Suite *
flowlog_suite(void)
{
	Suite *s = suite_create("flowlog");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, one_udp_flow_exact_line);
	tcase_add_test(tc, nat_flow_v6_and_nat64);
	tcase_add_test(tc, icmp_echo_flows);
	tcase_add_test(tc, tcp_fin_rst_linger_and_idle);
	tcase_add_test(tc, interval_lines);
	tcase_add_test(tc, full_table_and_revoke);
	tcase_add_test(tc, escaping_and_bad_config);
	tcase_add_test(tc, rfc3339_times);
	tcase_add_loop_test(tc, random_vs_model, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(flowlog_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
