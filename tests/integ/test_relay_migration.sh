#!/bin/sh
# Relay migration (issue 15, checklist item 49): an established relayed
# connection whose relay is removed moves to another allocated relay
# instead of failing.  The topology of test_e2e_relayed.sh
# (e2e_relayed_lib.sh: client and gateway without a route to each other,
# the reference client -- libnice's NiceAgent and wireguard-go -- relayed
# through coturn) with a second coturn in the relay namespace (port 3479).
#
#   set-up    init offers both relays; the gateway allocates on both
#   relayed   client 1 connects relayed (authorize_flow); ping through it;
#             the relay of the gateway's relayed candidate is noted
#   migrate   relays_presence removes that relay: the gateway logs the
#             move, broadcasts the other relay's relayed candidate for
#             client 1 and invalidates the old one (the emulator's record),
#             chooses a path through the other relay, and ping through the
#             tunnel works again within 15 s; no new authorize_flow, the
#             same WireGuard peer (no "connection closed" for client 1)
#   wait      relays_presence removes the other relay too: client 1 waits
#             (logged), its relayed candidate invalidated; relays_presence
#             offers a relay again: the gateway allocates, broadcasts the new
#             relayed candidate for client 1, picks a path through it, and
#             ping works again within 15 s, still without a new authorize_flow
#
# Both portals: FZ_PORTAL_MODE=legacy (default) or today.  The reference
# client moves to a replacement candidate only as client_shim.c describes
# (libnice cannot drop an invalidated remote candidate).
#
# Run (root): FZ_TOP=$PWD FZ_BUILD=build sh tests/integ/test_relay_migration.sh
# Needs what test_e2e_relayed.sh needs.  Logs of the last run:
# $FZ_BUILD/integ/relay_migration/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
. "$(dirname "$0")/wg_lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
. "$(dirname "$0")/e2e_relayed_lib.sh"

E2E_SUITE=relay_migration
. "$(dirname "$0")/scenario_lib.sh"
trap 'save_logs; e2e_cleanup' EXIT
trap 'exit 1' INT TERM HUP
e2e_preflight

dump_on_fail() {
	echo "--- gateway log (last 60 lines) ---"
	tail -n 60 "$E2E_GW_LOG"
	echo "--- shim ---"
	tail -n 20 "$E2E_SHIM_LOG"
	echo "--- signal ---"
	tail -n 20 "$FZ_TMP/signal.log"
}
gw_count() { grep -c -- "$1" "$E2E_GW_LOG"; }
# gw_cands EVENT CLIENT_ID: the relayed candidates (address:port) of the
# gateway's EVENT frames for a client, in order.
gw_cands() {
	"$PY" - "$EMU_LOG" "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("kind") == "frame" and r.get("dir") == "g2p" and r.get("event") == sys.argv[2]:
        p = r["json"]["payload"]
        if sys.argv[3] in (p.get("client_ids") or []):
            for c in p["candidates"]:
                if c.endswith(" typ relay"):
                    f = c.split()
                    print(f[4] + ":" + f[5])
PY
}
# relay_of ADDR:PORT: which relay (A or B) owns a relayed address, by the
# gateway's "relay allocated: ID on SERVER (ADDR" lines.
relay_of() {
	_id=$(sed -n "s/.*relay allocated: \([0-9a-f-]*\) on [^ ]* (\($1\)[,)].*/\1/p" "$E2E_GW_LOG" | tail -n 1)
	case "$_id" in
	"$RELAY_A") echo A ;;
	"$RELAY_B") echo B ;;
	*) echo "?" ;;
	esac
}
flow_answered() { emu wait flow_authorized "$2" --match "json.payload.ref=$1" >/dev/null; }

CLIENT1=5c0e4a7b-1d2f-4e3a-9b8c-7d6e5f4a3b21
RELAY_A=$ER_RELAY_ID
RELAY_B=8b2d0f63-4c7e-4a19-8f32-6e5d4c3b2a17
PORT_B=3479

# ------------------------------------------------------------------ set-up
er_build_shim
er_topology
er_coturn_start
TURNB_LOG="$FZ_TMP/coturn-b.log"
ip netns exec "$ER_TURN" turnserver -n --no-tls --no-dtls --no-cli --no-tcp-relay \
	--listening-ip="$ER_TC_ADDR" --listening-ip="$ER_TG_ADDR" --listening-port="$PORT_B" \
	--relay-ip="$ER_RELAY_IP" --min-port=40000 --max-port=48999 \
	--lt-cred-mech --user="$TURN_USER:$TURN_PASS" --realm=firezone \
	--userdb="$FZ_TMP/turndb-b" --pidfile="$FZ_TMP/turnserver-b.pid" \
	--verbose --log-file=stdout --simple-log >"$TURNB_LOG" 2>&1 &
