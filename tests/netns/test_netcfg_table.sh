#!/usr/bin/env bash
# test_netcfg_table.sh: vigild's nftables table (SPEC [netcfg]; issue 6), read back with
# `nft list table inet vigil` and diffed with golden dumps (STYLE 33), on the fast-profile pair
# with qos_mark = af31 and fence = tcp:5060, udp:5060, 10.9.0.0/24 on both nodes.
#  1. After start: each node's table is its golden dump (tests/golden/netns/table-{a,b}.nft) (drill sets empty, DSCP 26 on pair
#     traffic, no fence); a table of somebody else's (inet other, made before vigild started)
#     is untouched throughout.
#  2. On the wire (tcpdump on node-b's eth0): every packet of both connections, both
#     directions, carries DSCP 26 (TOS 0x68).
#  3. After a role change (vigilctl switch on B): A is stale and its table adds the fence
#     (table-a-stale.nft); B's table, now a primary's, is as before.
#  4. A crash (kill -9) leaves the table; an element and a rule are added to it behind vigild's
#     back; the restarted vigild rebuilds it: one table, its golden rules, nothing else. A
#     clean stop removes the table (B), except on a stale node, which keeps the fence alone
#     (table-a-stale-stopped.nft) until it runs again. A clean stop (SIGTERM) removes it; the other table is still there.
# shellcheck disable=SC2119 # pair_up takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
need_cmd tcpdump
topo_up
GOLDEN=$TOPO_ROOT/tests/golden/netns

# table_of NODE: the node's table as nft lists it (the handle-free default output).
table_of() {
	in_ns "node-$1" nft list table inet vigil
}

# golden NODE NAME: the node's table equals tests/golden/netns/NAME.nft.
golden() {
	local node=$1 name=$2 got=$TOPO_TMP/$1/$2.nft
	table_of "$node" >"$got" || fail "node-$node: no table inet vigil"
	# NETNS_GOLDEN_WRITE=1: (re)write the golden file from this run (then read it before committing).
	[[ ${NETNS_GOLDEN_WRITE:-0} == 1 ]] && mkdir -p "$GOLDEN" && cp "$got" "$GOLDEN/$name.nft"
	if ! diff -u "$GOLDEN/$name.nft" "$got" >&2; then
		fail "node-$node: table inet vigil differs from tests/golden/netns/$name.nft (diff above)"
	fi
	log "node-$node: table inet vigil = golden $name.nft ($(grep -c ' drop$\| set \| accept$' "$got") rules)"
}

other_table() {
	local t
	t=$(in_ns node-b nft list table inet other 2>/dev/null) || return 1
	[[ $t == *'tcp dport 4242 counter'* ]]
}

# Somebody else's table, before vigild starts: it must come through untouched.
in_ns node-b nft -f - <<-'EOF'
	table inet other {
		chain input { type filter hook input priority 10; policy accept; tcp dport 4242 counter accept; }
	}
EOF
pair_up netcfg.qos_mark=af31 'netcfg.fence=tcp:5060, udp:5060, 10.9.0.0/24'
golden a table-a
golden b table-b
other_table || fail "node-b: table inet other was touched"

# 2. DSCP 26 on both connections, both ways; the connections were up before the capture.
port=$(conf_get "$(node_dir b)/vigil.conf" peer.port)
port=${port:-3633}
cap=$TOPO_TMP/b/qos.pcap
ns_spawn node-b "$cap.log" tcpdump -i eth0 -nn -U -Z root -s 96 -w "$cap" "tcp port $port"
cap_pid=$SPAWNED_PID
poll_until $(($(now_ms) + 5000)) grep -q 'listening on' "$cap.log" || fail "tcpdump did not start"
hold_for b "$STEADY_BACKUP" 2000 || fail "node-b not steady during the capture"
ns_signal node-b INT "$cap_pid" || fail "tcpdump died"
poll_until $(($(now_ms) + 5000)) bash -c "! kill -0 $cap_pid 2>/dev/null" || fail "tcpdump did not stop"
for dir in "src host $(ip_of a)" "dst host $(ip_of a)" "src host $(ip_of a aux)" "dst host $(ip_of a aux)"; do
	tally=$(tcpdump -r "$cap" -nn -v "tcp and $dir" 2>/dev/null | grep -o 'tos 0x[0-9a-f]*' | sort | uniq -c | awk '{ printf "%s%s x%d", s, $3, $1; s = ", " }')
	[[ $tally =~ ^0x68\ x[0-9]+$ ]] || fail "pair traffic ($dir): TOS $tally, expected 0x68 (DSCP 26, af31) on every packet"
	log "pair traffic $dir: TOS $tally"
done
TOPO_TIMES+=("pair traffic 4 directions x DSCP 26")

# 3. A role change: B takes over, A goes stale and fences its service.
vigilctl_in b switch >/dev/null || fail "vigilctl switch on node-b failed"
wait_for a '.state == "stale"' 5000 || fail "node-a did not go stale"
wait_for b '.state == "primary"' 5000 || fail "node-b did not become primary"
golden a table-a-stale
golden b table-b
vigilctl_in a dump >"$TOPO_TMP/a/dump.txt" || fail "vigilctl dump on node-a failed"
grep -q 'tcp dport 5060 drop' "$TOPO_TMP/a/dump.txt" || fail "vigilctl dump on node-a does not show the fence"

# 4. A crash leaves the table; the restart rebuilds it (one table, the same rules).
kill_vigild b
table_of b >/dev/null || fail "node-b: the table went with a crashed vigild"
# What the crash left is changed behind vigild's back: the restart must rebuild, not keep it.
in_ns node-b nft add element inet vigil pair4 '{ 10.9.9.9 timeout 60s }'
in_ns node-b nft add rule inet vigil input tcp dport 9999 drop
start_vigild b
golden b table-b
[[ $(in_ns node-b nft list tables | grep -c '^table inet vigil$') == 1 ]] || fail "node-b: not exactly one table inet vigil after the restart"
wait_for b '.state == "primary" or .state == "backup"' 10000 || fail "node-b did not come back"
other_table || fail "node-b: table inet other was touched by the restart"
stop_vigild b
if in_ns node-b nft list table inet vigil >/dev/null 2>&1; then
	fail "node-b: table inet vigil left after a clean stop"
fi
other_table || fail "node-b: table inet other was touched by the stop"
# A stale node stays fenced across a clean stop (SPEC "stale": serves nothing, persisted across
# restarts): its table keeps the fence and nothing else.
stop_vigild a
golden a table-a-stale-stopped

result "golden tables after start, role change (fence on the stale node), crash rebuild; removed on stop, a stale node keeps its fence; foreign table untouched; DSCP 26 on the wire"
