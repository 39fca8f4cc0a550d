#!/usr/bin/python3
"""Connection setup time (issue 20, make bench-connect): N sequential
connections of the reference client to the real gateway, each timed from the
portal emulator's authorize_flow push to the first ICMP echo reply through
the tunnel.  Run by tests/bench/connect.sh inside the client namespace.

For each connection, before the clock starts (a real client has done all this
before it asks the portal for a connection):
  - a fresh client: id, WireGuard key, PSK, tunnel addresses 100.64.<net>.<k>
    and fd00:2021:1111::<net>:<k>, the portal's ICE credentials;
  - the shim (tests/tools/client_shim.c, or e2e_relayed_shim with TURN) with
    those credentials, gathered ("shim: gathering done");
  - wireguard-go (interface --wg-if) with that key and the tunnel addresses,
    its only peer the gateway at the shim's socket, no keepalive (so it sends
    nothing before there is traffic).
Then, timed (milliseconds from the push):
  answered   the gateway's flow_authorized for our ref (emulator's frame log)
  gw_cand    the first gateway candidate relayed to the shim
  selected   the shim's NiceAgent selected a pair ("shim: selected pair")
  echo       the first echo reply from --ping (the resource) through the
             tunnel; echo requests go out every --ping-ms from `selected` on,
             as the real client sends its first packet once ICE has a pair
             (the shim drops what wireguard-go sends before that, and
             wireguard-go would only retry its handshake 5 s later)
Candidates travel as e2e_signal.py relays them (gateway -> client from the
emulator's log, client -> gateway as ice_candidates once the flow is
answered), here polled every 2 ms so the relay adds little.

Output: --out FILE, JSON {"mode", "n", "connections": [{"i", "ok",
"answered", "gw_cand", "selected", "echo", "pair", "why"}]}; a line per
connection and the percentiles on stdout; each shim's output in --work.

usage: connect_driver.py --mode direct|relayed --n N --emu-log LOG
       --emu-sock SOCK --shim BIN --bind IP --wg-if IF --gw-pub KEY
       --gw-id ID --net K --work DIR --out FILE [--ping 10.99.0.2]
       [--ping-ms 10] [--timeout 20] [--gap 0.2]
"""
import argparse
import json
import math
import os
import select
import socket
import struct
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "portal"))
from emuctl import call  # noqa: E402
import payloads  # noqa: E402

RES_ID = "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f"


class Tail:
    """The complete lines appended to a file since the last call."""

    def __init__(self, path, at_end=True):
        self.path = path
        self.pos = os.path.getsize(path) if at_end and os.path.exists(path) else 0
        self.part = b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return []
        self.pos += len(data)
        data = self.part + data
        *done, self.part = data.split(b"\n")
        return [d.decode("utf-8", "replace") for d in done]


def run(*args, stdin=None):
    r = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout.strip()


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo_request(ident, seq):
    body = b"fz-bench-connect" * 2
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body


def is_reply(pkt, ident, src):
    if len(pkt) < 28:
        return False
    ihl = (pkt[0] & 0x0F) * 4
    if socket.inet_ntoa(pkt[12:16]) != src or len(pkt) < ihl + 8:
        return False
    typ, _, _, rid, _ = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
    return typ == 0 and rid == ident


