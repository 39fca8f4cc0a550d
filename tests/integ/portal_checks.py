#!/usr/bin/python3
"""Conformance suite of the gateway's portal client (issue 3).

Walks the portal protocol's conformance checklist (2024 protocol, against
the emulator's legacy mode) and issue 15's checklist of today's protocol
(emulator --mode today, see docs/portal-today.md) item by item against the real binaries: every scenario runs the
gateway (dataplane + control) in its own network namespace next to the
portal emulator of tests/portal/, drives the emulator through its control
socket, and checks the emulator's frame log, the gateway's exit status, its
log lines and the timing of its attempts.  Scenarios run in parallel.

    portal_checks.py --transport ws|wss [--only NAME,...] [--keep]

Run by tests/integ/test_portal_ws.sh and test_portal_wss.sh (as root, after
`make`).  Prints one "  ok:"/"  FAIL:" line per individual check as it
happens, then one "ok:"/"FAIL:"/"skip:" line per checklist item; the exit
status is 1 if any check failed.

Only /usr/bin/python3 with Debian's python3-websockets is needed (the
emulator's requirement); this file itself uses the standard library only.
"""

import argparse
import base64
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

sys.dont_write_bytecode = True
TOP = os.environ.get("FZ_TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FZ_BUILD", "build")
DP = os.path.join(TOP, BUILD, "firezone-gateway")
CTL = os.path.join(TOP, BUILD, "firezone-gateway-control")
PORTAL = os.path.join(TOP, "tests", "portal")
PY = "/usr/bin/python3"
sys.path.insert(0, PORTAL)
import payloads as P  # noqa: E402

# Backoff of today's gateway (issue 15): delay n is uniform in [I_n, 2 I_n],
# I_1 = 0.5 s, I_{n+1} = 1.5 I_n (cap 60 s).  SLACK absorbs scheduling on a
# loaded 2-CPU machine.
SLACK = 0.2


def backoff_window(n):
    i = min(0.5 * 1.5 ** (n - 1), 60.0)
    return i, 2 * i


# ---------------------------------------------------------------- results

TITLES = {
    1: "query: token, external_id, name, public_key in this order, nothing else",
    2: "external_id is the SHA-256 hex of FIREZONE_ID",
    3: "public_key is base64 of 32 bytes, form-urlencoded (%2B %2F %3D)",
    4: "path prefix /p/ and http(s) schemes",
    5: "upgrade headers and User-Agent connlib/<semver>",
    6: "no Origin, Sec-WebSocket-Protocol, Sec-WebSocket-Extensions",
    7: "first frame is phx_join with payload null, ref 0 on every connection",
    8: "frames have exactly topic/event/payload/ref, integer refs unique per connection",
    9: "unanswered join: reconnect after 5 s (nothing but heartbeats before the reply)",
    10: "first heartbeat 10 s after the handshake, then every 10 s",
    11: "answered heartbeats keep the connection up",
    12: "4 unanswered heartbeats: reconnect when the 4th goes out (40 s), join first",
    13: "upgrade 401: exit 1, no retry; 403, 404, 422, 429 retried (only 401 is fatal)",
    14: "upgrade 5xx / refused (and 3xx, drop, hang): retry with growing backoff",
    15: "join error reply: exit 1",
    16: "disconnect token_expired: exit 1, no further attempt",
    17: "phx_close: reconnect and join",
    18: "phx_error: no reconnect, nothing sent",
    19: "server close frame: reconnect with backoff",
    20: "init: tun-firezone has exactly A/32 and B/128, peer routes",
    21: "broken init ignored, init without relays accepted",
    22: "unknown event ignored, connection kept",
    23: "authorize_flow with a relay: one flow_authorized with the same ref",
    24: "broadcast_ice_candidates for [client.id], sorted unique candidate: strings",
    25: "second authorize_flow, same ICE credentials, no relay left: flow_authorized again",
    26: "authorize_flow without relays: immediate reconnect, same URL, join",
    27: "request_connection without relays: immediate reconnect",
    28: "after that reconnect and an init with a relay, authorize_flow is accepted",
    29: "requests while reconnecting cause no extra attempt",
    30: "request_connection with a relay: connection_ready with ref and ice_parameters",
    31: "allow_access: no outbound message",
    32: "reject_access, resource_updated, ice_candidates, ... : no reply",
    33: "relay removed: broadcast_invalidated_ice_candidates of its relay candidates",
    34: "error replies from the portal: no reconnect, no exit",
    35: "heartbeat reply with a string ref is ignored: reconnect after 5 s",
    36: "public_key/external_id kept across reconnects; new key after restart",
    37: "gateway ID created in the state directory and reused",
    38: "/healthz 200 while the portal is unreachable, default 0.0.0.0:8080",
    39: "no token: immediate exit, no connection",
    40: "disconnect with another reason ignored",
}
EXTRA = {
    "tls": "TLS: portal.test via the netns hosts file; wrong host, untrusted, expired refused, retried",
    "reinit": "init applied again on reconnect (new tun-firezone addresses)",
    "drop": "dropped TCP connection: reconnect with backoff",
    "incomplete": "incomplete JSON frame: reconnect",
    "oversize": "oversize message: close 1009 and reconnect",
    "ping": "WebSocket ping answered with a pong, otherwise ignored",
    "garbage": "garbage text and binary frames ignored and logged",
    "fatal-line": "fatal conditions log a one-line reason",
    "id-override": "FIREZONE_ID overrides the persisted ID",
    "timeout": "an upgrade that hangs is abandoned after 15 s (transient)",
    "lifecycle": "the gateway survives all of it and exits 0 on SIGTERM",
    "codec": "WebSocket framing: fragments with a ping inside; protocol errors close 1002/1007 and reconnect",
    "ws-warn": "a ws:// portal URL: one warning at start that the token travels in clear (none for wss://)",
    "psk": "authorize_flow again with the same key and PSK keeps the connection; a new PSK replaces the "
           "WireGuard peer (upstream #9999)",
    "proxy": "legacy payloads with a proxy IP outside 100.96.0.0/11 / fd00:2021:1111:8000::/107, or 9 of them, "
             "are refused whole",
    "addr": "a client or init address outside the tunnel ranges: refused by control with a clear error, "
            "the gateway stays up",
    "v1": "2024 portal (legacy emulator): the v2 path answers 404, the gateway falls back at once to "
          "/gateway/websocket with the token in query and header and connlib/1.6.0, for good",
    "id-json": "gateway ID file: upstream's JSON form and the old plain form are both read and kept",
}
# Issue 15: the acceptance checklist of today's protocol (items of section 6
# that concern connecting and the operator side), checked against the
# emulator in today mode.
TODAY = {
    "t1": "v2 path; query exactly external_id, name, public_key; no token",
    "t2": "X-Authorization: Bearer <token without whitespace>; User-Agent token gateway/1.6.0",
    "t3": "FIREZONE_ID a UUID: external_id = SHA-256 hex; 64 hex digits: verbatim",
    "t5": "401: exit 1 within 2 s, no retry",
    "t6": "409, 400, 403, 404 (fallback), 500, 503 after a join: retried, no exit",
    "t7": "503 with Retry-After: 1: next attempt 1 s (+-0.2 s) later",
    "t9": "FIREZONE_MAX_PARTITION_TIME: exit 1 once the summed retry delays pass it",
    "t11": "a TCP connect that hangs is abandoned after 5 s (the upgrade: after 15 s, see 'timeout')",
    "t12": "first frame after 101: phx_join, payload null, ref 0, on every connection",
    "t17": "error reply unmatched topic to a non-join message: a new phx_join",
    "t20": "SIGTERM: close frame 1000 to the portal, exit 0 within 2 s",
    "t52": "CREDENTIALS_DIRECTORY/FIREZONE_TOKEN 'tok\\n': Bearer tok",
    "t53": "FIREZONE_LOG_FORMAT=json: one JSON object per log line",
    "t54": "404 on v2: next attempt without backoff on /gateway/websocket, token in query and header, "
           "connlib/1.6.0",
}


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = {}   # key -> list of (ok, text)
        self.skips = {}
        self.failed = 0

    def check(self, key, ok, text, detail=None):
        with self.lock:
            self.items.setdefault(key, []).append((bool(ok), text if ok or not detail else
                                                   "%s (%s)" % (text, detail)))
            if ok:
                print("  ok: [%s] %s" % (key, text), flush=True)
            else:
                self.failed += 1
                print("  FAIL: [%s] %s%s" % (key, text, " -- %s" % detail if detail else ""), flush=True)
        return bool(ok)

    def skip(self, key, why):
        with self.lock:
            self.skips[key] = why

    def note(self, text):
        with self.lock:
            print("  .. %s" % text, flush=True)

    def summary(self):
        print("---- spec section 6 checklist ----")
        for n in sorted(TITLES):
            self._line(n, "6.%d %s" % (n, TITLES[n]))
        print("---- issue 15: today's portal (emulator --mode today) ----")
        for k in TODAY:
            self._line(k, "today %s: %s" % (k[1:], TODAY[k]))
        print("---- other cases of the issue ----")
        for k in EXTRA:
            self._line(k, "%s: %s" % (k, EXTRA[k]))
        for k in self.items:
            if k not in TITLES and k not in EXTRA and k not in TODAY:
                self._line(k, str(k))

    def _line(self, key, title):
        got = self.items.get(key)
        if got:
            bad = [t for ok, t in got if not ok]
            if bad:
                print("FAIL: %s: %s" % (title, bad[0]))
            else:
                print("ok: %s (%d check%s)%s" % (title, len(got), "s" if len(got) > 1 else "",
                                                  " -- %s" % self.skips[key] if key in self.skips else ""))
        elif key in self.skips:
            print("skip: %s -- %s" % (title, self.skips[key]))


R = Results()


class CheckError(Exception):
    """A check failed in a way that makes the rest of a scenario pointless."""


def need(key, ok, text, detail=None):
    if not R.check(key, ok, text, detail):
        raise CheckError("%s: %s" % (key, text))


# ---------------------------------------------------------------- processes, namespaces

REG_LOCK = threading.Lock()
NAMESPACES = []
PROCS = []
TMP = None
NS_LIST = None   # file with the namespace names, for the shell trap


def run(cmd, check=True, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stdout.strip()))
    return p.stdout


class Netns:
    def __init__(self, tag, hosts=None):
        self.name = "fz-pc%s-%s" % (tag, os.getpid())
        with REG_LOCK:
            NAMESPACES.append(self.name)
            if NS_LIST:
                with open(NS_LIST, "a") as f:
                    f.write(self.name + "\n")
        if hosts:
            d = "/etc/netns/%s" % self.name
            os.makedirs(d, exist_ok=True)
            with open(d + "/hosts", "w") as f:
                f.write(hosts)
        run(["ip", "netns", "add", self.name])
        run(["ip", "netns", "exec", self.name, "ip", "link", "set", "lo", "up"])

    def exec(self, *cmd):
        return run(["ip", "netns", "exec", self.name] + list(cmd), check=False)


def cleanup():
    with REG_LOCK:
        procs = list(PROCS)
        nss = list(NAMESPACES)
        del PROCS[:]
        del NAMESPACES[:]
    for p in procs:
        if p.poll() is None:
            try:
                p.kill()
            except OSError:
                pass
    for ns in nss:
        out = run(["ip", "netns", "pids", ns], check=False)
        for pid in out.split():
            if pid.isdigit():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree("/etc/netns/%s" % ns, ignore_errors=True)
    for p in procs:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass


def spawn(cmd, log, env=None):
    f = open(log, "ab")
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    f.close()
    with REG_LOCK:
        PROCS.append(p)
    return p


# ---------------------------------------------------------------- emulator

