#!/bin/sh
# End to end, direct path (issue 7): the real gateway, signalled through our
# portal emulator, against the reference client made of independent
# implementations -- libnice's NiceAgent (controlling, trickle) for ICE and
# wireguard-go for WireGuard, joined by tests/tools/client_shim.c.
# Topology and helpers: e2e_lib.sh (namespaces client / gateway / resource
# from wg_lib.sh; emulator and coturn in the gateway namespace).
#
# Scenarios (one PASS/FAIL line each, then a summary):
#   signalling  init with a relay, authorize_flow -> flow_authorized with its
#               ref, candidates both ways (broadcast_ice_candidates to the
#               client, ice_candidates to the gateway)
#   ice         the NiceAgent selects a pair, the gateway nominates the same
#               direct path
#   direct      wireguard-go handshakes over the shim; ping and TCP transfers
#               both ways with SHA-256 compared, all over the selected pair
#   upsert      a second authorize_flow with the same ICE credentials, key
#               and PSK (the portal derives the PSK for a key pair) keeps the
#               connection: traffic goes on without a new handshake
#   expiry      a grant with expires_at a few seconds ahead works, then stops;
#               the other grant keeps working
#   reject      reject_access: traffic to the resource stops
#
# Run (root): FZ_TOP=/work/main FZ_BUILD=build sh tests/integ/wip_e2e_direct.sh
# Needs build/firezone-gateway(-control) (make), libnice-dev, pkg-config,
# wireguard-go, wireguard-tools, coturn, nftables or iptables, Debian's
# python3-websockets.  Logs of the last run are kept in $FZ_BUILD/integ/e2e_direct/.
# Only the test's own namespaces carry traffic; everything is torn down by
# PID and by name in the EXIT trap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
. "$(dirname "$0")/wg_lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

E2E_SUITE=e2e_direct
. "$(dirname "$0")/scenario_lib.sh"
trap 'save_logs; e2e_cleanup' EXIT
trap 'exit 1' INT TERM HUP
e2e_preflight

dump_on_fail() {
	echo "--- gateway log (last 40 lines) ---"
	tail -n 40 "$E2E_GW_LOG"
	echo "--- shim ---"
	tail -n 20 "$E2E_SHIM_LOG"
	echo "--- signal ---"
	tail -n 20 "$FZ_TMP/signal.log"
}

CLIENT_ID=0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58

# ------------------------------------------------------------------ set-up
e2e_build_shim
wg_topology
e2e_net
e2e_coturn
e2e_emulator
e2e_gateway
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "the gateway did not join the emulator"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) ||
	fail "no accepted upgrade"
[ "${#GWPUB}" -eq 44 ] || fail "no gateway public key in the upgrade ($GWPUB)"
e2e_wait_file "$E2E_GW_LOG" "portal: init: " 10 || { cat "$E2E_GW_LOG"; fail "the gateway did not take the init"; }

umask 077
wg genkey >"$WGD/client.key" || fail "wg genkey"
umask 022
CL_PUB=$(wg pubkey <"$WGD/client.key")
PSK=$(wg genpsk)
printf '%s\n' "$PSK" >"$WGD/psk"
RES4=$(payload cidr_resource address=10.99.0.0/24 name="resource LAN")
payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" preshared_key="$PSK" \
	client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" resource="$RES4" \
	gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$FZ_TMP/flow1.json" ||
	fail "authorize_flow payload"
REF=$(e2e_json "$FZ_TMP/flow1.json" 'j["ref"]')
RES4_ID=$(e2e_json "$FZ_TMP/flow1.json" 'j["resource"]["id"]')
CL_UFRAG=$(e2e_json "$FZ_TMP/flow1.json" 'j["client_ice_credentials"]["username"]')
CL_PWD=$(e2e_json "$FZ_TMP/flow1.json" 'j["client_ice_credentials"]["password"]')
GW_UFRAG=$(e2e_json "$FZ_TMP/flow1.json" 'j["gateway_ice_credentials"]["username"]')
GW_PWD=$(e2e_json "$FZ_TMP/flow1.json" 'j["gateway_ice_credentials"]["password"]')
# The client uses its own credentials locally and the gateway's as the remote ones.
e2e_shim shim "$CL_UFRAG" "$CL_PWD" "$GW_UFRAG" "$GW_PWD"
e2e_signal "$CLIENT_ID" "$REF"
echo "    set-up: gateway $GWPUB joined, relay $E2E_TURN_ADDR, shim on 127.0.0.1:$SHIM_PORT, ICE $CL_UFRAG/$GW_UFRAG (t=$(( $(date +%s) - T0 )) s)"

