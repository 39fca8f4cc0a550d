#!/usr/bin/python3
"""The benchmark's report (tests/bench/bench.sh): medians of every figure,
ours / peer ratios for every wireguard-go peer, printed as a Markdown table
and (with --record 1) appended to docs/performance.md with the machine, the
command and the date.

Results file: one line per run, "GATEWAY FIGURE SIZE PPS MBPS" (GATEWAY ours
or a peer's token, wireguard-go_<Debian version>; FIGURE fwd, rev, tcp-up,
tcp-down; "-" where not applicable, "fail" for a run that failed: left out of
the median), then optionally OFFERED: the sender's own rate (pkt/s) in that
run.  Peers file (--peers): one line per peer, "TOKEN BINARY REPORTED-VERSION",
the first one the TCP client; without it the peer is "wireguard-go".
--summary FILE gets "GATEWAY.FIGURE.SIZE.pps=N" and ".mbps=N" lines (medians)
for tests/integ/test_bench_smoke.sh, the first peer also as "wireguard-go".
--json FILE gets a list of {"figure", "unit", "ours", "peers": {PEER: value},
"ratios": {PEER: ours / value}}, PEER "wireguard-go <Debian version>", null
where a figure is missing (issue 20).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

PEER_DEFAULT = [("wireguard-go", "wireguard-go", "")]
LABEL = {
    "fwd": "UDP client -> resource",
    "rev": "UDP resource -> client",
    "tcp-up": "TCP 1 stream client -> resource",
    "tcp-down": "TCP 1 stream resource -> client",
}


def load(path):
    runs = {}
    order = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 5:
                p.append("-")
            if len(p) != 6:
                continue
            gw, fig, size, pps, mbps, offered = p
            key = (fig, size)
            if key not in order:
                order.append(key)
            runs.setdefault((gw, fig, size), []).append(
                (float(pps) if pps not in ("-", "fail") else None,
                 float(mbps) if mbps not in ("-", "fail") else None,
                 float(offered) if offered not in ("-", "fail") else None))
    return runs, order


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "pps":
        return "{:,.0f}".format(v)
    return "{:,.1f}".format(v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "{:.2f}x".format(a / b)


def load_peers(path):
    """[(token, binary, reported version)] in the run's order."""
    if not path or not os.path.exists(path):
        return PEER_DEFAULT
    peers = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if p:
                peers.append((p[0], p[1] if len(p) > 1 else "?", p[2] if len(p) > 2 else ""))
    return peers or PEER_DEFAULT


def peer_name(token):
    """wireguard-go_0.0.20231211-1+b9 -> wireguard-go 0.0.20231211-1+b9."""
    return token.replace("_", " ", 1)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return os.cpu_count(), model, platform.release()


def git_rev(top):
    try:
        rev = subprocess.run(["git", "-C", top, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", top, "status", "--porcelain", "--untracked-files=no",
                                "--", "dataplane", "common"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted dataplane/common changes" if dirty else "")
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--seconds", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--load", default="")
    ap.add_argument("--perf")
    ap.add_argument("--top", default=".")
    ap.add_argument("--summary")
    ap.add_argument("--record", default="0")
    ap.add_argument("--peers")
    ap.add_argument("--json")
    ap.add_argument("--cflags")
    ap.add_argument("--sizes")
    a = ap.parse_args()

    runs, order = load(a.results)
    peers = load_peers(a.peers)
    toks = [p[0] for p in peers]
    gws = ["ours"] + toks
    rows = []
    summary = []
    figures = []
    for fig, size in order:
        per = {gw: runs.get((gw, fig, size), []) for gw in gws}
        name = LABEL.get(fig, fig) + ("" if size == "-" else ", %s B" % size)
        units = ("mbps",) if fig.startswith("tcp") else ("pps", "mbps")
        for unit in units:
            i = 0 if unit == "pps" else 1
            m = {gw: med([r[i] for r in per[gw]]) for gw in gws}
            allruns = {gw: "/".join(fmt(r[i], unit) if r[i] is not None else "failed"
                                    for r in per[gw]) for gw in gws}
            off = {gw: med([r[2] for r in per[gw]]) for gw in gws} if unit == "pps" else {}
            row = [name + (" (pkt/s)" if unit == "pps" else " (Mbit/s)"), fmt(m["ours"], unit)]
            for t in toks:
                row += [fmt(m[t], unit), ratio(m["ours"], m[t])]
            row += [allruns[gw] for gw in gws]
            row.append(" / ".join(fmt(off.get(gw), "pps") for gw in gws) if off else "")
            rows.append(row)
            for gw in gws:
                if m[gw] is not None:
                    summary.append("%s.%s.%s.%s=%.1f" % (gw, fig, size, unit, m[gw]))
            if toks and m[toks[0]] is not None and toks[0] != "wireguard-go":
                summary.append("wireguard-go.%s.%s.%s=%.1f" % (fig, size, unit, m[toks[0]]))
            figures.append({
                "figure": name,
                "unit": "pkt/s" if unit == "pps" else "Mbit/s",
                "ours": m["ours"],
                "peers": {peer_name(t): m[t] for t in toks},
                "ratios": {peer_name(t): (round(m["ours"] / m[t], 3)
                                          if m["ours"] is not None and m[t] else None)
                           for t in toks},
            })

    ncpu, model, kernel = machine()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "make bench"
    if a.seconds != "5" or a.runs != "3":
        cmd += " BENCH_SECONDS=%s BENCH_RUNS=%s" % (a.seconds, a.runs)
    if a.sizes and a.sizes.split() != ["64", "1252"]:
        cmd += ' BENCH_SIZES="%s"' % a.sizes if " " in a.sizes.strip() else " BENCH_SIZES=%s" % a.sizes
    out = []
    out.append("## %s, %s" % (now, git_rev(a.top)))
    out.append("")
    out.append("- machine: %s CPUs, %s, Linux %s" % (ncpu, model, kernel))
    if a.load:
        l0, _, l1 = a.load.partition(" ")
        out.append("- 1-minute load average before the run: %s (%s; after it, with the benchmark's own load: %s)" % (
            l0, "other work shared the machine: treat the figures with care"
            if float(l0 or 0) > (ncpu or 1) / 2 else "a quiet machine", l1))
    for n, (t, binary, rep_ver) in enumerate(peers):
        out.append("- peer: %s (%s%s)%s" % (
            peer_name(t), binary, ", reports " + rep_ver if rep_ver else "",
            "; also the TCP client of every TCP figure" if n == 0 else ""))
    if a.cflags:
        out.append("- our binaries built with CFLAGS `%s`" % a.cflags)
    out.append("- command: `%s` (each figure %s x %s s, median shown; the whole run took %s s)"
               % (cmd, a.runs, a.seconds, a.elapsed))
    out.append("")
    head = ["figure", "ours"]
    for t in toks:
        head += [peer_name(t), "ours / " + peer_name(t)]
    head += ["runs, " + ("ours" if gw == "ours" else peer_name(gw)) for gw in gws]
    head.append("offered pkt/s, " + " / ".join("ours" if gw == "ours" else peer_name(gw) for gw in gws))
    out.append("| " + " | ".join(head) + " |")
    out.append("| --- | ---: |" + " ---: | ---: |" * len(toks) + " --- |" * len(gws) + " --- |")
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    out.append("")
    if a.perf and os.path.exists(a.perf):
        with open(a.perf) as f:
            out.append(f.read().rstrip())
        out.append("")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)

    if a.summary:
        with open(a.summary, "w") as f:
            f.write("\n".join(summary) + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=1)
            f.write("\n")
    if a.record == "1":
        path = os.path.join(a.top, "docs", "performance.md")
        new = not os.path.exists(path)
        with open(path, "a") as f:
            if new:
                f.write(HEADER)
            f.write("\n" + text)
        print("bench: appended to %s" % path)
    return 0


