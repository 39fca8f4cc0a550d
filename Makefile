# Firezone gateway in C: one non-recursive Makefile.
#
#   make            build both binaries into build/
#   make check      install missing Debian packages (as root), build, run every suite
#   make demo       install missing packages, build, run the local demo (root)
#   make install    PREFIX=/usr/local DESTDIR= LIBEXECDIR=$(PREFIX)/libexec
#   make deb        the Debian package build/deb/firezone-gateway_VERSION_ARCH.deb
#                   (dpkg-buildpackage, then lintian)
#   make systemd-test  boot a Debian 12 container with systemd, install the
#                   package there and run the gateway under its unit (root)
#   make SANITIZE=1 ASan + UBSan build (in build-san/), with the test hooks
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (default 60) each
#   make WG_SHORT=1 test-only build with WireGuard timers / 10 and the test
#                   hooks (build-shorttimers/)
#
# The test hooks (FZ_TEST_HOOKS: FZ_TEST_MODE, FIREZONE_SECCOMP=off) exist
# only in the test builds, which make install refuses; build/ has none.
#   make V=1        show the commands

VERSION     := 0.1.0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/sbin
LIBEXECDIR  ?= $(PREFIX)/libexec/firezone
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DATADIR     ?= $(PREFIX)/share/firezone-gateway
DESTDIR     ?=

CC       ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),1)
B        := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CPPFLAGS += -DFZ_TEST_HOOKS
else ifeq ($(WG_SHORT),1)
# Test-only build with every WireGuard timer divided by 10 (rekey tests)
# and the test hooks (tests/integ/test_sandbox.sh); never installed.
B        := build-shorttimers
SANFLAGS :=
CPPFLAGS += -DWG_TEST_SHORT_TIMERS -DFZ_TEST_HOOKS
else
B        := build
SANFLAGS :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes \
            -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DFZ_VERSION='"$(VERSION)"' -DFZ_LIBEXECDIR='"$(LIBEXECDIR)"' -Icommon
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
LDFLAGS  += $(SANFLAGS) -pie -Wl,-z,relro,-z,now

# Each binary has its own libraries: the privileged dataplane never links
# the control process's libraries (json-c, libnice/GLib, libevent_openssl).
DP_PKGS  := libcrypto libcap-ng libevent_core libseccomp
CTL_PKGS := libevent libevent_openssl openssl json-c nice libseccomp
TEST_PKGS := check

pc_cflags = $(if $(1),$(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null))
pc_libs   = $(if $(1),$(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null))

