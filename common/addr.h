/*
 * addr.h - conversions between socket addresses, the IPC address form and
 * text for logs.
 */
#ifndef FZ_ADDR_H
#define FZ_ADDR_H

#include <stddef.h>
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

#endif
