/* ctl-prom.c: vigilctl status --prometheus: the status, counters and probe statistics of a dump in the Prometheus text exposition format (SPEC "Status export"; issue 7); pure. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"
#include "decide.h"

/*
 * Metric names are stable: a name, its labels and its unit never change meaning. Enumerations
 * are state sets (one series per possible value, 1 for the current one), so an alert reads
 * `vigil_state{state="primary"} == 1` and a missing series never hides a change. Times are
 * Unix seconds, durations seconds, RTTs seconds.
 */

typedef const char *name_fn(int value);

static struct json_object *get(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;
	struct json_object *v = o;

	while (v != NULL && path[0] != '\0') {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", (int)(dot ? (size_t)(dot - path) : strlen(path)),
		    path);
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, key, &v))
			return NULL;
		path = dot ? dot + 1 : "";
	}
	return v;
}

static const char *str(struct json_object *o, const char *path)
{
	struct json_object *v = get(o, path);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* A label value: backslash, quote and newline escaped as the format asks. */
static void label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	head(f, name, "gauge", help);
	fprintf(f, "%s %.15g\n", name, v);
}

static const char *state_name(int v)
{
	return decide_state_name(v);
}
static const char *verdict_name(int v)
{
	return decide_verdict_name(v);
}
static const char *net_name(int v)
{
	return decide_netstatus_name(v);
}
static const char *reach_name(int v)
{
	return decide_reach_name(v);
}
static const char *sync_name(int v)
{
	return decide_sync_name(v);
}

/* One series per possible value (count of them, plus extra when not NULL), 1 for current. */
static void stateset(FILE *f, const char *name, const char *lbl, const char *help,
    const char *current, name_fn *names, int count, const char *extra)
{
	head(f, name, "gauge", help);
	for (int i = 0; i <= count; i++) {
		const char *n = i < count ? names(i) : extra;

		if (n == NULL)
			continue;
		fprintf(f, "%s{%s=\"", name, lbl);
		label(f, n);
		fprintf(f, "\"} %d\n", strcmp(n, current) == 0);
	}
}

static void info(FILE *f, struct json_object *st)
{
	head(f, "vigil_info", "gauge", "This node: name, configured role, software version, peer.");
	fputs("vigil_info{node=\"", f);
	label(f, str(st, "node"));
	fputs("\",role=\"", f);
	label(f, str(st, "role"));
	fputs("\",version=\"", f);
	label(f, str(st, "version"));
	fputs("\",peer=\"", f);
	label(f, str(st, "peer.name"));
	fputs("\"} 1\n", f);
}

static void states(FILE *f, struct json_object *st)
{
	static const char *const modes[] = { "auto", "manual" };

	stateset(f, "vigil_state", "state", "The node's state.", str(st, "state"), state_name,
	    ST_COUNT, NULL);
	stateset(f, "vigil_peer_state", "state", "The peer's state as last heard.",
	    str(st, "peer.state"), state_name, ST_COUNT, "unknown");
	head(f, "vigil_mode", "gauge", "Switch mode: auto or manual.");
	for (size_t i = 0; i < 2; i++)
		fprintf(f, "vigil_mode{mode=\"%s\"} %d\n", modes[i],
		    strcmp(modes[i], str(st, "mode")) == 0);
	stateset(f, "vigil_verdict", "verdict", "The verdict in force.", str(st, "verdict"),
	    verdict_name, VERDICT_COUNT, NULL);
	stateset(f, "vigil_network_status", "status", "The network status of the latest diagnosis.",
	    str(st, "network.status"), net_name, NET_COUNT, NULL);
	stateset(f, "vigil_primary_host", "status", "Whether the primary's host answered ICMP.",
	    str(st, "primary_host"), reach_name, REACH_COUNT, NULL);
	stateset(f, "vigil_sync", "sync", "The sync_check result.", str(st, "sync"), sync_name,
	    SYNC_COUNT, NULL);
}

static void connections(FILE *f, struct json_object *st)
{
	head(f, "vigil_connection_up", "gauge", "Peer connection up (1) or down (0), by channel.");
	fprintf(f, "vigil_connection_up{channel=\"main\"} %d\n",
	    strcmp(str(st, "connections.main"), "up") == 0);
	fprintf(f, "vigil_connection_up{channel=\"aux\"} %d\n",
	    strcmp(str(st, "connections.aux"), "up") == 0);
}

