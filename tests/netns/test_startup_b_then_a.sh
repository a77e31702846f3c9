#!/usr/bin/env bash
# test_startup_b_then_a.sh: B starts alone and becomes primary after start_timeout
# (failsafe-active); A started later finds it primary and becomes its backup: no preemption.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# A short start_timeout keeps the suite short; the bound follows the file.
pair_conf node.start_timeout=2s
start_module a
start_module b

mark
start_vigild b
wait_for b '.state == "primary"' "$(wait_ms "$(formula failsafe-start)")" || fail "node-b alone did not become primary"
check_time "B alone -> primary" "$(since_mark)" "$(formula failsafe-start)"
expect b last_switch.reason failsafe-start

mark
start_vigild a
wait_for a "$STEADY_BACKUP" "$(wait_ms "$(formula join)")" || fail "node-a did not join as backup"
check_time "A joins -> backup" "$(since_mark)" "$(formula join)"
expect b state primary
expect a role A
expect a generation "$(json_get b generation)"

result "node-b primary (failsafe-start), node-a backup (configured role A)"
