#!/usr/bin/env bash
# test_wan_cut.sh: the WAN between the sites is cut: backup B sees its gateway but not the
# NetTest host near A: network-down, it holds and never switches; the cut heals, B is a plain
# backup again and never switched.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

f=$(formula wan-cut)
mark
wan_cut a
wait_for b '.verdict == "network-down"' "$(wait_ms "$f")" || fail "node-b: no network-down hold"
check_time "WAN cut -> network-down hold" "$(since_mark)" "$f"
expect b network.status nettest-unreachable
hold_for b "$NOT_PRIMARY" "$(bound_ms "$(formula longest)")" || fail "node-b switched over a WAN cut"
expect a state primary

mark
wan_heal
wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms "$NRD")" || fail "node-b did not return to backup"
check_time "heal -> backup" "$(since_mark)" "$NRD"
expect b last_switch null
expect b last_verdict.kind network-down

result "network-down hold through the cut, no switch; backup again after the heal"
