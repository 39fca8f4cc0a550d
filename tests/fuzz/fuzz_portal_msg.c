/*
 * fuzz_portal_msg.c - libFuzzer target for control/portal_msg.c.
 *
 * Byte 0 picks what the rest is (value modulo 14):
 *   0..9   the payload text of the event with that type (init ..
 *          disconnect), parsed with portal_msg_parse_text;
 *   10     the payload of "phx_reply" (an event the layer must refuse);
 *   11     a bare string for the value parsers (uuid, key, ip, cidr,
 *          sockaddr);
 *   12, 13 today's create_authorization and
 *          access_authorization_expiry_updated.
 * Inbound candidates that parse all carry a priority (the others are
 * skipped); init's authorization count stays within its bound.
 * A failed parse must leave the message all zero and a reason string; a
 * successful authorize_flow or ice_candidates goes through the outbound
 * builders and back through json-c; a legacy payload that parses has at
 * most 8 proxy IPs per name, all inside the proxy ranges, and the range
 * predicate agrees with a bit-by-bit prefix match on every address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "portal_msg.h"

static struct portal_msg msg;	/* about 430 KiB: not on the stack */
static const struct portal_msg zero;

static void
check_ref(json_object *obj, const char *ref)
{
	char *text = portal_msg_json_text(obj);
	json_object *back, *r;

	if (text == NULL)
		abort();
	back = json_tokener_parse(text);
	if (back == NULL || !json_object_object_get_ex(back, "ref", &r) ||
	    strcmp(json_object_get_string(r), ref) != 0)
		abort();
	json_object_put(back);
	portal_msg_text_free(text);
}

/* A legacy name's proxy IPs that parsed are few and all in the proxy ranges. */
static void
check_proxies(const struct portal_msg_resolve *r)
{
	uint32_t i;

	if (r->n_proxy_ips > PORTAL_MSG_PROXY_IPS_MAX)
		abort();
	for (i = 0; i < r->n_proxy_ips; i++)
		if (!portal_msg_proxy_ip_ok(&r->proxy_ips[i]))
			abort();
}

/* The range predicate against its definition, bit by bit. */
static void
check_range(const struct portal_msg_ip *ip)
{
	static const uint8_t p6[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80 };
	const uint8_t *a = ip->u.bytes, *p = ip->family == AF_INET ? (const uint8_t *)"\x64\x60" : p6;
	unsigned bits = ip->family == AF_INET ? 11 : 107, i;
	int in = 1;

	for (i = 0; i < bits; i++)
		if (((a[i / 8] ^ p[i / 8]) >> (7 - i % 8)) & 1)
			in = 0;
	if (portal_msg_proxy_ip_ok(ip) != in)
		abort();
}

static void
round_trip(const struct portal_msg *m)
{
	json_object *obj = NULL;

	if (m->type == PORTAL_MSG_REQUEST_CONNECTION && m->u.request_connection.has_domain)
		check_proxies(&m->u.request_connection.domain);
	if (m->type == PORTAL_MSG_ALLOW_ACCESS && m->u.allow_access.has_payload)
		check_proxies(&m->u.allow_access.payload);
	if (m->type == PORTAL_MSG_INIT && (m->u.init.n_authorizations > PORTAL_MSG_AUTHORIZATIONS_MAX ||
	    (!m->u.init.has_authorizations && m->u.init.n_authorizations != 0)))
		abort();
	if (m->type == PORTAL_MSG_AUTHORIZE_FLOW || m->type == PORTAL_MSG_CREATE_AUTHORIZATION) {
		const struct portal_msg_authorize_flow *a = &m->u.authorize_flow;

		if (portal_msg_build_flow_authorized(a->ref, &obj) != PORTAL_MSG_OK)
			abort();
		check_ref(obj, a->ref);
		json_object_put(obj);
		/* the gateway's ICE credentials from the portal are ours to send */
		if (portal_msg_build_connection_ready(a->ref, &a->gateway_ice, &obj) == PORTAL_MSG_OK) {
			check_ref(obj, a->ref);
			portal_msg_json_wipe(obj);
			json_object_put(obj);
		}
	} else if (m->type == PORTAL_MSG_ICE_CANDIDATES ||
	    m->type == PORTAL_MSG_INVALIDATE_ICE_CANDIDATES) {
		const struct portal_msg_ice_candidates *c = &m->u.ice_candidates;
		const char *cands[PORTAL_MSG_CANDIDATES_MAX];
		uint32_t i;
		char *text;
		int rc;

		for (i = 0; i < c->n_candidates; i++) {
			cands[i] = c->candidates[i];
			if (portal_msg_candidate_priority(cands[i], strlen(cands[i]), NULL) != 0)
				abort();
		}
		/*
		 * What the portal may send (e.g. an empty candidate) is not
		 * always what we may send: a refusal is fine, a crash is not.
		 */
		rc = portal_msg_build_broadcast_ice_candidates(&c->client_id, 1,
		    cands, c->n_candidates, PORTAL_MSG_ORDER_PRIORITY, &obj);
		if (c->n_candidates == 0 && rc == PORTAL_MSG_OK)
			abort();
		if (rc == PORTAL_MSG_OK) {
			text = portal_msg_json_text(obj);
			if (text == NULL)
				abort();
			portal_msg_text_free(text);
			json_object_put(obj);
		}
		rc = portal_msg_build_broadcast_invalidated_ice_candidates(&c->client_id, 1,
		    cands, c->n_candidates, PORTAL_MSG_ORDER_BYTES, &obj);
		if (rc == PORTAL_MSG_OK)
			json_object_put(obj);
	}
}

