#!/bin/sh
# The DNS server on the gateway's tunnel addresses, port 53535 (issue 15,
# docs/dns-server.md).  Today's clients send the SRV and TXT queries of DNS
# resources there.  The reference client (libnice + wireguard-go, through
# the portal emulator) asks over its tunnel; the gateway's resolv.conf
# (/etc/netns/NS/resolv.conf, which `ip netns exec` mounts over
# /etc/resolv.conf) lists first an address where nothing answers, then a
# stub nameserver in the resource namespace (tests/integ/dns_stub.py) that
# answers fixed SRV and TXT records, a TXT set of 1900 bytes, and never
# answers names under silent.resource.test.
# Checked: the probes pick the stub (the nameserver that answers fastest);
# the answers reach the client byte for byte (same id) over UDP
# and TCP on both tunnel addresses; the long answer is cut to at most 1200
# bytes with TC over UDP and comes whole over TCP; one TCP connection
# carries several queries, one at a time and pipelined; a silent nameserver
# gives SERVFAIL after about 5 s; junk is dropped; a client gets at most 8
# TCP connections; /metrics counts all this.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
. "$(dirname "$0")/wg_lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
STUB_PID=""
cleanup_dns() {
	[ -n "$STUB_PID" ] && kill -9 "$STUB_PID" 2>/dev/null
	e2e_cleanup
	[ -n "${WG_GW:-}" ] && rm -rf "/etc/netns/$WG_GW"
}
trap cleanup_dns EXIT
trap 'exit 1' INT TERM HUP
fz_need_root
fz_users
[ -x "$DP" ] && [ -x "$CTL" ] || fail "run make first"
CLIENT_ID=6b5c4d3e-2f10-4b0a-9d8e-7f6a5b4c3d2e
STUB="$FZ_TOP/tests/integ/dns_stub.py"
GW4=100.64.0.1
GW6=fd00:2021:1111::1

e2e_build_shim
wg_topology
# The gateway's nameservers: a dead address, then the stub in the resource namespace.
mkdir -p "/etc/netns/$WG_GW"
printf 'nameserver 10.99.0.9\nnameserver 10.99.0.2\n' >"/etc/netns/$WG_GW/resolv.conf"
ip netns exec "$WG_RES" /usr/bin/python3 "$STUB" serve 10.99.0.2 >"$FZ_TMP/stub.log" 2>&1 &
STUB_PID=$!
FZ_PIDS="$FZ_PIDS $STUB_PID"
e2e_wait_file "$FZ_TMP/stub.log" "stub: serving" 5 || { cat "$FZ_TMP/stub.log"; fail "the stub nameserver did not start"; }
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
wg_ping "$WG_CL" "$GW4" 2 0.2 3 >/dev/null
e2e_wait_file "$E2E_GW_LOG" "WireGuard handshake done" 10 || { tail -n 20 "$E2E_GW_LOG"; fail "no handshake"; }
ok "client connected (ICE, WireGuard)"
# The first probe round ends 2 s after the start.
e2e_wait_file "$E2E_GW_LOG" "dns server: forwarding to 10.99.0.2:53, the nameserver that answered fastest" 5 ||
	{ grep "dns server" "$E2E_GW_LOG"; fail "the probes did not pick the answering nameserver"; }
grep -q "query udp [0-9]* 1 firezone.dev" "$FZ_TMP/stub.log" && grep -q "query tcp [0-9]* 1 firezone.dev" "$FZ_TMP/stub.log" ||
	fail "no UDP and TCP probes reached the stub"
ok "probes over UDP and TCP: the nameserver that answers is chosen over the dead one listed first"

# ask udp|tcp SERVER ID TYPE NAME [TIMEOUT]: one query from the client.
ask() {
	in_ns "$WG_CL" /usr/bin/python3 "$STUB" ask "$1" "$2" 53535 "$3" "$4" "$5" "${6:-8}"
}
field() { wg_field "$1" "$2"; }
expect() { # LINE WHAT KEY=VALUE...
	_l=$1 _w=$2
	shift 2
	for _kv in "$@"; do
		[ "$(field "$_l" "${_kv%%=*}")" = "${_kv#*=}" ] ||
			{ grep "dns server" "$E2E_GW_LOG" | tail -n 20; fail "$_w: want ${_kv}, got: $_l"; }
	done
}

for srv in "$GW4" "$GW6"; do
	r=$(ask udp "$srv" 4660 SRV _sip._tcp.app.resource.test)
	echo "    udp $srv SRV: $r"
	expect "$r" "UDP SRV via $srv" id=4660 rcode=0 an=1 same=1
	r=$(ask tcp "$srv" 4661 TXT txt.resource.test)
	echo "    tcp $srv TXT: $r"
	expect "$r" "TCP TXT via $srv" id=4661 rcode=0 an=1 same=1
done
grep -q "query udp 4660 33 _sip._tcp.app.resource.test" "$FZ_TMP/stub.log" ||
	fail "the stub did not see the client's query id over UDP"