class Shim:
    """The shim process, its output read without blocking, every line kept
    with its time for the connection's log."""

    def __init__(self, a, cc, gc, logpath):
        self.p = subprocess.Popen(
            [a.shim, "--ufrag", cc["username"], "--pwd", cc["password"],
             "--remote-ufrag", gc["username"], "--remote-pwd", gc["password"],
             "--bind", a.bind, "--wg-listen", "127.0.0.1:0", "--timeout", str(int(a.timeout) + 5)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.buf = b""
        self.log = open(logpath, "w")
        self.t0 = time.monotonic()

    def lines(self):
        try:
            data = self.p.stdout.read()
        except (BlockingIOError, OSError):
            data = None
        if data:
            self.buf += data
        *done, self.buf = self.buf.split(b"\n")
        out = [d.decode("utf-8", "replace") for d in done]
        for line in out:
            self.log.write("%9.1f %s\n" % ((time.monotonic() - self.t0) * 1000, line))
        return out

    def send(self, line):
        try:
            self.p.stdin.write((line + "\n").encode())
        except OSError:
            pass

    def stop(self):
        self.send("quit")
        try:
            self.p.wait(2)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.lines()
        self.log.close()


def wait_lines(shim, want, timeout):
    """Reads the shim until every prefix of `want` was seen; the lines."""
    seen, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        for line in shim.lines():
            seen.append(line)
        if all(any(s.startswith(w) for s in seen) for w in want):
            return seen
        if shim.p.poll() is not None:
            break
        time.sleep(0.005)
    raise RuntimeError("shim: no %s within %s s (%s)" % (want, timeout, seen[-3:]))


def client_addrs(net, i):
    k = i % 250 + 2
    return "100.64.%d.%d" % (net + i // 250, k), "fd00:2021:1111::%x:%x" % (net + i // 250, k)


def setup_wg(a, key_file, psk_file, tun4, tun6, port):
    subprocess.run(["wg", "set", a.wg_if, "peer", a.gw_pub, "remove"], capture_output=True)
    run("wg", "set", a.wg_if, "private-key", key_file)
    run("ip", "addr", "flush", "dev", a.wg_if)
    run("ip", "addr", "add", tun4 + "/32", "dev", a.wg_if)
    run("ip", "-6", "addr", "add", tun6 + "/128", "dev", a.wg_if, "nodad")
    run("ip", "route", "replace", a.ping_net, "dev", a.wg_if)
    run("wg", "set", a.wg_if, "peer", a.gw_pub, "endpoint", "127.0.0.1:%d" % port,
        "preshared-key", psk_file, "allowed-ips", "0.0.0.0/0,::/0")


def one(a, i, emu):
    """One connection; returns its record."""
    rec = {"i": i, "ok": False, "answered": None, "gw_cand": None, "selected": None,
           "echo": None, "pair": None, "why": None}
    cid = str(uuid.uuid4())
    key = run("wg", "genkey")
    pub = run("wg", "pubkey", stdin=key + "\n")
    psk = run("wg", "genpsk")
    key_file = os.path.join(a.work, "client.key")
    psk_file = os.path.join(a.work, "client.psk")
    for path, val in ((key_file, key), (psk_file, psk)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (val + "\n").encode())
        os.close(fd)
    tun4, tun6 = client_addrs(a.net, i)
    flow = payloads.authorize_flow(
        client_id=cid, client_public_key=pub, preshared_key=psk, client_ipv4=tun4,
        client_ipv6=tun6, resource=payloads.cidr_resource(address=a.ping_net, id=RES_ID,
                                                         name="bench resource"),
        gateway_id=a.gw_id, gateway_public_key=a.gw_pub, expires_at=None)
    ref = flow["ref"]
    shim = Shim(a, flow["client_ice_credentials"], flow["gateway_ice_credentials"],
                os.path.join(a.work, "shim-%03d.log" % i))
    sock = None
    try:
        pending, port = [], None
        for line in wait_lines(shim, ["shim: wg socket ", "shim: gathering done"], 10):
            if line.startswith("shim: candidate "):
                pending.append(line[len("shim: candidate "):].strip())
            elif line.startswith("shim: wg socket "):
                port = int(line.rsplit(":", 1)[1])
        setup_wg(a, key_file, psk_file, tun4, tun6, port)
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.bind((tun4, 0))
        sock.setblocking(False)
        ident = (os.getpid() + i) & 0xFFFF
        emu.lines()  # what happened before the push is not ours

        t0 = time.monotonic()
        ms = lambda: round((time.monotonic() - t0) * 1000, 1)  # noqa: E731
        ans = call(a.emu_sock, {"cmd": "push", "event": "authorize_flow", "payload": flow})
        if not ans.get("ok"):
            raise RuntimeError("push authorize_flow: %s" % ans.get("error"))
        seq, last_ping = 0, None
        while ms() < a.timeout * 1000:
            for line in emu.lines():
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if r.get("kind") != "frame" or r.get("dir") != "g2p" or not isinstance(r.get("json"), dict):
                    continue
                ev, p = r.get("event"), r["json"].get("payload")
                if not isinstance(p, dict):
                    continue
                if ev in ("flow_authorized", "connection_ready") and p.get("ref") == ref \
                        and rec["answered"] is None:
                    rec["answered"] = ms()
                elif ev == "broadcast_ice_candidates" and cid in (p.get("client_ids") or []):
                    for c in p.get("candidates") or []:
                        shim.send("cand " + c)
                    if rec["gw_cand"] is None:
                        rec["gw_cand"] = ms()
            for line in shim.lines():
                if line.startswith("shim: candidate "):
                    pending.append(line[len("shim: candidate "):].strip())
                elif line.startswith("shim: selected pair ") and rec["selected"] is None:
                    rec["selected"] = ms()
                    rec["pair"] = line[len("shim: selected pair "):]
                elif line.startswith("shim: error"):
                    raise RuntimeError(line)
            if rec["answered"] is not None and pending:
                ans = call(a.emu_sock, {"cmd": "push", "event": "ice_candidates",
                                        "payload": {"client_id": cid, "candidates": pending}})
                if ans.get("ok"):
                    pending = []
            if rec["selected"] is not None and (last_ping is None or ms() - last_ping >= a.ping_ms):
                seq += 1
                last_ping = ms()
                try:
                    sock.sendto(echo_request(ident, seq), (a.ping, 0))
                except OSError:
                    pass
            r, _, _ = select.select([sock, shim.p.stdout], [], [], 0.002)
            if sock in r:
                try:
                    while True:
                        if is_reply(sock.recv(2048), ident, a.ping):
                            rec["echo"] = ms()
                            rec["ok"] = True
                            return rec
                except BlockingIOError:
                    pass
        rec["why"] = "timeout after %s s" % a.timeout
        return rec
    except (RuntimeError, OSError, ValueError, IndexError) as e:
        rec["why"] = str(e)
        return rec
    finally:
        if sock is not None:
            sock.close()
        shim.stop()
        subprocess.run(["wg", "set", a.wg_if, "peer", a.gw_pub, "remove"], capture_output=True)


def pct(vals, p):
    """Nearest-rank percentile."""
    v = sorted(x for x in vals if x is not None)
    if not v:
        return None
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--emu-log", required=True)
    ap.add_argument("--emu-sock", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--wg-if", required=True)
    ap.add_argument("--gw-pub", required=True)
    ap.add_argument("--gw-id", required=True)
    ap.add_argument("--net", type=int, default=1)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ping", default="10.99.0.2")
    ap.add_argument("--ping-net", default="10.99.0.0/24")
    ap.add_argument("--ping-ms", type=float, default=10)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--gap", type=float, default=0.2)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    emu = Tail(a.emu_log)
    conns = []
    for i in range(a.n):
        rec = one(a, i, emu)
        conns.append(rec)
        print("connect: %s %d: %s answered=%s gw_cand=%s selected=%s echo=%s%s" % (
            a.mode, i, "ok" if rec["ok"] else "FAILED", rec["answered"], rec["gw_cand"],
            rec["selected"], rec["echo"], "" if rec["ok"] else " (%s)" % rec["why"]), flush=True)
        time.sleep(a.gap)
    with open(a.out, "w") as f:
        json.dump({"mode": a.mode, "n": a.n, "connections": conns}, f, indent=1)
        f.write("\n")
    ok = [c for c in conns if c["ok"]]
    for k in ("answered", "gw_cand", "selected", "echo"):
        vals = [c[k] for c in ok]
        print("connect: %s %s ms: p50 %s p95 %s max %s" % (a.mode, k, pct(vals, 50), pct(vals, 95),
                                                             max(vals) if vals else None))
    print("connect: %s: %d of %d connected" % (a.mode, len(ok), len(conns)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
