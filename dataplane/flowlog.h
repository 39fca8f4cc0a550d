/*
 * flowlog.h - flow logs (issue 11): the dataplane's table of the flows
 * clients open through the gateway, and one JSON line per flow when it
 * ends and every interval while it lasts.
 *
 * A flow is what a client opens: protocol, the client's tunnel address and
 * port, and the destination and port the client used (for a DNS resource
 * the proxy IP, the real address being recorded next to it).  Packets from
 * the client create flows; packets toward the client (after NAT-in) only
 * count toward a flow that exists.  ICMP echo flows are told apart by
 * their identifier; other ICMP messages and fragments after the first
 * belong to a flow with ports 0.  Byte counts are inner IP bytes as the
 * client sends and receives them (before NAT-out, after NAT-in).
 *
 * Memory: everything is allocated by flowlog_new, for max_flows flows
 * (about 200 bytes each, plus two indexes of 4-byte slots, by flow and by
 * peer, twice as long as the table); the packet path costs one hash lookup
 * and allocates nothing; removing a peer walks only its own flows.  A flow
 * that finds the table full is not tracked and is counted
 * (flowlog_stats.untracked).
 *
 * Sans-IO: `now` is a monotonic time in milliseconds that never decreases
 * between calls; `wall_ms` (Unix milliseconds) is only used to print times
 * (start and end are monotonic instants shown on the wall clock).  Every
 * line carries the flow's totals since it started.
 * Lines go to the caller's emit function, each one complete JSON object
 * followed by '\n'.
 */
#ifndef FZ_FLOWLOG_H
#define FZ_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

#define FLOWLOG_ID_LEN			16
#define FLOWLOG_MAX_FLOWS		65536	/* the dataplane's cap */
#define FLOWLOG_MAX_FLOWS_PER_PEER	4096	/* one client cannot fill the table */
#define FLOWLOG_DEFAULT_INTERVAL_S	60
#define FLOWLOG_MAX_INTERVAL_S		86400
#define FLOWLOG_IDLE_TCP_MS		300000	/* no packet either way */
#define FLOWLOG_IDLE_UDP_MS		60000
#define FLOWLOG_IDLE_OTHER_MS		30000	/* ICMP and the rest */
#define FLOWLOG_LINGER_MS		2000	/* after FIN both ways or RST */
#define FLOWLOG_LINE_MAX		1024
#define FLOWLOG_CLOCK_STEP_MS		1000	/* see wall_of in flowlog.c */

/* Why a line was written (the "reason" field). */
enum flowlog_reason {
	FLOWLOG_R_INTERVAL = 0,	/* "interval": the flow goes on */
	FLOWLOG_R_END,		/* "end": TCP FIN both ways or RST, then quiet */
	FLOWLOG_R_IDLE,		/* "idle": no packet for the idle timeout */
	FLOWLOG_R_PEER_REMOVED,	/* "peer_removed": the client went away */
	FLOWLOG_R_REVOKED,	/* "revoked": its resource was revoked */
	FLOWLOG_R_SHUTDOWN,	/* "shutdown": the gateway stops */
};

typedef void (*flowlog_emit_fn)(void *arg, const char *line, size_t len);

struct flowlog_config {
	uint32_t max_flows;	/* > 0 */
	uint32_t max_flows_per_peer;	/* 0: only max_flows bounds a peer */
	uint32_t interval_s;	/* interval lines; 0 = only when flows end */
	uint64_t seed;		/* hash key: random bytes */
	const char *procname;	/* "process" field (not copied) */
	int pid;		/* "pid" field */
	flowlog_emit_fn emit;
	void *emit_arg;
};

/* What the caller knows about a new flow (asked once, at its first packet). */
struct flowlog_meta {
	uint8_t client_id[FLOWLOG_ID_LEN];
	uint8_t resource_id[FLOWLOG_ID_LEN];
	int has_resource;
	struct pkt_addr real_dst;	/* af 0: same as the destination */
};

/* Fill *m for the client->resource packet pi of a new flow of peer. */
typedef void (*flowlog_meta_fn)(void *arg, uint32_t peer, const struct pkt_info *pi,
    struct flowlog_meta *m);

struct flowlog_stats {
	uint64_t active;	/* flows in the table */
	uint64_t records;	/* lines written */
	uint64_t ended;		/* flows removed (every final line) */
	uint64_t untracked;	/* new flows refused: table full */
	uint64_t untracked_peer;	/* new flows refused: the peer's cap */
};

struct flowlog;

/* Allocate the table.  NULL on a bad config or allocation failure. */
struct flowlog *flowlog_new(const struct flowlog_config *cfg);
/* Free without writing anything (NULL is ok). */
void flowlog_free(struct flowlog *fl);

/*
 * A client->resource packet of peer that the filter admitted: pi parsed
 * from pkt.  Finds or creates its flow (meta asked only on creation) and
 * counts it.  Returns 1 (new flow), 0 (existing) or -1 (table full, or
 * the peer already has max_flows_per_peer flows: not tracked).
 */
int flowlog_client_packet(struct flowlog *fl, uint32_t peer, const struct pkt_info *pi,
    const uint8_t *pkt, uint64_t now, flowlog_meta_fn meta, void *meta_arg);

/*
 * A resource->client packet for peer after NAT-in (pi parsed from pkt as it
 * goes to the client).  Counts it on its flow.  Returns 0, or -1 if no flow
 * matches (nothing counted).
 */
int flowlog_resource_packet(struct flowlog *fl, uint32_t peer, const struct pkt_info *pi,
    const uint8_t *pkt, uint64_t now);

/*
 * The once-a-second sweep: ends closed and idle flows and writes the
 * interval lines that are due (a flow with no packet since its last line
 * gets none).  Returns the number of lines written.
 */
size_t flowlog_tick(struct flowlog *fl, uint64_t now, int64_t wall_ms);

/* End every flow of peer (resource NULL) or of peer and resource; returns the count. */
size_t flowlog_end_peer(struct flowlog *fl, uint32_t peer, const uint8_t *resource,
    enum flowlog_reason why, uint64_t now, int64_t wall_ms);

/* End every flow (shutdown); returns the count. */
size_t flowlog_end_all(struct flowlog *fl, enum flowlog_reason why, uint64_t now, int64_t wall_ms);

void flowlog_get_stats(const struct flowlog *fl, struct flowlog_stats *st);

/* "interval", "end", ... */
const char *flowlog_reason_name(enum flowlog_reason why);

/*
 * Format Unix milliseconds as RFC 3339 UTC with milliseconds
 * ("2026-11-25T21:20:25.123Z") into buf (at least 25 bytes).  Returns the
 * length, or 0 if the buffer is too small or the time is out of range
 * (years 0000-9999).
 */
size_t flowlog_fmt_time(int64_t wall_ms, char *buf, size_t cap);

#endif
