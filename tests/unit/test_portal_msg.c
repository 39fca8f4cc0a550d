/*
 * Unit suite for control/portal_msg: every inbound fixture decodes to the
 * values it carries, every broken variant in tests/fixtures/portal/bad/ is
 * refused with the expected code and a reason naming the field, and the
 * outbound payloads match the spec's examples byte for byte.  Run from the
 * repository root (make test-portal_msg).
 */
#include <check.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "portal_msg.h"

#define FIX "tests/fixtures/portal/"

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static json_object *
load_json(const char *name)
{
	char path[256];
	char *text;
	json_object *o;

	snprintf(path, sizeof(path), FIX "%s", name);
	text = read_file(path, NULL);
	o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "%s is not JSON", path);
	free(text);
	return o;
}

/* Decode the frame in fixture `name`; returns the parser's code. */
static int
parse_frame(const char *name, struct portal_msg *m, char *why, size_t whylen)
{
	json_object *root = load_json(name), *ev, *pl = NULL;
	int rc;

	ck_assert(json_object_object_get_ex(root, "event", &ev));
	json_object_object_get_ex(root, "payload", &pl);
	rc = portal_msg_parse(json_object_get_string(ev), pl, m, why, whylen);
	json_object_put(root);
	return rc;
}

static struct portal_msg *
must_parse(const char *name, enum portal_msg_type want)
{
	struct portal_msg *m = malloc(sizeof(*m));
	char why[PORTAL_MSG_WHY_MAX];
	int rc;

	ck_assert_ptr_nonnull(m);
	memset(m, 0xa5, sizeof(*m));	/* the parser must not rely on a zeroed struct */
	rc = parse_frame(name, m, why, sizeof(why));
	ck_assert_msg(rc == 0, "%s: %d (%s)", name, rc, why);
	ck_assert_int_eq(m->type, want);
	return m;
}

static void
done(struct portal_msg *m)
{
	portal_msg_clear(m);
	free(m);
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Independent decoder (OpenSSL) for the expected key bytes. */
static void
expect_key(const uint8_t got[32], const char *b64)
{
	unsigned char buf[64];
	int n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)strlen(b64));

	ck_assert_int_eq(n, 33);	/* one '=' pad: 33 bytes, the last one zero */
	ck_assert_mem_eq(got, buf, 32);
}

static void
expect_uuid(const struct portal_msg_uuid *id, const char *want)
{
	char s[PORTAL_MSG_UUID_STRLEN];

	ck_assert_str_eq(portal_msg_uuid_fmt(id, s), want);
}

static void
expect_v4(const struct in_addr *a, const char *want)
{
	char s[INET_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(AF_INET, a, s, sizeof(s)));
	ck_assert_str_eq(s, want);
}

static void
expect_v6(const struct in6_addr *a, const char *want)
{
	char s[INET6_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a, s, sizeof(s)));
	ck_assert_str_eq(s, want);
}

static void
expect_ip(const struct portal_msg_ip *ip, const char *want)
{
	if (ip->family == AF_INET)
		expect_v4(&ip->u.v4, want);
	else {
		ck_assert_int_eq(ip->family, AF_INET6);
		expect_v6(&ip->u.v6, want);
	}
}

static void
expect_sa(const struct portal_msg_sockaddr *sa, const char *ip, unsigned port)
{
	expect_ip(&sa->ip, ip);
	ck_assert_uint_eq(sa->port, port);
}

static void
expect_filter(const struct portal_msg_filter *f, int proto, unsigned lo, unsigned hi)
{
	ck_assert_int_eq(f->protocol, proto);
	if (proto != PORTAL_MSG_PROTO_ICMP) {
		ck_assert_uint_eq(f->port_start, lo);
		ck_assert_uint_eq(f->port_end, hi);
	}
}

/* ---- upstream fixtures -------------------------------------------------- */

START_TEST(upstream_authorize_flow)
{
	struct portal_msg *m = must_parse("authorize_flow.json", PORTAL_MSG_AUTHORIZE_FLOW);
	struct portal_msg_authorize_flow *a = &m->u.authorize_flow;
	json_object *root = load_json("authorize_flow.json"), *pl, *ref;

	json_object_object_get_ex(root, "payload", &pl);
	json_object_object_get_ex(pl, "ref", &ref);
	ck_assert_str_eq(a->ref, json_object_get_string(ref));
	ck_assert_uint_eq(strlen(a->ref), (size_t)json_object_get_string_len(ref));
	json_object_put(root);

	expect_uuid(&a->client.id, "3abd725a-733b-4801-ac16-72f26cd98a24");
	expect_key(a->client.public_key, "fiAjSBWDgQfD1CFJkTwOf4zg+1QhH0eTT+oLaVIMpH8=");
	expect_key(a->client.preshared_key, "BzPiNE9qszKczZcZzGsyieLYeJ2EQfkfdibls/l3beM=");
	expect_v4(&a->client.ipv4, "100.93.74.51");
	expect_v6(&a->client.ipv6, "fd00:2021:1111::f:853b");
	ck_assert_int_eq(a->resource.type, PORTAL_MSG_RES_CIDR);
	expect_uuid(&a->resource.id, "c7793628-8579-465b-83e3-1a5d4af4db3b");
	ck_assert_str_eq(a->resource.name, "MyCorp Network");
	ck_assert_str_eq(a->resource.address, "172.20.0.0/16");
	expect_ip(&a->resource.cidr.ip, "172.20.0.0");
	ck_assert_uint_eq(a->resource.cidr.prefix, 16);
	ck_assert_uint_eq(a->resource.n_filters, 0);
	ck_assert(a->has_expires_at);
	ck_assert_int_eq(a->expires_at, 1729813989);
	ck_assert_str_eq(a->client_ice.username, "hgwh");
	ck_assert_str_eq(a->client_ice.password, "j2fqufatn7xlrrvv6fsvea");
	ck_assert_str_eq(a->gateway_ice.username, "ejqt");
	ck_assert_str_eq(a->gateway_ice.password, "zfjrrjdkbci42t2axyd45a");
	done(m);
}
END_TEST

START_TEST(upstream_init)
{
	struct portal_msg *m = must_parse("init_message.json", PORTAL_MSG_INIT);

	expect_v4(&m->u.init.ipv4, "100.115.164.78");
	expect_v6(&m->u.init.ipv6, "fd00:2021:1111::2c:f6ab");
	ck_assert(m->u.init.ipv4_masquerade_enabled);
	ck_assert(m->u.init.ipv6_masquerade_enabled);
	ck_assert_uint_eq(m->u.init.relays.n, 0);	/* no "relays": empty */
	done(m);
}
END_TEST

START_TEST(upstream_invalidate_ice_candidates)
{
	struct portal_msg *m = must_parse("invalidate_ice_candidates_message.json",
	    PORTAL_MSG_INVALIDATE_ICE_CANDIDATES);

	expect_uuid(&m->u.ice_candidates.client_id, "2b1524e6-239e-4570-bc73-70a188e12101");
	ck_assert_uint_eq(m->u.ice_candidates.n_candidates, 1);
	ck_assert_str_eq(m->u.ice_candidates.candidates[0],
	    "candidate:7854631899965427361 1 udp 1694498559 172.28.0.100 47717 typ srflx");
	done(m);
}
END_TEST

START_TEST(upstream_legacy_request_connection)
{
	static const char *const proxies[] = {
		"100.96.0.1", "100.96.0.2", "100.96.0.3", "100.96.0.4",
		"fd00:2021:1111:8000::", "fd00:2021:1111:8000::1",
		"fd00:2021:1111:8000::2", "fd00:2021:1111:8000::3",
	};
	struct portal_msg *m = must_parse("legacy_request_connection_message.json",
	    PORTAL_MSG_REQUEST_CONNECTION);
	struct portal_msg_request_connection *r = &m->u.request_connection;
	size_t i;

	json_object *root = load_json("legacy_request_connection_message.json"), *pl, *ref;

	json_object_object_get_ex(root, "payload", &pl);
	json_object_object_get_ex(pl, "ref", &ref);
	ck_assert_str_eq(r->ref, json_object_get_string(ref));
	json_object_put(root);
	expect_uuid(&r->client.id, "2e5c0210-3ac0-49cd-bfc9-8005046291de");
	expect_key(r->client.public_key, "zHtdIFPDm8QQkqjbmAc1r8O1WegviA6UeUTP6rpminA=");
	expect_key(r->client.preshared_key, "BzPiNE9qszKczZcZzGsyieLYeJ2EQfkfdibls/l3beM=");
	expect_v4(&r->client.ipv4, "100.87.247.184");
	expect_v6(&r->client.ipv6, "fd00:2021:1111::4:4616");
	ck_assert(r->has_persistent_keepalive);
	ck_assert_uint_eq(r->persistent_keepalive, 25);
	ck_assert_str_eq(r->client_ice.username, "aYaH");
	ck_assert_str_eq(r->client_ice.password, "MMceouYA5jGIPkxbvIiLvD");
	ck_assert(r->has_domain);
	ck_assert_str_eq(r->domain.name, "download.httpbin");
	ck_assert_uint_eq(r->domain.n_proxy_ips, 8);
	for (i = 0; i < 8; i++)
		expect_ip(&r->domain.proxy_ips[i], proxies[i]);
	ck_assert_int_eq(r->resource.type, PORTAL_MSG_RES_DNS);
	expect_uuid(&r->resource.id, "619fbe83-bc95-4635-9a08-68da9a944c88");
	ck_assert_str_eq(r->resource.address, "?.httpbin");
	ck_assert_str_eq(r->resource.name, "?.httpbin");
	ck_assert_uint_eq(r->resource.n_filters, 4);
	expect_filter(&r->resource.filters[0], PORTAL_MSG_PROTO_TCP, 80, 80);
	expect_filter(&r->resource.filters[1], PORTAL_MSG_PROTO_TCP, 433, 433);
	expect_filter(&r->resource.filters[2], PORTAL_MSG_PROTO_UDP, 53, 53);
	expect_filter(&r->resource.filters[3], PORTAL_MSG_PROTO_ICMP, 0, 0);
	ck_assert(r->has_expires_at);
	ck_assert_int_eq(r->expires_at, 1718663242);
	done(m);
}
END_TEST

