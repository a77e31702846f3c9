# shellcheck shell=bash
# lib.sh: the bench's helpers on top of tests/netns/topo.sh: vigil and keepalived pairs on the
# two-site test bed, faults at a random phase, and what each run decided, when, and whether
# both nodes claimed the primary role at once. Sourced by bench/run.sh after topo.sh.
#
# Systems (BENCH_SYSTEMS): vigil; ka1 = keepalived, unicast VRRPv3 with the module tracked by a
# vrrp_script; ka2 = ka1 plus a check on the backup that pings the NetTest host near the
# primary (keepalived's only way to see a WAN cut). Each system has a service address of its
# own on each node's LAN (SVC_LAST below): the primary holds its own, a backup that takes the
# role holds its own, so "both hold theirs" is a split brain whichever system runs, and the
# systems can run side by side (the loss windows) without touching each other's addresses.
#
# Times are wall-clock milliseconds (now_ms, EPOCHREALTIME) everywhere: the fault's mark, the
# stamps of bench/stamp.sh (keepalived's notify FIFO, ip monitor) and vigild's journal (its
# RFC 3339 time has milliseconds).

BENCH_DIR=$TOPO_ROOT/bench
declare -A SVC_LAST=([vigil]=200 [ka1]=201 [ka2]=202) # the service address: 10.<site>.0.<this>/24
declare -A KA_VRID=([ka1]=51 [ka2]=52)
# keepalived drops an advert whose address list is not its own, so the advertised list is one
# address both nodes share (never used by anything); the per-site service address is
# virtual_ipaddress_excluded: held by the master, not advertised.
declare -A KA_ADV_VIP=([ka1]=10.9.9.51 [ka2]=10.9.9.52)
declare -A SYS_NAME=([vigil]="vigil" [ka1]="keepalived (1)" [ka2]="keepalived (2)")
BENCH_SETTLE_MS=${BENCH_SETTLE_MS:-2000} # watched after a switch: the old primary letting go
BENCH_MON_PIDS=()

svc_ip() { # svc_ip SYSTEM NODE
	echo "10.${TOPO_NET[$2]}.0.${SVC_LAST[$1]}"
}

# holds SYSTEM NODE: the node has that system's service address on eth0 now.
holds() {
	in_ns "node-$2" ip -o -4 addr show dev eth0 | grep -q " inet $(svc_ip "$1" "$2")/"
}

ms_to_s() { # ms_to_s MS: "1.234" for sleep
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# ---- timers: vigil's from the example profile, keepalived's matched to them ----

# bench_timers PROFILE: vigil's symbols (topo.sh timers_load) from examples/PROFILE, and
# keepalived's: KA_ADVERT (advert_int), the module script (KA_IV interval, KA_TO timeout,
# KA_FALL, KA_RISE), the NetTest script of ka2 (KA_NT_W ping wait, KA_NT_TO timeout).
# default: keepalived's own defaults (advert_int 1, interval 1, fall 1, rise 1), as it runs
# out of the box. fast: matched to examples/fast: advert_int = ping_delay (0.2 s), interval =
# module timeout (1 s, also keepalived's floor: whole seconds), fall = max_failures (2),
# the NetTest ping's wait = nettest_timeout (0.3 s).
bench_timers() {
	BENCH_PROFILE_NOW=$1
	timers_load "$TOPO_ROOT/examples/$1/vigil-b.conf"
	case "$1" in
	default) KA_ADVERT=1 KA_ADVERT_MS=1000 KA_IV=1 KA_TO=1 KA_FALL=1 KA_RISE=1 KA_NT_W=1 KA_NT_TO=2 ;;
	fast) KA_ADVERT=0.2 KA_ADVERT_MS=200 KA_IV=1 KA_TO=1 KA_FALL=2 KA_RISE=1 KA_NT_W=0.3 KA_NT_TO=1 ;;
	*) fail "bench_timers: profile default or fast, not '$1'" ;;
	esac
	# RFC 5798: master down interval = 3 advert_int + skew, skew = (256 - priority) advert / 256
	KA_MASTER_DOWN_MS=$((3 * KA_ADVERT_MS + (256 - 100) * KA_ADVERT_MS / 256))
}