TURNB_PID=$!
FZ_PIDS="$FZ_PIDS $TURNB_PID"
n=50
HEXB=$(printf '%04X' "$PORT_B")
until [ "$(in_ns "$ER_TURN" cat /proc/net/udp 2>/dev/null | awk -v p=":$HEXB" \
	'substr($2, length($2) - 4) == p { n++ } END { print n + 0 }')" -ge 2 ]; do
	n=$((n - 1))
	[ "$n" -gt 0 ] && kill -0 "$TURNB_PID" 2>/dev/null || { cat "$TURNB_LOG"; fail "coturn B did not start"; }
	sleep 0.1
done
GW_RELAY_A="$ER_TG_ADDR:$ER_TURN_PORT"
GW_RELAY_B="$ER_TG_ADDR:$PORT_B"
JA=$(er_relay_json "$GW_RELAY_A") || fail "relay A payload"
JB=$(payload turn_relay addr="$GW_RELAY_B" id="$RELAY_B" username="$TURN_USER" password="$TURN_PASS") ||
	fail "relay B payload"
payload init ipv4=100.64.0.1 ipv6=fd00:2021:1111::1 relays="[$JA, $JB]" >"$FZ_TMP/init.json" ||
	fail "init payload"
emu_start portal --token "$E2E_TOKEN" --gateway-id "$E2E_GW_ID" --name "$E2E_GW_NAME" \
	--init "@$FZ_TMP/init.json"
e2e_gateway
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "the gateway did not join the emulator"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) ||
	fail "no accepted upgrade"
umask 077
wg genkey >"$WGD/client1.key" || fail "wg genkey"
cp "$WGD/client1.key" "$WGD/client.key"
umask 022

scenario relayed "client 1 connects through one of two relays"
check "no route between the client and the gateway" er_no_route
check "the gateway allocated on relay A" e2e_wait_file "$E2E_GW_LOG" "relay allocated: $RELAY_A on $GW_RELAY_A" 10
check "the gateway allocated on relay B" e2e_wait_file "$E2E_GW_LOG" "relay allocated: $RELAY_B on $GW_RELAY_B" 10
er_flow "$FZ_TMP/flow1.json" "$CLIENT1" "$WGD/client1.key" "$E2E_CL_TUN4" "$E2E_CL_TUN6"
REF1=$FLOW_REF
printf '%s\n' "$FLOW_PSK" >"$WGD/psk1"
er_shim shim1 "$FLOW_CL_UFRAG" "$FLOW_CL_PWD" "$FLOW_GW_UFRAG" "$FLOW_GW_PWD"
e2e_signal "$CLIENT1" "$REF1"
emu push authorize_flow "@$FZ_TMP/flow1.json" >/dev/null || bad "push authorize_flow"
check "flow_authorized for client 1" flow_answered "$REF1" 10
check "the NiceAgent selected a pair" e2e_wait_file "$E2E_SHIM_LOG" '^shim: selected pair ' 20
OLD=$(gw_cands broadcast_ice_candidates "$CLIENT1" | head -n 1)
OLD_RELAY=$(relay_of "${OLD:-0:0}")
if [ "$OLD_RELAY" = A ]; then OLD_ID=$RELAY_A; NEW_RELAY=B; NEW_SRV=$GW_RELAY_B
else OLD_ID=$RELAY_B; NEW_RELAY=A; NEW_SRV=$GW_RELAY_A; fi
echo "    the gateway offered $OLD (relay $OLD_RELAY) for client 1"
check "the gateway offered one relayed candidate for client 1" \
	[ "$(gw_cands broadcast_ice_candidates "$CLIENT1" | sort -u | wc -l)" = 1 ]
wg_client_start
wg_client_key "$WGD/client1.key"
wg_client_peer "$GWPUB" "127.0.0.1:$SHIM_PORT" "$WGD/psk1" 25
check "ping 10.99.0.2 through the tunnel and relay $OLD_RELAY" e2e_ping_ok 10.99.0.2
scenario_end
[ "$SC_FAILS" -eq 0 ] || dump_on_fail

scenario migrate "relays_presence removes relay $OLD_RELAY: client 1 moves to the other relay"
FLOWS0=$(emu count authorize_flow --field count)
CLOSED0=$(gw_count "client $CLIENT1: connection closed")
emu push relays_presence "$(payload relays_presence disconnected_ids="[\"$OLD_ID\"]")" >/dev/null ||
	bad "push relays_presence"
T_RM=$(date +%s)
check "the gateway took the removal" e2e_wait_file "$E2E_GW_LOG" "portal: relays_presence: 1 relay(s) gone" 5
check "the gateway logs the move of client 1" \
	e2e_wait_file "$E2E_GW_LOG" "client $CLIENT1: its relay is gone; moved to the relay of" 5
new_cand() {
	_c=$(gw_cands broadcast_ice_candidates "$CLIENT1" | tail -n 1)
	[ -n "$_c" ] && [ "$_c" != "$OLD" ] && [ "$(relay_of "$_c")" = "$NEW_RELAY" ]
}
wait_new_cand() {
	_n=50
	until new_cand; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}
