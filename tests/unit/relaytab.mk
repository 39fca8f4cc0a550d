UNIT_TESTS += relaytab
test_relaytab_SRCS := tests/unit/test_relaytab.c dataplane/relaytab.c common/addr.c common/log.c
test_relaytab_PKGS :=
