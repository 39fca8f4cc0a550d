FUZZ_TARGETS += relaytab
fuzz_relaytab_SRCS := tests/fuzz/fuzz_relaytab.c dataplane/relaytab.c common/addr.c common/log.c
fuzz_relaytab_PKGS :=
