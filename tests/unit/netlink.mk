UNIT_TESTS += netlink
test_netlink_SRCS := tests/unit/test_netlink.c dataplane/netlink.c common/log.c
test_netlink_PKGS :=
