/*
 * netlink.h - rtnetlink configuration of tun-firezone (docs/protocol/dataplane.md
 * §1.2-§1.4): addresses, MTU, link state, the policy rule per family and the
 * routes in the Firezone table.
 *
 * Three layers:
 *  - sans-IO codec: message builders (bytes into a caller buffer) and a
 *    response parser (every length checked before use);
 *  - sans-IO job: the whole configuration of IPC_C2D_IFACE_CONFIG (or a
 *    route set) as a state machine that hands out one request at a time
 *    and is fed the kernel's answers; neither layer touches a socket;
 *  - glue: netlink_job_pump moves a job's requests and answers over the
 *    non-blocking NETLINK_ROUTE socket the dataplane opened at start-up,
 *    never waiting: the event loop calls it again when the socket is
 *    readable and aborts the job when its timer (NETLINK_TIMEOUT_MS for the
 *    whole job) expires, so the packet loop never stalls on the kernel.
 *
 * Sans-IO functions return a length or 0 on success and a negative
 * enum netlink_err on failure.
 */
#ifndef FZ_NETLINK_H
#define FZ_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_msg.h"

#define NETLINK_FZ_MARK		0xfd002021u	/* "not fwmark" of the policy rule */
#define NETLINK_FZ_TABLE	539098368u	/* 0x2021fd00, the Firezone table */
#define NETLINK_FZ_MTU		1280u
#define NETLINK_TIMEOUT_MS	2000		/* bound on one job, all requests together */
#define NETLINK_ROUTES_MAX	8		/* routes remembered between jobs */
#define NETLINK_RXBUF		32768		/* largest dump datagram the kernel sends */
#define NETLINK_REQ_MAX		256		/* every request we build fits */
#define NETLINK_FLUSH_BATCH	32		/* addresses deleted per listing */

enum netlink_err {
	NETLINK_OK = 0,
	NETLINK_E_NOSPACE = -1,		/* the output buffer is too small */
	NETLINK_E_TRUNC = -2,		/* a length runs past the end of the data */
	NETLINK_E_MALFORMED = -3,	/* a length or a value is impossible */
	NETLINK_E_INVAL = -4,		/* bad argument */
	NETLINK_E_TIMEOUT = -5,		/* no answer within the bound */
	NETLINK_E_IO = -6,		/* send/recv/poll failed (errno kept) */
	NETLINK_E_ABORT = -7,		/* a dump callback refused a message */
};

/* One message inside a datagram; payload points into the caller's bytes. */
struct netlink_msg {
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint32_t pid;
	const uint8_t *payload;
	size_t payload_len;
};

/* One attribute (struct rtattr); data points into the caller's bytes. */
struct netlink_attr {
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

/* An interface address as RTM_NEWADDR/RTM_DELADDR carry it. */
struct netlink_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t has_local;	/* IFA_LOCAL present */
	uint8_t has_address;	/* IFA_ADDRESS present */
	uint32_t ifindex;
	uint8_t local[16];	/* 4 or 16 bytes used */
	uint8_t address[16];
};

/* The fields of a policy rule that tell whether it is ours. */
struct netlink_rule {
	uint8_t family;
	uint8_t action;
	uint8_t src_len;
	uint8_t dst_len;
	uint8_t tos;
	uint8_t protocol;
	uint8_t has_fwmark;
	uint8_t has_fwmask;
	uint8_t has_selector;	/* iif, oif, src, dst, uid, ports, ... present */
	uint32_t flags;
	uint32_t table;
	uint32_t fwmark;
	uint32_t fwmask;
	uint32_t priority;
};

/* A route of the Firezone table: destination prefix, out through the link. */
struct netlink_route {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t dst[16];	/* network address, 4 or 16 bytes used */
};

/* Called for each message of a dump; a negative return aborts the wait. */
typedef int (*netlink_msg_cb)(const struct netlink_msg *m, void *arg);

/* State of one outstanding request (sans-IO). */
struct netlink_wait {
	uint32_t seq;
	uint8_t dump;		/* answer is NLM_F_MULTI parts ended by NLMSG_DONE */
	uint8_t done;
	uint8_t intr;		/* the kernel flagged the dump inconsistent */
	int err;		/* 0 or the kernel's positive errno, once done */
	unsigned int parts;	/* dump messages handed to the callback */
};

/* ---- builders: each writes one complete request, returns its length ---- */

/* RTM_GETADDR dump of every address of every link (AF_UNSPEC). */
int netlink_build_getaddr(uint8_t *buf, size_t cap, uint32_t seq);

/*
 * RTM_NEWADDR (NLM_F_CREATE | NLM_F_EXCL) or RTM_DELADDR for a->family,
 * a->plen on a->ifindex, with IFA_LOCAL and IFA_ADDRESS when their has_
 * flags are set.  NETLINK_E_INVAL for another type or family.
 */
