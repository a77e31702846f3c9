/* test_sim.c: vigilctl simulate's engine against the real core: verdicts, decision-time windows, determinism, end rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "decide.h"
#include "sim.h"

#define H2_MS (2ull * 3600 * 1000)
#define TAIL_MS 60000ull

/* SPEC defaults with a NetTest list, as decide_params_default() gives them. */
static struct decide_params params_default(void)
{
	struct decide_params p;

	decide_params_default(&p);
	p.has_nettest = true;
	return p;
}

/* The fast profile of TEAM-NOTES (examples/fast), NetTest and gateway pings on. */
static struct decide_params params_fast(void)
{
	struct decide_params p = params_default();

	p.reconnect_delay_ms = 1000;
	p.module_timeout_ms = 1000;
	p.module_retry_delay_ms = 200;
	p.ping_delay_ms = 200;
	p.monitor_timeout_ms = 300;
	p.retry_count = 2;
	p.retry_ping_delay_ms = 0;
	p.nettest_timeout_ms = 300;
	p.unreachable_ping_delay_ms = 1000;
	p.reconnect_timeout_ms = 3000;
	p.gateway_ping = true;
	return p;
}

static struct sim_opts opts(enum sim_fault f)
{
	return (struct sim_opts){ .fault = f, .rtt_ms = 1, .seed = 1, .exit_watch = true };
}

static void run(const struct decide_params *p, const struct sim_opts *o, struct sim_result *r)
{
	*r = (struct sim_result){ 0 };
	assert_int_equal(sim_run(p, o, r), 0);
	assert_int_equal(r->core_dropped, 0);
}

static void assert_between(uint64_t v, uint64_t lo, uint64_t hi, const char *what)
{
	if (v < lo || v > hi)
		fail_msg("%s: %llu not within [%llu, %llu]", what, (unsigned long long)v,
		    (unsigned long long)lo, (unsigned long long)hi);
}

/* ---- names ---- */

static void test_fault_names(void **state)
{
	(void)state;
	for (int f = 0; f < FAULT_COUNT; f++)
		assert_int_equal(sim_fault_from_name(sim_fault_name((enum sim_fault)f)), f);
	assert_int_equal(sim_fault_from_name("wan"), -1);
	assert_string_equal(sim_fault_name(FAULT_BACKUP_ISOLATE), "backup-isolate");
}

/* ---- verdicts (SPEC: the table at the top, and simulate's fault kinds) ---- */

static const struct verdict_case {
	enum sim_fault fault;
	enum vg_verdict verdict;
	bool switched;
	enum vg_reason reason;
} verdict_cases[] = {
	{ FAULT_NONE, VERDICT_NONE, false, REASON_NONE },
	{ FAULT_MODULE_KILL, VERDICT_MODULE_DOWN, true, REASON_MODULE_DOWN },
	{ FAULT_MODULE_HANG, VERDICT_MODULE_DOWN, true, REASON_MODULE_DOWN },
	{ FAULT_MODULE_FLAP, VERDICT_MODULE_DOWN, true, REASON_MODULE_DOWN },
	{ FAULT_NOTIFIER_KILL, VERDICT_NOTIFIER_DOWN, true, REASON_NOTIFIER_DOWN },
	{ FAULT_PRIMARY_DOWN, VERDICT_PRIMARY_UNREACHABLE, true, REASON_PRIMARY_UNREACHABLE },
	{ FAULT_WAN_CUT, VERDICT_NETWORK_DOWN, false, REASON_NONE },
	{ FAULT_BACKUP_ISOLATE, VERDICT_NETWORK_DOWN, false, REASON_NONE },
};

