/*
 * packet.c - bounds-checked IPv4/IPv6 parsing, checksums and field setters.
 */
#include "packet.h"

#include <arpa/inet.h>
#include <string.h>

const char *
pkt_strerror(int err)
{
	switch (err) {
	case PKT_OK:		return "ok";
	case PKT_E_TRUNC:	return "truncated";
	case PKT_E_VERSION:	return "bad-version";
	case PKT_E_HDRLEN:	return "bad-header-length";
	case PKT_E_LENGTH:	return "length-exceeds-buffer";
	case PKT_E_PROTO:	return "unsupported-protocol";
	case PKT_E_EXTHDR:	return "extension-header";
	case PKT_E_NOSPACE:	return "no-space";
	case PKT_E_INVAL:	return "invalid";
	case PKT_E_NOMEM:	return "no-memory";
	case PKT_E_FULL:	return "full";
	case PKT_E_NOTFOUND:	return "not-found";
	case PKT_E_DENIED:	return "denied";
	case PKT_E_SPOOF:	return "spoofed-source";
	case PKT_E_FRAG:	return "fragment";
	case PKT_E_EXPIRED:	return "expired";
	default:		return "unknown";
	}
}

/* ---- addresses -------------------------------------------------------- */

void
pkt_addr_v4(struct pkt_addr *a, const uint8_t b[4])
{
	memset(a, 0, sizeof(*a));
	a->af = 4;
	memcpy(a->b, b, 4);
}

void
pkt_addr_v6(struct pkt_addr *a, const uint8_t b[16])
{
	a->af = 6;
	memcpy(a->b, b, 16);
}

int
pkt_addr_from_str(struct pkt_addr *a, const char *s)
{
	uint8_t b[16];

	if (s == NULL)
		return PKT_E_INVAL;
	if (inet_pton(AF_INET, s, b) == 1) {
		pkt_addr_v4(a, b);
		return PKT_OK;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		pkt_addr_v6(a, b);
		return PKT_OK;
	}
	return PKT_E_INVAL;
}

int
pkt_addr_eq(const struct pkt_addr *a, const struct pkt_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int
pkt_addr_in_prefix(const struct pkt_addr *a, const struct pkt_addr *net, unsigned plen)
{
	unsigned full, rem;

	if (a->af != net->af || plen > (a->af == 4 ? 32u : 128u))
		return 0;
	full = plen / 8;
	rem = plen % 8;
	if (memcmp(a->b, net->b, full) != 0)
		return 0;
	if (rem != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));
		if ((a->b[full] & mask) != (net->b[full] & mask))
			return 0;
	}
	return 1;
}

/* ---- checksums -------------------------------------------------------- */

uint32_t
pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;

	while (len >= 2) {
		s += (uint32_t)((p[0] << 8) | p[1]);
		p += 2;
		len -= 2;
	}
	if (len == 1)
		s += (uint32_t)(p[0] << 8);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	/* Keep headroom for further additions: fold to at most 17 bits. */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t
pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
pkt_csum(const void *data, size_t len)
{
	return pkt_csum_fold(pkt_csum_add(0, data, len));
}

uint32_t
pkt_csum_pseudo(const struct pkt_addr *src, const struct pkt_addr *dst,
    uint8_t proto, uint32_t l4len)
{
	size_t alen = src->af == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = pkt_csum_add(sum, src->b, alen);
	sum = pkt_csum_add(sum, dst->b, alen);
	sum += proto;
	sum += l4len >> 16;
	sum += l4len & 0xffff;
	return sum;
}

uint16_t
pkt_csum_replace16(uint16_t csum, uint16_t old, uint16_t new_)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~old;
	s += new_;
	return pkt_csum_fold(s);
}

uint16_t
pkt_csum_replace(uint16_t csum, const uint8_t *old, const uint8_t *new_, size_t len)
{
	uint32_t s = (uint16_t)~csum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		s += (uint16_t)~pkt_get16(old + i);
		s += pkt_get16(new_ + i);
		s = (s & 0xffff) + (s >> 16);
	}
	return pkt_csum_fold(s);
}

/* ---- parsing ---------------------------------------------------------- */

