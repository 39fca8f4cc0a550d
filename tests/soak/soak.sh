#!/bin/sh
# Soak run (issue 17): the real gateway for SOAK_MINUTES under churn, checked
# traffic and faults on a schedule, sampled every SOAK_SAMPLE_S seconds;
# prints as its last line "soak: PASS <figures>" or "soak: FAIL <reason>".
#
#   client ns (WG_CL)            gateway ns (FZ_NETNS)                 resource ns
#   scale_client: the population firezone-gateway (+ control)         soak_traffic server
#     pool of UDP sockets          emulator 127.0.0.1, coturn :3478     tcp 7001, udp 7002
#     up0 192.0.2.2  <--------->   cl0 192.0.2.1                        gw0 10.99.0.2
#   traffic client ns k (x K)                                      res0 10.99.0.1 <-->
#     libnice shim + wireguard-go + soak_traffic client
#     skc<k> 172.16.k.2  <------>  skg<k> 172.16.k.1
#
# Population (soak_driver.py + tests/bench/scale_client.c, the tooling of
# make bench-scale): SOAK_N clients, then every second SOAK_CHURN join by
# authorize_flow (half of them with an expires_at 10-40 s ahead) and as
# many leave by reject_access; every 10 s resource_updated narrows or
# widens the population's filters.
# Checked traffic (soak_traffic.py): SOAK_TRAFFIC reference clients (libnice
# + wireguard-go), each with UDP echo probes (sequence numbers, SHA-256 of
# the payload) and TCP transfers (SHA-256 both ways) to the resource.
# Roles: client 1's access is revoked (reject_access) at 40 % of the run,
# client 2's flow expires at 30 %; client 3 is forced through the relay
# (nftables drops its datagrams to the gateway's own port, so only the
# gateway's relayed candidate works); the last client roams (SNAT to a new
# address and port in its namespace).  The last client and every odd one
# from 5 reach the resource through the DNS resource *.soak.test: they
# tell the gateway app.soak.test is at the proxy IP 100.96.0.1
# (AssignedIps, dns_p2p.py) and send to that; the gateway resolves it
# (its hosts file: 10.99.0.2) and translates.  The others use the CIDR
# resource 10.99.0.2/32.  Every client but 1 and 2 connects again (a new
# authorize_flow, and AssignedIps again) after 6 s without an answer.
# Faults (faults.jsonl, each with its start and end): the portal drops the
# socket; the portal stays away for SOAK_AWAY_S (503 to every upgrade);
# coturn killed and restarted; control SIGSTOPped for SOAK_STOP_S;
# nftables numgen random drop of SOAK_LOSS_PCT % on the WAN links for
# SOAK_LOSS_S; a handshake flood from spoofed sources (soak_tool.py);
# the roam.
# Samples (soak_sample.py): RSS, PSS, fds, CPU of both processes, every
# /metrics sample, the driver's population figures.
# Verdict and figures: soak_report.py (criteria in its header).
#
# Knobs (environment): SOAK_MINUTES (60), SOAK_N (1000), SOAK_CHURN (2),
# SOAK_TRAFFIC (20), SOAK_SAMPLE_S (10), SOAK_LOSS_PCT (2), SOAK_LOSS_S (120),
# SOAK_STOP_S (20), SOAK_AWAY_S (180), SOAK_FLOOD_S (30), SOAK_WARMUP_S (300),
# SOAK_PERIOD_S (180: between faults), SOAK_SCHED (the schedule, see below), SOAK_SMOKE (0; 1: the 1-minute
# schedule of tests/integ/test_soak_smoke.sh), SOAK_RELAYS_PRESENCE (1; 0:
# the portal says nothing around the coturn restart), SOAK_RESULTS (docs/reliability.md;
# "" = do not append), SOAK_PLOT (PNG path; "" = none), SOAK_KEEP ($FZ_BUILD/soak).
#
# Run (root): FZ_TOP=$PWD FZ_BUILD=build sh tests/soak/soak.sh   (make soak)
. "$(dirname "$0")/../integ/lib.sh"
. "$(dirname "$0")/../integ/portal_lib.sh"
. "$(dirname "$0")/../integ/wg_lib.sh"
. "$(dirname "$0")/../integ/e2e_lib.sh"