class Emu:
    """One emulator process in a namespace, driven over its control socket."""

    def __init__(self, ns, name, *args, host="127.0.0.1", port=0, cert=None):
        self.ns = ns
        self.name = name
        self.sock_path = os.path.join(TMP, "%s.sock" % name)
        self.log_path = os.path.join(TMP, "%s.jsonl" % name)
        ready = os.path.join(TMP, "%s.url" % name)
        cmd = ["ip", "netns", "exec", ns.name, PY, os.path.join(PORTAL, "emulator.py"),
               "--host", host, "--port", str(port), "--log", self.log_path,
               "--control", self.sock_path, "--ready-file", ready] + list(args)
        if cert:
            cmd += ["--tls-cert", os.path.join(TMP, "ca", cert + ".pem"),
                    "--tls-key", os.path.join(TMP, "ca", cert + ".key")]
        self.proc = spawn(cmd, os.path.join(TMP, "%s.out" % name))
        deadline = time.time() + 20
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("emulator %s did not start: %s" % (name, open(os.path.join(TMP, "%s.out" % name)).read()))
            time.sleep(0.05)
        self.url = open(ready).read().strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.sock_path)
        self.rfile = self.sock.makefile("r")

    def cmd(self, req, allow_error=False):
        self.sock.settimeout(float(req.get("timeout", 10)) + 15)
        self.sock.sendall((json.dumps(req) + "\n").encode())
        line = self.rfile.readline()
        if not line:
            raise RuntimeError("emulator %s: control connection closed" % self.name)
        ans = json.loads(line)
        if not ans.get("ok") and not allow_error and not ans.get("timeout"):
            raise RuntimeError("emulator %s: %s -> %s" % (self.name, req, ans))
        return ans

    def c(self, cmd, **kw):
        kw["cmd"] = cmd
        return self.cmd(kw)

    def wait(self, event=None, timeout=10, **flt):
        """The next unconsumed matching record, or None on timeout."""
        ans = self.cmd(dict(flt, cmd="wait", event=event, timeout=timeout))
        return ans.get("record") if ans.get("ok") else None

    def peek(self, event=None, timeout=10, **flt):
        return self.wait(event, timeout, peek=True, **flt)

    def quiet(self, event, seconds, **flt):
        """(True, None) if no unconsumed matching record exists or arrives."""
        ans = self.cmd(dict(flt, cmd="quiet", event=event, timeout=seconds), allow_error=True)
        return ans.get("ok"), ans.get("record")

    def records(self, event=None, **flt):
        return self.cmd(dict(flt, cmd="records", event=event))["records"]

    def status(self):
        return self.cmd({"cmd": "status"})

    def seq(self):
        return self.status()["records"]

    def push(self, event, payload=None, **kw):
        req = dict(kw, cmd="push", event=event)
        if payload is not None:
            req["payload"] = payload
        return self.cmd(req)

    def upgrades(self, after=0):
        return self.records(kind="upgrade", after=after)

    def control_record(self, after):
        """The first control record after seq `after` (the moment a command arrived)."""
        recs = self.records(kind="control", after=after)
        return recs[0] if recs else None

    def all_records(self):
        with open(self.log_path) as f:
            return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------- gateway

