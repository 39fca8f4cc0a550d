UNIT_TESTS += portal_msg
test_portal_msg_SRCS := tests/unit/test_portal_msg.c control/portal_msg.c common/addr.c common/log.c
test_portal_msg_PKGS := json-c libcrypto
