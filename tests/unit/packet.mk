UNIT_TESTS += packet
test_packet_SRCS := tests/unit/test_packet.c dataplane/packet.c tests/unit/pkt_ref.c common/log.c
test_packet_PKGS :=
