#!/usr/bin/env bash
# test_soak.sh: the pair under random faults for SOAK_S seconds (120; `make soak` runs 30 min),
# issue 9 "soak". Each cycle plays one fault, sometimes two at once, on the current roles:
#   module-kill  SIGKILL the primary's module (started again at the heal)
#   module-hang  SIGSTOP it for a while, then SIGCONT
#   peer-kill    SIGKILL vigild on the primary or the backup, restarted at the heal
#   wan-cut      everything across the WAN dropped for a while, then healed
# and, across cycles, toggles 5-10 % loss on the WAN in the background. Every fault is written
# with its window to TMP/faults.log. After each heal the pair converges as an operator would
# have it (pair_converge: a stale node rejoined, a dead module restarted) within the
# configuration's bound, and each vigild's descriptors and memory are sampled. At the end, with
# the loss off:
#  - no descriptor growth: per vigild process, the floor of its descriptor count (the least of
#    its last quarter of samples against the least of its first quarter; each sample the least
#    of three reads) rises by at most SOAK_FD_SLACK (4); with fewer than 8 samples, last
#    against first within twice that; one process's samples only (a restarted vigild starts
#    afresh);
#  - no memory growth: per process, VmRSS at the end at most SOAK_RSS_SLACK_KB (3072) above its
#    first sample once the flight recorder's ring has filled (its 60 s window, plus 10 s), and
#    never more than the ring's budget (4 MiB) plus that above the very first; VmHWM the same;
#    skipped under ASan or valgrind, whose allocators keep freed memory on purpose;
#  - every switch in either journal is explained by a fault window before it: module-down by a
#    module fault, notifier-down by killing the other node's vigild, failsafe-start or a start
#    without reason by a restart of that node's own vigild, each within the fault's decision
#    bound after the window closed; no other reason (no false switchover), no "error" record,
#    no journal error or dropped event in either vigild's counters;
#  - no split brain left standing: one primary, one steady backup watching it, held for the
#    longest automatic switch the configuration allows.
# SOAK_SEED fixes the random choices (printed, so a failure can be replayed).
# netns-timeout: 330
# shellcheck disable=SC2119 # pair_up takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

SOAK_S=${SOAK_S:-120}
SOAK_SEED=${SOAK_SEED:-$((($$ ^ $(now_ms)) % 32768))}
SOAK_FD_SLACK=${SOAK_FD_SLACK:-4}
SOAK_RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-3072}
SOAK_WARMUP_MS=70000       # the flight recorder's ring window (60 s) and 10 s more
SOAK_RING_KB=4096          # RECORDER_BUDGET_DEFAULT
RANDOM=$SOAK_SEED

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# start_timeout 2 s: a vigild restarted while its peer is cut off or dead does not wait 10 s.
pair_up node.start_timeout=2s
FAULTS=$TOPO_TMP/faults.log
SAMPLES=$TOPO_TMP/samples.log
: >"$FAULTS"
: >"$SAMPLES"
log "soak: $SOAK_S s of random faults, seed $SOAK_SEED (SOAK_SEED=$SOAK_SEED to replay)"

f_conv=$((ST + RT + $(formula island-heal) + $(formula module-hang) + T))
conv_bound=$(bound_ms "$f_conv")
P_NODE=a Q_NODE=b
LOSS=0 LOSS_START=0

rand() {
	echo $((RANDOM % $1))
}

# between LO HI: LO..HI.
between() {
	echo $(($1 + RANDOM % ($2 - $1 + 1)))
}

other() {
	[[ $1 == a ]] && echo b || echo a
}

# fault_log KIND NODE START_MS END_MS: one fault window, wall-clock ms (as the journal's time).
fault_log() {
	printf '%s %s %s %s\n' "$1" "$2" "$3" "$4" >>"$FAULTS"
}

# fds_settled NODE: the fewest descriptors of three reads 200 ms apart, so a hook's pipes or a
# check's socket that happen to be open at one read do not count as growth.
fds_settled() {
	local k n min=""
	for k in 1 2 3; do
		n=$(vigild_fds "$1")
		[[ -n $min ]] && ((n >= min)) || min=$n
		((k == 3)) || sleep 0.2
	done
	echo "$min"
}

