# shellcheck shell=bash
# topo.sh: the two-site network-namespace test bed for vigil, sourced by tests/netns/test_*.sh.
#
#   site A: node-a --\                               /-- node-b      :site B
#                     br0 router-a ==== WAN ==== router-b br0
#        nettest-a --/  10.1.0.1   10.255.0.1/.2  10.2.0.1  \-- nettest-b
#
#   node-a    10.1.0.10 (aux 10.1.0.11)    node-b    10.2.0.10 (aux 10.2.0.11)
#   nettest-a 10.1.0.100                   nettest-b 10.2.0.100
#
# Every name is unique per run (TOPO_PREFIX, with the PID), every address lives inside the
# namespaces, and nothing is created in the root namespace: veth ends are made inside their
# namespaces. topo_down, run from the EXIT trap topo_init sets, kills every process in those
# namespaces and deletes them, on success, failure and Ctrl-C alike.
#
# A scenario reads:
#   . "$(dirname "$0")/topo.sh"
#   topo_init                       # root, tools, kernel features (exit 77 if missing); traps
#   topo_up                         # namespaces, links, addresses, routes, pair key
#   pair_up                         # = pair_conf (both vigil.conf from the fast profile,
#                                   #   checked), start_module a/b, pair_start (both vigilds),
#                                   #   wait_steady a b (A primary, B backup, both connections up)
#   mark; kill_module a             # the fault
#   wait_for b '.state == "primary"' "$(wait_ms "$(formula module-kill)")"
#   check_time "kill -> switch" "$(since_mark)" "$(formula module-kill)"
#   result "module-down; ..."       # the line run.sh shows
#
# Polling, never fixed sleeps (STYLE 33): wait_for asks `vigilctl status --json` every
# NETNS_POLL_MS until a jq expression holds or a deadline derived from the configuration
# (doc/timing.md) plus slack passes. Environment: BUILD (build), VIGILD, VIGILCTL,
# FAKE_MODULE (paths), NETNS_SLACK_MS (1000; the bound is formula + this + 20 %),
# NETNS_KEEP=1 (keep the temp dir), TOPO_PREFIX (set by run.sh), TOPO_AUX (1: aux addresses).

[[ -n ${TOPO_SH_LOADED:-} ]] && return 0
TOPO_SH_LOADED=1
set -euo pipefail

TOPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in
/*) topo_build=$BUILD ;;
*) topo_build=$TOPO_ROOT/$BUILD ;;
esac
VIGILD=${VIGILD:-$topo_build/vigild}
VIGILCTL=${VIGILCTL:-$topo_build/vigilctl}
FAKE_MODULE=${FAKE_MODULE:-$topo_build/tools/fake-module}
TOPO_HOOK=$TOPO_ROOT/tests/netns/hook.sh
NETNS_SLACK_MS=${NETNS_SLACK_MS:-1000}
NETNS_POLL_MS=${NETNS_POLL_MS:-100}
TOPO_POLL_S=$(printf '%d.%03d' $((NETNS_POLL_MS / 1000)) $((NETNS_POLL_MS % 1000)))
TOPO_AUX=${TOPO_AUX:-1}
TOPO_PREFIX=${TOPO_PREFIX:-vgt$$r$RANDOM}
TOPO_TMP=""
TOPO_NAME=$(basename "$0" .sh)
TOPO_TIMES=()
TOPO_MARK_MS=0
SPAWNED_PID=""
WAITED_MS=0 # how long the last wait_for waited, for the scenarios
# doc/timing.md's symbols, set by timers_load (pair_conf) from the backup's vigil.conf.
T=0 R=0 F=0 Mr=0 W=0 Ms=0 P=0 Tm=0 C=0 Rp=0 NT=0 D=0 N=0 RT=0 CW=yes NRD=0 ST=0 E=0 Dn=0 K=0

# Logical names -> namespace suffixes; addresses of the plan above.
declare -A TOPO_NS=([node-a]=na [router-a]=ra [nettest-a]=ta [node-b]=nb [router-b]=rb [nettest-b]=tb
	[lan]=ln [client]=cl)
declare -A TOPO_NET=([a]=1 [b]=2)
TOPO_WAN_A=10.255.0.1
TOPO_WAN_B=10.255.0.2

# ---- small things ----

fail() {
	echo "FAIL: $TOPO_NAME: $*" >&2
	exit 1
}

topo_skip() {
	echo "SKIP: $*"
	exit 77
}

log() {
	printf '[%s] %s\n' "$(date +%T.%3N)" "$*"
}

# Wall-clock milliseconds from bash's EPOCHREALTIME (no external command); the separator may be ','.
now_ms() {
	local us=${EPOCHREALTIME//[!0-9]/}
	echo $((us / 1000))
}

mark() {
	TOPO_MARK_MS=$(now_ms)
}

since_mark() {
	echo $(($(now_ms) - TOPO_MARK_MS))
}

# ip_of NODE [main|aux]: a node's address.
ip_of() {
	local n=${TOPO_NET[$1]:?ip_of: node is a or b} kind=${2:-main}
	if [[ $kind == aux && $TOPO_AUX == 1 ]]; then
		echo "10.$n.0.11"
	else
		echo "10.$n.0.10"
	fi
}

router_ip() {
	echo "10.${TOPO_NET[$1]:?router_ip: site is a or b}.0.1"
}

nettest_ip() {
	echo "10.${TOPO_NET[$1]:?nettest_ip: site is a or b}.0.100"
}

# ns_name NAME: the real namespace of a logical name (node-a, router-a, nettest-a, ... or a, b for nodes).
ns_name() {
	local name=$1
	case "$name" in
	a | b) name=node-$name ;;
	esac
	[[ -n ${TOPO_NS[$name]:-} ]] || fail "unknown namespace name '$1'"
	echo "$TOPO_PREFIX-${TOPO_NS[$name]}"
}

# in_ns NAME CMD...: run CMD inside that namespace (ip netns exec: the command replaces ip).
in_ns() {
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

# ns_spawn NAME LOG CMD...: CMD in the background inside namespace NAME, output appended to LOG.
# A plain command, not through in_ns: bash forks and execs ip, which execs CMD, so $! (SPAWNED_PID)
# is CMD's own PID. topo_down finds it by its namespace, as every process of the run.
ns_spawn() {
	local ns log=$2
	ns=$(ns_name "$1")
	shift 2
	ip netns exec "$ns" "$@" >>"$log" 2>&1 &
	SPAWNED_PID=$!
	# Out of the job table: a killed module or daemon is the test, not news ("Killed" lines);
	# bash still reaps it.
	disown "$SPAWNED_PID"
}

# in_ns_pid NAME PID: PID is alive and inside namespace NAME. Signals go only to such PIDs, so a
# PID that was freed and reused by another program is never touched.
in_ns_pid() {
	[[ -n $2 ]] && [[ $(ip netns identify "$2" 2>/dev/null) == "$(ns_name "$1")" ]]
}

# ns_signal NAME SIG PID: signal PID if it still runs inside namespace NAME.
ns_signal() {
	in_ns_pid "$1" "$3" || return 1
	kill "-$2" "$3"
}

node_dir() {
	echo "$TOPO_TMP/${1:?node_dir: node is a or b}"
}

# ---- set-up checks ----

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || topo_skip "needs '$c' (make deps: iproute2 nftables procps iputils-ping jq)"
	done
}

need_bin() {
	[[ -x $1 ]] || fail "$1 is missing: build it first (make netns builds everything the suite needs)"
}

# The kernel features the topology uses, tried in a scratch namespace: missing ones skip, not fail.
topo_probe_kernel() {
	local p="$TOPO_PREFIX-probe"
	ip netns add "$p" 2>/dev/null || topo_skip "cannot create network namespaces (ip netns add)"
	ip -n "$p" link add v0 type veth peer name v1 2>/dev/null || topo_skip "no veth support in the kernel"
	ip -n "$p" link add br0 type bridge 2>/dev/null || topo_skip "no bridge support in the kernel"
	ip -n "$p" link set v0 master br0 2>/dev/null || topo_skip "cannot add a port to a bridge"
	ip netns exec "$p" nft -f - 2>/dev/null <<-'EOF' || topo_skip "nftables (inet table, forward hook, numgen) not usable"
		table inet probe {
			chain forward {
				type filter hook forward priority 0; policy accept;
				iifname "v0" numgen random mod 100 < 1 drop
			}
		}
	EOF
	ip netns del "$p"
}

# topo_init: every check a scenario needs before it touches anything, the temp dir, the traps.
topo_init() {
	[[ $(id -u) == 0 ]] || topo_skip "needs root"
	((BASH_VERSINFO[0] >= 5)) || topo_skip "needs bash 5 (EPOCHREALTIME)"
	need_cmd ip bridge nft jq sysctl ping timeout
	need_bin "$VIGILD"
	need_bin "$VIGILCTL"
	need_bin "$FAKE_MODULE"
	case "$TOPO_ROOT" in
	*[[:space:]]*) topo_skip "the tree's path has a space: hooks are split on spaces (SPEC [hooks])" ;;
	esac
	# The cleanup trap comes first, so even the probe namespace is never left behind.
	trap topo_down EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	topo_probe_kernel
	TOPO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-netns.XXXXXX")
	chmod 700 "$TOPO_TMP"
	mkdir -p "$TOPO_TMP/a" "$TOPO_TMP/b"
}

# ---- the topology ----

# One site: router (bridge br0 with the node's and the NetTest host's veth ports), node, NetTest host.
topo_site() {
	local s=$1 n=${TOPO_NET[$1]}
	local r n_ns t_ns
	r=$(ns_name "router-$s")
	n_ns=$(ns_name "node-$s")
	t_ns=$(ns_name "nettest-$s")
	ip -n "$r" link add br0 type bridge stp_state 0 forward_delay 0
	ip -n "$r" link add p-node type veth peer name eth0 netns "$n_ns"
	ip -n "$r" link add p-nettest type veth peer name eth0 netns "$t_ns"
	ip -n "$r" link set p-node master br0 up
	ip -n "$r" link set p-nettest master br0 up
	ip -n "$r" addr add "10.$n.0.1/24" dev br0
	ip -n "$r" link set br0 up
	ip -n "$n_ns" addr add "10.$n.0.10/24" dev eth0
	if [[ $TOPO_AUX == 1 ]]; then
		ip -n "$n_ns" addr add "10.$n.0.11/24" dev eth0
	fi
	ip -n "$n_ns" link set eth0 up
	ip -n "$n_ns" route add default via "10.$n.0.1"
	ip -n "$t_ns" addr add "10.$n.0.100/24" dev eth0
	ip -n "$t_ns" link set eth0 up
	ip -n "$t_ns" route add default via "10.$n.0.1"
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
}

# Poll until a command succeeds or deadline_ms (absolute) passes.
poll_until() {
	local deadline_ms=$1
	shift
	until "$@" >/dev/null 2>&1; do
		(($(now_ms) < deadline_ms)) || return 1
		sleep 0.05
	done
}

# pingable FROM ADDR [WAIT_S]: one echo answered within WAIT_S (1) seconds.
pingable() {
	in_ns "$1" ping -n -q -c 1 -W "${3:-1}" "$2" >/dev/null 2>&1
}

topo_up() {
	local name deadline_ms
	[[ -n $TOPO_TMP ]] || fail "topo_up before topo_init"
	for name in "${!TOPO_NS[@]}"; do
		ip netns add "$(ns_name "$name")"
		ip -n "$(ns_name "$name")" link set lo up
	done
	topo_site a
	topo_site b
	ip -n "$(ns_name router-a)" link add wan0 type veth peer name wan0 netns "$(ns_name router-b)"
	ip -n "$(ns_name router-a)" addr add "$TOPO_WAN_A/30" dev wan0
	ip -n "$(ns_name router-b)" addr add "$TOPO_WAN_B/30" dev wan0
	ip -n "$(ns_name router-a)" link set wan0 up
	ip -n "$(ns_name router-b)" link set wan0 up
	ip -n "$(ns_name router-a)" route add 10.2.0.0/24 via "$TOPO_WAN_B"
	ip -n "$(ns_name router-b)" route add 10.1.0.0/24 via "$TOPO_WAN_A"
	# Ready when each node reaches the far node (ARP and forwarding both work).
	deadline_ms=$(($(now_ms) + 5000))
	poll_until "$deadline_ms" pingable node-a "$(ip_of b)" || fail "topology: node-a cannot reach node-b"
	poll_until "$deadline_ms" pingable node-b "$(ip_of a)" || fail "topology: node-b cannot reach node-a"
	"$VIGILCTL" keygen "$TOPO_TMP/pair.key" >/dev/null
	log "topology $TOPO_PREFIX up (temp dir $TOPO_TMP)"
}

# ---- the service LAN (VIPs, fencing) ----
#
#   node-a svc0 10.9.0.1, fd00:9::1 --\
#                                      lan (bridge br0) -- client svc0 10.9.0.50, fd00:9::50
#   node-b svc0 10.9.0.2, fd00:9::2 --/
#
# A second link both nodes share, as the two boxes of a site would: where a VIP moves and
# clients reach the module's service. topo_lan after topo_up.
TOPO_LAN_V4=10.9.0
TOPO_LAN_V6=fd00:9:

lan_ip() {
	case "$1" in
	a) echo "$TOPO_LAN_V4.1" ;; b) echo "$TOPO_LAN_V4.2" ;; client) echo "$TOPO_LAN_V4.50" ;;
	*) fail "lan_ip: a, b or client" ;;
	esac
}

lan_ip6() {
	case "$1" in
	a) echo "$TOPO_LAN_V6:1" ;; b) echo "$TOPO_LAN_V6:2" ;; client) echo "$TOPO_LAN_V6:50" ;;
	*) fail "lan_ip6: a, b or client" ;;
	esac
}

# lan_mac NODE: the MAC of that namespace's svc0 (a, b or client).
lan_mac() {
	local ns=$1
	[[ $ns == client ]] || ns=node-$ns
	in_ns "$ns" cat /sys/class/net/svc0/address
}

topo_lan() {
	local lan x ns deadline_ms
	lan=$(ns_name lan) # lan and client were made empty by topo_up, as every namespace

	ip -n "$lan" link add br0 type bridge stp_state 0 forward_delay 0
	ip -n "$lan" link set br0 up
	for x in a b client; do
		ns=$(ns_name "$x")
		ip -n "$lan" link add "p-$x" type veth peer name svc0 netns "$ns"
		ip -n "$lan" link set "p-$x" master br0 up
		# No DAD on the test link: addresses usable at once (the VIPs are the point, not these).
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.svc0.accept_dad=0
		ip -n "$ns" addr add "$(lan_ip "$x")/24" dev svc0
		ip -n "$ns" addr add "$(lan_ip6 "$x")/64" dev svc0 nodad
		ip -n "$ns" link set svc0 up
	done
	deadline_ms=$(($(now_ms) + 5000))
	poll_until "$deadline_ms" pingable client "$(lan_ip a)" || fail "service LAN: client cannot reach node-a"
	poll_until "$deadline_ms" pingable client "$(lan_ip b)" || fail "service LAN: client cannot reach node-b"
	log "service LAN up: client $(lan_ip client), node-a $(lan_ip a), node-b $(lan_ip b)"
}

# Our namespaces, from `ip netns list` (leftovers of a half-built topology included).
topo_namespaces() {
	ip netns list 2>/dev/null | awk -v p="$TOPO_PREFIX-" 'index($1, p) == 1 { print $1 }'
}

# Kill every process inside a namespace (vigild, modules, hooks, loops), until none is left.
ns_kill_all() {
	local ns=$1 round pids
	for round in 1 2 3 4 5 6 7 8 9 10; do
		pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
		[[ -n $pids ]] || return 0
		# shellcheck disable=SC2086 # a list of PIDs
		kill -KILL $pids 2>/dev/null
		[[ $round == 1 ]] || sleep 0.05
	done
}

topo_dump_logs() {
	local f
	for f in "$TOPO_TMP"/*/vigild.log "$TOPO_TMP"/*/hooks.log; do
		[[ -s $f ]] || continue
		echo "---- ${f#"$TOPO_TMP"/} (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
}

# topo_down: idempotent; keeps the exit status it was called with.
topo_down() {
	local rc=$? ns
	set +e
	trap '' INT TERM HUP
	if [[ -z ${TOPO_DOWN_DONE:-} ]]; then
		TOPO_DOWN_DONE=1
		if ((rc != 0 && rc != 77)) && [[ -n $TOPO_TMP ]]; then
			topo_dump_logs
		fi
		# A clean stop first, for tools that report when vigild exits (make valgrind).
		[[ ${NETNS_STOP_VIGILD:-0} != 1 || -z $TOPO_TMP ]] || topo_stop_vigilds
		# Sanitizer reports in the daemons' logs fail the scenario (make asan).
		[[ ${NETNS_SAN_CHECK:-0} != 1 || -z $TOPO_TMP ]] || topo_san_check || TOPO_SAN_FAIL=1
		for ns in $(topo_namespaces); do
			ns_kill_all "$ns"
		done
		for ns in $(topo_namespaces); do
			ip netns del "$ns" 2>/dev/null
		done
		if [[ -n $TOPO_TMP && -d $TOPO_TMP ]]; then
			if [[ ${NETNS_KEEP:-0} == 1 ]]; then
				echo "kept $TOPO_TMP" >&2
			else
				rm -rf "$TOPO_TMP"
			fi
		fi
		[[ -z $(topo_namespaces) ]] || echo "topo_down: namespaces left: $(topo_namespaces)" >&2
	fi
	trap - INT TERM HUP
	if [[ -n ${TOPO_SAN_FAIL:-} ]] && ((rc == 0 || rc == 77)); then
		echo "FAIL: $TOPO_NAME: sanitizer reports in vigild's log" >&2
		exit 1
	fi
	return "$rc"
}

# ---- faults ----

# wan_cut [a|b]: drop everything on that router's WAN port (forwarded, to and from the router),
# in an nftables table of our own; the router still answers its own site. Idempotent.
wan_cut() {
	local site=${1:-a}
	in_ns "router-$site" nft -f - <<-'EOF'
		add table inet vigiltest
		delete table inet vigiltest
		table inet vigiltest {
			chain forward {
				type filter hook forward priority -10; policy accept;
				iifname "wan0" drop
				oifname "wan0" drop
			}
			chain input {
				type filter hook input priority -10; policy accept;
				iifname "wan0" drop
			}
			chain output {
				type filter hook output priority -10; policy accept;
				oifname "wan0" drop
			}
		}
	EOF
}

# wan_heal: remove the cut on both routers (nothing to remove is fine).
wan_heal() {
	local site
	for site in a b; do
		in_ns "router-$site" nft -f - <<-'EOF'
			add table inet vigiltest
			delete table inet vigiltest
		EOF
	done
}

# loss PCT [a|b]: drop PCT % of the packets crossing that router's WAN port, each way; 0 removes it.
loss() {
	local pct=$1 site=${2:-a}
	if ! [[ $pct =~ ^[0-9]+$ ]] || ((pct > 100)); then
		fail "loss: PCT is 0..100, not '$pct'"
	fi
	if ((pct == 0)); then
		in_ns "router-$site" nft -f - <<-'EOF'
			add table inet vigiltest_loss
			delete table inet vigiltest_loss
		EOF
		return
	fi
	in_ns "router-$site" nft -f - <<-EOF
		add table inet vigiltest_loss
		delete table inet vigiltest_loss
		table inet vigiltest_loss {
			chain forward {
				type filter hook forward priority -5; policy accept;
				iifname "wan0" numgen random mod 100 < $pct drop
				oifname "wan0" numgen random mod 100 < $pct drop
			}
		}
	EOF
}

# conn_block main|aux|both [a|b]: drop the pair's TCP traffic (the peer port, either way) between
# the two nodes' main addresses, or their aux addresses, or both pairs, on that router's forward
# path (table inet vigiltest_conn); everything else (ICMP, the other connection) passes.
# Replaces an earlier block on that router. conn_unblock removes it from both routers.
conn_block() {
	local kind=$1 site=${2:-a} port k x y rules=""
	port=$(conf_get "$(node_dir b)/vigil.conf" peer.port)
	port=${port:-3633}
	case "$kind" in
	main | aux) ;;
	both) kind="main aux" ;;
	*) fail "conn_block: main, aux or both, not '$kind'" ;;
	esac
	[[ $TOPO_AUX == 1 ]] || [[ $kind == main ]] || fail "conn_block: aux needs the aux addresses (TOPO_AUX=1)"
	for k in $kind; do
		x=$(ip_of a "$k")
		y=$(ip_of b "$k")
		rules+="ip saddr $x ip daddr $y tcp sport $port drop"$'\n'"ip saddr $x ip daddr $y tcp dport $port drop"$'\n'
		rules+="ip saddr $y ip daddr $x tcp sport $port drop"$'\n'"ip saddr $y ip daddr $x tcp dport $port drop"$'\n'
	done
	in_ns "router-$site" nft -f - <<-EOF
		add table inet vigiltest_conn
		delete table inet vigiltest_conn
		table inet vigiltest_conn {
			chain forward {
				type filter hook forward priority -8; policy accept;
				$rules
			}
		}
	EOF
}

conn_unblock() {
	local site
	for site in a b; do
		in_ns "router-$site" nft -f - <<-'EOF'
			add table inet vigiltest_conn
			delete table inet vigiltest_conn
		EOF
	done
}

# isolate_backup [NODE]: the node's switch port goes down, so its eth0 loses carrier.
isolate_backup() {
	local node=${1:-b}
	in_ns "router-$node" ip link set p-node down
}

# silent_isolate [NODE]: the node's switch port stops passing frames while its carrier stays up.
# The port is set to state "disabled" (0): "blocking" (4) does not stick on a bridge without STP,
# whose port-state selection puts it straight back to forwarding, and kernel STP cannot be run
# in a namespace; for frames, a disabled port is a blocking one.
silent_isolate() {
	local node=${1:-b} state
	in_ns "router-$node" bridge link set dev p-node state 0
	state=$(in_ns "router-$node" bridge link show dev p-node)
	[[ $state == *"state disabled"* ]] || fail "silent_isolate: p-node of router-$node: $state"
}

# isolate_heal [NODE]: undo either isolation.
isolate_heal() {
	local node=${1:-b}
	in_ns "router-$node" ip link set p-node up
	in_ns "router-$node" bridge link set dev p-node state 3
}

# carrier NODE: 1 or 0, the node's eth0 carrier as the node sees it.
carrier() {
	in_ns "node-$1" cat /sys/class/net/eth0/carrier 2>/dev/null || echo 0
}

# ---- the module ----

module_sock() {
	echo "$(node_dir "$1")/module.sock"
}

module_pidfile() {
	echo "$(node_dir "$1")/module.pid"
}

module_pid() {
	local pid=""
	read -r pid <"$(module_pidfile "$1")" 2>/dev/null || true
	echo "$pid"
}

# module_ping NODE: ask the module like a unix: check; prints "PONG <pid>".
module_ping() {
	in_ns "node-$1" "$FAKE_MODULE" --ping "$(module_sock "$1")" --timeout-ms "${2:-500}"
}

# start_module NODE: a fake module in the node's namespace; returns once it answers.
start_module() {
	local node=$1 pid deadline_ms
	rm -f "$(module_pidfile "$node")"
	ns_spawn "node-$node" "$(node_dir "$node")/module.log" \
	    "$FAKE_MODULE" "$(module_sock "$node")" --pidfile "$(module_pidfile "$node")"
	pid=$SPAWNED_PID
	deadline_ms=$(($(now_ms) + 3000))
	poll_until "$deadline_ms" module_ping "$node" || fail "module on node-$node did not start"
	[[ $(module_pid "$node") == "$pid" ]] || fail "module on node-$node: pidfile says $(module_pid "$node"), started $pid"
}

kill_module() {
	ns_signal "node-$1" KILL "$(module_pid "$1")" || fail "kill_module: no module running on node-$1"
}

stop_module() {
	ns_signal "node-$1" STOP "$(module_pid "$1")" || fail "stop_module: no module running on node-$1"
}

cont_module() {
	ns_signal "node-$1" CONT "$(module_pid "$1")" || fail "cont_module: no module running on node-$1"
}

# module_crash_loop NODE: kill the module; from then on every instance answers one PING and
# exits, and a supervisor loop starts the next one at once: each pong has a new PID.
module_crash_loop() {
	local node=$1
	kill_module "$node"
	# shellcheck disable=SC2016 # $1.. are the inner shell's arguments
	ns_spawn "node-$node" "$(node_dir "$node")/module.log" \
	    bash -c 'while :; do "$1" "$2" --pidfile "$3" --once || sleep 0.05; done' \
	    crash-loop "$FAKE_MODULE" "$(module_sock "$node")" "$(module_pidfile "$node")"
	echo "$SPAWNED_PID" >"$(node_dir "$node")/crash-loop.pid"
}

# ---- vigild and vigilctl ----

vigild_sock() {
	echo "$(node_dir "$1")/vigild.sock"
}

vigild_pid() {
	local pid=""
	read -r pid <"$(node_dir "$1")/vigild.pid" 2>/dev/null || true
	echo "$pid"
}

vigild_alive() {
	in_ns_pid "node-$1" "$(vigild_pid "$1")"
}

# vigilctl_in NODE ARGS...: vigilctl on that node's control socket, inside its namespace; a
# daemon that does not answer cannot wedge the test (NETNS_CTL_TIMEOUT, 30 s).
vigilctl_in() {
	local node=$1
	shift
	timeout -k 2 "${NETNS_CTL_TIMEOUT:-30}" \
	    ip netns exec "$(ns_name "node-$node")" "$VIGILCTL" -s "$(vigild_sock "$node")" "$@"
}

# status_json NODE: `vigilctl status --json`, given 2 s.
status_json() {
	NETNS_CTL_TIMEOUT=2 vigilctl_in "$1" status --json 2>/dev/null
}

# start_vigild NODE [CONF] [NAME=VALUE ...]: vigild -c CONF in the node's namespace, in the
# background, logging to NODE/vigild.log, with NAME=VALUE added to its environment (for test-only
# switches such as VIGIL_TEST_VERSION); returns once its control socket answers.
start_vigild() {
	local node=$1 conf pid deadline_ms log e
	local -a env=()
	shift
	conf=$(node_dir "$node")/vigil.conf
	if (($# > 0)) && ! [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
		[[ -z $1 ]] || conf=$1
		shift
	fi
	for e in "$@"; do
		[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || fail "start_vigild: '$e' is not NAME=VALUE"
		env+=("$e")
	done
	log=$(node_dir "$node")/vigild.log
	echo "==== vigild start $(date +%T.%3N)${env[*]:+ with ${env[*]}}" >>"$log"
	if ((${#env[@]} > 0)); then
		# env execs vigild: SPAWNED_PID stays vigild's own PID.
		ns_spawn "node-$node" "$log" env "${env[@]}" "$VIGILD" -c "$conf"
	else
		ns_spawn "node-$node" "$log" "$VIGILD" -c "$conf"
	fi
	pid=$SPAWNED_PID
	echo "$pid" >"$(node_dir "$node")/vigild.pid"
	deadline_ms=$(($(now_ms) + 5000))
	until status_json "$node" >/dev/null; do
		# kill -0, not vigild_alive: just spawned, ip may not have entered the namespace yet.
		if ! kill -0 "$pid" 2>/dev/null; then
			# Until issue 4 lands vigild only checks configurations: nothing to test yet.
			if grep -q 'arrives with issue 4' "$log"; then
				topo_skip "vigild does not run yet: $(tail -n 1 "$log")"
			fi
			tail -n 20 "$log" >&2
			fail "vigild on node-$node exited at start"
		fi
		(($(now_ms) < deadline_ms)) || fail "vigild on node-$node: no answer on $(vigild_sock "$node") within 5 s"
		sleep 0.05
	done
	log "vigild on node-$node started (pid $pid${env[*]:+, ${env[*]}})"
}

# stop_vigild NODE [SIGNAL]: signal it (TERM) and wait for it to go (KILL after 5 s).
stop_vigild() {
	local node=$1 sig=${2:-TERM} pid deadline_ms
	pid=$(vigild_pid "$node")
	ns_signal "node-$node" "$sig" "$pid" || fail "stop_vigild: vigild is not running on node-$node"
	deadline_ms=$(($(now_ms) + 5000))
	# Gone means reaped: a SIGKILLed vigild leaves its namespace (ip netns identify fails) while
	# its other threads still exit and its files (the state_dir lock) are still open.
	while vigild_alive "$node" || kill -0 "$pid" 2>/dev/null; do
		if (($(now_ms) >= deadline_ms)); then
			ns_signal "node-$node" KILL "$pid" || true
			fail "vigild on node-$node ignored SIG$sig for 5 s"
		fi
		sleep 0.05
	done
}

kill_vigild() {
	stop_vigild "$1" KILL
}

# wait_for NODE JQ-EXPR TIMEOUT_MS: poll status --json every NETNS_POLL_MS until the expression
# is true; on timeout print the last status and return 1. WAITED_MS is set either way.
# shellcheck disable=SC2034 # WAITED_MS is for the scenarios
wait_for() {
	local node=$1 expr=$2 timeout_ms=$3 start_ms deadline_ms st="" rc
	start_ms=$(now_ms)
	deadline_ms=$((start_ms + timeout_ms))
	while :; do
		if st=$(status_json "$node"); then
			rc=0
			jq -e "$expr" >/dev/null 2>&1 <<<"$st" || rc=$?
			if ((rc == 0)); then
				WAITED_MS=$(($(now_ms) - start_ms))
				return 0
			fi
			if ((rc > 1)); then
				echo "wait_for: jq cannot evaluate '$expr' on node-$node's status" >&2
				jq -e "$expr" <<<"$st" >&2 || true
				return 2
			fi
		fi
		if (($(now_ms) >= deadline_ms)); then
			WAITED_MS=$(($(now_ms) - start_ms))
			echo "wait_for: node-$node: '$expr' still false after $timeout_ms ms; last status:" >&2
			if [[ -n $st ]]; then
				jq . <<<"$st" >&2 2>/dev/null || echo "$st" >&2
			else
				echo "  (no status: vigild not answering)" >&2
			fi
			return 1
		fi
		sleep "$TOPO_POLL_S"
	done
}

# hold_for NODE JQ-EXPR MS: the expression stays true for MS (polled); fails at the first false.
hold_for() {
	local node=$1 expr=$2 ms=$3 deadline_ms st
	deadline_ms=$(($(now_ms) + ms))
	while (($(now_ms) < deadline_ms)); do
		st=$(status_json "$node") || fail "hold_for: node-$node: no status"
		if ! jq -e "$expr" >/dev/null 2>&1 <<<"$st"; then
			echo "hold_for: node-$node: '$expr' became false; status:" >&2
			jq . <<<"$st" >&2
			return 1
		fi
		sleep 0.1
	done
}

# json_get NODE FIELD: one field of status --json (a jq path: last_verdict.kind), raw.
json_get() {
	local node=$1 field=$2 st
	[[ $field == .* ]] || field=.$field
	st=$(status_json "$node") || fail "json_get: node-$node: no status"
	jq -r "$field" <<<"$st"
}

# expect NODE FIELD VALUE: one status field, now.
expect() {
	local got
	got=$(json_get "$1" "$2")
	[[ $got == "$3" ]] || fail "node-$1: $2 is '$got', expected '$3'"
}

# events_json NODE [N]: the node's journal, `vigilctl events --json` (the last N records, default
# all), one JSON object a line.
events_json() {
	if [[ -n ${2:-} ]]; then
		vigilctl_in "$1" events --json -n "$2"
	else
		vigilctl_in "$1" events --json
	fi
}

# journal_count NODE JQ-FILTER: how many journal records of NODE match the filter
# (a jq boolean on one record, e.g. '.kind == "verdict"').
journal_count() {
	events_json "$1" | jq -c "select($2)" | wc -l
}

# ---- hooks ----

hooks_log() {
	echo "$(node_dir "$1")/hooks.log"
}

# hook_logged NODE NAME [REASON]: hook.sh logged a call of hook NAME (with VIGIL_REASON REASON).
hook_logged() {
	local f
	f=$(hooks_log "$1")
	[[ -f $f ]] && grep -Eq -- "hook=$2 .*reason=${3:-[^ ]*}( |\$)" "$f"
}

# wait_hook NODE NAME TIMEOUT_MS [REASON]: poll until hook_logged holds.
wait_hook() {
	local node=$1 name=$2 timeout_ms=$3 reason=${4:-} deadline_ms
	deadline_ms=$(($(now_ms) + timeout_ms))
	until hook_logged "$node" "$name" "$reason"; do
		if (($(now_ms) >= deadline_ms)); then
			echo "wait_hook: node-$node: no '$name' hook${reason:+ with reason $reason} in $timeout_ms ms; hooks log:" >&2
			cat "$(hooks_log "$node")" >&2 2>/dev/null || echo "  (empty)" >&2
			return 1
		fi
		sleep 0.1
	done
}

# hook_exit NODE NAME CODE: hook NAME on NODE exits CODE from now on (hook.sh reads NAME.exit).
hook_exit() {
	echo "$3" >"$(node_dir "$1")/$2.exit"
}

# ---- configuration ----

# make_conf NODE ROLE PROFILE [SECTION.KEY=VALUE ...] > FILE
# A vigil.conf for node NODE (a, b) with role ROLE (A, B): every key of PROFILE's vigil-a.conf
# (examples/PROFILE/: timers, mode, start), then the test bed's own keys (names, addresses,
# key, module check, state, hooks), then the overrides; SECTION.KEY= (empty) removes a key.
make_conf() {
	local node=$1 role=$2 profile=$3 src dir sec="" line val s k
	shift 3
	src=$TOPO_ROOT/examples/$profile/vigil-a.conf
	[[ -f $src ]] || fail "make_conf: no profile $src"
	dir=$(node_dir "$node")
	local -A conf=()
	local -a order=()
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		[[ $line =~ ^[[:space:]]*([#\;]|$) ]] && continue
		if [[ $line =~ ^[[:space:]]*\[([a-z_]+)\][[:space:]]*$ ]]; then
			sec=${BASH_REMATCH[1]}
		elif [[ $line =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]]; then
			val=${BASH_REMATCH[2]}
			val=${val%"${val##*[![:space:]]}"}
			conf_set "$sec.${BASH_REMATCH[1]}" "$val"
		else
			fail "make_conf: $src: cannot read '$line'"
		fi
	done <"$src"
	conf_set node.name "node-$node"
	conf_set node.role "$role"
	conf_set node.state_dir "$dir/state"
	conf_set node.control_socket "$(vigild_sock "$node")"
	conf_set node.user root
	conf_set node.control_group root
	conf_set peer.a "$(ip_of a)"
	conf_set peer.b "$(ip_of b)"
	conf_set peer.aux_a "$(ip_of a aux)"
	conf_set peer.aux_b "$(ip_of b aux)"
	conf_set peer.auth hmac
	conf_set peer.key_file "$TOPO_TMP/pair.key"
	conf_set module.check "unix:$(module_sock "$node")"
	# A uses nettest_a while it is the backup: addresses near the other site (B's NetTest host).
	conf_set network.nettest_a "$(nettest_ip b)"
	conf_set network.nettest_b "$(nettest_ip a)"
	for k in commence discontinue drain sync_check; do
		conf_set "hooks.$k" "$TOPO_HOOK $(hooks_log "$node") $k"
	done
	for s in "$@"; do
		[[ $s =~ ^([a-z_]+\.[a-z_]+)=(.*)$ ]] || fail "make_conf: override '$s' is not SECTION.KEY=VALUE"
		conf_set "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	done
	echo "# vigil.conf for node-$node ($TOPO_NAME, $TOPO_PREFIX): made by tests/netns/topo.sh from examples/$profile"
	for s in node peer module monitor network hooks netcfg export; do
		line=""
		for k in "${order[@]}"; do
			[[ $k == "$s".* && -n ${conf[$k]} ]] || continue
			[[ -n $line ]] || {
				line=1
				printf '\n[%s]\n' "$s"
			}
			printf '%s = %s\n' "${k#*.}" "${conf[$k]}"
		done
	done
}

# conf_set SECTION.KEY VALUE, on make_conf's locals (bash's dynamic scope).
conf_set() {
	[[ -v "conf[$1]" ]] || order+=("$1")
	conf[$1]=$2
}

# conf_get FILE SECTION.KEY: a value from a vigil.conf, empty when absent.
conf_get() {
	local file=$1 want=$2 sec="" line
	while IFS= read -r line || [[ -n $line ]]; do
		[[ $line =~ ^[[:space:]]*([#\;]|$) ]] && continue
		if [[ $line =~ ^[[:space:]]*\[([a-z_]+)\] ]]; then
			sec=${BASH_REMATCH[1]}
		elif [[ $line =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]] &&
		    [[ "$sec.${BASH_REMATCH[1]}" == "$want" ]]; then
			echo "${BASH_REMATCH[2]}"
			return 0
		fi
	done <"$file"
}

# dur_ms DURATION: SPEC durations ("300ms", "5 s", "1.5s", "2m", bare = seconds) in ms.
dur_ms() {
	local d=$1
	[[ $d =~ ^([0-9]+(\.[0-9]+)?)\ ?(ms|s|m)?$ ]] || fail "not a duration: '$d'"
	awk -v v="${BASH_REMATCH[1]}" -v u="${BASH_REMATCH[3]:-s}" \
	    'BEGIN { f = (u == "ms") ? 1 : (u == "s") ? 1000 : 60000; printf "%d\n", v * f + 0.5 }'
}

# pair_conf [--profile NAME] [OVERRIDE ...]: both nodes' files (node a role A, node b role B)
# from the example profile NAME (default NETNS_PROFILE, else fast), each checked by vigild
# --check-config; an override "a:SECTION.KEY=V" or "b:SECTION.KEY=V" applies to that node only.
# Loads the timers (timers_load) from b's file.
pair_conf() {
	local node o profile=${NETNS_PROFILE:-fast}
	if [[ ${1:-} == --profile ]]; then
		profile=${2:?pair_conf: --profile needs a name (examples/NAME)}
		shift 2
	fi
	for node in a b; do
		local -a ov=()
		for o in "$@"; do
			case "$o" in
			a:* | b:*) [[ ${o%%:*} == "$node" ]] && ov+=("${o#*:}") ;;
			*) ov+=("$o") ;;
			esac
		done
		make_conf "$node" "${node^^}" "$profile" "${ov[@]}" >"$(node_dir "$node")/vigil.conf"
		if ! "$VIGILD" --check-config -c "$(node_dir "$node")/vigil.conf" >"$(node_dir "$node")/check.out" 2>&1; then
			cat "$(node_dir "$node")/check.out" >&2
			fail "node-$node: the generated vigil.conf does not pass vigild --check-config"
		fi
	done
	timers_load "$(node_dir b)/vigil.conf"
}

# ---- timing (doc/timing.md, fast-profile formulas, rtt taken as 0) ----

# timers_load FILE: the symbols of doc/timing.md from a vigil.conf, SPEC defaults where absent.
timers_load() {
	local f=$1 v
	v=$(conf_get "$f" module.timeout); T=$(dur_ms "${v:-10s}")
	v=$(conf_get "$f" module.retry_delay); R=$(dur_ms "${v:-1s}")
	v=$(conf_get "$f" module.max_failures); F=${v:-2}
	v=$(conf_get "$f" module.max_restarts); Mr=${v:-2}
	v=$(conf_get "$f" module.max_restarts_period); W=$(dur_ms "${v:-300s}")
	v=$(conf_get "$f" module.max_sequential_restarts); Ms=${v:-2}
	v=$(conf_get "$f" monitor.ping_delay); P=$(dur_ms "${v:-1s}")
	v=$(conf_get "$f" monitor.timeout); Tm=$(dur_ms "${v:-$((T / 2))ms}")
	v=$(conf_get "$f" monitor.retry_count); C=${v:-2}
	v=$(conf_get "$f" monitor.retry_ping_delay); Rp=$(dur_ms "${v:-0}")
	v=$(conf_get "$f" network.nettest_timeout); NT=$(dur_ms "${v:-1s}")
	v=$(conf_get "$f" network.unreachable_primary_ping_delay); D=$(dur_ms "${v:-10s}")
	v=$(conf_get "$f" network.unreachable_primary_ping_count); v=${v:-0}
	if ((v < 0)); then N=-1; elif ((v <= 3)); then N=3; else N=$v; fi
	v=$(conf_get "$f" network.reconnect_timeout); RT=$(dur_ms "${v:-30s}")
	v=$(conf_get "$f" network.carrier_watch); CW=${v:-yes}
	v=$(conf_get "$f" peer.notifier_reconnect_delay); NRD=$(dur_ms "${v:-5s}")
	v=$(conf_get "$f" node.start_timeout); ST=$(dur_ms "${v:-10s}")
	E=$((2 * F - 1))
	Dn=$(((C + 1) * Tm + C * Rp))
	if (((Mr - 1) * T <= W)); then K=$((Ms < Mr ? Ms : Mr)); else K=$Ms; fi
}

# formula KIND: doc/timing.md's decision time for KIND at the slowest phase (phi at its high end).
formula() {
	case "$1" in
	module-kill) echo $((E * R)) ;;                                           # exit watch (unix:)
	module-hang) echo $((T + 2 * F * T + E * R + 2 * (Tm < T ? Tm : T))) ;;  # phi_m = T
	module-flap) echo $((K * T)) ;;                                           # phi_m + (K - 1) T
	notifier-kill) echo "$RT" ;;
	primary-down) echo $((P + Dn + 2 * NT + N * D)) ;;
	wan-cut | silent-isolate) echo $((P + Dn + NT)) ;;
	backup-isolate) if [[ $CW =~ ^(yes|true|1)$ ]]; then echo 0; else echo $((P + Dn + NT)); fi ;;
	failsafe-start) echo "$ST" ;;
	# One connection blocked (conn_block): its next regular notifier ping (within P) misses after Tm.
	conn-down) echo $((P + Tm)) ;;
	island-heal) echo $((3 * P > NRD ? 3 * P + NRD : 2 * NRD)) ;; # silence threshold, then a dial
	# Switches the operator starts, and joining a running primary: no timer, only work.
	manual | handover | join) echo 0 ;;
	# The longest any automatic switch takes: a hold has to outlast it to prove "never".
	longest) printf '%s\n' "$RT" $((P + Dn + 2 * NT + (N > 0 ? N : 3) * D)) | sort -n | tail -n 1 ;;
	*) fail "formula: unknown kind '$1'" ;;
	esac
}

slack_ms() {
	echo $((NETNS_SLACK_MS + $1 / 5))
}

bound_ms() {
	echo $(($1 + $(slack_ms "$1")))
}

# wait_ms FORMULA_MS: how long a wait_for waits: past the bound, so a late answer is measured.
wait_ms() {
	echo $((2 * $(bound_ms "$1") + 1000))
}

# check_time LABEL MEASURED_MS FORMULA_MS: print measured against the bound, fail past it.
check_time() {
	local label=$1 got=$2 f=$3 b
	b=$(bound_ms "$f")
	log "$label: measured $got ms, bound $b ms (formula $f ms + slack $(slack_ms "$f") ms)"
	TOPO_TIMES+=("$label $got/$b ms")
	((got <= b)) || fail "$label took $got ms, over the bound of $b ms"
}

# ---- the pair ----

# pair_start: both daemons at once (the usual start: both in init, role A becomes primary).
pair_start() {
	start_vigild a
	start_vigild b
}

# steady_backup: jq expression for a backup that watches a primary with everything up.
STEADY_BACKUP='.state == "backup" and .connections.main == "up" and .connections.aux == "up" and .module.responding == true'

# wait_steady PRIMARY BACKUP: one primary, one backup with both connections up and the module answering.
wait_steady() {
	local p=${1:-a} b=${2:-b} t
	t=$(wait_ms $((ST + T)))
	wait_for "$p" '.state == "primary"' "$t" || fail "node-$p did not become primary"
	wait_for "$b" "$STEADY_BACKUP" "$t" || fail "node-$b did not reach a steady backup"
	log "steady: node-$p primary (generation $(json_get "$p" generation)), node-$b backup"
}

# pair_up [--profile NAME] [OVERRIDE ...]: the usual start of a scenario: both configurations
# (pair_conf), a module on each node, both daemons at once, and the steady state: A primary, B backup.
pair_up() {
	pair_conf "$@"
	start_module a
	start_module b
	pair_start
	wait_steady a b
}

# NOT_PRIMARY: jq for "this node did not switch", for hold_for.
# shellcheck disable=SC2034 # for the scenarios
NOT_PRIMARY='.state != "primary"'

# result TEXT: the scenario's one-line summary, picked up by run.sh.
result() {
	local times="" t
	for t in "${TOPO_TIMES[@]}"; do
		times+="${times:+; }$t"
	done
	echo "RESULT: $*${times:+ [$times]}"
}

# ---- the whole journal (issue 9: crash loop, soak, forged peer) ----

# journal_all NODE: every journal record of NODE (events_json and journal_count without N see
# only vigilctl's default of the last 20), one JSON object a line.
journal_all() {
	vigilctl_in "$1" events --json -n 100000
}

# journal_count_all NODE JQ-FILTER: how many of all of NODE's journal records match.
journal_count_all() {
	journal_all "$1" | jq -c "select($2)" | wc -l
}

# ---- crash safety and soak (issue 9) ----

# persisted_generation NODE: the generation in NODE's state file (state_dir/state), empty if none.
persisted_generation() {
	awk '$1 == "generation" { print $2; exit }' "$(node_dir "$1")/state/state" 2>/dev/null || true
}

# vigil_tables NODE: how many nftables tables named "vigil" (family inet) the node has.
vigil_tables() {
	in_ns "node-$1" nft list tables 2>/dev/null | grep -c '^table inet vigil$' || true
}

# module_alive NODE: the node's module answers a ping (not dead, not stopped).
module_alive() {
	module_ping "$1" 300 >/dev/null 2>&1
}

# pair_converge TIMEOUT_MS: bring the pair back to one primary and one steady backup, as an
# operator would after a fault: a dead module is started again, a stale node is told
# `vigilctl rejoin` once the other is primary. Sets CONV_PRIMARY, CONV_BACKUP and CONV_MS (how
# long it took), and CONV_REJOINS (the rejoins it issued); returns 1 on timeout, after printing
# both statuses. Two stale nodes are an error at once (rejoining both would leave no primary).
# shellcheck disable=SC2034 # CONV_* are for the scenarios
CONV_PRIMARY="" CONV_BACKUP="" CONV_MS=0 CONV_REJOINS=0
# shellcheck disable=SC2034
pair_converge() {
	local timeout_ms=$1 start_ms deadline_ms n sa sb p q st
	start_ms=$(now_ms)
	deadline_ms=$((start_ms + timeout_ms))
	CONV_REJOINS=0
	for n in a b; do
		module_alive "$n" || start_module "$n"
	done
	while :; do
		sa=$(status_json a | jq -r .state 2>/dev/null) || sa=none
		sb=$(status_json b | jq -r .state 2>/dev/null) || sb=none
		[[ "$sa/$sb" != stale/stale ]] || fail "pair_converge: both nodes are stale: nobody can be primary"
		p="" q=""
		[[ $sa == primary && $sb != primary ]] && p=a q=b
		[[ $sb == primary && $sa != primary ]] && p=b q=a
		if [[ -n $p ]]; then
			st=$(status_json "$q") || st=""
			if [[ -n $st ]] && jq -e "$STEADY_BACKUP" >/dev/null 2>&1 <<<"$st"; then
				CONV_PRIMARY=$p CONV_BACKUP=$q CONV_MS=$(($(now_ms) - start_ms))
				return 0
			fi
			if [[ $(jq -r .state <<<"$st" 2>/dev/null) == stale ]] && vigilctl_in "$q" rejoin >/dev/null 2>&1; then
				CONV_REJOINS=$((CONV_REJOINS + 1))
			fi
		fi
		if (($(now_ms) >= deadline_ms)); then
			CONV_MS=$(($(now_ms) - start_ms))
			echo "pair_converge: no primary with a steady backup after $timeout_ms ms (node-a $sa, node-b $sb):" >&2
			for n in a b; do
				echo "node-$n:" >&2
				status_json "$n" | jq -c . >&2 || echo "  (no status)" >&2
			done
			return 1
		fi
		sleep "$TOPO_POLL_S"
	done
}

# vigild_fds NODE: open descriptors of the node's running vigild.
vigild_fds() {
	local pid
	pid=$(vigild_pid "$1")
	in_ns_pid "node-$1" "$pid" || fail "vigild_fds: vigild is not running on node-$1"
	find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# vigild_fd_report NODE: each open descriptor of the node's vigild and what it is; a socket
# with its protocol, from the namespace's /proc/PID/net tables (tcp, udp, raw, unix, netlink,
# packet, and their IPv6 twins). For a failure message.
vigild_fd_report() {
	local pid fd target ino proto t
	pid=$(vigild_pid "$1")
	in_ns_pid "node-$1" "$pid" || return 0
	for fd in /proc/"$pid"/fd/*; do
		target=$(readlink "$fd" 2>/dev/null) || continue
		proto=""
		if [[ $target =~ ^socket:\[([0-9]+)\]$ ]]; then
			ino=${BASH_REMATCH[1]}
			for t in tcp tcp6 udp udp6 raw raw6 icmp icmp6 unix netlink packet; do
				[[ -r /proc/$pid/net/$t ]] || continue
				if awk -v i="$ino" '{ for (k = 1; k <= NF; k++) if ($k == i) f = 1 } END { exit !f }' "/proc/$pid/net/$t"; then
					proto=" ($t)"
					break
				fi
			done
		fi
		echo "  fd ${fd##*/} -> $target$proto"
	done
}

