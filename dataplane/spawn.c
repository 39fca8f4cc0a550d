/*
 * spawn.c - start the control process: fork, drop every privilege in the
 * child, tie its life to ours, exec firezone-gateway-control with its
 * socket on IPC_CONTROL_FD and a minimal environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "dataplane.h"
#include "log.h"
#include "privdrop.h"

/* Environment variables control may see; everything else is dropped.
 * FZ_TEST_MODE (the seccomp probe) only in test builds. */
static const char *const pass_env[] = {
	"SSL_CERT_FILE", "SSL_CERT_DIR", "TZ", "LANG", "LC_ALL", "NOTIFY_SOCKET",
	"WATCHDOG_USEC", "WATCHDOG_PID",
#ifdef FZ_TEST_HOOKS
	"FZ_TEST_MODE",
#endif
};

static void
child_fail(const char *what)
{
	/* Only async-signal-safe calls between fork and exec. */
	static const char pre[] = "control[child]: error: ";
	ssize_t r;

	r = write(2, pre, sizeof(pre) - 1);
	r = write(2, what, strlen(what));
	r = write(2, "\n", 1);
	(void)r;
	_exit(127);
}

pid_t
dp_spawn_control(const struct dp_config *cfg, const void *planp, int ctl_sock)
{
	const struct privdrop_plan *plan = planp;
	char *envp[sizeof(pass_env) / sizeof(pass_env[0]) + 2];
	char envbuf[sizeof(pass_env) / sizeof(pass_env[0])][1024];
	char why[1400];
	char *argv[6];
	size_t i, n = 0;
	const char *v;
	pid_t pid, parent = getpid();

	/* Build argv and envp before fork: no allocation in the child. */
	argv[0] = (char *)"firezone-gateway-control";
	argv[1] = (char *)"--log-level";
	argv[2] = (char *)log_level_name(cfg->log_level);
	argv[3] = (char *)"--log-format";
	argv[4] = (char *)(cfg->log_format == LOG_FMT_JSON ? "json" : "text");
	argv[5] = NULL;
	for (i = 0; i < sizeof(pass_env) / sizeof(pass_env[0]); i++) {
		if ((v = getenv(pass_env[i])) == NULL)
			continue;
		if ((size_t)snprintf(envbuf[n], sizeof(envbuf[n]), "%s=%s", pass_env[i], v) >=
		    sizeof(envbuf[n]))
			continue;
		envp[n] = envbuf[n];
		n++;
	}
	envp[n] = NULL;

	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		return pid;

	/* Child. */
	if (ctl_sock != IPC_CONTROL_FD) {
		if (dup2(ctl_sock, IPC_CONTROL_FD) < 0)
			child_fail("dup2 of the control socket failed");
	} else if (fcntl(ctl_sock, F_SETFD, 0) < 0) {
		child_fail("fcntl on the control socket failed");
	}
	/* dup2 clears FD_CLOEXEC on the copy; close everything above it. */
	if (close_range(IPC_CONTROL_FD + 1, ~0U, 0) < 0) {
		int fd;
		for (fd = IPC_CONTROL_FD + 1; fd < 1024; fd++)
			close(fd);
	}
	if (privdrop_control(plan, why, sizeof(why)) < 0)
		child_fail(why);
	/*
	 * Control dies with us: the dataplane cannot signal it (another user,
	 * no CAP_KILL) and never waits for it, so the kernel ends it when we
	 * exit, however we exit.  Set after the drop, which resets it, and
	 * kept across the exec (control is not set-user-ID).  If we died
	 * before this point, nobody would deliver the signal: check.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_fail("prctl(PR_SET_PDEATHSIG) failed");
	if (getppid() != parent)
		child_fail("the dataplane exited while control was starting");
	execve(cfg->control_bin, argv, envp);
	snprintf(why, sizeof(why), "cannot execute %s: %s (set FIREZONE_CONTROL_BIN?)",
	    cfg->control_bin, strerror(errno));
	child_fail(why);
	return -1;
}
