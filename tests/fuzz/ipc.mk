FUZZ_TARGETS += ipc
fuzz_ipc_SRCS := tests/fuzz/fuzz_ipc.c common/ipc.c common/addr.c common/log.c
fuzz_ipc_PKGS :=
