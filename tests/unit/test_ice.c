/*
 * Unit suite for control/ice: our controlled agent against a scripted
 * controlling peer (the client) built here directly on libnice's STUN usage
 * functions, under a fake clock.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stun/stunagent.h>
#include <stun/usages/ice.h>

#include "ice.h"

#define GW_UFRAG	"gwUf"
#define GW_PWD		"gatewaypassword0123456"
#define CL_UFRAG	"clUf"
#define CL_PWD		"clientpassword01234567"

static const uint16_t peer_known[] = {
	STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	STUN_ATTRIBUTE_ERROR_CODE, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_PRIORITY, STUN_ATTRIBUTE_USE_CANDIDATE,
	STUN_ATTRIBUTE_FINGERPRINT, STUN_ATTRIBUTE_ICE_CONTROLLED,
	STUN_ATTRIBUTE_ICE_CONTROLLING, STUN_ATTRIBUTE_MAPPED_ADDRESS, 0
};

/* The scripted client. */
struct peer {
	StunAgent	stun;
	uint64_t	tie;
	bool		controlling;
	const char	*pwd;		/* its own */
	const char	*remote_pwd;	/* the gateway's */
	const char	*user_out;	/* "gw:cl" */
	const char	*user_in;	/* "cl:gw" */
};

static struct ipc_addr
mkaddr(const char *ip, uint16_t port)
{
	struct ipc_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, a.addr) == 1)
		a.family = 4;
	else if (inet_pton(AF_INET6, ip, a.addr) == 1)
		a.family = 6;
	a.port = port;
	return a;
}

static socklen_t
to_ss(const struct ipc_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->addr, 4);
		return sizeof(*s);
	}
	{
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(a->port);
		memcpy(&s->sin6_addr, a->addr, 16);
		return sizeof(*s);
	}
}

static void
peer_init(struct peer *p)
{
	memset(p, 0, sizeof(*p));
	stun_agent_init(&p->stun, peer_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT);
	p->tie = 0x1111111111111111ull;
	p->controlling = true;
	p->pwd = CL_PWD;
	p->remote_pwd = GW_PWD;
	p->user_out = GW_UFRAG ":" CL_UFRAG;
	p->user_in = CL_UFRAG ":" GW_UFRAG;
}

/* Client -> gateway Binding request, built by libnice's ICE usage. */
static size_t
peer_request(struct peer *p, uint8_t *buf, size_t cap, bool use_cand, uint32_t prio)
{
	StunMessage msg;

	return stun_usage_ice_conncheck_create(&p->stun, &msg, buf, cap,
	    (const uint8_t *)p->user_out, strlen(p->user_out),
	    (const uint8_t *)p->remote_pwd, strlen(p->remote_pwd), use_cand,
	    p->controlling, prio, p->tie, NULL, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
}

static struct peer *validater_peer;

static bool
peer_validater(StunAgent *agent, StunMessage *message, uint8_t *username,
    uint16_t username_len, uint8_t **password, size_t *password_len, void *user_data)
{
	struct peer *p = user_data;

	(void)agent;
	(void)message;
	if (username_len != strlen(p->user_in) || memcmp(username, p->user_in, username_len) != 0)
		return false;
	*password = (uint8_t *)p->pwd;
	*password_len = strlen(p->pwd);
	return true;
}

/*
 * Peer validates the gateway's check and answers it (request source src).
 * Returns the response length (0 if the check was rejected).  *req_out
 * receives the parsed request for attribute checks.
 */
static size_t
peer_answer(struct peer *p, const struct ice_tx *check, const struct ipc_addr *src,
    uint8_t *out, size_t cap, StunMessage *req_out)
{
	StunMessage req, resp;
	struct sockaddr_storage ss;
	socklen_t sl = to_ss(src, &ss);
	size_t plen = cap;
	bool control = p->controlling;
	StunValidationStatus vs;
	StunUsageIceReturn r;

	validater_peer = p;
	vs = stun_agent_validate(&p->stun, &req, check->data, check->len, peer_validater, p);
	if (vs != STUN_VALIDATION_SUCCESS)
		return 0;
	if (req_out != NULL)
		*req_out = req;
	r = stun_usage_ice_conncheck_create_reply(&p->stun, &req, &resp, out, &plen,
	    &ss, sl, &control, p->tie, STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
	if (r != STUN_USAGE_ICE_RETURN_SUCCESS && r != STUN_USAGE_ICE_RETURN_ROLE_CONFLICT)
		return 0;
	p->controlling = control;
	return plen;
}

/* ---- fixture ------------------------------------------------------------- */

static struct ice_agent *ag;
static struct peer cl;
static struct ipc_addr gw_host, cl_host, relay_addr, cl_srflx;

static void
setup(void)
{
	struct ice_config cfg = { .tag = 0xA1B2C3D4u, .tie_breaker = 0x8000000000000000ull, .ta_ms = 0 };

	peer_init(&cl);
	gw_host = mkaddr("192.0.2.10", 40000);
	cl_host = mkaddr("198.51.100.20", 50000);
	relay_addr = mkaddr("203.0.113.5", 61000);
	cl_srflx = mkaddr("198.51.100.99", 50001);
	ag = ice_agent_new(GW_UFRAG, GW_PWD, CL_UFRAG, CL_PWD, &cfg, 1000);
	ck_assert_ptr_nonnull(ag);
}

static void
teardown(void)
{
	ice_agent_free(ag);
	ag = NULL;
}

static int
drain(struct ice_event *evs, int max)
{
	struct ice_event ev;
	int n = 0;

	while (ice_agent_poll_event(ag, &ev) == 1) {
		if (n < max)
			evs[n] = ev;
		n++;
	}
	return n;
}

static const struct ice_event *
find_ev(const struct ice_event *evs, int n, enum ice_event_type type)
{
	int i;

	for (i = 0; i < n; i++)
		if (evs[i].type == type)
			return &evs[i];
	return NULL;
}

static void
add_remote_host(void)
{
	char s[200];
	struct ice_cand c;

	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_HOST, &cl_host), ICE_OK);
	ck_assert_int_gt(ice_cand_format(&c, s, sizeof(s)), 0);
	ck_assert_int_eq(ice_agent_add_remote(ag, s, strlen(s), 1000), ICE_OK);
}

