FUZZ_TARGETS += ice
fuzz_ice_SRCS := tests/fuzz/fuzz_ice.c control/ice.c control/ice_cand.c common/log.c
fuzz_ice_PKGS := nice libcrypto
