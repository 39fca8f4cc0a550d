/*
 * flowhooks.c - the dataplane's hooks into the flow logs (flowlog.c, issue
 * 11): one call from each pipeline (client -> resource in wg_receive.c,
 * resource -> client in tun_io.c), the end of a peer's or a resource's
 * flows (peer_ipc.c), and the table's start, tick and end.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "dataplane.h"
#include "flowlog.h"
#include "log.h"
#include "util.h"

struct flow_ctx {
	struct dp *dp;
	struct dp_peer *p;
};

static int64_t
wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
flow_emit(void *arg, const char *line, size_t len)
{
	(void)arg;
	log_write_line(line, len);
}

/* A new flow's client, resource and (DNS resources) real destination. */
static void
flow_meta(void *arg, uint32_t peer, const struct pkt_info *pi, struct flowlog_meta *m)
{
	struct flow_ctx *fc = arg;

	(void)peer;
	memcpy(m->client_id, fc->p->client_id, sizeof(m->client_id));
	m->has_resource = filter_resource_of(fc->p->filter, pi, m->resource_id);
	if (filter_is_proxy_range(&pi->dst) &&
	    nat_xlate_get(fc->dp->nat, fc->p->nat_slot, &pi->dst, &m->real_dst) != PKT_OK)
		m->real_dst.af = 0;
}

/* A client -> resource packet the filter admitted. */
void
dp_flow_from_client(struct dp *dp, struct dp_peer *p, const struct pkt_info *pi, const uint8_t *pkt,
    uint64_t now)
{
	struct flow_ctx fc = { dp, p };

	if (dp->flows != NULL)
		(void)flowlog_client_packet(dp->flows, p->id, pi, pkt, now, flow_meta, &fc);
}

/* A resource -> client packet after NAT-in, pi its parse. */
void
dp_flow_to_client(struct dp *dp, struct dp_peer *p, const uint8_t *pkt, const struct pkt_info *pi,
    uint64_t now)
{
	if (dp->flows == NULL)
		return;
	(void)flowlog_resource_packet(dp->flows, p->id, pi, pkt, now);
}

/* End the flows of a peer (resource NULL) or of one of its resources. */
void
dp_flow_end(struct dp *dp, struct dp_peer *p, const uint8_t *resource, enum flowlog_reason why)
{
	if (dp->flows != NULL)
		(void)flowlog_end_peer(dp->flows, p->id, resource, why, util_now_ms(), wall_now_ms());
}

void
dp_flows_start(struct dp *dp)
{
	struct flowlog_config fc;
	unsigned int interval;

	if (!config_flow_logs(&interval))
		return;
	memset(&fc, 0, sizeof(fc));
	fc.max_flows = FLOWLOG_MAX_FLOWS;
	fc.max_flows_per_peer = FLOWLOG_MAX_FLOWS_PER_PEER;
	fc.interval_s = interval;
	fc.procname = log_procname();
	fc.pid = (int)getpid();
	fc.emit = flow_emit;
	if (RAND_bytes((unsigned char *)&fc.seed, sizeof(fc.seed)) != 1 ||
	    (dp->flows = flowlog_new(&fc)) == NULL)
		log_warnx("flow logs: cannot allocate the table of %u flows; flow logs are off",
		    FLOWLOG_MAX_FLOWS);
	else
		log_info("flow logs: on, a line per flow when it ends and every %u s (up to %u flows)",
		    interval, FLOWLOG_MAX_FLOWS);
}

void
dp_flows_tick(struct dp *dp, uint64_t now)
{
	struct flowlog_stats st;

	if (dp->flows == NULL)
		return;
	(void)flowlog_tick(dp->flows, now, wall_now_ms());
	flowlog_get_stats(dp->flows, &st);
	dp->ctr.flows_active = st.active;
	dp->ctr.flow_records = st.records;
	dp->ctr.flows_untracked = st.untracked + st.untracked_peer;
}

void
dp_flows_stop(struct dp *dp)
{
	if (dp->flows != NULL)
		(void)flowlog_end_all(dp->flows, FLOWLOG_R_SHUTDOWN, util_now_ms(), wall_now_ms());
}

void
dp_flows_free(struct dp *dp)
{
	flowlog_free(dp->flows);
	dp->flows = NULL;
}
