/* decide.h: the pure decision core: one event and the time in, actions, journal records and the next deadline out. */
#ifndef VIGIL_DECIDE_H
#define VIGIL_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Contract (SPEC.md "Monitoring and diagnosis", "State machine"):
 * - decide_step() is pure: no clock, no I/O, no allocation. Time is CLOCK_MONOTONIC
 *   milliseconds passed in by the caller and never decreasing.
 * - Before handling the event, decide_step() fires every internal timer due at or
 *   before now_ms. The caller must call decide_step(EV_TICK) at out->next_deadline_ms.
 * - Everything the core wants done comes back as actions in out->actions, in order.
 *   Results come back later as events carrying the same conn/seq/id.
 */

enum vg_state {
	ST_INIT,
	ST_BACKUP,
	ST_RECONNECTING,
	ST_PRIMARY,
	ST_UPGRADE_HIGHER,
	ST_UPGRADE_LOWER,
	ST_STALE,
	ST_STOPPING,
	ST_ERROR,
	ST_COUNT,
	ST_UNKNOWN = ST_COUNT, /* peer state not known: name "unknown" */
};

enum vg_verdict {
	VERDICT_NONE,
	VERDICT_MODULE_DOWN,
	VERDICT_NOTIFIER_DOWN,
	VERDICT_PRIMARY_UNREACHABLE,
	VERDICT_NETWORK_DOWN,
	VERDICT_COUNT,
};

enum vg_reason {
	REASON_NONE,
	REASON_MODULE_DOWN,
	REASON_NOTIFIER_DOWN,
	REASON_PRIMARY_UNREACHABLE,
	REASON_MANUAL,
	REASON_HANDOVER,
	REASON_ISLAND_CONVERGENCE,
	REASON_FAILSAFE_START,
	REASON_DRILL,
	REASON_COUNT,
};

enum vg_netstatus {
	NET_UNKNOWN,
	NET_GATEWAY_UNREACHABLE,
	NET_NETTEST_UNREACHABLE,
	NET_NETTEST_REACHED,
	NET_GATEWAY_REACHED,
	NET_NETTEST_UNAVAILABLE,
	NET_COUNT,
};

enum vg_reach {
	REACH_UNKNOWN,
	REACH_REACHED,
	REACH_UNREACHABLE,
	REACH_COUNT,
};

enum vg_sync {
	SYNC_UNKNOWN,
	SYNC_IN,
	SYNC_NOT_IN,
	SYNC_COUNT,
};

enum vg_conn {
	CONN_MAIN,
	CONN_AUX,
	CONN_COUNT,
};

/* One name table per enum (STYLE 13): the SPEC's strings, shared by journal, status, CLI and MIB. */
const char *decide_state_name(enum vg_state s);
const char *decide_verdict_name(enum vg_verdict v);
const char *decide_reason_name(enum vg_reason r);
const char *decide_netstatus_name(enum vg_netstatus n);
const char *decide_reach_name(enum vg_reach r);
const char *decide_sync_name(enum vg_sync s);
const char *decide_conn_name(enum vg_conn c);
/* Reverse look-ups; return the enum value or -1. */
int decide_state_from_name(const char *name);
int decide_verdict_from_name(const char *name);

/* Parameters in milliseconds, filled from the configuration by config_decide_params(). */
struct decide_params {
	/* [node] */
	bool role_a;
	bool manual;
	bool force_backup;
	bool wait_peer;
	uint32_t start_timeout_ms;
	/* [peer] */
	uint32_t reconnect_delay_ms; /* notifier_reconnect_delay */
	/* [module] */
	uint32_t module_timeout_ms;
	uint32_t module_retry_delay_ms;
	uint32_t max_failures;
	uint32_t max_restarts;
	uint32_t max_restarts_period_ms;
	uint32_t max_sequential_restarts;
	bool ping_on_aux;
	bool has_local_check;
	/* [monitor] */
	uint32_t ping_delay_ms;
	uint32_t monitor_timeout_ms;
	uint32_t retry_count;
	uint32_t retry_ping_delay_ms;
	/* [network] */
	bool gateway_ping;
	bool has_nettest; /* this node's NetTest list is not empty */
	uint32_t nettest_timeout_ms;
	bool carrier_watch;
	int32_t unreachable_ping_count; /* -1, 0..1000 as configured */
	uint32_t unreachable_ping_delay_ms;
	uint32_t reconnect_timeout_ms;
	/* [hooks] */
	bool has_sync_check;
	uint32_t sync_check_interval_ms; /* 0 = off */
};

/* Fill p with the SPEC defaults (role A, no NetTest, no hooks). */
void decide_params_default(struct decide_params *p);

