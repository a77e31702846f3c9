/* test_decide_rules.c: the SPEC's classification, state-machine and monitor rules, one table row or case per rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "world.h"

#define WARM 30000 /* steady state before any fault */
#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static struct world W;

/* ---- helpers ---- */

static struct decide_params params_nettest(void)
{
	struct decide_params p;

	decide_params_default(&p);
	p.has_nettest = true;
	p.gateway_ping = true;
	return p;
}

static void warm(void)
{
	W.verbose = getenv("VIGIL_TEST_VERBOSE") != NULL;
	world_start(&W);
	world_run(&W, WARM);
	W.fault_at = WARM;
	world_log_clear(&W);
}

/* A steady backup at WARM: both connections up, the module answering. */
static void start(const struct decide_params *p)
{
	world_setup(&W, p);
	warm();
	assert_int_equal(W.d.state, ST_BACKUP);
}

/* A node that took the primary role by failsafe-start: its peer never answered. */
static void make_primary(const struct decide_params *p, uint64_t start_generation)
{
	world_setup(&W, p);
	W.verbose = getenv("VIGIL_TEST_VERBOSE") != NULL;
	W.host_up = false;
	W.start_generation = start_generation;
	world_start(&W);
	world_run(&W, p->start_timeout_ms);
	assert_int_equal(W.d.state, ST_PRIMARY);
	world_log_clear(&W);
}

static void assert_between(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v < lo || v > hi)
		fail_msg("%llu not within [%llu, %llu]", (unsigned long long)v,
		    (unsigned long long)lo, (unsigned long long)hi);
}

static struct decide_out *send_ev(struct vg_event ev)
{
	return world_step(&W, &ev);
}

static struct decide_out *send_flag(enum vg_event_type type, bool flag)
{
	return send_ev((struct vg_event){ .type = type, .flag = flag });
}

static struct decide_status status_now(void)
{
	struct decide_status s;

	decide_status(&W.d, W.now, &s);
	return s;
}

static size_t n_act(enum vg_action_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < W.nalog; i++)
		n += W.alog[i].a.type == type;
	return n;
}

/* Index in the log of the nth action of a type (from 0), or -1. */
static long act_index(enum vg_action_type type, size_t nth)
{
	for (size_t i = 0; i < W.nalog; i++)
		if (W.alog[i].a.type == type && nth-- == 0)
			return (long)i;
	return -1;
}

static const struct world_action *act_nth(enum vg_action_type type, size_t nth)
{
	long i = act_index(type, nth);

	return i < 0 ? NULL : &W.alog[i];
}

static bool out_has(const struct decide_out *o, enum vg_action_type type, bool flag_matters,
    bool flag)
{
	for (size_t i = 0; i < o->n_actions; i++)
		if (o->actions[i].type == type && (!flag_matters || o->actions[i].flag == flag))
			return true;
	return false;
}

static const struct vg_record *rec_find(enum vg_record_kind kind, const char *text)
{
	for (size_t i = 0; i < W.nrlog; i++)
		if (W.rlog[i].kind == kind &&
		    (text == NULL || strstr(W.rlog[i].text, text) != NULL))
			return &W.rlog[i];
	return NULL;
}

static const struct vg_record *rec_find_verdict(enum vg_verdict v)
{
	for (size_t i = 0; i < W.nrlog; i++)
		if (W.rlog[i].kind == REC_VERDICT && W.rlog[i].verdict == v)
			return &W.rlog[i];
	return NULL;
}

static size_t n_rec(enum vg_record_kind kind, const char *text)
{
	size_t n = 0;

	for (size_t i = 0; i < W.nrlog; i++)
		n += W.rlog[i].kind == kind &&
		    (text == NULL || strstr(W.rlog[i].text, text) != NULL);
	return n;
}

static void kill_module(bool exit_watch)
{
	W.module = MOD_DEAD;
	if (exit_watch)
		world_inject(&W, (struct vg_event){ .type = EV_MODULE_GONE, .pid = W.pid });
}

static void kill_notifier(void)
{
	W.vigild_up = false;
	for (int c = 0; c < CONN_COUNT; c++) {
		W.conn_ok[c] = false;
		world_inject(&W, (struct vg_event){ .type = EV_CONN_LOST, .conn = c });
	}
}

static void assert_no_switch(void)
{
	assert_int_equal(n_act(ACT_COMMENCE), 0);
	assert_int_equal(n_rec(REC_SWITCH, NULL), 0);
	assert_true(W.d.state != ST_PRIMARY);
}

/* The manual switch: accepted, primary, reason manual, in the journal and in status. */
static void assert_manual_switch_accepted(const struct decide_out *o)
{
	struct decide_status s;

	assert_int_equal(o->cmd_status, 0);
	assert_int_equal(W.d.state, ST_PRIMARY);
	assert_true(out_has(o, ACT_COMMENCE, false, false));
	s = status_now();
	assert_int_equal(s.last_switch, REASON_MANUAL);
	assert_int_equal(s.last_switch_ms, W.now);
	for (size_t i = 0; i < o->n_records; i++)
		if (o->records[i].kind == REC_SWITCH)
			assert_int_equal(o->records[i].reason, REASON_MANUAL);
}

/* ---- 1. classification, network status, ping sets ---- */

/* SPEC "Diagnosis": the local network is not good iff gateway-unreachable or nettest-unreachable. */
static bool oracle_net_not_good(enum vg_netstatus n)
{
	return n == NET_GATEWAY_UNREACHABLE || n == NET_NETTEST_UNREACHABLE;
}

/* SPEC "Classification", written from the page, not from classify.c. */
static enum vg_verdict oracle_classify(bool carrier_lost_all, enum vg_netstatus net, bool reached,
    bool main_up, bool aux_up, bool module_down)
{
	if (carrier_lost_all)
		return VERDICT_NETWORK_DOWN; /* rule 1 */
	if (reached) {                       /* rule 2 */
		if (!main_up && !aux_up)
			return VERDICT_NOTIFIER_DOWN;
		return module_down ? VERDICT_MODULE_DOWN : VERDICT_NONE;
	}
	/* rule 3: the primary host is silent */
	return oracle_net_not_good(net) ? VERDICT_NETWORK_DOWN : VERDICT_PRIMARY_UNREACHABLE;
}

/* One combination of the classification inputs; false (and a line on stderr) when the core disagrees. */
static bool classify_case(unsigned i)
{
	static const struct {
		bool main_up, aux_up;
	} conns[] = { { true, true }, { true, false }, { false, true }, { false, false } };
	static const enum vg_reach reach[] = { REACH_REACHED, REACH_UNREACHABLE };
	bool md = i % 2, carrier = i / 2 % 2;
	size_t c = i / 4 % 4, r = i / 16 % 2;
	struct vg_diag_snapshot s = {
		.valid = true,
		.main_up = conns[c].main_up,
		.aux_up = conns[c].aux_up,
		.carrier_lost_all = carrier,
		.net = (enum vg_netstatus)(i / 32 % NET_COUNT),
		.primary = reach[r],
		.module_down_confirmed = md,
	};
	enum vg_verdict want =
	    oracle_classify(carrier, s.net, s.primary == REACH_REACHED, s.main_up, s.aux_up, md);
	enum vg_verdict got = decide_classify(&s);

	if (got == want)
		return true;
	print_error(
	    "carrier_lost_all=%d net=%s primary=%s main=%d aux=%d module_down=%d: got %s, want %s\n",
	    carrier, decide_netstatus_name(s.net), decide_reach_name(s.primary), s.main_up,
	    s.aux_up, md, decide_verdict_name(got), decide_verdict_name(want));
	return false;
}

/* 2 carrier x 6 network status x 2 primary reach x 4 connection status x 2 module-down = 192 cases. */
static void test_classify_exhaustive(void **state)
{
	unsigned bad = 0;

	(void)state;
	for (unsigned i = 0; i < 2 * NET_COUNT * 2 * 4 * 2; i++)
		bad += !classify_case(i);
	assert_int_equal(2 * NET_COUNT * 2 * 4 * 2, 192);
	assert_int_equal(bad, 0);
}

/*
 * SPEC "Diagnosis": gateway-unreachable if gateways are probed and none answered; else nettest-unreachable
 * if NetTest is configured and none answered; else nettest-reached if NetTest answered; else gateway-reached;
 * else nettest-unavailable. An "answered" flag without its probe cannot happen; it is read as no answer.
 */
static enum vg_netstatus oracle_netstatus(bool gw_probed, bool gw_answered, bool nt_probed,
    bool nt_answered)
{
	bool gw = gw_probed && gw_answered, nt = nt_probed && nt_answered;

	if (gw_probed && !gw)
		return NET_GATEWAY_UNREACHABLE;
	if (nt_probed && !nt)
		return NET_NETTEST_UNREACHABLE;
	if (nt)
		return NET_NETTEST_REACHED;
	if (gw)
		return NET_GATEWAY_REACHED;
	return NET_NETTEST_UNAVAILABLE;
}

