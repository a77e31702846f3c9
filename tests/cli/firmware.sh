#!/bin/sh
# firmware.sh: firmware/gensite on the example site and on a table of broken site files, then `make firmware SITE=example` and each overlay checked from an empty root.
#
# Run from the tree's root: BUILD=build VIGILD=$PWD/build/vigild VIGILCTL=$PWD/build/vigilctl sh tests/cli/firmware.sh
# (tests/run-cli.sh does). It leaves BUILD/firmware/example-*.tar.gz and, if there was none,
# makes the example site's key BUILD/firmware/keys/example.key, as `make firmware` does.
#
# The in-root check: an overlay's vigil.conf names key_file = /etc/vigil/pair.key, which is
# the appliance's path, not the unpacked root's. The check that runs everywhere (root or
# not) uses a copy of vigil.conf beside it whose only change is key_file = pair.key (a
# relative key_file is read from the file's folder, so it is the root's key); the test
# asserts that the copy differs in that line alone. Where a mount namespace can be had
# (root: unshare -m; otherwise unshare -rm with user namespaces), the unmodified file is
# checked too at its real path /etc/vigil/vigil.conf, the root's etc laid over the host's
# with a read-only overlayfs inside the namespace; where it cannot, that part says so and
# is left out (not a failure).
set -u
BUILD="${BUILD:-build}"
top=$(pwd)
case $BUILD in /*) bdir=$BUILD ;; *) bdir=$top/$BUILD ;; esac
VIGILD="${VIGILD:-$bdir/vigild}"
VIGILCTL="${VIGILCTL:-$bdir/vigilctl}"
export VIGILD VIGILCTL
gensite=$top/firmware/gensite
if [ ! -x "$VIGILD" ] || [ ! -x "$VIGILCTL" ]; then
	echo "skipped: no $VIGILD or $VIGILCTL (make first)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-firmware.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
fails=0
checks=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

ok() {
	checks=$((checks + 1))
}

# mode FILE: its permission string (-rw-------).
mode() {
	stat -c %A -- "$1"
}

# confcheck CONF: vigild --check-config on CONF through a copy beside it whose key_file is the
# pair.key next to it; the copy may differ from CONF in that line only.
confcheck() {
	dir=$(dirname "$1")
	sed 's|^key_file = .*|key_file = pair.key|' "$1" >"$dir/check.conf"
	n=$(diff "$1" "$dir/check.conf" | grep -c '^[<>]')
	[ "$n" -eq 2 ] || fail "$1: the check copy differs in $n lines, not the key_file line alone"
	if "$VIGILD" --check-config -c "$dir/check.conf" >"$tmp/cc.out" 2>&1; then
		ok
	else
		fail "$1: vigild --check-config: $(cat "$tmp/cc.out")"
	fi
	rm -f "$dir/check.conf"
}

# samebut A B: the two nodes' files have the same settings but for name and role.
samebut() {
	grep -v '^#' "$1" | grep -v '^$' >"$tmp/sa"
	grep -v '^#' "$2" | grep -v '^$' >"$tmp/sb"
	diff "$tmp/sa" "$tmp/sb" | grep '^[<>]' | sed 's/^[<>] //' | sed 's/ = .*//' | sort -u >"$tmp/sd"
	printf 'name\nrole\n' >"$tmp/want"
	if cmp -s "$tmp/sd" "$tmp/want"; then ok; else fail "$1 and $2 differ in: $(tr '\n' ' ' <"$tmp/sd")"; fi
}

# --- lint ---------------------------------------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
	if shellcheck firmware/gensite firmware/mkoverlay tests/cli/firmware.sh >"$tmp/sc" 2>&1; then
		ok
	else
		fail "shellcheck: $(cat "$tmp/sc")"
	fi
else
	echo "note: no shellcheck (make deps installs it): lint left out"
fi

# --- the example site into a temporary folder ---------------------------------------------
gen=$tmp/gen
keys=$tmp/keys
if "$gensite" -k "$keys" firmware/sites/example.site "$gen" >"$tmp/gen.log" 2>&1; then
	ok
else
	fail "gensite example.site: $(cat "$tmp/gen.log")"
