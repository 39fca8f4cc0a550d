/*
 * fuzz_demux.c - libFuzzer target for dataplane/demux.c: classification
 * of a datagram from a peer or a relay, and the local-address check.
 *
 * The whole input is the datagram, classified as if from a relay and as
 * if from a peer; its first 20 bytes also serve as a struct ipc_addr for
 * demux_local_ok.  Checks: oversize datagrams are dropped before anything
 * else; WireGuard kinds have the type byte, zero reserved bytes and the
 * exact length (at least 32 bytes for data); relay-only kinds never come
 * from a peer; STUN is what demux_is_ice_stun says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demux.h"
#include "log.h"

static void
check(const uint8_t *p, size_t n, int from_relay)
{
	enum demux_kind k = demux_classify(p, n, from_relay);

	if (demux_kind_name(k) == NULL)
		abort();
	if (n > DEMUX_MAX_DATAGRAM) {
		if (k != DEMUX_DROP_OVERSIZE)
			abort();
		return;
	}
	switch (k) {
	case DEMUX_WG_INITIATION:
		if (n != 148 || p[0] != 1)
			abort();
		break;
	case DEMUX_WG_RESPONSE:
		if (n != 92 || p[0] != 2)
			abort();
		break;
	case DEMUX_WG_COOKIE:
		if (n != 64 || p[0] != 3)
			abort();
		break;
	case DEMUX_WG_DATA:
		if (n < 32 || p[0] != 4)
			abort();
		break;
	case DEMUX_TURN:
	case DEMUX_CHANNEL_DATA:
		if (!from_relay)
			abort();
		break;
	case DEMUX_STUN:
		if (!demux_is_ice_stun(p, n))
			abort();
		break;
	case DEMUX_DROP_GARBAGE:
		break;
	default:
		abort();	/* OVERSIZE under the limit, LOCAL from classify */
	}
	if (k >= DEMUX_WG_INITIATION && (p[1] | p[2] | p[3]) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_addr a;
	uint8_t *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	check(p, size, 0);
	check(p, size, 1);
	(void)demux_is_ice_stun(p, size);
	memset(&a, 0, sizeof(a));
	memcpy(&a, data, size < sizeof(a) ? size : sizeof(a));
	(void)demux_local_ok(&a);
	free(p);
	return 0;
}
