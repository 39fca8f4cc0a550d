UNIT_TESTS += icmp_gen
test_icmp_gen_SRCS := tests/unit/test_icmp_gen.c dataplane/icmp_gen.c dataplane/packet.c tests/unit/pkt_ref.c common/log.c
test_icmp_gen_PKGS :=
