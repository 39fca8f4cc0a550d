UNIT_TESTS += wg_index
test_wg_index_SRCS := tests/unit/test_wg_index.c dataplane/wg_index.c dataplane/wg_crypto.c common/log.c
test_wg_index_PKGS := libcrypto
