FUZZ_TARGETS += netlink
fuzz_netlink_SRCS := tests/fuzz/fuzz_netlink.c dataplane/netlink.c common/log.c
fuzz_netlink_PKGS :=
