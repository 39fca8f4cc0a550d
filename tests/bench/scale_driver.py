#!/usr/bin/python3
"""Scale-run driver (tests/bench/scale.sh, issue 9): plays the portal's side
for N clients through the portal emulator, with scale_client playing the
clients themselves.

  1. starts scale_client (its command line after --), reads each client's
     port, WireGuard public key and preshared key;
  2. builds one authorize_flow per client (unique client id, key, PSK,
     tunnel IPv4/IPv6; ICE credentials by the portal's derivation, payloads.py)
     and pushes them in batches with the emulator's push_many;
  3. tails the emulator's frame log: each flow_authorized (by ref) makes the
     client's host candidate go to the gateway as ice_candidates (batched
     with push_many, as the portal relays them once the gateway answered);
     each broadcast_ice_candidates for a client gives it the gateway's IPv4
     host/srflx candidates ("cand" lines on scale_client's stdin);
  4. counts scale_client's "ice"/"up" lines; once all N are up (or at
     --timeout) writes --status (JSON) and keeps relaying until SIGTERM, so
     the clients stay connected while scale.sh measures.

usage: scale_driver.py --emu-log LOG --emu-sock SOCK --gw-id ID --gw-pub KEY
        --cl-addr IP --status FILE [--batch 500] [--rate R] [--timeout 600] [--stall 60]
        -- CLIENT CMD...
"""
import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "portal"))
import payloads as P  # noqa: E402


