#!/usr/bin/env bash
# report.sh: bench/run.sh's raw records into OUT/results.json, OUT/REPORT.md and OUT/decision.svg.
#
#   bench/report.sh OUT        (OUT/raw/ as run.sh leaves it; needs jq and gnuplot)
#
# Re-running it on the same raw records gives the same report: run.sh calls it last, and it can
# be run again by hand after editing the report's text here.
set -euo pipefail

OUT=${1:?usage: report.sh OUT}
RAW=$OUT/raw
HERE=$(cd "$(dirname "$0")" && pwd)
for f in meta.json runs.jsonl loss.jsonl steady.jsonl micro.json binaries.json; do
	[[ -f $RAW/$f ]] || { echo "report.sh: $RAW/$f is missing (run bench/run.sh first)" >&2; exit 1; }
done

# ---- results.json ----
windows=$(cat "$RAW"/windows-*.json 2>/dev/null | jq -s 'map({(.profile): .}) | add // {}')
jq -n --slurpfile meta "$RAW/meta.json" --slurpfile runs "$RAW/runs.jsonl" --slurpfile loss "$RAW/loss.jsonl" \
    --slurpfile steady "$RAW/steady.jsonl" --slurpfile micro "$RAW/micro.json" \
    --slurpfile bins "$RAW/binaries.json" --argjson windows "$windows" \
    '{meta: $meta[0], runs: $runs, loss: $loss, steady: $steady, micro: $micro[0], binaries: $bins[0],
      windows: $windows}' | jq -f "$HERE/summarize.jq" >"$OUT/results.json"
R=$OUT/results.json

# Helpers for the tables, shared by every jq below.
# shellcheck disable=SC2016 # jq, not shell
JQ_DEFS='
def sysname: {"vigil": "vigil", "ka1": "keepalived (1)", "ka2": "keepalived (2)"}[.] // .;
def fmt_ms: if . == null then "-" elif . >= 10000 then "\(. / 1000 | . * 10 | round / 10) s"
	else "\(. | round) ms" end;
def fmt_s: if . == null then "-" else "\(. / 1000 | . * 100 | round / 100) s" end;
def r1: . * 10 | round / 10;
def r2: . * 100 | round / 100;
def fault_order($meta): . as $f | $meta.faults | index($f);
def expect_text: if . == "switch" then "switch" else "no switch" end;
'

# ---- the plot: median decision time per fault and system, whiskers min to max ----
# One row per fault: its label, then per system median, min, max (seconds, "-" when no run
# decided), a mark ("x" when a run was wrong, "-" otherwise) and the mark's height.
plot_data() { # plot_data PROFILE
	jq -r --arg p "$1" "$JQ_DEFS"'
		.meta as $m | [.runs[] | select(.profile == $p)] as $runs |
		$m.faults[] as $f | [$runs[] | select(.fault == $f)] as $fr | select($fr | length > 0) |
		["\($f) (\($fr[0].expect | expect_text))"] +
		([$m.systems[] as $s | [$fr[] | select(.system == $s)] as $r |
			[$r[] | select(.decision_ms != null) | .decision_ms / 1000 | if . < 0.002 then 0.002 else . end] as $d |
			(if ($d | length) == 0 then ["-", "-", "-"] else [($d | sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end), ($d | min), ($d | max)] end) +
			(if ($r | any(.right | not)) then ["x", (if ($d | length) == 0 then 0.0015 else ($d | max) * 1.6 end)] else ["-", "-"] end)] | add)
		| map(tostring) | join("\t")' "$R"
}

