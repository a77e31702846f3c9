#!/usr/bin/env bash
# test_wan_cut_long.sh: a long WAN cut with NetTest configured. Backup B sees its gateway but not
# the NetTest host near A: network-down (SPEC "Classification" 3), and a network-down verdict
# never switches. The hold lasts 3 times the time a switch for a silent primary host would take
# (formula primary-down), with the verdict network-down all along and no other verdict in B's
# journal. The WAN heals: B is a plain backup again, A still primary, and nobody switched.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up
ga=$(json_get a generation)
verdicts0=$(journal_count b '.kind == "verdict"')

f=$(formula wan-cut)
mark
wan_cut a
wait_for b '.verdict == "network-down"' "$(wait_ms "$f")" || fail "node-b: no network-down hold"
check_time "WAN cut -> network-down hold" "$(since_mark)" "$f"
expect b network.status nettest-unreachable

hold=$((3 * $(formula primary-down)))
log "holding for 3 x primary-down = $hold ms"
hold_for b '.verdict == "network-down" and .state == "reconnecting"' "$hold" ||
	fail "node-b left the network-down hold during the cut"
t_hold=$(since_mark)
expect a state primary
expect b network.status nettest-unreachable
expect b last_switch null
other=$(events_json b | jq -c 'select(.kind == "verdict" and .verdict != "network-down")')
[[ -z $other ]] || fail "node-b: a verdict other than network-down during the cut: $other"
verdicts=$(($(journal_count b '.kind == "verdict"') - verdicts0))
log "node-b: $verdicts network-down verdict record(s) in the journal over $t_hold ms of cut"

mark
wan_heal
wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms "$NRD")" || fail "node-b did not return to backup"
check_time "heal -> backup" "$(since_mark)" "$NRD"
expect b last_switch null
expect b last_verdict.kind network-down
expect a state primary
expect a generation "$ga"
expect b generation "$ga"
(($(journal_count b '.kind == "switch"') == 0)) || fail "node-b journaled a switch"

result "network-down held $t_hold ms (3 x primary-down = $hold ms after the verdict), no switch; backup again after the heal"
