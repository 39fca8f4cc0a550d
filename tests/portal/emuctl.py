#!/usr/bin/python3
"""emuctl.py SOCKET COMMAND [ARGS]: drive a running portal emulator.

Sends one JSON command line to the emulator's control socket and prints the
JSON answer line (or, with --field PATH, only that part of it: a string is
printed bare, anything else as JSON).  Exit status: 0 ok, 1 the emulator
answered an error, 3 a wait timed out, 2 usage or connection problems.

Commands (see README.md for the whole reference):
  status [FIELD]                    state (connected, joined, attempts, ...)
  push EVENT [PAYLOAD]              push EVENT on topic gateway; PAYLOAD is JSON,
                                    @FILE or - (stdin); init without PAYLOAD = default
  push-many PUSHES                  bulk: PUSHES (JSON, @FILE or -) is a list of
                                    {event, payload[, topic, ref]}; answers the count
  build EVENT [NAME=VALUE...]       push a payloads.py-built EVENT payload
  wait EVENT [TIMEOUT]              next unconsumed gateway frame with EVENT (- = any)
  quiet EVENT SECONDS               succeed if no such frame arrives in SECONDS
  count [EVENT]                     how many matching records (consumed or not)
  records [EVENT]                   the matching records
  close [CODE [REASON]]             close handshake (CODE none = empty close frame)
  drop                              abort the TCP connection
  heartbeat MODE [COUNT]            reply|ignore|error|string_ref|null_ref|wrong_ref|bad_response
  join MODE [REASON] [--count N]    ok|error|ignore|noreply
  reject STATUS [COUNT] [--body B] [--retry-after S]
                                    answer the next COUNT (default: all) upgrades with
                                    STATUS (hang, drop too), with a Retry-After of S
                                    seconds (today mode: 503 has 1 by default);
                                    STATUS clear = stop
  unjoin                            forget that the gateway joined (the portal lost
                                    the channel; after an "unmatched topic" reply)
  reply EVENT MODE [REASON]         flow_authorized|connection_ready|metrics:
                                    check|ok|error|ignore|crash
  init PAYLOAD|off|on               set the init payload pushed after each join
  send TEXT [--count N]             a raw text frame;  send-json JSON;  send-b64 B64
  send-big SIZE                     a valid frame with SIZE bytes of padding
  send-frag TEXT PARTS              TEXT as a fragmented message
  frame OPCODE [TEXT] [--nofin] [--rsv N] [--mask] [--b64 B64]
  ping [TEXT]                       a WebSocket ping (the real portal never sends one)
  set NAME=JSON...                  idle_timeout, strict, token, gateway_id, name,
                                    path_prefix, auto_init, init, reset_refs,
                                    mode ("legacy": the 2024 portal, "today")
  cmd JSON                          any command object as is
  shutdown                          stop the emulator (same as SIGTERM)

Filter options (wait, quiet, count, records): --kind K (frame, upgrade, open,
close, note, control, idle_timeout, probe), --dir g2p|p2g|any, --topic T, --conn N,
--opcode O, --match PATH=JSON (repeatable, PATH into the record such as
json.payload.ref), --after SEQ, --new, --peek, --count N.
"""

import json
import os
import socket
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class Usage(Exception):
    pass


def jarg(s):
    if s == "-":
        return json.load(sys.stdin)
    if s.startswith("@"):
        with open(s[1:]) as f:
            return json.load(f)
    return json.loads(s)


def jval(s):
    try:
        return json.loads(s)
    except ValueError:
        return s