# ka_expect KIND: keepalived's slowest decision for a fault, for the windows: a failed check
# needs fall runs (one interval apart, each up to its timeout), then the master sends priority
# 0 and the backup waits its skew; a silent master costs the master down interval.
ka_expect() {
	case "$1" in
	module-*) echo $(((KA_FALL + 1) * KA_IV * 1000 + KA_TO * 1000 + KA_MASTER_DOWN_MS)) ;;
	*) echo $((KA_MASTER_DOWN_MS + (KA_NT_TO + KA_IV) * 1000)) ;;
	esac
}

# fault_window KIND: how long a run watches after the fault: the later of vigil's bound for the
# fault (doc/timing.md at the slowest phase, plus topo.sh's slack) and keepalived's. For the
# faults where the right answer is not to switch, the longest automatic switch vigil's
# configuration allows: a wrong switch by any path would show within it.
fault_window() {
	local k v
	case "$1" in
	module-kill | module-hang | daemon-kill | primary-down)
		case "$1" in
		daemon-kill) k=notifier-kill ;;
		*) k=$1 ;;
		esac
		v=$(bound_ms "$(formula "$k")")
		;;
	*) v=$(bound_ms "$(formula longest)") ;;
	esac
	k=$(bound_ms "$(ka_expect "$1")")
	echo $((v > k ? v : k))
}

# phase_ms SYSTEM KIND: the timer a fault meets: module faults the module check's period (vigil
# module.timeout, keepalived's script interval), the others the peer's heartbeat (vigil
# monitor.ping_delay, keepalived advert_int). The fault waits a random fraction of it.
phase_ms() {
	local period
	case "$1:$2" in
	vigil:module-*) period=$T ;;
	vigil:*) period=$P ;;
	*:module-*) period=$((KA_IV * 1000)) ;;
	*) period=$KA_ADVERT_MS ;;
	esac
	echo $(((RANDOM * 32768 + RANDOM) % period))
}

# ---- vigil ----

vigil_conf() { # vigil_conf PROFILE: both files, service address per node, no hooks
	pair_conf --profile "$1" "a:netcfg.vip=$(svc_ip vigil a)/24 dev eth0" \
	    "b:netcfg.vip=$(svc_ip vigil b)/24 dev eth0" \
	    hooks.commence= hooks.discontinue= hooks.drain= hooks.sync_check=
}

vigil_up() { # vigil_up PROFILE: a fresh pair (state cleared), A primary holding its address
	rm -rf "$(node_dir a)/state" "$(node_dir b)/state"
	vigil_conf "$1"
	pair_start
	wait_steady a b
	poll_until $(($(now_ms) + 5000)) holds vigil a || fail "vigil: node-a does not hold $(svc_ip vigil a)"
}

vigil_down() { # both daemons stopped (SIGTERM), whatever state they are in
	local n
	for n in b a; do
		if vigild_alive "$n"; then
			stop_vigild "$n" || true
		fi
	done
}

vigil_kill() { # vigil_kill NODE: SIGKILL vigild (a crash: nothing is cleaned up)
	ns_signal "node-$1" KILL "$(vigild_pid "$1")" || fail "vigil_kill: vigild not running on node-$1"
}

# ---- keepalived ----