class Gw:
    """One gateway (dataplane + control) in a namespace."""

    n = 0

    def __init__(self, ns, args, env=None, name=None, log_flag=True):
        Gw.n += 1
        self.ns = ns
        self.log_path = os.path.join(TMP, "%s.gw%d.log" % (name or ns.name, Gw.n))
        e = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
             "FIREZONE_CONTROL_BIN": CTL}
        e.update(env or {})
        self.started = time.time()
        # log_flag False: the log format comes from the environment.
        flags = ["--log-format", "json"] if log_flag else []
        self.proc = spawn(["ip", "netns", "exec", ns.name, DP] + flags +
                          ["--log-level", "debug"] + list(args), self.log_path, env=e)
        self.rc = None

    def alive(self):
        return self.proc.poll() is None

    def wait_exit(self, timeout):
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.rc

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait_exit(10)

    def lines(self):
        out = []
        with open(self.log_path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                try:
                    o = json.loads(line)
                    if not isinstance(o, dict):
                        raise ValueError
                except ValueError:
                    o = {"raw": line, "msg": line, "level": "?", "process": "?"}
                out.append(o)
        return out

    def grep(self, pattern, process=None, level=None):
        rx = re.compile(pattern)
        return [o for o in self.lines() if rx.search(o.get("msg", ""))
                and (process is None or o.get("process") == process)
                and (level is None or o.get("level") == level)]

    def wait_log(self, pattern, timeout=10, **kw):
        deadline = time.time() + timeout
        while True:
            got = self.grep(pattern, **kw)
            if got:
                return got
            if time.time() > deadline:
                return []
            time.sleep(0.05)

    def tail(self, n=15):
        return " | ".join(o.get("msg", o.get("raw", "")) for o in self.lines()[-n:])


def ts(o):
    """Unix time of a JSON log line of the gateway ("2026-11-25T18:53:07.123Z")."""
    s = o.get("ts", "")
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$", s)
    if not m:
        return None
    import calendar
    y, mo, d, h, mi, se, ms = (int(x) for x in m.groups())
    return calendar.timegm((y, mo, d, h, mi, se)) + ms / 1000.0


def addrs(ns):
    """(set of "addr/plen" on tun-firezone except link-local, routes text)."""
    out = ns.exec("ip", "-o", "addr", "show", "dev", "tun-firezone")
    got = set()
    for line in out.splitlines():
        m = re.search(r"\binet6? (\S+)", line)
        if m and not m.group(1).startswith("fe80:"):
            got.add(m.group(1))
    return got


def routes(ns):
    return ns.exec("ip", "-4", "route", "show", "table", "all") + ns.exec("ip", "-6", "route", "show", "table", "all")


def wait_addrs(ns, want, timeout=5):
    deadline = time.time() + timeout
    while True:
        got = addrs(ns)
        if got == want or time.time() > deadline:
            return got
        time.sleep(0.05)


# ---------------------------------------------------------------- shared checks

FZ_ID = P.FIREZONE_ID
# A token and a name that exercise the form encoding of spec 1.1 item 4:
# "~" is not in the unreserved set of that rule, a space becomes "+".
TOKEN = ".SFMyNTY.EXAMPLE~PAYLOAD.EXAMPLESIGNATURE"
NAME = "gw prod/1 \u00e9t\u00e9"
FORM_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")
# payloads.py draws random ICE credentials from the base64url alphabet, whose
# "-" and "_" are not ICE characters (RFC 8445): give valid ones.
ICE_OFFER = {"username": "Ab3d", "password": "q9W2e8R7t6Y5u4I3o2P1aS"}
SEMVER = r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"


def form_encode(value):
    out = []
    for b in value.encode():
        out.append(chr(b) if b in FORM_SAFE else "+" if b == 0x20 else "%%%02X" % b)
    return "".join(out)


def sha256hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


def check_upgrade(rec, token, gid, name, tag=""):
    """Spec 6 items 1, 2, 3, 5, 6 on one upgrade record of the emulator."""
    t = " (%s)" % tag if tag else ""
    R.check(1, rec["status"] == 101 and rec["problems"] == [],
            "upgrade answered 101 by the strict emulator, no conformance problem%s" % t,
            "status %s, problems %s" % (rec["status"], rec["problems"]))
    names = [k for k, _ in rec["query"]]
    vals = dict(rec["query"])
    R.check(1, names == ["token", "external_id", "name", "public_key"],
            "query parameters exactly token, external_id, name, public_key%s" % t, "got %s" % names)
    R.check(1, vals.get("token") == token and vals.get("name") == name,
            "token and name sent byte for byte%s" % t, "token %r name %r" % (vals.get("token"), vals.get("name")))
    raw = dict(item.split("=", 1) for item in (rec["query_raw"] or "").split("&") if "=" in item)
    R.check(1, raw.get("token") == form_encode(token) and raw.get("name") == form_encode(name),
            "token and name form-urlencoded (%%7E, +, %%2F, %%C3%%A9)%s" % t,
            "raw token %r, raw name %r" % (raw.get("token"), raw.get("name")))
    ext = vals.get("external_id", "")
    R.check(2, re.fullmatch(r"[0-9a-f]{64}", ext) is not None and ext == sha256hex(gid),
            "external_id = sha256(%r), 64 lowercase hex%s" % (gid, t), "got %r" % ext)
    pk = vals.get("public_key", "")
    try:
        pkb = base64.b64decode(pk, validate=True)
    except ValueError:
        pkb = b""
    R.check(3, len(pk) == 44 and len(pkb) == 32, "public_key is base64 of 32 bytes%s" % t, "got %r" % pk)
    rpk = raw.get("public_key", "")
    R.check(3, rpk == form_encode(pk) and rpk.endswith("%3D") and not re.search(r"[+/=]", rpk),
            "public_key form-urlencoded (+ %%2B, / %%2F, = %%3D)%s" % t, "raw %r" % rpk)
    hdr = {}
    for k, v in rec["headers"]:
        hdr.setdefault(k.lower(), []).append(v)
    conn_tokens = [x.strip().lower() for v in hdr.get("connection", []) for x in v.split(",")]
    try:
        key_ok = len(base64.b64decode(hdr.get("sec-websocket-key", [""])[0], validate=True)) == 16
    except ValueError:
        key_ok = False
    R.check(5, "upgrade" in conn_tokens and hdr.get("upgrade") == ["websocket"]
            and hdr.get("sec-websocket-version") == ["13"] and key_ok,
            "Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version: 13, 16-byte key%s" % t,
            "headers %s" % rec["headers"])
    ua = rec.get("user_agent") or ""
    toks = ua.split(" ")
    ci = [i for i, x in enumerate(toks) if re.fullmatch("connlib/" + SEMVER, x)]
    R.check(5, len(ci) == 1 and ci[0] >= 1 and "/" in toks[ci[0] - 1] and toks[0].count("/") >= 1,
            "User-Agent %r has <os>/<version> then connlib/<MAJOR.MINOR.PATCH>%s" % (ua, t))
    bad = [k for k in hdr if k in ("origin", "sec-websocket-protocol", "sec-websocket-extensions",
                                    "authorization", "cookie")]
    R.check(6, not bad, "no Origin, Sec-WebSocket-Protocol/-Extensions, Authorization, Cookie%s" % t,
            "found %s" % bad)
    # Issue 15, item 54: on the 2024 path the token goes in the query and the header.
    R.check("v1", hdr.get("x-authorization") == ["Bearer " + re.sub(r"\s", "", token)]
            and re.fullmatch("connlib/1\\.6\\.0", ci and toks[ci[0]] or "") is not None,
            "2024 path: X-Authorization: Bearer <token> as well, and connlib/1.6.0%s" % t,
            "x-authorization %s, user agent %r" % (hdr.get("x-authorization"), ua))


def data_frames(e, conn=None, after=0):
    """Gateway-to-portal data frames (text or binary), in order."""
    return [r for r in e.all_records() if r["kind"] == "frame" and r["dir"] == "g2p"
            and r.get("opcode") in ("text", "binary") and r["seq"] > after
            and (conn is None or r["conn"] == conn)]


def check_frames(e, tag, key=8):
    """Item 8 over every data frame of one gateway process in e's log."""
    frames = data_frames(e)
    bad = [r for r in frames if r.get("opcode") != "text" or not isinstance(r.get("json"), dict)
           or set(r["json"]) != {"topic", "event", "payload", "ref"}
           or not isinstance(r["json"]["ref"], int) or isinstance(r["json"]["ref"], bool)
           or r["json"]["ref"] < 0 or r.get("problems")]
    R.check(key, frames and not bad, "%d frames: text JSON objects with exactly topic/event/payload/ref, "
            "integer ref (%s)" % (len(frames), tag), "e.g. %s" % (bad[:1],))
    dups = []
    for conn in sorted(set(r["conn"] for r in frames)):
        refs = [r["json"]["ref"] for r in frames if r["conn"] == conn and isinstance(r.get("json"), dict)]
        dups += [(conn, x) for x in sorted(set(refs)) if refs.count(x) > 1]
    R.check(key, not dups, "no ref used twice on one connection (%s)" % tag, "duplicates %s" % dups[:5])
    firsts = {}
    for r in frames:
        firsts.setdefault(r["conn"], r)
    bad_first = [(c, r.get("raw")) for c, r in firsts.items()
                 if r.get("event") != "phx_join" or r["json"]["ref"] != 0]
    R.check(key, not bad_first, "every connection starts with phx_join ref 0, refs restart (%s, %d "
            "connections)" % (tag, len(firsts)), "first frames %s" % bad_first[:3])


def check_join_first(e, conn, key, tag, first=False, timeout=10):
    """The first data frame on connection conn is phx_join on gateway."""
    deadline = time.time() + timeout
    while True:
        r = ([x for x in e.records("phx_join", conn=conn)] or [None])[0]
        if r is not None or time.time() > deadline:
            break
        time.sleep(0.05)
    frames = data_frames(e, conn)
    f = frames[0] if frames else None
    ok = (r is not None and f is not None and f["seq"] == r["seq"] and f["json"]["topic"] == "gateway"
          and f["json"]["payload"] in (None, {}) and isinstance(f["json"]["ref"], int))
    if first:
        ok = ok and f["json"]["ref"] == 0 and f["json"]["payload"] is None
    R.check(key, ok, "connection %d starts with phx_join%s (%s)" % (
        conn, ", payload null, ref 0" if first else "", tag), "first frame %s" % (f and f.get("raw")))
    return f


def quiet_outbound(e, after, seconds, what, key, allow=("heartbeat",)):
    """No data frame from the gateway after seq `after` except `allow` events."""
    time.sleep(seconds)
    extra = [r for r in data_frames(e, after=after) if r.get("event") not in allow]
    return R.check(key, not extra, "%s: nothing sent back" % what,
                   "sent %s" % [r.get("raw", "")[:80] for r in extra])


def same_connection(e, conn, after, what, key):
    st = e.status()
    ups = e.upgrades(after=after)
    closes = e.records(kind="close", after=after)
    return R.check(key, st["connected"] and st["conn"] == conn and not ups and not closes,
                   "%s: connection %d kept, no reconnect" % (what, conn),
                   "status conn %s, upgrades %d, closes %s" % (st["conn"], len(ups), closes[:1]))


def gap_check(key, what, gap, lo, hi):
    return R.check(key, lo - 0.05 <= gap <= hi + SLACK, "%s after %.3f s (expected %.3f-%.3f s)" % (what, gap, lo, hi))


def retry_delays(gw):
    """[(log time, delay)] of the gateway's "retrying in N s" lines."""
    out = []
    for o in gw.lines():
        m = re.search(r"retrying in (\d+\.\d+) s", o.get("msg", ""))
        # The fallback to the 2024 path is immediate and no backoff step.
        if m and o.get("process") == "control" and "falling back" not in o.get("msg", ""):
            out.append((ts(o), float(m.group(1)), o["msg"]))
    return out


def wait_retries(gw, n, timeout):
    """Wait until the gateway logged n retries (3 take at most 3.6 s)."""
    deadline = time.time() + timeout
    while len(retry_delays(gw)) < n and time.time() < deadline and gw.alive():
        time.sleep(0.1)
    return retry_delays(gw)


def fmt_delays(ds):
    return ", ".join("%.3f" % d for _, d, _ in ds)


def in_ns_http(ns, url):
    out = ns.exec(PY, "-c", """
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    print(r.status, len(r.read()))
except urllib.error.HTTPError as e:
    print(e.code, -1)
except Exception as e:
    print("error", e)
""", url)
    return out.strip()


# ---------------------------------------------------------------- scenarios

class Scenario:
    transports = ("ws", "wss")
    hosts = "127.0.0.1 portal.test\n::1 portal.test\n"

    def __init__(self, cfg):
        self.cfg = cfg
        self.tls = cfg.transport == "wss"

    def netns(self):
        return Netns(self.tag, hosts=self.hosts if self.tls else None)

    def emu(self, ns, name, *args, **kw):
        if self.tls and "cert" not in kw:
            kw["cert"] = "server"
        return Emu(ns, "%s-%s" % (self.tag, name), *args, **kw)

    def url(self, e, host=None, scheme=None, path=""):
        """The API URL for emulator e: wss://portal.test:P over TLS."""
        if scheme is None:
            scheme = "wss" if self.tls else "ws"
        if host is None:
            host = "portal.test" if self.tls else "127.0.0.1"
        return "%s://%s:%d%s" % (scheme, host, e.port, path)

    def env(self, **kw):
        e = {}
        if self.tls:
            e["SSL_CERT_FILE"] = os.path.join(TMP, "ca", "ca.pem")
        e.update(kw)
        return e

    def setup(self):
        pass

    def run(self):
        raise NotImplementedError


class Main(Scenario):
    """One long-lived gateway: upgrade, init, ignored cases, section 4.5,
    every kind of reconnect."""
    tag = "main"

    def setup(self):
        self.ns = self.netns()
        # An interface besides lo, so that the gateway has host candidates.
        for cmd in (["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"],
                    ["ip", "addr", "add", "192.0.2.10/24", "dev", "lan0"],
                    ["ip", "addr", "add", "2001:db8::10/64", "dev", "lan0", "nodad"],
                    ["ip", "link", "set", "lan1", "up"],
                    ["ip", "link", "set", "lan0", "up"]):
            run(["ip", "netns", "exec", self.ns.name] + cmd)
        # Over TLS the emulator listens on ::1 only: portal.test resolves to
        # 127.0.0.1 first (refused), then ::1.
        self.e = self.emu(self.ns, "portal", "--token", TOKEN, "--gateway-id", FZ_ID, "--name", NAME,
                          host="::1" if self.tls else "127.0.0.1")
        # A real relay on lan0: its answers arrive on 192.0.2.10, which the
        # gateway learns as its host candidate (docs/protocol/p2p.md 2.3).
        spawn(["ip", "netns", "exec", self.ns.name, "turnserver", "-n", "--no-tls", "--no-dtls",
               "--no-cli", "--no-tcp-relay", "--listening-ip=192.0.2.10", "--relay-ip=192.0.2.10",
               "--listening-port=3478", "--lt-cred-mech", "--user=gwuser:s3cretPW-gw",
               "--realm=firezone", "--userdb=/tmp/fz-pc-turndb-%s" % self.ns.name,
               "--log-file=stdout", "--simple-log"], "/tmp/fz-pc-coturn-%s.log" % self.ns.name)

    def addr_check(self, key, want, what):
        got = wait_addrs(self.ns, want)
        return R.check(key, got == want, "%s: tun-firezone has exactly %s" % (what, sorted(want)),
                       "has %s" % sorted(got))

    def reconnect(self, key, what, action, window=backoff_window(1), close_code=None):
        """Run action (an emulator command), expect a new upgrade after a
        delay in window (seconds after the command), a join first on the new
        connection, the same URL, and the init applied."""
        e = self.e
        conn = e.status()["conn"]
        s = e.seq()
        action()
        t0 = e.control_record(s)["t"]
        up = e.wait(kind="upgrade", match={"conn": conn + 1}, timeout=10)
        if not R.check(key, up is not None, "%s: a new upgrade follows" % what, self.gw.tail()):
            raise CheckError(what)
        gap_check(key, "%s: new upgrade" % what, up["t"] - t0, *window)
        R.check(36, up["query_raw"] == self.first["query_raw"] and up["path"] == self.first["path"],
                "%s: identical URL (same public_key and external_id)" % what,
                "%s vs %s" % (up["query_raw"][-60:], self.first["query_raw"][-60:]))
        check_join_first(e, conn + 1, key, what)
        if close_code is not None:
            closes = [r for r in e.records(kind="frame", dir="g2p", conn=conn, after=s)
                      if r.get("opcode") == "close"]
            R.check(key, any(r.get("code") == close_code for r in closes),
                    "%s: the gateway sent a close frame with code %d" % (what, close_code),
                    "close frames %s" % [(r.get("code"), r.get("reason")) for r in closes])
        init = e.wait("init", 5, dir="p2g", conn=conn + 1)
        return up, init

    def run(self):
        e, ns = self.e, self.ns
        self.gw = gw = Gw(ns, ["--health-check-addr", "127.0.0.1:18080"], env=self.env(
            FIREZONE_API_URL=self.url(e), FIREZONE_TOKEN=TOKEN, FIREZONE_ID=FZ_ID, FIREZONE_NAME=NAME))
        j = e.wait("phx_join", 15)
        need(7, j is not None, "gateway joined (%s)" % self.url(e), gw.tail())
        ups = e.upgrades()
        self.first = ups[0]
        need(1, len(ups) == 1, "one upgrade for one connection", "%d upgrades" % len(ups))
        check_upgrade(self.first, TOKEN, FZ_ID, NAME, "env FIREZONE_API_URL/TOKEN/ID/NAME")
        # Issue 15, item 54 against the 2024 portal: one v2 attempt, 404, then
        # at once the old path, and never v2 again.
        probes = e.records(kind="probe")
        R.check("v1", len(probes) == 1 and probes[0]["seq"] < self.first["seq"]
                and "token=" not in (probes[0]["query_raw"] or "")
                and " gateway/1.6.0" in (probes[0]["user_agent"] or ""),
                "first attempt on /gateway/v2/websocket (no token in the query, gateway/1.6.0), 404",
                "probes %s" % probes[:2])
        if probes:
            R.check("v1", self.first["t"] - probes[0]["t"] < 0.3,
                    "the 2024 path follows %.3f s after the 404 (no backoff)" % (self.first["t"] - probes[0]["t"]))
        check_join_first(e, 1, 7, "first connection", first=True)
        if self.tls:
            R.check("tls", True, "joined over TLS to wss://portal.test:%d (netns hosts file, test CA "
                    "through SSL_CERT_FILE)" % e.port)
            R.check("tls", gw.grep(r"connect failed \(Connection refused\), trying the next address"),
                    "portal.test is 127.0.0.1 (refused) and ::1: the next address is tried", gw.tail(8))
        warn = gw.grep(r"the gateway token travels in clear", process="control")
        if self.tls:
            R.check("ws-warn", not warn, "wss://: no clear-text warning", str(warn[:1]))
        else:
            R.check("ws-warn", len(warn) == 1 and warn[0].get("level") == "warn"
                    and "use a wss://" in warn[0]["msg"] and TOKEN not in warn[0]["msg"],
                    "ws://: one warning that the token travels in clear, without the token",
                    "got %s" % [w.get("msg") for w in warn])
        A = {"100.64.0.7/32", "fd00:2021:1111::7/128"}
        self.addr_check(20, A, "init 100.64.0.7 / fd00:2021:1111::7")
        rt = routes(ns)
        R.check(20, re.search(r"^100\.64\.0\.0/11 dev tun-firezone", rt, re.M) is not None
                and re.search(r"^fd00:2021:1111::/107 dev tun-firezone", rt, re.M) is not None,
                "routes for 100.64.0.0/11 and fd00:2021:1111::/107 via tun-firezone", rt)

        # ---- ignored but logged: nothing changes, nothing is sent
        s0 = e.seq()
        bad_inits = [
            ("init without config", {k: v for k, v in P.init("100.64.9.1", "fd00:2021:1111::9:1").items() if k != "config"}),
            ("init without interface", {k: v for k, v in P.init().items() if k != "interface"}),
            ("init with a relay of unknown type", P.init("100.64.9.2", "fd00:2021:1111::9:2",
                                                         relays=[dict(P.turn_relay(), type="quic")])),
            ("init with expires_at as a string", P.init("100.64.9.3", "fd00:2021:1111::9:3",
                                                        relays=[dict(P.turn_relay(), expires_at="1731542400")])),
        ]
        for what, payload in bad_inits:
            n = len(gw.grep(r"ignoring a malformed event"))
            e.push("init", payload)
            R.check(21, self._count_eventually(r"ignoring a malformed event", n + 1),
                    "%s: logged as malformed" % what, gw.tail(3))
            self.addr_check(21, A, "%s ignored" % what)
        n = len(gw.grep(r"ignoring an unknown event"))
        e.push("foo", {"x": 1})
        R.check(22, self._count_eventually(r"ignoring an unknown event", n + 1), "unknown event foo logged",
                gw.tail(3))
        e.push("phx_error", {})
        R.check(18, gw.wait_log(r"phx_error from the portal", 5), "phx_error logged (debug)", gw.tail(3))
        e.push("disconnect", {"reason": "going_away"})
        R.check(40, gw.wait_log(r"ignoring a frame that does not parse", 5) and gw.alive(),
                "disconnect going_away ignored with a warning, gateway running", gw.tail(3))
        e.c("send", json={"event": "phx_reply", "payload": {"status": "error", "response": {"reason": "invalid_ref"}},
                          "ref": 999999, "topic": "gateway"})
        R.check(34, gw.wait_log(r"request 999999 failed: invalid_ref", 5),
                "error reply to a request that is not the join: logged", gw.tail(3))
        e.c("send", json={"event": "phx_reply", "payload": {"status": "error", "response": {"reason": "x"}},
                          "ref": None, "topic": "gateway"})
        R.check(34, gw.wait_log(r"reply without a ref", 5), "error reply with a null ref: logged", gw.tail(3))
        n = len(gw.grep(r"does not parse"))
        e.c("send", json={"event": "phx_reply", "payload": {"status": "ok", "response": {"a": 1}},
                          "ref": 999998, "topic": "phoenix"})
        R.check(34, self._count_eventually(r"does not parse", n + 1),
                "ok reply with a non-empty response: logged and dropped", gw.tail(3))
        n = len(gw.grep(r"does not parse"))
        for text in ("hello", "]]", "[1,2]", '"str"', '{"topic":"gateway"}'):
            e.c("send", text=text)
        R.check("garbage", self._count_eventually(r"does not parse", n + 5),
                "garbage text frames (hello, ]], an array, a string, no event) logged and ignored",
                gw.tail(6))
        n = len(gw.grep(r"does not parse"))
        e.c("send", b64=base64.b64encode(b"\xff\xfe\x00 not utf-8").decode())
        R.check("garbage", self._count_eventually(r"does not parse", n + 1),
                "binary frame with invalid UTF-8 logged and ignored", gw.tail(3))
        n = len(gw.grep(r"ignoring an unknown event"))
        e.c("send", b64=base64.b64encode(P.encode(P.frame("bar", {})).encode()).decode())
        R.check("garbage", self._count_eventually(r"ignoring an unknown event", n + 1),
                "binary frame holding JSON parsed like text (spec 4.4): unknown event bar logged",
                gw.tail(3))
        e.push("init", P.init("100.64.9.4", "fd00:2021:1111::9:4"), topic="other")
        R.check(21, gw.wait_log(r'ignoring event "init" on topic "other"', 5),
                "init on a topic other than gateway ignored", gw.tail(3))
        s = e.seq()
        e.c("ping", text="are you there")
        pong = e.wait(kind="frame", opcode="pong", after=s, timeout=5)
        R.check("ping", pong is not None and base64.b64decode(pong["data_b64"]) == b"are you there",
                "ping answered by a pong with the same data", "pong %s" % pong)
        s = e.seq()
        e.c("ping", text="")
        pong = e.wait(kind="frame", opcode="pong", after=s, timeout=5)
        R.check("ping", pong is not None and pong["data_b64"] == "",
                "empty ping answered by an empty pong (no reconnect: the reference quirk is not copied)",
                "pong %s" % pong)
        n = len(gw.grep(r"ignoring a malformed event: init"))
        e.c("send", big=900000)
        R.check("oversize", self._count_eventually(r"ignoring a malformed event: init", n + 1),
                "a 900 kB message (below the 1 MiB limit) is read and parsed (a malformed init)", gw.tail(3))
        self.addr_check(21, A, "after the ignored frames, addresses unchanged")
        same_connection(e, 1, s0, "after ignored frames", 22)
        quiet_outbound(e, s0, 0.3, "phx_error, errors, garbage, binary, ping", 18)
        # A later valid event (fragmented on the wire) still works.
        B = {"100.64.0.77/32", "fd00:2021:1111::77/128"}
        e.c("send", json=P.frame("init", P.init("100.64.0.77", "fd00:2021:1111::77")), fragments=3)
        self.addr_check(22, B, "a valid init after them (sent in 3 fragments) is applied")
        C = {"100.64.0.78/32", "fd00:2021:1111::78/128"}
        e.push("init", P.init("100.64.0.78", "fd00:2021:1111::78", omit_relays=True))
        self.addr_check(21, C, "init without a relays key accepted")

        # ---- messages that get no answer
        s = e.seq()
        cid = P.CLIENT_ID
        res = P.cidr_resource(address="10.1.0.0/16")
        e.push("allow_access", P.allow_access(client_id=cid, resource=res))
        R.check(31, gw.wait_log(r"authorized for resource .* via allow_access", 5),
                "allow_access recorded (logged)", gw.tail(3))
        quiet_outbound(e, s, 1.0, "allow_access", 31)
        s = e.seq()
        e.push("resource_updated", P.resource_updated(dict(res, filters=[P.udp_filter(53, 53)])))
        e.push("ice_candidates", P.ice_candidates(client_id=cid))
        e.push("invalidate_ice_candidates", P.invalidate_ice_candidates(client_id=cid))
        e.push("reject_access", P.reject_access(client_id=cid, resource_id=res["id"]))
        e.push("relays_presence", P.relays_presence())
        e.push("init", P.init("100.64.0.7", "fd00:2021:1111::7"))
        R.check(32, gw.wait_log(r"access to resource .* revoked", 5) and gw.wait_log(r"relays_presence: 0", 5),
                "resource_updated, ice_candidates, invalidate_ice_candidates, reject_access, "
                "relays_presence, init handled", gw.tail(6))
        quiet_outbound(e, s, 1.0, "resource_updated, ice_candidates, invalidate_ice_candidates, "
                       "reject_access, relays_presence, init", 32)
        self.addr_check(20, A, "init back to 100.64.0.7 / fd00:2021:1111::7")
        same_connection(e, 1, s0, "after the messages without answer", 32)

        # ---- section 4.5: no relay known
        X = "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"
        Y = "3b7e1c2d-9f8a-4e6b-a5c4-d3e2f1a0b9c8"
        Z = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
        W = "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918"
        s = e.seq()
        up, init = self.reconnect(26, "authorize_flow with no relay known",
                                  lambda: e.c("push", event="authorize_flow", build="authorize_flow",
                                              args={"client_id": X, "resource": res}), window=(0, 0.25))
        R.check(26, init is not None and init["json"]["payload"].get("relays") == [],
                "a fresh init arrives on the new connection", "init %s" % init)
        R.check(26, gw.grep(r"no TURN relay is left; reconnecting"), "logged: no TURN relay, reconnecting")
        quiet_outbound(e, s, 0.5, "authorize_flow without relays (no flow_authorized)", 26, allow=("heartbeat", "phx_join"))
        s = e.seq()
        self.reconnect(27, "request_connection with no relay known",
                       lambda: e.c("push", event="request_connection", build="request_connection",
                                   args={"client_id": X, "resource": res, "ice_parameters": ICE_OFFER}), window=(0, 0.25))
        quiet_outbound(e, s, 0.5, "request_connection without relays (no connection_ready)", 27,
                       allow=("heartbeat", "phx_join"))
        # Two requests in one read: the second one arrives while the
        # reconnect is under way and must not start another.
        sys.path.insert(0, PORTAL)
        import emulator as EMU
        two = b"".join(EMU.raw_frame(1, P.encode(P.frame("authorize_flow", P.authorize_flow(
            client_id=X, resource=res))).encode()) for _ in range(3))
        conn = e.status()["conn"]
        s = e.seq()
        e.c("raw", b64=base64.b64encode(two).decode())
        e.wait("phx_join", 5, conn=conn + 1)
        time.sleep(1.5)
        ups = e.upgrades(after=s)
        R.check(29, len(ups) == 1, "three authorize_flow in one read, no relay: exactly one new upgrade",
                "%d upgrades" % len(ups))

        # ---- init applied again on reconnect; a relay is known from now on
        relay = P.turn_relay(addr="192.0.2.10:3478", username="gwuser", password="s3cretPW-gw")
        D = {"100.64.0.99/32", "fd00:2021:1111::99/128"}
        e.c("init", payload=P.init("100.64.0.99", "fd00:2021:1111::99", relays=[relay]))
        self.reconnect(19, "close 1000 from the portal", lambda: e.c("close", code=1000), close_code=1000)
        self.addr_check("reinit", D, "init of the new connection (new addresses) applied")
        R.check("reinit", gw.wait_log(r"init: tunnel addresses 100\.64\.0\.99 .*1 relay\(s\) offered \(1 new", 5),
                "the new init's relay is known", gw.tail(3))
        # A flow with a relay known: flow_authorized with the ref unchanged,
        # then candidates for that client.
        conn = e.status()["conn"]
        s = e.seq()
        af1 = P.authorize_flow(client_id=X, resource=res)
        e.push("authorize_flow", af1)
        fa = e.wait("flow_authorized", 5, after=s)
        R.check(23, fa is not None and fa["json"]["topic"] == "gateway" and fa["json"]["payload"] == {"ref": af1["ref"]}
                and '"ref":%s' % json.dumps(af1["ref"]) in fa["raw"],
                "authorize_flow with a relay known: flow_authorized with payload {\"ref\": <the ref sent>}",
                "got %s" % (fa and fa["raw"]))
        if fa is not None:
            rep = e.wait("phx_reply", 5, dir="p2g", match={"json.ref": fa["json"]["ref"]})
            R.check(23, rep is not None and rep["json"]["payload"]["status"] == "ok",
                    "the emulator recognised the ref (ok reply)", "reply %s" % (rep and rep["raw"]))
        R.check(23, bool(gw.wait_log(r"client %s: flow authorized \(new connection\)" % X, 3)),
                "logged: flow authorized (new connection)", gw.tail(3))
        bc = e.wait("broadcast_ice_candidates", 5, after=s)
        cands = bc["json"]["payload"].get("candidates") if bc else None
        R.check(24, bc is not None and bc["json"]["payload"].get("client_ids") == [X] and isinstance(cands, list)
                and cands and all(isinstance(c, str) and c.startswith("candidate:") for c in cands)
                and cands == sorted(set(cands)),
                "broadcast_ice_candidates for [client.id] with sorted, unique candidate: strings (%d)"
                % len(cands or []), "got %s" % (bc and bc["raw"][:300]))
        # Every relay gone, then the same client again with the same ICE
        # credentials, key and PSK and another resource, before ICE gives up
        # (10 s): the connection is reused, no relay needed, no reconnect.
        e.push("relays_presence", P.relays_presence(disconnected_ids=[relay["id"]]))
        R.check(25, gw.wait_log(r"relays_presence: 1 relay\(s\) gone", 5), "relays_presence removes the relay",
                gw.tail(3))
        af2 = P.authorize_flow(client_id=X, resource=P.cidr_resource(address="10.2.0.0/16"),
                               preshared_key=af1["client"]["preshared_key"])
        e.push("authorize_flow", af2)
        fa2 = e.wait("flow_authorized", 5, after=s, match={"json.payload.ref": af2["ref"]})
        R.check(25, fa2 is not None and gw.wait_log(r"client %s: flow authorized \(existing connection\)" % X, 3),
                "second authorize_flow, same client and ICE credentials, no relay left: flow_authorized, "
                "existing connection", gw.tail(4))
        time.sleep(0.5)
        R.check(23, len(e.records("flow_authorized", after=s)) == 2, "exactly one flow_authorized per authorize_flow")
        same_connection(e, conn, s, "last relay removed by relays_presence, connection reused", 25)
        # A new client now needs a relay: reconnect at once (4.5), no answer.
        s = e.seq()
        self.reconnect(26, "authorize_flow for a new client after relays_presence removed the last relay",
                       lambda: e.push("authorize_flow", P.authorize_flow(client_id=Y, resource=res)),
                       window=(0, 0.25))
        R.check(26, not e.records("flow_authorized", after=s), "no flow_authorized for it")
        R.check(28, gw.wait_log(r"init: tunnel addresses 100\.64\.0\.99 .*1 relay\(s\) offered \(1 new", 5),
                "the init after that reconnect brings the relay back", gw.tail(3))
        conn = e.status()["conn"]
        s = e.seq()
        af3 = P.authorize_flow(client_id=Y, resource=res)
        e.push("authorize_flow", af3)
        R.check(28, e.wait("flow_authorized", 5, after=s, match={"json.payload.ref": af3["ref"]}) is not None,
                "then authorize_flow for that client succeeds (flow_authorized)", gw.tail(3))
        # Upsert (upstream #9999): the same key and PSK keep the WireGuard
        # peer; a new PSK or a new client key replaces it.
        af3b = P.authorize_flow(client_id=Y, resource=P.cidr_resource(address="10.3.0.0/16"),
                                preshared_key=af3["client"]["preshared_key"])
        e.push("authorize_flow", af3b)
        R.check("psk", e.wait("flow_authorized", 5, after=s, match={"json.payload.ref": af3b["ref"]}) is not None
                and gw.wait_log(r"client %s: flow authorized \(existing connection\)" % Y, 3)
                and not gw.grep(r"client %s: connection closed" % Y),
                "same key and PSK again: flow_authorized, existing connection, peer kept", gw.tail(4))
        removed = len(gw.grep(r"wg: peer \d+ removed", process="dataplane"))
        for what, kw, why in (("a new PSK", {}, "new preshared key"),
                              ("a new client public key", {"client_public_key": P.random_key()},
                               "new client public key")):
            af = P.authorize_flow(client_id=Y, resource=res, **kw)
            if "client_public_key" in kw:
                # Only the key changes (the emulator derives ICE credentials from it).
                for k in ("client_ice_credentials", "gateway_ice_credentials"):
                    af[k] = af3c[k]
                af["client"]["preshared_key"] = af3c["client"]["preshared_key"]
            else:
                af3c = af
            e.push("authorize_flow", af)
            fa = e.wait("flow_authorized", 5, after=s, match={"json.payload.ref": af["ref"]})
            R.check("psk", fa is not None and gw.wait_log(r"client %s: connection closed \(replaced: %s\)" % (Y, why), 3),
                    "%s: the connection is replaced (logged: replaced: %s) and answered" % (what, why), gw.tail(4))
            removed += 1
            R.check("psk", gw.wait_log(r"wg: peer \d+ removed", 3, process="dataplane")
                    and self._count_eventually(r"wg: peer \d+ removed", removed),
                    "%s: the dataplane removed the old WireGuard peer (PEER_REMOVE, then PEER_ADD)" % what,
                    gw.tail(4))
            # The new peer holds every resource of the client again (res and 10.3.0.0/16).
            added = gw.grep(r"wg: peer \d+ added", process="dataplane")
            pid = re.search(r"wg: peer (\d+) added", added[-1]["msg"]).group(1) if added else "none"
            R.check("psk", self._count_eventually(r"filter: peer %s: resource granted" % pid, 2),
                    "%s: the new peer %s got the client's resources again" % (what, pid), gw.tail(4))
        # Legacy request_connection: connection_ready with the ref and our
        # ICE credentials.
        rc = P.request_connection(client_id=Z, resource=res, ice_parameters=ICE_OFFER)
        e.push("request_connection", rc)
        cr = e.wait("connection_ready", 5, after=s)
        ice = ((cr or {}).get("json") or {}).get("payload", {}).get("gateway_payload", {}).get(
            "ConnectionAccepted", {}).get("ice_parameters", {})
        R.check(30, cr is not None and cr["json"]["payload"].get("ref") == rc["ref"]
                and isinstance(ice.get("username"), str) and ice["username"]
                and isinstance(ice.get("password"), str) and ice["password"],
                "request_connection: connection_ready with the ref and ConnectionAccepted.ice_parameters "
                "%s" % ice, "got %s" % (cr and cr["raw"][:300]))
        # Proxy IPs outside the proxy ranges, or more than 8 for a name, in
        # the legacy payloads: the whole request is refused (issue 19).
        dres = P.dns_resource(address="*.app.test")
        for what, ips in (("the LAN proxy IP 172.31.201.99", ["100.96.0.1", "172.31.201.99"]),
                          ("the proxy IP 2001:db8::1", ["2001:db8::1"]),
                          ("the client-range proxy IP 100.64.0.5", ["100.64.0.5"]),
                          ("9 proxy IPs", ["100.96.0.%d" % i for i in range(1, 10)])):
            pat = r"ignoring a malformed event: request_connection: client\.payload\.domain\.proxy_ips"
            n = len(gw.grep(pat))
            rq = P.request_connection(client_id=W, resource=dres, ice_parameters=ICE_OFFER,
                                      domain={"name": "x.app.test", "proxy_ips": ips})
            e.push("request_connection", rq)
            R.check("proxy", self._count_eventually(pat, n + 1),
                    "request_connection with %s: refused and logged" % what, gw.tail(2))
            time.sleep(0.3)
            R.check("proxy", not e.records("connection_ready", after=s, match={"json.payload.ref": rq["ref"]}),
                    "request_connection with %s: no connection_ready" % what)
            pat = r"ignoring a malformed event: allow_access: payload\.proxy_ips"
            n = len(gw.grep(pat))
            e.push("allow_access", P.allow_access(client_id=W, resource=dres,
                                                  payload={"name": "x.app.test", "proxy_ips": ips}))
            R.check("proxy", self._count_eventually(pat, n + 1)
                    and not gw.grep(r"client %s authorized" % W),
                    "allow_access with %s: refused, nothing granted" % what, gw.tail(2))
        warn = [o for o in gw.grep(r"proxy_ips") if "outside 100.96.0.0/11 and fd00:2021:1111:8000::/107" in o["msg"]]
        R.check("proxy", any("172.31.201.99" in o["msg"] for o in warn),
                "the log line names the proxy IP and the ranges", str([o["msg"] for o in warn[:1]]))
        # Addresses outside the tunnel ranges from the portal (issue 19): the
        # dataplane stops on them, so control refuses them first, with a
        # clear error, and the gateway stays up.
        V = "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"
        s = e.seq()
        afv = P.authorize_flow(client_id=V, resource=res, client_ipv4="192.168.1.5")
        e.push("authorize_flow", afv)
        R.check("addr", gw.wait_log(r"client: tunnel addresses 192\.168\.1\.5 and \S+ are not both inside", 5)
                and gw.wait_log(r"client %s: refused; no flow_authorized" % V, 3),
                "authorize_flow with client ipv4 192.168.1.5: refused and logged", gw.tail(3))
        time.sleep(0.3)
        R.check("addr", not e.records("flow_authorized", after=s, match={"json.payload.ref": afv["ref"]}),
                "no flow_authorized for it")
        e.push("init", P.init("100.115.164.78", "fd00:2021:1111::99", relays=[relay]))
        R.check("addr", gw.wait_log(r"init: tunnel address 100\.115\.164\.78 is not a host of 100\.64\.0\.0/11", 5),
                "init with ipv4 100.115.164.78: a clear error", gw.tail(3))
        e.push("init", P.init("100.64.0.99", "fd00:2021:1111::99", relays=[relay]))
        self.addr_check("addr", D, "a good init afterwards is applied")
        R.check("addr", gw.alive(), "both processes still run", gw.tail(5))
        # An error reply to flow_authorized is only logged.
        e.c("reply", event="flow_authorized", mode="error", reason="invalid_ref")
        af4 = P.authorize_flow(client_id=W, resource=res)
        e.push("authorize_flow", af4)
        fa4 = e.wait("flow_authorized", 5, after=s, match={"json.payload.ref": af4["ref"]})
        R.check(34, fa4 is not None and gw.wait_log(r"request %d failed: invalid_ref" % fa4["json"]["ref"], 5),
                "error reply invalid_ref to flow_authorized: logged", gw.tail(3))
        e.c("reply", event="flow_authorized", mode="check")
        time.sleep(0.5)
        same_connection(e, conn, s, "flows answered, an error reply", 34)

        # ---- every kind of connection loss: reconnect with backoff
        self.reconnect(19, "close 1012 from the portal", lambda: e.c("close", code=1012, reason="draining"),
                       close_code=1012)
        self.reconnect(19, "close frame without a code", lambda: e.c("close", code=None))
        self.reconnect("drop", "TCP connection dropped", lambda: e.c("drop"))
        self.reconnect(17, "phx_close", lambda: e.push("phx_close", {}))
        self.reconnect("incomplete", "incomplete JSON frame", lambda: e.c("send", text='{"event":"init","payload":{'))
        self.reconnect("oversize", "2 MB message", lambda: e.cmd({"cmd": "send", "big": 2000000}, allow_error=True),
                       close_code=1009)   # the emulator may still be writing when the gateway closes
        self.addr_check("reinit", D, "init applied after each reconnect")

        # ---- WebSocket framing errors (RFC 6455): fail with 1002/1007, reconnect
        def b64(b):
            return base64.b64encode(b).decode()
        conn = e.status()["conn"]
        s = e.seq()
        text = P.encode(P.frame("init", P.init("100.64.0.98", "fd00:2021:1111::98"))).encode()
        for f in (dict(opcode=1, b64=b64(text[:20]), fin=False), dict(opcode=9, b64=b64(b"mid")),
                  dict(opcode=0, b64=b64(text[20:]), fin=True)):
            e.c("frame", **f)
        pong = e.wait(kind="frame", opcode="pong", after=s, timeout=5)
        R.check("codec", pong is not None and base64.b64decode(pong["data_b64"]) == b"mid",
                "a ping between two fragments of a message is answered at once")
        self.addr_check("codec", {"100.64.0.98/32", "fd00:2021:1111::98/128"}, "and the fragmented init applied")
        same_connection(e, conn, s, "fragments with a ping in between", "codec")
        for what, frames, code in (
                ("masked frame from the portal", [dict(opcode=1, b64=b64(b"{}"), mask=True)], 1002),
                ("reserved bit set", [dict(opcode=1, b64=b64(b"{}"), rsv=4)], 1002),
                ("reserved opcode 3", [dict(opcode=3, b64=b64(b"x"))], 1002),
                ("continuation without a message", [dict(opcode=0, b64=b64(b"x"))], 1002),
                ("new message inside a fragmented one", [dict(opcode=1, b64=b64(b'{"a"'), fin=False),
                                                         dict(opcode=1, b64=b64(b"x"))], 1002),
                ("fragmented ping", [dict(opcode=9, b64=b64(b"x"), fin=False)], 1002),
                ("ping of 126 bytes", [dict(opcode=9, b64=b64(b"x" * 126))], 1002),
                ("text frame with invalid UTF-8", [dict(opcode=1, b64=b64(b'{"a":"\xff"}'))], 1007),
                ("close code 999", [dict(opcode=8, b64=b64((999).to_bytes(2, "big")))], 1002),
                ("close frame of one byte", [dict(opcode=8, b64=b64(b"\x03"))], 1002),
                ("close reason with invalid UTF-8", [dict(opcode=8, b64=b64(b"\x03\xe8\xff"))], 1007)):
            self.reconnect("codec", what, lambda: [e.c("frame", **f) for f in frames], close_code=code)

        # ---- the whole log of this process
        check_frames(e, "one process, %d connections" % e.status()["connections"])
        ups = e.upgrades()
        R.check(36, len(set(u["query_raw"] for u in ups)) == 1 and all(u["status"] == 101 for u in ups),
                "%d upgrades of one process: identical query (public_key, external_id), all 101" % len(ups))
        R.check("v1", len(e.records(kind="probe")) == 1, "the gateway stays on the 2024 path after the "
                "fallback (one v2 attempt in %d connections)" % len(ups))
        R.check(1, all(u["problems"] == [] for u in ups), "no conformance problem in any of the %d upgrades" % len(ups))
        bad = []
        with open(gw.log_path, "rb") as f:
            for line in f:
                try:
                    o = json.loads(line.decode("utf-8"))
                    if not isinstance(o, dict) or set(o) != {"ts", "level", "process", "pid", "msg"}:
                        bad.append(line[:120])
                except ValueError:
                    bad.append(line[:120])
        R.check("garbage", not bad, "every gateway log line is a JSON object in valid UTF-8, whatever the "
                "portal sent (binary, invalid UTF-8, 2 MB)", "bad lines %s" % bad[:2])
        R.check("lifecycle", gw.alive(), "gateway still running after everything")
        rc = gw.stop()
        R.check("lifecycle", rc == 0, "SIGTERM: exit status 0", "status %s" % rc)

    def _count_eventually(self, pattern, n, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.gw.grep(pattern)) >= n:
                return True
            time.sleep(0.05)
        return False


class Heartbeat(Scenario):
    """Heartbeat timing, once in the suite (ws): 10 s after the handshake,
    then every 10 s; answered heartbeats keep the connection."""
    transports = ("ws",)
    tag = "hb"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal")

    def run(self):
        e = self.e
        gw = Gw(self.ns, ["-u", self.url(e), "-i", FZ_ID, "-n", "hb"], env=self.env(FIREZONE_TOKEN="hb-token"))
        op = e.wait(kind="open", timeout=15)
        need(10, op is not None, "connected", gw.tail())
        hb1 = e.wait("heartbeat", 20, conn=1)
        need(10, hb1 is not None, "a heartbeat arrives", gw.tail())
        d = hb1["t"] - op["t"]
        R.check(10, 9 <= d <= 11, "first heartbeat %.3f s after the handshake (10 +- 1 s)" % d)
        j = hb1["json"]
        R.check(10, j["topic"] == "phoenix" and j["payload"] == {} and isinstance(j["ref"], int),
                "heartbeat on topic phoenix, payload {}, integer ref", hb1["raw"])
        rep = e.wait("phx_reply", 5, dir="p2g", match={"json.ref": j["ref"], "json.topic": "phoenix"})
        R.check(11, rep is not None, "the emulator answered it (ok {})")
        for _ in range(3):   # past the portal's 37 s idle timeout
            hb2 = e.wait("heartbeat", 15, conn=1)
            need(10, hb2 is not None, "a further heartbeat arrives", gw.tail())
            d = hb2["t"] - hb1["t"]
            R.check(10, 9 <= d <= 11, "next heartbeat %.3f s after the previous (10 +- 1 s)" % d)
            R.check(10, hb2["json"]["ref"] > hb1["json"]["ref"], "its ref is new")
            hb1 = hb2
        time.sleep(1)
        up = e.upgrades()
        cl = e.records(kind="close")
        R.check(11, len(up) == 1 and not cl and e.status()["conn"] == 1 and hb2["t"] - op["t"] > 37,
                "connection 1 up for %.0f s with answered heartbeats, past the portal's 37 s idle "
                "timeout, no reconnect" % (time.time() - op["t"]), "upgrades %d closes %s" % (len(up), cl))
        check_frames(e, "heartbeat run")
        gw.stop()


class HeartbeatTimeout(Scenario):
    """Heartbeats get no answer: the connection is dropped when the 4th
    unanswered one goes out (about 40 s), then a reconnect with backoff."""
    tag = "hbto"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal")
        self.e.c("heartbeat", mode="ignore", count=4)

    def run(self):
        e = self.e
        gw = Gw(self.ns, ["-u", self.url(e), "-i", FZ_ID, "-n", "hbto"], env=self.env(FIREZONE_TOKEN="hbto-token"))
        op = e.wait(kind="open", timeout=15)
        hbs = [e.wait("heartbeat", 15, conn=1) for _ in range(4)]
        need(12, op is not None and None not in hbs, "4 heartbeats arrive", gw.tail())
        cl = e.wait(kind="close", match={"conn": 1}, timeout=10)
        up = e.wait(kind="upgrade", match={"conn": 2}, timeout=10)
        need(12, cl is not None and up is not None, "the gateway reconnects", gw.tail())
        d = hbs[3]["t"] - op["t"]
        R.check(12, 39 <= d <= 41.5, "the 4th unanswered heartbeat %.3f s after the handshake (40 s)" % d)
        R.check(12, 0 <= cl["t"] - hbs[3]["t"] <= 1, "connection closed %.3f s after the 4th went out"
                % (cl["t"] - hbs[3]["t"]))
        R.check(12, cl["seq"] > hbs[3]["seq"], "3 unanswered heartbeats are tolerated")
        gap_check(12, "new upgrade after the 4th heartbeat", up["t"] - hbs[3]["t"], *backoff_window(1))
        R.check(12, gw.grep(r"did not answer 4 heartbeats; retrying in"), "logged: 4 heartbeats unanswered, "
                "retrying", gw.tail(4))
        check_join_first(e, 2, 12, "after the heartbeat timeout", first=True)
        check_frames(e, "heartbeat timeout run")
        gw.stop()


class HeartbeatJoinIgnored(Scenario):
    """The join is never answered: the gateway sends nothing but
    heartbeats, and reconnects 5 s after the upgrade (issue 15, item 13)."""
    tag = "hbjoin"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal")
        self.e.c("join", mode="ignore", count=1)

    def run(self):
        e = self.e
        gw = Gw(self.ns, ["-u", self.url(e), "-i", FZ_ID, "-n", "hbjoin"], env=self.env(FIREZONE_TOKEN="hbj-token"))
        op = e.wait(kind="open", timeout=15)
        j = e.wait("phx_join", 15, conn=1)
        need(9, op is not None and j is not None, "connected and joining", gw.tail())
        cl = e.wait(kind="close", match={"conn": 1}, timeout=10)
        up = e.wait(kind="upgrade", match={"conn": 2}, timeout=10)
        need(9, cl is not None and up is not None, "the gateway reconnects", gw.tail())
        d = cl["t"] - op["t"]
        R.check(9, 4.9 <= d <= 5 + SLACK + 0.3, "join unanswered: connection closed %.3f s after the upgrade "
                "(5 s)" % d)
        R.check(9, gw.grep(r"did not answer the join within 5 s; retrying in"), "logged: no join reply",
                gw.tail(4))
        R.check(9, [r.get("event") for r in data_frames(e, 1)] == ["phx_join"],
                "nothing but the join on the unanswered connection")
        check_join_first(e, 2, 9, "after the join timeout", first=True)
        R.check(9, e.wait("phx_reply", 5, dir="p2g", conn=2, match={"json.topic": "gateway"}) is not None,
                "the second join is answered")
        check_frames(e, "join-ignored run")
        gw.stop()


class Fatal(Scenario):
    """Fatal conditions, one gateway process after the other: exit 1, one
    error line naming the cause, no retry."""
    tag = "fatal"
    TOK = "fatal-token"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal", "--token", self.TOK, "--gateway-id", FZ_ID, "--name", "fatal")

    def one(self, key, what, pattern, prep=None, path="", token=TOK, after_join=None, upgrades=1, url=None,
            status=(1,)):
        e = self.e
        e.c("set", reset_refs=True)
        if prep:
            prep()
        s = e.seq()
        env = self.env(FIREZONE_ID=FZ_ID, FIREZONE_NAME="fatal", FIREZONE_API_URL=url or self.url(e, path=path))
        if token is not None:
            env["FIREZONE_TOKEN"] = token
        t0 = time.time()
        gw = Gw(self.ns, ["--health-check-addr", "127.0.0.1:18081"], env=env)
        if after_join:
            if not R.check(key, e.wait("phx_join", 15, after=s) is not None, "%s: joined first" % what, gw.tail()):
                gw.stop(signal.SIGKILL)
                return
            after_join()
        rc = gw.wait_exit(15)
        if rc is None:
            gw.stop(signal.SIGKILL)
        R.check(key, rc in status, "%s: exit status %s after %.1f s" % (what, rc, time.time() - t0),
                "status %s; %s" % (rc, gw.tail(5)))
        if key == 13:
            R.check(key, time.time() - t0 < 3, "%s: exit within 2 s" % what)
        ups = e.upgrades(after=s)
        R.check(key, len(ups) == upgrades and not retry_delays(gw),
                "%s: %d upgrade attempt%s, no retry" % (what, upgrades, "" if upgrades == 1 else "s"),
                "%d upgrades; %s" % (len(ups), gw.tail(4)))
        errs = [o for o in gw.lines() if o.get("level") == "error" and o.get("process") == "control"]
        if not errs:   # refused before logging starts: a plain line on stderr
            errs = [o for o in gw.lines() if o.get("level") in ("?", "error")]
        R.check("fatal-line", len(errs) == 1 and re.search(pattern, errs[0]["msg"]) and "\n" not in errs[0]["msg"],
                "%s: one error line: %r" % (what, errs[0]["msg"] if errs else None),
                "error lines %s" % [o["msg"] for o in errs])
        e.c("reject", status=None)
        e.c("join", mode="ok")

    def retried(self, st, path=""):
        """Anything but 401 is retried: the gateway keeps trying."""
        e = self.e
        if not path:
            e.c("reject", status=st)
        s = e.seq()
        env = self.env(FIREZONE_ID=FZ_ID, FIREZONE_NAME="fatal", FIREZONE_TOKEN=self.TOK,
                       FIREZONE_API_URL=self.url(e, path=path))
        gw = Gw(self.ns, ["--health-check-addr", "127.0.0.1:18081"], env=env)
        ds = wait_retries(gw, 3, 8)
        what = "HTTP %d%s" % (st, " (wrong path %s)" % path if path else "")
        R.check(13, gw.alive() and len(ds) >= 3 and all("HTTP %d" % st in m for _, _, m in ds[-2:]),
                "%s: retried (%d retries logged), still running" % (what, len(ds)), gw.tail(3))
        R.check(13, len(e.upgrades(after=s)) >= 3, "%s: several upgrade attempts" % what)
        R.check(13, gw.stop() == 0, "%s: SIGTERM still stops it with status 0" % what)
        e.c("reject", status=None)

    def run(self):
        e = self.e
        self.one(13, "wrong token, 401 Invalid token", r"portal rejected the token \(HTTP 401 Unauthorized\)",
                 token="not-the-token")
        for st in (403, 404, 422, 429):
            self.retried(st)
        self.retried(404, path="/nope/")
        self.one(15, "join error unmatched topic", r"refused to join .*unmatched topic",
                 prep=lambda: e.c("join", mode="error", reason="unmatched topic", count=1))
        self.one(15, "join error join crashed", r"refused to join .*join crashed",
                 prep=lambda: e.c("join", mode="error", reason="join crashed", count=1))
        self.one(16, "disconnect token_expired", r"token expired",
                 after_join=lambda: e.push("disconnect", {"reason": "token_expired"}))
        time.sleep(1)
        # Spec 1.1: a bad URL is a startup error, exit 1.
        self.one(4, "API URL with scheme ftp", r"invalid API URL: only http\(s\):// and ws\(s\)://",
                 url="ftp://127.0.0.1:%d" % e.port, upgrades=0, status=(1,))
        self.one(4, "API URL without a host", r"invalid API URL: .* with a host", url="wss:///p",
                 upgrades=0, status=(1,))
        self.one(39, "no token (exit 1 as the man page says; the reference exits 2)", r"no token", token=None,
                 upgrades=0)


class TransientHTTP(Scenario):
    """500, 502, 503, 302 and a dropped request: retries with the backoff
    of spec 4.2, then a join; the backoff starts again after a success."""
    tag = "t5xx"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal", "--reject", "500:1")

    def run(self):
        e = self.e
        gw = Gw(self.ns, ["-u", self.url(e), "-i", FZ_ID, "-n", "t5xx"], env=self.env(FIREZONE_TOKEN="t5xx-token"))
        for conn, st in ((1, 502), (2, 503), (3, 302), (4, 200), (5, "drop")):
            up = e.wait(kind="upgrade", match={"conn": conn}, timeout=15)
            need(14, up is not None, "attempt %d" % conn, gw.tail())
            e.c("reject", status=st, count=1)
        j = e.wait("phx_join", 25, conn=7)
        need(14, j is not None, "joins on the 7th attempt", gw.tail())
        ups = e.upgrades()
        st = [u["status"] for u in ups]
        R.check(14, st == [500, 502, 503, 302, 200, "drop", 101], "answers %s, the gateway kept going" % st)
        for i in range(1, 7):
            lo, hi = backoff_window(i)
            gap_check(14, "attempt %d (after %s)" % (i + 1, st[i - 1]), ups[i]["t"] - ups[i - 1]["t"], lo, hi)
        ds = retry_delays(gw)
        R.check(14, len(ds) == 6 and all(backoff_window(i + 1)[0] <= d <= backoff_window(i + 1)[1]
                                         for i, (_, d, _) in enumerate(ds)),
                "logged delays %s within [0.25,0.75], [0.375,1.125], [0.56,1.69], [0.84,2.53], [1.27,3.80], "
                "[1.90,5.70]" % fmt_delays(ds))
        R.check(14, any("HTTP 500" in m for _, _, m in ds) and any("HTTP 302" in m for _, _, m in ds),
                "the log names each answer (HTTP 500 ... HTTP 302)", fmt_delays(ds))
        R.check(14, not e.records(kind="upgrade", match={"status": 301}) and gw.alive(),
                "3xx not followed, gateway alive")
        # After a success the backoff starts from the beginning again.
        s = e.seq()
        e.c("drop")
        up = e.wait(kind="upgrade", match={"conn": 8}, timeout=10)
        need("drop", up is not None, "reconnects after a drop", gw.tail())
        gap_check("drop", "after a success the backoff restarts: drop then new upgrade",
                  up["t"] - e.control_record(s)["t"], *backoff_window(1))
        check_frames(e, "transient run")
        gw.stop()


class Hang(Scenario):
    """The portal reads the upgrade and never answers: the attempt is
    abandoned 15 s after it started (issue 15, item 11)."""
    tag = "hang"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal", "--reject", "hang:1")

    def run(self):
        e = self.e
        gw = Gw(self.ns, ["-u", self.url(e), "-i", FZ_ID, "-n", "hang"], env=self.env(FIREZONE_TOKEN="hang-token"))
        up1 = e.wait(kind="upgrade", match={"conn": 1}, timeout=15)
        up2 = e.wait(kind="upgrade", match={"conn": 2}, timeout=20)
        need("timeout", up1 is not None and up2 is not None, "a second attempt follows the hanging one", gw.tail())
        lo, hi = backoff_window(1)
        gap_check("timeout", "second attempt after the hanging upgrade (15 s timeout + backoff)",
                  up2["t"] - up1["t"], 15.0 + lo - 0.1, 15.0 + hi)
        R.check("timeout", gw.grep(r"no WebSocket to the portal within 15 s \(upgrading\); retrying in"),
                "logged: no WebSocket within 15 s", gw.tail(4))
        R.check(14, e.wait("phx_join", 10, conn=2) is not None, "hang: then joins", gw.tail())
        gw.stop()


class Refused(Scenario):
    """Nothing listens yet: connection refused, retried with backoff;
    /healthz answers on the default address meanwhile."""
    tag = "refused"
    PORT = 47123

    def setup(self):
        self.ns = self.netns()

    def run(self):
        ns = self.ns
        host = "portal.test" if self.tls else "127.0.0.1"
        url = "%s://%s:%d" % ("wss" if self.tls else "ws", host, self.PORT)
        gw = Gw(ns, [], env=self.env(FIREZONE_API_URL=url, FIREZONE_TOKEN="refused-token", FIREZONE_ID=FZ_ID,
                                     FIREZONE_NAME="refused"))
        ds = wait_retries(gw, 3, 6)
        R.check(14, len(ds) >= 3 and all("Connection refused" in m for _, _, m in ds),
                "connection refused: retried %d times, each logged as refused" % len(ds), gw.tail(4))
        R.check(14, all(backoff_window(i + 1)[0] <= d <= backoff_window(i + 1)[1] for i, (_, d, _) in enumerate(ds)),
                "refused: delays %s follow spec 4.2" % fmt_delays(ds))
        att = [ts(o) for o in gw.grep(r"attempt \d+: resolving")]
        gaps = [b - a for a, b in zip(att, att[1:])]
        R.check(14, len(gaps) >= len(ds) - 1 and all(abs(g - d) < 0.25 for g, (_, d, _) in zip(gaps, ds)),
                "refused: attempts really %s s apart" % ", ".join("%.3f" % g for g in gaps))
        hz = in_ns_http(ns, "http://127.0.0.1:8080/healthz")
        R.check(38, hz == "200 0", "/healthz on the default 0.0.0.0:8080: 200, empty body, portal unreachable",
                "got %r" % hz)
        e = self.emu(ns, "portal", port=self.PORT)
        R.check(14, e.wait("phx_join", 15) is not None, "joins once the portal listens", gw.tail())
        gw.stop()


class Ident(Scenario):
    """Gateway ID from the state directory, persisted across restarts;
    FIREZONE_ID overrides it; a new key per process."""
    transports = ("ws",)
    tag = "id"

    def setup(self):
        import pwd
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal")
        self.state = os.path.join(TMP, "state-id")
        os.makedirs(self.state)
        pw = pwd.getpwnam("firezone-control")
        os.chown(self.state, pw.pw_uid, pw.pw_gid)
        os.chmod(self.state, 0o700)

    def start(self, **env):
        e = self.e
        e.c("set", reset_refs=True)
        s = e.seq()
        gw = Gw(self.ns, ["--state-dir", self.state, "--health-check-addr", "127.0.0.1:18082"],
                env=self.env(FIREZONE_API_URL=self.url(e), FIREZONE_TOKEN="id-token", **env))
        j = e.wait("phx_join", 15, after=s)
        need(37, j is not None, "gateway joined", gw.tail())
        R.check(7, j["json"]["ref"] == 0 and j["json"]["payload"] is None and data_frames(e, after=s)[0]["seq"] == j["seq"],
                "a new process joins first with ref 0 and payload null", j["raw"])
        up = e.upgrades(after=s)[0]
        R.check(37, up["status"] == 101 and up["problems"] == [], "upgrade without problems", up["problems"])
        name = dict(up["query"]).get("name")
        R.check(1, name == socket.gethostname(), "no FIREZONE_NAME: name is the host name %r" % name)
        rc = gw.stop()
        R.check(37, rc == 0, "stopped with SIGTERM: status 0", "status %s" % rc)
        return up

    def run(self):
        path = os.path.join(self.state, "gateway_id")
        up1 = self.start()
        content = open(path, "rb").read() if os.path.exists(path) else b""
        m = re.fullmatch(rb'\{"id":"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"\}', content)
        R.check(37, m, "no FIREZONE_ID: %s/gateway_id holds upstream's JSON {\"id\":\"<UUIDv4>\"}: %r"
                % (self.state, content))
        R.check(37, m and up1["external_id"] == hashlib.sha256(m.group(1)).hexdigest(),
                "external_id is the SHA-256 of the ID (a UUID)")
        up2 = self.start()
        R.check(37, up2["external_id"] == up1["external_id"] and open(path, "rb").read() == content,
                "second start reuses the file (same external_id, file unchanged)")
        R.check(36, up2["public_key"] != up1["public_key"] and up2["external_id"] == up1["external_id"],
                "restart: a new public_key, the same external_id")
        up2b = self.start(FIREZONE_ID="")
        R.check(37, up2b["external_id"] == up1["external_id"], "an empty FIREZONE_ID counts as not set (file used)")
        up3 = self.start(FIREZONE_ID="override-id")
        R.check("id-override", up3["external_id"] == sha256hex("override-id") and open(path, "rb").read() == content,
                "FIREZONE_ID overrides the file (external_id = sha256('override-id'), file untouched)")
        with open(path, "w") as f:
            f.write("  my-gateway-id\n")
        up4 = self.start()
        R.check(37, up4["external_id"] == sha256hex("my-gateway-id"),
                "white space around the ID in the file is ignored (as the man page says)")
        # Issue 15 (docs/portal-today.md): both ID file formats; an existing ID is kept.
        with open(path, "w") as f:
            f.write('{"id":"9a5c2d74-1b2f-4a8e-8f3c-2f6f2b7a0c11"}\n')
        up5 = self.start()
        R.check("id-json", up5["external_id"] == sha256hex("9a5c2d74-1b2f-4a8e-8f3c-2f6f2b7a0c11")
                and open(path).read() == '{"id":"9a5c2d74-1b2f-4a8e-8f3c-2f6f2b7a0c11"}\n',
                "upstream's JSON file {\"id\":...}: its id is the ID, file untouched")
        with open(path, "w") as f:
            f.write("5f0c7a1e-3d2b-4c8a-9e6f-1a2b3c4d5e6f")
        up6 = self.start()
        R.check("id-json", up6["external_id"] == sha256hex("5f0c7a1e-3d2b-4c8a-9e6f-1a2b3c4d5e6f")
                and open(path).read() == "5f0c7a1e-3d2b-4c8a-9e6f-1a2b3c4d5e6f",
                "the old plain-UUID file keeps its identity (not replaced by a new ID)")


class TlsRefused(Scenario):
    """Certificates the gateway must refuse: transient, retried, never joined."""
    transports = ("wss",)
    tag = "tlsbad"
    hosts = Scenario.hosts + "127.0.0.1 1.2.3\n"

    def setup(self):
        self.ns = self.netns()
        self.emus = [(c, self.emu(self.ns, c, cert=c)) for c in ("wronghost", "untrusted", "expired", "server")]

    def run(self):
        why = {"wronghost": "hostname mismatch", "untrusted": "self-signed certificate",
               "expired": "certificate has expired"}
        cases = [(c, e, "portal.test", why[c]) for c, e in self.emus if c in why]
        # An IP literal is checked against the IP SANs: wronghost.pem has none.
        cases.append(("wronghost (by IP)", self.emus[0][1], "127.0.0.1", "IP address mismatch"))
        # A host of digits and dots that is no IPv4 address (1.2.3, a name in
        # the hosts file): OpenSSL cannot take it as the expected address,
        # and without an expected identity any trusted certificate would
        # pass; the gateway must not connect (issue 19).
        cases.append(("valid (host 1.2.3)", self.emus[-1][1], "1.2.3", None))
        for cert, e, host, reason in cases:
            gw = Gw(self.ns, ["-u", self.url(e, host=host), "-i", FZ_ID, "-n", "tls"],
                    env=self.env(FIREZONE_TOKEN="tls-token"))
            ds = wait_retries(gw, 3, 6)
            if reason is None:
                R.check("tls", gw.alive() and len(ds) >= 3 and all("cannot set the expected identity 1.2.3" in m
                                                                  for _, _, m in ds),
                        "%s: refused before the handshake (cannot set the expected identity), retried %d times, "
                        "still running" % (cert, len(ds)), gw.tail(3))
            else:
                R.check("tls", gw.alive() and len(ds) >= 3 and all("certificate verify failed (%s)" % reason in m
                                                                  for _, _, m in ds),
                        "%s certificate: refused (certificate verify failed (%s)), retried %d times, still running"
                        % (cert, reason, len(ds)), gw.tail(3))
            R.check("tls", all(backoff_window(i + 1)[0] <= d <= backoff_window(i + 1)[1] for i, (_, d, _) in enumerate(ds)),
                    "%s certificate: retry delays %s follow spec 4.2" % (cert, fmt_delays(ds)))
            R.check("tls", not e.upgrades() and not gw.grep(r"joined"),
                    "%s certificate: no HTTP request sent, never joined" % cert)
            R.check("tls", gw.stop() == 0, "%s certificate: stops cleanly on SIGTERM" % cert)


class Prefix(Scenario):
    """http(s) URL with an IPv6 literal, a path prefix and a query of its
    own; options on the command line and the token as the argument."""
    tag = "prefix"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal", "--path-prefix", "/p", "--token", TOKEN, "--gateway-id", FZ_ID,
                          "--name", "prefix-gw", host="::1")

    def run(self):
        e = self.e
        url = self.url(e, scheme="https" if self.tls else "http", host="[::1]", path="/p/?foo=bar&token=other")
        gw = Gw(self.ns, ["-u", url, "-i", FZ_ID, "-n", "prefix-gw", TOKEN], env=self.env())
        j = e.wait("phx_join", 15)
        need(4, j is not None, "joined through %s" % url, gw.tail())
        up = e.upgrades()[0]
        R.check(4, up["path"] == "/p/gateway/websocket" and up["status"] == 101,
                "%s: request path %s, 101" % (url, up["path"]))
        host = [v for k, v in up["headers"] if k.lower() == "host"]
        R.check(5, len(host) == 1 and host[0].startswith("[::1]"), "IPv6 literal in brackets in Host: %s" % host)
        if self.tls:
            R.check("tls", True, "wss://[::1]: certificate accepted for the IP address ::1 (IP SAN)")
        check_upgrade(up, TOKEN, FZ_ID, "prefix-gw", "-u %s, -i, -n, token argument; own query dropped" % url.split(":")[0])
        gw.stop()


