#!/bin/sh
# test_netlink.sh - dataplane/netlink.c against the real kernel, in a
# throw-away network namespace (docs/protocol/dataplane.md §1.2-§1.4).
#
# Builds tests/integ/nl_apply_main.c with dataplane/netlink.c and
# common/log.c into $FZ_TMP/nl_apply, runs it in the namespace (it creates
# tun-firezone and reads commands from a FIFO), and checks every step with
# ip: addresses, MTU and link state, one policy rule per family, the routes
# of table 539098368; then init arriving again, a route set that shrinks, a
# bogus link index and a namespace without IPv6.
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT
fz_need_root
command -v cc >/dev/null 2>&1 || fail "cc not found"

TOOL="$FZ_TMP/nl_apply"
# Under make SANITIZE=1 (FZ_BUILD=build-san) the driver gets ASan and UBSan too.
SAN=""
case "$FZ_BUILD" in
*san*) SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" ;;
esac
(cd "$FZ_TOP" && cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wformat=2 -D_GNU_SOURCE -O2 $SAN -Icommon -Idataplane \
	tests/integ/nl_apply_main.c dataplane/netlink.c common/log.c -o "$TOOL") ||
	fail "cannot build nl_apply"
ok "built nl_apply"

fz_netns netlink
ns() { ip netns exec "$FZ_NETNS" "$@"; }
TABLE=539098368
RULE='not from all fwmark 0xfd002021 lookup 539098368'
ALL_OK='rc=0 v4_ok=1 v6_ok=1 link_up=1 routes_ok=1 rules_v4_ok=1 rules_v6_ok=1'

# ---- one long-lived driver -------------------------------------------------
IN="$FZ_TMP/in"
OUT="$FZ_TMP/out"
mkfifo "$IN" || fail "mkfifo"
ns "$TOOL" <"$IN" >"$OUT" 2>&1 &
TOOL_PID=$!
FZ_PIDS="$FZ_PIDS $TOOL_PID"
exec 3>"$IN"
fz_wait_log "$OUT" '^ready ifindex='