fi
a=$gen/vigil-a/etc/vigil
b=$gen/vigil-b/etc/vigil
for d in "$a" "$b"; do
	if [ ! -f "$d/vigil.conf" ] || [ ! -f "$d/pair.key" ]; then
		fail "gensite made no $d/vigil.conf and pair.key"
		continue
	fi
	confcheck "$d/vigil.conf"
	[ "$(mode "$d/pair.key")" = "-rw-------" ] || fail "$d/pair.key is $(mode "$d/pair.key")"
	[ "$(mode "$d/vigil.conf")" = "-rw-r--r--" ] || fail "$d/vigil.conf is $(mode "$d/vigil.conf")"
	grep -qx 'key_file = /etc/vigil/pair.key' "$d/vigil.conf" || fail "$d/vigil.conf: key_file is not /etc/vigil/pair.key"
done
if [ -f "$a/vigil.conf" ] && [ -f "$b/vigil.conf" ]; then
	samebut "$a/vigil.conf" "$b/vigil.conf"
	grep -qx 'role = A' "$a/vigil.conf" || fail "vigil-a is not role A"
	grep -qx 'role = B' "$b/vigil.conf" || fail "vigil-b is not role B"
	# the site's facts in, the profile's timers kept
	for want in 'a = 192.0.2.10' 'b = 198.51.100.10' 'aux_a = 192.0.2.11' 'aux_b = 198.51.100.11' \
	    'nettest_a = 198.51.100.1, 2001:db8:b::1' 'nettest_b = 192.0.2.1, 2001:db8:a::1' \
	    'check = process:sipd' 'vip = 203.0.113.10/24 dev eth0' 'fence = tcp:5060, udp:5060' \
	    'qos_mark = af31' 'timeout = 10s' 'reconnect_timeout = 30s' 'unreachable_primary_ping_delay = 10s'; do
		grep -qxF "$want" "$a/vigil.conf" || fail "vigil-a's vigil.conf lacks \"$want\""
	done
	cmp -s "$a/pair.key" "$b/pair.key" || fail "the two nodes got different keys"
	cmp -s "$a/pair.key" "$keys/example.key" || fail "the nodes' key is not the kept one"
	[ "$(mode "$keys/example.key")" = "-rw-------" ] || fail "the kept key is $(mode "$keys/example.key")"
	[ "$(mode "$keys")" = "drwx------" ] || fail "the key folder is $(mode "$keys")"
	key=$(cat "$keys/example.key")
	grep -qF "$key" "$tmp/gen.log" && fail "gensite printed the key"
	# a second run keeps the key
	"$gensite" -k "$keys" firmware/sites/example.site "$gen" >"$tmp/gen2.log" 2>&1 || fail "gensite again: $(cat "$tmp/gen2.log")"
	[ "$(cat "$a/pair.key")" = "$key" ] || fail "a second run changed the key"
	grep -q '(kept)' "$tmp/gen2.log" || fail "a second run did not say the key was kept: $(cat "$tmp/gen2.log")"
	ok
fi

# The fast profile: its timers, the same facts.
sed 's/^profile = default/profile = fast/' firmware/sites/example.site >"$tmp/example.site"
if "$gensite" -k "$keys" "$tmp/example.site" "$tmp/fast" >"$tmp/fast.log" 2>&1; then
	grep -qx 'retry_delay = 200ms' "$tmp/fast/vigil-b/etc/vigil/vigil.conf" || fail "profile fast: no retry_delay = 200ms"
	confcheck "$tmp/fast/vigil-b/etc/vigil/vigil.conf"
else
	fail "gensite on the fast profile: $(cat "$tmp/fast.log")"
fi

# --- broken site files ----------------------------------------------------------------------
# A base site with known line numbers; each case is a sed script on it, the exit status and
# the error line gensite must print ("t.site:LINE: key: why" or "t.site: key: missing"),
# matched as a fixed string from its start. Nothing may be written: no output folder, no key.
bad=$tmp/bad
mkdir -p "$bad"
cat >"$bad/base.site" <<'EOF'
[site]
name = t
profile = default
[a]
name = node-a
main = 192.0.2.10
aux = 192.0.2.11
nettest = 198.51.100.1
[b]
name = node-b
main = 198.51.100.10
aux = 198.51.100.11
nettest = 192.0.2.1
[service]
check = process:sipd
vip = 203.0.113.10/24 dev eth0
fence = tcp:5060
EOF
cp "$bad/base.site" "$bad/t.site"
(cd "$bad" && "$gensite" -k keys t.site out) >"$tmp/base.log" 2>&1 || fail "the base site fails: $(cat "$tmp/base.log")"
rm -rf "$bad/out" "$bad/keys"

