/*
 * ice_cand.c - ICE candidate strings, priorities and foundations.
 */
#include "ice_cand.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS	32

static const char *const type_names[] = {
	[ICE_CAND_HOST] = "host",
	[ICE_CAND_SRFLX] = "srflx",
	[ICE_CAND_PRFLX] = "prflx",
	[ICE_CAND_RELAY] = "relay",
};

const char *
ice_cand_type_name(enum ice_cand_type type)
{
	if ((unsigned)type > ICE_CAND_RELAY)
		return NULL;
	return type_names[type];
}

uint32_t
ice_cand_type_pref(enum ice_cand_type type)
{
	switch (type) {
	case ICE_CAND_HOST:
		return ICE_TYPE_PREF_HOST;
	case ICE_CAND_SRFLX:
		return ICE_TYPE_PREF_SRFLX;
	case ICE_CAND_PRFLX:
		return ICE_TYPE_PREF_PRFLX;
	case ICE_CAND_RELAY:
		return ICE_TYPE_PREF_RELAY;
	}
	return 0;
}

uint32_t
ice_cand_priority_calc(uint32_t type_pref, uint32_t local_pref, uint32_t component)
{
	return ((type_pref & 0xffu) << 24) | ((local_pref & 0xffffu) << 8) |
	    ((256u - (component & 0xffu)) & 0xffu);
}

uint32_t
ice_cand_priority(enum ice_cand_type type, int family)
{
	return ice_cand_priority_calc(ice_cand_type_pref(type),
	    family == 6 ? 65535u : 65534u, 1);
}

int
ice_cand_addr_equal(const struct ipc_addr *a, const struct ipc_addr *b)
{
	size_t n;

	if (a->family != b->family || a->port != b->port)
		return 0;
	n = a->family == 6 ? 16 : 4;
	return memcmp(a->addr, b->addr, n) == 0;
}

static uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

void
ice_cand_foundation(enum ice_cand_type type, const struct ipc_addr *base,
    const struct ipc_addr *related, char *out)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t prio, sw;
	const char *name = ice_cand_type_name(type);

	if (name == NULL)
		name = "";
	prio = ice_cand_priority(type, base->family);
	sw = ((prio & 0xffu) << 24) | ((prio & 0xff00u) << 8) |
	    ((prio >> 8) & 0xff00u) | (prio >> 24);
	h = fnv1a(h, name, strlen(name));
	h = fnv1a(h, base->addr, base->family == 6 ? 16 : 4);
	if (related != NULL)
		h = fnv1a(h, related->addr, related->family == 6 ? 16 : 4);
	h = fnv1a(h, "udp", 3);
	snprintf(out, ICE_FOUNDATION_MAX + 1, "%08x%016llx", (unsigned)sw,
	    (unsigned long long)h);
}

int
ice_cand_make_local(struct ice_cand *c, enum ice_cand_type type,
    const struct ipc_addr *addr)
{
	if (c == NULL || addr == NULL || (addr->family != 4 && addr->family != 6) ||
	    addr->port == 0 || (type != ICE_CAND_HOST && type != ICE_CAND_SRFLX &&
	    type != ICE_CAND_RELAY))
		return ICE_EINVAL;
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->addr = *addr;
	c->addr.pad = 0;
	c->priority = ice_cand_priority(type, addr->family);
	c->component = 1;
	c->udp = 1;
	ice_cand_foundation(type, addr, NULL, c->foundation);
	return ICE_OK;
}

int
ice_cand_same(const struct ice_cand *a, const struct ice_cand *b)
{
	if (a->type != b->type || !ice_cand_addr_equal(&a->addr, &b->addr))
		return 0;
	if (a->has_raddr != b->has_raddr)
		return 0;
	if (a->has_raddr && !ice_cand_addr_equal(&a->raddr, &b->raddr))
		return 0;
	return 1;
}

/* ---- parsing ------------------------------------------------------------ */

struct tok {
	const char *p;
	size_t n;
};

static int
tok_eq(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->n == n && memcmp(t->p, s, n) == 0;
}

