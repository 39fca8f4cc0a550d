# Helpers of the WireGuard integration tests (sourced after lib.sh, POSIX sh).
#
# Topology made by wg_topology (every name carries the test's PID):
#
#   client ns                gateway ns (FZ_NETNS)               resource ns
#   wireguard-go $WG_IF      firezone-gateway + wg_driver
#   100.64.0.2, fd00:2021:1111::2 (tunnel)
#   up0 192.0.2.2/24  <----> cl0 192.0.2.1/24
#       2001:db8:c1::2/64        2001:db8:c1::1/64
#                                res0 10.99.0.1/24   <---->  gw0 10.99.0.2/24
#                                     fd00:99::1/64              fd00:99::2/64
#
# The client reaches 10.99.0.0/24 and fd00:99::/64 only through $WG_IF; the
# resource's default routes point at the gateway, which forwards.

[ -n "$FZ_TMP" ] && [ -d "$FZ_TMP" ] || { echo "FAIL: wg_lib.sh needs lib.sh sourced first"; exit 1; }
WG_DRIVER="$B/tests/tools/wg_driver"
WG_CL="fz-wgcl-$$"
WG_RES="fz-wgres-$$"
WG_IF="wgfz$$"
WG_NS_EXTRA=""
WG_CL_PORT=51821
WG_GW_PORT=51820
WG_CL_ADDR=192.0.2.2
WG_GW_ADDR=192.0.2.1
WG_CL_ADDR6=2001:db8:c1::2
WG_GW_ADDR6=2001:db8:c1::1
WG_GO_PID=""
WG_GW_PID=""
WG_CUR_GWPUB=""
WG_GW_ENV=""        # extra VAR=value words for the gateway's environment
WGD="$FZ_TMP/wg"
WG_PY="$FZ_TMP/wg_helper.py"

wg_cleanup() {
	for p in $WG_GW_PID $WG_GO_PID; do
		kill -9 "$p" 2>/dev/null
	done
	for ns in $WG_NS_EXTRA; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$WG_IF.sock"
	fz_cleanup
}

# in NS CMD...: run a command in a namespace.
in_ns() {
	_ns=$1
	shift
	ip netns exec "$_ns" "$@"
}

wg_extra_netns() {
	ip netns add "$1" || fail "cannot create netns $1"
	WG_NS_EXTRA="$WG_NS_EXTRA $1"
	ip -n "$1" link set lo up
}

wg_topology() {
	fz_netns wggw
	WG_GW=$FZ_NETNS
	wg_extra_netns "$WG_CL"
	wg_extra_netns "$WG_RES"
	mkdir -p "$WGD"
	chmod 0777 "$WGD"

	in_ns "$WG_GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 ||
		fail "sysctls in $WG_GW"
	ip -n "$WG_GW" link add cl0 type veth peer name up0 netns "$WG_CL" || fail "veth client"
	ip -n "$WG_GW" link add res0 type veth peer name gw0 netns "$WG_RES" || fail "veth resource"
	ip -n "$WG_GW" addr add "$WG_GW_ADDR/24" dev cl0
	ip -n "$WG_GW" addr add "$WG_GW_ADDR6/64" dev cl0 nodad
	ip -n "$WG_GW" addr add 10.99.0.1/24 dev res0
	ip -n "$WG_GW" addr add fd00:99::1/64 dev res0 nodad
	ip -n "$WG_GW" link set cl0 up
	ip -n "$WG_GW" link set res0 up
	ip -n "$WG_CL" addr add "$WG_CL_ADDR/24" dev up0
	ip -n "$WG_CL" addr add "$WG_CL_ADDR6/64" dev up0 nodad
	ip -n "$WG_CL" link set up0 up
	ip -n "$WG_RES" addr add 10.99.0.2/24 dev gw0
	ip -n "$WG_RES" addr add fd00:99::2/64 dev gw0 nodad
	ip -n "$WG_RES" link set gw0 up
	ip -n "$WG_RES" route add default via 10.99.0.1 || fail "resource v4 default route"
	ip -n "$WG_RES" -6 route add default via fd00:99::1 || fail "resource v6 default route"
	in_ns "$WG_CL" python3 "$WG_PY" ping "$WG_GW_ADDR" 1 0.1 3 >/dev/null ||
		fail "no underlay connectivity client -> gateway"
	in_ns "$WG_GW" python3 "$WG_PY" ping 10.99.0.2 1 0.1 3 >/dev/null ||
		fail "no connectivity gateway -> resource"
}

