/*
 * nat64.c - RFC 7915 header translation between IPv6 and IPv4.
 *
 * Every function first reads what it needs from the input into locals,
 * then moves the payload, then writes the new headers: that order is what
 * lets in and out be the same buffer in both directions.
 */
#include "nat64.h"

#include <string.h>

#define ICMP_HDR	8

static int
is_ext_hdr(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60;
}

/* Folded one's-complement sum (not complemented) of a partial sum. */
static uint16_t
sum16(uint32_t s)
{
	return (uint16_t)~pkt_csum_fold(s);
}

static void
build4(uint8_t h[PKT_IPV4_HDR_LEN], uint8_t tos, size_t tot, uint8_t ttl, uint8_t proto,
    const struct pkt_addr *s, const struct pkt_addr *d)
{
	memset(h, 0, PKT_IPV4_HDR_LEN);
	h[0] = 0x45;
	h[1] = tos;
	pkt_put16(h + 2, (uint16_t)tot);
	h[6] = 0x40;		/* DF; identification 0 */
	h[8] = ttl;
	h[9] = proto;
	memcpy(h + 12, s->b, 4);
	memcpy(h + 16, d->b, 4);
	pkt_put16(h + 10, pkt_csum(h, PKT_IPV4_HDR_LEN));
}

static void
build6(uint8_t h[PKT_IPV6_HDR_LEN], uint8_t tc, size_t plen, uint8_t nh, uint8_t hlim,
    const struct pkt_addr *s, const struct pkt_addr *d)
{
	h[0] = (uint8_t)(0x60 | (tc >> 4));
	h[1] = (uint8_t)(tc << 4);	/* flow label 0 */
	h[2] = h[3] = 0;
	pkt_put16(h + 4, (uint16_t)plen);
	h[6] = nh;
	h[7] = hlim;
	memcpy(h + 8, s->b, 16);
	memcpy(h + 24, d->b, 16);
}

/* Move a TCP/UDP checksum from one pseudo-header to another (RFC 1624). */
static void
adjust_tcpudp(uint8_t *l4, size_t avail, uint8_t proto, uint32_t old_ps, uint32_t new_ps)
{
	size_t off = proto == PKT_PROTO_TCP ? 16 : 6;
	uint16_t c;

	if (avail < off + 2)
		return;
	c = pkt_get16(l4 + off);
	if (proto == PKT_PROTO_UDP && c == 0)
		return;
	c = pkt_csum_replace16(c, sum16(old_ps), sum16(new_ps));
	if (proto == PKT_PROTO_UDP && c == 0)
		c = 0xffff;
	pkt_put16(l4 + off, c);
}

/*
 * Rewrite an ICMP echo header between families: new type, and the
 * pseudo-header (ICMPv6 only) removed (old_ps) or added (new_ps).
 */
static void
adjust_echo(uint8_t *ic, size_t avail, uint8_t new_type, uint32_t old_ps, uint32_t new_ps)
{
	uint16_t c, ow, nw;

	if (avail < 4)
		return;
	ow = pkt_get16(ic);
	ic[0] = new_type;
	nw = pkt_get16(ic);
	c = pkt_get16(ic + 2);
	c = pkt_csum_replace16(c, ow, nw);
	c = pkt_csum_replace16(c, sum16(old_ps), sum16(new_ps));
	pkt_put16(ic + 2, c);
}

