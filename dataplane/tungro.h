/*
 * tungro.h - join consecutive TCP segments and UDP datagrams of one flow
 * into one packet for the TUN (the reverse of tunoff), sans-IO.
 *
 * Packets decrypted in one receive batch are offered here before they are
 * written.  Consecutive ones of the same flow that the kernel can cut
 * again exactly as they were (TCP: contiguous sequence, same ACK, window
 * and options, plain ACK flags; UDP: same ports; IPv4 identification
 * counting up by one unless DF is set (RFC 6864); transport checksums as
 * the kernel would compute them; all of one size but the last) are held and leave as one write with a virtio-net header asking
 * for segmentation (TSO, USO) and checksums: one trip through the
 * kernel's forwarding path instead of one per packet.  Packets of a flow
 * never change order: anything that cannot join a held flow makes it
 * leave first.
 */
#ifndef FZ_TUNGRO_H
#define FZ_TUNGRO_H

#include <stddef.h>
#include <stdint.h>

#include "tunoff.h"

#define TUNGRO_SLOTS 8
#define TUNGRO_MAX_SEGS 64
#define TUNGRO_MAX_LEN 65535

struct tungro_slot {
	int used;
	int closed;            /* a shorter or PSH segment ended it */
	uint8_t version, proto;
	uint16_t l3, l4h;      /* header lengths */
	uint16_t mss;          /* payload of each segment but the last */
	uint16_t nseg;
	uint32_t next_seq;     /* TCP: sequence number of the next segment */
	size_t len;
	uint8_t buf[TUNGRO_MAX_LEN];
};

struct tungro {
	int no_tcp, no_udp;    /* the kernel refused that kind: never join it */
	unsigned int next;     /* slot to give up when all are used */
	struct tungro_slot slot[TUNGRO_SLOTS];
};

/*
 * Write one packet: hdr is its virtio-net header (all zero: a plain
 * packet), gso_type tells what it asks for.  Returns 0, or -1 if the
 * kernel refused it (tungro then stops joining that kind and the caller
 * is expected to have written the packet's segments another way).
 */
typedef int (*tungro_emit_fn)(void *ctx, const uint8_t hdr[TUNOFF_HDR_LEN], uint8_t *pkt,
    size_t len);

void tungro_init(struct tungro *g);

/*
 * Offer a complete, checksummed IP packet.  Returns 1 if it is held (the
 * bytes are copied), 0 if the caller must write it now itself; held
 * packets of its flow have then been written (through emit) first.
 */
int tungro_add(struct tungro *g, const uint8_t *pkt, size_t len, tungro_emit_fn emit, void *ctx);

/* Write every held flow (end of a receive batch). */
void tungro_flush(struct tungro *g, tungro_emit_fn emit, void *ctx);

#endif
