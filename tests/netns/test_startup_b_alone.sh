#!/usr/bin/env bash
# test_startup_b_alone.sh: B starts while A's vigild never runs (A's host is up): after
# start_timeout (the fast profile's own) B becomes primary: failsafe-active, reason failsafe-start.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_conf
start_module b

mark
start_vigild b
wait_for b '.state == "primary"' "$(wait_ms "$(formula failsafe-start)")" || fail "node-b alone did not become primary"
check_time "B alone -> primary" "$(since_mark)" "$(formula failsafe-start)"
expect b last_switch.reason failsafe-start
expect b verdict none
wait_hook b commence 2000 failsafe-start || fail "node-b: no commence hook (failsafe-start)"

result "node-b primary (failsafe-start) with no peer"
