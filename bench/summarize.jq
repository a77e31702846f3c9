# summarize.jq: the bench's raw records (bench/run.sh) into results.json: per fault and system the
# decision times (median, p95, max), right or wrong, split-brain time, and a one-line verdict per
# fault; the loss, resource and micro-benchmark figures alongside. Input: one object
# {meta, runs, loss, steady, micro, binaries, windows}.

def sysname: {"vigil": "vigil", "ka1": "keepalived (1)", "ka2": "keepalived (2)"}[.] // .;
def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
# p95 by nearest rank: with 3 runs it is the max.
def p95: sort | if length == 0 then null else .[((length * 0.95) | ceil) - 1] end;
def fmt_ms: if . == null then "-" elif . >= 10000 then "\(. / 1000 | . * 10 | round / 10) s"
	else "\(. | round) ms" end;
def ratio($a; $b): ($a / $b) | . * 10 | round / 10;

# One row per profile, fault, system.
def summary:
	group_by([.profile, .fault, .system]) | map(
		. as $r | ($r | map(select(.decision_ms != null) | .decision_ms)) as $d |
		{profile: $r[0].profile, fault: $r[0].fault, system: $r[0].system, expect: $r[0].expect,
		 n: ($r | length), right: ($r | map(select(.right)) | length),
		 switched: ($r | map(select(.switched)) | length),
		 held: ($r | map(select(.outcome == "hold")) | length),
		 decisions: ($d | length),
		 decision_ms: {median: ($d | median), p95: ($d | p95), max: ($d | max)},
		 switch_ms_median: ($r | map(select(.switch_ms != null) | .switch_ms) | median),
		 split_ms: {median: ($r | map(.split_ms) | median), max: ($r | map(.split_ms) | max),
			    total: ($r | map(.split_ms) | add)},
		 split_at_end: ($r | map(select(.split_at_end)) | length),
		 backup_fault_ms_median: ($r | map(select(.backup_fault_ms != null) | .backup_fault_ms) | median),
		 verdicts: ($r | map(.verdict // empty) | unique),
		 restart_gap_ms_max: ($r | map(.restart_gap_ms // empty) | max),
		 window_ms: ($r | map(.window_ms) | max)});

def rightness($rows):
	if ($rows | all(.right == .n)) then "all right"
	else $rows | map("\(.system | sysname) \(if .right == .n then "right" elif .right == 0 then "wrong" else "right \(.right)/\(.n)" end)") | join(", ")
	end;

def speed($rows):
	($rows | map(select(.system == "vigil")) | first) as $v |
	if $v == null or $v.decision_ms.median == null then ""
	else [$rows[] | select(.system != "vigil" and .decision_ms.median != null and .right == .n) |
		if .decision_ms.median < $v.decision_ms.median then
			"\(.system | sysname) \(ratio($v.decision_ms.median; (.decision_ms.median | if . < 1 then 1 else . end)))× faster than vigil (\(.decision_ms.median | fmt_ms) vs \($v.decision_ms.median | fmt_ms))"
		else
			"vigil \(ratio(.decision_ms.median; ($v.decision_ms.median | if . < 1 then 1 else . end)))× faster than \(.system | sysname) (\($v.decision_ms.median | fmt_ms) vs \(.decision_ms.median | fmt_ms))"
		end] | join("; ")
	end;

def splits($rows):
	[$rows[] | select(.split_ms.max > 0) |
		"\(.system | sysname) split brain " +
		(if .split_ms.median > 0 then "\(.split_ms.median | fmt_ms) median"
		 else "up to \(.split_ms.max | fmt_ms) (median 0)" end) +
		(if .split_at_end > 0 then ", still split when the run stopped watching in \(.split_at_end)/\(.n)" else "" end)] | join("; ");

def verdict($rows):
	$rows[0] as $f |
	if $f.expect == "switch" then
		[rightness($rows), speed($rows), splits($rows)] | map(select(length > 0)) | join("; ")
	else
		([$rows[] | select(.right == .n) | .system | sysname]) as $ok |
		([$rows[] | select(.right < .n) | "\(.system | sysname) switched wrongly in \(.n - .right)/\(.n) (at \(.switch_ms_median | fmt_ms) median)"]) as $bad |
		([$rows[] | select(.system == "vigil" and .held > 0) | "vigil holds (network-down) at \(.decision_ms.median | fmt_ms)"]) as $hold |
		[if ($ok | length) > 0 then "right (no switch): \($ok | join(", "))" else "nobody right" end] + $bad + $hold + [splits($rows)]
		| map(select(length > 0)) | join("; ")
	end;

. as $in |
($in.runs | summary) as $summary |
{
	meta: $in.meta,
	binaries: $in.binaries,
	windows: $in.windows,
	summary: $summary,
	verdicts: ($summary | group_by([.profile, .fault]) | map({profile: .[0].profile, fault: .[0].fault,
		expect: .[0].expect, verdict: verdict(.)})),
	loss: ($in.loss | map(. + {false_switches_per_h: (.false_switches * 3600000 / .window_ms),
		observed_h: (.window_ms / 3600000)})),
	steady: $in.steady,
	micro: $in.micro,
	runs: $in.runs
}
