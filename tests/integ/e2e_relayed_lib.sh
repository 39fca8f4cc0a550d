# Helpers of test_e2e_relayed.sh (sourced after lib.sh, portal_lib.sh,
# wg_lib.sh and e2e_lib.sh; POSIX sh).
#
# Topology: the client and the gateway have no route to each other; both
# reach a coturn in a namespace of its own, which does not forward.
#
#   client ns ($WG_CL)          relay ns ($ER_TURN)              gateway ns ($FZ_NETNS)       resource ns
#   wireguard-go $WG_IF         coturn :3478 on both links       firezone-gateway
#   shim (NiceAgent + TURN)     relayed addresses on 10.200.0.1  emulator 127.0.0.1
#     up0 203.0.113.2 <------>  tc0 203.0.113.1                  res0 10.99.0.1 <----> gw0 10.99.0.2
#                               tg0 198.51.100.1 <-------------> up1 198.51.100.2
#
# Relayed addresses (10.200.0.1, on the relay namespace's lo) are for
# coturn's own allocations only.  nftables in the relay namespace drop what
# coturn would relay from 10.200.0.1 to anything else (table netdev $ER_NFT,
# at the links' egress: a drop in the output hook fails coturn's sendto()
# with EPERM, after which coturn relays nothing more for that allocation;
# counter relay_escape) -- without it a check through the
# client's relay to the gateway's host address would arrive (it has a route
# back: tg0) and make a relay-to-host pair -- and what the client's host
# socket sends to 10.200.0.1 directly (counter direct_to_relayed: libnice
# does send there, on-link, though the client has no route to it, and the
# relay namespace answers ARP for it), and counts the TURN traffic of each
# side (named counters from_gw, to_gw, from_client, to_client).  So the
# only pair that can work is relayed on both ends.

[ -n "${E2E_SHIM:-}" ] || { echo "FAIL: e2e_relayed_lib.sh needs e2e_lib.sh sourced first"; exit 1; }
ER_TURN="fz-e2erturn-$$"
ER_NFT=fz_e2er
ER_CL_ADDR=203.0.113.2
ER_TC_ADDR=203.0.113.1
ER_TG_ADDR=198.51.100.1
ER_GW_ADDR=198.51.100.2
ER_RELAY_IP=10.200.0.1
ER_TURN_PORT=3478
# A short first allocation (coturn --max-allocate-lifetime): the gateway
# refreshes at half the lifetime, and a Refresh nobody answers is how a dead
# relay is noticed (docs/protocol/p2p.md 3.4, 3.9).  coturn 4.6.1 caps only the
# Allocate: every Refresh is granted 600 s, so only the first Refresh, at
# ER_TURN_LIFETIME/2 after the allocation, comes early, and the loss scenario
# kills coturn before it.  Not below 61: libnice refreshes 60 s before the
# end of the lifetime (with less, its allocation silently expires).
ER_TURN_LIFETIME=${ER_TURN_LIFETIME:-100}
ER_RELAY_ID=7a1c9e52-3b6d-4f08-9e21-5d4c3b2a1f06
ER_SHIM_BIN="$FZ_TMP/e2e_relayed_shim"
ER_TURN_PID=""

er_build_shim() {
	command -v pkg-config >/dev/null || fail "pkg-config missing"
	pkg-config --exists nice || fail "libnice-dev missing"
	# shellcheck disable=SC2046
	cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes \
		-Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -O1 -g \
		-DFZ_CLIENT_SHIM -o "$ER_SHIM_BIN" "$FZ_TOP/tests/integ/e2e_relayed_shim.c" \
		$(pkg-config --cflags --libs nice) || fail "cannot build e2e_relayed_shim"
}

