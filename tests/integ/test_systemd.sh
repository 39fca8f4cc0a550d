#!/bin/sh
# test_systemd.sh -- the Debian package under a real systemd (issue 16).
#
# A Debian 12 container (debootstrap --variant=minbase, cached as a tarball
# in build/rootfs-cache/ or $FZ_ROOTFS_CACHE) gets the package built by
# "make deb" (not "make install": the package's maintainer scripts, paths,
# conffile and compiled-in LIBEXECDIR are what operators get, so they are
# what is tested).  Then:
#
#   1. package: dpkg -i creates both users, /var/lib/firezone (0750,
#      firezone-control) and enables the unit;
#   2. boot (systemd-nspawn --boot) without a token: the unit is skipped by
#      its condition, neither failed nor restarting;
#   3. with the token and FIREZONE_API_URL set, "systemctl start" returns
#      once the unit is active (Type=notify); the gateway joins our portal
#      emulator; dataplane and control run as their users with their
#      capabilities and seccomp filters; /healthz, /readyz; journal lines in
#      the text and (after a restart with LOG_FORMAT=json) JSON formats;
#   4. control killed: the unit restarts the gateway and it joins again;
#   5. "systemctl stop": exit status 0, both processes and tun-firezone gone;
#   6. after the poweroff: an upgrade (the same package with a higher
#      version) keeps the gateway ID, the token and the edited conffile;
#      a purge removes /var/lib/firezone and the token, keeps the users.
#
# The container shares a network namespace made by this test with the
# emulator (127.0.0.1 only) and has /dev/net/tun bound in.  The host needs
# no systemd: the container is entered with nsenter, by PID.  Skipped (one
# line, exit 0) only when the host cannot run systemd-nspawn.
#
# environment: FZ_DEB_DIR (build/deb), FZ_ROOTFS_CACHE (build/rootfs-cache),
#              FZ_MIRROR (default: this machine's bookworm archive).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"
fz_need_root

skip() { echo "SKIP: test_systemd: $*"; rm -rf "$FZ_TMP"; exit 0; }

command -v systemd-nspawn >/dev/null 2>&1 || skip "systemd-nspawn missing (apt-get install systemd-container)"
command -v debootstrap >/dev/null 2>&1 || skip "debootstrap missing (apt-get install debootstrap)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun on this host"
[ -d /sys/fs/cgroup ] && [ -n "$(ls /sys/fs/cgroup 2>/dev/null)" ] || skip "no cgroup file system: systemd-nspawn --boot cannot run"

FZ_DEB_DIR=${FZ_DEB_DIR:-build/deb}
case "$FZ_DEB_DIR" in /*) debdir=$FZ_DEB_DIR ;; *) debdir="$FZ_TOP/$FZ_DEB_DIR" ;; esac
cache=${FZ_ROOTFS_CACHE:-$FZ_TOP/build/rootfs-cache}
# Big and on disk, not in a tmpfs /tmp.
work=$(mktemp -d /var/tmp/fz-systemd.XXXXXX) || fail "mktemp"
root="$work/root"
NSPAWN_PID=""
CPID=""

cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# SIGTERM asks nspawn to power the container off; then by force.
		kill "$NSPAWN_PID" 2>/dev/null
		fz_wait_gone "$NSPAWN_PID" 15 || kill -9 "$NSPAWN_PID" 2>/dev/null
		fz_wait_gone "$NSPAWN_PID" 5
	fi
	fz_cleanup
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the package ------------------------------------------------------------
version=$(sed -n 's/^VERSION *:= *//p' "$FZ_TOP/Makefile")
arch=$(dpkg --print-architecture)
deb="$debdir/firezone-gateway_${version}_${arch}.deb"
# Rebuilt only when a file of the tree is newer (contrib/build-deb.sh).
(cd "$FZ_TOP" && FZ_LINTIAN=0 sh contrib/build-deb.sh "$version" "$debdir") >"$work/deb.log" 2>&1 ||
	{ cat "$work/deb.log"; fail "make deb failed"; }
[ -f "$deb" ] || fail "no $deb"
ok "package $(basename "$deb")"

# The same package with a higher version, for the upgrade.
mkdir -p "$work/pkgs" "$work/repack"
cp "$deb" "$work/pkgs/fz-1.deb"
dpkg-deb -R "$deb" "$work/repack" || fail "dpkg-deb -R"
sed -i "s/^Version: .*/Version: ${version}+fztest1/" "$work/repack/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/repack" "$work/pkgs/fz-2.deb" >/dev/null || fail "dpkg-deb -b"
rm -rf "$work/repack"

