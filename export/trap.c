/* trap.c: VIGIL-MIB's notifications (vigilSwitch, vigilHold, vigilConfigDrift, vigilSyncChange), handed to the master agent, which sends them to its trap sinks. */
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "internal.h"

static const oid snmp_trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 }; /* snmpTrapOID.0 */

static const char *const notification_names[] = {
	[EXPORT_NOTIFY_SWITCH] = "vigilSwitch",
	[EXPORT_NOTIFY_HOLD] = "vigilHold",
	[EXPORT_NOTIFY_CONFIG_DRIFT] = "vigilConfigDrift",
	[EXPORT_NOTIFY_SYNC_CHANGE] = "vigilSyncChange",
};

/* group.col.0 = v, appended to vars. */
static void add(const struct vsnmp *x, netsnmp_variable_list **vars, unsigned group, unsigned col,
    const struct export_value *v)
{
	const uint32_t rel[] = { EXPORT_ARC_OBJECTS, group, col, 0 };
	oid name[MAX_OID_LEN];
	size_t len = agent_oid(x, rel, 4, name);
	const void *val;
	size_t val_len;
	long num;
	u_char t = agent_asn(v, &num, &val, &val_len);

	snmp_varlist_add_variable(vars, name, len, t, val, val_len);
}

/* A status scalar as vigild said it last, or its zero value when vigild never said it. */
static void add_status(const struct vsnmp *x, netsnmp_variable_list **vars, unsigned col,
    enum export_type type)
{
	struct export_value v = { .present = true, .type = type };

	if (x->status.col[col].present && x->status.col[col].type == type)
		v = x->status.col[col];
	add(x, vars, EXPORT_GROUP_STATUS, col, &v);
}

static void add_num(const struct vsnmp *x, netsnmp_variable_list **vars, unsigned group,
    unsigned col, int64_t num)
{
	struct export_value v = { .present = true, .type = EXPORT_T_INTEGER, .num = num };

	add(x, vars, group, col, &v);
}

static void add_text(const struct vsnmp *x, netsnmp_variable_list **vars, unsigned col,
    const char *text)
{
	struct export_value v = { .present = true, .type = EXPORT_T_TEXT };

	snprintf(v.text, sizeof(v.text), "%s", text);
	add(x, vars, EXPORT_GROUP_NOTIFY, col, &v);
}

/* snmpTrapOID.0 = root.0.n first, the objects after it (RFC 3416 4.2.6); sysUpTime.0 is added
 * by send_v2trap. */
static netsnmp_variable_list *start(const struct vsnmp *x, enum export_notification n)
{
	const uint32_t rel[] = { EXPORT_ARC_NOTIFICATIONS, (uint32_t)n };
	netsnmp_variable_list *vars = NULL;
	oid name[MAX_OID_LEN];
	size_t len = agent_oid(x, rel, 2, name);

	snmp_varlist_add_variable(&vars, snmp_trap_oid, OID_LENGTH(snmp_trap_oid), ASN_OBJECT_ID,
	    name, len * sizeof(oid));
	add_status(x, &vars, EXPORT_ST_NODE, EXPORT_T_TEXT);
	return vars;
}

static void finish(struct vsnmp *x, enum export_notification n, netsnmp_variable_list *vars,
    const char *what)
{
	if (vars == NULL) {
		snmp_log(LOG_ERR, "vigil-snmp: out of memory for %s\n", notification_names[n]);
		return;
	}
	send_v2trap(vars);
	snmp_free_varbind(vars);
	x->notifications++;
	snmp_log(LOG_INFO, "vigil-snmp: %s sent (%s)\n", notification_names[n], what);
}

void trap_event(struct vsnmp *x, const struct export_event *e)
{
	netsnmp_variable_list *vars = start(x, e->kind);

	if (e->kind == EXPORT_NOTIFY_SWITCH)
		add_num(x, &vars, EXPORT_GROUP_NOTIFY, EXPORT_NO_REASON, e->reason);
	add_num(x, &vars, EXPORT_GROUP_NOTIFY, EXPORT_NO_VERDICT, e->verdict);
	add_num(x, &vars, EXPORT_GROUP_STATUS, EXPORT_ST_STATE, e->state);
	add_status(x, &vars, EXPORT_ST_GENERATION, EXPORT_T_UNSIGNED);
	add_text(x, &vars, EXPORT_NO_TIME, e->time);
	add_text(x, &vars, EXPORT_NO_DETAIL, e->detail);
	finish(x, e->kind, vars, e->detail);
}

void trap_changes(struct vsnmp *x)
{
	netsnmp_variable_list *vars;

	if (x->changes & (1u << EXPORT_NOTIFY_CONFIG_DRIFT)) {
		vars = start(x, EXPORT_NOTIFY_CONFIG_DRIFT);
		add_status(x, &vars, EXPORT_ST_CONFIG_DRIFT, EXPORT_T_INTEGER);
		finish(x, EXPORT_NOTIFY_CONFIG_DRIFT, vars, "config_drift true");
	}
	if (x->changes & (1u << EXPORT_NOTIFY_SYNC_CHANGE)) {
		vars = start(x, EXPORT_NOTIFY_SYNC_CHANGE);
		add_status(x, &vars, EXPORT_ST_SYNC, EXPORT_T_INTEGER);
		finish(x, EXPORT_NOTIFY_SYNC_CHANGE, vars, "sync changed");
	}
	x->changes = 0;
}