static void test_netstatus_exhaustive(void **state)
{
	unsigned bad = 0;

	(void)state;
	for (unsigned bits = 0; bits < 32; bits++) {
		struct vg_diag_result r = {
			.gateways_probed = bits & 1,
			.gateway_answered = bits & 2,
			.nettest_probed = bits & 4,
			.nettest_answered = bits & 8,
			.primary_answered = bits & 16,
		};
		enum vg_netstatus want = oracle_netstatus(r.gateways_probed, r.gateway_answered,
		    r.nettest_probed, r.nettest_answered);
		enum vg_netstatus got = decide_netstatus(&r);

		if (got != want) {
			bad++;
			print_error(
			    "gw_probed=%d gw_answered=%d nt_probed=%d nt_answered=%d primary=%d: got %s, "
			    "want %s\n",
			    r.gateways_probed, r.gateway_answered, r.nettest_probed,
			    r.nettest_answered, r.primary_answered, decide_netstatus_name(got),
			    decide_netstatus_name(want));
		}
	}
	assert_int_equal(bad, 0);
}

static void test_ping_sets(void **state)
{
	static const struct {
		int32_t count, sets;
	} rows[] = { { -1, -1 }, { 0, 3 }, { 1, 3 }, { 2, 3 }, { 3, 3 }, { 4, 4 }, { 1000, 1000 } };

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++)
		if (decide_ping_sets(rows[i].count) != rows[i].sets)
			fail_msg("decide_ping_sets(%d) = %d, want %d", rows[i].count,
			    decide_ping_sets(rows[i].count), rows[i].sets);
}

/* SPEC "Ping sets" on the clock: set k at verdict + k x D, the last waits nettest_timeout, then switch. */
static void test_ping_sets_timed(void **state)
{
	static const struct {
		int32_t count, sets;
	} rows[] = { { 1, 3 }, { 3, 3 }, { 4, 4 } };

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();

		p.unreachable_ping_count = rows[i].count;
		start(&p);
		W.host_up = false;
		world_run(&W, WARM + 300000);
		assert_int_equal(W.first_verdict, VERDICT_PRIMARY_UNREACHABLE);
		assert_int_equal(W.sets, rows[i].sets);
		assert_int_equal(W.switch_reason, REASON_PRIMARY_UNREACHABLE);
		assert_int_equal(W.switch_t - W.first_verdict_t,
		    rows[i].sets * (uint64_t)p.unreachable_ping_delay_ms + p.nettest_timeout_ms);
		for (int k = 0; k < rows[i].sets; k++)
			assert_int_equal(act_nth(ACT_PING_SET, k)->t,
			    W.first_verdict_t + (k + 1) * (uint64_t)p.unreachable_ping_delay_ms);
	}
}

/* ---- 2. manual mode ---- */

static void test_manual_module_down(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t R = p.module_retry_delay_ms;
	const struct world_action *a;
	const struct vg_record *r;
	struct decide_status s;

	(void)state;
	p.manual = true;
	start(&p);
	kill_module(true);
	world_run(&W, WARM + 300000);
	/* the trigger comes when the switch would have: (2F-1) x R after the exit */
	assert_int_equal(n_act(ACT_ALERT), 1);
	a = act_nth(ACT_ALERT, 0);
	assert_int_equal(a->a.verdict, VERDICT_MODULE_DOWN);
	assert_int_equal(a->a.reason, REASON_MODULE_DOWN);
	assert_between(a->t - WARM, 3 * R, 3 * R + 6 * W.rtt);
	r = rec_find(REC_WITHHELD, NULL);
	assert_non_null(r);
	assert_int_equal(r->verdict, VERDICT_MODULE_DOWN);
	assert_int_equal(r->t_ms, a->t);
	assert_no_switch();
	assert_int_equal(W.d.state, ST_BACKUP);
	s = status_now();
	assert_int_equal(s.state, ST_BACKUP);
	assert_int_equal(s.verdict, VERDICT_MODULE_DOWN);
	assert_non_null(strstr(s.withheld, "module-down"));
	assert_non_null(strstr(s.withheld, "manual"));
	/* vigilctl switch switches */
	assert_manual_switch_accepted(send_flag(EV_CMD_SWITCH, false));
}

/*
 * A withheld module-down leaves the node where it was (SPEC "manual mode and upgrade states", "backup":
 * the switch waits for readiness): the module monitor goes on, and the module's return ends the verdict
 * ("kept until the node is again in backup ... with a connection up and the module answering").
 */
static void test_withheld_module_down_monitoring_goes_on(void **state)
{
	static const struct {
		const char *what;
		bool manual;
		int version_cmp;
		bool dead_from_start; /* not ready: the module never answered since start */
		enum vg_state want;
	} rows[] = {
		{ "mode manual", true, 0, false, ST_BACKUP },
		{ "upgrade-lower", false, 1, false, ST_UPGRADE_LOWER },
		{ "not ready: module dead from the start", false, 0, true, ST_BACKUP },
	};
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		struct decide_status s;

		p.manual = rows[i].manual;
		world_setup(&W, &p);
		W.peer_version_cmp = rows[i].version_cmp;
		if (rows[i].dead_from_start)
			W.module = MOD_DEAD;
		warm();
		if (!rows[i].dead_from_start)
			kill_module(true);
		world_run(&W, WARM + 60000);
		assert_true(status_now().withheld[0] != '\0');
		assert_int_equal(status_now().verdict, VERDICT_MODULE_DOWN);
		/* the supervisor brings the module back under a new PID */
		W.module = MOD_OK;
		W.pid = 2000;
		world_log_clear(&W);
		world_run(&W, WARM + 60000 + 2 * (p.module_timeout_ms + p.module_retry_delay_ms));
		s = status_now();
		if (n_act(ACT_SEND_MODULE_PING) == 0 || s.verdict != VERDICT_NONE ||
		    !s.module_responding) {
			/* every row is tried; the test fails at the end */
			bad++;
			print_error(
			    "%s: %zu module pings in %u ms after the module came back; verdict %s, module "
			    "responding %d, withheld \"%s\"\n",
			    rows[i].what, n_act(ACT_SEND_MODULE_PING),
			    2 * (p.module_timeout_ms + p.module_retry_delay_ms),
			    decide_verdict_name(s.verdict), s.module_responding, s.withheld);
			continue;
		}
		assert_int_equal(s.state, rows[i].want);
		assert_string_equal(s.withheld, "");
		assert_no_switch();
		if (rows[i].dead_from_start)
			continue;
		/* a new outage is a new verdict: a new alert, still no switch */
		kill_module(true);
		world_run(&W, W.now + 60000);
		assert_int_equal(n_act(ACT_ALERT), 1);
		assert_no_switch();
	}
	assert_int_equal(bad, 0);
}

static void test_manual_notifier_kill(void **state)
{
	struct decide_params p = params_nettest();
	const struct world_action *a;
	struct decide_status s;

	(void)state;
	p.manual = true;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + p.reconnect_timeout_ms + 60000);
	assert_int_equal(W.first_verdict, VERDICT_NOTIFIER_DOWN);
	assert_int_equal(W.d.state, ST_RECONNECTING);
	/* the reconnect timer runs out: an alert, no switch */
	assert_int_equal(n_act(ACT_ALERT), 1);
	a = act_nth(ACT_ALERT, 0);
	assert_int_equal(a->t, W.first_verdict_t + p.reconnect_timeout_ms);
	assert_int_equal(a->a.verdict, VERDICT_NOTIFIER_DOWN);
	assert_non_null(rec_find(REC_WITHHELD, NULL));
	assert_no_switch();
	s = status_now();
	assert_int_equal(s.verdict, VERDICT_NOTIFIER_DOWN);
	assert_non_null(strstr(s.withheld, "manual"));
	assert_manual_switch_accepted(send_flag(EV_CMD_SWITCH, false));
}

/* ---- 3. upgrade states ---- */

static void test_upgrade_states(void **state)
{
	static const struct {
		const char *what;
		int version_cmp;
		enum vg_state want;
	} rows[] = {
		{ "peer newer: this node is the lower version", 1, ST_UPGRADE_LOWER },
		{ "peer older: this node is the higher version", -1, ST_UPGRADE_HIGHER },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		struct decide_out *o;
		struct decide_status s;

		world_setup(&W, &p);
		W.peer_version_cmp = rows[i].version_cmp;
		warm();
		assert_int_equal(W.d.state, rows[i].want);
		s = status_now();
		assert_int_equal(s.verdict, VERDICT_NONE);
		/* module-down: an alert, no switch; status says why */
		kill_module(true);
		world_run(&W, WARM + 60000);
		assert_int_equal(W.d.state, rows[i].want);
		assert_int_equal(n_act(ACT_ALERT), 1);
		assert_int_equal(act_nth(ACT_ALERT, 0)->a.verdict, VERDICT_MODULE_DOWN);
		assert_non_null(rec_find(REC_WITHHELD, NULL));
		assert_no_switch();
		s = status_now();
		assert_int_equal(s.verdict, VERDICT_MODULE_DOWN);
		assert_non_null(strstr(s.withheld, "upgrade"));
		/* vigilctl switch without --force: refused, and says so */
		o = send_flag(EV_CMD_SWITCH, false);
		assert_true(o->cmd_status < 0);
		assert_non_null(strstr(o->cmd_msg, "--force"));
		assert_int_equal(W.d.state, rows[i].want);
		assert_no_switch();
		/* with --force: switches */
		assert_manual_switch_accepted(send_flag(EV_CMD_SWITCH, true));
	}
}

