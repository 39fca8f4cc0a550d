#!/usr/bin/python3
"""Verdict and figures of a soak run (tests/soak/soak.sh, issue 17).

Reads the run's directory (samples.jsonl, faults.jsonl, traffic-c*.txt,
driver-final.json, paths.txt) and the gateway's log, prints the figures
and, as its LAST line, "soak: PASS <figures>" or "soak: FAIL <reasons>";
appends a section to --results (Markdown) and draws --plot (PNG, gnuplot)
when given.

Criteria (both runs unless said):
  crash      the gateway exited 0 on the final SIGTERM; neither process was
             ever missing from a sample; the log has no "killed by signal"
             (SIGSYS is the seccomp kill), "exited with status" of control,
             sanitizer report (AddressSanitizer, LeakSanitizer,
             "runtime error:") or "fatal".
  memory     long run (>= 15 min): over the samples after the first 5 min,
             the least-squares slope of RSS grows < 1 % per hour of its mean,
             for both processes.  Smoke run: no runaway growth, RSS at the
             end < 3 x RSS at the start of the run, for both processes (the
             ASan build, and the population's connections pile up in the
             first minute: the gateway keeps departed clients' connections
             until their ICE checks fail, and they count as state, not leak).
  fds        after the warm-up (long) or from the run's start (smoke): the
             last sample has at most 2 fds more than the first, and no
             sample more than 8 above the first, for both processes.
  recovery   after each fault ends, every checked client whose grant is
             valid until 15 s after that end gets a UDP echo answered for a
             probe sent within 15 s of the end.
  content    no UDP answer duplicated or with a wrong SHA-256 (over its
             sequence number, send time and payload; an answer that comes
             after its probe was counted lost is "late", counted, not a
             failure), no TCP
             transfer whose SHA-256 (either way) or length is wrong.
  loss       UDP probes of granted clients outside every fault window
             (fault start to end + 15 s): loss <= 2 %; probes sent during
             the WAN-loss fault: loss <= 1-(1-p)^2 (p each way, a probe and
             its answer cross the WAN once each) + 3 points + 3 standard
             errors.
  revoked    the revoked client (reject_access) and the expired client
             (expires_at) get no UDP answer to a probe sent, and complete no
             TCP transfer started, later than 2 s after the revocation or
             the expiry -- whatever the faults after it; the expiry must
             fall inside the run.
"""
import argparse
import glob
import json
import math
import os
import re
import subprocess
import time

REC = 15.0
GRACE = 2.0


def load_jsonl(path):
    out = []
    if os.path.exists(path):
        for ln in open(path):
            try:
                out.append(json.loads(ln))
            except ValueError:
                pass
    return out