START_TEST(upstream_request_connection)
{
	struct portal_msg *m = must_parse("request_connection_messages.json",
	    PORTAL_MSG_REQUEST_CONNECTION);
	struct portal_msg_request_connection *r = &m->u.request_connection;

	ck_assert_str_eq(r->ref, "78e1159d-9dc6-480d-b2ef-1fcec2cd5730");
	expect_uuid(&r->client.id, "3a25ff38-f8d7-47de-9b30-c7c40c206083");
	expect_key(r->client.public_key, "OR2dYCLwMEtwqtjOxSm4SU7BbHJDfM8ZCqK7HKXXxDw=");
	expect_key(r->client.preshared_key, "sMeTuiJ3mezfpVdan948CmisIWbwBZ1z7jBNnbVtfVg=");
	expect_v4(&r->client.ipv4, "100.114.114.30");
	expect_v6(&r->client.ipv6, "fd00:2021:1111::3a:ab1b");
	ck_assert_str_eq(r->client_ice.username, "PvCPFevCOgkvVCtH");
	ck_assert_str_eq(r->client_ice.password, "xEwoXEzHuSyrcgOCSRnwOXQVnbnbeGeF");
	ck_assert(!r->has_domain);
	ck_assert_int_eq(r->resource.type, PORTAL_MSG_RES_CIDR);
	ck_assert_str_eq(r->resource.name, "172.20.0.1/16");
	expect_ip(&r->resource.cidr.ip, "172.20.0.0");
	ck_assert_uint_eq(r->resource.cidr.prefix, 16);
	ck_assert_int_eq(r->expires_at, 1719367575);
	done(m);
}
END_TEST

START_TEST(upstream_relays_presence)
{
	struct portal_msg *m = must_parse("relays_presence_message.json",
	    PORTAL_MSG_RELAYS_PRESENCE);
	struct portal_msg_relays_presence *p = &m->u.relays_presence;

	ck_assert_uint_eq(p->n_disconnected, 2);
	expect_uuid(&p->disconnected_ids[0], "e95f9517-2152-4677-a16a-fbb2687050a3");
	expect_uuid(&p->disconnected_ids[1], "b0724bd1-a8cc-4faf-88cd-f21159cfec47");
	ck_assert_uint_eq(p->connected.n, 1);
	expect_uuid(&p->connected.relays[0].id, "0a133356-7a9e-4b9a-b413-0d95a5720fd8");
	ck_assert(p->connected.relays[0].has_v4);
	ck_assert(!p->connected.relays[0].has_v6);
	expect_sa(&p->connected.relays[0].v4, "172.28.0.101", 3478);
	ck_assert_str_eq(p->connected.relays[0].username, "1719367575:ZQHcVGkdnfgGmcP1");
	ck_assert_str_eq(p->connected.relays[0].password,
	    "ZWYiBeFHOJyYq0mcwAXjRpcuXIJJpzWlOXVdxwttrWg");
	ck_assert_int_eq(p->connected.relays[0].expires_at, 1719367575);
	done(m);
}
END_TEST

START_TEST(upstream_resource_updated)
{
	struct portal_msg *m = must_parse("resource_updated_message.json",
	    PORTAL_MSG_RESOURCE_UPDATED);
	struct portal_msg_resource *r = &m->u.resource_updated;

	ck_assert_int_eq(r->type, PORTAL_MSG_RES_DNS);
	expect_uuid(&r->id, "57f9ebbb-21d5-4f9f-bf86-b25122fc7a43");
	ck_assert_str_eq(r->address, "?.httpbin");
	ck_assert_uint_eq(r->n_filters, 2);
	expect_filter(&r->filters[0], PORTAL_MSG_PROTO_ICMP, 0, 0);
	expect_filter(&r->filters[1], PORTAL_MSG_PROTO_TCP, 0, 65535);
	done(m);
}
END_TEST

