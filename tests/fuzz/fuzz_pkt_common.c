/*
 * fuzz_pkt_common.c - helpers shared by the packet fuzz targets, included
 * by them (never compiled on its own): an independent checksum verifier
 * and the pkt_info invariants.
 */
#ifndef FZ_FUZZ_PKT_COMMON_C
#define FZ_FUZZ_PKT_COMMON_C

#include <stdlib.h>
#include <string.h>

#include "packet.h"

/* pkt_info must describe bytes inside the buffer. */
static inline void
fuzz_pkt_info_check(const struct pkt_info *pi, size_t len)
{
	if (pi->version != 4 && pi->version != 6)
		abort();
	if (pi->tot_len > len || pi->l3_len > pi->tot_len ||
	    pi->l4_len != pi->tot_len - pi->l3_len)
		abort();
	if (pi->src.af != pi->version || pi->dst.af != pi->version)
		abort();
	if (pi->is_later_frag && !pi->is_frag)
		abort();
}

/*
 * 1 if the IPv4 header checksum and the transport checksum (when the
 * packet is a whole TCP, UDP or ICMP datagram) verify, computed the
 * textbook way over the bytes.
 */
static inline int
fuzz_pkt_csum_ok(const uint8_t *buf, const struct pkt_info *pi)
{
	const uint8_t *l4 = buf + pi->l3_len;
	size_t n = pi->l4_len, off;
	uint32_t sum = 0;
	uint8_t icmp = pi->version == 4 ? PKT_PROTO_ICMP : PKT_PROTO_ICMPV6;

	if (pi->version == 4 && pkt_csum(buf, pi->l3_len) != 0)
		return 0;
	if (pi->is_frag || !pi->l4_ok)
		return 1;
	if (pi->proto == PKT_PROTO_TCP)
		off = 16;
	else if (pi->proto == PKT_PROTO_UDP)
		off = 6;
	else if (pi->proto == icmp)
		off = 2;
	else
		return 1;
	if (n < off + 2)
		return 1;
	if (pi->proto == PKT_PROTO_UDP) {
		size_t ulen = pkt_get16(l4 + 4);

		if (ulen < 8 || ulen > n)
			return 1;
		n = ulen;
		if (pi->version == 4 && pkt_get16(l4 + 6) == 0)
			return 1;	/* no checksum */
	}
	if (pi->proto != PKT_PROTO_ICMP)
		sum = pkt_csum_pseudo(&pi->src, &pi->dst, pi->proto, (uint32_t)n);
	sum = pkt_csum_add(sum, l4, n);
	return pkt_csum_fold(sum) == 0;
}

#endif
