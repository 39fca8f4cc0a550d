/*
 * sandbox.c - build and load the seccomp filters with libseccomp.
 *
 * A system call outside the allowlist kills the whole process
 * (SCMP_ACT_KILL_PROCESS), in the kernel, before the call runs.  An
 * earlier version trapped it (SCMP_ACT_TRAP) to a SIGSYS handler that
 * logged the call and exited; a compromised process could disarm that:
 * rt_sigaction must stay allowed (libevent installs its signal handlers),
 * so it could install a SIGSYS handler that simply returns, after which
 * every forbidden call fails with ENOSYS and the process runs on (blocking
 * or ignoring SIGSYS does not help it: the kernel resets those, but a
 * handler of its own is honoured).  Filtering rt_sigaction by argument
 * would not close it either, since a handler's code and data can be
 * changed with mprotect.  So nothing in user space decides what happens
 * on a violation.  What the operator still sees: the process ends by
 * SIGSYS (the service manager shows the signal, and the other process
 * logs "killed by signal 31" and exits), and the kernel logs the call as
 * an audit record of type 1326 (SECCOMP) naming it by number.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* Every group, with the reason it is needed. */
static const char *const sys_common[] = {
	/* I/O on descriptors opened before the sandbox */
	"read", "write", "readv", "writev", "close", "fcntl", "lseek", "pread64",
	/* stdio asks what stderr is */
	"fstat", "newfstatat", "statx",
	/* memory: malloc, OpenSSL, libevent; glibc's qsort asks the memory
	 * size (sysinfo) once it sorts more than 1 KiB (a client's filter) */
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect", "sysinfo",
	/* locks in OpenSSL and libc */
	"futex", "sched_yield",
	/* time and randomness (RAND_bytes, key and nonce generation) */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
	"getrandom",
	/* identity in log lines */
	"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	/* signals through libevent's signal pipe */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
	/* the event loop */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "poll", "ppoll", "select",
	"pselect6",
	/* datagrams and stream sockets already open: IPC, UDP, netlink, TCP */
	"recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "recvfrom", "sendto", "getsockopt",
	"setsockopt", "getsockname", "getpeername", "shutdown",
	/* leaving */
	"exit", "exit_group",
};

#if defined(__SANITIZE_ADDRESS__)
/* Sanitizer builds only: LeakSanitizer's exit-time check uses prctl. */
static const char *const sys_sanitizer[] = { "prctl", "sched_getaffinity", "readlink", "openat" };

/*
 * Sanitizer builds only: the leak check at exit stops the world with clone
 * and ptrace, which no allowlist has, so under the filter it would kill
 * the process with SIGSYS at every exit.  Off in the two programs; the
 * unit suites, which run without the filter, keep it.
 */
const char *__lsan_default_options(void);

const char *
__lsan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static const char *const sys_dataplane[] = {
	/* reap the control process through its pidfd (never blocking) and,
	 * on a stuck stop, try to kill it through the pidfd */
	"waitid", "pidfd_send_signal",
};

static const char *const sys_control[] = {
	/* new connections: portal (TCP), DNS (UDP), health clients (accept);
	 * socket() itself is limited to IPv4/IPv6 below */
	"connect", "bind", "accept4", "accept", "listen",
	/* the User-Agent reads the kernel's release */
	"uname",
	/* OpenSSL's certificate store lists the CA directory on a miss */
	"getdents64", "getdents",
};

/* Control rules with argument checks. */
static int
control_args(scmp_filter_ctx ctx, char *why, size_t whylen)
{
	int rc;

	/* socket(): IPv4 and IPv6 only. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET6))) < 0)
		goto fail;
	/* openat(): read-only, for the CA certificates OpenSSL loads lazily. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY))) < 0)
		goto fail;
	/* ioctl(): libevent asks how many bytes are readable. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONREAD))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONBIO))) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, whylen, "seccomp argument rule: %s", strerror(-rc));
	return -1;
}

static int
allow(scmp_filter_ctx ctx, const char *const *names, size_t n, char *why, size_t whylen)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < n; i++) {
		nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0) {
			snprintf(why, whylen, "seccomp rule for %s: %s", names[i], strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int
sandbox_apply(enum sandbox_role role, char *why, size_t whylen)
{
	scmp_filter_ctx ctx;
	int rc = -1;

#ifdef FZ_TEST_HOOKS
	{
		const char *off = getenv("FIREZONE_SECCOMP");

		if (off != NULL && strcmp(off, "off") == 0) {
			log_warnx("sandbox: seccomp is off (FIREZONE_SECCOMP=off)");
			return 1;
		}
	}
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		snprintf(why, whylen, "seccomp_init failed");
		return -1;
	}
	if (allow(ctx, sys_common, sizeof(sys_common) / sizeof(sys_common[0]), why, whylen) < 0)
		goto out;
#if defined(__SANITIZE_ADDRESS__)
	if (allow(ctx, sys_sanitizer, sizeof(sys_sanitizer) / sizeof(sys_sanitizer[0]), why, whylen) < 0)
		goto out;
#endif
	if (role == SANDBOX_DATAPLANE) {
		if (allow(ctx, sys_dataplane, sizeof(sys_dataplane) / sizeof(sys_dataplane[0]), why,
		    whylen) < 0)
			goto out;
	} else {
		if (allow(ctx, sys_control, sizeof(sys_control) / sizeof(sys_control[0]), why,
		    whylen) < 0 || control_args(ctx, why, whylen) < 0)
			goto out;
	}
	if ((rc = seccomp_load(ctx)) < 0) {
		snprintf(why, whylen, "seccomp_load: %s", strerror(-rc));
		rc = -1;
		goto out;
	}
	rc = 0;
	log_info("sandbox: seccomp allowlist active");
out:
	seccomp_release(ctx);
	return rc;
}

#ifdef FZ_TEST_HOOKS
/* What a compromised process would install to survive a violation. */
static void
probe_sigsys_ignore(int sig)
{
	(void)sig;
}

void
sandbox_probe(enum sandbox_role role)
{
	const char *m = getenv("FZ_TEST_MODE");
	struct sigaction sa;

	if (m == NULL || strcmp(m, role == SANDBOX_DATAPLANE ? "seccomp-probe-dataplane" :
	    "seccomp-probe-control") != 0)
		return;
	/* First try to disarm the filter with a SIGSYS handler that returns. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_sigsys_ignore;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == 0)
		log_info("sandbox probe: installed a SIGSYS handler of its own");
	/* ptrace is in no allowlist. */
	(void)syscall(SYS_ptrace, 0, 0, 0, 0);
	log_errorx("sandbox probe: survived a forbidden system call");
}
#else
void
sandbox_probe(enum sandbox_role role)
{
	(void)role;
}
#endif
