UNIT_TESTS += portal_url
test_portal_url_SRCS := tests/unit/test_portal_url.c control/portal_url.c
test_portal_url_PKGS := libcrypto