static void check_verdicts(const struct decide_params *p)
{
	for (size_t i = 0; i < sizeof verdict_cases / sizeof verdict_cases[0]; i++) {
		const struct verdict_case *c = &verdict_cases[i];
		enum vg_state final = c->switched ? ST_PRIMARY
		    : c->fault == FAULT_NONE      ? ST_BACKUP
		                                  : ST_RECONNECTING;
		struct sim_opts o = opts(c->fault);
		struct sim_result r;

		run(p, &o, &r);
		sim_result_free(&r);
		if (r.verdict != c->verdict || r.switched != c->switched ||
		    r.switch_reason != c->reason || r.state != final)
			fail_msg("%s: verdict %s switched %d reason %s state %s",
			    sim_fault_name(c->fault), decide_verdict_name(r.verdict), r.switched,
			    decide_reason_name(r.switch_reason), decide_state_name(r.state));
	}
}

static void test_verdicts_default(void **state)
{
	struct decide_params p = params_default();

	(void)state;
	check_verdicts(&p);
}

static void test_verdicts_fast(void **state)
{
	struct decide_params p = params_fast();

	(void)state;
	check_verdicts(&p);
}

/* Without NetTest or gateway pings a WAN cut cannot be told from a dead primary: the seed's split brain. */
static void test_wan_cut_without_nettest_switches(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_WAN_CUT);
	struct sim_result r;

	(void)state;
	p.has_nettest = false;
	run(&p, &o, &r);
	assert_int_equal(r.verdict, VERDICT_PRIMARY_UNREACHABLE);
	assert_true(r.switched);
	sim_result_free(&r);
}

/* ---- decision times: the windows of TEAM-NOTES' formulas, from the parameters ---- */

struct window {
	uint64_t lo;
	uint64_t hi;
};

/* A few round trips: notices, confirmation pongs and the diagnosis each cost one. */
static uint64_t slack(const struct sim_opts *o)
{
	return 10ull * o->rtt_ms + 1;
}

/* Notifier ping misses until the diagnosis starts: the first ping after the fault is within P. */
static struct window detect_window(const struct decide_params *p)
{
	uint64_t miss = p->monitor_timeout_ms +
	    p->retry_count * (p->retry_ping_delay_ms + p->monitor_timeout_ms);

	return (struct window){ miss, p->ping_delay_ms + miss };
}

static struct window expected_window(const struct decide_params *p, const struct sim_opts *o)
{
	uint64_t T = p->module_timeout_ms, R = p->module_retry_delay_ms, F = p->max_failures;
	uint64_t Tm = p->monitor_timeout_ms, NT = p->nettest_timeout_ms, s = slack(o);
	uint64_t k = p->max_restarts < p->max_sequential_restarts ? p->max_restarts
	                                                          : p->max_sequential_restarts;
	uint64_t sets = (uint64_t)decide_ping_sets(p->unreachable_ping_count);
	struct window d = detect_window(p);

	switch (o->fault) {
	case FAULT_MODULE_KILL: /* (2F-1)R after the exit (exit watch) or after the first failed ping */
		return (struct window){ (2 * F - 1) * R,
			(2 * F - 1) * R + (o->exit_watch ? 0 : T) + s };
	case FAULT_MODULE_HANG: /* 2F*T + (2F-1)R after the first unanswered ping, then 2 re-pings of Tm */
		return (struct window){ 2 * F * T + (2 * F - 1) * R,
			T + 2 * F * T + (2 * F - 1) * R + 2 * Tm + s };
	case FAULT_MODULE_FLAP: /* k new PIDs in a row, one per module ping every T */
		return (struct window){ (k - 1) * T, k * T + s };
	case FAULT_NOTIFIER_KILL: /* lost at once, diagnosed in one rtt, switch at verdict + RT */
		return (struct window){ p->reconnect_timeout_ms, p->reconnect_timeout_ms + s };
	case FAULT_PRIMARY_DOWN: /* misses, one silent diagnosis, then N sets D apart, the last waiting NT */
		return (struct window){ d.lo + NT + sets * p->unreachable_ping_delay_ms + NT,
			d.hi + NT + sets * p->unreachable_ping_delay_ms + NT + s };
	case FAULT_WAN_CUT: /* misses, one diagnosis whose NetTest stays silent: hold */
		return (struct window){ d.lo + NT, d.hi + NT + s };
	case FAULT_BACKUP_ISOLATE: /* carrier lost on every link toward the primary: network-down at once */
		return (struct window){ 0, s };
	default:
		return (struct window){ 0, 0 };
	}
}

