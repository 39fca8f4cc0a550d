/*
 * wg_index.h - receiver-index table: 32-bit local index -> peer handle.
 *
 * Open addressing with linear probing and backward-shift deletion, kept at
 * most half full, so insert, lookup and remove are O(1) on average.  Index
 * 0 is never allocated and never found, so callers may use it as "none".
 * Handles are opaque pointers owned by the caller.
 */
#ifndef FZ_WG_INDEX_H
#define FZ_WG_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "wg_types.h"

struct wg_index_slot {
	uint32_t key;		/* 0: empty */
	void *value;
};

struct wg_index {
	struct wg_index_slot *slots;
	uint32_t cap;		/* power of two */
	uint32_t count;
};

/*
 * Allocate a table able to hold at least `hint` entries before growing
 * (0: a small default).  0 or WG_ERR_NOMEM.
 */
int wg_index_init(struct wg_index *t, uint32_t hint);

/* Free the table's memory (not the handles). */
void wg_index_free(struct wg_index *t);

/*
 * Allocate a fresh random nonzero index not in the table, map it to value
 * (non-NULL) and store it in *out.  0, WG_ERR_INVAL, WG_ERR_NOMEM,
 * WG_ERR_CRYPTO (rng failed) or WG_ERR_FULL (no free index found).
 */
int wg_index_add(struct wg_index *t, void *value, const struct wg_rng *rng,
    uint32_t *out);

/*
 * Map a caller-chosen nonzero key to value.  0, WG_ERR_INVAL (key 0,
 * value NULL or key already present) or WG_ERR_NOMEM.
 */
int wg_index_insert(struct wg_index *t, uint32_t key, void *value);

/* The handle for key, or NULL if absent (always NULL for key 0). */
void *wg_index_lookup(const struct wg_index *t, uint32_t key);

/* Remove key.  0 or WG_ERR_NOT_FOUND. */
int wg_index_remove(struct wg_index *t, uint32_t key);

/* Number of entries. */
uint32_t wg_index_count(const struct wg_index *t);

#endif
