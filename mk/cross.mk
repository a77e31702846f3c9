# Cross builds: arm64 with Debian 12 multiarch libraries, the unit tests under qemu-user.
#
#   make deps-cross    dpkg --add-architecture arm64, the cross gcc, pkg-config for arm64,
#                      qemu-user and the :arm64 libraries (root, idempotent)
#   make CROSS=aarch64-linux-gnu   build-arm64/vigild, vigilctl, vigil-snmp (mk/snmp.mk), the unit tests
#                      (CROSS_COMPILE=aarch64-linux-gnu- too); the Makefile picks build-arm64/
#   make cross-check   the same, then the unit tests under qemu-aarch64 (unit-qemu)
#   make sizes         stripped sizes of vigild and vigilctl (and vigil-snmp), amd64 and arm64
#
# Without CROSS on the command line the targets here are for aarch64-linux-gnu (arm64).
XTRIPLET := $(or $(CROSS),aarch64-linux-gnu)
XARCH    := $(or $(CROSS_ARCH),arm64)
XBUILD    = $(if $(CROSS),$(BUILD),build-$(XARCH))
XQEMU    := qemu-$(firstword $(subst -, ,$(XTRIPLET)))

# The :arm64 twins of the library -dev packages in DEB_PKGS (read when deps-cross runs, so
# other mk/*.mk files' additions count): Multi-Arch: same, each installs beside its amd64 twin.
# deps-cross refuses to go on when apt would remove any package for them.
# -dev packages that are not Multi-Arch: same (libevent-dev:arm64 would remove libevent-dev,
# libsnmp-dev:arm64 libsnmp-dev): unpacked with dpkg -x into XBUILD/sysroot instead, their .pc
# files pointed there (headers such as event-config.h and net-snmp-config.h differ per
# architecture). What they link and include is Multi-Arch: same and installed: the runtime
# libraries and libssl-dev (net-snmp's headers include OpenSSL's).
CROSS_SYSROOT_DEVS := libevent-dev libsnmp-dev
CROSS_RUNTIME_PKGS := libevent-core-2.1-7 libsnmp40 libssl-dev
# Not in the cross build: clang's sanitizer runtime (make fuzz is native only).
CROSS_NO_DEVS := libclang-rt-%
CROSS_DEV_PKGS = $(filter-out $(CROSS_NO_DEVS) $(CROSS_SYSROOT_DEVS),$(filter lib%-dev,$(DEB_PKGS)))
# pkgconf:arm64 brings /usr/bin/aarch64-linux-gnu-pkg-config (the multiarch search path);
# qemu-user brings qemu-aarch64 (no binfmt_misc needed: the tests run it by name); libc6:arm64
# (the libraries need it anyway) is the libc qemu runs the tests with.
CROSS_DEB_PKGS = gcc-$(XTRIPLET) pkgconf:$(XARCH) qemu-user \
                 $(addsuffix :$(XARCH),libc6 $(CROSS_DEV_PKGS) $(CROSS_RUNTIME_PKGS))

XSYSROOT = $(abspath $(XBUILD))/sysroot
XSYSROOT_STAMP = $(XBUILD)/sysroot/.done

ifneq ($(CROSS),)
CC         = $(CROSS)-gcc
STRIP      = $(CROSS)-strip
PKG_CONFIG = PKG_CONFIG_PATH=$(XSYSROOT)/usr/lib/$(CROSS)/pkgconfig $(CROSS)-pkg-config
# `make CROSS=...` builds the unit tests too (cross-check runs them).
all: $(UNIT_BINS)
pkgcheck: | cross-pkgcheck
endif

.PHONY: deps-cross cross-pkgcheck cross-sysroot cross-check unit-qemu sizes clean-cross