static int
icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static void
parse_l4(const uint8_t *buf, struct pkt_info *pi)
{
	const uint8_t *l4 = buf + pi->l3_len;
	uint16_t n = pi->l4_len;

	if (pi->is_later_frag)
		return;
	switch (pi->proto) {
	case PKT_PROTO_TCP:
		if (n >= 20 && (l4[12] >> 4) >= 5 && (size_t)(l4[12] >> 4) * 4 <= n) {
			pi->sport = pkt_get16(l4);
			pi->dport = pkt_get16(l4 + 2);
			pi->tcp_flags = l4[13];
			pi->l4_ok = 1;
		}
		break;
	case PKT_PROTO_UDP:
		if (n >= 8 && pkt_get16(l4 + 4) >= 8 && pkt_get16(l4 + 4) <= n) {
			pi->sport = pkt_get16(l4);
			pi->dport = pkt_get16(l4 + 2);
			pi->l4_ok = 1;
		}
		break;
	case PKT_PROTO_ICMP:
	case PKT_PROTO_ICMPV6:
		if ((pi->proto == PKT_PROTO_ICMP) != (pi->version == 4) || n < 8)
			break;
		pi->icmp_type = l4[0];
		pi->icmp_code = l4[1];
		pi->l4_ok = 1;
		if (pi->version == 4) {
			pi->is_echo = (l4[0] == PKT_ICMP4_ECHO_REQUEST ||
			    l4[0] == PKT_ICMP4_ECHO_REPLY) && l4[1] == 0;
			pi->is_icmp_err = icmp4_is_error(l4[0]);
		} else {
			pi->is_echo = (l4[0] == PKT_ICMP6_ECHO_REQUEST ||
			    l4[0] == PKT_ICMP6_ECHO_REPLY) && l4[1] == 0;
			pi->is_icmp_err = l4[0] < 128;
		}
		if (pi->is_echo) {
			pi->icmp_id = pkt_get16(l4 + 4);
			pi->icmp_seq = pkt_get16(l4 + 6);
		}
		break;
	default:
		break;
	}
}

int
pkt_parse(const uint8_t *buf, size_t len, struct pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	/* upstream trusted these length fields (and could panic); a bad one is an error here */
	if (buf == NULL || len < 1)
		return PKT_E_TRUNC;
	pi->version = buf[0] >> 4;
	if (pi->version == 4) {
		size_t ihl, tot;
		uint16_t frag;

		if (len < PKT_IPV4_HDR_LEN)
			return PKT_E_TRUNC;
		ihl = (size_t)(buf[0] & 0x0f) * 4;
		if (ihl < PKT_IPV4_HDR_LEN)
			return PKT_E_HDRLEN;
		if (ihl > len)
			return PKT_E_TRUNC;
		tot = pkt_get16(buf + 2);
		if (tot < ihl)
			return PKT_E_HDRLEN;
		if (tot > len)
			return PKT_E_LENGTH;
		pi->tos = buf[1];
		pi->ttl = buf[8];
		pi->proto = buf[9];
		pi->l3_len = (uint16_t)ihl;
		pi->tot_len = (uint16_t)tot;
		pi->l4_len = (uint16_t)(tot - ihl);
		frag = pkt_get16(buf + 6);
		pi->is_later_frag = (frag & 0x1fff) != 0;
		pi->is_frag = pi->is_later_frag || (frag & 0x2000) != 0;
		pkt_addr_v4(&pi->src, buf + 12);
		pkt_addr_v4(&pi->dst, buf + 16);
	} else if (pi->version == 6) {
		size_t tot;

		if (len < PKT_IPV6_HDR_LEN)
			return PKT_E_TRUNC;
		tot = (size_t)PKT_IPV6_HDR_LEN + pkt_get16(buf + 4);
		if (tot > len)
			return PKT_E_LENGTH;
		if (tot > PKT_MAX_PACKET)
			return PKT_E_LENGTH;
		pi->tos = (uint8_t)(((buf[0] & 0x0f) << 4) | (buf[1] >> 4));
		pi->proto = buf[6];
		pi->ttl = buf[7];
		pi->l3_len = PKT_IPV6_HDR_LEN;
		pi->tot_len = (uint16_t)tot;
		pi->l4_len = (uint16_t)(tot - PKT_IPV6_HDR_LEN);
		pkt_addr_v6(&pi->src, buf + 8);
		pkt_addr_v6(&pi->dst, buf + 24);
	} else {
		return PKT_E_VERSION;
	}
	parse_l4(buf, pi);
	return PKT_OK;
}