# ---- the rootfs ---------------------------------------------------------------
# The archive this machine uses for bookworm (deb822 .sources or one-line).
mirror() {
	[ -n "${FZ_MIRROR:-}" ] && { echo "$FZ_MIRROR"; return; }
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{ u = ""; s = 0
		  for (i = 1; i <= NF; i++) {
			if ($i ~ /^URIs:/) { u = $i; sub(/^URIs: */, "", u); sub(/ .*/, "", u) }
			if ($i ~ /^Suites:/ && $i ~ /(^|[ :])bookworm( |$)/) s = 1
		  }
		  if (u != "" && s) { print u; exit } }' "$f"
	done
	cat /etc/apt/sources.list 2>/dev/null |
		awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }'
	echo http://deb.debian.org/debian
}
mirror_uri=$(mirror | head -n 1)
# Everything the package depends on comes with the rootfs: dpkg -i needs no
# network inside the container.
# debootstrap itself gets only the base (with all of the package's
# dependencies, its configuration step fails on dconf-service, pulled in by
# libnice10); apt-get installs the rest in a second step, in the right order.
include="systemd,systemd-sysv,dbus,iproute2"
pkgdeps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep . | sort -u | tr '\n' ' ')
key=$(printf '%s %s %s %s\n' bookworm "$mirror_uri" "$include" "$pkgdeps" | sha256sum | cut -c1-16)
tarball="$cache/bookworm-minbase-$key.tar"
mkdir -p "$cache" "$root"
if [ -f "$tarball" ]; then
	ok "rootfs from the cache ($tarball)"
else
	t0=$(date +%s)
	echo "debootstrap bookworm from $mirror_uri (cached afterwards in $cache)"
	debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror_uri" \
		>"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log"; fail "debootstrap failed"; }
	# The host's network for apt only here, while building the cache.
	systemd-nspawn -q -D "$root" --machine="fz-apt-$$" --register=no --keep-unit --console=pipe \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $pkgdeps" \
		>"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; fail "apt-get install of the package's dependencies failed"; }
	# Nothing of apt's downloads in the cache.
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages
	tar -C "$root" -cf "$tarball.$$" . && mv "$tarball.$$" "$tarball" || fail "cannot write $tarball"
	# Older caches of other package sets go.
	for f in "$cache"/bookworm-minbase-*.tar; do
		[ "$f" = "$tarball" ] || rm -f "$f"
	done
	ok "rootfs built and cached in $(( $(date +%s) - t0 ))s"
fi
if [ -z "$(ls "$root")" ]; then
	tar -C "$root" -xf "$tarball" || fail "cannot unpack $tarball"
fi

# in_root CMD...: one command in the (not booted) container, no network.
in_root() {
	systemd-nspawn -q -D "$root" --machine="fz-pkg-$$" --register=no --keep-unit \
		--private-network --console=pipe --bind-ro="$work/pkgs:/fz-pkgs" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
}

# A host that cannot run containers at all (no user or PID namespaces for
# root, a locked-down CI runner) is a reason to skip, not a failure.
if ! in_root /bin/true >"$work/probe.log" 2>&1; then
	why=$(head -n 1 "$work/probe.log")
	trap - EXIT
	cleanup
	skip "systemd-nspawn cannot run a container on this host: $why"
fi

# ---- 1. installation ------------------------------------------------------------
in_root dpkg -i /fz-pkgs/fz-1.deb >"$work/dpkg-i.log" 2>&1 ||
	{ cat "$work/dpkg-i.log"; fail "dpkg -i failed in the container"; }
ok "dpkg -i $(basename "$deb") in the container"
for u in firezone-gateway firezone-control; do
	grep -q "^$u:" "$root/etc/passwd" || fail "the package did not create the user $u"
done
uid_dp=$(awk -F: '$1 == "firezone-gateway" { print $3 }' "$root/etc/passwd")
uid_ct=$(awk -F: '$1 == "firezone-control" { print $3 }' "$root/etc/passwd")
ok "users firezone-gateway ($uid_dp) and firezone-control ($uid_ct) created"
got=$(stat -c '%u %a' "$root/var/lib/firezone")
[ "$got" = "$uid_ct 750" ] || fail "/var/lib/firezone is '$got', want '$uid_ct 750'"
got=$(stat -c '%u %a' "$root/etc/firezone")
[ "$got" = "0 750" ] || fail "/etc/firezone is '$got', want '0 750'"
[ -L "$root/etc/systemd/system/multi-user.target.wants/firezone-gateway.service" ] ||
	fail "the unit is not enabled after the installation"
