UNIT_TESTS += config
test_config_SRCS := tests/unit/test_config.c dataplane/config.c common/log.c
test_config_PKGS := libcrypto
