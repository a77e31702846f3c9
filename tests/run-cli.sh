#!/bin/sh
# Run every shell test in tests/sim/ and tests/cli/ against the built binaries; tally for tests/summary.sh.
#
# Usage: tests/run-cli.sh [BUILD]  (default build), from anywhere. Each test runs from the
# tree's root with BUILD (the build folder, relative to the root), VIGILCTL and VIGILD
# (absolute paths) in its environment, under the interpreter its #! line names (sh
# otherwise), limited to SHELL_TEST_TIMEOUT seconds (default 120). Exit 0 = passed,
# 77 = skipped (a missing feature), anything else = failed. Logs and the count
# ("shell-tests passed failed skipped") go to $RESULTS (default BUILD/results).
set -u

cd "$(dirname "$0")/.." || exit 1
build="${1:-build}"
results="${RESULTS:-$build/results}"
limit="${SHELL_TEST_TIMEOUT:-120}"
mkdir -p "$results" || exit 1
if command -v timeout >/dev/null 2>&1; then runner="timeout -k 10 $limit"; else runner=""; fi
BUILD="$build"
VIGILCTL="$(pwd)/$build/vigilctl"
VIGILD="$(pwd)/$build/vigild"
export BUILD VIGILCTL VIGILD

status=0; p=0; f=0; s=0
for t in tests/sim/*.sh tests/cli/*.sh; do
	[ -f "$t" ] || continue
	dir=$(basename "$(dirname "$t")")
	name="$dir-$(basename "$t" .sh)"
	log="$results/$name.log"
	first=$(head -n 1 "$t")
	case "$first" in
	'#!'*) interp=${first#??} ;;
	*) interp="sh" ;;
	esac
	# $runner and $interp are split on purpose: "#!/usr/bin/env bash" is a program and its argument.
	# shellcheck disable=SC2086
	$runner $interp "$t" >"$log" 2>&1 </dev/null
	rc=$?
	case "$rc" in
	0) p=$((p + 1)); printf '%-28s ok\n' "$name" ;;
	77) s=$((s + 1)); printf '%-28s skipped: %s\n' "$name" "$(tail -n 1 "$log")" ;;
	*)
		f=$((f + 1)); status=1
		if [ "$rc" -eq 124 ]; then why="timed out after ${limit}s"; else why="exit $rc"; fi
		printf '%-28s FAILED (%s)\n' "$name" "$why"
		tail -n 20 "$log" | sed 's/^/  /'
		echo "  (full output: $log)"
		;;
	esac
done
[ $((p + f + s)) -eq 0 ] && echo "shell tests: none in tests/sim or tests/cli"
printf 'shell-tests %s %s %s\n' "$p" "$f" "$s" >"$results/shell-tests.count"
exit $status
