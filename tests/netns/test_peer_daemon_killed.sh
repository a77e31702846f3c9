#!/usr/bin/env bash
# test_peer_daemon_killed.sh: vigild on the primary is killed while its host stays up: the
# connections reset, the host answers ICMP: notifier-down; the backup reconnects for
# reconnect_timeout, then switches.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up

f=$(formula notifier-kill)
mark
kill_vigild a
wait_for b '.verdict == "notifier-down"' "$(wait_ms 0)" || fail "node-b: no notifier-down verdict"
log "node-b: notifier-down after $(since_mark) ms, state $(json_get b state)"
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not take over"
check_time "vigild kill -> switch" "$(since_mark)" "$f"
expect b last_verdict.kind notifier-down
expect b last_switch.reason notifier-down
pingable node-b "$(ip_of a)" || fail "node-a's host should still answer"
wait_hook b commence 2000 notifier-down || fail "node-b: no commence hook (notifier-down)"

result "notifier-down; node-b primary after reconnect_timeout, node-a host up, its vigild gone"
