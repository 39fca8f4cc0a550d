/*
 * fuzz_tunoff.c - libFuzzer target for dataplane/tunoff.c: a packet read
 * from the TUN with its virtio-net header (the first 10 bytes of the
 * input), as the kernel would hand it over with offloads on.
 *
 * Checks: every packet handed over fits its buffer and parses as IPv4 or
 * IPv6 when it is a cut segment; segments never exceed the header's
 * segment size plus headers; the count returned is the count handed over.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "tunoff.h"

struct seen {
	int n;
	size_t max_seg;
	int cut;
};

static void
got(void *ctx, uint8_t *pkt, size_t len, size_t cap)
{
	struct seen *s = ctx;
	struct pkt_info pi;

	if (len > cap)
		abort();
	if (s->cut && (len > s->max_seg || pkt_parse(pkt, len, &pi) != PKT_OK))
		abort();
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[65536], scratch[2048];
	struct tunoff_hdr h;
	struct seen s;
	size_t n;
	int r;

	if (tunoff_hdr_decode(data, size, &h) < 0)
		return 0;
	n = size - TUNOFF_HDR_LEN;
	if (n > sizeof(pkt))
		return 0;
	memcpy(pkt, data + TUNOFF_HDR_LEN, n);
	memset(&s, 0, sizeof(s));
	s.cut = (h.gso_type & ~TUNOFF_GSO_ECN) != TUNOFF_GSO_NONE;
	s.max_seg = 60 + 60 + (size_t)h.gso_size;
	r = tunoff_split(&h, pkt, n, sizeof(pkt), scratch, sizeof(scratch), got, &s);
	if ((r < 0 ? 0 : r) != s.n)
		abort();
	return 0;
}
