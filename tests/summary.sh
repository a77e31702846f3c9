#!/bin/sh
# Print the closing line over every test group that ran: "N passed, N failed".
set -u
results="${1:-build}/results"
p=0; f=0; s=0
for c in "$results"/*.count; do
	[ -e "$c" ] || continue
	read -r _ np nf ns <"$c"
	p=$((p + np)); f=$((f + nf)); s=$((s + ${ns:-0}))
done
if [ "$s" -gt 0 ]; then echo "tests: $p passed, $f failed, $s skipped"; else echo "tests: $p passed, $f failed"; fi
[ "$f" -eq 0 ]
