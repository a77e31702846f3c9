#!/usr/bin/env bash
# test_forged_peer.sh: a forged peer without the pair key (issue 9 "The pair key"; SPEC
# "Robustness and security": bad input gets a clear error and changes nothing). The real pair's
# handshake is captured (tcpdump on B), then build/tools/forge-peer, mostly from NetTest host A's
# namespace (a third host on A's site: anyone on the WAN path) and once from node A's own
# address, plays against both nodes' peer ports:
#  - junk and impossible headers: garbage, version 2, an unknown type, auth = none, a reserved
#    flag, a length of 65535, a length too short for the type;
#  - another key (wrong-pair), and another key behind the pair's own id (bad-mac);
#  - the captured bytes replayed on new connections, each direction (stale-session, unexpected);
#  - "I am primary, generation +1000": the captured OPEN replayed (vigild answers it: an OPEN
#    proves nothing), then a hello with the right pair id, session tag and sequence, a state
#    announcement, a commence notice and a module-gone notice, all without the key (bad-mac); a
#    state announcement in place of the hello (unexpected);
#  - a half header left hanging, a burst of silent connections, 30 garbage connections from node
#    A's own address (never to be rate-limited: it is the peer's), then 200 from NetTest host A.
# Nothing may change: A stays primary, B a steady backup with no verdict, both generations,
# no switch/verdict/transition/hold record in either journal, the real connections never drop
# (no re-dial, no connection down); every attack is counted in `vigilctl dump --json` .peer under
# its wire_reject_name, refusals are journaled, and a peer rate limiter, when vigild has one (a
# .peer counter named rate_limited), is seen to act: it blocks NetTest host A, never node A's
# address, and keeps the journal from the flood (at most 20 refusal records).
# shellcheck disable=SC2119 # pair_conf takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

FORGE=${FORGE_PEER:-$topo_build/tools/forge-peer}

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
need_cmd tcpdump
need_bin "$FORGE"
topo_up
pair_conf
port=$(conf_get "$(node_dir b)/vigil.conf" peer.port)
port=${port:-3633}

# 1. Capture the real pair's handshakes: tcpdump on B from before either vigild starts.
pcap=$TOPO_TMP/pair.pcap
ns_spawn node-b "$TOPO_TMP/tcpdump.log" tcpdump -i eth0 -nn -U --immediate-mode -Z root -s 0 \
    -w "$pcap" "tcp port $port"
tcpdump_pid=$SPAWNED_PID
poll_until $(($(now_ms) + 5000)) grep -q 'listening on' "$TOPO_TMP/tcpdump.log" ||
    fail "tcpdump did not start: $(cat "$TOPO_TMP/tcpdump.log")"
start_module a
start_module b
pair_start
wait_steady a b
# SIGINT: tcpdump flushes what it holds and prints its counts.
ns_signal node-b INT "$tcpdump_pid" || fail "tcpdump on node-b is gone"
poll_until $(($(now_ms) + 5000)) eval '! kill -0 '"$tcpdump_pid" || fail "tcpdump did not stop"
log "captured the pair's handshakes: $(grep -o '[0-9]* packets captured' "$TOPO_TMP/tcpdump.log")"

# peer_counters NODE: the .peer object of `vigilctl dump --json`.
peer_counters() {
	vigilctl_in "$1" dump --json | jq -c '.peer' || fail "node-$1: vigilctl dump --json failed"
}

# Records that would show a decision taken or prepared: none may appear.
DECISION='(.kind == "switch" or .kind == "transition" or .kind == "hold" or .kind == "withheld" or (.kind == "verdict" and (.verdict // "none") != "none"))'

ga=$(json_get a generation)
gb=$(json_get b generation)
# What B believes of its peer must not move either. (It should say primary; a hello older than
# A's state announcement, arriving last on the other connection, can leave it at init.)
pb=$(json_get b peer.state)
[[ $pb == primary ]] || log "note: node-b's peer.state is '$pb' while node-a is primary (before any attack)"
declare -A before_peer=([a]=$(peer_counters a) [b]=$(peer_counters b))
CONN_DOWN='.kind == "monitor" and (.detail | test("^connection (main|aux) down"))'
conn_down0=$(journal_count_all b "$CONN_DOWN")
declare -A before_dec=([a]=$(journal_count_all a "$DECISION") [b]=$(journal_count_all b "$DECISION"))
declare -A before_rej=([a]=$(journal_count_all a '.kind == "peer" and (.detail | startswith("frame rejected"))')
	[b]=$(journal_count_all b '.kind == "peer" and (.detail | startswith("frame rejected"))'))