n=0
while IFS='|' read -r what script want_rc want; do
	case $what in '' | '#'*) continue ;; esac
	n=$((n + 1))
	sed "$script" "$bad/base.site" >"$bad/t.site"
	(cd "$bad" && "$gensite" -k keys t.site out) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "$what: exit $rc, not $want_rc"
	# a line that starts with the expected text (fixed string, no pattern)
	if ! awk -v w="$want" 'index($0, w) == 1 { found = 1 } END { exit !found }' "$tmp/err"; then
		fail "$what: stderr has no line starting \"$want\": $(cat "$tmp/err")"
	fi
	grep -v '^t\.site:' "$tmp/err" | grep -q . && fail "$what: a line without t.site: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && fail "$what: printed on stdout: $(cat "$tmp/out")"
	[ -e "$bad/out" ] || [ -e "$bad/keys" ] && fail "$what: wrote something: $(find "$bad/out" "$bad/keys" 2>/dev/null)"
	rm -rf "$bad/out" "$bad/keys"
	ok
done <<'EOF'
# what | sed script on base.site | exit | error line
unknown key|3a colour = red|1|t.site:4: colour: unknown key in [site]
duplicate key|6a main = 192.0.2.12|1|t.site:7: main: set twice in [a] (first on line 6)
duplicate section|$a [a]|1|t.site:18: [a]: section given twice (first on line 4)
unknown section|$a [extra]|1|t.site:18: [extra]: unknown section
section with a blank|$a [a b]|1|t.site:18: [a b]: unknown section
key with a blank|5a name main = x|1|t.site:6: name main: unknown key in [a]
key outside a section|1i name = t|1|t.site:1: name: outside any section
not key = value|5a garbage|1|t.site:6: "garbage": not "key = value"
inline comment|s/^check = .*/check = process:sipd # the PBX/|1|t.site:15: check: '#' or ' ;' inside a line
empty value|s/^aux = 192.0.2.11/aux =/|1|t.site:7: aux: empty value
missing key|/^main = 192.0.2.10/d|1|t.site: a.main: missing
missing section|14,$d|1|t.site: service.check: missing
missing site name|/^name = t/d|1|t.site: site.name: missing
bad IPv4|s/^main = 192.0.2.10/main = 192.0.2.256/|1|t.site:6: main: "192.0.2.256" is not an IPv4 or IPv6 address
IPv4 leading zero|s/^main = 192.0.2.10/main = 192.0.02.10/|1|t.site:6: main: "192.0.02.10" is not an IPv4 or IPv6 address
IPv4 three parts|s/^aux = 192.0.2.11/aux = 192.0.2/|1|t.site:7: aux: "192.0.2" is not an IPv4 or IPv6 address
IPv6 two ::|s/^main = 198.51.100.10/main = 2001:db8::1::2/|1|t.site:11: main: "2001:db8::1::2" is not an IPv4 or IPv6 address
IPv6 nine groups|s/^aux = 198.51.100.11/aux = 1:2:3:4:5:6:7:8:9/|1|t.site:12: aux: "1:2:3:4:5:6:7:8:9" is not an IPv4 or IPv6 address
IPv6 bad group|s/^aux = 198.51.100.11/aux = 2001:db8::12345/|1|t.site:12: aux: "2001:db8::12345" is not an IPv4 or IPv6 address
host name|s/^main = 198.51.100.10/main = pbx.example.com/|1|t.site:11: main: "pbx.example.com" is not an IPv4 or IPv6 address
A and B same main|s/^main = 198.51.100.10/main = 192.0.2.10/|1|t.site:11: main: 192.0.2.10 is node A's main address too (line 6)
A and B same aux|s/^aux = 198.51.100.11/aux = 192.0.2.11/|1|t.site:12: aux: 192.0.2.11 is node A's aux address too (line 7)
same IPv6 written twice|s/^main = 192.0.2.10/main = 2001:db8::10/;s/^aux = 198.51.100.11/aux = 2001:DB8:0:0::10/|1|t.site:12: aux: 2001:DB8:0:0::10 is node A's main address too (line 6)
A and B same name|s/^name = node-b/name = node-a/|1|t.site:10: name: "node-a" is node A's name too (line 5)
bad node name|s/^name = node-b/name = node b/|1|t.site:10: name: "node b" is not a node name
unknown profile|s/^profile = default/profile = turbo/|1|t.site:3: profile: unknown profile "turbo"
profile outside examples|s/^profile = default/profile = ..\/examples\/default/|1|t.site:3: profile: unknown profile "../examples/default"
site name not the file's|s/^name = t/name = other/|1|t.site:2: name: "other" is not the file's name (t)
port 0|3a port = 0|1|t.site:4: port: "0" is not a port (1 to 65535)
port too big|3a port = 65536|1|t.site:4: port: "65536" is not a port (1 to 65535)
nettest is a node|s/^nettest = 198.51.100.1$/nettest = 198.51.100.10/|1|t.site:8: nettest: 198.51.100.10 is node B's own main address
nettest empty element|s/^nettest = 198.51.100.1$/nettest = 198.51.100.1,,198.51.100.2/|1|t.site:8: nettest: empty element in a comma list
nettest bad address|s/^nettest = 192.0.2.1$/nettest = 192.0.2.1, gw.example.com/|1|t.site:13: nettest: "gw.example.com" is not an IPv4 or IPv6 address
bad check (vigild)|s/^check = .*/check = bogus:sipd/|1|t.site:15: check: "bogus:sipd" is not a check
VIP without prefix (vigild)|s/^vip = .*/vip = 203.0.113.10 dev eth0/|1|t.site:16: vip: "203.0.113.10" needs a prefix length
node VIP bad prefix (vigild)|7a vip = 10.0.0.1/33 dev eth0|1|t.site:8: vip: "33" is not a prefix length
bad fence (vigild)|s/^fence = .*/fence = tcp:0/|1|t.site:17: fence: "0" is not a port
bad qos (vigild)|3a qos = af99|1|t.site:4: qos: "af99" is not a DSCP value
A IPv4, B IPv6 (vigild)|s/^main = 198.51.100.10/main = 2001:db8:b::10/|1|t.site:11: main: a and b must both be IPv4 or both IPv6
EOF
[ "$n" -ge 30 ] || fail "only $n broken-site cases ran"