int
nat64_icmp6_to_icmp4(uint8_t type6, uint8_t code6, uint8_t *type4, uint8_t *code4)
{
	*code4 = 0;
	switch (type6) {
	case PKT_ICMP6_ECHO_REQUEST:
		*type4 = PKT_ICMP4_ECHO_REQUEST;
		*code4 = code6;
		return PKT_OK;
	case PKT_ICMP6_ECHO_REPLY:
		*type4 = PKT_ICMP4_ECHO_REPLY;
		*code4 = code6;
		return PKT_OK;
	case PKT_ICMP6_UNREACH:
		*type4 = PKT_ICMP4_UNREACH;
		switch (code6) {
		case 0: case 2: case 3:
			*code4 = 1;	/* host unreachable */
			return PKT_OK;
		case 1:
			*code4 = 10;	/* host administratively prohibited */
			return PKT_OK;
		case 4:
			*code4 = 3;	/* port unreachable */
			return PKT_OK;
		default:
			return PKT_E_PROTO;
		}
	case PKT_ICMP6_PACKET_TOO_BIG:
		/* upstream dropped Packet Too Big; translated here so PMTUD works */
		*type4 = PKT_ICMP4_UNREACH;
		*code4 = 4;
		return PKT_OK;
	case PKT_ICMP6_TIME_EXCEEDED:
		*type4 = PKT_ICMP4_TIME_EXCEEDED;
		*code4 = code6;
		return PKT_OK;
	case PKT_ICMP6_PARAMPROB:
		if (code6 == 0) {
			*type4 = PKT_ICMP4_PARAMPROB;
			return PKT_OK;
		}
		if (code6 == 1) {
			*type4 = PKT_ICMP4_UNREACH;
			*code4 = 2;	/* protocol unreachable */
			return PKT_OK;
		}
		return PKT_E_PROTO;
	default:
		return PKT_E_PROTO;
	}
}

int
nat64_icmp4_to_icmp6(uint8_t type4, uint8_t code4, uint8_t *type6, uint8_t *code6)
{
	*code6 = 0;
	switch (type4) {
	case PKT_ICMP4_ECHO_REQUEST:
		*type6 = PKT_ICMP6_ECHO_REQUEST;
		*code6 = code4;
		return PKT_OK;
	case PKT_ICMP4_ECHO_REPLY:
		*type6 = PKT_ICMP6_ECHO_REPLY;
		*code6 = code4;
		return PKT_OK;
	case PKT_ICMP4_UNREACH:
		switch (code4) {
		case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
			*type6 = PKT_ICMP6_UNREACH;
			*code6 = 0;
			return PKT_OK;
		case 2:
			*type6 = PKT_ICMP6_PARAMPROB;
			*code6 = 1;
			return PKT_OK;
		case 3:
			*type6 = PKT_ICMP6_UNREACH;
			*code6 = 4;
			return PKT_OK;
		case 4:
			*type6 = PKT_ICMP6_PACKET_TOO_BIG;
			return PKT_OK;
		case 9: case 10: case 13: case 15:
			*type6 = PKT_ICMP6_UNREACH;
			*code6 = 1;
			return PKT_OK;
		default:
			return PKT_E_PROTO;
		}
	case PKT_ICMP4_TIME_EXCEEDED:
		*type6 = PKT_ICMP6_TIME_EXCEEDED;
		*code6 = code4;
		return PKT_OK;
	case PKT_ICMP4_PARAMPROB:
		if (code4 == 0 || code4 == 2) {
			*type6 = PKT_ICMP6_PARAMPROB;
			return PKT_OK;
		}
		return PKT_E_PROTO;
	default:
		return PKT_E_PROTO;
	}
}

/* RFC 7915 figure 6: IPv6 parameter-problem pointer to IPv4, -1 if none. */
static int
ptr6_to_4(uint32_t p)
{
	if (p <= 1)
		return (int)p;
	if (p == 4 || p == 5)
		return 2;
	if (p == 6)
		return 9;
	if (p == 7)
		return 8;
	if (p >= 8 && p <= 23)
		return 12;
	if (p >= 24 && p <= 39)
		return 16;
	return -1;
}

/* RFC 7915 figure 3: IPv4 parameter-problem pointer to IPv6, -1 if none. */
static int
ptr4_to_6(uint32_t p)
{
	if (p <= 1)
		return (int)p;
	if (p == 2 || p == 3)
		return 4;
	if (p == 8)
		return 7;
	if (p == 9)
		return 6;
	if (p >= 12 && p <= 15)
		return 8;
	if (p >= 16 && p <= 19)
		return 24;
	return -1;
}

/* ---- IPv6 -> IPv4 ----------------------------------------------------- */

