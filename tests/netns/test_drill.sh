#!/usr/bin/env bash
# test_drill.sh: failure drills (SPEC "Command line": drill; issue 6) on the fast-profile pair.
#  1. Every scenario, run on backup B for D (reconnect_timeout = 0, so a drill that let the core
#     decide before the pair is steady again would switch): vigilctl drill prints the verdict
#     the fault plays (module-down, notifier-down, primary-unreachable, network-down twice), B
#     never switches (last_switch stays null, also 2 s after), and is a steady backup again. While a filtered
#     drill runs, its elements are in B's table inet vigil; after it, none are.
#  2. A drill on the primary, or a second drill while one runs, is refused (exit 1); an
#     unknown scenario is a usage error (exit 2).
#  3. A --live module drill switches for real: B primary with reason drill, A stale.
#  4. After rejoin, A is the backup: a drill there, interrupted by killing A's vigild, leaves
#     elements that expire by themselves; a restarted vigild rebuilds the table without them
#     and A is a steady backup again.
# netns-timeout: 300
# shellcheck disable=SC2119 # pair_up takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# reconnect_timeout = 0: notifier-down switches at once, so a drill that let the core decide
# for real before the pair is steady again (the blocks lifted, the connections not yet
# re-dialled) would switch here: every drill must end with no switch anyway.
pair_up network.reconnect_timeout=0

# drill_elements NODE: elements in the four drill sets of the node's table (0 if no table).
drill_elements() {
	in_ns "node-$1" nft -j list table inet vigil 2>/dev/null |
	    jq '[.nftables[] | select(.set) | .set | select(.name | test("^(pair|icmp)[46]$")) | (.elem // []) | length] | add // 0'
}

# has_drill_elements NODE: some drill element is in the node's table now.
has_drill_elements() {
	(($(drill_elements "$1") > 0))
}

# Per scenario, D: the fault's decision time (doc/timing.md) with slack, at least 3 s.
declare -A WANT=([module]=module-down [notifier]=notifier-down
	[primary-unreachable]=primary-unreachable [wan-cut]=network-down [backup-isolate]=network-down)
declare -A KIND=([module]=module-kill [notifier]=wan-cut [primary-unreachable]=wan-cut
	[wan-cut]=wan-cut [backup-isolate]=wan-cut)

for s in module notifier primary-unreachable wan-cut backup-isolate; do
	# module: the "not running" answers take the module monitor's failures (like a hang's tail);
	# the others: a diagnosis after the notifier retries (the wan-cut formula, P + Dn + NT).
	f=$(formula "${KIND[$s]}")
	[[ $s == module ]] && f=$((T + E * R + P)) # a module ping within T, then E failures R apart
	d=$(bound_ms "$f")
	((d >= 3000)) || d=3000
	out=$TOPO_TMP/b/drill-$s.out
	mark
	vigilctl_in b drill "$s" --for "${d}ms" >"$out" 2>"$out.err" &
	drill_pid=$!
	if [[ $s != module ]]; then
		poll_until $(($(now_ms) + 2000)) has_drill_elements b ||
		    fail "drill $s: no elements in node-b's table inet vigil"
		log "drill $s: $(drill_elements b) elements in node-b's drill sets"
	fi
	wait "$drill_pid" || { cat "$out.err" >&2; fail "vigilctl drill $s exited $?"; }
	took=$(since_mark)
	got=$(cat "$out")
	log "drill $s (D ${d} ms, ${took} ms): $got; progress lines: $(grep -c 'verdict so far' "$out.err")"
	[[ $got == "verdict: ${WANT[$s]}" ]] || { cat "$out.err" >&2; fail "drill $s: '$got', expected 'verdict: ${WANT[$s]}'"; }
	grep -q 'verdict so far' "$out.err" || fail "drill $s: no progress shown on stderr"
	hold_for b '.last_switch == null' 2000 || fail "drill $s: node-b switched after the drill"
	after=$(json_get b .last_drill.verdict_after_ms)
	TOPO_TIMES+=("$s: ${WANT[$s]} after $after ms")
	((after <= $(bound_ms "$f"))) || fail "drill $s: the verdict took $after ms, over $(bound_ms "$f") ms"
	[[ $(drill_elements b) == 0 ]] || fail "drill $s: elements left in node-b's table after the drill"
	wait_for b "$STEADY_BACKUP"' and .verdict == "none" and .drill == false' "$(wait_ms $((NRD + T)))" ||
	    fail "drill $s: node-b not back to a steady backup"
	expect a state primary
