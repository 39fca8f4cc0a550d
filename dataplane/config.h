/*
 * config.h - command line and environment of firezone-gateway: the
 * upstream gateway's options and variables (docs/portal-today.md), plus this
 * implementation's own.
 * An explicit flag wins over its environment variable.
 */
#ifndef FZ_DP_CONFIG_H
#define FZ_DP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define CONFIG_DEFAULT_API_URL "wss://api.firezone.dev"
#define CONFIG_DEFAULT_HEALTH_ADDR "0.0.0.0:8080"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/firezone"
#define CONFIG_DEFAULT_DP_USER "firezone-gateway"
#define CONFIG_DEFAULT_CTL_USER "firezone-control"
#define CONFIG_TOKEN_CREDENTIAL "firezone-token"
#define CONFIG_TOKEN_CREDENTIAL_UPSTREAM "FIREZONE_TOKEN"  /* upstream's .deb unit */
#define CONFIG_DEFAULT_MAX_PARTITION_S (24u * 3600)         /* 24 h */
#define CONFIG_MAX_PARTITION_S (100u * 31557600u)          /* 100 years */
#define CONFIG_DEFAULT_FLOW_LOG_INTERVAL 60     /* seconds */
#define CONFIG_MAX_FLOW_LOG_INTERVAL 86400

struct dp_config {
	char api_url[1024];
	char token[2048];
	char firezone_id[256];
	char name[256];
	char health_addr[128];
	char state_dir[256];
	char dp_user[64];
	char ctl_user[64];
	char control_bin[1024];
	enum log_level log_level;
	enum log_format log_format;
	int no_telemetry;
	int flow_logs;                  /* --flow-logs / FIREZONE_FLOW_LOGS */
	unsigned int flow_log_interval_s; /* 0: only when flows end */
	int tun_offload;                /* --no-tun-offload / FIREZONE_TUN_OFFLOAD */
	uint32_t max_partition_s;       /* -m / FIREZONE_MAX_PARTITION_TIME */
};

enum config_result {
	CONFIG_OK = 0,
	CONFIG_EXIT_OK = 1,   /* --help or --version was printed */
	CONFIG_USAGE = 2,     /* command-line error: exit 2 */
	CONFIG_FATAL = 3,     /* e.g. no token: exit 1 */
};

/*
 * Parse argv and the environment into c.  Messages for the user are
 * written to stderr / stdout (help, version).  The token is wiped from
 * argv and from the environment block once copied, so it does not show in
 * /proc/<pid>/cmdline or /proc/<pid>/environ.
 */
enum config_result config_parse(struct dp_config *c, int argc, char **argv);

/*
 * Parse a duration as upstream's humantime does: one or more "<number>
 * <unit>" (ms, s, m, h, d, w, M, y and their long names: "1h 30m", "30d"),
 * or a bare number of seconds.  *out_s gets the total in seconds, rounded
 * up.  0 ok, -1 bad or overflowing.
 */
int config_parse_duration(const char *s, uint64_t *out_s);

/* Parse a boolean word (true/false/1/0/yes/no/on/off).  0 ok, -1 bad. */
int config_parse_bool(const char *s, int *out);

/*
 * The flow-log settings of the last config_parse that returned CONFIG_OK
 * (off before one): 1 if on, with *interval_s set; 0 if off.  The
 * dataplane's tunnel reads them when it starts, main.c passing it no
 * configuration.
 */
int config_flow_logs(unsigned int *interval_s);

/* Wipe secrets held in c. */
void config_clear(struct dp_config *c);

/* Print the --help text to f. */
void config_usage(const char *prog, void *f);

#endif
