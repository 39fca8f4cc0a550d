#!/bin/sh
# Self-test of the portal emulator (tests/portal/): a small Python
# websockets client acting like a gateway talks to it over ws and wss on
# 127.0.0.1, while emuctl drives it and the frame log is checked.
# Needs python3 with Debian's python3-websockets and the openssl CLI; no root.
set -u
. "${FZ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/lib.sh"
trap fz_cleanup EXIT
trap 'exit 1' INT TERM

PORTAL="$FZ_TOP/tests/portal"
PY=""
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import websockets' >/dev/null 2>&1; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "no python3 with the websockets module (Debian package python3-websockets)"
command -v openssl >/dev/null 2>&1 || fail "openssl CLI missing (Debian package openssl)"
T=$FZ_TMP
ID=7c3f2a9e-4b1d-4e8a-9f60-2d5b8c1e0a37
TOKEN=.SFMyNTY.EXAMPLEPAYLOAD.EXAMPLESIGNATURE

ctl() { "$PY" "$PORTAL/emuctl.py" "$SOCK" "$@"; }

# start_emu NAME [ARGS...]: start an emulator; sets EMU_PID, SOCK, URL, LOG.
start_emu() {
	_n=$1
	shift
	SOCK="$T/$_n.sock"
	LOG="$T/$_n.jsonl"
	rm -f "$T/$_n.ready"
	"$PY" "$PORTAL/emulator.py" --host 127.0.0.1 --port 0 --log "$LOG" \
		--control "$SOCK" --ready-file "$T/$_n.ready" --token "$TOKEN" \
		--gateway-id "$ID" --name gw-test "$@" >"$T/$_n.out" 2>&1 &
	EMU_PID=$!
	FZ_PIDS="$FZ_PIDS $EMU_PID"
	_i=0
	while [ ! -s "$T/$_n.ready" ]; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || { cat "$T/$_n.out"; fail "emulator $_n did not start"; }
		kill -0 "$EMU_PID" 2>/dev/null || { cat "$T/$_n.out"; fail "emulator $_n exited"; }
		sleep 0.1
	done
	URL=$(cat "$T/$_n.ready")
}

# The gateway stand-in: connects like the spec's section 1 says, joins
# with ref 0, heartbeats every HB seconds, answers authorize_flow and
# request_connection, sends the frame of an "echo" push, and writes what
# happens as JSON lines to OUT.
cat >"$T/gw.py" <<'EOF'
import argparse, asyncio, base64, hashlib, json, os, ssl, sys
import websockets

ap = argparse.ArgumentParser()
ap.add_argument("url"); ap.add_argument("out")
ap.add_argument("--token", default=".SFMyNTY.EXAMPLEPAYLOAD.EXAMPLESIGNATURE")
ap.add_argument("--id", default="7c3f2a9e-4b1d-4e8a-9f60-2d5b8c1e0a37")
ap.add_argument("--name", default="gw-test")
ap.add_argument("--path", default="/gateway/websocket")
ap.add_argument("--query")
ap.add_argument("--ua", default="Debian/12.0.0 connlib/1.4.0 (x86_64; 6.1.0-test)")
ap.add_argument("--ca"); ap.add_argument("--sni")
ap.add_argument("--hb", type=float, default=0.3)
a = ap.parse_args()
out = open(a.out, "a", buffering=1)
def note(**kw): out.write(json.dumps(kw) + "\n")
def enc(s):
    return "".join(c if c.isalnum() and c.isascii() or c in "*-._" else "%%%02X" % b
                   for c in s for b in c.encode())
pk = base64.b64encode(os.urandom(32)).decode()
q = a.query if a.query is not None else "token=%s&external_id=%s&name=%s&public_key=%s" % (
    enc(a.token), hashlib.sha256(a.id.encode()).hexdigest(), enc(a.name), enc(pk))
ref = 0
def frame(topic, event, payload):
    global ref
    f = json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref})
    ref += 1
    return f
async def heartbeats(ws):
    while True:
        await asyncio.sleep(a.hb)
        await ws.send(frame("phoenix", "heartbeat", {}))
