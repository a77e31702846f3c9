# SNMP status export (issue 7, SPEC "Status export"): build/vigil-snmp, the AgentX subagent that
# serves firmware/VIGIL-MIB.txt through the box's net-snmp snmpd, and the MIB's checks.
#
#   make               also build/vigil-snmp (export/, net-snmp's agent library)
#   make mibs-base     SNMPv2-SMI, -TC, -CONF and the other base MIBs, unpacked from Debian main's
#                      erlang-snmp .deb into build/mibs-base/mibs (no install; make deps runs it)
#   make mib-check     smilint -s -l 6 on the MIB (any output fails) and snmptranslate loading it;
#                      part of make check

# snmpd, snmptrapd: the namespace test's real master agent and trap receiver; snmp: its clients
# (snmpget, snmpwalk, snmptable, snmpset) and snmptranslate; libsnmp-dev: net-snmp's agent library
# and headers (pkg-config netsnmp-agent) for vigil-snmp; smitools: smilint.
DEB_PKGS += snmpd snmp snmptrapd libsnmp-dev smitools

# netsnmp-agent for vigil-snmp alone: vigild and vigilctl never see net-snmp.
SNMP_PKGS   := netsnmp-agent
SNMP_CFLAGS  = $(call lazy_pkg,SNMP_CFLAGS,--cflags $(SNMP_PKGS))
SNMP_LIBS    = $(call lazy_pkg,SNMP_LIBS,--libs $(SNMP_PKGS))

