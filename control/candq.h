/*
 * candq.h - a client connection's local ICE candidate changes on their way
 * to the portal (broadcast_ice_candidates / broadcast_invalidated_ice_
 * candidates).  Sans-IO.
 *
 * Changes wait here until sent: at once while the portal is joined, after
 * the next join otherwise (upstream #14300).  Waiting changes merge: an
 * addition then a removal of the same string cancel out (the client never
 * heard of it), a removal then an addition is an addition again.  The set
 * of announced candidates (added, not removed) is kept so that all of them
 * can be announced again when an authorization reuses the connection.
 */
#ifndef FZ_CANDQ_H
#define FZ_CANDQ_H

#include <stddef.h>

#define CANDQ_MAX 16       /* candidates per list (ICE_MAX_LOCAL) */
#define CANDQ_STRLEN 128   /* bytes per candidate string, NUL included */

struct candq {
	size_t n_add, n_del, n_announced;
	char add[CANDQ_MAX][CANDQ_STRLEN];
	char del[CANDQ_MAX][CANDQ_STRLEN];
	char announced[CANDQ_MAX][CANDQ_STRLEN];
};

/* A local candidate appeared (add 1) or went away (add 0).  Strings longer
 * than CANDQ_STRLEN - 1 are cut; a full list drops the change. */
void candq_change(struct candq *q, const char *cand, int add);

/* Queue every announced candidate as an addition again. */
void candq_reannounce(struct candq *q);

/* The waiting additions and removals were sent: empty both lists. */
void candq_sent(struct candq *q);

#endif
