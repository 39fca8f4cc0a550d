/*
 * dnsfwd.c - the sans-IO core of the DNS forwarder on port 53535: message
 * checks, SERVFAIL, truncation, resolv.conf (see dnsfwd.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dnsfwd.h"

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Copy the uncompressed name at m[*off] into q and move *off past it. */
static enum dnsfwd_err
read_qname(const uint8_t *m, size_t len, size_t *off, struct dnsfwd_question *q)
{
	size_t o = *off, n = 0;
	uint8_t l;

	for (;;) {
		if (o >= len)
			return DNSFWD_ESHORT;
		l = m[o];
		if (l > 63)
			return DNSFWD_ENAME; /* a pointer, or a reserved label type */
		if (n + 1 + l > DNSFWD_NAME_MAX)
			return DNSFWD_ENAME;
		if (l > len - o - 1)
			return DNSFWD_ESHORT;
		memcpy(q->name + n, m + o, (size_t)l + 1);
		n += (size_t)l + 1;
		o += (size_t)l + 1;
		if (l == 0)
			break;
	}
	q->name_len = n;
	*off = o;
	return DNSFWD_OK;
}

/* Move *off past the possibly compressed name at m[*off]. */
static enum dnsfwd_err
skip_name(const uint8_t *m, size_t len, size_t *off)
{
	size_t o = *off, n = 0;
	uint8_t l;

	for (;;) {
		if (o >= len)
			return DNSFWD_ESHORT;
		l = m[o];
		if ((l & 0xC0) == 0xC0) {
			if (len - o < 2)
				return DNSFWD_ESHORT;
			o += 2;
			break;
		}
		if (l > 63)
			return DNSFWD_ENAME;
		if (n + 1 + l > DNSFWD_NAME_MAX)
			return DNSFWD_ENAME;
		if (l > len - o - 1)
			return DNSFWD_ESHORT;
		n += (size_t)l + 1;
		o += (size_t)l + 1;
		if (l == 0)
			break;
	}
	*off = o;
	return DNSFWD_OK;
}

/* Move *off past one resource record. */
static enum dnsfwd_err
skip_rr(const uint8_t *m, size_t len, size_t *off)
{
	enum dnsfwd_err e;
	size_t o = *off;
	uint16_t rdlen;

	if ((e = skip_name(m, len, &o)) != DNSFWD_OK)
		return e;
	if (len - o < 10) /* type, class, ttl, rdlength */
		return DNSFWD_ESHORT;
	rdlen = get16(m + o + 8);
	o += 10;
	if (rdlen > len - o)
		return DNSFWD_ESHORT;
	*off = o + rdlen;
	return DNSFWD_OK;
}

/* Header and question (qdcount 0 or 1) of a message of either kind. */
static enum dnsfwd_err
parse_head(const uint8_t *m, size_t len, struct dnsfwd_question *q, uint16_t *qdcount)
{
	enum dnsfwd_err e;
	size_t o = DNSFWD_HDR_LEN;

	memset(q, 0, sizeof(*q));
	if (len < DNSFWD_HDR_LEN)
		return DNSFWD_ESHORT;
	if (len > DNSFWD_MSG_MAX)
		return DNSFWD_ELONG;
	q->id = get16(m);
	q->flags = get16(m + 2);
	*qdcount = get16(m + 4);
	if (*qdcount > 1)
		return DNSFWD_EQDCOUNT;
	if (*qdcount == 1) {
		if ((e = read_qname(m, len, &o, q)) != DNSFWD_OK)
			return e;
		if (len - o < 4)
			return DNSFWD_ESHORT;
		q->qtype = get16(m + o);
		q->qclass = get16(m + o + 2);
		o += 4;
		q->present = 1;
	}
	q->end = o;
	return DNSFWD_OK;
}

enum dnsfwd_err
dnsfwd_parse_query(const uint8_t *m, size_t len, struct dnsfwd_question *q)
{
	enum dnsfwd_err e;
	uint16_t qd;

	if (len > DNSFWD_QUERY_MAX) {
		memset(q, 0, sizeof(*q));
		return DNSFWD_ELONG;
	}
	if ((e = parse_head(m, len, q, &qd)) != DNSFWD_OK)
		return e;
	if (q->flags & DNSFWD_F_QR)
		return DNSFWD_EQR;
	if (qd != 1)
		return DNSFWD_EQDCOUNT;
	return DNSFWD_OK;
}

enum dnsfwd_err
dnsfwd_parse_answer(const uint8_t *m, size_t len, struct dnsfwd_question *q)
{
	enum dnsfwd_err e;
	uint16_t qd;
	uint32_t i, nrr;
	size_t o;

	if ((e = parse_head(m, len, q, &qd)) != DNSFWD_OK)
		return e;
	if (!(q->flags & DNSFWD_F_QR))
		return DNSFWD_EQR;
	nrr = (uint32_t)get16(m + 6) + get16(m + 8) + get16(m + 10);
	o = q->end;
	for (i = 0; i < nrr; i++)
		if ((e = skip_rr(m, len, &o)) != DNSFWD_OK)
			return e;
	return DNSFWD_OK;
}

