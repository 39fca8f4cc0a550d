FUZZ_TARGETS += tunoff
fuzz_tunoff_SRCS := tests/fuzz/fuzz_tunoff.c dataplane/tunoff.c dataplane/packet.c common/log.c
fuzz_tunoff_PKGS :=
