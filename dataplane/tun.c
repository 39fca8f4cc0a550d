/*
 * tun.c - create the TUN device.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tun.h"
#include "tunoff.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

/* Offload sets to ask for, most first; the first the kernel takes wins. */
static const unsigned int offload_tries[] = {
	TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6,
	TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
	TUN_F_CSUM,
};

static void
ask_offloads(int fd, struct tun_caps *caps)
{
	size_t i;

	for (i = 0; i < sizeof(offload_tries) / sizeof(offload_tries[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, offload_tries[i]) == 0) {
			caps->offload = offload_tries[i];
			return;
		}
	caps->offload = 0;
}

long
tun_write_hdr(int fd, const uint8_t *hdr, const void *pkt, size_t len)
{
	struct iovec iov[2];

	iov[0].iov_base = (void *)(uintptr_t)hdr;
	iov[0].iov_len = TUNOFF_HDR_LEN;
	iov[1].iov_base = (void *)(uintptr_t)pkt;
	iov[1].iov_len = len;
	return (long)writev(fd, iov, 2);
}

long
tun_write(int fd, const struct tun_caps *caps, const void *pkt, size_t len)
{
	static const uint8_t none[TUNOFF_HDR_LEN];

	if (!caps->vnet)
		return (long)write(fd, pkt, len);
	return tun_write_hdr(fd, none, pkt, len);
}

const char *
tun_caps_str(const struct tun_caps *caps, char *buf, size_t len)
{
	if (!caps->vnet || caps->offload == 0) {
		snprintf(buf, len, "none");
		return buf;
	}
	snprintf(buf, len, "%s%s%s", (caps->offload & TUN_F_CSUM) ? "checksum" : "",
	    (caps->offload & TUN_F_TSO4) ? ", TSO" : "",
	    (caps->offload & TUN_F_USO4) ? ", USO" : "");
	return buf;
}

int
tun_open(char *why, size_t whylen, int offload, struct tun_caps *caps)
{
	struct ifreq ifr;
	int fd, s, saved, rc;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0) {
		saved = errno;
		if (saved == EACCES)
			snprintf(why, whylen, "cannot open /dev/net/tun: permission denied "
			    "(this user needs read and write access to it, usually mode 0666)");
		else
			snprintf(why, whylen, "cannot open /dev/net/tun: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", TUN_NAME);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	caps->vnet = offload != 0;
	caps->offload = 0;
	rc = ioctl(fd, TUNSETIFF, &ifr);
	if (rc < 0 && errno == EINVAL) {
		/* A kernel without virtio-net headers on TUN: none then. */
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
		caps->vnet = 0;
		rc = ioctl(fd, TUNSETIFF, &ifr);
	}
	if (rc < 0) {
		saved = errno;
		if (saved == EBUSY)
			snprintf(why, whylen, "cannot create %s: the device is in use "
			    "(is another gateway running?)", TUN_NAME);
		else if (saved == EPERM)
			snprintf(why, whylen, "cannot create %s: permission denied (CAP_NET_ADMIN needed)",
			    TUN_NAME);
		else
			snprintf(why, whylen, "cannot create %s: %s", TUN_NAME, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	if (caps->vnet)
		ask_offloads(fd, caps);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		saved = errno;
		snprintf(why, whylen, "socket for %s setup: %s", TUN_NAME, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", TUN_NAME);
	ifr.ifr_mtu = TUN_MTU;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
		saved = errno;
		snprintf(why, whylen, "cannot set the MTU of %s: %s", TUN_NAME, strerror(saved));
		close(s);
		close(fd);
		errno = saved;
		return -1;
	}
	/* A longer queue toward us absorbs the moments the dataplane is not
	 * scheduled (the default 500 overflowed under a burst on a busy
	 * 2-core host); without the right to change it, the default stays. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", TUN_NAME);
	ifr.ifr_qlen = TUN_TXQUEUELEN;
	(void)ioctl(s, SIOCSIFTXQLEN, &ifr);
	close(s);
	return fd;
}

unsigned int
tun_ifindex(void)
{
	return if_nametoindex(TUN_NAME);
}