static int
icmp_err_6to4(const uint8_t *in, const struct pkt_info *pi, uint8_t *out, size_t outcap,
    const struct nat64_addrs *m)
{
	const uint8_t *ic = in + pi->l3_len, *q = ic + ICMP_HDR;
	size_t qlen = (size_t)pi->l4_len - ICMP_HDR, qpaylen, outlen;
	uint8_t type4, code4, rest[4] = { 0 }, outer[20], icmp[8], inner[20];
	uint8_t inh, inproto;
	uint16_t inplen;
	struct pkt_addr isrc, idst;
	uint32_t old_ps, new_ps;
	int err;

	if ((err = nat64_icmp6_to_icmp4(pi->icmp_type, pi->icmp_code, &type4, &code4)) != PKT_OK)
		return err;
	if (m->inner_src.af != 4 || m->inner_dst.af != 4)
		return PKT_E_PROTO;
	if (pi->icmp_type == PKT_ICMP6_PACKET_TOO_BIG) {
		uint32_t mtu = pkt_get32(ic + 4);
		mtu = mtu > 20 ? mtu - 20 : 0;
		if (mtu > 0xffff)
			mtu = 0xffff;
		pkt_put16(rest + 2, (uint16_t)mtu);
	} else if (type4 == PKT_ICMP4_PARAMPROB) {
		int p = ptr6_to_4(pkt_get32(ic + 4));
		if (p < 0)
			return PKT_E_PROTO;
		rest[0] = (uint8_t)p;
	}
	/* the quoted packet: a full IPv6 header, then whatever fits */
	if (qlen < PKT_IPV6_HDR_LEN)
		return PKT_E_TRUNC;
	if ((q[0] >> 4) != 6)
		return PKT_E_PROTO;
	inh = q[6];
	if (is_ext_hdr(inh))
		return PKT_E_EXTHDR;
	inproto = inh == PKT_PROTO_ICMPV6 ? PKT_PROTO_ICMP : inh;
	inplen = pkt_get16(q + 4);
	pkt_addr_v6(&isrc, q + 8);
	pkt_addr_v6(&idst, q + 24);
	build4(inner, (uint8_t)(((q[0] & 0x0f) << 4) | (q[1] >> 4)),
	    (size_t)inplen + 20 > 0xffff ? 0xffff : (size_t)inplen + 20, q[7], inproto,
	    &m->inner_src, &m->inner_dst);
	qpaylen = qlen - PKT_IPV6_HDR_LEN;
	outlen = 20 + ICMP_HDR + 20 + qpaylen;
	if (outlen > outcap)
		return PKT_E_NOSPACE;
	icmp[0] = type4;
	icmp[1] = code4;
	icmp[2] = icmp[3] = 0;
	memcpy(icmp + 4, rest, 4);
	build4(outer, pi->tos, outlen, pi->ttl, PKT_PROTO_ICMP, &m->src, &m->dst);

	memmove(out + 48, q + PKT_IPV6_HDR_LEN, qpaylen);
	memcpy(out + 28, inner, 20);
	memcpy(out + 20, icmp, ICMP_HDR);
	memcpy(out, outer, 20);

	/* keep the quoted transport checksum consistent with its new header */
	if (inh == PKT_PROTO_TCP || inh == PKT_PROTO_UDP) {
		old_ps = pkt_csum_pseudo(&isrc, &idst, inh, inplen);
		new_ps = pkt_csum_pseudo(&m->inner_src, &m->inner_dst, inh, inplen);
		adjust_tcpudp(out + 48, qpaylen, inh, old_ps, new_ps);
	} else if (inh == PKT_PROTO_ICMPV6 && qpaylen >= 4 &&
	    (out[48] == PKT_ICMP6_ECHO_REQUEST || out[48] == PKT_ICMP6_ECHO_REPLY)) {
		old_ps = pkt_csum_pseudo(&isrc, &idst, PKT_PROTO_ICMPV6, inplen);
		adjust_echo(out + 48, qpaylen, out[48] == PKT_ICMP6_ECHO_REQUEST ?
		    PKT_ICMP4_ECHO_REQUEST : PKT_ICMP4_ECHO_REPLY, old_ps, 0);
	}
	pkt_put16(out + 22, pkt_csum(out + 20, outlen - 20));
	return (int)outlen;
}

