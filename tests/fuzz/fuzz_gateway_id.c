/*
 * fuzz_gateway_id.c - libFuzzer target for control/gateway_id.c: the ID
 * file in the state directory, whatever it holds.
 *
 * Byte 0: bit 0 passes the rest as the configured ID (FIREZONE_ID, up to
 * its first NUL) instead of writing it to STATE_DIR/gateway_id.  A loaded
 * ID is NUL-terminated, at most GATEWAY_ID_MAX bytes, without surrounding
 * whitespace; an empty file gives a fresh UUIDv4 that is then on disk.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway_id.h"
#include "log.h"

static char dir[] = "/tmp/fz-fuzz-gwid.??????";	/* mkdtemp template, see below */
static char path[sizeof(dir) + 32];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	/* mkdtemp wants six capital X at the end of its template */
	memset(dir + sizeof(dir) - 7, 'X', 6);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/%s", dir, GATEWAY_ID_FILE);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[GATEWAY_ID_MAX + 1], why[256], *conf = NULL;
	size_t len;
	int fd, rc;

	if (size < 1)
		return 0;
	memset(out, 0x5a, sizeof(out));
	why[0] = '\0';
	if (data[0] & 1) {
		conf = malloc(size);
		if (conf == NULL)
			abort();
		memcpy(conf, data + 1, size - 1);
		conf[size - 1] = '\0';
		rc = gateway_id_load(conf, dir, out, why, sizeof(why));
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1) || close(fd) != 0)
			abort();
		rc = gateway_id_load(NULL, dir, out, why, sizeof(why));
	}
	if (rc == 0) {
		if (memchr(out, '\0', sizeof(out)) == NULL)
			abort();
		len = strlen(out);
		if (conf == NULL && (len == 0 || isspace((unsigned char)out[0]) ||
		    isspace((unsigned char)out[len - 1])))
			abort();
	} else if (rc != -1 || memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0') {
		abort();
	}
	free(conf);
	return 0;
}
