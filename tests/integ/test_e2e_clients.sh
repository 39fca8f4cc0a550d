#!/bin/sh
# End to end, two issue-7 scenarios on the direct path: the real gateway,
# signalled through our portal emulator, against the reference client
# (libnice NiceAgent + wireguard-go joined by tests/tools/client_shim.c).
# Topology and helpers: e2e_lib.sh / wg_lib.sh, plus a second client
# namespace with its own veth to the gateway namespace:
#
#   client A ns ($WG_CL)  up0 192.0.2.2    <-> cl0 192.0.2.1    gateway ns
#     wireguard-go $WG_IF 100.64.0.2, fd00:2021:1111::2
#   client B ns ($CLB_NS) up1 198.51.100.2 <-> cl1 198.51.100.1 gateway ns
#     wireguard-go $CLB_IF 100.64.0.3, fd00:2021:1111::3
#   resource ns           gw0 10.99.0.2    <-> res0 10.99.0.1   gateway ns
#
# Scenarios (one PASS/FAIL line each, then a summary):
#   filters     client A authorized for 10.99.0.0/24 with filters tcp 5601
#               and icmp: ping works, TCP to 5601 works both ways (SHA-256
#               compared); TCP to a listening 5602 fails fast with
#               EHOSTUNREACH and an ICMP type 3 code 13 from the gateway;
#               UDP to 5603 gets the same ICMP; a UDP datagram from the
#               resource to A is dropped (inbound filter, issue 15), a ping
#               from the resource to A is answered
#   two-clients client B (another id, keys, shim, wireguard-go, resource
#               10.99.0.2/32) runs next to A: both transfer to the resource
#               at the same time; A cannot ping B's tunnel address and vice
#               versa; nothing from A's tunnel address arrives on B's
#               wireguard-go interface while A transfers and pings B, nor
#               from B's on A's while B tries A
#
# Run (root): FZ_TOP=/work/main FZ_BUILD=build sh tests/integ/test_e2e_clients.sh
# Needs what test_e2e_direct.sh needs.  Logs of the last run are kept in
# $FZ_BUILD/integ/e2e_clients/.  Only the test's own namespaces carry
# traffic; everything is torn down by PID and by name in the EXIT trap.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
. "$(dirname "$0")/wg_lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

PROBE="$FZ_TOP/tests/integ/e2e_clients_probe.py"
CLB_NS="fz-wgclb-$$"
CLB_IF="wgfzb$$"
CLB_ADDR=198.51.100.2
CLB_GW_ADDR=198.51.100.1
CLB_TUN4=100.64.0.3
CLB_TUN6=fd00:2021:1111::3
CLB_GO_PID=""
BGPIDS=""

E2E_SUITE=e2e_clients
. "$(dirname "$0")/scenario_lib.sh"
clients_cleanup() {
	for p in $BGPIDS $CLB_GO_PID; do
		kill -9 "$p" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$CLB_IF.sock"
	e2e_cleanup
}
trap 'save_logs; clients_cleanup' EXIT
trap 'exit 1' INT TERM HUP
e2e_preflight

dump_on_fail() {
	echo "--- gateway log (last 40 lines) ---"
	tail -n 40 "$E2E_GW_LOG"
	for f in shimA shimB signalA signalB; do
		echo "--- $f ---"
		tail -n 15 "$FZ_TMP/$f.log"
	done
}

SC1="filters"
SC1_TEXT="CIDR resource with port filters (tcp 5601, icmp)"
SC2="two-clients"
SC2_TEXT="two clients at once cannot reach each other's traffic"

# ------------------------------------------------------------ helpers
# clb_net: client B's namespace and veth, its ICE socket kept out of its
# tunnel as e2e_net does for client A.
clb_net() {
	wg_extra_netns "$CLB_NS"
	ip -n "$WG_GW" link add cl1 type veth peer name up1 netns "$CLB_NS" || fail "veth client B"
	ip -n "$WG_GW" addr add "$CLB_GW_ADDR/24" dev cl1
	ip -n "$WG_GW" link set cl1 up
	ip -n "$CLB_NS" addr add "$CLB_ADDR/24" dev up1
	ip -n "$CLB_NS" link set up1 up
	ip -n "$CLB_NS" route add 198.51.100.0/24 dev up1 table 100 || fail "client B underlay table"
	# The gateway's host candidate is on cl0 (192.0.2.1): B reaches it routed
	# through its own veth, as a client on another network would.
	ip -n "$CLB_NS" route add 192.0.2.0/24 via "$CLB_GW_ADDR" dev up1 table 100 || fail "client B route to the gateway"
	ip -n "$CLB_NS" route add 192.0.2.0/24 via "$CLB_GW_ADDR" dev up1 || fail "client B route to the gateway"
	ip -n "$CLB_NS" route add unreachable default table 100 || fail "client B underlay table default"
	ip -n "$CLB_NS" rule add from "$CLB_ADDR" lookup 100 priority 100 || fail "client B underlay rule"
	in_ns "$CLB_NS" python3 "$WG_PY" ping "$CLB_GW_ADDR" 1 0.1 3 >/dev/null ||
		fail "no underlay connectivity client B -> gateway"
}

