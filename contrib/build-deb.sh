#!/bin/sh
# build-deb.sh -- build the Debian package firezone-gateway_VERSION_ARCH.deb
# (make deb).
#
# The package is built with dpkg-buildpackage from a copy of the source tree
# in OUTDIR/src, so that its clean step and its own compile flags (the
# package's LIBEXECDIR is compiled into the dataplane) never mix with a
# developer's build/.  The .deb (and its -dbgsym .deb, .buildinfo,
# .changes) land in OUTDIR.  Nothing is rebuilt when no file of the tree is
# newer than the .deb.  Then lintian checks the .deb (every time): an error fails the
# build; the warnings we accept are overridden, with the reason, in
# debian/firezone-gateway.lintian-overrides.
#
# usage: contrib/build-deb.sh VERSION OUTDIR
# environment: FZ_LINTIAN=0 skips lintian; DEB_BUILD_OPTIONS as usual
#              (default parallel=2).
set -eu

version=$1
out=$2
top=$(pwd)
[ -f "$top/debian/changelog" ] || { echo "build-deb: run from the top of the repository" >&2; exit 2; }

# The package version is the Makefile's VERSION: debian/changelog must agree
# (a native package, no Debian revision).
cl=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$cl" != "$version" ]; then
	echo "build-deb: debian/changelog is at $cl but the Makefile's VERSION is $version;" >&2
	echo "build-deb: add a changelog entry: dch -v $version" >&2
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="$out/firezone-gateway_${version}_${arch}.deb"

# Source files (everything but build products and git's own files), with
# find's further tests: tree_files -newer FILE.
tree_files() {
	find . \( -path ./.git -o -name 'build' -o -name 'build-*' \) -prune -o -type f "$@" -print
}

mkdir -p "$out"
if [ -f "$deb" ] && [ -z "$(tree_files -newer "$deb" | head -n 1)" ]; then
	echo "build-deb: $deb is up to date"
else
	rm -rf "$out/src"
	mkdir -p "$out/src"
	tree_files | tar -cf - -T - | tar -xf - -C "$out/src"
	echo "build-deb: dpkg-buildpackage -us -uc -b in $out/src"
	(cd "$out/src" &&
		DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2} dpkg-buildpackage -us -uc -b) \
		>"$out/build.log" 2>&1 || {
		tail -n 60 "$out/build.log" >&2
		echo "build-deb: dpkg-buildpackage failed; full log: $out/build.log" >&2
		exit 1
	}
	[ -f "$deb" ] || { echo "build-deb: dpkg-buildpackage made no $deb" >&2; exit 1; }
	rm -rf "$out/src"
fi
if [ "${FZ_LINTIAN:-1}" != 0 ]; then
	echo "build-deb: lintian $deb"
	# Exit status 1 only for errors (the default --fail-on=error).
	rc=0
	lintian --display-info "$deb" >"$out/lintian.log" 2>&1 || rc=$?
	cat "$out/lintian.log"
	if [ "$rc" -ne 0 ]; then
		echo "build-deb: lintian reports errors (above)" >&2
		rm -f "$deb"
		exit 1
	fi
fi
echo "build-deb: $deb"