int netlink_build_addr(uint8_t *buf, size_t cap, uint32_t seq, uint16_t type,
    const struct netlink_addr *a);

/*
 * RTM_NEWLINK changing link ifindex: IFLA_MTU when mtu is not 0, and
 * IFF_UP set (up = 1) or cleared (up = 0) unless up is negative.
 */
int netlink_build_link(uint8_t *buf, size_t cap, uint32_t seq, uint32_t ifindex,
    uint32_t mtu, int up);

/* RTM_GETRULE dump of one family's policy rules. */
int netlink_build_getrule(uint8_t *buf, size_t cap, uint32_t seq, uint8_t family);

/*
 * RTM_NEWRULE (NLM_F_CREATE | NLM_F_EXCL) for
 * "not fwmark 0xfd002021/0xffffffff lookup 539098368 protocol kernel", no
 * priority: FIB_RULE_INVERT, FR_ACT_TO_TBL, FRA_FWMARK, FRA_FWMASK,
 * FRA_TABLE, FRA_PROTOCOL.
 */
int netlink_build_fz_rule(uint8_t *buf, size_t cap, uint32_t seq, uint8_t family);

/*
 * RTM_NEWROUTE (NLM_F_CREATE | NLM_F_EXCL) or RTM_DELROUTE for r in table
 * 539098368: RTA_DST, RTA_OIF ifindex, RTA_TABLE, protocol static, scope
 * universe, type unicast.  NETLINK_E_INVAL for a bad type, family or plen.
 */
int netlink_build_route(uint8_t *buf, size_t cap, uint32_t seq, uint16_t type,
    uint32_t ifindex, const struct netlink_route *r);

/* ---- parser ---------------------------------------------------------- */

/*
 * Next message of the datagram buf[0..len) at *off.  Returns 1 and fills m
 * (advancing *off), 0 at the end, NETLINK_E_TRUNC when a header or its
 * nlmsg_len runs past len, NETLINK_E_MALFORMED when nlmsg_len is shorter
 * than a header.
 */
int netlink_msg_next(const uint8_t *buf, size_t len, size_t *off, struct netlink_msg *m);

/* Next attribute of buf[0..len) at *off; same returns as netlink_msg_next. */
int netlink_attr_next(const uint8_t *buf, size_t len, size_t *off, struct netlink_attr *a);

/*
 * NLMSG_ERROR payload: stores 0 (an ack) or the positive errno in *err.
 * NETLINK_E_TRUNC if shorter than struct nlmsgerr, NETLINK_E_MALFORMED if
 * the code is positive or out of the errno range, NETLINK_E_INVAL for
 * another message type.
 */
int netlink_parse_error(const struct netlink_msg *m, int *err);

/*
 * An RTM_NEWADDR message (from a dump).  0 and *a filled; NETLINK_E_INVAL
 * for another type or a family other than AF_INET/AF_INET6 (skip it);
 * NETLINK_E_TRUNC / NETLINK_E_MALFORMED for bad lengths.
 */
int netlink_parse_addr(const struct netlink_msg *m, struct netlink_addr *a);

/* An RTM_NEWRULE message (from a dump); returns as netlink_parse_addr. */
int netlink_parse_rule(const struct netlink_msg *m, struct netlink_rule *r);

/*
 * 1 if r already does what netlink_build_fz_rule asks for (same family,
 * inverted fwmark 0xfd002021/0xffffffff, lookup 539098368, no other
 * selector), else 0.  The protocol, only a label, is not compared.
 */
int netlink_rule_is_fz(const struct netlink_rule *r, uint8_t family);

/* Start waiting for the answer to request seq (dump: 1 for a dump). */
void netlink_wait_init(struct netlink_wait *w, uint32_t seq, int dump);

/*
 * Feed one received datagram.  Messages of other sequence numbers (stale
 * answers) are skipped; dump parts go to cb.  Returns 1 once the answer is
 * complete (w->err then holds 0 or the kernel's errno), 0 if more is
 * needed, or a negative netlink_err for a malformed datagram or
 * NETLINK_E_ABORT when cb returned negative.
 */
int netlink_wait_feed(struct netlink_wait *w, const uint8_t *buf, size_t len,
    netlink_msg_cb cb, void *arg);

/* Short text of a negative netlink_err. */
const char *netlink_strerror(int code);

/* ---- the job (sans-IO) --------------------------------------------------- */

/* Routes of the Firezone table this module added, kept between jobs. */
struct netlink_routes {
	struct netlink_route r[NETLINK_ROUTES_MAX];
	uint32_t ifindex[NETLINK_ROUTES_MAX];
	size_t n;
};

enum netlink_job_kind {
	NETLINK_JOB_IFACE = 1,	/* IPC_C2D_IFACE_CONFIG: §1.2 then §1.3 */
	NETLINK_JOB_ROUTES = 2,	/* only a route set (§1.3) */
};