static struct ice_rx
rx_of(const uint8_t *data, size_t len, struct ipc_addr local, struct ipc_addr from, int relay)
{
	struct ice_rx rx;

	rx.data = data;
	rx.len = len;
	rx.local = local;
	rx.from = from;
	rx.via_relay = relay;
	return rx;
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(bad_credentials_rejected_at_creation)
{
	ck_assert_ptr_null(ice_agent_new("abc", GW_PWD, CL_UFRAG, CL_PWD, NULL, 0));
	ck_assert_ptr_null(ice_agent_new(GW_UFRAG, "short", CL_UFRAG, CL_PWD, NULL, 0));
	ck_assert_ptr_null(ice_agent_new(GW_UFRAG, GW_PWD, "a:bc", CL_PWD, NULL, 0));
	ck_assert_ptr_null(ice_agent_new(GW_UFRAG, GW_PWD, CL_UFRAG, NULL, NULL, 0));
	ck_assert_str_eq(ice_agent_local_ufrag(ag), GW_UFRAG);
	ck_assert_uint_eq(ice_agent_tag(ag), 0xA1B2C3D4u);
	ck_assert(!ice_agent_is_controlling(ag));
}
END_TEST

START_TEST(local_candidates_signalled)
{
	struct ice_event evs[8];
	struct ipc_addr v6 = mkaddr("2001:db8::10", 40001), srflx = mkaddr("192.0.2.200", 40000);
	int n;

	ck_assert_int_eq(ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000), ICE_OK);
	ck_assert_int_eq(ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000), ICE_EIGNORED);
	ck_assert_int_eq(ice_agent_add_local(ag, ICE_CAND_HOST, &v6, 1000), ICE_OK);
	ck_assert_int_eq(ice_agent_add_local(ag, ICE_CAND_SRFLX, &srflx, 1000), ICE_OK);
	ck_assert_int_eq(ice_agent_add_local(ag, ICE_CAND_RELAY, &relay_addr, 1000), ICE_OK);
	ck_assert_int_eq(ice_agent_add_local(ag, ICE_CAND_PRFLX, &relay_addr, 1000), ICE_EINVAL);
	n = drain(evs, 8);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(evs[0].type, ICE_EV_LOCAL_CANDIDATE);
	ck_assert(strstr(evs[0].cand, " 1 udp 2130706175 192.0.2.10 40000 typ host") != NULL);
	ck_assert(strncmp(evs[0].cand, "candidate:", 10) == 0);
	ck_assert(strstr(evs[1].cand, " 1 udp 2130706431 2001:db8::10 40001 typ host") != NULL);
	ck_assert(strstr(evs[2].cand, " 1 udp 1694498559 192.0.2.200 40000 typ srflx") != NULL);
	ck_assert(strstr(evs[3].cand, " 1 udp 50331391 203.0.113.5 61000 typ relay") != NULL);
	/* One IPv4 remote: host and relay pair with it, srflx and v6 do not. */
	add_remote_host();
	ck_assert_int_eq(ice_agent_pair_count(ag), 2);
	/* Invalidation signals the same string. */
	ck_assert_int_eq(ice_agent_remove_local(ag, ICE_CAND_RELAY, &relay_addr, 1000), ICE_OK);
	ck_assert_int_eq(ice_agent_pair_count(ag), 1);
	n = drain(evs, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(evs[0].type, ICE_EV_LOCAL_INVALIDATED);
	ck_assert(strstr(evs[0].cand, " 1 udp 50331391 203.0.113.5 61000 typ relay") != NULL);
	ck_assert_int_eq(ice_agent_remove_local(ag, ICE_CAND_RELAY, &relay_addr, 1000), ICE_ENOENT);
}
END_TEST

START_TEST(answer_nominate_direct)
{
	uint8_t buf[1024];
	struct ice_tx reply, tx;
	struct ice_rx rx;
	struct ice_event evs[8];
	const struct ice_event *e;
	StunMessage resp, req;
	struct sockaddr_storage mapped;
	socklen_t ml = sizeof(mapped);
	size_t n;
	int ne;
	uint64_t tie;
	uint32_t prio;
	uint16_t ulen;
	const uint8_t *u;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	add_remote_host();
	drain(evs, 8);

	/* The client's check with USE-CANDIDATE. */
	n = peer_request(&cl, buf, sizeof(buf), true, 1862270719u);
	ck_assert_uint_gt(n, 0);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1100, &rx, &reply), ICE_OK);
	ck_assert_uint_gt(reply.len, 0);
	ck_assert(ice_cand_addr_equal(&reply.from, &gw_host));
	ck_assert(ice_cand_addr_equal(&reply.to, &cl_host));
	ck_assert_int_eq(reply.via_relay, 0);
	/* Success response: integrity with the gateway's password, XOR-MAPPED = source. */
	ck_assert_int_eq(stun_agent_validate(&cl.stun, &resp, reply.data, reply.len, NULL, NULL),
	    STUN_VALIDATION_SUCCESS);
	ck_assert_int_eq(stun_message_get_class(&resp), STUN_RESPONSE);
	ck_assert_int_eq(stun_usage_ice_conncheck_process(&resp, &mapped, &ml,
	    STUN_USAGE_ICE_COMPATIBILITY_RFC5245), STUN_USAGE_ICE_RETURN_SUCCESS);
	ck_assert_int_eq(((struct sockaddr_in *)&mapped)->sin_port, htons(50000));
	ck_assert_int_eq(memcmp(&((struct sockaddr_in *)&mapped)->sin_addr, cl_host.addr, 4), 0);

	/* Nominated at once (section 2.6), the source is a possible socket. */
	ne = drain(evs, 8);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_REMOTE_SOURCE));
	e = find_ev(evs, ne, ICE_EV_NOMINATED);
	ck_assert_ptr_nonnull(e);
	ck_assert(ice_cand_addr_equal(&e->local, &gw_host));
	ck_assert(ice_cand_addr_equal(&e->remote, &cl_host));
	ck_assert_int_eq(e->via_relay, 0);

	/* An immediate check on that pair. */
	ck_assert_uint_le(ice_agent_next_deadline(ag), 1100);
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1100, &tx), 1);
	ck_assert(ice_cand_addr_equal(&tx.to, &cl_host));
	ck_assert(ice_cand_addr_equal(&tx.from, &gw_host));
	/* Our request: USERNAME "cl:gw", MI with the client's pwd, ICE-CONTROLLED,
	 * PRIORITY from the prflx type preference, no USE-CANDIDATE, FINGERPRINT. */
	n = peer_answer(&cl, &tx, &gw_host, buf, sizeof(buf), &req);
	ck_assert_uint_gt(n, 0);
	u = stun_message_find(&req, STUN_ATTRIBUTE_USERNAME, &ulen);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(ulen, 9);
	ck_assert_int_eq(memcmp(u, CL_UFRAG ":" GW_UFRAG, 9), 0);
	ck_assert_int_eq(stun_message_find64(&req, STUN_ATTRIBUTE_ICE_CONTROLLED, &tie),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert(tie == 0x8000000000000000ull);
	ck_assert_int_ne(stun_message_find64(&req, STUN_ATTRIBUTE_ICE_CONTROLLING, &tie),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_int_eq(stun_message_find32(&req, STUN_ATTRIBUTE_PRIORITY, &prio),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_uint_eq(prio, 1862270719u);
	ck_assert(!stun_usage_ice_conncheck_use_candidate(&req));
	ck_assert_int_eq(stun_message_find32(&req, STUN_ATTRIBUTE_FINGERPRINT, &prio),
	    STUN_MESSAGE_RETURN_SUCCESS);
	/* The table of outstanding checks names our agent. */
	{
		uint32_t tag = 0;

		ck_assert_int_eq(ice_match_txid(buf, n, &tag), ICE_OK);
		ck_assert_uint_eq(tag, 0xA1B2C3D4u);
	}
	/* The response is accepted once; a replay is unknown. */
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1150, &rx, NULL), ICE_OK);
	ck_assert_int_eq(ice_agent_receive(ag, 1150, &rx, NULL), ICE_ENOMATCH);
	/* Nothing else due now; keepalive after max RTO. */
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1150, &tx), 0);
	/* attempts drive the delay: 250 ms after the first check */
	ck_assert_uint_eq(ice_agent_next_deadline(ag), 1100 + 250);
}
END_TEST

START_TEST(nominate_relayed)
{
	uint8_t buf[1024];
	struct ice_tx reply, tx;
	struct ice_rx rx;
	struct ice_event evs[8];
	const struct ice_event *e;
	char s[200];
	struct ice_cand c;
	size_t n;
	int ne;

	ice_agent_add_local(ag, ICE_CAND_RELAY, &relay_addr, 1000);
	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_SRFLX, &cl_srflx), ICE_OK);
	ice_cand_format(&c, s, sizeof(s));
	ck_assert_int_eq(ice_agent_add_remote(ag, s, strlen(s), 1000), ICE_OK);
	drain(evs, 8);
	/* Our first check goes out through the relay. */
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1000, &tx), 1);
	ck_assert_int_eq(tx.via_relay, 1);
	ck_assert(ice_cand_addr_equal(&tx.from, &relay_addr));
	ck_assert(ice_cand_addr_equal(&tx.to, &cl_srflx));

	n = peer_request(&cl, buf, sizeof(buf), true, 100);
	rx = rx_of(buf, n, relay_addr, cl_srflx, 1);
	ck_assert_int_eq(ice_agent_receive(ag, 1200, &rx, &reply), ICE_OK);
	ck_assert_int_eq(reply.via_relay, 1);
	ck_assert(ice_cand_addr_equal(&reply.from, &relay_addr));
	ne = drain(evs, 8);
	e = find_ev(evs, ne, ICE_EV_NOMINATED);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->via_relay, 1);
	ck_assert(ice_cand_addr_equal(&e->local, &relay_addr));
	ck_assert(ice_cand_addr_equal(&e->remote, &cl_srflx));
	/* A request on our relayed address that did not come through the relay
	 * has no local candidate. */
	n = peer_request(&cl, buf, sizeof(buf), false, 100);
	rx = rx_of(buf, n, relay_addr, cl_srflx, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1200, &rx, &reply), ICE_ENOMATCH);
	ck_assert_uint_eq(reply.len, 0);
}
END_TEST

