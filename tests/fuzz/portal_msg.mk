FUZZ_TARGETS += portal_msg
fuzz_portal_msg_SRCS := tests/fuzz/fuzz_portal_msg.c control/portal_msg.c common/addr.c common/log.c
fuzz_portal_msg_PKGS := json-c libcrypto
