FUZZ_TARGETS += wg
fuzz_wg_SRCS := tests/fuzz/fuzz_wg.c dataplane/wg_noise.c dataplane/wg_cookie.c dataplane/wg_counter.c dataplane/wg_index.c dataplane/wg_crypto.c common/log.c
fuzz_wg_PKGS := libcrypto