/* ---- 4. readiness ---- */

static void test_not_ready_module_never_answered(void **state)
{
	struct decide_params p = params_nettest();
	struct decide_status s;
	const struct vg_record *r;

	(void)state;
	world_setup(&W, &p);
	W.module = MOD_DEAD; /* dead from the start: never answered since vigild started */
	W.verbose = getenv("VIGIL_TEST_VERBOSE") != NULL;
	world_start(&W);
	world_run(&W, 120000);
	assert_no_switch();
	assert_true(W.d.state == ST_BACKUP || W.d.state == ST_RECONNECTING);
	assert_non_null(rec_find(REC_WITHHELD, "module-down waits"));
	r = rec_find(REC_WITHHELD, "waits");
	assert_non_null(r);
	s = status_now();
	assert_false(s.ready);
	assert_int_equal(s.verdict, VERDICT_MODULE_DOWN);
	assert_non_null(strstr(s.withheld, "ready"));
	/* the journal record carries its verdict and diagnosis, like every other REC_WITHHELD (for `why`) */
	if (r->verdict != VERDICT_MODULE_DOWN || !r->diag.valid)
		fail_msg("REC_WITHHELD \"%s\": verdict field %s, diagnosis %s", r->text,
		    decide_verdict_name(r->verdict), r->diag.valid ? "kept" : "missing");
}

static void test_local_check_waits_then_switches(void **state)
{
	struct decide_params p = params_nettest();
	struct decide_status s;
	struct decide_out *o;
	uint64_t pass_at = WARM + 20000;

	(void)state;
	p.has_local_check = true;
	start(&p);
	world_inject(&W, (struct vg_event){ .type = EV_LOCAL_CHECK, .flag = false });
	assert_false(status_now().ready);
	kill_module(true);
	world_run(&W, pass_at);
	assert_no_switch();
	assert_non_null(rec_find(REC_WITHHELD, "waits"));
	s = status_now();
	assert_int_equal(s.verdict, VERDICT_MODULE_DOWN);
	assert_true(s.withheld[0] != '\0');
	/* local_check passes: the verdict is still in force, so the switch happens now */
	o = send_flag(EV_LOCAL_CHECK, true);
	assert_int_equal(W.d.state, ST_PRIMARY);
	assert_true(out_has(o, ACT_COMMENCE, false, false));
	assert_int_equal(W.switch_t, pass_at);
	assert_int_equal(W.switch_reason, REASON_MODULE_DOWN);
}

/* The trigger waited for local_check, but the verdict ended (the primary came back): passing switches nothing. */
static void test_local_check_verdict_gone(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	p.has_local_check = true;
	start(&p);
	world_inject(&W, (struct vg_event){ .type = EV_LOCAL_CHECK, .flag = false });
	kill_notifier();
	world_run(&W, WARM + p.reconnect_timeout_ms + 1000);
	assert_non_null(rec_find(REC_WITHHELD, "waits"));
	assert_no_switch();
	W.vigild_up = true;
	world_run(&W, W.now + 2 * p.reconnect_delay_ms);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_int_equal(status_now().verdict, VERDICT_NONE);
	world_inject(&W, (struct vg_event){ .type = EV_LOCAL_CHECK, .flag = true });
	world_run(&W, W.now + 60000);
	assert_no_switch();
	assert_int_equal(W.d.state, ST_BACKUP);
}

/*
 * The reconnect timer ran out while local_check failed (the switch waits); then the peer's vigild answers
 * again: a connection up stops the reconnect timer (SPEC "reconnecting"), so its waiting switch must not
 * happen when local_check passes later, even before a module pong with a PID ends the verdict.
 */
static void test_local_check_pending_switch_stopped_by_conn_up(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	p.has_local_check = true;
	start(&p);
	world_inject(&W, (struct vg_event){ .type = EV_LOCAL_CHECK, .flag = false });
	kill_notifier();
	world_run(&W, WARM + p.reconnect_timeout_ms + 1000);
	assert_non_null(rec_find(REC_WITHHELD, "waits"));
	W.vigild_up = true;
	W.module =
	    MOD_REJECT; /* the module's state stays unknown: the verdict is not ended by a PID */
	world_run(&W, W.now + 3 * p.reconnect_delay_ms);
	assert_true(W.d.conn[CONN_MAIN].up && W.d.conn[CONN_AUX].up);
	world_inject(&W, (struct vg_event){ .type = EV_LOCAL_CHECK, .flag = true });
	world_run(&W, W.now + 60000);
	if (W.d.state == ST_PRIMARY)
		fail_msg("switched (reason %s) at %llu with both connections up to a live primary",
		    decide_reason_name(W.switch_reason), (unsigned long long)W.switch_t);
	assert_no_switch();
}

/* ---- 5. manual switch and sync ---- */

static void test_manual_switch_sync(void **state)
{
	static const struct {
		const char *what;
		bool sync_known, in_sync, force, accepted;
	} rows[] = {
		{ "sync unknown (no sync_check): accepted", false, false, false, true },
		{ "in sync: accepted", true, true, false, true },
		{ "not in sync: refused", true, false, false, false },
		{ "not in sync, --force: accepted", true, false, true, true },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		struct decide_out *o;

		p.has_sync_check = rows[i].sync_known;
		start(&p);
		if (rows[i].sync_known)
			world_inject(&W,
			    (struct vg_event){ .type = EV_SYNC, .flag = rows[i].in_sync });
		o = send_flag(EV_CMD_SWITCH, rows[i].force);
		if (rows[i].accepted) {
			assert_manual_switch_accepted(o);
			continue;
		}
		assert_true(o->cmd_status < 0);
		assert_non_null(strstr(o->cmd_msg, "sync"));
		assert_non_null(rec_find(REC_COMMAND, "refused"));
		assert_int_equal(W.d.state, ST_BACKUP);
		assert_no_switch();
	}
}

/* ---- 6. island convergence, entering primary ---- */

static void test_island_convergence(void **state)
{
	static const struct {
		const char *what;
		bool role_a;
		uint64_t start_gen; /* own generation after failsafe-start: start_gen + 1 */
		uint64_t peer_gen;
		enum vg_event_type ev;
		bool lose;
	} rows[] = {
		{ "announcement, peer generation higher: stale", true, 1, 5, EV_PEER_STATE, true },
		{ "announcement, peer generation lower: keeps primary", true, 5, 2, EV_PEER_STATE,
		    false },
		{ "announcement, tie, this node A: keeps primary", true, 1, 2, EV_PEER_STATE,
		    false },
		{ "announcement, tie, this node B: stale", false, 1, 2, EV_PEER_STATE, true },
		{ "hello, peer generation higher: stale", true, 3, 9, EV_CONN_UP, true },
		{ "hello, tie, this node B: stale", false, 3, 4, EV_CONN_UP, true },
		{ "hello, peer generation lower, this node B: keeps primary", false, 3, 1,
		    EV_CONN_UP, false },
		{ "commence notice, tie, this node A: keeps primary", true, 6, 7, EV_PEER_COMMENCE,
		    false },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		struct decide_out *o;

		p.role_a = rows[i].role_a;
		make_primary(&p, rows[i].start_gen);
		assert_int_equal(status_now().generation, rows[i].start_gen + 1);
		world_run(&W, W.now + 100);
		o = send_ev((struct vg_event){ .type = rows[i].ev,
		    .conn = CONN_MAIN,
		    .peer = { .state = ST_PRIMARY,
		        .generation = rows[i].peer_gen,
		        .config_match = true } });
		if (!rows[i].lose) {
			if (W.d.state != ST_PRIMARY)
				fail_msg("%s: state %s", rows[i].what,
				    decide_state_name(W.d.state));
			assert_false(out_has(o, ACT_DISCONTINUE, false, false));
			assert_false(out_has(o, ACT_FENCE, false, false));
			continue;
		}
		if (W.d.state != ST_STALE)
			fail_msg("%s: state %s", rows[i].what, decide_state_name(W.d.state));
		assert_true(out_has(o, ACT_DISCONTINUE, false, false));
		assert_true(out_has(o, ACT_FENCE, true, true));
		assert_true(out_has(o, ACT_PERSIST, false, false));
		assert_int_equal(act_nth(ACT_DISCONTINUE, 0)->a.reason, REASON_ISLAND_CONVERGENCE);
		assert_int_equal(status_now().verdict, VERDICT_NONE);
	}
}

