#!/usr/bin/env bash
# test_manual_switch_sync.sh: `vigilctl switch` while the sync_check hook says "not in sync"
# (exit 1): refused with exit 1 and a reason, nothing changes; `switch --force` then switches.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
# Not in sync from the start, whenever vigild runs sync_check; a short interval so the status
# field `sync` shows it too.
hook_exit a sync_check 1
hook_exit b sync_check 1
pair_up hooks.sync_check_interval=1s
wait_for b '.sync == "not-in-sync"' "$(wait_ms 1000)" || fail "node-b: status sync is not not-in-sync"

rc=0
vigilctl_in b switch >"$TOPO_TMP/switch.out" 2>"$TOPO_TMP/switch.err" || rc=$?
((rc == 1)) || fail "vigilctl switch while not in sync: exit $rc, expected 1 (refused)"
[[ -s $TOPO_TMP/switch.err ]] || fail "vigilctl switch refused without a reason on stderr"
log "refused: $(head -n 1 "$TOPO_TMP/switch.err")"
hook_logged b sync_check || hook_logged a sync_check || fail "no sync_check hook ran"
expect b state backup
expect a state primary
expect b last_switch null

mark
vigilctl_in b switch --force || fail "vigilctl switch --force on node-b failed"
wait_for b '.state == "primary"' "$(wait_ms "$(formula manual)")" || fail "node-b did not switch"
check_time "switch --force -> primary" "$(since_mark)" "$(formula manual)"
expect b last_switch.reason manual
wait_for a '.state == "stale"' "$(wait_ms 0)" || fail "node-a did not step down to stale"

result "refused when not in sync (exit 1), --force: node-b primary, node-a stale"
