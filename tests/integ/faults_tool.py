#!/usr/bin/python3
"""faults_tool.py COMMAND ARGS: traffic generators of tests/integ/test_faults.sh.

Every loop is bounded by a count and a time; every command prints one
"key=value ..." line on stdout.

  flood HOST PORT GWPUB SECONDS RATE NSOCK MAX
        WireGuard handshake initiations with a valid mac1 (key =
        BLAKE2s-256("mac1----" || GWPUB)), random sender index, ephemeral
        and encrypted fields, mac2 zero, from NSOCK source ports at RATE
        per second; counts the type-3 (cookie reply) and other answers.
  garbage HOST PORT SECONDS RATE MAX
        random datagrams: random bytes of random lengths (some over the
        1336-byte limit), STUN-looking (with and without
        MESSAGE-INTEGRITY), ChannelData-looking, WireGuard-looking data
        with unknown indices, initiations with a wrong mac1, empty ones.
  inject IFACE KIND...
        raw IP packets written to IFACE with an AF_PACKET socket (on a TUN
        device the bytes reach its reader unchanged).  KINDs:
          ihl4 SRC DST      IPv4 with IHL 4
          totlen SRC DST    IPv4 whose total length exceeds the packet
          trunctcp SRC DST  IPv4/TCP with an 8-byte TCP header
          short SRC DST     10 bytes of an IPv4 header
          badver SRC DST    version 5
          v6plen SRC DST    IPv6 whose payload length exceeds the packet
          echo SRC DST      a valid ICMP(v6) echo request (e.g. a spoofed source)
        KIND and its two addresses are one argument: kind,src,dst.
  udprecv HOST PORT SECONDS
        wait for one datagram, print its length.
  udpsend HOST PORT SIZE
        one datagram of SIZE bytes with DF off (the stack fragments it).
  sniff IFACE SECONDS
        AF_PACKET capture on IFACE: how many of faults_tool's own probes
        passed (TCP from port 40000, ICMP carrying its marker); prints
        "tcp40000=N marker=M" when SECONDS are over.
  sink HOST PORT SECONDS FILE
        a UDP socket that never answers: one line per datagram to FILE.
  wgpeer HOST PORT GWPUB PRIVKEY LPORT KIND... 
        a minimal WireGuard initiator (Noise IKpsk2, no preshared key):
        one handshake with the gateway from LPORT, then each KIND (as for
        inject: kind,src,dst) as one transport data packet, then an ICMP
        echo to check the session still answers; prints
        "handshake=1 sent=N echo_reply=0|1".  KIND gsotrain sends 8
        echo requests as one UDP GSO train instead; KIND replay sends the
        previous data message again, byte for byte (a gateway with
        UDP_GRO receives it as one) and adds "gso_train=8 gso_replies=N".
  cpu PID
        utime+stime of PID in seconds.
"""
import base64
import hashlib
import os
import random
import select
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fam(h):
    return socket.AF_INET6 if ":" in h else socket.AF_INET


# ---------------------------------------------------------------- flood

def initiation(mac1_key):
    body = struct.pack("<I", 1) + os.urandom(4 + 32 + 48 + 28)
    mac1 = hashlib.blake2s(body, key=mac1_key, digest_size=16).digest()
    return body + mac1 + b"\0" * 16