# ------------------------------------------------------------- signalling
scenario signalling "authorize_flow answered, candidates both ways through the emulator"
emu push authorize_flow "@$FZ_TMP/flow1.json" >/dev/null || bad "push authorize_flow"
if emu wait flow_authorized 10 --match "json.payload.ref=$REF" >/dev/null; then
	pass "flow_authorized with the ref of the authorize_flow"
	FLOW_OK=1
else
	bad "no flow_authorized with ref $REF within 10 s"
	FLOW_OK=0
fi
if [ "$FLOW_OK" = 1 ]; then
	check "the gateway trickled its candidates (broadcast_ice_candidates for $CLIENT_ID)" \
		e2e_wait_file "$FZ_TMP/signal.log" '^signal: gateway -> client: candidate:' 10
	check "the shim took the gateway's candidates" e2e_wait_file "$E2E_SHIM_LOG" '^shim: remote candidate candidate:' 5
	check "the shim's candidates were pushed to the gateway (ice_candidates)" \
		e2e_wait_file "$FZ_TMP/signal.log" '^signal: client -> gateway: ' 5
	check "every gateway candidate string parses as docs/protocol/p2p.md 2.4 (host, IPv4/IPv6, udp, component 1)" \
		"$PY" - "$EMU_LOG" "$CLIENT_ID" <<'PY'
import json, re, sys
rx = re.compile(r"^candidate:[A-Za-z0-9+/]{1,32} 1 udp [0-9]+ [0-9a-f.:]+ [0-9]+ typ (host|srflx|relay)$")
n = bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") == "frame" and r.get("dir") == "g2p" and r.get("event") == "broadcast_ice_candidates":
        p = r["json"]["payload"]
        if p.get("client_ids") != [sys.argv[2]]:
            bad += 1
            print("    client_ids %r" % p.get("client_ids"))
        for c in p["candidates"]:
            n += 1
            if not rx.match(c):
                bad += 1
                print("    not in the 2.4 form: %r" % c)
print("    %d gateway candidate(s) checked" % n)
sys.exit(0 if n and not bad else 1)
PY
fi
check "every frame the gateway sent passed the emulator's conformance checks" "$PY" - "$EMU_LOG" <<'PY'
import json, sys
bad = [r for r in map(json.loads, open(sys.argv[1]))
       if r.get("kind") == "frame" and r.get("dir") == "g2p" and r.get("problems")]
for r in bad:
    print("    %s: %s" % (r.get("event"), r["problems"]))
sys.exit(1 if bad else 0)
PY
scenario_end
if [ "$FLOW_OK" != 1 ]; then
	dump_on_fail
	not_run ice "NiceAgent and the gateway agree on a direct pair" "no flow_authorized"
	not_run direct "ping and TCP over wireguard-go, the shim and the selected pair" "no flow_authorized"
	not_run upsert "a second authorize_flow with the same ICE credentials keeps the connection" "no flow_authorized"
	not_run expiry "a grant with expires_at expires" "no flow_authorized"
	not_run reject "reject_access stops the traffic" "no flow_authorized"
	finish
fi

# -------------------------------------------------------------------- ICE
scenario ice "NiceAgent and the gateway agree on a direct pair"
ICE_OK=0
if e2e_wait_file "$E2E_SHIM_LOG" '^shim: selected pair ' 15; then
	ICE_OK=1
	pass "the shim selected a pair: $(sed -n 's/^shim: selected pair //p' "$E2E_SHIM_LOG" | tail -n 1)"
else
	bad "no pair selected by the NiceAgent within 15 s"