EXPORT_SRCS := $(wildcard export/*.c)
EXPORT_OBJS := $(call obj,$(EXPORT_SRCS))
# The pure part (JSON to MIB values, journal records to notifications): unit-tested alone.
EXPORT_PURE_OBJS := $(call only,export/model% export/notify%,$(EXPORT_OBJS))
# What vigil-snmp builds on: the control-socket client (include/ctlclient.h), the configuration
# parser (include/config.h: [export] snmp, control_socket) and decide's name tables (the MIB's
# enumerations are decide.h's; config/ needs decide/ too).
EXPORT_DEPS := $(BUILD)/cli/ctl-client.o $(CONFIG_OBJS) $(DECIDE_OBJS)

TEST_DEPS_snmp = $(EXPORT_PURE_OBJS) $(BUILD)/decide/names.o
TEST_KEYS += snmp
FORMAT_SRCS += $(wildcard export/*.[ch])

.PHONY: snmp-pkgcheck mibs-base mib-check

all: $(BUILD)/vigil-snmp

snmp-pkgcheck:
	@$(PKG_CONFIG) --exists $(SNMP_PKGS) 2>/dev/null || \
	  { echo "missing net-snmp's agent library (pkg-config $(SNMP_PKGS)): run 'make deps' as root" >&2; exit 1; }

# The agent's objects: the generic rule plus net-snmp's flags; the pure ones take the generic rule.
EXPORT_AGENT_OBJS := $(filter-out $(EXPORT_PURE_OBJS),$(EXPORT_OBJS))
$(EXPORT_AGENT_OBJS): $(BUILD)/export/%.o: export/%.c $(HDRS) | pkgcheck snmp-pkgcheck
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SNMP_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/vigil-snmp: $(EXPORT_OBJS) $(EXPORT_DEPS) | pkgcheck snmp-pkgcheck
	@$(call say,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SNMP_LIBS) $(PKG_LIBS)

# ---- the MIB ----
#
# Debian's snmp and smitools packages lack SNMPv2-SMI/TC/CONF (stripped as non-free); Debian
# main's erlang-snmp ships them. apt-get download fetches its .deb (Debian's archive only; no
# root needed, no install), dpkg -x unpacks it, and its mibs folder is copied to MIBS_DIR. One
# folder for every BUILD (build-asan too); idempotent: done once, until make clean.
MIBS_BASE := build/mibs-base
MIBS_DIR  := $(MIBS_BASE)/mibs
# What smilint and the net-snmp tools search: the base MIBs, net-snmp's own (NET-SNMP-MIB for
# netSnmpPlaypen, from libsnmp-base), and firmware/ for VIGIL-MIB itself.
MIB_PATH   = $(abspath $(MIBS_DIR)):/usr/share/snmp/mibs:$(abspath firmware)
# The net-snmp tools read no snmp.conf and write no state outside build/ (the library makes
# cert_indexes in its state folder and says so on stderr: made beforehand, stderr stays clean).
SNMP_TOOL_ENV = SNMPCONFPATH=$(abspath $(MIBS_BASE))/conf SNMP_PERSISTENT_DIR=$(abspath $(MIBS_BASE))/state

deps: mibs-base

mibs-base: $(MIBS_DIR)/SNMPv2-SMI.mib

$(MIBS_DIR)/SNMPv2-SMI.mib:
	@rm -rf $(MIBS_BASE) && mkdir -p $(MIBS_BASE)/deb $(MIBS_BASE)/conf $(MIBS_BASE)/state/cert_indexes
	@cd $(MIBS_BASE)/deb && \
	  { apt-get download -q $(if $(filter 0,$(shell id -u)),-o APT::Sandbox::User=root) erlang-snmp >/dev/null 2>&1 || \
	    { [ "$$(id -u)" = 0 ] && apt-get update -q >/dev/null && \
	      apt-get download -q -o APT::Sandbox::User=root erlang-snmp >/dev/null; }; } || \
	  { echo "mibs-base: apt-get download erlang-snmp failed: run 'make deps' as root (or apt-get update)" >&2; exit 1; }
	@dpkg -x $(MIBS_BASE)/deb/erlang-snmp_*.deb $(MIBS_BASE)/root
	@d=$$(find $(MIBS_BASE)/root -path '*/mibs/SNMPv2-SMI.mib' | head -n 1); d=$${d%/*}; \
	  for m in SNMPv2-SMI SNMPv2-TC SNMPv2-CONF; do [ -f "$$d/$$m.mib" ] || \
	    { echo "mibs-base: no $$m.mib in erlang-snmp" >&2; exit 1; }; done; \
	  mkdir -p $(MIBS_DIR).tmp && cp "$$d"/*.mib $(MIBS_DIR).tmp/ && mv $(MIBS_DIR).tmp $(MIBS_DIR)
	@rm -rf $(MIBS_BASE)/deb $(MIBS_BASE)/root
	@echo "mibs-base: $$(ls $(MIBS_DIR) | wc -l) base MIBs from erlang-snmp in $(MIBS_DIR)"

# smilint exits 0 even on errors: any output at all is a failure. Both checks are tallied for
# tests/summary.sh ("mib passed failed"); what stops them (no base MIBs, no smilint) counts as
# a failure too.
mib-check:
	@mkdir -p $(RESULTS); echo "mib 0 1" > $(RESULTS)/mib.count
	@[ -f $(MIBS_DIR)/SNMPv2-SMI.mib ] || $(MAKE) --no-print-directory mibs-base
	@command -v smilint >/dev/null || { echo "mib-check: needs smilint (make deps: smitools)" >&2; exit 1; }
	@p=0; f=0; \
	out=$$(SMIPATH=$(MIB_PATH) smilint -s -l 6 firmware/VIGIL-MIB.txt 2>&1); \
	if [ -z "$$out" ]; then p=$$((p+1)); echo "mib-check: smilint -s -l 6 firmware/VIGIL-MIB.txt: silent"; \
	else f=$$((f+1)); echo "mib-check: smilint -s -l 6 firmware/VIGIL-MIB.txt FAILED:"; echo "$$out"; fi; \
	out=$$($(SNMP_TOOL_ENV) snmptranslate -M $(MIB_PATH) -m VIGIL-MIB -Tp VIGIL-MIB::vigilMIB 2>&1 >$(RESULTS)/mib-tree.txt); \
	if [ -z "$$out" ] && grep -q 'vigilProbeTable' $(RESULTS)/mib-tree.txt; then p=$$((p+1)); \
	  echo "mib-check: snmptranslate loads VIGIL-MIB ($$(grep -c -- '-- -R--' $(RESULTS)/mib-tree.txt) readable objects)"; \
	else f=$$((f+1)); echo "mib-check: snmptranslate -m VIGIL-MIB FAILED:"; echo "$$out"; fi; \
	echo "mib $$p $$f" > $(RESULTS)/mib.count; [ $$f -eq 0 ]
