#!/usr/bin/env bash
# test_privdrop.sh: vigild drops to [node] user after start-up (issue 9 "Least privilege"; SPEC
# "Robustness and security"). A system user made for the run (removed at the end) is `user`
# and `control_group` on both nodes; both nodes hold a VIP on the service LAN when primary.
#  1. Both vigilds run as that user: /proc/PID/status of every thread says its uid and gid
#     (real, effective, saved, fs), no supplementary groups, CapEff = CapPrm = CapBnd =
#     cap_net_raw + cap_net_admin, CapInh = CapAmb = 0, NoNewPrivs 1; the journal says so;
#     state_dir and everything in it belong to the user, still 0700.
#  2. Still works as that user: its control socket answers the user (control_group), `vigilctl
#     reload` re-reads vigil.conf (the key file stays root's: the key is held), a
#     primary-unreachable drill on B (nftables sets, ICMP probes from the worker threads: the
#     NetTest host must answer) gives its verdict, then the module on A is killed: B switches
#     (module-down), takes the VIP, journals, persists its state and keeps a flight-recorder pcap,
#     and A goes stale.
#  3. Hooks (commence on B, discontinue on A) ran as the user, with no capability at all
#     (CapEff = CapPrm = CapInh = CapAmb = 0; only the bounding set left), NoNewPrivs 1, and
#     an environment of PATH and the VIGIL_* facts alone.
#  4. A clean stop of B as the user: its nftables table and the VIP are gone.
#  5. A user the file names that does not exist: vigild refuses to start with
#     FILE:LINE: user: no such user ..., and touches nothing (no state_dir made).
# netns-timeout: 180
# shellcheck disable=SC2119 # pair_conf takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
need_cmd useradd userdel setpriv
PUSER=vgtpd$$
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --user-group "$PUSER" || topo_skip "cannot create a system user (useradd)"
# After topo_down (it kills the user's processes with the namespaces), the user goes too.
trap 'topo_down; userdel "$PUSER" 2>/dev/null; groupdel "$PUSER" 2>/dev/null; true' EXIT
PUID=$(id -u "$PUSER")
PGID=$(id -g "$PUSER")
topo_up
topo_lan
VIP4=10.9.0.100
WANT_CAPS=0000000000003000 # cap_net_admin (12) + cap_net_raw (13)

# The user must reach its files: the temp dir (root's, 0700) opened for traversal, each node's
# folder its own (hooks.log, the hook probes); the pair key stays root's 0600 in TOPO_TMP.
chmod 711 "$TOPO_TMP"
chown "$PUSER:$PUSER" "$(node_dir a)" "$(node_dir b)"
# Hooks: the test bed's hook.sh, copied where the user can run it, behind a probe that records
# who runs it, with which capabilities and environment (the shell's own /proc/$$ at its exec).
cp "$TOPO_HOOK" "$TOPO_TMP/hook.sh"
cat >"$TOPO_TMP/probe-hook.sh" <<'EOF'
#!/bin/sh
log=$1 name=$2
{
	echo "hook $name uid $(id -u) gid $(id -g) groups $(id -G)"
	grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' "/proc/$$/status" | tr -d '\t' | sed 's/:/ /'
	tr '\0' '\n' <"/proc/$$/environ" | sed 's/=.*//' | sort | tr '\n' ' ' | sed 's/^/env /'
	echo
} >>"$(dirname "$log")/probe-$name.log"
exec /bin/sh "$(dirname "$0")/hook.sh" "$log" "$name"
EOF
chmod 755 "$TOPO_TMP/hook.sh" "$TOPO_TMP/probe-hook.sh"
TOPO_HOOK=$TOPO_TMP/probe-hook.sh

pair_conf "node.user=$PUSER" "node.control_group=$PUSER" "netcfg.vip=$VIP4/24 dev svc0" \
    netcfg.garp_count=2
start_module a
start_module b
# A unix: check connects to the module's socket: the user needs write access to it.
chmod 666 "$(module_sock a)" "$(module_sock b)"
pair_start
wait_steady a b

# proc_field PID NAME: one field of /proc/PID/status, blanks squeezed.
proc_field() {
	awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status"
}

