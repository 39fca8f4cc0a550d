"""A strict reader of the Prometheus text exposition format (0.0.4) for the
gateway's /metrics page, shared by the integration suites (test_health.sh,
test_observability.sh).

parse(text) checks every line -- HELP before TYPE before the samples of a
name, counter or gauge only, the firezone_gateway_ prefix, _total on every
counter, no duplicate sample, a final newline -- and returns
{"name{labels}": value}.  scrape(url) fetches the page and checks its status
and Content-Type.

Run as a program: metrics_lib.py URL prints the samples as one JSON object.
"""
import json
import re
import sys
import urllib.request

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"%s=\"(?:[^\"\\\n]|\\.)*\"" % NAME
SAMPLE = re.compile(r"^(%s)(\{(%s)(,%s)*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|\+Inf|-Inf)$"
                    % (NAME, LABEL, LABEL))


def scrape(url):
    r = urllib.request.urlopen(url, timeout=5)
    assert r.status == 200, r.status
    ct = r.headers.get("Content-Type", "")
    assert ct.startswith("text/plain; version=0.0.4"), ct
    return r.read().decode()


def parse(text):
    assert text.endswith("\n"), "no final newline"
    help_, type_, samples, seen = {}, {}, {}, set()
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            n = line.split(" ", 3)[2]
            assert n not in help_, "duplicate HELP " + n
            help_[n] = line
        elif line.startswith("# TYPE "):
            _, _, n, t = line.split(" ")
            assert t in ("counter", "gauge"), line
            assert n in help_ and n not in type_ and n not in samples, "TYPE order " + n
            type_[n] = t
        else:
            m = SAMPLE.match(line)
            assert m, "bad sample line: %r" % line
            n = m.group(1)
            assert n in type_, "sample before TYPE: " + n
            assert n.startswith("firezone_gateway_"), n
            if type_[n] == "counter":
                assert n.endswith("_total"), "counter without _total: " + n
            key = line.rsplit(" ", 1)[0]
            assert key not in seen, "duplicate sample " + key
            seen.add(key)
            samples[key] = float(line.rsplit(" ", 1)[1])
    return samples


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: metrics_lib.py URL", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(parse(scrape(sys.argv[1])), sort_keys=True))