# sample: descriptors and memory of each running vigild, by PID (after a convergence).
sample() {
	local n pid t
	t=$(now_ms)
	for n in a b; do
		pid=$(vigild_pid "$n")
		# what a process had first, to compare with what it holds when its count grew
		[[ -f $TOPO_TMP/fds.$pid ]] || vigild_fd_report "$n" >"$TOPO_TMP/fds.$pid"
		printf '%s %s %s %s %s %s\n' "$t" "$n" "$pid" "$(fds_settled "$n")" \
		    "$(vigild_mem_kb "$n" VmRSS)" "$(vigild_mem_kb "$n" VmHWM)" >>"$SAMPLES"
	done
}

# apply KIND NODE / heal KIND NODE: one fault on, one fault off.
apply() {
	case "$1" in
	module-kill) kill_module "$2" ;;
	module-hang) stop_module "$2" ;;
	peer-kill) kill_vigild "$2" ;;
	wan-cut) wan_cut a ;;
	esac
}

heal() {
	case "$1" in
	module-kill) start_module "$2" ;;
	module-hang) cont_module "$2" ;;
	peer-kill) start_vigild "$2" ;;
	wan-cut) wan_heal ;;
	esac
}

# sleep_until MS: the fault plan's next instant (fault timing, not a wait for a condition).
sleep_until() {
	local left=$(($1 - $(now_ms)))
	((left <= 0)) || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
}

# toggle_loss: background loss on (5-10 %) or off, one window per "on".
toggle_loss() {
	if ((LOSS > 0)); then
		loss 0 a
		fault_log loss a "$LOSS_START" "$(now_ms)"
		log "loss $LOSS % off"
		LOSS=0
	else
		LOSS=$(between 5 10)
		LOSS_START=$(now_ms)
		loss "$LOSS" a
		log "loss $LOSS % on (router-a's WAN port, each way)"
	fi
}

# cycle: one or two faults, each with its start offset and duration, then heal and converge.
cycle() {
	local kinds=(module-kill module-hang peer-kill wan-cut) k1 k2="" t0 plan=() t act kind node
	local n1 n2 s1 d1 s2 d2
	k1=${kinds[$(rand 4)]}
	if (($(rand 4) == 0)); then
		k2=${kinds[$(rand 4)]}
		# one fault per resource: the module, a vigild, the WAN
		[[ $k2 != "$k1" && ! ($k1 == module-* && $k2 == module-*) ]] || k2=""
	fi
	n1=$P_NODE
	[[ $k1 != peer-kill ]] || (($(rand 2) == 0)) || n1=$Q_NODE
	t0=$(now_ms)
	s1=0 d1=$(between 500 8000)
	plan+=("$((t0 + s1)) apply $k1 $n1" "$((t0 + s1 + d1)) heal $k1 $n1")
	if [[ -n $k2 ]]; then
		n2=$P_NODE
		[[ $k2 != peer-kill ]] || (($(rand 2) == 0)) || n2=$Q_NODE
		s2=$(rand 3000) d2=$(between 500 6000)
		plan+=("$((t0 + s2)) apply $k2 $n2" "$((t0 + s2 + d2)) heal $k2 $n2")
	fi
	declare -A started=()
	while read -r t act kind node; do
		sleep_until "$t"
		"$act" "$kind" "$node"
		if [[ $act == apply ]]; then
			started[$kind]=$(now_ms)
		else
			fault_log "$kind" "$node" "${started[$kind]}" "$(now_ms)"
		fi
		log "$act $kind node-$node"
	done < <(printf '%s\n' "${plan[@]}" | sort -n -k1,1)
	pair_converge "$conv_bound" || fail "after ${k1}${k2:+ + $k2}: the pair did not converge within $conv_bound ms"
	((CONV_REJOINS == 0)) || fault_log rejoin "$CONV_BACKUP" "$(now_ms)" "$(now_ms)"
	P_NODE=$CONV_PRIMARY Q_NODE=$CONV_BACKUP
	log "converged in $CONV_MS ms: node-$P_NODE primary, node-$Q_NODE backup, $CONV_REJOINS rejoin(s)"
	sample
}