START_TEST(prflx_and_renomination)
{
	uint8_t buf[1024];
	struct ice_tx reply;
	struct ice_rx rx;
	struct ice_event evs[8];
	const struct ice_event *e;
	struct ipc_addr gw_host2 = mkaddr("192.0.2.11", 40000), prflx = mkaddr("198.51.100.77", 1234);
	size_t n;
	int ne;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	ice_agent_add_local(ag, ICE_CAND_RELAY, &relay_addr, 1000);
	add_remote_host();
	drain(evs, 8);
	/* Nominate the relayed pair first (low priority). */
	n = peer_request(&cl, buf, sizeof(buf), true, 1000);
	rx = rx_of(buf, n, relay_addr, cl_host, 1);
	ck_assert_int_eq(ice_agent_receive(ag, 1100, &rx, &reply), ICE_OK);
	ne = drain(evs, 8);
	e = find_ev(evs, ne, ICE_EV_NOMINATED);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->via_relay, 1);
	/* A request from an unknown source makes a peer-reflexive candidate. */
	n = peer_request(&cl, buf, sizeof(buf), true, 1862270719u);
	rx = rx_of(buf, n, gw_host, prflx, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1200, &rx, &reply), ICE_OK);
	ne = drain(evs, 8);
	e = find_ev(evs, ne, ICE_EV_REMOTE_SOURCE);
	ck_assert_ptr_nonnull(e);
	ck_assert(ice_cand_addr_equal(&e->remote, &prflx));
	/* Higher-priority nominated pair takes over the send path. */
	e = find_ev(evs, ne, ICE_EV_NOMINATED);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->via_relay, 0);
	ck_assert(ice_cand_addr_equal(&e->remote, &prflx));
	/* Re-nomination of the same pair is silent. */
	n = peer_request(&cl, buf, sizeof(buf), true, 1862270719u);
	rx = rx_of(buf, n, gw_host, prflx, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1300, &rx, &reply), ICE_OK);
	ne = drain(evs, 8);
	ck_assert_ptr_null(find_ev(evs, ne, ICE_EV_NOMINATED));
	/* A request to an address that is not our candidate is dropped. */
	n = peer_request(&cl, buf, sizeof(buf), false, 1);
	rx = rx_of(buf, n, gw_host2, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1300, &rx, &reply), ICE_ENOMATCH);
}
END_TEST

START_TEST(wrong_credentials)
{
	uint8_t buf[1024];
	struct ice_tx reply, tx;
	struct ice_rx rx;
	struct peer bad;
	size_t n;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	add_remote_host();
	/* Wrong password. */
	peer_init(&bad);
	bad.remote_pwd = "notthegatewaypassword0";
	n = peer_request(&bad, buf, sizeof(buf), true, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_EAUTH);
	ck_assert_uint_eq(reply.len, 0);
	/* USERNAME in the wrong order ("cl:gw" is what we send, not accept). */
	peer_init(&bad);
	bad.user_out = CL_UFRAG ":" GW_UFRAG;
	n = peer_request(&bad, buf, sizeof(buf), true, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_EAUTH);
	/* Another client's ufrag. */
	peer_init(&bad);
	bad.user_out = GW_UFRAG ":zzzz";
	n = peer_request(&bad, buf, sizeof(buf), true, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_EAUTH);
	/* Flipped bit in the MESSAGE-INTEGRITY value (fingerprint recomputed is
	 * not possible from here, so also the fingerprint check catches it). */
	n = peer_request(&cl, buf, sizeof(buf), true, 1);
	buf[n - 12 - 5] ^= 1;
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_lt(ice_agent_receive(ag, 1000, &rx, &reply), 0);
	ck_assert_uint_eq(reply.len, 0);
	drain(&(struct ice_event){ 0 }, 0);

	/* A response signed with the wrong password is rejected. */
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1000, &tx), 1);
	bad = cl;
	bad.pwd = "wrongclientpassword000";
	{
		StunMessage req, resp;
		struct sockaddr_storage ss;
		socklen_t sl = to_ss(&gw_host, &ss);
		size_t plen = sizeof(buf);
		bool ctl = true;
		StunDefaultValidaterData vd[] = {
			{ (uint8_t *)CL_UFRAG ":" GW_UFRAG, 9, (uint8_t *)"wrongclientpassword000", 22 },
			{ NULL, 0, NULL, 0 }
		};

		ck_assert_int_eq(stun_agent_validate(&bad.stun, &req, tx.data, tx.len,
		    stun_agent_default_validater, vd), STUN_VALIDATION_UNAUTHORIZED);
		/* build the reply by hand with the wrong key */
		ck_assert(stun_agent_init_response(&bad.stun, &resp, buf, sizeof(buf), &req));
		ck_assert_int_eq(stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
		    &ss, sl), STUN_MESSAGE_RETURN_SUCCESS);
		plen = stun_agent_finish_message(&bad.stun, &resp,
		    (const uint8_t *)"wrongclientpassword000", 22);
		ck_assert_uint_gt(plen, 0);
		(void)ctl;
		rx = rx_of(buf, plen, gw_host, cl_host, 0);
		ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_EAUTH);
		/* The right answer from the wrong address is not accepted either. */
		n = peer_answer(&cl, &tx, &gw_host, buf, sizeof(buf), NULL);
		ck_assert_uint_gt(n, 0);
		rx = rx_of(buf, n, gw_host, cl_srflx, 0);
		ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_EDROPPED);
		/* From the right one it is. */
		rx = rx_of(buf, n, gw_host, cl_host, 0);
		ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_OK);
	}
	/* A response with an id we never sent. */
	buf[8] ^= 0xff;
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_ENOMATCH);
}
END_TEST

