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
result "dump after primary-unreachable: report, status, events and a pcap with $(grep -c "> $a_addr: ICMP echo request" "$TOPO_TMP/pcap.txt") echo requests to node-a"
