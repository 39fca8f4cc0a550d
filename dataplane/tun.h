/*
 * tun.h - the tun-firezone device (docs/protocol/dataplane.md §1.1).
 */
#ifndef FZ_TUN_H
#define FZ_TUN_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

#define TUN_NAME IPC_TUN_NAME
#define TUN_MTU 1280
/* Packets the kernel may queue toward the dataplane. */
#define TUN_TXQUEUELEN 5000

/* What the device was opened with (tun_open's out parameter). */
struct tun_caps {
	int vnet;             /* every packet carries a virtio-net header */
	unsigned int offload; /* TUN_F_* granted: checksum, TSO, USO */
};

/*
 * Open /dev/net/tun as TUN_NAME with IFF_TUN | IFF_NO_PI, non-blocking and
 * close-on-exec, and set its MTU.  With offload, they are asked for (IFF_VNET_HDR,
 * then checksum, TSO and USO, the latter two dropped where the kernel
 * lacks them; the device stays without them when it refuses all);
 * caps tells what was granted.  Returns the fd, or -1 with a reason in
 * why (errno kept).
 */
int tun_open(char *why, size_t whylen, int offload, struct tun_caps *caps);

/* Write one complete packet (with an all-zero virtio-net header when
 * caps->vnet).  The result of writev. */
long tun_write(int fd, const struct tun_caps *caps, const void *pkt, size_t len);

/* Write one packet after its virtio-net header (TUNOFF_HDR_LEN bytes). */
long tun_write_hdr(int fd, const uint8_t *hdr, const void *pkt, size_t len);

/* "checksum, TSO, USO" or "none", for the start-up log line. */
const char *tun_caps_str(const struct tun_caps *caps, char *buf, size_t len);

/* Interface index of TUN_NAME, or 0. */
unsigned int tun_ifindex(void);

#endif
