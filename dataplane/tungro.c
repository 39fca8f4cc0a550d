/*
 * tungro.c - hold and join segments of one flow for a single TUN write
 * (see tungro.h).
 */
#include <string.h>

#include "packet.h"
#include "tungro.h"

#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u

/* What a packet is, as far as joining goes. */
struct shape {
	uint8_t version, proto;
	uint16_t l3, l4h;
	size_t payload;
	int joinable;          /* TCP with ACK (maybe PSH) or UDP, unfragmented */
	int push;              /* TCP PSH: may end a held flow, never start one */
};

/* The transport checksum is the one the kernel will compute again for
 * each segment: a corrupt datagram must not come out valid, nor a valid
 * one with another spelling of the same sum (0x0000 / 0xffff). */
static int
l4_checksum_ok(const uint8_t *p, size_t n, const struct shape *s)
{
	struct pkt_addr src, dst;
	size_t at = s->l3 + (s->proto == PKT_PROTO_TCP ? 16 : 6);
	uint16_t field = pkt_get16(p + at), c;
	uint32_t sum;

	if (s->version == 4) {
		pkt_addr_v4(&src, p + 12);
		pkt_addr_v4(&dst, p + 16);
	} else {
		pkt_addr_v6(&src, p + 8);
		pkt_addr_v6(&dst, p + 24);
	}
	sum = pkt_csum_add(pkt_csum_pseudo(&src, &dst, s->proto, (uint32_t)(n - s->l3)),
	    p + s->l3, n - s->l3);
	/* Adding the field's complement takes the field out of the sum. */
	c = pkt_csum_fold(sum + (uint16_t)~field);
	if (c == 0 && s->proto == PKT_PROTO_UDP)
		c = 0xffff;
	return c == field;
}

static int
shape_of(const uint8_t *p, size_t n, struct shape *s)
{
	size_t tot;

	memset(s, 0, sizeof(*s));
	if (n < PKT_IPV4_HDR_LEN)
		return -1;
	s->version = p[0] >> 4;
	if (s->version == 4) {
		s->l3 = (uint16_t)((p[0] & 0x0f) * 4);
		tot = pkt_get16(p + 2);
		s->proto = p[9];
		if (s->l3 != PKT_IPV4_HDR_LEN || tot != n)
			return -1; /* options or length mismatch: not ours to join */
		if ((pkt_get16(p + 6) & 0x3fff) != 0)
			return -1; /* a fragment */
		if (pkt_csum(p, PKT_IPV4_HDR_LEN) != 0)
			return -1; /* the kernel drops it; joined, it would pass */
	} else if (s->version == 6) {
		if (n < PKT_IPV6_HDR_LEN || (size_t)pkt_get16(p + 4) + PKT_IPV6_HDR_LEN != n)
			return -1;
		s->l3 = PKT_IPV6_HDR_LEN;
		s->proto = p[6];
	} else {
		return -1;
	}
	if (s->proto == PKT_PROTO_TCP) {
		uint8_t f;
		if (n < (size_t)s->l3 + 20)
			return -1;
		s->l4h = (uint16_t)((p[s->l3 + 12] >> 4) * 4);
		if (s->l4h < 20 || (size_t)s->l3 + s->l4h > n)
			return -1;
		f = p[s->l3 + 13];
		s->push = (f & TCP_PSH) != 0;
		s->joinable = (f & ~(TCP_PSH | TCP_ACK)) == 0 && (f & TCP_ACK) != 0;
	} else if (s->proto == PKT_PROTO_UDP) {
		if (n < (size_t)s->l3 + 8 || pkt_get16(p + s->l3 + 4) != n - s->l3)
			return -1;
		s->l4h = 8;
		/* An IPv4 datagram sent without a checksum stays as it came
		 * (the kernel's segments would carry one). */
		s->joinable = s->version == 6 || pkt_get16(p + s->l3 + 6) != 0;
	} else {
		return -1;
	}
	s->payload = n - s->l3 - s->l4h;
	if (s->payload == 0)
		s->joinable = 0;
	if (s->joinable && !l4_checksum_ok(p, n, s))
		s->joinable = 0; /* written as it came: the kernel would mend it */
	return 0;
}

