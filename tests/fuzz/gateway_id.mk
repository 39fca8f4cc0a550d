FUZZ_TARGETS += gateway_id
fuzz_gateway_id_SRCS := tests/fuzz/fuzz_gateway_id.c control/gateway_id.c common/log.c
fuzz_gateway_id_PKGS := libcrypto json-c
