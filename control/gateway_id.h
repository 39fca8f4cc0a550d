/*
 * gateway_id.h - the gateway's stable ID: the configured FIREZONE_ID, else
 * STATE_DIR/gateway_id in either format (upstream's JSON {"id":"..."} or
 * the older plain text), else a new UUIDv4 written there as
 * {"id":"<uuid>"}.  An existing ID is never replaced.  What is sent is
 * its external_id (portal_url_external_id()).
 */
#ifndef FZ_GATEWAY_ID_H
#define FZ_GATEWAY_ID_H

#include <stddef.h>

#define GATEWAY_ID_MAX 255
#define GATEWAY_ID_FILE "gateway_id"

/*
 * Fill out (GATEWAY_ID_MAX + 1 bytes) with the ID.  Whitespace around the
 * content of the file is ignored, so an ID file edited by hand (with a
 * trailing newline) keeps the same identity.  A new file is created (mode
 * 0640) only when none exists or it is empty.
 * Returns 0, or -1 with a one-line reason in why.
 */
int gateway_id_load(const char *configured, const char *state_dir, char *out,
    char *why, size_t whylen);

/*
 * The "id" string of a JSON object text such as {"id":"..."} into out
 * (GATEWAY_ID_MAX + 1 bytes): 0, or -1 when text is not such an object or
 * the id is empty, too long or holds control characters.
 */
int gateway_id_from_json(const char *text, char *out);

/* Write a new random lowercase UUIDv4 (37 bytes with NUL).  0 or -1. */
int gateway_id_new_uuid(char out[37]);

#endif
