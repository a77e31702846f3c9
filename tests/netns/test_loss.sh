#!/usr/bin/env bash
# test_loss.sh: 5 % random loss on the WAN (nftables numgen on router-a's WAN port, each way), no
# fault, for 2 minutes with each example profile.
#  - The loss actually applied, per direction, from a burst of echoes counted by nftables on
#    each node (before vigild runs).
#  - fast profile: no switch (A stays primary, B is never primary). A transient verdict
#    (notifier-down, primary-unreachable, network-down) may be posted: each is journaled and
#    must clear, B back to a plain backup; they are counted for the report.
#  - default profile (its 5 s notifier timeout rides over any TCP retransmission): no switch and
#    no verdict other than none at all (last_verdict stays null).
# netns-timeout: 330
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

LOSS_PCT=5
HOLD_MS=${NETNS_LOSS_MS:-120000} # per profile; lower it only to try the scenario out

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up

# ---- the loss on the wire, per direction: echo requests B -> A counted at A, replies at B ----
count_table() { # count_table NODE SADDR DADDR ICMP-TYPE: a named counter "n" in the node's input
	in_ns "node-$1" nft -f - <<-EOF
		add table inet vigiltest_count
		delete table inet vigiltest_count
		table inet vigiltest_count {
			counter n { }
			chain input {
				type filter hook input priority 0; policy accept;
				ip saddr $2 ip daddr $3 icmp type $4 counter name n
			}
		}
	EOF
}
count_of() {
	in_ns "node-$1" nft -j list counter inet vigiltest_count n | jq '[.nftables[] | .counter? | select(.) | .packets] | first'
}
pct() { # pct LOST OF
	awk -v l="$1" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? 100 * l / n : 0) }'
}

loss "$LOSS_PCT" a
count_table a "$(ip_of b)" "$(ip_of a)" echo-request
count_table b "$(ip_of a)" "$(ip_of b)" echo-reply
burst=2000
out=$(in_ns node-b ping -n -q -c "$burst" -i 0.002 -W 1 "$(ip_of a)" 2>&1) || true
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
[[ $sent == "$burst" ]] || fail "the echo burst did not go out: $out"
at_a=$(count_of a)
at_b=$(count_of b)
loss_ba=$(pct $((sent - at_a)) "$sent")
loss_ab=$(pct $((at_a - at_b)) "$at_a")
loss_rt=$(pct $((sent - at_b)) "$sent")
log "loss $LOSS_PCT % on router-a's WAN port: B->A $loss_ba % ($((sent - at_a))/$sent), A->B $loss_ab % ($((at_a - at_b))/$at_a), round trip $loss_rt %"
for l in "$loss_ba" "$loss_ab"; do
	awk -v l="$l" 'BEGIN { exit !(l >= 2 && l <= 9) }' || fail "measured loss $l % one way, not about $LOSS_PCT %"
done
in_ns node-a nft delete table inet vigiltest_count
in_ns node-b nft delete table inet vigiltest_count
loss 0 a

# ---- the fast profile ----
pair_up --profile fast
ga=$(json_get a generation)
a_tr=$(journal_count a '.kind == "transition"')
loss "$LOSS_PCT" a
mark
if ! hold_for b "$NOT_PRIMARY" "$HOLD_MS"; then
	events_json b | tail -n 30 >&2
	fail "fast profile: node-b became primary under $LOSS_PCT % loss"
fi
log "fast profile: $(since_mark) ms of $LOSS_PCT % loss, node-b never primary"
expect a state primary
expect a generation "$ga"
# A verdict in force now clears like the others: a connection comes back, the module answers.
wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms "$(formula longest)")" ||
	fail "fast profile: node-b's verdict did not clear under loss"
expect b last_switch null
(($(journal_count b '.kind == "switch"') == 0)) || fail "fast profile: node-b journaled a switch"
(($(journal_count a '.kind == "transition"') == a_tr)) || fail "fast profile: node-a changed state during the loss"
fast_verdicts=$(events_json b | jq -r 'select(.kind == "verdict") | .verdict' | sort | uniq -c | awk '{ printf "%s%s x%d", s, $2, $1; s = ", " }')
fast_down=$(journal_count b '.kind == "monitor" and (.detail | test("^connection (main|aux) down"))')
fast_n=$(journal_count b '.kind == "verdict"')
log "fast profile: $fast_n transient verdict(s) in node-b's journal${fast_verdicts:+: $fast_verdicts}, all cleared; $fast_down connection-down record(s)"
expect a state primary
expect a generation "$ga"
loss 0 a

# ---- the default profile: a fresh pair (journal and state dirs cleared) ----
stop_vigild b # the backup first: the primary does not mind
stop_vigild a
rm -rf "$(node_dir a)/state" "$(node_dir b)/state"
pair_conf --profile default
pair_start
wait_steady a b
ga=$(json_get a generation)
a_tr=$(journal_count a '.kind == "transition"')
loss "$LOSS_PCT" a
mark
if ! hold_for b '.state == "backup" and .verdict == "none" and .last_verdict == null' "$HOLD_MS"; then
	events_json b | tail -n 30 >&2
	fail "default profile: node-b posted a verdict or left backup under $LOSS_PCT % loss"
fi
log "default profile: $(since_mark) ms of $LOSS_PCT % loss, node-b a backup with no verdict throughout"
expect a state primary
expect a generation "$ga"
expect b last_switch null
(($(journal_count a '.kind == "transition"') == a_tr)) || fail "default profile: node-a changed state during the loss"
(($(journal_count b '.kind == "verdict" or .kind == "switch"') == 0)) || fail "default profile: node-b journaled a verdict or a switch"
default_down=$(journal_count b '.kind == "monitor" and (.detail | test("^connection (main|aux) down"))')
log "default profile: $default_down connection-down record(s)"
loss 0 a

result "loss B->A $loss_ba %, A->B $loss_ab % (round trip $loss_rt %); fast: no switch, $fast_n transient verdict(s)${fast_verdicts:+ ($fast_verdicts)}; default: no switch, no verdict"