# start_shim NAME NS BIND UFRAG PWD GW_UFRAG GW_PWD: a shim as e2e_shim
# starts one; sets SH_PID, SH_IN, SH_LOG, SH_PORT.
start_shim() {
	SH_IN="$FZ_TMP/$1.in"
	SH_LOG="$FZ_TMP/$1.log"
	rm -f "$SH_IN"
	mkfifo -m 0600 "$SH_IN" || fail "mkfifo"
	ip netns exec "$2" "$E2E_SHIM" --ufrag "$4" --pwd "$5" --remote-ufrag "$6" \
		--remote-pwd "$7" --bind "$3" --wg-listen 127.0.0.1:0 --timeout 60 \
		<>"$SH_IN" >"$SH_LOG" 2>&1 &
	SH_PID=$!
	FZ_PIDS="$FZ_PIDS $SH_PID"
	_n=50
	until grep -q '^shim: wg socket ' "$SH_LOG" 2>/dev/null; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$SH_PID" 2>/dev/null ||
			{ cat "$SH_LOG"; fail "client_shim $1 did not start"; }
		sleep 0.1
	done
	SH_PORT=$(sed -n 's/^shim: wg socket .*:\([0-9]*\)$/\1/p' "$SH_LOG" | head -n 1)
}

# start_signal NAME CLIENT_ID REF SHIM_LOG SHIM_IN: e2e_signal.py for one client.
start_signal() {
	"$PY" "$FZ_TOP/tests/integ/e2e_signal.py" --emu-log "$EMU_LOG" --emu-sock "$EMU_SOCK" \
		--client-id "$2" --ref "$3" --shim-out "$4" --shim-in "$5" \
		>"$FZ_TMP/$1.log" 2>&1 &
	FZ_PIDS="$FZ_PIDS $!"
}

# clb_wg_start: wireguard-go for client B in its namespace (as
# wg_client_start does for A, with B's interface, key and addresses).
clb_wg_start() {
	ip netns exec "$CLB_NS" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go "$CLB_IF" \
		>"$FZ_TMP/wireguard-go-b.log" 2>&1 &
	CLB_GO_PID=$!
	_n=50
	until in_ns "$CLB_NS" wg show "$CLB_IF" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$CLB_GO_PID" 2>/dev/null ||
			{ cat "$FZ_TMP/wireguard-go-b.log"; fail "wireguard-go B did not come up"; }
		sleep 0.1
	done
	in_ns "$CLB_NS" wg set "$CLB_IF" private-key "$WGD/clientb.key" listen-port 51822 ||
		fail "wg set private-key (B)"
	ip -n "$CLB_NS" addr add "$CLB_TUN4/32" dev "$CLB_IF"
	ip -n "$CLB_NS" addr add "$CLB_TUN6/128" dev "$CLB_IF" nodad
	ip -n "$CLB_NS" link set "$CLB_IF" mtu 1280 up || fail "wireguard-go B link up"
	for r in 100.64.0.0/11 10.99.0.0/24; do
		ip -n "$CLB_NS" route add "$r" dev "$CLB_IF" || fail "client B route $r"
	done
	for r in fd00:2021:1111::/107 fd00:99::/64; do
		ip -n "$CLB_NS" -6 route add "$r" dev "$CLB_IF" || fail "client B route $r"
	done
	in_ns "$CLB_NS" wg set "$CLB_IF" peer "$GWPUB" endpoint "127.0.0.1:$1" \
		allowed-ips 100.64.0.0/11,fd00:2021:1111::/107,10.99.0.0/24,fd00:99::/64 \
		persistent-keepalive 25 preshared-key "$WGD/pskb" || fail "wg set peer (B)"
}

