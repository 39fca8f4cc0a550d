UNIT_TESTS += filter
test_filter_SRCS := tests/unit/test_filter.c dataplane/filter.c common/addr.c dataplane/packet.c tests/unit/pkt_ref.c common/log.c
test_filter_PKGS :=
