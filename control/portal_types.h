/*
 * portal_types.h - value types decoded from portal messages.
 *
 * Everything here is fixed size: no pointers, no heap.  Every array comes
 * with an explicit count that the decoder has checked against the maximum
 * below, so consumers (authz, ice, turn, dns) may index up to the count
 * without re-checking.  Fields marked "secret" are wiped by
 * portal_msg_clear() (portal_msg.h); copy them only into storage that is
 * wiped the same way.
 */
#ifndef FZ_PORTAL_TYPES_H
#define FZ_PORTAL_TYPES_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Bounds: the portal is never trusted for a length (spec 2.0 notes in brackets). */
#define PORTAL_MSG_REF_MAX        4096	/* payload "ref" (signed token, ~1 KiB seen) */
#define PORTAL_MSG_NAME_MAX       1024	/* resource display name, bytes of UTF-8 */
#define PORTAL_MSG_DOMAIN_MAX     253	/* DNS name or resource address pattern */
#define PORTAL_MSG_FILTERS_MAX    64	/* filters per resource (portal expands ports) */
#define PORTAL_MSG_RELAYS_MAX     16	/* relay entries / disconnected ids per message (portal: <= 4) */
#define PORTAL_MSG_TURN_USER_MAX  256	/* TURN username */
#define PORTAL_MSG_TURN_PASS_MAX  256	/* TURN password */
#define PORTAL_MSG_ICE_UFRAG_MAX  256	/* RFC 8445 ice-ufrag upper bound */
#define PORTAL_MSG_ICE_PWD_MAX    256	/* RFC 8445 ice-pwd upper bound */
#define PORTAL_MSG_PROXY_IPS_MAX  8	/* DNS proxy IPs per domain (clients assign 8; more is refused) */
#define PORTAL_MSG_CANDIDATES_MAX 64	/* ICE candidates per message */
#define PORTAL_MSG_CANDIDATE_MAX  512	/* bytes per candidate string */
/* init.authorizations entries: a 1 MiB frame holds about 8000 of them. */
#define PORTAL_MSG_AUTHORIZATIONS_MAX 8192
#define PORTAL_MSG_TS_MAX         253402300799LL	/* 9999-12-31T23:59:59Z */

/* Where a client's DNS proxy IPs must lie (text for log lines). */
#define PORTAL_MSG_PROXY_RANGES   "100.96.0.0/11 and fd00:2021:1111:8000::/107"

#define PORTAL_MSG_KEY_LEN        32	/* WireGuard public key / PSK */
#define PORTAL_MSG_UUID_STRLEN    37	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL */

struct portal_msg_uuid {
	uint8_t b[16];
};

/* An address of either family; family is AF_INET or AF_INET6. */
struct portal_msg_ip {
	uint8_t family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} u;
};

/* "a.b.c.d:port" or "[v6]:port"; port is never 0. */
struct portal_msg_sockaddr {
	struct portal_msg_ip ip;
	uint16_t port;
};

/* Network address with prefix; host bits are guaranteed zero. */
struct portal_msg_cidr {
	struct portal_msg_ip ip;
	uint8_t prefix;		/* 0..32 for AF_INET, 0..128 for AF_INET6 */
};

enum portal_msg_proto {
	PORTAL_MSG_PROTO_TCP = 1,
	PORTAL_MSG_PROTO_UDP = 2,
	PORTAL_MSG_PROTO_ICMP = 3,
};

/*
 * One filter.  For TCP/UDP, port_start <= port_end always holds (defaults
 * 0 and 65535 when absent).  For ICMP both are 0 and meaningless.
 */
struct portal_msg_filter {
	uint8_t protocol;	/* enum portal_msg_proto */
	uint16_t port_start;
	uint16_t port_end;
};

enum portal_msg_resource_type {
	PORTAL_MSG_RES_DNS = 1,
	PORTAL_MSG_RES_CIDR = 2,
	PORTAL_MSG_RES_INTERNET = 3,
};

/*
 * ResourceDescription.  n_filters == 0 means "all traffic allowed" (spec
 * 2.0); an internet resource always has n_filters == 0, and empty name and
 * address.  address holds the DNS pattern for DNS resources and the CIDR
 * text for CIDR resources (cidr is the parsed form).
 */
struct portal_msg_resource {
	uint8_t type;		/* enum portal_msg_resource_type */
	struct portal_msg_uuid id;
	char name[PORTAL_MSG_NAME_MAX + 1];
	char address[PORTAL_MSG_DOMAIN_MAX + 1];
	struct portal_msg_cidr cidr;
	uint32_t n_filters;
	struct portal_msg_filter filters[PORTAL_MSG_FILTERS_MAX];
};

/*
 * A TURN relay after merging the portal's per-address entries by id: at
 * least one of has_v4/has_v6 is set.  The realm is always "firezone".
 */
struct portal_msg_relay {
	struct portal_msg_uuid id;
	bool has_v4;
	bool has_v6;
	struct portal_msg_sockaddr v4;
	struct portal_msg_sockaddr v6;
	char username[PORTAL_MSG_TURN_USER_MAX + 1];
	char password[PORTAL_MSG_TURN_PASS_MAX + 1];	/* secret */
	int64_t expires_at;	/* Unix seconds */
};

struct portal_msg_relay_list {
	uint32_t n;
	struct portal_msg_relay relays[PORTAL_MSG_RELAYS_MAX];
	uint32_t n_stun_ignored;	/* valid "stun" entries that were skipped */
};

/* ICE credentials; both strings are non-empty ice-chars (ALPHA DIGIT + /). */
struct portal_msg_ice_creds {
	char username[PORTAL_MSG_ICE_UFRAG_MAX + 1];
	char password[PORTAL_MSG_ICE_PWD_MAX + 1];	/* secret */
};

/* The WireGuard side of a client (new "client" object or legacy "client.peer"). */
struct portal_msg_peer {
	struct portal_msg_uuid id;
	uint8_t public_key[PORTAL_MSG_KEY_LEN];
	uint8_t preshared_key[PORTAL_MSG_KEY_LEN];	/* secret */
	struct in_addr ipv4;
	struct in6_addr ipv6;
};

/* One entry of init.authorizations (and the payload of
 * access_authorization_expiry_updated): the portal's current grant of a
 * resource to a client.  has_expires_at == false: no expiry (null). */
struct portal_msg_authorization {
	struct portal_msg_uuid client_id;
	struct portal_msg_uuid resource_id;
	bool has_expires_at;
	int64_t expires_at;
};

/* Legacy DNS resolve request ({name, proxy_ips}). */
struct portal_msg_resolve {
	char name[PORTAL_MSG_DOMAIN_MAX + 1];
	uint32_t n_proxy_ips;
	struct portal_msg_ip proxy_ips[PORTAL_MSG_PROXY_IPS_MAX];
};

#endif
