#!/usr/bin/python3
"""Probes of test_e2e_clients.sh (issue 7), run inside a client namespace.

  tcp HOST PORT [TIMEOUT]   connect(); prints result=<ok|errno name> elapsed=S
                            and, from a raw ICMP socket opened first, the
                            destination-unreachable errors quoting our SYN:
                            icmp=<type>/<code> from=<addr> (icmp=none if none)
  udp HOST PORT [TIMEOUT]   a few datagrams to HOST:PORT; prints icmp=... as
                            above for errors quoting them (first one only)
  capture IFACE SECONDS STOPFILE SRC...
                            every packet on IFACE (AF_PACKET, L3) until
                            STOPFILE exists (at most SECONDS); prints
                            total=N from_src=M (M: IPv4/IPv6 source one of SRC)
  udppeers IFACE SECONDS    the IPv4 UDP flows seen on IFACE: src>dst=count ...

IPv4 only for tcp/udp (the scenarios use 10.99.0.2).
"""
import errno
import os
import select
import socket
import struct
import sys
import time


def icmp_wait(raw, proto, host, port, until):
    """The first ICMP type 3 quoting a packet of PROTO to HOST:PORT."""
    want = socket.inet_aton(host)
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([raw], [], [], left)
        if not r:
            return None
        data, addr = raw.recvfrom(4096)
        icmp = data[(data[0] & 0xF) * 4:]
        if len(icmp) < 8 + 20 + 4 or icmp[0] != 3:
            continue
        q = icmp[8:]
        qh = (q[0] & 0xF) * 4
        if q[9] != proto or q[16:20] != want or len(q) < qh + 4:
            continue
        if struct.unpack("!H", q[qh + 2:qh + 4])[0] != int(port):
            continue
        return "icmp=%d/%d from=%s" % (icmp[0], icmp[1], addr[0])


def tcp(host, port, timeout="5"):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(float(timeout))
    t0 = time.monotonic()
    try:
        c.connect((host, int(port)))
        res = "ok"
    except socket.timeout:
        res = "timeout"
    except OSError as e:
        res = errno.errorcode.get(e.errno, str(e.errno))
    el = time.monotonic() - t0
    c.close()
    ic = icmp_wait(raw, 6, host, port, time.monotonic() + 1.0) or "icmp=none"
    print("result=%s elapsed=%.2f %s" % (res, el, ic))
    return 0


def udp(host, port, timeout="3"):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.monotonic() + float(timeout)
    ic = None
    while ic is None and time.monotonic() < end:
        try:
            u.sendto(b"fz-e2e-clients udp probe", (host, int(port)))
        except OSError:
            pass
        ic = icmp_wait(raw, 17, host, port, min(end, time.monotonic() + 0.5))
    print(ic or "icmp=none")
    return 0


def capture(iface, secs, stop, *srcs):
    """Count packets on IFACE until STOP exists (at most SECONDS)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    s.bind((iface, 0))
    want = set()
    for a in srcs:
        want.add(socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a))
    end = time.monotonic() + float(secs)
    total = hits = 0
    sys.stdout.write("capturing\n")
    sys.stdout.flush()
    while True:
        left = end - time.monotonic()
        if left <= 0 or os.path.exists(stop):
            break
        r, _, _ = select.select([s], [], [], min(left, 0.1))
        if not r:
            continue
        data = s.recv(65536)
        if not data:
            continue
        total += 1
        v = data[0] >> 4
        if v == 4 and len(data) >= 20 and data[12:16] in want:
            hits += 1
        elif v == 6 and len(data) >= 40 and data[8:24] in want:
            hits += 1
    print("total=%d from_src=%d" % (total, hits))
    return 0


def udppeers(iface, secs):
    """The distinct IPv4 UDP src:port>dst:port seen on IFACE for SECONDS."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    s.bind((iface, 0))
    end = time.monotonic() + float(secs)
    seen = {}
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        d = s.recv(65536)
        if len(d) < 28 or d[0] >> 4 != 4 or d[9] != 17:
            continue
        h = (d[0] & 0xF) * 4
        sp, dp = struct.unpack("!HH", d[h:h + 4])
        k = "%s:%d>%s:%d" % (socket.inet_ntoa(d[12:16]), sp, socket.inet_ntoa(d[16:20]), dp)
        seen[k] = seen.get(k, 0) + 1
    print(" ".join("%s=%d" % kv for kv in sorted(seen.items())) or "none")
    return 0


def main(a):
    fn = {"tcp": tcp, "udp": udp, "capture": capture, "udppeers": udppeers}.get(a[0] if a else "")
    if fn is None:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return fn(*a[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
