/* Unit suite for control/authz and control/relays. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "relays.h"

static struct authz A;

static struct portal_msg_uuid
uuid(unsigned n)
{
	struct portal_msg_uuid u;

	memset(&u, 0, sizeof(u));
	memcpy(u.b, &n, sizeof(n));
	u.b[15] = 0x5a;
	return u;
}

static struct portal_msg_resource
res(unsigned n, uint8_t type)
{
	struct portal_msg_resource r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.id = uuid(1000000 + n);
	strcpy(r.address, "10.0.0.0/24");
	r.n_filters = 1;
	r.filters[0].protocol = PORTAL_MSG_PROTO_TCP;
	r.filters[0].port_start = 80;
	r.filters[0].port_end = 80;
	return r;
}

START_TEST(grant_keeps_first_addresses_and_renews_expiry)
{
	struct portal_msg_uuid c = uuid(1);
	struct portal_msg_resource r = res(1, PORTAL_MSG_RES_CIDR);
	struct in_addr a1 = { htonl(0x64400001) }, a2 = { htonl(0x64400002) };
	struct in6_addr v6;
	struct authz_client *cl;
	int added;

	memset(&v6, 0, sizeof(v6));
	authz_init(&A);
	ck_assert_int_eq(authz_grant(&A, &c, &a1, &v6, &r, 1, 100, &added), AUTHZ_OK);
	ck_assert_int_eq(added, 1);
	r.filters[0].port_end = 90;
	ck_assert_int_eq(authz_grant(&A, &c, &a2, &v6, &r, 1, 200, &added), AUTHZ_OK);
	ck_assert_int_eq(added, 0);
	cl = authz_find(&A, &c);
	ck_assert_ptr_nonnull(cl);
	ck_assert_uint_eq(cl->ipv4.s_addr, a1.s_addr);
	ck_assert_uint_eq(cl->n_res, 1);
	ck_assert_int_eq(cl->res[0].expires_at, 200);
	ck_assert_uint_eq(cl->res[0].desc.filters[0].port_end, 90);
	authz_clear(&A);
}
END_TEST

START_TEST(reject_and_expire)
{
	struct portal_msg_uuid c = uuid(2), other = uuid(3);
	struct portal_msg_resource r1 = res(1, PORTAL_MSG_RES_CIDR), r2 = res(2, PORTAL_MSG_RES_DNS);
	int added, gone;
	int64_t next;

	authz_init(&A);
	authz_grant(&A, &c, NULL, NULL, &r1, 1, 50, &added);
	authz_grant(&A, &c, NULL, NULL, &r2, 0, 0, &added);
	ck_assert_int_eq(authz_reject(&A, &other, &r1.id, &gone), AUTHZ_ENOENT);
	ck_assert_int_eq(authz_reject(&A, &c, &other, &gone), AUTHZ_ENOENT);
	ck_assert_uint_eq(authz_expire(&A, 49, NULL, NULL, NULL, &next), 0);
	ck_assert_int_eq(next, 50);
	ck_assert_uint_eq(authz_expire(&A, 50, NULL, NULL, NULL, &next), 1);
	ck_assert_int_eq(next, INT64_MAX);
	ck_assert_uint_eq(A.n_clients, 1);
	ck_assert_int_eq(authz_reject(&A, &c, &r2.id, &gone), AUTHZ_OK);
	ck_assert_int_eq(gone, 1);
	ck_assert_uint_eq(A.n_clients, 0);
	ck_assert_ptr_null(authz_find(&A, &c));
	authz_clear(&A);
}
END_TEST

START_TEST(resource_updated_filters_only)
{
	struct portal_msg_uuid c1 = uuid(4), c2 = uuid(5);
	struct portal_msg_resource r = res(7, PORTAL_MSG_RES_CIDR), u;
	int added;

	authz_init(&A);
	authz_grant(&A, &c1, NULL, NULL, &r, 0, 0, &added);
	authz_grant(&A, &c2, NULL, NULL, &r, 0, 0, &added);
	u = r;
	strcpy(u.address, "192.168.0.0/16");
	u.n_filters = 0;
	ck_assert_int_eq(authz_resource_updated(&A, &u), 2);
	ck_assert_uint_eq(authz_find(&A, &c1)->res[0].desc.n_filters, 0);
	ck_assert_str_eq(authz_find(&A, &c1)->res[0].desc.address, "10.0.0.0/24");
	u.type = PORTAL_MSG_RES_DNS;
	ck_assert_int_eq(authz_resource_updated(&A, &u), AUTHZ_ETYPE);
	authz_clear(&A);
}
END_TEST

START_TEST(peer_credentials)
{
	struct portal_msg_peer p;
	struct portal_msg_ice_creds remote, local;
	struct authz_client *c;

	memset(&p, 0, sizeof(p));
	p.id = uuid(9);
	memset(p.preshared_key, 7, sizeof(p.preshared_key));
	strcpy(remote.username, "ru");
	strcpy(remote.password, "rp");
	strcpy(local.username, "lu");
	strcpy(local.password, "lp");
	authz_init(&A);
	ck_assert_int_eq(authz_set_peer(&A, &p, &remote, &local), AUTHZ_OK);
	c = authz_find(&A, &p.id);
	ck_assert(c->has_peer && c->has_local_ice);
	ck_assert_str_eq(c->local_ice.password, "lp");
	authz_clear(&A);
}
END_TEST

/* Random grants, rejects and expiries against a plain array model. */
#define NC 40
#define NR 12
struct model {
	int present;
	int has_exp;
	int64_t exp;
};

