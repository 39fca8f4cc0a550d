#!/bin/sh
# DNS resources end to end (docs/protocol/dataplane.md §4, §5): the client (libnice
# + wireguard-go, through the portal emulator) is authorized for the DNS
# resource *.resource.test, tells the gateway inside its tunnel which proxy
# IPs it gave two names (AssignedIps), gets DomainStatus Active back, and
# reaches the real addresses through the proxies: IPv4 -> IPv4, IPv6 -> IPv6,
# and across families (NAT64: IPv6 proxy, IPv4-only name; NAT46: IPv4
# proxy, IPv6-only name).  A name outside the pattern is answered Inactive
# and its proxies stay closed, as are those of a request with a proxy IP
# outside the proxy ranges or with more than 8, and of a 65th name for the
# resource.  The gateway resolves through its hosts file.  Then today's
# cases (issue 15): a name without addresses is Active with unreachable
# proxies, a resource not granted Inactive at once, and the client's goodbye
# removes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
. "$(dirname "$0")/wg_lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
cleanup_dns() {
	e2e_cleanup
	[ -n "${WG_GW:-}" ] && rm -rf "/etc/netns/$WG_GW"
}
trap cleanup_dns EXIT
trap 'exit 1' INT TERM HUP
fz_need_root
fz_users
[ -x "$DP" ] && [ -x "$CTL" ] || fail "run make first"
CLIENT_ID=5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d

e2e_build_shim
wg_topology
# The gateway's resolver: names in its hosts file, no nameserver reachable.
mkdir -p "/etc/netns/$WG_GW"
printf '10.99.0.2 app.resource.test\nfd00:99::2 v6only.resource.test\n' >"/etc/netns/$WG_GW/hosts"
# n1 .. n63.resource.test for the cap on names per resource (64 with app).
i=1
while [ $i -le 63 ]; do
	printf '10.99.0.2 n%d.resource.test\n' $i >>"/etc/netns/$WG_GW/hosts"
	i=$((i + 1))
done
printf 'nameserver 127.0.0.1\n' >"/etc/netns/$WG_GW/resolv.conf"
e2e_net
e2e_coturn
e2e_emulator
e2e_gateway
emu wait phx_join 15 >/dev/null || { cat "$E2E_GW_LOG"; fail "no join"; }
GWPUB=$(emu wait - 5 --kind upgrade --match status=101 --peek --field record.public_key) || fail "no upgrade"
e2e_wait_file "$E2E_GW_LOG" "relay allocated" 15 || { tail -n 20 "$E2E_GW_LOG"; fail "no relay allocated"; }

umask 077
wg genkey >"$WGD/client.key"
wg genpsk >"$WGD/psk"
umask 022
CL_PUB=$(wg pubkey <"$WGD/client.key")
RES=$(payload dns_resource address='*.resource.test' name="resource names")
payload authorize_flow client_id="$CLIENT_ID" client_public_key="$CL_PUB" preshared_key="$(cat "$WGD/psk")" \
	client_ipv4="$E2E_CL_TUN4" client_ipv6="$E2E_CL_TUN6" resource="$RES" \
	gateway_id="$E2E_GW_ID" gateway_public_key="$GWPUB" expires_at=null >"$FZ_TMP/flow.json"
REF=$(e2e_json "$FZ_TMP/flow.json" 'j["ref"]')
RID=$(e2e_json "$FZ_TMP/flow.json" 'j["resource"]["id"]')
e2e_shim shim "$(e2e_json "$FZ_TMP/flow.json" 'j["client_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow.json" 'j["client_ice_credentials"]["password"]')" \
	"$(e2e_json "$FZ_TMP/flow.json" 'j["gateway_ice_credentials"]["username"]')" \
	"$(e2e_json "$FZ_TMP/flow.json" 'j["gateway_ice_credentials"]["password"]')"
e2e_signal "$CLIENT_ID" "$REF"
emu push authorize_flow "@$FZ_TMP/flow.json" >/dev/null || fail "push authorize_flow"
emu wait flow_authorized 10 --match "json.payload.ref=$REF" >/dev/null || fail "no flow_authorized"
e2e_wait_file "$E2E_SHIM_LOG" '^shim: selected pair ' 20 || { tail -n 20 "$E2E_GW_LOG"; fail "no ICE pair"; }
wg_client_start
wg_client_peer "$GWPUB" "127.0.0.1:$SHIM_PORT" "$WGD/psk" 25
# The client routes the proxy ranges and the control address into its tunnel.
in_ns "$WG_CL" wg set "$WG_IF" peer "$GWPUB" \
	allowed-ips 100.64.0.0/11,fd00:2021:1111::/107,100.96.0.0/11,fd00:2021:1111:8000::/107,::/128 ||
	fail "allowed-ips"