async def main():
    ctx = None
    if a.url.startswith("wss:"):
        ctx = ssl.create_default_context(cafile=a.ca)
    kw = {"server_hostname": a.sni} if a.sni else {}
    try:
        ws = await websockets.connect(a.url + a.path + "?" + q, ssl=ctx, compression=None,
                                      user_agent_header=a.ua, ping_interval=None, **kw)
    except websockets.exceptions.InvalidStatusCode as e:
        note(rejected=e.status_code); return
    except (ssl.SSLError, OSError) as e:
        note(error=type(e).__name__, detail=str(e)); return
    note(connected=True)
    await ws.send(frame("gateway", "phx_join", None))
    hb = asyncio.ensure_future(heartbeats(ws))
    try:
        async for m in ws:
            try:
                o = json.loads(m)
            except ValueError:
                note(garbage=m if isinstance(m, str) else repr(m)); continue
            note(recv=o)
            if not isinstance(o, dict):
                continue
            ev, p = o.get("event"), o.get("payload")
            if ev == "authorize_flow":
                await ws.send(frame("gateway", "flow_authorized", {"ref": p["ref"]}))
            elif ev == "request_connection":
                await ws.send(frame("gateway", "connection_ready", {"ref": p["ref"],
                    "gateway_payload": {"ConnectionAccepted": {"ice_parameters": {"username": "k3Xq", "password": "Zt0bQm4nYp8rWc2vHs6dLe"}}}}))
            elif ev == "echo":
                await ws.send(p["frame"] if isinstance(p["frame"], str) else json.dumps(p["frame"]))
    except websockets.exceptions.ConnectionClosed:
        pass
    hb.cancel()
    note(closed=ws.close_code, reason=ws.close_reason)
asyncio.run(main())
EOF

# gw NAME [ARGS...]: run the stand-in in the background; GW_PID, OUT.
gw() {
	OUT="$T/$1.gw"
	shift
	"$PY" "$T/gw.py" "$URL" "$OUT" "$@" >>"$T/gw.stderr" 2>&1 &
	GW_PID=$!
	FZ_PIDS="$FZ_PIDS $GW_PID"
}

start_at=$(date +%s)

# ---------------------------------------------------------------- ws
start_emu ws
case $URL in ws://127.0.0.1:[0-9]*) ok "listening on $URL" ;; *) fail "ready file says '$URL'" ;; esac
grep -q "listening on $URL" "$T/ws.out" || fail "no listening line on stdout"

gw a
j=$(ctl wait phx_join 5 --field record.json) || fail "no phx_join"
[ "$j" = '{"topic": "gateway", "event": "phx_join", "payload": null, "ref": 0}' ] || fail "join frame: $j"
ctl wait phx_reply 5 --dir p2g --match json.ref=0 --match json.topic='"gateway"' \
	--match json.payload='{"status":"ok","response":{}}' >/dev/null || fail "no join reply"
init=$(ctl wait init 5 --dir p2g --field record.json.payload) || fail "no init pushed"
echo "$init" | grep -q '"interface": {"ipv4": "100.64.0.7", "ipv6": "fd00:2021:1111::7"}' || fail "init payload: $init"
fz_wait_log "$OUT" '"event": "init"' 5
ok "join answered, init delivered"

# The upgrade request in the log: path, query in order, User-Agent.
up=$(ctl wait - 1 --kind upgrade --field record) || fail "no upgrade record"
echo "$up" | "$PY" -c '
import json, sys, hashlib
r = json.load(sys.stdin)
assert r["path"] == "/gateway/websocket", r
assert [k for k, v in r["query"]] == ["token", "external_id", "name", "public_key"], r["query"]
assert r["query"][1][1] == hashlib.sha256(b"7c3f2a9e-4b1d-4e8a-9f60-2d5b8c1e0a37").hexdigest()
assert r["user_agent"] == "Debian/12.0.0 connlib/1.4.0 (x86_64; 6.1.0-test)", r
assert any(k.lower() == "user-agent" for k, v in r["headers"]), r["headers"]
assert r["request_line"].startswith("GET /gateway/websocket?token=") and r["request_line"].endswith(" HTTP/1.1")
assert r["status"] == 101 and r["problems"] == [], r
' || fail "upgrade record wrong: $up"
ok "upgrade recorded (request line, headers, query in order)"

# Heartbeats: answered with the same ref on topic phoenix.
hb=$(ctl wait heartbeat 5 --field record.json.ref) || fail "no heartbeat"
ctl wait phx_reply 5 --dir p2g --match json.ref="$hb" --match json.topic='"phoenix"' \
	--match json.payload.status='"ok"' >/dev/null || fail "heartbeat $hb not answered"
ctl heartbeat ignore 2 >/dev/null || fail "heartbeat ignore"
ctl wait - 5 --kind note --match note='"heartbeat ignored"' --count 2 >/dev/null || fail "heartbeats not ignored"
hb=$(ctl wait heartbeat 5 --new --field record.json.ref) || fail "no heartbeat after ignoring"
ctl wait phx_reply 5 --dir p2g --match json.ref="$hb" >/dev/null || fail "heartbeats not answered again"
ok "heartbeat replies, ignore mode for 2"

