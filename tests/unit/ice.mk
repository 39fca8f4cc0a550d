UNIT_TESTS += ice
test_ice_SRCS := tests/unit/test_ice.c control/ice.c control/ice_cand.c common/log.c
test_ice_PKGS := nice libcrypto