# ns_tcp NS DIR HOST PORT SIZE_KB: e2e_tcp from any client namespace.
ns_tcp() {
	_f="$FZ_TMP/xfer-$2-$4.bin"
	head -c "$(($5 * 1024))" /dev/urandom >"$_f"
	_want=$(sha256sum "$_f" | cut -d' ' -f1)
	if [ "$2" = up ]; then
		ip netns exec "$WG_RES" python3 "$WG_PY" sink "$3" "$4" >"$_f.srv" 2>&1 &
		_sp=$!
		wg_wait_port "$WG_RES" "$4" || true
		in_ns "$1" python3 "$WG_PY" put "$3" "$4" "$_f" >/dev/null 2>&1
		wait "$_sp"
		_got=$(cat "$_f.srv")
	else
		ip netns exec "$WG_RES" python3 "$WG_PY" source "$3" "$4" "$_f" >"$_f.srv" 2>&1 &
		_sp=$!
		wg_wait_port "$WG_RES" "$4" || true
		_got=$(in_ns "$1" python3 "$WG_PY" get "$3" "$4" 2>&1)
		wait "$_sp"
	fi
	echo "    tcp $2 $3:$4 ${5} KiB ($1): $(wg_field "$_got" bytes) bytes received, sha256 $(wg_field "$_got" sha256 | cut -c1-16)... (sent $(echo "$_want" | cut -c1-16)...)"
	[ "$(wg_field "$_got" sha256)" = "$_want" ]
}

ns_ping_ok() {
	_r=$(wg_ping "$1" "$2" 3 0.2 8)
	_s=$?
	echo "    ping $2 from $1: $_r"
	return $_s
}
ns_ping_none() {
	_r=$(wg_ping "$1" "$2" 100 0.25 "$3")
	echo "    ping $2 from $1: $_r"
	[ "$(wg_field "$_r" received)" = 0 ]
}

# wait_pair NAME SHIM_LOG CLIENT_ID: ICE done on both ends.
wait_pair() {
	e2e_wait_file "$2" '^shim: selected pair ' 15 || { echo "    $1: no pair selected"; return 1; }
	e2e_wait_file "$E2E_GW_LOG" "client $3: path chosen: direct" 5 || { echo "    $1: gateway chose no direct path"; return 1; }
	echo "    $1: $(sed -n 's/^shim: selected pair //p' "$2" | tail -n 1)"
}

# flow CLIENT_ID PUBKEY PSK TUN4 TUN6 RESOURCE FILE: an authorize_flow payload.
flow() {
	payload authorize_flow client_id="$1" client_public_key="$2" preshared_key="$3" \
		client_ipv4="$4" client_ipv6="$5" resource="$6" \
		gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$7" ||
		fail "authorize_flow payload"
}

CLA_ID=3b5e2a71-0c4d-4f8e-9a16-7d2c5b8e1f04
CLB_ID=c81f4d26-7a3e-4b59-8e0d-2f6a9c3b7d15

# ------------------------------------------------------------------ set-up
e2e_build_shim
wg_topology
e2e_net
clb_net
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
wg genkey >"$WGD/clientb.key" || fail "wg genkey"
umask 022
CLA_PUB=$(wg pubkey <"$WGD/client.key")
CLB_PUB=$(wg pubkey <"$WGD/clientb.key")
PSKA=$(wg genpsk)
PSKB=$(wg genpsk)
printf '%s\n' "$PSKA" >"$WGD/psk"
printf '%s\n' "$PSKB" >"$WGD/pskb"

FILTERS='[{"protocol":"tcp","port_range_start":5601,"port_range_end":5601},{"protocol":"icmp"}]'
RESA=$(payload cidr_resource address=10.99.0.0/24 name="resource LAN (filtered)" filters="$FILTERS")
flow "$CLA_ID" "$CLA_PUB" "$PSKA" "$E2E_CL_TUN4" "$E2E_CL_TUN6" "$RESA" "$FZ_TMP/flowA.json"
RESB=$(payload cidr_resource address=10.99.0.2/32 name="resource host")
flow "$CLB_ID" "$CLB_PUB" "$PSKB" "$CLB_TUN4" "$CLB_TUN6" "$RESB" "$FZ_TMP/flowB.json"
ice() { e2e_json "$1" "j[\"$2_ice_credentials\"][\"$3\"]"; }
REFA=$(e2e_json "$FZ_TMP/flowA.json" 'j["ref"]')
REFB=$(e2e_json "$FZ_TMP/flowB.json" 'j["ref"]')