static int
name_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;
	uint8_t x, y;

	/* Length bytes are at most 63, below 'A', so folding them is harmless. */
	for (i = 0; i < n; i++) {
		x = a[i] >= 'A' && a[i] <= 'Z' ? (uint8_t)(a[i] + 32) : a[i];
		y = b[i] >= 'A' && b[i] <= 'Z' ? (uint8_t)(b[i] + 32) : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

int
dnsfwd_matches(const struct dnsfwd_question *q, const struct dnsfwd_question *a)
{
	if (q->id != a->id)
		return 0;
	if (!a->present)
		return 1;
	return q->present && q->qtype == a->qtype && q->qclass == a->qclass &&
	    q->name_len == a->name_len && name_eq(q->name, a->name, q->name_len);
}

enum dnsfwd_err
dnsfwd_servfail(const uint8_t *m, const struct dnsfwd_question *q, uint8_t *out, size_t outlen,
    size_t *n)
{
	uint16_t flags;

	*n = 0;
	if (q->end < DNSFWD_HDR_LEN)
		return DNSFWD_ESHORT;
	if (outlen < q->end)
		return DNSFWD_ESPACE;
	flags = (uint16_t)(DNSFWD_F_QR | DNSFWD_F_RA | (q->flags & (DNSFWD_OPCODE_MASK | DNSFWD_F_RD)) |
	    DNSFWD_RCODE_SERVFAIL);
	put16(out, q->id);
	put16(out + 2, flags);
	put16(out + 4, q->present ? 1 : 0);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	memmove(out + DNSFWD_HDR_LEN, m + DNSFWD_HDR_LEN, q->end - DNSFWD_HDR_LEN);
	*n = q->end;
	return DNSFWD_OK;
}

enum dnsfwd_err
dnsfwd_truncate(uint8_t *m, size_t len, size_t max, size_t *n)
{
	struct dnsfwd_question q;
	enum dnsfwd_err e;
	uint16_t count[3], kept[3] = { 0, 0, 0 };
	size_t o, next;
	int s, full = 0;
	uint16_t i;

	*n = len;
	if (len <= max)
		return DNSFWD_OK;
	if ((e = dnsfwd_parse_answer(m, len, &q)) != DNSFWD_OK)
		return e;
	if (q.end > max)
		return DNSFWD_ESPACE;
	o = q.end;
	for (s = 0; s < 3; s++) {
		count[s] = get16(m + 6 + 2 * s);
		for (i = 0; i < count[s] && !full; i++) {
			next = o;
			if ((e = skip_rr(m, len, &next)) != DNSFWD_OK)
				return e;
			if (next > max) {
				full = 1;
				break;
			}
			o = next;
			kept[s]++;
		}
	}
	for (s = 0; s < 3; s++)
		put16(m + 6 + 2 * s, kept[s]);
	put16(m + 2, (uint16_t)(get16(m + 2) | DNSFWD_F_TC));
	*n = o;
	return DNSFWD_OK;
}

/* The address of one "nameserver" line (line[0..len)), or 0. */
static socklen_t
nameserver_line(const char *line, size_t len, struct sockaddr_storage *ss)
{
	static const char kw[] = "nameserver";
	char addr[INET6_ADDRSTRLEN];
	size_t i = sizeof(kw) - 1, a;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	if (len <= i || memcmp(line, kw, i) != 0 || (line[i] != ' ' && line[i] != '\t'))
		return 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	for (a = 0; i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r'; i++, a++) {
		if (a + 1 >= sizeof(addr))
			return 0;
		addr[a] = line[i];
	}
	addr[a] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(DNSFWD_UPSTREAM_PORT);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(DNSFWD_UPSTREAM_PORT);
		return sizeof(*s6);
	}
	return 0;
}

size_t
dnsfwd_resolv_parse(const char *text, size_t len, struct sockaddr_storage *ss, socklen_t *sl,
    size_t max)
{
	size_t start = 0, end, n = 0;

	while (start < len && n < max) {
		for (end = start; end < len && text[end] != '\n'; end++)
			;
		if ((sl[n] = nameserver_line(text + start, end - start, &ss[n])) > 0)
			n++;
		start = end + 1;
	}
	return n;
}

enum dnsfwd_err
dnsfwd_build_query(uint16_t id, const char *name, uint16_t qtype, uint8_t *out, size_t outlen,
    size_t *n)
{
	size_t o = DNSFWD_HDR_LEN, l, wire = 1;
	const char *p = name, *dot;

	*n = 0;
	if (outlen < DNSFWD_HDR_LEN + 1 + 4)
		return DNSFWD_ESPACE;
	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63)
			return DNSFWD_ENAME;
		wire += l + 1;
		if (wire > DNSFWD_NAME_MAX)
			return DNSFWD_ENAME;
		if (o + 1 + l + 1 + 4 > outlen)
			return DNSFWD_ESPACE;
		out[o] = (uint8_t)l;
		memcpy(out + o + 1, p, l);
		o += l + 1;
		p += l;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	put16(out, id);
	put16(out + 2, DNSFWD_F_RD);
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	put16(out + o, qtype);
	put16(out + o + 2, 1);
	*n = o + 4;
	return DNSFWD_OK;
}

const char *
dnsfwd_strerror(enum dnsfwd_err e)
{
	switch (e) {
	case DNSFWD_OK:
		return "ok";
	case DNSFWD_ESHORT:
		return "truncated message";
	case DNSFWD_ELONG:
		return "message too long";
	case DNSFWD_EQR:
		return "wrong QR bit";
	case DNSFWD_EQDCOUNT:
		return "wrong question count";
	case DNSFWD_ENAME:
		return "malformed name";
	case DNSFWD_ESPACE:
		return "no room";
	}
	return "?";
}
