FUZZ_TARGETS += demux
fuzz_demux_SRCS := tests/fuzz/fuzz_demux.c dataplane/demux.c common/log.c
fuzz_demux_PKGS :=