class Today(Scenario):
    """Today's portal (emulator --mode today), issue 15 section 6 items 1-3,
    5-7, 9, 12, 17, 20, 52-54: one gateway process after the other."""
    tag = "today"
    TOK = "today-token"
    HEX_ID = "4e3b7c4f9d0a41f8a7e6b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal", "--mode", "today", "--token", self.TOK, "--gateway-id", FZ_ID,
                          "--name", "today")
        self.cred = os.path.join(TMP, "cred-today")
        os.makedirs(self.cred)
        with open(os.path.join(self.cred, "FIREZONE_TOKEN"), "w") as f:
            f.write(self.TOK + "\n")

    def gw(self, **env):
        e = dict(FIREZONE_API_URL=self.url(self.e), FIREZONE_NAME="today")
        e.update(env)
        return Gw(self.ns, ["--health-check-addr", "127.0.0.1:18083"], env=self.env(**e),
                  log_flag="FIREZONE_LOG_FORMAT" not in env)

    def check_v2(self, up, ext, what):
        names = [k for k, _ in up["query"]]
        R.check("t1", up["path"] == "/gateway/v2/websocket" and names == ["external_id", "name", "public_key"]
                and "token" not in (up["query_raw"] or ""),
                "%s: path /gateway/v2/websocket, query external_id, name, public_key, no token" % what,
                "path %s query %s" % (up["path"], names))
        R.check("t1", up["status"] == 101 and up["problems"] == [], "%s: 101, no conformance problem" % what,
                "status %s problems %s" % (up["status"], up["problems"]))
        R.check("t2", up.get("x_authorization") == "Bearer " + self.TOK,
                "%s: X-Authorization: Bearer <token without whitespace>" % what,
                "got %r" % up.get("x_authorization"))
        R.check("t2", "gateway/1.6.0" in (up.get("user_agent") or "").split(" "),
                "%s: User-Agent has the token gateway/1.6.0" % what, up.get("user_agent"))
        R.check("t3", up["external_id"] == ext, "%s: external_id %s" % (what, ext[:16] + "..."),
                "got %s" % up["external_id"])

    def after_join_status(self, gw, st, what):
        """Drop the joined connection; the next upgrade gets st; the gateway
        must retry and join again (item 6)."""
        e = self.e
        e.c("reject", status=st, count=1)
        s = e.seq()
        e.c("drop")
        j = e.wait("phx_join", 15, after=s)
        ups = e.upgrades(after=s)
        R.check("t6", j is not None and gw.alive() and [u["status"] for u in ups][:1] == [st],
                "%s after a join: retried, joined again, no exit" % what,
                "upgrades %s; %s" % ([u["status"] for u in ups], gw.tail(3)))
        return ups

    def run(self):
        e = self.e
        # ---- 1: UUID ID, token with whitespace, FIREZONE_LOG_FORMAT=json
        s = e.seq()
        gw = self.gw(FIREZONE_ID=FZ_ID, FIREZONE_TOKEN=" today-\ttoken \n", FIREZONE_LOG_FORMAT="json")
        j = e.wait("phx_join", 15, after=s)
        need("t1", j is not None, "joined today's portal", gw.tail())
        up = e.upgrades(after=s)[0]
        self.check_v2(up, sha256hex(FZ_ID), "FIREZONE_ID a UUID")
        R.check("t12", j["json"]["ref"] == 0 and j["json"]["payload"] is None and
                data_frames(e, up["conn"])[0]["seq"] == j["seq"], "first frame phx_join, payload null, ref 0")
        lines = open(gw.log_path, "rb").read().splitlines()
        bad = [ln[:80] for ln in lines if not ln.startswith(b"{")]
        R.check("t53", lines and not bad, "FIREZONE_LOG_FORMAT=json: every one of %d log lines is a JSON object"
                % len(lines), "e.g. %s" % bad[:2])
        # ---- item 17: "unmatched topic" to a request: a new join, same connection
        conn = up["conn"]
        s = e.seq()
        e.c("unjoin")
        e.c("send", json={"event": "phx_reply", "payload": {"status": "error",
                          "response": {"reason": "unmatched topic"}}, "ref": 77, "topic": "gateway"})
        j2 = e.wait("phx_join", 5, after=s, conn=conn)
        R.check("t17", j2 is not None and e.status()["conn"] == conn,
                "error reply unmatched topic: a new phx_join on the same connection", gw.tail(3))
        # ---- item 6: after a join, 409, 400, 403, 500 are retried
        for st in (409, 400, 403, 500):
            self.after_join_status(gw, st, "HTTP %d" % st)
        # ---- item 7: 503 with Retry-After: 1
        ups = self.after_join_status(gw, 503, "HTTP 503 Retry-After 1")
        if len(ups) >= 2:
            gap = ups[1]["t"] - ups[0]["t"]
            R.check("t7", 0.8 <= gap <= 1.2 + SLACK, "503 Retry-After 1: next attempt %.3f s later (1 +- 0.2 s)" % gap)
            R.check("t7", gw.grep(r"HTTP 503 .*\(Retry-After 1 s\); retrying in 1\.000 s"),
                    "logged: Retry-After honoured", gw.tail(3))
        # ---- item 6 / 54: 404 on v2 after a join: fallback to the 2024 path for good
        ups = self.after_join_status(gw, 404, "HTTP 404")
        if len(ups) >= 2:
            v1 = ups[1]
            vals = dict(v1["query"])
            R.check("t54", v1["path"] == "/gateway/websocket" and [k for k, _ in v1["query"]][0] == "token"
                    and vals.get("token") == " today-\ttoken \n".replace("\n", "\n")
                    and v1.get("x_authorization") == "Bearer " + self.TOK
                    and "connlib/1.6.0" in (v1.get("user_agent") or "").split(" "),
                    "404 on v2: the next attempt is /gateway/websocket with token in query and header, "
                    "connlib/1.6.0", "path %s query %s ua %s" % (v1["path"], vals.keys(), v1.get("user_agent")))
            R.check("t54", v1["t"] - ups[0]["t"] < 0.3, "no backoff before the fallback (%.3f s)"
                    % (v1["t"] - ups[0]["t"]))
        # ---- item 20: SIGTERM: close frame 1000, exit 0 within 2 s
        conn = e.status()["conn"]
        t0 = time.time()
        rc = gw.stop()
        dt = time.time() - t0
        closes = [r for r in e.records(kind="frame", dir="g2p", conn=conn) if r.get("opcode") == "close"]
        R.check("t20", rc == 0 and dt < 2.5, "SIGTERM: exit 0 after %.2f s" % dt, "status %s" % rc)
        R.check("t20", any(r.get("code") == 1000 for r in closes), "SIGTERM: close frame 1000 to the portal",
                "close frames %s" % [(r.get("code"), r.get("reason")) for r in closes])

        # ---- 2: a 64-hex ID, the token from the systemd credential FIREZONE_TOKEN
        e.c("set", gateway_id=self.HEX_ID)
        s = e.seq()
        gw = self.gw(FIREZONE_ID=self.HEX_ID, CREDENTIALS_DIRECTORY=self.cred)
        j = e.wait("phx_join", 15, after=s)
        need("t52", j is not None, "joined with the credential", gw.tail())
        up = e.upgrades(after=s)[0]
        self.check_v2(up, self.HEX_ID, "FIREZONE_ID 64 hex digits, credential FIREZONE_TOKEN")
        R.check("t52", up.get("x_authorization") == "Bearer " + self.TOK,
                "CREDENTIALS_DIRECTORY/FIREZONE_TOKEN holding 'tok\\n': Bearer tok")
        gw.stop()
        e.c("set", gateway_id=FZ_ID)

        # ---- 3: 401: exit 1 within 2 s, no retry
        s = e.seq()
        t0 = time.time()
        gw = self.gw(FIREZONE_ID=FZ_ID, FIREZONE_TOKEN="wrong")
        rc = gw.wait_exit(10)
        dt = time.time() - t0
        if rc is None:
            gw.stop(signal.SIGKILL)
        R.check("t5", rc == 1 and len(e.upgrades(after=s)) == 1 and not retry_delays(gw),
                "401 from today's portal: exit 1 after %.1f s, one attempt" % dt,
                "status %s, %d upgrades" % (rc, len(e.upgrades(after=s))))

        # ---- 4: FIREZONE_MAX_PARTITION_TIME: give up once the delays pass it
        s = e.seq()
        gw = self.gw(FIREZONE_ID=FZ_ID, FIREZONE_TOKEN=self.TOK, FIREZONE_MAX_PARTITION_TIME="6s")
        need("t9", e.wait("phx_join", 15, after=s) is not None, "joined", gw.tail())
        e.c("reject", status=500)
        t0 = time.time()
        e.c("drop")
        rc = gw.wait_exit(20)
        dt = time.time() - t0
        if rc is None:
            gw.stop(signal.SIGKILL)
        ds = retry_delays(gw)
        R.check("t9", rc == 1 and gw.grep(r"longer than the maximum partition time \(6 s"),
                "FIREZONE_MAX_PARTITION_TIME=6s: exit 1 after %.1f s of failures (%d retries)" % (dt, len(ds)),
                "status %s; %s" % (rc, gw.tail(3)))
        R.check("t9", sum(d for _, d, _ in ds) <= 6.0 and dt >= 3, "the summed delays %.2f s stay within 6 s"
                % sum(d for _, d, _ in ds))
        e.c("reject", status=None)


