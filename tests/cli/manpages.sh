#!/bin/sh
# manpages.sh: doc/man/vigild.8, vigilctl.8 and vigil.conf.5 against the code: every configuration
# key (with its default, range and values), every command, option, signal, environment variable,
# file and state/verdict/reason name the programs know must be documented, nothing documented may be
# gone from the code, and the pages must render without warnings.
#
# The truth comes from the built programs and the sources, never from a list kept here:
#   - keys: `vigild --check-config --print` of examples/fast/vigil-b.conf, cross-checked with the
#     KEY(...)/LIST(...) rows of config/keys.c (REQ rows: the required keys); defaults: --print of
#     a minimal file; ranges and enum values: the error vigild gives for an absurd value of each key;
#   - commands and options: `vigilctl --help`, each command's usage line (asked with a bad option),
#     `simulate --help`, the drill usage's scenarios, the getopt tables of cli/*.c and daemon/vigild.c;
#   - names: the state, verdict, reason, network-status and reach tables of decide/names.c;
#   - status fields: the member names daemon/control-status.c and the drill's JSON write;
#   - signals and environment: daemon/*.c (loop_signal_add, signal, every getenv, proc_env_add);
#   - files: include/config.h, cli/vigilctl.c, include/store.h, include/recorder.h.
# How the pages are read (their shape is described at the top of each page): in vigil.conf.5 a key
# is an ".It Ic key" under ".Ss [section]" in ".Sh KEYS", with "Default: V." or "Required." and,
# where the parser checks one, "Range: LO to HI."; in vigilctl.8 a command is an ".It Cm command" of
# the outer list of ".Sh COMMANDS"; an option is "Fl -name" or "Fl x" in mdoc.
#
# Run from the repository root with BUILD, VIGILD, VIGILCTL set (tests/run-cli.sh does).
# Exit 0 = pass, 1 = something undocumented or stale, 77 = no renderer to lint with (mandoc/groff).
set -u
BUILD="${BUILD:-build}"
VIGILD="${VIGILD:-$BUILD/vigild}"
VIGILCTL="${VIGILCTL:-$BUILD/vigilctl}"
MAN="${MAN_DIR:-doc/man}"
conf5="$MAN/vigil.conf.5"
d8="$MAN/vigild.8"
c8="$MAN/vigilctl.8"
s8="$MAN/vigil-snmp.8"
VIGIL_SNMP="${VIGIL_SNMP:-$BUILD/vigil-snmp}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vigil-manpages.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

for f in "$conf5" "$d8" "$c8"; do
	[ -f "$f" ] || fail "$f: missing"
done
for b in "$VIGILD" "$VIGILCTL"; do
	[ -x "$b" ] || { echo "FAIL: $b is not built (make)"; exit 1; }
done
[ "$fails" -eq 0 ] || exit 1

# page_has PAGE ERE: the page's roff source has a match.
page_has() {
	grep -Eq -- "$2" "$1"
}

