#!/usr/bin/python3
"""Samples of the soak run (tests/soak/soak.sh, issue 17), every INTERVAL s
until STOPFILE exists; run in the gateway's namespace (for /metrics).

  soak_sample.py DP_PID CTL_PID INTERVAL OUT.jsonl DRIVER_STATUS STOPFILE

One JSON line per sample: t; for "dp" and "ctl": rss_kib, pss_kib (from
/proc/PID/smaps_rollup), fds (entries of /proc/PID/fd), cpu_s
(utime+stime); "metrics": every sample of /metrics parsed by
tests/integ/metrics_lib.py (the strict reader: a malformed page is recorded
as "metrics_error"); "driver": the population driver's status (active,
up_active, joins, rejects, expired, ...).  A process that is gone is
recorded as "gone" and sampling goes on.
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integ"))
import metrics_lib  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def proc(pid):
    try:
        r = {}
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for ln in f:
                p = ln.split()
                if p[0] in ("Rss:", "Pss:"):
                    r[p[0][:-1].lower() + "_kib"] = int(p[1])
        r["fds"] = len(os.listdir("/proc/%d/fd" % pid))
        with open("/proc/%d/stat" % pid) as f:
            s = f.read().rsplit(")", 1)[1].split()
        r["cpu_s"] = (int(s[11]) + int(s[12])) / HZ
        r["state"] = s[0]
        return r
    except (OSError, IndexError, ValueError):
        return "gone"


def main():
    dp, ctl, ivl = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    out, status, stop = sys.argv[4], sys.argv[5], sys.argv[6]
    t_next = time.time()
    with open(out, "a") as fh:
        while not os.path.exists(stop):
            rec = {"t": time.time(), "dp": proc(dp), "ctl": proc(ctl)}
            try:
                rec["metrics"] = metrics_lib.parse(metrics_lib.scrape("http://127.0.0.1:18080/metrics"))
            except Exception as e:  # noqa: BLE001 - a control SIGSTOPped does not answer
                rec["metrics_error"] = "%s: %s" % (e.__class__.__name__, e)
            try:
                with open(status) as f:
                    rec["driver"] = json.load(f)
            except (OSError, ValueError):
                pass
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
            fh.flush()
            t_next += ivl
            while time.time() < t_next and not os.path.exists(stop):
                time.sleep(min(0.5, max(0.0, t_next - time.time())))


if __name__ == "__main__":
    main()
