UNIT_TESTS += candq
test_candq_SRCS := tests/unit/test_candq.c control/candq.c
test_candq_PKGS :=
