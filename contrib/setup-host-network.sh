#!/bin/sh
# setup-host-network.sh -- prepare the host's network for firezone-gateway(8).
#
# The gateway forwards packets between its TUN device (tun-firezone) and the
# resources' networks.  The binary itself changes neither kernel settings nor
# the firewall; this script does, as root, before the gateway starts (the
# systemd unit runs it as ExecStartPre=+...).  It:
#
#   1. sets the forwarding sysctls (IPv6 ones skipped when IPv6 is absent):
#        net.ipv4.ip_forward=1             net.ipv4.conf.all.src_valid_mark=1
#        net.ipv6.conf.all.disable_ipv6=0  net.ipv6.conf.all.forwarding=1
#        net.ipv6.conf.default.forwarding=1
#   2. accepts forwarded traffic to and from tun-firezone and masquerades the
#      clients' tunnel addresses (100.64.0.0/11, fd00:2021:1111::/107) on
#      every interface other than tun-firezone:
#        - nftables when nft(8) exists: one table "inet firezone-gateway",
#          replaced atomically on every run;
#        - else iptables(8) / ip6tables(8): rules tagged with the comment
#          "firezone-gateway", each checked before it is appended.
#
# Running it again changes nothing.  --remove deletes the table or the rules
# (the sysctls are left alone: other software may rely on forwarding).
#
# A firewall that drops forwarded packets in another table or chain (an nft
# table of its own, a DROP policy in iptables' FORWARD chain, ...) still
# wins: allow tun-firezone there too.
#
# usage: setup-host-network.sh [--remove] [--help]
# environment: FZ_NET_BACKEND=nft|iptables forces a backend (default: auto).
set -eu

me=setup-host-network
TUN=tun-firezone
V4_NET=100.64.0.0/11
V6_NET=fd00:2021:1111::/107
TABLE=firezone-gateway
TAG=firezone-gateway

say() { printf '%s: %s\n' "$me" "$*"; }
die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 1; }

usage() {
	cat <<EOF
usage: $me [--remove] [--help]

Sets the IP forwarding sysctls and adds forwarding and masquerade rules for
the Firezone gateway's TUN device ($TUN, tunnel networks $V4_NET and
$V6_NET), with nftables (table inet $TABLE) or, without nft, iptables and
ip6tables.  Idempotent.

  --remove   delete the forwarding and masquerade rules again (the sysctls
             are left as they are)
  --help     show this text

Environment: FZ_NET_BACKEND=nft|iptables forces a backend (default: auto).
EOF
}

action=add
for arg in "$@"; do
	case "$arg" in
	--remove) action=remove ;;
	-h|--help) usage; exit 0 ;;
	*) printf '%s: error: unknown argument: %s\n' "$me" "$arg" >&2
	   usage >&2; exit 2 ;;
	esac
done

have() { command -v "$1" >/dev/null 2>&1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it changes sysctls and the firewall)"

# Pick the backend before touching anything, so a host without any firewall
# tool gets one clear line and no half-done setup.
backend=${FZ_NET_BACKEND:-auto}
case "$backend" in
auto)
	if have nft; then backend=nft
	elif have iptables; then backend=iptables
	else die "neither nft (nftables) nor iptables is installed; install one of them (Debian: apt-get install nftables)"
	fi ;;
nft) have nft || die "FZ_NET_BACKEND=nft but nft is not installed" ;;
iptables) have iptables || die "FZ_NET_BACKEND=iptables but iptables is not installed" ;;
*) die "FZ_NET_BACKEND must be nft or iptables, not '$backend'" ;;
esac

ipv6=yes
[ -d /proc/sys/net/ipv6 ] || ipv6=no

# set_sysctl KEY VALUE: write /proc/sys directly (no dependency on procps).
set_sysctl() {
	f=/proc/sys/$(printf '%s' "$1" | tr . /)
	[ -e "$f" ] || die "sysctl $1 does not exist on this kernel"
	cur=$(cat "$f")
	if [ "$cur" = "$2" ]; then
		say "sysctl $1 = $2 (already)"
	else
		printf '%s\n' "$2" >"$f" || die "cannot set sysctl $1 = $2"
		say "sysctl $1 = $2 (was $cur)"
	fi
}

