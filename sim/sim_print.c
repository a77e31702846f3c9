/* sim_print.c: what vigilctl simulate prints: fault names, the human timeline and summary, the SPEC JSON object. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "sim_int.h"

static const char *const fault_names[FAULT_COUNT] = {
	[FAULT_NONE] = "none",
	[FAULT_MODULE_KILL] = "module-kill",
	[FAULT_MODULE_HANG] = "module-hang",
	[FAULT_MODULE_FLAP] = "module-flap",
	[FAULT_NOTIFIER_KILL] = "notifier-kill",
	[FAULT_PRIMARY_DOWN] = "primary-down",
	[FAULT_WAN_CUT] = "wan-cut",
	[FAULT_BACKUP_ISOLATE] = "backup-isolate",
};

const char *sim_fault_name(enum sim_fault f)
{
	return (unsigned)f < FAULT_COUNT ? fault_names[f] : "?";
}

int sim_fault_from_name(const char *name)
{
	for (int f = 0; f < FAULT_COUNT; f++) {
		if (strcmp(fault_names[f], name) == 0)
			return f;
	}
	return -1;
}

/* A duration the way vigil.conf writes it: 300ms, 5s, 1.5s. */
static const char *fmt_dur(char *buf, size_t len, uint64_t ms)
{
	if (ms < 1000 && ms != 0)
		snprintf(buf, len, "%" PRIu64 "ms", ms);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", ms / 1000);
	else if (ms % 100 == 0)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "s", ms / 1000, ms % 1000 / 100);
	else
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "s", ms / 1000, ms % 1000);
	return buf;
}

/* Time relative to the fault start: +15.003s, -0.500s. */
static const char *fmt_rel(char *buf, size_t len, uint64_t t_ms, uint64_t at_ms)
{
	char sign = t_ms < at_ms ? '-' : '+';
	uint64_t d = t_ms < at_ms ? at_ms - t_ms : t_ms - at_ms;

	snprintf(buf, len, "%c%" PRIu64 ".%03" PRIu64 "s", sign, d / 1000, d % 1000);
	return buf;
}

static void print_header(const struct sim_result *r, const struct sim_opts *o, FILE *f)
{
	char at[24], dur[24];

	fprintf(f, "simulate: fault %s at %s", sim_fault_name(r->fault),
	    fmt_dur(at, sizeof at, o->at_ms));
	if (o->heals)
		fprintf(f, ", heals after %s", fmt_dur(dur, sizeof dur, o->for_ms));
	else
		fprintf(f, ", no heal");
	fprintf(f, "; rtt %s, loss %" PRIu32 "%%, seed %" PRIu64 "\n",
	    fmt_dur(dur, sizeof dur, o->rtt_ms), o->loss_pct, o->seed);
}

/* The timers that shape the decision, so an operator sees what to tune. */
static void print_timers(const struct decide_params *p, FILE *f)
{
	char a[24], b[24], c[24], d[24], e[24], g[24], h[24];
	int32_t sets = decide_ping_sets(p->unreachable_ping_count);

	fprintf(f,
	    "timers: module timeout %s retry %s failures %" PRIu32
	    "; ping %s timeout %s retries %" PRIu32
	    "; nettest %s; re-dial %s; reconnect_timeout %s; ",
	    fmt_dur(a, sizeof a, p->module_timeout_ms),
	    fmt_dur(b, sizeof b, p->module_retry_delay_ms), p->max_failures,
	    fmt_dur(c, sizeof c, p->ping_delay_ms), fmt_dur(d, sizeof d, p->monitor_timeout_ms),
	    p->retry_count, fmt_dur(e, sizeof e, p->nettest_timeout_ms),
	    fmt_dur(g, sizeof g, p->reconnect_delay_ms),
	    fmt_dur(h, sizeof h, p->reconnect_timeout_ms));
	if (sets < 0)
		fprintf(f, "ping sets endless, never switch\n");
	else
		fprintf(f, "ping sets %" PRId32 " x %s\n", sets,
		    fmt_dur(a, sizeof a, p->unreachable_ping_delay_ms));
}