grep -q "query tcp 4661 16 txt.resource.test" "$FZ_TMP/stub.log" ||
	fail "the stub did not see the client's query id over TCP"
ok "SRV and TXT answered byte for byte with the query's id, UDP and TCP, IPv4 and IPv6"

r=$(ask udp "$GW4" 7777 TXT long.resource.test)
echo "    udp long TXT: $r"
expect "$r" "UDP long TXT" id=7777 rcode=0 tc=1 same=0
[ "$(field "$r" len)" -le 1200 ] || fail "UDP answer of $(field "$r" len) bytes"
[ "$(field "$r" an)" -ge 1 ] || fail "the truncated answer kept no record"
r=$(ask tcp "$GW4" 7778 TXT long.resource.test)
echo "    tcp long TXT: $r"
expect "$r" "TCP long TXT" id=7778 rcode=0 tc=0 an=8 same=1
[ "$(field "$r" len)" -gt 1200 ] || fail "TCP answer cut"
ok "an answer over 1200 bytes: truncated with TC over UDP, whole over TCP"

out=$(in_ns "$WG_CL" /usr/bin/python3 "$STUB" ask2 "$GW6" 53535) || { echo "$out"; fail "queries on one TCP connection"; }
echo "$out" | sed 's/^/    tcp one connection: /'
[ "$(echo "$out" | grep -c 'rcode=0 .*same=1')" = 4 ] || fail "not 4 identical answers on one TCP connection"
ok "one TCP connection carries queries one after the other and pipelined"

# The silent nameserver: UDP and TCP at once, one 5 s wait.
in_ns "$WG_CL" /usr/bin/python3 "$STUB" ask tcp "$GW4" 53535 9902 TXT q.silent.resource.test 12 \
	>"$FZ_TMP/silent-tcp" 2>&1 &
spid=$!
r=$(ask udp "$GW4" 9901 TXT q.silent.resource.test 12)
wait "$spid"
rt=$(cat "$FZ_TMP/silent-tcp")
echo "    udp silent: $r"
echo "    tcp silent: $rt"
for l in "$r" "$rt"; do
	expect "$l" "silent nameserver" rcode=2 an=0 same=0
	s=$(field "$l" secs)
	awk -v s="$s" 'BEGIN { exit !(s >= 4.5 && s <= 7.5) }' || fail "SERVFAIL after ${s} s, not about 5 s"
done
[ "$(field "$r" id)" = 9901 ] && [ "$(field "$rt" id)" = 9902 ] || fail "SERVFAIL with the wrong id"
ok "no answer from the nameserver: SERVFAIL after about 5 s, UDP and TCP"

r=$(in_ns "$WG_CL" /usr/bin/python3 "$STUB" junk "$GW4" 53535)
echo "    junk, then a query on the same TCP connection: $r"
expect "$r" "a query after junk" id=2001 rcode=0 same=1
ok "unparsable queries are dropped (UDP and TCP), the TCP connection kept"
r=$(in_ns "$WG_CL" /usr/bin/python3 "$STUB" conns "$GW6" 53535 10)
echo "    10 TCP connections from one client: $r"
[ "$(field "$r" closed)" = 2 ] || fail "want 2 of 10 connections closed (8 per client), got: $r"
ok "TCP connections per client are capped"

m=$(in_ns "$WG_GW" /usr/bin/python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1:18080/metrics").read().decode())') ||
	fail "no /metrics"
in_ns "$WG_GW" /usr/bin/python3 "$FZ_TOP/tests/integ/metrics_lib.py" http://127.0.0.1:18080/metrics >/dev/null ||
	fail "/metrics is not strictly well formed"
metric() { echo "$m" | awk -v k="$1" '$1 == k { print $2 }'; }
echo "    $(echo "$m" | grep '^firezone_gateway_dns_' | tr '\n' ' ')"
[ "$(metric 'firezone_gateway_dns_queries_total{transport="udp"}')" -ge 4 ] || fail "UDP queries not counted"
[ "$(metric 'firezone_gateway_dns_queries_total{transport="tcp"}')" -ge 9 ] || fail "TCP queries not counted"
[ "$(metric firezone_gateway_dns_truncated_total)" -ge 1 ] || fail "truncation not counted"
[ "$(metric firezone_gateway_dns_servfail_total)" -ge 2 ] || fail "SERVFAIL not counted"
[ "$(metric 'firezone_gateway_dns_dropped_total{reason="malformed"}')" -ge 4 ] || fail "junk not counted"
[ "$(metric 'firezone_gateway_dns_dropped_total{reason="limit"}')" -ge 2 ] || fail "limit hits not counted"
ok "/metrics counts queries, truncations, SERVFAILs, junk and limit hits"
kill -TERM "$E2E_GW_PID"
wait "$E2E_GW_PID" 2>/dev/null
E2E_GW_PID=""
! grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$E2E_GW_LOG" ||
	{ grep -A20 "Sanitizer\|runtime error" "$E2E_GW_LOG" | head -40; fail "sanitizer report"; }
exit 0
