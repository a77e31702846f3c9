#!/usr/bin/env bash
# test_topo.sh: the test bed itself, without vigild: reachability, WAN cut, loss, both isolations,
# the fake module (answer, hang, kill, crash loop), the generated configuration and the timing
# formulas against doc/timing.md's fast-profile numbers.
# shellcheck disable=SC2119 # pair_conf takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init
topo_up

reach() {
	pingable "$1" "$2" || fail "$1 cannot reach $2"
}

unreach() {
	if pingable "$1" "$2" 0.3; then
		fail "$1 still reaches $2"
	fi
}

# 1. Every node reaches its router, the other node (main and aux) and both NetTest hosts.
for n in a b; do
	o=$([[ $n == a ]] && echo b || echo a)
	reach "node-$n" "$(router_ip "$n")"
	reach "node-$n" "$(ip_of "$o")"
	reach "node-$n" "$(ip_of "$o" aux)"
	reach "node-$n" "$(nettest_ip a)"
	reach "node-$n" "$(nettest_ip b)"
	[[ $(carrier "$n") == 1 ]] || fail "node-$n has no carrier"
done
log "reachability: ok"

# 2. WAN cut: nothing crosses; each site still has its router and its NetTest host. Heal: back.
wan_cut a
for n in a b; do
	o=$([[ $n == a ]] && echo b || echo a)
	reach "node-$n" "$(router_ip "$n")"
	reach "node-$n" "$(nettest_ip "$n")"
	unreach "node-$n" "$(ip_of "$o")"
	unreach "node-$n" "$(nettest_ip "$o")"
done
wan_cut a # idempotent
rules=$(in_ns router-a nft list table inet vigiltest)
[[ $rules == *'iifname "wan0" drop'* ]] || fail "no cut rule: $rules"
wan_heal
wan_heal # idempotent
reach node-a "$(ip_of b)"
reach node-b "$(nettest_ip a)"
log "wan cut and heal: ok"

# 3. Loss: 30 % each way on the WAN drops about half the echoes (1 - 0.7^2 = 51 %).
loss_pct() {
	in_ns node-a ping -n -q -c 200 -i 0.002 -W 1 "$(ip_of b)" 2>/dev/null |
	    sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' | cut -d. -f1
}
loss 30
got=$(loss_pct || true)
if [[ -z $got ]] || ((got < 30 || got > 75)); then
	fail "loss 30: ${got:-?} % of echoes lost, expected about 51 %"
fi
rules=$(in_ns router-a nft list table inet vigiltest_loss)
[[ $rules == *'numgen random mod 100 < 30 drop'* ]] || fail "no loss rule: $rules"
loss 0
got=$(loss_pct || true)
[[ $got == 0 ]] || fail "loss 0: still $got % lost"
log "loss: ok (30 % each way -> lost echoes within 30..75 %)"

# 4. Isolations of node-b: carrier loss, and the silent one (carrier up, nothing passes).
isolate_backup b
[[ $(carrier b) == 0 ]] || fail "isolate_backup: node-b still has carrier"
unreach node-b "$(router_ip b)"
reach node-a "$(nettest_ip b)"
isolate_heal b
poll_until $(($(now_ms) + 3000)) pingable node-b "$(router_ip b)" || fail "node-b did not come back"
silent_isolate b
[[ $(carrier b) == 1 ]] || fail "silent_isolate: node-b lost carrier"
unreach node-b "$(router_ip b)"
unreach node-b "$(ip_of a)"
reach node-a "$(nettest_ip b)"
isolate_heal b
poll_until $(($(now_ms) + 3000)) pingable node-b "$(ip_of a)" || fail "node-b did not come back"
log "isolate_backup (carrier $(carrier b) after heal) and silent_isolate: ok"

# 5. The fake module: answers, hangs on SIGSTOP, resumes, dies; a crash loop changes PID per pong.
start_module a
pid=$(module_pid a)
[[ $(module_ping a) == "PONG $pid" ]] || fail "module: no PONG $pid"
stop_module a
if module_ping a 300 >/dev/null 2>&1; then
	fail "a stopped module answered"
fi
cont_module a
[[ $(module_ping a) == "PONG $pid" ]] || fail "module: no PONG after SIGCONT"
module_crash_loop a
declare -A seen=()
deadline_ms=$(($(now_ms) + 5000))
while ((${#seen[@]} < 3)); do
	(($(now_ms) < deadline_ms)) || fail "crash loop: ${#seen[@]} PIDs in 5 s"
	if r=$(module_ping a 300 2>/dev/null); then
		seen[${r#PONG }]=1
	fi
done
[[ -z ${seen[$pid]:-} ]] || fail "crash loop: the killed module $pid answered"
log "fake module: ok (pid $pid; crash loop PIDs ${!seen[*]})"

# 6. Generated configuration: passes vigild --check-config; the formulas match doc/timing.md's
# fast-profile numbers ("at 0", rtt 1 ms: a few ms above ours, computed with rtt 0).
pair_conf
grep -q "^check = unix:$(module_sock b)$" "$(node_dir b)/vigil.conf" || fail "node-b: no unix: check"
grep -q "^nettest_b = $(nettest_ip a)$" "$(node_dir b)/vigil.conf" || fail "node-b: nettest_b"
for kv in module-kill:607 module-hang:6201 module-flap:2003 notifier-kill:3002 primary-down:4700 wan-cut:1400; do
	f=$(formula "${kv%%:*}")
	d=$((${kv#*:} - f))
	((d >= 0 && d <= 8)) || fail "formula ${kv%%:*}: $f ms, doc/timing.md says ${kv#*:} ms"
done
log "configuration and formulas: ok (T=$T R=$R F=$F P=$P Tm=$Tm NT=$NT D=$D RT=$RT ST=$ST)"

result "topology, cut, loss, isolations, module, configuration"