# ka_conf SYSTEM NODE: keepalived.conf for the node. A starts as MASTER (priority 150), B as
# BACKUP (100), preemption on (keepalived's default). Both track their own module with the fake
# module's client (exit 0 on PONG), weight 0: a failing check puts the instance in FAULT, and a
# master going to FAULT sends priority 0 so the backup takes over after its skew time.
ka_conf() {
	local sys=$1 n=$2 other=b state=MASTER prio=150 dir ping track=chk_module
	dir=$(node_dir "$n")
	ping=$(command -v ping)
	if [[ $n == b ]]; then
		other=a state=BACKUP prio=100
	fi
	if [[ $sys == ka2 && $n == b ]]; then
		track+=$'\n        chk_nettest'
	fi
	cat <<-EOF
		# keepalived.conf for node-$n: ${SYS_NAME[$sys]}, profile $BENCH_PROFILE_NOW; made by bench/lib.sh
		global_defs {
		    router_id node-$n
		    vrrp_version 3
		    vrrp_notify_fifo $dir/$sys.fifo
		    script_user root
		    enable_script_security
		}
		vrrp_script chk_module {
		    script "$FAKE_MODULE --ping $(module_sock "$n") --timeout-ms 800"
		    interval $KA_IV
		    timeout $KA_TO
		    fall $KA_FALL
		    rise $KA_RISE
		}
	EOF
	if [[ $sys == ka2 && $n == b ]]; then
		cat <<-EOF
			# The NetTest host near the primary's site: no answer means this backup is cut off.
			vrrp_script chk_nettest {
			    script "$ping -n -q -c 1 -W $KA_NT_W $(nettest_ip a)"
			    interval $KA_IV
			    timeout $KA_NT_TO
			    fall 1
			    rise 1
			}
		EOF
	fi
	cat <<-EOF
		vrrp_instance VI_1 {
		    state $state
		    interface eth0
		    virtual_router_id ${KA_VRID[$sys]}
		    priority $prio
		    advert_int $KA_ADVERT
		    unicast_src_ip $(ip_of "$n")
		    unicast_peer {
		        $(ip_of "$other")
		    }
		    virtual_ipaddress {
		        ${KA_ADV_VIP[$sys]}/32 dev eth0
		    }
		    virtual_ipaddress_excluded {
		        $(svc_ip "$sys" "$n")/24 dev eth0
		    }
		    track_script {
		        $track
		    }
		}
	EOF
}

ka_file() { # ka_file SYSTEM NODE WHAT: conf, fifo, log, pid, vrrp.pid, states (stamped FIFO lines)
	echo "$(node_dir "$2")/$1.$3"
}

# ka_start SYSTEM NODE: the FIFO and its stamping reader, then keepalived in the node's namespace,
# VRRP only (-P), foreground (-n), logging to its log, with pid files of its own (-p, -r) so
# two instances on a node never clash and nothing is written outside the run's temp dir.
ka_start() {
	local sys=$1 n=$2 fifo
	fifo=$(ka_file "$sys" "$n" fifo)
	ka_conf "$sys" "$n" >"$(ka_file "$sys" "$n" conf)"
	keepalived -t -f "$(ka_file "$sys" "$n" conf)" >"$(ka_file "$sys" "$n" check)" 2>&1 || {
		cat "$(ka_file "$sys" "$n" check)" >&2
		fail "$sys: keepalived -t refuses node-$n's configuration"
	}
	rm -f "$fifo" "$(ka_file "$sys" "$n" pid)" "$(ka_file "$sys" "$n" vrrp.pid)"
	mkfifo -m 600 "$fifo"
	: >"$(ka_file "$sys" "$n" states)"
	ns_spawn "node-$n" /dev/null bash "$BENCH_DIR/stamp.sh" "$(ka_file "$sys" "$n" states)" --fifo "$fifo"
	echo "$SPAWNED_PID" >"$(ka_file "$sys" "$n" reader)"
	ns_spawn "node-$n" "$(ka_file "$sys" "$n" log)" keepalived -n -l -D -G -P \
	    -f "$(ka_file "$sys" "$n" conf)" -p "$(ka_file "$sys" "$n" pid)" -r "$(ka_file "$sys" "$n" vrrp.pid)"
	echo "$SPAWNED_PID" >"$(ka_file "$sys" "$n" main)"
}

ka_state() { # ka_state SYSTEM NODE: the node's last state from its FIFO (MASTER, BACKUP, FAULT, ...)
	awk '$2 == "INSTANCE" { s = $4 } END { print s }' "$(ka_file "$1" "$2" states)"
}

ka_pids() { # ka_pids SYSTEM NODE: keepalived's parent and its VRRP child
	local f p
	for f in main vrrp.pid; do
		p=$(cat "$(ka_file "$1" "$2" "$f")" 2>/dev/null) || p=""
		[[ -n $p ]] && in_ns_pid "node-$2" "$p" && echo "$p"
	done
	return 0
}

ka_steady() { # ka_steady SYSTEM: A master holding its address, B backup
	[[ $(ka_state "$1" a) == MASTER && $(ka_state "$1" b) == BACKUP ]] && holds "$1" a
}

