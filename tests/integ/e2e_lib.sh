# Helpers of the end-to-end tests (issue 7; sourced after lib.sh,
# portal_lib.sh and wg_lib.sh, POSIX sh).
#
# The reference client is made of independent implementations joined by
# our shim: libnice's NiceAgent (tests/tools/client_shim.c, controlling,
# trickle) for ICE and wireguard-go for WireGuard; wireguard-go's peer
# endpoint is the shim's 127.0.0.1 socket and the shim carries every
# datagram over the ICE-selected pair.  The real gateway (dataplane and
# control) runs in the gateway namespace of wg_lib.sh's topology, with the
# portal emulator on that namespace's 127.0.0.1 and a coturn as its relay:
#
#   client ns (WG_CL)                gateway ns (FZ_NETNS)            resource ns
#   wireguard-go $WG_IF              firezone-gateway (-u $EMU_URL)
#     endpoint 127.0.0.1:$SHIM_PORT  emulator 127.0.0.1
#   client_shim (NiceAgent)          coturn 192.0.2.1:3478
#     up0 192.0.2.2   <---------->   cl0 192.0.2.1
#                                    res0 10.99.0.1 <----------->     gw0 10.99.0.2
#
# Candidates travel as the portal relays them (tests/integ/e2e_signal.py):
# the gateway's broadcast_ice_candidates from the emulator's frame log to
# the shim's stdin, the shim's candidates to the gateway as ice_candidates
# pushed through the emulator's control socket.

[ -n "${WG_CL:-}" ] || { echo "FAIL: e2e_lib.sh needs lib.sh, portal_lib.sh and wg_lib.sh sourced first"; exit 1; }
E2E_SHIM="$FZ_TMP/client_shim"
E2E_TOKEN="e2e-token-$$"
E2E_GW_ID="e2e-gateway-$$"
E2E_GW_NAME="e2e-gw"
E2E_TURN_SECRET="e2e-coturn-secret"
E2E_TURN_ADDR="$WG_GW_ADDR:3478"
E2E_GW_PID=""
E2E_TURN_PID=""
E2E_SHIM_PID=""
E2E_SIG_PID=""
E2E_CL_TUN4=100.64.0.2
E2E_CL_TUN6=fd00:2021:1111::2

e2e_cleanup() {
	for p in $E2E_SIG_PID $E2E_SHIM_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	if [ -n "$E2E_GW_PID" ] && kill -0 "$E2E_GW_PID" 2>/dev/null; then
		kill -TERM "$E2E_GW_PID" 2>/dev/null
		fz_wait_gone "$E2E_GW_PID" 5 || kill -9 "$E2E_GW_PID" 2>/dev/null
	fi
	for p in $E2E_SIG_PID $E2E_SHIM_PID $E2E_TURN_PID; do
		kill -9 "$p" 2>/dev/null
	done
	wg_cleanup
}

# e2e_build_shim: the shim, built against libnice (the Makefile's tools
# rule links libc only).
e2e_build_shim() {
	command -v pkg-config >/dev/null || fail "pkg-config missing"
	pkg-config --exists nice || fail "libnice-dev missing"
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes \
		-Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -O1 -g \
		-DFZ_CLIENT_SHIM -o "$E2E_SHIM" "$FZ_TOP/tests/tools/client_shim.c" \
		$(pkg-config --cflags --libs nice) || fail "cannot build client_shim"
}

# e2e_net: forwarding and masquerade in the gateway namespace the way the
# host does it (contrib/setup-host-network.sh), and the client's ICE socket
# kept out of its own tunnel, as the real client's sockets are: packets from
# the shim's address only use the underlay (no route into wireguard-go).
e2e_net() {
	in_ns "$WG_GW" sh "$FZ_TOP/contrib/setup-host-network.sh" >"$FZ_TMP/setup-host-network.log" 2>&1 ||
		{ cat "$FZ_TMP/setup-host-network.log"; fail "setup-host-network.sh in the gateway namespace"; }
	ip -n "$WG_CL" route add 192.0.2.0/24 dev up0 table 100 || fail "client underlay table"
	ip -n "$WG_CL" route add unreachable default table 100 || fail "client underlay table default"
	ip -n "$WG_CL" rule add from "$WG_CL_ADDR" lookup 100 priority 100 || fail "client underlay rule"
}

