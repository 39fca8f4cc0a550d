#!/bin/sh
# Smoke run of the throughput benchmark (tests/bench/bench.sh, issue 9) so
# the harness cannot rot: every figure once for 1 s with 64-byte datagrams,
# against our gateway (through the portal emulator, libnice ICE) and against
# wireguard-go.  Checks only that packets flowed through both gateways in both
# directions (UDP forward and reverse, single-stream TCP up and down); the
# figures themselves decide nothing and docs/performance.md is not touched.
#
# Run (root): FZ_TOP=/work/main FZ_BUILD=build sh tests/integ/test_bench_smoke.sh
# Needs what make bench needs (perf is not used here).
FZ_TOP=${FZ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
FZ_BUILD=${FZ_BUILD:-build}
export FZ_TOP FZ_BUILD
SUMMARY=$(mktemp /tmp/fz-bench-smoke.XXXXXX)
trap 'rm -f "$SUMMARY"' EXIT
BENCH_SECONDS=1 BENCH_RUNS=1 BENCH_SIZES=64 BENCH_RECORD=0 BENCH_PERF=0 BENCH_TCP=1 \
	BENCH_MEM_MB=256 BENCH_SUMMARY="$SUMMARY" BENCH_KEEP="$FZ_TOP/$FZ_BUILD/integ/bench_smoke" sh "$FZ_TOP/tests/bench/bench.sh"
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: bench.sh exited $rc"; exit 1; }
fails=0
for gw in ours wireguard-go; do
	for fig in fwd.64.pps rev.64.pps tcp-up.-.mbps tcp-down.-.mbps; do
		v=$(sed -n "s/^$gw\.$fig=//p" "$SUMMARY")
		if [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; then
			echo "ok: $gw $fig = $v"
		else
			echo "FAIL: $gw $fig: nothing flowed (${v:-no figure})"
			fails=$((fails + 1))
		fi
	done
done
[ "$fails" -eq 0 ] || exit 1
echo "PASS: bench smoke: packets flowed through both gateways in both directions"
