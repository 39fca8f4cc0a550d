#!/bin/sh
# The seccomp filters: a system call outside the allowlist kills the
# process that made it (SIGSYS, from the kernel) even after it installed a
# SIGSYS handler of its own, the other process follows, the TUN device
# goes; with the filters on, a normal run and a clean stop work (the other
# suites run with them on too).  The probe is a test hook: the installed
# build (build/) must not contain it, so it runs from a test build.
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT
fz_need_root
fz_users
fz_netns sandbox

# The default build has no test hooks at all.
if [ "$FZ_BUILD" = build ]; then
	for f in "$DP" "$CTL"; do
		n=$(strings "$f" | grep -c 'FZ_TEST_MODE\|FIREZONE_SECCOMP')
		[ "$n" -eq 0 ] || fail "$f contains $n test-hook strings (FZ_TEST_MODE, FIREZONE_SECCOMP)"
	done
	ok "build/ binaries contain no test hooks"
fi

# The probe: from the build under test if it has the hooks (build-san,
# build-shorttimers), else from the test build make check makes.
HB="$B"
grep -q FZ_TEST_MODE "$DP" || HB="$FZ_TOP/build-shorttimers"
[ -x "$HB/firezone-gateway" ] && [ -x "$HB/firezone-gateway-control" ] ||
	fail "no test build with the hooks in $HB (make WG_SHORT=1 all)"
grep -q FZ_TEST_MODE "$HB/firezone-gateway" || fail "$HB has no test hooks"

for role in dataplane control; do
	timeout 20 ip netns exec "$FZ_NETNS" env FZ_TEST_MODE="seccomp-probe-$role" \
		FIREZONE_CONTROL_BIN="$HB/firezone-gateway-control" \
		"$HB/firezone-gateway" -u ws://127.0.0.1:9 --firezone-id sb tok >"$FZ_TMP/$role.log" 2>&1
	rc=$?
	grep -q "^$role\[[0-9]*\]: info: sandbox probe: installed a SIGSYS handler of its own" "$FZ_TMP/$role.log" ||
		{ cat "$FZ_TMP/$role.log"; fail "$role probe did not run"; }
	grep -q "sandbox probe: survived" "$FZ_TMP/$role.log" &&
		{ cat "$FZ_TMP/$role.log"; fail "$role survived a forbidden system call after replacing the SIGSYS handler"; }
	if [ "$role" = dataplane ]; then
		# Killed by SIGSYS (31): the shell reports 128 + 31.
		[ "$rc" -eq 159 ] || { cat "$FZ_TMP/$role.log"; fail "$role probe: exit $rc, expected 159 (SIGSYS)"; }
	else
		[ "$rc" -eq 1 ] || { cat "$FZ_TMP/$role.log"; fail "$role probe: exit $rc, expected 1"; }
		grep -q "^dataplane\[[0-9]*\]: error: control process was killed by signal 31 (SIGSYS" "$FZ_TMP/$role.log" ||
			{ cat "$FZ_TMP/$role.log"; fail "$role probe: no clear report"; }
	fi
	fz_tun_present && fail "tun-firezone left after the $role probe"
	sleep 0.5
	[ -z "$(ip netns pids "$FZ_NETNS")" ] || fail "a process outlived the $role probe"
	ok "$role: forbidden system call killed it despite its own SIGSYS handler; both processes gone"
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