SOAK_SMOKE=${SOAK_SMOKE:-0}
if [ "$SOAK_SMOKE" = 1 ]; then
	SOAK_MINUTES=${SOAK_MINUTES:-1}
	SOAK_N=${SOAK_N:-50}
	SOAK_TRAFFIC=${SOAK_TRAFFIC:-4}
	SOAK_SAMPLE_S=${SOAK_SAMPLE_S:-5}
	SOAK_LOSS_S=${SOAK_LOSS_S:-8}
	SOAK_STOP_S=${SOAK_STOP_S:-5}
	SOAK_AWAY_S=${SOAK_AWAY_S:-0}
	SOAK_FLOOD_S=${SOAK_FLOOD_S:-4}
	SOAK_WARMUP_S=${SOAK_WARMUP_S:-0}
fi
SOAK_MINUTES=${SOAK_MINUTES:-60}
SOAK_N=${SOAK_N:-1000}
SOAK_CHURN=${SOAK_CHURN:-2}
SOAK_TRAFFIC=${SOAK_TRAFFIC:-20}
SOAK_SAMPLE_S=${SOAK_SAMPLE_S:-10}
SOAK_LOSS_PCT=${SOAK_LOSS_PCT:-2}
SOAK_LOSS_S=${SOAK_LOSS_S:-120}
SOAK_STOP_S=${SOAK_STOP_S:-20}
SOAK_AWAY_S=${SOAK_AWAY_S:-180}
SOAK_FLOOD_S=${SOAK_FLOOD_S:-30}
SOAK_WARMUP_S=${SOAK_WARMUP_S:-300}
SOAK_PERIOD_S=${SOAK_PERIOD_S:-180}
SOAK_RESULTS=${SOAK_RESULTS-$FZ_TOP/docs/reliability.md}
SOAK_PLOT=${SOAK_PLOT-}
KEEP=${SOAK_KEEP:-$B/soak}
DUR=$((SOAK_MINUTES * 60))
[ "$SOAK_TRAFFIC" -ge 4 ] || { echo "soak: FAIL SOAK_TRAFFIC must be at least 4 (roles)"; exit 1; }

SD="$FZ_TOP/tests/soak"
SC_BIN="$FZ_TMP/scale_client"
EV="$FZ_TMP/faults.jsonl"
STOP="$FZ_TMP/stop"
TRES_ID=50a4c0de-0000-4000-8000-00000000beef
DRV_PID=""
SMP_PID=""
SRV_PID=""
TR_PIDS=""
GW_RC=""
VERDICT_DONE=0

