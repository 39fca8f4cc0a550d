#!/bin/sh
# counter.sh NETNS NAME: "PACKETS BYTES" of the named nft counter of table
# inet fzbench in that namespace (the benchmark's sinks; tests/bench/bench.sh).
exec ip netns exec "$1" nft list counter inet fzbench "$2" 2>/dev/null |
	awk '{ for (i = 1; i < NF; i++) { if ($i == "packets") p = $(i + 1); if ($i == "bytes") b = $(i + 1) } }
	     END { if (p == "") exit 1; print p, b }'
