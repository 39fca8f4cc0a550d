FUZZ_TARGETS += dnsfwd
fuzz_dnsfwd_SRCS := tests/fuzz/fuzz_dnsfwd.c control/dnsfwd.c
fuzz_dnsfwd_PKGS :=