# dropped NODE: vigild on NODE, every thread, runs as the user with the two capabilities.
dropped() {
	local node=$1 pid t n=0 f want
	pid=$(vigild_pid "$node")
	[[ -n $pid && -d /proc/$pid ]] || fail "node-$node: no vigild"
	for t in /proc/"$pid"/task/*; do
		n=$((n + 1))
		t=${t#/proc/}
		for f in Uid:"$PUID $PUID $PUID $PUID" Gid:"$PGID $PGID $PGID $PGID" Groups: \
		    CapEff:$WANT_CAPS CapPrm:$WANT_CAPS CapBnd:$WANT_CAPS \
		    CapInh:0000000000000000 CapAmb:0000000000000000 NoNewPrivs:1; do
			want=${f#*:}
			[[ $(proc_field "$t" "${f%%:*}") == "$want" ]] ||
			    fail "node-$node: vigild thread ${t#*/task/}: ${f%%:*} '$(proc_field "$t" "${f%%:*}")', expected '$want'"
		done
	done
	log "node-$node: vigild (pid $pid, $n threads) runs as $PUSER ($PUID:$PGID), no groups, caps $WANT_CAPS, bounding $WANT_CAPS, no_new_privs"
}

# 1. Who they run as.
dropped a
dropped b
for n in a b; do
	c=$(journal_count_all "$n" ".kind == \"privileges\" and (.detail | startswith(\"running as user $PUSER \"))")
	((c == 1)) || fail "node-$n: $c 'running as user $PUSER' privileges records, expected 1"
	st=$(node_dir "$n")/state
	[[ $(stat -c '%U %a' "$st") == "$PUSER 700" ]] || fail "node-$n: state_dir is $(stat -c '%U %a' "$st")"
	others=$(find "$st" -mindepth 1 ! -user "$PUSER" | wc -l)
	((others == 0)) || fail "node-$n: $others files in state_dir not owned by $PUSER: $(find "$st" -mindepth 1 ! -user "$PUSER")"
done

# 2. The control socket answers the user (control_group); reload re-reads the file as the user.
st=$(ip netns exec "$(ns_name node-b)" setpriv --reuid="$PUSER" --regid="$PUSER" --init-groups \
    "$VIGILCTL" -s "$(vigild_sock b)" status --json 2>&1) ||
    fail "vigilctl status as $PUSER on node-b: $st"
[[ $(jq -r .state <<<"$st") == backup ]] || fail "vigilctl status as $PUSER: $st"
out=$(vigilctl_in b reload 2>&1) || fail "vigilctl reload on node-b (as $PUSER): $out"
log "reload on node-b: $out"

# A primary-unreachable drill: nftables sets (cap_net_admin); the verdict needs the NetTest host
# to answer the ICMP probes of the worker threads (cap_net_raw).
d=$(bound_ms "$(formula wan-cut)")
((d >= 3000)) || d=3000
out=$(vigilctl_in b drill primary-unreachable --for "${d}ms" 2>/dev/null) || fail "drill on node-b: exit $?"
[[ $out == "verdict: primary-unreachable" ]] || fail "drill primary-unreachable on node-b: '$out'"
wait_for b "$STEADY_BACKUP"' and .verdict == "none" and .drill == false' "$(wait_ms $((NRD + T)))" ||
    fail "node-b not a steady backup after the drill"
answered=$(vigilctl_in b dump --json | jq '[.probes[]? | select(.kind == "nettest") | .answered] | add // 0')
((answered > 0)) || fail "node-b: no ICMP echo from the NetTest host answered after the drill"
log "drill on node-b as $PUSER: $out; NetTest echoes answered: $answered"

# The switch: module killed on A.
f=$(formula module-kill)
mark
kill_module a
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not take over"
check_time "module kill -> switch (as $PUSER)" "$(since_mark)" "$f"
expect b last_switch.reason module-down
wait_for a '.state == "stale"' "$(wait_ms 0)" || fail "node-a did not step down to stale"
poll_until $(($(now_ms) + 3000)) in_ns node-b sh -c "ip -o addr show dev svc0 | grep -q ' $VIP4/'" ||
    fail "node-b does not hold $VIP4"
