# Hardening tests of issue 9 (crash safety, soak, forged peer, leaks): the parts that do not
# fit `make check`'s namespace suite as it is.
#
#   make soak       tests/netns/test_soak.sh for SOAK_S seconds (1800: 30 min) of random faults
#                   (root); CI runs the same scenario for its default 120 s inside `make check`
#   make crash-loop tests/netns/test_crash_loop.sh with CRASH_N iterations (100)
#   make valgrind   vigild under valgrind memcheck (tests/tools/valgrind-vigild.sh) in the
#                   namespace scenarios VALGRIND_SCENARIO (module_kill forged_peer: the peer
#                   port under attack too), each vigild stopped cleanly: no definite leak, no
#                   invalid access (build/results/valgrind/logs/*.log)
#
# tools: forge-peer (the forged peer of test_forged_peer) builds frames with the real codec, so
# it links probe/wire*.c (through include/wire.h), libsodium and libpcap (it reads captures).
DEB_PKGS += valgrind

SOAK_S            ?= 1800
CRASH_N           ?= 100
VALGRIND_SCENARIO ?= module_kill forged_peer

.PHONY: soak crash-loop valgrind

$(BUILD)/tools/forge-peer: tests/tools/forge-peer.c $(call only,probe/wire%,$(PROBE_OBJS)) \
                           $(DECIDE_OBJS) $(HDRS) | pkgcheck
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(call only,probe/wire%,$(PROBE_OBJS)) \
	  $(DECIDE_OBJS) $(PKG_LIBS)

soak: all tools keys
	@SOAK_S=$(SOAK_S) NETNS_TEST_TIMEOUT=$$(( $(SOAK_S) + 300 )) RESULTS=$(RESULTS) \
	  tests/netns/run.sh soak

crash-loop: all tools keys
	@CRASH_N=$(CRASH_N) NETNS_TEST_TIMEOUT=$$(( $(CRASH_N) * 20 + 120 )) RESULTS=$(RESULTS) \
	  tests/netns/run.sh crash_loop

# Under valgrind vigild runs some twenty times slower: a wider fixed slack for the bounds.
VALGRIND_SLACK_MS ?= 5000
VALGRIND_OUT = $(RESULTS)/valgrind

valgrind: all tools keys
	@command -v valgrind >/dev/null || { echo "make valgrind: needs valgrind (make deps)" >&2; exit 1; }
	@rm -rf $(VALGRIND_OUT) && mkdir -p $(VALGRIND_OUT)/logs
	@start=$$(date +%s); \
	VIGILD=$(CURDIR)/tests/tools/valgrind-vigild.sh VALGRIND_VIGILD=$(abspath $(BUILD)/vigild) \
	  VALGRIND_LOG_DIR=$(abspath $(VALGRIND_OUT)/logs) NETNS_STOP_VIGILD=1 \
	  NETNS_SLACK_MS=$(VALGRIND_SLACK_MS) BUILD=$(BUILD) RESULTS=$(VALGRIND_OUT) \
	  tests/netns/run.sh $(VALGRIND_SCENARIO) && \
	tests/tools/valgrind-check.sh $(VALGRIND_OUT)/logs && \
	echo "valgrind: $(VALGRIND_SCENARIO) clean in $$(( $$(date +%s) - start )) s (logs in $(VALGRIND_OUT)/logs)"
