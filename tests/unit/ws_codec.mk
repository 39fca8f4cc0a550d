UNIT_TESTS += ws_codec
test_ws_codec_SRCS := tests/unit/test_ws_codec.c control/ws_codec.c
test_ws_codec_PKGS := libcrypto
