#!/bin/sh
# Observability end to end (issue 11): /metrics and flow logs while a real
# client (libnice's NiceAgent + wireguard-go through the shim, signalled by
# the portal emulator; see e2e_lib.sh) sends known traffic through the
# gateway, which runs with FIREZONE_FLOW_LOGS=true and --flow-log-interval 2.
#
# Scenarios (one PASS/FAIL line each, then a summary):
#   metrics   /metrics scraped (strictly, with tests/integ/metrics_lib.py)
#             before the tunnel and after the traffic below: packets and bytes
#             each way, a completed handshake, drops denied_by_filter (TCP and
#             UDP to ports outside the grant's filters) and no_peer (the
#             resource pinging an unknown tunnel address), ICMP prohibited
#             replies, one client connected on a direct path, flows counted
#   flowlog   every flow line is JSON on its own line (the log format is text):
#             1 MiB of TCP client -> resource ends with reason "end" and
#             byte counts equal to the payload plus 40-80 header bytes per
#             packet; 40 UDP datagrams of 1000 bytes echoed back over 4 s have
#             interval lines, then exact totals when reject_access revokes the
#             resource (reason "revoked"); UDP to a DNS resource's proxy IP
#             shows the proxy and the real address; ICMP echo has its
#             identifier; client id, resource ids and 5-tuples are right;
#             denied packets make no flow
#
# Run (root): FZ_TOP=$PWD FZ_BUILD=build sh tests/integ/test_observability.sh
# Needs what test_e2e_direct.sh needs.  Logs of the last run are kept in
# $FZ_BUILD/integ/observability/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
. "$(dirname "$0")/wg_lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

E2E_SUITE=observability
. "$(dirname "$0")/scenario_lib.sh"
obs_cleanup() {
	save_logs
	e2e_cleanup
	[ -n "${WG_GW:-}" ] && rm -rf "/etc/netns/$WG_GW"
}
trap obs_cleanup EXIT
trap 'exit 1' INT TERM HUP
e2e_preflight

CLIENT_ID=7d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b
METRICS_URL=http://127.0.0.1:18080/metrics
TCP_BYTES=1048576
TCP_SPORT=40123
UDP_SPORT=40200
UDP_COUNT=40
UDP_SIZE=1000
DNS_SPORT=40300
DNS_COUNT=10
DNS_SIZE=500
OBS_PY="$FZ_TMP/obs.py"
T_START=$(date +%s)

dump_on_fail() {
	echo "--- gateway log (last 40 lines) ---"
	tail -n 40 "$E2E_GW_LOG"
	echo "--- shim ---"
	tail -n 10 "$E2E_SHIM_LOG"
}

# Traffic helpers with known 5-tuples, run in the client or resource namespace.
cat >"$OBS_PY" <<'PY'
import socket, sys, time

def tcp_sink(host, port):
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((host, int(port)))
    l.listen(1)
    l.settimeout(30)
    c, _ = l.accept()
    c.settimeout(30)
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.close()
    print("bytes=%d" % n)

def tcp_put(host, port, sport, nbytes):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("100.64.0.2", int(sport)))
    c.settimeout(30)
    c.connect((host, int(port)))
    c.sendall(b"\x5a" * int(nbytes))
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    c.close()
    print("bytes=%d" % int(nbytes))

def udp_echo(host, port, count, deadline):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    end = time.monotonic() + float(deadline)
    n = 0
    while n < int(count) and time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            b, a = s.recvfrom(65536)
        except socket.timeout:
            break
        s.sendto(b, a)
        n += 1
    print("echoed=%d" % n)

def udp_send(host, port, sport, count, size, interval):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("100.64.0.2", int(sport)))
    s.setblocking(False)
    sent = got = 0
    def drain():
        n = 0
        while True:
            try:
                s.recvfrom(65536)
                n += 1
            except (BlockingIOError, InterruptedError):
                return n
            except OSError:
                continue
    for i in range(int(count)):
        try:
            s.sendto(bytes([i & 0xff]) * int(size), (host, int(port)))
            sent += 1
        except OSError:
            pass
        time.sleep(float(interval))
        got += drain()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        time.sleep(0.05)
        got += drain()
    print("sent=%d received=%d" % (sent, got))

