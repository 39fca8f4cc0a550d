/*
 * nat64.h - stateless IPv6 <-> IPv4 header translation after RFC 7915
 * (docs/protocol/dataplane.md 4.7).  Addresses are not derived from a prefix:
 * the caller (the DNS-resource NAT) supplies them.
 *
 * Differences from the reference gateway, each a deliberate fix:
 *  - the whole traffic-class/TOS octet is copied, so DSCP and ECN survive
 *    and no traffic class is refused;
 *  - ICMP errors are translated (type/code tables of RFC 7915, including
 *    Packet Too Big <-> Fragmentation Needed with the MTU adjusted, and the
 *    quoted packet's header), so path-MTU discovery and traceroute work;
 *  - IPv4 fragments are refused rather than translated as whole packets.
 *
 * TCP/UDP and ICMP echo checksums are updated incrementally (RFC 1624), so
 * a corrupted packet stays detectably corrupted; an IPv4 UDP datagram
 * without checksum gets a full one, which IPv6 requires.
 */
#ifndef FZ_NAT64_H
#define FZ_NAT64_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/*
 * Largest growth of a packet through nat64_4to6: 20 bytes for the outer
 * header, and 20 more for the header an ICMPv4 error quotes (so
 * Fragmentation Needed can become Packet Too Big).
 */
#define NAT64_GROWTH	40

struct nat64_addrs {
	struct pkt_addr src, dst;		/* outer header, output family */
	/*
	 * For ICMP errors only: the addresses to write into the quoted packet,
	 * output family.  Leave af 0 to refuse errors (PKT_E_PROTO).
	 */
	struct pkt_addr inner_src, inner_dst;
};

/*
 * Translate the IPv6 packet in[0..inlen) into an IPv4 packet in
 * out[0..outcap).  in and out may be the same buffer.  Output: IHL 5,
 * identification 0, DF set, TTL = hop limit, TOS = traffic class, protocol
 * 1 for ICMPv6.  Returns the output length (> 0) or a negative enum
 * pkt_err: PKT_E_EXTHDR (hop-by-hop, routing, fragment or destination
 * options first), PKT_E_PROTO (an ICMPv6 type with no IPv4 counterpart),
 * PKT_E_NOSPACE, or a parse error.
 */
int nat64_6to4(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    const struct nat64_addrs *m);

/*
 * Translate the IPv4 packet in[0..inlen) into IPv6 in out[0..outcap),
 * which needs inlen + NAT64_GROWTH bytes at most.  in and out may be the
 * same buffer.  Options are dropped; flow label 0; hop limit = TTL;
 * traffic class = TOS; next header 58 for ICMP.  Returns the output length
 * or negative: PKT_E_FRAG (a fragment), PKT_E_PROTO (an ICMP type with no
 * ICMPv6 counterpart), PKT_E_NOSPACE, or a parse error.
 */
int nat64_4to6(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
    const struct nat64_addrs *m);

/*
 * The type/code mappings alone (exposed for tests and for the ICMP code).
 * Return 0 and set the output type and code, or PKT_E_PROTO when the message is dropped.
 */
int nat64_icmp6_to_icmp4(uint8_t type6, uint8_t code6, uint8_t *type4, uint8_t *code4);
int nat64_icmp4_to_icmp6(uint8_t type4, uint8_t code4, uint8_t *type6, uint8_t *code6);

#endif