static void check_window(const struct decide_params *p, struct sim_opts o)
{
	struct window w = expected_window(p, &o);
	struct sim_result r;

	run(p, &o, &r);
	sim_result_free(&r); /* the fields stay; only the timeline goes */
	if (!r.decided)
		fail_msg("%s: no decision", sim_fault_name(o.fault));
	assert_between(r.decision_ms, w.lo, w.hi, sim_fault_name(o.fault));
}

/* Every fault kind but backup-isolate, which has a test of its own (a rule of its own). */
static void check_windows(const struct decide_params *p, uint64_t at_ms, uint32_t rtt_ms)
{
	for (int f = FAULT_MODULE_KILL; f < FAULT_BACKUP_ISOLATE; f++) {
		struct sim_opts o = opts((enum sim_fault)f);

		o.at_ms = at_ms;
		o.rtt_ms = rtt_ms;
		check_window(p, o);
	}
}

static void test_decision_windows_default(void **state)
{
	struct decide_params p = params_default();

	(void)state;
	check_windows(&p, 0, 1);
}

static void test_decision_windows_fast(void **state)
{
	struct decide_params p = params_fast();

	(void)state;
	check_windows(&p, 0, 1);
}

/* A fault later in a steady run, and a slower link, keep the same windows. */
static void test_decision_windows_later_fault(void **state)
{
	struct decide_params p = params_default();

	(void)state;
	check_windows(&p, 123457, 20);
}

/*
 * doc/timing.md's exact formulas: decision_ms as a function of the phase phi between the
 * fault and the first ping that meets it (module pings for module-*, notifier pings else).
 */
struct exact {
	int64_t lo, hi, at0; /* phi's range and its value at --at 0 */
	int64_t base;        /* decision_ms = base + phi */
};

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static struct exact with_base(struct exact x, int64_t base)
{
	x.base = base;
	return x;
}

static struct exact exact_formula(const struct decide_params *p, const struct sim_opts *o)
{
	int64_t rtt = o->rtt_ms, u = rtt / 2, v = rtt - u;
	int64_t T = p->module_timeout_ms, R = p->module_retry_delay_ms, F = p->max_failures,
	        E = 2 * F - 1;
	int64_t Tm = p->monitor_timeout_ms, NT = p->nettest_timeout_ms, P = p->ping_delay_ms;
	int64_t Dn = (p->retry_count + 1) * Tm + p->retry_count * (int64_t)p->retry_ping_delay_ms;
	int64_t K = min64(p->max_restarts, p->max_sequential_restarts);
	int64_t N = decide_ping_sets(p->unreachable_ping_count);
	struct exact m = { -u, T + v, T, 0 }, n = { -rtt, P, P, 0 }, none = { 0, 0, 0, 0 };

	switch (o->fault) {
	case FAULT_MODULE_KILL:
		if (o->exit_watch)
			return with_base(none, v + E * (R + rtt) + 3 * rtt);
		return with_base(m, rtt + E * (R + rtt) + 3 * rtt);
	case FAULT_MODULE_HANG:
		return with_base(m, 2 * F * T + E * R + 2 * min64(Tm, T + rtt) + rtt);
	case FAULT_MODULE_FLAP:
		return with_base(m, 2 * rtt + (K - 1) * (T + rtt));
	case FAULT_NOTIFIER_KILL:
		return with_base(none, v + rtt + p->reconnect_timeout_ms);
	case FAULT_PRIMARY_DOWN:
		return with_base(n, Dn + 2 * NT + N * (int64_t)p->unreachable_ping_delay_ms);
	case FAULT_WAN_CUT:
		return with_base(n, Dn + NT);
	default:
		return none;
	}
}

static uint64_t decision_of(const struct decide_params *p, const struct sim_opts *o)
{
	struct sim_result r;

	run(p, o, &r);
	sim_result_free(&r);
	if (!r.decided)
		fail_msg("%s at %llu: no decision", sim_fault_name(o->fault),
		    (unsigned long long)o->at_ms);
	return r.decision_ms;
}