ka_up() { # ka_up SYSTEM: both nodes, until A is master and B backup
	local sys=$1 deadline_ms
	ka_start "$sys" a
	ka_start "$sys" b
	deadline_ms=$(($(now_ms) + KA_MASTER_DOWN_MS + 10000))
	if ! poll_until "$deadline_ms" ka_steady "$sys"; then
		tail -n 20 "$(ka_file "$sys" a log)" "$(ka_file "$sys" b log)" >&2
		fail "$sys: no steady pair (A $(ka_state "$sys" a), B $(ka_state "$sys" b))"
	fi
	log "$sys: node-a MASTER, node-b BACKUP"
}

# ka_kill NODE SYSTEM: a crash of the whole daemon: the parent is stopped first so it cannot
# respawn the VRRP child, then both get SIGKILL; nothing is cleaned up (the address stays).
ka_kill() {
	local sys=$2 n=$1 main vrrp
	read -r main <"$(ka_file "$sys" "$n" main)"
	read -r vrrp <"$(ka_file "$sys" "$n" vrrp.pid)"
	ns_signal "node-$n" STOP "$main" || fail "ka_kill: keepalived not running on node-$n"
	ns_signal "node-$n" KILL "$vrrp" || true
	ns_signal "node-$n" KILL "$main" || true
}

# ka_down SYSTEM: SIGTERM to each parent (the VRRP child leaves cleanly), SIGKILL after 5 s;
# then the FIFO readers.
ka_down() {
	local sys=$1 n p deadline_ms
	for n in a b; do
		for p in $(ka_pids "$sys" "$n"); do
			ns_signal "node-$n" CONT "$p" || true
			ns_signal "node-$n" TERM "$p" || true
		done
	done
	deadline_ms=$(($(now_ms) + 5000))
	for n in a b; do
		while [[ -n $(ka_pids "$sys" "$n") ]]; do
			if (($(now_ms) > deadline_ms)); then
				for p in $(ka_pids "$sys" "$n"); do
					ns_signal "node-$n" KILL "$p" || true
				done
			fi
			sleep 0.05
		done
		read -r p <"$(ka_file "$sys" "$n" reader)" 2>/dev/null || p=""
		ns_signal "node-$n" TERM "$p" 2>/dev/null || true
	done
}

# ---- any system ----

sys_up() { # sys_up SYSTEM
	case "$1" in
	vigil) vigil_up "$BENCH_PROFILE_NOW" ;;
	*) ka_up "$1" ;;
	esac
}

sys_down() {
	case "$1" in
	vigil) vigil_down ;;
	*) ka_down "$1" ;;
	esac
}

# sys_pids SYSTEM NODE: the daemon's processes (vigild; keepalived's parent and VRRP child).
sys_pids() {
	case "$1" in
	vigil) vigild_alive "$2" && vigild_pid "$2" ;;
	*) ka_pids "$1" "$2" ;;
	esac
	return 0
}

# ---- the test bed between runs ----

# bench_reset: no fault left, fresh modules on both nodes, no service address, no leftover
# nftables table of a killed vigild, and the nodes reach each other again.
bench_reset() {
	local n s deadline_ms
	wan_heal
	loss 0 a
	loss 0 b
	for n in a b; do
		isolate_heal "$n"
		if [[ -f $(module_pidfile "$n") ]]; then
			ns_signal "node-$n" KILL "$(module_pid "$n")" || true
		fi
		for s in "${!SVC_LAST[@]}"; do
			in_ns "node-$n" ip addr del "$(svc_ip "$s" "$n")/24" dev eth0 2>/dev/null || true
		done
		for s in "${KA_ADV_VIP[@]}"; do
			in_ns "node-$n" ip addr del "$s/32" dev eth0 2>/dev/null || true
		done
		in_ns "node-$n" nft delete table inet vigil 2>/dev/null || true
		in_ns "node-$n" nft delete table inet benchcount 2>/dev/null || true
	done
	start_module a
	start_module b
	deadline_ms=$(($(now_ms) + 10000))
	poll_until "$deadline_ms" pingable node-b "$(ip_of a)" || fail "reset: node-b cannot reach node-a"
	poll_until "$deadline_ms" pingable node-a "$(ip_of b)" || fail "reset: node-a cannot reach node-b"
}

# ---- watching ----