def flood(host, port, gwpub, seconds, rate, nsock, maxn):
    port, seconds, rate, nsock, maxn = int(port), float(seconds), int(rate), int(nsock), int(maxn)
    pub = base64.b64decode(gwpub)
    assert len(pub) == 32
    key = hashlib.blake2s(b"mac1----" + pub).digest()
    pool = [initiation(key) for _ in range(2048)]
    socks = []
    for _ in range(nsock):
        s = socket.socket(fam(host), socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("", 0))
        s.setblocking(False)
        socks.append(s)
    dst = (host, port)
    sent = cookies = other = errors = 0
    batch = max(1, rate // 200)   # 200 batches a second
    start = time.monotonic()
    end = start + seconds
    i = 0

    def drain():
        nonlocal cookies, other
        for s in socks:
            while True:
                try:
                    d = s.recv(2048)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                if len(d) == 64 and d[:4] == b"\x03\0\0\0":
                    cookies += 1
                else:
                    other += 1

    while sent < maxn:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * rate) + batch
        n = min(due - sent, maxn - sent, batch * 4)
        for _ in range(max(0, n)):
            try:
                socks[i % nsock].sendto(pool[i % len(pool)], dst)
                sent += 1
            except (BlockingIOError, InterruptedError):
                errors += 1
            except OSError:
                errors += 1
            i += 1
        drain()
        slack = start + (sent + batch) / rate - time.monotonic()
        if slack > 0:
            time.sleep(min(slack, 0.01))
    el = time.monotonic() - start
    tail = time.monotonic() + 0.5
    while time.monotonic() < tail:
        drain()
        time.sleep(0.02)
    print("sent=%d seconds=%.2f rate=%d cookie_replies=%d other_replies=%d send_errors=%d sockets=%d"
          % (sent, el, int(sent / el) if el else 0, cookies, other, errors, nsock))
    return 0 if sent > 0 else 1


# ---------------------------------------------------------------- garbage

def stun_like(with_mi):
    attrs = struct.pack("!HH8s", 6, 8, os.urandom(4).hex()[:3].encode() + b":" + b"abcd")
    if with_mi:
        attrs += struct.pack("!HH20s", 8, 20, os.urandom(20))
    return struct.pack("!HHI12s", 1, len(attrs), 0x2112A442, os.urandom(12)) + attrs


def garbage_pool(rng):
    kinds = {}
    pool = []

    def add(k, b):
        kinds[k] = kinds.get(k, 0)
        pool.append((k, b))

    for _ in range(600):
        add("random", os.urandom(rng.randint(1, 1300)))
    for _ in range(60):
        add("oversize", os.urandom(rng.randint(1337, 3000)))
    for _ in range(30):
        add("stun_mi", stun_like(True))
    for _ in range(60):
        add("stun_no_mi", stun_like(False))
    for _ in range(120):
        ln = rng.randint(4, 1200)
        add("channeldata", bytes([0x40 + rng.randint(0, 15), rng.randint(0, 255)])
            + struct.pack("!H", ln - 4) + os.urandom(ln - 4))
    for _ in range(120):
        add("wg_data", struct.pack("<I", 4) + os.urandom(16 * rng.randint(2, 80) - 4))
    for _ in range(60):
        add("wg_init_bad_mac1", struct.pack("<I", 1) + os.urandom(144))
    for _ in range(30):
        add("wg_cookie", struct.pack("<I", 3) + os.urandom(60))
    for _ in range(30):
        add("wg_response", struct.pack("<I", 2) + os.urandom(88))
    for _ in range(30):
        add("tiny", os.urandom(rng.randint(1, 3)))
    rng.shuffle(pool)
    return pool, kinds


def garbage(host, port, seconds, rate, maxn):
    port, seconds, rate, maxn = int(port), float(seconds), int(rate), int(maxn)
    rng = random.Random(os.urandom(8))
    pool, kinds = garbage_pool(rng)
    socks = []
    for _ in range(16):
        s = socket.socket(fam(host), socket.SOCK_DGRAM)
        s.bind(("", 0))
        s.setblocking(False)
        socks.append(s)
    dst = (host, port)
    sent = errors = 0
    start = time.monotonic()
    end = start + seconds
    i = 0
    batch = max(1, rate // 200)
    while sent < maxn and time.monotonic() < end:
        for _ in range(min(batch, maxn - sent)):
            k, b = pool[i % len(pool)]
            try:
                socks[i % len(socks)].sendto(b, dst)
                sent += 1
                kinds[k] += 1
            except OSError:
                errors += 1
            i += 1
        slack = start + sent / rate - time.monotonic()
        if slack > 0:
            time.sleep(min(slack, 0.01))
    el = time.monotonic() - start
    for s in socks:      # drain whatever came back (nothing expected)
        try:
            while s.recv(2048):
                pass
        except OSError:
            pass
    print("sent=%d seconds=%.2f rate=%d send_errors=%d %s" % (
        sent, el, int(sent / el) if el else 0, errors,
        " ".join("%s=%d" % kv for kv in sorted(kinds.items()))))
    return 0 if sent > 0 else 1


# ---------------------------------------------------------------- inject

def v4hdr(src, dst, proto, payload_len, ihl=5, tot=None, ver=4):
    tot = 20 + payload_len if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | ihl, 0, tot, random.randint(0, 65535), 0, 64,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def icmp_echo(ident=0x4646, seq=1):
    body = b"fz-faults-malformed".ljust(32, b".")
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, csum(h + body), ident, seq) + body


