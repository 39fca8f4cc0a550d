#!/bin/sh
# Smoke run of the scale benchmark (tests/bench/scale.sh, issue 9) so the
# harness cannot rot: 50 clients, each authorized through the portal
# emulator (own client id, key, PSK, tunnel addresses, ICE credentials), ICE
# and a WireGuard handshake each (tests/bench/scale_client.c).  Passes when
# all 50 are up on the client side and the gateway counts them (/metrics
# clients_connected and handshakes completed, "WireGuard handshake done" in
# its log).  Timings decide nothing; docs/performance-scale.md is not touched.
#
# Run (root): FZ_TOP=/work/main FZ_BUILD=build sh tests/integ/test_scale_smoke.sh
FZ_TOP=${FZ_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
FZ_BUILD=${FZ_BUILD:-build}
export FZ_TOP FZ_BUILD
SCALE_SMOKE=1 SCALE_RESULTS= TIMEOUT_S=120 STALL_S=60 \
	SCALE_KEEP="$FZ_TOP/$FZ_BUILD/integ/scale_smoke" exec sh "$FZ_TOP/tests/bench/scale.sh" "${SCALE_N:-50}"
