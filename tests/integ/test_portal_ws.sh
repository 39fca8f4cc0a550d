#!/bin/sh
# Portal conformance over ws: the checklist of docs/protocol/portal.md section 6,
# item by item, against the real gateway and the portal emulator, one
# network namespace per scenario (tests/integ/portal_checks.py).
# About 70 s (one scenario watches two heartbeats).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_suite.sh"
portal_suite ws "$@"
