#!/bin/sh
# Scale run (issue 9): N clients connected to the real gateway through the
# portal emulator, each with its own source port, WireGuard key, PSK,
# tunnel addresses and ICE credentials; ICE and a WireGuard handshake
# complete for every one of them.  Reports the dataplane's and control's
# memory per client (RSS and PSS from /proc/PID/smaps_rollup, after minus
# before, divided by N), their CPU while all clients are connected and idle
# (utime+stime over IDLE_S seconds), and the time to connect them all.
#
#   client ns (WG_CL)                 gateway ns (FZ_NETNS)
#   scale_client: N UDP sockets       firezone-gateway (+ control), info logs
#     on 192.0.2.2 (one per client)   emulator 127.0.0.1, coturn 192.0.2.1:3478
#   up0 192.0.2.2  <---------------->  cl0 192.0.2.1
#
# scale_driver.py (host) pushes the authorize_flow frames in batches
# (emulator push_many), relays candidates both ways through the emulator and
# counts the clients scale_client reports up.
#
# usage: sh tests/bench/scale.sh [N]      (N default 10000; env: IDLE_S=20,
#        SETTLE_S=15, TIMEOUT_S=900, PERF_S (profile both processes with perf for
#        that many seconds from the first push; build/bench/scale.perf-*.data), STALL_S=60 (give up when no client came up for
#        that long), BATCH=500, RATE=250 (authorize_flow per second, 0 = burst: as fast as possible), SCALE_RESULTS=docs/performance-scale.md
#        ("" = do not append), SCALE_SMOKE=1: only check that all N connect)
# Needs root, build/firezone-gateway(-control) (make), coturn, libssl-dev,
# python3-websockets.  Everything runs in namespaces it creates; torn down
# by PID and by name on exit.
. "$(dirname "$0")/../integ/lib.sh"
. "$(dirname "$0")/../integ/portal_lib.sh"
. "$(dirname "$0")/../integ/wg_lib.sh"
. "$(dirname "$0")/../integ/e2e_lib.sh"

N=${1:-${N:-10000}}
IDLE_S=${IDLE_S:-20}
SETTLE_S=${SETTLE_S:-15}
TIMEOUT_S=${TIMEOUT_S:-900}
BATCH=${BATCH:-500}
RATE=${RATE:-250}
STALL_S=${STALL_S:-60}
SCALE_RESULTS=${SCALE_RESULTS-$FZ_TOP/docs/performance-scale.md}
SCALE_SMOKE=${SCALE_SMOKE:-0}
SC_BIN="$B/bench/scale_client"
SC_DRV_PID=""
KEEP=${SCALE_KEEP:-$B/bench/scale}

scale_cleanup() {
	[ -n "$SC_DRV_PID" ] && kill -TERM "$SC_DRV_PID" 2>/dev/null && fz_wait_gone "$SC_DRV_PID" 5
	rm -rf "$KEEP"
	mkdir -p "$KEEP" && cp "$FZ_TMP"/*.log "$FZ_TMP"/*.json "$FZ_TMP"/*.out "$KEEP"/ 2>/dev/null
	e2e_cleanup
}
trap scale_cleanup EXIT
trap 'exit 1' INT TERM HUP

fz_need_root
fz_users
[ -x "$DP" ] && [ -x "$CTL" ] || fail "$DP or $CTL missing: run make first"
"$PY" -c 'import websockets' 2>/dev/null || fail "$PY lacks python3-websockets"
command -v pkg-config >/dev/null && pkg-config --exists libcrypto || fail "libssl-dev (pkg-config libcrypto) missing"

# ---------------------------------------------------------------- build
mkdir -p "$B/bench"
# shellcheck disable=SC2046
cc -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$FZ_TOP/dataplane" -o "$SC_BIN" \
	"$FZ_TOP/tests/bench/scale_client.c" "$FZ_TOP/dataplane/wg_noise.c" "$FZ_TOP/dataplane/wg_cookie.c" \
	"$FZ_TOP/dataplane/wg_crypto.c" "$FZ_TOP/dataplane/wg_index.c" "$FZ_TOP/dataplane/wg_counter.c" \
	$(pkg-config --cflags --libs libcrypto) || fail "cannot build scale_client"

# ------------------------------------------------------------- helpers
# kib PID FIELD: a field of /proc/PID/smaps_rollup in KiB.
kib() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/smaps_rollup"; }
# ticks PID: utime + stime of /proc/PID/stat (clock ticks).
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# metric NAME: a value of the gateway's /metrics (first matching line).
metrics() {
	ip netns exec "$WG_GW" "$PY" -c '
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:18080/metrics", timeout=10).read().decode())' \
		2>/dev/null
}
metric() { metrics | awk -v m="$1" 'index($0, m) == 1 { print $NF; exit }'; }
jget() { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ------------------------------------------------------------- set-up
T0=$(date +%s)
wg_topology
e2e_net
e2e_coturn
e2e_emulator
E2E_GW_LOG="$FZ_TMP/gateway.log"
mkdir -p "$FZ_TMP/state"
ip netns exec "$WG_GW" env FIREZONE_CONTROL_BIN="$CTL" \
	"$DP" -u "$EMU_URL" -i "$E2E_GW_ID" -n "$E2E_GW_NAME" --state-dir "$FZ_TMP/state" \
	--health-check-addr 127.0.0.1:18080 --log-level info "$E2E_TOKEN" >"$E2E_GW_LOG" 2>&1 &
E2E_GW_PID=$!
FZ_PIDS="$FZ_PIDS $E2E_GW_PID"
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "the gateway did not join the emulator"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) ||
	fail "no accepted upgrade"
e2e_wait_file "$E2E_GW_LOG" "relay allocated" 15 || { cat "$E2E_GW_LOG"; fail "no relay allocation"; }
DP_PID=$E2E_GW_PID
CTL_PID=$(cat /proc/"$DP_PID"/task/*/children 2>/dev/null | awk '{ print $1; exit }')
[ -n "$CTL_PID" ] && [ -r "/proc/$CTL_PID/smaps_rollup" ] || fail "no control process under $DP_PID"
sleep 2
DP_RSS0=$(kib "$DP_PID" Rss); DP_PSS0=$(kib "$DP_PID" Pss)
CTL_RSS0=$(kib "$CTL_PID" Rss); CTL_PSS0=$(kib "$CTL_PID" Pss)
echo "    set-up: gateway $GWPUB (dataplane $DP_PID, control $CTL_PID) joined, relay $E2E_TURN_ADDR; before: dataplane RSS $DP_RSS0 KiB PSS $DP_PSS0 KiB, control RSS $CTL_RSS0 KiB PSS $CTL_PSS0 KiB (t=$(( $(date +%s) - T0 )) s)"