START_TEST(role_conflict_we_answer_487)
{
	uint8_t buf[1024];
	struct ice_tx reply;
	struct ice_rx rx;
	StunMessage resp;
	struct peer p2;
	size_t n;
	int code = 0;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	add_remote_host();
	/* A peer that also claims controlled, with a bigger tie-breaker: we
	 * stay controlled and answer 487 (RFC 8445 7.3.1.1). */
	peer_init(&p2);
	p2.controlling = false;
	p2.tie = 0x9000000000000000ull;
	n = peer_request(&p2, buf, sizeof(buf), false, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_OK);
	ck_assert_uint_gt(reply.len, 0);
	ck_assert_int_eq(stun_agent_validate(&p2.stun, &resp, reply.data, reply.len, NULL, NULL),
	    STUN_VALIDATION_SUCCESS);
	ck_assert_int_eq(stun_message_get_class(&resp), STUN_ERROR);
	ck_assert_int_eq(stun_message_find_error(&resp, &code), STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_int_eq(code, 487);
	ck_assert(!ice_agent_is_controlling(ag));
	/* Smaller tie-breaker: we switch to controlling and answer success. */
	p2.tie = 0x10;
	n = peer_request(&p2, buf, sizeof(buf), false, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_OK);
	ck_assert_int_eq(stun_agent_validate(&p2.stun, &resp, reply.data, reply.len, NULL, NULL),
	    STUN_VALIDATION_SUCCESS);
	ck_assert_int_eq(stun_message_get_class(&resp), STUN_RESPONSE);
	ck_assert(ice_agent_is_controlling(ag));
}
END_TEST

START_TEST(role_conflict_on_our_check)
{
	uint8_t buf[1024];
	struct ice_tx tx;
	struct ice_rx rx;
	struct ice_event evs[8];
	StunMessage req;
	struct peer p2;
	size_t n;
	uint64_t tie;
	int ne;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	add_remote_host();
	/* The peer is controlled too, with a smaller tie-breaker: it answers
	 * our check with 487 and we become controlling (RFC 8445 7.2.5.1). */
	peer_init(&p2);
	p2.controlling = false;
	p2.tie = 0x10;
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1000, &tx), 1);
	n = peer_answer(&p2, &tx, &gw_host, buf, sizeof(buf), NULL);
	ck_assert_uint_gt(n, 0);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_OK);
	ck_assert(ice_agent_is_controlling(ag));
	/* Retried at once with ICE-CONTROLLING; the peer now answers success. */
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1010, &tx), 1);
	n = peer_answer(&p2, &tx, &gw_host, buf, sizeof(buf), &req);
	ck_assert_int_eq(stun_message_find64(&req, STUN_ATTRIBUTE_ICE_CONTROLLING, &tie),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert(!stun_usage_ice_conncheck_use_candidate(&req));
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1020, &rx, NULL), ICE_OK);
	/* As controlling we nominate the valid pair with USE-CANDIDATE. */
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1020, &tx), 1);
	n = peer_answer(&p2, &tx, &gw_host, buf, sizeof(buf), &req);
	ck_assert(stun_usage_ice_conncheck_use_candidate(&req));
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1030, &rx, NULL), ICE_OK);
	ne = drain(evs, 8);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_NOMINATED));
	/* While controlling, a request with USE-CANDIDATE is dropped. */
	n = peer_request(&cl, buf, sizeof(buf), true, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	{
		struct ice_tx reply;

		ck_assert_int_eq(ice_agent_receive(ag, 1040, &rx, &reply), ICE_EDROPPED);
		ck_assert_uint_eq(reply.len, 0);
	}
}
END_TEST

START_TEST(retransmit_and_fail)
{
	/* Section 2.7: checks at 0, .25, .75, 1.75, 3.25, 4.75, 6.25, 7.75 s,
	 * pair failed at 9.25 s, then the agent is disconnected. */
	static const uint64_t want[] = { 0, 250, 750, 1750, 3250, 4750, 6250, 7750 };
	struct ice_tx tx;
	struct ice_event evs[8];
	const struct ice_event *e;
	uint64_t t0 = 1000, now = t0, d;
	unsigned sent = 0;
	int ne;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, t0);
	add_remote_host();
	drain(evs, 8);
	while (sent < 8) {
		d = ice_agent_next_deadline(ag);
		ck_assert_uint_ne(d, UINT64_MAX);
		ck_assert_int_eq(ice_agent_poll_transmit(ag, d - 1 > now ? d - 1 : now, &tx),
		    d - 1 > now ? 0 : 1);
		if (d - 1 > now)
			ck_assert_int_eq(ice_agent_poll_transmit(ag, d, &tx), 1);
		now = d > now ? d : now;
		ck_assert_uint_eq(now - t0, want[sent]);
		sent++;
		ice_agent_tick(ag, now);
	}
	d = ice_agent_next_deadline(ag);
	ck_assert_uint_eq(d - t0, 9250);
	ice_agent_tick(ag, d - 1);
	ck_assert_int_eq(ice_agent_pair_count(ag), 1);
	ck_assert_int_eq(ice_agent_poll_transmit(ag, d, &tx), 0);
	ice_agent_tick(ag, d);
	ck_assert_int_eq(ice_agent_pair_count(ag), 0);
	ne = drain(evs, 8);
	e = find_ev(evs, ne, ICE_EV_FAILED);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->reason, ICE_FAIL_DISCONNECTED);
	ck_assert_uint_eq(ice_agent_next_deadline(ag), UINT64_MAX);
}
END_TEST

/* Answer every check the agent sends until `until`, stepping the fake clock. */
static uint64_t
run_answering(uint64_t now, uint64_t until, bool answer)
{
	struct ice_tx tx;
	uint8_t buf[1024];

	for (;;) {
		uint64_t d = ice_agent_next_deadline(ag);

		if (d > until || d == UINT64_MAX)
			return now;
		now = d > now ? d : now;
		ice_agent_tick(ag, now);
		while (ice_agent_poll_transmit(ag, now, &tx) == 1) {
			if (answer) {
				size_t n = peer_answer(&cl, &tx, &tx.from, buf, sizeof(buf), NULL);
				struct ice_rx rx = rx_of(buf, n, tx.from, tx.to, tx.via_relay);

				ck_assert_int_eq(ice_agent_receive(ag, now + 20, &rx, NULL), ICE_OK);
			}
		}
	}
}

static void
connect_direct(uint64_t now)
{
	uint8_t buf[1024];
	struct ice_tx reply;
	struct ice_rx rx;
	size_t n;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, now);
	add_remote_host();
	n = peer_request(&cl, buf, sizeof(buf), true, 1862270719u);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, now, &rx, &reply), ICE_OK);
}

START_TEST(consent_lost)
{
	struct ice_event evs[16];
	int ne;
	uint64_t now;

	connect_direct(1000);
	drain(evs, 16);
	/* Answered for 5 s with traffic: the pair stays, checks every 1.5 s. */
	now = run_answering(1000, 6000, true);
	ice_agent_traffic(ag, now);
	ck_assert_int_eq(ice_agent_pair_count(ag), 1);
	ck_assert_uint_eq(ice_agent_next_deadline(ag) - now, 1500);
	ne = drain(evs, 16);
	ck_assert_ptr_null(find_ev(evs, ne, ICE_EV_PATH_LOST));
	/* The client goes silent: path lost and failure ~10-12 s later. */
	now = run_answering(now, now + 9000, false);
	ice_agent_traffic(ag, now);
	ne = drain(evs, 16);
	ck_assert_ptr_null(find_ev(evs, ne, ICE_EV_PATH_LOST));
	now = run_answering(now, now + 4000, false);
	ne = drain(evs, 16);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_PATH_LOST));
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_FAILED));
	ck_assert_int_eq(find_ev(evs, ne, ICE_EV_FAILED)->reason, ICE_FAIL_DISCONNECTED);
}
END_TEST

START_TEST(idle_timings)
{
	struct ice_event evs[16];
	struct ice_tx tx;
	int ne;
	uint64_t now, d;

	connect_direct(1000);
	drain(evs, 16);
	now = run_answering(1000, 10999, true);
	ck_assert(!ice_agent_is_idle(ag));
	now = run_answering(now, 11000, true);
	ne = drain(evs, 16);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_IDLE));
	ck_assert(ice_agent_is_idle(ag));
	/* One check per 60 s while idle. */
	d = ice_agent_next_deadline(ag);
	ck_assert_uint_ge(d, now + 58000);
	now = run_answering(now, d, true);
	ck_assert_uint_eq(ice_agent_next_deadline(ag) - now, 60000);
	/* Traffic: back to active, a check due within max RTO. */
	ice_agent_traffic(ag, now + 1);
	ne = drain(evs, 16);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_ACTIVE));
	ck_assert(!ice_agent_is_idle(ag));
	ck_assert_uint_le(ice_agent_next_deadline(ag), now + 1500);
	/* Silent while idle: failure after 4 unanswered checks, ~4-5 min. */
	now = run_answering(now, now + 10500, true);
	ck_assert(ice_agent_is_idle(ag));
	now = run_answering(now, now + 200000, false);
	ne = drain(evs, 16);
	ck_assert_ptr_null(find_ev(evs, ne, ICE_EV_FAILED));
	now = run_answering(now, now + 120000, false);
	ne = drain(evs, 16);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_FAILED));
	ck_assert_int_eq(ice_agent_poll_transmit(ag, now, &tx), 0);
}
END_TEST

