# vigil: plain Makefile, C11, every library through pkg-config.
#
#   make deps         Debian packages for the build and the tests (root, idempotent)
#   make              build/vigild, build/vigilctl
#   make keys         examples/*/pair.key (made here, never committed: git does not keep 0600)
#   make check        build, each header alone, format, unit tests, shell tests, fuzz replays,
#                     the namespace suite (root); closes with "tests: N passed, N failed"
#   make asan         the same on an ASan + UBSan build in build-asan/ (the whole namespace suite)
#   make netns        the namespace suite alone; make fuzz: libFuzzer, FUZZ_TIME s a target
#   make demo         a pair in network namespaces, the module killed, the backup's decision
#   make format-check clang-format --dry-run over the C sources (the first step of check)
#   make clean        remove build/ and build-asan/ (distclean also removes the example keys)

CC       ?= cc
PKG_CONFIG ?= pkg-config
# Cross builds (mk/cross.mk sets CC and PKG_CONFIG): CROSS=aarch64-linux-gnu, or
# CROSS_COMPILE=aarch64-linux-gnu-, builds in build-arm64/, never in build/.
CROSS    ?= $(CROSS_COMPILE:%-=%)
ifneq ($(CROSS),)
CROSS_ARCH ?= $(if $(filter aarch64-%,$(CROSS)),arm64,$(firstword $(subst -, ,$(CROSS))))
BUILD    ?= build-$(CROSS_ARCH)
endif
BUILD    ?= build
RESULTS   = $(BUILD)/results

# Debian packages the build and every test need (make deps): the compiler, pkg-config,
# the libraries below, cmocka, jq (the shell tests read simulate --json with it), the
# namespace tests' tools (iproute2, nftables, procps, iputils-ping) and clang with its
# sanitizer runtime for `make fuzz` (libFuzzer), clang-format for `make format-check`.
DEB_PKGS := build-essential pkg-config libinih-dev libjson-c-dev libcmocka-dev \
            libevent-dev libsodium-dev liboping-dev libnl-3-dev libnl-route-3-dev libpcap-dev libnftnl-dev libmnl-dev \
            libcap-ng-dev jq \
            iproute2 nftables procps iputils-ping tcpdump socat clang libclang-rt-14-dev clang-format

# inih: vigil.conf syntax; json-c: JSON output; libevent_core: vigild's loop (daemon/loop.c
# only); libsodium: the peer link's MAC; liboping: the ICMP probes (probe/, in a worker
# thread, hence -pthread); libnl-route: routes, gateways and carrier (netcfg/); libpcap: the
# flight recorder of probe traffic (probe/recorder*) and the VIP announcements (netcfg/vip*);
# libnftnl + libmnl: vigild's nftables table (netcfg/nftable*); libcap-ng: vigild's privilege
# drop to [node] user (daemon/privs.c). Linked --as-needed, so each binary keeps only what it uses.
PKGS := inih json-c libevent_core libsodium liboping libnl-route-3.0 libpcap libnftnl libmnl libcap-ng

# pkg-config runs when a recipe first needs the flags, not when the Makefile is read: in
# `make deps check` on a fresh machine pkg-config and the libraries exist only after deps ran.
lazy_pkg = $(eval $(1) := $$(shell $(PKG_CONFIG) $(2) 2>/dev/null))$($(1))
PKG_CFLAGS    = $(call lazy_pkg,PKG_CFLAGS,--cflags $(PKGS))
PKG_LIBS      = $(call lazy_pkg,PKG_LIBS,--libs $(PKGS))
CMOCKA_CFLAGS = $(call lazy_pkg,CMOCKA_CFLAGS,--cflags cmocka)
CMOCKA_LIBS   = $(call lazy_pkg,CMOCKA_LIBS,--libs cmocka)

