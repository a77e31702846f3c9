/* test_snmp.c: vigil-snmp's pure part: status and dump JSON as VIGIL-MIB values, journal records and status changes as notifications, the root OID, and the MIB's enumerations against decide's name tables. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "decide.h"
#include "export.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))
#define BOOT_MS INT64_C(1714564800000) /* the box booted at 2024-05-01T12:00:00.000Z */
#define MIB_FILE "firmware/VIGIL-MIB.txt"

/* A status of a backup as vigild answers it (SPEC "Command line", plus the extras). */
static const char status_text[] =
    "{\"node\":\"node-b\",\"role\":\"B\",\"state\":\"upgrade-higher\",\"mode\":\"manual\","
    "\"generation\":7,\"peer\":{\"state\":\"primary\",\"version\":\"0.2.0\",\"name\":\"node-a\"},"
    "\"connections\":{\"main\":\"up\",\"aux\":\"down\"},\"network\":{\"status\":\"nettest-reached\"},"
    "\"primary_host\":\"unreachable\",\"module\":{\"pid\":4242,\"responding\":false,\"restarts\":3},"
    "\"verdict\":\"notifier-down\",\"last_verdict\":{\"kind\":\"primary-unreachable\","
    "\"time\":\"2026-11-25T18:44:20.595Z\"},\"sync\":\"not-in-sync\",\"config_drift\":true,"
    "\"last_switch\":{\"reason\":\"failsafe-start\",\"time\":\"2026-11-25T18:40:00.001Z\"},"
    "\"withheld\":\"manual mode\",\"ready\":true,\"drill\":false,\"version\":\"0.1.0\","
    "\"started\":\"2026-11-25T18:44:17.295Z\",\"uptime_s\":6,\"last_drill\":null}";

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static struct export_status read_status(const char *text)
{
	struct json_object *o = parse(text);
	struct export_status s;

	assert_int_equal(export_status_read(o, &s), 0);
	json_object_put(o);
	return s;
}

static void assert_num(const struct export_value *v, enum export_type type, int64_t num)
{
	assert_true(v->present);
	assert_int_equal(v->type, type);
	assert_int_equal(v->num, num);
}

static void assert_text(const struct export_value *v, const char *text)
{
	assert_true(v->present);
	assert_int_equal(v->type, EXPORT_T_TEXT);
	assert_string_equal(v->text, text);
}

/* ---- status ---- */

static void test_status_fields(void **state)
{
	struct export_status s = read_status(status_text);
	const struct export_value *c = s.col;

	(void)state;
	assert_text(&c[EXPORT_ST_NODE], "node-b");
	assert_num(&c[EXPORT_ST_ROLE], EXPORT_T_INTEGER, 2);
	assert_num(&c[EXPORT_ST_STATE], EXPORT_T_INTEGER, ST_UPGRADE_HIGHER);
	assert_num(&c[EXPORT_ST_MODE], EXPORT_T_INTEGER, 2);
	assert_num(&c[EXPORT_ST_GENERATION], EXPORT_T_UNSIGNED, 7);
	assert_num(&c[EXPORT_ST_PEER_STATE], EXPORT_T_INTEGER, ST_PRIMARY);
	assert_text(&c[EXPORT_ST_PEER_NAME], "node-a");
	assert_text(&c[EXPORT_ST_PEER_VERSION], "0.2.0");
	assert_num(&c[EXPORT_ST_CONN_MAIN], EXPORT_T_INTEGER, 1);
	assert_num(&c[EXPORT_ST_CONN_AUX], EXPORT_T_INTEGER, 2);
	assert_num(&c[EXPORT_ST_NETWORK], EXPORT_T_INTEGER, NET_NETTEST_REACHED);
	assert_num(&c[EXPORT_ST_PRIMARY_HOST], EXPORT_T_INTEGER, REACH_UNREACHABLE);
	assert_num(&c[EXPORT_ST_MODULE_PID], EXPORT_T_INTEGER, 4242);
	assert_num(&c[EXPORT_ST_MODULE_RESPONDING], EXPORT_T_INTEGER, EXPORT_FALSE);
	assert_num(&c[EXPORT_ST_MODULE_RESTARTS], EXPORT_T_GAUGE, 3);
	assert_num(&c[EXPORT_ST_VERDICT], EXPORT_T_INTEGER, VERDICT_NOTIFIER_DOWN);
	assert_num(&c[EXPORT_ST_LAST_VERDICT], EXPORT_T_INTEGER, VERDICT_PRIMARY_UNREACHABLE);
	assert_text(&c[EXPORT_ST_LAST_VERDICT_TIME], "2026-11-25T18:44:20.595Z");
	assert_num(&c[EXPORT_ST_SYNC], EXPORT_T_INTEGER, SYNC_NOT_IN);
	assert_num(&c[EXPORT_ST_CONFIG_DRIFT], EXPORT_T_INTEGER, EXPORT_TRUE);
	assert_num(&c[EXPORT_ST_LAST_SWITCH_REASON], EXPORT_T_INTEGER, REASON_FAILSAFE_START);
	assert_text(&c[EXPORT_ST_LAST_SWITCH_TIME], "2026-11-25T18:40:00.001Z");
	assert_text(&c[EXPORT_ST_VERSION], "0.1.0");
	assert_num(&c[EXPORT_ST_UPTIME], EXPORT_T_UNSIGNED, 6);
	assert_num(&c[EXPORT_ST_READY], EXPORT_T_INTEGER, EXPORT_TRUE);
	assert_num(&c[EXPORT_ST_DRILL], EXPORT_T_INTEGER, EXPORT_FALSE);
	assert_text(&c[EXPORT_ST_WITHHELD], "manual mode");
	for (int col = 1; col < EXPORT_ST_COUNT; col++)
		assert_true(c[col].present);
}

