#!/usr/bin/env bash
# test_dscp.sh: DSCP on the wire (SPEC [module] qos/dscp, [network] icmp_dscp), seen by tcpdump on
# backup B's eth0. Both nodes: ping_on_aux = yes, qos = yes, dscp = af41 (34), icmp_dscp = ef (46).
#  1. Steady pair, connections established before the capture: every packet of the aux
#     connection (B aux <-> A aux, the peer port) carries DSCP 34 (TOS 0x88) in both directions;
#     every packet of the main connection carries DSCP 0.
#  2. A diagnosis (a WAN cut: network-down, which never switches; then the heal): every ICMP echo
#     request B sends (gateway, NetTest host, primary host) carries DSCP 46 (TOS 0xb8); the main
#     connection stays at 0. The cut outlasts a re-dial, so after the heal B uses a freshly
#     dialled aux connection: tagged both ways once its hellos are through, and tagged to the end.
# The test bed is IPv4 only: IPv4 TOS is checked, the IPv6 traffic class is not.
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
need_cmd tcpdump
topo_up
pair_up module.ping_on_aux=yes module.qos=yes module.dscp=af41 network.icmp_dscp=ef
port=$(conf_get "$(node_dir b)/vigil.conf" peer.port)
port=${port:-3633}
a_main=$(ip_of a main) a_aux=$(ip_of a aux) b_main=$(ip_of b main) b_aux=$(ip_of b aux)
[[ $a_main != "$a_aux" && $b_main != "$b_aux" ]] || fail "main and aux share addresses: cannot tell them apart"

CAP_PID=""
# capture_start FILE: tcpdump on node-b's eth0 into FILE; returns once it listens.
capture_start() {
	local file=$1 log=$1.log deadline_ms
	# -Z root: the temp dir is root's only; -U: each packet is written as it comes.
	ns_spawn node-b "$log" tcpdump -i eth0 -nn -U -Z root -s 128 -w "$file"
	CAP_PID=$SPAWNED_PID
	deadline_ms=$(($(now_ms) + 5000))
	poll_until "$deadline_ms" grep -q 'listening on' "$log" || {
		cat "$log" >&2
		fail "tcpdump did not start on node-b"
	}
}

# capture_stop: SIGINT to tcpdump (it flushes and prints its counts), then wait for it to go.
capture_stop() {
	local deadline_ms
	ns_signal node-b INT "$CAP_PID" || fail "tcpdump on node-b died during the capture"
	deadline_ms=$(($(now_ms) + 5000))
	while in_ns_pid node-b "$CAP_PID"; do
		(($(now_ms) < deadline_ms)) || fail "tcpdump on node-b did not stop"
		sleep 0.05
	done
	CAP_PID=""
}