er_topology() {
	fz_netns e2er
	WG_GW=$FZ_NETNS
	wg_extra_netns "$WG_CL"
	wg_extra_netns "$WG_RES"
	wg_extra_netns "$ER_TURN"
	mkdir -p "$WGD"
	chmod 0777 "$WGD"

	in_ns "$WG_GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 ||
		fail "sysctls in $WG_GW"
	in_ns "$ER_TURN" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 ||
		fail "sysctls in $ER_TURN"
	ip -n "$ER_TURN" link add tc0 type veth peer name up0 netns "$WG_CL" || fail "veth client-relay"
	ip -n "$ER_TURN" link add tg0 type veth peer name up1 netns "$WG_GW" || fail "veth relay-gateway"
	ip -n "$WG_GW" link add res0 type veth peer name gw0 netns "$WG_RES" || fail "veth resource"
	ip -n "$ER_TURN" addr add "$ER_TC_ADDR/24" dev tc0
	ip -n "$ER_TURN" addr add "$ER_TG_ADDR/24" dev tg0
	ip -n "$ER_TURN" addr add "$ER_RELAY_IP/32" dev lo
	ip -n "$ER_TURN" link set tc0 up
	ip -n "$ER_TURN" link set tg0 up
	ip -n "$WG_CL" addr add "$ER_CL_ADDR/24" dev up0
	ip -n "$WG_CL" link set up0 up
	ip -n "$WG_GW" addr add "$ER_GW_ADDR/24" dev up1
	ip -n "$WG_GW" link set up1 up
	ip -n "$WG_GW" addr add 10.99.0.1/24 dev res0
	ip -n "$WG_GW" addr add fd00:99::1/64 dev res0 nodad
	ip -n "$WG_GW" link set res0 up
	ip -n "$WG_RES" addr add 10.99.0.2/24 dev gw0
	ip -n "$WG_RES" addr add fd00:99::2/64 dev gw0 nodad
	ip -n "$WG_RES" link set gw0 up
	ip -n "$WG_RES" route add default via 10.99.0.1 || fail "resource v4 default route"
	ip -n "$WG_RES" -6 route add default via fd00:99::1 || fail "resource v6 default route"

	command -v nft >/dev/null || fail "nft (nftables) missing"
	in_ns "$ER_TURN" nft -f - <<EOF || fail "nftables in $ER_TURN"
table inet $ER_NFT {
	counter from_gw { }
	counter to_gw { }
	counter from_client { }
	counter to_client { }
	counter direct_to_relayed { }
	chain input {
		type filter hook input priority 0; policy accept;
		iifname != "lo" ip daddr $ER_RELAY_IP counter name "direct_to_relayed" drop
		iifname "tg0" udp dport $ER_TURN_PORT counter name "from_gw"
		iifname "tc0" udp dport $ER_TURN_PORT counter name "from_client"
	}
	chain output {
		type filter hook output priority 0; policy accept;
		oifname "tg0" udp sport $ER_TURN_PORT counter name "to_gw"
		oifname "tc0" udp sport $ER_TURN_PORT counter name "to_client"
	}
}
table netdev $ER_NFT {
	counter relay_escape { }
	chain egress_tc0 {
		type filter hook egress device "tc0" priority 0; policy accept;
		ip saddr $ER_RELAY_IP counter name "relay_escape" drop
	}
	chain egress_tg0 {
		type filter hook egress device "tg0" priority 0; policy accept;
		ip saddr $ER_RELAY_IP counter name "relay_escape" drop
	}
}
EOF
	# Forwarding and masquerade for the tunnel, as on a host.
	in_ns "$WG_GW" sh "$FZ_TOP/contrib/setup-host-network.sh" >"$FZ_TMP/setup-host-network.log" 2>&1 ||
		{ cat "$FZ_TMP/setup-host-network.log"; fail "setup-host-network.sh in the gateway namespace"; }

	in_ns "$WG_CL" python3 "$WG_PY" ping "$ER_TC_ADDR" 1 0.1 3 >/dev/null ||
		fail "no underlay connectivity client -> relay"
	in_ns "$WG_GW" python3 "$WG_PY" ping "$ER_TG_ADDR" 1 0.1 3 >/dev/null ||
		fail "no underlay connectivity gateway -> relay"
	in_ns "$WG_GW" python3 "$WG_PY" ping 10.99.0.2 1 0.1 3 >/dev/null ||
		fail "no connectivity gateway -> resource"
}