st=$(ctl status) || fail "status"
echo "$st" | grep -q '"connected": true, "joined": true' || fail "status: $st"
[ "$(ctl status attempts)" = 1 ] && [ "$(ctl status connections)" = 1 ] || fail "counters: $st"
ok "status"

# Pushes built by payloads.py; the portal's replies to flow_authorized and
# connection_ready (ok for refs it issued, invalid_ref otherwise).
fref=$(ctl build authorize_flow expires_at=1731600000 --field payload.ref) || fail "push authorize_flow"
ctl wait flow_authorized 5 --match json.payload.ref="\"$fref\"" >/dev/null || fail "no flow_authorized"
fr=$(ctl records flow_authorized --field records.0.json.ref) || fail "records"
ctl wait phx_reply 5 --dir p2g --match json.ref="$fr" --match json.payload='{"status":"ok","response":{}}' >/dev/null ||
	fail "flow_authorized not answered ok"
pl=$("$PY" "$PORTAL/payloads.py" request_connection) || fail "payloads.py"
ctl push request_connection "$pl" >/dev/null || fail "push request_connection"
cr=$(ctl wait connection_ready 5 --field record.json.ref) || fail "no connection_ready"
ctl wait phx_reply 5 --dir p2g --match json.ref="$cr" --match json.payload.status='"ok"' >/dev/null || fail "connection_ready not answered"
ctl push echo '{"frame":{"topic":"gateway","event":"flow_authorized","payload":{"ref":"forged"},"ref":999}}' >/dev/null
ctl wait phx_reply 5 --dir p2g --match json.ref=999 \
	--match json.payload='{"status":"error","response":{"reason":"invalid_ref"}}' >/dev/null || fail "forged ref not refused"
ok "authorize_flow/request_connection round trips, invalid_ref"

# Unknown gateway event: the channel crashes (phx_error), later events get
# "unmatched topic"; duplicate refs are flagged in the log.
ctl push echo '{"frame":{"topic":"gateway","event":"bogus","payload":{},"ref":999}}' >/dev/null
ctl wait phx_error 5 --dir p2g >/dev/null || fail "no phx_error for an unknown event"
ctl wait bogus 5 --match problems.0='"duplicate ref 999"' >/dev/null || fail "duplicate ref not flagged"
ctl push echo '{"frame":{"topic":"gateway","event":"flow_authorized","payload":{"ref":"x"},"ref":1000}}' >/dev/null
ctl wait phx_reply 5 --dir p2g --match json.ref=1000 --match json.payload.response.reason='"unmatched topic"' >/dev/null ||
	fail "no unmatched topic after the crash"
[ "$(ctl status joined)" = false ] || fail "still joined after phx_error"
ok "unknown event -> phx_error, unmatched topic"

# Raw frames: garbage, duplicates, fragmented.
ctl send 'this is not json' --count 2 >/dev/null || fail "send"
ctl send-frag '{"event":"frag","payload":{},"ref":null,"topic":"gateway"}' 3 >/dev/null || fail "send-frag"
fz_wait_log "$OUT" '"event": "frag"' 5
[ "$(grep -c '"garbage": "this is not json"' "$OUT")" = 2 ] || fail "garbage frames not received twice"
ok "raw, duplicate and fragmented frames"

# wait timeout and quiet.
ctl wait nothing_like_this 0.3 >/dev/null 2>&1
[ $? -eq 3 ] || fail "wait timeout must exit 3"
ctl quiet connection_ready 0.5 >/dev/null || fail "quiet"
ok "wait timeout (exit 3), quiet"

# Close with a code: the client sees it.
ctl close 4000 bye >/dev/null || fail "close"
fz_wait_log "$OUT" '"closed": 4000, "reason": "bye"' 5
ctl wait - 5 --kind close --match by='"portal"' --match code=4000 >/dev/null || fail "close not logged"
ok "close 4000"

# Drop: abrupt end of TCP.
gw b
ctl wait phx_join 5 --conn 2 >/dev/null || fail "second connection did not join"
ctl drop >/dev/null || fail "drop"
fz_wait_log "$OUT" '"closed": 1006' 5
ok "drop"

