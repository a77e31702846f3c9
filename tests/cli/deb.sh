#!/bin/sh
# deb.sh: the Debian packages of make deb (firmware/debian/mkdeb): their fields, contents and
# maintainer scripts, the same bytes twice; then, as root, installed into and purged from a
# throw-away Debian root (debootstrap --variant=minbase plus the packages' dependencies,
# cached in build/deb-root/), never this machine's own system: the files, the vigil user,
# vigild --check-config inside it, and after the purge nothing left (a listing diffed).
#
# Run from the repository root: BUILD=build sh tests/cli/deb.sh. Exit 0 passed, 77 skipped
# (not root, no Debian mirror for debootstrap, or a sanitizer build: the reason is the last
# line), else failed. `deb.sh --prepare` only makes the cached root (make check runs it before
# the shell tests, outside their time limit: debootstrap takes a minute or so, once).
# DEB_MIRROR overrides the mirror (default http://deb.debian.org/debian), DEB_ROOT_CACHE the
# cache's folder (default build/deb-root, shared by every BUILD).
set -u
BUILD="${BUILD:-build}"
mode="${1:-test}"
cache_dir="${DEB_ROOT_CACHE:-build/deb-root}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-deb.XXXXXX") || exit 1
root=""
trap 'rm -rf "$tmp"; [ -z "$root" ] || rm -rf "$root"' EXIT INT TERM
fails=0
t0=$(date +%s)

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

step() {
	echo "== $* (+$(($(date +%s) - t0))s)"
}

# ---- the packages ----

# A sanitizer build's binaries need their runtime: packages of it are not for installing.
sanitized() {
	objdump -p "$BUILD/vigild" 2>/dev/null | grep -Eq 'NEEDED +lib(a|ub|t)san'
}

step "firmware/debian/mkdeb"
firmware/debian/mkdeb "$BUILD" "$tmp/deb" || { echo "FAIL: mkdeb"; exit 1; }
version=$(sed -n 's/^#define VIGIL_VERSION "\(.*\)"$/\1/p' daemon/daemon.h)
arch=$(dpkg --print-architecture)
deb="$tmp/deb/vigil_${version}_$arch.deb"
snmp_deb="$tmp/deb/vigil-snmp_${version}_$arch.deb"
[ -f "$deb" ] || { echo "FAIL: no $deb"; exit 1; }
debs="$deb"
[ -f "$snmp_deb" ] && debs="$deb $snmp_deb"

# ---- the packages' fields and contents ----

# field NAME DEB
field() {
	dpkg-deb --field "$2" "$1"
}

# has DEB PATH...: each path is in the package, owned by root.
has() {
	pkg=$1
	shift
	dpkg-deb --contents "$pkg" >"$tmp/contents"
	for p in "$@"; do
		grep -q " root/root .* \./$p\$" "$tmp/contents" || fail "${pkg##*/}: no $p (root/root)"
	done
}