static void print_line(const struct sim_line *l, uint64_t at_ms, FILE *f)
{
	char t[32];

	fprintf(f, "%10s  %-58s [%s]\n", fmt_rel(t, sizeof t, l->t_ms, at_ms), l->event,
	    decide_state_name(l->state));
}

/* Why there was no switch, in one line. */
static void why_not(const struct sim_result *r, char *buf, size_t len)
{
	const char *v = decide_verdict_name(r->verdict);

	if (r->verdict == VERDICT_NETWORK_DOWN)
		snprintf(buf, len,
		    "no: network-down holds, the backup never switches while it is cut off");
	else if (r->withheld[0] != '\0')
		snprintf(buf, len, "no: %s", r->withheld);
	else if (r->verdict == VERDICT_NONE)
		snprintf(buf, len, "no: no verdict, nothing to act on");
	else if (r->state == ST_BACKUP)
		snprintf(buf, len, "no: the primary came back before the %s switch was due", v);
	else
		snprintf(buf, len, "no: the %s switch was not due when the run ended", v);
}

static void print_summary(const struct sim_result *r, FILE *f)
{
	char t[32], why[SIM_EVENT_TEXT + 64];
	bool by_switch = r->switched && r->switch_at_ms == r->at_ms + r->decision_ms;

	if (r->verdict != VERDICT_NONE)
		fprintf(f, "verdict:  %s, posted at %s\n", decide_verdict_name(r->verdict),
		    fmt_rel(t, sizeof t, r->verdict_at_ms, r->at_ms));
	else
		fprintf(f, "verdict:  none\n");
	if (r->switched) {
		fprintf(f, "switched: yes, reason %s, at %s\n",
		    decide_reason_name(r->switch_reason),
		    fmt_rel(t, sizeof t, r->switch_at_ms, r->at_ms));
	} else {
		why_not(r, why, sizeof why);
		fprintf(f, "switched: %s\n", why);
	}
	if (r->decided)
		fprintf(f, "decision: %" PRIu64 " ms after the fault started (%s)\n",
		    r->decision_ms, by_switch ? "switch" : "network-down hold");
	else
		fprintf(f, "decision: none\n");
	fprintf(f, "state:    %s when the run ended at %s\n", decide_state_name(r->state),
	    fmt_rel(t, sizeof t, r->end_ms, r->at_ms));
}

void sim_print_text(const struct sim_result *r, const struct sim_opts *o, FILE *f)
{
	print_header(r, o, f);
	print_timers(&r->params, f);
	for (size_t i = 0; i < r->n_lines; i++)
		print_line(&r->lines[i], r->at_ms, f);
	if (r->core_dropped != 0)
		fprintf(f, "warning: the core dropped %" PRIu64 " actions or records\n",
		    r->core_dropped);
	if (r->stuck_ticks != 0)
		fprintf(f, "warning: the core's deadline did not advance %" PRIu64 " times\n",
		    r->stuck_ticks);
	print_summary(r, f);
}

static struct json_object *json_line(const struct sim_line *l)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "t_ms", json_object_new_int64((int64_t)l->t_ms));
	json_object_object_add(o, "event", json_object_new_string(l->event));
	json_object_object_add(o, "state", json_object_new_string(decide_state_name(l->state)));
	return o;
}

void sim_print_json(const struct sim_result *r, FILE *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *tl = json_object_new_array();
	const char *v = r->verdict == VERDICT_NONE ? NULL : decide_verdict_name(r->verdict);

	json_object_object_add(o, "fault", json_object_new_string(sim_fault_name(r->fault)));
	json_object_object_add(o, "verdict", v ? json_object_new_string(v) : NULL);
	json_object_object_add(o, "switched", json_object_new_boolean(r->switched));
	json_object_object_add(o, "decision_ms",
	    r->decided ? json_object_new_int64((int64_t)r->decision_ms) : NULL);
	json_object_object_add(o, "state", json_object_new_string(decide_state_name(r->state)));
	for (size_t i = 0; i < r->n_lines; i++)
		json_object_array_add(tl, json_line(&r->lines[i]));
	json_object_object_add(o, "timeline", tl);
	fprintf(f, "%s\n",
	    json_object_to_json_string_ext(o,
	        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
