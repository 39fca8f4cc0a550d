#!/usr/bin/python3
"""Probes and counters of test_access_control.sh (issue 19), run inside the
test's own network namespaces (never towards anything else).

  ping DST [COUNT] [DEADLINE]
        COUNT echo requests (0.2 s apart) to DST (IPv4 or IPv6); prints
        replies=N sent=M icmp=<type>/<code>|none from=<addr>: the echo
        replies from DST and the first ICMP error quoting one of our
        requests.  Stops early once every request was answered.
  tcp DST PORT [TIMEOUT] [--http PATH]
        connect(); prints result=<ok|errno name|timeout> elapsed=S
        banner=<first line the peer sent, spaces as _> icmp=<type>/<code>
        from=<addr> (icmp=none): the first destination-unreachable quoting
        our SYN, read from a raw ICMP socket opened before connect().  With
        --http, sends "GET PATH HTTP/1.0" and the banner is the status line.
  listen PORT[,PORT...] OUT
        TCP listeners on 0.0.0.0:PORT and [::]:PORT; each connection gets the line
        "fz-access <local addr>:<port>" and is closed; one line per
        connection is appended to OUT: "conn local=A:P peer=A:P".
        Writes "listening" to OUT first.  Runs until killed.
  count IFACE OUT STOP SECONDS KEY...
        counts the packets arriving on IFACE (AF_PACKET, every direction
        but outgoing) that match each KEY, until the file STOP exists (at
        most SECONDS).  KEY is [SRC>]DST[/PROTO[/PORT]] with PROTO icmp,
        tcp or udp (icmp matches ICMPv6 too).  OUT holds "capturing", then
        one "KEY=N" line per key, rewritten (atomically) within 50 ms of a
        change; "done" is appended at the end.
"""
import errno
import os
import select
import socket
import struct
import sys
import time


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp_socket(f):
    if f == socket.AF_INET6:
        return socket.socket(f, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    return socket.socket(f, socket.SOCK_RAW, socket.IPPROTO_ICMP)


def icmp_parse(f, data):
    """(type, code, quoted packet) of an ICMP error, or None."""
    icmp = data if f == socket.AF_INET6 else data[(data[0] & 0xF) * 4:]
    if len(icmp) < 8:
        return None
    if f == socket.AF_INET and icmp[0] not in (3, 11, 12):
        return None
    if f == socket.AF_INET6 and icmp[0] not in (1, 2, 3, 4):
        return None
    return icmp[0], icmp[1], icmp[8:]


def quoted_l4(f, q):
    """(protocol, destination bytes, l4 bytes) of a quoted packet, or None."""
    if f == socket.AF_INET:
        if len(q) < 20:
            return None
        h = (q[0] & 0xF) * 4
        return q[9], q[16:20], q[h:]
    if len(q) < 40:
        return None
    return q[6], q[24:40], q[40:]


def ping(dst, count="3", deadline="2"):
    count, deadline = int(count), float(deadline)
    f = fam(dst)
    v6 = f == socket.AF_INET6
    s = icmp_socket(f)
    want = socket.inet_pton(f, dst)
    ident = (os.getpid() * 7) & 0xFFFF
    sent, got, err = 0, set(), None
    start = time.monotonic()
    end, next_send = start + deadline, start
    while time.monotonic() < end and len(got) < count:
        now = time.monotonic()
        if sent < count and now >= next_send:
            body = b"fz-access-control".ljust(40, b".")
            t = 128 if v6 else 8
            hdr = struct.pack("!BBHHH", t, 0, 0, ident, sent)
            if not v6:
                hdr = struct.pack("!BBHHH", t, 0, csum(hdr + body), ident, sent)
            try:
                s.sendto(hdr + body, (dst, 0))
            except OSError as e:
                err = err or "send:%s" % errno.errorcode.get(e.errno, str(e.errno))
            sent += 1
            next_send += 0.2
        wake = end if sent >= count else min(end, next_send)
        r, _, _ = select.select([s], [], [], max(0.0, min(wake - time.monotonic(), 0.1)))
        if not r:
            continue
        data, addr = s.recvfrom(4096)
        src = addr[0].split("%")[0]
        icmp = data if v6 else data[(data[0] & 0xF) * 4:]
        if len(icmp) >= 8 and icmp[0] == (129 if v6 else 0):
            rid, rseq = struct.unpack("!HH", icmp[4:8])
            if rid == ident and socket.inet_pton(f, src) == want:
                got.add(rseq)
            continue
        e = icmp_parse(f, data)
        if e is None or err is not None:
            continue
        ql = quoted_l4(f, e[2])
        if ql and ql[1] == want and len(ql[2]) >= 6 and struct.unpack("!H", ql[2][4:6])[0] == ident:
            err = "%d/%d from=%s" % (e[0], e[1], src)
    print("replies=%d sent=%d icmp=%s" % (len(got), sent, err or "none"))
    return 0


def icmp_wait(raw, f, proto, dst, port, until):
    want = socket.inet_pton(f, dst)
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([raw], [], [], left)
        if not r:
            return None
        data, addr = raw.recvfrom(4096)
        e = icmp_parse(f, data)
        if e is None:
            continue
        ql = quoted_l4(f, e[2])
        if ql is None or ql[0] != proto or ql[1] != want or len(ql[2]) < 4:
            continue
        if struct.unpack("!H", ql[2][2:4])[0] != int(port):
            continue
        return "%d/%d from=%s" % (e[0], e[1], addr[0].split("%")[0])


def tcp(dst, port, timeout="3", *opt):
    f = fam(dst)
    http = opt[1] if len(opt) >= 2 and opt[0] == "--http" else None
    raw = icmp_socket(f)
    c = socket.socket(f, socket.SOCK_STREAM)
    c.settimeout(float(timeout))
    t0 = time.monotonic()
    banner = "-"
    try:
        c.connect((dst, int(port)))
        res = "ok"
        try:
            if http:
                c.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (http, dst)).encode())
            data = b""
            while b"\n" not in data and len(data) < 512:
                b = c.recv(512)
                if not b:
                    break
                data += b
            banner = data.split(b"\n")[0].decode("ascii", "replace").strip().replace(" ", "_") or "-"
        except OSError:
            pass
    except socket.timeout:
        res = "timeout"
    except OSError as e:
        res = errno.errorcode.get(e.errno, str(e.errno))
    el = time.monotonic() - t0
    c.close()
    ic = None
    if res != "ok":
        ic = icmp_wait(raw, f, 6, dst, port, time.monotonic() + 0.5)
    print("result=%s elapsed=%.2f banner=%s icmp=%s" % (res, el, banner, ic or "none"))
    return 0


