#!/usr/bin/env bash
# test_startup_a_then_b.sh: A starts alone and becomes primary after start_timeout
# (failsafe-active); B started later finds it primary and becomes its backup.
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
start_vigild a
wait_for a '.state == "primary"' "$(wait_ms "$(formula failsafe-start)")" || fail "node-a alone did not become primary"
check_time "A alone -> primary" "$(since_mark)" "$(formula failsafe-start)"
expect a last_switch.reason failsafe-start

mark
start_vigild b
wait_for b "$STEADY_BACKUP" "$(wait_ms "$(formula join)")" || fail "node-b did not join as backup"
check_time "B joins -> backup" "$(since_mark)" "$(formula join)"
expect a state primary
expect b generation "$(json_get a generation)"
expect b last_switch null

result "node-a primary (failsafe-start), node-b backup"
