/*
 * sandbox.c - build and load the seccomp filters with libseccomp.
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
#endif

static const char *const sys_dataplane[] = {
	/* reap and, on a stuck stop, kill the control process */
	"wait4", "kill",
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

static volatile sig_atomic_t trapped;

static void
sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	char msg[160];
	int n;

	(void)sig;
	(void)ctx;
	if (trapped++)
		_exit(1);
	if (log_getformat() == LOG_FMT_JSON)
		n = snprintf(msg, sizeof(msg), "{\"level\":\"error\",\"process\":\"%s\",\"pid\":%d,"
		    "\"msg\":\"sandbox: forbidden system call %d; stopping\"}\n", log_procname(),
		    (int)getpid(), si->si_syscall);
	else
		n = snprintf(msg, sizeof(msg), "%s[%d]: error: sandbox: forbidden system call %d; "
		    "stopping\n", log_procname(), (int)getpid(), si->si_syscall);
	if (n > 0) {
		ssize_t w = write(2, msg, (size_t)n);
		(void)w;
	}
	_exit(1);
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
	const char *off = getenv("FIREZONE_SECCOMP");
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int rc = -1;

	if (off != NULL && strcmp(off, "off") == 0) {
		log_warnx("sandbox: seccomp is off (FIREZONE_SECCOMP=off)");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		snprintf(why, whylen, "sigaction(SIGSYS): %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
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

void
sandbox_probe(enum sandbox_role role)
{
	const char *m = getenv("FZ_TEST_MODE");

	if (m == NULL || strcmp(m, role == SANDBOX_DATAPLANE ? "seccomp-probe-dataplane" :
	    "seccomp-probe-control") != 0)
		return;
	/* ptrace is in no allowlist. */
	(void)syscall(SYS_ptrace, 0, 0, 0, 0);
}
