/* decide_bench.c: how many events per second the decision core takes, so that regressions in decide/ show (issue 10). */
/*
 * Usage: decide_bench [--json] [--quick] [--min-ms N]
 *
 * Each scenario drives decide_step() with the unit tests' scripted world (tests/unit/world.h:
 * a primary that answers, faults, a virtual clock) and records every (time, event) it feeds
 * the core. The recording is then replayed into a fresh core, decide_step() alone, as often as
 * it takes to fill --min-ms of CPU time: the core is pure (SPEC "Architecture"), so the replay
 * is the same run, and its cost is the core's own. Both rates are reported: "core" (the replay)
 * and "with world" (the scripted run, the world's bookkeeping included). A replay whose final
 * state or counters differ from the recorded run is a broken core: exit 1.
 *
 * Scenarios, at the default and the fast profile's timers (examples/): an hour of a steady pair,
 * and each fault kind of `vigilctl simulate` after 30 s of steady state, watched for 2 minutes.
 * Links decide/ and nothing else.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decide.h"
#include "world.h"

#define WARM_MS 30000u
#define FAULT_WATCH_MS 120000u
#define STEADY_MS 3600000u

enum bench_fault {
	BF_NONE,
	BF_MODULE_KILL,
	BF_MODULE_HANG,
	BF_MODULE_FLAP,
	BF_NOTIFIER_KILL,
	BF_PRIMARY_DOWN,
	BF_WAN_CUT,
	BF_BACKUP_ISOLATE,
	BF_COUNT,
};

static const char *const fault_names[BF_COUNT] = {
	[BF_NONE] = "steady",
	[BF_MODULE_KILL] = "module-kill",
	[BF_MODULE_HANG] = "module-hang",
	[BF_MODULE_FLAP] = "module-flap",
	[BF_NOTIFIER_KILL] = "notifier-kill",
	[BF_PRIMARY_DOWN] = "primary-down",
	[BF_WAN_CUT] = "wan-cut",
	[BF_BACKUP_ISOLATE] = "backup-isolate",
};

struct rec {
	uint64_t now_ms;
	struct vg_event ev;
};

struct recording {
	struct rec *v;
	size_t n;
	size_t cap;
};

struct result {
	const char *profile;
	const char *scenario;
	double virtual_s;
	size_t events;
	double core_ns_per_event;
	double core_events_per_s;
	double world_events_per_s;
	enum vg_state final_state;
};

static struct world W; /* large (its logs): static, one at a time */

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void record(struct recording *r, uint64_t now_ms, const struct vg_event *ev)
{
	if (r->n == r->cap) {
		size_t cap = r->cap == 0 ? 65536 : 2 * r->cap;
		struct rec *v = realloc(r->v, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "decide_bench: out of memory\n");
			exit(1);
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct rec){ now_ms, *ev };
}

/* One event into the world's core, recorded. */
static void step(struct recording *r, const struct vg_event *ev)
{
	record(r, W.now, ev);
	world_step(&W, ev);
	/* The world's logs are for tests; here they would only fill up and be counted. */
	world_log_clear(&W);
}

/* world_run() with every event recorded: queued events first, then the core's deadline. */
static void run_until(struct recording *r, uint64_t t_end)
{
	for (;;) {
		size_t best = W.nq;
		uint64_t t = W.deadline;

		for (size_t i = 0; i < W.nq; i++)
			if (W.q[i].t <= t && (best == W.nq || W.q[i].t < W.q[best].t))
				best = i, t = W.q[i].t;
		if (t > t_end)
			break;
		W.now = t;
		if (best < W.nq) {
			struct vg_event ev = W.q[best].ev;

			W.q[best] = W.q[--W.nq];
			step(r, &ev);
		} else {
			step(r, &(struct vg_event){ .type = EV_TICK });
		}
	}
	W.now = t_end;
}

static void inject(struct recording *r, enum bench_fault f)
{
	switch (f) {
	case BF_MODULE_KILL:
		W.module = MOD_DEAD;
		step(r, &(struct vg_event){ .type = EV_MODULE_GONE, .pid = W.pid });
		break;
	case BF_MODULE_HANG:
		W.module = MOD_HUNG;
		break;
	case BF_MODULE_FLAP:
		W.module = MOD_FLAP;
		break;
	case BF_NOTIFIER_KILL:
		W.vigild_up = false;
		for (int c = 0; c < CONN_COUNT; c++) {
			W.conn_ok[c] = false;
			step(r,
			    &(struct vg_event){ .type = EV_CONN_LOST, .conn = (enum vg_conn)c });
		}
		break;
	case BF_PRIMARY_DOWN:
		W.host_up = false;
		break;
	case BF_WAN_CUT:
		W.path_ok = false;
		break;
	case BF_BACKUP_ISOLATE:
		W.carrier = false;
		step(r, &(struct vg_event){ .type = EV_CARRIER, .carrier_lost_mask = 3 });
		break;
	case BF_NONE:
	case BF_COUNT:
		break;
	}
}

/* The scripted run: start, steady, the fault, watched; returns the virtual time covered. */
static uint64_t scripted(const struct decide_params *p, enum bench_fault f, struct recording *r)
{
	uint64_t end = f == BF_NONE ? STEADY_MS : WARM_MS + FAULT_WATCH_MS;

	world_setup(&W, p);
	step(r, &(struct vg_event){ .type = EV_START, .generation = 1 });
	run_until(r, f == BF_NONE ? end : WARM_MS);
	if (f != BF_NONE) {
		W.fault_at = WARM_MS;
		inject(r, f);
		run_until(r, end);
	}
	return end;
}