# vigild_mem_kb NODE FIELD: VmRSS or VmHWM (kB) of the node's running vigild.
vigild_mem_kb() {
	local pid
	pid=$(vigild_pid "$1")
	in_ns_pid "node-$1" "$pid" || fail "vigild_mem_kb: vigild is not running on node-$1"
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$pid/status"
}

# topo_stop_vigilds: SIGTERM every vigild still running and wait for each to exit, up to
# NETNS_STOP_WAIT_S (60) seconds: a clean stop, after which valgrind writes its leak report.
# topo_down calls it first when NETNS_STOP_VIGILD=1 (make valgrind).
topo_stop_vigilds() {
	local n pid deadline_ms
	deadline_ms=$(($(now_ms) + ${NETNS_STOP_WAIT_S:-60} * 1000))
	for n in a b; do
		pid=$(vigild_pid "$n")
		[[ -n $pid ]] && ns_signal "node-$n" TERM "$pid" 2>/dev/null
	done
	for n in a b; do
		pid=$(vigild_pid "$n")
		[[ -n $pid ]] || continue
		while kill -0 "$pid" 2>/dev/null; do
			if (($(now_ms) >= deadline_ms)); then
				echo "topo_stop_vigilds: vigild on node-$n (pid $pid) still runs after SIGTERM" >&2
				break
			fi
			sleep 0.1
		done
	done
	return 0
}

# topo_san_check: no AddressSanitizer, UndefinedBehaviorSanitizer or LeakSanitizer report in any
# vigild log of the run (vigild under ASan + UBSan reports on stderr, which is that log); prints
# the reports found. topo_down runs it when NETNS_SAN_CHECK=1 (make asan).
topo_san_check() {
	local f found=0
	for f in "$TOPO_TMP"/*/vigild.log; do
		[[ -f $f ]] || continue
		if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f"; then
			found=1
			echo "---- sanitizer report in ${f#"$TOPO_TMP"/}:" >&2
			grep -E -A 14 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f" | head -n 60 >&2
		fi
	done
	return "$found"
}
