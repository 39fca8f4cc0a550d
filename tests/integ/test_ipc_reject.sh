#!/bin/sh
# Every rejection of the IPC validation table ends the receiving process
# with exit status 1 and a clear log line, in both directions.
# Then a compromised control (issue 19) against the dataplane: forbidden
# interface, peer and proxy addresses stop it (and never reach the host);
# a peer with another peer's tunnel address and descriptors that are no UDP
# socket are refused while it goes on, still answers and stops cleanly, and
# so is one entry too many in each table control fills.
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

# ---- issue 19: a compromised control -------------------------------------
# Addresses the cases try to place; none may ever be on the namespace's links.
FORBIDDEN="192.168.1.1 2001:db8::1 192.168.1.5 172.31.201.99"
forbidden_present() {
	_a=$(ip -n "$FZ_NETNS" addr show 2>/dev/null)
	for _f in $FORBIDDEN; do
		echo "$_a" | grep -Eq "inet6? $_f/" && { echo "$_f"; return 0; }
	done
	return 1
}

# start_fake CASE LOG: the dataplane with ipc_peer as its control; sets DPID.
start_fake() {
	ip netns exec "$FZ_NETNS" env FIREZONE_CONTROL_BIN="$PEER" FZ_TEST_MODE="$1" \
		"$DP" -u ws://127.0.0.1:9 tok >"$2" 2>&1 &
	DPID=$!
	FZ_PIDS="$FZ_PIDS $DPID"
}

# watch_addrs SECONDS PATTERN LOG: poll the namespace's addresses while the
# dataplane runs, until it exits or PATTERN shows in LOG; fail on a
# forbidden address.
watch_addrs() {
	_n=$(( $1 * 10 ))
	while [ "$_n" -gt 0 ] && kill -0 "$DPID" 2>/dev/null; do
		if _f=$(forbidden_present); then
			cat "$3"; fail "the host got the forbidden address $_f"
		fi
		[ -n "$2" ] && grep -Eq "$2" "$3" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 0
}

# Protocol violations: the dataplane stops with exit 1 and a clear line.
for c in iface-v4-outside iface-v6-outside peer-outside dns-proxy-outside; do
	log="$FZ_TMP/$c.log"
	start_fake "$c" "$log"
	watch_addrs 8 "" "$log"
	if kill -0 "$DPID" 2>/dev/null; then
		kill -9 "$DPID"; cat "$log"; fail "the dataplane kept running after '$c'"
	fi
	wait "$DPID"; rc=$?
	[ "$rc" -eq 1 ] || { cat "$log"; fail "dataplane exit $rc on '$c'"; }
	grep -q "invalid message from control: invalid field in payload" "$log" ||
		{ cat "$log"; fail "no clear line for '$c'"; }
	case $c in
	iface-v4-outside) line="refused interface address 192.168.1.1" ;;
	iface-v6-outside) line="refused interface address 2001:db8::1" ;;
	peer-outside) line="refused peer tunnel address 192.168.1.5" ;;
	*) line="refused DNS proxy IP 172.31.201.99" ;;
	esac
	grep -q "ipc: $line" "$log" || { cat "$log"; fail "the log does not name the address of '$c'"; }
	grep -q "ipc_peer: FAIL" "$log" && { cat "$log"; fail "'$c' was taken"; }
	_f=$(forbidden_present) && fail "the host got the forbidden address $_f"
	fz_tun_present && fail "tun-firezone left behind after '$c'"
	ok "dataplane stops on $c; the address never reached the host"
done

# Refusals: the dataplane goes on, answers good messages, stops cleanly.
ip netns exec "$FZ_NETNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
	fail "cannot allow ICMP datagram sockets in the namespace"
for c in peer-duplicate caps fd-tcp fd-unix fd-pipe fd-file fd-mapped fd-ping fd-udplite fd-limit; do
	log="$FZ_TMP/$c.log"
	start_fake "$c" "$log"
	watch_addrs 20 "ipc_peer: (PASS|FAIL|SKIP) $c" "$log"
	grep -Eq "ipc_peer: (PASS|SKIP) $c" "$log" || { cat "$log"; fail "$c"; }
	if grep -q "ipc_peer: SKIP $c" "$log"; then
		kill -TERM "$DPID"; wait "$DPID"
		echo "skip: $c ($(sed -n "s/.*ipc_peer: SKIP $c: //p" "$log"))"
		continue
	fi
	ip -n "$FZ_NETNS" addr show dev tun-firezone | grep -q "inet 100.64.0.1/32" ||
		{ cat "$log"; fail "the good interface address is missing after '$c'"; }
	case $c in
	peer-duplicate) line="peer 2 refused: its tunnel address belongs to peer 1" ;;
	caps) line="grant refused: 256 resources is the limit" ;;
	fd-limit) line="refusing a (third UDP|second IPv4) socket" ;;
	*) line="control sent a descriptor that is not an IPv4 UDP socket" ;;
	esac
	grep -Eq "$line" "$log" || { cat "$log"; fail "no clear line for '$c'"; }
	kill -TERM "$DPID"
	wait "$DPID"; rc=$?
	[ "$rc" -eq 0 ] || { cat "$log"; fail "dataplane exit $rc after '$c'"; }
	fz_tun_present && fail "tun-firezone left behind after '$c'"
	ok "dataplane refuses $c, goes on and stops cleanly"
done
exit 0
