#!/bin/sh
# Throughput benchmark (issue 9): our gateway and wireguard-go acting as the
# gateway, in the same run, on the same machine, with the same keys and the
# same topology, so every figure is a ratio ours / wireguard-go.
#
#   client ns                      gateway ns                    resource ns
#   loadgen 192.0.2.2:5560         (a) firezone-gateway + control,  sink: nft counter
#     (WireGuard initiator,            emulator, coturn             "sink" (udp dport
#      pre-encrypted packets,      (b) firezone-gateway + wg_driver  5555, dropped)
#      sendmmsg; ICE by libnice)   (c) each wireguard-go peer in    loadgen blast ->
#                                      turn, "fzb<pid>"
#   nft counter "back": WireGuard                                   100.64.0.2:5556
#     data to :5560 (dropped)                                       (reverse)
#   wireguard-go client (TCP)      cl0 192.0.2.1  res0 10.99.0.1 <-> gw0 10.99.0.2
#
# Figures (each BENCH_RUNS times BENCH_SECONDS, the median reported):
#   UDP forward  client -> resource: loadgen sends pre-encrypted WireGuard
#                transport packets, each a UDP/IPv4 datagram of SIZE payload
#                bytes; counted by the sink's nft counter
#   UDP reverse  resource -> client: plain UDP blasted at the client's tunnel
#                address; the gateway encrypts it to the loadgen's socket,
#                counted (and dropped) by an nft counter in the client ns
#   TCP up/down  one iperf3 stream through wireguard-go as the client (the
#                first peer of BENCH_WGGO): against our dataplane (with
#                wg_driver, like test_wg_interop.sh) and against each
#                wireguard-go peer as the gateway
#
# Peers (issue 20): BENCH_WGGO lists the wireguard-go binaries to compare
# against, each named in the report by its Debian package version; the first
# one is also the TCP client.  Unset: the system's wireguard-go, preceded with
# BENCH_FETCH=1 (make bench) by Debian 13's, fetched once into
# BENCH_PEER_DIR (build/bench/peer-trixie) by tests/bench/fetch_peer.sh with a
# private apt state; when that fails the run says so and goes on with the
# system's peer only.
#
# (a) is our gateway exactly as the e2e tests run it: the portal emulator
# authorizes the loadgen's key and PSK, the loadgen's NiceAgent does ICE
# (candidates relayed by tests/integ/e2e_signal.py), WireGuard uses the
# selected pair's socket.  The TCP figure of ours uses (b) so that both TCP
# figures have the same client (wireguard-go, direct, no ICE shim in between).
#
# Environment: BENCH_SECONDS (5), BENCH_RUNS (3), BENCH_SIZES ("64 1252"),
#   BENCH_RECORD (1: append to docs/performance.md), BENCH_PERF (1: perf
#   record -g the dataplane during one forward run if perf works),
#   BENCH_TCP (1), BENCH_SUMMARY (a file for the machine-readable summary),
#   BENCH_KEEP (where the run's logs are kept: $FZ_BUILD/bench/last-run),
#   BENCH_JSON (the figures as JSON: $BENCH_KEEP/summary.json; make bench
#   writes build/bench/summary.json), BENCH_WGGO, BENCH_FETCH (0),
#   BENCH_PEER_DIR, BENCH_CFLAGS (how the binaries were built, for the
#   report).
# Run (root): FZ_TOP=$PWD FZ_BUILD=build sh tests/bench/bench.sh (make bench).
FZ_TOP=${FZ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
INTEG="$FZ_TOP/tests/integ"
BENCH_DIR="$FZ_TOP/tests/bench"
. "$INTEG/lib.sh"
. "$INTEG/portal_lib.sh"
. "$INTEG/wg_lib.sh"
. "$INTEG/e2e_lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_SIZES=${BENCH_SIZES:-"64 1252"}
BENCH_RECORD=${BENCH_RECORD:-1}
BENCH_PERF=${BENCH_PERF:-1}
BENCH_TCP=${BENCH_TCP:-1}
BENCH_SUMMARY=${BENCH_SUMMARY:-}
BENCH_MEM_MB=${BENCH_MEM_MB:-2048}
LG="$FZ_TMP/loadgen"
LG_PORT=5560
SINK="10.99.0.2:5555"
RESULTS="$FZ_TMP/results"
LG_PID=""
WGGO_PID=""
WGGO_IF="fzb$$"
PERF_TXT="$FZ_TMP/perf.txt"
KEEP=${BENCH_KEEP:-$B/bench/last-run}
BENCH_JSON=${BENCH_JSON:-$KEEP/summary.json}
BENCH_FETCH=${BENCH_FETCH:-0}
BENCH_PEER_DIR=${BENCH_PEER_DIR:-$FZ_TOP/build/bench/peer-trixie}
BENCH_WGGO=${BENCH_WGGO:-}
PEERS="$FZ_TMP/peers"
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
: >"$RESULTS"

say() { echo "bench: $*"; }

bench_cleanup() {
	[ -n "$LG_PID" ] && kill -TERM "$LG_PID" 2>/dev/null
	[ -n "$WGGO_PID" ] && kill -TERM "$WGGO_PID" 2>/dev/null
	sleep 0.2
	for p in $LG_PID $WGGO_PID; do
		kill -9 "$p" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$WGGO_IF.sock"
	rm -rf "$KEEP"
	mkdir -p "$KEEP"
	cp "$FZ_TMP"/*.log "$FZ_TMP"/*.jsonl "$FZ_TMP"/results "$FZ_TMP"/perf.txt "$FZ_TMP"/peers \
		"$FZ_TMP"/summary.json "$FZ_TMP"/perf-*.data "$KEEP"/ 2>/dev/null
	e2e_cleanup
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM HUP

# ------------------------------------------------------------ preflight
fz_need_root
fz_users
[ -x "$DP" ] && [ -x "$CTL" ] || fail "$DP or $CTL missing: run make first"
[ -x "$WG_DRIVER" ] || fail "$WG_DRIVER missing: make $FZ_BUILD/tests/tools/wg_driver"
"$PY" -c 'import websockets' 2>/dev/null || fail "$PY lacks the websockets module (python3-websockets)"
for c in wireguard-go wg iperf3 nft turnserver pkg-config cc; do
	command -v "$c" >/dev/null || fail "$c missing (contrib/deps.sh bench)"
done

# wggo_pkgver BIN: the Debian package version of a wireguard-go binary: the
# version file fetch_peer.sh left next to its root, else dpkg's, else what
# the binary reports.
wggo_pkgver() {
	_d=${1%/root/usr/bin/wireguard-go}
	if [ "$_d" != "$1" ] && [ -s "$_d/version" ]; then
		cat "$_d/version"
		return
	fi
	_p=$(dpkg-query -S "$(readlink -f "$1")" 2>/dev/null | head -n 1 | cut -d: -f1)
	[ -n "$_p" ] || _p=$(dpkg-query -S "$1" 2>/dev/null | head -n 1 | cut -d: -f1)
	_v=""
	[ -n "$_p" ] && _v=$(dpkg-query -W -f='${Version}' "$_p" 2>/dev/null)
	[ -n "$_v" ] || _v=$("$1" --version 2>/dev/null | head -n 1 | awk '{ print $2 }')
	echo "${_v:-unknown}"
}
if [ -z "$BENCH_WGGO" ]; then
	if [ "$BENCH_FETCH" = 1 ]; then
		if _p=$(sh "$BENCH_DIR/fetch_peer.sh" "$BENCH_PEER_DIR" trixie); then
			BENCH_WGGO=$_p
		else
			say "WARNING: Debian 13 (trixie)'s wireguard-go could not be fetched (above):" \
				"running with the system's wireguard-go only"
		fi
	fi
	BENCH_WGGO="$BENCH_WGGO $(command -v wireguard-go)"
fi
# One line per peer: TOKEN (wireguard-go_<Debian version>, the gateway's name
# in the results) BINARY VERSION-IT-REPORTS.
: >"$PEERS"
for _b in $BENCH_WGGO; do
	[ -x "$_b" ] || fail "wireguard-go peer $_b is not an executable"
	_t="wireguard-go_$(wggo_pkgver "$_b")"
	grep -q "^$_t " "$PEERS" && continue
	echo "$_t $_b $("$_b" --version 2>/dev/null | head -n 1 | awk '{ print $2 }')" >>"$PEERS"
done
TCP_CLIENT=$(head -n 1 "$PEERS" | cut -d' ' -f2)
# wg_client_start (wg_lib.sh) runs the wireguard-go first on PATH.
PATH="$(dirname "$TCP_CLIENT"):$PATH"
export PATH
say "peers: $(cut -d' ' -f1 "$PEERS" | tr '\n' ' ')(TCP client: $(head -n 1 "$PEERS" | cut -d' ' -f1))"
pkg-config --exists nice libcrypto || fail "libnice-dev / libssl-dev missing"

# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes \
	-Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -O2 -g \
	-DFZ_LOADGEN -o "$LG" "$BENCH_DIR/loadgen.c" $(pkg-config --cflags --libs nice libcrypto) -lpthread ||
	fail "cannot build loadgen"

# ------------------------------------------------------------ topology
wg_topology
e2e_net
# Sinks: the resource counts (and drops) the forward datagrams; the client
# counts (and drops) WireGuard data messages arriving at the loadgen's port,
# so neither side's reading cost is part of a figure.
in_ns "$WG_RES" nft -f - <<EOF || fail "nft sink in the resource namespace"
table inet fzbench {
	counter sink { }
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport ${SINK##*:} counter name "sink" drop
	}
}
EOF
in_ns "$WG_CL" nft -f - <<EOF || fail "nft counter in the client namespace"
table inet fzbench {
	counter back { }
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport $LG_PORT udp length > 64 @th,64,8 0x04 counter name "back" drop
	}
}
EOF
FWD_CTR="sh $BENCH_DIR/counter.sh $WG_RES sink"
REV_CTR="sh $BENCH_DIR/counter.sh $WG_CL back"
$FWD_CTR >/dev/null || fail "cannot read the sink counter"

umask 077
wg genkey >"$WGD/client.key" || fail "wg genkey"
wg genkey >"$WGD/wggo.key" || fail "wg genkey"
wg genpsk >"$WGD/psk" || fail "wg genpsk"
umask 022
CL_PUB=$(wg pubkey <"$WGD/client.key")
PSK=$(cat "$WGD/psk")
awk -v l="$LOAD0" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }' &&
	say "WARNING: load average $LOAD0 on $(nproc) CPUs before the run: other work will skew the figures"
say "topology up: client $WG_CL, gateway $WG_GW, resource $WG_RES (t=$(( $(date +%s) - T0 )) s)"

# ------------------------------------------------------------ helpers
# lg_start NAME ARGS...: the loadgen in the client namespace, stdin from a
# FIFO it holds open read-write; sets LG_PID, LG_IN, LG_LOG (also as
# E2E_SHIM_IN / E2E_SHIM_LOG for e2e_signal).
lg_start() {
	LG_IN="$FZ_TMP/$1.in"
	LG_LOG="$FZ_TMP/$1.log"
	shift
	rm -f "$LG_IN"
	mkfifo -m 0600 "$LG_IN" || fail "mkfifo"
	ip netns exec "$WG_CL" "$LG" --key "$WGD/client.key" --psk "$WGD/psk" --src "$E2E_CL_TUN4" \
		--dst "$SINK" --bind "$WG_CL_ADDR:$LG_PORT" --fwd-counter "$FWD_CTR" \
		--mem-mb "$BENCH_MEM_MB" "$@" <>"$LG_IN" >"$LG_LOG" 2>&1 &
	LG_PID=$!
	E2E_SHIM_IN=$LG_IN
	E2E_SHIM_LOG=$LG_LOG
	e2e_wait_file "$LG_LOG" '^lg: ready' 5 || { cat "$LG_LOG"; fail "loadgen did not start"; }
}
lg_stop() {
	[ -n "$LG_PID" ] || return 0
	echo quit >"$LG_IN"
	fz_wait_gone "$LG_PID" 5 || kill -9 "$LG_PID" 2>/dev/null
	LG_PID=""
}
# lg_do CMD PATTERN SECONDS: send a command, wait for one more line matching
# PATTERN (or an error line); prints that line.
lg_do() {
	_before=$(grep -c -- "$2\|^lg: error" "$LG_LOG")
	echo "$1" >"$LG_IN"
	_n=$(($3 * 10))
	while [ "$(grep -c -- "$2\|^lg: error" "$LG_LOG")" -le "$_before" ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || { echo "lg: error timeout waiting for '$2'"; return 1; }
		sleep 0.1
	done
	grep -- "$2\|^lg: error" "$LG_LOG" | tail -n 1
	grep -- "$2\|^lg: error" "$LG_LOG" | tail -n 1 | grep -q -- "$2"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# record GW FIGURE SIZE PPS MBPS [OFFERED_PPS]
record() { echo "$1 $2 $3 $4 $5 ${6:--}" >>"$RESULTS"; }

# udp_figures GW: forward and reverse, every size, BENCH_RUNS times.
udp_figures() {
	for size in $BENCH_SIZES; do
		r=1
		while [ "$r" -le "$BENCH_RUNS" ]; do
			if line=$(lg_do "fwd $size $BENCH_SECONDS" '^lg: fwd ' $((BENCH_SECONDS + 60))); then
				say "$1 fwd $size run $r: $(echo "$line" | cut -d' ' -f3-)"
				record "$1" fwd "$size" "$(field "$line" pps)" "$(field "$line" mbps)" "$(field "$line" send_pps)"
			else
				say "$1 fwd $size run $r failed: $line"
				record "$1" fwd "$size" fail fail
			fi
			r=$((r + 1))
		done
		r=1
		while [ "$r" -le "$BENCH_RUNS" ]; do
			# A fresh session each time (the gateway encrypts with it).
			lg_do hs '^lg: handshake ok' 20 >/dev/null || say "$1: handshake before rev failed"
			line=$(ip netns exec "$WG_RES" "$LG" blast --dst "$E2E_CL_TUN4:5556" --size "$size" \
				--seconds "$BENCH_SECONDS" --counter "$REV_CTR" 2>&1 | grep '^lg: rev ' | tail -n 1)
			if [ -n "$line" ]; then
				say "$1 rev $size run $r: $(echo "$line" | cut -d' ' -f3-)"
				record "$1" rev "$size" "$(field "$line" pps)" "$(field "$line" mbps)" "$(field "$line" send_pps)"
			else
				say "$1 rev $size run $r failed"
				record "$1" rev "$size" fail fail
			fi
			r=$((r + 1))
		done
	done
}

# perf_fwd GW PID: one more forward run (first size) under perf record -g.
perf_fwd() {
	[ "$BENCH_PERF" = 1 ] || return 0
	command -v perf >/dev/null || { say "perf not installed: no profile"; return 0; }
	_size=${BENCH_SIZES%% *}
	perf record -g -o "$FZ_TMP/perf-$1.data" -p "$2" -- sleep $((BENCH_SECONDS + 2)) \
		>"$FZ_TMP/perf-$1.log" 2>&1 &
	_pp=$!
	sleep 0.3
	line=$(lg_do "fwd $_size $BENCH_SECONDS" '^lg: fwd ' $((BENCH_SECONDS + 60))) || true
	wait "$_pp"
	say "$1 fwd $_size under perf: $(echo "$line" | cut -d' ' -f3-)"
	# perf_top SORT LIMIT LINES: self time by SORT keys, trailing columns cut.
	perf_top() {
		perf report -i "$FZ_TMP/perf-$1.data" --stdio --no-children --sort "$2" \
			--percent-limit "$3" -g none 2>/dev/null | grep -v '^#' | grep -v '^ *$' |
			sed 's/[[:space:]-]*$//' | head -n "$4"
	}
	if perf_top "$1" symbol 0.8 25 >"$FZ_TMP/perf-$1.top" && [ -s "$FZ_TMP/perf-$1.top" ]; then
		{
			echo "### $1: perf record -g of the gateway process, forward $_size-byte datagrams"
			echo
			echo "Self time by object, then by symbol (>= 0.8 %):"
			echo
			echo '```'
			perf_top "$1" dso 1 10
			echo
			cat "$FZ_TMP/perf-$1.top"
			echo '```'
			echo
			echo "Inclusive time (self + callees) from the kernel's call chains, >= 4 %: which system"
			echo "calls and kernel paths the process spends its time in:"
			echo
			echo '```'
			perf report -i "$FZ_TMP/perf-$1.data" --stdio --children --sort symbol \
				--percent-limit 4 -g none 2>/dev/null | grep -v '^#' | grep -v '^ *$' |
				grep '\[k\]' | grep -v '\[k\] 0x' | sed 's/[[:space:]-]*$//' | head -n 20
			echo '```'
			echo
			if [ "$1" != ours ]; then
				echo "(wireguard-go's Debian binary is stripped: its own symbols show as addresses.)"
				echo
			elif perf_fp; then
				echo "Inclusive time of user-space functions, >= 1.5 % (our binary has frame pointers,"
				echo "so these chains include our own functions; libcrypto's assembly and libc have"
				echo "none, so time inside them is not added to their callers here):"
				echo
				echo '```'
				perf report -i "$FZ_TMP/perf-$1.data" --stdio --children --sort symbol \
					--percent-limit 1.5 -g none 2>/dev/null | grep -v '^#' | grep '\[\.\]' |
					grep -v '\[\.\] 0x' | sed 's/[[:space:]-]*$//' | head -n 30
				echo '```'
				echo
				echo "Self time of our own functions (firezone-gateway only), >= 0.3 % of all samples:"
				echo
				echo '```'
				perf report -i "$FZ_TMP/perf-$1.data" --stdio --no-children --sort symbol \
					--dsos firezone-gateway --percent-limit 0.3 -g none 2>/dev/null | grep -v '^#' |
					grep -v '^ *$' | sed 's/[[:space:]-]*$//' | head -n 20
				echo '```'
				echo
			else
				echo "(Our binary has no frame pointers here: user-space call chains are cut; make bench"
				echo "builds one with them unless BENCH_FP=0.)"
				echo
			fi
		} >>"$PERF_TXT"
	else
		say "perf record did not work here: $(tail -n 2 "$FZ_TMP/perf-$1.log" | tr '\n' ' ')"
		echo "perf record -g failed in this environment: $(tail -n 1 "$FZ_TMP/perf-$1.log")" >>"$PERF_TXT"
	fi
}

# perf_fp: whether our dataplane was built with frame pointers.
perf_fp() {
	case " ${BENCH_CFLAGS:-} " in
	*" -fno-omit-frame-pointer "*) return 0 ;;
	esac
	return 1
}

# tcp_figures GW GWPUB: single-stream iperf3 through wireguard-go as the client.
tcp_figures() {
	wg_client_peer "$2" "$WG_GW_ADDR:$WG_GW_PORT" "$WGD/psk" 25
	wg_ping "$WG_CL" 10.99.0.2 3 0.2 8 >/dev/null || say "$1: ping through wireguard-go failed"
	for dir in up down; do
		r=1
		while [ "$r" -le "$BENCH_RUNS" ]; do
			_j="$FZ_TMP/iperf-$1-$dir-$r.json"
			ip netns exec "$WG_RES" iperf3 -s -1 -p 5201 >"$FZ_TMP/iperf-server.log" 2>&1 &
			_sp=$!
			wg_wait_port "$WG_RES" 5201 || true
			_rflag=""
			[ "$dir" = down ] && _rflag=-R
			# shellcheck disable=SC2086
			in_ns "$WG_CL" timeout $((BENCH_SECONDS + 20)) iperf3 -c 10.99.0.2 -p 5201 \
				-t "$BENCH_SECONDS" -J --connect-timeout 5000 $_rflag >"$_j" 2>&1
			kill "$_sp" 2>/dev/null
			wait "$_sp" 2>/dev/null
			_r=$(python3 "$WG_PY" iperf "$_j")
			say "$1 tcp $dir run $r: $_r"
			_m=$(field "$_r" mbps)
			record "$1" "tcp-$dir" - - "${_m:-fail}"
			r=$((r + 1))
		done
	done
	in_ns "$WG_CL" wg set "$WG_IF" peer "$2" remove 2>/dev/null
	WG_CUR_GWPUB=""
}

# ============================================================ (a) ours, portal
say "== ours: firezone-gateway through the portal emulator, loadgen with libnice ICE"
e2e_coturn
e2e_emulator
e2e_gateway
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "the gateway did not join the emulator"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) ||
	fail "no accepted upgrade"
e2e_wait_file "$E2E_GW_LOG" "portal: init: " 10 || { cat "$E2E_GW_LOG"; fail "the gateway did not take the init"; }
CLIENT_ID=5b1e0c2a-9d7f-4e3b-a1c4-8f2d6e0b7a93
RES4=$(payload cidr_resource address=10.99.0.0/24 name="bench resource")
payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" preshared_key="$PSK" \
	client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" resource="$RES4" \
	gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$FZ_TMP/flow.json" ||
	fail "authorize_flow payload"
REF=$(e2e_json "$FZ_TMP/flow.json" 'j["ref"]')
lg_start lg-ours --peer-pub "$GWPUB" --ice \
	--ufrag "$(e2e_json "$FZ_TMP/flow.json" 'j["client_ice_credentials"]["username"]')" \
	--pwd "$(e2e_json "$FZ_TMP/flow.json" 'j["client_ice_credentials"]["password"]')" \
	--remote-ufrag "$(e2e_json "$FZ_TMP/flow.json" 'j["gateway_ice_credentials"]["username"]')" \
	--remote-pwd "$(e2e_json "$FZ_TMP/flow.json" 'j["gateway_ice_credentials"]["password"]')"
e2e_signal "$CLIENT_ID" "$REF"
emu push authorize_flow "@$FZ_TMP/flow.json" >/dev/null || fail "push authorize_flow"
emu wait flow_authorized 10 --match "json.payload.ref=$REF" >/dev/null || fail "no flow_authorized"
e2e_wait_file "$LG_LOG" '^lg: path ' 20 || { tail -n 20 "$LG_LOG"; tail -n 20 "$E2E_GW_LOG"; fail "no ICE pair selected"; }
e2e_wait_file "$E2E_GW_LOG" "client $CLIENT_ID: path chosen" 5 || say "the gateway logged no path (yet)"
lg_do hs '^lg: handshake ok' 20 >/dev/null || { tail -n 20 "$E2E_GW_LOG"; fail "no WireGuard handshake with our gateway"; }
say "ours: $(grep '^shim: selected pair' "$LG_LOG" | tail -n 1 | cut -d' ' -f2-), handshake done (t=$(( $(date +%s) - T0 )) s)"
udp_figures ours
perf_fwd ours "$E2E_GW_PID"
if grep -q "client $CLIENT_ID: connection closed" "$E2E_GW_LOG"; then
	say "WARNING: our gateway closed the connection during the run:"
	grep "client $CLIENT_ID: connection closed" "$E2E_GW_LOG"
fi
lg_stop
for p in $E2E_SIG_PID $E2E_GW_PID; do
	kill -TERM "$p" 2>/dev/null
done
fz_wait_gone "$E2E_GW_PID" 10 || kill -9 "$E2E_GW_PID" 2>/dev/null
for p in $E2E_TURN_PID $EMU_PID; do
	kill -TERM "$p" 2>/dev/null
done
fz_wait_gone "$E2E_TURN_PID" 5 || kill -9 "$E2E_TURN_PID" 2>/dev/null
fz_wait_gone "$EMU_PID" 5 || kill -9 "$EMU_PID" 2>/dev/null
E2E_GW_PID=""
E2E_SIG_PID=""
E2E_TURN_PID=""

# ============================================================ (b) ours, TCP
if [ "$BENCH_TCP" = 1 ]; then
	say "== ours: single-stream TCP, our dataplane (wg_driver) <-> wireguard-go client"
	wg_gw_start tcp "$DP" "peer_pub=$CL_PUB" "psk=$PSK" "endpoint=$WG_CL_ADDR:$WG_CL_PORT" \
		"grant=10.99.0.0/24,fd00:99::/64"
	wg_client_start
	tcp_figures ours "$WG_GWPUB"
	wg_gw_stop
fi

# ============================================================ (c) wireguard-go
# wggo_gateway TOKEN BINARY: that wireguard-go as the gateway, same keys, same
# topology: UDP figures, profile, then TCP with the wireguard-go client.
wggo_gateway() {
	say "== $1 as the gateway ($2, same keys, same topology)"
	WGGO_PUB=$(wg pubkey <"$WGD/wggo.key")
	ip netns exec "$WG_GW" env WG_PROCESS_FOREGROUND=1 "$2" "$WGGO_IF" >"$FZ_TMP/gateway-$1.log" 2>&1 &
	WGGO_PID=$!
	_n=50
	until in_ns "$WG_GW" wg show "$WGGO_IF" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$WGGO_PID" 2>/dev/null || { cat "$FZ_TMP/gateway-$1.log"; fail "$1 gateway did not come up"; }
		sleep 0.1
	done
	in_ns "$WG_GW" wg set "$WGGO_IF" private-key "$WGD/wggo.key" listen-port "$WG_GW_PORT" \
		peer "$CL_PUB" preshared-key "$WGD/psk" allowed-ips "$E2E_CL_TUN4/32,$E2E_CL_TUN6/128" ||
		fail "wg set ($1 gateway)"
	ip -n "$WG_GW" addr add 100.64.0.1/32 dev "$WGGO_IF"
	ip -n "$WG_GW" addr add fd00:2021:1111::1/128 dev "$WGGO_IF" nodad
	ip -n "$WG_GW" link set "$WGGO_IF" mtu 1280 up || fail "$1 gateway link up"
	ip -n "$WG_GW" route add 100.64.0.0/11 dev "$WGGO_IF" || fail "route to the clients"
	ip -n "$WG_GW" -6 route add fd00:2021:1111::/107 dev "$WGGO_IF" || fail "v6 route to the clients"
	# The same forwarding and masquerade rules as for tun-firezone, for this device.
	in_ns "$WG_GW" sh "$FZ_TMP/setup-wggo.sh" --remove >/dev/null 2>&1
	in_ns "$WG_GW" sh "$FZ_TOP/contrib/setup-host-network.sh" --remove >/dev/null 2>&1
	sed "s/^TUN=tun-firezone\$/TUN=$WGGO_IF/" "$FZ_TOP/contrib/setup-host-network.sh" >"$FZ_TMP/setup-wggo.sh"
	in_ns "$WG_GW" sh "$FZ_TMP/setup-wggo.sh" >"$FZ_TMP/setup-wggo.log" 2>&1 || { cat "$FZ_TMP/setup-wggo.log"; fail "host network for $1"; }
	lg_start "lg-$1" --peer-pub "$WGGO_PUB" --peer "$WG_GW_ADDR:$WG_GW_PORT"
	lg_do hs '^lg: handshake ok' 20 >/dev/null || fail "no WireGuard handshake with the $1 gateway"
	udp_figures "$1"
	perf_fwd "$1" "$WGGO_PID"
	lg_stop
	if [ "$BENCH_TCP" = 1 ]; then
		say "== $1: single-stream TCP, wireguard-go client <-> $1 gateway"
		tcp_figures "$1" "$WGGO_PUB"
	fi
	kill -TERM "$WGGO_PID" 2>/dev/null
	fz_wait_gone "$WGGO_PID" 5 || kill -9 "$WGGO_PID" 2>/dev/null
	WGGO_PID=""
	rm -f "/var/run/wireguard/$WGGO_IF.sock"
}
while read -r _tok _bin _rest; do
	wggo_gateway "$_tok" "$_bin" </dev/null
done <"$PEERS"

# ============================================================ report
ELAPSED=$(( $(date +%s) - T0 ))
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
"$PY" "$BENCH_DIR/report.py" --results "$RESULTS" --seconds "$BENCH_SECONDS" --runs "$BENCH_RUNS" \
	--elapsed "$ELAPSED" --load "$LOAD0 $LOAD1" --perf "$PERF_TXT" --top "$FZ_TOP" ${BENCH_SUMMARY:+--summary "$BENCH_SUMMARY"} \
	--peers "$PEERS" --json "$FZ_TMP/summary.json" ${BENCH_CFLAGS:+--cflags "$BENCH_CFLAGS"} --sizes "$BENCH_SIZES" \
	${BENCH_RECORD:+--record "$BENCH_RECORD"} || fail "report"
mkdir -p "$(dirname "$BENCH_JSON")"
cp "$FZ_TMP/summary.json" "$BENCH_JSON" && say "summary: $BENCH_JSON"