enum trigger {
	TRIG_CMD_SWITCH,
	TRIG_MODULE_DOWN,
	TRIG_PEER_DRAIN_DONE,
	TRIG_FAILSAFE
};

static void test_entering_primary(void **state)
{
	static const struct {
		const char *what;
		enum trigger trigger;
		uint64_t start_gen, peer_gen, want_gen;
		enum vg_reason reason;
	} rows[] = {
		{ "manual switch, the peer's generation higher", TRIG_CMD_SWITCH, 1, 7, 8,
		    REASON_MANUAL },
		{ "manual switch, own generation higher", TRIG_CMD_SWITCH, 10, 3, 11,
		    REASON_MANUAL },
		{ "module-down", TRIG_MODULE_DOWN, 4, 6, 7, REASON_MODULE_DOWN },
		{ "handover (drain done)", TRIG_PEER_DRAIN_DONE, 2, 2, 3, REASON_HANDOVER },
		{ "failsafe-start, peer never seen", TRIG_FAILSAFE, 4, 0, 5,
		    REASON_FAILSAFE_START },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		long persist, commence, announce, close0, close1;
		struct decide_status s;

		world_setup(&W, &p);
		W.start_generation = rows[i].start_gen;
		W.peer_generation = rows[i].peer_gen;
		if (rows[i].trigger == TRIG_FAILSAFE) {
			W.host_up = false;
			world_start(&W);
			world_run(&W, p.start_timeout_ms);
		} else {
			warm();
			assert_int_equal(W.d.state, ST_BACKUP);
		}
		switch (rows[i].trigger) {
		case TRIG_CMD_SWITCH:
			world_inject(&W, (struct vg_event){ .type = EV_CMD_SWITCH });
			break;
		case TRIG_MODULE_DOWN:
			kill_module(true);
			W.peer_state =
			    ST_STALE; /* what dials back after the switch must not disturb the log */
			world_run(&W, WARM + 30000);
			break;
		case TRIG_PEER_DRAIN_DONE:
			world_inject(&W, (struct vg_event){ .type = EV_PEER_DRAIN_DONE });
			break;
		case TRIG_FAILSAFE:
			break;
		}
		if (W.d.state != ST_PRIMARY)
			fail_msg("%s: state %s", rows[i].what, decide_state_name(W.d.state));
		s = status_now();
		if (s.generation != rows[i].want_gen)
			fail_msg("%s: generation %llu, want %llu", rows[i].what,
			    (unsigned long long)s.generation, (unsigned long long)rows[i].want_gen);
		assert_int_equal(s.last_switch, rows[i].reason);
		/* persist before commence; announce on the connections before closing them */
		persist = act_index(ACT_PERSIST, 0);
		commence = act_index(ACT_COMMENCE, 0);
		announce = act_index(ACT_ANNOUNCE, 0);
		close0 = act_index(ACT_CLOSE, 0);
		close1 = act_index(ACT_CLOSE, 1);
		assert_true(
		    persist >= 0 && commence >= 0 && announce >= 0 && close0 >= 0 && close1 >= 0);
		assert_int_equal(W.alog[persist].t, W.alog[commence].t);
		assert_int_equal(W.alog[announce].t, W.alog[commence].t);
		if (!(persist < commence))
			fail_msg("%s: ACT_PERSIST (%ld) after ACT_COMMENCE (%ld)", rows[i].what,
			    persist, commence);
		if (!(announce < close0 && announce < close1))
			fail_msg("%s: ACT_ANNOUNCE (%ld) after ACT_CLOSE (%ld, %ld)", rows[i].what,
			    announce, close0, close1);
		assert_int_equal(W.alog[commence].a.reason, rows[i].reason);
	}
}

/*
 * SPEC "island convergence": the generation is persisted per node (fsync'd); a backup adopts the primary's
 * generation on every hello. An adopted generation that is not persisted is lost at a restart, and the node
 * that served since then can lose island convergence to the old primary.
 */
static void test_backup_adopted_generation_persisted(void **state)
{
	struct decide_params p = params_nettest();
	struct decide_out *o;

	(void)state;
	start(&p);
	world_run(&W, W.now + 100);
	o = send_ev((struct vg_event){ .type = EV_PEER_STATE,
	    .conn = CONN_MAIN,
	    .peer = { .state = ST_PRIMARY,
	        .generation = 7,
	        .config_match = true,
	        .sync = SYNC_UNKNOWN,
	        .module_responding = true } });
	assert_int_equal(status_now().generation, 7);
	if (!out_has(o, ACT_PERSIST, false, false))
		fail_msg("generation 1 -> 7 adopted from the primary without ACT_PERSIST");
}

/* ---- 7. stale ---- */

static void test_stale_persisted_then_peer_primary(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t quiet = 3ull * p.ping_delay_ms > p.reconnect_delay_ms ? 3ull * p.ping_delay_ms
	                                                               : p.reconnect_delay_ms;
	const struct vg_record *r;
	long fence_off;

	(void)state;
	world_setup(&W, &p);
	W.start_stale = true;
	W.verbose = getenv("VIGIL_TEST_VERBOSE") != NULL;
	world_start(&W);
	assert_int_equal(W.d.state, ST_STALE);
	assert_int_equal(act_index(ACT_FENCE, 0), 0);
	assert_true(W.alog[0].a.flag);
	assert_int_equal(n_act(ACT_COMMENCE), 0);
	/* it dials the peer, finds it primary: backup, fence lifted */
	world_run(&W, quiet + p.reconnect_delay_ms + 10);
	assert_true(W.d.state == ST_BACKUP);
	r = rec_find(REC_TRANSITION, "stale -> backup");
	assert_non_null(r);
	fence_off = act_index(ACT_FENCE, 1);
	assert_true(fence_off > 0);
	assert_false(W.alog[fence_off].a.flag);
	assert_int_equal(n_act(ACT_COMMENCE), 0);
	world_run(&W, 60000);
	assert_int_equal(W.d.state, ST_BACKUP);
}

static void test_stale_since_start_needs_rejoin(void **state)
{
	struct decide_params p = params_nettest();
	struct decide_out *o;

	(void)state;
	make_primary(&p, 1);
	world_run(&W, W.now + 100);
	world_inject(&W,
	    (struct vg_event){ .type = EV_PEER_STATE,
	        .peer = { .state = ST_PRIMARY, .generation = 9 } });
	assert_int_equal(W.d.state, ST_STALE);
	/* finding the peer primary does not end a stale entered since this start */
	world_run(&W, W.now + 1000);
	o = send_ev((struct vg_event){ .type = EV_CONN_UP,
	    .conn = CONN_MAIN,
	    .peer = { .state = ST_PRIMARY, .generation = 9, .config_match = true } });
	assert_int_equal(W.d.state, ST_STALE);
	assert_false(out_has(o, ACT_FENCE, true, false));
	world_run(&W, W.now + 30000);
	assert_int_equal(W.d.state, ST_STALE);
	/* vigilctl rejoin: backup, fence off */
	o = send_flag(EV_CMD_REJOIN, false);
	assert_int_equal(o->cmd_status, 0);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_true(out_has(o, ACT_FENCE, true, false));
	assert_false(out_has(o, ACT_FENCE, true, true));
	assert_false(out_has(o, ACT_COMMENCE, false, false));
}

static void test_rejoin_refused_outside_stale(void **state)
{
	struct decide_params p = params_nettest();
	struct decide_out *o;

	(void)state;
	start(&p);
	o = send_flag(EV_CMD_REJOIN, false);
	assert_true(o->cmd_status < 0);
	assert_int_equal(W.d.state, ST_BACKUP);
}

/* ---- 8. init ---- */