soak_fail() {
	echo "soak: FAIL $*"
	VERDICT_DONE=1
	exit 1
}
soak_cleanup() {
	touch "$STOP" 2>/dev/null
	[ -n "$DRV_PID" ] && kill -TERM "$DRV_PID" 2>/dev/null
	for p in $SMP_PID $SRV_PID $TR_PIDS $(cat "$FZ_TMP/pids" 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null
	done
	[ -n "$CTL_PID" ] && kill -CONT "$CTL_PID" 2>/dev/null
	rm -rf "$KEEP"
	mkdir -p "$KEEP" && cp "$FZ_TMP"/*.log "$FZ_TMP"/*.json "$FZ_TMP"/*.jsonl "$FZ_TMP"/*.txt "$FZ_TMP"/*.md \
		"$KEEP"/ 2>/dev/null
	e2e_clients_cleanup
	e2e_cleanup
	[ -n "${WG_GW:-}" ] && rm -rf "/etc/netns/$WG_GW"
	[ "$VERDICT_DONE" = 1 ] || echo "soak: FAIL the run was interrupted"
}
trap soak_cleanup EXIT
trap 'exit 1' INT TERM HUP
T0=$(date +%s)
now() { date +%s.%N | cut -c1-14; }
say() { echo "    [$(( $(date +%s) - T0 )) s] $*"; }

fz_need_root
fz_users
[ -x "$DP" ] && [ -x "$CTL" ] || soak_fail "$DP or $CTL missing: run make first"
"$PY" -c 'import websockets' 2>/dev/null || soak_fail "$PY lacks python3-websockets"
for c in turnserver wireguard-go wg nft; do
	command -v $c >/dev/null || soak_fail "$c missing (contrib/deps.sh test)"
done
pkg-config --exists libcrypto || soak_fail "libssl-dev (pkg-config libcrypto) missing"

# ---------------------------------------------------------------- build
# shellcheck disable=SC2046
cc -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$FZ_TOP/dataplane" -o "$SC_BIN" \
	"$FZ_TOP/tests/bench/scale_client.c" "$FZ_TOP/dataplane/wg_noise.c" "$FZ_TOP/dataplane/wg_cookie.c" \
	"$FZ_TOP/dataplane/wg_crypto.c" "$FZ_TOP/dataplane/wg_index.c" "$FZ_TOP/dataplane/wg_counter.c" \
	$(pkg-config --cflags --libs libcrypto) || soak_fail "cannot build scale_client"
e2e_build_shim

# ---------------------------------------------------------------- set-up
wg_topology
e2e_net
e2e_coturn
e2e_emulator
E2E_GW_LOG="$FZ_TMP/gateway.log"
mkdir -p "$FZ_TMP/state"
# The gateway's resolver for the DNS resource: its hosts file, no nameserver.
mkdir -p "/etc/netns/$WG_GW"
printf '10.99.0.2 app.soak.test\n' >"/etc/netns/$WG_GW/hosts"
printf 'nameserver 127.0.0.1\n' >"/etc/netns/$WG_GW/resolv.conf"
# ASan build: reports into the gateway's log.  No leak check: LeakSanitizer
# stops the process with ptrace at exit, which the seccomp filter kills (SIGSYS).
ip netns exec "$WG_GW" env FIREZONE_CONTROL_BIN="$CTL" ASAN_OPTIONS=abort_on_error=0:detect_leaks=0:quarantine_size_mb=16 \
	UBSAN_OPTIONS=print_stacktrace=1 \
	"$DP" -u "$EMU_URL" -i "$E2E_GW_ID" -n "$E2E_GW_NAME" --state-dir "$FZ_TMP/state" \
	--health-check-addr 127.0.0.1:18080 --log-level info --flow-logs "$E2E_TOKEN" >"$E2E_GW_LOG" 2>&1 &
E2E_GW_PID=$!
DP_PID=$E2E_GW_PID
FZ_PIDS="$FZ_PIDS $E2E_GW_PID"
emu wait phx_join 30 >/dev/null || { tail -n 30 "$E2E_GW_LOG"; soak_fail "the gateway did not join the emulator"; }
GWPUB=$(emu wait - 10 --kind upgrade --match status=101 --peek --field record.public_key) ||
	soak_fail "no accepted upgrade"
e2e_wait_file "$E2E_GW_LOG" "relay allocated" 30 || { tail -n 30 "$E2E_GW_LOG"; soak_fail "no relay allocation"; }
CTL_PID=$(cat /proc/"$DP_PID"/task/*/children 2>/dev/null | awk '{ print $1; exit }')
[ -n "$CTL_PID" ] && [ -r "/proc/$CTL_PID/smaps_rollup" ] || soak_fail "no control process under $DP_PID"
GW_PORT=$(in_ns "$WG_GW" ss -Hulpn 2>/dev/null | grep "pid=$DP_PID," | awk '$4 ~ /^0\.0\.0\.0:|^\*:|^192\.0\.2\.1:/ { n = split($4, a, ":"); print a[n]; exit }')
[ -n "$GW_PORT" ] || GW_PORT=$(in_ns "$WG_GW" ss -Hulpn | grep "pid=$DP_PID," | awk '{ n = split($4, a, ":"); print a[n]; exit }')
[ -n "$GW_PORT" ] || soak_fail "cannot find the gateway's UDP port"
say "gateway $GWPUB up (dataplane $DP_PID, control $CTL_PID, UDP port $GW_PORT, build $FZ_BUILD)"

# The resource's side of the checked traffic.
ip netns exec "$WG_RES" "$PY" "$SD/soak_traffic.py" server 7001 7002 >"$FZ_TMP/traffic-server.log" 2>&1 &
SRV_PID=$!
FZ_PIDS="$FZ_PIDS $SRV_PID"

# ---------------------------------------------------------------- population
# Clients that leave vanish: their sockets' datagrams are dropped in the
# client namespace (set "gone" of soak_driver.py), as a client that signed
# out stops answering; the gateway then removes them when ICE fails.
in_ns "$WG_CL" nft -f - <<EOF || soak_fail "nftables (departed clients)"
table inet soak_gone {
	set gone { type inet_service; }
	chain out { type filter hook output priority 0; policy accept; udp sport @gone drop; }
	chain in { type filter hook input priority 0; policy accept; udp dport @gone drop; }
}
EOF
POOL=$((SOAK_N + SOAK_CHURN * 2 * DUR + 200))
[ "$POOL" -le 30000 ] || POOL=30000
ip netns exec "$WG_GW" true
"$PY" "$SD/soak_driver.py" --emu-log "$EMU_LOG" --emu-sock "$EMU_SOCK" --gw-id "$E2E_GW_ID" \
	--gw-pub "$GWPUB" --cl-addr "$WG_CL_ADDR" --status "$FZ_TMP/driver.json" --n "$SOAK_N" \
	--churn "$SOAK_CHURN" --duration $((DUR + 600)) --gone-ns "$WG_CL" -- \
	ip netns exec "$WG_CL" "$SC_BIN" -n "$POOL" --bind "$WG_CL_ADDR" --gw-pub "$GWPUB" \
	>"$FZ_TMP/driver.log" 2>&1 &
DRV_PID=$!
FZ_PIDS="$FZ_PIDS $DRV_PID"
say "population: $SOAK_N clients (pool $POOL), churn $SOAK_CHURN/s"
n=0
until [ -s "$FZ_TMP/driver.json" ] && [ "$(e2e_json "$FZ_TMP/driver.json" 'j["churning"]')" = True ]; do
	kill -0 "$DRV_PID" 2>/dev/null || { tail -n 20 "$FZ_TMP/driver.log"; soak_fail "the driver ended"; }
	kill -0 "$DP_PID" 2>/dev/null || { tail -n 40 "$E2E_GW_LOG"; soak_fail "the gateway ended"; }
	n=$((n + 1))
	[ $n -lt 300 ] || soak_fail "the population did not come up in 300 s"
	sleep 1
done
say "population up: $(e2e_json "$FZ_TMP/driver.json" '"%d of %d" % (j["up_active"], j["active"])')"

# ---------------------------------------------------------------- traffic clients
TRES=$(payload cidr_resource address=10.99.0.2/32 id="$TRES_ID" name="soak traffic")
DRES_ID=50a4c0de-0000-4000-8000-00000000d5d5
DRES=$(payload dns_resource address='*.soak.test' id="$DRES_ID" name="soak names")
# is_dns K: client K uses the DNS resource (the last one, odd ones from 5).
is_dns() { [ "$1" = "$SOAK_TRAFFIC" ] || { [ "$1" -ge 5 ] && [ $(($1 % 2)) = 1 ]; }; }
tdst() { if is_dns "$1"; then echo 100.96.0.1; else echo 10.99.0.2; fi; }
# tassign K: AssignedIps app.soak.test -> 100.96.0.1 inside client K's
# tunnel (a first packet makes the handshake); 0 once Active.
tassign() {
	is_dns "$1" || return 0
	wg_ping "fz-sk$1-$$" 100.64.0.1 2 0.2 3 >/dev/null
	for _try in 1 2 3; do
		_o=$(in_ns "fz-sk$1-$$" "$PY" "$FZ_TOP/tests/integ/dns_p2p.py" "wgsk$1-$$" "$DRES_ID" app.soak.test \
			100.96.0.1 8 2>&1) && echo "$_o" | grep -q '"Active"' && return 0
	done
	echo "$_o"
	return 1
}
# tclient K EXPIRES: client K's namespace and keys, then tconnect, then
# wireguard-go towards the shim.
tclient() {
	_k=$1
	_ns="fz-sk$_k-$$"
	e2e_client_ns "$_ns" "skg$_k" "skc$_k" "172.16.$_k.1" "172.16.$_k.2"
	umask 077
	wg genkey >"$WGD/c$_k.key"
	umask 022
	tconnect "$_k" "$2" || soak_fail "client $_k: no ICE pair"
	e2e_client_wg "$_ns" "wgsk$_k-$$" "$WGD/c$_k.key" "$WGD/c$_k.psk" "100.64.1.$_k" "fd00:2021:1111::1e:$_k" \
		"$GWPUB" "$SH_PORT" 10.99.0.0/24 100.96.0.0/11
	tassign "$_k" || soak_fail "client $_k: AssignedIps for app.soak.test not Active"
	say "client $_k: $(sed -n 's/^shim: selected pair //p' "$SH_LOG" | tail -n 1)$(is_dns "$_k" && echo ', DNS resource: app.soak.test at 100.96.0.1')"
}
# tconnect K EXPIRES: what the client does to connect: an authorize_flow
# for it (TRES_ID, 10.99.0.2/32; the same keys each time), a new shim and
# candidate relay; 0 once the shim selected a pair (SH_PORT, SH_LOG set).
# Their PIDs go to $FZ_TMP/pids (the watcher runs in a subshell).
TCONN=0
tconnect() {
	_k=$1
	_ns="fz-sk$_k-$$"
	TCONN=$((TCONN + 1))
	# A fresh preshared key for each connection, as the Firezone client
	# makes one: with the same keys and the same (derived) ICE credentials
	# the gateway keeps the old connection (upstream's upsert).
	(umask 077; wg genpsk >"$WGD/c$_k.psk")
	_id=$(printf '50a4c0de-0000-4000-8000-%012d' "$_k")
	payload authorize_flow client_id="$_id" client_public_key="$(wg pubkey <"$WGD/c$_k.key")" \
		preshared_key="$(cat "$WGD/c$_k.psk")" client_ipv4="100.64.1.$_k" client_ipv6="fd00:2021:1111::1e:$_k" \
		resource="$(if is_dns "$_k"; then echo "$DRES"; else echo "$TRES"; fi)" gateway_id="$E2E_GW_ID" \
		gateway_public_key="$GWPUB" expires_at="$2" >"$FZ_TMP/flow$_k.json" || return 1
	_ref=$(e2e_json "$FZ_TMP/flow$_k.json" 'j["ref"]')
	eval "FLOWID_$_k=\$(e2e_json \"\$FZ_TMP/flow\$_k.json\" 'j[\"flow_id\"]')"
	eval "CID_$_k=$_id"
	e2e_client_shim "shim$_k-$TCONN" "$_ns" "172.16.$_k.2" \
		"$(e2e_json "$FZ_TMP/flow$_k.json" 'j["client_ice_credentials"]["username"]')" \
		"$(e2e_json "$FZ_TMP/flow$_k.json" 'j["client_ice_credentials"]["password"]')" \
		"$(e2e_json "$FZ_TMP/flow$_k.json" 'j["gateway_ice_credentials"]["username"]')" \
		"$(e2e_json "$FZ_TMP/flow$_k.json" 'j["gateway_ice_credentials"]["password"]')"
	echo "$SH_PID" >>"$FZ_TMP/pids"
	echo "$SH_PID" >"$FZ_TMP/shim$_k.pid"
	e2e_client_signal "signal$_k-$TCONN" "$_id" "$_ref" "$SH_LOG" "$SH_IN"
	pgrep -n -f "e2e_signal.py.*--client-id $_id" >>"$FZ_TMP/pids"
	emu push authorize_flow "@$FZ_TMP/flow$_k.json" >/dev/null || return 1
	e2e_wait_file "$SH_LOG" '^shim: selected pair ' 30 || { tail -n 5 "$SH_LOG"; return 1; }
}
# twatch K: as the Firezone client does when its connection fails, connect
# again (a new authorize_flow) once no UDP probe of client K was answered
# for 4 s, at most every 20 s; each reconnect is a line of faults.jsonl.
twatch() {
	_k=$1
	_last=0
	while [ ! -e "$STOP" ]; do
		sleep 1
		_a=$(awk '$1 == "u" && $4 >= 0 { t = $3 } END { printf "%d", t }' "$FZ_TMP/traffic-c$_k.txt" 2>/dev/null)
		_n=$(date +%s)
		[ "${_a:-0}" -gt 0 ] && [ $((_n - _a)) -ge 4 ] && [ $((_n - _last)) -ge 20 ] || continue
		_last=$_n
		_s=$(now)
		kill -TERM "$(cat "$FZ_TMP/shim$_k.pid")" 2>/dev/null
		pkill -f "e2e_signal.py.*--client-id $(printf '50a4c0de-0000-4000-8000-%012d' "$_k")" 2>/dev/null
		if tconnect "$_k" null; then
			in_ns "fz-sk$_k-$$" wg set "wgsk$_k-$$" peer "$GWPUB" endpoint "127.0.0.1:$SH_PORT" \
				preshared-key "$WGD/c$_k.psk"
			tassign "$_k" >/dev/null
			echo "{\"name\":\"reconnect\",\"client\":$_k,\"start\":$_s,\"end\":$(now),\"detail\":\"$(sed -n 's/^shim: selected pair //p' "$SH_LOG" | tail -n 1)\"}" >>"$EV"
		else
			echo "{\"name\":\"reconnect\",\"client\":$_k,\"start\":$_s,\"end\":$(now),\"detail\":\"failed\"}" >>"$EV"
		fi
	done
}
K=$SOAK_TRAFFIC
SMOKE_END=""
if [ "$SOAK_SMOKE" = 1 ]; then
	T_EXPIRE=24; T_REVOKE=34
else
	T_EXPIRE=$((DUR * 3 / 10)); T_REVOKE=$((DUR * 4 / 10))
fi
# Client 3 only reaches the gateway's relayed candidate.
in_ns "$WG_GW" nft -f - <<EOF || soak_fail "nftables (relay-only client)"
table inet soak_relay {
	counter blocked { }
	chain in { type filter hook input priority -10; policy accept;
		ip saddr 172.16.3.2 udp dport $GW_PORT counter name "blocked" drop
	}
}
EOF
# Client 2 last: its expiry counts from about the run's start.
for k in 1 $(seq 3 "$K") 2; do
	if [ $k = 2 ]; then
		tclient $k $(( $(date +%s) + 6 + T_EXPIRE ))
		EXPIRES_AT=$(e2e_json "$FZ_TMP/flow2.json" 'j["expires_at"]')
	else
		tclient $k null
	fi
done
e2e_wait_file "$FZ_TMP/shim3.log" 'relay' 1 >/dev/null
grep -q "client 50a4c0de-0000-4000-8000-000000000003: path chosen: relayed" "$E2E_GW_LOG" ||
	say "WARNING: client 3's path: $(grep '50a4c0de-0000-4000-8000-000000000003: path' "$E2E_GW_LOG" | tail -n 1)"

# ---------------------------------------------------------------- run
TS=$(date +%s)
ip netns exec "$WG_GW" "$PY" "$SD/soak_sample.py" "$DP_PID" "$CTL_PID" "$SOAK_SAMPLE_S" \
	"$FZ_TMP/samples.jsonl" "$FZ_TMP/driver.json" "$STOP" >"$FZ_TMP/sampler.log" 2>&1 &
SMP_PID=$!
FZ_PIDS="$FZ_PIDS $SMP_PID"
k=1
while [ $k -le $K ]; do
	ip netns exec "fz-sk$k-$$" "$PY" "$SD/soak_traffic.py" client "c$k" "$(tdst "$k")" 7001 7002 \
		"$FZ_TMP/traffic-c$k.txt" "$STOP" >"$FZ_TMP/traffic-c$k.log" 2>&1 &
	TR_PIDS="$TR_PIDS $!"
	k=$((k + 1))
done
FZ_PIDS="$FZ_PIDS $TR_PIDS"
# Reconnecting clients: all but the revoked (1) and the expiring (2) one.
for k in $(seq 3 "$K"); do
	twatch "$k" &
	TR_PIDS="$TR_PIDS $!"
done
# The expiry of client 2 relative to the run's clock.
T_EXPIRE=$((EXPIRES_AT - TS))
echo "{\"name\":\"start\",\"start\":$TS,\"end\":$TS,\"clients\":$K,\"expire_client\":2,\"expires_at\":$EXPIRES_AT,\"revoke_client\":1,\"relay_client\":3,\"roam_client\":$K,\"dns_clients\":\"$(for k in $(seq 1 "$K"); do is_dns "$k" && printf '%s ' "$k"; done)\"}" >"$EV"
say "run: $SOAK_MINUTES min, $K checked clients, sampling every $SOAK_SAMPLE_S s"

# fault NAME START END [DETAIL]: one line of faults.jsonl.
fault() { echo "{\"name\":\"$1\",\"start\":$2,\"end\":$3,\"detail\":\"${4:-}\"}" >>"$EV"; say "fault $1 ($(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", b - a }') s) ${4:-}"; }
alive() { kill -0 "$DP_PID" 2>/dev/null && kill -0 "$CTL_PID" 2>/dev/null; }
# until_t SECONDS: sleep until SECONDS after the run's start (gateway watched).
until_t() {
	while [ "$(date +%s)" -lt $((TS + $1)) ]; do
		alive || return 1
		sleep 1
	done
}
joins() { "$PY" -c 'import sys; print(sum(1 for l in open(sys.argv[1]) if "phx_join" in l and "\"p2g\"" not in l))' "$EMU_LOG"; }
wait_join() {
	# The gateway's next phx_join (up to $2 s).
	_n=$(($2 * 10))
	until [ "$(joins)" -gt "$1" ] || [ $_n -le 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	[ "$(joins)" -gt "$1" ]
}
f_portal_drop() {
	_j=$(joins); _s=$(now)
	emu drop >/dev/null 2>&1
	wait_join "$_j" 60 || say "no rejoin within 60 s"
	fault portal_drop "$_s" "$(now)" "the portal dropped the socket; end = the gateway joined again"
}
f_portal_away() {
	_j=$(joins); _s=$(now)
	emu reject 503 >/dev/null 2>&1
	emu drop >/dev/null 2>&1
	sleep "$SOAK_AWAY_S"
	emu reject clear >/dev/null 2>&1
	_e=$(now)
	wait_join "$_j" 120 || say "no rejoin within 120 s after the portal came back"
	fault portal_away "$_s" "$(now)" "503 to every upgrade for $SOAK_AWAY_S s (back at $_e); end = the gateway joined again"
}
f_coturn() {
	_s=$(now)
	# e2e_coturn's PID is a subshell around ip netns exec: kill coturn
	# itself (its pidfile, else the namespace's turnserver processes).
	_tp=$(cat "$FZ_TMP/turnserver.pid" 2>/dev/null)
	[ -n "$_tp" ] && kill -0 "$_tp" 2>/dev/null || _tp=$(for p in $(ip netns pids "$WG_GW"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = turnserver ] && echo "$p"; done)
	kill -KILL $_tp "$E2E_TURN_PID" 2>/dev/null
	wait "$E2E_TURN_PID" 2>/dev/null
	# The portal tells its gateways when a relay goes and when it is back
	# (relays_presence), as it does for the real relays.
	_rid=$(e2e_json "$FZ_TMP/init.json" 'j["relays"][0]["id"]')
	[ "${SOAK_RELAYS_PRESENCE:-1}" = 1 ] &&
		{ emu push relays_presence "$(payload relays_presence disconnected_ids="[\"$_rid\"]")" >/dev/null 2>&1 ||
			say "relays_presence (gone) push failed"; }
	n=50
	while in_ns "$WG_GW" cat /proc/net/udp | awk '$2 ~ /:0D96$/ { f = 1 } END { exit !f }' && [ $n -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
	sleep 2
	rm -f "$FZ_TMP/turnserver.pid"
	e2e_coturn
	[ "${SOAK_RELAYS_PRESENCE:-1}" = 1 ] &&
		{ emu push relays_presence "$(payload relays_presence connected="[$(payload turn_relay addr="$E2E_TURN_ADDR" \
			coturn_secret="$E2E_TURN_SECRET" id="$_rid")]")" >/dev/null 2>&1 || say "relays_presence (back) push failed"; }
	fault coturn_restart "$_s" "$(now)" "coturn SIGKILLed, restarted 2 s later; relays_presence gone, then back"
}
f_sigstop() {
	_s=$(now)
	kill -STOP "$CTL_PID"
	sleep "$SOAK_STOP_S"
	kill -CONT "$CTL_PID"
	fault control_sigstop "$_s" "$(now)" "control SIGSTOPped for $SOAK_STOP_S s"
}
f_loss() {
	_s=$(now)
	_p=$((SOAK_LOSS_PCT * 10))
	# Inbound in prerouting; outbound at the links' egress (netdev): a drop
	# in the output or postrouting hook fails the sender's sendto() with
	# EPERM, and coturn then relays nothing more for that allocation
	# (e2e_relayed_lib.sh), which is no packet loss.
	{
		echo "table inet soak_loss {"
		echo "	chain pre { type filter hook prerouting priority -300; policy accept;"
		echo "		iifname \"cl0\" meta l4proto udp numgen random mod 1000 < $_p drop"
		echo "		iifname \"skg*\" meta l4proto udp numgen random mod 1000 < $_p drop"
		echo "	}"
		echo "}"
		echo "table netdev soak_loss {"
		for _d in cl0 $(seq -f 'skg%g' 1 "$K"); do
			echo "	chain eg_$_d { type filter hook egress device \"$_d\" priority 0; policy accept;"
			echo "		meta l4proto udp numgen random mod 1000 < $_p drop"
			echo "	}"
		done
		echo "}"
	} | in_ns "$WG_GW" nft -f - || say "cannot install the loss rules"
	sleep "$SOAK_LOSS_S"
	in_ns "$WG_GW" nft delete table inet soak_loss
	in_ns "$WG_GW" nft delete table netdev soak_loss
	fault wan_loss "$_s" "$(now)" "nftables numgen random drop $SOAK_LOSS_PCT % each way on the WAN links"
}
f_flood() {
	_s=$(now)
	_r=$(in_ns "$WG_CL" timeout $((SOAK_FLOOD_S + 20)) "$PY" "$SD/soak_tool.py" spoofflood up0 "$WG_GW_ADDR" \
		"$GW_PORT" "$GWPUB" "$SOAK_FLOOD_S" 5000 2>&1)
	fault handshake_flood "$_s" "$(now)" "$_r"
}
ROAMS=0
f_roam() {
	_s=$(now)
	ROAMS=$((ROAMS + 1))
	_ns="fz-sk$K-$$"
	_a="172.16.$K.$((2 + ROAMS))"
	ip -n "$_ns" addr add "$_a/24" dev "skc$K" 2>/dev/null
	in_ns "$_ns" nft delete table ip soak_roam 2>/dev/null
	in_ns "$_ns" nft -f - <<EOF
table ip soak_roam {
	chain post { type nat hook postrouting priority 100; policy accept;
		ip saddr 172.16.$K.2 meta l4proto udp snat to $_a:$((40000 + ROAMS * 100))-$((40099 + ROAMS * 100))
	}
}
EOF
	in_ns "$_ns" conntrack -F >/dev/null 2>&1
	fault roam "$_s" "$(now)" "client $K now appears as $_a, ports from $((40000 + ROAMS * 100))"
}
f_revoke() {
	_s=$(now)
	emu push reject_access "$(payload reject_access client_id="$CID_1" resource_id="$TRES_ID" flow_id="$FLOWID_1")" \
		>/dev/null 2>&1 || say "reject_access push failed"
	fault revoke "$_s" "$(now)" "reject_access for client 1"
}

# The schedule: (seconds after the start, fault); SOAK_SCHED overrides it
# ("T:fault ...", faults: portal_drop portal_away coturn sigstop loss flood
# roam revoke).
if [ -n "${SOAK_SCHED:-}" ]; then
	SCHED=$SOAK_SCHED
elif [ "$SOAK_SMOKE" = 1 ]; then
	SCHED="5:portal_drop 12:coturn 24:sigstop 31:loss $T_REVOKE:revoke 41:flood 46:roam"
else
	SCHED=""
	t=$SOAK_WARMUP_S
	i=0
	away_done=0
	while [ $((t + 60)) -lt "$DUR" ]; do
		case $((i % 6)) in
		0) f=portal_drop ;;
		1) f=coturn ;;
		2) f=sigstop ;;
		3) f=loss ;;
		4) f=flood ;;
		5) f=roam ;;
		esac
		if [ $away_done = 0 ] && [ "$t" -ge $((DUR / 2)) ]; then
			# Once, half-way, inserted into the cycle.
			SCHED="$SCHED $t:portal_away"
			away_done=1
			t=$((t + SOAK_PERIOD_S + SOAK_AWAY_S))
			continue
		fi
		SCHED="$SCHED $t:$f"
		i=$((i + 1))
		t=$((t + SOAK_PERIOD_S))
	done
	SCHED=$(echo "$SCHED $T_REVOKE:revoke" | tr ' ' '\n' | sort -n | tr '\n' ' ')
