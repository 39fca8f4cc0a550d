#!/bin/sh
# The privilege-separated pair: identities and capabilities after the drop,
# clean stop on SIGTERM, each process ending when the other dies, the TUN
# device gone afterwards, the non-root setcap start, and the start-up errors.
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT
fz_need_root
fz_users
fz_netns privsep

CAP_NET_ADMIN_MASK=0000000000001000

start_pair() {
	fz_start_gateway "$FZ_TMP/$1.log" -u ws://127.0.0.1:9 --state-dir "$FZ_TMP/state" \
		--log-level debug test-token-not-real
	fz_wait_log "$FZ_TMP/$1.log" "ready: dataplane" 10
	CTL_PID=$(fz_control_pid "$GW_PID")
	[ -n "$CTL_PID" ] || fail "no control process under $GW_PID"
	fz_tun_present || fail "tun-firezone missing while running"
}

# 1. Identities and capabilities, read from /proc.
start_pair run1
# The dataplane's real uid is control's (so that the parent-death signal
# and its kill reach control); its effective, saved and fs uids are its own.
dp_ruid=$(fz_status_field "$GW_PID" Uid)
dp_uid=$(awk '$1 == "Uid:" { print $3 }' "/proc/$GW_PID/status")
dp_eff=$(fz_status_field "$GW_PID" CapEff)
dp_prm=$(fz_status_field "$GW_PID" CapPrm)
dp_bnd=$(fz_status_field "$GW_PID" CapBnd)
ctl_uid=$(fz_status_field "$CTL_PID" Uid)
ctl_eff=$(fz_status_field "$CTL_PID" CapEff)
ctl_prm=$(fz_status_field "$CTL_PID" CapPrm)
ctl_bnd=$(fz_status_field "$CTL_PID" CapBnd)
echo "dataplane pid $GW_PID: uid $dp_uid (real $dp_ruid) CapEff $dp_eff CapPrm $dp_prm CapBnd $dp_bnd"
echo "control   pid $CTL_PID: uid $ctl_uid CapEff $ctl_eff CapPrm $ctl_prm CapBnd $ctl_bnd"
[ "$dp_uid" = "$(id -u firezone-gateway)" ] || fail "dataplane uid $dp_uid is not firezone-gateway"
[ "$dp_ruid" = "$(id -u firezone-control)" ] || fail "dataplane real uid $dp_ruid is not firezone-control"
[ "$(awk '$1 == "Uid:" { print $4 $5 }' "/proc/$GW_PID/status")" = "$dp_uid$dp_uid" ] || fail "dataplane saved or fs uid"
[ "$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' "/proc/$CTL_PID/status")" = "$ctl_uid$ctl_uid$ctl_uid$ctl_uid" ] ||
	fail "control's uids are not all firezone-control"
[ "$ctl_uid" = "$(id -u firezone-control)" ] || fail "control uid $ctl_uid is not firezone-control"
[ "$dp_uid" != 0 ] && [ "$ctl_uid" != 0 ] || fail "a process runs as root"
[ "$dp_eff" = "$CAP_NET_ADMIN_MASK" ] || fail "dataplane CapEff $dp_eff, expected CAP_NET_ADMIN only"
[ "$dp_prm" = "$CAP_NET_ADMIN_MASK" ] || fail "dataplane CapPrm $dp_prm"
[ "$dp_bnd" = "$CAP_NET_ADMIN_MASK" ] || fail "dataplane CapBnd $dp_bnd"
[ "$ctl_eff" = 0000000000000000 ] || fail "control CapEff $ctl_eff, expected none"
[ "$ctl_prm" = 0000000000000000 ] || fail "control CapPrm $ctl_prm"
[ "$ctl_bnd" = 0000000000000000 ] || fail "control CapBnd $ctl_bnd"
[ "$(fz_status_field "$GW_PID" NoNewPrivs)" = 1 ] || fail "dataplane without no_new_privs"
[ "$(fz_status_field "$CTL_PID" NoNewPrivs)" = 1 ] || fail "control without no_new_privs"
# The token is in neither process's command line nor environment.
for p in $GW_PID $CTL_PID; do
	tr '\0' '\n' <"/proc/$p/cmdline" | grep -q test-token-not-real && fail "token visible in /proc/$p/cmdline"
	tr '\0' '\n' <"/proc/$p/environ" | grep -q test-token-not-real && fail "token visible in /proc/$p/environ"
done
# Control holds no descriptor of the TUN device.
ls -l "/proc/$CTL_PID/fd" | grep -q /dev/net/tun && fail "control holds the TUN descriptor"
ok "uids and capabilities as designed; token not exposed"