# mon_start DIR: an `ip monitor address` on each node, stamped, into DIR/addr-NODE.log, and
# each node's addresses at the start (DIR/addr0-NODE): who holds what at any moment is these
# two put together.
mon_start() {
	local dir=$1 n
	BENCH_MON_PIDS=()
	for n in a b; do
		: >"$dir/addr-$n.log"
		ns_spawn "node-$n" /dev/null bash "$BENCH_DIR/stamp.sh" "$dir/addr-$n.log" ip -o -4 monitor address
		BENCH_MON_PIDS+=("$n:$SPAWNED_PID")
	done
	sleep 0.2 # subscribed (ip needs a few ms); a change in between is also in the snapshot
	for n in a b; do
		printf '%s ' "$(now_ms)" >"$dir/addr0-$n"
		in_ns "node-$n" ip -o -4 addr show dev eth0 | awk '{ printf "%s ", $4 } END { print "" }' >>"$dir/addr0-$n"
	done
}

mon_stop() {
	local e
	for e in "${BENCH_MON_PIDS[@]}"; do
		ns_signal "node-${e%%:*}" TERM "${e#*:}" 2>/dev/null || true
	done
	BENCH_MON_PIDS=()
}

# claims DIR SYSTEM NODE: "t_ms 0|1" lines: the node's hold on its service address, from the
# snapshot and the monitor's additions ("inet ADDR/...") and deletions ("Deleted ...").
claims() {
	local dir=$1 ip
	ip=$(svc_ip "$2" "$3")
	awk -v ip="$ip/" '
		FNR == 1 && FILENAME ~ /addr0-/ {
			h = 0
			for (i = 2; i <= NF; i++) if (index($i, ip) == 1) h = 1
			printf "%.0f %d\n", $1, h
			next
		}
		{
			for (i = 2; i <= NF; i++) if ($i == "inet" && index($(i + 1), ip) == 1) {
				printf "%.0f %d\n", $1 * 1000, ($2 == "Deleted" ? 0 : 1)
			}
		}' "$dir/addr0-$3" "$dir/addr-$3.log" | sort -s -n -k1,1
}

# split_ms DIR SYSTEM T0 T1 [IGNORE_A]: milliseconds within [T0, T1] in which both nodes held
# their service address, and whether they still did at T1: "MS 0|1". IGNORE_A=1 when node A is
# down (a host that is down holds nothing, whatever its last state was).
split_ms() {
	local dir=$1 sys=$2 t0=$3 t1=$4 ign=${5:-0}
	{
		claims "$dir" "$sys" a | sed 's/^/a /'
		claims "$dir" "$sys" b | sed 's/^/b /'
	} | sort -s -n -k2,2 | awk -v t0="$t0" -v t1="$t1" -v ign="$ign" '
		function both() { return (ign ? 0 : ha) && hb }
		function upto(t) {
			if (t > t1) t = t1
			if (t > last && last >= t0 && both()) s += t - last
			if (t > last) last = t
		}
		BEGIN { ha = hb = 0; last = t0; s = 0 }
		{
			if ($2 <= t0) { if ($1 == "a") ha = $3; else hb = $3; next }
			upto($2)
			if ($1 == "a") ha = $3; else hb = $3
		}
		END { upto(t1); printf "%d %d\n", s, both() ? 1 : 0 }'
}

# first_claim DIR SYSTEM NODE T0: ms after T0 at which the node first added its address, or "".
first_claim() {
	claims "$1" "$2" "$3" | awk -v t0="$4" '$1 >= t0 && $2 == 1 { print $1 - t0; exit }'
}

# ka_fault_ms SYSTEM NODE T0 T1: how long within [T0, T1] the node was in FAULT (a keepalived
# backup in FAULT would not take over, whatever happened to the master).
ka_fault_ms() {
	awk -v t0="$3" -v t1="$4" '
		$2 == "INSTANCE" {
			t = $1 * 1000
			if (t > t1) t = t1
			if (t > t0 && f) s += t - (last > t0 ? last : t0)
			f = ($4 == "FAULT"); last = t
		}
		END { if (f) s += t1 - (last > t0 ? last : t0); printf "%.0f\n", s }' "$(ka_file "$1" "$2" states)"
}

# ka_events SYSTEM NODE T0: the node's states after T0, "ms STATE" each (relative to T0).
ka_events() {
	awk -v t0="$3" '$2 == "INSTANCE" { t = int($1 * 1000); if (t >= t0) print t - t0, $4 }' \
	    "$(ka_file "$1" "$2" states)"
}