static void test_init(void **state)
{
	static const struct {
		const char *what;
		bool role_a, wait_peer, force_backup, peer_reachable;
		enum vg_state peer_state;
		uint64_t at; /* 0: start_timeout */
		enum vg_state want;
		enum vg_reason switch_reason; /* status last_switch, REASON_NONE: null */
	} rows[] = {
		{ "peer unreachable, failsafe-active (A): primary at start_timeout", true, false,
		    false, false, ST_PRIMARY, 0, ST_PRIMARY, REASON_FAILSAFE_START },
		{ "peer unreachable, failsafe-active (B): primary at start_timeout", false, false,
		    false, false, ST_PRIMARY, 0, ST_PRIMARY, REASON_FAILSAFE_START },
		{ "peer unreachable, wait-peer: init past start_timeout", true, true, false, false,
		    ST_PRIMARY, 30000, ST_INIT, REASON_NONE },
		{ "both starting, this node A: primary", true, false, false, true, ST_INIT, 100,
		    ST_PRIMARY, REASON_NONE },
		{ "both starting, this node B: backup", false, false, false, true, ST_INIT, 100,
		    ST_BACKUP, REASON_NONE },
		{ "peer primary: backup", true, false, false, true, ST_PRIMARY, 100, ST_BACKUP,
		    REASON_NONE },
		{ "force_backup, peer unreachable: backup", true, false, true, false, ST_PRIMARY, 0,
		    ST_BACKUP, REASON_NONE },
		{ "force_backup, both starting, this node A: backup", true, false, true, true,
		    ST_INIT, 100, ST_BACKUP, REASON_NONE },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		uint64_t at;
		struct decide_status s;

		p.role_a = rows[i].role_a;
		p.wait_peer = rows[i].wait_peer;
		p.force_backup = rows[i].force_backup;
		at = rows[i].at ? rows[i].at : p.start_timeout_ms;
		world_setup(&W, &p);
		W.verbose = getenv("VIGIL_TEST_VERBOSE") != NULL;
		W.host_up = rows[i].peer_reachable;
		W.peer_state = rows[i].peer_state;
		world_start(&W);
		if (rows[i].at == 0) {
			/* nothing decided before start_timeout */
			world_run(&W, at - 1);
			if (W.d.state != ST_INIT)
				fail_msg("%s: state %s before start_timeout", rows[i].what,
				    decide_state_name(W.d.state));
		}
		world_run(&W, at);
		if (W.d.state != rows[i].want)
			fail_msg("%s: state %s, want %s", rows[i].what,
			    decide_state_name(W.d.state), decide_state_name(rows[i].want));
		s = status_now();
		assert_int_equal(s.last_switch, rows[i].switch_reason);
		if (rows[i].switch_reason != REASON_NONE) {
			assert_int_equal(s.last_switch_ms, at);
			assert_int_equal(act_nth(ACT_COMMENCE, 0)->a.reason, rows[i].switch_reason);
		}
		if (rows[i].want != ST_PRIMARY) {
			/* and it does not take the role later on its own */
			world_run(&W, at + 120000);
			assert_int_equal(n_act(ACT_COMMENCE), 0);
			if (rows[i].want == ST_INIT)
				assert_int_equal(W.d.state, ST_INIT);
		}
	}
}

static void test_init_wait_peer_then_peer_comes(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	p.wait_peer = true;
	world_setup(&W, &p);
	W.host_up = false;
	world_start(&W);
	world_run(&W, 3 * p.start_timeout_ms);
	assert_int_equal(W.d.state, ST_INIT);
	W.host_up = true;
	world_run(&W, 3 * p.start_timeout_ms + p.reconnect_delay_ms + 10);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_int_equal(n_act(ACT_COMMENCE), 0);
}

/* ---- 9. handover ---- */

static struct vg_peer_info backup_peer(void)
{
	return (struct vg_peer_info){ .state = ST_BACKUP,
		.generation = 1,
		.config_match = true,
		.sync = SYNC_IN,
		.module_responding = true };
}

static void test_handover_on_primary(void **state)
{
	static const struct {
		const char *what;
		bool connected;
		enum vg_state peer_state;
		bool responding;
		enum vg_sync sync;
		int version_cmp;
		enum vg_event_type cmd;
		bool force, accepted;
	} rows[] = {
		{ "connected backup, module answering, in sync", true, ST_BACKUP, true, SYNC_IN, 0,
		    EV_CMD_HANDOVER, false, true },
		{ "the backup asks (drain request)", true, ST_BACKUP, true, SYNC_IN, 0,
		    EV_PEER_DRAIN_REQ, false, true },
		{ "sync unknown (no sync_check on the backup)", true, ST_BACKUP, true, SYNC_UNKNOWN,
		    0, EV_CMD_HANDOVER, false, true },
		{ "peer not connected", false, ST_BACKUP, true, SYNC_IN, 0, EV_CMD_HANDOVER, false,
		    false },
		{ "peer reconnecting", true, ST_RECONNECTING, true, SYNC_IN, 0, EV_CMD_HANDOVER,
		    false, false },
		{ "peer in an upgrade state", true, ST_UPGRADE_LOWER, true, SYNC_IN, -1,
		    EV_CMD_HANDOVER, false, false },
		{ "peer in backup, but versions differ", true, ST_BACKUP, true, SYNC_IN, 1,
		    EV_CMD_HANDOVER, false, false },
		{ "peer's module not answering", true, ST_BACKUP, false, SYNC_IN, 0,
		    EV_CMD_HANDOVER, false, false },
		{ "peer not in sync", true, ST_BACKUP, true, SYNC_NOT_IN, 0, EV_CMD_HANDOVER, false,
		    false },
		{ "peer not in sync, --force", true, ST_BACKUP, true, SYNC_NOT_IN, 0,
		    EV_CMD_HANDOVER, true, true },
		{ "peer not in sync, drain request with force", true, ST_BACKUP, true, SYNC_NOT_IN,
		    0, EV_PEER_DRAIN_REQ, true, true },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		struct vg_peer_info peer = backup_peer();
		struct decide_out *o;

		make_primary(&p, 1);
		world_run(&W, W.now + 100);
		peer.state = rows[i].peer_state;
		peer.module_responding = rows[i].responding;
		peer.sync = rows[i].sync;
		peer.version_cmp = rows[i].version_cmp;
		peer.generation = W.d.generation;
		if (rows[i].connected)
			world_inject(&W,
			    (struct vg_event){ .type = EV_CONN_UP,
			        .conn = CONN_MAIN,
			        .peer = peer });
		else { /* known from an earlier hello, silent since: the backup's pings stopped */
			world_inject(&W,
			    (struct vg_event){ .type = EV_PEER_STATE,
			        .conn = CONN_MAIN,
			        .peer = peer });
			W.path_ok = false; /* the primary's own dials to look for it go nowhere */
			world_run(&W, W.now + 3 * p.ping_delay_ms + p.reconnect_delay_ms + 1);
		}
		assert_int_equal(W.d.state, ST_PRIMARY);
		o = send_flag(rows[i].cmd, rows[i].force);
		if (!rows[i].accepted) {
			if (out_has(o, ACT_RUN_DRAIN, false, false))
				fail_msg("%s: drains", rows[i].what);
			if (rows[i].cmd == EV_CMD_HANDOVER)
				assert_true(o->cmd_status < 0);
			assert_int_equal(W.d.state, ST_PRIMARY);
			continue;
		}
		if (!out_has(o, ACT_RUN_DRAIN, false, false))
			fail_msg("%s: no ACT_RUN_DRAIN (%s)", rows[i].what, o->cmd_msg);
		if (rows[i].cmd == EV_CMD_HANDOVER)
			assert_int_equal(o->cmd_status, 0);
		assert_int_equal(W.d.state, ST_PRIMARY);
		world_run(&W, W.now + 5000);
		assert_int_equal(W.d.state, ST_PRIMARY);
		o = send_flag(EV_DRAIN_DONE, true);
		assert_true(out_has(o, ACT_SEND_DRAIN_DONE, false, false));
		assert_true(out_has(o, ACT_DISCONTINUE, false, false));
		assert_false(out_has(o, ACT_FENCE, true, true));
		assert_int_equal(act_nth(ACT_DISCONTINUE, 0)->a.reason, REASON_HANDOVER);
		assert_int_equal(W.d.state, ST_BACKUP);
		assert_false(W.d.started_here);
	}
}

static void test_handover_drain_fails(void **state)
{
	struct decide_params p = params_nettest();
	struct decide_out *o;

	(void)state;
	make_primary(&p, 1);
	world_inject(&W,
	    (struct vg_event){ .type = EV_CONN_UP, .conn = CONN_MAIN, .peer = backup_peer() });
	o = send_flag(EV_CMD_HANDOVER, false);
	assert_int_equal(o->cmd_status, 0);
	o = send_flag(EV_DRAIN_DONE, false);
	assert_false(out_has(o, ACT_SEND_DRAIN_DONE, false, false));
	assert_false(out_has(o, ACT_DISCONTINUE, false, false));
	assert_int_equal(W.d.state, ST_PRIMARY);
}

static void test_handover_on_backup(void **state)
{
	struct decide_params p = params_nettest();
	struct decide_out *o;
	struct decide_status s;

	(void)state;
	start(&p);
	/* vigilctl handover on the backup: it asks the primary */
	o = send_flag(EV_CMD_HANDOVER, true);
	assert_int_equal(o->cmd_status, 0);
	assert_true(out_has(o, ACT_SEND_DRAIN_REQ, true, true));
	assert_int_equal(W.d.state, ST_BACKUP);
	/* the primary drained: take over */
	world_run(&W, W.now + 3000);
	o = send_flag(EV_PEER_DRAIN_DONE, false);
	assert_int_equal(W.d.state, ST_PRIMARY);
	assert_true(out_has(o, ACT_COMMENCE, false, false));
	s = status_now();
	assert_int_equal(s.last_switch, REASON_HANDOVER);
	assert_int_equal(s.last_switch_ms, W.now);
	assert_int_equal(W.switch_reason, REASON_HANDOVER);
}

/* ---- 10. the reconnecting rules ---- */

