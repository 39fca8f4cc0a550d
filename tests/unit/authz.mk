UNIT_TESTS += authz
test_authz_SRCS := tests/unit/test_authz.c control/authz.c control/relays.c common/log.c
test_authz_PKGS := libcrypto