static void check_exact(const struct decide_params *p)
{
	for (int f = FAULT_MODULE_KILL; f < FAULT_BACKUP_ISOLATE; f++) {
		for (int watch = 0; watch < 2; watch++) {
			struct sim_opts o = opts((enum sim_fault)f);
			struct exact x;
			int64_t got;

			o.exit_watch = watch;
			x = exact_formula(p, &o);
			got = (int64_t)decision_of(p, &o);
			if (got != x.base + x.at0)
				fail_msg("%s (exit watch %d) at 0: %lld, formula %lld",
				    sim_fault_name(o.fault), watch, (long long)got,
				    (long long)(x.base + x.at0));
		}
	}
}

static void test_decision_exact_at_zero(void **state)
{
	struct decide_params d = params_default(), f = params_fast();

	(void)state;
	check_exact(&d);
	check_exact(&f);
}

/* A fault at any moment of a ping period: within [formula(lo), formula(hi)]. */
static void check_sweep(const struct decide_params *p, uint32_t rtt_ms)
{
	uint64_t period = p->module_timeout_ms + rtt_ms, step = period / 23 + 1;

	for (int f = FAULT_MODULE_KILL; f < FAULT_BACKUP_ISOLATE; f++) {
		for (uint64_t at = 100000; at < 100000 + 2 * period; at += step) {
			struct sim_opts o = opts((enum sim_fault)f);
			struct exact x;
			int64_t got;

			o.at_ms = at;
			o.rtt_ms = rtt_ms;
			o.exit_watch = f != FAULT_MODULE_KILL || at % 2;
			x = exact_formula(p, &o);
			got = (int64_t)decision_of(p, &o);
			if (got < x.base + x.lo || got > x.base + x.hi)
				fail_msg("%s at %llu rtt %u: %lld not within [%lld, %lld]",
				    sim_fault_name(o.fault), (unsigned long long)at, rtt_ms,
				    (long long)got, (long long)(x.base + x.lo),
				    (long long)(x.base + x.hi));
		}
	}
}

static void test_decision_phase_sweep(void **state)
{
	struct decide_params d = params_default(), f = params_fast();

	(void)state;
	check_sweep(&d, 1);
	check_sweep(&f, 1);
	check_sweep(&f, 7);
}

/* SPEC "Carrier": carrier lost on every link toward the primary is network-down at once, no probes awaited. */
static void test_carrier_loss_network_down_at_once(void **state)
{
	struct decide_params d = params_default(), f = params_fast();
	struct sim_opts o = opts(FAULT_BACKUP_ISOLATE);

	(void)state;
	check_window(&d, o);
	check_window(&f, o);
	o.at_ms = 123457;
	o.rtt_ms = 20;
	check_window(&d, o);
}

static void test_module_kill_without_exit_watch(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_MODULE_KILL);

	(void)state;
	o.exit_watch = false;
	check_window(&p, o);
}

/* ---- configuration variants that change the outcome (SPEC [network], [node]) ---- */

/* A supervisor that restarts a killed module within (2F-1)R: a restart, not an outage. */
static void test_module_back_in_time_is_a_restart(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_MODULE_KILL);
	struct sim_result r;

	(void)state;
	o.for_ms = p.module_retry_delay_ms / 2;
	o.heals = true;
	run(&p, &o, &r);
	sim_result_free(&r);
	assert_int_equal(r.verdict, VERDICT_NONE);
	assert_false(r.switched);
	assert_int_equal(r.state, ST_BACKUP);
}

static void test_endless_ping_sets_never_switch(void **state)
{
	struct decide_params p = params_fast();
	struct sim_opts o = opts(FAULT_PRIMARY_DOWN);
	struct sim_result r;

	(void)state;
	p.unreachable_ping_count = -1;
	run(&p, &o, &r);
	sim_result_free(&r);
	assert_int_equal(r.verdict, VERDICT_PRIMARY_UNREACHABLE);
	assert_false(r.switched);
	assert_false(r.decided);
	assert_int_equal(r.end_ms, H2_MS);
}

