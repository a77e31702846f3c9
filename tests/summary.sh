#!/bin/sh
# Print the closing line over every test group that ran: "tests: N passed, N failed".
#
# Usage: tests/summary.sh [BUILD] (default build): adds up BUILD/results/*.count, each one
# line "GROUP passed failed [skipped]" written by run-unit.sh and run-cli.sh; ", N skipped"
# follows when some were. A malformed count file counts as one failed test. Exit status: 0
# when nothing failed (also when nothing ran: then a note on stderr says so), 1 otherwise.
set -u

results="${1:-build}/results"
p=0; f=0; s=0; n=0
if [ -d "$results" ]; then
	for c in "$results"/*.count; do
		[ -f "$c" ] || continue
		np=""; nf=""; ns=""
		read -r _ np nf ns <"$c" || :
		ns=${ns:-0}
		case "$np,$nf,$ns" in
		*[!0-9,]* | ,* | *,,*)
			echo "summary: $c: malformed, counted as one failure" >&2
			f=$((f + 1)); continue ;;
		esac
		p=$((p + np)); f=$((f + nf)); s=$((s + ns)); n=$((n + 1))
	done
fi
[ "$n" -eq 0 ] && echo "summary: no test results in $results" >&2
if [ "$s" -gt 0 ]; then
	echo "tests: $p passed, $f failed, $s skipped"
else
	echo "tests: $p passed, $f failed"
fi
[ "$f" -eq 0 ]
