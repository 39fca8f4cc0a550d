/*
 * relaytab.h - the relays the dataplane recognises as TURN servers and the
 * channels bound on them (docs/protocol/p2p.md §1.2 steps 1-2, §3.7).  Sans-IO.
 * A channel is found in O(1) by (server address, channel number).
 */
#ifndef FZ_RELAYTAB_H
#define FZ_RELAYTAB_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

#define RELAYTAB_SERVERS_MAX 64
/* Channels bound across all relays: a few per relayed client connection
 * for 10,000 clients.  More are refused (issue 19: every table that
 * control fills is bounded). */
#define RELAYTAB_CHANNELS_MAX 65536
#define RELAYTAB_BUCKETS 4096 /* power of two */

/* Errors of relaytab_channel. */
#define RELAYTAB_EUNKNOWN -1 /* the channel's server is not a known relay */
#define RELAYTAB_EFULL -2    /* RELAYTAB_CHANNELS_MAX channels already */
#define RELAYTAB_ENOMEM -3

struct relay_chan {
	struct ipc_addr server;
	uint16_t channel;
	struct ipc_addr peer;     /* the remote as the relay sees it */
	struct ipc_addr relayed;  /* our relayed address it reaches */
	struct relay_chan *next;
};

struct relaytab {
	size_t n_servers;
	struct ipc_addr servers[RELAYTAB_SERVERS_MAX];
	struct relay_chan *b[RELAYTAB_BUCKETS];
	size_t n_channels;
};

void relaytab_init(struct relaytab *t);
void relaytab_free(struct relaytab *t);
/* Add (add 1) or remove a server; removing drops its channels.  0 or -1
 * (RELAYTAB_SERVERS_MAX servers already). */
int relaytab_server(struct relaytab *t, const struct ipc_addr *server, int add);
int relaytab_is_server(const struct relaytab *t, const struct ipc_addr *a);
/* Bind (bound 1, replacing) or unbind a channel.  0, RELAYTAB_EUNKNOWN,
 * RELAYTAB_EFULL (a new channel beyond RELAYTAB_CHANNELS_MAX) or
 * RELAYTAB_ENOMEM. */
int relaytab_channel(struct relaytab *t, const struct ipc_c2d_channel *ch);
const struct relay_chan *relaytab_lookup(const struct relaytab *t, const struct ipc_addr *server,
    uint16_t channel);

/*
 * Split a ChannelData message: channel number and payload (length field
 * checked against the datagram; UDP padding after it ignored).  0 or -1.
 */
int relaytab_decode(const uint8_t *p, size_t n, uint16_t *channel, const uint8_t **payload,
    size_t *len);

/* ChannelData header size: channel number and length, 2 bytes each. */
#define RELAYTAB_CD_HDR 4

/*
 * Build a ChannelData message of payload[0..len) on channel into out (cap
 * bytes; no padding: the gateway sends over UDP).  Returns its length
 * (len + RELAYTAB_CD_HDR), or -1 if the channel is outside 0x4000-0x4FFF,
 * len does not fit the 16-bit length field or out is too small.
 */
long relaytab_encode(uint16_t channel, const uint8_t *payload, size_t len, uint8_t *out,
    size_t cap);

#endif