# Every error at once, in line order.
sed 's/^main = 192.0.2.10/main = x/; 3a colour = red' "$bad/base.site" >"$bad/t.site"
(cd "$bad" && "$gensite" -k keys t.site out) >/dev/null 2>"$tmp/err"
if [ "$(wc -l <"$tmp/err")" -ne 2 ] || ! head -n 1 "$tmp/err" | grep -q '^t.site:4: colour:' ||
	! tail -n 1 "$tmp/err" | grep -q '^t.site:7: main:'; then
	fail "two errors: $(cat "$tmp/err")"
fi
# Usage: exit 2.
"$gensite" >/dev/null 2>&1
[ $? -eq 2 ] || fail "gensite without arguments: not exit 2"
"$gensite" "$bad/none.site" "$bad/out" >/dev/null 2>&1
[ $? -eq 1 ] || fail "gensite on a missing file: not exit 1"
ok

# --- make firmware SITE=example ------------------------------------------------------------
fw=$BUILD/firmware
if make -s --no-print-directory firmware SITE=example BUILD="$BUILD" >"$tmp/make.log" 2>&1; then
	ok
else
	fail "make firmware SITE=example: $(tail -n 20 "$tmp/make.log")"
	echo "firmware: $checks checks passed, $fails failed"
	exit 1
