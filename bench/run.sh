#!/usr/bin/env bash
# run.sh: vigil against Debian's keepalived on the two-site namespace test bed, the same faults
# in turn, then the report (bench/report.sh). `make bench` and `make bench-smoke` run it; root.
#
# Environment:
#   BENCH_N          repetitions of each fault per system (3; smoke 1)
#   BENCH_PROFILE    default | fast | both (fast; smoke fast): vigil's example profile and the
#                    keepalived timers matched to it. Resources are measured at both always.
#   BENCH_SYSTEMS    "vigil ka1 ka2"   BENCH_FAULTS  the fault list below (all)
#   BENCH_LOSS       loss levels, percent per router, applied on both routers ("1 3 5"; smoke "5")
#   BENCH_LOSS_S     seconds of each loss level, all systems side by side (120; smoke 10)
#   BENCH_STEADY_S   seconds of each steady-state resource window (30; smoke 5)
#   BENCH_SEED       $RANDOM's seed: the random phases (time-based; written to the report)
#   BENCH_OUT        where the report goes (bench/results)
#   BENCH_SMOKE=1    one repetition of each fault at the fast profile, short windows: the
#                    harness works and writes a report (CI); it asserts nothing about speed.
#   BENCH_TMPDIR     where the run's temp dir goes (/var/tmp)
#   BUILD, VIGILD, VIGILCTL, FAKE_MODULE, NETNS_SLACK_MS, NETNS_KEEP: as for tests/netns.
#
# A run: a clean test bed (bench_reset), a fresh pair of one system, the stamped watchers of
# both nodes' addresses, a random fraction of the relevant timer, the fault, then watching for
# the fault's window (fault_window) or, when the backup took the role, BENCH_SETTLE_MS more;
# then the pair is stopped and the run's record appended to raw/runs.jsonl.
# A temp dir and namespace names of the bench's own: a sweep of the test suite's leftovers
# (/tmp/vigil-netns.*, vgt*) never takes a long bench run down with it.
export TMPDIR=${BENCH_TMPDIR:-/var/tmp}
TOPO_PREFIX=${TOPO_PREFIX:-vgb$$r$RANDOM}
# shellcheck source-path=SCRIPTDIR source=../tests/netns/topo.sh
. "$(dirname "$0")/../tests/netns/topo.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BENCH_SMOKE=${BENCH_SMOKE:-0}
if [[ $BENCH_SMOKE == 1 ]]; then
	BENCH_N=${BENCH_N:-1} BENCH_PROFILE=${BENCH_PROFILE:-fast}
	BENCH_LOSS=${BENCH_LOSS-5} BENCH_LOSS_S=${BENCH_LOSS_S:-10} BENCH_STEADY_S=${BENCH_STEADY_S:-5}
	BENCH_LOSS_BURST=${BENCH_LOSS_BURST:-300}
