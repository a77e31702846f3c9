#!/bin/sh
# valgrind-vigild.sh: vigild under valgrind memcheck, for `make valgrind` (the namespace suite's
# VIGILD points here; ip netns exec and this exec keep vigild's PID, so the scenario's signals
# reach it). One log per process in VALGRIND_LOG_DIR; definite leaks count as errors, and any
# error makes the process exit 99 (tests/tools/valgrind-check.sh judges the logs, since the
# scenarios do not see vigild's exit status).
: "${VALGRIND_LOG_DIR:?valgrind-vigild.sh: set VALGRIND_LOG_DIR}"
: "${VALGRIND_VIGILD:?valgrind-vigild.sh: set VALGRIND_VIGILD (the vigild binary)}"
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
	--child-silent-after-fork=yes \
	--log-file="$VALGRIND_LOG_DIR/vigild.%p.log" "$VALGRIND_VIGILD" "$@"
