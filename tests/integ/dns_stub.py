#!/usr/bin/python3
"""A nameserver stub and a client for the port-53535 DNS server test
(test_dns_server.sh, docs/dns-server.md).

    dns_stub.py serve ADDR [ADDR...]
        Answer on UDP and TCP port 53 of each ADDR (until killed):
          SRV _sip._tcp.app.resource.test   one SRV record
          TXT txt.resource.test             one short TXT record
          TXT long.resource.test            8 TXT records, 1800+ bytes in all
          anything under silent.resource.test  no answer at all
          anything else                     NXDOMAIN
        Every query is logged on stdout: "query TRANSPORT ID TYPE NAME".

    dns_stub.py ask udp|tcp SERVER PORT ID TYPE NAME [TIMEOUT]
        Send one query with that id (TYPE: SRV, TXT or A) and print
        "id=.. rcode=.. tc=.. an=.. len=.. same=0|1 secs=..", where same=1
        means the answer is byte for byte what the stub itself answers.
        Exit 1 on timeout.

    dns_stub.py ask2 SERVER PORT
        Two queries one after the other on one TCP connection, then two more
        written at once (pipelined); prints one "ask" line per answer.

    dns_stub.py junk SERVER PORT
        Three unparsable UDP datagrams, then on one TCP connection an
        unparsable message followed by a good query; prints the "ask" line
        of its answer (the junk must be dropped, the connection kept).

    dns_stub.py conns SERVER PORT N
        Open N TCP connections at once and print "open=N closed=M", M being
        how many the server closed within 2 s.
"""
import socket, struct, sys, threading, time

TYPES = {"A": 1, "TXT": 16, "SRV": 33}


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def build_query(qid, qtype, name):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire_name(name) + struct.pack("!HH", qtype, 1)


def parse_question(msg):
    """(id, type, lowercase name, offset past the question) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1 or flags & 0x8000:
        return None
    o, labels = 12, []
    while o < len(msg) and msg[o] != 0:
        n = msg[o]
        if n > 63 or o + 1 + n > len(msg):
            return None
        labels.append(msg[o + 1:o + 1 + n].decode("ascii", "replace"))
        o += 1 + n
    if o + 5 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[o + 1:o + 3])[0]
    return qid, qtype, ".".join(labels).lower(), o + 5


def rr(rtype, rdata, ttl=300):
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(rdata)) + rdata


def txt(s):
    return bytes([len(s)]) + s


def answer(msg):
    """The stub's answer to msg, or None for no answer."""
    q = parse_question(msg)
    if q is None:
        return None
    qid, qtype, name, end = q
    if name == "silent.resource.test" or name.endswith(".silent.resource.test"):
        return None
    records, rcode = [], 0
    if qtype == 33 and name == "_sip._tcp.app.resource.test":
        records = [rr(33, struct.pack("!HHH", 10, 5, 5060) + wire_name("host.resource.test"))]
    elif qtype == 16 and name == "txt.resource.test":
        records = [rr(16, txt(b"v=fz1 hello"))]
    elif qtype == 16 and name == "long.resource.test":
        records = [rr(16, txt(bytes([0x61 + i]) * 220)) for i in range(8)]
    else:
        rcode = 3
    head = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(records), 0, 0)
    return head + msg[12:end] + b"".join(records)


def log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve_udp(addr, fam):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    while True:
        msg, peer = s.recvfrom(65535)
        q = parse_question(msg)
        if q:
            log("query udp %d %d %s" % (q[0], q[1], q[2]))
        a = answer(msg)
        if a is not None:
            s.sendto(a, peer)


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        part = c.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return buf


def serve_tcp_conn(c):
    with c:
        while True:
            pfx = recv_exact(c, 2)
            if pfx is None:
                return
            msg = recv_exact(c, struct.unpack("!H", pfx)[0])
            if msg is None:
                return
            q = parse_question(msg)
            if q:
                log("query tcp %d %d %s" % (q[0], q[1], q[2]))
            a = answer(msg)
            if a is None:
                continue  # silent: keep the connection open, never answer
            c.sendall(struct.pack("!H", len(a)) + a)