fi
storekey=$(cat "$fw/keys/example.key")
for node in vigil-a vigil-b; do
	t=$fw/example-$node.tar.gz
	[ -f "$t" ] || {
		fail "no $t"
		continue
	}
	[ "$(mode "$t")" = "-rw-------" ] || fail "$t is $(mode "$t"), it holds the key"
	# root:root, name order, the key 0600
	tar --numeric-owner -tvzf "$t" >"$tmp/list" || fail "$t: tar -t failed"
	awk '$2 != "0/0" { print }' "$tmp/list" | grep -q . && fail "$t: entries not 0/0: $(awk '$2 != "0/0"' "$tmp/list")"
	tar -tzf "$t" >"$tmp/names"
	LC_ALL=C sort "$tmp/names" | cmp -s - "$tmp/names" || fail "$t: entries not in name order"
	grep ' etc/vigil/pair.key$' "$tmp/list" | grep -q '^-rw------- ' || fail "$t: pair.key not -rw-------"
	want="usr/sbin/vigild usr/bin/vigilctl etc/vigil/vigil.conf etc/vigil/pair.key etc/vigil/MANIFEST"
	[ -f firmware/systemd/vigild.service ] && want="$want lib/systemd/system/vigild.service"
	[ -f firmware/systemd/vigil.sysusers ] && want="$want usr/lib/sysusers.d/vigil.conf"
	[ -f firmware/openwrt/vigild.init ] && want="$want etc/init.d/vigild"
	[ -f firmware/VIGIL-MIB.txt ] && want="$want usr/share/snmp/mibs/VIGIL-MIB.txt"
	[ -f "$BUILD/vigil-snmp" ] && want="$want usr/sbin/vigil-snmp"
	for f in $want; do
		grep -qx "$f" "$tmp/names" || fail "$t lacks $f"
	done

	# unpacked into an empty root
	r=$tmp/root-$node
	mkdir -p "$r"
	tar -xpzf "$t" -C "$r" || fail "$t: tar -x failed"
	[ "$(mode "$r/etc/vigil/pair.key")" = "-rw-------" ] || fail "$node: unpacked key is $(mode "$r/etc/vigil/pair.key")"
	[ "$(cat "$r/etc/vigil/pair.key")" = "$storekey" ] || fail "$node: the key is not the site's kept key"
	# the vigil user from the overlay's sysusers.d file, as vigild.service makes it before a
	# start (on a copy: the checks below want the root as unpacked)
	if command -v systemd-sysusers >/dev/null 2>&1; then
		u=$tmp/users-$node
		cp -a "$r" "$u"
		if systemd-sysusers --root="$u" vigil.conf >"$tmp/sysusers" 2>&1 &&
		    systemd-sysusers --root="$u" vigil.conf >>"$tmp/sysusers" 2>&1; then
			grep -q '^vigil:x:[0-9]*:[0-9]*:vigil switchover daemon:/var/lib/vigil:/usr/sbin/nologin$' \
			    "$u/etc/passwd" || fail "$node: systemd-sysusers made no vigil user: $(cat "$u/etc/passwd")"
			[ "$(grep -c '^vigil:' "$u/etc/passwd")" = 1 ] || fail "$node: a second sysusers run added another vigil user"
			grep -q '^vigil:x:[0-9]*:$' "$u/etc/group" || fail "$node: systemd-sysusers made no vigil group"
		else
			fail "$node: systemd-sysusers --root on the overlay: $(cat "$tmp/sysusers")"
		fi
		rm -rf "$u"
	else
		echo "note: no systemd-sysusers here: the overlay's vigil user left unchecked"
	fi
	grep -qx 'key_file = /etc/vigil/pair.key' "$r/etc/vigil/vigil.conf" || fail "$node: key_file is not /etc/vigil/pair.key"
	# the in-root check: the root's own vigild on the root's configuration
	sed 's|^key_file = .*|key_file = pair.key|' "$r/etc/vigil/vigil.conf" >"$r/etc/vigil/check.conf"
	[ "$(diff "$r/etc/vigil/vigil.conf" "$r/etc/vigil/check.conf" | grep -c '^[<>]')" -eq 2 ] || fail "$node: check copy differs beyond key_file"
	if "$r/usr/sbin/vigild" --check-config -c "$r/etc/vigil/check.conf" >"$tmp/cc" 2>&1; then
		ok
	else
		fail "$node: in-root vigild --check-config: $(cat "$tmp/cc")"
	fi
	rm -f "$r/etc/vigil/check.conf"
	# and, where a mount namespace can be had, the file as it is at /etc/vigil/vigil.conf
	if [ "$(id -u)" = 0 ]; then ns="unshare -m"; else ns="unshare -rm"; fi
	if command -v unshare >/dev/null 2>&1 && $ns true 2>/dev/null; then
		# shellcheck disable=SC2016 # $1 is the inner shell's
		$ns sh -c 'mount -t overlay overlay -o "lowerdir=$1/etc:/etc" /etc 2>/dev/null || exit 77
			exec "$1/usr/sbin/vigild" --check-config -c /etc/vigil/vigil.conf' sh "$r" >"$tmp/ns" 2>&1
		case $? in
		0) ok ;;
		77) echo "note: $node: no overlayfs in a mount namespace here: the check at /etc/vigil left out" ;;
		*) fail "$node: vigild --check-config -c /etc/vigil/vigil.conf with the root's /etc laid over: $(cat "$tmp/ns")" ;;
		esac
	else
		echo "note: $node: no mount namespace here ($ns): the check at /etc/vigil left out"
	fi
	# the manifest: its facts, and every other file's checksum, checked from inside the root
	m=$r/etc/vigil/MANIFEST
	for k in "site: example" "node: $node" "role: "; do
		grep -q "^# $k" "$m" || fail "$node: MANIFEST has no \"# $k\""
	done
	grep -Eq '^# version: [0-9]+\.[0-9]+' "$m" || fail "$node: MANIFEST has no version"
	grep -Eq '^# built: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$m" || fail "$node: MANIFEST has no UTC build date"
	grep -Eq '^# commit: .' "$m" || fail "$node: MANIFEST has no commit"
	grep -Eq '^# arch: [a-z]' "$m" || fail "$node: MANIFEST has no arch"
	if (cd "$r" && sha256sum --strict -c etc/vigil/MANIFEST) >"$tmp/sum" 2>&1; then ok; else fail "$node: sha256sum -c: $(cat "$tmp/sum")"; fi
	(cd "$r" && find . -type f ! -path ./etc/vigil/MANIFEST | sed 's|^\./||' | sort) >"$tmp/files"
	grep -v '^#' "$m" | sed 's/^[0-9a-f]*  //' | sort >"$tmp/listed"
	cmp -s "$tmp/files" "$tmp/listed" || fail "$node: MANIFEST does not list every file: $(diff "$tmp/files" "$tmp/listed")"
	cmp -s "$m" "$fw/example-$node.MANIFEST" || fail "$node: the MANIFEST beside the tarball differs"
	grep -qF "$storekey" "$m" "$fw/example-$node.MANIFEST" && fail "$node: the key is in a MANIFEST"
