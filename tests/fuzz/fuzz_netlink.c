/*
 * fuzz_netlink.c - libFuzzer target for the sans-IO half of
 * dataplane/netlink.c: what the kernel answers, as arbitrary datagrams.
 *
 * Byte 0: bit 0 waits for a dump (else an ack), bit 1 makes the dump
 * callback refuse the third part, bits 2-7 give where the rest is split
 * into two datagrams (in 8-byte steps).  Every message of the rest is
 * walked with netlink_msg_next, its payload with netlink_attr_next (from
 * the start and after the family headers), and handed to
 * netlink_parse_error, netlink_parse_addr and netlink_parse_rule; then
 * the two datagrams go through netlink_wait_feed for request sequence 1.
 * Finally the whole rest answers every request of an interface job (its
 * sequence 1 rewritten to the request's), which must end in a bounded
 * number of requests with a sane result, whatever the answers.
 *
 * Seeds are the module's own requests and hand-made answers, written by
 * the target itself: FZ_NETLINK_WRITE_SEEDS=<dir>.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "netlink.h"

#define SEQ	1

static void
walk_attrs(const uint8_t *p, size_t len)
{
	struct netlink_attr a;
	size_t off = 0, prev = 0;
	int rc, n = 0;

	while ((rc = netlink_attr_next(p, len, &off, &a)) == 1) {
		if (off <= prev || off > len || a.data < p || a.data + a.len > p + len)
			abort();
		prev = off;
		if (++n > 100000)
			abort();
	}
	if (rc != 0 && netlink_strerror(rc) == NULL)
		abort();
}

static void
walk(const uint8_t *buf, size_t len)
{
	struct netlink_msg m;
	size_t off = 0, prev = 0;
	int rc, n = 0;

	while ((rc = netlink_msg_next(buf, len, &off, &m)) == 1) {
		struct netlink_addr a;
		struct netlink_rule r;
		int err;

		if (off <= prev || off > len)
			abort();
		if (m.payload < buf || m.payload + m.payload_len > buf + len)
			abort();
		prev = off;
		walk_attrs(m.payload, m.payload_len);
		if (m.payload_len >= 8)
			walk_attrs(m.payload + 8, m.payload_len - 8);
		if (m.payload_len >= 12)
			walk_attrs(m.payload + 12, m.payload_len - 12);
		if (netlink_parse_error(&m, &err) == 0 && (err < 0 || err > 4095))
			abort();
		if (netlink_parse_addr(&m, &a) == 0 &&
		    ((a.family != AF_INET && a.family != AF_INET6) ||
		    a.plen > (a.family == AF_INET ? 32 : 128)))
			abort();
		if (netlink_parse_rule(&m, &r) == 0) {
			(void)netlink_rule_is_fz(&r, AF_INET);
			(void)netlink_rule_is_fz(&r, AF_INET6);
		}
		if (++n > 100000)
			abort();
	}
	if (rc != 0 && netlink_strerror(rc) == NULL)
		abort();
}

struct cbstate {
	unsigned int parts;
	int refuse;
};

static int
cb(const struct netlink_msg *m, void *arg)
{
	struct cbstate *s = arg;

	if (m->seq != SEQ)
		abort();	/* stale answers are never handed over */
	s->parts++;
	return s->refuse && s->parts == 3 ? -1 : 0;
}

static void
wait_feed(const uint8_t *d1, size_t l1, const uint8_t *d2, size_t l2, int dump, int refuse)
{
	struct netlink_wait w;
	struct cbstate s = { 0, refuse };
	int rc;

	netlink_wait_init(&w, SEQ, dump);
	rc = netlink_wait_feed(&w, d1, l1, cb, &s);
	if (rc == 0)
		rc = netlink_wait_feed(&w, d2, l2, cb, &s);
	if (rc == 1 && (!w.done || w.err < 0))
		abort();
	if (rc < 0 && netlink_strerror(rc) == NULL)
		abort();
	if (w.parts != s.parts && rc != NETLINK_E_ABORT)
		abort();
}

/* The messages of buf with sequence SEQ get seq instead. */
static void
reseq(uint8_t *buf, size_t len, uint32_t seq)
{
	struct netlink_msg m;
	size_t off = 0, at = 0;

	while (netlink_msg_next(buf, len, &off, &m) == 1) {
		if (m.seq == SEQ)
			memcpy(buf + at + offsetof(struct nlmsghdr, nlmsg_seq), &seq, sizeof(seq));
		at = off;
	}
}