/* Where the contract allows null, the MIB's stand-in: none(0), 0, "". */
static void test_status_nulls(void **state)
{
	struct export_status s = read_status(
	    "{\"module\":{\"pid\":null},\"last_verdict\":null,\"last_switch\":null,\"withheld\":null}");

	(void)state;
	assert_num(&s.col[EXPORT_ST_MODULE_PID], EXPORT_T_INTEGER, 0);
	assert_num(&s.col[EXPORT_ST_LAST_VERDICT], EXPORT_T_INTEGER, VERDICT_NONE);
	assert_text(&s.col[EXPORT_ST_LAST_VERDICT_TIME], "");
	assert_num(&s.col[EXPORT_ST_LAST_SWITCH_REASON], EXPORT_T_INTEGER, REASON_NONE);
	assert_text(&s.col[EXPORT_ST_LAST_SWITCH_TIME], "");
	assert_text(&s.col[EXPORT_ST_WITHHELD], "");
	assert_false(s.col[EXPORT_ST_NODE].present); /* absent: noSuchInstance */
}

/* Absent, null where no null is allowed, of the wrong type, or an unknown name: not present. */
static void test_status_missing_and_wrong(void **state)
{
	static const struct {
		const char *json;
		unsigned col;
	} rows[] = {
		{ "{}", EXPORT_ST_PEER_VERSION },
		{ "{\"peer\":{}}", EXPORT_ST_PEER_NAME },
		{ "{\"peer\":null}", EXPORT_ST_PEER_STATE },
		{ "{\"network\":\"up\"}", EXPORT_ST_NETWORK },
		{ "{\"state\":\"sleeping\"}", EXPORT_ST_STATE },
		{ "{\"state\":3}", EXPORT_ST_STATE },
		{ "{\"role\":\"a\"}", EXPORT_ST_ROLE },
		{ "{\"generation\":-1}", EXPORT_ST_GENERATION },
		{ "{\"generation\":\"7\"}", EXPORT_ST_GENERATION },
		{ "{\"config_drift\":1}", EXPORT_ST_CONFIG_DRIFT },
		{ "{\"node\":null}", EXPORT_ST_NODE },
		{ "{\"node\":42}", EXPORT_ST_NODE },
		{ "{\"module\":{\"pid\":4294967296}}", EXPORT_ST_MODULE_PID },
		{ "{\"last_verdict\":{\"kind\":\"bogus\"}}", EXPORT_ST_LAST_VERDICT },
	};

	(void)state;
	for (size_t i = 0; i < NROWS(rows); i++) {
		struct export_status s = read_status(rows[i].json);

		if (s.col[rows[i].col].present)
			fail_msg("%s: column %u present", rows[i].json, rows[i].col);
	}
}

