#!/bin/sh
# Run every integration test tests/integ/test_*.sh in order and print a
# PASS/FAIL line per test and a closing "N passed, N failed" line.
# Each test exits 0 on success; anything else is a failure.  Output of a
# failing test is shown; output of a passing one is kept in $FZ_BUILD/integ/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
FZ_BUILD=${FZ_BUILD:-build}
export FZ_TOP="$top" FZ_BUILD
logdir="$top/$FZ_BUILD/integ"
mkdir -p "$logdir"
pass=0
fail=0
for t in "$here"/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	start=$(date +%s)
	if timeout 900 sh "$t" >"$logdir/$name.log" 2>&1; then
		echo "PASS: $name ($(( $(date +%s) - start ))s)"
		pass=$((pass + 1))
	else
		rc=$?
		echo "FAIL: $name (exit $rc, $(( $(date +%s) - start ))s); its output:"
		sed 's/^/    /' "$logdir/$name.log" | tail -n 80
		fail=$((fail + 1))
	fi
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