# e2e_coturn: the gateway's relay, a coturn in the gateway namespace on the
# underlay address (REST credentials from a shared secret, as payloads.py
# turn_relay coturn_secret= makes them).
e2e_coturn() {
	command -v turnserver >/dev/null || fail "coturn (turnserver) missing (contrib/deps.sh test)"
	in_ns "$WG_GW" turnserver -n --no-tls --no-dtls --no-cli --no-tcp-relay \
		--listening-ip="$WG_GW_ADDR" --relay-ip="$WG_GW_ADDR" --listening-port=3478 \
		--min-port=49152 --max-port=65535 --use-auth-secret \
		--static-auth-secret="$E2E_TURN_SECRET" --realm=firezone --userdb="$FZ_TMP/turndb" \
		--pidfile="$FZ_TMP/turnserver.pid" --log-file=stdout --simple-log \
		>"$FZ_TMP/coturn.log" 2>&1 &
	E2E_TURN_PID=$!
	FZ_PIDS="$FZ_PIDS $E2E_TURN_PID"
	_n=50
	# Ready once its UDP listener is bound (port 3478 = 0x0D96 in /proc/net/udp).
	until in_ns "$WG_GW" cat /proc/net/udp 2>/dev/null | awk '$2 ~ /:0D96$/ { f = 1 } END { exit !f }'; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$E2E_TURN_PID" 2>/dev/null ||
			{ cat "$FZ_TMP/coturn.log"; fail "coturn did not start"; }
		sleep 0.1
	done
}

# e2e_emulator: the portal emulator in the gateway namespace; its init
# carries the coturn relay and the tunnel addresses 100.64.0.1 and
# fd00:2021:1111::1.
e2e_emulator() {
	payload init ipv4=100.64.0.1 ipv6=fd00:2021:1111::1 \
		relays="[$(payload turn_relay addr="$E2E_TURN_ADDR" coturn_secret="$E2E_TURN_SECRET")]" \
		>"$FZ_TMP/init.json" || fail "init payload"
	emu_start portal --token "$E2E_TOKEN" --gateway-id "$E2E_GW_ID" --name "$E2E_GW_NAME" \
		--init "@$FZ_TMP/init.json"
}

# e2e_gateway [OPTION...]: the real gateway (dataplane + control), started
# as an operator would, against the emulator, with any extra options; sets
# E2E_GW_PID and E2E_GW_LOG.
e2e_gateway() {
	E2E_GW_LOG="$FZ_TMP/gateway.log"
	mkdir -p "$FZ_TMP/state"
	ip netns exec "$WG_GW" env FIREZONE_CONTROL_BIN="$CTL" \
		"$DP" -u "$EMU_URL" -i "$E2E_GW_ID" -n "$E2E_GW_NAME" --state-dir "$FZ_TMP/state" \
		--health-check-addr 127.0.0.1:18080 --log-level debug "$@" "$E2E_TOKEN" \
		>"$E2E_GW_LOG" 2>&1 &
	E2E_GW_PID=$!
	FZ_PIDS="$FZ_PIDS $E2E_GW_PID"
}

# e2e_shim NAME UFRAG PWD GW_UFRAG GW_PWD: the shim in the client namespace,
# stdin from a FIFO it holds open read-write (never EOF), stdout to
# $FZ_TMP/NAME.log; sets E2E_SHIM_PID, E2E_SHIM_IN, E2E_SHIM_LOG, SHIM_PORT.
e2e_shim() {
	E2E_SHIM_IN="$FZ_TMP/$1.in"
	E2E_SHIM_LOG="$FZ_TMP/$1.log"
	rm -f "$E2E_SHIM_IN"
	mkfifo -m 0600 "$E2E_SHIM_IN" || fail "mkfifo"
	ip netns exec "$WG_CL" "$E2E_SHIM" --ufrag "$2" --pwd "$3" --remote-ufrag "$4" \
		--remote-pwd "$5" --bind "$WG_CL_ADDR" --wg-listen 127.0.0.1:0 --timeout 60 \
		<>"$E2E_SHIM_IN" >"$E2E_SHIM_LOG" 2>&1 &
	E2E_SHIM_PID=$!
	FZ_PIDS="$FZ_PIDS $E2E_SHIM_PID"
	_n=50
	until grep -q '^shim: wg socket ' "$E2E_SHIM_LOG" 2>/dev/null; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$E2E_SHIM_PID" 2>/dev/null ||
			{ cat "$E2E_SHIM_LOG"; fail "client_shim did not start"; }
		sleep 0.1
	done
	SHIM_PORT=$(sed -n 's/^shim: wg socket .*:\([0-9]*\)$/\1/p' "$E2E_SHIM_LOG" | head -n 1)
}

