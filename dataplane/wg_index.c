/*
 * wg_index.c - open-addressing table of receiver indices.
 */
#include <stdlib.h>
#include <string.h>

#include "wg_crypto.h"
#include "wg_index.h"

#define MIN_CAP		16
#define MAX_CAP		(UINT32_C(1) << 30)
#define ADD_ATTEMPTS	128

/*
 * Multiplicative hashing; the high bits of the product are the best
 * mixed, so the slot is taken from the top.
 */
static uint32_t
slot_of(const struct wg_index *t, uint32_t key)
{
	uint32_t h = key * UINT32_C(0x9e3779b1);

	h ^= h >> 16;
	return h & (t->cap - 1);
}

static int
alloc_slots(struct wg_index *t, uint32_t cap)
{
	t->slots = calloc(cap, sizeof(*t->slots));
	if (t->slots == NULL)
		return WG_ERR_NOMEM;
	t->cap = cap;
	t->count = 0;
	return WG_OK;
}

int
wg_index_init(struct wg_index *t, uint32_t hint)
{
	uint32_t cap = MIN_CAP;

	while (cap < MAX_CAP && cap / 2 < hint)
		cap <<= 1;
	return alloc_slots(t, cap);
}

void
wg_index_free(struct wg_index *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = 0;
	t->count = 0;
}

static void
put(struct wg_index *t, uint32_t key, void *value)
{
	uint32_t i = slot_of(t, key);

	while (t->slots[i].key != 0)
		i = (i + 1) & (t->cap - 1);
	t->slots[i].key = key;
	t->slots[i].value = value;
	t->count++;
}

static int
grow_if_needed(struct wg_index *t)
{
	struct wg_index old = *t;
	uint32_t i;
	int rc;

	if ((t->count + 1) * 2 <= t->cap)
		return WG_OK;
	if (t->cap >= MAX_CAP)
		return WG_ERR_FULL;
	if ((rc = alloc_slots(t, old.cap * 2)) != WG_OK) {
		*t = old;
		return rc;
	}
	for (i = 0; i < old.cap; i++)
		if (old.slots[i].key != 0)
			put(t, old.slots[i].key, old.slots[i].value);
	free(old.slots);
	return WG_OK;
}

static int64_t
find(const struct wg_index *t, uint32_t key)
{
	uint32_t i;

	if (key == 0 || t->cap == 0)
		return -1;
	for (i = slot_of(t, key); t->slots[i].key != 0; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].key == key)
			return i;
	return -1;
}

int
wg_index_insert(struct wg_index *t, uint32_t key, void *value)
{
	int rc;

	if (key == 0 || value == NULL || find(t, key) >= 0)
		return WG_ERR_INVAL;
	if ((rc = grow_if_needed(t)) != WG_OK)
		return rc;
	put(t, key, value);
	return WG_OK;
}

int
wg_index_add(struct wg_index *t, void *value, const struct wg_rng *rng,
    uint32_t *out)
{
	uint32_t key;
	int i, rc;

	if (value == NULL)
		return WG_ERR_INVAL;
	if ((rc = grow_if_needed(t)) != WG_OK)
		return rc;
	for (i = 0; i < ADD_ATTEMPTS; i++) {
		if (wg_crypto_random(rng, &key, sizeof(key)) != WG_OK)
			return WG_ERR_CRYPTO;
		if (key == 0 || find(t, key) >= 0)
			continue;
		put(t, key, value);
		*out = key;
		return WG_OK;
	}
	return WG_ERR_FULL;
}

void *
wg_index_lookup(const struct wg_index *t, uint32_t key)
{
	int64_t i = find(t, key);

	return i < 0 ? NULL : t->slots[i].value;
}

int
wg_index_remove(struct wg_index *t, uint32_t key)
{
	int64_t found = find(t, key);
	uint32_t hole, j, home, mask = t->cap - 1;

	if (found < 0)
		return WG_ERR_NOT_FOUND;
	hole = (uint32_t)found;
	/*
	 * Backward-shift deletion: move later members of the probe run into
	 * the hole when their home slot does not lie strictly between the
	 * hole and their current position (cyclically).
	 */
	for (j = (hole + 1) & mask; t->slots[j].key != 0; j = (j + 1) & mask) {
		home = slot_of(t, t->slots[j].key);
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			t->slots[hole] = t->slots[j];
			hole = j;
		}
	}
	t->slots[hole].key = 0;
	t->slots[hole].value = NULL;
	t->count--;
	return WG_OK;
}

uint32_t
wg_index_count(const struct wg_index *t)
{
	return t->count;
}
