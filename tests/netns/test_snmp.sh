#!/usr/bin/env bash
# test_snmp.sh: the status export with the real thing (issue 7, SPEC "Status export"). In
# node-b's namespace: a real net-snmp snmpd (its own configuration in the temp dir: UDP on a
# loopback high port, AgentX master on a unix socket, trap2sink to a real snmptrapd on another
# loopback port) and build/vigil-snmp on node-b's control socket, found in node-b's vigil.conf.
#  0. vigil-snmp -c on a copy of that file with [export] snmp = no exits 0 saying the export is
#     off, on a bad file exits 2 with its file:line: key: why (the unit does not restart on 2).
#  1. Every vigilStatus scalar reads what `vigilctl status --json` says (snmpget), the counters
#     what `vigilctl dump --json` says; snmpd runs on the firmware snippet's lines.
#  2. A wan-cut drill (a network-down hold): vigilHold arrives at snmptrapd; the probe table
#     (snmptable) matches the dump's probes; a walk of VIGIL-MIB is in OID order and ends in
#     endOfMibView.
#  3. Bad requests: unknown OIDs (noSuchObject, noSuchInstance), GETNEXT past the end
#     (endOfMibView), SETs (noAccess with the read-only community, notWritable with a write one).
#  4. vigild on node-b restarts: meanwhile vigilAgentVigildReachable is false and the status
#     noSuchInstance; then the agent serves again. It came back with a pair-relevant setting
#     changed: vigilConfigDrift. (Before, in 1: sync_check failing then passing, two
#     vigilSyncChange.)
#  5. `vigilctl switch` on node-b: vigilSwitch with reason manual at snmptrapd within a bound
#     (the journal stream was resubscribed after the restart); the scalars follow.
#  6. vigild stopped (SIGSTOP): every GET still answers well within snmpd's AgentX timeout.
#  7. snmpd restarts: vigil-snmp re-registers and serves again.
# netns-timeout: 240
# shellcheck disable=SC2119 # pair_up takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

VIGIL_SNMP=${VIGIL_SNMP:-$topo_build/vigil-snmp}
MIBS_BASE=$TOPO_ROOT/build/mibs-base/mibs
MIB_PATH=$MIBS_BASE:/usr/share/snmp/mibs:$TOPO_ROOT/firmware
SNMP_PORT=16161 # snmpd, on node-b's loopback
TRAP_PORT=16162 # snmptrapd, same
ROOT_OID=.1.3.6.1.4.1.8072.9999.9999.3633
NSI="No Such Instance currently exists at this OID"
NSO="No Such Object available on this agent at this OID"
EOV="No more variables left in this MIB View (It is past the end of the MIB tree)"
# A notification's way: vigild's journal poll for followers (250 ms), a status read, the
# AgentX notify, snmpd's trap: this much at most, plus slack.
TRAP_MS=500
# The agent's answers are at most this old (export/internal.h VSNMP_CACHE_MS).
CACHE_MS=1000

# A failure shows the SNMP side's logs too (topo_down shows vigild's and the hooks').
fail() {
	local f
	echo "FAIL: $TOPO_NAME: $*" >&2
	for f in "${S:-/nonexistent}"/*.log; do
		[[ -s $f ]] || continue
		echo "---- snmp/${f##*/} (last 30 lines)" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
for c in snmpd snmptrapd snmpget snmpgetnext snmpwalk snmptable snmpset socat; do
	command -v "$c" >/dev/null 2>&1 || topo_skip "needs '$c' (make deps: snmpd snmptrapd snmp socat)"
done
need_bin "$VIGIL_SNMP"
[[ -f $MIBS_BASE/SNMPv2-SMI.mib ]] || topo_skip "no base MIBs in $MIBS_BASE (make deps runs make mibs-base)"
topo_up
# sync_check every second, so that a failing hook shows in `sync` (and vigilSyncChange) at once
pair_up hooks.sync_check_interval=1s

