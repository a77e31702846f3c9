#!/usr/bin/env bash
# test_crash_loop.sh: kill -9 vigild at random points during switches, handovers and journal
# writes (issue 9 "Crash safety"; SPEC "Robustness and security": no data is lost across a crash,
# state and journal writes are atomic). CRASH_N iterations (20; `make crash-loop` runs more),
# each: pick a trigger (module kill on the primary: a module-down switch; `handover` on the
# primary; `switch` on the backup; a burst of journal writes; nothing), a victim (the primary,
# the backup or both) and a delay, start the trigger, wait the delay, kill -9 the victim(s); with
# CRASH_TORN_PCT % odds also cut a record short at the end of the victim's journal, as a power
# cut mid-write would (SIGKILL alone cannot tear one write()). Then restart and check:
#  - the state file's generation, and the generation the restarted vigild reports, are never
#    lower than the victim's before the trigger; the pair's highest generation never drops;
#  - `vigilctl events --json` parses, every complete record before the crash is still there in
#    order, the torn tail is not a record, and the next record is the restart's own;
#  - exactly one `table inet vigil` on the restarted node;
#  - the roles converge to one primary and one steady backup (a stale node rejoined, as an
#    operator would) within the configuration's bound: start_timeout + reconnect_timeout +
#    island convergence + a module-down switch + a module timeout, plus slack; the backup holds
#    at least the primary's generation.
# CRASH_SEED fixes the random choices (printed, so a failure can be replayed).
# netns-timeout: 420
# shellcheck disable=SC2119 # pair_up takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

CRASH_N=${CRASH_N:-20}
CRASH_SEED=${CRASH_SEED:-$((($$ ^ $(now_ms)) % 32768))}
CRASH_TORN_PCT=${CRASH_TORN_PCT:-30}
RANDOM=$CRASH_SEED

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# start_timeout 2 s: a node restarted while its peer is down does not wait the profile's 10 s;
# the fence and DSCP marking give the table of a stale node something to rebuild.
pair_up node.start_timeout=2s netcfg.fence=tcp:5060 netcfg.qos_mark=af31
log "crash loop: $CRASH_N iterations, seed $CRASH_SEED (CRASH_SEED=$CRASH_SEED to replay)"

f_conv=$((ST + RT + $(formula island-heal) + $(formula module-kill) + T))
conv_bound=$(bound_ms "$f_conv")
P_NODE=a Q_NODE=b # the primary and the backup, as the last convergence left them
BG_PID=""

# rand N: 0..N-1.
rand() {
	echo $((RANDOM % $1))
}

# journal_files NODE: the node's journal files, oldest first.
journal_files() {
	local d k
	d=$(node_dir "$1")/state
	for k in 9 8 7 6 5 4 3 2 1; do
		[[ -f $d/journal.$k ]] && echo "$d/journal.$k"
	done
	[[ -f $d/journal ]] && echo "$d/journal"
	return 0
}

# complete_records NODE: the journal's complete lines (newline-terminated), oldest first, without
# the torn tails this test wrote (vigild ends such a line at its next start; the reader skips it).
complete_records() {
	local f
	for f in $(journal_files "$1"); do
		if [[ -s $f && $(tail -c 1 "$f" | od -An -tx1 | tr -d ' ') != 0a ]]; then
			sed '$d' "$f"
		else
			cat "$f"
		fi
	done | grep -v '"kind":"torn-write"' || true
}

# tear NODE: append a record cut short to the node's journal (a power cut in mid-write).
tear() {
	printf '{"time":"2030-01-01T00:00:00.000Z","mono_ms":1,"state":"torn","kind":"torn-write","det' \
	    >>"$(node_dir "$1")/state/journal"
}

# trigger KIND: start one of the operations the kill interrupts (in the background where it lasts).
trigger() {
	case "$1" in
	module-kill) kill_module "$P_NODE" ;;
	handover) (vigilctl_in "$P_NODE" handover >/dev/null 2>&1 || true) & BG_PID=$! ;;
	switch) (vigilctl_in "$Q_NODE" switch >/dev/null 2>&1 || true) & BG_PID=$! ;;
	journal)
		# each reload is one journal record on each node: a stream of writes to cut into
		(for _ in 1 2 3 4 5 6 7 8 9 10; do
			vigilctl_in a reload >/dev/null 2>&1 || true
			vigilctl_in b reload >/dev/null 2>&1 || true
		done) &
		BG_PID=$!
		;;
	idle) ;;
	esac
}

# A record the journal must hold: every field of SPEC "events --json".
RECORD_OK='(.time | type) == "string" and (.mono_ms | type) == "number" and (.state | type) == "string" and (.kind | type) == "string" and (.detail | type) == "string"'

