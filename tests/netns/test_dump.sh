#!/usr/bin/env bash
# test_dump.sh: issue 5's flight recorder: after a switch on primary-unreachable, `vigilctl dump -o`
# on the new primary holds a pcap that tcpdump opens and that shows the unanswered echoes to A.
# shellcheck disable=SC2119 # pair_conf and pair_up take optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump missing"; exit 77; }
topo_up
pair_up

f=$(formula primary-down)
isolate_backup a # node-a's port goes down: its host falls silent
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not take over"

out="$TOPO_TMP/dump.tar"
vigilctl_in b dump -o "$out" >"$TOPO_TMP/dump.out" 2>&1 || fail "vigilctl dump -o failed: $(cat "$TOPO_TMP/dump.out")"
mkdir -p "$TOPO_TMP/dump"
tar -xf "$out" -C "$TOPO_TMP/dump" || fail "the dump is not a tar file"
for part in report.txt status.json events.json; do
	[[ -n $(find "$TOPO_TMP/dump" -name "$part") ]] || fail "the dump has no $part"
done
pcap=$(find "$TOPO_TMP/dump" -name 'flight-*.pcap' | head -n 1)
[[ -n $pcap ]] || fail "the dump has no flight-*.pcap"
a_addr=$(conf_get "$(node_dir b)/vigil.conf" peer.a)
tcpdump -nn -r "$pcap" >"$TOPO_TMP/pcap.txt" 2>/dev/null || fail "tcpdump cannot read $pcap"
grep -q "> $a_addr: ICMP echo request" "$TOPO_TMP/pcap.txt" ||
	fail "no echo request to node-a ($a_addr) in the capture: $(head -n 5 "$TOPO_TMP/pcap.txt")"
if grep -q "$a_addr > .*ICMP echo reply" "$TOPO_TMP/pcap.txt"; then
	: # replies from before the fault may be in the window; the failed ones are what must be there
fi
grep -q "Flight recorder\|flight\|probe" "$(find "$TOPO_TMP/dump" -name report.txt)" || fail "report.txt lacks the probe section"
# status --prometheus: well-formed text exposition, every sample after its TYPE, each state set
# with exactly one series at 1, and the values as status --json says.
prom=$TOPO_TMP/metrics.prom
vigilctl_in b status --prometheus >"$prom" || fail "vigilctl status --prometheus failed"
awk '
	/^# TYPE / { typed[$3] = 1; next }
	/^#/ { next }
	!/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$/ { print "bad line: " $0; bad = 1 }
	{ name = $1; sub(/\{.*/, "", name); if (!(name in typed)) { print "no TYPE before: " $0; bad = 1 } }
	END { exit bad }' "$prom" || fail "status --prometheus: malformed exposition"
for set in vigil_state vigil_verdict vigil_network_status vigil_sync vigil_mode; do
	ones=$(grep -c "^$set{.*} 1$" "$prom" || true)
	[[ $ones == 1 ]] || fail "$set: $ones series at 1, expected exactly one"
done
st=$(status_json b)
grep -qx "vigil_state{state=\"$(jq -r .state <<<"$st")\"} 1" "$prom" || fail "vigil_state disagrees with status"
grep -qx "vigil_generation $(jq -r .generation <<<"$st")" "$prom" || fail "vigil_generation disagrees with status"
grep -q "^vigil_last_switch_timestamp_seconds{reason=\"primary-unreachable\"} [0-9]" "$prom" || fail "no last switch timestamp"
grep -q "^vigil_probe_sent_total{target=\"$a_addr\",kind=\"primary\"} [1-9]" "$prom" || fail "no probe counter for node-a"
stop_vigild b
if vigilctl_in b status --prometheus >"$prom.down" 2>/dev/null; then
	fail "status --prometheus exited 0 with vigild stopped"
fi
grep -qx 'vigil_up 0' "$prom.down" || fail "vigild stopped: no vigil_up 0"
TOPO_TIMES+=("prometheus: $(grep -vc '^#' "$prom") samples")

result "dump after primary-unreachable: report, status, events and a pcap with $(grep -c "> $a_addr: ICMP echo request" "$TOPO_TMP/pcap.txt") echo requests to node-a"