/* vigild unreachable, or an answer that is no object: nothing to serve (noSuchInstance). */
static void test_status_not_object(void **state)
{
	struct json_object *a = parse("[1,2]");
	struct export_status s;
	struct export_dump d;

	(void)state;
	assert_int_equal(export_status_read(NULL, &s), -EINVAL);
	assert_int_equal(export_status_read(a, &s), -EINVAL);
	for (int col = 0; col < EXPORT_ST_COUNT; col++)
		assert_false(s.col[col].present);
	assert_int_equal(export_dump_read(a, &d), -EINVAL);
	assert_int_equal(d.n_probes, 0);
	for (int col = 0; col < EXPORT_CT_COUNT; col++)
		assert_false(d.counter[col].present);
	json_object_put(a);
}

/* A value of the enumeration at key, as the MIB number. */
static int64_t enum_of(const char *key, const char *name, unsigned col)
{
	struct json_object *o = json_object_new_object();
	struct export_status s;

	json_object_object_add(o, key, json_object_new_string(name));
	assert_int_equal(export_status_read(o, &s), 0);
	json_object_put(o);
	assert_true(s.col[col].present);
	return s.col[col].num;
}

/* Every name of decide's tables reads as its own enum value (the MIB's numbers). */
static void test_status_enums(void **state)
{
	(void)state;
	for (int i = 0; i <= ST_COUNT; i++)
		assert_int_equal(enum_of("state", decide_state_name(i), EXPORT_ST_STATE), i);
	for (int i = 0; i < VERDICT_COUNT; i++)
		assert_int_equal(enum_of("verdict", decide_verdict_name(i), EXPORT_ST_VERDICT), i);
	for (int i = 0; i < SYNC_COUNT; i++)
		assert_int_equal(enum_of("sync", decide_sync_name(i), EXPORT_ST_SYNC), i);
	for (int i = 0; i < REACH_COUNT; i++)
		assert_int_equal(enum_of("primary_host", decide_reach_name(i),
		                     EXPORT_ST_PRIMARY_HOST),
		    i);
	assert_int_equal(enum_of("role", "A", EXPORT_ST_ROLE), 1);
	assert_int_equal(enum_of("mode", "auto", EXPORT_ST_MODE), 1);
}

/* Nested ones: network.status, last_switch.reason. */
static void test_status_nested_enums(void **state)
{
	char text[160];

	(void)state;
	for (int i = 0; i < NET_COUNT; i++) {
		snprintf(text, sizeof(text), "{\"network\":{\"status\":\"%s\"}}",
		    decide_netstatus_name(i));
		assert_num(&read_status(text).col[EXPORT_ST_NETWORK], EXPORT_T_INTEGER, i);
	}
	for (int i = 0; i < REASON_COUNT; i++) {
		snprintf(text, sizeof(text), "{\"last_switch\":{\"reason\":\"%s\",\"time\":\"t\"}}",
		    decide_reason_name(i));
		assert_num(&read_status(text).col[EXPORT_ST_LAST_SWITCH_REASON], EXPORT_T_INTEGER,
		    i);
	}
}

/* DisplayString is NVT ASCII and at most 255 bytes. */
static void test_status_text(void **state)
{
	char text[600];
	struct export_status s;

	(void)state;
	s = read_status("{\"node\":\"a\\u0007b\\u00e9c\"}");
	assert_text(&s.col[EXPORT_ST_NODE], "a?b??c"); /* BEL, and the two bytes of e-acute */
	snprintf(text, sizeof(text), "{\"withheld\":\"%0400d\"}", 0);
	s = read_status(text);
	assert_int_equal(strlen(s.col[EXPORT_ST_WITHHELD].text), EXPORT_TEXT_MAX - 1);
}

/* ---- dump ---- */

static const char dump_text[] =
    "{\"core\":{\"notifier_pings\":4294967301,\"module_pings\":4,\"diagnoses\":2,"
    "\"hooks_failed\":1,\"probe_errors\":0,\"journal_errors\":0},"
    "\"peer\":{\"frames_accepted\":35,\"bad-magic\":2,\"auth-mismatch\":1,\"wrong-pair\":2,"
    "\"bad-mac\":3,\"replay\":1,\"frames_rejected\":9,\"dial_failures\":6,\"timeouts\":4},"
    "\"control\":{\"rejected\":{\"too-long\":1,\"bad-cmd\":2,\"permission\":3},\"accepted\":9},"
    "\"probes\":[{\"kind\":\"gateway\",\"address\":\"10.2.0.1\",\"sent\":12,\"answered\":12,"
    "\"rtt_min_us\":4,\"rtt_avg_us\":36,\"rtt_max_us\":88,\"rtt_last_us\":14},"
    "7,{\"kind\":\"nettest\",\"address\":\"fd00::1\",\"sent\":12,\"answered\":3},"
    "{\"kind\":\"satellite\",\"answered\":5,\"sent\":2,\"rtt_max_us\":5000000000}]}";

