/*
 * fuzz_icmp_gen.c - libFuzzer target for dataplane/icmp_gen.c: the
 * "administratively prohibited" reply to an arbitrary denied packet.
 *
 * Byte 0 picks the output capacity: 0 gives the family's maximum size,
 * otherwise a short buffer of that many bytes.  The rest is the packet.
 * A reply must fit, parse, carry valid checksums, be the right ICMP error
 * from the packet's destination to its source, and never be answered in
 * turn (an error about an error).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_pkt_common.c"
#include "icmp_gen.h"
#include "log.h"
#include "packet.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info in, pi;
	uint8_t *pkt, *out, again[ICMP_GEN_MAX_V6];
	size_t cap;
	int rc, in_ok;

	if (size < 1)
		return 0;
	cap = data[0] == 0 ? ICMP_GEN_MAX_V6 : data[0];
	data++;
	size--;
	pkt = malloc(size > 0 ? size : 1);
	out = malloc(cap);
	if (pkt == NULL || out == NULL)
		abort();
	memcpy(pkt, data, size);
	in_ok = pkt_parse(pkt, size, &in) == PKT_OK;
	rc = icmp_gen_prohibited(pkt, size, out, cap);
	if (rc > 0) {
		if (!in_ok || (size_t)rc > cap)
			abort();
		if (pkt_parse(out, (size_t)rc, &pi) != PKT_OK)
			abort();
		fuzz_pkt_info_check(&pi, (size_t)rc);
		if (pi.tot_len != (size_t)rc || !fuzz_pkt_csum_ok(out, &pi) || !pi.is_icmp_err)
			abort();
		if (pi.version != in.version || !pkt_addr_eq(&pi.src, &in.dst) ||
		    !pkt_addr_eq(&pi.dst, &in.src) || pi.ttl != ICMP_GEN_TTL)
			abort();
		if (pi.version == 4 ? (rc > ICMP_GEN_MAX_V4 || pi.icmp_type != 3 || pi.icmp_code != 13) :
		    (rc > ICMP_GEN_MAX_V6 || pi.icmp_type != 1 || pi.icmp_code != 1))
			abort();
		if (icmp_gen_prohibited(out, (size_t)rc, again, sizeof(again)) != 0)
			abort();
		/* IPv4 quotes the header and 8 bytes; IPv6 as much as fits */
		if (in.version == 4 && (size_t)rc - 28 != (in.tot_len < in.l3_len + 8u ?
		    in.tot_len : in.l3_len + 8u))
			abort();
		if (in.version == 6 && (size_t)rc - 48 != (in.tot_len < ICMP_GEN_MAX_V6 - 48u ?
		    in.tot_len : ICMP_GEN_MAX_V6 - 48u))
			abort();
	} else if (rc < 0 && pkt_strerror(rc) == NULL) {
		abort();
	}
	free(out);
	free(pkt);
	return 0;
}