ip -n "$WG_CL" route add 100.96.0.0/11 dev "$WG_IF" || fail "route v4 proxies"
ip -n "$WG_CL" -6 route add fd00:2021:1111:8000::/107 dev "$WG_IF" || fail "route v6 proxies"
# A first packet for the handshake (the resource itself is not granted).
wg_ping "$WG_CL" 100.64.0.1 2 0.2 3 >/dev/null
e2e_wait_file "$E2E_GW_LOG" "WireGuard handshake done" 10 || { tail -n 20 "$E2E_GW_LOG"; fail "no handshake"; }
ok "client connected (ICE, WireGuard) with the DNS resource *.resource.test"

assign() {
	in_ns "$WG_CL" /usr/bin/python3 "$FZ_TOP/tests/integ/dns_p2p.py" "$WG_IF" "$RID" "$1" "$2" 12
}
out=$(assign app.resource.test 100.96.0.1,100.96.0.2,fd00:2021:1111:8000::1,fd00:2021:1111:8000::2) ||
	{ echo "$out"; tail -n 20 "$E2E_GW_LOG"; fail "no DomainStatus for app.resource.test"; }
echo "    $out"
echo "$out" | grep -q '"status": "Active"' || fail "app.resource.test not Active"
out=$(assign v6only.resource.test 100.96.0.5,fd00:2021:1111:8000::5) ||
	{ echo "$out"; fail "no DomainStatus for v6only.resource.test"; }
echo "    $out"
echo "$out" | grep -q '"status": "Active"' || fail "v6only.resource.test not Active"
out=$(assign evil.other.test 100.96.0.9) || fail "no DomainStatus for evil.other.test"
echo "    $out"
echo "$out" | grep -q '"status": "Inactive"' || fail "a name outside the pattern was not Inactive"
ok "AssignedIps answered: Active for names of the resource, Inactive for another"

# Today's gateway (issue 15): a name that does not resolve is Active, and
# its proxies answer ICMP unreachable at once; a resource that is not
# granted is Inactive at once.
out=$(assign nx.resource.test 100.96.0.40,fd00:2021:1111:8000::40) || { echo "$out"; fail "no DomainStatus for nx"; }
echo "    nx.resource.test (does not resolve): $out"
echo "$out" | grep -q '"status": "Active"' || fail "a name that does not resolve was not Active"
for p in 100.96.0.40 fd00:2021:1111:8000::40; do
	_r=$(wg_ping "$WG_CL" $p 2 0.2 3)
	echo "    ping $p (nothing resolved): $_r"
	[ "$(wg_field "$_r" unreachable)" -ge 1 ] && [ "$(wg_field "$_r" received)" = 0 ] ||
		fail "proxy $p of a name without addresses: no ICMP unreachable"
done
ok "a name without addresses: Active, its proxies answer unreachable"
_t0=$(date +%s%N)
out=$(in_ns "$WG_CL" /usr/bin/python3 "$FZ_TOP/tests/integ/dns_p2p.py" "$WG_IF" \
	0f0f0f0f-0000-4000-8000-000000000000 app.resource.test 100.96.0.41 3) || fail "no DomainStatus (not granted)"
_ms=$((($(date +%s%N) - _t0) / 1000000))
echo "    resource not granted: $out (${_ms} ms)"
echo "$out" | grep -q '"status": "Inactive"' && [ "$_ms" -lt 1500 ] || fail "a resource not granted was not Inactive at once"
ok "AssignedIps for a resource not granted: Inactive at once"

# Proxy IPs outside 100.96.0.0/11 and fd00:2021:1111:8000::/107 (a LAN host,
# the client range, a public IPv6 address), or more than 8 for a name: the
# whole AssignedIps is refused, Inactive, and logged (issue 19).
for ips in 100.96.0.20,172.31.201.98 100.64.0.5 2001:db8::1 \
	100.96.0.21,100.96.0.22,100.96.0.23,100.96.0.24,100.96.0.25,100.96.0.26,100.96.0.27,100.96.0.28,100.96.0.29; do
	out=$(assign app.resource.test "$ips") || { echo "$out"; fail "no DomainStatus for proxies $ips"; }
	echo "    $ips: $out"
	echo "$out" | grep -q '"status": "Inactive"' || fail "proxies $ips accepted"