S=$TOPO_TMP/snmp
mkdir -p "$S/conf" "$S/state/cert_indexes"
# No snmp.conf of the box, no state written outside the temp dir, for every net-snmp program.
SNMP_ENV=(env SNMPCONFPATH="$S/conf" SNMP_PERSISTENT_DIR="$S/state")

# ---- the configuration: firmware's snippet, then the test's own lines ----

write_confs() {
	{
		echo "# snmpd.conf of $TOPO_NAME ($TOPO_PREFIX)"
		echo "agentAddress udp:127.0.0.1:$SNMP_PORT"
		# the snippet's active lines, its socket moved into the temp dir; everything runs as
		# root here (and the group vigil need not exist on the test box): no agentXPerms
		grep -v '^[[:space:]]*\(#\|$\|agentXPerms\)' "$TOPO_ROOT/firmware/snmpd.conf.d/vigil.conf" |
		    sed "s|^agentXSocket .*|agentXSocket $S/agentx.sock|"
		# VIGIL-MIB alone in the view: a GETNEXT past its end meets endOfMibView
		echo "rocommunity vigiltest 127.0.0.1 $ROOT_OID"
		echo "rwcommunity vigilrw 127.0.0.1 $ROOT_OID"
		echo "trap2sink 127.0.0.1:$TRAP_PORT vigiltest"
	} >"$S/snmpd.conf"
	grep -q "^agentXSocket $S/agentx.sock" "$S/snmpd.conf" || fail "firmware snippet: no agentXSocket line"
	grep -q '^master agentx' "$S/snmpd.conf" || fail "firmware snippet: no 'master agentx' line"
	printf 'snmpTrapdAddr udp:127.0.0.1:%s\nauthCommunity log vigiltest\n' "$TRAP_PORT" >"$S/snmptrapd.conf"
}

# snmp TOOL ARGS...: a net-snmp client in node-b's namespace against the test's snmpd, VIGIL-MIB
# loaded (COMMUNITY: vigiltest; SNMP_TIMEOUT: 2 s, no retry).
snmp() {
	local tool=$1
	shift
	in_ns b "${SNMP_ENV[@]}" "$tool" -v2c -c "${COMMUNITY:-vigiltest}" -M "$MIB_PATH" \
	    -m VIGIL-MIB -t "${SNMP_TIMEOUT:-2}" -r 0 "127.0.0.1:$SNMP_PORT" "$@"
}

snmp_value() {
	snmp snmpget -OqvU "$@" 2>/dev/null
}

start_snmpd() {
	# MIBS= : snmpd reads its configuration by number and needs no MIB file
	ns_spawn b "$S/snmpd.log" "${SNMP_ENV[@]}" MIBS= snmpd -f -Lo -C -c "$S/snmpd.conf" -p "$S/snmpd.pid"
	SNMPD_PID=$SPAWNED_PID
	SNMP_TIMEOUT=0.2 poll_until $(($(now_ms) + 5000)) snmp snmpget "$ROOT_OID.1.1.1.0" ||
	    fail "snmpd did not answer on port $SNMP_PORT"
	log "snmpd on node-b:127.0.0.1:$SNMP_PORT (pid $SNMPD_PID), AgentX master on $S/agentx.sock"
}

start_trapd() {
	ns_spawn b "$S/snmptrapd.log" "${SNMP_ENV[@]}" snmptrapd -f -Lf "$S/traps.log" -C -c "$S/snmptrapd.conf" \
	    -M "$MIB_PATH" -m VIGIL-MIB:SNMPv2-MIB
	poll_until $(($(now_ms) + 5000)) grep -q 'NET-SNMP version' "$S/traps.log" || fail "snmptrapd did not start"
	log "snmptrapd on node-b:127.0.0.1:$TRAP_PORT, traps logged to $S/traps.log"
}

reachable() {
	[[ $(snmp_value vigilAgentVigildReachable.0) == true ]]
}

