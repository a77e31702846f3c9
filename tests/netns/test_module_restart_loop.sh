#!/usr/bin/env bash
# test_module_restart_loop.sh: the module on the primary crashes after every answer and a
# supervisor restarts it at once: each pong has a new PID. After max_sequential_restarts (or
# max_restarts) restarts the backup switches: module-down.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

f=$(formula module-flap)
mark
module_crash_loop a
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not take over"
check_time "restart loop -> switch" "$(since_mark)" "$f"
expect b last_verdict.kind module-down
expect b last_switch.reason module-down
wait_for a '.state == "stale"' "$(wait_ms 0)" || fail "node-a did not step down to stale"

result "module-down (restart loop, K=$K); node-b primary, node-a stale"
