#!/bin/sh
# make demo: bring the gateway's two processes up in a throw-away network
# namespace, show what each one is and holds, send it a few datagrams, and
# stop it.  No portal is contacted at this stage of the project: the API
# URL points at a closed port on the namespace's own loopback.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B="$top/${FZ_BUILD:-build}"
DP="$B/firezone-gateway"
export FIREZONE_CONTROL_BIN="$B/firezone-gateway-control"
ns="fz-demo-$$"
log=$(mktemp /tmp/fz-demo.XXXXXX)
gw=""

say() { printf '\n== %s\n' "$*"; }
cleanup() {
	[ -n "$gw" ] && kill -9 "$gw" 2>/dev/null
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -f "$log"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (it creates a network namespace)"; exit 1; }
for u in firezone-gateway firezone-control; do
	id "$u" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$u" || exit 1
done

say "Creating a throw-away network namespace $ns"
ip netns add "$ns" && ip netns exec "$ns" ip link set lo up || exit 1

say "Starting firezone-gateway as root; it creates tun-firezone, starts control and drops privileges"
ip netns exec "$ns" "$DP" --api-url ws://127.0.0.1:9 --firezone-name demo-gateway --firezone-id demo-gateway-id --log-level debug demo-token >"$log" 2>&1 &
gw=$!
i=0
until grep -q "ready: dataplane" "$log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { cat "$log"; echo "the gateway did not come up"; exit 1; }
	sleep 0.1
done
sed 's/^/   | /' "$log"
ctl=$(pgrep -P "$gw" -f firezone-gateway-control | head -n 1)

say "The two processes, as the kernel sees them"
for p in $gw $ctl; do
	name=$(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-40)
	user=$(ps -o user= -p "$p")
	eff=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$p/status")
	printf '   pid %-7s user %-18s CapEff %s  %s\n' "$p" "$user" "$eff" "$name"
done
echo "   (CapEff 0000000000001000 is CAP_NET_ADMIN alone; control holds nothing)"

say "The TUN device the dataplane owns"
ip netns exec "$ns" ip -d link show tun-firezone | sed 's/^/   | /'

say "Sending three datagrams to the gateway's UDP port: STUN, WireGuard-shaped, garbage"
port=$(grep -o 'reading the IPv4 socket on port [0-9]*' "$log" | awk '{print $NF}')
ip netns exec "$ns" python3 - "$port" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attrs = struct.pack("!HH4s", 6, 4, b"ab:c") + struct.pack("!HH20s", 8, 20, b"\0" * 20)
s.sendto(struct.pack("!HHI12s", 1, len(attrs), 0x2112A442, b"demo-txn-id!") + attrs, ("127.0.0.1", port))
s.sendto(b"\x04\0\0\0" + b"\0" * 28, ("127.0.0.1", port))
s.sendto(b"hello, gateway", ("127.0.0.1", port))
PY
sleep 0.5
echo "   The dataplane read all three; it handed the STUN one to control and kept the rest
   (the counters below, printed at exit, show where each went):"
grep "STUN datagram" "$log" | sed 's/^/   | /'

say "Stopping with SIGTERM (what systemd does)"
kill -TERM "$gw"
wait "$gw"
rc=$?
gw=""
sed -n '/stopping/,$p' "$log" | sed 's/^/   | /'
echo "   exit status: $rc"
if ip netns exec "$ns" ip link show tun-firezone >/dev/null 2>&1; then
	echo "   tun-firezone is still there: something is wrong"; exit 1
fi
echo "   tun-firezone is gone with the process."

say "Done. The portal session, ICE/TURN and WireGuard forwarding arrive in later milestones."
exit "$rc"
