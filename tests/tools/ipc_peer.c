/*
 * ipc_peer - a misbehaving peer for the IPC rejection tests.
 *
 *   ipc_peer control           run by firezone-gateway in place of the
 *                              control program (FIREZONE_CONTROL_BIN); reads
 *                              the case name from FZ_TEST_MODE
 *   ipc_peer dataplane CASE CONTROL_BIN
 *                              start CONTROL_BIN as firezone-gateway would
 *                              (fd 3, user "nobody" when root) and send it CASE
 *
 * Each case is a message the receiver must refuse; the receiving process
 * has to exit with status 1.  In "dataplane" mode the tool prints the
 * control program's exit status and exits 0 only if it was 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc_msg.h"

static int sock = IPC_CONTROL_FD;

static void
raw(uint16_t type, const void *payload, size_t len, int32_t len_delta, int nfds)
{
	uint8_t buf[sizeof(struct ipc_hdr) + sizeof(struct ipc_d2c_config) + 64];
	union {
		struct cmsghdr a;
		uint8_t b[CMSG_SPACE(sizeof(int) * 2)];
	} cb;
	struct ipc_hdr h;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	int fds[2];

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)((int64_t)len + len_delta);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	iov.iov_base = buf;
	iov.iov_len = sizeof(h) + len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		fds[0] = open("/dev/null", O_RDONLY);
		fds[1] = open("/dev/null", O_RDONLY);
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		fprintf(stderr, "ipc_peer: sendmsg: %s\n", strerror(errno));
}

/* Drain whatever the other side sends until it closes. */
static void
drain(void)
{
	uint8_t buf[16384];
	ssize_t n;

	while ((n = recv(sock, buf, sizeof(buf), 0)) > 0)
		;
}

static int
recv_one(uint16_t *type)
{
	uint8_t buf[16384];
	struct ipc_hdr h;
	ssize_t n = recv(sock, buf, sizeof(buf), 0);

	if (n < (ssize_t)sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	*type = h.type;
	return 0;
}

/* Cases shared by both directions; `to_control` picks the message types. */
static int
send_case(const char *cs, int to_control)
{
	uint8_t p[sizeof(struct ipc_d2c_config)];
	uint32_t ver = IPC_VERSION;
	uint16_t hello = to_control ? IPC_D2C_HELLO : IPC_C2D_HELLO;
	size_t hello_len = to_control ? sizeof(struct ipc_d2c_hello) : sizeof(struct ipc_c2d_hello);
	uint16_t wrong_dir = to_control ? IPC_C2D_HELLO : IPC_D2C_HELLO;

	memset(p, 0, sizeof(p));
	memcpy(p, &ver, sizeof(ver));
	if (strcmp(cs, "unknown-type") == 0)
		raw(0x7777, p, 8, 0, 0);
	else if (strcmp(cs, "wrong-direction") == 0)
		raw(wrong_dir, p, to_control ? sizeof(struct ipc_c2d_hello) : sizeof(struct ipc_d2c_hello), 0, 0);
	else if (strcmp(cs, "wrong-size") == 0)
		raw(hello, p, hello_len + 4, 0, 0);
	else if (strcmp(cs, "length-mismatch") == 0)
		raw(hello, p, hello_len, 8, 0);
	else if (strcmp(cs, "unexpected-fd") == 0)
		raw(hello, p, hello_len, 0, 1);
	else if (strcmp(cs, "version") == 0) {
		ver = IPC_VERSION + 7;
		memcpy(p, &ver, sizeof(ver));
		raw(hello, p, hello_len, 0, 0);
	} else if (strcmp(cs, "wrong-phase") == 0) {
		/* A run-phase message before HELLO. */
		if (to_control)
			raw(IPC_D2C_SOCKET_ACK, p, sizeof(struct ipc_d2c_socket_ack), 0, 0);
		else
			raw(IPC_C2D_UDP_SOCKET, p, sizeof(struct ipc_c2d_udp_socket), 0, 1);
	} else if (strcmp(cs, "missing-fd") == 0) {
		if (to_control)
			return -1;
		raw(hello, p, hello_len, 0, 0);
		p[0] = 4;
		raw(IPC_C2D_UDP_SOCKET, p, sizeof(struct ipc_c2d_udp_socket), 0, 0);
	} else if (strcmp(cs, "short") == 0)
		raw(hello, p, 0, 0, 0);
	else
		return -1;
	return 0;
}

static int
as_control(void)
{
	const char *cs = getenv("FZ_TEST_MODE");
	uint16_t t;

	if (cs == NULL)
		return 2;
	/* Wait for the dataplane's HELLO and CONFIG so it is in its loop. */
	if (recv_one(&t) < 0 || recv_one(&t) < 0)
		return 3;
	if (send_case(cs, 0) < 0) {
		fprintf(stderr, "ipc_peer: unknown case %s\n", cs);
		return 2;
	}
	drain();
	return 0;
}

static int
as_dataplane(const char *cs, const char *bin)
{
	struct passwd *pw = getpwnam("nobody");
	int sv[2], st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 3;
	if ((pid = fork()) == 0) {
		dup2(sv[1], IPC_CONTROL_FD);
		if (geteuid() == 0 && pw != NULL &&
		    (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0))
			_exit(126);
		/* Control refuses to run without it, as the dataplane starts it. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(126);
		execl(bin, "firezone-gateway-control", "--log-level", "debug", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	sock = sv[0];
	if (send_case(cs, 1) < 0) {
		fprintf(stderr, "ipc_peer: unknown case %s\n", cs);
		kill(pid, SIGKILL);
		return 2;
	}
	waitpid(pid, &st, 0);
	printf("control exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return (WIFEXITED(st) && WEXITSTATUS(st) == 1) ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "control") == 0)
		return as_control();
	if (argc == 4 && strcmp(argv[1], "dataplane") == 0)
		return as_dataplane(argv[2], argv[3]);
	/* firezone-gateway execs us with its own argv[0]. */
	if (argc >= 1 && getenv("FZ_TEST_MODE") != NULL)
		return as_control();
	fprintf(stderr, "usage: ipc_peer control | ipc_peer dataplane CASE CONTROL_BIN\n");
	return 2;
}