# The same bytes from two builds; the fields, files and conffiles of each package.
check_packages() {
	mkdir -p "$tmp/again"
	firmware/debian/mkdeb "$BUILD" "$tmp/again" >/dev/null || fail "mkdeb (again)"
	for f in $debs; do
		cmp -s "$f" "$tmp/again/${f##*/}" || fail "${f##*/}: two builds differ (not reproducible)"
	done
	step "fields and contents"
	[ "$(field Package "$deb")" = vigil ] || fail "Package is not vigil"
	[ "$(field Version "$deb")" = "$version" ] || fail "Version is not $version"
	[ "$(field Architecture "$deb")" = "$arch" ] || fail "Architecture is not $arch"
	for lib in libsodium23 libevent-core-2.1-7 libinih1 libnftnl11 liboping0 libpcap0.8; do
		field Depends "$deb" | grep -q "$lib" || fail "Depends lacks $lib"
	done
	has "$deb" usr/sbin/vigild usr/bin/vigilctl lib/systemd/system/vigild.service \
	    usr/lib/sysusers.d/vigil.conf etc/vigil/vigil.conf usr/share/doc/vigil/copyright usr/share/doc/vigil/changelog.gz
	for page in doc/man/*.[58]; do
		[ -f "$page" ] || continue
		name=${page##*/}
		case "$name" in vigil-snmp.*) continue ;; esac
		has "$deb" "usr/share/man/man${name##*.}/$name.gz"
	done
	dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles >"$tmp/conffiles"
	grep -qx /etc/vigil/vigil.conf "$tmp/conffiles" || fail "/etc/vigil/vigil.conf is not a conffile"
	# Only the package's own places: no /usr/local, no /var, no /run (those are made at run time).
	dpkg-deb --contents "$deb" | awk '{ print $6 }' | sed 's|^\./||' | while read -r p; do
		case "$p" in
		"" | usr/ | usr/bin/* | usr/sbin/* | usr/share/* | usr/lib/ | usr/lib/sysusers.d/* | etc/ | etc/vigil/* | lib/ | lib/systemd/*) ;;
		*) echo "FAIL: unexpected in the package: /$p" ;;
		esac
	done >"$tmp/odd"
	[ -s "$tmp/odd" ] && fail "$(cat "$tmp/odd")"
	if [ -x "$BUILD/vigil-snmp" ]; then
		[ -f "$snmp_deb" ] || fail "vigil-snmp is built but has no package"
		[ -f "$snmp_deb" ] && has "$snmp_deb" usr/sbin/vigil-snmp lib/systemd/system/vigil-snmp.service \
		    usr/share/man/man8/vigil-snmp.8.gz
		[ -f "$snmp_deb" ] && [ -f firmware/VIGIL-MIB.txt ] &&
		    has "$snmp_deb" usr/share/snmp/mibs/VIGIL-MIB.txt
		[ -f "$snmp_deb" ] && { field Depends "$snmp_deb" | grep -q "vigil (= $version)" ||
		    fail "vigil-snmp does not depend on vigil (= $version)"; }
	fi
}

[ "$mode" = --prepare ] || check_packages

# ---- the throw-away root ----

# The cached root: a minimal Debian of this machine's release with the packages' dependencies
# (the first alternative of each, vigil itself left out), made once per set of them.
# 0: $cache is ready; 1: it cannot be made (the reason printed).
make_root() {
	includes=$(for d in $debs; do dpkg-deb --field "$d" Depends | tr ',' '\n'; done |
	    sed 's/|.*//; s/(.*//; s/ //g' | grep -v '^vigil$' | sort -u | tr '\n' ',' | sed 's/,$//')
	suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
	suite=${suite:-bookworm}
	mirror="${DEB_MIRROR:-http://deb.debian.org/debian}"
	cache="$cache_dir/$suite-$(printf '%s %s\n' "$suite" "$includes" | md5sum | cut -c1-12)"
	[ -f "$cache/.done" ] && return 0
	step "debootstrap --variant=minbase $suite (once, into $cache)"
	rm -rf "$cache" && mkdir -p "$cache"
	if ! debootstrap --variant=minbase --include="$includes" "$suite" "$cache" "$mirror" \
	    >"$tmp/debootstrap.log" 2>&1; then
		tail -n 5 "$tmp/debootstrap.log"
		rm -rf "$cache"
		echo "cannot make the throw-away root: debootstrap $suite from $mirror failed"
		return 1
	fi
	# The .debs and package lists debootstrap kept are of no use here; nor are roots made for
	# other dependencies (some 250 MB each).
	rm -rf "$cache"/var/cache/apt/archives/*.deb "$cache"/var/lib/apt/lists/*_Packages
	touch "$cache/.done"
	for old in "$cache_dir/$suite"-*; do
		[ "$old" = "$cache" ] || rm -rf "$old"
	done
}

# why: the reason install and purge cannot run here, or nothing.
why=""
if [ "$(id -u)" -ne 0 ]; then
	why="install and purge need root (dpkg --root runs the maintainer scripts chrooted)"
elif sanitized; then
	why="a sanitizer build ($BUILD): its packages are not for installing"
elif ! command -v debootstrap >/dev/null 2>&1; then
	why="debootstrap missing (apt-get install debootstrap)"
fi
if [ "$mode" = --prepare ]; then
	[ -z "$why" ] || { echo "deb-root: skipped: $why"; exit 0; }
	make_root >"$tmp/prepare" 2>&1 || { echo "deb-root: $(tail -n 1 "$tmp/prepare")"; exit 0; }
	echo "deb-root: $cache"
	exit 0
fi
if [ -n "$why" ]; then
	echo "$why"
	[ "$fails" -eq 0 ] && exit 77
	exit 1
fi
make_root || { [ "$fails" -eq 0 ] && exit 77; exit 1; }
step "a fresh copy of the root"
root="$cache_dir/work.$$"
rm -rf "$root"
cp -a "$cache" "$root" || { echo "FAIL: cannot copy $cache"; exit 1; }
rm -f "$root/.done"

# Every path but dpkg's own database and logs; and the account files' bytes.
listing() {
	(cd "$root" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/log -o -path ./proc \
	    -o -path ./sys -o -path ./dev \) -prune -o -print | LC_ALL=C sort)
}
snapshot() {
	listing >"$tmp/$1.list"
	(cd "$root/etc" && md5sum passwd group shadow gshadow) >"$tmp/$1.sums"
}
snapshot before

step "dpkg --root --install"
# shellcheck disable=SC2086 # one argument per package
if ! dpkg --root="$root" --install $debs >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "FAIL: dpkg --install"
	exit 1
fi
sed 's/^/  /' "$tmp/install.log"
for p in usr/sbin/vigild usr/bin/vigilctl lib/systemd/system/vigild.service etc/vigil/vigil.conf; do
	[ -e "$root/$p" ] || fail "installed: no /$p"
done
grep -q '^vigil:.*:vigil switchover daemon (vigil package),*:/var/lib/vigil:/usr/sbin/nologin$' \
    "$root/etc/passwd" || fail "installed: no vigil user in /etc/passwd"
grep -q '^vigil:' "$root/etc/group" || fail "installed: no vigil group"
[ "$(stat -c '%a %U' "$root/var/lib/vigil" 2>/dev/null)" = "700 root" ] ||
    fail "installed: /var/lib/vigil is not 0700 root"

# The binaries run in a plain Debian with only their Depends: the default file is refused
# for its missing pair key, and accepted once the admin made one.
chroot "$root" /usr/sbin/vigild --check-config -c /etc/vigil/vigil.conf >"$tmp/check" 2>&1 &&
    fail "check-config passed without a pair key"
grep -q 'pair.key' "$tmp/check" || fail "check-config without a key: $(cat "$tmp/check")"
chroot "$root" /usr/bin/vigilctl keygen /etc/vigil/pair.key >/dev/null ||
    fail "vigilctl keygen in the root"
chroot "$root" /usr/sbin/vigild --check-config -c /etc/vigil/vigil.conf >"$tmp/check" 2>&1 ||
    fail "check-config in the root: $(cat "$tmp/check")"

step "dpkg --root --install again (an upgrade in place: the user is kept)"
# shellcheck disable=SC2086
dpkg --root="$root" --install $debs >"$tmp/install2.log" 2>&1 ||
    fail "dpkg --install again: $(tail -n 5 "$tmp/install2.log")"
[ "$(grep -c '^vigil:' "$root/etc/passwd")" -eq 1 ] || fail "a second vigil user"

# As `systemctl enable vigild` would leave it; purge takes the link away.
wants="$root/etc/systemd/system/multi-user.target.wants"
made_wants=""
[ -d "$wants" ] || { mkdir -p "$wants" && made_wants=1; }
ln -s /lib/systemd/system/vigild.service "$wants/vigild.service"

step "dpkg --root --purge"
pkgs="vigil"
[ -f "$snmp_deb" ] && pkgs="vigil-snmp vigil"
# shellcheck disable=SC2086
if ! dpkg --root="$root" --purge $pkgs >"$tmp/purge.log" 2>&1; then
	cat "$tmp/purge.log"
	echo "FAIL: dpkg --purge"
	exit 1
fi
sed 's/^/  /' "$tmp/purge.log"
[ -L "$wants/vigild.service" ] && fail "purge left the enablement link"
[ -n "$made_wants" ] && rmdir "$wants"
# The admin's key stays, and purge says so; removing it is the admin's call.
[ -f "$root/etc/vigil/pair.key" ] || fail "purge removed the admin's pair key"
grep -q '/etc/vigil kept.*pair.key' "$tmp/purge.log" || fail "purge did not name what it kept"
rm -f "$root/etc/vigil/pair.key" && rmdir "$root/etc/vigil"

for p in $pkgs; do
	dpkg --root="$root" -s "$p" >/dev/null 2>&1 && fail "dpkg still knows $p after the purge"
	ls "$root"/var/lib/dpkg/info/"$p".* >/dev/null 2>&1 && fail "dpkg's info files of $p remain"
done
grep -q '^vigil:' "$root/etc/passwd" && fail "purge left the vigil user"
grep -q '^vigil:' "$root/etc/group" && fail "purge left the vigil group"
snapshot after
# Not the package's: the shadow tools keep one backup of each account file they change
# (passwd-, shadow-, ...), and adduser leaves its lock, /run/adduser (a tmpfs on a running
# system). The account files themselves must be as before.
ours() {
	grep -Ev '^\./(etc/(passwd|group|shadow|gshadow)-|run/adduser)$' "$1"
}
ours "$tmp/before.list" >"$tmp/b"
ours "$tmp/after.list" >"$tmp/a"
if ! diff -u "$tmp/b" "$tmp/a" >"$tmp/leftovers"; then
	fail "install and purge left the root changed:"
	sed 's/^/  /' "$tmp/leftovers" | head -n 30
fi
diff -u "$tmp/before.sums" "$tmp/after.sums" || fail "the account files differ after the purge"

step "done: $fails failed"
[ "$fails" -eq 0 ]