deps-cross:
	@dpkg --print-foreign-architectures | grep -qx '$(XARCH)' || { \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps-cross: run as root (dpkg --add-architecture $(XARCH))" >&2; exit 1; fi; \
	  echo "make deps-cross: dpkg --add-architecture $(XARCH)"; dpkg --add-architecture $(XARCH); }
	@missing=""; for p in $(CROSS_DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "make deps-cross: all Debian packages present"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make deps-cross: missing$$missing; run as root (apt-get)" >&2; exit 1; fi; \
	echo "make deps-cross: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q || exit 1; \
	rm=$$(apt-get install -s -q --no-install-recommends $$missing </dev/null | sed -n 's/^Remv \([^ ]*\).*/\1/p'); \
	if [ -n "$$rm" ]; then echo "make deps-cross: installing$$missing would remove:" $$rm \
	  "(not Multi-Arch: same: add its -dev package to CROSS_SYSROOT_DEVS)" >&2; exit 1; fi; \
	apt-get install -y -q --no-install-recommends $$missing </dev/null
	@$(MAKE) --no-print-directory CROSS=$(XTRIPLET) cross-sysroot

# The sysroot needs no root: apt-get download fetches the .deb into XBUILD/sysroot/debs.
cross-sysroot: $(XSYSROOT_STAMP)
	@:

$(XSYSROOT_STAMP): mk/cross.mk
	@rm -rf $(XSYSROOT) && mkdir -p $(XSYSROOT)/debs
	@cd $(XSYSROOT)/debs && apt-get download -q $(if $(filter 0,$(shell id -u)),-o APT::Sandbox::User=root) \
	  $(addsuffix :$(XARCH),$(CROSS_SYSROOT_DEVS)) >/dev/null || \
	  { echo "cross-sysroot: apt-get download $(CROSS_SYSROOT_DEVS) for $(XARCH) failed: run 'make deps-cross' (root)" >&2; exit 1; }
	@for d in $(XSYSROOT)/debs/*.deb; do dpkg -x $$d $(XSYSROOT); done
	@# .pc files: prefix into the sysroot. Each .so link points to the installed runtime library;
	@# one with none installed (libevent_pthreads, ...) goes, and so do the .a files: linking
	@# against a library not in CROSS_RUNTIME_PKGS fails instead of going static.
	@find $(XSYSROOT)/usr/lib -name '*.pc' -exec sed -i 's|^prefix=/usr$$|prefix=$(XSYSROOT)/usr|' {} +
	@find $(XSYSROOT)/usr/lib -name '*.a' -delete
	@find $(XSYSROOT)/usr/lib -name '*.so' -type l ! -exec test -e {} \; -print | while read -r l; do \
	  t=/usr/lib/$(XTRIPLET)/$$(basename "$$(readlink "$$l")"); \
	  if [ -e "$$t" ]; then ln -sf "$$t" "$$l"; else rm -f "$$l"; fi; done
	@touch $@
	@echo "cross-sysroot: $(CROSS_SYSROOT_DEVS) for $(XARCH) in $(XBUILD)/sysroot"

cross-pkgcheck: $(XSYSROOT_STAMP)
	@command -v $(CC) >/dev/null && $(PKG_CONFIG) --exists $(PKGS) cmocka 2>/dev/null || \
	  { echo "missing $(CC), $(CROSS)-pkg-config or the $(XARCH) libraries: run 'make deps-cross' as root" >&2; exit 1; }

# The unit tests, each run by qemu-user through a two-line wrapper of the same name so
# tests/run-unit.sh logs and counts them as usual (results in XBUILD/results). qemu-aarch64
# runs with -L /: the :arm64 libc6 that the libraries came with (/lib/ld-linux-aarch64.so.1);
# -L /usr/aarch64-linux-gnu would mix the cross toolchain's ld.so with that libc and hang.
QEMU_RUN = $(XQEMU) -L /

# Test cases qemu-user 7.2 cannot run, reported as skipped by tests/unit/qemu-shim.c (preloaded
# into the tests under qemu only; it also takes setsockopt(IP_BIND_ADDRESS_NO_PORT), a hint
# qemu refuses, as done, so the peer link's dialling tests run). On arm64 hardware they all
# run. The nf_tables tests in test_nftable skip themselves (qemu-user refuses NETLINK_NETFILTER
# sockets: EPROTONOSUPPORT).
#   test_peer: test_output_overflow fills a socket buffer within a wall-clock second: too tight
#     emulated.
UNIT_QEMU_SKIP_test_peer := test_output_overflow
#   test_proc: qemu-user leaves host signal 32 ignored in the programs the test execs.
UNIT_QEMU_SKIP_test_proc := test_signals_reset
#   test_recorder, test_vip: libpcap capture needs the TPACKET_V2 ring (getsockopt
#     PACKET_HDRLEN) and SIOCETHTOOL, neither emulated (EOPNOTSUPP, ENOSYS).
UNIT_QEMU_SKIP_test_recorder := test_capture_and_write test_budget_drops_oldest \
    test_window_drops_old test_filter_change test_loop_keeps_ticking test_write_rotating \
    test_write_errors
UNIT_QEMU_SKIP_test_vip := test_takeover_release test_announcements \
    test_release_stops_announcing test_duplicate test_free_keeps_addresses

cross-check:
	@$(MAKE) --no-print-directory CROSS=$(XTRIPLET) unit-qemu

$(BUILD)/tests/qemu-shim.so: tests/unit/qemu-shim.c | pkgcheck-test
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC -shared $(CMOCKA_CFLAGS) -o $@ $< -ldl

unit-qemu: $(UNIT_BINS) $(BUILD)/tests/qemu-shim.so | pkgcheck-test
	@[ -n "$(CROSS)" ] || { echo "unit-qemu: needs CROSS=..., or use make cross-check" >&2; exit 1; }
	@rm -rf $(RESULTS) $(BUILD)/qemu; mkdir -p $(BUILD)/qemu
	@if ! command -v $(XQEMU) >/dev/null; then \
	  echo "unit-qemu: no $(XQEMU) (make deps-cross installs qemu-user): $(words $(UNIT_BINS)) unit tests built, not run"; exit 0; fi; \
	$(foreach t,$(UNIT_BINS),printf '#!/bin/sh\nexec %s -E LD_PRELOAD=%s -E "VIGIL_QEMU_SKIP=%s" %s "$$@"\n' \
	  '$(QEMU_RUN)' '$(abspath $(BUILD)/tests/qemu-shim.so)' '$(strip $(UNIT_QEMU_SKIP_$(notdir $(t))))' \
	  '$(abspath $(t))' >$(BUILD)/qemu/$(notdir $(t)) && chmod +x $(BUILD)/qemu/$(notdir $(t)) &&) :; \
	echo "unit tests for $(XARCH) under $$($(XQEMU) --version | head -n 1)"; \
	RESULTS=$(RESULTS) tests/run-unit.sh $(addprefix $(BUILD)/qemu/,$(notdir $(UNIT_BINS))) || :; \
	tests/summary.sh $(BUILD)

# Stripped sizes (stat -c %s of a stripped copy) of the native and the arm64 binaries
# (vigil-snmp too when mk/snmp.mk builds it).
sizes:
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory CROSS=$(XTRIPLET) all
	@t=$$(mktemp -d); for b in vigild vigilctl vigil-snmp; do \
	  [ -f build/$$b ] && [ -f $(XBUILD)/$$b ] || continue; \
	  strip -o $$t/$$b-native build/$$b; $(XTRIPLET)-strip -o $$t/$$b-$(XARCH) $(XBUILD)/$$b; \
	  printf '%-10s %s %8s bytes   %s %8s bytes\n' $$b "$$(dpkg --print-architecture)" \
	    $$(stat -c %s $$t/$$b-native) $(XARCH) $$(stat -c %s $$t/$$b-$(XARCH)); done; rm -rf $$t

clean: clean-cross
clean-cross:
	rm -rf build-$(XARCH)