soak_start=$(now_ms)
sample
cycles=0
while (($(now_ms) - soak_start < SOAK_S * 1000)); do
	(($(rand 3) != 0)) || toggle_loss
	cycle
	cycles=$((cycles + 1))
done
((LOSS == 0)) || toggle_loss
pair_converge "$conv_bound" || fail "after the soak: the pair did not converge"
P_NODE=$CONV_PRIMARY Q_NODE=$CONV_BACKUP
sample
soak_end=$(now_ms)
log "soak: $cycles cycles in $(((soak_end - soak_start) / 1000)) s; faults: $(awk '{ print $1 }' "$FAULTS" | sort | uniq -c | awk '{ printf "%s%s %d", s, $2, $1; s = ", " }')"

# 1. No split brain left standing: one primary and a steady backup watching it (both
#    connections up, the module answering through it), held for the longest automatic switch.
hold_for "$Q_NODE" "$STEADY_BACKUP" "$(bound_ms "$(formula longest)")" ||
    fail "after the soak: node-$Q_NODE did not stay a steady backup"
expect "$P_NODE" state primary

# 2. Descriptors and memory, per vigild process (PID) with two samples or more.
# A wrapper script (valgrind) or an ASan build: their allocators hold freed memory on purpose.
sanitized=""
if [[ $(head -c 2 "$VIGILD") == '#!' ]] || ldd "$VIGILD" 2>/dev/null | grep -q libasan; then
	sanitized=1
fi
declare -A FIRST_FD=() FIRST_RSS=() FIRST_T=() WARM_RSS=() WARM_HWM=() LAST_RSS=() LAST_HWM=() NODE_OF=()
while read -r t n pid fds rss hwm; do
	NODE_OF[$pid]=$n
	if [[ -z ${FIRST_FD[$pid]:-} ]]; then
		FIRST_FD[$pid]=$fds FIRST_RSS[$pid]=$rss FIRST_T[$pid]=$t
	fi
	if [[ -z ${WARM_RSS[$pid]:-} ]] && ((t - FIRST_T[$pid] >= SOAK_WARMUP_MS)); then
		WARM_RSS[$pid]=$rss WARM_HWM[$pid]=$hwm
	fi
	LAST_RSS[$pid]=$rss LAST_HWM[$pid]=$hwm
done <"$SAMPLES"
res=""
for pid in "${!FIRST_FD[@]}"; do
	n=${NODE_OF[$pid]}
	# The floor of the descriptor count, not its last value: a legitimate connection or hook
	# open at a sample (a primary dialling its peer, up to 8 handshakes in progress) is a
	# spike, a leak raises the floor. With 8 samples or more, the least of the last quarter
	# against the least of the first; with fewer, last against first, slack doubled.
	read -r f0 f1 ns <<<"$(awk -v p="$pid" '$3 == p { v[n++] = $4 }
	    END { q = int(n / 4); if (q < 1) q = 1; a = v[0]; b = v[n - 1]
	          if (n >= 8) { for (i = 0; i < q; i++) if (v[i] < a) a = v[i]
	                        b = v[n - q]; for (i = n - q; i < n; i++) if (v[i] < b) b = v[i] }
	          print a, b, n }' "$SAMPLES")"
	slack=$SOAK_FD_SLACK
	((ns >= 8)) || slack=$((2 * SOAK_FD_SLACK))
	dfd=$((f1 - f0))
	if ((dfd > slack)); then
		echo "node-$n vigild $pid: descriptors at each sample: $(awk -v p="$pid" '$3 == p { printf "%s ", $4 }' "$SAMPLES")" >&2
		if [[ $pid == "$(vigild_pid "$n")" ]]; then
			echo "its descriptors at the first sample, and now (diff):" >&2
			diff <(sed 's/socket:\[[0-9]*\]/socket/' "$TOPO_TMP/fds.$pid") \
			    <(vigild_fd_report "$n" | sed 's/socket:\[[0-9]*\]/socket/') >&2 || true
		fi
		fail "node-$n vigild $pid: descriptors grew from $f0 to $f1 (floor over $ns samples; slack $slack)"
	fi
	drss=$((LAST_RSS[$pid] - FIRST_RSS[$pid]))
	res+="${res:+; }node-$n/$pid fds $f0->$f1 ($ns) rss ${FIRST_RSS[$pid]}->${LAST_RSS[$pid]} kB"
	[[ -z $sanitized ]] || continue
	((drss <= SOAK_RING_KB + SOAK_RSS_SLACK_KB)) ||
	    fail "node-$n vigild $pid: VmRSS grew by $drss kB, over the recorder's ring and $SOAK_RSS_SLACK_KB kB"
	if [[ -n ${WARM_RSS[$pid]:-} ]]; then
		((LAST_RSS[$pid] - WARM_RSS[$pid] <= SOAK_RSS_SLACK_KB)) ||
		    fail "node-$n vigild $pid: VmRSS grew from ${WARM_RSS[$pid]} to ${LAST_RSS[$pid]} kB after the warm-up"
		((LAST_HWM[$pid] - WARM_HWM[$pid] <= SOAK_RSS_SLACK_KB)) ||
		    fail "node-$n vigild $pid: VmHWM grew from ${WARM_HWM[$pid]} to ${LAST_HWM[$pid]} kB after the warm-up"
		res+=" (after warm-up ${WARM_RSS[$pid]}->${LAST_RSS[$pid]})"
	fi
