#!/bin/sh
# test_contrib.sh -- the operations files in contrib/ work.
#
#  1. setup-host-network.sh: "sh -n", executable, rejects unknown arguments.
#  2. The unit's paths agree with the Makefile's install directories, the
#     users agree across sysusers.conf, tmpfiles.conf and the binary's
#     defaults, the unit keeps its hardening lines, and every variable of
#     firezone-gateway.env.example is in the man page.
#  3. "systemd-analyze verify" on a copy of the unit whose /usr/local paths
#     point into the tree (built binary, or a stub when not built), with the
#     man page on MANPATH so Documentation=man:firezone-gateway(8) resolves;
#     "systemd-analyze security --offline" keeps the exposure level low.
#  4. If the build is up to date: "make install DESTDIR=<tmp>" and the unit,
#     rewritten to that DESTDIR, verifies against the installed files.
#  5. sysusers.conf and tmpfiles.conf applied to a scratch root (--root):
#     both users exist; /var/lib/firezone is firezone-control's, 0750;
#     /etc/firezone is root's, 0750.
#  6. setup-host-network.sh in throw-away network namespaces (client --
#     gateway -- resource): sysctls set, nft table present, running twice
#     changes nothing, a UDP packet from a client tunnel address reaches the
#     resource masqueraded (IPv4 and IPv6), --remove takes the table away
#     (twice: idempotent) and later packets arrive unmasqueraded.  The same
#     with FZ_NET_BACKEND=iptables when iptables is installed.  Without nft
#     and iptables on PATH the script fails with one clear line.
#
# Needs root (network namespaces) and: systemd (systemd-analyze,
# systemd-sysusers, systemd-tmpfiles), iproute2, nftables, python3, make.
# FZ_TOP / FZ_BUILD come from tests/integ/run-all.sh.
set -u

here=$(cd "$(dirname "$0")" && pwd)
FZ_TOP=${FZ_TOP:-$(cd "$here/../.." && pwd)}
FZ_BUILD=${FZ_BUILD:-build}
contrib="$FZ_TOP/contrib"
unit="$contrib/firezone-gateway.service"
script="$contrib/setup-host-network.sh"
page="$FZ_TOP/man/firezone-gateway.8"

failures=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
note() { echo "note: $*"; }
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "FAIL: $1 is not installed (Debian package $2; add it to contrib/deps.sh test)"
	exit 1
}

need systemd-analyze systemd
need systemd-sysusers systemd
need systemd-tmpfiles systemd
need ip iproute2
need nft nftables
need python3 python3
need make make
[ "$(id -u)" -eq 0 ] || { echo "FAIL: test_contrib needs root (network namespaces)"; exit 1; }

for f in "$unit" "$script" "$contrib/sysusers.conf" "$contrib/tmpfiles.conf" "$page"; do
	[ -f "$f" ] || { echo "FAIL: $f does not exist"; exit 1; }
done