# journal_ms: jq function: a journal record's RFC 3339 time (with milliseconds) in epoch ms.
JQ_MS='def ms: (.time[0:19] + "Z" | fromdateiso8601) * 1000 + (.time[20:23] | tonumber);'

# vigil_events NODE T0: the node's journal records after T0 as "ms kind verdict|reason" lines.
vigil_events() {
	events_json "$1" | jq -r --argjson t0 "$2" "$JQ_MS"'
		select(ms >= $t0) | "\(ms - $t0) \(.kind) \(.verdict // .reason // "-")"'
}

# ---- resources ----

# cpu_us PID...: CPU time so far, microseconds, of the processes and their reaped children:
# each thread's time on the CPU from /proc/PID/task/*/schedstat (nanoseconds; vigild's worker
# threads live as long as it does), plus cutime + cstime from /proc/PID/stat (clock ticks: the
# children's total is kept exactly and rounded once, so one tick over the window), which holds
# keepalived's check scripts, children of its VRRP process.
cpu_us() {
	local p sum=0 v hz
	hz=$(getconf CLK_TCK)
	for p in "$@"; do
		v=$(cat /proc/"$p"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s / 1000 }') || v=0
		sum=$((sum + ${v:-0}))
		v=$(awk -v hz="$hz" '{ sub(/^.*\) /, ""); printf "%.0f", ($14 + $15) * 1000000 / hz }' "/proc/$p/stat" 2>/dev/null) || v=0
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

hwm_kb() { # hwm_kb PID...: the sum of VmHWM
	local p sum=0 v
	for p in "$@"; do
		v=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$p/status" 2>/dev/null) || v=0
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# count_start: nftables counters of every IP packet in and out of each node's eth0.
count_start() {
	local n
	for n in a b; do
		in_ns "node-$n" nft -f - <<-'EOF'
			add table inet benchcount
			delete table inet benchcount
			table inet benchcount {
				counter rx { }
				counter tx { }
				chain input {
					type filter hook input priority -200; policy accept;
					iifname "eth0" counter name rx
				}
				chain output {
					type filter hook output priority -200; policy accept;
					oifname "eth0" counter name tx
				}
			}
		EOF
	done
}

# count_read NODE: "packets bytes" in + out since count_start.
count_read() {
	in_ns "node-$1" nft -j list counters table inet benchcount |
	    jq -r '[.nftables[] | .counter? | select(.)] | "\(map(.packets) | add) \(map(.bytes) | add)"'
}

count_stop() {
	local n
	for n in a b; do
		in_ns "node-$n" nft delete table inet benchcount 2>/dev/null || true
	done
}

# ---- the loss on the wire ----

# e2e_loss: a burst of echoes B -> A, counted by nftables where they arrive: the requests at A,
# the replies at B. Prints "B->A% A->B% sent".
e2e_loss() {
	local burst=${BENCH_LOSS_BURST:-1000} out sent at_a at_b n
	for n in a b; do
		in_ns "node-$n" nft -f - <<-EOF
			add table inet benchloss
			delete table inet benchloss
			table inet benchloss {
				counter n { }
				chain input {
					type filter hook input priority 0; policy accept;
					ip saddr $(ip_of "$([[ $n == a ]] && echo b || echo a)") ip daddr $(ip_of "$n") icmp type $([[ $n == a ]] && echo echo-request || echo echo-reply) counter name n
				}
			}
		EOF
	done
	out=$(in_ns node-b ping -n -q -c "$burst" -i 0.002 -W 1 "$(ip_of a)" 2>&1) || true
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
	at_a=$(in_ns node-a nft -j list counter inet benchloss n | jq '[.nftables[] | .counter? | select(.) | .packets] | first')
	at_b=$(in_ns node-b nft -j list counter inet benchloss n | jq '[.nftables[] | .counter? | select(.) | .packets] | first')
	for n in a b; do
		in_ns "node-$n" nft delete table inet benchloss
	done
	awk -v s="${sent:-0}" -v a="$at_a" -v b="$at_b" 'BEGIN {
		ba = (s > 0) ? 100 * (s - a) / s : 0
		ab = (a > 0) ? 100 * (a - b) / a : 0
		printf "%.2f %.2f %d\n", ba, ab, s }'
}