/* ---- checksum recomputation ------------------------------------------- */

/* Offset of the L4 checksum field, or 0 when the packet carries none we may touch. */
static size_t
l4_csum_off(const uint8_t *buf, const struct pkt_info *pi)
{
	size_t off = pi->l3_len;

	if (pi->is_later_frag)
		return 0;
	switch (pi->proto) {
	case PKT_PROTO_TCP:
		return pi->l4_len >= 18 ? off + 16 : 0;
	case PKT_PROTO_UDP:
		if (pi->l4_len < 8)
			return 0;
		/* IPv4 UDP checksum 0 means "none": leave it so. */
		if (pi->version == 4 && pkt_get16(buf + off + 6) == 0)
			return 0;
		return off + 6;
	case PKT_PROTO_ICMP:
		return pi->version == 4 && pi->l4_len >= 4 ? off + 2 : 0;
	case PKT_PROTO_ICMPV6:
		return pi->version == 6 && pi->l4_len >= 4 ? off + 2 : 0;
	default:
		return 0;
	}
}

static void
ipv4_hdr_csum(uint8_t *buf, size_t ihl)
{
	buf[10] = buf[11] = 0;
	pkt_put16(buf + 10, pkt_csum(buf, ihl));
}

int
pkt_fill_checksums(uint8_t *buf, const struct pkt_info *pi)
{
	uint8_t *l4 = buf + pi->l3_len;
	size_t off, n = pi->l4_len;
	uint32_t sum;
	uint16_t c;

	if (pi->version == 4)
		ipv4_hdr_csum(buf, pi->l3_len);
	if (pi->proto != PKT_PROTO_TCP && pi->proto != PKT_PROTO_UDP &&
	    pi->proto != (pi->version == 4 ? PKT_PROTO_ICMP : PKT_PROTO_ICMPV6))
		return PKT_OK;	/* no transport checksum this module knows */
	if (pi->is_frag)
		return PKT_E_FRAG;
	off = l4_csum_off(buf, pi);
	if (off == 0)
		return pi->proto == PKT_PROTO_UDP && pi->l4_len >= 8 ? PKT_OK : PKT_E_TRUNC;
	if (pi->proto == PKT_PROTO_UDP) {
		size_t ulen = pkt_get16(l4 + 4);
		if (ulen < 8 || ulen > n)
			return PKT_E_LENGTH;
		n = ulen;
	}
	buf[off] = buf[off + 1] = 0;
	sum = 0;
	if (pi->proto != PKT_PROTO_ICMP)
		sum = pkt_csum_pseudo(&pi->src, &pi->dst, pi->proto, (uint32_t)n);
	sum = pkt_csum_add(sum, l4, n);
	c = pkt_csum_fold(sum);
	if (c == 0 && pi->proto == PKT_PROTO_UDP)
		c = 0xffff;
	pkt_put16(buf + off, c);
	return PKT_OK;
}

/* ---- setters ---------------------------------------------------------- */

static void
l4_csum_update(uint8_t *buf, const struct pkt_info *pi, const uint8_t *old,
    const uint8_t *new_, size_t len, int pseudo)
{
	size_t off = l4_csum_off(buf, pi);
	uint16_t c;

	if (off == 0 || (pseudo && pi->proto == PKT_PROTO_ICMP))
		return;
	c = pkt_csum_replace(pkt_get16(buf + off), old, new_, len);
	if (c == 0 && pi->proto == PKT_PROTO_UDP)
		c = 0xffff;
	/*
	 * Eqn. 3 gives 0x0000 where the message now sums to +0, which needs
	 * 0xffff: an ICMPv4 message (no pseudo-header) of all zero bytes,
	 * e.g. an echo reply rewritten to identifier 0.  Rare: recompute.
	 */
	if (c == 0 && pi->proto == PKT_PROTO_ICMP && !pi->is_frag) {
		pkt_put16(buf + off, 0);
		c = pkt_csum(buf + pi->l3_len, pi->l4_len);
	}
	pkt_put16(buf + off, c);
}

