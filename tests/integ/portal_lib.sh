# Helpers to run the portal emulator next to a gateway (sourced after lib.sh).
PORTAL_DIR="$FZ_TOP/tests/portal"
PY=/usr/bin/python3

# emu_start NAME [emulator options...]: start the emulator in $FZ_NETNS on
# 127.0.0.1; sets EMU_PID, EMU_URL, EMU_SOCK, EMU_LOG.
emu_start() {
	_n=$1
	shift
	EMU_SOCK="$FZ_TMP/$_n.sock"
	EMU_LOG="$FZ_TMP/$_n.jsonl"
	rm -f "$FZ_TMP/$_n.url"
	ip netns exec "$FZ_NETNS" "$PY" "$PORTAL_DIR/emulator.py" --host 127.0.0.1 --port 0 \
		--log "$EMU_LOG" --control "$EMU_SOCK" --ready-file "$FZ_TMP/$_n.url" "$@" \
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