HARDEN_CFLAGS  := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra -Werror -Iinclude $(HARDEN_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = -pthread $(HARDEN_LDFLAGS) $(LDFLAGS) $(EXTRA_LDFLAGS)

HDRS := $(wildcard include/*.h)

# `make V=1` shows every compiler command; by default one short line per file built.
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
say = $(if $(filter 1,$(V)),:,printf '  %-6s %s\n' CC $(1))

# One object list per module; folders meet only through include/.
DECIDE_SRCS := $(wildcard decide/*.c)
CONFIG_SRCS := $(wildcard config/*.c)
SIM_SRCS    := $(wildcard sim/*.c)
DAEMON_SRCS := $(wildcard daemon/*.c)
PROBE_SRCS  := $(wildcard probe/*.c)
NETCFG_SRCS := $(wildcard netcfg/*.c)
CLI_SRCS    := $(wildcard cli/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
DECIDE_OBJS := $(call obj,$(DECIDE_SRCS))
CONFIG_OBJS := $(call obj,$(CONFIG_SRCS))
SIM_OBJS    := $(call obj,$(SIM_SRCS))
DAEMON_OBJS := $(call obj,$(DAEMON_SRCS))
PROBE_OBJS  := $(call obj,$(PROBE_SRCS))
NETCFG_OBJS := $(call obj,$(NETCFG_SRCS))
CLI_OBJS    := $(call obj,$(CLI_SRCS))
# daemon/ without vigild's main(), for the daemon's unit tests.
DAEMON_LIB_OBJS := $(filter-out $(BUILD)/daemon/vigild.o,$(DAEMON_OBJS))

BINS := $(BUILD)/vigild $(BUILD)/vigilctl

# Unit tests: tests/unit/test_<module>*.c links that module (and what it builds on) alone.
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Each unit test links its module and what it builds on, nothing else (STYLE 30).
only = $(filter $(addprefix $(BUILD)/,$(1)),$(2))
LOOP_OBJ := $(BUILD)/daemon/loop.o
TEST_DEPS_decide  = $(DECIDE_OBJS)
TEST_DEPS_config  = $(CONFIG_OBJS) $(DECIDE_OBJS)
TEST_DEPS_sim     = $(SIM_OBJS) $(DECIDE_OBJS)
TEST_DEPS_wire    = $(call only,probe/wire%,$(PROBE_OBJS)) $(DECIDE_OBJS)
TEST_DEPS_peer    = $(call only,probe/peer% probe/wire%,$(PROBE_OBJS)) $(LOOP_OBJ) $(CONFIG_OBJS) $(DECIDE_OBJS)
TEST_DEPS_check   = $(call only,probe/check%,$(PROBE_OBJS)) $(BUILD)/daemon/proc.o $(LOOP_OBJ) $(CONFIG_OBJS) $(DECIDE_OBJS)
TEST_DEPS_icmp    = $(call only,probe/icmp%,$(PROBE_OBJS)) $(LOOP_OBJ)
TEST_DEPS_route   = $(call only,netcfg/route%,$(NETCFG_OBJS))
TEST_DEPS_netwatch = $(call only,netcfg/watch% netcfg/route%,$(NETCFG_OBJS)) $(LOOP_OBJ)
TEST_DEPS_nftable = $(call only,netcfg/nftable%,$(NETCFG_OBJS)) $(CONFIG_OBJS) $(DECIDE_OBJS)
TEST_DEPS_vip     = $(call only,netcfg/vip%,$(NETCFG_OBJS)) $(LOOP_OBJ)
TEST_DEPS_proc    = $(BUILD)/daemon/proc.o $(LOOP_OBJ)
TEST_DEPS_store   = $(call only,daemon/store%,$(DAEMON_OBJS)) $(DECIDE_OBJS)
TEST_DEPS_control = $(call only,daemon/control% daemon/store%,$(DAEMON_OBJS)) $(LOOP_OBJ) \
                    $(BUILD)/cli/ctl-client.o $(BUILD)/cli/ctl-print.o $(DECIDE_OBJS)
TEST_DEPS_recorder = $(call only,probe/recorder%,$(PROBE_OBJS)) $(LOOP_OBJ)
TEST_DEPS_notify  = $(BUILD)/daemon/notify.o $(BUILD)/daemon/log.o $(LOOP_OBJ)
TEST_KEYS := decide config sim wire peer check icmp route proc store control recorder netwatch \
             nftable vip notify
deps_of = $(strip $(foreach k,$(TEST_KEYS),$(if $(filter test_$(k)%,$(1)),$(TEST_DEPS_$(k)))))

# Fuzz targets (tests/fuzz/fuzz_NAME.c): replayed over their corpus by a gcc build in check.
FUZZ_NAMES := wire journal check_reply vip_frame config control_request netwatch nftable_read decide
FUZZ_DEPS_wire        = $(call only,probe/wire%,$(PROBE_OBJS)) $(DECIDE_OBJS)
FUZZ_DEPS_journal     = $(call only,daemon/store%,$(DAEMON_OBJS)) $(DECIDE_OBJS)
FUZZ_DEPS_check_reply = $(BUILD)/probe/check-parse.o
FUZZ_DEPS_vip_frame   = $(BUILD)/netcfg/vip-frame.o
FUZZ_DEPS_config      = $(CONFIG_OBJS) $(DECIDE_OBJS)
FUZZ_DEPS_control_request = $(call only,daemon/control% daemon/store%,$(DAEMON_OBJS)) $(LOOP_OBJ) $(DECIDE_OBJS)
FUZZ_DEPS_netwatch    = $(BUILD)/netcfg/watch-decode.o $(BUILD)/netcfg/watch-query.o
FUZZ_DEPS_nftable_read = $(call only,netcfg/nftable%,$(NETCFG_OBJS)) $(CONFIG_OBJS) $(DECIDE_OBJS)
FUZZ_DEPS_decide      = $(DECIDE_OBJS)
FUZZ_SRCS_wire        = $(wildcard probe/wire*.c) $(DECIDE_SRCS)
FUZZ_SRCS_journal     = $(wildcard daemon/store*.c) $(DECIDE_SRCS)
FUZZ_SRCS_check_reply = probe/check-parse.c
FUZZ_SRCS_vip_frame   = netcfg/vip-frame.c
FUZZ_SRCS_config      = $(CONFIG_SRCS) $(DECIDE_SRCS)
FUZZ_SRCS_control_request = $(wildcard daemon/control*.c daemon/store*.c) daemon/loop.c $(DECIDE_SRCS)
FUZZ_SRCS_netwatch    = netcfg/watch-decode.c netcfg/watch-query.c
FUZZ_SRCS_nftable_read = $(wildcard netcfg/nftable*.c) $(CONFIG_SRCS) $(DECIDE_SRCS)
FUZZ_SRCS_decide      = $(DECIDE_SRCS)
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_TIME ?= 60

# Test helper programs (tests/tools/NAME.c -> $(BUILD)/tools/NAME), e.g. the namespace tests' fake module.
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

# Example pair keys: one per example folder, shared by its two nodes.
EXAMPLE_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard examples/*/*.conf))))
KEYS := $(addsuffix /pair.key,$(EXAMPLE_DIRS))