/* The recording into a fresh core; its final state and counters must be the scripted run's. */
static int replay(const struct decide_params *p, const struct recording *r, struct decide *d,
    struct decide_out *out)
{
	decide_init(d, p);
	for (size_t i = 0; i < r->n; i++)
		decide_step(d, &r->v[i].ev, r->v[i].now_ms, out);
	if (d->state != W.d.state || memcmp(&d->counters, &W.d.counters, sizeof(d->counters)) != 0)
		return -EPROTO;
	return 0;
}

static int bench_one(const char *profile, const struct decide_params *p, enum bench_fault f,
    double min_s, struct result *ret)
{
	static struct decide d;
	static struct decide_out out;
	struct recording r = { 0 };
	double t0, world_s, core_s = 0;
	size_t reps = 0, world_events = 0;
	uint64_t virt = 0;
	int rc = 0;

	/* With the world: scripted runs until min_s of CPU; the last one is kept for the replay. */
	t0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	do {
		r.n = 0;
		virt = scripted(p, f, &r);
		world_events += r.n;
	} while ((world_s = now_s(CLOCK_PROCESS_CPUTIME_ID) - t0) < min_s);
	/* The core alone: the recording replayed until min_s of CPU. */
	do {
		t0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
		rc = replay(p, &r, &d, &out);
		core_s += now_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
		reps++;
	} while (rc == 0 && core_s < min_s);
	*ret = (struct result){ .profile = profile,
		.scenario = fault_names[f],
		.virtual_s = (double)virt / 1000,
		.events = r.n,
		.core_ns_per_event = core_s * 1e9 / ((double)r.n * (double)reps),
		.core_events_per_s = (double)r.n * (double)reps / core_s,
		.world_events_per_s = (double)world_events / world_s,
		.final_state = W.d.state };
	free(r.v);
	return rc;
}

/* The example profiles' timers (examples/default, examples/fast), as config_decide_params() gives them. */
static void profile_params(const char *name, struct decide_params *ret)
{
	struct decide_params p;

	decide_params_default(&p);
	p.role_a = false;
	p.gateway_ping = true;
	p.has_nettest = true;
	p.carrier_watch = true;
	if (strcmp(name, "fast") == 0) {
		p.reconnect_delay_ms = 1000;
		p.module_timeout_ms = 1000;
		p.module_retry_delay_ms = 200;
		p.ping_delay_ms = 200;
		p.monitor_timeout_ms = 300;
		p.nettest_timeout_ms = 300;
		p.unreachable_ping_delay_ms = 1000;
		p.reconnect_timeout_ms = 3000;
	}
	*ret = p;
}

static void print_text(const struct result *v, size_t n)
{
	printf("%-8s %-15s %10s %9s %12s %14s %14s\n", "profile", "scenario", "virtual", "events",
	    "core ns/ev", "core ev/s", "world ev/s");
	for (size_t i = 0; i < n; i++)
		printf("%-8s %-15s %9.0fs %9zu %12.1f %14.0f %14.0f\n", v[i].profile, v[i].scenario,
		    v[i].virtual_s, v[i].events, v[i].core_ns_per_event, v[i].core_events_per_s,
		    v[i].world_events_per_s);
}

static void print_json(const struct result *v, size_t n, double min_s)
{
	double events = 0, core_s = 0;

	printf("{\"min_cpu_s\": %.3f, \"scenarios\": [", min_s);
	for (size_t i = 0; i < n; i++) {
		printf("%s\n  {\"profile\": \"%s\", \"scenario\": \"%s\", \"virtual_s\": %.0f, "
		       "\"events\": %zu, \"core_ns_per_event\": %.1f, \"core_events_per_s\": %.0f, "
		       "\"world_events_per_s\": %.0f, \"final_state\": \"%s\"}",
		    i == 0 ? "" : ",", v[i].profile, v[i].scenario, v[i].virtual_s, v[i].events,
		    v[i].core_ns_per_event, v[i].core_events_per_s, v[i].world_events_per_s,
		    decide_state_name(v[i].final_state));
		events += (double)v[i].events;
		core_s += (double)v[i].events * v[i].core_ns_per_event / 1e9;
	}
	/* All scenarios' events once each: the mix's rate. */
	printf("\n], \"mix\": {\"events\": %.0f, \"core_ns_per_event\": %.1f, "
	       "\"core_events_per_s\": %.0f}}\n",
	    events, core_s * 1e9 / events, events / core_s);
}

static void usage(void)
{
	fprintf(stderr, "usage: decide_bench [--json] [--quick] [--min-ms N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const profiles[] = { "default", "fast" };
	struct result res[2 * BF_COUNT];
	bool json = false;
	double min_s = 0.3;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--quick") == 0)
			min_s = 0.05;
		else if (strcmp(argv[i], "--min-ms") == 0 && i + 1 < argc)
			min_s = atof(argv[++i]) / 1000;
		else
			usage();
	}
	for (size_t k = 0; k < 2; k++) {
		struct decide_params p;

		profile_params(profiles[k], &p);
		for (int f = 0; f < BF_COUNT; f++) {
			if (bench_one(profiles[k], &p, (enum bench_fault)f, min_s, &res[n]) < 0) {
				fprintf(stderr,
				    "decide_bench: %s %s: the replay diverged from the run\n",
				    profiles[k], fault_names[f]);
				return 1;
			}
			n++;
		}
	}
	if (json)
		print_json(res, n, min_s);
	else
		print_text(res, n);
	return 0;
}
