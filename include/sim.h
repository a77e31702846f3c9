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
	uint64_t for_ms; /* 0 = no heal */
	bool heals;
	uint32_t rtt_ms;   /* default 1 */
	uint32_t loss_pct; /* 0..100 */
	uint64_t seed;     /* default 1 */
	bool exit_watch;   /* the module check gives a PID the primary watches */
	bool has_nettest;  /* NetTest addresses configured for this node */
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
	size_t n_lines;
	size_t cap_lines;
	struct sim_line *lines; /* owned; sim_result_free() */
};

/* Run one simulation; returns 0, or a negative errno (allocation). */
int sim_run(const struct decide_params *p, const struct sim_opts *o, struct sim_result *ret);
void sim_result_free(struct sim_result *r);
/* Human timeline, one line per event, relative times, verdict and reason at the end. */
void sim_print_text(const struct sim_result *r, const struct sim_opts *o, FILE *f);
/* The JSON object of SPEC.md (fault, verdict, switched, decision_ms, state, timeline). */
void sim_print_json(const struct sim_result *r, FILE *f);

#endif /* VIGIL_SIM_H */