def listen(ports, out):
    ls = []
    for p in ports.split(","):
        for f, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            l = socket.socket(f, socket.SOCK_STREAM)
            l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if f == socket.AF_INET6:
                l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            l.bind((any_addr, int(p)))
            l.listen(16)
            ls.append(l)
    with open(out, "a") as f:
        f.write("listening\n")
    while True:
        r, _, _ = select.select(ls, [], [])
        for l in r:
            try:
                c, peer = l.accept()
            except OSError:
                continue
            loc = c.getsockname()
            try:
                c.sendall(("fz-access %s:%d\n" % (loc[0], loc[1])).encode())
            except OSError:
                pass
            c.close()
            with open(out, "a") as f:
                f.write("conn local=%s:%d peer=%s:%d\n" % (loc[0], loc[1], peer[0], peer[1]))


PROTOS = {"icmp": (1, 58), "tcp": (6, 6), "udp": (17, 17)}


def parse_key(k):
    src = None
    rest = k
    if ">" in k:
        src, rest = k.split(">", 1)
    parts = rest.split("/")
    dst = parts[0]
    proto = parts[1] if len(parts) > 1 else None
    port = int(parts[2]) if len(parts) > 2 else None
    f = fam(dst)
    return (4 if f == socket.AF_INET else 6,
            socket.inet_pton(f, src) if src else None, socket.inet_pton(f, dst),
            PROTOS[proto] if proto else None, port)


def matches(key, pkt):
    v, src, dst, proto, port = key
    if not pkt or pkt[0] >> 4 != v:
        return False
    if v == 4:
        if len(pkt) < 20:
            return False
        s, d, p, l4 = pkt[12:16], pkt[16:20], pkt[9], pkt[(pkt[0] & 0xF) * 4:]
    else:
        if len(pkt) < 40:
            return False
        s, d, p, l4 = pkt[8:24], pkt[24:40], pkt[6], pkt[40:]
    if d != dst or (src is not None and s != src):
        return False
    if proto is not None and p not in proto:
        return False
    if port is not None:
        return p in (6, 17) and len(l4) >= 4 and struct.unpack("!H", l4[2:4])[0] == port
    return True


def write_counts(out, keys, counts, tail=""):
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("capturing\n")
        for k in keys:
            f.write("%s=%d\n" % (k, counts[k]))
        f.write(tail)
    os.rename(tmp, out)


def count(iface, out, stop, secs, *keys):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    s.bind((iface, 0))
    parsed = [(k, parse_key(k)) for k in keys]
    counts = dict((k, 0) for k in keys)
    write_counts(out, keys, counts)
    end = time.monotonic() + float(secs)
    dirty, last = False, 0.0
    while True:
        now = time.monotonic()
        if now >= end or os.path.exists(stop):
            break
        if dirty and now - last >= 0.05:
            write_counts(out, keys, counts)
            dirty, last = False, now
        r, _, _ = select.select([s], [], [], 0.05)
        if not r:
            continue
        data, addr = s.recvfrom(65536)
        if addr[2] == socket.PACKET_OUTGOING or addr[1] not in (0x0800, 0x86DD):
            continue
        for k, pk in parsed:
            if matches(pk, data):
                counts[k] += 1
                dirty = True
    write_counts(out, keys, counts, "done\n")
    return 0


def main(a):
    fn = {"ping": ping, "tcp": tcp, "listen": listen, "count": count}.get(a[0] if a else "")
    if fn is None:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return fn(*a[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
