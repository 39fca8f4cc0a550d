#!/usr/bin/python3
"""Today's portal messages (issue 15), against the real gateway and the
portal emulator: the checklist items of the portal message part (items 14,
21-25, 29-31, 33-35, 50, 55 of the issue's acceptance list).

    portal_today_msgs.py [--keep]

Run by tests/integ/test_portal_today_msgs.sh (as root, after `make`).  One
network namespace with a coturn relay on a veth address, one gateway, one
emulator; the helpers (namespaces, emulator, gateway, results) are those of
portal_checks.py.  The emulator of the 2024 portal crashes its channel on
gateway events it does not know (authorization_created, no_relays,
set_snownet_capabilities): the gateway then rejoins, which changes nothing
checked here, since only what the gateway sends is looked at.
"""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import portal_checks as PC  # noqa: E402

P = PC.P
R = PC.R
PC.TITLES = {
    14: "after a join on a v2 session: set_snownet_capabilities {\"iceless\": false}",
    21: "init without authorizations, flow_logs or account_slug applied; with them too",
    22: "init.authorizations without (C, R): R revoked from C, C keeps the rest; absent field: nothing revoked",
    23: "init.authorizations without C: C removed within 2 s",
    24: "init.authorizations with an earlier expires_at: R removed within 1 s of it",
    25: "identical relay entries in two inits: no new allocation; a changed password: a new one",
    29: "create_authorization: one authorization_created with the ref, then candidates by descending priority",
    30: "v1: authorize_flow answered with flow_authorized",
    31: "create_authorization again, same credentials, key and PSK: connection kept, candidates re-announced",
    32: "create_authorization with another PSK: connection replaced",
    33: "re-authorizing a granted resource with a later expires_at extends it",
    34: "create_authorization without relays: one no_relays {}, no authorization_created, no reconnect",
    35: "the gateway drops its last relay (credentials rejected): no_relays; relays_presence removal: none",
    50: "a STUN Binding to the allocated relay every 25 s",
    55: "access_authorization_expiry_updated changes that pair's expiry",
}
PC.EXTRA = {}

X = "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"
Y = "3b7e1c2d-9f8a-4e6b-a5c4-d3e2f1a0b9c8"
Z = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
V = "6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918"


def prio(c):
    f = c.split(" ")
    return int(f[3]) if len(f) > 3 and f[3].isdigit() else -1


