#!/bin/sh
# TURN client core (control/turn.c) against a real coturn on loopback,
# through tests/tools/turn_probe.c built here with libnice (the Makefile
# builds tests/tools/*.c against libc only).
# Scenarios: IPv4 server; IPv4 + IPv6 server addresses (first Binding
# answer wins); a wrong password (401 after the nonce -> credentials);
# relay loss (coturn killed, Refresh given up after 8 s).
# In each: Binding, 401 challenge, Allocate, two ChannelBinds, ChannelData
# both ways through the relay, release + re-bind, Refresh, delete on stop.
# Issue 19: every answer of coturn to a signed request verifies, and a
# forged unsigned answer to the Refresh (LIFETIME 0) is ignored.
# Only 127.0.0.1 and ::1 are used; coturn is started here and killed by PID.
set -u
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT INT TERM

command -v turnserver >/dev/null || fail "coturn (turnserver) missing"
command -v pkg-config >/dev/null || fail "pkg-config missing"
pkg-config --exists nice libcrypto || fail "libnice-dev / libssl-dev missing"

CFLAGS_T="-std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -O1 -g"
SAN=""
[ "${FZ_TURN_SANITIZE:-0}" = 1 ] && SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"

# shellcheck disable=SC2046
cc $CFLAGS_T $SAN -DFZ_TURN_PROBE -I"$FZ_TOP/common" -I"$FZ_TOP/control" \
	-o "$FZ_TMP/turn_probe" "$FZ_TOP/tests/tools/turn_probe.c" \
	"$FZ_TOP/control/turn.c" "$FZ_TOP/common/log.c" \
	$(pkg-config --cflags --libs nice libcrypto) || fail "cannot build turn_probe"

# A free UDP port on loopback for coturn's listener.
port=$(( 20000 + ($$ % 20000) ))
have6=0
ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' && have6=1

TURN_PID=""
start_coturn() {
	_ips="--listening-ip=127.0.0.1"
	[ "$have6" = 1 ] && _ips="$_ips --listening-ip=::1"
	# shellcheck disable=SC2086
	turnserver -n --no-tls --no-dtls --no-cli --no-tcp-relay \
		$_ips --relay-ip=127.0.0.1 --listening-port="$port" \
		--min-port=49152 --max-port=65535 \
		--lt-cred-mech --user=gwuser:s3cretPW-gw --realm=firezone \
		--allow-loopback-peers --userdb="$FZ_TMP/turndb" \
		--pidfile="$FZ_TMP/turnserver.pid" --log-file=stdout --simple-log \
		>"$FZ_TMP/coturn.log" 2>&1 &
	TURN_PID=$!
	FZ_PIDS="$FZ_PIDS $TURN_PID"
	# wait until it answers on the port
	_n=50
	while [ $_n -gt 0 ]; do
		grep -q "listener opened on\|IPv4. UDP listener opened\|Total UDP servers" "$FZ_TMP/coturn.log" 2>/dev/null && break
		sleep 0.1
		_n=$((_n - 1))
	done
	sleep 0.3
	kill -0 "$TURN_PID" 2>/dev/null || { cat "$FZ_TMP/coturn.log"; fail "coturn did not start"; }
}

stop_coturn() {
	[ -n "$TURN_PID" ] && kill "$TURN_PID" 2>/dev/null
	[ -n "$TURN_PID" ] && wait "$TURN_PID" 2>/dev/null
	TURN_PID=""
}

probe() {
	"$FZ_TMP/turn_probe" --user gwuser --realm firezone "$@"
}

start_coturn

echo "== IPv4 server"
probe --server "127.0.0.1:$port" --pass s3cretPW-gw --mode ok >"$FZ_TMP/p1.log" 2>&1 ||
	{ cat "$FZ_TMP/p1.log"; tail -30 "$FZ_TMP/coturn.log"; fail "IPv4 scenario"; }
grep '^ok:' "$FZ_TMP/p1.log"
grep -q '^ok: forged unsigned Refresh answer ignored' "$FZ_TMP/p1.log" ||
	fail "forged Refresh answer case did not run"
grep -q '^ok: every answer of the server to a signed request verified' "$FZ_TMP/p1.log" ||
	fail "answers of coturn did not all verify"
ok "coturn over IPv4 (answers signed, forged answer ignored)"

if [ "$have6" = 1 ]; then
	echo "== IPv4 + IPv6 server addresses"
	probe --server "127.0.0.1:$port" --server "[::1]:$port" --pass s3cretPW-gw --mode ok \
		>"$FZ_TMP/p2.log" 2>&1 ||
		{ cat "$FZ_TMP/p2.log"; tail -30 "$FZ_TMP/coturn.log"; fail "dual-address scenario"; }
	grep '^ok:' "$FZ_TMP/p2.log"
	ok "coturn with two server addresses"
else
	echo "skip: no ::1 on lo"
fi

echo "== wrong password"
probe --server "127.0.0.1:$port" --pass b4dPW-x --mode badpass >"$FZ_TMP/p3.log" 2>&1 ||
	{ cat "$FZ_TMP/p3.log"; fail "wrong-password scenario"; }
grep '^ok:' "$FZ_TMP/p3.log"
# passwords never reach a log line
grep -l 's3cretPW-gw\|b4dPW-x' "$FZ_TMP"/p[0-9].log && fail "a password appears in the probe's log"
ok "credentials refused"

echo "== relay loss"
"$FZ_TMP/turn_probe" --user gwuser --realm firezone --server "127.0.0.1:$port" --pass s3cretPW-gw \
	--mode loss >"$FZ_TMP/p4.log" 2>&1 &
PROBE_PID=$!
FZ_PIDS="$FZ_PIDS $PROBE_PID"
fz_wait_log "$FZ_TMP/p4.log" '^allocated' 15 || { cat "$FZ_TMP/p4.log"; fail "loss: no allocation"; }
stop_coturn
kill -USR1 "$PROBE_PID"
wait "$PROBE_PID" || { cat "$FZ_TMP/p4.log"; fail "loss scenario"; }
grep '^ok:' "$FZ_TMP/p4.log"
ok "relay loss detected"
grep -l 's3cretPW-gw\|b4dPW-x' "$FZ_TMP"/p[0-9].log && fail "a password appears in the probe's log"

echo "PASS"