COMMON_SRCS := $(sort $(wildcard common/*.c))
DP_SRCS     := $(sort $(wildcard dataplane/*.c))
CTL_SRCS    := $(sort $(wildcard control/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

DP_BIN  := $(B)/firezone-gateway
CTL_BIN := $(B)/firezone-gateway-control

.PHONY: all check unit integ demo install clean deps-build deps-test bench bench-connect bench-scale fuzz deb systemd-test soak
all: $(DP_BIN) $(CTL_BIN)

# Per-directory compile flags.
$(B)/obj/dataplane/%.o: EXTRA_CFLAGS = $(call pc_cflags,$(DP_PKGS))
$(B)/obj/control/%.o:   EXTRA_CFLAGS = $(call pc_cflags,$(CTL_PKGS))
$(B)/obj/tests/%.o:     EXTRA_CFLAGS = $(call pc_cflags,$(DP_PKGS) $(CTL_PKGS) $(TEST_PKGS)) -Idataplane -Icontrol -Itests/unit

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -MMD -MP -c -o $@ $<

$(DP_BIN): $(call obj,$(COMMON_SRCS) $(DP_SRCS))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DP_PKGS))

$(CTL_BIN): $(call obj,$(COMMON_SRCS) $(CTL_SRCS))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(CTL_PKGS))

# ---- unit suites ---------------------------------------------------------
# Each suite is described by tests/unit/<name>.mk:
#   UNIT_TESTS += name
#   test_name_SRCS := tests/unit/test_name.c common/foo.c ...   (what it links)
#   test_name_PKGS := libcrypto                                  (extra pkg-config names)
UNIT_TESTS :=
include $(sort $(wildcard tests/unit/*.mk))

define unit_rule
$(B)/tests/test_$(1): $$(call obj,$$(test_$(1)_SRCS))
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(call pc_libs,$(TEST_PKGS) $$(test_$(1)_PKGS))
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

UNIT_BINS := $(foreach t,$(UNIT_TESTS),$(B)/tests/test_$(t))

# Helper programs of the integration tests: tests/tools/<name>.c.
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(B)/tests/tools/%,$(TOOL_SRCS))
$(B)/tests/tools/%: $(B)/obj/tests/tools/%.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

# make test-NAME builds and runs one suite.
test-%: $(B)/tests/test_%
	$(Q)CK_DEFAULT_TIMEOUT=60 $<

unit: $(UNIT_BINS)
	$(Q)fail=0; pass=0; for t in $(UNIT_BINS); do \
		if CK_DEFAULT_TIMEOUT=60 FZ_BUILD=$(B) $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); echo "FAIL: $$t"; fi; \
	done; echo "unit suites: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# ---- fuzz targets (clang libFuzzer) ------------------------------------------
# Each target is described by tests/fuzz/<name>.mk:
#   FUZZ_TARGETS += name
#   fuzz_name_SRCS := tests/fuzz/fuzz_name.c control/ws_codec.c ...
#   fuzz_name_PKGS := libcrypto json-c
# Seeds live in tests/fuzz/corpus/<name>/; crashes found are kept in
# build-fuzz/crashes/<name>/; fixed ones, moved to tests/fuzz/regress/<name>/
# with their fix, are replayed by every run.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
CHECK_FUZZ_SECONDS ?= 5
FB           := build-fuzz
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS :=
include $(sort $(wildcard tests/fuzz/*.mk))

define fuzz_rule
$(FB)/fuzz_$(1): $$(fuzz_$(1)_SRCS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  FUZZ-LD $$@")
	$$(Q)$$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -DFZ_VERSION='"$(VERSION)"' -DFZ_LIBEXECDIR='"$(LIBEXECDIR)"' \
		-DFZ_FUZZING -Icommon -Icontrol -Idataplane $$(FUZZ_FLAGS) \
		$$(call pc_cflags,$$(fuzz_$(1)_PKGS)) -o $$@ $$^ $$(call pc_libs,$$(fuzz_$(1)_PKGS))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))
FUZZ_BINS := $(foreach t,$(FUZZ_TARGETS),$(FB)/fuzz_$(t))

# make fuzz: every target for FUZZ_SECONDS each (make fuzz FUZZ_SECONDS=600).
fuzz: $(FUZZ_BINS)
	$(Q)FZ_FUZZ_SECONDS=$(FUZZ_SECONDS) FB=$(FB) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

# ---- integration suites (root, network namespaces) ------------------------
integ: all $(TOOL_BINS)
	$(Q)FZ_BUILD=$(B) sh tests/integ/run-all.sh

deps-build:
	$(Q)sh contrib/deps.sh build
deps-test:
	$(Q)sh contrib/deps.sh test

check: deps-test
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)
	$(Q)$(MAKE) --no-print-directory WG_SHORT=1 all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 unit
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	$(Q)$(MAKE) --no-print-directory integ

demo: deps-test
	$(Q)$(MAKE) --no-print-directory all
	$(Q)FZ_BUILD=$(B) sh tests/demo.sh

# make bench: UDP and TCP throughput of our gateway and of wireguard-go acting
# as the gateway, in one run (tests/bench/bench.sh, root); appends the table to
# docs/performance.md and writes build/bench/summary.json.  The peers: Debian
# 13's wireguard-go (fetched once into build/bench/peer-trixie with a private
# apt state, tests/bench/fetch_peer.sh) and the system's.  Our binaries are
# built with frame pointers into build/bench/fp (BENCH_FP=0: build/ as is) so
# that perf's call chains include our own functions.
# BENCH_SECONDS (5), BENCH_RUNS (3), BENCH_SIZES ("64 1252"), BENCH_PERF (1).
# Never part of make check: timings decide nothing (test_bench_smoke.sh only
# checks that packets flow).
BENCH_FP_CFLAGS := -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer
BENCH_B := $(if $(filter 0,$(BENCH_FP)),$(B),build/bench/fp)
bench:
	$(Q)sh contrib/deps.sh bench
	$(Q)$(MAKE) --no-print-directory $(if $(filter 0,$(BENCH_FP)),,B=$(BENCH_B) CFLAGS="$(BENCH_FP_CFLAGS)") \
		all $(BENCH_B)/tests/tools/wg_driver
	$(Q)FZ_TOP=$(CURDIR) FZ_BUILD=$(BENCH_B) BENCH_FETCH=1 BENCH_JSON=$(CURDIR)/build/bench/summary.json \
		BENCH_KEEP=$(CURDIR)/build/bench/last-run $(if $(filter 0,$(BENCH_FP)),,BENCH_CFLAGS="$(BENCH_FP_CFLAGS)") \
		$(if $(BENCH_SECONDS),BENCH_SECONDS=$(BENCH_SECONDS)) \
		$(if $(BENCH_RUNS),BENCH_RUNS=$(BENCH_RUNS)) $(if $(BENCH_SIZES),BENCH_SIZES="$(BENCH_SIZES)") \
		$(if $(BENCH_PERF),BENCH_PERF=$(BENCH_PERF)) sh tests/bench/bench.sh

# make bench-connect: connection setup time, authorize_flow push to the first
# echo through the tunnel, CONNECT_N (100) sequential connections of the
# reference client on the direct and on the relayed (coturn) path
# (tests/bench/connect.sh, root); appends p50/p95/max to docs/performance.md
# (BENCH_RECORD=0: print only).  Never part of make check.
CONNECT_N ?= 100
bench-connect:
	$(Q)sh contrib/deps.sh test
	$(Q)$(MAKE) --no-print-directory all
	$(Q)rm -f build/bench/connect-direct.json build/bench/connect-relayed.json
	$(Q)FZ_TOP=$(CURDIR) FZ_BUILD=$(B) CONNECT_OUT=$(CURDIR)/build/bench sh tests/bench/connect.sh direct $(CONNECT_N)
	$(Q)FZ_TOP=$(CURDIR) FZ_BUILD=$(B) CONNECT_OUT=$(CURDIR)/build/bench sh tests/bench/connect.sh relayed $(CONNECT_N)
	$(Q)python3 tests/bench/connect_report.py --dir build/bench --top $(CURDIR) --record $(or $(BENCH_RECORD),1) \
		--command "make bench-connect$(if $(filter-out 100,$(CONNECT_N)), CONNECT_N=$(CONNECT_N))"

# make bench-scale: N (SCALE_N, default 10000) clients connected through the
# portal emulator (tests/bench/scale.sh, root): memory per client of both
# processes, idle CPU, time to connect them all; appends to
# docs/performance-scale.md.  RATE (authorize_flow per second, 0 = burst),
# IDLE_S, SETTLE_S, PERF_S pass through.  Never part of make check
# (tests/integ/test_scale_smoke.sh runs 50 clients and checks only that
# they connect).
bench-scale:
	$(Q)sh contrib/deps.sh test
	$(Q)$(MAKE) --no-print-directory all
	$(Q)FZ_TOP=$(CURDIR) FZ_BUILD=$(B) sh tests/bench/scale.sh $(or $(SCALE_N),10000)

# The unit and the man page name the default /usr/local paths; install
# writes the ones of this installation (the Debian package: /usr/bin, ...).
INSTALL_PATHS = -e 's|/usr/local/sbin/firezone-gateway|$(BINDIR)/firezone-gateway|g' \
	-e 's|/usr/local/libexec/firezone/|$(LIBEXECDIR)/|g' \
	-e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
	-e 's|/usr/local/lib/sysusers.d|$(SYSUSERSDIR)|g' \
	-e 's|/usr/local/lib/tmpfiles.d|$(TMPFILESDIR)|g' \
	-e 's|/usr/local/share/firezone-gateway|$(DATADIR)|g'

# make soak: the gateway for SOAK_MINUTES (60) under churn, checked traffic
# and faults (tests/soak/soak.sh, root); appends its figures and a plot to
# docs/reliability.md.  SOAK_N (1000 clients), SOAK_CHURN (2 joins and
# leaves a second), SOAK_TRAFFIC (20 checked clients), SOAK_SAMPLE_S (10),
# SOAK_LOSS_PCT (2), SOAK_LOSS_S (120), SOAK_STOP_S (20), SOAK_AWAY_S (180),
# SOAK_FLOOD_S (30), SOAK_WARMUP_S (300), SOAK_PERIOD_S (180) pass through.
# Real timers: run it on build/ (WG_SHORT=1 uses build-shorttimers/).
# The 1-minute smoke version is tests/integ/test_soak_smoke.sh (make check).
SOAK_KNOBS := SOAK_MINUTES SOAK_N SOAK_CHURN SOAK_TRAFFIC SOAK_SAMPLE_S SOAK_LOSS_PCT SOAK_LOSS_S \
	SOAK_STOP_S SOAK_AWAY_S SOAK_FLOOD_S SOAK_WARMUP_S SOAK_PERIOD_S
soak:
	$(Q)sh contrib/deps.sh soak
	$(Q)$(MAKE) --no-print-directory all
	$(Q)FZ_TOP=$(CURDIR) FZ_BUILD=$(B) SOAK_PLOT=$(CURDIR)/docs/soak-$(or $(SOAK_MINUTES),60)min.png \
		$(foreach k,$(SOAK_KNOBS),$(if $($(k)),$(k)=$($(k)))) sh tests/soak/soak.sh

install: all
	$(Q)if [ "$(WG_SHORT)" = 1 ] || [ "$(SANITIZE)" = 1 ]; then echo "refusing to install a test build"; exit 1; fi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(DP_BIN) $(DESTDIR)$(BINDIR)/firezone-gateway
	install -m 0755 $(CTL_BIN) $(DESTDIR)$(LIBEXECDIR)/firezone-gateway-control
	sed $(INSTALL_PATHS) man/firezone-gateway.8 >$(DESTDIR)$(MANDIR)/man8/firezone-gateway.8
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/firezone-gateway.8
	$(Q)if [ -f contrib/firezone-gateway.service ]; then \
		install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DATADIR); \
		sed $(INSTALL_PATHS) contrib/firezone-gateway.service >$(DESTDIR)$(UNITDIR)/firezone-gateway.service; \
		chmod 0644 $(DESTDIR)$(UNITDIR)/firezone-gateway.service; \
		install -m 0644 contrib/sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/firezone-gateway.conf; \
		install -m 0644 contrib/tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/firezone-gateway.conf; \
		install -m 0755 contrib/setup-host-network.sh $(DESTDIR)$(DATADIR)/setup-host-network.sh; \
	fi

# ---- Debian package ------------------------------------------------------------
# make deb: dpkg-buildpackage on a copy of the tree (contrib/build-deb.sh,
# debian/); the package's own install paths come from debian/rules.
DEB_DIR := build/deb
deb:
	$(Q)sh contrib/deps.sh deb
	$(Q)sh contrib/build-deb.sh $(VERSION) $(DEB_DIR)

# make systemd-test: the package in a booted Debian 12 container
# (tests/integ/test_systemd.sh, root; also part of make check).  The rootfs
# is cached in build/rootfs-cache/ (FZ_ROOTFS_CACHE moves it).
systemd-test:
	$(Q)sh contrib/deps.sh systemd-test
	$(Q)FZ_LINTIAN=0 $(MAKE) --no-print-directory deb
	$(Q)FZ_TOP=$(CURDIR) FZ_BUILD=$(B) FZ_DEB_DIR=$(DEB_DIR) sh tests/integ/test_systemd.sh

clean:
	rm -rf build build-san build-shorttimers build-fuzz

.SECONDARY:

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
