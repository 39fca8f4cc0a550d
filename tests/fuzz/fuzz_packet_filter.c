/*
 * fuzz_packet_filter.c - libFuzzer target for dataplane/packet.c and
 * dataplane/filter.c: a packet from a client, parsed and checked against
 * the client's grants, the way the tunnel's inbound path does it.
 *
 * Byte 0: bits 0-5 advance the clock by that many 10 s steps (a grant
 * expires at +300 s); bit 6 revokes the Internet resource first; bit 7
 * replaces the first resource's filters.  The rest is the IP packet.
 *
 * The same packet also goes to a client that holds only the Internet
 * resource, with the gateway's tunnel addresses set: nothing in the
 * refused, proxy or client tunnel ranges may pass there, and the gateway's
 * address passes only DNS (port 53535) and echo requests.  Last, the
 * destination is offered as a DNS proxy IP: accepted exactly when it lies
 * in the proxy ranges, and then admitted.
 *
 * A packet that parses also goes through the checksum code: after
 * pkt_fill_checksums and after every field setter, the checksums must
 * verify with an independent computation, and a parse of the result must
 * show the new field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "fuzz_pkt_common.c"
#include "log.h"
#include "packet.h"

#define NOW0	1700000000LL

static const uint8_t id_cidr4[FILTER_ID_LEN] = { 1 };
static const uint8_t id_cidr6[FILTER_ID_LEN] = { 2 };
static const uint8_t id_dns[FILTER_ID_LEN] = { 3 };
static const uint8_t id_inet[FILTER_ID_LEN] = { 4 };
static const uint8_t id_exp[FILTER_ID_LEN] = { 5 };

static void
addr(struct pkt_addr *a, const char *s)
{
	if (pkt_addr_from_str(a, s) != 0)
		abort();
}

static struct filter_client *
client(uint8_t flags)
{
	static const struct filter_spec web[] = {
		{ FILTER_TCP, 80, 80 }, { FILTER_TCP, 443, 443 }, { FILTER_UDP, 53, 53 },
		{ FILTER_TCP, 8000, 8999 },
	};
	static const struct filter_spec icmp[] = { { FILTER_ICMP, 0, 0 } };
	static const struct filter_spec ssh[] = { { FILTER_TCP, 22, 22 } };
	static const struct filter_spec udp_hi[] = { { FILTER_UDP, 1024, 65535 } };
	struct pkt_addr t4, t6, n4, n6, n4b, res[2], prox[2];
	struct filter_client *fc;

	addr(&t4, "100.64.0.7");
	addr(&t6, "fd00:2021:1111::7");
	addr(&n4, "10.0.0.0");
	addr(&n6, "fd00:1::");
	addr(&n4b, "192.168.1.0");
	addr(&res[0], "198.18.0.34");
	addr(&res[1], "2001:2::34");
	addr(&prox[0], "100.96.0.1");
	addr(&prox[1], "fd00:2021:1111:8000::1");
	fc = filter_client_new(&t4, &t6);
	if (fc == NULL)
		abort();
	if (filter_grant(fc, id_cidr4, FILTER_RES_CIDR, &n4, 8, web, 4, FILTER_NO_EXPIRY) != 0 ||
	    filter_grant(fc, id_cidr6, FILTER_RES_CIDR, &n6, 64, icmp, 1, FILTER_NO_EXPIRY) != 0 ||
	    filter_grant(fc, id_dns, FILTER_RES_DNS, NULL, 0, NULL, 0, FILTER_NO_EXPIRY) != 0 ||
	    filter_dns_update(fc, id_dns, "example.com", res, 2, prox, 2) != 0 ||
	    filter_grant(fc, id_inet, FILTER_RES_INTERNET, NULL, 0, ssh, 1, FILTER_NO_EXPIRY) != 0 ||
	    filter_grant(fc, id_exp, FILTER_RES_CIDR, &n4b, 24, udp_hi, 1, NOW0 + 300) != 0)
		abort();
	if (flags & 0x40 && filter_revoke(fc, id_inet) != 0)
		abort();
	if (flags & 0x80 && filter_set_filters(fc, id_cidr4, udp_hi, 1) != 0)
		abort();
	return fc;
}

static void
reparse(const uint8_t *buf, size_t len, const struct pkt_info *want)
{
	struct pkt_info pi;

	if (pkt_parse(buf, len, &pi) != PKT_OK)
		abort();
	fuzz_pkt_info_check(&pi, len);
	if (!pkt_addr_eq(&pi.src, &want->src) || !pkt_addr_eq(&pi.dst, &want->dst) ||
	    pi.sport != want->sport || pi.dport != want->dport ||
	    pi.icmp_id != want->icmp_id || pi.tot_len != want->tot_len)
		abort();
	if (!fuzz_pkt_csum_ok(buf, &pi))
		abort();
}

static void
setters(const uint8_t *data, size_t len, const struct pkt_info *orig)
{
	struct pkt_info pi = *orig;
	struct pkt_addr a;
	uint8_t *buf = malloc(len);

	if (buf == NULL)
		abort();
	memcpy(buf, data, len);
	if (pkt_fill_checksums(buf, &pi) != PKT_OK) {
		free(buf);
		return;
	}
	if (!fuzz_pkt_csum_ok(buf, &pi))
		abort();
	addr(&a, pi.version == 4 ? "198.51.100.9" : "2001:db8::9");
	if (pkt_set_src(buf, &pi, &a) != PKT_OK)
		abort();
	reparse(buf, len, &pi);
	addr(&a, pi.version == 4 ? "100.64.255.1" : "fd00:2021:1111::ffff");
	if (pkt_set_dst(buf, &pi, &a) != PKT_OK)
		abort();
	reparse(buf, len, &pi);
	if (pi.l4_ok && !pi.is_frag && (pi.proto == PKT_PROTO_TCP || pi.proto == PKT_PROTO_UDP)) {
		if (pkt_set_sport(buf, &pi, (uint16_t)(pi.sport ^ 0x5a5a)) != PKT_OK ||
		    pkt_set_dport(buf, &pi, (uint16_t)(pi.dport + 1)) != PKT_OK)
			abort();
		reparse(buf, len, &pi);
	}
	if (pi.is_echo && !pi.is_frag) {
		if (pkt_set_echo_id(buf, &pi, (uint16_t)~pi.icmp_id) != PKT_OK)
			abort();
		reparse(buf, len, &pi);
	}
	free(buf);
}

static struct filter_client *
internet_only(void)
{
	struct pkt_addr t4, t6;
	struct filter_client *fc;

	addr(&t4, "100.64.0.7");
	addr(&t6, "fd00:2021:1111::7");
	if ((fc = filter_client_new(&t4, &t6)) == NULL ||
	    filter_grant(fc, id_inet, FILTER_RES_INTERNET, NULL, 0, NULL, 0, FILTER_NO_EXPIRY) != 0)
		abort();
	return fc;
}

static void
gateway(struct filter_gateway *gw)
{
	struct pkt_addr g4, g6;

	addr(&g4, "100.64.0.1");
	addr(&g6, "fd00:2021:1111::1");
	if (filter_gateway_set(gw, g4.b, g6.b) != 0)
		abort();
}

/* What the gateway's own address serves, written out again. */
static int
gateway_serves(const struct pkt_info *pi)
{
	if (pi->proto == PKT_PROTO_TCP || pi->proto == PKT_PROTO_UDP)
		return pi->l4_ok && pi->dport == 53535;
	if (pi->proto == PKT_PROTO_ICMP)
		return pi->version == 4 && pi->is_echo && pi->icmp_type == 8;
	if (pi->proto == PKT_PROTO_ICMPV6)
		return pi->version == 6 && pi->is_echo && pi->icmp_type == 128;
	return 0;
}