done
ra=$tmp/root-vigil-a/etc/vigil
rb=$tmp/root-vigil-b/etc/vigil
if [ -f "$ra/pair.key" ] && [ -f "$rb/pair.key" ]; then
	cmp -s "$ra/pair.key" "$rb/pair.key" || fail "the overlays hold different keys"
	samebut "$ra/vigil.conf" "$rb/vigil.conf"
fi
grep -qF "$storekey" "$tmp/make.log" && fail "make firmware printed the key"

# Reproducible: the same tree and SOURCE_DATE_EPOCH give the same bytes.
for i in 1 2; do
	SOURCE_DATE_EPOCH=1700000000 BUILD="$BUILD" firmware/mkoverlay example "$fw/trees/example/vigil-a" "$tmp/rep$i/x.tar.gz" >/dev/null ||
		fail "mkoverlay run $i failed"
done
if cmp -s "$tmp/rep1/x.tar.gz" "$tmp/rep2/x.tar.gz"; then ok; else fail "two overlays of one tree differ"; fi
grep -qx '# built: 2023-11-14T22:13:20Z' "$tmp/rep1/x.MANIFEST" || fail "SOURCE_DATE_EPOCH not the build date"

echo "firmware: $checks checks passed, $fails failed"
[ "$fails" -eq 0 ]