# er_no_route: neither side has a route to the other (ip route get fails).
er_no_route() {
	! in_ns "$WG_CL" ip route get "$ER_GW_ADDR" >/dev/null 2>&1 &&
		! in_ns "$WG_GW" ip route get "$ER_CL_ADDR" >/dev/null 2>&1 &&
		! in_ns "$WG_CL" ip route get "$ER_RELAY_IP" >/dev/null 2>&1 &&
		! in_ns "$WG_GW" ip route get "$ER_RELAY_IP" >/dev/null 2>&1
}

# er_coturn_start: coturn in the relay namespace on both links, relayed
# addresses on $ER_RELAY_IP, long-term credentials $TURN_USER/$TURN_PASS
# (portal_lib.sh), realm firezone; sets ER_TURN_PID.  LOG is
# $FZ_TMP/coturn-N.log, N counting starts.
ER_TURN_RUNS=0
er_coturn_start() {
	command -v turnserver >/dev/null || fail "coturn (turnserver) missing (contrib/deps.sh test)"
	ER_TURN_RUNS=$((ER_TURN_RUNS + 1))
	ER_TURN_LOG="$FZ_TMP/coturn-$ER_TURN_RUNS.log"
	ip netns exec "$ER_TURN" turnserver -n --no-tls --no-dtls --no-cli --no-tcp-relay \
		--listening-ip="$ER_TC_ADDR" --listening-ip="$ER_TG_ADDR" --listening-port="$ER_TURN_PORT" \
		--relay-ip="$ER_RELAY_IP" --min-port=49152 --max-port=65535 \
		--lt-cred-mech --user="$TURN_USER:$TURN_PASS" --realm=firezone \
		--max-allocate-lifetime="$ER_TURN_LIFETIME" \
		--userdb="$FZ_TMP/turndb" --pidfile="$FZ_TMP/turnserver.pid" \
		--verbose --log-file=stdout --simple-log >"$ER_TURN_LOG" 2>&1 &
	ER_TURN_PID=$!
	FZ_PIDS="$FZ_PIDS $ER_TURN_PID"
	_n=50
	_hex=$(printf '%04X' "$ER_TURN_PORT")
	# Ready once both UDP listeners are bound (/proc/net/udp, local port).
	until [ "$(in_ns "$ER_TURN" cat /proc/net/udp 2>/dev/null | awk -v p=":$_hex" \
		'substr($2, length($2) - 4) == p { n++ } END { print n + 0 }')" -ge 2 ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$ER_TURN_PID" 2>/dev/null ||
			{ cat "$ER_TURN_LOG"; fail "coturn did not start"; }
		sleep 0.1
	done
}

# er_coturn_kill: SIGKILL by PID (the relay vanishes; nothing is said to
# its clients), and wait for it.
er_coturn_kill() {
	[ -n "$ER_TURN_PID" ] || return 0
	kill -KILL "$ER_TURN_PID" 2>/dev/null
	wait "$ER_TURN_PID" 2>/dev/null
	ER_TURN_PID=""
}

# er_relay_json ADDR: the portal's relay entry for our coturn as seen from
# the gateway (long-term credentials, fixed id).
er_relay_json() {
	payload turn_relay addr="$1" id="$ER_RELAY_ID" username="$TURN_USER" password="$TURN_PASS"
}

# er_counter NAME [FAMILY]: "packets bytes" of a named nftables counter in
# the relay namespace (table FAMILY $ER_NFT, default inet).
er_counter() {
	in_ns "$ER_TURN" nft list counter "${2:-inet}" "$ER_NFT" "$1" 2>/dev/null |
		sed -n 's/.*packets \([0-9]*\) bytes \([0-9]*\).*/\1 \2/p'
}

# er_shim NAME UFRAG PWD GW_UFRAG GW_PWD: the relay-enabled shim in the
# client namespace (its relay: the coturn on the client's link), stdin from
# a FIFO it holds open, stdout to $FZ_TMP/NAME.log; sets E2E_SHIM_PID,
# E2E_SHIM_IN, E2E_SHIM_LOG, SHIM_PORT (the names e2e_signal uses).
er_shim() {
	E2E_SHIM_IN="$FZ_TMP/$1.in"
	E2E_SHIM_LOG="$FZ_TMP/$1.log"
	rm -f "$E2E_SHIM_IN"
	mkfifo -m 0600 "$E2E_SHIM_IN" || fail "mkfifo"
	ip netns exec "$WG_CL" env FZ_SHIM_TURN="$ER_TC_ADDR:$ER_TURN_PORT" FZ_SHIM_TURN_USER="$TURN_USER" \
		FZ_SHIM_TURN_PASS="$TURN_PASS" "$ER_SHIM_BIN" --ufrag "$2" --pwd "$3" --remote-ufrag "$4" \
		--remote-pwd "$5" --bind "$ER_CL_ADDR" --wg-listen 127.0.0.1:0 --timeout 60 \
		<>"$E2E_SHIM_IN" >"$E2E_SHIM_LOG" 2>&1 &
	E2E_SHIM_PID=$!
	FZ_PIDS="$FZ_PIDS $E2E_SHIM_PID"
	_n=50
	until grep -q '^shim: wg socket ' "$E2E_SHIM_LOG" 2>/dev/null; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$E2E_SHIM_PID" 2>/dev/null ||
			{ cat "$E2E_SHIM_LOG"; fail "e2e_relayed_shim did not start"; }
		sleep 0.1
	done
	SHIM_PORT=$(sed -n 's/^shim: wg socket .*:\([0-9]*\)$/\1/p' "$E2E_SHIM_LOG" | head -n 1)
}

# er_stop_client: the current shim and its signalling relay, by PID.
er_stop_client() {
	for p in $E2E_SIG_PID $E2E_SHIM_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $E2E_SIG_PID $E2E_SHIM_PID; do
		wait "$p" 2>/dev/null
	done
	E2E_SIG_PID=""
	E2E_SHIM_PID=""
}

# er_flow FILE CLIENT_ID KEYFILE TUN4 TUN6: an authorize_flow payload for a
# client (own WireGuard key and tunnel addresses, fresh PSK from the portal,
# the CIDR resource 10.99.0.0/24) into FILE; sets FLOW_REF, FLOW_PSK, FLOW_CL_UFRAG,
# FLOW_CL_PWD, FLOW_GW_UFRAG, FLOW_GW_PWD.
er_flow() {
	_pub=$(wg pubkey <"$3") || fail "wg pubkey"
	FLOW_PSK=$(wg genpsk)
	payload authorize_flow client_id="$2" client_public_key="$_pub" preshared_key="$FLOW_PSK" \
		client_ipv4="$4" client_ipv6="$5" \
		resource="$(payload cidr_resource address=10.99.0.0/24 id="$ER_RES_ID" name="resource LAN")" \
		gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$1" ||
		fail "authorize_flow payload"
	FLOW_REF=$(e2e_json "$1" 'j["ref"]')
	FLOW_CL_UFRAG=$(e2e_json "$1" 'j["client_ice_credentials"]["username"]')
	FLOW_CL_PWD=$(e2e_json "$1" 'j["client_ice_credentials"]["password"]')
	FLOW_GW_UFRAG=$(e2e_json "$1" 'j["gateway_ice_credentials"]["username"]')
	FLOW_GW_PWD=$(e2e_json "$1" 'j["gateway_ice_credentials"]["password"]')
}
ER_RES_ID=3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f
