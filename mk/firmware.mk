# Site profiles to appliance overlays (README "Flash a site").
#
#   make firmware [SITE=example]   firmware/sites/SITE.site -> both nodes' vigil.conf and the
#                                  site's pair key (firmware/gensite, checked by vigild
#                                  --check-config), then one overlay per node:
#                                  BUILD/firmware/SITE-NODE.tar.gz (+ .MANIFEST beside it)
#
# The pair key is made once per site into FIRMWARE_KEYS/SITE.key and kept: later builds reuse
# it, so a node flashed today still pairs with one flashed last year. `make clean` removes
# build/, keys included: keep FIRMWARE_KEYS outside build/ (FIRMWARE_KEYS=/root/vigil-keys)
# for sites in service, or back the folder up.
# A cross build (CROSS=...) packs the cross binaries, stripped with the cross strip, and checks
# the configurations with the native vigild (build/vigild, made first).

SITE           ?= example
FIRMWARE_OUT    = $(BUILD)/firmware
FIRMWARE_KEYS  ?= $(FIRMWARE_OUT)/keys
FIRMWARE_TREES  = $(FIRMWARE_OUT)/trees
FIRMWARE_SITE   = firmware/sites/$(SITE).site
FIRMWARE_CROSS  = $(CROSS)$(CROSS_COMPILE)
# gensite runs vigild --check-config and vigilctl keygen here, so they must be native.
FIRMWARE_HOST   = $(if $(FIRMWARE_CROSS),build,$(BUILD))
# cross.mk sets STRIP for CROSS builds.
FIRMWARE_STRIP ?= $(or $(STRIP),strip)

# shellcheck: firmware/gensite, firmware/mkoverlay and tests/cli/firmware.sh are linted by
# the firmware test when it is there.
DEB_PKGS += shellcheck

.PHONY: firmware firmware-host

firmware: all $(if $(FIRMWARE_CROSS),firmware-host)
	@case '$(SITE)' in *[!A-Za-z0-9._-]* | [._-]* | '') \
	  echo "make firmware: SITE=$(SITE) is not a site name" >&2; exit 1 ;; esac
	@[ -f $(FIRMWARE_SITE) ] || { echo "make firmware: no $(FIRMWARE_SITE) (sites: $(patsubst %.site,%,$(notdir $(wildcard firmware/sites/*.site))))" >&2; exit 1; }
	@rm -rf $(FIRMWARE_TREES)/$(SITE)
	@BUILD=$(BUILD) VIGILD=$(abspath $(FIRMWARE_HOST)/vigild) VIGILCTL=$(abspath $(FIRMWARE_HOST)/vigilctl) \
	  firmware/gensite -k $(FIRMWARE_KEYS) $(FIRMWARE_SITE) $(FIRMWARE_TREES)/$(SITE)
	@for d in $(FIRMWARE_TREES)/$(SITE)/*/; do \
	  n=$$(basename "$$d"); \
	  BUILD=$(BUILD) FIRMWARE_STRIP='$(FIRMWARE_STRIP)' \
	    firmware/mkoverlay $(SITE) "$$d" $(FIRMWARE_OUT)/$(SITE)-$$n.tar.gz || exit 1; \
	done

# The native binaries a cross build's configuration check runs.
firmware-host:
	@$(MAKE) --no-print-directory CROSS= CROSS_COMPILE= BUILD=build all