static void test_reconnect_timeout_zero_switches_with_verdict(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_NOTIFIER_KILL);
	struct sim_result r;

	(void)state;
	p.reconnect_timeout_ms = 0;
	run(&p, &o, &r);
	sim_result_free(&r);
	assert_true(r.switched);
	assert_int_equal(r.switch_at_ms, r.verdict_at_ms);
}

/* Manual mode: the trigger is withheld, and the summary says why. */
static void test_manual_mode_withholds(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_MODULE_KILL);
	struct sim_result r;

	(void)state;
	p.manual = true;
	run(&p, &o, &r);
	sim_result_free(&r);
	assert_int_equal(r.verdict, VERDICT_MODULE_DOWN);
	assert_false(r.switched);
	assert_true(r.withheld[0] != '\0');
}

/* ---- determinism ---- */

static char *json_of(const struct decide_params *p, const struct sim_opts *o)
{
	struct sim_result r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	run(p, o, &r);
	sim_print_json(&r, f);
	fclose(f);
	sim_result_free(&r);
	return buf;
}

static void check_same_twice(const struct decide_params *p, const struct sim_opts *o)
{
	char *a = json_of(p, o), *b = json_of(p, o);

	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_deterministic(void **state)
{
	struct decide_params p = params_default();

	(void)state;
	for (int f = 0; f < FAULT_COUNT; f++) {
		struct sim_opts o = opts((enum sim_fault)f);

		check_same_twice(&p, &o);
		o.loss_pct = 10;
		o.seed = 42;
		check_same_twice(&p, &o);
	}
}

/* Loss, up to total: no crash, sane results, same output for the same seed. */
static void test_loss_runs(void **state)
{
	static const uint32_t losses[] = { 1, 10, 30, 60, 100 };
	struct decide_params p = params_fast();

	(void)state;
	for (size_t i = 0; i < sizeof losses / sizeof losses[0]; i++) {
		for (int f = 0; f < FAULT_COUNT; f++) {
			struct sim_opts o = opts((enum sim_fault)f);
			struct sim_result r;

			o.loss_pct = losses[i];
			o.seed = 7 + i;
			o.for_ms = 20000;
			o.heals = true;
			run(&p, &o, &r);
			assert_true(r.verdict < VERDICT_COUNT && r.state < ST_COUNT);
			assert_true(r.end_ms <= H2_MS && r.n_lines > 0);
			sim_result_free(&r);
			check_same_twice(&p, &o);
		}
	}
}

/* The core's next deadline always lies ahead after a tick: a caller that follows it never spins. */
static void test_deadline_always_advances(void **state)
{
	struct decide_params p = params_default();

	(void)state;
	for (int f = 0; f < FAULT_COUNT; f++) {
		struct sim_opts o = opts((enum sim_fault)f);
		struct sim_result r;

		o.loss_pct = 20;
		o.for_ms = 60000;
		o.heals = true;
		run(&p, &o, &r);
		sim_result_free(&r);
		if (r.stuck_ticks != 0)
			fail_msg("%s with 20%% loss: %llu ticks left the deadline at or before now",
			    sim_fault_name(o.fault), (unsigned long long)r.stuck_ticks);
	}
}

/* ---- heal ---- */

/* The trap of a short reconnect_timeout: after a cut heals, no notifier-down may switch before the dial is back. */
static void test_healed_wan_cut_no_switch(void **state)
{
	static const uint64_t heal_after[] = { 500, 5000, 16500, 17000, 20000, 30000, 31000,
		120000 };
	struct decide_params p = params_default();

	(void)state;
	p.reconnect_timeout_ms = 2000;
	for (size_t i = 0; i < sizeof heal_after / sizeof heal_after[0]; i++) {
		struct sim_opts o = opts(FAULT_WAN_CUT);
		struct sim_result r;

		o.for_ms = heal_after[i];
		o.heals = true;
		run(&p, &o, &r);
		if (r.switched || r.state != ST_BACKUP)
			fail_msg("wan-cut healed after %llu ms: switched %d, state %s",
			    (unsigned long long)o.for_ms, r.switched, decide_state_name(r.state));
		sim_result_free(&r);
	}
}

/* A notifier that comes back before reconnect_timeout: back to backup, no switch. */
static void test_notifier_back_in_time(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_NOTIFIER_KILL);
	struct sim_result r;

	(void)state;
	o.for_ms = p.reconnect_timeout_ms / 2;
	o.heals = true;
	run(&p, &o, &r);
	assert_int_equal(r.verdict, VERDICT_NOTIFIER_DOWN);
	assert_false(r.switched);
	assert_int_equal(r.state, ST_BACKUP);
	sim_result_free(&r);
}