fi
check "the gateway nominated a direct path" e2e_wait_file "$E2E_GW_LOG" "client $CLIENT_ID: path chosen: direct" 5
SEL=$(sed -n 's/^shim: selected pair local \([^ ]*\) ([a-z]*) remote \([^ ]*\) .*/\1 \2/p' "$E2E_SHIM_LOG" | tail -n 1)
GWPATH=$(sed -n "s/.*client $CLIENT_ID: path chosen: direct, \([^ ]*\) -> \([^ ]*\).*/\2 \1/p" "$E2E_GW_LOG" | tail -n 1)
echo "    shim: $SEL; gateway (remote local): $GWPATH"
same_pair() { [ -n "$SEL" ] && [ "$SEL" = "$GWPATH" ]; }
check "both ends name the same pair" same_pair
case $SEL in
"$WG_CL_ADDR":*" $WG_GW_ADDR":*) pass "the pair is the underlay $WG_CL_ADDR <-> $WG_GW_ADDR (host to host)" ;;
*) bad "the pair is not $WG_CL_ADDR <-> $WG_GW_ADDR: $SEL" ;;
esac
scenario_end
if [ "$ICE_OK" != 1 ]; then
	dump_on_fail
	not_run direct "ping and TCP over wireguard-go, the shim and the selected pair" "no pair selected"
	not_run upsert "a second authorize_flow with the same ICE credentials keeps the connection" "no pair selected"
	not_run expiry "a grant with expires_at expires" "no pair selected"
	not_run reject "reject_access stops the traffic" "no pair selected"
	finish
fi

# ------------------------------------------------------------------ direct
scenario direct "ping and TCP over wireguard-go, the shim and the selected pair"
wg_client_start
wg_client_peer "$GWPUB" "127.0.0.1:$SHIM_PORT" "$WGD/psk" 25
check "ping 10.99.0.2 through the tunnel" e2e_ping_ok 10.99.0.2
check "the gateway logs the WireGuard handshake" e2e_wait_file "$E2E_GW_LOG" "client $CLIENT_ID: WireGuard handshake done" 3
check "wireguard-go reports a handshake" [ "$(in_ns "$WG_CL" wg show "$WG_IF" latest-handshakes | cut -f2)" -gt 0 ]
check "TCP client -> resource 2 MiB, SHA-256 equal" e2e_tcp up 10.99.0.2 5401 2048
check "TCP resource -> client 2 MiB, SHA-256 equal" e2e_tcp down 10.99.0.2 5402 2048
echo "stats" >"$E2E_SHIM_IN"
sleep 0.3
FWD=$(grep '^shim: forwarded ' "$E2E_SHIM_LOG" | tail -n 1)
echo "    $FWD"
TO_GW=$(echo "$FWD" | sed -n 's/.*(to gateway \([0-9]*\),.*/\1/p')
TO_WG=$(echo "$FWD" | sed -n 's/.*to wireguard-go \([0-9]*\),.*/\1/p')
both_ways() { [ "${TO_GW:-0}" -gt 1000 ] && [ "${TO_WG:-0}" -gt 1000 ]; }
check "the shim carried the traffic both ways (>1000 datagrams each way)" both_ways
echo "    wireguard-go: $(in_ns "$WG_CL" wg show "$WG_IF" transfer | cut -f2-)"
scenario_end

