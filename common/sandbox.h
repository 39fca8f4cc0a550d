/*
 * sandbox.h - seccomp allowlists for the two processes (docs/architecture.md
 * §4: applied after the privilege drop, before the event loop).
 *
 * A system call outside the list kills the process with SIGSYS, in the
 * kernel (no handler a compromised process could replace); the kernel's
 * audit log names the call, and the other process follows when the
 * socketpair closes.
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
 * the log.  Returns 0, or -1 with a reason in why.  Test builds only
 * (FZ_TEST_HOOKS): with FIREZONE_SECCOMP=off in the environment nothing is
 * installed and 1 is returned.
 */
int sandbox_apply(enum sandbox_role role, char *why, size_t whylen);

/*
 * Test hook, compiled only into test builds (FZ_TEST_HOOKS; elsewhere it
 * does nothing): when FZ_TEST_MODE is "seccomp-probe-dataplane" or
 * "seccomp-probe-control" (for this role), install a SIGSYS handler that
 * returns, as a compromised process would, then make one system call that
 * no allowlist contains, so tests can see that the process still dies.
 */
void sandbox_probe(enum sandbox_role role);

#endif