/* Same flow: addresses, protocol and ports. */
static int
same_flow(const struct tungro_slot *sl, const uint8_t *p, const struct shape *s)
{
	const uint8_t *h = sl->buf;

	if (sl->version != s->version || sl->proto != s->proto)
		return 0;
	if (s->version == 4) {
		if (memcmp(h + 12, p + 12, 8) != 0)
			return 0;
	} else if (memcmp(h + 8, p + 8, 32) != 0) {
		return 0;
	}
	return memcmp(h + sl->l3, p + s->l3, 4) == 0;
}

/* Everything but lengths, identification, sequence and checksums equal,
 * so the kernel's segments repeat the headers the client sent. */
static int
same_headers(const struct tungro_slot *sl, const uint8_t *p, const struct shape *s)
{
	const uint8_t *h = sl->buf;
	size_t l3 = sl->l3;

	if (sl->l4h != s->l4h)
		return 0;
	if (s->version == 4) {
		if (h[0] != p[0] || h[1] != p[1] || memcmp(h + 6, p + 6, 4) != 0)
			return 0;
	} else if (memcmp(h, p, 4) != 0 || h[7] != p[7]) {
		return 0;
	}
	if (s->proto == PKT_PROTO_UDP)
		return 1;
	/* ACK number, data offset, window, urgent pointer and options; the
	 * flags were checked by the caller (plain ACK, PSH on the last). */
	return memcmp(h + l3 + 8, p + l3 + 8, 4) == 0 && h[l3 + 12] == p[l3 + 12] &&
	    memcmp(h + l3 + 14, p + l3 + 14, 2) == 0 &&
	    memcmp(h + l3 + 18, p + l3 + 18, (size_t)s->l4h - 18) == 0;
}

static void
emit_slot(struct tungro *g, struct tungro_slot *sl, tungro_emit_fn emit, void *ctx)
{
	uint8_t hdr[TUNOFF_HDR_LEN];
	struct tunoff_hdr h;
	struct pkt_addr src, dst;
	uint8_t *b = sl->buf;
	size_t l4len = sl->len - sl->l3;
	uint16_t csoff = sl->proto == PKT_PROTO_TCP ? 16 : 6;

	memset(&h, 0, sizeof(h));
	if (sl->nseg > 1) {
		if (sl->version == 4) {
			pkt_put16(b + 2, (uint16_t)sl->len);
			b[10] = b[11] = 0;
			pkt_put16(b + 10, pkt_csum(b, sl->l3));
			pkt_addr_v4(&src, b + 12);
			pkt_addr_v4(&dst, b + 16);
		} else {
			pkt_put16(b + 4, (uint16_t)l4len);
			pkt_addr_v6(&src, b + 8);
			pkt_addr_v6(&dst, b + 24);
		}
		if (sl->proto == PKT_PROTO_UDP)
			pkt_put16(b + sl->l3 + 4, (uint16_t)l4len);
		/* The checksum field holds the pseudo-header sum; the kernel
		 * completes each segment's checksum from there. */
		pkt_put16(b + sl->l3 + csoff, (uint16_t)~pkt_csum_fold(pkt_csum_pseudo(&src, &dst,
		    sl->proto, (uint32_t)l4len)));
		h.flags = TUNOFF_F_NEEDS_CSUM;
		h.gso_type = sl->proto == PKT_PROTO_UDP ? TUNOFF_GSO_UDP_L4 :
		    sl->version == 4 ? TUNOFF_GSO_TCPV4 : TUNOFF_GSO_TCPV6;
		h.hdr_len = (uint16_t)(sl->l3 + sl->l4h);
		h.gso_size = sl->mss;
		h.csum_start = sl->l3;
		h.csum_offset = csoff;
	}
	tunoff_hdr_encode(&h, hdr);
	if (emit(ctx, hdr, b, sl->len) < 0 && sl->nseg > 1) {
		if (sl->proto == PKT_PROTO_TCP)
			g->no_tcp = 1;
		else
			g->no_udp = 1;
	}
	sl->used = 0;
}

void
tungro_init(struct tungro *g)
{
	memset(g, 0, sizeof(*g));
}

