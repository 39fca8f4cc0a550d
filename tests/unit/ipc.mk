UNIT_TESTS += ipc
test_ipc_SRCS := tests/unit/test_ipc.c common/ipc.c common/addr.c common/log.c
test_ipc_PKGS :=
