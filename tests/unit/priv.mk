UNIT_TESTS += priv
test_priv_SRCS := tests/unit/test_priv.c common/priv.c common/addr.c common/log.c
test_priv_PKGS :=