def tcp_try(host, port):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(3)
    try:
        c.connect((host, int(port)))
        print("result=connected")
    except OSError as e:
        print("result=%s" % (e.strerror or str(e)).replace(" ", "_"))

f = globals()[sys.argv[1]]
f(*sys.argv[2:])
PY

# field NAME TEXT: a NAME=value field of a helper's output.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# scrape FILE: /metrics as a JSON object of samples (strict parse).
scrape() {
	in_ns "$WG_GW" "$PY" "$FZ_TOP/tests/integ/metrics_lib.py" "$METRICS_URL" >"$1"
}

# ------------------------------------------------------------------ set-up
e2e_build_shim
wg_topology
# The gateway's resolver for the DNS resource: its hosts file only.
mkdir -p "/etc/netns/$WG_GW"
printf '10.99.0.2 app.resource.test\n' >"/etc/netns/$WG_GW/hosts"
printf 'nameserver 127.0.0.1\n' >"/etc/netns/$WG_GW/resolv.conf"
e2e_net
e2e_coturn
e2e_emulator
# Flow logs on through the environment, the interval through the flag.
FIREZONE_FLOW_LOGS=true
export FIREZONE_FLOW_LOGS
e2e_gateway --flow-log-interval 2
unset FIREZONE_FLOW_LOGS
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "the gateway did not join the emulator"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) ||
	fail "no accepted upgrade"
e2e_wait_file "$E2E_GW_LOG" "flow logs: on, a line per flow when it ends and every 2 s" 5 ||
	{ cat "$E2E_GW_LOG"; fail "the dataplane did not turn flow logs on"; }
e2e_wait_file "$E2E_GW_LOG" "portal: init: " 10 || { cat "$E2E_GW_LOG"; fail "the gateway did not take the init"; }

umask 077
wg genkey >"$WGD/client.key" || fail "wg genkey"
umask 022
CL_PUB=$(wg pubkey <"$WGD/client.key")
PSK=$(wg genpsk)
printf '%s\n' "$PSK" >"$WGD/psk"
FILTERS='[{"protocol":"tcp","port_range_start":5400,"port_range_end":5499},{"protocol":"udp","port_range_start":6000,"port_range_end":6099},{"protocol":"icmp"}]'
RES4=$(payload cidr_resource address=10.99.0.0/24 name="resource LAN (filtered)" filters="$FILTERS")
payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" preshared_key="$PSK" \
	client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" resource="$RES4" \
	gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$FZ_TMP/flow1.json" ||
	fail "authorize_flow payload"
REF=$(e2e_json "$FZ_TMP/flow1.json" 'j["ref"]')
RES4_ID=$(e2e_json "$FZ_TMP/flow1.json" 'j["resource"]["id"]')
e2e_shim shim "$(e2e_json "$FZ_TMP/flow1.json" 'j["client_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow1.json" 'j["client_ice_credentials"]["password"]')" \
	"$(e2e_json "$FZ_TMP/flow1.json" 'j["gateway_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow1.json" 'j["gateway_ice_credentials"]["password"]')"
e2e_signal "$CLIENT_ID" "$REF"
emu push authorize_flow "@$FZ_TMP/flow1.json" >/dev/null || fail "push authorize_flow"
emu wait flow_authorized 10 --match "json.payload.ref=$REF" >/dev/null || { dump_on_fail; fail "no flow_authorized"; }
# A second resource on the same connection: a DNS resource (the portal's upsert).
RESD=$(payload dns_resource address='*.resource.test' name="resource names")
payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" preshared_key="$PSK" \
	client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" resource="$RESD" \
	gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$FZ_TMP/flow2.json" ||
	fail "authorize_flow payload"
