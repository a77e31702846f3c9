/* export.h: vigil-snmp's pure part: vigild's status and dump JSON as VIGIL-MIB values, and which journal records and status changes make a notification. */
#ifndef VIGIL_EXPORT_H
#define VIGIL_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object; /* json-c */

/*
 * VIGIL-MIB (firmware/VIGIL-MIB.txt) sits at netSnmpPlaypen.3633 until a site re-homes it with
 * vigil-snmp -r. Everything below is relative to that root; nothing here knows net-snmp.
 */
#define EXPORT_ROOT_OID "1.3.6.1.4.1.8072.9999.9999.3633"
#define EXPORT_OID_MAX 64   /* sub-identifiers of a root OID we accept */
#define EXPORT_TEXT_MAX 256 /* DisplayString (SIZE (0..255)) and its NUL */
#define EXPORT_TIME_MAX 41  /* the (SIZE (0..40)) RFC 3339 strings */
#define EXPORT_ADDR_MAX 65  /* vigilProbeAddress (SIZE (0..64)) */
#define EXPORT_PROBES_MAX 64

/* vigilMIB's arcs: vigilNotifications (0), vigilObjects (1) and its groups. */
enum export_arc {
	EXPORT_ARC_NOTIFICATIONS = 0,
	EXPORT_ARC_OBJECTS = 1,
};

enum export_group {
	EXPORT_GROUP_AGENT = 1,
	EXPORT_GROUP_STATUS = 2,
	EXPORT_GROUP_PROBES = 3, /* vigilProbeTable is vigilProbes.1 */
	EXPORT_GROUP_COUNTERS = 4,
	EXPORT_GROUP_NOTIFY = 5,
};

/* vigilAgent's scalars. */
enum export_agent_col {
	EXPORT_AG_REACHABLE = 1,
	EXPORT_AG_LAST_ERROR,
	EXPORT_AG_NOTIFICATIONS,
	EXPORT_AG_COUNT,
};

/* vigilStatus's scalars, in MIB order: the fields of `vigilctl status --json`. */
enum export_status_col {
	EXPORT_ST_NODE = 1,
	EXPORT_ST_ROLE,
	EXPORT_ST_STATE,
	EXPORT_ST_MODE,
	EXPORT_ST_GENERATION,
	EXPORT_ST_PEER_STATE,
	EXPORT_ST_PEER_NAME,
	EXPORT_ST_PEER_VERSION,
	EXPORT_ST_CONN_MAIN,
	EXPORT_ST_CONN_AUX,
	EXPORT_ST_NETWORK,
	EXPORT_ST_PRIMARY_HOST,
	EXPORT_ST_MODULE_PID,
	EXPORT_ST_MODULE_RESPONDING,
	EXPORT_ST_MODULE_RESTARTS,
	EXPORT_ST_VERDICT,
	EXPORT_ST_LAST_VERDICT,
	EXPORT_ST_LAST_VERDICT_TIME,
	EXPORT_ST_SYNC,
	EXPORT_ST_CONFIG_DRIFT,
	EXPORT_ST_LAST_SWITCH_REASON,
	EXPORT_ST_LAST_SWITCH_TIME,
	EXPORT_ST_VERSION,
	EXPORT_ST_UPTIME,
	EXPORT_ST_READY,
	EXPORT_ST_DRILL,
	EXPORT_ST_WITHHELD,
	EXPORT_ST_COUNT,
};

/* vigilCounters's scalars. */
enum export_counter_col {
	EXPORT_CT_NOTIFIER_PINGS = 1,
	EXPORT_CT_MODULE_PINGS,
	EXPORT_CT_DIAGNOSES,
	EXPORT_CT_FRAMES_ACCEPTED,
	EXPORT_CT_FRAMES_REJECTED,
	EXPORT_CT_FRAMES_UNAUTH,
	EXPORT_CT_DIAL_FAILURES,
	EXPORT_CT_TIMEOUTS,
	EXPORT_CT_HOOKS_FAILED,
	EXPORT_CT_PROBE_ERRORS,
	EXPORT_CT_CONTROL_REJECTED,
	EXPORT_CT_JOURNAL_ERRORS,
	EXPORT_CT_COUNT,
};

/* vigilProbeEntry's columns (vigilProbeIndex is the index, not readable). */
enum export_probe_col {
	EXPORT_PR_INDEX = 1,
	EXPORT_PR_KIND,
	EXPORT_PR_ADDRESS,
	EXPORT_PR_SENT,
	EXPORT_PR_ANSWERED,
	EXPORT_PR_LOST,
	EXPORT_PR_RTT_LAST,
	EXPORT_PR_RTT_AVG,
	EXPORT_PR_RTT_MIN,
	EXPORT_PR_RTT_MAX,
	EXPORT_PR_COUNT,
};

/* vigilNotifyObjects (accessible-for-notify). */
enum export_notify_col {
	EXPORT_NO_REASON = 1,
	EXPORT_NO_VERDICT,
	EXPORT_NO_TIME,
	EXPORT_NO_DETAIL,
};

/* The notifications, numbered as under vigilNotifications. */
enum export_notification {
	EXPORT_NOTIFY_NONE = 0,
	EXPORT_NOTIFY_SWITCH = 1,
	EXPORT_NOTIFY_HOLD = 2,
	EXPORT_NOTIFY_CONFIG_DRIFT = 3,
	EXPORT_NOTIFY_SYNC_CHANGE = 4,
};

/* TruthValue (SNMPv2-TC). */
#define EXPORT_TRUE 1
#define EXPORT_FALSE 2