plot() {
	local profiles dat p s i n ns width names=()
	profiles=$(jq -r '.meta.profiles[]' "$R")
	n=$(wc -w <<<"$profiles")
	for s in $(jq -r '.meta.systems[]' "$R"); do
		names+=("$(jq -rn --arg s "$s" "$JQ_DEFS"'$s | sysname')")
	done
	ns=${#names[@]}
	# histogram errorbars, gap 1.5: bars of width 1 / (ns + 1.5) around each cluster's integer x
	width=$(awk -v n="$ns" 'BEGIN { printf "%.4f", 1 / (n + 1.5) }')
	{
		echo "set terminal svg size 1200,$((440 * n + 60)) dynamic enhanced font 'Sans,11'"
		echo "set output '$OUT/decision.svg'"
		echo "set datafile separator tab"
		echo "set datafile missing '-'"
		echo "set style data histogram"
		echo "set style histogram errorbars gap 1.5 lw 1"
		echo "set style fill solid 0.8 border -1"
		echo "set logscale y"
		echo "set yrange [0.001:300]"
		echo "set ylabel 'decision time (s), log scale'"
		echo "set grid ytics"
		echo "set key outside top center horizontal"
		echo "set xtics noenhanced rotate by -15"
		echo "set bmargin 4"
		printf '%s\n' "set multiplot layout $n,1 title \"Fault to decision: the backup takes the role (vigil on network-down: the hold)\\nbars: median of the runs, whiskers: min to max, no bar: no switch within the window, x: wrong in at least one run\" font ',11'"
		for p in $profiles; do
			dat=$RAW/decision-$p.dat
			plot_data "$p" >"$dat"
			echo "set title 'profile $p: vigil examples/$p, keepalived at $([[ $p == default ]] && echo "its own default timers" || echo "timers matched to vigil fast profile")'"
			printf "plot '%s' using 2:3:4:xtic(1) title '%s'" "$dat" "${names[0]}"
			for ((i = 1; i < ns; i++)); do
				printf ", '' using %d:%d:%d title '%s'" $((2 + 5 * i)) $((3 + 5 * i)) $((4 + 5 * i)) "${names[$i]}"
			done
			for ((i = 0; i < ns; i++)); do
				# only systems with a wrong run: gnuplot warns about a column without points
				awk -F '\t' -v c=$((5 + 5 * i)) '$c == "x" { f = 1 } END { exit !f }' "$dat" || continue
				printf ", '' using (\$0 + %s):%d:%d with labels font ',14' textcolor rgb 'red' notitle" \
				    "$(awk -v i="$i" -v n="$ns" -v w="$width" 'BEGIN { printf "%.4f", (i - (n - 1) / 2) * w }')" $((6 + 5 * i)) $((5 + 5 * i))
			done
			echo
		done
		echo "unset multiplot"
	} >"$RAW/decision.gp"
	gnuplot "$RAW/decision.gp"
}

# ---- REPORT.md ----

# glance_md PROFILE: one row per fault, one cell per system: right runs, what it did (median),
# split brain (median); then the verdict.
glance_md() {
	jq -r --arg p "$1" "$JQ_DEFS"'
		.meta as $m | [.summary[] | select(.profile == $p)] as $s |
		"| fault | right answer | " + ($m.systems | map(sysname) | join(" | ")) + " |",
		"|---|---|" + ($m.systems | map("---|") | join("")),
		($m.faults[] as $f | [$s[] | select(.fault == $f)] as $r | select($r | length > 0) |
			"| \($f) | \($r[0].expect | expect_text) | " +
			([$m.systems[] as $sys | [$r[] | select(.system == $sys)][0] |
				if . == null then "-" else
				"\(if .right == .n then "✓" else "✗" end) \(.right)/\(.n): " +
				(if .switched > 0 then "switch \(.switch_ms_median | fmt_ms)" + (if .switched < .n then " (\(.switched)/\(.n))" else "" end)
				 elif .held > 0 then "hold \(.decision_ms.median | fmt_ms)"
				 else "no switch" end) +
				(if .split_ms.median > 0 then ", split \(.split_ms.median | fmt_ms)\(if .split_at_end > 0 then "+" else "" end)" else "" end)
				end] | join(" | ")) + " |")' "$R"
	echo
	jq -r --arg p "$1" "$JQ_DEFS"'
		.meta as $m | [.verdicts[] | select(.profile == $p)] | sort_by(.fault | fault_order($m))[] |
		"- **\(.fault)**: \(.verdict)."' "$R"
}

decisions_md() { # decisions_md PROFILE
	jq -r --arg p "$1" "$JQ_DEFS"'
		.meta as $m |
		"| fault (right answer) | system | right | decision median | p95 | max | outcome (switch / hold / none) | split brain median / max |",
		"|---|---|---|---|---|---|---|---|",
		([.summary[] | select(.profile == $p)] | sort_by([(.fault | fault_order($m)), (.system as $s | $m.systems | index($s))])[] |
		"| \(.fault) (\(.expect | expect_text)) | \(.system | sysname) | \(.right)/\(.n)\(if .right < .n then " ✗" else "" end) | \(.decision_ms.median | fmt_ms) | \(.decision_ms.p95 | fmt_ms) | \(.decision_ms.max | fmt_ms) | \(.switched) / \(.held) / \(.n - .switched - .held)\(if .verdicts != [] then " (" + (.verdicts | join(", ")) + ")" else "" end) | \(.split_ms.median | fmt_ms) / \(.split_ms.max | fmt_ms)\(if .split_at_end > 0 then " (still split at the end: \(.split_at_end)/\(.n))" else "" end) |")' "$R"
}

loss_md() {
	jq -r "$JQ_DEFS"'
		.meta as $m |
		"| profile | loss per router | end-to-end loss B→A / A→B | system | observed | false switchovers | per hour | transient verdicts on the backup (vigil) / FAULT entries (keepalived) | backup in FAULT (would not take over) | split brain |",
		"|---|---|---|---|---|---|---|---|---|---|",
		(.loss | sort_by([.profile, .loss_pct_per_router, (.system as $s | $m.systems | index($s))])[] |
		"| \(.profile) | \(.loss_pct_per_router) % | \(.e2e_loss_pct.b_to_a) % / \(.e2e_loss_pct.a_to_b) % | \(.system | sysname) | \(.window_ms / 1000 | round) s | \(.false_switches) | \(.false_switches_per_h | r1)\(if .false_switches == 0 then " (95 % bound ≤ \(3 / .observed_h | round))" else "" end) | \(if .system == "vigil" then .backup_verdicts else .backup_faults end) | \(if .system == "vigil" then "-" else "\(.backup_fault_ms | fmt_s) (\(.backup_fault_ms / .window_ms * 100 | r1) %)" end) | \(.split_ms | fmt_ms) |")' "$R"
}

steady_md() {
	jq -r "$JQ_DEFS"'
		.meta as $m | (.binaries | map({(.name): .}) | add) as $b |
		"| profile | system | processes per node | VmHWM primary / backup | CPU s per hour primary / backup | packets/s on eth0 primary / backup | bytes/s primary / backup | stripped binary (shared libraries) |",
		"|---|---|---|---|---|---|---|---|",
		(.steady | sort_by([.profile, (.system as $s | $m.systems | index($s))])[] |
		(if .system == "vigil" then $b.vigild else $b.keepalived end) as $bin |
		"| \(.profile) | \(.system | sysname) | \(.processes.primary) | \(.vmhwm_kb.primary) / \(.vmhwm_kb.backup) kB | \(.cpu_s_per_h.primary | r2) / \(.cpu_s_per_h.backup | r2) | \(.pps.primary | r1) / \(.pps.backup | r1) | \(.bytes_per_s.primary | round) / \(.bytes_per_s.backup | round) | \($bin.name) \($bin.stripped_bytes / 1024 | round) KiB (\($bin.shared_libs)) |")' "$R"
}

micro_md() {
	jq -r "$JQ_DEFS"'
		"| profile | scenario | virtual time | events | core ns/event | core events/s | with the scripted world, events/s |",
		"|---|---|---|---|---|---|---|",
		(.micro.scenarios[] | "| \(.profile) | \(.scenario) | \(.virtual_s) s | \(.events) | \(.core_ns_per_event) | \(.core_events_per_s / 1e6 | r2) M | \(.world_events_per_s / 1e6 | r2) M |"),
		"",
		"All scenarios once each: **\(.micro.mix.core_events_per_s / 1e6 | r2) M events/s** through `decide_step()` (\(.micro.mix.core_ns_per_event) ns an event; each scenario replayed for at least \(.micro.min_cpu_s) s of CPU)."' "$R"
}

# Where a keepalived configuration that was right every time decided faster than vigil, and why.
beats_md() {
	local lines
	lines=$(jq -r "$JQ_DEFS"'
		.meta as $m |
		{"module-kill": "vigil counts the exit notice as the first failure and confirms with (2F − 1) retries R apart on both connections, two re-pings and a diagnosis before it posts module-down (doc/timing.md: 3·R, 3 s with the defaults, 0.6 s fast); keepalived at its default timers acts on one failed check (fall 1) a second after at most, and a master going to FAULT sends priority 0, so its backup takes over after the skew time.",
		 "module-hang": "vigil gives every module ping the whole module timeout (4T + 3R + 2·Tm: about 60 s with the 10 s default timeout, 6 s fast) so a slow module is not a dead one; keepalived kills its check script at its timeout (1 s) and acts on fall failures.",
		 "daemon-kill": "vigil sees the peer daemon gone while its host answers (notifier-down) and tries to reconnect for reconnect_timeout (30 s default, 3 s fast) before switching, because a restarting daemon is not a failure; keepalived takes over at the master down interval (3 adverts + skew). Neither can take the address back from the killed primary: both leave a split brain that lasts until someone cleans up the old primary.",
		 "primary-down": "vigil makes sure the primary host is gone with N ping sets D apart after the diagnosis (3 × 10 s default, 3 × 1 s fast: SPEC ping sets), where keepalived switches at the master down interval; the ping sets are what lets vigil tell a dead host from a lossy path."} as $why |
		.summary as $s | [$s[] | select(.system == "vigil" and .expect == "switch")] as $v |
		[$v[] as $vr | $s[] | select(.profile == $vr.profile and .fault == $vr.fault and .system != "vigil" and .right == .n and
			.decision_ms.median != null and $vr.decision_ms.median != null and .decision_ms.median < $vr.decision_ms.median) |
			{profile, fault, system, ka: .decision_ms.median, vigil: $vr.decision_ms.median}] |
		group_by([.profile, .fault]) | sort_by(.[0].profile, (.[0].fault | fault_order($m)))[] |
		"- **\(.[0].fault), \(.[0].profile) profile**: " +
		(map("\(.system | sysname) \(.ka | fmt_ms) vs vigil \(.vigil | fmt_ms) (\(.vigil / (if .ka < 1 then 1 else .ka end) | r1)× faster)") | join(", ")) +
		". Why: \($why[.[0].fault] // "-")"' "$R")
	if [[ -n $lines ]]; then
		echo "Decision speed, where keepalived was right every time and faster than vigil:"
		echo
		echo "$lines"
	else
		echo "Decision speed: nowhere was a keepalived configuration both right every time and faster than vigil."
	fi
	echo
	jq -r "$JQ_DEFS"'
		[.steady | group_by(.profile)[] | (map(select(.system == "vigil")) | first) as $v | select($v != null) |
			[.[] | select(.system != "vigil")] as $k |
			([$k[] | select(.pps.backup < $v.pps.backup) | "\(.system | sysname) \(.pps.backup | r1)"] | join(", ")) as $pps |
			([$k[] | select(.cpu_s_per_h.backup < $v.cpu_s_per_h.backup) | "\(.system | sysname) \(.cpu_s_per_h.backup | r2)"] | join(", ")) as $cb |
			([$k[] | select(.cpu_s_per_h.primary < $v.cpu_s_per_h.primary) | "\(.system | sysname) \(.cpu_s_per_h.primary | r2)"] | join(", ")) as $cp |
			([$k[] | select(.vmhwm_kb.backup < $v.vmhwm_kb.backup) | "\(.system | sysname) \(.vmhwm_kb.backup) kB"] | join(", ")) as $mem |
			[if $pps != "" then "- **\(.[0].profile) profile, packets/s on the backup'"'"'s eth0**: \($pps) vs vigil \($v.pps.backup | r1). VRRP is one advert per advert_int, one way, from the master (and keepalived (2) adds one echo a second); vigil'"'"'s backup asks and the primary answers: a notifier ping every ping_delay on each of its two connections and a module ping every module timeout, over TCP, acknowledgements included." else empty end,
			 if $cb != "" then "- **\(.[0].profile) profile, CPU s/h on the backup**: \($cb) vs vigil \($v.cpu_s_per_h.backup | r2)." else empty end,
			 if $cp != "" then "- **\(.[0].profile) profile, CPU s/h on the primary**: \($cp) vs vigil \($v.cpu_s_per_h.primary | r2)." else empty end,
			 if $mem != "" then "- **\(.[0].profile) profile, VmHWM on the backup**: \($mem) vs vigil \($v.vmhwm_kb.backup) kB." else empty end][]] as $res |
		if ($res | length) > 0 then "Resources, where keepalived costs less:", "", $res[] else "Resources: keepalived cost more than vigil on every steady-state figure measured (memory, CPU, packets)." end' "$R"
	echo
	jq -r '(.binaries | map({(.name): .}) | add) as $b |
		if $b.keepalived.stripped_bytes < $b.vigild.stripped_bytes then
		"Binary size: keepalived \($b.keepalived.stripped_bytes / 1024 | round) KiB stripped vs vigild \($b.vigild.stripped_bytes / 1024 | round) KiB (shared libraries: \($b.keepalived.shared_libs) vs \($b.vigild.shared_libs))."
		else empty end' "$R"
}

timers_md() {
	cat <<-'EOF'
		| | vigil default (examples/default) | keepalived default | vigil fast (examples/fast) | keepalived fast |
		|---|---|---|---|---|
		| heartbeat | notifier ping every 1 s, timeout 5 s, 2 retries | advert_int 1 s | notifier ping every 200 ms, timeout 300 ms, 2 retries | advert_int 0.2 s (= ping_delay) |
		| silent peer declared | diagnosis, then 3 ping sets 10 s apart | master down interval 3 × 1 s + skew (3.61 s at priority 100) | diagnosis, then 3 ping sets 1 s apart | 3 × 0.2 s + skew (0.72 s) |
		| module check | module ping every 10 s, retry 1 s, 2 failures per connection | vrrp_script every 1 s, timeout 1 s, fall 1, rise 1 | every 1 s, retry 200 ms, 2 failures per connection | every 1 s (the floor: whole seconds), timeout 1 s, fall 2 (= max_failures), rise 1 |
		| own network | gateway + NetTest, 1 s | — (2: ping NetTest near A every 1 s, wait 1 s, fall 1) | gateway + NetTest, 300 ms | — (2: ping every 1 s, wait 0.3 s, fall 1) |
		| peer daemon gone, host up | reconnect for 30 s | as a silent peer | reconnect for 3 s | as a silent peer |
	EOF
}

configs_md() {
	local p f
	for p in $(jq -r '.meta.profiles[]' "$R"); do
		for f in vigil-a vigil-b ka1-a ka1-b ka2-a ka2-b; do
			[[ -f $RAW/configs/$p/$f.conf ]] || continue
			echo "#### $p profile: \`$f.conf\`"
			echo
			echo '```'
			cat "$RAW/configs/$p/$f.conf"
			echo '```'
			echo
		done
	done
}

report_md() {
	local p
	jq -r '.meta | "# vigil against keepalived: benchmark report",
		"",
		"Made by `make bench` (bench/run.sh) on \(.date): \(.cpu), \(.nproc) CPUs, \(.kernel); vigil \(.vigil_version), \(.keepalived_version) (Debian).",
		"\(.n) repetition(s) of each fault per system, profile(s) \(.profiles | join(" and ")), random loss \(.loss_levels | map("\(.) %") | join(", ")) per router for \(.loss_window_s) s each, steady-state windows of \(.steady_window_s) s, random seed \(.seed); the run took \(.duration_s // "?") s.",
		(if .smoke then "", "**Smoke run** (`make bench-smoke`): one repetition and short windows, to show the harness works. Its numbers are not a benchmark." else empty end),
		"",
		"Same machine, same test bed, same faults, one run: vigil and keepalived take turns on each fault (vigil, then keepalived (1), then keepalived (2), for every repetition), so the ratios matter more than the absolute times (the machine is shared). Benchmarks assert nothing; `make check` does not run them.",
		"",
		"Systems:",
		"",
		"- **vigil**: `vigild` on both nodes with the example profile (timers as in examples/), the module checked with `unix:` (exit watch), NetTest near the other site, the service address as `[netcfg] vip`.",
		"- **keepalived (1)**: a unicast VRRPv3 pair across the WAN (unicast_src_ip / unicast_peer, routed through both sites'"'"' routers), each node tracking its module with a `vrrp_script` (the fake module'"'"'s client: exit 0 on PONG) and `track_script`, weight 0 (a failing check means FAULT).",
		"- **keepalived (2)**: (1) plus, on the backup, a second `vrrp_script` pinging the NetTest host near the primary'"'"'s site: keepalived'"'"'s only way to tell a WAN cut from a dead primary.",
		""' "$R"
	echo "## Decisions"
	echo
	echo "Decision: from the fault to the backup taking the role (vigil: the \`switch\` record in its journal; keepalived: \`MASTER\` in its \`vrrp_notify_fifo\`, stamped by a reader as it arrives), or, for vigil's network-down, to the hold. keepalived has no hold: where the right answer is not to switch, its decision is \"no switch within the window\" (outcome none) or a wrong switch. **Right**: a switch where the primary is really gone (module killed or hung, peer daemon killed, primary host down), no switch for a supervised restart, a WAN cut, an isolated backup. **Split brain**: time both nodes held their service address at once (from \`ip monitor address\` on both, stamped), within the watched window; a primary that is down holds nothing."
	echo
	for p in $(jq -r '.meta.profiles[]' "$R"); do
		echo "### Profile $p"
		echo
		echo "At a glance: right runs, the median decision (hold: vigil's network-down hold), the median split brain (+: still split when the run stopped watching); then the verdict per fault."
		echo
		glance_md "$p"
		echo
		echo "In full (p95 is the nearest rank: with 3 runs, the max):"
		echo
		decisions_md "$p"
		echo
	done
	echo "![Decision time per fault, both systems](decision.svg)"
	echo
	echo "## Random loss, no fault"
	echo
	echo "Loss applied with topo.sh's \`loss\` on both routers' WAN ports (\`numgen random mod 100 < N drop\`, each way), so the two rules compound: the end-to-end loss per direction below is measured with a burst of echoes counted by nftables where they arrive. The three systems run side by side through each loss window (their addresses and VRIDs differ), so all three see the same loss. A false switchover is the backup taking the role. With none seen, the bound is the rule of three (3 / hours observed); run longer windows (BENCH_LOSS_S) for tighter figures."
	echo
	loss_md
	echo
	echo "## Steady state"
	echo
	echo "Each system alone on the pair, after its start-up: the daemon's processes on each node (vigild; keepalived's parent and VRRP child), VmHWM summed over them, CPU time (each thread's from \`/proc/PID/task/*/schedstat\`, plus the reaped children's cutime + cstime from \`/proc/PID/stat\`, one clock tick over the window: keepalived's check scripts are children of its VRRP process) over the window, and every IP packet in and out of each node's \`eth0\` (nftables counters): everything the pair and its checks put on the wire."
	echo
	steady_md
	echo
	echo "## The decision core: decide/ micro-benchmark"
	echo
	echo "\`build/bench/decide_bench\` (bench/decide_bench.c, decide/ objects only): each scenario is driven by the unit tests' scripted world (tests/unit/world.h) at the example profiles' timers, recorded, and replayed into a fresh core: the core is pure, so the replay is the same run, and its rate is \`decide_step()\`'s own."
	echo
	micro_md
	echo
	echo "## Where keepalived beats vigil"
	echo
	beats_md
	echo
	echo "## Method"
	echo
	echo "- Test bed: tests/netns/topo.sh, two sites in network namespaces (node, router, NetTest host each; a routed WAN between the routers). Each run gets a clean bed (no fault, fresh modules, no leftover address or nftables table) and a fresh pair; its watchers (keepalived's FIFO, \`ip monitor address\` on both nodes) stamp each line with the wall clock as it arrives."
	echo "- Phase: before the fault the run sleeps a random fraction of the timer the fault meets: the module check's period for module faults (vigil \`module.timeout\`, keepalived's script \`interval\`), the heartbeat otherwise (vigil \`ping_delay\`, keepalived \`advert_int\`)."
	echo "- Faults, all on the real kernel: module killed (SIGKILL); module hung (SIGSTOP); module restarted at once by its supervisor (killed and started again, answering within the gap in the record, well under 100 ms; a fresh pair each time, since a second restart within max_restarts_period is module-down by design); peer daemon killed on the primary (vigild SIGKILL; keepalived's parent stopped so it cannot respawn, then parent and VRRP child SIGKILL); primary host down (its switch port down); WAN cut (router A's WAN port drops everything; NetTest near A stays up for A's site); backup isolated by carrier loss (its switch port down); backup isolated silently (its bridge port disabled, carrier up)."
	echo "- Window: a run watches for the fault's window, or until $(jq -r '.meta.settle_ms' "$R") ms after the backup took its address where a switch is the right answer. The window is the later of vigil's bound (doc/timing.md's formula at the slowest phase, plus $(jq -r '.meta.slack_ms' "$R") ms and 20 %) and keepalived's slowest path; for the no-switch faults it is the longest automatic switch vigil's configuration allows, so a wrong switch by any path would show."
	echo
	jq -r "$JQ_DEFS"'.windows | to_entries[] | "  - \(.key): " + (.value.windows | to_entries | map("\(.key) \(.value | fmt_ms)") | join(", "))' "$R"
	echo
	echo "Timers:"
	echo
	timers_md
	echo
	echo "keepalived drops an advert whose address list differs from its own, and a VIP cannot move between two routed sites, so each node's service address (10.1.0.20x on A's LAN, 10.2.0.20x on B's) is in \`virtual_ipaddress_excluded\` (held while master, not advertised) and the advertised list is one address both share. keepalived runs as \`keepalived -n -l -D -G -P -f CONF -p PID -r VRRP_PID\` inside the node's namespace, never as a system service; vigil as \`vigild -c FILE\`."
	echo
	echo "## Configurations (verbatim)"
	echo
	echo "As generated for the run (paths are the run's temporary directory). keepalived (2) differs from (1) only on node B."
	echo
	configs_md
}

plot
report_md >"$OUT/REPORT.md"