# Neither process is dumpable: its private /proc files (environ, mem)
# then belong to root, and its own user cannot read them.
for p in $GW_PID $CTL_PID; do
	[ "$(stat -c %u "/proc/$p/environ")" = 0 ] ||
		fail "/proc/$p/environ belongs to uid $(stat -c %u "/proc/$p/environ"): process $p is dumpable"
done
su -s /bin/sh firezone-control -c "cat /proc/$CTL_PID/environ" >/dev/null 2>&1 &&
	fail "the control user can read control's /proc/$CTL_PID/environ"
ok "control and dataplane are not dumpable; NoNewPrivs 1 in both"

# The state directory was made for the control user, who wrote the ID.
[ "$(stat -c %U "$FZ_TMP/state")" = firezone-control ] || fail "state directory not owned by firezone-control"
# Written as upstream writes it today: {"id":"<uuid v4>"}.
grep -Eq '^\{"id": ?"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"\}$' "$FZ_TMP/state/gateway_id" ||
	fail "no UUID in $FZ_TMP/state/gateway_id"
ok "gateway ID created in the state directory"

# 2. Datagrams reach the dataplane's demultiplexer: STUN is forwarded to
# control, garbage is dropped, and neither process minds.
port=$(grep -o 'reading the IPv4 socket on port [0-9]*' "$FZ_TMP/run1.log" | awk '{print $NF}')
[ -n "$port" ] || fail "no IPv4 port in the log"
ip netns exec "$FZ_NETNS" python3 - "$port" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# STUN Binding request with USERNAME and MESSAGE-INTEGRITY attributes.
attrs = struct.pack("!HH4s", 6, 4, b"ab:c") + struct.pack("!HH20s", 8, 20, b"\0" * 20)
stun = struct.pack("!HHI12s", 1, len(attrs), 0x2112A442, b"0123456789ab") + attrs
s.sendto(stun, ("127.0.0.1", port))
s.sendto(b"\xff" * 100, ("127.0.0.1", port))
s.sendto(b"\x04\0\0\0" + b"\0" * 28, ("127.0.0.1", port))
PY
fz_wait_log "$FZ_TMP/run1.log" "STUN datagram from 127.0.0.1" 5
kill -0 "$GW_PID" && kill -0 "$CTL_PID" || fail "a process died on datagrams"
ok "STUN forwarded to control, other datagrams handled in the dataplane"

# 3. SIGTERM to the dataplane: both exit 0, TUN gone.
kill -TERM "$GW_PID"
fz_wait_gone "$GW_PID" 10 || fail "dataplane did not stop on SIGTERM"
wait "$GW_PID"; rc=$?
[ "$rc" -eq 0 ] || fail "dataplane exit status $rc after SIGTERM"
fz_wait_gone "$CTL_PID" 5 || fail "control still running after the dataplane stopped"
grep -q "control\[$CTL_PID\]: info: stopped (exit 0)" "$FZ_TMP/run1.log" || fail "control did not stop cleanly"
grep -q "counters: udp rx 3, forwarded to control 1" "$FZ_TMP/run1.log" || fail "dataplane counters wrong: $(grep counters "$FZ_TMP/run1.log")"
fz_tun_present && fail "tun-firezone still present after SIGTERM"
ok "SIGTERM: both exit 0, TUN removed"

# 4. SIGINT to control alone: both stop cleanly.
start_pair run2
kill -INT "$CTL_PID"
fz_wait_gone "$GW_PID" 10 || fail "dataplane did not stop after control's SIGINT"
wait "$GW_PID"; rc=$?
[ "$rc" -eq 0 ] || fail "dataplane exit status $rc after control's SIGINT"
fz_tun_present && fail "tun-firezone still present"
ok "SIGINT to control: both exit 0"

# 5. Control killed: the dataplane exits 1 and the TUN is gone.
start_pair run3
kill -KILL "$CTL_PID"
fz_wait_gone "$GW_PID" 10 || fail "dataplane survived the death of control"
wait "$GW_PID"; rc=$?
[ "$rc" -eq 1 ] || fail "dataplane exit status $rc after control was killed, expected 1"
grep -q "control process was killed by signal 9\|control process closed the channel unexpectedly" "$FZ_TMP/run3.log" ||
	fail "no clear log line about control's death"
fz_tun_present && fail "tun-firezone still present after control died"
ok "control killed: dataplane exits 1, TUN removed"

# 6. Dataplane killed: control exits and the TUN is gone.
start_pair run4
kill -KILL "$GW_PID"
fz_wait_gone "$CTL_PID" 10 || fail "control survived the death of the dataplane"
fz_tun_present && fail "tun-firezone still present after the dataplane died"
ok "dataplane killed: control exits, TUN removed"

