# Debian packages (issue 8, "Service integration"), built with dpkg-deb alone by
# firmware/debian/mkdeb (no debhelper, no source package):
#
#   make deb        build/deb/vigil_<version>_<arch>.deb: vigild, vigilctl, vigild.service, a
#                   default /etc/vigil/vigil.conf (conffile), the man pages; postinst adds the
#                   vigil user, purge removes it. And vigil-snmp_<version>_<arch>.deb when
#                   vigil-snmp is built: the subagent, its unit, VIGIL-MIB, the snmpd.conf.d
#                   snippet (a package of its own: net-snmp's libraries stay off boxes without it).
#                   With CROSS=aarch64-linux-gnu: arm64 packages from build-arm64/.
#   make deb-check  tests/cli/deb.sh alone: the packages' fields and contents, then install and
#                   purge in a throw-away Debian root (debootstrap, cached in build/deb-root/)
#
# make check runs tests/cli/deb.sh and tests/cli/service.sh (systemd-analyze verify on the
# units, shellcheck on the OpenWrt init script and the maintainer scripts, vigild run with the
# unit's capability set under a fake NOTIFY_SOCKET) with the other shell tests.

# shellcheck: the init and maintainer scripts; systemd: systemd-analyze (harmless in a
# container: without systemd-sysv nothing makes it init, and nothing starts); debootstrap: the
# throw-away root. dpkg-deb and dpkg-shlibdeps come with build-essential (dpkg-dev).
DEB_PKGS += shellcheck systemd debootstrap

DEB_OUT := $(BUILD)/deb
DEB_ENV  = $(if $(CROSS),DEB_ARCH=$(CROSS_ARCH) STRIP=$(CROSS)-strip)
# The throw-away root's cache: one for every BUILD (build-asan's packages are not installed).
DEB_ROOT_CACHE := build/deb-root

.PHONY: deb deb-check deb-root

deb: all
	@$(DEB_ENV) firmware/debian/mkdeb $(BUILD) $(DEB_OUT)

deb-check: all
	@BUILD=$(BUILD) DEB_ROOT_CACHE=$(DEB_ROOT_CACHE) sh tests/cli/deb.sh

# The root tests/cli/deb.sh installs into, made before the shell tests run: debootstrap takes
# a minute or so the first time, which their per-test time limit should not have to cover.
# Never fails check: without root or a mirror, deb.sh itself skips and says why.
test-run: deb-root
deb-root: all
	@BUILD=$(BUILD) DEB_ROOT_CACHE=$(DEB_ROOT_CACHE) sh tests/cli/deb.sh --prepare 2>&1 | \
	  grep '^deb-root:' || :