START_TEST(invalidated_remote)
{
	uint8_t buf[1024];
	struct ice_tx reply;
	struct ice_rx rx;
	struct ice_event evs[8];
	char s[200];
	struct ice_cand c;
	size_t n;
	int ne;

	connect_direct(1000);
	ice_agent_add_local(ag, ICE_CAND_RELAY, &relay_addr, 1000);
	ck_assert_int_eq(ice_agent_pair_count(ag), 2);
	drain(evs, 8);
	ice_cand_make_local(&c, ICE_CAND_HOST, &cl_host);
	ice_cand_format(&c, s, sizeof(s));
	/* Unknown candidates are reported. */
	ck_assert_int_eq(ice_agent_remove_remote(ag, "candidate:1 1 udp 1 192.0.2.99 9 typ host",
	    41, 1100), ICE_ENOENT);
	ck_assert_int_eq(ice_agent_remove_remote(ag, "garbage", 7, 1100), ICE_EPARSE);
	ck_assert_int_eq(ice_agent_remove_remote(ag, s, strlen(s), 1100), ICE_OK);
	ck_assert_int_eq(ice_agent_pair_count(ag), 0);
	ne = drain(evs, 8);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_PATH_LOST));
	/* Requests from the discarded address are dropped. */
	n = peer_request(&cl, buf, sizeof(buf), true, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1100, &rx, &reply), ICE_EDROPPED);
	ck_assert_uint_eq(reply.len, 0);
	/* Signalled again: re-enabled. */
	ck_assert_int_eq(ice_agent_add_remote(ag, s, strlen(s), 1200), ICE_OK);
	ck_assert_int_eq(ice_agent_pair_count(ag), 2);
	ck_assert_int_eq(ice_agent_add_remote(ag, s, strlen(s), 1200), ICE_EIGNORED);
	ck_assert_int_eq(ice_agent_receive(ag, 1200, &rx, &reply), ICE_OK);
	/* Candidates we must ignore. */
	ck_assert_int_eq(ice_agent_add_remote(ag, "candidate:1 2 udp 1 192.0.2.99 9 typ host", 41, 1200),
	    ICE_EIGNORED);
	ck_assert_int_eq(ice_agent_add_remote(ag,
	    "candidate:1 1 udp 1 192.0.2.99 9 typ host ufrag zzzz", 52, 1200), ICE_EIGNORED);
	ck_assert_int_eq(ice_agent_add_remote(ag, "candidate:1 1 udp 1 0.0.0.0 9 typ host", 38, 1200),
	    ICE_EIGNORED);
	ck_assert_int_eq(ice_agent_add_remote(ag, "candidate:1 1 udp 1 192.0.2.99 9 typ bogus", 42, 1200),
	    ICE_ETYPE);
}
END_TEST


/* Attribute types in order, from a raw message. */
static int
attr_types(const uint8_t *b, size_t len, uint16_t *out, int max)
{
	size_t off = 20;
	int n = 0;

	while (off + 4 <= len && n < max) {
		size_t l = ((size_t)b[off + 2] << 8) | b[off + 3];

		out[n++] = (uint16_t)((b[off] << 8) | b[off + 1]);
		off += 4 + ((l + 3) & ~(size_t)3);
	}
	return n;
}

START_TEST(wire_layout)
{
	uint8_t buf[1024], noint[256];
	struct ice_tx tx, reply;
	struct ice_rx rx;
	uint16_t t[16];
	size_t n;
	int k;
	StunMessage msg;
	struct peer p;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	add_remote_host();
	/* Section 2.5 order: USERNAME, ICE-CONTROLLED, PRIORITY, MI, FINGERPRINT. */
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1000, &tx), 1);
	k = attr_types(tx.data, tx.len, t, 16);
	ck_assert_int_eq(k, 5);
	ck_assert_uint_eq(t[0], 0x0006);
	ck_assert_uint_eq(t[1], 0x8029);
	ck_assert_uint_eq(t[2], 0x0024);
	ck_assert_uint_eq(t[3], 0x0008);
	ck_assert_uint_eq(t[4], 0x8028);
	ck_assert_uint_eq(tx.data[0], 0x00);
	ck_assert_uint_eq(tx.data[1], 0x01);
	/* USERNAME "clUf:gwUf" is 9 bytes padded to 12. */
	ck_assert_uint_eq((tx.data[22] << 8) | tx.data[23], 9);
	ck_assert_uint_eq(tx.len, 20 + 16 + 12 + 8 + 24 + 8);
	/* Success response: XOR-MAPPED-ADDRESS first, MI, FINGERPRINT last. */
	n = peer_request(&cl, buf, sizeof(buf), false, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_OK);
	k = attr_types(reply.data, reply.len, t, 16);
	ck_assert_int_ge(k, 3);
	ck_assert_uint_eq(t[0], 0x0020);
	ck_assert_uint_eq(t[k - 2], 0x0008);
	ck_assert_uint_eq(t[k - 1], 0x8028);
	ck_assert_uint_eq(reply.data[0], 0x01);
	ck_assert_uint_eq(reply.data[1], 0x01);
	ck_assert_int_eq(memcmp(reply.data + 4, buf + 4, 16), 0);	/* same transaction */

	/* Checklist 6: no MESSAGE-INTEGRITY, never answered. */
	peer_init(&p);
	ck_assert(stun_agent_init_request(&p.stun, &msg, noint, sizeof(noint), STUN_BINDING));
	stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, GW_UFRAG ":" CL_UFRAG, 9);
	stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, 1);
	n = stun_message_length(&msg);
	rx = rx_of(noint, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_ENOTSTUN);
	ck_assert_uint_eq(reply.len, 0);
	/* WireGuard handshake initiation shape. */
	memset(noint, 0, 148);
	noint[0] = 1;
	rx = rx_of(noint, 148, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_ENOTSTUN);
	rx = rx_of(noint, 0, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_ENOTSTUN);
}
END_TEST

START_TEST(path_switch_after_invalidation)
{
	uint8_t buf[1024];
	struct ice_tx reply;
	struct ice_rx rx;
	struct ice_event evs[8];
	const struct ice_event *e;
	struct ipc_addr ll = mkaddr("169.254.1.1", 5), other = mkaddr("198.51.100.21", 50000);
	char s[200];
	struct ice_cand c;
	size_t n;
	int ne;

	ck_assert_int_eq(ice_agent_add_local(ag, ICE_CAND_HOST, &ll, 1000), ICE_EINVAL);
	connect_direct(1000);
	drain(evs, 8);
	ice_cand_make_local(&c, ICE_CAND_HOST, &cl_host);
	ice_cand_format(&c, s, sizeof(s));
	ck_assert_int_eq(ice_agent_remove_remote(ag, s, strlen(s), 1100), ICE_OK);
	ne = drain(evs, 8);
	ck_assert_ptr_nonnull(find_ev(evs, ne, ICE_EV_PATH_LOST));
	/* A new candidate gets the freed slots; its nomination is a new path. */
	ice_cand_make_local(&c, ICE_CAND_HOST, &other);
	ice_cand_format(&c, s, sizeof(s));
	ck_assert_int_eq(ice_agent_add_remote(ag, s, strlen(s), 1200), ICE_OK);
	n = peer_request(&cl, buf, sizeof(buf), true, 1862270719u);
	rx = rx_of(buf, n, gw_host, other, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1200, &rx, &reply), ICE_OK);
	ne = drain(evs, 8);
	e = find_ev(evs, ne, ICE_EV_NOMINATED);
	ck_assert_ptr_nonnull(e);
	ck_assert(ice_cand_addr_equal(&e->remote, &other));
	/* Not failed: a nominated pair exists. */
	ice_agent_tick(ag, 1300);
	ne = drain(evs, 8);
	ck_assert_ptr_null(find_ev(evs, ne, ICE_EV_FAILED));
}
END_TEST


