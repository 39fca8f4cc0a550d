#!/bin/sh
# Operations: /healthz and /readyz in each state, systemd notification,
# JSON log lines, and the token kept out of logs, command lines and
# environments.  Uses the portal emulator.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
trap fz_cleanup EXIT
fz_need_root
fz_users
fz_netns health
TOKEN=health-test-token-secret-1234
emu_start portal --token "$TOKEN" --gateway-id hc-id --name hc --no-auto-init

# A notification socket like systemd's, in the namespace's filesystem view.
ip netns exec "$FZ_NETNS" "$PY" - "$FZ_TMP/notify.sock" "$FZ_TMP/notify.log" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
PY
NOTIFY_PID=$!
FZ_PIDS="$FZ_PIDS $NOTIFY_PID"
sleep 0.3

HC=127.0.0.1:18081
FIREZONE_TOKEN=$TOKEN NOTIFY_SOCKET="$FZ_TMP/notify.sock" WATCHDOG_USEC=400000 \
	fz_start_gateway "$FZ_TMP/gw.log" -u "$EMU_URL" -i hc-id -n hc --health-check-addr "$HC" \
	--log-format json --log-level debug
emu wait phx_join 10 >/dev/null || fail "gateway did not join"
fz_wait_log "$FZ_TMP/notify.log" "READY=1" 5
fz_wait_log "$FZ_TMP/notify.log" "WATCHDOG=1" 5
ok "systemd notification: READY=1 and watchdog"

[ "$(http_code "http://$HC/healthz")" = 200 ] || fail "/healthz not 200"
[ "$(http_code "http://$HC/readyz")" = 503 ] || fail "/readyz should be 503 without init and relays"
ok "joined, no relay: /healthz 200, /readyz 503"

# A relay that does not answer: offered, never allocated, still not ready.
emu push init "$(payload init relays="[$(payload turn_relay addr=127.0.0.1:9)]")" >/dev/null ||
	fail "cannot push init"
sleep 1
[ "$(http_code "http://$HC/readyz")" = 503 ] || fail "/readyz 200 with no relay allocated"
ok "relay offered but unreachable: /readyz 503"

# A real relay (coturn): allocated, ready.
coturn_start 127.0.0.1
emu push init "$(payload init relays="[$(relay_json 127.0.0.1:$TURN_PORT)]")" >/dev/null ||
	fail "cannot push init"
i=0
until [ "$(http_code "http://$HC/readyz")" = 200 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { grep -i 'turn\|relay' "$FZ_TMP/gw.log" | tail -5; fail "/readyz not 200 after a relay was allocated"; }; sleep 0.1
done
fz_wait_log "$FZ_TMP/gw.log" "relay allocated" 5
fz_wait_log "$FZ_TMP/notify.log" "allocated" 5
ok "relay allocated on coturn: /readyz 200, STATUS updated"

# /metrics: strict text exposition format, and values that follow the state.
# The parser is tests/integ/metrics_lib.py, shared with test_observability.sh.
ip netns exec "$FZ_NETNS" "$PY" - "http://$HC/metrics" "$FZ_TOP/tests/integ" <<'PY' || fail "/metrics"
import sys, time
sys.path.insert(0, sys.argv[2])
from metrics_lib import parse, scrape
s = parse(scrape(sys.argv[1]))
for k in ("firezone_gateway_relays_allocated", "firezone_gateway_portal_connected",
          'firezone_gateway_dropped_packets_total{reason="denied_by_filter"}',
          'firezone_gateway_packets_total{direction="rx"}', "firezone_gateway_process_start_time_seconds",
          "firezone_gateway_flows_active", "firezone_gateway_flow_log_records_total",
          "firezone_gateway_flows_untracked_total"):
    assert k in s, "missing " + k
assert s["firezone_gateway_relays_allocated"] == 1, s["firezone_gateway_relays_allocated"]
assert s["firezone_gateway_portal_connected"] == 1
assert abs(s["firezone_gateway_process_start_time_seconds"] - time.time()) < 600
assert s["firezone_gateway_flows_active"] == 0 and s["firezone_gateway_flow_log_records_total"] == 0
print("    /metrics: %d samples parse strictly" % len(s))
PY
ok "/metrics parses strictly; relays_allocated 1, portal_connected 1"

# Portal gone: not ready, still alive.
emu reject 503 >/dev/null
emu drop >/dev/null
i=0
until [ "$(http_code "http://$HC/readyz")" = 503 ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "/readyz still 200 without the portal"; sleep 0.1
done
[ "$(http_code "http://$HC/healthz")" = 200 ] || fail "/healthz not 200 while reconnecting"
ip netns exec "$FZ_NETNS" "$PY" - "$HC" <<'PY' || fail "method and path answers"
import sys, http.client
c = http.client.HTTPConnection(sys.argv[1], timeout=5)
c.request("POST", "/healthz"); r = c.getresponse(); r.read(); assert r.status == 405, r.status
c.request("GET", "/other"); r = c.getresponse(); r.read(); assert r.status == 404, r.status
c.request("HEAD", "/healthz"); r = c.getresponse(); r.read(); assert r.status == 200, r.status
PY
ok "portal lost: /readyz 503, /healthz 200; 404 and 405 answered"

# Token: not in command lines, environments or logs.
CTL_PID=$(fz_control_pid "$GW_PID")
for p in $GW_PID $CTL_PID; do
	tr '\0' '\n' <"/proc/$p/cmdline" | grep -q "$TOKEN" && fail "token in /proc/$p/cmdline"
	tr '\0' '\n' <"/proc/$p/environ" | grep -q "$TOKEN" && fail "token in /proc/$p/environ"
done
kill -TERM "$GW_PID"
wait "$GW_PID" || fail "gateway exit status $?"
grep -q "$TOKEN" "$FZ_TMP/gw.log" && fail "token in the logs"
fz_wait_log "$FZ_TMP/notify.log" "STOPPING=1" 2
ok "token absent from cmdline, environ and logs"

# Every log line is one JSON object with the expected keys.
"$PY" - "$FZ_TMP/gw.log" <<'PY' || fail "log lines are not all JSON"
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert set(o) == {"ts", "level", "process", "pid", "msg"}, o
    assert o["process"] in ("dataplane", "control"), o
    n += 1
assert n > 10, n
PY
ok "JSON log lines parse"
exit 0
