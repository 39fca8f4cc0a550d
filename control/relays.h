/*
 * relays.h - the set of TURN relays the portal offered (docs/protocol/portal.md
 * §2.1, §2.2, §4.5).  `init` adds, `relays_presence` removes then adds.
 * Passwords are secrets: relays_clear and removal wipe them.
 */
#ifndef FZ_RELAYS_H
#define FZ_RELAYS_H

#include <stddef.h>

#include "portal_types.h"

#define RELAYS_MAX 64

struct relayset {
	size_t n;
	struct portal_msg_relay v[RELAYS_MAX];
};

void relays_init(struct relayset *rs);
/* Add or replace by id.  Returns 1 added, 0 replaced, -1 set full. */
int relays_upsert(struct relayset *rs, const struct portal_msg_relay *r);
/* Remove by id.  Returns 1 if it was there, 0 otherwise. */
int relays_remove(struct relayset *rs, const struct portal_msg_uuid *id);
const struct portal_msg_relay *relays_find(const struct relayset *rs, const struct portal_msg_uuid *id);
size_t relays_count(const struct relayset *rs);
/* Remove everything, wiping the credentials. */
void relays_clear(struct relayset *rs);

#endif