# wireguard-go in the client namespace, in the foreground (its PID is ours).
wg_client_start() {
	command -v wireguard-go >/dev/null || fail "wireguard-go missing (contrib/deps.sh test)"
	command -v wg >/dev/null || fail "wg (wireguard-tools) missing (contrib/deps.sh test)"
	ip netns exec "$WG_CL" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go "$WG_IF" \
		>"$FZ_TMP/wireguard-go.log" 2>&1 &
	WG_GO_PID=$!
	_n=50
	until in_ns "$WG_CL" wg show "$WG_IF" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$WG_GO_PID" 2>/dev/null ||
			{ cat "$FZ_TMP/wireguard-go.log"; fail "wireguard-go did not come up"; }
		sleep 0.1
	done
	in_ns "$WG_CL" wg set "$WG_IF" private-key "$WGD/client.key" listen-port "$WG_CL_PORT" ||
		fail "wg set private-key"
	ip -n "$WG_CL" addr add 100.64.0.2/32 dev "$WG_IF"
	ip -n "$WG_CL" addr add fd00:2021:1111::2/128 dev "$WG_IF" nodad
	ip -n "$WG_CL" link set "$WG_IF" mtu 1280 up || fail "wireguard-go link up"
	for r in 100.64.0.0/11 10.99.0.0/24; do
		ip -n "$WG_CL" route add "$r" dev "$WG_IF" || fail "client route $r"
	done
	for r in fd00:2021:1111::/107 fd00:99::/64; do
		ip -n "$WG_CL" -6 route add "$r" dev "$WG_IF" || fail "client route $r"
	done
}

# wg_client_key FILE: the client's private key (fresh peer state).
wg_client_key() {
	in_ns "$WG_CL" wg set "$WG_IF" private-key "$1" || fail "wg set private-key $1"
}

# wg_client_peer GWPUB ENDPOINT PSKFILE|- KEEPALIVE: replace the client's
# only peer (the gateway), so every run starts without a session.
wg_client_peer() {
	if [ -n "$WG_CUR_GWPUB" ]; then
		in_ns "$WG_CL" wg set "$WG_IF" peer "$WG_CUR_GWPUB" remove 2>/dev/null
	fi
	WG_CUR_GWPUB=$1
	_psk=""
	[ "$3" != - ] && _psk="preshared-key $3"
	# shellcheck disable=SC2086
	in_ns "$WG_CL" wg set "$WG_IF" peer "$1" endpoint "$2" \
		allowed-ips 100.64.0.0/11,fd00:2021:1111::/107,10.99.0.0/24,fd00:99::/64 \
		persistent-keepalive "$4" $_psk || fail "wg set peer"
}

