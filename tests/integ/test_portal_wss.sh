#!/bin/sh
# Portal conformance over wss: the checklist of docs/protocol/portal.md section 6
# again over TLS, with a test CA from tests/portal/make-ca.sh trusted through
# SSL_CERT_FILE and the portal reached as portal.test (the namespace's hosts
# file); certificates for the wrong host, from an unknown CA and expired
# ones are refused and retried (tests/integ/portal_checks.py).  About 45 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_suite.sh"
portal_suite wss "$@"