fi
BENCH_N=${BENCH_N:-3}
BENCH_PROFILE=${BENCH_PROFILE:-fast}
BENCH_SYSTEMS=${BENCH_SYSTEMS:-vigil ka1 ka2}
ALL_FAULTS="module-kill module-hang module-restart daemon-kill primary-down wan-cut backup-isolate silent-isolate"
BENCH_FAULTS=${BENCH_FAULTS:-$ALL_FAULTS}
BENCH_LOSS=${BENCH_LOSS-1 3 5}
BENCH_LOSS_S=${BENCH_LOSS_S:-120}
BENCH_STEADY_S=${BENCH_STEADY_S:-30}
BENCH_SEED=${BENCH_SEED:-$((${EPOCHREALTIME//[!0-9]/} % 1000000))}
BENCH_OUT=${BENCH_OUT:-$TOPO_ROOT/bench/results}
BENCH_MICRO=${BENCH_MICRO:-$topo_build/bench/decide_bench}
RANDOM=$BENCH_SEED

case "$BENCH_PROFILE" in
default | fast) PROFILES=$BENCH_PROFILE ;;
both) PROFILES="default fast" ;;
*) echo "run.sh: BENCH_PROFILE is default, fast or both, not '$BENCH_PROFILE'" >&2; exit 2 ;;
esac
[[ $BENCH_N =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: BENCH_N is a positive number" >&2; exit 2; }
for f in $BENCH_FAULTS; do
	[[ " $ALL_FAULTS " == *" $f "* ]] || { echo "run.sh: unknown fault '$f' (known: $ALL_FAULTS)" >&2; exit 2; }
done
for s in $BENCH_SYSTEMS; do
	[[ -n ${SYS_NAME[$s]:-} ]] || { echo "run.sh: unknown system '$s' (vigil ka1 ka2)" >&2; exit 2; }
done

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
need_cmd keepalived gnuplot strip
[[ -x $BENCH_MICRO ]] || fail "$BENCH_MICRO is missing: make bench builds it"
BENCH_START_MS=$(now_ms)
RAW=$BENCH_OUT/raw
rm -rf "$RAW"
mkdir -p "$RAW/runs" "$RAW/configs"
: >"$RAW/runs.jsonl"
: >"$RAW/loss.jsonl"
: >"$RAW/steady.jsonl"

# ---- the faults ----

expect_of() { # expect_of KIND: switch or no-switch, the right answer (issue 10, SPEC)
	case "$1" in
	module-kill | module-hang | daemon-kill | primary-down) echo switch ;;
	*) echo no-switch ;;
	esac
}

RESTART_GAP_MS=""
# inject SYSTEM KIND: the fault, on node A (the primary) or B (the backup's isolation).
inject() {
	local t
	case "$2" in
	module-kill) kill_module a ;;
	module-hang) stop_module a ;;
	module-restart) # its supervisor starts it again at once: back answering in well under 100 ms
		t=$(now_ms)
		kill_module a
		start_module a
		RESTART_GAP_MS=$(($(now_ms) - t))
		;;
	daemon-kill) if [[ $1 == vigil ]]; then vigil_kill a; else ka_kill a "$1"; fi ;;
	primary-down) isolate_backup a ;; # A's switch port down: the host is gone for everyone
	wan-cut) wan_cut a ;;
	backup-isolate) isolate_backup b ;;
	silent-isolate) silent_isolate b ;;
	esac
}

# watch_run SYSTEM DIR T0 WINDOW_MS EXPECT: until the window ends or, where a switch is the
# right answer, until the backup took its address plus BENCH_SETTLE_MS.
watch_run() {
	local sys=$1 dir=$2 t0=$3 window=$4 expect=$5 end c
	end=$((t0 + window))
	while (($(now_ms) < end)); do
		if [[ $expect == switch ]]; then
			c=$(first_claim "$dir" "$sys" b "$t0")
			if [[ -n $c ]] && ((t0 + c + BENCH_SETTLE_MS < end)); then
				end=$((t0 + c + BENCH_SETTLE_MS))
			fi
		fi
		sleep 0.1
	done
}

# first_of LINES WORD: the ms of the first "ms WORD ..." line, or "".
first_of() {
	awk -v w="$2" '$2 == w { print $1; exit }' <<<"$1"
}

