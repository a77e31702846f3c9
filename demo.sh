#!/usr/bin/env bash
# demo.sh: a real vigil pair in network namespaces: the module on the primary is killed and the
# backup takes over. Usage: ./demo.sh [BUILD] (default build); `make demo` builds first.
#
# Builds the two-site topology of the namespace suite (tests/netns/topo.sh, fast profile), starts
# vigild on both nodes (A primary, B backup), kills the module on A and shows B's decision with
# vigilctl status, why and events. Every namespace and process it made is removed on the way
# out, on success, failure and Ctrl-C alike (topo.sh's EXIT trap). Without root (network
# namespaces need it) it runs `vigilctl simulate` instead: the same decision core on a virtual clock.
set -euo pipefail

cd "$(dirname "$0")"
root=$PWD
build=${1:-build}
case "$build" in
/*) ;;
*) build=$root/$build ;;
esac
vigilctl=$build/vigilctl
conf=examples/fast/vigil-b.conf
start_ms=$((${EPOCHREALTIME/[.,]/} / 1000))

if [[ ! -x $vigilctl || ! -x $build/vigild ]]; then
	echo "demo: $build/vigild or vigilctl is missing: run 'make demo'" >&2
	exit 1
fi

# ---- without root: the decision core on a virtual clock ----

simulate_instead() {
	if [[ ! -r examples/fast/pair.key ]]; then
		echo "demo: $*, and examples/fast/pair.key is missing or not readable: run 'make keys' as this user" >&2
		exit 1
	fi
	echo "vigil demo: $*."
	echo "Showing the same fault on the decision core instead: vigilctl simulate runs it against a"
	echo "simulated pair on a virtual clock, with node B's file (fast profile); B is the backup."
	echo
	echo "\$ vigilctl simulate -c $conf --fault module-kill"
	"$vigilctl" simulate -c "$conf" --fault module-kill
	echo
	echo "As root, ./demo.sh runs the real pair: two vigild daemons in network namespaces."
	exit 0
}

if [[ $(id -u) != 0 ]]; then
	simulate_instead "the live demo needs root for network namespaces"
fi

# The stand-in module of the test bed (make tools); `make demo` may not have built it.
if [[ ! -x $build/tools/fake-module ]]; then
	echo "demo: building the test bed's stand-in module (make tools)"
	make --no-print-directory -C "$root" BUILD="$build" tools >/dev/null
fi

export BUILD=$build
TOPO_PREFIX=vigil-demo-$$
# shellcheck source-path=SCRIPTDIR source=tests/netns/topo.sh
. tests/netns/topo.sh

# A missing tool or kernel feature: topo.sh would skip (exit 77); the demo falls back instead.
topo_skip() {
	simulate_instead "the live demo cannot run here ($*)"
}

# ---- presentation ----

section() {
	printf '\n%s\n%s\n' "$1" "$(printf '%s' "$1" | tr -c '' '-')"
}

say() {
	printf '%s\n' "$@"
}

# ctl NODE ARGS...: show `$ vigilctl ARGS`, then run it on that node (its namespace, its socket).
ctl() {
	local node=$1
	shift
	printf '\n$ vigilctl %s\n' "$*"
	vigilctl_in "$node" "$@"
}

# wall_ms RFC3339: a journal time in ms since the epoch.
wall_ms() {
	date -d "$1" +%s%3N
}

# ---- 1. the pair ----

cat <<'EOT'
vigil demo: two nodes guard one service, "the module". The primary runs it; the backup
watches the primary's daemon and module, and takes over when the module fails.
EOT

section "1. A two-site pair in network namespaces"
cat <<'EOT'
Six network namespaces on this machine: at each site a node, its router and a test host
(NetTest) that the backup pings to tell "the primary is down" from "I am cut off".

  site A: node-a --\                               /-- node-b   :site B
                    router-a ====== WAN ====== router-b
       nettest-a --/                               \-- nettest-b

Each node runs vigild and a stand-in module (build/tools/fake-module). The timers are the
"fast" profile (examples/fast): a killed module is switched over in about 0.6 s.
Every `$ vigilctl` below runs inside that node's namespace, against that node's vigild.

EOT
topo_init
# Ctrl-C: say so, and spare the reader the daemons' logs that topo_down shows after a failure.
interrupted=""
trap 'interrupted=1; printf "\ndemo: interrupted: stopping the daemons, removing the namespaces\n" >&2; exit 130' INT
topo_dump_logs() {
	local f
	[[ -z $interrupted ]] || return 0
	echo "demo failed; the last lines of each log:" >&2
	for f in "$TOPO_TMP"/*/vigild.log "$TOPO_TMP"/*/module.log; do
		[[ -s $f ]] || continue
		echo "---- ${f#"$TOPO_TMP"/}" >&2
		tail -n 15 "$f" >&2
	done
}
topo_up
# Both nodes name their module the same way, as a real pair does (check = unix:PATH): each
# vigild runs in its own node's folder and finds the module's socket there. With a path per
# node the pair-relevant settings would differ and status would report configuration drift.
pair_conf module.check=unix:/proc/self/cwd/module.sock
start_module a
start_module b
for node in a b; do
	cd "$(node_dir "$node")"
	start_vigild "$node"
done
cd "$root"
wait_steady a b

# ---- 2. steady state ----

section "2. Steady state"
say "Node A, the primary: it runs the module and answers B's pings (the connections and"
say "module lines are what a backup watches, so on A they stay empty)."
ctl a status
echo
say "Node B, the backup: both connections to A are up and A's module answers."
ctl b status

# ---- 3. the fault ----

section "3. Fault: the module on the primary is killed"
say "SIGKILL to the module on node A. A's vigild watches the module's PID and tells B at once;"
say "B re-checks it a few times, over both connections, before it acts."
echo
f=$(formula module-kill)
pid=$(module_pid a)
mark
kill_ms=$TOPO_MARK_MS
kill_module a
log "killed the module on node-a (kill -KILL $pid)"
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not take over"
seen_ms=$(since_mark)
log "node-b is primary (seen by vigilctl $seen_ms ms after the kill)"
wait_for a '.state == "stale"' "$(wait_ms 0)" || fail "node-a did not step down"
log "node-a has stepped down: state stale (fenced until an operator runs 'vigilctl rejoin')"

# ---- 4. the decision ----

section "4. The backup's decision"
say "B is now the primary; the verdict that made it switch and the reason are in its status."
ctl b status
events=$(vigilctl_in b events -n 100 --json)
switch_time=$(jq -r 'select(.kind == "switch") | .time' <<<"$events" | tail -n 1)
notice_time=$(jq -r 'select(.detail | test("module-gone")) | .time' <<<"$events" | head -n 1)
[[ -n $switch_time ]] || fail "node-b's journal has no switch"
echo
say "Decision time, from B's journal:"
if [[ -n $notice_time ]]; then
	say "  the kill reached B (module-gone notice)  $(($(wall_ms "$notice_time") - kill_ms)) ms after the kill"
fi
say "  B switched                               $(($(wall_ms "$switch_time") - kill_ms)) ms after the kill"
say "  doc/timing.md for this fault: (2 x max_failures - 1) x retry_delay = $E x $R ms = $f ms"

# ---- 5. why ----

section "5. Why"
say "'vigilctl why' gives the last switch in one line, then the journal entries that led to it."
ctl b why
echo
say "The journal itself, the last 15 entries: every step of the decision, with its time."
ctl b events -n 15

# ---- clean-up ----

echo
say "Cleaning up: both daemons and modules stopped, the six namespaces removed."
topo_down
left=$(ip netns list 2>/dev/null | awk -v p="$TOPO_PREFIX-" 'index($1, p) == 1 { print $1 }')
[[ -z $left ]] || fail "namespaces left behind: $left"
took=$(($(now_ms) - start_ms))
printf 'Done in %d.%d s; no namespace left (ip netns list).\n' $((took / 1000)) $((took % 1000 / 100))