int
nat64_6to4(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    const struct nat64_addrs *m)
{
	struct pkt_info pi;
	uint8_t h[PKT_IPV4_HDR_LEN], proto4, type4 = 0, code4;
	size_t outlen;
	uint32_t old_ps;
	int err;

	if (m == NULL || out == NULL || m->src.af != 4 || m->dst.af != 4)
		return PKT_E_INVAL;
	if ((err = pkt_parse(in, inlen, &pi)) != PKT_OK)
		return err;
	if (pi.version != 6)
		return PKT_E_VERSION;
	if (is_ext_hdr(pi.proto))
		return PKT_E_EXTHDR;
	if (pi.proto == PKT_PROTO_ICMPV6) {
		if (!pi.l4_ok)
			return PKT_E_TRUNC;
		if (pi.is_icmp_err)
			return icmp_err_6to4(in, &pi, out, outcap, m);
		if (pi.icmp_type != PKT_ICMP6_ECHO_REQUEST && pi.icmp_type != PKT_ICMP6_ECHO_REPLY)
			return PKT_E_PROTO;	/* ND, MLD and the like stay in IPv6 */
		(void)nat64_icmp6_to_icmp4(pi.icmp_type, pi.icmp_code, &type4, &code4);
	}
	proto4 = pi.proto == PKT_PROTO_ICMPV6 ? PKT_PROTO_ICMP : pi.proto;
	outlen = PKT_IPV4_HDR_LEN + (size_t)pi.l4_len;
	if (outlen > PKT_MAX_PACKET)
		return PKT_E_LENGTH;
	if (outlen > outcap)
		return PKT_E_NOSPACE;
	/* whole traffic class copied: upstream treated it as DSCP and lost ECN */
	build4(h, pi.tos, outlen, pi.ttl, proto4, &m->src, &m->dst);
	old_ps = pkt_csum_pseudo(&pi.src, &pi.dst, pi.proto, pi.l4_len);
	memmove(out + PKT_IPV4_HDR_LEN, in + PKT_IPV6_HDR_LEN, pi.l4_len);
	memcpy(out, h, PKT_IPV4_HDR_LEN);
	if (pi.proto == PKT_PROTO_TCP || pi.proto == PKT_PROTO_UDP)
		adjust_tcpudp(out + PKT_IPV4_HDR_LEN, pi.l4_len, pi.proto, old_ps,
		    pkt_csum_pseudo(&m->src, &m->dst, pi.proto, pi.l4_len));
	else if (pi.proto == PKT_PROTO_ICMPV6) {
		adjust_echo(out + PKT_IPV4_HDR_LEN, pi.l4_len, type4, old_ps, 0);
		/*
		 * Eqn. 3 gives 0x0000 where the ICMPv4 message (no
		 * pseudo-header) is all zero bytes and needs 0xffff: an echo
		 * reply with identifier, sequence and data 0.  Recompute.
		 */
		if (pkt_get16(out + PKT_IPV4_HDR_LEN + 2) == 0)
			pkt_put16(out + PKT_IPV4_HDR_LEN + 2,
			    pkt_csum(out + PKT_IPV4_HDR_LEN, pi.l4_len));
	}
	return (int)outlen;
}

/* ---- IPv4 -> IPv6 ----------------------------------------------------- */

/* RFC 1191 plateaus: the largest below len, or 0. */
static uint32_t
plateau_below(uint32_t len)
{
	static const uint16_t pl[] = { 65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68 };
	size_t i;

	for (i = 0; i < sizeof(pl) / sizeof(pl[0]); i++)
		if (pl[i] < len)
			return pl[i];
	return 0;
}

/* Largest ICMPv6 error message (RFC 4443 2.4(c)): the IPv6 minimum MTU. */
#define ICMP6_ERR_MAX	1280