grep -qx /etc/firezone/gateway.env "$root/var/lib/dpkg/info/firezone-gateway.conffiles" ||
	fail "/etc/firezone/gateway.env is not a conffile"
ok "/var/lib/firezone and /etc/firezone 0750, unit enabled, gateway.env a conffile"

# ---- 2. boot without a token ----------------------------------------------------------
fz_netns systemd
# /readyz wants a relay allocated: a coturn next to the emulator, named in
# the init pushed after every join.
coturn_start 127.0.0.1
emu_start portal --init "$(payload init relays="[$(relay_json 127.0.0.1:$TURN_PORT)]")"
emu_port=${EMU_URL##*:}
emu_port=${emu_port%%/*}
health_port=$(( 30000 + ($$ % 20000) ))

# incont CMD...: a command inside the booted container (all its namespaces).
incont() {
	timeout 120 nsenter -t "$CPID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_PAGER= "$@"
}
unit_prop() { incont systemctl show -p "$1" --value firezone-gateway; }

# The container has a network namespace of its own (ours), so its
# /proc/sys/net may be writable, as with --private-network:
# setup-host-network.sh sets the forwarding sysctls there.
SYSTEMD_NSPAWN_API_VFS_WRITABLE=network \
systemd-nspawn -D "$root" --machine="fz-boot-$$" --boot --register=no --keep-unit \
	--network-namespace-path="/run/netns/$FZ_NETNS" --capability=CAP_NET_ADMIN \
	--bind=/dev/net/tun --console=read-only >"$work/console.log" 2>&1 </dev/null &
NSPAWN_PID=$!
# The container's PID 1 is the child of nspawn that has become systemd
# (nspawn's first child forks it and exits; the host sees its comm).
i=0
while [ -z "$CPID" ]; do
	for c in $(cat "/proc/$NSPAWN_PID/task/$NSPAWN_PID/children" 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && CPID=$c
	done
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$NSPAWN_PID" 2>/dev/null; then
		tail -n 20 "$work/console.log"
		fail "systemd-nspawn --boot did not start systemd in a container"
	fi
	[ -n "$CPID" ] || sleep 0.1
done
# is-system-running --wait returns at the end of the boot: "running", or
# "degraded" (exit 1) when some unit of the minimal system failed.
# Early on, systemctl may not reach systemd yet: try again.
i=0
until incont systemctl is-system-running --wait >"$work/running" 2>&1 ||
	grep -qx degraded "$work/running"; do
	i=$((i + 1))
	if [ $i -gt 60 ]; then
		tail -n 20 "$work/console.log"; cat "$work/running"
		fail "the container's systemd did not finish booting"
	fi
	sleep 1
done
ok "container booted (systemd $(cat "$work/running"))"

st=$(unit_prop ActiveState)
cond=$(unit_prop ConditionResult)
[ "$st" = inactive ] && [ "$cond" = no ] ||
	fail "without a token the unit is '$st' (condition result '$cond'), want inactive, condition unmet"
[ "$(unit_prop NRestarts)" = 0 ] || fail "the unit restarted without a token"
ok "no token: the unit is enabled, skipped by its condition, not failed"

# ---- 3. start with a token ---------------------------------------------------------
umask 077
printf 'fz-systemd-test-token\n' >"$root/etc/firezone/gateway-token"
umask 022
env="$root/etc/firezone/gateway.env"
cat >>"$env" <<EOF
FIREZONE_API_URL=$EMU_URL
FIREZONE_NAME=systemd-test
HEALTH_CHECK_ADDR=127.0.0.1:$health_port
LOG_FORMAT=text
EOF
incont systemctl daemon-reload
t0=$(date +%s)
incont systemctl start firezone-gateway || {
	incont journalctl -u firezone-gateway --no-pager | tail -n 40
	fail "systemctl start failed"
}
[ "$(incont systemctl is-active firezone-gateway)" = active ] || fail "not active after systemctl start"
ok "systemctl start returned with the unit active (Type=notify) in $(( $(date +%s) - t0 ))s"
emu wait phx_join 20 >/dev/null || fail "the gateway did not join the portal emulator"
ok "the gateway joined the portal emulator ($EMU_URL); unit status: $(unit_prop StatusText)"

# procs: "DATAPLANE CONTROL", PIDs as the container sees them.
procs() {
	_m=$(unit_prop MainPID)
	_c=$(incont cat "/proc/$_m/task/$_m/children" 2>/dev/null | awk '{ print $1 }')
	echo "$_m $_c"
}
field() { incont awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status"; }
uids() { incont awk '$1 == "Uid:" { print $2, $3, $4, $5; exit }' "/proc/$1/status"; }
check_procs() { # check_procs LABEL: users, capabilities, seccomp of both
	set -- $(procs)
	[ $# -eq 2 ] || fail "$LABEL: want the dataplane and one control process, got '$*'"
	DPID=$1 CTLPID=$2
	[ "$(incont cat /proc/$DPID/comm)" = firezone-gatewa ] || fail "MainPID $DPID is $(incont cat /proc/$DPID/comm)"
	[ "$(incont cat /proc/$CTLPID/comm)" = firezone-gatewa ] || fail "control $CTLPID is $(incont cat /proc/$CTLPID/comm)"
	# Uid: real, effective, saved, fs.  The dataplane's real UID is the
	# control user's (what lets it signal control without CAP_KILL).
	[ "$(uids $DPID)" = "$uid_ct $uid_dp $uid_dp $uid_dp" ] ||
		fail "dataplane UIDs $(uids $DPID), want $uid_ct $uid_dp $uid_dp $uid_dp"
	[ "$(uids $CTLPID)" = "$uid_ct $uid_ct $uid_ct $uid_ct" ] ||
		fail "control UIDs $(uids $CTLPID), want $uid_ct everywhere"
	[ "$(field $DPID CapEff)" = 0000000000001000 ] || fail "dataplane CapEff $(field $DPID CapEff), want CAP_NET_ADMIN only"
	[ "$(field $CTLPID CapEff)" = 0000000000000000 ] || fail "control CapEff $(field $CTLPID CapEff), want none"
	[ "$(field $CTLPID CapBnd)" = 0000000000000000 ] || fail "control CapBnd $(field $CTLPID CapBnd), want none"
	for p in $DPID $CTLPID; do
		[ "$(field $p Seccomp)" = 2 ] || fail "pid $p: Seccomp $(field $p Seccomp), want 2"
		[ "$(field $p NoNewPrivs)" = 1 ] || fail "pid $p: NoNewPrivs $(field $p NoNewPrivs), want 1"
	done
	ok "$LABEL: dataplane $DPID (firezone-gateway, CAP_NET_ADMIN), control $CTLPID (firezone-control, no capability), both Seccomp: 2"
}
LABEL=started check_procs
ip -n "$FZ_NETNS" link show tun-firezone >/dev/null 2>&1 || fail "no tun-firezone while running"

wait_code() { # wait_code PATH CODE
	_i=0
	while [ "$(http_code "http://127.0.0.1:$health_port$1")" != "$2" ]; do
		_i=$((_i + 1))
		[ $_i -gt 50 ] && fail "GET $1: $(http_code "http://127.0.0.1:$health_port$1"), want $2"
		sleep 0.2
	done
}
wait_code /healthz 200
wait_code /readyz 200
ok "/healthz 200, /readyz 200 (portal joined, relay allocated on coturn)"

journal() { incont journalctl -u firezone-gateway -o cat --no-pager "$@"; }
journal >"$work/journal.text"
grep -Eq '^(dataplane|control)\[[0-9]+\]: info: ' "$work/journal.text" ||
	{ cat "$work/journal.text"; fail "journalctl -u shows no text-format lines of the gateway"; }
ok "journalctl -u: text lines, e.g. \"$(grep -E '^control\[[0-9]+\]: info: ' "$work/journal.text" | head -n 1)\""

sed -i 's/^LOG_FORMAT=text$/LOG_FORMAT=json/' "$env"
joins=$(grep -c '"event":"phx_join"' "$EMU_LOG")
cursor=$(incont journalctl -u firezone-gateway -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')
incont systemctl restart firezone-gateway || fail "systemctl restart failed"
i=0
while [ "$(grep -c '"event":"phx_join"' "$EMU_LOG")" -le "$joins" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no join after the restart"; sleep 0.2
done
journal --after-cursor="$cursor" >"$work/journal.json"
python3 - "$work/journal.json" <<'PY' || { cat "$work/journal.json"; fail "journalctl -u: no JSON lines after LOG_FORMAT=json"; }
import json, sys
n = 0
for line in open(sys.argv[1]):
    if line.startswith("{"):
        o = json.loads(line)
        assert {"ts", "level", "process", "pid", "msg"} <= o.keys(), o
        n += 1
sys.exit(0 if n else 1)
PY
ok "journalctl -u: JSON lines after a restart with LOG_FORMAT=json, e.g. $(grep '^{' "$work/journal.json" | head -n 1)"

# ---- 4. control killed: systemd restarts the gateway --------------------------------
LABEL=before-kill check_procs
old_dp=$DPID
joins=$(grep -c '"event":"phx_join"' "$EMU_LOG")
restarts=$(unit_prop NRestarts)
incont sh -c "kill -9 $CTLPID" || fail "cannot kill control ($CTLPID)"
i=0
while :; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "the unit did not restart after control was killed (NRestarts $(unit_prop NRestarts), $(unit_prop ActiveState))"
	[ "$(unit_prop NRestarts)" -gt "$restarts" ] && [ "$(unit_prop ActiveState)" = active ] &&
		[ "$(grep -c '"event":"phx_join"' "$EMU_LOG")" -gt "$joins" ] && break
	sleep 0.2
done
LABEL=restarted check_procs
[ "$DPID" != "$old_dp" ] || fail "the dataplane survived the death of control"
ok "control killed: the unit restarted (NRestarts $(unit_prop NRestarts)) and joined again"

# ---- 5. stop ----------------------------------------------------------------------------
incont systemctl stop firezone-gateway || fail "systemctl stop failed"
res=$(unit_prop Result)
code=$(unit_prop ExecMainStatus)
[ "$res" = success ] && [ "$code" = 0 ] || fail "after systemctl stop: Result=$res ExecMainStatus=$code"
for p in $DPID $CTLPID; do
	incont test -e "/proc/$p" && fail "pid $p still there after the stop"
done
if ip -n "$FZ_NETNS" link show tun-firezone >/dev/null 2>&1; then fail "tun-firezone left after the stop"; fi
ok "systemctl stop: exit status 0, both processes and tun-firezone gone"

gwid=$(cat "$root/var/lib/firezone/gateway_id" 2>/dev/null)
[ -n "$gwid" ] || fail "no /var/lib/firezone/gateway_id after a run"
incont systemctl poweroff
fz_wait_gone "$NSPAWN_PID" 30 || fail "the container did not power off"
wait "$NSPAWN_PID" 2>/dev/null
NSPAWN_PID=""
ok "container powered off"

# ---- 6. upgrade and purge --------------------------------------------------------------
token=$(cat "$root/etc/firezone/gateway-token")
in_root dpkg -i /fz-pkgs/fz-2.deb >"$work/dpkg-up.log" 2>&1 ||
	{ cat "$work/dpkg-up.log"; fail "the upgrade failed"; }
got=$(in_root dpkg-query -W -f='${Version}' firezone-gateway 2>>"$work/dpkg-up.log")
[ "$got" = "${version}+fztest1" ] || fail "version after the upgrade: $got"
[ "$(cat "$root/var/lib/firezone/gateway_id")" = "$gwid" ] || fail "the upgrade changed the gateway ID"
[ "$(cat "$root/etc/firezone/gateway-token")" = "$token" ] || fail "the upgrade changed the token"
grep -q "^FIREZONE_NAME=systemd-test$" "$env" || fail "the upgrade lost the edits of gateway.env"
ok "upgrade to ${version}+fztest1 keeps the gateway ID ($gwid), the token and gateway.env"

in_root dpkg --purge firezone-gateway >"$work/dpkg-purge.log" 2>&1 ||
	{ cat "$work/dpkg-purge.log"; fail "dpkg --purge failed"; }
[ -e "$root/var/lib/firezone" ] && fail "/var/lib/firezone left after the purge"
[ -e "$root/etc/firezone/gateway-token" ] && fail "the token left after the purge"
[ -e "$root/etc/firezone/gateway.env" ] && fail "gateway.env left after the purge"
[ -e "$root/etc/systemd/system/multi-user.target.wants/firezone-gateway.service" ] &&
	fail "the unit's enablement left after the purge"
grep -q '^firezone-gateway:' "$root/etc/passwd" || fail "the purge removed the user firezone-gateway"
ok "purge removes /var/lib/firezone, the token and the enablement; the system users stay (Debian practice)"

echo "test_systemd: all checks passed"
exit 0
