#!/bin/sh
# Issue 15 ("Done": both portals pass the end-to-end suites): the suites
# test_e2e_direct, test_e2e_relayed, test_dns_resource and
# test_access_control again, with the portal emulator playing today's portal
# (FZ_PORTAL_MODE=today, tests/integ/portal_lib.sh; docs/portal-today.md).
# The gateway then joins /gateway/v2/websocket; the suites' authorize_flow
# pushes go out as create_authorization and their waits for flow_authorized
# take authorization_created; steps that need request_connection print a
# "skip:" line.  One ok/FAIL line per suite, then a check that each run
# really spoke v2 (the emulator's records: every accepted upgrade on the v2
# path with a gateway/1.6.0 User-Agent, authorization_created answers and no
# flow_authorized), so a silent fallback to the 2024 path cannot pass.
# About 3 minutes.  Output of each suite: $FZ_BUILD/integ/e2e_today/NAME.log,
# its emulator frame logs in $FZ_BUILD/integ/e2e_today/NAME/.
#
# Run (root): FZ_TOP=$PWD FZ_BUILD=build sh tests/integ/test_e2e_today.sh [SUITE...]
. "$(dirname "$0")/lib.sh"
trap fz_cleanup EXIT
trap 'exit 1' INT TERM HUP
fz_need_root
PY=/usr/bin/python3

SUITES=${*:-test_e2e_direct test_e2e_relayed test_dns_resource test_access_control}
OUT="$B/integ/e2e_today"
mkdir -p "$OUT"
NFAIL=0

# spoke_v2 DIR: the emulator records in DIR show a gateway on today's path only.
spoke_v2() {
	"$PY" - "$1" <<'PY'
import glob, json, os, sys
ups, bad, answers, v1_answers, compat = 0, [], 0, 0, 0
files = sorted(glob.glob(os.path.join(sys.argv[1], "*.jsonl")))
for f in files:
    for line in open(f):
        r = json.loads(line)
        k = r.get("kind")
        if k == "start" and r.get("mode") != "today":
            bad.append("%s: emulator not in today mode (%s)" % (os.path.basename(f), r.get("mode")))
        elif k in ("upgrade", "probe") and r.get("status") == 101:
            ups += 1
            ua = r.get("user_agent") or ""
            if not (r.get("v2") and r.get("path", "").endswith("/gateway/v2/websocket")):
                bad.append("upgrade %s accepted on %s" % (r.get("conn"), r.get("path")))
            if " gateway/1.6.0" not in " " + ua:
                bad.append("upgrade %s: User-Agent %r" % (r.get("conn"), ua))
        elif k == "frame" and r.get("dir") == "g2p":
            answers += r.get("event") == "authorization_created"
            v1_answers += r.get("event") == "flow_authorized"
        elif k == "note" and "authorize_flow pushed as create_authorization" in (r.get("note") or ""):
            compat += 1
print("      %d frame log(s): %d accepted upgrade(s), %d create_authorization "
      "pushed, %d authorization_created, %d flow_authorized" % (len(files), ups, compat, answers, v1_answers))
for b in bad:
    print("      " + b)
sys.exit(0 if files and ups and compat and answers and not v1_answers and not bad else 1)
PY
}

# The translation itself (payloads.py today_push): today's create_authorization
# keys for an authorize_flow, the flow kept, the legacy-only pushes refused.
"$PY" - "$FZ_TOP/tests/portal" <<'PY' || fail "payloads.today_push does not build today's pushes"
import sys
sys.path.insert(0, sys.argv[1])
sys.dont_write_bytecode = True
import payloads as P
af = P.authorize_flow(expires_at=None)
ev, ca = P.today_push("authorize_flow", af)
assert ev == "create_authorization", ev
assert set(ca) == {"ref", "resource", "client", "client_ice_credentials", "gateway_ice_credentials",
                   "expires_at", "subject", "use_iceless", "flow_logs_ingest_token"}, sorted(ca)
assert isinstance(ca["expires_at"], int) and ca["use_iceless"] is False
for k in ("ref", "resource", "client_ice_credentials", "gateway_ice_credentials"):
    assert ca[k] == af[k], k
assert all(ca["client"][k] == af["client"][k] for k in af["client"]) and "version" in ca["client"]
assert ca["subject"]["actor_id"] == af["actor"]["id"]
assert P.today_push("authorize_flow", P.authorize_flow(expires_at=1788000000))[1]["expires_at"] == 1788000000
assert "flow_id" not in P.today_push("reject_access", P.reject_access())[1]
for ev in ("request_connection", "allow_access"):
    try:
        P.today_push(ev, {})
        sys.exit("%s not refused" % ev)
    except ValueError:
        pass
PY
echo "ok: payloads.today_push builds today's create_authorization and refuses the legacy-only pushes"

for s in $SUITES; do
	t="$FZ_TOP/tests/integ/$s.sh"
	[ -f "$t" ] || fail "no suite $t"
	rm -rf "${OUT:?}/$s"
	mkdir -p "$OUT/$s"
	chmod 755 "$OUT/$s"
	start=$(date +%s)
	if FZ_PORTAL_MODE=today FZ_PORTAL_LOG_DIR="$OUT/$s" timeout 600 sh "$t" >"$OUT/$s.log" 2>&1; then
		echo "ok: $s in today mode ($(( $(date +%s) - start )) s)"
	else
		echo "FAIL: $s in today mode (exit $?, $(( $(date +%s) - start )) s); its output ends:"
		tail -n 40 "$OUT/$s.log" | sed 's/^/    /'
		NFAIL=$((NFAIL + 1))
	fi
	grep '^ *skip:' "$OUT/$s.log" | sed 's/^ */    /'
	if spoke_v2 "$OUT/$s"; then
		echo "ok: $s: the gateway spoke v2 only (gateway/1.6.0 on /gateway/v2/websocket)"
	else
		echo "FAIL: $s: the run did not stay on today's protocol"
		NFAIL=$((NFAIL + 1))
	fi
done
echo "e2e_today: $NFAIL failure(s); logs in $OUT"
[ "$NFAIL" -eq 0 ]
