/*
 * addr.h - conversions between socket addresses, the IPC address form and
 * text for logs.
 */
#ifndef FZ_ADDR_H
#define FZ_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ipc_msg.h"

/* Longest text addr_fmt writes: "[" v6 "]:" port NUL. */
#define ADDR_STRLEN 64

/* Fill an ipc_addr from a sockaddr (AF_INET/AF_INET6).  Returns 0 or -1;
 * a v4-mapped IPv6 address is stored as IPv4. */
int addr_from_sockaddr(struct ipc_addr *a, const struct sockaddr *sa, socklen_t len);
/* Fill a sockaddr_storage from an ipc_addr.  Returns its length, or 0. */
socklen_t addr_to_sockaddr(const struct ipc_addr *a, struct sockaddr_storage *ss);
/* "192.0.2.1:3478" or "[2001:db8::1]:3478" into buf; returns buf. */
const char *addr_fmt(const struct ipc_addr *a, char *buf, size_t len);
/* Equal family, address and port. */
int addr_equal(const struct ipc_addr *a, const struct ipc_addr *b);

/*
 * The Firezone address ranges, on raw bytes: family 4 (addr: 4 bytes) or 6
 * (addr: 16 bytes); any other family is in no range.
 *
 * addr_in_client_range: the tunnel addresses of clients and gateways,
 * 100.64.0.0/11 and fd00:2021:1111::/107.
 * addr_in_proxy_range: the DNS-resource proxy IPs, 100.96.0.0/11 and
 * fd00:2021:1111:8000::/107.
 * addr_is_tunnel_host: in the client range and usable as one host's
 * address: the host part is not all zeros (nor, for IPv4, all ones).
 * Each returns 1 or 0.
 */
#define ADDR_TUNNEL_PLEN4 11
#define ADDR_TUNNEL_PLEN6 107
int addr_in_client_range(uint8_t family, const uint8_t *addr);
int addr_in_proxy_range(uint8_t family, const uint8_t *addr);
int addr_is_tunnel_host(uint8_t family, const uint8_t *addr);

#endif