/* Invariants of filter_check's verdict rc (why) for either client. */
static void
check_verdict(const struct filter_gateway *gw, const struct pkt_info *pi, int rc,
    enum filter_deny why, int internet_only)
{
	const struct pkt_addr *d = &pi->dst;
	int is_gw = (gw->has_v4 && pkt_addr_eq(d, &gw->v4)) || (gw->has_v6 && pkt_addr_eq(d, &gw->v6));

	if (rc != 0 && rc != PKT_E_SPOOF && rc != PKT_E_DENIED && rc != PKT_E_FRAG)
		abort();
	if (rc == PKT_E_SPOOF)
		return;
	/* fragments and ICMP errors from clients never pass (issue 15) */
	if ((rc == PKT_E_FRAG) != (pi->is_frag || (pi->version == 6 && pi->proto == PKT_PROTO_IPV6_FRAG)))
		abort();
	if (rc == PKT_E_FRAG)
		return;
	if (rc == 0 && pi->is_icmp_err)
		abort();
	if (is_gw && (rc == 0) != gateway_serves(pi))
		abort();
	if (rc == 0 && !is_gw && filter_is_client_range(d))
		abort();	/* hairpin */
	if (rc == PKT_E_DENIED && why == FILTER_DENY_UNREACHABLE &&
	    !filter_is_proxy_range(d) && !filter_is_internet_refused(d))
		abort();
	if (rc == PKT_E_DENIED && why == FILTER_DENY_UNREACHABLE && filter_is_client_range(d))
		abort();
	if (internet_only && !is_gw && !pi->is_icmp_err && (rc == 0) == filter_is_internet_refused(d))
		abort();	/* the Internet resource alone: exactly the unrefused */
}

