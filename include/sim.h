/* sim.h: the real decision core against a simulated pair on a virtual clock (vigilctl simulate). */
#ifndef VIGIL_SIM_H
#define VIGIL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decide.h"

enum sim_fault {
	FAULT_NONE,
	FAULT_MODULE_KILL,
	FAULT_MODULE_HANG,
	FAULT_MODULE_FLAP,
	FAULT_NOTIFIER_KILL,
	FAULT_PRIMARY_DOWN,
	FAULT_WAN_CUT,
	FAULT_BACKUP_ISOLATE,
	FAULT_COUNT,
};

const char *sim_fault_name(enum sim_fault f);
int sim_fault_from_name(const char *name); /* -1 if unknown */

struct sim_opts {
	enum sim_fault fault;
	uint64_t at_ms;
	uint64_t for_ms;   /* how long the fault lasts when heals */
	bool heals;        /* false: the fault lasts to the end */
	uint32_t rtt_ms;   /* default 1 */
	uint32_t loss_pct; /* 0..100 */
	uint64_t seed;     /* default 1 */
	bool exit_watch;   /* the module check gives a PID the primary watches */
	/* NetTest and gateway probing come from decide_params (has_nettest, gateway_ping) */
};

#define SIM_EVENT_TEXT 200

struct sim_line {
	uint64_t t_ms;
	char event[SIM_EVENT_TEXT];
	enum vg_state state;
};

struct sim_result {
	enum sim_fault fault;
	enum vg_verdict verdict; /* first verdict other than none after the fault started */
	bool switched;
	bool decided;
	uint64_t decision_ms; /* from the fault start to the switch or the network-down hold */
	enum vg_reason switch_reason;
	enum vg_state state; /* final */
	uint64_t end_ms;
	uint64_t at_ms;                /* the fault start, virtual time */
	uint64_t verdict_at_ms;        /* virtual time of the verdict above */
	uint64_t switch_at_ms;         /* virtual time of the switch, when switched */
	char withheld[SIM_EVENT_TEXT]; /* the latest withheld switch after the fault, or "" */
	uint64_t core_dropped;         /* actions or records the core could not fit (a core bug) */
	uint64_t stuck_ticks; /* ticks leaving the core's deadline at or before now (a bug) */
	struct decide_params params; /* the timers the run used, for the summary */
	size_t n_lines;
	size_t cap_lines;
	struct sim_line *lines; /* owned; sim_result_free() */
};

/*
 * Run one simulation; returns 0, -EINVAL for a bad fault or loss, or -ENOMEM.
 *
 * The simulated world (SPEC "Command line", simulate):
 * - The core is the backup. At t = 0 it gets EV_START and both connections come up with a
 *   hello from a primary in `primary`, same version and configuration; the start-up exchange is
 *   instant and lossless, so at t = 0 the pair is steady (notifier pong and module pong, PID
 *   1000, just received). Then EV_TICK at every next_deadline_ms, messages in time order; at the
 *   same ms messages go before the tick, first queued first.
 * - The primary's vigild answers notifier pings and module pings (PID 1000) after one rtt
 *   (rtt / 2 each way). A dial gets the hello after one rtt, a reset (EV_CONN_LOST) when the host
 *   is up but vigild is not, and nothing when the path is silent: no connect timeout is
 *   simulated, the core re-dials every notifier_reconnect_delay anyway.
 * - ACT_DIAGNOSE probes one gateway (gateway_ping), NetTest (has_nettest) and the primary host,
 *   3 echoes each; EV_DIAG_DONE when all answered (one rtt) or at nettest_timeout.
 *   ACT_PING_SET: 3 echoes to the primary host, answered if a reply comes within nettest_timeout.
 * - Faults: module-kill (module-gone notice for PID 1000 when exit_watch, then "not running";
 *   back as PID 1001 at the heal), module-hang ("not running" module.timeout after each ping
 *   came), module-flap (PID 1001, 1002, ... at every module ping), notifier-kill (both
 *   connections reset, dials refused), primary-down (host silent), wan-cut (all beyond the
 *   gateway silent, NetTest included), backup-isolate (EV_CARRIER for both connections when
 *   carrier_watch, and everything silent).
 * - Loss: each packet each way is dropped with loss_pct % from a splitmix64 seeded with seed.
 *   A lost echo is lost; a lost peer-link message arrives 200 ms later, 400 ms after a second
 *   loss, and so on; 7 losses in a row stall the connection. A message lost to a cut stalls its
 *   connection: nothing more arrives on it, even after the heal, until the core re-dials it.
 * - The end: 60 s after the later of the heal and the first decision (switch or network-down
 *   hold), leaving out whichever does not happen; with neither at 2 h; never after 2 h.
 */
int sim_run(const struct decide_params *p, const struct sim_opts *o, struct sim_result *ret);
void sim_result_free(struct sim_result *r);
/* Human timeline, one line per event, relative times, verdict and reason at the end. */
void sim_print_text(const struct sim_result *r, const struct sim_opts *o, FILE *f);
/* The JSON object of SPEC.md (fault, verdict, switched, decision_ms, state, timeline). */
void sim_print_json(const struct sim_result *r, FILE *f);

#endif /* VIGIL_SIM_H */