static struct export_dump read_dump(const char *text)
{
	struct json_object *o = parse(text);
	struct export_dump d;

	assert_int_equal(export_dump_read(o, &d), 0);
	json_object_put(o);
	return d;
}

static void test_dump_counters(void **state)
{
	struct export_dump d = read_dump(dump_text);
	const struct export_value *c = d.counter;

	(void)state;
	assert_num(&c[EXPORT_CT_NOTIFIER_PINGS], EXPORT_T_COUNTER, 5); /* Counter32 wraps */
	assert_num(&c[EXPORT_CT_MODULE_PINGS], EXPORT_T_COUNTER, 4);
	assert_num(&c[EXPORT_CT_DIAGNOSES], EXPORT_T_COUNTER, 2);
	assert_num(&c[EXPORT_CT_FRAMES_ACCEPTED], EXPORT_T_COUNTER, 35);
	assert_num(&c[EXPORT_CT_FRAMES_REJECTED], EXPORT_T_COUNTER, 9);
	assert_num(&c[EXPORT_CT_FRAMES_UNAUTH], EXPORT_T_COUNTER,
	    6); /* bad-mac + wrong-pair + auth-mismatch */
	assert_num(&c[EXPORT_CT_DIAL_FAILURES], EXPORT_T_COUNTER, 6);
	assert_num(&c[EXPORT_CT_TIMEOUTS], EXPORT_T_COUNTER, 4);
	assert_num(&c[EXPORT_CT_HOOKS_FAILED], EXPORT_T_COUNTER, 1);
	assert_num(&c[EXPORT_CT_PROBE_ERRORS], EXPORT_T_COUNTER, 0);
	assert_num(&c[EXPORT_CT_CONTROL_REJECTED], EXPORT_T_COUNTER, 6); /* every rung */
	assert_num(&c[EXPORT_CT_JOURNAL_ERRORS], EXPORT_T_COUNTER, 0);
}

/* A part vigild left out: its counters are not present; a sum needs one of its terms. */
static void test_dump_missing(void **state)
{
	struct export_dump d = read_dump("{\"core\":{\"diagnoses\":1},\"peer\":{\"wrong-pair\":2},"
	                                 "\"control\":{\"rejected\":7}}");

	(void)state;
	assert_num(&d.counter[EXPORT_CT_DIAGNOSES], EXPORT_T_COUNTER, 1);
	assert_false(d.counter[EXPORT_CT_NOTIFIER_PINGS].present);
	assert_false(d.counter[EXPORT_CT_FRAMES_ACCEPTED].present);
	assert_num(&d.counter[EXPORT_CT_FRAMES_UNAUTH], EXPORT_T_COUNTER, 2);
	assert_false(d.counter[EXPORT_CT_CONTROL_REJECTED].present); /* not an object */
	assert_int_equal(d.n_probes, 0);
}

static void assert_probe(const struct export_probe *p, const int64_t want[EXPORT_PR_COUNT],
    const char *address)
{
	struct export_value v;

	for (unsigned col = EXPORT_PR_KIND; col < EXPORT_PR_COUNT; col++) {
		assert_int_equal(export_probe_value(p, col, &v), 0);
		assert_true(v.present);
		if (col == EXPORT_PR_ADDRESS)
			assert_string_equal(v.text, address);
		else if (v.num != want[col])
			fail_msg("column %u: %lld, want %lld", col, (long long)v.num,
			    (long long)want[col]);
	}
	assert_int_equal(export_probe_value(p, EXPORT_PR_INDEX, &v), -ENOENT);
	assert_int_equal(export_probe_value(p, EXPORT_PR_COUNT, &v), -ENOENT);
}