# ------------------------------------------------------------ connect N
STATUS="$FZ_TMP/status.json"
# /proc/PID/schedstat: ns on a CPU, ns waiting for one (runnable), slices.
SCH_DP0=$(cat "/proc/$DP_PID/schedstat"); SCH_CTL0=$(cat "/proc/$CTL_PID/schedstat")
"$PY" "$FZ_TOP/tests/bench/scale_driver.py" --emu-log "$EMU_LOG" --emu-sock "$EMU_SOCK" \
	--gw-id "$E2E_GW_ID" --gw-pub "$GWPUB" --cl-addr "$WG_CL_ADDR" --status "$STATUS" \
	--events "$FZ_TMP/clients.json" --batch "$BATCH" --rate "$RATE" --timeout "$TIMEOUT_S" --stall "$STALL_S" -- \
	ip netns exec "$WG_CL" "$SC_BIN" -n "$N" --bind "$WG_CL_ADDR" --gw-pub "$GWPUB" \
	>"$FZ_TMP/driver.log" 2>&1 &
SC_DRV_PID=$!
FZ_PIDS="$FZ_PIDS $SC_DRV_PID"
if [ -n "${PERF_S:-}" ]; then
	# Profiles of both gateway processes while the clients connect.
	perf record -q -F 499 -g -p "$CTL_PID" -o "$KEEP.perf-control.data" -- sleep "$PERF_S" >/dev/null 2>&1 &
	FZ_PIDS="$FZ_PIDS $!"
	perf record -q -F 499 -g -p "$DP_PID" -o "$KEEP.perf-dataplane.data" -- sleep "$PERF_S" >/dev/null 2>&1 &
	FZ_PIDS="$FZ_PIDS $!"
fi
echo "    connecting $N clients (progress: $FZ_TMP/driver.log)"
LAST=""
until [ -s "$STATUS" ] && [ "$(jget "$STATUS" 'v["final"]')" = True ]; do
	kill -0 "$SC_DRV_PID" 2>/dev/null || { tail -n 20 "$FZ_TMP/driver.log"; fail "the driver ended"; }
	kill -0 "$E2E_GW_PID" 2>/dev/null || { tail -n 40 "$E2E_GW_LOG"; fail "the gateway ended"; }
	L=$(grep '^driver: t=' "$FZ_TMP/driver.log" | tail -n 1 | cut -c1-110)
	[ "$L" != "$LAST" ] && [ $(( $(date +%s) % 30 )) -lt 2 ] && echo "    $L" && LAST=$L
	sleep 1
