/*
 * log.c - line-oriented logging to stderr, text or JSON.
 */
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *log_proc = "firezone-gateway";
static enum log_level log_lvl = LOG_LVL_INFO;
static enum log_format log_fmt = LOG_FMT_TEXT;

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

void
log_init(const char *procname, enum log_level level, enum log_format fmt)
{
	if (procname != NULL)
		log_proc = procname;
	log_lvl = level;
	log_fmt = fmt;
}

void
log_setlevel(enum log_level level)
{
	log_lvl = level;
}

enum log_level
log_getlevel(void)
{
	return log_lvl;
}

enum log_format
log_getformat(void)
{
	return log_fmt;
}

const char *
log_procname(void)
{
	return log_proc;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level > LOG_LVL_TRACE)
		return "?";
	return level_names[level];
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

static int
target_is_ours(const char *t, size_t n)
{
	static const char *const prefixes[] = { "firezone", "connlib", "gateway", "snownet", "tunnel" };
	size_t i, pl;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		pl = strlen(prefixes[i]);
		if (n >= pl && strncmp(t, prefixes[i], pl) == 0)
			return 1;
	}
	return 0;
}

int
log_level_from_rust_log(const char *directives, enum log_level *out)
{
	char buf[64];
	const char *p, *end, *eq;
	int have_bare = 0, have_ours = 0;
	enum log_level bare = LOG_LVL_INFO, ours = LOG_LVL_INFO, l;
	size_t n;

	if (directives == NULL)
		return -1;
	for (p = directives; *p != '\0'; p = (*end == ',') ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		while (p < end && isspace((unsigned char)*p))
			p++;
		n = (size_t)(end - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0)
			continue;
		eq = memchr(p, '=', n);
		if (eq == NULL) {
			if (n >= sizeof(buf))
				continue;
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (log_level_parse(buf, &l) == 0) {
				bare = l;
				have_bare = 1;
			}
			continue;
		}
		if (!target_is_ours(p, (size_t)(eq - p)))
			continue;
		n = (size_t)(p + n - (eq + 1));
		if (n == 0 || n >= sizeof(buf))
			continue;
		memcpy(buf, eq + 1, n);
		buf[n] = '\0';
		if (log_level_parse(buf, &l) == 0 && (!have_ours || l > ours)) {
			ours = l;
			have_ours = 1;
		}
	}
	if (have_ours)
		*out = ours;
	else if (have_bare)
		*out = bare;
	else
		return -1;
	return 0;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Append JSON-escaped s to buf at *off (bounded); bytes that are not
 * UTF-8 become U+FFFD so every line stays valid JSON. */
static void
json_escape(char *buf, size_t cap, size_t *off, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	int w;

	while (*s != '\0' && *off + 8 < cap) {
		if (*s == '"' || *s == '\\') {
			buf[(*off)++] = '\\';
			buf[(*off)++] = (char)*s++;
		} else if (*s < 0x20) {
			w = snprintf(buf + *off, cap - *off, "\\u%04x", *s++);
			if (w > 0)
				*off += (size_t)w;
		} else if ((n = utf8_len(s)) == 0) {
			memcpy(buf + *off, "\\ufffd", 6);
			*off += 6;
			s++;
		} else {
			memcpy(buf + *off, s, n);
			*off += n;
			s += n;
		}
	}
	buf[*off] = '\0';
}

static void
append(char *buf, size_t cap, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
append(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = (size_t)n < cap - *off ? *off + (size_t)n : cap - 1;
}

static void
vlog(enum log_level level, int with_errno, const char *fmt, va_list ap)
{
	char msg[2048], line[4400];
	int saved = errno;
	size_t len, off = 0;
	ssize_t w;

	if (level > log_lvl)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(saved));
	}
	/* One line per event: never let an embedded newline split it. */
	for (len = 0; msg[len] != '\0'; len++)
		if (msg[len] == '\n' || msg[len] == '\r')
			msg[len] = ' ';

	if (log_fmt == LOG_FMT_JSON) {
		struct timespec ts;
		struct tm tm;
		char tbuf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
		append(line, sizeof(line), &off, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"process\":\"",
		    tbuf, ts.tv_nsec / 1000000, level_names[level]);
		json_escape(line, sizeof(line) - 4, &off, log_proc);
		append(line, sizeof(line), &off, "\",\"pid\":%d,\"msg\":\"", (int)getpid());
		json_escape(line, sizeof(line) - 4, &off, msg);
		append(line, sizeof(line), &off, "\"}\n");
	} else {
		append(line, sizeof(line), &off, "%s[%d]: %s: %s\n", log_proc, (int)getpid(),
		    level_names[level], msg);
	}
	/* One write per line: both processes share stderr, lines never interleave. */
	w = write(2, line, off);
	(void)w;
	errno = saved;
}

void
log_write_line(const char *line, size_t len)
{
	int saved = errno;
	ssize_t w;

	if (line == NULL || len == 0)
		return;
	w = write(2, line, len);
	(void)w;
	errno = saved;
}

#define LOGFN(name, lvl, en)                      \
	void name(const char *fmt, ...)           \
	{                                         \
		va_list ap;                       \
		va_start(ap, fmt);                \
		vlog(lvl, en, fmt, ap);           \
		va_end(ap);                       \
	}

LOGFN(log_warn, LOG_LVL_WARN, 1)
LOGFN(log_warnx, LOG_LVL_WARN, 0)
LOGFN(log_info, LOG_LVL_INFO, 0)
LOGFN(log_debug, LOG_LVL_DEBUG, 0)
LOGFN(log_errorx, LOG_LVL_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