done
log "resources: $res${sanitized:+ (memory not judged: sanitizer or valgrind build)}"

# 3. Every switch explained by a fault window before it (wall-clock ms, as the journal's time).
#    Bounds: the fault's decision time after the window closed, plus slack.
declare -A AFTER=([module-down]=$(bound_ms "$(formula module-hang)") [notifier-down]=$(bound_ms "$RT")
	[failsafe-start]=$(bound_ms "$ST") [none]=$(bound_ms "$ST"))
TO_MS='(.time | capture("^(?<s>[^.]*)(\\.(?<ms>[0-9]+))?Z$") | ((.s + "Z") | fromdateiso8601) * 1000 + ((.ms // "0") | tonumber))'
unexplained=0 explained=""
for n in a b; do
	journal_all "$n" >"$TOPO_TMP/$n/journal.json" || fail "node-$n: vigilctl events failed"
	errs=$(jq -c 'select(.kind == "error")' "$TOPO_TMP/$n/journal.json")
	[[ -z $errs ]] || fail "node-$n journaled errors: $(head -n 3 <<<"$errs")"
	while read -r t reason; do
		((t >= soak_start)) || continue
		case "$reason" in
		module-down) want="module-kill|module-hang" on=$(other "$n") ;;
		notifier-down) want="peer-kill" on=$(other "$n") ;;
		failsafe-start | none) want="peer-kill" on=$n ;;
		*) want="" on="" ;;
		esac
		why=$(awk -v t="$t" -v want="^($want)\$" -v on="$on" -v after="${AFTER[$reason]:-0}" \
		    '$1 ~ want && $2 == on && $3 <= t && t <= $4 + after { print $1 " on node-" $2 " " $3 ".." $4; exit }' "$FAULTS")
		if [[ -z $want || -z $why ]]; then
			echo "unexplained switch: node-$n became primary at $t ms, reason $reason; faults:" >&2
			awk -v t="$t" '$3 <= t + 1000 && t <= $4 + 30000' "$FAULTS" >&2
			unexplained=$((unexplained + 1))
		else
			explained+="${explained:+, }node-$n $reason"
		fi
	done < <(jq -r "select(.kind == \"switch\") | \"\\($TO_MS) \\(.reason // \"none\")\"" "$TOPO_TMP/$n/journal.json")
done
((unexplained == 0)) || fail "$unexplained switches not explained by a fault window"
for n in a b; do
	[[ $(vigilctl_in "$n" dump --json | jq '(.core.journal_errors // 0) + (.core.events_dropped // 0)') == 0 ]] ||
	    fail "node-$n: journal errors or dropped events: $(vigilctl_in "$n" dump --json | jq -c '.core')"
done
n_sw=$(grep -o 'node-[ab] [a-z-]*' <<<"$explained" | wc -l)

result "soak $(((soak_end - soak_start) / 1000)) s (seed $SOAK_SEED): $cycles cycles, $(wc -l <"$FAULTS") fault windows, $n_sw switches all explained; no fd or memory growth; node-$P_NODE primary, node-$Q_NODE steady backup"
