#!/usr/bin/env bash
# stamp.sh: prefix every line with the wall-clock time it arrived (seconds, microseconds).
#
#   stamp.sh OUT --fifo FIFO     read a FIFO (keepalived's vrrp_notify_fifo)
#   stamp.sh OUT CMD [ARG...]    read a command's output (ip -o monitor address)
#
# Each line goes to OUT as "<epoch seconds>.<microseconds> <line>" the moment it is read:
# the bench times keepalived's transitions and the service addresses coming and going from
# these stamps, never from notify scripts (which run concurrently and may log out of order).
# The FIFO is opened read-write, so opening never blocks and a writer that goes away (a killed
# keepalived) gives no end-of-file. SIGTERM ends the reader and the command it runs.
set -u
out=$1
shift
child=""
if [[ ${1:-} == --fifo ]]; then
	exec 3<>"$2"
else
	exec 3< <(exec "$@")
	child=$!
fi
trap '[[ -n $child ]] && kill "$child" 2>/dev/null; exit 0' TERM INT
while IFS= read -r -u 3 line; do
	printf '%s %s\n' "${EPOCHREALTIME/,/.}" "$line"
done >>"$out"