log "baseline: node-a primary generation $ga, node-b backup generation $gb"

# forge FROM-NS TARGET-IP ATTACK [ARGS]: one attack; the peer must close the connection.
forge() {
	local from=$1 target=$2 out
	shift 2
	out=$(in_ns "$from" "$FORGE" --timeout-ms 5000 "$target" "$port" "$@" 2>&1) ||
	    fail "forge-peer $* against $target from $from: $out"
	log "$(tail -n 1 <<<"$out")"
}

B=$(ip_of b)
A=$(ip_of a)
CAP=(--pcap "$pcap" --from "$B" --to "$A") # B's main connection to A, as B dialled it

# 2. Junk, impossible headers and other keys, at B's peer port from the WAN.
for atk in garbage bad-version unknown-type auth-none bad-flags oversize short-length wrong-key; do
	forge nettest-a "$B" "$atk"
done
forge nettest-a "$B" forged-id "${CAP[@]}"
# 3. Replays of what the real nodes sent: at A (B's own bytes), at B (its bytes sent back), and
#    A's side of the connection at B (a hello where an OPEN must come first).
forge nettest-a "$A" replay "${CAP[@]}"
forge nettest-a "$B" replay "${CAP[@]}"
forge nettest-a "$B" replay "${CAP[@]}" --reverse
# 4. "I am primary, generation +1000" without the key, at both nodes, on A's aux address too,
#    and once from node A's own main address.
forged_gen=$((ga + 1000))
forge nettest-a "$A" forged-hello "${CAP[@]}" --generation "$forged_gen" --node node-b
forge nettest-a "$(ip_of a aux)" forged-hello "${CAP[@]}" --generation "$forged_gen" --node node-b
forge nettest-a "$B" forged-hello "${CAP[@]}" --generation "$forged_gen" --node node-a
forge node-a "$B" --bind "$A" forged-hello "${CAP[@]}" --generation "$forged_gen" --node node-a
forge nettest-a "$A" forged-announce "${CAP[@]}" --generation "$forged_gen"
forge nettest-a "$B" forged-announce "${CAP[@]}" --generation "$forged_gen"
# 5. A half header left hanging (closed at the handshake timeout, notifier_reconnect_delay),
#    silent connections past the pending-handshake bound, then a run of garbage connections.
forge nettest-a "$B" slow
forge nettest-a "$B" --count 24 flood
# 30 garbage connections from node A's own main address: whatever shares the peer's address must
# not get it rate-limited (peer.h: the peer's addresses are never blocked).
rl0=$(peer_counters b | jq '.rate_limited // -1')
forge node-a "$B" --bind "$A" --count 30 garbage
rl1=$(peer_counters b | jq '.rate_limited // -1')
mark
forge nettest-a "$B" --count 200 garbage
burst_ms=$(since_mark)

# 6. Nothing changed, now or over the longest automatic switch the configuration allows.
hold_for b "$STEADY_BACKUP"' and .verdict == "none" and .last_verdict == null and .last_switch == null' \
    "$(bound_ms "$(formula longest)")" || fail "node-b changed under the forged peer"
expect a state primary
expect a last_switch null
expect a generation "$ga"
expect b generation "$gb"
expect b peer.state "$pb"
for n in a b; do
	d=$(($(journal_count_all "$n" "$DECISION") - before_dec[$n]))
	if ((d != 0)); then
		journal_all "$n" | jq -c "select($DECISION)" | tail -n 5 >&2
		fail "node-$n: $d new switch/verdict/transition/hold records under the forged peer"
	fi
done

# delta NODE NAME: how much a .peer counter grew since the baseline (absent: -1).
declare -A after_peer=([a]=$(peer_counters a) [b]=$(peer_counters b))
delta() {
	jq -rn --argjson a "${before_peer[$1]}" --argjson b "${after_peer[$1]}" --arg k "$2" \
	    'if ($b | has($k)) then ($b[$k] - ($a[$k] // 0)) else -1 end'
}