apply_sysctls() {
	set_sysctl net.ipv4.ip_forward 1
	set_sysctl net.ipv4.conf.all.src_valid_mark 1
	if [ "$ipv6" = yes ]; then
		set_sysctl net.ipv6.conf.all.disable_ipv6 0
		set_sysctl net.ipv6.conf.all.forwarding 1
		set_sysctl net.ipv6.conf.default.forwarding 1
	else
		say "IPv6 is not available in this kernel; skipping the IPv6 sysctls"
	fi
}

# --- nftables ---------------------------------------------------------------

nft_add() {
	# "table X; delete table X; table X {...}" in one transaction: creates
	# the table if missing, then replaces its whole content atomically.
	nft -f - <<EOF || die "nft could not load table inet $TABLE"
table inet $TABLE
delete table inet $TABLE
table inet $TABLE {
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "$TUN" accept
		oifname "$TUN" accept
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $V4_NET oifname != "$TUN" masquerade
		ip6 saddr $V6_NET oifname != "$TUN" masquerade
	}
}
EOF
	say "nftables: table inet $TABLE in place (forward $TUN, masquerade $V4_NET and $V6_NET)"
}

nft_remove() {
	if nft list table inet "$TABLE" >/dev/null 2>&1; then
		nft delete table inet "$TABLE" || die "nft could not delete table inet $TABLE"
		say "nftables: table inet $TABLE removed"
	else
		say "nftables: table inet $TABLE not present; nothing to remove"
	fi
}

# --- iptables / ip6tables ---------------------------------------------------

# ipt_rule CMD add|remove TABLE CHAIN RULE...
ipt_rule() {
	cmd=$1 op=$2 tbl=$3 chain=$4
	shift 4
	if [ "$op" = add ]; then
		if "$cmd" -w -t "$tbl" -C "$chain" "$@" -m comment --comment "$TAG" 2>/dev/null; then
			say "$cmd: -t $tbl $chain $* (already)"
		else
			"$cmd" -w -t "$tbl" -A "$chain" "$@" -m comment --comment "$TAG" ||
				die "$cmd could not add: -t $tbl -A $chain $*"
			say "$cmd: -t $tbl $chain $* (added)"
		fi
	else
		n=0
		while "$cmd" -w -t "$tbl" -C "$chain" "$@" -m comment --comment "$TAG" 2>/dev/null; do
			"$cmd" -w -t "$tbl" -D "$chain" "$@" -m comment --comment "$TAG" ||
				die "$cmd could not delete: -t $tbl -D $chain $*"
			n=$((n + 1))
		done
		say "$cmd: -t $tbl $chain $* (removed $n)"
	fi
}

ipt_family() {
	cmd=$1 op=$2 net=$3
	ipt_rule "$cmd" "$op" filter FORWARD -i "$TUN" -j ACCEPT
	ipt_rule "$cmd" "$op" filter FORWARD -o "$TUN" -j ACCEPT
	ipt_rule "$cmd" "$op" nat POSTROUTING -s "$net" ! -o "$TUN" -j MASQUERADE
}

ipt_all() {
	ipt_family iptables "$1" "$V4_NET"
	if [ "$ipv6" = no ]; then
		say "IPv6 is not available in this kernel; skipping ip6tables"
	elif have ip6tables; then
		ipt_family ip6tables "$1" "$V6_NET"
	else
		say "warning: ip6tables is not installed; IPv6 traffic of clients will not be masqueraded"
	fi
}

# --- main -------------------------------------------------------------------

if [ "$action" = add ]; then
	apply_sysctls
	case "$backend" in
	nft) nft_add ;;
	iptables) ipt_all add ;;
	esac
	say "host network ready for $TUN"
else
	case "$backend" in
	nft) nft_remove ;;
	iptables) ipt_all remove ;;
	esac
	say "forwarding and masquerade rules for $TUN removed (sysctls unchanged)"
fi