# check_journal NODE BEFORE_FILE: the restarted node's journal: all of BEFORE_FILE (the complete
# lines before the crash) in order, then the restart's records; no torn record.
check_journal() {
	local node=$1 before=$2 all n_before
	all=$TOPO_TMP/$node/events.after
	journal_all "$node" >"$all" || fail "node-$node: vigilctl events failed after the restart"
	jq -e "$RECORD_OK" "$all" >/dev/null || fail "node-$node: a journal record lacks a field or is not JSON"
	n_before=$(wc -l <"$before")
	# The same records, in order: compare time, mono_ms, kind and detail.
	cmp -s <(jq -c '[.time, .mono_ms, .kind, .detail]' "$before") \
	    <(head -n "$n_before" "$all" | jq -c '[.time, .mono_ms, .kind, .detail]') ||
	    fail "node-$node: the journal before the crash ($n_before complete records) is not what events shows after it"
	# The restarted vigild's first record (privileges, then start) comes right after them.
	[[ $(sed -n "$((n_before + 1))p" "$all" | jq -r .kind) =~ ^(privileges|start)$ ]] ||
	    fail "node-$node: after the last complete record comes '$(sed -n "$((n_before + 1))p" "$all")', not the restart"
	! grep -q torn-write "$all" || fail "node-$node: the torn tail was read as a record"
}

max_conv=0 torn=0 rejoins=0 switches=0
declare -A SEEN=()
for ((i = 1; i <= CRASH_N; i++)); do
	kinds=(module-kill handover switch journal idle)
	kind=${kinds[$(rand 5)]}
	case $(rand 5) in
	0 | 1) victims=$P_NODE ;;
	2 | 3) victims=$Q_NODE ;;
	4) victims="a b" ;;
	esac
	case "$kind" in
	module-kill) delay=$(rand $((3 * $(formula module-kill)))) ;;
	handover | switch) delay=$(rand 600) ;;
	*) delay=$(rand 400) ;;
	esac
	declare -A G0=([a]=$(json_get a generation) [b]=$(json_get b generation))
	gmax0=$((G0[a] > G0[b] ? G0[a] : G0[b]))
	BG_PID=""
	trigger "$kind"
	# The random point of the kill: a fault injection, not a wait for a condition (STYLE 33).
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	for v in $victims; do
		kill_vigild "$v"
	done
	[[ -z $BG_PID ]] || wait "$BG_PID" || true
	for v in $victims; do
		gp=$(persisted_generation "$v")
		[[ -n $gp ]] || fail "iteration $i: node-$v has no state file after the crash"
		((gp >= G0[$v])) || fail "iteration $i: node-$v persisted generation $gp, lower than ${G0[$v]} before the crash"
		if (($(rand 100) < CRASH_TORN_PCT)); then
			tear "$v"
			torn=$((torn + 1))
		fi
		complete_records "$v" >"$TOPO_TMP/$v/events.before"
	done
	for v in $victims; do
		start_vigild "$v"
		[[ $(vigil_tables "$v") == 1 ]] || fail "iteration $i: node-$v has $(vigil_tables "$v") tables inet vigil after the restart"
		g=$(json_get "$v" generation)
		((g >= G0[$v])) || fail "iteration $i: node-$v restarted with generation $g, lower than ${G0[$v]} before the crash"
		check_journal "$v" "$TOPO_TMP/$v/events.before"
	done
	pair_converge "$conv_bound" || fail "iteration $i ($kind, kill ${victims// /+} after $delay ms): the pair did not converge within $conv_bound ms"
	rejoins=$((rejoins + CONV_REJOINS))
	((CONV_MS <= max_conv)) || max_conv=$CONV_MS
	[[ $CONV_PRIMARY == "$P_NODE" ]] || switches=$((switches + 1))
	P_NODE=$CONV_PRIMARY Q_NODE=$CONV_BACKUP
	gp=$(json_get "$P_NODE" generation)
	gq=$(json_get "$Q_NODE" generation)
	((gp >= gmax0 || gq >= gmax0)) || fail "iteration $i: the pair's generation fell from $gmax0 to $gp/$gq"
	# A backup adopts a higher generation from the primary's hello and never lowers its own: it
	# may keep one taken by a switch the crash cut short before the peer heard of it.
	wait_for "$Q_NODE" ".generation >= $gp" 2000 || fail "iteration $i: backup node-$Q_NODE holds generation $gq, below the primary's $gp"
	((gq <= gp)) || log "iteration $i: backup node-$Q_NODE keeps generation $gq, above the primary's $gp"
	for v in a b; do
		[[ $(vigil_tables "$v") == 1 ]] || fail "iteration $i: node-$v has $(vigil_tables "$v") tables inet vigil"
	done
	SEEN[$kind]=$((${SEEN[$kind]:-0} + 1))
	log "iteration $i: $kind, kill -9 ${victims// /+} after $delay ms -> node-$P_NODE primary, generation $gp, converged in $CONV_MS ms, $CONV_REJOINS rejoin(s)"
done

TOPO_TIMES+=("slowest convergence $max_conv/$conv_bound ms")
mix=""
for k in "${!SEEN[@]}"; do
	mix+="${mix:+, }$k ${SEEN[$k]}"
done
result "$CRASH_N kills (seed $CRASH_SEED: $mix), $torn torn journal tails, $switches role changes, $rejoins rejoins; generations never fell, journals whole, one table, roles converged"
