FUZZ_TARGETS += turn
fuzz_turn_SRCS := tests/fuzz/fuzz_turn.c control/turn.c common/log.c
fuzz_turn_PKGS := nice libcrypto
