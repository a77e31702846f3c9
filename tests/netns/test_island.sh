#!/usr/bin/env bash
# test_island.sh: island mode and its end. The WAN is cut: backup B holds (network-down).
# B's vigild restarts while the cut lasts and, alone, becomes primary (failsafe-active): two
# primaries. The WAN heals: the higher generation stays primary, the other runs discontinue and
# goes stale.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# B restarts alone: a short start_timeout on B keeps the suite short; the bound follows the file.
pair_up b:node.start_timeout=2s

f=$(formula wan-cut)
mark
wan_cut a
wait_for b '.verdict == "network-down"' "$(wait_ms "$f")" || fail "node-b: no network-down hold"
check_time "WAN cut -> network-down hold" "$(since_mark)" "$f"
expect a state primary
[[ $(json_get b state) != primary ]] || fail "node-b switched over a WAN cut"

stop_vigild b
mark
start_vigild b
wait_for b '.state == "primary"' "$(wait_ms "$(formula failsafe-start)")" || fail "node-b restarted alone did not become primary"
check_time "B restarted alone -> primary" "$(since_mark)" "$(formula failsafe-start)"
expect b last_switch.reason failsafe-start
expect a state primary
ga=$(json_get a generation)
gb=$(json_get b generation)
log "island: both primary, generation A $ga, B $gb"
if ((gb > ga)); then win=b lose=a; elif ((ga > gb)); then win=a lose=b; else win=a lose=b; fi
[[ $win == b ]] || fail "node-b became primary with generation $gb, not above node-a's $ga"

f=$(formula island-heal)
mark
wan_heal
wait_for "$lose" '.state == "stale"' "$(wait_ms "$f")" || fail "node-$lose did not go stale after the heal"
check_time "heal -> island convergence" "$(since_mark)" "$f"
expect "$win" state primary
wait_hook "$lose" discontinue 2000 || fail "node-$lose: no discontinue hook"

result "island: both primary (generations A $ga, B $gb); healed: node-$win primary, node-$lose stale"