# 6b. Dataplane killed while control cannot react (stopped): the kernel
# ends control within a second (PR_SET_PDEATHSIG), not control itself.
start_pair run4b
kill -STOP "$CTL_PID"
kill -KILL "$GW_PID"
fz_wait_gone "$CTL_PID" 1 || { kill -KILL "$CTL_PID"; fail "a stopped control survived the death of the dataplane"; }
ok "dataplane killed, control stopped: control gone within 1 s"

# 6c. SIGTERM while control is stopped: the dataplane cannot kill it
# (another user, no CAP_KILL) and must not wait for it: it exits after the
# grace period (3 s), and control goes with it.
start_pair run4c
kill -STOP "$CTL_PID"
start=$(date +%s)
kill -TERM "$GW_PID"
fz_wait_gone "$GW_PID" 5 || { kill -KILL "$CTL_PID" "$GW_PID"; fail "dataplane blocked on a stopped control"; }
wait "$GW_PID"
took=$(( $(date +%s) - start ))
fz_wait_gone "$CTL_PID" 1 || { kill -KILL "$CTL_PID"; fail "stopped control outlived the dataplane"; }
fz_tun_present && fail "tun-firezone still present"
grep -q "control process did not stop within 3 s" "$FZ_TMP/run4c.log" || fail "no log line about the stuck control"
ok "SIGTERM with control stopped: dataplane exits in ${took}s, control gone"

# 6d. Started with stdout closed: nothing else takes descriptor 1 (it is
# /dev/null in both processes), logs go to stderr.
ip netns exec "$FZ_NETNS" "$DP" -u ws://127.0.0.1:9 --state-dir "$FZ_TMP/state" \
	test-token-not-real 2>"$FZ_TMP/run4d.log" >&- &
GW_PID=$!
FZ_PIDS="$FZ_PIDS $GW_PID"
fz_wait_log "$FZ_TMP/run4d.log" "ready: dataplane" 10
CTL_PID=$(fz_control_pid "$GW_PID")
for p in $GW_PID $CTL_PID; do
	[ "$(readlink "/proc/$p/fd/1")" = /dev/null ] || fail "fd 1 of $p is $(readlink "/proc/$p/fd/1"), not /dev/null"
done
kill -TERM "$GW_PID"; wait "$GW_PID"; rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc with stdout closed"
ok "stdout closed at start: fd 1 is /dev/null in both processes, logs on stderr"

# 7. A second instance while one runs: clear error, exit 1, first unharmed.
start_pair run5
ip netns exec "$FZ_NETNS" "$DP" -u ws://127.0.0.1:9 --firezone-id x tok >"$FZ_TMP/second.log" 2>&1; rc=$?
[ "$rc" -eq 1 ] || fail "second instance exit status $rc"
grep -q "tun-firezone: the device is in use" "$FZ_TMP/second.log" || fail "unclear second-instance error: $(cat "$FZ_TMP/second.log")"
kill -0 "$GW_PID" || fail "first instance died"
kill -TERM "$GW_PID"; wait "$GW_PID"
ok "second instance refused"

# 8. Start-up errors are one clear line.
out=$(env -u FIREZONE_TOKEN "$DP" -u ws://127.0.0.1:9 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "missing token: exit $rc"
echo "$out" | grep -q "no token" || fail "missing token message: $out"
out=$("$DP" --bogus 2>&1); rc=$?
[ "$rc" -eq 2 ] || fail "bad option: exit $rc"
out=$(ip netns exec "$FZ_NETNS" "$DP" --dataplane-user no-such-user-fz tok 2>&1); rc=$?
[ "$rc" -eq 1 ] && echo "$out" | grep -q 'user "no-such-user-fz" does not exist' || fail "missing user: $rc $out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$DP" tok 2>&1); rc=$?
[ "$rc" -eq 1 ] && echo "$out" | grep -q "missing capability CAP_NET_ADMIN" || fail "no capability: $rc $out"
"$DP" --version | grep -q '^firezone-gateway ' || fail "--version"
ok "start-up errors"

# 8b. The control program is opened before the privilege drop and run with
# fexecve: it may lie in a directory the control user cannot enter (a clone
# in root's 0700 home), and one the control user could change is refused.
priv=$(mktemp -d /tmp/fz-priv0700.XXXXXX)
chmod 700 "$priv"
cp "$CTL" "$priv/firezone-gateway-control"
chmod 755 "$priv/firezone-gateway-control"
FIREZONE_CONTROL_BIN="$priv/firezone-gateway-control" fz_start_gateway "$FZ_TMP/run0700.log" \
	-u ws://127.0.0.1:9 --state-dir "$FZ_TMP/state" --log-level debug test-token-not-real