# packets FILE FILTER: one line per IPv4 packet matching the BPF filter, in capture order:
# "TOS SRC DST FLAGS" (TOS as tcpdump -v prints it, e.g. 0x88; FLAGS "S" for a SYN, else "-").
packets() {
	tcpdump -r "$1" -nn -v "ip and ($2)" 2>/dev/null | awk '
		/ IP \(tos 0x/ { match($0, /tos 0x[0-9a-f]+/); tos = substr($0, RSTART + 4, RLENGTH - 4); next }
		tos != "" { print tos, $1, $3, ($0 ~ /Flags \[S/ ? "S" : "-"); tos = "" }'
}

# tos_all LABEL FILE FILTER WANT: at least one packet matches, and every one has TOS WANT.
tos_all() {
	local label=$1 file=$2 filter=$3 want=$4 tally n
	tally=$(packets "$file" "$filter" | awk '{ print $1 }' | sort | uniq -c | awk '{ printf "%s%s x%d", s, $2, $1; s = ", " }')
	n=$(packets "$file" "$filter" | wc -l)
	log "$label: $n packets, TOS $tally"
	((n > 0)) || fail "$label: no packet captured"
	[[ $tally == "$want x$n" ]] || fail "$label: expected TOS $want (DSCP $((want >> 2))) on all $n packets, saw $tally"
	[[ $label == *" to "* ]] || TOPO_TIMES+=("$label: $n x $want")
}

aux_ab="tcp and src host $a_aux and dst host $b_aux and src port $port"
aux_ba="tcp and src host $b_aux and dst host $a_aux and dst port $port"
main_ab="tcp and src host $a_main and dst host $b_main and port $port"
main_ba="tcp and src host $b_main and dst host $a_main and port $port"

# 1. The steady pair: the connections were up before the capture (no handshake in it). The window
# is a hold: 3 s of steady backup, about 15 notifier pings on each connection and 3 module pings.
cap1=$TOPO_TMP/b/steady.pcap
capture_start "$cap1"
hold_for b "$STEADY_BACKUP" 3000 || fail "node-b not steady during the capture"
capture_stop
tos_all "aux A->B" "$cap1" "$aux_ab" 0x88
tos_all "aux B->A" "$cap1" "$aux_ba" 0x88
tos_all "main A->B" "$cap1" "$main_ab" 0x0
tos_all "main B->A" "$cap1" "$main_ba" 0x0

# 2. A diagnosis: the WAN cut makes every notifier ping miss; B probes its gateway, the NetTest
# host near A and A's host, and holds (network-down). Healed, B re-dials both connections.
cap2=$TOPO_TMP/b/diagnosis.pcap
capture_start "$cap2"
f=$(formula wan-cut)
mark
wan_cut a
wait_for b '.verdict == "network-down"' "$(wait_ms "$f")" || fail "node-b: no network-down verdict (no diagnosis)"
check_time "WAN cut -> network-down (diagnosis)" "$(since_mark)" "$f"
# Past a re-dial (every notifier_reconnect_delay while reconnecting): B gives the stalled
# connections up and dials new ones, so after the heal the aux connection is a fresh one.
hold_for b '.verdict == "network-down"' $((NRD + 500)) || fail "node-b left the network-down hold"
mark
wan_heal
wait_for b "$STEADY_BACKUP"' and .verdict == "none"' "$(wait_ms "$NRD")" || fail "node-b did not return to backup"
check_time "heal -> backup" "$(since_mark)" "$NRD"
# A few notifier and module pings on the new connections.
hold_for b "$STEADY_BACKUP" 2000 || fail "node-b not steady after the heal"
capture_stop

echo_req="icmp[icmptype] == icmp-echo and (src host $b_main or src host $b_aux)"
tos_all "ICMP echo requests from B" "$cap2" "$echo_req" 0xb8
for dst in "$(router_ip b)" "$(nettest_ip a)" "$a_main"; do
	tos_all "ICMP echo requests to $dst" "$cap2" "$echo_req and dst host $dst" 0xb8
done
tos_all "main A->B (diagnosis, re-dial)" "$cap2" "$main_ab" 0x0
tos_all "main B->A (diagnosis, re-dial)" "$cap2" "$main_ba" 0x0

# The aux connections in this capture, one by one (B's port tells them apart): one B had before
# the cut, and one it dialled after the heal when the old one was given up (its SYN is in the
# capture; dials that went nowhere during the cut have nothing past their SYN). A connection seen
# from its SYN: past the TCP handshake and the hellos (each side tags the connection when the
# peer's hello arrives), every packet is tagged, both ways; the untagged ones before the first
# tagged one are counted for the report. One that was up before: every packet tagged. A kernel
# RST is not the socket's and is left out.
aux_any="tcp and ((src host $b_aux and dst host $a_aux and dst port $port) or (src host $a_aux and dst host $b_aux and src port $port))"
b_ports=$(packets "$cap2" "$aux_any" | awk -v b="$b_aux" '{ s = $2; if (index(s, b ".") != 1) s = $3; sub(/:$/, "", s); sub(/.*\./, "", s); print s }' | sort -un)
checked=0 dialled=0
for bp in $b_ports; do
	is_new=0
	[[ -n $(packets "$cap2" "src host $b_aux and src port $bp and dst port $port and tcp[tcpflags] & tcp-syn != 0") ]] && is_new=1
	was_used=$checked
	for dir in "A->B:src host $a_aux and src port $port and dst host $b_aux and dst port $bp" \
		"B->A:src host $b_aux and src port $bp and dst host $a_aux and dst port $port"; do
		label="aux ${dir%%:*} (port $bp, $( ((is_new)) && echo dialled after the heal || echo up before the cut))"
		seq=$(packets "$cap2" "tcp and ${dir#*:} and tcp[tcpflags] & (tcp-syn|tcp-rst) == 0" | awk '{ print $1 }' | tr '\n' ' ')
		read -r -a tos <<<"$seq"
		((${#tos[@]} > 0)) || continue
		first=0
		if ((is_new)); then
			first=-1
			for i in "${!tos[@]}"; do
				if [[ ${tos[$i]} == 0x88 ]]; then
					first=$i
					break
				fi
			done
			((first >= 0)) || fail "$label: never tagged (TOS: $seq)"
		fi
		rest=("${tos[@]:first}")
		bad=$(printf '%s\n' "${rest[@]}" | grep -vc '^0x88$' || true)
		log "$label: ${#tos[@]} packets (SYN and RST left out): $first untagged first, then ${#rest[@]} of which $bad not at 0x88"
		((bad == 0)) || fail "$label: $bad packets not at TOS 0x88 (TOS in order: $seq)"
		((is_new)) && TOPO_TIMES+=("re-dialled aux ${dir%%:*}: $first untagged, then ${#rest[@]} x 0x88")
		checked=$((checked + 1))
	done
	((is_new && checked > was_used)) && dialled=$((dialled + 1))
done
((checked >= 2)) || fail "the aux connection carried nothing in the diagnosis capture"
((dialled >= 1)) || fail "no aux connection was dialled and used after the heal (a re-dial was due every $NRD ms)"

result "aux DSCP 34 both ways, main 0, diagnosis ICMP DSCP 46 (IPv4)"