done

# 2. Refusals: the primary; a drill while one runs.
rc=0
vigilctl_in a drill notifier --for 2s >/dev/null 2>"$TOPO_TMP/a/refused.err" || rc=$?
((rc == 1)) || fail "a drill on the primary: exit $rc, expected 1 (refused)"
grep -q 'drills run on the backup' "$TOPO_TMP/a/refused.err" || fail "drill on the primary: $(cat "$TOPO_TMP/a/refused.err")"
vigilctl_in b drill notifier --for 4s >/dev/null 2>&1 &
first=$!
wait_for b '.last_drill.running == true' 3000 || fail "the drill did not start"
rc=0
vigilctl_in b drill module --for 2s >/dev/null 2>"$TOPO_TMP/b/busy.err" || rc=$?
((rc == 1)) || fail "a second drill while one ran: exit $rc, expected 1 (refused)"
rc=0
vigilctl_in b drill bogus >/dev/null 2>&1 || rc=$?
((rc == 2)) || fail "an unknown scenario: exit $rc, expected 2 (usage)"
grep -q 'already running' "$TOPO_TMP/b/busy.err" || fail "second drill: $(cat "$TOPO_TMP/b/busy.err")"
wait "$first" || fail "the first drill failed"
wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms $((NRD + T)))" || fail "node-b not steady after the refused drill"

# 3. --live: the module drill switches for real.
mark
vigilctl_in b drill module --for 3s --live >"$TOPO_TMP/b/live.out" 2>&1 || fail "live drill failed: $(cat "$TOPO_TMP/b/live.out")"
grep -q '^verdict: module-down' "$TOPO_TMP/b/live.out" || fail "live drill: $(cat "$TOPO_TMP/b/live.out")"
wait_for b '.state == "primary"' 2000 || fail "live drill: node-b did not become primary"
expect b last_switch.reason drill
wait_for a '.state == "stale"' 3000 || fail "live drill: node-a did not step down to stale"
log "live module drill: node-b primary (reason drill) after $(since_mark) ms"

# 4. A drill interrupted by killing vigild: rejoin A as the backup, drill there, kill -9.
vigilctl_in a rejoin >/dev/null || fail "rejoin on node-a refused"
wait_for a "$STEADY_BACKUP" "$(wait_ms $((NRD + T)))" || fail "node-a did not rejoin as backup"
vigilctl_in a drill wan-cut --for 8s >/dev/null 2>&1 &
wait_for a '.last_drill.running == true' 3000 || fail "the drill on node-a did not start"
poll_until $(($(now_ms) + 2000)) has_drill_elements a || fail "node-a: no drill elements"
n=$(drill_elements a)
kill_vigild a
[[ $(drill_elements a) == "$n" ]] || fail "node-a: the elements went with vigild (they should outlive it, then expire)"
log "vigild on node-a killed mid-drill: $n drill elements left in the kernel, each with a timeout"
start_vigild a
[[ $(drill_elements a) == 0 ]] || fail "node-a: the restarted vigild kept $(drill_elements a) drill elements"
[[ $(in_ns node-a nft list tables | grep -c 'inet vigil') == 1 ]] || fail "node-a: not exactly one table inet vigil after the restart"
wait_for a "$STEADY_BACKUP" "$(wait_ms $((ST + T)))" || fail "node-a not a steady backup after the restart"
vigilctl_in a dump >"$TOPO_TMP/a/dump.txt" || fail "vigilctl dump on node-a failed"
grep -q 'table inet vigil' "$TOPO_TMP/a/dump.txt" || fail "vigilctl dump on node-a does not show the table"
[[ $(vigilctl_in a dump --json | jq -r '.netcfg.nftables.present') == true ]] ||
    fail "vigilctl dump on node-a: the kernel's table is not present by its readback"

result "five drills, verdicts as played, no switch; live module drill switched; a killed drill left nothing after restart"
