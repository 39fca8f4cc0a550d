#!/bin/sh
# Fetch a Debian release's wireguard-go package into a private directory
# (issue 20): Debian 13 (trixie)'s build has wireguard-go's TUN TSO/GRO and UDP
# GSO/GRO work (2023), the peer make bench compares against.  It is a static
# binary (libc only), so it runs on Debian 12 unchanged.
#
# The system's apt state, sources and cache are never touched: apt runs with
# its own state, cache and sources list under DIR, built from this machine's
# sources (/etc/apt/sources.list and sources.list.d/*.list and *.sources):
# every entry of the running release's suites (e.g. bookworm,
# bookworm-updates, bookworm-security) with the same URIs, components and
# Signed-By, the suite renamed to SUITE.  The package is extracted with
# dpkg-deb -x into DIR/root.  A second run finds DIR/root and downloads
# nothing.
#
# usage: tests/bench/fetch_peer.sh DIR [SUITE]   (root; SUITE trixie)
# Prints the path of the binary on stdout and its Debian version in
# DIR/version; exits 1 (with the reason on stderr) when it cannot fetch.
set -eu
DIR=${1:?usage: fetch_peer.sh DIR [SUITE]}
SUITE=${2:-trixie}
PKG=wireguard-go
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
BIN="$DIR/root/usr/bin/wireguard-go"

if [ -x "$BIN" ] && [ -s "$DIR/version" ]; then
	echo "$BIN"
	exit 0
fi
say() { echo "fetch_peer: $*" >&2; }
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
	say "apt-get or dpkg-deb missing"
	exit 1
fi
CUR=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$CUR" ] || { say "no VERSION_CODENAME in /etc/os-release"; exit 1; }
ARCH=$(dpkg --print-architecture)

rm -rf "$DIR/apt" "$DIR/root"
mkdir -p "$DIR/apt/state/lists/partial" "$DIR/apt/cache/archives/partial" "$DIR/root"
LIST="$DIR/apt/sources.list"

# One-line "deb [opts] URI SUITE COMP..." entries and deb822 stanzas whose
# suite is CUR or CUR-*, rewritten to SUITE / SUITE-*.
{
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v cur="$CUR" -v new="$SUITE" '
		$1 == "deb" {
			i = 2; opts = ""
			if ($2 ~ /^\[/) { while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) break; i++ }; i++ }
			uri = $i; suite = $(i + 1)
			if (suite != cur && index(suite, cur "-") != 1) next
			sub("^" cur, new, suite)
			line = "deb" opts " " uri " " suite
			for (j = i + 2; j <= NF; j++) line = line " " $j
			print line
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v cur="$CUR" -v new="$SUITE" '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "") {
				n = split(suites, s, " ")
				for (k = 1; k <= n; k++) {
					if (s[k] != cur && index(s[k], cur "-") != 1) continue
					ns = s[k]; sub("^" cur, new, ns)
					m = split(uris, u, " ")
					for (j = 1; j <= m; j++)
						print "deb" (signed != "" ? " [signed-by=" signed "]" : "") " " u[j] " " ns " " comps
				}
			}
			types = uris = suites = comps = signed = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = $1; sub(":$", "", key); $1 = ""; sub(/^ +/, ""); v = $0
			if (key == "Types") types = v
			else if (key == "URIs") uris = v
			else if (key == "Suites") suites = v
			else if (key == "Components") comps = v
			else if (key == "Signed-By") signed = v
			else if (key == "Enabled" && v == "no") types = ""
		}
		END { flush() }' "$f"
	done
} >"$LIST"
[ -s "$LIST" ] || { say "no $CUR entries in this machine's apt sources to rewrite to $SUITE"; exit 1; }

# Private state, cache and sources; the system's preferences (pins for other
# repositories) are left out; downloads run as root into DIR.
set -- -q -o "Dir::State=$DIR/apt/state" -o "Dir::State::status=/dev/null" \
	-o "Dir::Cache=$DIR/apt/cache" -o "Dir::Etc::SourceList=$LIST" \
	-o "Dir::Etc::SourceParts=/dev/null" -o "Dir::Etc::Preferences=/dev/null" \
	-o "Dir::Etc::PreferencesParts=/dev/null" -o "APT::Architectures=$ARCH" \
	-o "APT::Sandbox::User=root" -o "Acquire::Languages=none"
if ! apt-get "$@" update >"$DIR/apt/update.log" 2>&1; then
	say "apt-get update ($SUITE) failed:"
	tail -n 5 "$DIR/apt/update.log" >&2
	exit 1
fi
VER=$(apt-cache "$@" policy "$PKG" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$VER" ] || [ "$VER" = "(none)" ]; then
	# apt-get update exits 0 when an index could not be fetched.
	say "$PKG not found in $SUITE; apt-get update said:"
	grep -E '^(Err|E|W):' "$DIR/apt/update.log" | head -n 4 >&2
	exit 1
fi
if ! (cd "$DIR" && apt-get "$@" download "$PKG=$VER" >"$DIR/apt/download.log" 2>&1); then
	say "apt-get download $PKG=$VER failed:"
	tail -n 5 "$DIR/apt/download.log" >&2
	exit 1
fi
DEB=$(ls "$DIR"/"${PKG}"_*.deb 2>/dev/null | tail -n 1)
[ -n "$DEB" ] || { say "no .deb after apt-get download"; exit 1; }
dpkg-deb -x "$DEB" "$DIR/root" || { say "dpkg-deb -x $DEB failed"; exit 1; }
[ -x "$BIN" ] || { say "$DEB has no usr/bin/wireguard-go"; exit 1; }
"$BIN" --version >/dev/null 2>&1 || { say "$BIN does not run here"; exit 1; }
# The package lists are large and only needed once.
rm -rf "$DIR/apt/state/lists" "$DIR/apt/cache"
echo "$VER" >"$DIR/version"
echo "$BIN"
