#!/bin/sh
# simulate_examples.sh: vigilctl simulate on both example profiles, every fault kind: verdict, switch, summary; usage errors.
# Run from the repository root; BUILD names the build folder (default build), VIGILCTL the binary.
# Exit 0 passed, 77 skipped (no JSON reader), 1 failed.
set -u
BUILD="${BUILD:-build}"
VIGILCTL="${VIGILCTL:-$BUILD/vigilctl}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-sim.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# One field of the JSON object on stdin, printed the way JSON writes it (null, true, a bare string).
if command -v jq >/dev/null 2>&1; then
	json_field() { jq -r ".$1 | if . == null then \"null\" else tostring end"; }
elif command -v python3 >/dev/null 2>&1; then
	json_field() {
		python3 -c 'import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$1"
	}
else
	echo "simulate_examples: skipped: needs jq or python3 to read JSON" >&2
	exit 77
fi

[ -x "$VIGILCTL" ] || { echo "simulate_examples: $VIGILCTL not built" >&2; exit 1; }

# The example pair keys are made, never committed (make keys); vigil wants them 0600.
for dir in examples/default examples/fast; do
	if [ ! -f "$dir/pair.key" ]; then
		"$VIGILCTL" keygen "$dir/pair.key" >/dev/null || exit 1
	fi
	chmod 600 "$dir/pair.key"
done

# The verdict and the switch SPEC demands for each fault kind (its verdict table and simulate's fault kinds).
expected() {
	case $1 in
	none) echo "null false" ;;
	module-*) echo "module-down true" ;;
	notifier-kill) echo "notifier-down true" ;;
	primary-down) echo "primary-unreachable true" ;;
	wan-cut | backup-isolate) echo "network-down false" ;;
	esac
}

check_fault() { # conf fault verdict switched
	out="$tmp/out.json"
	if ! "$VIGILCTL" simulate -c "$1" --fault "$2" --json >"$out" 2>"$tmp/err"; then
		fail "$1 $2: exit status $? ($(cat "$tmp/err"))"
		return
	fi
	v=$(json_field verdict <"$out")
	s=$(json_field switched <"$out")
	d=$(json_field decision_ms <"$out")
	[ "$v" = "$3" ] || fail "$1 $2: verdict $v, expected $3"
	[ "$s" = "$4" ] || fail "$1 $2: switched $s, expected $4"
	[ "$2" = none ] || [ "$d" != null ] || fail "$1 $2: no decision"
	printf '%-28s %-15s %-20s switched=%-5s decision_ms=%s\n' "$1" "$2" "$v" "$s" "$d"
}

check_text() { # conf fault: the text output ends with the verdict summary
	"$VIGILCTL" simulate -c "$1" --fault "$2" >"$tmp/out.txt" 2>"$tmp/err" || {
		fail "$1 $2 (text): exit status $?"
		return
	}
	tail -n 4 "$tmp/out.txt" | cut -c1-10 >"$tmp/tail"
	printf 'verdict:  \nswitched: \ndecision: \nstate:    \n' >"$tmp/want"
	cmp -s "$tmp/tail" "$tmp/want" || fail "$1 $2 (text): does not end with the summary"
	grep -q "fault $2 starts\|fault none: nothing injected" "$tmp/out.txt" || fail "$1 $2 (text): no fault marker"
}

faults="none module-kill module-hang module-flap notifier-kill primary-down wan-cut backup-isolate"
for conf in examples/default/vigil-b.conf examples/fast/vigil-b.conf; do
	for fault in $faults; do
		# shellcheck disable=SC2046 # two words on purpose
		set -- $(expected "$fault")
		check_fault "$conf" "$fault" "$1" "$2"
		check_text "$conf" "$fault"
	done
done

# Same inputs, same output, loss included; options in any order.
conf=examples/fast/vigil-b.conf
"$VIGILCTL" simulate -c "$conf" --fault wan-cut --for 30s --loss 10 --seed 9 --json >"$tmp/a" || fail "loss run"
"$VIGILCTL" simulate --json --seed 9 --loss 10 --for 30 --fault wan-cut -c "$conf" >"$tmp/b" || fail "loss run, reordered"
cmp -s "$tmp/a" "$tmp/b" || fail "same inputs gave different output"

# Usage errors: exit 2 with one line on stderr.
usage_case() { # description, then the arguments after "simulate"
	what=$1
	shift
	"$VIGILCTL" simulate "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "usage ($what): exit $rc, expected 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "usage ($what): stderr is not one line: $(cat "$tmp/err")"
}
usage_case "no arguments"
usage_case "no -c" --fault none
usage_case "no --fault" -c "$conf"
usage_case "unknown fault" -c "$conf" --fault meteor
usage_case "bad --at" -c "$conf" --fault none --at soon
usage_case "--at beyond 2 h" -c "$conf" --fault none --at 121m
usage_case "--rtt beyond 60 s" -c "$conf" --fault none --rtt 61
usage_case "--for 0" -c "$conf" --fault none --for 0
usage_case "bad --rtt" -c "$conf" --fault none --rtt 5x
usage_case "--loss 101" -c "$conf" --fault none --loss 101
usage_case "negative --seed" -c "$conf" --fault none --seed -1
usage_case "unknown option" -c "$conf" --fault none --fast
usage_case "missing value" -c "$conf" --fault
usage_case "stray operand" -c "$conf" --fault none extra

# A bad configuration: its error line, exit 1.
printf '[node]\nrole = C\n' >"$tmp/bad.conf"
"$VIGILCTL" simulate -c "$tmp/bad.conf" --fault none >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "bad configuration: exit $rc, expected 1"
grep -q "bad.conf" "$tmp/err" || fail "bad configuration: no error line naming the file: $(cat "$tmp/err")"
"$VIGILCTL" simulate -c "$tmp/missing.conf" --fault none >/dev/null 2>&1
[ $? -eq 1 ] || fail "missing configuration: exit status is not 1"

if [ "$failures" -ne 0 ]; then
	echo "simulate_examples: $failures failure(s)"
	exit 1
fi
echo "simulate_examples: ok"