tmp=$(mktemp -d) || exit 1
ns_gw="fzct-gw-$$"
ns_cl="fzct-cl-$$"
ns_rs="fzct-rs-$$"
cleanup() {
	# Only the namespaces this run created, by name.
	for ns in "$ns_gw" "$ns_cl" "$ns_rs"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- 1. the setup script, statically ------------------------------------------
if sh -n "$script"; then ok "sh -n setup-host-network.sh"; else bad "sh -n setup-host-network.sh"; fi
if [ -x "$script" ]; then ok "setup-host-network.sh is executable"; else bad "setup-host-network.sh is not executable (git mode 100755)"; fi
"$script" --bogus >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then ok "unknown argument: exit 2"; else bad "unknown argument: exit $rc, want 2"; fi
if "$script" --help | grep -q -- --remove; then ok "--help documents --remove"; else bad "--help does not mention --remove"; fi

# --- 2. paths and names in step ------------------------------------------------
# The Makefile's default install directories, asked from make itself.
dirs=$(printf '_fz_print_dirs:\n\t@echo $(BINDIR) $(LIBEXECDIR) $(DATADIR)\n' |
	make -s --no-print-directory -C "$FZ_TOP" -f Makefile -f - _fz_print_dirs PREFIX=/usr/local 2>/dev/null)
set -- $dirs
if [ $# -eq 3 ]; then
	bindir=$1 libexecdir=$2 datadir=$3
	if grep -qx "ExecStart=$bindir/firezone-gateway" "$unit"; then
		ok "unit ExecStart is \$(BINDIR)/firezone-gateway ($bindir)"
	else
		bad "unit ExecStart is not $bindir/firezone-gateway"
	fi
	if grep -q "^ExecStartPre=+$datadir/setup-host-network.sh\$" "$unit"; then
		ok "unit runs \$(DATADIR)/setup-host-network.sh ($datadir)"
	else
		bad "unit ExecStartPre does not run $datadir/setup-host-network.sh"
	fi
	for p in "$bindir/firezone-gateway" "$libexecdir/firezone-gateway-control" "$datadir/setup-host-network.sh"; do
		grep -q "^\.It Pa $p\$" "$page" || bad "man page FILES lacks $p"
	done
else
	bad "could not read BINDIR/LIBEXECDIR/DATADIR from the Makefile (got: $dirs)"
fi
# The unit names the sysusers/tmpfiles files as the Makefile installs them.
for kind in SYSUSERSDIR TMPFILESDIR; do
	grep -q "\$($kind)/firezone-gateway.conf" "$FZ_TOP/Makefile" ||
		bad "Makefile does not install \$($kind)/firezone-gateway.conf (the unit runs systemd-sysusers/-tmpfiles on that name)"
done
grep -q '^u *firezone-gateway ' "$contrib/sysusers.conf" || bad "sysusers.conf lacks user firezone-gateway"
grep -q '^u *firezone-control ' "$contrib/sysusers.conf" || bad "sysusers.conf lacks user firezone-control"
grep -q '^d */var/lib/firezone  *0750 firezone-control ' "$contrib/tmpfiles.conf" ||
	bad "tmpfiles.conf: /var/lib/firezone is not firezone-control's with mode 0750"
# Hardening that must not silently go away.
for line in \
	'CapabilityBoundingSet=CAP_NET_ADMIN CAP_SETUID CAP_SETGID CAP_SETPCAP' \
	'AmbientCapabilities=' \
	'NoNewPrivileges=yes' \
	'ProtectSystem=strict' \
	'ProtectHome=yes' \
	'PrivateTmp=yes' \
	'DeviceAllow=/dev/net/tun rw' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' \
	'Restart=on-failure' \
	'LoadCredential=firezone-token:/etc/firezone/gateway-token' \
	'EnvironmentFile=-/etc/firezone/gateway.env'; do
	grep -qxF "$line" "$unit" || bad "unit lacks the line: $line"
done
if grep -q '^User=' "$unit"; then bad "unit sets User= (the binary switches users itself)"; fi
if grep -q '^PrivateDevices=yes' "$unit"; then bad "PrivateDevices=yes hides /dev/net/tun"; fi
bin="$FZ_TOP/$FZ_BUILD/firezone-gateway"
if [ -x "$bin" ]; then
	help=$("$bin" --help 2>&1)
	for u in firezone-gateway firezone-control; do
		printf '%s\n' "$help" | grep -q "default $u" ||
			bad "--help does not show the default user $u of sysusers.conf"
	done
	ok "default users of --help match sysusers.conf"
fi
# Every variable of the example environment file is documented.
if [ -f "$contrib/firezone-gateway.env.example" ]; then
	for v in $(sed -n 's/^#\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$contrib/firezone-gateway.env.example"); do
		grep -q "Ev .*$v" "$page" || bad "firezone-gateway.env.example sets $v, which the man page does not document"
	done
fi
[ "$failures" -eq 0 ] && ok "paths, users, hardening lines and variables in step"

# --- 3. systemd-analyze verify / security --------------------------------------
mkdir -p "$tmp/man/man8" "$tmp/unit"
cp "$page" "$tmp/man/man8/"
if [ -x "$bin" ]; then
	exec_path=$bin
else
	note "$bin not built; the unit is verified with a stub ExecStart"
	exec_path="$tmp/firezone-gateway-stub"
	printf '#!/bin/sh\nexit 0\n' >"$exec_path"
	chmod 0755 "$exec_path"
fi
sed -e "s|/usr/local/share/firezone-gateway/setup-host-network.sh|$script|g" \
    -e "s|/usr/local/sbin/firezone-gateway|$exec_path|g" \
    "$unit" >"$tmp/unit/firezone-gateway.service"
if grep -v '^#' "$tmp/unit/firezone-gateway.service" | grep -q '/usr/local/'; then
	bad "unit has /usr/local paths the test does not know how to rewrite:"
	grep -v '^#' "$tmp/unit/firezone-gateway.service" | grep '/usr/local/' | sed 's/^/    /'
fi
verify() { # verify UNITFILE LABEL
	if command -v man >/dev/null 2>&1; then manopt=--man=yes; else manopt=--man=no; fi
	out=$(MANPATH="$tmp/man" SYSTEMD_LOG_COLOR=0 systemd-analyze verify $manopt "$1" 2>&1)
	rc=$?
	mine=$(printf '%s\n' "$out" | grep -i 'firezone')
	if [ "$rc" -eq 0 ] && [ -z "$mine" ]; then
		ok "systemd-analyze verify ($2)"
	else
		bad "systemd-analyze verify ($2), exit $rc:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}
verify "$tmp/unit/firezone-gateway.service" "tree paths"
if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
	# 0..100 scale; the unit scores about 27 ("2.7 OK") with systemd 252.
	if systemd-analyze security --offline=true --threshold=35 \
		"$tmp/unit/firezone-gateway.service" >"$tmp/security" 2>&1; then
		ok "systemd-analyze security: $(grep -o 'exposure level.*' "$tmp/security" | tail -n 1)"
	else
		bad "systemd-analyze security: exposure above 3.5:"
		tail -n 40 "$tmp/security" | sed 's/^/    /'
	fi
else
	note "systemd-analyze security --offline not supported here; skipped"
fi

# --- 4. make install into a DESTDIR --------------------------------------------
case "$FZ_BUILD" in
build) mkflags= ;;
build-san) mkflags=SANITIZE=1 ;;
*) mkflags=none ;;
esac
if [ "$mkflags" = none ]; then
	note "FZ_BUILD=$FZ_BUILD is not a Makefile build directory; install check skipped"
elif ! make -s -q -C "$FZ_TOP" $mkflags all >/dev/null 2>&1; then
	note "build not up to date (run make first); install check skipped"
else
	dest="$tmp/dest"
	if make -s -C "$FZ_TOP" $mkflags install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
		missing=0
		for p in usr/local/sbin/firezone-gateway \
			usr/local/libexec/firezone/firezone-gateway-control \
			usr/local/share/man/man8/firezone-gateway.8 \
			usr/local/lib/systemd/system/firezone-gateway.service \
			usr/local/lib/sysusers.d/firezone-gateway.conf \
			usr/local/lib/tmpfiles.d/firezone-gateway.conf \
			usr/local/share/firezone-gateway/setup-host-network.sh; do
			[ -e "$dest/$p" ] || { bad "make install did not install /$p"; missing=1; }
		done
		[ "$missing" -eq 0 ] && ok "make install DESTDIR= installs binaries, man page and contrib files"
		if [ -f "$dest/usr/local/lib/systemd/system/firezone-gateway.service" ]; then
			mkdir -p "$tmp/unit2"
			sed "s|/usr/local/|$dest/usr/local/|g" \
				"$dest/usr/local/lib/systemd/system/firezone-gateway.service" \
				>"$tmp/unit2/firezone-gateway.service"
			verify "$tmp/unit2/firezone-gateway.service" "installed paths"
		fi
	else
		bad "make install DESTDIR=... failed:"
		sed 's/^/    /' "$tmp/install.log"
	fi
fi

# --- 5. sysusers.d and tmpfiles.d in a scratch root ---------------------------
root="$tmp/root"
mkdir -p "$root/etc"
if systemd-sysusers --root="$root" "$contrib/sysusers.conf" >"$tmp/sysusers.log" 2>&1; then
	uid_dp=$(awk -F: '$1 == "firezone-gateway" { print $3 }' "$root/etc/passwd")
	uid_ct=$(awk -F: '$1 == "firezone-control" { print $3 }' "$root/etc/passwd")
	gid_ct=$(awk -F: '$1 == "firezone-control" { print $4 }' "$root/etc/passwd")
	if [ -n "$uid_dp" ] && [ -n "$uid_ct" ] && [ "$uid_dp" != "$uid_ct" ]; then
		ok "sysusers.conf creates firezone-gateway ($uid_dp) and firezone-control ($uid_ct)"
	else
		bad "sysusers.conf did not create two distinct users:"
		sed 's/^/    /' "$root/etc/passwd"
	fi
	if systemd-tmpfiles --root="$root" --create "$contrib/tmpfiles.conf" >"$tmp/tmpfiles.log" 2>&1; then
		got=$(stat -c '%u:%g %a' "$root/var/lib/firezone" 2>/dev/null)
		if [ "$got" = "$uid_ct:$gid_ct 750" ]; then
			ok "tmpfiles.conf: /var/lib/firezone $got"
		else
			bad "tmpfiles.conf: /var/lib/firezone is '$got', want '$uid_ct:$gid_ct 750'"
		fi
		got=$(stat -c '%u:%g %a' "$root/etc/firezone" 2>/dev/null)
		if [ "$got" = "0:0 750" ]; then
			ok "tmpfiles.conf: /etc/firezone $got"
		else
			bad "tmpfiles.conf: /etc/firezone is '$got', want '0:0 750'"
		fi
	else
		bad "systemd-tmpfiles --create failed:"
		sed 's/^/    /' "$tmp/tmpfiles.log"
	fi
else
	bad "systemd-sysusers failed:"
	sed 's/^/    /' "$tmp/sysusers.log"
fi

# --- 6. setup-host-network.sh in network namespaces ---------------------------
# client ns:   cl0 100.64.0.2/24, fd00:2021:1111::2/64 (a Firezone client's
#              tunnel addresses), default route to the gateway
# gateway ns:  tun-firezone (veth to cl0) 100.64.0.1, fd00:2021:1111::1
#              eth-rs (veth to rs0) 10.99.0.1/24, fd01:99::1/64
# resource ns: rs0 10.99.0.2/24, fd01:99::2/64, no route back to the
#              tunnel networks; nft counters tell which source arrived.
ipn() { _n=$1; shift; ip -n "$_n" "$@"; }
inns() { _n=$1; shift; ip netns exec "$_n" "$@"; }

netns_up() {
	for ns in "$ns_gw" "$ns_cl" "$ns_rs"; do
		ip netns add "$ns" || return 1
		ipn "$ns" link set lo up
	done
	ipn "$ns_gw" link add tun-firezone type veth peer name cl0 netns "$ns_cl" || return 1
	ipn "$ns_gw" link add eth-rs type veth peer name rs0 netns "$ns_rs" || return 1
	ipn "$ns_gw" addr add 100.64.0.1/24 dev tun-firezone
	ipn "$ns_gw" addr add fd00:2021:1111::1/64 dev tun-firezone nodad
	ipn "$ns_gw" addr add 10.99.0.1/24 dev eth-rs
	ipn "$ns_gw" addr add fd01:99::1/64 dev eth-rs nodad
	ipn "$ns_cl" addr add 100.64.0.2/24 dev cl0
	ipn "$ns_cl" addr add fd00:2021:1111::2/64 dev cl0 nodad
	ipn "$ns_rs" addr add 10.99.0.2/24 dev rs0
	ipn "$ns_rs" addr add fd01:99::2/64 dev rs0 nodad
	for l in "$ns_gw tun-firezone" "$ns_gw eth-rs" "$ns_cl cl0" "$ns_rs rs0"; do
		set -- $l
		ipn "$1" link set "$2" up || return 1
	done
	ipn "$ns_cl" route add default via 100.64.0.1 || return 1
	ipn "$ns_cl" -6 route add default via fd00:2021:1111::1 || return 1
	inns "$ns_rs" nft -f - <<'EOF' || return 1
table inet fzct {
	counter masq4 { }
	counter raw4 { }
	counter masq6 { }
	counter raw6 { }
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr 10.99.0.1 udp dport 5555 counter name masq4
		ip saddr 100.64.0.2 udp dport 5555 counter name raw4
		ip6 saddr fd01:99::1 udp dport 5555 counter name masq6
		ip6 saddr fd00:2021:1111::2 udp dport 5555 counter name raw6
	}
}
EOF
}