start_shim shimA "$WG_CL" "$WG_CL_ADDR" "$(ice "$FZ_TMP/flowA.json" client username)" \
	"$(ice "$FZ_TMP/flowA.json" client password)" "$(ice "$FZ_TMP/flowA.json" gateway username)" \
	"$(ice "$FZ_TMP/flowA.json" gateway password)"
SHA_LOG=$SH_LOG SHA_IN=$SH_IN SHA_PORT=$SH_PORT
start_shim shimB "$CLB_NS" "$CLB_ADDR" "$(ice "$FZ_TMP/flowB.json" client username)" \
	"$(ice "$FZ_TMP/flowB.json" client password)" "$(ice "$FZ_TMP/flowB.json" gateway username)" \
	"$(ice "$FZ_TMP/flowB.json" gateway password)"
SHB_LOG=$SH_LOG SHB_IN=$SH_IN SHB_PORT=$SH_PORT
E2E_SHIM_LOG=$SHA_LOG
start_signal signalA "$CLA_ID" "$REFA" "$SHA_LOG" "$SHA_IN"
start_signal signalB "$CLB_ID" "$REFB" "$SHB_LOG" "$SHB_IN"
echo "    set-up: gateway $GWPUB joined; shim A 127.0.0.1:$SHA_PORT, shim B 127.0.0.1:$SHB_PORT (t=$(( $(date +%s) - T0 )) s)"

# ----------------------------------------------------------------- filters
scenario "$SC1" "$SC1_TEXT"
A_OK=0
emu push authorize_flow "@$FZ_TMP/flowA.json" >/dev/null || bad "push authorize_flow (A)"
if emu wait flow_authorized 10 --match "json.payload.ref=$REFA" >/dev/null && wait_pair A "$SHA_LOG" "$CLA_ID"; then
	pass "client A authorized (filters tcp 5601, icmp) and on a direct pair"
	A_OK=1
else
	bad "client A: no flow_authorized or no pair"
fi
if [ "$A_OK" = 1 ]; then
	wg_client_start
	wg_client_peer "$GWPUB" "127.0.0.1:$SHA_PORT" "$WGD/psk" 25
	check "ping 10.99.0.2 (icmp allowed)" ns_ping_ok "$WG_CL" 10.99.0.2
	check "TCP client -> resource port 5601 1 MiB, SHA-256 equal" ns_tcp "$WG_CL" up 10.99.0.2 5601 1024
	check "TCP resource -> client port 5601 1 MiB, SHA-256 equal" ns_tcp "$WG_CL" down 10.99.0.2 5601 1024
	# A listener on 5602 that must never see a connection.
	ip netns exec "$WG_RES" timeout 6 python3 "$WG_PY" sink 10.99.0.2 5602 >"$FZ_TMP/l5602.out" 2>&1 &
	L5602=$!
	BGPIDS="$BGPIDS $L5602"
	wg_wait_port "$WG_RES" 5602 || bad "no listener on 10.99.0.2:5602"
	R=$(in_ns "$WG_CL" "$PY" "$PROBE" tcp 10.99.0.2 5602 5)
	echo "    tcp 10.99.0.2:5602: $R"
	case $R in
	"result=EHOSTUNREACH "*) pass "connect to 5602 fails with EHOSTUNREACH" ;;
	*) bad "connect to 5602 did not fail with EHOSTUNREACH" ;;
	esac
	EL=$(wg_field "$R" elapsed)
	check "it fails quickly (${EL:-?} s < 2 s), not by a timeout" \
		"$PY" -c 'import sys; sys.exit(not float(sys.argv[1] or 99) < 2)' "${EL:-99}"
	check "the client got ICMP type 3 code 13 (administratively prohibited) from 10.99.0.2 for the SYN" \
		[ "$(wg_field "$R" icmp)" = 3/13 ]
	kill "$L5602" 2>/dev/null
	wait "$L5602" 2>/dev/null
	check "the 5602 listener never got a connection" sh -c "! grep -q 'bytes=' '$FZ_TMP/l5602.out'"
	R=$(in_ns "$WG_CL" "$PY" "$PROBE" udp 10.99.0.2 5603 3)
	echo "    udp 10.99.0.2:5603: $R"
	check "UDP to 5603 answered with ICMP type 3 code 13" [ "$(wg_field "$R" icmp)" = 3/13 ]
	check "ping 10.99.0.2 still answered" ns_ping_ok "$WG_CL" 10.99.0.2
	# Issue 15: resource -> client traffic is filtered by source too.  A holds
	# TCP 5601 and ICMP only, so a UDP datagram from the resource is dropped.
	FT="$FZ_TOP/tests/integ/faults_tool.py"
	ip netns exec "$WG_CL" "$PY" "$FT" udprecv "$E2E_CL_TUN4" 7778 3 >"$FZ_TMP/in7778.out" 2>&1 &
	RCV=$!
	sleep 0.3
	in_ns "$WG_RES" "$PY" "$FT" udpsend "$E2E_CL_TUN4" 7778 100 >/dev/null
	wait "$RCV"
	echo "    UDP 10.99.0.2 -> client A: $(cat "$FZ_TMP/in7778.out")"
	check "a UDP datagram from the resource (no UDP grant) does not reach client A" \
		grep -q "received=0" "$FZ_TMP/in7778.out"
	check "the resource can ping client A (ICMP granted)" ns_ping_ok "$WG_RES" "$E2E_CL_TUN4"