class Ctl:
    """One persistent connection to the emulator's control socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""

    def call(self, req):
        self.s.sendall((json.dumps(req, separators=(",", ":")) + "\n").encode())
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise OSError("emulator closed the control socket")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        ans = json.loads(line)
        if not ans.get("ok"):
            raise OSError("emulator: %s" % ans.get("error"))
        return ans

    def push_many(self, pushes):
        if pushes:
            self.call({"cmd": "push_many", "pushes": pushes})


class Tail:
    def __init__(self, path):
        self.f = open(path, "rb")
        self.part = b""

    def lines(self):
        data = self.f.read()
        if not data:
            return []
        data = self.part + data
        *done, self.part = data.split(b"\n")
        return done


def say(msg):
    print("driver: " + msg, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu-log", required=True)
    ap.add_argument("--emu-sock", required=True)
    ap.add_argument("--gw-id", required=True)
    ap.add_argument("--gw-pub", required=True)
    ap.add_argument("--cl-addr", required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--events", help="per-client timings (JSON lines)")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--stall", type=float, default=60,
                    help="give up once no client came up for this many seconds")
    ap.add_argument("--rate", type=float, default=0,
                    help="authorize_flow pushes per second (0: as fast as the emulator goes)")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()

    running = [True]

    def stop(*_):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    proc = subprocess.Popen(a.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    out = proc.stdout
    keys = []
    pending = b""
    t_spawn = time.time()
    while True:
        chunk = out.read1(1 << 20) if hasattr(out, "read1") else os.read(out.fileno(), 1 << 20)
        if not chunk:
            say("scale_client ended before it was ready")
            return 1
        pending += chunk
        *lines, pending = pending.split(b"\n")
        done = False
        for ln in lines:
            f = ln.decode().split()
            if f and f[0] == "key":
                keys.append((int(f[1]), int(f[2]), f[3], f[4]))
            elif f and f[0] == "ready":
                done = True
        if done:
            break
    n = len(keys)
    say("%d clients ready in %.1f s (sockets, keys)" % (n, time.time() - t_spawn))

    ctl = Ctl(a.emu_sock)
    resource = P.cidr_resource(address="10.99.0.0/24", name="scale LAN")
    by_ref, by_id, cid = {}, {}, {}
    flows, creds = [], []
    for i, port, pub, psk in keys:
        client_id = "5ca1e000-0000-4000-8000-%012x" % i
        v4 = "100.%d.%d.%d" % (80 + (i >> 16), (i >> 8) & 255, i & 255)
        v6 = "fd00:2021:1111::%x:%x" % (1 + (i >> 16), i & 0xFFFF)
        f = P.authorize_flow(client_id=client_id, client_public_key=pub, preshared_key=psk,
                             client_ipv4=v4, client_ipv6=v6, resource=resource,
                             gateway_id=a.gw_id, gateway_public_key=a.gw_pub)
        by_ref[f["ref"]] = i
        by_id[client_id] = i
        cid[i] = client_id
        cc, gc = f["client_ice_credentials"], f["gateway_ice_credentials"]
        creds.append("creds %d %s %s %s %s\n" % (i, cc["username"], cc["password"],
                                                 gc["username"], gc["password"]))
        flows.append({"event": "authorize_flow", "payload": f})
    ports = {i: port for i, port, _, _ in keys}
    proc.stdin.write("".join(creds).encode())

    tail = Tail(a.emu_log)
    tail.f.seek(0, os.SEEK_END)
    t0 = time.time()
    pushed = 0
    authorized, ice, up = set(), {}, {}
    failed = set()
    cand_sent = set()
    last_report = 0
    status_written = False
    stats_line = ""
    events = open(a.events, "w") if a.events else None
    t_all = None

    def write_status(final):
        st = {"n": n, "authorized": len(authorized), "ice": len(ice), "up": len(up),
              "failed": len(failed),
              "t_push_start": t0, "t_push_done": t_pushed,
              "connect_s": (t_all - t0) if t_all else None,
              "elapsed_s": time.time() - t0, "final": final, "client_stats": stats_line}
        ls = sorted(lat.values())
        if ls:
            # Each client: from the push of its authorize_flow to its handshake.
            st["latency_s"] = {"p50": ls[len(ls) // 2], "p90": ls[int(len(ls) * 0.9)],
                               "p99": ls[int(len(ls) * 0.99)], "max": ls[-1]}
        tmp = a.status + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(st, fh)
        os.rename(tmp, a.status)

    t_pushed = None
    t_push = {}
    lat = {}
    last_up = time.time()
    while running[0]:
        # Push the next batch of authorize_flow.
        if pushed < n and (a.rate <= 0 or pushed < (time.time() - t0) * a.rate):
            batch = flows[pushed:pushed + a.batch]
            tp = time.time()
            for k in range(pushed, pushed + len(batch)):
                t_push[keys[k][0]] = tp
            ctl.push_many(batch)
            pushed += len(batch)
            if pushed == n:
                t_pushed = time.time()
                say("%d authorize_flow pushed in %.2f s" % (n, t_pushed - t0))
        # Frames from the gateway.
        cand_push, to_client = [], []
        for ln in tail.lines():
            if b'"g2p"' not in ln or (b"flow_authorized" not in ln and b"broadcast_ice" not in ln):
                continue
            try:
                r = json.loads(ln)
            except ValueError:
                continue
            if r.get("kind") != "frame" or r.get("dir") != "g2p":
                continue
            j = r.get("json") or {}
            ev, p = j.get("event"), j.get("payload") or {}
            if ev == "flow_authorized":
                i = by_ref.get(p.get("ref"))
                if i is not None and i not in authorized:
                    authorized.add(i)
                    cand_push.append({"event": "ice_candidates", "payload": {
                        "client_id": cid[i],
                        "candidates": ["candidate:1 1 udp 2130706175 %s %d typ host"
                                       % (a.cl_addr, ports[i])]}})
            elif ev == "broadcast_ice_candidates":
                for c in p.get("client_ids") or []:
                    i = by_id.get(c)
                    if i is None:
                        continue
                    for cand in p.get("candidates") or []:
                        f = cand.split()
                        if len(f) >= 8 and f[6] == "typ" and f[7] in ("host", "srflx") \
                                and ":" not in f[4] and (i, f[4], f[5]) not in cand_sent:
                            cand_sent.add((i, f[4], f[5]))
                            to_client.append("cand %d %s %s\n" % (i, f[4], f[5]))
        if to_client:
            proc.stdin.write("".join(to_client).encode())
        for k in range(0, len(cand_push), a.batch):
            ctl.push_many(cand_push[k:k + a.batch])
        # scale_client's reports.
        while True:
            # Paced pushes wait here too (no busy loop); a burst does not wait.
            rl, _, _ = select.select([out], [], [], 0 if pushed < n and a.rate <= 0 else 0.02)
            if not rl:
                break
            chunk = os.read(out.fileno(), 1 << 20)
            if not chunk:
                say("scale_client ended (status %s)" % proc.poll())
                running[0] = False
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            now = time.time()
            for ln in lines:
                f = ln.decode().split()
                if not f:
                    continue
                if f[0] == "ice":
                    ice.setdefault(int(f[1]), now - t0)
                elif f[0] == "up":
                    i = int(f[1])
                    if i not in up:
                        up[i] = now - t0
                        lat[i] = now - t_push.get(i, t0)
                        last_up = now
                        if events:
                            events.write(json.dumps({"i": i, "ice_s": ice.get(i), "up_s": up[i], "latency_s": lat[i],
                                                     "client_ms": int(f[2])}) + "\n")
                elif f[0] == "fail":
                    failed.add(int(f[1]))
                elif f[0] == "stats":
                    stats_line = ln.decode()
            if len(lines) < 2:
                break
        now = time.time()
        if len(up) == n and t_all is None:
            t_all = max(up.values()) + t0
            say("all %d clients up %.2f s after the first push" % (n, t_all - t0))
            write_status(True)
            status_written = True
        if now - last_report >= 5:
            last_report = now
            say("t=%.0f s: pushed %d, authorized %d, ice %d, up %d, gave up %d | %s" % (
                now - t0, pushed, len(authorized), len(ice), len(up), len(failed), stats_line))
            if not status_written:
                write_status(False)
        if not status_written and (now - t0 > a.timeout or len(up) + len(failed) == n or
                                   (pushed == n and now - last_up > a.stall)):
            say("giving up: %d of %d up after %.0f s (%s)" % (
                len(up), n, now - t0, "timeout" if now - t0 > a.timeout
                else "the others gave up" if len(up) + len(failed) == n
                else "none for %.0f s" % a.stall))
            write_status(True)
            status_written = True
    say("stopping; last client stats: %s" % stats_line)
    if events:
        events.close()
    try:
        proc.stdin.write(b"quit\n")
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
