#!/usr/bin/python3
"""Candidate signalling for the end-to-end tests: plays the portal's relay of
ICE candidates between the gateway (behind the portal emulator) and the
reference client's shim (tests/tools/client_shim.c).

  gateway -> client: every `broadcast_ice_candidates` frame the gateway sent
      to the emulator (its frame log) that lists our client id becomes one
      `cand <candidate>` line on the shim's stdin (a FIFO), as the portal
      forwards them as `ice_candidates`; `broadcast_invalidated_ice_candidates`
      become `invalidate <candidate>` lines.
  client -> gateway: every `shim: candidate <candidate>` line of the shim's
      output is pushed to the gateway through the emulator's control socket
      as `ice_candidates {client_id, candidates}`, once the gateway answered
      the flow (`flow_authorized` or, on today's v2 channel,
      `authorization_created` with our ref, or `connection_ready`): the
      gateway ignores candidates for a client it has no connection for
      (docs/protocol/p2p.md section 2.2), and the portal only tells the client about
      the gateway after that answer.

Runs until SIGTERM/SIGINT; one line per relayed batch on stdout:
  signal: gateway -> client: <candidate>
  signal: client -> gateway: <n> candidate(s): <candidate> | ...
  signal: flow answered (<event> ref <ref>)

usage: e2e_signal.py --emu-log LOG --emu-sock SOCK --client-id ID --ref REF
                     --shim-out FILE --shim-in FIFO
"""
import argparse
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "portal"))
from emuctl import call  # noqa: E402


class Tail:
    """The complete lines appended to a file since the last call."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.part = b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return []
        self.pos += len(data)
        data = self.part + data
        *done, self.part = data.split(b"\n")
        return [d.decode("utf-8", "replace") for d in done]


def say(msg):
    print("signal: " + msg, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu-log", required=True)
    ap.add_argument("--emu-sock", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--shim-out", required=True)
    ap.add_argument("--shim-in", required=True)
    a = ap.parse_args()

    running = [True]

    def stop(*_):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # The shim holds its FIFO open read-write, so this open never blocks.
    fifo = os.open(a.shim_in, os.O_WRONLY | os.O_NONBLOCK)
    emu_log, shim_out = Tail(a.emu_log), Tail(a.shim_out)
    answered = False
    pending, sent_to_client = [], set()

    def to_shim(line):
        os.write(fifo, (line + "\n").encode())

    while running[0]:
        for line in emu_log.lines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("kind") != "frame" or r.get("dir") != "g2p" or not isinstance(r.get("json"), dict):
                continue
            ev, p = r.get("event"), r["json"].get("payload")
            if not isinstance(p, dict):
                continue
            if ev in ("flow_authorized", "authorization_created", "connection_ready") and p.get("ref") == a.ref and not answered:
                answered = True
                say("flow answered (%s ref %s)" % (ev, a.ref))
            elif ev in ("broadcast_ice_candidates", "broadcast_invalidated_ice_candidates") \
                    and a.client_id in (p.get("client_ids") or []):
                for c in p.get("candidates") or []:
                    if ev == "broadcast_ice_candidates":
                        # The portal forwards every message; a repeat is harmless
                        # for the agent but noise in the log.
                        if c in sent_to_client:
                            continue
                        sent_to_client.add(c)
                        to_shim("cand " + c)
                        say("gateway -> client: " + c)
                    else:
                        sent_to_client.discard(c)
                        to_shim("invalidate " + c)
                        say("gateway -> client: invalidated " + c)
        for line in shim_out.lines():
            if line.startswith("shim: candidate "):
                pending.append(line[len("shim: candidate "):].strip())
        if answered and pending:
            ans = call(a.emu_sock, {"cmd": "push", "event": "ice_candidates",
                                    "payload": {"client_id": a.client_id, "candidates": pending}})
            if ans.get("ok"):
                say("client -> gateway: %d candidate(s): %s" % (len(pending), " | ".join(pending)))
                pending = []
            else:
                say("push ice_candidates failed: %s (retrying)" % ans.get("error"))
        time.sleep(0.05)
    os.close(fifo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