fi
say "schedule: $SCHED"
for e in $SCHED; do
	until_t "${e%%:*}" || break
	"f_${e#*:}"
done
until_t "$DUR"

# ---------------------------------------------------------------- stop
say "stopping"
touch "$STOP"
for p in $TR_PIDS $SMP_PID; do
	wait "$p" 2>/dev/null
done
TR_PIDS=""
SMP_PID=""
kill -TERM "$DRV_PID" 2>/dev/null
wait "$DRV_PID" 2>/dev/null
DRV_PID=""
if kill -0 "$DP_PID" 2>/dev/null; then
	kill -CONT "$CTL_PID" 2>/dev/null
	kill -TERM "$DP_PID"
	fz_wait_gone "$DP_PID" 20 || kill -9 "$DP_PID" 2>/dev/null
	wait "$DP_PID"
	GW_RC=$?
else
	wait "$DP_PID"
	GW_RC="died:$?"
fi
E2E_GW_PID=""
echo "{\"name\":\"stop\",\"start\":$(now),\"end\":$(now),\"gateway_exit\":\"$GW_RC\",\"relay_blocked\":\"$(in_ns "$WG_GW" nft list counter inet soak_relay blocked 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p')\"}" >>"$EV"
grep 'path chosen' "$E2E_GW_LOG" | grep 50a4c0de | sed 's/.*client /client /' >"$FZ_TMP/paths.txt"
cp "$FZ_TMP/driver.json" "$FZ_TMP/driver-final.json" 2>/dev/null

# ---------------------------------------------------------------- verdict
[ -n "$SOAK_PLOT" ] && mkdir -p "$(dirname "$SOAK_PLOT")"
VERDICT_DONE=1
"$PY" "$SD/soak_report.py" --dir "$FZ_TMP" --clients "$K" --smoke "$SOAK_SMOKE" --loss-pct "$SOAK_LOSS_PCT" \
	--gateway-log "$E2E_GW_LOG" --build "$FZ_BUILD" --minutes "$SOAK_MINUTES" --n "$SOAK_N" \
	--churn "$SOAK_CHURN" --results "$SOAK_RESULTS" --plot "$SOAK_PLOT" \
	--commit "$(git -C "$FZ_TOP" rev-parse --short HEAD 2>/dev/null)"