START_TEST(upstream_filters)
{
	static const struct {
		const char *file;
		int proto;
		unsigned lo, hi;
	} t[] = {
		{ "tcp_filter.json", PORTAL_MSG_PROTO_TCP, 10, 20 },
		{ "udp_filter.json", PORTAL_MSG_PROTO_UDP, 10, 20 },
		{ "empty_tcp_filter.json", PORTAL_MSG_PROTO_TCP, 0, 65535 },
		{ "empty_udp_filter.json", PORTAL_MSG_PROTO_UDP, 0, 65535 },
		{ "icmp_filter.json", PORTAL_MSG_PROTO_ICMP, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *o = load_json(t[i].file);
		struct portal_msg_filter f;
		char why[PORTAL_MSG_WHY_MAX];

		ck_assert_msg(portal_msg_parse_filter(o, &f, why, sizeof(why)) == 0, "%s: %s",
		    t[i].file, why);
		expect_filter(&f, t[i].proto, t[i].lo, t[i].hi);
		json_object_put(o);
	}
}
END_TEST

START_TEST(upstream_internet_resource)
{
	json_object *arr = load_json("internet_resource.json");
	struct portal_msg_resource *r = malloc(sizeof(*r));
	char why[PORTAL_MSG_WHY_MAX];

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(json_object_array_length(arr), 3);
	ck_assert_int_eq(portal_msg_parse_resource(json_object_array_get_idx(arr, 0), r,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(r->type, PORTAL_MSG_RES_CIDR);
	expect_ip(&r->cidr.ip, "172.172.0.0");
	ck_assert_uint_eq(r->cidr.prefix, 16);
	ck_assert_int_eq(portal_msg_parse_resource(json_object_array_get_idx(arr, 1), r,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(r->type, PORTAL_MSG_RES_DNS);
	ck_assert_str_eq(r->address, "gitlab.mycorp.com");
	ck_assert_str_eq(r->name, "gitlab.mycorp.com");
	ck_assert_int_eq(portal_msg_parse_resource(json_object_array_get_idx(arr, 2), r,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(r->type, PORTAL_MSG_RES_INTERNET);
	expect_uuid(&r->id, "1106047c-cd5d-4151-b679-96b93da7383b");
	ck_assert_uint_eq(r->n_filters, 0);
	ck_assert_str_eq(r->name, "");
	free(r);
	json_object_put(arr);
}
END_TEST

START_TEST(upstream_phoenix_events)
{
	struct portal_msg *m = must_parse("phoenix_token_expired.json", PORTAL_MSG_DISCONNECT);
	char why[PORTAL_MSG_WHY_MAX];

	ck_assert_int_eq(m->u.disconnect.reason, PORTAL_MSG_DISCONNECT_TOKEN_EXPIRED);
	ck_assert_int_eq(parse_frame("phoenix_can_deserialize_inbound_message.json", m,
	    why, sizeof(why)), PORTAL_MSG_E_UNKNOWN_EVENT);
	ck_assert_ptr_nonnull(strstr(why, "'shout'"));
	ck_assert(all_zero(m, sizeof(*m)));
	done(m);
}
END_TEST

/* ---- spec examples ------------------------------------------------------ */

START_TEST(spec_init_dual_stack)
{
	struct portal_msg *m = must_parse("spec_init.json", PORTAL_MSG_INIT);
	struct portal_msg_relay *r = &m->u.init.relays.relays[0];

	expect_v4(&m->u.init.ipv4, "100.64.0.7");
	expect_v6(&m->u.init.ipv6, "fd00:2021:1111::7");
	ck_assert(m->u.init.ipv4_masquerade_enabled);
	ck_assert(!m->u.init.ipv6_masquerade_enabled);
	ck_assert_uint_eq(m->u.init.relays.n, 1);	/* two entries, one relay */
	expect_uuid(&r->id, "a1b2c3d4-0000-4000-8000-000000000001");
	ck_assert(r->has_v4 && r->has_v6);
	expect_sa(&r->v4, "203.0.113.10", 3478);
	expect_sa(&r->v6, "2001:db8::10", 3478);
	ck_assert_str_eq(r->username, "1731542400:q8Zr2mX9LwB3kT5vN7yH1a");
	ck_assert_str_eq(r->password, "3m4oXl0cQy9U2bR8fK6tZ1wV5sN7pA2dE4gH6jL8nM0");
	ck_assert_int_eq(r->expires_at, 1731542400);
	done(m);
}
END_TEST

START_TEST(spec_relays_presence)
{
	struct portal_msg *m = must_parse("spec_relays_presence.json",
	    PORTAL_MSG_RELAYS_PRESENCE);

	ck_assert_uint_eq(m->u.relays_presence.n_disconnected, 1);
	expect_uuid(&m->u.relays_presence.disconnected_ids[0],
	    "a1b2c3d4-0000-4000-8000-000000000001");
	ck_assert_uint_eq(m->u.relays_presence.connected.n, 1);
	expect_sa(&m->u.relays_presence.connected.relays[0].v4, "198.51.100.20", 3478);
	done(m);
}
END_TEST

START_TEST(spec_authorize_flow)
{
	struct portal_msg *m = must_parse("spec_authorize_flow.json", PORTAL_MSG_AUTHORIZE_FLOW);
	struct portal_msg_authorize_flow *a = &m->u.authorize_flow;

	ck_assert_str_eq(a->ref, "SFMyNTY.EXAMPLE-SIGNED-REF.EXAMPLESIG");
	expect_uuid(&a->client.id, "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58");
	expect_key(a->client.public_key, "NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV8=");
	expect_key(a->client.preshared_key, "Iz7fpYyEhHcS6RFXJTOQfcRnccKvAizqB2a0ItRPMeU=");
	expect_v4(&a->client.ipv4, "100.70.1.9");
	expect_v6(&a->client.ipv6, "fd00:2021:1111::1:9");
	ck_assert_str_eq(a->resource.name, "Office LAN");
	expect_ip(&a->resource.cidr.ip, "10.10.0.0");
	ck_assert_uint_eq(a->resource.cidr.prefix, 16);
	ck_assert_uint_eq(a->resource.n_filters, 2);
	expect_filter(&a->resource.filters[0], PORTAL_MSG_PROTO_TCP, 443, 443);
	expect_filter(&a->resource.filters[1], PORTAL_MSG_PROTO_ICMP, 0, 0);
	ck_assert_str_eq(a->client_ice.username, "olnq");
	ck_assert_str_eq(a->gateway_ice.password, "4ogfjxm7glowoz66eh6aaa");
	ck_assert_int_eq(a->expires_at, 1731600000);
	done(m);
}
END_TEST

START_TEST(spec_request_connection)
{
	struct portal_msg *m = must_parse("spec_request_connection.json",
	    PORTAL_MSG_REQUEST_CONNECTION);
	struct portal_msg_request_connection *r = &m->u.request_connection;

	ck_assert_str_eq(r->ref, "SFMyNTY.EXAMPLE-LEGACY-REF.EXAMPLESIG");
	ck_assert_int_eq(r->resource.type, PORTAL_MSG_RES_DNS);
	ck_assert_str_eq(r->resource.address, "*.git.example.com");
	ck_assert_uint_eq(r->resource.n_filters, 0);
	ck_assert_str_eq(r->client_ice.username, "Ab3d");
	ck_assert_str_eq(r->domain.name, "repo.git.example.com");
	ck_assert_uint_eq(r->domain.n_proxy_ips, 4);
	expect_ip(&r->domain.proxy_ips[2], "fd00:2021:1111:8000::");
	done(m);
}
END_TEST

START_TEST(spec_allow_access)
{
	struct portal_msg *m = must_parse("spec_allow_access.json", PORTAL_MSG_ALLOW_ACCESS);
	struct portal_msg_allow_access *a = &m->u.allow_access;

	ck_assert_str_eq(a->ref, "SFMyNTY.EXAMPLE-ALLOW-REF.EXAMPLESIG");
	expect_uuid(&a->client_id, "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58");
	ck_assert_int_eq(a->resource.type, PORTAL_MSG_RES_INTERNET);
	expect_uuid(&a->resource.id, "1106047c-0000-4000-8000-00000000cafe");
	ck_assert(a->has_expires_at);
	ck_assert_int_eq(a->expires_at, 1731600000);
	ck_assert(!a->has_payload);
	expect_v4(&a->client_ipv4, "100.70.1.9");
	expect_v6(&a->client_ipv6, "fd00:2021:1111::1:9");
	done(m);
}
END_TEST

START_TEST(spec_small_events)
{
	struct portal_msg *m = must_parse("spec_reject_access.json", PORTAL_MSG_REJECT_ACCESS);

	expect_uuid(&m->u.reject_access.client_id, "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58");
	expect_uuid(&m->u.reject_access.resource_id, "b2c3d4e5-3333-4444-8555-666677778888");
	done(m);

	m = must_parse("spec_resource_updated.json", PORTAL_MSG_RESOURCE_UPDATED);
	ck_assert_uint_eq(m->u.resource_updated.n_filters, 1);
	expect_filter(&m->u.resource_updated.filters[0], PORTAL_MSG_PROTO_UDP, 53, 53);
	done(m);

	m = must_parse("spec_ice_candidates.json", PORTAL_MSG_ICE_CANDIDATES);
	ck_assert_uint_eq(m->u.ice_candidates.n_candidates, 2);
	ck_assert_str_eq(m->u.ice_candidates.candidates[1],
	    "candidate:987654321 1 udp 1694498815 198.51.100.7 41000 typ srflx raddr 0.0.0.0 rport 0");
	done(m);

	m = must_parse("spec_disconnect.json", PORTAL_MSG_DISCONNECT);
	ck_assert_int_eq(m->u.disconnect.reason, PORTAL_MSG_DISCONNECT_TOKEN_EXPIRED);
	done(m);
}
END_TEST

/* ---- broken variants ---------------------------------------------------- */

static int
code_by_name(const char *s)
{
	static const struct {
		const char *name;
		int code;
	} t[] = {
		{ "E_JSON", PORTAL_MSG_E_JSON },
		{ "E_JSON_INCOMPLETE", PORTAL_MSG_E_JSON_INCOMPLETE },
		{ "E_UNKNOWN_EVENT", PORTAL_MSG_E_UNKNOWN_EVENT },
		{ "E_MISSING", PORTAL_MSG_E_MISSING },
		{ "E_TYPE", PORTAL_MSG_E_TYPE },
		{ "E_UNKNOWN_TAG", PORTAL_MSG_E_UNKNOWN_TAG },
		{ "E_UUID", PORTAL_MSG_E_UUID },
		{ "E_KEY", PORTAL_MSG_E_KEY },
		{ "E_ADDR", PORTAL_MSG_E_ADDR },
		{ "E_CIDR", PORTAL_MSG_E_CIDR },
		{ "E_PORT_RANGE", PORTAL_MSG_E_PORT_RANGE },
		{ "E_RANGE", PORTAL_MSG_E_RANGE },
		{ "E_TOO_MANY", PORTAL_MSG_E_TOO_MANY },
		{ "E_TOO_LONG", PORTAL_MSG_E_TOO_LONG },
		{ "E_STRING", PORTAL_MSG_E_STRING },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].code;
	ck_abort_msg("unknown code name %s", s);
	return 0;
}

/* Secrets that appear in the spec fixtures; no reason line may show them. */
static const char *const secret_bits[] = {
	"Iz7fpYyEhHcS6RFXJTOQ",		/* PSK */
	"3m4oXl0cQy9U2bR8fK6t",		/* TURN password */
	"inqji4g4m45qxnmmru57",		/* ICE password */
	"SFMyNTY.EXAMPLE",		/* ref */
	"AAECAwQFBgcICQoLDA0O",		/* base64 of bytes 0..n (bad PSKs) */
	"AQEBAQEBAQEBAQEBAQEB",
};

START_TEST(bad_variants)
{
	char *list = read_file(FIX "bad/cases.txt", NULL), *line, *save = NULL;
	struct portal_msg *m = malloc(sizeof(*m));
	size_t ncases = 0, nfiles = 0, i;
	DIR *d;
	struct dirent *de;

	ck_assert_ptr_nonnull(m);
	for (line = strtok_r(list, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char file[128], code[32], path[128], fpath[256], why[PORTAL_MSG_WHY_MAX];
		int want, rc;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		ck_assert_int_eq(sscanf(line, "%127s %31s %127s", file, code, path), 3);
		want = code_by_name(code);
		memset(m, 0x5a, sizeof(*m));
		snprintf(fpath, sizeof(fpath), "bad/%s", file);
		if (strncmp(file, "text-", 5) == 0) {
			size_t len;
			char full[320];
			char *text;

			snprintf(full, sizeof(full), FIX "%s", fpath);
			text = read_file(full, &len);
			rc = portal_msg_parse_text("init", text, len, m, why, sizeof(why));
			free(text);
		} else {
			rc = parse_frame(fpath, m, why, sizeof(why));
		}
		ck_assert_msg(rc == want, "%s: got %d (%s), want %s (%d)", file, rc, why, code, want);
		ck_assert_msg(strstr(why, path) != NULL, "%s: reason '%s' does not name %s",
		    file, why, path);
		ck_assert_msg(strlen(why) < PORTAL_MSG_WHY_MAX && strchr(why, '\n') == NULL,
		    "%s: reason is not one short line", file);
		for (i = 0; i < sizeof(secret_bits) / sizeof(secret_bits[0]); i++)
			ck_assert_msg(strstr(why, secret_bits[i]) == NULL, "%s: reason shows a secret",
			    file);
		ck_assert_msg(all_zero(m, sizeof(*m)), "%s: struct not wiped after failure", file);
		ncases++;
	}
	free(list);
	ck_assert_uint_ge(ncases, 100);

	/* Every file in bad/ is a listed case. */
	d = opendir(FIX "bad");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".json") != NULL)
			nfiles++;
	closedir(d);
	ck_assert_uint_eq(nfiles, ncases);
	free(m);
}
END_TEST

/* ---- optional and quirk handling ---------------------------------------- */

static int
parse_mutated(const char *name, void (*mut)(json_object *payload), struct portal_msg *m,
    char *why, size_t whylen)
{
	json_object *root = load_json(name), *ev, *pl;
	int rc;

	json_object_object_get_ex(root, "event", &ev);
	json_object_object_get_ex(root, "payload", &pl);
	mut(pl);
	rc = portal_msg_parse(json_object_get_string(ev), pl, m, why, whylen);
	json_object_put(root);
	return rc;
}

static void
expires_null(json_object *p)
{
	json_object_object_add(p, "expires_at", NULL);
}

static void
expires_absent(json_object *p)
{
	json_object_object_del(p, "expires_at");
}

static void
add_unknown_fields(json_object *p)
{
	json_object_object_add(p, "future_field", json_object_new_string("x"));
	json_object_object_add(p, "flow_id", json_object_new_int(5));	/* sent, ignored */
	json_object_object_add(p, "actor", NULL);
}

START_TEST(optional_expiry_and_unknown_fields)
{
	struct portal_msg *m = malloc(sizeof(*m));
	char why[PORTAL_MSG_WHY_MAX];

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(parse_mutated("spec_authorize_flow.json", expires_null, m, why,
	    sizeof(why)), 0);
	ck_assert(!m->u.authorize_flow.has_expires_at);
	/* The reference refuses a missing key; the spec says accept it as null. */
	ck_assert_int_eq(parse_mutated("spec_authorize_flow.json", expires_absent, m, why,
	    sizeof(why)), 0);
	ck_assert(!m->u.authorize_flow.has_expires_at);
	ck_assert_int_eq(parse_mutated("spec_request_connection.json", expires_absent, m, why,
	    sizeof(why)), 0);
	ck_assert(!m->u.request_connection.has_expires_at);
	ck_assert_int_eq(parse_mutated("spec_allow_access.json", expires_null, m, why,
	    sizeof(why)), 0);
	ck_assert(!m->u.allow_access.has_expires_at);
	ck_assert_int_eq(parse_mutated("spec_authorize_flow.json", add_unknown_fields, m, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(m->type, PORTAL_MSG_AUTHORIZE_FLOW);
	done(m);
}
END_TEST

static void
relays_scattered(json_object *p)
{
	json_object *relays;

	/* entry 0: relay 1 v4; entry 1: STUN; entry 2: relay 2 v4;
	 * entry 3: relay 1 v6 (not adjacent); entry 4: relay 1 v4 again */
	relays = json_tokener_parse("["
	    "{\"id\":\"a1b2c3d4-0000-4000-8000-000000000001\",\"type\":\"turn\","
	    "\"addr\":\"203.0.113.10:3478\",\"username\":\"u1\",\"password\":\"p1\",\"expires_at\":10},"
	    "{\"id\":\"0bfc5e02-a093-423b-827b-002d7d2bb407\",\"type\":\"stun\",\"addr\":\"172.28.0.101:3478\"},"
	    "{\"id\":\"A1B2C3D4-0000-4000-8000-000000000002\",\"type\":\"turn\","
	    "\"addr\":\"198.51.100.20:3478\",\"username\":\"u2\",\"password\":\"p2\",\"expires_at\":20},"
	    "{\"id\":\"{a1b2c3d4-0000-4000-8000-000000000001}\",\"type\":\"turn\","
	    "\"addr\":\"[2001:db8::10]:3479\",\"username\":\"u3\",\"password\":\"p3\",\"expires_at\":30},"
	    "{\"id\":\"a1b2c3d4000040008000000000000001\",\"type\":\"turn\","
	    "\"addr\":\"203.0.113.99:3478\",\"username\":\"u4\",\"password\":\"p4\",\"expires_at\":40}]");
	ck_assert_ptr_nonnull(relays);
	json_object_object_add(p, "relays", relays);
}

START_TEST(relay_merging)
{
	struct portal_msg *m = malloc(sizeof(*m));
	struct portal_msg_relay_list *l;
	char why[PORTAL_MSG_WHY_MAX];

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(parse_mutated("spec_init.json", relays_scattered, m, why, sizeof(why)), 0);
	l = &m->u.init.relays;
	ck_assert_uint_eq(l->n, 2);
	ck_assert_uint_eq(l->n_stun_ignored, 1);
	expect_uuid(&l->relays[0].id, "a1b2c3d4-0000-4000-8000-000000000001");
	ck_assert(l->relays[0].has_v4 && l->relays[0].has_v6);
	expect_sa(&l->relays[0].v4, "203.0.113.10", 3478);	/* the first IPv4 wins */
	expect_sa(&l->relays[0].v6, "2001:db8::10", 3479);
	ck_assert_str_eq(l->relays[0].username, "u1");
	ck_assert_str_eq(l->relays[0].password, "p1");
	ck_assert_int_eq(l->relays[0].expires_at, 10);
	expect_uuid(&l->relays[1].id, "a1b2c3d4-0000-4000-8000-000000000002");
	ck_assert(l->relays[1].has_v4 && !l->relays[1].has_v6);
	done(m);
}
END_TEST

/* ---- value parsers ------------------------------------------------------ */

#define S(x) x, strlen(x)

START_TEST(value_uuid)
{
	struct portal_msg_uuid u, v;
	char s[PORTAL_MSG_UUID_STRLEN];

	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"), &u), 0);
	ck_assert_str_eq(portal_msg_uuid_fmt(&u, s), "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58");
	ck_assert_uint_eq(u.b[0], 0x0e);
	ck_assert_uint_eq(u.b[15], 0x58);
	ck_assert_int_eq(portal_msg_parse_uuid(S("0E9A6C1F-5D2B-4A7E-8C33-9B1F4D6A2E58"), &v), 0);
	ck_assert_mem_eq(&u, &v, sizeof(u));
	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f5d2b4a7e8c339b1f4d6a2e58"), &v), 0);
	ck_assert_mem_eq(&u, &v, sizeof(u));
	ck_assert_int_eq(portal_msg_parse_uuid(S("{0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58}"), &v), 0);
	ck_assert_mem_eq(&u, &v, sizeof(u));
	ck_assert_int_eq(portal_msg_parse_uuid(S("urn:uuid:0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"),
	    &v), 0);
	ck_assert_mem_eq(&u, &v, sizeof(u));

	ck_assert_int_eq(portal_msg_parse_uuid(S(""), &v), PORTAL_MSG_E_UUID);
	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e5"), &v),
	    PORTAL_MSG_E_UUID);
	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58 "), &v),
	    PORTAL_MSG_E_UUID);
	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f-5d2b-4a7e-8c339b1f4d6a2e58a"), &v),
	    PORTAL_MSG_E_UUID);
	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f_5d2b_4a7e_8c33_9b1f4d6a2e58"), &v),
	    PORTAL_MSG_E_UUID);
	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1g-5d2b-4a7e-8c33-9b1f4d6a2e58"), &v),
	    PORTAL_MSG_E_UUID);
	ck_assert_int_eq(portal_msg_parse_uuid(S("+e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"), &v),
	    PORTAL_MSG_E_UUID);
}
END_TEST

START_TEST(value_key)
{
	uint8_t k[32], zero[32] = { 0 };
	static const char *const bad[] = {
		"",
		"NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV8",		/* no padding */
		"NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV8==",	/* extra pad */
		"NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV9=",	/* trailing bits */
		"NsBu8PPyp-ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV8=",	/* URL-safe */
		"NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1t V8=",
		"NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1t=V8",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",	/* 31 bytes */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",	/* 33 bytes */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIj",	/* 36 bytes */
	};
	size_t i;

	ck_assert_int_eq(portal_msg_parse_key(S("NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV8="), k), 0);
	expect_key(k, "NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV8=");
	ck_assert_int_eq(portal_msg_parse_key(S("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), k), 0);
	ck_assert_mem_eq(k, zero, 32);
	ck_assert_int_eq(portal_msg_parse_key(S("//////////////////////////////////////////8="), k), 0);
	ck_assert_uint_eq(k[0], 0xff);
	ck_assert_uint_eq(k[31], 0xff);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(portal_msg_parse_key(S(bad[i]), k) == PORTAL_MSG_E_KEY, "accepted %s",
		    bad[i]);
}
END_TEST

START_TEST(value_cidr)
{
	struct portal_msg_cidr c;
	static const char *const bad[] = {
		"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0", "/8", "10.0.0.0/08",
		"10.0.0.0/+8", "10.0.0.0/8/8", "fd00::1/64", "fd00::/129", "::/1000",
		"10.0.0.0/ 8", "010.0.0.0/8", "fd00::%1/64", "",
	};
	size_t i;

	ck_assert_int_eq(portal_msg_parse_cidr(S("10.0.0.0/8"), &c), 0);
	expect_ip(&c.ip, "10.0.0.0");
	ck_assert_uint_eq(c.prefix, 8);
	ck_assert_int_eq(portal_msg_parse_cidr(S("0.0.0.0/0"), &c), 0);
	ck_assert_uint_eq(c.prefix, 0);
	ck_assert_int_eq(portal_msg_parse_cidr(S("192.0.2.7/32"), &c), 0);
	ck_assert_uint_eq(c.prefix, 32);
	ck_assert_int_eq(portal_msg_parse_cidr(S("fd00:2021:1111::/107"), &c), 0);
	ck_assert_int_eq(c.ip.family, AF_INET6);
	ck_assert_uint_eq(c.prefix, 107);
	ck_assert_int_eq(portal_msg_parse_cidr(S("fd00::1/128"), &c), 0);
	ck_assert_int_eq(portal_msg_parse_cidr(S("::/0"), &c), 0);
	ck_assert_int_eq(portal_msg_parse_cidr(S("10.1.0.0/15"), &c), PORTAL_MSG_E_CIDR);
	ck_assert_int_eq(portal_msg_parse_cidr(S("10.0.0.0/15"), &c), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(portal_msg_parse_cidr(S(bad[i]), &c) == PORTAL_MSG_E_CIDR,
		    "accepted %s", bad[i]);
}
END_TEST

/* Proxy IPs (issue 19): only 100.96.0.0/11 and fd00:2021:1111:8000::/107. */
START_TEST(value_proxy_range)
{
	static const char *const ok[] = {
		"100.96.0.0", "100.96.0.1", "100.127.255.255", "fd00:2021:1111:8000::",
		"fd00:2021:1111:8000::1", "fd00:2021:1111:8000::1f:ffff",
	};
	static const char *const bad[] = {
		"172.31.201.99", "172.31.201.98", "100.64.0.5", "100.95.255.255", "100.128.0.0",
		"10.0.0.1", "0.0.0.0", "2001:db8::1", "fd00:2021:1111::1", "fd00:2021:1111::4:4616",
		"fd00:2021:1111:8000::20:0", "fd00:2021:1111:8001::", "::ffff:100.96.0.1", "::",
	};
	struct portal_msg_ip ip;
	struct portal_msg *m = malloc(sizeof(*m));
	char why[PORTAL_MSG_WHY_MAX];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(portal_msg_parse_ip(S(ok[i]), &ip), 0);
		ck_assert_msg(portal_msg_proxy_ip_ok(&ip), "refused %s", ok[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(portal_msg_parse_ip(S(bad[i]), &ip), 0);
		ck_assert_msg(!portal_msg_proxy_ip_ok(&ip), "accepted %s", bad[i]);
	}
	ck_assert_int_eq(portal_msg_proxy_ip_ok(NULL), 0);
	memset(&ip, 0, sizeof(ip));
	ip.family = AF_UNIX;
	ck_assert_int_eq(portal_msg_proxy_ip_ok(&ip), 0);

	/* The whole request is refused, and the reason says which IP and why. */
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(parse_frame("bad/request_connection-domain-proxy-lan.json", m, why,
	    sizeof(why)), PORTAL_MSG_E_ADDR);
	ck_assert_msg(strstr(why, "'172.31.201.99' outside 100.96.0.0/11 and "
	    "fd00:2021:1111:8000::/107") != NULL, "reason: %s", why);
	ck_assert_int_eq(m->type, PORTAL_MSG_NONE);
	ck_assert_int_eq(parse_frame("bad/allow_access-payload-proxy-client-range.json", m, why,
	    sizeof(why)), PORTAL_MSG_E_ADDR);
	ck_assert_msg(strstr(why, "'100.64.0.5'") != NULL, "reason: %s", why);
	/* Nine proxies for one name are refused; eight pass (the legacy fixture). */
	ck_assert_int_eq(parse_frame("bad/request_connection-domain-proxy-nine.json", m, why,
	    sizeof(why)), PORTAL_MSG_E_TOO_MANY);
	ck_assert_int_eq(PORTAL_MSG_PROXY_IPS_MAX, 8);
	free(m);
}
END_TEST

START_TEST(value_addr)
{
	struct portal_msg_sockaddr sa;
	struct portal_msg_ip ip;
	static const char *const bad_sa[] = {
		"203.0.113.10", "203.0.113.10:", "203.0.113.10:0", "203.0.113.10:65536",
		"203.0.113.10:-1", "203.0.113.10:34 78", "2001:db8::10:3478", "[2001:db8::10]",
		"[2001:db8::10]3478", "[203.0.113.10]:3478", "[2001:db8::10%1]:3478",
		"relay.example.com:3478", ":3478", "", "[]:1",
	};
	size_t i;

	ck_assert_int_eq(portal_msg_parse_sockaddr(S("203.0.113.10:3478"), &sa), 0);
	expect_sa(&sa, "203.0.113.10", 3478);
	ck_assert_int_eq(portal_msg_parse_sockaddr(S("[2001:db8::10]:65535"), &sa), 0);
	expect_sa(&sa, "2001:db8::10", 65535);
	for (i = 0; i < sizeof(bad_sa) / sizeof(bad_sa[0]); i++)
		ck_assert_msg(portal_msg_parse_sockaddr(S(bad_sa[i]), &sa) == PORTAL_MSG_E_ADDR,
		    "accepted %s", bad_sa[i]);

	ck_assert_int_eq(portal_msg_parse_ip(S("::ffff:192.0.2.1"), &ip), 0);
	ck_assert_int_eq(ip.family, AF_INET6);
	ck_assert_int_eq(portal_msg_parse_ip(S("100.64.0.7"), &ip), 0);
	ck_assert_int_eq(ip.family, AF_INET);
	ck_assert_int_eq(portal_msg_parse_ip(S("100.64.0.07"), &ip), PORTAL_MSG_E_ADDR);
	ck_assert_int_eq(portal_msg_parse_ip(S("100.64.7"), &ip), PORTAL_MSG_E_ADDR);
	ck_assert_int_eq(portal_msg_parse_ip("1.2.3.4\0junk", 12, &ip), PORTAL_MSG_E_ADDR);
	ck_assert_int_eq(portal_msg_parse_ip(S("fd00::1 "), &ip), PORTAL_MSG_E_ADDR);
}
END_TEST

/* ---- misc API ----------------------------------------------------------- */

START_TEST(names_and_errors)
{
	int t;

	for (t = PORTAL_MSG_INIT; t <= PORTAL_MSG_DISCONNECT; t++)
		ck_assert_int_eq(portal_msg_event_type(portal_msg_event_name(t)), t);
	ck_assert_int_eq(portal_msg_event_type("phx_reply"), PORTAL_MSG_NONE);
	ck_assert_int_eq(portal_msg_event_type("INIT"), PORTAL_MSG_NONE);
	ck_assert_int_eq(portal_msg_event_type(NULL), PORTAL_MSG_NONE);
	ck_assert_str_eq(portal_msg_event_name(PORTAL_MSG_NONE), "?");
	ck_assert_str_eq(portal_msg_event_name((enum portal_msg_type)99), "?");
	for (t = PORTAL_MSG_E_STRING; t <= 0; t++)
		ck_assert_str_ne(portal_msg_strerror(t), "unknown error");
	ck_assert_str_eq(portal_msg_strerror(-1000), "unknown error");
}
END_TEST

START_TEST(clear_and_wipe)
{
	struct portal_msg *m = must_parse("spec_authorize_flow.json", PORTAL_MSG_AUTHORIZE_FLOW);
	json_object *root = load_json("spec_authorize_flow.json"), *pl, *client, *psk;
	char why[PORTAL_MSG_WHY_MAX];

	ck_assert(!all_zero(m->u.authorize_flow.client.preshared_key, 32));
	portal_msg_clear(m);
	ck_assert(all_zero(m, sizeof(*m)));
	ck_assert_int_eq(m->type, PORTAL_MSG_NONE);
	portal_msg_clear(NULL);

	json_object_object_get_ex(root, "payload", &pl);
	json_object_object_get_ex(pl, "client", &client);
	json_object_object_get_ex(client, "preshared_key", &psk);
	ck_assert_int_eq(json_object_get_string_len(psk), 44);
	portal_msg_json_wipe(root);
	ck_assert(all_zero(json_object_get_string(psk), 44));
	/* After the wipe the frame no longer decodes (keys are gone). */
	ck_assert_int_lt(portal_msg_parse("authorize_flow", pl, m, why, sizeof(why)), 0);
	ck_assert(all_zero(m, sizeof(*m)));
	json_object_put(root);
	portal_msg_json_wipe(NULL);
	done(m);
}
END_TEST

START_TEST(parse_text_ok)
{
	static const char text[] =
	    "{\"client_id\":\"0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58\","
	    "\"resource_id\":\"b2c3d4e5-3333-4444-8555-666677778888\"}\r\n";
	struct portal_msg *m = malloc(sizeof(*m));
	char why[PORTAL_MSG_WHY_MAX];

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(portal_msg_parse_text("reject_access", text, sizeof(text) - 1, m,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(m->type, PORTAL_MSG_REJECT_ACCESS);
	/* Not NUL-terminated input: only len bytes are read. */
	ck_assert_int_eq(portal_msg_parse_text("reject_access", text, 20, m, why, sizeof(why)),
	    PORTAL_MSG_E_JSON_INCOMPLETE);
	ck_assert_int_eq(portal_msg_parse_text("reject_access", "", 0, m, why, sizeof(why)),
	    PORTAL_MSG_E_JSON_INCOMPLETE);
	ck_assert_int_eq(portal_msg_parse_text("reject_access", "nul", 3, m, why, sizeof(why)),
	    PORTAL_MSG_E_JSON_INCOMPLETE);
	ck_assert_int_eq(portal_msg_parse_text("reject_access", "[1,]", 4, m, why, sizeof(why)),
	    PORTAL_MSG_E_JSON);
	ck_assert_int_eq(portal_msg_parse_text("reject_access", "{} x", 4, m, why, sizeof(why)),
	    PORTAL_MSG_E_JSON);
	ck_assert_int_eq(portal_msg_parse_text("nope", "{}", 2, m, why, sizeof(why)),
	    PORTAL_MSG_E_UNKNOWN_EVENT);
	ck_assert_int_eq(portal_msg_parse(NULL, NULL, m, NULL, 0), PORTAL_MSG_E_INVAL);
	ck_assert_int_eq(portal_msg_parse("init", NULL, NULL, why, sizeof(why)),
	    PORTAL_MSG_E_INVAL);
	done(m);
}
END_TEST

/* A string with bytes json-c does not check: invalid UTF-8 and NUL. */
START_TEST(bad_bytes)
{
	struct portal_msg *m = malloc(sizeof(*m));
	char why[PORTAL_MSG_WHY_MAX];
	static const char inval[] = "{\"reason\":\"token_\xc3\x28xpired\"}";
	static const char nul[] = "{\"client_id\":\"0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58\","
	    "\"resource_id\":\"b2c3d4e5-3333-4444-8555-666677778888\\u0000\"}";
	static const char surrogate[] = "{\"ref\":\"\\ud800\",\"client_id\":\"x\"}";
	json_object *o;

	ck_assert_ptr_nonnull(m);
	/* The text path refuses bad UTF-8 in the tokenizer already ... */
	ck_assert_int_eq(portal_msg_parse_text("disconnect", inval, sizeof(inval) - 1, m, why,
	    sizeof(why)), PORTAL_MSG_E_JSON);
	/* ... and a tree built elsewhere is checked field by field. */
	o = json_object_new_object();
	json_object_object_add(o, "reason", json_object_new_string_len("token_\xc3\x28xpired", 14));
	ck_assert_int_eq(portal_msg_parse("disconnect", o, m, why, sizeof(why)),
	    PORTAL_MSG_E_STRING);
	ck_assert_ptr_nonnull(strstr(why, "UTF-8"));
	json_object_put(o);
	ck_assert_int_eq(portal_msg_parse_text("reject_access", nul, sizeof(nul) - 1, m, why,
	    sizeof(why)), PORTAL_MSG_E_STRING);
	ck_assert_ptr_nonnull(strstr(why, "resource_id"));
	ck_assert_int_lt(portal_msg_parse_text("allow_access", surrogate, sizeof(surrogate) - 1,
	    m, why, sizeof(why)), 0);
	ck_assert(all_zero(m, sizeof(*m)));
	free(m);
}
END_TEST

/* ---- outbound ----------------------------------------------------------- */

static void
expect_text(json_object *o, const char *want)
{
	char *t = portal_msg_json_text(o);

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, want);
	portal_msg_text_free(t);
}

START_TEST(out_flow_authorized)
{
	json_object *o = (json_object *)1;

	ck_assert_int_eq(portal_msg_build_flow_authorized("SFMyNTY.EXAMPLE-SIGNED-REF.EXAMPLESIG",
	    &o), 0);
	expect_text(o, "{\"ref\":\"SFMyNTY.EXAMPLE-SIGNED-REF.EXAMPLESIG\"}");
	json_object_put(o);

	/* A ref with '/' and '"' goes back unchanged (JSON-escaped only where needed). */
	ck_assert_int_eq(portal_msg_build_flow_authorized("a/b\"c", &o), 0);
	expect_text(o, "{\"ref\":\"a/b\\\"c\"}");
	json_object_put(o);

	ck_assert_int_eq(portal_msg_build_flow_authorized("", &o), PORTAL_MSG_E_INVAL);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(portal_msg_build_flow_authorized(NULL, &o), PORTAL_MSG_E_INVAL);
	ck_assert_int_eq(portal_msg_build_flow_authorized("\xff", &o), PORTAL_MSG_E_INVAL);
	ck_assert_int_eq(portal_msg_build_flow_authorized("x", NULL), PORTAL_MSG_E_INVAL);
}
END_TEST

START_TEST(out_connection_ready)
{
	struct portal_msg_ice_creds c;
	json_object *o;

	memset(&c, 0, sizeof(c));
	strcpy(c.username, "k3Xq");
	strcpy(c.password, "Zt0bQm4nYp8rWc2vHs6dLe");
	ck_assert_int_eq(portal_msg_build_connection_ready("SFMyNTY.EXAMPLE-LEGACY-REF.EXAMPLESIG",
	    &c, &o), 0);
	expect_text(o, "{\"ref\":\"SFMyNTY.EXAMPLE-LEGACY-REF.EXAMPLESIG\","
	    "\"gateway_payload\":{\"ConnectionAccepted\":{\"ice_parameters\":"
	    "{\"username\":\"k3Xq\",\"password\":\"Zt0bQm4nYp8rWc2vHs6dLe\"}}}}");
	portal_msg_json_wipe(o);
	json_object_put(o);

	strcpy(c.password, "");
	ck_assert_int_eq(portal_msg_build_connection_ready("r", &c, &o), PORTAL_MSG_E_INVAL);
	ck_assert_ptr_null(o);
	strcpy(c.password, "a:b");
	ck_assert_int_eq(portal_msg_build_connection_ready("r", &c, &o), PORTAL_MSG_E_INVAL);
	ck_assert_int_eq(portal_msg_build_connection_ready("r", NULL, &o), PORTAL_MSG_E_INVAL);
}
END_TEST

START_TEST(out_candidates)
{
	struct portal_msg_uuid id;
	static const char *const cands[] = {
		"candidate:22222 1 udp 16777215 203.0.113.10 61022 typ relay raddr 198.51.100.3 rport 40123",
		"candidate:11111 1 udp 2130706431 192.0.2.10 51820 typ host",
		"candidate:22222 1 udp 16777215 203.0.113.10 61022 typ relay raddr 198.51.100.3 rport 40123",
	};
	static const char *const badc[] = { "candidate:1 x", "bad\nline" };
	json_object *o;

	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"), &id), 0);
	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(&id, 1, cands, 3,
	    PORTAL_MSG_ORDER_BYTES, &o), 0);
	expect_text(o, "{\"client_ids\":[\"0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58\"],"
	    "\"candidates\":[\"candidate:11111 1 udp 2130706431 192.0.2.10 51820 typ host\","
	    "\"candidate:22222 1 udp 16777215 203.0.113.10 61022 typ relay raddr 198.51.100.3 rport 40123\"]}");
	json_object_put(o);

	ck_assert_int_eq(portal_msg_build_broadcast_invalidated_ice_candidates(&id, 1, cands, 1,
	    PORTAL_MSG_ORDER_BYTES, &o), 0);
	expect_text(o, "{\"client_ids\":[\"0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58\"],"
	    "\"candidates\":[\"candidate:22222 1 udp 16777215 203.0.113.10 61022 typ relay raddr 198.51.100.3 rport 40123\"]}");
	json_object_put(o);

	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(&id, 1, cands, 0,
	    PORTAL_MSG_ORDER_BYTES, &o),
	    PORTAL_MSG_E_INVAL);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(&id, 0, cands, 1,
	    PORTAL_MSG_ORDER_BYTES, &o),
	    PORTAL_MSG_E_INVAL);
	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(&id, 1, badc, 2,
	    PORTAL_MSG_ORDER_BYTES, &o),
	    PORTAL_MSG_E_INVAL);
	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(NULL, 1, cands, 1,
	    PORTAL_MSG_ORDER_BYTES, &o),
	    PORTAL_MSG_E_INVAL);
}
END_TEST

/* Round trip: what we build for candidates decodes as an inbound ICE event. */
START_TEST(out_roundtrip)
{
	struct portal_msg_uuid id;
	static const char *const cands[] = { "candidate:3 1 udp 5 192.0.2.1 9 typ host" };
	struct portal_msg *m = malloc(sizeof(*m));
	json_object *o, *ids;
	char why[PORTAL_MSG_WHY_MAX];

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(portal_msg_parse_uuid(S("2b1524e6-239e-4570-bc73-70a188e12101"), &id), 0);
	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(&id, 1, cands, 1,
	    PORTAL_MSG_ORDER_BYTES, &o), 0);
	ck_assert(json_object_object_get_ex(o, "client_ids", &ids));
	json_object_object_add(o, "client_id",
	    json_object_get(json_object_array_get_idx(ids, 0)));
	ck_assert_int_eq(portal_msg_parse("ice_candidates", o, m, why, sizeof(why)), 0);
	ck_assert_mem_eq(&m->u.ice_candidates.client_id, &id, sizeof(id));
	ck_assert_str_eq(m->u.ice_candidates.candidates[0], cands[0]);
	json_object_put(o);
	done(m);
}
END_TEST

/* ---- random mutations: never a crash, never a half-filled struct -------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Collect containers of the tree so one can be picked at random. */
static size_t
containers(json_object *v, json_object **out, size_t n, size_t max)
{
	size_t i, len;

	if (v == NULL || n >= max)
		return n;
	if (json_object_is_type(v, json_type_object)) {
		out[n++] = v;
		json_object_object_foreach(v, k, child) {
			(void)k;
			n = containers(child, out, n, max);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		out[n++] = v;
		len = json_object_array_length(v);
		for (i = 0; i < len; i++)
			n = containers(json_object_array_get_idx(v, i), out, n, max);
	}
	return n;
}

static json_object *
random_value(void)
{
	switch (rng() % 10) {
	case 0: return NULL;
	case 1: return json_object_new_int64(-1);
	case 2: return json_object_new_int64(INT64_MAX);
	case 3: return json_object_new_double(1.5);
	case 4: return json_object_new_string("");
	case 5: return json_object_new_string("10.0.0.0/8");
	case 6: return json_object_new_boolean(1);
	case 7: return json_object_new_object();
	case 8: return json_object_new_array();
	default: return json_object_new_string("0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58");
	}
}

static void
mutate(json_object *root)
{
	json_object *c[256];
	size_t n = containers(root, c, 0, 256), len, k;
	json_object *t;

	if (n == 0)
		return;
	t = c[rng() % n];
	if (json_object_is_type(t, json_type_object)) {
		const char *victim = NULL;

		k = rng() % (json_object_object_length(t) + 1);
		json_object_object_foreach(t, key, val) {
			(void)val;
			if (k-- == 0) {
				victim = key;
				break;
			}
		}
		if (victim == NULL)
			json_object_object_add(t, "extra", random_value());
		else if (rng() % 3 == 0)
			json_object_object_del(t, victim);
		else
			json_object_object_add(t, victim, random_value());
	} else {
		len = json_object_array_length(t);
		if (len == 0 || rng() % 4 == 0)
			json_object_array_add(t, random_value());
		else
			json_object_array_put_idx(t, rng() % len, random_value());
	}
}

START_TEST(random_mutations)
{
	static const char *const files[] = {
		"spec_init.json", "spec_relays_presence.json", "spec_authorize_flow.json",
		"spec_request_connection.json", "spec_allow_access.json", "spec_reject_access.json",
		"spec_resource_updated.json", "spec_ice_candidates.json", "spec_disconnect.json",
		"legacy_request_connection_message.json", "authorize_flow.json",
	};
	struct portal_msg *m = malloc(sizeof(*m));
	char why[PORTAL_MSG_WHY_MAX];
	size_t f, iter, ok = 0, bad = 0;

	ck_assert_ptr_nonnull(m);
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		json_object *orig = load_json(files[f]), *ev;
		const char *event;

		json_object_object_get_ex(orig, "event", &ev);
		event = json_object_get_string(ev);
		for (iter = 0; iter < 300; iter++) {
			json_object *copy = NULL, *pl = NULL;
			const char *text;
			char *mod;
			size_t len, k;
			int rc, j;

			ck_assert_int_eq(json_object_deep_copy(orig, &copy, NULL), 0);
			json_object_object_get_ex(copy, "payload", &pl);
			for (j = 0; j < 1 + (int)(rng() % 3); j++)
				mutate(pl);
			rc = portal_msg_parse(event, pl, m, why, sizeof(why));
			ck_assert_int_le(rc, 0);
			ck_assert_int_ge(rc, PORTAL_MSG_E_STRING);
			if (rc == 0) {
				ok++;
			} else {
				bad++;
				ck_assert(all_zero(m, sizeof(*m)));
				ck_assert(why[0] != '\0');
			}
			/* Byte flips on the payload text. */
			text = json_object_to_json_string_length(pl, JSON_C_TO_STRING_PLAIN, &len);
			mod = malloc(len + 1);
			ck_assert_ptr_nonnull(mod);
			memcpy(mod, text, len + 1);
			for (k = 0; k < 1 + rng() % 4 && len > 0; k++)
				mod[rng() % len] = (char)(rng() & 0xff);
			rc = portal_msg_parse_text(event, mod, rng() % (len + 1), m, why, sizeof(why));
			ck_assert_int_le(rc, 0);
			if (rc != 0)
				ck_assert(all_zero(m, sizeof(*m)));
			portal_msg_clear(m);
			free(mod);
			json_object_put(copy);
		}
		json_object_put(orig);
	}
	ck_assert_uint_gt(ok, 0);
	ck_assert_uint_gt(bad, 0);
	free(m);
}
END_TEST

/* ---- today's portal (issue 15) ------------------------------------------ */

static const char *const T_CLIENT = "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58";
static const char *const T_RES = "b2c3d4e5-3333-4444-8555-666677778888";

static void
assert_uuid(const struct portal_msg_uuid *u, const char *want)
{
	char s[PORTAL_MSG_UUID_STRLEN];

	ck_assert_str_eq(portal_msg_uuid_fmt(u, s), want);
}

/* create_authorization (v2 path) carries authorize_flow's payload plus
 * subject, use_iceless, flow_logs_ingest_token and device fields. */
START_TEST(today_create_authorization)
{
	struct portal_msg *m = must_parse("today/create_authorization.json",
	    PORTAL_MSG_CREATE_AUTHORIZATION);
	const struct portal_msg_authorize_flow *f = &m->u.authorize_flow;

	ck_assert_str_eq(f->ref, "SFMyNTY.EXAMPLE-SIGNED-REF.EXAMPLESIG");
	assert_uuid(&f->client.id, T_CLIENT);
	assert_uuid(&f->resource.id, T_RES);
	ck_assert_uint_eq(f->resource.n_filters, 1);
	ck_assert_str_eq(f->client_ice.username, "olnq");
	ck_assert_str_eq(f->gateway_ice.username, "g2gk");
	ck_assert(f->has_expires_at);
	ck_assert_int_eq(f->expires_at, 1788000000);
	ck_assert_str_eq(portal_msg_event_name(PORTAL_MSG_CREATE_AUTHORIZATION), "create_authorization");
	ck_assert_int_eq(portal_msg_event_type("access_authorization_expiry_updated"),
	    PORTAL_MSG_ACCESS_AUTHORIZATION_EXPIRY_UPDATED);
	portal_msg_clear(m);
	free(m);
}
END_TEST

/* init.authorizations: absent (older portal) is not the same as [] (revoke
 * all); account_slug and flow_logs are optional and ignored. */
START_TEST(today_init_authorizations)
{
	struct portal_msg *m = must_parse("today/init_authorizations.json", PORTAL_MSG_INIT);

	ck_assert(m->u.init.has_authorizations);
	ck_assert_uint_eq(m->u.init.n_authorizations, 2);
	assert_uuid(&m->u.init.authorizations[0].client_id, T_CLIENT);
	assert_uuid(&m->u.init.authorizations[0].resource_id, T_RES);
	ck_assert(m->u.init.authorizations[0].has_expires_at);
	ck_assert_int_eq(m->u.init.authorizations[0].expires_at, 1788000000);
	ck_assert(!m->u.init.authorizations[1].has_expires_at);
	ck_assert_uint_eq(m->u.init.relays.n, 1);
	ck_assert_int_eq(m->u.init.relays.relays[0].expires_at, 2145916800);
	free(m);

	m = must_parse("today/init_no_authorizations.json", PORTAL_MSG_INIT);
	ck_assert(!m->u.init.has_authorizations);
	ck_assert_uint_eq(m->u.init.n_authorizations, 0);
	free(m);

	m = must_parse("today/init_empty_authorizations.json", PORTAL_MSG_INIT);
	ck_assert(m->u.init.has_authorizations);
	ck_assert_uint_eq(m->u.init.n_authorizations, 0);
	free(m);
}
END_TEST

START_TEST(today_expiry_updated)
{
	struct portal_msg *m = must_parse("today/access_authorization_expiry_updated.json",
	    PORTAL_MSG_ACCESS_AUTHORIZATION_EXPIRY_UPDATED);

	assert_uuid(&m->u.expiry_updated.client_id, T_CLIENT);
	assert_uuid(&m->u.expiry_updated.resource_id, T_RES);
	ck_assert(m->u.expiry_updated.has_expires_at);
	ck_assert_int_eq(m->u.expiry_updated.expires_at, 1788000000);
	free(m);
}
END_TEST

/* Inbound candidate arrays skip the entries they cannot use instead of
 * refusing the frame (upstream's VecSkipError). */
START_TEST(today_candidates_skip)
{
	static const char *const files[] = { "today/ice_candidates-huge.json",
	    "today/ice_candidates-not-string.json", "today/ice_candidates-newline.json" };
	struct portal_msg *m;
	size_t i;
	uint32_t prio = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		m = must_parse(files[i], PORTAL_MSG_ICE_CANDIDATES);
		ck_assert_msg(m->u.ice_candidates.n_candidates == 1, "%s", files[i]);
		ck_assert_msg(strncmp(m->u.ice_candidates.candidates[0], "candidate:", 10) == 0,
		    "%s", files[i]);
		free(m);
	}
	ck_assert_int_eq(portal_msg_candidate_priority(S("candidate:1 1 udp 2130706431 192.0.2.1 1 typ host"),
	    &prio), 0);
	ck_assert_uint_eq(prio, 2130706431u);
	ck_assert_int_ne(portal_msg_candidate_priority(S("candidate:1 1 udp x 192.0.2.1 1 typ host"), NULL), 0);
	ck_assert_int_ne(portal_msg_candidate_priority(S("candidate:1 1 udp"), NULL), 0);
	ck_assert_int_ne(portal_msg_candidate_priority(S("candidate:1 1 udp 4294967296 a 1"), NULL), 0);
	ck_assert_int_ne(portal_msg_candidate_priority(S("a=candidate:1 1 udp 1 a 1"), NULL), 0);
}
END_TEST

/* Outbound candidates: descending priority, ties in byte order. */
START_TEST(today_out_candidates_priority)
{
	struct portal_msg_uuid id;
	static const char *const cands[] = {
		"candidate:1 1 udp 100 192.0.2.1 1 typ relay",
		"candidate:2 1 udp 300 192.0.2.2 2 typ host",
		"candidate:0 1 udp 200 192.0.2.3 3 typ srflx",
		"candidate:3 1 udp 100 192.0.2.0 4 typ relay",
	};
	json_object *o;

	ck_assert_int_eq(portal_msg_parse_uuid(S("0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"), &id), 0);
	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(&id, 1, cands, 4, PORTAL_MSG_ORDER_PRIORITY,
	    &o), 0);
	expect_text(o, "{\"client_ids\":[\"0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58\"],\"candidates\":["
	    "\"candidate:2 1 udp 300 192.0.2.2 2 typ host\","
	    "\"candidate:0 1 udp 200 192.0.2.3 3 typ srflx\","
	    "\"candidate:1 1 udp 100 192.0.2.1 1 typ relay\","
	    "\"candidate:3 1 udp 100 192.0.2.0 4 typ relay\"]}");
	json_object_put(o);
	/* v1 (the 2024 gateway): byte order. */
	ck_assert_int_eq(portal_msg_build_broadcast_ice_candidates(&id, 1, cands, 4, PORTAL_MSG_ORDER_BYTES,
	    &o), 0);
	expect_text(o, "{\"client_ids\":[\"0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58\"],\"candidates\":["
	    "\"candidate:0 1 udp 200 192.0.2.3 3 typ srflx\","
	    "\"candidate:1 1 udp 100 192.0.2.1 1 typ relay\","
	    "\"candidate:2 1 udp 300 192.0.2.2 2 typ host\","
	    "\"candidate:3 1 udp 100 192.0.2.0 4 typ relay\"]}");
	json_object_put(o);
}
END_TEST

START_TEST(today_out_messages)
{
	json_object *o = NULL;

	ck_assert_int_eq(portal_msg_build_authorization_created("SFMyNTY.x", &o), 0);
	expect_text(o, "{\"ref\":\"SFMyNTY.x\"}");
	json_object_put(o);
	ck_assert_int_eq(portal_msg_build_authorization_created("", &o), PORTAL_MSG_E_INVAL);
	ck_assert_int_eq(portal_msg_build_no_relays(&o), 0);
	expect_text(o, "{}");
	json_object_put(o);
	ck_assert_int_eq(portal_msg_build_set_snownet_capabilities(&o), 0);
	expect_text(o, "{\"iceless\":false}");
	json_object_put(o);
	ck_assert_int_eq(portal_msg_build_no_relays(NULL), PORTAL_MSG_E_INVAL);
}
END_TEST

static Suite *
portal_msg_suite(void)
{
	Suite *s = suite_create("portal_msg");
	TCase *up = tcase_create("upstream fixtures");
	TCase *sp = tcase_create("spec examples");
	TCase *bad = tcase_create("broken variants");
	TCase *val = tcase_create("values");
	TCase *out = tcase_create("outbound");
	TCase *today = tcase_create("today's portal");

	tcase_add_test(up, upstream_authorize_flow);
	tcase_add_test(up, upstream_init);
	tcase_add_test(up, upstream_invalidate_ice_candidates);
	tcase_add_test(up, upstream_legacy_request_connection);
	tcase_add_test(up, upstream_request_connection);
	tcase_add_test(up, upstream_relays_presence);
	tcase_add_test(up, upstream_resource_updated);
	tcase_add_test(up, upstream_filters);
	tcase_add_test(up, upstream_internet_resource);
	tcase_add_test(up, upstream_phoenix_events);
	suite_add_tcase(s, up);

	tcase_add_test(sp, spec_init_dual_stack);
	tcase_add_test(sp, spec_relays_presence);
	tcase_add_test(sp, spec_authorize_flow);
	tcase_add_test(sp, spec_request_connection);
	tcase_add_test(sp, spec_allow_access);
	tcase_add_test(sp, spec_small_events);
	tcase_add_test(sp, optional_expiry_and_unknown_fields);
	tcase_add_test(sp, relay_merging);
	suite_add_tcase(s, sp);

	tcase_add_test(bad, bad_variants);
	tcase_add_test(bad, bad_bytes);
	tcase_add_test(bad, parse_text_ok);
	tcase_add_test(bad, random_mutations);
	suite_add_tcase(s, bad);

	tcase_add_test(val, value_uuid);
	tcase_add_test(val, value_key);
	tcase_add_test(val, value_cidr);
	tcase_add_test(val, value_addr);
	tcase_add_test(val, value_proxy_range);
	tcase_add_test(val, names_and_errors);
	tcase_add_test(val, clear_and_wipe);
	suite_add_tcase(s, val);

	tcase_add_test(out, out_flow_authorized);
	tcase_add_test(out, out_connection_ready);
	tcase_add_test(out, out_candidates);
	tcase_add_test(out, out_roundtrip);
	tcase_add_test(today, today_create_authorization);
	tcase_add_test(today, today_init_authorizations);
	tcase_add_test(today, today_expiry_updated);
	tcase_add_test(today, today_candidates_skip);
	tcase_add_test(today, today_out_candidates_priority);
	tcase_add_test(today, today_out_messages);
	suite_add_tcase(s, out);
	suite_add_tcase(s, today);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(portal_msg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
