/*
 * peers.c - hash indexes over the dataplane's peers.
 */
#include "peers.h"

#include "util.h"

#include <string.h>

static uint32_t
hash_bytes(const void *v, size_t n)
{
	return util_fnv1a(UTIL_FNV_INIT, v, n) & (PEERS_BUCKETS - 1);
}

static uint32_t
hash_id(uint32_t id)
{
	return (id * 2654435761u) >> (32 - 12);
}

void
peers_init(struct dp_peers *t)
{
	memset(t, 0, sizeof(*t));
}

void
peers_link(struct dp_peers *t, struct dp_peer *p)
{
	uint32_t h;

	h = hash_id(p->id);
	p->next_id = t->by_id[h];
	t->by_id[h] = p;
	h = hash_bytes(p->noise.remote_static, 32);
	p->next_key = t->by_key[h];
	t->by_key[h] = p;
	if (p->has_v4) {
		h = hash_bytes(p->tun_v4, 4);
		p->next_v4 = t->by_v4[h];
		t->by_v4[h] = p;
	}
	if (p->has_v6) {
		h = hash_bytes(p->tun_v6, 16);
		p->next_v6 = t->by_v6[h];
		t->by_v6[h] = p;
	}
	t->n++;
}

#define UNLINK(head, field)                                          \
	do {                                                         \
		struct dp_peer **pp_;                                \
		for (pp_ = (head); *pp_ != NULL; pp_ = &(*pp_)->field) \
			if (*pp_ == p) {                             \
				*pp_ = p->field;                     \
				break;                               \
			}                                            \
	} while (0)

void
peers_unlink(struct dp_peers *t, struct dp_peer *p)
{
	UNLINK(&t->by_id[hash_id(p->id)], next_id);
	UNLINK(&t->by_key[hash_bytes(p->noise.remote_static, 32)], next_key);
	if (p->has_v4)
		UNLINK(&t->by_v4[hash_bytes(p->tun_v4, 4)], next_v4);
	if (p->has_v6)
		UNLINK(&t->by_v6[hash_bytes(p->tun_v6, 16)], next_v6);
	t->n--;
}

struct dp_peer *
peers_by_id(const struct dp_peers *t, uint32_t id)
{
	struct dp_peer *p;

	for (p = t->by_id[hash_id(id)]; p != NULL; p = p->next_id)
		if (p->id == id)
			return p;
	return NULL;
}

struct dp_peer *
peers_by_key(const struct dp_peers *t, const uint8_t key[32])
{
	struct dp_peer *p;

	for (p = t->by_key[hash_bytes(key, 32)]; p != NULL; p = p->next_key)
		if (memcmp(p->noise.remote_static, key, 32) == 0)
			return p;
	return NULL;
}

struct dp_peer *
peers_by_tun(const struct dp_peers *t, uint8_t family, const uint8_t *addr)
{
	struct dp_peer *p;

	if (family == 4) {
		for (p = t->by_v4[hash_bytes(addr, 4)]; p != NULL; p = p->next_v4)
			if (p->has_v4 && memcmp(p->tun_v4, addr, 4) == 0)
				return p;
	} else if (family == 6) {
		for (p = t->by_v6[hash_bytes(addr, 16)]; p != NULL; p = p->next_v6)
			if (p->has_v6 && memcmp(p->tun_v6, addr, 16) == 0)
				return p;
	}
	return NULL;
}

/* p holds an address the new peer (id, key) asks for and is not replaced by it. */
static int
conflicts(const struct dp_peer *p, uint32_t id, const uint8_t key[32])
{
	return p != NULL && p->id != id && memcmp(p->noise.remote_static, key, 32) != 0;
}

struct dp_peer *
peers_tun_conflict(const struct dp_peers *t, uint32_t id, const uint8_t key[32],
    int has_v4, const uint8_t v4[4], int has_v6, const uint8_t v6[16])
{
	struct dp_peer *p;

	if (has_v4 && conflicts(p = peers_by_tun(t, 4, v4), id, key))
		return p;
	if (has_v6 && conflicts(p = peers_by_tun(t, 6, v6), id, key))
		return p;
	return NULL;
}

void
peers_p2p_control_reset(struct dp_peer *p, uint64_t now_ms)
{
	p->p2p_tokens = PEERS_P2P_CONTROL_BURST;
	p->p2p_refill_ms = now_ms;
}

int
peers_p2p_control_take(struct dp_peer *p, uint64_t now_ms)
{
	uint64_t add;

	if (now_ms > p->p2p_refill_ms) {
		add = (now_ms - p->p2p_refill_ms) * PEERS_P2P_CONTROL_RATE / 1000;
		if (add >= PEERS_P2P_CONTROL_BURST - p->p2p_tokens) {
			p->p2p_tokens = PEERS_P2P_CONTROL_BURST;
			p->p2p_refill_ms = now_ms;
		} else if (add > 0) {
			/* Whole tokens only: the remainder of the time still counts. */
			p->p2p_tokens += (uint32_t)add;
			p->p2p_refill_ms += add * 1000 / PEERS_P2P_CONTROL_RATE;
		}
	}
	if (p->p2p_tokens == 0)
		return 0;
	p->p2p_tokens--;
	return 1;
}
