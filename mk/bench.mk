# vigil against keepalived (issue 10): the same faults on the two-site namespace test bed.
#
#   make bench         bench/run.sh: every fault BENCH_N times (3) per system at BENCH_PROFILE
#                      (fast; default, fast or both), steady-state resources at both profiles,
#                      random loss, the decide/ micro-benchmark; writes bench/results/REPORT.md,
#                      results.json and decision.svg (root; keepalived and gnuplot: make deps)
#   make bench-smoke   one repetition of each fault at the fast profile, short windows, into
#                      build/bench-smoke/: the harness still works (CI); it asserts no speed
#   make bench-micro   the decide/ micro-benchmark alone (no root)
#
# Benchmarks are not tests: nothing here is part of `make check`. keepalived is installed, never
# started as a service: the bench runs it in the test bed's namespaces with its own pid files.
DEB_PKGS += keepalived gnuplot-nox shellcheck

# The micro-benchmark is ours: KNF like the rest (make format-check).
FORMAT_SRCS += bench/decide_bench.c
BENCH_SCRIPTS := $(wildcard bench/*.sh)

BENCH_N       ?= 3
BENCH_PROFILE ?= fast
BENCH_OUT     ?= bench/results
BENCH_MICRO   := $(BUILD)/bench/decide_bench

.PHONY: bench bench-smoke bench-micro

# The core's cost alone: decide/ and the unit tests' scripted world (a header), nothing else.
$(BENCH_MICRO): bench/decide_bench.c $(DECIDE_OBJS) $(HDRS) tests/unit/world.h | pkgcheck
	@mkdir -p $(dir $@)
	@$(call say,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(DECIDE_OBJS)

bench-micro: $(BENCH_MICRO)
	@$(BENCH_MICRO)

bench: all tools $(BENCH_MICRO)
	@BUILD=$(BUILD) BENCH_N=$(BENCH_N) BENCH_PROFILE=$(BENCH_PROFILE) BENCH_OUT=$(BENCH_OUT) \
	  BENCH_MICRO=$(BENCH_MICRO) bench/run.sh

# Timed, so CI sees what it costs; the checks are that the scripts lint clean and that every
# file of the report is there.
bench-smoke: all tools $(BENCH_MICRO)
	@shellcheck -x $(BENCH_SCRIPTS)
	@start=$$(date +%s); \
	BUILD=$(BUILD) BENCH_SMOKE=1 BENCH_OUT=$(BUILD)/bench-smoke BENCH_MICRO=$(BENCH_MICRO) bench/run.sh && \
	bench/check-report.sh $(BUILD)/bench-smoke && \
	echo "bench-smoke: report in $(BUILD)/bench-smoke/REPORT.md ($$(( $$(date +%s) - start )) s)"