/* An object's SMI type; the agent maps it to net-snmp's ASN type. */
enum export_type {
	EXPORT_T_TEXT,     /* DisplayString */
	EXPORT_T_INTEGER,  /* an enumeration, TruthValue or Integer32 */
	EXPORT_T_UNSIGNED, /* Unsigned32: clamped to 2^32 - 1 */
	EXPORT_T_GAUGE,    /* Gauge32: clamped to 2^32 - 1 */
	EXPORT_T_COUNTER,  /* Counter32: modulo 2^32, as counters wrap */
};

struct export_value {
	bool present; /* false: noSuchInstance (absent from vigild's answer, or not understood) */
	enum export_type type;
	int64_t num; /* every type but TEXT, already in its SMI range */
	char text[EXPORT_TEXT_MAX];
};

struct export_status {
	struct export_value col[EXPORT_ST_COUNT]; /* by column; [0] unused */
};

struct export_probe {
	int32_t kind; /* vigilProbeKind: gateway(1), nettest(2), primary(3); 0 not understood */
	char address[EXPORT_ADDR_MAX];
	uint64_t sent, answered;
	uint64_t rtt_last_us, rtt_avg_us, rtt_min_us, rtt_max_us;
};

struct export_dump {
	struct export_value counter[EXPORT_CT_COUNT]; /* by column; [0] unused */
	size_t n_probes;
	struct export_probe probes[EXPORT_PROBES_MAX];
};

/*
 * The inner object of a status answer as VIGIL-MIB values: each field of SPEC's status --json
 * through one descriptor table; strings become enumerations through decide's name tables (the
 * MIB's numbers are decide.h's). A field that is absent, of the wrong type or an unknown name
 * is left not present; a null where the contract allows one becomes the MIB's stand-in (none,
 * 0, ""). 0, or -EINVAL when status is not an object (ret then holds nothing present).
 */
int export_status_read(struct json_object *status, struct export_status *ret);
/* The inner object of a dump answer: the counters ("core", "peer", "control") and "probes".
 * 0, or -EINVAL when dump is not an object (ret then holds nothing). */
int export_dump_read(struct json_object *dump, struct export_dump *ret);
/* Column col of a probe row as a value: 0, or -ENOENT for a column that is not readable. */
int export_probe_value(const struct export_probe *p, unsigned col, struct export_value *ret);

/* "1.3.6.1.4.1.8072.9999.9999.3633" (a leading dot allowed): 0, or -EINVAL (not a numeric OID
 * of 2 to max sub-identifiers of at most 32 bits each). */
int export_parse_oid(const char *text, uint32_t *ret, size_t max, size_t *ret_len);

/*
 * Which journal records are news: the position, by CLOCK_MONOTONIC ms (the box's clock, the
 * same for vigild and vigil-snmp), of the newest record handled, and how many records of that
 * very millisecond were handled, so that a resubscription after vigild restarted (its backlog
 * repeats what was seen) notifies each record once.
 */
struct export_cursor {
	uint64_t last_ms;
	uint32_t at_last; /* records handled with mono_ms == last_ms */
	uint32_t skip;    /* of those, still to pass over in the backlog of a resubscription */
};

/* Records of mono_ms >= now_ms are news: take now_ms before the first subscription. */
void export_cursor_init(struct export_cursor *c, uint64_t now_ms);
/* Before a resubscription: its backlog repeats the records handled so far. */
void export_cursor_resume(struct export_cursor *c);

/* What a notification carries beyond the status scalars. */
struct export_event {
	enum export_notification kind;
	int32_t reason;  /* enum vg_reason: vigilNotifyReason */
	int32_t verdict; /* enum vg_verdict: vigilNotifyVerdict */
	int32_t state;   /* enum vg_state after the record; ST_UNKNOWN if not said */
	char time[EXPORT_TIME_MAX];
	char detail[EXPORT_TEXT_MAX];
};

/*
 * One journal record as `events --follow` streams it, through the cursor: 1 and *ret for a
 * news record of kind "switch" (vigilSwitch) or "hold" (vigilHold); 0 for one that is old or of
 * another kind; -EINVAL for a line that is not a record (no integer mono_ms or string kind).
 * boot_ms is this boot's start on the wall clock (wall ms - CLOCK_MONOTONIC ms, now): a record
 * whose time - mono_ms lies further than EXPORT_BOOT_SLACK_MS from it was written before the
 * box last booted (the journal outlives reboots, CLOCK_MONOTONIC does not) and is old.
 */
#define EXPORT_BOOT_SLACK_MS 30000
int export_record_event(struct export_cursor *c, struct json_object *rec, int64_t boot_ms,
    struct export_event *ret);

/* What the status said before, for the notifications on a change. */
struct export_watch {
	bool seen;  /* a status with config_drift was read */
	bool drift; /* its config_drift */
	int32_t
	    synced; /* the latest sync that was in-sync or not-in-sync (SYNC_IN, SYNC_NOT_IN); -1 none */
};

void export_watch_init(struct export_watch *w);
/*
 * A fresh status against the watch, which it then updates. Returns a bit set of
 * (1u << EXPORT_NOTIFY_CONFIG_DRIFT) when config_drift turned true since the previous status,
 * and (1u << EXPORT_NOTIFY_SYNC_CHANGE) when sync is in-sync or not-in-sync and differs from
 * the latest such value (a passage through unknown, e.g. while the peer is away, is no change).
 * The first status only sets the watch. Fields not present change nothing.
 */
unsigned export_watch_status(struct export_watch *w, const struct export_status *s);

#endif /* VIGIL_EXPORT_H */
