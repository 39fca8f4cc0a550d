# Shared helpers of the integration tests (sourced, POSIX sh).
# Everything a test creates is named after its PID and removed by name/PID
# in fz_cleanup, which each test installs as an EXIT trap.

FZ_TOP=${FZ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
FZ_BUILD=${FZ_BUILD:-build}
B="$FZ_TOP/$FZ_BUILD"
DP="$B/firezone-gateway"
CTL="$B/firezone-gateway-control"
export FIREZONE_CONTROL_BIN="$CTL"
FZ_NETNS=""
FZ_PIDS=""
FZ_TMP=$(mktemp -d /tmp/fz-integ.XXXXXX)
chmod 755 "$FZ_TMP"

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

fz_need_root() {
	[ "$(id -u)" -eq 0 ] || fail "this test needs root (network namespaces, TUN)"
}

# The two service users of the default configuration.
fz_users() {
	for u in firezone-gateway firezone-control; do
		id "$u" >/dev/null 2>&1 && continue
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$u" || fail "cannot create user $u"
	done
	su -s /bin/sh firezone-control -c "test -x '$CTL'" ||
		fail "$CTL is not executable by the firezone-control user (check the permissions of its directories)"
}

fz_netns() {
	FZ_NETNS="fz-$1-$$"
	ip netns add "$FZ_NETNS" || fail "cannot create netns $FZ_NETNS"
	ip netns exec "$FZ_NETNS" ip link set lo up
}

fz_cleanup() {
	for p in $FZ_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	if [ -n "$FZ_NETNS" ]; then
		# Anything still running inside our namespace, by PID.
		for p in $(ip netns pids "$FZ_NETNS" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$FZ_NETNS" 2>/dev/null
	fi
	rm -rf "$FZ_TMP"
}

# fz_wait_log FILE PATTERN [SECONDS]: wait until FILE contains PATTERN.
fz_wait_log() {
	_n=$(( ${3:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	echo "--- $1 ---"; cat "$1"
	fail "timed out waiting for '$2' in $1"
}

# fz_wait_gone PID [SECONDS]: wait until the process is gone (or dead and
# not yet reaped: a zombie whose parent is an init that reaps slowly).
fz_wait_gone() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		kill -0 "$1" 2>/dev/null || return 0
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# fz_status_field PID FIELD: a field of /proc/PID/status (first column).
fz_status_field() {
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status"
}

fz_tun_present() {
	ip netns exec "$FZ_NETNS" ip link show tun-firezone >/dev/null 2>&1
}

# fz_start_gateway LOG [ARGS...]: start the dataplane in our netns in the
# background; sets GW_PID (the ip-netns-exec'd dataplane itself).
fz_start_gateway() {
	_log=$1
	shift
	ip netns exec "$FZ_NETNS" "$DP" "$@" >"$_log" 2>&1 &
	GW_PID=$!
	FZ_PIDS="$FZ_PIDS $GW_PID"
}

# fz_control_wrapper FILE TOOL MODE: write FILE, a script the dataplane can
# start as its control program (FIREZONE_CONTROL_BIN) that runs the test
# tool TOOL with FZ_TEST_MODE=MODE (no single quotes in TOOL or MODE).
# The installed dataplane passes no FZ_TEST_MODE to control (only the test
# builds do), so the fake controls get their settings this way.
fz_control_wrapper() {
	printf '#!/bin/sh\nFZ_TEST_MODE='"'"'%s'"'"'\nexport FZ_TEST_MODE\nexec '"'"'%s'"'"' "$@"\n' \
		"$3" "$2" >"$1" || fail "cannot write $1"
	chmod 755 "$1"
}

# Control's PID: the child of the dataplane.
fz_control_pid() {
	pgrep -P "$1" -f firezone-gateway-control | head -n 1
}
