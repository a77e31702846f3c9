# vigil: plain Makefile, C11, every library through pkg-config.

CC       ?= cc
PKG_CONFIG ?= pkg-config
BUILD    ?= build

# Debian packages the build and every test need (make deps).
DEB_PKGS := build-essential pkg-config libinih-dev libjson-c-dev libcmocka-dev \
            libsodium-dev libevent-dev clang iproute2 nftables

PKGS      := inih json-c
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

HARDEN_CFLAGS  := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude $(HARDEN_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(HARDEN_LDFLAGS) $(LDFLAGS) $(EXTRA_LDFLAGS)

# One object list per module; folders meet only through include/.
DECIDE_SRCS := $(wildcard decide/*.c)
CONFIG_SRCS := $(wildcard config/*.c)
SIM_SRCS    := $(wildcard sim/*.c)
DAEMON_SRCS := $(wildcard daemon/*.c)
CLI_SRCS    := $(wildcard cli/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
DECIDE_OBJS := $(call obj,$(DECIDE_SRCS))
CONFIG_OBJS := $(call obj,$(CONFIG_SRCS))
SIM_OBJS    := $(call obj,$(SIM_SRCS))
DAEMON_OBJS := $(call obj,$(DAEMON_SRCS))
CLI_OBJS    := $(call obj,$(CLI_SRCS))

BINS := $(BUILD)/vigild $(BUILD)/vigilctl

# Unit tests: tests/unit/test_<module>*.c links that module (and what it builds on) alone.
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
deps_of = $(if $(filter test_decide%,$(1)),$(DECIDE_OBJS),\
          $(if $(filter test_config%,$(1)),$(CONFIG_OBJS) $(DECIDE_OBJS),\
          $(if $(filter test_sim%,$(1)),$(SIM_OBJS) $(DECIDE_OBJS),)))

.PHONY: all deps check unit cli-tests asan demo clean headers format-check
.SECONDEXPANSION:

all: $(BINS)

$(BUILD)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/vigild: $(DAEMON_OBJS) $(CONFIG_OBJS) $(DECIDE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/vigilctl: $(CLI_OBJS) $(CONFIG_OBJS) $(SIM_OBJS) $(DECIDE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c $$(call deps_of,$$*) $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(call deps_of,$*) $(CMOCKA_LIBS) $(PKG_LIBS) -lm

# Each header compiles on its own (STYLE 24).
headers:
	@mkdir -p $(BUILD)/hdr
	@for h in include/*.h; do \
	  printf '#include "%s"\n' "$$(basename $$h)" > $(BUILD)/hdr/one.c; \
	  $(CC) $(ALL_CFLAGS) -c $(BUILD)/hdr/one.c -o $(BUILD)/hdr/one.o || exit 1; \
	done; echo "headers: each compiles alone"

deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (apt-get)" >&2; exit 1; fi
	@missing=""; for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all Debian packages present"; fi

unit: $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

cli-tests: $(BINS)
	@tests/run-cli.sh $(BUILD)

check: all headers unit cli-tests
	@tests/summary.sh $(BUILD)

# ASan + UBSan build of the unit tests and binaries, in its own build folder.
asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" HARDEN_CFLAGS="-fPIE" unit cli-tests
	@tests/summary.sh build-asan

demo: all
	@./demo.sh $(BUILD)

clean:
	rm -rf build build-asan