start_agent() {
	# no -s: the control socket is the one node-b's vigil.conf names
	ns_spawn b "$S/vigil-snmp.log" "$VIGIL_SNMP" -f -c "$(node_dir b)/vigil.conf" -x "$S/agentx.sock"
	AGENT_PID=$SPAWNED_PID
	poll_until $(($(now_ms) + 5000)) reachable || fail "vigil-snmp does not serve vigilAgentVigildReachable = true"
	log "vigil-snmp (pid $AGENT_PID) serves VIGIL-MIB from node-b's vigild"
}

# ---- comparisons ----

# The vigilStatus scalars, and what each must read as jq on status --json, printed the way
# snmpget -OqvU prints it: enumeration labels are the JSON names with "-x" written "X",
# TruthValue true/false, null as the MIB's stand-in, absent as noSuchInstance.
STATUS_OBJECTS=(vigilNode vigilRole vigilState vigilMode vigilGeneration vigilPeerState
	vigilPeerName vigilPeerVersion vigilConnMain vigilConnAux vigilNetworkStatus vigilPrimaryHost
	vigilModulePid vigilModuleResponding vigilModuleRestarts vigilVerdict vigilLastVerdict
	vigilLastVerdictTime vigilSync vigilConfigDriftFlag vigilLastSwitchReason vigilLastSwitchTime
	vigilVersion vigilUptime vigilReady vigilDrill vigilWithheld)
