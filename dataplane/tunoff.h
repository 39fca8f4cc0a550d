/*
 * tunoff.h - the TUN device's offloads (IFF_VNET_HDR), sans-IO.
 *
 * With offloads on, every packet crossing the TUN carries a 10-byte
 * virtio-net header.  Toward the dataplane the kernel may hand over a TCP
 * (TSO) or UDP (USO) packet of up to 64 KiB to be cut into segments, and
 * packets whose transport checksum is still to be completed; the
 * dataplane cuts and completes them here, then encrypts each segment as
 * an ordinary packet.  Toward the kernel we write an all-zero header:
 * complete packets, nothing left to do.
 */
#ifndef FZ_TUNOFF_H
#define FZ_TUNOFF_H

#include <stddef.h>
#include <stdint.h>

#define TUNOFF_HDR_LEN 10

/* virtio-net header fields (little-endian on the wire, host order here). */
#define TUNOFF_F_NEEDS_CSUM 1u
#define TUNOFF_GSO_NONE  0u
#define TUNOFF_GSO_TCPV4 1u
#define TUNOFF_GSO_UDP   3u   /* UFO (IPv4 fragmentation): refused */
#define TUNOFF_GSO_TCPV6 4u
#define TUNOFF_GSO_UDP_L4 5u  /* USO: one UDP datagram per segment */
#define TUNOFF_GSO_ECN   0x80u

struct tunoff_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/* Decode the header at p (n >= TUNOFF_HDR_LEN).  0, or -1 if too short. */
int tunoff_hdr_decode(const uint8_t *p, size_t n, struct tunoff_hdr *h);
/* Encode h into the TUNOFF_HDR_LEN bytes at p. */
void tunoff_hdr_encode(const struct tunoff_hdr *h, uint8_t *p);

/* Called once per resulting packet: pkt (len bytes) may be modified in
 * place, with room for cap bytes (NAT46 grows packets). */
typedef void (*tunoff_fn)(void *ctx, uint8_t *pkt, size_t len, size_t cap);

/*
 * Turn one packet read from the TUN (after its header h) into complete
 * packets: as is (no offload), with its checksum completed, or cut into
 * segments of h->gso_size payload bytes built in scratch (scap bytes, at
 * least 64 more than the largest segment) and handed to fn one by one.
 * pkt has room for cap bytes.  Returns the number of packets handed over,
 * or -1 (nothing handed over) for a header or packet that does not add
 * up: unknown GSO type, offsets outside the packet, zero segment size.
 */
int tunoff_split(const struct tunoff_hdr *h, uint8_t *pkt, size_t n, size_t cap,
    uint8_t *scratch, size_t scap, tunoff_fn fn, void *ctx);

#endif
