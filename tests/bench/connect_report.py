#!/usr/bin/python3
"""The report of make bench-connect (issue 20): p50, p95 and max of the
connection setup time on the direct and the relayed path
(tests/bench/connect.sh, connect_driver.py), split into its phases, as a
Markdown section on stdout; with --record 1 appended to docs/performance.md.

usage: connect_report.py --dir build/bench [--record 1] [--top .] [--command CMD]
Reads DIR/connect-direct.json and DIR/connect-relayed.json (either may be
missing: that path is reported as not run).
"""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys

GOAL_P50_DIRECT_MS = 100.0
PHASES = (
    ("answered", "push -> flow_authorized (the gateway answers the portal)"),
    ("gw_cand", "push -> first gateway candidate at the client"),
    ("selected", "push -> ICE pair selected by the client"),
    ("wg", "pair selected -> first echo reply (WireGuard handshake + one round trip)"),
    ("echo", "**push -> first echo reply through the tunnel**"),
)


def pct(vals, p):
    """Nearest-rank percentile of the values that are not None."""
    v = sorted(x for x in vals if x is not None)
    if not v:
        return None
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]


def fmt(v):
    return "-" if v is None else "{:,.1f}".format(v)


def git_rev(top):
    try:
        return subprocess.run(["git", "-C", top, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        return "?"


def stats(run):
    ok = [c for c in run["connections"] if c["ok"]]
    for c in ok:
        c["wg"] = round(c["echo"] - c["selected"], 1) if c.get("selected") is not None else None
    out = {}
    for k, _ in PHASES:
        vals = [c.get(k) for c in ok]
        vals = [v for v in vals if v is not None]
        out[k] = (pct(vals, 50), pct(vals, 95), max(vals) if vals else None)
    pairs = sorted({(c.get("pair") or "").split(" (")[1].split(")")[0] + " <-> " +
                    (c.get("pair") or "").rsplit("(", 1)[1].rstrip(")")
                    for c in ok if c.get("pair") and "(" in c["pair"]})
    return out, len(ok), len(run["connections"]), pairs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--record", default="0")
    ap.add_argument("--top", default=".")
    ap.add_argument("--command", default="make bench-connect")
    a = ap.parse_args()

    runs = {}
    for mode in ("direct", "relayed"):
        path = os.path.join(a.dir, "connect-%s.json" % mode)
        if os.path.exists(path):
            with open(path) as f:
                runs[mode] = json.load(f)
    if not runs:
        print("connect_report: no results in %s" % a.dir, file=sys.stderr)
        return 1

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["## Connection setup, %s, %s" % (now, git_rev(a.top)), ""]
    out.append("- command: `%s` (tests/bench/connect.sh, connect_driver.py; %s)" % (
        a.command, ", ".join("%s: %d sequential connections" % (m, r["n"]) for m, r in runs.items())))
    out.append("- machine: %d CPUs; 1-minute load average before / after: %s" % (
        os.cpu_count() or 0, ", ".join("%s %.2f / %.2f" % (m, r.get("load_before", 0), r.get("load_after", 0))
                                       for m, r in runs.items())))
    if any(r.get("load_before", 0) > (os.cpu_count() or 1) / 2 for r in runs.values()):
        out.append("- **the machine was shared with other work during this run**: treat the figures as"
                   " upper bounds")
    out.append("")
    head = "| phase (ms from the authorize_flow push) |"
    sep = "| --- |"
    res = {}
    for mode, r in runs.items():
        res[mode] = stats(r)
        head += " %s p50 | %s p95 | %s max |" % (mode, mode, mode)
        sep += " ---: | ---: | ---: |"
    out += [head, sep]
    for k, label in PHASES:
        row = "| %s |" % label
        for mode in runs:
            p50, p95, mx = res[mode][0][k]
            row += " %s | %s | %s |" % (fmt(p50), fmt(p95), fmt(mx))
        out.append(row)
    out.append("")
    for mode in runs:
        _, ok, n, pairs = res[mode]
        out.append("- %s: %d of %d connected; selected pairs: %s" % (mode, ok, n, ", ".join(pairs) or "-"))
    if "direct" in res:
        p50 = res["direct"][0]["echo"][0]
        out.append("- goal p50 <= %.0f ms on the direct path: %s (p50 %s ms)" % (
            GOAL_P50_DIRECT_MS, "met" if p50 is not None and p50 <= GOAL_P50_DIRECT_MS else "missed", fmt(p50)))
    out.append("")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.record == "1":
        path = os.path.join(a.top, "docs", "performance.md")
        with open(path, "a") as f:
            f.write("\n" + text)
        print("bench-connect: appended to %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