fz_wait_log "$FZ_TMP/run0700.log" "said hello" 10 || { rm -rf "$priv"; fail "control in a 0700 directory did not start: $(tail -n 3 "$FZ_TMP/run0700.log")"; }
kill -TERM "$GW_PID"; wait "$GW_PID"; rc=$?
[ "$rc" -eq 0 ] || { rm -rf "$priv"; fail "exit status $rc with control in a 0700 directory"; }
bad_ctl() { # $1 what, $2 expected message
	out=$(ip netns exec "$FZ_NETNS" env FIREZONE_CONTROL_BIN="$priv/firezone-gateway-control" \
		"$DP" -u ws://127.0.0.1:9 --state-dir "$FZ_TMP/state" tok 2>&1); rc=$?
	[ "$rc" -eq 1 ] && echo "$out" | grep -q "$2" || { rm -rf "$priv"; fail "$1: exit $rc, $out"; }
}
chown firezone-control "$priv/firezone-gateway-control"
bad_ctl "control program owned by the control user" "is writable by the control user"
chown root "$priv/firezone-gateway-control"
chmod 757 "$priv/firezone-gateway-control"
bad_ctl "control program writable by everyone" "is writable by the control user"
chmod 750 "$priv/firezone-gateway-control"
bad_ctl "control program not executable by the control user" "is not executable by the control user"
rm -f "$priv/firezone-gateway-control"; mkdir "$priv/firezone-gateway-control"
bad_ctl "control program a directory" "is not a regular file"
rmdir "$priv/firezone-gateway-control"
bad_ctl "control program missing" "cannot open the control program"
rm -rf "$priv"
ok "control started from a 0700 directory (fexecve); unusable control programs refused with one clear line"

# 9. Non-root start with file capabilities (setcap), no user switch.
mkdir -p "$FZ_TMP/bin"
cp "$DP" "$CTL" "$FZ_TMP/bin/"
chmod 755 "$FZ_TMP/bin" "$FZ_TMP/bin/"*
setcap cap_net_admin+eip "$FZ_TMP/bin/firezone-gateway" || fail "setcap failed"
# Many hosts have /dev/net/tun at 0666; where it is 0600 (as in some
# containers) give this run its own 0666 node in a private mount namespace.
tunwrap=""
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r /dev/net/tun -a -w /dev/net/tun; then
	mknod -m 0666 "$FZ_TMP/tun" c 10 200 || fail "mknod of a private tun node failed"
	cat >"$FZ_TMP/tunwrap.sh" <<EOS
mount --bind "$FZ_TMP/tun" /dev/net/tun || exit 99
exec "\$@"
EOS
	tunwrap="unshare -m sh $FZ_TMP/tunwrap.sh"
fi
ip netns exec "$FZ_NETNS" $tunwrap setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env FIREZONE_CONTROL_BIN="$FZ_TMP/bin/firezone-gateway-control" \
	"$FZ_TMP/bin/firezone-gateway" -u ws://127.0.0.1:9 --firezone-id setcap-test tok >"$FZ_TMP/setcap.log" 2>&1 &
GW_PID=$!
FZ_PIDS="$FZ_PIDS $GW_PID"
fz_wait_log "$FZ_TMP/setcap.log" "ready: dataplane" 10
GW_PID=$(pgrep -f "$FZ_TMP/bin/firezone-gateway -u" | head -n 1)
CTL_PID=$(fz_control_pid "$GW_PID")
nobody=$(id -u nobody)
[ "$(fz_status_field "$GW_PID" Uid)" = "$nobody" ] || fail "setcap dataplane uid"
[ "$(fz_status_field "$GW_PID" CapEff)" = "$CAP_NET_ADMIN_MASK" ] || fail "setcap dataplane CapEff $(fz_status_field "$GW_PID" CapEff)"
[ "$(fz_status_field "$CTL_PID" CapEff)" = 0000000000000000 ] || fail "setcap control CapEff"
[ "$(fz_status_field "$CTL_PID" CapPrm)" = 0000000000000000 ] || fail "setcap control CapPrm"
echo "setcap start: dataplane uid $nobody CapEff $(fz_status_field "$GW_PID" CapEff); control CapEff $(fz_status_field "$CTL_PID" CapEff)"
kill -TERM "$GW_PID"; wait "$GW_PID"; rc=$?
[ "$rc" -eq 0 ] || fail "setcap run exit $rc"
ok "non-root start with setcap"
exit 0