/* notifier-down, then primary-unreachable: the new rule replaces the old; its sets start from its verdict. */
static void test_reconnect_verdict_replaced(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t old_due, D = p.unreachable_ping_delay_ms;
	const struct vg_record *pu;

	(void)state;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 10000);
	assert_int_equal(W.first_verdict, VERDICT_NOTIFIER_DOWN);
	old_due = W.first_verdict_t + p.reconnect_timeout_ms;
	W.host_up = false;
	world_run(&W, old_due + 1);
	assert_no_switch();
	pu = rec_find_verdict(VERDICT_PRIMARY_UNREACHABLE);
	assert_non_null(pu);
	assert_true(pu->t_ms < old_due);
	world_run(&W, WARM + 300000);
	assert_int_equal(W.switch_reason, REASON_PRIMARY_UNREACHABLE);
	assert_int_equal(W.switch_t, pu->t_ms + 3 * D + p.nettest_timeout_ms);
	for (int k = 0; k < 3; k++)
		assert_int_equal(act_nth(ACT_PING_SET, k)->t, pu->t_ms + (k + 1) * D);
	assert_int_equal(n_act(ACT_PING_SET), 3);
}

/* The same verdict from every re-dial's diagnosis leaves the running timer alone. */
static void test_reconnect_same_verdict_keeps_timer(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 200000);
	assert_int_equal(W.first_verdict, VERDICT_NOTIFIER_DOWN);
	/* diagnoses ran in between, one per re-dial */
	assert_true(n_act(ACT_DIAGNOSE) >= p.reconnect_timeout_ms / p.reconnect_delay_ms);
	assert_int_equal(W.switch_reason, REASON_NOTIFIER_DOWN);
	assert_int_equal(W.switch_t, W.first_verdict_t + p.reconnect_timeout_ms);
}

/* A connection up stops the timer (no switch while the module's state is unknown); a later fault starts it from zero. */
static void test_reconnect_conn_up_stops_timer(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t lost_again;
	const struct vg_record *r;

	(void)state;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 10000);
	assert_int_equal(W.d.state, ST_RECONNECTING);
	W.vigild_up = true;
	W.module = MOD_REJECT; /* pongs that say nothing: the verdict stays, the connection is up */
	world_run(&W, WARM + p.reconnect_timeout_ms + 60000);
	assert_true(W.d.conn[CONN_MAIN].up || W.d.conn[CONN_AUX].up);
	assert_int_equal(W.d.state, ST_RECONNECTING);
	assert_no_switch();
	/* the connections drop again: the next diagnosis starts the timer from zero */
	lost_again = W.now;
	world_log_clear(&W);
	kill_notifier();
	world_run(&W, lost_again + 200000);
	r = rec_find(REC_MONITOR, "reconnect timer:");
	assert_non_null(r);
	assert_true(r->t_ms >= lost_again);
	assert_int_equal(W.switch_reason, REASON_NOTIFIER_DOWN);
	assert_int_equal(W.switch_t, r->t_ms + p.reconnect_timeout_ms);
}

/* A connection up, then the module answers: back to backup, no switch. */
static void test_reconnect_recovers(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 10000);
	W.vigild_up = true;
	world_run(&W, WARM + 200000);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_no_switch();
	assert_int_equal(status_now().verdict, VERDICT_NONE);
	assert_non_null(rec_find(REC_TRANSITION, "reconnecting -> backup"));
}

/* While reconnecting, a diagnosis that classifies module-down switches at once. */
static void test_reconnect_module_down_switches_at_once(void **state)
{
	struct decide_params p = params_nettest();
	const struct vg_record *md;

	(void)state;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 10000);
	assert_int_equal(W.d.state, ST_RECONNECTING);
	W.vigild_up = true;
	W.module = MOD_DEAD;
	world_run(&W, WARM + 200000);
	md = rec_find_verdict(VERDICT_MODULE_DOWN);
	assert_non_null(md);
	assert_int_equal(md->state, ST_RECONNECTING);
	assert_int_equal(W.switch_reason, REASON_MODULE_DOWN);
	assert_int_equal(W.switch_t, md->t_ms);
	assert_true(W.switch_t < W.first_verdict_t + p.reconnect_timeout_ms);
}

static void test_reconnect_timeout_zero(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	p.reconnect_timeout_ms = 0;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 60000);
	assert_int_equal(W.first_verdict, VERDICT_NOTIFIER_DOWN);
	assert_int_equal(W.switch_reason, REASON_NOTIFIER_DOWN);
	assert_int_equal(W.switch_t, W.first_verdict_t);
}

/*
 * SPEC "reconnecting": a notifier ping every ping_delay on every established connection; a miss there
 * only marks the connection down: no retry ping and no diagnosis at the miss.
 */
static void test_reconnect_keepalive(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t t0, P = p.ping_delay_ms, Tm = p.monitor_timeout_ms;
	size_t n[CONN_COUNT] = { 0 };
	long last = -1;

	(void)state;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 10000);
	W.vigild_up = true;
	W.module = MOD_REJECT; /* keeps the node reconnecting with both connections up */
	world_run(&W, WARM + 30000);
	assert_int_equal(W.d.state, ST_RECONNECTING);
	assert_true(W.d.conn[CONN_MAIN].up && W.d.conn[CONN_AUX].up);
	world_log_clear(&W);
	t0 = W.now;
	world_run(&W, t0 + 10 * P);
	for (size_t i = 0; i < W.nalog; i++)
		if (W.alog[i].a.type == ACT_SEND_NOTIFIER_PING)
			n[W.alog[i].a.conn]++;
	assert_between(n[CONN_MAIN], 9, 11);
	assert_between(n[CONN_AUX], 9, 11);
	/* the peer's vigild goes silent without a reset */
	W.vigild_up = false;
	world_log_clear(&W);
	world_run(&W, W.now + P + Tm + 10);
	assert_false(W.d.conn[CONN_MAIN].up);
	assert_false(W.d.conn[CONN_AUX].up);
	for (size_t i = 0; i < W.nrlog; i++)
		if (W.rlog[i].kind == REC_MONITOR &&
		    strstr(W.rlog[i].text, "notifier ping missed") != NULL)
			last = (long)i;
	assert_true(last >= 0);
	for (size_t i = 0; i < W.nalog; i++)
		if (W.alog[i].t == W.rlog[last].t_ms &&
		    (W.alog[i].a.type == ACT_DIAGNOSE ||
		        W.alog[i].a.type == ACT_SEND_NOTIFIER_PING))
			fail_msg("at the keepalive miss (%llu): %s",
			    (unsigned long long)W.alog[i].t, decide_action_name(W.alog[i].a.type));
	assert_int_equal(n_rec(REC_MONITOR, "retry"), 0);
}

/* ---- 11. the module monitor ---- */

static void test_module_fallback_order(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t T = p.module_timeout_ms, R = p.module_retry_delay_ms, t0;
	static const enum vg_conn want[] = { CONN_MAIN, CONN_MAIN, CONN_AUX, CONN_AUX, CONN_MAIN,
		CONN_MAIN };

	(void)state;
	start(&p);
	W.module = MOD_HUNG;
	/* step until the fourth module ping since the hang went out, then let the module answer again */
	while (n_act(ACT_SEND_MODULE_PING) < 4 && W.now < WARM + 200000)
		world_run(&W, W.now + 1);
	assert_int_equal(n_act(ACT_SEND_MODULE_PING), 4);
	W.module = MOD_OK;
	world_run(&W, W.now + 3 * T);
	/* main, main, aux, aux; the confirmation re-ping on main is answered; the monitor is back on main */
	assert_true(n_act(ACT_SEND_MODULE_PING) >= NROWS(want));
	for (size_t k = 0; k < NROWS(want); k++) {
		const struct world_action *a = act_nth(ACT_SEND_MODULE_PING, k);

		if (a->a.conn != want[k])
			fail_msg("module ping %zu at %llu on %s, want %s", k,
			    (unsigned long long)a->t, decide_conn_name(a->a.conn),
			    decide_conn_name(want[k]));
	}
	/* each ping after a failure leaves R after it; a miss is T after its ping */
	t0 = act_nth(ACT_SEND_MODULE_PING, 0)->t;
	for (size_t k = 1; k < 4; k++)
		assert_int_equal(act_nth(ACT_SEND_MODULE_PING, k)->t, t0 + k * (T + R));
	assert_int_equal(act_nth(ACT_SEND_MODULE_PING, 4)->t, t0 + 4 * T + 3 * R);
	assert_non_null(rec_find(REC_MONITOR, "module-down cancelled"));
	assert_no_switch();
	assert_int_equal(W.d.state, ST_BACKUP);
}

static void test_module_rejected_pong(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	start(&p);
	W.module = MOD_REJECT;
	world_run(&W, WARM + 300000);
	assert_int_equal(n_rec(REC_MODULE, "failed"), 0);
	assert_int_equal(n_rec(REC_MODULE, "module-down"), 0);
	assert_int_equal(W.d.mm.failures, 0);
	assert_true(n_act(ACT_SEND_MODULE_PING) >= 300000 / p.module_timeout_ms - 1);
	assert_no_switch();
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_int_equal(W.d.counters.mm_watchdog, 0);
}