# e2e_signal CLIENT_ID REF: the candidate relay (e2e_signal.py); its output
# goes to $FZ_TMP/signal.log.
e2e_signal() {
	"$PY" "$FZ_TOP/tests/integ/e2e_signal.py" --emu-log "$EMU_LOG" --emu-sock "$EMU_SOCK" \
		--client-id "$1" --ref "$2" --shim-out "$E2E_SHIM_LOG" --shim-in "$E2E_SHIM_IN" \
		>"$FZ_TMP/signal.log" 2>&1 &
	E2E_SIG_PID=$!
	FZ_PIDS="$FZ_PIDS $E2E_SIG_PID"
}

# e2e_json FILE EXPR: a value of a JSON file (EXPR is Python on `j`).
e2e_json() {
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# e2e_wait_file FILE PATTERN SECONDS: 0 once FILE has a line matching PATTERN.
e2e_wait_file() {
	_n=$(($3 * 10))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# e2e_gw_log PATTERN: 0 if the gateway logged a line matching PATTERN.
e2e_gw_log() { grep -q -- "$1" "$E2E_GW_LOG"; }

# e2e_tcp DIR HOST PORT SIZE_KB: a file through the tunnel between the client
# and the resource namespace, SHA-256 compared (wg_lib.sh's helper program).
# DIR up: client -> resource; down: resource -> client.
e2e_tcp() {
	_f="$FZ_TMP/xfer-$1-$3.bin"
	head -c "$(($4 * 1024))" /dev/urandom >"$_f"
	_want=$(sha256sum "$_f" | cut -d' ' -f1)
	if [ "$1" = up ]; then
		ip netns exec "$WG_RES" python3 "$WG_PY" sink "$2" "$3" >"$_f.srv" 2>&1 &
		_sp=$!
		wg_wait_port "$WG_RES" "$3" || true
		in_ns "$WG_CL" python3 "$WG_PY" put "$2" "$3" "$_f" >/dev/null 2>&1
		wait "$_sp"
		_got=$(cat "$_f.srv")
	else
		ip netns exec "$WG_RES" python3 "$WG_PY" source "$2" "$3" "$_f" >"$_f.srv" 2>&1 &
		_sp=$!
		wg_wait_port "$WG_RES" "$3" || true
		_got=$(in_ns "$WG_CL" python3 "$WG_PY" get "$2" "$3" 2>&1)
		wait "$_sp"
	fi
	echo "    tcp $1 $2:$3 ${4} KiB: $(wg_field "$_got" bytes) bytes received, sha256 $(wg_field "$_got" sha256 | cut -c1-16)... (sent $(echo "$_want" | cut -c1-16)...)"
	[ "$(wg_field "$_got" sha256)" = "$_want" ]
}

# e2e_ping_ok DST: 3 echo replies of 3 within 8 s.
e2e_ping_ok() {
	_r=$(wg_ping "$WG_CL" "$1" 3 0.2 8)
	_s=$?
	echo "    ping $1: $_r"
	return $_s
}

# e2e_ping_none DST SECONDS: not a single echo reply.
e2e_ping_none() {
	_r=$(wg_ping "$WG_CL" "$1" 100 0.25 "$2")
	echo "    ping $1: $_r"
	[ "$(wg_field "$_r" received)" = 0 ]
}

# ---------------------------------------------------------------------------
# More clients (issue 19's access-control suite).  Each extra client has its
# own namespace and veth to the gateway namespace, its own shim, candidate
# relay and wireguard-go; the functions below only add to what the ones
# above do and change nothing for the suites that use those.
E2E_CLIENT_IFS=""

# e2e_client_ns NS VETH_GW VETH_CL GW_ADDR CL_ADDR: a client namespace NS
# linked to the gateway namespace by a veth (VETH_GW GW_ADDR/24 on the
# gateway's side, VETH_CL CL_ADDR/24 in NS).  As e2e_net does for client A,
# the client's ICE socket (bound to CL_ADDR) stays out of its tunnel: packets
# from CL_ADDR use table 100 only, which reaches its own /24 and the
# gateway's underlay address $WG_GW_ADDR through the veth.
e2e_client_ns() {
	wg_extra_netns "$1"
	ip -n "$WG_GW" link add "$2" type veth peer name "$3" netns "$1" || fail "veth $2/$3"
	ip -n "$WG_GW" addr add "$4/24" dev "$2"
	ip -n "$WG_GW" link set "$2" up
	ip -n "$1" addr add "$5/24" dev "$3"
	ip -n "$1" link set "$3" up
	ip -n "$1" route add "${5%.*}.0/24" dev "$3" table 100 || fail "$1: underlay table"
	ip -n "$1" route add "$WG_GW_ADDR/32" via "$4" dev "$3" table 100 || fail "$1: underlay route"
	ip -n "$1" route add "$WG_GW_ADDR/32" via "$4" dev "$3" || fail "$1: route to the gateway"
	ip -n "$1" route add unreachable default table 100 || fail "$1: underlay table default"
	ip -n "$1" rule add from "$5" lookup 100 priority 100 || fail "$1: underlay rule"
	in_ns "$1" python3 "$WG_PY" ping "$4" 1 0.1 3 >/dev/null || fail "no underlay connectivity $1 -> gateway"
}

# e2e_client_shim NAME NS BIND UFRAG PWD GW_UFRAG GW_PWD: a shim as e2e_shim
# starts one, in namespace NS gathering on BIND; sets SH_PID, SH_IN, SH_LOG
# and SH_PORT (its socket for wireguard-go).
e2e_client_shim() {
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

# e2e_client_signal NAME CLIENT_ID REF SHIM_LOG SHIM_IN: e2e_signal.py for
# one client; output in $FZ_TMP/NAME.log.
e2e_client_signal() {
	"$PY" "$FZ_TOP/tests/integ/e2e_signal.py" --emu-log "$EMU_LOG" --emu-sock "$EMU_SOCK" \
		--client-id "$2" --ref "$3" --shim-out "$4" --shim-in "$5" \
		>"$FZ_TMP/$1.log" 2>&1 &
	FZ_PIDS="$FZ_PIDS $!"
}

# e2e_client_wg NS IF KEYFILE PSKFILE TUN4 TUN6 GWPUB SHIM_PORT ROUTE...:
# wireguard-go as interface IF in NS with the tunnel addresses TUN4/32 and
# TUN6/128, its only peer the gateway (GWPUB, PSK from PSKFILE) at the
# shim's 127.0.0.1:SHIM_PORT with allowed-ips 0.0.0.0/0 and ::/0, and a
# route into IF for every ROUTE (IPv6 when it has a colon).  Sets
# E2E_CLWG_PID; its log is $FZ_TMP/wireguard-go-IF.log.
e2e_client_wg() {
	_ns=$1 _if=$2 _key=$3 _psk=$4 _t4=$5 _t6=$6 _gw=$7 _port=$8
	shift 8
	ip netns exec "$_ns" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go "$_if" \
		>"$FZ_TMP/wireguard-go-$_if.log" 2>&1 &
	E2E_CLWG_PID=$!
	FZ_PIDS="$FZ_PIDS $E2E_CLWG_PID"
	E2E_CLIENT_IFS="$E2E_CLIENT_IFS $_if"
	_n=50
	until in_ns "$_ns" wg show "$_if" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$E2E_CLWG_PID" 2>/dev/null ||
			{ cat "$FZ_TMP/wireguard-go-$_if.log"; fail "wireguard-go $_if did not come up"; }
		sleep 0.1
	done
	in_ns "$_ns" wg set "$_if" private-key "$_key" || fail "wg set private-key ($_if)"
	ip -n "$_ns" addr add "$_t4/32" dev "$_if"
	ip -n "$_ns" addr add "$_t6/128" dev "$_if" nodad
	ip -n "$_ns" link set "$_if" mtu 1280 up || fail "wireguard-go $_if link up"
	for _r in "$@"; do
		case $_r in
		*:*) ip -n "$_ns" -6 route add "$_r" dev "$_if" || fail "$_ns: route $_r" ;;
		*) ip -n "$_ns" route add "$_r" dev "$_if" || fail "$_ns: route $_r" ;;
		esac
	done
	in_ns "$_ns" wg set "$_if" peer "$_gw" endpoint "127.0.0.1:$_port" allowed-ips 0.0.0.0/0,::/0 \
		persistent-keepalive 25 preshared-key "$_psk" || fail "wg set peer ($_if)"
}

# e2e_clients_cleanup: the control sockets of e2e_client_wg's interfaces
# (their processes die with their namespaces or by PID in fz_cleanup).
e2e_clients_cleanup() {
	for _if in $E2E_CLIENT_IFS; do
		rm -f "/var/run/wireguard/$_if.sock"
	done
}
