# The man pages vigild(8), vigilctl(8), vigil.conf(5), vigil-snmp(8): mdoc written by hand in doc/man/.
#
#   make man         renders them as plain text into build/man/*.txt for review (installs nothing)
#   make man-check   tests/cli/manpages.sh alone: every key, command, option, signal, environment
#                    variable and file the code knows is documented, and the pages lint clean
#
# `make check` runs tests/cli/manpages.sh with the other shell tests. mandoc lints mdoc
# (mandoc -Tlint), groff renders it (groff-base, usually present already).
DEB_PKGS += mandoc groff-base

MAN_PAGES := doc/man/vigild.8 doc/man/vigilctl.8 doc/man/vigil.conf.5 doc/man/vigil-snmp.8
MAN_TXT   := $(patsubst doc/man/%,$(BUILD)/man/%.txt,$(MAN_PAGES))

.PHONY: man man-check

man: $(MAN_TXT)
	@echo "man: $(MAN_TXT)"

# grotty -cbou: plain characters, no overstrike for bold or underline.
$(BUILD)/man/%.txt: doc/man/%
	@mkdir -p $(dir $@)
	@if command -v groff >/dev/null 2>&1; then \
	  groff -mandoc -Tutf8 -P-cbou -ww $< >$@.tmp; \
	elif command -v mandoc >/dev/null 2>&1; then \
	  mandoc -Tascii $< | sed 's/.\x08//g' >$@.tmp; \
	else echo "man: needs groff or mandoc (make deps)" >&2; exit 1; fi
	@mv $@.tmp $@

man-check: all keys
	@BUILD=$(BUILD) VIGILD=$(CURDIR)/$(BUILD)/vigild VIGILCTL=$(CURDIR)/$(BUILD)/vigilctl \
	  sh tests/cli/manpages.sh
