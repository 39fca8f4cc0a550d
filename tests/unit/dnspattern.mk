UNIT_TESTS += dnspattern
test_dnspattern_SRCS := tests/unit/test_dnspattern.c control/dnspattern.c common/log.c
test_dnspattern_PKGS :=