# C sources for format-check: ours only.
FORMAT_SRCS := $(wildcard include/*.h decide/*.[ch] config/*.[ch] sim/*.[ch] daemon/*.[ch] \
               cli/*.[ch] probe/*.[ch] netcfg/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/tools/*.c)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_ENV   := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all deps pkgcheck pkgcheck-test check test-run unit cli-tests keys asan demo \
        clean distclean headers format-check tools fuzz fuzz-replay netns
.SECONDEXPANSION:

all: $(BINS)

# `make deps check` (or deps demo, deps asan): with -j too, nothing is built before deps is done.
ifneq ($(filter deps,$(MAKECMDGOALS)),)
pkgcheck pkgcheck-test headers: | deps
endif

pkgcheck:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || \
	  { echo "missing libraries ($(PKGS)) or pkg-config: run 'make deps' as root" >&2; exit 1; }

pkgcheck-test: pkgcheck
	@$(PKG_CONFIG) --exists cmocka 2>/dev/null || \
	  { echo "missing cmocka: run 'make deps' as root" >&2; exit 1; }

# -MMD: an object also follows its folder's private header (decide/internal.h, ...).
$(BUILD)/%.o: %.c $(HDRS) | pkgcheck
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -mindepth 2 -maxdepth 2 -name '*.d' -type f 2>/dev/null)

$(BUILD)/vigild: $(DAEMON_OBJS) $(PROBE_OBJS) $(NETCFG_OBJS) $(CONFIG_OBJS) $(DECIDE_OBJS) | pkgcheck
	@$(call say,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/vigilctl: $(CLI_OBJS) $(CONFIG_OBJS) $(SIM_OBJS) $(DECIDE_OBJS) $(call only,probe/wire%,$(PROBE_OBJS)) | pkgcheck
	@$(call say,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c $$(call deps_of,$$*) $(HDRS) | pkgcheck-test
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(call deps_of,$*) $(CMOCKA_LIBS) $(PKG_LIBS) -lm

tools: $(TOOL_BINS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_DEPS_$$*) $(HDRS) | pkgcheck
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -DFUZZ_REPLAY_MAIN -MMD -MP $(ALL_LDFLAGS) -o $@ $< $(FUZZ_DEPS_$*) $(PKG_LIBS)

# Replay every corpus (and every crash kept as a named file) with the gcc build.
fuzz-replay: $(FUZZ_BINS)
	@mkdir -p $(RESULTS); p=0; f=0; \
	for n in $(FUZZ_NAMES); do \
	  if $(BUILD)/fuzz/fuzz_$$n tests/fuzz/corpus/$$n/* >$(RESULTS)/fuzz_$$n.log 2>&1; then p=$$((p+1)); echo "fuzz_$$n replay ok"; \
	  else f=$$((f+1)); echo "fuzz_$$n replay FAILED"; tail -n 20 $(RESULTS)/fuzz_$$n.log; fi; \
	done; echo "fuzz-replay $$p $$f" > $(RESULTS)/fuzz-replay.count; [ $$f -eq 0 ]

# libFuzzer (clang) on each target for FUZZ_TIME seconds; new inputs and crash files go to
# build/fuzz-lf/, not the corpus (a crash kept becomes tests/fuzz/corpus/NAME/crash-WHAT).
# FUZZ_SEED=N fixes libFuzzer's seed: CI uses one, so a green run explores the same inputs
# again (a longer local run with that seed covers what CI will try); unset, each run differs.
FUZZ_SEED ?=
fuzz: $(addprefix fuzz-run-,$(FUZZ_NAMES))

fuzz-run-%: | pkgcheck
	@mkdir -p $(BUILD)/fuzz-lf/new-$*
	clang -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -o $(BUILD)/fuzz-lf/fuzz_$* tests/fuzz/fuzz_$*.c $(FUZZ_SRCS_$*) $(PKG_LIBS)
	$(BUILD)/fuzz-lf/fuzz_$* -max_total_time=$(FUZZ_TIME) -print_final_stats=1 $(FUZZ_SEED:%=-seed=%) \
	  -artifact_prefix=$(BUILD)/fuzz-lf/$*- $(BUILD)/fuzz-lf/new-$* tests/fuzz/corpus/$*

# Namespace integration tests (root): a real pair in network namespaces.
netns: all tools keys
	@RESULTS=$(RESULTS) tests/netns/run.sh

$(BUILD)/tools/%: tests/tools/%.c $(HDRS) | pkgcheck
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# Each header compiles on its own (STYLE 24).
headers: | pkgcheck
	@mkdir -p $(BUILD)/hdr
	@fail=0; for h in $(HDRS); do \
	  printf '#include "%s"\n' "$$(basename $$h)" > $(BUILD)/hdr/one.c; \
	  $(CC) $(ALL_CFLAGS) -c $(BUILD)/hdr/one.c -o $(BUILD)/hdr/one.o || { echo "headers: $$h does not compile alone" >&2; fail=1; }; \
	done; [ $$fail -eq 0 ] && echo "headers: each compiles alone"

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "make deps: all Debian packages present"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make deps: missing$$missing; run as root (apt-get)" >&2; exit 1; fi; \
	echo "make deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing </dev/null

# Keys are made, never committed; vigilctl keygen refuses to overwrite, so an existing key stays.
keys: $(KEYS)
	@for k in $(KEYS); do chmod 600 $$k; done

examples/%/pair.key: | $(BUILD)/vigilctl
	$(BUILD)/vigilctl keygen $@
	@chmod 600 $@

# The test groups write $(RESULTS)/*.count; a failing group does not stop the others, and
# summary.sh prints the closing line and gives the exit status.
test-run: all keys tools $(UNIT_BINS) $(FUZZ_BINS) | pkgcheck-test
	@rm -rf $(RESULTS)
	@RESULTS=$(RESULTS) tests/run-unit.sh $(UNIT_BINS) || :
	@RESULTS=$(RESULTS) tests/run-cli.sh $(BUILD) || :
	@$(MAKE) --no-print-directory fuzz-replay || :
	@$(MAKE) --no-print-directory mib-check || :
	@BUILD=$(BUILD) RESULTS=$(RESULTS) tests/netns/run.sh $(NETNS_SCENARIOS) || :
	@tests/summary.sh $(BUILD)

check: all headers format-check test-run

unit: $(UNIT_BINS) | pkgcheck-test
	@RESULTS=$(RESULTS) tests/run-unit.sh $(UNIT_BINS)

cli-tests: all keys
	@RESULTS=$(RESULTS) tests/run-cli.sh $(BUILD)

# ASan + UBSan build of the binaries and unit tests in its own folder, running every test, the
# whole namespace suite included (issue 9); a sanitizer report in a vigild log fails its scenario.
asan:
	$(SAN_ENV) NETNS_SLACK_MS=2000 NETNS_SAN_CHECK=1 $(MAKE) BUILD=build-asan OPT=-O1 HARDEN_CFLAGS=-fPIE \
	  EXTRA_CFLAGS="$(SAN_FLAGS)" EXTRA_LDFLAGS="-fsanitize=address,undefined" test-run

demo: all keys tools
	@./demo.sh $(BUILD)

format-check:
	@command -v clang-format >/dev/null || { echo "format-check: needs clang-format (apt-get install clang-format)" >&2; exit 1; }
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format-check: $(words $(FORMAT_SRCS)) files clean"

clean:
	rm -rf build build-asan

distclean: clean
	rm -f examples/*/pair.key

# Appliance and packaging parts (firmware, service files, packages, cross builds, man pages),
# one file each; they may add DEB_PKGS and targets. Read last so `all` stays the default goal.
include $(sort $(wildcard mk/*.mk))
