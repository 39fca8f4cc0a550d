/*
 * packet.h - IPv4/IPv6 packet parsing, field rewriting and internet
 * checksums for the dataplane.  Sans-IO: pure functions over byte buffers.
 *
 * Every length read from a packet is checked against the buffer before it
 * is used.  The parser never writes; the setters keep every checksum valid
 * with RFC 1624 incremental updates and never touch TOS/traffic class, so
 * DSCP and ECN pass through untouched.
 *
 * enum pkt_err is the one error enum shared by the packet-policy cores
 * (packet, filter, nat, nat64, icmp_gen): 0 is success, errors are negative.
 */
#ifndef FZ_PACKET_H
#define FZ_PACKET_H

#include <stddef.h>
#include <stdint.h>

enum pkt_err {
	PKT_OK = 0,
	PKT_E_TRUNC = -1,	/* buffer shorter than a header needs */
	PKT_E_VERSION = -2,	/* first nibble neither 4 nor 6 */
	PKT_E_HDRLEN = -3,	/* IHL < 5, or total length < header length */
	PKT_E_LENGTH = -4,	/* a length field exceeds the buffer */
	PKT_E_PROTO = -5,	/* protocol/type not handled by this operation */
	PKT_E_EXTHDR = -6,	/* IPv6 extension header where none is handled */
	PKT_E_NOSPACE = -7,	/* output buffer too small */
	PKT_E_INVAL = -8,	/* invalid argument (bad range, wrong family...) */
	PKT_E_NOMEM = -9,	/* allocation failed (configuration path only) */
	PKT_E_FULL = -10,	/* table full or port/identifier space exhausted */
	PKT_E_NOTFOUND = -11,	/* no such entry */
	PKT_E_DENIED = -12,	/* filter denies the packet */
	PKT_E_SPOOF = -13,	/* source is not the client's tunnel address */
	PKT_E_FRAG = -14,	/* fragment where a whole datagram is needed */
	PKT_E_EXPIRED = -15,	/* matches a NAT session that has expired */
};

/* Short name of an error code, for log lines ("trunc", "denied", ...). */
const char *pkt_strerror(int err);

#define PKT_PROTO_ICMP		1
#define PKT_PROTO_TCP		6
#define PKT_PROTO_UDP		17
#define PKT_PROTO_ICMPV6	58
#define PKT_PROTO_IPV6_FRAG	44	/* IPv6 fragment header */

#define PKT_TCP_FIN		0x01
#define PKT_TCP_SYN		0x02
#define PKT_TCP_RST		0x04
#define PKT_TCP_ACK		0x10

#define PKT_IPV4_HDR_LEN	20
#define PKT_IPV6_HDR_LEN	40
#define PKT_MAX_PACKET		65535

/* ICMPv4 / ICMPv6 types used by the cores. */
#define PKT_ICMP4_ECHO_REPLY	0
#define PKT_ICMP4_UNREACH	3
#define PKT_ICMP4_ECHO_REQUEST	8
#define PKT_ICMP4_TIME_EXCEEDED	11
#define PKT_ICMP4_PARAMPROB	12
#define PKT_ICMP6_UNREACH	1
#define PKT_ICMP6_PACKET_TOO_BIG 2
#define PKT_ICMP6_TIME_EXCEEDED	3
#define PKT_ICMP6_PARAMPROB	4
#define PKT_ICMP6_ECHO_REQUEST	128
#define PKT_ICMP6_ECHO_REPLY	129

/*
 * An IP address of either family.  af is 4 or 6; an IPv4 address lives in
 * b[0..3] and b[4..15] are zero, so two addresses compare with memcmp and
 * hash as plain bytes.
 */
struct pkt_addr {
	uint8_t af;
	uint8_t b[16];
};

/* Result of pkt_parse.  Fields in host byte order. */
struct pkt_info {
	uint8_t version;	/* 4 or 6 */
	uint8_t proto;		/* IPv4 protocol / IPv6 first next header */
	uint8_t ttl;		/* TTL / hop limit */
	uint8_t tos;		/* IPv4 TOS / IPv6 traffic class, DSCP+ECN */
	uint16_t l3_len;	/* IP header length: IHL*4, or 40 */
	uint16_t tot_len;	/* packet length per the header, <= buffer */
	uint16_t l4_len;	/* tot_len - l3_len */
	uint8_t is_frag;	/* IPv4 MF set or offset non-zero */
	uint8_t is_later_frag;	/* IPv4 fragment offset non-zero */
	uint8_t l4_ok;		/* an L4 header for proto parsed in full */
	uint8_t is_echo;	/* ICMP(v6) echo request/reply with code 0 */
	uint8_t is_icmp_err;	/* ICMP(v6) error message (types above) */
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags;	/* TCP with l4_ok: FIN 0x01, SYN 0x02, RST 0x04, ... */
	uint16_t sport, dport;	/* TCP/UDP */
	uint16_t icmp_id, icmp_seq; /* echo only */
	struct pkt_addr src, dst;
};