static void
job_run(const uint8_t *data, size_t len, int v6)
{
	static const uint8_t v4a[4] = { 100, 64, 0, 5 };
	static const uint8_t v6a[16] = { 0xfd, 0, 0x20, 0x21, 0x11, 0x11, [15] = 5 };
	static struct netlink_routes mem;
	struct netlink_job j;
	struct ipc_d2c_iface_result res;
	uint8_t req[NETLINK_REQ_MAX], *b;
	struct netlink_msg m;
	size_t off;
	int n, rounds = 0, rc;
	const uint8_t *r;

	netlink_job_iface(&j, &mem, 5, v4a, v6 ? v6a : NULL);
	while ((n = netlink_job_next(&j, req, sizeof(req))) > 0) {
		off = 0;
		if (netlink_msg_next(req, (size_t)n, &off, &m) != 1 || off != (size_t)n)
			abort();	/* every request is one well-formed message */
		/* bounded: 8 listings of 32 deletions, retries, rules, routes */
		if (++rounds > 400)
			abort();
		b = malloc(len > 0 ? len : 1);
		if (b == NULL)
			abort();
		memcpy(b, data, len);
		reseq(b, len, m.seq);
		if (netlink_job_feed(&j, b, len) == 0)
			netlink_job_fail(&j, NETLINK_E_TIMEOUT, 0);
		free(b);
	}
	if (!netlink_job_done(&j) || mem.n > NETLINK_ROUTES_MAX)
		abort();
	rc = netlink_job_result(&j, &res);
	if (rc != 0 && rc != -1)
		abort();
	for (r = (const uint8_t *)&res; r < (const uint8_t *)&res + 6; r++)
		if (*r > 1)
			abort();
}

/* ---- seed writer ----------------------------------------------------- */

static void
put_hdr(uint8_t *p, uint32_t len, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h = { len, type, flags, seq, 0 };

	memcpy(p, &h, sizeof(h));
}

static size_t
ack(uint8_t *p, uint32_t seq, int err)
{
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = -err;
	put_hdr((uint8_t *)&e.msg, sizeof(struct nlmsghdr), RTM_NEWADDR, 0, seq);
	put_hdr(p, NLMSG_LENGTH(sizeof(e)), NLMSG_ERROR, 0, seq);
	memcpy(p + NLMSG_HDRLEN, &e, sizeof(e));
	return NLMSG_LENGTH(sizeof(e));
}

static size_t
done(uint8_t *p, uint32_t seq)
{
	int zero = 0;

	put_hdr(p, NLMSG_LENGTH(sizeof(int)), NLMSG_DONE, NLM_F_MULTI, seq);
	memcpy(p + NLMSG_HDRLEN, &zero, sizeof(zero));
	return NLMSG_LENGTH(sizeof(int));
}

/* a request turned into a dump part: same body, NLM_F_MULTI, sequence SEQ */
static size_t
part(uint8_t *p, int len)
{
	struct nlmsghdr h;

	if (len <= 0)
		abort();
	memcpy(&h, p, sizeof(h));
	h.nlmsg_flags = NLM_F_MULTI;
	h.nlmsg_seq = SEQ;
	memcpy(p, &h, sizeof(h));
	return (size_t)len;
}

static void
seed(const char *dir, const char *name, uint8_t flags, const uint8_t *b, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fputc(flags, f) == EOF || fwrite(b, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static void
write_seeds(const char *dir)
{
	static uint8_t b[4096];
	struct netlink_addr a4 = { AF_INET, 32, 1, 1, 5, { 100, 64, 0, 7 }, { 100, 64, 0, 7 } };
	struct netlink_addr a6 = { AF_INET6, 128, 0, 1, 5, { 0 }, { 0xfd, 0, 0x20, 0x21, 0x11, 0x11, [15] = 7 } };
	struct netlink_route rt = { AF_INET, 11, { 100, 64, 0, 0 } };
	size_t n;

	n = ack(b, SEQ, 0);
	seed(dir, "ack", 0, b, n);
	n = ack(b, 7, 0);
	n += ack(b + n, SEQ, EEXIST);
	seed(dir, "stale_then_eexist", 0, b, n);
	n = part(b, netlink_build_addr(b, sizeof(b), SEQ, RTM_NEWADDR, &a4));
	n += part(b + n, netlink_build_addr(b + n, sizeof(b) - n, SEQ, RTM_NEWADDR, &a6));
	n += done(b + n, SEQ);
	seed(dir, "addr_dump", 1 | (8 << 2), b, n);
	n = part(b, netlink_build_fz_rule(b, sizeof(b), SEQ, AF_INET));
	n += part(b + n, netlink_build_fz_rule(b + n, sizeof(b) - n, SEQ, AF_INET6));
	n += part(b + n, netlink_build_getrule(b + n, sizeof(b) - n, SEQ, AF_INET));
	n += done(b + n, SEQ);
	seed(dir, "rule_dump_refused", 1 | 2, b, n);
	n = part(b, netlink_build_fz_rule(b, sizeof(b), SEQ, AF_INET));
	((struct nlmsghdr *)b)->nlmsg_flags |= NLM_F_DUMP_INTR;
	n += done(b + n, SEQ);
	seed(dir, "rule_dump_interrupted", 1, b, n);
	n = part(b, netlink_build_route(b, sizeof(b), SEQ, RTM_NEWROUTE, 5, &rt));
	n += part(b + n, netlink_build_link(b + n, sizeof(b) - n, SEQ, 5, 1280, 1));
	n += ack(b + n, SEQ, EPERM);
	seed(dir, "route_link_then_error", 1, b, n);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FZ_NETLINK_WRITE_SEEDS");

	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	if (dir != NULL) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;
	uint8_t *buf;
	size_t split;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	/* a copy of exactly size bytes, so ASan sees any overread */
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	walk(buf, size);
	split = (size_t)(flags >> 2) * 8;
	if (split == 0 || split > size)
		split = size;
	wait_feed(buf, split, buf + split, size - split, flags & 1, (flags >> 1) & 1);
	job_run(buf, size, flags & 1);
	free(buf);
	return 0;
}