# cmd LINE: send one command, wait for its result line, store it in $RES.
cmd() {
	_before=$(grep -c '^\(apply\|routes\|ifindex\|error\) ' "$OUT")
	echo "$1" >&3
	_n=100
	while [ "$(grep -c '^\(apply\|routes\|ifindex\|error\) ' "$OUT")" -le "$_before" ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || { cat "$OUT"; fail "no answer to '$1' within 10 s"; }
		kill -0 "$TOOL_PID" 2>/dev/null || { cat "$OUT"; fail "nl_apply died on '$1'"; }
		sleep 0.1
	done
	RES=$(grep '^\(apply\|routes\|ifindex\|error\) ' "$OUT" | tail -n 1)
}

expect_res() {
	[ "$RES" = "$1" ] || { cat "$OUT"; fail "result '$RES', expected '$1'"; }
}

# count PATTERN TEXT: number of lines of TEXT matching the fixed string.
count() {
	printf '%s\n' "$2" | grep -c -F -- "$1"
}

# The device as a whole: exactly these global addresses, MTU 1280, up.
check_iface() {
	_a=$(ns ip -d addr show dev tun-firezone) || fail "tun-firezone is gone"
	_n4=$(printf '%s\n' "$_a" | grep -c ' inet ')
	_n6=$(printf '%s\n' "$_a" | grep ' inet6 ' | grep -c -v 'scope link')
	if [ -n "$1" ]; then
		[ "$_n4" -eq 1 ] && [ "$(count " inet $1/32 scope global tun-firezone" "$_a")" -eq 1 ] ||
			{ echo "$_a"; fail "IPv4 addresses are not exactly $1/32"; }
	else
		[ "$_n4" -eq 0 ] || { echo "$_a"; fail "IPv4 addresses left on the link"; }
	fi
	if [ -n "$2" ]; then
		[ "$_n6" -eq 1 ] && [ "$(count " inet6 $2/128 scope global" "$_a")" -eq 1 ] ||
			{ echo "$_a"; fail "IPv6 addresses are not exactly $2/128"; }
	else
		[ "$_n6" -eq 0 ] || { echo "$_a"; fail "IPv6 addresses left on the link"; }
	fi
	_l=$(ns ip -o link show dev tun-firezone)
	printf '%s\n' "$_l" | grep -q ' mtu 1280 ' || fail "MTU is not 1280: $_l"
	printf '%s\n' "$_l" | grep -Eq '<([^>]*,)?UP(,[^>]*)?>' || fail "link is not up: $_l"
}

# One rule per family, protocol kernel, below main.
check_rules() {
	for _f in 4 6; do
		_r=$(ns ip -"$_f" -d rule show)
		[ "$(count "$RULE proto kernel" "$_r")" -eq 1 ] ||
			{ echo "$_r"; fail "IPv$_f: not exactly one Firezone policy rule"; }
		_p=$(printf '%s\n' "$_r" | grep -F "$RULE" | cut -d: -f1)
		[ "$_p" -gt 0 ] && [ "$_p" -lt 32766 ] ||
			{ echo "$_r"; fail "IPv$_f: rule priority $_p is not before main"; }
	done
}

# Table 539098368 holds exactly the two Firezone routes (and $1 if given).
check_routes() {
	_r4=$(ns ip -d route show table $TABLE)
	_r6=$(ns ip -6 -d route show table $TABLE)
	[ "$(count "unicast 100.64.0.0/11 dev tun-firezone proto static scope global" "$_r4")" -eq 1 ] ||
		{ echo "$_r4"; fail "IPv4 route 100.64.0.0/11 missing or wrong"; }
	[ "$(count "unicast fd00:2021:1111::/107 dev tun-firezone proto static scope global" "$_r6")" -eq 1 ] ||
		{ echo "$_r6"; fail "IPv6 route fd00:2021:1111::/107 missing or wrong"; }
	_want4=1
	if [ -n "$1" ]; then
		_want4=2
		[ "$(count "unicast $1 dev tun-firezone proto static scope global" "$_r4")" -eq 1 ] ||
			{ echo "$_r4"; fail "extra route $1 missing"; }
	fi
	[ "$(printf '%s\n' "$_r4" | grep -c .)" -eq "$_want4" ] || { echo "$_r4"; fail "unexpected IPv4 routes"; }
	[ "$(printf '%s\n' "$_r6" | grep -c .)" -eq 1 ] || { echo "$_r6"; fail "unexpected IPv6 routes"; }
}

# ---- §1.2 and §1.3: the first init --------------------------------------------
cmd "apply 100.64.0.5 fd00:2021:1111::5"
expect_res "apply $ALL_OK"
check_iface 100.64.0.5 fd00:2021:1111::5
check_rules
check_routes
ok "first init: /32 and /128 on tun-firezone, MTU 1280, up, one rule per family, two routes"

# The unprivileged route from an unmarked socket goes through the tunnel.
ns ip route get 100.64.0.77 | grep -q 'dev tun-firezone table 539098368' ||
	fail "100.64.0.77 is not routed into the tunnel: $(ns ip route get 100.64.0.77)"
ns ip route get 100.64.0.77 mark 0xfd002021 2>/dev/null | grep -q 'tun-firezone' &&
	fail "marked traffic still uses the Firezone table"
ok "unmarked traffic to 100.64.0.0/11 uses table $TABLE, marked traffic does not"

# ---- §1.4: init arriving again with other addresses ----------------------------
cmd "apply 100.64.0.6 fd00:2021:1111::6"
expect_res "apply $ALL_OK"
check_iface 100.64.0.6 fd00:2021:1111::6
check_rules
check_routes
grep -q 'IPv4 policy rule already present' "$OUT" || fail "the IPv4 rule was not found in the rule list"
ok "second init: old addresses gone, new ones present, rules not duplicated, routes once"

cmd "apply 100.64.0.6 fd00:2021:1111::6"
expect_res "apply $ALL_OK"
check_iface 100.64.0.6 fd00:2021:1111::6
check_rules
check_routes
ok "same init again: nothing duplicated"

# ---- §1.3: routes added earlier that are not in the new set go away ------------
cmd "routes 100.64.0.0/11 fd00:2021:1111::/107 10.99.0.0/16"
expect_res "routes rc=0"
check_routes 10.99.0.0/16
cmd "apply 100.64.0.6 fd00:2021:1111::6"
expect_res "apply $ALL_OK"
check_routes
ok "a route added earlier and not in the set was deleted"

# A route deleted behind our back is added again.
ns ip -6 route del fd00:2021:1111::/107 table $TABLE || fail "cannot delete the IPv6 route"
cmd "apply 100.64.0.6 fd00:2021:1111::6"
expect_res "apply $ALL_OK"
check_routes
ok "a missing route is added again"

# Only an IPv4 address: the IPv6 one is flushed, no IPv6 address added.
cmd "apply 100.64.0.8 -"
expect_res "apply rc=0 v4_ok=1 v6_ok=0 link_up=1 routes_ok=1 rules_v4_ok=1 rules_v6_ok=0"
check_iface 100.64.0.8 ""
check_rules
ok "IPv4 only: the IPv6 address is gone"

# An address the kernel refuses (IPv6 multicast) fails alone (§1.2 step 7).
cmd "apply 100.64.0.9 ff02::1"
expect_res "apply rc=0 v4_ok=1 v6_ok=0 link_up=1 routes_ok=1 rules_v4_ok=1 rules_v6_ok=0"
check_iface 100.64.0.9 ""
ok "an address the kernel refuses fails alone"

# Closing stdin ends the driver; the non-persistent device goes with it.
exec 3>&-
fz_wait_gone "$TOOL_PID" 10 || fail "nl_apply did not exit when stdin closed"
wait "$TOOL_PID" || fail "nl_apply exited with an error"
ns ip link show tun-firezone >/dev/null 2>&1 && fail "tun-firezone outlived its process"
ok "driver exited; tun-firezone and its routes are gone"

# ---- a bogus link index: a clean failure, quickly ------------------------------
start=$(date +%s)
printf 'ifindex 999999\napply 100.64.0.5 fd00:2021:1111::5\n' |
	timeout 30 ip netns exec "$FZ_NETNS" "$TOOL" >"$FZ_TMP/bogus" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" -eq 0 ] || { cat "$FZ_TMP/bogus"; fail "bogus ifindex: exit status $rc"; }
grep -qx 'apply rc=-1 v4_ok=0 v6_ok=0 link_up=0 routes_ok=0 rules_v4_ok=0 rules_v6_ok=0' \
	"$FZ_TMP/bogus" || { cat "$FZ_TMP/bogus"; fail "bogus ifindex: unexpected result"; }
grep -q 'cannot set the MTU: No such device' "$FZ_TMP/bogus" ||
	{ cat "$FZ_TMP/bogus"; fail "bogus ifindex: the failure was not logged with its reason"; }
[ "$took" -lt 10 ] || fail "bogus ifindex took ${took}s"
[ -z "$(ns ip route show table $TABLE)" ] || fail "routes appeared for a bogus link"
check_rules
ok "bogus ifindex: rc=-1, nothing applied, reasons logged, ${took}s"

# ---- as the dataplane runs: another user, CAP_NET_ADMIN only -------------------
printf 'apply 100.64.0.5 fd00:2021:1111::5\napply 100.64.0.6 fd00:2021:1111::6\n' |
	NL_APPLY_UID=65534 timeout 30 ip netns exec "$FZ_NETNS" "$TOOL" >"$FZ_TMP/drop" 2>&1 ||
	{ cat "$FZ_TMP/drop"; fail "CAP_NET_ADMIN only: nl_apply failed"; }
grep -qx 'dropped uid=65534 capeff=0000000000001000' "$FZ_TMP/drop" ||
	{ cat "$FZ_TMP/drop"; fail "CAP_NET_ADMIN only: the driver did not drop as asked"; }
[ "$(grep -c -x "apply $ALL_OK" "$FZ_TMP/drop")" -eq 2 ] ||
	{ cat "$FZ_TMP/drop"; fail "CAP_NET_ADMIN only: unexpected results"; }
check_rules
ok "uid 65534 with only CAP_NET_ADMIN (socket opened before the drop): applied twice"

# ---- IPv6 disabled in the namespace: IPv4 still applied -------------------------
ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
	fail "cannot disable IPv6 in the namespace"
printf 'apply 100.64.0.5 fd00:2021:1111::5\n' |
	timeout 30 ip netns exec "$FZ_NETNS" "$TOOL" >"$FZ_TMP/nov6" 2>&1 ||
	{ cat "$FZ_TMP/nov6"; fail "no IPv6: nl_apply failed"; }
grep -qx 'apply rc=0 v4_ok=1 v6_ok=0 link_up=1 routes_ok=0 rules_v4_ok=1 rules_v6_ok=0' \
	"$FZ_TMP/nov6" || { cat "$FZ_TMP/nov6"; fail "no IPv6: unexpected result"; }
ok "IPv6 disabled: IPv4 applied, IPv6 reported failed"

echo "test_netlink: all passed"
exit 0