/* What a peer's hello or state announcement says about it. */
struct vg_peer_info {
	enum vg_state state;
	uint64_t generation;
	int version_cmp;   /* <0: peer older than us, 0 same, >0 peer newer */
	bool config_match; /* digest of the pair-relevant configuration equal */
	enum vg_sync sync; /* the peer's own sync_check result */
	bool module_responding;
	bool in_drill;
};

/* Result of one diagnosis (ACT_DIAGNOSE): which probes went out and which answered. */
struct vg_diag_result {
	bool gateways_probed; /* gateway_ping = yes and at least one gateway known */
	bool gateway_answered;
	bool nettest_probed; /* NetTest configured */
	bool nettest_answered;
	bool primary_answered; /* the primary host answered ICMP */
};

enum vg_event_type {
	EV_START, /* vigild started; peer.state carries nothing; flag = persisted state was stale; generation = persisted */
	EV_TICK,  /* a deadline came; nothing else */
	EV_CONN_UP,       /* authenticated hello on conn; peer = its facts */
	EV_CONN_LOST,     /* conn closed, reset or a dial failed */
	EV_PEER_STATE,    /* state announcement on conn; peer = its facts */
	EV_NOTIFIER_PONG, /* conn, seq */
	EV_MODULE_PONG, /* conn, seq, pid (0 = not running), flag = check rejected (state unknown) */
	EV_MODULE_GONE,     /* pid: exit watch notice from the primary */
	EV_DIAG_DONE,       /* id, diag */
	EV_PINGSET_DONE,    /* id, flag = answered */
	EV_CARRIER,         /* carrier_lost_mask: bit per conn whose interface lost carrier */
	EV_ROUTE_CHANGE,    /* routes toward the primary changed */
	EV_LOCAL_CHECK,     /* flag = local_check passed */
	EV_SYNC,            /* flag = sync_check said in sync */
	EV_DRAIN_DONE,      /* flag = drain hook succeeded (or --force) */
	EV_PEER_COMMENCE,   /* the peer announces it became primary (switch notice) */
	EV_PEER_DRAIN_REQ,  /* the backup asks this primary for a graceful handover; flag = force */
	EV_PEER_DRAIN_DONE, /* the primary drained and is now backup: take over */
	EV_CMD_SWITCH,      /* flag = --force */
	EV_CMD_HANDOVER,    /* flag = --force */
	EV_CMD_REJOIN,
	EV_DRILL_START, /* flag = --live */
	EV_DRILL_END,
	EV_STOP,
	EV_PEER_SEEN, /* any other authenticated message from the peer (a primary hears the backup's pings) */
	EV_COUNT,
};

struct vg_event {
	enum vg_event_type type;
	enum vg_conn conn;
	uint32_t seq;
	uint32_t id;
	int32_t pid;
	bool flag;
	uint8_t carrier_lost_mask;
	uint64_t generation;
	struct vg_peer_info peer;
	struct vg_diag_result diag;
};

enum vg_action_type {
	ACT_DIAL,  /* conn: close it if open, open a new one (the hello comes back as EV_CONN_UP) */
	ACT_CLOSE, /* conn: close it (a new primary drops what it held as backup) */
	ACT_SEND_NOTIFIER_PING, /* conn, seq */
	ACT_SEND_MODULE_PING,   /* conn, seq */
	ACT_DIAGNOSE, /* id: gateways, NetTest, primary host, 3 echoes each, all at once */
	ACT_PING_SET, /* id: 3 echoes to the primary host, wait nettest_timeout */
	ACT_ANNOUNCE, /* send a state announcement (state, generation) on every connection held */
	ACT_PERSIST,  /* write state and generation, fsync'd, before what follows */
	ACT_COMMENCE, /* reason: this node became primary: commence hook, VIPs, lift fence */
	ACT_DISCONTINUE, /* reason: this node stopped being primary: discontinue hook, drop VIPs */
	ACT_FENCE,       /* flag: fence service traffic on (stale) or off */
	ACT_RUN_DRAIN,   /* run the drain hook; EV_DRAIN_DONE follows */
	ACT_SEND_DRAIN_REQ,  /* flag = force: ask the primary for a handover */
	ACT_SEND_DRAIN_DONE, /* tell the backup to take over */
	ACT_RUN_SYNC_CHECK,  /* run sync_check; EV_SYNC follows */
	ACT_RUN_LOCAL_CHECK, /* run local_check; EV_LOCAL_CHECK follows */
	ACT_ALERT,           /* verdict, reason: an automatic switch was withheld; notify */
	ACT_COUNT,
};

struct vg_action {
	enum vg_action_type type;
	enum vg_conn conn;
	uint32_t seq;
	uint32_t id;
	bool flag;
	enum vg_verdict verdict;
	enum vg_reason reason;
};