/* One row per object of "probes", in order; lost = sent - answered, never below 0. */
static void test_dump_probes(void **state)
{
	struct export_dump d = read_dump(dump_text);
	static const int64_t gw[EXPORT_PR_COUNT] = { [EXPORT_PR_KIND] = 1,
		[EXPORT_PR_SENT] = 12,
		[EXPORT_PR_ANSWERED] = 12,
		[EXPORT_PR_LOST] = 0,
		[EXPORT_PR_RTT_LAST] = 14,
		[EXPORT_PR_RTT_AVG] = 36,
		[EXPORT_PR_RTT_MIN] = 4,
		[EXPORT_PR_RTT_MAX] = 88 };
	static const int64_t nt[EXPORT_PR_COUNT] = { [EXPORT_PR_KIND] = 2,
		[EXPORT_PR_SENT] = 12,
		[EXPORT_PR_ANSWERED] = 3,
		[EXPORT_PR_LOST] = 9 };
	static const int64_t odd[EXPORT_PR_COUNT] = { [EXPORT_PR_KIND] = 0,
		[EXPORT_PR_SENT] = 2,
		[EXPORT_PR_ANSWERED] = 5,
		[EXPORT_PR_LOST] = 0,
		[EXPORT_PR_RTT_MAX] = UINT32_MAX };

	(void)state;
	assert_int_equal(d.n_probes, 3); /* the 7 is no probe */
	assert_probe(&d.probes[0], gw, "10.2.0.1");
	assert_probe(&d.probes[1], nt, "fd00::1");
	assert_probe(&d.probes[2], odd, "");
}

static void test_dump_probes_cap(void **state)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct export_dump d;

	(void)state;
	for (int i = 0; i < EXPORT_PROBES_MAX + 5; i++)
		json_object_array_add(a, parse("{\"kind\":\"primary\",\"sent\":1}"));
	json_object_object_add(o, "probes", a);
	assert_int_equal(export_dump_read(o, &d), 0);
	assert_int_equal(d.n_probes, EXPORT_PROBES_MAX);
	json_object_put(o);
}

/* ---- the root OID ---- */

