#!/bin/sh
# demo.sh: what vigil would decide, and when, for three faults on the fast-profile example pair.
#
# Runs `vigilctl simulate` (the real decision core on a virtual clock) with node B's file,
# B being the backup. Usage: ./demo.sh [BUILD] (default build); `make demo` builds and makes
# the example key first. The namespace pair demo replaces this one when the daemon exists.
set -eu

cd "$(dirname "$0")"
build="${1:-build}"
vigilctl="$build/vigilctl"
conf=examples/fast/vigil-b.conf

if [ ! -x "$vigilctl" ]; then
	echo "demo: $vigilctl is missing: run 'make demo'" >&2
	exit 1
fi

show() {
	fault=$1
	shift
	printf '\n=== fault %s\n' "$fault"
	for line in "$@"; do
		printf '    %s\n' "$line"
	done
	printf '\n$ vigilctl simulate -c %s --fault %s\n' "$conf" "$fault"
	"$vigilctl" simulate -c "$conf" --fault "$fault"
}

cat <<EOT
vigil demo: the backup (node B, $conf: fast profile, sub-second timers)
watches the primary A. Each run below starts a fault at virtual time 0 and prints
the backup's timeline: what it saw, the verdict it reached, and whether it switched.
EOT

show module-kill \
	"The module (process sipd) on the primary is killed. Its exit is watched, so the" \
	"backup counts a failure at once, retries, and switches over: module-down."
show notifier-kill \
	"vigild on the primary dies but the host still answers ping. The backup tries to" \
	"reconnect for reconnect_timeout (3 s here), then switches: notifier-down."
show wan-cut \
	"The WAN between the sites is cut. The backup's NetTest addresses near the primary" \
	"fall silent too, so it is the backup that is cut off: network-down, it holds and" \
	"never switches (a switch here would leave two primaries)."
printf '\nMore: %s simulate -c FILE --fault KIND [--at T] [--for D] [--rtt T] [--loss PCT] [--json]\n' "$vigilctl"
