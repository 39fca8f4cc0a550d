/*
 * relays.c - a small array of relays; the portal offers a handful.
 */
#include "relays.h"

#include <string.h>

#include <openssl/crypto.h>

void
relays_init(struct relayset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static size_t
index_of(const struct relayset *rs, const struct portal_msg_uuid *id)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (memcmp(rs->v[i].id.b, id->b, sizeof(id->b)) == 0)
			return i;
	return RELAYS_MAX;
}

int
relays_upsert(struct relayset *rs, const struct portal_msg_relay *r)
{
	size_t i = index_of(rs, &r->id);

	if (i < RELAYS_MAX) {
		OPENSSL_cleanse(&rs->v[i], sizeof(rs->v[i]));
		rs->v[i] = *r;
		return 0;
	}
	if (rs->n >= RELAYS_MAX)
		return -1;
	rs->v[rs->n++] = *r;
	return 1;
}

int
relays_remove(struct relayset *rs, const struct portal_msg_uuid *id)
{
	size_t i = index_of(rs, id);

	if (i >= RELAYS_MAX)
		return 0;
	OPENSSL_cleanse(&rs->v[i], sizeof(rs->v[i]));
	if (i != rs->n - 1) {
		rs->v[i] = rs->v[rs->n - 1];
		OPENSSL_cleanse(&rs->v[rs->n - 1], sizeof(rs->v[0]));
	}
	rs->n--;
	return 1;
}

const struct portal_msg_relay *
relays_find(const struct relayset *rs, const struct portal_msg_uuid *id)
{
	size_t i = index_of(rs, id);

	return i < RELAYS_MAX ? &rs->v[i] : NULL;
}

size_t
relays_count(const struct relayset *rs)
{
	return rs->n;
}

void
relays_clear(struct relayset *rs)
{
	OPENSSL_cleanse(rs, sizeof(*rs));
}
