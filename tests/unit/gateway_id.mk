UNIT_TESTS += gateway_id
test_gateway_id_SRCS := tests/unit/test_gateway_id.c control/gateway_id.c common/log.c
test_gateway_id_PKGS := libcrypto json-c
