/*
 * fuzz_ice_cand.c - libFuzzer target for control/ice_cand.c: candidate
 * strings parsed, formatted and parsed again.
 *
 * The whole input is a candidate string (no NUL).  Checks: the parser
 * returns one of its documented codes and fills nothing on failure beyond
 * a zeroed candidate; anything that parses formats to exactly what an
 * independent formatter in this file writes (unless that exceeds
 * ICE_CAND_STR_MAX, then ICE_ENOSPACE), re-parses to the same candidate
 * and formats again to the same string (a fixed point); a buffer one
 * byte short gives ICE_ENOSPACE; ice_cand_same and ice_cand_addr_equal
 * hold between the two parses.  The parsed address also goes through
 * ice_cand_make_local (our own candidates) and that candidate round-trips
 * with the signalled priority and a 24-hex-digit foundation.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice_cand.h"

static int
ref_ip(const struct ipc_addr *a, char *buf)
{
	return inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, buf,
	    INET6_ADDRSTRLEN) != NULL ? 0 : -1;
}

/* Independent formatter: section 2.4 form, into a large buffer. */
static int
ref_format(const struct ice_cand *c, char *buf, size_t cap)
{
	static const char *const names[] = { "host", "srflx", "prflx", "relay" };
	char ip[INET6_ADDRSTRLEN], rip[INET6_ADDRSTRLEN];
	int n;

	if (ref_ip(&c->addr, ip) != 0)
		abort();
	n = snprintf(buf, cap, "candidate:%s %u %s %u %s %u typ %s", c->foundation,
	    (unsigned)c->component, c->udp ? "udp" : "tcp", (unsigned)c->priority, ip,
	    (unsigned)c->addr.port, names[c->type]);
	if (c->has_raddr) {
		if (ref_ip(&c->raddr, rip) != 0)
			abort();
		n += snprintf(buf + n, cap - (size_t)n, " raddr %s rport %u", rip,
		    (unsigned)c->raddr.port);
	}
	if (c->has_ufrag)
		n += snprintf(buf + n, cap - (size_t)n, " ufrag %s", c->ufrag);
	return n;
}

static int
addr_eq(const struct ipc_addr *a, const struct ipc_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == 6 ? 16 : 4) == 0;
}

static void
same_cand(const struct ice_cand *a, const struct ice_cand *b)
{
	if (a->type != b->type || a->priority != b->priority || a->component != b->component ||
	    a->udp != b->udp || a->has_raddr != b->has_raddr || a->has_ufrag != b->has_ufrag ||
	    !addr_eq(&a->addr, &b->addr) || strcmp(a->foundation, b->foundation) != 0)
		abort();
	if (a->has_raddr && !addr_eq(&a->raddr, &b->raddr))
		abort();
	if (a->has_ufrag && strcmp(a->ufrag, b->ufrag) != 0)
		abort();
	if (!ice_cand_same(a, b) || !ice_cand_same(b, a) || !ice_cand_addr_equal(&a->addr, &b->addr))
		abort();
}

static void
check_parsed(const struct ice_cand *c)
{
	static char ref[4096], out[4096], out2[4096];
	struct ice_cand c2;
	int n, m, rc;
	size_t k;

	if ((unsigned)c->type > ICE_CAND_RELAY || ice_cand_type_name(c->type) == NULL)
		abort();
	if (c->addr.family != 4 && c->addr.family != 6)
		abort();
	if (c->addr.port == 0 || c->priority == 0 || c->component == 0 || c->component > 65535)
		abort();
	if (c->udp > 1 || c->has_raddr > 1 || c->has_ufrag > 1)
		abort();
	if (c->has_raddr && c->raddr.family != 4 && c->raddr.family != 6)
		abort();
	k = strnlen(c->foundation, sizeof(c->foundation));
	if (k == 0 || k > ICE_FOUNDATION_MAX)
		abort();
	if (!c->has_ufrag && c->ufrag[0] != '\0')
		abort();
	if (strnlen(c->ufrag, sizeof(c->ufrag)) > ICE_UFRAG_MAX)
		abort();

	n = ref_format(c, ref, sizeof(ref));
	rc = ice_cand_format(c, out, sizeof(out));
	if (n > ICE_CAND_STR_MAX) {
		if (rc != ICE_ENOSPACE)
			abort();
		return;
	}
	if (rc != n || strcmp(out, ref) != 0)
		abort();
	/* exactly n + 1 bytes fit, n do not */
	if (ice_cand_format(c, out2, (size_t)n + 1) != n || strcmp(out2, ref) != 0)
		abort();
	if (ice_cand_format(c, out2, (size_t)n) != ICE_ENOSPACE)
		abort();

	/* re-parse from a buffer of exactly the string's size */
	{
		char *p = malloc((size_t)n);

		if (p == NULL)
			abort();
		memcpy(p, out, (size_t)n);
		rc = ice_cand_parse(p, (size_t)n, &c2);
		free(p);
	}
	if (rc != ICE_OK)
		abort();
	same_cand(c, &c2);
	m = ice_cand_format(&c2, out2, sizeof(out2));
	if (m != n || strcmp(out, out2) != 0)
		abort();
}

static void
check_local(const struct ipc_addr *addr)
{
	static const enum ice_cand_type types[] = { ICE_CAND_HOST, ICE_CAND_SRFLX, ICE_CAND_RELAY };
	char s[ICE_CAND_STR_MAX + 1];
	struct ice_cand c, c2;
	size_t i, k;
	int n;

	if (ice_cand_make_local(&c, ICE_CAND_PRFLX, addr) != ICE_EINVAL)
		abort();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (ice_cand_make_local(&c, types[i], addr) != ICE_OK)
			abort();
		if (c.priority != ice_cand_priority(types[i], addr->family) || c.component != 1 ||
		    !c.udp || c.has_raddr || c.has_ufrag || c.addr.pad != 0)
			abort();
		if (strlen(c.foundation) != 24)
			abort();
		for (k = 0; k < 24; k++)
			if (!((c.foundation[k] >= '0' && c.foundation[k] <= '9') ||
			    (c.foundation[k] >= 'a' && c.foundation[k] <= 'f')))
				abort();
		if ((n = ice_cand_format(&c, s, sizeof(s))) < 0)
			abort();
		if (ice_cand_parse(s, (size_t)n, &c2) != ICE_OK)
			abort();
		same_cand(&c, &c2);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_cand c;
	char *p = malloc(size > 0 ? size : 1);
	int rc;

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	rc = ice_cand_parse(p, size, &c);
	free(p);
	switch (rc) {
	case ICE_OK:
		check_parsed(&c);
		check_local(&c.addr);
		break;
	case ICE_ETOOLONG:
	case ICE_EPARSE:
	case ICE_EADDR:
	case ICE_ETYPE:
		break;
	default:
		abort();
	}
	return 0;
}
