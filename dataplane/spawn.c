/*
 * spawn.c - start the control process: open and check its program while
 * we are still privileged, fork, drop every privilege in the child, tie its
 * life to ours, and fexecve the opened program with its socket on
 * IPC_CONTROL_FD and a minimal environment.  Executing the descriptor we
 * checked means the program may lie anywhere root can read (a clone in a
 * 0700 home directory) and cannot be swapped between check and exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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

/* Where the child puts the program's descriptor before fexecve. */
#define CONTROL_BIN_FD (IPC_CONTROL_FD + 1)

/* Can the control user (uid, gid; no supplementary groups) do `bits`
 * (S_IWOTH-style "other" bits: 2 write, 1 execute) on st? */
static int
control_may(const struct stat *st, const struct privdrop_plan *plan, mode_t bits)
{
	if (st->st_uid == plan->ctl_uid)
		return (st->st_mode & (bits << 6)) != 0;
	if (st->st_gid == plan->ctl_gid)
		return (st->st_mode & (bits << 3)) != 0;
	return (st->st_mode & bits) != 0;
}

int
dp_control_open(const char *path, const void *planp, int *is_script, char *why, size_t whylen)
{
	const struct privdrop_plan *plan = planp;
	struct stat st;
	char magic[2];
	int fd, dfd;

	*is_script = 0;
	if (path[0] == '\0') {
		snprintf(why, whylen, "no control program found (set FIREZONE_CONTROL_BIN)");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(why, whylen, "cannot open the control program %s: %s (set FIREZONE_CONTROL_BIN)",
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "the control program %s is not a regular file", path);
		goto fail;
	}
	if (plan->as_root) {
		/* Control runs as its own user: it must not be able to change
		 * the program the next start runs, and must be allowed to run it. */
		if (st.st_uid == plan->ctl_uid || control_may(&st, plan, S_IWOTH)) {
			snprintf(why, whylen, "the control program %s is writable by the control user; "
			    "make it belong to root, mode 0755", path);
			goto fail;
		}
		if (!control_may(&st, plan, S_IXOTH)) {
			snprintf(why, whylen, "the control program %s is not executable by the control "
			    "user (mode %04o)", path, (unsigned)(st.st_mode & 07777));
			goto fail;
		}
	} else if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
		snprintf(why, whylen, "the control program %s is not executable", path);
		goto fail;
	}
	*is_script = pread(fd, magic, sizeof(magic), 0) == 2 && magic[0] == '#' && magic[1] == '!';
	/* Above the descriptors the child arranges (IPC_CONTROL_FD, CONTROL_BIN_FD),
	 * so that placing the socket cannot overwrite it. */
	if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, CONTROL_BIN_FD + 8)) < 0) {
		snprintf(why, whylen, "cannot keep the control program open: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	return dfd;
fail:
	close(fd);
	return -1;
}

pid_t
dp_spawn_control(const struct dp_config *cfg, const void *planp, int ctl_sock, int bin_fd,
    int is_script)
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
	/*
	 * The program's descriptor goes next to it.  An interpreter script (a
	 * test's wrapper) is run through /dev/fd/N, so its descriptor must
	 * survive the exec; a binary's is closed by it.
	 */
	if (bin_fd == CONTROL_BIN_FD) {
		if (fcntl(bin_fd, F_SETFD, is_script ? 0 : FD_CLOEXEC) < 0)
			child_fail("fcntl on the control program failed");
	} else if (dup2(bin_fd, CONTROL_BIN_FD) < 0 ||
	    (!is_script && fcntl(CONTROL_BIN_FD, F_SETFD, FD_CLOEXEC) < 0)) {
		child_fail("dup2 of the control program failed");
	}
	/* dup2 clears FD_CLOEXEC on the copies; close everything above them. */
	if (close_range(CONTROL_BIN_FD + 1, ~0U, 0) < 0) {
		int fd;
		for (fd = CONTROL_BIN_FD + 1; fd < 1024; fd++)
			close(fd);
	}
	if (privdrop_control(plan, why, sizeof(why)) < 0)
		child_fail(why);
	/*
	 * Control dies with us: the dataplane never waits for it, so the
	 * kernel ends it when we exit, however we exit (the signal passes the
	 * permission check because our real uid is control's, privdrop.c).  Set after the drop, which resets it, and
	 * kept across the exec (control is not set-user-ID).  If we died
	 * before this point, nobody would deliver the signal: check.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_fail("prctl(PR_SET_PDEATHSIG) failed");
	if (getppid() != parent)
		child_fail("the dataplane exited while control was starting");
	fexecve(CONTROL_BIN_FD, argv, envp);
	snprintf(why, sizeof(why), "cannot execute %s: %s (set FIREZONE_CONTROL_BIN?)",
	    cfg->control_bin, strerror(errno));
	child_fail(why);
	return -1;
}
