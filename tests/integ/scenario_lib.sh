# Scenario bookkeeping shared by the end-to-end suites (sourced after
# lib.sh): one PASS/FAIL line per scenario, then a summary line.
# Set E2E_SUITE (the name in the summary and the log directory) first.

LOGKEEP="$B/integ/$E2E_SUITE"
# A today-mode run (portal_lib.sh) keeps its logs apart from the legacy run's.
[ "${FZ_PORTAL_MODE:-legacy}" = legacy ] || LOGKEEP="$LOGKEEP-$FZ_PORTAL_MODE"
T0=$(date +%s)
OKS=0
FAILS=0
SC_FAILS=0
SC_PASS=0
SC_FAIL=0
SUMMARY=""

# save_logs: keep the run's logs in $B/integ/$E2E_SUITE for reading later.
save_logs() {
	rm -rf "$LOGKEEP"
	mkdir -p "$LOGKEEP" && cp "$FZ_TMP"/*.log "$FZ_TMP"/*.jsonl "$FZ_TMP"/*.json "$LOGKEEP"/ 2>/dev/null
}
pass() { echo "    ok: $*"; OKS=$((OKS + 1)); }
bad() { echo "    FAIL: $*"; FAILS=$((FAILS + 1)); SC_FAILS=$((SC_FAILS + 1)); }
check() {
	_d=$1
	shift
	if "$@"; then pass "$_d"; else bad "$_d"; fi
}
# scenario NAME TEXT: start one; scenario_end prints its PASS/FAIL line.
scenario() {
	SC_NAME=$1
	SC_TEXT=$2
	SC_FAILS=0
	echo "== $SC_NAME: $SC_TEXT (t=$(( $(date +%s) - T0 )) s)"
}
scenario_end() {
	if [ "$SC_FAILS" -eq 0 ]; then
		echo "PASS: $SC_NAME: $SC_TEXT"
		SC_PASS=$((SC_PASS + 1))
		SUMMARY="$SUMMARY $SC_NAME=PASS"
	else
		echo "FAIL: $SC_NAME: $SC_TEXT ($SC_FAILS check(s) failed)"
		SC_FAIL=$((SC_FAIL + 1))
		SUMMARY="$SUMMARY $SC_NAME=FAIL"
	fi
}
# not_run NAME TEXT WHY: a scenario that cannot run because an earlier one failed.
not_run() {
	echo "FAIL: $1: $2 (not run: $3)"
	SC_FAIL=$((SC_FAIL + 1))
	SUMMARY="$SUMMARY $1=FAIL"
}
finish() {
	echo "$E2E_SUITE: $SC_PASS scenario(s) passed, $SC_FAIL failed ($OKS checks ok, $FAILS failed) in $(( $(date +%s) - T0 )) s:$SUMMARY"
	echo "    logs: $LOGKEEP"
	[ "$SC_FAIL" -eq 0 ]
	exit $?
}
# e2e_preflight: what every end-to-end suite needs before it starts.
e2e_preflight() {
	fz_need_root
	fz_users
	[ -x "$DP" ] && [ -x "$CTL" ] || fail "$DP or $CTL missing: run make first"
	"$PY" -c 'import websockets' 2>/dev/null || fail "$PY lacks the websockets module (python3-websockets)"
	command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
		fail "wireguard-go / wg missing (contrib/deps.sh test)"
}
