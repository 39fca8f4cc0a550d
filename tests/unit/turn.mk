UNIT_TESTS += turn
test_turn_SRCS := tests/unit/test_turn.c control/turn.c common/log.c
test_turn_PKGS := nice libcrypto
