/*
 * fuzz_dnsfwd.c - libFuzzer target for control/dnsfwd.c.
 *
 * The input is tried as a query and as an answer.  An accepted query gets
 * a SERVFAIL that must parse as an answer matching it; an accepted answer
 * is truncated to 1200 bytes and to a size picked from the input, and what
 * is left must still parse, match the same question, fit the limit and
 * carry TC when it was cut.  The input is also read as resolv.conf text,
 * and as a name for a probe query that must parse back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsfwd.h"

static uint8_t work[DNSFWD_MSG_MAX + 1];
static uint8_t out[DNSFWD_MSG_MAX + 1];

static void
as_query(const uint8_t *data, size_t size)
{
	struct dnsfwd_question q, r;
	size_t n;

	if (dnsfwd_parse_query(data, size, &q) != DNSFWD_OK)
		return;
	if (q.end > size || q.name_len == 0 || q.name_len > DNSFWD_NAME_MAX)
		abort();
	if (dnsfwd_servfail(data, &q, out, sizeof(out), &n) != DNSFWD_OK || n != q.end)
		abort();
	if (dnsfwd_parse_answer(out, n, &r) != DNSFWD_OK || !dnsfwd_matches(&q, &r))
		abort();
}

static void
cut(size_t size, size_t max, const struct dnsfwd_question *q)
{
	struct dnsfwd_question r;
	enum dnsfwd_err e;
	size_t n;

	e = dnsfwd_truncate(work, size, max, &n);
	if (e != DNSFWD_OK) {
		if (size <= max || q->end <= max)
			abort(); /* only "no room for the question" may fail */
		return;
	}
	if (n > size || (size > max && n > max))
		abort();
	if (dnsfwd_parse_answer(work, n, &r) != DNSFWD_OK || !dnsfwd_matches(q, &r))
		abort();
	if (size > max && !(r.flags & DNSFWD_F_TC))
		abort();
}

static void
as_answer(const uint8_t *data, size_t size)
{
	struct dnsfwd_question q;
	size_t max;

	if (size > DNSFWD_MSG_MAX || dnsfwd_parse_answer(data, size, &q) != DNSFWD_OK)
		return;
	if (q.end > size)
		abort();
	memcpy(work, data, size);
	cut(size, DNSFWD_UDP_ANSWER_MAX, &q);
	max = size > 0 ? data[size - 1] * 8u : 0;
	memcpy(work, data, size);
	cut(size, max, &q);
}

/* The input as a dotted name: a built query must parse back. */
static void
as_name(const uint8_t *data, size_t size)
{
	char name[300];
	struct dnsfwd_question q;
	size_t n;

	if (size >= sizeof(name))
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	if (dnsfwd_build_query(7, name, 16, out, sizeof(out), &n) != DNSFWD_OK)
		return;
	if (dnsfwd_parse_query(out, n, &q) != DNSFWD_OK || q.id != 7 || q.qtype != 16)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss[3];
	socklen_t sl[3];

	as_query(data, size);
	as_answer(data, size);
	as_name(data, size);
	if (dnsfwd_resolv_parse((const char *)data, size, ss, sl, 3) > 3)
		abort();
	return 0;
}
