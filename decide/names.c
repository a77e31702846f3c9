/* names.c: the one name table per enum (STYLE 13), holding SPEC.md's strings. */
#include <string.h>

#include "decide.h"

static const char *const state_names[ST_COUNT + 1] = {
	[ST_INIT] = "init",
	[ST_BACKUP] = "backup",
	[ST_RECONNECTING] = "reconnecting",
	[ST_PRIMARY] = "primary",
	[ST_UPGRADE_HIGHER] = "upgrade-higher",
	[ST_UPGRADE_LOWER] = "upgrade-lower",
	[ST_STALE] = "stale",
	[ST_STOPPING] = "stopping",
	[ST_ERROR] = "error",
	[ST_UNKNOWN] = "unknown",
};

static const char *const verdict_names[VERDICT_COUNT] = {
	[VERDICT_NONE] = "none",
	[VERDICT_MODULE_DOWN] = "module-down",
	[VERDICT_NOTIFIER_DOWN] = "notifier-down",
	[VERDICT_PRIMARY_UNREACHABLE] = "primary-unreachable",
	[VERDICT_NETWORK_DOWN] = "network-down",
};

static const char *const reason_names[REASON_COUNT] = {
	[REASON_NONE] = "none",
	[REASON_MODULE_DOWN] = "module-down",
	[REASON_NOTIFIER_DOWN] = "notifier-down",
	[REASON_PRIMARY_UNREACHABLE] = "primary-unreachable",
	[REASON_MANUAL] = "manual",
	[REASON_HANDOVER] = "handover",
	[REASON_ISLAND_CONVERGENCE] = "island-convergence",
	[REASON_FAILSAFE_START] = "failsafe-start",
	[REASON_DRILL] = "drill",
};

static const char *const netstatus_names[NET_COUNT] = {
	[NET_UNKNOWN] = "unknown",
	[NET_GATEWAY_UNREACHABLE] = "gateway-unreachable",
	[NET_NETTEST_UNREACHABLE] = "nettest-unreachable",
	[NET_NETTEST_REACHED] = "nettest-reached",
	[NET_GATEWAY_REACHED] = "gateway-reached",
	[NET_NETTEST_UNAVAILABLE] = "nettest-unavailable",
};

static const char *const reach_names[REACH_COUNT] = {
	[REACH_UNKNOWN] = "unknown",
	[REACH_REACHED] = "reached",
	[REACH_UNREACHABLE] = "unreachable",
};

static const char *const sync_names[SYNC_COUNT] = {
	[SYNC_UNKNOWN] = "unknown",
	[SYNC_IN] = "in-sync",
	[SYNC_NOT_IN] = "not-in-sync",
};

static const char *const conn_names[CONN_COUNT] = {
	[CONN_MAIN] = "main",
	[CONN_AUX] = "aux",
};

static const char *const record_kind_names[REC_COUNT] = {
	[REC_TRANSITION] = "transition",
	[REC_VERDICT] = "verdict",
	[REC_DIAGNOSIS] = "diagnosis",
	[REC_SWITCH] = "switch",
	[REC_HOLD] = "hold",
	[REC_WITHHELD] = "withheld",
	[REC_MODULE] = "module",
	[REC_MONITOR] = "monitor",
	[REC_COMMAND] = "command",
	[REC_PEER] = "peer",
};

static const char *const action_names[ACT_COUNT] = {
	[ACT_DIAL] = "dial",
	[ACT_CLOSE] = "close",
	[ACT_SEND_NOTIFIER_PING] = "notifier-ping",
	[ACT_SEND_MODULE_PING] = "module-ping",
	[ACT_DIAGNOSE] = "diagnose",
	[ACT_PING_SET] = "ping-set",
	[ACT_ANNOUNCE] = "announce",
	[ACT_PERSIST] = "persist",
	[ACT_COMMENCE] = "commence",
	[ACT_DISCONTINUE] = "discontinue",
	[ACT_FENCE] = "fence",
	[ACT_RUN_DRAIN] = "drain",
	[ACT_SEND_DRAIN_REQ] = "drain-request",
	[ACT_SEND_DRAIN_DONE] = "drain-done",
	[ACT_RUN_SYNC_CHECK] = "sync-check",
	[ACT_RUN_LOCAL_CHECK] = "local-check",
	[ACT_ALERT] = "alert",
};

static const char *lookup(const char *const *table, size_t n, size_t i)
{
	if (i >= n || table[i] == NULL)
		return "invalid";
	return table[i];
}

static int reverse(const char *const *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (table[i] != NULL && strcmp(table[i], name) == 0)
			return (int)i;
	return -1;
}

#define NAMES(t) (t), (sizeof(t) / sizeof((t)[0]))

const char *decide_state_name(enum vg_state s)
{
	return lookup(NAMES(state_names), s);
}
const char *decide_verdict_name(enum vg_verdict v)
{
	return lookup(NAMES(verdict_names), v);
}
const char *decide_reason_name(enum vg_reason r)
{
	return lookup(NAMES(reason_names), r);
}
const char *decide_netstatus_name(enum vg_netstatus n)
{
	return lookup(NAMES(netstatus_names), n);
}
const char *decide_reach_name(enum vg_reach r)
{
	return lookup(NAMES(reach_names), r);
}
const char *decide_sync_name(enum vg_sync s)
{
	return lookup(NAMES(sync_names), s);
}
const char *decide_conn_name(enum vg_conn c)
{
	return lookup(NAMES(conn_names), c);
}
const char *decide_record_kind_name(enum vg_record_kind k)
{
	return lookup(NAMES(record_kind_names), k);
}
const char *decide_action_name(enum vg_action_type a)
{
	return lookup(NAMES(action_names), a);
}

int decide_state_from_name(const char *name)
{
	return reverse(NAMES(state_names), name);
}
int decide_verdict_from_name(const char *name)
{
	return reverse(NAMES(verdict_names), name);
}