static int
tok_eq_nocase(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->n == n && strncasecmp(t->p, s, n) == 0;
}

static int
is_ice_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Decimal without sign or leading junk, at most maxdigits, value <= max. */
static int
tok_u32(const struct tok *t, unsigned maxdigits, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (t->n == 0 || t->n > maxdigits)
		return -1;
	for (i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
tok_ip(const struct tok *t, struct ipc_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (t->n == 0 || t->n >= sizeof(buf))
		return ICE_EADDR;
	memcpy(buf, t->p, t->n);
	buf[t->n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = 4;
		return ICE_OK;
	}
	if (memchr(buf, ':', t->n) != NULL && inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = 6;
		return ICE_OK;
	}
	return ICE_EADDR;
}

static int
tok_port(const struct tok *t, uint16_t *port)
{
	uint32_t v;

	if (tok_u32(t, 5, 65535, &v) != 0)
		return ICE_EPARSE;
	if (v == 0)
		return ICE_EADDR;
	*port = (uint16_t)v;
	return ICE_OK;
}

int
ice_cand_parse(const char *s, size_t len, struct ice_cand *out)
{
	struct tok t[MAX_TOKENS];
	size_t i, nt = 0, k;
	uint32_t v;
	int rc, seen_raddr = 0;

	if (s == NULL || out == NULL)
		return ICE_EINVAL;
	memset(out, 0, sizeof(*out));
	if (len > ICE_CAND_STR_MAX)
		return ICE_ETOOLONG;
	if (len >= 2 && s[0] == 'a' && s[1] == '=') {
		s += 2;
		len -= 2;
	}
	if (len < 10 || memcmp(s, "candidate:", 10) != 0)
		return ICE_EPARSE;
	s += 10;
	len -= 10;

	/* Split on single spaces; printable ASCII only. */
	i = 0;
	while (i < len) {
		size_t start = i;

		while (i < len && s[i] != ' ') {
			if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
				return ICE_EPARSE;
			i++;
		}
		if (i == start)
			return ICE_EPARSE;	/* empty token: double or edge space */
		if (nt == MAX_TOKENS)
			return ICE_ETOOLONG;
		t[nt].p = s + start;
		t[nt].n = i - start;
		nt++;
		if (i < len) {
			i++;
			if (i == len)
				return ICE_EPARSE;	/* trailing space */
		}
	}
	if (nt < 8)
		return ICE_EPARSE;

	/* foundation */
	if (t[0].n == 0)
		return ICE_EPARSE;
	if (t[0].n > ICE_FOUNDATION_MAX)
		return ICE_ETOOLONG;
	for (k = 0; k < t[0].n; k++)
		if (!is_ice_char(t[0].p[k]))
			return ICE_EPARSE;
	memcpy(out->foundation, t[0].p, t[0].n);
	out->foundation[t[0].n] = '\0';

	/* component-id (RFC 8839: 1*5DIGIT), transport, priority */
	if (tok_u32(&t[1], 5, 65535, &out->component) != 0 || out->component == 0)
		return ICE_EPARSE;
	if (t[2].n == 0 || t[2].n > 16)
		return ICE_EPARSE;
	for (k = 0; k < t[2].n; k++)
		if (!is_ice_char(t[2].p[k]) || t[2].p[k] == '/' || t[2].p[k] == '+')
			return ICE_EPARSE;
	out->udp = tok_eq_nocase(&t[2], "udp");
	if (tok_u32(&t[3], 10, UINT32_MAX, &out->priority) != 0 || out->priority == 0)
		return ICE_EPARSE;

	if ((rc = tok_ip(&t[4], &out->addr)) != ICE_OK)
		return rc;
	if ((rc = tok_port(&t[5], &out->addr.port)) != ICE_OK)
		return rc;

	if (!tok_eq(&t[6], "typ"))
		return ICE_EPARSE;
	if (tok_eq(&t[7], "host"))
		out->type = ICE_CAND_HOST;
	else if (tok_eq(&t[7], "srflx"))
		out->type = ICE_CAND_SRFLX;
	else if (tok_eq(&t[7], "prflx"))
		out->type = ICE_CAND_PRFLX;
	else if (tok_eq(&t[7], "relay"))
		out->type = ICE_CAND_RELAY;
	else
		return ICE_ETYPE;

	/* Extensions: name value pairs. */
	for (i = 8; i < nt; i += 2) {
		const struct tok *name = &t[i], *val;

		if (i + 1 >= nt)
			return ICE_EPARSE;
		val = &t[i + 1];
		if (tok_eq(name, "raddr")) {
			if (seen_raddr || i + 3 >= nt || !tok_eq(&t[i + 2], "rport"))
				return ICE_EPARSE;
			if ((rc = tok_ip(val, &out->raddr)) != ICE_OK)
				return rc;
			/* rport 0 is legal for related addresses (RFC 8839). */
			if (tok_u32(&t[i + 3], 5, 65535, &v) != 0)
				return ICE_EPARSE;
			out->raddr.port = (uint16_t)v;
			out->has_raddr = 1;
			seen_raddr = 1;
			i += 2;
		} else if (tok_eq(name, "rport")) {
			return ICE_EPARSE;	/* rport without raddr */
		} else if (tok_eq(name, "ufrag")) {
			if (out->has_ufrag)
				return ICE_EPARSE;
			if (val->n > ICE_UFRAG_MAX)
				return ICE_ETOOLONG;
			for (k = 0; k < val->n; k++)
				if (!is_ice_char(val->p[k]))
					return ICE_EPARSE;
			memcpy(out->ufrag, val->p, val->n);
			out->ufrag[val->n] = '\0';
			out->has_ufrag = 1;
		} else if (tok_eq(name, "generation") || tok_eq(name, "network-id") ||
		    tok_eq(name, "network-cost")) {
			if (tok_u32(val, 10, UINT32_MAX, &v) != 0)
				return ICE_EPARSE;
		} else {
			/* tcptype and other extension-att-name/value pairs */
			if (name->n > 64 || val->n > 256)
				return ICE_ETOOLONG;
		}
	}
	return ICE_OK;
}

/* ---- formatting --------------------------------------------------------- */

static int
fmt_ip(const struct ipc_addr *a, char *buf, size_t cap)
{
	if (a->family == 4)
		return inet_ntop(AF_INET, a->addr, buf, (socklen_t)cap) ? 0 : -1;
	if (a->family == 6)
		return inet_ntop(AF_INET6, a->addr, buf, (socklen_t)cap) ? 0 : -1;
	return -1;
}

int
ice_cand_format(const struct ice_cand *c, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN], rip[INET6_ADDRSTRLEN];
	const char *tn;
	size_t flen;
	int n;

	if (c == NULL || buf == NULL || cap == 0)
		return ICE_EINVAL;
	tn = ice_cand_type_name(c->type);
	flen = strnlen(c->foundation, sizeof(c->foundation));
	if (tn == NULL || flen == 0 || flen > ICE_FOUNDATION_MAX ||
	    fmt_ip(&c->addr, ip, sizeof(ip)) != 0)
		return ICE_EINVAL;
	n = snprintf(buf, cap, "candidate:%s %u %s %u %s %u typ %s",
	    c->foundation, (unsigned)c->component, c->udp ? "udp" : "tcp",
	    (unsigned)c->priority, ip, (unsigned)c->addr.port, tn);
	if (n < 0 || (size_t)n >= cap)
		return ICE_ENOSPACE;
	if (c->has_raddr) {
		int m;

		if (fmt_ip(&c->raddr, rip, sizeof(rip)) != 0)
			return ICE_EINVAL;
		m = snprintf(buf + n, cap - (size_t)n, " raddr %s rport %u", rip,
		    (unsigned)c->raddr.port);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return ICE_ENOSPACE;
		n += m;
	}
	if (c->has_ufrag) {
		int m = snprintf(buf + n, cap - (size_t)n, " ufrag %s", c->ufrag);

		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return ICE_ENOSPACE;
		n += m;
	}
	if (n > ICE_CAND_STR_MAX)
		return ICE_ENOSPACE;
	return n;
}
