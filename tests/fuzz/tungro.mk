FUZZ_TARGETS += tungro
fuzz_tungro_SRCS := tests/fuzz/fuzz_tungro.c dataplane/tungro.c dataplane/tunoff.c dataplane/packet.c common/log.c
fuzz_tungro_PKGS :=
