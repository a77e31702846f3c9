#!/usr/bin/env bash
# test_primary_down.sh: the primary's host falls silent (its switch port goes down) while
# B's gateway and the NetTest host near A answer: primary-unreachable, ping sets, switch. When A
# comes back it still thinks it is primary: B's higher generation wins, A goes stale.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

f=$(formula primary-down)
mark
isolate_backup a # the helper takes any node: here node-a's port goes down
wait_for b '.verdict == "primary-unreachable"' "$(wait_ms "$f")" || fail "node-b: no primary-unreachable verdict"
log "node-b: primary-unreachable after $(since_mark) ms"
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not take over"
check_time "primary host silent -> switch" "$(since_mark)" "$f"
expect b last_verdict.kind primary-unreachable
expect b last_switch.reason primary-unreachable

f=$(formula island-heal)
mark
isolate_heal a
wait_for a '.state == "stale"' "$(wait_ms "$f")" || fail "node-a did not go stale when it came back"
check_time "node-a back -> island convergence" "$(since_mark)" "$f"
expect b state primary
wait_hook a discontinue 2000 || fail "node-a: no discontinue hook"

result "primary-unreachable; node-b primary, node-a stale when back"
