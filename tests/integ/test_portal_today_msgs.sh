#!/bin/sh
# Today's portal messages (issue 15): create_authorization, init with
# authorizations, no_relays, set_snownet_capabilities, relay keep-alive,
# access_authorization_expiry_updated (tests/integ/portal_today_msgs.py).
# About 100 s (it watches two 25 s relay keep-alives).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_suite.sh"
command -v turnserver >/dev/null 2>&1 || fail "coturn (turnserver) missing (Debian package coturn)"
portal_suite_run portal_today_msgs.py "$@"
