FUZZ_TARGETS += packet_filter
fuzz_packet_filter_SRCS := tests/fuzz/fuzz_packet_filter.c dataplane/filter.c common/addr.c dataplane/packet.c common/log.c
fuzz_packet_filter_PKGS :=