# HTTP rejections: forced 401 for one attempt, then the real checks.
ctl reject 401 1 >/dev/null || fail "reject"
gw c
fz_wait_log "$OUT" '"rejected": 401' 5
ctl wait - 5 --kind upgrade --match status=401 --match body='"Invalid token"' >/dev/null || fail "401 not logged"
gw d
fz_wait_log "$OUT" '"connected": true' 5
ctl drop --conn 4 >/dev/null || fail "drop conn 4"
gw e --token wrong
fz_wait_log "$OUT" '"rejected": 401' 5
gw f --query "external_id=$(printf x | sha256sum | cut -c1-64)"
fz_wait_log "$OUT" '"rejected": 401' 5
ctl wait - 5 --kind upgrade --match body='"Missing token"' >/dev/null || fail "Missing token"
gw g --path /p/gateway/websocket
fz_wait_log "$OUT" '"rejected": 404' 5
gw h --ua "curl/8.0"
fz_wait_log "$OUT" '"rejected": 422' 5
ctl wait - 5 --kind upgrade --match status=422 --match body='"Invalid or missing connection parameters: last_seen_user_agent: is invalid\n"' >/dev/null ||
	fail "422 body for a bad User-Agent"
gw i --query "external_id=$(printf x | sha256sum | cut -c1-64)&token=$TOKEN&name=gw-test&public_key=Vkxt97L%2BElJY4%2Bu1Vw3mXOwAcqfBWawRG9u6g%2BFoqBA%3D"
fz_wait_log "$OUT" '"rejected": 422' 5
ctl wait - 5 --kind upgrade --match portal_status=101 --match status=422 >/dev/null || fail "strict order check"
ctl reject 503 >/dev/null
gw j
fz_wait_log "$OUT" '"rejected": 503' 5
ctl reject clear >/dev/null
ok "HTTP 401 (forced, wrong, missing token), 404, 422 (user agent, order), 503"

grep -q '"kind":"upgrade".*"status":101' "$LOG" || fail "log: no accepted upgrade line"
[ "$(grep -c '"kind":"open"' "$LOG")" = 3 ] || fail "log: expected 3 opened connections"
"$PY" - "$LOG" <<'EOF' || fail "frame log does not parse"
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert {"seq", "t", "kind"} <= set(r), r
    if r["kind"] == "frame" and r.get("opcode") == "text" and not r.get("crafted"):
        assert r["dir"] in ("g2p", "p2g") and "raw" in r and "json" in r and "conn" in r, r
        n += 1
assert n > 20, n
EOF
ok "frame log"

# SIGTERM: connected gateways get close 1012, the emulator exits 0.
gw k
ctl wait phx_join 5 --conn 11 >/dev/null || fail "no join on connection 11"
kill -TERM "$EMU_PID"
wait "$EMU_PID"
rc=$?
[ $rc -eq 0 ] || fail "emulator exit status $rc after SIGTERM"
fz_wait_log "$OUT" '"closed": 1012' 5
[ ! -e "$SOCK" ] || fail "control socket left behind"
tail -n 1 "$LOG" | grep -q '"kind":"stop"' || fail "no stop record"
ok "SIGTERM"

# ---------------------------------------------------------------- wss
sh "$PORTAL/make-ca.sh" "$T/ca" || fail "make-ca.sh"
for f in ca.pem server.pem server.key wronghost.pem untrusted.pem expired.pem; do
	[ -s "$T/ca/$f" ] || fail "make-ca.sh did not write $f"
done
start_emu wss --tls-cert "$T/ca/server.pem" --tls-key "$T/ca/server.key" --heartbeat ignore
case $URL in wss://127.0.0.1:[0-9]*) ;; *) fail "wss ready file says '$URL'" ;; esac
gw wa --ca "$T/ca/ca.pem"
ctl wait phx_join 5 >/dev/null || fail "no join over wss"
ctl wait init 5 --dir p2g >/dev/null || fail "no init over wss"
gw wb --ca "$T/ca/ca.pem" --sni portal.test
ctl wait phx_join 5 --conn 2 >/dev/null || fail "no join over wss with SNI portal.test"
ctl wait - 5 --kind note --match note='"heartbeat ignored"' >/dev/null || fail "--heartbeat ignore"
ctl push disconnect '{"reason":"token_expired"}' --conn 2 >/dev/null || fail "push disconnect"
fz_wait_log "$OUT" '"event": "disconnect"' 5
gw wc
fz_wait_log "$OUT" '"error": "SSLCertVerificationError"' 5
ok "wss with the test CA (IP and portal.test), untrusted without it"
start_emu wrong --tls-cert "$T/ca/wronghost.pem" --tls-key "$T/ca/wronghost.key"
gw wd --ca "$T/ca/ca.pem" --sni portal.test
fz_wait_log "$OUT" '"error": "SSLCertVerificationError"' 5
ok "wrong-host certificate refused"

echo "test_emulator: done in $(( $(date +%s) - start_at ))s"