static void test_parse_oid(void **state)
{
	static const char *const bad[] = { "", ".", "1", "1.", "1..2", "1.2.", "a.b", "1.2x",
		"1.4294967296", "1.-2", " 1.2" };
	uint32_t o[EXPORT_OID_MAX];
	size_t n = 0;

	(void)state;
	assert_int_equal(export_parse_oid(EXPORT_ROOT_OID, o, EXPORT_OID_MAX, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(o[6], 8072);
	assert_int_equal(o[9], 3633);
	assert_int_equal(export_parse_oid(".1.3.6.1.4.1.99999.4294967295", o, 8, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(o[7], UINT32_MAX);
	assert_int_equal(export_parse_oid("1.3.6.1.4.1.99999.1.2", o, 8, &n), -EINVAL); /* > max */
	for (size_t i = 0; i < NROWS(bad); i++)
		if (export_parse_oid(bad[i], o, EXPORT_OID_MAX, &n) != -EINVAL)
			fail_msg("'%s' taken as an OID", bad[i]);
}

/* ---- journal records -> notifications ---- */

/* A record of this boot at mono_ms ("prev": of the boot before, whose time says so). */
static struct json_object *record(uint64_t mono_ms, const char *kind, const char *extra, bool prev)
{
	int64_t wall_ms = BOOT_MS + (int64_t)mono_ms - (prev ? 3600000 : 0);
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char text[512], when[40];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(text, sizeof(text),
	    "{\"time\":\"%s.%03dZ\",\"mono_ms\":%llu,\"state\":\"primary\",\"kind\":\"%s\",%s"
	    "\"detail\":\"d%llu\"}",
	    when, (int)(wall_ms % 1000), (unsigned long long)mono_ms, kind, extra,
	    (unsigned long long)mono_ms);
	return parse(text);
}

/* One step of a stream: a record (want: 1, a notification; 0, none) or a resubscription. */
struct step {
	uint64_t mono_ms;
	const char *kind; /* "resume": export_cursor_resume, as before a resubscription */
	int want;
	bool prev_boot;
};

#define RESUME                        \
	{                             \
		0, "resume", 0, false \
	}

struct stream_case {
	const char *what;
	uint64_t start_ms;
	struct step steps[12];
};

static const struct stream_case stream_cases[] = {
	{ "records before the start are old; those after are news", 5000,
	    { { 4000, "switch", 0, false }, { 4999, "hold", 0, false },
	        { 5000, "switch", 1, false }, { 6000, "transition", 0, false },
	        { 7000, "hold", 1, false } } },
	{ "a resubscription's backlog repeats what was seen, same millisecond included", 1000,
	    { { 2000, "switch", 1, false }, { 2000, "hold", 1, false }, RESUME,
	        { 1500, "switch", 0, false }, { 2000, "switch", 0, false },
	        { 2000, "hold", 0, false }, { 2000, "hold", 1, false },
	        { 3000, "switch", 1, false } } },
	{ "what happened while vigild was away is news once", 1000,
	    { { 1200, "hold", 1, false }, RESUME, { 1200, "hold", 0, false },
	        { 1300, "start", 0, false }, { 1400, "switch", 1, false }, RESUME,
	        { 1200, "hold", 0, false }, { 1300, "start", 0, false },
	        { 1400, "switch", 0, false }, { 1500, "switch", 1, false } } },
	{ "records of an earlier boot are old, whatever their mono_ms", 1000,
	    { { 900000, "switch", 0, true }, { 900001, "hold", 0, true },
	        { 1100, "switch", 1, false }, { 900002, "switch", 0, true } } },
};

static void run_stream(const struct stream_case *c)
{
	struct export_cursor cur;
	struct export_event ev;

	export_cursor_init(&cur, c->start_ms);
	for (size_t i = 0; i < NROWS(c->steps) && c->steps[i].kind != NULL; i++) {
		const struct step *s = &c->steps[i];
		struct json_object *r;
		int got;

		if (strcmp(s->kind, "resume") == 0) {
			export_cursor_resume(&cur);
			continue;
		}
		r = record(s->mono_ms, s->kind, "", s->prev_boot);
		got = export_record_event(&cur, r, BOOT_MS, &ev);
		json_object_put(r);
		if (got != s->want)
			fail_msg("%s: step %zu (%s at %llu): %d, want %d", c->what, i, s->kind,
			    (unsigned long long)s->mono_ms, got, s->want);
	}
}

static void test_stream_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(stream_cases); i++)
		run_stream(&stream_cases[i]);
}

/* The same record objects streamed again, as vigild's backlog repeats them. */
static void test_stream_resume(void **state)
{
	struct export_cursor cur;
	struct export_event ev;
	struct json_object *r[3] = { record(2000, "switch", "", false),
		record(2000, "hold", "", false), record(2000, "switch", "", false) };

	(void)state;
	export_cursor_init(&cur, 1000);
	assert_int_equal(export_record_event(&cur, r[0], BOOT_MS, &ev), 1);
	assert_int_equal(export_record_event(&cur, r[1], BOOT_MS, &ev), 1);
	export_cursor_resume(&cur);
	assert_int_equal(export_record_event(&cur, r[0], BOOT_MS, &ev), 0); /* backlog */
	assert_int_equal(export_record_event(&cur, r[1], BOOT_MS, &ev), 0);
	assert_int_equal(export_record_event(&cur, r[2], BOOT_MS, &ev), 1); /* new, same ms */
	export_cursor_resume(&cur);
	for (int i = 0; i < 3; i++)
		assert_int_equal(export_record_event(&cur, r[i], BOOT_MS, &ev), 0);
	for (int i = 0; i < 3; i++)
		json_object_put(r[i]);
}

static void test_record_switch(void **state)
{
	struct export_cursor cur;
	struct export_event ev;
	struct json_object *r = record(5000, "switch",
	    "\"verdict\":\"module-down\",\"reason\":\"module-down\",", false);

	(void)state;
	export_cursor_init(&cur, 0);
	assert_int_equal(export_record_event(&cur, r, BOOT_MS, &ev), 1);
	assert_int_equal(ev.kind, EXPORT_NOTIFY_SWITCH);
	assert_int_equal(ev.reason, REASON_MODULE_DOWN);
	assert_int_equal(ev.verdict, VERDICT_MODULE_DOWN);
	assert_int_equal(ev.state, ST_PRIMARY);
	assert_string_equal(ev.time, "2024-05-01T12:00:05.000Z");
	assert_string_equal(ev.detail, "d5000");
	json_object_put(r);
	r = parse(
	    "{\"mono_ms\":6000,\"kind\":\"switch\",\"reason\":\"manual\"}"); /* no time: this boot */
	assert_int_equal(export_record_event(&cur, r, BOOT_MS, &ev), 1);
	assert_int_equal(ev.reason, REASON_MANUAL);
	assert_int_equal(ev.verdict, VERDICT_NONE);
	assert_int_equal(ev.state, ST_UNKNOWN);
	assert_string_equal(ev.time, "");
	json_object_put(r);
}

static void test_record_hold(void **state)
{
	struct export_cursor cur;
	struct export_event ev;
	struct json_object *r = record(5000, "hold", "\"verdict\":\"network-down\",", false);

	(void)state;
	export_cursor_init(&cur, 0);
	assert_int_equal(export_record_event(&cur, r, BOOT_MS, &ev), 1);
	assert_int_equal(ev.kind, EXPORT_NOTIFY_HOLD);
	assert_int_equal(ev.verdict, VERDICT_NETWORK_DOWN);
	assert_int_equal(ev.reason, REASON_NONE);
	json_object_put(r);
}

static void test_record_malformed(void **state)
{
	static const char *const bad[] = { "{}", "{\"kind\":\"switch\"}",
		"{\"kind\":\"switch\",\"mono_ms\":\"5\"}", "{\"kind\":\"switch\",\"mono_ms\":-1}",
		"{\"kind\":7,\"mono_ms\":5}", "[]", "\"switch\"" };
	struct export_cursor cur;
	struct export_event ev;

	(void)state;
	export_cursor_init(&cur, 0);
	for (size_t i = 0; i < NROWS(bad); i++) {
		struct json_object *r = parse(bad[i]);

		if (export_record_event(&cur, r, BOOT_MS, &ev) != -EINVAL)
			fail_msg("%s taken as a record", bad[i]);
		json_object_put(r);
	}
	assert_int_equal(export_record_event(&cur, NULL, BOOT_MS, &ev), -EINVAL);
}

/* ---- status changes -> notifications ---- */

#define DRIFT (1u << EXPORT_NOTIFY_CONFIG_DRIFT)
#define SYNC (1u << EXPORT_NOTIFY_SYNC_CHANGE)

struct watch_case {
	const char *what;
	const char *status[6]; /* "drift,sync" e.g. "false,in-sync"; "-" for an absent field */
	unsigned want[6];
};

static const struct watch_case watch_cases[] = {
	{ "the first status only sets the watch", { "true,not-in-sync" }, { 0 } },
	{ "drift turning true, once", { "false,in-sync", "true,in-sync", "true,in-sync" },
	    { 0, DRIFT, 0 } },
	{ "drift again after it cleared", { "false,-", "true,-", "false,-", "true,-" },
	    { 0, DRIFT, 0, DRIFT } },
	{ "sync in to not and back", { "false,in-sync", "false,not-in-sync", "false,in-sync" },
	    { 0, SYNC, SYNC } },
	{ "a passage through unknown is no change", { "-,in-sync", "-,unknown", "-,in-sync" },
	    { 0, 0, 0 } },
	{ "but a different value after it is", { "-,in-sync", "-,unknown", "-,not-in-sync" },
	    { 0, 0, SYNC } },
	{ "unknown first, then known: no change yet", { "-,unknown", "-,in-sync", "-,not-in-sync" },
	    { 0, 0, SYNC } },
	{ "both at once; absent fields change nothing",
	    { "false,in-sync", "-,-", "true,not-in-sync" }, { 0, 0, DRIFT | SYNC } },
};

static struct export_status watch_status(const char *spec)
{
	struct json_object *o = json_object_new_object();
	struct export_status s;
	char drift[8], sync[16];

	assert_int_equal(sscanf(spec, "%7[^,],%15s", drift, sync), 2);
	if (strcmp(drift, "-") != 0)
		json_object_object_add(o, "config_drift",
		    json_object_new_boolean(strcmp(drift, "true") == 0));
	if (strcmp(sync, "-") != 0)
		json_object_object_add(o, "sync", json_object_new_string(sync));
	assert_int_equal(export_status_read(o, &s), 0);
	json_object_put(o);
	return s;
}

static void test_watch_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS(watch_cases); i++) {
		const struct watch_case *c = &watch_cases[i];
		struct export_watch w;

		export_watch_init(&w);
		for (size_t j = 0; j < NROWS(c->status) && c->status[j] != NULL; j++) {
			struct export_status s = watch_status(c->status[j]);
			unsigned got = export_watch_status(&w, &s);

			if (got != c->want[j])
				fail_msg("%s: status %zu (%s): bits %#x, want %#x", c->what, j,
				    c->status[j], got, c->want[j]);
		}
	}
}