def slope(xs, ys):
    n = len(xs)
    if n < 3:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    d = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / d if d else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--clients", type=int, required=True)
    ap.add_argument("--smoke", type=int, default=0)
    ap.add_argument("--loss-pct", type=float, default=2)
    ap.add_argument("--gateway-log", required=True)
    ap.add_argument("--build", default="build")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--churn", type=int, default=0)
    ap.add_argument("--results", default="")
    ap.add_argument("--plot", default="")
    ap.add_argument("--commit", default="")
    a = ap.parse_args()
    d = a.dir
    fails = []
    lines = []
    say = lines.append

    ev = load_jsonl(os.path.join(d, "faults.jsonl"))
    start = next((e for e in ev if e["name"] == "start"), None)
    stop = next((e for e in ev if e["name"] == "stop"), None)
    if not start or not stop:
        print("soak: FAIL the run did not reach its end (no start/stop record)")
        return 1
    ts, te = float(start["start"]), float(stop["start"])
    faults = [e for e in ev if e["name"] not in ("start", "stop", "revoke", "reconnect")]
    recon = [e for e in ev if e["name"] == "reconnect"]
    revoke = next((e for e in ev if e["name"] == "revoke"), None)
    t_rev = float(revoke["start"]) if revoke else None
    t_exp = float(start["expires_at"])
    K = a.clients

    # ------------------------------------------------------------ crash
    log = open(a.gateway_log, errors="replace").read()
    rc = stop.get("gateway_exit")
    if rc != "0":
        fails.append("gateway exit %s" % rc)
    pats = [r"AddressSanitizer", r"LeakSanitizer", r"runtime error:", r"killed by signal",
            r"control process exited with status", r"\bfatal\b"]
    hits = [p for p in pats if re.search(p, log)]
    for p in hits:
        m = re.search(".*%s.*" % p, log)
        fails.append("gateway log: %s" % m.group(0)[:160])
    smp = load_jsonl(os.path.join(d, "samples.jsonl"))
    gone = [s["t"] for s in smp if s["dp"] == "gone" or s["ctl"] == "gone"]
    if gone:
        fails.append("a gateway process was gone at t=%.0f s" % (gone[0] - ts))
    say("samples: %d (every %.0f s)" % (len(smp), (smp[-1]["t"] - smp[0]["t"]) / max(1, len(smp) - 1)
                                       if len(smp) > 1 else 0))

    # ------------------------------------------------------------ memory, fds
    warm = 0 if a.smoke or a.minutes < 15 else 300
    ok_s = [s for s in smp if isinstance(s["dp"], dict) and isinstance(s["ctl"], dict)]
    post = [s for s in ok_s if s["t"] >= ts + warm] or ok_s
    figs = {}
    for p in ("dp", "ctl"):
        if len(post) < 2:
            fails.append("too few samples")
            break
        r0, r1 = post[0][p]["rss_kib"], post[-1][p]["rss_kib"]
        f0, f1 = post[0][p]["fds"], post[-1][p]["fds"]
        fmax = max(s[p]["fds"] for s in post)
        xs = [s["t"] for s in post]
        ys = [s[p]["rss_kib"] for s in post]
        mean = sum(ys) / len(ys)
        ph = slope(xs, ys) * 3600 / mean * 100 if mean else 0
        figs[p] = {"rss0": r0, "rss1": r1, "rssmax": max(ys), "pss1": post[-1][p].get("pss_kib"),
                   "fd0": f0, "fd1": f1, "fdmax": fmax, "pct_h": ph,
                   "cpu": post[-1][p]["cpu_s"] - ok_s[0][p]["cpu_s"]}
        name = "dataplane" if p == "dp" else "control"
        say("%s: RSS %d -> %d KiB (max %d), slope %+.2f %%/h, PSS at the end %s KiB; fds %d -> %d (max %d); "
            "CPU %.1f s over the run" % (name, r0, r1, max(ys), ph, post[-1][p].get("pss_kib"), f0, f1, fmax,
                                          figs[p]["cpu"]))
        if warm:
            if ph >= 1.0:
                fails.append("%s RSS grows %.2f %%/h after the first 5 min" % (name, ph))
        elif r1 > 3 * r0:
            fails.append("%s RSS ran away: %d -> %d KiB" % (name, r0, r1))
        if f1 > f0 + 2 or fmax > f0 + 8:
            fails.append("%s fds not flat: %d -> %d (max %d)" % (name, f0, f1, fmax))

    # ------------------------------------------------------------ traffic
    tr = {}
    for k in range(1, K + 1):
        u, U, t = [], [], []
        path = os.path.join(d, "traffic-c%d.txt" % k)
        if os.path.exists(path):
            for ln in open(path):
                f = ln.split()
                if f[0] == "u":
                    u.append((float(f[2]), float(f[3])))
                elif f[0] == "U":
                    U.append(ln.strip())
                elif f[0] == "t":
                    t.append((float(f[1]), int(f[2]), int(f[3]), float(f[4]), f[5]))
        tr[k] = (sorted(u), U, t)

    def grant_until(k):
        if k == 1 and t_rev:
            return t_rev
        if k == 2:
            return t_exp
        return float("inf")

    # content
    for k, (u, U, t) in tr.items():
        for x in U:
            if not x.endswith(" late"):
                fails.append("client %d: %s" % (k, x))
        for x in t:
            if x[4] not in ("ok",) and not x[4].startswith("err-"):
                fails.append("client %d: TCP transfer at t=%.0f: %s" % (k, x[0] - ts, x[4]))
    n_udp = sum(len(v[0]) for v in tr.values())
    n_tcp = sum(len(v[2]) for v in tr.values())
    n_tcp_ok = sum(sum(1 for x in v[2] if x[1] == 1) for v in tr.values())
    tcp_bytes = sum(sum(x[2] for x in v[2] if x[1] == 1) for v in tr.values())
    n_late = sum(sum(1 for x in v[1] if x.endswith(" late")) for v in tr.values())
    say("late UDP answers (after 3 s, counted as lost): %d" % n_late)
    say("checked traffic: %d UDP probes, %d TCP transfers (%d complete, %.1f MiB echoed, SHA-256 both ways)"
        % (n_udp, n_tcp, n_tcp_ok, tcp_bytes / 1048576.0))

    # recovery per fault
    win = [(float(f["start"]), float(f["end"]) + REC) for f in faults]
    fault_rows = []
    for f in faults:
        fs, fe = float(f["start"]), float(f["end"])
        worst, who, bad = 0.0, None, []
        for k, (u, _, _) in tr.items():
            if grant_until(k) < fe + REC + GRACE:
                continue
            ans = [x for x in u if x[0] >= fe and x[1] >= 0]
            if not ans or ans[0][0] - fe > REC:
                bad.append(k)
                continue
            # Outage seen by this client: longest run without an answer
            # between the fault's start and its recovery.
            r = max(0.0, ans[0][0] - fe)
            if r >= worst:
                worst, who = r, k
        gap = 0.0
        for k, (u, _, _) in tr.items():
            if grant_until(k) < fe + REC + GRACE:
                continue
            good = [x[0] for x in u if fs - 5 <= x[0] <= fe + REC and x[1] >= 0]
            for p, q in zip(good, good[1:]):
                gap = max(gap, q - p)
        rc = ["c%d%s" % (r["client"], "" if r.get("detail") != "failed" else " (failed)") for r in recon
              if fs <= float(r["start"]) <= fe + REC]
        fault_rows.append((f["name"], fs - ts, fe - fs, worst, gap, bad,
                           ("reconnected: %s; " % ",".join(rc) if rc else "") + f.get("detail", "")))
        if bad:
            fails.append("fault %s at t=%.0f s: client(s) %s passed no traffic within %.0f s after it ended"
                         % (f["name"], fs - ts, ",".join(map(str, bad)), REC))

    # loss
    p = a.loss_pct / 100.0
    clean_n = clean_l = loss_n = loss_l = 0
    lossw = [(float(f["start"]), float(f["end"])) for f in faults if f["name"] == "wan_loss"]
    for k, (u, _, _) in tr.items():
        for t0, rtt in u:
            if t0 > grant_until(k) - GRACE or t0 < ts or t0 > te - 4:
                continue
            if any(s <= t0 <= e for s, e in lossw):
                loss_n += 1
                loss_l += rtt < 0
            elif not any(s <= t0 <= e for s, e in win):
                clean_n += 1
                clean_l += rtt < 0
    clean_pct = 100.0 * clean_l / clean_n if clean_n else 0.0
    say("UDP loss outside fault windows: %d of %d (%.2f %%, bound 2 %%)" % (clean_l, clean_n, clean_pct))
    if clean_n == 0:
        fails.append("no UDP probe outside the fault windows")
    elif clean_pct > 2.0:
        fails.append("UDP loss outside faults %.2f %% > 2 %%" % clean_pct)
    if loss_n:
        exp = 1 - (1 - p) ** 2
        bound = exp + 0.03 + 3 * math.sqrt(exp * (1 - exp) / loss_n)
        got = loss_l / loss_n
        say("UDP loss during the WAN-loss fault (%.0f %% each way): %d of %d (%.2f %%, expected %.2f %%, bound %.2f %%)"
            % (a.loss_pct, loss_l, loss_n, 100 * got, 100 * exp, 100 * bound))
        if got > bound:
            fails.append("UDP loss under injected loss %.2f %% > bound %.2f %%" % (100 * got, 100 * bound))

    # revoked, expired
    for k, t_end, what in ((1, t_rev, "revoked"), (2, t_exp, "expired")):
        if t_end is None or t_end > te - 5:
            fails.append("client %d was not %s inside the run" % (k, what))
            continue
        u, _, t = tr[k]
        leak_u = [x for x in u if x[0] > t_end + GRACE and x[1] >= 0]
        leak_t = [x for x in t if x[0] > t_end + GRACE and x[1] == 1]
        after = [f["name"] for f in faults if float(f["start"]) > t_end]
        n_after = len([x for x in u if x[0] > t_end + GRACE])
        say("client %d %s at t=%.0f s: %d probes after it (through %d faults: %s), %d answered, %d TCP completed"
            % (k, what, t_end - ts, n_after, len(after), ",".join(after) or "-", len(leak_u), len(leak_t)))
        if leak_u or leak_t:
            fails.append("client %d passed traffic after it was %s (%d UDP, %d TCP)" % (k, what, len(leak_u), len(leak_t)))
        before = [x for x in u if ts <= x[0] < t_end - 1 and x[1] >= 0]
        if not before:
            fails.append("client %d passed nothing before it was %s (check not meaningful)" % (k, what))

    # population
    drv = {}
    try:
        drv = json.load(open(os.path.join(d, "driver-final.json")))
    except (OSError, ValueError):
        fails.append("no driver status")
    conn = [s["metrics"].get("firezone_gateway_clients_connected") for s in ok_s if "metrics" in s]
    conn = [c for c in conn if c is not None]
    say("population: active %s (up %s) at the end; joins %s (up %s, failed %s), reject_access %s, expired %s, "
        "resource_updated %s, pushes refused while the portal was away %s; clients_connected min %s max %s"
        % (drv.get("active"), drv.get("up_active"), drv.get("joins"), drv.get("joined_up"), drv.get("join_failed"),
           drv.get("rejects"), drv.get("expired"), drv.get("updates"), drv.get("push_errors"),
           int(min(conn)) if conn else "-", int(max(conn)) if conn else "-"))
    last_m = next((s["metrics"] for s in reversed(ok_s) if "metrics" in s), {})
    drops = {k: v for k, v in last_m.items() if ("dropped" in k or "refused" in k or "caps_hit" in k) and v}
    say("non-zero drop counters at the end: " + (", ".join("%s %d" % (k.replace("firezone_gateway_", ""), v)
                                                           for k, v in sorted(drops.items())) or "none"))
    paths = open(os.path.join(d, "paths.txt")).read().strip().splitlines() if os.path.exists(
        os.path.join(d, "paths.txt")) else []
    say("checked clients: %d; revoked 1, expiring 2, relay-only 3, roaming %s; through the DNS resource: %s"
        % (K, start.get("roam_client"), start.get("dns_clients", "").strip() or "none"))
    say("paths chosen (gateway log): %d lines; relayed: %s; relay-only client's datagrams to the gateway's port dropped: %s"
        % (len(paths), sum("relayed" in x for x in paths), stop.get("relay_blocked")))
    say("client reconnects (a new authorize_flow after 4 s without an answer, as the Firezone client "
        "does when its connection fails): %s" % (", ".join("c%d at t=%.0f s%s" % (
            r["client"], float(r["start"]) - ts, " FAILED" if r.get("detail") == "failed" else "") for r in recon) or "none"))
    say("faults (t = seconds into the run; recovery = first answered probe after the end, worst client; "
        "gap = longest silence of any granted client from 5 s before the start to 15 s after the end):")
    for name, s0, dur, rec, gap, bad, det in fault_rows:
        say("  t=%5.0f %-16s %6.1f s  recovery %5.2f s  gap %5.2f s%s  %s"
            % (s0, name, dur, rec, gap, "  NOT RECOVERED: %s" % bad if bad else "", det))

    # ------------------------------------------------------------ outputs
    for ln in lines:
        print("    " + ln)
    mf = figs.get("dp", {}), figs.get("ctl", {})
    short = ("%s min, %s clients churn %s/s, %d checked, %d faults, max recovery %.1f s, dataplane RSS %s->%s KiB "
             "fds %s->%s, control RSS %s->%s KiB fds %s->%s" % (
                 a.minutes, a.n, a.churn, K, len(fault_rows),
                 max([r[3] for r in fault_rows] or [0]), mf[0].get("rss0"), mf[0].get("rss1"), mf[0].get("fd0"),
                 mf[0].get("fd1"), mf[1].get("rss0"), mf[1].get("rss1"), mf[1].get("fd0"), mf[1].get("fd1")))
    verdict = ("soak: PASS " + short) if not fails else ("soak: FAIL " + "; ".join(fails[:6]))
    if a.plot and ok_s:
        dat = a.plot + ".dat"
        with open(dat, "w") as fh:
            for s in ok_s:
                fh.write("%.1f %.2f %.2f %d %d %s\n" % (
                    (s["t"] - ts) / 60.0, s["dp"]["rss_kib"] / 1024.0, s["ctl"]["rss_kib"] / 1024.0,
                    s["dp"]["fds"], s["ctl"]["fds"],
                    "%d" % s["metrics"]["firezone_gateway_clients_connected"]
                    if "firezone_gateway_clients_connected" in s.get("metrics", {}) else "?"))
        marks = "".join("set arrow from %.2f, graph 0 to %.2f, graph 1 nohead lc rgb '#bbbbbb' dt 2\n"
                        % ((float(f["start"]) - ts) / 60.0, (float(f["start"]) - ts) / 60.0) for f in faults)
        gp = """set terminal pngcairo size 1000,900 font ',9' noenhanced
set output '%s'
set datafile missing '?'
set offsets 0, 0, 1, 1
set multiplot layout 3,1 title 'soak %s (%s build, %s): fault starts dashed'
set xlabel 'minutes'
set key top left
%sset ylabel 'RSS (MiB)'
plot '%s' u 1:2 w l t 'dataplane', '' u 1:3 w l t 'control'
set ylabel 'open fds'
plot '%s' u 1:4 w l t 'dataplane', '' u 1:5 w l t 'control'
set ylabel 'clients'
plot '%s' u 1:6 w l t 'clients_connected (/metrics)'
unset multiplot
""" % (a.plot, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)), a.build, a.commit, marks, dat, dat, dat)
        try:
            subprocess.run(["gnuplot"], input=gp.encode(), check=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as e:
            print("    plot: %s" % e)
        os.unlink(dat)
    if a.results:
        with open(a.results, "a") as fh:
            fh.write("\n### %s: %s run, %s min (%s build, commit %s)\n\n" % (
                time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)), "smoke" if a.smoke else "soak",
                a.minutes, a.build, a.commit))
            fh.write("Machine: %s, %d cores; load average at the end %s.\n\n" % (
                os.uname().release, os.cpu_count(), open("/proc/loadavg").read().split()[:3]))
            fh.write("```\n" + "\n".join(lines) + "\n" + verdict + "\n```\n")
            if a.plot:
                fh.write("\n![RSS, fds and clients over time](%s)\n" % os.path.basename(a.plot))
    print(verdict)
    return 0 if not fails else 1


if __name__ == "__main__":
    raise SystemExit(main())
