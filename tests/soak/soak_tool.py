#!/usr/bin/python3
"""Fault tools of the soak run (tests/soak/soak.sh, issue 17).

  soak_tool.py spoofflood IFACE DST PORT GWPUB SECONDS RATE
        WireGuard handshake initiations with a valid mac1 (as
        tests/integ/faults_tool.py flood makes them) from spoofed sources:
        every datagram has a random source address in 198.18.0.0/15 and a
        random source port, written as a whole IPv4 packet to a raw socket
        bound to IFACE, at RATE a second for SECONDS.  Prints one
        "key=value" line: sent, errors, seconds.
"""
import base64
import hashlib
import os
import random
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
from faults_tool import initiation  # noqa: E402


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(src, sport, dst, dport, payload):
    ulen = 8 + len(payload)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, random.getrandbits(16), 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + udp


def spoofflood(iface, dst, port, gwpub, seconds, rate):
    port, seconds, rate = int(port), float(seconds), int(rate)
    key = hashlib.blake2s(b"mac1----" + base64.b64decode(gwpub)).digest()
    pool = [initiation(key) for _ in range(512)]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    d = socket.inet_aton(dst)
    sent = errors = 0
    start = time.monotonic()
    while True:
        el = time.monotonic() - start
        if el >= seconds:
            break
        due = int(el * rate) + 1
        while sent + errors < due:
            src = struct.pack("!BBH", 198, 18 + random.getrandbits(1), random.getrandbits(16))
            try:
                s.sendto(packet(src, random.randint(1024, 65535), d, port, pool[sent % len(pool)]), (dst, 0))
                sent += 1
            except OSError:
                errors += 1
        time.sleep(0.005)
    print("sent=%d errors=%d seconds=%.1f rate=%d spoofed_from=198.18.0.0/15" % (
        sent, errors, time.monotonic() - start, rate))


def main():
    if len(sys.argv) == 8 and sys.argv[1] == "spoofflood":
        spoofflood(*sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
