#!/bin/sh
# Run libFuzzer targets: first every kept crash input (regressions), then
# fuzzing from the seeds for FZ_FUZZ_SECONDS each.  Nothing in the source
# tree is written: new corpus entries go to a scratch copy, and the input of
# a failing target is kept in $FB/crashes/<name>/ (build-fuzz/ by default).
# Prints one PASS/FAIL line per target and "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
FB=${FB:-build-fuzz}
secs=${FZ_FUZZ_SECONDS:-60}
pass=0
fail=0
work=$(mktemp -d /tmp/fz-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
for t in "$@"; do
	bin="$FB/fuzz_$t"
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	[ -d "$here/corpus/$t" ] && cp -r "$here/corpus/$t/." "$work/$t/corpus/" 2>/dev/null
	ok=1
	if [ -d "$here/regress/$t" ] && [ -n "$(ls -A "$here/regress/$t" 2>/dev/null)" ]; then
		"$bin" -runs=0 "$here/regress/$t"/* >"$work/$t/regress.log" 2>&1 || ok=0
	fi
	if [ $ok -eq 1 ]; then
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
			-artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$work/$t/fuzz.log" 2>&1 || ok=0
	fi
	if [ $ok -eq 1 ]; then
		echo "PASS: fuzz_$t ($secs s, $(grep -o 'DONE.*' "$work/$t/fuzz.log" | head -n 1))"
		pass=$((pass + 1))
	else
		echo "FAIL: fuzz_$t; last lines:"
		tail -n 30 "$work/$t/regress.log" "$work/$t/fuzz.log" 2>/dev/null | sed 's/^/    /'
		for a in "$work/$t/artifacts"/*; do
			[ -f "$a" ] || continue
			mkdir -p "$FB/crashes/$t"
			cp "$a" "$FB/crashes/$t/" && echo "    kept $(basename "$a") in $FB/crashes/$t/"
		done
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
