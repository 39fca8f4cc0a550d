#!/bin/sh
# The soak run's 1-minute smoke version (issue 17; tests/soak/soak.sh with
# SOAK_SMOKE=1): 50 population clients with churn every second, 4 checked
# clients (one revoked, one expiring, one relayed, one roaming), and every
# fault once on a short schedule (portal drop, coturn restart, control
# SIGSTOP 5 s, 2 % WAN loss for 8 s, spoofed handshake flood 4 s, roam);
# the roaming client goes through the DNS resource.
# Uses the ASan build (build-san/, made here with make SANITIZE=1 all), or
# $FZ_BUILD if that fails.  Smoke criteria (soak_report.py): no crash, no sanitizer
# report, no seccomp kill; RSS at the end < 3 x at the start (no runaway;
# a minute says nothing about a slow leak) and fds flat (end <= start + 2,
# max <= start + 8); recovery within 15 s after each fault; no corrupted or
# duplicated byte; UDP loss bounds; the revoked and the expired client pass
# nothing.  Takes about 75 s; no results appended to docs/.
FZ_TOP=${FZ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# The ASan build, brought up to date (make check has built its objects for
# the sanitized unit tests already, so this is mostly linking).
if make -s -C "$FZ_TOP" -j2 SANITIZE=1 all >/dev/null 2>&1 &&
	[ -x "$FZ_TOP/build-san/firezone-gateway" ]; then
	FZ_BUILD=build-san
else
	echo "soak smoke: no ASan build (make SANITIZE=1 all failed); using ${FZ_BUILD:-build}"
fi
export FZ_TOP FZ_BUILD
out=$(SOAK_SMOKE=1 SOAK_RESULTS= sh "$FZ_TOP/tests/soak/soak.sh" 2>&1)
rc=$?
echo "$out"
last=$(echo "$out" | tail -n 1)
case $last in
"soak: PASS"*) [ "$rc" -eq 0 ] ;;
*) exit 1 ;;
esac
