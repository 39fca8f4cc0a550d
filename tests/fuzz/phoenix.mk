FUZZ_TARGETS += phoenix
fuzz_phoenix_SRCS := tests/fuzz/fuzz_phoenix.c control/phoenix.c
fuzz_phoenix_PKGS := json-c