/* ---- end of the run (SPEC simulate) ---- */

static uint64_t end_of(const struct decide_params *p, const struct sim_opts *o,
    struct sim_result *r)
{
	run(p, o, r);
	return r->end_ms;
}

static void test_end_rule(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_NONE);
	struct sim_result r;
	uint64_t end;

	(void)state;
	assert_int_equal(end_of(&p, &o, &r), H2_MS); /* neither heal nor decision: 2 h */
	sim_result_free(&r);
	o.fault = FAULT_PRIMARY_DOWN; /* decision only */
	o.at_ms = 5000;
	end = end_of(&p, &o, &r);
	assert_true(r.decided);
	assert_int_equal(end, o.at_ms + r.decision_ms + TAIL_MS);
	sim_result_free(&r);
	o.fault = FAULT_WAN_CUT; /* heal after the hold: the heal counts */
	o.for_ms = 300000;
	o.heals = true;
	assert_int_equal(end_of(&p, &o, &r), o.at_ms + o.for_ms + TAIL_MS);
	assert_true(r.decided && r.decision_ms < o.for_ms);
	sim_result_free(&r);
	o.for_ms = 3000; /* heal before any decision: heal only */
	assert_int_equal(end_of(&p, &o, &r), o.at_ms + o.for_ms + TAIL_MS);
	assert_false(r.decided);
	sim_result_free(&r);
	o.fault =
	    FAULT_PRIMARY_DOWN; /* a decision that would come after 2 h: never later than 2 h */
	o.at_ms = H2_MS - 10000;
	o.heals = false;
	assert_int_equal(end_of(&p, &o, &r), H2_MS);
	assert_false(r.decided);
	sim_result_free(&r);
}

/* ---- timeline ---- */

static bool has_line(const struct sim_result *r, const char *text, uint64_t t_ms)
{
	for (size_t i = 0; i < r->n_lines; i++) {
		if (strcmp(r->lines[i].event, text) == 0 && r->lines[i].t_ms == t_ms)
			return true;
	}
	return false;
}

static void test_timeline_markers_and_order(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_WAN_CUT);
	struct sim_result r;

	(void)state;
	o.at_ms = 10000;
	o.for_ms = 600000;
	o.heals = true;
	run(&p, &o, &r);
	assert_true(has_line(&r, "fault wan-cut starts", 10000));
	assert_true(has_line(&r, "fault heals", 610000));
	for (size_t i = 1; i < r.n_lines; i++)
		assert_true(r.lines[i - 1].t_ms <= r.lines[i].t_ms);
	assert_int_equal(r.lines[r.n_lines - 1].state, ST_BACKUP);
	sim_result_free(&r);
}

/* Two hours of hold or of calm stay readable: repeats are folded. */
static void test_timeline_not_flooded(void **state)
{
	struct decide_params p = params_fast();
	struct sim_result r;

	(void)state;
	for (int f = 0; f < FAULT_COUNT; f++) {
		struct sim_opts o = opts((enum sim_fault)f);

		o.loss_pct = 2;
		o.at_ms = H2_MS - 100000;
		run(&p, &o, &r);
		if (r.n_lines > 200)
			fail_msg("%s: %zu timeline lines", sim_fault_name(o.fault), r.n_lines);
		sim_result_free(&r);
	}
}

