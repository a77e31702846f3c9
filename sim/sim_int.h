/* sim_int.h: what the files of sim/ share: the simulated pair, its event queue, its network and its timeline. */
#ifndef VIGIL_SIM_INT_H
#define VIGIL_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "sim.h"

#define SIM_NEVER UINT64_MAX
#define SIM_END_MAX_MS (2ull * 3600 * 1000) /* SPEC simulate: never later than 2 h */
#define SIM_TAIL_MS 60000ull /* the run goes on 60 s after the heal or the decision */
#define SIM_RTO_MS 200ull    /* first TCP retransmission; doubles with each further loss */
#define SIM_MAX_LOSSES 7     /* the 7th loss in a row of one message stalls its connection */
#define SIM_PID_FIRST 1000   /* the module's instance id at virtual time 0 */
#define SIM_GENERATION 1     /* both nodes' generation at virtual time 0 */
#define SIM_SETUP_STEPS 1000 /* bound on the instant start-up exchange */
#define SIM_REPEAT_WINDOW 32 /* lines kept looked back at to fold repeats */

/* Network paths, as the faults cut them. */
enum sim_path {
	PATH_PEER,    /* TCP to the primary's vigild, main and aux */
	PATH_GATEWAY, /* the backup's default gateway */
	PATH_NETTEST, /* the NetTest addresses near the primary's site */
	PATH_PRIMARY, /* ICMP to the primary host */
	PATH_COUNT,
};

enum sim_dir {
	DIR_TO_PRIMARY,
	DIR_TO_BACKUP,
	DIR_COUNT,
};

/* Peer-link messages the simulated primary receives. */
enum sim_msg {
	MSG_DIAL, /* SYN and the backup's hello: the primary answers with its hello or a reset */
	MSG_NOTIFIER_PING,
	MSG_MODULE_PING,
	MSG_ANNOUNCE,
};

enum sim_item_kind {
	ITEM_FAULT,      /* the fault starts */
	ITEM_HEAL,       /* the fault heals */
	ITEM_TO_PRIMARY, /* a peer-link message reaches the primary: msg */
	ITEM_PRIMARY_TX, /* the primary sends ev late (a hung module check timed out) */
	ITEM_TO_BACKUP,  /* a peer-link message reaches the backup: ev for the core */
	ITEM_LOCAL,      /* a local observation for the core (ICMP result, carrier, hook): ev */
};

struct sim_item {
	uint64_t t_ms;
	uint64_t order; /* insertion order: items due at the same ms run first in, first out */
	enum sim_item_kind kind;
	enum sim_msg msg;
	uint32_t epoch; /* connection instance the message travels on */
	struct vg_event ev;
};

/* Binary min-heap on (t_ms, order). */
struct sim_queue {
	struct sim_item *items;
	size_t n;
	size_t cap;
	uint64_t order_next;
};

enum sim_conn_state {
	SC_CLOSED,
	SC_DIALING,
	SC_OPEN,
};

/* One TCP connection of the peer link, as both ends see it. */
struct sim_conn {
	uint32_t
	    epoch; /* bumped by every dial and close: what travels on an older one is dropped */
	enum sim_conn_state state; /* the backup's side */
	bool primary_open;         /* the primary's vigild accepted it and has not reset it */
	uint64_t stalled_ms; /* a message was lost to a cut here: nothing arrives from then on */
	uint64_t last_arrival_ms[DIR_COUNT]; /* TCP delivers in order */
};

struct sim {
	struct decide_params p;
	struct sim_opts o;
	struct decide core;
	struct decide_out out;
	struct sim_queue q;
	struct sim_conn conn[CONN_COUNT];
	uint64_t rng;
	uint64_t now_ms;
	uint64_t deadline_ms; /* the core's next deadline */
	bool setup;           /* the start-up exchange at t = 0: instant and lossless */
	int err;              /* sticky: a negative errno (allocation) */
	/* the simulated primary */
	int32_t pid; /* module instance id; 0 = not running */
	int32_t pid_next;
	enum vg_state peer_state;
	/* findings */
	bool fault_started;
	bool decided;
	uint64_t decision_at_ms;
	bool switched;
	/* timeline folding: lines equal to one of the recent ones are counted, not kept */
	size_t folded; /* lines folded since the last kept one */
	struct sim_line folded_last;
	struct sim_result r;
};

/* sim.c */
enum vg_state sim_core_state(const struct sim *s);

/* sim_queue.c */
void sim_queue_push(struct sim *s, struct sim_item *it);
bool sim_queue_pop(struct sim_queue *q, struct sim_item *ret);
uint64_t sim_queue_next_ms(const struct sim_queue *q);
void sim_queue_free(struct sim_queue *q);

/* sim_net.c */
bool sim_fault_active(const struct sim *s, uint64_t t_ms);
bool sim_path_cut(const struct sim *s, enum sim_path p, uint64_t from_ms, uint64_t to_ms);
bool sim_drop(struct sim *s);
void sim_link_send(struct sim *s, enum sim_dir d, uint64_t t_ms, struct sim_item *it);
void sim_local(struct sim *s, uint64_t t_ms, const struct vg_event *ev);
void sim_diagnose(struct sim *s, uint32_t id);
void sim_ping_set(struct sim *s, uint32_t id);

/* sim_primary.c */
void sim_primary_receive(struct sim *s, const struct sim_item *it);
void sim_primary_fault(struct sim *s);
void sim_primary_heal(struct sim *s);
void sim_primary_late(struct sim *s, const struct sim_item *it);

/* sim_backup.c: the backup's side of the link and the core's actions */
void sim_backup_actions(struct sim *s);
void sim_backup_dial(struct sim *s, enum vg_conn c);
bool sim_backup_receive(struct sim *s, const struct sim_item *it);

/* sim_timeline.c */
void sim_timeline_record(struct sim *s, const struct vg_record *rec);
void sim_timeline_add(struct sim *s, uint64_t t_ms, const char *event, enum vg_state state,
    bool fold);
void sim_timeline_flush(struct sim *s);

#endif /* VIGIL_SIM_INT_H */