class TcpHang(Scenario):
    """Item 11: a TCP connect that is never answered is abandoned after 5 s
    (the portal's address sits behind a veth pair with a static neighbour
    entry of a MAC nobody has: the SYN is silently dropped)."""
    transports = ("ws",)
    tag = "tcphang"

    def setup(self):
        self.ns = self.netns()
        for cmd in (["ip", "link", "add", "blk0", "type", "veth", "peer", "name", "blk1"],
                    ["ip", "addr", "add", "192.0.2.1/24", "dev", "blk0"],
                    ["ip", "link", "set", "blk1", "up"],
                    ["ip", "link", "set", "blk0", "up"],
                    ["ip", "neigh", "add", "192.0.2.99", "lladdr", "02:00:00:00:00:99", "dev", "blk0",
                     "nud", "permanent"]):
            run(["ip", "netns", "exec", self.ns.name] + cmd)

    def run(self):
        gw = Gw(self.ns, ["-u", "ws://192.0.2.99:443", "-i", FZ_ID, "-n", "tcphang"],
                env=self.env(FIREZONE_TOKEN="tcphang-token"))
        deadline = time.time() + 20
        while len(gw.grep(r"attempt \d+: resolving")) < 3 and time.time() < deadline:
            time.sleep(0.2)
        att = [ts(o) for o in gw.grep(r"attempt \d+: resolving")]
        to = gw.grep(r"no connection to the portal within 5 s \(connecting\); retrying in")
        R.check("t11", len(att) >= 2 and len(to) >= 1, "TCP connect never answered: abandoned, "
                "logged 'no connection to the portal within 5 s (connecting)'", gw.tail(4))
        if len(att) >= 2:
            lo, hi = backoff_window(1)
            gap_check("t11", "second attempt after the hanging TCP connect (5 s + backoff)",
                      att[1] - att[0], 5.0 + lo, 5.0 + hi)
        R.check("t11", gw.alive(), "still running")
        gw.stop()


