/*
 * gateway_id.c - read or create the persisted gateway ID.
 */
#include "gateway_id.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/rand.h>

int
gateway_id_new_uuid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
	return 0;
}

/* mkdir -p with mode 0750 for the directories we create. */
static int
mkdirs(const char *dir)
{
	char tmp[PATH_MAX], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
gateway_id_from_json(const char *text, char *out)
{
	struct json_object *o, *v;
	const char *id;
	size_t n, i;
	int rc = -1;

	if (text == NULL || text[0] != '{' || (o = json_tokener_parse(text)) == NULL)
		return -1;
	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "id", &v) &&
	    json_object_is_type(v, json_type_string)) {
		id = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		for (i = 0; i < n && (unsigned char)id[i] >= 0x20 && id[i] != 0x7f; i++)
			;
		if (n > 0 && n <= GATEWAY_ID_MAX && i == n) {
			memcpy(out, id, n + 1);
			rc = 0;
		}
	}
	json_object_put(o);
	return rc;
}

int
gateway_id_load(const char *configured, const char *state_dir, char *out,
    char *why, size_t whylen)
{
	char path[PATH_MAX], tmp[PATH_MAX], buf[GATEWAY_ID_MAX + 2], *s;
	char content[GATEWAY_ID_MAX + 16];
	size_t n = 0, len;
	ssize_t r;
	int fd, saved, replace = 0;

	if (configured != NULL && configured[0] != '\0') {
		if (strlen(configured) > GATEWAY_ID_MAX) {
			snprintf(why, whylen, "the gateway ID is longer than %d bytes", GATEWAY_ID_MAX);
			return -1;
		}
		snprintf(out, GATEWAY_ID_MAX + 1, "%s", configured);
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, GATEWAY_ID_FILE) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%d", state_dir, GATEWAY_ID_FILE, (int)getpid()) >= sizeof(tmp)) {
		snprintf(why, whylen, "the state directory path is too long");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
			n += (size_t)r;
		close(fd);
		buf[n] = '\0';
		if (n > GATEWAY_ID_MAX) {
			snprintf(why, whylen, "%s is longer than %d bytes", path, GATEWAY_ID_MAX);
			return -1;
		}
		if (memchr(buf, '\0', n) != NULL) {
			snprintf(why, whylen, "%s contains a NUL byte", path);
			return -1;
		}
		for (s = buf; isspace((unsigned char)*s); s++)
			;
		len = strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			s[--len] = '\0';
		/* Upstream's {"id":"..."} first, else the old plain form verbatim. */
		if (len > 0 && gateway_id_from_json(s, out) == 0)
			return 0;
		if (len > 0) {
			memcpy(out, s, len + 1);
			return 0;
		}
		replace = 1;	/* an empty file holds no identity */
	} else if (errno != ENOENT) {
		saved = errno;
		snprintf(why, whylen, "cannot read %s: %s (set FIREZONE_ID, or give the control user "
		    "read and write access to %s)", path, strerror(saved), state_dir);
		return -1;
	}

	/* No usable ID yet: create one, atomically. */
	if (gateway_id_new_uuid(out) < 0) {
		snprintf(why, whylen, "cannot generate a gateway ID");
		return -1;
	}
	if (mkdirs(state_dir) < 0 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0)
		goto fail;
	/* Upstream's format, which upstream 1.6 reads back as the same ID. */
	len = (size_t)snprintf(content, sizeof(content), "{\"id\":\"%s\"}", out);
	if (write(fd, content, len) != (ssize_t)len || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	close(fd);
	/* Never over an existing ID: link() fails if one appeared meanwhile. */
	if (replace ? rename(tmp, path) < 0 : link(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	if (!replace)
		unlink(tmp);
	return 0;
fail:
	saved = errno;
	snprintf(why, whylen, "cannot write a new gateway ID to %s: %s (set FIREZONE_ID, or give "
	    "the control user write access to %s)", path, strerror(saved), state_dir);
	out[0] = '\0';
	return -1;
}