enum vg_record_kind {
	REC_TRANSITION, /* state from -> to */
	REC_VERDICT,    /* a verdict was posted (diag filled) */
	REC_DIAGNOSIS,  /* a diagnosis finished (diag filled) */
	REC_SWITCH,     /* this node took the primary role: reason */
	REC_HOLD,       /* network-down: switching withheld, holding */
	REC_WITHHELD, /* an automatic switch trigger was withheld (manual, upgrade, drill, not ready) */
	REC_MODULE,  /* module monitor: failure, restart, module-down, recovered */
	REC_MONITOR, /* primary monitor: miss, retry, connection change, watchdog */
	REC_COMMAND, /* a control command accepted or refused */
	REC_PEER,    /* peer facts: hello, drift, island convergence */
	REC_COUNT,
};

#define VG_RECORD_TEXT 160

/* Snapshot of a diagnosis, kept with verdict records so `why` can be answered later. */
struct vg_diag_snapshot {
	bool valid;
	bool main_up;
	bool aux_up;
	bool carrier_lost_all;
	enum vg_netstatus net;
	enum vg_reach primary;
	bool module_down_confirmed;
};

struct vg_record {
	uint64_t t_ms;
	enum vg_record_kind kind;
	enum vg_state state; /* state after the record */
	enum vg_state from;  /* REC_TRANSITION only */
	enum vg_verdict verdict;
	enum vg_reason reason;
	struct vg_diag_snapshot diag;
	char text[VG_RECORD_TEXT];
};

const char *decide_record_kind_name(enum vg_record_kind k);
const char *decide_action_name(enum vg_action_type a);

#define DECIDE_MAX_ACTIONS 32
#define DECIDE_MAX_RECORDS 24
#define DECIDE_NO_DEADLINE UINT64_MAX

struct decide_out {
	size_t n_actions;
	struct vg_action actions[DECIDE_MAX_ACTIONS];
	size_t n_records;
	struct vg_record records[DECIDE_MAX_RECORDS];
	size_t dropped;            /* actions or records that did not fit (a bug: counted, shown) */
	uint64_t next_deadline_ms; /* absolute; DECIDE_NO_DEADLINE if none */
	int cmd_status;            /* for EV_CMD_*: 0 accepted, or -EPERM/-EAGAIN style refusal */
	char cmd_msg[VG_RECORD_TEXT];
};

/* The status fields of SPEC.md "status --json", as the core knows them. */
struct decide_status {
	enum vg_state state;
	uint64_t generation;
	enum vg_state peer_state;
	bool conn_up[CONN_COUNT];
	enum vg_netstatus net;
	enum vg_reach primary_host;
	int32_t module_pid; /* 0 = null */
	bool module_responding;
	uint32_t module_restarts;
	enum vg_verdict verdict;
	enum vg_verdict last_verdict; /* VERDICT_NONE = null */
	uint64_t last_verdict_ms;
	enum vg_sync sync;
	bool config_drift;
	enum vg_reason last_switch; /* REASON_NONE = null */
	uint64_t last_switch_ms;
	bool ready;
	bool in_drill;
	char withheld[VG_RECORD_TEXT]; /* why a switch is withheld now, or "" */
};

struct decide_counters {
	uint64_t late_notifier_pongs;
	uint64_t late_module_pongs;
	uint64_t stale_results; /* diagnosis / ping-set results for an old id */
	uint64_t unlisted_fsm;  /* (state, event) pairs the table does not list */
	uint64_t mm_watchdog;   /* module monitor restarted by the watchdog */
	uint64_t notifier_pings;
	uint64_t module_pings;
	uint64_t diagnoses;
	uint64_t withheld_repeats; /* a withheld trigger seen again for the same verdict */
};

/* ---- internal state: public so callers allocate it (no malloc in the core); touch only in tests ---- */

#define DECIDE_MAX_RESTART_STAMPS 100

struct decide_conn {
	bool open;    /* hello received, transport not lost */
	bool up;      /* open and not marked down by a notifier miss */
	bool dialing; /* ACT_DIAL sent, no hello or loss yet */
	uint64_t dial_started_ms;
};

struct decide_mm { /* module monitor */
	bool running;
	enum vg_conn conn; /* connection in use */
	uint32_t failures;
	bool outstanding;
	uint32_t seq;
	enum vg_conn sent_conn;
	uint64_t deadline_ms; /* pong due */
	uint64_t next_ping_ms;
	int32_t last_pid;
	int32_t gone_pid; /* last module-gone notice counted */
	bool responding;
	uint32_t sequential;
	uint64_t restart_ms[DECIDE_MAX_RESTART_STAMPS];
	uint32_t n_restarts; /* ring fill */
	uint32_t restart_head;
	uint64_t last_event_ms; /* for the watchdog */
};

