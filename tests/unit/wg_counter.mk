UNIT_TESTS += wg_counter
test_wg_counter_SRCS := tests/unit/test_wg_counter.c dataplane/wg_counter.c common/log.c
test_wg_counter_PKGS :=
