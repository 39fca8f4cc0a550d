/*
 * pkt_ref.c - naive reference packet routines for the unit suites.
 * Written for clarity, not speed; see pkt_ref.h.
 */
#include "pkt_ref.h"

#include <string.h>

uint16_t
ref_csum(const uint8_t *p, size_t n)
{
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i % 2 == 0)
			sum += (unsigned long)p[i] * 256;
		else
			sum += p[i];
	}
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)(0xffff - sum);
}

static int
rd16(const uint8_t *p)
{
	return p[0] * 256 + p[1];
}

int
ref_parse(const uint8_t *p, size_t n, struct ref_pkt *r)
{
	size_t l4len;
	const uint8_t *l4;

	memset(r, 0, sizeof(*r));
	r->sport = r->dport = -1;
	r->icmp_type = r->icmp_code = r->icmp_id = r->icmp_seq = -1;
	if (n < 1)
		return -1;
	r->version = p[0] / 16;
	if (r->version == 4) {
		if (n < 20)
			return -1;
		r->hlen = (size_t)(p[0] % 16) * 4;
		r->total = (size_t)rd16(p + 2);
		if (r->hlen < 20 || r->total < r->hlen || r->total > n)
			return -1;
		r->tos = p[1];
		r->ident = rd16(p + 4);
		r->df = (p[6] / 64) % 2;
		r->mf = (p[6] / 32) % 2;
		r->fragoff = rd16(p + 6) % 8192;
		r->ttl = p[8];
		r->proto = p[9];
		memcpy(r->src, p + 12, 4);
		memcpy(r->dst, p + 16, 4);
	} else if (r->version == 6) {
		if (n < 40)
			return -1;
		r->hlen = 40;
		r->total = 40 + (size_t)rd16(p + 4);
		if (r->total > n)
			return -1;
		r->tos = (p[0] % 16) * 16 + p[1] / 16;
		r->flow = (uint32_t)(p[1] % 16) * 65536 + (uint32_t)rd16(p + 2);
		r->proto = p[6];
		r->ttl = p[7];
		memcpy(r->src, p + 8, 16);
		memcpy(r->dst, p + 24, 16);
	} else {
		return -1;
	}
	r->l4off = r->hlen;
	l4 = p + r->hlen;
	l4len = r->total - r->hlen;
	if (r->fragoff != 0)
		return 0;
	if ((r->proto == 6 && l4len >= 20) || (r->proto == 17 && l4len >= 8)) {
		r->sport = rd16(l4);
		r->dport = rd16(l4 + 2);
	} else if ((r->proto == 1 || r->proto == 58) && l4len >= 8) {
		r->icmp_type = l4[0];
		r->icmp_code = l4[1];
		r->icmp_id = rd16(l4 + 4);
		r->icmp_seq = rd16(l4 + 6);
	}
	return 0;
}

int
ref_ip_csum_ok(const uint8_t *p, size_t n)
{
	struct ref_pkt r;

	if (ref_parse(p, n, &r) != 0)
		return 0;
	if (r.version == 6)
		return 1;
	return ref_csum(p, r.hlen) == 0;
}

int
ref_l4_csum_ok(const uint8_t *p, size_t n)
{
	static uint8_t scratch[40 + 65536];
	struct ref_pkt r;
	size_t l4len, alen, k = 0;

	if (ref_parse(p, n, &r) != 0)
		return 0;
	l4len = r.total - r.hlen;
	alen = r.version == 4 ? 4 : 16;
	if (r.proto == 17 && l4len >= 8) {
		if (r.version == 4 && rd16(p + r.hlen + 6) == 0)
			return 1;
		l4len = (size_t)rd16(p + r.hlen + 4);
		if (l4len < 8 || l4len > r.total - r.hlen)
			return 0;
	}
	if (r.proto == 1) {
		if (r.version != 4 || l4len < 4)
			return 0;
		return ref_csum(p + r.hlen, l4len) == 0;
	}
	if (r.proto != 6 && r.proto != 17 && r.proto != 58)
		return 0;
	if (r.proto == 58 && r.version != 6)
		return 0;
	/* Assemble the pseudo-header byte by byte. */
	memcpy(scratch + k, r.src, alen);
	k += alen;
	memcpy(scratch + k, r.dst, alen);
	k += alen;
	if (r.version == 4) {
		scratch[k++] = 0;
		scratch[k++] = (uint8_t)r.proto;
		scratch[k++] = (uint8_t)(l4len / 256);
		scratch[k++] = (uint8_t)(l4len % 256);
	} else {
		scratch[k++] = 0;
		scratch[k++] = 0;
		scratch[k++] = (uint8_t)(l4len / 256);
		scratch[k++] = (uint8_t)(l4len % 256);
		scratch[k++] = 0;
		scratch[k++] = 0;
		scratch[k++] = 0;
		scratch[k++] = (uint8_t)r.proto;
	}
	memcpy(scratch + k, p + r.hlen, l4len);
	k += l4len;
	return ref_csum(scratch, k) == 0;
}

