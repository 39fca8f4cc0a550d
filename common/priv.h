/*
 * priv.h - read back a process's identity and capabilities from
 * /proc/<pid>/status, to verify a privilege drop after it is made, and
 * the start-up hygiene both processes share.  libc only, so both binaries
 * (and the tests) can use it.
 */
#ifndef FZ_PRIV_H
#define FZ_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct priv_status {
	uid_t uid[4];      /* real, effective, saved, filesystem */
	gid_t gid[4];
	int ngroups;       /* supplementary groups */
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int no_new_privs;  /* the NoNewPrivs field; 0 when absent */
};

#define PRIV_CAP_BIT(c) (UINT64_C(1) << (c))

/* Parse the status file of pid (0 = self).  Returns 0 or -1 (errno set). */
int priv_read_status(pid_t pid, struct priv_status *st);

/* Parse status text (for tests).  Returns 0 or -1 if a field is missing. */
int priv_parse_status(const char *text, struct priv_status *st);

/*
 * Check that the real uid is `ruid`, the effective, saved and filesystem
 * uids are `uid`, every gid is `gid`, there are no
 * supplementary groups (when drop_groups), the effective and permitted sets are exactly
 * `caps`, inheritable and ambient are empty, (when check_bounding) the
 * bounding set is exactly `caps`, and NoNewPrivs is 1 (a kernel too old to
 * report it fails: closed, not open).  Returns 0, or -1 with a reason in why.
 */
int priv_verify(const struct priv_status *st, uid_t ruid, uid_t uid, gid_t gid,
    uint64_t caps, int drop_groups, int check_bounding, char *why, size_t whylen);

/*
 * Make sure descriptors 0, 1 and 2 are open, putting /dev/null on any that
 * is closed, so that nothing opened later lands there and receives what is
 * meant for stdout or stderr.  Call first in main, before anything opens a
 * descriptor.  Returns 0, or -1 (errno set) when /dev/null cannot be opened.
 */
int priv_stdio_open(void);

#endif