static void test_module_late_pong(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t late;
	uint32_t seq;

	(void)state;
	start(&p);
	/* a pong for the ping before the current one, with another PID: counted, ignored, no restart */
	while (!W.d.mm.outstanding)
		world_run(&W, W.now + 1);
	seq = W.d.mm.seq;
	world_run(&W, W.now + 10);
	late = decide_counters(&W.d)->late_module_pongs;
	world_inject(&W,
	    (struct vg_event){ .type = EV_MODULE_PONG,
	        .conn = CONN_MAIN,
	        .seq = seq,
	        .pid = 4242 });
	assert_int_equal(decide_counters(&W.d)->late_module_pongs, late + 1);
	assert_int_equal(W.d.mm.last_pid, W.pid);
	assert_int_equal(status_now().module_restarts, 0);
	/* an empty late pong is no failure either */
	world_inject(&W,
	    (struct vg_event){ .type = EV_MODULE_PONG, .conn = CONN_MAIN, .seq = seq, .pid = 0 });
	assert_int_equal(decide_counters(&W.d)->late_module_pongs, late + 2);
	assert_int_equal(W.d.mm.failures, 0);
	assert_int_equal(n_rec(REC_MODULE, NULL), 0);
	world_run(&W, WARM + 100000);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_true(status_now().module_responding);
}

static void test_module_restarts_in_period(void **state)
{
	static const struct {
		const char *what;
		uint64_t gap; /* between the two PID changes */
		bool down;
	} rows[] = {
		{ "two restarts 30 s apart, period 300 s: module-down", 30000, true },
		{ "two restarts 250 s apart, period 300 s: module-down", 250000, true },
		{ "two restarts 330 s apart, period 300 s: nothing", 330000, false },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		uint64_t T = p.module_timeout_ms;
		const struct vg_record *down;

		p.max_sequential_restarts = 5; /* spread out: never the sequential rule */
		start(&p);
		W.pid = 2000;
		world_run(&W, WARM + rows[i].gap);
		assert_int_equal(W.d.state, ST_BACKUP);
		/* the first restart counts within its period only */
		assert_int_equal(status_now().module_restarts,
		    rows[i].gap < p.max_restarts_period_ms ? 1 : 0);
		assert_int_equal(W.d.mm.sequential, 0);
		W.pid = 3000;
		world_run(&W, WARM + rows[i].gap + 60000);
		down = rec_find(REC_MODULE, "module-down");
		if (!rows[i].down) {
			if (down != NULL || W.d.state != ST_BACKUP)
				fail_msg("%s: %s", rows[i].what,
				    down ? down->text : decide_state_name(W.d.state));
			continue;
		}
		if (down == NULL)
			fail_msg("%s: no module-down", rows[i].what);
		assert_between(down->t_ms, WARM + rows[i].gap, WARM + rows[i].gap + T + 2 * W.rtt);
		assert_int_equal(W.switch_reason, REASON_MODULE_DOWN);
		/* from restarts: no confirmation re-ping, straight to the diagnosis */
		for (size_t k = 0; k < W.nalog; k++)
			if (W.alog[k].t >= down->t_ms && W.alog[k].t <= W.switch_t &&
			    W.alog[k].a.type == ACT_SEND_MODULE_PING)
				fail_msg(
				    "%s: module re-ping at %llu after a restart-based module-down",
				    rows[i].what, (unsigned long long)W.alog[k].t);
		assert_between(W.switch_t, down->t_ms, down->t_ms + 2 * W.rtt);
	}
}

static void test_module_gone_once_per_pid(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t late;

	(void)state;
	start(&p);
	/* a module ping is out when the notice comes: it is cancelled and its pong ignored */
	while (!W.d.mm.outstanding)
		world_run(&W, W.now + 1);
	late = decide_counters(&W.d)->late_module_pongs;
	world_inject(&W, (struct vg_event){ .type = EV_MODULE_GONE, .pid = W.pid });
	world_inject(&W, (struct vg_event){ .type = EV_MODULE_GONE, .pid = W.pid });
	assert_int_equal(W.d.mm.failures, 1);
	assert_int_equal(n_rec(REC_MODULE, "failed"), 1);
	assert_false(W.d.mm.outstanding);
	assert_int_equal(W.d.mm.next_ping_ms, W.now + p.module_retry_delay_ms);
	world_run(&W, W.now + 10);
	assert_int_equal(decide_counters(&W.d)->late_module_pongs, late + 1);
	world_inject(&W, (struct vg_event){ .type = EV_MODULE_GONE, .pid = W.pid });
	assert_int_equal(n_rec(REC_MODULE, "failed"), 1);
	/* the module is in fact fine (the notice was wrong): the next ping succeeds */
	world_run(&W, WARM + 60000);
	assert_int_equal(W.d.mm.failures, 0);
	assert_no_switch();
}

static void test_module_watchdog(void **state)
{
	struct decide_params p = params_nettest();
	uint64_t lapse = 3ull * (p.module_timeout_ms + p.module_retry_delay_ms), last;
	const struct vg_record *r;

	(void)state;
	start(&p);
	while (W.d.mm.outstanding)
		world_run(&W, W.now + 1);
	last = W.d.mm.last_event_ms;
	W.d.mm.next_ping_ms = UINT64_MAX / 2; /* a stall: the module monitor never pings again */
	world_run(&W, last + lapse - 1);
	assert_int_equal(decide_counters(&W.d)->mm_watchdog, 0);
	world_run(&W, last + lapse + 5 * W.rtt);
	assert_int_equal(decide_counters(&W.d)->mm_watchdog, 1);
	r = rec_find(REC_MONITOR, "module monitor");
	assert_non_null(r);
	assert_int_equal(r->t_ms, last + lapse);
	/* restarted: it pings again and the module answers */
	world_run(&W, W.now + 60000);
	assert_int_equal(decide_counters(&W.d)->mm_watchdog, 1);
	assert_true(W.d.mm.last_event_ms > last + lapse);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_no_switch();
}

/* The watchdog is off while the module monitor is stopped (no connection up). */
static void test_module_watchdog_off_when_stopped(void **state)
{
	struct decide_params p = params_nettest();

	(void)state;
	p.unreachable_ping_count = -1;
	start(&p);
	W.path_ok = false; /* network-down: nothing up for hours */
	world_run(&W, WARM + 3600000);
	assert_false(W.d.mm.running);
	assert_int_equal(decide_counters(&W.d)->mm_watchdog, 0);
}

/* ---- 12. drill ---- */

enum drill_fault {
	DRILL_MODULE,
	DRILL_NOTIFIER
};

static void test_drill(void **state)
{
	static const struct {
		const char *what;
		enum drill_fault fault;
		bool live;
		enum vg_verdict verdict;
	} rows[] = {
		{ "module drill: verdict, no switch", DRILL_MODULE, false, VERDICT_MODULE_DOWN },
		{ "module drill --live: switch, reason drill", DRILL_MODULE, true,
		    VERDICT_MODULE_DOWN },
		{ "notifier drill: verdict, no switch", DRILL_NOTIFIER, false,
		    VERDICT_NOTIFIER_DOWN },
		{ "notifier drill --live: switch, reason drill", DRILL_NOTIFIER, true,
		    VERDICT_NOTIFIER_DOWN },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		struct decide_status s;

		start(&p);
		world_inject(&W, (struct vg_event){ .type = EV_DRILL_START, .flag = rows[i].live });
		assert_true(status_now().in_drill);
		if (rows[i].fault == DRILL_MODULE)
			kill_module(true);
		else
			kill_notifier();
		world_run(&W, WARM + p.reconnect_timeout_ms + 20000);
		assert_int_equal(W.first_verdict, rows[i].verdict);
		if (rows[i].live) {
			if (W.d.state != ST_PRIMARY)
				fail_msg("%s: state %s", rows[i].what,
				    decide_state_name(W.d.state));
			assert_int_equal(W.switch_reason, REASON_DRILL);
			assert_int_equal(status_now().last_switch, REASON_DRILL);
			assert_int_equal(act_nth(ACT_COMMENCE, 0)->a.reason, REASON_DRILL);
			continue;
		}
		assert_no_switch();
		assert_non_null(rec_find(REC_WITHHELD, NULL));
		s = status_now();
		assert_int_equal(s.verdict, rows[i].verdict);
		assert_non_null(strstr(s.withheld, "drill"));
		world_inject(&W, (struct vg_event){ .type = EV_DRILL_END });
		assert_false(status_now().in_drill);
		assert_no_switch();
	}
}

/*
 * SPEC "drill": without --live the core never switches, and the node is back in its prior state when D ends.
 * The drill's verdict must not switch after EV_DRILL_END either: with the defaults (--for 30 s,
 * reconnect_timeout 30 s) a notifier drill's reconnect timer runs out just after the drill ended.
 */