/*
 * Parse the IP header and, when present and complete, the TCP/UDP/ICMP
 * header.  Checks: version, IHL >= 5, header within the buffer, IPv4 total
 * length >= IHL*4 and <= len, IPv6 40 + payload length <= len.  Bytes after
 * tot_len are ignored (link padding).  An L4 header that does not parse
 * leaves l4_ok 0 but is not an error: the filter decides what that means.
 * Returns PKT_OK or a negative enum pkt_err; *pi is undefined on error.
 */
int pkt_parse(const uint8_t *buf, size_t len, struct pkt_info *pi);

/* Address helpers. */
void pkt_addr_v4(struct pkt_addr *a, const uint8_t b[4]);
void pkt_addr_v6(struct pkt_addr *a, const uint8_t b[16]);
/* Parse "1.2.3.4" or "fd00::1" (inet_pton); returns 0 or PKT_E_INVAL. */
int pkt_addr_from_str(struct pkt_addr *a, const char *s);
int pkt_addr_eq(const struct pkt_addr *a, const struct pkt_addr *b);
/* 1 if a lies inside net/plen (same family, plen <= 32/128), else 0. */
int pkt_addr_in_prefix(const struct pkt_addr *a, const struct pkt_addr *net, unsigned plen);

/*
 * Internet checksum (RFC 1071).  pkt_csum_add adds data to a running
 * partial sum (only the last chunk may have odd length); pkt_csum_fold
 * folds and complements it into the value stored in a header.
 */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);
uint16_t pkt_csum(const void *data, size_t len);
/* Partial sum of the TCP/UDP/ICMPv6 pseudo-header for either family. */
uint32_t pkt_csum_pseudo(const struct pkt_addr *src, const struct pkt_addr *dst,
    uint8_t proto, uint32_t l4len);

/*
 * RFC 1624 eqn. 3 incremental update: the new header checksum after one
 * 16-bit word changes from old to new, or a run of len (even) bytes.
 */
uint16_t pkt_csum_replace16(uint16_t csum, uint16_t old, uint16_t new_);
uint16_t pkt_csum_replace(uint16_t csum, const uint8_t *old, const uint8_t *new_, size_t len);

/*
 * Recompute from scratch the IPv4 header checksum (if IPv4) and the L4
 * checksum (TCP, UDP, ICMP, ICMPv6) of a parsed packet.  An IPv4 UDP
 * checksum of 0 ("none") is left as 0; other protocols have nothing to do.
 * Returns 0, PKT_E_FRAG (a fragment: only the IP header was done) or
 * PKT_E_TRUNC (the L4 header is cut short).
 */
int pkt_fill_checksums(uint8_t *buf, const struct pkt_info *pi);

/*
 * Field setters on a parsed packet: each rewrites the field, updates the
 * IPv4 header checksum and the L4 checksum incrementally, and updates *pi.
 * An address must be of the packet's family.  Ports need TCP/UDP with l4_ok,
 * the echo identifier an ICMP(v6) echo.  Return 0 or PKT_E_INVAL/PKT_E_PROTO.
 */
int pkt_set_src(uint8_t *buf, struct pkt_info *pi, const struct pkt_addr *a);
int pkt_set_dst(uint8_t *buf, struct pkt_info *pi, const struct pkt_addr *a);
int pkt_set_sport(uint8_t *buf, struct pkt_info *pi, uint16_t port);
int pkt_set_dport(uint8_t *buf, struct pkt_info *pi, uint16_t port);
int pkt_set_echo_id(uint8_t *buf, struct pkt_info *pi, uint16_t id);

/*
 * ECN (RFC 3168): the two low bits of the TOS / traffic class.  pkt_ecn
 * reads them from a parsed packet.  pkt_ecn_mark_ce sets CE on a packet
 * that is ECT(0) or ECT(1), fixing the IPv4 header checksum and pi->tos,
 * and returns 1; a Not-ECT or CE packet is left alone (0).
 */
#define PKT_ECN_NOT_ECT		0
#define PKT_ECN_ECT1		1
#define PKT_ECN_ECT0		2
#define PKT_ECN_CE		3
static inline uint8_t
pkt_ecn(const struct pkt_info *pi)
{
	return pi->tos & 3;
}
int pkt_ecn_mark_ce(uint8_t *buf, struct pkt_info *pi);

/*
 * 1 if the packet is a Firezone p2p control message (spec 5.1): IPv6,
 * next header 255, source and destination ::, payload of 8 bytes or more.
 */
#define PKT_P2P_CONTROL_NH	255
int pkt_is_p2p_control(const struct pkt_info *pi);

/*
 * 1 if a TCP, UDP or ICMP packet's transport header is cut short and it is
 * not a fragment (whose header may span several): malformed, dropped in
 * both directions rather than forwarded.
 */
int pkt_l4_truncated(const struct pkt_info *pi);

static inline uint16_t
pkt_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void
pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t
pkt_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void
pkt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
