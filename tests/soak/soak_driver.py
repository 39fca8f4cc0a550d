#!/usr/bin/python3
"""Population and churn of the soak run (tests/soak/soak.sh, issue 17).

Plays the portal's side for a population of clients through the portal
emulator, with tests/bench/scale_client.c playing the clients (ICE and a
WireGuard handshake each, re-keys answered), as scale_driver.py does for
make bench-scale, and keeps the population churning:

  - first --n clients join (authorize_flow, --rate a second);
  - then every second: --churn clients join (authorize_flow; every other
    one with an expires_at 10-40 s ahead, so expiry makes some leave),
    and enough clients leave by reject_access (their one resource) that
    the population stays near --n;
  - every 10 s a resource_updated of the population's resource alternately
    narrows its filters (tcp 80-90, icmp) and widens them again (none).

scale_client cannot reconnect a client that left: each join takes a fresh
client from its pool (-n POOL); a pool that runs dry stops the joins (said
in the status).  While the portal is away (pushes fail), joins and leaves
wait and are counted as push_errors.

Every 2 s --status gets one JSON object: active (granted, not expired),
up_active (of those, handshake done), joins, joined_up, join_failed (not up
30 s after the push, portal outages excepted), rejects, expired, updates,
push_errors, pool_left, join latency percentiles.

usage: soak_driver.py --emu-log LOG --emu-sock SOCK --gw-id ID --gw-pub KEY
        --cl-addr IP --status FILE --n N --churn C --duration S [--rate R]
        -- scale_client ...
"""
import argparse
import json
import os
import random
import select
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "portal"))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import payloads as P  # noqa: E402
from scale_driver import Ctl, Tail  # noqa: E402

POP_RES_ID = "50a4c000-0000-4000-8000-000000000001"


