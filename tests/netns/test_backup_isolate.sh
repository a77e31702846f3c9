#!/usr/bin/env bash
# test_backup_isolate.sh: the backup is cut off on its own side. First its switch port goes
# down (carrier loss: network-down at once), then the port stops passing frames with carrier up
# (its gateway falls silent: network-down after one diagnosis). It never switches.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

f=$(formula backup-isolate)
mark
isolate_backup b
wait_for b '.verdict == "network-down"' "$(wait_ms "$f")" || fail "node-b: no network-down on carrier loss"
check_time "carrier loss -> network-down" "$(since_mark)" "$f"
hold_for b "$NOT_PRIMARY" "$(bound_ms "$(formula longest)")" || fail "node-b switched while isolated"
mark
isolate_heal b
wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms "$NRD")" || fail "node-b did not return to backup"
check_time "carrier back -> backup" "$(since_mark)" "$NRD"

f=$(formula silent-isolate)
mark
silent_isolate b
wait_for b '.verdict == "network-down"' "$(wait_ms "$f")" || fail "node-b: no network-down when silent"
check_time "silent isolation -> network-down" "$(since_mark)" "$f"
expect b network.status gateway-unreachable
hold_for b "$NOT_PRIMARY" "$(bound_ms "$(formula longest)")" || fail "node-b switched while isolated"
mark
isolate_heal b
wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms "$NRD")" || fail "node-b did not return to backup"
check_time "port back -> backup" "$(since_mark)" "$NRD"
expect b last_switch null
expect a state primary

result "network-down on carrier loss and on silent isolation, no switch"
