/*
 * fuzz_tungro.c - libFuzzer target for dataplane/tungro.c: a sequence of
 * packets (each: 2-byte big-endian length, then the bytes) offered as one
 * receive batch, then flushed.
 *
 * Checks: every joined packet the module writes is cut back by tunoff
 * into packets, and the packets written (joined ones cut back, plus those
 * handed back to be written directly) are, byte for byte, exactly the
 * offered ones whose flow tungro accepted, with nothing lost or invented:
 * every packet comes out once (an IPv4 datagram with DF set may have a
 * new identification, RFC 6864), and no IPv4 TCP/UDP packet comes out
 * before an earlier one with the same addresses and ports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "tungro.h"
#include "tunoff.h"

#define MAXP 256

static struct tungro g;
static const uint8_t *inp[MAXP];
static size_t inn[MAXP];
static int nin;
static int seen[MAXP];
static int nout;

/* A flow key for the order check: IPv4 addresses, protocol and, when
 * the packet has them, the ports; 0 for anything else (not checked). */
static uint64_t
flow_key(const uint8_t *p, size_t n)
{
	uint64_t k = 0;
	size_t i;

	if (n < 24 || p[0] != 0x45 || (p[9] != PKT_PROTO_TCP && p[9] != PKT_PROTO_UDP) ||
	    (pkt_get16(p + 6) & 0x1fff) != 0)
		return 0;
	for (i = 12; i < 24; i++)
		k = k * 1099511628211ull + p[i];
	return k * 31 + p[9] + 1;
}

/* Equal, except the identification and header checksum of an IPv4
 * datagram with DF set, which the kernel may renumber (RFC 6864). */
static int
same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n >= 20 && a[0] == 0x45 && (a[6] & 0x40) && (b[6] & 0x40))
		return memcmp(a, b, 4) == 0 && memcmp(a + 6, b + 6, 4) == 0 &&
		    memcmp(a + 12, b + 12, n - 12) == 0;
	return memcmp(a, b, n) == 0;
}

/* Find the first offered packet equal to p not yet seen; every earlier
 * packet of its flow must already have come out. */
static void
match(const uint8_t *p, size_t n)
{
	uint64_t k;
	int i, j;

	for (i = 0; i < nin; i++)
		if (!seen[i] && inn[i] == n && same_bytes(inp[i], p, n)) {
			k = flow_key(p, n);
			for (j = 0; k != 0 && j < i; j++)
				if (!seen[j] && flow_key(inp[j], inn[j]) == k)
					abort(); /* overtook an earlier packet of its flow */
			seen[i] = 1;
			nout++;
			return;
		}
	abort(); /* a packet that never went in */
}

static void
cut(void *ctx, uint8_t *pkt, size_t len, size_t cap)
{
	(void)ctx;
	(void)cap;
	match(pkt, len);
}

static int
emit(void *ctx, const uint8_t hdr[TUNOFF_HDR_LEN], uint8_t *pkt, size_t len)
{
	static uint8_t scratch[2048];
	struct tunoff_hdr h;

	(void)ctx;
	if (tunoff_hdr_decode(hdr, TUNOFF_HDR_LEN, &h) < 0)
		abort();
	if (tunoff_split(&h, pkt, len, len, scratch, sizeof(scratch), cut, NULL) < 1)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[MAXP][1600];
	size_t off = 0, n;

	tungro_init(&g);
	nin = nout = 0;
	memset(seen, 0, sizeof(seen));
	while (off + 2 <= size && nin < MAXP) {
		n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		if (n > sizeof(copy[0]))
			n = sizeof(copy[0]);
		memcpy(copy[nin], data + off, n);
		inp[nin] = copy[nin];
		inn[nin] = n;
		off += n;
		nin++;
		if (tungro_add(&g, copy[nin - 1], n, emit, NULL) == 0)
			match(copy[nin - 1], n);
	}
	tungro_flush(&g, emit, NULL);
	if (nout != nin)
		abort(); /* something held was never written */
	return 0;
}
