/*
 * demux.h - classify a datagram received on a gateway UDP socket
 * (docs/protocol/p2p.md §1.2).  Sans-IO: bytes in, a kind out.
 */
#ifndef FZ_DEMUX_H
#define FZ_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

/* Larger datagrams are dropped before any parsing (docs/protocol/p2p.md §6). */
#define DEMUX_MAX_DATAGRAM 1336

enum demux_kind {
	DEMUX_DROP_OVERSIZE = -3, /* larger than DEMUX_MAX_DATAGRAM */
	DEMUX_DROP_LOCAL = -2,    /* arrived on an address that cannot be a candidate */
	DEMUX_DROP_GARBAGE = -1,  /* matches nothing */
	DEMUX_TURN = 1,           /* STUN/TURN control from a relay */
	DEMUX_CHANNEL_DATA = 2,   /* TURN ChannelData from a relay */
	DEMUX_STUN = 3,           /* ICE STUN (has MESSAGE-INTEGRITY) */
	DEMUX_WG_INITIATION = 4,
	DEMUX_WG_RESPONSE = 5,
	DEMUX_WG_COOKIE = 6,
	DEMUX_WG_DATA = 7,
};

/*
 * Classify bytes that arrived from a peer; from_relay says whether the
 * source address (IP and port) is one of the configured relays.
 */
enum demux_kind demux_classify(const uint8_t *p, size_t n, int from_relay);

/* Non-zero if a datagram's local address may be a host candidate
 * (not unspecified, multicast, broadcast or IPv4 link-local). */
int demux_local_ok(const struct ipc_addr *local);

/* True for the ICE STUN shape of §1.2 step 3 (used by demux_classify). */
int demux_is_ice_stun(const uint8_t *p, size_t n);

const char *demux_kind_name(enum demux_kind k);

#endif
