/* test_decide.c: every decision rule of SPEC.md on a virtual clock, timing included. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "decide.h"
#include "world.h"

#define WARM 30000 /* steady state before any fault */
#define HOURS2 (2ull * 3600 * 1000)

static struct world W;

static struct decide_params defaults_nettest(void)
{
	struct decide_params p;

	decide_params_default(&p);
	p.has_nettest = true;
	p.gateway_ping = true;
	return p;
}

static void start(const struct decide_params *p)
{
	world_init(&W, p);
	W.verbose = getenv("VIGIL_TEST_VERBOSE") != NULL;
	world_run(&W, WARM);
	assert_int_equal(W.d.state, ST_BACKUP);
	W.fault_at = WARM;
}

static void assert_between(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v < lo || v > hi)
		fail_msg("%llu not within [%llu, %llu]", (unsigned long long)v,
		    (unsigned long long)lo, (unsigned long long)hi);
}

/* ---- faults ---- */

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

/* ---- module monitor ---- */

static void test_module_kill_exit_watch(void **state)
{
	struct decide_params p = defaults_nettest();
	uint64_t R = p.module_retry_delay_ms;

	(void)state;
	start(&p);
	kill_module(true);
	world_run(&W, WARM + 120000);
	assert_int_equal(W.first_verdict, VERDICT_MODULE_DOWN);
	assert_int_equal(W.switch_reason, REASON_MODULE_DOWN);
	assert_int_equal(W.d.state, ST_PRIMARY);
	/* (2F-1) x R after the exit; each of the 3 retries, 2 confirmations and the diagnosis costs an rtt */
	assert_between(W.switch_t - WARM, 3 * R, 3 * R + 6 * W.rtt);
}

static void test_module_kill_no_exit_watch(void **state)
{
	struct decide_params p = defaults_nettest();
	uint64_t R = p.module_retry_delay_ms, T = p.module_timeout_ms;

	(void)state;
	start(&p);
	kill_module(false);
	world_run(&W, WARM + 120000);
	assert_int_equal(W.first_verdict, VERDICT_MODULE_DOWN);
	/* the first failed ping is the next scheduled one: up to T + rtt after the kill */
	assert_between(W.switch_t - WARM, 3 * R, T + W.rtt + 3 * R + 7 * W.rtt);
}

static void test_module_hang(void **state)
{
	struct decide_params p = defaults_nettest();
	uint64_t R = p.module_retry_delay_ms, T = p.module_timeout_ms, Tm = p.monitor_timeout_ms;

	(void)state;
	start(&p);
	W.module = MOD_HUNG;
	world_run(&W, WARM + 200000);
	assert_int_equal(W.first_verdict, VERDICT_MODULE_DOWN);
	assert_int_equal(W.switch_reason, REASON_MODULE_DOWN);
	/* phase up to T + rtt, then 4T + 3R, then 2 confirmations of Tm each, then one diagnosis */
	assert_between(W.switch_t - WARM, 4 * T + 3 * R + 2 * Tm,
	    T + W.rtt + 4 * T + 3 * R + 2 * Tm + 2 * W.rtt);
	assert_int_equal(W.d.counters.mm_watchdog, 0);
}

static void test_module_hang_notifier_on_aux(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	p.ping_on_aux = true;
	start(&p);
	W.module = MOD_HUNG;
	/* main is marked down: notifier pings go on aux; the hung module still is module-down */
	W.d.conn[CONN_MAIN].up = false;
	world_run(&W, WARM + 200000);
	assert_int_equal(W.first_verdict, VERDICT_MODULE_DOWN);
	assert_int_equal(W.switch_reason, REASON_MODULE_DOWN);
}

static void test_module_flap(void **state)
{
	struct decide_params p = defaults_nettest();
	uint64_t T = p.module_timeout_ms;

	(void)state;
	start(&p);
	W.module = MOD_FLAP;
	world_run(&W, WARM + 120000);
	assert_int_equal(W.first_verdict, VERDICT_MODULE_DOWN);
	/* down at the second new PID: two pongs, T + rtt apart, the first within T + rtt */
	assert_between(W.switch_t - WARM, T, 2 * (T + W.rtt) + 2 * W.rtt);
}

static void test_module_restart_is_not_outage(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	start(&p);
	/* the supervisor restarts the module within 100 ms of its exit */
	kill_module(true);
	world_run(&W, WARM + 100);
	W.module = MOD_OK;
	W.pid = 2000;
	world_run(&W, WARM + 60000);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_int_equal(W.switch_t, UINT64_MAX);
	assert_int_equal(W.d.mm.last_pid, 2000);
	struct decide_status s;
	decide_status(&W.d, W.now, &s);
	assert_int_equal(s.module_restarts, 1);
}

/* ---- notifier, primary host, network ---- */

