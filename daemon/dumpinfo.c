/* dumpinfo.c: what `vigilctl dump` gets from the daemon beyond status and events (SPEC "dump"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon.h"
#include "icmp.h"
#include "peer.h"
#include "recorder.h"
#include "route.h"

static void add_u64(struct json_object *o, const char *k, uint64_t n)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)n));
}

static void config_line(const char *line, void *arg)
{
	json_object_array_add(arg, json_object_new_string(line));
}

/* The effective configuration as text lines; it never holds the key, only key_file's path. */
static struct json_object *dump_config(const struct vigild *v)
{
	struct json_object *a = json_object_new_array();

	config_print_lines(&v->cfg, config_line, a);
	return a;
}

static struct json_object *dump_core(const struct vigild *v)
{
	const struct decide_counters *c = decide_counters(&v->core);
	struct json_object *o = json_object_new_object();

	add_u64(o, "notifier_pings", c->notifier_pings);
	add_u64(o, "module_pings", c->module_pings);
	add_u64(o, "diagnoses", c->diagnoses);
	add_u64(o, "late_notifier_pongs", c->late_notifier_pongs);
	add_u64(o, "late_module_pongs", c->late_module_pongs);
	add_u64(o, "stale_results", c->stale_results);
	add_u64(o, "unlisted_fsm", c->unlisted_fsm);
	add_u64(o, "mm_watchdog", c->mm_watchdog);
	add_u64(o, "withheld_repeats", c->withheld_repeats);
	add_u64(o, "module_checks_served", v->counters.module_checks);
	add_u64(o, "hooks_run", v->counters.hooks_run);
	add_u64(o, "hooks_failed", v->counters.hooks_failed);
	add_u64(o, "probe_errors", v->counters.probe_errors);
	add_u64(o, "journal_errors", v->counters.journal_errors);
	add_u64(o, "events_dropped", v->counters.events_dropped);
	add_u64(o, "drill_msgs_ignored", v->counters.drill_msgs_ignored);
	return o;
}

static struct json_object *dump_probes(const struct vigild *v)
{
	struct json_object *a = json_object_new_array();
	struct icmp_stat st[ICMP_MAX_STATS];
	size_t n = 0;

	if (v->icmp == NULL || icmp_stats(v->icmp, st, ICMP_MAX_STATS, &n) < 0)
		return a;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "kind",
		    json_object_new_string(icmp_kind_name(st[i].kind)));
		json_object_object_add(o, "address", json_object_new_string(st[i].addr.text));
		add_u64(o, "sent", st[i].sent);
		add_u64(o, "answered", st[i].answered);
		add_u64(o, "rtt_min_us", st[i].rtt_min_us);
		add_u64(o, "rtt_avg_us", st[i].rtt_avg_us);
		add_u64(o, "rtt_max_us", st[i].rtt_max_us);
		add_u64(o, "rtt_last_us", st[i].rtt_last_us);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *dump_gateways(void)
{
	struct json_object *a = json_object_new_array();
	struct netcfg_gateway gw[16];
	size_t n = 0;

	if (netcfg_gateways(gw, sizeof(gw) / sizeof(gw[0]), &n) < 0)
		return a;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "address", json_object_new_string(gw[i].addr.text));
		json_object_object_add(o, "ifname", json_object_new_string(gw[i].ifname));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *dump_peer(const struct vigild *v)
{
	struct json_object *o = json_object_new_object();
	struct peer_counters c;
	uint64_t rejected = 0;

	peer_link_counters(v->peer, &c);
	add_u64(o, "frames_accepted", c.wire.accepted);
	for (int i = 0; i < WIRE_REJECT_COUNT; i++) {
		add_u64(o, wire_reject_name(i), c.wire.rejected[i]);
		rejected += c.wire.rejected[i];
	}
	add_u64(o, "frames_rejected", rejected); /* the sum, for VIGIL-MIB's one counter */
	add_u64(o, "dials", c.dials);
	add_u64(o, "connects", c.connects);
	add_u64(o, "dial_failures", c.dial_failures);
	add_u64(o, "accepts", c.accepts);
	add_u64(o, "accept_errors", c.accept_errors);
	add_u64(o, "evicted", c.evicted);
	add_u64(o, "timeouts", c.timeouts);
	add_u64(o, "stalls", c.stalls);
	add_u64(o, "bytes_in", c.bytes_in);
	add_u64(o, "bytes_out", c.bytes_out);
	/* The rate limit of rejected frames (include/peer.h, issue 9). */
	add_u64(o, "rate_limited", c.rate_limited);
	add_u64(o, "rate_limit_refused", c.rate_limit_refused);
	add_u64(o, "rate_limit_closed", c.rate_limit_closed);
	add_u64(o, "rejects_unreported", c.rejects_unreported);
	return o;
}

static struct json_object *dump_recorder(struct vigild *v)
{
	struct recorder_stats s;
	struct json_object *o;

	if (v->recorder == NULL)
		return json_object_new_string(
		    v->flight_err[0] ? v->flight_err : "flight recorder off");
	recorder_get_stats(v->recorder, &s);
	o = json_object_new_object();
	add_u64(o, "kept", s.kept);
	add_u64(o, "kept_bytes", s.kept_bytes);
	add_u64(o, "captured", s.captured);
	add_u64(o, "dropped_budget", s.dropped_budget);
	add_u64(o, "dropped_window", s.dropped_window);
	add_u64(o, "kernel_dropped", s.kernel_dropped);
	add_u64(o, "files_written", s.files_written);
	add_u64(o, "window_ms", s.window_ms);
	return o;
}

int vigild_dump(void *arg, struct json_object *ret)
{
	struct vigild *v = arg;

	json_object_object_add(ret, "config", dump_config(v));
	json_object_object_add(ret, "core", dump_core(v));
	json_object_object_add(ret, "probes", dump_probes(v));
	json_object_object_add(ret, "gateways", dump_gateways());
	json_object_object_add(ret, "peer", dump_peer(v));
	json_object_object_add(ret, "recorder", dump_recorder(v));
	json_object_object_add(ret, "netcfg", vigild_netcfg_dump(v));
	return 0;
}