# wg_gw_start RUN BIN CONFIG-LINES...: start firezone-gateway in the
# gateway namespace with wg_driver as control, configured by the file
# $WGD/RUN.conf (the wrapper $WGD/RUN.ctl names it in FZ_TEST_MODE); waits for the driver's info file
# and sets WG_GW_PID, WG_GW_LOG, WG_GWPUB, WG_GWPORT6, WG_CMD.
wg_gw_start() {
	_run=$1
	_bin=$2
	shift 2
	WG_GW_LOG="$FZ_TMP/$_run.log"
	WG_CMD="$WGD/$_run.cmd"
	rm -f "$WGD/$_run.info" "$WG_CMD"
	mkfifo -m 0666 "$WG_CMD" || fail "mkfifo"
	{
		echo "out=$WGD/$_run.info"
		echo "cmd=$WG_CMD"
		echo "port=$WG_GW_PORT"
		for l in "$@"; do
			echo "$l"
		done
	} >"$WGD/$_run.conf"
	chmod 0644 "$WGD/$_run.conf"
	fz_control_wrapper "$WGD/$_run.ctl" "$WG_DRIVER" "$WGD/$_run.conf"
	# shellcheck disable=SC2086
	ip netns exec "$WG_GW" env $WG_GW_ENV FIREZONE_CONTROL_BIN="$WGD/$_run.ctl" \
		"$_bin" -u ws://127.0.0.1:9 --firezone-id wg-interop --log-level debug \
		test-token-not-real >"$WG_GW_LOG" 2>&1 &
	WG_GW_PID=$!
	_n=100
	until [ -s "$WGD/$_run.info" ]; do
		_n=$((_n - 1))
		if [ "$_n" -le 0 ] || ! kill -0 "$WG_GW_PID" 2>/dev/null; then
			echo "--- $WG_GW_LOG ---"
			cat "$WG_GW_LOG"
			fail "$_run: the gateway and wg_driver did not start"
		fi
		sleep 0.1
	done
	WG_GWPUB=$(sed -n 's/^pubkey=//p' "$WGD/$_run.info")
	WG_GWPORT6=$(sed -n 's/^port6=//p' "$WGD/$_run.info")
	[ "$(sed -n 's/^port=//p' "$WGD/$_run.info")" = "$WG_GW_PORT" ] || fail "$_run: wrong IPv4 port in the info file"
	[ "${#WG_GWPUB}" -eq 44 ] || fail "$_run: no gateway public key in the info file"
}

# wg_gw_stop: SIGTERM, wait; sets WG_GW_RC.
wg_gw_stop() {
	[ -n "$WG_GW_PID" ] || return 0
	kill -TERM "$WG_GW_PID" 2>/dev/null
	fz_wait_gone "$WG_GW_PID" 10 || kill -9 "$WG_GW_PID" 2>/dev/null
	wait "$WG_GW_PID"
	WG_GW_RC=$?
	WG_GW_PID=""
}

# wg_cmd LINE: a command to the running driver through its FIFO.
wg_cmd() {
	timeout 3 sh -c 'printf "%s\n" "$1" >"$2"' sh "$1" "$WG_CMD" || fail "cannot send '$1' to wg_driver"
}

# wg_handshakes [LOG]: number of handshake events the driver reported.
wg_handshakes() {
	grep -c '^wg_driver: peer 1 event handshake' "${1:-$WG_GW_LOG}"
}

# wg_ping NS DST COUNT INTERVAL DEADLINE [STOPFILE]: prints
# "sent=N received=M unreachable=U"; exit 0 iff all COUNT replies came.
wg_ping() {
	_ns=$1
	shift
	in_ns "$_ns" python3 "$WG_PY" ping "$@"
}