/* RFC 5769 section 2.1: sample request with short-term credentials. */
static const uint8_t rfc5769_req[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
	0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
	0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20,
	0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56,
	0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
	0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 section 2.2: sample IPv4 response (transaction of 2.1). */
static const uint8_t rfc5769_resp4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

START_TEST(rfc5769_vectors)
{
	struct ice_agent *x;
	struct ice_tx reply;
	struct ice_rx rx;
	uint8_t bad[sizeof(rfc5769_req)];
	char lu[ICE_UFRAG_MAX + 1], ru[ICE_UFRAG_MAX + 1];
	uint32_t tag;
	/* Our tie-breaker is below the vector's: we stay controlled, answer 487. */
	struct ice_config cfg = { .tag = 1, .tie_breaker = 1 };

	ck_assert_int_eq(ice_match_username(rfc5769_req, sizeof(rfc5769_req), lu, ru), 4);
	ck_assert_str_eq(lu, "evtj");
	ck_assert_str_eq(ru, "h6vY");
	/* not the id of one of our checks */
	ck_assert_int_eq(ice_match_txid(rfc5769_resp4, sizeof(rfc5769_resp4), &tag), ICE_ENOMATCH);

	x = ice_agent_new("evtj", "VOkJxbRl1RmTxUk/WvJxBt", "h6vY", "remotepassword00000000", &cfg, 0);
	ck_assert_ptr_nonnull(x);
	ice_agent_add_local(x, ICE_CAND_HOST, &gw_host, 0);
	rx = rx_of(rfc5769_req, sizeof(rfc5769_req), gw_host, cl_host, 0);
	/* MESSAGE-INTEGRITY and FINGERPRINT of the vector verify. */
	ck_assert_int_eq(ice_agent_receive(x, 0, &rx, &reply), ICE_OK);
	ck_assert_uint_gt(reply.len, 0);
	ck_assert_uint_eq(reply.data[0], 0x01);
	ck_assert_uint_eq(reply.data[1], 0x11);	/* Binding error response: 487 */
	ck_assert(!ice_agent_is_controlling(x));
	/* One bit off in the HMAC: rejected (FINGERPRINT catches it first). */
	memcpy(bad, rfc5769_req, sizeof(bad));
	bad[sizeof(bad) - 9] ^= 0x01;
	rx.data = bad;
	ck_assert_int_lt(ice_agent_receive(x, 0, &rx, &reply), 0);
	ck_assert_uint_eq(reply.len, 0);
	ice_agent_free(x);

	/* Tie-breaker above the vector's: we switch to controlling and answer. */
	cfg.tie_breaker = 0xffffffffffffffffull;
	x = ice_agent_new("evtj", "VOkJxbRl1RmTxUk/WvJxBt", "h6vY", "remotepassword00000000", &cfg, 0);
	ice_agent_add_local(x, ICE_CAND_HOST, &gw_host, 0);
	rx = rx_of(rfc5769_req, sizeof(rfc5769_req), gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(x, 0, &rx, &reply), ICE_OK);
	ck_assert_uint_eq(reply.data[1], 0x01);	/* success */
	ck_assert(ice_agent_is_controlling(x));
	ice_agent_free(x);
}
END_TEST

START_TEST(candidate_timeout)
{
	struct ice_event evs[8];
	const struct ice_event *e;
	int ne;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	ck_assert_uint_eq(ice_agent_next_deadline(ag), 11000);
	ice_agent_tick(ag, 10999);
	ne = drain(evs, 8);
	ck_assert_ptr_null(find_ev(evs, ne, ICE_EV_FAILED));
	ice_agent_tick(ag, 11000);
	ne = drain(evs, 8);
	e = find_ev(evs, ne, ICE_EV_FAILED);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->reason, ICE_FAIL_NO_CANDIDATES);
}
END_TEST

START_TEST(match_helpers)
{
	uint8_t buf[1024];
	char lu[ICE_UFRAG_MAX + 1], ru[ICE_UFRAG_MAX + 1];
	uint32_t tag;
	size_t n;

	n = peer_request(&cl, buf, sizeof(buf), false, 1);
	ck_assert_int_eq(ice_match_username(buf, n, lu, ru), 4);
	ck_assert_str_eq(lu, GW_UFRAG);
	ck_assert_str_eq(ru, CL_UFRAG);
	ck_assert_int_eq(ice_match_username(buf, n, lu, NULL), 4);
	ck_assert_int_eq(ice_match_txid(buf, n, &tag), ICE_ENOTSTUN);	/* a request */
	ck_assert_int_eq(ice_match_username(buf, n - 1, lu, ru), ICE_ENOTSTUN);
	ck_assert_int_eq(ice_match_username(buf, 19, lu, ru), ICE_ENOTSTUN);
	buf[4] ^= 1;
	ck_assert_int_eq(ice_match_username(buf, n, lu, ru), ICE_ENOTSTUN);
	/* WireGuard-looking bytes */
	memset(buf, 0, 148);
	buf[0] = 1;
	ck_assert_int_eq(ice_match_username(buf, 148, lu, ru), ICE_ENOTSTUN);
	ck_assert_int_eq(ice_match_txid(buf, 148, &tag), ICE_ENOTSTUN);
}
END_TEST

START_TEST(gen_credentials)
{
	char u[5], p[23], u2[5], p2[23];
	size_t i;

	ck_assert_int_eq(ice_gen_credentials(u, p), ICE_OK);
	ck_assert_int_eq(ice_gen_credentials(u2, p2), ICE_OK);
	ck_assert_uint_eq(strlen(u), 4);
	ck_assert_uint_eq(strlen(p), 22);
	ck_assert_str_ne(p, p2);
	for (i = 0; i < 22; i++) {
		ck_assert(strchr("abcdefghijklmnopqrstuvxyzABCDEFGHIJKLMNOPQRSTUVXYZ0123456789", p[i]));
		ck_assert(p[i] != 'w' && p[i] != 'W');
	}
	/* They make a valid agent. */
	{
		struct ice_agent *x = ice_agent_new(u, p, CL_UFRAG, CL_PWD, NULL, 0);

		ck_assert_ptr_nonnull(x);
		ice_agent_free(x);
	}
}
END_TEST

START_TEST(pacing)
{
	struct ice_config cfg = { .tag = 7, .tie_breaker = 5, .ta_ms = 50 };
	struct ice_agent *x = ice_agent_new(GW_UFRAG, GW_PWD, CL_UFRAG, CL_PWD, &cfg, 0);
	struct ice_tx tx;
	struct ipc_addr h2 = mkaddr("192.0.2.12", 40000);
	char s[200];
	struct ice_cand c;

	ck_assert_ptr_nonnull(x);
	ice_agent_add_local(x, ICE_CAND_HOST, &gw_host, 0);
	ice_agent_add_local(x, ICE_CAND_HOST, &h2, 0);
	ice_cand_make_local(&c, ICE_CAND_HOST, &cl_host);
	ice_cand_format(&c, s, sizeof(s));
	ice_agent_add_remote(x, s, strlen(s), 0);
	ck_assert_int_eq(ice_agent_poll_transmit(x, 0, &tx), 1);
	ck_assert_int_eq(ice_agent_poll_transmit(x, 0, &tx), 0);
	ck_assert_uint_eq(ice_agent_next_deadline(x), 50);
	ck_assert_int_eq(ice_agent_poll_transmit(x, 50, &tx), 1);
	ice_agent_free(x);
}
END_TEST

