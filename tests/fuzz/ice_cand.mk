FUZZ_TARGETS += ice_cand
fuzz_ice_cand_SRCS := tests/fuzz/fuzz_ice_cand.c control/ice_cand.c common/log.c
fuzz_ice_cand_PKGS :=