/* vigild unreachable: the agent keeps no status, and the watch keeps what it knew. */
static void test_watch_unreachable(void **state)
{
	struct export_watch w;
	struct export_status s, none;

	(void)state;
	export_watch_init(&w);
	s = watch_status("false,in-sync");
	assert_int_equal(export_watch_status(&w, &s), 0);
	assert_int_equal(export_status_read(NULL, &none), -EINVAL);
	assert_int_equal(export_watch_status(&w, &none), 0);
	s = watch_status("true,not-in-sync");
	assert_int_equal(export_watch_status(&w, &s), DRIFT | SYNC);
}

/* ---- the MIB's enumerations are decide's name tables ---- */

/* "upgradeHigher" -> "upgrade-higher". */
static void kebab(const char *label, char *ret, size_t len)
{
	size_t n = 0;

	for (; *label != '\0' && n + 2 < len; label++) {
		if (isupper((unsigned char)*label)) {
			ret[n++] = '-';
			ret[n++] = (char)tolower((unsigned char)*label);
		} else {
			ret[n++] = *label;
		}
	}
	ret[n] = '\0';
}

/* The TEXTUAL-CONVENTION tc's labels against name(0..count-1): each value once, each name right. */
static void check_tc(const char *mib, const char *tc, const char *(*name)(int), int count)
{
	char pat[64], label[64], want[64];
	const char *p;
	int value, seen = 0, used;

	snprintf(pat, sizeof(pat), "\n%s ::= TEXTUAL-CONVENTION", tc);
	p = strstr(mib, pat);
	if (p == NULL || (p = strstr(p, "SYNTAX INTEGER {")) == NULL)
		fail_msg("%s: no TEXTUAL-CONVENTION with SYNTAX INTEGER in %s", tc, MIB_FILE);
	p += strlen("SYNTAX INTEGER {");
	while (sscanf(p, " %63[a-zA-Z0-9](%d)%n", label, &value, &used) == 2) {
		kebab(label, want, sizeof(want));
		if (value < 0 || value >= count || strcmp(name(value), want) != 0)
			fail_msg("%s: %s(%d) is not '%s'", tc, label, value,
			    value >= 0 && value < count ? name(value) : "out of range");
		seen++;
		p += used;
		p += strspn(p, " ,\n");
	}
	assert_int_equal(seen, count);
}

