#!/usr/bin/env bash
# run.sh: run the namespace scenarios (tests/netns/test_*.sh), one line each, then
# "netns: N passed, N failed, N skipped".
#
# Usage: tests/netns/run.sh [NAME ...]   (NAME: test_module_kill or module_kill; default: all,
# test_topo first). Needs root; every scenario skips (exit 77) where a tool or kernel feature
# is missing. Environment: BUILD (build) or VIGILD, VIGILCTL, FAKE_MODULE; RESULTS (BUILD/results:
# logs netns-NAME.log and the count file netns.count, "netns passed failed skipped", for
# tests/summary.sh); NETNS_TEST_TIMEOUT (120 s per scenario; a scenario's own "# netns-timeout: S"
# line raises it for that one); NETNS_SLACK_MS, NETNS_KEEP (topo.sh).
#
# Each scenario gets its own namespace prefix (TOPO_PREFIX); whatever a scenario leaves behind,
# even one killed at its timeout, is swept after it and counts as a failure.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$BUILD/results}
limit=${NETNS_TEST_TIMEOUT:-120}
export BUILD
mkdir -p "$RESULTS"

tests=()
if (($# == 0)); then
	tests+=(tests/netns/test_topo.sh)
	for t in tests/netns/test_*.sh; do
		[[ $t == tests/netns/test_topo.sh ]] || tests+=("$t")
	done
else
	for n in "$@"; do
		n=${n%.sh}
		n=${n#test_}
		[[ -f tests/netns/test_$n.sh ]] || { echo "run.sh: no tests/netns/test_$n.sh" >&2; exit 2; }
		tests+=("tests/netns/test_$n.sh")
	done
fi

child=""
on_signal() {
	if [[ -n $child ]]; then
		# timeout(1) passes TERM on; the scenario's trap tears its topology down.
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	sweep "${prefix:-}"
	echo "netns: interrupted" >&2
	exit 130
}
trap on_signal INT TERM HUP

# sweep PREFIX: kill what runs in namespaces named PREFIX-*, delete them; prints their names.
sweep() {
	local p=$1 ns pids _
	[[ -n $p ]] || return 0
	for ns in $(ip netns list 2>/dev/null | awk -v p="$p-" 'index($1, p) == 1 { print $1 }'); do
		echo "$ns"
		for _ in 1 2 3 4 5; do
			pids=$(ip netns pids "$ns" 2>/dev/null) || break
			[[ -n $pids ]] || break
			# shellcheck disable=SC2086 # a list of PIDs
			kill -KILL $pids 2>/dev/null || true
			sleep 0.05
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}

# ms since the epoch, without a fork
now_ms() {
	local us=${EPOCHREALTIME//[!0-9]/}
	echo $((us / 1000))
}

pass=0 failed=0 skipped=0 i=0
start_all=$(now_ms)
for t in "${tests[@]}"; do
	i=$((i + 1))
	name=$(basename "$t" .sh)
	name=${name#test_}
	log=$RESULTS/netns-$name.log
	prefix="vgt$$t$i"
	# A scenario that needs longer says so in a "# netns-timeout: SECONDS" line (the larger wins).
	lim=$limit
	own=$(sed -n 's/^# netns-timeout: *\([0-9][0-9]*\) *$/\1/p' "$t" | head -n 1)
	if [[ -n $own ]] && ((own > lim)); then
		lim=$own
	fi
	t0=$(now_ms)
	TOPO_PREFIX=$prefix timeout -k 10 "$lim" bash "$t" >"$log" 2>&1 </dev/null &
	child=$!
	rc=0
	wait "$child" || rc=$?
	child=""
	secs=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
	left=$(sweep "$prefix")
	if [[ -n $left ]]; then
		echo "run.sh: left behind and removed: $left" >>"$log"
		((rc == 0 || rc == 77)) && rc=99
	fi
	res=$(sed -n 's/^RESULT: //p' "$log" | tail -n 1)
	case "$rc" in
	0)
		pass=$((pass + 1))
		printf '%-22s ok       %5s s  %s\n' "$name" "$secs" "$res"
		;;
	77)
		skipped=$((skipped + 1))
		printf '%-22s skipped  %5s s  %s\n' "$name" "$secs" "$(grep -m 1 '^SKIP: ' "$log" | sed 's/^SKIP: //')"
		;;
	*)
		failed=$((failed + 1))
		case "$rc" in
		124) why="timed out after ${lim} s" ;;
		99) why="left namespaces behind" ;;
		*) why="exit $rc" ;;
		esac
		printf '%-22s FAILED   %5s s  (%s)\n' "$name" "$secs" "$why"
		grep -E '^(FAIL|wait_for|hold_for|wait_hook)' "$log" | head -n 5 | sed 's/^/    /' || true
		echo "    (full output: $log)"
		;;
	esac
done
secs=$(awk -v ms=$(($(now_ms) - start_all)) 'BEGIN { printf "%.0f", ms / 1000 }')
printf 'netns %s %s %s\n' "$pass" "$failed" "$skipped" >"$RESULTS/netns.count"
echo "netns: ${#tests[@]} scenarios in $secs s, logs in $RESULTS/netns-*.log"
echo "netns: $pass passed, $failed failed, $skipped skipped"
((failed == 0))
