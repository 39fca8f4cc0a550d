/*
 * ice_cand.h - ICE candidate strings, priorities and foundations
 * (docs/protocol/p2p.md section 2.4; RFC 8445 section 5.1.2, RFC 8839 section 5.1).
 *
 * Candidates travel through the portal as the SDP candidate-attribute value
 * without "a=" and without a line end:
 *
 *   candidate:<foundation> <component> <transport> <priority> <ip> <port>
 *       typ <type>[ raddr <ip> rport <port>][ ufrag <ufrag>]
 *
 * Sans-IO: no sockets, no clock, no allocation.  The error enum below is
 * shared with ice.h (one enum for the ICE modules).
 */
#ifndef FZ_ICE_CAND_H
#define FZ_ICE_CAND_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

enum ice_err {
	ICE_OK = 0,
	ICE_EINVAL = -1,	/* bad argument (NULL, bad credentials, bad address) */
	ICE_ENOMEM = -2,
	ICE_EPARSE = -3,	/* candidate string malformed */
	ICE_ETOOLONG = -4,	/* candidate string or field longer than allowed */
	ICE_EADDR = -5,		/* address or port in a candidate not usable */
	ICE_ETYPE = -6,		/* unknown candidate type */
	ICE_EIGNORED = -7,	/* well formed but not for us (component, transport, ufrag) */
	ICE_EFULL = -8,		/* candidate or pair table full */
	ICE_ENOENT = -9,	/* no such candidate */
	ICE_ENOTSTUN = -10,	/* datagram is not a STUN message we handle */
	ICE_EAUTH = -11,	/* USERNAME or MESSAGE-INTEGRITY check failed */
	ICE_ENOMATCH = -12,	/* not for this agent (transaction, local address, source) */
	ICE_ENOSPACE = -13,	/* output buffer too small */
	ICE_EDROPPED = -14,	/* valid for this agent but dropped by a rule of section 2.5 */
};

enum ice_cand_type {
	ICE_CAND_HOST = 0,
	ICE_CAND_SRFLX = 1,
	ICE_CAND_PRFLX = 2,
	ICE_CAND_RELAY = 3,
};

/* Type preferences (RFC 8445 section 5.1.2.2 values the spec pins). */
#define ICE_TYPE_PREF_HOST	126u
#define ICE_TYPE_PREF_PRFLX	110u
#define ICE_TYPE_PREF_SRFLX	100u
#define ICE_TYPE_PREF_RELAY	2u

/* Longest candidate string accepted or produced, without the NUL. */
#define ICE_CAND_STR_MAX	511
/* Foundation: 1-32 ice-chars (RFC 8839). */
#define ICE_FOUNDATION_MAX	32
/* Ufrag: 4-255 ice-chars (255 keeps "a:b" under STUN's 513-byte USERNAME). */
#define ICE_UFRAG_MIN		4
#define ICE_UFRAG_MAX		255

struct ice_cand {
	enum ice_cand_type type;
	struct ipc_addr	addr;		/* connection address and port */
	uint32_t	priority;
	uint32_t	component;	/* 1 for everything we use */
	uint8_t		udp;		/* 1 if the transport is UDP */
	uint8_t		has_raddr;
	uint8_t		has_ufrag;
	struct ipc_addr	raddr;		/* related address, if has_raddr */
	char		foundation[ICE_FOUNDATION_MAX + 1];
	char		ufrag[ICE_UFRAG_MAX + 1];	/* if has_ufrag */
};

/*
 * Parse one candidate string of len bytes (not necessarily NUL-terminated;
 * an optional leading "a=" is tolerated).  Accepts str0m's optional
 * trailing fields tcptype, raddr/rport, generation, network-id, ufrag,
 * network-cost, and skips other name/value extension pairs.  Fills *out.
 * Returns ICE_OK, ICE_ETOOLONG (string or field too long), ICE_EPARSE
 * (syntax, number out of range), ICE_EADDR (address not a numeric IPv4 /
 * IPv6 literal, or port 0), ICE_ETYPE (type not host/srflx/prflx/relay).
 * Component and transport are reported, not judged.
 */
int ice_cand_parse(const char *s, size_t len, struct ice_cand *out);

/*
 * Format c in the exact section 2.4 form (raddr/rport and ufrag only if
 * set) into buf of cap bytes, NUL-terminated.  Returns the string length,
 * ICE_ENOSPACE if it does not fit, ICE_EINVAL for a bad candidate.
 */
int ice_cand_format(const struct ice_cand *c, char *buf, size_t cap);

/* RFC 8445 priority: (type_pref << 24) | (local_pref << 8) | (256 - component). */
uint32_t ice_cand_priority_calc(uint32_t type_pref, uint32_t local_pref, uint32_t component);

/* Type preference of a candidate type. */
uint32_t ice_cand_type_pref(enum ice_cand_type type);

/*
 * Signalled priority of one of our candidates (section 2.4 table): local
 * preference 65535 for IPv6, 65534 for IPv4, component 1.
 */
uint32_t ice_cand_priority(enum ice_cand_type type, int family);
/* family is the ipc_addr family: 4 or 6. */

/*
 * Foundation of one of our candidates into out (at least
 * ICE_FOUNDATION_MAX + 1 bytes): 8 lower-case hex digits of the byte-swapped
 * signalled priority, then 16 hex digits of a 64-bit FNV-1a hash over
 * (type name, base IP bytes, related IP bytes if any, "udp").  related may
 * be NULL.  Candidates of the same type, base and related address share it.
 */
void ice_cand_foundation(enum ice_cand_type type, const struct ipc_addr *base,
    const struct ipc_addr *related, char *out);

/*
 * Build one of our own candidates (component 1, UDP, no raddr, no ufrag)
 * with the signalled priority and foundation.  Returns ICE_OK or
 * ICE_EINVAL (family not 4/6, port 0, type prflx).
 */
int ice_cand_make_local(struct ice_cand *c, enum ice_cand_type type,
    const struct ipc_addr *addr);

/* Type name ("host", "srflx", "prflx", "relay"), or NULL. */
const char *ice_cand_type_name(enum ice_cand_type type);

/* Same family, IP and port (pad byte ignored).  Returns 1 or 0. */
int ice_cand_addr_equal(const struct ipc_addr *a, const struct ipc_addr *b);

/*
 * Same candidate for invalidation (section 2.4): type, address and related
 * address.  Returns 1 or 0.
 */
int ice_cand_same(const struct ice_cand *a, const struct ice_cand *b);

#endif