static void
values(const char *s, size_t len)
{
	struct portal_msg_uuid u;
	uint8_t key[PORTAL_MSG_KEY_LEN];
	struct portal_msg_ip ip;
	struct portal_msg_cidr cidr;
	struct portal_msg_sockaddr sa;
	char buf[PORTAL_MSG_UUID_STRLEN + 1];

	if (portal_msg_parse_uuid(s, len, &u) == PORTAL_MSG_OK) {
		struct portal_msg_uuid u2;

		portal_msg_uuid_fmt(&u, buf);
		if (portal_msg_parse_uuid(buf, strlen(buf), &u2) != PORTAL_MSG_OK ||
		    memcmp(&u, &u2, sizeof(u)) != 0)
			abort();
	}
	(void)portal_msg_parse_key(s, len, key);
	if (portal_msg_parse_ip(s, len, &ip) == PORTAL_MSG_OK)
		check_range(&ip);
	(void)portal_msg_parse_cidr(s, len, &cidr);
	(void)portal_msg_parse_sockaddr(s, len, &sa);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[PORTAL_MSG_WHY_MAX];
	const char *event;
	unsigned sel, want = 0;
	int rc;

	if (size < 1)
		return 0;
	sel = data[0] % 14;
	data++;
	size--;
	if (sel == 11) {
		values((const char *)data, size);
		return 0;
	}
	if (sel == 10)
		event = "phx_reply";
	else if (sel >= 12)
		event = portal_msg_event_name((enum portal_msg_type)(want = PORTAL_MSG_CREATE_AUTHORIZATION +
		    (sel - 12)));
	else
		event = portal_msg_event_name((enum portal_msg_type)(want = sel + 1));
	why[0] = '\0';
	memset(&msg, 0xa5, sizeof(msg));
	rc = portal_msg_parse_text(event, (const char *)data, size, &msg, why, sizeof(why));
	if (rc == PORTAL_MSG_OK) {
		if (msg.type != (enum portal_msg_type)want)
			abort();
		round_trip(&msg);
	} else {
		if (rc > 0 || portal_msg_strerror(rc) == NULL)
			abort();
		if (memcmp(&msg, &zero, sizeof(msg)) != 0)
			abort();
		if (memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0')
			abort();
	}
	portal_msg_clear(&msg);
	if (memcmp(&msg, &zero, sizeof(msg)) != 0)
		abort();
	/* the wipe must cope with whatever tree the text makes */
	{
		struct json_tokener *tok = json_tokener_new();
		json_object *root;

		if (tok == NULL)
			abort();
		root = json_tokener_parse_ex(tok, (const char *)data, (int)size);
		portal_msg_json_wipe(root);
		json_object_put(root);
		json_tokener_free(tok);
	}
	return 0;
}
