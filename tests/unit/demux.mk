UNIT_TESTS += demux
test_demux_SRCS := tests/unit/test_demux.c dataplane/demux.c common/log.c
test_demux_PKGS :=
