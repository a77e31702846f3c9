#!/usr/bin/env bash
# test_wan_cut_no_nettest.sh: the WAN between the sites is cut, and no NetTest address is
# configured. Backup B still reaches its gateway, so its network looks good and the silent
# primary host is primary-unreachable (SPEC "Classification" 3): it cannot tell a WAN cut from a
# dead primary and switches after the ping sets. Two primaries; when the WAN heals, the higher
# generation (B's) stays primary and A goes stale (island convergence) and runs discontinue.
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# Empty NetTest lists (make_conf leaves an empty key out): the gateway probe is the only network step.
pair_up network.nettest_a= network.nettest_b=
[[ -z $(conf_get "$(node_dir b)/vigil.conf" network.nettest_b) ]] || fail "node-b still has NetTest addresses"
ga=$(json_get a generation)

f=$(formula primary-down)
mark
wan_cut a
wait_for b '.verdict == "primary-unreachable"' "$(wait_ms "$f")" || fail "node-b: no primary-unreachable verdict"
t_verdict=$(since_mark)
log "node-b: primary-unreachable after $t_verdict ms"
expect b network.status gateway-reached
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not switch after the ping sets"
check_time "WAN cut (no NetTest) -> switch" "$(since_mark)" "$f"
expect b last_verdict.kind primary-unreachable
expect b last_switch.reason primary-unreachable
expect a state primary # cut off, A keeps its role: two primaries
gb=$(json_get b generation)
((gb > ga)) || fail "node-b switched with generation $gb, not above node-a's $ga"
log "island: both primary, generation A $ga, B $gb"

f=$(formula island-heal)
mark
wan_heal
wait_for a '.state == "stale"' "$(wait_ms "$f")" || fail "node-a did not go stale after the heal"
check_time "heal -> island convergence" "$(since_mark)" "$f"
expect b state primary
expect b generation "$gb"
wait_hook a discontinue 2000 || fail "node-a: no discontinue hook"

result "no NetTest: WAN cut is primary-unreachable (verdict at $t_verdict ms), switch; healed: node-b primary (generation $gb), node-a stale"