class TodayHeartbeat(HeartbeatTimeout):
    """Item 15 and 16 against today's portal."""
    transports = ("ws",)
    tag = "thb"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal", "--mode", "today")
        self.e.c("heartbeat", mode="ignore", count=4)


class TodayJoinIgnored(HeartbeatJoinIgnored):
    """Item 13 against today's portal."""
    transports = ("ws",)
    tag = "tjoin"

    def setup(self):
        self.ns = self.netns()
        self.e = self.emu(self.ns, "portal", "--mode", "today")
        self.e.c("join", mode="ignore", count=1)


SCENARIOS = [Main, Heartbeat, HeartbeatTimeout, HeartbeatJoinIgnored, Fatal, TransientHTTP, Hang, Refused,
             Ident, TlsRefused, Prefix, Today, TodayHeartbeat, TodayJoinIgnored, TcpHang]


class Cfg:
    def __init__(self, transport):
        self.transport = transport


def run_guarded(sc, fn):
    try:
        fn()
    except CheckError as e:
        R.check("scenario %s" % sc.tag, False, "%s %s stopped early" % (sc.tag, fn.__name__), str(e))
    except Exception:
        R.check("scenario %s" % sc.tag, False, "%s %s raised" % (sc.tag, fn.__name__), traceback.format_exc())
        return False
    return True


