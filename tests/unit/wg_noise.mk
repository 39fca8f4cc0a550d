UNIT_TESTS += wg_noise
test_wg_noise_SRCS := tests/unit/test_wg_noise.c dataplane/wg_noise.c dataplane/wg_cookie.c dataplane/wg_counter.c dataplane/wg_index.c dataplane/wg_crypto.c common/log.c
test_wg_noise_PKGS := libcrypto