errs=$(journal_count_all b '.kind == "error"')
((errs == 0)) || fail "node-b: $errs error records (VIP, nftables, state): $(journal_all b | jq -c 'select(.kind == "error")' | tail -n 3)"
c=$(journal_count_all b '.kind == "switch"')
((c >= 1)) || fail "node-b: no switch record in its journal"
grep -qx 'state primary' "$(node_dir b)/state/state" || fail "node-b: state file says $(head -n 2 "$(node_dir b)/state/state" | tail -n 1)"
poll_until $(($(now_ms) + 3000)) sh -c "ls '$(node_dir b)/state/' | grep -q '^flight-.*\.pcap$'" ||
    fail "node-b: no flight-recorder pcap kept in state_dir"
others=$(find "$(node_dir b)/state" -mindepth 1 ! -user "$PUSER" | wc -l)
((others == 0)) || fail "node-b: files in state_dir not owned by $PUSER after the switch"
dropped b # the takeover (VIP capture, nftables) did not need more

# 3. The hooks ran as the user without capabilities, in a clean environment.
wait_hook b commence 3000 module-down || fail "node-b: no commence hook"
wait_hook a discontinue 3000 || fail "node-a: no discontinue hook"
for x in b:commence a:discontinue; do
	p=$(node_dir "${x%%:*}")/probe-${x#*:}.log
	[[ -f $p ]] || fail "node-${x%%:*}: the ${x#*:} hook left no probe"
	grep -qx "hook ${x#*:} uid $PUID gid $PGID groups $PGID" "$p" || fail "node-${x%%:*}: ${x#*:} hook ran as $(head -n 1 "$p")"
	for c in CapEff CapPrm CapInh CapAmb; do
		grep -qx "$c 0000000000000000" "$p" || fail "node-${x%%:*}: ${x#*:} hook has $(grep "^$c" "$p")"
	done
	grep -qx "CapBnd $WANT_CAPS" "$p" || fail "node-${x%%:*}: ${x#*:} hook bounding set $(grep '^CapBnd' "$p")"
	grep -qx "NoNewPrivs 1" "$p" || fail "node-${x%%:*}: ${x#*:} hook without no_new_privs"
	henv=$(grep '^env ' "$p" | head -n 1)
	[[ $henv == "env PATH VIGIL_EVENT VIGIL_GENERATION VIGIL_NODE VIGIL_PEER VIGIL_REASON " ]] ||
	    fail "node-${x%%:*}: ${x#*:} hook environment: $henv"
done
log "hooks ran as $PUSER without capabilities, no_new_privs, environment PATH + VIGIL_*"

# 4. A clean stop as the user: the table and the VIP go.
stop_vigild b
[[ $(vigil_tables b) == 0 ]] || fail "node-b: table inet vigil left after a clean stop"
in_ns node-b sh -c "ip -o addr show dev svc0 | grep -q ' $VIP4/'" && fail "node-b: $VIP4 left after a clean stop"

# 5. A user that does not exist: refused at once, nothing made.
nconf=$TOPO_TMP/nouser.conf
sed -e "s|^user = .*|user = vgtnouser$$|" -e "s|^state_dir = .*|state_dir = $TOPO_TMP/nouser-state|" \
    -e "s|^control_socket = .*|control_socket = $TOPO_TMP/nouser.sock|" "$(node_dir a)/vigil.conf" >"$nconf"
line=$(grep -n '^user = ' "$nconf" | cut -d: -f1)
rc=0
out=$(in_ns node-a timeout 10 "$VIGILD" -c "$nconf" 2>&1) || rc=$?
((rc == 1)) || fail "vigild with a missing user: exit $rc, expected 1 ($out)"
grep -q "^vigild: $nconf:$line: user: no such user 'vgtnouser$$'" <<<"$out" || fail "vigild with a missing user said: $out"
[[ ! -e $TOPO_TMP/nouser-state && ! -e $TOPO_TMP/nouser.sock ]] || fail "vigild with a missing user made its state_dir or socket"
log "missing user: $(head -n 1 <<<"$out")"

result "vigild as $PUSER (uid $PUID) with cap_net_raw+cap_net_admin only, no_new_privs; status, reload, drill, switch with VIP, journal, pcap, hooks without capabilities, clean stop; a missing user refused"
