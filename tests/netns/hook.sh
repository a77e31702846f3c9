#!/bin/sh
# hook.sh: the vigil hook of the namespace tests: logs each call, exits as the test asks.
#
# Usage (from the [hooks] of a vigil.conf that topo.sh's make_conf wrote):
#   hook.sh LOGFILE NAME
# Appends one line to LOGFILE:
#   "$VIGIL_EVENT $VIGIL_REASON hook=NAME reason=$VIGIL_REASON node=... peer=... generation=..."
# and exits with the number in NAME.exit beside LOGFILE when that file exists (a test makes the
# sync_check hook fail with `hook_exit b sync_check 1`), else 0. vigild runs it without a shell.
log=${1:?usage: hook.sh LOGFILE NAME}
name=${2:?usage: hook.sh LOGFILE NAME}
printf '%s %s hook=%s reason=%s node=%s peer=%s generation=%s\n' \
	"${VIGIL_EVENT:-}" "${VIGIL_REASON:-}" "$name" "${VIGIL_REASON:-}" \
	"${VIGIL_NODE:-}" "${VIGIL_PEER:-}" "${VIGIL_GENERATION:-}" >>"$log"
code=0
if [ -f "$(dirname "$log")/$name.exit" ]; then
	read -r code <"$(dirname "$log")/$name.exit" || code=1
fi
exit "$code"