done
SCH_DP1=$(cat "/proc/$DP_PID/schedstat"); SCH_CTL1=$(cat "/proc/$CTL_PID/schedstat")
UP=$(jget "$STATUS" 'v["up"]')
# sched PROC BEFORE AFTER: CPU time and run-queue wait over the connect phase.
sched() {
	echo "$2 $3" | awk -v p="$1" '{ printf "%s %.1f s on a CPU, %.1f s runnable but waiting for one", p, ($4 - $1) / 1e9, ($5 - $2) / 1e9 }'
}
SCHED="$(sched dataplane "$SCH_DP0" "$SCH_DP1"); $(sched control "$SCH_CTL0" "$SCH_CTL1")"
CONNECT_S=$(jget "$STATUS" '"%.1f" % v["connect_s"] if v["connect_s"] else "-"')
LAT=$(jget "$STATUS" '"p50 %(p50).1f s, p90 %(p90).1f s, p99 %(p99).1f s, max %(max).1f s" % v["latency_s"] if v.get("latency_s") else "-"')
PUSH_S=$(jget "$STATUS" '"%.1f" % (v["t_push_done"] - v["t_push_start"]) if v["t_push_done"] else "-"')
tail -n 3 "$FZ_TMP/driver.log" | sed 's/^/    /'
HS_DONE=$(grep -c 'WireGuard handshake done' "$E2E_GW_LOG")
CLOSED=$(grep -c 'connection closed' "$E2E_GW_LOG")
echo "    $UP of $N clients up (connect time ${CONNECT_S} s, pushes ${PUSH_S} s); gateway log: $HS_DONE handshakes done, $CLOSED connections closed"
echo "    while connecting: $SCHED"

if [ "$SCALE_SMOKE" = 1 ]; then
	sleep 2
	M_CONN=$(metric firezone_gateway_clients_connected)
	M_HS=$(metric 'firezone_gateway_handshakes_total{result="completed"}')
	echo "    /metrics: clients_connected $M_CONN, handshakes completed $M_HS"
	[ "$UP" = "$N" ] && [ "${M_CONN:-0}" -ge "$N" ] && [ "${M_HS:-0}" -ge "$N" ] &&
		[ "$HS_DONE" -ge "$N" ] || fail "not all $N clients connected"
	ok "scale smoke: all $N clients connected (ICE + WireGuard handshake each)"
	exit 0
fi
[ "$UP" = "$N" ] || echo "    WARNING: only $UP of $N clients connected; numbers below are for the connected state reached"

# ---------------------------------------------------- settle, measure
echo "    settling $SETTLE_S s (connections go idle after 10 s without application packets)"
sleep "$SETTLE_S"
DP_RSS1=$(kib "$DP_PID" Rss); DP_PSS1=$(kib "$DP_PID" Pss)
CTL_RSS1=$(kib "$CTL_PID" Rss); CTL_PSS1=$(kib "$CTL_PID" Pss)
SC_PID=$(pgrep -P "$SC_DRV_PID" | head -n 1)
QF0=$(metric 'firezone_gateway_dropped_packets_total{reason="queue_full"}')
ST0=$(metric firezone_gateway_stun_received_total)
EMU_T0=$(ticks "$EMU_PID"); DP_T0=$(ticks "$DP_PID"); CTL_T0=$(ticks "$CTL_PID")
SC_T0=$( [ -n "$SC_PID" ] && ticks "$SC_PID" || echo 0)
sleep "$IDLE_S"
DP_T1=$(ticks "$DP_PID"); CTL_T1=$(ticks "$CTL_PID"); EMU_T1=$(ticks "$EMU_PID")
SC_T1=$( [ -n "$SC_PID" ] && ticks "$SC_PID" || echo 0)
UP_END=$(jget "$STATUS" 'v["up"]')
M_CONN=$(metric firezone_gateway_clients_connected)
M_HS=$(metric 'firezone_gateway_handshakes_total{result="completed"}')
CLOSED_END=$(grep -c 'connection closed' "$E2E_GW_LOG")
STATS=$(grep '^driver: t=' "$FZ_TMP/driver.log" | tail -n 1 | sed 's/.*| //')
HZ=$(getconf CLK_TCK)