START_TEST(random_against_model)
{
	static struct model m[NC][NR];
	struct portal_msg_uuid cid;
	struct portal_msg_resource r;
	int step, added, gone, c, k, op;
	int64_t now = 1000;

	memset(m, 0, sizeof(m));
	srand(7);
	authz_init(&A);
	for (step = 0; step < 20000; step++) {
		c = rand() % NC;
		k = rand() % NR;
		cid = uuid((unsigned)c);
		op = rand() % 10;
		if (op < 5) {
			int he = rand() % 2;
			int64_t e = now + rand() % 50;
			r = res((unsigned)k, PORTAL_MSG_RES_CIDR);
			ck_assert_int_eq(authz_grant(&A, &cid, NULL, NULL, &r, he, e, &added), AUTHZ_OK);
			ck_assert_int_eq(added, !m[c][k].present);
			m[c][k].present = 1;
			m[c][k].has_exp = he;
			m[c][k].exp = e;
		} else if (op < 8) {
			r = res((unsigned)k, PORTAL_MSG_RES_CIDR);
			int rc = authz_reject(&A, &cid, &r.id, &gone);
			ck_assert_int_eq(rc, m[c][k].present ? AUTHZ_OK : AUTHZ_ENOENT);
			m[c][k].present = 0;
		} else {
			now += rand() % 5;
			authz_expire(&A, now, NULL, NULL, NULL, NULL);
			for (c = 0; c < NC; c++)
				for (k = 0; k < NR; k++)
					if (m[c][k].present && m[c][k].has_exp && m[c][k].exp <= now)
						m[c][k].present = 0;
		}
		/* Compare the whole store with the model now and then. */
		if (step % 97 == 0) {
			size_t clients = 0;
			for (c = 0; c < NC; c++) {
				struct authz_client *cl;
				size_t cnt = 0;
				for (k = 0; k < NR; k++)
					cnt += (size_t)m[c][k].present;
				cid = uuid((unsigned)c);
				cl = authz_find(&A, &cid);
				if (cnt == 0) {
					/* Clients may linger only until the next expiry pass
					 * when their last resource went by reject (they don't). */
					ck_assert_ptr_null(cl);
					continue;
				}
				clients++;
				ck_assert_ptr_nonnull(cl);
				ck_assert_uint_eq(cl->n_res, cnt);
			}
			ck_assert_uint_eq(A.n_clients, clients);
		}
	}
	authz_clear(&A);
}
END_TEST

START_TEST(relay_set)
{
	static struct relayset rs;
	struct portal_msg_relay r;
	unsigned i;

	relays_init(&rs);
	memset(&r, 0, sizeof(r));
	r.id = uuid(1);
	strcpy(r.password, "secret");
	ck_assert_int_eq(relays_upsert(&rs, &r), 1);
	strcpy(r.username, "u2");
	ck_assert_int_eq(relays_upsert(&rs, &r), 0);
	ck_assert_uint_eq(relays_count(&rs), 1);
	ck_assert_str_eq(relays_find(&rs, &r.id)->username, "u2");
	for (i = 2; i <= RELAYS_MAX; i++) {
		r.id = uuid(i);
		ck_assert_int_eq(relays_upsert(&rs, &r), 1);
	}
	r.id = uuid(RELAYS_MAX + 1);
	ck_assert_int_eq(relays_upsert(&rs, &r), -1);
	r.id = uuid(1);
	ck_assert_int_eq(relays_remove(&rs, &r.id), 1);
	ck_assert_int_eq(relays_remove(&rs, &r.id), 0);
	ck_assert_ptr_null(relays_find(&rs, &r.id));
	r.id = uuid(RELAYS_MAX);
	ck_assert_ptr_nonnull(relays_find(&rs, &r.id));
	relays_clear(&rs);
	ck_assert_uint_eq(relays_count(&rs), 0);
}
END_TEST


/* ---- init.authorizations (issue 15) -------------------------------------- */

static int n_revoked, n_gone;

static void
count_revoked(void *arg, const struct authz_client *c, const struct authz_resource *r)
{
	(void)arg;
	(void)c;
	(void)r;
	n_revoked++;
}

static void
count_gone(void *arg, const struct authz_client *c)
{
	(void)arg;
	(void)c;
	n_gone++;
}

static struct portal_msg_authorization
listed(struct portal_msg_uuid c, struct portal_msg_uuid r, int has, int64_t at)
{
	struct portal_msg_authorization a;

	memset(&a, 0, sizeof(a));
	a.client_id = c;
	a.resource_id = r;
	a.has_expires_at = has;
	a.expires_at = at;
	return a;
}

