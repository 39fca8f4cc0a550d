UNIT_TESTS += nat
test_nat_SRCS := tests/unit/test_nat.c dataplane/nat.c dataplane/nat64.c dataplane/packet.c tests/unit/pkt_ref.c common/log.c
test_nat_PKGS :=
