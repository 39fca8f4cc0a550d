/*
 * icmp_gen.c - build "administratively prohibited" and "unreachable" ICMP
 * errors.
 */
#include "icmp_gen.h"

#include <string.h>

static int
v4_unicast(const uint8_t *a)
{
	if (a[0] == 0 || a[0] == 127 || a[0] >= 224)	/* this-net, loopback, multicast, class E, broadcast */
		return 0;
	return 1;
}

static int
v6_unicast(const uint8_t *a)
{
	static const uint8_t zero[16], loop[16] = { [15] = 1 };

	if (a[0] == 0xff)
		return 0;
	return memcmp(a, zero, 16) != 0 && memcmp(a, loop, 16) != 0;
}

/* May an error be sent about this packet at all? */
static int
may_answer(const struct pkt_info *pi)
{
	if (pi->version == 4) {
		if (pi->is_later_frag)
			return 0;
		if (!v4_unicast(pi->src.b) || !v4_unicast(pi->dst.b))
			return 0;
		if (pi->proto == PKT_PROTO_ICMP) {
			/* unknown or unparsable ICMP is treated like an error: no answer */
			if (!pi->l4_ok || pi->is_icmp_err)
				return 0;
		}
		return 1;
	}
	if (!v6_unicast(pi->src.b) || !v6_unicast(pi->dst.b))
		return 0;
	if (pi->proto == PKT_PROTO_ICMPV6) {
		if (!pi->l4_ok || pi->icmp_type < 128 || pi->icmp_type == 137)
			return 0;
	}
	return 1;
}

/* Build the error of the given codes (IPv4 type 3, IPv6 type 1) answering in. */
static int
icmp_gen_unreach(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap, uint8_t code4,
    uint8_t code6)
{
	struct pkt_info pi;
	size_t hl, quote, outlen;
	int err;

	if (out == NULL)
		return PKT_E_INVAL;
	if ((err = pkt_parse(in, inlen, &pi)) != PKT_OK)
		return err;
	if (!may_answer(&pi))
		return 0;
	hl = pi.version == 4 ? PKT_IPV4_HDR_LEN : PKT_IPV6_HDR_LEN;
	quote = pi.tot_len;
	if (pi.version == 4 && quote > (size_t)pi.l3_len + 8)
		quote = (size_t)pi.l3_len + 8;	/* RFC 792: header + 64 bits */
	if (pi.version == 6 && hl + 8 + quote > ICMP_GEN_MAX_V6)
		quote = ICMP_GEN_MAX_V6 - hl - 8;
	outlen = hl + 8 + quote;
	if (outlen > outcap)
		return PKT_E_NOSPACE;
	memcpy(out + hl + 8, in, quote);
	memset(out, 0, hl + 8);
	if (pi.version == 4) {
		out[0] = 0x45;
		pkt_put16(out + 2, (uint16_t)outlen);
		out[6] = 0x40;	/* DF */
		out[8] = ICMP_GEN_TTL;
		out[9] = PKT_PROTO_ICMP;
		memcpy(out + 12, pi.dst.b, 4);
		memcpy(out + 16, pi.src.b, 4);
		pkt_put16(out + 10, pkt_csum(out, PKT_IPV4_HDR_LEN));
		out[20] = PKT_ICMP4_UNREACH;
		out[21] = code4;
		pkt_put16(out + 22, pkt_csum(out + 20, outlen - 20));
	} else {
		out[0] = 0x60;
		pkt_put16(out + 4, (uint16_t)(outlen - PKT_IPV6_HDR_LEN));
		out[6] = PKT_PROTO_ICMPV6;
		out[7] = ICMP_GEN_TTL;
		memcpy(out + 8, pi.dst.b, 16);
		memcpy(out + 24, pi.src.b, 16);
		out[40] = PKT_ICMP6_UNREACH;
		out[41] = code6;
		pkt_put16(out + 42, pkt_csum_fold(pkt_csum_add(
		    pkt_csum_pseudo(&pi.dst, &pi.src, PKT_PROTO_ICMPV6, (uint32_t)(outlen - 40)),
		    out + 40, outlen - 40)));
	}
	return (int)outlen;
}

int
icmp_gen_prohibited(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap)
{
	/* communication (with destination) administratively prohibited */
	return icmp_gen_unreach(in, inlen, out, outcap, 13, 1);
}

int
icmp_gen_unreachable(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap)
{
	/* network unreachable (RFC 792), address unreachable (RFC 4443) */
	return icmp_gen_unreach(in, inlen, out, outcap, 0, 3);
}
