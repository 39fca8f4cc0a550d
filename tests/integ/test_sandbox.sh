#!/bin/sh
# The seccomp filters: a system call outside the allowlist stops the
# process that made it with one clear line and exit status 1, the other
# process follows, the TUN device goes; with the filters on, a normal run
# and a clean stop work (the other suites run with them on too).
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT
fz_need_root
fz_users
fz_netns sandbox

for role in dataplane control; do
	ip netns exec "$FZ_NETNS" env FZ_TEST_MODE="seccomp-probe-$role" \
		"$DP" -u ws://127.0.0.1:9 --firezone-id sb tok >"$FZ_TMP/$role.log" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || { cat "$FZ_TMP/$role.log"; fail "$role probe: exit $rc, expected 1"; }
	grep -q "^$role\[[0-9]*\]: error: sandbox: forbidden system call [0-9]*; stopping" "$FZ_TMP/$role.log" ||
		{ cat "$FZ_TMP/$role.log"; fail "$role probe: no clear report"; }
	fz_tun_present && fail "tun-firezone left after the $role probe"
	ok "$role: forbidden system call trapped, reported, both processes gone"
done

# Filters on: the pair runs and stops cleanly.
fz_start_gateway "$FZ_TMP/run.log" -u ws://127.0.0.1:9 --firezone-id sb tok
fz_wait_log "$FZ_TMP/run.log" "ready: dataplane" 10
[ "$(grep -c 'sandbox: seccomp allowlist active' "$FZ_TMP/run.log")" -eq 2 ] || fail "filters not active in both processes"
[ "$(fz_status_field "$GW_PID" Seccomp)" = 2 ] || fail "dataplane not in seccomp filter mode"
[ "$(fz_status_field "$(fz_control_pid "$GW_PID")" Seccomp)" = 2 ] || fail "control not in seccomp filter mode"
kill -TERM "$GW_PID"
wait "$GW_PID" || fail "exit status $? with the filters on"
ok "filters active in both processes (Seccomp: 2); clean stop"
exit 0