M_QFULL=$(metric 'firezone_gateway_dropped_packets_total{reason="queue_full"}')
M_COOKIE=$(metric firezone_gateway_cookie_replies_total)
M_STUN=$(metric firezone_gateway_stun_received_total)
IDLE_STUN="STUN during the idle window: $(( ${M_STUN:-0} - ${ST0:-0} )) received, $(( ${M_QFULL:-0} - ${QF0:-0} )) dropped (queue_full)"
# Per client: divided by the clients the gateway holds at the end.
R=$("$PY" - "$N" "${M_CONN:-$UP}" "$DP_RSS0" "$DP_RSS1" "$DP_PSS0" "$DP_PSS1" "$CTL_RSS0" "$CTL_RSS1" "$CTL_PSS0" \
	"$CTL_PSS1" "$DP_T0" "$DP_T1" "$CTL_T0" "$CTL_T1" "$IDLE_S" "$HZ" "$EMU_T0" "$EMU_T1" \
	"$SC_T0" "$SC_T1" <<'PY'
import sys
a = sys.argv[1:]
n, up = int(a[0]), int(a[1])
v = [int(x) for x in a[2:10]]
dt = [int(x) for x in a[10:14]]
idle, hz = float(a[14]), int(a[15])
e0, e1, s0, s1 = (int(x) for x in a[16:20])
per = lambda b, c: (c - b) * 1024.0 / max(up, 1)
cpu = lambda t0, t1: 100.0 * (t1 - t0) / hz / idle
print("| dataplane | %d | %d | %d | %d | %.0f | %.0f | %.2f |" % (v[0], v[1], v[2], v[3], per(v[0], v[1]), per(v[2], v[3]), cpu(dt[0], dt[1])))
print("| control | %d | %d | %d | %d | %.0f | %.0f | %.2f |" % (v[4], v[5], v[6], v[7], per(v[4], v[5]), per(v[6], v[7]), cpu(dt[2], dt[3])))
print("CPU_EXTRA emulator %.2f %%, scale_client (all %d clients) %.2f %%" % (cpu(e0, e1), n, cpu(s0, s1)))
PY
)
TABLE_HEAD="| process | RSS before (KiB) | RSS after (KiB) | PSS before (KiB) | PSS after (KiB) | RSS per client (bytes) | PSS per client (bytes) | idle CPU (% of one core) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
TABLE=$(printf '%s\n%s\n' "$TABLE_HEAD" "$(echo "$R" | grep '^|')")
EXTRA=$(echo "$R" | sed -n 's/^CPU_EXTRA //p')
echo
echo "Scale run: $UP of $N clients connected in ${CONNECT_S} s (authorize_flow pushes took ${PUSH_S} s; per client, its push to its handshake: $LAT)"
echo "$TABLE"
echo "Idle CPU over ${IDLE_S} s, after ${SETTLE_S} s settling; also $EXTRA. $IDLE_STUN."
echo "Gateway: /metrics clients_connected $M_CONN, handshakes completed $M_HS, cookie replies $M_COOKIE, STUN received $M_STUN, STUN dropped (queue_full) $M_QFULL; $CLOSED_END connections closed in the log ($(grep -c 'no candidates from the client' "$E2E_GW_LOG") no candidates within 10 s, $(grep -c 'every candidate pair failed' "$E2E_GW_LOG") every pair failed); $UP_END clients up at the end (client side)."
echo "Client side: $STATS"

if [ -n "$SCALE_RESULTS" ]; then
	{
		[ -s "$SCALE_RESULTS" ] || printf '# Scale runs (issue 9)\n\nAppended by `tests/bench/scale.sh` (`make bench-scale`).  Memory: /proc/PID/smaps_rollup before the first client and %s s after the last one connected, divided by the clients the gateway holds then (/metrics clients_connected).  CPU: utime+stime over the idle window, all clients connected and idle (no application packets; the gateway'"'"'s ICE consent checks, WireGuard persistent keepalives and the clients'"'"' own consent checks every 60 s keep running).\n' "$SETTLE_S"
		echo
		echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), N=$N"
		echo
		echo "- machine: $(uname -srm), $(nproc) cores, $(awk '/model name/ { sub(/^[^:]*: /, ""); print; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
		echo "- commit: $(git -C "$FZ_TOP" rev-parse --short HEAD 2>/dev/null)$(git -C "$FZ_TOP" diff --quiet -- dataplane control common 2>/dev/null || echo ' (with uncommitted changes in dataplane/control/common)')"
		echo "- command: \`sh tests/bench/scale.sh $N\` (IDLE_S=$IDLE_S SETTLE_S=$SETTLE_S BATCH=$BATCH RATE=$RATE)"
		echo "- connected: $UP of $N (ICE + WireGuard handshake each); at the end the gateway held $M_CONN (/metrics clients_connected; handshakes completed $M_HS, cookie replies $M_COOKIE, STUN dropped on the dataplane->control queue $M_QFULL; $CLOSED_END connections closed: $(grep -c 'no candidates from the client' "$E2E_GW_LOG") no candidates within 10 s, $(grep -c 'every candidate pair failed' "$E2E_GW_LOG") every pair failed)"
		echo "- while connecting: $SCHED; load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share this machine)"
		echo "- time to connect all: ${CONNECT_S} s from the first authorize_flow push (pushes took ${PUSH_S} s; per client, its authorize_flow push to its handshake: $LAT)"
		echo
		echo "$TABLE"
		echo
		echo "Idle window ${IDLE_S} s; also $EXTRA. $IDLE_STUN."
	} >>"$SCALE_RESULTS"
	echo "    appended to $SCALE_RESULTS"
fi
[ "$UP" = "$N" ]
