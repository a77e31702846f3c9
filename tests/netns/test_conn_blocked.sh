#!/usr/bin/env bash
# test_conn_blocked.sh: one peer connection blocked at a time, the other path fine. First the main
# connection only (the peer port between the nodes' main addresses is dropped on router-a), then
# the aux connection only (between the aux addresses). Each time: backup B marks that connection
# down at its next missed notifier ping, keeps the other one up, stays a backup with no verdict
# and never switches; status names the connection that is down. Unblocked, both are up again.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
# The two connections must use different address pairs, or one rule would block both.
[[ $(ip_of a main) != "$(ip_of a aux)" && $(ip_of b main) != "$(ip_of b aux)" ]] ||
	fail "main and aux use the same addresses (TOPO_AUX=$TOPO_AUX): cannot block one connection only"
topo_up
pair_up
ga=$(json_get a generation)

for kind in main aux; do
	other=main
	[[ $kind == main ]] && other=aux
	down=".connections.$kind == \"down\" and .connections.$other == \"up\""

	f=$(formula conn-down)
	mark
	t_block=$(now_ms)
	conn_block "$kind"
	wait_for b "$down" "$(wait_ms "$f")" || fail "node-b: $kind not down (or $other not up) with $kind blocked"
	check_time "$kind blocked -> $kind down, $other up" "$(since_mark)" "$f"
	# No switch and no verdict: the other connection carries the notifier ping. Held as long as
	# the longest automatic switch the configuration allows.
	hold_for b '.state == "backup" and .verdict == "none" and '"$down" "$(bound_ms "$(formula longest)")" ||
		fail "node-b: not a plain backup with $kind down and $other up while $kind was blocked"
	expect a state primary
	expect b last_verdict null

	# Unblocked, the stalled connection is not waited for: B re-dials a connection that is down
	# every notifier_reconnect_delay (SPEC "a stalled TCP connection is never waited for"), so it
	# is back within one re-dial interval of the unblock.
	blocked=$(($(now_ms) - t_block))
	f=$NRD
	mark
	conn_unblock
	wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms "$f")" || fail "node-b: $kind did not come back after the unblock"
	check_time "$kind unblocked ($blocked ms) -> both up" "$(since_mark)" "$f"
done

expect a state primary
expect a generation "$ga"
expect b last_switch null
expect b last_verdict null
(($(journal_count b '.kind == "verdict" or .kind == "switch"') == 0)) || fail "node-b journaled a verdict or a switch"

result "main blocked, then aux blocked: the other stays up, no verdict, no switch; both up after each unblock"