REF2=$(e2e_json "$FZ_TMP/flow2.json" 'j["ref"]')
RESD_ID=$(e2e_json "$FZ_TMP/flow2.json" 'j["resource"]["id"]')
emu push authorize_flow "@$FZ_TMP/flow2.json" >/dev/null || fail "push authorize_flow (DNS)"
emu wait flow_authorized 10 --match "json.payload.ref=$REF2" >/dev/null || { dump_on_fail; fail "no flow_authorized (DNS)"; }
e2e_wait_file "$E2E_SHIM_LOG" '^shim: selected pair ' 20 || { dump_on_fail; fail "no ICE pair"; }
e2e_wait_file "$E2E_GW_LOG" "client $CLIENT_ID: path chosen: direct" 10 || { dump_on_fail; fail "no direct path"; }
echo "    set-up: client $CLIENT_ID, resources $RES4_ID (CIDR, filtered) and $RESD_ID (DNS) (t=$(( $(date +%s) - T0 )) s)"

# ---------------------------------------------------------------- traffic
sleep 1.2
scrape "$FZ_TMP/metrics0.json" || fail "first /metrics scrape"
wg_client_start
in_ns "$WG_CL" wg set "$WG_IF" peer "$GWPUB" endpoint "127.0.0.1:$SHIM_PORT" preshared-key "$WGD/psk" \
	persistent-keepalive 25 \
	allowed-ips 100.64.0.0/11,fd00:2021:1111::/107,10.99.0.0/24,fd00:99::/64,100.96.0.0/11,::/128 ||
	fail "wg set peer"
ip -n "$WG_CL" route add 100.96.0.0/11 dev "$WG_IF" || fail "route v4 proxies"
PING=$(wg_ping "$WG_CL" 10.99.0.2 3 0.2 8)
echo "    ping 10.99.0.2: $PING"
[ "$(wg_field "$PING" received)" -ge 1 ] || { dump_on_fail; fail "no ping through the tunnel"; }

# 1 MiB client -> resource over TCP from a known port.
ip netns exec "$WG_RES" "$PY" "$OBS_PY" tcp_sink 10.99.0.2 5401 >"$FZ_TMP/tcp_sink.out" 2>&1 &
SINK=$!
wg_wait_port "$WG_RES" 5401 || true
PUT=$(in_ns "$WG_CL" "$PY" "$OBS_PY" tcp_put 10.99.0.2 5401 "$TCP_SPORT" "$TCP_BYTES" 2>&1)
wait "$SINK"
GOT=$(cat "$FZ_TMP/tcp_sink.out")
echo "    tcp 100.64.0.2:$TCP_SPORT -> 10.99.0.2:5401: sent $PUT, resource got $GOT"
[ "$(field bytes "$GOT")" = "$TCP_BYTES" ] || { dump_on_fail; fail "the TCP transfer did not arrive whole"; }

# UDP datagrams echoed back, over 4 s (two flow-log intervals).
ip netns exec "$WG_RES" "$PY" "$OBS_PY" udp_echo 10.99.0.2 6001 "$UDP_COUNT" 20 >"$FZ_TMP/udp_echo.out" 2>&1 &
ECHO=$!
sleep 0.3
UDP=$(in_ns "$WG_CL" "$PY" "$OBS_PY" udp_send 10.99.0.2 6001 "$UDP_SPORT" "$UDP_COUNT" "$UDP_SIZE" 0.1)
wait "$ECHO"
echo "    udp 100.64.0.2:$UDP_SPORT -> 10.99.0.2:6001: $UDP, resource $(cat "$FZ_TMP/udp_echo.out")"
UDP_GOT=$(field received "$UDP")

# UDP to the DNS resource's proxy IP (translated to 10.99.0.2).
OUT=$(in_ns "$WG_CL" /usr/bin/python3 "$FZ_TOP/tests/integ/dns_p2p.py" "$WG_IF" "$RESD_ID" \
	app.resource.test 100.96.0.1 12) || { echo "$OUT"; dump_on_fail; fail "no DomainStatus for app.resource.test"; }
