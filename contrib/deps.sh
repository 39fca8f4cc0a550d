#!/bin/sh
# Install the Debian packages a build (and, with "test", the test suites) needs.
# As root: installs what is missing with apt-get. Not root: names what is
# missing and the command that installs it, and fails.
#
# usage: contrib/deps.sh build|test|demo|bench|deb|systemd-test|soak
set -eu

build_pkgs="gcc make pkg-config libevent-dev libssl-dev libnice-dev libjson-c-dev libcap-ng-dev libseccomp-dev"
test_pkgs="check python3-cryptography clang libclang-rt-14-dev openssl curl libcap2-bin util-linux systemd iptables iproute2 coturn wireguard-go wireguard-tools python3 python3-websockets iperf3 nftables mandoc procps psmisc"
# bench: perf for the profiles; apt, dpkg and the archive keyring (it has
# Debian 13's keys) fetch Debian 13's wireguard-go (tests/bench/fetch_peer.sh).
bench_pkgs="linux-perf debian-archive-keyring dpkg apt"
# make deb: debhelper and dpkg-dev build the package, lintian checks it.
deb_pkgs="debhelper dpkg-dev fakeroot lintian"
# The systemd boot test (tests/integ/test_systemd.sh, also in make check):
# a Debian 12 rootfs (debootstrap) booted with systemd-nspawn.
systemd_pkgs="debootstrap systemd-container python3 python3-websockets curl"
# make soak: the plot of docs/reliability.md (the smoke run draws none).
soak_pkgs="gnuplot-nox"

case "${1:-build}" in
build) want="$build_pkgs" ;;
test) want="$build_pkgs $test_pkgs $deb_pkgs $systemd_pkgs" ;;
demo) want="$build_pkgs $test_pkgs" ;;
bench) want="$build_pkgs $test_pkgs $bench_pkgs" ;;
deb) want="$build_pkgs $deb_pkgs" ;;
systemd-test) want="$build_pkgs $deb_pkgs $systemd_pkgs" ;;
soak) want="$build_pkgs $test_pkgs $soak_pkgs" ;;
*) echo "usage: $0 build|test|demo|bench|deb|systemd-test|soak" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them as root with: apt-get install -y$missing" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# An update first: a fresh machine may have no package lists at all.
apt-get update -qq >/dev/null || apt-get update
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# coturn's package enables and starts a system service on some hosts;
# the tests start their own instance, so stop the packaged one quietly.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now coturn >/dev/null 2>&1 || true
fi
