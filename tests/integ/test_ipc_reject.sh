#!/bin/sh
# Every rejection of the IPC validation table ends the receiving process
# with exit status 1 and a clear log line, in both directions.
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT
fz_need_root
fz_users
fz_netns ipcrej
PEER="$B/tests/tools/ipc_peer"
[ -x "$PEER" ] || fail "missing $PEER (make integ builds it)"

# Control as receiver: a fake dataplane sends each bad message.
for c in unknown-type wrong-direction wrong-size length-mismatch unexpected-fd version wrong-phase short; do
	out=$("$PEER" dataplane "$c" "$CTL" 2>&1) || fail "control did not exit 1 on '$c': $out"
	echo "$out" | grep -q "invalid message from the dataplane" || fail "no clear line for '$c': $out"
	ok "control refuses $c"
done

# Dataplane as receiver: the fake control sends each bad message.
for c in unknown-type wrong-direction wrong-size length-mismatch unexpected-fd version wrong-phase missing-fd short; do
	fz_control_wrapper "$FZ_TMP/peer-$c" "$PEER" "$c"
	ip netns exec "$FZ_NETNS" env FIREZONE_CONTROL_BIN="$FZ_TMP/peer-$c" \
		"$DP" -u ws://127.0.0.1:9 tok >"$FZ_TMP/$c.log" 2>&1; rc=$?
	[ "$rc" -eq 1 ] || { cat "$FZ_TMP/$c.log"; fail "dataplane exit $rc on '$c'"; }
	grep -q "invalid message from control" "$FZ_TMP/$c.log" || { cat "$FZ_TMP/$c.log"; fail "no clear line for '$c'"; }
	fz_tun_present && fail "tun-firezone left behind after '$c'"
	ok "dataplane refuses $c"
done
exit 0
