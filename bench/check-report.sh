#!/usr/bin/env bash
# check-report.sh: the bench's report is all there (make bench-smoke's only check; no speed).
#
#   bench/check-report.sh OUT
#
# OUT/REPORT.md, OUT/decision.svg and OUT/results.json exist; the JSON has a record for every
# fault, system and repetition the run was asked for, a loss record for every level and system,
# steady-state figures and the micro-benchmark's mix; the report has its sections.
set -euo pipefail

OUT=${1:?usage: check-report.sh OUT}
bad() {
	echo "check-report: $OUT: $*" >&2
	exit 1
}

for f in REPORT.md decision.svg results.json; do
	[[ -s $OUT/$f ]] || bad "$f is missing or empty"
done
grep -q '<svg' "$OUT/decision.svg" || bad "decision.svg is not an SVG"
jq -e '
	.meta as $m |
	(.runs | length) == ($m.n * ($m.profiles | length) * ($m.faults | length) * ($m.systems | length)) and
	(.loss | length) == (($m.profiles | length) * ($m.loss_levels | length) * ($m.systems | length)) and
	(.steady | length) > 0 and (.summary | length) > 0 and (.verdicts | length) > 0 and
	(.micro.mix.core_events_per_s > 0)' "$OUT/results.json" >/dev/null ||
	bad "results.json lacks records (runs, loss, steady, summary, verdicts or the micro-benchmark)"
for s in '## Decisions' '## Random loss, no fault' '## Steady state' '## The decision core' \
    '## Where keepalived beats vigil' '## Configurations (verbatim)'; do
	grep -qF -- "$s" "$OUT/REPORT.md" || bad "REPORT.md has no '$s' section"
done
echo "check-report: $OUT: report, plot and results complete"
