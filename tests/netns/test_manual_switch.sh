#!/usr/bin/env bash
# test_manual_switch.sh: `vigilctl switch` on the backup: it becomes primary (reason manual)
# and the old primary, which did not start the switch, goes stale and runs discontinue.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

mark
vigilctl_in b switch || fail "vigilctl switch on node-b failed"
wait_for b '.state == "primary"' "$(wait_ms "$(formula manual)")" || fail "node-b did not switch"
check_time "switch -> primary" "$(since_mark)" "$(formula manual)"
expect b last_switch.reason manual
wait_for a '.state == "stale"' "$(wait_ms 0)" || fail "node-a did not step down to stale"
wait_hook a discontinue 2000 || fail "node-a: no discontinue hook"
wait_hook b commence 2000 manual || fail "node-b: no commence hook (manual)"

result "manual; node-b primary, node-a stale"