/* A pair not listed is revoked, a client not listed loses everything (and
 * is reported gone at the next expiry pass), listed expiries are taken as
 * they are (shorter or longer), unknown pairs are ignored. */
START_TEST(reconcile_init_authorizations)
{
	struct portal_msg_uuid c1 = uuid(10), c2 = uuid(11), c3 = uuid(12);
	struct portal_msg_resource r1 = res(1, PORTAL_MSG_RES_CIDR), r2 = res(2, PORTAL_MSG_RES_DNS),
	    r3 = res(3, PORTAL_MSG_RES_CIDR);
	struct portal_msg_authorization l[4];
	struct authz_client *cl;
	int added;

	authz_init(&A);
	authz_grant(&A, &c1, NULL, NULL, &r1, 1, 1000, &added);
	authz_grant(&A, &c1, NULL, NULL, &r2, 1, 1000, &added);
	authz_grant(&A, &c2, NULL, NULL, &r1, 1, 1000, &added);
	authz_grant(&A, &c2, NULL, NULL, &r3, 0, 0, &added);
	/* c1 keeps r1 (shorter), loses r2; c2 is not listed; c3 and r3 for c1 unknown. */
	l[0] = listed(c1, r1.id, 1, 500);
	l[1] = listed(c3, r1.id, 1, 9000);
	l[2] = listed(c1, r3.id, 1, 9000);
	n_revoked = n_gone = 0;
	ck_assert_int_eq(authz_reconcile(&A, l, 3, count_revoked, NULL), 3);
	ck_assert_int_eq(n_revoked, 3);
	cl = authz_find(&A, &c1);
	ck_assert_ptr_nonnull(cl);
	ck_assert_uint_eq(cl->n_res, 1);
	ck_assert_int_eq(cl->res[0].expires_at, 500);
	ck_assert_ptr_null(authz_find(&A, &c3));
	/* c2 is empty; it goes (reported) at the next tick. */
	ck_assert_ptr_nonnull(authz_find(&A, &c2));
	ck_assert_uint_eq(authz_find(&A, &c2)->n_res, 0);
	ck_assert_uint_eq(authz_expire(&A, 100, NULL, count_gone, NULL, NULL), 0);
	ck_assert_int_eq(n_gone, 1);
	ck_assert_ptr_null(authz_find(&A, &c2));
	/* The shortened expiry applies. */
	ck_assert_uint_eq(authz_expire(&A, 500, NULL, count_gone, NULL, NULL), 1);
	ck_assert_int_eq(n_gone, 2);
	ck_assert_uint_eq(A.n_clients, 0);

	/* Extension, and an empty list revokes all. */
	authz_grant(&A, &c1, NULL, NULL, &r1, 1, 100, &added);
	l[0] = listed(c1, r1.id, 1, 7000);
	ck_assert_int_eq(authz_reconcile(&A, l, 1, NULL, NULL), 0);
	ck_assert_int_eq(authz_find(&A, &c1)->res[0].expires_at, 7000);
	ck_assert_int_eq(authz_reconcile(&A, l, 0, NULL, NULL), 1);
	ck_assert_uint_eq(authz_find(&A, &c1)->n_res, 0);
	authz_clear(&A);
}
END_TEST

START_TEST(set_expiry_pair)
{
	struct portal_msg_uuid c = uuid(20);
	struct portal_msg_resource r = res(1, PORTAL_MSG_RES_CIDR), r2 = res(2, PORTAL_MSG_RES_CIDR);
	int added;

	authz_init(&A);
	authz_grant(&A, &c, NULL, NULL, &r, 1, 100, &added);
	ck_assert_int_eq(authz_set_expiry(&A, &c, &r2.id, 1, 5), AUTHZ_ENOENT);
	ck_assert_int_eq(authz_set_expiry(&A, &r.id, &r.id, 1, 5), AUTHZ_ENOENT);
	ck_assert_int_eq(authz_set_expiry(&A, &c, &r.id, 1, 50), AUTHZ_OK);
	ck_assert_uint_eq(authz_expire(&A, 50, NULL, NULL, NULL, NULL), 1);
	authz_grant(&A, &c, NULL, NULL, &r, 1, 100, &added);
	ck_assert_int_eq(authz_set_expiry(&A, &c, &r.id, 0, 0), AUTHZ_OK);
	ck_assert_uint_eq(authz_expire(&A, INT64_MAX - 1, NULL, NULL, NULL, NULL), 0);
	authz_clear(&A);
}
END_TEST

static Suite *
authz_suite(void)
{
	Suite *s = suite_create("authz");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, grant_keeps_first_addresses_and_renews_expiry);
	tcase_add_test(tc, reject_and_expire);
	tcase_add_test(tc, resource_updated_filters_only);
	tcase_add_test(tc, peer_credentials);
	tcase_add_test(tc, random_against_model);
	tcase_add_test(tc, relay_set);
	tcase_add_test(tc, reconcile_init_authorizations);
	tcase_add_test(tc, set_expiry_pair);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(authz_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
