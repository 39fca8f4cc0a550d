#!/usr/bin/python3
"""Firezone portal emulator for the gateway's integration and end-to-end tests.

Two modes (--mode, or the control command {"cmd":"set","mode":...}):

* legacy (default): the 2024 portal.  The WebSocket upgrade on
  <prefix>/gateway/websocket with the four query parameters (token first);
  any other path, /gateway/v2/websocket included, gets 404.
* today: today's portal.  <prefix>/gateway/v2/websocket with the query
  external_id, name, public_key and the token in "X-Authorization: Bearer";
  the old path is still served (header first, then the query token, as the
  portal's extract_token).  Upgrade refusals carry problem+json bodies and
  the rate-limit answer 503 has "Retry-After: 1".  Refs are checked per
  connection (they restart at 0 on every connection).  With --v1-compat,
  suites written for the 2024 portal drive it: their authorize_flow goes
  out on v2 as create_authorization, and filters on flow_authorized match
  authorization_created (tests/integ/portal_lib.sh FZ_PORTAL_MODE=today).

Both speak Phoenix V1 JSON frames, the join of topic
"gateway" followed by an `init` push, heartbeat replies on topic "phoenix",
and the portal's replies to the gateway's events.  Everything it sees and
sends goes to a JSON-lines frame log; a Unix control socket lets a test push
events, break things and wait for frames.  See README.md next to this file.

Only the Debian packages python3 and python3-websockets (10.4) are used.
"""

import argparse
import asyncio
import base64
import binascii
import http
import json
import os
import re
import signal
import ssl
import sys
import time

import websockets
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.legacy.handshake import check_request
from websockets.legacy.server import WebSocketServerProtocol

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payloads as P  # noqa: E402

QUERY_ORDER = ["token", "external_id", "name", "public_key"]
QUERY_ORDER_V2 = ["external_id", "name", "public_key"]
MODES = ("legacy", "today")

# Today's portal: ProblemDetails bodies and the Retry-After of the rate limit
# (PortalAPI.Sockets, PortalAPI.ProblemDetails).
TODAY_REJECTS = {
    400: ("invalid_connect_params", "Invalid connection parameters"),
    401: ("invalid_token", "Invalid token"),
    403: ("unauthenticated", "Forbidden"),
    404: (None, "Not Found"),
    409: ("gateway_already_connected", "A gateway with this ID is already connected"),
    429: (None, "Too many requests"),
    500: ("unhandled_connect_error", "Internal server error"),
    503: ("rate_limit", "Too many requests"),
}

# Bodies the real portal (or the load balancer in front of it) answers with
# (section 1.5; API.Sockets.handle_error, API.ErrorView).
REJECT_BODIES = {
    400: "Bad Request",
    401: "Invalid token",
    403: "Forbidden",
    404: '{"error":{"reason":"Not Found"}}',
    422: "Invalid or missing connection parameters: public_key: has already been taken\n",
    429: "Too many requests",
    500: '{"error":{"reason":"internal_error"}}',
    502: "Bad Gateway",
    503: "Service Unavailable",
}

HEARTBEAT_MODES = ("reply", "ignore", "error", "string_ref", "null_ref", "wrong_ref",
                   "bad_response")
JOIN_MODES = ("ok", "error", "ignore", "noreply")
REPLY_MODES = ("check", "ok", "error", "ignore", "crash")

# The gateway events the portal's channel has handle_in clauses for, and the
# payload keys each clause pattern-matches on (channel.ex at the reference
# commit).  Anything else crashes the channel: phx_error.
HANDLE_IN = {
    "flow_authorized": ("ref",),
    "connection_ready": ("ref", "gateway_payload"),
    "broadcast_ice_candidates": ("candidates", "client_ids"),
    "broadcast_invalidated_ice_candidates": ("candidates", "client_ids"),
    "metrics": ("started_at", "ended_at", "metrics"),
}
REF_EVENTS = ("authorize_flow", "create_authorization", "request_connection", "allow_access")
# Today's channel (both paths) also handles these; v2 answers create_authorization
# with authorization_created and refuses flow_authorized (and v1 the other way round).
HANDLE_IN_TODAY = {
    "set_snownet_capabilities": ("iceless",),
    "no_relays": (),
}

