#!/bin/sh
# Run each cmocka unit-test binary; tally passed/failed tests into $RESULTS for tests/summary.sh.
set -u
results="${RESULTS:-$(dirname "$1")/../results}"
mkdir -p "$results"
status=0
for t in "$@"; do
	name=$(basename "$t")
	out="$results/$name.log"
	if "$t" >"$out" 2>&1; then rc=0; else rc=$?; status=1; fi
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	[ "$rc" -ne 0 ] && [ -z "${failed:-}" ] && failed=1
	printf '%s %s %s\n' "$name" "${passed:-0}" "${failed:-0}" >"$results/$name.count"
	printf '%-28s %3s passed, %s failed\n' "$name" "${passed:-0}" "${failed:-0}"
	[ "$rc" -ne 0 ] && grep -E '^\[  (FAILED|ERROR)|error:|Assert|FAIL' "$out" | head -n 20
done
exit $status
