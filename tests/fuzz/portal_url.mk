FUZZ_TARGETS += portal_url
fuzz_portal_url_SRCS := tests/fuzz/fuzz_portal_url.c control/portal_url.c
fuzz_portal_url_PKGS := libcrypto
