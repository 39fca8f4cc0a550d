/*
 * demux.c - the demultiplexing order of docs/protocol/p2p.md §1.2.
 */
#include "demux.h"

#include <string.h>

#include "wg_types.h"

#define STUN_HDR 20
#define STUN_COOKIE 0x2112A442u
#define STUN_ATTR_MESSAGE_INTEGRITY 0x0008u

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int
demux_is_ice_stun(const uint8_t *p, size_t n)
{
	size_t off, alen;
	int have_mi = 0;

	if (n < STUN_HDR || (p[0] & 0xC0) != 0)
		return 0;
	if (rd16(p + 2) % 4 != 0 || (size_t)rd16(p + 2) != n - STUN_HDR)
		return 0;
	if (rd32(p + 4) != STUN_COOKIE)
		return 0;
	/* Every attribute must fit; padding to 4 bytes. */
	for (off = STUN_HDR; off < n;) {
		if (n - off < 4)
			return 0;
		alen = rd16(p + off + 2);
		if (rd16(p + off) == STUN_ATTR_MESSAGE_INTEGRITY)
			have_mi = 1;
		off += 4;
		alen = (alen + 3) & ~(size_t)3;
		if (alen > n - off)
			return 0;
		off += alen;
	}
	return have_mi;
}

/* WireGuard by the one classifier, wg_message_type (wg_types.h). */
static enum demux_kind
wireguard_kind(const uint8_t *p, size_t n)
{
	switch (wg_message_type(p, n)) {
	case WG_MSG_INITIATION:
		return DEMUX_WG_INITIATION;
	case WG_MSG_RESPONSE:
		return DEMUX_WG_RESPONSE;
	case WG_MSG_COOKIE_REPLY:
		return DEMUX_WG_COOKIE;
	case WG_MSG_DATA:
		return DEMUX_WG_DATA;
	default:
		return DEMUX_DROP_GARBAGE;
	}
}

enum demux_kind
demux_classify(const uint8_t *p, size_t n, int from_relay)
{
	if (n > DEMUX_MAX_DATAGRAM)
		return DEMUX_DROP_OVERSIZE;
	if (n == 0)
		return DEMUX_DROP_GARBAGE;
	if (from_relay && p[0] <= 0x03)
		return DEMUX_TURN;
	if (from_relay && p[0] >= 0x40 && p[0] <= 0x4F)
		return n >= 4 ? DEMUX_CHANNEL_DATA : DEMUX_DROP_GARBAGE;
	if (demux_is_ice_stun(p, n))
		return DEMUX_STUN;
	return wireguard_kind(p, n);
}

int
demux_local_ok(const struct ipc_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == 4) {
		const uint8_t *b = a->addr;
		if (memcmp(b, zero, 4) == 0)
			return 0;                       /* unspecified */
		if (b[0] == 169 && b[1] == 254)
			return 0;                       /* link-local */
		if (b[0] >= 224 && b[0] <= 239)
			return 0;                       /* multicast */
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return 0;                       /* broadcast */
		return 1;
	}
	if (a->family == 6) {
		if (memcmp(a->addr, zero, 16) == 0)
			return 0;                       /* unspecified */
		if (a->addr[0] == 0xff)
			return 0;                       /* multicast */
		return 1;
	}
	return 0;
}

const char *
demux_kind_name(enum demux_kind k)
{
	switch (k) {
	case DEMUX_DROP_OVERSIZE: return "oversize";
	case DEMUX_DROP_LOCAL: return "bad local address";
	case DEMUX_DROP_GARBAGE: return "garbage";
	case DEMUX_TURN: return "turn";
	case DEMUX_CHANNEL_DATA: return "channel-data";
	case DEMUX_STUN: return "stun";
	case DEMUX_WG_INITIATION: return "wg-initiation";
	case DEMUX_WG_RESPONSE: return "wg-response";
	case DEMUX_WG_COOKIE: return "wg-cookie";
	case DEMUX_WG_DATA: return "wg-data";
	}
	return "?";
}