def main():
    global TMP, NS_LIST
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transport", choices=("ws", "wss"), required=True)
    ap.add_argument("--only", help="comma-separated scenario tags")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("FAIL: needs root (network namespaces, TUN)")
        return 1
    for f in (DP, CTL):
        if not os.access(f, os.X_OK):
            print("FAIL: %s missing: run make first" % f)
            return 1

    def on_signal(sig, frm):
        raise SystemExit(1)
    for sgn in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sgn, on_signal)
    TMP = tempfile.mkdtemp(prefix="fz-portal-%s." % a.transport)
    os.chmod(TMP, 0o755)
    NS_LIST = os.environ.get("FZ_PORTAL_NS_LIST")
    cfg = Cfg(a.transport)
    only = set(a.only.split(",")) if a.only else None
    start = time.time()
    try:
        if a.transport == "wss":
            run(["sh", os.path.join(PORTAL, "make-ca.sh"), os.path.join(TMP, "ca")])
            R.skip(10, "heartbeat timing checked in the ws run only (it takes a minute)")
            R.skip(37, "transport-independent: checked in the ws run")
            R.skip("id-override", "transport-independent: checked in the ws run")
        else:
            R.skip("tls", "the wss run")
        for n, why in ((24, "the part 'at least one typ relay' needs a reachable TURN relay (not in this suite)"),
                       (33, "needs relay candidates, i.e. a reachable TURN server and allocations "
                            "(not in this suite)"),
                       (11, "observed for about a minute (two heartbeats, past the 37 s idle timeout), not 5 min"
                            if a.transport == "ws" else "checked in the ws run (heartbeat timing)")):
            R.skip(n, why)
        scs = [c(cfg) for c in SCENARIOS if a.transport in c.transports and (only is None or c.tag in only)]
        with concurrent.futures.ThreadPoolExecutor(max(1, len(scs))) as ex:
            ready = [sc for sc, ok in zip(scs, ex.map(lambda sc: run_guarded(sc, sc.setup), scs)) if ok]
            R.note("%d scenarios set up in %.1f s: %s" % (len(ready), time.time() - start,
                                                        ", ".join(sc.tag for sc in ready)))
            list(ex.map(lambda sc: run_guarded(sc, sc.run), ready))
        # Item 8 over every log of this run.
        R.summary()
    finally:
        cleanup()
        if a.keep:
            print("logs kept in %s" % TMP)
        else:
            shutil.rmtree(TMP, ignore_errors=True)
    print("portal conformance (%s): %d check(s) failed, %.0f s" % (a.transport, R.failed, time.time() - start))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
