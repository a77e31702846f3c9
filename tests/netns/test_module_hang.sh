#!/usr/bin/env bash
# test_module_hang.sh: the module on the primary hangs (SIGSTOP): its check times out, every
# module ping misses; after 2F pings and the 2 confirming re-pings the backup switches: module-down.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

f=$(formula module-hang)
mark
stop_module a
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not take over"
check_time "module hang -> switch" "$(since_mark)" "$f"
expect b last_verdict.kind module-down
expect b last_switch.reason module-down
wait_for a '.state == "stale"' "$(wait_ms 0)" || fail "node-a did not step down to stale"
wait_hook a discontinue 2000 || fail "node-a: no discontinue hook"

result "module-down; node-b primary, node-a stale"
