UNIT_TESTS += dnsfwd
test_dnsfwd_SRCS := tests/unit/test_dnsfwd.c control/dnsfwd.c
test_dnsfwd_PKGS :=
