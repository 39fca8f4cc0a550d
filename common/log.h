/*
 * log.h - OpenBSD-style logging shared by both processes.
 *
 * Every line carries the process name ("dataplane" or "control") so the
 * two halves of the gateway can be told apart in one stream.  Messages go
 * to stderr; nothing here may ever be handed a token, key or PSK.
 */
#ifndef FZ_LOG_H
#define FZ_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
	LOG_LVL_TRACE = 4,
};

enum log_format {
	LOG_FMT_TEXT = 0,
	LOG_FMT_JSON = 1,
};

/* Set the process name used as the prefix of every line (not copied). */
void log_init(const char *procname, enum log_level level, enum log_format fmt);
void log_setlevel(enum log_level level);
enum log_level log_getlevel(void);
enum log_format log_getformat(void);
const char *log_procname(void);

/*
 * Parse a level name ("error", "warn", "info", "debug", "trace", any case).
 * Returns 0 and stores the level, or -1 if the name is unknown.
 */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

/*
 * Derive a level from a RUST_LOG-style directive list such as
 * "info", "warn,firezone_gateway=debug" or "firezone=trace".  A bare level is
 * the default; a "target=level" directive whose target starts with
 * "firezone" or "connlib" (or is "gateway"/"snownet") overrides it.  Unknown
 * directives are ignored.  Returns 0 if a level was found, -1 otherwise.
 */
int log_level_from_rust_log(const char *directives, enum log_level *out);

/*
 * Write one line formatted by the caller (it must end in '\n' and hold no
 * other newline) to the log stream in one write, whatever the level and the
 * format: flow-log records, which are JSON in both formats.
 */
void log_write_line(const char *line, size_t len);

/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal/fatalx log at error level and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Error line without exiting (used before a controlled exit). */
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
