#!/usr/bin/env python3
"""Check that every section (§) the tree cites exists in the notes under docs/.

Run from the top of the repository:
    python3 docs/check-refs.py [-v] [--implicit]
-v lists every citation found; --implicit lists those without a file name
and the note each one was taken to mean.

Citations are found in every tracked file outside docs/ in these forms
(old names of the specifications and new names of our notes alike):
    "gateway-dataplane.md §4.3", "p2p-wire.md section 2.4",
    "spec portal-protocol.md 1.1, 1.2", "docs/protocol/p2p.md §1.2-§1.4",
and, without a file name, "§2.8", "section 3.9", "spec 4.2": those are
resolved by the file's subject (DEFAULTS below).  References to RFCs and
to the WireGuard paper are skipped.  Every cited number, and both ends of
a range, must be a numbered heading ("## 4." or "### 4.3") of the note.
Exit status 1 if any citation does not resolve.
"""
import re
import subprocess
import sys

NOTES = {
    "portal": "docs/protocol/portal.md",
    "p2p": "docs/protocol/p2p.md",
    "dataplane": "docs/protocol/dataplane.md",
    "architecture": "docs/architecture.md",
}

# Old and new names -> note.  Longest names first.
NAMES = [
    (r"docs/protocol/portal\.md", "portal"),
    (r"docs/protocol/p2p\.md", "p2p"),
    (r"docs/protocol/dataplane\.md", "dataplane"),
    (r"docs/architecture\.md", "architecture"),
    (r"portal-protocol(?:\.md)?", "portal"),
    (r"p2p-wire(?:\.md)?", "p2p"),
    (r"gateway-dataplane(?:\.md)?", "dataplane"),
    (r"architecture\.md", "architecture"),
]
NAME_RE = re.compile("|".join("(%s)" % n for n, _ in NAMES))

# Which note a citation without a file name means, by path.
DEFAULTS = [
    (r"^control/(ice|ice_cand|p2p|turn|turnmgr|sockets)\.", "p2p"),
    (r"^dataplane/(demux|relaytab|udp|wg_\w+)\.", "p2p"),
    (r"^tests/unit/test_(ice|ice_cand|turn|demux|wg_\w+)\.", "p2p"),
    (r"^tests/fuzz/fuzz_(ice|ice_cand|turn|demux|wg)\.", "p2p"),
    (r"^tests/tools/client_shim\.c$", "p2p"),
    (r"^tests/integ/e2e_", "p2p"),
    (r"^tests/bench/", "p2p"),
    (r"^control/(phoenix|portal\w*|backoff|relays|gateway_id|session)\.", "portal"),
    (r"^dataplane/config\.", "portal"),
    (r"^tests/portal/", "portal"),
    (r"^tests/integ/(portal_\w+|test_portal_\w+|test_emulator)\.", "portal"),
    (r"^tests/unit/test_(backoff|portal_\w+|phoenix|gateway_id)\.", "portal"),
    (r"^control/(authz|dnsnat|dnspattern|health)\.", "dataplane"),
    (r"^dataplane/(filter|nat|nat64|netlink|packet|tun|tunnel|dataplane|iface|icmp_gen)\.", "dataplane"),
    (r"^tests/unit/test_(filter|nat|nat64|netlink|dnspattern|packet|authz)\.", "dataplane"),
    (r"^tests/integ/(test_netlink|test_dns_resource|test_access_control)\.sh$", "dataplane"),
    (r"^tests/integ/dns_p2p\.py$", "dataplane"),
    (r"^(common/sandbox\.h|dataplane/main\.c|dataplane/privdrop\.[ch])$", "architecture"),
]

NUM = r"\d+(?:\.\d+)?"
# A run of section numbers: "2.4", "1.6-1.10, 2.11", "§1.2-§1.4", "3.4/3.5",
# "2, 3", "§4.1 / §4.5", "§4 and §5".
RUN = r"§?\s*%s(?:\s*(?:,|-|/|and|to)\s*(?:§\s*)?%s)*" % (NUM, NUM)
# Citations with a file name, possibly split over two comment lines.
EXPLICIT = re.compile(
    r"(?P<name>%s)\s*(?:[*#/]*\s*)?(?:,\s*)?(?:(?:section|sections)\s+|§\s*|(?=\d))(?P<run>%s)"
    % (NAME_RE.pattern, RUN))
