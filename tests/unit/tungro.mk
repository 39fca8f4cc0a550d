UNIT_TESTS += tungro
test_tungro_SRCS := tests/unit/test_tungro.c dataplane/tungro.c dataplane/tunoff.c dataplane/packet.c common/log.c
test_tungro_PKGS :=
