FUZZ_TARGETS += icmp_gen
fuzz_icmp_gen_SRCS := tests/fuzz/fuzz_icmp_gen.c dataplane/icmp_gen.c dataplane/packet.c common/log.c
fuzz_icmp_gen_PKGS :=
