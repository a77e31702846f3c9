#!/bin/sh
# valgrind-check.sh DIR: judge the memcheck logs valgrind-vigild.sh left in DIR (make valgrind).
# Every log must end with "ERROR SUMMARY: 0 errors" (no invalid access, no uninitialised use,
# no definite leak: they count as errors); every daemon run (vigild -c, not --check-config) must
# have reached its leak report, i.e. stopped cleanly rather than been killed, and at least two
# daemon runs (node A and B) must be there. Prints one line per log; exit 0 or 1.
dir=${1:?usage: valgrind-check.sh DIR}
n=0 daemons=0 bad=0
for f in "$dir"/vigild.*.log; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	cmd=$(sed -n 's/^==[0-9]*== Command: //p' "$f" | head -n 1)
	errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -n 1)
	definite=$(sed -n 's/^==[0-9]*==[ ]*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -n 1)
	case "$cmd" in
	*--check-config*) kind=check ;;
	*) kind=daemon daemons=$((daemons + 1)) ;;
	esac
	verdict=ok
	if [ -z "$errors" ]; then
		verdict="no ERROR SUMMARY (killed before exit?)"
	elif [ "$errors" != 0 ]; then
		verdict="$errors errors"
	elif [ "$kind" = daemon ] && ! grep -q -e 'LEAK SUMMARY' -e 'All heap blocks were freed' "$f"; then
		verdict="no leak report (killed before exit?)"
	fi
	[ "$verdict" = ok ] || bad=$((bad + 1))
	echo "valgrind: $(basename "$f"): $kind, errors ${errors:-?}, definitely lost ${definite:-0} bytes: $verdict"
	if [ "$verdict" != ok ]; then
		# each error's first lines: what, and where (up to 8 frames)
		awk '/^==[0-9]+== (Invalid|Conditional|Use of|Syscall param|Mismatched|.* are definitely lost)/ { n = 9 }
		     n > 0 { print; n-- }' "$f" | head -n 60
	fi
done
if [ "$daemons" -lt 2 ]; then
	echo "valgrind: $daemons daemon logs in $dir, expected both nodes' vigild" >&2
	exit 1
fi
echo "valgrind: $n logs ($daemons daemon runs), $bad with errors"
[ "$bad" -eq 0 ]
