/*
 * gateway_id.h - the gateway's stable ID (portal-protocol.md §4.8): the
 * configured FIREZONE_ID, else STATE_DIR/gateway_id, else a new UUIDv4
 * written there.  Only its SHA-256 is ever sent.
 */
#ifndef FZ_GATEWAY_ID_H
#define FZ_GATEWAY_ID_H

#include <stddef.h>

#define GATEWAY_ID_MAX 255
#define GATEWAY_ID_FILE "gateway_id"

/*
 * Fill out (GATEWAY_ID_MAX + 1 bytes) with the ID.  Unlike the reference,
 * whitespace around the content of the file is ignored, so an ID file
 * edited by hand (with a trailing newline) keeps the same identity.
 * Returns 0, or -1 with a one-line reason in why.
 */
int gateway_id_load(const char *configured, const char *state_dir, char *out,
    char *why, size_t whylen);

/* Write a new random lowercase UUIDv4 (37 bytes with NUL).  0 or -1. */
int gateway_id_new_uuid(char out[37]);

#endif
