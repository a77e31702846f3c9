#!/usr/bin/env bash
# test_upgrade.sh: the software versions differ (SPEC "State machine", init): A runs 0.1.0 and is
# primary; B starts with a newer version (the test-only VIGIL_TEST_VERSION) and comes up in
# upgrade-higher, where only `vigilctl switch --force` switches. A's module is killed: B reaches
# the verdict module-down but withholds the switch; `switch` without --force is refused (exit 1),
# `switch --force` makes B primary (reason manual) and A goes stale.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# A starts alone and takes the role after start_timeout; a short one keeps the suite short.
pair_conf node.start_timeout=2s
start_module a
start_module b
start_vigild a
wait_for a '.state == "primary"' "$(wait_ms "$(formula failsafe-start)")" || fail "node-a alone did not become primary"
a_version=$(json_get a version)
new_version=0.2.0
[[ $a_version != "$new_version" && $(printf '%s\n' "$a_version" "$new_version" | sort -V | tail -n 1) == "$new_version" ]] ||
    fail "node-a runs '$a_version': the test version $new_version must be newer"

# B is newer than its peer: upgrade-higher (the core's ST_UPGRADE_HIGHER; a node older than its
# peer would be upgrade-lower), watching the primary with both connections up.
UPGRADE_STEADY='.state == "upgrade-higher" and .connections.main == "up" and .connections.aux == "up" and .module.responding == true'
mark
start_vigild b VIGIL_TEST_VERSION=$new_version
wait_for b "$UPGRADE_STEADY" "$(wait_ms "$(formula join)")" || fail "node-b did not come up in upgrade-higher"
check_time "B joins -> upgrade-higher" "$(since_mark)" "$(formula join)"
expect b version "$new_version"
expect b verdict none
expect b last_switch null
expect a state primary
expect a peer.state upgrade-higher
# (grep without -q: it reads to the end, so vigilctl never dies of SIGPIPE under pipefail)
grep -q 'software versions differ' <<<"$(vigilctl_in b events -n 50)" ||
    fail "node-b: the journal does not say why it is in upgrade-higher"
grep -q '^state .*manual switch only' <<<"$(vigilctl_in b status)" ||
    fail "node-b: human status does not say that only a manual switch switches"

# The fault that switches at once in backup: here the verdict is reached and the switch withheld.
f=$(formula module-kill)
WITHHELD='.verdict == "module-down" and (.withheld | type == "string" and length > 0)'
mark
kill_module a
wait_for b "$WITHHELD" "$(wait_ms "$f")" || fail "node-b did not reach the verdict module-down (withheld)"
check_time "module kill -> verdict (withheld)" "$(since_mark)" "$f"
log "withheld: $(json_get b withheld)"
# Never switches: held from the kill for the module-kill bound plus slack again, well past the
# moment a backup would have switched.
hold=$(($(bound_ms "$f") + $(slack_ms "$f") - $(since_mark)))
hold_for b ".state == \"upgrade-higher\" and $WITHHELD" "$hold" || fail "node-b did not hold in upgrade-higher"
expect b last_switch null
expect a state primary
hook_logged b commence && fail "node-b ran commence without a switch"
grep -q 'withheld' <<<"$(vigilctl_in b events -n 1000)" || fail "node-b: the withheld switch is not journaled"

# switch without --force: refused (exit 1), the reason names --force; nothing changes.
rc=0
vigilctl_in b switch >"$TOPO_TMP/switch.out" 2>"$TOPO_TMP/switch.err" || rc=$?
((rc == 1)) || fail "vigilctl switch in upgrade-higher: exit $rc, expected 1 (refused)"
grep -q -- '--force' "$TOPO_TMP/switch.err" || fail "the refusal does not mention --force: $(cat "$TOPO_TMP/switch.err")"
log "refused: $(head -n 1 "$TOPO_TMP/switch.err")"
expect b state upgrade-higher
expect b last_switch null
expect a state primary

# switch --force: B primary, reason manual; the old primary goes stale.
mark
vigilctl_in b switch --force >"$TOPO_TMP/force.out" 2>&1 || fail "vigilctl switch --force on node-b failed: $(cat "$TOPO_TMP/force.out")"
wait_for b '.state == "primary"' "$(wait_ms "$(formula manual)")" || fail "node-b did not switch"
check_time "switch --force -> primary" "$(since_mark)" "$(formula manual)"
log "forced: $(head -n 1 "$TOPO_TMP/force.out")"
grep -q 'may be lost' "$TOPO_TMP/force.out" || fail "switch --force in upgrade-higher did not warn that changes may be lost"
expect b last_switch.reason manual
wait_for a '.state == "stale"' "$(wait_ms 0)" || fail "node-a did not step down to stale"
wait_hook b commence 2000 manual || fail "node-b: no commence hook (manual)"
wait_hook a discontinue 2000 || fail "node-a: no discontinue hook"

result "upgrade-higher ($new_version vs $a_version); module-down withheld; switch refused without --force (exit 1); --force: node-b primary (manual), node-a stale"
