/*
 * priv.c - parse and check /proc/<pid>/status; open the standard
 * descriptors.
 */
#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *
field(const char *text, const char *name)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':')
			return p + nl + 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static int
parse_ids(const char *text, const char *name, unsigned int out[4])
{
	const char *p = field(text, name);
	char *end;
	unsigned long v;
	int i;

	if (p == NULL)
		return -1;
	for (i = 0; i < 4; i++) {
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || errno != 0 || v > UINT32_MAX)
			return -1;
		out[i] = (unsigned int)v;
		p = end;
	}
	return 0;
}

static int
parse_cap(const char *text, const char *name, uint64_t *out)
{
	const char *p = field(text, name);
	char *end;

	if (p == NULL)
		return -1;
	errno = 0;
	*out = strtoull(p, &end, 16);
	return (end == p || errno != 0) ? -1 : 0;
}

int
priv_parse_status(const char *text, struct priv_status *st)
{
	unsigned int ids[4];
	const char *g;
	int i;

	memset(st, 0, sizeof(*st));
	if (parse_ids(text, "Uid", ids) < 0)
		return -1;
	for (i = 0; i < 4; i++)
		st->uid[i] = (uid_t)ids[i];
	if (parse_ids(text, "Gid", ids) < 0)
		return -1;
	for (i = 0; i < 4; i++)
		st->gid[i] = (gid_t)ids[i];
	if ((g = field(text, "Groups")) == NULL)
		return -1;
	for (;;) {
		while (*g == ' ' || *g == '\t')
			g++;
		if (*g < '0' || *g > '9')
			break;
		st->ngroups++;
		while (*g >= '0' && *g <= '9')
			g++;
	}
	if (parse_cap(text, "CapInh", &st->cap_inh) < 0 ||
	    parse_cap(text, "CapPrm", &st->cap_prm) < 0 ||
	    parse_cap(text, "CapEff", &st->cap_eff) < 0 ||
	    parse_cap(text, "CapBnd", &st->cap_bnd) < 0)
		return -1;
	/* CapAmb and NoNewPrivs exist since Linux 4.3 / 4.10. */
	if (parse_cap(text, "CapAmb", &st->cap_amb) < 0)
		st->cap_amb = 0;
	if ((g = field(text, "NoNewPrivs")) != NULL)
		st->no_new_privs = atoi(g);
	return 0;
}

int
priv_read_status(pid_t pid, struct priv_status *st)
{
	char path[64], buf[8192];
	ssize_t n;
	size_t off = 0;
	int fd;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/status");
	else
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (off < sizeof(buf) - 1 && (n = read(fd, buf + off, sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	if (priv_parse_status(buf, st) < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
priv_verify(const struct priv_status *st, uid_t ruid, uid_t uid, gid_t gid,
    uint64_t caps, int drop_groups, int check_bounding, char *why, size_t whylen)
{
	uid_t want;
	int i;

	for (i = 0; i < 4; i++) {
		want = i == 0 ? ruid : uid;
		if (st->uid[i] != want) {
			snprintf(why, whylen, "uid is %u, expected %u", (unsigned)st->uid[i], (unsigned)want);
			return -1;
		}
		if (st->gid[i] != gid) {
			snprintf(why, whylen, "gid is %u, expected %u", (unsigned)st->gid[i], (unsigned)gid);
			return -1;
		}
	}
	if (drop_groups && st->ngroups != 0) {
		snprintf(why, whylen, "%d supplementary groups remain", st->ngroups);
		return -1;
	}
	if (st->cap_eff != caps || st->cap_prm != caps) {
		snprintf(why, whylen, "capabilities effective %016" PRIx64 " permitted %016" PRIx64
		    ", expected %016" PRIx64, st->cap_eff, st->cap_prm, caps);
		return -1;
	}
	if (st->cap_inh != 0 || st->cap_amb != 0) {
		snprintf(why, whylen, "inheritable %016" PRIx64 " or ambient %016" PRIx64
		    " capabilities remain", st->cap_inh, st->cap_amb);
		return -1;
	}
	if (check_bounding && st->cap_bnd != caps) {
		snprintf(why, whylen, "bounding set %016" PRIx64 ", expected %016" PRIx64,
		    st->cap_bnd, caps);
		return -1;
	}
	if (st->no_new_privs != 1) {
		snprintf(why, whylen, "NoNewPrivs is %d, expected 1", st->no_new_privs);
		return -1;
	}
	return 0;
}

int
priv_stdio_open(void)
{
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor: fd itself, since the lower ones are open. */
		if ((nfd = open("/dev/null", O_RDWR)) < 0)
			return -1;
		if (nfd != fd) {
			if (dup2(nfd, fd) < 0) {
				close(nfd);
				return -1;
			}
			close(nfd);
		}
	}
	return 0;
}
