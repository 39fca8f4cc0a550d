#!/bin/sh
# Today's portal messages (issue 15): create_authorization, init with
# authorizations, no_relays, set_snownet_capabilities, relay keep-alive,
# access_authorization_expiry_updated (tests/integ/portal_today_msgs.py).
# About 100 s (it watches two 25 s relay keep-alives).
. "$(dirname "$0")/lib.sh"

today_cleanup() {
	if [ -n "${PT_PID:-}" ] && kill -0 "$PT_PID" 2>/dev/null; then
		kill -TERM "$PT_PID" 2>/dev/null
		fz_wait_gone "$PT_PID" 15 || kill -9 "$PT_PID" 2>/dev/null
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

trap today_cleanup EXIT
trap 'exit 1' INT TERM HUP
fz_need_root
/usr/bin/python3 -c 'import websockets' 2>/dev/null ||
	fail "/usr/bin/python3 lacks the websockets module (Debian package python3-websockets)"
command -v turnserver >/dev/null 2>&1 || fail "coturn (turnserver) missing (Debian package coturn)"
[ -x "$DP" ] && [ -x "$CTL" ] || fail "$DP or $CTL missing: run make first"
fz_users
: >"$FZ_TMP/netns.list"
FZ_PORTAL_NS_LIST="$FZ_TMP/netns.list" /usr/bin/python3 "$FZ_TOP/tests/integ/portal_today_msgs.py" "$@" &
PT_PID=$!
wait "$PT_PID"
_rc=$?
PT_PID=""
exit "$_rc"