# Field of "k=v k=v" output: wg_field LINE KEY
wg_field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wg_wait_port NS PORT: wait until a TCP socket listens on PORT in NS (read
# from /proc/net/tcp{,6}: ss needs sock_diag, which not every kernel has).
wg_wait_port() {
	_n=50
	_hex=$(printf '%04X' "$2")
	until in_ns "$1" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p=":$_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }'; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# The helper program: ICMP echo without iputils, TCP transfers with SHA-256,
# iperf3 JSON summaries.
cat >"$WG_PY" <<'PY'
import hashlib, json, os, select, socket, struct, sys, time

def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ping(dst, count, interval, deadline, stop=None):
    count, interval, deadline = int(count), float(interval), float(deadline)
    f = fam(dst)
    v6 = f == socket.AF_INET6
    s = socket.socket(f, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    want = socket.inet_pton(f, dst)
    ident = os.getpid() & 0xFFFF
    sent, got, unreach = 0, set(), 0
    start = time.monotonic()
    end, next_send, stopped_at = start + deadline, start, None
    while True:
        now = time.monotonic()
        if now >= end or len(got) >= count:
            break
        if stop and stopped_at is None and os.path.exists(stop):
            stopped_at = now
            end = min(end, now + 1.0)   # collect the last replies
        if stopped_at is None and sent < count and now >= next_send:
            seq = sent & 0xFFFF
            body = struct.pack("!d", now) + b"fz-wg-interop".ljust(48, b".")
            t = 128 if v6 else 8
            hdr = struct.pack("!BBHHH", t, 0, 0, ident, seq)
            if not v6:
                hdr = struct.pack("!BBHHH", t, 0, csum(hdr + body), ident, seq)
            try:
                s.sendto(hdr + body, (dst, 0))
            except OSError:
                pass
            sent += 1
            next_send += interval
        wake = end if (sent >= count or stopped_at is not None) else min(end, next_send)
        r, _, _ = select.select([s], [], [], max(0.0, min(wake - time.monotonic(), 0.2)))
        if not r:
            continue
        data, addr = s.recvfrom(4096)
        icmp = data if v6 else data[(data[0] & 0xF) * 4:]
        if len(icmp) < 8:
            continue
        if icmp[0] == (129 if v6 else 0):
            rid, rseq = struct.unpack("!HH", icmp[4:8])
            if rid == ident and socket.inet_pton(f, addr[0].split("%")[0]) == want:
                got.add(rseq)
        elif icmp[0] == (1 if v6 else 3):
            # Only errors quoting one of our echo requests.
            q = icmp[8:]
            q = q[40:] if v6 else q[(q[0] & 0xF) * 4:] if q else b""
            if len(q) >= 8 and struct.unpack("!H", q[4:6])[0] == ident:
                unreach += 1
    print("sent=%d received=%d unreachable=%d" % (sent, len(got), unreach))
    return 0 if len(got) >= count or (stop and got and len(got) == sent) else 1

def connect(host, port, deadline=10.0):
    end = time.monotonic() + deadline
    while True:
        c = socket.socket(fam(host), socket.SOCK_STREAM)
        c.settimeout(3)
        try:
            c.connect((host, int(port)))
            c.settimeout(15)
            return c
        except OSError:
            c.close()
            if time.monotonic() >= end:
                raise
            time.sleep(0.1)

def listen(host, port):
    l = socket.socket(fam(host), socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((host, int(port)))
    l.listen(1)
    l.settimeout(20)
    c, _ = l.accept()
    c.settimeout(15)
    return c

def drain(c):
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    return "sha256=%s bytes=%d" % (h.hexdigest(), n)

def send_file(c, path):
    with open(path, "rb") as f:
        data = f.read()
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.settimeout(15)
    while c.recv(65536):
        pass
    return "bytes=%d" % len(data)

def iperf(path):
    try:
        with open(path) as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        print("error=unreadable")
        return 1
    if "error" in j:
        print("error=%s" % j["error"].replace(" ", "_"))
        return 1
    end = j.get("end", {})
    r = end.get("sum_received") or {}
    s = end.get("sum") or {}
    if r.get("bytes") is not None:
        b, secs = r["bytes"], r.get("seconds") or 1
    else:
        pk, lost = s.get("packets", 0), s.get("lost_packets", 0)
        b = int(s.get("bytes", 0) * (pk - lost) / pk) if pk else 0
        secs = s.get("seconds") or 1
    print("bytes=%d mbps=%.1f lost_percent=%s" % (b, b * 8 / secs / 1e6,
          r.get("lost_percent", s.get("lost_percent", "-"))))
    return 0 if b > 0 else 1

def main(a):
    try:
        if a[0] == "ping":
            return ping(*a[1:])
        if a[0] == "sink":
            print(drain(listen(a[1], a[2])))
        elif a[0] == "source":
            print(send_file(listen(a[1], a[2]), a[3]))
        elif a[0] == "put":
            print(send_file(connect(a[1], a[2]), a[3]))
        elif a[0] == "get":
            print(drain(connect(a[1], a[2])))
        elif a[0] == "iperf":
            return iperf(a[1])
        else:
            print("usage", file=sys.stderr)
            return 2
    except OSError as e:
        print("error=%s" % (e.strerror or e).__str__().replace(" ", "_"))
        return 1
    return 0

sys.exit(main(sys.argv[1:]))
PY