/* Steps of a job, in order (private). */
enum netlink_job_step {
	NLJ_FLUSH_LIST = 1, NLJ_FLUSH_DEL, NLJ_MTU, NLJ_ADD4, NLJ_ADD6, NLJ_UP,
	NLJ_RULE4_LIST, NLJ_RULE4_ADD, NLJ_RULE6_LIST, NLJ_RULE6_ADD,
	NLJ_ROUTE_DEL, NLJ_ROUTE_ADD, NLJ_DONE
};

/* One configuration under way.  Fields are private to netlink.c. */
struct netlink_job {
	int kind;
	int step;
	int done;
	int waiting;		/* a request is out, its answer not yet in */
	int dump;		/* the current request is a listing */
	int io_errno;		/* errno of the last NETLINK_E_IO, for the log */
	int rc;
	uint32_t ifindex;
	uint8_t has_v4, has_v6;
	uint8_t v4[4], v6[16];
	struct netlink_route set[NETLINK_ROUTES_MAX];	/* the wanted routes */
	size_t nset;
	struct netlink_routes *mem;	/* the caller's memory of our routes */
	struct netlink_routes keep;	/* what the memory becomes */
	struct netlink_wait w;
	unsigned int round;	/* address listings so far */
	unsigned int tries;	/* attempts at an interrupted rule listing */
	size_t idx;		/* address or route being handled */
	int found;		/* our policy rule is in the listing */
	int flushed;
	int routes_ok;
	struct netlink_addr flush[NETLINK_FLUSH_BATCH];
	size_t nflush;
	struct ipc_d2c_iface_result res;
};

/*
 * Start the job for IPC_C2D_IFACE_CONFIG on link ifindex (§1.2 then §1.3):
 * delete every address on the link, MTU 1280, add v4/32 and v6/128 (either
 * may be NULL), set the link up, the policy rule per family whose address
 * was added (not duplicated), then the routes 100.64.0.0/11 and
 * fd00:2021:1111::/107 (whether or not the addresses were applied).  mem
 * remembers the routes we added, across jobs.  A bad ifindex or a NULL mem
 * ends the job at once (result -1, nothing done).
 */
void netlink_job_iface(struct netlink_job *j, struct netlink_routes *mem, uint32_t ifindex,
    const uint8_t *v4, const uint8_t *v6);

/*
 * Start a job that makes the routes of the Firezone table through link
 * ifindex exactly set[n] (§1.3): routes remembered in mem that are not in
 * the set are deleted (ENOENT/ESRCH ignored), the set is (re)added (EEXIST
 * ignored).  Invalid arguments or routes end the job at once (result -1).
 */
void netlink_job_routes(struct netlink_job *j, struct netlink_routes *mem, uint32_t ifindex,
    const struct netlink_route *set, size_t n);

/*
 * The next request to send: writes it into buf and returns its length, or
 * 0 when nothing is to be sent (an answer is awaited, or the job is done).
 * Each request gets a fresh sequence number.
 */
int netlink_job_next(struct netlink_job *j, uint8_t *buf, size_t cap);

/*
 * Feed one datagram from the kernel.  Returns 1 when it completed the
 * awaited answer (call netlink_job_next again), else 0 (answers to other
 * sequence numbers, late ones of an aborted job included, are ignored).
 */
int netlink_job_feed(struct netlink_job *j, const uint8_t *buf, size_t len);

/*
 * The awaited request failed locally: rc a negative netlink_err (err: the
 * errno of NETLINK_E_IO, for the log).  The job records the failure of its
 * step and moves on, as for an error from the kernel.
 */
void netlink_job_fail(struct netlink_job *j, int rc, int err);

/* Time is up: the rest of the job is skipped and counts as failed. */
void netlink_job_abort(struct netlink_job *j);

/* 1 once the job ended (normally or aborted). */
int netlink_job_done(const struct netlink_job *j);

/*
 * The outcome of an ended job: res filled (1 = done; all 0 before the end)
 * and 0, or -1 when (iface) the flush failed or no requested address could
 * be added, (routes) a route of the set is missing, or the job has not
 * ended.
 */
int netlink_job_result(const struct netlink_job *j, struct ipc_d2c_iface_result *res);

/* A fresh sequence number for the next request (never 0). */
uint32_t netlink_next_seq(void);

/* ---- glue (socket I/O) ----------------------------------------------- */

/*
 * Drive j on the non-blocking netlink socket fd without ever waiting: send
 * its requests, read what the kernel has answered (datagrams not from the
 * kernel are ignored), until an answer is still missing or the job ends.
 * With j NULL or done, reads and discards whatever is queued (late
 * answers).  Returns 1 when the job has ended, 0 while it waits for the
 * kernel: call again when fd is readable; abort it when its time is up.
 */
int netlink_job_pump(int fd, struct netlink_job *j);

#endif
