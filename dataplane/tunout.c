/*
 * tunout.c - the dataplane's writes to the TUN: packets decrypted in one
 * receive batch are offered to tungro, and each flow's joined packets
 * leave in one write when the batch ends (or sooner, see tungro.h).
 */
#include <errno.h>
#include <string.h>

#include "dataplane.h"
#include "log.h"
#include "tungro.h"
#include "tunoff.h"

static struct tungro gro;
static int gro_ready;


/* The kernel refused a joined packet: write its segments one by one. */
static void
write_segment(void *arg, uint8_t *pkt, size_t len, size_t cap)
{
	struct dp *dp = arg;

	(void)cap;
	if (tun_write(dp->tun_fd, &dp->tun_caps, pkt, len) < 0)
		log_debug("tun: write: %s", strerror(errno));
}

static int
emit(void *arg, const uint8_t hdr[TUNOFF_HDR_LEN], uint8_t *pkt, size_t len)
{
	static uint8_t scratch[2048];
	struct dp *dp = arg;
	struct tunoff_hdr h;

	if (tun_write_hdr(dp->tun_fd, hdr, pkt, len) >= 0)
		return 0;
	if (hdr[1] == TUNOFF_GSO_NONE || (errno != EINVAL && errno != EOPNOTSUPP)) {
		log_debug("tun: write: %s", strerror(errno));
		return 0;
	}
	log_info("tun: the kernel refuses joined %s packets (%s); writing them one by one",
	    hdr[1] == TUNOFF_GSO_UDP_L4 ? "UDP" : "TCP", strerror(errno));
	if (tunoff_hdr_decode(hdr, TUNOFF_HDR_LEN, &h) == 0)
		(void)tunoff_split(&h, pkt, len, len, scratch, sizeof(scratch), write_segment, dp);
	return -1;
}

void
dp_tun_out(struct dp *dp, const uint8_t *pkt, size_t len)
{
	if (dp->tun_caps.vnet) {
		if (!gro_ready) {
			tungro_init(&gro);
			gro_ready = 1;
		}
		if (tungro_add(&gro, pkt, len, emit, dp))
			return;
	}
	if (tun_write(dp->tun_fd, &dp->tun_caps, pkt, len) < 0)
		log_debug("tun: write: %s", strerror(errno));
}

void
dp_tun_flush(struct dp *dp)
{
	if (gro_ready)
		tungro_flush(&gro, emit, dp);
}