static void module(FILE *f, struct json_object *st)
{
	struct json_object *pid = get(st, "module.pid");

	gauge(f, "vigil_module_responding", "The module answered the latest module ping (1).",
	    json_object_get_boolean(get(st, "module.responding")));
	gauge(f, "vigil_module_pid", "The module's PID (0: none known).",
	    json_object_is_type(pid, json_type_int) ? (double)json_object_get_int64(pid) : 0);
	gauge(f, "vigil_module_restarts", "Module restarts within max_restarts_period.",
	    (double)json_object_get_int64(get(st, "module.restarts")));
	gauge(f, "vigil_generation", "The island-convergence generation.",
	    (double)json_object_get_int64(get(st, "generation")));
	gauge(f, "vigil_config_drift", "The peer's configuration digest differs (1).",
	    json_object_get_boolean(get(st, "config_drift")));
	gauge(f, "vigil_uptime_seconds", "Seconds since vigild started.",
	    (double)json_object_get_int64(get(st, "uptime_s")));
}

/* A {name, time} event as a timestamp series labelled by its name; absent: no sample. */
static void event_time(FILE *f, struct json_object *st, const char *key, const char *name_key,
    const char *metric, const char *help)
{
	struct json_object *e = get(st, key);
	int64_t ms;

	head(f, metric, "gauge", help);
	if (e == NULL || ctl_parse_time(str(e, "time"), &ms) < 0)
		return;
	fprintf(f, "%s{%s=\"", metric, name_key);
	label(f, str(e, name_key));
	fprintf(f, "\"} %.3f\n", (double)ms / 1000.0);
}

/* Every integer member of a dump part as a counter NAME_PREFIX<member>_total. */
static void counters(FILE *f, struct json_object *d, const char *part, const char *prefix,
    const char *help)
{
	struct json_object *o = get(d, part);
	char name[128];

	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v)
	{
		if (!json_object_is_type(v, json_type_int))
			continue;
		snprintf(name, sizeof(name), "%s%s_total", prefix, k);
		for (char *c = name; *c != '\0'; c++)
			if (*c == '-')
				*c = '_';
		head(f, name, "counter", help);
		fprintf(f, "%s %" PRId64 "\n", name, json_object_get_int64(v));
	}
}

static void probe_series(FILE *f, struct json_object *a, const char *metric, const char *key,
    double scale)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *p = json_object_array_get_idx(a, i);

		fprintf(f, "%s{target=\"", metric);
		label(f, str(p, "address"));
		fputs("\",kind=\"", f);
		label(f, str(p, "kind"));
		fprintf(f, "\"} %.15g\n", (double)json_object_get_int64(get(p, key)) * scale);
	}
}

static void probes(FILE *f, struct json_object *d)
{
	struct json_object *a = get(d, "probes");

	if (!json_object_is_type(a, json_type_array))
		return;
	head(f, "vigil_probe_sent_total", "counter", "ICMP echo requests sent, per target.");
	probe_series(f, a, "vigil_probe_sent_total", "sent", 1);
	head(f, "vigil_probe_answered_total", "counter", "ICMP echo replies, per target.");
	probe_series(f, a, "vigil_probe_answered_total", "answered", 1);
	head(f, "vigil_probe_rtt_last_seconds", "gauge", "The latest round-trip time, per target.");
	probe_series(f, a, "vigil_probe_rtt_last_seconds", "rtt_last_us", 1e-6);
	head(f, "vigil_probe_rtt_avg_seconds", "gauge", "The average round-trip time, per target.");
	probe_series(f, a, "vigil_probe_rtt_avg_seconds", "rtt_avg_us", 1e-6);
}

void ctl_print_prometheus(FILE *f, struct json_object *dump)
{
	struct json_object *st = get(dump, "status");

	gauge(f, "vigil_up", "vigild answered on its control socket (1).", 1);
	info(f, st);
	states(f, st);
	connections(f, st);
	module(f, st);
	event_time(f, st, "last_verdict", "kind", "vigil_last_verdict_timestamp_seconds",
	    "When the latest verdict other than none was posted, by kind.");
	event_time(f, st, "last_switch", "reason", "vigil_last_switch_timestamp_seconds",
	    "When this node last switched, by reason.");
	counters(f, dump, "core", "vigil_", "A counter of the decision core or the daemon.");
	counters(f, dump, "peer", "vigil_peer_", "A counter of the peer link.");
	probes(f, dump);
}
