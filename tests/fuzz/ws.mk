FUZZ_TARGETS += ws
fuzz_ws_SRCS := tests/fuzz/fuzz_ws.c control/ws_codec.c
fuzz_ws_PKGS := libcrypto