done
grep -q "translation of app.resource.test refused (proxy IP 172.31.201.98 outside 100.96.0.0/11 and fd00:2021:1111:8000::/107)" "$E2E_GW_LOG" ||
	fail "no log line for the proxy IP 172.31.201.98"
grep -q "translation of app.resource.test refused (9 proxy IPs, at most 8 per name)" "$E2E_GW_LOG" ||
	fail "no log line for 9 proxy IPs"
_r=$(wg_ping "$WG_CL" 100.96.0.20 3 0.2 4)
echo "    ping 100.96.0.20 (refused request): $_r"
[ "$(wg_field "$_r" received)" = 0 ] || fail "a proxy of a refused request answered"
ok "AssignedIps with a proxy IP out of range, or with 9, refused whole (Inactive, logged)"

# At most 64 names per resource for one client: app and v6only are set up,
# n1 .. n62 fill the resource, n63 is refused (Inactive, logged), and a
# name already set up may still be set up again.
i=1
while [ $i -le 62 ]; do
	out=$(assign n$i.resource.test 100.96.1.$i) || { echo "$out"; tail -n 30 "$E2E_GW_LOG"; fail "no DomainStatus for n$i"; }
	echo "$out" | grep -q '"status": "Active"' || { echo "$out"; fail "n$i.resource.test not Active"; }
	i=$((i + 1))
done
out=$(assign n63.resource.test 100.96.1.63) || fail "no DomainStatus for n63"
echo "    n63.resource.test (65th name): $out"
echo "$out" | grep -q '"status": "Inactive"' || fail "a 65th name for the resource was accepted"
grep -q "translation of n63.resource.test refused (more than 64 names for the resource)" "$E2E_GW_LOG" ||
	fail "no log line for the 65th name"
out=$(assign n1.resource.test 100.96.1.1) || fail "no DomainStatus for n1 again"
echo "$out" | grep -q '"status": "Active"' || fail "a name already set up was refused when the resource is full"
ok "64 names per resource and client: the 65th refused, the others kept"

ping_ok() {
	_r=$(wg_ping "$WG_CL" "$1" 3 0.2 8)
	echo "    ping $1 ($2): $_r"
	[ "$(wg_field "$_r" received)" -ge 2 ] || { tail -n 15 "$E2E_GW_LOG"; fail "ping $1 ($2)"; }
}
ping_ok 100.96.0.1 "IPv4 proxy -> 10.99.0.2"
ping_ok fd00:2021:1111:8000::1 "IPv6 proxy -> 10.99.0.2, NAT64"
ping_ok 100.96.0.5 "IPv4 proxy -> fd00:99::2, NAT46"
ping_ok fd00:2021:1111:8000::5 "IPv6 proxy -> fd00:99::2"
ok "proxy IPs reach the real addresses, in both families and across them"

_r=$(wg_ping "$WG_CL" 100.96.0.9 3 0.2 4)
echo "    ping 100.96.0.9 (refused name): $_r"
[ "$(wg_field "$_r" received)" = 0 ] || fail "a proxy of a refused name answered"
ok "proxies of a refused name stay closed"
# goodbye from the client (p2p event 2): the gateway forgets it at once.
in_ns "$WG_CL" /usr/bin/python3 "$FZ_TOP/tests/integ/dns_p2p.py" --goodbye "$WG_IF" || fail "cannot send goodbye"
e2e_wait_file "$E2E_GW_LOG" "said goodbye; its state is removed" 3 || { tail -n 10 "$E2E_GW_LOG"; fail "goodbye ignored"; }
_r=$(wg_ping "$WG_CL" 100.96.0.1 3 0.2 3)
echo "    ping 100.96.0.1 after goodbye: $_r"
[ "$(wg_field "$_r" received)" = 0 ] || fail "traffic still forwarded after the client's goodbye"
ok "goodbye from the client: its connection and grants are gone, nothing is forwarded"

kill -TERM "$E2E_GW_PID"
wait "$E2E_GW_PID" 2>/dev/null
E2E_GW_PID=""
grep -q "dns: peer 1: app.resource.test -> 1 address" "$E2E_GW_LOG" || fail "no translation logged"
exit 0