echo "$OUT" | grep -q '"status": "Active"' || fail "app.resource.test not Active: $OUT"
ip netns exec "$WG_RES" "$PY" "$OBS_PY" udp_echo 10.99.0.2 6002 "$DNS_COUNT" 20 >"$FZ_TMP/dns_echo.out" 2>&1 &
ECHO=$!
sleep 0.3
DNSU=$(in_ns "$WG_CL" "$PY" "$OBS_PY" udp_send 100.96.0.1 6002 "$DNS_SPORT" "$DNS_COUNT" "$DNS_SIZE" 0.05)
wait "$ECHO"
echo "    udp 100.64.0.2:$DNS_SPORT -> 100.96.0.1:6002 (10.99.0.2): $DNSU, resource $(cat "$FZ_TMP/dns_echo.out")"
DNS_GOT=$(field received "$DNSU")

# Deliberate drops: ports outside the filters, and a tunnel address nobody has.
DENY_TCP=$(in_ns "$WG_CL" "$PY" "$OBS_PY" tcp_try 10.99.0.2 7000)
DENY_UDP=$(in_ns "$WG_CL" "$PY" "$OBS_PY" udp_send 10.99.0.2 7001 40400 5 100 0.05)
NOPEER=$(wg_ping "$WG_RES" 100.64.0.99 3 0.1 1)
echo "    denied: tcp :7000 $DENY_TCP; udp :7001 $DENY_UDP; resource -> 100.64.0.99 (no peer): $NOPEER"
sleep 2.2
scrape "$FZ_TMP/metrics1.json" || fail "second /metrics scrape"

# ---------------------------------------------------------------- metrics
scenario metrics "/metrics counters follow the traffic and the drops"
check "/metrics counters moved as the traffic and the drops require" \
	"$PY" - "$FZ_TMP/metrics0.json" "$FZ_TMP/metrics1.json" "$TCP_BYTES" "$UDP_COUNT" "$UDP_SIZE" <<'PY'
import json, sys
m0, m1 = (json.load(open(f)) for f in sys.argv[1:3])
tcp, ucount, usize = (int(x) for x in sys.argv[3:6])
G = "firezone_gateway_"
def d(k):
    return m1.get(G + k, 0) - m0.get(G + k, 0)
bad = []
def want(ok, what):
    print("    %s %s" % ("ok  " if ok else "FAIL", what))
    if not ok:
        bad.append(what)
