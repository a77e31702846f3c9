/* internal.h: what the files of decide/ share among themselves; nothing outside decide/ includes it. */
#ifndef VIGIL_DECIDE_INTERNAL_H
#define VIGIL_DECIDE_INTERNAL_H

#include "decide.h"

#define NEVER DECIDE_NO_DEADLINE

/* Events of the switchover state machine (fsm.c), derived from core events. */
enum fsm_event {
	FE_PEER_PRIMARY,  /* hello / announcement: the peer is primary */
	FE_PEER_STARTING, /* the peer is in init too */
	FE_PEER_OTHER,    /* the peer is up but neither primary nor starting */
	FE_START_TIMEOUT, /* start_timeout ran out without a peer */
	FE_MODULE_DOWN,   /* a diagnosis classified module-down */
	FE_FAULT, /* a diagnosis classified notifier-down, primary-unreachable or network-down */
	FE_RECOVERED,  /* first module pong with a PID after a verdict */
	FE_SWITCH_DUE, /* reconnect timer or last ping set */
	FE_CMD_SWITCH,
	FE_CMD_HANDOVER,
	FE_PEER_DRAIN_REQ,
	FE_DRAIN_DONE,
	FE_PEER_DRAIN_DONE,
	FE_REJOIN,
	FE_STOP,
	FE_COUNT,
};

/* decide.c: output, state changes, shared helpers */
void out_action(struct decide *d, enum vg_action_type type, enum vg_conn conn, uint32_t seq,
    uint32_t id);
struct vg_action *out_action_ex(struct decide *d, enum vg_action_type type);
void out_record(struct decide *d, enum vg_record_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct vg_record *out_record_ex(struct decide *d, enum vg_record_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void set_state(struct decide *d, enum vg_state next);
void cmd_reply(struct decide *d, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool any_conn_up(const struct decide *d);
bool is_watching(enum vg_state s); /* backup, reconnecting, upgrade states */
bool is_upgrade(enum vg_state s);
uint32_t next_id(struct decide *d);
void conn_mark_up(struct decide *d, enum vg_conn c);
void conn_mark_down(struct decide *d, enum vg_conn c, const char *why);
void conn_redial(struct decide *d, enum vg_conn c);
void schedule_redial(struct decide *d);

/* mm.c: module monitor */
void mm_start(struct decide *d);
void mm_stop(struct decide *d);
void mm_timers(struct decide *d);
uint64_t mm_deadline(const struct decide *d);
void mm_on_pong(struct decide *d, const struct vg_event *ev);
void mm_on_gone(struct decide *d, int32_t pid);
uint32_t mm_restarts(const struct decide *d, uint64_t now_ms);
void mm_ping_now(struct decide *d);
bool mm_note_pid(struct decide *d, int32_t pid);

/* pm.c: primary monitor, confirmation, diagnosis */
void pm_start(struct decide *d);
void pm_keepalive(struct decide *d);
void pm_stop(struct decide *d);
void pm_timers(struct decide *d);
uint64_t pm_deadline(const struct decide *d);
void pm_on_pong(struct decide *d, const struct vg_event *ev);
bool pm_on_confirm_pong(struct decide *d, const struct vg_event *ev);
void pm_module_down(struct decide *d, bool from_restarts);
void pm_diagnose(struct decide *d, const char *why);
void pm_on_diag(struct decide *d, const struct vg_event *ev);
void pm_conn_changed(struct decide *d);

/* rules.c: the verdict in force and its switch rule */
void rule_post(struct decide *d, enum vg_verdict v);
void rule_stop(struct decide *d);
void rule_clear(struct decide *d);
void rule_timers(struct decide *d);
uint64_t rule_deadline(const struct decide *d);
void rule_on_pingset(struct decide *d, const struct vg_event *ev);
void rule_try_switch(struct decide *d, enum vg_reason reason);
void rule_check_ready(struct decide *d);
void rule_module_ok(struct decide *d);
void rule_start(struct decide *d);
bool reconnect_mode(const struct decide *d);
enum vg_reason rule_reason(const struct decide *d);
bool node_ready(const struct decide *d);

/* fsm.c */
void fsm_post(struct decide *d, enum fsm_event ev);
void promote(struct decide *d, enum vg_reason reason);
void enter_watching(struct decide *d, enum vg_state next);

#endif /* VIGIL_DECIDE_INTERNAL_H */
