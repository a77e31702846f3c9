#!/usr/bin/env bash
# test_vip_fence.sh: address takeover and fencing on a service LAN both nodes share with a
# client (SPEC [netcfg] vip, garp_count, fence; issue 6). Both nodes: vip = 10.9.0.100/24 and
# fd00:9::100/64 on svc0, garp_count = 3, fence = tcp:5060; a TCP service on port 5060 on each
# node (socat, echoing).
#  1. Steady pair: A holds both VIPs, B none; the client reaches the service on the VIP and
#     its neighbour entries for the VIPs carry A's MAC.
#  2. The module on A is killed: B switches and holds the VIPs, A drops them. Without sending
#     anything to the VIPs, the client's neighbour entries turn to B's MAC (gratuitous ARP,
#     unsolicited NA); then the client reaches the service on the VIP again (now on B).
#  3. A is stale: its service port is unreachable from the client (fence), ICMP still passes;
#     after vigilctl rejoin A is backup, unfenced: the client reaches A's service again.
#  4. B's vigild is killed: A takes over the VIPs; B restarted comes back as backup and drops
#     the VIPs the crash left on it, so only A holds them.
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
need_cmd socat
topo_up
topo_lan
VIP4=10.9.0.100
VIP6=fd00:9::100

# serve NODE: an echo service on TCP 5060, all addresses.
serve() {
	ns_spawn "node-$1" "$(node_dir "$1")/svc.log" socat TCP6-LISTEN:5060,fork,reuseaddr,ipv6only=0 PIPE
}

# reaches ADDR: the client sends a line to ADDR:5060 and gets it back within 2 s.
reaches() {
	local addr=$1 got
	[[ $addr == *:* ]] && addr="[$addr]"
	got=$(echo "hello $1" | in_ns client timeout 3 socat -T2 - "TCP:$addr:5060,connect-timeout=2" 2>/dev/null) || return 1
	[[ $got == "hello $1" ]]
}

# holds NODE ADDR: the address is on the node's svc0.
holds() {
	local list # captured first: grep -q may close the pipe early (pipefail)
	list=$(in_ns "node-$1" ip -o addr show dev svc0) || return 1
	[[ $list == *" ${2}/"* ]]
}

# neigh_mac ADDR: the client's neighbour entry for ADDR: its lladdr, or "none".
neigh_mac() {
	in_ns client ip neigh show "$1" dev svc0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") { print $(i + 1); exit } } END { }' | grep . || echo none
}

lacks() {
	! holds "$@"
}

# neigh_is ADDR MAC: the client's entry for ADDR has that MAC now.
neigh_is() {
	[[ $(neigh_mac "$1") == "$2" ]]
}

serve a
serve b
pair_up "netcfg.vip=$VIP4/24 dev svc0, $VIP6/64 dev svc0" netcfg.garp_count=3 netcfg.fence=tcp:5060
mac_a=$(lan_mac a) mac_b=$(lan_mac b)

# 1. A holds the VIPs.
poll_until $(($(now_ms) + 3000)) holds a "$VIP4" || fail "node-a does not hold $VIP4"
holds a "$VIP6" || fail "node-a does not hold $VIP6"
! holds b "$VIP4" && ! holds b "$VIP6" || fail "node-b holds a VIP as backup"
poll_until $(($(now_ms) + 5000)) reaches "$VIP4" || fail "client cannot reach the service on $VIP4"
poll_until $(($(now_ms) + 5000)) reaches "$VIP6" || fail "client cannot reach the service on $VIP6"
[[ $(neigh_mac "$VIP4") == "$mac_a" ]] || fail "client: $VIP4 at $(neigh_mac "$VIP4"), expected node-a's $mac_a"
[[ $(neigh_mac "$VIP6") == "$mac_a" ]] || fail "client: $VIP6 at $(neigh_mac "$VIP6"), expected node-a's $mac_a"
log "steady: node-a holds $VIP4 and $VIP6; client sees them at $mac_a"