def parse(argv):
    """Returns (command dict, field path, socket timeout)."""
    opts = {}
    field = None
    pos = []
    match = {}
    i = 0
    flags = {"--new": "new", "--peek": "peek", "--nofin": "nofin", "--mask": "mask"}
    valued = {"--kind": "kind", "--dir": "dir", "--topic": "topic", "--conn": "conn",
              "--opcode": "opcode", "--after": "after", "--count": "count", "--body": "body",
              "--rsv": "rsv", "--b64": "b64", "--reason": "reason", "--ref": "ref",
              "--retry-after": "retry_after"}
    while i < len(argv):
        a = argv[i]
        if a in flags:
            opts[flags[a]] = True
        elif a in valued or a in ("--field", "--match"):
            if i + 1 >= len(argv):
                raise Usage("%s needs a value" % a)
            v = argv[i + 1]
            i += 1
            if a == "--field":
                field = v
            elif a == "--match":
                if "=" not in v:
                    raise Usage("--match PATH=JSON")
                k, _, val = v.partition("=")
                match[k] = jval(val)
            else:
                opts[valued[a]] = v
        else:
            pos.append(a)
        i += 1
    if not pos:
        raise Usage("no command")
    name, rest = pos[0], pos[1:]
    req = {}
    for k in ("conn", "after", "count", "rsv"):
        if k in opts:
            opts[k] = int(opts[k])
    if "ref" in opts:
        opts["ref"] = jval(opts["ref"])
    filt = {k: opts[k] for k in ("kind", "dir", "topic", "conn", "opcode", "after", "new", "peek")
            if k in opts}
    if match:
        filt["match"] = match

    def need(n, usage):
        if len(rest) < n:
            raise Usage(usage)

    if name == "status":
        req = {"cmd": "status"}
        if rest:
            field = rest[0]
    elif name == "push":
        need(1, "push EVENT [PAYLOAD|@FILE|-]")
        req = {"cmd": "push", "event": rest[0]}
        if len(rest) > 1:
            req["payload"] = jarg(rest[1])
        for k in ("topic", "conn", "ref"):
            if k in opts:
                req[k] = opts[k]
    elif name == "push-many":
        need(1, "push-many PUSHES|@FILE|-")
        req = {"cmd": "push_many", "pushes": jarg(rest[0])}
        if "conn" in opts:
            req["conn"] = opts["conn"]
    elif name == "build":
        need(1, "build EVENT [NAME=VALUE...]")
        args = {}
        for a in rest[1:]:
            if "=" not in a:
                raise Usage("build: %r is not NAME=VALUE" % a)
            k, _, v = a.partition("=")
            args[k] = jval(v)
        req = {"cmd": "push", "event": rest[0], "build": rest[0], "args": args}
        if "conn" in opts:
            req["conn"] = opts["conn"]
    elif name in ("wait", "quiet", "count", "records"):
        if name in ("wait", "quiet"):
            need(1, "%s EVENT [TIMEOUT]" % name)
        req = dict(filt, cmd=name)
        if rest:
            req["event"] = rest[0]
        if len(rest) > 1:
            req["timeout"] = float(rest[1])
        elif name == "quiet":
            raise Usage("quiet EVENT SECONDS")
        if name == "wait" and "count" in opts:
            req["count"] = opts["count"]
    elif name == "close":
        req = {"cmd": "close"}
        if rest:
            req["code"] = None if rest[0] in ("none", "null") else int(rest[0])
        if len(rest) > 1:
            req["reason"] = rest[1]
    elif name == "drop":
        req = {"cmd": "drop"}
    elif name == "heartbeat":
        need(1, "heartbeat MODE [COUNT]")
        req = {"cmd": "heartbeat", "mode": rest[0]}
        if len(rest) > 1:
            req["count"] = int(rest[1])
        if "reason" in opts:
            req["reason"] = opts["reason"]
    elif name == "join":
        need(1, "join MODE [REASON]")
        req = {"cmd": "join", "mode": rest[0]}
        if len(rest) > 1:
            req["reason"] = rest[1]
        if "count" in opts:
            req["count"] = opts["count"]
    elif name == "reject":
        need(1, "reject STATUS [COUNT]")
        req = {"cmd": "reject", "status": None if rest[0] in ("clear", "none", "0") else rest[0]}
        if len(rest) > 1:
            req["count"] = int(rest[1])
        if "body" in opts:
            req["body"] = opts["body"]
        if "retry_after" in opts:
            req["retry_after"] = int(opts["retry_after"])
    elif name == "unjoin":
        req = {"cmd": "unjoin"}
    elif name == "reply":
        need(2, "reply EVENT MODE [REASON]")
        req = {"cmd": "reply", "event": rest[0], "mode": rest[1]}
        if len(rest) > 2:
            req["reason"] = rest[2]
    elif name == "init":
        need(1, "init PAYLOAD|off|on")
        if rest[0] in ("off", "on"):
            req = {"cmd": "init", "auto": rest[0] == "on"}
        else:
            req = {"cmd": "init", "payload": jarg(rest[0])}
    elif name == "send":
        need(1, "send TEXT")
        req = {"cmd": "send", "text": rest[0]}
    elif name == "send-json":
        need(1, "send-json JSON")
        req = {"cmd": "send", "json": jarg(rest[0])}
    elif name == "send-b64":
        need(1, "send-b64 BASE64")
        req = {"cmd": "send", "b64": rest[0]}
    elif name == "send-big":
        need(1, "send-big SIZE")
        req = {"cmd": "send", "big": int(rest[0])}
    elif name == "send-frag":
        need(2, "send-frag TEXT PARTS")
        req = {"cmd": "send", "text": rest[0], "fragments": int(rest[1])}
    elif name == "frame":
        need(1, "frame OPCODE [TEXT]")
        req = {"cmd": "frame", "opcode": int(rest[0], 0), "fin": not opts.get("nofin", False),
               "rsv": opts.get("rsv", 0), "mask": opts.get("mask", False)}
        if "b64" in opts:
            req["b64"] = opts["b64"]
        elif len(rest) > 1:
            req["text"] = rest[1]
    elif name == "ping":
        req = {"cmd": "ping", "text": rest[0] if rest else ""}
    elif name == "set":
        req = {"cmd": "set"}
        for a in rest:
            if "=" not in a:
                raise Usage("set NAME=JSON...")
            k, _, v = a.partition("=")
            req[k] = jval(v)
    elif name == "cmd":
        need(1, "cmd JSON")
        req = jarg(rest[0])
    elif name == "shutdown":
        req = {"cmd": "shutdown"}
    else:
        raise Usage("unknown command %r" % name)
    if name in ("send", "send-json", "send-b64", "send-big", "send-frag") and "count" in opts:
        req["count"] = opts["count"]
    if "conn" in opts and name not in ("wait", "quiet", "count", "records"):
        req.setdefault("conn", opts["conn"])
    timeout = float(req.get("timeout", 10)) + 30 if isinstance(req, dict) else 40
    return req, field, timeout


def call(sock_path, req, timeout=40.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    try:
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return json.loads(buf)


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) < 2 else sys.stdout)
        return 2 if len(argv) < 2 or argv[1] not in ("-h", "--help") else 0
    try:
        req, field, timeout = parse(argv[2:])
    except (Usage, ValueError) as e:
        print("emuctl: %s" % e, file=sys.stderr)
        return 2
    try:
        ans = call(argv[1], req, timeout)
    except (OSError, ValueError) as e:
        print("emuctl: %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    if field is not None and ans.get("ok"):
        from_path = ans
        try:
            for part in field.split("."):
                from_path = from_path[int(part)] if isinstance(from_path, list) else from_path[part]
        except (KeyError, IndexError, ValueError, TypeError):
            print("emuctl: no field %r in %s" % (field, json.dumps(ans)), file=sys.stderr)
            return 1
        print(from_path if isinstance(from_path, str) else json.dumps(from_path))
    else:
        print(json.dumps(ans))
    if ans.get("ok"):
        return 0
    if ans.get("timeout"):
        print("emuctl: timed out: %s" % json.dumps(req), file=sys.stderr)
        return 3
    print("emuctl: %s" % ans.get("error"), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