STATUS_JQ='def camel: gsub("-(?<c>[a-z])"; .c | ascii_upcase);
def nsi: "'"$NSI"'";
.node, (.role | ascii_downcase), (.state | camel), .mode, .generation, (.peer.state | camel),
(.peer.name // nsi), (.peer.version // nsi), .connections.main, .connections.aux,
(.network.status | camel), .primary_host, (.module.pid // 0), .module.responding,
.module.restarts, (.verdict | camel), (.last_verdict.kind // "none" | camel),
(.last_verdict.time // ""), (.sync | camel), .config_drift,
(.last_switch.reason // "none" | camel), (.last_switch.time // ""), .version, .uptime_s, .ready,
.drill, (.withheld // "")'

# The vigilCounters scalars and their sources in dump --json.
COUNTER_OBJECTS=(vigilNotifierPings vigilModulePings vigilDiagnoses vigilPeerFramesAccepted
	vigilPeerFramesRejected vigilPeerFramesUnauthenticated vigilPeerDialFailures vigilPeerTimeouts
	vigilHooksFailed vigilProbeErrors vigilControlRejected vigilJournalErrors)
COUNTER_JQ='.core.notifier_pings, .core.module_pings, .core.diagnoses, .peer.frames_accepted,
.peer.frames_rejected, (.peer["bad-mac"] + .peer["wrong-pair"] + .peer["auth-mismatch"]),
.peer.dial_failures, .peer.timeouts, .core.hooks_failed, .core.probe_errors,
([.control.rejected[]] | add), .core.journal_errors'

# One snmptable row per dump probe: index|kind|address|sent|answered|lost|rtt last|avg|min|max.
PROBES_JQ='.probes | to_entries[] | [.key + 1, .value.kind, .value.address, .value.sent,
.value.answered, .value.sent - .value.answered, .value.rtt_last_us, .value.rtt_avg_us,
.value.rtt_min_us, .value.rtt_max_us] | map(tostring) | join("|")'

dump_json() {
	NETNS_CTL_TIMEOUT=5 vigilctl_in b dump --json
}

# status_compare: every status scalar against status --json read just before and just after the
# snmpget (either may match: the agent's answer may be up to CACHE_MS old); vigilUptime between
# the two, less the cache's second. Prints the mismatches; 0 when there are none.
status_compare() {
	local before after i n=${#STATUS_OBJECTS[@]} bad=0
	local -a b a g
	before=$(status_json b) || return 1
	# mapfile, not $(...): that would drop the empty strings at the end
	mapfile -t g < <(snmp_value "${STATUS_OBJECTS[@]/%/.0}")
	after=$(status_json b) || return 1
	mapfile -t b < <(jq -r "$STATUS_JQ" <<<"$before")
	mapfile -t a < <(jq -r "$STATUS_JQ" <<<"$after")
	if ((${#g[@]} != n || ${#b[@]} != n || ${#a[@]} != n)); then
		echo "  $n objects: ${#g[@]} SNMP values, ${#b[@]}/${#a[@]} from status --json"
		return 1
	fi
	for ((i = 0; i < n; i++)); do
		if [[ ${STATUS_OBJECTS[i]} == vigilUptime ]]; then
			((g[i] >= b[i] - CACHE_MS / 1000 - 1 && g[i] <= a[i])) && continue
		elif [[ ${g[i]} == "${b[i]}" || ${g[i]} == "${a[i]}" ]]; then
			continue
		fi
		echo "  ${STATUS_OBJECTS[i]}: SNMP '${g[i]}', status --json '${b[i]}' then '${a[i]}'"
		bad=1
	done
	return $bad
}

# counters_compare: each counter between dump --json before and after the snmpget (they only grow).
counters_compare() {
	local before after i n=${#COUNTER_OBJECTS[@]} bad=0
	local -a b a g
	before=$(dump_json) || return 1
	mapfile -t g < <(snmp_value "${COUNTER_OBJECTS[@]/%/.0}")
	after=$(dump_json) || return 1
	mapfile -t b < <(jq -r "$COUNTER_JQ" <<<"$before")
	mapfile -t a < <(jq -r "$COUNTER_JQ" <<<"$after")
	((${#g[@]} == n && ${#b[@]} == n && ${#a[@]} == n)) || { echo "  $n counters: ${#g[@]} values"; return 1; }
	for ((i = 0; i < n; i++)); do
		((g[i] >= b[i] && g[i] <= a[i])) && continue
		echo "  ${COUNTER_OBJECTS[i]}: SNMP ${g[i]}, dump --json ${b[i]} then ${a[i]}"
		bad=1
	done
	return $bad
}

probes_compare() {
	local before after got
	before=$(dump_json | jq -r "$PROBES_JQ") || return 1
	got=$(snmp snmptable -OU -Cf '|' -Ci -CH vigilProbeTable 2>&1) || return 1
	after=$(dump_json | jq -r "$PROBES_JQ") || return 1
	[[ -n $got && ($got == "$before" || $got == "$after") ]] && return 0
	printf '  snmptable:\n%s\n  dump probes:\n%s\n' "$got" "$after"
	return 1
}

# until_match WHAT FN: FN passes within 5 s (the cache turns over each second), else fail with
# its last report.
until_match() {
	local what=$1 fn=$2 deadline_ms out
	deadline_ms=$(($(now_ms) + 5 * CACHE_MS))
	until out=$($fn); do
		(($(now_ms) < deadline_ms)) || fail "$what: SNMP and vigilctl disagree:"$'\n'"$out"
		sleep 0.2
	done
	log "$what: SNMP reads what vigilctl says"
}

# trap_seen NOTIFICATION PATTERN: snmptrapd logged that notification with PATTERN among its objects.
trap_seen() {
	local lines # captured first: grep -q may close the pipe early (pipefail)
	lines=$(grep "VIGIL-MIB::$1" "$S/traps.log" 2>/dev/null) || return 1
	grep -q -- "$2" <<<"$lines"
}

# wait_trap NOTIFICATION PATTERN TIMEOUT_MS
wait_trap() {
	local deadline_ms=$(($(now_ms) + $3))
	until trap_seen "$1" "$2"; do
		if (($(now_ms) >= deadline_ms)); then
			echo "wait_trap: no $1 with '$2' in $3 ms; snmptrapd's log:" >&2
			cat "$S/traps.log" >&2
			return 1
		fi
		sleep 0.02
	done
}

# node-b's vigil.conf with [export] snmp = no, on stdout.
conf_export_off() {
	awk '/^\[/ { if (sec == "export" && !done) { print "snmp = no"; done = 1 }
		sec = substr($0, 2, length($0) - 2) }
	sec == "export" && /^snmp[ \t]*=/ { next }
	{ print }
	END { if (!done) { if (sec != "export") print "[export]"; print "snmp = no" } }' \
	    "$(node_dir b)/vigil.conf"
}

# 0. [export] snmp = no: vigil-snmp exits 0 at once; a bad file is refused with its line.
export_switch_check() {
	local out rc

	conf_export_off >"$S/export-off.conf"
	"$VIGILD" --check-config -c "$S/export-off.conf" >/dev/null 2>&1 || fail "export-off.conf does not load"
	rc=0
	out=$(ip netns exec "$(ns_name b)" timeout 10 "$VIGIL_SNMP" -f -c "$S/export-off.conf" -x "$S/agentx.sock" 2>&1) || rc=$?
	[[ $rc == 0 && $out == *"[export] snmp = no: the status export is off"* ]] ||
	    fail "[export] snmp = no: vigil-snmp exited $rc saying '$out'"
	sed 's/^snmp = no$/snmp = maybe/' "$S/export-off.conf" >"$S/export-bad.conf"
	rc=0
	out=$(ip netns exec "$(ns_name b)" timeout 10 "$VIGIL_SNMP" -f -c "$S/export-bad.conf" -x "$S/agentx.sock" 2>&1) || rc=$?
	[[ $rc == 2 && $out == *"export-bad.conf:"*": snmp: \"maybe\" is not a boolean"* ]] ||
	    fail "a bad [export] snmp: vigil-snmp exited $rc saying '$out'"
	log "vigil-snmp: [export] snmp = no exits 0; a bad file exits 2 with its line"
}

# ---- 1. the live node ----

write_confs
start_snmpd
start_trapd
export_switch_check
start_agent

# Something in every counter group: a request vigild's control socket refuses (bad-cmd) and a
# frame that is no vigil frame on node-b's peer port (bad-magic).
echo '{"cmd":"bogus"}' | in_ns b socat -t 2 - "UNIX-CONNECT:$(vigild_sock b)" >/dev/null 2>&1 || true
in_ns a bash -c "printf 'GARBAGE-NOT-A-VIGIL-FRAME-0123456789' >/dev/tcp/$(ip_of b)/3633" 2>/dev/null || true

until_match "status (steady backup)" status_compare
until_match "counters" counters_compare

# The sync_check hook fails on both nodes, then passes again: two vigilSyncChange.
hook_exit a sync_check 1
hook_exit b sync_check 1
wait_for b '.sync == "not-in-sync"' "$(wait_ms 2000)" || fail "node-b: sync did not turn not-in-sync"
wait_trap vigilSyncChange 'vigilSync.0 = INTEGER: notInSync(2)' 5000 || fail "no vigilSyncChange to notInSync"
hook_exit a sync_check 0
hook_exit b sync_check 0
wait_for b '.sync == "in-sync"' "$(wait_ms 2000)" || fail "node-b: sync did not turn in-sync again"
wait_trap vigilSyncChange 'vigilSync.0 = INTEGER: inSync(1)' 5000 || fail "no vigilSyncChange to inSync"
log "sync_check failing, then passing: vigilSyncChange notInSync, then inSync"

# ---- 2. a network-down hold: vigilHold, the probe table, a walk ----

mark
vigilctl_in b drill wan-cut --for 3s >"$TOPO_TMP/drill.out" 2>&1 || fail "vigilctl drill wan-cut failed: $(cat "$TOPO_TMP/drill.out")"
wait_trap vigilHold 'vigilNotifyVerdict.0 = INTEGER: networkDown(4)' 5000 || fail "no vigilHold at snmptrapd"
log "vigilHold received: $(grep -o 'vigilNotifyDetail.0 = STRING: [^	]*' "$S/traps.log" | tail -n 1)"
wait_steady a b
until_match "probe table (after the drill)" probes_compare
until_match "status (after the hold)" status_compare
log "probe table:"
snmp snmptable -OU -Cf ' | ' vigilProbeTable

t0=$(now_ms)
walk=$(snmp snmpwalk -OU VIGIL-MIB::vigilMIB) || fail "snmpwalk of VIGIL-MIB failed (OIDs not increasing?)"
WALK_MS=$(($(now_ms) - t0))
log "snmpwalk of VIGIL-MIB: $(($(wc -l <<<"$walk") - 1)) objects in $WALK_MS ms:"
echo "$walk"
# the walk's last object, then snmpwalk's note that the view ended there (endOfMibView)
[[ $(tail -n 2 <<<"$walk" | head -n 1) == "VIGIL-MIB::vigilJournalErrors.0 = Counter32: "* ]] ||
    fail "the walk does not end at vigilJournalErrors.0"
[[ $(tail -n 1 <<<"$walk") == *"= $EOV" ]] || fail "the walk does not end in endOfMibView"
[[ $(snmp snmpgetnext -Oqv vigilJournalErrors.0) == "$EOV" ]] || fail "GETNEXT past VIGIL-MIB's end is not endOfMibView"
[[ $(snmp snmpgetnext -Oq "$ROOT_OID") == "VIGIL-MIB::vigilAgentVigildReachable.0 true" ]] ||
    fail "GETNEXT of the root does not give vigilAgentVigildReachable.0"

# ---- 3. bad requests ----

mapfile -t got < <(snmp_value "$ROOT_OID.1.99.0" "$ROOT_OID.1.2.99.0" vigilNode.1 "$ROOT_OID.1.5.1.0" vigilProbeKind.9)
want=("$NSO" "$NSO" "$NSI" "$NSO" "$NSI")
for i in 0 1 2 3 4; do
	[[ ${got[i]:-} == "${want[i]}" ]] || fail "unknown OID #$((i + 1)): '${got[i]:-}', expected '${want[i]}'"
done
out=$(snmp snmpset vigilState.0 i 3 2>&1) && fail "snmpset with the read-only community succeeded"
[[ $out == *"Reason: noAccess"* ]] || fail "snmpset (read-only community): $out"
for obj in vigilState.0 vigilAgentVigildReachable.0 vigilProbeKind.1; do
	out=$(COMMUNITY=vigilrw snmp snmpset "$obj" i 1 2>&1) && fail "snmpset $obj succeeded"
	[[ $out == *"Reason: notWritable"* ]] || fail "snmpset $obj (write community): $out"
done
expect b state backup
log "bad requests: noSuchObject, noSuchInstance, endOfMibView, noAccess, notWritable as SNMP expects"

# ---- 4. vigild restarts ----

stop_vigild b
deadline=$(($(now_ms) + 5000))
until [[ $(snmp_value vigilAgentVigildReachable.0) == false ]]; do
	(($(now_ms) < deadline)) || fail "vigild stopped, but vigilAgentVigildReachable is not false"
	sleep 0.1
done
[[ $(snmp_value vigilNode.0) == "$NSI" ]] || fail "vigild stopped, but vigilNode.0 is not noSuchInstance"
[[ -n $(snmp_value vigilAgentLastError.0) ]] || fail "vigild stopped, but vigilAgentLastError is empty"
log "vigild stopped: reachable false ($(snmp_value vigilAgentLastError.0)), status noSuchInstance"
# back with a pair-relevant setting of its own (max_restarts): configuration drift
make_conf b B "${NETNS_PROFILE:-fast}" hooks.sync_check_interval=1s module.max_restarts=3 >"$(node_dir b)/drift.conf"
"$VIGILD" --check-config -c "$(node_dir b)/drift.conf" >/dev/null || fail "drift.conf does not pass --check-config"
start_vigild b "$(node_dir b)/drift.conf"
wait_steady a b
poll_until $(($(now_ms) + 5000)) reachable || fail "vigild is back, vigil-snmp does not say so"
wait_for b '.config_drift == true' "$(wait_ms 1000)" || fail "node-b: no config_drift with max_restarts changed"
wait_trap vigilConfigDrift 'vigilConfigDriftFlag.0 = INTEGER: true(1)' 5000 || fail "no vigilConfigDrift at snmptrapd"
log "vigild back with max_restarts changed: vigilConfigDrift"
until_match "status (after vigild's restart)" status_compare

# ---- 5. a manual switch: vigilSwitch ----

mark
vigilctl_in b switch || fail "vigilctl switch on node-b failed"
wait_trap vigilSwitch 'vigilNotifyReason.0 = INTEGER: manual(4)' "$(wait_ms "$TRAP_MS")" || fail "no vigilSwitch at snmptrapd"
TRAP_DELAY_MS=$(since_mark)
check_time "switch -> vigilSwitch at snmptrapd" "$TRAP_DELAY_MS" "$TRAP_MS"
trap_seen vigilSwitch 'vigilState.0 = INTEGER: primary(3)' || fail "vigilSwitch does not carry vigilState primary"
gen=$(json_get b generation)
trap_seen vigilSwitch "vigilGeneration.0 = Gauge32: $gen" || fail "vigilSwitch does not carry generation $gen"
wait_for b '.state == "primary"' "$(wait_ms 0)" || fail "node-b did not switch"
until_match "status (primary after the switch)" status_compare
[[ $(snmp_value vigilLastSwitchReason.0) == manual ]] || fail "vigilLastSwitchReason is not manual"

# ---- 6. vigild stopped: snmpd is never held up ----

vpid=$(vigild_pid b)
ns_signal node-b STOP "$vpid" || fail "cannot stop vigild on node-b"
worst=0
deadline=$(($(now_ms) + 5000))
while :; do
	t0=$(now_ms)
	v=$(snmp_value vigilAgentVigildReachable.0 vigilNode.0 | head -n 1) || true
	t=$(($(now_ms) - t0))
	((t > worst)) && worst=$t
	[[ $v == false ]] && break
	(($(now_ms) < deadline)) || { ns_signal node-b CONT "$vpid"; fail "vigild stopped: reachable not false within 5 s ('$v')"; }
done
for _ in 1 2 3 4 5; do
	t0=$(now_ms)
	snmp_value vigilAgentVigildReachable.0 vigilNode.0 vigilProbeKind.1 >/dev/null
	t=$(($(now_ms) - t0))
	((t > worst)) && worst=$t
	sleep 0.3
done
ns_signal node-b CONT "$vpid"
STOPPED_WORST_MS=$worst
((worst < 1000)) || fail "a GET took $worst ms while vigild was stopped: snmpd's AgentX timeout is 1 s"
log "vigild stopped: the slowest GET took $worst ms"
poll_until $(($(now_ms) + 5000)) reachable ||
    fail "vigild continued, vigil-snmp does not serve again: reachable '$(snmp_value vigilAgentVigildReachable.0)'," \
        "last error '$(snmp_value vigilAgentLastError.0)', status --json: $(status_json b | head -c 300)"
grep -q 'AgentX master disconnected' "$S/vigil-snmp.log" && fail "snmpd dropped the subagent while vigild was stopped"

# ---- 7. snmpd restarts ----

ns_signal node-b TERM "$SNMPD_PID" || fail "cannot stop snmpd"
# shellcheck disable=SC2016 # $1 is the inner shell's
poll_until $(($(now_ms) + 5000)) bash -c '! kill -0 "$1" 2>/dev/null' _ "$SNMPD_PID" || fail "snmpd did not stop"
mark
start_snmpd
poll_until $(($(now_ms) + 15000)) reachable || fail "snmpd restarted: vigil-snmp did not register again within 15 s"
log "snmpd restarted: vigil-snmp serves again after $(since_mark) ms"
until_match "status (after snmpd's restart)" status_compare

log "resident memory: vigil-snmp $(ps -o rss= -p "$AGENT_PID" | tr -d " ") kB, snmpd $(ps -o rss= -p "$SNMPD_PID" | tr -d " ") kB"
result "VIGIL-MIB over snmpd: status, counters, probes, bad requests; vigilSyncChange, vigilHold, vigilConfigDrift, vigilSwitch in ${TRAP_DELAY_MS} ms; walk ${WALK_MS} ms; stopped vigild: slowest GET ${STOPPED_WORST_MS} ms"