check "broadcast_ice_candidates for client 1 with a relayed candidate of the other relay" wait_new_cand
NEW=$(gw_cands broadcast_ice_candidates "$CLIENT1" | tail -n 1)
echo "    new relayed candidate: $NEW"
check "broadcast_invalidated_ice_candidates for client 1 names the old one ($OLD)" \
	eval 'gw_cands broadcast_invalidated_ice_candidates "$CLIENT1" | grep -qx "$OLD"'
check "the new candidate reached the client" \
	eval 'new_cand && e2e_wait_file "$E2E_SHIM_LOG" "^shim: remote candidate candidate:.* ${NEW%:*} ${NEW#*:} typ relay" 5'
check "the gateway chose a path through the other relay ($NEW_SRV)" \
	e2e_wait_file "$E2E_GW_LOG" "client $CLIENT1: path chosen: relayed via $NEW_SRV" 15
ping_back() {
	while [ $(( $(date +%s) - T_RM )) -lt 15 ]; do
		_r=$(wg_ping "$WG_CL" 10.99.0.2 1 0.2 2)
		[ "$(wg_field "$_r" received)" = 1 ] && return 0
	done
	return 1
}
check "ping 10.99.0.2 works again within 15 s of the removal" ping_back
echo "    traffic back $(( $(date +%s) - T_RM )) s after the removal"
check "ping 10.99.0.2 through the other relay" e2e_ping_ok 10.99.0.2
check "no new authorize_flow was needed" [ "$(emu count authorize_flow --field count)" = "$FLOWS0" ]
check "client 1's connection was not closed" [ "$(gw_count "client $CLIENT1: connection closed")" = "$CLOSED0" ]
scenario_end
[ "$SC_FAILS" -eq 0 ] || dump_on_fail

scenario wait "the last relay removed: client 1 waits; a relay offered again: it moves there"
OLD2=$NEW
if [ "$NEW_RELAY" = A ]; then LAST_ID=$RELAY_A; BACK_J=$JB; BACK_ID=$RELAY_B; BACK_SRV=$GW_RELAY_B
else LAST_ID=$RELAY_B; BACK_J=$JA; BACK_ID=$RELAY_A; BACK_SRV=$GW_RELAY_A; fi
MOVED0=$(gw_count "client $CLIENT1: its relay is gone; moved")
emu push relays_presence "$(payload relays_presence disconnected_ids="[\"$LAST_ID\"]")" >/dev/null ||
	bad "push relays_presence (last relay)"
check "client 1 waits for a relay" \
	e2e_wait_file "$E2E_GW_LOG" "client $CLIENT1: its relay is gone and no other is allocated; moved when one is" 5
check "the relayed candidate $OLD2 is invalidated" \
	eval 'sleep 1; gw_cands broadcast_invalidated_ice_candidates "$CLIENT1" | grep -qx "$OLD2"'
T_BACK=$(date +%s)
emu push relays_presence "$(payload relays_presence connected="[$BACK_J]")" >/dev/null ||
	bad "push relays_presence (a relay again)"
check "the gateway allocated on the relay offered again" \
	e2e_wait_file "$E2E_GW_LOG" "relay allocated: $BACK_ID on $BACK_SRV" 10
back_cand() {
	_c=$(gw_cands broadcast_ice_candidates "$CLIENT1" | tail -n 1)
	[ -n "$_c" ] && [ "$_c" != "$OLD2" ] && [ "$(relay_of "$_c")" != "?" ] &&
		[ "$(sed -n "s/.*relay allocated: \([0-9a-f-]*\) on [^ ]* ($_c[,)].*/\1/p" "$E2E_GW_LOG" | tail -n 1)" = "$BACK_ID" ]
}
wait_back_cand() {
	_n=50
	until back_cand; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}
check "broadcast_ice_candidates for client 1 with the new allocation's relayed candidate" wait_back_cand
check "the gateway chose a path through it ($BACK_SRV)" \
	e2e_wait_file "$E2E_GW_LOG" "client $CLIENT1: path chosen: relayed via $BACK_SRV" 15
T_RM=$T_BACK
check "ping 10.99.0.2 works again within 15 s of the relay's return" ping_back
echo "    traffic back $(( $(date +%s) - T_BACK )) s after the relay's return"
check "no new authorize_flow was needed" [ "$(emu count authorize_flow --field count)" = "$FLOWS0" ]
check "client 1's connection was not closed" [ "$(gw_count "client $CLIENT1: connection closed")" = "$CLOSED0" ]
check "no move was logged while no relay was left" \
	[ "$(gw_count "client $CLIENT1: its relay is gone; moved")" = "$MOVED0" ]
scenario_end
[ "$SC_FAILS" -eq 0 ] || dump_on_fail

er_stop_client
[ "$SC_FAIL" -eq 0 ] || dump_on_fail
finish