START_TEST(pair_limits)
{
	char s[200];
	int i, rc;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	for (i = 0; i < 40; i++) {
		snprintf(s, sizeof(s), "candidate:%d 1 udp %d 198.51.100.%d %d typ host", i, i + 1,
		    i + 1, 1000 + i);
		rc = ice_agent_add_remote(ag, s, strlen(s), 1000);
		ck_assert(rc == ICE_OK || (i >= ICE_MAX_REMOTE && rc == ICE_EFULL));
	}
	ck_assert_int_le(ice_agent_pair_count(ag), ICE_MAX_PAIRS);
	/* Lots of checks, more than the transaction table: no failure. */
	{
		struct ice_tx tx;
		uint64_t now = 1000;
		int k;

		for (k = 0; k < 400; k++) {
			uint64_t d = ice_agent_next_deadline(ag);

			if (d == UINT64_MAX)
				break;
			now = d > now ? d : now;
			ice_agent_tick(ag, now);
			while (ice_agent_poll_transmit(ag, now, &tx) == 1)
				;
		}
	}
}
END_TEST

static uint32_t
xr(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

START_TEST(mutation_loop)
{
	uint8_t good_req[1024], good_resp[1024], buf[1100];
	size_t nreq, nresp;
	struct ice_tx tx, reply;
	struct ice_rx rx;
	struct ice_event ev;
	uint32_t seed = 0x12345678;
	int i;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	ice_agent_add_local(ag, ICE_CAND_RELAY, &relay_addr, 1000);
	add_remote_host();
	nreq = peer_request(&cl, good_req, sizeof(good_req), true, 5);
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1000, &tx), 1);
	nresp = peer_answer(&cl, &tx, &gw_host, good_resp, sizeof(good_resp), NULL);
	ck_assert_uint_gt(nresp, 0);

	for (i = 0; i < 300000; i++) {
		const uint8_t *src = (i & 1) ? good_req : good_resp;
		size_t n = (i & 1) ? nreq : nresp, k, flips;
		char lu[ICE_UFRAG_MAX + 1], ru[ICE_UFRAG_MAX + 1];
		uint32_t tag;

		memcpy(buf, src, n);
		flips = 1 + xr(&seed) % 4;
		for (k = 0; k < flips; k++) {
			uint32_t r = xr(&seed);

			if (n <= 24)
				break;
			switch (r % 5) {
			case 0:
				buf[r / 5 % n] ^= (uint8_t)(1u << (r % 8));
				break;
			case 1:
				buf[r / 5 % n] = (uint8_t)(r >> 8);
				break;
			case 2:	/* length field */
				buf[2 + (r >> 8) % 2] = (uint8_t)(r >> 16);
				break;
			case 3:	/* an attribute length */
				buf[20 + ((r >> 8) % (n - 20)) / 4 * 4 + 2 + (r >> 20) % 2] =
				    (uint8_t)(r >> 24);
				break;
			default:	/* truncate or extend */
				n = (r >> 8) % (sizeof(buf));
				if (n > 1024)
					n = 1024;
				break;
			}
		}
		rx = rx_of(buf, n, (i & 2) ? gw_host : relay_addr, cl_host, (i & 2) ? 0 : 1);
		(void)ice_agent_receive(ag, 1000 + (uint64_t)i / 1000, &rx, &reply);
		(void)ice_match_username(buf, n, lu, ru);
		(void)ice_match_txid(buf, n, &tag);
		if (i % 997 == 0) {
			ice_agent_tick(ag, 1000 + (uint64_t)i / 1000);
			while (ice_agent_poll_transmit(ag, 1000 + (uint64_t)i / 1000, &tx) == 1)
				;
		}
		while (ice_agent_poll_event(ag, &ev) == 1)
			;
	}
	/* Pure noise, all lengths. */
	for (i = 0; i < 100000; i++) {
		size_t n = xr(&seed) % 200, k;

		for (k = 0; k < n; k++)
			buf[k] = (uint8_t)xr(&seed);
		if (n >= 8 && (i & 1)) {
			buf[0] &= 0x01;
			buf[4] = 0x21; buf[5] = 0x12; buf[6] = 0xa4; buf[7] = 0x42;
			buf[2] = (uint8_t)((n - 20) >> 8);
			buf[3] = (uint8_t)(n - 20);
		}
		rx = rx_of(buf, n, gw_host, cl_host, 0);
		(void)ice_agent_receive(ag, 2000, &rx, &reply);
	}
}
END_TEST

START_TEST(zero_attribute_quirk)
{
	/* str0m pads a USERNAME whose length is a multiple of 4 with 4 extra
	 * bytes, read as an empty attribute of type 0x0000: tolerated. */
	struct ice_agent *x;
	struct peer p;
	uint8_t buf[256];
	StunMessage msg;
	struct ice_tx reply;
	struct ice_rx rx;
	static const uint8_t zeros[4];
	size_t n;

	x = ice_agent_new("gwUfx", GW_PWD, "clUfxy", CL_PWD, NULL, 0);	/* "gwUfx:clUfxy" = 12 */
	ck_assert_ptr_nonnull(x);
	ice_agent_add_local(x, ICE_CAND_HOST, &gw_host, 0);
	peer_init(&p);
	ck_assert(stun_agent_init_request(&p.stun, &msg, buf, sizeof(buf), STUN_BINDING));
	ck_assert_int_eq(stun_message_append_bytes(&msg, STUN_ATTRIBUTE_USERNAME, "gwUfx:clUfxy", 12),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_int_eq(stun_message_append_bytes(&msg, 0x0000, zeros, 0), STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_int_eq(stun_message_append64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, 1),
	    STUN_MESSAGE_RETURN_SUCCESS);
	ck_assert_int_eq(stun_message_append32(&msg, STUN_ATTRIBUTE_PRIORITY, 7),
	    STUN_MESSAGE_RETURN_SUCCESS);
	n = stun_agent_finish_message(&p.stun, &msg, (const uint8_t *)GW_PWD, 22);
	ck_assert_uint_gt(n, 0);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(x, 0, &rx, &reply), ICE_OK);
	ck_assert_uint_gt(reply.len, 0);
	ice_agent_free(x);
}
END_TEST


/* ---- issue 19: transaction ids, dispatch table, response shape ---------- */

/* A second agent (tag) with a host candidate and the client's host candidate. */
static struct ice_agent *
agent_with_pair(uint32_t tag)
{
	struct ice_config cfg = { .tag = tag, .tie_breaker = 0x8000000000000000ull, .ta_ms = 0 };
	struct ice_agent *x = ice_agent_new(GW_UFRAG, GW_PWD, CL_UFRAG, CL_PWD, &cfg, 1000);
	struct ice_cand c;
	char s[200];

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ice_agent_add_local(x, ICE_CAND_HOST, &gw_host, 1000), ICE_OK);
	ck_assert_int_eq(ice_cand_make_local(&c, ICE_CAND_HOST, &cl_host), ICE_OK);
	ck_assert_int_gt(ice_cand_format(&c, s, sizeof(s)), 0);
	ck_assert_int_eq(ice_agent_add_remote(x, s, strlen(s), 1000), ICE_OK);
	return x;
}

START_TEST(txid_all_random)
{
	enum { N = 64 };
	struct ice_agent *x[N];
	uint8_t ids[N][12];
	struct ice_tx tx;
	uint32_t tag;
	int i, pos;

	for (i = 0; i < N; i++) {
		x[i] = agent_with_pair(0x5A5A0000u + (uint32_t)i);
		ck_assert_int_eq(ice_agent_poll_transmit(x[i], 1000, &tx), 1);
		ck_assert_uint_ge(tx.len, 20);
		/* the magic cookie, then 96 bits of id */
		ck_assert_int_eq(tx.data[4], 0x21);
		ck_assert_int_eq(tx.data[7], 0x42);
		memcpy(ids[i], tx.data + 8, 12);
		ck_assert_int_eq(ice_match_txid(tx.data, tx.len, &tag), ICE_ENOTSTUN);	/* request */
	}
	/* RFC 8489 section 5: no byte of the id is fixed (a constant byte would
	 * show the same value 64 times: odds 2^-504 per position otherwise). */
	for (pos = 0; pos < 12; pos++) {
		bool differs = false;

		for (i = 1; i < N && !differs; i++)
			differs = ids[i][pos] != ids[0][pos];
		ck_assert_msg(differs, "transaction id byte %d is the same in %d checks", pos, N);
	}
	for (i = 0; i < N; i++)
		ice_agent_free(x[i]);
}
END_TEST