void
tungro_flush(struct tungro *g, tungro_emit_fn emit, void *ctx)
{
	unsigned int i;

	for (i = 0; i < TUNGRO_SLOTS; i++)
		if (g->slot[i].used)
			emit_slot(g, &g->slot[i], emit, ctx);
}

/* Append p to sl if it continues the flow; 1 joined, 0 not. */
static int
join(struct tungro_slot *sl, const uint8_t *p, size_t n, const struct shape *s)
{
	if (sl->closed || !s->joinable || !same_headers(sl, p, s) || s->payload > sl->mss ||
	    sl->nseg >= TUNGRO_MAX_SEGS || sl->len + s->payload > TUNGRO_MAX_LEN)
		return 0;
	if (s->proto == PKT_PROTO_TCP && pkt_get32(p + s->l3 + 4) != sl->next_seq)
		return 0;
	/* The kernel numbers IPv4 segments id, id + 1, ...  That changes
	 * nothing for a datagram with DF set (RFC 6864: an atomic datagram's
	 * identification has no meaning, and stacks send 0, a counter or
	 * random values); without DF only a packet numbered that way joins. */
	if (s->version == 4 && !(p[6] & 0x40) &&
	    pkt_get16(p + 4) != (uint16_t)(pkt_get16(sl->buf + 4) + sl->nseg))
		return 0;
	memcpy(sl->buf + sl->len, p + s->l3 + s->l4h, s->payload);
	sl->len += s->payload;
	sl->nseg++;
	if (s->proto == PKT_PROTO_TCP) {
		sl->next_seq += (uint32_t)s->payload;
		if (s->push) {
			sl->buf[sl->l3 + 13] |= TCP_PSH;
			sl->closed = 1;
		}
	}
	if (s->payload < sl->mss)
		sl->closed = 1;
	(void)n;
	return 1;
}

int
tungro_add(struct tungro *g, const uint8_t *pkt, size_t len, tungro_emit_fn emit, void *ctx)
{
	struct tungro_slot *sl = NULL;
	struct shape s;
	unsigned int i;

	if (shape_of(pkt, len, &s) < 0) {
		/* ICMP belongs to no held flow.  Anything else we cannot join
		 * (fragments, IP options, a bad header checksum, IPv6
		 * extension headers) may belong to one: everything held
		 * leaves first, so it cannot overtake. */
		if (len > 0 && !((pkt[0] >> 4 == 4 && len >= PKT_IPV4_HDR_LEN &&
		    pkt[9] == PKT_PROTO_ICMP) || (pkt[0] >> 4 == 6 && len >= PKT_IPV6_HDR_LEN &&
		    pkt[6] == PKT_PROTO_ICMPV6)))
			tungro_flush(g, emit, ctx);
		return 0;
	}
	for (i = 0; i < TUNGRO_SLOTS; i++)
		if (g->slot[i].used && same_flow(&g->slot[i], pkt, &s)) {
			sl = &g->slot[i];
			break;
		}
	if (sl != NULL) {
		if (join(sl, pkt, len, &s))
			return 1;
		emit_slot(g, sl, emit, ctx); /* its flow's earlier packets first */
	}
	if (!s.joinable || s.push || (s.proto == PKT_PROTO_TCP ? g->no_tcp : g->no_udp))
		return 0;
	if (sl == NULL) {
		for (i = 0; i < TUNGRO_SLOTS && g->slot[i].used; i++)
			;
		if (i == TUNGRO_SLOTS) {
			i = g->next++ % TUNGRO_SLOTS;
			emit_slot(g, &g->slot[i], emit, ctx);
		}
		sl = &g->slot[i];
	}
	memcpy(sl->buf, pkt, len);
	sl->used = 1;
	sl->closed = 0;
	sl->version = s.version;
	sl->proto = s.proto;
	sl->l3 = s.l3;
	sl->l4h = s.l4h;
	sl->mss = (uint16_t)s.payload;
	sl->nseg = 1;
	sl->len = len;
	if (s.proto == PKT_PROTO_TCP)
		sl->next_seq = pkt_get32(pkt + s.l3 + 4) + (uint32_t)s.payload;
	return 1;
}
