/*
 * Unit suite for dataplane/wg_index: basic operations, random index
 * allocation, growth, and random operations checked against a naive
 * reference (a linear list of key/value pairs).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wg_index.h"


/*
 * Check's ck_assert_* record their location on every call, which is far
 * too slow inside loops of 10^5 operations; these only report failures.
 */
#define FAST_OP(a, op, b) do {						\
	if (!((a) op (b)))						\
		ck_abort_msg("%s:%d: %s %s %s", __FILE__, __LINE__,	\
		    #a, #op, #b);					\
} while (0)
#define FAST_EQ(a, b)	FAST_OP(a, ==, b)
#define FAST_NE(a, b)	FAST_OP(a, !=, b)
#define FAST_LT(a, b)	FAST_OP(a, <, b)
#define FAST_LE(a, b)	FAST_OP(a, <=, b)
#define FAST_NULL(a)	FAST_OP((const void *)(a), ==, NULL)
#define FAST_NONNULL(a)	FAST_OP((const void *)(a), !=, NULL)

static uint64_t rs;
static int
xs_rng(void *ctx, uint8_t *buf, size_t len)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++) {
		rs ^= rs << 13;
		rs ^= rs >> 7;
		rs ^= rs << 17;
		buf[i] = (uint8_t)rs;
	}
	return 0;
}

/* Yields 0, then 7, 7, 7, then 9: allocation must skip 0 and duplicates. */
static int
scripted_rng(void *ctx, uint8_t *buf, size_t len)
{
	static const uint32_t script[] = { 0, 7, 7, 7, 9 };
	int *pos = ctx;
	uint32_t v = script[*pos % 5];

	(*pos)++;
	memcpy(buf, &v, len < 4 ? len : 4);
	return 0;
}

static int
failing_rng(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return -1;
}

START_TEST(basics)
{
	struct wg_index t;
	int a, b, pos = 0;
	uint32_t k1, k2;
	struct wg_rng rng = { scripted_rng, &pos };
	struct wg_rng bad = { failing_rng, NULL };

	ck_assert_int_eq(wg_index_init(&t, 0), WG_OK);
	ck_assert_ptr_null(wg_index_lookup(&t, 0));
	ck_assert_ptr_null(wg_index_lookup(&t, 5));
	ck_assert_int_eq(wg_index_add(&t, &a, &rng, &k1), WG_OK);
	ck_assert_uint_eq(k1, 7);
	ck_assert_int_eq(wg_index_add(&t, &b, &rng, &k2), WG_OK);
	ck_assert_uint_eq(k2, 9);
	ck_assert_ptr_eq(wg_index_lookup(&t, 7), &a);
	ck_assert_ptr_eq(wg_index_lookup(&t, 9), &b);
	ck_assert_uint_eq(wg_index_count(&t), 2);
	ck_assert_int_eq(wg_index_insert(&t, 9, &a), WG_ERR_INVAL);
	ck_assert_int_eq(wg_index_insert(&t, 0, &a), WG_ERR_INVAL);
	ck_assert_int_eq(wg_index_insert(&t, 10, NULL), WG_ERR_INVAL);
	ck_assert_int_eq(wg_index_add(&t, NULL, &rng, &k2), WG_ERR_INVAL);
	ck_assert_int_eq(wg_index_add(&t, &a, &bad, &k2), WG_ERR_CRYPTO);
	ck_assert_int_eq(wg_index_remove(&t, 7), WG_OK);
	ck_assert_int_eq(wg_index_remove(&t, 7), WG_ERR_NOT_FOUND);
	ck_assert_ptr_null(wg_index_lookup(&t, 7));
	ck_assert_ptr_eq(wg_index_lookup(&t, 9), &b);
	ck_assert_uint_eq(wg_index_count(&t), 1);
	/* Default RNG works too. */
	ck_assert_int_eq(wg_index_add(&t, &a, NULL, &k1), WG_OK);
	ck_assert_uint_ne(k1, 0);
	ck_assert_ptr_eq(wg_index_lookup(&t, k1), &a);
	wg_index_free(&t);
}
END_TEST

