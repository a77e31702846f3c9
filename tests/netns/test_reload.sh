#!/usr/bin/env bash
# test_reload.sh: vigilctl reload (SPEC "Command line": reload) on the fast-profile pair.
#  1. A file that does not parse: reload exits 1 with the file:line reason; nothing changes.
#  2. A [netcfg] change: reload exits 1 ("restart vigild to apply"); nothing changes.
#  3. The primary's [module] check pointed at a socket nobody serves: reload exits 0, the
#     rebuilt check answers "not running", and the backup switches with module-down (the
#     module-hang formula bounds it: the pings that were in flight still answered).
# shellcheck disable=SC2119 # pair_up takes optional overrides
# shellcheck source-path=SCRIPTDIR source=topo.sh
. "$(dirname "$0")/topo.sh"

topo_init # root, tools, kernel features (else exit 77); the traps that run topo_down
topo_up
pair_up
conf=$(node_dir a)/vigil.conf
cp "$conf" "$conf.orig"

# 1. A broken file.
printf '\n[module]\nbogus = 1\n' >>"$conf"
rc=0
vigilctl_in a reload >"$TOPO_TMP/a/reload1.out" 2>&1 || rc=$?
((rc == 1)) || fail "reload of a broken file: exit $rc, expected 1"
grep -q "vigil.conf:[0-9]*: " "$TOPO_TMP/a/reload1.out" || fail "reload of a broken file: no file:line reason: $(cat "$TOPO_TMP/a/reload1.out")"
cp "$conf.orig" "$conf"

# 2. [netcfg] needs a restart.
printf '\n[netcfg]\ngarp_count = 5\n' >>"$conf"
rc=0
vigilctl_in a reload >"$TOPO_TMP/a/reload2.out" 2>&1 || rc=$?
((rc == 1)) || fail "reload of a [netcfg] change: exit $rc, expected 1"
grep -q 'restart vigild' "$TOPO_TMP/a/reload2.out" || fail "reload of a [netcfg] change: $(cat "$TOPO_TMP/a/reload2.out")"
cp "$conf.orig" "$conf"
expect a state primary
expect b state backup

# 3. The module check moves to a socket nobody serves.
sed -i "s|^check = unix:.*|check = unix:$TOPO_TMP/a/nobody.sock|" "$conf"
grep -q "nobody.sock" "$conf" || fail "test bed: could not rewrite the check"
f=$(formula module-hang)
mark
vigilctl_in a reload >"$TOPO_TMP/a/reload3.out" 2>&1 || fail "reload of a new check refused: $(cat "$TOPO_TMP/a/reload3.out")"
wait_for b '.state == "primary"' "$(wait_ms "$f")" || fail "node-b did not switch after the primary's check was reloaded"
check_time "reload (check moved) -> switch" "$(since_mark)" "$f"
expect b last_switch.reason module-down
[[ $(journal_count a '.kind == "reload" and (.detail | test("module check is replaced"))') -ge 1 ]] ||
    fail "node-a: no journal record of the replaced check"

result "broken file and [netcfg] change refused (exit 1); a reloaded module check takes effect (module-down switch)"