class Today(PC.Scenario):
    tag = "today"
    transports = ("ws",)

    def setup(self):
        self.ns = self.netns()
        for cmd in (["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"],
                    ["ip", "addr", "add", "192.0.2.10/24", "dev", "lan0"],
                    ["ip", "link", "set", "lan1", "up"],
                    ["ip", "link", "set", "lan0", "up"]):
            PC.run(["ip", "netns", "exec", self.ns.name] + cmd)
        self.e = self.emu(self.ns, "portal", "--mode", "today")
        PC.spawn(["ip", "netns", "exec", self.ns.name, "turnserver", "-n", "--no-tls", "--no-dtls",
                  "--no-cli", "--no-tcp-relay", "--listening-ip=192.0.2.10", "--relay-ip=192.0.2.10",
                  "--listening-port=3478", "--lt-cred-mech", "--user=gwuser:s3cretPW-gw",
                  "--realm=firezone", "--userdb=/tmp/fz-pt-turndb-%s" % self.ns.name,
                  "--log-file=stdout", "--simple-log"], "/tmp/fz-pt-coturn-%s.log" % self.ns.name)

    def log(self, pattern, timeout=5):
        return self.gw.wait_log(pattern, timeout, process="control")

    def sent(self, event, after, timeout=5, **kw):
        return self.e.wait(event, timeout, after=after, dir="g2p", **kw)

    def run(self):
        e, ns = self.e, self.ns
        self.relay = relay = P.turn_relay(addr="192.0.2.10:3478", username="gwuser", password="s3cretPW-gw")
        e.c("init", payload=P.init("100.64.0.7", "fd00:2021:1111::7", relays=[relay]))
        self.gw = gw = PC.Gw(ns, ["--health-check-addr", "127.0.0.1:18090"], env=self.env(
            FIREZONE_API_URL=self.url(e), FIREZONE_TOKEN="today-token", FIREZONE_ID=PC.FZ_ID))
        PC.need(21, e.wait("phx_join", 15) is not None, "gateway joined", gw.tail())
        A = {"100.64.0.7/32", "fd00:2021:1111::7/128"}
        got = PC.wait_addrs(ns, A)
        R.check(21, got == A, "init without authorizations, flow_logs, account_slug: addresses %s" % sorted(A),
                "has %s" % sorted(got))
        PC.need(29, self.log(r"relay allocated: ", 10), "the relay is allocated", gw.tail(5))
        # ---- 50: keepalive Bindings every 25 s on the allocation
        alloc = [PC.ts(o) for o in gw.grep(r"relay allocated: ", process="control")]
        time.sleep(max(0.0, alloc[0] + 52 - time.time()))
        sees = [PC.ts(o) for o in gw.grep(r"turn: .* sees us as", process="control")]
        ka = [t for t in sees if t > alloc[0] + 1]
        gaps = [round(b - a, 2) for a, b in zip([alloc[0]] + ka, ka)]
        R.check(50, len(ka) >= 2 and all(24.0 <= g <= 26.0 for g in gaps[:2]),
                "Bindings answered %s s after the allocation and after each other" % gaps, "times %s" % ka)
        res1 = P.cidr_resource(address="10.11.0.0/16")
        res2 = P.cidr_resource(address="10.12.0.0/16")
        res3 = P.cidr_resource(address="10.13.0.0/16")

        # ---- 21: today's init with account_slug and flow_logs (no authorizations)
        B = {"100.64.0.8/32", "fd00:2021:1111::8/128"}
        e.push("init", P.init("100.64.0.8", "fd00:2021:1111::8", relays=[relay], account_slug="acme",
                              flow_logs=P.flow_logs_config()))
        got = PC.wait_addrs(ns, B)
        R.check(21, got == B, "init with account_slug and flow_logs: addresses %s" % sorted(B), "has %s" % sorted(got))

        # ---- 25: identical relay entries do not allocate again
        n_alloc = len(gw.grep(r"relay allocated: ", process="control"))
        e.push("init", P.init("100.64.0.8", "fd00:2021:1111::8", relays=[relay]))
        time.sleep(2)
        R.check(25, len(gw.grep(r"relay allocated: ", process="control")) == n_alloc
                and len(gw.grep(r"turn: relay .*: client started", process="control")) == 1,
                "two more inits with the same relay entry: no new TURN client, no new allocation",
                gw.tail(4))

        # ---- 30: the v1 name
        s = e.seq()
        af = P.authorize_flow(client_id=V, resource=res1)
        e.push("authorize_flow", af)
        fa = self.sent("flow_authorized", s)
        R.check(30, fa is not None and fa["json"]["payload"] == {"ref": af["ref"]},
                "authorize_flow -> flow_authorized with the same ref", gw.tail(3))
        R.check(30, not e.records("authorization_created", after=s), "no authorization_created for it")

        # ---- 32: another PSK replaces the connection
        s = e.seq()
        cv = P.create_authorization(client_id=V, resource=res1)
        e.push("create_authorization", cv)
        R.check(32, self.log(r"client %s: connection closed \(replaced: new preshared key\)" % V),
                "same client and credentials, another PSK: the connection is replaced", gw.tail(3))
        R.check(32, self.sent("authorization_created", s, match={"json.payload.ref": cv["ref"]}) is not None,
                "and answered")
        time.sleep(0.5)

        # ---- 29: create_authorization
        s = e.seq()
        ca = P.create_authorization(client_id=X, resource=res1)
        e.push("create_authorization", ca)
        ac = self.sent("authorization_created", s, match={"json.payload.ref": ca["ref"]})
        R.check(29, ac is not None and ac["json"]["payload"] == {"ref": ca["ref"]},
                "create_authorization -> authorization_created with payload {\"ref\": <the ref>}",
                "got %s; %s" % (ac and ac["raw"][:200], gw.tail(3)))
        time.sleep(1)
        R.check(29, len(e.records("authorization_created", after=s)) == 1 and
                not e.records("flow_authorized", after=s), "exactly one answer, in the v2 name")
        bc = self.sent("broadcast_ice_candidates", s, match={"json.payload.client_ids": [X]})
        cands = bc["json"]["payload"]["candidates"] if bc else []
        R.check(29, bc is not None and cands and [prio(c) for c in cands] == sorted((prio(c) for c in cands),
                                                                                     reverse=True)
                and all(prio(c) >= 0 for c in cands),
                "broadcast_ice_candidates for [X], sorted by descending priority (%s)" % [prio(c) for c in cands],
                "got %s" % (bc and bc["raw"][:300]))

        # ---- 14: set_snownet_capabilities after the next join (the session is v2 now)
        conn = e.status()["conn"]
        s = e.seq()
        e.c("close", code=1000)
        cap = e.wait("set_snownet_capabilities", 15, after=s, dir="g2p")
        R.check(14, cap is not None and cap["json"]["payload"] == {"iceless": False}
                and cap["conn"] > conn,
                "after the rejoin: set_snownet_capabilities {\"iceless\": false}",
                "got %s" % (cap and cap["raw"]))
        j = e.wait("phx_join", 5, after=s)
        R.check(14, j is not None and cap is not None and j["seq"] < cap["seq"], "sent after the join")

        # ---- 31: same credentials, key and PSK: kept, candidates again
        time.sleep(1)
        s = e.seq()
        ca2 = P.create_authorization(client_id=X, resource=res2, preshared_key=ca["client"]["preshared_key"])
        e.push("create_authorization", ca2)
        ac2 = self.sent("authorization_created", s, match={"json.payload.ref": ca2["ref"]})
        bc2 = self.sent("broadcast_ice_candidates", s, match={"json.payload.client_ids": [X]})
        R.check(31, ac2 is not None and self.log(r"client %s: flow authorized \(existing connection\)" % X, 3),
                "same client, credentials, key and PSK: answered, existing connection", gw.tail(3))
        R.check(31, bc2 is not None and set(bc2["json"]["payload"]["candidates"]) == set(cands),
                "all current local candidates announced again",
                "got %s, first %s" % (bc2 and bc2["raw"][:300], cands))

        # ---- 33: a later expiry extends
        later = int(time.time()) + 7200
        e.push("create_authorization", P.create_authorization(client_id=X, resource=res1, expires_at=later,
                                                               preshared_key=ca["client"]["preshared_key"]))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(later))
        R.check(33, self.log(r"client %s authorized for resource %s .*expires %s" % (X, res1["id"], stamp)),
                "re-authorized with expires_at %s: the grant expires then" % stamp, gw.tail(3))

        # ---- 55: access_authorization_expiry_updated (kept from v1 portals)
        soon = int(time.time()) + 2
        e.push("access_authorization_expiry_updated", P.authorization(X, res2["id"], soon))
        R.check(55, self.log(r"client %s: authorization for resource %s now expires" % (X, res2["id"])),
                "expiry update applied", gw.tail(3))
        R.check(55, self.log(r"client %s: authorization for resource %s expired" % (X, res2["id"]), 5),
                "the resource expires at the new time", gw.tail(3))

        # ---- 22: init.authorizations lists X with res3 only... first grant res2 again
        e.push("create_authorization", P.create_authorization(client_id=X, resource=res2,
                                                               preshared_key=ca["client"]["preshared_key"]))
        PC.need(22, self.log(r"client %s authorized for resource %s" % (X, res2["id"])), "X has res2 again")
        e.push("create_authorization", P.create_authorization(client_id=Y, resource=res1))
        PC.need(22, self.log(r"client %s authorized for resource %s" % (Y, res1["id"])), "Y has res1")
        # absent: nothing revoked
        e.push("init", P.init("100.64.0.8", "fd00:2021:1111::8", relays=[relay]))
        time.sleep(2)
        R.check(22, not gw.grep(r"not in init.authorizations", process="control")
                and not gw.grep(r"client %s: no resource left" % Y, process="control"),
                "init without the authorizations field: nothing revoked (absent is not empty)", gw.tail(3))
        far = int(time.time()) + 3600
        e.push("init", P.init("100.64.0.8", "fd00:2021:1111::8", relays=[relay], authorizations=[
            P.authorization(X, res2["id"], far), P.authorization(Y, res1["id"], far),
            P.authorization(Z, res3["id"], far)]))
        R.check(22, self.log(r"client %s: access to resource %s revoked: not in init.authorizations"
                             % (X, res1["id"])), "(X, res1) not listed: revoked", gw.tail(3))
        time.sleep(1.5)
        R.check(22, not gw.grep(r"client %s: access to resource %s revoked" % (X, res2["id"]), process="control")
                and not gw.grep(r"client %s: no resource left" % X, process="control"),
                "(X, res2) listed: kept; X stays")

        # ---- 23: Y not listed at all: removed within 2 s
        t0 = time.time()
        e.push("init", P.init("100.64.0.8", "fd00:2021:1111::8", relays=[relay], authorizations=[
            P.authorization(X, res2["id"], far)]))
        got = self.log(r"client %s: no resource left; removed" % Y, 3)
        R.check(23, got and PC.ts(got[0]) - t0 <= 2.2, "client not listed: removed within 2 s", gw.tail(3))

        # ---- 24: a shorter expiry from init; the resource goes within 1 s of it
        short = int(time.time()) + 2
        e.push("init", P.init("100.64.0.8", "fd00:2021:1111::8", relays=[relay], authorizations=[
            P.authorization(X, res2["id"], short)]))
        got = self.log(r"client %s: authorization for resource %s expired" % (X, res2["id"]), 6)
        R.check(24, got and PC.ts(got[0]) <= short + 1.2,
                "init shortens the expiry to %d: expired at %s" % (short, got and got[0].get("ts")), gw.tail(3))
        R.check(23, self.log(r"client %s: no resource left; removed" % X, 3),
                "then X, without resources, is removed")

        # ---- 35: a changed password for the same relay: new client, rejected, no_relays
        s = e.seq()
        bad = dict(relay, password="wrong-password")
        e.push("init", P.init("100.64.0.8", "fd00:2021:1111::8", relays=[bad]))
        deadline = time.time() + 5
        while len(gw.grep(r"turn: relay .*: client started", process="control")) < 2 and time.time() < deadline:
            time.sleep(0.1)
        R.check(25, len(gw.grep(r"turn: relay %s: client started" % relay["id"], process="control")) == 2,
                "the same relay with another password: a new TURN client", gw.tail(3))
        nr = self.sent("no_relays", s, 15)
        R.check(35, nr is not None and nr["json"]["payload"] == {},
                "credentials rejected, last relay dropped: no_relays {}", gw.tail(4))
        # ---- 34: no relay: no_relays instead of an answer, and no reconnect
        conn = e.status()["conn"]
        s = e.seq()
        ca3 = P.create_authorization(client_id=Z, resource=res1)
        e.push("create_authorization", ca3)
        nr = self.sent("no_relays", s)
        time.sleep(2)
        R.check(34, nr is not None and nr["json"]["payload"] == {} and len(e.records("no_relays", after=s)) == 1,
                "create_authorization without a relay: one no_relays {}", gw.tail(3))
        R.check(34, not e.records("authorization_created", after=s), "no authorization_created")
        R.check(34, not e.upgrades(after=s) and e.status()["conn"] == conn, "no reconnect")
        # ---- 35: relays_presence removing the last relay says nothing
        e.push("relays_presence", P.relays_presence(connected=[relay]))
        PC.need(35, self.log(r"relays_presence: 0 relay\(s\) gone, 1 new"), "relay back (relays_presence)",
                gw.tail(3))
        time.sleep(1)
        s = e.seq()
        e.push("relays_presence", P.relays_presence(disconnected_ids=[relay["id"]]))
        PC.need(35, self.log(r"relays_presence: 1 relay\(s\) gone"), "relay removed", gw.tail(3))
        time.sleep(2)
        R.check(35, not e.records("no_relays", after=s), "relays_presence removes the last relay: no no_relays")
        R.check(21, gw.stop() == 0, "the gateway stops cleanly")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("FAIL: needs root")
        return 1
    for sgn in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sgn, lambda s, f: (_ for _ in ()).throw(SystemExit(1)))
    PC.TMP = tempfile.mkdtemp(prefix="fz-today.")
    os.chmod(PC.TMP, 0o755)
    PC.NS_LIST = os.environ.get("FZ_PORTAL_NS_LIST")
    start = time.time()
    sc = Today(PC.Cfg("ws"))
    try:
        if PC.run_guarded(sc, sc.setup):
            PC.run_guarded(sc, sc.run)
        R.summary()
    finally:
        PC.cleanup()
        if a.keep:
            print("logs kept in %s" % PC.TMP)
        else:
            shutil.rmtree(PC.TMP, ignore_errors=True)
    print("today's portal messages: %d check(s) failed, %.0f s" % (R.failed, time.time() - start))
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