static int
icmp_err_4to6(const uint8_t *in, const struct pkt_info *pi, uint8_t *out, size_t outcap,
    const struct nat64_addrs *m)
{
	const uint8_t *ic = in + pi->l3_len, *q = ic + ICMP_HDR;
	size_t qlen = (size_t)pi->l4_len - ICMP_HDR, ihl, qpaylen, outlen;
	uint8_t type6, code6, rest[4] = { 0 }, outer[40], icmp[8], inner[40];
	uint8_t inproto, innh;
	uint16_t intot, inplen, infrag;
	struct pkt_addr isrc, idst;
	uint32_t old_ps, new_ps;
	int err;

	if ((err = nat64_icmp4_to_icmp6(pi->icmp_type, pi->icmp_code, &type6, &code6)) != PKT_OK)
		return err;
	if (m->inner_src.af != 6 || m->inner_dst.af != 6)
		return PKT_E_PROTO;
	if (qlen < PKT_IPV4_HDR_LEN)
		return PKT_E_TRUNC;
	if ((q[0] >> 4) != 4)
		return PKT_E_PROTO;
	ihl = (size_t)(q[0] & 0x0f) * 4;
	if (ihl < PKT_IPV4_HDR_LEN)
		return PKT_E_HDRLEN;
	if (ihl > qlen)
		return PKT_E_TRUNC;
	intot = pkt_get16(q + 2);
	if (intot < ihl)
		return PKT_E_HDRLEN;
	inplen = (uint16_t)(intot - ihl);
	infrag = pkt_get16(q + 6) & 0x1fff;
	inproto = q[9];
	innh = inproto == PKT_PROTO_ICMP ? PKT_PROTO_ICMPV6 : inproto;
	pkt_addr_v4(&isrc, q + 12);
	pkt_addr_v4(&idst, q + 16);

	if (type6 == PKT_ICMP6_PACKET_TOO_BIG) {
		uint32_t mtu = pkt_get16(ic + 6);
		/* RFC 7915 4.2: plateau below the quoted total length when MTU is 0 (upstream used the outer length and dropped non-zero MTUs) */
		if (mtu == 0 && (mtu = plateau_below(intot)) == 0)
			return PKT_E_PROTO;
		pkt_put32(rest, mtu + 20);
	} else if (type6 == PKT_ICMP6_PARAMPROB && code6 == 1) {
		pkt_put32(rest, 6);	/* pointer to the next-header field */
	} else if (type6 == PKT_ICMP6_PARAMPROB) {
		int p = ptr4_to_6(ic[4]);
		if (p < 0)
			return PKT_E_PROTO;
		pkt_put32(rest, (uint32_t)p);
	}
	build6(inner, q[1], inplen, innh, q[8], &m->inner_src, &m->inner_dst);
	qpaylen = qlen - ihl;
	outlen = 40 + ICMP_HDR + 40 + qpaylen;
	if (outlen > ICMP6_ERR_MAX) {
		qpaylen -= outlen - ICMP6_ERR_MAX;
		outlen = ICMP6_ERR_MAX;
	}
	if (outlen > outcap)
		return PKT_E_NOSPACE;
	icmp[0] = type6;
	icmp[1] = code6;
	icmp[2] = icmp[3] = 0;
	memcpy(icmp + 4, rest, 4);
	build6(outer, pi->tos, outlen - 40, PKT_PROTO_ICMPV6, pi->ttl, &m->src, &m->dst);

	memmove(out + 88, q + ihl, qpaylen);
	memcpy(out + 48, inner, 40);
	memcpy(out + 40, icmp, ICMP_HDR);
	memcpy(out, outer, 40);

	if (infrag == 0 && (inproto == PKT_PROTO_TCP || inproto == PKT_PROTO_UDP)) {
		old_ps = pkt_csum_pseudo(&isrc, &idst, inproto, inplen);
		new_ps = pkt_csum_pseudo(&m->inner_src, &m->inner_dst, inproto, inplen);
		adjust_tcpudp(out + 88, qpaylen, inproto, old_ps, new_ps);
	} else if (infrag == 0 && inproto == PKT_PROTO_ICMP && qpaylen >= 4 &&
	    (out[88] == PKT_ICMP4_ECHO_REQUEST || out[88] == PKT_ICMP4_ECHO_REPLY)) {
		new_ps = pkt_csum_pseudo(&m->inner_src, &m->inner_dst, PKT_PROTO_ICMPV6, inplen);
		adjust_echo(out + 88, qpaylen, out[88] == PKT_ICMP4_ECHO_REQUEST ?
		    PKT_ICMP6_ECHO_REQUEST : PKT_ICMP6_ECHO_REPLY, 0, new_ps);
	}
	pkt_put16(out + 42, pkt_csum_fold(pkt_csum_add(
	    pkt_csum_pseudo(&m->src, &m->dst, PKT_PROTO_ICMPV6, (uint32_t)(outlen - 40)),
	    out + 40, outlen - 40)));
	return (int)outlen;
}

