/*
 * turnmgr.h - one TURN client per relay the portal offered (docs/protocol/p2p.md
 * §3): started and stopped as the relay set changes, driven by the relay
 * datagrams the dataplane forwards, its allocations offered to the ICE
 * agents as relayed candidates and its channels installed in the dataplane.
 */
#ifndef FZ_TURNMGR_H
#define FZ_TURNMGR_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"
#include "portal_types.h"
#include "relays.h"

struct ctl;
struct turn_client;
struct event;

struct turn_slot {
	int in_use;
	struct portal_msg_uuid id;
	struct turn_client *tc;
	struct event *ev;
	struct ctl *ctl;
	size_t n_servers;
	struct ipc_addr servers[2];
	int allocated;
	int has4, has6;
	struct ipc_addr relayed4, relayed6;
	/* SHA-256 over the relay's addresses, username and password, to tell
	 * an unchanged entry (the allocation stays, as today's portal sends
	 * the same entry on every init) from a changed one (replaced). */
	uint8_t entry_digest[32];
	int dead;               /* failed or stopped: freed on the next sync */
};

struct turnmgr {
	struct turn_slot s[RELAYS_MAX];
	uint64_t failures;          /* relays given up on */
};

void turnmgr_init(struct turnmgr *m);
/* Start clients for new relays, stop those the portal took away (or gave
 * new credentials); with refresh, refresh the allocations kept (§3.9). */
void turnmgr_sync(struct ctl *c, int refresh);
/* A STUN/TURN datagram from a relay address. */
void turnmgr_input(struct ctl *c, const struct ipc_d2c_udp_rx *rx, const uint8_t *data);
/* Relays with a live allocation. */
size_t turnmgr_allocated(const struct turnmgr *m);
/*
 * Send an ICE datagram from our relayed address `relayed` to `peer` as
 * ChannelData.  Without a channel yet one is requested and -1 returned
 * (ICE retransmits).  0 when sent.
 */
int turnmgr_send(struct ctl *c, const struct ipc_addr *relayed, const struct ipc_addr *peer,
    const uint8_t *data, size_t len);
/* The server and channel that carry relayed <-> peer, if bound (0), else
 * request one and return -1. */
int turnmgr_channel(struct ctl *c, const struct ipc_addr *relayed, const struct ipc_addr *peer,
    struct ipc_addr *server, uint16_t *channel);
/* Relayed candidates to offer a new connection (one relay, picked by
 * seed): up to 2, returns the count. */
size_t turnmgr_candidates(const struct turnmgr *m, uint32_t seed, struct ipc_addr out[2]);
void turnmgr_free(struct ctl *c);

#endif