START_TEST(growth_and_clusters)
{
	struct wg_index t;
	static int vals[5000];
	uint32_t i;

	ck_assert_int_eq(wg_index_init(&t, 4), WG_OK);
	/* Consecutive keys, then remove every other one and re-check. */
	for (i = 1; i <= 5000; i++)
		ck_assert_int_eq(wg_index_insert(&t, i, &vals[i - 1]), WG_OK);
	ck_assert_uint_le(wg_index_count(&t) * 2, t.cap);
	for (i = 1; i <= 5000; i += 2)
		ck_assert_int_eq(wg_index_remove(&t, i), WG_OK);
	for (i = 1; i <= 5000; i++) {
		if (i % 2)
			ck_assert_ptr_null(wg_index_lookup(&t, i));
		else
			ck_assert_ptr_eq(wg_index_lookup(&t, i), &vals[i - 1]);
	}
	ck_assert_uint_eq(wg_index_count(&t), 2500);
	wg_index_free(&t);
}
END_TEST

struct ref_entry {
	uint32_t key;
	void *value;
};

START_TEST(random_vs_reference)
{
	enum { MAXN = 3000 };
	struct wg_index t;
	struct ref_entry *ref = calloc(MAXN, sizeof(*ref));
	struct wg_rng rng = { xs_rng, NULL };
	static char handles[MAXN];
	size_t n = 0, j;
	uint32_t key, r;
	int op, i, found;

	FAST_NONNULL(ref);
	rs = 0x9e3779b97f4a7c15ULL;
	FAST_EQ(wg_index_init(&t, 0), WG_OK);
	for (i = 0; i < 200000; i++) {
		xs_rng(NULL, (uint8_t *)&r, sizeof(r));
		op = r % 10;
		if ((op < 4 && n < MAXN) || n == 0) {
			void *h = &handles[r % MAXN];

			if (op == 0) {
				/* Caller-chosen key from a small space: collisions. */
				key = 1 + (r >> 8) % 5000;
				for (found = 0, j = 0; j < n; j++)
					found |= ref[j].key == key;
				FAST_EQ(wg_index_insert(&t, key, h),
				    found ? WG_ERR_INVAL : WG_OK);
				if (found)
					continue;
			} else {
				FAST_EQ(wg_index_add(&t, h, &rng, &key), WG_OK);
				FAST_NE(key, 0);
				for (j = 0; j < n; j++)
					FAST_NE(ref[j].key, key);
			}
			ref[n].key = key;
			ref[n].value = h;
			n++;
		} else if (op < 7) {
			j = (r >> 8) % n;
			FAST_EQ(wg_index_remove(&t, ref[j].key), WG_OK);
			ref[j] = ref[--n];
		} else {
			/* Lookups of present and (probably) absent keys. */
			j = (r >> 8) % n;
			FAST_EQ(wg_index_lookup(&t, ref[j].key), ref[j].value);
			key = 1 + (r >> 4) % 5000;
			for (found = -1, j = 0; j < n; j++)
				if (ref[j].key == key)
					found = (int)j;
			if (found < 0)
				FAST_NULL(wg_index_lookup(&t, key));
			else
				FAST_EQ(wg_index_lookup(&t, key), ref[found].value);
		}
		FAST_EQ(wg_index_count(&t), n);
	}
	for (j = 0; j < n; j++)
		FAST_EQ(wg_index_lookup(&t, ref[j].key), ref[j].value);
	wg_index_free(&t);
	free(ref);
}
END_TEST

static Suite *
wg_index_suite(void)
{
	Suite *s = suite_create("wg_index");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, basics);
	tcase_add_test(tc, growth_and_clusters);
	tcase_add_test(tc, random_vs_reference);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wg_index_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