int
nat64_4to6(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    const struct nat64_addrs *m)
{
	struct pkt_info pi;
	uint8_t h[PKT_IPV6_HDR_LEN], nh, type6 = 0, code6;
	size_t outlen;
	uint32_t old_ps, new_ps;
	int err;

	if (m == NULL || out == NULL || m->src.af != 6 || m->dst.af != 6)
		return PKT_E_INVAL;
	if ((err = pkt_parse(in, inlen, &pi)) != PKT_OK)
		return err;
	if (pi.version != 4)
		return PKT_E_VERSION;
	/* upstream translated fragments as whole packets; without a fragment header that corrupts them */
	if (pi.is_frag)
		return PKT_E_FRAG;
	if (pi.proto == PKT_PROTO_ICMP) {
		if (!pi.l4_ok)
			return PKT_E_TRUNC;
		if (pi.is_icmp_err)
			return icmp_err_4to6(in, &pi, out, outcap, m);
		if (pi.icmp_type != PKT_ICMP4_ECHO_REQUEST && pi.icmp_type != PKT_ICMP4_ECHO_REPLY)
			return PKT_E_PROTO;	/* timestamps etc. have no ICMPv6 form */
		(void)nat64_icmp4_to_icmp6(pi.icmp_type, pi.icmp_code, &type6, &code6);
	}
	nh = pi.proto == PKT_PROTO_ICMP ? PKT_PROTO_ICMPV6 : pi.proto;
	outlen = PKT_IPV6_HDR_LEN + (size_t)pi.l4_len;
	if (outlen > outcap)
		return PKT_E_NOSPACE;
	/* whole TOS copied: upstream kept only the DSCP bits, unshifted, and lost ECN */
	build6(h, pi.tos, pi.l4_len, nh, pi.ttl, &m->src, &m->dst);
	old_ps = pkt_csum_pseudo(&pi.src, &pi.dst, pi.proto, pi.l4_len);
	new_ps = pkt_csum_pseudo(&m->src, &m->dst, nh, pi.l4_len);
	memmove(out + PKT_IPV6_HDR_LEN, in + pi.l3_len, pi.l4_len);
	memcpy(out, h, PKT_IPV6_HDR_LEN);
	if (pi.proto == PKT_PROTO_UDP && pi.l4_len >= 8 &&
	    pkt_get16(out + PKT_IPV6_HDR_LEN + 6) == 0) {
		/* IPv4 "no checksum" is not allowed in IPv6: compute one */
		struct pkt_info po;

		if (!pi.l4_ok || pkt_parse(out, outlen, &po) != PKT_OK)
			return PKT_E_PROTO;
		if (pkt_fill_checksums(out, &po) != PKT_OK)
			return PKT_E_PROTO;
	} else if (pi.proto == PKT_PROTO_TCP || pi.proto == PKT_PROTO_UDP) {
		adjust_tcpudp(out + PKT_IPV6_HDR_LEN, pi.l4_len, pi.proto, old_ps, new_ps);
	} else if (pi.proto == PKT_PROTO_ICMP) {
		adjust_echo(out + PKT_IPV6_HDR_LEN, pi.l4_len, type6, 0, new_ps);
	}
	return (int)outlen;
}