enum decide_pm_phase {
	PM_IDLE,
	PM_REGULAR,  /* regular pings */
	PM_RETRY,    /* retry pings after a miss */
	PM_CONFIRM,  /* re-pinging the module on main after module-down */
	PM_DIAGNOSE, /* diagnosis probes out */
	PM_KEEPALIVE, /* reconnecting: a ping every ping_delay on each open connection, misses only mark down */
};

struct decide_pm { /* primary monitor */
	enum decide_pm_phase phase;
	bool outstanding;
	uint32_t seq;
	enum vg_conn sent_conn;
	uint64_t deadline_ms;
	uint64_t next_ping_ms;
	uint32_t retries;
	bool aux_outstanding;
	uint32_t aux_seq;
	uint64_t aux_deadline_ms;
	uint64_t aux_next_ping_ms;
	enum vg_conn aux_sent_conn;
	uint32_t confirm_left;
	uint32_t confirm_seq;
	uint64_t confirm_deadline_ms;
	bool module_down; /* a confirmed module-down waits for the diagnosis */
	bool md_pending;  /* a module-down came while a diagnosis ran: confirm it after */
	bool md_pending_restarts;
	uint32_t diag_id;
	uint64_t diag_deadline_ms; /* safety net if probe never answers */
	bool diag_again;           /* another diagnosis asked while one runs */
	bool held; /* a result waits for a dial in flight before "no connection" counts */
	uint64_t held_until_ms;
	enum decide_pm_phase resume; /* phase to return to after confirm / diagnosis */
	uint32_t seq_next;
};

struct decide {
	struct decide_params p;
	enum vg_state state;
	uint64_t generation;
	uint64_t peer_generation;
	struct vg_peer_info peer;
	bool peer_known;
	bool stale_persisted;
	uint64_t start_ms;
	uint64_t init_deadline_ms;
	struct decide_conn conn[CONN_COUNT];
	uint8_t carrier_lost_mask;
	struct decide_mm mm;
	struct decide_pm pm;
	/* diagnosis results in force, and the one being classified */
	struct vg_diag_snapshot diag;
	struct vg_diag_snapshot pm_result;
	/* verdict in force and its switch rule */
	enum vg_verdict verdict;
	enum vg_verdict last_verdict;
	uint64_t last_verdict_ms;
	bool rule_running;      /* the verdict's timer or sets run (a connection up stops them) */
	bool alerted;           /* the withheld trigger of this verdict was alerted once */
	uint64_t rule_start_ms; /* when the verdict's timer or sets started (from zero) */
	uint64_t switch_due_ms; /* reconnect timer */
	int32_t sets_total;     /* -1 = endless */
	int32_t sets_done;
	uint64_t next_set_ms;
	uint32_t set_id;
	bool set_outstanding;
	uint64_t set_deadline_ms;
	bool switch_pending; /* a switch waits for readiness */
	enum vg_reason pending_reason;
	uint64_t redial_ms;
	/* readiness */
	bool hello_seen;
	bool module_answered;
	bool local_ok;
	uint64_t next_local_check_ms;
	/* primary side */
	uint64_t last_peer_msg_ms;
	uint64_t peer_dial_ms;
	bool draining;
	bool drain_force;
	bool handover_requested; /* backup asked for a handover and waits */
	bool started_here;       /* stale entered since this start */
	/* sync */
	enum vg_sync sync;
	uint64_t next_sync_ms;
	bool config_drift;
	bool in_drill;
	bool drill_live;
	enum vg_reason last_switch;
	uint64_t last_switch_ms;
	uint32_t id_next;
	struct decide_counters counters;
	/* the event and output of the current step */
	const struct vg_event *ev;
	struct decide_out *out;
	struct vg_action scratch_action;
	uint64_t now_ms;
};

/* The classification of SPEC.md "Classification", one rule per line; exported for exhaustive tests. */
enum vg_verdict decide_classify(const struct vg_diag_snapshot *s);
/* Network status of SPEC.md "Diagnosis" from one diagnosis result. */
enum vg_netstatus decide_netstatus(const struct vg_diag_result *r);
/* Number of ping sets for unreachable_primary_ping_count: -1 endless, 0..3 -> 3, N > 3 -> N. */
int32_t decide_ping_sets(int32_t count);

void decide_init(struct decide *d, const struct decide_params *p);
/* Apply new [module]/[monitor]/[network]/[hooks] parameters (reload): take effect at the next cycle. */
void decide_reload(struct decide *d, const struct decide_params *p);
void decide_step(struct decide *d, const struct vg_event *ev, uint64_t now_ms,
    struct decide_out *ret);
void decide_status(const struct decide *d, uint64_t now_ms, struct decide_status *ret);
const struct decide_counters *decide_counters(const struct decide *d);

#endif /* VIGIL_DECIDE_H */
