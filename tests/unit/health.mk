UNIT_TESTS += health
test_health_SRCS := tests/unit/test_health.c control/health.c common/log.c
test_health_PKGS := libevent