HEADER = """# Performance

Throughput of the dataplane measured side by side with wireguard-go acting as
the gateway, in one run on one machine (issue 9).  `make bench` appends one
section per run; every figure is the median of its runs, and each ratio
column is ours divided by that peer's (Debian 13's and the system's
wireguard-go, named by Debian package version; issue 20).  Timings never decide pass or fail; a
smoke run (tests/integ/test_bench_smoke.sh) only checks that packets flow.

How it is measured (tests/bench/bench.sh, tests/bench/loadgen.c):

- Three network namespaces (client, gateway, resource) joined by veth pairs,
  as in the end-to-end tests.
- **Ours** is configured exactly as in the e2e tests: the portal emulator
  authorizes the load generator's public key and PSK; the load generator's
  libnice NiceAgent does ICE with the gateway (candidates relayed through the
  emulator) and sends its WireGuard packets on the selected pair's socket, so
  ICE consent keeps running during the load (without it the gateway would
  close the connection after 10 s, control/ice.c).
- **wireguard-go** runs in the gateway namespace with the same client key and
  PSK, the client's tunnel address as AllowedIPs, MTU 1280, a route to the
  clients' range and the same forwarding and masquerade rules
  (contrib/setup-host-network.sh for its device).
- **UDP client -> resource**: the load generator (an independent WireGuard
  initiator on OpenSSL EVP, no dataplane code) does a real handshake, encrypts
  up front distinct transport packets with increasing counters, each one
  UDP/IPv4 datagram of the given payload size from the client's tunnel
  address to a sink in the resource namespace, and sends them with sendmmsg
  as fast as the socket takes them for the run's duration.  An nft counter in
  the resource namespace counts (and drops) what arrives; pkt/s = counted /
  sending time, Mbit/s counts the UDP payload.
- **UDP resource -> client**: a sender in the resource namespace blasts UDP at
  the client's tunnel address with sendmmsg; an nft counter in the client
  namespace counts (and drops) the WireGuard data messages arriving at the
  load generator's socket.  A UDP GSO train (one skb, many datagrams) is
  counted as its datagrams, from the counter's bytes.
- Payload sizes: 64 bytes and 1252 bytes (a 1280-byte inner IPv4 packet, the
  most the tunnel's 1280-byte MTU carries).
- **TCP**: one iperf3 stream through wireguard-go (the first peer) as the
  client, against our dataplane (with tests/tools/wg_driver as control, like
  test_wg_interop.sh) and against each wireguard-go peer as the gateway.
- The machine has few cores and every process (load generator, sink, both
  gateways' threads, the kernel's forwarding) shares them: the figures
  compare the two gateways under identical conditions, they are not line
  rates.  In particular wireguard-go spreads its work over both cores, which
  leaves the load generator less CPU: the offered rate (`send_pps`) and every
  single run are in the run's log, build/bench/last-run/.
- The profile is `perf record -g` of the gateway process during one more
  forward run; make bench builds the dataplane with frame pointers
  (build/bench/fp), so its call chains include our own functions.
"""

if __name__ == "__main__":
    sys.exit(main())
