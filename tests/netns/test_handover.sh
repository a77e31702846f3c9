#!/usr/bin/env bash
# test_handover.sh: graceful handover both ways: asked on the primary (A -> B), then on the
# backup (B -> A). The primary runs drain, the roles swap, nobody goes stale.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

# A -> B, asked on the primary.
mark
vigilctl_in a handover || fail "vigilctl handover on node-a (primary) failed"
wait_for b '.state == "primary"' "$(wait_ms "$(formula handover)")" || fail "node-b did not take over"
check_time "handover A -> B" "$(since_mark)" "$(formula handover)"
wait_for a '.state == "backup"' "$(wait_ms 0)" || fail "node-a is not backup after the handover"
expect b last_switch.reason handover
hook_logged a drain || fail "node-a: the drain hook did not run"
wait_steady b a

# B -> A, asked on the backup (node-a).
mark
vigilctl_in a handover || fail "vigilctl handover on node-a (backup) failed"
wait_for a '.state == "primary"' "$(wait_ms "$(formula handover)")" || fail "node-a did not take over"
check_time "handover B -> A" "$(since_mark)" "$(formula handover)"
wait_for b '.state == "backup"' "$(wait_ms 0)" || fail "node-b is not backup after the handover"
expect a last_switch.reason handover
hook_logged b drain || fail "node-b: the drain hook did not run"
wait_steady a b

result "handover both ways; node-a primary, node-b backup, none stale"
