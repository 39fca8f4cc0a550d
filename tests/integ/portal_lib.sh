# Helpers to run the portal emulator next to a gateway (sourced after lib.sh).
PORTAL_DIR="$FZ_TOP/tests/portal"
PY=/usr/bin/python3

# FZ_PORTAL_MODE: which portal emu_start plays (issue 15; docs/portal-today.md).
#   legacy (default)  the 2024 portal: /gateway/websocket only, v1 events.
#   today             today's portal (--mode today --v1-compat): the gateway
#                     joins /gateway/v2/websocket; the suites' authorize_flow
#                     pushes go out as create_authorization, and waits for
#                     flow_authorized match authorization_created.
FZ_PORTAL_MODE=${FZ_PORTAL_MODE:-legacy}
case $FZ_PORTAL_MODE in
legacy) EMU_MODE_ARGS="" ;;
today) EMU_MODE_ARGS="--mode today --v1-compat" ;;
*) echo "FAIL: FZ_PORTAL_MODE=$FZ_PORTAL_MODE: legacy or today"; exit 1 ;;
esac

# emu_legacy_only WHAT: true in legacy mode; in today mode prints a skip line
# for WHAT (a step that needs a push today's portal never sends a 1.6
# gateway: request_connection, allow_access) and is false.
emu_legacy_only() {
	[ "$FZ_PORTAL_MODE" = legacy ] && return 0
	echo "    skip: $1 (today's portal never sends request_connection/allow_access to a gateway/1.6.0)"
	return 1
}

# emu_start NAME [emulator options...]: start the emulator in $FZ_NETNS on
# 127.0.0.1 in $FZ_PORTAL_MODE; sets EMU_PID, EMU_URL, EMU_SOCK, EMU_LOG.
emu_start() {
	_n=$1
	shift
	EMU_SOCK="$FZ_TMP/$_n.sock"
	# FZ_PORTAL_LOG_DIR (test_e2e_today.sh): keep the frame log there, after the run.
	EMU_LOG="${FZ_PORTAL_LOG_DIR:-$FZ_TMP}/$_n.jsonl"
	rm -f "$FZ_TMP/$_n.url"
	# shellcheck disable=SC2086
	ip netns exec "$FZ_NETNS" "$PY" "$PORTAL_DIR/emulator.py" --host 127.0.0.1 --port 0 \
		--log "$EMU_LOG" --control "$EMU_SOCK" --ready-file "$FZ_TMP/$_n.url" $EMU_MODE_ARGS "$@" \
		>"$FZ_TMP/$_n.out" 2>&1 &
	EMU_PID=$!
	FZ_PIDS="$FZ_PIDS $EMU_PID"
	_i=0
	while [ ! -s "$FZ_TMP/$_n.url" ]; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && { cat "$FZ_TMP/$_n.out"; fail "emulator did not start"; }
		sleep 0.1
	done
	EMU_URL=$(cat "$FZ_TMP/$_n.url")
}

emu() { "$PY" "$PORTAL_DIR/emuctl.py" "$EMU_SOCK" "$@"; }
payload() { "$PY" "$PORTAL_DIR/payloads.py" "$@"; }

# http_code URL: the status code of a GET inside the namespace.
http_code() {
	ip netns exec "$FZ_NETNS" "$PY" - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print("error", e)
PY
}

# coturn_start [IP]: a coturn in $FZ_NETNS listening on IP (127.0.0.1),
# long-term credentials TURN_USER / TURN_PASS, realm firezone; sets
# TURN_PORT and TURN_PID.
TURN_USER=gwuser
TURN_PASS=s3cretPW-gw
coturn_start() {
	_ip=${1:-127.0.0.1}
	TURN_PORT=$(( 20000 + ($$ % 20000) ))
	ip netns exec "$FZ_NETNS" turnserver -n --no-tls --no-dtls --no-cli --no-tcp-relay \
		--listening-ip="$_ip" --relay-ip="$_ip" --listening-port="$TURN_PORT" \
		--min-port=49152 --max-port=65535 --lt-cred-mech --user="$TURN_USER:$TURN_PASS" \
		--realm=firezone --allow-loopback-peers --userdb="$FZ_TMP/turndb" \
		--pidfile="$FZ_TMP/turnserver.pid" --log-file=stdout --simple-log \
		>"$FZ_TMP/coturn.log" 2>&1 &
	TURN_PID=$!
	FZ_PIDS="$FZ_PIDS $TURN_PID"
	_n=50
	while [ $_n -gt 0 ]; do
		grep -q "UDP listener opened\|Total UDP servers" "$FZ_TMP/coturn.log" 2>/dev/null && break
		sleep 0.1
		_n=$((_n - 1))
	done
	sleep 0.3
	kill -0 "$TURN_PID" 2>/dev/null || { cat "$FZ_TMP/coturn.log"; fail "coturn did not start"; }
}

# relay_json IP:PORT: a portal relay entry for that coturn.
relay_json() {
	payload turn_relay addr="$1" username="$TURN_USER" password="$TURN_PASS"
}