static int
set_addr(uint8_t *buf, struct pkt_info *pi, const struct pkt_addr *a, int dst)
{
	size_t alen, off;
	uint8_t old[16];

	if (a == NULL || a->af != pi->version)
		return PKT_E_INVAL;
	if (pi->version == 4) {
		alen = 4;
		off = dst ? 16 : 12;
	} else {
		alen = 16;
		off = dst ? 24 : 8;
	}
	memcpy(old, buf + off, alen);
	memcpy(buf + off, a->b, alen);
	if (pi->version == 4)
		pkt_put16(buf + 10, pkt_csum_replace(pkt_get16(buf + 10), old, a->b, alen));
	l4_csum_update(buf, pi, old, a->b, alen, 1);
	if (dst)
		pi->dst = *a;
	else
		pi->src = *a;
	return PKT_OK;
}

int
pkt_set_src(uint8_t *buf, struct pkt_info *pi, const struct pkt_addr *a)
{
	return set_addr(buf, pi, a, 0);
}

int
pkt_set_dst(uint8_t *buf, struct pkt_info *pi, const struct pkt_addr *a)
{
	return set_addr(buf, pi, a, 1);
}

static int
set_l4_word(uint8_t *buf, struct pkt_info *pi, size_t rel, uint16_t v)
{
	uint8_t old[2], nw[2];
	uint8_t *p = buf + pi->l3_len + rel;

	memcpy(old, p, 2);
	pkt_put16(nw, v);
	memcpy(p, nw, 2);
	l4_csum_update(buf, pi, old, nw, 2, 0);
	return PKT_OK;
}

int
pkt_set_sport(uint8_t *buf, struct pkt_info *pi, uint16_t port)
{
	if (!pi->l4_ok || (pi->proto != PKT_PROTO_TCP && pi->proto != PKT_PROTO_UDP))
		return PKT_E_PROTO;
	pi->sport = port;
	return set_l4_word(buf, pi, 0, port);
}

int
pkt_set_dport(uint8_t *buf, struct pkt_info *pi, uint16_t port)
{
	if (!pi->l4_ok || (pi->proto != PKT_PROTO_TCP && pi->proto != PKT_PROTO_UDP))
		return PKT_E_PROTO;
	pi->dport = port;
	return set_l4_word(buf, pi, 2, port);
}

int
pkt_set_echo_id(uint8_t *buf, struct pkt_info *pi, uint16_t id)
{
	if (!pi->l4_ok || !pi->is_echo)
		return PKT_E_PROTO;
	pi->icmp_id = id;
	return set_l4_word(buf, pi, 4, id);
}

int
pkt_is_p2p_control(const struct pkt_info *pi)
{
	static const uint8_t zero[16];

	return pi->version == 6 && pi->proto == PKT_P2P_CONTROL_NH && pi->l4_len >= 8 &&
	    memcmp(pi->src.b, zero, 16) == 0 && memcmp(pi->dst.b, zero, 16) == 0;
}

int
pkt_l4_truncated(const struct pkt_info *pi)
{
	switch (pi->proto) {
	case PKT_PROTO_TCP:
	case PKT_PROTO_UDP:
	case PKT_PROTO_ICMP:
	case PKT_PROTO_ICMPV6:
		return !pi->l4_ok && !pi->is_frag;
	default:
		return 0;
	}
}

int
pkt_ecn_mark_ce(uint8_t *buf, struct pkt_info *pi)
{
	uint8_t ecn = pkt_ecn(pi);

	if (ecn != PKT_ECN_ECT0 && ecn != PKT_ECN_ECT1)
		return 0;
	if (pi->version == 4) {
		uint16_t old = pkt_get16(buf);

		buf[1] |= PKT_ECN_CE;
		pkt_put16(buf + 10, pkt_csum_replace16(pkt_get16(buf + 10), old, pkt_get16(buf)));
	} else {
		buf[1] |= PKT_ECN_CE << 4;	/* traffic class straddles bytes 0 and 1 */
	}
	pi->tos |= PKT_ECN_CE;
	return 1;
}