def serve_tcp(addr, fam):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_tcp_conn, args=(c,), daemon=True).start()


def serve(addrs):
    threads = []
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        for fn in (serve_udp, serve_tcp):
            t = threading.Thread(target=fn, args=(a, fam), daemon=True)
            t.start()
            threads.append(t)
    log("stub: serving")
    while True:
        time.sleep(3600)


def describe(query, ans, secs):
    qid, flags, qd, an = struct.unpack("!HHHH", ans[:8])
    expect = answer(query)
    return "id=%d rcode=%d tc=%d an=%d len=%d same=%d secs=%.1f" % (
        qid, flags & 0xF, 1 if flags & 0x0200 else 0, an, len(ans), 1 if ans == expect else 0, secs)


def ask(transport, server, port, qid, qtype, name, timeout):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    query = build_query(qid, TYPES[qtype], name)
    t0 = time.time()
    if transport == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.sendto(query, (server, port))
        try:
            ans, _ = s.recvfrom(65535)
        except socket.timeout:
            print("timeout secs=%.1f" % (time.time() - t0))
            return 1
    else:
        s = socket.create_connection((server, port), timeout=timeout)
        s.sendall(struct.pack("!H", len(query)) + query)
        try:
            pfx = recv_exact(s, 2)
            ans = recv_exact(s, struct.unpack("!H", pfx)[0]) if pfx else None
        except socket.timeout:
            ans = None
        if ans is None:
            print("timeout secs=%.1f" % (time.time() - t0))
            return 1
    print(describe(query, ans, time.time() - t0))
    return 0


def ask2(server, port):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.create_connection((server, port), timeout=8)
    qs = [build_query(1001, 33, "_sip._tcp.app.resource.test"), build_query(1002, 16, "long.resource.test")]
    for q in qs:
        s.sendall(struct.pack("!H", len(q)) + q)
        t0 = time.time()
        a = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
        print(describe(q, a, time.time() - t0))
    qs = [build_query(1003, 16, "txt.resource.test"), build_query(1004, 33, "_sip._tcp.app.resource.test")]
    t0 = time.time()
    s.sendall(b"".join(struct.pack("!H", len(q)) + q for q in qs))
    for q in qs:
        a = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
        print(describe(q, a, time.time() - t0))
    s.close()
    return 0


def junk(server, port):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    for d in (b"\0" * 5, build_query(1, 16, "txt.resource.test")[:20],
              struct.pack("!HHHHHH", 2, 0x8180, 1, 0, 0, 0) + wire_name("txt.resource.test") + b"\0\x10\0\1"):
        u.sendto(d, (server, port))
    s = socket.create_connection((server, port), timeout=8)
    bad = b"\xff" * 14
    q = build_query(2001, 16, "txt.resource.test")
    s.sendall(struct.pack("!H", len(bad)) + bad + struct.pack("!H", len(q)) + q)
    t0 = time.time()
    a = recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0])
    print(describe(q, a, time.time() - t0))
    return 0


def conns(server, port, n):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    socks = [socket.create_connection((server, port), timeout=2) for _ in range(n)]
    time.sleep(2)
    closed = 0
    for c in socks:
        c.setblocking(False)
        try:
            if c.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("open=%d closed=%d" % (n, closed))
    return 0


def main():
    argv = sys.argv
    if len(argv) >= 3 and argv[1] == "serve":
        serve(argv[2:])
        return 0
    if not ((len(argv) >= 8 and argv[1] == "ask") or (len(argv) == 4 and argv[1] in ("ask2", "junk")) or
            (len(argv) == 5 and argv[1] == "conns")):
        print(__doc__)
        return 2
    try:
        if argv[1] == "ask":
            timeout = float(argv[8]) if len(argv) > 8 else 8.0
            return ask(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6], argv[7], timeout)
        if argv[1] == "junk":
            return junk(argv[2], int(argv[3]))
        if argv[1] == "conns":
            return conns(argv[2], int(argv[3]), int(argv[4]))
        return ask2(argv[2], int(argv[3]))
    except (OSError, TypeError, struct.error) as e:
        # refused (nothing listens), reset, or a connection closed early
        print("error %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
