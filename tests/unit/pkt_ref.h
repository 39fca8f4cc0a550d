/*
 * pkt_ref.h - independent, deliberately naive reference routines the unit
 * suites use to check the dataplane's packet code: a byte-at-a-time
 * checksum over an explicitly assembled pseudo-header, a field-by-field
 * parser, and builders for hand-made test packets.  Shares no code with
 * dataplane/packet.c.
 */
#ifndef FZ_PKT_REF_H
#define FZ_PKT_REF_H

#include <stddef.h>
#include <stdint.h>

/* One's-complement checksum of n bytes, computed naively. */
uint16_t ref_csum(const uint8_t *p, size_t n);

/* What ref_parse extracts.  All numbers in host order. */
struct ref_pkt {
	int version;
	size_t hlen;		/* IP header length */
	size_t total;		/* total length from the header */
	int proto;
	int ttl;
	int tos;		/* IPv4 TOS / IPv6 traffic class */
	uint32_t flow;		/* IPv6 flow label */
	int ident, df, mf, fragoff;	/* IPv4 */
	uint8_t src[16], dst[16];
	int sport, dport;	/* TCP/UDP, -1 if absent */
	int icmp_type, icmp_code, icmp_id, icmp_seq; /* -1 if absent */
	size_t l4off;
};

/* Returns 0 on success, -1 if the packet is not plausible. */
int ref_parse(const uint8_t *p, size_t n, struct ref_pkt *r);

/* 1 if the IPv4 header checksum verifies (always 1 for IPv6). */
int ref_ip_csum_ok(const uint8_t *p, size_t n);

/*
 * 1 if the TCP/UDP/ICMP/ICMPv6 checksum verifies over a pseudo-header
 * built byte by byte in a scratch buffer (an IPv4 UDP checksum of 0
 * counts as valid).  0 otherwise or for other protocols.
 */
int ref_l4_csum_ok(const uint8_t *p, size_t n);

/* Both of the above. */
int ref_all_csum_ok(const uint8_t *p, size_t n);

/*
 * Build a test packet into out (capacity cap): IP header of the family
 * given by the length of src/dst (4 or 16 bytes), then an L4 header for
 * proto (6 TCP, 17 UDP, 1/58 ICMP echo request) carrying ports or
 * (id = sport, seq = dport), then payload.  Checksums are filled with
 * ref_csum.  IPv4: identification 0x1234, DF set, TTL 64, TOS tos.
 * Returns the packet length, or 0 if cap is too small.
 */
size_t ref_build(uint8_t *out, size_t cap, int af, const uint8_t *src, const uint8_t *dst,
    int proto, int sport, int dport, const uint8_t *payload, size_t plen, int tos);

/* Recompute every checksum of a built packet with ref_csum. */
void ref_fix_csums(uint8_t *p, size_t n);

#endif