UA_RE = re.compile(r"^[^/ ][^/]*/\S+ connlib/(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                   r"(?: \([^()]+\))?$")
UA_V2_RE = re.compile(r"^[^/ ][^/]*/\S+ gateway/(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
                      r"(?: \([^()]+\))?$")
UUID_RE = re.compile(r"^(?:urn:uuid:|\{)?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                     r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$")


def today_external_id(gid):
    """Issue 15 / section 1.1: 64 hex digits are sent as they are, the rest hashed."""
    if re.fullmatch(r"[0-9a-fA-F]{64}", gid or ""):
        return gid
    return P.external_id(gid)
FORM_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


def form_encode(value):
    """application/x-www-form-urlencoded exactly as section 1.1 item 4."""
    out = []
    for b in value.encode():
        if b in FORM_SAFE:
            out.append(chr(b))
        elif b == 0x20:
            out.append("+")
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def form_decode(raw):
    """Lenient decoding (as Plug does): '+' is a space, %XX a byte."""
    b = bytearray()
    i = 0
    s = raw.encode("latin-1", "replace")
    while i < len(s):
        c = s[i]
        if c == 0x2B:
            b.append(0x20)
        elif c == 0x25 and i + 2 < len(s) and re.match(rb"[0-9A-Fa-f]{2}", s[i + 1:i + 3]):
            b.append(int(s[i + 1:i + 3], 16))
            i += 2
        else:
            b.append(c)
        i += 1
    return b.decode("utf-8", "replace")


def encode(obj):
    return P.encode(obj)


def problem_body(status, code=None, title=None):
    """application/problem+json as today's portal writes it."""
    dflt = TODAY_REJECTS.get(status, (None, http.HTTPStatus(status).phrase
                                      if status in http.HTTPStatus._value2member_map_ else "Error"))
    body = {"type": "about:blank", "title": title or dflt[1], "status": status,
            "detail": title or dflt[1]}
    if (code or dflt[0]) is not None:
        body["code"] = code or dflt[0]
    return json.dumps(body, separators=(",", ":"))


def now():
    return time.time()


def dig(obj, path):
    """obj at dotted path ("json.payload.ref", "query.0.1"); KeyError if absent."""
    if path in ("", "."):
        return obj
    for part in path.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            obj = obj[part]
        else:
            raise KeyError(path)
    return obj


def raw_frame(opcode, payload, fin=True, rsv=0, mask=False):
    """One WebSocket frame as bytes (server frames are unmasked)."""
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        hdr = bytes([b0, m | n])
    elif n < 65536:
        hdr = bytes([b0, m | 126]) + n.to_bytes(2, "big")
    else:
        hdr = bytes([b0, m | 127]) + n.to_bytes(8, "big")
    if mask:
        key = os.urandom(4)
        payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        hdr += key
    return hdr + payload


OPNAMES = {0: "cont", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


class FrameLog:
    """The JSON-lines log plus the in-memory copy that wait/count search."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")
        self.records = []
        self.seq = 0
        self.consumed = set()
        self.changed = asyncio.Event()

    def add(self, rec):
        self.seq += 1
        out = {"seq": self.seq, "t": round(now(), 6)}
        out.update(rec)
        self.records.append(out)
        self.f.write(json.dumps(out, separators=(",", ":")) + "\n")
        self.f.flush()
        ev, self.changed = self.changed, asyncio.Event()
        ev.set()
        return out

    def close(self):
        self.f.close()


class Conn:
    def __init__(self, n, ws, upgrade):
        self.n = n
        self.ws = ws
        self.upgrade = upgrade
        self.joined = False
        self.v2 = bool(upgrade.get("v2"))
        self.seen_refs = set()
        self.last_rx = now()
        self.open = True
        self.closed_by = None


class Proto(WebSocketServerProtocol):
    emu = None  # set on the subclass the server uses
    fz_conn = 0

    async def process_request(self, path, request_headers):
        return await self.emu.on_request(self, path, request_headers)

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        self.emu.on_wire_frame(self, frame)
        return frame


class Emulator:
    def __init__(self, args):
        self.args = args
        self.log = FrameLog(args.log)
        self.token = args.token
        self.gateway_id = args.gateway_id
        self.name = args.name
        self.prefix = (args.path_prefix or "").rstrip("/")
        self.strict = not args.lenient
        self.mode = args.mode
        self.v1_compat = args.v1_compat
        self.auto_init = not args.no_auto_init
        self.init_payload = load_json_arg(args.init) if args.init else None
        self.heartbeat = {"mode": args.heartbeat, "count": None, "reason": "bad heartbeat"}
        self.join = {"mode": "ok", "count": None, "reason": "unmatched topic"}
        self.reject = None
        if args.reject:
            st, _, cnt = args.reject.partition(":")
            self.reject = {"status": parse_status(st), "count": int(cnt) if cnt else None,
                           "body": None, "retry_after": args.retry_after}
        self.replies = {"flow_authorized": {"mode": "check", "reason": "invalid_ref"},
                        "authorization_created": {"mode": "check", "reason": "invalid_ref"},
                        "connection_ready": {"mode": "check", "reason": "invalid_ref"},
                        "metrics": {"mode": "ok", "reason": "error"}}
        self.idle_timeout = args.idle_timeout
        self.attempts = 0
        self.opened = 0
        self.conns = {}
        self.last_upgrade = None
        self.issued_refs = set()
        self.seen_refs = set()
        self.addr_by_external_id = {}
        self.stop = asyncio.Event()
        self.hanging = set()
        self.url = None
        self.port = None

    # ------------------------------------------------------------ upgrade

    def tunnel_addrs(self, ext_id):
        """Stable tunnel addresses per external_id, like the portal's upsert."""
        if ext_id not in self.addr_by_external_id:
            i = len(self.addr_by_external_id) + 7
            self.addr_by_external_id[ext_id] = ("100.64.%d.%d" % (i // 256, i % 256),
                                                "fd00:2021:1111::%x" % i)
        return self.addr_by_external_id[ext_id]

    def check_upgrade(self, path, target_query, params, headers):
        """Returns (real_status, real_body, problems): what the real portal
        would answer, and the conformance problems (section 6 items 1-6)."""
        problems = []
        want_path = self.prefix + "/gateway/websocket"
        v2_path = self.prefix + "/gateway/v2/websocket"
        v2 = self.mode == "today" and path == v2_path
        if path != want_path and not v2:
            if self.mode == "today":
                return 404, problem_body(404), ["path %r is neither %r nor %r" % (path, v2_path, want_path)]
            return 404, REJECT_BODIES[404], ["path %r is not %r" % (path, want_path)]
        names = [k for k, _ in params]
        order = QUERY_ORDER_V2 if v2 else QUERY_ORDER
        if names != order:
            problems.append("query parameters %s, expected %s in this order" % (names, order))
        if target_query is not None:
            for item in target_query.split("&"):
                k, _, v = item.partition("=")
                if form_encode(form_decode(v)) != v or form_encode(form_decode(k)) != k:
                    problems.append("query item %r is not form-urlencoded as section 1.1 says" % item)
        d = {}
        for k, v in params:
            d[k] = v  # Plug: the last one wins
        ext = d.get("external_id")
        if ext is not None and not re.fullmatch(r"[0-9a-f]{64}", ext):
            problems.append("external_id %r is not 64 lowercase hex digits" % ext)
        if ext is not None and self.gateway_id is not None:
            want_ext = today_external_id(self.gateway_id) if self.mode == "today" else P.external_id(self.gateway_id)
            if ext != want_ext:
                problems.append("external_id is not %s" % ("the ID or its SHA-256 (section 1.1)"
                                                          if self.mode == "today" else
                                                          "sha256(%r)" % self.gateway_id))
        if self.name is not None and d.get("name") != self.name:
            problems.append("name %r is not %r" % (d.get("name"), self.name))
        pk = d.get("public_key")
        if pk is not None:
            try:
                if len(base64.b64decode(pk, validate=True)) != 32:
                    problems.append("public_key does not decode to 32 bytes")
            except (binascii.Error, ValueError):
                problems.append("public_key is not standard base64")
        # headers (section 1.3, checklist items 5 and 6)
        lower = {}
        for k, v in headers.raw_items():
            lower.setdefault(k.lower(), []).append(v)
        conn_tokens = [t.strip().lower() for v in lower.get("connection", []) for t in v.split(",")]
        if "upgrade" not in conn_tokens:
            problems.append("Connection header does not contain Upgrade")
        if [v.lower() for v in lower.get("upgrade", [])] != ["websocket"]:
            problems.append("Upgrade header is not websocket")
        if lower.get("sec-websocket-version") != ["13"]:
            problems.append("Sec-WebSocket-Version is not 13")
        try:
            if len(base64.b64decode(lower.get("sec-websocket-key", [""])[0], validate=True)) != 16:
                problems.append("Sec-WebSocket-Key is not base64 of 16 bytes")
        except (binascii.Error, ValueError):
            problems.append("Sec-WebSocket-Key is not base64")
        if len(lower.get("host", [])) != 1:
            problems.append("no single Host header")
        ua = lower.get("user-agent", [None])[0]
        if ua is None:
            problems.append("no User-Agent header")
        elif v2 and not UA_V2_RE.match(ua):
            problems.append("User-Agent %r is not '<os>/<version> gateway/<MAJOR.MINOR.PATCH>[ (...)]'" % ua)
        elif not v2 and not UA_RE.match(ua):
            problems.append("User-Agent %r is not '<os>/<version> connlib/<MAJOR.MINOR.PATCH>[ (...)]'" % ua)
        for h in ("origin", "sec-websocket-protocol", "sec-websocket-extensions",
                  "authorization", "cookie"):
            if h in lower:
                problems.append("unexpected %s header" % h)
        if self.mode == "today":
            return self.decide_today(d, ext, pk, ua, lower, v2, problems)
        # what the real portal decides (API.Gateway.Socket.connect/3)
        if "token" not in d:
            return 401, "Missing token", problems
        if d["token"] == "" or (self.token is not None and d["token"] != self.token):
            return 401, "Invalid token", problems
        errors = {}
        if not (ext or "").strip():
            errors.setdefault("external_id", []).append("can't be blank")
        if not (pk or "").strip():
            errors.setdefault("public_key", []).append("can't be blank")
        else:
            try:
                base64.b64decode(pk, validate=True)
            except (binascii.Error, ValueError):
                errors.setdefault("public_key", []).append("must be a base64-encoded string")
            if len(pk) != 44:
                errors.setdefault("public_key", []).append("should be 44 character(s)")
            for c in self.conns.values():
                if c.open and c.upgrade.get("public_key") == pk and c.upgrade.get("external_id") != ext:
                    errors.setdefault("public_key", []).append("has already been taken")
                    break
        if "name" in d and len(d["name"].strip()) > 255:
            errors.setdefault("name", []).append("should be at most 255 character(s)")
        if ua is not None and not any(t.startswith("connlib/") or t.startswith("relay/")
                                      for t in ua.split(" ")):
            errors.setdefault("last_seen_user_agent", []).append("is invalid")
        if errors:
            body = "Invalid or missing connection parameters: " + "".join(
                "%s: %s\n" % (k, "; ".join(v)) for k, v in sorted(errors.items()))
            return 422, body, problems
        return 101, None, problems

    def decide_today(self, d, ext, pk, ua, lower, v2, problems):
        """Today's portal (PortalAPI.Gateway.Socket): token from
        X-Authorization first, then the query; 400 for bad parameters; 409
        while another live connection has the same external_id."""
        auth = lower.get("x-authorization", [None])[0]
        if v2 and "token" in d:
            problems.append("token in the query on the v2 path")
        if auth is not None:
            if not auth.startswith("Bearer "):
                return 401, problem_body(401, "missing_token", "Missing token"), problems
            token = auth[len("Bearer "):]
            if re.search(r"\s", token):
                problems.append("whitespace in the X-Authorization token")
        elif "token" in d:
            token = d["token"]
        else:
            if v2:
                problems.append("no X-Authorization header")
            return 401, problem_body(401, "missing_token", "Missing token"), problems
        if token == "" or (self.token is not None and token != self.token):
            return 401, problem_body(401), problems
        if not (ext or "").strip() or not (pk or "").strip():
            return 400, problem_body(400), problems
        try:
            if len(base64.b64decode(pk, validate=True)) != 32 or len(pk) != 44:
                return 400, problem_body(400), problems
        except (binascii.Error, ValueError):
            return 400, problem_body(400), problems
        for c in self.conns.values():
            if c.open and c.upgrade.get("external_id") == ext:
                return 409, problem_body(409), problems
        return 101, None, problems

    async def on_request(self, proto, target, headers):
        path, sep, query = target.partition("?")
        query = query if sep else None
        if self.mode == "legacy" and path == self.prefix + "/gateway/v2/websocket":
            # The 2024 portal has no v2 socket: 404, which sends today's
            # gateway to the old path.  Logged apart ("probe"), so that
            # connection numbers and upgrade records stay those of the
            # 2024 protocol; forced answers (reject) apply to the old path.
            proto.fz_conn = 0
            self.log.add({"kind": "probe", "path": path, "query_raw": query, "status": 404,
                          "user_agent": headers.get("User-Agent"),
                          "headers": [[k, v] for k, v in headers.raw_items()]})
            return http.HTTPStatus(404), Headers(), REJECT_BODIES[404].encode()
        self.attempts += 1
        n = proto.fz_conn = self.attempts
        params = []
        if query:
            for item in query.split("&"):
                k, _, v = item.partition("=")
                params.append([form_decode(k), form_decode(v)])
        peer = proto.remote_address
        rec = {
            "kind": "upgrade", "conn": n,
            "peer": (("[%s]:%s" if ":" in peer[0] else "%s:%s") % (peer[0], peer[1])) if peer else None,
            "request_line": "GET %s HTTP/1.1" % target,
            "path": path, "query_raw": query, "query": params,
            "headers": [[k, v] for k, v in headers.raw_items()],
            "user_agent": headers.get("User-Agent"),
        }
        d = dict((k, v) for k, v in params)
        rec["external_id"] = d.get("external_id")
        rec["public_key"] = d.get("public_key")
        rec["mode"] = self.mode
        rec["v2"] = self.mode == "today" and path == self.prefix + "/gateway/v2/websocket"
        rec["x_authorization"] = headers.get("X-Authorization")
        real_status, real_body, problems = self.check_upgrade(path, query, params, headers)
        rec["problems"] = problems
        rec["portal_status"] = real_status
        status, body = real_status, real_body
        if status == 101 and problems and self.strict:
            status = 422
            body = "Invalid or missing connection parameters: conformance: %s\n" % "; ".join(problems)
        if status == 101:
            try:
                check_request(headers)
            except InvalidHandshake as e:
                status, body = 400, "Failed to open a WebSocket connection: %s.\n" % e
        forced = self.reject
        if forced is not None:
            if forced["count"] is not None:
                forced["count"] -= 1
                if forced["count"] <= 0:
                    self.reject = None
            status = forced["status"]
            if forced["body"] is not None:
                body = forced["body"]
            elif self.mode == "today" and isinstance(status, int):
                body = problem_body(status)
            else:
                body = REJECT_BODIES.get(status, "")
            rec["forced"] = True
            retry_after = forced.get("retry_after")
            if retry_after is None and self.mode == "today" and status == 503:
                retry_after = 1  # the portal's rate limit
            if retry_after is not None and status != 101:
                rec["retry_after"] = retry_after
        rec["status"] = status
        rec["body"] = body
        self.last_upgrade = rec
        proto.fz_upgrade = rec
        self.log.add(rec)
        if status == "hang":
            self.hanging.add(proto)
            try:
                await self.stop.wait()
            finally:
                self.hanging.discard(proto)
            proto.transport.abort()
            return None
        if status == "drop":
            proto.transport.abort()
            return None
        if status != 101:
            hdrs = Headers()
            if body and body.startswith("{"):
                hdrs["Content-Type"] = ("application/problem+json" if self.mode == "today"
                                        else "application/json; charset=utf-8")
            if rec.get("retry_after") is not None:
                hdrs["Retry-After"] = str(rec["retry_after"])
            return http.HTTPStatus(status), hdrs, (body or "").encode()
        return None

    # ------------------------------------------------------------ connection

    async def handler(self, ws):
        n = ws.fz_conn
        c = Conn(n, ws, getattr(ws, "fz_upgrade", None) or {})
        self.conns[n] = c
        self.opened += 1
        self.log.add({"kind": "open", "conn": n})
        idle = asyncio.ensure_future(self.idle_watch(c))
        try:
            async for msg in ws:
                await self.on_message(c, msg)
        except ConnectionClosed:
            pass
        finally:
            idle.cancel()
            c.open = False
            c.joined = False
            self.log.add({"kind": "close", "conn": n, "code": ws.close_code,
                          "reason": ws.close_reason, "by": c.closed_by or "gateway"})

    async def idle_watch(self, c):
        while c.open:
            await asyncio.sleep(0.25)
            if self.idle_timeout and now() - c.last_rx > self.idle_timeout and c.open:
                self.log.add({"kind": "idle_timeout", "conn": c.n, "seconds": self.idle_timeout})
                c.closed_by = "portal-idle"
                # Cowboy's idle timeout: close 1000 with no reason.
                await c.ws.close(1000, "")
                return

    def on_wire_frame(self, proto, frame):
        c = self.conns.get(proto.fz_conn)
        if c is None:
            return
        c.last_rx = now()
        op = int(frame.opcode)
        if op in (8, 9, 10):
            rec = {"kind": "frame", "dir": "g2p", "conn": c.n, "opcode": OPNAMES[op],
                   "fin": frame.fin, "data_b64": base64.b64encode(frame.data).decode()}
            if op == 8 and len(frame.data) >= 2:
                rec["code"] = int.from_bytes(frame.data[:2], "big")
                rec["reason"] = frame.data[2:].decode("utf-8", "replace")
            self.log.add(rec)

    async def on_message(self, c, msg):
        rec = {"kind": "frame", "dir": "g2p", "conn": c.n}
        problems = []
        if isinstance(msg, bytes):
            rec["opcode"] = "binary"
            rec["raw_b64"] = base64.b64encode(msg).decode()
            problems.append("binary frame (the gateway must send text frames)")
            try:
                text = msg.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        else:
            rec["opcode"] = "text"
            text = msg
            rec["raw"] = text
        obj = None
        if text is not None:
            try:
                obj = json.loads(text)
            except ValueError as e:
                problems.append("not JSON: %s" % e)
        rec["json"] = obj
        ok_shape = isinstance(obj, dict) and all(k in obj for k in ("topic", "event", "payload", "ref"))
        if isinstance(obj, dict):
            rec["topic"] = obj.get("topic")
            rec["event"] = obj.get("event")
            rec["ref"] = obj.get("ref")
            if set(obj) != {"topic", "event", "payload", "ref"}:
                problems.append("keys %s are not exactly topic, event, payload, ref" % sorted(obj))
            ref = obj.get("ref")
            if not (isinstance(ref, int) and not isinstance(ref, bool) and ref >= 0):
                problems.append("ref %r is not a non-negative integer" % (ref,))
            elif ref in c.seen_refs:
                problems.append("duplicate ref %d" % ref)
            else:
                c.seen_refs.add(ref)
            if not isinstance(obj.get("topic"), str) or not isinstance(obj.get("event"), str):
                problems.append("topic or event is not a string")
            ev = obj.get("event")
            if ev == "phx_join" and obj.get("payload") not in (None, {}):
                problems.append("join payload is not null or {}")
            if ev == "heartbeat" and (obj.get("topic") != "phoenix" or obj.get("payload") != {}):
                problems.append("heartbeat is not on topic phoenix with payload {}")
        elif obj is not None:
            problems.append("not a JSON object")
        rec["problems"] = problems
        self.log.add(rec)
        if not ok_shape:
            # Phoenix's V1 decoder raises; Cowboy closes with 1011.
            self.log.add({"kind": "note", "conn": c.n,
                          "note": "undecodable frame: the portal's socket crashes (close 1011)"})
            c.closed_by = "portal-crash"
            await c.ws.close(1011, "")
            return
        topic, event, payload, ref = obj["topic"], obj["event"], obj["payload"], obj["ref"]
        if topic == "phoenix" and event == "heartbeat":
            await self.on_heartbeat(c, ref)
        elif event == "phx_join":
            if topic == "gateway":
                await self.on_join(c, ref)
            else:
                await self.reply(c, topic, ref, "error", {"reason": "unmatched topic"})
        elif topic == "gateway" and c.joined:
            await self.on_channel_event(c, event, payload, ref)
        else:
            await self.reply(c, topic, ref, "error", {"reason": "unmatched topic"})

    def take(self, setting, default_mode):
        mode = setting["mode"]
        if setting.get("count") is not None:
            setting["count"] -= 1
            if setting["count"] <= 0:
                setting["mode"], setting["count"] = default_mode, None
        return mode

    async def on_heartbeat(self, c, ref):
        mode = self.take(self.heartbeat, "reply")
        if mode == "ignore":
            self.log.add({"kind": "note", "conn": c.n, "note": "heartbeat ignored", "ref": ref})
        elif mode == "error":
            await self.reply(c, "phoenix", ref, "error", {"reason": self.heartbeat["reason"]})
        elif mode == "string_ref":
            await self.reply(c, "phoenix", str(ref), "ok", {})
        elif mode == "null_ref":
            await self.reply(c, "phoenix", None, "ok", {})
        elif mode == "wrong_ref":
            await self.reply(c, "phoenix", (ref + 1000) if isinstance(ref, int) else 1000, "ok", {})
        elif mode == "bad_response":
            await self.reply(c, "phoenix", ref, "ok", {"unexpected": True})
        else:
            await self.reply(c, "phoenix", ref, "ok", {})

    async def on_join(self, c, ref):
        mode = self.take(self.join, "ok")
        if mode == "ignore":
            self.log.add({"kind": "note", "conn": c.n, "note": "join ignored", "ref": ref})
            return
        if mode == "error":
            await self.reply(c, "gateway", ref, "error", {"reason": self.join["reason"]})
            return
        if c.joined:
            # Phoenix closes the old channel of a duplicate join.
            await self.send_obj(c, P.frame("phx_close", {}))
        c.joined = True
        if mode != "noreply":
            await self.reply(c, "gateway", ref, "ok", {})
        if self.auto_init:
            await self.push(c, "init", self.current_init(c))

    def current_init(self, c):
        if self.init_payload is not None:
            return self.init_payload
        v4, v6 = self.tunnel_addrs(c.upgrade.get("external_id") or "")
        return P.init(ipv4=v4, ipv6=v6)

    async def on_channel_event(self, c, event, payload, ref):
        keys = HANDLE_IN.get(event)
        if self.mode == "today":
            keys = HANDLE_IN_TODAY.get(event, keys)
            if event == "authorization_created":
                keys = None if not c.v2 else ("ref",)
            elif event == "flow_authorized" and c.v2:
                keys = None
            if keys is None and event not in ("phx_leave",):
                # today's channel answers unknown messages, it no longer crashes
                self.log.add({"kind": "note", "conn": c.n, "note": "unknown_message %r" % event})
                await self.reply(c, "gateway", ref, "error", {"reason": "unknown_message"})
                return
        if event == "phx_leave":
            await self.reply(c, "gateway", ref, "ok", {})
            c.joined = False
            await self.send_obj(c, P.frame("phx_close", {}))
            return
        if keys is None or not isinstance(payload, dict) or any(k not in payload for k in keys):
            await self.crash(c, "no handle_in clause for %r with this payload" % event)
            return
        setting = self.replies.get(event)
        if setting is None:
            return  # broadcast_*: the portal forwards to clients, no reply
        mode = setting["mode"]
        if mode == "ignore":
            return
        if mode == "crash":
            await self.crash(c, "reply mode crash")
            return
        if mode == "check":
            good = payload.get("ref") in self.issued_refs
            mode = "ok" if good else "error"
        if mode == "ok":
            await self.reply(c, "gateway", ref, "ok", {})
        else:
            await self.reply(c, "gateway", ref, "error", {"reason": setting["reason"]})

    async def crash(self, c, why):
        self.log.add({"kind": "note", "conn": c.n, "note": "channel crash: %s" % why})
        c.joined = False
        await self.send_obj(c, P.frame("phx_error", {}))

    # ------------------------------------------------------------ sending

    async def send_text(self, c, text, extra=None):
        await c.ws.send(text)
        rec = {"kind": "frame", "dir": "p2g", "conn": c.n, "opcode": "text", "raw": text}
        try:
            obj = json.loads(text)
        except ValueError:
            obj = None
        rec["json"] = obj
        if isinstance(obj, dict):
            rec["topic"] = obj.get("topic")
            rec["event"] = obj.get("event")
            rec["ref"] = obj.get("ref")
        if extra:
            rec.update(extra)
        self.log.add(rec)

    async def send_obj(self, c, obj):
        await self.send_text(c, encode(obj))

    async def reply(self, c, topic, ref, status, response):
        await self.send_obj(c, P.frame("phx_reply", {"status": status, "response": response},
                                       topic=topic, ref=ref))

    async def push(self, c, event, payload, topic="gateway", ref=None):
        if self.v1_compat and c.v2 and topic == "gateway":
            # --v1-compat: a test written for the 2024 portal drives today's.
            # ValueError (an error answer) for what today's portal never sends.
            was = event
            event, payload = P.today_push(event, payload)
            if event != was:
                self.log.add({"kind": "note", "conn": c.n,
                              "note": "v1-compat: %s pushed as %s" % (was, event)})
        if event in REF_EVENTS and isinstance(payload, dict) and isinstance(payload.get("ref"), str):
            self.issued_refs.add(payload["ref"])
        await self.send_obj(c, P.frame(event, payload, topic=topic, ref=ref))

    def write_raw(self, c, data, extra):
        c.ws.transport.write(data)
        rec = {"kind": "frame", "dir": "p2g", "conn": c.n, "crafted": True}
        rec.update(extra)
        self.log.add(rec)

    # ------------------------------------------------------------ control

    def target(self, req):
        if req.get("conn") is not None:
            c = self.conns.get(int(req["conn"]))
            if c is None or not c.open:
                raise CtlError("connection %s is not open" % req["conn"])
            return c
        open_conns = [c for c in self.conns.values() if c.open]
        if not open_conns:
            raise CtlError("no gateway connected")
        return max(open_conns, key=lambda c: c.n)

    def status(self):
        open_conns = sorted(c.n for c in self.conns.values() if c.open)
        cur = self.conns[open_conns[-1]] if open_conns else None
        lu = self.last_upgrade
        return {
            "url": self.url, "port": self.port,
            "connected": cur is not None, "joined": bool(cur and cur.joined),
            "conn": cur.n if cur else None, "open_conns": open_conns,
            "attempts": self.attempts, "connections": self.opened,
            "last_query": lu["query"] if lu else None,
            "last_query_raw": lu["query_raw"] if lu else None,
            "last_path": lu["path"] if lu else None,
            "last_user_agent": lu["user_agent"] if lu else None,
            "last_status": lu["status"] if lu else None,
            "last_problems": lu["problems"] if lu else None,
            "heartbeat": dict(self.heartbeat), "join": dict(self.join),
            "reject": dict(self.reject) if self.reject else None,
            "replies": {k: dict(v) for k, v in self.replies.items()},
            "auto_init": self.auto_init, "strict": self.strict, "mode": self.mode,
            "v1_compat": self.v1_compat,
            "idle_timeout": self.idle_timeout, "issued_refs": len(self.issued_refs),
            "records": self.log.seq,
        }

    def make_filter(self, req):
        kind = req.get("kind") or "frame"
        flt = {"kind": kind}
        d = req.get("dir")
        if d is None and kind == "frame":
            d = "g2p"
        if d not in (None, "any"):
            flt["dir"] = d
        ev = req.get("event")
        if ev not in (None, "", "-", "*", "any"):
            flt["event"] = ev
        for k in ("topic", "conn", "opcode"):
            if req.get(k) is not None:
                flt[k] = req[k]
        return flt, req.get("match") or {}

    def matching(self, req, include_consumed=False):
        flt, match = self.make_filter(req)
        after = req.get("after") or 0
        out = []
        for r in self.log.records:
            if r["seq"] <= after or (not include_consumed and r["seq"] in self.log.consumed):
                continue
            if any(r.get(k) != v for k, v in flt.items() if k != "event"):
                continue
            if "event" in flt and r.get("event") != self.answer_name(flt["event"], r):
                continue
            try:
                if any(dig(r, p) != v for p, v in match.items()):
                    continue
            except (KeyError, IndexError, ValueError):
                continue
            out.append(r)
        return out

    def answer_name(self, event, rec):
        """With --v1-compat, a filter on the 2024 answer flow_authorized
        matches authorization_created on a v2 connection (and only there:
        flow_authorized on v2 is an error the filter must not hide)."""
        if self.v1_compat and event == "flow_authorized" and rec.get("dir") == "g2p":
            c = self.conns.get(rec.get("conn"))
            if c is not None and c.v2:
                return "authorization_created"
        return event

    async def cmd_wait(self, req, quiet=False):
        timeout = float(req.get("timeout", 10))
        count = int(req.get("count", 1))
        if req.get("new"):
            req = dict(req, after=max(req.get("after") or 0, self.log.seq))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ev = self.log.changed
            found = self.matching(req)
            if len(found) >= count:
                if quiet:
                    return {"ok": False, "error": "unexpected record", "record": found[0]}
                if not req.get("peek"):
                    self.log.consumed.update(r["seq"] for r in found[:count])
                if count == 1:
                    return {"ok": True, "record": found[0]}
                return {"ok": True, "record": found[count - 1], "records": found[:count]}
            left = deadline - loop.time()
            if left <= 0:
                if quiet:
                    return {"ok": True}
                return {"ok": False, "error": "timeout", "timeout": True, "found": len(found)}
            try:
                await asyncio.wait_for(ev.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def command(self, req):
        cmd = req.get("cmd")
        if cmd == "status":
            return dict(self.status(), ok=True)
        if cmd == "push":
            c = self.target(req)
            payload = req.get("payload")
            if payload is None and req.get("build"):
                fn = P.BUILDERS.get(req.get("build"))
                if fn is None:
                    raise CtlError("unknown builder %r" % req.get("build"))
                payload = fn(**(req.get("args") or {}))
            if payload is None and req.get("event") == "init":
                payload = self.current_init(c)
            ev = req.get("event")
            if not isinstance(ev, str):
                raise CtlError("push needs an event")
            await self.push(c, ev, payload, topic=req.get("topic", "gateway"), ref=req.get("ref"))
            return {"ok": True, "conn": c.n, "payload": payload}
        if cmd == "push_many":
            # Bulk mode (scale runs): many pushes in one command, in order,
            # on one connection; the answer only counts them.
            c = self.target(req)
            pushes = req.get("pushes")
            if not isinstance(pushes, list):
                raise CtlError("push_many needs a list of pushes")
            for i, p in enumerate(pushes):
                ev = p.get("event") if isinstance(p, dict) else None
                if not isinstance(ev, str):
                    raise CtlError("push_many: push %d has no event (%d sent)" % (i, i))
                await self.push(c, ev, p.get("payload"), topic=p.get("topic", "gateway"),
                                ref=p.get("ref"))
            return {"ok": True, "conn": c.n, "count": len(pushes)}
        if cmd == "send":
            c = self.target(req)
            n = int(req.get("count", 1))
            for _ in range(n):
                if "b64" in req:
                    data = base64.b64decode(req["b64"])
                    await c.ws.send(data)
                    self.log.add({"kind": "frame", "dir": "p2g", "conn": c.n, "opcode": "binary",
                                  "raw_b64": req["b64"]})
                elif "big" in req:
                    pad = "x" * int(req["big"])
                    await self.send_obj(c, P.frame(req.get("event", "init"), {"pad": pad}))
                elif "fragments" in req:
                    data = (req["text"] if "text" in req else encode(req["json"])).encode()
                    k = max(1, int(req["fragments"]))
                    step = max(1, -(-len(data) // k))
                    parts = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
                    for i, part in enumerate(parts):
                        self.write_raw(c, raw_frame(1 if i == 0 else 0, part, fin=i == len(parts) - 1),
                                       {"opcode": "text" if i == 0 else "cont",
                                        "fin": i == len(parts) - 1,
                                        "raw": part.decode("utf-8", "replace")})
                elif "json" in req:
                    await self.send_obj(c, req["json"])
                elif "text" in req:
                    await self.send_text(c, req["text"])
                else:
                    raise CtlError("send needs text, json, b64, big or fragments")
            return {"ok": True, "conn": c.n}
        if cmd == "frame":
            c = self.target(req)
            data = base64.b64decode(req["b64"]) if "b64" in req else req.get("text", "").encode()
            op = int(req.get("opcode", 1))
            self.write_raw(c, raw_frame(op, data, fin=req.get("fin", True), rsv=int(req.get("rsv", 0)),
                                        mask=bool(req.get("mask", False))),
                           {"opcode": OPNAMES.get(op, str(op)), "fin": req.get("fin", True),
                            "data_b64": base64.b64encode(data).decode()})
            return {"ok": True, "conn": c.n}
        if cmd == "raw":
            c = self.target(req)
            self.write_raw(c, base64.b64decode(req["b64"]), {"opcode": "raw", "data_b64": req["b64"]})
            return {"ok": True, "conn": c.n}
        if cmd == "ping":
            c = self.target(req)
            data = req.get("text", "").encode()
            self.write_raw(c, raw_frame(9, data), {"opcode": "ping", "data_b64": base64.b64encode(data).decode()})
            return {"ok": True, "conn": c.n}
        if cmd == "close":
            c = self.target(req)
            code = req.get("code", 1000)
            reason = req.get("reason", "")
            c.closed_by = "portal"
            if code is not None and (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
                try:
                    await asyncio.wait_for(c.ws.close(code, reason), 5)
                except asyncio.TimeoutError:
                    c.ws.transport.abort()
            else:
                body = b"" if code is None else int(code).to_bytes(2, "big") + reason.encode()
                self.write_raw(c, raw_frame(8, body), {"opcode": "close", "code": code, "reason": reason})
                await asyncio.sleep(float(req.get("linger", 1)))
                c.ws.transport.abort()
            return {"ok": True, "conn": c.n}
        if cmd == "unjoin":
            # The portal lost the channel (e.g. after a node restart): what
            # follows an "unmatched topic" reply.  A new join is then fine.
            c = self.target(req)
            c.joined = False
            return {"ok": True, "conn": c.n}
        if cmd == "drop":
            c = self.target(req)
            c.closed_by = "portal-drop"
            self.log.add({"kind": "note", "conn": c.n, "note": "dropping the TCP connection"})
            c.ws.transport.abort()
            return {"ok": True, "conn": c.n}
        if cmd == "heartbeat":
            mode = req.get("mode", "reply")
            if mode not in HEARTBEAT_MODES:
                raise CtlError("heartbeat mode must be one of %s" % (HEARTBEAT_MODES,))
            self.heartbeat = {"mode": mode, "count": req.get("count"),
                              "reason": req.get("reason", "bad heartbeat")}
            return {"ok": True}
        if cmd == "join":
            mode = req.get("mode", "ok")
            if mode not in JOIN_MODES:
                raise CtlError("join mode must be one of %s" % (JOIN_MODES,))
            self.join = {"mode": mode, "count": req.get("count"),
                         "reason": req.get("reason", "unmatched topic")}
            if "init" in req:
                self.auto_init = bool(req["init"])
            return {"ok": True}
        if cmd == "reject":
            st = req.get("status")
            if st in (None, 0, "clear", "none"):
                self.reject = None
            else:
                st = parse_status(st)
                self.reject = {"status": st, "count": req.get("count"), "body": req.get("body"),
                               "retry_after": req.get("retry_after")}
            return {"ok": True}
        if cmd == "reply":
            ev = req.get("event")
            mode = req.get("mode", "check")
            if ev not in self.replies or mode not in REPLY_MODES:
                raise CtlError("reply EVENT (%s) MODE %s" % ("|".join(self.replies), REPLY_MODES))
            self.replies[ev] = {"mode": mode, "reason": req.get("reason", "invalid_ref")}
            return {"ok": True}
        if cmd == "init":
            if "auto" in req:
                self.auto_init = bool(req["auto"])
            if "payload" in req:
                self.init_payload = req["payload"]
            return {"ok": True, "auto_init": self.auto_init, "payload": self.init_payload}
        if cmd == "set":
            for k, v in req.items():
                if k == "cmd":
                    continue
                if k == "idle_timeout":
                    self.idle_timeout = float(v)
                elif k == "strict":
                    self.strict = bool(v)
                elif k == "token":
                    self.token = v
                elif k == "gateway_id":
                    self.gateway_id = v
                elif k == "name":
                    self.name = v
                elif k == "path_prefix":
                    self.prefix = (v or "").rstrip("/")
                elif k == "v1_compat":
                    self.v1_compat = bool(v)
                elif k == "auto_init":
                    self.auto_init = bool(v)
                elif k == "init":
                    self.init_payload = v
                elif k == "reset_refs":
                    for c in self.conns.values():
                        c.seen_refs = set()
                elif k == "mode":
                    if v not in MODES:
                        raise CtlError("mode must be one of %s" % (MODES,))
                    self.mode = v
                else:
                    raise CtlError("set: unknown setting %r" % k)
            return {"ok": True}
        if cmd == "wait":
            return await self.cmd_wait(req)
        if cmd == "quiet":
            return await self.cmd_wait(req, quiet=True)
        if cmd == "count":
            return {"ok": True, "count": len(self.matching(req, include_consumed=True))}
        if cmd == "records":
            recs = self.matching(req, include_consumed=True)
            return {"ok": True, "records": recs}
        if cmd == "shutdown":
            asyncio.get_running_loop().call_soon(self.stop.set)
            return {"ok": True}
        raise CtlError("unknown command %r" % cmd)

    async def control_client(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    req = json.loads(line)
                    if not isinstance(req, dict):
                        raise CtlError("a command is a JSON object")
                    if req.get("cmd") == "push_many":
                        # The pushed frames are logged one by one; keep the
                        # control record short.
                        self.log.add({"kind": "control", "cmd": {
                            "cmd": "push_many", "count": len(req.get("pushes") or [])}})
                    elif req.get("cmd") not in ("status", "wait", "count", "records", "quiet"):
                        self.log.add({"kind": "control", "cmd": req})
                    ans = await self.command(req)
                except CtlError as e:
                    ans = {"ok": False, "error": str(e)}
                except (ValueError, TypeError, KeyError) as e:
                    ans = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
                except ConnectionClosed as e:
                    ans = {"ok": False, "error": "connection closed: %s" % e}
                except Exception as e:  # keep serving; say what went wrong
                    ans = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
                writer.write((json.dumps(ans, separators=(",", ":")) + "\n").encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    # ------------------------------------------------------------ main

    async def run(self):
        a = self.args
        sslctx = None
        if a.tls_cert:
            sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            sslctx.minimum_version = ssl.TLSVersion.TLSv1_2
            sslctx.load_cert_chain(a.tls_cert, a.tls_key)
        proto = type("EmuProto", (Proto,), {"emu": self})
        server = await websockets.serve(
            self.handler, a.host, a.port, create_protocol=proto, ssl=sslctx,
            compression=None, ping_interval=None, ping_timeout=None, close_timeout=2,
            max_size=a.max_size, max_queue=None, server_header=None)
        sock = server.sockets[0]
        self.port = sock.getsockname()[1]
        hostfmt = "[%s]" % a.host if ":" in a.host else a.host
        self.url = "%s://%s:%d" % ("wss" if sslctx else "ws", hostfmt, self.port)
        ctl = None
        if a.control:
            if os.path.exists(a.control):
                os.unlink(a.control)
            # Large limit: push_many lines carry thousands of payloads.
            ctl = await asyncio.start_unix_server(self.control_client, a.control,
                                                  limit=256 * 1024 * 1024)
            ctl_ino = os.stat(a.control).st_ino
        loop = asyncio.get_running_loop()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, self.stop.set)
        self.log.add({"kind": "start", "url": self.url, "port": self.port, "pid": os.getpid(),
                      "strict": self.strict, "mode": self.mode})
        if a.ready_file:
            tmp = a.ready_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(self.url + "\n")
            os.rename(tmp, a.ready_file)
        print("emulator: listening on %s (pid %d)" % (self.url, os.getpid()), flush=True)
        await self.stop.wait()
        server.close()
        for c in list(self.conns.values()):
            if c.open:
                c.closed_by = "portal-shutdown"
                if a.shutdown_code:
                    try:
                        await asyncio.wait_for(c.ws.close(a.shutdown_code, ""), 3)
                    except (asyncio.TimeoutError, ConnectionError):
                        c.ws.transport.abort()
                else:
                    c.ws.transport.abort()
        try:
            await asyncio.wait_for(server.wait_closed(), 5)
        except asyncio.TimeoutError:
            pass
        if ctl is not None:
            ctl.close()
            try:
                # Only our own socket: another emulator may have taken the path.
                if os.stat(a.control).st_ino == ctl_ino:
                    os.unlink(a.control)
            except OSError:
                pass
        self.log.add({"kind": "stop"})
        self.log.close()


class CtlError(Exception):
    pass


def parse_status(s):
    if s in ("hang", "drop"):
        return s
    st = int(s)
    http.HTTPStatus(st)  # ValueError if unknown
    return st


def load_json_arg(s):
    if s.startswith("@"):
        with open(s[1:]) as f:
            return json.load(f)
    return json.loads(s)


def main():
    ap = argparse.ArgumentParser(description="Firezone portal emulator (gateway side)")
    ap.add_argument("--host", default="127.0.0.1", help="listen address (IPv4 or IPv6 literal)")
    ap.add_argument("--port", type=int, default=0, help="listen port, 0 = any free one")
    ap.add_argument("--log", required=True, help="frame log (JSON lines, appended)")
    ap.add_argument("--control", help="control Unix socket path")
    ap.add_argument("--ready-file", help="written (atomically) with the URL once listening")
    ap.add_argument("--tls-cert", help="PEM certificate (chain) to serve wss")
    ap.add_argument("--tls-key", help="PEM private key for --tls-cert")
    ap.add_argument("--token", help="the only token accepted (default: any non-empty one)")
    ap.add_argument("--gateway-id", help="FIREZONE_ID the gateway uses: external_id must be its SHA-256")
    ap.add_argument("--name", help="the name query parameter the gateway must send")
    ap.add_argument("--path-prefix", default="", help="URL path prefix, e.g. /p")
    ap.add_argument("--lenient", action="store_true",
                    help="accept what the real portal accepts (default: also refuse spec violations with 422)")
    ap.add_argument("--init", help="init payload (JSON or @file); default: built per gateway")
    ap.add_argument("--no-auto-init", action="store_true", help="do not push init after a join")
    ap.add_argument("--heartbeat", default="reply", choices=HEARTBEAT_MODES)
    ap.add_argument("--reject", help="STATUS[:COUNT]: answer upgrades with STATUS (hang/drop too)")
    ap.add_argument("--idle-timeout", type=float, default=37.0,
                    help="close 1000 after this many seconds without a frame (0 = never)")
    ap.add_argument("--shutdown-code", type=int, default=1012,
                    help="close code sent to gateways on SIGTERM (0 = drop the TCP connection)")
    ap.add_argument("--max-size", type=int, default=16 * 1024 * 1024, help="largest inbound message")
    ap.add_argument("--mode", default="legacy", choices=MODES,
                    help="legacy: the 2024 portal (v2 path answers 404); today: today's portal")
    ap.add_argument("--v1-compat", action="store_true",
                    help="today mode: on v2 connections, pushes of the 2024 protocol are sent as "
                    "today's (authorize_flow as create_authorization), filters on flow_authorized "
                    "match authorization_created, and request_connection/allow_access are refused")
    ap.add_argument("--retry-after", type=int,
                    help="Retry-After seconds sent with the --reject answers")
    a = ap.parse_args()
    if bool(a.tls_cert) != bool(a.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if a.reject:
        try:
            parse_status(a.reject.partition(":")[0])
        except ValueError:
            ap.error("--reject: unknown HTTP status %r" % a.reject)

    async def amain():
        await Emulator(a).run()

    asyncio.run(amain())
    return 0


if __name__ == "__main__":
    sys.exit(main())
