#!/bin/sh
# config_check.sh: vigild --check-config on every example profile, its --print re-checked, a broken file,
# and vigilctl keygen. Run from the repository root: BUILD=build sh tests/cli/config_check.sh
set -u
BUILD="${BUILD:-build}"
vigild="$BUILD/vigild"
vigilctl="$BUILD/vigilctl"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-config-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# run EXPECTED_STATUS CMD...: stdout in $tmp/out, stderr in $tmp/err
run() {
	want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$* exited $got, not $want"
		sed 's/^/  stderr: /' "$tmp/err"
		return 1
	fi
	return 0
}

# A copy of each profile folder, with its key: the one from `make keys` or a fresh one.
copy_profile() {
	src=$1
	dst="$tmp/$(basename "$src")"
	mkdir -p "$dst" && cp "$src"/*.conf "$dst"/ || exit 1
	if [ -f "$src/pair.key" ]; then
		cp "$src/pair.key" "$dst/pair.key" && chmod 600 "$dst/pair.key"
	else
		run 0 "$vigilctl" keygen "$dst/pair.key" || exit 1
	fi
}

for d in examples/*/; do
	copy_profile "${d%/}"
done

n=0
for f in "$tmp"/*/*.conf; do
	n=$((n + 1))
	run 0 "$vigild" --check-config -c "$f" &&
		{ [ "$(cat "$tmp/out")" = "$f: ok" ] || fail "$f: said '$(cat "$tmp/out")'"; }
	# --print: a complete file that checks again and prints the same values
	run 0 "$vigild" --check-config -c "$f" --print || continue
	cp "$tmp/out" "$tmp/printed.conf"
	run 0 "$vigild" --check-config -c "$tmp/printed.conf" --print || { cat "$tmp/printed.conf"; continue; }
	grep -v '^#' "$tmp/printed.conf" >"$tmp/p1"
	grep -v '^#' "$tmp/out" >"$tmp/p2"
	cmp -s "$tmp/p1" "$tmp/p2" || fail "$f: --print of --print differs: $(diff "$tmp/p1" "$tmp/p2")"
	grep -q '^role = [AB]$' "$tmp/p1" || fail "$f: --print has no role"
	grep -q '^key_file = /.*/pair.key$' "$tmp/p1" || fail "$f: --print has no absolute key_file"
	grep -q '^[0-9a-f]\{64\}$' "$tmp/printed.conf" && fail "$f: --print shows the key"
done
[ "$n" -ge 4 ] || fail "only $n example files found"

# A broken file: exit 1, one line "file:line: key: why" on stderr.
good="$tmp/default/vigil-a.conf"
broken="$tmp/default/broken.conf"
sed 's/^retry_delay = .*/retry_delay = 10 parsecs/' "$good" >"$broken"
if run 1 "$vigild" --check-config -c "$broken"; then
	grep -q "^$broken:[0-9][0-9]*: retry_delay: \"10 parsecs\" is not a duration" "$tmp/err" ||
		fail "broken file: stderr '$(cat "$tmp/err")'"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "broken file: more than one line on stderr"
	[ -s "$tmp/out" ] && fail "broken file: something on stdout"
fi
sed 's/^timeout = 10s$/timeout = 10s # ten seconds/' "$good" >"$broken"
run 1 "$vigild" --check-config -c "$broken" &&
	{ grep -q "^$broken:[0-9][0-9]*: timeout: '#' inside a line" "$tmp/err" || fail "inline #: $(cat "$tmp/err")"; }
chmod 644 "$tmp/default/pair.key"
run 1 "$vigild" --check-config -c "$good" &&
	{ grep -q "key_file: .* run chmod 600" "$tmp/err" || fail "key mode: $(cat "$tmp/err")"; }
chmod 600 "$tmp/default/pair.key"

# Usage errors exit 2; the daemon proper refuses a bad file with exit 1 before it starts anything.
run 2 "$vigild" --check-config -c "$good" --bogus
run 2 "$vigild" --print -c "$good"
run 1 "$vigild" -c "$broken"

# keygen: a new key with mode 0600; never over an existing file.
run 0 "$vigilctl" keygen "$tmp/new.key"
[ "$(ls -l "$tmp/new.key" | cut -c1-10)" = "-rw-------" ] || fail "new key: $(ls -l "$tmp/new.key")"
grep -q '^[0-9a-f]\{64\}$' "$tmp/new.key" || fail "new key: not 64 hex characters"
cp "$tmp/new.key" "$tmp/before.key"
run 1 "$vigilctl" keygen "$tmp/new.key" &&
	{ grep -q "refusing to overwrite" "$tmp/err" || fail "keygen overwrite: $(cat "$tmp/err")"; }
cmp -s "$tmp/new.key" "$tmp/before.key" || fail "keygen changed an existing key"
run 2 "$vigilctl" keygen
run 2 "$vigilctl" no-such-command
run 1 "$vigilctl" status

if [ "$fails" -ne 0 ]; then
	echo "config_check: $fails failed"
	exit 1
fi
echo "config_check: ok ($n example files)"
