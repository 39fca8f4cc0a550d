# Runs tests/integ/portal_checks.py (the portal conformance suite, spec
# section 6) for one transport; sourced by test_portal_ws.sh and
# test_portal_wss.sh after lib.sh.  The Python driver creates one network
# namespace per scenario (fz-pc<tag>-<pid>) and lists each in
# $FZ_TMP/netns.list; it removes them itself, and the EXIT trap below
# removes whatever is left (by name, and the processes in them by PID).

portal_suite_cleanup() {
	if [ -n "${PC_PID:-}" ] && kill -0 "$PC_PID" 2>/dev/null; then
		kill -TERM "$PC_PID" 2>/dev/null
		fz_wait_gone "$PC_PID" 15 || kill -9 "$PC_PID" 2>/dev/null
	fi
	if [ -f "$FZ_TMP/netns.list" ]; then
		while read -r _ns; do
			case $_ns in fz-pc*-[0-9]*) ;; *) continue ;; esac
			for _p in $(ip netns pids "$_ns" 2>/dev/null); do
				kill -9 "$_p" 2>/dev/null
			done
			ip netns del "$_ns" 2>/dev/null
			rm -rf "/etc/netns/$_ns"
		done <"$FZ_TMP/netns.list"
	fi
	fz_cleanup
}

# portal_suite_run DRIVER [ARGS...]: run tests/integ/DRIVER (a Python
# driver that lists its namespaces in $FZ_PORTAL_NS_LIST), exit with its
# status.
portal_suite_run() {
	trap portal_suite_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	fz_need_root
	/usr/bin/python3 -c 'import websockets' 2>/dev/null ||
		fail "/usr/bin/python3 lacks the websockets module (Debian package python3-websockets)"
	command -v openssl >/dev/null 2>&1 || fail "openssl CLI missing (Debian package openssl)"
	[ -x "$DP" ] && [ -x "$CTL" ] || fail "$DP or $CTL missing: run make first"
	fz_users
	: >"$FZ_TMP/netns.list"
	_drv=$1
	shift
	FZ_PORTAL_NS_LIST="$FZ_TMP/netns.list" /usr/bin/python3 "$FZ_TOP/tests/integ/$_drv" "$@" &
	PC_PID=$!
	wait "$PC_PID"
	_rc=$?
	PC_PID=""
	exit "$_rc"
}

# portal_suite TRANSPORT [ARGS...]: the conformance suite for one transport.
portal_suite() {
	portal_suite_run portal_checks.py --transport "$@"
}