# run_fault SYSTEM KIND REP: one run, its record appended to raw/runs.jsonl.
run_fault() {
	local sys=$1 kind=$2 rep=$3 id dir window expect phase t0 t1 ev_b ev_a sw="" hold="" verdict=""
	local kafault="" claim split ign=0 seq_b seq_a
	id=$BENCH_PROFILE_NOW-$kind-$sys-$rep
	dir=$TOPO_TMP/runs/$id
	mkdir -p "$dir"
	expect=$(expect_of "$kind")
	window=$(fault_window "$kind")
	bench_reset
	sys_up "$sys"
	mon_start "$dir"
	phase=$(phase_ms "$sys" "$kind")
	sleep "$(ms_to_s "$phase")"
	RESTART_GAP_MS=""
	t0=$(now_ms)
	inject "$sys" "$kind"
	watch_run "$sys" "$dir" "$t0" "$window" "$expect"
	t1=$(now_ms)
	mon_stop
	if [[ $sys == vigil ]]; then
		ev_b=$(vigil_events b "$t0" 2>/dev/null) || ev_b=""
		ev_a=$(vigil_events a "$t0" 2>/dev/null) || ev_a=""
		sw=$(first_of "$ev_b" switch)
		hold=$(first_of "$ev_b" hold)
		verdict=$(awk '$2 == "verdict" { print $3; exit }' <<<"$ev_b")
		seq_b=$(awk '$2 == "verdict" || $2 == "switch" || $2 == "hold" { printf "%s%s:%s@%d", s, $2, $3, $1; s = " " }' <<<"$ev_b")
		seq_a=$(awk '$2 == "transition" || $2 == "switch" { printf "%s%s:%s@%d", s, $2, $3, $1; s = " " }' <<<"$ev_a")
		printf '%s\n' "$ev_b" >"$dir/journal-b.txt"
		printf '%s\n' "$ev_a" >"$dir/journal-a.txt"
	else
		ev_b=$(ka_events "$sys" b "$t0")
		ev_a=$(ka_events "$sys" a "$t0")
		sw=$(first_of "$ev_b" MASTER)
		kafault=$(first_of "$ev_b" FAULT)
		seq_b=$(awk 'NF { printf "%s%s@%d", s, $2, $1; s = " " }' <<<"$ev_b")
		seq_a=$(awk 'NF { printf "%s%s@%d", s, $2, $1; s = " " }' <<<"$ev_a")
		cp "$(ka_file "$sys" a log)" "$dir/keepalived-a.log"
		cp "$(ka_file "$sys" b log)" "$dir/keepalived-b.log"
	fi
	[[ -n $sw ]] && ((sw > window)) && sw="" # after the window: not this fault's decision
	[[ $kind == primary-down ]] && ign=1        # a host that is down holds nothing
	split=$(split_ms "$dir" "$sys" "$t0" "$t1" "$ign")
	claim=$(first_claim "$dir" "$sys" b "$t0")
	sys_down "$sys"
	jq -cn --arg sys "$sys" --arg profile "$BENCH_PROFILE_NOW" --arg fault "$kind" --argjson rep "$rep" \
	    --arg expect "$expect" --argjson phase "$phase" --argjson window "$window" \
	    --argjson observed $((t1 - t0)) --arg sw "$sw" --arg hold "$hold" --arg verdict "$verdict" \
	    --arg kafault "$kafault" --arg claim "$claim" --arg split "${split% *}" --arg ongoing "${split#* }" \
	    --arg gap "$RESTART_GAP_MS" --arg seq_b "$seq_b" --arg seq_a "$seq_a" '
		def num: if . == "" then null else tonumber end;
		($sw | num) as $sw | ($hold | num) as $hold |
		{system: $sys, profile: $profile, fault: $fault, rep: $rep, expect: $expect,
		 phase_ms: $phase, window_ms: $window, observed_ms: $observed,
		 switched: ($sw != null), switch_ms: $sw, hold_ms: $hold,
		 outcome: (if $sw != null then "switch" elif $hold != null then "hold" else "none" end),
		 decision_ms: (if $sw != null then $sw else $hold end),
		 right: (if $expect == "switch" then $sw != null else $sw == null end),
		 verdict: ($verdict | if . == "" then null else . end),
		 backup_fault_ms: ($kafault | num), backup_claim_ms: ($claim | num),
		 split_ms: ($split | tonumber), split_at_end: ($ongoing == "1"),
		 restart_gap_ms: ($gap | num), backup_events: $seq_b, primary_events: $seq_a}' \
	    >>"$RAW/runs.jsonl"
	cp -r "$dir" "$RAW/runs/"
	log "$id: $(tail -n 1 "$RAW/runs.jsonl" | jq -r '"\(.outcome) \(.decision_ms // "-") ms, right \(.right), split \(.split_ms) ms\(if .split_at_end then " (still split)" else "" end); B: \(.backup_events)"')"
}

# ---- steady state: memory, CPU, packets ----

run_steady() { # run_steady SYSTEM
	local sys=$1 pids_a pids_b c0a c0b c1a c1b t0 t1 ca cb
	bench_reset
	sys_up "$sys"
	sleep 2 # past the start-up's own traffic
	count_start
	# shellcheck disable=SC2207 # PIDs
	pids_a=($(sys_pids "$sys" a))
	# shellcheck disable=SC2207
	pids_b=($(sys_pids "$sys" b))
	t0=$(now_ms)
	c0a=$(cpu_us "${pids_a[@]}")
	c0b=$(cpu_us "${pids_b[@]}")
	sleep "$BENCH_STEADY_S"
	c1a=$(cpu_us "${pids_a[@]}")
	c1b=$(cpu_us "${pids_b[@]}")
	t1=$(now_ms)
	ca=$(count_read a)
	cb=$(count_read b)
	jq -cn --arg sys "$sys" --arg profile "$BENCH_PROFILE_NOW" --argjson ms $((t1 - t0)) \
	    --argjson ca_us $((c1a - c0a)) --argjson cb_us $((c1b - c0b)) \
	    --argjson hwa "$(hwm_kb "${pids_a[@]}")" --argjson hwb "$(hwm_kb "${pids_b[@]}")" \
	    --argjson na ${#pids_a[@]} --argjson nb ${#pids_b[@]} \
	    --arg ca "$ca" --arg cb "$cb" '
		($ca | split(" ") | map(tonumber)) as $ca | ($cb | split(" ") | map(tonumber)) as $cb |
		{system: $sys, profile: $profile, window_ms: $ms, processes: {primary: $na, backup: $nb},
		 cpu_us: {primary: $ca_us, backup: $cb_us},
		 cpu_s_per_h: {primary: ($ca_us * 3600 / $ms / 1000), backup: ($cb_us * 3600 / $ms / 1000)},
		 vmhwm_kb: {primary: $hwa, backup: $hwb},
		 pps: {primary: ($ca[0] * 1000 / $ms), backup: ($cb[0] * 1000 / $ms)},
		 bytes_per_s: {primary: ($ca[1] * 1000 / $ms), backup: ($cb[1] * 1000 / $ms)}}' >>"$RAW/steady.jsonl"
	count_stop
	sys_down "$sys"
	log "steady $sys $BENCH_PROFILE_NOW: $(tail -n 1 "$RAW/steady.jsonl")"
}

# ---- random loss, no fault: every system at once, so all see the same loss ----

run_loss() { # run_loss PCT
	local pct=$1 e2e s t0 t1 ev_b ev_a split dir fault_ms
	dir=$TOPO_TMP/runs/$BENCH_PROFILE_NOW-loss-$pct
	mkdir -p "$dir"
	bench_reset
	loss "$pct" a
	loss "$pct" b
	e2e=$(e2e_loss)
	loss 0 a
	loss 0 b
	log "loss $pct % per router: end to end B->A ${e2e%% *} %, A->B $(cut -d' ' -f2 <<<"$e2e") %"
	for s in $BENCH_SYSTEMS; do
		sys_up "$s"
	done
	mon_start "$dir"
	t0=$(now_ms)
	loss "$pct" a
	loss "$pct" b
	sleep "$BENCH_LOSS_S"
	loss 0 a
	loss 0 b
	t1=$(now_ms)
	mon_stop
	for s in $BENCH_SYSTEMS; do
		if [[ $s == vigil ]]; then
			ev_b=$(vigil_events b "$t0" 2>/dev/null | awk -v e=$((t1 - t0)) '$1 <= e') || ev_b=""
			ev_a=$(vigil_events a "$t0" 2>/dev/null | awk -v e=$((t1 - t0)) '$1 <= e') || ev_a=""
		else
			ev_b=$(ka_events "$s" b "$t0" | awk -v e=$((t1 - t0)) '$1 <= e')
			ev_a=$(ka_events "$s" a "$t0" | awk -v e=$((t1 - t0)) '$1 <= e')
		fi
		split=$(split_ms "$dir" "$s" "$t0" "$t1")
		fault_ms=0
		[[ $s == vigil ]] || fault_ms=$(ka_fault_ms "$s" b "$t0" "$t1")
		jq -cn --arg sys "$s" --arg profile "$BENCH_PROFILE_NOW" --argjson pct "$pct" --argjson fault_ms "$fault_ms" \
		    --arg e2e "$e2e" --argjson ms $((t1 - t0)) --arg eb "$ev_b" --arg ea "$ev_a" \
		    --arg split "${split% *}" '
			($e2e | split(" ")) as $e |
			($eb | split("\n") | map(select(length > 0) | split(" "))) as $b |
			($ea | split("\n") | map(select(length > 0) | split(" "))) as $a |
			{system: $sys, profile: $profile, loss_pct_per_router: $pct,
			 e2e_loss_pct: {b_to_a: ($e[0] | tonumber), a_to_b: ($e[1] | tonumber), echoes: ($e[2] | tonumber)},
			 window_ms: $ms,
			 false_switches: ([$b[] | select(.[1] == "switch" or .[1] == "MASTER")] | length),
			 backup_verdicts: ([$b[] | select(.[1] == "verdict")] | length),
			 backup_faults: ([$b[] | select(.[1] == "FAULT")] | length), backup_fault_ms: $fault_ms,
			 primary_changes: ([$a[] | select(.[1] == "transition" or .[1] == "FAULT" or .[1] == "BACKUP")] | length),
			 split_ms: ($split | tonumber)}' >>"$RAW/loss.jsonl"
		log "loss $pct % $s: $(tail -n 1 "$RAW/loss.jsonl" | jq -c '{false_switches, backup_verdicts, backup_faults, split_ms}')"
	done
	for s in $BENCH_SYSTEMS; do
		sys_down "$s"
	done
	cp -r "$dir" "$RAW/runs/" 2>/dev/null || true
}

# ---- the configurations, verbatim, for the report ----

save_configs() { # save_configs PROFILE
	local d=$RAW/configs/$1 s n
	mkdir -p "$d"
	vigil_conf "$1"
	for n in a b; do
		cp "$(node_dir "$n")/vigil.conf" "$d/vigil-$n.conf"
		for s in ka1 ka2; do
			ka_conf "$s" "$n" >"$d/$s-$n.conf"
			keepalived -t -f "$d/$s-$n.conf" >/dev/null 2>&1 || fail "keepalived -t refuses $d/$s-$n.conf"
		done
	done
}

# ---- the run ----

topo_up
{
	jq -n --arg date "$(date -u +%FT%TZ)" --arg kernel "$(uname -sr)" --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	    --argjson nproc "$(nproc)" --arg vigil "$(git -C "$TOPO_ROOT" describe --always --dirty 2>/dev/null || echo "unknown (not a git checkout)")" \
	    --arg keepalived "$(keepalived -v 2>&1 | head -n 1)" --argjson n "$BENCH_N" --arg profiles "$PROFILES" \
	    --arg systems "$BENCH_SYSTEMS" --arg faults "$BENCH_FAULTS" --arg loss "$BENCH_LOSS" \
	    --argjson loss_s "$BENCH_LOSS_S" --argjson steady_s "$BENCH_STEADY_S" --argjson seed "$BENCH_SEED" \
	    --argjson smoke "$([[ $BENCH_SMOKE == 1 ]] && echo true || echo false)" --argjson settle "$BENCH_SETTLE_MS" \
	    --argjson slack "$NETNS_SLACK_MS" \
	    '{date: $date, kernel: $kernel, cpu: $cpu, nproc: $nproc, vigil_version: $vigil, keepalived_version: $keepalived,
	      n: $n, profiles: ($profiles | split(" ")), systems: ($systems | split(" ")), faults: ($faults | split(" ")),
	      loss_levels: ($loss | split(" ") | map(select(length > 0) | tonumber)), loss_window_s: $loss_s,
	      steady_window_s: $steady_s, seed: $seed, smoke: $smoke, settle_ms: $settle, slack_ms: $slack}'
} >"$RAW/meta.json"

log "decide/ micro-benchmark"
micro_args=(--json)
[[ $BENCH_SMOKE == 1 ]] && micro_args+=(--quick)
"$BENCH_MICRO" "${micro_args[@]}" >"$RAW/micro.json"

for bin in "$VIGILD" "$(command -v keepalived)"; do
	strip -o "$TOPO_TMP/stripped" "$bin"
	jq -cn --arg name "$(basename "$bin")" --arg path "$bin" --argjson size "$(stat -c %s "$TOPO_TMP/stripped")" \
	    --argjson libs "$(ldd "$bin" | grep -c '=>')" '{name: $name, path: $path, stripped_bytes: $size, shared_libs: $libs}'
done | jq -s . >"$RAW/binaries.json"

steady_profiles="default fast"
[[ $BENCH_SMOKE == 1 ]] && steady_profiles=fast
for profile in $steady_profiles; do
	bench_timers "$profile"
	for s in $BENCH_SYSTEMS; do
		run_steady "$s"
	done
done

for profile in $PROFILES; do
	bench_timers "$profile"
	save_configs "$profile"
	jq -cn --arg profile "$profile" --argjson ka_master_down "$KA_MASTER_DOWN_MS" '{profile: $profile, ka_master_down_ms: $ka_master_down, windows: {}}' >"$RAW/windows-$profile.json"
	for f in $BENCH_FAULTS; do
		jq --arg f "$f" --argjson w "$(fault_window "$f")" '.windows[$f] = $w' "$RAW/windows-$profile.json" >"$RAW/w.tmp" && mv "$RAW/w.tmp" "$RAW/windows-$profile.json"
	done
	for rep in $(seq 1 "$BENCH_N"); do
		for f in $BENCH_FAULTS; do
			for s in $BENCH_SYSTEMS; do
				run_fault "$s" "$f" "$rep"
			done
		done
	done
	for pct in $BENCH_LOSS; do
		run_loss "$pct"
	done
done

jq --argjson ms $(($(now_ms) - BENCH_START_MS)) '.duration_s = ($ms / 1000 | floor)' "$RAW/meta.json" >"$RAW/m.tmp" && mv "$RAW/m.tmp" "$RAW/meta.json"
"$BENCH_DIR/report.sh" "$BENCH_OUT"
log "report: $BENCH_OUT/REPORT.md, $BENCH_OUT/results.json, $BENCH_OUT/decision.svg ($(jq .duration_s "$RAW/meta.json") s)"
