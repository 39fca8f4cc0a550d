/*
 * config.c - parse the command line and environment of firezone-gateway.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

extern char **environ;

enum {
	OPT_NO_TELEMETRY = 256,
	OPT_HEALTH,
	OPT_STATE_DIR,
	OPT_DP_USER,
	OPT_CTL_USER,
	OPT_LOG_LEVEL,
	OPT_LOG_FORMAT,
	OPT_FLOW_LOGS,
	OPT_FLOW_LOG_INTERVAL,
	OPT_NO_TUN_OFFLOAD,
	OPT_NO_INC_BUF,
	OPT_NO_CHECK,
	OPT_METRICS,
	OPT_OTLP,
	OPT_VALIDATE_CHECKSUMS,
};

static int flow_logs_on;
static unsigned int flow_logs_interval = CONFIG_DEFAULT_FLOW_LOG_INTERVAL;

static const struct option long_opts[] = {
	{ "api-url", required_argument, NULL, 'u' },
	{ "firezone-id", required_argument, NULL, 'i' },
	{ "firezone-name", required_argument, NULL, 'n' },
	{ "no-telemetry", no_argument, NULL, OPT_NO_TELEMETRY },
	{ "health-check-addr", required_argument, NULL, OPT_HEALTH },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "dataplane-user", required_argument, NULL, OPT_DP_USER },
	{ "control-user", required_argument, NULL, OPT_CTL_USER },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "flow-logs", no_argument, NULL, OPT_FLOW_LOGS },
	{ "flow-log-interval", required_argument, NULL, OPT_FLOW_LOG_INTERVAL },
	{ "no-tun-offload", no_argument, NULL, OPT_NO_TUN_OFFLOAD },
	{ "max-partition-time", required_argument, NULL, 'm' },
	{ "no-inc-buf", no_argument, NULL, OPT_NO_INC_BUF },
	{ "no-check", no_argument, NULL, OPT_NO_CHECK },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "otlp-grpc-endpoint", required_argument, NULL, OPT_OTLP },
	{ "validate-checksums", no_argument, NULL, OPT_VALIDATE_CHECKSUMS },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void
config_usage(const char *prog, void *fp)
{
	FILE *f = fp;

	fprintf(f,
"usage: %s [options] [TOKEN]\n"
"\n"
"Firezone gateway: connects to the Firezone portal and lets authorized\n"
"clients reach resources on this network over WireGuard.\n"
"\n"
"  TOKEN                      portal token (env FIREZONE_TOKEN, or a file named by\n"
"                             FIREZONE_TOKEN_FILE, or the systemd credential\n"
"                             \"" CONFIG_TOKEN_CREDENTIAL_UPSTREAM "\" or \"" CONFIG_TOKEN_CREDENTIAL "\")\n"
"  -u, --api-url URL          portal URL (env FIREZONE_API_URL; default " CONFIG_DEFAULT_API_URL ")\n"
"  -i, --firezone-id ID       gateway ID (env FIREZONE_ID; default: STATE_DIR/gateway_id)\n"
"  -n, --firezone-name NAME   name shown in the portal (env FIREZONE_NAME; default: hostname)\n"
"      --no-telemetry         accepted for compatibility; nothing is ever sent\n"
"                             (env FIREZONE_NO_TELEMETRY)\n"
"      --health-check-addr A  health HTTP address (env HEALTH_CHECK_ADDR; default " CONFIG_DEFAULT_HEALTH_ADDR ")\n"
"      --state-dir DIR        state directory (env FIREZONE_STATE_DIR; default " CONFIG_DEFAULT_STATE_DIR ")\n"
"      --dataplane-user USER  user of the dataplane process (env FIREZONE_DATAPLANE_USER;\n"
"                             default " CONFIG_DEFAULT_DP_USER ")\n"
"      --control-user USER    user of the control process (env FIREZONE_CONTROL_USER;\n"
"                             default " CONFIG_DEFAULT_CTL_USER ")\n"
"      --log-level LEVEL      error, warn, info, debug or trace (default: from RUST_LOG,\n"
"                             else info)\n"
"      --log-format FORMAT    human (or text) or json: one JSON object per line\n"
"                             (env FIREZONE_LOG_FORMAT, or LOG_FORMAT; default human)\n"
"  -m, --max-partition-time T give up (exit 1) when the portal stays unreachable\n"
"                             this long after a join: e.g. 30m, 1h, 30d\n"
"                             (env FIREZONE_MAX_PARTITION_TIME; default 24h)\n"
"      --flow-logs            one JSON line per flow on the log stream, when it ends\n"
"                             and every interval while it lasts (env FIREZONE_FLOW_LOGS;\n"
"                             default off)\n"
"      --flow-log-interval S  seconds between the lines of a lasting flow, 0 = only\n"
"                             when it ends (env FIREZONE_FLOW_LOG_INTERVAL; default 60)\n"
"      --no-tun-offload       no segmentation or checksum offloads on the TUN device\n"
"                             (env FIREZONE_TUN_OFFLOAD=false; default: on where the\n"
"                             kernel has them)\n"
"      --no-inc-buf, --no-check, --metrics M, --otlp-grpc-endpoint E,\n"
"      --validate-checksums   accepted for compatibility with the upstream gateway,\n"
"                             without effect (env FIREZONE_NO_INC_BUF, FIREZONE_METRICS,\n"
"                             OTLP_GRPC_ENDPOINT, FIREZONE_VALIDATE_CHECKSUMS)\n"
"  -d, --debug                foreground debugging: same as --log-level debug\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n"
"\n"
"Run as root (the two processes then switch to their own users) or as a user\n"
"holding CAP_NET_ADMIN (setcap cap_net_admin+eip). See firezone-gateway(8).\n",
	    prog);
}

int
config_parse_bool(const char *s, int *out)
{
	static const char *const t[] = { "true", "1", "yes", "on" };
	static const char *const f[] = { "false", "0", "no", "off", "" };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcasecmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

/* Copy src into a fixed field; complain naming the option if too long. */
static int
set_field(char *dst, size_t size, const char *src, const char *what)
{
	size_t n = strlen(src);

	if (n >= size) {
		fprintf(stderr, "firezone-gateway: %s is too long (%zu bytes, at most %zu)\n",
		    what, n, size - 1);
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* Environment value, treating an empty one as unset. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

/* Overwrite a secret in the process's original argv/environ memory. */
static void
scrub(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
}

static void
scrub_env(const char *name)
{
	size_t nl = strlen(name);
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=')
			scrub(*e + nl + 1);
	unsetenv(name);
}

/* Strip surrounding whitespace in place; returns the start. */
static char *
trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Read a token file (at most the field size); 0 ok, -1 error printed. */
static int
read_token_file(struct dp_config *c, const char *path)
{
	char buf[sizeof(c->token) + 2];
	size_t off = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "firezone-gateway: cannot read token file %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (off < sizeof(buf) - 1 && (n = read(fd, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	if (off >= sizeof(buf) - 1)
		fprintf(stderr, "firezone-gateway: token file %s is too large\n", path);
	else if (*trim(buf) == '\0')
		fprintf(stderr, "firezone-gateway: token file %s is empty\n", path);
	else
		rc = set_field(c->token, sizeof(c->token), trim(buf), "the token");
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* A number of seconds 0..CONFIG_MAX_FLOW_LOG_INTERVAL; 0 ok, -1 printed. */
static int
parse_interval(const char *s, const char *what, unsigned int *out)
{
	unsigned long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && v <= CONFIG_MAX_FLOW_LOG_INTERVAL; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p != '\0' || v > CONFIG_MAX_FLOW_LOG_INTERVAL) {
		fprintf(stderr, "firezone-gateway: %s must be a number of seconds from 0 to %d, "
		    "not \"%s\"\n", what, CONFIG_MAX_FLOW_LOG_INTERVAL, s);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

/* Seconds per unit of a humantime-style duration; 0 if unknown. */
static uint64_t
duration_unit(const char *u, size_t n, int *millis)
{
	static const struct {
		const char *name;
		uint64_t secs;
	} units[] = {
		{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 }, { "seconds", 1 },
		{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 }, { "minutes", 60 },
		{ "h", 3600 }, { "hr", 3600 }, { "hrs", 3600 }, { "hour", 3600 }, { "hours", 3600 },
		{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
		{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
		{ "M", 2630016 }, { "month", 2630016 }, { "months", 2630016 },
		{ "y", 31557600 }, { "year", 31557600 }, { "years", 31557600 },
	};
	size_t i;

	*millis = n == 2 && strncmp(u, "ms", 2) == 0;
	if (*millis)
		return 1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && strncmp(units[i].name, u, n) == 0)
			return units[i].secs;
	return 0;
}

int
config_parse_duration(const char *s, uint64_t *out_s)
{
	uint64_t total_ms = 0, v, unit;
	const char *p = s, *u;
	int millis, any = 0;

	if (s == NULL)
		return -1;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (*p < '0' || *p > '9')
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		while (*p == ' ')
			p++;
		for (u = p; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'); p++)
			;
		if (p == u) {
			if (*p != '\0' || any)
				return -1;
			unit = 1;	/* a bare number: seconds */
			millis = 0;
		} else if ((unit = duration_unit(u, (size_t)(p - u), &millis)) == 0) {
			return -1;
		}
		if (!millis && (v > UINT64_MAX / 1000 / unit))
			return -1;
		v = millis ? v : v * unit * 1000;
		if (total_ms > UINT64_MAX - v)
			return -1;
		total_ms += v;
		any = 1;
	}
	if (!any)
		return -1;
	*out_s = (total_ms + 999) / 1000;
	return 0;
}

/* FIREZONE_MAX_PARTITION_TIME / -m: 0 ok, -1 printed. */
static int
set_partition(struct dp_config *c, const char *v, const char *what)
{
	uint64_t secs;

	if (config_parse_duration(v, &secs) < 0 || secs == 0 || secs > CONFIG_MAX_PARTITION_S) {
		fprintf(stderr, "firezone-gateway: %s must be a duration from 1s to 100y such as "
		    "30m, 1h or 30d, not \"%s\"\n", what, v);
		return -1;
	}
	c->max_partition_s = (uint32_t)secs;
	return 0;
}

/* A boolean environment variable accepted for compatibility: 0 ok, -1 printed. */
static int
env_bool_ignored(const char *name)
{
	const char *v = env(name);
	int b;

	if (v != NULL && config_parse_bool(v, &b) < 0) {
		fprintf(stderr, "firezone-gateway: %s must be true or false, not \"%s\"\n", name, v);
		return -1;
	}
	return 0;
}

/* --metrics / FIREZONE_METRICS: one of upstream's values; 0 ok, -1 printed. */
static int
check_metrics(const char *v, const char *what)
{
	if (v == NULL || strcmp(v, "stdout") == 0 || strcmp(v, "otel-collector") == 0 ||
	    strcmp(v, "sentry") == 0)
		return 0;
	fprintf(stderr, "firezone-gateway: %s must be stdout, otel-collector or sentry, not \"%s\"\n",
	    what, v);
	return -1;
}

/* human, text or json; 0 ok, -1 printed. */
static int
set_log_format(struct dp_config *c, const char *v, const char *what)
{
	if (strcasecmp(v, "text") == 0 || strcasecmp(v, "human") == 0)
		c->log_format = LOG_FMT_TEXT;
	else if (strcasecmp(v, "json") == 0)
		c->log_format = LOG_FMT_JSON;
	else {
		fprintf(stderr, "firezone-gateway: unknown log format \"%s\" in %s (human, text or json)\n",
		    v, what);
		return -1;
	}
	return 0;
}

/*
 * The systemd credential: upstream's name FIREZONE_TOKEN first, then ours.
 * 1 when one was read, 0 when none exists, -1 on error (printed).
 */
static int
read_credential(struct dp_config *c, const char *dir)
{
	static const char *const names[] = { CONFIG_TOKEN_CREDENTIAL_UPSTREAM,
	    CONFIG_TOKEN_CREDENTIAL };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path) ||
		    access(path, F_OK) != 0)
			continue;
		return read_token_file(c, path) < 0 ? -1 : 1;
	}
	return 0;
}

int
config_flow_logs(unsigned int *interval_s)
{
	if (interval_s != NULL)
		*interval_s = flow_logs_interval;
	return flow_logs_on;
}

static int
check_url(const char *u)
{
	static const char *const schemes[] = { "ws://", "wss://", "http://", "https://" };
	size_t i, l;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		l = strlen(schemes[i]);
		if (strncasecmp(u, schemes[i], l) == 0)
			return (u[l] != '\0' && u[l] != '/' && u[l] != ':') ? 0 : -1;
	}
	return -1;
}

enum config_result
config_parse(struct dp_config *c, int argc, char **argv)
{
	const char *prog = "firezone-gateway";
	const char *v, *level_arg = NULL, *format_arg = NULL, *format_what = "--log-format";
	int ch, b, rc;

	memset(c, 0, sizeof(*c));
	c->log_level = LOG_LVL_INFO;
	c->log_format = LOG_FMT_TEXT;
	c->flow_log_interval_s = CONFIG_DEFAULT_FLOW_LOG_INTERVAL;
	c->max_partition_s = CONFIG_DEFAULT_MAX_PARTITION_S;

	/* Environment first; flags override below. */
	snprintf(c->api_url, sizeof(c->api_url), "%s", CONFIG_DEFAULT_API_URL);
	snprintf(c->health_addr, sizeof(c->health_addr), "%s", CONFIG_DEFAULT_HEALTH_ADDR);
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", CONFIG_DEFAULT_STATE_DIR);
	snprintf(c->dp_user, sizeof(c->dp_user), "%s", CONFIG_DEFAULT_DP_USER);
	snprintf(c->ctl_user, sizeof(c->ctl_user), "%s", CONFIG_DEFAULT_CTL_USER);
	if ((v = env("FIREZONE_API_URL")) && set_field(c->api_url, sizeof(c->api_url), v, "FIREZONE_API_URL"))
		return CONFIG_USAGE;
	if ((v = env("FIREZONE_ID")) && set_field(c->firezone_id, sizeof(c->firezone_id), v, "FIREZONE_ID"))
		return CONFIG_USAGE;
	if ((v = env("FIREZONE_NAME")) && set_field(c->name, sizeof(c->name), v, "FIREZONE_NAME"))
		return CONFIG_USAGE;
	if ((v = env("HEALTH_CHECK_ADDR")) && set_field(c->health_addr, sizeof(c->health_addr), v, "HEALTH_CHECK_ADDR"))
		return CONFIG_USAGE;
	if ((v = env("FIREZONE_STATE_DIR")) && set_field(c->state_dir, sizeof(c->state_dir), v, "FIREZONE_STATE_DIR"))
		return CONFIG_USAGE;
	if ((v = env("FIREZONE_DATAPLANE_USER")) && set_field(c->dp_user, sizeof(c->dp_user), v, "FIREZONE_DATAPLANE_USER"))
		return CONFIG_USAGE;
	if ((v = env("FIREZONE_CONTROL_USER")) && set_field(c->ctl_user, sizeof(c->ctl_user), v, "FIREZONE_CONTROL_USER"))
		return CONFIG_USAGE;
	if ((v = env("FIREZONE_NO_TELEMETRY")) != NULL) {
		if (config_parse_bool(v, &b) < 0) {
			fprintf(stderr, "firezone-gateway: FIREZONE_NO_TELEMETRY must be true or false, not \"%s\"\n", v);
			return CONFIG_USAGE;
		}
		c->no_telemetry = b;
	}
	if ((v = env("FIREZONE_FLOW_LOGS")) != NULL) {
		if (config_parse_bool(v, &b) < 0) {
			fprintf(stderr, "firezone-gateway: FIREZONE_FLOW_LOGS must be true or false, not \"%s\"\n", v);
			return CONFIG_USAGE;
		}
		c->flow_logs = b;
	}
	c->tun_offload = 1;
	if ((v = env("FIREZONE_TUN_OFFLOAD")) != NULL) {
		if (config_parse_bool(v, &b) < 0) {
			fprintf(stderr, "firezone-gateway: FIREZONE_TUN_OFFLOAD must be true or false, not \"%s\"\n", v);
			return CONFIG_USAGE;
		}
		c->tun_offload = b;
	}
	if ((v = env("FIREZONE_FLOW_LOG_INTERVAL")) != NULL &&
	    parse_interval(v, "FIREZONE_FLOW_LOG_INTERVAL", &c->flow_log_interval_s) < 0)
		return CONFIG_USAGE;
	if ((format_arg = env("FIREZONE_LOG_FORMAT")) != NULL)
		format_what = "FIREZONE_LOG_FORMAT";
	else if ((format_arg = env("LOG_FORMAT")) != NULL)
		format_what = "LOG_FORMAT";
	if ((v = env("FIREZONE_MAX_PARTITION_TIME")) != NULL &&
	    set_partition(c, v, "FIREZONE_MAX_PARTITION_TIME") < 0)
		return CONFIG_USAGE;
	if (env_bool_ignored("FIREZONE_NO_INC_BUF") < 0 ||
	    env_bool_ignored("FIREZONE_VALIDATE_CHECKSUMS") < 0 ||
	    check_metrics(env("FIREZONE_METRICS"), "FIREZONE_METRICS") < 0)
		return CONFIG_USAGE;
	if ((v = env("RUST_LOG")) != NULL) {
		enum log_level l;
		if (log_level_from_rust_log(v, &l) == 0)
			c->log_level = l;
	}

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":u:i:n:m:dhV", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			if (set_field(c->api_url, sizeof(c->api_url), optarg, "--api-url"))
				return CONFIG_USAGE;
			break;
		case 'i':
			if (set_field(c->firezone_id, sizeof(c->firezone_id), optarg, "--firezone-id"))
				return CONFIG_USAGE;
			break;
		case 'n':
			if (set_field(c->name, sizeof(c->name), optarg, "--firezone-name"))
				return CONFIG_USAGE;
			break;
		case OPT_NO_TELEMETRY:
			c->no_telemetry = 1;
			break;
		case OPT_HEALTH:
			if (set_field(c->health_addr, sizeof(c->health_addr), optarg, "--health-check-addr"))
				return CONFIG_USAGE;
			break;
		case OPT_STATE_DIR:
			if (set_field(c->state_dir, sizeof(c->state_dir), optarg, "--state-dir"))
				return CONFIG_USAGE;
			break;
		case OPT_DP_USER:
			if (set_field(c->dp_user, sizeof(c->dp_user), optarg, "--dataplane-user"))
				return CONFIG_USAGE;
			break;
		case OPT_CTL_USER:
			if (set_field(c->ctl_user, sizeof(c->ctl_user), optarg, "--control-user"))
				return CONFIG_USAGE;
			break;
		case OPT_LOG_LEVEL:
			level_arg = optarg;
			break;
		case OPT_LOG_FORMAT:
			format_arg = optarg;
			format_what = "--log-format";
			break;
		case 'm':
			if (set_partition(c, optarg, "--max-partition-time") < 0)
				return CONFIG_USAGE;
			break;
		case OPT_METRICS:
			if (check_metrics(optarg, "--metrics") < 0)
				return CONFIG_USAGE;
			break;
		case OPT_NO_INC_BUF:
		case OPT_NO_CHECK:
		case OPT_OTLP:
		case OPT_VALIDATE_CHECKSUMS:
			/* Upstream's options without an equivalent here. */
			break;
		case OPT_NO_TUN_OFFLOAD:
			c->tun_offload = 0;
			break;
		case OPT_FLOW_LOGS:
			c->flow_logs = 1;
			break;
		case OPT_FLOW_LOG_INTERVAL:
			if (parse_interval(optarg, "--flow-log-interval", &c->flow_log_interval_s) < 0)
				return CONFIG_USAGE;
			break;
		case 'd':
			level_arg = "debug";
			break;
		case 'h':
			config_usage(prog, stdout);
			return CONFIG_EXIT_OK;
		case 'V':
			printf("firezone-gateway %s\n", FZ_VERSION);
			return CONFIG_EXIT_OK;
		case ':':
			fprintf(stderr, "firezone-gateway: option %s needs a value\n", argv[optind - 1]);
			fprintf(stderr, "Try 'firezone-gateway --help'.\n");
			return CONFIG_USAGE;
		default:
			fprintf(stderr, "firezone-gateway: unknown option %s\n", argv[optind - 1]);
			fprintf(stderr, "Try 'firezone-gateway --help'.\n");
			return CONFIG_USAGE;
		}
	}
	if (level_arg != NULL && log_level_parse(level_arg, &c->log_level) < 0) {
		fprintf(stderr, "firezone-gateway: unknown log level \"%s\" (error, warn, info, debug, trace)\n", level_arg);
		return CONFIG_USAGE;
	}
	if (format_arg != NULL && set_log_format(c, format_arg, format_what) < 0)
		return CONFIG_USAGE;
	if (argc - optind > 1) {
		fprintf(stderr, "firezone-gateway: unexpected argument after the token\n");
		return CONFIG_USAGE;
	}
	if (check_url(c->api_url) < 0) {
		/* A startup error (exit 1), as docs/protocol/portal.md §1.1 says. */
		fprintf(stderr, "firezone-gateway: invalid API URL: only http(s):// and ws(s):// URLs "
		    "with a host are allowed\n");
		return CONFIG_FATAL;
	}

	/* Token: argument, FIREZONE_TOKEN, FIREZONE_TOKEN_FILE, credential. */
	if (argc - optind == 1) {
		if (set_field(c->token, sizeof(c->token), argv[optind], "the token"))
			return CONFIG_FATAL;
		scrub(argv[optind]);
	} else if ((v = env("FIREZONE_TOKEN")) != NULL) {
		if (set_field(c->token, sizeof(c->token), v, "FIREZONE_TOKEN"))
			return CONFIG_FATAL;
	} else if ((v = env("FIREZONE_TOKEN_FILE")) != NULL) {
		if (read_token_file(c, v) < 0)
			return CONFIG_FATAL;
	} else if ((v = env("CREDENTIALS_DIRECTORY")) != NULL) {
		if ((rc = read_credential(c, v)) < 0)
			return CONFIG_FATAL;
	}
	scrub_env("FIREZONE_TOKEN");
	if (c->token[0] == '\0') {
		fprintf(stderr, "firezone-gateway: no token: pass it as an argument or set FIREZONE_TOKEN "
		    "(or FIREZONE_TOKEN_FILE, or the systemd credential FIREZONE_TOKEN)\n");
		return CONFIG_FATAL;
	}

	if (c->name[0] == '\0' && gethostname(c->name, sizeof(c->name) - 1) < 0)
		snprintf(c->name, sizeof(c->name), "firezone-gateway");

	v = env("FIREZONE_CONTROL_BIN");
	if (set_field(c->control_bin, sizeof(c->control_bin),
	    v != NULL ? v : FZ_LIBEXECDIR "/firezone-gateway-control", "FIREZONE_CONTROL_BIN"))
		return CONFIG_USAGE;
	flow_logs_on = c->flow_logs;
	flow_logs_interval = c->flow_log_interval_s;
	return CONFIG_OK;
}

void
config_clear(struct dp_config *c)
{
	OPENSSL_cleanse(c->token, sizeof(c->token));
}
