/*
 * sandbox.h - seccomp allowlists for the two processes (architecture.md
 * §4: applied after the privilege drop, before the event loop).
 *
 * A system call outside the list is trapped: the process writes one line
 * naming the call's number to stderr and exits with status 1, and the
 * other process follows when the socketpair closes.
 */
#ifndef FZ_SANDBOX_H
#define FZ_SANDBOX_H

#include <stddef.h>

enum sandbox_role {
	SANDBOX_DATAPLANE = 0,
	SANDBOX_CONTROL = 1,
};

/*
 * Install no_new_privs (if not yet) and the filter for role, and say so in
 * the log.  Returns 0, or -1 with a reason in why.  With FIREZONE_SECCOMP=off in the
 * environment nothing is installed (debugging only) and 1 is returned.
 */
int sandbox_apply(enum sandbox_role role, char *why, size_t whylen);

/*
 * Test hook: when FZ_TEST_MODE is "seccomp-probe-dataplane" or
 * "seccomp-probe-control" (for this role), make one system call that no
 * allowlist contains, so tests can see the trap.
 */
void sandbox_probe(enum sandbox_role role);

#endif