# counter NAME: packets counted so far in the resource namespace.
counter() {
	inns "$ns_rs" nft list counter inet fzct "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# send FAMILY SPORT: one UDP datagram from the client to the resource.
send() {
	if [ "$1" = 4 ]; then _dst=10.99.0.2 _src=100.64.0.2 _af=AF_INET
	else _dst=fd01:99::2 _src=fd00:2021:1111::2 _af=AF_INET6; fi
	inns "$ns_cl" python3 -c "
import socket
s = socket.socket(socket.$_af, socket.SOCK_DGRAM)
s.bind(('$_src', $2))
s.sendto(b'firezone', ('$_dst', 5555))
"
}

# expect_arrival FAMILY SPORT masq|raw: send and wait until the packet is
# counted with the expected source.
expect_arrival() {
	want=$3$1
	before=$(counter "$want")
	send "$1" "$2" || { bad "could not send an IPv$1 datagram from the client"; return 1; }
	i=0
	while [ "$i" -lt 30 ]; do
		[ "$(counter "$want")" -gt "$before" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

check_sysctls() {
	for kv in net.ipv4.ip_forward=1 net.ipv4.conf.all.src_valid_mark=1 \
		net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.default.forwarding=1; do
		k=${kv%=*} v=${kv#*=}
		got=$(inns "$ns_gw" cat "/proc/sys/$(printf '%s' "$k" | tr . /)")
		[ "$got" = "$v" ] || bad "sysctl $k is $got after the script, want $v"
	done
}

# rules BACKEND: the script's firewall state in the gateway namespace, or
# nothing when there is none.
rules() {
	if [ "$1" = nft ]; then
		inns "$ns_gw" nft list table inet firezone-gateway 2>/dev/null
	else
		{ inns "$ns_gw" iptables-save; inns "$ns_gw" ip6tables-save; } 2>/dev/null |
			grep -e '--comment firezone-gateway'
	fi
}

run_backend() { # run_backend nft|iptables SPORTBASE
	be=$1 sp=$2
	if ! inns "$ns_gw" env FZ_NET_BACKEND="$be" "$script" >"$tmp/setup-$be.log" 2>&1; then
		bad "[$be] setup-host-network.sh failed:"
		sed 's/^/    /' "$tmp/setup-$be.log"
		return
	fi
	check_sysctls
	first=$(rules "$be")
	if [ -n "$first" ]; then ok "[$be] rules in place"; else bad "[$be] no rules after the script"; fi
	for net in 100.64.0.0/11 fd00:2021:1111::/107; do
		printf '%s\n' "$first" | grep -q "$net" || bad "[$be] no rule for $net"
	done
	if inns "$ns_gw" env FZ_NET_BACKEND="$be" "$script" >>"$tmp/setup-$be.log" 2>&1 &&
		[ "$(rules "$be")" = "$first" ]; then
		ok "[$be] a second run changes nothing"
	else
		bad "[$be] a second run failed or changed the rules:"
		rules "$be" | sed 's/^/    /'
	fi
	for fam in 4 6; do
		if expect_arrival "$fam" "$sp" masq; then
			ok "[$be] IPv$fam from a tunnel address reaches the resource masqueraded"
		else
			bad "[$be] IPv$fam datagram did not arrive masqueraded (masq=$(counter masq$fam) raw=$(counter raw$fam))"
		fi
	done
	if ! inns "$ns_gw" env FZ_NET_BACKEND="$be" "$script" --remove >"$tmp/remove-$be.log" 2>&1; then
		bad "[$be] --remove failed:"
		sed 's/^/    /' "$tmp/remove-$be.log"
	elif [ -n "$(rules "$be")" ]; then
		bad "[$be] rules left after --remove:"
		rules "$be" | sed 's/^/    /'
	else
		ok "[$be] --remove takes the rules away"
	fi
	if inns "$ns_gw" env FZ_NET_BACKEND="$be" "$script" --remove >>"$tmp/remove-$be.log" 2>&1; then
		ok "[$be] a second --remove succeeds"
	else
		bad "[$be] a second --remove failed"
	fi
	# New flows (new source port) are no longer translated.
	for fam in 4 6; do
		if expect_arrival "$fam" $((sp + 1)) raw; then
			ok "[$be] after --remove IPv$fam arrives with the tunnel address"
		else
			bad "[$be] after --remove IPv$fam did not arrive untranslated (masq=$(counter masq$fam) raw=$(counter raw$fam))"
		fi
	done
}

if netns_up; then
	ok "namespaces $ns_cl / $ns_gw / $ns_rs up"
	# Before the script: forwarding is off in a new namespace, nothing arrives.
	send 4 40000 2>/dev/null
	sleep 0.3
	[ "$(counter raw4)" -eq 0 ] && [ "$(counter masq4)" -eq 0 ] ||
		note "a packet was forwarded before the script ran (namespace defaults differ?)"
	run_backend nft 41000
	if command -v iptables >/dev/null 2>&1 && command -v iptables-save >/dev/null 2>&1; then
		run_backend iptables 42000
	else
		note "iptables not installed: the iptables fallback is not exercised"
	fi
	# No firewall tool at all: one clear line, non-zero, nothing changed.
	mkdir -p "$tmp/bin"
	for c in id; do ln -s "$(command -v $c)" "$tmp/bin/$c"; done
	out=$(inns "$ns_gw" env -u FZ_NET_BACKEND PATH="$tmp/bin" /bin/sh "$script" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q 'neither nft.*nor iptables'; then
		ok "without nft and iptables: exit $rc, \"$(printf '%s' "$out" | head -n 1)\""
	else
		bad "without nft and iptables: exit $rc, output: $out"
	fi
else
	bad "could not set up the network namespaces"
fi

if [ "$failures" -ne 0 ]; then
	echo "test_contrib: $failures check(s) failed"
	exit 1
fi
echo "test_contrib: all checks passed"
exit 0
