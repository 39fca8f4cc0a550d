UNIT_TESTS += wg_crypto
test_wg_crypto_SRCS := tests/unit/test_wg_crypto.c dataplane/wg_crypto.c common/log.c
test_wg_crypto_PKGS := libcrypto