def say(msg):
    print("driver: %s %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def main():
    ap = argparse.ArgumentParser()
    for k in ("--emu-log", "--emu-sock", "--gw-id", "--gw-pub", "--cl-addr", "--status"):
        ap.add_argument(k, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--churn", type=int, default=2)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--gone-ns", help="namespace of the nftables set inet soak_gone gone")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    signal.signal(signal.SIGINT, lambda *_: running.__setitem__(0, False))
    rnd = random.Random(17)

    proc = subprocess.Popen(a.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    out = proc.stdout
    keys, pending = [], b""
    while True:
        chunk = os.read(out.fileno(), 1 << 20)
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
    say("%d pool clients ready" % len(keys))
    ctl = Ctl(a.emu_sock)
    wide = P.cidr_resource(address="10.99.0.0/24", id=POP_RES_ID, name="soak population")
    narrow = P.cidr_resource(address="10.99.0.0/24", id=POP_RES_ID, name="soak population",
                             filters=[P.tcp_filter(80, 90), P.icmp_filter()])
    cid, ports, by_ref, by_id = {}, {}, {}, {}
    creds = []
    for i, port, pub, psk in keys:
        c = "50a4c000-0000-4000-8000-%012x" % (0x100000 + i)
        cid[i], ports[i], by_id[c] = c, port, i
        cc, gc = P.ice_credentials(c, pub, a.gw_id, a.gw_pub)
        creds.append("creds %d %s %s %s %s\n" % (i, cc["username"], cc["password"],
                                                 gc["username"], gc["password"]))
    proc.stdin.write("".join(creds).encode())
    keyd = {i: (pub, psk) for i, _, pub, psk in keys}

    tail = Tail(a.emu_log)
    tail.f.seek(0, os.SEEK_END)
    nxt_pool = 0
    active = {}      # i -> {"flow": id, "exp": t or None, "t_push": t}
    up, authorized, cand_sent = set(), set(), set()
    st = {"joins": 0, "joined_up": 0, "join_failed": 0, "rejects": 0, "expired": 0,
          "updates": 0, "push_errors": 0, "fail_reported": 0}
    lat = []
    t0 = time.time()
    phase_churn = None
    last_tick = last_status = last_update = 0.0
    narrow_next = True
    push_ok_since = t0

    def push(pushes):
        nonlocal push_ok_since
        try:
            ctl.push_many(pushes)
            return True
        except OSError:
            st["push_errors"] += 1
            push_ok_since = time.time()
            return False

    def join(k, expiring):
        nonlocal nxt_pool
        flows = []
        now = time.time()
        for _ in range(k):
            if nxt_pool >= len(keys):
                break
            i = keys[nxt_pool][0]
            nxt_pool += 1
            pub, psk = keyd[i]
            exp = int(now + rnd.uniform(10, 40)) if expiring and len(flows) % 2 == 0 else None
            f = P.authorize_flow(client_id=cid[i], client_public_key=pub, preshared_key=psk,
                                 client_ipv4="100.%d.%d.%d" % (80 + (i >> 16), (i >> 8) & 255, i & 255),
                                 client_ipv6="fd00:2021:1111::%x:%x" % (1 + (i >> 16), i & 0xFFFF),
                                 resource=wide, gateway_id=a.gw_id, gateway_public_key=a.gw_pub,
                                 expires_at=exp)
            by_ref[f["ref"]] = i
            active[i] = {"flow": f["flow_id"], "exp": exp, "t_push": now}
            flows.append({"event": "authorize_flow", "payload": f})
        if flows and not push([{"event": "authorize_flow", "payload": x["payload"]} for x in flows]):
            for x in flows:
                active.pop(by_ref[x["payload"]["ref"]], None)
            return 0
        st["joins"] += len(flows)
        return len(flows)

    def write_status():
        now = time.time()
        ls = sorted(lat)
        s = dict(st, t=now, elapsed=now - t0, active=len(active),
                 up_active=sum(1 for i in active if i in up), pool_left=len(keys) - nxt_pool,
                 churning=phase_churn is not None)
        if ls:
            s["join_latency_s"] = {"p50": ls[len(ls) // 2], "p90": ls[int(len(ls) * 0.9)],
                                   "max": ls[-1]}
        tmp = a.status + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(s, fh)
        os.rename(tmp, a.status)

    gone_ports = []

    def vanish(idx):
        # A client that left stops answering: its socket's datagrams dropped.
        gone_ports.extend(str(ports[i]) for i in idx)

    def flush_gone():
        if gone_ports and a.gone_ns:
            subprocess.run(["ip", "netns", "exec", a.gone_ns, "nft", "add", "element", "inet", "soak_gone",
                            "gone", "{ %s }" % ", ".join(gone_ports)], check=False)
        del gone_ports[:]

    pushed_initial = 0
    while running[0] and time.time() - t0 < a.duration:
        now = time.time()
        # Initial population, paced.
        if pushed_initial < a.n and pushed_initial < (now - t0) * a.rate + 1:
            k = min(50, a.n - pushed_initial)
            pushed_initial += join(k, False) or 0
            if pushed_initial >= a.n:
                say("initial %d authorize_flow pushed" % a.n)
        elif phase_churn is None and pushed_initial >= a.n and \
                (sum(1 for i in active if i in up) >= a.n * 0.98 or now - t0 > 120):
            phase_churn = now
            say("churn starts: %d of %d up" % (len(up), a.n))
        if phase_churn is not None and now - last_tick >= 1.0:
            last_tick = now
            for i in [i for i, v in active.items() if v["exp"] is not None and v["exp"] <= now]:
                active.pop(i)
                vanish([i])
                st["expired"] += 1
            # Leaves by reject_access: enough to stay near n after the joins.
            leave = max(1, a.churn // 2) + max(0, len(active) + a.churn - a.n - max(1, a.churn // 2))
            cands = [i for i, v in active.items() if v["exp"] is None and i in up]
            rnd.shuffle(cands)
            rej = []
            for i in cands[:leave]:
                rej.append({"event": "reject_access", "payload": P.reject_access(
                    client_id=cid[i], resource_id=POP_RES_ID, flow_id=active[i]["flow"])})
            if rej and push(rej):
                for x in rej:
                    active.pop(by_id[x["payload"]["client_id"]], None)
                    vanish([by_id[x["payload"]["client_id"]]])
                st["rejects"] += len(rej)
            join(max(0, min(2 * a.churn, a.n + a.churn - len(active))), True)
            flush_gone()
            if now - last_update >= 10:
                last_update = now
                if push([{"event": "resource_updated", "payload": narrow if narrow_next else wide}]):
                    st["updates"] += 1
                    narrow_next = not narrow_next
        # Frames from the gateway: answer flows with the client's candidate,
        # give the gateway's candidates to the clients.
        cand_push, to_client = [], []
        for ln in tail.lines():
            if b'"g2p"' not in ln or (b"flow_authorized" not in ln and b"broadcast_ice" not in ln):
                continue
            try:
                r = json.loads(ln)
            except ValueError:
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
        for k in range(0, len(cand_push), 200):
            push(cand_push[k:k + 200])
        rl, _, _ = select.select([out], [], [], 0.05)
        if rl:
            chunk = os.read(out.fileno(), 1 << 20)
            if not chunk:
                say("scale_client ended (status %s)" % proc.poll())
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for ln in lines:
                f = ln.decode().split()
                if len(f) >= 2 and f[0] == "up":
                    i = int(f[1])
                    if i not in up:
                        up.add(i)
                        st["joined_up"] += 1
                        if i in active:
                            lat.append(time.time() - active[i]["t_push"])
                elif len(f) >= 2 and f[0] == "fail":
                    st["fail_reported"] += 1
        now = time.time()
        # A join not up after 30 s failed, unless the portal was away then.
        for i, v in active.items():
            if i not in up and not v.get("late") and now - v["t_push"] > 30:
                v["late"] = True
                if v["t_push"] > push_ok_since + 5 or st["push_errors"] == 0:
                    st["join_failed"] += 1
        if now - last_status >= 2:
            last_status = now
            write_status()
            if int(now - t0) % 30 < 2:
                say("t=%.0f active %d up %d joins %d rejects %d expired %d updates %d push errors %d" % (
                    now - t0, len(active), sum(1 for i in active if i in up), st["joins"],
                    st["rejects"], st["expired"], st["updates"], st["push_errors"]))
    write_status()
    say("stopping")
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