# An ERE matching an mdoc flag: opt_re --json -> "Fl -json" followed by a non-name character.
opt_re() {
	o=${1#-}
	printf 'Fl %s([^A-Za-z0-9_-]|$)' "$o"
}

# ---------------------------------------------------------------- configuration keys

# The keys --print writes, as "section key" lines.
print_keys() {
	awk '/^\[[a-z]+\]$/ { sec = substr($0, 2, length($0) - 2); next }
	     sec != "" && /^[a-z_]+ =/ { print sec, $1 }' "$1"
}

mkdir -p "$tmp/fast"
cp examples/fast/vigil-b.conf "$tmp/fast/" || exit 1
if [ -f examples/fast/pair.key ]; then
	cp examples/fast/pair.key "$tmp/fast/pair.key" && chmod 600 "$tmp/fast/pair.key"
else
	"$VIGILCTL" keygen "$tmp/fast/pair.key" >/dev/null || exit 1
fi
if ! "$VIGILD" --check-config --print -c "$tmp/fast/vigil-b.conf" >"$tmp/fast.print" 2>"$tmp/err"; then
	echo "FAIL: vigild --check-config --print -c examples/fast/vigil-b.conf: $(cat "$tmp/err")"
	exit 1
fi
print_keys "$tmp/fast.print" | sort >"$tmp/keys.print"

# The same from the key table: "SEC_X" -> name from config_section_names, every row's name.
awk '
	match($0, /\[SEC_[A-Z]+\] = "[a-z]+"/) {
		s = substr($0, RSTART, RLENGTH); split(s, p, "\""); sub(/^\[/, "", s); sub(/\].*/, "", s)
		name[s] = p[2]; next
	}
	match($0, /^[ \t]*(KEY|DUR|DUR_OFF|STR|ENUM|LIST|REQ|REQ_ENUM)\(SEC_[A-Z]+, *"[a-z_]+"/) {
		row = substr($0, RSTART, RLENGTH); sub(/^[ \t]*/, "", row)
		macro = row; sub(/\(.*/, "", macro)
		sec = row; sub(/^[A-Z_]+\(/, "", sec); sub(/,.*/, "", sec)
		split(row, p, "\""); n++; rs[n] = sec; rk[n] = p[2]; rm[n] = macro
	}
	END {
		for (i = 1; i <= n; i++) {
			print name[rs[i]], rk[i] > "'"$tmp/keys.table"'"
			if (rm[i] ~ /^REQ/)
				print name[rs[i]], rk[i] > "'"$tmp/keys.required"'"
		}
	}' config/keys.c
sort -o "$tmp/keys.table" "$tmp/keys.table"
touch "$tmp/keys.required"
if [ ! -s "$tmp/keys.table" ]; then
	fail "config/keys.c: no KEY(...)/LIST(...) rows found: has the table's shape changed?"
elif ! cmp -s "$tmp/keys.print" "$tmp/keys.table"; then
	fail "vigild --print and config/keys.c disagree on the keys (< print, > keys.c):"
	diff "$tmp/keys.print" "$tmp/keys.table" | sed -n 's/^[<>]/  &/p'
fi
sort -u "$tmp/keys.print" "$tmp/keys.table" >"$tmp/keys"

# A minimal file: the required keys and a name (so the host name does not matter), no pair key.
cat >"$tmp/min.conf" <<'EOF'
[node]
name = manpage-test
role = A

[peer]
a = 192.0.2.1
b = 192.0.2.2
auth = none

[module]
check = process:manpage-test
EOF
if ! "$VIGILD" --check-config --print -c "$tmp/min.conf" >"$tmp/min.print" 2>"$tmp/err"; then
	fail "a minimal file with the required keys is refused ($(cat "$tmp/err")): a new required key? add it to min.conf in this test"
fi
# "section key value-or-empty derived(0/1)" for every key, in print order.
awk '/^\[[a-z]+\]$/ { sec = substr($0, 2, length($0) - 2); next }
     /^# derived/ { derived = 1; next }
     /^#/ || /^$/ { next }
     { k = $1; v = $0; sub(/^[^=]*= ?/, "", v); print sec "\t" k "\t" v "\t" derived; derived = 0 }' \
	"$tmp/min.print" >"$tmp/defaults"

# conf_with SECTION KEY VALUE: the minimal file with that key set to VALUE (replaced or added).
conf_with() {
	awk -v s="$1" -v k="$2" -v v="$3" '
		/^\[/ { if (insec && !done) { print k " = " v; done = 1 } insec = ($0 == "[" s "]") }
		insec && $1 == k { print k " = " v; done = 1; next }
		{ print }
		END { if (!done) { if (!insec) print "[" s "]"; print k " = " v } }' "$tmp/min.conf"
}

# For each key: what an absurd value makes the parser say (its range, its enum names).
: >"$tmp/probes"
while read -r sec key; do
	conf_with "$sec" "$key" 99999999 >"$tmp/probe.conf"
	why=$("$VIGILD" --check-config -c "$tmp/probe.conf" 2>&1 >/dev/null) || :
	printf '%s\t%s\t%s\n' "$sec" "$key" "$why" >>"$tmp/probes"
done <"$tmp/keys"

# The page, one line per documented key: section, key, default token, required, range lo, hi, body.
awk '
	function strip(t) { gsub(/^[("]+|[)",.;:]+$/, "", t); gsub(/\\-/, "-", t); return t }
	function flush() {
		if (key != "")
			print sec "\t" key "\t" def "\t" req "\t" lo "\t" hi "\t" body
		key = ""; def = "-"; req = 0; lo = "-"; hi = "-"; body = ""
	}
	/^\.Sh / { flush(); keys = ($2 == "KEYS"); sec = ""; next }
	keys && /^\.Ss / {
		flush(); sec = ""
		if (match($0, /\[[a-z]+\]/)) sec = substr($0, RSTART + 1, RLENGTH - 2)
		next
	}
	keys && sec != "" && /^\.It Ic / { flush(); key = $3; body = $0; next }
	key != "" {
		body = body " " $0
		if ($1 == "Default:" && def == "-") def = strip($2)
		if ($0 ~ /^Required\.$/) req = 1
		if ($1 == "Range:") {
			n = split($0, w, " ")
			for (i = n - 1; i > 1; i--)
				if (w[i] == "to") { lo = strip(w[i - 1]); hi = strip(w[i + 1]); break }
		}
	}
	END { flush() }' "$conf5" >"$tmp/doc.keys"
cut -f1,2 "$tmp/doc.keys" | tr '\t' ' ' | sort >"$tmp/doc.keylist"

# Keys in the code and not in the page, and the other way round.
{
	comm -23 "$tmp/keys" "$tmp/doc.keylist" | while read -r sec key; do
		echo "FAIL: vigil.conf.5: [$sec] $key is not documented (no .It Ic $key under .Ss [$sec])"
	done
	comm -13 "$tmp/keys" "$tmp/doc.keylist" | while read -r sec key; do
		echo "FAIL: vigil.conf.5: [$sec] $key is documented but vigild has no such key"
	done
	uniq -d "$tmp/doc.keylist" | while read -r sec key; do
		echo "FAIL: vigil.conf.5: [$sec] $key is documented twice"
	done
} >"$tmp/out"

# Default, required, range and enum values of each documented key, against the code.
awk -F '\t' -v required="$tmp/keys.required" -v defaults="$tmp/defaults" \
    -v probes="$tmp/probes" -v minconf="$tmp/min.conf" '
	function ms(t,   u, x) {
		if (t !~ /^-?[0-9]+(\.[0-9]+)?(ms|s|m)?$/) return t
		u = 1000
		if (t ~ /ms$/) { u = 1; sub(/ms$/, "", t) }
		else if (t ~ /s$/) sub(/s$/, "", t)
		else if (t ~ /m$/) { u = 60000; sub(/m$/, "", t) }
		x = t * u
		return sprintf("%.0f", x)
	}
	function strip(t) { gsub(/^[("]+|[)",.;:]+$/, "", t); return t }
	function word_in(w, s) { return s ~ ("(^|[^A-Za-z0-9_-])" w "([^A-Za-z0-9_-]|$)") }
	function bad(msg) { printf "FAIL: vigil.conf.5: [%s] %s: %s\n", sec, key, msg }
	BEGIN {
		while ((getline l < required) > 0) req[l] = 1
		while ((getline l < minconf) > 0) {
			if (l ~ /^\[/) { s = substr(l, 2, length(l) - 2); continue }
			if (l ~ / = /) { split(l, p, " = "); set[s " " p[1]] = 1; setval[p[2]] = 1 }
		}
		while ((getline l < defaults) > 0) {
			split(l, p, "\t"); dv[p[1] " " p[2]] = p[3]; dd[p[1] " " p[2]] = p[4]
		}
		while ((getline l < probes) > 0) {
			split(l, p, "\t"); k = p[1] " " p[2]; why = p[3]
			if (why ~ /out of range \(|not a DSCP value \(/) {
				n = split(why, w, " ")
				for (i = n - 1; i > 1; i--)
					if (w[i] == "to") { plo[k] = strip(w[i - 1]); phi[k] = strip(w[i + 1]); break }
			}
			if (match(why, /" is not [^ ]+ or [^ ]+$/)) {
				split(substr(why, RSTART + 9), e, " or "); en1[k] = e[1]; en2[k] = e[2]
			}
		}
	}
	{
		sec = $1; key = $2; def = $3; isreq = $4; lo = $5; hi = $6; body = $7; k = sec " " key
		if (!(k in dv)) next  # not a key of the code: reported above
		if (k in req && !isreq) bad("required by the code, but no \"Required.\" line")
		if (!(k in req) && isreq) bad("has a \"Required.\" line, but the code gives it a default")
		if (!(k in req) && def == "-") bad("no \"Default: VALUE.\" line")
		v = dv[k]
		if (!(k in req) && def != "-" && !(k in set) && !dd[k] && !(v in setval)) {
			if (v == "" && def != "empty")
				bad("the default is empty, the page says \"" def "\" (write \"Default: empty.\")")
			else if (v != "" && ms(v) != ms(def))
				bad("the default is " v " (vigild --print), the page says " def)
		}
		if ((k in plo) && lo == "-")
			bad("no \"Range: LO to HI.\" line; the parser allows " plo[k] " to " phi[k])
		else if ((k in plo) && (ms(lo) != ms(plo[k]) || ms(hi) != ms(phi[k])))
			bad("the range is " plo[k] " to " phi[k] ", the page says " lo " to " hi)
		else if (!(k in plo) && lo != "-")
			bad("the page gives a range (" lo " to " hi "), the parser checks none")
		if ((k in en1) && !(word_in(en1[k], body) && word_in(en2[k], body)))
			bad("the values are " en1[k] " and " en2[k] "; the page does not name both")
	}' "$tmp/doc.keys" >>"$tmp/out"

# ---------------------------------------------------------------- vigild

# Long options from the getopt table and --help, short ones from the optstring and --help.
sed -n 's/.*{ "\([a-z][a-z-]*\)", *[a-z_]*_argument.*/--\1/p' daemon/vigild.c >"$tmp/vigild.opts"
sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' daemon/vigild.c | tr -d '+:' | fold -w1 |
	sed 's/^/-/' >>"$tmp/vigild.opts"
"$VIGILD" --help 2>&1 | grep -Eo '(^|[[ |,])--?[A-Za-z][A-Za-z-]*' | sed 's/^[[ |,]*//' >>"$tmp/vigild.opts"
[ -s "$tmp/vigild.opts" ] || fail "found no vigild options (getopt table, --help)"
sort -u "$tmp/vigild.opts" | while read -r o; do
	page_has "$d8" "$(opt_re "$o")" || echo "FAIL: vigild.8: option $o is not documented (Fl ${o#-})"
done >>"$tmp/out"

# Names of decide/names.c: states, verdicts, reasons, network status, reach.
awk 'match($0, /\[(ST|VERDICT|REASON|NET|REACH)_[A-Z_]+\] = "[a-z-]+"/) {
	s = substr($0, RSTART, RLENGTH); split(s, p, "\""); print p[2] }' decide/names.c | sort -u >"$tmp/names"
[ -s "$tmp/names" ] || fail "decide/names.c: no name tables found"
while read -r n; do
	grep -Fqw -- "$n" "$d8" || echo "FAIL: vigild.8: \"$n\" (decide/names.c) is not mentioned"
done <"$tmp/names" >>"$tmp/out"

# Signals vigild handles or ignores, environment variables it reads or gives its hooks.
grep -ho 'loop_signal_add([^,]*, *SIG[A-Z]*\|signal(SIG[A-Z]*' daemon/*.c | grep -o 'SIG[A-Z]*' | sort -u >"$tmp/signals"
[ -s "$tmp/signals" ] || fail "daemon/*.c: no signal handling found"
while read -r s; do
	page_has "$d8" "Dv $s([^A-Z]|$)" || echo "FAIL: vigild.8: signal $s is not documented (Dv $s)"
done <"$tmp/signals" >>"$tmp/out"
grep -ho 'getenv("[A-Z_]*"' daemon/*.c | sed 's/getenv("\([A-Z_]*\)"/\1/' | sort -u >"$tmp/env.daemon"
grep -ho 'proc_env_add([^,]*, *"VIGIL_[A-Z_]*"' daemon/*.c | grep -o 'VIGIL_[A-Z_]*' | sort -u >"$tmp/env.hooks"
[ -s "$tmp/env.hooks" ] || fail "daemon/*.c: no hook environment (proc_env_add) found"
cat "$tmp/env.daemon" "$tmp/env.hooks" | while read -r e; do
	page_has "$d8" "Ev $e([^A-Z_]|$)" || echo "FAIL: vigild.8: environment variable $e is not documented (Ev $e)"
done >>"$tmp/out"
while read -r e; do
	page_has "$conf5" "Ev $e([^A-Z_]|$)" || echo "FAIL: vigil.conf.5: hook variable $e is not documented in [hooks] (Ev $e)"
done <"$tmp/env.hooks" >>"$tmp/out"

# Files: the default configuration, control socket, state_dir and what it holds.
cfg=$(sed -n 's/^#define CONFIG_DEFAULT_PATH "\(.*\)"/\1/p' include/config.h)
sock=$(sed -n 's/^#define DEFAULT_SOCKET "\(.*\)"/\1/p' cli/vigilctl.c)
sdir=$(awk -F '\t' '$1 == "node" && $2 == "state_dir" { print $3 }' "$tmp/defaults")
state=$(sed -n 's/^#define STORE_STATE_FILE "\(.*\)"/\1/p' include/store.h)
journal=$(sed -n 's/^#define STORE_JOURNAL_FILE "\(.*\)"/\1/p' include/store.h)
flight=$(sed -n 's/^#define RECORDER_FILE_PREFIX "\(.*\)"/\1/p' include/recorder.h)
# file_doc PAGE NAME: the page names the file (Pa NAME, the name whole unless it is a prefix such
# as "flight-"); NAME empty: the source lost its definition.
file_doc() {
	if [ -z "$2" ]; then
		echo "FAIL: a file name for $(basename "$1") could not be read from the sources"
	elif ! awk -v n="Pa $2" '{
		for (s = $0; (i = index(s, n)) > 0; s = substr(s, i + 1)) {
			c = substr(s, i + length(n), 1)
			if (n ~ /-$/ || c == "" || c ~ /[ \/]/) found = 1
		}
	} END { exit !found }' "$1"; then
		echo "FAIL: $(basename "$1"): file $2 is not documented (Pa $2)"
	fi
}
{
	file_doc "$d8" "$cfg"
	file_doc "$conf5" "$cfg"
	file_doc "$d8" "$sock"
	file_doc "$c8" "$sock"
	file_doc "$d8" "$sdir"
	file_doc "$d8" "$state"
	file_doc "$d8" "$journal"
	file_doc "$d8" "$flight"
} >>"$tmp/out"

# ---------------------------------------------------------------- vigilctl

"$VIGILCTL" --help >"$tmp/help" 2>&1 || fail "vigilctl --help exited non-zero"
awk '/^commands:/ { on = 1; next } on && NF { print $1 }' "$tmp/help" >"$tmp/commands"
[ -s "$tmp/commands" ] || fail "vigilctl --help lists no commands"
# Options of the line "usage: vigilctl [-s SOCKET] COMMAND": global, documented anywhere.
grep '^usage:' "$tmp/help" | grep -Eo '(^|[[ |])--?[A-Za-z][A-Za-z-]*' | sed 's/^[[ |]*//' | sort -u >"$tmp/global"

# The page's command items: "command<TAB>its block", from the outer list of .Sh COMMANDS.
awk '
	function flush() { if (cmd != "") print cmd "\t" body; cmd = ""; body = "" }
	/^\.Sh / { flush(); on = ($2 == "COMMANDS"); depth = 0; next }
	!on { next }
	/^\.Bl / { depth++ }
	/^\.El/ { depth--; if (depth == 0) flush() }
	depth == 1 && /^\.It Cm / { flush(); cmd = $3; body = $0; next }
	cmd != "" { body = body " " $0 }
	END { flush() }' "$c8" >"$tmp/doc.cmds"
cut -f1 "$tmp/doc.cmds" | sort >"$tmp/doc.cmdlist"
{
	sort "$tmp/commands" | comm -23 - "$tmp/doc.cmdlist" | while read -r c; do
		echo "FAIL: vigilctl.8: command $c is not documented (no .It Cm $c under .Sh COMMANDS)"
	done
	sort "$tmp/commands" | comm -13 - "$tmp/doc.cmdlist" | while read -r c; do
		echo "FAIL: vigilctl.8: command $c is documented but vigilctl --help does not list it"
	done
	uniq -d "$tmp/doc.cmdlist" | while read -r c; do
		echo "FAIL: vigilctl.8: command $c is documented twice"
	done
} >>"$tmp/out"

bogus=--no-such-option-for-manpages
while read -r c; do
	{
		grep -E "^  $c( |$)" "$tmp/help"
		"$VIGILCTL" "$c" "$bogus" 2>&1 | grep -v -- "$bogus"
		[ "$c" = simulate ] && "$VIGILCTL" simulate --help 2>&1
	} >"$tmp/usage.$c"
	block=$(awk -F '\t' -v c="$c" '$1 == c { print $2 }' "$tmp/doc.cmds")
	grep -Eo '(^|[[ |])--?[A-Za-z][A-Za-z-]*' "$tmp/usage.$c" | sed 's/^[[ |]*//' | sort -u |
		comm -23 - "$tmp/global" | while read -r o; do
		printf '%s\n' "$block" | grep -Eq -- "$(opt_re "$o")" ||
			echo "FAIL: vigilctl.8: $c: option $o (from its usage) is not documented in its entry"
	done
done <"$tmp/commands" >>"$tmp/out"

# Every option of the getopt tables and simulate's option table, and the global ones: anywhere.
{
	cat "$tmp/global"
	sed -n 's/.*{ "\([a-z][a-z-]*\)", *[a-z_]*_argument.*/--\1/p' cli/*.c
	sed -n 's/.*{ "\(--*[a-z][a-z-]*\)", set_.*/\1/p' cli/simulate.c
	sed -n 's/.*getopt_long([^"]*"\([^"]*\)".*/\1/p' cli/*.c | tr -d '+:' | fold -w1 | sed 's/^/-/'
} | sort -u >"$tmp/ctl.opts"
while read -r o; do
	page_has "$c8" "$(opt_re "$o")" || echo "FAIL: vigilctl.8: option $o (cli/ option tables) is not documented"
done <"$tmp/ctl.opts" >>"$tmp/out"

# Drill scenarios and simulate's fault kinds, in their commands' entries.
sed -n 's/^scenarios: \([^;]*\);.*/\1/p' "$tmp/usage.drill" 2>/dev/null | tr ',' '\n' | tr -d ' ' | grep . >"$tmp/scenarios"
[ -s "$tmp/scenarios" ] || fail "vigilctl drill's usage names no scenarios"
awk '/KIND:/ { on = 1; sub(/.*KIND:/, "") } on && /^ *T, D:/ { on = 0 } on { print }' "$tmp/usage.simulate" 2>/dev/null |
	tr ',' '\n' | tr -d ' ' | grep . >"$tmp/faults"
[ -s "$tmp/faults" ] || fail "vigilctl simulate --help names no fault kinds"
for what in drill:scenarios simulate:faults; do
	c=${what%%:*}
	block=$(awk -F '\t' -v c="$c" '$1 == c { print $2 }' "$tmp/doc.cmds")
	while read -r w; do
		printf '%s\n' "$block" | grep -Eq -- "(^|[^A-Za-z0-9_-])$w([^A-Za-z0-9_-]|$)" ||
			echo "FAIL: vigilctl.8: $c: \"$w\" (from its usage) is not documented in its entry"
	done <"$tmp/${what#*:}"
done >>"$tmp/out"

# status --json: every member name (and fixed value) vigild writes, in STATUS FIELDS.
{
	grep -o '"[a-z_][a-z_]*"' daemon/control-status.c
	sed -n '/^int vigild_drill_json/,/^}/p' daemon/netcfg-info.c | grep -o '"[a-z_][a-z_]*"'
} | tr -d '"' | sort -u >"$tmp/status.fields"
[ -s "$tmp/status.fields" ] || fail "daemon/control-status.c: no status members found"
awk '/^\.Sh / { on = ($0 ~ /^\.Sh "?STATUS FIELDS"?$/) } on' "$c8" >"$tmp/doc.status"
while read -r w; do
	grep -Eq -- "(^|[^A-Za-z0-9_])$w([^A-Za-z0-9_]|$)" "$tmp/doc.status" ||
		echo "FAIL: vigilctl.8: status member \"$w\" (what status --json writes) is not in STATUS FIELDS"
done <"$tmp/status.fields" >>"$tmp/out"

# ---------------------------------------------------------------- vigil-snmp.8

# Every option `vigil-snmp -h` lists is an ".It Fl X" of the page, and the other way round.
if [ -x "$VIGIL_SNMP" ]; then
	"$VIGIL_SNMP" -h 2>&1 | sed -n 's/^  -\([A-Za-z]\) .*/\1/p' | sort -u >"$tmp/snmp.opts"
	[ -s "$tmp/snmp.opts" ] || fail "vigil-snmp -h lists no options"
	sed -n 's/^\.It Fl \([A-Za-z]\).*/\1/p' "$s8" | sort -u >"$tmp/snmp.doc"
	comm -23 "$tmp/snmp.opts" "$tmp/snmp.doc" | while read -r o; do
		echo "FAIL: vigil-snmp.8: option -$o is not documented (no .It Fl $o)"
	done >>"$tmp/out"
	comm -13 "$tmp/snmp.opts" "$tmp/snmp.doc" | while read -r o; do
		echo "FAIL: vigil-snmp.8: option -$o is documented but vigil-snmp -h does not list it"
	done >>"$tmp/out"
else
	echo "note: no $VIGIL_SNMP: vigil-snmp.8's options left unchecked"
fi

# ---------------------------------------------------------------- rendering

linted=0
if command -v mandoc >/dev/null 2>&1; then
	linted=1
	for p in "$d8" "$c8" "$conf5" "$s8"; do
		mandoc -Tlint -W warning "$p" >"$tmp/lint" 2>&1
		if [ -s "$tmp/lint" ]; then
			echo "FAIL: $p: mandoc -Tlint -W warning:"
			sed 's/^/  /' "$tmp/lint"
		fi
	done >>"$tmp/out"
fi
if command -v groff >/dev/null 2>&1; then
	linted=1
	for p in "$d8" "$c8" "$conf5" "$s8"; do
		groff -mandoc -Tutf8 -ww -z "$p" >"$tmp/lint" 2>&1
		if [ -s "$tmp/lint" ]; then
			echo "FAIL: $p: groff -mandoc -ww:"
			sed 's/^/  /' "$tmp/lint"
		fi
	done >>"$tmp/out"
fi

cat "$tmp/out"
fails=$((fails + $(grep -c '^FAIL' "$tmp/out")))
nkeys=$(wc -l <"$tmp/keys")
ncmds=$(wc -l <"$tmp/commands")
if [ "$fails" -gt 0 ]; then
	echo "manpages: $fails problem(s); $nkeys keys, $ncmds commands checked"
	exit 1
fi
if [ "$linted" -eq 0 ]; then
	echo "manpages: $nkeys keys and $ncmds commands documented; not rendered: no mandoc or groff (make deps)"
	exit 77
fi
echo "manpages: ok: $nkeys keys, $ncmds commands, options, names, signals, environment and files documented; pages lint clean"
exit 0
