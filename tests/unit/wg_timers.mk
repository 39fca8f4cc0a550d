UNIT_TESTS += wg_timers
test_wg_timers_SRCS := tests/unit/test_wg_timers.c dataplane/wg_timers.c common/log.c
test_wg_timers_PKGS :=
