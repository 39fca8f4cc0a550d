#!/usr/bin/python3
"""Checked traffic of the soak run (tests/soak/soak.sh, issue 17).

  soak_traffic.py server TCP_PORT UDP_PORT
        (resource namespace) a TCP server that answers every transfer with
        the SHA-256 of what it received and then sends the same bytes back,
        and a UDP echo server.
  soak_traffic.py client NAME DST TCP_PORT UDP_PORT LOG STOPFILE [PPS] [TCP_EVERY_S]
        (a client namespace, through its tunnel) until STOPFILE exists:
        PPS (4) UDP echo probes a second, each carrying a sequence number,
        its send time and the SHA-256 of its payload; and every TCP_EVERY_S
        (5) seconds one TCP transfer of 16-128 KiB of random bytes, whose
        SHA-256 is compared with the server's and with that of the bytes it
        sends back.

The client writes one line per result to LOG (decided once an answer came
or the probe is 3 s old):
  u SEQ T_SEND RTT        a UDP probe answered (RTT seconds)
  u SEQ T_SEND -1         a UDP probe unanswered after 3 s
  U SEQ T_RECV dup|bad    an answer seen twice, or whose content is wrong
  U SEQ T_RECV late       the answer to a probe already written as unanswered
  t T_START OK BYTES DUR WHY   one TCP transfer (OK 1: both hashes match)
Times are Unix seconds (time.time()).
"""
import hashlib
import os
import select
import socket
import struct
import sys
import threading
import time

MAGIC = 0x534F414B  # "SOAK"
HDR = struct.Struct("!IIQd32s")  # magic, len, seq, t_send, sha256(seq, t_send, payload)


def digest(seq, t, payload):
    return hashlib.sha256(struct.pack("!Qd", seq, t) + payload).digest()


def serve_tcp(conn):
    conn.settimeout(30)
    try:
        hdr = b""
        while len(hdr) < 8:
            d = conn.recv(8 - len(hdr))
            if not d:
                return
            hdr += d
        n = struct.unpack("!Q", hdr)[0]
        if n > 1 << 24:
            return
        h = hashlib.sha256()
        buf = bytearray()
        while len(buf) < n:
            d = conn.recv(min(65536, n - len(buf)))
            if not d:
                return
            buf += d
        h.update(buf)
        conn.sendall(h.hexdigest().encode() + b"\n" + bytes(buf))
    except OSError:
        pass
    finally:
        conn.close()


def server(tcp_port, udp_port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", tcp_port))
    ls.listen(128)
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind(("0.0.0.0", udp_port))
    print("server: ready", flush=True)
    while True:
        r, _, _ = select.select([ls, us], [], [])
        if us in r:
            try:
                d, a = us.recvfrom(4096)
                us.sendto(d, a)
            except OSError:
                pass
        if ls in r:
            c, _ = ls.accept()
            threading.Thread(target=serve_tcp, args=(c,), daemon=True).start()


def tcp_once(dst, port, log, lock):
    t0 = time.time()
    n = 1024 * (16 + int.from_bytes(os.urandom(1), "big") % 113)
    data = os.urandom(n)
    want = hashlib.sha256(data).hexdigest()
    ok, why, got = 0, "", 0
    try:
        s = socket.create_connection((dst, port), timeout=10)
        s.settimeout(10)
        s.sendall(struct.pack("!Q", n) + data)
        back = bytearray()
        while True:
            d = s.recv(65536)
            if not d:
                break
            back += d
        s.close()
        line, _, rest = bytes(back).partition(b"\n")
        got = len(rest)
        if line.decode(errors="replace") != want:
            why = "server-hash-mismatch"
        elif got != n:
            why = "echo-length-%d" % got
        elif hashlib.sha256(rest).hexdigest() != want:
            why = "echo-hash-mismatch"
        else:
            ok, why = 1, "ok"
    except OSError as e:
        why = "err-%s" % (e.__class__.__name__)
    with lock:
        log.write("t %.3f %d %d %.3f %s\n" % (t0, ok, got, time.time() - t0, why))
        log.flush()


def client(name, dst, tcp_port, udp_port, logpath, stopfile, pps=4.0, tcp_every=5.0):
    log = open(logpath, "a")
    lock = threading.Lock()
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.setblocking(False)
    pend, answered, expired = {}, set(), set()
    seq = 0
    nxt = time.time()
    next_tcp = time.time() + 1
    tcp_thr = None
    while not os.path.exists(stopfile):
        now = time.time()
        if now >= nxt:
            nxt = max(nxt + 1.0 / pps, now)
            payload = os.urandom(64 + seq % 449)
            pkt = HDR.pack(MAGIC, len(payload), seq, now, digest(seq, now, payload)) + payload
            try:
                us.sendto(pkt, (dst, udp_port))
            except OSError:
                pass
            pend[seq] = now
            seq += 1
        if now >= next_tcp and (tcp_thr is None or not tcp_thr.is_alive()):
            next_tcp = now + tcp_every
            tcp_thr = threading.Thread(target=tcp_once, args=(dst, tcp_port, log, lock), daemon=True)
            tcp_thr.start()
        r, _, _ = select.select([us], [], [], max(0.0, min(nxt, next_tcp) - time.time()))
        while r:
            try:
                d = us.recv(4096)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            t = time.time()
            bad = len(d) < HDR.size
            if not bad:
                m, ln, sq, ts, h = HDR.unpack_from(d)
                p = d[HDR.size:]
                bad = m != MAGIC or ln != len(p) or digest(sq, ts, p) != h
            with lock:
                if bad:
                    log.write("U -1 %.3f bad\n" % t)
                elif sq in answered:
                    log.write("U %d %.3f dup\n" % (sq, t))
                elif sq in expired:
                    expired.discard(sq)
                    answered.add(sq)
                    log.write("U %d %.3f late\n" % (sq, t))
                elif sq in pend:
                    answered.add(sq)
                    log.write("u %d %.3f %.4f\n" % (sq, pend.pop(sq), t - ts))
                else:
                    log.write("U %d %.3f bad\n" % (sq, t))
        t = time.time()
        with lock:
            for sq in [s for s, ts in pend.items() if t - ts > 3.0]:
                log.write("u %d %.3f -1\n" % (sq, pend.pop(sq)))
                expired.add(sq)
            log.flush()
    if tcp_thr is not None:
        tcp_thr.join(12)
    log.close()


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "server":
        server(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) >= 8 and sys.argv[1] == "client":
        a = sys.argv[2:]
        client(a[0], a[1], int(a[2]), int(a[3]), a[4], a[5],
               float(a[6]) if len(a) > 6 else 4.0, float(a[7]) if len(a) > 7 else 5.0)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