IMPLICIT = re.compile(
    r"(?:(?<![\w.])§\s*(?P<a>%s)|\bsections?\s+(?P<b>%s)|\bspec(?:'s)?\s+(?:section\s+)?§?(?P<c>%s))"
    % (RUN, RUN, RUN))
SKIP_BEFORE = re.compile(r"(RFC\s*\d+|whitepaper|WireGuard paper|paper)\W*(section\s*)?$", re.I)


def headings(path):
    """Numbered headings of a note: {"1", "1.1", "2.0", ...}.  The numbered
    items of a top-level section without subsections (a checklist: "7. ..."
    or a table row "| 7 |") count as "N.7", the way "§11 item 7" is cited."""
    out, top, subs, items = set(), None, {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^#{2,4}\s+(%s)\.?\s" % NUM, line)
            if m:
                out.add(m.group(1))
                if "." in m.group(1):
                    subs.setdefault(top, set()).add(m.group(1))
                else:
                    top = m.group(1)
                continue
            m = re.match(r"^(?:(\d+)\.\s|\|\s*(\d+)\s*\|)", line)
            if m and top is not None:
                items.setdefault(top, set()).add(m.group(1) or m.group(2))
    for t, its in items.items():
        if t not in subs:
            out.update("%s.%s" % (t, i) for i in its)
    return out


def numbers(run):
    return re.findall(NUM, run)


def note_of_name(name):
    for pat, note in NAMES:
        if re.fullmatch(pat, name):
            return note
    return None


def default_note(path):
    for pat, note in DEFAULTS:
        if re.search(pat, path):
            return note
    return None


def main():
    verbose = "-v" in sys.argv[1:]
    secs = {k: headings(v) for k, v in NOTES.items()}
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True,
                           check=True).stdout.split()
    found, missing, unresolved = 0, [], []
    for path in files:
        if path.startswith("docs/") or not re.search(
                r"\.(c|h|py|sh|md|mk|txt|8)$|^Makefile$", path):
            continue
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        spans = []
        for m in EXPLICIT.finditer(text):
            note = note_of_name(m.group("name"))
            line = text.count("\n", 0, m.start()) + 1
            spans.append((m.start(), m.end()))
            for n in numbers(m.group("run")):
                found += 1
                if n not in secs[note]:
                    missing.append("%s:%d: %s §%s" % (path, line, NOTES[note], n))
                elif verbose:
                    print("ok %s:%d: %s §%s" % (path, line, NOTES[note], n))
        for m in IMPLICIT.finditer(text):
            if any(a <= m.start() < b for a, b in spans):
                continue
            before = text[max(0, m.start() - 40):m.start()]
            if SKIP_BEFORE.search(before):
                continue
            # "RFC 6455 handshake, the section 5.7": an RFC earlier on the line.
            line_start = text.rfind("\n", 0, m.start()) + 1
            prefix = text[line_start:m.start()]
            if re.search(r"RFC\s*\d+|whitepaper|paper", prefix) and not NAME_RE.search(prefix):
                continue
            run = m.group("a") or m.group("b") or m.group("c")
            line = text.count("\n", 0, m.start()) + 1
            # A file name just before (up to two lines back) decides the note.
            near = list(NAME_RE.finditer(text[max(0, m.start() - 160):m.start()]))
            note = note_of_name(near[-1].group(0)) if near else default_note(path)
            if not near and note is not None and "--implicit" in sys.argv[1:]:
                print("implicit %s:%d: %s -> %s" % (path, line, m.group(0).strip(), NOTES[note]))
            if note is None:
                unresolved.append("%s:%d: %s" % (path, line, m.group(0).strip()))
                continue
            for n in numbers(run):
                found += 1
                if n not in secs[note]:
                    missing.append("%s:%d: %s §%s" % (path, line, NOTES[note], n))
                elif verbose:
                    print("ok %s:%d: %s §%s" % (path, line, NOTES[note], n))
    for s in missing:
        print("MISSING", s)
    for s in unresolved:
        print("UNRESOLVED", s)
    print("%d section citations checked, %d missing, %d without a note" %
          (found, len(missing), len(unresolved)))
    return 1 if missing or unresolved else 0


if __name__ == "__main__":
    sys.exit(main())
