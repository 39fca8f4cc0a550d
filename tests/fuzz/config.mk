FUZZ_TARGETS += config
fuzz_config_SRCS := tests/fuzz/fuzz_config.c dataplane/config.c common/log.c
fuzz_config_PKGS := libcrypto