# 2. The switch: the client's entries move to B by the announcements alone.
mark
kill_module a
wait_for b '.state == "primary"' "$(wait_ms "$(formula module-kill)")" || fail "node-b did not switch"
check_time "module kill -> switch" "$(since_mark)" "$(formula module-kill)"
poll_until $(($(now_ms) + 3000)) holds b "$VIP4" || fail "node-b does not hold $VIP4"
holds b "$VIP6" || fail "node-b does not hold $VIP6"
poll_until $(($(now_ms) + 3000)) lacks a "$VIP4" ||
    fail "node-a still holds $VIP4 after the switch"
mark
poll_until $(($(now_ms) + 4000)) neigh_is "$VIP4" "$mac_b" || fail "client: $VIP4 still at $(neigh_mac "$VIP4"), not node-b's $mac_b (no gratuitous ARP?)"
TOPO_TIMES+=("client ARP entry moved in $(since_mark) ms after takeover seen")
poll_until $(($(now_ms) + 4000)) neigh_is "$VIP6" "$mac_b" || fail "client: $VIP6 still at $(neigh_mac "$VIP6"), not node-b's $mac_b (no unsolicited NA?)"
log "client's neighbour entries for $VIP4 and $VIP6 now at node-b's $mac_b"
reaches "$VIP4" || fail "client cannot reach the service on $VIP4 after the switch"
reaches "$VIP6" || fail "client cannot reach the service on $VIP6 after the switch"
vigilctl_in b dump >"$TOPO_TMP/b/dump.txt" || fail "vigilctl dump on node-b failed"
grep -q "$VIP4/24 dev svc0" "$TOPO_TMP/b/dump.txt" || fail "vigilctl dump on node-b does not list the VIP"

# 3. The fence on the stale node.
wait_for a '.state == "stale"' 5000 || fail "node-a did not go stale"
start_module a
if reaches "$(lan_ip a)"; then
	fail "client reaches node-a's service while node-a is stale (fence)"
fi
pingable client "$(lan_ip a)" || fail "the fence dropped ICMP to node-a too"
reaches "$(lan_ip b)" || fail "client cannot reach node-b's own address"
log "node-a stale: tcp:5060 fenced, ICMP passes"
vigilctl_in a rejoin >/dev/null || fail "rejoin refused on node-a"
wait_for a "$STEADY_BACKUP" "$(wait_ms $((NRD + T)))" || fail "node-a did not rejoin as backup"
poll_until $(($(now_ms) + 3000)) reaches "$(lan_ip a)" || fail "client cannot reach node-a's service after rejoin"
! holds a "$VIP4" || fail "node-a holds the VIP as backup"

# 4. A primary that crashes comes back as backup without its VIPs: B (primary) is killed, A
# takes over (notifier-down after reconnect_timeout), B restarts and joins as backup.
mark
kill_vigild b
wait_for a '.state == "primary"' "$(wait_ms "$(formula notifier-kill)")" || fail "node-a did not take over from a dead vigild"
check_time "vigild kill -> switch" "$(since_mark)" "$(formula notifier-kill)"
poll_until $(($(now_ms) + 3000)) holds a "$VIP4" || fail "node-a does not hold $VIP4 after taking over"
holds b "$VIP4" || fail "test bed: the killed vigild's VIP should still be on node-b here"
start_vigild b
wait_for b "$STEADY_BACKUP" "$(wait_ms $((ST + T)))" || fail "node-b did not come back as backup"
! holds b "$VIP4" && ! holds b "$VIP6" || fail "node-b kept the VIPs after its restart as backup: both nodes hold them"
poll_until $(($(now_ms) + 4000)) neigh_is "$VIP4" "$mac_a" || fail "client: $VIP4 not at node-a's $mac_a"
reaches "$VIP4" || fail "client cannot reach the service on $VIP4 on node-a"
log "crashed primary restarted as backup without the VIPs; client on node-a"

result "VIPs follow the primary, client neighbour entries moved by GARP/NA; stale node fenced, unfenced on rejoin"
