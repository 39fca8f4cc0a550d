/*
 * fuzz_config.c - libFuzzer target for dataplane/config.c: the command
 * line and the environment of firezone-gateway.
 *
 * The input is split at NUL bytes into up to 32 strings.  A string
 * "NAME=value" whose NAME is one of the variables below goes into the
 * environment; every other string is an argument after argv[0].  The
 * token file variables (FIREZONE_TOKEN_FILE, CREDENTIALS_DIRECTORY) are
 * never set: they name files to read, and a fuzzer must not open
 * whatever path it makes up.  A parse that succeeds must give a token,
 * NUL-terminated fields and a ws/wss/http/https API URL; the environment
 * is cleared after every input.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define MAX_STRINGS	32

static const char *const vars[] = {
	"FIREZONE_API_URL", "FIREZONE_ID", "FIREZONE_NAME", "HEALTH_CHECK_ADDR",
	"FIREZONE_STATE_DIR", "FIREZONE_DATAPLANE_USER", "FIREZONE_CONTROL_USER",
	"FIREZONE_NO_TELEMETRY", "LOG_FORMAT", "RUST_LOG", "FIREZONE_TOKEN",
	"FIREZONE_CONTROL_BIN",
};
#define NVARS	(sizeof(vars) / sizeof(vars[0]))

static struct dp_config cfg;

static int
is_var(const char *s)
{
	const char *eq = strchr(s, '=');
	size_t i;

	if (eq == NULL)
		return 0;
	for (i = 0; i < NVARS; i++)
		if (strlen(vars[i]) == (size_t)(eq - s) && strncmp(s, vars[i], (size_t)(eq - s)) == 0)
			return 1;
	return 0;
}

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < NVARS; i++)
		unsetenv(vars[i]);
	unsetenv("FIREZONE_TOKEN_FILE");
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void
terminated(const char *f, size_t size)
{
	if (memchr(f, '\0', size) == NULL)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_LVL_ERROR, LOG_FMT_TEXT);
	clear_env();
	/* --help and --version print to stdout: keep the fuzzer's log short */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_STRINGS + 2], *copy, *s, *dummy[] = { "x", NULL };
	int argc = 1;
	size_t off = 0;
	enum config_result rc;

	copy = malloc(size + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "firezone-gateway";
	while (off <= size && argc <= MAX_STRINGS) {
		s = copy + off;
		off += strlen(s) + 1;
		if (is_var(s)) {
			char *eq = strchr(s, '=');

			*eq = '\0';
			setenv(s, eq + 1, 1);
			*eq = '=';
		} else {
			argv[argc++] = s;
		}
	}
	argv[argc] = NULL;

	/* a full reset of getopt's state (config_parse only sets optind = 1) */
	optind = 0;
	(void)getopt(1, dummy, "");

	rc = config_parse(&cfg, argc, argv);
	if (rc == CONFIG_OK) {
		terminated(cfg.api_url, sizeof(cfg.api_url));
		terminated(cfg.token, sizeof(cfg.token));
		terminated(cfg.firezone_id, sizeof(cfg.firezone_id));
		terminated(cfg.name, sizeof(cfg.name));
		terminated(cfg.health_addr, sizeof(cfg.health_addr));
		terminated(cfg.state_dir, sizeof(cfg.state_dir));
		terminated(cfg.dp_user, sizeof(cfg.dp_user));
		terminated(cfg.ctl_user, sizeof(cfg.ctl_user));
		terminated(cfg.control_bin, sizeof(cfg.control_bin));
		if (cfg.token[0] == '\0')
			abort();
		if (strncasecmp(cfg.api_url, "ws://", 5) != 0 && strncasecmp(cfg.api_url, "wss://", 6) != 0 &&
		    strncasecmp(cfg.api_url, "http://", 7) != 0 && strncasecmp(cfg.api_url, "https://", 8) != 0)
			abort();
		if (getenv("FIREZONE_TOKEN") != NULL)
			abort();	/* the token leaves the environment */
	} else if (rc != CONFIG_EXIT_OK && rc != CONFIG_USAGE && rc != CONFIG_FATAL) {
		abort();
	}
	config_clear(&cfg);
	clear_env();
	free(copy);
	return 0;
}
