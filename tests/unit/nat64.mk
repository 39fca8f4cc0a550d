UNIT_TESTS += nat64
test_nat64_SRCS := tests/unit/test_nat64.c dataplane/nat64.c dataplane/packet.c tests/unit/pkt_ref.c common/log.c
test_nat64_PKGS :=