# ---------------------------------------------------------- portal restart
scenario portal-restart "traffic keeps flowing while the portal is away; the gateway rejoins"
EMU_PORT=${EMU_URL##*:}
OLD_EMU_PID=$EMU_PID
kill -TERM "$OLD_EMU_PID"
fz_wait_gone "$OLD_EMU_PID" 5 || kill -9 "$OLD_EMU_PID"
check "the gateway notices the portal is gone" e2e_wait_file "$E2E_GW_LOG" "portal: .*retrying in\|left the gateway channel" 10
check "ping 10.99.0.2 while the portal is away" e2e_ping_ok 10.99.0.2
check "TCP client -> resource 256 KiB while the portal is away" e2e_tcp up 10.99.0.2 5404 256
# The portal comes back on the same address; its init carries the relay again.
emu_start portal2 --host 127.0.0.1 --port "$EMU_PORT" --token "$E2E_TOKEN" --gateway-id "$E2E_GW_ID" \
	--name "$E2E_GW_NAME" --init "@$FZ_TMP/init.json"
check "the gateway rejoins the restarted portal" emu wait phx_join 30
two_inits() {
	_n=100
	until [ "$(grep -c 'portal: init: ' "$E2E_GW_LOG")" -ge 2 ]; do
		_n=$((_n - 1)); [ "$_n" -gt 0 ] || return 1; sleep 0.1
	done
}
check "the restarted portal's init is applied (a second init in the log)" two_inits
check "ping 10.99.0.2 after the rejoin" e2e_ping_ok 10.99.0.2
check "the WireGuard session was kept (no new connection for the client)" \
	sh -c "! grep -q 'client $CLIENT_ID: connection closed' '$E2E_GW_LOG'"
scenario_end

# ------------------------------------------------------------------ upsert
scenario upsert "a second authorize_flow with the same ICE credentials keeps the connection"
HS1=$(in_ns "$WG_CL" wg show "$WG_IF" latest-handshakes | cut -f2)
NSEL1=$(grep -c '^shim: selected pair ' "$E2E_SHIM_LOG")
EXP=$(( $(date +%s) + 8 ))
RES6=$(payload cidr_resource address=fd00:99::/64 name="resource LAN v6")
payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" preshared_key="$PSK" \
	client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" resource="$RES6" \
	gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at="$EXP" >"$FZ_TMP/flow2.json" ||
	fail "authorize_flow payload"
REF2=$(e2e_json "$FZ_TMP/flow2.json" 'j["ref"]')
check "the second flow has the same ICE credentials and PSK (portal derivation)" "$PY" -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
sys.exit(not (a["client_ice_credentials"] == b["client_ice_credentials"] and
              a["gateway_ice_credentials"] == b["gateway_ice_credentials"] and
              a["client"]["preshared_key"] == b["client"]["preshared_key"]))' "$FZ_TMP/flow1.json" "$FZ_TMP/flow2.json"
emu push authorize_flow "@$FZ_TMP/flow2.json" >/dev/null || bad "push authorize_flow"
flow_answered() { emu wait flow_authorized 10 --match "json.payload.ref=$1" >/dev/null; }
check "flow_authorized with the second ref" flow_answered "$REF2"
check "the gateway kept the connection" e2e_wait_file "$E2E_GW_LOG" "client $CLIENT_ID: flow authorized (existing connection)" 3
check "ping 10.99.0.2 still answered" e2e_ping_ok 10.99.0.2
check "no new handshake was needed (the peer stays)" \
	[ "$(in_ns "$WG_CL" wg show "$WG_IF" latest-handshakes | cut -f2)" = "$HS1" ]
check "the shim's pair did not change" [ "$(grep -c '^shim: selected pair ' "$E2E_SHIM_LOG")" = "$NSEL1" ]
scenario_end

# ------------------------------------------------------------------ expiry
scenario expiry "a grant with expires_at expires, the other one stays"
check "ping fd00:99::2 before expires_at ($(( EXP - $(date +%s) )) s left)" e2e_ping_ok fd00:99::2
while [ "$(date +%s)" -le "$EXP" ]; do sleep 0.2; done
sleep 1
check "no reply from fd00:99::2 after expires_at" e2e_ping_none fd00:99::2 2
check "ping 10.99.0.2 (no expiry) still answered" e2e_ping_ok 10.99.0.2
scenario_end

# ------------------------------------------------------------------ reject
scenario reject "reject_access stops the traffic"
emu push reject_access "$(payload reject_access client_id="$CLIENT_ID" resource_id="$RES4_ID")" >/dev/null ||
	bad "push reject_access"
check "the gateway logs the revocation" e2e_wait_file "$E2E_GW_LOG" "client $CLIENT_ID: access to resource $RES4_ID revoked" 3
check "no reply from 10.99.0.2 after reject_access" e2e_ping_none 10.99.0.2 2
# tcp_blocked PORT: a server on the resource, nothing reaches the client.
tcp_blocked() {
	ip netns exec "$WG_RES" timeout 8 python3 "$WG_PY" source 10.99.0.2 "$1" "$WGD/psk" >/dev/null 2>&1 &
	_sp=$!
	wg_wait_port "$WG_RES" "$1" || true
	_got=$(in_ns "$WG_CL" timeout 4 python3 "$WG_PY" get 10.99.0.2 "$1" 2>&1)
	kill "$_sp" 2>/dev/null
	wait "$_sp" 2>/dev/null
	echo "    tcp 10.99.0.2:$1: ${_got:-timed out}"
	[ -z "$(wg_field "$_got" sha256)" ]
}
check "no TCP connection to a listening 10.99.0.2 after reject_access" tcp_blocked 5403
check "the gateway is still running" kill -0 "$E2E_GW_PID"
scenario_end

[ "$SC_FAIL" -eq 0 ] || dump_on_fail
finish