rx_p, tx_p = d('packets_total{direction="rx"}'), d('packets_total{direction="tx"}')
rx_b, tx_b = d('bytes_total{direction="rx"}'), d('bytes_total{direction="tx"}')
want(rx_b >= tcp + ucount * (usize + 28), "bytes rx +%d >= the TCP payload and the UDP datagrams" % rx_b)
want(tx_b >= ucount * (usize + 28) // 2, "bytes tx +%d >= half the echoed datagrams" % tx_b)
want(rx_p >= tcp // 1400 + ucount, "packets rx +%d >= %d" % (rx_p, tcp // 1400 + ucount))
want(tx_p >= ucount // 2, "packets tx +%d" % tx_p)
want(m0.get(G + 'handshakes_total{result="completed"}', -1) == 0, "no handshake before the tunnel")
want(d('handshakes_total{result="completed"}') >= 1, "handshakes completed +%d" % d('handshakes_total{result="completed"}'))
want(d('handshakes_total{result="started"}') >= 1, "handshakes started +%d" % d('handshakes_total{result="started"}'))
den = d('dropped_packets_total{reason="denied_by_filter"}')
want(den >= 6, "drops denied_by_filter +%d >= 6 (5 UDP, 1+ TCP SYN)" % den)
np_ = d('dropped_packets_total{reason="no_peer"}')
want(np_ >= 3, "drops no_peer +%d >= 3" % np_)
want(d("icmp_prohibited_total") >= 1, "ICMP prohibited replies +%d" % d("icmp_prohibited_total"))
for r in ("decryption_failed", "spoofed_source", "malformed"):
    want(d('dropped_packets_total{reason="%s"}' % r) == 0, "no drop for %s" % r)
want(m1.get(G + "clients_connected") == 1, "clients_connected 1")
want(m1.get(G + 'connections{path="direct"}') == 1, "connections direct 1")
want(m1.get(G + "flows_active", 0) >= 2, "flows_active %d >= 2" % m1.get(G + "flows_active", 0))
want(d("flow_log_records_total") >= 1, "flow_log_records_total +%d" % d("flow_log_records_total"))
want(m1.get(G + "flows_untracked_total") == 0, "no untracked flow")
sys.exit(1 if bad else 0)
PY
scenario_end

# ---------------------------------------------------------------- flow logs
scenario flowlog "flow lines: JSON, ids, 5-tuples, translation, byte counts, reasons"
check "the TCP flow ended (FIN both ways) with a line" \
	e2e_wait_file "$E2E_GW_LOG" "\"reason\":\"end\".*\"src_port\":$TCP_SPORT," 8
emu push reject_access "$(payload reject_access client_id="$CLIENT_ID" resource_id="$RES4_ID")" >/dev/null ||
	bad "push reject_access"
check "revoking the CIDR resource ends its UDP flow" \
	e2e_wait_file "$E2E_GW_LOG" "\"reason\":\"revoked\".*\"src_port\":$UDP_SPORT," 5
emu push reject_access "$(payload reject_access client_id="$CLIENT_ID" resource_id="$RESD_ID")" >/dev/null ||
	bad "push reject_access (DNS)"
check "revoking the DNS resource (or removing the client) ends its flow" \
	e2e_wait_file "$E2E_GW_LOG" "\"reason\":\"\(revoked\|peer_removed\)\".*\"src_port\":$DNS_SPORT," 5
check "every flow line parses and matches the transfers" \
	"$PY" - "$E2E_GW_LOG" "$CLIENT_ID" "$RES4_ID" "$RESD_ID" "$TCP_BYTES" "$TCP_SPORT" \
	"$UDP_SPORT" "$UDP_COUNT" "$UDP_SIZE" "${UDP_GOT:-0}" "$DNS_SPORT" "$DNS_COUNT" "$DNS_SIZE" \
	"${DNS_GOT:-0}" "$T_START" <<'PY'
import datetime, json, sys
(log, cid, res4, resd, tcp, tsport, usport, ucount, usize, ugot, dsport, dcount, dsize, dgot,
 t0) = sys.argv[1:16]
tcp, tsport, usport, ucount, usize, ugot = map(int, (tcp, tsport, usport, ucount, usize, ugot))
dsport, dcount, dsize, dgot, t0 = map(int, (dsport, dcount, dsize, dgot, t0))
bad = []
def want(ok, what):
    print("    %s %s" % ("ok  " if ok else "FAIL", what))
    if not ok:
        bad.append(what)
def when(s):
    assert s.endswith("Z") and len(s) == 24, s
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
flows, n = [], 0
now = datetime.datetime.now(datetime.timezone.utc).timestamp()
for line in open(log, errors="replace"):
    if not line.startswith("{"):
        assert '"event":"flow"' not in line, "a flow record not on its own line: %r" % line
        continue
    o = json.loads(line)            # raises on a line that is not JSON
    n += 1
    assert o["event"] == "flow" and o["msg"] == "flow" and o["process"] == "dataplane", o
    assert t0 - 5 <= when(o["start"]) <= when(o["end"]) <= when(o["ts"]) <= now + 5, o
    assert o["client_id"] == cid, o
    assert o["src"] == "100.64.0.2", o
    flows.append(o)
want(n >= 4, "%d flow lines, each a JSON object on its own line with sane times and the client id" % n)
def pick(sport, proto, reasons):
    return [o for o in flows if o["protocol"] == proto and o["src_port"] == sport and o["reason"] in reasons]
# TCP: payload plus 40..80 header bytes per packet each way.
t = pick(tsport, "tcp", ("end",))
want(len(t) == 1, "one final line for the TCP flow (%d)" % len(t))
if t:
    o = t[0]
    print("    tcp: %s" % json.dumps(o, sort_keys=True))
    want((o["resource_id"], o["dst"], o["dst_port"], o["real_dst"], o["real_dst_port"]) ==
         (res4, "10.99.0.2", 5401, "10.99.0.2", 5401), "TCP: resource and 5-tuple")
    pf, pt = o["packets_from_client"], o["packets_to_client"]
    bf, bt = o["bytes_from_client"], o["bytes_to_client"]
    want(tcp + 40 * pf <= bf <= tcp + 80 * pf,
         "TCP bytes from the client %d = %d payload + %d headers over %d packets" % (bf, tcp, bf - tcp, pf))
    want(pf >= tcp // 1400 and 40 * pt <= bt <= 80 * pt and pt >= 1,
         "TCP bytes to the client %d = headers of %d packets" % (bt, pt))
# UDP: interval lines, then exact totals when the resource is revoked.
fin = pick(usport, "udp", ("revoked",))
iv = pick(usport, "udp", ("interval",))
want(len(fin) == 1, "one final (revoked) line for the UDP flow (%d)" % len(fin))
want(len(iv) >= 1, "%d interval line(s) for the UDP flow" % len(iv))
if fin:
    o = fin[0]
    print("    udp: %s" % json.dumps(o, sort_keys=True))
    want((o["resource_id"], o["dst"], o["dst_port"], o["real_dst"]) == (res4, "10.99.0.2", 6001, "10.99.0.2"),
         "UDP: resource and 5-tuple")
    want((o["packets_from_client"], o["bytes_from_client"]) == (ucount, ucount * (usize + 28)),
         "UDP from the client: %d packets, %d bytes (exact)" % (o["packets_from_client"], o["bytes_from_client"]))
    want((o["packets_to_client"], o["bytes_to_client"]) == (ugot, ugot * (usize + 28)),
         "UDP to the client: %d packets, %d bytes (the %d echoes received)" % (o["packets_to_client"], o["bytes_to_client"], ugot))
    want(all(i["flow_id"] == o["flow_id"] and i["start"] == o["start"] and
             i["packets_from_client"] <= o["packets_from_client"] for i in iv),
         "interval lines: same flow id and start, running totals")
    want(any(i["packets_from_client"] < ucount for i in iv), "an interval line while the flow lasted")
# DNS resource: the proxy IP and the real address.
dn = pick(dsport, "udp", ("revoked", "peer_removed"))
want(len(dn) == 1, "one final line for the DNS-resource flow (%d)" % len(dn))
if dn:
    o = dn[0]
    print("    dns: %s" % json.dumps(o, sort_keys=True))
    want((o["resource_id"], o["dst"], o["dst_port"], o["real_dst"], o["real_dst_port"]) ==
         (resd, "100.96.0.1", 6002, "10.99.0.2", 6002), "DNS resource: proxy 100.96.0.1 -> real 10.99.0.2")
    want((o["packets_from_client"], o["bytes_from_client"]) == (dcount, dcount * (dsize + 28)),
         "DNS flow from the client: %d packets, %d bytes (exact)" % (o["packets_from_client"], o["bytes_from_client"]))
    want(o["bytes_to_client"] == dgot * (dsize + 28), "DNS flow to the client: %d bytes" % o["bytes_to_client"])
ic = [o for o in flows if o["protocol"] == "icmp" and o["dst"] == "10.99.0.2"]
want(len(ic) >= 1 and all("icmp_id" in o and o["resource_id"] == res4 for o in ic),
     "ICMP echo flow with its identifier and the CIDR resource")
want(not [o for o in flows if o["dst_port"] in (7000, 7001)], "denied packets made no flow")
sys.exit(1 if bad else 0)
PY
check "the gateway is still running" kill -0 "$E2E_GW_PID"
scenario_end

[ "$SC_FAIL" -eq 0 ] || dump_on_fail
finish
