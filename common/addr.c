/*
 * addr.c - address conversions and the Firezone address ranges.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int
addr_from_sockaddr(struct ipc_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const void *)sa;
		a->family = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->addr, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		a->port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->family = 4;
			memcpy(a->addr, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = 6;
			memcpy(a->addr, &s6->sin6_addr, 16);
		}
		return 0;
	}
	return -1;
}

socklen_t
addr_to_sockaddr(const struct ipc_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *s4 = (void *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		return sizeof(*s4);
	}
	if (a->family == 6) {
		struct sockaddr_in6 *s6 = (void *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
	return 0;
}

const char *
addr_fmt(const struct ipc_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == 4 && inet_ntop(AF_INET, a->addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, len, "%s:%u", ip, (unsigned)a->port);
	else if (a->family == 6 && inet_ntop(AF_INET6, a->addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, len, "[%s]:%u", ip, (unsigned)a->port);
	else
		snprintf(buf, len, "(invalid address)");
	return buf;
}

int
addr_equal(const struct ipc_addr *a, const struct ipc_addr *b)
{
	size_t n = a->family == 4 ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
}

static const uint8_t client4[4] = { 100, 64, 0, 0 };
static const uint8_t proxy4[4] = { 100, 96, 0, 0 };
static const uint8_t client6[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11 };
static const uint8_t proxy6[16] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80, 0x00 };

/* 1 if the first plen bits of a and net agree. */
static int
prefix_match(const uint8_t *a, const uint8_t *net, unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;
	uint8_t mask;

	if (memcmp(a, net, full) != 0)
		return 0;
	if (rem == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rem));
	return (a[full] & mask) == (net[full] & mask);
}

/* 1 if the bits of a after plen (a has n bytes) all equal `bit`. */
static int
host_bits_all(const uint8_t *a, size_t n, unsigned plen, int bit)
{
	uint8_t want = bit ? 0xff : 0x00, mask;
	size_t i = plen / 8;

	if (plen % 8 != 0) {
		mask = (uint8_t)(0xff >> (plen % 8));
		if ((a[i] & mask) != (want & mask))
			return 0;
		i++;
	}
	for (; i < n; i++)
		if (a[i] != want)
			return 0;
	return 1;
}

int
addr_in_client_range(uint8_t family, const uint8_t *addr)
{
	if (family == 4)
		return prefix_match(addr, client4, ADDR_TUNNEL_PLEN4);
	if (family == 6)
		return prefix_match(addr, client6, ADDR_TUNNEL_PLEN6);
	return 0;
}

int
addr_in_proxy_range(uint8_t family, const uint8_t *addr)
{
	if (family == 4)
		return prefix_match(addr, proxy4, ADDR_TUNNEL_PLEN4);
	if (family == 6)
		return prefix_match(addr, proxy6, ADDR_TUNNEL_PLEN6);
	return 0;
}

int
addr_is_tunnel_host(uint8_t family, const uint8_t *addr)
{
	if (!addr_in_client_range(family, addr))
		return 0;
	if (family == 4)
		return !host_bits_all(addr, 4, ADDR_TUNNEL_PLEN4, 0) &&
		    !host_bits_all(addr, 4, ADDR_TUNNEL_PLEN4, 1);
	return !host_bits_all(addr, 16, ADDR_TUNNEL_PLEN6, 0);
}
