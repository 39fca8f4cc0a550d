UNIT_TESTS += flowlog
test_flowlog_SRCS := tests/unit/test_flowlog.c dataplane/flowlog.c dataplane/packet.c tests/unit/pkt_ref.c
test_flowlog_PKGS := json-c
