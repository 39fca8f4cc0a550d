#!/bin/sh
# Connection setup time (issue 20): N sequential connections of the reference
# client (libnice NiceAgent in the shim + wireguard-go, as in the e2e tests)
# to the real gateway through the portal emulator, each timed from the
# authorize_flow push to the first echo reply through the tunnel
# (tests/bench/connect_driver.py says what is timed and how).
#
#   direct   the e2e topology (e2e_lib.sh): client and gateway on one link,
#            the gateway's coturn next to it; the pair is host <-> host
#   relayed  the relayed e2e topology (e2e_relayed_lib.sh): no route between
#            client and gateway, both reach a coturn in its own namespace;
#            the only pair that works is relayed on both ends
#
# usage: sh tests/bench/connect.sh direct|relayed [N]   (root; N default 100)
# Writes $CONNECT_OUT/connect-MODE.json (default build/bench) and keeps the
# logs in build/bench/connect-MODE/.  make bench-connect runs both modes and
# tests/bench/connect_report.py.
FZ_TOP=${FZ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
INTEG="$FZ_TOP/tests/integ"
. "$INTEG/lib.sh"
. "$INTEG/portal_lib.sh"
. "$INTEG/wg_lib.sh"
. "$INTEG/e2e_lib.sh"
. "$INTEG/e2e_relayed_lib.sh"

MODE=${1:-direct}
N=${2:-100}
CONNECT_OUT=${CONNECT_OUT:-$FZ_TOP/build/bench}
KEEP="$CONNECT_OUT/connect-$MODE"
case $MODE in
direct | relayed) ;;
*) fail "usage: connect.sh direct|relayed [N]" ;;
esac

connect_cleanup() {
	rm -rf "$KEEP"
	mkdir -p "$KEEP"
	cp -r "$FZ_TMP"/*.log "$FZ_TMP"/*.jsonl "$FZ_TMP/connect" "$KEEP"/ 2>/dev/null
	e2e_cleanup
}
trap connect_cleanup EXIT
trap 'exit 1' INT TERM HUP

fz_need_root
fz_users
[ -x "$DP" ] && [ -x "$CTL" ] || fail "$DP or $CTL missing: run make first"
"$PY" -c 'import websockets' 2>/dev/null || fail "$PY lacks the websockets module (python3-websockets)"
for c in wireguard-go wg nft turnserver pkg-config cc; do
	command -v "$c" >/dev/null || fail "$c missing (contrib/deps.sh test)"
done
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)

if [ "$MODE" = direct ]; then
	e2e_build_shim
	SHIM=$E2E_SHIM
	BIND=$WG_CL_ADDR
	wg_topology
	e2e_net
	e2e_coturn
	e2e_emulator
else
	er_build_shim
	SHIM=$ER_SHIM_BIN
	BIND=$ER_CL_ADDR
	er_topology
	er_coturn_start
	payload init ipv4=100.64.0.1 ipv6=fd00:2021:1111::1 \
		relays="[$(er_relay_json "$ER_TG_ADDR:$ER_TURN_PORT")]" >"$FZ_TMP/init.json" ||
		fail "init payload"
	emu_start portal --token "$E2E_TOKEN" --gateway-id "$E2E_GW_ID" --name "$E2E_GW_NAME" \
		--init "@$FZ_TMP/init.json"
fi
# The gateway at info level: a debug log line per STUN message would be part
# of what is timed.
e2e_gateway --log-level info
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "the gateway did not join the emulator"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) ||
	fail "no accepted upgrade"
e2e_wait_file "$E2E_GW_LOG" "portal: init: " 10 || { cat "$E2E_GW_LOG"; fail "the gateway did not take the init"; }
if [ "$MODE" = relayed ]; then
	e2e_wait_file "$E2E_GW_LOG" "relay allocated: $ER_RELAY_ID" 10 ||
		{ tail -n 20 "$E2E_GW_LOG"; fail "the gateway did not allocate on coturn"; }
fi
umask 077
wg genkey >"$WGD/client.key" || fail "wg genkey"
umask 022
wg_client_start
echo "connect: $MODE: gateway $GWPUB joined, $N connections follow (t=$(( $(date +%s) - T0 )) s, load $LOAD0)"

_env=""
[ "$MODE" = relayed ] && _env="FZ_SHIM_TURN=$ER_TC_ADDR:$ER_TURN_PORT FZ_SHIM_TURN_USER=$TURN_USER FZ_SHIM_TURN_PASS=$TURN_PASS"
mkdir -p "$FZ_TMP/connect" "$CONNECT_OUT"
_net=1
[ "$MODE" = relayed ] && _net=11
# shellcheck disable=SC2086
ip netns exec "$WG_CL" env $_env "$PY" "$FZ_TOP/tests/bench/connect_driver.py" --mode "$MODE" --n "$N" \
	--emu-log "$EMU_LOG" --emu-sock "$EMU_SOCK" --shim "$SHIM" --bind "$BIND" --wg-if "$WG_IF" \
	--gw-pub "$GWPUB" --gw-id "$E2E_GW_ID" --net "$_net" --work "$FZ_TMP/connect" \
	--out "$FZ_TMP/connect/result.json" || fail "connect_driver: no connection came up"
"$PY" - "$FZ_TMP/connect/result.json" "$CONNECT_OUT/connect-$MODE.json" "$LOAD0" \
	"$(cut -d' ' -f1 /proc/loadavg)" "$(( $(date +%s) - T0 ))" <<'PY' || fail "result"
import json, sys
r = json.load(open(sys.argv[1]))
r.update({"load_before": float(sys.argv[3]), "load_after": float(sys.argv[4]),
          "elapsed_s": int(sys.argv[5])})
json.dump(r, open(sys.argv[2], "w"), indent=1)
PY
echo "connect: $MODE: results in $CONNECT_OUT/connect-$MODE.json, logs in $KEEP"
