UNIT_TESTS += tunoff
test_tunoff_SRCS := tests/unit/test_tunoff.c dataplane/tunoff.c dataplane/packet.c common/log.c
test_tunoff_PKGS :=
