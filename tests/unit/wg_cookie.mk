UNIT_TESTS += wg_cookie
test_wg_cookie_SRCS := tests/unit/test_wg_cookie.c dataplane/wg_cookie.c dataplane/wg_crypto.c common/log.c
test_wg_cookie_PKGS := libcrypto
