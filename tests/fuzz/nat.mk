FUZZ_TARGETS += nat
fuzz_nat_SRCS := tests/fuzz/fuzz_nat.c dataplane/nat.c dataplane/nat64.c dataplane/packet.c common/log.c
fuzz_nat_PKGS :=