START_TEST(txid_table_dispatch)
{
	struct ice_agent *b = agent_with_pair(0x0B0B0B0Bu);
	struct ice_tx txa, txb;
	struct ice_rx rx;
	uint8_t ra[1024], rb[1024], fake[1024];
	size_t na, nb;
	uint32_t tag = 0;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	add_remote_host();
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1000, &txa), 1);
	ck_assert_int_eq(ice_agent_poll_transmit(b, 1000, &txb), 1);
	na = peer_answer(&cl, &txa, &gw_host, ra, sizeof(ra), NULL);
	nb = peer_answer(&cl, &txb, &gw_host, rb, sizeof(rb), NULL);
	ck_assert_uint_gt(na, 0);
	ck_assert_uint_gt(nb, 0);

	/* Each response names the agent that sent the check. */
	ck_assert_int_eq(ice_match_txid(ra, na, &tag), ICE_OK);
	ck_assert_uint_eq(tag, 0xA1B2C3D4u);
	ck_assert_int_eq(ice_match_txid(rb, nb, &tag), ICE_OK);
	ck_assert_uint_eq(tag, 0x0B0B0B0Bu);
	/* and only that agent takes it */
	rx = rx_of(rb, nb, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_ENOMATCH);

	/* An id that differs from ours in its last bytes only is unknown. */
	memcpy(fake, ra, na);
	fake[19] ^= 0x01;
	ck_assert_int_eq(ice_match_txid(fake, na, &tag), ICE_ENOMATCH);
	rx = rx_of(fake, na, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_ENOMATCH);
	memcpy(fake, ra, na);
	fake[12] ^= 0x80;
	ck_assert_int_eq(ice_match_txid(fake, na, &tag), ICE_ENOMATCH);

	/* Answered: the entry leaves the table. */
	rx = rx_of(ra, na, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1010, &rx, NULL), ICE_OK);
	ck_assert_int_eq(ice_match_txid(ra, na, &tag), ICE_ENOMATCH);
	/* Freed: its entries leave too. */
	ice_agent_free(b);
	ck_assert_int_eq(ice_match_txid(rb, nb, &tag), ICE_ENOMATCH);
}
END_TEST

START_TEST(txid_expires)
{
	struct ice_tx tx;
	struct ice_rx rx;
	uint8_t r[1024];
	size_t n;
	uint32_t tag;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	add_remote_host();
	ck_assert_int_eq(ice_agent_poll_transmit(ag, 1000, &tx), 1);
	n = peer_answer(&cl, &tx, &gw_host, r, sizeof(r), NULL);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(ice_match_txid(r, n, &tag), ICE_OK);
	/* Unanswered for the transaction lifetime: forgotten, the late answer
	 * is dropped. */
	ice_agent_tick(ag, 1000 + ICE_TXN_LIFETIME_MS);
	ck_assert_int_eq(ice_match_txid(r, n, &tag), ICE_ENOMATCH);
	rx = rx_of(r, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000 + ICE_TXN_LIFETIME_MS, &rx, NULL),
	    ICE_ENOMATCH);
}
END_TEST

/* Our answer to req, parsed back by the client that sent req. */
static void
check_reply_shape(struct peer *p, const struct ice_tx *reply, int want_class,
    const struct ipc_addr *mapped)
{
	StunMessage resp;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint32_t fp;

	ck_assert_uint_gt(reply->len, 0);
	/* MESSAGE-INTEGRITY with the gateway's pwd and FINGERPRINT both
	 * verify (the client's agent requires both). */
	ck_assert_int_eq(stun_agent_validate(&p->stun, &resp, reply->data, reply->len, NULL, NULL),
	    STUN_VALIDATION_SUCCESS);
	ck_assert_int_eq(stun_message_get_class(&resp), want_class);
	ck_assert(stun_message_has_attribute(&resp, STUN_ATTRIBUTE_MESSAGE_INTEGRITY));
	ck_assert_int_eq(stun_message_find32(&resp, STUN_ATTRIBUTE_FINGERPRINT, &fp),
	    STUN_MESSAGE_RETURN_SUCCESS);
	/* RFC 8489 9.1.3: never a USERNAME in a response */
	ck_assert(!stun_message_has_attribute(&resp, STUN_ATTRIBUTE_USERNAME));
	if (mapped != NULL) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

		ck_assert_int_eq(stun_message_find_xor_addr(&resp,
		    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &ss, &sl), STUN_MESSAGE_RETURN_SUCCESS);
		ck_assert_int_eq(s4->sin_family, AF_INET);
		ck_assert_uint_eq(ntohs(s4->sin_port), mapped->port);
		ck_assert_mem_eq(&s4->sin_addr, mapped->addr, 4);
	}
}

START_TEST(success_response_has_no_username)
{
	uint8_t buf[1024];
	struct ice_tx reply;
	struct ice_rx rx;
	struct peer p2;
	size_t n;

	ice_agent_add_local(ag, ICE_CAND_HOST, &gw_host, 1000);
	ice_agent_add_local(ag, ICE_CAND_RELAY, &relay_addr, 1000);
	add_remote_host();
	/* direct */
	n = peer_request(&cl, buf, sizeof(buf), false, 100);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_OK);
	check_reply_shape(&cl, &reply, STUN_RESPONSE, &cl_host);
	/* through the relay (sent back as ChannelData) */
	n = peer_request(&cl, buf, sizeof(buf), true, 100);
	rx = rx_of(buf, n, relay_addr, cl_srflx, 1);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_OK);
	ck_assert_int_eq(reply.via_relay, 1);
	check_reply_shape(&cl, &reply, STUN_RESPONSE, &cl_srflx);
	/* a 487 carries no USERNAME either */
	peer_init(&p2);
	p2.controlling = false;
	p2.tie = 0x9000000000000000ull;
	n = peer_request(&p2, buf, sizeof(buf), false, 1);
	rx = rx_of(buf, n, gw_host, cl_host, 0);
	ck_assert_int_eq(ice_agent_receive(ag, 1000, &rx, &reply), ICE_OK);
	check_reply_shape(&p2, &reply, STUN_ERROR, NULL);
}
END_TEST

static Suite *
ice_suite(void)
{
	Suite *s = suite_create("ice");
	TCase *tc = tcase_create("agent");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bad_credentials_rejected_at_creation);
	tcase_add_test(tc, local_candidates_signalled);
	tcase_add_test(tc, answer_nominate_direct);
	tcase_add_test(tc, nominate_relayed);
	tcase_add_test(tc, prflx_and_renomination);
	tcase_add_test(tc, wrong_credentials);
	tcase_add_test(tc, role_conflict_we_answer_487);
	tcase_add_test(tc, role_conflict_on_our_check);
	tcase_add_test(tc, retransmit_and_fail);
	tcase_add_test(tc, consent_lost);
	tcase_add_test(tc, idle_timings);
	tcase_add_test(tc, invalidated_remote);
	tcase_add_test(tc, wire_layout);
	tcase_add_test(tc, path_switch_after_invalidation);
	tcase_add_test(tc, rfc5769_vectors);
	tcase_add_test(tc, candidate_timeout);
	tcase_add_test(tc, match_helpers);
	tcase_add_test(tc, gen_credentials);
	tcase_add_test(tc, pacing);
	tcase_add_test(tc, pair_limits);
	tcase_add_test(tc, mutation_loop);
	tcase_add_test(tc, zero_attribute_quirk);
	tcase_add_test(tc, txid_all_random);
	tcase_add_test(tc, txid_table_dispatch);
	tcase_add_test(tc, txid_expires);
	tcase_add_test(tc, success_response_has_no_username);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ice_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