def icmp6_echo(src, dst):
    body = b"fz-faults-malformed".ljust(32, b".")
    msg = struct.pack("!BBHHH", 128, 0, 0, 0x4646, 1) + body
    ps = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + \
        struct.pack("!IxxxB", len(msg), 58)
    c = csum(ps + msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def v6pkt(src, dst, nh, payload, plen=None):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 6 << 28, plen, nh, 64, socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def build(kind, src, dst):
    if kind == "ihl4":
        p = icmp_echo()
        return v4hdr(src, dst, 1, len(p), ihl=4) + p
    if kind == "totlen":
        p = icmp_echo()
        return v4hdr(src, dst, 1, len(p), tot=20 + len(p) + 400) + p
    if kind == "trunctcp":
        tcp = struct.pack("!HHI", 40000, 80, 1)   # 8 of 20 bytes
        return v4hdr(src, dst, 6, len(tcp)) + tcp
    if kind == "short":
        return v4hdr(src, dst, 1, 0)[:10]
    if kind == "badver":
        p = icmp_echo()
        return v4hdr(src, dst, 1, len(p), ver=5) + p
    if kind == "v6plen":
        p = icmp6_echo(src, dst)
        return v6pkt(src, dst, 58, p, plen=len(p) + 300)
    if kind == "echo":
        if ":" in dst:
            return v6pkt(src, dst, 58, icmp6_echo(src, dst))
        p = icmp_echo()
        return v4hdr(src, dst, 1, len(p)) + p
    raise SystemExit("unknown kind " + kind)


def inject(iface, *specs):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
    n = 0
    out = []
    for spec in specs:
        kind, src, dst = spec.split(",")
        pkt = build(kind, src, dst)
        proto = 0x86DD if pkt[0] >> 4 == 6 else 0x0800
        s.sendto(pkt, (iface, proto))
        n += 1
        out.append("%s:%d" % (kind, len(pkt)))
        time.sleep(0.02)
    print("injected=%d on=%s %s" % (n, iface, " ".join(out)))
    return 0


# ---------------------------------------------------------------- udp

def udprecv(host, port, seconds):
    s = socket.socket(fam(host), socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    r, _, _ = select.select([s], [], [], float(seconds))
    if not r:
        print("received=0 len=0")
        return 1
    d, a = s.recvfrom(65535)
    ok = d == bytes(i % 251 for i in range(len(d)))
    print("received=1 len=%d from=%s intact=%d" % (len(d), a[0], ok))
    return 0 if ok else 1


def udpsend(host, port, size):
    s = socket.socket(fam(host), socket.SOCK_DGRAM)
    if fam(host) == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, 10, 0)   # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
    else:
        s.setsockopt(socket.IPPROTO_IPV6, 23, 0)  # IPV6_MTU_DISCOVER = IPV6_PMTUDISC_DONT
    d = bytes(i % 251 for i in range(int(size)))
    s.sendto(d, (host, int(port)))
    print("sent=1 len=%d" % len(d))
    return 0


def sniff(iface, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    s.bind((iface, 0))
    end = time.monotonic() + float(seconds)
    tcp = marker = 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        d = s.recv(65535)
        if not d:
            continue
        if d[0] >> 4 == 4 and len(d) >= 20:
            ihl = (d[0] & 15) * 4
            if d[9] == 6 and len(d) >= ihl + 2 and struct.unpack("!H", d[ihl:ihl + 2])[0] == 40000:
                tcp += 1
        if b"fz-faults-malformed" in d:
            marker += 1
    print("tcp40000=%d marker=%d" % (tcp, marker))
    return 0


def sink(host, port, seconds, path):
    s = socket.socket(fam(host), socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    end = time.monotonic() + float(seconds)
    n = 0
    with open(path, "a", buffering=1) as f:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if r:
                d, a = s.recvfrom(65535)
                n += 1
                f.write("%.3f %s:%d len=%d first=%02x\n" % (time.monotonic(), a[0], a[1], len(d), d[0]))
    return 0


# ---------------------------------------------------------------- wgpeer

def _hash(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()


def _hmac(key, data):
    import hmac
    return hmac.new(key, data, hashlib.blake2s).digest()


def _kdf(key, data, n):
    t0 = _hmac(key, data)
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = _hmac(t0, prev + bytes([i]))
        out.append(prev)
    return out


def _aead(key, counter, pt, ad):
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    return ChaCha20Poly1305(key).encrypt(b"\0\0\0\0" + struct.pack("<Q", counter), pt, ad)


def _unaead(key, counter, ct, ad):
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    return ChaCha20Poly1305(key).decrypt(b"\0\0\0\0" + struct.pack("<Q", counter), ct, ad)


def gso_train(sock, dst, ridx, key, ctr, src, dst_ip, count):
    """count ICMP echo requests (seq 1..count, one size) as WireGuard data
    packets in one sendmsg with UDP_SEGMENT: one train on the wire, which
    a receiver with UDP_GRO gets whole.  Returns count, or 0 if the kernel
    has no UDP GSO."""
    segs = []
    for seq in range(1, count + 1):
        body = icmp_echo(ident=0x4747, seq=seq)
        pt = v4hdr(src, dst_ip, 1, len(body)) + body
        pt = pt + b"\0" * (-len(pt) % 16)
        segs.append(struct.pack("<IIQ", 4, ridx, ctr[0]) + _aead(key, ctr[0], pt, b""))
        ctr[0] += 1
    size = len(segs[0])
    try:
        sock.sendmsg([b"".join(segs)], [(socket.SOL_UDP, 103, struct.pack("H", size))], 0, dst)
    except OSError:
        return 0
    return count


def wgpeer(host, port, gwpub, privkey, lport, *specs):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives import serialization as ser
    raw = ser.Encoding.Raw, ser.PublicFormat.Raw
    spub_r = base64.b64decode(gwpub)
    s_i = X25519PrivateKey.from_private_bytes(base64.b64decode(privkey))
    spub_i = s_i.public_key().public_bytes(*raw)
    e_i = X25519PrivateKey.generate()
    epub_i = e_i.public_key().public_bytes(*raw)
    R = X25519PublicKey.from_public_bytes(spub_r)
    C = _hash(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
    H = _hash(_hash(C, b"WireGuard v1 zx2c4 Jason@zx2c4.com"), spub_r)
    idx = random.randint(1, 0xFFFFFFFF)
    C = _kdf(C, epub_i, 1)[0]
    H = _hash(H, epub_i)
    C, k = _kdf(C, e_i.exchange(R), 2)
    enc_s = _aead(k, 0, spub_i, H)
    H = _hash(H, enc_s)
    C, k = _kdf(C, s_i.exchange(R), 2)
    now = time.time()
    tai = struct.pack(">QI", 0x400000000000000A + int(now), int((now % 1) * 1e9))
    enc_t = _aead(k, 0, tai, H)
    H = _hash(H, enc_t)
    msg = struct.pack("<II", 1, idx) + epub_i + enc_s + enc_t
    msg += hashlib.blake2s(msg, key=_hash(b"mac1----", spub_r), digest_size=16).digest() + b"\0" * 16
    sock = socket.socket(fam(host), socket.SOCK_DGRAM)
    sock.bind(("", int(lport)))
    sock.settimeout(1.0)
    dst = (host, int(port))
    resp = None
    for _ in range(5):
        sock.sendto(msg, dst)
        try:
            d = sock.recv(2048)
        except socket.timeout:
            continue
        if len(d) == 92 and d[:4] == b"\x02\0\0\0" and struct.unpack("<I", d[8:12])[0] == idx:
            resp = d
            break
    if resp is None:
        print("handshake=0 sent=0 echo_reply=0")
        return 1
    ridx = struct.unpack("<I", resp[4:8])[0]
    epub_r = resp[12:44]
    E = X25519PublicKey.from_public_bytes(epub_r)
    C = _kdf(C, epub_r, 1)[0]
    H = _hash(H, epub_r)
    C = _kdf(C, e_i.exchange(E), 1)[0]
    C = _kdf(C, s_i.exchange(E), 1)[0]
    C, tau, k = _kdf(C, b"\0" * 32, 3)
    H = _hash(H, tau)
    _unaead(k, 0, resp[44:60], H)
    t_send, t_recv = _kdf(C, b"", 2)
    ctr = [0]
    last = [b""]

    def send(pt, pad=True):
        if pad:
            pt = pt + b"\0" * (-len(pt) % 16)
        last[0] = struct.pack("<IIQ", 4, ridx, ctr[0]) + _aead(t_send, ctr[0], pt, b"")
        sock.sendto(last[0], dst)
        ctr[0] += 1

    send(b"")          # keepalive: confirms the session
    n = 0
    train = 0
    for spec in specs:
        kind, src, dst_ip = spec.split(",")
        if kind == "gsotrain":
            train = gso_train(sock, dst, ridx, t_send, ctr, src, dst_ip, 8)
            continue
        if kind == "replay":
            sock.sendto(last[0], dst)  # the previous data message, again
            n += 1
            continue
        send(build(kind, src, dst_ip))
        n += 1
        time.sleep(0.02)
    if train:
        # Every echo of the train must come back (replies counted by seq).
        seen = set()
        end = time.monotonic() + 3.0
        while time.monotonic() < end and len(seen) < train:
            try:
                d = sock.recv(2048)
            except socket.timeout:
                continue
            if len(d) < 32 or d[:4] != b"\x04\0\0\0":
                continue
            try:
                pt = _unaead(t_recv, struct.unpack("<Q", d[8:16])[0], d[16:], b"")
            except Exception:
                continue
            if len(pt) >= 28 and pt[0] >> 4 == 4 and pt[9] == 1 and pt[20] == 0:
                seen.add(struct.unpack("!H", pt[26:28])[0])
        print("gso_train=%d gso_replies=%d" % (train, len(seen)), end=" ")
    got = 0
    for attempt in range(3):
        # Unpadded, as boringtun (the clients' WireGuard) sends: a 60-byte
        # packet in a 92-byte message, not a multiple of 16.
        send(build("echo", "100.64.0.2", "10.99.0.2"), pad=False)
        end = time.monotonic() + 1.0
        while time.monotonic() < end and not got:
            try:
                d = sock.recv(2048)
            except socket.timeout:
                break
            if len(d) >= 32 and d[:4] == b"\x04\0\0\0" and struct.unpack("<I", d[4:8])[0] == idx:
                try:
                    pt = _unaead(t_recv, struct.unpack("<Q", d[8:16])[0], d[16:], b"")
                except Exception:
                    continue
                if len(pt) >= 28 and pt[0] >> 4 == 4 and pt[9] == 1 and pt[(pt[0] & 15) * 4] == 0:
                    got = 1
        if got:
            break
    print("handshake=1 sent=%d echo_reply=%d" % (n, got))
    return 0 if got else 1


def cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    tck = os.sysconf("SC_CLK_TCK")
    print("%.2f" % ((int(fields[11]) + int(fields[12])) / tck))
    return 0


def main(a):
    cmds = {"flood": flood, "garbage": garbage, "inject": inject, "udprecv": udprecv,
            "udpsend": udpsend, "cpu": cpu, "sniff": sniff, "sink": sink, "wgpeer": wgpeer}
    if not a or a[0] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[a[0]](*a[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
