UNIT_TESTS += backoff
test_backoff_SRCS := tests/unit/test_backoff.c control/backoff.c
test_backoff_PKGS :=
