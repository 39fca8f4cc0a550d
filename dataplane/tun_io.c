/*
 * tun_io.c - the dataplane's I/O on the TUN device (opened by tun.c): the
 * read loop (each packet, cut from a TSO/USO train by tunoff, goes through
 * NAT-in and the inbound filter to its client's send path in wg_send.c),
 * and the writes of decrypted packets, held and joined per flow by tungro
 * until dp_tun_flush, which each UDP receive batch in udp.c ends with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dataplane.h"
#include "log.h"
#include "packet.h"
#include "tungro.h"
#include "tunoff.h"
#include "util.h"

/* Everything tun_io.c keeps between calls: allocated once (dp_tun_io_init). */
struct dp_tun_io {
	/* A TSO/USO packet is up to 64 KiB after its virtio-net header;
	 * segments are built in seg, with room for NAT46 growth. */
	uint8_t rbuf[TUNOFF_HDR_LEN + 65536];
	uint8_t seg[4096];
	uint8_t wseg[2048];	/* a joined packet the kernel refused, cut */
	struct tungro gro;	/* packets being joined (with virtio-net headers) */
};

int
dp_tun_io_init(struct dp *dp)
{
	if ((dp->tun_io = calloc(1, sizeof(*dp->tun_io))) == NULL)
		return -1;
	tungro_init(&dp->tun_io->gro);
	return 0;
}

void
dp_tun_io_free(struct dp *dp)
{
	free(dp->tun_io);
	dp->tun_io = NULL;
}

/* ---- reads: resource -> client ------------------------------------------- */

/* One complete packet read from the TUN (after segmentation, if any),
 * cap its buffer's size: to the client its destination belongs to. */
static void
to_client(void *arg, uint8_t *pkt, size_t n, size_t cap)
{
	struct dp *dp = arg;
	struct pkt_info pi;
	struct dp_peer *p;
	size_t len;
	uint64_t now;
	int xl;

	dp->ctr.tun_rx++;
	if (pkt_parse(pkt, n, &pi) != PKT_OK || pkt_l4_truncated(&pi)) {
		dp->ctr.tun_drop_malformed++;
		return;
	}
	if (!filter_tun_source_ok(&dp->gw, &pi.src)) {
		/* another client's tunnel address: no hairpin through the host */
		dp->ctr.tun_drop_no_peer++;
		return;
	}
	p = peers_by_tun(&dp->peers, pi.version, pi.dst.b);
	if (p == NULL) {
		dp->ctr.tun_drop_no_peer++;
		return;
	}
	len = pi.tot_len;
	now = util_now_ms();
	/* Replies of DNS-resource sessions go back to the proxy IP; a late
	 * reply to a session that went is not passed on untranslated. */
	if ((xl = nat_in(dp->nat, p->nat_slot, pkt, &len, cap, now)) < 0) {
		if (xl == PKT_E_EXPIRED)
			dp->ctr.tun_drop_inbound_denied++;
		else
			dp->ctr.tun_drop_malformed++;
		return;
	}
	if (xl > 0 && pkt_parse(pkt, len, &pi) != PKT_OK) {
		dp->ctr.tun_drop_malformed++;
		return;
	}
	/* Only what a grant of this client admits, by source (filter.h). */
	if (filter_check_inbound(p->filter, &dp->gw, &pi, (int64_t)time(NULL)) != PKT_OK) {
		dp->ctr.tun_drop_inbound_denied++;
		return;
	}
	dp_flow_to_client(dp, p, pkt, &pi, now);
	/* the inner packet's ECN bits go on the outer datagram (RFC 6040) */
	if (dp_wg_send_data(dp, p, pkt, len, pkt_ecn(&pi), now) < 0)
		dp->ctr.tun_drop_no_session++;
}

void
dp_tun_readable(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;
	uint8_t *buf = dp->tun_io->rbuf, *seg = dp->tun_io->seg;
	const size_t bufsz = sizeof(dp->tun_io->rbuf), segsz = sizeof(dp->tun_io->seg);
	struct tunoff_hdr h;
	size_t off;
	ssize_t n;
	int i;

	(void)what;
	dp_udp_batch_begin(dp);
	for (i = 0; i < 64; i++) {
		n = read(fd, buf, bufsz);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("tun: read");
			break;
		}
		if (!dp->tun_caps.vnet) {
			to_client(dp, buf, (size_t)n, bufsz);
			continue;
		}
		off = TUNOFF_HDR_LEN;
		if (tunoff_hdr_decode(buf, (size_t)n, &h) < 0 ||
		    tunoff_split(&h, buf + off, (size_t)n - off, bufsz - off, seg, segsz,
		    to_client, dp) < 0)
			dp->ctr.tun_drop_malformed++;
	}
	dp_udp_batch_end(dp);
}

/* ---- writes: client -> resource ------------------------------------------ */

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
		(void)tunoff_split(&h, pkt, len, len, dp->tun_io->wseg, sizeof(dp->tun_io->wseg),
		    write_segment, dp);
	return -1;
}

void
dp_tun_out(struct dp *dp, const uint8_t *pkt, size_t len)
{
	if (dp->tun_caps.vnet && tungro_add(&dp->tun_io->gro, pkt, len, emit, dp))
		return;
	if (tun_write(dp->tun_fd, &dp->tun_caps, pkt, len) < 0)
		log_debug("tun: write: %s", strerror(errno));
}

void
dp_tun_flush(struct dp *dp)
{
	/* Packets are joined only with virtio-net headers. */
	if (dp->tun_caps.vnet)
		tungro_flush(&dp->tun_io->gro, emit, dp);
}
