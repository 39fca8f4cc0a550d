/*
 * tunoff.c - cut the TUN's TSO/USO packets into segments and complete
 * partial checksums (virtio-net header semantics, see tunoff.h).
 */
#include <string.h>

#include "packet.h"
#include "tunoff.h"

#define TCP_FIN 0x01u
#define TCP_PSH 0x08u
#define TCP_CWR 0x80u

int
tunoff_hdr_decode(const uint8_t *p, size_t n, struct tunoff_hdr *h)
{
	if (n < TUNOFF_HDR_LEN)
		return -1;
	/* Without TUNSETVNETLE/BE the device uses the host's byte order. */
	h->flags = p[0];
	h->gso_type = p[1];
	memcpy(&h->hdr_len, p + 2, 2);
	memcpy(&h->gso_size, p + 4, 2);
	memcpy(&h->csum_start, p + 6, 2);
	memcpy(&h->csum_offset, p + 8, 2);
	return 0;
}

void
tunoff_hdr_encode(const struct tunoff_hdr *h, uint8_t *p)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	memcpy(p + 2, &h->hdr_len, 2);
	memcpy(p + 4, &h->gso_size, 2);
	memcpy(p + 6, &h->csum_start, 2);
	memcpy(p + 8, &h->csum_offset, 2);
}

/* The checksum field already holds the pseudo-header sum: sum from
 * csum_start to the end and store the result (virtio's NEEDS_CSUM). */
static int
complete_csum(const struct tunoff_hdr *h, uint8_t *pkt, size_t n)
{
	size_t at = (size_t)h->csum_start + h->csum_offset;
	uint16_t c;

	if (h->csum_start >= n || at + 2 > n)
		return -1;
	c = pkt_csum(pkt + h->csum_start, n - h->csum_start);
	if (c == 0 && h->csum_offset == 6)
		c = 0xffff; /* UDP: 0 means "no checksum" */
	pkt_put16(pkt + at, c);
	return 0;
}

/* IP header of a packet to cut: its length and the transport protocol;
 * the IP length field must cover exactly n bytes. */
static int
ip_header(const uint8_t *pkt, size_t n, size_t *l3, uint8_t *proto)
{
	if (n < PKT_IPV4_HDR_LEN)
		return -1;
	switch (pkt[0] >> 4) {
	case 4:
		*l3 = (size_t)(pkt[0] & 0x0f) * 4;
		*proto = pkt[9];
		if (*l3 < PKT_IPV4_HDR_LEN || *l3 > n || pkt_get16(pkt + 2) != n)
			return -1;
		return 4;
	case 6:
		if (n < PKT_IPV6_HDR_LEN || (size_t)pkt_get16(pkt + 4) + PKT_IPV6_HDR_LEN != n)
			return -1; /* also a jumbogram (length 0) */
		*l3 = PKT_IPV6_HDR_LEN;
		*proto = pkt[6];
		return 6;
	default:
		return -1;
	}
}

/* Lengths, identification and checksums of a built segment. */
static int
finish(uint8_t *seg, size_t tot, int version, uint16_t id)
{
	struct pkt_info pi;

	if (version == 4) {
		pkt_put16(seg + 2, (uint16_t)tot);
		pkt_put16(seg + 4, id);
	} else {
		pkt_put16(seg + 4, (uint16_t)(tot - PKT_IPV6_HDR_LEN));
	}
	if (pkt_parse(seg, tot, &pi) != PKT_OK || !pi.l4_ok)
		return -1;
	return pkt_fill_checksums(seg, &pi) == PKT_OK ? 0 : -1;
}

static int
split(const struct tunoff_hdr *h, uint8_t *pkt, size_t n, uint8_t *scratch, size_t scap,
    tunoff_fn fn, void *ctx)
{
	size_t l3, l4h, hl, payload, off, plen, mss = h->gso_size;
	uint8_t proto, want, flags0 = 0;
	uint32_t seq0 = 0;
	uint16_t id0;
	int version, k, handed = 0;

	if ((version = ip_header(pkt, n, &l3, &proto)) < 0 || mss == 0)
		return -1;
	switch (h->gso_type & ~TUNOFF_GSO_ECN) {
	case TUNOFF_GSO_TCPV4:
	case TUNOFF_GSO_TCPV6:
		want = PKT_PROTO_TCP;
		if ((h->gso_type & ~TUNOFF_GSO_ECN) != (version == 4 ? TUNOFF_GSO_TCPV4 : TUNOFF_GSO_TCPV6))
			return -1;
		if (proto != want || l3 + 20 > n)
			return -1;
		l4h = (size_t)(pkt[l3 + 12] >> 4) * 4;
		if (l4h < 20)
			return -1;
		seq0 = pkt_get32(pkt + l3 + 4);
		flags0 = pkt[l3 + 13];
		break;
	case TUNOFF_GSO_UDP_L4:
		want = PKT_PROTO_UDP;
		if (proto != want)
			return -1;
		l4h = 8;
		break;
	default:
		return -1; /* UFO and anything unknown */
	}
	hl = l3 + l4h;
	if (hl > n)
		return -1;
	payload = n - hl;
	if (hl + mss + 64 > scap)
		return -1;
	id0 = version == 4 ? pkt_get16(pkt + 4) : 0;
	for (k = 0, off = 0; off < payload || (payload == 0 && k == 0); k++, off += plen) {
		plen = payload - off < mss ? payload - off : mss;
		memcpy(scratch, pkt, hl);
		memcpy(scratch + hl, pkt + hl + off, plen);
		if (want == PKT_PROTO_TCP) {
			uint8_t f = flags0;
			if (off + plen < payload)
				f &= (uint8_t)~(TCP_FIN | TCP_PSH);
			if (k > 0)
				f &= (uint8_t)~TCP_CWR;
			pkt_put32(scratch + l3 + 4, seq0 + (uint32_t)off);
			scratch[l3 + 13] = f;
		} else {
			pkt_put16(scratch + l3 + 4, (uint16_t)(8 + plen));
			pkt_put16(scratch + l3 + 6, 0xffff); /* computed below */
		}
		if (finish(scratch, hl + plen, version, (uint16_t)(id0 + k)) < 0)
			return handed > 0 ? handed : -1;
		fn(ctx, scratch, hl + plen, scap);
		handed++;
		if (payload == 0)
			break;
	}
	return handed;
}

int
tunoff_split(const struct tunoff_hdr *h, uint8_t *pkt, size_t n, size_t cap,
    uint8_t *scratch, size_t scap, tunoff_fn fn, void *ctx)
{
	if ((h->gso_type & ~TUNOFF_GSO_ECN) == TUNOFF_GSO_NONE) {
		if ((h->flags & TUNOFF_F_NEEDS_CSUM) && complete_csum(h, pkt, n) < 0)
			return -1;
		fn(ctx, pkt, n, cap);
		return 1;
	}
	return split(h, pkt, n, scratch, scap, fn, ctx);
}
