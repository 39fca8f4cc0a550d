#!/bin/sh
# test_man.sh -- the manual page lints clean and documents every option.
#
# 1. "mandoc -Tlint -W warning man/firezone-gateway.8" prints nothing and
#    exits 0.
# 2. If the dataplane binary is built ($FZ_TOP/$FZ_BUILD/firezone-gateway):
#    every long option that "firezone-gateway --help" prints is documented
#    in the man page (as ".Fl -option"), and every long option in the man
#    page's OPTIONS section is printed by --help.  So the two cannot drift.
#
# FZ_TOP (repository root) and FZ_BUILD (build directory, relative to
# FZ_TOP) come from tests/integ/run-all.sh; alone, the script finds them.
set -u

here=$(cd "$(dirname "$0")" && pwd)
FZ_TOP=${FZ_TOP:-$(cd "$here/../.." && pwd)}
FZ_BUILD=${FZ_BUILD:-build}
page="$FZ_TOP/man/firezone-gateway.8"
bin="$FZ_TOP/$FZ_BUILD/firezone-gateway"

failures=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

[ -f "$page" ] || { echo "FAIL: $page does not exist"; exit 1; }

# --- 1. lint -----------------------------------------------------------------
if ! command -v mandoc >/dev/null 2>&1; then
	echo "FAIL: mandoc is not installed (Debian package mandoc; contrib/deps.sh test installs it)"
	exit 1
fi
out=$(mandoc -Tlint -W warning "$page" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
	ok "mandoc -Tlint -W warning is clean"
else
	bad "mandoc -Tlint -W warning (exit $rc):"
	printf '%s\n' "$out" | sed 's/^/    /'
fi
# It must also render to something non-trivial.
lines=$(mandoc -Tascii "$page" 2>/dev/null | wc -l)
if [ "$lines" -gt 100 ]; then
	ok "renders ($lines lines)"
else
	bad "mandoc -Tascii rendered only $lines lines"
fi

# --- 2. options in --help vs. the man page -----------------------------------
if [ ! -x "$bin" ]; then
	echo "note: $bin is not built; option cross-check skipped"
else
	tmp=$(mktemp -d) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	# --help must not need privileges, a token or the network.
	"$bin" --help >"$tmp/help" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad "firezone-gateway --help exited $rc"
		sed 's/^/    /' "$tmp/help"
	fi
	grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help" | sort -u >"$tmp/help-opts"
	if [ ! -s "$tmp/help-opts" ]; then
		bad "firezone-gateway --help printed no long option"
	fi
	# Long options of the OPTIONS section of the page: ".Fl -name".
	sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$page" |
		grep -o 'Fl -[a-z][a-z0-9-]*' | sed 's/^Fl -/--/' | sort -u >"$tmp/man-opts"
	n=0
	while read -r opt; do
		n=$((n + 1))
		if grep -Eq "Fl ${opt#-}([^a-z0-9-]|\$)" "$page"; then
			:
		else
			bad "option $opt is printed by --help but not documented in man/firezone-gateway.8"
		fi
	done <"$tmp/help-opts"
	[ "$n" -gt 0 ] && ok "$n long options of --help checked against the man page"
	while read -r opt; do
		if ! grep -qx -- "$opt" "$tmp/help-opts"; then
			bad "option $opt is documented in the man page's OPTIONS but not printed by --help"
		fi
	done <"$tmp/man-opts"
	ok "$(wc -l <"$tmp/man-opts") long options of the man page checked against --help"
fi

if [ "$failures" -ne 0 ]; then
	echo "test_man: $failures check(s) failed"
	exit 1
fi
echo "test_man: all checks passed"
exit 0