static void test_drill_ends_back_to_prior_state(void **state)
{
	static const struct {
		const char *what;
		enum drill_fault fault;
		uint64_t D; /* --for */
	} rows[] = {
		{ "module drill, --for 30 s", DRILL_MODULE, 30000 },
		{ "notifier drill, --for 20 s", DRILL_NOTIFIER, 20000 },
		{ "notifier drill, --for 30 s (= reconnect_timeout)", DRILL_NOTIFIER, 30000 },
	};
	unsigned bad = 0;

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct decide_params p = params_nettest();
		struct decide_status s;

		start(&p);
		world_inject(&W, (struct vg_event){ .type = EV_DRILL_START });
		if (rows[i].fault == DRILL_MODULE)
			W.module = MOD_DEAD; /* injected: "not running" for D */
		else
			kill_notifier();
		world_run(&W, WARM + rows[i].D);
		assert_no_switch();
		/* D ends: the primary answers again */
		W.module = MOD_OK;
		W.vigild_up = true;
		world_inject(&W, (struct vg_event){ .type = EV_DRILL_END });
		world_run(&W, WARM + rows[i].D + 2 * (p.module_timeout_ms + p.reconnect_delay_ms));
		s = status_now();
		if (s.state != ST_BACKUP || s.verdict != VERDICT_NONE || !s.module_responding ||
		    s.withheld[0] || W.switch_t != UINT64_MAX) {
			/* every row is tried; the test fails at the end */
			bad++;
			print_error(
			    "%s: after the drill state %s, verdict %s, module responding %d, withheld \"%s\", "
			    "switch %s at %lld\n",
			    rows[i].what, decide_state_name(s.state),
			    decide_verdict_name(s.verdict), s.module_responding, s.withheld,
			    decide_reason_name(W.switch_reason),
			    W.switch_t == UINT64_MAX ? -1LL : (long long)W.switch_t);
		}
	}
	assert_int_equal(bad, 0);
}

/*
 * ---- 13. invariants over many runs ----
 * world_step and world_note check at every step: the deadline advances, nothing is dropped, no automatic
 * switch while network-down is in force. Here: three timer profiles x auto/manual x two rtts x every fault,
 * healed after 45 s.
 */

enum sweep_fault {
	F_NONE,
	F_MODULE_KILL,
	F_MODULE_HANG,
	F_MODULE_FLAP,
	F_MODULE_REJECT,
	F_NOTIFIER_KILL,
	F_PRIMARY_DOWN,
	F_WAN_CUT,
	F_BACKUP_ISOLATE,
	F_COUNT,
};

static void sweep_fault(enum sweep_fault f, bool on)
{
	switch (f) {
	case F_NONE:
		break;
	case F_MODULE_KILL:
		if (on)
			kill_module(true);
		break;
	case F_MODULE_HANG:
		W.module = on ? MOD_HUNG : MOD_OK;
		break;
	case F_MODULE_FLAP:
		W.module = on ? MOD_FLAP : MOD_OK;
		break;
	case F_MODULE_REJECT:
		W.module = on ? MOD_REJECT : MOD_OK;
		break;
	case F_NOTIFIER_KILL:
		if (on)
			kill_notifier();
		break;
	case F_PRIMARY_DOWN:
		W.host_up = !on;
		break;
	case F_WAN_CUT:
		W.path_ok = !on;
		break;
	case F_BACKUP_ISOLATE:
		W.carrier = !on;
		world_inject(&W,
		    (struct vg_event){ .type = EV_CARRIER, .carrier_lost_mask = on ? 3 : 0 });
		break;
	case F_COUNT:
		break;
	}
	if (!on) {
		W.vigild_up = true;
		if (f == F_MODULE_KILL) {
			W.module = MOD_OK;
			W.pid++;
		}
	}
}

static void params_profile(struct decide_params *p, int profile)
{
	*p = params_nettest();
	if (profile == 1) { /* the fast profile (doc/TEAM-NOTES.md) */
		p->reconnect_delay_ms = 1000;
		p->module_timeout_ms = 1000;
		p->module_retry_delay_ms = 200;
		p->ping_delay_ms = 200;
		p->monitor_timeout_ms = 300;
		p->nettest_timeout_ms = 300;
		p->unreachable_ping_delay_ms = 1000;
		p->reconnect_timeout_ms = 3000;
	} else if (profile == 2) { /* every timer at its lower bound */
		p->start_timeout_ms = 1000;
		p->reconnect_delay_ms = 1000;
		p->module_timeout_ms = 100;
		p->module_retry_delay_ms = 10;
		p->max_failures = 1;
		p->max_restarts = 1;
		p->max_sequential_restarts = 1;
		p->ping_delay_ms = 10;
		p->monitor_timeout_ms = 10;
		p->retry_count = 1;
		p->nettest_timeout_ms = 10;
		p->unreachable_ping_delay_ms = 100;
		p->reconnect_timeout_ms = 0;
		p->has_local_check = true;
		p->has_sync_check = true;
		p->sync_check_interval_ms = 1000;
		p->ping_on_aux = true;
	}
}

static void test_invariants_sweep(void **state)
{
	static const uint32_t rtts[] = { 1, 40 };
	unsigned runs = 0;

	(void)state;
	for (int profile = 0; profile < 3; profile++)
		for (int manual = 0; manual < 2; manual++)
			for (size_t r = 0; r < NROWS(rtts); r++)
				for (int f = 0; f < F_COUNT; f++) {
					struct decide_params p;

					params_profile(&p, profile);
					p.manual = manual;
					world_setup(&W, &p);
					W.rtt = rtts[r];
					world_start(&W);
					world_run(&W, WARM);
					W.fault_at = WARM;
					sweep_fault(f, true);
					world_run(&W, WARM + 45000);
					sweep_fault(f, false);
					world_run(&W, WARM + 200000);
					runs++;
					if (rtts[r] == 1 &&
					    (f == F_WAN_CUT || f == F_BACKUP_ISOLATE ||
					        f == F_NONE || f == F_MODULE_REJECT) &&
					    W.switch_t != UINT64_MAX)
						fail_msg(
						    "profile %d manual %d fault %d: switched at %llu, reason %s",
						    profile, manual, f,
						    (unsigned long long)W.switch_t,
						    decide_reason_name(W.switch_reason));
					if (manual && W.switch_t != UINT64_MAX)
						fail_msg(
						    "profile %d rtt %u fault %d: manual mode switched at %llu",
						    profile, rtts[r], f,
						    (unsigned long long)W.switch_t);
				}
	assert_int_equal(runs, 3 * 2 * 2 * F_COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_exhaustive),
		cmocka_unit_test(test_netstatus_exhaustive),
		cmocka_unit_test(test_ping_sets),
		cmocka_unit_test(test_ping_sets_timed),
		cmocka_unit_test(test_manual_module_down),
		cmocka_unit_test(test_withheld_module_down_monitoring_goes_on),
		cmocka_unit_test(test_manual_notifier_kill),
		cmocka_unit_test(test_upgrade_states),
		cmocka_unit_test(test_not_ready_module_never_answered),
		cmocka_unit_test(test_local_check_waits_then_switches),
		cmocka_unit_test(test_local_check_verdict_gone),
		cmocka_unit_test(test_local_check_pending_switch_stopped_by_conn_up),
		cmocka_unit_test(test_manual_switch_sync),
		cmocka_unit_test(test_island_convergence),
		cmocka_unit_test(test_entering_primary),
		cmocka_unit_test(test_backup_adopted_generation_persisted),
		cmocka_unit_test(test_stale_persisted_then_peer_primary),
		cmocka_unit_test(test_stale_since_start_needs_rejoin),
		cmocka_unit_test(test_rejoin_refused_outside_stale),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_init_wait_peer_then_peer_comes),
		cmocka_unit_test(test_handover_on_primary),
		cmocka_unit_test(test_handover_drain_fails),
		cmocka_unit_test(test_handover_on_backup),
		cmocka_unit_test(test_reconnect_verdict_replaced),
		cmocka_unit_test(test_reconnect_same_verdict_keeps_timer),
		cmocka_unit_test(test_reconnect_conn_up_stops_timer),
		cmocka_unit_test(test_reconnect_recovers),
		cmocka_unit_test(test_reconnect_module_down_switches_at_once),
		cmocka_unit_test(test_reconnect_timeout_zero),
		cmocka_unit_test(test_reconnect_keepalive),
		cmocka_unit_test(test_module_fallback_order),
		cmocka_unit_test(test_module_rejected_pong),
		cmocka_unit_test(test_module_late_pong),
		cmocka_unit_test(test_module_restarts_in_period),
		cmocka_unit_test(test_module_gone_once_per_pid),
		cmocka_unit_test(test_module_watchdog),
		cmocka_unit_test(test_module_watchdog_off_when_stopped),
		cmocka_unit_test(test_drill),
		cmocka_unit_test(test_drill_ends_back_to_prior_state),
		cmocka_unit_test(test_invariants_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