/* 1 for the ICMP errors that reach a client whatever its grants. */
static int
inbound_error(const struct pkt_info *pi)
{
	if (!pi->l4_ok)
		return 0;
	if (pi->version == 4 && pi->proto == PKT_PROTO_ICMP)
		return pi->icmp_type == 3 || pi->icmp_type == 11;
	if (pi->version == 6 && pi->proto == PKT_PROTO_ICMPV6)
		return pi->icmp_type >= 1 && pi->icmp_type <= 3;
	return 0;
}

/*
 * Invariants of filter_check_inbound for the packet as it is, and turned
 * toward the client's tunnel address (the client's addresses end in 7).
 */
static void
check_inbound(struct filter_client *fc, const struct filter_gateway *gw,
    const struct pkt_info *orig, int64_t now, int internet_only)
{
	struct pkt_info pi = *orig;
	int is_gw, rc;

	rc = filter_check_inbound(fc, gw, &pi, now);
	if (rc != 0 && rc != PKT_E_DENIED)
		abort();
	if (rc == 0 && !filter_is_client_range(&pi.dst))
		abort();	/* only ever to a tunnel address */
	addr(&pi.dst, pi.version == 4 ? "100.64.0.7" : "fd00:2021:1111::7");
	is_gw = (gw->has_v4 && pkt_addr_eq(&pi.src, &gw->v4)) ||
	    (gw->has_v6 && pkt_addr_eq(&pi.src, &gw->v6));
	rc = filter_check_inbound(fc, gw, &pi, now);
	if (rc != 0 && rc != PKT_E_DENIED)
		abort();
	if ((is_gw || inbound_error(&pi)) && rc != 0)
		abort();
	if (is_gw || inbound_error(&pi))
		return;
	if (rc == 0 && filter_is_client_range(&pi.src))
		abort();	/* never from another client */
	if (internet_only && (rc == 0) == filter_is_internet_refused(&pi.src))
		abort();	/* the Internet resource alone: exactly the unrefused */
}

