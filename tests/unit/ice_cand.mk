UNIT_TESTS += ice_cand
test_ice_cand_SRCS := tests/unit/test_ice_cand.c control/ice_cand.c common/log.c
test_ice_cand_PKGS := nice libcrypto