# The real connections never dropped: no new dial or connect by either node (B's would be
# re-dials; A, the primary, dials nobody) and no "connection down" record on B.
for k in dials connects dial_failures; do
	for n in a b; do
		[[ $(delta "$n" "$k") == 0 ]] || fail "node-$n: .peer.$k grew by $(delta "$n" "$k"): a real connection was re-made"
	done
done
down=$(($(journal_count_all b "$CONN_DOWN") - conn_down0))
((down == 0)) || fail "node-b: $down 'connection down' records under the forged peer"
# Every class, counted where it was sent (a lower bound: a rate limiter may cut a burst short).
declare -A WANT_B=([bad-magic]=231 [bad-version]=1 [unknown-type]=1 [auth-mismatch]=1 [malformed]=2
	[bad-length]=1 [wrong-pair]=1 [bad-mac]=3 [stale-session]=1 [unexpected]=2)
declare -A WANT_A=([bad-mac]=2 [stale-session]=1 [unexpected]=1)
rate=$(delta b rate_limited)
for k in "${!WANT_B[@]}"; do
	got=$(delta b "$k")
	((got >= 0)) || fail "node-b: no .peer counter '$k' in vigilctl dump --json"
	min=${WANT_B[$k]}
	# With a rate limiter the garbage run may be refused before its frames are read.
	if [[ $k == bad-magic ]] && ((rate > 0)); then
		min=2
	fi
	((got >= min)) || fail "node-b: .peer.$k grew by $got, expected at least $min"
done
for k in "${!WANT_A[@]}"; do
	got=$(delta a "$k")
	((got >= WANT_A[$k])) || fail "node-a: .peer.$k grew by $got, expected at least ${WANT_A[$k]}"
done
# Without the key no frame reaches the sequence check: a replay shows as stale-session.
[[ $(delta a replay) == 0 && $(delta b replay) == 0 ]] || fail ".peer.replay counted a forged frame as authentic"
timeouts=$(delta b timeouts)
((timeouts >= 1)) || fail "node-b: the hanging half header was not closed by the handshake timeout (.peer.timeouts +$timeouts)"
evicted=$(delta b evicted) # not in every vigild's dump: -1 when absent
((evicted >= 0)) && timeouts="$timeouts, evicted +$evicted"
rej_a=$(($(journal_count_all a '.kind == "peer" and (.detail | startswith("frame rejected"))') - before_rej[a]))
rej_b=$(($(journal_count_all b '.kind == "peer" and (.detail | startswith("frame rejected"))') - before_rej[b]))
((rej_a >= 1 && rej_b >= 1)) || fail "refusals not journaled: node-a +$rej_a, node-b +$rej_b 'frame rejected' records"
if ((rate >= 0)); then
	((rate > 0)) || fail "node-b: .peer.rate_limited exists but stayed 0 through 200 garbage connections"
	((rl1 == rl0)) || fail "node-b: garbage from node-a's own address rate-limited it (.peer.rate_limited $rl0 -> $rl1)"
	((rej_b <= 20)) || fail "node-b: $rej_b refusals journaled for 262 rejected frames: the journal is not protected from a flood"
	(($(journal_count_all b '.kind == "peer" and (.detail | startswith("rate-limited"))') >= 1)) ||
	    fail "node-b: the rate limit was not journaled"
	rl="rate limiter acted $rate times (refused $(delta b rate_limit_refused) connections), spared the peer's address, $rej_b refusals journaled"
else
	rl="no rate limiter in this vigild (.peer.rate_limited absent)"
fi
log "node-b .peer deltas: $(jq -cn --argjson a "${before_peer[b]}" --argjson b "${after_peer[b]}" \
    '$b | to_entries | map(select((.value | type) == "number" and .value != ($a[.key] // 0))) | map({(.key): (.value - ($a[.key] // 0))}) | add')"
log "node-a .peer deltas: $(jq -cn --argjson a "${before_peer[a]}" --argjson b "${after_peer[a]}" \
    '$b | to_entries | map(select((.value | type) == "number" and .value != ($a[.key] // 0))) | map({(.key): (.value - ($a[.key] // 0))}) | add')"
log "journaled refusals: node-a $rej_a, node-b $rej_b; 200 garbage connections in $burst_ms ms; $rl"

result "forged peer: 20 attacks + 230 garbage connections refused and counted (node-b rejected +$(delta b frames_rejected), node-a +$(delta a frames_rejected); timeouts +$timeouts); $rl; nothing changed (A primary gen $ga, B backup gen $gb)"