static const char *state_n(int i)
{
	return decide_state_name((enum vg_state)i);
}
static const char *verdict_n(int i)
{
	return decide_verdict_name((enum vg_verdict)i);
}
static const char *reason_n(int i)
{
	return decide_reason_name((enum vg_reason)i);
}
static const char *net_n(int i)
{
	return decide_netstatus_name((enum vg_netstatus)i);
}
static const char *reach_n(int i)
{
	return decide_reach_name((enum vg_reach)i);
}
static const char *sync_n(int i)
{
	return decide_sync_name((enum vg_sync)i);
}

static void test_mib_enums(void **state)
{
	FILE *f = fopen(MIB_FILE, "r");
	static char mib[65536];
	size_t n;

	(void)state;
	if (f == NULL)
		skip(); /* run from the tree's root (make unit does) */
	n = fread(mib, 1, sizeof(mib) - 1, f);
	fclose(f);
	mib[n] = '\0';
	check_tc(mib, "VigilNodeState", state_n, ST_COUNT + 1);
	check_tc(mib, "VigilVerdictKind", verdict_n, VERDICT_COUNT);
	check_tc(mib, "VigilSwitchReason", reason_n, REASON_COUNT);
	check_tc(mib, "VigilNetworkState", net_n, NET_COUNT);
	check_tc(mib, "VigilReach", reach_n, REACH_COUNT);
	check_tc(mib, "VigilSyncState", sync_n, SYNC_COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_fields),
		cmocka_unit_test(test_status_nulls),
		cmocka_unit_test(test_status_missing_and_wrong),
		cmocka_unit_test(test_status_not_object),
		cmocka_unit_test(test_status_enums),
		cmocka_unit_test(test_status_nested_enums),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_dump_counters),
		cmocka_unit_test(test_dump_missing),
		cmocka_unit_test(test_dump_probes),
		cmocka_unit_test(test_dump_probes_cap),
		cmocka_unit_test(test_parse_oid),
		cmocka_unit_test(test_stream_cases),
		cmocka_unit_test(test_stream_resume),
		cmocka_unit_test(test_record_switch),
		cmocka_unit_test(test_record_hold),
		cmocka_unit_test(test_record_malformed),
		cmocka_unit_test(test_watch_cases),
		cmocka_unit_test(test_watch_unreachable),
		cmocka_unit_test(test_mib_enums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
