UNIT_TESTS += peers
test_peers_SRCS := tests/unit/test_peers.c dataplane/peers.c
test_peers_PKGS :=