/* ---- JSON: exactly the SPEC object ---- */

static void test_json_shape(void **state)
{
	static const char *const keys[] = { "fault", "verdict", "switched", "decision_ms", "state",
		"timeline" };
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_NOTIFIER_KILL);
	char *text = json_of(&p, &o);
	struct json_object *j = json_tokener_parse(text), *v, *line;

	(void)state;
	assert_non_null(j);
	assert_int_equal(json_object_object_length(j), 6);
	for (size_t i = 0; i < 6; i++)
		assert_true(json_object_object_get_ex(j, keys[i], NULL));
	json_object_object_get_ex(j, "verdict", &v);
	assert_string_equal(json_object_get_string(v), "notifier-down");
	json_object_object_get_ex(j, "decision_ms", &v);
	assert_true(json_object_is_type(v, json_type_int));
	json_object_object_get_ex(j, "timeline", &v);
	line = json_object_array_get_idx(v, 0);
	assert_int_equal(json_object_object_length(line), 3);
	assert_true(json_object_object_get_ex(line, "t_ms", NULL));
	json_object_put(j);
	free(text);
}

static void test_json_nulls(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_NONE);
	char *text = json_of(&p, &o);
	struct json_object *j = json_tokener_parse(text), *v;

	(void)state;
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "verdict", &v) && v == NULL);
	assert_true(json_object_object_get_ex(j, "decision_ms", &v) && v == NULL);
	json_object_put(j);
	free(text);
}

/* ---- text ---- */

static void test_text_summary(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_WAN_CUT);
	struct sim_result r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	run(&p, &o, &r);
	sim_print_text(&r, &o, f);
	fclose(f);
	assert_non_null(strstr(buf, "   +0.000s  fault wan-cut starts"));
	assert_non_null(strstr(buf, "\nverdict:  network-down, posted at +"));
	assert_non_null(strstr(buf, "\nswitched: no: network-down holds"));
	assert_non_null(strstr(buf, "\ndecision: "));
	assert_non_null(strstr(buf, "\nstate:    reconnecting when the run ended at +"));
	sim_result_free(&r);
	free(buf);
}

static void test_bad_opts(void **state)
{
	struct decide_params p = params_default();
	struct sim_opts o = opts(FAULT_COUNT);
	struct sim_result r = { 0 };

	(void)state;
	assert_int_equal(sim_run(&p, &o, &r), -22);
	o = opts(FAULT_NONE);
	o.loss_pct = 101;
	assert_int_equal(sim_run(&p, &o, &r), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_names),
		cmocka_unit_test(test_verdicts_default),
		cmocka_unit_test(test_verdicts_fast),
		cmocka_unit_test(test_wan_cut_without_nettest_switches),
		cmocka_unit_test(test_decision_windows_default),
		cmocka_unit_test(test_decision_windows_fast),
		cmocka_unit_test(test_decision_windows_later_fault),
		cmocka_unit_test(test_decision_exact_at_zero),
		cmocka_unit_test(test_decision_phase_sweep),
		cmocka_unit_test(test_carrier_loss_network_down_at_once),
		cmocka_unit_test(test_module_kill_without_exit_watch),
		cmocka_unit_test(test_module_back_in_time_is_a_restart),
		cmocka_unit_test(test_endless_ping_sets_never_switch),
		cmocka_unit_test(test_reconnect_timeout_zero_switches_with_verdict),
		cmocka_unit_test(test_manual_mode_withholds),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_loss_runs),
		cmocka_unit_test(test_deadline_always_advances),
		cmocka_unit_test(test_healed_wan_cut_no_switch),
		cmocka_unit_test(test_notifier_back_in_time),
		cmocka_unit_test(test_end_rule),
		cmocka_unit_test(test_timeline_markers_and_order),
		cmocka_unit_test(test_timeline_not_flooded),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_json_nulls),
		cmocka_unit_test(test_text_summary),
		cmocka_unit_test(test_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