fi
scenario_end
if [ "$A_OK" != 1 ]; then
	dump_on_fail
	not_run "$SC2" "$SC2_TEXT" "client A has no connection"
	finish
fi

# ------------------------------------------------------------- two clients
scenario "$SC2" "$SC2_TEXT"
B_OK=0
emu push authorize_flow "@$FZ_TMP/flowB.json" >/dev/null || bad "push authorize_flow (B)"
if emu wait flow_authorized 10 --match "json.payload.ref=$REFB" >/dev/null && wait_pair B "$SHB_LOG" "$CLB_ID"; then
	pass "client B authorized (10.99.0.2/32) and on a direct pair via $CLB_GW_ADDR"
	B_OK=1
else
	bad "client B: no flow_authorized or no pair"
fi
if [ "$B_OK" = 1 ]; then
	clb_wg_start "$SHB_PORT"
	in_ns "$CLB_NS" "$PY" "$PROBE" udppeers up1 2 >"$FZ_TMP/peersB.out" 2>&1 &
	PPE=$!
	BGPIDS="$BGPIDS $PPE"
	check "ping 10.99.0.2 from B" ns_ping_ok "$CLB_NS" 10.99.0.2
	wait "$PPE"
	PEERS=$(cat "$FZ_TMP/peersB.out")
	echo "    UDP flows on B's up1: $PEERS"
	only_b_gw() {
		[ -n "$PEERS" ] && [ "$PEERS" != none ] || return 1
		for f in $PEERS; do
			case ${f%=*} in
			"$CLB_ADDR":*">$WG_GW_ADDR":* | "$WG_GW_ADDR":*">$CLB_ADDR":*) ;;
			*) return 1 ;;
			esac
		done
	}
	check "B's tunnel runs over its own veth: UDP on up1 only between $CLB_ADDR and the gateway's $WG_GW_ADDR" only_b_gw
	check "the gateway logs B's WireGuard handshake" e2e_wait_file "$E2E_GW_LOG" "client $CLB_ID: WireGuard handshake done" 3
	# Both at once: two transfers and two pings in parallel.
	ns_tcp "$WG_CL" up 10.99.0.2 5601 2048 >"$FZ_TMP/parA.out" 2>&1 &
	PA=$!
	ns_tcp "$CLB_NS" up 10.99.0.2 5611 2048 >"$FZ_TMP/parB.out" 2>&1 &
	PB=$!
	BGPIDS="$BGPIDS $PA $PB"
	wait "$PA"
	RA=$?
	wait "$PB"
	RB=$?
	cat "$FZ_TMP/parA.out" "$FZ_TMP/parB.out"
	check "A's 2 MiB transfer (at the same time as B's) SHA-256 equal" [ "$RA" = 0 ]
	check "B's 2 MiB transfer (at the same time as A's) SHA-256 equal" [ "$RB" = 0 ]
	# Capture on B's wireguard-go interface while B pings the resource (so the
	# capture is seen to work) and A pings B, connects to B, sends UDP to B
	# and transfers to the resource; until the stop file, at most 25 s.
	STOP="$FZ_TMP/capture.stop"
	rm -f "$STOP"
	in_ns "$CLB_NS" "$PY" "$PROBE" capture "$CLB_IF" 25 "$STOP" "$E2E_CL_TUN4" "$E2E_CL_TUN6" \
		>"$FZ_TMP/capB.out" 2>&1 &
	CB=$!
	BGPIDS="$BGPIDS $CB"
	e2e_wait_file "$FZ_TMP/capB.out" capturing 3 || bad "the capture on B's interface did not start"
	wg_ping "$CLB_NS" 10.99.0.2 1000 0.25 25 "$STOP" >"$FZ_TMP/pingB.out" 2>&1 &
	PPB=$!
	BGPIDS="$BGPIDS $PPB"
	check "A cannot ping B's tunnel address $CLB_TUN4" ns_ping_none "$WG_CL" "$CLB_TUN4" 2
	check "A cannot ping B's tunnel address $CLB_TUN6" ns_ping_none "$WG_CL" "$CLB_TUN6" 2
	R=$(in_ns "$WG_CL" "$PY" "$PROBE" tcp "$CLB_TUN4" 5701 3)
	echo "    tcp A -> $CLB_TUN4:5701: $R"
	check "A cannot open TCP to B's tunnel address" [ "$(wg_field "$R" result)" != ok ]
	R=$(in_ns "$WG_CL" "$PY" "$PROBE" udp "$CLB_TUN4" 5702 1)
	echo "    udp A -> $CLB_TUN4:5702: $R"
	check "TCP A -> resource 1 MiB during the capture, SHA-256 equal" ns_tcp "$WG_CL" up 10.99.0.2 5601 1024
	sleep 0.5
	touch "$STOP"
	wait "$PPB"
	echo "    B's ping during the capture: $(cat "$FZ_TMP/pingB.out")"
	wait "$CB"
	C=$(tail -n 1 "$FZ_TMP/capB.out")
	echo "    capture on $CLB_IF: $C"
	RB=$(wg_field "$(cat "$FZ_TMP/pingB.out")" received)
	check "the capture on B's interface saw B's own traffic (B's ${RB:-0} replies; it works)" \
		[ "$(wg_field "$C" total)" -gt 10 ]
	check "nothing from A's $E2E_CL_TUN4 or $E2E_CL_TUN6 arrived on B's interface" [ "$(wg_field "$C" from_src)" = 0 ]
	# And the other way: a capture on A's interface while B tries A.
	rm -f "$STOP"
	in_ns "$WG_CL" "$PY" "$PROBE" capture "$WG_IF" 25 "$STOP" "$CLB_TUN4" "$CLB_TUN6" \
		>"$FZ_TMP/capA.out" 2>&1 &
	CA=$!
	BGPIDS="$BGPIDS $CA"
	e2e_wait_file "$FZ_TMP/capA.out" capturing 3 || bad "the capture on A's interface did not start"
	wg_ping "$WG_CL" 10.99.0.2 1000 0.25 25 "$STOP" >"$FZ_TMP/pingA.out" 2>&1 &
	PPA=$!
	BGPIDS="$BGPIDS $PPA"
	check "B cannot ping A's tunnel address $E2E_CL_TUN4" ns_ping_none "$CLB_NS" "$E2E_CL_TUN4" 2
	check "B cannot ping A's tunnel address $E2E_CL_TUN6" ns_ping_none "$CLB_NS" "$E2E_CL_TUN6" 2
	R=$(in_ns "$CLB_NS" "$PY" "$PROBE" tcp "$E2E_CL_TUN4" 5703 3)
	echo "    tcp B -> $E2E_CL_TUN4:5703: $R"
	check "B cannot open TCP to A's tunnel address" [ "$(wg_field "$R" result)" != ok ]
	R=$(in_ns "$CLB_NS" "$PY" "$PROBE" udp "$E2E_CL_TUN4" 5704 1)
	echo "    udp B -> $E2E_CL_TUN4:5704: $R"
	sleep 0.5
	touch "$STOP"
	wait "$PPA"
	wait "$CA"
	C=$(tail -n 1 "$FZ_TMP/capA.out")
	echo "    capture on $WG_IF: $C (A's ping meanwhile: $(cat "$FZ_TMP/pingA.out"))"
	check "the capture on A's interface saw A's own traffic" [ "$(wg_field "$C" total)" -gt 10 ]
	check "nothing from B's $CLB_TUN4 or $CLB_TUN6 arrived on A's interface" [ "$(wg_field "$C" from_src)" = 0 ]
	check "A still reaches the resource" ns_ping_ok "$WG_CL" 10.99.0.2
	check "B still reaches the resource" ns_ping_ok "$CLB_NS" 10.99.0.2
	check "the gateway is still running" kill -0 "$E2E_GW_PID"
fi
scenario_end

[ "$SC_FAIL" -eq 0 ] || dump_on_fail
finish
