#!/bin/sh
# WireGuard interoperability: firezone-gateway (driven over its IPC by
# tests/tools/wg_driver playing the control role: static path, no ICE)
# against wireguard-go in a client namespace, with a resource namespace
# behind the gateway.  Topology in wg_lib.sh.  Scenarios:
#   ipc  the driver's handshake with the dataplane: socket acks, iface result
#   (a)  ping 10.99.0.2 and fd00:99::2 through the tunnel
#   (b)  TCP transfers both ways with SHA-256 compared, iperf3 TCP and UDP
#   (c)  all of that with a preshared key on both sides
#   (d)  without a preshared key, and with the TUN offloads off
#   (e)  a client with the wrong private key gets nothing through
#   (f)  a client with the wrong preshared key gets nothing through
#   (g)  the gateway's own log shows the handshake
#   (i)  IPv6 underlay (the gateway's IPv6 socket)
#   (j)  port filters, revoke, re-grant and peer removal (driver FIFO commands)
#   (h)  rekey with the -DWG_TEST_SHORT_TIMERS build (make WG_SHORT=1):
#        traffic both ways keeps flowing across handshakes; skipped when
#        $FZ_TOP/build-shorttimers/firezone-gateway does not exist
# Each prints ok/FAIL lines; one summary line at the end; exit 1 if any FAIL.
#
# Run by hand (root):  FZ_TOP=/work/main FZ_BUILD=build sh tests/integ/wip_wg_interop.sh
# (named wip_ so run-all.sh skips it until it becomes test_wg_interop.sh).
# Needs build/firezone-gateway and build/tests/tools/wg_driver; logs of every
# run are kept in $FZ_BUILD/integ/wg_interop/.
# Environment: FZ_WG_SHORT_BIN (rekey binary), FZ_WG_REKEY_HANDSHAKES
# (handshakes to see in (h), default 2: the first and one rekey 12 s later;
# 3 adds a second rekey and 12 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wg_lib.sh"
# Logs of every run are copied here at exit (run-all.sh keeps its own there too).
LOGKEEP="$B/integ/wg_interop"
save_logs() {
	rm -rf "$LOGKEEP"
	mkdir -p "$LOGKEEP" && cp "$FZ_TMP"/*.log "$WGD"/*.conf "$LOGKEEP"/ 2>/dev/null
}
trap 'save_logs; wg_cleanup' EXIT
T0=$(date +%s)
fz_need_root
fz_users
[ -x "$WG_DRIVER" ] || fail "$WG_DRIVER missing (make $FZ_BUILD/tests/tools/wg_driver)"
[ -x "$DP" ] || fail "$DP missing (make)"
for c in iperf3 python3; do
	command -v "$c" >/dev/null || fail "$c missing (contrib/deps.sh test)"
done

OKS=0
FAILS=0
SKIPS=0
pass() { echo "ok: $*"; OKS=$((OKS + 1)); }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
skip() { echo "skip: $*"; SKIPS=$((SKIPS + 1)); }
# check DESCRIPTION CMD...: ok/FAIL by the command's status.
check() {
	_d=$1
	shift
	if "$@"; then pass "$_d"; else bad "$_d"; fi
}

wg_topology
umask 077
for k in client wrong; do
	wg genkey >"$WGD/$k.key" || fail "wg genkey"
done
wg genpsk >"$WGD/psk"
wg genpsk >"$WGD/wrongpsk"
umask 022
CL_PUB=$(wg pubkey <"$WGD/client.key")
PSK=$(cat "$WGD/psk")
wg_client_start
pass "topology: client (wireguard-go $WG_IF), gateway, resource namespaces"

GRANTS="grant=10.99.0.0/24,fd00:99::/64"
PEER="peer_pub=$CL_PUB"
EP="endpoint=$WG_CL_ADDR:$WG_CL_PORT"
GW_EP="$WG_GW_ADDR:$WG_GW_PORT"

# ping_ok NS DST: 3 echo replies of 3 within 8 s (the first waits for the handshake).
ping_ok() {
	_r=$(wg_ping "$1" "$2" 3 0.2 8)
	_s=$?
	echo "    ping $2: $_r"
	return $_s
}
# ping_none NS DST SECONDS: no echo reply at all.
ping_none() {
	_r=$(wg_ping "$1" "$2" 100 0.25 "$3")
	echo "    ping $2: $_r"
	[ "$(wg_field "$_r" received)" = 0 ]
}
hs_seen() { [ "$(wg_handshakes)" -ge 1 ]; }
no_hs() { [ "$(wg_handshakes)" -eq 0 ]; }
gw_alive() { kill -0 "$WG_GW_PID" 2>/dev/null; }
drv() { grep -q "^wg_driver: $1" "$WG_GW_LOG"; }
# gw_udp_rx: datagrams the dataplane counted (from its last counters line).
gw_udp_rx() { sed -n 's/.*counters: udp rx \([0-9]*\),.*/\1/p' "$WG_GW_LOG" | tail -n 1; }
# stop_clean RUN [control]: SIGTERM to the gateway (or to wg_driver, which
# then sends C2D_SHUTDOWN); both must end with status 0 and no error line.
stop_clean() {
	if [ "${2:-}" = control ]; then
		_cp=$(pgrep -P "$WG_GW_PID" | head -n 1)
		[ -n "$_cp" ] && kill -TERM "$_cp"
		fz_wait_gone "$WG_GW_PID" 10
		wg_gw_stop
		check "$1: SIGTERM to wg_driver: C2D_SHUTDOWN, gateway exit $WG_GW_RC" \
			sh -c "[ $WG_GW_RC -eq 0 ] && grep -q '^wg_driver: sent shutdown' '$WG_GW_LOG'"
	else
		wg_gw_stop
		check "$1: gateway stopped cleanly on SIGTERM (exit $WG_GW_RC)" [ "$WG_GW_RC" -eq 0 ]
	fi
	if grep -q '^wg_driver: error\|control process exited with status' "$WG_GW_LOG"; then
		bad "$1: wg_driver reported an error or exited non-zero"
		grep '^wg_driver: error\|control process exited with status' "$WG_GW_LOG"
	fi
}

# tcp_xfer DIR HOST PORT SIZE_KB: a file through the tunnel, SHA-256 compared.
# DIR up: client -> resource; down: resource -> client.
tcp_xfer() {
	_f="$FZ_TMP/xfer-$1-$3.bin"
	head -c "$(($4 * 1024))" /dev/urandom >"$_f"
	_want=$(sha256sum "$_f" | cut -d' ' -f1)
	if [ "$1" = up ]; then
		ip netns exec "$WG_RES" python3 "$WG_PY" sink "$2" "$3" >"$_f.srv" 2>&1 &
		_sp=$!
		wg_wait_port "$WG_RES" "$3" || true
		_r=$(in_ns "$WG_CL" python3 "$WG_PY" put "$2" "$3" "$_f" 2>&1)
		wait "$_sp"
		_got=$(cat "$_f.srv")
	else
		ip netns exec "$WG_RES" python3 "$WG_PY" source "$2" "$3" "$_f" >"$_f.srv" 2>&1 &
		_sp=$!
		wg_wait_port "$WG_RES" "$3" || true
		_got=$(in_ns "$WG_CL" python3 "$WG_PY" get "$2" "$3" 2>&1)
		wait "$_sp"
	fi
	echo "    tcp $1 $2:$3 ${4} KiB: $(wg_field "$_got" bytes) bytes received"
	[ "$(wg_field "$_got" sha256)" = "$_want" ]
}

# iperf_run tcp|udp HOST: a 2 s iperf3 run; bytes received > 0.
iperf_run() {
	_j="$FZ_TMP/iperf-$1-$2.json"
	ip netns exec "$WG_RES" iperf3 -s -1 -p 5201 >"$FZ_TMP/iperf-server-$1.log" 2>&1 &
	_sp=$!
	wg_wait_port "$WG_RES" 5201 || { kill "$_sp" 2>/dev/null; return 1; }
	if [ "$1" = udp ]; then
		in_ns "$WG_CL" timeout 20 iperf3 -c "$2" -p 5201 -t 2 -J --connect-timeout 5000 \
			-u -b 20M -l 1200 >"$_j" 2>&1
	else
		in_ns "$WG_CL" timeout 20 iperf3 -c "$2" -p 5201 -t 2 -J --connect-timeout 5000 >"$_j" 2>&1
	fi
	kill "$_sp" 2>/dev/null
	wait "$_sp" 2>/dev/null
	_r=$(python3 "$WG_PY" iperf "$_j")
	_s=$?
	echo "    iperf3 $1 $2: $_r"
	return $_s
}

# ---------------------------------------------------------------- run 1: PSK
echo "== run psk: preshared key on both sides (t=$(( $(date +%s) - T0 )) s)"
wg_gw_start psk "$DP" "$PEER" "psk=$PSK" "$EP" "$GRANTS"
check "ipc: driver got the gateway's hello and key" drv "hello from dataplane pid [0-9]* protocol [0-9]* pubkey $WG_GWPUB"
# wait_drv PATTERN SECONDS: wait for a driver line (no failure here).
wait_drv() {
	_n=$(($2 * 10))
	until drv "$1" || [ "$_n" -le 0 ]; do sleep 0.1; _n=$((_n - 1)); done
}
wait_drv "socket ack v6" 5
check "ipc: IPv4 socket acknowledged (port $WG_GW_PORT)" drv "socket ack v4 port $WG_GW_PORT ok 1"
check "ipc: IPv6 socket acknowledged (port $WG_GWPORT6)" drv "socket ack v6 port $WG_GWPORT6 ok 1"
wait_drv "iface result" 5
check "ipc: iface result, all applied" drv "iface result v4 1 v6 1 link 1 routes 1 rules_v4 1 rules_v6 1"
check "ipc: tun-firezone has 100.64.0.1 and fd00:2021:1111::1" \
	sh -c "ip -n '$WG_GW' addr show tun-firezone | grep -q 'inet 100.64.0.1/32' &&
	       ip -n '$WG_GW' addr show tun-firezone | grep -q 'inet6 fd00:2021:1111::1/128'"
wg_client_peer "$WG_GWPUB" "$GW_EP" "$WGD/psk" 25
check "(a) ping 10.99.0.2 through the tunnel (psk)" ping_ok "$WG_CL" 10.99.0.2
check "(a) ping fd00:99::2 through the tunnel (psk)" ping_ok "$WG_CL" fd00:99::2
check "(c) the gateway's peer has the preshared key" drv "sent peer-add 1 (psk yes"
check "(c) handshake with a preshared key: driver got 'peer 1 event handshake'" hs_seen
check "(b) the TUN with offloads (virtio-net header, TSO)" grep -q "offloads: checksum, TSO" "$WG_GW_LOG"
check "(g) the gateway logs the handshake" sh -c "grep -v '^wg_driver:' '$WG_GW_LOG' | grep -q 'wg: peer 1: handshake done'"
check "(b) TCP client->resource 4 MiB, SHA-256 equal" tcp_xfer up 10.99.0.2 5301 4096
check "(b) TCP resource->client 4 MiB, SHA-256 equal" tcp_xfer down 10.99.0.2 5302 4096
check "(b) TCP client->resource over IPv6 1 MiB, SHA-256 equal" tcp_xfer up fd00:99::2 5303 1024
check "(b) iperf3 TCP 2 s, bytes received > 0" iperf_run tcp 10.99.0.2
check "(b) iperf3 UDP 2 s at 20 Mbit/s, bytes received > 0" iperf_run udp 10.99.0.2
echo "    wireguard-go: $(in_ns "$WG_CL" wg show "$WG_IF" transfer | cut -f2-)"
wg_latest() { in_ns "$WG_CL" wg show "$WG_IF" latest-handshakes | cut -f2; }
check "(c) wireguard-go reports a completed handshake with the preshared key" [ "$(wg_latest)" -gt 0 ]
stop_clean psk

# --------------------------------------------------------------- run 2: no PSK
# This run also has the TUN offloads off (FIREZONE_TUN_OFFLOAD=false): the
# plain read/write path, packet by packet, carries the same traffic.
echo "== run nopsk: no preshared key, TUN offloads off (t=$(( $(date +%s) - T0 )) s)"
WG_GW_ENV="FIREZONE_TUN_OFFLOAD=false"
wg_gw_start nopsk "$DP" "$PEER" "$EP" "$GRANTS"
WG_GW_ENV=""
wg_client_peer "$WG_GWPUB" "$GW_EP" - 25
check "(d) the TUN without offloads (FIREZONE_TUN_OFFLOAD=false)" grep -q "offloads: none" "$WG_GW_LOG"
check "(d) ping 10.99.0.2 without a preshared key" ping_ok "$WG_CL" 10.99.0.2
check "(d) ping fd00:99::2 without a preshared key" ping_ok "$WG_CL" fd00:99::2
check "(d) handshake event without a preshared key" hs_seen
check "(d) TCP client->resource 1 MiB without a preshared key" tcp_xfer up 10.99.0.2 5304 1024
check "(d) TCP resource->client 1 MiB without offloads" tcp_xfer down 10.99.0.2 5306 1024
stop_clean nopsk

# ------------------------------------------------------ run 3: wrong private key
echo "== run wrongkey: the client uses another private key (t=$(( $(date +%s) - T0 )) s)"
wg_gw_start wrongkey "$DP" "$PEER" "$EP" "$GRANTS"
wg_client_key "$WGD/wrong.key"
wg_client_peer "$WG_GWPUB" "$GW_EP" - 25
check "(e) wrong private key: no ping reply in 2 s" ping_none "$WG_CL" 10.99.0.2 2
check "(e) wrong private key: no handshake event" no_hs
check "(e) wrong private key: gateway still running" gw_alive
stop_clean wrongkey
echo "    gateway udp rx: $(gw_udp_rx)"
check "(e) the gateway did receive the client's datagrams" [ "$(gw_udp_rx)" -gt 0 ]
wg_client_key "$WGD/client.key"

# ------------------------------------------------------ run 4: wrong PSK
echo "== run wrongpsk: the client uses another preshared key (t=$(( $(date +%s) - T0 )) s)"
wg_gw_start wrongpsk "$DP" "$PEER" "psk=$PSK" "$EP" "$GRANTS"
wg_client_peer "$WG_GWPUB" "$GW_EP" "$WGD/wrongpsk" 25
check "(f) wrong preshared key: no ping reply in 2 s" ping_none "$WG_CL" 10.99.0.2 2
check "(f) wrong preshared key: no handshake event" no_hs
check "(f) wrong preshared key: gateway still running" gw_alive
stop_clean wrongpsk
echo "    gateway udp rx: $(gw_udp_rx)"
check "(f) the gateway did receive the client's datagrams" [ "$(gw_udp_rx)" -gt 0 ]

# ------------------------------------------------------ run 5: IPv6 underlay
echo "== run v6: WireGuard over the IPv6 socket (t=$(( $(date +%s) - T0 )) s)"
wg_gw_start v6 "$DP" "$PEER" "psk=$PSK" "endpoint=[$WG_CL_ADDR6]:$WG_CL_PORT" "$GRANTS"
wg_client_peer "$WG_GWPUB" "[$WG_GW_ADDR6]:$WG_GWPORT6" "$WGD/psk" 25
check "(i) IPv6 underlay: ping 10.99.0.2" ping_ok "$WG_CL" 10.99.0.2
check "(i) IPv6 underlay: ping fd00:99::2" ping_ok "$WG_CL" fd00:99::2
stop_clean v6 control

# ------------------------------------------------------ run 6: filters and revoke
echo "== run filters: port filters, revoke, re-grant, peer removal (t=$(( $(date +%s) - T0 )) s)"
wg_gw_start filters "$DP" "$PEER" "$EP" "grant=10.99.0.0/24+tcp:5305+udp:5201,fd00:99::/64"
wg_client_peer "$WG_GWPUB" "$GW_EP" - 25
check "(j) IPv6 resource without filters: ping fd00:99::2" ping_ok "$WG_CL" fd00:99::2
r=$(wg_ping "$WG_CL" 10.99.0.2 4 0.25 1.5)
echo "    ping 10.99.0.2: $r"
check "(j) tcp/udp-only resource: ping 10.99.0.2 denied" [ "$(wg_field "$r" received)" = 0 ]
check "(j) denied ping answered with ICMP unreachable" [ "$(wg_field "$r" unreachable)" -gt 0 ]
check "(j) tcp/udp-only resource: TCP to the allowed port 5305" tcp_xfer up 10.99.0.2 5305 256
wg_cmd "revoke 2"
sleep 0.3
check "(j) after revoke: ping fd00:99::2 denied" ping_none "$WG_CL" fd00:99::2 1.5
wg_cmd "grant fd00:99::/64"
sleep 0.3
check "(j) after re-grant: ping fd00:99::2" ping_ok "$WG_CL" fd00:99::2
wg_cmd "peer-remove"
sleep 0.3
check "(j) after peer removal: ping fd00:99::2 fails" ping_none "$WG_CL" fd00:99::2 1.5
check "(j) gateway still running after the commands" gw_alive
stop_clean filters

# ------------------------------------------------------ run 7: rekey
SHORT_BIN=${FZ_WG_SHORT_BIN:-$FZ_TOP/build-shorttimers/firezone-gateway}
NHS=${FZ_WG_REKEY_HANDSHAKES:-2}
if [ ! -x "$SHORT_BIN" ]; then
	skip "(h) rekey: $SHORT_BIN does not exist (make WG_SHORT=1 builds it)"
else
	echo "== run rekey: $SHORT_BIN (timers / 10: rekey after 12 s) (t=$(( $(date +%s) - T0 )) s)"
	# No persistent keepalive on the client and traffic from the resource
	# first: the gateway initiates, so it owns the session and rekeys after
	# REKEY_AFTER_TIME on send; traffic flows both ways meanwhile.
	wg_gw_start rekey "$SHORT_BIN" "$PEER" "psk=$PSK" "$EP" "$GRANTS"
	wg_client_peer "$WG_GWPUB" "$GW_EP" "$WGD/psk" 0
	stopf="$FZ_TMP/rekey.stop"
	ip netns exec "$WG_RES" python3 "$WG_PY" ping 100.64.0.2 100000 0.2 120 "$stopf" >"$FZ_TMP/rekey-res.out" &
	rp=$!
	_n=100
	until hs_seen || [ "$_n" -le 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	ip netns exec "$WG_CL" python3 "$WG_PY" ping 10.99.0.2 100000 0.2 120 "$stopf" >"$FZ_TMP/rekey-cl.out" &
	cp=$!
	_n=$(( (NHS * 13 + 5) * 10 ))
	until [ "$(wg_handshakes)" -ge "$NHS" ] || [ "$_n" -le 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	sleep 1.5
	touch "$stopf"
	wait "$rp"
	wait "$cp"
	hs=$(wg_handshakes)
	rr=$(cat "$FZ_TMP/rekey-res.out")
	cr=$(cat "$FZ_TMP/rekey-cl.out")
	echo "    handshakes $hs; resource->client $rr; client->resource $cr"
	check "(h) rekey: at least $NHS handshakes" [ "$hs" -ge "$NHS" ]
	ratio_ok() {
		_s=$(wg_field "$1" sent)
		_g=$(wg_field "$1" received)
		[ "$_s" -gt 0 ] && [ $((_g * 100)) -ge $((_s * 90)) ]
	}
	check "(h) rekey: resource->client pings >= 90% answered across the handshakes" ratio_ok "$rr"
	check "(h) rekey: client->resource pings >= 90% answered across the handshakes" ratio_ok "$cr"
	check "(h) rekey: traffic after the last handshake" ping_ok "$WG_CL" 10.99.0.2
	stop_clean rekey
fi

echo "wg_interop: $OKS ok, $FAILS failed, $SKIPS skipped ($(( $(date +%s) - T0 )) s); logs in $LOGKEEP"
[ "$FAILS" -eq 0 ]
