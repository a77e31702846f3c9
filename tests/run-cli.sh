#!/bin/sh
# Run every shell test under tests/sim/ and tests/cli/ against the built binaries; tally like run-unit.sh.
set -u
build="${1:-build}"
results="$build/results"
mkdir -p "$results"
status=0; p=0; f=0
for t in tests/sim/*.sh tests/cli/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	if BUILD="$build" sh "$t" >"$results/$name.log" 2>&1; then
		p=$((p + 1)); printf '%-28s ok\n' "$name"
	else
		f=$((f + 1)); status=1; printf '%-28s FAILED\n' "$name"; tail -n 20 "$results/$name.log"
	fi
done
printf 'shell-tests %s %s\n' "$p" "$f" >"$results/shell-tests.count"
exit $status
