#!/bin/sh
# make demo: the gateway doing its job on this machine, narrated.
#
# Three network namespaces stand for a Firezone client, the gateway's host
# and a private resource network.  Next to the gateway run our portal
# emulator (speaking the real portal's protocol) and a TURN relay (coturn).
# The client is made of independent parts: libnice's ICE agent and
# wireguard-go, joined by a small shim.  The demo shows each step, sends
# traffic to the resource through the gateway, and tears everything down.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
FZ_TOP=$top
FZ_BUILD=${FZ_BUILD:-build}
export FZ_TOP FZ_BUILD
. "$top/tests/integ/lib.sh"
. "$top/tests/integ/portal_lib.sh"
. "$top/tests/integ/wg_lib.sh"
. "$top/tests/integ/e2e_lib.sh"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP

step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }
show() { sed 's/^/   | /'; }
gwline() { grep -- "$1" "$E2E_GW_LOG" | tail -n 1 | sed 's/^[a-z]*\[[0-9]*\]: [a-z]*: //'; }
waitfor() { e2e_wait_file "$E2E_GW_LOG" "$1" "${2:-15}" || { tail -n 30 "$E2E_GW_LOG"; echo "demo: did not see: $1"; exit 1; }; }

[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces, a TUN device)"; exit 1; }
fz_users
CLIENT_ID=0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58

step "Setting up a client, the gateway's host and a resource network (namespaces)"
e2e_build_shim >/dev/null
wg_topology >/dev/null
e2e_net >/dev/null
say "client $WG_CL_ADDR  <->  gateway $WG_GW_ADDR | 10.99.0.1  <->  resource 10.99.0.2"

step "Starting the portal emulator and a TURN relay (coturn) next to the gateway"
e2e_coturn >/dev/null
e2e_emulator >/dev/null
say "portal $EMU_URL, relay $E2E_TURN_ADDR"

step "Starting firezone-gateway (as root; it drops privileges itself)"
e2e_gateway >/dev/null
waitfor "ready: dataplane" 10
ctl_pid=$(fz_control_pid "$E2E_GW_PID")
for p in $E2E_GW_PID $ctl_pid; do
	printf '   pid %-7s user %-17s CapEff %s  %s\n' "$p" "$(ps -o user= -p "$p")" \
		"$(fz_status_field "$p" CapEff)" "$(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-40)"
done
say "(the dataplane keeps CAP_NET_ADMIN only; the control process holds nothing)"

step "Portal joined"
emu wait phx_join 15 >/dev/null || { tail -n 20 "$E2E_GW_LOG"; exit 1; }
waitfor "portal: init: " 10
say "$(gwline 'portal: joined')"
say "$(gwline 'portal: init: ')"
say "$(gwline 'tun-firezone configured')"

step "Relay allocated"
waitfor "relay allocated" 15
say "$(gwline 'relay allocated')"

step "Client authorized (the portal sends authorize_flow; the gateway answers flow_authorized)"
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key)
umask 077
wg genkey >"$WGD/client.key"
umask 022
CL_PUB=$(wg pubkey <"$WGD/client.key")
PSK=$(wg genpsk)
printf '%s\n' "$PSK" >"$WGD/psk"
payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" preshared_key="$PSK" \
	client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" \
	resource="$(payload cidr_resource address=10.99.0.0/24 name='resource LAN')" \
	gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$FZ_TMP/flow.json"
REF=$(e2e_json "$FZ_TMP/flow.json" 'j["ref"]')
e2e_shim shim "$(e2e_json "$FZ_TMP/flow.json" 'j["client_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow.json" 'j["client_ice_credentials"]["password"]')" \
	"$(e2e_json "$FZ_TMP/flow.json" 'j["gateway_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow.json" 'j["gateway_ice_credentials"]["password"]')"
e2e_signal "$CLIENT_ID" "$REF"
emu push authorize_flow "@$FZ_TMP/flow.json" >/dev/null
emu wait flow_authorized 10 --match "json.payload.ref=$REF" >/dev/null || { tail -n 20 "$E2E_GW_LOG"; exit 1; }
say "$(gwline "client $CLIENT_ID authorized")"
say "candidates travel through the portal both ways (broadcast_ice_candidates / ice_candidates)"

step "Path chosen (ICE: the client's libnice agent and the gateway agree on a pair)"
waitfor "client $CLIENT_ID: path chosen" 20
say "$(gwline 'path chosen')"

step "Handshake done (wireguard-go on the client, the gateway's own WireGuard)"
wg_client_start >/dev/null
wg_client_peer "$GWPUB" "127.0.0.1:$SHIM_PORT" "$WGD/psk" 25 >/dev/null
e2e_ping_ok 10.99.0.2 >/dev/null || true
waitfor "WireGuard handshake done" 10
say "$(gwline 'WireGuard handshake done')"

step "Bytes through: the client reaches the resource"
e2e_ping_ok 10.99.0.2 | sed 's/^ *//' | sed 's/^/   /'
e2e_tcp up 10.99.0.2 5501 1024 | sed 's/^ *//' | sed 's/^/   /' || { echo "demo: the transfer failed"; exit 1; }
e2e_tcp down 10.99.0.2 5502 1024 | sed 's/^ *//' | sed 's/^/   /' || { echo "demo: the transfer failed"; exit 1; }
say "wireguard-go: $(in_ns "$WG_CL" wg show "$WG_IF" transfer | cut -f2- | tr '\t' ' ') bytes (rx tx)"

step "Stopping the gateway (SIGTERM, as systemd does) and tearing everything down"
kill -TERM "$E2E_GW_PID"
fz_wait_gone "$E2E_GW_PID" 10
grep -- "counters:" "$E2E_GW_LOG" | sed 's/^dataplane\[[0-9]*\]: info: //' | fold -s -w 100 | show
E2E_GW_PID=""
say "done: the client reached the resource through the gateway."