/* Offer the destination as a proxy IP of the DNS resource. */
static void
offer_proxy(struct filter_client *fc, const struct filter_gateway *gw, const struct pkt_info *pi,
    int64_t now)
{
	struct pkt_addr res, got[FILTER_PROXIES_PER_NAME];
	int rc;

	addr(&res, "198.18.0.99");
	rc = filter_dns_update(fc, id_dns, "fuzz.example", &res, 1, &pi->dst, 1);
	if ((rc == 0) != filter_is_proxy_range(&pi->dst) || (rc != 0 && rc != PKT_E_INVAL))
		abort();
	if (filter_dns_proxies(fc, id_dns, "fuzz.example", got, FILTER_PROXIES_PER_NAME) != (rc == 0))
		abort();
	if (rc != 0)
		return;
	/* the DNS resource has no filters: its proxy passes, unless spoofed,
	 * a fragment or an ICMP error */
	rc = filter_check(fc, gw, pi, now, NULL);
	if (rc != 0 && rc != PKT_E_SPOOF && rc != PKT_E_FRAG && !(rc == PKT_E_DENIED && pi->is_icmp_err))
		abort();
	/* replaced by nothing: refused again, as unreachable */
	if (filter_dns_update(fc, id_dns, "fuzz.example", &res, 1, NULL, 0) != 0)
		abort();
	if (filter_check(fc, gw, pi, now, NULL) == 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter_client *fc;
	struct filter_gateway gw;
	struct pkt_info pi;
	enum filter_deny why;
	uint8_t flags;
	uint8_t *buf;
	int64_t now;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	/* a copy of exactly size bytes, so ASan sees any overread */
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	rc = pkt_parse(buf, size, &pi);
	if (rc != PKT_OK) {
		if (rc > 0 || pkt_strerror(rc) == NULL)
			abort();
		free(buf);
		return 0;
	}
	fuzz_pkt_info_check(&pi, size);
	(void)pkt_is_p2p_control(&pi);
	setters(buf, size, &pi);

	gateway(&gw);
	if (filter_tun_source_ok(&gw, &pi.src) !=
	    (!filter_is_client_range(&pi.src) || pkt_addr_eq(&pi.src, &gw.v4) ||
	    pkt_addr_eq(&pi.src, &gw.v6)))
		abort();
	fc = internet_only();
	rc = filter_check(fc, &gw, &pi, NOW0, &why);
	check_verdict(&gw, &pi, rc, why, 1);
	check_inbound(fc, &gw, &pi, NOW0, 1);
	filter_client_free(fc);

	fc = client(flags);
	now = NOW0 + (int64_t)(flags & 0x3f) * 10;
	rc = filter_check(fc, &gw, &pi, now, &why);
	check_verdict(&gw, &pi, rc, why, 0);
	check_inbound(fc, &gw, &pi, now, 0);
	if (rc != PKT_E_SPOOF && filter_next_expiry(fc) <= now)
		abort();	/* filter_check drops what expired */
	{
		/* A packet the filter admits was admitted by some granted resource. */
		uint8_t id[FILTER_ID_LEN];
		int has = filter_resource_of(fc, &pi, id);
		if (has != 0 && has != 1)
			abort();
		if (has && !filter_has(fc, id, NULL))
			abort();
		if (rc == 0 && !has && filter_count(fc) > 0 && !filter_is_proxy_range(&pi.dst) &&
		    !filter_is_client_range(&pi.dst))
			abort();
		/* a refused range passes only through a CIDR grant */
		if (rc == 0 && filter_is_internet_refused(&pi.dst) && !filter_is_client_range(&pi.dst) &&
		    !filter_is_proxy_range(&pi.dst) && (!has || memcmp(id, id_inet, FILTER_ID_LEN) == 0))
			abort();
		/* a proxy IP passes only as the DNS resource's */
		if (rc == 0 && filter_is_proxy_range(&pi.dst) &&
		    (!has || memcmp(id, id_dns, FILTER_ID_LEN) != 0))
			abort();
	}
	offer_proxy(fc, &gw, &pi, now);
	filter_client_free(fc);
	free(buf);
	return 0;
}