int
ref_all_csum_ok(const uint8_t *p, size_t n)
{
	return ref_ip_csum_ok(p, n) && ref_l4_csum_ok(p, n);
}

static void
wr16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)((v / 256) % 256);
	p[1] = (uint8_t)(v % 256);
}

void
ref_fix_csums(uint8_t *p, size_t n)
{
	struct ref_pkt r;
	size_t off, l4len;
	uint16_t c;

	if (ref_parse(p, n, &r) != 0)
		return;
	if (r.version == 4) {
		p[10] = p[11] = 0;
		wr16(p + 10, ref_csum(p, r.hlen));
	}
	l4len = r.total - r.hlen;
	if (r.proto == 6 && l4len >= 20)
		off = r.hlen + 16;
	else if (r.proto == 17 && l4len >= 8)
		off = r.hlen + 6;
	else if ((r.proto == 1 || r.proto == 58) && l4len >= 4)
		off = r.hlen + 2;
	else
		return;
	/* Zero the field, sum, store the complement. */
	p[off] = p[off + 1] = 0;
	if (r.proto == 1) {
		c = ref_csum(p + r.hlen, l4len);
	} else {
		static uint8_t scratch[40 + 65536];
		size_t k = 0, alen = r.version == 4 ? 4 : 16;
		size_t clen = l4len;

		if (r.proto == 17 && (size_t)rd16(p + r.hlen + 4) < clen)
			clen = (size_t)rd16(p + r.hlen + 4);
		memcpy(scratch + k, r.src, alen);
		k += alen;
		memcpy(scratch + k, r.dst, alen);
		k += alen;
		if (r.version == 4) {
			scratch[k++] = 0;
			scratch[k++] = (uint8_t)r.proto;
			scratch[k++] = (uint8_t)(clen / 256);
			scratch[k++] = (uint8_t)(clen % 256);
		} else {
			scratch[k++] = 0;
			scratch[k++] = 0;
			scratch[k++] = (uint8_t)(clen / 256);
			scratch[k++] = (uint8_t)(clen % 256);
			scratch[k++] = 0;
			scratch[k++] = 0;
			scratch[k++] = 0;
			scratch[k++] = (uint8_t)r.proto;
		}
		memcpy(scratch + k, p + r.hlen, clen);
		k += clen;
		c = ref_csum(scratch, k);
		if (c == 0 && r.proto == 17)
			c = 0xffff;
	}
	wr16(p + off, c);
}

size_t
ref_build(uint8_t *out, size_t cap, int af, const uint8_t *src, const uint8_t *dst,
    int proto, int sport, int dport, const uint8_t *payload, size_t plen, int tos)
{
	size_t hl = af == 4 ? 20 : 40, l4h, total;
	uint8_t *l4;

	if (proto == 6)
		l4h = 20;
	else if (proto == 17 || proto == 1 || proto == 58)
		l4h = 8;
	else
		l4h = 0;
	total = hl + l4h + plen;
	if (total > cap || total > 65535)
		return 0;
	memset(out, 0, hl + l4h);
	if (af == 4) {
		out[0] = 0x45;
		out[1] = (uint8_t)tos;
		wr16(out + 2, total);
		wr16(out + 4, 0x1234);
		out[6] = 0x40;
		out[8] = 64;
		out[9] = (uint8_t)proto;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
	} else {
		out[0] = (uint8_t)(0x60 | (tos / 16));
		out[1] = (uint8_t)((tos % 16) * 16);
		wr16(out + 4, total - 40);
		out[6] = (uint8_t)proto;
		out[7] = 64;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	}
	l4 = out + hl;
	if (proto == 6) {
		wr16(l4, (size_t)sport);
		wr16(l4 + 2, (size_t)dport);
		wr16(l4 + 4, 0x0102);
		wr16(l4 + 6, 0x0304);
		l4[12] = 0x50;
		l4[13] = 0x18;
		wr16(l4 + 14, 0xffff);
	} else if (proto == 17) {
		wr16(l4, (size_t)sport);
		wr16(l4 + 2, (size_t)dport);
		wr16(l4 + 4, l4h + plen);
	} else if (proto == 1 || proto == 58) {
		l4[0] = proto == 1 ? 8 : 128;
		wr16(l4 + 4, (size_t)sport);
		wr16(l4 + 6, (size_t)dport);
	}
	if (plen > 0)
		memcpy(l4 + l4h, payload, plen);
	ref_fix_csums(out, total);
	return total;
}
