UNIT_TESTS += phoenix
test_phoenix_SRCS := tests/unit/test_phoenix.c control/phoenix.c
test_phoenix_PKGS := json-c
