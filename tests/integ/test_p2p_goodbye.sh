#!/bin/sh
# goodbye (issue 15; p2p control event 2, empty body): a client (libnice +
# wireguard-go, through the portal emulator) holds two CIDR resources; the
# portal revokes one (reject_access): no goodbye, the other still works;
# then the last one: the gateway sends goodbye at once and forgets the
# client (its packets are no longer forwarded).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
. "$(dirname "$0")/wg_lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP
fz_need_root
fz_users
[ -x "$DP" ] && [ -x "$CTL" ] || fail "run make first"
CLIENT_ID=7d6c5b4a-3e2f-4a1b-9c8d-7e6f5a4b3c2d

e2e_build_shim
wg_topology
e2e_net
e2e_coturn
e2e_emulator
e2e_gateway
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "no join"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) || fail "no upgrade"
e2e_wait_file "$E2E_GW_LOG" "relay allocated" 15 || { tail -n 20 "$E2E_GW_LOG"; fail "no relay allocated"; }

umask 077
wg genkey >"$WGD/client.key"
wg genpsk >"$WGD/psk"
umask 022
CL_PUB=$(wg pubkey <"$WGD/client.key")
# Resource 1 is the gateway's LAN address 10.99.0.2 (it answers pings),
# resource 2 another /32 of that LAN.
RES1=$(payload cidr_resource address=10.99.0.2/32 name=one)
RES2=$(payload cidr_resource address=10.99.0.3/32 name=two)
flow() {
	payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" \
		preshared_key="$(cat "$WGD/psk")" client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" \
		resource="$1" gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null
}
flow "$RES1" >"$FZ_TMP/flow1.json"
flow "$RES2" >"$FZ_TMP/flow2.json"
REF=$(e2e_json "$FZ_TMP/flow1.json" 'j["ref"]')
RID1=$(e2e_json "$FZ_TMP/flow1.json" 'j["resource"]["id"]')
RID2=$(e2e_json "$FZ_TMP/flow2.json" 'j["resource"]["id"]')
e2e_shim shim "$(e2e_json "$FZ_TMP/flow1.json" 'j["client_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow1.json" 'j["client_ice_credentials"]["password"]')" \
	"$(e2e_json "$FZ_TMP/flow1.json" 'j["gateway_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow1.json" 'j["gateway_ice_credentials"]["password"]')"
e2e_signal "$CLIENT_ID" "$REF"
emu push authorize_flow "@$FZ_TMP/flow1.json" >/dev/null || fail "push authorize_flow"
emu wait flow_authorized 10 --match "json.payload.ref=$REF" >/dev/null || fail "no flow_authorized"
e2e_wait_file "$E2E_SHIM_LOG" '^shim: selected pair ' 20 || { tail -n 20 "$E2E_GW_LOG"; fail "no ICE pair"; }
emu push authorize_flow "@$FZ_TMP/flow2.json" >/dev/null || fail "push the second authorize_flow"
e2e_wait_file "$E2E_GW_LOG" "authorized for resource $RID2" 5 || fail "second resource not granted"
wg_client_start
wg_client_peer "$GWPUB" "127.0.0.1:$SHIM_PORT" "$WGD/psk" 25
in_ns "$WG_CL" wg set "$WG_IF" peer "$GWPUB" allowed-ips 100.64.0.0/11,fd00:2021:1111::/107,10.99.0.0/24,::/128 ||
	fail "allowed-ips"
_r=$(wg_ping "$WG_CL" 10.99.0.2 3 0.3 8)
echo "    ping 10.99.0.2: $_r"
[ "$(wg_field "$_r" received)" -ge 2 ] || { tail -n 20 "$E2E_GW_LOG"; fail "resource 1 unreachable"; }
ok "client connected with two resources"

waiter() {
	in_ns "$WG_CL" /usr/bin/python3 "$FZ_TOP/tests/integ/dns_p2p.py" --wait-goodbye "$WG_IF" "$1" \
		>"$FZ_TMP/goodbye.out" 2>&1
}
waiter 2 &
W=$!
sleep 0.3
emu push reject_access "$(payload reject_access client_id="$CLIENT_ID" resource_id="$RID2")" >/dev/null ||
	fail "push reject_access"
wait "$W" && fail "goodbye although the client still holds a resource: $(cat "$FZ_TMP/goodbye.out")"
_r=$(wg_ping "$WG_CL" 10.99.0.2 2 0.3 4)
[ "$(wg_field "$_r" received)" -ge 1 ] || fail "resource 1 lost with resource 2"
ok "reject_access of one of two resources: no goodbye, the other still reachable"

waiter 3 &
W=$!
sleep 0.3
emu push reject_access "$(payload reject_access client_id="$CLIENT_ID" resource_id="$RID1")" >/dev/null ||
	fail "push reject_access"
wait "$W" || { cat "$FZ_TMP/goodbye.out"; tail -n 15 "$E2E_GW_LOG"; fail "no goodbye for the last resource"; }
echo "    $(cat "$FZ_TMP/goodbye.out")"
grep -q "goodbye after 0\.[0-9]" "$FZ_TMP/goodbye.out" || fail "goodbye not within a second"
grep -q "no resource left after reject_access; goodbye sent" "$E2E_GW_LOG" || fail "no log line for goodbye"
_r=$(wg_ping "$WG_CL" 10.99.0.2 2 0.3 3)
[ "$(wg_field "$_r" received)" = 0 ] || fail "traffic forwarded after goodbye"
ok "reject_access of the last resource: goodbye at once, the client is forgotten"
kill -TERM "$E2E_GW_PID"
wait "$E2E_GW_PID" 2>/dev/null
E2E_GW_PID=""
exit 0