static void test_notifier_kill(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	start(&p);
	kill_notifier();
	world_run(&W, WARM + 200000);
	assert_int_equal(W.first_verdict, VERDICT_NOTIFIER_DOWN);
	assert_int_equal(W.switch_reason, REASON_NOTIFIER_DOWN);
	/* the diagnosis (an rtt), then reconnect_timeout */
	assert_between(W.switch_t - WARM, p.reconnect_timeout_ms,
	    p.reconnect_timeout_ms + 2 * W.rtt);
}

static void test_primary_down_sets(void **state)
{
	struct decide_params p = defaults_nettest();
	uint64_t Tm = p.monitor_timeout_ms, P = p.ping_delay_ms, NT = p.nettest_timeout_ms;
	uint64_t D = p.unreachable_ping_delay_ms, C = p.retry_count, Rp = p.retry_ping_delay_ms;

	(void)state;
	start(&p);
	W.host_up = false;
	world_run(&W, WARM + 300000);
	assert_int_equal(W.first_verdict, VERDICT_PRIMARY_UNREACHABLE);
	assert_int_equal(W.switch_reason, REASON_PRIMARY_UNREACHABLE);
	/* the first ping to miss goes out between an rtt before the fault and P + rtt after it */
	assert_between(W.first_verdict_t - WARM, (1 + C) * Tm + C * Rp + NT - W.rtt,
	    P + W.rtt + (1 + C) * Tm + C * Rp + NT);
	/* the verdict, then 3 sets D apart; the last waits NT */
	assert_int_equal(W.switch_t - W.first_verdict_t, 3 * D + NT);
	assert_int_equal(W.sets, 3);
}

static void test_primary_down_many_sets(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	p.unreachable_ping_count = 5;
	start(&p);
	W.host_up = false;
	world_run(&W, WARM + 300000);
	assert_int_equal(W.switch_t - W.first_verdict_t,
	    5 * p.unreachable_ping_delay_ms + p.nettest_timeout_ms);
	assert_int_equal(W.sets, 5);
}

static void test_primary_down_endless_sets(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	p.unreachable_ping_count = -1;
	start(&p);
	W.host_up = false;
	world_run(&W, WARM + HOURS2);
	assert_int_equal(W.first_verdict, VERDICT_PRIMARY_UNREACHABLE);
	assert_int_equal(W.switch_t, UINT64_MAX);
	assert_int_equal(W.d.state, ST_RECONNECTING);
	assert_true(W.sets > 700); /* one every 10 s for 2 h, without end */
}

static void test_wan_cut_never_switches(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	p.reconnect_timeout_ms = 0;
	start(&p);
	W.path_ok = false;
	world_run(&W, WARM + HOURS2);
	assert_int_equal(W.first_verdict, VERDICT_NETWORK_DOWN);
	assert_int_not_equal(W.hold_t, UINT64_MAX);
	assert_int_equal(W.switch_t, UINT64_MAX);
	assert_int_equal(W.commences, 0);
	assert_int_equal(W.d.state, ST_RECONNECTING);
}

static void test_wan_cut_heals_back_to_backup(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	p.reconnect_timeout_ms = 2000;
	start(&p);
	W.path_ok = false;
	world_run(&W, WARM + 60000);
	assert_int_equal(W.d.state, ST_RECONNECTING);
	W.path_ok = true;
	world_run(&W, WARM + 60000 + 3 * p.reconnect_delay_ms);
	assert_int_equal(W.d.state, ST_BACKUP);
	assert_int_equal(W.switch_t, UINT64_MAX);
	struct decide_status s;
	decide_status(&W.d, W.now, &s);
	assert_int_equal(s.verdict, VERDICT_NONE);
	assert_int_equal(s.last_verdict, VERDICT_NETWORK_DOWN);
}

static void test_backup_isolate(void **state)
{
	struct decide_params p = defaults_nettest();

	(void)state;
	start(&p);
	W.carrier = false;
	world_inject(&W, (struct vg_event){ .type = EV_CARRIER, .carrier_lost_mask = 3 });
	world_run(&W, WARM + HOURS2);
	assert_int_equal(W.first_verdict, VERDICT_NETWORK_DOWN);
	assert_true(W.hold_t - WARM <= W.rtt + p.nettest_timeout_ms);
	assert_int_equal(W.switch_t, UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module_kill_exit_watch),
		cmocka_unit_test(test_module_kill_no_exit_watch),
		cmocka_unit_test(test_module_hang),
		cmocka_unit_test(test_module_hang_notifier_on_aux),
		cmocka_unit_test(test_module_flap),
		cmocka_unit_test(test_module_restart_is_not_outage),
		cmocka_unit_test(test_notifier_kill),
		cmocka_unit_test(test_primary_down_sets),
		cmocka_unit_test(test_primary_down_many_sets),
		cmocka_unit_test(test_primary_down_endless_sets),
		cmocka_unit_test(test_wan_cut_never_switches),
		cmocka_unit_test(test_wan_cut_heals_back_to_backup),
		cmocka_unit_test(test_backup_isolate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
