/*
 * dnsfwd.h - the sans-IO core of the DNS forwarder that answers clients on
 * the gateway's tunnel addresses, port 53535 (docs/dns-server.md).
 *
 * The forwarder passes each query on unchanged and each answer back
 * unchanged, so it only needs to know where a message's header and
 * question are and where its records end: it checks a query (header, one
 * question, the name in wire form), checks an answer and matches it to its
 * query (id and question), builds a SERVFAIL answer from a query, cuts an
 * answer to the UDP limit at a record boundary with TC set, builds the
 * probe queries that rank the nameservers, and reads the nameservers out of
 * resolv.conf text.  No allocation, no I/O; every
 * offset is checked against the message length before it is read.
 */
#ifndef FZ_DNSFWD_H
#define FZ_DNSFWD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNSFWD_PORT          53535 /* where clients send their queries */
#define DNSFWD_UPSTREAM_PORT 53    /* where the nameserver listens */
#define DNSFWD_HDR_LEN       12
#define DNSFWD_NAME_MAX      255   /* wire length of a name, root label included */
#define DNSFWD_QUERY_MAX     4096  /* longest query accepted (UDP and TCP) */
#define DNSFWD_MSG_MAX       65535 /* longest message (TCP length prefix) */
#define DNSFWD_UDP_ANSWER_MAX 1200 /* longer UDP answers are truncated */

/* Header flag bits (second 16-bit word of the header). */
#define DNSFWD_F_QR 0x8000
#define DNSFWD_F_TC 0x0200
#define DNSFWD_F_RD 0x0100
#define DNSFWD_F_RA 0x0080
#define DNSFWD_OPCODE_MASK 0x7800
#define DNSFWD_RCODE_SERVFAIL 2

enum dnsfwd_err {
	DNSFWD_OK = 0,
	DNSFWD_ESHORT,   /* shorter than its header or than a record it announces */
	DNSFWD_ELONG,    /* longer than the limit for its kind */
	DNSFWD_EQR,      /* a query with QR set, or an answer without it */
	DNSFWD_EQDCOUNT, /* a query without exactly one question (an answer: more than one) */
	DNSFWD_ENAME,    /* a name with a bad label type, too long, or compressed in the question */
	DNSFWD_ESPACE,   /* the output buffer is too small */
};

/* Where a message's question is and what it asks. */
struct dnsfwd_question {
	uint16_t id;
	uint16_t flags;
	int present;             /* 0 for an answer without a question */
	uint16_t qtype, qclass;
	uint8_t name[DNSFWD_NAME_MAX];
	size_t name_len;         /* wire length of name, root label included */
	size_t end;              /* offset just past the question (header end if none) */
};

/* Check a query: a header with QR clear, exactly one question whose name
 * is uncompressed wire form, at most DNSFWD_QUERY_MAX bytes.  Whatever
 * follows the question (EDNS records) is passed on unchecked.  Fills q. */
enum dnsfwd_err dnsfwd_parse_query(const uint8_t *m, size_t len, struct dnsfwd_question *q);

/* Check an answer: a header with QR set, zero or one question, and every
 * record the header counts within len (names may be compressed; pointers
 * are not followed).  Fills q.  Bytes after the last record are ignored. */
enum dnsfwd_err dnsfwd_parse_answer(const uint8_t *m, size_t len, struct dnsfwd_question *q);

/* 1 if the answer a belongs to the query q: same id and, when the answer
 * repeats the question, the same type, class and name (ASCII case-
 * insensitive). */
int dnsfwd_matches(const struct dnsfwd_question *q, const struct dnsfwd_question *a);

/* Build into out (outlen bytes) a SERVFAIL answer to the query m whose
 * question q describes (from dnsfwd_parse_query): same id, opcode and RD,
 * QR and RA set, the question repeated, no records.  Stores its length
 * in *n. */
enum dnsfwd_err dnsfwd_servfail(const uint8_t *m, const struct dnsfwd_question *q, uint8_t *out,
    size_t outlen, size_t *n);

/* Cut the answer m (len bytes, already accepted by dnsfwd_parse_answer)
 * in place to at most max bytes: the header, the question and the leading
 * whole records that fit, the counts rewritten and TC set.  An answer of
 * at most max bytes is left as it is.  Stores the new length in *n. */
enum dnsfwd_err dnsfwd_truncate(uint8_t *m, size_t len, size_t max, size_t *n);

/* The usable "nameserver" lines of resolv.conf text (len bytes, no NUL
 * needed), in order: IPv4 or IPv6 address literals (an IPv6 zone "%if" is
 * not accepted; other lines are skipped).  Fills ss[i] with the address
 * and port 53 and sl[i] with its length, for at most max of them; returns
 * how many. */
size_t dnsfwd_resolv_parse(const char *text, size_t len, struct sockaddr_storage *ss, socklen_t *sl,
    size_t max);

/* Build into out (outlen bytes) a query with id, RD set and one question
 * (qtype, class IN) for the dotted name (a trailing dot is optional; empty
 * labels are refused).  Stores its length in *n. */
enum dnsfwd_err dnsfwd_build_query(uint16_t id, const char *name, uint16_t qtype, uint8_t *out,
    size_t outlen, size_t *n);

/* A short text for an error, for logs. */
const char *dnsfwd_strerror(enum dnsfwd_err e);

#endif
