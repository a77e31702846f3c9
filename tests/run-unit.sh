#!/bin/sh
# Run each cmocka unit-test binary named on the command line and tally it for tests/summary.sh.
#
# For each binary NAME it writes $RESULTS/NAME.log (its output) and $RESULTS/NAME.count
# ("NAME passed failed skipped"); RESULTS defaults to build/results. Passed tests are the
# "[       OK ]" lines, failed ones cmocka's "[  FAILED  ] N test(s)" totals. A binary that is
# missing, crashes, hangs past UNIT_TIMEOUT seconds (default 120) or exits non-zero without
# cmocka reporting a failure counts as one more failed test. Exit status: 0 if nothing failed.
set -u

results="${RESULTS:-build/results}"
limit="${UNIT_TIMEOUT:-120}"
mkdir -p "$results" || exit 1
if [ "$#" -eq 0 ]; then
	echo "unit: no test binaries"
	exit 0
fi
# cmocka's default output is what we parse; a caller's CMOCKA_MESSAGE_OUTPUT=xml would hide it.
CMOCKA_MESSAGE_OUTPUT=STDOUT
export CMOCKA_MESSAGE_OUTPUT
if command -v timeout >/dev/null 2>&1; then runner="timeout -k 10 $limit"; else runner=""; fi

# sum PATTERN FILE: add up the first number on the lines matching the sed pattern.
sum() {
	sed -n "s/$1/\\1/p" "$2" | awk '{ s += $1 } END { print s + 0 }'
}

status=0
for t in "$@"; do
	name=$(basename "$t")
	log="$results/$name.log"
	why=""
	if [ ! -x "$t" ]; then
		echo "$t: missing or not executable" >"$log"
		rc=127
	else
		$runner "$t" >"$log" 2>&1
		rc=$?
	fi
	passed=$(grep -c '^\[       OK \]' "$log")
	failed=$(sum '^\[  FAILED  \] \([0-9][0-9]*\) test(s).*' "$log")
	skipped=$(sum '^\[  SKIPPED \] \([0-9][0-9]*\) test(s).*' "$log")
	started=$(grep -c '^\[==========\] Running' "$log")
	finished=$(grep -c '^\[==========\] [0-9][0-9]* test(s) run\.' "$log")
	if [ "$rc" -ne 0 ]; then
		status=1
		case "$rc" in
		124) why="timed out after ${limit}s" ;;
		127) why="missing" ;;
		*) if [ "$rc" -gt 128 ]; then why="killed by signal $((rc - 128))"; else why="exit $rc"; fi ;;
		esac
		# A crash, a kill, a time-out or an abort (ASan, UBSan) is one more failure than cmocka counted.
		if [ "$failed" -eq 0 ] || [ "$started" -ne "$finished" ] || [ "$rc" -gt 123 ]; then
			failed=$((failed + 1))
		fi
	fi
	printf '%s %s %s %s\n' "$name" "$passed" "$failed" "$skipped" >"$results/$name.count"
	printf '%-28s %3s passed, %s failed' "$name" "$passed" "$failed"
	[ "$skipped" -gt 0 ] && printf ', %s skipped' "$skipped"
	[ -n "$why" ] && printf ' (%s)' "$why"
	printf '\n'
	if [ "$rc" -ne 0 ]; then
		grep -E '^\[  (FAILED|ERROR)|^\[   LINE|error:|ERROR: |runtime error|Sanitizer' "$log" | head -n 20
		echo "  (full output: $log)"
	fi
done
exit $status
