/*
 * icmp_gen.h - ICMP / ICMPv6 "administratively prohibited" and
 * "unreachable" replies for packets the filter denies.  Sans-IO: bytes in, bytes out; the caller
 * rate-limits and sends.  The reference gateway dropped denied packets
 * silently; answering lets the client fail fast instead of timing out.
 */
#ifndef FZ_ICMP_GEN_H
#define FZ_ICMP_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/*
 * Upper bounds of a generated reply: IPv4 quotes the header and 8 bytes
 * (RFC 792), so at most 20 + 8 + 60 + 8; IPv6 as much as fits in 1280
 * (RFC 4443 2.4(c)).  TTL / hop limit 20, as today's reference gateway.
 */
#define ICMP_GEN_MAX_V4		96
#define ICMP_GEN_MAX_V6		1280
#define ICMP_GEN_TTL		20

/*
 * Build in out[0..outcap) (not overlapping in) the error answering the denied packet
 * in[0..inlen): IPv4 type 3 code 13 (communication administratively
 * prohibited), IPv6 type 1 code 1 (communication with destination
 * administratively prohibited).  The reply goes from the packet's
 * destination to its source, TTL/hop limit ICMP_GEN_TTL, TOS/traffic
 * class 0, and quotes: IPv4, the packet's IP header (options included) and
 * the first 8 bytes after it; IPv6, as much of the packet as fits in
 * ICMP_GEN_MAX_V6.
 *
 * Returns the reply length; 0 when no error may be sent about this packet
 * (RFC 1122 3.2.2, RFC 4443 2.4(e): it is itself an ICMP error or a
 * redirect, a non-first fragment, or has a multicast, broadcast, loopback
 * or unspecified address where a unicast one is needed); or negative:
 * a parse error, or PKT_E_NOSPACE.
 */
int icmp_gen_prohibited(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap);

/*
 * The same, but IPv4 type 3 code 0 (network unreachable) and IPv6 type 1
 * code 3 (address unreachable): for a DNS proxy IP without a translation
 * and for a range the Internet resource refuses.  Same rules and results
 * as icmp_gen_prohibited.
 */
int icmp_gen_unreachable(const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap);

#endif
