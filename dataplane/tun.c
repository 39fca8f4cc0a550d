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
#include <unistd.h>

#include "tun.h"

int
tun_open(char *why, size_t whylen)
{
	struct ifreq ifr;
	int fd, s, saved;

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
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
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
